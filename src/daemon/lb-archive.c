/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "lb-archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <gio/gfiledescriptorbased.h>
#include <glib/gi18n.h>
#include <inttypes.h>
#include <string.h>

#include "error-convert.h"

#define ENTRY_PREFIX "licenses/"
#define MANIFEST_MAGIC "license-backup manifest"
#define MANIFEST_HEADER_MAX 4096
#define DIGEST_LINE_LEN (LB_DIGEST_LEN * 2 + 1)
#define IO_BLOCK (64 * 1024)
/* The writer's output goes to a thread of its own in chunks, a few at a
 * time: bounded memory, and the copy into the page cache (two fifths of a
 * backup's time) overlaps reading and hashing the next licenses. */
#define OUT_CHUNK (1024 * 1024)
#define OUT_CHUNKS 4

static gboolean
name_char_plain (char c, gboolean first)
{
  return g_ascii_isalnum (c) || c == '_' || c == '-' || (c == '.' && !first);
}

static void
append_escaped (GString *s, const char *part)
{
  for (const char *p = part; *p != '\0'; p++)
    {
      if (name_char_plain (*p, p == part))
        g_string_append_c (s, *p);
      else
        g_string_append_printf (s, "%%%02X", (guint) (guchar) *p);
    }
}

char *
lb_archive_entry_name (const char *app, const char *key_id)
{
  GString *s = g_string_sized_new (strlen (ENTRY_PREFIX) + strlen (key_id) * 3 + 64);

  g_string_append (s, ENTRY_PREFIX);
  if (app != NULL && app[0] != '\0')
    {
      append_escaped (s, app);
      g_string_append_c (s, '/');
    }
  append_escaped (s, key_id);
  return g_string_free (s, FALSE);
}

static void
digest_to_hex (const guint8 *digest, char out[LB_DIGEST_LEN * 2 + 1])
{
  static const char hex[] = "0123456789abcdef";

  for (guint i = 0; i < LB_DIGEST_LEN; i++)
    {
      out[2 * i] = hex[digest[i] >> 4];
      out[2 * i + 1] = hex[digest[i] & 0xf];
    }
  out[LB_DIGEST_LEN * 2] = '\0';
}

static void
set_corrupt (GError **error, const char *detail)
{
  g_set_error (error, LB_ERROR, LB_ERROR_BACKUP_CORRUPT,
               _ ("The backup is damaged (%s). Make a new backup, or restore from another "
                  "copy"),
               detail);
}

/* Writer */

struct _LbArchiveWriter
{
  struct archive *a;
  struct archive_entry *entry;
  GOutputStream *out;
  GCancellable *cancellable;
  GError *io_error;
  guint64 bytes;
  guint64 manifest_left; /* digests still to add */

  /* Chunks go to the output thread through @full and come back through
   * @empty; an empty chunk in @full ends the thread. */
  GThread *thread;
  GAsyncQueue *full;
  GAsyncQueue *empty;
  GByteArray *filling;
  GMutex lock;
  GError *thread_error; /* guarded by @lock */
};

static gpointer
output_thread (gpointer user_data)
{
  LbArchiveWriter *w = user_data;
  gboolean failed = FALSE;
  int fd = G_IS_FILE_DESCRIPTOR_BASED (w->out)
               ? g_file_descriptor_based_get_fd (G_FILE_DESCRIPTOR_BASED (w->out))
               : -1;
  off_t offset = 0;

  for (;;)
    {
      GByteArray *chunk = g_async_queue_pop (w->full);
      GError *error = NULL;

      if (chunk->len == 0)
        {
          g_byte_array_unref (chunk);
          break;
        }
      /* After a failure the rest is dropped: the archive is lost anyway. */
      if (!failed
          && !g_output_stream_write_all (w->out, chunk->data, chunk->len, NULL, w->cancellable,
                                         &error))
        {
          g_mutex_lock (&w->lock);
          w->thread_error = error;
          g_mutex_unlock (&w->lock);
          failed = TRUE;
        }
      /* Starts writing each chunk to disk now, so that the fsync at the
       * end has little left to wait for. */
      if (!failed && fd >= 0)
        sync_file_range (fd, offset, chunk->len, SYNC_FILE_RANGE_WRITE);
      offset += chunk->len;
      g_byte_array_set_size (chunk, 0);
      g_async_queue_push (w->empty, chunk);
    }
  return NULL;
}

