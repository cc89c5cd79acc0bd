/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Checking backups (issue 19), against the real daemon on a private bus:
 * VerifyBackup on a whole backup and on damaged ones, its cancel and its
 * refusals; the read-back after every backup (a failing drive simulated
 * with LB_FAULT_DAMAGE); a restore whose newest backup is damaged. Each
 * asserts what a user would see: the Completed signal and its summary,
 * ListBackups, the licenses a restore brings back, and that a check
 * writes nothing (content hashes of the folder and the store before and
 * after).
 */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include <license-backup/license-backup.h>

#include "lb-test-util.h"
#include "verifications.h"

#define N_LICENSES 40

typedef LbTestServiceFixture Fixture;

static gboolean
start_daemon (Fixture *f, guint delay_us, const char *damage)
{
  g_autofree char *damage_env
      = damage != NULL ? g_strdup_printf ("LB_FAULT_DAMAGE=%s", damage) : NULL;
  const char *env[] = { damage_env, NULL };
  LbTestDaemonOptions options = { 0 };

  options.fault_delay_us = delay_us;
  options.extra_env = damage_env != NULL ? env : NULL;
  return lb_test_machine_start_service (f->machine, &options, &f->store, &f->manager);
}

static void
setup (Fixture *f, gconstpointer data)
{
  lb_test_service_fixture_init (f);
  g_assert_true (start_daemon (f, 0, NULL));
}

static void
teardown (Fixture *f, gconstpointer data)
{
  lb_test_service_fixture_clear (f);
}

/* Helpers */

/* Runs an operation of @kind ("backup", "restore", "verify") to its end;
 * its status, error text and summary. */
static guint
run_op (Fixture *f, const char *kind, GVariant *options, char **error_text, GVariant **summary)
{
  g_autoptr (GVariant) opts = g_variant_ref_sink (options);
  g_autoptr (GError) error = NULL;
  guint64 id = 0;
  guint status = G_MAXUINT;

  if (g_str_equal (kind, "verify"))
    lb_dbus_manager_call_verify_backup_sync (f->manager, 0, opts, &id, NULL, &error);
  else
    id = lb_test_start_operation (f->manager, g_str_equal (kind, "restore"),
                                  g_str_equal (kind, "backup") ? LB_BACKUP_FLAGS_OVERWRITE : 0,
                                  opts, &error);
  g_assert_no_error (error);
  g_assert_true (lb_test_wait_completed (f->queue, id, LB_TEST_TIMEOUT_MS, NULL, &status,
                                         error_text, summary));
  return status;
}

static GVariant *
options (const char *path, const char *generation)
{
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  if (path != NULL)
    g_variant_builder_add (&b, "{sv}", "path", g_variant_new_string (path));
  if (generation != NULL)
    g_variant_builder_add (&b, "{sv}", "generation", g_variant_new_string (generation));
  return g_variant_builder_end (&b);
}

static void
backup_ok (Fixture *f)
{
  g_autofree char *error_text = NULL;
  guint status = run_op (f, "backup", options (f->dir, NULL), &error_text, NULL);

  g_assert_cmpstr (error_text, ==, "");
  g_assert_cmpuint (status, ==, LB_STATUS_END);
}

static const char *
summary_string (GVariant *summary, const char *key)
{
  const char *value = NULL;

  if (!g_variant_lookup (summary, key, "&s", &value))
    return NULL;
  return value;
}

/* The details ListBackups gives of @name in f->dir. */
static GVariant *
backup_details (Fixture *f, const char *name)
{
  g_autoptr (GVariant) backups = NULL;
  g_autoptr (GError) error = NULL;
  GVariantIter iter;
  const char *n;
  GVariant *details;

  lb_dbus_manager_call_list_backups_sync (f->manager, options (f->dir, NULL), &backups, NULL,
                                          &error);
  g_assert_no_error (error);
  g_variant_iter_init (&iter, backups);
  while (g_variant_iter_next (&iter, "(&s@a{sv})", &n, &details))
    {
      if (g_str_equal (n, name))
        return details;
      g_variant_unref (details);
    }
  return NULL;
}

