/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "backup.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gfiledescriptorbased.h>
#include <glib/gi18n.h>
#include <string.h>
#include <unistd.h>

#include "lb-age.h"
#include "lb-archive.h"
#include "fault.h"
#include "error-convert.h"
#include "generations.h"
#include "machine-id.h"
#include "verifications.h"
#include "verify.h"
#include "location.h"

/* A RestrictedLicense signal costs ~25 µs (one D-Bus message a
 * recipient): a quarter of a backup's time when one license in ten is
 * left out. A reporter thread sends them while the worker writes the
 * licenses; the worker walks the restricted set beside the eligible one on
 * the same snapshot, handing over a few at a time (bounded memory). */
#define REPORTS_QUEUED 256

typedef struct
{
  LbArchiveWriter *writer;
  LbOperation *op;
  guint64 done;
  guint skipped;
  guint64 steps;    /* rows walked by the index-only passes */
  GHashTable *apps; /* licenses written, by app */
  LbSnapshotCursor *restricted;
  GAsyncQueue *reports; /* LbRecord *; the run itself ends the reporter */
  GThread *reporter;
} BackupRun;

/* The index-only passes walk up to a million rows: look at the cancellable
 * every so often, so that a cancel takes effect within milliseconds. */
static gboolean
check_cancelled (BackupRun *run, GError **error)
{
  if ((++run->steps & 1023) != 0)
    return FALSE;
  if (g_cancellable_set_error_if_cancelled (lb_operation_get_cancellable (run->op), error))
    {
      lb_error_convert (error);
      return TRUE;
    }
  return FALSE;
}

static void
report_restricted (LbOperation *op, const LbRecord *license)
{
  lb_operation_restricted (op, license, license->attrs.can_backup ? "expired" : "no-backup-right");
}

static gpointer
reporter_thread (gpointer user_data)
{
  BackupRun *run = user_data;
  gpointer item;

  while ((item = g_async_queue_pop (run->reports)) != run)
    {
      report_restricted (run->op, item);
      lb_record_free (item);
    }
  return NULL;
}

/* Hands restricted licenses to the reporter while it has few queued; with
 * @all, the rest, reported here (beside the reporter's last ones). */
static gboolean
hand_over_restricted (BackupRun *run, gboolean all, GError **error)
{
  while (all || g_async_queue_length (run->reports) < REPORTS_QUEUED)
    {
      g_autoptr (LbRecord) license = NULL;
      const guint8 *digest;

      if (check_cancelled (run, error))
        return FALSE;
      if (!lb_snapshot_cursor_next (run->restricted, &license, &digest, error))
        return FALSE;
      if (license == NULL)
        return TRUE;
      run->skipped++;
      if (all)
        report_restricted (run->op, license);
      else
        g_async_queue_push (run->reports, g_steal_pointer (&license));
    }
  return TRUE;
}

/* Waits until every restricted license handed over has been reported. */
static void
stop_reporter (BackupRun *run)
{
  if (run->reporter == NULL)
    return;
  g_async_queue_push (run->reports, run);
  g_clear_pointer (&run->reporter, g_thread_join);
}

static gboolean
add_digest (const guint8 *digest, gpointer user_data, GError **error)
{
  BackupRun *run = user_data;

  if (check_cancelled (run, error))
    return FALSE;
  return lb_archive_writer_add_digest (run->writer, digest, error);
}

static gboolean
add_license (LbRecord *license, const guint8 *digest, gpointer user_data, GError **error)
{
  BackupRun *run = user_data;
  g_autoptr (GBytes) header = lb_record_encode_header (license);
  guint8 check[LB_DIGEST_LEN];

  /* The manifest carries the stored digest: a row that no longer matches
   * it would make a backup that can never be restored. */
  lb_record_digest (license, header, check);
  if (memcmp (check, digest, LB_DIGEST_LEN) != 0)
    {
      /* The message reaches every listener (Status, BackupCompleted): it
       * names no license, which may be another app's; the log does. */
      g_warning ("The license “%s” of app “%s” is damaged in the store", license->key_id,
                 license->attrs.app != NULL ? license->attrs.app : "");
      g_set_error (error, LB_ERROR, LB_ERROR_FAILED,
                   _ ("A license is damaged in the store (the service's log, journalctl --user "
                      "-u license-backup, names it); delete it or store it again, then back up"));
      return FALSE;
    }
  if (!lb_archive_writer_add_license (run->writer, license, header, error)
      || !hand_over_restricted (run, FALSE, error))
    return FALSE;
  lb_app_counts_add (&run->apps, license->attrs.app);
  lb_operation_set_done (run->op, ++run->done);
  return TRUE;
}