/* Whether the output thread failed; its error goes to io_error. */
static gboolean
output_failed (LbArchiveWriter *w)
{
  if (w->io_error == NULL)
    {
      g_mutex_lock (&w->lock);
      if (w->thread_error != NULL)
        w->io_error = g_error_copy (w->thread_error);
      g_mutex_unlock (&w->lock);
    }
  return w->io_error != NULL;
}

static void
send_chunk (LbArchiveWriter *w)
{
  g_async_queue_push (w->full, g_steal_pointer (&w->filling));
  w->filling = g_async_queue_pop (w->empty);
}

/* Ends the output thread once everything before has been written. */
static void
output_finish (LbArchiveWriter *w)
{
  if (w->thread == NULL)
    return;
  if (w->filling != NULL && w->filling->len > 0)
    send_chunk (w);
  g_async_queue_push (w->full, g_byte_array_new ());
  g_clear_pointer (&w->thread, g_thread_join);
}

static la_ssize_t
write_cb (struct archive *a, void *user_data, const void *buffer, size_t length)
{
  LbArchiveWriter *w = user_data;

  if (w->thread == NULL)
    {
      /* archive_write_free closing an archive that failed: nothing of it
       * is kept. */
      archive_set_error (a, EIO, "the backup was abandoned");
      return -1;
    }
  if (output_failed (w))
    {
      archive_set_error (a, EIO, "%s", w->io_error->message);
      return -1;
    }
  g_byte_array_append (w->filling, buffer, (guint) length);
  if (w->filling->len >= OUT_CHUNK)
    send_chunk (w);
  w->bytes += length;
  return (la_ssize_t) length;
}

static gboolean
writer_failed (LbArchiveWriter *w, GError **error)
{
  if (w->io_error != NULL)
    {
      g_autofree char *reason = lb_error_reason (w->io_error);

      lb_error_convert (&w->io_error);
      g_set_error (error, LB_ERROR, w->io_error->code, _ ("Cannot write the backup: %s"), reason);
      g_clear_error (&w->io_error);
    }
  else
    g_set_error (error, LB_ERROR, LB_ERROR_FAILED, _ ("Writing the backup failed: %s"),
                 archive_error_string (w->a) != NULL ? archive_error_string (w->a) : "?");
  return FALSE;
}

LbArchiveWriter *
lb_archive_writer_new (GOutputStream *out, GCancellable *cancellable, GError **error)
{
  g_autoptr (LbArchiveWriter) w = g_new0 (LbArchiveWriter, 1);

  w->out = g_object_ref (out);
  w->cancellable = cancellable != NULL ? g_object_ref (cancellable) : NULL;
  g_mutex_init (&w->lock);
  w->full = g_async_queue_new ();
  w->empty = g_async_queue_new_full ((GDestroyNotify) g_byte_array_unref);
  for (guint i = 1; i < OUT_CHUNKS; i++)
    g_async_queue_push (w->empty, g_byte_array_sized_new (OUT_CHUNK + IO_BLOCK));
  w->filling = g_byte_array_sized_new (OUT_CHUNK + IO_BLOCK);
  w->thread = g_thread_new ("lb-backup-out", output_thread, w);
  w->a = archive_write_new ();
  w->entry = archive_entry_new ();
  if (archive_write_set_format_pax_restricted (w->a) != ARCHIVE_OK
      || archive_write_add_filter_none (w->a) != ARCHIVE_OK
      || archive_write_set_bytes_per_block (w->a, IO_BLOCK) != ARCHIVE_OK
      || archive_write_set_bytes_in_last_block (w->a, 1) != ARCHIVE_OK
      || archive_write_open2 (w->a, w, NULL, write_cb, NULL, NULL) != ARCHIVE_OK)
    {
      writer_failed (w, error);
      return NULL;
    }
  return g_steal_pointer (&w);
}