/* SHA-256 over the names and contents of every file in @dir (recursively),
 * but @except. */
static void
hash_dir (GChecksum *sum, const char *dir, const char *except)
{
  g_autoptr (GPtrArray) names = lb_test_list_dir (dir);

  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *path = g_build_filename (dir, names->pdata[i], NULL);
      g_autoptr (GBytes) bytes = NULL;

      if (except != NULL && g_str_equal (names->pdata[i], except))
        continue;
      g_checksum_update (sum, (const guchar *) path, -1);
      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        {
          hash_dir (sum, path, except);
          continue;
        }
      bytes = lb_test_read_bytes (path);
      if (bytes != NULL)
        g_checksum_update (sum, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
    }
}

/* The backup folder and the license store's files (not the service's own
 * record of checks, verified.ini, which a check is meant to write). */
static char *
hash_all (Fixture *f)
{
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);

  hash_dir (sum, f->dir, NULL);
  hash_dir (sum, lb_test_machine_get_store_dir (f->machine), "verified.ini");
  return g_strdup (g_checksum_get_string (sum));
}

/* The backup folder alone. */
static char *
hash_folder (Fixture *f)
{
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);

  hash_dir (sum, f->dir, NULL);
  return g_strdup (g_checksum_get_string (sum));
}

/* Checks the backups in f->dir (VerifyBackup) to the end, asserting that
 * the check writes nothing; its status, error text and summary. */
static guint
verify_unchanged (Fixture *f, char **error_text, GVariant **summary)
{
  g_autofree char *before = hash_all (f);
  guint status = run_op (f, "verify", options (f->dir, NULL), error_text, summary);
  g_autofree char *after = hash_all (f);

  g_assert_cmpstr (before, ==, after);
  return status;
}

static char *
newest_name (Fixture *f)
{
  g_autoptr (GPtrArray) names = lb_test_list_backups (f->dir);

  g_assert_cmpuint (names->len, >, 0);
  return g_strdup (names->pdata[names->len - 1]);
}

/* Flips the byte at @offset of @path (from its end when negative). */
static void
flip (const char *path, gssize offset, guint8 mask)
{
  g_autoptr (GBytes) bytes = lb_test_read_bytes (path);
  gsize len = g_bytes_get_size (bytes);
  guint8 *copy = g_memdup2 (g_bytes_get_data (bytes, NULL), len);
  gsize at = offset >= 0 ? (gsize) offset : len + (gsize) offset;
  g_autoptr (GError) error = NULL;

  g_assert_cmpuint (at, <, len);
  copy[at] ^= mask;
  g_file_set_contents (path, (const char *) copy, (gssize) len, &error);
  g_assert_no_error (error);
  g_free (copy);
}

static gsize
find (const char *path, const char *needle, gboolean last)
{
  g_autoptr (GBytes) bytes = lb_test_read_bytes (path);

  return lb_test_find_bytes (bytes, needle, 0, last);
}

static gboolean
has_license (Fixture *f, const char *key_id)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) blob = NULL;
  g_autoptr (GVariant) attrs = NULL;

  return lb_dbus_store_call_get_license_sync (f->store, key_id, &blob, &attrs, NULL, &error);
}

/* Group "check": VerifyBackup */

/* A whole backup passes: every license counted, the computer named, the
 * check remembered, and nothing written. */
