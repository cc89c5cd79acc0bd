/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "verify.h"

#include <fcntl.h>
#include <glib/gi18n.h>
#include <license-backup/lb-error.h>
#include <string.h>
#include <unistd.h>

#include "error-convert.h"
#include "fault.h"
#include "generations.h"
#include "lb-age.h"
#include "location.h"
#include "operation.h"
#include "verifications.h"

void
lb_verify_result_clear (LbVerifyResult *result)
{
  g_clear_pointer (&result->apps, g_hash_table_unref);
  g_clear_pointer (&result->damaged_entry, g_free);
  g_clear_pointer (&result->location, g_free);
}

char *
lb_verify_describe_failure (const LbVerifyResult *result, const GError *error)
{
  if (result->damaged_entry == NULL)
    return g_strdup (error->message);
  /* TRANSLATORS: %s is where in the backup file, e.g. "licenses/song-1" */
  return g_strdup_printf (_ ("damaged at %s"), result->damaged_entry);
}

gboolean
lb_backup_file_is_encrypted (GFile *file,
                             gboolean *encrypted,
                             GCancellable *cancellable,
                             GError **error)
{
  g_autoptr (GFileInputStream) in = g_file_read (file, cancellable, error);
  guint8 head[LB_AGE_MAGIC_LEN];
  gsize got = 0;

  if (in == NULL
      || !g_input_stream_read_all (G_INPUT_STREAM (in), head, sizeof head, &got, cancellable,
                                   error))
    {
      lb_error_convert (error);
      return FALSE;
    }
  *encrypted = lb_age_sniff (head, got);
  return TRUE;
}

gboolean
lb_verify_error_is_passphrase (const GError *error)
{
  return g_error_matches (error, LB_ERROR, LB_ERROR_PASSPHRASE_REQUIRED)
         || g_error_matches (error, LB_ERROR, LB_ERROR_KEYRING_UNAVAILABLE)
         || g_error_matches (error, LB_ERROR, LB_ERROR_BAD_PASSPHRASE);
}

gboolean
lb_backup_opener_init (
    LbBackupOpener *opener, GFile *file, LbOperation *op, GCancellable *cancellable, GError **error)
{
  gboolean encrypted = FALSE;
  g_autoptr (GError) local_error = NULL;

  opener->file = file;
  opener->passphrase = NULL;
  opener->cancellable = cancellable;
  if (!lb_backup_file_is_encrypted (file, &encrypted, cancellable, error))
    return FALSE;
  if (!encrypted)
    return TRUE;
  if (op != NULL)
    opener->passphrase = lb_operation_get_passphrase (op, &local_error);
  if (opener->passphrase != NULL)
    return TRUE;
  /* A locked keyring or none: the user's answer is the passphrase. */
  if (local_error != NULL)
    g_debug ("no passphrase for %s: %s",
             g_file_peek_path (file) != NULL ? g_file_peek_path (file) : "the backup",
             local_error->message);
  g_set_error_literal (error, LB_ERROR, LB_ERROR_PASSPHRASE_REQUIRED,
                       _ ("This backup is encrypted: give its passphrase"));
  return FALSE;
}

