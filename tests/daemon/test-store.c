/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of the license store and the license codecs (src/store.c,
 * src/license.c) and of the machine id derivation (src/machine-id.c),
 * without D-Bus. */
#include "config.h"

#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>

#include "error-convert.h"
#include "lb-test-util.h"
#include "license.h"
#include "machine-id.h"
#include "store.h"

#define APP_ID "00112233445566778899aabbccddeeff"
/* Where a crash test's child finds the store. */
#define CRASH_DIR_ENV "LB_TEST_CRASH_DIR"

/* Helpers */

/* One page of the host programs' licenses (the only app these tests use). */
static GPtrArray *
list_host (LbStore *store, const char *after, guint limit, char **next, GError **error)
{
  g_autofree char *next_app = NULL;

  return lb_store_list (store, "", "", after, limit, &next_app, next, error);
}

static GBytes *
blob_new (gsize size, guint8 seed)
{
  guint8 *data = g_malloc (size);

  for (gsize i = 0; i < size; i++)
    data[i] = (guint8) ((i * 131 + seed) % 251);
  return g_bytes_new_take (data, size);
}

static LbRecord *
license_new (const char *key_id, gsize size, guint8 seed)
{
  g_autoptr (GBytes) blob = blob_new (size, seed);

  return lb_record_new (key_id, blob);
}

static LbRecord *
license_new_full (
    const char *key_id, gsize size, guint8 seed, const char *content_id, gint64 expires)
{
  LbRecord *l = license_new (key_id, size, seed);

  l->attrs.content_id = g_strdup (content_id);
  l->attrs.expires = expires;
  return l;
}

static gboolean
put_one (LbStore *store, LbRecord *license, GError **error)
{
  return lb_store_put (store, "", &license, 1, error);
}

/* Stores a new license_new (@key_id, @size, @seed) for @app ("" for the
 * host), asserting that it is stored. */
static void
assert_put_new (LbStore *store, const char *app, const char *key_id, gsize size, guint8 seed)
{
  g_autoptr (LbRecord) license = license_new (key_id, size, seed);
  g_autoptr (GError) error = NULL;

  g_assert_true (lb_store_put (store, app, &license, 1, &error));
  g_assert_no_error (error);
}

static void
assert_attrs_equal (const LbAttributes *a, const LbAttributes *b)
{
  g_assert_cmpstr (a->content_id, ==, b->content_id);
  g_assert_cmpstr (a->issuer, ==, b->issuer);
  g_assert_cmpint (a->can_backup, ==, b->can_backup);
  g_assert_cmpuint (a->restore_limit, ==, b->restore_limit);
  g_assert_cmpint (a->expires, ==, b->expires);
  g_assert_cmpstr (a->support_url, ==, b->support_url);
  g_assert_cmpuint (a->restore_count, ==, b->restore_count);
  g_assert_cmpint (a->stored, ==, b->stored);
  g_assert_cmpstr (a->machine, ==, b->machine);
}

static void
assert_bytes_equal (GBytes *a, GBytes *b)
{
  gsize a_len, b_len;
  const guint8 *a_data, *b_data;

  g_assert_nonnull (a);
  g_assert_nonnull (b);
  if (a == NULL || b == NULL)
    return;
  a_data = g_bytes_get_data (a, &a_len);
  b_data = g_bytes_get_data (b, &b_len);
  g_assert_cmpmem (a_data, a_len, b_data, b_len);
}

/* The canonical encoding of the license stored under @key_id, or NULL. */
static GBytes *
stored_encoding (LbStore *store, const char *key_id)
{
  g_autoptr (LbRecord) l = lb_store_get (store, "", key_id, NULL);

  return l != NULL ? lb_record_encode (l) : NULL;
}

/* Whether @next, the cursor after @cursor, moves forward; fails the test
 * if not (a listing that would never end). */
static gboolean
cursor_advances (const char *cursor, const char *next)
{
  if (next[0] == '\0' || strcmp (next, cursor) > 0)
    return TRUE;
  g_test_fail_printf ("the cursor after “%s” is “%s”: the listing would never end", cursor, next);
  return FALSE;
}

/* Every key id in the store, in listing order, paging by @page_size. */
static GPtrArray *
list_all_keys (LbStore *store, guint page_size)
{
  g_autoptr (GPtrArray) keys = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *cursor = g_strdup ("");

  do
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GPtrArray) page = NULL;
      char *next = NULL;

      page = list_host (store, cursor, page_size, &next, &error);
      g_assert_no_error (error);
      if (page == NULL)
        return NULL;
      for (guint i = 0; i < page->len; i++)
        g_ptr_array_add (keys, g_strdup (((LbRecord *) page->pdata[i])->key_id));
      if (!cursor_advances (cursor, next))
        {
          g_free (next);
          return NULL;
        }
      g_free (cursor);
      cursor = next;
    }
  while (cursor[0] != '\0');
  return g_steal_pointer (&keys);
}

/* Fixture: a store in a fresh directory */

typedef struct
{
  char *tmp;
  char *dir;
  LbStore *store;
} Fixture;

static void
fixture_reopen (Fixture *f)
{
  g_autoptr (GError) error = NULL;

  g_clear_object (&f->store);
  f->store = lb_store_open (f->dir, APP_ID, &error);
  g_assert_no_error (error);
  g_assert_nonnull (f->store);
}

/* Reopens the store, which must hold @n licenses. */
static void
assert_count_after_reopen (Fixture *f, guint n)
{
  fixture_reopen (f);
  g_assert_cmpuint (lb_store_count (f->store), ==, n);
}

/* Asserts that @error is the LB_ERROR @code (an LbError), its message naming
 * @fragment. */
static void
assert_error_naming (const GError *error, int code, const char *fragment)
{
  g_assert_error (error, LB_ERROR, code);
  if (error != NULL)
    g_assert_nonnull (strstr (error->message, fragment));
}

static void
setup (Fixture *f, gconstpointer data)
{
  f->tmp = lb_test_make_tmp_dir ("store");
  /* Not there yet: the store creates it. */
  f->dir = g_build_filename (f->tmp, "share", "license-backup", NULL);
  fixture_reopen (f);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->store);
  lb_test_rm_rf (f->tmp);
  g_free (f->tmp);
  g_free (f->dir);
}

#define ADD(path, func) g_test_add ((path), Fixture, NULL, setup, (func), teardown)

/* Store */

