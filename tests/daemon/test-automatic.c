/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Automatic backups, generations and the notice when backups fail
 * (issue 15), against the real daemon on a private bus, driven by the real
 * `license-backup` client and judged by what a user sees: its output and
 * exit status, the files in the backup folder, the licenses a restore
 * brings back, the notification a desktop would show.
 *
 * Days pass with the daemon's test clock (LB_FAULT_CLOCK_FILE, a file
 * holding the seconds to add to the real time, read at every use), never
 * with sleeps.
 *
 * Groups: due (when `backup --automatic` backs up), generations (how many
 * backups a folder keeps, what a kill leaves, restoring an older one, the
 * single-file layout of earlier versions), notice (the notification
 * through python-dbusmock's notification daemon).
 */
#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

#include <license-backup/license-backup.h>

#include "lb-archive.h"
#include <gio/gunixfdlist.h>

#include "lb-test-util.h"

#ifndef LB_CLIENT_PATH
#error "LB_CLIENT_PATH must be defined (the build-tree license-backup)"
#endif

#define DAY (24 * 3600)

typedef struct
{
  LbTestBus *bus;
  LbTestMachine *machine;
  LbDBusStore *store;
  LbDBusManager *manager;
  char *work;
  char *clock_file;
  char *backups; /* work/backups */
  GSubprocess *mock;
} Fixture;

/* Moves the daemon's clock to @offset seconds from the real time. */
static void
set_clock (Fixture *f, gint64 offset)
{
  g_autofree char *text = g_strdup_printf ("%" G_GINT64_FORMAT "\n", offset);
  g_autoptr (GError) error = NULL;

  g_file_set_contents (f->clock_file, text, -1, &error);
  g_assert_no_error (error);
}

static gboolean
start_daemon (Fixture *f, guint delay_us, const char *fault)
{
  g_autofree char *clock_env = g_strdup_printf ("LB_FAULT_CLOCK_FILE=%s", f->clock_file);
  const char *env[] = { clock_env, "TZ=UTC", NULL };
  LbTestDaemonOptions options = { 0 };

  options.extra_env = env;
  options.fault_delay_us = delay_us;
  options.fault = fault;
  return lb_test_machine_start_service (f->machine, &options, &f->store, &f->manager);
}

static void
setup (Fixture *f, gconstpointer data)
{
  f->bus = lb_test_bus_new (LB_TEST_BUS_DEFAULT);
  f->machine = lb_test_machine_new (f->bus, "a");
  f->work = lb_test_make_tmp_dir ("work");
  f->clock_file = g_build_filename (f->work, "clock", NULL);
  f->backups = g_build_filename (f->work, "backups", NULL);
  set_clock (f, 0);
  start_daemon (f, 0, NULL);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  if (f->mock != NULL)
    {
      g_subprocess_force_exit (f->mock);
      g_subprocess_wait (f->mock, NULL, NULL);
      g_clear_object (&f->mock);
    }
  lb_test_clear_service (&f->bus, &f->machine, &f->store, &f->manager);
  lb_test_rm_rf (f->work);
  g_free (f->work);
  g_free (f->clock_file);
  g_free (f->backups);
}

/* The client */

typedef struct
{
  int status;
  char *out;
  char *err;
} Run;

static void
run_free (Run *run)
{
  g_free (run->out);
  g_free (run->err);
  g_free (run);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Run, run_free)

static const char *
client_path (void)
{
  const char *path = g_getenv ("LB_CLIENT_PATH");

  return path != NULL ? path : LB_CLIENT_PATH;
}

static GSubprocess *
spawn_client (Fixture *f, const char *const *args, GError **error)
{
  g_autoptr (GSubprocessLauncher) launcher
      = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE
                                   | G_SUBPROCESS_FLAGS_STDIN_PIPE);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *bus
      = g_strdup_printf ("DBUS_SESSION_BUS_ADDRESS=%s", lb_test_bus_get_address (f->bus));
  g_autofree char *home = g_strdup_printf ("HOME=%s", lb_test_machine_get_home (f->machine));
  const char *env[] = { bus, home, "LANG=C.UTF-8", "TZ=UTC", "PATH=/usr/bin:/bin", NULL };

  g_subprocess_launcher_set_environ (launcher, (char **) env);
  g_subprocess_launcher_set_cwd (launcher, f->work);
  g_ptr_array_add (argv, (gpointer) client_path ());
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  return g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, error);
}

/* Runs `license-backup ARGS…` to its end. */
static Run *
client (Fixture *f, const char *first, ...)
{
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  g_autoptr (GSubprocess) proc = NULL;
  g_autoptr (GError) error = NULL;
  Run *run = g_new0 (Run, 1);
  va_list ap;

  va_start (ap, first);
  for (const char *a = first; a != NULL; a = va_arg (ap, const char *))
    g_ptr_array_add (args, (gpointer) a);
  va_end (ap);
  g_ptr_array_add (args, NULL);
  proc = spawn_client (f, (const char *const *) args->pdata, &error);
  g_assert_no_error (error);
  if (proc == NULL
      || !g_subprocess_communicate_utf8 (proc, NULL, NULL, &run->out, &run->err, &error))
    {
      g_assert_no_error (error);
      run->status = -1;
      return run;
    }
  run->status = g_subprocess_get_if_exited (proc) ? g_subprocess_get_exit_status (proc) : -1;
  if (run->out == NULL)
    run->out = g_strdup ("");
  if (run->err == NULL)
    run->err = g_strdup ("");
  return run;
}