static gboolean
write_header (LbArchiveWriter *w, const char *name, gint64 size, gint64 mtime, GError **error)
{
  archive_entry_clear (w->entry);
  archive_entry_set_pathname (w->entry, name);
  archive_entry_set_filetype (w->entry, AE_IFREG);
  archive_entry_set_perm (w->entry, 0600);
  archive_entry_set_size (w->entry, size);
  archive_entry_set_mtime (w->entry, (time_t) mtime, 0);
  if (archive_write_header (w->a, w->entry) != ARCHIVE_OK)
    return writer_failed (w, error);
  return TRUE;
}

static gboolean
write_data (LbArchiveWriter *w, const void *data, gsize len, GError **error)
{
  if (len > 0 && archive_write_data (w->a, data, len) != (la_ssize_t) len)
    return writer_failed (w, error);
  return TRUE;
}

/* The host line keeps printable ASCII (spaces too) and writes every other
 * byte, and '%', as %XX: the manifest stays ASCII, one line each. */
static void
append_escaped_host (GString *out, const char *host)
{
  for (const guchar *p = (const guchar *) host; *p != '\0'; p++)
    {
      if (*p >= 0x20 && *p < 0x7f && *p != '%')
        g_string_append_c (out, (char) *p);
      else
        g_string_append_printf (out, "%%%02X", *p);
    }
}

static char *
manifest_header (const LbManifest *m)
{
  GString *out = g_string_new (NULL);

  g_string_append_printf (
      out, MANIFEST_MAGIC "\nformat-version %u\ncreated %" G_GINT64_FORMAT "\nmachine %s\n",
      m->version, m->created, m->machine);
  if (m->version >= 3)
    {
      g_string_append (out, "host ");
      append_escaped_host (out, m->host);
      g_string_append_c (out, '\n');
    }
  g_string_append_printf (out, "count %" G_GUINT64_FORMAT "\n\n", m->count);
  return g_string_free (out, FALSE);
}

gboolean
lb_archive_writer_begin_manifest (LbArchiveWriter *w, const LbManifest *manifest, GError **error)
{
  g_autofree char *header = manifest_header (manifest);
  gsize header_len = strlen (header);

  if (!write_header (w, LB_MANIFEST_NAME, (gint64) (header_len + manifest->count * DIGEST_LINE_LEN),
                     manifest->created, error))
    return FALSE;
  w->manifest_left = manifest->count;
  return write_data (w, header, header_len, error);
}

gboolean
lb_archive_writer_add_digest (LbArchiveWriter *w, const guint8 *digest, GError **error)
{
  char line[DIGEST_LINE_LEN + 1];

  g_return_val_if_fail (w->manifest_left > 0, FALSE);
  digest_to_hex (digest, line);
  line[DIGEST_LINE_LEN - 1] = '\n';
  w->manifest_left--;
  return write_data (w, line, DIGEST_LINE_LEN, error);
}

gboolean
lb_archive_writer_add_license (LbArchiveWriter *w,
                               const LbRecord *license,
                               GBytes *header,
                               GError **error)
{
  g_autofree char *name = lb_archive_entry_name (license->attrs.app, license->key_id);
  gsize header_len, blob_len;
  gconstpointer header_data = g_bytes_get_data (header, &header_len);
  gconstpointer blob_data = g_bytes_get_data (license->blob, &blob_len);

  g_return_val_if_fail (w->manifest_left == 0, FALSE);
  if (g_cancellable_set_error_if_cancelled (w->cancellable, error))
    {
      lb_error_convert (error);
      return FALSE;
    }
  return write_header (w, name, (gint64) (header_len + blob_len), license->attrs.stored, error)
         && write_data (w, header_data, header_len, error)
         && write_data (w, blob_data, blob_len, error);
}

