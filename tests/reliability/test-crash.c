/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reliability: the daemon killed with SIGKILL during a backup and during a
 * restore, at 50 moments each.
 *
 * Each operation is slowed down with LB_FAULT_DELAY_US so that it lasts
 * about a second (measured by an uninterrupted run first); the kills then
 * fall at delays spread uniformly from 0 to that duration after the call's
 * reply, plus the moments the daemon's fault points catch exactly
 * (LB_FAULT: backup-before-rename, backup-after-rename,
 * restore-before-commit).
 *
 * Backup: every time, the newest backup of the folder is the old backup
 * byte for byte or a complete new one (the folder keeps generations: each
 * round starts from the old one alone), verified by restoring it in-process (lb_restore_run,
 * the daemon's code) into a fresh store and comparing every license; a run
 * that got as far as creating its own temporary file has removed the
 * stale ones; a final backup leaves none.
 *
 * Restore: every time, the restarted daemon's store holds everything it
 * held before, and either nothing or everything of the backup (one
 * transaction), every license equal to its original; a backup of that
 * store succeeds (the backup re-checks every license's stored checksum);
 * and running the restore again ends with exactly the full set.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

#include "backup.h"
#include "lb-archive.h"
#include "rel-util.h"

#define N_KILLS 50
#define TARGET_MS 1000

typedef RelEnv Env;

static LbTestDaemon *
start_daemon (Env *e, gulong delay_us, const char *fault)
{
  rel_machine_set_daemon_env (e->machine, delay_us, FALSE);
  return rel_start_daemon (e->machine, &(LbTestDaemonOptions){ .fault = fault });
}

static gboolean
delete_range (LbTestBus *bus, const char *prefix, guint first, guint n)
{
  g_autoptr (LbDBusStore) store = lb_test_bus_store_proxy (bus);

  for (guint i = first; i < first + n; i++)
    {
      g_autofree char *key = rel_key (prefix, i);
      g_autoptr (GError) error = NULL;

      if (!lb_dbus_store_call_delete_license_sync (store, key, NULL, &error))
        {
          g_assert_no_error (error);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
ptr_array_has (GPtrArray *a, const char *s)
{
  for (guint i = 0; i < a->len; i++)
    if (g_str_equal (a->pdata[i], s))
      return TRUE;
  return FALSE;
}

/* Backup */

typedef struct
{
  guint old, fresh;
  guint made_temporary; /* runs that got as far as creating their temporary file */
  guint stale_removed;  /* stale temporaries removed by a later run */
} BackupTally;

/* After a kill: the old backup byte for byte, or a complete new one. */
static gboolean
check_backup_after_kill (Env *e,
                         GBytes *old,
                         GHashTable *want,
                         GPtrArray *stale,
                         const char *moment,
                         BackupTally *tally,
                         gboolean *was_new)
{
  g_autofree char *newest = lb_test_newest_backup (e->backup_dir);
  g_autoptr (GBytes) now = lb_test_read_bytes (newest);
  g_autoptr (GPtrArray) temps = rel_list_prefixed (e->backup_dir, LB_BACKUP_TMP_PREFIX);
  guint created = 0;

  if (now == NULL)
    {
      rel_fail ("%s: the backup is gone", moment);
      return FALSE;
    }
  for (guint i = 0; i < temps->len; i++)
    created += ptr_array_has (stale, temps->pdata[i]) ? 0 : 1;
  if (created > 0)
    {
      tally->made_temporary++;
      /* Stale files are removed before the run creates its own. */
      for (guint i = 0; i < stale->len; i++)
        if (ptr_array_has (temps, stale->pdata[i]))
          {
            rel_fail ("%s: the run created %u temporary file(s) but left the stale "
                      "%s",
                      moment, created, (char *) stale->pdata[i]);
            return FALSE;
          }
      tally->stale_removed += stale->len;
    }

  if (g_bytes_equal (now, old))
    {
      tally->old++;
      *was_new = FALSE;
      return TRUE;
    }
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (GHashTable) got = rel_restore_dir_in_process (
        e->backup_dir, lb_test_machine_get_app_id (e->machine), e->scratch, &error);

    if (got == NULL)
      {
        rel_fail ("%s: the newest backup (%zu bytes) is neither the old one nor one "
                  "that restores: %s",
                  moment, g_bytes_get_size (now), error->message);
        return FALSE;
      }
    if (!rel_dump_expect (got, want, "%s: the new backup restores other licenses", moment))
      return FALSE;
  }
  tally->fresh++;
  *was_new = TRUE;
  return TRUE;
}

/* After a run that nobody killed: a complete new backup. */
static gboolean
check_backup_complete (Env *e, GBytes *old, GHashTable *want, const char *moment)
{
  g_autoptr (GPtrArray) none = g_ptr_array_new ();
  BackupTally ignored = { 0 };
  gboolean was_new = FALSE;

  if (!check_backup_after_kill (e, old, want, none, moment, &ignored, &was_new))
    return FALSE;
  g_assert_true (was_new);
  return TRUE;
}

/* Kill @k: at the daemon's @fault point, else @kill_ms after the call. */
static char *
kill_moment (guint k, const char *fault, guint kill_ms)
{
  return fault != NULL ? g_strdup_printf ("kill %u at %s", k + 1, fault)
                       : g_strdup_printf ("kill %u after %u ms", k + 1, kill_ms);
}

/* Waits until @daemon killed itself at its fault point (@fault), or kills
 * it after @kill_ms. */
static void
kill_daemon (LbTestDaemon *daemon, const char *fault, guint kill_ms)
{
  if (fault != NULL)
    {
      g_assert_true (lb_test_daemon_wait_exit (daemon, 30000));
      g_assert_cmpint (lb_test_daemon_get_term_signal (daemon), ==, SIGKILL);
    }
  else
    {
      lb_test_run_for (kill_ms);
      lb_test_daemon_kill (daemon);
    }
}

static void
test_crash_backup (void)
{
  g_auto (RelEnv) e = { 0 };
  gint64 t0 = g_get_monotonic_time ();

  if (!rel_env_init (&e, "crash", 0, FALSE))
    return;

  /* The old backup: 300 licenses. */
  if (!rel_store_range (e.bus, "lic-", 0, 300, 1, 200, 3000, 10000)
      || !rel_op_run_end (e.bus, TRUE, 0, e.backup_dir, 30000, NULL))
    return;
  e.backup_file = lb_test_newest_backup (e.backup_dir);
  g_autoptr (GBytes) old = lb_test_read_bytes (e.backup_file);
  g_assert_nonnull (old);

  /* The store then changes: 150 replaced, 150 added, 50 deleted. */
  if (!rel_store_range (e.bus, "lic-", 150, 300, 2, 200, 3000, 10000)
      || !delete_range (e.bus, "lic-", 0, 50))
    return;
  g_autoptr (GHashTable) want = rel_dump_bus_ok (e.bus);
  if (want == NULL)
    return;
  g_assert_cmpuint (g_hash_table_size (want), ==, 400);
  lb_test_machine_stop_daemon (e.machine);

  /* How long an uninterrupted, slowed-down backup lasts. */
  gulong delay_us = (gulong) TARGET_MS * 1000 / g_hash_table_size (want);
  gint64 full_ms;
  if (start_daemon (&e, delay_us, NULL) == NULL
      || !rel_op_run_end (e.bus, TRUE, LB_BACKUP_FLAGS_OVERWRITE, e.backup_dir, 60000, &full_ms)
      || !check_backup_complete (&e, old, want, "uninterrupted run"))
    return;
  g_test_message ("backup of %u licenses with LB_FAULT_DELAY_US=%lu lasts %" G_GINT64_FORMAT " ms",
                  g_hash_table_size (want), delay_us, full_ms);
  lb_test_machine_stop_daemon (e.machine);

  /* Kills after timed delays, then at the two fault points. */
  BackupTally tally = { 0 };
  guint n_timed = N_KILLS - 2;
  for (guint k = 0; k < N_KILLS; k++)
    {
      const char *fault = k < n_timed    ? NULL
                          : k == n_timed ? "backup-before-rename"
                                         : "backup-after-rename";
      guint kill_ms = k < n_timed ? (guint) (full_ms * k / (n_timed - 1)) : 0;
      g_autofree char *moment = kill_moment (k, fault, kill_ms);
      g_autoptr (GError) call_error = NULL;
      gboolean was_new = FALSE;

      /* The old backup alone (and the temporary files of earlier kills). */
      {
        g_autoptr (GPtrArray) backups = rel_list_prefixed (e.backup_dir, "licenses-");

        for (guint i = 0; i < backups->len; i++)
          {
            g_autofree char *path = g_build_filename (e.backup_dir, backups->pdata[i], NULL);

            g_unlink (path);
          }
      }
      if (!rel_write_file (e.backup_file, old))
        return;
      g_autoptr (GPtrArray) stale = rel_list_prefixed (e.backup_dir, LB_BACKUP_TMP_PREFIX);
      LbTestDaemon *daemon = start_daemon (&e, fault != NULL ? 0 : delay_us, fault);
      if (daemon == NULL)
        return;
      guint64 id = rel_op_start (lb_test_bus_get_connection (e.bus), TRUE,
                                 LB_BACKUP_FLAGS_OVERWRITE, e.backup_dir, NULL, &call_error);
      /* At a fault point the daemon kills itself, possibly before it has
       * answered (then the call fails with NoReply). */
      if (fault == NULL)
        {
          g_assert_no_error (call_error);
          g_assert_cmpuint (id, >, 0);
        }
      kill_daemon (daemon, fault, kill_ms);
      if (!check_backup_after_kill (&e, old, want, stale, moment, &tally, &was_new))
        return;
      if (fault != NULL)
        g_assert_true (was_new == g_str_equal (fault, "backup-after-rename"));
      if (g_test_verbose ())
        g_test_message ("%s: %s", moment, was_new ? "new backup" : "old backup");
    }

  /* The next backup completes and leaves no temporary file. */
  if (start_daemon (&e, 0, NULL) == NULL
      || !rel_op_run_end (e.bus, TRUE, LB_BACKUP_FLAGS_OVERWRITE, e.backup_dir, 30000, NULL))
    return;
  g_autoptr (GPtrArray) temps = rel_list_prefixed (e.backup_dir, LB_BACKUP_TMP_PREFIX);
  g_assert_cmpuint (temps->len, ==, 0);
  if (!check_backup_complete (&e, old, want, "final run"))
    return;

  g_assert_cmpuint (tally.old + tally.fresh, ==, N_KILLS);
  g_test_message ("FIGURE crash-backup: %u kills survived: %u left the old backup byte for "
                  "byte, %u a complete new one (restored and compared license by license); "
                  "%u runs had created a temporary file, %u stale temporary files were "
                  "removed by the next run; %.1f s",
                  N_KILLS, tally.old, tally.fresh, tally.made_temporary, tally.stale_removed,
                  (g_get_monotonic_time () - t0) / 1e6);
  /* Both outcomes must really occur, or the kills missed the run. */
  g_assert_cmpuint (tally.old, >, 5);
  g_assert_cmpuint (tally.fresh, >, 0);
}

/* Restore */

typedef struct
{
  guint untouched, complete;
} RestoreTally;

/* The store's licenses as the daemon's own code reads them: opened
 * in-process while no daemon runs (lb_store_get is what GetLicense
 * calls); or over D-Bus (GetLicense) when @bus is not NULL. */
static GHashTable *
dump_store_dir (Env *e, gboolean over_dbus, GError **error)
{
  g_autoptr (LbStore) store = NULL;

  if (over_dbus)
    return rel_dump_bus (e->bus, error);
  store = lb_store_open (lb_test_machine_get_store_dir (e->machine),
                         lb_test_machine_get_app_id (e->machine), error);
  if (store == NULL)
    return NULL;
  return rel_dump_store (store, error);
}

/* Every stored checksum is right: a backup re-checks each license against
 * the checksum the store keeps, and fails on a mismatch. Run in-process on
 * the store files (no daemon running). */
static gboolean
checksums_right (Env *e, GError **error)
{
  g_autofree char *dir = g_build_filename (e->scratch, "checksums", NULL);
  g_autoptr (GFile) location = g_file_new_for_path (dir);
  g_autoptr (LbOperation) op
      = lb_operation_new (1, LB_OPERATION_BACKUP, LB_BACKUP_FLAGS_OVERWRITE, location, NULL);
  g_autoptr (LbStore) store = NULL;

  g_mkdir_with_parents (dir, 0700);
  store = lb_store_open (lb_test_machine_get_store_dir (e->machine),
                         lb_test_machine_get_app_id (e->machine), error);
  if (store == NULL)
    return FALSE;
  return lb_backup_run (store, op, error);
}

/* After a kill: check the store, complete the restore with a new daemon,
 * check again. Every tenth time the stores are read over D-Bus
 * (GetLicense) rather than in-process. */
static gboolean
check_restore_after_kill (Env *e,
                          guint k,
                          GHashTable *before,
                          GHashTable *final,
                          const char *moment,
                          RestoreTally *tally,
                          gboolean *committed)
{
  gboolean over_dbus = k % 10 == 0;
  g_autoptr (GHashTable) got = NULL;
  g_autoptr (GHashTable) again = NULL;
  g_autoptr (GError) error = NULL;
  GHashTableIter iter;
  gpointer key, value;
  RelOutcome o;

  if (over_dbus && start_daemon (e, 0, NULL) == NULL)
    return FALSE;
  got = dump_store_dir (e, over_dbus, &error);
  g_assert_no_error (error);
  if (got == NULL)
    return FALSE;

  /* Nothing that was there is lost or changed. */
  g_hash_table_iter_init (&iter, before);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      GVariant *v = g_hash_table_lookup (got, key);
      if (v == NULL || !rel_variant_same (v, value))
        {
          rel_fail ("%s: %s was %s", moment, (char *) key, v == NULL ? "lost" : "changed");
          return FALSE;
        }
    }
  /* Everything there is complete and right. */
  g_hash_table_iter_init (&iter, got);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      GVariant *v = g_hash_table_lookup (final, key);
      if (v == NULL || !rel_variant_same (v, value))
        {
          rel_fail ("%s: %s is %s", moment, (char *) key,
                    v == NULL ? "unexpected" : "not the backed-up license");
          return FALSE;
        }
    }
  /* All or nothing. */
  if (g_hash_table_size (got) == g_hash_table_size (before))
    *committed = FALSE;
  else if (g_hash_table_size (got) == g_hash_table_size (final))
    *committed = TRUE;
  else
    {
      rel_fail ("%s: the store holds %u licenses: neither the %u before nor the %u after the "
                "restore",
                moment, g_hash_table_size (got), g_hash_table_size (before),
                g_hash_table_size (final));
      return FALSE;
    }
  if (*committed)
    tally->complete++;
  else
    tally->untouched++;

  if (over_dbus)
    lb_test_machine_stop_daemon (e->machine);
  if (!checksums_right (e, &error))
    {
      rel_fail ("%s: a backup of the store after the kill failed: %s", moment, error->message);
      return FALSE;
    }

  /* Running the restore again completes it. */
  if (start_daemon (e, 0, NULL) == NULL)
    return FALSE;
  if (!rel_op_run (e->bus, FALSE, 0, e->backup_dir, 60000, &o))
    return FALSE;
  if (o.status != LB_STATUS_END)
    rel_fail ("%s: the second restore failed: %s (%s)", moment, o.error, o.error_name);
  rel_outcome_clear (&o);
  if (!over_dbus)
    lb_test_machine_stop_daemon (e->machine);
  again = dump_store_dir (e, over_dbus, &error);
  g_assert_no_error (error);
  if (again == NULL)
    return FALSE;
  if (!rel_dump_expect (again, final, "%s: after the second restore", moment))
    return FALSE;
  if (over_dbus)
    lb_test_machine_stop_daemon (e->machine);
  return !g_test_failed ();
}

static void
test_crash_restore (void)
{
  g_auto (RelEnv) e = { 0 };
  gint64 t0 = g_get_monotonic_time ();

  if (!rel_env_init (&e, "crash", 0, FALSE))
    return;
  const char *store_dir = lb_test_machine_get_store_dir (e.machine);
  g_autofree char *pristine = g_build_filename (e.scratch, "pristine-store", NULL);

  /* The backup: 100 "keep-" and 300 "bk-" licenses. */
  if (!rel_store_range (e.bus, "keep-", 0, 100, 3, 100, 4000, 10000)
      || !rel_store_range (e.bus, "bk-", 0, 300, 4, 100, 4000, 10000))
    return;
  g_autoptr (GHashTable) source = rel_dump_bus_ok (e.bus);
  if (source == NULL)
    return;
  guint n_entries = g_hash_table_size (source);
  if (!rel_op_run_end (e.bus, TRUE, 0, e.backup_dir, 30000, NULL))
    return;

  /* The store before the restore: 250 of the backed-up licenses gone, and
   * 50 that the backup does not have. */
  if (!delete_range (e.bus, "bk-", 50, 250)
      || !rel_store_range (e.bus, "local-", 0, 50, 5, 100, 4000, 10000))
    return;
  g_autoptr (GHashTable) before = rel_dump_bus_ok (e.bus);
  if (before == NULL)
    return;
  g_autoptr (GHashTable) final = rel_dump_union (before, source);
  g_assert_cmpuint (g_hash_table_size (before), ==, 200);
  g_assert_cmpuint (g_hash_table_size (final), ==, 450);
  lb_test_machine_stop_daemon (e.machine);
  if (!rel_copy_dir_files (store_dir, pristine))
    return;

  /* How long an uninterrupted, slowed-down restore lasts. */
  gulong delay_us = (gulong) TARGET_MS * 1000 / n_entries;
  gint64 full_ms;
  if (start_daemon (&e, delay_us, NULL) == NULL
      || !rel_op_run_end (e.bus, FALSE, 0, e.backup_dir, 60000, &full_ms))
    return;
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (GHashTable) got = rel_dump_bus (e.bus, &error);
    g_autofree char *diff = got != NULL ? rel_dump_diff (got, final) : NULL;

    g_assert_no_error (error);
    g_assert_null (diff);
  }
  g_test_message (
      "restore of %u entries (250 missing) with LB_FAULT_DELAY_US=%lu lasts %" G_GINT64_FORMAT
      " ms",
      n_entries, delay_us, full_ms);
  lb_test_machine_stop_daemon (e.machine);

  /* Kills after timed delays, then at the fault point. */
  RestoreTally tally = { 0 };
  guint n_timed = N_KILLS - 1;
  for (guint k = 0; k < N_KILLS; k++)
    {
      const char *fault = k < n_timed ? NULL : "restore-before-commit";
      guint kill_ms = k < n_timed ? (guint) (full_ms * k / (n_timed - 1)) : 0;
      g_autofree char *moment = kill_moment (k, fault, kill_ms);
      g_autoptr (GError) call_error = NULL;
      gboolean committed = FALSE;
      gint64 p0 = g_get_monotonic_time ();

      if (!rel_copy_dir_files (pristine, store_dir))
        return;
      LbTestDaemon *daemon = start_daemon (&e, fault != NULL ? 0 : delay_us, fault);
      if (daemon == NULL)
        return;
      gint64 p1 = g_get_monotonic_time ();
      guint64 id = rel_op_start (lb_test_bus_get_connection (e.bus), FALSE, 0, e.backup_dir, NULL,
                                 &call_error);
      g_assert_no_error (call_error);
      g_assert_cmpuint (id, >, 0);
      kill_daemon (daemon, fault, kill_ms);
      gint64 p2 = g_get_monotonic_time ();
      if (!check_restore_after_kill (&e, k, before, final, moment, &tally, &committed))
        return;
      gint64 p3 = g_get_monotonic_time ();
      if (fault != NULL)
        g_assert_false (committed);
      if (g_test_verbose ())
        g_test_message ("%s: %s (reset and start %.0f ms, run and kill %.0f ms, checks and "
                        "second restore %.0f ms)",
                        moment, committed ? "committed" : "store untouched", (p1 - p0) / 1e3,
                        (p2 - p1) / 1e3, (p3 - p2) / 1e3);
    }

  g_test_message ("FIGURE crash-restore: %u kills survived: %u left the store as it was, %u "
                  "after the commit; every time nothing was lost, every license matched its "
                  "original (read in-process, and over D-Bus with GetLicense every tenth "
                  "time), a backup re-verified every stored checksum, and the restore run "
                  "again completed it; %.1f s",
                  N_KILLS, tally.untouched, tally.complete, (g_get_monotonic_time () - t0) / 1e6);
  g_assert_cmpuint (tally.untouched, >, 5);
}

int
main (int argc, char **argv)
{
  rel_init (&argc, &argv);
  g_test_add_func ("/reliability/crash/backup", test_crash_backup);
  g_test_add_func ("/reliability/crash/restore", test_crash_restore);
  return g_test_run ();
}
