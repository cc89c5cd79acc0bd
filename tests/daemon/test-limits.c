/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Integration tests of issue 23: a sandboxed app cannot fill the user's
 * disk or starve the user's restores. The real daemon on a private bus,
 * a fake Flatpak app (lb-test-sandbox.h) calling through its proxy, the
 * store's files (licenses.db, -wal, -shm) measured from outside.
 *
 * Groups (LB_TEST_GROUPS), one meson test each:
 *  - import: a StoreLicensesFromFd of 48 MiB into an app allowed 8 MiB:
 *    NoSpace naming the limit, nothing stored, the files' peak within the
 *    limit and some slack, and back to their size after; a committed
 *    import of 80 MiB: the WAL, past its 64 MiB limit, cut back within
 *    seconds.
 *  - bulk: the same with StoreLicenses, in one call and in a loop of calls.
 *  - restore: a restore that would take an app over its limit: refused
 *    whole, naming the limit.
 *  - disk: the store on a small tmpfs, nearly full: imports refused with
 *    the disk-full message, nothing half-written; deletes and backups
 *    still work. An import that fits when it starts while the disk fills
 *    (LB_FAULT_STALL=store-batch-add slows it), and a restore that would
 *    cross the floor: stopped while they write, before the disk is full,
 *    nothing stored. Deleted licenses' space not reclaimed while the copy
 *    of the live ones would not fit, nothing lost, and given back once
 *    there is room. Needs root (a mount namespace of its own), else
 *    skipped.
 *  - fairness: two apps importing in loops while the user restores: the
 *    restore completes within seconds (before, it waited its 20 s for the
 *    lock and failed).
 *  - one-call: two bulk calls at once from one app: the second is Busy.
 *  - kill: the daemon killed (SIGKILL) while an over-limit import is at
 *    its largest: after a restart, the store and its files as before.
 *
 * Every group needs bubblewrap and xdg-dbus-proxy and exits 77 without
 * them (hence meson's exitcode protocol). The figures are printed as
 * "FIGURE" lines. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gunixfdlist.h>
#include <glib/gstdio.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "lb-test-sandbox.h"
#include "lb-test-util.h"

#define APP_A "org.example.PlayerA"
#define MIB (1024 * 1024)
#define LIMIT_BYTES (8 * MIB)
#define LIMIT_ARG "--app-max-bytes=8388608"
/* What the store's files may grow by beyond the app's limit in these tests
 * (the page cache, the B-tree and the last license written). */
#define SLACK (16 * MIB)
#define ALL_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

typedef struct
{
  LbTestBus *bus;
  LbTestMachine *machine;
  GDBusConnection *host; /* the test's own connection: the user's tools */
  LbTestApp *app;
  GDBusConnection *app_conn; /* APP_A through its proxy */
} Fixture;

static void
start_daemon (Fixture *f, const char *fault, const char *const *extra_args)
{
  LbTestDaemonOptions options = { 0 };

  options.fault = fault;
  options.extra_args = extra_args;
  g_assert_nonnull (lb_test_machine_start_daemon (f->machine, &options));
}

static void
connect_app (Fixture *f)
{
  g_autoptr (GError) error = NULL;

  g_clear_object (&f->app_conn);
  g_clear_pointer (&f->app, lb_test_app_free);
  f->app = lb_test_app_new (f->bus, APP_A, LB_TEST_FLATPAK_INFO_NORMAL, NULL);
  f->app_conn = lb_test_app_connect (f->app, &error);
  g_assert_no_error (error);
}

static void
setup (Fixture *f, gconstpointer data)
{
  f->bus = lb_test_bus_new (LB_TEST_BUS_LARGE_MESSAGES);
  f->machine = lb_test_machine_new (f->bus, "limits");
  f->host = g_object_ref (lb_test_bus_get_connection (f->bus));
}

static void
teardown (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->app_conn);
  g_clear_pointer (&f->app, lb_test_app_free);
  g_clear_object (&f->host);
  g_clear_pointer (&f->machine, lb_test_machine_free);
  g_clear_pointer (&f->bus, lb_test_bus_free);
}

/* Calls */

static GVariant *
store_call (GDBusConnection *c, const char *method, GVariant *params, GError **error)
{
  return g_dbus_connection_call_sync (c, LB_TEST_BUS_NAME, LB_TEST_OBJECT_PATH, LB_TEST_STORE_IFACE,
                                      method, params, NULL, G_DBUS_CALL_FLAGS_NONE, 120000, NULL,
                                      error);
}

static void
store_one (GDBusConnection *c, const char *key, gsize size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply
      = store_call (c, "StoreLicense",
                    g_variant_new ("(s@ay@a{sv})", key, lb_test_blob_new (size, 7),
                                   g_variant_new ("a{sv}", NULL)),
                    &error);

  g_assert_no_error (error);
}

/* The key ids @c may list, joined by spaces. */
static char *
listing (GDBusConnection *c)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply
      = store_call (c, "ListLicenses", g_variant_new_parsed ("(@a{sv} {},)"), &error);
  g_autoptr (GVariant) page = NULL;
  g_autoptr (GString) out = g_string_new ("");
  GVariantIter iter;
  const char *key;

  g_assert_no_error (error);
  page = g_variant_get_child_value (reply, 0);
  g_variant_iter_init (&iter, page);
  while (g_variant_iter_next (&iter, "(&s@a{sv})", &key, NULL))
    g_string_append_printf (out, "%s%s", out->len > 0 ? " " : "", key);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static void
