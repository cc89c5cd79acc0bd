/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Integration tests of the license-backup command-line client: the real
 * build/src/client/license-backup, run as a subprocess against the real
 * daemon on a private bus, judged only by what a user sees: its standard
 * output, its standard error and its exit status (and the files and
 * licenses it leaves behind).
 *
 * Tests are grouped (/client/<group>/...); meson runs each group as its own
 * test so that groups run in parallel (see tests/client/meson.build).
 *
 * Hooks used: LB_FAULT_DELAY_US slows every license of a backup or restore
 * in the daemon (so that a test can watch, cancel or interrupt a running
 * one); LB_LOCALEDIR makes the client and the daemon read the build tree's
 * translations.
 */
#include "config.h"

#include "client-util.h"

/* The D-Bus name of an LB_ERROR code, as --verbose and --json's error-name
 * show it. */
const char *
error_name (LbError code)
{
  g_autoptr (GError) error = g_error_new_literal (LB_ERROR, code, "");

  return lb_error_get_dbus_name (error);
}

const char *const german_env[] = {
  "LB_LOCALEDIR=" LB_BUILD_LOCALEDIR,
  "LANGUAGE=de",
  "LANG=C.UTF-8",
  NULL,
};

static gboolean
fixture_connect (Fixture *f)
{
  return lb_test_bus_renew_proxies (f->bus, &f->store, &f->manager);
}

LbTestMachine *
fixture_machine (Fixture *f, guint i)
{
  static const char *const names[] = { "a", "b", "c" };

  g_assert (i < G_N_ELEMENTS (f->machines));
  if (f->machines[i] == NULL)
    f->machines[i] = lb_test_machine_new (f->bus, names[i]);
  return f->machines[i];
}

/* Stops the running daemon (if any) and starts one on machine @i (0 = "a",
 * 1 = "b", ...), with the test case's daemon kind. */
gboolean
use_machine (Fixture *f, guint i)
{
  LbTestMachine *m = fixture_machine (f, i);
  LbTestDaemonOptions options = { 0 };

  if (f->current != NULL && lb_test_machine_get_daemon (f->current) != NULL
      && lb_test_daemon_is_running (lb_test_machine_get_daemon (f->current)))
    lb_test_machine_stop_daemon (f->current);
  g_clear_object (&f->store);
  g_clear_object (&f->manager);
  if (f->tc->daemon & DAEMON_SLOW)
    options.fault_delay_us = SLOW_DELAY_US;
  options.extra_env = (const char *const *) f->daemon_env->pdata;
  f->current = m;
  if (lb_test_machine_start_daemon (m, &options) == NULL)
    return FALSE;
  return fixture_connect (f);
}

void
setup (Fixture *f, gconstpointer data)
{
  const TestCase *tc = data;

  f->tc = tc;
  f->work = lb_test_make_tmp_dir ("work");
  f->daemon_env = g_ptr_array_new_with_free_func (g_free);
  f->client_env = g_ptr_array_new_with_free_func (g_free);
  if (tc->daemon & DAEMON_GERMAN)
    for (guint i = 0; german_env[i] != NULL; i++)
      {
        g_ptr_array_add (f->daemon_env, g_strdup (german_env[i]));
        g_ptr_array_add (f->client_env, g_strdup (german_env[i]));
      }
  g_ptr_array_add (f->daemon_env, NULL);
  g_ptr_array_add (f->client_env, NULL);

  if (tc->setup == SETUP_NONE)
    return;
  f->bus = lb_test_bus_new (LB_TEST_BUS_DEFAULT);
  if ((tc->daemon & DAEMON_KEYRING)
      && (f->keyring = lb_test_keyring_start (f->bus, "test login password", &f->skip)) == NULL)
    return;
  f->current = fixture_machine (f, 0);
  if (tc->setup == SETUP_DAEMON)
    use_machine (f, 0);
}

void
teardown (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->store);
  g_clear_object (&f->manager);
  for (guint i = 0; i < G_N_ELEMENTS (f->machines); i++)
    g_clear_pointer (&f->machines[i], lb_test_machine_free);
  g_clear_pointer (&f->keyring, lb_test_keyring_free);
  g_clear_pointer (&f->skip, g_free);
  g_clear_pointer (&f->bus, lb_test_bus_free);
  lb_test_rm_rf (f->work);
  g_clear_pointer (&f->work, g_free);
  g_clear_pointer (&f->daemon_env, g_ptr_array_unref);
  g_clear_pointer (&f->client_env, g_ptr_array_unref);
}

void
client_run_free (ClientRun *run)
{
  if (run == NULL)
    return;
  if (run->proc != NULL && !run->exited)
    g_subprocess_force_exit (run->proc);
  if (run->pty_source != NULL)
    {
      g_source_destroy (run->pty_source);
      g_source_unref (run->pty_source);
    }
  if (run->master >= 0)
    close (run->master);
  if (run->pty_out != NULL)
    g_string_free (run->pty_out, TRUE);
  /* The callbacks of a run still going point at it: leak it then. */
  if (run->proc != NULL && (!run->exited || !run->communicated))
    return;
  g_clear_object (&run->proc);
  g_clear_error (&run->error);
  g_free (run->cmdline);
  g_free (run->out);
  g_free (run->err);
  g_free (run);
}