static void
test_open_creates_private_dir (Fixture *f, gconstpointer data)
{
  GStatBuf st;
  g_autofree char *parent = g_path_get_dirname (f->dir);

  g_assert_nonnull (f->store);
  g_assert_cmpint (g_stat (f->dir, &st), ==, 0);
  g_assert_true (S_ISDIR (st.st_mode));
  g_assert_cmpint (st.st_mode & 07777, ==, 0700);
  /* Missing parents are created too, as private as the store. */
  g_assert_cmpint (g_stat (parent, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 077, ==, 0);
  g_assert_cmpstr (lb_store_get_dir (f->store), ==, f->dir);
  g_assert_cmpstr (lb_store_get_machine (f->store), ==, APP_ID);
  g_assert_cmpuint (lb_store_count (f->store), ==, 0);
}

static void
test_open_unwritable (Fixture *f, gconstpointer data)
{
  g_autofree char *file = g_build_filename (f->tmp, "a-file", NULL);
  g_autofree char *below = g_build_filename (file, "license-backup", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (LbStore) store = NULL;

  g_file_set_contents (file, "x", 1, NULL);
  store = lb_store_open (below, APP_ID, &error);
  g_assert_null (store);
  g_assert_nonnull (error);
  if (error != NULL)
    {
      g_assert_true (error->domain == LB_ERROR);
      g_assert_cmpstr (error->message, !=, "");
    }
}

static void
test_open_newer_schema (Fixture *f, gconstpointer data)
{
  g_autofree char *db_path = g_build_filename (f->dir, "licenses.db", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (LbStore) store = NULL;
  sqlite3 *db = NULL;

  g_clear_object (&f->store);
  g_assert_cmpint (sqlite3_open (db_path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "PRAGMA user_version = 4", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);

  /* A store from a newer version is left alone, with a message saying so. */
  store = lb_store_open (f->dir, APP_ID, &error);
  g_assert_null (store);
  assert_error_naming (error, LB_ERROR_FAILED, "newer");
}

static void
test_put_get (Fixture *f, gconstpointer data)
{
  g_autoptr (LbRecord) l = license_new ("key-1", 1000, 7);
  g_autoptr (LbRecord) got = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) blob = blob_new (1000, 7);
  gint64 before = g_get_real_time () / G_USEC_PER_SEC;
  gint64 after;

  l->attrs.content_id = g_strdup ("content");
  l->attrs.issuer = g_strdup ("issuer");
  l->attrs.can_backup = FALSE;
  l->attrs.restore_limit = 3;
  l->attrs.expires = 4102444800; /* 2100 */
  l->attrs.support_url = g_strdup ("https://example.com/support");
  g_assert_true (put_one (f->store, l, &error));
  g_assert_no_error (error);
  after = g_get_real_time () / G_USEC_PER_SEC;
  g_assert_cmpuint (lb_store_count (f->store), ==, 1);

  got = lb_store_get (f->store, "", "key-1", &error);
  g_assert_no_error (error);
  g_assert_nonnull (got);
  if (got == NULL)
    return;
  g_assert_cmpstr (got->key_id, ==, "key-1");
  assert_bytes_equal (got->blob, blob);
  g_assert_cmpstr (got->attrs.content_id, ==, "content");
  g_assert_cmpstr (got->attrs.issuer, ==, "issuer");
  g_assert_false (got->attrs.can_backup);
  g_assert_cmpuint (got->attrs.restore_limit, ==, 3);
  g_assert_cmpint (got->attrs.expires, ==, 4102444800);
  g_assert_cmpstr (got->attrs.support_url, ==, "https://example.com/support");
  g_assert_cmpuint (got->attrs.restore_count, ==, 0);
  g_assert_cmpint (got->attrs.stored, >=, before);
  g_assert_cmpint (got->attrs.stored, <=, after);
  g_assert_cmpstr (got->attrs.machine, ==, APP_ID);
}

static void
test_put_sets_service_attributes (Fixture *f, gconstpointer data)
{
  g_autoptr (LbRecord) l = license_new ("key", 10, 1);
  g_autoptr (LbRecord) got = NULL;
  g_autoptr (GError) error = NULL;

  /* What a backup from elsewhere would carry: put() is a fresh license
   * from an app, so the store's values win. */
  l->attrs.restore_count = 5;
  l->attrs.stored = 123;
  l->attrs.machine = g_strdup ("ffffffffffffffffffffffffffffffff");
  g_assert_true (put_one (f->store, l, &error));
  g_assert_no_error (error);
  got = lb_store_get (f->store, "", "key", &error);
  g_assert_no_error (error);
  if (got == NULL)
    return;
  g_assert_cmpuint (got->attrs.restore_count, ==, 0);
  g_assert_cmpint (got->attrs.stored, >, 123);
  g_assert_cmpstr (got->attrs.machine, ==, APP_ID);
}

static void
test_replace (Fixture *f, gconstpointer data)
{
  g_autoptr (LbRecord) old = license_new_full ("key", 100, 1, "old-content", 0);
  g_autoptr (LbRecord) new = license_new ("key", 50, 2);
  g_autoptr (LbRecord) got = NULL;
  g_autoptr (GBytes) new_blob = blob_new (50, 2);
  g_autoptr (GError) error = NULL;

  old->attrs.issuer = g_strdup ("old-issuer");
  g_assert_true (put_one (f->store, old, &error));
  new->attrs.can_backup = FALSE;
  g_assert_true (put_one (f->store, new, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (lb_store_count (f->store), ==, 1);

  got = lb_store_get (f->store, "", "key", &error);
  g_assert_no_error (error);
  if (got == NULL)
    return;
  assert_bytes_equal (got->blob, new_blob);
  /* Replaced, not merged: attributes the new license lacks are gone. */
  g_assert_null (got->attrs.content_id);
  g_assert_null (got->attrs.issuer);
  g_assert_false (got->attrs.can_backup);

  assert_count_after_reopen (f, 1);
}

static void
test_delete (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  assert_put_new (f->store, "", "a", 10, 1);
  assert_put_new (f->store, "", "b", 10, 2);
  g_assert_cmpuint (lb_store_count (f->store), ==, 2);

  g_assert_true (lb_store_delete (f->store, "", "a", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (lb_store_count (f->store), ==, 1);
  g_autoptr (LbRecord) got = lb_store_get (f->store, "", "a", &error);
  g_assert_null (got);
  g_assert_error (error, LB_ERROR, LB_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_false (lb_store_delete (f->store, "", "a", &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_cmpuint (lb_store_count (f->store), ==, 1);

  got = lb_store_get (f->store, "", "b", &error);
  g_assert_no_error (error);
  g_assert_nonnull (got);

  assert_count_after_reopen (f, 1);
}

static void
test_get_not_found (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LbRecord) got = lb_store_get (f->store, "", "missing", &error);

  g_assert_null (got);
  assert_error_naming (error, LB_ERROR_NOT_FOUND, "missing");
}

static void
test_count (Fixture *f, gconstpointer data)
{
  g_autoptr (GPtrArray) batch = g_ptr_array_new_with_free_func ((GDestroyNotify) lb_record_free);
  g_autoptr (GError) error = NULL;

  for (guint i = 0; i < 100; i++)
    {
      g_autofree char *key = g_strdup_printf ("key-%03u", i);
      g_ptr_array_add (batch, license_new (key, 1 + i, (guint8) i));
    }
  g_assert_true (lb_store_put (f->store, "", (LbRecord *const *) batch->pdata, 60, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (lb_store_count (f->store), ==, 60);
  /* 40 new ones and 20 replacements. */
  g_assert_true (lb_store_put (f->store, "", (LbRecord *const *) batch->pdata + 40, 60, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (lb_store_count (f->store), ==, 100);
  g_assert_true (lb_store_delete (f->store, "", "key-050", &error));
  g_assert_cmpuint (lb_store_count (f->store), ==, 99);

  assert_count_after_reopen (f, 99);
}

static void
test_bulk_same_key_twice (Fixture *f, gconstpointer data)
{
  g_autoptr (LbRecord) first = license_new ("dup", 10, 1);
  g_autoptr (LbRecord) second = license_new ("dup", 20, 2);
  g_autoptr (GBytes) second_blob = blob_new (20, 2);
  g_autoptr (GError) error = NULL;
  LbRecord *batch[] = { first, second };

  g_assert_true (lb_store_put (f->store, "", batch, 2, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (lb_store_count (f->store), ==, 1);
  g_autoptr (LbRecord) got = lb_store_get (f->store, "", "dup", &error);
  g_assert_no_error (error);
  if (got != NULL)
    assert_bytes_equal (got->blob, second_blob);
  assert_count_after_reopen (f, 1);
}

static void
test_max_blob_round_trip (Fixture *f, gconstpointer data)
{
  g_autoptr (LbRecord) l = license_new ("big", LB_BLOB_MAX, 9);
  g_autoptr (LbRecord) got = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_true (put_one (f->store, l, &error));
  g_assert_no_error (error);
  fixture_reopen (f);
  got = lb_store_get (f->store, "", "big", &error);
  g_assert_no_error (error);
  if (got != NULL)
    assert_bytes_equal (got->blob, l->blob);
}

/* Stores @n licenses "bigNN" of the largest size in one write; them. */
static GPtrArray *
put_big (Fixture *f, guint n)
{
  GPtrArray *batch = g_ptr_array_new_with_free_func ((GDestroyNotify) lb_record_free);
  g_autoptr (GError) error = NULL;
  g_autoptr (LbStoreBatch) b = NULL;

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *key = g_strdup_printf ("big%02u", i);
      g_ptr_array_add (batch, license_new (key, LB_BLOB_MAX, (guint8) i));
    }
  /* Its size not said in advance (0): the blobs go into the rows, through
   * the WAL, which these tests are about. */
  b = lb_store_batch_begin (f->store, "", 0, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < n; i++)
    g_assert_true (lb_store_batch_add (b, batch->pdata[i], &error));
  g_assert_true (lb_store_batch_commit (b, &error));
  g_assert_no_error (error);
  return batch;
}

/* The host's license of @license's key id has its blob. */
static void
assert_stored (Fixture *f, const LbRecord *license)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LbRecord) got = lb_store_get (f->store, "", license->key_id, &error);

  g_assert_no_error (error);
  g_assert_nonnull (got);
  assert_bytes_equal (got->blob, license->blob);
}

/* A large write leaves a large WAL; once it has been checkpointed (in the
 * background) the next write cuts the file back to 64 MiB, rather than
 * keeping the size of the largest write ever made on disk for good. */
static void
test_wal_cut_back (Fixture *f, gconstpointer data)
{
  g_autofree char *wal = g_build_filename (f->dir, "licenses.db-wal", NULL);
  g_autoptr (GError) error = NULL;
  const goffset limit = 64 * 1024 * 1024;
  goffset size = 0;
  GStatBuf st;
  g_autoptr (GPtrArray) batch = put_big (f, 80);

  g_assert_cmpint (g_stat (wal, &st), ==, 0);
  g_assert_cmpint (st.st_size, >, limit);

  for (guint i = 0; i < 200; i++)
    {
      g_autoptr (LbRecord) small = license_new ("small", 8, (guint8) i);

      g_assert_true (put_one (f->store, small, &error));
      g_assert_no_error (error);
      g_assert_cmpint (g_stat (wal, &st), ==, 0);
      size = st.st_size;
      if (size <= limit)
        break;
      g_usleep (50000);
    }
  g_assert_cmpint (size, <=, limit);

  assert_count_after_reopen (f, 81);
  assert_stored (f, batch->pdata[79]);
}

/* Closing the store leaves no WAL behind: one left would be read whole
 * at the next start, which delays the daemon's activation. */
static void
test_wal_removed_on_close (Fixture *f, gconstpointer data)
{
  g_autofree char *wal = g_build_filename (f->dir, "licenses.db-wal", NULL);
  g_autoptr (GPtrArray) batch = put_big (f, 20);

  g_assert_true (g_file_test (wal, G_FILE_TEST_EXISTS));
  g_clear_object (&f->store);
  g_assert_false (g_file_test (wal, G_FILE_TEST_EXISTS));

  fixture_reopen (f);
  assert_stored (f, batch->pdata[19]);
}

/* Listing */

static void
put_keys (Fixture *f, guint n, const char *prefix)
{
  g_autoptr (GPtrArray) batch = g_ptr_array_new_with_free_func ((GDestroyNotify) lb_record_free);
  g_autoptr (GError) error = NULL;

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *key = g_strdup_printf ("%s%02u", prefix, i);
      g_ptr_array_add (batch, license_new_full (key, 8, (guint8) i, key, 0));
    }
  g_assert_true (lb_store_put (f->store, "", (LbRecord *const *) batch->pdata, n, &error));
  g_assert_no_error (error);
}

static void
test_list_pages (Fixture *f, gconstpointer data)
{
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *cursor = g_strdup ("");
  guint expected_sizes[] = { 10, 10, 5 };
  guint pages = 0;

  put_keys (f, 25, "key-");
  do
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GPtrArray) page = NULL;
      char *next = NULL;

      page = list_host (f->store, cursor, 10, &next, &error);
      g_assert_no_error (error);
      if (page == NULL)
        return;
      g_assert_cmpuint (pages, <, G_N_ELEMENTS (expected_sizes));
      if (pages >= G_N_ELEMENTS (expected_sizes))
        return;
      g_assert_cmpuint (page->len, ==, expected_sizes[pages]);
      for (guint i = 0; i < page->len; i++)
        {
          LbRecord *l = page->pdata[i];

          /* Listings carry attributes but no blobs. */
          g_assert_null (l->blob);
          g_assert_cmpstr (l->attrs.content_id, ==, l->key_id);
          g_assert_cmpstr (l->attrs.machine, ==, APP_ID);
          g_assert_false (g_hash_table_contains (seen, l->key_id));
          g_hash_table_add (seen, g_strdup (l->key_id));
        }
      /* The cursor of a page that is not the last is its last key. */
      if (next[0] != '\0')
        g_assert_cmpstr (next, ==, ((LbRecord *) page->pdata[page->len - 1])->key_id);
      if (!cursor_advances (cursor, next))
        {
          g_free (next);
          return;
        }
      g_free (cursor);
      cursor = next;
      pages++;
    }
  while (cursor[0] != '\0');
  g_assert_cmpuint (pages, ==, 3);
  g_assert_cmpuint (g_hash_table_size (seen), ==, 25);
}

static void
test_list_exact_multiple (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *next = NULL;

  put_keys (f, 20, "k");
  /* A page that ends exactly at the last license is the last page: no
   * empty page follows. */
  g_autoptr (GPtrArray) page = list_host (f->store, "", 20, &next, &error);
  g_assert_no_error (error);
  if (page == NULL)
    return;
  g_assert_cmpuint (page->len, ==, 20);
  g_assert_cmpstr (next, ==, "");

  g_autoptr (GPtrArray) keys = list_all_keys (f->store, 1);
  g_assert_nonnull (keys);
  if (keys != NULL)
    g_assert_cmpuint (keys->len, ==, 20);
}

static void
test_list_empty (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) page = NULL;
  g_autofree char *next = NULL;

  page = list_host (f->store, "", 1000, &next, &error);
  g_assert_no_error (error);
  g_assert_nonnull (page);
  if (page != NULL)
    g_assert_cmpuint (page->len, ==, 0);
  g_assert_cmpstr (next, ==, "");
}

static void
test_list_byte_order (Fixture *f, gconstpointer data)
{
  const char *keys[] = { "b", "B", "a", "A", "~", "0", " x", "aa", "a~", "Z" };
  g_autoptr (GPtrArray) batch = g_ptr_array_new_with_free_func ((GDestroyNotify) lb_record_free);
  g_autoptr (GPtrArray) listed = NULL;
  g_autoptr (GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    g_ptr_array_add (batch, license_new (keys[i], 4, (guint8) i));
  g_assert_true (lb_store_put (f->store, "", (LbRecord *const *) batch->pdata, batch->len, &error));
  g_assert_no_error (error);

  listed = list_all_keys (f->store, 3);
  g_assert_nonnull (listed);
  if (listed == NULL)
    return;
  g_assert_cmpuint (listed->len, ==, G_N_ELEMENTS (keys));
  for (guint i = 1; i < listed->len; i++)
    g_assert_cmpint (strcmp (listed->pdata[i - 1], listed->pdata[i]), <, 0);
}

static void
test_list_changes_between_pages (Fixture *f, gconstpointer data)
{
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *cursor = NULL;
  g_autoptr (GError) error = NULL;
  guint pages = 0;

  put_keys (f, 30, "k");
  do
    {
      g_autoptr (GPtrArray) page = NULL;
      char *next = NULL;

      page = list_host (f->store, cursor != NULL ? cursor : "", 10, &next, &error);
      g_assert_no_error (error);
      if (page == NULL)
        return;
      for (guint i = 0; i < page->len; i++)
        {
          const char *key = ((LbRecord *) page->pdata[i])->key_id;

          if (g_hash_table_contains (seen, key))
            g_test_fail_printf ("%s was listed twice", key);
          g_hash_table_add (seen, g_strdup (key));
        }
      if (!cursor_advances (cursor != NULL ? cursor : "", next))
        {
          g_free (next);
          return;
        }
      g_free (cursor);
      cursor = next;

      if (pages == 0)
        {
          /* Between the first two pages: remove the cursor's own license
           * and one already listed, add licenses before and after the
           * cursor, and replace one not listed yet. */
          g_autoptr (LbRecord) before = license_new ("k045", 8, 1);
          g_autoptr (LbRecord) after = license_new ("k155", 8, 2);
          g_autoptr (LbRecord) replaced = license_new ("k15", 99, 3);

          g_assert_cmpstr (cursor, ==, "k09");
          g_assert_true (lb_store_delete (f->store, "", "k09", &error));
          g_assert_true (lb_store_delete (f->store, "", "k03", &error));
          g_assert_true (put_one (f->store, before, &error));
          g_assert_true (put_one (f->store, after, &error));
          g_assert_true (put_one (f->store, replaced, &error));
          g_assert_no_error (error);
        }
      pages++;
    }
  while (cursor[0] != '\0' && pages < 100);

  /* Every license there the whole time was listed exactly once. */
  for (guint i = 0; i < 30; i++)
    {
      g_autofree char *key = g_strdup_printf ("k%02u", i);

      if (i == 3 || i == 9)
        continue;
      if (!g_hash_table_contains (seen, key))
        g_test_fail_printf ("%s was never listed", key);
    }
  g_assert_cmpstr (cursor, ==, "");
}

/* Expiry */

static void
test_clean_expired (Fixture *f, gconstpointer data)
{
  const gint64 now = 2000000000;
  g_autoptr (LbRecord) never = license_new_full ("never", 8, 1, NULL, 0);
  g_autoptr (LbRecord) past = license_new_full ("past", 8, 2, NULL, now - 10);
  g_autoptr (LbRecord) exact = license_new_full ("exact", 8, 3, NULL, now);
  g_autoptr (LbRecord) future = license_new_full ("future", 8, 4, NULL, now + 1);
  LbRecord *batch[] = { never, past, exact, future };
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) keys = NULL;
  guint removed = 99;

  g_assert_true (lb_store_put (f->store, "", batch, G_N_ELEMENTS (batch), &error));
  g_assert_no_error (error);

  g_assert_true (lb_store_clean_expired (f->store, NULL, now - 11, &removed, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (removed, ==, 0);
  g_assert_cmpuint (lb_store_count (f->store), ==, 4);

  /* "expired at or before now". */
  g_assert_true (lb_store_clean_expired (f->store, NULL, now, &removed, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (removed, ==, 2);
  g_assert_cmpuint (lb_store_count (f->store), ==, 2);
  keys = list_all_keys (f->store, 10);
  g_assert_nonnull (keys);
  if (keys != NULL)
    {
      g_assert_cmpuint (keys->len, ==, 2);
      g_assert_true (g_ptr_array_find_with_equal_func (keys, "never", g_str_equal, NULL));
      g_assert_true (g_ptr_array_find_with_equal_func (keys, "future", g_str_equal, NULL));
    }

  g_assert_true (lb_store_clean_expired (f->store, NULL, now, &removed, &error));
  g_assert_cmpuint (removed, ==, 0);

  /* A license that never expires stays whatever the time. */
  g_assert_true (lb_store_clean_expired (f->store, NULL, G_MAXINT64, &removed, &error));
  g_assert_cmpuint (removed, ==, 1);
  g_assert_cmpuint (lb_store_count (f->store), ==, 1);
  assert_count_after_reopen (f, 1);
}

static void
test_attributes_expired (void)
{
  LbAttributes attrs;

  lb_attributes_init (&attrs);
  g_assert_false (lb_attributes_expired (&attrs, G_MAXINT64));
  attrs.expires = 100;
  g_assert_false (lb_attributes_expired (&attrs, 99));
  g_assert_true (lb_attributes_expired (&attrs, 100));
  g_assert_true (lb_attributes_expired (&attrs, 101));
}

/* Simulated crashes: the child writes and SIGKILLs itself (LB_FAULT, see
 * src/fault.c) before or after the commit; the parent reopens the store. */

static void
crash_child (const char *point)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LbStore) store = lb_store_open (g_getenv (CRASH_DIR_ENV), APP_ID, &error);
  g_autoptr (LbRecord) replacement = license_new_full ("victim", 3000, 2, "new", 0);
  g_autoptr (LbRecord) fresh = license_new ("fresh", 10, 3);
  LbRecord *batch[] = { replacement, fresh };

  g_assert_no_error (error);
  if (store == NULL)
    return;
  g_setenv ("LB_FAULT", point, TRUE);
  g_print ("writing\n");
  lb_store_put (store, "", batch, G_N_ELEMENTS (batch), &error);
  g_print ("put returned\n");
}

static void
test_crash (gconstpointer data)
{
  const char *point = data;
  gboolean committed = g_str_equal (point, "store-after-commit");
  g_autofree char *tmp = NULL;
  g_autofree char *dir = NULL;
  g_autoptr (LbStore) store = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (LbRecord) victim = license_new_full ("victim", 5000, 1, "old", 4102444800);
  g_autoptr (LbRecord) bystander = license_new_full ("bystander", 700, 4, "other", 0);
  g_autoptr (GBytes) victim_before = NULL;
  g_autoptr (GBytes) bystander_before = NULL;
  g_autoptr (GBytes) replacement_blob = blob_new (3000, 2);
  g_autoptr (LbRecord) got = NULL;
  g_autoptr (GPtrArray) keys = NULL;

  if (g_test_subprocess ())
    {
      crash_child (point);
      return;
    }

  tmp = lb_test_make_tmp_dir ("crash");
  dir = g_build_filename (tmp, "license-backup", NULL);
  store = lb_store_open (dir, APP_ID, &error);
  g_assert_no_error (error);
  if (store == NULL)
    return;
  g_assert_true (put_one (store, victim, &error));
  g_assert_true (put_one (store, bystander, &error));
  g_assert_no_error (error);
  victim_before = stored_encoding (store, "victim");
  bystander_before = stored_encoding (store, "bystander");
  g_clear_object (&store);

  g_setenv (CRASH_DIR_ENV, dir, TRUE);
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_unsetenv (CRASH_DIR_ENV);
  /* It died in lb_store_put(), not by a failed check. */
  g_test_trap_assert_failed ();
  g_test_trap_assert_stdout ("*writing*");
  g_test_trap_assert_stdout_unmatched ("*put returned*");

  store = lb_store_open (dir, APP_ID, &error);
  g_assert_no_error (error);
  if (store == NULL)
    return;
  got = lb_store_get (store, "", "victim", &error);
  g_assert_no_error (error);
  if (got == NULL)
    return;
  if (committed)
    {
      assert_bytes_equal (got->blob, replacement_blob);
      g_assert_cmpstr (got->attrs.content_id, ==, "new");
      g_assert_cmpint (got->attrs.expires, ==, 0);
      g_assert_cmpuint (lb_store_count (store), ==, 3);
    }
  else
    {
      /* The old license, byte for byte, attributes included. */
      g_autoptr (GBytes) victim_after = stored_encoding (store, "victim");

      assert_bytes_equal (victim_after, victim_before);
      g_assert_cmpuint (lb_store_count (store), ==, 2);
    }
  /* The license the crashed write did not touch did not change. */
  {
    g_autoptr (GBytes) bystander_after = stored_encoding (store, "bystander");
    assert_bytes_equal (bystander_after, bystander_before);
  }
  keys = list_all_keys (store, 100);
  g_assert_nonnull (keys);
  if (keys != NULL)
    {
      g_assert_cmpuint (keys->len, ==, committed ? 3 : 2);
      g_assert_cmpint (g_ptr_array_find_with_equal_func (keys, "fresh", g_str_equal, NULL), ==,
                       committed);
    }
  /* And the store still takes writes. */
  {
    g_autoptr (LbRecord) later = license_new ("later", 5, 5);
    g_assert_true (put_one (store, later, &error));
    g_assert_no_error (error);
  }
  g_clear_object (&store);
  lb_test_rm_rf (tmp);
}

/* The blob file (schema 3) */

static guint64
path_size (const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  GStatBuf st;

  return g_stat (path, &st) == 0 ? (guint64) st.st_size : 0;
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* The names of the blob files in @dir, sorted, space-separated. */
static char *
blob_files (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    if (g_str_has_suffix (name, ".blobs"))
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  g_ptr_array_add (names, NULL);
  return g_strjoinv (" ", (char **) names->pdata);
}

/* @n licenses "<prefix><i>" of @size bytes, seeds from @seed. */
static GPtrArray *
licenses_new (const char *prefix, guint n, gsize size, guint8 seed)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) lb_record_free);

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *key = g_strdup_printf ("%s%04u", prefix, i);
      g_ptr_array_add (out, license_new (key, size, (guint8) (seed + i)));
    }
  return out;
}

static void
put_all (LbStore *store, const char *app, GPtrArray *licenses)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (
      lb_store_put (store, app, (LbRecord *const *) licenses->pdata, licenses->len, &error));
  g_assert_no_error (error);
}

/* Every license of @licenses is stored in @app with its blob. */
static void
assert_all_stored (LbStore *store, const char *app, GPtrArray *licenses)
{
  for (guint i = 0; i < licenses->len; i++)
    {
      LbRecord *want = licenses->pdata[i];
      g_autoptr (GError) error = NULL;
      g_autoptr (LbRecord) got = lb_store_get (store, app, want->key_id, &error);

      g_assert_no_error (error);
      if (got == NULL)
        return;
      assert_bytes_equal (got->blob, want->blob);
    }
}

static gint64
query_db (const char *dir, const char *sql)
{
  g_autofree char *path = g_build_filename (dir, "licenses.db", NULL);
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 value;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  value = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return value;
}

/* A bulk write (64 KiB of blobs or more) appends its blobs to the blob
 * file, each once, and its rows keep only where; a small write keeps its
 * blob in its row. Both read back, one by one and through a snapshot. */
static void
test_blobs_bulk_in_file (Fixture *f, gconstpointer data)
{
  g_autoptr (GPtrArray) bulk = licenses_new ("bulk", 100, 2048, 1);
  g_autoptr (LbRecord) small = license_new ("small", 1000, 9);
  g_autoptr (GError) error = NULL;
  g_autoptr (LbStoreSnapshot) snap = NULL;
  g_autofree char *files = NULL;
  guint64 count = 0;

  put_all (f->store, "", bulk);
  g_assert_cmpuint (path_size (f->dir, "licenses-1.blobs"), ==, 100 * 2048);
  g_assert_true (put_one (f->store, small, &error));
  g_assert_no_error (error);
  /* The small one went into its row. */
  g_assert_cmpuint (path_size (f->dir, "licenses-1.blobs"), ==, 100 * 2048);
  g_assert_cmpint (query_db (f->dir, "SELECT count(*) FROM licenses WHERE boff IS NOT NULL"), ==,
                   100);
  g_assert_cmpint (query_db (f->dir, "SELECT length (blob) FROM licenses WHERE key_id = 'small'"),
                   ==, 1000);
  g_assert_cmpint (query_db (f->dir, "SELECT live FROM blobs"), ==, 100 * 2048);
  files = blob_files (f->dir);
  g_assert_cmpstr (files, ==, "licenses-1.blobs");

  assert_all_stored (f->store, "", bulk);
  assert_stored (f, small);
  snap = lb_store_snapshot_new (f->store, &error);
  g_assert_no_error (error);
  g_assert_true (lb_store_snapshot_count (snap, LB_SNAPSHOT_ELIGIBLE, 0, &count, &error));
  g_assert_cmpuint (count, ==, 101);
  {
    g_autoptr (LbSnapshotCursor) c = lb_snapshot_cursor_new (snap, LB_SNAPSHOT_ELIGIBLE, 0, &error);
    guint seen = 0;

    for (;;)
      {
        g_autoptr (LbRecord) l = NULL;
        const guint8 *digest;
        guint8 want[LB_DIGEST_LEN];

        g_assert_true (lb_snapshot_cursor_next (c, &l, &digest, &error));
        g_assert_no_error (error);
        if (l == NULL)
          break;
        lb_record_digest (l, NULL, want);
        g_assert_cmpmem (digest, LB_DIGEST_LEN, want, LB_DIGEST_LEN);
        seen++;
      }
    g_assert_cmpuint (seen, ==, 101);
  }
  /* The per-app totals count both kinds. */
  {
    g_autoptr (GPtrArray) apps = lb_store_list_apps (f->store, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (((LbStoreApp *) apps->pdata[0])->bytes, ==, 100 * 2048 + 1000);
  }
  g_clear_pointer (&snap, lb_store_snapshot_free);
  assert_count_after_reopen (f, 101);
  assert_all_stored (f->store, "", bulk);
}

/* A bulk write refused halfway (over its app's limit) gives back what it
 * appended: the file is cut to its last commit. */
static void
test_blobs_rollback_cut (Fixture *f, gconstpointer data)
{
  g_autoptr (GPtrArray) first = licenses_new ("first", 50, 2048, 1);
  g_autoptr (GPtrArray) second = licenses_new ("second", 100, 2048, 2);
  g_autoptr (GError) error = NULL;

  put_all (f->store, "", first);
  lb_store_set_app_limits (f->store, 120, G_MAXUINT64);
  g_assert_false (
      lb_store_put (f->store, "", (LbRecord *const *) second->pdata, second->len, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_NO_SPACE);
  g_assert_cmpuint (path_size (f->dir, "licenses-1.blobs"), ==, 50 * 2048);
  g_assert_cmpuint (lb_store_count (f->store), ==, 50);
  assert_all_stored (f->store, "", first);
}

/* A crash while a bulk write appended leaves bytes past the last commit
 * (a torn tail): the next open cuts them, the licenses committed before
 * are whole, and the next bulk write appends after them. */
static void
test_blobs_torn_tail (Fixture *f, gconstpointer data)
{
  g_autoptr (GPtrArray) first = licenses_new ("first", 40, 3000, 1);
  g_autoptr (GPtrArray) later = licenses_new ("later", 50, 1500, 7);
  g_autofree char *path = g_build_filename (f->dir, "licenses-1.blobs", NULL);
  g_autoptr (GError) error = NULL;
  FILE *fp;

  put_all (f->store, "", first);
  g_clear_object (&f->store);
  fp = fopen (path, "ab");
  g_assert_nonnull (fp);
  for (guint i = 0; i < 10000; i++)
    fputc ((int) (i % 253), fp);
  fclose (fp);
  g_assert_cmpuint (path_size (f->dir, "licenses-1.blobs"), ==, 40 * 3000 + 10000);

  assert_count_after_reopen (f, 40);
  g_assert_cmpuint (path_size (f->dir, "licenses-1.blobs"), ==, 40 * 3000);
  assert_all_stored (f->store, "", first);
  put_all (f->store, "", later);
  g_assert_cmpuint (path_size (f->dir, "licenses-1.blobs"), ==, 40 * 3000 + 50 * 1500);
  assert_count_after_reopen (f, 90);
  assert_all_stored (f->store, "", first);
  assert_all_stored (f->store, "", later);
}

/* A blob file shorter than its last commit (lost by the file system) is
 * damaged: the store refuses to open, with a warning naming the file,
 * rather than serve wrong bytes. */
static void
test_blobs_truncated (Fixture *f, gconstpointer data)
{
  g_autoptr (GPtrArray) first = licenses_new ("first", 40, 3000, 1);
  g_autofree char *path = g_build_filename (f->dir, "licenses-1.blobs", NULL);

  if (g_test_subprocess ())
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (LbStore) store = NULL;

      g_clear_object (&f->store);
      store = lb_store_open (g_getenv (CRASH_DIR_ENV), APP_ID, &error);
      g_assert_null (store);
      assert_error_naming (error, LB_ERROR_FAILED, "damaged");
      return;
    }
  put_all (f->store, "", first);
  g_clear_object (&f->store);
  g_assert_cmpint (truncate (path, 1000), ==, 0);
  g_setenv (CRASH_DIR_ENV, f->dir, TRUE);
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_unsetenv (CRASH_DIR_ENV);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*licenses-1.blobs is shorter than its last commit*");
}

/* Bulk crashes: the child writes 60 licenses in one batch (blobs to the
 * file) and SIGKILLs itself before or after the commit. */
static void
crash_bulk_child (const char *point)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LbStore) store = lb_store_open (g_getenv (CRASH_DIR_ENV), APP_ID, &error);
  g_autoptr (GPtrArray) batch = licenses_new ("new", 60, 2500, 3);
  g_autoptr (LbRecord) replacement = license_new ("old0000", 3000, 77);

  g_assert_no_error (error);
  if (store == NULL)
    return;
  g_ptr_array_add (batch, g_steal_pointer (&replacement));
  g_setenv ("LB_FAULT", point, TRUE);
  g_print ("writing\n");
  lb_store_put (store, "", (LbRecord *const *) batch->pdata, batch->len, NULL);
  g_print ("put returned\n");
}

static void
test_crash_bulk (gconstpointer data)
{
  const char *point = data;
  gboolean committed = g_str_equal (point, "store-after-commit");
  g_autofree char *tmp = NULL;
  g_autofree char *dir = NULL;
  g_autoptr (LbStore) store = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) old = licenses_new ("old", 30, 2500, 1);
  g_autoptr (GPtrArray) fresh = licenses_new ("new", 60, 2500, 3);
  g_autoptr (LbRecord) replacement = license_new ("old0000", 3000, 77);
  guint64 size_before;

  if (g_test_subprocess ())
    {
      crash_bulk_child (point);
      return;
    }
  tmp = lb_test_make_tmp_dir ("crash-bulk");
  dir = g_build_filename (tmp, "license-backup", NULL);
  store = lb_store_open (dir, APP_ID, &error);
  g_assert_no_error (error);
  if (store == NULL)
    return;
  put_all (store, "", old);
  g_clear_object (&store);
  size_before = path_size (dir, "licenses-1.blobs");
  g_assert_cmpuint (size_before, ==, 30 * 2500);

  g_setenv (CRASH_DIR_ENV, dir, TRUE);
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_unsetenv (CRASH_DIR_ENV);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stdout ("*writing*");
  g_test_trap_assert_stdout_unmatched ("*put returned*");
  /* Killed after its blobs were written, synced or not. */
  g_assert_cmpuint (path_size (dir, "licenses-1.blobs"), ==, size_before + 60 * 2500 + 3000);

  store = lb_store_open (dir, APP_ID, &error);
  g_assert_no_error (error);
  if (store == NULL)
    return;
  if (committed)
    {
      g_assert_cmpuint (lb_store_count (store), ==, 90);
      assert_all_stored (store, "", fresh);
      g_ptr_array_remove_index (old, 0);
      assert_all_stored (store, "", old);
      {
        g_autoptr (LbRecord) got = lb_store_get (store, "", "old0000", &error);
        g_assert_no_error (error);
        assert_bytes_equal (got->blob, replacement->blob);
      }
      g_assert_cmpuint (path_size (dir, "licenses-1.blobs"), ==, size_before + 60 * 2500 + 3000);
    }
  else
    {
      /* The old state, and the torn tail cut. */
      g_assert_cmpuint (lb_store_count (store), ==, 30);
      assert_all_stored (store, "", old);
      g_assert_cmpuint (path_size (dir, "licenses-1.blobs"), ==, size_before);
    }
  g_clear_object (&store);
  lb_test_rm_rf (tmp);
}

/* Reclaiming space */

/* Deleting and replacing licenses leaves dead blobs; CleanLicenseStore
 * (lb_store_clean_expired) copies the live ones into a new file and
 * removes the old one: the space is given back, every license reads
 * back, and new writes go on in the new file. */
static void
test_reclaim_clean (Fixture *f, gconstpointer data)
{
  g_autoptr (GPtrArray) all = licenses_new ("k", 200, 2048, 1);
  g_autoptr (GPtrArray) replaced = licenses_new ("k", 40, 2000, 99);
  g_autoptr (GPtrArray) kept = g_ptr_array_new ();
  g_autoptr (GPtrArray) later = licenses_new ("later", 50, 2048, 5);
  g_autoptr (GError) error = NULL;
  g_autofree char *files = NULL;
  const guint64 live = 120 * 2048 + 40 * 2000;
  guint64 freed = 0;
  guint removed = 99;

  put_all (f->store, "", all);
  /* 40 of 200 deleted, 40 replaced: 80 of 240 blobs dead, a third of the
   * file, less than the half that reclaims by itself. */
  for (guint i = 160; i < 200; i++)
    g_assert_true (lb_store_delete (f->store, "", ((LbRecord *) all->pdata[i])->key_id, &error));
  put_all (f->store, "", replaced);
  g_assert_cmpuint (path_size (f->dir, "licenses-1.blobs"), ==, 200 * 2048 + 40 * 2000);
  g_assert_cmpint (query_db (f->dir, "SELECT live FROM blobs"), ==, live);

  /* What CleanLicenseStore does. */
  g_assert_true (lb_store_clean_expired (f->store, NULL, 1000, &removed, &error));
  g_assert_cmpuint (removed, ==, 0);
  g_assert_true (lb_store_reclaim (f->store, TRUE, &freed, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (freed, ==, 80 * 2048);
  files = blob_files (f->dir);
  g_assert_cmpstr (files, ==, "licenses-2.blobs");
  g_assert_cmpuint (path_size (f->dir, "licenses-2.blobs"), ==, live);
  g_assert_cmpint (query_db (f->dir, "SELECT committed FROM blobs"), ==, live);
  assert_all_stored (f->store, "", replaced);
  for (guint i = 40; i < 160; i++)
    g_ptr_array_add (kept, all->pdata[i]);
  assert_all_stored (f->store, "", kept);

  put_all (f->store, "", later);
  assert_count_after_reopen (f, 210);
  assert_all_stored (f->store, "", kept);
  assert_all_stored (f->store, "", later);
  assert_all_stored (f->store, "", replaced);
  g_clear_pointer (&files, g_free);
  files = blob_files (f->dir);
  g_assert_cmpstr (files, ==, "licenses-2.blobs");

  /* Less than an eighth dead: CleanLicenseStore leaves the file alone, an
   * explicit reclaim of any dead space does not. */
  g_assert_true (lb_store_delete (f->store, "", "later0000", &error));
  g_assert_true (lb_store_reclaim (f->store, TRUE, &freed, &error));
  g_assert_cmpuint (freed, ==, 0);
  g_assert_cmpuint (path_size (f->dir, "licenses-2.blobs"), >, 0);
  g_assert_true (lb_store_reclaim (f->store, FALSE, &freed, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (freed, ==, 2048);
  g_clear_pointer (&files, g_free);
  files = blob_files (f->dir);
  g_assert_cmpstr (files, ==, "licenses-3.blobs");
}

static gboolean
blob_file_is (gpointer data)
{
  const char *const *want = data;
  g_autofree char *files = blob_files (want[0]);

  return g_strcmp0 (files, want[1]) == 0;
}

/* When a write leaves more than half of the file dead (and 1 MiB), the
 * store reclaims by itself, in its own thread. */
static void
test_reclaim_auto (Fixture *f, gconstpointer data)
{
  g_autoptr (GPtrArray) first = licenses_new ("k", 600, 3000, 1);
  g_autoptr (GPtrArray) again = licenses_new ("k", 400, 3000, 50);
  const char *want[] = { f->dir, "licenses-2.blobs" };
  g_autoptr (GError) error = NULL;

  put_all (f->store, "", first);
  /* A third dead: not yet. */
  for (guint i = 400; i < 600; i++)
    g_assert_true (lb_store_delete (f->store, "", ((LbRecord *) first->pdata[i])->key_id, &error));
  g_usleep (200000);
  g_assert_cmpuint (path_size (f->dir, "licenses-1.blobs"), >, 0);
  /* Replacing the 400 others: 3,000,000 of 3,000,000 + 1,200,000 dead. */
  put_all (f->store, "", again);
  g_assert_true (lb_test_wait_until (blob_file_is, want, 10000));
  g_assert_cmpuint (path_size (f->dir, "licenses-2.blobs"), ==, 400 * 3000);
  assert_all_stored (f->store, "", again);
  assert_count_after_reopen (f, 400);
  assert_all_stored (f->store, "", again);
}

typedef struct
{
  LbStore *store;
  gboolean ok;
  guint64 freed;
  GError *error;
} ReclaimRun;

static gpointer
reclaim_thread (gpointer data)
{
  ReclaimRun *r = data;

  r->ok = lb_store_reclaim (r->store, FALSE, &r->freed, &r->error);
  return NULL;
}

/* A restore that waits for the write lock makes a reclaim halfway through
 * its copy give up: the restore goes first, the old file stays in use and
 * whole, the new one goes, and the next reclaim does the work. */
static void
test_reclaim_restore_first (Fixture *f, gconstpointer data)
{
  g_autoptr (GPtrArray) all = licenses_new ("k", 3000, 2048, 1);
  g_autoptr (GPtrArray) restored = licenses_new ("r", 1, 2048, 9);
  g_autoptr (GPtrArray) kept = g_ptr_array_new ();
  const char *copying[] = { f->dir, "licenses-1.blobs licenses-2.blobs" };
  ReclaimRun r = { f->store, FALSE, 99, NULL };
  g_autoptr (LbStoreTxn) txn = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *files = NULL;
  GThread *thread;
  guint64 freed = 0;

  put_all (f->store, "", all);
  /* A third dead: not reclaimed by itself. */
  for (guint i = 0; i < 1000; i++)
    g_assert_true (lb_store_delete (f->store, "", ((LbRecord *) all->pdata[i])->key_id, &error));
  for (guint i = 1000; i < 3000; i++)
    g_ptr_array_add (kept, all->pdata[i]);

  /* The 2,000 live blobs take two chunks of 1,024; each is followed by a
   * pause long enough for the restore to queue for the lock. */
  g_setenv ("LB_FAULT_STALL", "store-reclaim=300", TRUE);
  thread = g_thread_new ("reclaim", reclaim_thread, &r);
  g_assert_true (lb_test_wait_until (blob_file_is, copying, 10000));
  txn = lb_store_txn_begin (f->store, &error);
  g_assert_no_error (error);
  g_assert_true (lb_store_txn_insert (txn, restored->pdata[0], NULL, &error));
  g_assert_true (lb_store_txn_commit (txn, &error));
  g_assert_no_error (error);
  g_thread_join (thread);
  g_unsetenv ("LB_FAULT_STALL");

  g_assert_no_error (r.error);
  g_assert_true (r.ok);
  g_assert_cmpuint (r.freed, ==, 0);
  files = blob_files (f->dir);
  g_assert_cmpstr (files, ==, "licenses-1.blobs");
  assert_all_stored (f->store, "", kept);
  assert_all_stored (f->store, "", restored);

  g_assert_true (lb_store_reclaim (f->store, FALSE, &freed, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (freed, >=, 1000 * 2048);
  g_clear_pointer (&files, g_free);
  files = blob_files (f->dir);
  g_assert_cmpstr (files, ==, "licenses-2.blobs");
  assert_all_stored (f->store, "", kept);
  assert_all_stored (f->store, "", restored);
  assert_count_after_reopen (f, 2001);
}

/* A snapshot taken before a reclaim reads its licenses from the file it
 * began on, removed from the folder under it. */
static void
test_reclaim_snapshot (Fixture *f, gconstpointer data)
{
  g_autoptr (GPtrArray) all = licenses_new ("k", 100, 2048, 1);
  g_autoptr (GError) error = NULL;
  g_autoptr (LbStoreSnapshot) snap = NULL;
  g_autoptr (LbSnapshotCursor) c = NULL;
  g_autofree char *files = NULL;
  guint64 freed = 0;
  guint seen = 0;

  put_all (f->store, "", all);
  snap = lb_store_snapshot_new (f->store, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < 90; i++)
    g_assert_true (lb_store_delete (f->store, "", ((LbRecord *) all->pdata[i])->key_id, &error));
  g_assert_true (lb_store_reclaim (f->store, FALSE, &freed, &error));
  g_assert_no_error (error);
  /* The dead blobs, and the deleted rows' free pages in licenses.db. */
  g_assert_cmpuint (freed, >=, 90 * 2048);
  g_assert_cmpuint (freed, <, 90 * 2048 + 64 * 1024);
  files = blob_files (f->dir);
  g_assert_cmpstr (files, ==, "licenses-2.blobs");

  c = lb_snapshot_cursor_new (snap, LB_SNAPSHOT_ELIGIBLE, 0, &error);
  for (;;)
    {
      g_autoptr (LbRecord) l = NULL;
      const guint8 *digest;

      g_assert_true (lb_snapshot_cursor_next (c, &l, &digest, &error));
      g_assert_no_error (error);
      if (l == NULL)
        break;
      assert_bytes_equal (l->blob, ((LbRecord *) all->pdata[seen])->blob);
      seen++;
    }
  g_assert_cmpuint (seen, ==, 100);
  g_clear_pointer (&c, lb_snapshot_cursor_free);
  g_clear_pointer (&snap, lb_store_snapshot_free);
  g_assert_cmpuint (lb_store_count (f->store), ==, 10);
  g_ptr_array_remove_range (all, 0, 90);
  assert_all_stored (f->store, "", all);
}

/* A reclaim killed before its COMMIT leaves the old file in use (the new
 * one is removed at the next open); after it, the new one (the old one is
 * removed). Either way every license reads back. */
static void
crash_reclaim_child (const char *point)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LbStore) store = lb_store_open (g_getenv (CRASH_DIR_ENV), APP_ID, &error);

  g_assert_no_error (error);
  if (store == NULL)
    return;
  g_setenv ("LB_FAULT", point, TRUE);
  g_print ("reclaiming\n");
  lb_store_reclaim (store, FALSE, NULL, NULL);
  g_print ("reclaim returned\n");
}

static void
test_crash_reclaim (gconstpointer data)
{
  const char *point = data;
  gboolean committed = g_str_equal (point, "reclaim-after-commit");
  g_autofree char *tmp = lb_test_make_tmp_dir ("crash-reclaim");
  g_autofree char *dir = g_build_filename (tmp, "license-backup", NULL);
  g_autoptr (LbStore) store = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) all = licenses_new ("k", 100, 2048, 1);
  g_autofree char *files = NULL;

  if (g_test_subprocess ())
    {
      crash_reclaim_child (point);
      return;
    }
  store = lb_store_open (dir, APP_ID, &error);
  g_assert_no_error (error);
  if (store == NULL)
    return;
  put_all (store, "", all);
  for (guint i = 0; i < 60; i++)
    g_assert_true (lb_store_delete (store, "", ((LbRecord *) all->pdata[i])->key_id, &error));
  g_ptr_array_remove_range (all, 0, 60);
  g_clear_object (&store);

  g_setenv (CRASH_DIR_ENV, dir, TRUE);
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_unsetenv (CRASH_DIR_ENV);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stdout ("*reclaiming*");
  g_test_trap_assert_stdout_unmatched ("*reclaim returned*");
  /* Both files were there when it died. */
  files = blob_files (dir);
  g_assert_cmpstr (files, ==, "licenses-1.blobs licenses-2.blobs");

  store = lb_store_open (dir, APP_ID, &error);
  g_assert_no_error (error);
  if (store == NULL)
    return;
  g_clear_pointer (&files, g_free);
  files = blob_files (dir);
  g_assert_cmpstr (files, ==, committed ? "licenses-2.blobs" : "licenses-1.blobs");
  g_assert_cmpuint (path_size (dir, committed ? "licenses-2.blobs" : "licenses-1.blobs"), ==,
                    committed ? 40 * 2048 : 100 * 2048);
  g_assert_cmpuint (lb_store_count (store), ==, 40);
  assert_all_stored (store, "", all);
  /* And a reclaim after the crash completes. */
  g_assert_true (lb_store_reclaim (store, FALSE, NULL, &error));
  g_assert_no_error (error);
  assert_all_stored (store, "", all);
  g_clear_object (&store);
  lb_test_rm_rf (tmp);
}

/* A store written by the previous version (schema 2; tests/data/v2)
 * upgrades to schema 3 in one step: its rows keep their blobs, attributes,
 * digests and per-app totals; bulk writes then go to the blob file, and
 * replacing and deleting the old licenses keeps the totals exact. */
static void
copy_v2_fixture (const char *dir)
{
  g_autofree char *old = g_test_build_filename (G_TEST_DIST, "data", "v2", "licenses.db", NULL);
  g_autofree char *db_path = g_build_filename (dir, "licenses.db", NULL);
  g_autofree char *contents = NULL;
  g_autoptr (GError) error = NULL;
  gsize len;

  lb_test_rm_rf (dir);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_get_contents (old, &contents, &len, &error));
  g_assert_true (g_file_set_contents (db_path, contents, (gssize) len, &error));
  g_assert_no_error (error);
}

static void
assert_v2_contents (LbStore *store)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LbRecord) l1 = lb_store_get (store, "", "v2-key-1", &error);
  g_autoptr (LbRecord) l2 = lb_store_get (store, "", "v2-key-2", &error);
  g_autoptr (LbRecord) l3 = lb_store_get (store, "org.example.Player", "v2-key-1", &error);
  g_autoptr (GBytes) b1 = blob_new (100, 1);
  g_autoptr (GBytes) b2 = blob_new (3000, 2);
  g_autoptr (GBytes) b3 = blob_new (2000, 3);

  g_assert_no_error (error);
  g_assert_nonnull (l1);
  g_assert_nonnull (l2);
  g_assert_nonnull (l3);
  assert_bytes_equal (l1->blob, b1);
  assert_bytes_equal (l2->blob, b2);
  assert_bytes_equal (l3->blob, b3);
  g_assert_cmpstr (l1->attrs.content_id, ==, "movie-1");
  g_assert_cmpstr (l1->attrs.issuer, ==, "Old Issuer");
  g_assert_false (l2->attrs.can_backup);
  g_assert_cmpint (l2->attrs.expires, ==, 100);
  g_assert_cmpuint (l3->attrs.restore_limit, ==, 3);
  g_assert_cmpstr (l3->attrs.support_url, ==, "https://example.org/support");
  g_assert_cmpstr (l3->attrs.app, ==, "org.example.Player");
}

static void
test_upgrade_v2 (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) apps = NULL;
  g_autoptr (GPtrArray) bulk = licenses_new ("bulk", 50, 2048, 4);
  g_autoptr (LbRecord) replace = license_new ("v2-key-1", 100000, 8);
  g_autoptr (LbRecord) l1 = NULL;
  guint8 digest[LB_DIGEST_LEN];
  guint removed = 0;

  g_clear_object (&f->store);
  copy_v2_fixture (f->dir);
  fixture_reopen (f);
  g_assert_cmpint (query_db (f->dir, "PRAGMA user_version"), ==, 3);
  g_assert_cmpuint (lb_store_count (f->store), ==, 3);
  assert_v2_contents (f->store);
  /* The digest the previous version kept is still the license's. */
  l1 = lb_store_get (f->store, "", "v2-key-1", &error);
  g_assert_no_error (error);
  lb_record_digest (l1, NULL, digest);
  {
    g_autofree char *path = g_build_filename (f->dir, "licenses.db", NULL);
    sqlite3 *db = NULL;
    sqlite3_stmt *stmt = NULL;

    g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_prepare_v2 (
                         db, "SELECT digest FROM licenses WHERE app = '' AND key_id = 'v2-key-1'",
                         -1, &stmt, NULL),
                     ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
    g_assert_cmpmem (sqlite3_column_blob (stmt, 0), sqlite3_column_bytes (stmt, 0), digest,
                     LB_DIGEST_LEN);
    sqlite3_finalize (stmt);
    sqlite3_close (db);
  }
  apps = lb_store_list_apps (f->store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (apps->len, ==, 2);
  g_assert_cmpuint (((LbStoreApp *) apps->pdata[0])->bytes, ==, 3100);
  g_assert_cmpuint (((LbStoreApp *) apps->pdata[1])->bytes, ==, 2000);
  g_clear_pointer (&apps, g_ptr_array_unref);

  /* A bulk write, one replacing an old license from the file. */
  g_ptr_array_add (bulk, g_steal_pointer (&replace));
  put_all (f->store, "", bulk);
  g_assert_cmpuint (path_size (f->dir, "licenses-1.blobs"), ==, 50 * 2048 + 100000);
  g_assert_cmpuint (lb_store_count (f->store), ==, 53);
  apps = lb_store_list_apps (f->store, &error);
  g_assert_cmpuint (((LbStoreApp *) apps->pdata[0])->bytes, ==, 3000 + 50 * 2048 + 100000);
  g_clear_pointer (&apps, g_ptr_array_unref);
  /* The expired one (an old row) cleaned, the others still there. */
  g_assert_true (lb_store_clean_expired (f->store, NULL, 1000, &removed, &error));
  g_assert_cmpuint (removed, ==, 1);
  g_assert_true (lb_store_delete (f->store, "org.example.Player", "v2-key-1", &error));
  g_assert_no_error (error);
  apps = lb_store_list_apps (f->store, &error);
  g_assert_cmpuint (apps->len, ==, 1);
  g_assert_cmpuint (((LbStoreApp *) apps->pdata[0])->bytes, ==, 50 * 2048 + 100000);
  assert_count_after_reopen (f, 51);
  assert_all_stored (f->store, "", bulk);
  g_assert_cmpint (query_db (f->dir, "SELECT live FROM blobs"), ==, 50 * 2048 + 100000);
}

/* The upgrade is one transaction: killed before its COMMIT, the store is
 * schema 2 as the previous version wrote it, and the next start upgrades. */
static void
test_upgrade_v2_crash (gconstpointer data)
{
  g_autofree char *tmp = lb_test_make_tmp_dir ("crash-upgrade");
  g_autofree char *dir = g_build_filename (tmp, "license-backup", NULL);
  g_autoptr (LbStore) store = NULL;
  g_autoptr (GError) error = NULL;

  if (g_test_subprocess ())
    {
      g_setenv ("LB_FAULT", "migrate-v2-before-commit", TRUE);
      g_print ("upgrading\n");
      store = lb_store_open (g_getenv (CRASH_DIR_ENV), APP_ID, &error);
      g_print ("open returned\n");
      return;
    }
  copy_v2_fixture (dir);
  g_setenv (CRASH_DIR_ENV, dir, TRUE);
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_unsetenv (CRASH_DIR_ENV);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stdout ("*upgrading*");
  g_test_trap_assert_stdout_unmatched ("*open returned*");
  g_assert_cmpint (query_db (dir, "PRAGMA user_version"), ==, 2);
  g_assert_cmpint (query_db (dir, "SELECT count(*) FROM pragma_table_info ('licenses')"
                                  " WHERE name = 'boff'"),
                   ==, 0);

  store = lb_store_open (dir, APP_ID, &error);
  g_assert_no_error (error);
  if (store == NULL)
    return;
  g_assert_cmpint (query_db (dir, "PRAGMA user_version"), ==, 3);
  g_assert_cmpuint (lb_store_count (store), ==, 3);
  assert_v2_contents (store);
  g_clear_object (&store);
  lb_test_rm_rf (tmp);
}

/* Attributes */

static GVariant *
parse_one (const char *key, GVariant *value, LbAttributesFlags flags, GError **error)
{
  g_autoptr (GVariant) dict = g_variant_ref_sink (lb_test_vardict_new (key, value, NULL));
  LbAttributes attrs;
  gboolean ok = lb_attributes_parse (dict, flags, &attrs, error);
  GVariant *out = ok ? g_variant_ref_sink (lb_attributes_to_variant (&attrs)) : NULL;

  lb_attributes_clear (&attrs);
  return out;
}

static void
assert_parse_fails (const char *key, GVariant *value, LbAttributesFlags flags)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) out = parse_one (key, value, flags, &error);

  if (out != NULL)
    g_test_fail_printf ("attribute “%s” = %s was accepted", key,
                        g_variant_print (g_variant_ref_sink (value), TRUE));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS);
  if (error != NULL)
    g_assert_cmpstr (error->message, !=, "");
}

static void
test_attributes_defaults (void)
{
  g_autoptr (GVariant) empty = g_variant_ref_sink (lb_test_vardict_new (NULL, NULL));
  g_autoptr (GError) error = NULL;
  LbAttributes attrs;

  g_assert_true (lb_attributes_parse (empty, LB_ATTRIBUTES_CALLER, &attrs, &error));
  g_assert_no_error (error);
  g_assert_null (attrs.content_id);
  g_assert_null (attrs.issuer);
  g_assert_true (attrs.can_backup);
  g_assert_cmpuint (attrs.restore_limit, ==, 0);
  g_assert_cmpint (attrs.expires, ==, 0);
  g_assert_null (attrs.support_url);
  g_assert_cmpuint (attrs.restore_count, ==, 0);
  g_assert_cmpint (attrs.stored, ==, 0);
  g_assert_null (attrs.machine);
  lb_attributes_clear (&attrs);
}

typedef struct
{
  const char *key;
  const char *type;
  gboolean service_kept;
} AttrSpec;

static const AttrSpec attr_specs[] = {
  { "content-id", "s", FALSE },   { "issuer", "s", FALSE },
  { "can-backup", "b", FALSE },   { "restore-limit", "u", FALSE },
  { "expires", "x", FALSE },      { "support-url", "s", FALSE },
  { "restore-count", "u", TRUE }, { "stored", "x", TRUE },
  { "machine", "s", TRUE },       { "app", "s", TRUE },
};

/* A value of every basic type but @type, and a few containers. */
static GPtrArray *
wrong_values (const char *type)
{
  GPtrArray *values = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  GVariant *candidates[] = {
    g_variant_new_string ("1"),    g_variant_new_boolean (TRUE),
    g_variant_new_uint32 (1),      g_variant_new_int32 (1),
    g_variant_new_int64 (1),       g_variant_new_uint64 (1),
    g_variant_new_byte (1),        g_variant_new_int16 (1),
    g_variant_new_double (1),      g_variant_new_object_path ("/a"),
    g_variant_new_signature ("s"), g_variant_new_variant (g_variant_new_string ("1")),
    g_variant_new_strv (NULL, 0),
  };

  for (guint i = 0; i < G_N_ELEMENTS (candidates); i++)
    {
      g_variant_ref_sink (candidates[i]);
      if (!g_str_equal (g_variant_get_type_string (candidates[i]), type))
        g_ptr_array_add (values, candidates[i]);
      else
        g_variant_unref (candidates[i]);
    }
  return values;
}

static void
test_attributes_types (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (attr_specs); i++)
    {
      g_autoptr (GPtrArray) values = wrong_values (attr_specs[i].type);

      for (guint j = 0; j < values->len; j++)
        {
          assert_parse_fails (attr_specs[i].key, values->pdata[j], LB_ATTRIBUTES_CALLER);
          assert_parse_fails (attr_specs[i].key, values->pdata[j], LB_ATTRIBUTES_ALL);
        }
    }
}

