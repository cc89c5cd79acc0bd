/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lb-types: what the service's numbers mean: the MSDRM status numbers of
 * WM_BACKUP_RESTORE_STATUS and the flags of a backup and a restore. The
 * one place they are written; glib-mkenums makes their GTypes. */
#pragma once

#if !defined(LICENSE_BACKUP_INSIDE) && !defined(LICENSE_BACKUP_COMPILATION)
#error "Only <license-backup/license-backup.h> can be included directly."
#endif

#include <glib.h>

G_BEGIN_DECLS

/**
 * LbStatus:
 * @LB_STATUS_ERROR: the operation failed (MSDRM_STATUS 0)
 * @LB_STATUS_INFORMATION: nothing has run yet (1)
 * @LB_STATUS_BEGIN: an operation is running (2)
 * @LB_STATUS_END: the operation succeeded (3)
 * @LB_STATUS_CONNECTING: the service is connecting to a network location (4)
 * @LB_STATUS_DISCONNECTING: the service is disconnecting from it (5)
 * @LB_STATUS_ERROR_WITHURL: a restore left licenses out for their restore limit; a web page tells
 * how to restore them (6)
 * @LB_STATUS_RESTRICTED_LICENSE: a license was left out (7); the service reports each with a
 * RestrictedLicense signal instead
 * @LB_STATUS_NEEDS_INDIVIDUALIZATION: the backup comes from another computer: restore again with
 * the user's consent (8)
 *
 * The status of a backup or restore, with the numbers of Windows Media's
 * MSDRM_STATUS (WM_BACKUP_RESTORE_STATUS).
 *
 * Since: 0.2
 */
typedef enum
{
  LB_STATUS_ERROR = 0,
  LB_STATUS_INFORMATION = 1,
  LB_STATUS_BEGIN = 2,
  LB_STATUS_END = 3,
  LB_STATUS_CONNECTING = 4,
  LB_STATUS_DISCONNECTING = 5,
  LB_STATUS_ERROR_WITHURL = 6,
  LB_STATUS_RESTRICTED_LICENSE = 7,
  LB_STATUS_NEEDS_INDIVIDUALIZATION = 8,
} LbStatus;

/**
 * LbOperationType:
 * @LB_OPERATION_TYPE_BACKUP: a backup
 * @LB_OPERATION_TYPE_RESTORE: a restore
 * @LB_OPERATION_TYPE_VERIFY: a check of a backup, which reads it and writes
 *   nothing (Since: 0.2)
 *
 * What an operation of the service does. More kinds may come: a caller
 * treats one it does not know as neither.
 *
 * Since: 0.2
 */
typedef enum
{
  LB_OPERATION_TYPE_BACKUP,
  LB_OPERATION_TYPE_RESTORE,
  LB_OPERATION_TYPE_VERIFY,
} LbOperationType;

/**
 * LbBackupFlags:
 * @LB_BACKUP_FLAGS_NONE: no flag
 * @LB_BACKUP_FLAGS_OVERWRITE: back up into a location that already holds backups
 * (WM_BACKUP_OVERWRITE): the new backup is added beside them, and this computer's oldest
 * beyond #LbClient:keep-backups are removed; nothing is replaced
 * @LB_BACKUP_FLAGS_AUTOMATIC: back up into the backup folder only if an automatic backup is due,
 * else fail with %LB_ERROR_NOT_DUE saying why; implies %LB_BACKUP_FLAGS_OVERWRITE
 *
 * The flags of a backup.
 *
 * Since: 0.2
 */
typedef enum /*< flags >*/
{
  LB_BACKUP_FLAGS_NONE = 0,
  LB_BACKUP_FLAGS_OVERWRITE = 1 << 0,
  /* Not 1 << 1: that is the restore's INDIVIDUALIZE, which a backup refuses. */
  LB_BACKUP_FLAGS_AUTOMATIC = 1 << 3,
} LbBackupFlags;

/**
 * LbVerifyFlags:
 * @LB_VERIFY_FLAGS_NONE: no flag; none other is defined yet
 *
 * The flags of a check of a backup (lb_client_verify_sync()).
 *
 * Since: 0.2
 */
typedef enum /*< flags >*/
{
  LB_VERIFY_FLAGS_NONE = 0,
} LbVerifyFlags;

/**
 * LbAutomaticBackup:
 * @LB_AUTOMATIC_BACKUP_NEVER: no automatic backups
 * @LB_AUTOMATIC_BACKUP_DAILY: once a day
 * @LB_AUTOMATIC_BACKUP_WEEKLY: once a week (the default)
 * @LB_AUTOMATIC_BACKUP_MONTHLY: once every 30 days
 *
 * How often the service backs up by itself; on the bus the property
 * `AutomaticBackup` holds the value's nick ("never", "daily", "weekly",
 * "monthly").
 *
 * Since: 0.2
 */
typedef enum
{
  LB_AUTOMATIC_BACKUP_NEVER,
  LB_AUTOMATIC_BACKUP_DAILY,
  LB_AUTOMATIC_BACKUP_WEEKLY,
  LB_AUTOMATIC_BACKUP_MONTHLY,
} LbAutomaticBackup;

/**
 * LB_AUTOMATIC_BACKUP_DEFAULT:
 *
 * How often the service backs up until the user says otherwise.
 *
 * Since: 0.2
 */
#define LB_AUTOMATIC_BACKUP_DEFAULT LB_AUTOMATIC_BACKUP_WEEKLY

/**
 * LB_KEEP_BACKUPS_DEFAULT:
 *
 * How many backups (generations) a backup folder keeps until the user says
 * otherwise; #LB_KEEP_BACKUPS_MAX at most.
 *
 * Since: 0.2
 */
#define LB_KEEP_BACKUPS_DEFAULT 3u
/**
 * LB_KEEP_BACKUPS_MAX:
 *
 * The most generations a backup folder may keep.
 *
 * Since: 0.2
 */
#define LB_KEEP_BACKUPS_MAX 100u

/**
 * LbRestoreFlags:
 * @LB_RESTORE_FLAGS_NONE: no flag
 * @LB_RESTORE_FLAGS_INDIVIDUALIZE: the user consents to binding licenses from another computer to
 * this one (WM_RESTORE_INDIVIDUALIZE)
 *
 * The flags of a restore.
 *
 * Since: 0.2
 */
typedef enum /*< flags >*/
{
  LB_RESTORE_FLAGS_NONE = 0,
  LB_RESTORE_FLAGS_INDIVIDUALIZE = 1 << 1,
} LbRestoreFlags;

/**
 * LB_CLEAN_FLAGS_EXPIRED:
 *
 * The flag of CleanLicenseStore: remove expired licenses.
 *
 * Since: 0.2
 */
#define LB_CLEAN_FLAGS_EXPIRED 0x1u

G_END_DECLS