gboolean
lb_archive_writer_close (LbArchiveWriter *w, guint64 *bytes, GError **error)
{
  if (archive_write_close (w->a) != ARCHIVE_OK)
    return writer_failed (w, error);
  output_finish (w);
  if (output_failed (w))
    return writer_failed (w, error);
  *bytes = w->bytes;
  return TRUE;
}

void
lb_archive_writer_free (LbArchiveWriter *w)
{
  if (w == NULL)
    return;
  /* Before archive_write_free, which may still write (its close). */
  output_finish (w);
  g_clear_pointer (&w->a, archive_write_free);
  g_clear_pointer (&w->entry, archive_entry_free);
  g_clear_object (&w->out);
  g_clear_object (&w->cancellable);
  g_clear_error (&w->io_error);
  g_clear_error (&w->thread_error);
  g_clear_pointer (&w->filling, g_byte_array_unref);
  g_clear_pointer (&w->full, g_async_queue_unref);
  g_clear_pointer (&w->empty, g_async_queue_unref);
  g_mutex_clear (&w->lock);
  g_free (w);
}

/* Reader */

typedef struct
{
  GInputStream *in;
  GCancellable *cancellable;
  GError *io_error;
  guint8 buf[IO_BLOCK];
} Source;

struct _LbArchiveReader
{
  GCancellable *cancellable;
  LbManifest m;

  /* walks the entries */
  Source entries_src;
  struct archive *entries;
  /* walks the manifest's digest lines alongside */
  Source manifest_src;
  struct archive *manifest;
  char line_buf[IO_BLOCK];
  gsize line_len, line_pos;

  guint64 index;
  char *current;  /* the entry being read, NULL before its header */
  char *prev_app; /* "" for host programs */
  char *prev_key_id;
  guint8 *data; /* one entry, at most LB_ENCODED_MAX */
};

static la_ssize_t
read_cb (struct archive *a, void *user_data, const void **buffer)
{
  Source *src = user_data;
  gssize n;

  if (src->io_error != NULL)
    return -1;
  n = g_input_stream_read (src->in, src->buf, sizeof src->buf, src->cancellable, &src->io_error);
  if (n < 0)
    {
      archive_set_error (a, EIO, "%s", src->io_error->message);
      return -1;
    }
  *buffer = src->buf;
  return n;
}

static la_int64_t
skip_cb (struct archive *a, void *user_data, la_int64_t request)
{
  Source *src = user_data;

  if (!G_IS_SEEKABLE (src->in) || !g_seekable_can_seek (G_SEEKABLE (src->in)))
    return 0;
  if (!g_seekable_seek (G_SEEKABLE (src->in), request, G_SEEK_CUR, src->cancellable, NULL))
    return 0;
  return request;
}

/* The reason a read failed: an I/O error or cancel as such, else corrupt. */
static gboolean
reader_failed (Source *src, struct archive *a, const char *what, GError **error)
{
  if (src->io_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&src->io_error));
      lb_error_convert (error);
    }
  else
    {
      g_autofree char *detail = g_strdup_printf ("%s: %s", what,
                                                 a != NULL && archive_error_string (a) != NULL
                                                     ? archive_error_string (a)
                                                     : _ ("unexpected data"));
      set_corrupt (error, detail);
    }
  return FALSE;
}

static struct archive *
open_archive (Source *src,
              LbArchiveOpenFunc open_func,
              gpointer user_data,
              GCancellable *cancellable,
              GError **error)
{
  struct archive *a;

  src->in = open_func (user_data, error);
  if (src->in == NULL)
    {
      lb_error_convert (error);
      return NULL;
    }
  src->cancellable = cancellable;
  a = archive_read_new ();
  /* tar (ustar/pax/gnu) only and no decompression: nothing else is ours. */
  archive_read_support_format_tar (a);
  archive_read_support_filter_none (a);
  archive_read_set_read_callback (a, read_cb);
  archive_read_set_skip_callback (a, skip_cb);
  archive_read_set_callback_data (a, src);
  if (archive_read_open1 (a) != ARCHIVE_OK)
    {
      reader_failed (src, a, _ ("not a backup file"), error);
      archive_read_free (a);
      return NULL;
    }
  return a;
}

