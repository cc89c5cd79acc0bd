/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lb-bench: the license-backup benchmark.
 *
 * On a private session bus (a dbus-daemon of its own that allows large
 * messages) with the real license-backupd on temporary stores, for each N:
 *
 *   1. import: N licenses through the library (lb_client_store_licenses_sync:
 *      a sealed memfd, StoreLicensesFromFd);
 *   2. backup against `tar -cf` of the same blobs as one file each;
 *   3. restore into an empty store against `tar -xf`;
 *   4. GetStatus round trips against Peer.Ping, idle, during a backup, and
 *      during the first import and the first restore;
 *   5. the signals a backup puts on the bus;
 *   6. the daemon's peak RSS (VmHWM) per phase;
 *   7. with encryption on (issue 21; --skip encrypt leaves it out): the
 *      same store backed up and restored again, encrypted (age, scrypt at
 *      2^15: 32 MiB), beside the plain figures, with the daemon's peak RSS,
 *      and scrypt alone at the same work factor in this process, its share.
 *      The keyring is gnome-keyring-daemon on the bench's bus (the test
 *      harness's lb_test_keyring_start()), SetEncryption hands it the
 *      passphrase in a sealed memfd; without gnome-keyring-daemon the phase
 *      is skipped, saying why.
 *   8. group commit (issue 25; --skip group leaves it out): twenty client
 *      connections, ten of them sandboxed apps (the harness's fake Flatpak
 *      apps, lb-test-sandbox.h: xdg-dbus-proxy in bubblewrap; host programs
 *      where no sandbox can be made, saying so), each calling StoreLicense
 *      (2 KiB) in a loop for --group-seconds while backups run back to
 *      back: stores a second between them, the median and the 99th
 *      percentile of a call.
 *
 * Every timing is the best of --repeat runs (tar followed by sync runs once
 * at N >= 1,000,000). Beside tar, each N has a floor: `cat | tee copy |
 * openssl dgst -sha256; sync -f copy` of the backup file (and the same with
 * sha256sum), reading, hashing, writing and syncing the same bytes once;
 * and the floor of a checked backup, the same then the copy read back with
 * O_DIRECT and hashed again. It prints one table per
 * N and writes the same figures as JSON. The bus and the daemons are the
 * test harness's (tests/harness/lb-test-util.h: LbTestBus, LbTestMachine):
 * a daemon is spawned with an environment of only DBUS_SESSION_BUS_ADDRESS,
 * XDG_DATA_HOME, HOME and XDG_RUNTIME_DIR; $LB_BENCH_DAEMON_WRAPPER (e.g. "perf record -g -o
 * /tmp/lb-{tag}.data --") is put in front of its command line, "{tag}" and "{n}" replaced by the
 * phase ("import-1", "backup", "restore-1") and N, for profiling.
 */
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <license-backup/license-backup.h>
#include <math.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lb-age.h"
#include "lb-test-sandbox.h"
#include "lb-test-util.h"

#ifndef LB_BENCH_RESULTS
#define LB_BENCH_RESULTS "results.json"
#endif

#define BUS_NAME LB_TEST_BUS_NAME
#define OBJECT_PATH LB_TEST_OBJECT_PATH
#define MANAGER_IFACE LB_TEST_MANAGER_IFACE
#define STORE_IFACE LB_TEST_STORE_IFACE
#define FILES_PER_DIR 10000
#define START_TIMEOUT_MS 60000
#define OP_TIMEOUT_US (G_GINT64_CONSTANT (3600) * G_USEC_PER_SEC)
/* What one license needs on disk, everything together: the store (~2.5 KiB
 * with indexes), the file copy (a 4 KiB block), the tar file (~2.5 KiB),
 * the backup (~2.5 KiB), the restored store and the extracted copy. */
#define DISK_BYTES_PER_LICENSE (20 * 1024)

/* Options */

static char *opt_n = NULL;
static gboolean opt_large = FALSE;
static int opt_repeat = 3;
static int opt_rtt_calls = 2000;
static char *opt_workdir = NULL;
static char *opt_json = NULL;
static char *opt_daemon = NULL;
static char *opt_skip = NULL;
static gboolean opt_keep = FALSE;
static guint64 opt_seed = 20240601;

static gboolean skip_tar, skip_rtt, skip_restore, skip_encrypt, skip_group;
static int opt_group_seconds = 10;

/* The encrypted phase's passphrase and the keyring's login password: what
 * they are does not change the cost (scrypt's work factor does). */
#define BENCH_PASSPHRASE "benchmark passphrase, not a secret"
#define BENCH_KEYRING_PASSWORD "benchmark-keyring-login"

/* The work directory, removed if we are interrupted. */
static char *cleanup_root;

static void
on_fatal_signal (int signum)
{
  pid_t pid;

  if (cleanup_root != NULL && (pid = fork ()) == 0)
    {
      execlp ("rm", "rm", "-rf", "--", cleanup_root, (char *) NULL);
      _exit (127);
    }
  else if (cleanup_root != NULL && pid > 0)
    waitpid (pid, NULL, 0);
  _exit (128 + signum);
}

/* Small helpers */

static double
seconds_since (gint64 t0_us)
{
  return (double) (g_get_monotonic_time () - t0_us) / G_USEC_PER_SEC;
}

static void note (const char *format, ...) G_GNUC_PRINTF (1, 2);

static void
note (const char *format, ...)
{
  va_list args;
  g_autofree char *msg = NULL;
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%H:%M:%S");

  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  g_printerr ("[%s] %s\n", stamp, msg);
}

/* Runs a command with our environment; FALSE (and a message) if it fails. */
static gboolean
run_command (const char *const *argv)
{
  g_autoptr (GSubprocess) p = NULL;
  g_autoptr (GError) error = NULL;

  p = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_NONE, &error);
  if (p == NULL || !g_subprocess_wait_check (p, NULL, &error))
    {
      g_printerr ("lb-bench: %s failed: %s\n", argv[0], error->message);
      return FALSE;
    }
  return TRUE;
}

static double
time_command (const char *const *argv)
{
  gint64 t0 = g_get_monotonic_time ();

  if (!run_command (argv))
    return NAN;
  return seconds_since (t0);
}

static void
rm_rf (const char *path)
{
  const char *argv[] = { "rm", "-rf", "--", path, NULL };

  run_command (argv);
}

static void
mkdir_p (const char *path)
{
  if (g_mkdir_with_parents (path, 0700) != 0)
    g_error ("cannot create %s: %s", path, g_strerror (errno));
}

static guint64
dir_size (const char *path)
{
  g_autoptr (GSubprocess) p = NULL;
  g_autofree char *out = NULL;
  const char *argv[] = { "du", "-sb", path, NULL };

  p = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE, NULL);
  if (p == NULL || !g_subprocess_communicate_utf8 (p, NULL, NULL, &out, NULL, NULL))
    return 0;
  return g_ascii_strtoull (out, NULL, 10);
}

static guint64
file_size (const char *path)
{
  GStatBuf st;

  return g_stat (path, &st) == 0 ? (guint64) st.st_size : 0;
}

static double
min_of (GArray *a)
{
  double m = NAN;

  for (guint i = 0; i < a->len; i++)
    if (isnan (m) || g_array_index (a, double, i) < m)
      m = g_array_index (a, double, i);
  return m;
}

static int
cmp_double (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y ? 1 : 0;
}

/* The nearest-rank percentile of @a (sorted in place). */
static double
percentile (GArray *a, double p)
{
  gsize rank;

  if (a->len == 0)
    return NAN;
  g_array_sort (a, cmp_double);
  rank = (gsize) ceil (p / 100.0 * a->len);
  rank = CLAMP (rank, 1, a->len);
  return g_array_index (a, double, rank - 1);
}

/* /proc */

/* A "Key:   1234 kB" line of /proc/PID/status, in KiB; 0 if unreadable. */
static guint64
proc_status_kib (GPid pid, const char *key)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", (int) pid);
  g_autofree char *contents = NULL;
  g_auto (GStrv) lines = NULL;
  gsize klen = strlen (key);

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return 0;
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (strncmp (lines[i], key, klen) == 0 && lines[i][klen] == ':')
      return g_ascii_strtoull (lines[i] + klen + 1, NULL, 10);
  return 0;
}

/* User + system CPU seconds of @pid (all its threads). */
static double
proc_cpu_seconds (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", (int) pid);
  g_autofree char *contents = NULL;
  g_auto (GStrv) fields = NULL;
  const char *p;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return NAN;
  /* After the ")" that ends the command name: field 3 onwards. */
  p = strrchr (contents, ')');
  if (p == NULL)
    return NAN;
  fields = g_strsplit (p + 2, " ", -1);
  if (g_strv_length (fields) < 13)
    return NAN;
  /* utime and stime are fields 14 and 15, so 11 and 12 here. */
  return (double) (g_ascii_strtoull (fields[11], NULL, 10)
                   + g_ascii_strtoull (fields[12], NULL, 10))
         / (double) sysconf (_SC_CLK_TCK);
}

static double
self_cpu_seconds (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return (double) ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double) ru.ru_stime.tv_sec
         + ru.ru_stime.tv_usec / 1e6;
}

static char *
read_trimmed (const char *path)
{
  char *contents = NULL;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return g_strdup ("");
  return g_strstrip (contents);
}

static char *
cpu_model (void)
{
  g_autofree char *contents = NULL;
  g_auto (GStrv) lines = NULL;

  if (!g_file_get_contents ("/proc/cpuinfo", &contents, NULL, NULL))
    return g_strdup ("unknown");
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], "model name"))
      {
        const char *colon = strchr (lines[i], ':');
        if (colon != NULL)
          return g_strstrip (g_strdup (colon + 1));
      }
  return g_strdup ("unknown");
}

/* The device and type of the file system holding @path (/proc/mounts). */
static char *
filesystem_of (const char *path)
{
  g_autofree char *contents = NULL;
  g_auto (GStrv) lines = NULL;
  g_autofree char *real = realpath (path, NULL);
  char *best = NULL;
  gsize best_len = 0;

  if (real == NULL || !g_file_get_contents ("/proc/mounts", &contents, NULL, NULL))
    return g_strdup ("unknown");
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto (GStrv) f = g_strsplit (lines[i], " ", 4);
      gsize len;

      if (g_strv_length (f) < 3)
        continue;
      len = strlen (f[1]);
      if ((g_str_equal (f[1], "/")
           || (g_str_has_prefix (real, f[1]) && (real[len] == '/' || real[len] == '\0')))
          && len >= best_len)
        {
          g_free (best);
          best = g_strdup_printf ("%s (%s) on %s", f[0], f[2], f[1]);
          best_len = len;
        }
    }
  return best != NULL ? best : g_strdup ("unknown");
}

static guint64
free_disk_bytes (const char *path)
{
  struct statvfs st;

  if (statvfs (path, &st) != 0)
    return 0;
  return (guint64) st.f_bavail * st.f_frsize;
}

/* The licenses: deterministic from (seed, index), so that the file copy
 * holds the same blobs as the store without keeping them in memory. */

static inline guint64
splitmix64 (guint64 *state)
{
  guint64 z = (*state += 0x9E3779B97F4A7C15ull);

  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

#define BLOB_MIN 1024
#define BLOB_MAX 3072

typedef struct
{
  char key_id[40];
  gsize size;
  guint8 blob[BLOB_MAX + 8];
} GenLicense;

/* Key ids look like the KIDs of real licenses: 32 random hex digits, so
 * that the store's key indexes get inserts in random order. */
static void
gen_license (guint i, GenLicense *out)
{
  guint64 s = opt_seed ^ ((guint64) i * 0xD1B54A32D192ED03ull);
  guint64 k1 = splitmix64 (&s), k2 = splitmix64 (&s);

  g_snprintf (out->key_id, sizeof out->key_id,
              "%016" G_GINT64_MODIFIER "x%016" G_GINT64_MODIFIER "x", k1, k2);
  out->size = BLOB_MIN + splitmix64 (&s) % (BLOB_MAX - BLOB_MIN + 1);
  for (gsize off = 0; off < out->size; off += 8)
    {
      guint64 r = splitmix64 (&s);
      memcpy (out->blob + off, &r, 8);
    }
}

static gboolean
gen_can_backup (guint i)
{
  return i % 10 != 0; /* exactly ceil(N / 10) without the Backup right */
}

static guint
eligible_count (guint n)
{
  return n - (n + 9) / 10;
}

/* The copy a user would make by hand: one file per license, at most
 * FILES_PER_DIR per directory. */
static gboolean
write_license_files (const char *dir, guint n)
{
  GenLicense *l = g_new (GenLicense, 1);
  g_autofree char *shard_dir = NULL;

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *path = NULL;
      int fd;

      if (i % FILES_PER_DIR == 0)
        {
          g_free (shard_dir);
          shard_dir = g_strdup_printf ("%s/%04u", dir, i / FILES_PER_DIR);
          mkdir_p (shard_dir);
        }
      gen_license (i, l);
      path = g_strdup_printf ("%s/%s.lic", shard_dir, l->key_id);
      fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      if (fd < 0 || write (fd, l->blob, l->size) != (ssize_t) l->size)
        {
          g_printerr ("lb-bench: cannot write %s: %s\n", path, g_strerror (errno));
          if (fd >= 0)
            close (fd);
          g_free (l);
          return FALSE;
        }
      close (fd);
    }
  g_free (l);
  return TRUE;
}

