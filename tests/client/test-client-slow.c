/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The license-backup client, a running operation (a slow daemon): progress, cancel, busy, Ctrl-C,
 * and the service dying (see client-util.h). */
#include "config.h"

#include "client-util.h"

/* Tests: a slow daemon (LB_FAULT_DELAY_US) */

static gboolean
is_progress_line (
    const char *line, const char *label, guint64 *done, guint64 *total, guint *percent)
{
  g_autofree char *prefix = g_strdup_printf ("%s: ", label);
  int consumed = 0;

  if (!g_str_has_prefix (line, prefix))
    return FALSE;
  if (sscanf (line + strlen (prefix),
              "%" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " licenses (%u%%)%n", done, total,
              percent, &consumed)
      != 3)
    return FALSE;
  return line[strlen (prefix) + (gsize) consumed] == '\0';
}

/* stdout not a terminal: a plain line at most about once a second, the
 * last at 100%. */
void
test_slow_progress_lines (Fixture *f, gconstpointer arg)
{
  g_autofree char *dir = make_dir (f, "backups");

  store_many (f, SLOW_LICENSES, "sl-", 64);
  g_autoptr (ClientRun) run = client_run (f, NULL, "backup", dir, NULL);
  assert_exit (run, EXIT_OK);
  double duration = client_duration_s (run);
  g_test_message ("the backup took %.2f s", duration);
  g_assert_cmpfloat (duration, >=, SLOW_LICENSES * SLOW_DELAY_US / 1e6 * 0.9);
  g_assert_null (strchr (run->out, '\r'));
  g_assert_null (strchr (run->out, '\033'));

  g_auto (GStrv) lines = g_strsplit (run->out, "\n", -1);
  guint n_progress = 0;
  guint64 last_done = 0, last_total = 0;
  guint last_percent = 0;
  gboolean summary_seen = FALSE;
  for (guint i = 0; lines[i] != NULL; i++)
    {
      guint64 done, total;
      guint percent;

      if (lines[i][0] == '\0')
        continue;
      if (is_progress_line (lines[i], "Backing up", &done, &total, &percent))
        {
          if (summary_seen)
            g_test_fail_printf ("a progress line after the summary: %s", lines[i]);
          g_assert_cmpuint (total, ==, SLOW_LICENSES);
          g_assert_cmpuint (done, >=, last_done);
          g_assert_cmpuint (percent, ==, (guint) (100.0 * done / total + 0.5));
          last_done = done;
          last_total = total;
          last_percent = percent;
          n_progress++;
        }
      else if (g_str_has_prefix (lines[i], "Backed up 150 licenses to "))
        summary_seen = TRUE;
      else
        g_test_fail_printf ("unexpected line on stdout: “%s”", lines[i]);
    }
  g_assert_true (summary_seen);
  /* At least the first and the last; at most one a second (plus the first
   * and the final one). */
  g_assert_cmpuint (n_progress, >=, 2);
  g_assert_cmpfloat (n_progress, <=, duration + 2);
  g_assert_cmpuint (last_done, ==, SLOW_LICENSES);
  g_assert_cmpuint (last_total, ==, SLOW_LICENSES);
  g_assert_cmpuint (last_percent, ==, 100);
}

/* `status` while a backup runs; `cancel` from another client ends it with
 * exit status 9; then cancel has nothing to cancel (exit status 1). */
void
test_slow_cancel_by_other_client (Fixture *f, gconstpointer arg)
{
  g_autofree char *dir = make_dir (f, "backups");
  g_autoptr (ClientRun) follower = NULL;

  store_many (f, LONG_LICENSES, "cc-", 64);
  if (spawn_until_progress (f, NULL, 10, &follower, "backup", dir, NULL) == 0)
    return;

  assert_status_shows (f, "Backup running\n", "\n  Progress:       ", " of 400 licenses)\n", NULL);
  {
    g_autoptr (JsonNode) root = NULL;
    JsonObject *o = client_run_json (f, EXIT_OK, &root, "status", "--json", NULL);

    if (o != NULL)
      {
        g_assert_cmpint (obj_int (o, "status"), ==, LB_STATUS_BEGIN);
        g_assert_cmpstr (obj_str (o, "operation"), ==, "backup");
        g_assert_cmpint (obj_int (o, "operation-id"), >, 0);
        g_assert_cmpint (obj_int (o, "licenses-total"), ==, LONG_LICENSES);
        g_assert_cmpint (obj_int (o, "licenses-done"), >=, 10);
      }
  }
  client_ok_quiet (f, "The backup is being cancelled.\n", "cancel", NULL);
  client_wait (follower, CLIENT_TIMEOUT_MS);
  assert_exit (follower, EXIT_CANCELLED);
  assert_error_line (follower, "The operation was cancelled; nothing was changed");
  assert_not_contains (follower->out, "Backed up");
  g_assert_false (g_file_test (dir, G_FILE_TEST_EXISTS) && lb_test_count_temporaries (dir) > 0);
  {
    g_autofree char *file = backup_file (dir);
    g_assert_false (g_file_test (file, G_FILE_TEST_EXISTS));
  }

  /* Nothing runs any more. */
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "cancel", NULL);

    assert_exit (run, EXIT_FAILED);
    g_assert_cmpstr (run->out, ==, "");
    assert_error_line (run,
                       "No backup, restore or check is running, so there is nothing to cancel");
  }
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "status", NULL);
    g_assert_true (g_str_has_prefix (run->out, "Backup failed: "));
  }
}