static void
test_whole (Fixture *f, gconstpointer data)
{
  g_autofree char *error_text = NULL;
  g_autoptr (GVariant) summary = NULL;
  struct stat st;
  guint32 u = 0;
  guint64 bytes = 0;
  gint64 verified = 0;
  const char *verify_error = NULL;

  lb_test_store_many_ok (f->store, N_LICENSES, "song-", 100);
  backup_ok (f);
  g_autofree char *name = newest_name (f);
  g_autofree char *path = g_build_filename (f->dir, name, NULL);
  g_assert_cmpuint (verify_unchanged (f, &error_text, &summary), ==, LB_STATUS_END);
  g_assert_cmpstr (error_text, ==, "");
  g_assert_true (g_variant_lookup (summary, "licenses", "u", &u));
  g_assert_cmpuint (u, ==, N_LICENSES);
  g_assert_true (g_variant_lookup (summary, "apps", "u", &u));
  g_assert_cmpuint (u, ==, 1);
  g_assert_true (g_variant_lookup (summary, "bytes", "t", &bytes));
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpuint (bytes, ==, (guint64) st.st_size);
  g_autofree char *uri = g_filename_to_uri (path, NULL, NULL);
  g_assert_cmpstr (summary_string (summary, "location"), ==, uri);
  g_assert_cmpstr (summary_string (summary, "host"), ==, "Computer a");
  g_assert_null (summary_string (summary, "damaged-entry"));
  g_autoptr (GVariant) details = backup_details (f, name);
  g_assert_nonnull (details);
  g_assert_true (g_variant_lookup (details, "verified", "x", &verified));
  g_assert_cmpint (verified, >, 0);
  g_assert_true (g_variant_lookup (details, "verify-error", "&s", &verify_error));
  g_assert_cmpstr (verify_error, ==, "");
}

/* Damage of every kind fails with BackupCorrupt and names where; the
 * check is remembered; nothing is written. */
static void
test_damaged (Fixture *f, gconstpointer data)
{
  struct
  {
    const char *what;
    const char *needle; /* flip at its offset + delta; NULL: cut in half */
    gboolean last;
    gssize delta;
    const char *entry_prefix;
  } cases[] = {
    { "a blob", "LBL1", TRUE, 60, "licenses/song-" },
    { "the manifest", "license-backup manifest", FALSE, 3, "manifest.txt" },
    { "a tar header", "licenses/song-000007", FALSE, 14, "" },
    { "cut in half", NULL, FALSE, 0, "" },
  };

  lb_test_store_many_ok (f->store, N_LICENSES, "song-", 100);
  backup_ok (f);
  g_autofree char *name = newest_name (f);
  g_autofree char *path = g_build_filename (f->dir, name, NULL);
  g_autoptr (GBytes) good = lb_test_read_bytes (path);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *error_text = NULL;
      g_autoptr (GVariant) summary = NULL;
      const char *verify_error = NULL;
      g_autoptr (GError) error = NULL;

      g_test_message ("damaged: %s", cases[i].what);
      g_file_set_contents (path, g_bytes_get_data (good, NULL), (gssize) g_bytes_get_size (good),
                           &error);
      g_assert_no_error (error);
      if (cases[i].needle != NULL)
        flip (path, (gssize) (find (path, cases[i].needle, cases[i].last) + cases[i].delta), 0x01);
      else
        g_assert_cmpint (truncate (path, (off_t) g_bytes_get_size (good) / 2), ==, 0);
      g_assert_cmpuint (verify_unchanged (f, &error_text, &summary), ==, LB_STATUS_ERROR);
      g_assert_cmpstr (summary_string (summary, "error-name"), ==,
                       lb_test_error_dbus_name (LB_ERROR_BACKUP_CORRUPT));
      const char *entry = summary_string (summary, "damaged-entry");
      g_assert_nonnull (entry);
      g_test_message ("damaged entry: %s; error: %s", entry, error_text);
      g_assert_true (g_str_has_prefix (entry, cases[i].entry_prefix));
      g_autoptr (GVariant) details = backup_details (f, name);
      g_assert_true (g_variant_lookup (details, "verify-error", "&s", &verify_error));
      g_assert_cmpstr (verify_error, !=, "");
    }
}

