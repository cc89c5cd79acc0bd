/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of the backup file and the backup/restore workers, without
 * D-Bus: real stores in temporary folders, real licenses.lbk files, and
 * backups corrupted and crafted on purpose. */
#include "config.h"

#include <archive.h>
#include <archive_entry.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#include "backup.h"
#include "lb-archive.h"
#include "error-convert.h"
#include "generations.h"
#include "machine-id.h"
#include "restore.h"
#include "store.h"
#include "verify.h"

#include "lb-test-util.h"

/* The path of the newest backup in @dir (a backup names its file after
 * its time: generations.h). */
static char *
newest_backup (GFile *dir)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) all = lb_generations_list (dir, LB_GENERATIONS_NONE, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (all);
  g_assert_cmpuint (all->len, >, 0);
  return g_build_filename (g_file_peek_path (dir), ((LbGeneration *) all->pdata[0])->name, NULL);
}

#define MACHINE_A "0123456789abcdef0123456789abcdef"
#define MACHINE_B "fedcba9876543210fedcba9876543210"
#define N_LICENSES 300

typedef struct
{
  char *tmp;
  LbStore *store; /* machine A, filled */
  GFile *backup_dir;
  GBytes *backup; /* the bytes of a backup of @store */
} Fixture;

static char *
key_for (guint i)
{
  return g_strdup_printf ("urn:key/%05u", i);
}

/* N_LICENSES licenses: every 10th without the Backup right, every 25th
 * expired, number 7 with a restore limit of 1. */
static void
fill_store (LbStore *store)
{
  g_autoptr (GPtrArray) batch = g_ptr_array_new_with_free_func ((GDestroyNotify) lb_record_free);
  g_autoptr (GRand) rand = g_rand_new_with_seed (42);
  g_autoptr (GError) error = NULL;

  for (guint i = 0; i < N_LICENSES; i++)
    {
      g_autofree char *key = key_for (i);
      gsize len = 1 + g_rand_int_range (rand, 0, 3000);
      guint8 *blob = g_malloc (len);
      LbRecord *l;

      for (gsize j = 0; j < len; j++)
        blob[j] = (guint8) g_rand_int (rand);
      l = lb_record_new (key, NULL);
      l->blob = g_bytes_new_take (blob, len);
      l->attrs.issuer = g_strdup ("Example Media");
      l->attrs.content_id = g_strdup_printf ("content-%u", i);
      l->attrs.can_backup = i % 10 != 0;
      if (i % 25 == 1)
        l->attrs.expires = 1000; /* long ago */
      if (i == 7)
        {
          l->attrs.restore_limit = 1;
          l->attrs.support_url = g_strdup ("https://issuer.example/restore");
        }
      g_ptr_array_add (batch, l);
    }
  g_assert_true (lb_store_put (store, "", (LbRecord *const *) batch->pdata, batch->len, &error));
  g_assert_no_error (error);
}

static guint
expected_in_backup (void)
{
  guint n = 0;
  for (guint i = 0; i < N_LICENSES; i++)
    n += (i % 10 != 0 && i % 25 != 1) ? 1 : 0;
  return n;
}

static LbStore *
new_store (Fixture *f, const char *name, const char *machine)
{
  g_autofree char *dir = g_build_filename (f->tmp, name, NULL);
  g_autoptr (GError) error = NULL;
  LbStore *store = lb_store_open (dir, machine, &error);

  g_assert_no_error (error);
  return store;
}

/* Key id → reason, for restricted_count(). */
static GHashTable *
restricted_new (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

static void
restricted_count (
    LbOperation *op, const char *app, const char *key_id, const char *reason, gpointer user_data)
{
  GHashTable *seen = user_data;
  g_hash_table_insert (seen, g_strdup (key_id), g_strdup (reason));
}

/* Runs the backup or restore worker directly, counting the licenses it
 * leaves out into @restricted (optional); @result is an LbBackupResult
 * or an LbRestoreResult, by @kind. */
static gboolean
run_op (LbStore *store,
        LbOperationKind kind,
        guint32 flags,
        GFile *dir,
        GCancellable *cancellable,
        GHashTable *restricted,
        gpointer result,
        GError **error)
{
  g_autoptr (LbOperation) op = lb_operation_new (1, kind, flags, dir, cancellable);
  gboolean ok;

  if (restricted != NULL)
    g_signal_connect (op, "restricted", G_CALLBACK (restricted_count), restricted);
  if (kind == LB_OPERATION_BACKUP)
    {
      ok = lb_backup_run (store, op, error);
      lb_operation_steal_backup_result (op, result);
    }
  else
    {
      ok = lb_restore_run (store, op, error);
      lb_operation_steal_restore_result (op, result);
    }
  return ok;
}

static gboolean
run_backup (LbStore *store,
            GFile *dir,
            gboolean overwrite,
            GCancellable *cancellable,
            GHashTable *restricted,
            LbBackupResult *result,
            GError **error)
{
  return run_op (store, LB_OPERATION_BACKUP, overwrite ? LB_BACKUP_FLAGS_OVERWRITE : 0, dir,
                 cancellable, restricted, result, error);
}

static gboolean
run_restore (LbStore *store,
             GFile *dir,
             gboolean individualize,
             GHashTable *restricted,
             LbRestoreResult *result,
             GError **error)
{
  return run_op (store, LB_OPERATION_RESTORE, individualize ? LB_RESTORE_FLAGS_INDIVIDUALIZE : 0,
                 dir, NULL, restricted, result, error);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  LbBackupResult result;
  char *contents;
  gsize len;

  f->tmp = g_dir_make_tmp ("lb-backup-file-XXXXXX", &error);
  g_assert_no_error (error);
  f->store = new_store (f, "store-a", MACHINE_A);
  fill_store (f->store);
  dir = g_build_filename (f->tmp, "backup", NULL);
  g_assert_cmpint (g_mkdir (dir, 0700), ==, 0);
  f->backup_dir = g_file_new_for_path (dir);
  g_assert_true (run_backup (f->store, f->backup_dir, FALSE, NULL, NULL, &result, &error));
  g_assert_no_error (error);
  lb_backup_result_clear (&result);
  path = newest_backup (f->backup_dir);
  g_assert_true (g_file_get_contents (path, &contents, &len, &error));
  f->backup = g_bytes_new_take (contents, len);
}

static void
rm_rf (const char *path)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GFileEnumerator) e = NULL;
  GFileInfo *info;
  GFile *child;

  e = g_file_enumerate_children (file, G_FILE_ATTRIBUTE_STANDARD_NAME,
                                 G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);
  if (e != NULL)
    while (g_file_enumerator_iterate (e, &info, &child, NULL, NULL) && info != NULL)
      {
        g_autofree char *p = g_file_get_path (child);
        rm_rf (p);
      }
  g_remove (path);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->store);
  g_clear_object (&f->backup_dir);
  g_clear_pointer (&f->backup, g_bytes_unref);
  rm_rf (f->tmp);
  g_free (f->tmp);
}