/* The signals of one operation, counted as they arrive (in GDBus's worker
 * thread, by a filter: the arrival time is not delayed by the main loop). */

typedef struct
{
  GMutex lock;
  char *sender;            /* the daemon's unique name; NULL when not counting */
  GMainContext *wake;      /* woken up by Completed */
  GArray *progress_us;     /* arrival of each Backup/RestoreProgress */
  GArray *progress_done;   /* and its "done" */
  GArray *progress_status; /* and its "status" */
  guint properties_changed;
  guint restricted;
  gboolean completed;
  gint64 completed_us;
  GVariant *completed_params;
} SignalCounter;

static SignalCounter counter;

static GDBusMessage *
signal_filter (GDBusConnection *connection,
               GDBusMessage *message,
               gboolean incoming,
               gpointer user_data)
{
  const char *member;
  gint64 now;

  if (!incoming || g_dbus_message_get_message_type (message) != G_DBUS_MESSAGE_TYPE_SIGNAL)
    return message;
  now = g_get_monotonic_time ();
  member = g_dbus_message_get_member (message);
  g_mutex_lock (&counter.lock);
  if (counter.sender != NULL && g_strcmp0 (g_dbus_message_get_sender (message), counter.sender) == 0
      && member != NULL)
    {
      if (g_str_equal (member, "PropertiesChanged"))
        counter.properties_changed++;
      else if (g_str_equal (member, "BackupProgress") || g_str_equal (member, "RestoreProgress"))
        {
          guint64 done = 0;
          guint32 status = 0;

          g_variant_get (g_dbus_message_get_body (message), "(tu&stt)", NULL, &status, NULL, &done,
                         NULL);
          g_array_append_val (counter.progress_us, now);
          g_array_append_val (counter.progress_done, done);
          g_array_append_val (counter.progress_status, status);
        }
      else if (g_str_equal (member, "RestrictedLicense"))
        counter.restricted++;
      else if (g_str_equal (member, "BackupCompleted") || g_str_equal (member, "RestoreCompleted"))
        {
          counter.completed = TRUE;
          counter.completed_us = now;
          g_clear_pointer (&counter.completed_params, g_variant_unref);
          counter.completed_params = g_variant_ref (g_dbus_message_get_body (message));
          g_main_context_wakeup (counter.wake);
        }
    }
  g_mutex_unlock (&counter.lock);
  return message;
}

#define COUNT_MATCH_RULE "type='signal',sender='" BUS_NAME "',path='" OBJECT_PATH "'"

static void
bus_match (GDBusConnection *c, gboolean add)
{
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GError) error = NULL;

  reply = g_dbus_connection_call_sync (c, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", add ? "AddMatch" : "RemoveMatch",
                                       g_variant_new ("(s)", COUNT_MATCH_RULE), NULL,
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  if (reply == NULL)
    g_error ("%s: %s", add ? "AddMatch" : "RemoveMatch", error->message);
}

static void
counter_start (GDBusConnection *c, const char *sender)
{
  g_mutex_lock (&counter.lock);
  g_free (counter.sender);
  counter.sender = g_strdup (sender);
  g_array_set_size (counter.progress_us, 0);
  g_array_set_size (counter.progress_done, 0);
  g_array_set_size (counter.progress_status, 0);
  counter.properties_changed = 0;
  counter.restricted = 0;
  counter.completed = FALSE;
  counter.completed_us = 0;
  g_clear_pointer (&counter.completed_params, g_variant_unref);
  g_mutex_unlock (&counter.lock);
  bus_match (c, TRUE);
}

static void
counter_stop (GDBusConnection *c)
{
  bus_match (c, FALSE);
  g_mutex_lock (&counter.lock);
  g_clear_pointer (&counter.sender, g_free);
  g_mutex_unlock (&counter.lock);
}

static gboolean
counter_completed (void)
{
  gboolean done;

  g_mutex_lock (&counter.lock);
  done = counter.completed;
  g_mutex_unlock (&counter.lock);
  return done;
}

/* The daemon */

typedef struct
{
  LbTestDaemon *daemon; /* the daemon, or its wrapper; its machine's */
  GPid pid;             /* the daemon itself: the owner of the name */
  char *unique_name;
} Daemon;

typedef struct
{
  guint n;
  char *root;
  LbTestMachine *machine; /* its machine id and home; not its stores */
  char *data_a;           /* the store that is imported and backed up */
  char *data_b;           /* the empty store a restore goes into */
  char *backup_dir;
  char *backup_enc_dir; /* the encrypted backups */
  char *files_dir;      /* the hand-made copy: files_dir/NNNN/<key id>.lic */
  char *tar_path;
  char *extract_dir;
  char *logs_dir;
  guint daemons_started;
} Work;

typedef struct
{
  LbTestBus *bus;
  GDBusConnection *conn; /* the bus's */
  GMainContext *ctx;
  char *root;
  LbTestKeyring *keyring; /* started at the first encrypted phase */
  char *keyring_why_not;  /* why it could not start */
} Bench;

/* @template with {tag} and {n} replaced. */
static char *
expand (const char *template, const char *tag, guint n)
{
  g_autoptr (GString) s = g_string_new (template);
  g_autofree char *n_str = g_strdup_printf ("%u", n);

  g_string_replace (s, "{tag}", tag, 0);
  g_string_replace (s, "{n}", n_str, 0);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static Daemon *
daemon_start (Bench *b, Work *w, const char *data_home, const char *tag)
{
  /* All N licenses belong to one app (the host): a million of them take
   * 2 GB, over the default per-app limit of 1 GiB. */
  const char *const args[]
      = { "--app-max-bytes=68719476736", "--app-max-licenses=100000000", NULL };
  const char *wrapper = g_getenv ("LB_BENCH_DAEMON_WRAPPER");
  g_auto (GStrv) wargv = NULL;
  g_autofree char *log_path
      = g_strdup_printf ("%s/daemon-%02u-%s.log", w->logs_dir, ++w->daemons_started, tag);
  Daemon *d = g_new0 (Daemon, 1);

  if (wrapper != NULL && wrapper[0] != '\0')
    {
      g_autofree char *expanded = expand (wrapper, tag, w->n);
      g_autoptr (GError) error = NULL;

      if (!g_shell_parse_argv (expanded, NULL, &wargv, &error))
        g_error ("LB_BENCH_DAEMON_WRAPPER: %s", error->message);
    }
  d->daemon = lb_test_machine_start_daemon (
      w->machine, &(LbTestDaemonOptions){ .flags = LB_TEST_DAEMON_QUIET,
                                          .extra_args = args,
                                          .wrapper = (const char *const *) wargv,
                                          .data_home = data_home,
                                          .log_path = log_path });
  /* It owns the name when it is ready. */
  if (d->daemon == NULL || (d->unique_name = lb_test_bus_get_owner (b->bus)) == NULL)
    {
      g_autofree char *log = NULL;

      g_file_get_contents (log_path, &log, NULL, NULL);
      g_error ("license-backupd (%s) did not start; its log:\n%s", tag, log ? log : "");
    }
  d->pid = lb_test_daemon_get_service_pid (d->daemon);
  return d;
}

static void
daemon_stop (Bench *b, Daemon *d)
{
  if (d == NULL)
    return;
  kill (d->pid, SIGTERM);
  if (!lb_test_daemon_wait_exit (d->daemon, START_TIMEOUT_MS)
      || lb_test_daemon_get_exit_status (d->daemon) != 0)
    g_printerr ("lb-bench: license-backupd did not exit cleanly (see %s)\n",
                lb_test_daemon_get_log_path (d->daemon));
  lb_test_bus_wait_no_owner (b->bus, START_TIMEOUT_MS);
  g_free (d->unique_name);
  g_free (d);
}

static double
daemon_hwm_mib (Daemon *d)
{
  return proc_status_kib (d->pid, "VmHWM") / 1024.0;
}

static double
daemon_rss_mib (Daemon *d)
{
  return proc_status_kib (d->pid, "VmRSS") / 1024.0;
}

/* Calls */

static GVariant *
call (Bench *b, const char *iface, const char *method, GVariant *params, const char *reply_type)
{
  g_autoptr (GError) error = NULL;
  GVariant *reply;

  reply = g_dbus_connection_call_sync (b->conn, BUS_NAME, OBJECT_PATH, iface, method, params,
                                       reply_type ? G_VARIANT_TYPE (reply_type) : NULL,
                                       G_DBUS_CALL_FLAGS_NO_AUTO_START, G_MAXINT, NULL, &error);
  if (reply == NULL)
    g_error ("%s.%s failed: %s", iface, method, error->message);
  return reply;
}

static guint
license_count (Bench *b)
{
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GVariant) v = NULL;

  reply = call (b, "org.freedesktop.DBus.Properties", "Get",
                g_variant_new ("(ss)", STORE_IFACE, "LicenseCount"), "(v)");
  g_variant_get (reply, "(v)", &v);
  return g_variant_get_uint32 (v);
}

/* 1. Import */

/* Licenses 0..n-1 as an app holds them before it imports them. */
static GPtrArray *
gen_licenses (guint n)
{
  GPtrArray *licenses = g_ptr_array_new_full (n, g_object_unref);
  GenLicense *l = g_new (GenLicense, 1);
  gint64 far_future = g_get_real_time () / G_USEC_PER_SEC + 20 * 365 * 86400;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (GBytes) data = NULL;
      g_autofree char *content = g_strdup_printf ("urn:content:%u", i);
      g_autofree char *issuer = g_strdup_printf ("issuer-%u.example", i % 37);
      g_autofree char *url = g_strdup_printf ("https://issuer-%u.example/support", i % 37);
      LbLicense *license;

      gen_license (i, l);
      data = g_bytes_new (l->blob, l->size);
      license = lb_license_new (l->key_id, data);
      lb_license_set_content_id (license, content);
      lb_license_set_issuer (license, issuer);
      lb_license_set_support_url (license, url);
      lb_license_set_can_backup (license, gen_can_backup (i));
      if (i % 3 == 1)
        lb_license_set_expires (license, far_future);
      if (i % 4 == 2)
        lb_license_set_restore_limit (license, 5);
      g_ptr_array_add (licenses, license);
    }
  g_free (l);
  return licenses;
}

/* Stores licenses 0..n-1 as an app would, through the library
 * (lb_client_store_licenses_sync: past one call's worth, a sealed memfd);
 * returns the seconds the call took. Making the licenses and connecting
 * are not timed. */
static double
import_licenses (Bench *b, guint n)
{
  g_autoptr (GPtrArray) licenses = gen_licenses (n);
  g_autoptr (GError) error = NULL;
  g_autoptr (LbClient) client = lb_client_new_for_connection_sync (b->conn, NULL, &error);
  gint64 t0;

  if (client == NULL)
    g_error ("cannot connect the library: %s", error->message);
  t0 = g_get_monotonic_time ();
  if (!lb_client_store_licenses_sync (client, licenses, NULL, &error))
    g_error ("the import failed: %s", error->message);
  return (double) (g_get_monotonic_time () - t0) / G_USEC_PER_SEC;
}

/* 2, 3, 5. Backups and restores, timed from the call to Completed */

typedef struct
{
  double seconds;
  guint progress_signals;
  double progress_mean_per_s; /* (signals - 1) / time from the first to the last */
  guint progress_max_per_s;   /* most signals in any 1 s window */
  double progress_min_gap_ms; /* shortest time between two */
  guint properties_changed;
  guint restricted;
  guint licenses;
  guint skipped;
  guint64 bytes;
  guint status;
  GArray *timeline; /* triples of doubles: ms after the call, done, status */
} OpResult;