/* The next header, which must be a plain regular file of a sane size. */
static gboolean
next_file (
    Source *src, struct archive *a, struct archive_entry **entry, gboolean *eof, GError **error)
{
  int rc = archive_read_next_header (a, entry);

  *eof = rc == ARCHIVE_EOF;
  if (*eof)
    return TRUE;
  if (rc != ARCHIVE_OK)
    return reader_failed (src, a, _ ("bad entry header"), error);
  if (archive_entry_filetype (*entry) != AE_IFREG || archive_entry_hardlink (*entry) != NULL
      || archive_entry_symlink (*entry) != NULL)
    {
      set_corrupt (error, _ ("an entry is not a regular file"));
      return FALSE;
    }
  if (archive_entry_pathname (*entry) == NULL || !archive_entry_size_is_set (*entry)
      || archive_entry_size (*entry) < 0 || archive_entry_sparse_count (*entry) != 0)
    {
      set_corrupt (error, _ ("an entry has no name or size"));
      return FALSE;
    }
  return TRUE;
}

static gboolean
read_exact (Source *src, struct archive *a, void *buf, gsize len, GError **error)
{
  gsize off = 0;

  while (off < len)
    {
      la_ssize_t n = archive_read_data (a, (guint8 *) buf + off, len - off);
      if (n < 0)
        return reader_failed (src, a, _ ("reading an entry"), error);
      if (n == 0)
        {
          set_corrupt (error, _ ("an entry is shorter than its header says"));
          return FALSE;
        }
      off += (gsize) n;
    }
  return TRUE;
}

static gboolean
parse_u64 (const char *s, const char *key, guint64 max, guint64 *out)
{
  gsize klen = strlen (key);

  if (strncmp (s, key, klen) != 0 || s[klen] != ' ')
    return FALSE;
  return g_ascii_string_to_unsigned (s + klen + 1, 10, 0, max, out, NULL);
}

/* The inverse of append_escaped_host(), accepting only what it writes: a
 * canonical escape, and text that is UTF-8 without control characters. */
static gboolean
parse_host (const char *line, char host[256])
{
  gsize n = 0;

  if (!g_str_has_prefix (line, "host "))
    return FALSE;
  for (const char *p = line + 5; *p != '\0'; p++)
    {
      guchar c = (guchar) *p;

      if (c == '%')
        {
          int hi = g_ascii_xdigit_value (p[1]), lo = hi < 0 ? -1 : g_ascii_xdigit_value (p[2]);

          if (hi < 0 || lo < 0 || g_ascii_islower (p[1]) || g_ascii_islower (p[2]))
            return FALSE;
          c = (guchar) (hi << 4 | lo);
          if (c >= 0x20 && c < 0x7f && c != '%')
            return FALSE;
          p += 2;
        }
      else if (c < 0x20 || c >= 0x7f)
        return FALSE;
      if (n >= 255)
        return FALSE;
      host[n++] = (char) c;
    }
  host[n] = '\0';
  if (!g_utf8_validate (host, (gssize) n, NULL))
    return FALSE;
  for (const char *p = host; *p != '\0'; p = g_utf8_next_char (p))
    if (g_unichar_iscntrl (g_utf8_get_char (p)))
      return FALSE;
  return TRUE;
}