/* A backup of LONG_LICENSES licenses "<prefix>NNNNNN" into @dir, @n_deleted
 * of them deleted, then a restore (`restore --json` if @json) in @run that
 * has restored 10; returns its operation id, 0 after a failed assertion. */
static guint64
spawn_restore (Fixture *f,
               const char *dir,
               const char *prefix,
               guint n_deleted,
               gboolean json,
               ClientRun **run)
{
  store_many (f, LONG_LICENSES, prefix, 64);
  client_ok (f, NULL, "backup", dir, NULL);
  delete_many (f, n_deleted, prefix);
  if (json)
    return spawn_until_progress (f, NULL, 10, run, "restore", "--json", dir, NULL);
  return spawn_until_progress (f, NULL, 10, run, "restore", dir, NULL);
}

/* Ctrl-C: SIGINT to the client, then its end with exit status 130. */
static void
interrupt (ClientRun *run)
{
  g_subprocess_send_signal (run->proc, SIGINT);
  client_wait (run, CLIENT_TIMEOUT_MS);
  assert_exit (run, EXIT_INTERRUPTED);
}

/* A --json run's object for operation @op cancelled: status ERROR and
 * error-name Cancelled, "interrupted" (by Ctrl-C) as @interrupted. NULL
 * after a failed assertion; @root owns it. */
static JsonObject *
assert_json_cancelled (ClientRun *run, guint64 op, gboolean interrupted, JsonNode **root)
{
  JsonObject *o = run_json_object (run, root);

  if (o != NULL)
    {
      g_assert_cmpint (obj_int (o, "operation"), ==, (gint64) op);
      g_assert_cmpint (obj_int (o, "status"), ==, LB_STATUS_ERROR);
      g_assert_cmpstr (obj_str (o, "error-name"), ==, error_name (LB_ERROR_CANCELLED));
      g_assert_cmpint (obj_bool (o, "interrupted"), ==, interrupted);
    }
  return o;
}

/* The same for a restore. */
void
test_slow_cancel_restore (Fixture *f, gconstpointer arg)
{
  g_autofree char *dir = make_dir (f, "backups");
  g_autoptr (ClientRun) follower = NULL;

  if (spawn_restore (f, dir, "cr-", 40, FALSE, &follower) == 0)
    return;
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "status", NULL);
    g_assert_true (g_str_has_prefix (run->out, "Restore running\n"));
  }
  client_ok (f, "The restore is being cancelled.\n", "cancel", NULL);
  client_wait (follower, CLIENT_TIMEOUT_MS);
  assert_exit (follower, EXIT_CANCELLED);
  assert_error_line (follower, "cancelled");
  g_assert_cmpuint (license_count (f), ==, LONG_LICENSES - 40);
}

/* Exit status 3: a second backup (or a restore) while one runs. The first,
 * with --json, ends cancelled. */
void
test_slow_busy (Fixture *f, gconstpointer arg)
{
  g_autofree char *dir = make_dir (f, "backups");
  g_autofree char *dir2 = make_dir (f, "other");
  g_autoptr (ClientRun) first = NULL;

  store_many (f, LONG_LICENSES, "bz-", 64);
  guint64 op = spawn_until_progress (f, NULL, 5, &first, "backup", "--json", dir, NULL);
  if (op == 0)
    return;
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "backup", dir2, NULL);

    assert_exit (run, EXIT_BUSY);
    g_assert_cmpstr (run->out, ==, "");
    assert_error_line (run, "already running");
  }
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "restore", dir, NULL);
    assert_exit (run, EXIT_BUSY);
    assert_error_line (run, "license-backup cancel");
  }
  /* A refusal at the start prints no JSON (docs/license-backup.1). */
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "backup", "--json", dir2, NULL);

    assert_exit (run, EXIT_BUSY);
    g_assert_cmpstr (run->out, ==, "");
    assert_error_line (run, "already running");
  }
  g_assert_false (g_file_test (dir2, G_FILE_TEST_EXISTS) && lb_test_count_temporaries (dir2) > 0);
  client_ok (f, NULL, "cancel", NULL);
  client_wait (first, CLIENT_TIMEOUT_MS);
  assert_exit (first, EXIT_CANCELLED);
  g_assert_cmpstr (first->err, ==, "");
  {
    g_autoptr (JsonNode) root = NULL;
    JsonObject *o = assert_json_cancelled (first, op, FALSE, &root);

    if (o != NULL)
      g_assert_cmpstr (obj_str (o, "error"), !=, "");
  }
}

/* Ctrl-C: the client cancels the backup in the service, waits for its end
 * and exits with 130; the older backup is untouched, no file is left. */
