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

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <license-backup/license-backup.h>

#include "lb-test-util.h"
#include "store.h"

#ifndef LB_CLIENT_PATH
#error "LB_CLIENT_PATH must be defined (the build-tree license-backup)"
#endif
#ifndef LB_BUILD_LOCALEDIR
#error "LB_BUILD_LOCALEDIR must be defined (the build tree's po directory)"
#endif
#ifndef LB_SOURCE_PO_DIR
#error "LB_SOURCE_PO_DIR must be defined (the source tree's po directory)"
#endif

/* The client's exit statuses, from `license-backup --help` (src/client/cli.h). */
enum
{
  EXIT_OK = 0,
  EXIT_FAILED = 1,
  EXIT_USAGE = 2,
  EXIT_BUSY = 3,
  EXIT_BACKUP_EXISTS = 4,
  EXIT_BACKUP_CORRUPT = 5,
  EXIT_NOT_SET = 6,
  EXIT_NEEDS_INDIVIDUALIZATION = 7,
  EXIT_RESTORE_LIMIT = 8,
  EXIT_CANCELLED = 9,
  EXIT_NO_SPACE = 10,
  EXIT_UNREACHABLE = 11,
  EXIT_PERMISSION_DENIED = 12,
  EXIT_INTERRUPTED = 130,
};

/* The D-Bus name of an LB_ERROR code, as --verbose and --json's error-name
 * show it. */
static const char *
error_name (LbError code)
{
  g_autoptr (GError) error = g_error_new_literal (LB_ERROR, code, "");

  return lb_error_get_dbus_name (error);
}

/* How long one client run may take before the test gives up on it. */
#define CLIENT_TIMEOUT_MS 30000

/* The slow daemon: 10 ms per license, so 150 licenses take about 1.5 s. */
#define SLOW_DELAY_US 10000
#define SLOW_LICENSES 150
/* For operations a test cancels or interrupts: up to 4 s, so that a loaded
 * machine still catches them running. */
#define LONG_LICENSES 400

/* Fixture */

typedef enum
{
  SETUP_NONE,   /* a work directory only: no bus */
  SETUP_BUS,    /* a bus and machine "a", no daemon */
  SETUP_DAEMON, /* a daemon on machine "a" */
} SetupKind;

typedef enum
{
  DAEMON_FAST = 0,
  DAEMON_SLOW = 1 << 0,   /* LB_FAULT_DELAY_US=SLOW_DELAY_US */
  DAEMON_GERMAN = 1 << 1, /* the daemon and the clients speak German */
} DaemonKind;

typedef struct _Fixture Fixture;
typedef void (*TestFunc) (Fixture *f, gconstpointer arg);

typedef struct
{
  const char *path; /* "group/name" */
  SetupKind setup;
  DaemonKind daemon;
  TestFunc func;
} TestCase;

struct _Fixture
{
  const TestCase *tc;
  LbTestBus *bus;
  LbTestMachine *machines[3]; /* "a", "b", "c", made on demand */
  LbTestMachine *current;     /* the machine whose daemon runs */
  LbDBusStore *store;
  LbDBusManager *manager;
  char *work; /* a scratch directory, the clients' working directory */
  GPtrArray *daemon_env;
  GPtrArray *client_env; /* NAME=VALUE every client gets on top of the base */
};

static const char *const german_env[] = {
  "LB_LOCALEDIR=" LB_BUILD_LOCALEDIR,
  "LANGUAGE=de",
  "LANG=C.UTF-8",
  NULL,
};

static gboolean
fixture_connect (Fixture *f)
{
  g_clear_object (&f->store);
  g_clear_object (&f->manager);
  f->store = lb_test_bus_store_proxy (f->bus);
  f->manager = lb_test_bus_manager_proxy (f->bus);
  return f->store != NULL && f->manager != NULL;
}

static LbTestMachine *
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
static gboolean
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

static void
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
  f->current = fixture_machine (f, 0);
  if (tc->setup == SETUP_DAEMON)
    use_machine (f, 0);
}

static void
run (Fixture *f, gconstpointer data)
{
  const TestCase *tc = data;

  if (g_test_failed ())
    return;
  tc->func (f, data);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->store);
  g_clear_object (&f->manager);
  for (guint i = 0; i < G_N_ELEMENTS (f->machines); i++)
    g_clear_pointer (&f->machines[i], lb_test_machine_free);
  g_clear_pointer (&f->bus, lb_test_bus_free);
  lb_test_rm_rf (f->work);
  g_clear_pointer (&f->work, g_free);
  g_clear_pointer (&f->daemon_env, g_ptr_array_unref);
  g_clear_pointer (&f->client_env, g_ptr_array_unref);
}

/* Running the client */

/* A fake Flatpak sandbox (see make_sandbox()). */
typedef struct
{
  pid_t parent;
  char *root; /* holds /.flatpak-info; the rest of / is bind-mounted in */
  GPtrArray *sources;
  GPtrArray *targets;
  char *cwd;
} Sandbox;

/* What a client in a sandbox exits with when the sandbox cannot be made. */
#define SANDBOX_FAILED 121

typedef struct
{
  const char *cwd;         /* default: the fixture's work directory */
  const char *const *env;  /* more NAME=VALUE */
  const char *bus_address; /* instead of the fixture bus's */
  const char *stdin_text;  /* NULL: an empty pipe */
  gboolean pty;            /* stdin and stdout on a pseudo-terminal */
  const Sandbox *sandbox;  /* run it as that Flatpak app */
} ClientOpts;

typedef struct
{
  char *cmdline;
  GSubprocess *proc;
  gboolean exited;
  gboolean communicated;
  GError *error;
  char *out; /* stdout (or what the terminal showed), NUL-terminated */
  gsize out_len;
  char *err;
  int status; /* the exit status, or -1 if a signal killed it */
  int term_signal;
  gint64 start_us, end_us;

  /* With a pseudo-terminal */
  int master;
  GSource *pty_source;
  GString *pty_out;
  gboolean pty_eof;
} ClientRun;

static void
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

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ClientRun, client_run_free)

static void
client_child_setup (gpointer user_data)
{
  /* Die with the test, like the harness's daemons. */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  if (getppid () != (pid_t) GPOINTER_TO_INT (user_data))
    _exit (1);
}

/* Only system calls here: the test program has threads, so nothing that
 * may take a lock (malloc) is safe between fork and exec. */
static void
sandbox_child_setup (gpointer user_data)
{
  const Sandbox *sb = user_data;

  prctl (PR_SET_PDEATHSIG, SIGKILL);
  if (getppid () != sb->parent)
    _exit (1);
  if (unshare (CLONE_NEWNS) != 0 || mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
    _exit (SANDBOX_FAILED);
  for (guint i = 0; i < sb->sources->len; i++)
    if (mount (sb->sources->pdata[i], sb->targets->pdata[i], NULL, MS_BIND | MS_REC, NULL) != 0)
      _exit (SANDBOX_FAILED);
  if (chroot (sb->root) != 0 || chdir (sb->cwd) != 0)
    _exit (SANDBOX_FAILED);
}

static void
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

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Sandbox, sandbox_free)

/* A root for clients that the service takes for the Flatpak app @app_id,
 * as it tells one (from /proc/PID/root/.flatpak-info): a directory
 * holding .flatpak-info, an empty directory for each directory of / (the
 * client bind-mounts them, in a mount namespace of its own, before it
 * chroots there) and the same symlinks (/bin -> usr/bin). */
static Sandbox *
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
  GSubprocess *proc = G_SUBPROCESS (source);

  g_subprocess_wait_finish (proc, result, NULL);
  run->exited = TRUE;
  run->end_us = g_get_monotonic_time ();
  if (g_subprocess_get_if_exited (proc))
    run->status = g_subprocess_get_exit_status (proc);
  else
    {
      run->status = -1;
      run->term_signal = g_subprocess_get_if_signaled (proc) ? g_subprocess_get_term_sig (proc) : 0;
    }
}

static char *
bytes_to_string (GBytes *bytes, gsize *len)
{
  gsize n = 0;
  const char *data = bytes != NULL ? g_bytes_get_data (bytes, &n) : NULL;
  char *s = g_malloc (n + 1);

  if (n > 0)
    memcpy (s, data, n);
  s[n] = '\0';
  if (len != NULL)
    *len = n;
  return s;
}

static void
client_communicated_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  ClientRun *run = user_data;
  g_autoptr (GBytes) out = NULL;
  g_autoptr (GBytes) err = NULL;

  g_subprocess_communicate_finish (G_SUBPROCESS (source), result, &out, &err, &run->error);
  if (run->pty_out == NULL)
    run->out = bytes_to_string (out, &run->out_len);
  run->err = bytes_to_string (err, NULL);
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
static ClientRun *
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
    g_subprocess_launcher_set_child_setup (launcher, client_child_setup,
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

static ClientRun *G_GNUC_NULL_TERMINATED
client_spawn (Fixture *f, const ClientOpts *opts, const char *first, ...)
{
  va_list ap;
  ClientRun *run;

  va_start (ap, first);
  run = client_spawn_va (f, opts, first, ap);
  va_end (ap);
  return run;
}

static gboolean
client_finished (gpointer user_data)
{
  ClientRun *run = user_data;

  return run->exited && run->communicated && (run->pty_out == NULL || run->pty_eof);
}

/* Waits for the run to end; FALSE (and a failed test) after @timeout_ms,
 * when it is killed. */
static gboolean
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

/* Runs `license-backup ARGS...` to its end. */
static ClientRun *G_GNUC_NULL_TERMINATED
client_run (Fixture *f, const ClientOpts *opts, const char *first, ...)
{
  va_list ap;
  ClientRun *run;

  va_start (ap, first);
  run = client_spawn_va (f, opts, first, ap);
  va_end (ap);
  client_wait (run, CLIENT_TIMEOUT_MS);
  return run;
}

static double
client_duration_s (ClientRun *run)
{
  return (double) (run->end_us - run->start_us) / G_USEC_PER_SEC;
}

/* Assertions on what the user sees */

static char *
describe_run (ClientRun *run)
{
  return g_strdup_printf ("`%s` (exit status %d, signal %d)\n---- stdout ----\n%s\n"
                          "---- stderr ----\n%s\n---- end ----",
                          run->cmdline, run->status, run->term_signal,
                          run->out != NULL ? run->out : "", run->err != NULL ? run->err : "");
}

#define assert_exit(run, code) assert_exit_impl (__FILE__, __LINE__, G_STRFUNC, (run), (code))
static gboolean
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
static void
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
static void
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

static guint
count_substrings (const char *haystack, const char *needle)
{
  guint n = 0;

  for (const char *p = haystack; (p = strstr (p, needle)) != NULL; p += strlen (needle))
    n++;
  return n;
}

/* JSON */

/* The single JSON value the run printed on stdout (one line), or NULL
 * after a failed assertion. */
static JsonNode *
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

/* The object printed by a run, or NULL after a failed assertion. */
static JsonObject *
run_json_object (ClientRun *run, JsonNode **root)
{
  *root = run_json (run);
  if (*root == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (*root))
    {
      g_test_fail_printf ("`%s` printed JSON that is not an object: %s", run->cmdline, run->out);
      return NULL;
    }
  if (strchr (run->out, '\n') != run->out + strlen (run->out) - 1)
    g_test_fail_printf ("`%s` printed more than one line with --json: %s", run->cmdline, run->out);
  return json_node_get_object (*root);
}

static gint64
obj_int (JsonObject *o, const char *member)
{
  JsonNode *n = json_object_get_member (o, member);

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_INT64)
    {
      g_test_fail_printf ("JSON member “%s” is missing or not an integer", member);
      return G_MININT64;
    }
  return json_node_get_int (n);
}

static const char *
obj_str (JsonObject *o, const char *member)
{
  JsonNode *n = json_object_get_member (o, member);

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
    {
      g_test_fail_printf ("JSON member “%s” is missing or not a string", member);
      return "";
    }
  return json_node_get_string (n);
}

static gboolean
obj_bool (JsonObject *o, const char *member)
{
  JsonNode *n = json_object_get_member (o, member);

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_BOOLEAN)
    {
      g_test_fail_printf ("JSON member “%s” is missing or not a boolean", member);
      return FALSE;
    }
  return json_node_get_boolean (n);
}

static JsonObject *
obj_obj (JsonObject *o, const char *member)
{
  JsonNode *n = json_object_get_member (o, member);
  static JsonObject *empty;

  if (n == NULL || !JSON_NODE_HOLDS_OBJECT (n))
    {
      g_test_fail_printf ("JSON member “%s” is missing or not an object", member);
      if (empty == NULL)
        empty = json_object_new ();
      return empty;
    }
  return json_node_get_object (n);
}