static gboolean
iterate_until_completed (Bench *b, gint64 deadline)
{
  while (!counter_completed ())
    {
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      g_main_context_iteration (b->ctx, FALSE);
      g_usleep (200);
    }
  return TRUE;
}

static OpResult
run_operation (Bench *b, Daemon *d, gboolean backup, const char *dir)
{
  OpResult r = { 0 };
  g_autoptr (GVariant) reply = NULL;
  GVariantBuilder opts;
  gint64 t0;
  guint64 op = 0, done_op = 0;
  const char *error_msg = "";
  g_autoptr (GVariant) summary = NULL;
  /* A backup replaces the one of the previous run. */
  guint32 flags = backup ? (guint32) LB_BACKUP_FLAGS_OVERWRITE : (guint32) LB_RESTORE_FLAGS_NONE;

  sync (); /* writeback of earlier steps is not this one's cost */
  counter_start (b->conn, d->unique_name);
  g_variant_builder_init (&opts, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&opts, "{sv}", "path", g_variant_new_string (dir));
  t0 = g_get_monotonic_time ();
  reply = call (b, MANAGER_IFACE, backup ? "BackupLicenses" : "RestoreLicenses",
                g_variant_new ("(ua{sv})", flags, &opts), "(t)");
  g_variant_get (reply, "(t)", &op);
  if (!iterate_until_completed (b, t0 + OP_TIMEOUT_US))
    g_error ("%s did not complete", backup ? "BackupLicenses" : "RestoreLicenses");
  counter_stop (b->conn);

  g_mutex_lock (&counter.lock);
  r.seconds = (double) (counter.completed_us - t0) / G_USEC_PER_SEC;
  g_variant_get (counter.completed_params, "(tu&s@a{sv})", &done_op, &r.status, &error_msg,
                 &summary);
  if (done_op != op || r.status != LB_STATUS_END)
    g_error ("%s %" G_GUINT64_FORMAT " ended with status %u: %s", backup ? "backup" : "restore",
             done_op, r.status, error_msg);
  g_variant_lookup (summary, "licenses", "u", &r.licenses);
  g_variant_lookup (summary, "skipped", "u", &r.skipped);
  g_variant_lookup (summary, "bytes", "t", &r.bytes);
  r.properties_changed = counter.properties_changed;
  r.restricted = counter.restricted;
  r.progress_signals = counter.progress_us->len;
  /* The mean rate between the first and the last signal. */
  r.progress_mean_per_s = NAN;
  if (counter.progress_us->len >= 2)
    r.progress_mean_per_s
        = (counter.progress_us->len - 1)
          / ((double) (g_array_index (counter.progress_us, gint64, counter.progress_us->len - 1)
                       - g_array_index (counter.progress_us, gint64, 0))
             / G_USEC_PER_SEC);
  r.progress_min_gap_ms = NAN;
  for (guint i = 0, j = 0; i < counter.progress_us->len; i++)
    {
      gint64 ti = g_array_index (counter.progress_us, gint64, i);

      while (ti - g_array_index (counter.progress_us, gint64, j) >= G_USEC_PER_SEC)
        j++;
      r.progress_max_per_s = MAX (r.progress_max_per_s, i - j + 1);
      if (i > 0)
        {
          double gap = (ti - g_array_index (counter.progress_us, gint64, i - 1)) / 1000.0;
          if (isnan (r.progress_min_gap_ms) || gap < r.progress_min_gap_ms)
            r.progress_min_gap_ms = gap;
        }
    }
  r.timeline = g_array_new (FALSE, FALSE, sizeof (double));
  for (guint i = 0; i < counter.progress_us->len; i++)
    {
      double ms = (g_array_index (counter.progress_us, gint64, i) - t0) / 1000.0;
      double done_d = (double) g_array_index (counter.progress_done, guint64, i);

      double status_d = (double) g_array_index (counter.progress_status, guint32, i);

      g_array_append_val (r.timeline, ms);
      g_array_append_val (r.timeline, done_d);
      g_array_append_val (r.timeline, status_d);
    }
  g_mutex_unlock (&counter.lock);
  return r;
}

/* 7. Encryption */

/* gnome-keyring-daemon on the bench's bus, its login keyring made fresh
 * and unlocked, once for the whole run; FALSE (and why, once) without. */
static gboolean
keyring_ready (Bench *b)
{
  if (b->keyring == NULL && b->keyring_why_not == NULL)
    {
      b->keyring = lb_test_keyring_start (b->bus, BENCH_KEYRING_PASSWORD, &b->keyring_why_not);
      if (b->keyring != NULL)
        note ("gnome-keyring-daemon runs on the bench's bus, its login keyring unlocked");
    }
  return b->keyring != NULL;
}

/* SetEncryption (TRUE) with the passphrase in a sealed memfd, as clients
 * send it: the service keeps it in the keyring and EncryptBackups in the
 * store's state.ini, so that the daemons started afterwards encrypt. */
static void
encryption_on (Bench *b)
{
  g_autoptr (GUnixFDList) fds = lb_test_passphrase_fds (BENCH_PASSPHRASE);
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GError) error = NULL;

  reply = g_dbus_connection_call_with_unix_fd_list_sync (
      b->conn, BUS_NAME, OBJECT_PATH, MANAGER_IFACE, "SetEncryption",
      g_variant_new_parsed ("(true, {'passphrase': <@h 0>})"), G_VARIANT_TYPE_UNIT,
      G_DBUS_CALL_FLAGS_NO_AUTO_START, G_MAXINT, fds, NULL, NULL, &error);
  if (reply == NULL)
    g_error ("SetEncryption failed: %s", error->message);
}

/* Whether the file at @path is an age file. */
static gboolean
file_is_encrypted (const char *path)
{
  guint8 head[LB_AGE_MAGIC_LEN];
  ssize_t got;
  int fd = open (path, O_RDONLY | O_CLOEXEC);

  if (fd < 0)
    return FALSE;
  got = read (fd, head, sizeof head);
  close (fd);
  return got == (ssize_t) sizeof head && lb_age_sniff (head, sizeof head);
}

/* scrypt alone at the service's work factor (r = 8, p = 1, as age and
 * lb-age.c call it), in this process: the seconds of one derivation. */
static double
scrypt_seconds (void)
{
  static const char passphrase[] = BENCH_PASSPHRASE;
  guint8 salt[16] = { 0 };
  guint8 key[32];
  gint64 t0;

  if (sodium_init () < 0)
    return NAN;
  t0 = g_get_monotonic_time ();
  if (crypto_pwhash_scryptsalsa208sha256_ll (
          (const guint8 *) passphrase, strlen (passphrase), salt, sizeof salt,
          G_GUINT64_CONSTANT (1) << LB_AGE_WORK_FACTOR_DEFAULT, 8, 1, key, sizeof key)
      != 0)
    return NAN;
  return seconds_since (t0);
}

/* 4. Responsiveness */

typedef struct
{
  GArray *get_status; /* us */
  GArray *ping;
  guint backups; /* run meanwhile, for the "during a backup" case */
} Rtt;

static double
round_trip_us (GDBusConnection *c, const char *dest, gboolean ping)
{
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GError) error = NULL;
  gint64 t0 = g_get_monotonic_time ();

  reply = g_dbus_connection_call_sync (
      c, dest, OBJECT_PATH, ping ? "org.freedesktop.DBus.Peer" : MANAGER_IFACE,
      ping ? "Ping" : "GetStatus", NULL, ping ? G_VARIANT_TYPE_UNIT : G_VARIANT_TYPE ("(us)"),
      G_DBUS_CALL_FLAGS_NO_AUTO_START, -1, NULL, &error);
  if (reply == NULL)
    g_error ("%s failed: %s", ping ? "Ping" : "GetStatus", error->message);
  return (double) (g_get_monotonic_time () - t0);
}

typedef struct
{
  LbTestBus *bus;
  const char *backup_dir;
  gint stop;
  gint running;  /* the number of the running backup, 0 between backups */
  guint backups; /* completed */
  gboolean completed;
  GMainContext *ctx;
} BackupLoop;

static void
loop_completed (GDBusConnection *c,
                const char *sender,
                const char *path,
                const char *iface,
                const char *member,
                GVariant *params,
                gpointer user_data)
{
  BackupLoop *l = user_data;
  guint status = 0;

  g_variant_get (params, "(tu&s@a{sv})", NULL, &status, NULL, NULL);
  if (status != LB_STATUS_END)
    g_error ("a backup of the responsiveness loop failed (status %u)", status);
  l->completed = TRUE;
}