assert_refused (GError *error, LbError code, const char *fragment)
{
  lb_test_assert_error_name (error, code);
  if (error != NULL && fragment != NULL && strstr (error->message, fragment) == NULL)
    g_test_fail_printf ("“%s” does not say “%s”", error->message, fragment);
}

/* The import format (docs/import-format.md) */

/* "LBI1" and @n records "<prefix>NNN" with blobs of @blob_size bytes. */
static GByteArray *
payload_of (const char *prefix, guint n, gsize blob_size)
{
  GByteArray *p = g_byte_array_new ();

  g_byte_array_append (p, (const guint8 *) "LBI1", 4);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *key = g_strdup_printf ("%s%03u", prefix, i);
      g_autoptr (GVariant) tuple = g_variant_ref_sink (
          g_variant_new ("(s@ay@a{sv})", key, lb_test_blob_new (blob_size, (guint8) i),
                         g_variant_new ("a{sv}", NULL)));
      g_autoptr (GVariant) v = g_variant_get_normal_form (tuple);
      guint32 le;

      if (G_BYTE_ORDER == G_BIG_ENDIAN)
        {
          GVariant *swapped = g_variant_byteswap (v);
          g_variant_unref (v);
          v = swapped;
        }
      le = GUINT32_TO_LE ((guint32) g_variant_get_size (v));
      g_byte_array_append (p, (const guint8 *) &le, sizeof le);
      g_byte_array_append (p, g_variant_get_data (v), (guint) g_variant_get_size (v));
    }
  return p;
}

/* @p in a sealed memfd, as the service asks. */
static int
sealed_memfd (GByteArray *p)
{
  int fd = memfd_create ("lb-test-limits", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  gsize done = 0;

  g_assert_cmpint (fd, >=, 0);
  while (done < p->len)
    {
      ssize_t n = write (fd, p->data + done, p->len - done);

      g_assert_cmpint (n, >, 0);
      done += (gsize) n;
    }
  g_assert_cmpint (fcntl (fd, F_ADD_SEALS, ALL_SEALS), ==, 0);
  return fd;
}

/* StoreLicensesFromFd of @fd (not taken) on @c: the count, or G_MAXUINT64
 * with @error. */
static guint64
import_fd (GDBusConnection *c, int fd, GError **error)
{
  int copy = dup (fd);
  g_autoptr (GUnixFDList) fds = g_unix_fd_list_new_from_array (&copy, 1);
  g_autoptr (GVariant) reply = g_dbus_connection_call_with_unix_fd_list_sync (
      c, LB_TEST_BUS_NAME, LB_TEST_OBJECT_PATH, LB_TEST_STORE_IFACE, "StoreLicensesFromFd",
      g_variant_new ("(h@a{sv})", 0, g_variant_new ("a{sv}", NULL)), G_VARIANT_TYPE ("(t)"),
      G_DBUS_CALL_FLAGS_NONE, 120000, fds, NULL, NULL, error);
  guint64 n;

  if (reply == NULL)
    return G_MAXUINT64;
  g_variant_get (reply, "(t)", &n);
  return n;
}

/* An a(saya{sv}) of @n licenses "<prefix>NNN" of @blob_size bytes. */
static GVariant *
licenses_of (const char *prefix, guint n, gsize blob_size)
{
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE ("a(saya{sv})"));
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *key = g_strdup_printf ("%s%03u", prefix, i);

      g_variant_builder_add (&b, "(s@ay@a{sv})", key, lb_test_blob_new (blob_size, (guint8) i),
                             g_variant_new ("a{sv}", NULL));
    }
  return g_variant_builder_end (&b);
}

/* The store's files */

/* The size of the store's file @name, 0 when it does not exist. */
static guint64
file_size (LbTestMachine *machine, const char *name)
{
  g_autofree char *path = g_build_filename (lb_test_machine_get_store_dir (machine), name, NULL);
  GStatBuf st;

  return g_stat (path, &st) == 0 ? (guint64) st.st_size : 0;
}

/* The database, its WAL and shared memory, and the blob files. */
static guint64
store_size (LbTestMachine *machine)
{
  g_autoptr (GDir) d = g_dir_open (lb_test_machine_get_store_dir (machine), 0, NULL);
  guint64 size = file_size (machine, "licenses.db") + file_size (machine, "licenses.db-wal")
                 + file_size (machine, "licenses.db-shm");
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    if (g_str_has_suffix (name, ".blobs"))
      size += file_size (machine, name);
  return size;
}

/* Samples store_size() every 2 ms in a thread of its own, for the peak. */
typedef struct
{
  LbTestMachine *machine;
  GThread *thread;
  gint stop;
  guint64 peak;
  guint64 wal_peak; /* licenses.db-wal's alone */
} Sampler;

static gpointer
sampler_thread (gpointer data)
{
  Sampler *s = data;

  while (!g_atomic_int_get (&s->stop))
    {
      /* The WAL read once for both peaks, which the checkpointer may
       * change between two reads. */
      guint64 wal = file_size (s->machine, "licenses.db-wal");

      s->wal_peak = MAX (s->wal_peak, wal);
      s->peak = MAX (s->peak, file_size (s->machine, "licenses.db") + wal
                                  + file_size (s->machine, "licenses.db-shm"));
      g_usleep (2000);
    }
  return NULL;
}

static void
sampler_start (Sampler *s, LbTestMachine *machine)
{
  s->machine = machine;
  s->peak = store_size (machine);
  s->thread = g_thread_new ("sampler", sampler_thread, s);
}

static guint64
sampler_stop (Sampler *s)
{
  g_atomic_int_set (&s->stop, 1);
  g_thread_join (s->thread);
  s->peak = MAX (s->peak, store_size (s->machine));
  return s->peak;
}