static JsonArray *
obj_array (JsonObject *o, const char *member)
{
  JsonNode *n = json_object_get_member (o, member);
  static JsonArray *empty;

  if (n == NULL || !JSON_NODE_HOLDS_ARRAY (n))
    {
      g_test_fail_printf ("JSON member “%s” is missing or not an array", member);
      if (empty == NULL)
        empty = json_array_new ();
      return empty;
    }
  return json_node_get_array (n);
}

/* Licenses and files */

static void
store_license (Fixture *f, const char *key_id, GVariant *blob, GVariant *attributes)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) attrs
      = g_variant_ref_sink (attributes != NULL ? attributes : lb_test_vardict_new (NULL, NULL));
  g_autoptr (GVariant) b = g_variant_ref_sink (blob != NULL ? blob : lb_test_blob_new (100, 7));

  lb_dbus_store_call_store_license_sync (f->store, key_id, b, attrs, NULL, &error);
  g_assert_no_error (error);
}

static void
store_many (Fixture *f, guint n, const char *prefix, gsize size)
{
  lb_test_store_many_ok (f->store, n, prefix, size);
}

/* The attributes of @key_id, or NULL (NotFound is not a failure). */
static GVariant *
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
static void
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

static char *
make_dir (Fixture *f, const char *name)
{
  char *path = g_build_filename (f->work, name, NULL);

  g_assert_cmpint (g_mkdir_with_parents (path, 0700), ==, 0);
  return path;
}

/* The newest backup in @dir (backups are named after their time), or
 * @dir/licenses.lbk when it holds none. */
static char *
backup_file (const char *dir)
{
  return lb_test_newest_backup (dir);
}

static guint
license_count (Fixture *f)
{
  return lb_test_bus_get_license_count (f->bus);
}

static void
get_status (Fixture *f, guint *status, char **error_text)
{
  g_autoptr (GError) error = NULL;

  lb_dbus_manager_call_get_status_sync (f->manager, status, error_text, NULL, &error);
  g_assert_no_error (error);
}

/* Pops the service's signals until a BackupProgress or RestoreProgress with
 * done >= @min_done; returns its operation id, or 0 after a failed
 * assertion. */
static guint64
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
      if ((g_str_equal (member, "BackupProgress") || g_str_equal (member, "RestoreProgress"))
          && g_variant_is_of_type (params, G_VARIANT_TYPE ("(tust"
                                                           "t)")))
        {
          g_variant_get (params, "(tu&stt)", &op, &status, &err, &done, &total);
          if (done >= min_done)
            return op;
        }
    }
}

static LbTestSignalQueue *
manager_signals (Fixture *f)
{
  return lb_test_signal_queue_new (lb_test_bus_get_connection (f->bus), NULL, LB_TEST_MANAGER_IFACE,
                                   NULL, LB_TEST_OBJECT_PATH);
}

/* The German translation, read from po/de.po */

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
static const char *
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
static char *
format_runtime (const char *format, ...)
{
  va_list ap;
  char *s;

  va_start (ap, format);
  s = vformat (format, ap);
  va_end (ap);
  return s;
}

/* Tests: the command line itself (no service needed) */

static const char *const commands[] = {
  "status", "backup", "restore", "cancel", "list",   "apps",
  "import", "export", "delete",  "clean",  "config",
};

static void
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
      for (int code = 0; code <= 12; code++)
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

static void
test_cli_version (Fixture *f, gconstpointer arg)
{
  g_autoptr (ClientRun) run = client_run (f, NULL, "--version", NULL);

  assert_exit (run, EXIT_OK);
  g_assert_cmpstr (run->out, ==, "license-backup " PACKAGE_VERSION "\n");
  g_assert_cmpstr (run->err, ==, "");
}

static void
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

static void
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
    assert_contains (run->err, "unknown command “frobnicate”");
    assert_contains (run->err, "Usage: license-backup");
  }
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "--bogus", NULL);
    assert_contains (run->err, "unknown option --bogus");
  }
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "import", "--attr", "issuer", file, NULL);
    assert_contains (run->err, "--attr takes KEY=VALUE, not “issuer”");
  }
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "config", "colour", NULL);
    assert_contains (run->err, "backup-path, restore-path, automatic and keep-backups");
  }
}

/* Exit status 11: a bus without the service and without activation for
 * it, or no bus at all. */
static void
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
    assert_contains (run->err, "license-backup: cannot reach the session bus");
  }

  /* Nothing has started a daemon behind our back. */
  g_assert_cmpuint (lb_test_bus_get_owner_pid (f->bus), ==, 0);
}

/* Tests: the store */

static const guint8 odd_blob[] = { 0x00, 0xff, 0x0a, 0x0d, 'L', 'B', 0x00, 0x80, 0x1b, '%', 's' };

static char *
write_blob_file (Fixture *f, const char *name, gsize size)
{
  char *path = g_build_filename (f->work, name, NULL);
  g_autofree guint8 *data = g_malloc (size);
  g_autoptr (GError) error = NULL;

  for (gsize i = 0; i < size; i++)
    data[i] = i < sizeof odd_blob ? odd_blob[i] : (guint8) ((i * 7 + 3) % 256);
  g_file_set_contents (path, (const char *) data, (gssize) size, &error);
  g_assert_no_error (error);
  return path;
}

static void
test_store_import_export (Fixture *f, gconstpointer arg)
{
  g_autofree char *file = write_blob_file (f, "lic-one.bin", 3000);
  g_autoptr (GBytes) blob_bytes = lb_test_read_bytes (file);
  g_autofree char *out_path = g_build_filename (f->work, "exported.bin", NULL);
  g_autofree char *out_path2 = g_build_filename (f->work, "exported2.bin", NULL);
  g_autoptr (GVariant) attrs = NULL;
  g_autoptr (GVariant) blob = NULL;

  /* The key id defaults to the file's name; a relative FILE is read from
   * the working directory. */
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "import", "lic-one.bin", NULL);

    assert_exit (run, EXIT_OK);
    g_assert_cmpstr (run->out, ==, "Stored the license “lic-one.bin” (3000 bytes).\n");
    g_assert_cmpstr (run->err, ==, "");
  }
  attrs = get_attributes (f, "lic-one.bin", &blob);
  g_assert_nonnull (attrs);
  if (blob != NULL)
    {
      g_autoptr (GBytes) stored = g_variant_get_data_as_bytes (blob);
      g_assert_true (g_bytes_equal (stored, blob_bytes));
    }
  assert_attribute (attrs, "can-backup", g_variant_new_boolean (TRUE));
  g_clear_pointer (&attrs, g_variant_unref);

  /* Attributes arrive typed. */
  {
    g_autoptr (ClientRun) run = client_run (
        f, NULL, "import", "--key-id", "key:typed/1", file, "--attr", "can-backup=false", "--attr",
        "restore-limit=2", "--attr", "expires=4102444800", "--attr", "issuer=ACME Media", "--attr",
        "content-id=movie-42", "--attr", "support-url=https://acme.example/help", NULL);

    assert_exit (run, EXIT_OK);
    g_assert_cmpstr (run->out, ==, "Stored the license “key:typed/1” (3000 bytes).\n");
  }
  attrs = get_attributes (f, "key:typed/1", NULL);
  g_assert_nonnull (attrs);
  assert_attribute (attrs, "can-backup", g_variant_new_boolean (FALSE));
  assert_attribute (attrs, "restore-limit", g_variant_new_uint32 (2));
  assert_attribute (attrs, "expires", g_variant_new_int64 (4102444800));
  assert_attribute (attrs, "issuer", g_variant_new_string ("ACME Media"));
  assert_attribute (attrs, "content-id", g_variant_new_string ("movie-42"));
  assert_attribute (attrs, "support-url", g_variant_new_string ("https://acme.example/help"));
  g_clear_pointer (&attrs, g_variant_unref);

  /* An ISO 8601 date, in the client's time zone (TZ=UTC) or with its own. */
  {
    g_autoptr (GDateTime) when = g_date_time_new_utc (2031, 5, 6, 7, 8, 9);
    g_autoptr (GDateTime) when_cet = g_date_time_new_utc (2031, 5, 6, 5, 8, 9);
    g_autoptr (ClientRun) run
        = client_run (f, NULL, "import", "--key-id", "dated", file, "--attr",
                      "expires=2031-05-06T07:08:09", "--attr", "can-backup=yes", NULL);
    g_autoptr (ClientRun) run2
        = client_run (f, NULL, "import", "--key-id", "dated-tz", file, "--attr",
                      "expires=2031-05-06T07:08:09+02:00", "--attr", "restore-limit=0", NULL);

    assert_exit (run, EXIT_OK);
    assert_exit (run2, EXIT_OK);
    attrs = get_attributes (f, "dated", NULL);
    assert_attribute (attrs, "expires", g_variant_new_int64 (g_date_time_to_unix (when)));
    assert_attribute (attrs, "can-backup", g_variant_new_boolean (TRUE));
    g_clear_pointer (&attrs, g_variant_unref);
    attrs = get_attributes (f, "dated-tz", NULL);
    assert_attribute (attrs, "expires", g_variant_new_int64 (g_date_time_to_unix (when_cet)));
    assert_attribute (attrs, "restore-limit", g_variant_new_uint32 (0));
    g_clear_pointer (&attrs, g_variant_unref);
  }

  /* Export: the same bytes, on stdout and into a file (relative -o too). */
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "export", "key:typed/1", NULL);
    g_autoptr (GBytes) out = NULL;

    assert_exit (run, EXIT_OK);
    g_assert_cmpstr (run->err, ==, "");
    out = g_bytes_new (run->out, run->out_len);
    g_assert_cmpuint (run->out_len, ==, 3000);
    g_assert_true (g_bytes_equal (out, blob_bytes));
  }
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "export", "key:typed/1", "-o", out_path, NULL);
    g_autoptr (GBytes) written = lb_test_read_bytes (out_path);

    struct stat st;

    assert_exit (run, EXIT_OK);
    g_assert_cmpstr (run->out, ==, "");
    g_assert_cmpstr (run->err, ==, "");
    g_assert_nonnull (written);
    if (written != NULL)
      g_assert_true (g_bytes_equal (written, blob_bytes));
    /* Readable only by the user. */
    g_assert_cmpint (g_stat (out_path, &st), ==, 0);
    g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  }
  {
    g_autoptr (ClientRun) run
        = client_run (f, NULL, "export", "--output=exported2.bin", "lic-one.bin", NULL);
    g_autoptr (GBytes) written = lb_test_read_bytes (out_path2);

    assert_exit (run, EXIT_OK);
    g_assert_nonnull (written);
    if (written != NULL)
      g_assert_true (g_bytes_equal (written, blob_bytes));
  }

  /* Exit status 1: NotFound, said in words; the name only with --verbose. */
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "export", "no-such-key", NULL);

    assert_exit (run, EXIT_FAILED);
    g_assert_cmpstr (run->out, ==, "");
    assert_error_line (run, NULL);
  }
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "--verbose", "export", "no-such-key", NULL);

    assert_exit (run, EXIT_FAILED);
    assert_contains (run->err, error_name (LB_ERROR_NOT_FOUND));
  }
  /* A file that cannot be read; an attribute the service refuses. */
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "import", "missing.bin", NULL);

    assert_exit (run, EXIT_FAILED);
    assert_error_line (run, "cannot read missing.bin");
  }
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "import", file, "--attr", "colour=red", NULL);

    assert_exit (run, EXIT_FAILED);
    assert_error_line (run, NULL);
  }
  /* 1 byte to 1 MiB. */
  {
    g_autofree char *empty = write_blob_file (f, "empty.bin", 0);
    g_autofree char *max = write_blob_file (f, "max.bin", 1024 * 1024);
    g_autofree char *over = write_blob_file (f, "over.bin", 1024 * 1024 + 1);
    g_autoptr (ClientRun) run_empty = client_run (f, NULL, "import", empty, NULL);
    g_autoptr (ClientRun) run_max = client_run (f, NULL, "import", max, NULL);
    g_autoptr (ClientRun) run_over = client_run (f, NULL, "import", over, NULL);

    assert_exit (run_empty, EXIT_FAILED);
    assert_error_line (run_empty, NULL);
    assert_exit (run_max, EXIT_OK);
    g_assert_cmpstr (run_max->out, ==, "Stored the license “max.bin” (1048576 bytes).\n");
    assert_exit (run_over, EXIT_FAILED);
    assert_error_line (run_over, NULL);
  }
  g_assert_cmpuint (license_count (f), ==, 5);
}