static void
test_attributes_right_types (void)
{
  /* Each attribute of its own type parses, and comes back unchanged. */
  struct
  {
    const char *key;
    GVariant *value;
  } cases[] = {
    { "content-id", g_variant_new_string ("urn:content:1") },
    { "issuer", g_variant_new_string ("Issuer Ltd") },
    { "can-backup", g_variant_new_boolean (FALSE) },
    { "restore-limit", g_variant_new_uint32 (G_MAXUINT32) },
    { "expires", g_variant_new_int64 (G_MAXINT64) },
    { "support-url", g_variant_new_string ("https://example.com/") },
    { "restore-count", g_variant_new_uint32 (7) },
    { "stored", g_variant_new_int64 (1700000000) },
    { "machine", g_variant_new_string (APP_ID) },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GVariant) value = g_variant_ref_sink (cases[i].value);
      g_autoptr (GVariant) out = NULL;
      g_autoptr (GVariant) back = NULL;
      gboolean service_kept = i >= 6;

      out = parse_one (cases[i].key, value, LB_ATTRIBUTES_ALL, &error);
      g_assert_no_error (error);
      if (out == NULL)
        continue;
      back = g_variant_lookup_value (out, cases[i].key, NULL);
      g_assert_nonnull (back);
      if (back != NULL)
        g_assert_true (g_variant_equal (back, value));

      g_clear_pointer (&out, g_variant_unref);
      out = parse_one (cases[i].key, value, LB_ATTRIBUTES_CALLER, &error);
      if (service_kept)
        {
          /* The service keeps these: callers cannot set them. */
          g_assert_null (out);
          g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS);
        }
      else
        {
          g_assert_no_error (error);
          g_assert_nonnull (out);
        }
    }
}

