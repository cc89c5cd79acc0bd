/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The license-backup client, the command line itself: help, version, usage errors, an unreachable
 * service (see client-util.h). */
#include "config.h"

#include "client-util.h"

/* Tests: the command line itself (no service needed) */

static const char *const commands[] = {
  "status", "backup", "restore", "cancel", "list",   "apps",
  "import", "export", "delete",  "clean",  "config", "verify",
};

void
test_cli_help (Fixture *f, gconstpointer arg)
{
  const char *const help_args[] = { "--help", "-h" };

  for (guint h = 0; h < G_N_ELEMENTS (help_args); h++)
    {
      g_autoptr (ClientRun) run = client_run (f, NULL, help_args[h], NULL);

      assert_exit (run, EXIT_OK);
      g_assert_cmpstr (run->err, ==, "");
      assert_contains (run->out, "Usage: license-backup");
      for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
        {
          g_autofree char *line = g_strdup_printf ("\n  %s ", commands[i]);
          assert_contains (run->out, line);
        }
      assert_contains (run->out, "--verbose");
      assert_contains (run->out, "--version");
      /* Every exit status is documented. */
      assert_contains (run->out, "Exit status:");
      for (int code = 0; code <= 14; code++)
        {
          g_autofree char *line = g_strdup_printf ("\n  %-3d ", code);
          assert_contains (run->out, line);
        }
      assert_contains (run->out, "\n  130 ");
    }

  /* No command: the help, as a usage error. */
  {
    const char *const no_args[] = { NULL };
    g_autoptr (ClientRun) run = client_spawnv (f, NULL, no_args);

    client_wait (run, CLIENT_TIMEOUT_MS);
    assert_exit (run, EXIT_USAGE);
    g_assert_cmpstr (run->out, ==, "");
    assert_contains (run->err, "Usage: license-backup");
  }
}

void
test_cli_version (Fixture *f, gconstpointer arg)
{
  client_ok_quiet (f, "license-backup " PACKAGE_VERSION "\n", "--version", NULL);
}

void
test_cli_command_help (Fixture *f, gconstpointer arg)
{
  static const struct
  {
    const char *command;
    const char *mentions[6];
  } cases[] = {
    { "status", { "--json", NULL } },
    { "backup", { "--overwrite", "--json", "DIRECTORY", "Ctrl-C", NULL } },
    { "restore", { "--individualize", "--yes", "-y", "--json", "DIRECTORY", NULL } },
    { "cancel", { "Cancel", NULL } },
    { "list", { "--json", "--app", NULL } },
    { "apps", { "--json", "Other apps", NULL } },
    { "import", { "--key-id", "--attr", "KEY=VALUE", "FILE", "can-backup", NULL } },
    { "export", { "--output", "-o", "KEY_ID", "--app", NULL } },
    { "delete", { "KEY_ID", "--app", NULL } },
    { "clean", { "--expired", NULL } },
    { "config", { "backup-path", "restore-path", "VALUE", NULL } },
    { "verify", { "--generation", "--json", "DIRECTORY", "writes nothing", NULL } },
  };

  G_STATIC_ASSERT (G_N_ELEMENTS (cases) == G_N_ELEMENTS (commands));
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (ClientRun) run = client_run (f, NULL, cases[i].command, "--help", NULL);
      g_autofree char *usage = g_strdup_printf ("license-backup %s", cases[i].command);

      assert_exit (run, EXIT_OK);
      assert_contains (run->out, usage);
      assert_contains (run->out, "--help");
      for (guint j = 0; cases[i].mentions[j] != NULL; j++)
        assert_contains (run->out, cases[i].mentions[j]);
    }
}

void
test_cli_usage_errors (Fixture *f, gconstpointer arg)
{
  g_autofree char *file = g_build_filename (f->work, "license.bin", NULL);
  /* Each must be refused before the client goes near the bus (which does
   * not exist here: that would be exit status 11). */
  const char *const cases[][6] = {
    { "frobnicate" },
    { "--bogus", "status" },
    { "status", "--bogus" },
    { "backup", "--bogus" },
    { "restore", "--no-such-option" },
    { "status", "extra" },
    { "backup", "dir1", "dir2" },
    { "restore", "dir1", "dir2" },
    { "cancel", "now" },
    { "list", "all" },
    { "list", "--app" },
    { "apps", "all" },
    { "apps", "--app", "x" },
    { "export", "--app" },
    { "delete", "--app", "org.example.Player" },
    { "import" },
    { "import", file, "second" },
    { "export" },
    { "export", "key-1", "key-2" },
    { "delete" },
    { "delete", "key-1", "key-2" },
    { "clean" },
    { "clean", "--expired", "more" },
    { "config", "colour" },
    { "config", "backup-path", "/tmp", "extra" },
    { "import", "--attr", "issuer", file },
    { "import", "--attr", "=value", file },
    { "import", "--attr", "can-backup=maybe", file },
    { "import", "--attr", "restore-limit=-1", file },
    { "import", "--attr", "expires=next-tuesday", file },
    { "import", "--key-id" },
    { "export", "-o" },
  };

  g_file_set_contents (file, "blob", -1, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (ClientRun) run = client_spawnv (f, NULL, cases[i]);

      client_wait (run, CLIENT_TIMEOUT_MS);
      assert_exit (run, EXIT_USAGE);
      g_assert_cmpstr (run->out, ==, "");
      if (!g_str_has_prefix (run->err, "license-backup: "))
        {
          g_autofree char *desc = describe_run (run);
          g_test_fail_printf ("a usage error does not say “license-backup: ...” first: %s", desc);
        }
    }

  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "frobnicate", NULL);
    assert_contains (run->err, "Unknown command “frobnicate”");
    assert_contains (run->err, "Usage: license-backup");
  }
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "--bogus", NULL);
    assert_contains (run->err, "Unknown option --bogus");
  }
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "import", "--attr", "issuer", file, NULL);
    assert_contains (run->err, "--attr takes KEY=VALUE, not “issuer”");
  }
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "config", "colour", NULL);
    assert_contains (run->err,
                     "backup-path, restore-path, automatic, keep-backups, encrypt and passphrase");
  }
}

/* Exit status 11: a bus without the service and without activation for
 * it, or no bus at all. */
void
test_cli_unreachable (Fixture *f, gconstpointer arg)
{
  const char *const cases[][4] = {
    { "status" }, { "list" }, { "cancel" }, { "backup", "/tmp" }, { "export", "key" }, { "apps" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (ClientRun) run = client_spawnv (f, NULL, cases[i]);

      client_wait (run, CLIENT_TIMEOUT_MS);
      assert_exit (run, EXIT_UNREACHABLE);
      g_assert_cmpstr (run->out, ==, "");
      assert_error_line (run, "not running and cannot be started");
    }

  /* --verbose adds the D-Bus error name. */
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "--verbose", "status", NULL);

    assert_exit (run, EXIT_UNREACHABLE);
    assert_contains (run->err, "org.freedesktop.DBus.Error.");
  }

  /* No bus at all. */
  {
    ClientOpts opts = { .bus_address = "unix:path=/nonexistent/lb-test/bus" };
    g_autoptr (ClientRun) run = client_run (f, &opts, "status", NULL);

    assert_exit (run, EXIT_UNREACHABLE);
    g_assert_cmpstr (run->out, ==, "");
    assert_contains (run->err, "license-backup: Cannot reach the session bus");
  }

  /* Nothing has started a daemon behind our back. */
  g_assert_cmpuint (lb_test_bus_get_owner_pid (f->bus), ==, 0);
}