#define assert_run(run, code)                                            \
  G_STMT_START                                                           \
  {                                                                      \
    if ((run)->status != (code))                                         \
      g_test_message ("stdout: %s\nstderr: %s", (run)->out, (run)->err); \
    g_assert_cmpint ((run)->status, ==, (code));                         \
  }                                                                      \
  G_STMT_END

#define assert_contains(haystack, needle)               \
  G_STMT_START                                          \
  {                                                     \
    const char *_h = (haystack), *_n = (needle);        \
    if (strstr (_h, _n) == NULL)                        \
      g_test_message ("“%s” not found in: %s", _n, _h); \
    g_assert_nonnull (strstr (_h, _n));                 \
  }                                                     \
  G_STMT_END

/* Licenses and files */

static void
store_one (Fixture *f, const char *key_id, guint8 seed)
{
  g_autoptr (GError) error = NULL;

  lb_dbus_store_call_store_license_sync (f->store, key_id, lb_test_blob_new (32, seed),
                                         g_variant_new ("a{sv}", NULL), NULL, &error);
  g_assert_no_error (error);
}

static gboolean
has_license (Fixture *f, const char *key_id)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) blob = NULL;
  g_autoptr (GVariant) attrs = NULL;

  if (lb_dbus_store_call_get_license_sync (f->store, key_id, &blob, &attrs, NULL, &error))
    return TRUE;
  lb_test_assert_error_name (error, LB_ERROR_NOT_FOUND);
  return FALSE;
}

static gint64
get_int64_property (Fixture *f, const char *name)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) v = lb_test_bus_get_property (f->bus, LB_TEST_MANAGER_IFACE, name, &error);

  g_assert_no_error (error);
  return v != NULL ? g_variant_get_int64 (v) : -1;
}

static void
configure (Fixture *f, const char *name, const char *value)
{
  g_autoptr (Run) run = client (f, "config", name, value, NULL);

  assert_run (run, 0);
}

