/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reliability: the file system fails under the daemon.
 *
 *  - no-space: a backup over an existing one on a 2 MiB tmpfs that fills
 *    up: status ERROR, error NoSpace, no temporary file left, the old backup
 *    byte for byte.
 *  - read-only: a tmpfs remounted read-only, empty or holding a backup:
 *    PermissionDenied, nothing written.
 *  - no-permission: a folder of mode 0555. Root ignores permission bits
 *    through CAP_DAC_OVERRIDE, so the daemon runs through `setpriv` without
 *    CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH and CAP_FOWNER (still uid 0, the
 *    owner of its own files): PermissionDenied, nothing written.
 *  - location-removed: the backup folder deleted, and (a second case) a
 *    tmpfs holding it lazily unmounted, while a slowed-down backup runs:
 *    a clean error (status ERROR, a documented error name and a message), the
 *    daemon answering, nothing recreated.
 *  - store-full: the store on a 1 MiB tmpfs that fills up during a restore
 *    of 2.5 MB of licenses: a clean error, and the store exactly as before,
 *    also after a restart (no half-written license).
 *  - store-read-only: the store folder and files made read-only (mode 0500
 *    and 0400, daemon without CAP_DAC_OVERRIDE) before a restore: a clean
 *    error, the store exactly as before.
 *
 * Mounting needs root: the program runs its tests in a mount namespace of
 * its own (so that no mount outlives it), and exits with 77 (meson: SKIP)
 * when it is not root or cannot make one.
 */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backup.h"
#include "lb-archive.h"
#include "rel-util.h"

/* For expect_failure(): any documented error. */
#define ANY_ERROR (-1)

/* Whether @name is the D-Bus name of one of the service's errors (an
 * LbError: GDBus knows them through the library's error domain). */
static gboolean
is_documented_error (const char *name)
{
  g_autoptr (GError) error = NULL;

  if (name == NULL || !g_dbus_is_error_name (name))
    return FALSE;
  error = g_dbus_error_new_for_dbus_error (name, "");
  return error->domain == LB_ERROR
         && g_str_equal (name, lb_test_error_dbus_name ((LbError) error->code));
}

static gboolean
mount_tmpfs (const char *path, const char *options)
{
  if (mount ("tmpfs", path, "tmpfs", 0, options) != 0)
    {
      rel_fail ("cannot mount a tmpfs on %s: %s", path, g_strerror (errno));
      return FALSE;
    }
  return TRUE;
}

static gboolean
remount_read_only (const char *path)
{
  if (mount (NULL, path, NULL, MS_REMOUNT | MS_RDONLY, NULL) != 0)
    {
      rel_fail ("cannot remount %s read-only: %s", path, g_strerror (errno));
      return FALSE;
    }
  return TRUE;
}

typedef RelEnv Env;

/* Runs a backup or restore that must fail with @expected (an LbError, or
 * ANY_ERROR for any documented one): refused at once, or ended with status
 * ERROR. Returns how it failed, for the log. */