/* Cancel in the middle: Cancelled, nothing written, nothing remembered of
 * the cancelled check. */
static void
test_cancel (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  guint64 id = 0;
  guint status = 0;

  lb_test_store_many_ok (f->store, 300, "song-", 100);
  g_assert_true (start_daemon (f, 0, NULL));
  backup_ok (f);
  g_autofree char *name = newest_name (f);
  g_autoptr (GVariant) details_before = backup_details (f, name);
  /* Slowed down, so that the check can be caught in the middle. */
  g_assert_true (start_daemon (f, 20000, NULL));
  g_autofree char *before = hash_all (f);
  g_assert_true (lb_dbus_manager_call_verify_backup_sync (f->manager, 0, options (f->dir, NULL),
                                                          &id, NULL, &error));
  g_assert_no_error (error);
  if (lb_test_wait_licenses_done (f->bus, 20))
    {
      g_autoptr (GVariant) operation
          = lb_test_bus_get_property (f->bus, LB_TEST_MANAGER_IFACE, "Operation", NULL);

      g_assert_cmpstr (g_variant_get_string (operation, NULL), ==, "verify");
    }
  /* Another operation meanwhile: Busy. */
  lb_test_start_operation (f->manager, FALSE, LB_BACKUP_FLAGS_OVERWRITE,
                           lb_test_path_options (f->dir), &error);
  lb_test_assert_error_name (error, LB_ERROR_BUSY);
  g_clear_error (&error);
  /* The other kinds' cancel does not cancel it. */
  lb_dbus_manager_call_cancel_license_restore_sync (f->manager, NULL, &error);
  lb_test_assert_error_name (error, LB_ERROR_NOT_RUNNING);
  g_clear_error (&error);
  lb_dbus_manager_call_cancel_verify_backup_sync (f->manager, NULL, &error);
  g_assert_no_error (error);
  g_autofree char *error_text = NULL;
  g_autoptr (GVariant) summary = NULL;
  g_assert_true (lb_test_wait_completed (f->queue, id, LB_TEST_TIMEOUT_MS, NULL, &status,
                                         &error_text, &summary));
  g_assert_cmpuint (status, ==, LB_STATUS_ERROR);
  g_assert_cmpstr (summary_string (summary, "error-name"), ==,
                   lb_test_error_dbus_name (LB_ERROR_CANCELLED));
  g_autofree char *after = hash_all (f);
  g_assert_cmpstr (before, ==, after);
  g_autoptr (GVariant) details_after = backup_details (f, name);
  g_assert_true (g_variant_equal (details_before, details_after));
  /* No check is running now. */
  lb_dbus_manager_call_cancel_verify_backup_sync (f->manager, NULL, &error);
  lb_test_assert_error_name (error, LB_ERROR_NOT_RUNNING);
}

/* Bad input is refused with a named error, before anything starts. */
static void
test_refusals (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *missing = g_build_filename (f->dir, "missing", NULL);
  guint64 id = 0;

  /* No folder set, none passed. */
  lb_dbus_manager_call_verify_backup_sync (f->manager, 0, options (NULL, NULL), &id, NULL, &error);
  lb_test_assert_error_name (error, LB_ERROR_NOT_SET);
  g_clear_error (&error);
  lb_dbus_manager_call_verify_backup_sync (f->manager, 1, options (f->dir, NULL), &id, NULL,
                                           &error);
  lb_test_assert_error_name (error, LB_ERROR_INVALID_ARGS);
  g_clear_error (&error);
  lb_dbus_manager_call_verify_backup_sync (f->manager, 0, options ("relative/folder", NULL), &id,
                                           NULL, &error);
  lb_test_assert_error_name (error, LB_ERROR_INVALID_ARGS);
  g_clear_error (&error);
  lb_dbus_manager_call_verify_backup_sync (f->manager, 0, options (f->dir, "licenses-nonsense"),
                                           &id, NULL, &error);
  lb_test_assert_error_name (error, LB_ERROR_INVALID_ARGS);
  g_clear_error (&error);
  lb_dbus_manager_call_verify_backup_sync (
      f->manager, 0, g_variant_new_parsed ("{'overwrite': <true>}"), &id, NULL, &error);
  lb_test_assert_error_name (error, LB_ERROR_INVALID_ARGS);
  g_clear_error (&error);
  /* Nothing to check. */
  g_assert_cmpint (g_mkdir_with_parents (missing, 0700), ==, 0);
  lb_dbus_manager_call_verify_backup_sync (f->manager, 0, options (missing, NULL), &id, NULL,
                                           &error);
  lb_test_assert_error_name (error, LB_ERROR_NOT_FOUND);
  g_clear_error (&error);
  lb_test_store_many_ok (f->store, 3, "song-", 10);
  backup_ok (f);
  lb_dbus_manager_call_verify_backup_sync (
      f->manager, 0, options (f->dir, "licenses-20000101T000000Z.lbk"), &id, NULL, &error);
  lb_test_assert_error_name (error, LB_ERROR_NOT_FOUND);
}

