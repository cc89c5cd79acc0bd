/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lb-client: a connection to the license backup service.
 *
 * Every call has a _sync form and an _async/_finish pair. An app reaches
 * its own licenses; the user's own tools (programs outside a sandbox) also
 * reach every app's, and back up and restore. The client's properties
 * follow the service's and notify while an operation runs.
 */
#pragma once

#if !defined(LICENSE_BACKUP_INSIDE) && !defined(LICENSE_BACKUP_COMPILATION)
#error "Only <license-backup/license-backup.h> can be included directly."
#endif

#include <gio/gio.h>

#include <license-backup/lb-app.h>
#include <license-backup/lb-backup.h>
#include <license-backup/lb-license.h>
#include <license-backup/lb-operation-result.h>
#include <license-backup/lb-types.h>

G_BEGIN_DECLS

#define LB_TYPE_CLIENT (lb_client_get_type ())
G_DECLARE_FINAL_TYPE (LbClient, lb_client, LB, CLIENT, GObject)

void
lb_client_new_async (GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data);
LbClient *lb_client_new_finish (GAsyncResult *result, GError **error);
LbClient *lb_client_new_sync (GCancellable *cancellable, GError **error);

void lb_client_new_for_connection_async (GDBusConnection *connection,
                                         GCancellable *cancellable,
                                         GAsyncReadyCallback callback,
                                         gpointer user_data);
LbClient *lb_client_new_for_connection_finish (GAsyncResult *result, GError **error);
LbClient *lb_client_new_for_connection_sync (GDBusConnection *connection,
                                             GCancellable *cancellable,
                                             GError **error);

GDBusConnection *lb_client_get_connection (LbClient *self);

/* Properties */
guint lb_client_get_license_count (LbClient *self);
LbStatus lb_client_get_status (LbClient *self);
double lb_client_get_progress (LbClient *self);
guint64 lb_client_get_licenses_done (LbClient *self);
guint64 lb_client_get_licenses_total (LbClient *self);
gboolean lb_client_get_cancelable (LbClient *self);
const char *lb_client_get_operation (LbClient *self);
const char *lb_client_get_last_operation (LbClient *self);
gboolean lb_client_get_operation_type (LbClient *self, LbOperationType *type);
gboolean lb_client_get_last_operation_type (LbClient *self, LbOperationType *type);
guint64 lb_client_get_operation_id (LbClient *self);
const char *lb_client_get_backup_path (LbClient *self);
const char *lb_client_get_restore_path (LbClient *self);
gint64 lb_client_get_last_backup_time (LbClient *self);
LbAutomaticBackup lb_client_get_automatic_backup (LbClient *self);
gint64 lb_client_get_next_backup_time (LbClient *self);
guint lb_client_get_keep_backups (LbClient *self);
gboolean lb_client_get_encrypt_backups (LbClient *self);

/* Licenses */
void lb_client_store_license_async (LbClient *self,
                                    LbLicense *license,
                                    GCancellable *cancellable,
                                    GAsyncReadyCallback callback,
                                    gpointer user_data);
gboolean lb_client_store_license_finish (LbClient *self, GAsyncResult *result, GError **error);
gboolean lb_client_store_license_sync (LbClient *self,
                                       LbLicense *license,
                                       GCancellable *cancellable,
                                       GError **error);

void lb_client_store_licenses_async (LbClient *self,
                                     GPtrArray *licenses,
                                     GCancellable *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer user_data);
gboolean lb_client_store_licenses_finish (LbClient *self, GAsyncResult *result, GError **error);
gboolean lb_client_store_licenses_sync (LbClient *self,
                                        GPtrArray *licenses,
                                        GCancellable *cancellable,
                                        GError **error);

void lb_client_get_license_async (LbClient *self,
                                  const char *key_id,
                                  GCancellable *cancellable,
                                  GAsyncReadyCallback callback,
                                  gpointer user_data);
LbLicense *lb_client_get_license_finish (LbClient *self, GAsyncResult *result, GError **error);
LbLicense *lb_client_get_license_sync (LbClient *self,
                                       const char *key_id,
                                       GCancellable *cancellable,
                                       GError **error);