/* Backs up with OVERWRITE again and again until told to stop. */
static gpointer
backup_loop_thread (gpointer user_data)
{
  BackupLoop *l = user_data;
  g_autoptr (GDBusConnection) c = NULL;
  guint sub;
  gint number = 0;
  g_autoptr (GError) connect_error = NULL;

  l->ctx = g_main_context_new ();
  g_main_context_push_thread_default (l->ctx);
  c = lb_test_bus_connect (l->bus, &connect_error);
  if (c == NULL)
    g_error ("cannot connect to the private bus: %s", connect_error->message);
  sub = g_dbus_connection_signal_subscribe (c, BUS_NAME, MANAGER_IFACE, "BackupCompleted",
                                            OBJECT_PATH, NULL, G_DBUS_SIGNAL_FLAGS_NONE,
                                            loop_completed, l, NULL);
  while (!g_atomic_int_get (&l->stop))
    {
      g_autoptr (GVariant) reply = NULL;
      g_autoptr (GError) error = NULL;
      GVariantBuilder opts;

      l->completed = FALSE;
      g_variant_builder_init (&opts, G_VARIANT_TYPE_VARDICT);
      g_variant_builder_add (&opts, "{sv}", "path", g_variant_new_string (l->backup_dir));
      reply = g_dbus_connection_call_sync (
          c, BUS_NAME, OBJECT_PATH, MANAGER_IFACE, "BackupLicenses",
          g_variant_new ("(ua{sv})", LB_BACKUP_FLAGS_OVERWRITE, &opts), G_VARIANT_TYPE ("(t)"),
          G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
      if (reply == NULL)
        g_error ("BackupLicenses (responsiveness loop): %s", error->message);
      g_atomic_int_set (&l->running, ++number);
      while (!l->completed)
        g_main_context_iteration (l->ctx, TRUE);
      g_atomic_int_set (&l->running, 0);
      l->backups++;
    }
  g_dbus_connection_signal_unsubscribe (c, sub);
  g_dbus_connection_close_sync (c, NULL, NULL);
  g_main_context_pop_thread_default (l->ctx);
  /* Pending idle callbacks of the unsubscription hold the context. */
  while (g_main_context_iteration (l->ctx, FALSE))
    ;
  g_main_context_unref (l->ctx);
  return NULL;
}

/* GetStatus and Ping, alternating, until each has @calls samples. With
 * @during_backup, only the calls that began and ended within one backup
 * count; the backups run one after another in a thread of their own. */
static Rtt
measure_rtt (Bench *b, Daemon *d, const char *backup_dir, gboolean during_backup)
{
  Rtt r = { g_array_new (FALSE, FALSE, sizeof (double)),
            g_array_new (FALSE, FALSE, sizeof (double)), 0 };
  BackupLoop loop = { b->bus, backup_dir, 0, 0, 0, FALSE, NULL };
  GThread *thread = NULL;
  gint64 deadline;

  /* Warm-up: connections, the daemon's first dispatches. */
  for (int i = 0; i < 200; i++)
    round_trip_us (b->conn, d->unique_name, i % 2 == 0);

  if (during_backup)
    {
      thread = g_thread_new ("backup-loop", backup_loop_thread, &loop);
      while (g_atomic_int_get (&loop.running) == 0)
        g_usleep (1000);
    }
  deadline = g_get_monotonic_time () + 600 * G_USEC_PER_SEC;
  for (guint i = 0;
       r.get_status->len < (guint) opt_rtt_calls || r.ping->len < (guint) opt_rtt_calls; i++)
    {
      gboolean ping = i % 2 == 1;
      GArray *into = ping ? r.ping : r.get_status;
      gint before = g_atomic_int_get (&loop.running);
      double us;

      if (into->len >= (guint) opt_rtt_calls)
        continue;
      us = round_trip_us (b->conn, d->unique_name, ping);
      if (!during_backup || (before != 0 && g_atomic_int_get (&loop.running) == before))
        g_array_append_val (into, us);
      if (g_get_monotonic_time () > deadline)
        g_error ("the responsiveness measurement took more than 10 minutes");
    }
  if (during_backup)
    {
      g_atomic_int_set (&loop.stop, 1);
      g_thread_join (thread);
      r.backups = loop.backups;
    }
  return r;
}

/* The best (lowest) of --repeat measurements for each of: GetStatus
 * median, GetStatus p99, Ping median, Ping p99 (µs). */
static void
rtt_best (Bench *b,
          Daemon *d,
          const char *backup_dir,
          gboolean during_backup,
          double best[4],
          guint *backups)
{
  for (int i = 0; i < 4; i++)
    best[i] = NAN;
  for (int rep = 1; rep <= opt_repeat; rep++)
    {
      Rtt rtt = measure_rtt (b, d, backup_dir, during_backup);
      double v[4] = { percentile (rtt.get_status, 50), percentile (rtt.get_status, 99),
                      percentile (rtt.ping, 50), percentile (rtt.ping, 99) };

      for (int i = 0; i < 4; i++)
        if (isnan (best[i]) || v[i] < best[i])
          best[i] = v[i];
      if (backups != NULL)
        *backups += rtt.backups;
      note ("%s %d/%d: GetStatus %.0f/%.0f us, Ping %.0f/%.0f us (median/p99)",
            during_backup ? "round trips during backups" : "round trips idle", rep, opt_repeat,
            v[0], v[1], v[2], v[3]);
      g_array_unref (rtt.get_status);
      g_array_unref (rtt.ping);
    }
}

/* GetStatus and Ping, alternating, on a connection of their own, for as
 * long as a bulk operation (an import, a restore) runs: whether the main
 * loop answers as fast as GDBus's own thread does while the store is busy.
 * The thread's calls take CPU from the operation, so only the first of
 * --repeat runs is sampled. */
typedef struct
{
  LbTestBus *bus;
  const char *dest;
  gint stop;
  GThread *thread;
  Rtt rtt;
} Sampler;

static gpointer
sampler_thread (gpointer user_data)
{
  Sampler *s = user_data;
  g_autoptr (GMainContext) ctx = g_main_context_new ();
  g_autoptr (GDBusConnection) c = NULL;
  g_autoptr (GError) error = NULL;

  g_main_context_push_thread_default (ctx);
  c = lb_test_bus_connect (s->bus, &error);
  if (c == NULL)
    g_error ("cannot connect to the private bus: %s", error->message);
  for (guint i = 0; !g_atomic_int_get (&s->stop); i++)
    {
      double us = round_trip_us (c, s->dest, i % 2 == 1);

      g_array_append_val (i % 2 == 1 ? s->rtt.ping : s->rtt.get_status, us);
    }
  g_dbus_connection_close_sync (c, NULL, NULL);
  g_main_context_pop_thread_default (ctx);
  while (g_main_context_iteration (ctx, FALSE))
    ;
  return NULL;
}

static void
sampler_start (Sampler *s, LbTestBus *bus, const char *dest)
{
  *s = (Sampler){ bus,
                  dest,
                  0,
                  NULL,
                  { g_array_new (FALSE, FALSE, sizeof (double)),
                    g_array_new (FALSE, FALSE, sizeof (double)), 0 } };
  s->thread = g_thread_new ("rtt-sampler", sampler_thread, s);
}

/* Stops the sampler; @stats: GetStatus median and p99, Ping median and
 * p99 (µs), NAN without samples. */
static void
sampler_stop (Sampler *s, const char *what, double stats[4])
{
  g_atomic_int_set (&s->stop, 1);
  g_thread_join (s->thread);
  stats[0] = percentile (s->rtt.get_status, 50);
  stats[1] = percentile (s->rtt.get_status, 99);
  stats[2] = percentile (s->rtt.ping, 50);
  stats[3] = percentile (s->rtt.ping, 99);
  note ("round trips during the %s: %u GetStatus, %u Ping; GetStatus %.0f/%.0f us, Ping "
        "%.0f/%.0f us (median/p99)",
        what, s->rtt.get_status->len, s->rtt.ping->len, stats[0], stats[1], stats[2], stats[3]);
  g_array_unref (s->rtt.get_status);
  g_array_unref (s->rtt.ping);
}

/* Tables and JSON */

typedef struct
{
  GPtrArray *rows; /* of char *[6] */
  JsonBuilder *json;
} Table;

static void
row_free (gpointer p)
{
  char **cells = p;

  for (int i = 0; i < 6; i++)
    g_free (cells[i]);
  g_free (cells);
}

static char *
fmt_value (double v, const char *unit)
{
  if (isnan (v))
    return g_strdup ("n/a");
  if (g_str_equal (unit, "s"))
    return g_strdup_printf ("%.3f s", v);
  if (g_str_equal (unit, "us"))
    return g_strdup_printf ("%.0f us", v);
  if (g_str_equal (unit, "MiB"))
    return g_strdup_printf ("%.1f MiB", v);
  if (g_str_equal (unit, "ms"))
    return g_strdup_printf ("%.1f ms", v);
  if (g_str_equal (unit, "licenses/s"))
    return g_strdup_printf ("%.0f /s", v);
  if (g_str_equal (unit, "/s"))
    return g_strdup_printf ("%.1f /s", v);
  if (g_str_equal (unit, "count"))
    return g_strdup_printf ("%.0f", v);
  return g_strdup_printf ("%.3g %s", v, unit);
}

/* One row: a figure, what it is compared with (NAN: nothing), the target
 * (NULL: none) and whether it is met (-1: no target here). */
static void
table_add (Table *t,
           const char *key,
           const char *label,
           double value,
           const char *unit,
           const char *baseline_label,
           double baseline,
           const char *target,
           int met)
{
  char **cells = g_new0 (char *, 6);
  double ratio = !isnan (baseline) && baseline > 0 ? value / baseline : NAN;

  cells[0] = g_strdup (label);
  cells[1] = fmt_value (value, unit);
  cells[2] = isnan (baseline)
                 ? g_strdup ("")
                 : g_strdup_printf ("%s %s", baseline_label, fmt_value (baseline, unit));
  cells[3] = isnan (ratio) ? g_strdup ("") : g_strdup_printf ("%.3f", ratio);
  cells[4] = g_strdup (target != NULL ? target : "");
  cells[5] = g_strdup (met < 0 ? "" : met ? "yes" : "NO");
  g_ptr_array_add (t->rows, cells);

  json_builder_set_member_name (t->json, key);
  json_builder_begin_object (t->json);
  json_builder_set_member_name (t->json, "label");
  json_builder_add_string_value (t->json, label);
  json_builder_set_member_name (t->json, "value");
  if (isnan (value))
    json_builder_add_null_value (t->json);
  else
    json_builder_add_double_value (t->json, value);
  json_builder_set_member_name (t->json, "unit");
  json_builder_add_string_value (t->json, unit);
  if (!isnan (baseline))
    {
      json_builder_set_member_name (t->json, "baseline");
      json_builder_add_string_value (t->json, baseline_label);
      json_builder_set_member_name (t->json, "baseline_value");
      json_builder_add_double_value (t->json, baseline);
      json_builder_set_member_name (t->json, "ratio");
      if (isnan (ratio))
        json_builder_add_null_value (t->json);
      else
        json_builder_add_double_value (t->json, ratio);
    }
  if (target != NULL)
    {
      json_builder_set_member_name (t->json, "target");
      json_builder_add_string_value (t->json, target);
      json_builder_set_member_name (t->json, "met");
      if (met < 0)
        json_builder_add_null_value (t->json);
      else
        json_builder_add_boolean_value (t->json, met != 0);
    }
  json_builder_end_object (t->json);
}

static void
table_print (Table *t, const char *title)
{
  const char *head[6] = { "metric", "value", "baseline", "ratio", "target", "met?" };
  gsize width[6];

  for (int c = 0; c < 6; c++)
    width[c] = g_utf8_strlen (head[c], -1);
  for (guint i = 0; i < t->rows->len; i++)
    for (int c = 0; c < 6; c++)
      width[c] = MAX (width[c], (gsize) g_utf8_strlen (((char **) t->rows->pdata[i])[c], -1));

  g_print ("\n%s\n", title);
  for (int r = -1; r < (int) t->rows->len; r++)
    {
      const char *const *cells = r < 0 ? head : (const char *const *) t->rows->pdata[r];
      g_autoptr (GString) line = g_string_new (NULL);

      for (int c = 0; c < 6; c++)
        {
          gsize len = g_utf8_strlen (cells[c], -1);
          gboolean right = c == 1 || c == 3;

          if (c > 0)
            g_string_append (line, "  ");
          if (right)
            for (gsize k = len; k < width[c]; k++)
              g_string_append_c (line, ' ');
          g_string_append (line, cells[c]);
          if (!right && c < 5)
            for (gsize k = len; k < width[c]; k++)
              g_string_append_c (line, ' ');
        }
      g_print ("%s\n", g_strchomp (line->str));
      if (r < 0)
        {
          gsize total = 2 * 5;
          for (int c = 0; c < 6; c++)
            total += width[c];
          for (gsize k = 0; k < total; k++)
            g_print ("-");
          g_print ("\n");
        }
    }
}

static void
json_add_double (JsonBuilder *j, const char *key, double v)
{
  json_builder_set_member_name (j, key);
  if (isnan (v))
    json_builder_add_null_value (j);
  else
    json_builder_add_double_value (j, v);
}

static void
json_add_int (JsonBuilder *j, const char *key, gint64 v)
{
  json_builder_set_member_name (j, key);
  json_builder_add_int_value (j, v);
}

static void
json_add_runs (JsonBuilder *j, const char *key, GArray *runs)
{
  json_builder_set_member_name (j, key);
  json_builder_begin_array (j);
  for (guint i = 0; i < runs->len; i++)
    json_builder_add_double_value (j, g_array_index (runs, double, i));
  json_builder_end_array (j);
}

/* One N */

typedef struct
{
  guint n;
  gboolean ran;
  double peak_rss_mib; /* idle, import, backup, restore */
} NResult;

static Work *
work_new (LbTestBus *bus, const char *root, guint n)
{
  Work *w = g_new0 (Work, 1);

  w->n = n;
  w->root = g_strdup_printf ("%s/n%u", root, n);
  w->machine = lb_test_machine_new (bus, "bench");
  w->data_a = g_build_filename (w->root, "data-a", NULL);
  w->data_b = g_build_filename (w->root, "data-b", NULL);
  w->backup_dir = g_build_filename (w->root, "backup", NULL);
  w->backup_enc_dir = g_build_filename (w->root, "backup-encrypted", NULL);
  w->files_dir = g_build_filename (w->root, "files", NULL);
  w->tar_path = g_build_filename (w->root, "files.tar", NULL);
  w->extract_dir = g_build_filename (w->root, "extract", NULL);
  w->logs_dir = g_build_filename (w->root, "logs", NULL);
  mkdir_p (w->data_a);
  mkdir_p (w->backup_dir);
  mkdir_p (w->backup_enc_dir);
  mkdir_p (w->logs_dir);
  return w;
}

static void
work_free (Work *w)
{
  if (!opt_keep)
    rm_rf (w->root);
  else
    note ("kept %s", w->root);
  g_free (w->root);
  lb_test_machine_free (w->machine);
  g_free (w->data_a);
  g_free (w->data_b);
  g_free (w->backup_dir);
  g_free (w->backup_enc_dir);
  g_free (w->files_dir);
  g_free (w->tar_path);
  g_free (w->extract_dir);
  g_free (w->logs_dir);
  g_free (w);
}

static const char *
met_str (int met)
{
  return met < 0 ? "" : met ? "met" : "MISSED";
}

/* 8. Group commit (issue 25): twenty clients, ten of them sandboxed apps,
 * each calling StoreLicense in a loop while backups run back to back. */

#define GROUP_CLIENTS 20
#define GROUP_APPS 10  /* of them, sandboxed (fake Flatpak apps) */
#define GROUP_KEYS 200 /* key ids per client, replaced round and round */

typedef struct
{
  GDBusConnection *conn;
  guint index;
  gint64 deadline;
  GArray *latency_ms;
  guint failed;
  char *first_error;
} GroupClient;

typedef struct
{
  double rate;      /* stores a second, all clients */
  double median_ms; /* per call */
  double p99_ms;
  guint calls;
  guint failed;
  guint sandboxed; /* clients that were sandboxed apps */
  guint backups;   /* backups completed meanwhile */
  double seconds;
  gboolean ran;
} GroupResult;

static gpointer
group_client_thread (gpointer user_data)
{
  GroupClient *c = user_data;

  for (guint i = 0; g_get_monotonic_time () < c->deadline; i++)
    {
      g_autofree char *key = g_strdup_printf ("group-%02u-%03u", c->index, i % GROUP_KEYS);
      g_autoptr (GVariant) reply = NULL;
      g_autoptr (GError) error = NULL;
      gint64 t0 = g_get_monotonic_time ();
      double ms;

      reply = g_dbus_connection_call_sync (
          c->conn, BUS_NAME, OBJECT_PATH, STORE_IFACE, "StoreLicense",
          g_variant_new (
              "(s@ay@a{sv})", key, lb_test_blob_new (2048, (guint8) i),
              lb_test_vardict_new ("issuer", g_variant_new_string ("group.example"), NULL)),
          G_VARIANT_TYPE_UNIT, G_DBUS_CALL_FLAGS_NO_AUTO_START, 60000, NULL, &error);
      ms = (double) (g_get_monotonic_time () - t0) / 1000.0;
      if (reply == NULL)
        {
          if (c->first_error == NULL)
            c->first_error = g_strdup (error->message);
          c->failed++;
          continue;
        }
      g_array_append_val (c->latency_ms, ms);
    }
  return NULL;
}

static GroupResult
bench_group_commit (Bench *b, Work *w)
{
  GroupResult r = { 0 };
  g_autofree char *backup_dir = g_build_filename (w->root, "group-backup", NULL);
  BackupLoop loop = { b->bus, backup_dir, 0, 0, 0, FALSE, NULL };
  LbTestApp *apps[GROUP_APPS] = { NULL };
  GroupClient clients[GROUP_CLIENTS];
  GThread *threads[GROUP_CLIENTS];
  g_autoptr (GArray) all = g_array_new (FALSE, FALSE, sizeof (double));
  g_autofree char *why_not = NULL;
  gboolean sandbox = lb_test_sandbox_available (&why_not);
  GThread *backups;
  Daemon *d;
  gint64 t0;

  mkdir_p (backup_dir);
  if (!sandbox)
    note ("group commit: no sandbox here (%s); all %d clients are host programs", why_not,
          GROUP_CLIENTS);
  d = daemon_start (b, w, w->data_a, "group");
  for (guint i = 0; i < GROUP_CLIENTS; i++)
    {
      g_autoptr (GError) error = NULL;
      GroupClient *c = &clients[i];

      memset (c, 0, sizeof *c);
      c->index = i;
      c->latency_ms = g_array_new (FALSE, FALSE, sizeof (double));
      if (sandbox && i < GROUP_APPS)
        {
          g_autofree char *app_id = g_strdup_printf ("org.example.BenchApp%u", i);

          apps[i] = lb_test_app_new (b->bus, app_id, LB_TEST_FLATPAK_INFO_NORMAL, NULL);
          if (apps[i] == NULL)
            g_error ("cannot start the sandboxed app %s", app_id);
          c->conn = lb_test_app_connect (apps[i], &error);
          r.sandboxed++;
        }
      else
        c->conn = lb_test_bus_connect (b->bus, &error);
      if (c->conn == NULL)
        g_error ("group commit: cannot connect client %u: %s", i, error->message);
    }

  backups = g_thread_new ("backup-loop", backup_loop_thread, &loop);
  while (g_atomic_int_get (&loop.running) == 0)
    g_usleep (1000);
  t0 = g_get_monotonic_time ();
  for (guint i = 0; i < GROUP_CLIENTS; i++)
    {
      clients[i].deadline = t0 + (gint64) opt_group_seconds * G_USEC_PER_SEC;
      threads[i] = g_thread_new ("group-client", group_client_thread, &clients[i]);
    }
  for (guint i = 0; i < GROUP_CLIENTS; i++)
    g_thread_join (threads[i]);
  r.seconds = seconds_since (t0);
  g_atomic_int_set (&loop.stop, 1);
  g_thread_join (backups);
  r.backups = loop.backups;

  for (guint i = 0; i < GROUP_CLIENTS; i++)
    {
      GroupClient *c = &clients[i];

      g_array_append_vals (all, c->latency_ms->data, c->latency_ms->len);
      r.failed += c->failed;
      if (c->first_error != NULL)
        note ("group commit: client %u: %u call(s) failed, the first: %s", i, c->failed,
              c->first_error);
      g_array_unref (c->latency_ms);
      g_free (c->first_error);
      g_dbus_connection_close_sync (c->conn, NULL, NULL);
      g_object_unref (c->conn);
    }
  for (guint i = 0; i < GROUP_APPS; i++)
    g_clear_pointer (&apps[i], lb_test_app_free);
  daemon_stop (b, d);

  r.calls = all->len;
  r.rate = all->len / r.seconds;
  r.median_ms = percentile (all, 50);
  r.p99_ms = percentile (all, 99);
  r.ran = TRUE;
  note ("group commit: %u clients (%u sandboxed), %.1f s, %u backup(s) meanwhile: %.0f stores/s, "
        "median %.1f ms, p99 %.1f ms, %u failed",
        GROUP_CLIENTS, r.sandboxed, r.seconds, r.backups, r.rate, r.median_ms, r.p99_ms, r.failed);
  return r;
}

/* Its rows: the issue's goals, with a backup running. */
static void
group_commit_table (Table *t, const GroupResult *r)
{
  table_add (t, "group_store_rate", "20 clients' StoreLicense, during backups", r->rate, "/s", "",
             NAN, ">= 1000 /s", r->rate >= 1000);
  table_add (t, "group_store_median", "StoreLicense, 20 clients, median", r->median_ms, "ms", "",
             NAN, NULL, -1);
  table_add (t, "group_store_p99", "StoreLicense, 20 clients, p99", r->p99_ms, "ms", "", NAN,
             "< 50 ms", r->p99_ms < 50);
}

static void
group_commit_json (JsonBuilder *json, const GroupResult *r)
{
  json_add_int (json, "group_clients", GROUP_CLIENTS);
  json_add_int (json, "group_sandboxed", r->sandboxed);
  json_add_int (json, "group_calls", r->calls);
  json_add_int (json, "group_failed", r->failed);
  json_add_int (json, "group_backups_looped", r->backups);
  json_add_double (json, "group_seconds", r->seconds);
}

static void
bench_n (Bench *b, guint n, JsonBuilder *json, NResult *res)
{
  Work *w = work_new (b->bus, b->root, n);
  Table t = { g_ptr_array_new_with_free_func (row_free), json };
  g_autoptr (GArray) import_runs = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) backup_runs = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) restore_runs = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) tar_c_runs = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) tar_c_sync_runs = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) tar_x_runs = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) tar_x_sync_runs = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) floor_runs = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) floor_slow_runs = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) floor_check_runs = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) backup_enc_runs = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) restore_enc_runs = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) scrypt_runs = g_array_new (FALSE, FALSE, sizeof (double));
  /* Per backup, in the order run (one daemon for all): the daemon's VmRSS
   * before it and its VmHWM after it (since the daemon started). */
  g_autoptr (GArray) backup_rss_before = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) backup_hwm = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) backup_enc_rss_before = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) backup_enc_hwm = g_array_new (FALSE, FALSE, sizeof (double));
  double rss_enc_idle = NAN, rss_enc_backup = NAN, rss_enc_restore = NAN;
  double cpu_enc_backup = NAN, cpu_enc_restore = NAN;
  guint64 backup_enc_bytes = 0;
  const char *encrypt_skipped = NULL; /* why the encrypted phase did not run */
  double rss_idle = 0, rss_import = 0, rss_backup = 0, rss_restore = 0;
  double cpu_import = 0, cpu_bus_import = 0, cpu_client_import = 0, cpu_backup = 0, cpu_restore = 0;
  double rtt_idle_gs_med, rtt_idle_gs_p99, rtt_idle_ping_med, rtt_idle_ping_p99;
  double rtt_import[4] = { NAN, NAN, NAN, NAN }, rtt_restore[4] = { NAN, NAN, NAN, NAN };
  double rtt_busy_gs_med = NAN, rtt_busy_gs_p99 = NAN, rtt_busy_ping_med = NAN,
         rtt_busy_ping_p99 = NAN;
  guint rtt_backups = 0;
  double idle_stats[4] = { NAN, NAN, NAN, NAN }, busy_stats[4] = { NAN, NAN, NAN, NAN };
  OpResult backup = { 0 }, restore = { 0 };
  guint64 tar_bytes = 0, files_bytes = 0;
  guint eligible = eligible_count (n);
  Daemon *d = NULL;
  g_autofree char *title = NULL;
  g_autofree char *ntext = NULL;
  /* tar followed by sync of N files takes minutes at a million; those
   * figures are for comparison only, so they run once there. */
  int sync_reps = n >= 1000000 ? 1 : opt_repeat;
  int met;
  GroupResult group = { 0 };

  res->n = n;
  note ("N = %u: work directory %s", n, w->root);

  /* 1. Import, each run into a fresh store and daemon. */
  for (int rep = 1; rep <= opt_repeat; rep++)
    {
      g_autofree char *tag = g_strdup_printf ("import-%d", rep);
      double cpu0, bus0, self0, secs;

      if (rep > 1)
        {
          rm_rf (w->data_a);
          mkdir_p (w->data_a);
        }
      sync ();
      d = daemon_start (b, w, w->data_a, tag);
      cpu0 = proc_cpu_seconds (d->pid);
      bus0 = proc_cpu_seconds (lb_test_bus_get_pid (b->bus));
      self0 = self_cpu_seconds ();
      if (rep == 1 && !skip_rtt)
        {
          Sampler sampler;

          sampler_start (&sampler, b->bus, d->unique_name);
          secs = import_licenses (b, n);
          sampler_stop (&sampler, "import", rtt_import);
        }
      else
        secs = import_licenses (b, n);
      g_array_append_val (import_runs, secs);
      if (license_count (b) != n)
        g_error ("the store holds %u licenses after the import, not %u", license_count (b), n);
      if (secs <= min_of (import_runs))
        {
          cpu_import = proc_cpu_seconds (d->pid) - cpu0;
          cpu_bus_import = proc_cpu_seconds (lb_test_bus_get_pid (b->bus)) - bus0;
          cpu_client_import = self_cpu_seconds () - self0;
        }
      rss_import = MAX (rss_import, daemon_hwm_mib (d));
      note ("import %d/%d: %u licenses in %.3f s (%.0f/s)", rep, opt_repeat, n, secs, n / secs);
      daemon_stop (b, d);
      d = NULL;
    }

  /* 2. The hand-made copy and tar. */
  if (!skip_tar)
    {
      const char *tar_c[] = { "tar", "-cf", w->tar_path, "-C", w->root, "files", NULL };
      const char *sync_file[] = { "sync", w->tar_path, NULL };

      note ("writing %u files into %s", n, w->files_dir);
      if (!write_license_files (w->files_dir, n))
        g_error ("cannot write the license files");
      files_bytes = dir_size (w->files_dir);
      for (int rep = 1; rep <= opt_repeat; rep++)
        {
          double secs, s2;

          g_unlink (w->tar_path);
          sync ();
          secs = time_command (tar_c);
          g_array_append_val (tar_c_runs, secs);
          if (rep > sync_reps)
            {
              note ("tar -cf %d/%d: %.3f s", rep, opt_repeat, secs);
              continue;
            }
          g_unlink (w->tar_path);
          sync ();
          s2 = time_command (tar_c);
          s2 += time_command (sync_file);
          g_array_append_val (tar_c_sync_runs, s2);
          note ("tar -cf %d/%d: %.3f s; with sync: %.3f s", rep, opt_repeat, secs, s2);
        }
      tar_bytes = file_size (w->tar_path);
    }

  /* 2, 4, 5. Backups, on a daemon started afresh on the imported store. */
  d = daemon_start (b, w, w->data_a, "backup");
  rss_idle = daemon_hwm_mib (d);
  if (!skip_rtt)
    {
      rtt_best (b, d, w->backup_dir, FALSE, idle_stats, NULL);
      rtt_idle_gs_med = idle_stats[0];
      rtt_idle_gs_p99 = idle_stats[1];
      rtt_idle_ping_med = idle_stats[2];
      rtt_idle_ping_p99 = idle_stats[3];
      note ("idle, best: GetStatus %.0f/%.0f us, Ping %.0f/%.0f us (median/p99)", rtt_idle_gs_med,
            rtt_idle_gs_p99, rtt_idle_ping_med, rtt_idle_ping_p99);
    }
  else
    rtt_idle_gs_med = rtt_idle_gs_p99 = rtt_idle_ping_med = rtt_idle_ping_p99 = NAN;
  for (int rep = 1; rep <= opt_repeat; rep++)
    {
      double cpu0 = proc_cpu_seconds (d->pid);
      double rss_before = daemon_rss_mib (d);
      OpResult r = run_operation (b, d, TRUE, w->backup_dir);
      double hwm = daemon_hwm_mib (d);

      g_array_append_val (backup_rss_before, rss_before);
      g_array_append_val (backup_hwm, hwm);
      g_array_append_val (backup_runs, r.seconds);
      if (r.licenses != eligible || r.skipped != n - eligible)
        g_error ("the backup holds %u licenses and skipped %u; expected %u and %u", r.licenses,
                 r.skipped, eligible, n - eligible);
      if (rep == 1 || r.seconds <= min_of (backup_runs))
        {
          cpu_backup = proc_cpu_seconds (d->pid) - cpu0;
          backup = r;
        }
      note ("backup %d/%d: %.3f s, %u progress signals, %u PropertiesChanged; daemon VmRSS "
            "before %.1f MiB, VmHWM after %.1f MiB",
            rep, opt_repeat, r.seconds, r.progress_signals, r.properties_changed, rss_before, hwm);
    }
  rss_backup = daemon_hwm_mib (d);
  if (!skip_rtt)
    {
      rtt_best (b, d, w->backup_dir, TRUE, busy_stats, &rtt_backups);
      rtt_busy_gs_med = busy_stats[0];
      rtt_busy_gs_p99 = busy_stats[1];
      rtt_busy_ping_med = busy_stats[2];
      rtt_busy_ping_p99 = busy_stats[3];
      note ("during %u backup(s), best: GetStatus %.0f/%.0f us, Ping %.0f/%.0f us (median/p99)",
            rtt_backups, rtt_busy_gs_med, rtt_busy_gs_p99, rtt_busy_ping_med, rtt_busy_ping_p99);
      rss_backup = MAX (rss_backup, daemon_hwm_mib (d));
    }
  daemon_stop (b, d);
  d = NULL;

  /* The floor: what reading the same bytes from the page cache, hashing
   * them and writing them once costs on this machine, the copy synced as
   * the service syncs what it writes (the README's and issue 25's
   * definition: `cat F | tee copy | openssl dgst -sha256; sync -f copy`).
   * openssl uses the CPU's SHA instructions, as the service does (nettle);
   * coreutils' sha256sum does not: the same with it, for the earlier runs. */
  {
    g_autofree char *lbk = lb_test_newest_backup (w->backup_dir);
    g_autofree char *copy = g_build_filename (w->root, "floor-copy", NULL);
    g_autofree char *hash = g_build_filename (w->root, "floor-sha256", NULL);
    g_autofree char *openssl = g_find_program_in_path ("openssl");
    const char *floor_cmd[]
        = { "sh",
            "-c",
            openssl != NULL
                ? "cat \"$0\" | tee \"$1\" | openssl dgst -sha256 > \"$2\"; sync -f \"$1\""
                : "cat \"$0\" | tee \"$1\" | sha256sum > \"$2\"; sync -f \"$1\"",
            lbk,
            copy,
            hash,
            NULL };
    const char *floor_slow_cmd[]
        = { "sh", "-c", "cat \"$0\" | tee \"$1\" | sha256sum > \"$2\"; sync -f \"$1\"", lbk, copy,
            hash, NULL };
    /* A backup also reads its file back from the disk, past the page
     * cache, and checks it (verify.c): the floor of that is the floor above
     * and the copy read back with O_DIRECT and hashed again. */
    const char *floor_check_cmd[]
        = { "sh",
            "-c",
            "cat \"$0\" | tee \"$1\" | openssl dgst -sha256 > \"$2\"; sync -f \"$1\"; "
            "dd if=\"$1\" iflag=direct bs=1M status=none | openssl dgst -sha256 > \"$2\"",
            lbk,
            copy,
            hash,
            NULL };

    if (openssl == NULL)
      note ("no openssl: the floor hashes with sha256sum");
    for (int rep = 1; rep <= opt_repeat; rep++)
      {
        double secs;

        g_unlink (copy);
        sync ();
        secs = time_command (floor_cmd);
        g_array_append_val (floor_runs, secs);
        note ("floor (cat | tee | openssl dgst -sha256; sync -f) %d/%d: %.3f s", rep, opt_repeat,
              secs);
        if (openssl == NULL)
          continue;
        g_unlink (copy);
        sync ();
        secs = time_command (floor_slow_cmd);
        g_array_append_val (floor_slow_runs, secs);
        note ("floor with sha256sum %d/%d: %.3f s", rep, opt_repeat, secs);
        g_unlink (copy);
        sync ();
        secs = time_command (floor_check_cmd);
        g_array_append_val (floor_check_runs, secs);
        note ("floor with the copy read back (dd iflag=direct | openssl) %d/%d: %.3f s", rep,
              opt_repeat, secs);
      }
    g_unlink (copy);
    g_unlink (hash);
  }

  /* 3. Restores into an empty store, same machine id. */
  if (!skip_restore)
    {
      for (int rep = 1; rep <= opt_repeat; rep++)
        {
          g_autofree char *tag = g_strdup_printf ("restore-%d", rep);
          double cpu0;
          OpResult r;

          rm_rf (w->data_b);
          mkdir_p (w->data_b);
          d = daemon_start (b, w, w->data_b, tag);
          cpu0 = proc_cpu_seconds (d->pid);
          if (rep == 1 && !skip_rtt)
            {
              Sampler sampler;

              sampler_start (&sampler, b->bus, d->unique_name);
              r = run_operation (b, d, FALSE, w->backup_dir);
              sampler_stop (&sampler, "restore", rtt_restore);
            }
          else
            r = run_operation (b, d, FALSE, w->backup_dir);
          g_array_append_val (restore_runs, r.seconds);
          if (r.licenses != eligible || license_count (b) != eligible)
            g_error ("the restore added %u licenses (store: %u); expected %u", r.licenses,
                     license_count (b), eligible);
          if (rep == 1 || r.seconds <= min_of (restore_runs))
            {
              cpu_restore = proc_cpu_seconds (d->pid) - cpu0;
              restore = r;
            }
          rss_restore = MAX (rss_restore, daemon_hwm_mib (d));
          note ("restore %d/%d: %.3f s", rep, opt_repeat, r.seconds);
          daemon_stop (b, d);
          d = NULL;
        }
      rm_rf (w->data_b);
    }

  if (!skip_tar)
    {
      const char *tar_x[] = { "tar", "-xf", w->tar_path, "-C", w->extract_dir, NULL };
      const char *sync_fs[] = { "sync", "-f", w->extract_dir, NULL };

      for (int rep = 1; rep <= opt_repeat; rep++)
        {
          double secs, s2;

          rm_rf (w->extract_dir);
          mkdir_p (w->extract_dir);
          sync ();
          secs = time_command (tar_x);
          g_array_append_val (tar_x_runs, secs);
          if (rep > sync_reps)
            {
              note ("tar -xf %d/%d: %.3f s", rep, opt_repeat, secs);
              continue;
            }
          rm_rf (w->extract_dir);
          mkdir_p (w->extract_dir);
          sync ();
          s2 = time_command (tar_x);
          s2 += time_command (sync_fs);
          g_array_append_val (tar_x_sync_runs, s2);
          note ("tar -xf %d/%d: %.3f s; with sync: %.3f s", rep, opt_repeat, secs, s2);
        }
      rm_rf (w->extract_dir);
    }

  /* 7. The same store with encryption on: backups (into a folder of
   * their own), then restores of them into an empty store, each daemon
   * fresh as above. The passphrase goes to the keyring through a daemon
   * of its own, so that SetEncryption is in no phase's VmHWM. */
  if (skip_encrypt)
    encrypt_skipped = "--skip encrypt";
  else if (!keyring_ready (b))
    {
      encrypt_skipped = b->keyring_why_not;
      note ("N = %u: encrypted backups skipped: %s", n, encrypt_skipped);
    }
  else
    {
      g_autofree char *lbk = NULL;

      d = daemon_start (b, w, w->data_a, "encrypt-on");
      encryption_on (b);
      daemon_stop (b, d);
      d = daemon_start (b, w, w->data_a, "backup-encrypted");
      rss_enc_idle = daemon_hwm_mib (d);
      for (int rep = 1; rep <= opt_repeat; rep++)
        {
          double cpu0 = proc_cpu_seconds (d->pid);
          double rss_before = daemon_rss_mib (d);
          OpResult r = run_operation (b, d, TRUE, w->backup_enc_dir);
          double hwm = daemon_hwm_mib (d);

          g_array_append_val (backup_enc_rss_before, rss_before);
          g_array_append_val (backup_enc_hwm, hwm);
          g_array_append_val (backup_enc_runs, r.seconds);
          if (r.licenses != eligible || r.skipped != n - eligible)
            g_error ("the encrypted backup holds %u licenses and skipped %u; expected %u and %u",
                     r.licenses, r.skipped, eligible, n - eligible);
          if (rep == 1 || r.seconds <= min_of (backup_enc_runs))
            cpu_enc_backup = proc_cpu_seconds (d->pid) - cpu0;
          g_array_unref (r.timeline);
          note ("encrypted backup %d/%d: %.3f s; daemon VmRSS before %.1f MiB, VmHWM after %.1f "
                "MiB",
                rep, opt_repeat, r.seconds, rss_before, hwm);
        }
      rss_enc_backup = daemon_hwm_mib (d);
      daemon_stop (b, d);
      d = NULL;
      lbk = lb_test_newest_backup (w->backup_enc_dir);
      if (!file_is_encrypted (lbk))
        g_error ("%s is not an age file: the backup was not encrypted", lbk);
      backup_enc_bytes = file_size (lbk);

      if (!skip_restore)
        {
          rss_enc_restore = 0;
          for (int rep = 1; rep <= opt_repeat; rep++)
            {
              g_autofree char *tag = g_strdup_printf ("restore-encrypted-%d", rep);
              double cpu0;
              OpResult r;

              rm_rf (w->data_b);
              mkdir_p (w->data_b);
              d = daemon_start (b, w, w->data_b, tag);
              cpu0 = proc_cpu_seconds (d->pid);
              /* The passphrase is the keyring's: the service looks it up
               * when it finds the file encrypted. */
              r = run_operation (b, d, FALSE, w->backup_enc_dir);
              g_array_append_val (restore_enc_runs, r.seconds);
              if (r.licenses != eligible || license_count (b) != eligible)
                g_error ("the encrypted restore added %u licenses (store: %u); expected %u",
                         r.licenses, license_count (b), eligible);
              if (rep == 1 || r.seconds <= min_of (restore_enc_runs))
                cpu_enc_restore = proc_cpu_seconds (d->pid) - cpu0;
              g_array_unref (r.timeline);
              rss_enc_restore = MAX (rss_enc_restore, daemon_hwm_mib (d));
              note ("encrypted restore %d/%d: %.3f s", rep, opt_repeat, r.seconds);
              daemon_stop (b, d);
              d = NULL;
            }
          rm_rf (w->data_b);
        }

      for (int rep = 1; rep <= opt_repeat; rep++)
        {
          double secs = scrypt_seconds ();

          g_array_append_val (scrypt_runs, secs);
          note ("scrypt 2^%d alone %d/%d: %.3f s", LB_AGE_WORK_FACTOR_DEFAULT, rep, opt_repeat,
                secs);
        }
    }

  if (!skip_group)
    group = bench_group_commit (b, w);

  /* The figures. */
  ntext = g_strdup_printf ("%u", n);
  json_builder_begin_object (json);
  json_add_int (json, "n", n);
  json_add_int (json, "eligible", eligible);
  json_builder_set_member_name (json, "metrics");
  json_builder_begin_object (json);

  {
    double rate = n / min_of (import_runs);
    double target = n >= 1000000 ? 60000 : 100000;
    double ratio;

    met = rate >= target;
    table_add (&t, "import_rate", "import (library, fd path)", rate, "licenses/s", "", NAN,
               n >= 1000000 ? ">= 60000 /s" : ">= 100000 /s", met);
    table_add (&t, "import_time", "import time", min_of (import_runs), "s", "", NAN, NULL, -1);
    table_add (&t, "floor", "floor: cat | tee copy | openssl dgst -sha256; sync -f copy",
               min_of (floor_runs), "s", "", NAN, NULL, -1);
    if (floor_slow_runs->len > 0)
      table_add (&t, "floor_sha256sum", "floor with sha256sum", min_of (floor_slow_runs), "s", "",
                 NAN, NULL, -1);
    if (floor_check_runs->len > 0)
      table_add (&t, "floor_check", "floor + read back: ...; dd iflag=direct copy | openssl",
                 min_of (floor_check_runs), "s", "", NAN, NULL, -1);
    ratio = min_of (import_runs) / min_of (floor_runs);
    table_add (&t, "import_vs_floor", "import / floor", min_of (import_runs), "s", "floor",
               min_of (floor_runs), "<= 1.5", ratio <= 1.5);
    ratio = min_of (backup_runs) / min_of (floor_runs);
    table_add (&t, "backup_vs_floor", "backup / floor", min_of (backup_runs), "s", "floor",
               min_of (floor_runs), "<= 1.1", ratio <= 1.1);
    if (floor_check_runs->len > 0)
      {
        ratio = min_of (backup_runs) / min_of (floor_check_runs);
        table_add (&t, "backup_vs_floor_check", "backup (written, read back) / floor + read back",
                   min_of (backup_runs), "s", "floor+rb", min_of (floor_check_runs), "<= 1.1",
                   ratio <= 1.1);
      }
    if (!skip_restore)
      {
        ratio = min_of (restore_runs) / min_of (floor_runs);
        table_add (&t, "restore_vs_floor", "restore / floor", min_of (restore_runs), "s", "floor",
                   min_of (floor_runs), "<= 1.5", ratio <= 1.5);
      }
  }
  if (!skip_tar)
    {
      double ratio = min_of (backup_runs) / min_of (tar_c_runs);
      table_add (&t, "backup_vs_tar_c", "backup vs tar -cf", min_of (backup_runs), "s", "tar",
                 min_of (tar_c_runs), "<= 0.5", ratio <= 0.5);
      table_add (&t, "backup_vs_tar_c_sync", "backup vs tar -cf + sync", min_of (backup_runs), "s",
                 "tar+sync", min_of (tar_c_sync_runs), NULL, -1);
      if (!skip_restore)
        {
          ratio = min_of (restore_runs) / min_of (tar_x_runs);
          table_add (&t, "restore_vs_tar_x", "restore vs tar -xf", min_of (restore_runs), "s",
                     "tar", min_of (tar_x_runs), "<= 0.25", ratio <= 0.25);
          table_add (&t, "restore_vs_tar_x_sync", "restore vs tar -xf + sync",
                     min_of (restore_runs), "s", "tar+sync", min_of (tar_x_sync_runs), NULL, -1);
        }
    }
  else
    {
      table_add (&t, "backup_time", "backup", min_of (backup_runs), "s", "", NAN, NULL, -1);
      if (!skip_restore)
        table_add (&t, "restore_time", "restore", min_of (restore_runs), "s", "", NAN, NULL, -1);
    }
  if (!skip_rtt)
    {
      table_add (&t, "rtt_idle_median", "GetStatus idle, median", rtt_idle_gs_med, "us", "Ping",
                 rtt_idle_ping_med, "<= 1.1", rtt_idle_gs_med / rtt_idle_ping_med <= 1.1);
      table_add (&t, "rtt_idle_p99", "GetStatus idle, p99", rtt_idle_gs_p99, "us", "Ping",
                 rtt_idle_ping_p99, "<= 2", rtt_idle_gs_p99 / rtt_idle_ping_p99 <= 2);
      table_add (&t, "rtt_backup_median", "GetStatus in backup, median", rtt_busy_gs_med, "us",
                 "Ping", rtt_busy_ping_med, "<= 1.1", rtt_busy_gs_med / rtt_busy_ping_med <= 1.1);
      table_add (&t, "rtt_backup_p99", "GetStatus in backup, p99", rtt_busy_gs_p99, "us", "Ping",
                 rtt_busy_ping_p99, "<= 2", rtt_busy_gs_p99 / rtt_busy_ping_p99 <= 2);
      table_add (&t, "rtt_import_median", "GetStatus in import, median", rtt_import[0], "us",
                 "Ping", rtt_import[2], "<= 1.1", rtt_import[0] / rtt_import[2] <= 1.1);
      table_add (&t, "rtt_import_p99", "GetStatus in import, p99", rtt_import[1], "us", "Ping",
                 rtt_import[3], "<= 2", rtt_import[1] / rtt_import[3] <= 2);
      if (!skip_restore)
        {
          table_add (&t, "rtt_restore_median", "GetStatus in restore, median", rtt_restore[0], "us",
                     "Ping", rtt_restore[2], "<= 1.1", rtt_restore[0] / rtt_restore[2] <= 1.1);
          table_add (&t, "rtt_restore_p99", "GetStatus in restore, p99", rtt_restore[1], "us",
                     "Ping", rtt_restore[3], "<= 2", rtt_restore[1] / rtt_restore[3] <= 2);
        }
    }
  table_add (&t, "progress_max_per_s", "progress signals, max in 1 s", backup.progress_max_per_s,
             "/s", "", NAN, "<= 10 /s", backup.progress_max_per_s <= 10);
  table_add (&t, "progress_mean_per_s", "progress signals, mean", backup.progress_mean_per_s, "/s",
             "", NAN, NULL, -1);
  table_add (&t, "progress_total", "progress signals, total", backup.progress_signals, "count", "",
             NAN, NULL, -1);
  table_add (&t, "progress_min_gap", "progress signals, shortest gap", backup.progress_min_gap_ms,
             "ms", "", NAN, NULL, -1);
  table_add (&t, "properties_changed_total", "PropertiesChanged, total", backup.properties_changed,
             "count", "", NAN, NULL, -1);
  table_add (&t, "restricted_total", "RestrictedLicense, total", backup.restricted, "count", "",
             NAN, NULL, -1);
  table_add (&t, "rss_idle", "daemon VmHWM idle", rss_idle, "MiB", "", NAN, NULL, -1);
  table_add (&t, "rss_import", "daemon VmHWM after import", rss_import, "MiB", "", NAN, NULL, -1);
  table_add (&t, "rss_backup", "daemon VmHWM after backup", rss_backup, "MiB", "", NAN, NULL, -1);
  if (!skip_restore)
    table_add (&t, "rss_restore", "daemon VmHWM after restore", rss_restore, "MiB", "", NAN, NULL,
               -1);
  /* Memory must not grow with N in any phase, the import included: it is
   * streamed from the memfd. */
  res->peak_rss_mib = MAX (MAX (rss_idle, rss_import), MAX (rss_backup, rss_restore));
  res->ran = TRUE;
  table_add (&t, "rss_peak", "daemon VmHWM, peak of import/backup/restore", res->peak_rss_mib,
             "MiB", "", NAN, "< 48 MiB", res->peak_rss_mib < 48);
  table_add (&t, "cpu_import_daemon", "CPU in import: daemon", cpu_import, "s", "", NAN, NULL, -1);
  table_add (&t, "cpu_import_bus", "CPU in import: dbus-daemon", cpu_bus_import, "s", "", NAN, NULL,
             -1);
  table_add (&t, "cpu_import_client", "CPU in import: this client", cpu_client_import, "s", "", NAN,
             NULL, -1);
  table_add (&t, "cpu_backup_daemon", "CPU in backup: daemon", cpu_backup, "s", "", NAN, NULL, -1);
  if (!skip_restore)
    table_add (&t, "cpu_restore_daemon", "CPU in restore: daemon", cpu_restore, "s", "", NAN, NULL,
               -1);
  if (encrypt_skipped == NULL)
    {
      double enc_peak
          = MAX (rss_enc_idle, MAX (rss_enc_backup, skip_restore ? 0 : rss_enc_restore));
      double scrypt = min_of (scrypt_runs);

      table_add (&t, "backup_encrypted", "backup, encrypted vs plain", min_of (backup_enc_runs),
                 "s", "plain", min_of (backup_runs), NULL, -1);
      if (!skip_restore)
        table_add (&t, "restore_encrypted", "restore, encrypted vs plain",
                   min_of (restore_enc_runs), "s", "plain", min_of (restore_runs), NULL, -1);
      table_add (&t, "cpu_backup_encrypted_daemon", "CPU in encrypted backup: daemon",
                 cpu_enc_backup, "s", "plain", cpu_backup, NULL, -1);
      if (!skip_restore)
        table_add (&t, "cpu_restore_encrypted_daemon", "CPU in encrypted restore: daemon",
                   cpu_enc_restore, "s", "plain", cpu_restore, NULL, -1);
      table_add (&t, "rss_idle_encrypted", "daemon VmHWM idle, encryption on", rss_enc_idle, "MiB",
                 "plain", rss_idle, NULL, -1);
      table_add (&t, "rss_backup_encrypted", "daemon VmHWM after encrypted backups", rss_enc_backup,
                 "MiB", "plain", rss_backup, "< 48 MiB", rss_enc_backup < 48);
      /* A daemon's first backup, and what it keeps for the next one. */
      table_add (&t, "rss_backup_encrypted_first", "daemon VmHWM after its 1st encrypted backup",
                 g_array_index (backup_enc_hwm, double, 0), "MiB", "plain",
                 g_array_index (backup_hwm, double, 0), "< 48 MiB",
                 g_array_index (backup_enc_hwm, double, 0) < 48);
      if (opt_repeat >= 2)
        table_add (&t, "rss_before_backup_encrypted_second",
                   "daemon VmRSS before its 2nd encrypted backup",
                   g_array_index (backup_enc_rss_before, double, 1), "MiB", "plain",
                   g_array_index (backup_rss_before, double, 1), NULL, -1);
      if (!skip_restore)
        table_add (&t, "rss_restore_encrypted", "daemon VmHWM after encrypted restore",
                   rss_enc_restore, "MiB", "plain", rss_restore, "< 48 MiB", rss_enc_restore < 48);
      table_add (&t, "rss_peak_encrypted", "daemon VmHWM, peak with encryption", enc_peak, "MiB",
                 "", NAN, "< 48 MiB", enc_peak < 48);
      table_add (&t, "scrypt_time", "scrypt 2^15 alone (32 MiB), in lb-bench", scrypt, "s", "", NAN,
                 NULL, -1);
      table_add (&t, "scrypt_vs_backup_encrypted", "scrypt vs encrypted backup", scrypt, "s",
                 "backup", min_of (backup_enc_runs), NULL, -1);
      if (!skip_restore)
        table_add (&t, "scrypt_vs_restore_encrypted", "scrypt vs encrypted restore", scrypt, "s",
                   "restore", min_of (restore_enc_runs), NULL, -1);
    }
  if (group.ran)
    group_commit_table (&t, &group);
  json_builder_end_object (json);

  json_builder_set_member_name (json, "runs");
  json_builder_begin_object (json);
  json_add_runs (json, "import_s", import_runs);
  json_add_runs (json, "backup_s", backup_runs);
  json_add_runs (json, "restore_s", restore_runs);
  json_add_runs (json, "tar_c_s", tar_c_runs);
  json_add_runs (json, "tar_c_sync_s", tar_c_sync_runs);
  json_add_runs (json, "tar_x_s", tar_x_runs);
  json_add_runs (json, "tar_x_sync_s", tar_x_sync_runs);
  json_add_runs (json, "floor_s", floor_runs);
  json_add_runs (json, "floor_sha256sum_s", floor_slow_runs);
  json_add_runs (json, "floor_check_s", floor_check_runs);
  json_add_runs (json, "backup_encrypted_s", backup_enc_runs);
  json_add_runs (json, "restore_encrypted_s", restore_enc_runs);
  json_add_runs (json, "scrypt_s", scrypt_runs);
  json_add_runs (json, "backup_vmrss_before_mib", backup_rss_before);
  json_add_runs (json, "backup_vmhwm_after_mib", backup_hwm);
  json_add_runs (json, "backup_encrypted_vmrss_before_mib", backup_enc_rss_before);
  json_add_runs (json, "backup_encrypted_vmhwm_after_mib", backup_enc_hwm);
  json_builder_end_object (json);
  json_builder_set_member_name (json, "details");
  json_builder_begin_object (json);
  json_add_int (json, "backup_bytes", (gint64) backup.bytes);
  json_add_int (json, "tar_bytes", (gint64) tar_bytes);
  json_add_int (json, "files_bytes", (gint64) files_bytes);
  json_add_int (json, "backup_licenses", backup.licenses);
  json_add_int (json, "backup_skipped", backup.skipped);
  json_add_int (json, "restore_licenses", restore.licenses);
  json_add_double (json, "progress_min_gap_ms", backup.progress_min_gap_ms);
  json_add_int (json, "restore_progress_total", restore.progress_signals);
  json_add_int (json, "restore_properties_changed_total", restore.properties_changed);
  json_add_int (json, "rtt_backups_looped", rtt_backups);
  json_add_int (json, "backup_encrypted_bytes", (gint64) backup_enc_bytes);
  if (group.ran)
    group_commit_json (json, &group);
  if (encrypt_skipped != NULL)
    {
      json_builder_set_member_name (json, "encrypted_skipped");
      json_builder_add_string_value (json, encrypt_skipped);
    }
  if (backup.timeline != NULL)
    json_add_runs (json, "backup_progress_ms_done_status", backup.timeline);
  json_builder_end_object (json);
  json_builder_end_object (json);

  title
      = g_strdup_printf ("N = %u  (%u with the Backup right; best of %d; import through the "
                         "library's memfd; backup sizes: lbk %.1f MiB, tar %.1f MiB)",
                         n, eligible, opt_repeat, backup.bytes / 1048576.0, tar_bytes / 1048576.0);
  table_print (&t, title);
  g_print ("RTT during backup: %u backup(s) looped with OVERWRITE while sampling.\n", rtt_backups);
  if (encrypt_skipped != NULL)
    g_print ("Encrypted backups: skipped (%s).\n", encrypt_skipped);
  else
    g_print ("Encrypted backups: age, scrypt at 2^%d (32 MiB); backup file %.1f MiB (plain %.1f "
             "MiB); ratios are encrypted / plain, same run.\n",
             LB_AGE_WORK_FACTOR_DEFAULT, backup_enc_bytes / 1048576.0, backup.bytes / 1048576.0);
  for (guint i = 0; i < t.rows->len; i++)
    {
      char **cells = t.rows->pdata[i];
      if (g_str_equal (cells[5], "NO"))
        note ("N = %u: target missed: %s (%s, target %s) - %s", n, cells[0],
              cells[3][0] ? cells[3] : cells[1], cells[4], met_str (0));
    }
  fflush (stdout);
  g_ptr_array_unref (t.rows);
  work_free (w);
}