/* An older backup by name. */
static void
test_generation (Fixture *f, gconstpointer data)
{
  g_autoptr (GPtrArray) names = NULL;
  g_autofree char *newest = NULL;
  g_autofree char *error_text = NULL;
  g_autoptr (GVariant) summary = NULL;
  guint32 u = 0;

  lb_test_store_many_ok (f->store, 3, "old-", 10);
  backup_ok (f);
  lb_test_store_many_ok (f->store, 5, "new-", 10);
  backup_ok (f);
  names = lb_test_list_backups (f->dir);
  g_assert_cmpuint (names->len, ==, 2);
  /* Damage the newest: the older one still checks whole by name. */
  newest = g_build_filename (f->dir, names->pdata[1], NULL);
  lb_test_damage_backup (newest);
  g_assert_cmpuint (run_op (f, "verify", options (f->dir, names->pdata[0]), &error_text, &summary),
                    ==, LB_STATUS_END);
  g_assert_true (g_variant_lookup (summary, "licenses", "u", &u));
  g_assert_cmpuint (u, ==, 3);
}

/* What the service remembers of checks survives a restart, for any folder
 * (an IPv6 host's brackets too); a backup written damaged is skipped by a
 * restore until a check finds it whole. */
static void
test_records (void)
{
  g_autofree char *dir = lb_test_make_tmp_dir ("records");
  g_autofree char *path = g_build_filename (dir, "verified.ini", NULL);
  g_autoptr (GFile) folder = g_file_new_for_uri ("sftp://[::1]:2222/home/anna/backups");
  g_autoptr (GFile) other = g_file_new_for_path ("/media/usb/licenses");
  g_autoptr (LbVerifications) v = lb_verifications_new (path);
  g_autoptr (LbVerifications) again = NULL;
  g_auto (GStrv) failed = NULL;
  g_autofree char *message = NULL;
  gint64 time = 0;

  lb_verifications_record (v, folder, "licenses-20261207T000000Z.lbk", 100, NULL, TRUE);
  lb_verifications_record (v, folder, "licenses-20261208T000000Z.lbk", 200, "damaged at x", TRUE);
  lb_verifications_record (v, folder, "licenses-20261209T000000Z.lbk", 300, "damaged at y", FALSE);
  lb_verifications_record (v, other, "licenses-20261209T000000Z.lbk", 400, NULL, FALSE);

  again = lb_verifications_new (path);
  g_assert_true (
      lb_verifications_lookup (again, folder, "licenses-20261208T000000Z.lbk", &time, &message));
  g_assert_cmpint (time, ==, 200);
  g_assert_cmpstr (message, ==, "damaged at x");
  g_clear_pointer (&message, g_free);
  g_assert_true (
      lb_verifications_lookup (again, folder, "licenses-20261207T000000Z.lbk", &time, &message));
  g_assert_cmpstr (message, ==, "");
  g_clear_pointer (&message, g_free);
  g_assert_false (
      lb_verifications_lookup (again, folder, "licenses-20261210T000000Z.lbk", NULL, NULL));
  /* Only what was written damaged is skipped; what rotted later is not. */
  failed = lb_verifications_failed (again, folder);
  g_assert_cmpuint (g_strv_length (failed), ==, 1);
  g_assert_cmpstr (failed[0], ==, "licenses-20261208T000000Z.lbk");
  g_clear_pointer (&failed, g_strfreev);
  /* Found whole later: no longer skipped. */
  lb_verifications_record (again, folder, "licenses-20261208T000000Z.lbk", 500, NULL, FALSE);
  failed = lb_verifications_failed (again, folder);
  g_assert_cmpuint (g_strv_length (failed), ==, 0);
  lb_test_rm_rf (dir);
}

