/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Backup locations a user can rely on (issue 14), against the real daemon:
 *
 *  - /locations/local/...: a missing backup folder is made (mode 0700); a
 *    restore without a restore folder uses the backup folder; what a folder
 *    may hold besides a backup (a FIFO, a socket, a device, a folder named
 *    licenses.lbk, a huge file, symbolic link loops, an unreadable file)
 *    ends with a named error, never a hang; SIGTERM ends a daemon whose
 *    worker is stuck within 5 s.
 *
 *  - /locations/sftp/...: a real sshd on 127.0.0.1 (its own configuration,
 *    host key and authorized key; no passwords, no PAM), an ssh-agent with
 *    the client key, and a private session bus whose service directories
 *    start gvfsd (the bus's environment holds SSH_AUTH_SOCK, so gvfsd-sftp
 *    inherits it; gvfsd-sftp trusts loopback without known_hosts). Backup
 *    and restore through sftp://, CONNECTING and DISCONNECTING in order,
 *    the server killed or stopped halfway, a server that only takes
 *    passwords, a cancel during the upload. These exit 77 (skipped),
 *    saying why, where sshd or GVfs cannot run.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "lb-archive.h"
#include "lb-test-util.h"

/* Bounds a user would accept; the operations themselves take far less. */
#define OP_TIMEOUT_MS 60000
#define ERROR_BOUND_MS 30000

/* Helpers */

/* The D-Bus error name a Completed carries, or "" on success. */
static const char *
completed_error_name (const LbTestCompleted *c)
{
  g_autoptr (GVariant) v = c->summary ? lb_test_vardict_lookup (c->summary, "error-name") : NULL;

  return v != NULL ? g_variant_get_string (v, NULL) : "";
}

static guint64
start_op (LbDBusManager *manager, gboolean restore, guint32 flags, const char *path, GError **error)
{
  return lb_test_start_operation (manager, restore, flags, lb_test_path_options (path), error);
}

static int
index_of (GArray *statuses, guint status)
{
  for (guint i = 0; i < statuses->len; i++)
    if (g_array_index (statuses, guint, i) == status)
      return (int) i;
  return -1;
}

/* Both in the progress signals and in the Status property, in order:
 * CONNECTING, then (later) DISCONNECTING. */
static void
assert_connecting_then_disconnecting (GArray *signal_statuses, GArray *property_statuses)
{
  GArray *both[] = { signal_statuses, property_statuses };

  for (guint i = 0; i < G_N_ELEMENTS (both); i++)
    {
      int c = index_of (both[i], LB_STATUS_CONNECTING);
      int d = index_of (both[i], LB_STATUS_DISCONNECTING);
      g_autoptr (GString) seen = g_string_new (NULL);

      for (guint j = 0; j < both[i]->len; j++)
        g_string_append_printf (seen, " %u", g_array_index (both[i], guint, j));
      g_test_message ("%s statuses:%s", i == 0 ? "progress signal" : "Status property", seen->str);
      if (c < 0 || d < 0 || c > d)
        g_test_fail_printf ("the %s did not show CONNECTING (4), then DISCONNECTING (5):%s",
                            i == 0 ? "progress signals" : "Status property", seen->str);
    }
}

/* Every Status value of the PropertiesChanged signals in @queue so far. */
static void
collect_status_property (LbTestSignalQueue *queue, GArray *out)
{
  for (;;)
    {
      g_autoptr (GVariant) params = lb_test_signal_queue_pop (queue, 0, NULL);
      g_autoptr (GVariant) changed = NULL;
      g_autoptr (GVariant) status = NULL;

      if (params == NULL)
        return;
      changed = g_variant_get_child_value (params, 1);
      status = lb_test_vardict_lookup (changed, "Status");
      if (status != NULL)
        {
          guint s = g_variant_get_uint32 (status);
          g_array_append_val (out, s);
        }
    }
}

static char *
read_all (const char *path)
{
  char *contents = NULL;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return NULL;
  return contents;
}

typedef struct
{
  const char *dir;
} TmpWait;

static gboolean
has_temporary (gpointer user_data)
{
  return lb_test_count_temporaries (((TmpWait *) user_data)->dir) > 0;
}