/* Only system calls here: the test program has threads, so nothing that
 * may take a lock (malloc) is safe between fork and exec. */
static void
sandbox_child_setup (gpointer user_data)
{
  const Sandbox *sb = user_data;

  lb_test_die_with_parent (GINT_TO_POINTER ((int) sb->parent));
  if (unshare (CLONE_NEWNS) != 0 || mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
    _exit (SANDBOX_FAILED);
  for (guint i = 0; i < sb->sources->len; i++)
    if (mount (sb->sources->pdata[i], sb->targets->pdata[i], NULL, MS_BIND | MS_REC, NULL) != 0)
      _exit (SANDBOX_FAILED);
  if (chroot (sb->root) != 0 || chdir (sb->cwd) != 0)
    _exit (SANDBOX_FAILED);
}

void
sandbox_free (Sandbox *sb)
{
  if (sb == NULL)
    return;
  g_free (sb->root);
  g_ptr_array_unref (sb->sources);
  g_ptr_array_unref (sb->targets);
  g_free (sb->cwd);
  g_free (sb);
}

/* A root for clients that the service takes for the Flatpak app @app_id,
 * as it tells one (from /proc/PID/root/.flatpak-info): a directory
 * holding .flatpak-info, an empty directory for each directory of / (the
 * client bind-mounts them, in a mount namespace of its own, before it
 * chroots there) and the same symlinks (/bin -> usr/bin). */
Sandbox *
make_sandbox (Fixture *f, const char *app_id)
{
  Sandbox *sb = g_new0 (Sandbox, 1);
  g_autofree char *info = NULL;
  g_autofree char *contents = g_strdup_printf ("[Application]\nname=%s\n", app_id);
  g_autoptr (GDir) dir = g_dir_open ("/", 0, NULL);
  g_autoptr (GError) error = NULL;
  const char *name;

  sb->parent = getpid ();
  sb->root = g_build_filename (f->work, "sandbox-root", NULL);
  sb->sources = g_ptr_array_new_with_free_func (g_free);
  sb->targets = g_ptr_array_new_with_free_func (g_free);
  sb->cwd = g_strdup (f->work);
  g_assert_cmpint (g_mkdir (sb->root, 0755), ==, 0);
  info = g_build_filename (sb->root, ".flatpak-info", NULL);
  g_file_set_contents (info, contents, -1, &error);
  g_assert_no_error (error);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *source = g_build_filename ("/", name, NULL);
      g_autofree char *target = g_build_filename (sb->root, name, NULL);
      g_autofree char *points_to = g_file_read_link (source, NULL);

      if (points_to != NULL)
        g_assert_cmpint (symlink (points_to, target), ==, 0);
      else if (g_file_test (source, G_FILE_TEST_IS_DIR))
        {
          g_assert_cmpint (g_mkdir (target, 0755), ==, 0);
          g_ptr_array_add (sb->sources, g_steal_pointer (&source));
          g_ptr_array_add (sb->targets, g_steal_pointer (&target));
        }
    }
  return sb;
}

static void
client_exited_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  ClientRun *run = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  run->end_us = g_get_monotonic_time ();
  run->status = lb_test_subprocess_status (G_SUBPROCESS (source), &run->term_signal);
  run->exited = TRUE;
}

static void
client_communicated_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  ClientRun *run = user_data;
  g_autoptr (GBytes) out = NULL;
  g_autoptr (GBytes) err = NULL;

  g_subprocess_communicate_finish (G_SUBPROCESS (source), result, &out, &err, &run->error);
  if (run->pty_out == NULL)
    run->out = lb_test_bytes_to_string (out, &run->out_len);
  run->err = lb_test_bytes_to_string (err, NULL);
  run->communicated = TRUE;
}

static gboolean
pty_readable_cb (int fd, GIOCondition condition, gpointer user_data)
{
  ClientRun *run = user_data;
  char buf[4096];

  for (;;)
    {
      ssize_t n = read (fd, buf, sizeof buf);

      if (n > 0)
        {
          g_string_append_len (run->pty_out, buf, n);
          continue;
        }
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && errno == EAGAIN)
        return G_SOURCE_CONTINUE;
      /* 0, or EIO: every copy of the terminal's other end is closed. */
      run->pty_eof = TRUE;
      g_clear_pointer (&run->pty_source, g_source_unref);
      return G_SOURCE_REMOVE;
    }
}

/* A pseudo-terminal of 100 columns whose output is passed through as the
 * client wrote it (no "\n" to "\r\n") and that does not echo input. */
