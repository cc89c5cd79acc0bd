/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "restore.h"

#include <glib/gi18n.h>
#include <string.h>

#include "lb-archive.h"
#include "error-convert.h"
#include "generations.h"
#include "location.h"
#include "fault.h"
#include "verifications.h"
#include "verify.h"

/* Reading and verifying the backup (libarchive, SHA-256) runs in a thread
 * of its own, ahead of the worker writing to the store, in batches (one
 * hand-over a license cost more than it saved); a pool of batches bounds
 * how far ahead. */
#define BATCH 64
#define BATCHES 8

typedef struct
{
  guint n;
  gboolean last; /* the end, or the reader failed */
  LbRecord *licenses[BATCH];
  guint8 digests[BATCH][LB_DIGEST_LEN];
} Batch;

typedef struct
{
  LbArchiveReader *reader;
  GAsyncQueue *read; /* Batches read, in order */
  GAsyncQueue *free; /* Batches to fill */
  GThread *thread;
  gint stop;
  GError *error; /* the reader's; read after its last Batch */
  Batch *batch;  /* the worker's */
  guint next;
  Batch batches[BATCHES];
} ReadAhead;

static gpointer
read_ahead_thread (gpointer user_data)
{
  ReadAhead *ra = user_data;

  for (;;)
    {
      Batch *batch = g_async_queue_pop (ra->free);

      for (batch->n = 0; batch->n < BATCH; batch->n++)
        {
          LbRecord **license = &batch->licenses[batch->n];

          if (g_atomic_int_get (&ra->stop)
              || !lb_archive_reader_next (ra->reader, license, batch->digests[batch->n], &ra->error)
              || *license == NULL)
            {
              batch->last = TRUE;
              g_async_queue_push (ra->read, batch);
              return NULL;
            }
        }
      g_async_queue_push (ra->read, batch);
    }
}

static void
read_ahead_start (ReadAhead *ra, LbArchiveReader *reader)
{
  ra->reader = reader;
  ra->read = g_async_queue_new ();
  ra->free = g_async_queue_new ();
  for (guint i = 0; i < BATCHES; i++)
    g_async_queue_push (ra->free, &ra->batches[i]);
  ra->thread = g_thread_new ("lb-restore-read", read_ahead_thread, ra);
}

/* The next license in backup order (NULL at the end), as
 * lb_archive_reader_next() gives it. */
static gboolean
read_ahead_next (ReadAhead *ra, LbRecord **license, guint8 *digest, GError **error)
{
  *license = NULL;
  while (ra->batch == NULL || ra->next == ra->batch->n)
    {
      if (ra->batch != NULL && ra->batch->last)
        {
          /* The reader has returned: its error is ours. */
          g_clear_pointer (&ra->thread, g_thread_join);
          if (ra->error != NULL)
            {
              g_propagate_error (error, g_steal_pointer (&ra->error));
              return FALSE;
            }
          return TRUE;
        }
      if (ra->batch != NULL)
        g_async_queue_push (ra->free, ra->batch);
      ra->batch = g_async_queue_pop (ra->read);
      ra->next = 0;
    }
  *license = g_steal_pointer (&ra->batch->licenses[ra->next]);
  memcpy (digest, ra->batch->digests[ra->next], LB_DIGEST_LEN);
  ra->next++;
  return TRUE;
}

static void
batch_clear (Batch *batch, guint from)
{
  for (guint i = from; i < batch->n; i++)
    g_clear_pointer (&batch->licenses[i], lb_record_free);
}

static void
read_ahead_stop (ReadAhead *ra)
{
  if (ra->batch != NULL)
    batch_clear (ra->batch, ra->next);
  if (ra->thread != NULL)
    {
      g_atomic_int_set (&ra->stop, 1);
      /* Hands its batches back until it says it has ended. */
      while (ra->batch == NULL || !ra->batch->last)
        {
          if (ra->batch != NULL)
            g_async_queue_push (ra->free, ra->batch);
          ra->batch = g_async_queue_pop (ra->read);
          batch_clear (ra->batch, 0);
        }
      g_clear_pointer (&ra->thread, g_thread_join);
    }
  g_clear_error (&ra->error);
  g_clear_pointer (&ra->read, g_async_queue_unref);
  g_clear_pointer (&ra->free, g_async_queue_unref);
}