static void
test_store_delete (Fixture *f, gconstpointer arg)
{
  store_license (f, "doomed", NULL, NULL);
  store_license (f, "kept", NULL, NULL);

  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "delete", "doomed", NULL);

    assert_exit (run, EXIT_OK);
    g_assert_cmpstr (run->out, ==, "Deleted the license “doomed”.\n");
    g_assert_cmpstr (run->err, ==, "");
  }
  g_assert_cmpuint (license_count (f), ==, 1);
  g_assert_null (get_attributes (f, "doomed", NULL));
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "delete", "doomed", NULL);

    assert_exit (run, EXIT_FAILED);
    g_assert_cmpstr (run->out, ==, "");
    assert_error_line (run, NULL);
  }
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "export", "doomed", NULL);
    assert_exit (run, EXIT_FAILED);
  }
  g_assert_cmpuint (license_count (f), ==, 1);
}

static void
test_store_list (Fixture *f, gconstpointer arg)
{
  /* Empty. */
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "list", NULL);
    g_autoptr (ClientRun) json = client_run (f, NULL, "list", "--json", NULL);
    g_autoptr (JsonNode) root = NULL;

    assert_exit (run, EXIT_OK);
    g_assert_cmpstr (run->out, ==, "The store holds no licenses.\n");
    assert_exit (json, EXIT_OK);
    root = run_json (json);
    g_assert_true (root != NULL && JSON_NODE_HOLDS_ARRAY (root));
    if (root != NULL && JSON_NODE_HOLDS_ARRAY (root))
      g_assert_cmpuint (json_array_get_length (json_node_get_array (root)), ==, 0);
  }

  store_license (f, "b-plain", NULL, NULL);
  store_license (f, "a-restricted", NULL,
                 lb_test_vardict_new ("can-backup", g_variant_new_boolean (FALSE), "issuer",
                                      g_variant_new_string ("ACME"), "restore-limit",
                                      g_variant_new_uint32 (2), NULL));
  store_license (f, "c-expiring", NULL,
                 lb_test_vardict_new ("expires", g_variant_new_int64 (4102444800), NULL));

  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "list", NULL);
    g_auto (GStrv) lines = NULL;

    assert_exit (run, EXIT_OK);
    g_assert_cmpstr (run->err, ==, "");
    lines = g_strsplit (run->out, "\n", -1);
    g_assert_cmpuint (g_strv_length (lines), ==, 4);
    if (g_strv_length (lines) == 4)
      {
        /* In key id order, each with its attributes in words. */
        g_assert_true (g_str_has_prefix (lines[0], "a-restricted  "));
        assert_contains (lines[0], "no backup right");
        assert_contains (lines[0], "restored 0 of 2 times");
        assert_contains (lines[0], "issuer ACME");
        g_assert_true (g_str_has_prefix (lines[1], "b-plain  "));
        assert_contains (lines[1], "backup allowed");
        g_assert_true (g_str_has_prefix (lines[2], "c-expiring  "));
        assert_contains (lines[2], "expires ");
        g_assert_cmpstr (lines[3], ==, "");
      }
  }

  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "list", "--json", NULL);
    g_autoptr (JsonNode) root = run_json (run);
    JsonArray *array;

    assert_exit (run, EXIT_OK);
    g_assert_true (root != NULL && JSON_NODE_HOLDS_ARRAY (root));
    if (root == NULL || !JSON_NODE_HOLDS_ARRAY (root))
      return;
    array = json_node_get_array (root);
    g_assert_cmpuint (json_array_get_length (array), ==, 3);
    if (json_array_get_length (array) != 3)
      return;
    {
      JsonObject *o = json_array_get_object_element (array, 0);
      JsonObject *a = obj_obj (o, "attributes");

      g_assert_cmpstr (obj_str (o, "key-id"), ==, "a-restricted");
      g_assert_cmpstr (obj_str (o, "app"), ==, "");
      g_assert_false (obj_bool (a, "can-backup"));
      g_assert_cmpint (obj_int (a, "restore-limit"), ==, 2);
      g_assert_cmpint (obj_int (a, "restore-count"), ==, 0);
      g_assert_cmpstr (obj_str (a, "issuer"), ==, "ACME");
      g_assert_cmpint (obj_int (a, "stored"), >, 0);
      g_assert_cmpstr (obj_str (a, "machine"), ==, lb_test_machine_get_app_id (f->current));
    }
    {
      JsonObject *o = json_array_get_object_element (array, 1);
      JsonObject *a = obj_obj (o, "attributes");

      g_assert_cmpstr (obj_str (o, "key-id"), ==, "b-plain");
      g_assert_true (obj_bool (a, "can-backup"));
      g_assert_false (json_object_has_member (a, "issuer"));
      g_assert_false (json_object_has_member (a, "content-id"));
      g_assert_false (json_object_has_member (a, "support-url"));
    }
    {
      JsonObject *o = json_array_get_object_element (array, 2);

      g_assert_cmpstr (obj_str (o, "key-id"), ==, "c-expiring");
      g_assert_cmpint (obj_int (obj_obj (o, "attributes"), "expires"), ==, 4102444800);
    }
  }
}

/* More than one page of ListLicenses (1000 per page): every license once. */
static void
test_store_list_paging (Fixture *f, gconstpointer arg)
{
  const guint n = 2345;

  store_many (f, n, "page-", 16);
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "list", NULL);
    g_auto (GStrv) lines = g_strsplit (run->out, "\n", -1);

    assert_exit (run, EXIT_OK);
    g_assert_cmpuint (g_strv_length (lines), ==, n + 1);
    for (guint i = 0; i < n && lines[i] != NULL; i++)
      {
        g_autofree char *want = g_strdup_printf ("page-%06u  backup allowed", i);

        if (!g_str_equal (lines[i], want))
          {
            g_test_fail_printf ("line %u of `list` is “%s”, expected “%s”", i, lines[i], want);
            break;
          }
      }
  }
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "list", "--json", NULL);
    g_autoptr (JsonNode) root = run_json (run);
    JsonArray *array;

    assert_exit (run, EXIT_OK);
    g_assert_true (root != NULL && JSON_NODE_HOLDS_ARRAY (root));
    if (root == NULL || !JSON_NODE_HOLDS_ARRAY (root))
      return;
    array = json_node_get_array (root);
    g_assert_cmpuint (json_array_get_length (array), ==, n);
    for (guint i = 0; i < n && i < json_array_get_length (array); i++)
      {
        g_autofree char *want = g_strdup_printf ("page-%06u", i);
        const char *got = obj_str (json_array_get_object_element (array, i), "key-id");

        if (!g_str_equal (got, want))
          {
            g_test_fail_printf ("element %u of `list --json` is “%s”, expected “%s”", i, got, want);
            break;
          }
      }
  }
}

static void
test_store_clean (Fixture *f, gconstpointer arg)
{
  gint64 past = g_get_real_time () / G_USEC_PER_SEC - 3600;

  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "clean", "--expired", NULL);

    assert_exit (run, EXIT_OK);
    g_assert_cmpstr (run->out, ==, "Removed 0 expired licenses.\n");
  }
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *key = g_strdup_printf ("old-%u", i);
      store_license (f, key, NULL,
                     lb_test_vardict_new ("expires", g_variant_new_int64 (past), NULL));
    }
  store_license (f, "future", NULL,
                 lb_test_vardict_new ("expires", g_variant_new_int64 (past + 86400 * 365), NULL));
  store_license (f, "forever", NULL, NULL);
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "clean", "--expired", NULL);

    assert_exit (run, EXIT_OK);
    g_assert_cmpstr (run->out, ==, "Removed 3 expired licenses.\n");
    g_assert_cmpstr (run->err, ==, "");
  }
  g_assert_cmpuint (license_count (f), ==, 2);
  store_license (f, "old-again", NULL,
                 lb_test_vardict_new ("expires", g_variant_new_int64 (past), NULL));
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "clean", "--expired", NULL);

    assert_exit (run, EXIT_OK);
    g_assert_cmpstr (run->out, ==, "Removed 1 expired license.\n");
  }
  g_assert_cmpuint (license_count (f), ==, 2);
}

static char *
get_string_property (Fixture *f, const char *name)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) v = lb_test_bus_get_property (f->bus, LB_TEST_MANAGER_IFACE, name, &error);

  g_assert_no_error (error);
  return v != NULL && g_variant_is_of_type (v, G_VARIANT_TYPE_STRING)
             ? g_variant_dup_string (v, NULL)
             : g_strdup ("?");
}

static void
test_store_config (Fixture *f, gconstpointer arg)
{
  g_autofree char *rel_abs = g_build_filename (f->work, "rel", "backups", NULL);
  g_autofree char *restore_dir = make_dir (f, "restore-from");
  g_autofree char *prop = NULL;

  g_assert_cmpint (g_mkdir_with_parents (rel_abs, 0700), ==, 0);
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "config", NULL);

    assert_exit (run, EXIT_OK);
    g_assert_cmpstr (run->out, ==,
                     "backup-path: \nrestore-path: \nautomatic: weekly\nkeep-backups: 3\n");
  }
  /* A relative path is made absolute (against the client's directory). */
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "config", "backup-path", "rel/backups", NULL);
    g_autofree char *want = g_strdup_printf ("backup-path: %s\n", rel_abs);

    assert_exit (run, EXIT_OK);
    g_assert_cmpstr (run->out, ==, want);
    g_assert_cmpstr (run->err, ==, "");
  }
  prop = get_string_property (f, "BackupPath");
  g_assert_cmpstr (prop, ==, rel_abs);
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "config", "restore-path", restore_dir, NULL);
    assert_exit (run, EXIT_OK);
  }
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "config", "backup-path", NULL);
    g_autofree char *want = g_strdup_printf ("%s\n", rel_abs);

    assert_exit (run, EXIT_OK);
    g_assert_cmpstr (run->out, ==, want);
  }
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "config", "restore-path", NULL);
    g_autofree char *want = g_strdup_printf ("%s\n", restore_dir);

    assert_exit (run, EXIT_OK);
    g_assert_cmpstr (run->out, ==, want);
  }
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "config", NULL);
    g_autofree char *want = g_strdup_printf (
        "backup-path: %s\nrestore-path: %s\nautomatic: weekly\nkeep-backups: 3\n", rel_abs,
        restore_dir);

    assert_exit (run, EXIT_OK);
    g_assert_cmpstr (run->out, ==, want);
  }
  /* "" unsets. */
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "config", "restore-path", "", NULL);
    assert_exit (run, EXIT_OK);
  }
  g_free (prop);
  prop = get_string_property (f, "RestorePath");
  g_assert_cmpstr (prop, ==, "");
  /* A bad name is a usage error and changes nothing. */
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "config", "backup_path", "/tmp", NULL);

    assert_exit (run, EXIT_USAGE);
    g_assert_cmpstr (run->out, ==, "");
  }
  g_free (prop);
  prop = get_string_property (f, "BackupPath");
  g_assert_cmpstr (prop, ==, rel_abs);

  /* How often, and how many kept. */
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "config", "automatic", "monthly", NULL);

    assert_exit (run, EXIT_OK);
    g_assert_cmpstr (run->out, ==, "automatic: monthly\n");
  }
  g_free (prop);
  prop = get_string_property (f, "AutomaticBackup");
  g_assert_cmpstr (prop, ==, "monthly");
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "config", "automatic", NULL);

    assert_exit (run, EXIT_OK);
    g_assert_cmpstr (run->out, ==, "monthly\n");
  }
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "config", "keep-backups", "5", NULL);

    assert_exit (run, EXIT_OK);
    g_assert_cmpstr (run->out, ==, "keep-backups: 5\n");
  }
  for (guint i = 0; i < 3; i++)
    {
      const char *bad[][2]
          = { { "automatic", "hourly" }, { "keep-backups", "0" }, { "keep-backups", "101" } };
      g_autoptr (ClientRun) run = client_run (f, NULL, "config", bad[i][0], bad[i][1], NULL);

      assert_exit (run, EXIT_USAGE);
      g_assert_cmpstr (run->out, ==, "");
    }
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "config", "automatic", "weekly", NULL);

    assert_exit (run, EXIT_OK);
    g_assert_cmpstr (run->out, ==, "automatic: weekly\n");
  }
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "config", NULL);
    g_autofree char *want = g_strdup_printf (
        "backup-path: %s\nrestore-path: \nautomatic: weekly\nkeep-backups: 5\n", rel_abs);

    assert_exit (run, EXIT_OK);
    g_assert_cmpstr (run->out, ==, want);
  }
}