static char *
expect_failure (LbTestBus *bus, gboolean backup, guint32 flags, const char *path, int expected)
{
  g_autoptr (LbTestSignalQueue) queue = rel_manager_signals (lb_test_bus_get_connection (bus));
  g_autoptr (GError) error = NULL;
  g_autofree char *name = NULL;
  g_autofree char *message = NULL;
  g_autofree char *how = NULL;
  const char *want = expected != ANY_ERROR ? lb_test_error_dbus_name ((LbError) expected) : NULL;
  guint64 id;

  id = rel_op_start (lb_test_bus_get_connection (bus), backup, flags, path, NULL, &error);
  if (id == 0)
    {
      name = g_dbus_error_get_remote_error (error);
      g_dbus_error_strip_remote_error (error);
      message = g_strdup (error->message);
      how = g_strdup ("refused at once");
    }
  else
    {
      RelOutcome o;

      if (!rel_op_wait (queue, id, 60000, &o))
        {
          rel_fail ("%s into %s: no Completed signal", backup ? "backup" : "restore", path);
          return g_strdup ("hung");
        }
      if (o.status != LB_STATUS_ERROR)
        rel_fail ("%s into %s: ended with status %u, not %u (error %s)",
                  backup ? "backup" : "restore", path, o.status, LB_STATUS_ERROR, o.error_name);
      name = g_strdup (o.error_name);
      message = g_strdup (o.error);
      how = g_strdup_printf ("status %u", o.status);
      rel_outcome_clear (&o);
    }
  if (name == NULL || (want != NULL && !g_str_equal (name, want))
      || (want == NULL && !is_documented_error (name)))
    rel_fail ("%s at %s: failed with %s (%s), expected %s", backup ? "backup" : "restore", path,
              name, message, want != NULL ? want : "a documented error");
  if (message == NULL || message[0] == '\0')
    rel_fail ("%s at %s: the error %s has no message", backup ? "backup" : "restore", path, name);
  rel_assert_get_status (bus, 5000);
  return g_strdup_printf ("%s, %s: %s", how, name != NULL ? name : "?",
                          message != NULL ? message : "");
}

/* A new folder @name in the scratch folder. */
static char *
scratch_dir (Env *e, const char *name)
{
  char *dir = g_build_filename (e->scratch, name, NULL);

  g_assert_cmpint (g_mkdir (dir, 0700), ==, 0);
  return dir;
}

/* Stores licenses (rel_store_range()) and backs them up into @dir,
 * asserting that the backup succeeds. */
static gboolean
store_and_back_up (Env *e,
                   const char *prefix,
                   guint n,
                   guint seed,
                   gsize min_size,
                   gsize max_size,
                   const char *dir)
{
  return rel_store_range (e->bus, prefix, 0, n, seed, min_size, max_size, 1000)
         && rel_op_run_end (e->bus, TRUE, 0, dir, 30000, NULL);
}

/* A backup into @empty and one with OVERWRITE into @with_backup (which
 * holds one) both fail with PermissionDenied and write nothing. Returns
 * how each failed, for the figure. */
static GStrv
expect_nothing_written (Env *e, const char *empty, const char *with_backup)
{
  g_autofree char *before_empty = rel_tree_listing (empty, NULL);
  g_autofree char *before_full = rel_tree_listing (with_backup, NULL);
  GStrv how = g_new0 (char *, 3);

  how[0] = expect_failure (e->bus, TRUE, 0, empty, LB_ERROR_PERMISSION_DENIED);
  how[1] = expect_failure (e->bus, TRUE, LB_BACKUP_FLAGS_OVERWRITE, with_backup,
                           LB_ERROR_PERMISSION_DENIED);
  g_autofree char *after_empty = rel_tree_listing (empty, NULL);
  g_assert_cmpstr (after_empty, ==, before_empty);
  g_autofree char *after_full = rel_tree_listing (with_backup, NULL);
  g_assert_cmpstr (after_full, ==, before_full);
  return how;
}

/* rel_env_init() with a daemon without CAP_DAC_OVERRIDE; FALSE, the test
 * skipped, where setpriv cannot drop it. */
static gboolean
env_init_without_dac_override (Env *e, const char *name)
{
  if (!rel_can_drop_dac_override ())
    {
      g_test_skip ("setpriv cannot drop CAP_DAC_OVERRIDE here");
      return FALSE;
    }
  return rel_env_init (e, name, 0, TRUE);
}