static gboolean
parse_manifest_header (LbArchiveReader *r, const char *text, GError **error)
{
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  guint64 version, created, count;
  guint n_lines = g_strv_length (lines);
  const char *count_line;

  if (n_lines < 5 || !g_str_equal (lines[0], MANIFEST_MAGIC))
    {
      set_corrupt (error, _ ("the manifest is not a license-backup manifest"));
      return FALSE;
    }
  if (!parse_u64 (lines[1], "format-version", G_MAXUINT, &version))
    {
      set_corrupt (error, _ ("the manifest has no format version"));
      return FALSE;
    }
  if (version < LB_FORMAT_VERSION_MIN || version > LB_FORMAT_VERSION)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_BACKUP_CORRUPT,
                   _ ("The backup has format version %" PRIu64
                      ", which this version of license-backup cannot read (it reads versions "
                      "%d to %d); update license-backup"),
                   version, LB_FORMAT_VERSION_MIN, LB_FORMAT_VERSION);
      return FALSE;
    }
  /* Version 3 added the host line, before the count. */
  count_line = lines[version >= 3 ? 5 : 4];
  if (n_lines != (version >= 3 ? 6u : 5u) || !parse_u64 (lines[2], "created", G_MAXINT64, &created)
      || !g_str_has_prefix (lines[3], "machine ") || strlen (lines[3]) != 8 + 32
      || (version >= 3 && !parse_host (lines[4], r->m.host))
      || !parse_u64 (count_line, "count", LB_MANIFEST_MAX_COUNT, &count))
    {
      set_corrupt (error, _ ("the manifest's header is malformed"));
      return FALSE;
    }
  for (const char *p = lines[3] + 8; *p != '\0'; p++)
    if (!g_ascii_isxdigit (*p) || g_ascii_isupper (*p))
      {
        set_corrupt (error, _ ("the manifest's machine id is malformed"));
        return FALSE;
      }
  r->m.version = (guint) version;
  r->m.created = (gint64) created;
  memcpy (r->m.machine, lines[3] + 8, 33);
  r->m.count = count;
  return TRUE;
}

/* Fills line_buf from the manifest entry, keeping unread bytes. */
static gboolean
fill_lines (LbArchiveReader *r, GError **error)
{
  la_ssize_t n;

  memmove (r->line_buf, r->line_buf + r->line_pos, r->line_len - r->line_pos);
  r->line_len -= r->line_pos;
  r->line_pos = 0;
  n = archive_read_data (r->manifest, r->line_buf + r->line_len, sizeof r->line_buf - r->line_len);
  if (n < 0)
    return reader_failed (&r->manifest_src, r->manifest, _ ("reading the manifest"), error);
  r->line_len += (gsize) n;
  return TRUE;
}

/* Opens the manifest's stream and reads and checks its header. */
static gboolean
open_manifest (LbArchiveReader *r,
               LbArchiveOpenFunc open_func,
               gpointer user_data,
               GCancellable *cancellable,
               GError **error)
{
  struct archive_entry *entry;
  gboolean eof;
  gint64 size;
  char *end;
  gsize header_len;

  r->cancellable = cancellable != NULL ? g_object_ref (cancellable) : NULL;
  r->manifest = open_archive (&r->manifest_src, open_func, user_data, cancellable, error);
  if (r->manifest == NULL)
    return FALSE;
  if (!next_file (&r->manifest_src, r->manifest, &entry, &eof, error))
    return FALSE;
  if (eof || !g_str_equal (archive_entry_pathname (entry), LB_MANIFEST_NAME))
    {
      set_corrupt (error, _ ("it does not start with a manifest"));
      return FALSE;
    }
  size = archive_entry_size (entry);

  /* The header ends at the first blank line, within the first 4 KiB. */
  while (r->line_len < MANIFEST_HEADER_MAX && r->line_len < (gsize) size)
    {
      gsize before = r->line_len;
      if (!fill_lines (r, error))
        return FALSE;
      if (r->line_len == before)
        break;
    }
  end = g_strstr_len (r->line_buf, (gssize) MIN (r->line_len, MANIFEST_HEADER_MAX), "\n\n");
  if (end == NULL)
    {
      set_corrupt (error, _ ("the manifest's header is malformed"));
      return FALSE;
    }
  *end = '\0';
  if (!parse_manifest_header (r, r->line_buf, error))
    return FALSE;
  header_len = (gsize) (end - r->line_buf) + 2;
  r->line_pos = header_len;
  if ((guint64) size != header_len + r->m.count * DIGEST_LINE_LEN)
    {
      set_corrupt (error, _ ("the manifest's size does not match its license count"));
      return FALSE;
    }

  return TRUE;
}