static void
test_store_status (Fixture *f, gconstpointer arg)
{
  g_autofree char *dir = make_dir (f, "backups");
  gint64 t0, t1;
  gint64 op;

  store_many (f, 7, "st-", 64);
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "status", NULL);

    assert_exit (run, EXIT_OK);
    g_assert_cmpstr (run->err, ==, "");
    g_assert_cmpstr (run->out, ==,
                     "No backup or restore has run since the service started\n"
                     "  Licenses:       7\n"
                     "  Last backup:    never\n"
                     "  Backup folder:  (not set)\n"
                     "  Restore folder: (not set)\n"
                     "  Automatic:      weekly, once a backup folder is set\n");
  }
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "status", "--json", NULL);
    g_autoptr (JsonNode) root = NULL;
    JsonObject *o = run_json_object (run, &root);

    assert_exit (run, EXIT_OK);
    if (o == NULL)
      return;
    g_assert_cmpint (obj_int (o, "status"), ==, LB_STATUS_INFORMATION);
    g_assert_cmpstr (obj_str (o, "error"), ==, "");
    g_assert_cmpstr (obj_str (o, "last-operation"), ==, "");
    g_assert_cmpstr (obj_str (o, "operation"), ==, "");
    g_assert_cmpint (obj_int (o, "operation-id"), ==, 0);
    g_assert_cmpint (obj_int (o, "license-count"), ==, 7);
    g_assert_cmpstr (obj_str (o, "backup-path"), ==, "");
    g_assert_cmpstr (obj_str (o, "restore-path"), ==, "");
    g_assert_cmpint (obj_int (o, "last-backup-time"), ==, 0);
  }

  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "config", "backup-path", dir, NULL);
    assert_exit (run, EXIT_OK);
  }
  t0 = g_get_real_time () / G_USEC_PER_SEC;
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "backup", "--json", NULL);
    g_autoptr (JsonNode) root = NULL;
    JsonObject *o = run_json_object (run, &root);

    assert_exit (run, EXIT_OK);
    op = o != NULL ? obj_int (o, "operation") : -1;
  }
  t1 = g_get_real_time () / G_USEC_PER_SEC;
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "status", NULL);
    g_autofree char *folder = g_strdup_printf ("  Backup folder:  %s\n", dir);

    assert_exit (run, EXIT_OK);
    g_assert_true (g_str_has_prefix (run->out, "Backup finished\n"));
    assert_contains (run->out, "  Licenses:       7\n");
    assert_contains (run->out, folder);
    assert_not_contains (run->out, "never");
    assert_not_contains (run->out, "Progress:");
  }
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "status", "--json", NULL);
    g_autoptr (JsonNode) root = NULL;
    JsonObject *o = run_json_object (run, &root);

    assert_exit (run, EXIT_OK);
    if (o == NULL)
      return;
    g_assert_cmpint (obj_int (o, "status"), ==, LB_STATUS_END);
    g_assert_cmpstr (obj_str (o, "last-operation"), ==, "backup");
    g_assert_cmpstr (obj_str (o, "operation"), ==, "");
    g_assert_cmpint (obj_int (o, "operation-id"), ==, op);
    g_assert_cmpint (obj_int (o, "licenses-done"), ==, 7);
    g_assert_cmpint (obj_int (o, "licenses-total"), ==, 7);
    g_assert_cmpint (obj_int (o, "license-count"), ==, 7);
    g_assert_cmpstr (obj_str (o, "backup-path"), ==, dir);
    g_assert_cmpint (obj_int (o, "last-backup-time"), >=, t0);
    g_assert_cmpint (obj_int (o, "last-backup-time"), <=, t1);
  }
}

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

static void
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

static void
test_backup_exists_overwrite (Fixture *f, gconstpointer arg)
{
  g_autofree char *dir = make_dir (f, "backups");
  g_autofree char *file = NULL;
  g_autoptr (GBytes) first = NULL;
  g_autoptr (GBytes) after = NULL;

  store_many (f, 3, "ow-", 100);
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "backup", dir, NULL);
    assert_exit (run, EXIT_OK);
  }
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
static void
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
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "config", "backup-path", dir, NULL);
    assert_exit (run, EXIT_OK);
  }
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

static void
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

/* Tests: restore */

static void
test_restore_same_machine (Fixture *f, gconstpointer arg)
{
  g_autofree char *dir = make_dir (f, "backups");
  g_autofree char *empty = make_dir (f, "empty");
  g_autofree char *file = NULL;
  g_autofree char *uri = NULL;

  store_many (f, 5, "rs-", 300);
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "backup", dir, NULL);
    assert_exit (run, EXIT_OK);
  }
  file = backup_file (dir);
  uri = g_filename_to_uri (file, NULL, NULL);
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *key = g_strdup_printf ("rs-%06u", i);
      g_autoptr (ClientRun) run = client_run (f, NULL, "delete", key, NULL);
      assert_exit (run, EXIT_OK);
    }
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "restore", dir, NULL);
    g_autofree char *want = g_strdup_printf ("Restored 2 licenses from %s (3 already present, "
                                             "0 bound to this computer).\n",
                                             file);

    assert_exit (run, EXIT_OK);
    g_assert_cmpstr (run->err, ==, "");
    assert_contains (run->out, want);
    assert_contains (run->out, "Restoring: 5 of 5 licenses (100%)\n");
    g_assert_null (strchr (run->out, '\r'));
  }
  g_assert_cmpuint (license_count (f), ==, 5);
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "restore", "--json", dir, NULL);
    g_autoptr (JsonNode) root = NULL;
    JsonObject *o = run_json_object (run, &root);
    JsonObject *s;

    assert_exit (run, EXIT_OK);
    if (o != NULL)
      {
        g_assert_cmpint (obj_int (o, "operation"), >, 0);
        g_assert_cmpstr (obj_str (o, "kind"), ==, "restore");
        g_assert_cmpint (obj_int (o, "status"), ==, LB_STATUS_END);
        g_assert_cmpstr (obj_str (o, "error-name"), ==, "");
        s = obj_obj (o, "summary");
        g_assert_cmpint (obj_int (s, "licenses"), ==, 0);
        g_assert_cmpint (obj_int (s, "already-present"), ==, 5);
        g_assert_cmpint (obj_int (s, "individualized"), ==, 0);
        g_assert_cmpstr (obj_str (s, "location"), ==, uri);
        g_assert_cmpuint (json_array_get_length (obj_array (o, "restricted")), ==, 0);
      }
  }
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "status", NULL);
    g_assert_true (g_str_has_prefix (run->out, "Restore finished\n"));
  }
  /* A folder without a backup: NotFound, exit status 1. */
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "restore", empty, NULL);

    assert_exit (run, EXIT_FAILED);
    g_assert_cmpstr (run->out, ==, "");
    assert_error_line (run, NULL);
  }
}

/* Exit status 5: a byte flipped inside a license entry. */
static void
test_restore_corrupt (Fixture *f, gconstpointer arg)
{
  static const char marker[] = "LB-TEST-MARKER-5f2c9e";
  g_autofree char *dir = make_dir (f, "backups");
  g_autofree char *file = NULL;
  g_autofree char *contents = NULL;
  gsize len = 0;
  char *hit;
  g_autoptr (GError) error = NULL;
  GString *blob = g_string_new (NULL);

  for (guint i = 0; i < 20; i++)
    g_string_append (blob, marker);
  store_license (f, "marked",
                 g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, blob->str, blob->len, 1), NULL);
  g_string_free (blob, TRUE);
  store_many (f, 4, "cr-", 100);
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "backup", dir, NULL);
    assert_exit (run, EXIT_OK);
  }
  file = backup_file (dir);
  g_file_get_contents (file, &contents, &len, &error);
  g_assert_no_error (error);
  hit = contents != NULL ? memmem (contents, len, marker, strlen (marker)) : NULL;
  g_assert_nonnull (hit);
  if (hit == NULL)
    return;
  hit[5] ^= 0x20;
  g_file_set_contents (file, contents, (gssize) len, &error);
  g_assert_no_error (error);

  {
    g_autoptr (ClientRun) d = client_run (f, NULL, "delete", "marked", NULL);
    g_autoptr (ClientRun) d2 = client_run (f, NULL, "delete", "cr-000002", NULL);
    assert_exit (d, EXIT_OK);
    assert_exit (d2, EXIT_OK);
  }
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "restore", dir, NULL);

    assert_exit (run, EXIT_BACKUP_CORRUPT);
    assert_error_line (run, "damaged");
    assert_not_contains (run->out, "Restored");
  }
  g_assert_cmpuint (license_count (f), ==, 3);
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "restore", "--json", dir, NULL);
    g_autoptr (JsonNode) root = NULL;
    JsonObject *o = run_json_object (run, &root);

    assert_exit (run, EXIT_BACKUP_CORRUPT);
    if (o != NULL)
      {
        g_assert_cmpint (obj_int (o, "status"), ==, LB_STATUS_ERROR);
        g_assert_cmpstr (obj_str (o, "error-name"), ==, error_name (LB_ERROR_BACKUP_CORRUPT));
        g_assert_cmpstr (obj_str (o, "error"), !=, "");
      }
  }
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "status", NULL);
    g_assert_true (g_str_has_prefix (run->out, "Restore failed: "));
  }
  g_assert_cmpuint (license_count (f), ==, 3);
}

/* Machine "a" stores @n licenses and backs them up into @dir; then machine
 * "b" runs the daemon. */
static void
backup_on_a_then_use_b (Fixture *f, guint n, const char *dir)
{
  store_many (f, n, "om-", 150);
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "backup", dir, NULL);
    assert_exit (run, EXIT_OK);
  }
  use_machine (f, 1);
  g_assert_cmpuint (license_count (f), ==, 0);
}

/* Exit status 7 without a terminal; --yes and --individualize consent. */
static void
test_restore_other_machine (Fixture *f, gconstpointer arg)
{
  g_autofree char *dir = make_dir (f, "shared");
  g_autofree char *file = NULL;
  g_autoptr (GVariant) attrs = NULL;

  backup_on_a_then_use_b (f, 3, dir);
  file = backup_file (dir);
  if (g_test_failed ())
    return;

  /* stdin is a pipe: no question, exit status 7. Even with "y" waiting. */
  {
    ClientOpts opts = { .stdin_text = "y\n" };
    g_autoptr (ClientRun) run = client_run (f, &opts, "restore", dir, NULL);

    assert_exit (run, EXIT_NEEDS_INDIVIDUALIZATION);
    assert_error_line (run, "--individualize");
    assert_not_contains (run->out, "[y/N]");
  }
  g_assert_cmpuint (license_count (f), ==, 0);
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "restore", "--json", dir, NULL);
    g_autoptr (JsonNode) root = NULL;
    JsonObject *o = run_json_object (run, &root);

    assert_exit (run, EXIT_NEEDS_INDIVIDUALIZATION);
    if (o != NULL)
      {
        g_assert_cmpint (obj_int (o, "status"), ==, LB_STATUS_NEEDS_INDIVIDUALIZATION);
        g_assert_cmpstr (obj_str (o, "error-name"), ==,
                         error_name (LB_ERROR_NEEDS_INDIVIDUALIZATION));
      }
  }
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "status", NULL);
    g_assert_true (g_str_has_prefix (run->out, "Restore waiting for consent"));
  }
  g_assert_cmpuint (license_count (f), ==, 0);

  /* --yes consents without asking. */
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "restore", "--yes", dir, NULL);
    g_autofree char *want = g_strdup_printf ("Restored 3 licenses from %s (0 already present, "
                                             "3 bound to this computer).\n",
                                             file);

    assert_exit (run, EXIT_OK);
    assert_contains (run->out, want);
    assert_not_contains (run->out, "[y/N]");
    g_assert_cmpstr (run->err, ==, "");
  }
  g_assert_cmpuint (license_count (f), ==, 3);
  attrs = get_attributes (f, "om-000000", NULL);
  assert_attribute (attrs, "machine",
                    g_variant_new_string (lb_test_machine_get_app_id (f->current)));
  assert_attribute (attrs, "restore-count", g_variant_new_uint32 (1));

  /* --individualize too (and --json with it). */
  {
    g_autoptr (ClientRun) d = client_run (f, NULL, "delete", "om-000001", NULL);
    g_autoptr (ClientRun) run
        = client_run (f, NULL, "restore", "--individualize", "--json", dir, NULL);
    g_autoptr (JsonNode) root = NULL;
    JsonObject *o = run_json_object (run, &root);

    assert_exit (d, EXIT_OK);
    assert_exit (run, EXIT_OK);
    if (o != NULL)
      {
        JsonObject *s = obj_obj (o, "summary");

        g_assert_cmpint (obj_int (o, "status"), ==, LB_STATUS_END);
        g_assert_cmpint (obj_int (s, "licenses"), ==, 1);
        g_assert_cmpint (obj_int (s, "individualized"), ==, 1);
        g_assert_cmpint (obj_int (s, "already-present"), ==, 2);
      }
  }
  g_assert_cmpuint (license_count (f), ==, 3);
}