typedef struct
{
  LbTestMachine *machine;
  guint64 limit;
} SizeWait;

static gboolean
size_at_most (gpointer data)
{
  SizeWait *w = data;

  return store_size (w->machine) <= w->limit;
}

/* Waits (5 s at most) for the files to come back to @before (and a page
 * or two); returns their size then. */
static guint64
settled_size (LbTestMachine *machine, guint64 before)
{
  SizeWait w = { machine, before + 64 * 1024 };

  lb_test_wait_until (size_at_most, &w, 5000);
  return store_size (machine);
}

static void
assert_bounded (const char *what, guint64 before, guint64 peak, guint64 after)
{
  g_test_message ("FIGURE limits-%s: store files before %" G_GUINT64_FORMAT
                  " B, peak %" G_GUINT64_FORMAT " B (+%.1f MiB), after %" G_GUINT64_FORMAT " B",
                  what, before, peak, (double) (peak - before) / MIB, after);
  g_assert_cmpuint (peak, <=, before + LIMIT_BYTES + SLACK);
  g_assert_cmpuint (after, <=, before + 64 * 1024);
}

/* import */

static void
test_import_over_limit (Fixture *f, gconstpointer data)
{
  const char *const args[] = { LIMIT_ARG, NULL };
  g_autoptr (GByteArray) p = payload_of ("big-", 48, MIB);
  g_autoptr (GError) error = NULL;
  g_autofree char *keys = NULL;
  Sampler s = { 0 };
  guint64 before, peak, after;
  int fd;

  start_daemon (f, NULL, args);
  connect_app (f);
  store_one (f->app_conn, "keep", 1000);
  before = store_size (f->machine);
  fd = sealed_memfd (p);
  sampler_start (&s, f->machine);
  g_assert_cmpuint (import_fd (f->app_conn, fd, &error), ==, G_MAXUINT64);
  peak = sampler_stop (&s);
  close (fd);
  assert_refused (error, LB_ERROR_NO_SPACE, "8.0");
  after = settled_size (f->machine, before);
  assert_bounded ("import-48MiB-into-8MiB", before, peak, after);
  keys = listing (f->app_conn);
  g_assert_cmpstr (keys, ==, "keep");
  g_assert_cmpuint (lb_test_bus_get_license_count (f->bus), ==, 1);
}

typedef struct
{
  LbTestMachine *machine;
  guint64 limit;
} WalWait;

static gboolean
wal_at_most (gpointer data)
{
  WalWait *w = data;

  return file_size (w->machine, "licenses.db-wal") <= w->limit;
}

/* A committed import of 80 MiB writes its blobs once, into the blob file:
 * the WAL stays far below its 64 MiB limit (before the blob file it grew
 * past it, and the checkpoint thread cut it back), and is small again
 * within seconds. */
static void
test_import_large_commit (Fixture *f, gconstpointer data)
{
  const guint n = 80;
  g_autoptr (GByteArray) p = payload_of ("large-", n, MIB);
  g_autoptr (GError) error = NULL;
  Sampler s = { 0 };
  WalWait w = { f->machine, 4 * MIB };
  guint64 before, peak, db, shrunk;
  gint64 t0, waited;
  gboolean cut;
  int fd;

  start_daemon (f, NULL, NULL);
  store_one (f->host, "keep", 1000);
  before = store_size (f->machine);
  fd = sealed_memfd (p);
  g_clear_pointer (&p, g_byte_array_unref);
  sampler_start (&s, f->machine);
  /* The host: the user's tools, not held to one call, allowed 1 GiB. */
  g_assert_cmpuint (import_fd (f->host, fd, &error), ==, n);
  g_assert_no_error (error);
  close (fd);
  t0 = g_get_monotonic_time ();
  cut = lb_test_wait_until (wal_at_most, &w, 10000);
  waited = g_get_monotonic_time () - t0;
  peak = sampler_stop (&s);
  db = file_size (f->machine, "licenses.db");
  shrunk = file_size (f->machine, "licenses.db-wal");
  g_test_message ("FIGURE limits-import-large-commit: an 80 MiB import committed: the WAL's peak "
                  "%.1f MiB (files %" G_GUINT64_FORMAT
                  " B before, peak %.1f MiB), back to %" G_GUINT64_FORMAT
                  " B %.2f s after the reply; licenses.db %.1f MiB",
                  (double) s.wal_peak / MIB, before, (double) peak / MIB, shrunk,
                  (double) waited / G_USEC_PER_SEC, (double) db / MIB);
  /* The blobs went to the blob file, not through the WAL. */
  g_assert_cmpuint (s.wal_peak, <, 8 * MIB);
  g_assert_cmpuint (file_size (f->machine, "licenses-1.blobs"), >=, (guint64) n * MIB);
  g_assert_true (cut);
  g_assert_cmpuint (lb_test_bus_get_license_count (f->bus), ==, n + 1);
}

/* bulk */