/* Removes temporary files that a crashed backup left behind. */
static void
remove_stale_temporaries (GFile *dir, GCancellable *cancellable)
{
  g_autoptr (GFileEnumerator) e = NULL;
  GFileInfo *info;
  GFile *child;

  e = g_file_enumerate_children (dir, G_FILE_ATTRIBUTE_STANDARD_NAME,
                                 G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, cancellable, NULL);
  if (e == NULL)
    return;
  while (g_file_enumerator_iterate (e, &info, &child, cancellable, NULL) && info != NULL)
    if (g_str_has_prefix (g_file_info_get_name (info), LB_BACKUP_TMP_PREFIX)
        || g_str_has_prefix (g_file_info_get_name (info), LB_BACKUP_TMP_PREFIX_OLD))
      {
        g_debug ("removing stale %s", g_file_info_get_name (info));
        g_file_delete (child, cancellable, NULL);
      }
}

static gboolean
sync_stream (GOutputStream *out, GError **error)
{
  int fd;

  if (!G_IS_FILE_DESCRIPTOR_BASED (out))
    return TRUE; /* GVfs backends make replacing durable on their side */
  fd = g_file_descriptor_based_get_fd (G_FILE_DESCRIPTOR_BASED (out));
  if (fsync (fd) != 0)
    {
      int errsv = errno;
      g_set_error (error, LB_ERROR, lb_error_code_from_errno (errsv),
                   _ ("Cannot write the backup to disk: %s"), g_strerror (errsv));
      return FALSE;
    }
  return TRUE;
}

static void
sync_dir (GFile *dir)
{
  g_autofree char *path = g_file_get_path (dir);
  int fd;

  if (path == NULL)
    return;
  fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0)
    {
      fsync (fd);
      close (fd);
    }
}

static GFileOutputStream *
create_temporary (GFile *dir, GFile **tmp, GCancellable *cancellable, GError **error)
{
  for (guint attempt = 0;; attempt++)
    {
      g_autofree char *name = g_strdup_printf (LB_BACKUP_TMP_PREFIX "%08x", g_random_int ());
      g_autoptr (GError) local_error = NULL;
      GFileOutputStream *out;

      *tmp = g_file_get_child (dir, name);
      out = g_file_create (*tmp, G_FILE_CREATE_PRIVATE, cancellable, &local_error);
      if (out != NULL)
        return out;
      g_clear_object (tmp);
      if (!g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_EXISTS) || attempt > 8)
        {
          g_autofree char *reason = lb_error_reason (local_error);
          g_autofree char *dir_name = g_file_get_parse_name (dir);

          lb_error_convert (&local_error);
          g_set_error (error, LB_ERROR, local_error->code,
                       _ ("Cannot create the backup file in %s: %s"), dir_name, reason);
          return NULL;
        }
    }
}

/* Moves the finished temporary file to the new backup's name: after every
 * backup in the folder (generations.h), never over another file. Another
 * computer sharing the folder may take that name first: then the next. */