static void
test_no_space (void)
{
  g_auto (RelEnv) e = { 0 };

  if (!rel_env_init (&e, "nospace", 0, FALSE))
    return;
  g_autofree char *dir = scratch_dir (&e, "small-disk");
  if (!mount_tmpfs (dir, "size=2m,mode=0700"))
    return;

  /* A small backup fits. */
  if (!store_and_back_up (&e, "small-", 30, 31, 100, 1000, dir))
    return;
  g_autofree char *file = lb_test_newest_backup (dir);
  g_autoptr (GBytes) old = lb_test_read_bytes (file);

  /* A bigger one (600 × 4 KiB) does not. */
  if (!rel_store_range (e.bus, "big-", 0, 600, 32, 4096, 4096, 1000))
    return;
  g_autofree char *how
      = expect_failure (e.bus, TRUE, LB_BACKUP_FLAGS_OVERWRITE, dir, LB_ERROR_NO_SPACE);
  g_test_message ("backup of 2.4 MB to a full 2 MiB tmpfs: %s", how);
  g_autoptr (GBytes) now = lb_test_read_bytes (file);
  g_assert_nonnull (now);
  g_assert_true (now != NULL && g_bytes_equal (now, old));
  g_autoptr (GPtrArray) temps = rel_list_prefixed (dir, LB_BACKUP_TMP_PREFIX);
  g_assert_cmpuint (temps->len, ==, 0);
  g_autofree char *listing = rel_tree_listing (dir, NULL);
  g_test_message ("FIGURE faults-no-space: NoSpace reported, the old backup intact (%zu bytes), "
                  "no temporary file; the folder holds: %s",
                  g_bytes_get_size (old), listing);
  umount2 (dir, MNT_DETACH);
}

static void
test_read_only (void)
{
  g_auto (RelEnv) e = { 0 };

  if (!rel_env_init (&e, "readonly", 0, FALSE))
    return;
  g_autofree char *empty = scratch_dir (&e, "ro-empty");
  g_autofree char *with_backup = scratch_dir (&e, "ro-backup");
  if (!mount_tmpfs (empty, "size=4m,mode=0700") || !mount_tmpfs (with_backup, "size=4m,mode=0700")
      || !store_and_back_up (&e, "lic-", 50, 41, 100, 2000, with_backup)
      || !remount_read_only (empty) || !remount_read_only (with_backup))
    return;
  g_auto (GStrv) how = expect_nothing_written (&e, empty, with_backup);
  g_test_message ("FIGURE faults-read-only: empty read-only folder: %s; read-only folder "
                  "holding a backup, overwrite: %s; nothing written",
                  how[0], how[1]);
  umount2 (empty, MNT_DETACH);
  umount2 (with_backup, MNT_DETACH);
}

static void
test_no_permission (void)
{
  g_auto (RelEnv) e = { 0 };

  if (!env_init_without_dac_override (&e, "noperm"))
    return;
  g_autofree char *empty = scratch_dir (&e, "no-write-empty");
  g_autofree char *with_backup = scratch_dir (&e, "no-write-backup");
  if (!store_and_back_up (&e, "lic-", 50, 51, 100, 2000, with_backup))
    return;
  g_assert_cmpint (g_chmod (empty, 0555), ==, 0);
  g_assert_cmpint (g_chmod (with_backup, 0555), ==, 0);
  g_autofree char *file = lb_test_newest_backup (with_backup);
  g_assert_cmpint (g_chmod (file, 0444), ==, 0);
  g_auto (GStrv) how = expect_nothing_written (&e, empty, with_backup);
  g_test_message ("FIGURE faults-no-permission: (daemon without CAP_DAC_OVERRIDE) folder of "
                  "mode 0555: %s; mode 0555 holding a backup, overwrite: %s; nothing written",
                  how[0], how[1]);
  g_chmod (empty, 0700);
  g_chmod (with_backup, 0700);
}

/* A slowed-down backup of 400 licenses (about 2 s) loses its folder after
 * 600 ms, by @remove. */
