/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The service's settings through LbClient: its status, the backup and
 * restore folders, automatic backups and how many backups a folder keeps,
 * and the backups in a folder. A property set is read back before the
 * call returns (see lb-client-call.c). */
#include "config.h"

#include "lb-client-private.h"

/**
 * lb_client_get_status_async:
 * @self: a client
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the status
 * @user_data: data for @callback
 *
 * See lb_client_get_status_sync().
 *
 * Since: 0.2
 */
void
lb_client_get_status_async (LbClient *self,
                            GCancellable *cancellable,
                            GAsyncReadyCallback callback,
                            gpointer user_data)
{
  g_return_if_fail (LB_IS_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  lb_call_async (self, self->manager, "GetStatus", NULL, NULL, NULL, NULL,
                 lb_client_get_status_async, cancellable, callback, user_data);
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
 *
 * Since: 0.2
 */
LbStatus
lb_client_get_status_finish (LbClient *self, GAsyncResult *result, char **message, GError **error)
{
  g_autoptr (GVariant) reply = lb_call_finish (self, result, lb_client_get_status_async, error);
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

static void
refresh_next_backup (GTask *task)
{
  LbClient *self = g_task_get_source_object (task);

  lb_refresh_async (task, self->manager, "NextBackupTime", lb_return_true);
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
      lb_task_return_remote_error (task, error);
      return;
    }
  lb_refresh_async (g_steal_pointer (&task), self->manager, property,
                    changes_next_backup (property) ? refresh_next_backup : lb_return_true);
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
  GTask *task;

  g_return_if_fail (LB_IS_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, (gpointer) property, NULL); /* a static name */
  g_dbus_connection_call (
      self->connection, LB_BUS_NAME, LB_OBJECT_PATH, "org.freedesktop.DBus.Properties", "Set",
      g_variant_new ("(ssv)", "org.freedesktop.LicenseBackup1", property, value), NULL,
      G_DBUS_CALL_FLAGS_NONE, -1, cancellable, on_set_done, task);
}

static GVariant *
path_value (const char *path)
{
  return g_variant_new_string (path != NULL ? path : "");
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
 * lb_client_set_automatic_backup_async:
 * @self: a client
 * @automatic: how often to back up by itself
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when it is set
 * @user_data: data for @callback
 *
 * See lb_client_set_automatic_backup_sync().
 *
 * Since: 0.2
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
 *
 * Since: 0.2
 */
gboolean
lb_client_set_automatic_backup_finish (LbClient *self, GAsyncResult *result, GError **error)
{
  return lb_task_finish_boolean (self, result, lb_client_set_automatic_backup_async, error);
}

/**
 * lb_client_set_keep_backups_async:
 * @self: a client
 * @keep: how many backups a backup folder keeps, 1 to %LB_KEEP_BACKUPS_MAX
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when it is set
 * @user_data: data for @callback
 *
 * See lb_client_set_keep_backups_sync().
 *
 * Since: 0.2
 */
void
lb_client_set_keep_backups_async (LbClient *self,
                                  guint keep,
                                  GCancellable *cancellable,
                                  GAsyncReadyCallback callback,
                                  gpointer user_data)
{
  set_manager_property_async (self, "KeepBackups", g_variant_new_uint32 (keep),
                              lb_client_set_keep_backups_async, cancellable, callback, user_data);
}

/**
 * lb_client_set_keep_backups_finish:
 * @self: a client
 * @result: the result passed to the callback
 * @error: return location for a #GError
 *
 * Finishes lb_client_set_keep_backups_async().
 *
 * Returns: whether it was set
 *
 * Since: 0.2
 */
gboolean
lb_client_set_keep_backups_finish (LbClient *self, GAsyncResult *result, GError **error)
{
  return lb_task_finish_boolean (self, result, lb_client_set_keep_backups_async, error);
}

static gpointer
backups_from_reply (GVariant *reply, const char *key_id)
{
  return lb_objects_from_reply (reply, (LbFromDetailsFunc) lb_backup_new_from_details);
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
 *
 * Since: 0.2
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
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
  if (location != NULL)
    g_variant_builder_add (&options, "{sv}", "path", g_variant_new_string (location));
  lb_call_async (self, self->manager, "ListBackups", g_variant_new ("(a{sv})", &options),
                 backups_from_reply, (GDestroyNotify) g_ptr_array_unref, NULL,
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
 * Returns: (transfer container) (element-type LbBackup): the backups, or
 *   %NULL with @error set
 *
 * Since: 0.2
 */
GPtrArray *
lb_client_list_backups_finish (LbClient *self, GAsyncResult *result, GError **error)
{
  return lb_call_finish (self, result, lb_client_list_backups_async, error);
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
 *
 * Since: 0.2
 */
void
lb_client_set_backup_path_async (LbClient *self,
                                 const char *path,
                                 GCancellable *cancellable,
                                 GAsyncReadyCallback callback,
                                 gpointer user_data)
{
  set_manager_property_async (self, "BackupPath", path_value (path),
                              lb_client_set_backup_path_async, cancellable, callback, user_data);
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
 *
 * Since: 0.2
 */
gboolean
lb_client_set_backup_path_finish (LbClient *self, GAsyncResult *result, GError **error)
{
  return lb_task_finish_boolean (self, result, lb_client_set_backup_path_async, error);
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
 *
 * Since: 0.2
 */
void
lb_client_set_restore_path_async (LbClient *self,
                                  const char *path,
                                  GCancellable *cancellable,
                                  GAsyncReadyCallback callback,
                                  gpointer user_data)
{
  set_manager_property_async (self, "RestorePath", path_value (path),
                              lb_client_set_restore_path_async, cancellable, callback, user_data);
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
 *
 * Since: 0.2
 */
gboolean
lb_client_set_restore_path_finish (LbClient *self, GAsyncResult *result, GError **error)
{
  return lb_task_finish_boolean (self, result, lb_client_set_restore_path_async, error);
}
