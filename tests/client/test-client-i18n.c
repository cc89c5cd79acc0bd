/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The license-backup client, German: messages and the consent question
 * (see client-util.h). */
#include "config.h"

#include "client-util.h"

/* Tests: German */

void
test_i18n_german (Fixture *f, gconstpointer arg)
{
  g_autofree char *dir = make_dir (f, "backups");
  g_autofree char *missing = g_build_filename (f->work, "no-such-folder", NULL);

  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "--help", NULL);

    assert_exit (run, EXIT_OK);
    assert_contains (run->out, de ("Usage: license-backup [--verbose] COMMAND [OPTION…] "
                                   "[ARGUMENT…]",
                                   0));
    assert_contains (run->out, de ("Commands:", 0));
    assert_contains (run->out, de ("Exit status:", 0));
    assert_contains (run->out, de ("Back up the licenses, with a progress bar", 0));
    assert_not_contains (run->out, "Commands:");
    assert_not_contains (run->out, "Exit status:");
  }
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "backup", "--help", NULL);

    assert_exit (run, EXIT_OK);
    assert_contains (run->out, de ("Add a backup to a folder that holds backups (the oldest beyond "
                                   "keep-backups go)",
                                   0));
  }

  /* The client's own error text. */
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "backup", NULL);
    g_autofree char *want = g_strdup_printf (
        "license-backup: %s\n", de ("No folder is set; give one on the command line, or set it "
                                    "with “license-backup config backup-path FOLDER” (or "
                                    "restore-path)",
                                    0));

    assert_exit (run, EXIT_NOT_SET);
    g_assert_cmpstr (run->err, ==, want);
  }
  /* The daemon's (its message is the fallback for InvalidArgs). */
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "restore", missing, NULL);
    g_autofree char *want = format_runtime (
        de ("The folder %s does not exist; choose the folder that holds the backups", 0), missing);

    assert_exit (run, EXIT_FAILED);
    assert_contains (run->err, want);
  }

  /* The summary. */
  store_many (f, 3, "de-", 100);
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "backup", dir, NULL);
    g_autofree char *file = backup_file (dir);
    g_autofree char *want
        = format_runtime (de ("Backed up %u license to %s (%s).\n", 1), 3u, file, "\x01");
    char *cut = strchr (want, '\x01');
    g_autofree char *progress
        = format_runtime (de ("%s: %<PRIu64> of %<PRIu64> license "
                              "(%.0f%%)\n",
                              1),
                          de ("Backing up", 0), (guint64) 3, (guint64) 3, 100.0);

    assert_exit (run, EXIT_OK);
    if (cut != NULL)
      *cut = '\0';
    assert_contains (run->out, want);
    assert_contains (run->out, progress);
    assert_not_contains (run->out, "Backed up");
  }
  /* A status in words. */
  assert_status_shows (f, de ("Backup finished", 0), NULL);
}

/* The consent question in German, answered "ja". */
void
test_i18n_consent (Fixture *f, gconstpointer arg)
{
  g_autofree char *dir = make_dir (f, "shared");
  const char *question = de ("Restore them and bind them to this computer? [y/N] ", 0);
  g_autoptr (ClientRun) run = restore_on_b_until_asked (f, 2, dir, question);

  if (run == NULL)
    return;
  assert_not_contains (run->pty_out->str, "[y/N]");
  pty_write (run, "ja\n");
  client_wait (run, CLIENT_TIMEOUT_MS);
  g_test_message ("the terminal showed:\n%s", run->out);
  assert_exit (run, EXIT_OK);
  g_assert_cmpuint (license_count (f), ==, 2);
}
