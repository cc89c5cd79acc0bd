/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "verify.h"

#include <fcntl.h>
#include <glib/gi18n.h>
#include <license-backup/lb-error.h>
#include <string.h>
#include <unistd.h>

#include "error-convert.h"
#include "operation.h"

void
lb_verify_result_clear (LbVerifyResult *result)
{
  g_clear_pointer (&result->apps, g_hash_table_unref);
  g_clear_pointer (&result->damaged_entry, g_free);
}

static GInputStream *
open_backup (gpointer user_data, GError **error)
{
  return G_INPUT_STREAM (g_file_read (G_FILE (user_data), NULL, error));
}

/* What was written may still sit in this computer's memory; a check of
 * those pages would prove nothing about the disk. Dirty pages cannot be
 * dropped, hence the sync first. Other files (GVfs) are read from the
 * server anyway. */
static void
drop_cached_pages (GFile *file)
{
  g_autofree char *path = g_file_get_path (file);
  int fd;

  if (path == NULL)
    return;
  fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0)
    return;
  if (fdatasync (fd) != 0)
    g_debug ("cannot sync %s before reading it back: %s", path, g_strerror (errno));
  if (posix_fadvise (fd, 0, 0, POSIX_FADV_DONTNEED) != 0)
    g_debug ("cannot drop the cached pages of %s", path);
  close (fd);
}

gboolean
lb_verify_file (GFile *file,
                gboolean uncached,
                GCancellable *cancellable,
                LbVerifyProgressFunc progress,
                gpointer user_data,
                LbVerifyResult *result,
                GError **error)
{
  g_autoptr (LbArchiveReader) reader = NULL;
  g_autoptr (GFileInfo) info = NULL;
  GError *local_error = NULL;

  memset (result, 0, sizeof *result);
  if (uncached)
    drop_cached_pages (file);
  info = g_file_query_info (file, G_FILE_ATTRIBUTE_STANDARD_SIZE, G_FILE_QUERY_INFO_NONE,
                            cancellable, error);
  if (info == NULL)
    {
      lb_error_convert (error);
      return FALSE;
    }
  result->bytes = (guint64) g_file_info_get_size (info);
  reader = lb_archive_reader_new (open_backup, file, cancellable, &local_error);
  if (reader == NULL)
    {
      if (g_error_matches (local_error, LB_ERROR, LB_ERROR_BACKUP_CORRUPT))
        result->damaged_entry = g_strdup (LB_MANIFEST_NAME);
      g_propagate_error (error, local_error);
      return FALSE;
    }
  result->has_manifest = TRUE;
  result->manifest = *lb_archive_reader_get_manifest (reader);
  for (;;)
    {
      g_autoptr (LbRecord) l = NULL;

      if (!lb_archive_reader_next (reader, &l, NULL, &local_error))
        {
          if (g_error_matches (local_error, LB_ERROR, LB_ERROR_BACKUP_CORRUPT))
            result->damaged_entry = lb_archive_reader_describe_entry (reader);
          g_propagate_error (error, local_error);
          return FALSE;
        }
      if (l == NULL)
        return TRUE;
      result->licenses++;
      lb_app_counts_add (&result->apps, l->attrs.app);
      if (progress != NULL)
        progress (result->licenses, result->manifest.count, user_data);
    }
}
