/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lb-age: the encrypted backup's envelope, an age v1 file
 * (https://age-encryption.org/v1) with a single scrypt (passphrase)
 * recipient, so that `age -d` opens it anywhere (docs/backup-format.md).
 *
 * The sibling of lb-archive: lb_age_encrypt_stream_new() wraps the
 * GOutputStream the archive writer writes to, lb_age_decrypt_stream_new()
 * each GInputStream the archive reader reads. Decryption checks the header
 * (syntax, the scrypt stanza, its MAC) before it returns, then releases
 * the STREAM payload one authenticated 64 KiB chunk at a time: constant
 * memory, nothing released that did not authenticate. A damaged, truncated
 * or hostile file is LB_ERROR_BACKUP_CORRUPT; a passphrase that does not
 * unwrap the file key is LB_ERROR_BAD_PASSPHRASE. Secrets (the passphrase,
 * keys) live in locked memory (libsodium) and are wiped when freed.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The first line of every age v1 file. */
#define LB_AGE_MAGIC "age-encryption.org/v1\n"
#define LB_AGE_MAGIC_LEN 22

/* log2 of scrypt's N (r = 8, p = 1: 2^N KiB of memory). Written: 2^15,
 * 32 MiB and about 0.13 s here; read: up to 2^18, what `age -p` writes
 * (256 MiB, 0.8 s); larger is refused as hostile. docs/design.md has the
 * measurements behind both. */
#define LB_AGE_WORK_FACTOR_DEFAULT 15
#define LB_AGE_WORK_FACTOR_MAX 18

/* Whether @data (the file's first bytes, @len of them, at least
 * LB_AGE_MAGIC_LEN to say yes) begins an age file: a sniff, not a check. */
gboolean lb_age_sniff (const guint8 *data, gsize len);

/* A passphrase, kept in locked memory, and the scrypt keys derived from it
 * for the last salt: the two streams a reader opens over one backup, or
 * the read-back of a backup just written, derive once. Not thread-safe:
 * use one from one thread at a time. */
typedef struct _LbAgePassphrase LbAgePassphrase;

/* @len > 0 bytes (age takes them as they are; the service's are UTF-8). */
LbAgePassphrase *lb_age_passphrase_new (const char *passphrase, gsize len);
void lb_age_passphrase_free (LbAgePassphrase *passphrase);
/* The passphrase's bytes (in the locked memory, valid as long as it), for
 * the keyring that keeps it. */
const guint8 *lb_age_passphrase_get_bytes (LbAgePassphrase *passphrase, gsize *len);
/* Whether @a and @b are the same bytes, in time that does not depend on
 * where they differ. */
gboolean lb_age_passphrase_equal (LbAgePassphrase *a, LbAgePassphrase *b);

/* Writes an age file to @base: the header at the first write or at close,
 * then the payload in 64 KiB chunks. Derives the key now (scrypt at 2^@work_factor,
 * 1 ≤ @work_factor ≤ LB_AGE_WORK_FACTOR_MAX): that takes the time and the
 * memory. Only g_output_stream_close() writes the final chunk: a stream
 * dropped without it (after an error) leaves a file that no reader
 * accepts. Closes @base when closed. */
GOutputStream *lb_age_encrypt_stream_new (GOutputStream *base,
                                          LbAgePassphrase *passphrase,
                                          guint work_factor,
                                          GError **error);

/* Reads and checks @base's header and derives the file key (blocking, as
 * long as the work factor says), then returns the stream of the plaintext.
 * A read fails with LB_ERROR_BACKUP_CORRUPT at the first chunk that does
 * not authenticate, at a missing final chunk or at data after it; errors of
 * @base pass as they are. Closes @base when closed. */
GInputStream *lb_age_decrypt_stream_new (GInputStream *base,
                                         LbAgePassphrase *passphrase,
                                         GCancellable *cancellable,
                                         GError **error);

/* For the test vectors and the fuzzer. */

/* Checks the header at the start of @data (up to and including the
 * payload nonce) without deriving anything: the stanzas' syntax, and the
 * scrypt stanza's rules when there is one. */
gboolean lb_age_check_header (const guint8 *data, gsize len, GError **error);

/* lb_age_decrypt_stream_new() with the 16-byte file key given: any
 * recipient stanzas are accepted (those of a scrypt stanza still checked),
 * the MAC and the payload are checked with @file_key. */
GInputStream *lb_age_decrypt_stream_new_with_file_key (GInputStream *base,
                                                       const guint8 *file_key,
                                                       GCancellable *cancellable,
                                                       GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbAgePassphrase, lb_age_passphrase_free)

G_END_DECLS