static void
test_attributes_unknown_key (void)
{
  assert_parse_fails ("contentid", g_variant_new_string ("x"), LB_ATTRIBUTES_CALLER);
  assert_parse_fails ("Content-Id", g_variant_new_string ("x"), LB_ATTRIBUTES_ALL);
  assert_parse_fails ("", g_variant_new_string ("x"), LB_ATTRIBUTES_ALL);
  assert_parse_fails ("digest", g_variant_new_string ("x"), LB_ATTRIBUTES_ALL);
}

static void
test_attributes_duplicate (void)
{
  g_autoptr (GVariant) dict = g_variant_ref_sink (lb_test_vardict_new (
      "issuer", g_variant_new_string ("a"), "issuer", g_variant_new_string ("b"), NULL));
  g_autoptr (GError) error = NULL;
  LbAttributes attrs;

  g_assert_false (lb_attributes_parse (dict, LB_ATTRIBUTES_ALL, &attrs, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS);
  /* A failed parse leaves the defaults, nothing to leak. */
  g_assert_null (attrs.issuer);
  lb_attributes_clear (&attrs);
}

static void
test_attributes_string_max (void)
{
  const char *keys[] = { "content-id", "issuer", "support-url" };

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      g_autofree char *max = g_strnfill (LB_STRING_ATTR_MAX, 'x');
      g_autofree char *over = g_strnfill (LB_STRING_ATTR_MAX + 1, 'x');
      g_autoptr (GVariant) max_v = g_variant_ref_sink (g_variant_new_string (max));
      g_autoptr (GError) error = NULL;
      g_autoptr (GVariant) out = parse_one (keys[i], max_v, LB_ATTRIBUTES_CALLER, &error);

      g_assert_no_error (error);
      g_assert_nonnull (out);
      assert_parse_fails (keys[i], g_variant_new_string (over), LB_ATTRIBUTES_CALLER);
    }
}