static gboolean
restore_one (LbStoreTxn *txn,
             LbRecord *l,
             const guint8 *digest,
             gboolean other_machine,
             const char *machine,
             gint64 now,
             LbOperation *op,
             LbRestoreResult *result,
             GError **error)
{
  gboolean present;

  if (!lb_store_txn_contains (txn, l->attrs.app != NULL ? l->attrs.app : "", l->key_id, &present,
                              error))
    return FALSE;
  if (present)
    {
      result->already_present++;
      return TRUE;
    }
  if (lb_attributes_expired (&l->attrs, now))
    {
      lb_operation_restricted (op, l, "expired");
      result->skipped++;
      return TRUE;
    }
  if (other_machine)
    {
      if (l->attrs.restore_limit != 0 && l->attrs.restore_count >= l->attrs.restore_limit)
        {
          lb_operation_restricted (op, l, "restore-limit");
          result->skipped++;
          if (!result->limit_reached)
            {
              result->support_url
                  = g_strdup (l->attrs.support_url != NULL ? l->attrs.support_url : "");
              result->support_app = g_strdup (l->attrs.app != NULL ? l->attrs.app : "");
            }
          result->limit_reached = TRUE;
          return TRUE;
        }
      l->attrs.restore_count++;
      g_free (l->attrs.machine);
      l->attrs.machine = g_strdup (machine);
      result->individualized++;
      digest = NULL; /* the encoding changed with the attributes */
    }
  if (!lb_store_txn_insert (txn, l, digest, error))
    return FALSE;
  result->licenses++;
  lb_app_counts_add (&result->apps, l->attrs.app);
  return TRUE;
}

static gboolean
restore_file (LbStore *store, LbOperation *op, GFile *file, GError **error)
{
  LbRestoreResult *result = lb_operation_get_restore_result (op);
  GCancellable *cancellable = lb_operation_get_cancellable (op);
  gboolean individualize = (lb_operation_get_flags (op) & LB_RESTORE_FLAGS_INDIVIDUALIZE) != 0;
  g_autoptr (LbArchiveReader) reader = NULL;
  g_autoptr (LbStoreTxn) txn = NULL;
  const LbManifest *manifest;
  ReadAhead ra = { 0 };
  gboolean ok = FALSE;
  const char *machine = lb_store_get_machine (store);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gboolean other_machine;
  guint64 done = 0;
  LbBackupOpener opener;

  /* An encrypted backup is opened (its passphrase checked) here, long
   * before the store's transaction begins. */
  if (!lb_backup_opener_init (&opener, file, op, cancellable, error))
    return FALSE;
  reader = lb_archive_reader_new (lb_backup_opener_open, &opener, cancellable, error);
  if (reader == NULL)
    return FALSE;
  manifest = lb_archive_reader_get_manifest (reader);
  other_machine = !g_str_equal (manifest->machine, machine);
  if (other_machine && !individualize)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_NEEDS_INDIVIDUALIZATION,
                   _ ("These licenses were backed up on another computer. Restoring them binds "
                      "them to this computer; restore again with the user's consent (the "
                      "individualize flag)"));
      return FALSE;
    }
  lb_operation_set_total (op, manifest->count);

  txn = lb_store_txn_begin (store, error);
  if (txn == NULL)
    return FALSE;
  read_ahead_start (&ra, reader);
  for (;;)
    {
      g_autoptr (LbRecord) l = NULL;
      guint8 digest[LB_DIGEST_LEN];

      if (!read_ahead_next (&ra, &l, digest, error))
        goto out;
      if (l == NULL)
        break;
      if (!restore_one (txn, l, digest, other_machine, machine, now, op, result, error))
        goto out;
      lb_operation_set_done (op, ++done);
    }

  /* Everything verified: the commit is the one step that cannot be undone. */
  lb_operation_set_cancelable (op, FALSE);
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    goto out;
  ok = lb_store_txn_commit (txn, error);

out:
  read_ahead_stop (&ra);
  return ok;
}

typedef struct
{
  LbStore *store;
  GFile *file; /* the backup file it reads */
  goffset size;
} RestoreSteps;

/* The restore's one folder check (lb_verify_check_folder()) of the file
 * it reads: the newest backup unless one is named; once mounted, for a
 * network folder. */
