/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lb-archive: the backup file, licenses.lbk (docs/backup-format.md).
 *
 * A POSIX pax tar archive (libarchive) holding first "manifest.txt" (format
 * version, creation time, the source machine's app-specific id and pretty
 * hostname, license count, the SHA-256 of every entry in order), then one entry per license,
 * "licenses/[<escaped app id>/]<escaped key id>", holding its canonical
 * encoding (license.h, which records the app), in strictly increasing
 * (app id, key id) order, the host programs' ("") first.
 *
 * The writer streams to a GOutputStream. The reader streams from two
 * independent GInputStreams over the same bytes (one walks the manifest,
 * one the entries), so verifying a backup of any size takes constant
 * memory. It trusts nothing: every entry type, name, size, digest, the
 * order and the count are checked, and any fault is LB_ERROR_BACKUP_CORRUPT.
 */
#pragma once

#include <gio/gio.h>

#include "license.h"

G_BEGIN_DECLS

#define LB_BACKUP_FILE_NAME "licenses.lbk"
/* Version 2 added apps, version 3 the name of the computer that made the
 * backup; version 1 backups still restore (into the host's namespace, as
 * they hold no app). */
#define LB_FORMAT_VERSION 3
#define LB_FORMAT_VERSION_MIN 1
#define LB_MANIFEST_NAME "manifest.txt"
#define LB_MANIFEST_MAX_COUNT 100000000u

typedef struct
{
  guint version;
  gint64 created;
  char machine[33]; /* 32 hex digits */
  char host[256];   /* UTF-8, the pretty hostname; "" before version 3 */
  guint64 count;
} LbManifest;

/* "licenses/" + the app id and '/' unless @app is NULL or "", + the key
 * id; in each, bytes outside [A-Za-z0-9._-] (and a leading '.') written
 * as %XX. */
char *lb_archive_entry_name (const char *app, const char *key_id);

typedef struct _LbArchiveWriter LbArchiveWriter;

LbArchiveWriter *
lb_archive_writer_new (GOutputStream *out, GCancellable *cancellable, GError **error);
/* The manifest's digests follow with add_digest, exactly manifest->count. */
gboolean
lb_archive_writer_begin_manifest (LbArchiveWriter *w, const LbManifest *manifest, GError **error);
gboolean lb_archive_writer_add_digest (LbArchiveWriter *w, const guint8 *digest, GError **error);
/* @header is lb_record_encode_header (@license); the entry is it and the
 * blob. */
gboolean lb_archive_writer_add_license (LbArchiveWriter *w,
                                        const LbRecord *license,
                                        GBytes *header,
                                        GError **error);
/* Finishes the archive; *@bytes is its size. */
gboolean lb_archive_writer_close (LbArchiveWriter *w, guint64 *bytes, GError **error);
void lb_archive_writer_free (LbArchiveWriter *w);

/* Opens one more independent stream over the backup's bytes. */
typedef GInputStream *(*LbArchiveOpenFunc) (gpointer user_data, GError **error);

typedef struct _LbArchiveReader LbArchiveReader;

/* Opens the backup and reads and checks the manifest's header. */
LbArchiveReader *lb_archive_reader_new (LbArchiveOpenFunc open_func,
                                        gpointer user_data,
                                        GCancellable *cancellable,
                                        GError **error);
const LbManifest *lb_archive_reader_get_manifest (LbArchiveReader *r);

/* Reads and checks only the manifest's header (not the digests or the
 * entries): what a listing of backups shows. */
gboolean lb_archive_read_manifest (LbArchiveOpenFunc open_func,
                                   gpointer user_data,
                                   LbManifest *manifest,
                                   GCancellable *cancellable,
                                   GError **error);
/* Where the last lb_archive_reader_next() stopped, for a user looking for
 * the damage: the name of the entry it was reading, or "the entry after X"
 * when the damage came before the entry's name could be read. */
char *lb_archive_reader_describe_entry (LbArchiveReader *r);

/* The next license, verified, and (when @digest is not NULL) the SHA-256 of
 * its encoding. At the end (after checking that nothing follows) returns
 * TRUE with *@license NULL. */
gboolean
lb_archive_reader_next (LbArchiveReader *r, LbRecord **license, guint8 *digest, GError **error);
void lb_archive_reader_free (LbArchiveReader *r);

/* Reads and verifies a whole backup held in memory (the fuzzer's entry). */
gboolean lb_archive_verify_bytes (GBytes *bytes, guint64 *count, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbArchiveWriter, lb_archive_writer_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbArchiveReader, lb_archive_reader_free)

G_END_DECLS
