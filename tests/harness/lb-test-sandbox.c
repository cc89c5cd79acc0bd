/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "lb-test-sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#if !defined(LB_BUILD_ROOT) || !defined(LB_SOURCE_ROOT)
#error "LB_BUILD_ROOT and LB_SOURCE_ROOT must be defined (meson's build and source roots)"
#endif

#define RUN_TIMEOUT_MS_DEFAULT 60000
#define POLL_MS 5

/* The fds bwrap gets: the data of /.flatpak-info, the proxy's --fd and
 * bwrap's --info-fd. */
#define FD_INFO_DATA 3
#define FD_PROXY_SYNC 4
#define FD_BWRAP_INFO 5

/* For LB_TEST_FLATPAK_INFO_SYMLINK: the link is relative, so that it
 * resolves inside the sandbox even when followed through /proc/PID/root. */
#define SYMLINK_DIR "/run/lb-test"
#define SYMLINK_FILE SYMLINK_DIR "/flatpak-info"
#define SYMLINK_TARGET "run/lb-test/flatpak-info"

/* Where flatpak puts the session bus socket (or its proxy's) in an app. */
#define SANDBOX_BUS_PATH "/run/flatpak/bus"

/* Run by /bin/sh for each snap program: says "ready" once it handles
 * signals, then waits for the SIGTERM that PR_SET_PDEATHSIG sends if the
 * test process dies first, kills what is left in the cgroup $1 (the
 * program's PR_SET_PDEATHSIG does not reach its children), removes it and
 * ends its own process group. Normally the test removes the cgroup and
 * kills it. */
#define CGROUP_WATCHDOG_SCRIPT                                            \
  "dir=$1\n"                                                              \
  "cleanup () {\n"                                                        \
  "  echo 1 > \"$dir/cgroup.kill\"\n"                                     \
  "  for p in $(cat \"$dir/cgroup.procs\"); do kill -KILL \"$p\"; done\n" \
  "  i=0\n"                                                               \
  "  while [ -d \"$dir\" ] && ! rmdir \"$dir\" && [ $i -lt 200 ]; do\n"   \
  "    sleep 0.05; i=$((i + 1))\n"                                        \
  "  done\n"                                                              \
  "  kill -KILL 0\n"                                                      \
  "}\n"                                                                   \
  "trap cleanup TERM HUP INT\n"                                           \
  "echo ready\n"                                                          \
  "while :; do sleep 3600 & wait; done\n"

/* A child that cannot enter its cgroup says so on stderr and exits 125. */
#define CGROUP_ENTER_FAILED "lb-test-sandbox: cannot enter the cgroup: errno "
#define CGROUP_ENTER_STATUS 125

static guint run_timeout_ms = RUN_TIMEOUT_MS_DEFAULT;

void
lb_test_sandbox_set_run_timeout (guint timeout_ms)
{
  run_timeout_ms = timeout_ms != 0 ? timeout_ms : RUN_TIMEOUT_MS_DEFAULT;
}

static gint64
deadline_in (guint ms)
{
  return g_get_monotonic_time () + (gint64) ms * 1000;
}

static void add (GPtrArray *argv, const char *first, ...) G_GNUC_NULL_TERMINATED;

static void
add (GPtrArray *argv, const char *first, ...)
{
  va_list ap;

  va_start (ap, first);
  for (const char *arg = first; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (argv, g_strdup (arg));
  va_end (ap);
}

/* Child setup */

typedef struct
{
  pid_t parent;
  const char *cgroup_procs; /* cgroup.procs of the cgroup to enter, or NULL */
} ChildSetup;

/* Async-signal-safe: "...errno N\n" on stderr. */
static void
write_enter_failure (int errsv)
{
  char buf[sizeof CGROUP_ENTER_FAILED + 16];
  size_t len = sizeof CGROUP_ENTER_FAILED - 1;
  char digits[12];
  int n = 0;

  memcpy (buf, CGROUP_ENTER_FAILED, len);
  do
    digits[n++] = (char) ('0' + errsv % 10);
  while ((errsv /= 10) > 0 && n < (int) sizeof digits);
  while (n > 0)
    buf[len++] = digits[--n];
  buf[len++] = '\n';
  if (write (STDERR_FILENO, buf, len) < 0)
    return;
}

/* Every process spawned here dies with the test process (bwrap passes it
 * on with --die-with-parent); snap programs enter their cgroup before exec,
 * so that nothing they do happens outside it. */
static void
child_setup (gpointer user_data)
{
  const ChildSetup *setup = user_data;
  int fd;

  lb_test_child_die_with (setup->parent, SIGKILL);
  if (setup->cgroup_procs == NULL)
    return;
  fd = open (setup->cgroup_procs, O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write (fd, "0", 1) != 1)
    {
      write_enter_failure (errno);
      _exit (CGROUP_ENTER_STATUS);
    }
  close (fd);
}

/* Waiting on a private main context, so that it works whatever the
 * caller's thread-default context is (and does not dispatch its sources) */

static gboolean
flag_is_set (gpointer flag)
{
  return *(const gboolean *) flag;
}

static gboolean
iterate_until (GMainContext *context, const gboolean *flag, gint64 deadline)
{
  return lb_test_wait_on_until (context, flag_is_set, (gpointer) flag, deadline);
}

typedef struct
{
  gboolean waited;       /* the wait callback ran */
  gboolean communicated; /* the communicate callback ran */
  GBytes *out;
  GBytes *err;
} Waits;

static void
waited_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Waits *waits = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  waits->waited = TRUE;
}

