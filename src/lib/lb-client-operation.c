/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Following a backup, restore or verify through LbClient: start it, follow its
 * signals to the Completed one, and cancel it in the service when the
 * caller cancels; cancelling an operation whoever started it, and the
 * partial result of one that failed. */
#include "config.h"

#include "lb-client-private.h"

#include <glib/gi18n-lib.h>

/* Backup, restore and verify: start the operation, follow its signals to the
 * Completed one, and cancel it in the service when the caller cancels. */

typedef struct
{
  LbClient *self;
  LbOperationType kind;
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
  switch (f->kind)
    {
    case LB_OPERATION_TYPE_RESTORE:
      lb_dbus_manager_call_cancel_license_restore (f->self->manager, NULL, NULL, NULL);
      break;
    case LB_OPERATION_TYPE_VERIFY:
      lb_dbus_manager_call_cancel_verify_backup (f->self->manager, NULL, NULL, NULL);
      break;
    case LB_OPERATION_TYPE_BACKUP:
    default:
      lb_dbus_manager_call_cancel_license_backup (f->self->manager, NULL, NULL, NULL);
      break;
    }
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
  GError *error = lb_completed_error (status, message, summary);

  if (f->id == 0 || op != f->id || f->task == NULL)
    {
      g_clear_error (&error);
      return;
    }
  lb_operation_result_set_end (f->result, (LbStatus) status, message, summary);
  /* The restored licenses count before the restore returns (see
   * update_cached): the Store's PropertiesChanged may come later. */
  if (error == NULL && f->kind == LB_OPERATION_TYPE_RESTORE)
    lb_refresh_async (g_object_ref (f->task), f->self->store, "LicenseCount", end_restore);
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
  g_autoptr (GVariant) reply
      = g_dbus_proxy_call_with_unix_fd_list_finish (G_DBUS_PROXY (source), NULL, result, &error);

  if (f->task == NULL)
    {
      g_clear_error (&error);
      return; /* the service went away first */
    }
  if (reply == NULL)
    {
      lb_strip_remote (error);
      follow_end (f, error);
      return;
    }
  g_variant_get (reply, "(t)", &id);
  /* The service replies before it sends any signal of the operation, and
   * the bus keeps that order. */
  f->id = id;
  g_clear_object (&f->result);
  f->result = lb_operation_result_new (id);
  if (f->cancel_wanted)
    send_cancel (f);
}

static const char *
completed_signal (LbOperationType kind)
{
  switch (kind)
    {
    case LB_OPERATION_TYPE_RESTORE:
      return "restore-completed";
    case LB_OPERATION_TYPE_VERIFY:
      return "verify-completed";
    case LB_OPERATION_TYPE_BACKUP:
    default:
      return "backup-completed";
    }
}

static const char *
start_method (LbOperationType kind)
{
  switch (kind)
    {
    case LB_OPERATION_TYPE_RESTORE:
      return "RestoreLicenses";
    case LB_OPERATION_TYPE_VERIFY:
      return "VerifyBackup";
    case LB_OPERATION_TYPE_BACKUP:
    default:
      return "BackupLicenses";
    }
}