static gboolean
open_pty (int *master_out, int *slave_out)
{
  struct termios t;
  struct winsize ws = { .ws_row = 30, .ws_col = 100 };
  int master, slave;
  const char *name;

  master = posix_openpt (O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0 || grantpt (master) != 0 || unlockpt (master) != 0
      || (name = ptsname (master)) == NULL)
    {
      g_test_fail_printf ("cannot make a pseudo-terminal: %s", g_strerror (errno));
      if (master >= 0)
        close (master);
      return FALSE;
    }
  slave = open (name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0)
    {
      g_test_fail_printf ("cannot open %s: %s", name, g_strerror (errno));
      close (master);
      return FALSE;
    }
  if (tcgetattr (slave, &t) == 0)
    {
      t.c_oflag &= ~(tcflag_t) OPOST;
      t.c_lflag &= ~(tcflag_t) (ECHO | ECHONL);
      tcsetattr (slave, TCSANOW, &t);
    }
  ioctl (slave, TIOCSWINSZ, &ws);
  g_unix_set_fd_nonblocking (master, TRUE, NULL);
  *master_out = master;
  *slave_out = slave;
  return TRUE;
}

/* Starts `license-backup ARGV...` for the fixture's current machine. */
ClientRun *
client_spawnv (Fixture *f, const ClientOpts *opts, const char *const *args)
{
  static const ClientOpts defaults = { 0 };
  const char *const passthrough[] = { "ASAN_OPTIONS", "LSAN_OPTIONS", "UBSAN_OPTIONS", NULL };
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) env = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GBytes) stdin_bytes = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *home = NULL;
  const char *client = g_getenv ("LB_CLIENT_PATH");
  const char *address;
  ClientRun *run = g_new0 (ClientRun, 1);
  GSubprocessFlags flags = G_SUBPROCESS_FLAGS_STDERR_PIPE;
  int slave = -1;

  if (opts == NULL)
    opts = &defaults;
  run->master = -1;

  g_ptr_array_add (argv, g_strdup (client != NULL && client[0] != '\0' ? client : LB_CLIENT_PATH));
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (args[i]));
  g_ptr_array_add (argv, NULL);
  {
    g_autoptr (GString) s = g_string_new ("license-backup");
    for (guint i = 0; args[i] != NULL; i++)
      {
        g_autofree char *q = g_shell_quote (args[i]);
        g_string_append_printf (s, " %s", q);
      }
    run->cmdline = g_string_free (g_steal_pointer (&s), FALSE);
  }

  /* Only what a user's session would give it, and nothing of ours. */
  address = opts->bus_address != NULL ? opts->bus_address
            : f->bus != NULL          ? lb_test_bus_get_address (f->bus)
                                      : "unix:path=/nonexistent/lb-test-no-bus";
  home = f->current != NULL ? g_strdup (lb_test_machine_get_home (f->current))
                            : g_build_filename (f->work, "home", NULL);
  g_ptr_array_add (env, g_strdup_printf ("DBUS_SESSION_BUS_ADDRESS=%s", address));
  g_ptr_array_add (env, g_strdup_printf ("HOME=%s", home));
  g_ptr_array_add (env, g_strdup ("PATH=/usr/local/bin:/usr/bin:/bin"));
  g_ptr_array_add (env, g_strdup ("TZ=UTC"));
  for (guint i = 0; f->client_env != NULL && f->client_env->pdata[i] != NULL; i++)
    g_ptr_array_add (env, g_strdup (f->client_env->pdata[i]));
  for (guint i = 0; opts->env != NULL && opts->env[i] != NULL; i++)
    g_ptr_array_add (env, g_strdup (opts->env[i]));
  /* Defaults, unless set above (the first entry wins). */
  g_ptr_array_add (env, g_strdup ("LANG=C.UTF-8"));
  g_ptr_array_add (env, g_strdup ("LB_LOCALEDIR=" LB_BUILD_LOCALEDIR));
  for (guint i = 0; passthrough[i] != NULL; i++)
    if (g_getenv (passthrough[i]) != NULL)
      g_ptr_array_add (env, g_strdup_printf ("%s=%s", passthrough[i], g_getenv (passthrough[i])));
  g_ptr_array_add (env, NULL);

  if (opts->pty)
    {
      if (!open_pty (&run->master, &slave))
        {
          run->exited = run->communicated = run->pty_eof = TRUE;
          run->status = -1;
          run->out = g_strdup ("");
          run->err = g_strdup ("");
          return run;
        }
      run->pty_out = g_string_new (NULL);
    }
  else
    flags |= G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE;

  launcher = g_subprocess_launcher_new (flags);
  g_subprocess_launcher_set_environ (launcher, (char **) env->pdata);
  g_subprocess_launcher_set_cwd (launcher, opts->cwd != NULL ? opts->cwd : f->work);
  if (opts->sandbox != NULL)
    g_subprocess_launcher_set_child_setup (launcher, sandbox_child_setup, (gpointer) opts->sandbox,
                                           NULL);
  else
    g_subprocess_launcher_set_child_setup (launcher, lb_test_die_with_parent,
                                           GINT_TO_POINTER ((int) getpid ()), NULL);
  if (opts->pty)
    {
      g_subprocess_launcher_take_stdin_fd (launcher, slave);
      g_subprocess_launcher_take_stdout_fd (launcher, fcntl (slave, F_DUPFD_CLOEXEC, 3));
    }
  run->start_us = g_get_monotonic_time ();
  run->proc = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, &error);
  /* Closes our copies of the terminal's slave end. */
  g_clear_object (&launcher);
  g_assert_no_error (error);
  if (run->proc == NULL)
    {
      run->exited = run->communicated = run->pty_eof = TRUE;
      run->status = -1;
      run->out = g_strdup ("");
      run->err = g_strdup ("");
      return run;
    }
  g_subprocess_wait_async (run->proc, NULL, client_exited_cb, run);
  if (!opts->pty)
    stdin_bytes = g_bytes_new (opts->stdin_text != NULL ? opts->stdin_text : "",
                               opts->stdin_text != NULL ? strlen (opts->stdin_text) : 0);
  g_subprocess_communicate_async (run->proc, stdin_bytes, NULL, client_communicated_cb, run);
  if (opts->pty)
    {
      run->pty_source = g_unix_fd_source_new (run->master, G_IO_IN | G_IO_HUP | G_IO_ERR);
      g_source_set_callback (run->pty_source, G_SOURCE_FUNC (pty_readable_cb), run, NULL);
      g_source_attach (run->pty_source, g_main_context_get_thread_default ());
    }
  return run;
}

