/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The calls of LbClient: the service's errors, the properties a call
 * changes read back before it returns, and plain calls (one D-Bus call,
 * its reply converted). */
#include "config.h"

#include "lb-client-private.h"

/* Remote errors of the service arrive as LB_ERROR (the domain is
 * registered); the "GDBus.Error:…" prefix says nothing to a user. */
void
lb_strip_remote (GError *error)
{
  if (g_dbus_error_is_remote_error (error))
    g_dbus_error_strip_remote_error (error);
}

gboolean
lb_fail (GError **error, GError *remote)
{
  lb_strip_remote (remote);
  g_propagate_error (error, remote);
  return FALSE;
}

void
lb_task_return_remote_error (GTask *task, GError *error)
{
  lb_strip_remote (error);
  g_task_return_error (task, error);
}

/* How a BackupCompleted or RestoreCompleted signal ends an operation:
 * NULL for a success, and for a restore that left licenses out for their
 * limit (it restored the rest); else an LB_ERROR with the service's code
 * and message, without the "GDBus.Error:<name>: " GDBus puts before it. */
GError *
lb_completed_error (guint status, const char *message, GVariant *summary)
{
  const char *error_name = NULL;
  GError *error;

  if (status == LB_STATUS_END || status == LB_STATUS_ERROR_WITHURL)
    return NULL;
  if (!g_variant_lookup (summary, "error-name", "&s", &error_name))
    error_name = lb_error_get_dbus_name (NULL);
  error = g_dbus_error_new_for_dbus_error (error_name, message);
  lb_strip_remote (error);
  return error;
}

/* Properties that a call changes. The service announces them with
 * PropertiesChanged only after its reply, and only an iterated main context
 * delivers that: a script without a main loop, or a callback reading the
 * property at once, would see the old value. So a call that changes one
 * (LicenseCount, BackupPath, RestorePath) reads it back before it returns,
 * and the client notifies at once; the signal comes later, unchanged. */

/* The client's property of the service's @name. */
static const char *
property_for (const char *name)
{
  if (g_str_equal (name, "LicenseCount"))
    return "license-count";
  if (g_str_equal (name, "BackupPath"))
    return "backup-path";
  if (g_str_equal (name, "AutomaticBackup"))
    return "automatic-backup";
  if (g_str_equal (name, "KeepBackups"))
    return "keep-backups";
  if (g_str_equal (name, "NextBackupTime"))
    return "next-backup-time";
  if (g_str_equal (name, "EncryptBackups"))
    return "encrypt-backups";
  return "restore-path";
}

static GVariant *
get_params (gpointer proxy, const char *name)
{
  return g_variant_new ("(ss)", g_dbus_proxy_get_interface_name (G_DBUS_PROXY (proxy)), name);
}

/* @reply: of Properties.Get, or NULL (then PropertiesChanged will tell) */
static void
update_cached (LbClient *self, gpointer proxy, const char *name, GVariant *reply)
{
  g_autoptr (GVariant) value = NULL;
  g_autoptr (GVariant) old = NULL;

  if (reply == NULL)
    return;
  g_variant_get (reply, "(v)", &value);
  old = g_dbus_proxy_get_cached_property (G_DBUS_PROXY (proxy), name);
  if (old != NULL && g_variant_equal (old, value))
    return;
  g_dbus_proxy_set_cached_property (G_DBUS_PROXY (proxy), name, value);
  g_object_notify (G_OBJECT (self), property_for (name));
}

typedef struct
{
  GTask *task;
  gpointer proxy;
  const char *name;
  LbReturnFunc ret;
} Refresh;

static void
on_refreshed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Refresh *r = user_data;
  g_autoptr (GVariant) reply
      = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, NULL);

  update_cached (g_task_get_source_object (r->task), r->proxy, r->name, reply);
  r->ret (r->task);
  g_free (r);
}