void
lb_follow_operation_async (LbClient *self,
                           LbOperationType kind,
                           guint32 flags,
                           const char *location,
                           const char *generation,
                           GBytes *passphrase,
                           gpointer source_tag,
                           GCancellable *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Follow *f = g_new0 (Follow, 1);
  g_autoptr (GUnixFDList) fds = NULL;
  GVariantBuilder options;

  g_task_set_source_tag (task, source_tag);
  /* Cancelling cancels in the service, which then reports Cancelled. */
  g_task_set_check_cancellable (task, FALSE);
  g_task_set_task_data (task, f, (GDestroyNotify) follow_free);
  f->self = g_object_ref (self);
  f->kind = kind;
  f->task = task;
  f->result = lb_operation_result_new (0);

  g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
  if (location != NULL)
    g_variant_builder_add (&options, "{sv}", "path", g_variant_new_string (location));
  if (generation != NULL)
    g_variant_builder_add (&options, "{sv}", "generation", g_variant_new_string (generation));
  if (passphrase != NULL)
    {
      GError *error = NULL;
      int fd = lb_passphrase_memfd (passphrase, &error);

      if (fd < 0)
        {
          g_variant_builder_clear (&options);
          f->task = NULL;
          g_task_return_error (task, error);
          g_object_unref (task);
          return;
        }
      fds = g_unix_fd_list_new_from_array (&fd, 1);
      g_variant_builder_add (&options, "{sv}", "passphrase", g_variant_new_handle (0));
    }

  f->handlers[0]
      = g_signal_connect (self->manager, "restricted-license", G_CALLBACK (on_restricted), f);
  f->handlers[1] = g_signal_connect (self->manager, "app-counts", G_CALLBACK (on_app_counts), f);
  f->handlers[2] = g_signal_connect (self->manager, "support-url", G_CALLBACK (on_support_url), f);
  f->handlers[3]
      = g_signal_connect (self->manager, completed_signal (kind), G_CALLBACK (on_completed), f);
  f->handlers[4]
      = g_signal_connect (self->manager, "notify::g-name-owner", G_CALLBACK (on_owner_changed), f);
  if (cancellable != NULL)
    {
      /* Runs at once if already cancelled: then it is sent once started. */
      f->cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (on_cancelled), task, NULL);
    }

  /* Through the fd-list call for all three: a restore's or check's
   * passphrase travels as a sealed memfd, never in the message. */
  g_dbus_proxy_call_with_unix_fd_list (
      G_DBUS_PROXY (self->manager), start_method (kind),
      g_variant_new ("(u@a{sv})", flags, g_variant_builder_end (&options)), G_DBUS_CALL_FLAGS_NONE,
      -1, fds, NULL, on_started, g_object_ref (task));
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
 *
 * Since: 0.2
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
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));
  lb_follow_operation_async (self, LB_OPERATION_TYPE_BACKUP, flags, location, NULL, NULL,
                             lb_client_backup_async, cancellable, callback, user_data);
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
 *
 * Since: 0.2
 */
LbOperationResult *
lb_client_backup_finish (LbClient *self, GAsyncResult *result, GError **error)
{
  return lb_call_finish (self, result, lb_client_backup_async, error);
}

/**
 * lb_client_restore_async:
 * @self: a client
 * @flags: the restore's flags
 * @location: (nullable): a folder, or %NULL for #LbClient:restore-path
 * @generation: (nullable): the backup to restore, or %NULL for the newest
 * @cancellable: (nullable): cancelling it cancels the restore in the service
 * @callback: called when the restore has ended
 * @user_data: data for @callback
 *
 * See lb_client_restore_sync().
 *
 * Since: 0.2
 */
void
lb_client_restore_async (LbClient *self,
                         LbRestoreFlags flags,
                         const char *location,
                         const char *generation,
                         GCancellable *cancellable,
                         GAsyncReadyCallback callback,
                         gpointer user_data)
{
  g_return_if_fail (LB_IS_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));
  lb_follow_operation_async (self, LB_OPERATION_TYPE_RESTORE, flags, location, generation, NULL,
                             lb_client_restore_async, cancellable, callback, user_data);
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
 *
 * Since: 0.2
 */
LbOperationResult *
lb_client_restore_finish (LbClient *self, GAsyncResult *result, GError **error)
{
  return lb_call_finish (self, result, lb_client_restore_async, error);
}

/**
 * lb_client_verify_async:
 * @self: a client
 * @flags: the check's flags, %LB_VERIFY_FLAGS_NONE
 * @location: (nullable): a folder, or %NULL for the folder a restore reads
 *   (#LbClient:restore-path, else #LbClient:backup-path)
 * @generation: (nullable): the backup to check, or %NULL for the newest
 * @cancellable: (nullable): cancelling it cancels the check in the service
 * @callback: called when the check has ended
 * @user_data: data for @callback
 *
 * See lb_client_verify_sync().
 *
 * Since: 0.2
 */
void
lb_client_verify_async (LbClient *self,
                        LbVerifyFlags flags,
                        const char *location,
                        const char *generation,
                        GCancellable *cancellable,
                        GAsyncReadyCallback callback,
                        gpointer user_data)
{
  g_return_if_fail (LB_IS_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));
  lb_follow_operation_async (self, LB_OPERATION_TYPE_VERIFY, flags, location, generation, NULL,
                             lb_client_verify_async, cancellable, callback, user_data);
}