static GFile *
move_into_place (GFile *dir, GFile *tmp, gint64 now, GCancellable *cancellable, GError **error)
{
  g_autoptr (GError) list_error = NULL;
  g_autoptr (GPtrArray) all
      = lb_generations_list (dir, LB_GENERATIONS_NONE, cancellable, &list_error);
  g_autofree char *name = all != NULL ? lb_generations_next_name (all, now) : NULL;

  if (all == NULL)
    {
      g_autofree char *reason = lb_error_reason (list_error);
      g_autofree char *dir_name = g_file_get_parse_name (dir);

      lb_error_convert (&list_error);
      g_set_error (error, LB_ERROR, list_error->code, _ ("Cannot list the backups in %s: %s"),
                   dir_name, reason);
      return NULL;
    }
  for (guint attempt = 0; name != NULL && attempt < 100; attempt++)
    {
      g_autoptr (GFile) dest = g_file_get_child (dir, name);
      g_autoptr (GError) local_error = NULL;
      char *next;

      lb_fault_point ("backup-before-rename");
      if (g_file_move (tmp, dest, G_FILE_COPY_NOFOLLOW_SYMLINKS, NULL, NULL, NULL, &local_error))
        return g_steal_pointer (&dest);
      if (!g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_EXISTS))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
      next = lb_generation_name_after (name);
      g_free (name);
      name = next;
    }
  g_set_error (error, LB_ERROR, LB_ERROR_FAILED,
               _ ("The backup folder holds backups named for dates this backup cannot follow; "
                  "move them to another folder, or choose another folder"));
  return NULL;
}

/* For LB_FAULT_DAMAGE=backup-read-back: one byte in the middle of @file
 * changes after it was written, as on a failing drive. */
static void
damage_for_test (GFile *file)
{
  g_autoptr (GFileIOStream) io = g_file_open_readwrite (file, NULL, NULL);
  g_autoptr (GFileInfo) info = g_file_query_info (file, G_FILE_ATTRIBUTE_STANDARD_SIZE,
                                                  G_FILE_QUERY_INFO_NONE, NULL, NULL);
  GInputStream *in;
  GOutputStream *out;
  goffset middle;
  guint8 byte = 0;

  if (io == NULL || info == NULL)
    return;
  in = g_io_stream_get_input_stream (G_IO_STREAM (io));
  out = g_io_stream_get_output_stream (G_IO_STREAM (io));
  middle = g_file_info_get_size (info) / 2;
  if (g_seekable_seek (G_SEEKABLE (io), middle, G_SEEK_SET, NULL, NULL)
      && g_input_stream_read (in, &byte, 1, NULL, NULL) == 1
      && g_seekable_seek (G_SEEKABLE (io), middle, G_SEEK_SET, NULL, NULL))
    {
      byte ^= 0x01;
      g_output_stream_write (out, &byte, 1, NULL, NULL);
    }
  g_io_stream_close (G_IO_STREAM (io), NULL, NULL);
}

/* Reads the new backup back, from the storage rather than this computer's
 * memory, before anything older goes: a drive or server that does not
 * keep what it was given fails the backup now, not the restore later. The
 * result is remembered: a backup that failed is never a restore's default. */
static gboolean
read_back (LbOperation *op, GFile *dir, GFile *dest, const char *name, GError **error)
{
  LbVerifications *verifications = lb_operation_get_verifications (op);
  g_autoptr (GError) local_error = NULL;
  g_autofree char *where = NULL;
  g_autofree char *what = NULL;
  LbVerifyResult check;
  gboolean ok;

  if (lb_fault_damage ("backup-read-back"))
    damage_for_test (dest);
  /* Not cancelable any more; a server that stopped answering is bounded
   * by SIGTERM, as the rename before. */
  ok = lb_verify_file (dest, TRUE, op, NULL, NULL, NULL, &check, &local_error);
  if (verifications != NULL)
    lb_verifications_record (verifications, dir, name, lb_fault_now (),
                             ok ? NULL : local_error->message, TRUE);
  if (ok)
    {
      lb_verify_result_clear (&check);
      return TRUE;
    }
  lb_error_convert (&local_error);
  where = g_file_get_parse_name (dest);
  what = lb_verify_describe_failure (&check, local_error);
  lb_verify_result_clear (&check);
  g_set_error (error, LB_ERROR,
               local_error->code == LB_ERROR_CANCELLED ? LB_ERROR_FAILED : local_error->code,
               _ ("The backup just written, %s, does not read back whole (%s): the drive or "
                  "server may be failing. It is kept, marked as damaged, and no older backup "
                  "was removed; back up to another drive or folder"),
               where, what);
  return FALSE;
}