/* Reads @name back, then @ret returns @task (whose reference it takes). */
void
lb_refresh_async (GTask *task, gpointer proxy, const char *name, LbReturnFunc ret)
{
  LbClient *self = g_task_get_source_object (task);
  Refresh *r = g_new0 (Refresh, 1);

  r->task = task;
  r->proxy = proxy;
  r->name = name;
  r->ret = ret;
  g_dbus_connection_call (self->connection, LB_BUS_NAME, LB_OBJECT_PATH,
                          "org.freedesktop.DBus.Properties", "Get", get_params (proxy, name),
                          G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, on_refreshed,
                          r);
}

void
lb_return_true (GTask *task)
{
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

void
lb_on_empty_reply (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  GError *error = NULL;
  g_autoptr (GVariant) reply
      = G_IS_DBUS_PROXY (source)
            ? g_dbus_proxy_call_finish (G_DBUS_PROXY (source), result, &error)
            : g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);

  if (reply == NULL)
    lb_task_return_remote_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

gboolean
lb_task_finish_boolean (LbClient *self, GAsyncResult *result, gpointer source_tag, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Plain calls: one D-Bus call whose reply a function converts. */

struct _LbCall
{
  LbReplyFunc convert; /* NULL: the reply itself */
  GDestroyNotify free_result;
  char *key_id;        /* for the license a GetLicense reply holds */
  const char *refresh; /* a property the call changes, read back before it returns */
  gpointer result;     /* the converted reply, while it is read back */
};

static void
call_free (LbCall *call)
{
  g_free (call->key_id);
  if (call->result != NULL && call->free_result != NULL)
    call->free_result (call->result);
  g_free (call);
}

static void
return_call_result (GTask *task)
{
  LbCall *call = g_task_get_task_data (task);

  g_task_return_pointer (task, g_steal_pointer (&call->result), call->free_result);
  g_object_unref (task);
}

static void
on_call_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  LbCall *call = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr (GVariant) reply = g_dbus_proxy_call_finish (G_DBUS_PROXY (source), result, &error);

  if (reply == NULL)
    {
      lb_task_return_remote_error (task, error);
      return;
    }
  if (call->convert != NULL)
    call->result = call->convert (reply, call->key_id);
  else
    {
      call->result = g_variant_ref (reply);
      call->free_result = (GDestroyNotify) g_variant_unref;
    }
  if (call->refresh != NULL)
    lb_refresh_async (g_steal_pointer (&task), source, call->refresh, return_call_result);
  else
    return_call_result (g_steal_pointer (&task));
}

/* Returns the call's data, for lb_call_set_refresh(). */
LbCall *
lb_call_async (LbClient *self,
               gpointer proxy,
               const char *method,
               GVariant *params,
               LbReplyFunc convert,
               GDestroyNotify free_result,
               const char *key_id,
               gpointer source_tag,
               GCancellable *cancellable,
               GAsyncReadyCallback callback,
               gpointer user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  LbCall *call = g_new0 (LbCall, 1);

  call->convert = convert;
  call->free_result = free_result;
  call->key_id = g_strdup (key_id);
  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, call, (GDestroyNotify) call_free);
  g_dbus_proxy_call (G_DBUS_PROXY (proxy), method, params, G_DBUS_CALL_FLAGS_NONE, -1, cancellable,
                     on_call_done, task);
  return call;
}

/* A property the call changes, read back before it returns. */
void
lb_call_set_refresh (LbCall *call, const char *property)
{
  call->refresh = property;
}

gpointer
lb_call_finish (LbClient *self, GAsyncResult *result, gpointer source_tag, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* For the listing thread, which makes one call a page. */
GVariant *
lb_call_sync (
    gpointer proxy, const char *method, GVariant *params, GCancellable *cancellable, GError **error)
{
  GError *local_error = NULL;
  GVariant *reply = g_dbus_proxy_call_sync (G_DBUS_PROXY (proxy), method, params,
                                            G_DBUS_CALL_FLAGS_NONE, -1, cancellable, &local_error);

  if (reply == NULL)
    lb_fail (error, local_error);
  return reply;
}