static void
communicated_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Waits *waits = user_data;

  g_subprocess_communicate_finish (G_SUBPROCESS (source), result, &waits->out, &waits->err, NULL);
  waits->communicated = TRUE;
}

/* Waits at most @timeout_ms for @process to exit; then kills it and waits
 * for that. */
static void
wait_or_kill (GSubprocess *process, guint timeout_ms)
{
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  Waits waits = { 0 };

  g_main_context_push_thread_default (context);
  g_subprocess_wait_async (process, cancellable, waited_cb, &waits);
  if (!iterate_until (context, &waits.waited, deadline_in (timeout_ms)))
    {
      g_subprocess_force_exit (process);
      if (!iterate_until (context, &waits.waited, deadline_in (LB_TEST_TIMEOUT_MS)))
        {
          /* The callback must run before @waits goes away. */
          g_cancellable_cancel (cancellable);
          iterate_until (context, &waits.waited, G_MAXINT64);
        }
    }
  g_main_context_pop_thread_default (context);
}

static char *
bytes_to_string (GBytes *bytes)
{
  gsize size = 0;
  const char *data = bytes != NULL ? g_bytes_get_data (bytes, &size) : NULL;
  char *string = g_malloc (size + 1);

  if (size > 0)
    memcpy (string, data, size);
  string[size] = '\0';
  return string;
}

static void cgroup_kill (const char *dir);

/* Spawns @argv with @launcher and waits (bounded by run_timeout_ms) for it
 * to exit and close its output; @program names it in errors. When
 * @cgroup_dir is set, what the program left running there (which may hold
 * its pipes) is killed once it exits. FALSE with an error if it could not
 * be spawned or had to be killed. */
static gboolean
run_bounded (GSubprocessLauncher *launcher,
             const char *const *argv,
             const char *program,
             const char *cgroup_dir,
             char **standard_output,
             char **standard_error,
             int *exit_status,
             GError **error)
{
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GSubprocess) process = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  Waits waits = { 0 };
  gboolean timed_out;
  int status = -1;

  g_main_context_push_thread_default (context);
  process = g_subprocess_launcher_spawnv (launcher, argv, error);
  if (process == NULL)
    {
      g_main_context_pop_thread_default (context);
      return FALSE;
    }
  g_subprocess_communicate_async (process, NULL, cancellable, communicated_cb, &waits);
  g_subprocess_wait_async (process, cancellable, waited_cb, &waits);
  timed_out = !iterate_until (context, &waits.waited, deadline_in (run_timeout_ms));
  if (timed_out)
    g_subprocess_force_exit (process);
  if (cgroup_dir != NULL)
    cgroup_kill (cgroup_dir);
  if (!iterate_until (context, &waits.waited, deadline_in (LB_TEST_TIMEOUT_MS))
      || !iterate_until (context, &waits.communicated, deadline_in (LB_TEST_TIMEOUT_MS)))
    {
      timed_out = TRUE;
      g_cancellable_cancel (cancellable);
      iterate_until (context, &waits.waited, G_MAXINT64);
      iterate_until (context, &waits.communicated, G_MAXINT64);
    }
  g_main_context_pop_thread_default (context);

  out = bytes_to_string (waits.out);
  err = bytes_to_string (waits.err);
  g_clear_pointer (&waits.out, g_bytes_unref);
  g_clear_pointer (&waits.err, g_bytes_unref);
  /* No identifier: it has exited and been reaped. */
  if (g_subprocess_get_identifier (process) == NULL)
    {
      if (g_subprocess_get_if_exited (process))
        status = g_subprocess_get_exit_status (process);
      else if (g_subprocess_get_if_signaled (process))
        status = 128 + g_subprocess_get_term_sig (process);
    }
  if (exit_status != NULL)
    *exit_status = status;
  if (timed_out)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                 "“%s” did not end within %u ms and was killed; its stderr: %s", program,
                 run_timeout_ms, err);
  if (standard_output != NULL)
    *standard_output = g_steal_pointer (&out);
  if (standard_error != NULL)
    *standard_error = g_steal_pointer (&err);
  return !timed_out;
}

/* The sandbox */

/* bwrap's arguments for a sandbox root built from pieces, as flatpak builds
 * one from a runtime: /usr and its merged-/usr links, /etc, /proc, /dev,
 * /tmp, and nothing of the host's own / (we may be root: a file created in
 * a bound / would land on the host). */
static GPtrArray *
bwrap_argv_new (const char *bwrap)
{
  static const char *const usr_links[] = { "bin", "lib", "lib32", "lib64", "libx32", "sbin" };
  GPtrArray *argv = g_ptr_array_new_with_free_func (g_free);

  add (argv, bwrap, "--ro-bind", "/usr", "/usr", NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (usr_links); i++)
    {
      g_autofree char *path = g_strconcat ("/", usr_links[i], NULL);
      g_autofree char *target = g_file_read_link (path, NULL);
      struct stat st;

      if (target != NULL)
        add (argv, "--symlink", target, path, NULL);
      else if (lstat (path, &st) == 0 && S_ISDIR (st.st_mode))
        add (argv, "--ro-bind", path, path, NULL);
    }
  add (argv, "--ro-bind", "/etc", "/etc", "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
       "--dir", "/run", "--die-with-parent", NULL);
  /* Unprivileged bwrap needs a user namespace. As root it works with or
   * without one; without, the app runs as the host's uid 0 (with no
   * capabilities), like an app of a user logged in as root. */
  if (geteuid () != 0)
    add (argv, "--unshare-user", NULL);
  return argv;
}