/* Exit status 8: A → B → C with a restore limit of 1. */
static void
test_restore_limit (Fixture *f, gconstpointer arg)
{
  g_autofree char *dir_a = make_dir (f, "from-a");
  g_autofree char *dir_b = make_dir (f, "from-b");
  g_autofree char *file_b = NULL;
  const char *url = "https://issuer.example/renew?id=7";

  store_license (f, "limited", NULL,
                 lb_test_vardict_new ("restore-limit", g_variant_new_uint32 (1), "support-url",
                                      g_variant_new_string (url), NULL));
  store_license (f, "free", NULL, NULL);
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "backup", dir_a, NULL);
    assert_exit (run, EXIT_OK);
  }
  use_machine (f, 1);
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "restore", "--yes", dir_a, NULL);
    g_autoptr (ClientRun) run2 = client_run (f, NULL, "backup", dir_b, NULL);

    assert_exit (run, EXIT_OK);
    assert_contains (run->out, "(0 already present, 2 bound to this computer)");
    assert_exit (run2, EXIT_OK);
  }
  use_machine (f, 2);
  if (g_test_failed ())
    return;
  file_b = backup_file (dir_b);
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "restore", "--yes", dir_b, NULL);
    g_autofree char *want = g_strdup_printf ("Restored 1 license from %s (0 already present, "
                                             "1 bound to this computer).\n",
                                             file_b);

    assert_exit (run, EXIT_RESTORE_LIMIT);
    assert_contains (run->out, want);
    assert_contains (run->out, "\n1 license could not be restored:\n  limited: restore limit "
                               "reached\n");
    assert_error_line (run, url);
  }
  g_assert_cmpuint (license_count (f), ==, 1);
  g_assert_null (get_attributes (f, "limited", NULL));
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "status", NULL);
    g_autoptr (ClientRun) json = client_run (f, NULL, "status", "--json", NULL);
    g_autoptr (JsonNode) root = NULL;
    JsonObject *o = run_json_object (json, &root);

    assert_exit (run, EXIT_OK);
    g_assert_true (
        g_str_has_prefix (run->out, "Restore finished, but some licenses were not restored: "));
    /* Anyone may read the status, so it names no license's URL; the
     * restore itself showed it. */
    g_assert_null (strstr (run->out, url));
    assert_contains (run->out, "restored as often as their issuer allows");
    if (o != NULL)
      {
        g_assert_cmpint (obj_int (o, "status"), ==, LB_STATUS_ERROR_WITHURL);
        g_assert_null (strstr (obj_str (o, "error"), url));
      }
  }
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "restore", "--yes", "--json", dir_b, NULL);
    g_autoptr (JsonNode) root = NULL;
    JsonObject *o = run_json_object (run, &root);

    assert_exit (run, EXIT_RESTORE_LIMIT);
    if (o != NULL)
      {
        JsonArray *r = obj_array (o, "restricted");

        g_assert_cmpint (obj_int (o, "status"), ==, LB_STATUS_ERROR_WITHURL);
        g_assert_cmpstr (obj_str (o, "error-name"), ==, error_name (LB_ERROR_RESTORE_LIMIT));
        assert_contains (obj_str (o, "error"), "restored as often as their issuer allows");
        g_assert_cmpstr (obj_str (obj_obj (o, "summary"), "support-url"), ==, url);
        g_assert_cmpuint (json_array_get_length (r), ==, 1);
        if (json_array_get_length (r) == 1)
          {
            g_assert_cmpstr (obj_str (json_array_get_object_element (r, 0), "key-id"), ==,
                             "limited");
            g_assert_cmpstr (obj_str (json_array_get_object_element (r, 0), "reason"), ==,
                             "restore-limit");
          }
      }
  }
}

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
static void
test_slow_progress_lines (Fixture *f, gconstpointer arg)
{
  g_autofree char *dir = make_dir (f, "backups");
  g_autoptr (ClientRun) run = NULL;
  g_auto (GStrv) lines = NULL;
  guint n_progress = 0;
  guint64 last_done = 0, last_total = 0;
  guint last_percent = 0;
  double duration;
  gboolean summary_seen = FALSE;

  store_many (f, SLOW_LICENSES, "sl-", 64);
  run = client_run (f, NULL, "backup", dir, NULL);
  assert_exit (run, EXIT_OK);
  duration = client_duration_s (run);
  g_test_message ("the backup took %.2f s", duration);
  g_assert_cmpfloat (duration, >=, SLOW_LICENSES * SLOW_DELAY_US / 1e6 * 0.9);
  g_assert_null (strchr (run->out, '\r'));
  g_assert_null (strchr (run->out, '\033'));

  lines = g_strsplit (run->out, "\n", -1);
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
static void
test_slow_cancel_by_other_client (Fixture *f, gconstpointer arg)
{
  g_autofree char *dir = make_dir (f, "backups");
  g_autoptr (LbTestSignalQueue) queue = NULL;
  g_autoptr (ClientRun) follower = NULL;

  store_many (f, LONG_LICENSES, "cc-", 64);
  queue = manager_signals (f);
  follower = client_spawn (f, NULL, "backup", dir, NULL);
  if (wait_progress (queue, 10, CLIENT_TIMEOUT_MS) == 0)
    return;

  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "status", NULL);

    assert_exit (run, EXIT_OK);
    g_assert_true (g_str_has_prefix (run->out, "Backup running\n"));
    assert_contains (run->out, "\n  Progress:       ");
    assert_contains (run->out, " of 400 licenses)\n");
  }
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "status", "--json", NULL);
    g_autoptr (JsonNode) root = NULL;
    JsonObject *o = run_json_object (run, &root);

    assert_exit (run, EXIT_OK);
    if (o != NULL)
      {
        g_assert_cmpint (obj_int (o, "status"), ==, LB_STATUS_BEGIN);
        g_assert_cmpstr (obj_str (o, "operation"), ==, "backup");
        g_assert_cmpint (obj_int (o, "operation-id"), >, 0);
        g_assert_cmpint (obj_int (o, "licenses-total"), ==, LONG_LICENSES);
        g_assert_cmpint (obj_int (o, "licenses-done"), >=, 10);
      }
  }
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "cancel", NULL);

    assert_exit (run, EXIT_OK);
    g_assert_cmpstr (run->out, ==, "The backup is being cancelled.\n");
    g_assert_cmpstr (run->err, ==, "");
  }
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
    assert_error_line (run, "no backup or restore is running");
  }
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "status", NULL);
    g_assert_true (g_str_has_prefix (run->out, "Backup failed: "));
  }
}

/* The same for a restore. */
static void
test_slow_cancel_restore (Fixture *f, gconstpointer arg)
{
  g_autofree char *dir = make_dir (f, "backups");
  g_autoptr (LbTestSignalQueue) queue = NULL;
  g_autoptr (ClientRun) follower = NULL;

  /* A quick backup of few licenses, then many more to restore. */
  store_many (f, LONG_LICENSES, "cr-", 64);
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "backup", dir, NULL);
    assert_exit (run, EXIT_OK);
  }
  for (guint i = 0; i < 40; i++)
    {
      g_autofree char *key = g_strdup_printf ("cr-%06u", i);
      g_autoptr (GError) error = NULL;
      lb_dbus_store_call_delete_license_sync (f->store, key, NULL, &error);
      g_assert_no_error (error);
    }
  queue = manager_signals (f);
  follower = client_spawn (f, NULL, "restore", dir, NULL);
  if (wait_progress (queue, 10, CLIENT_TIMEOUT_MS) == 0)
    return;
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "status", NULL);
    g_assert_true (g_str_has_prefix (run->out, "Restore running\n"));
  }
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "cancel", NULL);

    assert_exit (run, EXIT_OK);
    g_assert_cmpstr (run->out, ==, "The restore is being cancelled.\n");
  }
  client_wait (follower, CLIENT_TIMEOUT_MS);
  assert_exit (follower, EXIT_CANCELLED);
  assert_error_line (follower, "cancelled");
  g_assert_cmpuint (license_count (f), ==, LONG_LICENSES - 40);
}

/* Exit status 3: a second backup (or a restore) while one runs. The first,
 * with --json, ends cancelled. */
static void
test_slow_busy (Fixture *f, gconstpointer arg)
{
  g_autofree char *dir = make_dir (f, "backups");
  g_autofree char *dir2 = make_dir (f, "other");
  g_autoptr (LbTestSignalQueue) queue = NULL;
  g_autoptr (ClientRun) first = NULL;
  guint64 op;

  store_many (f, LONG_LICENSES, "bz-", 64);
  queue = manager_signals (f);
  first = client_spawn (f, NULL, "backup", "--json", dir, NULL);
  op = wait_progress (queue, 5, CLIENT_TIMEOUT_MS);
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
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "cancel", NULL);
    assert_exit (run, EXIT_OK);
  }
  client_wait (first, CLIENT_TIMEOUT_MS);
  assert_exit (first, EXIT_CANCELLED);
  g_assert_cmpstr (first->err, ==, "");
  {
    g_autoptr (JsonNode) root = NULL;
    JsonObject *o = run_json_object (first, &root);

    if (o != NULL)
      {
        g_assert_cmpint (obj_int (o, "operation"), ==, (gint64) op);
        g_assert_cmpint (obj_int (o, "status"), ==, LB_STATUS_ERROR);
        g_assert_cmpstr (obj_str (o, "error-name"), ==, error_name (LB_ERROR_CANCELLED));
        g_assert_cmpstr (obj_str (o, "error"), !=, "");
        g_assert_false (obj_bool (o, "interrupted"));
      }
  }
}

/* Ctrl-C: the client cancels the backup in the service, waits for its end
 * and exits with 130; the older backup is untouched, no file is left. */
