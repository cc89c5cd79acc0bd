/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The license-backup client, backup: summaries, an existing backup, no folder set, --json, no space
 * left (see client-util.h). */
#include "config.h"

#include "client-util.h"

/* Tests: backup */

/* Five licenses that may be backed up, one without the Backup right, one
 * expired. */
static void
store_mixed (Fixture *f)
{
  gint64 past = g_get_real_time () / G_USEC_PER_SEC - 60;

  store_many (f, 5, "ok-", 200);
  store_license (f, "no-right", NULL,
                 lb_test_vardict_new ("can-backup", g_variant_new_boolean (FALSE), NULL));
  store_license (f, "stale", NULL,
                 lb_test_vardict_new ("expires", g_variant_new_int64 (past), NULL));
}

void
test_backup_summary (Fixture *f, gconstpointer arg)
{
  g_autofree char *dir = make_dir (f, "backups");
  g_autofree char *file = NULL;
  g_autoptr (ClientRun) run = NULL;
  g_autofree char *summary = NULL;
  g_autofree char *line = NULL;

  store_mixed (f);
  /* A relative DIRECTORY is made absolute. */
  run = client_run (f, NULL, "backup", "backups", NULL);
  assert_exit (run, EXIT_OK);
  g_assert_cmpstr (run->err, ==, "");
  file = backup_file (dir);
  g_assert_true (g_file_test (file, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpuint (lb_test_count_temporaries (dir), ==, 0);

  summary = g_strdup_printf ("Backed up 5 licenses to %s (", file);
  assert_contains (run->out, summary);
  assert_contains (run->out, "\n2 licenses could not be backed up:\n");
  assert_contains (run->out, "\n  no-right: no Backup right\n");
  assert_contains (run->out, "\n  stale: expired\n");
  /* Not a terminal: plain lines, no redrawing. */
  g_assert_null (strchr (run->out, '\r'));
  g_assert_null (strchr (run->out, '\033'));
  line = g_strdup_printf ("Backing up: 5 of 5 licenses (100%%)\n");
  assert_contains (run->out, line);
  /* The summary after the progress. */
  g_assert_true (strstr (run->out, line) < strstr (run->out, summary));

  /* One license: the singular. */
  {
    g_autofree char *dir1 = make_dir (f, "one");
    g_autofree char *want = NULL;
    g_autoptr (ClientRun) run1 = NULL;

    {
      g_autoptr (ClientRun) d = client_run (f, NULL, "delete", "no-right", NULL);
      g_autoptr (ClientRun) d2 = client_run (f, NULL, "delete", "stale", NULL);
      assert_exit (d, EXIT_OK);
      assert_exit (d2, EXIT_OK);
      for (guint i = 1; i < 5; i++)
        {
          g_autofree char *key = g_strdup_printf ("ok-%06u", i);
          g_autoptr (ClientRun) d3 = client_run (f, NULL, "delete", key, NULL);
          assert_exit (d3, EXIT_OK);
        }
    }
    run1 = client_run (f, NULL, "backup", dir1, NULL);
    assert_exit (run1, EXIT_OK);
    {
      g_autofree char *file1 = backup_file (dir1);

      want = g_strdup_printf ("Backed up 1 license to %s (", file1);
    }
    assert_contains (run1->out, want);
    assert_not_contains (run1->out, "could not be backed up");
  }
}

void
test_backup_exists_overwrite (Fixture *f, gconstpointer arg)
{
  g_autofree char *dir = make_dir (f, "backups");
  g_autofree char *file = NULL;
  g_autoptr (GBytes) first = NULL;
  g_autoptr (GBytes) after = NULL;

  store_many (f, 3, "ow-", 100);
  client_ok (f, NULL, "backup", dir, NULL);
  file = backup_file (dir);
  first = lb_test_read_bytes (file);
  g_assert_nonnull (first);
  store_license (f, "ow-new", NULL, NULL);

  /* Exit status 4, and the old backup untouched. */
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "backup", dir, NULL);

    assert_exit (run, EXIT_BACKUP_EXISTS);
    g_assert_cmpstr (run->out, ==, "");
    assert_error_line (run, "--overwrite");
  }
  after = lb_test_read_bytes (file);
  g_assert_true (first != NULL && after != NULL && g_bytes_equal (first, after));
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "--verbose", "backup", dir, NULL);

    assert_exit (run, EXIT_BACKUP_EXISTS);
    assert_contains (run->err, error_name (LB_ERROR_BACKUP_EXISTS));
  }

  /* --overwrite adds a new backup beside it (the folder keeps three). */
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "backup", "--overwrite", dir, NULL);
    g_autofree char *want = NULL;

    assert_exit (run, EXIT_OK);
    g_free (file);
    file = backup_file (dir);
    want = g_strdup_printf ("Backed up 4 licenses to %s (", file);
    assert_contains (run->out, want);
  }
  g_clear_pointer (&after, g_bytes_unref);
  after = lb_test_read_bytes (file);
  g_assert_true (after != NULL && !g_bytes_equal (first, after));
  g_assert_cmpuint (lb_test_count_temporaries (dir), ==, 0);
}