static gint64
now (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

/* Group "due" */

/* Without a backup folder an automatic backup is never due, however long
 * it has been; the default is weekly, and nothing is planned. */
static void
test_due_no_location (Fixture *f, gconstpointer data)
{
  store_one (f, "song-1", 1);
  {
    g_autoptr (Run) run = client (f, "config", "automatic", NULL);

    assert_run (run, 0);
    g_assert_cmpstr (run->out, ==, "weekly\n");
  }
  g_assert_cmpint (get_int64_property (f, "NextBackupTime"), ==, 0);
  for (gint64 days = 0; days <= 60; days += 30)
    {
      g_autoptr (Run) run = NULL;

      set_clock (f, days * DAY);
      run = client (f, "backup", "--automatic", NULL);
      assert_run (run, 0);
      assert_contains (run->out, "No backup is due: no backup folder is set");
      g_assert_cmpstr (run->err, ==, "");
    }
  g_assert_false (g_file_test (f->backups, G_FILE_TEST_EXISTS));
}

/* Daily: the first check backs up, a second within the day does not,
 * the day after does (the licenses changed meanwhile). */
static void
test_due_period (Fixture *f, gconstpointer data)
{
  g_autoptr (GPtrArray) files = NULL;
  gint64 next;

  store_one (f, "song-1", 1);
  configure (f, "backup-path", f->backups);
  configure (f, "automatic", "daily");
  /* Never backed up: due from when the folder was set. */
  next = get_int64_property (f, "NextBackupTime");
  g_assert_cmpint (next, >, 0);
  g_assert_cmpint (next, <=, now ());
  {
    g_autoptr (Run) run = client (f, "backup", "--automatic", NULL);

    assert_run (run, 0);
    assert_contains (run->out, "Backed up 1 license to ");
  }
  files = lb_test_list_backups (f->backups);
  g_assert_cmpuint (files->len, ==, 1);
  next = get_int64_property (f, "NextBackupTime");
  g_assert_cmpint (next, >=, now () + DAY - 60);
  g_assert_cmpint (next, <=, now () + DAY);

  /* Changed, but within the period: not due, twice. */
  store_one (f, "song-2", 2);
  for (gint64 offset = 0; offset <= 12 * 3600; offset += 12 * 3600)
    {
      g_autoptr (Run) run = NULL;

      set_clock (f, offset);
      run = client (f, "backup", "--automatic", NULL);
      assert_run (run, 0);
      assert_contains (run->out, "No backup is due: the last one was made on ");
      g_clear_pointer (&files, g_ptr_array_unref);
      files = lb_test_list_backups (f->backups);
      g_assert_cmpuint (files->len, ==, 1);
    }

  /* A day later. */
  set_clock (f, DAY);
  {
    g_autoptr (Run) run = client (f, "backup", "--automatic", NULL);

    assert_run (run, 0);
    assert_contains (run->out, "Backed up 2 licenses to ");
  }
  g_clear_pointer (&files, g_ptr_array_unref);
  files = lb_test_list_backups (f->backups);
  g_assert_cmpuint (files->len, ==, 2);
  g_assert_cmpint (get_int64_property (f, "NextBackupTime"), >=, now () + 2 * DAY - 60);
}

/* After the period, nothing changed: not due, also after a restart (the
 * counter and the settings are kept); a deletion is a change. */
static void
test_due_unchanged (Fixture *f, gconstpointer data)
{
  store_one (f, "song-1", 1);
  store_one (f, "song-2", 2);
  configure (f, "backup-path", f->backups);
  {
    g_autoptr (Run) run = client (f, "backup", "--automatic", NULL);

    assert_run (run, 0);
    assert_contains (run->out, "Backed up 2 licenses to ");
  }
  start_daemon (f, 0, NULL);
  set_clock (f, 8 * DAY); /* weekly, the default */
  {
    g_autoptr (Run) run = client (f, "backup", "--automatic", NULL);

    assert_run (run, 0);
    assert_contains (run->out, "No backup is due: the licenses have not changed since the last "
                               "backup");
  }
  {
    g_autoptr (GPtrArray) files = lb_test_list_backups (f->backups);

    g_assert_cmpuint (files->len, ==, 1);
  }
  {
    g_autoptr (GError) error = NULL;

    lb_dbus_store_call_delete_license_sync (f->store, "song-2", NULL, &error);
    g_assert_no_error (error);
  }
  {
    g_autoptr (Run) run = client (f, "backup", "--automatic", NULL);

    assert_run (run, 0);
    assert_contains (run->out, "Backed up 1 license to ");
  }
  {
    g_autoptr (GPtrArray) files = lb_test_list_backups (f->backups);

    g_assert_cmpuint (files->len, ==, 2);
  }
}

/* Waits until the service has no operation running. */
static void
wait_idle (Fixture *f)
{
  for (guint i = 0; i < 500; i++)
    {
      g_autoptr (GVariant) op
          = lb_test_bus_get_property (f->bus, LB_TEST_MANAGER_IFACE, "Operation", NULL);

      if (op != NULL && g_str_equal (g_variant_get_string (op, NULL), ""))
        return;
      lb_test_run_for (10);
    }
  g_assert_not_reached ();
}

static char *
get_string_property (Fixture *f, const char *name)
{
  g_autoptr (GVariant) v = lb_test_bus_get_property (f->bus, LB_TEST_MANAGER_IFACE, name, NULL);

  return v != NULL ? g_variant_dup_string (v, NULL) : NULL;
}

/* When the newest backup of the folder was last checked, per ListBackups
 * (0: never); its verify-error in @error_text. */
static gint64
newest_verified (Fixture *f, char **error_text)
{
  g_autoptr (GVariant) backups = NULL;
  g_autoptr (GVariant) details = NULL;
  g_autoptr (GError) error = NULL;
  const char *name;
  gint64 verified = 0;

  lb_dbus_manager_call_list_backups_sync (f->manager, g_variant_new ("a{sv}", NULL), &backups, NULL,
                                          &error);
  g_assert_no_error (error);
  g_variant_get_child (backups, 0, "(&s@a{sv})", &name, &details);
  g_variant_lookup (details, "verified", "x", &verified);
  if (error_text != NULL && !g_variant_lookup (details, "verify-error", "s", error_text))
    *error_text = NULL;
  return verified;
}

/* Nothing changed, but the newest backup was last found whole a period
 * ago: the automatic request still says no backup is due, and the service
 * checks that backup, so that a drive that rots is noticed; not again
 * within the period. An automatic request during the check waits for it. */
static void
test_due_check_unchanged (Fixture *f, gconstpointer data)
{
  gint64 written, checked;

  store_one (f, "song-1", 1);
  configure (f, "backup-path", f->backups);
  {
    g_autoptr (Run) run = client (f, "backup", "--automatic", NULL);

    assert_run (run, 0);
  }
  written = newest_verified (f, NULL);
  g_assert_cmpint (written, >, 0);
  /* Within the period: nothing checked. */
  set_clock (f, 3 * DAY);
  {
    g_autoptr (Run) run = client (f, "backup", "--automatic", NULL);

    assert_run (run, 0);
    assert_contains (run->out, "No backup is due");
  }
  wait_idle (f);
  g_assert_cmpint (newest_verified (f, NULL), ==, written);
  /* A period later: checked. */
  set_clock (f, 8 * DAY);
  {
    g_autoptr (Run) run = client (f, "backup", "--automatic", NULL);

    assert_run (run, 0);
    assert_contains (run->out, "No backup is due: the licenses have not changed");
  }
  wait_idle (f);
  {
    g_autofree char *last = get_string_property (f, "LastOperation");

    g_assert_cmpstr (last, ==, "verify");
  }
  checked = newest_verified (f, NULL);
  g_assert_cmpint (checked, >=, now () + 8 * DAY - 60);
  /* Not again a day later. */
  set_clock (f, 9 * DAY);
  {
    g_autoptr (Run) run = client (f, "backup", "--automatic", NULL);

    assert_run (run, 0);
  }
  wait_idle (f);
  g_assert_cmpint (newest_verified (f, NULL), ==, checked);
}

/* Off is off; the setting is kept and shown. */
static void
test_due_off (Fixture *f, gconstpointer data)
{
  store_one (f, "song-1", 1);
  configure (f, "backup-path", f->backups);
  configure (f, "automatic", "never");
  g_assert_cmpint (get_int64_property (f, "NextBackupTime"), ==, 0);
  start_daemon (f, 0, NULL);
  set_clock (f, 40 * DAY);
  {
    g_autoptr (Run) run = client (f, "backup", "--automatic", NULL);

    assert_run (run, 0);
    assert_contains (run->out, "Automatic backups are off");
  }
  g_assert_false (g_file_test (f->backups, G_FILE_TEST_EXISTS));
  {
    g_autoptr (Run) run = client (f, "config", "automatic", "sometimes", NULL);

    assert_run (run, 2);
  }
  {
    g_autoptr (Run) run = client (f, "status", NULL);

    assert_run (run, 0);
    assert_contains (run->out, "  Automatic:      off\n");
  }
}

/* Group "generations" */

static void
backup_overwrite (Fixture *f)
{
  g_autoptr (Run) run = client (f, "backup", "--overwrite", NULL);

  assert_run (run, 0);
}

/* Three backups into f->backups, a day apart from the daemon's clock at 0;
 * their names. */
static GPtrArray *
three_daily_backups (Fixture *f)
{
  GPtrArray *names;

  configure (f, "backup-path", f->backups);
  for (guint i = 0; i < 3; i++)
    {
      set_clock (f, i * DAY);
      backup_overwrite (f);
    }
  names = lb_test_list_backups (f->backups);
  g_assert_cmpuint (names->len, ==, 3);
  return names;
}

/* Three kept by default, named in order, the oldest removed; the
 * client lists them newest first. */
static void
test_generations_keep (Fixture *f, gconstpointer data)
{
  g_autoptr (GPtrArray) first = NULL;
  g_autoptr (GPtrArray) last = NULL;

  store_one (f, "song-1", 1);
  first = three_daily_backups (f);
  set_clock (f, 3 * DAY);
  backup_overwrite (f);
  last = lb_test_list_backups (f->backups);
  g_assert_cmpuint (last->len, ==, 3);
  /* The oldest went; the others stayed; the new one sorts last. */
  g_assert_cmpstr (last->pdata[0], ==, first->pdata[1]);
  g_assert_cmpstr (last->pdata[1], ==, first->pdata[2]);
  g_assert_cmpint (strcmp (last->pdata[2], first->pdata[2]), >, 0);
  {
    g_autoptr (Run) run = client (f, "generations", NULL);
    g_auto (GStrv) lines = NULL;

    assert_run (run, 0);
    lines = g_strsplit (run->out, "\n", -1);
    g_assert_cmpuint (g_strv_length (lines), ==, 4); /* and the empty last */
    g_assert_true (g_str_has_prefix (lines[0], last->pdata[2]));
    assert_contains (lines[0], "(newest");
    g_assert_true (g_str_has_prefix (lines[2], last->pdata[0]));
  }
  /* Fewer kept from now on. */
  configure (f, "keep-backups", "1");
  set_clock (f, 4 * DAY);
  backup_overwrite (f);
  g_clear_pointer (&last, g_ptr_array_unref);
  last = lb_test_list_backups (f->backups);
  g_assert_cmpuint (last->len, ==, 1);
}

/* Each backup of @dir restores (with --generation), so each is whole. */
static void
assert_all_restore (Fixture *f, GPtrArray *names)
{
  for (guint i = 0; i < names->len; i++)
    {
      g_autoptr (Run) run = client (f, "restore", "--generation", names->pdata[i], NULL);

      assert_run (run, 0);
      assert_contains (run->out, "Restored ");
    }
}

static gboolean
same_names (GPtrArray *a, GPtrArray *b)
{
  if (a->len != b->len)
    return FALSE;
  for (guint i = 0; i < a->len; i++)
    if (!g_str_equal (a->pdata[i], b->pdata[i]))
      return FALSE;
  return TRUE;
}

/* The backups after a backup in which the daemon, started with @fault,
 * dies. */
static GPtrArray *
backups_after_fault (Fixture *f, const char *fault)
{
  start_daemon (f, 0, fault);
  {
    g_autoptr (Run) run = client (f, "backup", "--overwrite", NULL);

    g_assert_cmpint (run->status, !=, 0);
  }
  lb_test_daemon_wait_exit (lb_test_machine_get_daemon (f->machine), LB_TEST_TIMEOUT_MS);
  return lb_test_list_backups (f->backups);
}

/* @n backups, the first three of them @before's. */
static void
assert_older_kept (GPtrArray *before, GPtrArray *after, guint n)
{
  g_assert_cmpuint (after->len, ==, n);
  for (guint i = 0; i < 3; i++)
    g_assert_cmpstr (after->pdata[i], ==, before->pdata[i]);
}

/* Killed before the new backup is complete, after it is (before and after
 * it was read back) but before the oldest went, and in the middle of
 * writing: never fewer than three whole backups, and the next backup
 * tidies up. */
static void
test_generations_kill (Fixture *f, gconstpointer data)
{
  g_autoptr (GPtrArray) before = NULL;
  g_autoptr (GPtrArray) after = NULL;
  g_autoptr (GError) error = NULL;

  lb_test_store_many (f->store, 200, "song-", 64, &error);
  g_assert_no_error (error);
  before = three_daily_backups (f);

  /* Just before the rename: the three old ones, untouched. */
  set_clock (f, 3 * DAY);
  after = backups_after_fault (f, "backup-before-rename");
  g_assert_true (same_names (before, after));

  /* In the middle of writing, by SIGKILL. */
  start_daemon (f, 20000, NULL);
  {
    const char *args[] = { "backup", "--overwrite", NULL };
    g_autoptr (GSubprocess) proc = spawn_client (f, args, &error);

    g_assert_no_error (error);
    lb_test_wait_licenses_done (f->bus, 50);
    lb_test_daemon_kill (lb_test_machine_get_daemon (f->machine));
    g_subprocess_wait (proc, NULL, NULL);
  }
  g_clear_pointer (&after, g_ptr_array_unref);
  after = lb_test_list_backups (f->backups);
  g_assert_true (same_names (before, after));

  /* After the rename, before the oldest went: four whole ones. */
  g_clear_pointer (&after, g_ptr_array_unref);
  after = backups_after_fault (f, "backup-after-rename");
  assert_older_kept (before, after, 4);

  /* Read back whole, before the oldest went: five whole ones. */
  g_clear_pointer (&after, g_ptr_array_unref);
  after = backups_after_fault (f, "backup-after-read-back");
  assert_older_kept (before, after, 5);

  start_daemon (f, 0, NULL);
  assert_all_restore (f, after);
  /* The next backup leaves three, and no temporary file. */
  set_clock (f, 4 * DAY);
  backup_overwrite (f);
  {
    g_autoptr (GPtrArray) names = lb_test_list_dir (f->backups);

    g_assert_cmpuint (names->len, ==, 3);
    for (guint i = 0; i < names->len; i++)
      g_assert_false (g_str_has_prefix (names->pdata[i], "."));
  }
  g_clear_pointer (&after, g_ptr_array_unref);
  after = lb_test_list_backups (f->backups);
  assert_all_restore (f, after);
}

/* Runs `license-backup backup --overwrite` and returns the path of the
 * backup it reported; asserts that the file is there when the client
 * prints it (a Completed summary names a file that exists). */
static char *
backup_reported (Fixture *f)
{
  g_autoptr (Run) run = client (f, "backup", "--overwrite", NULL);
  const char *start, *end;
  char *path;

  assert_run (run, 0);
  start = strstr (run->out, " to ");
  g_assert_nonnull (start);
  start += strlen (" to ");
  end = strstr (start, " (");
  g_assert_nonnull (end);
  path = g_strndup (start, (gsize) (end - start));
  g_assert_true (g_str_has_prefix (path, f->backups));
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
  return path;
}

/* The backup just made is the newest by the folder's rule: last by name,
 * listed first by `generations`, and what a restore reads by default. */
static void
assert_newest (Fixture *f, const char *path)
{
  g_autoptr (GPtrArray) names = lb_test_list_backups (f->backups);
  g_autofree char *base = g_path_get_basename (path);
  g_autoptr (Run) run = client (f, "generations", NULL);

  g_assert_cmpuint (names->len, >, 0);
  g_assert_cmpstr (names->pdata[names->len - 1], ==, base);
  assert_run (run, 0);
  g_assert_true (g_str_has_prefix (run->out, base));
}

/* Deletes every license, restores the default backup, and checks that
 * @key_id came back: the default is the newest state. */
static void
assert_default_restore_has (Fixture *f, const char *key_id)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (Run) run = NULL;

  lb_dbus_store_call_delete_license_sync (f->store, key_id, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (has_license (f, key_id));
  run = client (f, "restore", NULL);
  assert_run (run, 0);
  g_assert_true (has_license (f, key_id));
}

/* The clock went back a day after three backups (it was ahead and was
 * corrected): the new backup is still the newest, survives the pruning,
 * and restores by default with the license bought since. Before the fix
 * the new backup got an earlier name and was removed at once. */
static void
test_generations_clock_back (Fixture *f, gconstpointer data)
{
  g_autofree char *path = NULL;

  store_one (f, "song-1", 1);
  configure (f, "backup-path", f->backups);
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *made = NULL;

      set_clock (f, DAY + i * 60);
      made = backup_reported (f);
    }
  set_clock (f, 0);
  store_one (f, "bought-later", 2);
  path = backup_reported (f);
  assert_newest (f, path);
  {
    g_autoptr (GPtrArray) names = lb_test_list_backups (f->backups);

    g_assert_cmpuint (names->len, ==, 3);
  }
  /* Its real time is shown (from its manifest), not its name's. */
  {
    g_autoptr (GVariant) backups = NULL;
    g_autoptr (GVariant) details = NULL;
    g_autoptr (GError) error = NULL;
    const char *name;
    gint64 created = 0, time = 0;

    lb_dbus_manager_call_list_backups_sync (f->manager, g_variant_new ("a{sv}", NULL), &backups,
                                            NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (g_variant_n_children (backups), ==, 3);
    g_variant_get_child (backups, 0, "(&s@a{sv})", &name, &details);
    g_assert_true (g_str_has_suffix (path, name));
    g_assert_true (g_variant_lookup (details, "created", "x", &created));
    g_assert_true (g_variant_lookup (details, "time", "x", &time));
    g_assert_cmpint (time, >, now () + DAY - 120);
    g_assert_cmpint (created, <=, now ());
    g_assert_cmpint (created, >=, now () - 60);
  }
  assert_default_restore_has (f, "bought-later");
  /* Every later backup too, until the clock catches up. */
  store_one (f, "bought-even-later", 3);
  g_free (path);
  path = backup_reported (f);
  assert_newest (f, path);
  assert_default_restore_has (f, "bought-even-later");
}

/* Backups in quick succession (six within about two seconds, the default
 * three kept): each one survives as the newest and holds the license
 * stored just before it. */
static void
test_generations_quick (Fixture *f, gconstpointer data)
{
  configure (f, "backup-path", f->backups);
  for (guint i = 0; i < 6; i++)
    {
      g_autofree char *key_id = g_strdup_printf ("quick-%u", i);
      g_autofree char *path = NULL;

      store_one (f, key_id, (guint8) i);
      path = backup_reported (f);
      assert_newest (f, path);
    }
  assert_default_restore_has (f, "quick-5");
  {
    g_autoptr (GPtrArray) names = lb_test_list_backups (f->backups);

    g_assert_cmpuint (names->len, ==, 3);
  }
}

/* A folder shared by two computers, three kept each: each one's pruning
 * removes only its own backups, the newest is always the one just made
 * (even when the other computer's clock is a day ahead), and
 * `generations` names the computer of each. */
static void
test_generations_shared (Fixture *f, gconstpointer data)
{
  LbTestMachine *a = f->machine;
  g_autoptr (LbTestMachine) b = lb_test_machine_new (f->bus, "b");
  guint of_a = 0, of_b = 0;

  configure (f, "backup-path", f->backups);
  for (guint round = 0; round < 4; round++)
    {
      for (guint which = 0; which < 2; which++)
        {
          g_autofree char *key_id = g_strdup_printf ("%s-%u", which == 0 ? "a" : "b", round);
          g_autofree char *path = NULL;

          lb_test_machine_stop_daemon (f->machine);
          f->machine = which == 0 ? a : b;
          /* b's clock is a day ahead of a's. */
          set_clock (f, which == 0 ? 0 : DAY);
          g_assert_true (start_daemon (f, 0, NULL));
          configure (f, "backup-path", f->backups);
          store_one (f, key_id, (guint8) round);
          path = backup_reported (f);
          assert_newest (f, path);
          assert_default_restore_has (f, key_id);
        }
    }
  {
    g_autoptr (Run) run = client (f, "generations", NULL);
    g_auto (GStrv) lines = g_strsplit (run->out, "\n", -1);

    assert_run (run, 0);
    for (guint i = 0; lines[i] != NULL && lines[i][0] != '\0'; i++)
      {
        if (strstr (lines[i], "  Computer a") != NULL)
          of_a++;
        else if (strstr (lines[i], "  Computer b, this computer") != NULL)
          of_b++;
        else
          g_test_message ("unexpected line: %s", lines[i]);
      }
  }
  g_assert_cmpuint (of_a, ==, 3);
  g_assert_cmpuint (of_b, ==, 3);
  lb_test_machine_stop_daemon (f->machine);
  f->machine = a;
  g_assert_true (start_daemon (f, 0, NULL));
}

/* The newest unless another is named. */
static void
test_generations_restore_older (Fixture *f, gconstpointer data)
{
  g_autoptr (GPtrArray) names = NULL;
  g_autoptr (GError) error = NULL;

  store_one (f, "song-1", 1);
  configure (f, "backup-path", f->backups);
  backup_overwrite (f);
  store_one (f, "song-2", 2);
  set_clock (f, DAY);
  backup_overwrite (f);
  names = lb_test_list_backups (f->backups);
  g_assert_cmpuint (names->len, ==, 2);

  lb_dbus_store_call_delete_license_sync (f->store, "song-1", NULL, &error);
  g_assert_no_error (error);
  lb_dbus_store_call_delete_license_sync (f->store, "song-2", NULL, &error);
  g_assert_no_error (error);
  {
    g_autoptr (Run) run = client (f, "restore", "--generation", names->pdata[0], NULL);

    assert_run (run, 0);
    assert_contains (run->out, "Restored 1 license from ");
    assert_contains (run->out, names->pdata[0]);
  }
  g_assert_true (has_license (f, "song-1"));
  g_assert_false (has_license (f, "song-2"));
  {
    g_autoptr (Run) run = client (f, "restore", NULL);

    assert_run (run, 0);
    assert_contains (run->out, "Restored 1 license from ");
    assert_contains (run->out, names->pdata[1]);
  }
  g_assert_true (has_license (f, "song-2"));
  {
    g_autoptr (Run) run = client (f, "restore", "--generation", "licenses-nonsense.lbk", NULL);

    g_assert_cmpint (run->status, !=, 0);
    assert_contains (run->err, "is not the name of a backup");
  }
  {
    g_autoptr (Run) run
        = client (f, "restore", "--generation", "licenses-20000101T000000Z.lbk", NULL);

    g_assert_cmpint (run->status, !=, 0);
    assert_contains (run->err, "holds no backup named licenses-20000101T000000Z.lbk");
  }
}

/* A folder of the single-file layout (licenses.lbk of 0.1.0) restores; a
 * newer backup beside it is the default, and licenses.lbk is listed last. */
static void
test_generations_legacy (Fixture *f, gconstpointer data)
{
  g_autofree char *fixture
      = g_test_build_filename (G_TEST_DIST, "data", "v1", "licenses.lbk", NULL);
  g_autofree char *legacy = g_build_filename (f->backups, LB_BACKUP_FILE_NAME, NULL);
  g_autofree char *contents = NULL;
  g_autoptr (GError) error = NULL;
  gsize len;

  g_assert_cmpint (g_mkdir (f->backups, 0700), ==, 0);
  g_file_get_contents (fixture, &contents, &len, &error);
  g_assert_no_error (error);
  g_file_set_contents (legacy, contents, (gssize) len, &error);
  g_assert_no_error (error);
  configure (f, "backup-path", f->backups);
  {
    g_autoptr (Run) run = client (f, "restore", "--individualize", NULL);

    assert_run (run, 0);
    assert_contains (run->out, "/licenses.lbk (");
  }
  g_assert_cmpuint (lb_test_bus_get_license_count (f->bus), >, 0);
  store_one (f, "song-new", 9);
  backup_overwrite (f);
  {
    g_autoptr (Run) run = client (f, "generations", NULL);
    g_auto (GStrv) lines = NULL;

    assert_run (run, 0);
    lines = g_strsplit (run->out, "\n", -1);
    g_assert_cmpuint (g_strv_length (lines), ==, 3);
    g_assert_true (g_str_has_prefix (lines[0], "licenses-"));
    g_assert_true (g_str_has_prefix (lines[1], "licenses.lbk "));
  }
}

/* Group "notice" */

static const char *
python (void)
{
  return g_file_test ("/usr/bin/python3", G_FILE_TEST_IS_EXECUTABLE) ? "/usr/bin/python3"
                                                                     : "python3";
}

/* python-dbusmock's notification daemon on the test bus. */
static gboolean
start_notification_daemon (Fixture *f)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *check = NULL;
  int status = -1;

  {
    const char *argv[] = { python (), "-c", "import dbusmock", NULL };

    if (!g_spawn_sync (NULL, (char **) argv, NULL,
                       G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, NULL,
                       NULL, &status, NULL)
        || !g_spawn_check_wait_status (status, NULL))
      {
        g_test_skip ("python3-dbusmock is not installed (tools/install-deps installs it)");
        return FALSE;
      }
  }
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS",
                                lb_test_bus_get_address (f->bus), TRUE);
  f->mock = g_subprocess_launcher_spawn (launcher, &error, python (), "-m", "dbusmock",
                                         "--template", "notification_daemon", NULL);
  g_assert_no_error (error);
  for (guint i = 0; i < 500; i++)
    {
      g_autoptr (GVariant) reply = g_dbus_connection_call_sync (
          lb_test_bus_get_connection (f->bus), "org.freedesktop.DBus", "/org/freedesktop/DBus",
          "org.freedesktop.DBus", "NameHasOwner",
          g_variant_new ("(s)", "org.freedesktop.Notifications"), G_VARIANT_TYPE ("(b)"),
          G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
      gboolean has = FALSE;

      if (reply != NULL)
        g_variant_get (reply, "(b)", &has);
      if (has)
        return TRUE;
      lb_test_run_for (20);
    }
  g_assert_not_reached ();
  return FALSE;
}