static void
test_slow_ctrl_c (Fixture *f, gconstpointer arg)
{
  g_autofree char *dir = make_dir (f, "backups");
  g_autofree char *file = NULL;
  g_autoptr (LbTestSignalQueue) queue = NULL;
  g_autoptr (ClientRun) run = NULL;
  g_autoptr (GBytes) old = NULL;
  g_autoptr (GBytes) now = NULL;
  g_autoptr (GVariant) summary = NULL;
  g_autofree char *status_error = NULL;
  g_autofree char *completed_error = NULL;
  const char *completed_error_name = NULL;
  guint status = 99, completed_status = 99;
  guint64 op;

  store_many (f, 10, "cc-", 64);
  {
    g_autoptr (ClientRun) first = client_run (f, NULL, "backup", dir, NULL);
    assert_exit (first, EXIT_OK);
  }
  file = backup_file (dir);
  old = lb_test_read_bytes (file);
  g_assert_nonnull (old);
  store_many (f, LONG_LICENSES, "more-", 64);

  queue = manager_signals (f);
  run = client_spawn (f, NULL, "backup", "--overwrite", dir, NULL);
  op = wait_progress (queue, 20, CLIENT_TIMEOUT_MS);
  if (op == 0)
    return;
  g_subprocess_send_signal (run->proc, SIGINT);
  client_wait (run, CLIENT_TIMEOUT_MS);
  assert_exit (run, EXIT_INTERRUPTED);
  assert_contains (run->err, "Cancelling…");
  assert_contains (run->err, "license-backup: cancelled; nothing was changed\n");
  assert_not_contains (run->err, "cannot cancel");
  assert_not_contains (run->out, "Backed up");

  /* The client waited for the end: the service has finished already. */
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

  now = lb_test_read_bytes (file);
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
static void
test_slow_ctrl_c_restore_json (Fixture *f, gconstpointer arg)
{
  g_autofree char *dir = make_dir (f, "backups");
  g_autoptr (LbTestSignalQueue) queue = NULL;
  g_autoptr (ClientRun) run = NULL;
  g_autoptr (JsonNode) root = NULL;
  JsonObject *o;
  guint64 op;

  store_many (f, LONG_LICENSES, "rj-", 64);
  {
    g_autoptr (ClientRun) first = client_run (f, NULL, "backup", dir, NULL);
    assert_exit (first, EXIT_OK);
  }
  for (guint i = 0; i < 100; i++)
    {
      g_autofree char *key = g_strdup_printf ("rj-%06u", i);
      g_autoptr (GError) error = NULL;
      lb_dbus_store_call_delete_license_sync (f->store, key, NULL, &error);
      g_assert_no_error (error);
    }
  queue = manager_signals (f);
  run = client_spawn (f, NULL, "restore", "--json", dir, NULL);
  op = wait_progress (queue, 10, CLIENT_TIMEOUT_MS);
  if (op == 0)
    return;
  g_subprocess_send_signal (run->proc, SIGINT);
  client_wait (run, CLIENT_TIMEOUT_MS);
  assert_exit (run, EXIT_INTERRUPTED);
  /* With --json, stderr stays quiet. */
  g_assert_cmpstr (run->err, ==, "");
  o = run_json_object (run, &root);
  if (o != NULL)
    {
      g_assert_cmpint (obj_int (o, "operation"), ==, (gint64) op);
      g_assert_cmpstr (obj_str (o, "kind"), ==, "restore");
      g_assert_cmpint (obj_int (o, "status"), ==, LB_STATUS_ERROR);
      g_assert_cmpstr (obj_str (o, "error-name"), ==, error_name (LB_ERROR_CANCELLED));
      g_assert_true (obj_bool (o, "interrupted"));
    }
  g_assert_cmpuint (license_count (f), ==, LONG_LICENSES - 100);
}

/* The service dies while the client follows a backup (a crash, an OOM
 * kill): the client must not wait forever for a BackupCompleted that will
 * never come. It should say that the service stopped answering and exit
 * with 11 (its "service unreachable" status); with @arg's "-ctrl-c", the
 * user's Ctrl-C must end it at least (130 or 11). */
static void
test_robust_daemon_dies (Fixture *f, gconstpointer arg)
{
  gboolean ctrl_c = g_str_has_suffix (((const TestCase *) arg)->path, "-ctrl-c");
  g_autofree char *dir = make_dir (f, "backups");
  g_autoptr (LbTestSignalQueue) queue = NULL;
  g_autoptr (ClientRun) run = NULL;
  const guint patience_ms = 5000;

  store_many (f, LONG_LICENSES, "dd-", 64);
  queue = manager_signals (f);
  run = client_spawn (f, NULL, "backup", dir, NULL);
  if (wait_progress (queue, 10, CLIENT_TIMEOUT_MS) == 0)
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

/* Tests: a pseudo-terminal */

static gboolean
pty_shows (gpointer user_data)
{
  ClientRun *run = ((gpointer *) user_data)[0];
  const char *text = ((gpointer *) user_data)[1];

  return strstr (run->pty_out->str, text) != NULL || run->pty_eof;
}

static gboolean
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

static void
pty_write (ClientRun *run, const char *text)
{
  gsize len = strlen (text);

  if (write (run->master, text, len) != (ssize_t) len)
    g_test_fail_printf ("cannot write to the terminal: %s", g_strerror (errno));
}

static void
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
static void
test_tty_consent (Fixture *f, gconstpointer arg)
{
  gboolean yes = g_str_has_suffix (((const TestCase *) arg)->path, "-yes");
  g_autofree char *dir = make_dir (f, "shared");
  ClientOpts opts = { .pty = TRUE };
  g_autoptr (ClientRun) run = NULL;

  backup_on_a_then_use_b (f, 4, dir);
  if (g_test_failed ())
    return;
  run = client_spawn (f, &opts, "restore", dir, NULL);
  if (!wait_pty_text (run, "[y/N] ", CLIENT_TIMEOUT_MS))
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
static void
test_tty_yes (Fixture *f, gconstpointer arg)
{
  g_autofree char *dir = make_dir (f, "shared");
  ClientOpts opts = { .pty = TRUE };
  g_autoptr (ClientRun) run = NULL;

  backup_on_a_then_use_b (f, 2, dir);
  if (g_test_failed ())
    return;
  run = client_run (f, &opts, "restore", "--yes", dir, NULL);
  assert_exit (run, EXIT_OK);
  assert_not_contains (run->out, "[y/N]");
  assert_contains (run->out, "(0 already present, 2 bound to this computer)");
  g_assert_cmpuint (license_count (f), ==, 2);
}

/* --json on a terminal: no progress bar, and no question either. */
static void
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

/* Tests: German */

static void
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
        = format_runtime (de ("%s: %<PRIu64> of %<PRIu64> licenses "
                              "(%.0f%%)\n",
                              0),
                          de ("Backing up", 0), (guint64) 3, (guint64) 3, 100.0);

    assert_exit (run, EXIT_OK);
    if (cut != NULL)
      *cut = '\0';
    assert_contains (run->out, want);
    assert_contains (run->out, progress);
    assert_not_contains (run->out, "Backed up");
  }
  /* A status in words. */
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "status", NULL);

    assert_exit (run, EXIT_OK);
    g_assert_true (g_str_has_prefix (run->out, de ("Backup finished", 0)));
  }
}

/* The consent question in German, answered "ja". */
static void
test_i18n_consent (Fixture *f, gconstpointer arg)
{
  g_autofree char *dir = make_dir (f, "shared");
  ClientOpts opts = { .pty = TRUE };
  g_autoptr (ClientRun) run = NULL;
  const char *question = de ("Restore them and bind them to this computer? [y/N] ", 0);

  backup_on_a_then_use_b (f, 2, dir);
  if (g_test_failed ())
    return;
  run = client_spawn (f, &opts, "restore", dir, NULL);
  if (!wait_pty_text (run, question, CLIENT_TIMEOUT_MS))
    return;
  assert_not_contains (run->pty_out->str, "[y/N]");
  pty_write (run, "ja\n");
  client_wait (run, CLIENT_TIMEOUT_MS);
  g_test_message ("the terminal showed:\n%s", run->out);
  assert_exit (run, EXIT_OK);
  g_assert_cmpuint (license_count (f), ==, 2);
}

/* Tests: no space left (root only) */

static void
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
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "backup", "--json", dir, NULL);
    g_autoptr (JsonNode) root = NULL;
    JsonObject *o = run_json_object (run, &root);

    assert_exit (run, EXIT_NO_SPACE);
    if (o != NULL)
      {
        g_assert_cmpint (obj_int (o, "status"), ==, LB_STATUS_ERROR);
        g_assert_cmpstr (obj_str (o, "error-name"), ==, error_name (LB_ERROR_NO_SPACE));
      }
  }
  g_free (file);
  file = backup_file (dir);
  g_assert_false (g_file_test (file, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (lb_test_count_temporaries (dir), ==, 0);

out:
  lb_test_machine_stop_daemon (f->current);
  umount2 (dir, MNT_DETACH);
}

/* Tests: per-app licenses */

typedef struct
{
  const char *app; /* "" for host programs */
  const char *key_id;
  gsize size;
  gboolean no_backup_right;
} AppLicense;

/* Host programs, a Flatpak app and a Snap; "shared" is a key id of two
 * apps (two licenses). */
static const AppLicense several_apps[] = {
  { "", "host-1", 100 },
  { "", "shared", 200 },
  { "org.example.Player", "player-1", 1000 },
  { "org.example.Player", "player-2", 2000 },
  { "org.example.Player", "shared", 300 },
  { "snap.musicbox", "track-1", 50 },
};

/* The blob of @licenses[@i]. */
static GBytes *
app_license_blob (const AppLicense *licenses, guint i)
{
  g_autoptr (GVariant) blob = g_variant_ref_sink (lb_test_blob_new (licenses[i].size, (guint8) i));

  return g_variant_get_data_as_bytes (blob);
}

/* Opens machine "a"'s store through the core library, while no daemon
 * runs: a host caller of the service can only store into the host
 * namespace, so this is how other apps' licenses get there. */
static LbStore *
open_store_directly (Fixture *f)
{
  LbTestMachine *m = fixture_machine (f, 0);
  g_autoptr (GError) error = NULL;
  LbStore *store
      = lb_store_open (lb_test_machine_get_store_dir (m), lb_test_machine_get_app_id (m), &error);

  g_assert_no_error (error);
  return store;
}

/* Writes @licenses into machine "a"'s store, then starts its daemon. */
static gboolean
start_with_apps (Fixture *f, const AppLicense *licenses, guint n)
{
  g_autoptr (LbStore) store = open_store_directly (f);
  g_autoptr (GError) error = NULL;

  for (guint i = 0; store != NULL && i < n; i++)
    {
      g_autoptr (GBytes) blob = app_license_blob (licenses, i);
      g_autoptr (LbRecord) license = lb_record_new (licenses[i].key_id, blob);

      license->attrs.can_backup = !licenses[i].no_backup_right;
      lb_store_put (store, licenses[i].app, &license, 1, &error);
      g_assert_no_error (error);
    }
  g_clear_object (&store);
  return !g_test_failed () && use_machine (f, 0);
}

/* The array a `--json` run printed, or NULL after a failed assertion. */
static JsonArray *
run_json_array (ClientRun *run, JsonNode **root)
{
  *root = run_json (run);
  if (*root == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_ARRAY (*root))
    {
      g_test_fail_printf ("`%s` printed JSON that is not an array: %s", run->cmdline, run->out);
      return NULL;
    }
  return json_node_get_array (*root);
}

static void
test_apps_apps (Fixture *f, gconstpointer arg)
{
  /* An empty store (on machine "b"). */
  if (!use_machine (f, 1))
    return;
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "apps", NULL);
    g_autoptr (ClientRun) json = client_run (f, NULL, "apps", "--json", NULL);
    g_autoptr (JsonNode) root = NULL;
    JsonArray *array;

    assert_exit (run, EXIT_OK);
    g_assert_cmpstr (run->out, ==, "The store holds no licenses.\n");
    g_assert_cmpstr (run->err, ==, "");
    assert_exit (json, EXIT_OK);
    g_assert_cmpstr (json->out, ==, "[]\n");
    array = run_json_array (json, &root);
    g_assert_true (array != NULL && json_array_get_length (array) == 0);
  }

  if (!start_with_apps (f, several_apps, G_N_ELEMENTS (several_apps)))
    return;
  /* By app id, the host namespace last as "Other apps"; aligned columns. */
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "apps", NULL);
    g_autofree char *player = g_format_size (1000 + 2000 + 300);
    g_autofree char *snap = g_format_size (50);
    g_autofree char *host = g_format_size (100 + 200);
    g_autofree char *want = g_strdup_printf ("org.example.Player  3 licenses  %s\n"
                                             "snap.musicbox       1 license   %s\n"
                                             "Other apps          2 licenses  %s\n",
                                             player, snap, host);

    assert_exit (run, EXIT_OK);
    g_assert_cmpstr (run->err, ==, "");
    g_assert_cmpstr (run->out, ==, want);
  }
  /* JSON: in the service's order, the host namespace as "". */
  {
    static const struct
    {
      const char *app;
      gint64 licenses, bytes;
    } want[] = {
      { "", 2, 300 },
      { "org.example.Player", 3, 3300 },
      { "snap.musicbox", 1, 50 },
    };
    g_autoptr (ClientRun) run = client_run (f, NULL, "apps", "--json", NULL);
    g_autoptr (JsonNode) root = NULL;
    JsonArray *array = run_json_array (run, &root);

    assert_exit (run, EXIT_OK);
    g_assert_cmpstr (run->err, ==, "");
    if (array == NULL)
      return;
    g_assert_cmpuint (json_array_get_length (array), ==, G_N_ELEMENTS (want));
    for (guint i = 0; i < G_N_ELEMENTS (want) && i < json_array_get_length (array); i++)
      {
        JsonObject *o = json_array_get_object_element (array, i);

        g_assert_cmpstr (obj_str (o, "app"), ==, want[i].app);
        g_assert_cmpint (obj_int (o, "licenses"), ==, want[i].licenses);
        g_assert_cmpint (obj_int (o, "bytes"), ==, want[i].bytes);
      }
  }
}