/* Exit status 6, then the configured folders are used. */
void
test_backup_not_set (Fixture *f, gconstpointer arg)
{
  g_autofree char *dir = make_dir (f, "backups");
  g_autofree char *file = backup_file (dir);

  store_many (f, 2, "ns-", 100);
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "backup", NULL);

    assert_exit (run, EXIT_NOT_SET);
    g_assert_cmpstr (run->out, ==, "");
    assert_error_line (run, "license-backup config backup-path");
  }
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "restore", NULL);

    assert_exit (run, EXIT_NOT_SET);
    assert_error_line (run, NULL);
  }
  client_ok (f, NULL, "config", "backup-path", dir, NULL);
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "backup", NULL);

    assert_exit (run, EXIT_OK);
    assert_contains (run->out, "Backed up 2 licenses to ");
  }
  g_free (file);
  file = backup_file (dir);
  g_assert_true (g_file_test (file, G_FILE_TEST_IS_REGULAR));
  {
    /* No restore folder: the backup folder, and the client says so. */
    g_autoptr (ClientRun) s = client_run (f, NULL, "status", NULL);
    g_autoptr (ClientRun) d0 = client_run (f, NULL, "delete", "ns-000000", NULL);
    g_autoptr (ClientRun) r0 = client_run (f, NULL, "restore", NULL);
    g_autofree char *from = g_strdup_printf (
        "Restoring from %s (the backup folder: no restore folder is set).\n", dir);

    assert_contains (s->out, "  Restore folder: (not set: the backup folder)\n");
    assert_exit (d0, EXIT_OK);
    assert_exit (r0, EXIT_OK);
    g_assert_true (g_str_has_prefix (r0->out, from));
    assert_contains (r0->out, "Restored 1 license from ");
  }
  {
    g_autoptr (ClientRun) c = client_run (f, NULL, "config", "restore-path", dir, NULL);
    g_autoptr (ClientRun) d = client_run (f, NULL, "delete", "ns-000001", NULL);
    g_autoptr (ClientRun) run = client_run (f, NULL, "restore", NULL);
    g_autofree char *want = g_strdup_printf ("Restored 1 license from %s (1 already present, "
                                             "0 bound to this computer).\n",
                                             file);

    assert_exit (c, EXIT_OK);
    assert_exit (d, EXIT_OK);
    assert_exit (run, EXIT_OK);
    assert_contains (run->out, want);
  }
  g_assert_cmpuint (license_count (f), ==, 2);
}