static void
child_dies_with_us (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

/* Local fixture */

typedef LbTestServiceFixture Local;

static gboolean
local_start (Local *f, const LbTestDaemonOptions *options)
{
  return lb_test_machine_start_service (f->machine, options, &f->store, &f->manager);
}

static void
local_setup (Local *f, gconstpointer data)
{
  lb_test_service_fixture_init (f);
}

static void
local_teardown (Local *f, gconstpointer data)
{
  lb_test_service_fixture_clear (f);
}

/* Runs one operation to its end: TRUE with *@c when it started, FALSE
 * with *@error when it was refused. */
static gboolean
run_op (
    Local *f, gboolean restore, guint32 flags, const char *path, LbTestCompleted *c, GError **error)
{
  guint64 id = start_op (f->manager, restore, flags, path, error);

  if (id == 0)
    return FALSE;
  return lb_test_completed_wait (c, f->queue, id, OP_TIMEOUT_MS, NULL);
}

/* A backup (to @given, else to BackupPath) that must succeed and make the
 * missing folder @made, mode 0700; FALSE if it was refused. */
static gboolean
backup_makes_folder (Local *f, const char *given, const char *made)
{
  g_autoptr (GError) error = NULL;
  g_auto (LbTestCompleted) c = { 0 };
  GStatBuf st;

  if (!run_op (f, FALSE, 0, given, &c, &error))
    {
      g_test_fail_printf ("backup to a missing %s refused: %s",
                          given != NULL ? "folder" : "BackupPath", error->message);
      return FALSE;
    }
  g_assert_cmpuint (c.status, ==, LB_STATUS_END);
  g_autofree char *file = lb_test_newest_backup (made);
  g_assert_true (g_file_test (file, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpint (g_stat (made, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 07777, ==, 0700);
  return TRUE;
}

/* A missing backup folder (and its missing parent) is made, mode 0700,
 * both for a folder given with the call and for the BackupPath setting
 * (`license-backup config backup-path ~/LicenseBackups`, then `backup`). */
static void
test_local_missing_folder (Local *f, gconstpointer data)
{
  g_autofree char *parent = g_build_filename (f->dir, "new", NULL);
  g_autofree char *folder = g_build_filename (parent, "licenses", NULL);
  g_autofree char *setting = g_build_filename (f->dir, "LicenseBackups", NULL);
  g_autoptr (GError) error = NULL;
  g_auto (LbTestCompleted) c = { 0 };
  GStatBuf st;

  if (!local_start (f, NULL))
    return;
  lb_test_store_many_ok (f->store, 3, "k", 64);
  if (!backup_makes_folder (f, folder, folder))
    return;
  g_assert_cmpint (g_stat (parent, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 07777, ==, 0700);

  lb_test_bus_set_manager_string (f->bus, "BackupPath", setting);
  if (!backup_makes_folder (f, NULL, setting))
    return;

  /* Restoring from a missing folder makes nothing. */
  g_free (folder);
  folder = g_build_filename (f->dir, "nothing-here", NULL);
  g_assert_false (run_op (f, TRUE, 0, folder, &c, &error));
  lb_test_assert_error_name (error, LB_ERROR_INVALID_ARGS);
  g_assert_false (g_file_test (folder, G_FILE_TEST_EXISTS));
}

/* A first backup into a folder that did not exist, cancelled halfway,
 * leaves no folder behind: neither the folder nor the parent it made. */
static void
test_local_cancel_leaves_no_folder (Local *f, gconstpointer data)
{
  g_autofree char *parent = g_build_filename (f->dir, "new", NULL);
  g_autofree char *folder = g_build_filename (parent, "licenses", NULL);
  g_autoptr (GError) error = NULL;
  g_auto (LbTestCompleted) c = { 0 };
  LbTestDaemonOptions options = { 0 };
  guint64 id;

  options.fault_delay_us = 20000;
  if (!local_start (f, &options))
    return;
  lb_test_store_many_ok (f->store, 300, "k", 64);
  id = start_op (f->manager, FALSE, 0, folder, &error);
  g_assert_no_error (error);
  lb_test_wait_licenses_done (f->bus, 20);
  g_assert_true (g_file_test (folder, G_FILE_TEST_IS_DIR));
  lb_dbus_manager_call_cancel_license_backup_sync (f->manager, NULL, &error);
  g_assert_no_error (error);
  if (!lb_test_completed_wait (&c, f->queue, id, OP_TIMEOUT_MS, NULL))
    return;
  g_assert_cmpuint (c.status, ==, LB_STATUS_ERROR);
  g_assert_false (g_file_test (folder, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (parent, G_FILE_TEST_EXISTS));
  /* The folder it was given exists: kept. */
  g_assert_true (g_file_test (f->dir, G_FILE_TEST_IS_DIR));
}

/* `license-backup restore` right after a backup: no RestorePath, so the
 * backup folder; with neither, NotSet. */
static void
test_local_restore_fallback (Local *f, gconstpointer data)
{
  g_autofree char *file = NULL;
  g_autofree char *uri = NULL;
  g_autoptr (GVariant) location = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (LbTestCompleted) c = { 0 };

  if (!local_start (f, NULL))
    return;
  g_assert_false (run_op (f, TRUE, 0, NULL, &c, &error));
  lb_test_assert_error_name (error, LB_ERROR_NOT_SET);
  g_clear_error (&error);

  lb_test_store_many_ok (f->store, 4, "k", 64);
  lb_test_bus_set_manager_string (f->bus, "BackupPath", f->dir);
  if (!run_op (f, FALSE, 0, NULL, &c, &error))
    return;
  g_assert_cmpuint (c.status, ==, LB_STATUS_END);
  lb_dbus_store_call_delete_license_sync (f->store, "k000002", NULL, &error);
  g_assert_no_error (error);

  if (!run_op (f, TRUE, 0, NULL, &c, &error))
    {
      g_test_fail_printf ("restore without a restore folder refused: %s", error->message);
      return;
    }
  g_assert_cmpuint (c.status, ==, LB_STATUS_END);
  g_assert_cmpuint (lb_test_bus_get_license_count (f->bus), ==, 4);
  location = lb_test_vardict_lookup (c.summary, "location");
  file = lb_test_newest_backup (f->dir);
  uri = g_filename_to_uri (file, NULL, NULL);
  g_assert_cmpstr (location != NULL ? g_variant_get_string (location, NULL) : "", ==, uri);
}

typedef enum
{
  THING_FIFO,
  THING_SOCKET,
  THING_DEVICE,
  THING_FOLDER,
  THING_HUGE,
  THING_LINK_LOOP,
  THING_FOLDER_LOOP,
  THING_UNREADABLE,
} Thing;

static const char *const thing_names[] = {
  "a FIFO",
  "a socket",
  "a device",
  "a folder",
  "a huge file",
  "a symbolic link loop",
  "a folder that is a symbolic link loop",
  "an unreadable file",
};

/* Puts @thing at @dir/licenses.lbk (or, for THING_FOLDER_LOOP, makes @dir
 * itself a loop). */
static gboolean
make_thing (const char *dir, Thing thing)
{
  g_autofree char *path = g_build_filename (dir, LB_BACKUP_FILE_NAME, NULL);

  switch (thing)
    {
    case THING_FIFO:
      return mkfifo (path, 0600) == 0;
    case THING_SOCKET:
      {
        struct sockaddr_un addr = { .sun_family = AF_UNIX };
        int fd = socket (AF_UNIX, SOCK_STREAM, 0);
        gboolean ok;

        g_strlcpy (addr.sun_path, path, sizeof addr.sun_path);
        ok = fd >= 0 && bind (fd, (struct sockaddr *) &addr, sizeof addr) == 0;
        if (fd >= 0)
          close (fd);
        return ok;
      }
    case THING_DEVICE:
      return symlink ("/dev/zero", path) == 0;
    case THING_FOLDER:
      return g_mkdir (path, 0700) == 0;
    case THING_HUGE:
      {
        /* 64 GiB, sparse: zeros, read as fast as the disk allows. */
        int fd = g_open (path, O_WRONLY | O_CREAT, 0600);
        gboolean ok = fd >= 0 && ftruncate (fd, (off_t) 64 << 30) == 0;

        if (fd >= 0)
          close (fd);
        return ok;
      }
    case THING_LINK_LOOP:
      return symlink (LB_BACKUP_FILE_NAME, path) == 0;
    case THING_FOLDER_LOOP:
      lb_test_rm_rf (dir);
      return symlink (dir, dir) == 0;
    case THING_UNREADABLE:
      return g_file_set_contents (path, "not readable", -1, NULL) && g_chmod (path, 0) == 0;
    }
  return FALSE;
}

/* A daemon without the capabilities that let root read anything (as in
 * tests/reliability): a wrapper script given as LB_DAEMON_PATH. */
static char *
unprivileged_daemon (const char *dir)
{
  g_autofree char *setpriv = g_find_program_in_path ("setpriv");
  g_autofree char *script = NULL;
  char *path = g_build_filename (dir, "daemon-no-dac.sh", NULL);
  const char *caps = "-dac_override,-dac_read_search,-fowner";
  int status = -1;

  if (setpriv == NULL
      || !g_spawn_sync (NULL,
                        (char *[]){ setpriv, (char *) "--inh-caps=-dac_override",
                                    (char *) "--bounding-set=-dac_override", (char *) "true",
                                    NULL },
                        NULL, G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
                        NULL, NULL, &status, NULL)
      || !g_spawn_check_wait_status (status, NULL))
    {
      g_free (path);
      return NULL;
    }
  script = g_strdup_printf ("#!/bin/sh\nexec %s --inh-caps=%s --bounding-set=%s %s \"$@\"\n",
                            setpriv, caps, caps, lb_test_get_daemon_path ());
  if (!g_file_set_contents (path, script, -1, NULL) || g_chmod (path, 0755) != 0)
    g_clear_pointer (&path, g_free);
  return path;
}

/* What a folder may hold besides a backup: a backup over it and a
 * restore from it each end with a named error (refused at once, or
 * completed with it), never a hang, and nothing is replaced or made. */
static void
test_local_no_hang (Local *f, gconstpointer data)
{
  Thing thing = GPOINTER_TO_INT (data);
  g_autofree char *folder = g_build_filename (f->dir, "f", NULL);
  g_autofree char *wrapper = NULL;
  const LbError backup_want[] = {
    [THING_FIFO] = LB_ERROR_INVALID_ARGS,
    [THING_SOCKET] = LB_ERROR_INVALID_ARGS,
    [THING_DEVICE] = LB_ERROR_INVALID_ARGS,
    [THING_FOLDER] = LB_ERROR_INVALID_ARGS,
    [THING_HUGE] = 0, /* replaced: it is a regular file */
    [THING_LINK_LOOP] = LB_ERROR_INVALID_ARGS,
    [THING_FOLDER_LOOP] = LB_ERROR_INVALID_ARGS,
    [THING_UNREADABLE] = 0,
  };
  const LbError restore_want[] = {
    [THING_FIFO] = LB_ERROR_INVALID_ARGS,        [THING_SOCKET] = LB_ERROR_INVALID_ARGS,
    [THING_DEVICE] = LB_ERROR_INVALID_ARGS,      [THING_FOLDER] = LB_ERROR_INVALID_ARGS,
    [THING_HUGE] = LB_ERROR_BACKUP_CORRUPT,      [THING_LINK_LOOP] = LB_ERROR_INVALID_ARGS,
    [THING_FOLDER_LOOP] = LB_ERROR_INVALID_ARGS, [THING_UNREADABLE] = LB_ERROR_PERMISSION_DENIED,
  };
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (g_mkdir (folder, 0700), ==, 0);
  if (thing == THING_UNREADABLE && getuid () == 0)
    {
      wrapper = unprivileged_daemon (f->dir);
      if (wrapper == NULL)
        {
          g_test_skip ("running as root, and setpriv cannot drop CAP_DAC_OVERRIDE here");
          return;
        }
      g_setenv ("LB_DAEMON_PATH", wrapper, TRUE);
    }
  if (!local_start (f, NULL))
    return;
  g_unsetenv ("LB_DAEMON_PATH");
  lb_test_store_many_ok (f->store, 3, "k", 64);
  if (!make_thing (folder, thing))
    {
      g_test_fail_printf ("cannot make %s: %s", thing_names[thing], g_strerror (errno));
      return;
    }

  /* Restore first (a backup may replace the file), then backup. */
  for (guint restore = 2; restore-- > 0;)
    {
      g_auto (LbTestCompleted) c = { 0 };
      LbError want = restore ? restore_want[thing] : backup_want[thing];
      gint64 start = g_get_monotonic_time ();

      g_clear_error (&error);
      if (run_op (f, restore, restore ? 0 : LB_BACKUP_FLAGS_OVERWRITE, folder, &c, &error))
        {
          g_test_message ("%s over %s: status %u, %s (%s), %" G_GINT64_FORMAT " ms",
                          restore ? "restore" : "backup", thing_names[thing], c.status, c.error,
                          completed_error_name (&c), (g_get_monotonic_time () - start) / 1000);
          if (want == 0)
            g_assert_cmpuint (c.status, ==, LB_STATUS_END);
          else
            {
              g_assert_cmpuint (c.status, ==, LB_STATUS_ERROR);
              g_assert_cmpstr (completed_error_name (&c), ==, lb_test_error_dbus_name (want));
            }
        }
      else if (error != NULL)
        {
          g_test_message ("%s over %s refused: %s", restore ? "restore" : "backup",
                          thing_names[thing], error->message);
          if (want == 0)
            g_test_fail_printf ("%s over %s refused: %s", restore ? "restore" : "backup",
                                thing_names[thing], error->message);
          else
            lb_test_assert_error_name (error, want);
        }
      else
        return; /* lb_test_completed_wait() failed the test */
    }
  g_assert_cmpuint (lb_test_bus_get_license_count (f->bus), ==, 3);
  if (thing == THING_FOLDER_LOOP)
    g_unlink (folder);
}

/* A worker stuck where no cancel reaches (here a stall of 60 s while
 * connecting): SIGTERM still ends the daemon within 5 s, cleanly. */
static void
test_local_sigterm_stuck (Local *f, gconstpointer data)
{
  const char *env[] = { "LB_FAULT_STALL=connect=60000", "GIO_USE_VFS=local", NULL };
  LbTestDaemonOptions options = { .extra_env = env };
  LbTestDaemon *daemon;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) status = NULL;
  gint64 sent;

  if (!local_start (f, &options))
    return;
  daemon = lb_test_machine_get_daemon (f->machine);
  if (start_op (f->manager, FALSE, 0, "sftp://lb-test.invalid/licenses", &error) == 0)
    {
      g_test_fail_printf ("the backup did not start: %s", error->message);
      return;
    }
  /* In the stall: CONNECTING is published before it. */
  for (guint i = 0; i < 100; i++)
    {
      g_clear_pointer (&status, g_variant_unref);
      status = lb_test_bus_get_property (f->bus, LB_TEST_MANAGER_IFACE, "Status", NULL);
      if (status != NULL && g_variant_get_uint32 (status) == LB_STATUS_CONNECTING)
        break;
      lb_test_run_for (20);
    }
  g_assert_nonnull (status);
  g_assert_cmpuint (status != NULL ? g_variant_get_uint32 (status) : 0, ==, LB_STATUS_CONNECTING);
  lb_test_run_for (200);

  sent = g_get_monotonic_time ();
  kill (lb_test_daemon_get_pid (daemon), SIGTERM);
  if (!lb_test_daemon_wait_exit (daemon, 10000))
    {
      g_test_fail_printf ("the daemon still runs 10 s after SIGTERM");
      return;
    }
  g_test_message ("exited %" G_GINT64_FORMAT " ms after SIGTERM",
                  (lb_test_daemon_get_exit_time (daemon) - sent) / 1000);
  g_assert_cmpint (lb_test_daemon_get_exit_time (daemon) - sent, <, 5 * G_USEC_PER_SEC);
  g_assert_cmpint (lb_test_daemon_get_exit_status (daemon), ==, 0);
}

/* The sftp fixture */

typedef struct
{
  char *root;
  char *srv;     /* the server's folder, as the server's files */
  char *uri;     /* sftp://USER@127.0.0.1:PORT<srv> */
  char *runtime; /* XDG_RUNTIME_DIR of the bus, gvfsd and the daemons */
  guint port;
  GSubprocess *sshd;
  GSubprocess *agent;
  LbTestBus *bus;
  LbTestMachine *a;
  LbTestMachine *b;
  LbDBusStore *store;
  LbDBusManager *manager;
  LbTestSignalQueue *queue;
  LbTestSignalQueue *props;
  char *skip; /* why the test cannot run here */
} Sftp;

typedef enum
{
  SSHD_KEYS,          /* the authorized key only */
  SSHD_PASSWORD_ONLY, /* no public keys: passwords only */
} SshdMode;

static gboolean
run_quietly (GError **error, const char *const *argv, const char *const *envp)
{
  g_autofree char *err = NULL;
  int status = -1;

  if (!g_spawn_sync (NULL, (char **) argv, (char **) envp, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                     NULL, &err, &status, error))
    return FALSE;
  if (!g_spawn_check_wait_status (status, error))
    {
      g_prefix_error (error, "%s (%s): ", argv[0], err != NULL ? g_strstrip (err) : "");
      return FALSE;
    }
  return TRUE;
}

static guint
free_port (void)
{
  struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t len = sizeof addr;
  int fd = socket (AF_INET, SOCK_STREAM, 0);
  guint port = 0;

  if (fd >= 0 && bind (fd, (struct sockaddr *) &addr, sizeof addr) == 0
      && getsockname (fd, (struct sockaddr *) &addr, &len) == 0)
    port = ntohs (addr.sin_port);
  if (fd >= 0)
    close (fd);
  return port;
}

static gboolean
port_open (gpointer user_data)
{
  struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  int fd = socket (AF_INET, SOCK_STREAM, 0);
  gboolean ok;

  addr.sin_port = htons ((guint16) GPOINTER_TO_UINT (user_data));
  ok = fd >= 0 && connect (fd, (struct sockaddr *) &addr, sizeof addr) == 0;
  if (fd >= 0)
    close (fd);
  return ok;
}

static gboolean
path_exists (gpointer user_data)
{
  return g_file_test (user_data, G_FILE_TEST_EXISTS);
}

static GSubprocess *
spawn (const char *log, const char *const *envp, GError **error, const char *const *argv)
{
  g_autoptr (GSubprocessLauncher) launcher
      = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_MERGE);

  if (envp != NULL)
    g_subprocess_launcher_set_environ (launcher, (char **) envp);
  g_subprocess_launcher_set_stdout_file_path (launcher, log);
  g_subprocess_launcher_set_child_setup (launcher, child_dies_with_us, NULL, NULL);
  return g_subprocess_launcher_spawnv (launcher, argv, error);
}

/* sshd on a spare port, with what the test gives it and nothing of the
 * system's configuration. */
static gboolean
start_sshd (Sftp *f, SshdMode mode, GError **error)
{
  g_autofree char *sshd = NULL;
  g_autofree char *keys = g_build_filename (f->root, "keys", NULL);
  g_autofree char *host_key = g_build_filename (keys, "host", NULL);
  g_autofree char *authorized = g_build_filename (keys, "authorized_keys", NULL);
  g_autofree char *client_pub = g_build_filename (keys, "client.pub", NULL);
  g_autofree char *config_path = g_build_filename (f->root, "sshd_config", NULL);
  g_autofree char *log = g_build_filename (f->root, "sshd.log", NULL);
  g_autofree char *config = NULL;
  g_autofree char *pub = NULL;

  sshd = g_find_program_in_path ("sshd");
  if (sshd == NULL && g_file_test ("/usr/sbin/sshd", G_FILE_TEST_IS_EXECUTABLE))
    sshd = g_strdup ("/usr/sbin/sshd");
  if (sshd == NULL)
    {
      f->skip = g_strdup ("sshd is not installed (openssh-server)");
      return FALSE;
    }
  /* Privilege separation needs it when sshd runs as root. */
  if (getuid () == 0 && g_mkdir_with_parents ("/run/sshd", 0755) != 0)
    {
      f->skip
          = g_strdup_printf ("sshd runs as root here and needs /run/sshd: %s", g_strerror (errno));
      return FALSE;
    }
  if (!g_file_get_contents (client_pub, &pub, NULL, error)
      || !g_file_set_contents (authorized, pub, -1, error))
    return FALSE;
  g_chmod (authorized, 0600);
  f->port = free_port ();
  config = g_strdup_printf ("ListenAddress 127.0.0.1\n"
                            "Port %u\n"
                            "HostKey %s\n"
                            "AuthorizedKeysFile %s\n"
                            "PubkeyAuthentication %s\n"
                            "PasswordAuthentication %s\n"
                            "KbdInteractiveAuthentication no\n"
                            "UsePAM no\n"
                            "PermitRootLogin %s\n"
                            "StrictModes no\n"
                            "PidFile none\n"
                            "Subsystem sftp internal-sftp\n",
                            f->port, host_key, authorized, mode == SSHD_KEYS ? "yes" : "no",
                            mode == SSHD_KEYS ? "no" : "yes",
                            mode == SSHD_KEYS ? "prohibit-password" : "yes");
  if (!g_file_set_contents (config_path, config, -1, error))
    return FALSE;
  f->sshd = spawn (log, NULL, error,
                   (const char *const[]){ sshd, "-D", "-e", "-f", config_path, NULL });
  if (f->sshd == NULL)
    return FALSE;
  if (!lb_test_wait_until (port_open, GUINT_TO_POINTER (f->port), LB_TEST_TIMEOUT_MS))
    {
      g_autofree char *text = read_all (log);

      f->skip = g_strdup_printf ("sshd did not start: %s", text != NULL ? text : "");
      return FALSE;
    }
  return TRUE;
}

static gboolean
sftp_prepare (Sftp *f, SshdMode mode, GError **error)
{
  g_autofree char *keys = g_build_filename (f->root, "keys", NULL);
  g_autofree char *host_key = g_build_filename (keys, "host", NULL);
  g_autofree char *client_key = g_build_filename (keys, "client", NULL);
  g_autofree char *sock = NULL;
  g_autofree char *sock_env = NULL;
  g_autofree char *agent_log = g_build_filename (f->root, "agent.log", NULL);
  g_autofree char *keygen = g_find_program_in_path ("ssh-keygen");
  g_autofree char *agent = g_find_program_in_path ("ssh-agent");
  g_autofree char *add = g_find_program_in_path ("ssh-add");
  g_autofree char *runtime_env = NULL;
  g_autofree char *home_env = NULL;
  g_autofree char *home = g_build_filename (f->root, "home", NULL);

  if (keygen == NULL || agent == NULL || add == NULL)
    {
      f->skip = g_strdup ("ssh-keygen, ssh-agent or ssh-add is missing (openssh-client)");
      return FALSE;
    }
  if (!g_file_test ("/usr/share/dbus-1/services/org.gtk.vfs.Daemon.service", G_FILE_TEST_EXISTS)
      || !g_file_test ("/usr/share/gvfs/mounts/sftp.mount", G_FILE_TEST_EXISTS))
    {
      f->skip = g_strdup ("GVfs with its sftp backend is not installed (gvfs-daemons, "
                          "gvfs-backends)");
      return FALSE;
    }
  g_mkdir (keys, 0700);
  g_mkdir (home, 0700);
  if (!run_quietly (
          error,
          (const char *const[]){ keygen, "-q", "-t", "ed25519", "-N", "", "-f", host_key, NULL },
          NULL)
      || !run_quietly (
          error,
          (const char *const[]){ keygen, "-q", "-t", "ed25519", "-N", "", "-f", client_key, NULL },
          NULL))
    return FALSE;
  if (!start_sshd (f, mode, error))
    return FALSE;

  /* The agent in the foreground, its socket in the runtime directory. */
  sock = g_build_filename (f->runtime, "agent.sock", NULL);
  f->agent = spawn (agent_log, NULL, error, (const char *const[]){ agent, "-D", "-a", sock, NULL });
  if (f->agent == NULL || !lb_test_wait_until (path_exists, sock, LB_TEST_TIMEOUT_MS))
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "ssh-agent made no socket");
      return FALSE;
    }
  sock_env = g_strdup_printf ("SSH_AUTH_SOCK=%s", sock);
  if (!run_quietly (error, (const char *const[]){ add, "-q", client_key, NULL },
                    (const char *const[]){ sock_env, NULL }))
    return FALSE;

  /* The bus starts gvfsd, which starts gvfsd-sftp, which runs ssh: all
   * with this environment. No FUSE, no volume monitors. */
  runtime_env = g_strdup_printf ("XDG_RUNTIME_DIR=%s", f->runtime);
  home_env = g_strdup_printf ("HOME=%s", home);
  f->bus = lb_test_bus_new_session (
      (const char *const[]){ "PATH=/usr/local/bin:/usr/bin:/bin", home_env, runtime_env, sock_env,
                             "XDG_DATA_DIRS=/usr/local/share:/usr/share", "GVFS_DISABLE_FUSE=1",
                             "GVFS_REMOTE_VOLUME_MONITOR_IGNORE=1", NULL });
  return lb_test_bus_get_connection (f->bus) != NULL;
}

typedef struct
{
  SshdMode mode;
  int how; /* Halfway, for test_sftp_halfway() */
} SftpArgs;

static void
sftp_setup (Sftp *f, gconstpointer data)
{
  const SftpArgs *args = data;
  g_autoptr (GError) error = NULL;

  /* Under AddressSanitizer: GIO leaks while GVfs mounts (lsan-gvfs.supp);
   * the slow unwinder, since GLib has no frame pointers to match on. */
  if (g_getenv ("ASAN_OPTIONS") != NULL)
    {
      g_autofree char *supp = g_test_build_filename (G_TEST_DIST, "lsan-gvfs.supp", NULL);
      g_autofree char *lsan = g_strdup_printf ("suppressions=%s:fast_unwind_on_malloc=0", supp);

      g_setenv ("LSAN_OPTIONS", lsan, TRUE);
    }
  f->root = lb_test_make_tmp_dir ("sftp");
  f->runtime = g_build_filename (f->root, "run", NULL);
  f->srv = g_build_filename (f->root, "srv", NULL);
  g_mkdir (f->runtime, 0700);
  g_mkdir (f->srv, 0700);
  if (!sftp_prepare (f, args->mode, &error))
    {
      if (f->skip == NULL)
        f->skip = g_strdup_printf ("the sftp server cannot be set up: %s",
                                   error != NULL ? error->message : "?");
      return;
    }
  f->uri
      = g_strdup_printf ("sftp://%s@127.0.0.1:%u%s/backups", g_get_user_name (), f->port, f->srv);
  f->a = lb_test_machine_new (f->bus, "a");
  f->b = lb_test_machine_new (f->bus, "b");
  f->queue = lb_test_signal_queue_new (lb_test_bus_get_connection (f->bus), NULL,
                                       LB_TEST_MANAGER_IFACE, NULL, LB_TEST_OBJECT_PATH);
  f->props = lb_test_properties_changed_queue_new (f->bus, LB_TEST_MANAGER_IFACE);
}

static void
sftp_teardown (Sftp *f, gconstpointer data)
{
  g_clear_pointer (&f->queue, lb_test_signal_queue_free);
  g_clear_pointer (&f->props, lb_test_signal_queue_free);
  g_clear_object (&f->store);
  g_clear_object (&f->manager);
  g_clear_pointer (&f->a, lb_test_machine_free);
  g_clear_pointer (&f->b, lb_test_machine_free);
  if (f->sshd != NULL && g_test_failed ())
    {
      g_autofree char *log = g_build_filename (f->root, "sshd.log", NULL);
      g_autofree char *text = read_all (log);

      g_printerr ("---- sshd ----\n%s---- end ----\n", text != NULL ? text : "");
    }
  /* The bus first: gvfsd and its backends leave with it. */
  g_clear_pointer (&f->bus, lb_test_bus_free);
  if (f->sshd != NULL)
    g_subprocess_force_exit (f->sshd);
  if (f->agent != NULL)
    g_subprocess_force_exit (f->agent);
  g_clear_object (&f->sshd);
  g_clear_object (&f->agent);
  lb_test_rm_rf (f->root);
  g_free (f->root);
  g_free (f->srv);
  g_free (f->uri);
  g_free (f->runtime);
  g_free (f->skip);
}

/* Skips (exit 77 for the single test meson runs) with the reason. */
static gboolean
sftp_ready (Sftp *f)
{
  if (f->skip == NULL)
    return !g_test_failed ();
  g_test_skip (f->skip);
  return FALSE;
}

static gboolean
sftp_start (Sftp *f, LbTestMachine *machine, guint delay_us)
{
  g_autofree char *runtime_env = g_strdup_printf ("XDG_RUNTIME_DIR=%s", f->runtime);
  const char *env[] = { runtime_env, "GVFS_REMOTE_VOLUME_MONITOR_IGNORE=1", NULL };
  LbTestDaemonOptions options = { .extra_env = env, .fault_delay_us = delay_us };

  return lb_test_machine_start_service (machine, &options, &f->store, &f->manager);
}

/* sftp_ready(), a daemon on machine "a" slowed down by @delay_us, and @n
 * licenses "kNNNNNN" of @size bytes; FALSE if any of it did not happen. */
static gboolean
sftp_start_with (Sftp *f, guint delay_us, guint n, gsize size)
{
  if (!sftp_ready (f) || !sftp_start (f, f->a, delay_us))
    return FALSE;
  lb_test_store_many_ok (f->store, n, "k", size);
  return TRUE;
}

/* The newest backup in the server's folder. */
static char *
server_file (Sftp *f)
{
  g_autofree char *dir = g_build_filename (f->srv, "backups", NULL);

  return lb_test_newest_backup (dir);
}

/* Backup to sftp:// (its folder made on the server, mode 0700), the file
 * on the server; restore from it into an empty store on another
 * computer; CONNECTING then DISCONNECTING in the signals and the Status
 * property of both. */
static void
test_sftp_backup_restore (Sftp *f, gconstpointer data)
{
  g_autoptr (GArray) signals = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr (GArray) property = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr (GError) error = NULL;
  GStatBuf st;

  if (!sftp_start_with (f, 0, 50, 512))
    return;
  guint64 id = start_op (f->manager, FALSE, 0, f->uri, &error);
  g_assert_no_error (error);
  g_auto (LbTestCompleted) c = { 0 };
  if (id == 0 || !lb_test_completed_wait (&c, f->queue, id, OP_TIMEOUT_MS, signals))
    return;
  g_test_message ("backup to %s: status %u %s", f->uri, c.status, c.error);
  g_assert_cmpuint (c.status, ==, LB_STATUS_END);
  collect_status_property (f->props, property);
  assert_connecting_then_disconnecting (signals, property);
  g_autofree char *file = server_file (f);
  g_autofree char *folder = g_path_get_dirname (file);
  g_assert_true (g_file_test (file, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpint (g_stat (folder, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);
  g_assert_cmpuint (lb_test_count_temporaries (folder), ==, 0);

  /* Another computer with an empty store. */
  lb_test_machine_stop_daemon (f->a);
  if (!sftp_start (f, f->b, 0))
    return;
  g_assert_cmpuint (lb_test_bus_get_license_count (f->bus), ==, 0);
  g_array_set_size (signals, 0);
  g_array_set_size (property, 0);
  collect_status_property (f->props, property);
  g_array_set_size (property, 0);
  id = start_op (f->manager, TRUE, LB_RESTORE_FLAGS_INDIVIDUALIZE, f->uri, &error);
  g_assert_no_error (error);
  if (id == 0 || !lb_test_completed_wait (&c, f->queue, id, OP_TIMEOUT_MS, signals))
    return;
  g_test_message ("restore from %s: status %u %s", f->uri, c.status, c.error);
  g_assert_cmpuint (c.status, ==, LB_STATUS_END);
  g_assert_cmpuint (lb_test_bus_get_license_count (f->bus), ==, 50);
  collect_status_property (f->props, property);
  assert_connecting_then_disconnecting (signals, property);

  /* Checked over sftp: whole, and nothing written on the server; then
   * damaged there, BackupCorrupt with the entry. */
  for (guint damaged = 0; damaged < 2; damaged++)
    {
      g_autoptr (GBytes) before = NULL;
      g_autoptr (GBytes) after = NULL;
      g_autoptr (GPtrArray) names_before = NULL;
      g_autoptr (GPtrArray) names_after = NULL;
      guint32 licenses = 0;

      if (damaged)
        lb_test_damage_backup (file);
      before = lb_test_read_bytes (file);
      names_before = lb_test_list_dir (folder);
      g_array_set_size (signals, 0);
      lb_dbus_manager_call_verify_backup_sync (f->manager, 0, lb_test_path_options (f->uri), &id,
                                               NULL, &error);
      g_assert_no_error (error);
      if (id == 0 || !lb_test_completed_wait (&c, f->queue, id, OP_TIMEOUT_MS, signals))
        return;
      g_test_message ("check of %s: status %u %s", f->uri, c.status, c.error);
      after = lb_test_read_bytes (file);
      names_after = lb_test_list_dir (folder);
      g_assert_true (g_bytes_equal (before, after));
      g_assert_cmpuint (names_before->len, ==, names_after->len);
      g_assert_cmpuint (index_of (signals, LB_STATUS_CONNECTING), >=, 0);
      if (!damaged)
        {
          g_assert_cmpuint (c.status, ==, LB_STATUS_END);
          g_assert_true (g_variant_lookup (c.summary, "licenses", "u", &licenses));
          g_assert_cmpuint (licenses, ==, 50);
        }
      else
        {
          const char *entry = NULL;

          g_assert_cmpuint (c.status, ==, LB_STATUS_ERROR);
          g_assert_true (g_variant_lookup (c.summary, "damaged-entry", "&s", &entry));
          g_assert_true (g_str_has_prefix (entry, "licenses/"));
        }
    }
}

/* The pids of @pid's descendants. */
static void
descendants (GPid pid, GArray *out)
{
  g_autoptr (GDir) proc = g_dir_open ("/proc", 0, NULL);
  const char *name;

  while (proc != NULL && (name = g_dir_read_name (proc)) != NULL)
    {
      g_autofree char *stat_path = g_build_filename ("/proc", name, "stat", NULL);
      g_autofree char *stat = NULL;
      const char *close_paren;
      int child, ppid;

      if (!g_ascii_isdigit (name[0]) || !g_file_get_contents (stat_path, &stat, NULL, NULL))
        continue;
      close_paren = strrchr (stat, ')');
      child = atoi (name);
      if (close_paren != NULL && sscanf (close_paren + 2, "%*c %d", &ppid) == 1 && ppid == pid)
        {
          g_array_append_val (out, child);
          descendants (child, out);
        }
    }
}

static GPid
sshd_pid (Sftp *f)
{
  const char *id = g_subprocess_get_identifier (f->sshd);

  return id != NULL ? (GPid) g_ascii_strtoll (id, NULL, 10) : 0;
}

typedef enum
{
  HALFWAY_KILL, /* sshd and its sessions killed */
  HALFWAY_STOP, /* its sessions stopped (SIGSTOP): a server that stops answering */
} Halfway;

/* Starts a backup (@flags) to the server and waits until its temporary
 * file is in the server's @folder; its id, or 0 after a failure. */
static guint64
start_upload (Sftp *f, guint32 flags, const char *folder)
{
  g_autoptr (GError) error = NULL;
  TmpWait wait = { folder };
  guint64 id = start_op (f->manager, FALSE, flags, f->uri, &error);

  g_assert_no_error (error);
  if (id == 0 || !lb_test_wait_until (has_temporary, &wait, OP_TIMEOUT_MS))
    {
      g_test_fail_printf ("no temporary file appeared on the server");
      return 0;
    }
  return id;
}

/* A backup over an older one, slowed down; halfway through the upload
 * (its temporary file is on the server) the server dies or stops
 * answering. The old backup stays whole and the backup ends with a named
 * error in bounded time (for a stopped server, after Cancel: nothing can
 * tell a slow server from a stopped one). */
static void
test_sftp_halfway (Sftp *f, gconstpointer data)
{
  Halfway how = ((const SftpArgs *) data)->how;
  g_autoptr (GArray) pids = g_array_new (FALSE, FALSE, sizeof (int));
  g_autoptr (GError) error = NULL;
  g_auto (LbTestCompleted) c = { 0 };
  guint64 id;

  if (!sftp_start_with (f, 20000, 20, 512))
    return;
  id = start_op (f->manager, FALSE, 0, f->uri, &error);
  if (id == 0 || !lb_test_completed_wait (&c, f->queue, id, OP_TIMEOUT_MS, NULL))
    return;
  g_assert_cmpuint (c.status, ==, LB_STATUS_END);
  g_autofree char *file = server_file (f);
  g_autofree char *folder = g_path_get_dirname (file);
  g_autofree char *before = read_all (file);
  g_assert_nonnull (before);

  /* 400 licenses at 20 ms: 8 s of upload. */
  lb_test_store_many_ok (f->store, 400, "m", 512);
  id = start_upload (f, LB_BACKUP_FLAGS_OVERWRITE, folder);
  if (id == 0)
    return;
  lb_test_run_for (500);

  descendants (sshd_pid (f), pids);
  g_test_message ("%s sshd's %u session processes", how == HALFWAY_KILL ? "killing" : "stopping",
                  pids->len);
  g_assert_cmpuint (pids->len, >, 0);
  for (guint i = 0; i < pids->len; i++)
    kill (g_array_index (pids, int, i), how == HALFWAY_KILL ? SIGKILL : SIGSTOP);
  if (how == HALFWAY_KILL)
    g_subprocess_force_exit (f->sshd);
  gint64 since = g_get_monotonic_time ();
  if (how == HALFWAY_STOP)
    {
      lb_test_run_for (1000);
      lb_dbus_manager_call_cancel_license_backup_sync (f->manager, NULL, &error);
      g_assert_no_error (error);
    }
  if (!lb_test_completed_wait (&c, f->queue, id, ERROR_BOUND_MS, NULL))
    return;
  g_test_message ("ended after %" G_GINT64_FORMAT " ms: status %u, %s (%s)",
                  (g_get_monotonic_time () - since) / 1000, c.status, c.error,
                  completed_error_name (&c));
  g_assert_cmpuint (c.status, ==, LB_STATUS_ERROR);
  g_assert_true (
      g_str_has_prefix (completed_error_name (&c), "org.freedesktop.LicenseBackup1.Error."));
  if (how == HALFWAY_STOP)
    g_assert_cmpstr (completed_error_name (&c), ==, lb_test_error_dbus_name (LB_ERROR_CANCELLED));
  else
    {
      g_assert_cmpstr (completed_error_name (&c), ==, lb_test_error_dbus_name (LB_ERROR_FAILED));
      g_assert_nonnull (strstr (c.error, "was lost"));
      g_assert_nonnull (strstr (c.error, "the previous backup, if any, is unchanged"));
    }
  g_autofree char *after = read_all (file);
  g_assert_true (after != NULL && g_str_equal (before, after));
  for (guint i = 0; how == HALFWAY_STOP && i < pids->len; i++)
    kill (g_array_index (pids, int, i), SIGCONT);
}

/* A server that takes only passwords: the mount would ask; nobody is
 * asked, and the backup ends with PermissionDenied at once. */
static void
test_sftp_password_only (Sftp *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  if (!sftp_start_with (f, 0, 3, 64))
    return;
  gint64 start = g_get_monotonic_time ();
  guint64 id = start_op (f->manager, FALSE, 0, f->uri, &error);
  g_assert_no_error (error);
  g_auto (LbTestCompleted) c = { 0 };
  if (id == 0 || !lb_test_completed_wait (&c, f->queue, id, ERROR_BOUND_MS, NULL))
    return;
  g_test_message ("after %" G_GINT64_FORMAT " ms: status %u, %s (%s)",
                  (g_get_monotonic_time () - start) / 1000, c.status, c.error,
                  completed_error_name (&c));
  g_assert_cmpuint (c.status, ==, LB_STATUS_ERROR);
  g_assert_cmpstr (completed_error_name (&c), ==,
                   lb_test_error_dbus_name (LB_ERROR_PERMISSION_DENIED));
  g_assert_nonnull (strstr (c.error, "SSH key"));
}

/* Cancel during the upload: the backup ends (Cancelled) within a second
 * and leaves no temporary file on the server. */
static void
test_sftp_cancel (Sftp *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  if (!sftp_start_with (f, 20000, 400, 512))
    return;
  g_autofree char *file = server_file (f);
  g_autofree char *folder = g_path_get_dirname (file);
  guint64 id = start_upload (f, 0, folder);
  if (id == 0)
    return;
  lb_test_run_for (300);
  gint64 since = g_get_monotonic_time ();
  lb_dbus_manager_call_cancel_license_backup_sync (f->manager, NULL, &error);
  g_assert_no_error (error);
  g_auto (LbTestCompleted) c = { 0 };
  if (!lb_test_completed_wait (&c, f->queue, id, 1000, NULL))
    return;
  g_test_message ("cancelled after %" G_GINT64_FORMAT " ms",
                  (g_get_monotonic_time () - since) / 1000);
  g_assert_cmpstr (completed_error_name (&c), ==, lb_test_error_dbus_name (LB_ERROR_CANCELLED));
  g_assert_cmpuint (lb_test_count_temporaries (folder), ==, 0);
  g_assert_false (g_file_test (file, G_FILE_TEST_EXISTS));
}

int
main (int argc, char **argv)
{
  lb_test_init (&argc, &argv);

  g_test_add ("/locations/local/missing-folder", Local, NULL, local_setup,
              test_local_missing_folder, local_teardown);
  g_test_add ("/locations/local/cancel-leaves-no-folder", Local, NULL, local_setup,
              test_local_cancel_leaves_no_folder, local_teardown);
  g_test_add ("/locations/local/restore-fallback", Local, NULL, local_setup,
              test_local_restore_fallback, local_teardown);
  for (Thing t = THING_FIFO; t <= THING_UNREADABLE; t++)
    {
      const char *names[] = { "fifo", "socket",    "device",      "folder",
                              "huge", "link-loop", "folder-loop", "unreadable" };
      g_autofree char *path = g_strdup_printf ("/locations/local/no-hang-%s", names[t]);

      g_test_add (path, Local, GINT_TO_POINTER (t), local_setup, test_local_no_hang,
                  local_teardown);
    }
  g_test_add ("/locations/local/sigterm-stuck-worker", Local, NULL, local_setup,
              test_local_sigterm_stuck, local_teardown);

  {
    static const SftpArgs keys = { SSHD_KEYS, 0 };
    static const SftpArgs kill_halfway = { SSHD_KEYS, HALFWAY_KILL };
    static const SftpArgs stop_halfway = { SSHD_KEYS, HALFWAY_STOP };
    static const SftpArgs passwords = { SSHD_PASSWORD_ONLY, 0 };

    g_test_add ("/locations/sftp/backup-restore", Sftp, &keys, sftp_setup, test_sftp_backup_restore,
                sftp_teardown);
    g_test_add ("/locations/sftp/server-killed", Sftp, &kill_halfway, sftp_setup, test_sftp_halfway,
                sftp_teardown);
    g_test_add ("/locations/sftp/server-stopped", Sftp, &stop_halfway, sftp_setup,
                test_sftp_halfway, sftp_teardown);
    g_test_add ("/locations/sftp/password-only", Sftp, &passwords, sftp_setup,
                test_sftp_password_only, sftp_teardown);
    g_test_add ("/locations/sftp/cancel-upload", Sftp, &keys, sftp_setup, test_sftp_cancel,
                sftp_teardown);
  }
  return g_test_run ();
}