/* The socket of the first unix:path= address in @address, or NULL: an
 * abstract socket needs no binding, as the sandboxes keep the network
 * namespace. */
static char *
bus_socket_path (const char *address)
{
  g_auto (GStrv) addresses = g_strsplit (address, ";", -1);

  for (guint i = 0; addresses[i] != NULL; i++)
    {
      g_auto (GStrv) pairs = NULL;

      if (!g_str_has_prefix (addresses[i], "unix:"))
        continue;
      pairs = g_strsplit (addresses[i] + strlen ("unix:"), ",", -1);
      for (guint j = 0; pairs[j] != NULL; j++)
        if (g_str_has_prefix (pairs[j], "path="))
          return g_uri_unescape_string (pairs[j] + strlen ("path="), NULL);
    }
  return NULL;
}

/* What flatpak writes for an app: through the proxy with a talk policy for
 * the service, or with --socket=session-bus. */
static char *
flatpak_info_new (const char *app_id, gboolean proxied)
{
  return g_strdup_printf ("[Application]\n"
                          "name=%s\n"
                          "runtime=runtime/org.freedesktop.Platform/x86_64/23.08\n"
                          "\n"
                          "[Instance]\n"
                          "instance-id=%u\n"
                          "app-path=/var/lib/flatpak/app/%s/x86_64/stable/active/files\n"
                          "branch=stable\n"
                          "arch=x86_64\n"
                          "flatpak-version=1.14.4\n"
                          "session-bus-proxy=%s\n"
                          "system-bus-proxy=true\n"
                          "\n"
                          "[Context]\n"
                          "shared=ipc;\n"
                          "sockets=wayland;pulseaudio;%s\n"
                          "%s",
                          app_id, g_random_int (), app_id, proxied ? "true" : "false",
                          proxied ? "" : "session-bus;",
                          proxied ? "\n[Session Bus Policy]\n" LB_TEST_BUS_NAME "=talk\n" : "");
}

static int
memfd_with (const char *data, GError **error)
{
  int fd = memfd_create ("flatpak-info", MFD_CLOEXEC);
  size_t len = strlen (data);
  size_t done = 0;

  while (fd >= 0 && done < len)
    {
      ssize_t n = write (fd, data + done, len - done);

      if (n < 0 && errno != EINTR)
        {
          int errsv = errno;

          close (fd);
          errno = errsv;
          fd = -1;
        }
      else if (n > 0)
        done += (size_t) n;
    }
  if (fd < 0 || lseek (fd, 0, SEEK_SET) != 0)
    {
      int errsv = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   "Cannot make the data of /.flatpak-info: %s", g_strerror (errsv));
      if (fd >= 0)
        close (fd);
      return -1;
    }
  return fd;
}

/* Adds what makes /.flatpak-info as @info says, and sets *@data_fd to the
 * fd that bwrap must get as FD_INFO_DATA (-1: none). Like flatpak, the
 * proxy's is a --file and the app's a --ro-bind-data, both mode 0600. */
static gboolean
add_flatpak_info (GPtrArray *argv,
                  LbTestFlatpakInfo info,
                  const char *app_id,
                  const char *contents,
                  gboolean proxied,
                  int *data_fd,
                  GError **error)
{
  g_autofree char *generated = NULL;
  const char *data = contents;
  const char *dest = "/.flatpak-info";
  const char *perms = "0600";

  *data_fd = -1;
  switch (info)
    {
    case LB_TEST_FLATPAK_INFO_NORMAL:
      data = generated = flatpak_info_new (app_id, proxied);
      break;
    case LB_TEST_FLATPAK_INFO_CONTENTS:
      break;
    case LB_TEST_FLATPAK_INFO_SYMLINK:
      data = generated = flatpak_info_new (app_id, proxied);
      dest = SYMLINK_FILE;
      add (argv, "--dir", SYMLINK_DIR, "--symlink", SYMLINK_TARGET, "/.flatpak-info", NULL);
      break;
    case LB_TEST_FLATPAK_INFO_DIRECTORY:
      add (argv, "--dir", "/.flatpak-info", NULL);
      return TRUE;
    case LB_TEST_FLATPAK_INFO_UNREADABLE:
      data = generated = flatpak_info_new (app_id, proxied);
      perms = "0000";
      break;
    default:
      g_assert_not_reached ();
    }
  *data_fd = memfd_with (data, error);
  if (*data_fd < 0)
    return FALSE;
  add (argv, "--perms", perms, proxied ? "--file" : "--ro-bind-data", G_STRINGIFY (FD_INFO_DATA),
       dest, NULL);
  return TRUE;
}

static gboolean
check_app_args (const char *app_id, LbTestFlatpakInfo info, const char *contents)
{
  g_return_val_if_fail (
      info >= LB_TEST_FLATPAK_INFO_NORMAL && info <= LB_TEST_FLATPAK_INFO_UNREADABLE, FALSE);
  g_return_val_if_fail ((info == LB_TEST_FLATPAK_INFO_CONTENTS) == (contents != NULL), FALSE);
  g_return_val_if_fail (app_id != NULL || info == LB_TEST_FLATPAK_INFO_CONTENTS
                            || info == LB_TEST_FLATPAK_INFO_DIRECTORY,
                        FALSE);
  return TRUE;
}