void
test_backup_json (Fixture *f, gconstpointer arg)
{
  g_autofree char *dir = make_dir (f, "backups");
  g_autofree char *file = NULL;
  g_autofree char *uri = NULL;
  g_autoptr (ClientRun) run = NULL;
  g_autoptr (JsonNode) root = NULL;
  JsonObject *o, *summary;
  JsonArray *restricted;
  struct stat st;

  store_mixed (f);
  run = client_run (f, NULL, "backup", "--json", dir, NULL);
  assert_exit (run, EXIT_OK);
  file = backup_file (dir);
  uri = g_filename_to_uri (file, NULL, NULL);
  g_assert_cmpstr (run->err, ==, "");
  o = run_json_object (run, &root);
  if (o == NULL)
    return;
  g_assert_cmpint (obj_int (o, "operation"), >, 0);
  g_assert_cmpstr (obj_str (o, "kind"), ==, "backup");
  g_assert_cmpint (obj_int (o, "status"), ==, LB_STATUS_END);
  g_assert_cmpstr (obj_str (o, "error"), ==, "");
  g_assert_cmpstr (obj_str (o, "error-name"), ==, "");
  g_assert_false (obj_bool (o, "interrupted"));
  summary = obj_obj (o, "summary");
  g_assert_cmpint (obj_int (summary, "licenses"), ==, 5);
  g_assert_cmpint (obj_int (summary, "skipped"), ==, 2);
  g_assert_cmpstr (obj_str (summary, "location"), ==, uri);
  g_assert_cmpint (g_stat (file, &st), ==, 0);
  g_assert_cmpint (obj_int (summary, "bytes"), ==, st.st_size);
  restricted = obj_array (o, "restricted");
  g_assert_cmpuint (json_array_get_length (restricted), ==, 2);
  if (json_array_get_length (restricted) == 2)
    {
      g_autoptr (GHashTable) reasons = g_hash_table_new (g_str_hash, g_str_equal);

      for (guint i = 0; i < 2; i++)
        {
          JsonObject *r = json_array_get_object_element (restricted, i);
          g_hash_table_insert (reasons, (gpointer) obj_str (r, "key-id"),
                               (gpointer) obj_str (r, "reason"));
          g_assert_cmpstr (obj_str (r, "app"), ==, "");
        }
      g_assert_cmpstr (g_hash_table_lookup (reasons, "no-right"), ==, "no-backup-right");
      g_assert_cmpstr (g_hash_table_lookup (reasons, "stale"), ==, "expired");
    }
  /* Only host programs' licenses: one count, under "". */
  {
    JsonObject *apps = obj_obj (o, "apps");

    g_assert_cmpuint (json_object_get_size (apps), ==, 1);
    g_assert_cmpint (obj_int (apps, ""), ==, 5);
  }

  /* The operation the JSON names is the one the service reports. */
  {
    g_autoptr (ClientRun) st_run = client_run (f, NULL, "status", "--json", NULL);
    g_autoptr (JsonNode) st_root = NULL;
    JsonObject *s = run_json_object (st_run, &st_root);

    if (s != NULL)
      g_assert_cmpint (obj_int (s, "operation-id"), ==, obj_int (o, "operation"));
  }
}

/* Tests: no space left (root only) */

void
test_nospace_backup (Fixture *f, gconstpointer arg)
{
  g_autofree char *dir = g_build_filename (f->work, "tiny", NULL);
  g_autofree char *file = backup_file (dir);

  if (getuid () != 0)
    {
      g_test_skip ("needs root to mount a small tmpfs");
      return;
    }
  /* A mount namespace of our own (inherited by the daemon started below),
   * so that the mount goes away with this process whatever happens. */
  if (unshare (CLONE_NEWNS) != 0 || mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
    {
      g_autofree char *msg
          = g_strdup_printf ("cannot make a mount namespace: %s", g_strerror (errno));
      g_test_skip (msg);
      return;
    }
  g_assert_cmpint (g_mkdir (dir, 0700), ==, 0);
  if (mount ("lb-test-tiny", dir, "tmpfs", 0, "size=64k,mode=0700") != 0)
    {
      g_autofree char *msg = g_strdup_printf ("cannot mount a tmpfs: %s", g_strerror (errno));
      g_test_skip (msg);
      return;
    }
  if (!use_machine (f, 0))
    goto out;

  store_many (f, 40, "big-", 16 * 1024);
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "backup", dir, NULL);

    assert_exit (run, EXIT_NO_SPACE);
    assert_error_line (run, "not enough free space");
    assert_not_contains (run->out, "Backed up");
  }
  g_free (
      client_json_failure (f, "backup", dir, EXIT_NO_SPACE, LB_STATUS_ERROR, LB_ERROR_NO_SPACE));
  g_free (file);
  file = backup_file (dir);
  g_assert_false (g_file_test (file, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (lb_test_count_temporaries (dir), ==, 0);

out:
  lb_test_machine_stop_daemon (f->current);
  umount2 (dir, MNT_DETACH);
}