static guint *
parse_ns (const char *list, gboolean large, guint *count)
{
  g_auto (GStrv) parts = g_strsplit (list, ",", -1);
  GArray *ns = g_array_new (FALSE, FALSE, sizeof (guint));

  for (guint i = 0; parts[i] != NULL; i++)
    {
      guint64 v;

      if (!g_ascii_string_to_unsigned (g_strstrip (parts[i]), 10, 1, 100000000, &v, NULL))
        {
          g_printerr ("lb-bench: bad N “%s”\n", parts[i]);
          exit (2);
        }
      g_array_append_val (ns, v);
    }
  if (large)
    {
      guint million = 1000000;
      gboolean have = FALSE;
      for (guint i = 0; i < ns->len; i++)
        have |= g_array_index (ns, guint, i) == million;
      if (!have)
        g_array_append_val (ns, million);
    }
  *count = ns->len;
  return (guint *) g_array_free (ns, FALSE);
}

int
main (int argc, char **argv)
{
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonBuilder) json = json_builder_new ();
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  JsonArray *results_array;
  g_autofree char *load_start = read_trimmed ("/proc/loadavg");
  g_autofree char *model = cpu_model ();
  g_autofree char *fs = NULL;
  g_autofree guint *ns = NULL;
  g_autofree NResult *results = NULL;
  g_autoptr (GDateTime) started = g_date_time_new_now_local ();
  g_autofree char *started_str = g_date_time_format_iso8601 (started);
  struct utsname uts;
  guint n_count;
  Bench b = { 0 };
  const GOptionEntry entries[] = {
    { "n", 0, 0, G_OPTION_ARG_STRING, &opt_n,
      "License counts, comma-separated (default 10000,100000)", "LIST" },
    { "large", 0, 0, G_OPTION_ARG_NONE, &opt_large, "Also N = 1,000,000", NULL },
    { "repeat", 0, 0, G_OPTION_ARG_INT, &opt_repeat, "Runs per timing; the best counts (default 3)",
      "R" },
    { "rtt-calls", 0, 0, G_OPTION_ARG_INT, &opt_rtt_calls,
      "Round trips per measurement (default 2000)", "C" },
    { "workdir", 0, 0, G_OPTION_ARG_FILENAME, &opt_workdir,
      "Where the temporary stores and files go (default $TMPDIR)", "DIR" },
    { "json", 0, 0, G_OPTION_ARG_FILENAME, &opt_json,
      "Where to write the JSON (default bench/results.json)", "PATH" },
    { "daemon", 0, 0, G_OPTION_ARG_FILENAME, &opt_daemon,
      "license-backupd to run (default: the build tree's, or $LB_DAEMON_PATH)", "PATH" },
    { "skip", 0, 0, G_OPTION_ARG_STRING, &opt_skip,
      "Phases to leave out: tar, rtt, restore (for profiling), encrypt (the encrypted backups "
      "and restores), group (twenty clients' StoreLicense during backups)",
      "LIST" },
    { "group-seconds", 0, 0, G_OPTION_ARG_INT, &opt_group_seconds,
      "How long the twenty clients store licenses (default 10)", "S" },
    { "keep", 0, 0, G_OPTION_ARG_NONE, &opt_keep, "Keep the work directories", NULL },
    { NULL },
  };

  context = g_option_context_new ("- benchmark license-backupd against tar");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("lb-bench: %s\n", error->message);
      return 2;
    }
  if (opt_repeat < 1 || opt_rtt_calls < 1)
    {
      g_printerr ("lb-bench: --repeat, --depth and --rtt-calls must be at least 1, --batch 1 to "
                  "10000\n");
      return 2;
    }
  if (opt_skip != NULL)
    {
      skip_tar = strstr (opt_skip, "tar") != NULL;
      skip_rtt = strstr (opt_skip, "rtt") != NULL;
      skip_restore = strstr (opt_skip, "restore") != NULL;
      skip_encrypt = strstr (opt_skip, "encrypt") != NULL;
      skip_group = strstr (opt_skip, "group") != NULL;
    }
  if (opt_daemon == NULL)
    opt_daemon = g_strdup (lb_test_get_daemon_path ());
  /* What the harness spawns. */
  g_setenv ("LB_DAEMON_PATH", opt_daemon, TRUE);
  if (opt_json == NULL)
    opt_json = g_strdup (LB_BENCH_RESULTS);
  ns = parse_ns (opt_n != NULL ? opt_n : "10000,100000", opt_large, &n_count);
  results = g_new0 (NResult, n_count);
  if (!g_file_test (opt_daemon, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_printerr ("lb-bench: %s is not an executable; build first (ninja -C build)\n", opt_daemon);
      return 1;
    }

  {
    g_autofree char *tmpl
        = g_build_filename (opt_workdir ? opt_workdir : g_get_tmp_dir (), "lb-bench-XXXXXX", NULL);
    if (opt_workdir != NULL)
      mkdir_p (opt_workdir);
    b.root = g_mkdtemp_full (g_steal_pointer (&tmpl), 0700);
    if (b.root == NULL)
      {
        g_printerr ("lb-bench: cannot create a work directory: %s\n", g_strerror (errno));
        return 1;
      }
  }
  cleanup_root = b.root;
  signal (SIGINT, on_fatal_signal);
  signal (SIGTERM, on_fatal_signal);
  signal (SIGHUP, on_fatal_signal);
  fs = filesystem_of (b.root);
  uname (&uts);
  g_mutex_init (&counter.lock);
  counter.progress_us = g_array_new (FALSE, FALSE, sizeof (gint64));
  counter.progress_done = g_array_new (FALSE, FALSE, sizeof (guint64));
  counter.progress_status = g_array_new (FALSE, FALSE, sizeof (guint32));
  b.bus = lb_test_bus_new (LB_TEST_BUS_LARGE_MESSAGES);
  b.conn = lb_test_bus_get_connection (b.bus);
  if (b.conn == NULL)
    {
      g_printerr ("lb-bench: cannot start a private bus (dbus-daemon)\n");
      return 1;
    }
  /* The bus's context, which it pushed as the thread default. */
  b.ctx = g_main_context_ref_thread_default ();
  counter.wake = b.ctx;
  g_dbus_connection_add_filter (b.conn, signal_filter, NULL, NULL);

  note ("machine: %d CPUs (%s), %s, kernel %s; load average at start: %s", g_get_num_processors (),
        model, fs, uts.release, load_start);
  g_print ("license-backup benchmark, %s\n", started_str);
  g_print ("machine: %d x %s, %s, Linux %s; load average at start: %s\n", g_get_num_processors (),
           model, fs, uts.release, load_start);
  if (g_getenv ("LB_BENCH_COMMIT") != NULL)
    g_print ("license-backup %s\n", g_getenv ("LB_BENCH_COMMIT"));
  g_print ("caches: warm (nothing dropped); `sync` before every timed step\n");

  json_builder_begin_object (json);
  json_builder_set_member_name (json, "started");
  json_builder_add_string_value (json, started_str);
  json_builder_set_member_name (json, "machine");
  json_builder_begin_object (json);
  json_add_int (json, "nproc", g_get_num_processors ());
  json_builder_set_member_name (json, "cpu");
  json_builder_add_string_value (json, model);
  json_builder_set_member_name (json, "filesystem");
  json_builder_add_string_value (json, fs);
  json_builder_set_member_name (json, "kernel");
  json_builder_add_string_value (json, uts.release);
  json_builder_set_member_name (json, "loadavg_start");
  json_builder_add_string_value (json, load_start);
  json_builder_end_object (json);
  json_builder_set_member_name (json, "config");
  json_builder_begin_object (json);
  json_add_int (json, "repeat", opt_repeat);
  json_add_int (json, "rtt_calls", opt_rtt_calls);
  json_builder_set_member_name (json, "commit");
  json_builder_add_string_value (json, g_getenv ("LB_BENCH_COMMIT") ?: "");
  json_builder_set_member_name (json, "daemon");
  json_builder_add_string_value (json, opt_daemon);
  json_builder_set_member_name (json, "daemon_wrapper");
  json_builder_add_string_value (json, g_getenv ("LB_BENCH_DAEMON_WRAPPER") ?: "");
  json_builder_end_object (json);
  json_builder_set_member_name (json, "results");
  json_builder_begin_array (json);
  json_builder_end_array (json);
  json_builder_end_object (json);
  root = json_builder_get_root (json);
  results_array = json_object_get_array_member (json_node_get_object (root), "results");
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);

  for (guint i = 0; i < n_count; i++)
    {
      guint64 need = (guint64) ns[i] * DISK_BYTES_PER_LICENSE;
      guint64 avail = free_disk_bytes (b.root);
      g_autoptr (JsonBuilder) nj = json_builder_new ();

      if (avail < need)
        {
          g_printerr ("lb-bench: N = %u needs about %.1f GiB of disk in %s, only %.1f GiB are "
                      "free: skipped\n",
                      ns[i], need / 1073741824.0, b.root, avail / 1073741824.0);
          json_builder_begin_object (nj);
          json_add_int (nj, "n", ns[i]);
          json_builder_set_member_name (nj, "skipped");
          json_builder_add_string_value (nj, "not enough free disk");
          json_builder_end_object (nj);
        }
      else
        {
          note ("N = %u: needs about %.1f GiB of disk, %.1f GiB free", ns[i], need / 1073741824.0,
                avail / 1073741824.0);
          bench_n (&b, ns[i], nj, &results[i]);
        }
      json_array_add_element (results_array, json_builder_get_root (nj));
      /* After every N, so that an interrupted run keeps what it measured. */
      {
        g_autofree char *load_now = read_trimmed ("/proc/loadavg");
        json_object_set_string_member (json_node_get_object (root), "loadavg_end", load_now);
        json_object_set_boolean_member (json_node_get_object (root), "complete", i + 1 == n_count);
      }
      if (!json_generator_to_file (gen, opt_json, &error))
        {
          g_printerr ("lb-bench: cannot write %s: %s\n", opt_json, error->message);
          g_clear_error (&error);
        }
    }
  note ("load average at the end: %s",
        json_object_get_string_member (json_node_get_object (root), "loadavg_end"));
  g_print ("\nJSON: %s\n", opt_json);

  lb_test_keyring_free (b.keyring);
  g_free (b.keyring_why_not);
  g_main_context_unref (b.ctx);
  lb_test_bus_free (b.bus);
  if (!opt_keep)
    rm_rf (b.root);
  g_free (b.root);
  return 0;
}
