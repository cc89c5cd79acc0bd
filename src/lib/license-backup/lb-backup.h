/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lb-backup: one backup (generation) in a folder, as
 * lb_client_list_backups_async() gives it: its name, which
 * lb_client_restore_async() takes, and its details. Read-only; a detail
 * an older service does not send keeps its default, and a newer
 * service's other details are left out. */
#pragma once

#if !defined(LICENSE_BACKUP_INSIDE) && !defined(LICENSE_BACKUP_COMPILATION)
#error "Only <license-backup/license-backup.h> can be included directly."
#endif

#include <glib-object.h>

G_BEGIN_DECLS

#define LB_TYPE_BACKUP (lb_backup_get_type ())
G_DECLARE_FINAL_TYPE (LbBackup, lb_backup, LB, BACKUP, GObject)

const char *lb_backup_get_name (LbBackup *self);
gint64 lb_backup_get_time (LbBackup *self);
guint64 lb_backup_get_bytes (LbBackup *self);
gint64 lb_backup_get_created (LbBackup *self);
const char *lb_backup_get_host (LbBackup *self);
const char *lb_backup_get_machine (LbBackup *self);
gboolean lb_backup_get_this_machine (LbBackup *self);
guint lb_backup_get_format_version (LbBackup *self);
gint64 lb_backup_get_verified (LbBackup *self);
const char *lb_backup_get_verify_error (LbBackup *self);
gboolean lb_backup_get_encrypted (LbBackup *self);
guint lb_backup_get_passphrase_era (LbBackup *self);

G_END_DECLS