static gboolean
check_folder (LbOperation *op, GFile *dir, GCancellable *cancellable, gpointer data, GError **error)
{
  RestoreSteps *steps = data;
  const char *generation = lb_operation_get_generation (op);
  LbRestoreResult *result = lb_operation_get_restore_result (op);
  LbVerifications *verifications = lb_operation_get_verifications (op);
  g_auto (GStrv) failed
      = verifications != NULL ? lb_verifications_failed (verifications, dir) : NULL;

  /* Never a backup that failed its last check, unless it is named. */
  steps->file
      = lb_generations_pick_whole (dir, generation, (const char *const *) failed, cancellable);
  g_free (result->location);
  result->location = g_file_get_uri (steps->file);
  return lb_verify_check_folder (dir, generation, steps->file, &steps->size, cancellable, error);
}

/* The newest backup of @dir after @damaged that reads whole (checked as
 * VerifyBackup checks; what is learnt is remembered), or NULL. */
static char *
find_whole (
    LbOperation *op, GFile *dir, const char *damaged, GCancellable *cancellable, gint64 *created)
{
  LbVerifications *verifications = lb_operation_get_verifications (op);
  g_autoptr (GPtrArray) all = lb_generations_list (dir, LB_GENERATIONS_NONE, cancellable, NULL);
  gboolean after = FALSE;

  for (guint i = 0; all != NULL && i < all->len; i++)
    {
      const char *name = ((LbGeneration *) all->pdata[i])->name;
      g_autoptr (GFile) file = NULL;
      g_autoptr (GError) error = NULL;
      LbVerifyResult check;
      gboolean exists = FALSE, ok;

      if (!after)
        {
          after = g_str_equal (name, damaged);
          continue;
        }
      file = g_file_get_child (dir, name);
      ok = lb_location_check_backup_file (file, TRUE, &exists, NULL, cancellable, &error)
           && lb_verify_file (file, FALSE, op, cancellable, NULL, NULL, &check, &error);
      if (g_cancellable_is_cancelled (cancellable))
        return NULL;
      /* An encrypted backup it cannot open is not damaged, nor known
       * whole: the next one. */
      if (!ok && lb_verify_error_is_passphrase (error))
        continue;
      if (verifications != NULL)
        lb_verifications_record (verifications, dir, name, lb_fault_now (),
                                 ok ? NULL : error->message, FALSE);
      if (ok)
        {
          *created = check.manifest.created;
          lb_verify_result_clear (&check);
          return g_strdup (name);
        }
    }
  return NULL;
}

/* The newest backup was damaged: say so, and which backup is whole; the
 * user chooses whether to restore it (never done on their behalf). */
static void
explain_damaged_newest (LbOperation *op, GFile *dir, GFile *file, GError **error)
{
  LbRestoreResult *result = lb_operation_get_restore_result (op);
  LbVerifications *verifications = lb_operation_get_verifications (op);
  g_autofree char *name = g_file_get_basename (file);
  g_autofree char *folder = g_file_get_parse_name (dir);
  g_autofree char *reason = NULL;
  g_autofree char *when = NULL;
  LbVerifyResult check;

  if (verifications != NULL)
    lb_verifications_record (verifications, dir, name, lb_fault_now (), (*error)->message, FALSE);
  /* Where it is damaged, for the sentence below: the restore's reader
   * stopped there, a check finds the same place. */
  if (lb_verify_file (file, FALSE, op, lb_operation_get_cancellable (op), NULL, NULL, &check, NULL))
    reason = g_strdup ((*error)->message);
  else
    reason = lb_verify_describe_failure (&check, *error);
  lb_verify_result_clear (&check);
  result->whole_generation
      = find_whole (op, dir, name, lb_operation_get_cancellable (op), &result->whole_created);
  g_clear_error (error);
  if (result->whole_generation == NULL)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_BACKUP_CORRUPT,
                   _ ("The newest backup in %s, %s, cannot be restored (%s), and no other "
                      "backup there is whole; nothing was restored. Restore from another copy"),
                   folder, name, reason);
      return;
    }
  {
    g_autoptr (GDateTime) dt = g_date_time_new_from_unix_local (result->whole_created);

    when = dt != NULL ? g_date_time_format (dt, "%c") : g_strdup ("?");
  }
  g_set_error (error, LB_ERROR, LB_ERROR_BACKUP_CORRUPT,
               _ ("The newest backup in %s, %s, cannot be restored (%s); nothing was restored. "
                  "The newest whole backup there is %s, made on %s; choose it in Settings, or "
                  "restore it by its name"),
               folder, name, reason, result->whole_generation, when);
}

