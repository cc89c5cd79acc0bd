/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The license-backup client, verify: a whole backup, a damaged one, a named generation, --json,
 * the exit codes, the check column of generations and a running check in status (see
 * client-util.h). */
#include "config.h"

#include "client-util.h"

/* Backs up the store into @dir (a new generation each time). */
static void
backup_into (Fixture *f, const char *dir)
{
  g_autoptr (ClientRun) run = client_run (f, NULL, "backup", "--overwrite", dir, NULL);

  assert_exit (run, EXIT_OK);
}

/* Stores @n licenses "<prefix>NNNNNN" of 100 bytes and backs up the store
 * into @dir; returns the new backup's file. */
static char *
store_and_back_up (Fixture *f, guint n, const char *prefix, const char *dir)
{
  store_many (f, n, prefix, 100);
  backup_into (f, dir);
  return backup_file (dir);
}

static char *
basename_of (const char *path)
{
  return g_path_get_basename (path);
}

/* Tests: verify */

void
test_verify_whole (Fixture *f, gconstpointer arg)
{
  g_autofree char *dir = make_dir (f, "backups");
  g_autofree char *file = store_and_back_up (f, 5, "vw-", dir);

  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "verify", dir, NULL);
    g_autofree char *want = g_strdup_printf ("Checked 5 licenses of 1 app in %s (", file);

    assert_exit (run, EXIT_OK);
    g_assert_cmpstr (run->err, ==, "");
    assert_contains (run->out, "Checking: 5 of 5 licenses (100%)\n");
    assert_contains (run->out, want);
    assert_contains (run->out, ", made on ");
    assert_contains (run->out, "): the backup is whole.\n");
  }
  assert_status_shows (f, "Check of a backup finished: the backup is whole\n", NULL);
  /* Without DIRECTORY: the folder a restore reads (here the backup folder). */
  {
    g_autoptr (ClientRun) set = client_run (f, NULL, "config", "backup-path", dir, NULL);
    g_autoptr (ClientRun) run = client_run (f, NULL, "verify", NULL);
    g_autofree char *want = g_strdup_printf ("Checked 5 licenses of 1 app in %s (", file);

    assert_exit (set, EXIT_OK);
    assert_exit (run, EXIT_OK);
    assert_contains (run->out, want);
  }
}

void
test_verify_damaged (Fixture *f, gconstpointer arg)
{
  g_autofree char *dir = make_dir (f, "backups");
  g_autofree char *file = store_and_back_up (f, 5, "vd-", dir);

  lb_test_damage_backup (file);
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "verify", dir, NULL);
    g_autofree char *want
        = g_strdup_printf ("The backup %s is damaged: its entry licenses/vd-000004 "
                           "does not match its checksum",
                           file);

    assert_exit (run, EXIT_BACKUP_CORRUPT);
    assert_error_line (run, want);
    assert_not_contains (run->out, "Checked");
  }
  /* generations says so. */
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "generations", dir, NULL);

    assert_exit (run, EXIT_OK);
    assert_contains (run->out, "  checked ");
    assert_contains (run->out, ": damaged: ");
  }
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "status", NULL);

    g_assert_true (g_str_has_prefix (run->out, "Check of a backup failed: "));
  }
}

/* --generation: the older, whole backup passes while the newest is
 * damaged; a restore of the newest names the older and how to restore
 * it. */
void
test_verify_generation (Fixture *f, gconstpointer arg)
{
  g_autofree char *dir = make_dir (f, "backups");
  g_autofree char *older = store_and_back_up (f, 3, "vg-", dir);
  g_autofree char *older_name = basename_of (older);
  g_autofree char *newest = store_and_back_up (f, 4, "vg2-", dir);

  g_assert_cmpstr (newest, !=, older);
  lb_test_damage_backup (newest);
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "verify", dir, NULL);

    assert_exit (run, EXIT_BACKUP_CORRUPT);
    assert_error_line (run, newest);
  }
  {
    g_autoptr (ClientRun) run
        = client_run (f, NULL, "verify", "--generation", older_name, dir, NULL);
    g_autofree char *want = g_strdup_printf ("Checked 3 licenses of 1 app in %s (", older);

    assert_exit (run, EXIT_OK);
    assert_contains (run->out, want);
  }
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "restore", dir, NULL);
    g_autofree char *how = g_strdup_printf ("--generation %s", older_name);

    assert_exit (run, EXIT_BACKUP_CORRUPT);
    assert_error_line (run, how);
  }
  {
    g_autoptr (ClientRun) run
        = client_run (f, NULL, "verify", "--generation", "nonesuch.lbk", dir, NULL);

    g_assert_cmpint (run->status, !=, EXIT_OK);
    assert_error_line (run, NULL);
  }
}