/**
 * lb_client_verify_finish:
 * @self: a client
 * @result: the result passed to the callback
 * @error: return location for a #GError
 *
 * Finishes lb_client_verify_async(). A damaged backup fails with
 * %LB_ERROR_BACKUP_CORRUPT; lb_client_get_failed_result() then gives
 * #LbOperationResult:damaged-entry.
 *
 * Returns: (transfer full): the result, or %NULL with @error set
 *
 * Since: 0.2
 */
LbOperationResult *
lb_client_verify_finish (LbClient *self, GAsyncResult *result, GError **error)
{
  return lb_call_finish (self, result, lb_client_verify_async, error);
}

/**
 * lb_client_restore_with_passphrase_async:
 * @self: a client
 * @flags: the restore's flags
 * @location: (nullable): a folder, or %NULL for #LbClient:restore-path
 * @generation: (nullable): the backup to restore, or %NULL for the newest
 * @passphrase: (nullable): the passphrase of an encrypted backup (its
 *   UTF-8 bytes), or %NULL for the one the user's keyring keeps
 * @cancellable: (nullable): cancelling it cancels the restore in the service
 * @callback: called when the restore has ended
 * @user_data: data for @callback
 *
 * See lb_client_restore_with_passphrase_sync().
 *
 * Since: 0.2
 */
void
lb_client_restore_with_passphrase_async (LbClient *self,
                                         LbRestoreFlags flags,
                                         const char *location,
                                         const char *generation,
                                         GBytes *passphrase,
                                         GCancellable *cancellable,
                                         GAsyncReadyCallback callback,
                                         gpointer user_data)
{
  g_return_if_fail (LB_IS_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));
  lb_follow_operation_async (self, LB_OPERATION_TYPE_RESTORE, flags, location, generation,
                             passphrase, lb_client_restore_with_passphrase_async, cancellable,
                             callback, user_data);
}

/**
 * lb_client_restore_with_passphrase_finish:
 * @self: a client
 * @result: the result passed to the callback
 * @error: return location for a #GError
 *
 * Finishes lb_client_restore_with_passphrase_async().
 *
 * Returns: (transfer full): the result, or %NULL with @error set
 *
 * Since: 0.2
 */
LbOperationResult *
lb_client_restore_with_passphrase_finish (LbClient *self, GAsyncResult *result, GError **error)
{
  return lb_call_finish (self, result, lb_client_restore_with_passphrase_async, error);
}

/**
 * lb_client_verify_with_passphrase_async:
 * @self: a client
 * @flags: the check's flags, %LB_VERIFY_FLAGS_NONE
 * @location: (nullable): a folder, or %NULL for the folder a restore reads
 * @generation: (nullable): the backup to check, or %NULL for the newest
 * @passphrase: (nullable): the passphrase of an encrypted backup (its
 *   UTF-8 bytes), or %NULL for the one the user's keyring keeps
 * @cancellable: (nullable): cancelling it cancels the check in the service
 * @callback: called when the check has ended
 * @user_data: data for @callback
 *
 * See lb_client_verify_with_passphrase_sync().
 *
 * Since: 0.2
 */
void
lb_client_verify_with_passphrase_async (LbClient *self,
                                        LbVerifyFlags flags,
                                        const char *location,
                                        const char *generation,
                                        GBytes *passphrase,
                                        GCancellable *cancellable,
                                        GAsyncReadyCallback callback,
                                        gpointer user_data)
{
  g_return_if_fail (LB_IS_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));
  lb_follow_operation_async (self, LB_OPERATION_TYPE_VERIFY, flags, location, generation,
                             passphrase, lb_client_verify_with_passphrase_async, cancellable,
                             callback, user_data);
}

/**
 * lb_client_verify_with_passphrase_finish:
 * @self: a client
 * @result: the result passed to the callback
 * @error: return location for a #GError
 *
 * Finishes lb_client_verify_with_passphrase_async().
 *
 * Returns: (transfer full): the result, or %NULL with @error set
 *
 * Since: 0.2
 */
LbOperationResult *
lb_client_verify_with_passphrase_finish (LbClient *self, GAsyncResult *result, GError **error)
{
  return lb_call_finish (self, result, lb_client_verify_with_passphrase_async, error);
}