static char *
backup_losing_folder (Env *e, const char *dir, void (*remove) (const char *dir))
{
  g_autoptr (LbTestSignalQueue) queue = rel_manager_signals (lb_test_bus_get_connection (e->bus));
  g_autoptr (GError) error = NULL;
  g_autofree char *how = NULL;
  RelOutcome o;
  guint64 id;

  id = rel_op_start (lb_test_bus_get_connection (e->bus), TRUE, 0, dir, NULL, &error);
  g_assert_no_error (error);
  if (id == 0)
    return NULL;
  lb_test_run_for (600);
  remove (dir);
  if (!rel_op_wait (queue, id, 60000, &o))
    {
      rel_fail ("no Completed signal after the folder went away");
      return NULL;
    }
  if (o.status != LB_STATUS_ERROR || !is_documented_error (o.error_name) || o.error[0] == '\0')
    rel_fail ("the backup whose folder went away ended with status %u, %s “%s”", o.status,
              o.error_name, o.error);
  how = g_strdup_printf ("status %u, %s: %s", o.status, o.error_name, o.error);
  rel_outcome_clear (&o);
  rel_assert_get_status (e->bus, 5000);
  return g_steal_pointer (&how);
}

static void
remove_tree (const char *dir)
{
  lb_test_rm_rf (dir);
}

static void
detach_mount (const char *dir)
{
  g_assert_cmpint (umount2 (dir, MNT_DETACH), ==, 0);
}

static void
test_location_removed (void)
{
  g_auto (RelEnv) e = { 0 };

  if (!rel_env_init (&e, "removed", 5000, FALSE))
    return;
  g_autofree char *dir = scratch_dir (&e, "going");
  g_autofree char *mounted = scratch_dir (&e, "unplugged");
  if (!rel_store_range (e.bus, "lic-", 0, 400, 61, 100, 2000, 1000))
    return;

  g_autofree char *how1 = backup_losing_folder (&e, dir, remove_tree);
  g_assert_false (g_file_test (dir, G_FILE_TEST_EXISTS));

  if (!mount_tmpfs (mounted, "size=8m,mode=0700"))
    return;
  g_autofree char *how2 = backup_losing_folder (&e, mounted, detach_mount);
  /* The folder under the mount point: nothing written there. */
  g_autofree char *listing = rel_tree_listing (mounted, NULL);
  g_assert_cmpstr (listing, ==, "");
  g_test_message ("FIGURE faults-location-removed: folder deleted during the backup: %s; "
                  "tmpfs unmounted (lazily) during the backup: %s",
                  how1, how2);
}

/* A backup of 500 × 5 KiB licenses made by machine "source", in @dir. */
static gboolean
make_source_backup (Env *e, const char *dir)
{
  g_autoptr (LbTestMachine) source = lb_test_machine_new (e->bus, "source");
  RelOutcome o;
  gboolean ok;

  lb_test_machine_stop_daemon (e->machine);
  rel_machine_set_daemon_env (source, 0, FALSE);
  if (rel_start_daemon (source, NULL) == NULL)
    return FALSE;
  if (!rel_store_range (e->bus, "src-", 0, 500, 71, 5000, 5000, 1000)
      || !rel_op_run (e->bus, TRUE, 0, dir, 30000, &o))
    return FALSE;
  ok = o.status == LB_STATUS_END;
  g_assert_cmpuint (o.status, ==, LB_STATUS_END);
  rel_outcome_clear (&o);
  lb_test_machine_stop_daemon (source);
  return ok;
}

/* Fails the test if the store's licenses are not @before. FALSE when
 * they cannot be read. */
static gboolean
expect_store (Env *e, GHashTable *before, const char *when)
{
  g_autoptr (GHashTable) now = rel_dump_bus_ok (e->bus);

  if (now == NULL)
    return FALSE;
  rel_dump_expect (now, before, "%s", when);
  return TRUE;
}

/* After a restart the store's licenses are still @before. */
static gboolean
expect_store_after_restart (Env *e, GHashTable *before)
{
  lb_test_machine_stop_daemon (e->machine);
  return rel_start_daemon (e->machine, NULL) != NULL
         && expect_store (e, before, "after a restart the store differs");
}

/* Its licenses before, a backup of machine "source" in a new folder, and
 * the machine's daemon started again. */
static gboolean
prepare_restore (Env *e, guint seed, gboolean drop_dac, GHashTable **before, char **dir)
{
  if (!rel_store_range (e->bus, "own-", 0, 20, seed, 100, 2000, 100))
    return FALSE;
  *before = rel_dump_bus_ok (e->bus);
  *dir = scratch_dir (e, "backup");
  if (!make_source_backup (e, *dir))
    return FALSE;
  rel_machine_set_daemon_env (e->machine, 0, drop_dac);
  return rel_start_daemon (e->machine, NULL) != NULL;
}