static void
test_attributes_expires_negative (void)
{
  assert_parse_fails ("expires", g_variant_new_int64 (-1), LB_ATTRIBUTES_CALLER);
  assert_parse_fails ("expires", g_variant_new_int64 (G_MININT64), LB_ATTRIBUTES_ALL);
}

static void
test_attributes_not_vardict (void)
{
  g_autoptr (GVariant) wrong = g_variant_ref_sink (g_variant_new_parsed ("{'issuer': 1}"));
  g_autoptr (GError) error = NULL;
  LbAttributes attrs;

  g_assert_false (lb_attributes_parse (wrong, LB_ATTRIBUTES_ALL, &attrs, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS);
  lb_attributes_clear (&attrs);
}

static void
test_attributes_round_trip (void)
{
  LbAttributes attrs, back;
  g_autoptr (GVariant) v = NULL;
  g_autoptr (GError) error = NULL;

  lb_attributes_init (&attrs);
  attrs.content_id = g_strdup ("c");
  attrs.issuer = g_strdup ("i");
  attrs.can_backup = FALSE;
  attrs.restore_limit = 4;
  attrs.expires = 5;
  attrs.support_url = g_strdup ("u");
  attrs.restore_count = 6;
  attrs.stored = 7;
  attrs.machine = g_strdup ("m");
  v = g_variant_ref_sink (lb_attributes_to_variant (&attrs));
  g_assert_true (g_variant_is_of_type (v, G_VARIANT_TYPE_VARDICT));
  g_assert_true (lb_attributes_parse (v, LB_ATTRIBUTES_ALL, &back, &error));
  g_assert_no_error (error);
  assert_attrs_equal (&attrs, &back);
  lb_attributes_clear (&attrs);
  lb_attributes_clear (&back);
}

/* Limits */

static void
assert_key_id_invalid (const char *key_id)
{
  g_autoptr (GError) error = NULL;

  if (lb_key_id_validate (key_id, &error))
    g_test_fail_printf ("key id “%s” (%zu bytes) was accepted", key_id, strlen (key_id));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS);
}

