/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "import.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error-convert.h"

#define REQUIRED_SEALS (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW)

LbSealedFd
lb_sealed_fd_check (int fd, guint64 *size)
{
  struct stat st;
  int seals;

  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    return LB_SEALED_FD_NOT_REGULAR;
  seals = fcntl (fd, F_GET_SEALS);
  if (seals < 0 || (seals & REQUIRED_SEALS) != REQUIRED_SEALS)
    return LB_SEALED_FD_NOT_SEALED;
  *size = (guint64) st.st_size;
  return LB_SEALED_FD_OK;
}

gboolean
lb_import_check_fd (int fd, guint64 *size, GError **error)
{
  switch (lb_sealed_fd_check (fd, size))
    {
    case LB_SEALED_FD_NOT_REGULAR:
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS,
                   _ ("The licenses to import must come in a sealed memfd, not in this kind of "
                      "file; liblicense-backup's lb_client_store_licenses does this"));
      return FALSE;
    case LB_SEALED_FD_NOT_SEALED:
      /* Sealed, or the app could change the bytes while the service reads
       * and validates them. */
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS,
                   _ ("The memfd of licenses to import must be sealed against writing, "
                      "shrinking and growing (F_SEAL_WRITE, F_SEAL_SHRINK, F_SEAL_GROW) before it "
                      "is sent; nothing was stored"));
      return FALSE;
    case LB_SEALED_FD_OK:
    default:
      break;
    }
  if (*size > LB_IMPORT_MAX_SIZE)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS,
                   _ ("At most 4 GiB of licenses can be imported at once; split the import. "
                      "Nothing was stored"));
      return FALSE;
    }
  return TRUE;
}

gboolean
lb_import_read_fd (gpointer source, guint64 offset, guint8 *buf, gsize len, GError **error)
{
  int fd = GPOINTER_TO_INT (source);

  while (len > 0)
    {
      ssize_t n = pread (fd, buf, len, (off_t) offset);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          int errsv = n < 0 ? errno : EIO;
          g_set_error (error, LB_ERROR, lb_error_code_from_errno (errsv),
                       _ ("Cannot read the licenses to import: %s"), g_strerror (errsv));
          return FALSE;
        }
      buf += n;
      len -= (gsize) n;
      offset += (guint64) n;
    }
  return TRUE;
}

static gboolean
malformed (GError **error, guint64 index, guint64 offset, const char *what)
{
  g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS,
               _ ("License %" PRIu64 " at byte %" PRIu64 " of the import: %s. Nothing was stored"),
               index, offset, what);
  return FALSE;
}

/* The GVariant framing of a (saya{sv}) record, read by hand: checking a
 * whole untrusted record with GLib walks the blob byte by byte (g_variant
 * checks each child's normal form), a third of an import's time. The key
 * id and the attributes are still read by GLib; the blob is any bytes. On
 * success the three parts point into @d. */
static gboolean
split_record (const guint8 *d,
              gsize n,
              const char **key,
              const guint8 **blob,
              gsize *blob_len,
              const guint8 **attrs,
              gsize *attrs_len)
{
  gsize osz = n > G_MAXUINT32 ? 8 : n > G_MAXUINT16 ? 4 : n > G_MAXUINT8 ? 2 : 1;
  gsize body, end_key = 0, end_blob = 0, start_attrs;

  if (n < 2 * osz)
    return FALSE;
  body = n - 2 * osz;
  /* Framing offsets, last bytes first: the end of the key, then of the blob. */
  for (gsize i = 0; i < osz; i++)
    {
      end_key |= (gsize) d[n - osz + i] << (8 * i);
      end_blob |= (gsize) d[n - 2 * osz + i] << (8 * i);
    }
  if (end_key < 1 || end_key > end_blob || end_blob > body)
    return FALSE;
  /* A string in normal form: one NUL, at its end. */
  if (d[end_key - 1] != '\0' || memchr (d, '\0', end_key - 1) != NULL)
    return FALSE;
  start_attrs = (end_blob + 7) & ~(gsize) 7;
  if (start_attrs > body)
    return FALSE;
  for (gsize i = end_blob; i < start_attrs; i++)
    if (d[i] != 0)
      return FALSE;
  *key = (const char *) d;
  *blob = d + end_key;
  *blob_len = end_blob - end_key;
  *attrs = d + start_attrs;
  *attrs_len = body - start_attrs;
  return TRUE;
}