/* The Notify calls the mock received, as (summary, body, actions). */
static GPtrArray *
notifications (Fixture *f)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = g_dbus_connection_call_sync (
      lb_test_bus_get_connection (f->bus), "org.freedesktop.Notifications",
      "/org/freedesktop/Notifications", "org.freedesktop.DBus.Mock", "GetCalls", NULL,
      G_VARIANT_TYPE ("(a(tsav))"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_autoptr (GVariantIter) iter = NULL;
  const char *method;
  GVariant *args;

  g_assert_no_error (error);
  if (reply == NULL)
    return out;
  g_variant_get (reply, "(a(tsav))", &iter);
  while (g_variant_iter_next (iter, "(t&s@av)", NULL, &method, &args))
    {
      if (g_str_equal (method, "Notify"))
        g_ptr_array_add (out, args);
      else
        g_variant_unref (args);
    }
  return out;
}

static char *
notify_arg_string (GVariant *args, guint i)
{
  g_autoptr (GVariant) boxed = g_variant_get_child_value (args, i);
  g_autoptr (GVariant) value = g_variant_get_variant (boxed);

  return g_variant_dup_string (value, NULL);
}

/* Makes the daemon answer its pending calls (the Notify is asynchronous):
 * a property read is a round trip after it. */
static void
settle (Fixture *f)
{
  g_autoptr (GVariant) v = lb_test_bus_get_property (f->bus, LB_TEST_MANAGER_IFACE, "Status", NULL);

  lb_test_run_for (100);
}

static guint
count_notifications (Fixture *f)
{
  g_autoptr (GPtrArray) calls = NULL;

  settle (f);
  calls = notifications (f);
  return calls->len;
}

static void
failing_check (Fixture *f)
{
  g_autoptr (Run) run = client (f, "backup", "--automatic", NULL);

  g_assert_cmpint (run->status, !=, 0);
  g_assert_cmpint (run->status, !=, 2);
}

/* failing_check() at @offset seconds from the real time (the daemon's
 * clock), after which @n notifications must have been sent. */
static void
failing_check_at (Fixture *f, gint64 offset, guint n)
{
  set_clock (f, offset);
  failing_check (f);
  g_assert_cmpuint (count_notifications (f), ==, n);
}

/* The notification daemon, then a license and a first daily automatic
 * backup into f->backups; FALSE (skipped) without the notification
 * daemon. */
static gboolean
first_automatic_backup (Fixture *f)
{
  g_autoptr (Run) run = NULL;

  if (!start_notification_daemon (f))
    return FALSE;
  store_one (f, "song-1", 1);
  configure (f, "backup-path", f->backups);
  configure (f, "automatic", "daily");
  run = client (f, "backup", "--automatic", NULL);
  assert_run (run, 0);
  return TRUE;
}

/* Backups into a folder that cannot be made keep failing: after twice the
 * period (daily: two days) one notification says so and why, with an
 * action; the next checks that day send none; a day later, another. */
static void
test_notice_once_a_day (Fixture *f, gconstpointer data)
{
  g_autofree char *file = g_build_filename (f->work, "a-file", NULL);
  g_autofree char *folder = g_build_filename (file, "licenses", NULL);
  g_autoptr (GError) error = NULL;

  if (!start_notification_daemon (f))
    return;
  g_file_set_contents (file, "not a folder", -1, &error);
  g_assert_no_error (error);
  store_one (f, "song-1", 1);
  configure (f, "backup-path", folder);
  configure (f, "automatic", "daily");

  /* Failing, but not for long yet. */
  failing_check (f);
  failing_check_at (f, DAY, 0);

  failing_check_at (f, 2 * DAY + 3600, 1);
  {
    g_autoptr (GPtrArray) calls = notifications (f);
    GVariant *args = calls->pdata[0];
    g_autofree char *summary = notify_arg_string (args, 3);
    g_autofree char *body = notify_arg_string (args, 4);
    g_autoptr (GVariant) boxed = g_variant_get_child_value (args, 5);
    g_autoptr (GVariant) actions = g_variant_get_variant (boxed);
    g_autofree const char **strv = g_variant_get_strv (actions, NULL);

    g_assert_cmpstr (summary, ==, "Licenses have not been backed up for 2 days");
    assert_contains (body, folder);
    assert_contains (body, "are failing: ");
    g_assert_true (g_strv_contains (strv, "default"));
  }

  /* Not again the same day, however often the timer runs. */
  set_clock (f, 2 * DAY + 4 * 3600);
  failing_check (f);
  failing_check_at (f, 3 * DAY, 1);
  /* Nor after a restart. */
  start_daemon (f, 0, NULL);
  failing_check (f);
  g_assert_cmpuint (count_notifications (f), ==, 1);

  /* A day after the first: again. */
  failing_check_at (f, 3 * DAY + 3601, 2);
}

/* Encrypted automatic backups whose keyring went away (the user's
 * session ended badly, or no keyring at all): each fails, never writing a
 * plain backup, and after twice the period the notification says why. */
static void
test_notice_keyring_gone (Fixture *f, gconstpointer data)
{
  g_autofree char *why = NULL;
  g_autoptr (LbTestKeyring) keyring = NULL;
  g_autoptr (GUnixFDList) fds = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) before = NULL;
  g_autoptr (GPtrArray) after = NULL;
  GVariantBuilder options;

  keyring = lb_test_keyring_start (f->bus, "test login password", &why);
  if (keyring == NULL)
    {
      g_test_skip (why);
      return;
    }
  if (!first_automatic_backup (f))
    return;
  fds = lb_test_passphrase_fds ("correct horse battery staple");
  g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&options, "{sv}", "passphrase", g_variant_new_handle (0));
  g_assert_true (lb_dbus_manager_call_set_encryption_sync (
      f->manager, TRUE, g_variant_builder_end (&options), fds, NULL, NULL, &error));
  g_assert_no_error (error);
  lb_test_keyring_stop (keyring);
  store_one (f, "song-2", 2);
  before = lb_test_list_backups (f->backups);

  failing_check_at (f, DAY + 3600, 0);
  failing_check_at (f, 2 * DAY + 3600, 1);
  {
    g_autoptr (GPtrArray) calls = notifications (f);
    g_autofree char *body = notify_arg_string (calls->pdata[0], 4);

    assert_contains (body, "are failing: ");
    assert_contains (body, "keyring");
  }
  /* Never a plain backup instead. */
  after = lb_test_list_backups (f->backups);
  g_assert_cmpuint (after->len, ==, before->len);
}