static void
test_store_full (void)
{
  g_auto (RelEnv) e = { 0 };

  /* The store on a 1 MiB tmpfs. */
  e.bus = lb_test_bus_new (LB_TEST_BUS_DEFAULT);
  e.machine = lb_test_machine_new (e.bus, "storefull");
  e.scratch = lb_test_make_tmp_dir ("scratch");
  const char *store_dir = lb_test_machine_get_store_dir (e.machine);
  g_assert_cmpint (g_mkdir_with_parents (store_dir, 0700), ==, 0);
  if (!mount_tmpfs (store_dir, "size=1m,mode=0700"))
    return;
  rel_machine_set_daemon_env (e.machine, 0, FALSE);
  g_autoptr (GHashTable) before = NULL;
  g_autofree char *dir = NULL;
  if (rel_start_daemon (e.machine, NULL) == NULL || !prepare_restore (&e, 72, FALSE, &before, &dir))
    return;

  g_autofree char *how
      = expect_failure (e.bus, FALSE, LB_RESTORE_FLAGS_INDIVIDUALIZE, dir, ANY_ERROR);
  if (!expect_store (&e, before, "the store changed") || !expect_store_after_restart (&e, before))
    return;
  g_test_message ("FIGURE faults-store-full: restore of 2.5 MB into a store on a full 1 MiB "
                  "tmpfs: %s; the store as before, also after a restart",
                  how);
  lb_test_machine_stop_daemon (e.machine);
  umount2 (store_dir, MNT_DETACH);
}

static void
chmod_files (const char *dir, int file_mode, int dir_mode)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_chmod (path, file_mode);
    }
  g_chmod (dir, dir_mode);
}

static void
test_store_read_only (void)
{
  g_auto (RelEnv) e = { 0 };

  if (!env_init_without_dac_override (&e, "storero"))
    return;
  const char *store_dir = lb_test_machine_get_store_dir (e.machine);
  g_autoptr (GHashTable) before = NULL;
  g_autofree char *dir = NULL;
  if (!prepare_restore (&e, 81, TRUE, &before, &dir))
    return;

  chmod_files (store_dir, 0400, 0500);
  g_autofree char *how
      = expect_failure (e.bus, FALSE, LB_RESTORE_FLAGS_INDIVIDUALIZE, dir, ANY_ERROR);
  if (!expect_store (&e, before, "the store changed"))
    return;
  chmod_files (store_dir, 0600, 0700);
  if (!expect_store_after_restart (&e, before))
    return;
  g_test_message ("FIGURE faults-store-read-only: restore into a store made read-only (folder "
                  "0500, files 0400, daemon without CAP_DAC_OVERRIDE): %s; the store as "
                  "before, also after a restart",
                  how);
}

int
main (int argc, char **argv)
{
  if (geteuid () != 0)
    {
      printf ("1..0 # SKIP the fault tests mount file systems: run them as root\n");
      return 77;
    }
  rel_init (&argc, &argv);
  /* Our own mount namespace (after the harness's reaper started, so that
   * it cleans up in the original one): the tmpfs mounts die with us. */
  if (unshare (CLONE_NEWNS) != 0 || mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
    {
      printf ("1..0 # SKIP cannot make a mount namespace: %s\n", g_strerror (errno));
      return 77;
    }
  g_test_add_func ("/reliability/faults/no-space", test_no_space);
  g_test_add_func ("/reliability/faults/read-only", test_read_only);
  g_test_add_func ("/reliability/faults/no-permission", test_no_permission);
  g_test_add_func ("/reliability/faults/location-removed", test_location_removed);
  g_test_add_func ("/reliability/faults/store-full", test_store_full);
  g_test_add_func ("/reliability/faults/store-read-only", test_store_read_only);
  return g_test_run ();
}
