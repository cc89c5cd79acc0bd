/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "lb-private.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gunixfdlist.h>
#include <glib/gi18n-lib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lb-dbus-generated.h"

#define LB_BUS_NAME "org.freedesktop.LicenseBackup1"
#define LB_OBJECT_PATH "/org/freedesktop/LicenseBackup1"
/* What one StoreLicenses call may carry (the service's limit), and what
 * keeps its message under dbus-daemon's default 32 MiB. */
#define BATCH_LICENSES 10000
#define BATCH_BYTES (24 * 1024 * 1024)
/* Above this, lb_client_store_licenses_* sends a memfd: the service reads
 * it a license at a time, while a message is held whole (a 24 MiB one took
 * the service to 86 MiB). */
#define FD_ABOVE_LICENSES 1000
#define FD_ABOVE_BYTES (4 * 1024 * 1024)
#define LIST_PAGE 10000
/* A call may wait for the service to start and to finish a large write. */
#define CALL_TIMEOUT_MS (5 * 60 * 1000)

/**
 * LbClient:
 *
 * A connection to the license backup service on the session bus.
 *
 * An app stores, reads, lists and deletes its own licenses; the user's own
 * tools also reach every app's licenses, and back them up and restore
 * them with lb_client_backup_sync() and lb_client_restore_sync(), which
 * follow the operation to its end. The properties follow the service's and
 * notify while an operation runs, so a progress bar can bind to
 * #LbClient:progress.
 */
struct _LbClient
{
  GObject parent_instance;

  GDBusConnection *connection;
  LbDBusManager *manager;
  LbDBusStore *store;
  /* Where the proxies' signals and notifications come. */
  GMainContext *context;

  /* Every operation, whoever started it (the last section) */
  guint64 watch_op;
  LbOperationResult *watch_result; /* its details so far, or NULL */
  gboolean subscribed;             /* renewed with each instance of the service */
  char *subscribed_owner;          /* the instance that has the subscription */
};

static void lb_client_initable_iface_init (GInitableIface *iface);
static void lb_client_async_initable_iface_init (GAsyncInitableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (LbClient,
                               lb_client,
                               G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE,
                                                      lb_client_initable_iface_init)
                                   G_IMPLEMENT_INTERFACE (G_TYPE_ASYNC_INITABLE,
                                                          lb_client_async_initable_iface_init))

enum
{
  PROP_0,
  PROP_CONNECTION,
  PROP_LICENSE_COUNT,
  PROP_STATUS,
  PROP_PROGRESS,
  PROP_LICENSES_DONE,
  PROP_LICENSES_TOTAL,
  PROP_CANCELABLE,
  PROP_OPERATION,
  PROP_LAST_OPERATION,
  PROP_OPERATION_ID,
  PROP_BACKUP_PATH,
  PROP_RESTORE_PATH,
  PROP_LAST_BACKUP_TIME,
  PROP_SERVICE_RUNNING,
  PROP_AUTOMATIC_BACKUP,
  PROP_NEXT_BACKUP_TIME,
  PROP_KEEP_BACKUPS,
  N_PROPS
};
static GParamSpec *props[N_PROPS];