/* The newest backup rots on the drive while nothing changes: the
 * automatic check finds it damaged, which counts as a failed automatic
 * backup: after twice the period without success, the notification. */
static void
test_notice_check_fails (Fixture *f, gconstpointer data)
{
  g_autoptr (GPtrArray) names = NULL;
  g_autofree char *path = NULL;
  g_autofree char *verify_error = NULL;

  if (!first_automatic_backup (f))
    return;
  names = lb_test_list_backups (f->backups);
  path = g_build_filename (f->backups, names->pdata[names->len - 1], NULL);
  lb_test_damage_backup (path);

  for (guint day = 1; day <= 2; day++)
    {
      g_autoptr (Run) run = NULL;

      set_clock (f, day * DAY + 3600);
      run = client (f, "backup", "--automatic", NULL);
      assert_run (run, 0); /* nothing to back up */
      wait_idle (f);
      g_assert_cmpint (newest_verified (f, &verify_error), >, 0);
      g_assert_nonnull (verify_error);
      g_assert_cmpstr (verify_error, !=, "");
      g_clear_pointer (&verify_error, g_free);
      /* Failing for under two days: no notification yet; then one. */
      g_assert_cmpuint (count_notifications (f), ==, day == 1 ? 0 : 1);
    }
}

/* Backups that are merely up to date (nothing changed) are no failure,
 * and failures count from the last check that went well. */
