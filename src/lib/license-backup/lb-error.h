/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lb-error: the service's one error domain.
 *
 * Every failure the service reports is an LB_ERROR. The domain is
 * registered with GDBus, so that an error the service sends as
 * org.freedesktop.LicenseBackup1.Error.<Name> arrives in a client as an
 * LB_ERROR with its code, for g_error_matches(). Each code names the Windows
 * Media DRM code it stands for.
 */
#pragma once

#if !defined(LICENSE_BACKUP_INSIDE) && !defined(LICENSE_BACKUP_COMPILATION)
#error "Only <license-backup/license-backup.h> can be included directly."
#endif

#include <glib.h>

G_BEGIN_DECLS

/**
 * LB_ERROR:
 *
 * The error domain of license-backup: its codes are #LbError.
 *
 * Since: 0.2
 */
#define LB_ERROR (lb_error_quark ())

/**
 * LbError:
 * @LB_ERROR_FAILED: the operation failed (NS_E_BACKUP_RESTORE_FAILURE); D-Bus name `Failed`
 * @LB_ERROR_INVALID_ARGS: an argument is not valid (E_INVALIDARG, NS_E_BACKUP_RESTORE_BAD_DATA);
 * `InvalidArgs`
 * @LB_ERROR_NOT_FOUND: no such license, or no backup at the location; `NotFound`
 * @LB_ERROR_BUSY: another backup or restore is running (NS_E_DRM_BACKUPRESTORE_BUSY); `Busy`
 * @LB_ERROR_BACKUP_EXISTS: the location already holds a backup (NS_E_DRM_BACKUP_EXISTS);
 * `BackupExists`
 * @LB_ERROR_BACKUP_CORRUPT: the backup is damaged (NS_E_DRM_BACKUP_CORRUPT); `BackupCorrupt`
 * @LB_ERROR_NOT_SET: no backup or restore location is set (NS_E_DRM_INVALID_PROPERTY); `NotSet`
 * @LB_ERROR_NOT_RUNNING: nothing to cancel; `NotRunning`
 * @LB_ERROR_CANCELLED: the operation was cancelled (NS_E_DRM_OPERATION_CANCELED); `Cancelled`
 * @LB_ERROR_NEEDS_INDIVIDUALIZATION: the backup comes from another computer and the user's consent
 * is needed (DRM_NEEDS_INDIVIDUALIZATION); `NeedsIndividualization`
 * @LB_ERROR_RESTORE_LIMIT: licenses were restored as often as their issuer allows
 * (NS_E_DRM_RESTORE_FRAUD); `RestoreLimit`
 * @LB_ERROR_NO_SPACE: the disk, or the app's share of the store, is full; `NoSpace`
 * @LB_ERROR_PERMISSION_DENIED: the caller may not do this, or a file cannot be written;
 * `PermissionDenied`
 * @LB_ERROR_NOT_DUE: an automatic backup was asked for, but none is due (no folder is set,
 * automatic backups are off, the period has not passed, or nothing changed); `NotDue`
 * @LB_ERROR_BAD_PASSPHRASE: the passphrase does not open an encrypted backup;
 * `BadPassphrase`
 * @LB_ERROR_PASSPHRASE_REQUIRED: the backup is encrypted (or encrypted backups are on) and no
 * passphrase was given nor is kept in the user's keyring; `PassphraseRequired`
 * @LB_ERROR_KEYRING_UNAVAILABLE: the user's keyring (the Secret Service) is locked or missing, and
 * the service never asks to unlock it; `KeyringUnavailable`
 *
 * The errors of the service; on the bus each is
 * `org.freedesktop.LicenseBackup1.Error.` and its name.
 *
 * Since: 0.2
 */
typedef enum
{
  LB_ERROR_FAILED,
  LB_ERROR_INVALID_ARGS,
  LB_ERROR_NOT_FOUND,
  LB_ERROR_BUSY,
  LB_ERROR_BACKUP_EXISTS,
  LB_ERROR_BACKUP_CORRUPT,
  LB_ERROR_NOT_SET,
  LB_ERROR_NOT_RUNNING,
  LB_ERROR_CANCELLED,
  LB_ERROR_NEEDS_INDIVIDUALIZATION,
  LB_ERROR_RESTORE_LIMIT,
  LB_ERROR_NO_SPACE,
  LB_ERROR_PERMISSION_DENIED,
  LB_ERROR_NOT_DUE,
  LB_ERROR_BAD_PASSPHRASE,
  LB_ERROR_PASSPHRASE_REQUIRED,
  LB_ERROR_KEYRING_UNAVAILABLE,
} LbError;

GQuark lb_error_quark (void);

/**
 * lb_error_get_dbus_name:
 * @error: (nullable): an error
 *
 * The D-Bus name under which the service sends @error, e.g.
 * `org.freedesktop.LicenseBackup1.Error.BackupCorrupt`; that of
 * %LB_ERROR_FAILED for an error of another domain.
 *
 * Returns: the D-Bus error name
 *
 * Since: 0.2
 */
const char *lb_error_get_dbus_name (const GError *error);

G_END_DECLS
