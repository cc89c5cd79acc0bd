/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "callers.h"

#include <glib/gi18n.h>
#include <gio/gunixfdlist.h>
#include <unistd.h>

#include "error-convert.h"

/* The bus answers at once; this only bounds a bus that does not. */
#define CREDENTIALS_TIMEOUT_MS 10000

struct _LbCallers
{
  GObject parent_instance;

  GDBusConnection *connection;
  guint name_owner_changed_id;
  GMutex lock;       /* guards cache */
  GHashTable *cache; /* unique name -> LbAppInfo */
};

G_DEFINE_TYPE (LbCallers, lb_callers, G_TYPE_OBJECT)

static void
on_name_owner_changed (GDBusConnection *connection,
                       const char *sender_name,
                       const char *object_path,
                       const char *interface_name,
                       const char *signal_name,
                       GVariant *parameters,
                       gpointer user_data)
{
  LbCallers *self = user_data;
  const char *name, *old_owner, *new_owner;

  g_variant_get (parameters, "(&s&s&s)", &name, &old_owner, &new_owner);
  if (name[0] != ':' || new_owner[0] != '\0')
    return;
  g_mutex_lock (&self->lock);
  if (g_hash_table_remove (self->cache, name))
    g_debug ("caller %s left the bus; forgot its app", name);
  g_mutex_unlock (&self->lock);
}

LbCallers *
lb_callers_new (GDBusConnection *connection)
{
  LbCallers *self = g_object_new (LB_TYPE_CALLERS, NULL);

  self->connection = g_object_ref (connection);
  /* Unique names are never reused, so an entry is right until its name
   * leaves; dropping it then keeps the cache as small as the bus. */
  self->name_owner_changed_id = g_dbus_connection_signal_subscribe (
      connection, "org.freedesktop.DBus", "org.freedesktop.DBus", "NameOwnerChanged",
      "/org/freedesktop/DBus", NULL, G_DBUS_SIGNAL_FLAGS_NONE, on_name_owner_changed, self, NULL);
  return self;
}

static LbAppInfo *
cache_lookup (LbCallers *self, const char *sender)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  LbAppInfo *info = g_hash_table_lookup (self->cache, sender);

  return info != NULL ? lb_app_info_ref (info) : NULL;
}

static LbAppInfo *
identify (LbCallers *self, const char *sender, GCancellable *cancellable, GError **error)
{
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GVariant) creds = NULL;
  g_autoptr (GUnixFDList) fds = NULL;
  g_autoptr (GError) local_error = NULL;
  guint32 pid = 0;
  gint32 fd_index = -1;
  int pidfd = -1;
  LbAppInfo *info;

  reply = g_dbus_connection_call_with_unix_fd_list_sync (
      self->connection, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
      "GetConnectionCredentials", g_variant_new ("(s)", sender), G_VARIANT_TYPE ("(a{sv})"),
      G_DBUS_CALL_FLAGS_NONE, CREDENTIALS_TIMEOUT_MS, NULL, &fds, cancellable, &local_error);
  if (reply == NULL)
    {
      /* The bus's words, without the D-Bus error name GIO puts first. */
      g_dbus_error_strip_remote_error (local_error);
      g_set_error (error, LB_ERROR, LB_ERROR_PERMISSION_DENIED,
                   _ ("The service cannot tell which app is calling (the bus did not say: %s), "
                      "so it refused the call"),
                   local_error->message);
      return NULL;
    }
  creds = g_variant_get_child_value (reply, 0);
  if (!g_variant_lookup (creds, "ProcessID", "u", &pid))
    pid = 0;
  /* Race-free where the bus offers it: the fd pins the very process that
   * made the connection. */
  if (fds != NULL && g_variant_lookup (creds, "ProcessFD", "h", &fd_index))
    pidfd = g_unix_fd_list_get (fds, fd_index, NULL);
  info = lb_app_info_new_for_pid (pidfd, (pid_t) pid, error);
  if (pidfd >= 0)
    close (pidfd);
  if (info != NULL)
    g_debug ("caller %s (pid %u) is %s app \"%s\"", sender, pid, lb_app_info_kind_name (info->kind),
             info->id);
  else
    g_debug ("caller %s (pid %u) cannot be identified", sender, pid);
  return info;
}

LbAppInfo *
lb_callers_lookup_sync (LbCallers *self,
                        const char *sender,
                        GCancellable *cancellable,
                        GError **error)
{
  LbAppInfo *info = cache_lookup (self, sender);

  if (info != NULL)
    return info;
  info = identify (self, sender, cancellable, error);
  if (info == NULL)
    return NULL; /* not cached: a later call tries again */
  g_mutex_lock (&self->lock);
  g_hash_table_replace (self->cache, g_strdup (sender), lb_app_info_ref (info));
  g_mutex_unlock (&self->lock);
  return info;
}

static void
lookup_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GError *error = NULL;
  LbAppInfo *info = lb_callers_lookup_sync (source, task_data, cancellable, &error);

  if (info == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, info, (GDestroyNotify) lb_app_info_unref);
}

void
lb_callers_lookup_async (LbCallers *self,
                         const char *sender,
                         GCancellable *cancellable,
                         GAsyncReadyCallback callback,
                         gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (self, cancellable, callback, user_data);
  LbAppInfo *info = cache_lookup (self, sender);

  g_task_set_source_tag (task, lb_callers_lookup_async);
  if (info != NULL)
    {
      g_task_return_pointer (task, info, (GDestroyNotify) lb_app_info_unref);
      return;
    }
  g_task_set_task_data (task, g_strdup (sender), g_free);
  g_task_run_in_thread (task, lookup_thread);
}

LbAppInfo *
lb_callers_lookup_finish (LbCallers *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

gboolean
lb_callers_require_host (const LbAppInfo *info, const char *what, GError **error)
{
  if (lb_app_info_is_host (info))
    return TRUE;
  g_set_error (error, LB_ERROR, LB_ERROR_PERMISSION_DENIED,
               _ ("Apps may not %s: the user does this in Settings (Media Licenses) or with the "
                  "license-backup command"),
               what);
  return FALSE;
}

static void
lb_callers_dispose (GObject *object)
{
  LbCallers *self = LB_CALLERS (object);

  if (self->name_owner_changed_id != 0)
    {
      g_dbus_connection_signal_unsubscribe (self->connection, self->name_owner_changed_id);
      self->name_owner_changed_id = 0;
    }
  g_clear_object (&self->connection);
  G_OBJECT_CLASS (lb_callers_parent_class)->dispose (object);
}

static void
lb_callers_finalize (GObject *object)
{
  LbCallers *self = LB_CALLERS (object);

  g_hash_table_unref (self->cache);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (lb_callers_parent_class)->finalize (object);
}

static void
lb_callers_class_init (LbCallersClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = lb_callers_dispose;
  G_OBJECT_CLASS (klass)->finalize = lb_callers_finalize;
}

static void
lb_callers_init (LbCallers *self)
{
  g_mutex_init (&self->lock);
  self->cache
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) lb_app_info_unref);
}