static void
test_notice_up_to_date (Fixture *f, gconstpointer data)
{
  if (!first_automatic_backup (f))
    return;
  for (gint64 day = 1; day <= 5; day++)
    {
      g_autoptr (Run) run = NULL;

      set_clock (f, day * DAY);
      run = client (f, "backup", "--automatic", NULL);
      assert_run (run, 0);
      assert_contains (run->out, "have not changed");
    }
  g_assert_cmpuint (count_notifications (f), ==, 0);

  /* Then a license is bought while the folder is unusable: failing since
   * the last check that went well (today), not since the last backup
   * (five days ago), so no notice yet; two days later, one. */
  {
    g_autofree char *moved = g_strconcat (f->backups, ".away", NULL);
    g_autoptr (GError) error = NULL;

    g_assert_cmpint (g_rename (f->backups, moved), ==, 0);
    g_file_set_contents (f->backups, "not a folder", -1, &error);
    g_assert_no_error (error);
  }
  store_one (f, "song-2", 2);
  failing_check_at (f, 5 * DAY + 3600, 0);
  failing_check_at (f, 7 * DAY + 3600, 1);
}

typedef LB_TEST_CASE (Fixture) TestCase;

static const TestCase cases[] = {
  { "due/no-location", test_due_no_location },
  { "due/period", test_due_period },
  { "due/unchanged", test_due_unchanged },
  { "due/off", test_due_off },
  { "due/check-unchanged", test_due_check_unchanged },
  { "generations/keep", test_generations_keep },
  { "generations/kill", test_generations_kill },
  { "generations/restore-older", test_generations_restore_older },
  { "generations/legacy", test_generations_legacy },
  { "generations/clock-back", test_generations_clock_back },
  { "generations/quick", test_generations_quick },
  { "generations/shared", test_generations_shared },
  { "notice/once-a-day", test_notice_once_a_day },
  { "notice/up-to-date", test_notice_up_to_date },
  { "notice/check-fails", test_notice_check_fails },
  { "notice/keyring-gone", test_notice_keyring_gone },
};

int
main (int argc, char **argv)
{
  return lb_test_run_grouped (&argc, &argv, "/automatic/", cases, Fixture, setup, teardown);
}