/* Group "read-back" */

/* The backup just written reads back damaged (a failing drive): the backup
 * fails with BackupCorrupt, the file stays, marked as damaged, no older
 * backup goes, and a restore does not take it unless it is named, also
 * after a restart. */
static void
test_read_back (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *error_text = NULL;
  g_autoptr (GVariant) summary = NULL;
  const char *verify_error = NULL;

  lb_test_store_many_ok (f->store, 5, "old-", 10);
  for (guint i = 0; i < 3; i++)
    backup_ok (f);
  g_autoptr (GPtrArray) before = lb_test_list_backups (f->dir);
  g_assert_cmpuint (before->len, ==, 3);

  g_assert_true (start_daemon (f, 0, "backup-read-back"));
  lb_test_store_many_ok (f->store, 2, "bought-", 10);
  g_assert_cmpuint (run_op (f, "backup", options (f->dir, NULL), &error_text, &summary), ==,
                    LB_STATUS_ERROR);
  g_assert_cmpstr (summary_string (summary, "error-name"), ==,
                   lb_test_error_dbus_name (LB_ERROR_BACKUP_CORRUPT));
  g_assert_nonnull (strstr (error_text, "does not read back whole"));
  /* The file is there, the three older ones too. */
  g_autoptr (GPtrArray) after = lb_test_list_backups (f->dir);
  g_assert_cmpuint (after->len, ==, 4);
  for (guint i = 0; i < 3; i++)
    g_assert_cmpstr (after->pdata[i], ==, before->pdata[i]);
  const char *bad = after->pdata[3];
  const char *location = summary_string (summary, "location");
  g_autofree char *bad_path = g_build_filename (f->dir, bad, NULL);
  g_assert_true (g_str_has_suffix (location, bad));
  g_assert_true (g_file_test (bad_path, G_FILE_TEST_IS_REGULAR));
  g_autoptr (GVariant) details = backup_details (f, bad);
  g_assert_true (g_variant_lookup (details, "verify-error", "&s", &verify_error));
  g_assert_cmpstr (verify_error, !=, "");

  /* A restore takes the newest whole one, before and after a restart. */
  for (guint round = 0; round < 2; round++)
    {
      g_autofree char *restore_error = NULL;
      g_autoptr (GVariant) restored = NULL;

      g_assert_true (start_daemon (f, 0, NULL));
      lb_dbus_store_call_delete_license_sync (f->store, "old-000001", NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (run_op (f, "restore", options (f->dir, NULL), &restore_error, &restored),
                        ==, LB_STATUS_END);
      g_assert_true (g_str_has_suffix (summary_string (restored, "location"), before->pdata[2]));
      g_assert_true (has_license (f, "old-000001"));
    }
}

/* Group "restore-damaged" */

/* The newest backup turned out damaged: the restore fails, restores
 * nothing, and names the newest whole backup and how to restore it; named,
 * that one restores. */
static void
test_restore_damaged (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *error_text = NULL;
  g_autoptr (GVariant) summary = NULL;
  gint64 created = 0;

  lb_test_store_many_ok (f->store, 3, "old-", 10);
  backup_ok (f);
  backup_ok (f);
  lb_test_store_many_ok (f->store, 2, "new-", 10);
  backup_ok (f);
  g_autoptr (GPtrArray) names = lb_test_list_backups (f->dir);
  g_assert_cmpuint (names->len, ==, 3);
  /* The two newest are damaged; the oldest is whole. */
  for (guint i = 1; i < 3; i++)
    {
      g_autofree char *path = g_build_filename (f->dir, names->pdata[i], NULL);

      lb_test_damage_backup (path);
    }
  const char *newest = names->pdata[2];
  lb_dbus_store_call_delete_license_sync (f->store, "old-000000", NULL, &error);
  g_assert_no_error (error);
  g_autofree char *before = hash_folder (f);
  g_assert_cmpuint (run_op (f, "restore", options (f->dir, NULL), &error_text, &summary), ==,
                    LB_STATUS_ERROR);
  g_assert_cmpstr (summary_string (summary, "error-name"), ==,
                   lb_test_error_dbus_name (LB_ERROR_BACKUP_CORRUPT));
  g_assert_cmpstr (summary_string (summary, "whole-generation"), ==, names->pdata[0]);
  g_assert_true (g_variant_lookup (summary, "whole-generation-created", "x", &created));
  g_assert_cmpint (created, >, 0);
  g_autofree char *hint = g_strdup_printf ("The newest whole backup there is %s, made on ",
                                           (const char *) names->pdata[0]);
  g_test_message ("%s", error_text);
  g_assert_nonnull (strstr (error_text, newest));
  g_assert_nonnull (strstr (error_text, hint));
  g_assert_nonnull (strstr (error_text, "choose it in Settings, or restore it by its name"));
  g_assert_nonnull (strstr (error_text, "nothing was restored"));
  /* Nothing restored (a restore's rolled-back transaction may touch the
   * store's files, not its licenses), and the folder as it was. */
  g_assert_false (has_license (f, "old-000000"));
  g_assert_cmpuint (lb_test_bus_get_license_count (f->bus), ==, 4);
  g_autofree char *after = hash_folder (f);
  g_assert_cmpstr (before, ==, after);
  /* Again: the damaged newest is still what a restore reads (it was whole
   * when written), so the older one is never restored unasked. */
  g_clear_pointer (&error_text, g_free);
  g_clear_pointer (&summary, g_variant_unref);
  g_assert_cmpuint (run_op (f, "restore", options (f->dir, NULL), &error_text, &summary), ==,
                    LB_STATUS_ERROR);
  g_assert_cmpstr (summary_string (summary, "whole-generation"), ==, names->pdata[0]);
  g_assert_false (has_license (f, "old-000000"));
  /* The user chooses it. */
  g_clear_pointer (&error_text, g_free);
  g_clear_pointer (&summary, g_variant_unref);
  g_assert_cmpuint (run_op (f, "restore", options (f->dir, names->pdata[0]), &error_text, &summary),
                    ==, LB_STATUS_END);
  g_assert_true (has_license (f, "old-000000"));
}

typedef LB_TEST_CASE (Fixture) TestCase;

static const TestCase cases[] = {
  { "check/whole", test_whole },
  { "check/damaged", test_damaged },
  { "check/cancel", test_cancel },
  { "check/refusals", test_refusals },
  { "check/generation", test_generation },
  { "read-back/damaged", test_read_back },
  { "restore-damaged/names-the-whole-one", test_restore_damaged },
};

int
main (int argc, char **argv)
{
  lb_test_init (&argc, &argv);
  g_test_add_func ("/verify/check/records", test_records);
  lb_test_add_cases ("/verify/", "tests/daemon/meson.build's grouped_tests", cases, Fixture, setup,
                     teardown);
  return g_test_run ();
}