GInputStream *
lb_backup_opener_open (gpointer user_data, GError **error)
{
  LbBackupOpener *opener = user_data;
  g_autoptr (GFileInputStream) in = g_file_read (opener->file, NULL, error);

  if (in == NULL || opener->passphrase == NULL)
    return G_INPUT_STREAM (g_steal_pointer (&in));
  /* Checks the header and derives the key (once per salt: the second
   * stream of a reader finds it derived). */
  return lb_age_decrypt_stream_new (G_INPUT_STREAM (in), opener->passphrase, opener->cancellable,
                                    error);
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
                LbOperation *op,
                GCancellable *cancellable,
                LbVerifyProgressFunc progress,
                gpointer user_data,
                LbVerifyResult *result,
                GError **error)
{
  g_autoptr (LbArchiveReader) reader = NULL;
  g_autoptr (GFileInfo) info = NULL;
  GError *local_error = NULL;
  LbBackupOpener opener;

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
  if (!lb_backup_opener_init (&opener, file, op, cancellable, error))
    return FALSE;
  reader = lb_archive_reader_new (lb_backup_opener_open, &opener, cancellable, &local_error);
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

/* The operation: VerifyBackup */

static LbVerifyResult *
get_result (LbOperation *op)
{
  return lb_operation_get_result (op, sizeof (LbVerifyResult),
                                  (GDestroyNotify) lb_verify_result_clear);
}

typedef struct
{
  GFile *file;
} VerifySteps;

gboolean
lb_verify_check_folder (GFile *dir,
                        const char *generation,
                        GFile *file,
                        goffset *size,
                        GCancellable *cancellable,
                        GError **error)
{
  gboolean exists = FALSE;

  return lb_location_prepare_dir (dir, FALSE, cancellable, error)
         && lb_generations_check_named (dir, generation, cancellable, error)
         && lb_location_check_backup_file (file, TRUE, &exists, size, cancellable, error);
}

/* The file it reads is the newest backup unless one is named. */
static gboolean
check_folder (LbOperation *op, GFile *dir, GCancellable *cancellable, gpointer data, GError **error)
{
  VerifySteps *steps = data;
  const char *generation = lb_operation_get_generation (op);
  LbVerifyResult *result = get_result (op);

  steps->file = lb_generations_pick (dir, generation, cancellable);
  g_free (result->location);
  result->location = g_file_get_uri (steps->file);
  return lb_verify_check_folder (dir, generation, steps->file, NULL, cancellable, error);
}

static void
progress (guint64 done, guint64 total, gpointer user_data)
{
  LbOperation *op = user_data;

  if (done == 1)
    lb_operation_set_total (op, total);
  lb_operation_set_done (op, done);
}

static gboolean
verify_step (LbOperation *op, GFile *dir, GCancellable *cancellable, gpointer data, GError **error)
{
  VerifySteps *steps = data;
  LbVerifyResult *result = get_result (op);
  g_autofree char *location = g_steal_pointer (&result->location);
  g_autofree char *name = g_file_get_basename (steps->file);
  g_autoptr (GError) local_error = NULL;
  LbVerifications *verifications = lb_operation_get_verifications (op);
  gboolean ok;

  lb_verify_result_clear (result);
  ok = lb_verify_file (steps->file, TRUE, op, cancellable, progress, op, result, &local_error);
  result->location = g_steal_pointer (&location);
  /* A cancel says nothing about the backup, nor does a passphrase that
   * does not open it. */
  if (verifications != NULL && !g_cancellable_is_cancelled (cancellable)
      && (ok || !lb_verify_error_is_passphrase (local_error)))
    lb_verifications_record (verifications, dir, name, lb_fault_now (),
                             ok ? NULL : local_error->message, FALSE);
  if (!ok)
    g_propagate_error (error, g_steal_pointer (&local_error));
  return ok;
}

gboolean
lb_verify_run (LbStore *store, LbOperation *op, GError **error)
{
  GFile *dir = lb_operation_get_location (op);
  g_autoptr (GFile) file = g_file_get_child (dir, LB_BACKUP_FILE_NAME);
  VerifySteps steps = { NULL };
  gboolean ok;

  get_result (op)->location = g_file_get_uri (file);
  ok = lb_location_run (dir, op, check_folder, verify_step, &steps, error);
  g_clear_object (&steps.file);
  if (!ok)
    lb_error_convert (error);
  return ok;
}

static void
summarize (LbOperation *op, GVariantBuilder *summary)
{
  const LbVerifyResult *r = get_result (op);

  lb_operation_summary_add_counts (summary, (guint) r->licenses, 0, r->bytes, r->location);
  g_variant_builder_add (summary, "{sv}", "apps",
                         g_variant_new_uint32 (r->apps != NULL ? g_hash_table_size (r->apps) : 0));
  if (r->has_manifest)
    {
      g_variant_builder_add (summary, "{sv}", "created", g_variant_new_int64 (r->manifest.created));
      g_variant_builder_add (summary, "{sv}", "host", g_variant_new_string (r->manifest.host));
      g_variant_builder_add (summary, "{sv}", "format-version",
                             g_variant_new_uint32 (r->manifest.version));
    }
  if (r->damaged_entry != NULL)
    g_variant_builder_add (summary, "{sv}", "damaged-entry",
                           g_variant_new_string (r->damaged_entry));
}

static gboolean
conclude (LbOperation *op, LbOperationOutcome *outcome, GError **error)
{
  outcome->apps = get_result (op)->apps;
  return TRUE;
}

const LbOperationKindInfo lb_verify_kind = {
  .kind = LB_OPERATION_VERIFY,
  .progress_signal = "verify-progress",
  .completed_signal = "verify-completed",
  .flags = 0,
  .reads_backups = TRUE,
  .unknown_flags = N_ ("Unknown flags 0x%x; checking a backup takes no flags"),
  .no_location = N_ ("No folder to check is set; set RestorePath or BackupPath, or pass a folder"),
  .busy = N_ ("A backup is being checked; wait for it to finish or cancel it first"),
  .not_running = N_ ("No backup is being checked, so there is nothing to cancel"),
  .final_step = N_ ("The check is in its final step and can no longer be cancelled; it ends "
                    "in a moment"),
  .cancelled = N_ ("The check of the backup was cancelled; nothing was changed"),
  .run = lb_verify_run,
  .summarize = summarize,
  .conclude = conclude,
};