static void
test_bulk_over_limit (Fixture *f, gconstpointer data)
{
  const char *const args[] = { LIMIT_ARG, NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autofree char *keys = NULL;
  Sampler s = { 0 };
  guint64 before, peak, after;
  guint stored = 0;

  start_daemon (f, NULL, args);
  connect_app (f);
  before = store_size (f->machine);

  /* One call of 12 MiB. */
  sampler_start (&s, f->machine);
  reply = store_call (f->app_conn, "StoreLicenses",
                      g_variant_new ("(@a(saya{sv}))", licenses_of ("one-", 12, MIB)), &error);
  peak = sampler_stop (&s);
  assert_refused (error, LB_ERROR_NO_SPACE, "8.0");
  g_clear_error (&error);
  after = settled_size (f->machine, before);
  assert_bounded ("store-licenses-12MiB-into-8MiB", before, peak, after);
  g_assert_cmpuint (lb_test_bus_get_license_count (f->bus), ==, 0);

  /* Calls of 3 MiB until refused: two fit. */
  memset (&s, 0, sizeof s);
  sampler_start (&s, f->machine);
  for (guint i = 0; i < 5 && error == NULL; i++)
    {
      g_autofree char *prefix = g_strdup_printf ("loop%u-", i);

      g_clear_pointer (&reply, g_variant_unref);
      reply = store_call (f->app_conn, "StoreLicenses",
                          g_variant_new ("(@a(saya{sv}))", licenses_of (prefix, 3, MIB)), &error);
      stored += error == NULL ? 1 : 0;
    }
  peak = sampler_stop (&s);
  assert_refused (error, LB_ERROR_NO_SPACE, "8.0");
  g_assert_cmpuint (stored, ==, 2);
  g_assert_cmpuint (lb_test_bus_get_license_count (f->bus), ==, 6);
  g_test_message ("FIGURE limits-store-licenses-loop: 2 calls of 3 MiB stored, the 3rd refused; "
                  "files before %" G_GUINT64_FORMAT " B, peak %" G_GUINT64_FORMAT " B",
                  before, peak);
  /* What the app keeps (6 MiB) and the slack, never the refused call. */
  g_assert_cmpuint (peak, <=, before + LIMIT_BYTES + SLACK);
  keys = listing (f->app_conn);
  g_assert_cmpstr (keys, ==, "loop0-000 loop0-001 loop0-002 loop1-000 loop1-001 loop1-002");
}

/* restore */

static void
run_operation (
    Fixture *f, gboolean restore, guint32 flags, const char *dir, guint *status, char **error_text)
{
  g_autoptr (LbDBusManager) manager = lb_test_bus_manager_proxy (f->bus);
  g_autoptr (LbTestSignalQueue) q = lb_test_signal_queue_new (
      f->host, LB_TEST_BUS_NAME, LB_TEST_MANAGER_IFACE, NULL, LB_TEST_OBJECT_PATH);
  g_autoptr (GError) error = NULL;
  guint64 id
      = lb_test_start_operation (manager, restore, flags, lb_test_path_options (dir), &error);

  g_assert_no_error (error);
  g_assert_true (lb_test_wait_completed (q, id, 60000, NULL, status, error_text, NULL));
}

static void
test_restore_over_limit (Fixture *f, gconstpointer data)
{
  const char *const args[] = { "--app-max-bytes=2097152", NULL };
  g_autofree char *dir = lb_test_make_tmp_dir ("limits-backup");
  g_autofree char *error_text = NULL;
  g_autofree char *keys = NULL;
  g_autoptr (LbTestMachine) second = NULL;
  guint status = 0;

  start_daemon (f, NULL, NULL);
  connect_app (f);
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *key = g_strdup_printf ("a%u", i);
      store_one (f->app_conn, key, MIB);
    }
  store_one (f->host, "h", 100);
  run_operation (f, FALSE, LB_BACKUP_FLAGS_NONE, dir, &status, NULL);
  g_assert_cmpuint (status, ==, LB_STATUS_END);
  lb_test_machine_stop_daemon (f->machine);

  /* Another computer whose daemon lets an app keep 2 MiB. */
  second = lb_test_machine_new (f->bus, "second");
  {
    LbTestDaemonOptions options = { .extra_args = args };
    g_assert_nonnull (lb_test_machine_start_daemon (second, &options));
  }
  run_operation (f, TRUE, LB_RESTORE_FLAGS_INDIVIDUALIZE, dir, &status, &error_text);
  g_test_message ("restore over the limit: status %u, “%s”", status, error_text);
  g_assert_cmpuint (status, ==, LB_STATUS_ERROR);
  g_assert_nonnull (strstr (error_text, "2.0"));
  g_assert_nonnull (strstr (error_text, APP_A));
  /* All or nothing: the host's license is not restored either. */
  keys = listing (f->host);
  g_assert_cmpstr (keys, ==, "");
  lb_test_machine_stop_daemon (second);
}

/* disk */