static LbRecord *
record_from_parts (const char *key,
                   const guint8 *blob,
                   gsize blob_len,
                   const guint8 *attrs,
                   gsize attrs_len,
                   GError **error)
{
  g_autoptr (LbRecord) license = NULL;
  g_autoptr (GBytes) attrs_bytes = g_bytes_new (attrs, attrs_len);
  g_autoptr (GVariant) attributes
      = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE_VARDICT, attrs_bytes, FALSE));

  if (!lb_key_id_validate (key, error) || !lb_blob_validate (blob_len, error))
    return NULL;
  if (!g_variant_is_normal_form (attributes))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS,
                   _ ("the attributes are not an a{sv} in normal form"));
      return NULL;
    }
  license = lb_record_new (key, NULL);
  license->blob = g_bytes_new (blob, blob_len);
  if (!lb_attributes_parse (attributes, LB_ATTRIBUTES_CALLER, &license->attrs, error))
    return NULL;
  return g_steal_pointer (&license);
}

gboolean
lb_import_parse (LbImportReadFunc read,
                 gpointer source,
                 guint64 size,
                 LbImportRecordFunc func,
                 gpointer user_data,
                 guint64 *count,
                 GError **error)
{
  g_autofree guint8 *buf = NULL;
  guint8 magic[LB_IMPORT_MAGIC_LEN];
  guint64 offset = LB_IMPORT_MAGIC_LEN, index = 0;

  *count = 0;
  if (size < LB_IMPORT_MAGIC_LEN || !read (source, 0, magic, sizeof magic, error)
      || memcmp (magic, LB_IMPORT_MAGIC, LB_IMPORT_MAGIC_LEN) != 0)
    {
      if (error != NULL && *error != NULL)
        return FALSE;
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS,
                   _ ("The licenses to import do not start with LBI1; see "
                      "docs/import-format.md. Nothing was stored"));
      return FALSE;
    }
  buf = g_malloc (LB_IMPORT_RECORD_MAX);
  while (offset < size)
    {
      g_autoptr (GError) local_error = NULL;
      const char *key;
      const guint8 *blob, *attrs;
      gsize blob_len, attrs_len;
      g_autoptr (LbRecord) license = NULL;
      guint8 len_le[4];
      guint32 len;

      if (size - offset < sizeof len_le)
        return malformed (error, index, offset, _ ("the file ends inside a record's length"));
      if (!read (source, offset, len_le, sizeof len_le, error))
        return FALSE;
      memcpy (&len, len_le, sizeof len);
      len = GUINT32_FROM_LE (len);
      if (len == 0 || len > LB_IMPORT_RECORD_MAX)
        return malformed (error, index, offset, _ ("a record's length is out of bounds"));
      if (size - offset - sizeof len_le < len)
        return malformed (error, index, offset, _ ("the file ends inside the record"));
      if (!read (source, offset + sizeof len_le, buf, len, error))
        return FALSE;
      if (!split_record (buf, len, &key, &blob, &blob_len, &attrs, &attrs_len))
        return malformed (error, index, offset,
                          _ ("the record is not a (saya{sv}) in normal form"));
      license = record_from_parts (key, blob, blob_len, attrs, attrs_len, &local_error);
      if (license == NULL)
        return malformed (error, index, offset, local_error->message);
      if (!func (license, user_data, error))
        return FALSE;
      offset += sizeof len_le + len;
      index++;
    }
  *count = index;
  return TRUE;
}

typedef struct
{
  const guint8 *data;
  gsize size;
} Memory;

static gboolean
read_memory (gpointer source, guint64 offset, guint8 *buf, gsize len, GError **error)
{
  Memory *m = source;

  /* lb_import_parse never reads past @size. */
  g_assert (offset <= m->size && len <= m->size - offset);
  memcpy (buf, m->data + offset, len);
  return TRUE;
}

gboolean
lb_import_parse_bytes (const guint8 *data,
                       gsize size,
                       LbImportRecordFunc func,
                       gpointer user_data,
                       guint64 *count,
                       GError **error)
{
  Memory m = { data, size };

  return lb_import_parse (read_memory, &m, size, func, user_data, count, error);
}
