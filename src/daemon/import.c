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

gboolean
lb_import_check_fd (int fd, guint64 *size, GError **error)
{
  struct stat st;
  int seals;

  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS,
                   _ ("The licenses to import must come in a sealed memfd, not in this kind of "
                      "file; liblicense-backup's lb_client_store_licenses does this"));
      return FALSE;
    }
  /* Sealed, or the app could change the bytes while the service reads and
   * validates them. */
  seals = fcntl (fd, F_GET_SEALS);
  if (seals < 0 || (seals & REQUIRED_SEALS) != REQUIRED_SEALS)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS,
                   _ ("The memfd of licenses to import must be sealed against writing, "
                      "shrinking and growing (F_SEAL_WRITE, F_SEAL_SHRINK, F_SEAL_GROW) before it "
                      "is sent; nothing was stored"));
      return FALSE;
    }
  if ((guint64) st.st_size > LB_IMPORT_MAX_SIZE)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS,
                   _ ("At most 4 GiB of licenses can be imported at once; split the import. "
                      "Nothing was stored"));
      return FALSE;
    }
  *size = (guint64) st.st_size;
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
      g_autoptr (GBytes) bytes = NULL;
      g_autoptr (GVariant) item = NULL;
      g_autoptr (GVariant) key_v = NULL;
      g_autoptr (GVariant) blob = NULL;
      g_autoptr (GVariant) attributes = NULL;
      g_autoptr (GError) local_error = NULL;
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
      bytes = g_bytes_new (buf, len);
      item = g_variant_ref_sink (
          g_variant_new_from_bytes (G_VARIANT_TYPE ("(saya{sv})"), bytes, FALSE));
      /* Normal form: no byte of it is there but the license's. */
      if (!g_variant_is_normal_form (item))
        return malformed (error, index, offset,
                          _ ("the record is not a (saya{sv}) in normal form"));
      key_v = g_variant_get_child_value (item, 0);
      blob = g_variant_get_child_value (item, 1);
      attributes = g_variant_get_child_value (item, 2);
      license = lb_record_from_args (g_variant_get_string (key_v, NULL), blob, attributes,
                                     &local_error);
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