static void
require_mounts (void)
{
  if (geteuid () != 0)
    {
      printf ("SKIP: the disk test mounts a tmpfs: run it as root\n");
      exit (77);
    }
  if (unshare (CLONE_NEWNS) != 0 || mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
    {
      printf ("SKIP: cannot make a mount namespace: %s\n", g_strerror (errno));
      exit (77);
    }
}

static guint64
free_bytes (const char *dir)
{
  struct statvfs st;

  g_assert_cmpint (statvfs (dir, &st), ==, 0);
  return (guint64) st.f_bavail * st.f_frsize;
}

/* Writes a file in @dir so that about @leave bytes stay free; returns its
 * path. */
static char *
fill_until (const char *dir, guint64 leave)
{
  static guint n;
  g_autofree char *path = g_strdup_printf ("%s/filler-%u", dir, n++);
  guint64 avail = free_bytes (dir);
  int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpuint (avail, >, leave);
  g_assert_cmpint (posix_fallocate (fd, 0, (off_t) (avail - leave)), ==, 0);
  close (fd);
  return g_steal_pointer (&path);
}

/* A store on a tmpfs of @size (mount(8)'s "size="), in a mount namespace
 * of the test's own; exits 77 where it cannot. */
static void
mount_store (Fixture *f, const char *size)
{
  const char *store_dir = lb_test_machine_get_store_dir (f->machine);
  g_autofree char *options = g_strdup_printf ("size=%s,mode=0700", size);

  require_mounts ();
  g_assert_cmpint (g_mkdir_with_parents (store_dir, 0700), ==, 0);
  if (mount ("tmpfs", store_dir, "tmpfs", 0, options) != 0)
    {
      printf ("SKIP: cannot mount a tmpfs on %s: %s\n", store_dir, g_strerror (errno));
      exit (77);
    }
}

static void
test_disk_nearly_full (Fixture *f, gconstpointer data)
{
  const char *store_dir = lb_test_machine_get_store_dir (f->machine);
  g_autofree char *backup_dir = lb_test_make_tmp_dir ("limits-disk-backup");
  g_autoptr (GByteArray) p = payload_of ("disk-", 6, MIB);
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autofree char *keys = NULL;
  guint64 before, after;
  guint status = 0;
  int fd;

  /* 64 MiB: the floor is 5% of it, 3.2 MiB. */
  mount_store (f, "64m");
  start_daemon (f, NULL, NULL);
  connect_app (f);
  store_one (f->app_conn, "keep", 1000);
  store_one (f->app_conn, "old", 1000);
  g_free (fill_until (store_dir, 8 * MIB));
  before = store_size (f->machine);

  /* 6 MiB would leave 2 MiB, under the floor. */
  fd = sealed_memfd (p);
  g_assert_cmpuint (import_fd (f->app_conn, fd, &error), ==, G_MAXUINT64);
  close (fd);
  assert_refused (error, LB_ERROR_NO_SPACE, "nearly full");
  g_test_message ("FIGURE limits-disk: a 6 MiB import with %.1f MiB free on a 64 MiB tmpfs: “%s”",
                  (double) free_bytes (store_dir) / MIB, error->message);
  g_clear_error (&error);
  reply = store_call (f->app_conn, "StoreLicenses",
                      g_variant_new ("(@a(saya{sv}))", licenses_of ("disk-", 6, MIB)), &error);
  assert_refused (error, LB_ERROR_NO_SPACE, "nearly full");
  g_clear_error (&error);
  after = settled_size (f->machine, before);
  g_assert_cmpuint (after, <=, before + 64 * 1024);
  keys = listing (f->app_conn);
  g_assert_cmpstr (keys, ==, "keep old");

  /* What leaves the floor alone still works; deletes and backups always. */
  store_one (f->app_conn, "small", 1000);
  g_clear_pointer (&reply, g_variant_unref);
  reply = store_call (f->app_conn, "DeleteLicense", g_variant_new ("(s)", "old"), &error);
  g_assert_no_error (error);
  g_free (fill_until (store_dir, 1 * MIB));
  g_clear_pointer (&reply, g_variant_unref);
  reply = store_call (f->app_conn, "DeleteLicense", g_variant_new ("(s)", "small"), &error);
  g_assert_no_error (error);
  run_operation (f, FALSE, LB_BACKUP_FLAGS_NONE, backup_dir, &status, NULL);
  g_assert_cmpuint (status, ==, LB_STATUS_END);
  /* Below the floor, even a small license is refused. */
  g_clear_pointer (&reply, g_variant_unref);
  reply = store_call (f->app_conn, "StoreLicense",
                      g_variant_new ("(s@ay@a{sv})", "tiny", lb_test_blob_new (10, 1),
                                     g_variant_new ("a{sv}", NULL)),
                      &error);
  assert_refused (error, LB_ERROR_NO_SPACE, "nearly full");
  g_clear_pointer (&keys, g_free);
  keys = listing (f->app_conn);
  g_assert_cmpstr (keys, ==, "keep");
  lb_test_machine_stop_daemon (f->machine);
  umount2 (store_dir, MNT_DETACH);
}

/* An import in a thread of its own. */
typedef struct
{
  GDBusConnection *conn;
  int fd;
  GError *error;
  gint done;
} Import;

static gpointer
import_thread (gpointer data)
{
  Import *im = data;

  import_fd (im->conn, im->fd, &im->error);
  g_atomic_int_set (&im->done, 1);
  return NULL;
}

typedef struct
{
  LbTestMachine *machine;
  guint64 size;
  Import *import;
} GrowWait;

static gboolean
grown_or_done (gpointer data)
{
  GrowWait *w = data;

  return store_size (w->machine) >= w->size || g_atomic_int_get (&w->import->done);
}

/* An import that fits when it starts: the disk fills while it writes, and
 * the floor, checked again every 4 MiB, stops it before the disk is full. */
static void
test_disk_mid_write (Fixture *f, gconstpointer data)
{
  const char *store_dir = lb_test_machine_get_store_dir (f->machine);
  /* 40 ms a license: the import takes two seconds, time to fill the disk. */
  const char *const env[] = { "LB_FAULT_STALL=store-batch-add=40", NULL };
  LbTestDaemonOptions options = { .extra_env = env };
  g_autoptr (GByteArray) p = payload_of ("mid-", 48, MIB);
  g_autofree char *keys = NULL;
  g_autofree char *filler = NULL;
  Import im = { 0 };
  GrowWait w = { f->machine, 0, &im };
  GThread *thread;
  guint64 before, avail, grown, after;

  mount_store (f, "64m");
  g_assert_nonnull (lb_test_machine_start_daemon (f->machine, &options));
  connect_app (f);
  store_one (f->app_conn, "keep", 1000);
  before = store_size (f->machine);
  avail = free_bytes (store_dir);
  /* 48 MiB of 60 free passes the check before the write. */
  im.conn = f->app_conn;
  im.fd = sealed_memfd (p);
  thread = g_thread_new ("import", import_thread, &im);
  /* Once SQLite spills the transaction into the WAL, leave 8 MiB free. */
  w.size = before + 2 * MIB;
  g_assert_true (lb_test_wait_until (grown_or_done, &w, 60000));
  g_assert_false (g_atomic_int_get (&im.done));
  grown = store_size (f->machine) - before;
  filler = fill_until (store_dir, 8 * MIB);
  g_thread_join (thread);
  close (im.fd);
  assert_refused (im.error, LB_ERROR_NO_SPACE, "nearly full");
  after = settled_size (f->machine, before);
  g_test_message ("FIGURE limits-disk-mid-write: a 48 MiB import with %.1f MiB free on a 64 MiB "
                  "tmpfs, filled to 8 MiB free once the store had grown by %.1f MiB: “%s”; "
                  "store files %" G_GUINT64_FORMAT " B before, %" G_GUINT64_FORMAT " B after",
                  (double) avail / MIB, (double) grown / MIB,
                  im.error != NULL ? im.error->message : "stored", before, after);
  g_clear_error (&im.error);
  g_assert_cmpuint (after, <=, before + 64 * 1024);
  keys = listing (f->app_conn);
  g_assert_cmpstr (keys, ==, "keep");
  g_assert_cmpuint (lb_test_bus_get_license_count (f->bus), ==, 1);
  lb_test_machine_stop_daemon (f->machine);
  umount2 (store_dir, MNT_DETACH);
}

/* The space of deleted licenses comes back only when the copy of the live
 * ones fits: on a nearly full disk the reclaim waits, losing nothing, and
 * CleanLicenseStore gives the space back once there is room again. */
static void
test_disk_reclaim (Fixture *f, gconstpointer data)
{
  const char *store_dir = lb_test_machine_get_store_dir (f->machine);
  g_autoptr (GByteArray) p = payload_of ("rc-", 20, MIB);
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autofree char *filler = NULL;
  g_autofree char *keys = NULL;
  guint removed = 99;
  int fd;

  mount_store (f, "64m");
  start_daemon (f, NULL, NULL);
  connect_app (f);
  fd = sealed_memfd (p);
  g_assert_cmpuint (import_fd (f->app_conn, fd, &error), ==, 20);
  close (fd);
  g_assert_no_error (error);
  g_assert_cmpuint (file_size (f->machine, "licenses-1.blobs"), >=, 20 * MIB);

  /* 2 MiB free, under the floor (3.2 MiB): deletes still work, but the 4
   * MiB of live blobs cannot be copied, neither by the store's own thread
   * (past half dead) nor by CleanLicenseStore. */
  filler = fill_until (store_dir, 2 * MIB);
  for (guint i = 0; i < 16; i++)
    {
      g_autofree char *key = g_strdup_printf ("rc-%03u", i);

      g_clear_pointer (&reply, g_variant_unref);
      reply = store_call (f->app_conn, "DeleteLicense", g_variant_new ("(s)", key), &error);
      g_assert_no_error (error);
    }
  g_clear_pointer (&reply, g_variant_unref);
  reply = store_call (f->app_conn, "CleanLicenseStore", g_variant_new ("(u)", 0), &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(u)", &removed);
  g_assert_cmpuint (removed, ==, 0);
  g_assert_cmpuint (file_size (f->machine, "licenses-1.blobs"), >=, 20 * MIB);
  g_assert_cmpuint (file_size (f->machine, "licenses-2.blobs"), ==, 0);
  keys = listing (f->app_conn);
  g_assert_cmpstr (keys, ==, "rc-016 rc-017 rc-018 rc-019");

  /* Room again: the live blobs move to a file of their own. */
  g_assert_cmpint (g_unlink (filler), ==, 0);
  g_clear_pointer (&reply, g_variant_unref);
  reply = store_call (f->app_conn, "CleanLicenseStore", g_variant_new ("(u)", 0), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (file_size (f->machine, "licenses-1.blobs"), ==, 0);
  g_assert_cmpuint (file_size (f->machine, "licenses-2.blobs"), ==, 4 * MIB);
  g_clear_pointer (&keys, g_free);
  keys = listing (f->app_conn);
  g_assert_cmpstr (keys, ==, "rc-016 rc-017 rc-018 rc-019");
  lb_test_machine_stop_daemon (f->machine);
  umount2 (store_dir, MNT_DETACH);
}

/* A restore has no size to check in advance (the backup is compressed):
 * the floor stops it while it writes, before the disk is full. */
static void
test_disk_restore (Fixture *f, gconstpointer data)
{
  const char *store_dir = lb_test_machine_get_store_dir (f->machine);
  g_autofree char *dir = lb_test_make_tmp_dir ("limits-disk-restore");
  g_autoptr (LbTestMachine) elsewhere = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autofree char *error_text = NULL;
  g_autofree char *keys = NULL;
  g_autofree char *filler = NULL;
  guint64 before, after, avail;
  guint status = 0;

  /* 24 MiB of licenses backed up on another computer. */
  elsewhere = lb_test_machine_new (f->bus, "elsewhere");
  g_assert_nonnull (lb_test_machine_start_daemon (elsewhere, NULL));
  reply = store_call (f->host, "StoreLicenses",
                      g_variant_new ("(@a(saya{sv}))", licenses_of ("r-", 24, MIB)), &error);
  g_assert_no_error (error);
  run_operation (f, FALSE, LB_BACKUP_FLAGS_NONE, dir, &status, NULL);
  g_assert_cmpuint (status, ==, LB_STATUS_END);
  lb_test_machine_stop_daemon (elsewhere);

  /* 128 MiB: the floor, 6.4 MiB, is more than the restore writes between
   * two checks (4 MiB and a license), so the floor stops it first. */
  mount_store (f, "128m");
  start_daemon (f, NULL, NULL);
  store_one (f->host, "keep1", 1000);
  store_one (f->host, "keep2", 1000);
  filler = fill_until (store_dir, 10 * MIB);
  before = store_size (f->machine);
  avail = free_bytes (store_dir);
  run_operation (f, TRUE, LB_RESTORE_FLAGS_INDIVIDUALIZE, dir, &status, &error_text);
  after = settled_size (f->machine, before);
  g_test_message ("FIGURE limits-disk-restore: a restore of 24 MiB with %.1f MiB free on a 128 MiB "
                  "tmpfs: status %u, “%s”; store files %" G_GUINT64_FORMAT
                  " B before, %" G_GUINT64_FORMAT " B after",
                  (double) avail / MIB, status, error_text, before, after);
  g_assert_cmpuint (status, ==, LB_STATUS_ERROR);
  g_assert_nonnull (strstr (error_text, "nearly full"));
  g_assert_cmpuint (after, <=, before + 64 * 1024);
  keys = listing (f->host);
  g_assert_cmpstr (keys, ==, "keep1 keep2");
  g_assert_cmpuint (lb_test_bus_get_license_count (f->bus), ==, 2);

  /* The store is whole: after a restart and with the space back, the same
   * restore completes. */
  lb_test_machine_stop_daemon (f->machine);
  g_assert_cmpint (g_unlink (filler), ==, 0);
  start_daemon (f, NULL, NULL);
  g_assert_cmpuint (lb_test_bus_get_license_count (f->bus), ==, 2);
  g_clear_pointer (&error_text, g_free);
  run_operation (f, TRUE, LB_RESTORE_FLAGS_INDIVIDUALIZE, dir, &status, &error_text);
  g_assert_cmpuint (status, ==, LB_STATUS_END);
  g_assert_cmpuint (lb_test_bus_get_license_count (f->bus), ==, 2 + 24);
  lb_test_machine_stop_daemon (f->machine);
  umount2 (store_dir, MNT_DETACH);
}

/* fairness */

typedef struct
{
  GDBusConnection *conn;
  int fd;
  gint stop;
  gint ok;   /* imports that succeeded */
  gint busy; /* answered Busy */
  gint other;
} ImportLoop;

static gpointer
import_loop (gpointer data)
{
  ImportLoop *loop = data;

  while (!g_atomic_int_get (&loop->stop))
    {
      g_autoptr (GError) error = NULL;

      if (import_fd (loop->conn, loop->fd, &error) != G_MAXUINT64)
        g_atomic_int_inc (&loop->ok);
      else if (g_error_matches (error, LB_ERROR, LB_ERROR_BUSY))
        {
          g_atomic_int_inc (&loop->busy);
          g_usleep (10000);
        }
      else
        {
          g_test_message ("import failed: %s", error->message);
          g_atomic_int_inc (&loop->other);
          g_usleep (10000);
        }
    }
  return NULL;
}

static gboolean
loop_has_imported (gpointer data)
{
  return g_atomic_int_get (&((ImportLoop *) data)->ok) > 0;
}

static void
test_fairness_restore_first (Fixture *f, gconstpointer data)
{
  g_autofree char *dir = lb_test_make_tmp_dir ("limits-fair-backup");
  g_autoptr (GByteArray) p = payload_of ("loop-", 48, MIB);
  g_autoptr (LbTestApp) b = NULL;
  g_autoptr (GDBusConnection) b_conn = NULL;
  g_autoptr (GError) error = NULL;
  GThread *threads[2];
  ImportLoop loops[2] = { 0 };
  g_autofree char *error_text = NULL;
  guint status = 0;
  gint64 t0, waited;

  start_daemon (f, NULL, NULL);
  connect_app (f);
  b = lb_test_app_new (f->bus, "org.example.PlayerB", LB_TEST_FLATPAK_INFO_NORMAL, NULL);
  b_conn = lb_test_app_connect (b, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < 20; i++)
    {
      g_autofree char *key = g_strdup_printf ("h%02u", i);
      store_one (f->host, key, 4096);
    }
  run_operation (f, FALSE, LB_BACKUP_FLAGS_NONE, dir, &status, NULL);
  g_assert_cmpuint (status, ==, LB_STATUS_END);
  for (guint i = 0; i < 20; i++)
    {
      g_autofree char *key = g_strdup_printf ("h%02u", i);
      g_autoptr (GVariant) reply
          = store_call (f->host, "DeleteLicense", g_variant_new ("(s)", key), &error);
      g_assert_no_error (error);
    }

  /* Two apps import 48 MiB again and again: one's import is always
   * running or next in line for the write lock. */
  for (guint i = 0; i < 2; i++)
    {
      loops[i].conn = i == 0 ? f->app_conn : b_conn;
      loops[i].fd = sealed_memfd (p);
      threads[i] = g_thread_new ("import-loop", import_loop, &loops[i]);
    }
  for (guint i = 0; i < 2; i++)
    g_assert_true (lb_test_wait_until (loop_has_imported, &loops[i], 60000));

  t0 = g_get_monotonic_time ();
  run_operation (f, TRUE, LB_RESTORE_FLAGS_NONE, dir, &status, &error_text);
  waited = g_get_monotonic_time () - t0;
  for (guint i = 0; i < 2; i++)
    g_atomic_int_set (&loops[i].stop, 1);
  for (guint i = 0; i < 2; i++)
    {
      g_thread_join (threads[i]);
      close (loops[i].fd);
    }
  g_test_message ("FIGURE limits-fairness: restore of 20 licenses while two apps import 48 MiB "
                  "in loops: done in %.2f s (status %u%s%s); the apps' imports: %d stored, %d "
                  "Busy, %d other errors",
                  (double) waited / G_USEC_PER_SEC, status, error_text[0] != '\0' ? ", " : "",
                  error_text, loops[0].ok + loops[1].ok, loops[0].busy + loops[1].busy,
                  loops[0].other + loops[1].other);
  g_assert_cmpuint (status, ==, LB_STATUS_END);
  g_assert_cmpint (waited, <, 5 * G_USEC_PER_SEC);
  g_assert_cmpint (loops[0].other + loops[1].other, ==, 0);
  g_assert_cmpuint (lb_test_bus_get_license_count (f->bus), ==, 20 + 2 * 48);
}

/* one-call */

/* Two imports of @c at once; how many were answered Busy. */
static guint
two_at_once (GDBusConnection *c, int fd)
{
  Import a = { c, fd, NULL, 0 }, b = { c, fd, NULL, 0 };
  GThread *ta = g_thread_new ("a", import_thread, &a);
  GThread *tb = g_thread_new ("b", import_thread, &b);
  guint busy = 0;

  g_thread_join (ta);
  g_thread_join (tb);
  for (Import *im = &a; im != NULL; im = im == &a ? &b : NULL)
    {
      if (im->error != NULL)
        {
          g_test_message ("concurrent import: %s", im->error->message);
          lb_test_assert_error_name (im->error, LB_ERROR_BUSY);
          busy++;
        }
      g_clear_error (&im->error);
    }
  return busy;
}

static void
test_one_call_per_app (Fixture *f, gconstpointer data)
{
  g_autoptr (GByteArray) p = payload_of ("two-", 32, MIB);
  int fd;
  guint busy;

  start_daemon (f, NULL, NULL);
  connect_app (f);
  fd = sealed_memfd (p);
  busy = two_at_once (f->app_conn, fd);
  g_assert_cmpuint (busy, ==, 1);
  g_assert_cmpuint (lb_test_bus_get_license_count (f->bus), ==, 32);
  /* After it, the app may call again. */
  g_assert_cmpuint (two_at_once (f->app_conn, fd), ==, 1);
  /* The user's own tools are not held to it: both are stored in turn. */
  g_assert_cmpuint (two_at_once (f->host, fd), ==, 0);
  g_assert_cmpuint (lb_test_bus_get_license_count (f->bus), ==, 64);
  close (fd);
}

/* kill */

static void
test_kill_over_limit (Fixture *f, gconstpointer data)
{
  const char *const args[] = { LIMIT_ARG, NULL };
  g_autoptr (GByteArray) p = payload_of ("kill-", 48, MIB);
  g_autoptr (GError) error = NULL;
  g_autofree char *keys = NULL;
  LbTestDaemon *d;
  guint64 before, after;
  int fd;

  start_daemon (f, NULL, args);
  connect_app (f);
  store_one (f->app_conn, "keep", 1000);
  lb_test_machine_stop_daemon (f->machine);
  before = store_size (f->machine);

  /* Killed when the refused import has written the most it ever does. */
  start_daemon (f, "store-over-limit", args);
  d = lb_test_machine_get_daemon (f->machine);
  connect_app (f);
  fd = sealed_memfd (p);
  g_assert_cmpuint (import_fd (f->app_conn, fd, &error), ==, G_MAXUINT64);
  close (fd);
  g_assert_true (lb_test_daemon_wait_exit (d, LB_TEST_TIMEOUT_MS));
  g_assert_cmpint (lb_test_daemon_get_term_signal (d), ==, SIGKILL);
  g_test_message ("killed with %.1f MiB in the store's files (%" G_GUINT64_FORMAT " B before)",
                  (double) store_size (f->machine) / MIB, before);

  start_daemon (f, NULL, args);
  connect_app (f);
  keys = listing (f->app_conn);
  g_assert_cmpstr (keys, ==, "keep");
  g_assert_cmpuint (lb_test_bus_get_license_count (f->bus), ==, 1);
  after = settled_size (f->machine, before);
  g_test_message ("FIGURE limits-kill: SIGKILL during an over-limit import: the store as before; "
                  "files %" G_GUINT64_FORMAT " B before, %" G_GUINT64_FORMAT " B after the restart",
                  before, after);
  g_assert_cmpuint (after, <=, before + 64 * 1024);
}

typedef struct
{
  const char *path;
  void (*func) (Fixture *f, gconstpointer arg);
  gconstpointer arg;
} Case;

static const Case cases[] = {
  { "import/over-limit", test_import_over_limit, NULL },
  { "import/large-commit", test_import_large_commit, NULL },
  { "bulk/over-limit", test_bulk_over_limit, NULL },
  { "restore/over-limit", test_restore_over_limit, NULL },
  { "disk/nearly-full", test_disk_nearly_full, NULL },
  { "disk/mid-write", test_disk_mid_write, NULL },
  { "disk/restore", test_disk_restore, NULL },
  { "disk/reclaim", test_disk_reclaim, NULL },
  { "fairness/restore-first", test_fairness_restore_first, NULL },
  { "one-call/per-app", test_one_call_per_app, NULL },
  { "kill/over-limit", test_kill_over_limit, NULL },
};

int
main (int argc, char **argv)
{
  lb_test_init (&argc, &argv);
  lb_test_sandbox_require ();
  lb_test_add_cases ("/limits/", "tests/daemon/meson.build's limits_test_groups", cases, Fixture,
                     setup, teardown);
  return g_test_run ();
}