void
test_verify_json (Fixture *f, gconstpointer arg)
{
  g_autofree char *dir = make_dir (f, "backups");
  g_autofree char *file = store_and_back_up (f, 4, "vj-", dir);
  g_autofree char *uri = NULL;

  uri = g_filename_to_uri (file, NULL, NULL);
  {
    g_autoptr (JsonNode) root = NULL;
    JsonObject *o = client_run_json (f, EXIT_OK, &root, "verify", "--json", dir, NULL);

    if (o != NULL)
      {
        JsonObject *s = obj_obj (o, "summary");

        g_assert_cmpstr (obj_str (o, "kind"), ==, "verify");
        g_assert_cmpint (obj_int (o, "status"), ==, LB_STATUS_END);
        g_assert_cmpstr (obj_str (o, "error-name"), ==, "");
        g_assert_cmpint (obj_int (s, "licenses"), ==, 4);
        g_assert_cmpint (obj_int (s, "apps"), ==, 1);
        g_assert_cmpstr (obj_str (s, "location"), ==, uri);
        g_assert_cmpint (obj_int (s, "created"), >, 0);
      }
  }
  lb_test_damage_backup (file);
  {
    g_autoptr (JsonNode) root = NULL;
    JsonObject *o = client_run_json (f, EXIT_BACKUP_CORRUPT, &root, "verify", "--json", dir, NULL);

    if (o != NULL)
      {
        g_assert_cmpstr (obj_str (o, "kind"), ==, "verify");
        g_assert_cmpint (obj_int (o, "status"), ==, LB_STATUS_ERROR);
        g_assert_cmpstr (obj_str (o, "error-name"), ==, error_name (LB_ERROR_BACKUP_CORRUPT));
        g_assert_cmpstr (obj_str (obj_obj (o, "summary"), "damaged-entry"), ==,
                         "licenses/vj-000003");
      }
  }
  /* generations --json: when each was checked, and what was found. */
  {
    g_autoptr (JsonNode) root = NULL;
    JsonObject *o = client_run_json (f, EXIT_OK, &root, "generations", "--json", dir, NULL);

    if (o != NULL)
      {
        JsonArray *a = obj_array (o, "backups");
        JsonObject *b = json_array_get_object_element (a, 0);

        g_assert_cmpint (obj_int (b, "verified"), >, 0);
        g_assert_cmpstr (obj_str (b, "verify_error"), !=, "");
      }
  }
}

/* Exit codes as for restore: no folder set, no backup there, usage. */
void
test_verify_exit_codes (Fixture *f, gconstpointer arg)
{
  g_autofree char *empty = make_dir (f, "empty");

  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "verify", NULL);

    assert_exit (run, EXIT_NOT_SET);
    assert_error_line (run, NULL);
  }
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "verify", empty, NULL);

    assert_exit (run, EXIT_FAILED);
    g_assert_cmpstr (run->out, ==, "");
    assert_error_line (run, NULL);
  }
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "verify", empty, empty, NULL);

    assert_exit (run, EXIT_USAGE);
    assert_contains (run->err, "verify takes at most one DIRECTORY");
  }
}

/* The check column of generations: a backup of 0.1.0 that no one
 * checked, and one the read-back checked. */
void
test_verify_generations_column (Fixture *f, gconstpointer arg)
{
  g_autofree char *dir = make_dir (f, "backups");
  g_autofree char *old = make_dir (f, "old");
  g_autofree char *fixture
      = g_test_build_filename (G_TEST_DIST, "..", "data", "v1", "licenses.lbk", NULL);
  g_autofree char *copy = g_build_filename (old, "licenses.lbk", NULL);
  g_autoptr (GError) error = NULL;

  store_many (f, 2, "gc-", 100);
  backup_into (f, dir);
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "generations", dir, NULL);

    assert_exit (run, EXIT_OK);
    assert_contains (run->out, "  checked ");
    assert_contains (run->out, ": whole  (newest: restored by default)\n");
  }
  {
    g_autoptr (GFile) from = g_file_new_for_path (fixture);
    g_autoptr (GFile) to = g_file_new_for_path (copy);

    g_file_copy (from, to, G_FILE_COPY_NONE, NULL, NULL, NULL, &error);
    g_assert_no_error (error);
  }
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "generations", old, NULL);

    assert_exit (run, EXIT_OK);
    assert_contains (run->out, "  not checked");
  }
  {
    g_autoptr (JsonNode) root = NULL;
    JsonObject *o = client_run_json (f, EXIT_OK, &root, "generations", "--json", old, NULL);

    if (o != NULL)
      {
        JsonObject *b = json_array_get_object_element (obj_array (o, "backups"), 0);

        g_assert_cmpint (obj_int (b, "verified"), ==, 0);
        g_assert_cmpstr (obj_str (b, "verify_error"), ==, "");
      }
  }
}

/* status while a check runs, and cancel. */
void
test_verify_status (Fixture *f, gconstpointer arg)
{
  g_autofree char *dir = make_dir (f, "backups");
  g_autoptr (ClientRun) follower = NULL;

  store_many (f, SLOW_LICENSES, "vs-", 64);
  backup_into (f, dir);
  if (spawn_until_progress (f, NULL, 10, &follower, "verify", dir, NULL) == 0)
    return;
  assert_status_shows (f, "Check of a backup running\n", "\n  Progress:       ", NULL);
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "cancel", NULL);

    assert_exit (run, EXIT_OK);
    g_assert_cmpstr (run->out, ==, "The check of the backup is being cancelled.\n");
  }
  client_wait (follower, CLIENT_TIMEOUT_MS);
  assert_exit (follower, EXIT_CANCELLED);
}