static gboolean
probe_sandbox (char **reason)
{
  g_autofree char *bwrap = g_find_program_in_path ("bwrap");
  g_autofree char *proxy = g_find_program_in_path ("xdg-dbus-proxy");
  g_autoptr (GPtrArray) argv = NULL;
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *output = NULL;
  ChildSetup setup = { getpid (), NULL };

  if (bwrap == NULL)
    {
      *reason = g_strdup ("bwrap is not in PATH (Debian package bubblewrap)");
      return FALSE;
    }
  if (proxy == NULL)
    {
      *reason = g_strdup ("xdg-dbus-proxy is not in PATH (Debian package xdg-dbus-proxy)");
      return FALSE;
    }
  /* The namespaces that the app sandboxes use. */
  argv = bwrap_argv_new (bwrap);
  add (argv, "--unshare-pid", "--unshare-ipc", "--", proxy, "--version", NULL);
  g_ptr_array_add (argv, NULL);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                        | G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, &setup, NULL);
  process = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, &error);
  if (process == NULL
      || !g_subprocess_communicate_utf8 (process, NULL, NULL, &output, NULL, &error))
    {
      *reason = g_strdup_printf ("cannot run bwrap: %s", error->message);
      return FALSE;
    }
  if (!g_subprocess_get_successful (process) || !g_str_has_prefix (output, "xdg-dbus-proxy"))
    {
      *reason = g_strdup_printf ("bwrap cannot make a sandbox here (%s): %s",
                                 geteuid () == 0 ? "as root" : "without root, with --unshare-user",
                                 g_strstrip (output));
      return FALSE;
    }
  return TRUE;
}

/* What a probe (probe_sandbox(), probe_snap()) found, once. */
typedef struct
{
  gsize once;
  gboolean available;
  char *why;
} Probe;

/* Runs @func the first time only: whether what it probes is there, and if
 * not, why in *@reason (optional). */
static gboolean
probe_once (Probe *probe, gboolean (*func) (char **reason), char **reason)
{
  if (g_once_init_enter (&probe->once))
    {
      probe->available = func (&probe->why);
      g_once_init_leave (&probe->once, 1);
    }
  if (!probe->available && reason != NULL)
    *reason = g_strdup (probe->why);
  return probe->available;
}

gboolean
lb_test_sandbox_available (char **reason)
{
  static Probe probe;

  return probe_once (&probe, probe_sandbox, reason);
}

void
lb_test_sandbox_require (void)
{
  g_autofree char *reason = NULL;

  if (lb_test_sandbox_available (&reason))
    return;
  g_print ("1..0 # SKIP %s\n", reason);
  g_printerr ("Skipped: %s\n", reason);
  exit (77);
}

/* Apps behind xdg-dbus-proxy */

struct _LbTestApp
{
  char *dir; /* the app's own: the proxy's socket directory and its log */
  char *socket_path;
  char *address;
  char *log_path;
  GSubprocess *bwrap;
  GPid proxy_pid;
  int sync_fd; /* the proxy stops when this closes, as when a flatpak app ends */
};