static void
test_apps_list (Fixture *f, gconstpointer arg)
{
  if (!start_with_apps (f, several_apps, G_N_ELEMENTS (several_apps)))
    return;

  /* Every app's licenses, each app under its name; "shared" twice. */
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "list", NULL);

    assert_exit (run, EXIT_OK);
    g_assert_cmpstr (run->err, ==, "");
    g_assert_cmpstr (run->out, ==,
                     "org.example.Player:\n"
                     "  player-1  backup allowed\n"
                     "  player-2  backup allowed\n"
                     "  shared  backup allowed\n"
                     "\n"
                     "snap.musicbox:\n"
                     "  track-1  backup allowed\n"
                     "\n"
                     "Other apps:\n"
                     "  host-1  backup allowed\n"
                     "  shared  backup allowed\n");
  }
  /* One app's, as the list of a store of one app always looked. */
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "list", "--app", "org.example.Player", NULL);

    assert_exit (run, EXIT_OK);
    g_assert_cmpstr (run->out, ==,
                     "player-1  backup allowed\n"
                     "player-2  backup allowed\n"
                     "shared  backup allowed\n");
  }
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "list", "--app=snap.musicbox", NULL);

    assert_exit (run, EXIT_OK);
    g_assert_cmpstr (run->out, ==, "track-1  backup allowed\n");
  }
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "list", "--app", "", NULL);

    assert_exit (run, EXIT_OK);
    g_assert_cmpstr (run->out, ==, "host-1  backup allowed\nshared  backup allowed\n");
  }
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "list", "--app", "org.example.Nobody", NULL);

    assert_exit (run, EXIT_OK);
    g_assert_cmpstr (run->out, ==, "The app org.example.Nobody holds no licenses.\n");
    g_assert_cmpstr (run->err, ==, "");
  }

  /* JSON: every license with its app, in (app, key id) order. */
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "list", "--json", NULL);
    g_autoptr (JsonNode) root = NULL;
    JsonArray *array = run_json_array (run, &root);

    assert_exit (run, EXIT_OK);
    if (array == NULL)
      return;
    /* several_apps is in that order. */
    g_assert_cmpuint (json_array_get_length (array), ==, G_N_ELEMENTS (several_apps));
    for (guint i = 0; i < G_N_ELEMENTS (several_apps) && i < json_array_get_length (array); i++)
      {
        const AppLicense *want = &several_apps[i];
        JsonObject *o = json_array_get_object_element (array, i);

        g_assert_cmpstr (obj_str (o, "key-id"), ==, want->key_id);
        g_assert_cmpstr (obj_str (o, "app"), ==, want->app);
        if (want->app[0] != '\0')
          g_assert_cmpstr (obj_str (obj_obj (o, "attributes"), "app"), ==, want->app);
      }
  }
  {
    g_autoptr (ClientRun) run
        = client_run (f, NULL, "list", "--json", "--app", "snap.musicbox", NULL);
    g_autoptr (JsonNode) root = NULL;
    JsonArray *array = run_json_array (run, &root);

    assert_exit (run, EXIT_OK);
    if (array == NULL)
      return;
    g_assert_cmpuint (json_array_get_length (array), ==, 1);
    if (json_array_get_length (array) == 1)
      {
        JsonObject *o = json_array_get_object_element (array, 0);

        g_assert_cmpstr (obj_str (o, "key-id"), ==, "track-1");
        g_assert_cmpstr (obj_str (o, "app"), ==, "snap.musicbox");
      }
  }
}

/* More than one page (1000 licenses) of two apps: each heading once, each
 * license once, in order. */
static void
test_apps_list_paging (Fixture *f, gconstpointer arg)
{
  const char *const apps[] = { "org.example.Player", "" };
  const guint n[] = { 1500, 1200 };
  g_autoptr (GString) want = g_string_new (NULL);

  {
    g_autoptr (LbStore) store = open_store_directly (f);

    for (guint a = 0; store != NULL && a < G_N_ELEMENTS (apps); a++)
      {
        g_autoptr (GPtrArray) licenses
            = g_ptr_array_new_with_free_func ((GDestroyNotify) lb_record_free);
        g_autoptr (GError) error = NULL;

        for (guint i = 0; i < n[a]; i++)
          {
            g_autofree char *key = g_strdup_printf ("key-%06u", i);
            g_autoptr (GVariant) blob = g_variant_ref_sink (lb_test_blob_new (16, (guint8) i));
            g_autoptr (GBytes) bytes = g_variant_get_data_as_bytes (blob);

            g_ptr_array_add (licenses, lb_record_new (key, bytes));
          }
        lb_store_put (store, apps[a], (LbRecord *const *) licenses->pdata, licenses->len, &error);
        g_assert_no_error (error);
      }
  }
  if (g_test_failed () || !use_machine (f, 0))
    return;

  for (guint a = 0; a < G_N_ELEMENTS (apps); a++)
    {
      g_string_append_printf (want, "%s%s:\n", a > 0 ? "\n" : "",
                              apps[a][0] != '\0' ? apps[a] : "Other apps");
      for (guint i = 0; i < n[a]; i++)
        g_string_append_printf (want, "  key-%06u  backup allowed\n", i);
    }
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "list", NULL);

    assert_exit (run, EXIT_OK);
    if (!g_str_equal (run->out, want->str))
      g_test_fail_printf ("`list` of %u + %u licenses is not what was expected (%zu bytes "
                          "instead of %zu)",
                          n[0], n[1], strlen (run->out), want->len);
  }
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "list", "--json", NULL);
    g_autoptr (JsonNode) root = NULL;
    JsonArray *array = run_json_array (run, &root);

    assert_exit (run, EXIT_OK);
    if (array != NULL)
      g_assert_cmpuint (json_array_get_length (array), ==, n[0] + n[1]);
  }
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "list", "--app", "org.example.Player", NULL);
    g_auto (GStrv) lines = g_strsplit (run->out, "\n", -1);

    assert_exit (run, EXIT_OK);
    g_assert_cmpuint (g_strv_length (lines), ==, n[0] + 1);
    g_assert_cmpstr (lines[n[0] - 1], ==, "key-001499  backup allowed");
  }
}

static void
test_apps_export_delete (Fixture *f, gconstpointer arg)
{
  g_autofree char *out_path = g_build_filename (f->work, "player-shared.bin", NULL);

  if (!start_with_apps (f, several_apps, G_N_ELEMENTS (several_apps)))
    return;

  /* Another app's license, with --app; the same key id, two licenses. */
  {
    g_autoptr (ClientRun) run
        = client_run (f, NULL, "export", "--app", "org.example.Player", "player-1", NULL);
    g_autoptr (GBytes) want = app_license_blob (several_apps, 2);
    g_autoptr (GBytes) got = NULL;

    assert_exit (run, EXIT_OK);
    g_assert_cmpstr (run->err, ==, "");
    got = g_bytes_new (run->out, run->out_len);
    g_assert_true (g_bytes_equal (got, want));
  }
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "export", "--app", "org.example.Player",
                                            "shared", "-o", out_path, NULL);
    g_autoptr (GBytes) want = app_license_blob (several_apps, 4);
    g_autoptr (GBytes) got = lb_test_read_bytes (out_path);

    assert_exit (run, EXIT_OK);
    g_assert_true (got != NULL && g_bytes_equal (got, want));
  }
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "export", "shared", NULL);
    g_autoptr (ClientRun) run2 = client_run (f, NULL, "export", "--app", "", "shared", NULL);
    g_autoptr (GBytes) want = app_license_blob (several_apps, 1);
    g_autoptr (GBytes) got = NULL;
    g_autoptr (GBytes) got2 = NULL;

    assert_exit (run, EXIT_OK);
    assert_exit (run2, EXIT_OK);
    got = g_bytes_new (run->out, run->out_len);
    got2 = g_bytes_new (run2->out, run2->out_len);
    g_assert_true (g_bytes_equal (got, want));
    g_assert_true (g_bytes_equal (got2, want));
  }
  /* Without --app, a terminal reaches only the host namespace. */
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "export", "player-1", NULL);

    assert_exit (run, EXIT_FAILED);
    g_assert_cmpstr (run->out, ==, "");
    assert_error_line (run, "player-1");
  }
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "delete", "player-2", NULL);
    g_autoptr (ClientRun) verbose = client_run (f, NULL, "--verbose", "delete", "player-2", NULL);

    assert_exit (run, EXIT_FAILED);
    g_assert_cmpstr (run->out, ==, "");
    assert_error_line (run, "player-2");
    assert_exit (verbose, EXIT_FAILED);
    assert_contains (verbose->err, error_name (LB_ERROR_NOT_FOUND));
  }
  g_assert_cmpuint (license_count (f), ==, G_N_ELEMENTS (several_apps));

  /* With --app it goes, and only that app's. */
  {
    g_autoptr (ClientRun) run
        = client_run (f, NULL, "delete", "--app", "org.example.Player", "player-2", NULL);

    assert_exit (run, EXIT_OK);
    g_assert_cmpstr (run->out, ==, "Deleted the license “player-2” of org.example.Player.\n");
    g_assert_cmpstr (run->err, ==, "");
  }
  {
    g_autoptr (ClientRun) run
        = client_run (f, NULL, "delete", "--app", "org.example.Player", "player-2", NULL);

    assert_exit (run, EXIT_FAILED);
    assert_error_line (run, "player-2");
  }
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "delete", "--app", "", "shared", NULL);

    assert_exit (run, EXIT_OK);
    g_assert_cmpstr (run->out, ==, "Deleted the license “shared”.\n");
  }
  g_assert_cmpuint (license_count (f), ==, G_N_ELEMENTS (several_apps) - 2);
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "list", "--app", "org.example.Player", NULL);

    assert_exit (run, EXIT_OK);
    g_assert_cmpstr (run->out, ==, "player-1  backup allowed\nshared  backup allowed\n");
  }
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "list", "--app", "", NULL);

    assert_exit (run, EXIT_OK);
    g_assert_cmpstr (run->out, ==, "host-1  backup allowed\n");
  }
  /* An app whose last license went holds none: it is no longer listed. */
  {
    g_autoptr (ClientRun) del
        = client_run (f, NULL, "delete", "--app", "snap.musicbox", "track-1", NULL);
    g_autoptr (ClientRun) run = client_run (f, NULL, "apps", NULL);
    g_autoptr (ClientRun) list = client_run (f, NULL, "list", NULL);

    assert_exit (del, EXIT_OK);
    assert_exit (run, EXIT_OK);
    assert_not_contains (run->out, "snap.musicbox");
    assert_contains (run->out, "org.example.Player  2 licenses  ");
    assert_exit (list, EXIT_OK);
    assert_not_contains (list->out, "snap.musicbox");
    g_assert_true (g_str_has_prefix (list->out, "org.example.Player:\n"));
  }
}

/* An app id the service refuses: its message, exit status 1. */
static void
test_apps_bad_app (Fixture *f, gconstpointer arg)
{
  const char *const cases[][6] = {
    { "list", "--app", "a/b" },
    { "list", "--json", "--app", "a/b" },
    { "export", "--app", "a/b", "key" },
    { "delete", "--app", "a/b", "key" },
  };

  if (!start_with_apps (f, several_apps, G_N_ELEMENTS (several_apps)))
    return;
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (ClientRun) run = client_spawnv (f, NULL, cases[i]);

      client_wait (run, CLIENT_TIMEOUT_MS);
      assert_exit (run, EXIT_FAILED);
      assert_error_line (run, "“a/b”");
      g_assert_cmpstr (run->out, ==, "");
    }
  {
    g_autoptr (ClientRun) run
        = client_run (f, NULL, "--verbose", "export", "--app", "a/b", "key", NULL);

    assert_exit (run, EXIT_FAILED);
    assert_contains (run->err, error_name (LB_ERROR_INVALID_ARGS));
  }
  g_assert_cmpuint (license_count (f), ==, G_N_ELEMENTS (several_apps));
}

/* Two left out, one of them an app's; five backed up, of three apps. */
static const AppLicense backup_apps[] = {
  { "", "host-1", 100 },
  { "", "host-2", 100 },
  { "", "host-locked", 100, TRUE },
  { "org.example.Player", "player-1", 500 },
  { "org.example.Player", "player-2", 500 },
  { "org.example.Player", "player-locked", 500, TRUE },
  { "snap.musicbox", "track-1", 50 },
};