static gboolean
write_backup (LbStore *store, LbOperation *op, GError **error)
{
  GFile *dir = lb_operation_get_location (op);
  GCancellable *cancellable = lb_operation_get_cancellable (op);
  LbBackupResult *result = lb_operation_get_backup_result (op);
  g_autoptr (LbStoreSnapshot) snap = NULL;
  g_autoptr (GFile) tmp = NULL;
  g_autoptr (GFileOutputStream) out = NULL;
  g_autoptr (GOutputStream) sealed = NULL; /* the age stream over out, when encrypted */
  g_autoptr (LbArchiveWriter) writer = NULL;
  g_autoptr (GFile) dest = NULL;
  g_autoptr (GCancellable) prune_bound = NULL;
  g_auto (GStrv) ours = NULL; /* the encrypted backups this computer wrote */
  gint64 now = lb_fault_now ();
  BackupRun run = { NULL, op, 0, 0, 0, NULL, NULL, NULL, NULL };
  LbManifest manifest = { LB_FORMAT_VERSION, now, "", "", 0 };
  g_autofree char *host = lb_machine_pretty_hostname (lb_store_get_machine_info_file (store));
  g_autofree char *name = NULL;
  LbAgePassphrase *passphrase = NULL;
  guint era = 0;
  gboolean ok = FALSE;

  /* Encrypted, or not at all: never a plain backup in its place. */
  if (lb_operation_get_encrypt (op, &era))
    {
      passphrase = lb_operation_get_passphrase (op, error);
      if (passphrase == NULL)
        return FALSE;
    }
  snap = lb_store_snapshot_new (store, error);
  if (snap == NULL || !lb_store_snapshot_get_changes (snap, &result->changes, error)
      || !lb_store_snapshot_count (snap, LB_SNAPSHOT_ELIGIBLE, now, &manifest.count, error))
    return FALSE;
  g_strlcpy (manifest.machine, lb_store_get_machine (store), sizeof manifest.machine);
  g_strlcpy (manifest.host, host, sizeof manifest.host);
  lb_operation_set_total (op, manifest.count);
  run.restricted = lb_snapshot_cursor_new (snap, LB_SNAPSHOT_RESTRICTED, now, error);
  if (run.restricted == NULL)
    return FALSE;
  run.reports = g_async_queue_new_full ((GDestroyNotify) lb_record_free);
  run.reporter = g_thread_new ("lb-restricted", reporter_thread, &run);

  remove_stale_temporaries (dir, cancellable);
  out = create_temporary (dir, &tmp, cancellable, error);
  if (out == NULL)
    goto out;
  /* The key is derived once, here (scrypt: the time and the memory). The
   * temporary file is synced and closed by us, after the age stream's
   * final chunk. */
  if (passphrase != NULL)
    {
      sealed = lb_age_encrypt_stream_new (G_OUTPUT_STREAM (out), passphrase,
                                          LB_AGE_WORK_FACTOR_DEFAULT, error);
      if (sealed == NULL)
        goto out;
      g_filter_output_stream_set_close_base_stream (G_FILTER_OUTPUT_STREAM (sealed), FALSE);
    }
  writer
      = lb_archive_writer_new (sealed != NULL ? sealed : G_OUTPUT_STREAM (out), cancellable, error);
  run.writer = writer;
  if (writer == NULL || !lb_archive_writer_begin_manifest (writer, &manifest, error)
      || !lb_store_snapshot_foreach_digest (snap, now, add_digest, &run, error)
      || !lb_store_snapshot_foreach (snap, LB_SNAPSHOT_ELIGIBLE, now, add_license, &run, error)
      || !hand_over_restricted (&run, TRUE, error)
      || !lb_archive_writer_close (writer, &result->bytes, error)
      || (sealed != NULL && !g_output_stream_close (sealed, cancellable, error))
      || !sync_stream (G_OUTPUT_STREAM (out), error))
    goto out;
  /* The file's size: an encrypted one is larger than its archive. */
  if (sealed != NULL)
    result->bytes = (guint64) g_seekable_tell (G_SEEKABLE (out));
  if (!g_output_stream_close (G_OUTPUT_STREAM (out), cancellable, error))
    goto out;
  stop_reporter (&run);
  g_clear_pointer (&run.restricted, lb_snapshot_cursor_free);
  g_clear_pointer (&snap, lb_store_snapshot_free);

  /* From here the new backup joins the folder: no going back. */
  lb_operation_set_cancelable (op, FALSE);
  dest = move_into_place (dir, tmp, now, NULL, error);
  if (dest == NULL)
    goto out;
  g_free (result->location);
  result->location = g_file_get_uri (dest);
  result->time = now;
  sync_dir (dir);
  lb_fault_point ("backup-after-rename");
  g_clear_object (&tmp);
  name = g_file_get_basename (dest);
  if (passphrase != NULL && lb_operation_get_verifications (op) != NULL)
    lb_verifications_set_era (lb_operation_get_verifications (op), dir, name, era);
  if (!read_back (op, dir, dest, name, error))
    goto out;
  lb_fault_point ("backup-after-read-back");
  /* Only now that the new backup is complete, on disk and read back whole
   * may the oldest go. Bounded, as the clean-up below: a server that
   * stopped answering leaves them for the next backup. */
  prune_bound = lb_location_bounded_cancellable_new ();
  ours = lb_operation_get_verifications (op) != NULL
             ? lb_verifications_written_encrypted (lb_operation_get_verifications (op), dir)
             : NULL;
  if (lb_generations_prune (dir,
                            lb_operation_get_keep (op) > 0 ? lb_operation_get_keep (op)
                                                           : LB_KEEP_BACKUPS_DEFAULT,
                            manifest.machine, (const char *const *) ours, name, prune_bound)
      > 0)
    sync_dir (dir);
  lb_fault_point ("backup-after-prune");
  result->licenses = (guint) run.done;
  result->skipped = run.skipped;
  result->apps = g_steal_pointer (&run.apps);
  ok = TRUE;

out:
  stop_reporter (&run);
  g_clear_pointer (&run.reports, g_async_queue_unref);
  g_clear_pointer (&run.restricted, lb_snapshot_cursor_free);
  g_clear_pointer (&run.apps, g_hash_table_unref);
  if (!ok)
    {
      lb_error_convert (error);
      if (tmp != NULL)
        {
          /* Bounded: a server that stopped answering must not hold the
           * end of the operation (the next backup removes what is left). */
          g_autoptr (GCancellable) bounded = lb_location_bounded_cancellable_new ();

          g_output_stream_close (G_OUTPUT_STREAM (out), bounded, NULL);
          g_file_delete (tmp, bounded, NULL);
        }
    }
  return ok;
}