gboolean
lb_archive_read_manifest (LbArchiveOpenFunc open_func,
                          gpointer user_data,
                          LbManifest *manifest,
                          GCancellable *cancellable,
                          GError **error)
{
  g_autoptr (LbArchiveReader) r = g_new0 (LbArchiveReader, 1);

  if (!open_manifest (r, open_func, user_data, cancellable, error))
    return FALSE;
  *manifest = r->m;
  return TRUE;
}

LbArchiveReader *
lb_archive_reader_new (LbArchiveOpenFunc open_func,
                       gpointer user_data,
                       GCancellable *cancellable,
                       GError **error)
{
  g_autoptr (LbArchiveReader) r = g_new0 (LbArchiveReader, 1);
  struct archive_entry *entry;
  gboolean eof;

  if (!open_manifest (r, open_func, user_data, cancellable, error))
    return NULL;
  r->entries = open_archive (&r->entries_src, open_func, user_data, cancellable, error);
  if (r->entries == NULL)
    return NULL;
  if (!next_file (&r->entries_src, r->entries, &entry, &eof, error))
    return NULL;
  if (eof || !g_str_equal (archive_entry_pathname (entry), LB_MANIFEST_NAME))
    {
      set_corrupt (error, _ ("it changed while being read"));
      return NULL;
    }
  r->data = g_malloc (LB_ENCODED_MAX);
  return g_steal_pointer (&r);
}

const LbManifest *
lb_archive_reader_get_manifest (LbArchiveReader *r)
{
  return &r->m;
}

char *
lb_archive_reader_describe_entry (LbArchiveReader *r)
{
  g_autofree char *prev = NULL;

  if (r->current != NULL)
    return g_strdup (r->current);
  prev = r->prev_key_id != NULL ? lb_archive_entry_name (r->prev_app, r->prev_key_id)
                                : g_strdup (LB_MANIFEST_NAME);
  /* TRANSLATORS: where a backup is damaged: %s is the last whole entry's name */
  return g_strdup_printf (_ ("the entry after %s"), prev);
}

static gboolean
next_digest (LbArchiveReader *r, guint8 digest[LB_DIGEST_LEN], GError **error)
{
  const char *line;

  if (r->line_len - r->line_pos < DIGEST_LINE_LEN && !fill_lines (r, error))
    return FALSE;
  if (r->line_len - r->line_pos < DIGEST_LINE_LEN)
    {
      set_corrupt (error, _ ("the manifest is shorter than its license count"));
      return FALSE;
    }
  line = r->line_buf + r->line_pos;
  r->line_pos += DIGEST_LINE_LEN;
  if (line[DIGEST_LINE_LEN - 1] != '\n')
    goto bad;
  for (guint i = 0; i < LB_DIGEST_LEN; i++)
    {
      int hi = g_ascii_xdigit_value (line[2 * i]);
      int lo = g_ascii_xdigit_value (line[2 * i + 1]);
      /* Lower case only: one spelling, so a flipped case bit is damage. */
      if (hi < 0 || lo < 0 || g_ascii_isupper (line[2 * i]) || g_ascii_isupper (line[2 * i + 1]))
        goto bad;
      digest[i] = (guint8) (hi << 4 | lo);
    }
  return TRUE;

bad:
  set_corrupt (error, _ ("a manifest line is malformed"));
  return FALSE;
}