static ClientRun *
client_spawn_va (Fixture *f, const ClientOpts *opts, const char *first, va_list ap)
{
  g_autoptr (GPtrArray) args = g_ptr_array_new ();

  for (const char *a = first; a != NULL; a = va_arg (ap, const char *))
    g_ptr_array_add (args, (gpointer) a);
  g_ptr_array_add (args, NULL);
  return client_spawnv (f, opts, (const char *const *) args->pdata);
}

static gboolean
client_finished (gpointer user_data)
{
  ClientRun *run = user_data;

  return run->exited && run->communicated && (run->pty_out == NULL || run->pty_eof);
}

/* Waits for the run to end; FALSE (and a failed test) after @timeout_ms,
 * when it is killed. */
gboolean
client_wait (ClientRun *run, guint timeout_ms)
{
  if (lb_test_wait_until (client_finished, run, timeout_ms))
    {
      if (run->pty_out != NULL)
        {
          run->out = g_strndup (run->pty_out->str, run->pty_out->len);
          run->out_len = run->pty_out->len;
        }
      if (run->error != NULL)
        g_test_fail_printf ("`%s`: %s", run->cmdline, run->error->message);
      return TRUE;
    }
  g_test_fail_printf ("`%s` did not end within %u ms", run->cmdline, timeout_ms);
  if (run->proc != NULL && !run->exited)
    g_subprocess_force_exit (run->proc);
  lb_test_wait_until (client_finished, run, LB_TEST_TIMEOUT_MS);
  if (run->pty_out != NULL && run->out == NULL)
    run->out = g_strndup (run->pty_out->str, run->pty_out->len);
  if (run->out == NULL)
    run->out = g_strdup ("");
  if (run->err == NULL)
    run->err = g_strdup ("");
  return FALSE;
}

static ClientRun *
client_run_va (Fixture *f, const ClientOpts *opts, const char *first, va_list ap)
{
  ClientRun *run = client_spawn_va (f, opts, first, ap);

  client_wait (run, CLIENT_TIMEOUT_MS);
  return run;
}

ClientRun *
client_start (Fixture *f, const ClientOpts *opts, gboolean wait, const char *first, ...)
{
  va_list ap;
  ClientRun *run;

  va_start (ap, first);
  run = wait ? client_run_va (f, opts, first, ap) : client_spawn_va (f, opts, first, ap);
  va_end (ap);
  return run;
}

void
client_ok_impl (
    const char *file, int line, const char *func, Fixture *f, gboolean quiet, const char *out, ...)
{
  g_autoptr (ClientRun) run = NULL;
  const char *first;
  va_list ap;

  va_start (ap, out);
  first = va_arg (ap, const char *);
  run = client_run_va (f, NULL, first, ap);
  va_end (ap);
  assert_exit_impl (file, line, func, run, EXIT_OK);
  if (out != NULL && g_strcmp0 (run->out, out) != 0)
    g_assertion_message_cmpstr (G_LOG_DOMAIN, file, line, func, "run->out == out", run->out,
                                "==", out);
  if (quiet && g_strcmp0 (run->err, "") != 0)
    g_assertion_message_cmpstr (G_LOG_DOMAIN, file, line, func, "run->err == \"\"", run->err,
                                "==", "");
}

void
assert_status_shows_impl (
    const char *file, int line, const char *func, Fixture *f, const char *first_line, ...)
{
  g_autoptr (ClientRun) run = client_run (f, NULL, "status", NULL);
  va_list ap;

  assert_exit_impl (file, line, func, run, EXIT_OK);
  if (!g_str_has_prefix (run->out, first_line))
    {
      g_autofree char *message = g_strdup_printf (
          "`status` printed “%s”, which does not start with “%s”", run->out, first_line);

      g_assertion_message (G_LOG_DOMAIN, file, line, func, message);
    }
  va_start (ap, first_line);
  for (const char *s = va_arg (ap, const char *); s != NULL; s = va_arg (ap, const char *))
    assert_contains_impl (file, line, func, "run->out", run->out, s, TRUE);
  va_end (ap);
}