/* Writes @bytes as licenses.lbk into a new folder under the fixture. */
static GFile *
dir_with_backup (Fixture *f, GBytes *bytes)
{
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autoptr (GError) error = NULL;

  dir = g_build_filename (f->tmp, "crafted-XXXXXX", NULL);
  g_assert_nonnull (g_mkdtemp (dir));
  path = g_build_filename (dir, LB_BACKUP_FILE_NAME, NULL);
  g_assert_true (g_file_set_contents (path, g_bytes_get_data (bytes, NULL),
                                      (gssize) g_bytes_get_size (bytes), &error));
  return g_file_new_for_path (dir);
}

static void
assert_same_license (LbStore *a, LbStore *b, const char *key_id)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LbRecord) la = lb_store_get (a, "", key_id, &error);
  g_autoptr (LbRecord) lb = lb_store_get (b, "", key_id, &error);

  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (la->blob, lb->blob));
  g_assert_cmpstr (la->attrs.issuer, ==, lb->attrs.issuer);
  g_assert_cmpstr (la->attrs.content_id, ==, lb->attrs.content_id);
  g_assert_cmpstr (la->attrs.machine, ==, lb->attrs.machine);
  g_assert_cmpint (la->attrs.stored, ==, lb->attrs.stored);
  g_assert_cmpuint (la->attrs.restore_count, ==, lb->attrs.restore_count);
  g_assert_cmpuint (la->attrs.restore_limit, ==, lb->attrs.restore_limit);
}

