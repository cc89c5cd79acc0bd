/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* LbClient, the object: its creation, its properties (the service's, as
 * its proxies hold them) and, at the end, its GObject lifecycle. The calls
 * are in the other lb-client-*.c files (see lb-client-private.h). */
#include "config.h"

#include "lb-client-private.h"

#include <glib/gi18n-lib.h>

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
 *
 * Since: 0.2
 */

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
  PROP_ENCRYPT_BACKUPS,
  N_PROPS
};
static GParamSpec *props[N_PROPS];

enum
{
  SIGNAL_OPERATION_COMPLETED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

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
  g_dbus_proxy_set_default_timeout (G_DBUS_PROXY (self->manager), LB_CALL_TIMEOUT_MS);
  g_dbus_proxy_set_default_timeout (G_DBUS_PROXY (self->store), LB_CALL_TIMEOUT_MS);
  g_signal_connect_object (self->manager, "notify", G_CALLBACK (forward_notify), self, 0);
  g_signal_connect_object (self->store, "notify", G_CALLBACK (forward_notify), self, 0);
  lb_watch_start (self);
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
    return lb_fail (error, local_error);
  self->store
      = lb_dbus_store_proxy_new_sync (self->connection, G_DBUS_PROXY_FLAGS_NONE, LB_BUS_NAME,
                                      LB_OBJECT_PATH, cancellable, &local_error);
  if (self->store == NULL)
    return lb_fail (error, local_error);
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
        return lb_fail (error, local_error);
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
  lb_task_return_remote_error (task, error);
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
 *
 * Since: 0.2
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
 *
 * Since: 0.2
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
 *
 * Since: 0.2
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
 *
 * Since: 0.2
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
 *
 * Since: 0.2
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
 *
 * Since: 0.2
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
 *
 * Since: 0.2
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
 *
 * Since: 0.2
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
 *
 * Since: 0.2
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
 *
 * Since: 0.2
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
 *
 * Since: 0.2
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
 *
 * Since: 0.2
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
 *
 * Since: 0.2
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
 * "backup", "restore" or "verify" while one runs, else "" (the nick of its
 * #LbOperationType; lb_client_get_operation_type() gives the enum).
 *
 * Returns: "backup", "restore" or "verify" while one runs, else ""
 *
 * Since: 0.2
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
 * "backup", "restore" or "verify": the running or last operation; "" if none
 * (lb_client_get_last_operation_type() gives the enum).
 *
 * Returns: "backup", "restore" or "verify": the running or last operation; "" if none
 *
 * Since: 0.2
 */
const char *
lb_client_get_last_operation (LbClient *self)
{
  return nonnull (lb_dbus_manager_get_last_operation (self->manager));
}

/* The type of the operation the service names @name ("backup",
 * "restore", "verify": LbOperationType's nicks); FALSE for "" and for a kind this
 * library does not know. */
static gboolean
operation_type_from_name (const char *name, LbOperationType *type)
{
  g_autoptr (GEnumClass) klass = g_type_class_ref (LB_TYPE_OPERATION_TYPE);
  GEnumValue *value = g_enum_get_value_by_nick (klass, nonnull (name));

  if (value == NULL)
    return FALSE;
  if (type != NULL)
    *type = (LbOperationType) value->value;
  return TRUE;
}

/**
 * lb_client_get_operation_type:
 * @self: a client
 * @type: (out) (optional): where to store the type of the running operation
 *
 * The type of the operation running now: the typed form of
 * #LbClient:operation, which notifies when it changes.
 *
 * Returns: %TRUE while an operation runs, with its type in @type; %FALSE
 *   when none runs (or one of a kind this library does not know)
 *
 * Since: 0.2
 */
gboolean
lb_client_get_operation_type (LbClient *self, LbOperationType *type)
{
  g_return_val_if_fail (LB_IS_CLIENT (self), FALSE);
  return operation_type_from_name (lb_dbus_manager_get_operation (self->manager), type);
}

/**
 * lb_client_get_last_operation_type:
 * @self: a client
 * @type: (out) (optional): where to store the type of the running or last operation
 *
 * The type of the running or last operation: the typed form of
 * #LbClient:last-operation.
 *
 * Returns: %TRUE with the type in @type; %FALSE when no operation has run
 *   since the service started (or one of a kind this library does not know)
 *
 * Since: 0.2
 */
gboolean
lb_client_get_last_operation_type (LbClient *self, LbOperationType *type)
{
  g_return_val_if_fail (LB_IS_CLIENT (self), FALSE);
  return operation_type_from_name (lb_dbus_manager_get_last_operation (self->manager), type);
}

/**
 * lb_client_get_operation_id:
 * @self: a client
 *
 * The id of the running or last operation, 0 if none.
 *
 * Returns: the id of the running or last operation, 0 if none
 *
 * Since: 0.2
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
 *
 * Since: 0.2
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
 *
 * Since: 0.2
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
 *
 * Since: 0.2
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
 *
 * Since: 0.2
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
 *
 * Since: 0.2
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
 *
 * Since: 0.2
 */
guint
lb_client_get_keep_backups (LbClient *self)
{
  return lb_dbus_manager_get_keep_backups (self->manager);
}

/**
 * lb_client_get_encrypt_backups:
 * @self: a client
 *
 * Whether new backups are encrypted with the passphrase the user's keyring
 * keeps; set it with lb_client_set_encryption_sync().
 *
 * Returns: #LbClient:encrypt-backups
 *
 * Since: 0.2
 */
gboolean
lb_client_get_encrypt_backups (LbClient *self)
{
  return lb_dbus_manager_get_encrypt_backups (self->manager);
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
    case PROP_ENCRYPT_BACKUPS:
      g_value_set_boolean (value, lb_client_get_encrypt_backups (self));
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

  lb_watch_stop (self);
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
   *
   * Since: 0.2
   */
  props[PROP_CONNECTION]
      = g_param_spec_object ("connection", NULL, NULL, G_TYPE_DBUS_CONNECTION,
                             G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * LbClient:license-count:
   *
   * The number of licenses in the store, of every app.
   *
   * Since: 0.2
   */
  props[PROP_LICENSE_COUNT] = g_param_spec_uint ("license-count", NULL, NULL, 0, G_MAXUINT, 0, ro);
  /**
   * LbClient:status:
   *
   * The status of the running or last operation.
   *
   * Since: 0.2
   */
  props[PROP_STATUS]
      = g_param_spec_enum ("status", NULL, NULL, LB_TYPE_STATUS, LB_STATUS_INFORMATION, ro);
  /**
   * LbClient:progress:
   *
   * How far the running or last operation got, 0 to 1.
   *
   * Since: 0.2
   */
  props[PROP_PROGRESS] = g_param_spec_double ("progress", NULL, NULL, 0.0, 1.0, 0.0, ro);
  /**
   * LbClient:licenses-done:
   *
   * The licenses the running or last operation processed.
   *
   * Since: 0.2
   */
  props[PROP_LICENSES_DONE]
      = g_param_spec_uint64 ("licenses-done", NULL, NULL, 0, G_MAXUINT64, 0, ro);
  /**
   * LbClient:licenses-total:
   *
   * The licenses the running or last operation processes.
   *
   * Since: 0.2
   */
  props[PROP_LICENSES_TOTAL]
      = g_param_spec_uint64 ("licenses-total", NULL, NULL, 0, G_MAXUINT64, 0, ro);
  /**
   * LbClient:cancelable:
   *
   * Whether cancelling the running operation has an effect now.
   *
   * Since: 0.2
   */
  props[PROP_CANCELABLE] = g_param_spec_boolean ("cancelable", NULL, NULL, FALSE, ro);
  /**
   * LbClient:operation:
   *
   * "backup", "restore" or "verify" while one runs, else "".
   *
   * Since: 0.2
   */
  props[PROP_OPERATION] = g_param_spec_string ("operation", NULL, NULL, "", ro);
  /**
   * LbClient:last-operation:
   *
   * "backup", "restore" or "verify": the running or last operation.
   *
   * Since: 0.2
   */
  props[PROP_LAST_OPERATION] = g_param_spec_string ("last-operation", NULL, NULL, "", ro);
  /**
   * LbClient:operation-id:
   *
   * The id of the running or last operation, 0 if none ran.
   *
   * Since: 0.2
   */
  props[PROP_OPERATION_ID]
      = g_param_spec_uint64 ("operation-id", NULL, NULL, 0, G_MAXUINT64, 0, ro);
  /**
   * LbClient:backup-path:
   *
   * Where backups go; set it with lb_client_set_backup_path_sync().
   *
   * Since: 0.2
   */
  props[PROP_BACKUP_PATH] = g_param_spec_string ("backup-path", NULL, NULL, "", ro);
  /**
   * LbClient:restore-path:
   *
   * Where restores read from; set it with lb_client_set_restore_path_sync().
   *
   * Since: 0.2
   */
  props[PROP_RESTORE_PATH] = g_param_spec_string ("restore-path", NULL, NULL, "", ro);
  /**
   * LbClient:last-backup-time:
   *
   * When the last backup succeeded (unix seconds), 0 if never.
   *
   * Since: 0.2
   */
  props[PROP_LAST_BACKUP_TIME]
      = g_param_spec_int64 ("last-backup-time", NULL, NULL, 0, G_MAXINT64, 0, ro);
  /**
   * LbClient:automatic-backup:
   *
   * How often the service backs up by itself; set it with
   * lb_client_set_automatic_backup_sync().
   *
   * Since: 0.2
   */
  props[PROP_AUTOMATIC_BACKUP] = g_param_spec_enum (
      "automatic-backup", NULL, NULL, LB_TYPE_AUTOMATIC_BACKUP, LB_AUTOMATIC_BACKUP_DEFAULT, ro);
  /**
   * LbClient:next-backup-time:
   *
   * From when the next automatic backup is due (unix seconds), 0 when none
   * is planned.
   *
   * Since: 0.2
   */
  props[PROP_NEXT_BACKUP_TIME]
      = g_param_spec_int64 ("next-backup-time", NULL, NULL, 0, G_MAXINT64, 0, ro);
  /**
   * LbClient:keep-backups:
   *
   * How many backups a backup folder keeps; set it with
   * lb_client_set_keep_backups_sync().
   *
   * Since: 0.2
   */
  props[PROP_KEEP_BACKUPS] = g_param_spec_uint ("keep-backups", NULL, NULL, 1, LB_KEEP_BACKUPS_MAX,
                                                LB_KEEP_BACKUPS_DEFAULT, ro);
  /**
   * LbClient:encrypt-backups:
   *
   * Whether new backups are encrypted (an age file, opened with the
   * passphrase the user's keyring keeps); follows the service. Set it with
   * lb_client_set_encryption_sync().
   *
   * Since: 0.2
   */
  props[PROP_ENCRYPT_BACKUPS] = g_param_spec_boolean ("encrypt-backups", NULL, NULL, FALSE, ro);
  /**
   * LbClient:service-running:
   *
   * Whether the service runs now. It exits when it has been idle for a
   * while, and D-Bus activation starts it again with the next call, e.g.
   * lb_client_get_status_async().
   *
   * Since: 0.2
   */
  props[PROP_SERVICE_RUNNING] = g_param_spec_boolean ("service-running", NULL, NULL, FALSE,
                                                      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * LbClient::operation-completed:
   * @client: the client
   * @kind: a backup or a restore
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
   *
   * Since: 0.2
   */
  signals[SIGNAL_OPERATION_COMPLETED]
      = g_signal_new ("operation-completed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                      NULL, NULL, G_TYPE_NONE, 3, LB_TYPE_OPERATION_TYPE, LB_TYPE_OPERATION_RESULT,
                      G_TYPE_ERROR | G_SIGNAL_TYPE_STATIC_SCOPE);
  g_object_class_install_properties (object_class, N_PROPS, props);
}

static void
lb_client_init (LbClient *self)
{
  self->context = g_main_context_ref_thread_default ();
}