JsonObject *
client_run_json_impl (
    const char *file, int line, const char *func, Fixture *f, int exit, JsonNode **root, ...)
{
  g_autoptr (ClientRun) run = NULL;
  const char *first;
  JsonObject *o;
  va_list ap;

  va_start (ap, root);
  first = va_arg (ap, const char *);
  run = client_run_va (f, NULL, first, ap);
  va_end (ap);
  o = run_json_object (run, root);
  assert_exit_impl (file, line, func, run, exit);
  return o;
}

char *
client_json_failure (
    Fixture *f, const char *command, const char *dir, int exit, guint status, LbError code)
{
  g_autoptr (ClientRun) run = client_run (f, NULL, command, "--json", dir, NULL);
  g_autoptr (JsonNode) root = NULL;
  JsonObject *o = run_json_object (run, &root);

  assert_exit (run, exit);
  if (o == NULL)
    return NULL;
  g_assert_cmpint (obj_int (o, "status"), ==, status);
  g_assert_cmpstr (obj_str (o, "error-name"), ==, error_name (code));
  return g_strdup (obj_str (o, "error"));
}

void
delete_many (Fixture *f, guint n, const char *prefix)
{
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *key = g_strdup_printf ("%s%06u", prefix, i);
      g_autoptr (GError) error = NULL;

      lb_dbus_store_call_delete_license_sync (f->store, key, NULL, &error);
      g_assert_no_error (error);
    }
}

double
client_duration_s (ClientRun *run)
{
  return (double) (run->end_us - run->start_us) / G_USEC_PER_SEC;
}

char *
describe_run (ClientRun *run)
{
  return g_strdup_printf ("`%s` (exit status %d, signal %d)\n---- stdout ----\n%s\n"
                          "---- stderr ----\n%s\n---- end ----",
                          run->cmdline, run->status, run->term_signal,
                          run->out != NULL ? run->out : "", run->err != NULL ? run->err : "");
}

#define assert_exit(run, code) assert_exit_impl (__FILE__, __LINE__, G_STRFUNC, (run), (code))
gboolean
assert_exit_impl (const char *file, int line, const char *func, ClientRun *run, int code)
{
  g_autofree char *desc = NULL;
  g_autofree char *msg = NULL;

  if (run->status == code)
    return TRUE;
  desc = describe_run (run);
  msg = g_strdup_printf ("expected exit status %d from %s", code, desc);
  g_assertion_message (G_LOG_DOMAIN, file, line, func, msg);
  return FALSE;
}