static void
test_roundtrip_same_machine (Fixture *f, gconstpointer data)
{
  g_autoptr (LbStore) empty = new_store (f, "store-a2", MACHINE_A);
  g_autoptr (GHashTable) restricted = restricted_new ();
  g_autoptr (GError) error = NULL;
  LbRestoreResult result;
  guint64 count = 0;

  g_assert_true (lb_archive_verify_bytes (f->backup, &count, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count, ==, expected_in_backup ());

  g_assert_true (run_restore (empty, f->backup_dir, FALSE, restricted, &result, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (result.licenses, ==, expected_in_backup ());
  g_assert_cmpuint (result.individualized, ==, 0);
  g_assert_cmpuint (result.already_present, ==, 0);
  g_assert_cmpuint (lb_store_count (empty), ==, expected_in_backup ());
  for (guint i = 0; i < N_LICENSES; i++)
    {
      g_autofree char *key = key_for (i);
      if (i % 10 != 0 && i % 25 != 1)
        assert_same_license (f->store, empty, key);
      else
        {
          g_autoptr (GError) e = NULL;
          g_autoptr (LbRecord) l = lb_store_get (empty, "", key, &e);
          g_assert_error (e, LB_ERROR, LB_ERROR_NOT_FOUND);
        }
    }
  lb_restore_result_clear (&result);

  /* Again: everything is already there. */
  g_assert_true (run_restore (empty, f->backup_dir, FALSE, NULL, &result, &error));
  g_assert_cmpuint (result.licenses, ==, 0);
  g_assert_cmpuint (result.already_present, ==, expected_in_backup ());
  lb_restore_result_clear (&result);
}

static void
test_backup_reports_restricted (Fixture *f, gconstpointer data)
{
  g_autoptr (GHashTable) restricted = restricted_new ();
  g_autoptr (GError) error = NULL;
  LbBackupResult result;

  g_assert_true (run_backup (f->store, f->backup_dir, TRUE, NULL, restricted, &result, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (result.licenses, ==, expected_in_backup ());
  g_assert_cmpuint (result.skipped, ==, N_LICENSES - expected_in_backup ());
  g_assert_cmpuint (g_hash_table_size (restricted), ==, N_LICENSES - expected_in_backup ());
  g_assert_cmpstr (g_hash_table_lookup (restricted, "urn:key/00010"), ==, "no-backup-right");
  g_assert_cmpstr (g_hash_table_lookup (restricted, "urn:key/00026"), ==, "expired");
  {
    g_autofree char *name = g_path_get_basename (result.location);

    g_assert_true (lb_generation_parse_name (name, NULL));
  }
  lb_backup_result_clear (&result);
}

static void
test_backup_exists (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  LbBackupResult result;

  g_assert_false (run_backup (f->store, f->backup_dir, FALSE, NULL, NULL, &result, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_BACKUP_EXISTS);
  lb_backup_result_clear (&result);
}

static void
test_other_machine (Fixture *f, gconstpointer data)
{
  g_autoptr (LbStore) b = new_store (f, "store-b", MACHINE_B);
  g_autoptr (GHashTable) restricted = restricted_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (LbRecord) l = NULL;
  LbRestoreResult result;

  g_assert_false (run_restore (b, f->backup_dir, FALSE, NULL, &result, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_NEEDS_INDIVIDUALIZATION);
  g_assert_cmpuint (lb_store_count (b), ==, 0);
  lb_restore_result_clear (&result);
  g_clear_error (&error);

  g_assert_true (run_restore (b, f->backup_dir, TRUE, restricted, &result, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (result.licenses, ==, expected_in_backup ());
  g_assert_cmpuint (result.individualized, ==, expected_in_backup ());
  g_assert_false (result.limit_reached);
  lb_restore_result_clear (&result);
  l = lb_store_get (b, "", "urn:key/00007", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (l->attrs.restore_count, ==, 1);
  g_assert_cmpstr (l->attrs.machine, ==, MACHINE_B);
}

/* A backup of machine B's restored licenses, restored on a third machine:
 * licence 7 (restore-limit 1, restored once) is refused with its URL. */
static void
test_restore_limit (Fixture *f, gconstpointer data)
{
  g_autoptr (LbStore) b = new_store (f, "store-b", MACHINE_B);
  g_autoptr (LbStore) c = new_store (f, "store-c", "00000000000000000000000000000001");
  g_autoptr (GHashTable) restricted = restricted_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *dir_b = g_build_filename (f->tmp, "backup-b", NULL);
  g_autoptr (GFile) backup_b = g_file_new_for_path (dir_b);
  LbRestoreResult result;
  LbBackupResult bresult;

  g_assert_true (run_restore (b, f->backup_dir, TRUE, NULL, &result, &error));
  lb_restore_result_clear (&result);
  g_assert_cmpint (g_mkdir (dir_b, 0700), ==, 0);
  g_assert_true (run_backup (b, backup_b, FALSE, NULL, NULL, &bresult, &error));
  lb_backup_result_clear (&bresult);

  g_assert_true (run_restore (c, backup_b, TRUE, restricted, &result, &error));
  g_assert_no_error (error);
  g_assert_true (result.limit_reached);
  g_assert_cmpstr (result.support_url, ==, "https://issuer.example/restore");
  g_assert_cmpuint (result.licenses, ==, expected_in_backup () - 1);
  g_assert_cmpstr (g_hash_table_lookup (restricted, "urn:key/00007"), ==, "restore-limit");
  g_assert_cmpuint (lb_store_count (c), ==, expected_in_backup () - 1);
  lb_restore_result_clear (&result);
}

/* Restores @bytes into a new empty store of machine A: either exactly the
 * original licenses, or BackupCorrupt and an empty store. */
static gboolean
restore_is_exact_or_refused (Fixture *f, GBytes *bytes, guint case_no)
{
  g_autofree char *name = g_strdup_printf ("s%u", case_no);
  g_autoptr (LbStore) s = new_store (f, name, MACHINE_A);
  g_autoptr (GFile) dir = dir_with_backup (f, bytes);
  g_autoptr (GError) error = NULL;
  LbRestoreResult result;
  gboolean ok = run_restore (s, dir, FALSE, NULL, &result, &error);

  lb_restore_result_clear (&result);
  if (!ok)
    {
      g_assert_error (error, LB_ERROR, LB_ERROR_BACKUP_CORRUPT);
      g_assert_cmpuint (lb_store_count (s), ==, 0);
      return FALSE;
    }
  g_assert_cmpuint (lb_store_count (s), ==, expected_in_backup ());
  for (guint i = 0; i < N_LICENSES; i++)
    if (i % 10 != 0 && i % 25 != 1)
      {
        g_autofree char *key = key_for (i);
        assert_same_license (f->store, s, key);
      }
  return TRUE;
}

static void
test_byte_flips (Fixture *f, gconstpointer data)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);
  gsize len = g_bytes_get_size (f->backup);
  guint refused = 0;

  for (guint i = 0; i < 40; i++)
    {
      guint8 *copy = g_memdup2 (g_bytes_get_data (f->backup, NULL), len);
      g_autoptr (GBytes) bytes = NULL;
      gsize off = (gsize) g_rand_int_range (rand, 0, (gint32) len);

      copy[off] ^= (guint8) (1 + g_rand_int_range (rand, 0, 255));
      bytes = g_bytes_new_take (copy, len);
      refused += restore_is_exact_or_refused (f, bytes, i) ? 0 : 1;
    }
  /* Most of the file is trusted data; padding is the rest. */
  g_assert_cmpuint (refused, >, 10);
}

static void
test_truncations (Fixture *f, gconstpointer data)
{
  gsize len = g_bytes_get_size (f->backup);

  for (guint i = 1; i <= 20; i++)
    {
      g_autoptr (GBytes) bytes = g_bytes_new_from_bytes (f->backup, 0, len * i / 21);
      g_assert_false (restore_is_exact_or_refused (f, bytes, 1000 + i));
    }
}

static void
test_garbage_tail (Fixture *f, gconstpointer data)
{
  gsize len = g_bytes_get_size (f->backup);
  guint8 *copy = g_malloc (len + 4096);
  g_autoptr (GBytes) bytes = NULL;

  memcpy (copy, g_bytes_get_data (f->backup, NULL), len);
  for (gsize i = 0; i < 4096; i++)
    copy[len + i] = (guint8) (i * 31 + 7);
  bytes = g_bytes_new_take (copy, len + 4096);
  /* Whatever follows the end-of-archive marker is never read as entries:
   * the restore is either exact or refused, never partial. */
  restore_is_exact_or_refused (f, bytes, 2000);
}

/* Crafted archives */

typedef struct
{
  const char *name;
  const char *target; /* symlink or hard link target */
  mode_t type;
  GBytes *data;
  gint64 declared_size; /* -1: the data's size */
} CraftEntry;

static la_ssize_t
craft_write (struct archive *a, void *user_data, const void *buf, size_t len)
{
  g_byte_array_append (user_data, buf, (guint) len);
  return (la_ssize_t) len;
}

static GBytes *
craft (const char *manifest_text, const CraftEntry *entries, guint n, gboolean gzip)
{
  GByteArray *out = g_byte_array_new ();
  struct archive *a = archive_write_new ();
  struct archive_entry *e = archive_entry_new ();

  gboolean truncated = FALSE;

  archive_write_set_format_pax_restricted (a);
  if (gzip)
    archive_write_add_filter_gzip (a);
  /* Unblocked, so that an entry declaring more than it holds can be cut
   * right after its data. */
  archive_write_set_bytes_per_block (a, 0);
  archive_write_open2 (a, out, NULL, craft_write, NULL, NULL);

  archive_entry_set_pathname (e, LB_MANIFEST_NAME);
  archive_entry_set_filetype (e, AE_IFREG);
  archive_entry_set_perm (e, 0600);
  archive_entry_set_size (e, (la_int64_t) strlen (manifest_text));
  archive_write_header (a, e);
  archive_write_data (a, manifest_text, strlen (manifest_text));

  for (guint i = 0; i < n; i++)
    {
      gsize len = entries[i].data != NULL ? g_bytes_get_size (entries[i].data) : 0;
      archive_entry_clear (e);
      archive_entry_set_pathname (e, entries[i].name);
      archive_entry_set_filetype (e, entries[i].type);
      archive_entry_set_perm (e, 0600);
      if (entries[i].type == AE_IFLNK)
        archive_entry_set_symlink (e, entries[i].target);
      else if (entries[i].target != NULL)
        archive_entry_set_hardlink (e, entries[i].target);
      if (entries[i].type == AE_IFCHR)
        archive_entry_set_rdev (e, 0x0103);
      archive_entry_set_size (e, entries[i].declared_size >= 0 ? entries[i].declared_size
                                                               : (la_int64_t) len);
      archive_write_header (a, e);
      if (len > 0)
        archive_write_data (a, g_bytes_get_data (entries[i].data, NULL), len);
      if (entries[i].declared_size > (gint64) len)
        {
          truncated = TRUE;
          break;
        }
    }
  if (truncated)
    archive_write_fail (a); /* no padding up to the declared size */
  else
    archive_write_close (a);
  archive_write_free (a);
  archive_entry_free (e);
  return g_byte_array_free_to_bytes (out);
}

static GBytes *
encoded (const char *key_id)
{
  g_autoptr (LbRecord) l = lb_record_new (key_id, NULL);
  l->blob = g_bytes_new_static ("blob", 4);
  return lb_record_encode (l);
}

static GBytes *
encoded_app (const char *app, const char *key_id)
{
  g_autoptr (LbRecord) l = lb_record_new (key_id, NULL);
  l->blob = g_bytes_new_static ("blob", 4);
  l->attrs.app = g_strdup (app);
  return lb_record_encode (l);
}

/* With @host_line (e.g. "host Anna's Laptop") after the machine line. */
static char *
manifest_with_host (
    guint version, const char *machine, const char *host_line, GBytes *const *datas, guint n)
{
  GString *s = g_string_new (NULL);

  g_string_append_printf (s, "license-backup manifest\nformat-version %u\ncreated 1\nmachine %s\n",
                          version, machine);
  if (host_line != NULL)
    g_string_append_printf (s, "%s\n", host_line);
  g_string_append_printf (s, "count %u\n\n", n);
  for (guint i = 0; i < n; i++)
    {
      guint8 d[LB_DIGEST_LEN];
      lb_digest (datas[i], d);
      for (guint j = 0; j < LB_DIGEST_LEN; j++)
        g_string_append_printf (s, "%02x", d[j]);
      g_string_append_c (s, '\n');
    }
  return g_string_free (s, FALSE);
}

static char *
manifest_for (guint version, const char *machine, GBytes *const *datas, guint n)
{
  return manifest_with_host (version, machine, version >= 3 ? "host Computer" : NULL, datas, n);
}

static void
assert_refused (Fixture *f, GBytes *bytes, const char *what)
{
  g_autoptr (LbStore) s = new_store (f, "crafted-store", MACHINE_A);
  g_autoptr (GFile) dir = dir_with_backup (f, bytes);
  g_autoptr (GError) error = NULL;
  guint64 count;
  LbRestoreResult result;
  guint before = lb_store_count (s);

  g_test_message ("crafted: %s", what);
  g_assert_false (lb_archive_verify_bytes (bytes, &count, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_BACKUP_CORRUPT);
  g_clear_error (&error);
  g_assert_false (run_restore (s, dir, FALSE, NULL, &result, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_BACKUP_CORRUPT);
  g_assert_cmpuint (lb_store_count (s), ==, before);
  lb_restore_result_clear (&result);
}

static void
test_crafted (Fixture *f, gconstpointer data)
{
  g_autoptr (GBytes) a = encoded ("a");
  g_autoptr (GBytes) b = encoded ("b");
  GBytes *ab[] = { a, b };
  GBytes *aa[] = { a, a };
  g_autofree char *m_a = manifest_for (1, MACHINE_A, ab, 1);
  g_autofree char *m_ab = manifest_for (1, MACHINE_A, ab, 2);
  g_autofree char *m_aa = manifest_for (1, MACHINE_A, aa, 2);
  g_autofree char *m_future = manifest_for (LB_FORMAT_VERSION + 1, MACHINE_A, ab, 1);
  /* Version 3's host line: required there, canonical, refused before. */
  g_autofree char *m3_no_host = manifest_with_host (3, MACHINE_A, NULL, ab, 1);
  g_autofree char *m2_host = manifest_with_host (2, MACHINE_A, "host Computer", ab, 1);
  g_autofree char *m3_lower = manifest_with_host (3, MACHINE_A, "host Anna%e2%80%99s", ab, 1);
  g_autofree char *m3_needless = manifest_with_host (3, MACHINE_A, "host %41nna", ab, 1);
  g_autofree char *m3_bad_utf8 = manifest_with_host (3, MACHINE_A, "host %FF%FE", ab, 1);
  g_autofree char *m3_control = manifest_with_host (3, MACHINE_A, "host a%0Ab", ab, 1);
  g_autofree char *m3_short = manifest_with_host (3, MACHINE_A, "host %4", ab, 1);
  g_autoptr (GBytes) xa = encoded_app ("org.example.X", "a");
  g_autoptr (GBytes) ya = encoded_app ("org.example.Y", "a");
  GBytes *x_only[] = { xa };
  GBytes *y_x[] = { ya, xa };
  GBytes *x_a[] = { xa, a };
  g_autofree char *m1_x = manifest_for (1, MACHINE_A, x_only, 1);
  g_autofree char *m2_x = manifest_for (2, MACHINE_A, x_only, 1);
  g_autofree char *m2_yx = manifest_for (2, MACHINE_A, y_x, 2);
  g_autofree char *m2_xa = manifest_for (2, MACHINE_A, x_a, 2);
  g_autoptr (GBytes) good = NULL;
  guint64 count;
  g_autoptr (GError) error = NULL;
  /* The plain entries of the licenses "a" and "b". */
  const CraftEntry license_a = { "licenses/a", NULL, AE_IFREG, a, -1 };
  const CraftEntry license_b = { "licenses/b", NULL, AE_IFREG, b, -1 };
  struct
  {
    const char *what;
    const char *manifest;
    CraftEntry entries[2]; /* the second one unused when unnamed */
    gboolean gzip;
  } cases[] = {
    { "dot-dot name", m_a, { { "licenses/../a", NULL, AE_IFREG, a, -1 } }, FALSE },
    { "absolute name", m_a, { { "/licenses/a", NULL, AE_IFREG, a, -1 } }, FALSE },
    { "name not matching key", m_a, { { "licenses/z", NULL, AE_IFREG, a, -1 } }, FALSE },
    { "symlink", m_a, { { "licenses/a", "/etc/passwd", AE_IFLNK, NULL, 0 } }, FALSE },
    { "hardlink", m_a, { { "licenses/a", "manifest.txt", AE_IFREG, NULL, 0 } }, FALSE },
    { "device", m_a, { { "licenses/a", NULL, AE_IFCHR, NULL, 0 } }, FALSE },
    { "directory", m_a, { { "licenses/a", NULL, AE_IFDIR, NULL, 0 } }, FALSE },
    { "duplicate", m_aa, { license_a, license_a }, FALSE },
    { "out of order", m_ab, { license_b, license_a }, FALSE },
    { "manifest misses one", m_a, { license_a, license_b }, FALSE },
    { "entry missing", m_ab, { license_a }, FALSE },
    { "declares 10 GiB",
      m_a,
      { { "licenses/a", NULL, AE_IFREG, a, (gint64) 10 * 1024 * 1024 * 1024 } },
      FALSE },
    { "future version", m_future, { license_a }, FALSE },
    { "gzip-compressed", m_a, { license_a }, TRUE },
    { "format 3 without a host", m3_no_host, { license_a }, FALSE },
    { "a host in format 2", m2_host, { license_a }, FALSE },
    { "host in lower-case hex", m3_lower, { license_a }, FALSE },
    { "host escapes a letter", m3_needless, { license_a }, FALSE },
    { "host not UTF-8", m3_bad_utf8, { license_a }, FALSE },
    { "host with a newline", m3_control, { license_a }, FALSE },
    { "host cut in an escape", m3_short, { license_a }, FALSE },
    /* Apps (format 2) */
    { "an app in format 1",
      m1_x,
      { { "licenses/org.example.X/a", NULL, AE_IFREG, xa, -1 } },
      FALSE },
    { "app entry named as the host's", m2_x, { { "licenses/a", NULL, AE_IFREG, xa, -1 } }, FALSE },
    { "app entry under another app",
      m2_x,
      { { "licenses/org.example.Y/a", NULL, AE_IFREG, xa, -1 } },
      FALSE },
    { "apps out of order",
      m2_yx,
      { { "licenses/org.example.Y/a", NULL, AE_IFREG, ya, -1 },
        { "licenses/org.example.X/a", NULL, AE_IFREG, xa, -1 } },
      FALSE },
    { "host after an app",
      m2_xa,
      { { "licenses/org.example.X/a", NULL, AE_IFREG, xa, -1 }, license_a },
      FALSE },
  };

  /* The crafting itself makes valid backups. */
  good = craft (m_ab, (CraftEntry[]){ license_a, license_b }, 2, FALSE);
  g_assert_true (lb_archive_verify_bytes (good, &count, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count, ==, 2);
  g_clear_pointer (&good, g_bytes_unref);
  /* The same key id in two apps, host first: valid in format 2. */
  {
    GBytes *a_x_y[] = { a, xa, ya };
    g_autofree char *m2_axy = manifest_for (2, MACHINE_A, a_x_y, 3);

    good = craft (m2_axy,
                  (CraftEntry[]){ license_a,
                                  { "licenses/org.example.X/a", NULL, AE_IFREG, xa, -1 },
                                  { "licenses/org.example.Y/a", NULL, AE_IFREG, ya, -1 } },
                  3, FALSE);
    g_assert_true (lb_archive_verify_bytes (good, &count, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (count, ==, 3);
  }

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GBytes) bytes = craft (cases[i].manifest, cases[i].entries,
                                        cases[i].entries[1].name != NULL ? 2 : 1, cases[i].gzip);
      assert_refused (f, bytes, cases[i].what);
    }
}

/* Licenses of three apps, the same key id in each, go back to their apps,
 * on this machine and on another. */
static void
test_apps_roundtrip (Fixture *f, gconstpointer data)
{
  const char *apps[] = { "", "org.example.PlayerA", "snap.player" };
  g_autoptr (LbStore) src = new_store (f, "apps-src", MACHINE_A);
  g_autoptr (LbStore) same = new_store (f, "apps-same", MACHINE_A);
  g_autoptr (LbStore) other = new_store (f, "apps-other", MACHINE_B);
  g_autoptr (GFile) dir = g_file_new_build_filename (f->tmp, "apps-backup", NULL);
  g_autoptr (GError) error = NULL;
  LbBackupResult backup;
  LbRestoreResult restore;

  g_assert_true (g_file_make_directory (dir, NULL, &error));
  for (guint i = 0; i < G_N_ELEMENTS (apps); i++)
    {
      g_autoptr (LbRecord) l = lb_record_new ("shared-key", NULL);
      g_autoptr (LbRecord) own = lb_record_new (apps[i][0] ? apps[i] : "host-only", NULL);

      l->blob = g_bytes_new (apps[i], strlen (apps[i]) + 1);
      own->blob = g_bytes_new_static ("x", 1);
      g_assert_true (lb_store_put (src, apps[i], &l, 1, &error));
      g_assert_true (lb_store_put (src, apps[i], &own, 1, &error));
      g_assert_no_error (error);
    }
  g_assert_true (run_backup (src, dir, FALSE, NULL, NULL, &backup, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (backup.licenses, ==, 6);
  g_assert_nonnull (backup.apps);
  g_assert_cmpuint (g_hash_table_size (backup.apps), ==, 3);
  g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (backup.apps, "org.example.PlayerA")), ==,
                    2);
  lb_backup_result_clear (&backup);

  for (guint s = 0; s < 2; s++)
    {
      LbStore *to = s == 0 ? same : other;

      g_assert_true (run_restore (to, dir, TRUE, NULL, &restore, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (restore.licenses, ==, 6);
      g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (restore.apps, "")), ==, 2);
      g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (restore.apps, "snap.player")), ==,
                        2);
      lb_restore_result_clear (&restore);
      for (guint i = 0; i < G_N_ELEMENTS (apps); i++)
        {
          g_autoptr (LbRecord) l = lb_store_get (to, apps[i], "shared-key", &error);

          g_assert_no_error (error);
          g_assert_cmpstr (g_bytes_get_data (l->blob, NULL), ==, apps[i]);
          g_assert_cmpstr (l->attrs.app, ==, apps[i][0] ? apps[i] : NULL);
        }
    }
  /* Restoring again finds them all present, each in its app. */
  g_assert_true (run_restore (same, dir, FALSE, NULL, &restore, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (restore.licenses, ==, 0);
  g_assert_cmpuint (restore.already_present, ==, 6);
  lb_restore_result_clear (&restore);
}

/* A backup written by 0.1.0 (format 1; tests/data/v1) restores into the
 * host namespace. */
static void
test_restore_v1 (Fixture *f, gconstpointer data)
{
  g_autofree char *old = g_test_build_filename (G_TEST_DIST, "data", "v1", "licenses.lbk", NULL);
  g_autofree char *contents = NULL;
  g_autoptr (GFile) dir = g_file_new_build_filename (f->tmp, "v1-backup", NULL);
  g_autoptr (GFile) file = g_file_get_child (dir, LB_BACKUP_FILE_NAME);
  g_autoptr (GError) error = NULL;
  LbRestoreResult result;
  gsize len;

  g_assert_true (g_file_get_contents (old, &contents, &len, &error));
  g_assert_true (g_file_make_directory (dir, NULL, &error));
  g_assert_true (g_file_replace_contents (file, contents, len, NULL, FALSE, 0, NULL, NULL, &error));
  g_assert_no_error (error);
  /* Another machine's: restored with consent, individualized. */
  g_autoptr (LbStore) s = new_store (f, "v1-store", MACHINE_B);
  g_assert_true (run_restore (s, dir, TRUE, NULL, &result, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (result.licenses, ==, 2);
  lb_restore_result_clear (&result);
  g_autoptr (GPtrArray) apps = lb_store_list_apps (s, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (apps->len, ==, 1);
  g_assert_cmpstr (((LbStoreApp *) apps->pdata[0])->app, ==, "");
  g_autoptr (LbRecord) l = lb_store_get (s, "", "old-key-1", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (l->attrs.issuer, ==, "Old Issuer");
  g_assert_cmpmem (g_bytes_get_data (l->blob, NULL), g_bytes_get_size (l->blob), "\1\2\3", 3);
}

static void
test_entry_name_escaping (void)
{
  g_autofree char *plain = lb_archive_entry_name (NULL, "abc-DEF_1.2");
  g_autofree char *slash = lb_archive_entry_name ("", "../etc/passwd");
  g_autofree char *dot = lb_archive_entry_name (NULL, ".hidden");
  g_autofree char *app = lb_archive_entry_name ("org.example.Player", "a/b");

  g_assert_cmpstr (plain, ==, "licenses/abc-DEF_1.2");
  g_assert_cmpstr (slash, ==, "licenses/%2E.%2Fetc%2Fpasswd");
  g_assert_cmpstr (dot, ==, "licenses/%2Ehidden");
  /* An app's licenses sit in a folder of their own; a key id can never
   * add one, since its '/' is escaped. */
  g_assert_cmpstr (app, ==, "licenses/org.example.Player/a%2Fb");
}

static GInputStream *
open_bytes (gpointer user_data, GError **error)
{
  return g_memory_input_stream_new_from_bytes (user_data);
}

/* The computer's name survives the manifest whatever it holds, written as
 * ASCII with %XX escapes. */
static void
test_manifest_host (void)
{
  const char *host = "Anna\u2019s 100% Laptop";
  LbManifest m = { LB_FORMAT_VERSION, 1234, MACHINE_A, "", 0 };
  LbManifest back = { 0 };
  g_autoptr (GOutputStream) out = g_memory_output_stream_new_resizable ();
  g_autoptr (LbArchiveWriter) w = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) error = NULL;
  guint64 size;

  g_strlcpy (m.host, host, sizeof m.host);
  w = lb_archive_writer_new (out, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (lb_archive_writer_begin_manifest (w, &m, &error));
  g_assert_true (lb_archive_writer_close (w, &size, &error));
  g_assert_no_error (error);
  g_output_stream_close (out, NULL, NULL);
  bytes = g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (out));
  {
    const char *line = "\nhost Anna%E2%80%99s 100%25 Laptop\ncount 0\n";

    /* Past the tar header, which holds NUL bytes. */
    g_assert_nonnull (
        memmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), line, strlen (line)));
  }
  g_assert_true (lb_archive_read_manifest (open_bytes, bytes, &back, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (back.version, ==, 3);
  g_assert_cmpint (back.created, ==, 1234);
  g_assert_cmpstr (back.machine, ==, MACHINE_A);
  g_assert_cmpstr (back.host, ==, host);
}

static LbGeneration *
generation (const char *name)
{
  LbGeneration *g = g_new0 (LbGeneration, 1);

  g->name = g_strdup (name);
  return g;
}

/* The one rule: a new backup's name is its time, or one second after the
 * newest name present when that is later; licenses.lbk is the oldest. */
static void
test_generation_rule (void)
{
  g_autoptr (GPtrArray) all = g_ptr_array_new_with_free_func ((GDestroyNotify) lb_generation_free);
  gint64 now = 1795360072; /* 2026-11-22T15:07:52Z */
  g_autofree char *empty = lb_generations_next_name (all, now);
  g_autofree char *after_legacy = NULL;
  g_autofree char *after_future = NULL;
  g_autofree char *after_past = NULL;
  g_autofree char *last = NULL;

  g_assert_cmpstr (empty, ==, "licenses-20261122T150752Z.lbk");
  g_ptr_array_add (all, generation (LB_BACKUP_FILE_NAME));
  after_legacy = lb_generations_next_name (all, now);
  g_assert_cmpstr (after_legacy, ==, "licenses-20261122T150752Z.lbk");
  /* Newest first, as listed: a clock that was a day ahead. */
  g_ptr_array_insert (all, 0, generation ("licenses-20261123T150000Z.lbk"));
  g_ptr_array_insert (all, 0, generation ("licenses-20261123T150752Z.lbk"));
  after_future = lb_generations_next_name (all, now);
  g_assert_cmpstr (after_future, ==, "licenses-20261123T150753Z.lbk");
  /* The same second as the newest: the next one. */
  g_ptr_array_remove_range (all, 0, 2);
  g_ptr_array_insert (all, 0, generation ("licenses-20261122T150752Z.lbk"));
  after_past = lb_generations_next_name (all, now);
  g_assert_cmpstr (after_past, ==, "licenses-20261122T150753Z.lbk");
  /* Nothing follows the last second of 9999. */
  last = lb_generation_name_after ("licenses-99991231T235959Z.lbk");
  g_assert_null (last);
}

/* The pretty hostname from machine-info(5), else the hostname. */
static void
test_pretty_hostname (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->tmp, "machine-info", NULL);
  g_autofree char *missing = lb_machine_pretty_hostname (path);
  g_autofree char *long_name = g_strnfill (300, 'x');
  struct
  {
    const char *contents;
    const char *name;
  } cases[] = {
    { "PRETTY_HOSTNAME=\"Anna's Laptop\"\nICON_NAME=computer-laptop\n", "Anna's Laptop" },
    { "CHASSIS=laptop\nPRETTY_HOSTNAME=Studio\n", "Studio" },
    { "PRETTY_HOSTNAME='K\u00fcche'\n", "K\u00fcche" },
    { "PRETTY_HOSTNAME=\"a\tb\"\n", "a b" },
    { "PRETTY_HOSTNAME=\"\"\n", NULL },
    { "", NULL },
  };

  g_assert_cmpstr (missing, ==, g_get_host_name ());
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *name = NULL;

      g_file_set_contents (path, cases[i].contents, -1, &error);
      g_assert_no_error (error);
      name = lb_machine_pretty_hostname (path);
      g_assert_cmpstr (name, ==, cases[i].name != NULL ? cases[i].name : g_get_host_name ());
    }
  {
    g_autofree char *contents = g_strdup_printf ("PRETTY_HOSTNAME=%s\n", long_name);
    g_autofree char *name = NULL;

    g_file_set_contents (path, contents, -1, NULL);
    name = lb_machine_pretty_hostname (path);
    g_assert_cmpuint (strlen (name), ==, 255);
  }
}

/* Verifying: lb_verify_file() reads a backup through, writes nothing. */

/* @bytes in a new folder; the result of verifying it. */
static gboolean
verify_bytes (Fixture *f, GBytes *bytes, LbVerifyResult *result, GError **error)
{
  g_autoptr (GFile) dir = dir_with_backup (f, bytes);
  g_autoptr (GFile) file = g_file_get_child (dir, LB_BACKUP_FILE_NAME);
  g_autofree char *path = g_file_get_path (file);
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  gsize len;
  gboolean ok;

  g_file_get_contents (path, &before, &len, NULL);
  ok = lb_verify_file (file, TRUE, NULL, NULL, NULL, NULL, result, error);
  /* It writes nothing: the file is as it was. */
  g_file_get_contents (path, &after, NULL, NULL);
  g_assert_cmpmem (before, len, after, len);
  return ok;
}

static GBytes *
flipped (GBytes *bytes, gsize at)
{
  guint8 *copy = g_memdup2 (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));

  copy[at] ^= 0x20;
  return g_bytes_new_take (copy, g_bytes_get_size (bytes));
}

static void
assert_damaged (Fixture *f, GBytes *bytes, const char *what, const char *entry_prefix)
{
  LbVerifyResult result;
  g_autoptr (GError) error = NULL;

  g_test_message ("verify: %s", what);
  g_assert_false (verify_bytes (f, bytes, &result, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_BACKUP_CORRUPT);
  g_assert_nonnull (result.damaged_entry);
  if (!g_str_has_prefix (result.damaged_entry, entry_prefix))
    g_test_message ("damaged entry: %s", result.damaged_entry);
  g_assert_true (g_str_has_prefix (result.damaged_entry, entry_prefix));
  lb_verify_result_clear (&result);
}

static void
test_verify (Fixture *f, gconstpointer data)
{
  LbVerifyResult result;
  g_autoptr (GError) error = NULL;
  gsize size = g_bytes_get_size (f->backup);
  gsize last_entry = lb_test_find_bytes (f->backup, "LBL1", 0, TRUE);
  gsize second_header = lb_test_find_bytes (f->backup, "licenses/", 0, FALSE);

  /* Whole: every license counted, nothing damaged. */
  g_assert_true (verify_bytes (f, f->backup, &result, &error));
  g_assert_no_error (error);
  g_assert_true (result.has_manifest);
  g_assert_cmpuint (result.licenses, ==, result.manifest.count);
  g_assert_cmpuint (result.licenses, >, 0);
  g_assert_cmpuint (result.bytes, ==, size);
  g_assert_cmpuint (result.manifest.version, ==, LB_FORMAT_VERSION);
  g_assert_null (result.damaged_entry);
  lb_verify_result_clear (&result);

  /* A flipped byte in the last license's blob: that entry. */
  {
    g_autoptr (GBytes) b = flipped (f->backup, last_entry + 60);
    assert_damaged (f, b, "a byte of a blob", "licenses/");
  }
  /* In the manifest's header. */
  {
    g_autoptr (GBytes) b = flipped (
        f->backup, lb_test_find_bytes (f->backup, "license-backup manifest", 0, FALSE) + 3);
    assert_damaged (f, b, "a byte of the manifest", LB_MANIFEST_NAME);
  }
  /* In the manifest's first digest: a digit, and the case of a letter
   * (the digests are lower case; an upper-case one used to pass). */
  {
    gsize digests = lb_test_find_bytes (f->backup, "\n\n",
                                        lb_test_find_bytes (f->backup, "count ", 0, FALSE), FALSE)
                    + 2;
    const char *text = g_bytes_get_data (f->backup, NULL);
    gsize letter = digests, digit = digests;
    g_autoptr (GBytes) b = NULL;
    g_autoptr (GBytes) c = NULL;

    while (!g_ascii_isalpha (text[letter]))
      letter++;
    while (!g_ascii_isdigit (text[digit]))
      digit++;
    g_assert_cmpuint (letter, <, digests + 64);
    b = flipped (f->backup, letter);
    assert_damaged (f, b, "the case of a digest's letter", "licenses/");
    c = flipped (f->backup, digit);
    assert_damaged (f, c, "a digit of a digest", "licenses/");
  }
  /* In the tar header of the first license (its name). */
  {
    g_autoptr (GBytes) b = flipped (f->backup, second_header + 9);
    assert_damaged (f, b, "a tar header", "");
  }
  /* Cut short. */
  {
    g_autoptr (GBytes) b = g_bytes_new_from_bytes (f->backup, 0, size / 2);
    assert_damaged (f, b, "truncated", "");
  }
  /* A license missing, one too many (crafted: manifest and entries agree
   * on the digests but not on the count). */
  {
    g_autoptr (GBytes) a = encoded ("a");
    g_autoptr (GBytes) bb = encoded ("b");
    GBytes *ab[] = { a, bb };
    g_autofree char *m_ab = manifest_for (LB_FORMAT_VERSION, MACHINE_A, ab, 2);
    g_autofree char *m_a = manifest_for (LB_FORMAT_VERSION, MACHINE_A, ab, 1);
    g_autoptr (GBytes) missing
        = craft (m_ab, (CraftEntry[]){ { "licenses/a", NULL, AE_IFREG, a, -1 } }, 1, FALSE);
    g_autoptr (GBytes) extra = craft (m_a,
                                      (CraftEntry[]){ { "licenses/a", NULL, AE_IFREG, a, -1 },
                                                      { "licenses/b", NULL, AE_IFREG, bb, -1 } },
                                      2, FALSE);
    g_autofree char *m_future = manifest_for (LB_FORMAT_VERSION + 1, MACHINE_A, ab, 1);
    g_autoptr (GBytes) future
        = craft (m_future, (CraftEntry[]){ { "licenses/a", NULL, AE_IFREG, a, -1 } }, 1, FALSE);

    assert_damaged (f, missing, "an entry missing", "the entry after licenses/a");
    assert_damaged (f, extra, "an entry too many", "licenses/b");
    assert_damaged (f, future, "a newer format version", LB_MANIFEST_NAME);
  }
  /* Earlier format versions still restore, so they verify. */
  {
    g_autofree char *old = g_test_build_filename (G_TEST_DIST, "data", "v1", "licenses.lbk", NULL);
    g_autoptr (GMappedFile) mapped = g_mapped_file_new (old, FALSE, &error);
    g_autoptr (GBytes) v1 = NULL;

    g_assert_no_error (error);
    v1 = g_mapped_file_get_bytes (mapped);
    g_assert_true (verify_bytes (f, v1, &result, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (result.manifest.version, ==, 1);
    lb_verify_result_clear (&result);
  }
}

static void
test_cancel_leaves_nothing (Fixture *f, gconstpointer data)
{
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *path = newest_backup (f->backup_dir);
  g_autofree char *name = g_path_get_basename (path);
  g_autoptr (GDir) dir = NULL;
  g_autofree char *after = NULL;
  gsize len;
  LbBackupResult result;

  g_cancellable_cancel (cancellable);
  g_assert_false (run_backup (f->store, f->backup_dir, TRUE, cancellable, NULL, &result, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_CANCELLED);
  lb_backup_result_clear (&result);
  /* The old backup byte for byte, and no temporary file. */
  g_assert_true (g_file_get_contents (path, &after, &len, NULL));
  g_assert_cmpmem (after, len, g_bytes_get_data (f->backup, NULL), g_bytes_get_size (f->backup));
  dir = g_dir_open (g_file_peek_path (f->backup_dir), 0, NULL);
  g_assert_cmpstr (g_dir_read_name (dir), ==, name);
  g_assert_null (g_dir_read_name (dir));
}

static void
test_stale_temporary_removed (Fixture *f, gconstpointer data)
{
  g_autofree char *stale
      = g_build_filename (g_file_peek_path (f->backup_dir), LB_BACKUP_TMP_PREFIX "deadbeef", NULL);
  /* Left by a crash of 0.2.0 or earlier, under their prefix. */
  g_autofree char *stale_old = g_build_filename (g_file_peek_path (f->backup_dir),
                                                 LB_BACKUP_TMP_PREFIX_OLD "deadbeef", NULL);
  g_autoptr (GError) error = NULL;
  LbBackupResult result;

  g_assert_true (g_file_set_contents (stale, "half a backup", -1, NULL));
  g_assert_true (g_file_set_contents (stale_old, "half an older backup", -1, NULL));
  g_assert_true (run_backup (f->store, f->backup_dir, TRUE, NULL, NULL, &result, &error));
  g_assert_no_error (error);
  lb_backup_result_clear (&result);
  g_assert_false (g_file_test (stale, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (stale_old, G_FILE_TEST_EXISTS));
}

static void
test_not_a_directory (Fixture *f, gconstpointer data)
{
  g_autofree char *path = newest_backup (f->backup_dir);
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GError) error = NULL;
  g_autoptr (GFile) under = g_file_get_child (file, "sub");
  g_autofree char *expected = NULL;
  LbBackupResult result;

  g_assert_false (run_backup (f->store, file, TRUE, NULL, NULL, &result, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS);
  lb_backup_result_clear (&result);

  /* A folder under a file: the file is named, in the user's terms. */
  g_clear_error (&error);
  g_assert_false (run_backup (f->store, under, TRUE, NULL, NULL, &result, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS);
  expected = g_strdup_printf (
      "Cannot open the folder %s/sub: %s is a file, not a folder; choose another folder", path,
      path);
  g_assert_cmpstr (error->message, ==, expected);
  lb_backup_result_clear (&result);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/backup-file/roundtrip-same-machine", test_roundtrip_same_machine);
  ADD ("/backup-file/restricted", test_backup_reports_restricted);
  ADD ("/backup-file/backup-exists", test_backup_exists);
  ADD ("/backup-file/other-machine", test_other_machine);
  ADD ("/backup-file/restore-limit", test_restore_limit);
  ADD ("/backup-file/corrupt/byte-flips", test_byte_flips);
  ADD ("/backup-file/corrupt/truncations", test_truncations);
  ADD ("/backup-file/corrupt/garbage-tail", test_garbage_tail);
  ADD ("/backup-file/corrupt/crafted", test_crafted);
  ADD ("/backup-file/cancel-leaves-nothing", test_cancel_leaves_nothing);
  ADD ("/backup-file/stale-temporary-removed", test_stale_temporary_removed);
  ADD ("/backup-file/not-a-directory", test_not_a_directory);
  ADD ("/backup-file/apps/roundtrip", test_apps_roundtrip);
  ADD ("/backup-file/apps/restore-format-1", test_restore_v1);
  ADD ("/backup-file/pretty-hostname", test_pretty_hostname);
  ADD ("/backup-file/verify", test_verify);
#undef ADD
  g_test_add_func ("/backup-file/entry-name-escaping", test_entry_name_escaping);
  g_test_add_func ("/backup-file/manifest-host", test_manifest_host);
  g_test_add_func ("/backup-file/generation-rule", test_generation_rule);
  return g_test_run ();
}
