/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The _sync forms of LbClient's calls: each runs its _async form to its
 * end in a main context of its own, so that a caller needs no main loop
 * and any thread may call; backup and restore, whose signals come in the
 * client's context, run that one instead (operation_sync). */
#include "config.h"

#include "lb-client-private.h"

typedef struct
{
  GMainContext *context;
  GAsyncResult *result;
} LbSync;

static gpointer
sync_begin (LbSync *sync)
{
  sync->context = g_main_context_new ();
  g_main_context_push_thread_default (sync->context);
  return sync;
}

static void
sync_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  LbSync *sync = user_data;

  sync->result = g_object_ref (result);
}

static GAsyncResult *
sync_wait (LbSync *sync)
{
  while (sync->result == NULL)
    g_main_context_iteration (sync->context, TRUE);
  g_main_context_pop_thread_default (sync->context);
  return sync->result;
}

static void
sync_clear (LbSync *sync)
{
  g_clear_object (&sync->result);
  g_clear_pointer (&sync->context, g_main_context_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (LbSync, sync_clear)

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
 *
 * Since: 0.2
 */
gboolean
lb_client_store_license_sync (LbClient *self,
                              LbLicense *license,
                              GCancellable *cancellable,
                              GError **error)
{
  g_auto (LbSync) sync = { 0 };

  g_return_val_if_fail (LB_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (LB_IS_LICENSE (license), FALSE);
  lb_client_store_license_async (self, license, cancellable, sync_done, sync_begin (&sync));
  return lb_client_store_license_finish (self, sync_wait (&sync), error);
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
 *
 * Since: 0.2
 */
gboolean
lb_client_store_licenses_sync (LbClient *self,
                               GPtrArray *licenses,
                               GCancellable *cancellable,
                               GError **error)
{
  g_auto (LbSync) sync = { 0 };

  g_return_val_if_fail (LB_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (licenses != NULL, FALSE);
  lb_client_store_licenses_async (self, licenses, cancellable, sync_done, sync_begin (&sync));
  return lb_client_store_licenses_finish (self, sync_wait (&sync), error);
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
 *
 * Since: 0.2
 */
LbLicense *
lb_client_get_license_sync (LbClient *self,
                            const char *key_id,
                            GCancellable *cancellable,
                            GError **error)
{
  g_auto (LbSync) sync = { 0 };

  g_return_val_if_fail (LB_IS_CLIENT (self), NULL);
  g_return_val_if_fail (key_id != NULL, NULL);
  lb_client_get_license_async (self, key_id, cancellable, sync_done, sync_begin (&sync));
  return lb_client_get_license_finish (self, sync_wait (&sync), error);
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
 *
 * Since: 0.2
 */
LbLicense *
lb_client_get_app_license_sync (
    LbClient *self, const char *app, const char *key_id, GCancellable *cancellable, GError **error)
{
  g_auto (LbSync) sync = { 0 };

  g_return_val_if_fail (LB_IS_CLIENT (self), NULL);
  g_return_val_if_fail (app != NULL, NULL);
  g_return_val_if_fail (key_id != NULL, NULL);
  lb_client_get_app_license_async (self, app, key_id, cancellable, sync_done, sync_begin (&sync));
  return lb_client_get_app_license_finish (self, sync_wait (&sync), error);
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
 *
 * Since: 0.2
 */
GPtrArray *
lb_client_list_licenses_sync (LbClient *self, GCancellable *cancellable, GError **error)
{
  g_auto (LbSync) sync = { 0 };

  g_return_val_if_fail (LB_IS_CLIENT (self), NULL);
  lb_client_list_licenses_async (self, cancellable, sync_done, sync_begin (&sync));
  return lb_client_list_licenses_finish (self, sync_wait (&sync), error);
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
 *
 * Since: 0.2
 */
GPtrArray *
lb_client_list_app_licenses_sync (LbClient *self,
                                  const char *app,
                                  GCancellable *cancellable,
                                  GError **error)
{
  g_auto (LbSync) sync = { 0 };

  g_return_val_if_fail (LB_IS_CLIENT (self), NULL);
  g_return_val_if_fail (app != NULL, NULL);
  lb_client_list_app_licenses_async (self, app, cancellable, sync_done, sync_begin (&sync));
  return lb_client_list_app_licenses_finish (self, sync_wait (&sync), error);
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
 *
 * Since: 0.2
 */
GListModel *
lb_client_list_licenses_model_sync (LbClient *self, GCancellable *cancellable, GError **error)
{
  g_auto (LbSync) sync = { 0 };

  g_return_val_if_fail (LB_IS_CLIENT (self), NULL);
  lb_client_list_licenses_model_async (self, cancellable, sync_done, sync_begin (&sync));
  return lb_client_list_licenses_model_finish (self, sync_wait (&sync), error);
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
 *
 * Since: 0.2
 */
gboolean
lb_client_delete_license_sync (LbClient *self,
                               const char *key_id,
                               GCancellable *cancellable,
                               GError **error)
{
  g_auto (LbSync) sync = { 0 };

  g_return_val_if_fail (LB_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (key_id != NULL, FALSE);
  lb_client_delete_license_async (self, key_id, cancellable, sync_done, sync_begin (&sync));
  return lb_client_delete_license_finish (self, sync_wait (&sync), error);
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
 *
 * Since: 0.2
 */
gboolean
lb_client_delete_app_license_sync (
    LbClient *self, const char *app, const char *key_id, GCancellable *cancellable, GError **error)
{
  g_auto (LbSync) sync = { 0 };

  g_return_val_if_fail (LB_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (app != NULL, FALSE);
  g_return_val_if_fail (key_id != NULL, FALSE);
  lb_client_delete_app_license_async (self, app, key_id, cancellable, sync_done,
                                      sync_begin (&sync));
  return lb_client_delete_app_license_finish (self, sync_wait (&sync), error);
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
 *
 * Since: 0.2
 */
guint
lb_client_clean_sync (LbClient *self, GCancellable *cancellable, GError **error)
{
  g_auto (LbSync) sync = { 0 };

  g_return_val_if_fail (LB_IS_CLIENT (self), 0);
  lb_client_clean_async (self, cancellable, sync_done, sync_begin (&sync));
  return lb_client_clean_finish (self, sync_wait (&sync), error);
}

/**
 * lb_client_list_apps_sync:
 * @self: a client
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * The apps that hold licenses, ordered by app id ("" for programs
 * outside a sandbox), each with its number of licenses and their size.
 * Only for the user's own tools.
 *
 * Returns: (transfer container) (element-type LbApp): the apps, or %NULL
 *   with @error set
 *
 * Since: 0.2
 */
GPtrArray *
lb_client_list_apps_sync (LbClient *self, GCancellable *cancellable, GError **error)
{
  g_auto (LbSync) sync = { 0 };

  g_return_val_if_fail (LB_IS_CLIENT (self), NULL);
  lb_client_list_apps_async (self, cancellable, sync_done, sync_begin (&sync));
  return lb_client_list_apps_finish (self, sync_wait (&sync), error);
}

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
 *
 * Since: 0.2
 */
LbStatus
lb_client_get_status_sync (LbClient *self,
                           char **message,
                           GCancellable *cancellable,
                           GError **error)
{
  g_auto (LbSync) sync = { 0 };

  g_return_val_if_fail (LB_IS_CLIENT (self), LB_STATUS_ERROR);
  lb_client_get_status_async (self, cancellable, sync_done, sync_begin (&sync));
  return lb_client_get_status_finish (self, sync_wait (&sync), message, error);
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
 *
 * Since: 0.2
 */
gboolean
lb_client_set_backup_path_sync (LbClient *self,
                                const char *path,
                                GCancellable *cancellable,
                                GError **error)
{
  g_auto (LbSync) sync = { 0 };

  g_return_val_if_fail (LB_IS_CLIENT (self), FALSE);
  lb_client_set_backup_path_async (self, path, cancellable, sync_done, sync_begin (&sync));
  return lb_client_set_backup_path_finish (self, sync_wait (&sync), error);
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
 *
 * Since: 0.2
 */
gboolean
lb_client_set_restore_path_sync (LbClient *self,
                                 const char *path,
                                 GCancellable *cancellable,
                                 GError **error)
{
  g_auto (LbSync) sync = { 0 };

  g_return_val_if_fail (LB_IS_CLIENT (self), FALSE);
  lb_client_set_restore_path_async (self, path, cancellable, sync_done, sync_begin (&sync));
  return lb_client_set_restore_path_finish (self, sync_wait (&sync), error);
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
 *
 * Since: 0.2
 */
gboolean
lb_client_set_automatic_backup_sync (LbClient *self,
                                     LbAutomaticBackup automatic,
                                     GCancellable *cancellable,
                                     GError **error)
{
  g_auto (LbSync) sync = { 0 };

  g_return_val_if_fail (LB_IS_CLIENT (self), FALSE);
  lb_client_set_automatic_backup_async (self, automatic, cancellable, sync_done,
                                        sync_begin (&sync));
  return lb_client_set_automatic_backup_finish (self, sync_wait (&sync), error);
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
 *
 * Since: 0.2
 */
gboolean
lb_client_set_keep_backups_sync (LbClient *self,
                                 guint keep,
                                 GCancellable *cancellable,
                                 GError **error)
{
  g_auto (LbSync) sync = { 0 };

  g_return_val_if_fail (LB_IS_CLIENT (self), FALSE);
  lb_client_set_keep_backups_async (self, keep, cancellable, sync_done, sync_begin (&sync));
  return lb_client_set_keep_backups_finish (self, sync_wait (&sync), error);
}

/**
 * lb_client_list_backups_sync:
 * @self: a client
 * @location: (nullable): a folder, or %NULL for the folder a restore reads
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * The backups (generations) in a folder, newest first, each its file name
 * (#LbBackup:name, what lb_client_restore_sync() takes as its generation)
 * and details. Only for the user's own tools.
 *
 * Returns: (transfer container) (element-type LbBackup): the backups, or
 *   %NULL with @error set
 *
 * Since: 0.2
 */
GPtrArray *
lb_client_list_backups_sync (LbClient *self,
                             const char *location,
                             GCancellable *cancellable,
                             GError **error)
{
  g_auto (LbSync) sync = { 0 };

  g_return_val_if_fail (LB_IS_CLIENT (self), NULL);
  lb_client_list_backups_async (self, location, cancellable, sync_done, sync_begin (&sync));
  return lb_client_list_backups_finish (self, sync_wait (&sync), error);
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
 *
 * Since: 0.2
 */
gboolean
lb_client_cancel_backup_sync (LbClient *self, GCancellable *cancellable, GError **error)
{
  g_auto (LbSync) sync = { 0 };

  g_return_val_if_fail (LB_IS_CLIENT (self), FALSE);
  lb_client_cancel_backup_async (self, cancellable, sync_done, sync_begin (&sync));
  return lb_client_cancel_backup_finish (self, sync_wait (&sync), error);
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
 *
 * Since: 0.2
 */
gboolean
lb_client_cancel_restore_sync (LbClient *self, GCancellable *cancellable, GError **error)
{
  g_auto (LbSync) sync = { 0 };

  g_return_val_if_fail (LB_IS_CLIENT (self), FALSE);
  lb_client_cancel_restore_async (self, cancellable, sync_done, sync_begin (&sync));
  return lb_client_cancel_restore_finish (self, sync_wait (&sync), error);
}

/**
 * lb_client_cancel_verify_sync:
 * @self: a client
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Cancels the running check of a backup, whoever started it; it ends with
 * %LB_ERROR_CANCELLED and nothing is remembered of it. Fails with
 * %LB_ERROR_NOT_RUNNING when no check runs. Only for the user's own tools.
 *
 * Returns: whether the service took the request
 *
 * Since: 0.2
 */
gboolean
lb_client_cancel_verify_sync (LbClient *self, GCancellable *cancellable, GError **error)
{
  g_auto (LbSync) sync = { 0 };

  g_return_val_if_fail (LB_IS_CLIENT (self), FALSE);
  lb_client_cancel_verify_async (self, cancellable, sync_done, sync_begin (&sync));
  return lb_client_cancel_verify_finish (self, sync_wait (&sync), error);
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
 *
 * Since: 0.2
 */
gboolean
lb_client_subscribe_sync (LbClient *self, GCancellable *cancellable, GError **error)
{
  g_auto (LbSync) sync = { 0 };

  g_return_val_if_fail (LB_IS_CLIENT (self), FALSE);
  lb_client_subscribe_async (self, cancellable, sync_done, sync_begin (&sync));
  return lb_client_subscribe_finish (self, sync_wait (&sync), error);
}

/**
 * lb_client_unsubscribe_sync:
 * @self: a client
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Ends the subscription of lb_client_subscribe_sync(); see
 * lb_client_unsubscribe_async().
 *
 * Returns: whether the subscription ended
 *
 * Since: 0.2
 */
gboolean
lb_client_unsubscribe_sync (LbClient *self, GCancellable *cancellable, GError **error)
{
  g_auto (LbSync) sync = { 0 };

  g_return_val_if_fail (LB_IS_CLIENT (self), FALSE);
  lb_client_unsubscribe_async (self, cancellable, sync_done, sync_begin (&sync));
  return lb_client_unsubscribe_finish (self, sync_wait (&sync), error);
}

/* Backup, restore and verify: the signals that end them come in the context the
 * client was made in, so that context runs until the operation ends, here
 * or, when another thread owns it, there. */

typedef struct
{
  GMutex lock;
  GCond cond;
  GAsyncResult *result;
} SyncWait;

static void
operation_done (GObject *source, GAsyncResult *result, gpointer user_data)
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
  LbOperationType kind;
  guint32 flags;
  const char *location;
  const char *generation;
  GBytes *passphrase; /* NULL: the keyring's (a restore's or verify's) */
  gpointer source_tag;
  GCancellable *cancellable;
  SyncWait *wait;
} SyncStart;

static gboolean
start_in_context (gpointer user_data)
{
  SyncStart *s = user_data;

  lb_follow_operation_async (s->self, s->kind, s->flags, s->location, s->generation, s->passphrase,
                             s->source_tag, s->cancellable, operation_done, s->wait);
  return G_SOURCE_REMOVE;
}

static LbOperationResult *
operation_sync (LbClient *self,
                LbOperationType kind,
                guint32 flags,
                const char *location,
                const char *generation,
                GBytes *passphrase,
                gpointer source_tag,
                GCancellable *cancellable,
                GError **error)
{
  SyncWait w = { 0 };
  SyncStart s
      = { self, kind, flags, location, generation, passphrase, source_tag, cancellable, &w };
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
 * @flags: %LB_BACKUP_FLAGS_OVERWRITE to add a backup to a location that already
 *   holds backups
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
 *
 * Since: 0.2
 */
LbOperationResult *
lb_client_backup_sync (LbClient *self,
                       LbBackupFlags flags,
                       const char *location,
                       GCancellable *cancellable,
                       GError **error)
{
  g_return_val_if_fail (LB_IS_CLIENT (self), NULL);
  return operation_sync (self, LB_OPERATION_TYPE_BACKUP, flags, location, NULL, NULL,
                         lb_client_backup_async, cancellable, error);
}

/**
 * lb_client_restore_sync:
 * @self: a client
 * @flags: %LB_RESTORE_FLAGS_INDIVIDUALIZE: the user consents to binding
 *   another computer's licenses to this one
 * @location: (nullable): a folder, or %NULL for #LbClient:restore-path
 * @generation: (nullable): the backup to restore, a name that
 *   lb_client_list_backups_sync() gives, or %NULL for the newest
 * @cancellable: (nullable): cancelling it cancels the restore in the service
 * @error: return location for a #GError
 *
 * Restores the licenses of a backup (the newest, or @generation), each
 * into its app, and follows the
 * restore to its end. A backup from another computer without the flag
 * fails with %LB_ERROR_NEEDS_INDIVIDUALIZATION. A restore that left
 * licenses out for their restore limit returns a result with
 * %LB_STATUS_ERROR_WITHURL and #LbOperationResult:support-url.
 *
 * Returns: (transfer full): the result, or %NULL with @error set
 *
 * Since: 0.2
 */
LbOperationResult *
lb_client_restore_sync (LbClient *self,
                        LbRestoreFlags flags,
                        const char *location,
                        const char *generation,
                        GCancellable *cancellable,
                        GError **error)
{
  g_return_val_if_fail (LB_IS_CLIENT (self), NULL);
  return operation_sync (self, LB_OPERATION_TYPE_RESTORE, flags, location, generation, NULL,
                         lb_client_restore_async, cancellable, error);
}

/**
 * lb_client_verify_sync:
 * @self: a client
 * @flags: %LB_VERIFY_FLAGS_NONE
 * @location: (nullable): a folder (path or URI), or %NULL for the folder a
 *   restore reads (#LbClient:restore-path, else #LbClient:backup-path)
 * @generation: (nullable): the backup to check, a name that
 *   lb_client_list_backups_sync() gives, or %NULL for the newest
 * @cancellable: (nullable): cancelling it cancels the check in the service
 * @error: return location for a #GError
 *
 * Checks a backup without restoring it: the service reads the whole file
 * from its location and checks its format, its manifest and every entry,
 * writing nothing; meanwhile the client's properties notify its progress,
 * and lb_client_list_backups_sync() gives the outcome afterwards
 * (#LbBackup:verified). The result gives the licenses and apps the backup
 * holds, its size, when and by which computer it was made. A damaged
 * backup fails with %LB_ERROR_BACKUP_CORRUPT, and
 * lb_client_get_failed_result() (of lb_client_verify_async()) names the
 * first damaged entry (#LbOperationResult:damaged-entry). Only for the
 * user's own tools (apps get %LB_ERROR_PERMISSION_DENIED).
 *
 * Returns: (transfer full): the result, or %NULL with @error set
 *
 * Since: 0.2
 */
LbOperationResult *
lb_client_verify_sync (LbClient *self,
                       LbVerifyFlags flags,
                       const char *location,
                       const char *generation,
                       GCancellable *cancellable,
                       GError **error)
{
  g_return_val_if_fail (LB_IS_CLIENT (self), NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);
  return operation_sync (self, LB_OPERATION_TYPE_VERIFY, flags, location, generation, NULL,
                         lb_client_verify_async, cancellable, error);
}

/**
 * lb_client_restore_with_passphrase_sync:
 * @self: a client
 * @flags: as lb_client_restore_sync()'s
 * @location: (nullable): a folder, or %NULL for #LbClient:restore-path
 * @generation: (nullable): the backup to restore, or %NULL for the newest
 * @passphrase: (nullable): the passphrase of an encrypted backup (its
 *   UTF-8 bytes), or %NULL for the one the user's keyring keeps
 * @cancellable: (nullable): cancelling it cancels the restore in the service
 * @error: return location for a #GError
 *
 * lb_client_restore_sync() with the passphrase of an encrypted backup,
 * for example one made on another computer. It travels to the service in
 * a sealed memfd, never in a D-Bus message. An encrypted backup fails with
 * %LB_ERROR_PASSPHRASE_REQUIRED when @passphrase is %NULL and the keyring
 * keeps none, %LB_ERROR_BAD_PASSPHRASE when the passphrase does not open
 * it: ask the user and call again. A plain backup ignores @passphrase.
 *
 * Returns: (transfer full): the result, or %NULL with @error set
 *
 * Since: 0.2
 */
LbOperationResult *
lb_client_restore_with_passphrase_sync (LbClient *self,
                                        LbRestoreFlags flags,
                                        const char *location,
                                        const char *generation,
                                        GBytes *passphrase,
                                        GCancellable *cancellable,
                                        GError **error)
{
  g_return_val_if_fail (LB_IS_CLIENT (self), NULL);
  return operation_sync (self, LB_OPERATION_TYPE_RESTORE, flags, location, generation, passphrase,
                         lb_client_restore_with_passphrase_async, cancellable, error);
}

/**
 * lb_client_verify_with_passphrase_sync:
 * @self: a client
 * @flags: %LB_VERIFY_FLAGS_NONE
 * @location: (nullable): a folder, or %NULL for the folder a restore reads
 * @generation: (nullable): the backup to check, or %NULL for the newest
 * @passphrase: (nullable): the passphrase of an encrypted backup (its
 *   UTF-8 bytes), or %NULL for the one the user's keyring keeps
 * @cancellable: (nullable): cancelling it cancels the check in the service
 * @error: return location for a #GError
 *
 * lb_client_verify_sync() with the passphrase of an encrypted backup;
 * the errors are those of lb_client_restore_with_passphrase_sync().
 *
 * Returns: (transfer full): the result, or %NULL with @error set
 *
 * Since: 0.2
 */
LbOperationResult *
lb_client_verify_with_passphrase_sync (LbClient *self,
                                       LbVerifyFlags flags,
                                       const char *location,
                                       const char *generation,
                                       GBytes *passphrase,
                                       GCancellable *cancellable,
                                       GError **error)
{
  g_return_val_if_fail (LB_IS_CLIENT (self), NULL);
  return operation_sync (self, LB_OPERATION_TYPE_VERIFY, flags, location, generation, passphrase,
                         lb_client_verify_with_passphrase_async, cancellable, error);
}

/**
 * lb_client_set_encryption_sync:
 * @self: a client
 * @encrypt: whether new backups are encrypted
 * @passphrase: (nullable): the new passphrase (its UTF-8 bytes, 1 to 1024),
 *   or %NULL to keep the one the keyring keeps
 * @forget: with @encrypt %FALSE: also remove the passphrase from the keyring
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Turns encrypted backups on or off, or changes their passphrase (@encrypt
 * %TRUE with a new @passphrase). The service keeps the passphrase in the
 * user's keyring, and new backups are age files that only it opens:
 * without it, they cannot be restored, so ask the user for it twice.
 * Backups already written keep the passphrase they were written with
 * (#LbBackup:passphrase-era). Turning off keeps the passphrase in the
 * keyring, for the older backups, unless @forget.
 *
 * Fails with %LB_ERROR_PASSPHRASE_REQUIRED (turning on without
 * @passphrase, and the keyring keeps none), %LB_ERROR_KEYRING_UNAVAILABLE
 * (the keyring is locked or missing: the service never asks to unlock
 * it), %LB_ERROR_BUSY (a backup runs), %LB_ERROR_INVALID_ARGS (an empty,
 * too long or not UTF-8 passphrase; a passphrase with @encrypt %FALSE).
 * #LbClient:encrypt-backups has the new value when this returns. Only for
 * the user's own tools.
 *
 * Returns: whether it was set
 *
 * Since: 0.2
 */
gboolean
lb_client_set_encryption_sync (LbClient *self,
                               gboolean encrypt,
                               GBytes *passphrase,
                               gboolean forget,
                               GCancellable *cancellable,
                               GError **error)
{
  g_auto (LbSync) sync = { 0 };

  g_return_val_if_fail (LB_IS_CLIENT (self), FALSE);
  lb_client_set_encryption_async (self, encrypt, passphrase, forget, cancellable, sync_done,
                                  sync_begin (&sync));
  return lb_client_set_encryption_finish (self, sync_wait (&sync), error);
}

/**
 * lb_client_check_passphrase_sync:
 * @self: a client
 * @passphrase: the passphrase the user typed (its UTF-8 bytes)
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Whether @passphrase is the one the keyring keeps for encrypted backups:
 * for asking the user now and then whether they still know it (without
 * it, the backups cannot be restored on another computer). Changes
 * nothing. Fails with %LB_ERROR_PASSPHRASE_REQUIRED (the keyring keeps
 * none) or %LB_ERROR_KEYRING_UNAVAILABLE. Only for the user's own tools.
 *
 * Returns: whether it matches; %FALSE with @error set when the service
 *   could not tell
 *
 * Since: 0.2
 */
gboolean
lb_client_check_passphrase_sync (LbClient *self,
                                 GBytes *passphrase,
                                 GCancellable *cancellable,
                                 GError **error)
{
  g_auto (LbSync) sync = { 0 };

  g_return_val_if_fail (LB_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (passphrase != NULL, FALSE);
  lb_client_check_passphrase_async (self, passphrase, cancellable, sync_done, sync_begin (&sync));
  return lb_client_check_passphrase_finish (self, sync_wait (&sync), error);
}