/* Reads up to @size bytes from @fd, until EOF or @deadline. */
static gsize
read_until (int fd, char *buf, gsize size, gint64 deadline)
{
  gsize done = 0;

  while (done < size)
    {
      gint64 left_ms = (deadline - g_get_monotonic_time ()) / 1000;
      struct pollfd pfd = { fd, POLLIN, 0 };
      ssize_t n;
      int ready;

      if (left_ms <= 0)
        break;
      ready = poll (&pfd, 1, (int) MIN (left_ms, G_MAXINT));
      if (ready < 0 && errno == EINTR)
        continue;
      if (ready <= 0)
        break;
      n = read (fd, buf + done, size - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      done += (gsize) n;
    }
  return done;
}

LbTestApp *
lb_test_app_new (LbTestBus *bus, const char *app_id, LbTestFlatpakInfo info, const char *contents)
{
  g_autoptr (LbTestApp) app = NULL;
  g_autoptr (GPtrArray) argv = NULL;
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *bwrap = g_find_program_in_path ("bwrap");
  g_autofree char *proxy = g_find_program_in_path ("xdg-dbus-proxy");
  g_autofree char *proxy_dir = NULL;
  g_autofree char *escaped = NULL;
  g_autofree char *bus_socket = NULL;
  g_autofree char *fd_arg = g_strdup_printf ("--fd=%d", FD_PROXY_SYNC);
  const char *bus_address = lb_test_bus_get_address (bus);
  ChildSetup setup = { getpid (), NULL };
  char info_json[512] = "";
  const char *child_pid;
  gint64 deadline;
  int sync_fds[2];
  int info_fds[2];
  int data_fd;
  char ready;

  if (!check_app_args (app_id, info, contents))
    return NULL;
  if (bwrap == NULL || proxy == NULL || bus_address == NULL)
    {
      g_test_fail_printf ("no bus, or bwrap or xdg-dbus-proxy is not in PATH (call "
                          "lb_test_sandbox_require() first)");
      return NULL;
    }
  app = g_new0 (LbTestApp, 1);
  app->sync_fd = -1;
  app->dir = lb_test_make_tmp_dir ("app");
  proxy_dir = g_build_filename (app->dir, "proxy", NULL);
  g_assert_cmpint (g_mkdir (proxy_dir, 0700), ==, 0);
  app->socket_path = g_build_filename (proxy_dir, "bus", NULL);
  escaped = g_dbus_address_escape_value (app->socket_path);
  app->address = g_strconcat ("unix:path=", escaped, NULL);
  app->log_path = g_build_filename (app->dir, "proxy.log", NULL);

  /* As flatpak starts it: the host's bus socket, the proxy's own socket
   * directory and /.flatpak-info, no pid namespace (the pid is then the
   * proxy's, not a bwrap reaper's). */
  argv = bwrap_argv_new (bwrap);
  bus_socket = bus_socket_path (bus_address);
  if (bus_socket != NULL)
    add (argv, "--ro-bind", bus_socket, bus_socket, NULL);
  add (argv, "--bind", proxy_dir, proxy_dir, NULL);
  if (!add_flatpak_info (argv, info, app_id, contents, TRUE, &data_fd, &error))
    {
      g_assert_no_error (error);
      return NULL;
    }
  add (argv, "--info-fd", G_STRINGIFY (FD_BWRAP_INFO), "--", proxy, fd_arg, bus_address,
       app->socket_path, "--filter", "--talk=" LB_TEST_BUS_NAME, NULL);
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_subprocess_launcher_set_stdout_file_path (launcher, app->log_path);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, &setup, NULL);
  if (data_fd >= 0)
    g_subprocess_launcher_take_fd (launcher, data_fd, FD_INFO_DATA);
  if (!g_unix_open_pipe (sync_fds, FD_CLOEXEC, &error))
    {
      g_assert_no_error (error);
      return NULL;
    }
  app->sync_fd = sync_fds[0];
  g_subprocess_launcher_take_fd (launcher, sync_fds[1], FD_PROXY_SYNC);
  if (!g_unix_open_pipe (info_fds, FD_CLOEXEC, &error))
    {
      g_assert_no_error (error);
      return NULL;
    }
  g_subprocess_launcher_take_fd (launcher, info_fds[1], FD_BWRAP_INFO);
  app->bwrap = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, &error);
  /* Our copies of the write ends: if they stayed open, a proxy that failed
   * to start would not read as EOF. */
  g_subprocess_launcher_close (launcher);
  g_assert_no_error (error);
  if (app->bwrap == NULL)
    {
      close (info_fds[0]);
      return NULL;
    }

  /* bwrap writes {"child-pid": N, ...} and closes it before the exec. */
  deadline = deadline_in (LB_TEST_TIMEOUT_MS);
  read_until (info_fds[0], info_json, sizeof info_json - 1, deadline);
  close (info_fds[0]);
  child_pid = strstr (info_json, "\"child-pid\":");
  if (child_pid != NULL)
    app->proxy_pid = (GPid) strtol (child_pid + strlen ("\"child-pid\":"), NULL, 10);
  if (app->proxy_pid <= 0 || read_until (app->sync_fd, &ready, 1, deadline) != 1)
    {
      g_autofree char *log = NULL;

      g_file_get_contents (app->log_path, &log, NULL, NULL);
      g_test_fail_printf ("xdg-dbus-proxy in bwrap did not start listening within %d ms; its "
                          "log: %s",
                          LB_TEST_TIMEOUT_MS, log != NULL ? log : "(none)");
      return NULL;
    }
  return g_steal_pointer (&app);
}

GDBusConnection *
lb_test_app_connect (LbTestApp *app, GError **error)
{
  GDBusConnectionFlags flags = G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT
                               | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION;

  g_return_val_if_fail (app != NULL, NULL);
  return g_dbus_connection_new_for_address_sync (app->address, flags, NULL, NULL, error);
}

const char *
lb_test_app_get_address (LbTestApp *app)
{
  return app->address;
}

GPid
lb_test_app_get_proxy_pid (LbTestApp *app)
{
  return app->proxy_pid;
}

void
lb_test_app_free (LbTestApp *app)
{
  if (app == NULL)
    return;
  if (app->sync_fd >= 0)
    close (app->sync_fd);
  if (app->bwrap != NULL)
    {
      wait_or_kill (app->bwrap, LB_TEST_TIMEOUT_MS);
      g_object_unref (app->bwrap);
    }
  lb_test_rm_rf (app->dir);
  g_free (app->dir);
  g_free (app->socket_path);
  g_free (app->address);
  g_free (app->log_path);
  g_free (app);
}

/* Apps with the bus socket */

/* Sets NAME=VALUE entries of @envp in @env (a NAME alone unsets it). */
static char **
environ_add (char **env, const char *const *envp)
{
  for (guint i = 0; envp != NULL && envp[i] != NULL; i++)
    {
      const char *eq = strchr (envp[i], '=');
      g_autofree char *name
          = eq != NULL ? g_strndup (envp[i], (gsize) (eq - envp[i])) : g_strdup (envp[i]);

      env = eq != NULL ? g_environ_setenv (env, name, eq + 1, TRUE)
                       : g_environ_unsetenv (env, name);
    }
  return env;
}

static gboolean
is_below (const char *path, const char *dir)
{
  gsize len = strlen (dir);

  return strncmp (path, dir, len) == 0 && (path[len] == '/' || path[len] == '\0');
}

