/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The license-backup client, a pseudo-terminal: the progress bar and the consent question
 * (see client-util.h). */
#include "config.h"

#include "client-util.h"

/* Tests: a pseudo-terminal */

void
test_tty_progress_bar (Fixture *f, gconstpointer arg)
{
  g_autofree char *dir = make_dir (f, "backups");
  ClientOpts opts = { .pty = TRUE };
  g_autoptr (ClientRun) run = NULL;
  g_autofree char *summary = NULL;

  store_many (f, SLOW_LICENSES, "tb-", 64);
  run = client_run (f, &opts, "backup", dir, NULL);
  g_test_message ("the terminal showed:\n%s", run->out);
  assert_exit (run, EXIT_OK);
  g_assert_cmpstr (run->err, ==, "");
  /* Redrawn in place: many "\r" (the terminal adds none: no OPOST). */
  assert_contains (run->out, "\rBacking up [");
  g_assert_cmpuint (count_substrings (run->out, "\rBacking up ["), >=, 3);
  assert_contains (run->out, "[###");
  assert_contains (run->out, "] 100%");
  assert_contains (run->out, "%  ");
  assert_contains (run->out, "\033[K");
  if (strstr (run->out, " left") == NULL && strstr (run->out, "/s") == NULL)
    g_test_fail_printf ("the progress bar shows neither the time left nor a rate:\n%s", run->out);
  assert_contains (run->out, "150 of 150");
  /* No plain progress lines on a terminal. */
  assert_not_contains (run->out, "Backing up: ");
  {
    g_autofree char *file = backup_file (dir);

    summary = g_strdup_printf ("\nBacked up 150 licenses to %s (", file);
  }
  assert_contains (run->out, summary);
}

/* Another machine's backup restored from a terminal: the client explains,
 * asks, and goes on only with a yes. */
void
test_tty_consent (Fixture *f, gconstpointer arg)
{
  gboolean yes = g_str_has_suffix (g_test_get_path (), "-yes");
  g_autofree char *dir = make_dir (f, "shared");
  g_autoptr (ClientRun) run = restore_on_b_until_asked (f, 4, dir, "[y/N] ");

  if (run == NULL)
    return;
  assert_contains (run->pty_out->str, "backed up on another computer");
  assert_contains (run->pty_out->str, "individualizes");
  /* Nothing restored while the question waits. */
  g_assert_cmpuint (license_count (f), ==, 0);
  pty_write (run, yes ? "y\n" : "n\n");
  client_wait (run, CLIENT_TIMEOUT_MS);
  g_test_message ("the terminal showed:\n%s", run->out);
  g_assert_cmpuint (count_substrings (run->out, "[y/N]"), ==, 1);
  if (yes)
    {
      assert_exit (run, EXIT_OK);
      assert_contains (run->out, "Restored 4 licenses from ");
      assert_contains (run->out, "(0 already present, 4 bound to this computer)");
      g_assert_cmpstr (run->err, ==, "");
      g_assert_cmpuint (license_count (f), ==, 4);
    }
  else
    {
      assert_exit (run, EXIT_NEEDS_INDIVIDUALIZATION);
      assert_not_contains (run->out, "Restored");
      assert_error_line (run, NULL);
      g_assert_cmpuint (license_count (f), ==, 0);
    }
}

/* --yes on a terminal: no question. */
void
test_tty_yes (Fixture *f, gconstpointer arg)
{
  g_autofree char *dir = make_dir (f, "shared");

  if (!backup_on_a_then_use_b (f, 2, dir))
    return;
  g_autoptr (ClientRun) run
      = client_run (f, &(ClientOpts){ .pty = TRUE }, "restore", "--yes", dir, NULL);
  assert_exit (run, EXIT_OK);
  assert_not_contains (run->out, "[y/N]");
  assert_contains (run->out, "(0 already present, 2 bound to this computer)");
  g_assert_cmpuint (license_count (f), ==, 2);
}

/* --json on a terminal: no progress bar, and no question either. */
void
test_tty_json (Fixture *f, gconstpointer arg)
{
  g_autofree char *dir = make_dir (f, "backups");
  ClientOpts opts = { .pty = TRUE };

  store_many (f, 30, "tj-", 64);
  {
    g_autoptr (ClientRun) run = client_run (f, &opts, "backup", "--json", dir, NULL);
    g_autoptr (JsonNode) root = NULL;
    JsonObject *o;

    assert_exit (run, EXIT_OK);
    g_assert_null (strchr (run->out, '\r'));
    o = run_json_object (run, &root);
    if (o != NULL)
      g_assert_cmpint (obj_int (obj_obj (o, "summary"), "licenses"), ==, 30);
  }
  use_machine (f, 1);
  {
    g_autoptr (ClientRun) run = client_run (f, &opts, "restore", "--json", dir, NULL);
    g_autoptr (JsonNode) root = NULL;
    JsonObject *o;

    assert_exit (run, EXIT_NEEDS_INDIVIDUALIZATION);
    assert_not_contains (run->out, "[y/N]");
    o = run_json_object (run, &root);
    if (o != NULL)
      g_assert_cmpint (obj_int (o, "status"), ==, LB_STATUS_NEEDS_INDIVIDUALIZATION);
  }
  g_assert_cmpuint (license_count (f), ==, 0);
}
