/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "license-backup/lb-error.h"

#include <gio/gio.h>

#define LB_ERROR_PREFIX "org.freedesktop.LicenseBackup1.Error."

static const GDBusErrorEntry lb_error_entries[] = {
  { LB_ERROR_FAILED, LB_ERROR_PREFIX "Failed" },
  { LB_ERROR_INVALID_ARGS, LB_ERROR_PREFIX "InvalidArgs" },
  { LB_ERROR_NOT_FOUND, LB_ERROR_PREFIX "NotFound" },
  { LB_ERROR_BUSY, LB_ERROR_PREFIX "Busy" },
  { LB_ERROR_BACKUP_EXISTS, LB_ERROR_PREFIX "BackupExists" },
  { LB_ERROR_BACKUP_CORRUPT, LB_ERROR_PREFIX "BackupCorrupt" },
  { LB_ERROR_NOT_SET, LB_ERROR_PREFIX "NotSet" },
  { LB_ERROR_NOT_RUNNING, LB_ERROR_PREFIX "NotRunning" },
  { LB_ERROR_CANCELLED, LB_ERROR_PREFIX "Cancelled" },
  { LB_ERROR_NEEDS_INDIVIDUALIZATION, LB_ERROR_PREFIX "NeedsIndividualization" },
  { LB_ERROR_RESTORE_LIMIT, LB_ERROR_PREFIX "RestoreLimit" },
  { LB_ERROR_NO_SPACE, LB_ERROR_PREFIX "NoSpace" },
  { LB_ERROR_PERMISSION_DENIED, LB_ERROR_PREFIX "PermissionDenied" },
  { LB_ERROR_NOT_DUE, LB_ERROR_PREFIX "NotDue" },
  { LB_ERROR_BAD_PASSPHRASE, LB_ERROR_PREFIX "BadPassphrase" },
  { LB_ERROR_PASSPHRASE_REQUIRED, LB_ERROR_PREFIX "PassphraseRequired" },
  { LB_ERROR_KEYRING_UNAVAILABLE, LB_ERROR_PREFIX "KeyringUnavailable" },
};

G_STATIC_ASSERT (G_N_ELEMENTS (lb_error_entries) == LB_ERROR_KEYRING_UNAVAILABLE + 1);

/**
 * lb_error_quark:
 *
 * The error domain of license-backup, %LB_ERROR; its codes are #LbError.
 *
 * Returns: the quark of the domain
 *
 * Since: 0.2
 */
GQuark
lb_error_quark (void)
{
  static gsize quark = 0;

  g_dbus_error_register_error_domain ("lb-error-quark", &quark, lb_error_entries,
                                      G_N_ELEMENTS (lb_error_entries));
  return (GQuark) quark;
}

const char *
lb_error_get_dbus_name (const GError *error)
{
  if (error == NULL || error->domain != LB_ERROR || error->code < 0
      || error->code >= (int) G_N_ELEMENTS (lb_error_entries))
    return lb_error_entries[LB_ERROR_FAILED].dbus_error_name;
  return lb_error_entries[error->code].dbus_error_name;
}