/* Read-only, so that programs from the build (and data from the source
 * tree) run inside; never the host's /. */
static void
add_tree (GPtrArray *argv, const char *dir)
{
  if (strcmp (dir, "/") != 0 && g_file_test (dir, G_FILE_TEST_IS_DIR))
    add (argv, "--ro-bind", dir, dir, NULL);
}

gboolean
lb_test_app_run_direct (LbTestBus *bus,
                        const char *app_id,
                        LbTestFlatpakInfo info,
                        const char *contents,
                        const char *const *argv,
                        const char *const *envp,
                        char **standard_output,
                        char **standard_error,
                        int *exit_status,
                        GError **error)
{
  g_autofree char *bwrap = g_find_program_in_path ("bwrap");
  g_autoptr (GPtrArray) bwrap_argv = NULL;
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_auto (GStrv) env = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *home = NULL;
  g_autofree char *var_app = NULL;
  g_autofree char *runtime_dir = g_strdup_printf ("/run/user/%u", (guint) getuid ());
  g_autofree char *bus_socket = NULL;
  const char *bus_address = lb_test_bus_get_address (bus);
  ChildSetup setup = { getpid (), NULL };
  int data_fd;
  gboolean ok;

  if (!check_app_args (app_id, info, contents))
    return FALSE;
  g_return_val_if_fail (argv != NULL && argv[0] != NULL, FALSE);
  if (bwrap == NULL || bus_address == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "no bus, or bwrap is not in PATH (call lb_test_sandbox_require() first)");
      return FALSE;
    }

  /* The app's own directory holds its HOME, with the XDG directories that
   * flatpak gives it under ~/.var/app/APP_ID. */
  dir = lb_test_make_tmp_dir ("app");
  home = g_build_filename (dir, "home", NULL);
  var_app = g_build_filename (home, ".var", "app", app_id != NULL ? app_id : "unknown", NULL);
  env = g_get_environ ();
  env = g_environ_setenv (env, "HOME", home, TRUE);
  for (guint i = 0; i < 3; i++)
    {
      static const char *const names[] = { "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME" };
      static const char *const subdirs[] = { "data", "config", "cache" };
      g_autofree char *path = g_build_filename (var_app, subdirs[i], NULL);

      g_mkdir_with_parents (path, 0700);
      env = g_environ_setenv (env, names[i], path, TRUE);
    }
  env = g_environ_setenv (env, "XDG_RUNTIME_DIR", runtime_dir, TRUE);
  env = g_environ_unsetenv (env, "DBUS_SYSTEM_BUS_ADDRESS");
  if (app_id != NULL)
    env = g_environ_setenv (env, "FLATPAK_ID", app_id, TRUE);

  /* As flatpak runs an app: its own pid namespace, the bus socket at
   * /run/flatpak/bus. */
  bwrap_argv = bwrap_argv_new (bwrap);
  add (bwrap_argv, "--unshare-pid", "--unshare-ipc", "--perms", "0700", "--dir", runtime_dir, NULL);
  bus_socket = bus_socket_path (bus_address);
  if (bus_socket != NULL)
    {
      add (bwrap_argv, "--ro-bind", bus_socket, SANDBOX_BUS_PATH, NULL);
      env = g_environ_setenv (env, "DBUS_SESSION_BUS_ADDRESS", "unix:path=" SANDBOX_BUS_PATH, TRUE);
    }
  else
    env = g_environ_setenv (env, "DBUS_SESSION_BUS_ADDRESS", bus_address, TRUE);
  env = environ_add (env, envp);
  add_tree (bwrap_argv, LB_SOURCE_ROOT);
  add_tree (bwrap_argv, LB_BUILD_ROOT);
  if (g_path_is_absolute (argv[0]) && !is_below (argv[0], "/usr")
      && !is_below (argv[0], LB_SOURCE_ROOT) && !is_below (argv[0], LB_BUILD_ROOT))
    {
      g_autofree char *program_dir = g_path_get_dirname (argv[0]);

      add_tree (bwrap_argv, program_dir);
    }
  add (bwrap_argv, "--bind", dir, dir, NULL);
  if (!add_flatpak_info (bwrap_argv, info, app_id, contents, FALSE, &data_fd, error))
    {
      lb_test_rm_rf (dir);
      return FALSE;
    }
  add (bwrap_argv, "--chdir", home, "--", NULL);
  for (guint i = 0; argv[i] != NULL; i++)
    add (bwrap_argv, argv[i], NULL);
  g_ptr_array_add (bwrap_argv, NULL);

  launcher
      = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_set_environ (launcher, env);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, &setup, NULL);
  if (data_fd >= 0)
    g_subprocess_launcher_take_fd (launcher, data_fd, FD_INFO_DATA);
  /* Killing bwrap ends the pid namespace, so nothing outlives it. */
  ok = run_bounded (launcher, (const char *const *) bwrap_argv->pdata, argv[0], NULL,
                    standard_output, standard_error, exit_status, error);
  g_subprocess_launcher_close (launcher);
  lb_test_rm_rf (dir);
  return ok;
}

/* Snaps */

static char *snap_parent; /* where the snap cgroups go, once probed */