/* Cancelling an operation whoever started it, and the partial result of
 * one that failed: what the user's own tools (the license-backup command)
 * need besides the calls above. */

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
                     cancellable, lb_on_empty_reply, task);
}

/**
 * lb_client_cancel_backup_async:
 * @self: a client
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the service answered
 * @user_data: data for @callback
 *
 * See lb_client_cancel_backup_sync().
 *
 * Since: 0.2
 */
void
lb_client_cancel_backup_async (LbClient *self,
                               GCancellable *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer user_data)
{
  g_return_if_fail (LB_IS_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));
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
 *
 * Since: 0.2
 */
gboolean
lb_client_cancel_backup_finish (LbClient *self, GAsyncResult *result, GError **error)
{
  return lb_task_finish_boolean (self, result, lb_client_cancel_backup_async, error);
}

/**
 * lb_client_cancel_restore_async:
 * @self: a client
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the service answered
 * @user_data: data for @callback
 *
 * See lb_client_cancel_restore_sync().
 *
 * Since: 0.2
 */
void
lb_client_cancel_restore_async (LbClient *self,
                                GCancellable *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer user_data)
{
  g_return_if_fail (LB_IS_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));
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
 *
 * Since: 0.2
 */
gboolean
lb_client_cancel_restore_finish (LbClient *self, GAsyncResult *result, GError **error)
{
  return lb_task_finish_boolean (self, result, lb_client_cancel_restore_async, error);
}

/**
 * lb_client_cancel_verify_async:
 * @self: a client
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the service answered
 * @user_data: data for @callback
 *
 * See lb_client_cancel_verify_sync().
 *
 * Since: 0.2
 */
void
lb_client_cancel_verify_async (LbClient *self,
                               GCancellable *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer user_data)
{
  g_return_if_fail (LB_IS_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));
  cancel_async (self, "CancelVerifyBackup", lb_client_cancel_verify_async, cancellable, callback,
                user_data);
}

/**
 * lb_client_cancel_verify_finish:
 * @self: a client
 * @result: the result passed to the callback
 * @error: return location for a #GError
 *
 * Finishes lb_client_cancel_verify_async().
 *
 * Returns: whether the service took the request
 *
 * Since: 0.2
 */
gboolean
lb_client_cancel_verify_finish (LbClient *self, GAsyncResult *result, GError **error)
{
  return lb_task_finish_boolean (self, result, lb_client_cancel_verify_async, error);
}

/**
 * lb_client_get_failed_result:
 * @self: a client
 * @result: the #GAsyncResult that lb_client_backup_async(),
 *   lb_client_restore_async(), lb_client_verify_async() or their
 *   _with_passphrase forms passed to its callback
 *
 * What the service reported of a backup, restore or verify whose finish
 * function (lb_client_backup_finish() and its siblings) failed: its
 * id, the licenses it left out until then and, once the service told how
 * it ended, its status (%LB_STATUS_ERROR, or
 * %LB_STATUS_NEEDS_INDIVIDUALIZATION), message and summary
 * (lb_operation_result_get_summary()). When the service stopped during the
 * operation, the summary is %NULL.
 *
 * Returns: (transfer full) (nullable): the partial result; %NULL when the
 *   operation succeeded, or never started (the service refused to start
 *   it: the finish function's error says why)
 *
 * Since: 0.2
 */
LbOperationResult *
lb_client_get_failed_result (LbClient *self, GAsyncResult *result)
{
  Follow *f;

  g_return_val_if_fail (LB_IS_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (
      g_task_get_source_tag (G_TASK (result)) == lb_client_backup_async
          || g_task_get_source_tag (G_TASK (result)) == lb_client_restore_async
          || g_task_get_source_tag (G_TASK (result)) == lb_client_verify_async
          || g_task_get_source_tag (G_TASK (result)) == lb_client_restore_with_passphrase_async
          || g_task_get_source_tag (G_TASK (result)) == lb_client_verify_with_passphrase_async,
      NULL);
  f = g_task_get_task_data (G_TASK (result));
  /* A success hands f->result to the task; a failure leaves it here. */
  if (f == NULL || f->id == 0 || f->result == NULL)
    return NULL;
  return g_object_ref (f->result);
}