void lb_client_get_app_license_async (LbClient *self,
                                      const char *app,
                                      const char *key_id,
                                      GCancellable *cancellable,
                                      GAsyncReadyCallback callback,
                                      gpointer user_data);
LbLicense *lb_client_get_app_license_finish (LbClient *self, GAsyncResult *result, GError **error);
LbLicense *lb_client_get_app_license_sync (
    LbClient *self, const char *app, const char *key_id, GCancellable *cancellable, GError **error);

void lb_client_list_licenses_async (LbClient *self,
                                    GCancellable *cancellable,
                                    GAsyncReadyCallback callback,
                                    gpointer user_data);
GPtrArray *lb_client_list_licenses_finish (LbClient *self, GAsyncResult *result, GError **error);
GPtrArray *lb_client_list_licenses_sync (LbClient *self, GCancellable *cancellable, GError **error);

void lb_client_list_app_licenses_async (LbClient *self,
                                        const char *app,
                                        GCancellable *cancellable,
                                        GAsyncReadyCallback callback,
                                        gpointer user_data);
GPtrArray *
lb_client_list_app_licenses_finish (LbClient *self, GAsyncResult *result, GError **error);
GPtrArray *lb_client_list_app_licenses_sync (LbClient *self,
                                             const char *app,
                                             GCancellable *cancellable,
                                             GError **error);

void lb_client_list_licenses_model_async (LbClient *self,
                                          GCancellable *cancellable,
                                          GAsyncReadyCallback callback,
                                          gpointer user_data);
GListModel *
lb_client_list_licenses_model_finish (LbClient *self, GAsyncResult *result, GError **error);
GListModel *
lb_client_list_licenses_model_sync (LbClient *self, GCancellable *cancellable, GError **error);

void lb_client_delete_license_async (LbClient *self,
                                     const char *key_id,
                                     GCancellable *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer user_data);
gboolean lb_client_delete_license_finish (LbClient *self, GAsyncResult *result, GError **error);
gboolean lb_client_delete_license_sync (LbClient *self,
                                        const char *key_id,
                                        GCancellable *cancellable,
                                        GError **error);

void lb_client_delete_app_license_async (LbClient *self,
                                         const char *app,
                                         const char *key_id,
                                         GCancellable *cancellable,
                                         GAsyncReadyCallback callback,
                                         gpointer user_data);
gboolean lb_client_delete_app_license_finish (LbClient *self, GAsyncResult *result, GError **error);
gboolean lb_client_delete_app_license_sync (
    LbClient *self, const char *app, const char *key_id, GCancellable *cancellable, GError **error);

void lb_client_clean_async (LbClient *self,
                            GCancellable *cancellable,
                            GAsyncReadyCallback callback,
                            gpointer user_data);
guint lb_client_clean_finish (LbClient *self, GAsyncResult *result, GError **error);
guint lb_client_clean_sync (LbClient *self, GCancellable *cancellable, GError **error);

void lb_client_list_apps_async (LbClient *self,
                                GCancellable *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer user_data);
GPtrArray *lb_client_list_apps_finish (LbClient *self, GAsyncResult *result, GError **error);
GPtrArray *lb_client_list_apps_sync (LbClient *self, GCancellable *cancellable, GError **error);

/* Backup, restore and verify */
void lb_client_backup_async (LbClient *self,
                             LbBackupFlags flags,
                             const char *location,
                             GCancellable *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer user_data);
LbOperationResult *lb_client_backup_finish (LbClient *self, GAsyncResult *result, GError **error);
LbOperationResult *lb_client_backup_sync (LbClient *self,
                                          LbBackupFlags flags,
                                          const char *location,
                                          GCancellable *cancellable,
                                          GError **error);

void lb_client_restore_async (LbClient *self,
                              LbRestoreFlags flags,
                              const char *location,
                              const char *generation,
                              GCancellable *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer user_data);