static gboolean
write_string (const char *path, const char *value)
{
  int fd = open (path, O_WRONLY | O_CLOEXEC);
  gboolean ok;

  if (fd < 0)
    return FALSE;
  ok = write (fd, value, strlen (value)) == (ssize_t) strlen (value);
  close (fd);
  return ok;
}

/* Kills everything in the cgroup @dir. */
static void
cgroup_kill (const char *dir)
{
  g_autofree char *kill_path = g_build_filename (dir, "cgroup.kill", NULL);
  g_autofree char *procs_path = NULL;
  g_autofree char *procs = NULL;
  g_auto (GStrv) pids = NULL;

  /* Linux 5.14; before it, one by one (a fork in between may escape). */
  if (write_string (kill_path, "1"))
    return;
  procs_path = g_build_filename (dir, "cgroup.procs", NULL);
  if (!g_file_get_contents (procs_path, &procs, NULL, NULL))
    return;
  pids = g_strsplit (procs, "\n", -1);
  for (guint i = 0; pids[i] != NULL; i++)
    if (pids[i][0] != '\0')
      kill ((pid_t) strtol (pids[i], NULL, 10), SIGKILL);
}

/* Kills what is left in the cgroup @dir and removes it; a cgroup is busy
 * until its last process has exited. */
static gboolean
cgroup_remove (const char *dir, GError **error)
{
  gint64 deadline = deadline_in (LB_TEST_TIMEOUT_MS);

  while (g_rmdir (dir) != 0)
    {
      int errsv = errno;

      if (errsv == ENOENT)
        return TRUE;
      if (errsv != EBUSY || g_get_monotonic_time () >= deadline)
        {
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                       "Cannot remove the cgroup %s: %s", dir, g_strerror (errsv));
          return FALSE;
        }
      cgroup_kill (dir);
      g_usleep (POLL_MS * 1000);
    }
  return TRUE;
}

/* The mount point of the cgroup v2 hierarchy (/sys/fs/cgroup, or
 * /sys/fs/cgroup/unified on a hybrid system), or NULL with *@reason. */
static char *
find_cgroup2_mount (char **reason)
{
  g_autofree char *mountinfo = NULL;
  g_auto (GStrv) lines = NULL;
  g_autofree char *found = NULL;
  gboolean read_only = FALSE;

  if (!g_file_get_contents ("/proc/self/mountinfo", &mountinfo, NULL, NULL))
    {
      *reason = g_strdup ("cannot read /proc/self/mountinfo");
      return NULL;
    }
  lines = g_strsplit (mountinfo, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      /* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE ... */
      const char *sep = strstr (lines[i], " - ");
      g_auto (GStrv) fields = NULL;
      gboolean ro;

      if (sep == NULL || !g_str_has_prefix (sep, " - cgroup2 "))
        continue;
      fields = g_strsplit (lines[i], " ", 7);
      if (g_strv_length (fields) < 7 || strcmp (fields[3], "/") != 0)
        continue;
      ro = strcmp (fields[5], "ro") == 0 || g_str_has_prefix (fields[5], "ro,");
      if (found == NULL || strcmp (fields[4], "/sys/fs/cgroup") == 0)
        {
          g_free (found);
          found = g_strdup (fields[4]);
          read_only = ro;
        }
    }
  if (found == NULL)
    *reason = g_strdup ("no cgroup v2 hierarchy is mounted");
  else if (read_only)
    *reason = g_strdup_printf ("the cgroup v2 hierarchy at %s is mounted read-only", found);
  else
    return g_steal_pointer (&found);
  return NULL;
}

/* The test process's own cgroup v2 directory, or NULL with *@reason. */
static char *
find_own_cgroup (char **reason)
{
  g_autofree char *mount = find_cgroup2_mount (reason);
  g_autofree char *cgroups = NULL;
  g_auto (GStrv) lines = NULL;

  if (mount == NULL)
    return NULL;
  if (!g_file_get_contents ("/proc/self/cgroup", &cgroups, NULL, NULL))
    {
      *reason = g_strdup ("cannot read /proc/self/cgroup");
      return NULL;
    }
  lines = g_strsplit (cgroups, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], "0::/"))
      return strcmp (lines[i], "0::/") == 0
                 ? g_steal_pointer (&mount)
                 : g_build_filename (mount, lines[i] + strlen ("0::"), NULL);
  *reason = g_strdup ("/proc/self/cgroup has no cgroup v2 line");
  return NULL;
}

/* Whether a child can be moved into a new cgroup below ours: what
 * lb_test_snap_run() does. */
static gboolean
probe_snap (char **reason)
{
  g_autofree char *parent = find_own_cgroup (reason);
  g_autofree char *uuid = g_uuid_string_random ();
  g_autofree char *dir = NULL;
  g_autofree char *procs = NULL;
  g_autofree char *err = NULL;
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GError) error = NULL;
  ChildSetup setup = { getpid (), NULL };
  gboolean ok;

  if (parent == NULL)
    return FALSE;
  dir = g_strdup_printf ("%s/lb-test-probe-%s", parent, uuid);
  if (g_mkdir (dir, 0755) != 0)
    {
      int errsv = errno;

      *reason = g_strdup_printf ("cannot create a cgroup in %s (%s): %s", parent,
                                 geteuid () == 0 ? "as root" : "not root", g_strerror (errsv));
      return FALSE;
    }
  procs = g_build_filename (dir, "cgroup.procs", NULL);
  setup.cgroup_procs = procs;
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, &setup, NULL);
  process = g_subprocess_launcher_spawn (launcher, &error, "true", NULL);
  ok = process != NULL && g_subprocess_communicate_utf8 (process, NULL, NULL, NULL, &err, &error)
       && g_subprocess_get_successful (process);
  if (!ok)
    *reason = g_strdup_printf ("cannot move a process into a new cgroup in %s: %s", parent,
                               error != NULL ? error->message : g_strstrip (err));
  if (!cgroup_remove (dir, &error) && ok)
    {
      *reason = g_strdup (error->message);
      ok = FALSE;
    }
  if (ok)
    snap_parent = g_steal_pointer (&parent);
  return ok;
}