static gboolean
restore_step (LbOperation *op, GFile *dir, GCancellable *cancellable, gpointer data, GError **error)
{
  RestoreSteps *steps = data;

  lb_operation_get_restore_result (op)->bytes = (guint64) steps->size;
  if (restore_file (steps->store, op, steps->file, error))
    return TRUE;
  if (lb_operation_get_generation (op) == NULL
      && g_error_matches (*error, LB_ERROR, LB_ERROR_BACKUP_CORRUPT))
    explain_damaged_newest (op, dir, steps->file, error);
  return FALSE;
}

gboolean
lb_restore_run (LbStore *store, LbOperation *op, GError **error)
{
  GFile *dir = lb_operation_get_location (op);
  LbRestoreResult *result = lb_operation_get_restore_result (op);
  g_autoptr (GFile) file = g_file_get_child (dir, LB_BACKUP_FILE_NAME);
  RestoreSteps steps = { store, NULL, 0 };
  gboolean ok;

  lb_restore_result_clear (result);
  memset (result, 0, sizeof *result);
  result->location = g_file_get_uri (file);
  ok = lb_location_run (dir, op, check_folder, restore_step, &steps, error);
  g_clear_object (&steps.file);
  if (!ok)
    {
      lb_error_convert (error);
      /* Nothing was committed: the counts describe what did not happen. */
      result->licenses = result->individualized = result->already_present = 0;
      g_clear_pointer (&result->apps, g_hash_table_unref);
    }
  return ok;
}

static void
summarize (LbOperation *op, GVariantBuilder *summary)
{
  const LbRestoreResult *r = lb_operation_get_restore_result (op);

  lb_operation_summary_add_counts (summary, r->licenses, r->skipped, r->bytes, r->location);
  g_variant_builder_add (summary, "{sv}", "already-present",
                         g_variant_new_uint32 (r->already_present));
  g_variant_builder_add (summary, "{sv}", "individualized",
                         g_variant_new_uint32 (r->individualized));
  if (r->whole_generation != NULL)
    {
      g_variant_builder_add (summary, "{sv}", "whole-generation",
                             g_variant_new_string (r->whole_generation));
      g_variant_builder_add (summary, "{sv}", "whole-generation-created",
                             g_variant_new_int64 (r->whole_created));
    }
}

static gboolean
conclude (LbOperation *op, LbOperationOutcome *outcome, GError **error)
{
  const LbRestoreResult *r = lb_operation_get_restore_result (op);

  outcome->apps = r->apps;
  outcome->added = r->licenses;
  if (!r->limit_reached)
    return TRUE;
  /* The rest was restored: keep the counts, but report the error. Everyone
   * can read this text (Status, RestoreCompleted): the URL, an attribute of
   * one app's license, goes in SupportUrl instead. */
  outcome->support_app = r->support_app;
  outcome->support_url = r->support_url;
  g_set_error (error, LB_ERROR, LB_ERROR_RESTORE_LIMIT,
               _ ("Some licenses have been restored as often as their issuer allows and were "
                  "left out; the issuer's website, which license-backup and Settings show, tells "
                  "how to restore them"));
  return FALSE;
}

const LbOperationKindInfo lb_restore_kind = {
  .kind = LB_OPERATION_RESTORE,
  .progress_signal = "restore-progress",
  .completed_signal = "restore-completed",
  .flags = LB_RESTORE_FLAGS_INDIVIDUALIZE,
  .reads_backups = TRUE,
  .unknown_flags = N_ ("Unknown flags 0x%x; the only restore flag is 0x2 (individualize)"),
  .no_location = N_ ("No restore location is set; set RestorePath or BackupPath, or pass a folder"),
  .busy = N_ ("A restore is already running; wait for it to finish or cancel it first"),
  .not_running = N_ ("No restore is running, so there is nothing to cancel"),
  .final_step = N_ ("The restore is in its final step and can no longer be cancelled; it ends "
                    "in a moment"),
  .cancelled = N_ ("The restore was cancelled; no license was restored"),
  .run = lb_restore_run,
  .summarize = summarize,
  .conclude = conclude,
};