LbOperationResult *lb_client_restore_finish (LbClient *self, GAsyncResult *result, GError **error);
LbOperationResult *lb_client_restore_sync (LbClient *self,
                                           LbRestoreFlags flags,
                                           const char *location,
                                           const char *generation,
                                           GCancellable *cancellable,
                                           GError **error);

void lb_client_verify_async (LbClient *self,
                             LbVerifyFlags flags,
                             const char *location,
                             const char *generation,
                             GCancellable *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer user_data);
LbOperationResult *lb_client_verify_finish (LbClient *self, GAsyncResult *result, GError **error);
LbOperationResult *lb_client_verify_sync (LbClient *self,
                                          LbVerifyFlags flags,
                                          const char *location,
                                          const char *generation,
                                          GCancellable *cancellable,
                                          GError **error);

void lb_client_restore_with_passphrase_async (LbClient *self,
                                              LbRestoreFlags flags,
                                              const char *location,
                                              const char *generation,
                                              GBytes *passphrase,
                                              GCancellable *cancellable,
                                              GAsyncReadyCallback callback,
                                              gpointer user_data);
LbOperationResult *
lb_client_restore_with_passphrase_finish (LbClient *self, GAsyncResult *result, GError **error);
LbOperationResult *lb_client_restore_with_passphrase_sync (LbClient *self,
                                                           LbRestoreFlags flags,
                                                           const char *location,
                                                           const char *generation,
                                                           GBytes *passphrase,
                                                           GCancellable *cancellable,
                                                           GError **error);

void lb_client_verify_with_passphrase_async (LbClient *self,
                                             LbVerifyFlags flags,
                                             const char *location,
                                             const char *generation,
                                             GBytes *passphrase,
                                             GCancellable *cancellable,
                                             GAsyncReadyCallback callback,
                                             gpointer user_data);
LbOperationResult *
lb_client_verify_with_passphrase_finish (LbClient *self, GAsyncResult *result, GError **error);
LbOperationResult *lb_client_verify_with_passphrase_sync (LbClient *self,
                                                          LbVerifyFlags flags,
                                                          const char *location,
                                                          const char *generation,
                                                          GBytes *passphrase,
                                                          GCancellable *cancellable,
                                                          GError **error);

void lb_client_get_status_async (LbClient *self,
                                 GCancellable *cancellable,
                                 GAsyncReadyCallback callback,
                                 gpointer user_data);
LbStatus
lb_client_get_status_finish (LbClient *self, GAsyncResult *result, char **message, GError **error);
LbStatus lb_client_get_status_sync (LbClient *self,
                                    char **message,
                                    GCancellable *cancellable,
                                    GError **error);

void lb_client_set_backup_path_async (LbClient *self,
                                      const char *path,
                                      GCancellable *cancellable,
                                      GAsyncReadyCallback callback,
                                      gpointer user_data);
gboolean lb_client_set_backup_path_finish (LbClient *self, GAsyncResult *result, GError **error);
gboolean lb_client_set_backup_path_sync (LbClient *self,
                                         const char *path,
                                         GCancellable *cancellable,
                                         GError **error);

void lb_client_set_restore_path_async (LbClient *self,
                                       const char *path,
                                       GCancellable *cancellable,
                                       GAsyncReadyCallback callback,
                                       gpointer user_data);
gboolean lb_client_set_restore_path_finish (LbClient *self, GAsyncResult *result, GError **error);
gboolean lb_client_set_restore_path_sync (LbClient *self,
                                          const char *path,
                                          GCancellable *cancellable,
                                          GError **error);

/* Automatic backups and generations */
void lb_client_set_automatic_backup_async (LbClient *self,
                                           LbAutomaticBackup automatic,
                                           GCancellable *cancellable,
                                           GAsyncReadyCallback callback,
                                           gpointer user_data);
gboolean
lb_client_set_automatic_backup_finish (LbClient *self, GAsyncResult *result, GError **error);
gboolean lb_client_set_automatic_backup_sync (LbClient *self,
                                              LbAutomaticBackup automatic,
                                              GCancellable *cancellable,
                                              GError **error);