gboolean
lb_test_snap_available (char **reason)
{
  static Probe probe;

  return probe_once (&probe, probe_snap, reason);
}

/* Starts the watchdog of the cgroup @dir; NULL with @error if it does not
 * say it is ready. */
static GSubprocess *
watchdog_start (const char *dir, GError **error)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GSubprocess) watchdog = NULL;
  g_autoptr (GDataInputStream) out = NULL;
  g_autofree char *ready = NULL;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                        | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_subprocess_launcher_set_child_setup (launcher, lb_test_child_setup_detached,
                                         GINT_TO_POINTER ((int) getpid ()), NULL);
  watchdog = g_subprocess_launcher_spawn (launcher, error, "/bin/sh", "-c", CGROUP_WATCHDOG_SCRIPT,
                                          "lb-test-cgroup-watchdog", dir, NULL);
  if (watchdog == NULL)
    return NULL;
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (watchdog));
  ready = g_data_input_stream_read_line (out, NULL, NULL, error);
  if (g_strcmp0 (ready, "ready") != 0)
    {
      if (ready != NULL || (error != NULL && *error == NULL))
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "The cgroup watchdog did not start");
      g_subprocess_force_exit (watchdog);
      wait_or_kill (watchdog, LB_TEST_TIMEOUT_MS);
      return NULL;
    }
  return g_steal_pointer (&watchdog);
}

/* Ends the watchdog and its sleep (its process group). */
static void
watchdog_stop (GSubprocess *watchdog)
{
  const char *pid = g_subprocess_get_identifier (watchdog);

  if (pid != NULL)
    kill (-(pid_t) strtol (pid, NULL, 10), SIGKILL);
  wait_or_kill (watchdog, LB_TEST_TIMEOUT_MS);
}

gboolean
lb_test_snap_run (LbTestBus *bus,
                  const char *snap_name,
                  const char *const *argv,
                  const char *const *envp,
                  char **standard_output,
                  char **standard_error,
                  int *exit_status,
                  GError **error)
{
  g_autofree char *reason = NULL;
  g_autofree char *uuid = g_uuid_string_random ();
  g_autofree char *dir = NULL;
  g_autofree char *procs = NULL;
  g_autofree char *err = NULL;
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GSubprocess) watchdog = NULL;
  g_autoptr (GError) remove_error = NULL;
  g_auto (GStrv) env = NULL;
  const char *bus_address = lb_test_bus_get_address (bus);
  const char *failure;
  ChildSetup setup = { getpid (), NULL };
  gboolean ok;

  g_return_val_if_fail (
      snap_name != NULL && snap_name[0] != '\0' && strpbrk (snap_name, "./") == NULL, FALSE);
  g_return_val_if_fail (argv != NULL && argv[0] != NULL, FALSE);
  if (!lb_test_snap_available (&reason))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, "%s", reason);
      return FALSE;
    }
  dir = g_strdup_printf ("%s/snap.%s.%s-%s.scope", snap_parent, snap_name, snap_name, uuid);
  if (g_mkdir (dir, 0755) != 0)
    {
      int errsv = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv), "Cannot create %s: %s", dir,
                   g_strerror (errsv));
      return FALSE;
    }
  watchdog = watchdog_start (dir, error);
  if (watchdog == NULL)
    {
      g_rmdir (dir);
      return FALSE;
    }
  procs = g_build_filename (dir, "cgroup.procs", NULL);
  setup.cgroup_procs = procs;

  env = g_get_environ ();
  if (bus_address != NULL)
    env = g_environ_setenv (env, "DBUS_SESSION_BUS_ADDRESS", bus_address, TRUE);
  env = g_environ_setenv (env, "SNAP_NAME", snap_name, TRUE);
  env = g_environ_setenv (env, "SNAP_INSTANCE_NAME", snap_name, TRUE);
  env = environ_add (env, envp);
  launcher
      = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_set_environ (launcher, env);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, &setup, NULL);
  ok = run_bounded (launcher, argv, argv[0], dir, standard_output, &err, exit_status, error);
  if (!cgroup_remove (dir, &remove_error) && ok)
    {
      g_propagate_error (error, g_steal_pointer (&remove_error));
      ok = FALSE;
    }
  watchdog_stop (watchdog);
  failure = err != NULL ? strstr (err, CGROUP_ENTER_FAILED) : NULL;
  if (ok && failure != NULL)
    {
      int errsv = (int) strtol (failure + strlen (CGROUP_ENTER_FAILED), NULL, 10);

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   "Cannot move “%s” into the cgroup %s: %s", argv[0], dir, g_strerror (errsv));
      ok = FALSE;
    }
  if (standard_error != NULL)
    *standard_error = g_steal_pointer (&err);
  return ok;
}