typedef struct
{
  LbStore *store;
  gboolean missing; /* the folder is made after the caller has heard back */
} BackupSteps;

/* @dir and those of its parents that do not exist, deepest first: what
 * making @dir makes. */
static GPtrArray *
missing_folders (GFile *dir, GCancellable *cancellable)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GFile) f = g_object_ref (dir);

  while (f != NULL && !g_file_query_exists (f, cancellable))
    {
      GFile *parent = g_file_get_parent (f);

      g_ptr_array_add (out, g_steal_pointer (&f));
      f = parent;
    }
  return out;
}

/* A backup that did not succeed leaves no folder it made: they are
 * removed, deepest first, as long as they are empty (a backup file that
 * stays, read back damaged, keeps its folder). Bounded, as the removal of
 * the temporary file. */
static void
remove_made_folders (GPtrArray *made)
{
  g_autoptr (GCancellable) bounded = lb_location_bounded_cancellable_new ();

  for (guint i = 0; i < made->len; i++)
    if (!g_file_delete (made->pdata[i], bounded, NULL))
      break;
}

/* The backup's one folder check. A missing folder passes: the work makes
 * it, and a failure to make it is the operation's. licenses.lbk is checked
 * as before: a FIFO or folder of that name is refused, as it would be by a
 * restore. */