#define assert_contains(haystack, needle) \
  assert_contains_impl (__FILE__, __LINE__, G_STRFUNC, #haystack, (haystack), (needle), TRUE)
#define assert_not_contains(haystack, needle) \
  assert_contains_impl (__FILE__, __LINE__, G_STRFUNC, #haystack, (haystack), (needle), FALSE)
void
assert_contains_impl (const char *file,
                      int line,
                      const char *func,
                      const char *expr,
                      const char *haystack,
                      const char *needle,
                      gboolean want)
{
  g_autofree char *msg = NULL;

  if (haystack == NULL)
    haystack = "";
  if ((strstr (haystack, needle) != NULL) == want)
    return;
  msg = g_strdup_printf ("%s %s “%s”; it is:\n%s", expr, want ? "lacks" : "holds", needle,
                         haystack);
  g_assertion_message (G_LOG_DOMAIN, file, line, func, msg);
}

/* The error line: one line "license-backup: ..." on stderr, no D-Bus name. */
#define assert_error_line(run, needle) \
  assert_error_line_impl (__FILE__, __LINE__, G_STRFUNC, (run), (needle))
void
assert_error_line_impl (
    const char *file, int line, const char *func, ClientRun *run, const char *needle)
{
  g_autofree char *desc = describe_run (run);
  g_autofree char *msg = NULL;
  const char *err = run->err != NULL ? run->err : "";
  const char *nl = strchr (err, '\n');

  if (!g_str_has_prefix (err, "license-backup: "))
    msg = g_strdup_printf ("stderr does not start with “license-backup: ” in %s", desc);
  else if (nl == NULL || nl[1] != '\0')
    msg = g_strdup_printf ("stderr is not exactly one line in %s", desc);
  else if (strstr (err, "org.freedesktop.") != NULL)
    msg = g_strdup_printf ("stderr shows a D-Bus name without --verbose in %s", desc);
  else if (needle != NULL && strstr (err, needle) == NULL)
    msg = g_strdup_printf ("stderr lacks “%s” in %s", needle, desc);
  if (msg != NULL)
    g_assertion_message (G_LOG_DOMAIN, file, line, func, msg);
}

guint
count_substrings (const char *haystack, const char *needle)
{
  guint n = 0;

  for (const char *p = haystack; (p = strstr (p, needle)) != NULL; p += strlen (needle))
    n++;
  return n;
}

/* The single JSON value the run printed on stdout (one line), or NULL
 * after a failed assertion. */
JsonNode *
run_json (ClientRun *run)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *desc = describe_run (run);

  if (run->out == NULL || !g_str_has_suffix (run->out, "\n"))
    {
      g_test_fail_printf ("no JSON line on stdout of %s", desc);
      return NULL;
    }
  if (!json_parser_load_from_data (parser, run->out, -1, &error))
    {
      g_test_fail_printf ("stdout is not JSON (%s): %s", error->message, desc);
      return NULL;
    }
  return json_parser_steal_root (parser);
}

/* The JSON value a run printed, in @root, if it is of @type (@what);
 * FALSE after a failed assertion. */
static gboolean
run_json_typed (ClientRun *run, JsonNode **root, JsonNodeType type, const char *what)
{
  *root = run_json (run);
  if (*root == NULL)
    return FALSE;
  if (json_node_get_node_type (*root) != type)
    {
      g_test_fail_printf ("`%s` printed JSON that is not %s: %s", run->cmdline, what, run->out);
      return FALSE;
    }
  return TRUE;
}

/* The object printed by a run, or NULL after a failed assertion. */
JsonObject *
run_json_object (ClientRun *run, JsonNode **root)
{
  if (!run_json_typed (run, root, JSON_NODE_OBJECT, "an object"))
    return NULL;
  if (strchr (run->out, '\n') != run->out + strlen (run->out) - 1)
    g_test_fail_printf ("`%s` printed more than one line with --json: %s", run->cmdline, run->out);
  return json_node_get_object (*root);
}

JsonArray *
run_json_array (ClientRun *run, JsonNode **root)
{
  return run_json_typed (run, root, JSON_NODE_ARRAY, "an array") ? json_node_get_array (*root)
                                                                 : NULL;
}

/* @o's member @member if it is a node of @type, holding a value of
 * @value_type when it is a value; NULL after a failed assertion (naming
 * @what it should be). */
static JsonNode *
obj_member (
    JsonObject *o, const char *member, JsonNodeType type, GType value_type, const char *what)
{
  JsonNode *n = json_object_get_member (o, member);

  if (n == NULL || json_node_get_node_type (n) != type
      || (type == JSON_NODE_VALUE && json_node_get_value_type (n) != value_type))
    {
      g_test_fail_printf ("JSON member “%s” is missing or not %s", member, what);
      return NULL;
    }
  return n;
}

gint64
obj_int (JsonObject *o, const char *member)
{
  JsonNode *n = obj_member (o, member, JSON_NODE_VALUE, G_TYPE_INT64, "an integer");

  return n != NULL ? json_node_get_int (n) : G_MININT64;
}

const char *
obj_str (JsonObject *o, const char *member)
{
  JsonNode *n = obj_member (o, member, JSON_NODE_VALUE, G_TYPE_STRING, "a string");

  return n != NULL ? json_node_get_string (n) : "";
}

gboolean
obj_bool (JsonObject *o, const char *member)
{
  JsonNode *n = obj_member (o, member, JSON_NODE_VALUE, G_TYPE_BOOLEAN, "a boolean");

  return n != NULL && json_node_get_boolean (n);
}

/* @o's object or array (@type) @member; for a missing one (after a failed
 * assertion) an empty one, so that callers can go on. */
static JsonNode *
obj_container (JsonObject *o, const char *member, JsonNodeType type, const char *what)
{
  static JsonNode *empty_object, *empty_array;
  JsonNode **empty = type == JSON_NODE_OBJECT ? &empty_object : &empty_array;
  JsonNode *n = obj_member (o, member, type, G_TYPE_INVALID, what);

  if (n == NULL && *empty == NULL)
    *empty = json_from_string (type == JSON_NODE_OBJECT ? "{}" : "[]", NULL);
  return n != NULL ? n : *empty;
}

JsonObject *
obj_obj (JsonObject *o, const char *member)
{
  return json_node_get_object (obj_container (o, member, JSON_NODE_OBJECT, "an object"));
}

JsonArray *
obj_array (JsonObject *o, const char *member)
{
  return json_node_get_array (obj_container (o, member, JSON_NODE_ARRAY, "an array"));
}

void
store_license (Fixture *f, const char *key_id, GVariant *blob, GVariant *attributes)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) attrs
      = g_variant_ref_sink (attributes != NULL ? attributes : lb_test_vardict_new (NULL, NULL));
  g_autoptr (GVariant) b = g_variant_ref_sink (blob != NULL ? blob : lb_test_blob_new (100, 7));

  lb_dbus_store_call_store_license_sync (f->store, key_id, b, attrs, NULL, &error);
  g_assert_no_error (error);
}

void
store_many (Fixture *f, guint n, const char *prefix, gsize size)
{
  lb_test_store_many_ok (f->store, n, prefix, size);
}

/* The attributes of @key_id, or NULL (NotFound is not a failure). */
GVariant *
get_attributes (Fixture *f, const char *key_id, GVariant **blob)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) b = NULL;
  GVariant *attrs = NULL;

  if (!lb_dbus_store_call_get_license_sync (f->store, key_id, &b, &attrs, NULL, &error))
    return NULL;
  if (blob != NULL)
    *blob = g_steal_pointer (&b);
  return attrs;
}

#define assert_attribute(attrs, key, expected) \
  assert_attribute_impl (__FILE__, __LINE__, G_STRFUNC, (attrs), (key), (expected))
