/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* verify: reads a backup to its end and checks it, writing nothing; and
 * the verify operation kind (VerifyBackup).
 *
 * The checks a restore makes before it commits (lb-archive.h: the archive
 * format, the manifest, every entry's SHA-256, the order and the count),
 * without a store: what VerifyBackup runs, and what every backup runs on
 * the file it just wrote, read back from the storage rather than from
 * this computer's page cache where the platform allows. Core code without
 * D-Bus; it does I/O and belongs in a worker thread.
 */
#pragma once

#include <gio/gio.h>

#include "lb-archive.h"
#include "operation.h"
#include "store.h"

G_BEGIN_DECLS

typedef struct
{
  guint64 licenses; /* entries checked */
  GHashTable *apps; /* app id ("" for host) -> licenses; NULL if none */
  guint64 bytes;    /* the file's size */
  gboolean has_manifest;
  LbManifest manifest;
  char *damaged_entry; /* on LB_ERROR_BACKUP_CORRUPT: where the damage was found */
  char *location;      /* the operation's: URI of the backup file */
} LbVerifyResult;

void lb_verify_result_clear (LbVerifyResult *result);

/* What a failed lb_verify_file() found, for a sentence about the backup:
 * "damaged at licenses/…" when it found damage, else @error's text. */
char *lb_verify_describe_failure (const LbVerifyResult *result, const GError *error);

/* Whether @file begins as an age file does (lb_age_sniff()). */
gboolean lb_backup_file_is_encrypted (GFile *file,
                                      gboolean *encrypted,
                                      GCancellable *cancellable,
                                      GError **error);

/* What opens a backup's streams for the archive reader (lb-archive.h):
 * its file, decrypted when it is encrypted. */
typedef struct
{
  GFile *file;                 /* borrowed */
  LbAgePassphrase *passphrase; /* borrowed from the operation; NULL: a plain backup */
  GCancellable *cancellable;
} LbBackupOpener;

/* Looks at @file's first bytes; an encrypted backup takes @op's
 * passphrase (lb_operation_get_passphrase(): the caller's, else the
 * keyring's), and without one (@op NULL, none given, the keyring locked,
 * missing or empty) fails with PASSPHRASE_REQUIRED. */
gboolean lb_backup_opener_init (LbBackupOpener *opener,
                                GFile *file,
                                LbOperation *op,
                                GCancellable *cancellable,
                                GError **error);
/* An LbArchiveOpenFunc over an LbBackupOpener. A wrong passphrase is
 * BAD_PASSPHRASE, before a byte of the archive is read. */
GInputStream *lb_backup_opener_open (gpointer opener, GError **error);

/* Whether @error says only that the backup could not be opened for want
 * of its passphrase (PASSPHRASE_REQUIRED, KEYRING_UNAVAILABLE,
 * BAD_PASSPHRASE): nothing about whether the backup is whole. */
gboolean lb_verify_error_is_passphrase (const GError *error);

/* Called after each license with how many were checked of how many. */
typedef void (*LbVerifyProgressFunc) (guint64 done, guint64 total, gpointer user_data);

/* Reads @file (a regular file: the caller checked) and checks all of it;
 * an encrypted one with @op's passphrase (lb_backup_opener_init()).
 * With @uncached, a local file's pages are first dropped from the page
 * cache (posix_fadvise DONTNEED, after a sync), so that what is checked is
 * what the storage holds. A damaged backup is LB_ERROR_BACKUP_CORRUPT,
 * with @result's damaged_entry set. */
gboolean lb_verify_file (GFile *file,
                         gboolean uncached,
                         LbOperation *op,
                         GCancellable *cancellable,
                         LbVerifyProgressFunc progress,
                         gpointer user_data,
                         LbVerifyResult *result,
                         GError **error);

/* The folder check of a restore and of a check: @dir is a folder, holds
 * @generation when one is named, and @file, the backup picked in it, is a
 * regular file, never opened before: a FIFO would block. Its size into
 * *@size unless NULL. */
gboolean lb_verify_check_folder (GFile *dir,
                                 const char *generation,
                                 GFile *file,
                                 goffset *size,
                                 GCancellable *cancellable,
                                 GError **error);

/* The verify kind: checks the newest backup of the operation's folder, or
 * the one named, and records the result (lb_operation_get_verifications).
 * Its summary has the counts, the manifest's created, host and
 * format-version, and "damaged-entry" when it failed. */
extern const LbOperationKindInfo lb_verify_kind;

/* Runs @op, a LB_OPERATION_VERIFY, in the calling thread. */
gboolean lb_verify_run (LbStore *store, LbOperation *op, GError **error);

G_END_DECLS