static void
test_key_id_limits (void)
{
  g_autofree char *k256 = g_strnfill (LB_KEY_ID_MAX, 'k');
  g_autofree char *k257 = g_strnfill (LB_KEY_ID_MAX + 1, 'k');
  char printable[0x7f - 0x20 + 1];
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (LB_KEY_ID_MAX, ==, 256);
  for (int c = 0x20; c < 0x7f; c++)
    printable[c - 0x20] = (char) c;
  printable[0x7f - 0x20] = '\0';

  g_assert_true (lb_key_id_validate ("k", &error));
  g_assert_true (lb_key_id_validate (k256, &error));
  g_assert_true (lb_key_id_validate (printable, &error));
  g_assert_no_error (error);

  assert_key_id_invalid ("");
  assert_key_id_invalid (k257);
  assert_key_id_invalid ("tab\there");
  assert_key_id_invalid ("new\nline");
  assert_key_id_invalid ("del\x7f");
  assert_key_id_invalid ("\x01");
  assert_key_id_invalid ("caf\xc3\xa9"); /* valid UTF-8, not ASCII */
  assert_key_id_invalid ("\x80");

  /* The message names the character as the user sees it. */
  g_assert_false (lb_key_id_validate ("caf\xc3\xa9", &error));
  g_assert_cmpstr (error->message, ==,
                   "A key id may hold only printable ASCII characters; “é” at position 4 is "
                   "not one");
  g_clear_error (&error);
  g_assert_false (lb_key_id_validate ("tab\there", &error));
  g_assert_cmpstr (error->message, ==,
                   "A key id may hold only printable ASCII characters; the control character "
                   "U+0009 at position 4 is not one");
  g_clear_error (&error);
  g_assert_false (lb_key_id_validate ("k\x80", &error));
  g_assert_cmpstr (error->message, ==,
                   "A key id may hold only printable ASCII characters; at position 2 is a byte "
                   "that is not text (0x80)");
  g_clear_error (&error);
}

static void
test_blob_limits (void)
{
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (LB_BLOB_MAX, ==, 1024 * 1024);
  g_assert_true (lb_blob_validate (1, &error));
  g_assert_true (lb_blob_validate (LB_BLOB_MAX, &error));
  g_assert_no_error (error);
  g_assert_false (lb_blob_validate (0, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS);
  g_clear_error (&error);
  g_assert_false (lb_blob_validate (LB_BLOB_MAX + 1, &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS);
}

/* Codec */

/* sample_license() encoded today: its size and SHA-256. */
/* Computed independently (Python's struct and hashlib) from the layout in
 * docs/backup-format.md. */
#define SAMPLE_ENCODED_SIZE 423
#define SAMPLE_DIGEST "32e58c4f5a182d892ba316dce981eef8dccaf43973b69620b33332e2545663e9"

static LbRecord *
sample_license (void)
{
  LbRecord *l = license_new ("sample-key", 300, 42);

  l->attrs.content_id = g_strdup ("content");
  l->attrs.issuer = g_strdup ("issuer");
  l->attrs.can_backup = TRUE;
  l->attrs.restore_limit = 2;
  l->attrs.expires = 1893456000;
  l->attrs.support_url = g_strdup ("https://example.com/help");
  l->attrs.restore_count = 1;
  l->attrs.stored = 1700000000;
  l->attrs.machine = g_strdup (APP_ID);
  return l;
}

static void
test_codec_round_trip (void)
{
  g_autoptr (LbRecord) l = sample_license ();
  g_autoptr (LbRecord) minimal = license_new ("m", 1, 0);
  LbRecord *cases[] = { l, minimal };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GBytes) encoded = lb_record_encode (cases[i]);
      g_autoptr (GBytes) again = NULL;
      g_autoptr (LbRecord) decoded = NULL;
      g_autoptr (GError) error = NULL;

      decoded = lb_record_decode (encoded, &error);
      g_assert_no_error (error);
      g_assert_nonnull (decoded);
      if (decoded == NULL)
        continue;
      g_assert_cmpstr (decoded->key_id, ==, cases[i]->key_id);
      assert_bytes_equal (decoded->blob, cases[i]->blob);
      assert_attrs_equal (&decoded->attrs, &cases[i]->attrs);
      again = lb_record_encode (decoded);
      assert_bytes_equal (again, encoded);
    }
}

static void
test_codec_max_size (void)
{
  g_autofree char *key = g_strnfill (LB_KEY_ID_MAX, 'k');
  g_autofree char *s = g_strnfill (LB_STRING_ATTR_MAX, 's');
  g_autoptr (LbRecord) l = license_new (key, LB_BLOB_MAX, 3);
  g_autoptr (GBytes) encoded = NULL;
  g_autoptr (LbRecord) decoded = NULL;
  g_autoptr (GError) error = NULL;

  /* The largest license there can be still fits LB_ENCODED_MAX. */
  l->attrs.content_id = g_strdup (s);
  l->attrs.issuer = g_strdup (s);
  l->attrs.support_url = g_strdup (s);
  l->attrs.machine = g_strdup (s);
  l->attrs.expires = G_MAXINT64;
  encoded = lb_record_encode (l);
  g_assert_cmpuint (g_bytes_get_size (encoded), <=, LB_ENCODED_MAX);
  decoded = lb_record_decode (encoded, &error);
  g_assert_no_error (error);
  g_assert_nonnull (decoded);
}

static void
test_codec_order_independent (void)
{
  g_autoptr (GVariant) d1 = g_variant_ref_sink (lb_test_vardict_new (
      "issuer", g_variant_new_string ("i"), "content-id", g_variant_new_string ("c"), "can-backup",
      g_variant_new_boolean (TRUE), NULL));
  g_autoptr (GVariant) d2 = g_variant_ref_sink (
      lb_test_vardict_new ("can-backup", g_variant_new_boolean (TRUE), "content-id",
                           g_variant_new_string ("c"), "issuer", g_variant_new_string ("i"), NULL));
  g_autoptr (LbRecord) a = license_new ("k", 10, 1);
  g_autoptr (LbRecord) b = license_new ("k", 10, 1);
  g_autoptr (GBytes) ea = NULL;
  g_autoptr (GBytes) eb = NULL;
  g_autoptr (GError) error = NULL;

  /* Equal licenses encode to equal bytes, however their attributes came. */
  g_assert_true (lb_attributes_parse (d1, LB_ATTRIBUTES_CALLER, &a->attrs, &error));
  g_assert_true (lb_attributes_parse (d2, LB_ATTRIBUTES_CALLER, &b->attrs, &error));
  g_assert_no_error (error);
  ea = lb_record_encode (a);
  eb = lb_record_encode (b);
  assert_bytes_equal (ea, eb);
}

static void
assert_decode_corrupt (GBytes *bytes, const char *what)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LbRecord) l = lb_record_decode (bytes, &error);

  if (l != NULL)
    g_test_fail_printf ("%s decoded as a license", what);
  g_assert_error (error, LB_ERROR, LB_ERROR_BACKUP_CORRUPT);
  if (error != NULL)
    g_assert_cmpstr (error->message, !=, "");
}

static void
test_codec_garbage (void)
{
  g_autoptr (LbRecord) l = sample_license ();
  g_autoptr (GBytes) good = lb_record_encode (l);
  gsize good_len;
  const guint8 *good_data = g_bytes_get_data (good, &good_len);
  g_autoptr (GRand) rand = g_rand_new_with_seed (20240601);

  {
    g_autoptr (GBytes) empty = g_bytes_new (NULL, 0);
    assert_decode_corrupt (empty, "nothing");
  }
  {
    g_autoptr (GBytes) text = g_bytes_new_static ("hello, world", 12);
    assert_decode_corrupt (text, "text");
  }
  {
    guint8 ones[200];
    g_autoptr (GBytes) bytes = NULL;

    memset (ones, 0xff, sizeof ones);
    bytes = g_bytes_new (ones, sizeof ones);
    assert_decode_corrupt (bytes, "0xff bytes");
  }
  for (guint i = 0; i < 50; i++)
    {
      gsize len = (gsize) g_rand_int_range (rand, 1, 2000);
      guint8 *data = g_malloc (len);
      g_autoptr (GBytes) bytes = NULL;
      g_autofree char *what = g_strdup_printf ("random bytes #%u", i);

      for (gsize j = 0; j < len; j++)
        data[j] = (guint8) g_rand_int (rand);
      bytes = g_bytes_new_take (data, len);
      assert_decode_corrupt (bytes, what);
    }
  /* Every truncation of a valid encoding. */
  for (gsize len = 0; len < good_len; len++)
    {
      g_autoptr (GBytes) bytes = g_bytes_new (good_data, len);
      g_autofree char *what = g_strdup_printf ("the encoding cut to %zu bytes", len);

      assert_decode_corrupt (bytes, what);
    }
  /* Too large to be a license, whatever it holds. */
  {
    g_autofree guint8 *zeros = g_malloc0 (LB_ENCODED_MAX + 1);
    g_autoptr (GBytes) bytes = g_bytes_new (zeros, LB_ENCODED_MAX + 1);

    assert_decode_corrupt (bytes, "an over-long entry");
  }
  /* One byte more than the blob's declared size. */
  {
    guint8 *data = g_malloc (good_len + 1);
    g_autoptr (GBytes) bytes = NULL;

    memcpy (data, good_data, good_len);
    data[good_len] = 0;
    bytes = g_bytes_new_take (data, good_len + 1);
    assert_decode_corrupt (bytes, "a trailing byte");
  }
}

/* Patches @value at @offset into a copy of @good. */
static GBytes *
patched (GBytes *good, gsize offset, const void *value, gsize len)
{
  gsize good_len;
  const guint8 *good_data = g_bytes_get_data (good, &good_len);
  guint8 *data = g_memdup2 (good_data, good_len);

  g_assert_cmpuint (offset + len, <=, good_len);
  memcpy (data + offset, value, len);
  return g_bytes_new_take (data, good_len);
}