void
assert_attribute_impl (const char *file,
                       int line,
                       const char *func,
                       GVariant *attrs,
                       const char *key,
                       GVariant *expected)
{
  g_autoptr (GVariant) want = g_variant_ref_sink (expected);
  g_autoptr (GVariant) got = attrs != NULL ? g_variant_lookup_value (attrs, key, NULL) : NULL;
  g_autofree char *want_s = g_variant_print (want, TRUE);
  g_autofree char *got_s = got != NULL ? g_variant_print (got, TRUE) : g_strdup ("(none)");
  g_autofree char *msg = NULL;

  if (got != NULL && g_variant_equal (got, want))
    return;
  msg = g_strdup_printf ("attribute “%s” is %s, expected %s", key, got_s, want_s);
  g_assertion_message (G_LOG_DOMAIN, file, line, func, msg);
}

char *
make_dir (Fixture *f, const char *name)
{
  char *path = g_build_filename (f->work, name, NULL);

  g_assert_cmpint (g_mkdir_with_parents (path, 0700), ==, 0);
  return path;
}

/* The newest backup in @dir (backups are named after their time), or
 * @dir/licenses.lbk when it holds none. */
char *
backup_file (const char *dir)
{
  return lb_test_newest_backup (dir);
}

guint
license_count (Fixture *f)
{
  return lb_test_bus_get_license_count (f->bus);
}

void
get_status (Fixture *f, guint *status, char **error_text)
{
  g_autoptr (GError) error = NULL;

  lb_dbus_manager_call_get_status_sync (f->manager, status, error_text, NULL, &error);
  g_assert_no_error (error);
}

/* Pops the service's signals until a BackupProgress or RestoreProgress with
 * done >= @min_done; returns its operation id, or 0 after a failed
 * assertion. */
guint64
wait_progress (LbTestSignalQueue *queue, guint64 min_done, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  for (;;)
    {
      gint64 left = deadline - g_get_monotonic_time ();
      g_autoptr (GVariant) params = NULL;
      g_autofree char *member = NULL;
      guint64 op, done, total;
      guint status;
      const char *err;

      params = lb_test_signal_queue_pop (queue, (guint) MAX (left / 1000, 0), &member);
      if (params == NULL)
        {
          g_test_fail_printf ("no progress signal with %" G_GUINT64_FORMAT " licenses done "
                              "within %u ms",
                              min_done, timeout_ms);
          return 0;
        }
      if ((g_str_equal (member, "BackupProgress") || g_str_equal (member, "RestoreProgress")
           || g_str_equal (member, "VerifyProgress"))
          && g_variant_is_of_type (params, G_VARIANT_TYPE ("(tust"
                                                           "t)")))
        {
          g_variant_get (params, "(tu&stt)", &op, &status, &err, &done, &total);
          if (done >= min_done)
            return op;
        }
    }
}

LbTestSignalQueue *
manager_signals (Fixture *f)
{
  return lb_test_signal_queue_new (lb_test_bus_get_connection (f->bus), NULL, LB_TEST_MANAGER_IFACE,
                                   NULL, LB_TEST_OBJECT_PATH);
}

guint64
spawn_until_progress (
    Fixture *f, LbTestSignalQueue *queue, guint64 min_done, ClientRun **run, const char *first, ...)
{
  g_autoptr (LbTestSignalQueue) own = queue == NULL ? manager_signals (f) : NULL;
  va_list ap;

  va_start (ap, first);
  *run = client_spawn_va (f, NULL, first, ap);
  va_end (ap);
  return wait_progress (queue != NULL ? queue : own, min_done, CLIENT_TIMEOUT_MS);
}

static GHashTable *german; /* msgid → GStrv of msgstr[0..], from po/de.po */

typedef struct
{
  GString *id;
  GPtrArray *strs; /* of GString */
  gboolean fuzzy;
} PoEntry;

static void
free_gstring (gpointer s)
{
  g_string_free (s, TRUE);
}

static void
po_flush (GHashTable *table, PoEntry *e)
{
  if (e->id != NULL && e->id->len > 0 && e->strs->len > 0 && !e->fuzzy)
    {
      char **v = g_new0 (char *, e->strs->len + 1);

      for (guint i = 0; i < e->strs->len; i++)
        v[i] = g_strdup (((GString *) e->strs->pdata[i])->str);
      g_hash_table_replace (table, g_strdup (e->id->str), v);
    }
  if (e->id != NULL)
    g_string_free (e->id, TRUE);
  e->id = NULL;
  g_ptr_array_set_size (e->strs, 0);
  e->fuzzy = FALSE;
}

/* Appends the C string literal in @line (from its first to its last
 * quote) to @to. */
static void
po_append_literal (GString *to, const char *line)
{
  const char *first = strchr (line, '"');
  const char *last = strrchr (line, '"');
  g_autofree char *raw = NULL;
  g_autofree char *value = NULL;

  if (to == NULL || first == NULL || last == first)
    return;
  raw = g_strndup (first + 1, (gsize) (last - first - 1));
  value = g_strcompress (raw);
  g_string_append (to, value);
}

