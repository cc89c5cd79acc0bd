/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Backup locations a user can rely on (issues 14, 22), against the real daemon:
 *
 *  - /locations/local/...: a missing backup folder is made (mode 0700); a
 *    restore without a restore folder uses the backup folder; what a folder
 *    may hold besides a backup (a FIFO, a socket, a device, a folder named
 *    licenses.lbk, a huge file, symbolic link loops, an unreadable file)
 *    ends with a named error, never a hang; SIGTERM ends a daemon whose
 *    worker is stuck within 5 s.
 *
 *  - /locations/{sftp,smb,dav}/... (issues 14, 22): network folders
 *    through GVfs against a real server on 127.0.0.1 that the test starts
 *    with a configuration of its own on a spare port, and a private
 *    session bus whose service directories start gvfsd. sftp: sshd (its
 *    own host key and authorized key; no passwords, no PAM) and an
 *    ssh-agent with the client key (the bus's environment holds
 *    SSH_AUTH_SOCK, so gvfsd-sftp inherits it; gvfsd-sftp trusts loopback
 *    without known_hosts). smb: smbd with a guest share (logged in to
 *    anonymously) and a share for the user with a password. dav: Apache
 *    with mod_dav (as GVfs's own tests run it), an open folder and one
 *    behind Basic authentication, and over https with a self-signed
 *    certificate. For each: backup and restore on another computer,
 *    CONNECTING and DISCONNECTING in order, generations kept and pruned
 *    on the server, a check; the server killed or stopped halfway; a
 *    folder behind a password refused at once with the message for its
 *    kind; a cancel during the upload. For smb and dav also the password
 *    remembered in a real keyring (gnome-keyring-daemon on the bus), and
 *    for dav an untrusted certificate refused. These exit 77 (skipped),
 *    saying why, where a server or GVfs cannot run.
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
/* A stopped SMB server holds a cancelled operation until libsmbclient
 * gives up on it (gvfsd-smb waits in it; forcing the mount off waits
 * behind it): about 60 s. */
#define SMB_STOPPED_BOUND_MS 90000

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

/* The network fixture: one server on 127.0.0.1 (sshd, smbd or Apache with
 * mod_dav), a private session bus whose service directories start gvfsd,
 * two computers on it. */

typedef enum
{
  NET_SFTP,
  NET_SMB,
  NET_DAV,
} Proto;

static const char *const proto_names[] = { "sftp", "smb", "dav" };

typedef enum
{
  SSHD_KEYS,          /* the authorized key only */
  SSHD_PASSWORD_ONLY, /* no public keys: passwords only */
} SshdMode;

typedef struct
{
  Proto proto;
  SshdMode mode; /* for sftp */
  int how;       /* Halfway, for test_net_halfway() */
} NetArgs;

typedef struct
{
  Proto proto;
  char *root;
  char *srv;        /* the open folder, as the server's files */
  char *locked_srv; /* the folder behind a password (smb, dav), as the server's files */
  char *uri;        /* the open folder's backups/ */
  char *locked_uri; /* the password folder's backups/ (smb, dav) */
  char *secure_uri; /* davs:// of the open folder, with a certificate nobody trusts */
  char *runtime;    /* XDG_RUNTIME_DIR of the bus, gvfsd and the daemons */
  char *log;        /* the server's output */
  guint port;
  GSubprocess *server;
  GSubprocess *agent;
  LbTestBus *bus;
  LbTestKeyring *keyring;
  LbTestMachine *a;
  LbTestMachine *b;
  LbDBusStore *store;
  LbDBusManager *manager;
  LbTestSignalQueue *queue;
  LbTestSignalQueue *props;
  char *skip; /* why the test cannot run here */
} Net;

/* The password of the folders behind one (smb, dav). */
#define NET_PASSWORD "s3kr1t-Pa55"

static gboolean
run_quietly (GError **error, const char *const *argv, const char *const *envp, const char *input)
{
  g_autoptr (GSubprocessLauncher) launcher
      = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE
                                   | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr (GSubprocess) child = NULL;
  g_autofree char *err = NULL;

  if (envp != NULL)
    for (guint i = 0; envp[i] != NULL; i++)
      {
        g_auto (GStrv) kv = g_strsplit (envp[i], "=", 2);

        g_subprocess_launcher_setenv (launcher, kv[0], kv[1], TRUE);
      }
  child = g_subprocess_launcher_spawnv (launcher, argv, error);
  if (child == NULL || !g_subprocess_communicate_utf8 (child, input, NULL, NULL, &err, error))
    return FALSE;
  if (!g_spawn_check_wait_status (g_subprocess_get_status (child), error))
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

/* The program @name in PATH or in /usr/sbin, or NULL. */
static char *
find_server (const char *name)
{
  g_autofree char *sbin = g_build_filename ("/usr/sbin", name, NULL);
  char *path = g_find_program_in_path (name);

  if (path == NULL && g_file_test (sbin, G_FILE_TEST_IS_EXECUTABLE))
    path = g_steal_pointer (&sbin);
  return path;
}

/* Starts @argv as the server, its output in f->log, and waits until it
 * listens on f->port; FALSE with f->skip set when it does not. */
static gboolean
start_server (Net *f, const char *what, const char *const *argv, GError **error)
{
  f->server = spawn (f->log, NULL, error, argv);
  if (f->server == NULL)
    return FALSE;
  if (!lb_test_wait_until (port_open, GUINT_TO_POINTER (f->port), LB_TEST_TIMEOUT_MS))
    {
      g_autofree char *text = read_all (f->log);

      f->skip = g_strdup_printf ("%s did not start: %s", what, text != NULL ? text : "");
      return FALSE;
    }
  return TRUE;
}

/* sshd on a spare port, with what the test gives it and nothing of the
 * system's configuration. */
static gboolean
start_sshd (Net *f, SshdMode mode, GError **error)
{
  g_autofree char *sshd = find_server ("sshd");
  g_autofree char *keys = g_build_filename (f->root, "keys", NULL);
  g_autofree char *host_key = g_build_filename (keys, "host", NULL);
  g_autofree char *authorized = g_build_filename (keys, "authorized_keys", NULL);
  g_autofree char *client_pub = g_build_filename (keys, "client.pub", NULL);
  g_autofree char *config_path = g_build_filename (f->root, "sshd_config", NULL);
  g_autofree char *config = NULL;
  g_autofree char *pub = NULL;

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
  return start_server (f, "sshd",
                       (const char *const[]){ sshd, "-D", "-e", "-f", config_path, NULL }, error);
}

/* Keys, sshd, an ssh-agent with the client key; the bus's environment
 * gets SSH_AUTH_SOCK, in *@env. */
static gboolean
sftp_prepare (Net *f, SshdMode mode, char **env, GError **error)
{
  g_autofree char *keys = g_build_filename (f->root, "keys", NULL);
  g_autofree char *host_key = g_build_filename (keys, "host", NULL);
  g_autofree char *client_key = g_build_filename (keys, "client", NULL);
  g_autofree char *sock = NULL;
  g_autofree char *agent_log = g_build_filename (f->root, "agent.log", NULL);
  g_autofree char *keygen = g_find_program_in_path ("ssh-keygen");
  g_autofree char *agent = g_find_program_in_path ("ssh-agent");
  g_autofree char *add = g_find_program_in_path ("ssh-add");

  if (keygen == NULL || agent == NULL || add == NULL)
    {
      f->skip = g_strdup ("ssh-keygen, ssh-agent or ssh-add is missing (openssh-client)");
      return FALSE;
    }
  g_mkdir (keys, 0700);
  if (!run_quietly (
          error,
          (const char *const[]){ keygen, "-q", "-t", "ed25519", "-N", "", "-f", host_key, NULL },
          NULL, NULL)
      || !run_quietly (
          error,
          (const char *const[]){ keygen, "-q", "-t", "ed25519", "-N", "", "-f", client_key, NULL },
          NULL, NULL))
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
  *env = g_strdup_printf ("SSH_AUTH_SOCK=%s", sock);
  if (!run_quietly (error, (const char *const[]){ add, "-q", client_key, NULL },
                    (const char *const[]){ *env, NULL }, NULL))
    return FALSE;
  f->uri
      = g_strdup_printf ("sftp://%s@127.0.0.1:%u%s/backups", g_get_user_name (), f->port, f->srv);
  return TRUE;
}

/* The server's users (a guest, Apache's user) reach its folders through
 * the test's. */
static void
open_path (Net *f)
{
  g_autofree char *parent = g_path_get_dirname (f->root);

  g_chmod (parent, 0711);
  g_chmod (f->root, 0711);
}

/* A folder anyone may write (a guest, or the server's own user). */
static void
make_shared_dir (const char *path)
{
  g_mkdir_with_parents (path, 0777);
  g_chmod (path, 0777);
}

/* smbd with a configuration of its own (its state under the test's
 * folder, a spare port on 127.0.0.1): "public" takes guests (what they
 * make, anyone may write, as on a NAS's guest share), "private" only the
 * user, with NET_PASSWORD (smbpasswd). */
static gboolean
smb_prepare (Net *f, GError **error)
{
  g_autofree char *smbd = find_server ("smbd");
  g_autofree char *smbpasswd = g_find_program_in_path ("smbpasswd");
  g_autofree char *state = g_build_filename (f->root, "samba", NULL);
  g_autofree char *conf = g_build_filename (f->root, "smb.conf", NULL);
  g_autofree char *passwords = g_build_filename (state, "smbpasswd", NULL);
  g_autofree char *text = NULL;
  g_autofree char *input = g_strdup_printf ("%s\n%s\n", NET_PASSWORD, NET_PASSWORD);
  const char *user = g_get_user_name ();

  if (smbd == NULL || smbpasswd == NULL
      || !g_file_test ("/usr/share/gvfs/mounts/smb.mount", G_FILE_TEST_EXISTS))
    {
      f->skip = g_strdup ("smbd, smbpasswd or GVfs's smb backend is not installed (samba, "
                          "gvfs-backends)");
      return FALSE;
    }
  g_mkdir (state, 0700);
  open_path (f);
  make_shared_dir (f->srv);
  make_shared_dir (f->locked_srv);
  text = g_strdup_printf ("[global]\n"
                          "server role = standalone server\n"
                          "workgroup = LBTEST\n"
                          "interfaces = lo\n"
                          "bind interfaces only = yes\n"
                          "smb ports = %u\n"
                          "disable netbios = yes\n"
                          "map to guest = Bad User\n"
                          "passdb backend = smbpasswd:%s\n"
                          "lock directory = %s\n"
                          "state directory = %s\n"
                          "cache directory = %s\n"
                          "pid directory = %s\n"
                          "private dir = %s\n"
                          "ncalrpc dir = %s\n"
                          "log file = %s/log.%%m\n"
                          "log level = 1\n"
                          "load printers = no\n"
                          "printcap name = /dev/null\n"
                          "disable spoolss = yes\n"
                          "[public]\n"
                          "path = %s\n"
                          "guest ok = yes\n"
                          "read only = no\n"
                          "force create mode = 0666\n"
                          "force directory mode = 0777\n"
                          "[private]\n"
                          "path = %s\n"
                          "valid users = %s\n"
                          "read only = no\n",
                          f->port, passwords, state, state, state, state, state, state, state,
                          f->srv, f->locked_srv, user);
  if (!g_file_set_contents (conf, text, -1, error))
    return FALSE;
  if (!run_quietly (error, (const char *const[]){ smbpasswd, "-c", conf, "-a", "-s", user, NULL },
                    NULL, input))
    {
      f->skip
          = g_strdup_printf ("smbpasswd cannot set the share's password: %s", (*error)->message);
      return FALSE;
    }
  if (!start_server (f, "smbd",
                     (const char *const[]){ smbd, "--foreground", "--debug-stdout",
                                            "--no-process-group", "--configfile", conf, NULL },
                     error))
    return FALSE;
  f->uri = g_strdup_printf ("smb://127.0.0.1:%u/public/backups", f->port);
  f->locked_uri = g_strdup_printf ("smb://127.0.0.1:%u/private/backups", f->port);
  return TRUE;
}

/* Apache with mod_dav on a spare port of 127.0.0.1, as GVfs's own tests
 * run it, in the foreground (not -X: libsoup holds a connection open
 * while it opens another), with a configuration of its own: /public open, /private behind Basic
 * authentication (the user, NET_PASSWORD); with openssl, the same over https on a second port, with
 * a self-signed certificate. Started by root, it serves as www-data. */
static gboolean
dav_prepare (Net *f, GError **error)
{
  g_autofree char *httpd = find_server ("apache2");
  g_autofree char *openssl = g_find_program_in_path ("openssl");
  const char *modules = "/usr/lib/apache2/modules";
  const char *const needed[] = { "mpm_prefork", "authn_core", "authn_file", "authz_core",
                                 "authz_user",  "auth_basic", "dav",        "dav_fs" };
  g_autofree char *www = g_build_filename (f->root, "www", NULL);
  g_autofree char *lock = g_build_filename (f->root, "lock", NULL);
  g_autofree char *htpasswd = g_build_filename (f->root, "htpasswd", NULL);
  g_autofree char *conf = g_build_filename (f->root, "httpd.conf", NULL);
  g_autofree char *cert = g_build_filename (f->root, "cert.pem", NULL);
  g_autofree char *key = g_build_filename (f->root, "key.pem", NULL);
  g_autoptr (GString) text = g_string_new (NULL);
  g_autoptr (GChecksum) sha1 = g_checksum_new (G_CHECKSUM_SHA1);
  guint8 digest[20];
  gsize digest_len = sizeof digest;
  g_autofree char *digest64 = NULL;
  g_autofree char *line = NULL;
  guint secure_port = 0;

  if (httpd == NULL || !g_file_test ("/usr/share/gvfs/mounts/dav.mount", G_FILE_TEST_EXISTS))
    {
      f->skip = g_strdup ("Apache or GVfs's dav backend is not installed (apache2, gvfs-backends)");
      return FALSE;
    }
  for (guint i = 0; i < G_N_ELEMENTS (needed); i++)
    {
      g_autofree char *so = g_strdup_printf ("%s/mod_%s.so", modules, needed[i]);

      if (!g_file_test (so, G_FILE_TEST_EXISTS))
        {
          f->skip = g_strdup_printf ("Apache's module %s is not installed (apache2)", so);
          return FALSE;
        }
      g_string_append_printf (text, "LoadModule %s_module %s\n", needed[i], so);
    }
  open_path (f);
  g_mkdir (www, 0755);
  make_shared_dir (f->srv);
  make_shared_dir (f->locked_srv);
  make_shared_dir (lock);
  g_checksum_update (sha1, (const guchar *) NET_PASSWORD, strlen (NET_PASSWORD));
  g_checksum_get_digest (sha1, digest, &digest_len);
  digest64 = g_base64_encode (digest, digest_len);
  line = g_strdup_printf ("%s:{SHA}%s\n", g_get_user_name (), digest64);
  if (!g_file_set_contents (htpasswd, line, -1, error))
    return FALSE;
  g_chmod (htpasswd, 0644);
  g_string_append_printf (text,
                          "ServerRoot %s\n"
                          "ServerName 127.0.0.1\n"
                          "Listen 127.0.0.1:%u\n"
                          "PidFile %s/httpd.pid\n"
                          "DefaultRuntimeDir %s\n"
                          "Mutex file:%s default\n"
                          "ErrorLog /dev/stderr\n"
                          "LogLevel warn\n"
                          "StartServers 2\n"
                          "MinSpareServers 2\n"
                          "MaxRequestWorkers 16\n"
                          "DocumentRoot %s\n"
                          "DAVLockDB %s/DAVLock\n"
                          "<Directory %s>\n  Require all granted\n</Directory>\n"
                          "<Directory %s>\n  Dav On\n</Directory>\n"
                          "<Directory %s>\n  Dav On\n  AuthType Basic\n"
                          "  AuthName \"Backups\"\n  AuthUserFile %s\n"
                          "  Require valid-user\n</Directory>\n",
                          f->root, f->port, lock, lock, lock, www, lock, www, f->srv, f->locked_srv,
                          htpasswd);
  if (getuid () == 0)
    g_string_append (text, "User www-data\nGroup www-data\n");
  if (openssl != NULL && g_file_test ("/usr/lib/apache2/modules/mod_ssl.so", G_FILE_TEST_EXISTS)
      && run_quietly (NULL,
                      (const char *const[]){ openssl, "req", "-x509", "-newkey", "rsa:2048",
                                             "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                                             "-keyout", key, "-out", cert, NULL },
                      NULL, NULL))
    {
      g_chmod (key, 0644);
      secure_port = free_port ();
      g_string_append_printf (text,
                              "LoadModule ssl_module %s/mod_ssl.so\n"
                              "Listen 127.0.0.1:%u https\n"
                              "<VirtualHost 127.0.0.1:%u>\n  SSLEngine on\n"
                              "  SSLCertificateFile %s\n  SSLCertificateKeyFile %s\n"
                              "</VirtualHost>\n",
                              modules, secure_port, secure_port, cert, key);
    }
  if (!g_file_set_contents (conf, text->str, -1, error))
    return FALSE;
  if (!start_server (f, "Apache", (const char *const[]){ httpd, "-DFOREGROUND", "-f", conf, NULL },
                     error))
    return FALSE;
  f->uri = g_strdup_printf ("dav://127.0.0.1:%u/public/backups", f->port);
  f->locked_uri = g_strdup_printf ("dav://127.0.0.1:%u/private/backups", f->port);
  if (secure_port != 0)
    f->secure_uri = g_strdup_printf ("davs://127.0.0.1:%u/public/backups", secure_port);
  return TRUE;
}

/* The server, then the bus: it starts gvfsd, which starts the backends
 * (and gvfsd-sftp ssh), all with this environment. No FUSE, no volume
 * monitors. */
static gboolean
net_prepare (Net *f, const NetArgs *args, GError **error)
{
  g_autofree char *extra = NULL;
  g_autofree char *runtime_env = g_strdup_printf ("XDG_RUNTIME_DIR=%s", f->runtime);
  g_autofree char *home = g_build_filename (f->root, "home", NULL);
  g_autofree char *home_env = g_strdup_printf ("HOME=%s", home);
  gboolean ok = FALSE;

  if (!g_file_test ("/usr/share/dbus-1/services/org.gtk.vfs.Daemon.service", G_FILE_TEST_EXISTS))
    {
      f->skip = g_strdup ("GVfs is not installed (gvfs-daemons, gvfs-backends)");
      return FALSE;
    }
  g_mkdir (home, 0700);
  f->port = free_port ();
  switch (f->proto)
    {
    case NET_SFTP:
      if (!g_file_test ("/usr/share/gvfs/mounts/sftp.mount", G_FILE_TEST_EXISTS))
        f->skip = g_strdup ("GVfs's sftp backend is not installed (gvfs-backends)");
      else
        ok = sftp_prepare (f, args->mode, &extra, error);
      break;
    case NET_SMB:
      ok = smb_prepare (f, error);
      break;
    case NET_DAV:
      ok = dav_prepare (f, error);
      break;
    }
  if (!ok)
    return FALSE;
  f->bus = lb_test_bus_new_session (
      (const char *const[]){ "PATH=/usr/local/bin:/usr/bin:/bin", home_env, runtime_env,
                             "XDG_DATA_DIRS=/usr/local/share:/usr/share", "GVFS_DISABLE_FUSE=1",
                             "GVFS_REMOTE_VOLUME_MONITOR_IGNORE=1", extra, NULL });
  return lb_test_bus_get_connection (f->bus) != NULL;
}

static void
net_setup (Net *f, gconstpointer data)
{
  const NetArgs *args = data;
  g_autoptr (GError) error = NULL;

  /* Under AddressSanitizer: GIO leaks while GVfs mounts (lsan-gvfs.supp);
   * the slow unwinder, since GLib has no frame pointers to match on. */
  if (g_getenv ("ASAN_OPTIONS") != NULL)
    {
      g_autofree char *supp = g_test_build_filename (G_TEST_DIST, "lsan-gvfs.supp", NULL);
      g_autofree char *lsan = g_strdup_printf ("suppressions=%s:fast_unwind_on_malloc=0", supp);

      g_setenv ("LSAN_OPTIONS", lsan, TRUE);
    }
  f->proto = args->proto;
  f->root = lb_test_make_tmp_dir (proto_names[f->proto]);
  f->runtime = g_build_filename (f->root, "run", NULL);
  f->log = g_build_filename (f->root, "server.log", NULL);
  f->srv = g_build_filename (f->root, f->proto == NET_DAV ? "www/public" : "srv", NULL);
  f->locked_srv = g_build_filename (f->root, f->proto == NET_DAV ? "www/private" : "private", NULL);
  g_mkdir (f->runtime, 0700);
  g_mkdir (f->srv, 0700);
  if (!net_prepare (f, args, &error))
    {
      if (f->skip == NULL)
        f->skip = g_strdup_printf ("the %s server cannot be set up: %s", proto_names[f->proto],
                                   error != NULL ? error->message : "?");
      return;
    }
  f->a = lb_test_machine_new (f->bus, "a");
  f->b = lb_test_machine_new (f->bus, "b");
  f->queue = lb_test_signal_queue_new (lb_test_bus_get_connection (f->bus), NULL,
                                       LB_TEST_MANAGER_IFACE, NULL, LB_TEST_OBJECT_PATH);
  f->props = lb_test_properties_changed_queue_new (f->bus, LB_TEST_MANAGER_IFACE);
}

/* The pids of @pid's descendants; none for a @pid that is not one (0: a
 * server that exited), never the whole machine's. */
static void
descendants (GPid pid, GArray *out)
{
  g_autoptr (GDir) proc = NULL;
  const char *name;

  if (pid <= 1)
    return;
  proc = g_dir_open ("/proc", 0, NULL);

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
server_pid (Net *f)
{
  const char *id = f->server != NULL ? g_subprocess_get_identifier (f->server) : NULL;

  return id != NULL ? (GPid) g_ascii_strtoll (id, NULL, 10) : 0;
}

/* The processes that serve the client: the server's children (sshd's and
 * smbd's sessions), and for Apache, whose idle children would take the
 * next connection, all of them and the server itself. */
static GArray *
serving_pids (Net *f)
{
  GArray *pids = g_array_new (FALSE, FALSE, sizeof (int));
  int pid = server_pid (f);

  descendants (pid, pids);
  if (f->proto == NET_DAV && pid > 1)
    g_array_append_val (pids, pid);
  return pids;
}

static void
net_teardown (Net *f, gconstpointer data)
{
  g_clear_pointer (&f->queue, lb_test_signal_queue_free);
  g_clear_pointer (&f->props, lb_test_signal_queue_free);
  g_clear_object (&f->store);
  g_clear_object (&f->manager);
  g_clear_pointer (&f->a, lb_test_machine_free);
  g_clear_pointer (&f->b, lb_test_machine_free);
  if (f->server != NULL && g_test_failed ())
    {
      g_autofree char *text = read_all (f->log);

      g_printerr ("---- %s server ----\n%s---- end ----\n", proto_names[f->proto],
                  text != NULL ? text : "");
    }
  /* The bus first: gvfsd and its backends leave with it. */
  g_clear_pointer (&f->keyring, lb_test_keyring_free);
  g_clear_pointer (&f->bus, lb_test_bus_free);
  if (f->server != NULL)
    {
      g_autoptr (GArray) pids = g_array_new (FALSE, FALSE, sizeof (int));

      descendants (server_pid (f), pids);
      for (guint i = 0; i < pids->len; i++)
        if (g_array_index (pids, int, i) > 1)
          kill (g_array_index (pids, int, i), SIGKILL);
      g_subprocess_force_exit (f->server);
    }
  if (f->agent != NULL)
    g_subprocess_force_exit (f->agent);
  g_clear_object (&f->server);
  g_clear_object (&f->agent);
  lb_test_rm_rf (f->root);
  g_free (f->root);
  g_free (f->srv);
  g_free (f->locked_srv);
  g_free (f->uri);
  g_free (f->locked_uri);
  g_free (f->secure_uri);
  g_free (f->runtime);
  g_free (f->log);
  g_free (f->skip);
}

/* Skips (exit 77 for the single test meson runs) with the reason. */
static gboolean
net_ready (Net *f)
{
  if (f->skip == NULL)
    return !g_test_failed ();
  g_test_skip (f->skip);
  return FALSE;
}

static gboolean
net_start (Net *f, LbTestMachine *machine, guint delay_us)
{
  g_autofree char *runtime_env = g_strdup_printf ("XDG_RUNTIME_DIR=%s", f->runtime);
  const char *env[] = { runtime_env, "GVFS_REMOTE_VOLUME_MONITOR_IGNORE=1", NULL };
  LbTestDaemonOptions options = { .extra_env = env, .fault_delay_us = delay_us };

  return lb_test_machine_start_service (machine, &options, &f->store, &f->manager);
}

/* net_ready(), a daemon on machine "a" slowed down by @delay_us, and @n
 * licenses "kNNNNNN" of @size bytes; FALSE if any of it did not happen. */
static gboolean
net_start_with (Net *f, guint delay_us, guint n, gsize size)
{
  if (!net_ready (f) || !net_start (f, f->a, delay_us))
    return FALSE;
  lb_test_store_many_ok (f->store, n, "k", size);
  return TRUE;
}

/* The server's folder of backups. */
static char *
server_dir (Net *f)
{
  return g_build_filename (f->srv, "backups", NULL);
}

/* The newest backup in the server's folder. */
static char *
server_file (Net *f)
{
  g_autofree char *dir = server_dir (f);

  return lb_test_newest_backup (dir);
}

/* Runs a backup (@flags) or restore to its end; its Completed in @c,
 * the statuses of its progress signals in @signals (may be NULL). */
static gboolean
net_run (
    Net *f, gboolean restore, guint32 flags, const char *uri, LbTestCompleted *c, GArray *signals)
{
  g_autoptr (GError) error = NULL;
  guint64 id = start_op (f->manager, restore, flags, uri, &error);

  g_assert_no_error (error);
  if (id == 0 || !lb_test_completed_wait (c, f->queue, id, OP_TIMEOUT_MS, signals))
    return FALSE;
  g_test_message ("%s %s: status %u %s", restore ? "restore from" : "backup to", uri, c->status,
                  c->error != NULL ? c->error : "");
  return TRUE;
}

/* Backup to the server (its folder made there, mode 0700 over sftp), the
 * file on the server; four backups keep three there, the oldest pruned;
 * restore from it into an empty store on another computer; CONNECTING
 * then DISCONNECTING in the signals and the Status property of both; a
 * check over the network reads it whole and writes nothing, and finds it
 * damaged once it is. */
static void
test_net_backup_restore (Net *f, gconstpointer data)
{
  g_autoptr (GArray) signals = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr (GArray) property = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) first = NULL;
  g_autoptr (GPtrArray) kept = NULL;
  g_auto (LbTestCompleted) c = { 0 };
  guint64 id;
  GStatBuf st;

  if (!net_start_with (f, 0, 50, 512))
    return;
  if (!net_run (f, FALSE, 0, f->uri, &c, signals))
    return;
  g_assert_cmpuint (c.status, ==, LB_STATUS_END);
  collect_status_property (f->props, property);
  assert_connecting_then_disconnecting (signals, property);
  g_autofree char *folder = server_dir (f);
  first = lb_test_list_backups (folder);
  g_assert_cmpuint (first->len, ==, 1);
  g_assert_cmpint (g_stat (folder, &st), ==, 0);
  if (f->proto == NET_SFTP)
    g_assert_cmpint (st.st_mode & 0777, ==, 0700);
  g_assert_cmpuint (lb_test_count_temporaries (folder), ==, 0);

  /* Generations on the server: three kept (KeepBackups), the oldest
   * removed, no temporary file left. */
  for (guint i = 0; i < 3; i++)
    {
      g_auto (LbTestCompleted) more = { 0 };

      if (!net_run (f, FALSE, LB_BACKUP_FLAGS_OVERWRITE, f->uri, &more, NULL))
        return;
      g_assert_cmpuint (more.status, ==, LB_STATUS_END);
    }
  kept = lb_test_list_backups (folder);
  g_assert_cmpuint (kept->len, ==, 3);
  for (guint i = 0; i < kept->len; i++)
    g_assert_cmpstr (kept->pdata[i], !=, first->pdata[0]);
  g_assert_cmpuint (lb_test_count_temporaries (folder), ==, 0);
  g_autofree char *file = server_file (f);
  g_assert_true (g_file_test (file, G_FILE_TEST_IS_REGULAR));

  /* Another computer with an empty store. */
  lb_test_machine_stop_daemon (f->a);
  if (!net_start (f, f->b, 0))
    return;
  g_assert_cmpuint (lb_test_bus_get_license_count (f->bus), ==, 0);
  g_array_set_size (signals, 0);
  g_array_set_size (property, 0);
  collect_status_property (f->props, property);
  g_array_set_size (property, 0);
  if (!net_run (f, TRUE, LB_RESTORE_FLAGS_INDIVIDUALIZE, f->uri, &c, signals))
    return;
  g_assert_cmpuint (c.status, ==, LB_STATUS_END);
  g_assert_cmpuint (lb_test_bus_get_license_count (f->bus), ==, 50);
  collect_status_property (f->props, property);
  assert_connecting_then_disconnecting (signals, property);

  /* Checked over the network: whole, and nothing written on the server;
   * then damaged there, BackupCorrupt with the entry. */
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

typedef enum
{
  HALFWAY_KILL, /* the server's processes killed */
  HALFWAY_STOP, /* the processes serving us stopped (SIGSTOP): a server that stops answering */
} Halfway;

/* Starts a backup (@flags) to the server and waits until it uploads: its
 * temporary file is in the server's @folder (sftp, smb), or, over WebDAV
 * (GVfs sends a file whole when it is closed), 2.5 s into it; its id, or
 * 0 after a failure. */
static guint64
start_upload (Net *f, guint32 flags, const char *folder)
{
  g_autoptr (GError) error = NULL;
  TmpWait wait = { folder };
  guint64 id = start_op (f->manager, FALSE, flags, f->uri, &error);

  g_assert_no_error (error);
  if (id == 0)
    return 0;
  if (f->proto == NET_DAV)
    {
      /* 2.5 s into an upload of 8 s. */
      lb_test_run_for (2500);
      return id;
    }
  if (!lb_test_wait_until (has_temporary, &wait, OP_TIMEOUT_MS))
    {
      g_test_fail_printf ("no temporary file appeared on the server");
      return 0;
    }
  return id;
}

/* A backup over an older one, slowed down; halfway through the upload the
 * server dies or stops answering. The old backup stays whole and the
 * backup ends with a named error in bounded time (for a stopped server,
 * after Cancel: nothing can tell a slow server from a stopped one; within
 * 4 s over sftp and WebDAV, the mount forced off after 2 s, and within
 * SMB_STOPPED_BOUND_MS over SMB). */
static void
test_net_halfway (Net *f, gconstpointer data)
{
  Halfway how = ((const NetArgs *) data)->how;
  g_autoptr (GArray) pids = NULL;
  g_auto (LbTestCompleted) c = { 0 };
  g_autoptr (GError) error = NULL;
  guint64 id;

  if (!net_start_with (f, 20000, 20, 512))
    return;
  if (!net_run (f, FALSE, 0, f->uri, &c, NULL))
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

  pids = serving_pids (f);
  g_test_message ("%s the server's %u processes", how == HALFWAY_KILL ? "killing" : "stopping",
                  pids->len);
  g_assert_cmpuint (pids->len, >, 0);
  for (guint i = 0; i < pids->len; i++)
    if (g_array_index (pids, int, i) > 1)
      kill (g_array_index (pids, int, i), how == HALFWAY_KILL ? SIGKILL : SIGSTOP);
  if (how == HALFWAY_KILL)
    g_subprocess_force_exit (f->server);
  gint64 since = g_get_monotonic_time ();
  if (how == HALFWAY_STOP)
    {
      lb_test_run_for (1000);
      lb_dbus_manager_call_cancel_license_backup_sync (f->manager, NULL, &error);
      g_assert_no_error (error);
    }
  if (!lb_test_completed_wait (
          &c, f->queue, id,
          how == HALFWAY_STOP && f->proto == NET_SMB ? SMB_STOPPED_BOUND_MS : ERROR_BOUND_MS, NULL))
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
    if (g_array_index (pids, int, i) > 1)
      kill (g_array_index (pids, int, i), SIGCONT);
}

/* Asserts that the "cannot log in" message of @c says what to do for the
 * folder's kind: an SSH key for sftp only. */
static void
assert_cannot_log_in (Net *f, const LbTestCompleted *c)
{
  g_assert_cmpuint (c->status, ==, LB_STATUS_ERROR);
  g_assert_cmpstr (completed_error_name (c), ==,
                   lb_test_error_dbus_name (LB_ERROR_PERMISSION_DENIED));
  g_assert_nonnull (strstr (c->error, "Cannot log in to "));
  g_assert_nonnull (
      strstr (c->error, "open the folder once in Files and let it remember the password"));
  if (f->proto == NET_SFTP)
    g_assert_nonnull (strstr (c->error, "SSH key"));
  else
    g_assert_null (strstr (c->error, "SSH"));
}

/* A folder behind a password that nobody remembered (sftp: a server that
 * takes only passwords; smb: a share for one user; dav: Basic
 * authentication): nobody is asked, and the backup ends with
 * PermissionDenied within seconds, saying what to do for that kind of
 * folder; nothing is written there. */
static void
test_net_password (Net *f, gconstpointer data)
{
  g_auto (LbTestCompleted) c = { 0 };
  const char *uri;

  if (!net_start_with (f, 0, 3, 64))
    return;
  uri = f->proto == NET_SFTP ? f->uri : f->locked_uri;
  gint64 start = g_get_monotonic_time ();
  if (!net_run (f, FALSE, 0, uri, &c, NULL))
    return;
  gint64 ms = (g_get_monotonic_time () - start) / 1000;
  g_test_message ("after %" G_GINT64_FORMAT " ms: status %u, %s (%s)", ms, c.status, c.error,
                  completed_error_name (&c));
  assert_cannot_log_in (f, &c);
  g_assert_cmpint (ms, <, 10000);
  if (f->locked_srv != NULL)
    {
      g_autofree char *locked = g_build_filename (f->locked_srv, "backups", NULL);

      g_assert_false (g_file_test (locked, G_FILE_TEST_EXISTS));
    }
}

/* The same folder, its password remembered in the keyring as Files
 * remembers it (GVfs's network password items: user, server, protocol,
 * port; for WebDAV the realm and "basic"): GVfs finds it, nobody is
 * asked, the backup is on the server. */
static void
test_net_keyring (Net *f, gconstpointer data)
{
  g_autofree char *why = NULL;
  g_autofree char *secret_tool = g_find_program_in_path ("secret-tool");
  g_autofree char *port = NULL;
  g_autofree char *bus_env = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (LbTestCompleted) c = { 0 };

  if (!net_ready (f))
    return;
  if (secret_tool == NULL)
    {
      g_test_skip ("secret-tool is not installed (libsecret-tools)");
      return;
    }
  f->keyring = lb_test_keyring_start (f->bus, "login-password", &why);
  if (f->keyring == NULL)
    {
      g_test_skip (why);
      return;
    }
  port = g_strdup_printf ("%u", f->port);
  bus_env = g_strdup_printf ("DBUS_SESSION_BUS_ADDRESS=%s", lb_test_bus_get_address (f->bus));
  if (f->proto == NET_SMB)
    run_quietly (&error,
                 (const char *const[]){ secret_tool, "store", "--label", "smb password",
                                        "xdg:schema", "org.gnome.keyring.NetworkPassword", "user",
                                        g_get_user_name (), "server", "127.0.0.1", "protocol",
                                        "smb", "port", port, NULL },
                 (const char *const[]){ bus_env, NULL }, NET_PASSWORD);
  else
    run_quietly (&error,
                 (const char *const[]){ secret_tool, "store", "--label", "dav password",
                                        "xdg:schema", "org.gnome.keyring.NetworkPassword", "user",
                                        g_get_user_name (), "server", "127.0.0.1", "protocol",
                                        "http", "object", "Backups", "authtype", "basic", "port",
                                        port, NULL },
                 (const char *const[]){ bus_env, NULL }, NET_PASSWORD);
  g_assert_no_error (error);
  if (!net_start_with (f, 0, 5, 64))
    return;
  if (!net_run (f, FALSE, 0, f->locked_uri, &c, NULL))
    return;
  g_assert_cmpuint (c.status, ==, LB_STATUS_END);
  {
    g_autofree char *locked = g_build_filename (f->locked_srv, "backups", NULL);
    g_autoptr (GPtrArray) backups = lb_test_list_backups (locked);

    g_assert_cmpuint (backups->len, ==, 1);
  }
}

/* davs:// to a server whose certificate nobody trusts: nobody is asked,
 * the certificate is not taken, and the backup ends with PermissionDenied
 * saying so; nothing is written on the server. */
static void
test_net_untrusted (Net *f, gconstpointer data)
{
  g_auto (LbTestCompleted) c = { 0 };
  g_autofree char *folder = server_dir (f);

  if (!net_ready (f))
    return;
  if (f->secure_uri == NULL)
    {
      g_test_skip ("Apache cannot serve https here (openssl, mod_ssl)");
      return;
    }
  if (!net_start_with (f, 0, 3, 64) || !net_run (f, FALSE, 0, f->secure_uri, &c, NULL))
    return;
  g_assert_cmpuint (c.status, ==, LB_STATUS_ERROR);
  g_assert_cmpstr (completed_error_name (&c), ==,
                   lb_test_error_dbus_name (LB_ERROR_PERMISSION_DENIED));
  g_assert_nonnull (strstr (c.error, "certificate"));
  g_assert_false (g_file_test (folder, G_FILE_TEST_EXISTS));
}

/* Cancel during the upload: the backup ends (Cancelled) within a second
 * and leaves no temporary file on the server. */
static void
test_net_cancel (Net *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  if (!net_start_with (f, 20000, 400, 512))
    return;
  g_autofree char *folder = server_dir (f);
  g_autofree char *file = server_file (f);
  g_mkdir_with_parents (folder, 0777);
  g_chmod (folder, 0777);
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

  /* The same tests for each protocol: /locations/PROTOCOL/NAME. */
  {
    const struct
    {
      const char *name;
      void (*func) (Net *f, gconstpointer data);
      SshdMode mode;
      int how;
      gboolean sftp; /* whether it is for sftp too */
      gboolean dav_only;
    } cases[] = {
      { "backup-restore", test_net_backup_restore, SSHD_KEYS, 0, TRUE, FALSE },
      { "server-killed", test_net_halfway, SSHD_KEYS, HALFWAY_KILL, TRUE, FALSE },
      { "server-stopped", test_net_halfway, SSHD_KEYS, HALFWAY_STOP, TRUE, FALSE },
      { "password-only", test_net_password, SSHD_PASSWORD_ONLY, 0, TRUE, FALSE },
      { "cancel-upload", test_net_cancel, SSHD_KEYS, 0, TRUE, FALSE },
      { "keyring", test_net_keyring, SSHD_KEYS, 0, FALSE, FALSE },
      { "untrusted-certificate", test_net_untrusted, SSHD_KEYS, 0, FALSE, TRUE },
    };

    static NetArgs args[G_N_ELEMENTS (proto_names)][G_N_ELEMENTS (cases)];

    for (Proto p = NET_SFTP; p <= NET_DAV; p++)
      for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
        {
          g_autofree char *path = NULL;
          NetArgs *a = &args[p][i];

          if ((p == NET_SFTP && !cases[i].sftp) || (p != NET_DAV && cases[i].dav_only))
            continue;
          *a = (NetArgs){ p, cases[i].mode, cases[i].how };
          path = g_strdup_printf (
              "/locations/%s/%s", proto_names[p],
              p != NET_SFTP && cases[i].func == test_net_password ? "password" : cases[i].name);
          g_test_add (path, Net, a, net_setup, (void (*) (Net *, gconstpointer)) cases[i].func,
                      net_teardown);
        }
  }
  return g_test_run ();
}