static gboolean
check_folder (LbOperation *op, GFile *dir, GCancellable *cancellable, gpointer data, GError **error)
{
  BackupSteps *steps = data;
  g_autoptr (GFile) legacy = g_file_get_child (dir, LB_BACKUP_FILE_NAME);
  g_autoptr (GError) missing = NULL;
  g_autoptr (GFileInfo) info = g_file_query_info (dir, G_FILE_ATTRIBUTE_STANDARD_TYPE,
                                                  G_FILE_QUERY_INFO_NONE, cancellable, &missing);
  gboolean exists = FALSE;

  steps->missing = info == NULL && g_error_matches (missing, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  if (steps->missing)
    return TRUE;
  if (!lb_location_prepare_dir (dir, FALSE, cancellable, error)
      || !lb_location_check_backup_file (legacy, FALSE, &exists, NULL, cancellable, error))
    return FALSE;
  if (!(lb_operation_get_flags (op) & LB_BACKUP_FLAGS_OVERWRITE)
      && (exists || lb_generations_any (dir, cancellable)))
    {
      lb_backup_set_exists_error (error);
      return FALSE;
    }
  return TRUE;
}

static gboolean
write_step (LbOperation *op, GFile *dir, GCancellable *cancellable, gpointer data, GError **error)
{
  BackupSteps *steps = data;
  g_autoptr (GPtrArray) made = NULL;

  if (steps->missing)
    {
      made = missing_folders (dir, cancellable);
      if (!lb_location_prepare_dir (dir, TRUE, cancellable, error))
        {
          remove_made_folders (made);
          return FALSE;
        }
    }
  if (write_backup (steps->store, op, error))
    return TRUE;
  if (made != NULL)
    remove_made_folders (made);
  return FALSE;
}

gboolean
lb_backup_run (LbStore *store, LbOperation *op, GError **error)
{
  GFile *dir = lb_operation_get_location (op);
  LbBackupResult *result = lb_operation_get_backup_result (op);
  BackupSteps steps = { store, FALSE };

  lb_backup_result_clear (result);
  memset (result, 0, sizeof *result);
  /* The folder until the new file is named. */
  result->location = g_file_get_uri (dir);
  return lb_location_run (dir, op, check_folder, write_step, &steps, error);
}

static void
summarize (LbOperation *op, GVariantBuilder *summary)
{
  const LbBackupResult *r = lb_operation_get_backup_result (op);

  lb_operation_summary_add_counts (summary, r->licenses, r->skipped, r->bytes, r->location);
}

static gboolean
conclude (LbOperation *op, LbOperationOutcome *outcome, GError **error)
{
  const LbBackupResult *r = lb_operation_get_backup_result (op);

  outcome->apps = r->apps;
  outcome->backup_time = r->time;
  outcome->backup_changes = r->changes;
  return TRUE;
}

const LbOperationKindInfo lb_backup_kind = {
  .kind = LB_OPERATION_BACKUP,
  .progress_signal = "backup-progress",
  .completed_signal = "backup-completed",
  .flags = LB_BACKUP_FLAGS_OVERWRITE | LB_BACKUP_FLAGS_AUTOMATIC,
  .reads_backups = FALSE,
  .unknown_flags
  = N_ ("Unknown flags 0x%x; the backup flags are 0x1 (overwrite) and 0x8 (automatic)"),
  .no_location = N_ ("No backup location is set; set BackupPath or pass a folder"),
  .busy = N_ ("A backup is already running; wait for it to finish or cancel it first"),
  .not_running = N_ ("No backup is running, so there is nothing to cancel"),
  .final_step = N_ ("The backup is in its final step and can no longer be cancelled; it ends "
                    "in a moment"),
  .cancelled = N_ ("The backup was cancelled; the previous backup, if any, is unchanged"),
  .run = lb_backup_run,
  .summarize = summarize,
  .conclude = conclude,
};

void
lb_backup_set_exists_error (GError **error)
{
  g_set_error (error, LB_ERROR, LB_ERROR_BACKUP_EXISTS,
               _ ("Licenses are already backed up in this location; back up with the "
                  "OVERWRITE flag to add a new backup beside them, or choose another folder"));
}