enum
{
  SIGNAL_OPERATION_COMPLETED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

static void watch_operations (LbClient *self);
static void watch_stop (LbClient *self);
static void watch_class_init (LbClientClass *klass);

/* Remote errors of the service arrive as LB_ERROR (the domain is
 * registered); the "GDBus.Error:…" prefix says nothing to a user. */
static void
strip_remote (GError *error)
{
  if (g_dbus_error_is_remote_error (error))
    g_dbus_error_strip_remote_error (error);
}

static gboolean
fail (GError **error, GError *remote)
{
  strip_remote (remote);
  g_propagate_error (error, remote);
  return FALSE;
}

/* How a BackupCompleted or RestoreCompleted signal ends an operation:
 * NULL for a success, and for a restore that left licenses out for their
 * limit (it restored the rest); else an LB_ERROR with the service's code
 * and message, without the "GDBus.Error:<name>: " GDBus puts before it. */
static GError *
completed_error (guint status, const char *message, GVariant *summary)
{
  const char *error_name = NULL;
  GError *error;

  if (status == LB_STATUS_END || status == LB_STATUS_ERROR_WITHURL)
    return NULL;
  if (!g_variant_lookup (summary, "error-name", "&s", &error_name))
    error_name = lb_error_get_dbus_name (NULL);
  error = g_dbus_error_new_for_dbus_error (error_name, message);
  strip_remote (error);
  return error;
}

/* Creation */

static void
forward_notify (GObject *proxy, GParamSpec *pspec, LbClient *self)
{
  /* The proxies' properties have the service's names, which are ours. */
  GParamSpec *own = g_object_class_find_property (G_OBJECT_GET_CLASS (self), pspec->name);

  if (own != NULL)
    g_object_notify_by_pspec (G_OBJECT (self), own);
}

static void
setup_proxies (LbClient *self)
{
  g_dbus_proxy_set_default_timeout (G_DBUS_PROXY (self->manager), CALL_TIMEOUT_MS);
  g_dbus_proxy_set_default_timeout (G_DBUS_PROXY (self->store), CALL_TIMEOUT_MS);
  g_signal_connect_object (self->manager, "notify", G_CALLBACK (forward_notify), self, 0);
  g_signal_connect_object (self->store, "notify", G_CALLBACK (forward_notify), self, 0);
  watch_operations (self);
}

static gboolean
init_proxies (LbClient *self, GCancellable *cancellable, GError **error)
{
  GError *local_error = NULL;

  (void) LB_ERROR; /* registers the error domain before any reply */
  /* Loading the properties starts the service by D-Bus activation. */
  self->manager
      = lb_dbus_manager_proxy_new_sync (self->connection, G_DBUS_PROXY_FLAGS_NONE, LB_BUS_NAME,
                                        LB_OBJECT_PATH, cancellable, &local_error);
  if (self->manager == NULL)
    return fail (error, local_error);
  self->store
      = lb_dbus_store_proxy_new_sync (self->connection, G_DBUS_PROXY_FLAGS_NONE, LB_BUS_NAME,
                                      LB_OBJECT_PATH, cancellable, &local_error);
  if (self->store == NULL)
    return fail (error, local_error);
  setup_proxies (self);
  return TRUE;
}

static gboolean
lb_client_initable_init (GInitable *initable, GCancellable *cancellable, GError **error)
{
  LbClient *self = LB_CLIENT (initable);
  GError *local_error = NULL;

  if (self->connection == NULL)
    {
      self->connection = g_bus_get_sync (G_BUS_TYPE_SESSION, cancellable, &local_error);
      if (self->connection == NULL)
        return fail (error, local_error);
    }
  return init_proxies (self, cancellable, error);
}

static void
lb_client_initable_iface_init (GInitableIface *iface)
{
  iface->init = lb_client_initable_init;
}

/* Async creation runs in the caller's context, so that the proxies signal
 * there. */

static void on_store_proxy (GObject *source, GAsyncResult *result, gpointer user_data);

static gboolean
init_fail (GTask *task, GError *error)
{
  strip_remote (error);
  g_task_return_error (task, error);
  g_object_unref (task);
  return FALSE;
}

static void
on_manager_proxy (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  LbClient *self = g_task_get_source_object (task);
  GError *error = NULL;

  self->manager = lb_dbus_manager_proxy_new_finish (result, &error);
  if (self->manager == NULL)
    {
      init_fail (task, error);
      return;
    }
  lb_dbus_store_proxy_new (self->connection, G_DBUS_PROXY_FLAGS_NONE, LB_BUS_NAME, LB_OBJECT_PATH,
                           g_task_get_cancellable (task), on_store_proxy, task);
}

static void
on_store_proxy (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  LbClient *self = g_task_get_source_object (task);
  GError *error = NULL;

  self->store = lb_dbus_store_proxy_new_finish (result, &error);
  if (self->store == NULL)
    {
      init_fail (task, error);
      return;
    }
  setup_proxies (self);
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static void
start_proxies (GTask *task)
{
  LbClient *self = g_task_get_source_object (task);

  (void) LB_ERROR;
  lb_dbus_manager_proxy_new (self->connection, G_DBUS_PROXY_FLAGS_NONE, LB_BUS_NAME, LB_OBJECT_PATH,
                             g_task_get_cancellable (task), on_manager_proxy, task);
}

static void
on_bus (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  LbClient *self = g_task_get_source_object (task);
  GError *error = NULL;

  self->connection = g_bus_get_finish (result, &error);
  if (self->connection == NULL)
    {
      init_fail (task, error);
      return;
    }
  start_proxies (task);
}

static void
lb_client_init_async (GAsyncInitable *initable,
                      int io_priority,
                      GCancellable *cancellable,
                      GAsyncReadyCallback callback,
                      gpointer user_data)
{
  LbClient *self = LB_CLIENT (initable);
  GTask *task = g_task_new (initable, cancellable, callback, user_data);

  g_task_set_source_tag (task, lb_client_init_async);
  g_task_set_priority (task, io_priority);
  if (self->connection == NULL)
    g_bus_get (G_BUS_TYPE_SESSION, cancellable, on_bus, task);
  else
    start_proxies (task);
}

static gboolean
lb_client_init_finish (GAsyncInitable *initable, GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
lb_client_async_initable_iface_init (GAsyncInitableIface *iface)
{
  iface->init_async = lb_client_init_async;
  iface->init_finish = lb_client_init_finish;
}

/**
 * lb_client_new_sync:
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Connects to the service on the session bus, which D-Bus activation
 * starts if it does not run.
 *
 * Returns: (transfer full): the client, or %NULL with @error set
 */
LbClient *
lb_client_new_sync (GCancellable *cancellable, GError **error)
{
  return g_initable_new (LB_TYPE_CLIENT, cancellable, error, NULL);
}

/**
 * lb_client_new_async:
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the client is ready
 * @user_data: data for @callback
 *
 * Connects to the service; see lb_client_new_sync().
 */
void
lb_client_new_async (GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  g_async_initable_new_async (LB_TYPE_CLIENT, G_PRIORITY_DEFAULT, cancellable, callback, user_data,
                              NULL);
}

/**
 * lb_client_new_finish:
 * @result: the result passed to the callback
 * @error: return location for a #GError
 *
 * Finishes lb_client_new_async(): the new client.
 *
 * Returns: (transfer full): the client, or %NULL with @error set
 */
LbClient *
lb_client_new_finish (GAsyncResult *result, GError **error)
{
  g_autoptr (GObject) source = g_async_result_get_source_object (result);

  return LB_CLIENT (g_async_initable_new_finish (G_ASYNC_INITABLE (source), result, error));
}

/**
 * lb_client_new_for_connection_sync:
 * @connection: a bus connection
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Connects to the service on @connection instead of the session bus.
 *
 * Returns: (transfer full): the client, or %NULL with @error set
 */
LbClient *
lb_client_new_for_connection_sync (GDBusConnection *connection,
                                   GCancellable *cancellable,
                                   GError **error)
{
  return g_initable_new (LB_TYPE_CLIENT, cancellable, error, "connection", connection, NULL);
}

/**
 * lb_client_new_for_connection_async:
 * @connection: a bus connection
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the client is ready
 * @user_data: data for @callback
 *
 * Connects to the service on @connection.
 */
void
lb_client_new_for_connection_async (GDBusConnection *connection,
                                    GCancellable *cancellable,
                                    GAsyncReadyCallback callback,
                                    gpointer user_data)
{
  g_async_initable_new_async (LB_TYPE_CLIENT, G_PRIORITY_DEFAULT, cancellable, callback, user_data,
                              "connection", connection, NULL);
}

/**
 * lb_client_new_for_connection_finish:
 * @result: the result passed to the callback
 * @error: return location for a #GError
 *
 * Finishes lb_client_new_for_connection_async(): the new client.
 *
 * Returns: (transfer full): the client, or %NULL with @error set
 */
LbClient *
lb_client_new_for_connection_finish (GAsyncResult *result, GError **error)
{
  return lb_client_new_finish (result, error);
}

/**
 * lb_client_get_connection:
 * @self: a client
 *
 * The client's bus connection.
 *
 * Returns: (transfer none): its bus connection
 */
GDBusConnection *
lb_client_get_connection (LbClient *self)
{
  g_return_val_if_fail (LB_IS_CLIENT (self), NULL);
  return self->connection;
}

/* Properties */

/**
 * lb_client_get_license_count:
 * @self: a client
 *
 * The number of licenses in the store, of every app.
 *
 * Returns: the number of licenses in the store, of every app
 */
guint
lb_client_get_license_count (LbClient *self)
{
  return lb_dbus_store_get_license_count (self->store);
}

/**
 * lb_client_get_status:
 * @self: a client
 *
 * The status of the running or last operation.
 *
 * Returns: the status of the running or last operation
 */
LbStatus
lb_client_get_status (LbClient *self)
{
  return (LbStatus) lb_dbus_manager_get_status (self->manager);
}

/**
 * lb_client_get_progress:
 * @self: a client
 *
 * How far the running or last operation got, 0 to 1.
 *
 * Returns: how far the running or last operation got, 0 to 1
 */
double
lb_client_get_progress (LbClient *self)
{
  return lb_dbus_manager_get_progress (self->manager);
}

/**
 * lb_client_get_licenses_done:
 * @self: a client
 *
 * The licenses the running or last operation processed.
 *
 * Returns: the licenses the running or last operation processed
 */
guint64
lb_client_get_licenses_done (LbClient *self)
{
  return lb_dbus_manager_get_licenses_done (self->manager);
}

/**
 * lb_client_get_licenses_total:
 * @self: a client
 *
 * The licenses the running or last operation processes.
 *
 * Returns: the licenses the running or last operation processes
 */
guint64
lb_client_get_licenses_total (LbClient *self)
{
  return lb_dbus_manager_get_licenses_total (self->manager);
}

/**
 * lb_client_get_cancelable:
 * @self: a client
 *
 * Whether cancelling the running operation has an effect now.
 *
 * Returns: whether cancelling the running operation has an effect now
 */
gboolean
lb_client_get_cancelable (LbClient *self)
{
  return lb_dbus_manager_get_cancelable (self->manager);
}

static const char *
nonnull (const char *s)
{
  return s != NULL ? s : "";
}

/**
 * lb_client_get_operation:
 * @self: a client
 *
 * "backup" or "restore" while one runs, else "".
 *
 * Returns: "backup" or "restore" while one runs, else ""
 */
const char *
lb_client_get_operation (LbClient *self)
{
  return nonnull (lb_dbus_manager_get_operation (self->manager));
}

/**
 * lb_client_get_last_operation:
 * @self: a client
 *
 * "backup" or "restore": the running or last operation; "" if none.
 *
 * Returns: "backup" or "restore": the running or last operation; "" if none
 */
const char *
lb_client_get_last_operation (LbClient *self)
{
  return nonnull (lb_dbus_manager_get_last_operation (self->manager));
}

/**
 * lb_client_get_operation_id:
 * @self: a client
 *
 * The id of the running or last operation, 0 if none.
 *
 * Returns: the id of the running or last operation, 0 if none
 */
guint64
lb_client_get_operation_id (LbClient *self)
{
  return lb_dbus_manager_get_operation_id (self->manager);
}

/**
 * lb_client_get_backup_path:
 * @self: a client
 *
 * Where backups go: a folder path or URI, "" when not set.
 *
 * Returns: where backups go: a folder path or URI, "" when not set
 */
const char *
lb_client_get_backup_path (LbClient *self)
{
  return nonnull (lb_dbus_manager_get_backup_path (self->manager));
}

/**
 * lb_client_get_restore_path:
 * @self: a client
 *
 * Where restores read from, "" when not set.
 *
 * Returns: where restores read from, "" when not set
 */
const char *
lb_client_get_restore_path (LbClient *self)
{
  return nonnull (lb_dbus_manager_get_restore_path (self->manager));
}

/**
 * lb_client_get_last_backup_time:
 * @self: a client
 *
 * When the last backup succeeded (unix seconds), 0 if never.
 *
 * Returns: when the last backup succeeded (unix seconds), 0 if never
 */
gint64
lb_client_get_last_backup_time (LbClient *self)
{
  return lb_dbus_manager_get_last_backup_time (self->manager);
}

/**
 * lb_client_get_automatic_backup:
 * @self: a client
 *
 * How often the service backs up by itself into #LbClient:backup-path.
 *
 * Returns: how often the service backs up by itself
 */
LbAutomaticBackup
lb_client_get_automatic_backup (LbClient *self)
{
  g_autoptr (GEnumClass) klass = g_type_class_ref (LB_TYPE_AUTOMATIC_BACKUP);
  const char *nick = lb_dbus_manager_get_automatic_backup (self->manager);
  GEnumValue *value = g_enum_get_value_by_nick (klass, nick != NULL ? nick : "");

  /* Unknown (a newer service's): as if off, which promises nothing. */
  return value != NULL ? (LbAutomaticBackup) value->value : LB_AUTOMATIC_BACKUP_NEVER;
}

/**
 * lb_client_get_next_backup_time:
 * @self: a client
 *
 * From when the next automatic backup is due if the licenses changed (unix
 * seconds; it may lie in the past: the next check backs up), 0 when none
 * is planned.
 *
 * Returns: the time, or 0
 */
gint64
lb_client_get_next_backup_time (LbClient *self)
{
  return lb_dbus_manager_get_next_backup_time (self->manager);
}

/**
 * lb_client_get_keep_backups:
 * @self: a client
 *
 * How many backups a backup folder keeps.
 *
 * Returns: how many backups a backup folder keeps
 */
guint
lb_client_get_keep_backups (LbClient *self)
{
  return lb_dbus_manager_get_keep_backups (self->manager);
}

/* Properties that a call changes. The service announces them with
 * PropertiesChanged only after its reply, and only an iterated main context
 * delivers that: a script without a main loop, or a callback reading the
 * property at once, would see the old value. So a call that changes one
 * (LicenseCount, BackupPath, RestorePath) reads it back before it returns,
 * and the client notifies at once; the signal comes later, unchanged. */

static GParamSpec *
pspec_for (const char *name)
{
  if (g_str_equal (name, "LicenseCount"))
    return props[PROP_LICENSE_COUNT];
  if (g_str_equal (name, "BackupPath"))
    return props[PROP_BACKUP_PATH];
  if (g_str_equal (name, "AutomaticBackup"))
    return props[PROP_AUTOMATIC_BACKUP];
  if (g_str_equal (name, "KeepBackups"))
    return props[PROP_KEEP_BACKUPS];
  if (g_str_equal (name, "NextBackupTime"))
    return props[PROP_NEXT_BACKUP_TIME];
  return props[PROP_RESTORE_PATH];
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
  g_object_notify_by_pspec (G_OBJECT (self), pspec_for (name));
}

static void
refresh_sync (LbClient *self, gpointer proxy, const char *name)
{
  g_autoptr (GVariant) reply = g_dbus_connection_call_sync (
      self->connection, LB_BUS_NAME, LB_OBJECT_PATH, "org.freedesktop.DBus.Properties", "Get",
      get_params (proxy, name), G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);

  update_cached (self, proxy, name, reply);
}

/* Returns the task's result and drops the reference it was given. */
typedef void (*ReturnFunc) (GTask *task);

typedef struct
{
  GTask *task;
  gpointer proxy;
  const char *name;
  ReturnFunc ret;
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
static void
refresh_async (GTask *task, gpointer proxy, const char *name, ReturnFunc ret)
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

static void
return_true (GTask *task)
{
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

/* Plain calls: one D-Bus call whose reply a function shared by the _sync
 * and _finish forms converts. */

typedef gpointer (*ReplyFunc) (GVariant *reply, const char *key_id);

typedef struct
{
  ReplyFunc convert; /* NULL: the reply itself */
  GDestroyNotify free_result;
  char *key_id;        /* for the license a GetLicense reply holds */
  const char *refresh; /* a property the call changes, read back before it returns */
  gpointer result;     /* the converted reply, while it is read back */
} Call;

static void
call_free (Call *call)
{
  g_free (call->key_id);
  if (call->result != NULL && call->free_result != NULL)
    call->free_result (call->result);
  g_free (call);
}

static void
return_call_result (GTask *task)
{
  Call *call = g_task_get_task_data (task);

  g_task_return_pointer (task, g_steal_pointer (&call->result), call->free_result);
  g_object_unref (task);
}

static void
on_call_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  Call *call = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr (GVariant) reply = g_dbus_proxy_call_finish (G_DBUS_PROXY (source), result, &error);

  if (reply == NULL)
    {
      strip_remote (error);
      g_task_return_error (task, error);
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
    refresh_async (g_steal_pointer (&task), source, call->refresh, return_call_result);
  else
    return_call_result (g_steal_pointer (&task));
}

/* Returns the call's data, for the caller to set what it changes. */
static Call *
call_async (LbClient *self,
            gpointer proxy,
            const char *method,
            GVariant *params,
            ReplyFunc convert,
            GDestroyNotify free_result,
            const char *key_id,
            gpointer source_tag,
            GCancellable *cancellable,
            GAsyncReadyCallback callback,
            gpointer user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Call *call = g_new0 (Call, 1);

  call->convert = convert;
  call->free_result = free_result;
  call->key_id = g_strdup (key_id);
  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, call, (GDestroyNotify) call_free);
  g_dbus_proxy_call (G_DBUS_PROXY (proxy), method, params, G_DBUS_CALL_FLAGS_NONE, -1, cancellable,
                     on_call_done, task);
  return call;
}

static gpointer
call_finish (LbClient *self, GAsyncResult *result, gpointer source_tag, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static GVariant *
call_sync (
    gpointer proxy, const char *method, GVariant *params, GCancellable *cancellable, GError **error)
{
  GError *local_error = NULL;
  GVariant *reply = g_dbus_proxy_call_sync (G_DBUS_PROXY (proxy), method, params,
                                            G_DBUS_CALL_FLAGS_NONE, -1, cancellable, &local_error);

  if (reply == NULL)
    fail (error, local_error);
  return reply;
}

static gpointer
license_from_reply (GVariant *reply, const char *key_id)
{
  g_autoptr (GVariant) data = NULL;
  g_autoptr (GVariant) attributes = NULL;
  g_autoptr (GBytes) bytes = NULL;

  g_variant_get (reply, "(@ay@a{sv})", &data, &attributes);
  bytes = g_variant_get_data_as_bytes (data);
  return lb_license_new_from_attributes (key_id, bytes, attributes);
}

static gpointer
removed_from_reply (GVariant *reply, const char *key_id)
{
  guint32 removed = 0;

  g_variant_get (reply, "(u)", &removed);
  return GUINT_TO_POINTER (removed + 1); /* never NULL, which means failure */
}

/**
 * lb_client_store_license_sync:
 * @self: a client
 * @license: the license
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Stores @license among the caller's licenses, replacing the one with its
 * key id. Fails with %LB_ERROR_INVALID_ARGS for a bad key id, data or
 * attribute, and %LB_ERROR_NO_SPACE past the app's limits.
 *
 * Returns: whether it was stored
 */
gboolean
lb_client_store_license_sync (LbClient *self,
                              LbLicense *license,
                              GCancellable *cancellable,
                              GError **error)
{
  g_autoptr (GVariant) reply = NULL;

  g_return_val_if_fail (LB_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (LB_IS_LICENSE (license), FALSE);
  reply = call_sync (self->store, "StoreLicense", lb_license_to_store_args (license), cancellable,
                     error);
  if (reply != NULL)
    refresh_sync (self, self->store, "LicenseCount");
  return reply != NULL;
}

/**
 * lb_client_store_license_async:
 * @self: a client
 * @license: the license
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when it is stored
 * @user_data: data for @callback
 *
 * Stores @license; see lb_client_store_license_sync().
 */
void
lb_client_store_license_async (LbClient *self,
                               LbLicense *license,
                               GCancellable *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer user_data)
{
  Call *call
      = call_async (self, self->store, "StoreLicense", lb_license_to_store_args (license), NULL,
                    NULL, NULL, lb_client_store_license_async, cancellable, callback, user_data);

  call->refresh = "LicenseCount";
}

/**
 * lb_client_store_license_finish:
 * @self: a client
 * @result: the result passed to the callback
 * @error: return location for a #GError
 *
 * Finishes lb_client_store_license_async().
 *
 * Returns: whether it was stored
 */
gboolean
lb_client_store_license_finish (LbClient *self, GAsyncResult *result, GError **error)
{
  g_autoptr (GVariant) reply = call_finish (self, result, lb_client_store_license_async, error);
  return reply != NULL;
}

/* Batches of licenses for StoreLicenses, each under the service's and the
 * bus's limits. */
static GPtrArray *
make_batches (GPtrArray *licenses)
{
  GPtrArray *batches = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  GVariantBuilder b;
  guint n = 0;
  gsize bytes = 0;

  g_variant_builder_init (&b, G_VARIANT_TYPE ("a(saya{sv})"));
  for (guint i = 0; i < licenses->len; i++)
    {
      LbLicense *l = licenses->pdata[i];
      GBytes *data = lb_license_get_data (l);
      gsize size = data != NULL ? g_bytes_get_size (data) : 0;

      if (n > 0 && (n == BATCH_LICENSES || bytes + size > BATCH_BYTES))
        {
          g_ptr_array_add (batches, g_variant_ref_sink (g_variant_new (
                                        "(@a(saya{sv}))", g_variant_builder_end (&b))));
          g_variant_builder_init (&b, G_VARIANT_TYPE ("a(saya{sv})"));
          n = 0;
          bytes = 0;
        }
      g_variant_builder_add_value (&b, lb_license_to_store_args (l));
      n++;
      bytes += size;
    }
  if (n > 0)
    g_ptr_array_add (
        batches, g_variant_ref_sink (g_variant_new ("(@a(saya{sv}))", g_variant_builder_end (&b))));
  else
    g_variant_builder_clear (&b);
  return batches;
}

/* The import payload (docs/import-format.md) of @licenses in a sealed
 * memfd, or -1 with @error set. */
static gboolean
write_all (int fd, const guint8 *data, gsize len, GError **error)
{
  while (len > 0)
    {
      ssize_t n = write (fd, data, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int errsv = errno;
          g_set_error (error, LB_ERROR, LB_ERROR_NO_SPACE,
                       _ ("Cannot prepare the licenses to import: %s"), g_strerror (errsv));
          return FALSE;
        }
      data += n;
      len -= (gsize) n;
    }
  return TRUE;
}

#define PAYLOAD_CHUNK (1024 * 1024)

static int
payload_memfd (GPtrArray *licenses, GError **error)
{
  g_autoptr (GByteArray) buf = g_byte_array_sized_new (PAYLOAD_CHUNK);
  g_autofree guint8 *scratch = NULL;
  gsize scratch_size = 0;
  int fd = memfd_create ("license-backup-import", MFD_CLOEXEC | MFD_ALLOW_SEALING);

  if (fd < 0)
    {
      int errsv = errno;
      g_set_error (error, LB_ERROR, LB_ERROR_FAILED,
                   _ ("Cannot prepare the licenses to import: %s"), g_strerror (errsv));
      return -1;
    }
  g_byte_array_append (buf, (const guint8 *) "LBI1", 4);
  for (guint i = 0; i < licenses->len; i++)
    {
      g_autoptr (GVariant) v = g_variant_ref_sink (lb_license_to_store_args (licenses->pdata[i]));
      gsize size = g_variant_get_size (v);
      guint32 le = GUINT32_TO_LE ((guint32) size);

      if (G_BYTE_ORDER == G_BIG_ENDIAN)
        {
          GVariant *swapped = g_variant_byteswap (v);
          g_variant_unref (v);
          v = swapped;
        }
      guint at;

      if (buf->len > 0 && buf->len + 4 + size > PAYLOAD_CHUNK)
        {
          if (!write_all (fd, buf->data, buf->len, error))
            goto fail;
          g_byte_array_set_size (buf, 0);
        }
      g_byte_array_append (buf, (const guint8 *) &le, 4);
      /* GVariant serialises only to aligned memory; the record sits
       * 4 bytes into the payload, unaligned: through one reused buffer
       * rather than a new allocation a license. */
      if (size > scratch_size)
        {
          g_free (scratch);
          scratch_size = MAX (size, 2 * scratch_size);
          scratch = g_malloc (scratch_size);
        }
      g_variant_store (v, scratch);
      at = buf->len;
      g_byte_array_set_size (buf, at + (guint) size);
      memcpy (buf->data + at, scratch, size);
    }
  if (!write_all (fd, buf->data, buf->len, error))
    goto fail;
  /* Sealed, so that the service can trust what it validates. */
  if (fcntl (fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0)
    {
      int errsv = errno;
      g_set_error (error, LB_ERROR, LB_ERROR_FAILED,
                   _ ("Cannot prepare the licenses to import: %s"), g_strerror (errsv));
      goto fail;
    }
  return fd;

fail:
  close (fd);
  return -1;
}

static GVariant *
import_params (void)
{
  return g_variant_new ("(h@a{sv})", 0, g_variant_new ("a{sv}", NULL));
}

/* Whether @licenses go through a memfd rather than one StoreLicenses,
 * found from their sizes alone (building the message first copied every
 * license once more, for nothing). */
static gboolean
needs_import (GPtrArray *licenses)
{
  gsize bytes = 0;

  if (licenses->len > FD_ABOVE_LICENSES)
    return TRUE;
  for (guint i = 0; i < licenses->len; i++)
    {
      GBytes *data = lb_license_get_data (licenses->pdata[i]);

      bytes += data != NULL ? g_bytes_get_size (data) : 0;
      if (bytes > FD_ABOVE_BYTES)
        return TRUE;
    }
  return FALSE;
}

/**
 * lb_client_store_licenses_sync:
 * @self: a client
 * @licenses: (element-type LbLicense): the licenses
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Stores many licenses at once, all or none, whatever their number: up to
 * 1,000 licenses and 4 MiB go in one StoreLicenses call; more go to the
 * service through a sealed memfd (StoreLicensesFromFd), which it reads one
 * license at a time into one transaction.
 *
 * Returns: whether all were stored
 */
gboolean
lb_client_store_licenses_sync (LbClient *self,
                               GPtrArray *licenses,
                               GCancellable *cancellable,
                               GError **error)
{
  g_autoptr (GPtrArray) batches = NULL;

  g_return_val_if_fail (LB_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (licenses != NULL, FALSE);
  if (needs_import (licenses))
    {
      g_autoptr (GUnixFDList) fds = NULL;
      g_autoptr (GVariant) reply = NULL;
      GError *local_error = NULL;
      int fd = payload_memfd (licenses, error);

      if (fd < 0)
        return FALSE;
      fds = g_unix_fd_list_new_from_array (&fd, 1);
      reply = g_dbus_proxy_call_with_unix_fd_list_sync (
          G_DBUS_PROXY (self->store), "StoreLicensesFromFd", import_params (),
          G_DBUS_CALL_FLAGS_NONE, -1, fds, NULL, cancellable, &local_error);
      if (reply == NULL)
        return fail (error, local_error);
    }
  else
    {
      batches = make_batches (licenses);
      for (guint i = 0; i < batches->len; i++)
        {
          g_autoptr (GVariant) reply
              = call_sync (self->store, "StoreLicenses", batches->pdata[i], cancellable, error);
          if (reply == NULL)
            return FALSE;
        }
    }
  refresh_sync (self, self->store, "LicenseCount");
  return TRUE;
}

static void store_next_batch (GTask *task);

static void
on_batch_stored (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  GError *error = NULL;
  g_autoptr (GVariant) reply = g_dbus_proxy_call_finish (G_DBUS_PROXY (source), result, &error);

  if (reply == NULL)
    {
      strip_remote (error);
      g_task_return_error (task, error);
      return;
    }
  store_next_batch (g_steal_pointer (&task));
}

static void
on_import_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  LbClient *self = g_task_get_source_object (task);
  GError *error = NULL;
  g_autoptr (GVariant) reply
      = g_dbus_proxy_call_with_unix_fd_list_finish (G_DBUS_PROXY (source), NULL, result, &error);

  if (reply == NULL)
    {
      strip_remote (error);
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  refresh_async (task, self->store, "LicenseCount", return_true);
}

static void
store_next_batch (GTask *task)
{
  LbClient *self = g_task_get_source_object (task);
  GPtrArray *batches = g_task_get_task_data (task);
  g_autoptr (GVariant) batch = NULL;

  if (batches->len == 0)
    {
      refresh_async (task, self->store, "LicenseCount", return_true);
      return;
    }
  batch = g_ptr_array_steal_index (batches, 0);
  g_dbus_proxy_call (G_DBUS_PROXY (self->store), "StoreLicenses", batch, G_DBUS_CALL_FLAGS_NONE, -1,
                     g_task_get_cancellable (task), on_batch_stored, task);
}

/**
 * lb_client_store_licenses_async:
 * @self: a client
 * @licenses: (element-type LbLicense): the licenses
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when they are stored
 * @user_data: data for @callback
 *
 * Stores many licenses; see lb_client_store_licenses_sync().
 */
void
lb_client_store_licenses_async (LbClient *self,
                                GPtrArray *licenses,
                                GCancellable *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, lb_client_store_licenses_async);
  if (needs_import (licenses))
    {
      g_autoptr (GUnixFDList) fds = NULL;
      GError *error = NULL;
      int fd = payload_memfd (licenses, &error);

      if (fd < 0)
        {
          g_task_return_error (task, error);
          g_object_unref (task);
          return;
        }
      fds = g_unix_fd_list_new_from_array (&fd, 1);
      g_task_set_task_data (task, g_ptr_array_new (), (GDestroyNotify) g_ptr_array_unref);
      g_dbus_proxy_call_with_unix_fd_list (G_DBUS_PROXY (self->store), "StoreLicensesFromFd",
                                           import_params (), G_DBUS_CALL_FLAGS_NONE, -1, fds,
                                           cancellable, on_import_done, task);
      return;
    }
  g_task_set_task_data (task, make_batches (licenses), (GDestroyNotify) g_ptr_array_unref);
  store_next_batch (task);
}

/**
 * lb_client_store_licenses_finish:
 * @self: a client
 * @result: the result passed to the callback
 * @error: return location for a #GError
 *
 * Finishes lb_client_store_licenses_async().
 *
 * Returns: whether all were stored
 */
gboolean
lb_client_store_licenses_finish (LbClient *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * lb_client_get_license_sync:
 * @self: a client
 * @key_id: the key id
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Reads the caller's license with @key_id: %LB_ERROR_NOT_FOUND if its app
 * has none.
 *
 * Returns: (transfer full): the license, or %NULL with @error set
 */
LbLicense *
lb_client_get_license_sync (LbClient *self,
                            const char *key_id,
                            GCancellable *cancellable,
                            GError **error)
{
  g_autoptr (GVariant) reply = NULL;

  g_return_val_if_fail (LB_IS_CLIENT (self), NULL);
  reply = call_sync (self->store, "GetLicense", g_variant_new ("(s)", key_id), cancellable, error);
  return reply != NULL ? license_from_reply (reply, key_id) : NULL;
}

/**
 * lb_client_get_license_async:
 * @self: a client
 * @key_id: the key id
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the license
 * @user_data: data for @callback
 *
 * Reads a license; see lb_client_get_license_sync().
 */
void
lb_client_get_license_async (LbClient *self,
                             const char *key_id,
                             GCancellable *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer user_data)
{
  call_async (self, self->store, "GetLicense", g_variant_new ("(s)", key_id), license_from_reply,
              g_object_unref, key_id, lb_client_get_license_async, cancellable, callback,
              user_data);
}

/**
 * lb_client_get_license_finish:
 * @self: a client
 * @result: the result passed to the callback
 * @error: return location for a #GError
 *
 * Finishes lb_client_get_license_async().
 *
 * Returns: (transfer full): the license, or %NULL with @error set
 */
LbLicense *
lb_client_get_license_finish (LbClient *self, GAsyncResult *result, GError **error)
{
  return call_finish (self, result, lb_client_get_license_async, error);
}

/**
 * lb_client_get_app_license_sync:
 * @self: a client
 * @app: the app id ("" for programs outside a sandbox)
 * @key_id: the key id
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Reads any app's license. Only for the user's own tools: an app gets
 * %LB_ERROR_PERMISSION_DENIED.
 *
 * Returns: (transfer full): the license, or %NULL with @error set
 */
LbLicense *
lb_client_get_app_license_sync (
    LbClient *self, const char *app, const char *key_id, GCancellable *cancellable, GError **error)
{
  g_autoptr (GVariant) reply = NULL;

  g_return_val_if_fail (LB_IS_CLIENT (self), NULL);
  reply = call_sync (self->store, "GetAppLicense", g_variant_new ("(ss)", app, key_id), cancellable,
                     error);
  return reply != NULL ? license_from_reply (reply, key_id) : NULL;
}

/**
 * lb_client_get_app_license_async:
 * @self: a client
 * @app: the app id
 * @key_id: the key id
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the license
 * @user_data: data for @callback
 *
 * See lb_client_get_app_license_sync().
 */
void
lb_client_get_app_license_async (LbClient *self,
                                 const char *app,
                                 const char *key_id,
                                 GCancellable *cancellable,
                                 GAsyncReadyCallback callback,
                                 gpointer user_data)
{
  call_async (self, self->store, "GetAppLicense", g_variant_new ("(ss)", app, key_id),
              license_from_reply, g_object_unref, key_id, lb_client_get_app_license_async,
              cancellable, callback, user_data);
}

/**
 * lb_client_get_app_license_finish:
 * @self: a client
 * @result: the result passed to the callback
 * @error: return location for a #GError
 *
 * Finishes lb_client_get_app_license_async().
 *
 * Returns: (transfer full): the license, or %NULL with @error set
 */
LbLicense *
lb_client_get_app_license_finish (LbClient *self, GAsyncResult *result, GError **error)
{
  return call_finish (self, result, lb_client_get_app_license_async, error);
}

/* Listing: every page, in a thread (each page is one call). */

static GPtrArray *
list_all (LbClient *self, const char *app, GCancellable *cancellable, GError **error)
{
  g_autoptr (GPtrArray) out = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char *cursor = g_strdup ("");

  do
    {
      g_autoptr (GVariant) reply = NULL;
      g_autoptr (GVariant) page = NULL;
      GVariantBuilder options;
      GVariantIter iter;
      const char *key_id;
      GVariant *attributes;

      g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
      g_variant_builder_add (&options, "{sv}", "limit", g_variant_new_uint32 (LIST_PAGE));
      g_variant_builder_add (&options, "{sv}", "cursor", g_variant_new_string (cursor));
      if (app != NULL)
        g_variant_builder_add (&options, "{sv}", "app", g_variant_new_string (app));
      reply = call_sync (self->store, "ListLicenses", g_variant_new ("(a{sv})", &options),
                         cancellable, error);
      if (reply == NULL)
        return NULL;
      g_clear_pointer (&cursor, g_free);
      g_variant_get (reply, "(@a(sa{sv})s)", &page, &cursor);
      g_variant_iter_init (&iter, page);
      while (g_variant_iter_next (&iter, "(&s@a{sv})", &key_id, &attributes))
        {
          g_ptr_array_add (out, lb_license_new_from_attributes (key_id, NULL, attributes));
          g_variant_unref (attributes);
        }
    }
  while (cursor[0] != '\0');
  return g_steal_pointer (&out);
}

static void
list_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GError *error = NULL;
  GPtrArray *list = list_all (source, task_data, cancellable, &error);

  if (list == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, list, (GDestroyNotify) g_ptr_array_unref);
}

static void
list_async (LbClient *self,
            const char *app,
            gpointer source_tag,
            GCancellable *cancellable,
            GAsyncReadyCallback callback,
            gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, g_strdup (app), g_free);
  g_task_run_in_thread (task, list_thread);
}

/**
 * lb_client_list_licenses_sync:
 * @self: a client
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Every license the caller may see, without data: an app's own; for the
 * user's own tools every app's, ordered by app, then key id.
 *
 * Returns: (transfer container) (element-type LbLicense): the licenses, or
 *   %NULL with @error set
 */
GPtrArray *
lb_client_list_licenses_sync (LbClient *self, GCancellable *cancellable, GError **error)
{
  g_return_val_if_fail (LB_IS_CLIENT (self), NULL);
  return list_all (self, NULL, cancellable, error);
}

/**
 * lb_client_list_licenses_async:
 * @self: a client
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the licenses
 * @user_data: data for @callback
 *
 * See lb_client_list_licenses_sync().
 */
void
lb_client_list_licenses_async (LbClient *self,
                               GCancellable *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer user_data)
{
  list_async (self, NULL, lb_client_list_licenses_async, cancellable, callback, user_data);
}

/**
 * lb_client_list_licenses_finish:
 * @self: a client
 * @result: the result passed to the callback
 * @error: return location for a #GError
 *
 * Finishes lb_client_list_licenses_async().
 *
 * Returns: (transfer container) (element-type LbLicense): the licenses, or
 *   %NULL with @error set
 */
GPtrArray *
lb_client_list_licenses_finish (LbClient *self, GAsyncResult *result, GError **error)
{
  return call_finish (self, result, lb_client_list_licenses_async, error);
}

/**
 * lb_client_list_app_licenses_sync:
 * @self: a client
 * @app: the app id ("" for programs outside a sandbox)
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * One app's licenses. An app may name only itself.
 *
 * Returns: (transfer container) (element-type LbLicense): the licenses, or
 *   %NULL with @error set
 */
GPtrArray *
lb_client_list_app_licenses_sync (LbClient *self,
                                  const char *app,
                                  GCancellable *cancellable,
                                  GError **error)
{
  g_return_val_if_fail (LB_IS_CLIENT (self), NULL);
  g_return_val_if_fail (app != NULL, NULL);
  return list_all (self, app, cancellable, error);
}

/**
 * lb_client_list_app_licenses_async:
 * @self: a client
 * @app: the app id
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the licenses
 * @user_data: data for @callback
 *
 * See lb_client_list_app_licenses_sync().
 */
void
lb_client_list_app_licenses_async (LbClient *self,
                                   const char *app,
                                   GCancellable *cancellable,
                                   GAsyncReadyCallback callback,
                                   gpointer user_data)
{
  list_async (self, app, lb_client_list_app_licenses_async, cancellable, callback, user_data);
}

/**
 * lb_client_list_app_licenses_finish:
 * @self: a client
 * @result: the result passed to the callback
 * @error: return location for a #GError
 *
 * Finishes lb_client_list_app_licenses_async().
 *
 * Returns: (transfer container) (element-type LbLicense): the licenses, or
 *   %NULL with @error set
 */
GPtrArray *
lb_client_list_app_licenses_finish (LbClient *self, GAsyncResult *result, GError **error)
{
  return call_finish (self, result, lb_client_list_app_licenses_async, error);
}

static GListModel *
model_from_array (GPtrArray *licenses)
{
  GListStore *store = g_list_store_new (LB_TYPE_LICENSE);

  g_list_store_splice (store, 0, 0, licenses->pdata, licenses->len);
  return G_LIST_MODEL (store);
}

/**
 * lb_client_list_licenses_model_sync:
 * @self: a client
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * lb_client_list_licenses_sync() as a list model, for GTK lists.
 *
 * Returns: (transfer full): a #GListModel of #LbLicense, or %NULL with
 *   @error set
 */
GListModel *
lb_client_list_licenses_model_sync (LbClient *self, GCancellable *cancellable, GError **error)
{
  g_autoptr (GPtrArray) licenses = lb_client_list_licenses_sync (self, cancellable, error);

  return licenses != NULL ? model_from_array (licenses) : NULL;
}

/**
 * lb_client_list_licenses_model_async:
 * @self: a client
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the model
 * @user_data: data for @callback
 *
 * See lb_client_list_licenses_model_sync().
 */
void
lb_client_list_licenses_model_async (LbClient *self,
                                     GCancellable *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer user_data)
{
  list_async (self, NULL, lb_client_list_licenses_model_async, cancellable, callback, user_data);
}

/**
 * lb_client_list_licenses_model_finish:
 * @self: a client
 * @result: the result passed to the callback
 * @error: return location for a #GError
 *
 * Finishes lb_client_list_licenses_model_async().
 *
 * Returns: (transfer full): a #GListModel of #LbLicense, or %NULL with
 *   @error set
 */
GListModel *
lb_client_list_licenses_model_finish (LbClient *self, GAsyncResult *result, GError **error)
{
  g_autoptr (GPtrArray) licenses
      = call_finish (self, result, lb_client_list_licenses_model_async, error);

  return licenses != NULL ? model_from_array (licenses) : NULL;
}

/**
 * lb_client_delete_license_sync:
 * @self: a client
 * @key_id: the key id
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Deletes the caller's license with @key_id: %LB_ERROR_NOT_FOUND if its
 * app has none.
 *
 * Returns: whether it was deleted
 */
gboolean
lb_client_delete_license_sync (LbClient *self,
                               const char *key_id,
                               GCancellable *cancellable,
                               GError **error)
{
  g_autoptr (GVariant) reply = NULL;

  g_return_val_if_fail (LB_IS_CLIENT (self), FALSE);
  reply
      = call_sync (self->store, "DeleteLicense", g_variant_new ("(s)", key_id), cancellable, error);
  if (reply != NULL)
    refresh_sync (self, self->store, "LicenseCount");
  return reply != NULL;
}

/**
 * lb_client_delete_license_async:
 * @self: a client
 * @key_id: the key id
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when it is deleted
 * @user_data: data for @callback
 *
 * See lb_client_delete_license_sync().
 */
void
lb_client_delete_license_async (LbClient *self,
                                const char *key_id,
                                GCancellable *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer user_data)
{
  Call *call
      = call_async (self, self->store, "DeleteLicense", g_variant_new ("(s)", key_id), NULL, NULL,
                    NULL, lb_client_delete_license_async, cancellable, callback, user_data);

  call->refresh = "LicenseCount";
}

/**
 * lb_client_delete_license_finish:
 * @self: a client
 * @result: the result passed to the callback
 * @error: return location for a #GError
 *
 * Finishes lb_client_delete_license_async().
 *
 * Returns: whether it was deleted
 */
gboolean
lb_client_delete_license_finish (LbClient *self, GAsyncResult *result, GError **error)
{
  g_autoptr (GVariant) reply = call_finish (self, result, lb_client_delete_license_async, error);
  return reply != NULL;
}

/**
 * lb_client_delete_app_license_sync:
 * @self: a client
 * @app: the app id ("" for programs outside a sandbox)
 * @key_id: the key id
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Deletes any app's license; only for the user's own tools.
 *
 * Returns: whether it was deleted
 */
gboolean
lb_client_delete_app_license_sync (
    LbClient *self, const char *app, const char *key_id, GCancellable *cancellable, GError **error)
{
  g_autoptr (GVariant) reply = NULL;

  g_return_val_if_fail (LB_IS_CLIENT (self), FALSE);
  reply = call_sync (self->store, "DeleteAppLicense", g_variant_new ("(ss)", app, key_id),
                     cancellable, error);
  if (reply != NULL)
    refresh_sync (self, self->store, "LicenseCount");
  return reply != NULL;
}

/**
 * lb_client_delete_app_license_async:
 * @self: a client
 * @app: the app id
 * @key_id: the key id
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when it is deleted
 * @user_data: data for @callback
 *
 * See lb_client_delete_app_license_sync().
 */
void
lb_client_delete_app_license_async (LbClient *self,
                                    const char *app,
                                    const char *key_id,
                                    GCancellable *cancellable,
                                    GAsyncReadyCallback callback,
                                    gpointer user_data)
{
  Call *call = call_async (self, self->store, "DeleteAppLicense",
                           g_variant_new ("(ss)", app, key_id), NULL, NULL, NULL,
                           lb_client_delete_app_license_async, cancellable, callback, user_data);

  call->refresh = "LicenseCount";
}

/**
 * lb_client_delete_app_license_finish:
 * @self: a client
 * @result: the result passed to the callback
 * @error: return location for a #GError
 *
 * Finishes lb_client_delete_app_license_async().
 *
 * Returns: whether it was deleted
 */
gboolean
lb_client_delete_app_license_finish (LbClient *self, GAsyncResult *result, GError **error)
{
  g_autoptr (GVariant) reply
      = call_finish (self, result, lb_client_delete_app_license_async, error);
  return reply != NULL;
}

/**
 * lb_client_clean_sync:
 * @self: a client
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Removes the expired licenses: an app's own; every app's for the user's
 * own tools. 0 with @error set on failure.
 *
 * Returns: how many were removed
 */
guint
lb_client_clean_sync (LbClient *self, GCancellable *cancellable, GError **error)
{
  g_autoptr (GVariant) reply = NULL;

  g_return_val_if_fail (LB_IS_CLIENT (self), 0);
  reply = call_sync (self->store, "CleanLicenseStore",
                     g_variant_new ("(u)", LB_CLEAN_FLAGS_EXPIRED), cancellable, error);
  if (reply != NULL)
    refresh_sync (self, self->store, "LicenseCount");
  return reply != NULL ? GPOINTER_TO_UINT (removed_from_reply (reply, NULL)) - 1 : 0;
}

/**
 * lb_client_clean_async:
 * @self: a client
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * See lb_client_clean_sync().
 */
void
lb_client_clean_async (LbClient *self,
                       GCancellable *cancellable,
                       GAsyncReadyCallback callback,
                       gpointer user_data)
{
  Call *call = call_async (self, self->store, "CleanLicenseStore",
                           g_variant_new ("(u)", LB_CLEAN_FLAGS_EXPIRED), removed_from_reply, NULL,
                           NULL, lb_client_clean_async, cancellable, callback, user_data);

  call->refresh = "LicenseCount";
}

/**
 * lb_client_clean_finish:
 * @self: a client
 * @result: the result passed to the callback
 * @error: return location for a #GError
 *
 * Finishes lb_client_clean_async().
 *
 * Returns: how many were removed
 */
guint
lb_client_clean_finish (LbClient *self, GAsyncResult *result, GError **error)
{
  gpointer removed = call_finish (self, result, lb_client_clean_async, error);
  return removed != NULL ? GPOINTER_TO_UINT (removed) - 1 : 0;
}

/**
 * lb_client_list_apps_sync:
 * @self: a client
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * The apps that hold licenses, as the service's ListApps gives them: an
 * `a(sa{sv})` of app ids ("" for programs outside a sandbox) with
 * "licenses" (u) and "bytes" (t). Only for the user's own tools.
 *
 * Returns: (transfer full): the apps, or %NULL with @error set
 */
GVariant *
lb_client_list_apps_sync (LbClient *self, GCancellable *cancellable, GError **error)
{
  g_autoptr (GVariant) reply = NULL;

  g_return_val_if_fail (LB_IS_CLIENT (self), NULL);
  reply = call_sync (self->store, "ListApps", NULL, cancellable, error);
  return reply != NULL ? g_variant_get_child_value (reply, 0) : NULL;
}

/**
 * lb_client_list_apps_async:
 * @self: a client
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the apps
 * @user_data: data for @callback
 *
 * See lb_client_list_apps_sync().
 */
void
lb_client_list_apps_async (LbClient *self,
                           GCancellable *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer user_data)
{
  call_async (self, self->store, "ListApps", NULL, NULL, NULL, NULL, lb_client_list_apps_async,
              cancellable, callback, user_data);
}

/**
 * lb_client_list_apps_finish:
 * @self: a client
 * @result: the result passed to the callback
 * @error: return location for a #GError
 *
 * Finishes lb_client_list_apps_async().
 *
 * Returns: (transfer full): the apps, or %NULL with @error set
 */
GVariant *
lb_client_list_apps_finish (LbClient *self, GAsyncResult *result, GError **error)
{
  g_autoptr (GVariant) reply = call_finish (self, result, lb_client_list_apps_async, error);
  return reply != NULL ? g_variant_get_child_value (reply, 0) : NULL;
}

/* GetStatus and the folders */

/**
 * lb_client_get_status_sync:
 * @self: a client
 * @message: (out) (optional) (transfer full): "" or what went wrong
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Asks the service for the status of the running or last operation
 * (WM_BACKUP_RESTORE_STATUS). %LB_STATUS_ERROR with @error set if the
 * service cannot be asked.
 *
 * Returns: the status
 */
LbStatus
lb_client_get_status_sync (LbClient *self,
                           char **message,
                           GCancellable *cancellable,
                           GError **error)
{
  g_autoptr (GVariant) reply = NULL;
  guint32 status = LB_STATUS_ERROR;

  g_return_val_if_fail (LB_IS_CLIENT (self), LB_STATUS_ERROR);
  reply = call_sync (self->manager, "GetStatus", NULL, cancellable, error);
  if (reply == NULL)
    return LB_STATUS_ERROR;
  g_variant_get (reply, "(us)", &status, message);
  return (LbStatus) status;
}

/**
 * lb_client_get_status_async:
 * @self: a client
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the status
 * @user_data: data for @callback
 *
 * See lb_client_get_status_sync().
 */
void
lb_client_get_status_async (LbClient *self,
                            GCancellable *cancellable,
                            GAsyncReadyCallback callback,
                            gpointer user_data)
{
  call_async (self, self->manager, "GetStatus", NULL, NULL, NULL, NULL, lb_client_get_status_async,
              cancellable, callback, user_data);
}

/**
 * lb_client_get_status_finish:
 * @self: a client
 * @result: the result passed to the callback
 * @message: (out) (optional) (transfer full): "" or what went wrong
 * @error: return location for a #GError
 *
 * Finishes lb_client_get_status_async().
 *
 * Returns: the status
 */
LbStatus
lb_client_get_status_finish (LbClient *self, GAsyncResult *result, char **message, GError **error)
{
  g_autoptr (GVariant) reply = call_finish (self, result, lb_client_get_status_async, error);
  guint32 status = LB_STATUS_ERROR;

  if (reply == NULL)
    return LB_STATUS_ERROR;
  g_variant_get (reply, "(us)", &status, message);
  return (LbStatus) status;
}

/* Whether setting @property moves NextBackupTime, which is then read back
 * too. */
static gboolean
changes_next_backup (const char *property)
{
  return g_str_equal (property, "BackupPath") || g_str_equal (property, "AutomaticBackup");
}

/* Sets a manager property to @value (floating) and reads it back. */
static gboolean
set_manager_property_sync (LbClient *self,
                           const char *property,
                           GVariant *value,
                           GCancellable *cancellable,
                           GError **error)
{
  GError *local_error = NULL;
  g_autoptr (GVariant) reply = g_dbus_connection_call_sync (
      self->connection, LB_BUS_NAME, LB_OBJECT_PATH, "org.freedesktop.DBus.Properties", "Set",
      g_variant_new ("(ssv)", "org.freedesktop.LicenseBackup1", property, value), NULL,
      G_DBUS_CALL_FLAGS_NONE, -1, cancellable, &local_error);

  if (reply == NULL)
    return fail (error, local_error);
  refresh_sync (self, self->manager, property);
  if (changes_next_backup (property))
    refresh_sync (self, self->manager, "NextBackupTime");
  return TRUE;
}

static gboolean
set_path_sync (LbClient *self,
               const char *property,
               const char *path,
               GCancellable *cancellable,
               GError **error)
{
  return set_manager_property_sync (self, property, g_variant_new_string (path != NULL ? path : ""),
                                    cancellable, error);
}

static void
refresh_next_backup (GTask *task)
{
  LbClient *self = g_task_get_source_object (task);

  refresh_async (task, self->manager, "NextBackupTime", return_true);
}

static void
on_set_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  LbClient *self = g_task_get_source_object (task);
  const char *property = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr (GVariant) reply
      = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);

  if (reply == NULL)
    {
      strip_remote (error);
      g_task_return_error (task, error);
      return;
    }
  refresh_async (g_steal_pointer (&task), self->manager, property,
                 changes_next_backup (property) ? refresh_next_backup : return_true);
}

static void
set_manager_property_async (LbClient *self,
                            const char *property,
                            GVariant *value,
                            gpointer source_tag,
                            GCancellable *cancellable,
                            GAsyncReadyCallback callback,
                            gpointer user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, (gpointer) property, NULL); /* a static name */
  g_dbus_connection_call (
      self->connection, LB_BUS_NAME, LB_OBJECT_PATH, "org.freedesktop.DBus.Properties", "Set",
      g_variant_new ("(ssv)", "org.freedesktop.LicenseBackup1", property, value), NULL,
      G_DBUS_CALL_FLAGS_NONE, -1, cancellable, on_set_done, task);
}

static void
set_path_async (LbClient *self,
                const char *property,
                const char *path,
                gpointer source_tag,
                GCancellable *cancellable,
                GAsyncReadyCallback callback,
                gpointer user_data)
{
  set_manager_property_async (self, property, g_variant_new_string (path != NULL ? path : ""),
                              source_tag, cancellable, callback, user_data);
}

static GVariant *
automatic_backup_value (LbAutomaticBackup automatic)
{
  g_autoptr (GEnumClass) klass = g_type_class_ref (LB_TYPE_AUTOMATIC_BACKUP);
  GEnumValue *value = g_enum_get_value (klass, automatic);

  /* An unknown number is refused by the service as an unknown nick. */
  return g_variant_new_string (value != NULL ? value->value_nick : "");
}

/**
 * lb_client_set_automatic_backup_sync:
 * @self: a client
 * @automatic: how often to back up by itself
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Sets how often the service backs up by itself into #LbClient:backup-path.
 * Only for the user's own tools.
 *
 * Returns: whether it was set
 */
gboolean
lb_client_set_automatic_backup_sync (LbClient *self,
                                     LbAutomaticBackup automatic,
                                     GCancellable *cancellable,
                                     GError **error)
{
  return set_manager_property_sync (self, "AutomaticBackup", automatic_backup_value (automatic),
                                    cancellable, error);
}

/**
 * lb_client_set_automatic_backup_async:
 * @self: a client
 * @automatic: how often to back up by itself
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when it is set
 * @user_data: data for @callback
 *
 * See lb_client_set_automatic_backup_sync().
 */
void
lb_client_set_automatic_backup_async (LbClient *self,
                                      LbAutomaticBackup automatic,
                                      GCancellable *cancellable,
                                      GAsyncReadyCallback callback,
                                      gpointer user_data)
{
  set_manager_property_async (self, "AutomaticBackup", automatic_backup_value (automatic),
                              lb_client_set_automatic_backup_async, cancellable, callback,
                              user_data);
}

/**
 * lb_client_set_automatic_backup_finish:
 * @self: a client
 * @result: the result passed to the callback
 * @error: return location for a #GError
 *
 * Finishes lb_client_set_automatic_backup_async().
 *
 * Returns: whether it was set
 */
gboolean
lb_client_set_automatic_backup_finish (LbClient *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * lb_client_set_keep_backups_sync:
 * @self: a client
 * @keep: how many backups a backup folder keeps, 1 to %LB_KEEP_BACKUPS_MAX
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Sets how many backups a backup folder keeps: a backup removes the
 * oldest beyond @keep once it is complete. Only for the user's own tools.
 *
 * Returns: whether it was set
 */
gboolean
lb_client_set_keep_backups_sync (LbClient *self,
                                 guint keep,
                                 GCancellable *cancellable,
                                 GError **error)
{
  return set_manager_property_sync (self, "KeepBackups", g_variant_new_uint32 (keep), cancellable,
                                    error);
}

/**
 * lb_client_list_backups_sync:
 * @self: a client
 * @location: (nullable): a folder, or %NULL for the folder a restore reads
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * The backups (generations) in a folder, newest first, each its file name
 * and details ("time", unix seconds, and "bytes"); a name is what
 * lb_client_restore_generation_sync() takes. Only for the user's own tools.
 *
 * Returns: (transfer full): an `a(sa{sv})`, or %NULL with @error set
 */
GVariant *
lb_client_list_backups_sync (LbClient *self,
                             const char *location,
                             GCancellable *cancellable,
                             GError **error)
{
  GVariantBuilder options;
  g_autoptr (GVariant) reply = NULL;

  g_return_val_if_fail (LB_IS_CLIENT (self), NULL);
  g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
  if (location != NULL)
    g_variant_builder_add (&options, "{sv}", "path", g_variant_new_string (location));
  reply = call_sync (self->manager, "ListBackups", g_variant_new ("(a{sv})", &options), cancellable,
                     error);
  if (reply == NULL)
    return NULL;
  return g_variant_get_child_value (reply, 0);
}

static gpointer
backups_from_reply (GVariant *reply, const char *key_id)
{
  return g_variant_get_child_value (reply, 0);
}

/**
 * lb_client_list_backups_async:
 * @self: a client
 * @location: (nullable): a folder, or %NULL for the folder a restore reads
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the backups
 * @user_data: data for @callback
 *
 * See lb_client_list_backups_sync().
 */
void
lb_client_list_backups_async (LbClient *self,
                              const char *location,
                              GCancellable *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer user_data)
{
  GVariantBuilder options;

  g_return_if_fail (LB_IS_CLIENT (self));
  g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
  if (location != NULL)
    g_variant_builder_add (&options, "{sv}", "path", g_variant_new_string (location));
  call_async (self, self->manager, "ListBackups", g_variant_new ("(a{sv})", &options),
              backups_from_reply, (GDestroyNotify) g_variant_unref, NULL,
              lb_client_list_backups_async, cancellable, callback, user_data);
}

/**
 * lb_client_list_backups_finish:
 * @self: a client
 * @result: the result passed to the callback
 * @error: return location for a #GError
 *
 * Finishes lb_client_list_backups_async().
 *
 * Returns: (transfer full): an `a(sa{sv})`, or %NULL with @error set
 */
GVariant *
lb_client_list_backups_finish (LbClient *self, GAsyncResult *result, GError **error)
{
  return call_finish (self, result, lb_client_list_backups_async, error);
}

/**
 * lb_client_set_backup_path_sync:
 * @self: a client
 * @path: (nullable): a folder: an absolute path or a URI; "" or %NULL unsets it
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Sets where backups go. Only for the user's own tools.
 *
 * Returns: whether it was set
 */
gboolean
lb_client_set_backup_path_sync (LbClient *self,
                                const char *path,
                                GCancellable *cancellable,
                                GError **error)
{
  return set_path_sync (self, "BackupPath", path, cancellable, error);
}

/**
 * lb_client_set_backup_path_async:
 * @self: a client
 * @path: (nullable): the folder
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when it is set
 * @user_data: data for @callback
 *
 * See lb_client_set_backup_path_sync().
 */
void
lb_client_set_backup_path_async (LbClient *self,
                                 const char *path,
                                 GCancellable *cancellable,
                                 GAsyncReadyCallback callback,
                                 gpointer user_data)
{
  set_path_async (self, "BackupPath", path, lb_client_set_backup_path_async, cancellable, callback,
                  user_data);
}

/**
 * lb_client_set_backup_path_finish:
 * @self: a client
 * @result: the result passed to the callback
 * @error: return location for a #GError
 *
 * Finishes lb_client_set_backup_path_async().
 *
 * Returns: whether it was set
 */
gboolean
lb_client_set_backup_path_finish (LbClient *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * lb_client_set_restore_path_sync:
 * @self: a client
 * @path: (nullable): a folder; "" or %NULL unsets it
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Sets where restores read from. Only for the user's own tools.
 *
 * Returns: whether it was set
 */
gboolean
lb_client_set_restore_path_sync (LbClient *self,
                                 const char *path,
                                 GCancellable *cancellable,
                                 GError **error)
{
  return set_path_sync (self, "RestorePath", path, cancellable, error);
}

/**
 * lb_client_set_restore_path_async:
 * @self: a client
 * @path: (nullable): the folder
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when it is set
 * @user_data: data for @callback
 *
 * See lb_client_set_restore_path_sync().
 */
void
lb_client_set_restore_path_async (LbClient *self,
                                  const char *path,
                                  GCancellable *cancellable,
                                  GAsyncReadyCallback callback,
                                  gpointer user_data)
{
  set_path_async (self, "RestorePath", path, lb_client_set_restore_path_async, cancellable,
                  callback, user_data);
}

/**
 * lb_client_set_restore_path_finish:
 * @self: a client
 * @result: the result passed to the callback
 * @error: return location for a #GError
 *
 * Finishes lb_client_set_restore_path_async().
 *
 * Returns: whether it was set
 */
gboolean
lb_client_set_restore_path_finish (LbClient *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Backup and restore: start the operation, follow its signals to the
 * Completed one, and cancel it in the service when the caller cancels. */

typedef struct
{
  LbClient *self;
  gboolean restore;
  guint64 id; /* 0 until the start call returned */
  gboolean cancel_wanted;
  LbOperationResult *result;
  gulong handlers[5];
  gulong cancelled_id;
  guint owner_watch;
  GTask *task; /* weak: set while following */
} Follow;

static void follow_free (Follow *f);

static void
follow_disconnect (Follow *f)
{
  for (guint i = 0; i < G_N_ELEMENTS (f->handlers); i++)
    g_clear_signal_handler (&f->handlers[i], f->self->manager);
}

static void
follow_free (Follow *f)
{
  follow_disconnect (f);
  g_clear_object (&f->result);
  g_clear_object (&f->self);
  g_free (f);
}

static void
follow_end (Follow *f, GError *error)
{
  GTask *task = f->task;
  GCancellable *cancellable = g_task_get_cancellable (task);

  f->task = NULL;
  follow_disconnect (f);
  if (f->cancelled_id != 0)
    {
      g_cancellable_disconnect (cancellable, f->cancelled_id);
      f->cancelled_id = 0;
    }
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, g_steal_pointer (&f->result), g_object_unref);
  g_object_unref (task);
}

static void
send_cancel (Follow *f)
{
  /* The service answers NotRunning if it ended meanwhile: Completed says
   * how it ended either way. */
  if (f->restore)
    lb_dbus_manager_call_cancel_license_restore (f->self->manager, NULL, NULL, NULL);
  else
    lb_dbus_manager_call_cancel_license_backup (f->self->manager, NULL, NULL, NULL);
}

static gboolean
cancel_in_context (gpointer user_data)
{
  GTask *task = user_data;
  Follow *f = g_task_get_task_data (task);

  if (f->task == NULL)
    return G_SOURCE_REMOVE; /* it ended meanwhile */
  if (f->id != 0)
    send_cancel (f);
  else
    f->cancel_wanted = TRUE; /* on_started sends it */
  return G_SOURCE_REMOVE;
}

/* From whichever thread cancels: the follower's context does the rest.
 * follow_end() disconnects this first, so @user_data is alive here. */
static void
on_cancelled (GCancellable *cancellable, gpointer user_data)
{
  GTask *task = user_data;

  g_main_context_invoke_full (g_task_get_context (task), G_PRIORITY_DEFAULT, cancel_in_context,
                              g_object_ref (task), g_object_unref);
}

static void
on_restricted (LbDBusManager *m,
               guint64 op,
               const char *key_id,
               const char *reason,
               const char *app,
               Follow *f)
{
  if (f->id != 0 && op == f->id)
    lb_operation_result_add_restricted (f->result, key_id, reason, app);
}

static void
on_app_counts (LbDBusManager *m, guint64 op, GVariant *counts, Follow *f)
{
  if (f->id != 0 && op == f->id)
    lb_operation_result_set_app_counts (f->result, counts);
}

static void
on_support_url (LbDBusManager *m, guint64 op, const char *app, const char *url, Follow *f)
{
  if (f->id != 0 && op == f->id)
    lb_operation_result_set_support_url (f->result, url);
}

static void
end_restore (GTask *task)
{
  Follow *f = g_task_get_task_data (task);

  if (f->task != NULL) /* unless the service went away meanwhile */
    follow_end (f, NULL);
  g_object_unref (task);
}

static void
on_completed (
    LbDBusManager *m, guint64 op, guint status, const char *message, GVariant *summary, Follow *f)
{
  GError *error = completed_error (status, message, summary);

  if (f->id == 0 || op != f->id || f->task == NULL)
    {
      g_clear_error (&error);
      return;
    }
  lb_operation_result_set_end (f->result, (LbStatus) status, message, summary);
  /* The restored licenses count before the restore returns (see
   * update_cached): the Store's PropertiesChanged may come later. */
  if (error == NULL && f->restore)
    refresh_async (g_object_ref (f->task), f->self->store, "LicenseCount", end_restore);
  else
    follow_end (f, error);
}

static void
on_owner_changed (GObject *proxy, GParamSpec *pspec, Follow *f)
{
  g_autofree char *owner = g_dbus_proxy_get_name_owner (G_DBUS_PROXY (proxy));

  if (owner != NULL || f->task == NULL)
    return;
  follow_end (f, g_error_new_literal (
                     LB_ERROR, LB_ERROR_FAILED,
                     _ ("The license backup service stopped during the operation; try again")));
}

static void
on_started (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  Follow *f = g_task_get_task_data (task);
  GError *error = NULL;
  guint64 id = 0;
  gboolean ok = f->restore ? lb_dbus_manager_call_restore_licenses_finish (LB_DBUS_MANAGER (source),
                                                                           &id, result, &error)
                           : lb_dbus_manager_call_backup_licenses_finish (LB_DBUS_MANAGER (source),
                                                                          &id, result, &error);

  if (f->task == NULL)
    {
      g_clear_error (&error);
      return; /* the service went away first */
    }
  if (!ok)
    {
      strip_remote (error);
      follow_end (f, error);
      return;
    }
  /* The service replies before it sends any signal of the operation, and
   * the bus keeps that order. */
  f->id = id;
  g_clear_object (&f->result);
  f->result = lb_operation_result_new (id);
  if (f->cancel_wanted)
    send_cancel (f);
}

static void
operation_async (LbClient *self,
                 gboolean restore,
                 guint32 flags,
                 const char *location,
                 const char *generation,
                 gpointer source_tag,
                 GCancellable *cancellable,
                 GAsyncReadyCallback callback,
                 gpointer user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Follow *f = g_new0 (Follow, 1);
  GVariantBuilder options;

  g_task_set_source_tag (task, source_tag);
  /* Cancelling cancels in the service, which then reports Cancelled. */
  g_task_set_check_cancellable (task, FALSE);
  g_task_set_task_data (task, f, (GDestroyNotify) follow_free);
  f->self = g_object_ref (self);
  f->restore = restore;
  f->task = task;
  f->result = lb_operation_result_new (0);
  f->handlers[0]
      = g_signal_connect (self->manager, "restricted-license", G_CALLBACK (on_restricted), f);
  f->handlers[1] = g_signal_connect (self->manager, "app-counts", G_CALLBACK (on_app_counts), f);
  f->handlers[2] = g_signal_connect (self->manager, "support-url", G_CALLBACK (on_support_url), f);
  f->handlers[3]
      = g_signal_connect (self->manager, restore ? "restore-completed" : "backup-completed",
                          G_CALLBACK (on_completed), f);
  f->handlers[4]
      = g_signal_connect (self->manager, "notify::g-name-owner", G_CALLBACK (on_owner_changed), f);
  if (cancellable != NULL)
    {
      /* Runs at once if already cancelled: then it is sent once started. */
      f->cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (on_cancelled), task, NULL);
    }

  g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
  if (location != NULL)
    g_variant_builder_add (&options, "{sv}", "path", g_variant_new_string (location));
  if (generation != NULL)
    g_variant_builder_add (&options, "{sv}", "generation", g_variant_new_string (generation));
  if (restore)
    lb_dbus_manager_call_restore_licenses (self->manager, flags, g_variant_builder_end (&options),
                                           NULL, on_started, g_object_ref (task));
  else
    lb_dbus_manager_call_backup_licenses (self->manager, flags, g_variant_builder_end (&options),
                                          NULL, on_started, g_object_ref (task));
}

/* The _sync forms of backup and restore: the signals that end them come
 * in the context the client was made in, so that context runs until the
 * operation ends, here or, when another thread owns it, there. */

typedef struct
{
  GMutex lock;
  GCond cond;
  GAsyncResult *result;
} SyncWait;

static void
sync_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SyncWait *w = user_data;

  g_mutex_lock (&w->lock);
  w->result = g_object_ref (result);
  g_cond_signal (&w->cond);
  g_mutex_unlock (&w->lock);
}

typedef struct
{
  LbClient *self;
  gboolean restore;
  guint32 flags;
  const char *location;
  const char *generation;
  GCancellable *cancellable;
  SyncWait *wait;
} SyncStart;

static gboolean
start_in_context (gpointer user_data)
{
  SyncStart *s = user_data;
  gpointer tag
      = s->restore ? (gpointer) lb_client_restore_async : (gpointer) lb_client_backup_async;

  operation_async (s->self, s->restore, s->flags, s->location, s->generation, tag, s->cancellable,
                   sync_done, s->wait);
  return G_SOURCE_REMOVE;
}

static LbOperationResult *
operation_sync (LbClient *self,
                gboolean restore,
                guint32 flags,
                const char *location,
                const char *generation,
                GCancellable *cancellable,
                GError **error)
{
  SyncWait w = { 0 };
  SyncStart s = { self, restore, flags, location, generation, cancellable, &w };
  LbOperationResult *result;

  g_mutex_init (&w.lock);
  g_cond_init (&w.cond);
  if (g_main_context_acquire (self->context))
    {
      g_main_context_push_thread_default (self->context);
      start_in_context (&s);
      while (g_atomic_pointer_get (&w.result) == NULL)
        g_main_context_iteration (self->context, TRUE);
      g_main_context_pop_thread_default (self->context);
      g_main_context_release (self->context);
    }
  else
    {
      /* Another thread runs the context: start there, wait here. */
      g_main_context_invoke (self->context, start_in_context, &s);
      g_mutex_lock (&w.lock);
      while (w.result == NULL)
        g_cond_wait (&w.cond, &w.lock);
      g_mutex_unlock (&w.lock);
    }
  result = g_task_propagate_pointer (G_TASK (w.result), error);
  g_object_unref (w.result);
  g_mutex_clear (&w.lock);
  g_cond_clear (&w.cond);
  return result;
}

/**
 * lb_client_backup_sync:
 * @self: a client
 * @flags: %LB_BACKUP_FLAGS_OVERWRITE to replace a backup at the location
 * @location: (nullable): a folder (path or URI), or %NULL for
 *   #LbClient:backup-path
 * @cancellable: (nullable): cancelling it cancels the backup in the service
 * @error: return location for a #GError
 *
 * Backs up every license that may be backed up, of every app, and follows
 * the backup to its end; meanwhile the client's properties notify its
 * progress. Only for the user's own tools (apps get
 * %LB_ERROR_PERMISSION_DENIED). Fails with the service's error, e.g.
 * %LB_ERROR_BACKUP_EXISTS, %LB_ERROR_NOT_SET or %LB_ERROR_CANCELLED.
 *
 * Returns: (transfer full): the result, or %NULL with @error set
 */
LbOperationResult *
lb_client_backup_sync (LbClient *self,
                       LbBackupFlags flags,
                       const char *location,
                       GCancellable *cancellable,
                       GError **error)
{
  g_return_val_if_fail (LB_IS_CLIENT (self), NULL);
  return operation_sync (self, FALSE, flags, location, NULL, cancellable, error);
}

/**
 * lb_client_backup_async:
 * @self: a client
 * @flags: the backup's flags
 * @location: (nullable): a folder, or %NULL for #LbClient:backup-path
 * @cancellable: (nullable): cancelling it cancels the backup in the service
 * @callback: called when the backup has ended
 * @user_data: data for @callback
 *
 * See lb_client_backup_sync().
 */
void
lb_client_backup_async (LbClient *self,
                        LbBackupFlags flags,
                        const char *location,
                        GCancellable *cancellable,
                        GAsyncReadyCallback callback,
                        gpointer user_data)
{
  g_return_if_fail (LB_IS_CLIENT (self));
  operation_async (self, FALSE, flags, location, NULL, lb_client_backup_async, cancellable,
                   callback, user_data);
}

/**
 * lb_client_backup_finish:
 * @self: a client
 * @result: the result passed to the callback
 * @error: return location for a #GError
 *
 * Finishes lb_client_backup_async().
 *
 * Returns: (transfer full): the result, or %NULL with @error set
 */
LbOperationResult *
lb_client_backup_finish (LbClient *self, GAsyncResult *result, GError **error)
{
  return call_finish (self, result, lb_client_backup_async, error);
}

/**
 * lb_client_restore_sync:
 * @self: a client
 * @flags: %LB_RESTORE_FLAGS_INDIVIDUALIZE: the user consents to binding
 *   another computer's licenses to this one
 * @location: (nullable): a folder, or %NULL for #LbClient:restore-path
 * @cancellable: (nullable): cancelling it cancels the restore in the service
 * @error: return location for a #GError
 *
 * Restores the licenses of a backup, each into its app, and follows the
 * restore to its end. A backup from another computer without the flag
 * fails with %LB_ERROR_NEEDS_INDIVIDUALIZATION. A restore that left
 * licenses out for their restore limit returns a result with
 * %LB_STATUS_ERROR_WITHURL and #LbOperationResult:support-url.
 *
 * Returns: (transfer full): the result, or %NULL with @error set
 */
LbOperationResult *
lb_client_restore_sync (LbClient *self,
                        LbRestoreFlags flags,
                        const char *location,
                        GCancellable *cancellable,
                        GError **error)
{
  g_return_val_if_fail (LB_IS_CLIENT (self), NULL);
  return operation_sync (self, TRUE, flags, location, NULL, cancellable, error);
}

/**
 * lb_client_restore_async:
 * @self: a client
 * @flags: the restore's flags
 * @location: (nullable): a folder, or %NULL for #LbClient:restore-path
 * @cancellable: (nullable): cancelling it cancels the restore in the service
 * @callback: called when the restore has ended
 * @user_data: data for @callback
 *
 * See lb_client_restore_sync().
 */
void
lb_client_restore_async (LbClient *self,
                         LbRestoreFlags flags,
                         const char *location,
                         GCancellable *cancellable,
                         GAsyncReadyCallback callback,
                         gpointer user_data)
{
  g_return_if_fail (LB_IS_CLIENT (self));
  operation_async (self, TRUE, flags, location, NULL, lb_client_restore_async, cancellable,
                   callback, user_data);
}

/**
 * lb_client_restore_generation_sync:
 * @self: a client
 * @flags: the restore's flags
 * @location: (nullable): a folder, or %NULL for #LbClient:restore-path
 * @generation: (nullable): the backup to restore, a name that
 *   lb_client_list_backups_sync() gives, or %NULL for the newest
 * @cancellable: (nullable): cancelling it cancels the restore in the service
 * @error: return location for a #GError
 *
 * lb_client_restore_sync() of one backup of the folder.
 *
 * Returns: (transfer full): the result, or %NULL with @error set
 */
LbOperationResult *
lb_client_restore_generation_sync (LbClient *self,
                                   LbRestoreFlags flags,
                                   const char *location,
                                   const char *generation,
                                   GCancellable *cancellable,
                                   GError **error)
{
  g_return_val_if_fail (LB_IS_CLIENT (self), NULL);
  return operation_sync (self, TRUE, flags, location, generation, cancellable, error);
}

/**
 * lb_client_restore_generation_async:
 * @self: a client
 * @flags: the restore's flags
 * @location: (nullable): a folder, or %NULL for #LbClient:restore-path
 * @generation: (nullable): the backup to restore, or %NULL for the newest
 * @cancellable: (nullable): cancelling it cancels the restore in the service
 * @callback: called when the restore has ended
 * @user_data: data for @callback
 *
 * See lb_client_restore_generation_sync(); finish it with
 * lb_client_restore_finish().
 */
void
lb_client_restore_generation_async (LbClient *self,
                                    LbRestoreFlags flags,
                                    const char *location,
                                    const char *generation,
                                    GCancellable *cancellable,
                                    GAsyncReadyCallback callback,
                                    gpointer user_data)
{
  g_return_if_fail (LB_IS_CLIENT (self));
  operation_async (self, TRUE, flags, location, generation, lb_client_restore_async, cancellable,
                   callback, user_data);
}

/**
 * lb_client_restore_finish:
 * @self: a client
 * @result: the result passed to the callback
 * @error: return location for a #GError
 *
 * Finishes lb_client_restore_async().
 *
 * Returns: (transfer full): the result, or %NULL with @error set
 */
LbOperationResult *
lb_client_restore_finish (LbClient *self, GAsyncResult *result, GError **error)
{
  return call_finish (self, result, lb_client_restore_async, error);
}

/* GObject */

static void
lb_client_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  LbClient *self = LB_CLIENT (object);

  if (prop_id != PROP_CONNECTION && (self->manager == NULL || self->store == NULL))
    {
      g_param_value_set_default (pspec, value);
      return;
    }
  switch (prop_id)
    {
    case PROP_CONNECTION:
      g_value_set_object (value, self->connection);
      break;
    case PROP_LICENSE_COUNT:
      g_value_set_uint (value, lb_client_get_license_count (self));
      break;
    case PROP_STATUS:
      g_value_set_enum (value, lb_client_get_status (self));
      break;
    case PROP_PROGRESS:
      g_value_set_double (value, lb_client_get_progress (self));
      break;
    case PROP_LICENSES_DONE:
      g_value_set_uint64 (value, lb_client_get_licenses_done (self));
      break;
    case PROP_LICENSES_TOTAL:
      g_value_set_uint64 (value, lb_client_get_licenses_total (self));
      break;
    case PROP_CANCELABLE:
      g_value_set_boolean (value, lb_client_get_cancelable (self));
      break;
    case PROP_OPERATION:
      g_value_set_string (value, lb_client_get_operation (self));
      break;
    case PROP_LAST_OPERATION:
      g_value_set_string (value, lb_client_get_last_operation (self));
      break;
    case PROP_OPERATION_ID:
      g_value_set_uint64 (value, lb_client_get_operation_id (self));
      break;
    case PROP_BACKUP_PATH:
      g_value_set_string (value, lb_client_get_backup_path (self));
      break;
    case PROP_RESTORE_PATH:
      g_value_set_string (value, lb_client_get_restore_path (self));
      break;
    case PROP_LAST_BACKUP_TIME:
      g_value_set_int64 (value, lb_client_get_last_backup_time (self));
      break;
    case PROP_SERVICE_RUNNING:
      g_value_set_boolean (value, lb_client_get_service_running (self));
      break;
    case PROP_AUTOMATIC_BACKUP:
      g_value_set_enum (value, lb_client_get_automatic_backup (self));
      break;
    case PROP_NEXT_BACKUP_TIME:
      g_value_set_int64 (value, lb_client_get_next_backup_time (self));
      break;
    case PROP_KEEP_BACKUPS:
      g_value_set_uint (value, lb_client_get_keep_backups (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lb_client_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  LbClient *self = LB_CLIENT (object);

  switch (prop_id)
    {
    case PROP_CONNECTION:
      self->connection = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lb_client_dispose (GObject *object)
{
  LbClient *self = LB_CLIENT (object);

  watch_stop (self);
  g_clear_object (&self->manager);
  g_clear_object (&self->store);
  g_clear_object (&self->connection);
  G_OBJECT_CLASS (lb_client_parent_class)->dispose (object);
}

static void
lb_client_finalize (GObject *object)
{
  LbClient *self = LB_CLIENT (object);

  g_main_context_unref (self->context);
  G_OBJECT_CLASS (lb_client_parent_class)->finalize (object);
}

static void
lb_client_class_init (LbClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  object_class->get_property = lb_client_get_property;
  object_class->set_property = lb_client_set_property;
  object_class->dispose = lb_client_dispose;
  object_class->finalize = lb_client_finalize;
  /* The library's messages, in the app's language. */
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");

  /**
   * LbClient:connection:
   *
   * The bus connection; the session bus unless given at construction.
   */
  props[PROP_CONNECTION]
      = g_param_spec_object ("connection", NULL, NULL, G_TYPE_DBUS_CONNECTION,
                             G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * LbClient:license-count:
   *
   * The number of licenses in the store, of every app.
   */
  props[PROP_LICENSE_COUNT] = g_param_spec_uint ("license-count", NULL, NULL, 0, G_MAXUINT, 0, ro);
  /**
   * LbClient:status:
   *
   * The status of the running or last operation.
   */
  props[PROP_STATUS]
      = g_param_spec_enum ("status", NULL, NULL, LB_TYPE_STATUS, LB_STATUS_INFORMATION, ro);
  /**
   * LbClient:progress:
   *
   * How far the running or last operation got, 0 to 1.
   */
  props[PROP_PROGRESS] = g_param_spec_double ("progress", NULL, NULL, 0.0, 1.0, 0.0, ro);
  /**
   * LbClient:licenses-done:
   *
   * The licenses the running or last operation processed.
   */
  props[PROP_LICENSES_DONE]
      = g_param_spec_uint64 ("licenses-done", NULL, NULL, 0, G_MAXUINT64, 0, ro);
  /**
   * LbClient:licenses-total:
   *
   * The licenses the running or last operation processes.
   */
  props[PROP_LICENSES_TOTAL]
      = g_param_spec_uint64 ("licenses-total", NULL, NULL, 0, G_MAXUINT64, 0, ro);
  /**
   * LbClient:cancelable:
   *
   * Whether cancelling the running operation has an effect now.
   */
  props[PROP_CANCELABLE] = g_param_spec_boolean ("cancelable", NULL, NULL, FALSE, ro);
  /**
   * LbClient:operation:
   *
   * "backup" or "restore" while one runs, else "".
   */
  props[PROP_OPERATION] = g_param_spec_string ("operation", NULL, NULL, "", ro);
  /**
   * LbClient:last-operation:
   *
   * "backup" or "restore": the running or last operation.
   */
  props[PROP_LAST_OPERATION] = g_param_spec_string ("last-operation", NULL, NULL, "", ro);
  /**
   * LbClient:operation-id:
   *
   * The id of the running or last operation, 0 if none ran.
   */
  props[PROP_OPERATION_ID]
      = g_param_spec_uint64 ("operation-id", NULL, NULL, 0, G_MAXUINT64, 0, ro);
  /**
   * LbClient:backup-path:
   *
   * Where backups go; set it with lb_client_set_backup_path_sync().
   */
  props[PROP_BACKUP_PATH] = g_param_spec_string ("backup-path", NULL, NULL, "", ro);
  /**
   * LbClient:restore-path:
   *
   * Where restores read from; set it with lb_client_set_restore_path_sync().
   */
  props[PROP_RESTORE_PATH] = g_param_spec_string ("restore-path", NULL, NULL, "", ro);
  /**
   * LbClient:last-backup-time:
   *
   * When the last backup succeeded (unix seconds), 0 if never.
   */
  props[PROP_LAST_BACKUP_TIME]
      = g_param_spec_int64 ("last-backup-time", NULL, NULL, 0, G_MAXINT64, 0, ro);
  /**
   * LbClient:automatic-backup:
   *
   * How often the service backs up by itself; set it with
   * lb_client_set_automatic_backup_sync().
   */
  props[PROP_AUTOMATIC_BACKUP] = g_param_spec_enum (
      "automatic-backup", NULL, NULL, LB_TYPE_AUTOMATIC_BACKUP, LB_AUTOMATIC_BACKUP_DEFAULT, ro);
  /**
   * LbClient:next-backup-time:
   *
   * From when the next automatic backup is due (unix seconds), 0 when none
   * is planned.
   */
  props[PROP_NEXT_BACKUP_TIME]
      = g_param_spec_int64 ("next-backup-time", NULL, NULL, 0, G_MAXINT64, 0, ro);
  /**
   * LbClient:keep-backups:
   *
   * How many backups a backup folder keeps; set it with
   * lb_client_set_keep_backups_sync().
   */
  props[PROP_KEEP_BACKUPS] = g_param_spec_uint ("keep-backups", NULL, NULL, 1, LB_KEEP_BACKUPS_MAX,
                                                LB_KEEP_BACKUPS_DEFAULT, ro);
  watch_class_init (klass);
  g_object_class_install_properties (object_class, N_PROPS, props);
}

static void
lb_client_init (LbClient *self)
{
  self->context = g_main_context_ref_thread_default ();
}

/* Cancelling an operation whoever started it, the partial result of one
 * that failed, and whether the service runs: what the user's own tools
 * (the license-backup command) need besides the calls above. */

static void
on_cancel_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  GError *error = NULL;
  g_autoptr (GVariant) reply = g_dbus_proxy_call_finish (G_DBUS_PROXY (source), result, &error);

  if (reply == NULL)
    {
      strip_remote (error);
      g_task_return_error (task, error);
    }
  else
    g_task_return_boolean (task, TRUE);
}

static void
cancel_async (LbClient *self,
              const char *method,
              gpointer source_tag,
              GCancellable *cancellable,
              GAsyncReadyCallback callback,
              gpointer user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_dbus_proxy_call (G_DBUS_PROXY (self->manager), method, NULL, G_DBUS_CALL_FLAGS_NONE, -1,
                     cancellable, on_cancel_done, task);
}

static gboolean
cancel_finish (LbClient *self, GAsyncResult *result, gpointer source_tag, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * lb_client_cancel_backup_sync:
 * @self: a client
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Cancels the running backup, whoever started it (IWMLicenseBackup's
 * CancelLicenseBackup). The service answers at once; the backup ends soon
 * after with %LB_ERROR_CANCELLED, keeping the previous backup file.
 * Fails with %LB_ERROR_NOT_RUNNING when no backup runs (#LbClient:operation
 * says which operation runs). To cancel a backup this client follows,
 * cancel the #GCancellable given to lb_client_backup_async() instead. Only
 * for the user's own tools.
 *
 * Returns: whether the service took the request
 */
gboolean
lb_client_cancel_backup_sync (LbClient *self, GCancellable *cancellable, GError **error)
{
  g_autoptr (GVariant) reply = NULL;

  g_return_val_if_fail (LB_IS_CLIENT (self), FALSE);
  reply = call_sync (self->manager, "CancelLicenseBackup", NULL, cancellable, error);
  return reply != NULL;
}

/**
 * lb_client_cancel_backup_async:
 * @self: a client
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the service answered
 * @user_data: data for @callback
 *
 * See lb_client_cancel_backup_sync().
 */
void
lb_client_cancel_backup_async (LbClient *self,
                               GCancellable *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer user_data)
{
  g_return_if_fail (LB_IS_CLIENT (self));
  cancel_async (self, "CancelLicenseBackup", lb_client_cancel_backup_async, cancellable, callback,
                user_data);
}

/**
 * lb_client_cancel_backup_finish:
 * @self: a client
 * @result: the result passed to the callback
 * @error: return location for a #GError
 *
 * Finishes lb_client_cancel_backup_async().
 *
 * Returns: whether the service took the request
 */
gboolean
lb_client_cancel_backup_finish (LbClient *self, GAsyncResult *result, GError **error)
{
  return cancel_finish (self, result, lb_client_cancel_backup_async, error);
}

/**
 * lb_client_cancel_restore_sync:
 * @self: a client
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Cancels the running restore, whoever started it (IWMLicenseRestore's
 * CancelLicenseRestore); it ends with %LB_ERROR_CANCELLED and restores
 * nothing. Fails with %LB_ERROR_NOT_RUNNING when no restore runs. Only
 * for the user's own tools.
 *
 * Returns: whether the service took the request
 */
gboolean
lb_client_cancel_restore_sync (LbClient *self, GCancellable *cancellable, GError **error)
{
  g_autoptr (GVariant) reply = NULL;

  g_return_val_if_fail (LB_IS_CLIENT (self), FALSE);
  reply = call_sync (self->manager, "CancelLicenseRestore", NULL, cancellable, error);
  return reply != NULL;
}

/**
 * lb_client_cancel_restore_async:
 * @self: a client
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the service answered
 * @user_data: data for @callback
 *
 * See lb_client_cancel_restore_sync().
 */
void
lb_client_cancel_restore_async (LbClient *self,
                                GCancellable *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer user_data)
{
  g_return_if_fail (LB_IS_CLIENT (self));
  cancel_async (self, "CancelLicenseRestore", lb_client_cancel_restore_async, cancellable, callback,
                user_data);
}

/**
 * lb_client_cancel_restore_finish:
 * @self: a client
 * @result: the result passed to the callback
 * @error: return location for a #GError
 *
 * Finishes lb_client_cancel_restore_async().
 *
 * Returns: whether the service took the request
 */
gboolean
lb_client_cancel_restore_finish (LbClient *self, GAsyncResult *result, GError **error)
{
  return cancel_finish (self, result, lb_client_cancel_restore_async, error);
}

/**
 * lb_client_get_failed_result:
 * @self: a client
 * @result: the #GAsyncResult that lb_client_backup_async() or
 *   lb_client_restore_async() passed to its callback
 *
 * What the service reported of a backup or restore whose
 * lb_client_backup_finish() or lb_client_restore_finish() failed: its
 * id, the licenses it left out until then and, once the service told how
 * it ended, its status (%LB_STATUS_ERROR, or
 * %LB_STATUS_NEEDS_INDIVIDUALIZATION), message and summary
 * (lb_operation_result_get_summary()). When the service stopped during the
 * operation, the summary is %NULL.
 *
 * Returns: (transfer full) (nullable): the partial result; %NULL when the
 *   operation succeeded, or never started (the service refused to start
 *   it: the finish function's error says why)
 */
LbOperationResult *
lb_client_get_failed_result (LbClient *self, GAsyncResult *result)
{
  Follow *f;

  g_return_val_if_fail (LB_IS_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == lb_client_backup_async
                            || g_task_get_source_tag (G_TASK (result)) == lb_client_restore_async,
                        NULL);
  f = g_task_get_task_data (G_TASK (result));
  /* A success hands f->result to the task; a failure leaves it here. */
  if (f == NULL || f->id == 0 || f->result == NULL)
    return NULL;
  return g_object_ref (f->result);
}

/**
 * lb_client_get_service_running:
 * @self: a client
 *
 * Whether the service runs now. %FALSE when D-Bus activation could not
 * start it (it is not installed, or the bus has no activation for it) or
 * it stopped since; the next call starts it again if it can.
 *
 * Returns: whether the service has a name owner on the bus
 */
gboolean
lb_client_get_service_running (LbClient *self)
{
  g_autofree char *owner = NULL;

  g_return_val_if_fail (LB_IS_CLIENT (self), FALSE);
  owner = g_dbus_proxy_get_name_owner (G_DBUS_PROXY (self->manager));
  return owner != NULL;
}

/* Every operation, whoever started it: what a settings page or a status
 * command shows of backups and restores that others start. The details of
 * an operation (RestrictedLicense, AppCounts, SupportUrl) come only to the
 * client that started it and to subscribers; its end comes to everyone. */

static LbOperationResult *
watch_result_for (LbClient *self, guint64 op)
{
  if (self->watch_result == NULL || self->watch_op != op)
    {
      g_clear_object (&self->watch_result);
      self->watch_result = lb_operation_result_new (op);
      self->watch_op = op;
    }
  return self->watch_result;
}

static void
on_watch_restricted (LbDBusManager *m,
                     guint64 op,
                     const char *key_id,
                     const char *reason,
                     const char *app,
                     LbClient *self)
{
  lb_operation_result_add_restricted (watch_result_for (self, op), key_id, reason, app);
}

static void
on_watch_app_counts (LbDBusManager *m, guint64 op, GVariant *counts, LbClient *self)
{
  lb_operation_result_set_app_counts (watch_result_for (self, op), counts);
}

static void
on_watch_support_url (
    LbDBusManager *m, guint64 op, const char *app, const char *url, LbClient *self)
{
  lb_operation_result_set_support_url (watch_result_for (self, op), url);
}

static void
watch_completed (LbClient *self,
                 const char *operation,
                 guint64 op,
                 guint status,
                 const char *message,
                 GVariant *summary)
{
  g_autoptr (LbOperationResult) result = g_object_ref (watch_result_for (self, op));
  g_autoptr (GError) error = NULL;

  self->watch_op = 0;
  g_clear_object (&self->watch_result);
  lb_operation_result_set_end (result, (LbStatus) status, message, summary);
  error = completed_error (status, message, summary);
  g_signal_emit (self, signals[SIGNAL_OPERATION_COMPLETED], 0, operation, result, error);
}

static void
on_watch_backup_completed (LbDBusManager *m,
                           guint64 op,
                           guint status,
                           const char *message,
                           GVariant *summary,
                           LbClient *self)
{
  watch_completed (self, "backup", op, status, message, summary);
}

static void
on_watch_restore_completed (LbDBusManager *m,
                            guint64 op,
                            guint status,
                            const char *message,
                            GVariant *summary,
                            LbClient *self)
{
  watch_completed (self, "restore", op, status, message, summary);
}

static void
on_subscribed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  GError *error = NULL;
  g_autoptr (GVariant) reply = g_dbus_proxy_call_finish (G_DBUS_PROXY (source), result, &error);

  if (reply == NULL)
    {
      strip_remote (error);
      g_task_return_error (task, error);
    }
  else
    g_task_return_boolean (task, TRUE);
}

static void
send_subscribe (LbClient *self,
                GCancellable *cancellable,
                GAsyncReadyCallback callback,
                gpointer user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, lb_client_subscribe_async);
  g_free (self->subscribed_owner);
  self->subscribed_owner = g_dbus_proxy_get_name_owner (G_DBUS_PROXY (self->manager));
  g_dbus_proxy_call (G_DBUS_PROXY (self->manager), "Subscribe", NULL, G_DBUS_CALL_FLAGS_NONE, -1,
                     cancellable, on_subscribed, task);
}

static void
on_renewed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;

  /* Refused to an app, and absent from services before 0.2. */
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    g_debug ("Subscribe: %s", error->message);
}

static void
on_watch_owner (GObject *proxy, GParamSpec *pspec, LbClient *self)
{
  g_autofree char *owner = g_dbus_proxy_get_name_owner (G_DBUS_PROXY (self->manager));

  /* An operation of an instance that is gone never ends. */
  self->watch_op = 0;
  g_clear_object (&self->watch_result);
  /* A new instance knows nothing of the last one's subscribers. */
  if (self->subscribed && owner != NULL && g_strcmp0 (owner, self->subscribed_owner) != 0)
    send_subscribe (self, NULL, on_renewed, NULL);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_SERVICE_RUNNING]);
}

static void
watch_operations (LbClient *self)
{
  /* Connected before any operation's own follower, so that
   * LbClient::operation-completed comes before lb_client_backup_async()'s
   * callback. */
  g_signal_connect_object (self->manager, "restricted-license", G_CALLBACK (on_watch_restricted),
                           self, 0);
  g_signal_connect_object (self->manager, "app-counts", G_CALLBACK (on_watch_app_counts), self, 0);
  g_signal_connect_object (self->manager, "support-url", G_CALLBACK (on_watch_support_url), self,
                           0);
  g_signal_connect_object (self->manager, "backup-completed",
                           G_CALLBACK (on_watch_backup_completed), self, 0);
  g_signal_connect_object (self->manager, "restore-completed",
                           G_CALLBACK (on_watch_restore_completed), self, 0);
  g_signal_connect_object (self->manager, "notify::g-name-owner", G_CALLBACK (on_watch_owner), self,
                           0);
}

/* The connection may outlive the client (the session bus): end its
 * subscription with it. */
static void
watch_stop (LbClient *self)
{
  if (self->manager != NULL)
    lb_client_unsubscribe (self);
  self->watch_op = 0;
  g_clear_object (&self->watch_result);
  g_clear_pointer (&self->subscribed_owner, g_free);
}

static void
watch_class_init (LbClientClass *klass)
{
  /**
   * LbClient:service-running:
   *
   * Whether the service runs now. It exits when it has been idle for a
   * while, and D-Bus activation starts it again with the next call, e.g.
   * lb_client_get_status_async().
   */
  props[PROP_SERVICE_RUNNING] = g_param_spec_boolean ("service-running", NULL, NULL, FALSE,
                                                      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * LbClient::operation-completed:
   * @client: the client
   * @operation: "backup" or "restore"
   * @result: how it ended: its counts and, when the client started it or
   *   has subscribed (lb_client_subscribe_async()), the licenses left out,
   *   the support URL and each app's count
   * @error: (nullable): why it failed, an #LB_ERROR, or %NULL when it
   *   succeeded or (%LB_STATUS_ERROR_WITHURL) restored all but the licenses
   *   past their restore limit
   *
   * A backup or restore ended, whoever started it. For an operation the
   * client started itself, this comes before the callback of
   * lb_client_backup_async() or lb_client_restore_async().
   */
  signals[SIGNAL_OPERATION_COMPLETED]
      = g_signal_new ("operation-completed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                      NULL, NULL, G_TYPE_NONE, 3, G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                      LB_TYPE_OPERATION_RESULT, G_TYPE_ERROR | G_SIGNAL_TYPE_STATIC_SCOPE);
}

/**
 * lb_client_subscribe_sync:
 * @self: a client
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Asks for the details of every operation, whoever starts it: the
 * #LbOperationResult of #LbClient::operation-completed then lists the
 * licenses left out, the support URL and each app's count for operations
 * that others start too. The client renews the subscription whenever the
 * service starts again, until lb_client_unsubscribe() or until it is
 * disposed. Only for the user's own tools: an app gets
 * %LB_ERROR_PERMISSION_DENIED.
 *
 * Returns: whether the service took the subscription
 */
gboolean
lb_client_subscribe_sync (LbClient *self, GCancellable *cancellable, GError **error)
{
  g_autoptr (GVariant) reply = NULL;

  g_return_val_if_fail (LB_IS_CLIENT (self), FALSE);
  self->subscribed = TRUE;
  g_free (self->subscribed_owner);
  self->subscribed_owner = g_dbus_proxy_get_name_owner (G_DBUS_PROXY (self->manager));
  reply = call_sync (self->manager, "Subscribe", NULL, cancellable, error);
  return reply != NULL;
}

/**
 * lb_client_subscribe_async:
 * @self: a client
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the service has answered
 * @user_data: data for @callback
 *
 * See lb_client_subscribe_sync().
 */
void
lb_client_subscribe_async (LbClient *self,
                           GCancellable *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer user_data)
{
  g_return_if_fail (LB_IS_CLIENT (self));
  self->subscribed = TRUE;
  send_subscribe (self, cancellable, callback, user_data);
}

/**
 * lb_client_subscribe_finish:
 * @self: a client
 * @result: the result passed to the callback
 * @error: return location for a #GError
 *
 * Finishes lb_client_subscribe_async().
 *
 * Returns: whether the service took the subscription
 */
gboolean
lb_client_subscribe_finish (LbClient *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == lb_client_subscribe_async,
                        FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * lb_client_unsubscribe:
 * @self: a client
 *
 * Ends the subscription of lb_client_subscribe_async(). Waits for no
 * answer, and starts no service: one that exited took the subscription
 * with it.
 */
void
lb_client_unsubscribe (LbClient *self)
{
  g_autofree char *owner = NULL;

  g_return_if_fail (LB_IS_CLIENT (self));
  if (!self->subscribed)
    return;
  self->subscribed = FALSE;
  owner = g_dbus_proxy_get_name_owner (G_DBUS_PROXY (self->manager));
  if (owner != NULL && g_strcmp0 (owner, self->subscribed_owner) == 0)
    g_dbus_connection_call (self->connection, owner, LB_OBJECT_PATH,
                            g_dbus_proxy_get_interface_name (G_DBUS_PROXY (self->manager)),
                            "Unsubscribe", NULL, NULL, G_DBUS_CALL_FLAGS_NO_AUTO_START, -1, NULL,
                            NULL, NULL);
  g_clear_pointer (&self->subscribed_owner, g_free);
}