/* Encodes a license without the checks of lb_record_encode's callers, so
 * that its fields may break the limits. */
static GBytes *
encode_raw (const char *key_id, gsize blob_size)
{
  g_autoptr (LbRecord) l = license_new (key_id, blob_size, 1);
  return lb_record_encode (l);
}

/* Offsets in the encoding of a license with a 1-byte key id and no
 * strings (docs/backup-format.md): magic 4, key 2 + 1, flags, present,
 * restore-limit 4, expires 8, restore-count 4, stored 8, blob size 4. */
#define OFF_FLAGS 7
#define OFF_PRESENT 8
#define OFF_EXPIRES 13

static void
test_codec_invalid_content (void)
{
  g_autofree char *k257 = g_strnfill (LB_KEY_ID_MAX + 1, 'k');
  g_autoptr (GBytes) good = encode_raw ("k", 10);
  const guint8 reserved_flag = 0x03, reserved_present = 0x10,
               negative[8] = { 0xfb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
  const char bad_magic[] = "XBL1";
  struct
  {
    const char *what;
    GBytes *bytes;
  } cases[] = {
    { "an empty key id", encode_raw ("", 10) },
    { "a 257-byte key id", encode_raw (k257, 10) },
    { "a key id with a tab", encode_raw ("a\tb", 10) },
    { "an empty blob", encode_raw ("k", 0) },
    { "a blob of 1 MiB + 1", encode_raw ("k", LB_BLOB_MAX + 1) },
    { "a reserved flag bit", patched (good, OFF_FLAGS, &reserved_flag, 1) },
    { "a reserved attribute bit", patched (good, OFF_PRESENT, &reserved_present, 1) },
    { "a negative expiry", patched (good, OFF_EXPIRES, negative, 8) },
    { "another magic", patched (good, 0, bad_magic, 4) },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      assert_decode_corrupt (cases[i].bytes, cases[i].what);
      g_bytes_unref (cases[i].bytes);
    }

  /* Strings: a NUL byte and invalid UTF-8 in the issuer. */
  {
    g_autoptr (LbRecord) l = license_new ("k", 10, 1);
    g_autoptr (GBytes) with_issuer = NULL;
    gsize len;
    const guint8 *data;
    const guint8 *at;
    const guint8 nul = 0, invalid = 0xff;

    l->attrs.issuer = g_strdup ("abc");
    with_issuer = lb_record_encode (l);
    data = g_bytes_get_data (with_issuer, &len);
    at = memmem (data, len, "abc", 3);
    g_assert_nonnull (at);
    {
      g_autoptr (GBytes) b1 = patched (with_issuer, (gsize) (at - data) + 1, &nul, 1);
      g_autoptr (GBytes) b2 = patched (with_issuer, (gsize) (at - data) + 1, &invalid, 1);
      assert_decode_corrupt (b1, "a NUL in a string");
      assert_decode_corrupt (b2, "invalid UTF-8 in a string");
    }
  }
}

static char *
digest_hex (GBytes *bytes)
{
  guint8 digest[LB_DIGEST_LEN];
  GString *hex = g_string_new (NULL);

  lb_digest (bytes, digest);
  for (guint i = 0; i < LB_DIGEST_LEN; i++)
    g_string_append_printf (hex, "%02x", digest[i]);
  return g_string_free (hex, FALSE);
}

static void
test_codec_digest (void)
{
  g_autoptr (LbRecord) l = sample_license ();
  g_autoptr (LbRecord) same = sample_license ();
  g_autoptr (LbRecord) other = sample_license ();
  g_autoptr (GBytes) encoded = lb_record_encode (l);
  g_autoptr (GBytes) encoded_same = lb_record_encode (same);
  g_autoptr (GBytes) encoded_other = NULL;
  g_autofree char *hex = digest_hex (encoded);
  g_autofree char *hex_same = digest_hex (encoded_same);
  g_autofree char *hex_other = NULL;
  g_autofree char *sha256 = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, encoded);

  /* The SHA-256 of the canonical encoding... */
  g_assert_cmpstr (hex, ==, sha256);
  /* ...equal for equal licenses... */
  g_assert_cmpstr (hex, ==, hex_same);
  /* ...and different when anything differs. */
  other->attrs.restore_count++;
  encoded_other = lb_record_encode (other);
  hex_other = digest_hex (encoded_other);
  g_assert_cmpstr (hex, !=, hex_other);

  /* Backups carry these digests, so the encoding must not change between
   * versions: this is the digest of sample_license() today. */
  g_assert_cmpuint (g_bytes_get_size (encoded), ==, SAMPLE_ENCODED_SIZE);
  g_assert_cmpstr (hex, ==, SAMPLE_DIGEST);
}

/* Machine id */

#define MACHINE_ID_1 "5f3e9a0c2b7d41e8a6c4d2f0b1e3c5a7"
#define MACHINE_ID_2 "0123456789abcdef0123456789abcdef"
/* HMAC-SHA256 (key = MACHINE_ID_1, data = the application id), truncated
 * and shaped as a v4 UUID; checked independently with Python's hmac. */
#define MACHINE_APP_ID_1 "0f11906815b64ef78e6afdf4d31a978a"

static void
assert_app_id_shape (const char *id)
{
  g_assert_nonnull (id);
  if (id == NULL)
    return;
  g_assert_cmpuint (strlen (id), ==, 32);
  for (guint i = 0; i < 32; i++)
    if (!g_ascii_isxdigit (id[i]) || g_ascii_isupper (id[i]))
      g_test_fail_printf ("“%s” is not 32 lowercase hex digits", id);
  /* Shaped as a v4 UUID, as sd_id128_get_machine_app_specific(). */
  g_assert_cmpint (id[12], ==, '4');
  g_assert_nonnull (strchr ("89ab", id[16]));
}

