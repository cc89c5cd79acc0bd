/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* import: the payload of StoreLicensesFromFd (docs/import-format.md).
 *
 * A sealed memfd holding "LBI1" and length-prefixed (saya{sv}) records.
 * The reader takes the payload through a read function, one record at a
 * time, so that its memory does not grow with the payload; every record is
 * validated as StoreLicenses validates an element. Any fault is
 * LB_ERROR_INVALID_ARGS naming the record and its byte offset. Pure parsing,
 * no store: the caller writes each record (a store batch), and the fuzzer
 * feeds it bytes.
 */
#pragma once

#include <gio/gio.h>

#include "license.h"

G_BEGIN_DECLS

#define LB_IMPORT_MAGIC "LBI1"
#define LB_IMPORT_MAGIC_LEN 4
#define LB_IMPORT_MAX_SIZE (G_GUINT64_CONSTANT (4) << 30)
/* A record holds one license: its blob, key id and attributes. */
#define LB_IMPORT_RECORD_MAX LB_ENCODED_MAX

/* What a file descriptor sent to the service is (the check behind
 * lb_import_check_fd(), also for SetEncryption's passphrase). */
typedef enum
{
  LB_SEALED_FD_OK,
  LB_SEALED_FD_NOT_REGULAR, /* not a regular file (a pipe, a socket...) */
  LB_SEALED_FD_NOT_SEALED,  /* lacks F_SEAL_WRITE, F_SEAL_SHRINK or F_SEAL_GROW */
} LbSealedFd;

/* Whether @fd is a regular file sealed against writes, shrinking and
 * growth, so that its bytes cannot change while the service reads them;
 * *@size is its size. */
LbSealedFd lb_sealed_fd_check (int fd, guint64 *size);

/* Checks that @fd is what the service accepts: a regular file sealed
 * against writes, shrinking and growth, of at most LB_IMPORT_MAX_SIZE
 * bytes; *@size is its size. */
gboolean lb_import_check_fd (int fd, guint64 *size, GError **error);

/* Reads @len bytes at @offset into @buf, all of them or an error. */
typedef gboolean (*LbImportReadFunc) (
    gpointer source, guint64 offset, guint8 *buf, gsize len, GError **error);
/* Called with each validated license (owned by the reader: take what you
 * keep); returning FALSE with @error set stops the reading. */
typedef gboolean (*LbImportRecordFunc) (LbRecord *license, gpointer user_data, GError **error);

gboolean lb_import_parse (LbImportReadFunc read,
                          gpointer source,
                          guint64 size,
                          LbImportRecordFunc func,
                          gpointer user_data,
                          guint64 *count,
                          GError **error);

/* lb_import_parse() of a payload in memory (the fuzzer's entry). */
gboolean lb_import_parse_bytes (const guint8 *data,
                                gsize size,
                                LbImportRecordFunc func,
                                gpointer user_data,
                                guint64 *count,
                                GError **error);

/* The read function for a file descriptor (pread). */
gboolean
lb_import_read_fd (gpointer source, guint64 offset, guint8 *buf, gsize len, GError **error);

G_END_DECLS