void lb_client_set_keep_backups_async (LbClient *self,
                                       guint keep,
                                       GCancellable *cancellable,
                                       GAsyncReadyCallback callback,
                                       gpointer user_data);
gboolean lb_client_set_keep_backups_finish (LbClient *self, GAsyncResult *result, GError **error);
gboolean lb_client_set_keep_backups_sync (LbClient *self,
                                          guint keep,
                                          GCancellable *cancellable,
                                          GError **error);

void lb_client_list_backups_async (LbClient *self,
                                   const char *location,
                                   GCancellable *cancellable,
                                   GAsyncReadyCallback callback,
                                   gpointer user_data);
GPtrArray *lb_client_list_backups_finish (LbClient *self, GAsyncResult *result, GError **error);
GPtrArray *lb_client_list_backups_sync (LbClient *self,
                                        const char *location,
                                        GCancellable *cancellable,
                                        GError **error);

/* Encrypted backups (lb-client-encryption.c) */
void lb_client_set_encryption_async (LbClient *self,
                                     gboolean encrypt,
                                     GBytes *passphrase,
                                     gboolean forget,
                                     GCancellable *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer user_data);
gboolean lb_client_set_encryption_finish (LbClient *self, GAsyncResult *result, GError **error);
gboolean lb_client_set_encryption_sync (LbClient *self,
                                        gboolean encrypt,
                                        GBytes *passphrase,
                                        gboolean forget,
                                        GCancellable *cancellable,
                                        GError **error);

void lb_client_check_passphrase_async (LbClient *self,
                                       GBytes *passphrase,
                                       GCancellable *cancellable,
                                       GAsyncReadyCallback callback,
                                       gpointer user_data);
gboolean lb_client_check_passphrase_finish (LbClient *self, GAsyncResult *result, GError **error);
gboolean lb_client_check_passphrase_sync (LbClient *self,
                                          GBytes *passphrase,
                                          GCancellable *cancellable,
                                          GError **error);

/* Cancelling, and what the user's tools need besides (lb-client.c's last
 * section) */
void lb_client_cancel_backup_async (LbClient *self,
                                    GCancellable *cancellable,
                                    GAsyncReadyCallback callback,
                                    gpointer user_data);
gboolean lb_client_cancel_backup_finish (LbClient *self, GAsyncResult *result, GError **error);
gboolean lb_client_cancel_backup_sync (LbClient *self, GCancellable *cancellable, GError **error);

void lb_client_cancel_restore_async (LbClient *self,
                                     GCancellable *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer user_data);
gboolean lb_client_cancel_restore_finish (LbClient *self, GAsyncResult *result, GError **error);
gboolean lb_client_cancel_restore_sync (LbClient *self, GCancellable *cancellable, GError **error);

void lb_client_cancel_verify_async (LbClient *self,
                                    GCancellable *cancellable,
                                    GAsyncReadyCallback callback,
                                    gpointer user_data);
gboolean lb_client_cancel_verify_finish (LbClient *self, GAsyncResult *result, GError **error);
gboolean lb_client_cancel_verify_sync (LbClient *self, GCancellable *cancellable, GError **error);

LbOperationResult *lb_client_get_failed_result (LbClient *self, GAsyncResult *result);
gboolean lb_client_get_service_running (LbClient *self);

/* Every operation, whoever started it (lb-client.c's "Every operation"
 * section; LbClient::operation-completed, LbClient:service-running) */
void lb_client_subscribe_async (LbClient *self,
                                GCancellable *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer user_data);
gboolean lb_client_subscribe_finish (LbClient *self, GAsyncResult *result, GError **error);
gboolean lb_client_subscribe_sync (LbClient *self, GCancellable *cancellable, GError **error);
void lb_client_unsubscribe_async (LbClient *self,
                                  GCancellable *cancellable,
                                  GAsyncReadyCallback callback,
                                  gpointer user_data);
gboolean lb_client_unsubscribe_finish (LbClient *self, GAsyncResult *result, GError **error);
gboolean lb_client_unsubscribe_sync (LbClient *self, GCancellable *cancellable, GError **error);

G_END_DECLS