void
test_slow_ctrl_c (Fixture *f, gconstpointer arg)
{
  g_autofree char *dir = make_dir (f, "backups");

  store_many (f, 10, "cc-", 64);
  client_ok (f, NULL, "backup", dir, NULL);
  g_autofree char *file = backup_file (dir);
  g_autoptr (GBytes) old = lb_test_read_bytes (file);
  g_assert_nonnull (old);
  store_many (f, LONG_LICENSES, "more-", 64);

  g_autoptr (LbTestSignalQueue) queue = manager_signals (f);
  g_autoptr (ClientRun) run = NULL;
  guint64 op = spawn_until_progress (f, queue, 20, &run, "backup", "--overwrite", dir, NULL);
  if (op == 0)
    return;
  interrupt (run);
  assert_contains (run->err, "Cancelling…");
  assert_contains (run->err, "license-backup: Cancelled; nothing was changed\n");
  assert_not_contains (run->err, "cannot cancel");
  assert_not_contains (run->out, "Backed up");

  /* The client waited for the end: the service has finished already. */
  guint status = 99, completed_status = 99;
  g_autofree char *status_error = NULL;
  g_autofree char *completed_error = NULL;
  g_autoptr (GVariant) summary = NULL;
  const char *completed_error_name = NULL;
  get_status (f, &status, &status_error);
  g_assert_cmpuint (status, ==, LB_STATUS_ERROR);
  g_assert_cmpstr (status_error, !=, "");
  g_assert_true (lb_test_wait_completed (queue, op, LB_TEST_TIMEOUT_MS, NULL, &completed_status,
                                         &completed_error, &summary));
  g_assert_cmpuint (completed_status, ==, LB_STATUS_ERROR);
  if (summary != NULL)
    g_variant_lookup (summary, "error-name", "&s", &completed_error_name);
  g_assert_cmpstr (completed_error_name, ==, error_name (LB_ERROR_CANCELLED));
  g_assert_cmpstr (status_error, ==, completed_error);

  g_autoptr (GBytes) now = lb_test_read_bytes (file);
  g_assert_true (old != NULL && now != NULL && g_bytes_equal (old, now));
  g_assert_cmpuint (lb_test_count_temporaries (dir), ==, 0);
  {
    g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
    g_autofree char *only = g_path_get_basename (file);
    const char *name;
    while (d != NULL && (name = g_dir_read_name (d)) != NULL)
      g_assert_cmpstr (name, ==, only);
  }
}

/* Ctrl-C during a restore with --json: exit status 130, "interrupted",
 * and the store as it was. */
void
test_slow_ctrl_c_restore_json (Fixture *f, gconstpointer arg)
{
  g_autofree char *dir = make_dir (f, "backups");
  g_autoptr (ClientRun) run = NULL;

  guint64 op = spawn_restore (f, dir, "rj-", 100, TRUE, &run);
  if (op == 0)
    return;
  interrupt (run);
  /* With --json, stderr stays quiet. */
  g_assert_cmpstr (run->err, ==, "");
  g_autoptr (JsonNode) root = NULL;
  JsonObject *o = assert_json_cancelled (run, op, TRUE, &root);
  if (o != NULL)
    g_assert_cmpstr (obj_str (o, "kind"), ==, "restore");
  g_assert_cmpuint (license_count (f), ==, LONG_LICENSES - 100);
}

/* The service dies while the client follows a backup (a crash, an OOM
 * kill): the client must not wait forever for a BackupCompleted that will
 * never come. It should say that the service stopped answering and exit
 * with 11 (its "service unreachable" status); in the test "…-ctrl-c", the
 * user's Ctrl-C must end it at least (130 or 11). */
void
test_robust_daemon_dies (Fixture *f, gconstpointer arg)
{
  gboolean ctrl_c = g_str_has_suffix (g_test_get_path (), "-ctrl-c");
  g_autofree char *dir = make_dir (f, "backups");
  g_autoptr (ClientRun) run = NULL;
  const guint patience_ms = 5000;

  store_many (f, LONG_LICENSES, "dd-", 64);
  if (spawn_until_progress (f, NULL, 10, &run, "backup", dir, NULL) == 0)
    return;
  lb_test_daemon_kill (lb_test_machine_get_daemon (f->current));
  g_assert_true (lb_test_bus_wait_no_owner (f->bus, LB_TEST_TIMEOUT_MS));
  if (ctrl_c)
    {
      lb_test_run_for (300);
      g_subprocess_send_signal (run->proc, SIGINT);
    }
  if (!client_wait (run, patience_ms))
    {
      g_autofree char *desc = describe_run (run);
      g_test_message ("the client still waited %u ms after the service died%s: %s", patience_ms,
                      ctrl_c ? " and Ctrl-C" : "", desc);
      return;
    }
  if (ctrl_c)
    {
      if (run->status != EXIT_INTERRUPTED)
        assert_exit (run, EXIT_UNREACHABLE);
    }
  else
    {
      assert_exit (run, EXIT_UNREACHABLE);
      assert_error_line (run, NULL);
    }
}