static void
test_apps_backup_restore (Fixture *f, gconstpointer arg)
{
  g_autofree char *dir = make_dir (f, "backups");
  g_autofree char *file = NULL;

  if (!start_with_apps (f, backup_apps, G_N_ELEMENTS (backup_apps)))
    return;

  /* The summary names the apps; a left-out license names its app. */
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "backup", dir, NULL);
    g_autofree char *size = NULL;
    g_autofree char *want = NULL;
    struct stat st;

    assert_exit (run, EXIT_OK);
    g_assert_cmpstr (run->err, ==, "");
    file = backup_file (dir);
    g_assert_cmpint (g_stat (file, &st), ==, 0);
    size = g_format_size (st.st_size);
    want = g_strdup_printf ("\nBacked up 5 licenses to %s (%s; org.example.Player: 2, "
                            "snap.musicbox: 1, other apps: 2).\n",
                            file, size);
    assert_contains (run->out, want);
    assert_contains (run->out, "\n2 licenses could not be backed up:\n");
    assert_contains (run->out, "\n  host-locked: no Backup right\n");
    assert_contains (run->out, "\n  player-locked (org.example.Player): no Backup right\n");
  }
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "backup", "--json", "--overwrite", dir, NULL);
    g_autoptr (JsonNode) root = NULL;
    JsonObject *o = run_json_object (run, &root);
    JsonObject *apps;
    JsonArray *restricted;

    assert_exit (run, EXIT_OK);
    if (o == NULL)
      return;
    g_assert_cmpint (obj_int (obj_obj (o, "summary"), "licenses"), ==, 5);
    apps = obj_obj (o, "apps");
    g_assert_cmpuint (json_object_get_size (apps), ==, 3);
    g_assert_cmpint (obj_int (apps, ""), ==, 2);
    g_assert_cmpint (obj_int (apps, "org.example.Player"), ==, 2);
    g_assert_cmpint (obj_int (apps, "snap.musicbox"), ==, 1);
    restricted = obj_array (o, "restricted");
    g_assert_cmpuint (json_array_get_length (restricted), ==, 2);
    for (guint i = 0; i < json_array_get_length (restricted); i++)
      {
        JsonObject *r = json_array_get_object_element (restricted, i);
        const char *key = obj_str (r, "key-id");

        g_assert_cmpstr (obj_str (r, "reason"), ==, "no-backup-right");
        if (g_str_equal (key, "player-locked"))
          g_assert_cmpstr (obj_str (r, "app"), ==, "org.example.Player");
        else
          {
            g_assert_cmpstr (key, ==, "host-locked");
            g_assert_cmpstr (obj_str (r, "app"), ==, "");
          }
      }
  }

  /* Each license goes back to its app. */
  {
    g_autoptr (ClientRun) d1
        = client_run (f, NULL, "delete", "--app", "org.example.Player", "player-1", NULL);
    g_autoptr (ClientRun) d2
        = client_run (f, NULL, "delete", "--app", "snap.musicbox", "track-1", NULL);
    g_autoptr (ClientRun) d3 = client_run (f, NULL, "delete", "host-1", NULL);

    assert_exit (d1, EXIT_OK);
    assert_exit (d2, EXIT_OK);
    assert_exit (d3, EXIT_OK);
  }
  g_free (file);
  file = backup_file (dir); /* the newest, which a restore reads */
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "restore", dir, NULL);
    g_autofree char *want = g_strdup_printf ("\nRestored 3 licenses from %s (2 already present, "
                                             "0 bound to this computer; org.example.Player: 1, "
                                             "snap.musicbox: 1, other apps: 1).\n",
                                             file);

    assert_exit (run, EXIT_OK);
    g_assert_cmpstr (run->err, ==, "");
    assert_contains (run->out, want);
  }
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "list", "--app", "snap.musicbox", NULL);
    g_autoptr (ClientRun) run2 = client_run (f, NULL, "list", "--app", "org.example.Player", NULL);

    assert_exit (run, EXIT_OK);
    g_assert_cmpstr (run->out, ==, "track-1  backup allowed\n");
    assert_exit (run2, EXIT_OK);
    g_assert_cmpstr (run2->out, ==,
                     "player-1  backup allowed\n"
                     "player-2  backup allowed\n"
                     "player-locked  no backup right\n");
  }
  {
    g_autoptr (ClientRun) d
        = client_run (f, NULL, "delete", "--app", "org.example.Player", "player-2", NULL);
    g_autoptr (ClientRun) run = client_run (f, NULL, "restore", "--json", dir, NULL);
    g_autoptr (JsonNode) root = NULL;
    JsonObject *o = run_json_object (run, &root);

    assert_exit (d, EXIT_OK);
    assert_exit (run, EXIT_OK);
    if (o == NULL)
      return;
    g_assert_cmpint (obj_int (obj_obj (o, "summary"), "licenses"), ==, 1);
    g_assert_cmpint (obj_int (obj_obj (o, "apps"), "org.example.Player"), ==, 1);
  }
  g_assert_cmpuint (license_count (f), ==, G_N_ELEMENTS (backup_apps));
}

/* A client in a (fake) Flatpak sandbox: its own licenses only, and a
 * clear refusal, exit status 12, for the rest. */
static void
test_apps_sandbox (Fixture *f, gconstpointer arg)
{
  static const AppLicense licenses[] = {
    { "", "host-1", 100 },
    { "org.example.Player", "player-1", 100 },
    { "org.example.Sandboxed", "own-1", 100 },
    { "org.example.Sandboxed", "own-2", 100 },
  };
  g_autofree char *dir = make_dir (f, "backups");
  g_autofree char *file = backup_file (dir);
  g_autoptr (Sandbox) sandbox = NULL;
  ClientOpts opts = { 0 };

  if (getuid () != 0)
    {
      g_test_skip ("needs root to make a mount namespace for the sandbox");
      return;
    }
  if (!start_with_apps (f, licenses, G_N_ELEMENTS (licenses)))
    return;
  sandbox = make_sandbox (f, "org.example.Sandboxed");
  opts.sandbox = sandbox;

  /* What an app may do: its own licenses, listed as a one-app store. */
  {
    g_autoptr (ClientRun) run = client_run (f, &opts, "list", NULL);

    if (run->status == SANDBOX_FAILED)
      {
        g_test_skip ("cannot make a mount namespace and chroot for the sandbox");
        return;
      }
    assert_exit (run, EXIT_OK);
    g_assert_cmpstr (run->err, ==, "");
    g_assert_cmpstr (run->out, ==, "own-1  backup allowed\nown-2  backup allowed\n");
  }
  {
    g_autoptr (ClientRun) run = client_run (f, &opts, "list", "--json", NULL);
    g_autoptr (JsonNode) root = NULL;
    JsonArray *array = run_json_array (run, &root);

    assert_exit (run, EXIT_OK);
    g_assert_true (array != NULL && json_array_get_length (array) == 2);
    for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
      g_assert_cmpstr (obj_str (json_array_get_object_element (array, i), "app"), ==,
                       "org.example.Sandboxed");
  }
  /* Another app's key id is not there for it. */
  {
    g_autoptr (ClientRun) run = client_run (f, &opts, "export", "player-1", NULL);

    assert_exit (run, EXIT_FAILED);
    assert_error_line (run, NULL);
  }
  {
    g_autoptr (ClientRun) run = client_run (f, &opts, "delete", "own-1", NULL);

    assert_exit (run, EXIT_OK);
    g_assert_cmpstr (run->out, ==, "Deleted the license “own-1”.\n");
  }

  /* What only the user's own tools may do. */
  {
    const char *const refused[][6] = {
      { "apps" },
      { "apps", "--json" },
      { "list", "--app", "org.example.Player" },
      { "export", "--app", "org.example.Player", "player-1" },
      { "delete", "--app", "", "host-1" },
      { "backup", dir },
      { "restore", dir },
      { "backup", "--automatic" },
      { "generations", dir },
      { "config", "automatic", "daily" },
      { "config", "keep-backups", "5" },
    };

    for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
      {
        g_autoptr (ClientRun) run = client_spawnv (f, &opts, refused[i]);

        client_wait (run, CLIENT_TIMEOUT_MS);
        assert_exit (run, EXIT_PERMISSION_DENIED);
        g_assert_cmpstr (run->out, ==, "");
        assert_error_line (run, "inside an app sandbox (Flatpak or Snap)");
      }
  }
  {
    g_autoptr (ClientRun) run = client_run (f, &opts, "--verbose", "apps", NULL);

    assert_exit (run, EXIT_PERMISSION_DENIED);
    assert_contains (run->err, error_name (LB_ERROR_PERMISSION_DENIED));
  }
  g_free (file);
  file = backup_file (dir);
  g_assert_false (g_file_test (file, G_FILE_TEST_EXISTS));
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "config", NULL);

    assert_exit (run, EXIT_OK);
    assert_contains (run->out, "automatic: weekly\nkeep-backups: 3\n");
  }

  /* Seen from the host: only own-1 went. */
  {
    g_autoptr (ClientRun) run
        = client_run (f, NULL, "list", "--app", "org.example.Sandboxed", NULL);

    assert_exit (run, EXIT_OK);
    g_assert_cmpstr (run->out, ==, "own-2  backup allowed\n");
  }
  g_assert_cmpuint (license_count (f), ==, G_N_ELEMENTS (licenses) - 1);
}

/* The tests */

static const TestCase tests[] = {
  { "cli/help", SETUP_NONE, DAEMON_FAST, test_cli_help },
  { "cli/version", SETUP_NONE, DAEMON_FAST, test_cli_version },
  { "cli/command-help", SETUP_NONE, DAEMON_FAST, test_cli_command_help },
  { "cli/usage-errors", SETUP_NONE, DAEMON_FAST, test_cli_usage_errors },
  { "cli/unreachable", SETUP_BUS, DAEMON_FAST, test_cli_unreachable },

  { "store/import-export", SETUP_DAEMON, DAEMON_FAST, test_store_import_export },
  { "store/delete", SETUP_DAEMON, DAEMON_FAST, test_store_delete },
  { "store/list", SETUP_DAEMON, DAEMON_FAST, test_store_list },
  { "store/list-paging", SETUP_DAEMON, DAEMON_FAST, test_store_list_paging },
  { "store/clean", SETUP_DAEMON, DAEMON_FAST, test_store_clean },
  { "store/config", SETUP_DAEMON, DAEMON_FAST, test_store_config },
  { "store/status", SETUP_DAEMON, DAEMON_FAST, test_store_status },

  { "backup/summary", SETUP_DAEMON, DAEMON_FAST, test_backup_summary },
  { "backup/exists-overwrite", SETUP_DAEMON, DAEMON_FAST, test_backup_exists_overwrite },
  { "backup/not-set", SETUP_DAEMON, DAEMON_FAST, test_backup_not_set },
  { "backup/json", SETUP_DAEMON, DAEMON_FAST, test_backup_json },

  { "restore/same-machine", SETUP_DAEMON, DAEMON_FAST, test_restore_same_machine },
  { "restore/corrupt", SETUP_DAEMON, DAEMON_FAST, test_restore_corrupt },
  { "restore/other-machine", SETUP_DAEMON, DAEMON_FAST, test_restore_other_machine },
  { "restore/restore-limit", SETUP_DAEMON, DAEMON_FAST, test_restore_limit },

  { "slow/progress-lines", SETUP_DAEMON, DAEMON_SLOW, test_slow_progress_lines },
  { "slow/cancel-by-other-client", SETUP_DAEMON, DAEMON_SLOW, test_slow_cancel_by_other_client },
  { "slow/cancel-restore", SETUP_DAEMON, DAEMON_SLOW, test_slow_cancel_restore },
  { "slow/busy", SETUP_DAEMON, DAEMON_SLOW, test_slow_busy },
  { "slow/ctrl-c", SETUP_DAEMON, DAEMON_SLOW, test_slow_ctrl_c },
  { "slow/ctrl-c-restore-json", SETUP_DAEMON, DAEMON_SLOW, test_slow_ctrl_c_restore_json },

  { "robust/daemon-dies", SETUP_DAEMON, DAEMON_SLOW, test_robust_daemon_dies },
  { "robust/daemon-dies-ctrl-c", SETUP_DAEMON, DAEMON_SLOW, test_robust_daemon_dies },

  { "tty/progress-bar", SETUP_DAEMON, DAEMON_SLOW, test_tty_progress_bar },
  { "tty/consent-yes", SETUP_DAEMON, DAEMON_FAST, test_tty_consent },
  { "tty/consent-no", SETUP_DAEMON, DAEMON_FAST, test_tty_consent },
  { "tty/yes-option", SETUP_DAEMON, DAEMON_FAST, test_tty_yes },
  { "tty/json", SETUP_DAEMON, DAEMON_SLOW, test_tty_json },

  { "i18n/german", SETUP_DAEMON, DAEMON_GERMAN, test_i18n_german },
  { "i18n/consent", SETUP_DAEMON, DAEMON_GERMAN, test_i18n_consent },

  { "nospace/backup", SETUP_BUS, DAEMON_FAST, test_nospace_backup },

  { "apps/apps", SETUP_BUS, DAEMON_FAST, test_apps_apps },
  { "apps/list", SETUP_BUS, DAEMON_FAST, test_apps_list },
  { "apps/list-paging", SETUP_BUS, DAEMON_FAST, test_apps_list_paging },
  { "apps/export-delete", SETUP_BUS, DAEMON_FAST, test_apps_export_delete },
  { "apps/bad-app", SETUP_BUS, DAEMON_FAST, test_apps_bad_app },
  { "apps/backup-restore", SETUP_BUS, DAEMON_FAST, test_apps_backup_restore },
  { "apps/sandbox", SETUP_BUS, DAEMON_FAST, test_apps_sandbox },
};

int
main (int argc, char **argv)
{
  lb_test_init (&argc, &argv);

  for (guint i = 0; i < G_N_ELEMENTS (tests); i++)
    {
      g_autofree char *path = g_strconcat ("/client/", tests[i].path, NULL);

      lb_test_check_group (tests[i].path, "tests/client/meson.build's client_test_groups");
      g_test_add (path, Fixture, &tests[i], setup, run, teardown);
    }
  return g_test_run ();
}