/* The translations of a .po file (fuzzy and obsolete ones left out). */
static GHashTable *
po_load (const char *path)
{
  g_autofree char *contents = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) lines = NULL;
  GHashTable *table
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_strfreev);
  g_autoptr (GString) ignored = g_string_new (NULL);
  PoEntry e = { NULL, g_ptr_array_new_with_free_func (free_gstring), FALSE };
  GString *cur = NULL;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  lines = g_strsplit (contents != NULL ? contents : "", "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *l = lines[i];

      if (l[0] == '\0' || l[0] == '#')
        {
          if (e.strs->len > 0)
            po_flush (table, &e);
          if (g_str_has_prefix (l, "#,") && strstr (l, "fuzzy") != NULL)
            e.fuzzy = TRUE;
          cur = NULL;
        }
      else if (g_str_has_prefix (l, "msgctxt") || g_str_has_prefix (l, "msgid_plural"))
        {
          if (g_str_has_prefix (l, "msgctxt") && e.strs->len > 0)
            po_flush (table, &e);
          g_string_truncate (ignored, 0);
          cur = ignored;
        }
      else if (g_str_has_prefix (l, "msgid"))
        {
          if (e.strs->len > 0)
            po_flush (table, &e);
          if (e.id != NULL)
            g_string_free (e.id, TRUE);
          e.id = g_string_new (NULL);
          cur = e.id;
          po_append_literal (cur, l);
        }
      else if (g_str_has_prefix (l, "msgstr"))
        {
          cur = g_string_new (NULL);
          g_ptr_array_add (e.strs, cur);
          po_append_literal (cur, l);
        }
      else if (l[0] == '"')
        po_append_literal (cur, l);
    }
  po_flush (table, &e);
  g_ptr_array_unref (e.strs);
  return table;
}

/* @s with xgettext's "<PRIu64>" made a printf conversion again. */
static char *
c_format (const char *s)
{
  g_auto (GStrv) parts = g_strsplit (s, "<PRIu64>", -1);

  return g_strjoinv (G_GUINT64_FORMAT, parts);
}

/* The German translation of @msgid (form @n of a plural: 0 singular,
 * 1 plural), as a printf format; fails the test and returns @msgid if
 * there is none. */
const char *
de (const char *msgid, guint n)
{
  static GHashTable *formats; /* "n\x01msgid" → the format */
  g_autofree char *key = g_strdup_printf ("%u\x01%s", n, msgid);
  char **strs;
  char *format;

  if (german == NULL)
    german = po_load (LB_SOURCE_PO_DIR "/de.po");
  if (formats == NULL)
    formats = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  if ((format = g_hash_table_lookup (formats, key)) != NULL)
    return format;
  strs = g_hash_table_lookup (german, msgid);
  if (strs == NULL || g_strv_length (strs) <= n || strs[n][0] == '\0')
    {
      g_test_fail_printf ("po/de.po has no translation of “%s”", msgid);
      return msgid;
    }
  format = c_format (strs[n]);
  g_hash_table_insert (formats, g_steal_pointer (&key), format);
  return format;
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static char *G_GNUC_PRINTF (1, 0) vformat (const char *format, va_list ap)
{
  return g_strdup_vprintf (format, ap);
}
#pragma GCC diagnostic pop

/* printf with a format read at run time (a translation). */
char *
format_runtime (const char *format, ...)
{
  va_list ap;
  char *s;

  va_start (ap, format);
  s = vformat (format, ap);
  va_end (ap);
  return s;
}

gboolean
backup_on_a_then_use_b (Fixture *f, guint n, const char *dir)
{
  store_many (f, n, "om-", 150);
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "backup", dir, NULL);
    assert_exit (run, EXIT_OK);
  }
  use_machine (f, 1);
  g_assert_cmpuint (license_count (f), ==, 0);
  return !g_test_failed ();
}

ClientRun *
restore_on_b_until_asked (Fixture *f, guint n, const char *dir, const char *question)
{
  g_autoptr (ClientRun) run = NULL;

  if (!backup_on_a_then_use_b (f, n, dir))
    return NULL;
  run = client_spawn (f, &(ClientOpts){ .pty = TRUE }, "restore", dir, NULL);
  if (!wait_pty_text (run, question, CLIENT_TIMEOUT_MS))
    return NULL;
  return g_steal_pointer (&run);
}

static gboolean
pty_shows (gpointer user_data)
{
  ClientRun *run = ((gpointer *) user_data)[0];
  const char *text = ((gpointer *) user_data)[1];

  return strstr (run->pty_out->str, text) != NULL || run->pty_eof;
}

gboolean
wait_pty_text (ClientRun *run, const char *text, guint timeout_ms)
{
  gpointer data[] = { run, (gpointer) text };

  lb_test_wait_until (pty_shows, data, timeout_ms);
  if (strstr (run->pty_out->str, text) != NULL)
    return TRUE;
  g_test_fail_printf ("the terminal of `%s` never showed “%s”; it showed:\n%s", run->cmdline, text,
                      run->pty_out->str);
  return FALSE;
}

void
pty_write (ClientRun *run, const char *text)
{
  gsize len = strlen (text);

  if (write (run->master, text, len) != (ssize_t) len)
    g_test_fail_printf ("cannot write to the terminal: %s", g_strerror (errno));
}