static void
test_machine_app_id (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *a = lb_machine_app_id (MACHINE_ID_1, &error);
  g_autofree char *a_again = lb_machine_app_id (MACHINE_ID_1, &error);
  g_autofree char *a_upper = NULL;
  g_autofree char *b = lb_machine_app_id (MACHINE_ID_2, &error);
  g_autofree char *upper = g_ascii_strup (MACHINE_ID_1, -1);

  g_assert_no_error (error);
  assert_app_id_shape (a);
  assert_app_id_shape (b);
  g_assert_cmpstr (a, ==, a_again);
  g_assert_cmpstr (a, !=, b);
  /* Never the raw id, nor something that contains it. */
  g_assert_cmpint (g_ascii_strcasecmp (a, MACHINE_ID_1), !=, 0);
  g_assert_cmpint (g_ascii_strcasecmp (b, MACHINE_ID_2), !=, 0);
  /* The id is a number: its case does not matter. */
  a_upper = lb_machine_app_id (upper, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (a, ==, a_upper);
  /* Stable across versions: backups record it. */
  g_assert_cmpstr (a, ==, MACHINE_APP_ID_1);

  for (guint i = 0; i < 20; i++)
    {
      g_autofree char *raw = g_strdup_printf ("%08x%08x%08x%08x", g_test_rand_int (),
                                              g_test_rand_int (), g_test_rand_int (), i);
      g_autofree char *derived = lb_machine_app_id (raw, &error);

      g_assert_no_error (error);
      assert_app_id_shape (derived);
      if (derived != NULL)
        g_assert_cmpstr (derived, !=, raw);
    }
}

static void
test_machine_app_id_bad (void)
{
  const char *bad[] = {
    "",
    "5f3e9a0c2b7d41e8a6c4d2f0b1e3c5a",   /* 31 */
    "5f3e9a0c2b7d41e8a6c4d2f0b1e3c5a77", /* 33 */
    "5f3e9a0c2b7d41e8a6c4d2f0b1e3c5ag",  /* not hex */
    "5f3e9a0c-2b7d-41e8-a6c4-d2f0b1e3c5a7",
    " 5f3e9a0c2b7d41e8a6c4d2f0b1e3c5a7",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *id = lb_machine_app_id (bad[i], &error);

      if (id != NULL)
        g_test_fail_printf ("machine id “%s” was accepted", bad[i]);
      g_assert_error (error, LB_ERROR, LB_ERROR_FAILED);
    }
}

static void
test_machine_app_id_from_file (void)
{
  g_autofree char *tmp = lb_test_make_tmp_dir ("machine-id");
  g_autofree char *path = g_build_filename (tmp, "machine-id", NULL);
  g_autofree char *missing = g_build_filename (tmp, "missing", NULL);
  g_autofree char *expected = lb_machine_app_id (MACHINE_ID_1, NULL);
  const char *good_contents[] = { MACHINE_ID_1 "\n", MACHINE_ID_1, "  " MACHINE_ID_1 " \n\n" };
  const char *bad_contents[] = { "", "\n", "uninitialized\n", "5f3e9a0c2b7d41e8a6c4d2f0b1e3c5a\n",
                                 MACHINE_ID_1 MACHINE_ID_1 "\n" };

  for (guint i = 0; i < G_N_ELEMENTS (good_contents); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *id = NULL;

      g_file_set_contents (path, good_contents[i], -1, &error);
      id = lb_machine_app_id_from_file (path, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (id, ==, expected);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad_contents); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *id = NULL;

      g_file_set_contents (path, bad_contents[i], -1, &error);
      id = lb_machine_app_id_from_file (path, &error);
      if (id != NULL)
        g_test_fail_printf ("a machine-id file holding “%s” was accepted", bad_contents[i]);
      g_assert_error (error, LB_ERROR, LB_ERROR_FAILED);
    }
  {
    g_autoptr (GError) error = NULL;
    g_autofree char *id = lb_machine_app_id_from_file (missing, &error);

    g_assert_null (id);
    assert_error_naming (error, LB_ERROR_FAILED, missing);
  }
  {
    /* A directory is not a machine-id file. */
    g_autoptr (GError) error = NULL;
    g_autofree char *id = lb_machine_app_id_from_file (tmp, &error);

    g_assert_null (id);
    g_assert_error (error, LB_ERROR, LB_ERROR_FAILED);
  }
  lb_test_rm_rf (tmp);
}

/* Per-app licenses */

#define APP_A "org.example.PlayerA"
#define APP_B "org.example.PlayerB"

static gboolean
put_app (LbStore *store, const char *app, LbRecord *license, GError **error)
{
  return lb_store_put (store, app, &license, 1, error);
}

static void
test_apps_same_key (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  assert_put_new (f->store, "", "k", 10, 1);
  assert_put_new (f->store, APP_A, "k", 20, 2);
  /* Two licenses, each its app's. */
  g_assert_cmpuint (lb_store_count (f->store), ==, 2);
  g_autoptr (LbRecord) got_host = lb_store_get (f->store, "", "k", &error);
  g_autoptr (LbRecord) got_a = lb_store_get (f->store, APP_A, "k", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (got_host->blob), ==, 10);
  g_assert_null (got_host->attrs.app);
  g_assert_cmpuint (g_bytes_get_size (got_a->blob), ==, 20);
  g_assert_cmpstr (got_a->attrs.app, ==, APP_A);
  /* Another app's key id does not exist for B. */
  g_autoptr (LbRecord) gone = lb_store_get (f->store, APP_B, "k", &error);
  g_assert_null (gone);
  g_assert_error (error, LB_ERROR, LB_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (lb_store_delete (f->store, APP_B, "k", &error));
  g_assert_error (error, LB_ERROR, LB_ERROR_NOT_FOUND);
  g_clear_error (&error);
  /* Deleting A's leaves the host's. */
  g_assert_true (lb_store_delete (f->store, APP_A, "k", &error));
  g_assert_no_error (error);
  g_clear_pointer (&got_host, lb_record_free);
  got_host = lb_store_get (f->store, "", "k", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (lb_store_count (f->store), ==, 1);
}

static void
test_apps_list (Fixture *f, gconstpointer data)
{
  const struct
  {
    const char *app, *key;
  } want[] = {
    { "", "h1" }, { "", "h2" }, { APP_A, "a1" }, { APP_A, "h1" }, { APP_B, "b1" },
  };
  g_autofree char *after_app = g_strdup ("");
  g_autofree char *after_key = g_strdup ("");
  g_autoptr (GPtrArray) apps = NULL;
  g_autoptr (GPtrArray) only_a = NULL;
  g_autoptr (GError) error = NULL;
  guint seen = 0;

  /* Stored out of order, in three apps. */
  for (int i = G_N_ELEMENTS (want) - 1; i >= 0; i--)
    {
      g_autoptr (LbRecord) l = license_new (want[i].key, 5 + (gsize) i, (guint8) i);
      g_assert_true (put_app (f->store, want[i].app, l, &error));
      g_assert_no_error (error);
    }
  /* Every app's, two at a time, in (app, key) order. */
  for (;;)
    {
      g_autofree char *next_app = NULL;
      g_autofree char *next_key = NULL;
      g_autoptr (GPtrArray) page
          = lb_store_list (f->store, NULL, after_app, after_key, 2, &next_app, &next_key, &error);

      g_assert_no_error (error);
      for (guint i = 0; i < page->len; i++, seen++)
        {
          LbRecord *l = page->pdata[i];
          g_assert_cmpuint (seen, <, G_N_ELEMENTS (want));
          g_assert_cmpstr (l->attrs.app != NULL ? l->attrs.app : "", ==, want[seen].app);
          g_assert_cmpstr (l->key_id, ==, want[seen].key);
        }
      if (next_key[0] == '\0')
        break;
      g_free (after_app);
      g_free (after_key);
      after_app = g_steal_pointer (&next_app);
      after_key = g_steal_pointer (&next_key);
    }
  g_assert_cmpuint (seen, ==, G_N_ELEMENTS (want));

  /* One app's. */
  {
    g_autofree char *next_app = NULL;
    g_autofree char *next_key = NULL;
    only_a = lb_store_list (f->store, APP_A, "", "", 10, &next_app, &next_key, &error);
  }
  g_assert_no_error (error);
  g_assert_cmpuint (only_a->len, ==, 2);
  g_assert_cmpstr (((LbRecord *) only_a->pdata[0])->key_id, ==, "a1");
  g_assert_cmpstr (((LbRecord *) only_a->pdata[1])->key_id, ==, "h1");

  /* The apps with their counts and sizes. */
  apps = lb_store_list_apps (f->store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (apps->len, ==, 3);
  g_assert_cmpstr (((LbStoreApp *) apps->pdata[0])->app, ==, "");
  g_assert_cmpuint (((LbStoreApp *) apps->pdata[0])->licenses, ==, 2);
  g_assert_cmpuint (((LbStoreApp *) apps->pdata[0])->bytes, ==, 5 + 6);
  g_assert_cmpstr (((LbStoreApp *) apps->pdata[1])->app, ==, APP_A);
  g_assert_cmpuint (((LbStoreApp *) apps->pdata[1])->bytes, ==, 7 + 8);
  g_assert_cmpstr (((LbStoreApp *) apps->pdata[2])->app, ==, APP_B);
  g_assert_cmpuint (((LbStoreApp *) apps->pdata[2])->licenses, ==, 1);
  g_clear_pointer (&apps, g_ptr_array_unref);

  /* An app whose last license goes is no longer listed. */
  g_assert_true (lb_store_delete (f->store, APP_B, "b1", &error));
  apps = lb_store_list_apps (f->store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (apps->len, ==, 2);
}

static void
test_apps_limits (Fixture *f, gconstpointer data)
{
  g_autoptr (GPtrArray) batch = g_ptr_array_new_with_free_func ((GDestroyNotify) lb_record_free);
  g_autoptr (LbRecord) fourth = license_new ("k4", 10, 4);
  g_autoptr (LbRecord) replace = license_new ("k1", 30, 9);
  g_autoptr (LbRecord) big = license_new ("k1", 91, 9);
  g_autoptr (LbRecord) other = license_new ("k4", 10, 4);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) apps = NULL;

  lb_store_set_app_limits (f->store, 3, 100);
  for (guint i = 1; i <= 3; i++)
    {
      g_autofree char *key = g_strdup_printf ("k%u", i);
      g_ptr_array_add (batch, license_new (key, 10, (guint8) i));
    }
  g_assert_true (
      lb_store_put (f->store, APP_A, (LbRecord *const *) batch->pdata, batch->len, &error));
  g_assert_no_error (error);

  /* A fourth license is over the count: refused, with the limit named. */
  g_assert_false (put_app (f->store, APP_A, fourth, &error));
  assert_error_naming (error, LB_ERROR_NO_SPACE, "3");
  g_assert_nonnull (strstr (error->message, APP_A));
  g_clear_error (&error);
  g_assert_cmpuint (lb_store_count (f->store), ==, 3);

  /* Replacing is not adding; a bigger blob counts its bytes. */
  g_assert_true (put_app (f->store, APP_A, replace, &error));
  g_assert_no_error (error);
  g_assert_false (put_app (f->store, APP_A, big, &error));
  assert_error_naming (error, LB_ERROR_NO_SPACE, "100 bytes");
  g_clear_error (&error);

  /* Nothing of the refused writes was kept: still 30 + 10 + 10 bytes. */
  apps = lb_store_list_apps (f->store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (apps->len, ==, 1);
  g_assert_cmpuint (((LbStoreApp *) apps->pdata[0])->licenses, ==, 3);
  g_assert_cmpuint (((LbStoreApp *) apps->pdata[0])->bytes, ==, 50);

  /* Another app has limits of its own. */
  g_assert_true (put_app (f->store, APP_B, other, &error));
  g_assert_no_error (error);
}

/* A store written by 0.1.0 (schema 1; tests/data/v1) opens as schema 3
 * (through 2) with every license in the host namespace, attributes and digests kept. */
static void
test_apps_upgrade_v1 (Fixture *f, gconstpointer data)
{
  g_autofree char *old = g_test_build_filename (G_TEST_DIST, "data", "v1", "licenses.db", NULL);
  g_autofree char *db_path = NULL;
  g_autofree char *contents = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (LbRecord) l1 = NULL;
  g_autoptr (LbRecord) l2 = NULL;
  g_autoptr (LbRecord) mine = license_new ("old-key-1", 4, 1);
  g_autoptr (GPtrArray) apps = NULL;
  gsize len;
  guint8 digest[LB_DIGEST_LEN];
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;

  g_clear_object (&f->store);
  lb_test_rm_rf (f->dir);
  g_assert_cmpint (g_mkdir_with_parents (f->dir, 0700), ==, 0);
  db_path = g_build_filename (f->dir, "licenses.db", NULL);
  g_assert_true (g_file_get_contents (old, &contents, &len, &error));
  g_assert_true (g_file_set_contents (db_path, contents, (gssize) len, &error));
  g_assert_no_error (error);
  fixture_reopen (f);

  g_assert_cmpuint (lb_store_count (f->store), ==, 3);
  apps = lb_store_list_apps (f->store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (apps->len, ==, 1);
  g_assert_cmpstr (((LbStoreApp *) apps->pdata[0])->app, ==, "");
  g_assert_cmpuint (((LbStoreApp *) apps->pdata[0])->licenses, ==, 3);
  g_assert_cmpuint (((LbStoreApp *) apps->pdata[0])->bytes, ==, 3 + 4 + 1);

  l1 = lb_store_get (f->store, "", "old-key-1", &error);
  g_assert_no_error (error);
  g_assert_null (l1->attrs.app);
  g_assert_cmpstr (l1->attrs.issuer, ==, "Old Issuer");
  g_assert_cmpstr (l1->attrs.content_id, ==, "movie-1");
  g_assert_cmpmem (g_bytes_get_data (l1->blob, NULL), 3, "\1\2\3", 3);
  l2 = lb_store_get (f->store, "", "old-key-2", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (l2->attrs.restore_limit, ==, 3);
  g_assert_cmpstr (l2->attrs.support_url, ==, "https://example.org/support");

  /* The digest kept by 0.1.0 is still the digest of the license. */
  lb_record_digest (l1, NULL, digest);
  g_assert_cmpint (sqlite3_open_v2 (db_path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT digest FROM licenses WHERE key_id = 'old-key-1'",
                                       -1, &stmt, NULL),
                   ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpmem (sqlite3_column_blob (stmt, 0), sqlite3_column_bytes (stmt, 0), digest,
                   LB_DIGEST_LEN);
  sqlite3_finalize (stmt);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA user_version", -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpint (sqlite3_column_int (stmt, 0), ==, 3);
  sqlite3_finalize (stmt);
  sqlite3_close (db);

  /* The upgraded store works as a new one: an app may use the same key. */
  g_assert_true (put_app (f->store, APP_A, mine, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (lb_store_count (f->store), ==, 4);
  /* And it opens again without another upgrade. */
  assert_count_after_reopen (f, 4);
}

static void
test_apps_clean_one_app (Fixture *f, gconstpointer data)
{
  const gint64 now = 2000000000;
  g_autoptr (LbRecord) host = license_new_full ("x", 8, 1, NULL, now - 1);
  g_autoptr (LbRecord) a = license_new_full ("x", 8, 1, NULL, now - 1);
  g_autoptr (GError) error = NULL;
  guint removed = 0;

  g_assert_true (put_one (f->store, host, &error));
  g_assert_true (put_app (f->store, APP_A, a, &error));
  g_assert_true (lb_store_clean_expired (f->store, APP_A, now, &removed, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (removed, ==, 1);
  g_assert_cmpuint (lb_store_count (f->store), ==, 1);
  g_assert_true (lb_store_clean_expired (f->store, NULL, now, &removed, &error));
  g_assert_cmpuint (removed, ==, 1);
  g_assert_cmpuint (lb_store_count (f->store), ==, 0);
}

static void
test_app_id_validate (void)
{
  const char *good[] = { "", "org.example.Player", "snap.vlc", "com.x_y.A-b", NULL };
  const char *bad[] = { "player",  ".org.x", "org..x",        "org.x.", "a/b.c",
                        "org.x y", "snap.",  "org.ex\nample", NULL };

  for (guint i = 0; good[i] != NULL; i++)
    g_assert_true (lb_app_id_validate (good[i], NULL));
  for (guint i = 0; bad[i] != NULL; i++)
    {
      g_autoptr (GError) error = NULL;
      g_assert_false (lb_app_id_validate (bad[i], &error));
      g_assert_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS);
    }
}

int
main (int argc, char **argv)
{
  lb_test_init (&argc, &argv);

  ADD ("/store/open/creates-private-dir", test_open_creates_private_dir);
  ADD ("/store/open/unwritable", test_open_unwritable);
  ADD ("/store/open/newer-schema", test_open_newer_schema);
  ADD ("/store/put-get", test_put_get);
  ADD ("/store/put-sets-service-attributes", test_put_sets_service_attributes);
  ADD ("/store/replace", test_replace);
  ADD ("/store/delete", test_delete);
  ADD ("/store/get-not-found", test_get_not_found);
  ADD ("/store/count", test_count);
  ADD ("/store/bulk-same-key-twice", test_bulk_same_key_twice);
  ADD ("/store/max-blob-round-trip", test_max_blob_round_trip);
  ADD ("/store/list/pages", test_list_pages);
  ADD ("/store/list/exact-multiple", test_list_exact_multiple);
  ADD ("/store/list/empty", test_list_empty);
  ADD ("/store/list/byte-order", test_list_byte_order);
  ADD ("/store/list/changes-between-pages", test_list_changes_between_pages);
  ADD ("/store/clean-expired", test_clean_expired);
  ADD ("/store/apps/same-key", test_apps_same_key);
  ADD ("/store/apps/list", test_apps_list);
  ADD ("/store/apps/limits", test_apps_limits);
  ADD ("/store/apps/upgrade-v1", test_apps_upgrade_v1);
  ADD ("/store/apps/clean-one-app", test_apps_clean_one_app);
  g_test_add_func ("/license/app-id", test_app_id_validate);
  ADD ("/store/wal/cut-back", test_wal_cut_back);
  ADD ("/store/blobs/bulk-in-file", test_blobs_bulk_in_file);
  ADD ("/store/blobs/rollback-cut", test_blobs_rollback_cut);
  ADD ("/store/blobs/torn-tail", test_blobs_torn_tail);
  ADD ("/store/blobs/truncated", test_blobs_truncated);
  ADD ("/store/reclaim/clean", test_reclaim_clean);
  ADD ("/store/reclaim/auto", test_reclaim_auto);
  ADD ("/store/reclaim/snapshot", test_reclaim_snapshot);
  ADD ("/store/reclaim/restore-first", test_reclaim_restore_first);
  ADD ("/store/upgrade-v2", test_upgrade_v2);
  ADD ("/store/wal/removed-on-close", test_wal_removed_on_close);
  g_test_add_data_func ("/store/crash/before-commit", "store-before-commit", test_crash);
  g_test_add_data_func ("/store/crash/after-commit", "store-after-commit", test_crash);
  g_test_add_data_func ("/store/crash/bulk-before-commit", "store-before-commit", test_crash_bulk);
  g_test_add_data_func ("/store/crash/bulk-after-commit", "store-after-commit", test_crash_bulk);
  g_test_add_data_func ("/store/crash/reclaim-before-commit", "reclaim-before-commit",
                        test_crash_reclaim);
  g_test_add_data_func ("/store/crash/reclaim-after-commit", "reclaim-after-commit",
                        test_crash_reclaim);
  g_test_add_data_func ("/store/crash/upgrade-v2", NULL, test_upgrade_v2_crash);

  g_test_add_func ("/license/attributes/defaults", test_attributes_defaults);
  g_test_add_func ("/license/attributes/wrong-types", test_attributes_types);
  g_test_add_func ("/license/attributes/right-types", test_attributes_right_types);
  g_test_add_func ("/license/attributes/unknown-key", test_attributes_unknown_key);
  g_test_add_func ("/license/attributes/duplicate", test_attributes_duplicate);
  g_test_add_func ("/license/attributes/string-max", test_attributes_string_max);
  g_test_add_func ("/license/attributes/expires-negative", test_attributes_expires_negative);
  g_test_add_func ("/license/attributes/not-vardict", test_attributes_not_vardict);
  g_test_add_func ("/license/attributes/round-trip", test_attributes_round_trip);
  g_test_add_func ("/license/attributes/expired", test_attributes_expired);
  g_test_add_func ("/license/key-id-limits", test_key_id_limits);
  g_test_add_func ("/license/blob-limits", test_blob_limits);
  g_test_add_func ("/license/codec/round-trip", test_codec_round_trip);
  g_test_add_func ("/license/codec/max-size", test_codec_max_size);
  g_test_add_func ("/license/codec/order-independent", test_codec_order_independent);
  g_test_add_func ("/license/codec/garbage", test_codec_garbage);
  g_test_add_func ("/license/codec/invalid-content", test_codec_invalid_content);
  g_test_add_func ("/license/codec/digest", test_codec_digest);

  g_test_add_func ("/machine-id/app-id", test_machine_app_id);
  g_test_add_func ("/machine-id/bad", test_machine_app_id_bad);
  g_test_add_func ("/machine-id/from-file", test_machine_app_id_from_file);

  return g_test_run ();
}