gboolean
lb_archive_reader_next (LbArchiveReader *r, LbRecord **license, guint8 *digest, GError **error)
{
  struct archive_entry *entry;
  gboolean eof;
  gint64 size;
  guint8 want[LB_DIGEST_LEN], got[LB_DIGEST_LEN];
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (LbRecord) l = NULL;
  g_autofree char *name = NULL;
  const char *app;

  *license = NULL;
  if (g_cancellable_set_error_if_cancelled (r->cancellable, error))
    {
      lb_error_convert (error);
      return FALSE;
    }
  g_clear_pointer (&r->current, g_free);
  if (!next_file (&r->entries_src, r->entries, &entry, &eof, error))
    return FALSE;
  if (!eof)
    r->current = g_strdup (archive_entry_pathname (entry));
  if (r->index == r->m.count)
    {
      if (!eof)
        {
          set_corrupt (error, _ ("it holds more entries than its manifest lists"));
          return FALSE;
        }
      if (!fill_lines (r, error))
        return FALSE;
      if (r->line_len != r->line_pos)
        {
          set_corrupt (error, _ ("the manifest is longer than its license count"));
          return FALSE;
        }
      return TRUE;
    }
  if (eof)
    {
      set_corrupt (error, _ ("it holds fewer entries than its manifest lists"));
      return FALSE;
    }

  size = archive_entry_size (entry);
  if (size == 0 || size > LB_ENCODED_MAX)
    {
      set_corrupt (error, _ ("an entry's size is out of bounds"));
      return FALSE;
    }
  if (!g_str_has_prefix (archive_entry_pathname (entry), ENTRY_PREFIX))
    {
      set_corrupt (error, _ ("an entry has an unexpected name"));
      return FALSE;
    }
  if (!read_exact (&r->entries_src, r->entries, r->data, (gsize) size, error))
    return FALSE;
  if (!next_digest (r, want, error))
    return FALSE;
  bytes = g_bytes_new (r->data, (gsize) size);
  lb_digest (bytes, got);
  if (memcmp (want, got, LB_DIGEST_LEN) != 0)
    {
      set_corrupt (error, _ ("an entry's checksum does not match the manifest"));
      return FALSE;
    }
  l = lb_record_decode (bytes, error);
  if (l == NULL)
    return FALSE;
  /* Format 1 had no apps: every license was the host's. */
  if (r->m.version < 2 && l->attrs.app != NULL)
    {
      set_corrupt (error, _ ("an entry names an app, which its format version does not know"));
      return FALSE;
    }
  name = lb_archive_entry_name (l->attrs.app, l->key_id);
  if (!g_str_equal (name, archive_entry_pathname (entry)))
    {
      set_corrupt (error, _ ("an entry's name does not match its key id"));
      return FALSE;
    }
  app = l->attrs.app != NULL ? l->attrs.app : "";
  if (r->prev_key_id != NULL
      && (strcmp (r->prev_app, app) > 0
          || (strcmp (r->prev_app, app) == 0 && strcmp (r->prev_key_id, l->key_id) >= 0)))
    {
      set_corrupt (error, _ ("entries are duplicated or out of order"));
      return FALSE;
    }
  g_free (r->prev_app);
  r->prev_app = g_strdup (app);
  g_free (r->prev_key_id);
  r->prev_key_id = g_strdup (l->key_id);
  r->index++;
  if (digest != NULL)
    memcpy (digest, got, LB_DIGEST_LEN);
  *license = g_steal_pointer (&l);
  return TRUE;
}

static void
source_clear (Source *src)
{
  g_clear_object (&src->in);
  g_clear_error (&src->io_error);
}

void
lb_archive_reader_free (LbArchiveReader *r)
{
  if (r == NULL)
    return;
  g_clear_pointer (&r->entries, archive_read_free);
  g_clear_pointer (&r->manifest, archive_read_free);
  source_clear (&r->entries_src);
  source_clear (&r->manifest_src);
  g_clear_object (&r->cancellable);
  g_free (r->prev_key_id);
  g_free (r->prev_app);
  g_free (r->current);
  g_free (r->data);
  g_free (r);
}

static GInputStream *
open_bytes (gpointer user_data, GError **error)
{
  return g_memory_input_stream_new_from_bytes (user_data);
}

gboolean
lb_archive_verify_bytes (GBytes *bytes, guint64 *count, GError **error)
{
  g_autoptr (LbArchiveReader) r = lb_archive_reader_new (open_bytes, bytes, NULL, error);

  *count = 0;
  if (r == NULL)
    return FALSE;
  for (;;)
    {
      g_autoptr (LbRecord) l = NULL;
      if (!lb_archive_reader_next (r, &l, NULL, error))
        return FALSE;
      if (l == NULL)
        return TRUE;
      (*count)++;
    }
}
