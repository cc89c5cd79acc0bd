/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* passphrase: where the passphrase of encrypted backups comes from.
 *
 * From a caller, as a sealed memfd (SetEncryption, CheckPassphrase, the
 * "passphrase" option of RestoreLicenses and VerifyBackup): the bus
 * carries a file descriptor, never the bytes. Kept in the user's keyring
 * through the Secret Service (libsecret): one item of the schema
 * org.freedesktop.LicenseBackup1.Passphrase per user, in the default
 * collection, moved over the bus only inside an encrypted Secret Service
 * session (a service that offers only "plain" is refused). Never in a
 * file of the service, nor in a log.
 *
 * The service never prompts: a locked or missing keyring (no Secret
 * Service on the bus, no default collection) is
 * LB_ERROR_KEYRING_UNAVAILABLE; a keyring that works but holds no
 * passphrase is LB_ERROR_PASSPHRASE_REQUIRED. The keyring calls block (a
 * D-Bus round trip or a few): call them from a worker thread.
 */
#pragma once

#include <gio/gio.h>

#include "lb-age.h"

G_BEGIN_DECLS

#define LB_PASSPHRASE_SCHEMA "org.freedesktop.LicenseBackup1.Passphrase"
#define LB_PASSPHRASE_MAX 1024

/* The passphrase in @fd: a sealed memfd (import.h's lb_sealed_fd_check())
 * of 1 to LB_PASSPHRASE_MAX bytes of UTF-8; else LB_ERROR_INVALID_ARGS.
 * @fd stays open. */
LbAgePassphrase *lb_passphrase_read_fd (int fd, GError **error);

/* lb_passphrase_read_fd() of the handle @handle (a "h" value) in @fds,
 * which may be NULL (then InvalidArgs). */
LbAgePassphrase *lb_passphrase_from_handle (GUnixFDList *fds, GVariant *handle, GError **error);

/* The keyring's passphrase, or NULL with KEYRING_UNAVAILABLE or
 * PASSPHRASE_REQUIRED. */
LbAgePassphrase *lb_keyring_lookup (GCancellable *cancellable, GError **error);

/* Stores @passphrase in the keyring's default collection, replacing the
 * one it held. */
gboolean lb_keyring_store (LbAgePassphrase *passphrase, GCancellable *cancellable, GError **error);

/* Removes the keyring's passphrase; TRUE when there was none. */
gboolean lb_keyring_forget (GCancellable *cancellable, GError **error);

G_END_DECLS
