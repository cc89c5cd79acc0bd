/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Integration tests of license-backupd: the real daemon, spawned on a
 * private bus, seen only through D-Bus and the files it leaves behind.
 *
 * Tests are grouped (/daemon/<group>/...); meson runs each group as its
 * own test so that groups run in parallel (see tests/meson.build).
 */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lb-test-util.h"
#include "machine-id.h"

/* The limits of the Store API, from its documentation. */
#define KEY_ID_MAX 256
#define BLOB_MAX (1024 * 1024)
#define BULK_MAX_LICENSES 10000
#define BULK_MAX_BYTES (64 * 1024 * 1024)
#define LIST_LIMIT_MAX 10000

/* Fixture */

typedef struct
{
  LbTestBus *bus;
  LbTestMachine *machine;
  LbTestDaemon *daemon;
  LbDBusStore *store;
  LbDBusManager *manager;
} Fixture;

typedef enum
{
  SETUP_DAEMON,    /* a daemon (idle timeout 0) on machine "a" on a private bus */
  SETUP_BARE,      /* the bus and machine "a", no daemon yet */
  SETUP_LARGE_BUS, /* SETUP_DAEMON on a bus that takes messages up to 128 MiB */
  SETUP_NOTHING,   /* the test builds what it needs into the fixture */
} SetupKind;

typedef void (*TestFunc) (Fixture *f, gconstpointer arg);

typedef struct
{
  const char *path; /* "group/name" */
  SetupKind setup;
  TestFunc func;
  gconstpointer arg;
} TestCase;

/* New proxies, for the daemon that owns the name now. */
static gboolean
fixture_connect (Fixture *f)
{
  return lb_test_bus_renew_proxies (f->bus, &f->store, &f->manager);
}

static gboolean
fixture_start (Fixture *f, const LbTestDaemonOptions *options)
{
  f->daemon = lb_test_machine_start_daemon (f->machine, options);
  return f->daemon != NULL && fixture_connect (f);
}

static gboolean
fixture_restart (Fixture *f)
{
  f->daemon = lb_test_machine_restart_daemon (f->machine);
  return f->daemon != NULL && fixture_connect (f);
}

static void
setup (Fixture *f, gconstpointer data)
{
  const TestCase *tc = data;

  switch (tc->setup)
    {
    case SETUP_NOTHING:
      return;
    case SETUP_DAEMON:
    case SETUP_BARE:
      f->bus = lb_test_bus_new (LB_TEST_BUS_DEFAULT);
      break;
    case SETUP_LARGE_BUS:
      f->bus = lb_test_bus_new (LB_TEST_BUS_LARGE_MESSAGES);
      break;
    }
  f->machine = lb_test_machine_new (f->bus, "a");
  if (tc->setup != SETUP_BARE)
    fixture_start (f, NULL);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  lb_test_clear_service (&f->bus, &f->machine, &f->store, &f->manager);
}

/* Helpers */

static GVariant *
empty_attrs (void)
{
  return lb_test_vardict_new (NULL, NULL);
}

static gboolean
store_license (
    Fixture *f, const char *key_id, gsize size, guint8 seed, GVariant *attributes, GError **error)
{
  g_autoptr (GVariant) attrs
      = g_variant_ref_sink (attributes != NULL ? attributes : empty_attrs ());

  return lb_dbus_store_call_store_license_sync (f->store, key_id, lb_test_blob_new (size, seed),
                                                attrs, NULL, error);
}

#define assert_store_license(f, key_id, size, seed, attributes)           \
  G_STMT_START                                                            \
  {                                                                       \
    g_autoptr (GError) _error = NULL;                                     \
    store_license ((f), (key_id), (size), (seed), (attributes), &_error); \
    g_assert_no_error (_error);                                           \
  }                                                                       \
  G_STMT_END

/* The blob stored under @key_id (and its attributes), or NULL. */
static GVariant *
get_license (Fixture *f, const char *key_id, GVariant **attributes, GError **error)
{
  GVariant *blob = NULL;
  GVariant *attrs = NULL;

  if (!lb_dbus_store_call_get_license_sync (f->store, key_id, &blob, &attrs, NULL, error))
    return NULL;
  if (attributes != NULL)
    *attributes = attrs;
  else
    g_variant_unref (attrs);
  return blob;
}

static void
assert_blob (Fixture *f, const char *key_id, gsize size, guint8 seed)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) blob = get_license (f, key_id, NULL, &error);
  g_autoptr (GVariant) expected = g_variant_ref_sink (lb_test_blob_new (size, seed));

  g_assert_no_error (error);
  if (blob == NULL)
    return;
  if (!g_variant_equal (blob, expected))
    g_test_fail_printf ("license “%s” has a blob of %zu bytes, not the %zu bytes stored", key_id,
                        g_variant_n_children (blob), size);
}

static void
assert_not_found (Fixture *f, const char *key_id)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) blob = get_license (f, key_id, NULL, &error);

  lb_test_assert_error_name (error, LB_ERROR_NOT_FOUND);
}

/* Asserts @attrs[@key] == @expected (consumed if floating). */
static void
assert_attribute (GVariant *attrs, const char *key, GVariant *expected)
{
  g_autoptr (GVariant) want = g_variant_ref_sink (expected);
  g_autoptr (GVariant) got = attrs != NULL ? lb_test_vardict_lookup (attrs, key) : NULL;

  if (got == NULL || !g_variant_equal (got, want))
    {
      g_autofree char *got_s = got != NULL ? g_variant_print (got, TRUE) : g_strdup ("missing");
      g_autofree char *want_s = g_variant_print (want, TRUE);

      g_test_fail_printf ("attribute “%s” is %s; expected %s", key, got_s, want_s);
    }
}

static void
assert_no_attribute (GVariant *attrs, const char *key)
{
  g_autoptr (GVariant) got = attrs != NULL ? lb_test_vardict_lookup (attrs, key) : NULL;

  if (got != NULL)
    g_test_fail_printf ("attribute “%s” is set, to %s", key, g_variant_print (got, TRUE));
}

/* A (saya{sv}) for StoreLicenses. Floating. */
static GVariant *
license_tuple (const char *key_id, gsize size, guint8 seed, GVariant *attributes)
{
  return g_variant_new ("(s@ay@a{sv})", key_id, lb_test_blob_new (size, seed),
                        attributes != NULL ? attributes : empty_attrs ());
}

/* @n licenses "<prefix>NNNNN" with @size-byte blobs. Floating. */
static GVariant *
license_batch (guint n, const char *prefix, gsize size)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(saya{sv})"));
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *key_id = g_strdup_printf ("%s%05u", prefix, i);

      g_variant_builder_add_value (
          &builder,
          license_tuple (key_id, size, (guint8) i,
                         lb_test_vardict_new ("content-id", g_variant_new_string (key_id), NULL)));
    }
  return g_variant_builder_end (&builder);
}

static GVariant *
list_options_new (guint limit, const char *cursor)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
  if (limit != 0)
    g_variant_builder_add (&builder, "{sv}", "limit", g_variant_new_uint32 (limit));
  if (cursor != NULL)
    g_variant_builder_add (&builder, "{sv}", "cursor", g_variant_new_string (cursor));
  return g_variant_builder_end (&builder);
}

static GVariant *
list_licenses (Fixture *f, GVariant *options, char **cursor, GError **error)
{
  GVariant *licenses = NULL;

  if (!lb_dbus_store_call_list_licenses_sync (f->store, options, &licenses, cursor, NULL, error))
    return NULL;
  return licenses;
}

static guint
license_count (Fixture *f)
{
  return lb_test_bus_get_license_count (f->bus);
}

static gint64
now_seconds (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

/* store */

static void
test_store_get_all_attributes (Fixture *f, gconstpointer arg)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) attrs = NULL;
  g_autoptr (GVariant) blob = NULL;
  gint64 before = now_seconds ();
  gint64 after;

  g_assert_cmpuint (license_count (f), ==, 0);
  assert_store_license (
      f, "urn:key:1", 4000, 1,
      lb_test_vardict_new ("content-id", g_variant_new_string ("urn:content:1"), "issuer",
                           g_variant_new_string ("Studio"), "can-backup",
                           g_variant_new_boolean (FALSE), "restore-limit", g_variant_new_uint32 (3),
                           "expires", g_variant_new_int64 (4102444800), "support-url",
                           g_variant_new_string ("https://example.com/help"), NULL));
  after = now_seconds ();
  g_assert_cmpuint (license_count (f), ==, 1);

  assert_blob (f, "urn:key:1", 4000, 1);
  blob = get_license (f, "urn:key:1", &attrs, &error);
  g_assert_no_error (error);
  if (attrs == NULL)
    return;
  assert_attribute (attrs, "content-id", g_variant_new_string ("urn:content:1"));
  assert_attribute (attrs, "issuer", g_variant_new_string ("Studio"));
  assert_attribute (attrs, "can-backup", g_variant_new_boolean (FALSE));
  assert_attribute (attrs, "restore-limit", g_variant_new_uint32 (3));
  assert_attribute (attrs, "expires", g_variant_new_int64 (4102444800));
  assert_attribute (attrs, "support-url", g_variant_new_string ("https://example.com/help"));
  /* And those the service keeps. */
  assert_attribute (attrs, "restore-count", g_variant_new_uint32 (0));
  assert_attribute (attrs, "machine",
                    g_variant_new_string (lb_test_machine_get_app_id (f->machine)));
  {
    gint64 stored = 0;

    g_assert_true (g_variant_lookup (attrs, "stored", "x", &stored));
    g_assert_cmpint (stored, >=, before);
    g_assert_cmpint (stored, <=, after);
  }
}

static void
test_store_defaults (Fixture *f, gconstpointer arg)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) attrs = NULL;
  g_autoptr (GVariant) blob = NULL;

  assert_store_license (f, "plain", 1, 0, NULL);
  blob = get_license (f, "plain", &attrs, &error);
  g_assert_no_error (error);
  if (attrs == NULL)
    return;
  assert_attribute (attrs, "can-backup", g_variant_new_boolean (TRUE));
  assert_attribute (attrs, "restore-limit", g_variant_new_uint32 (0));
  assert_attribute (attrs, "expires", g_variant_new_int64 (0));
  assert_no_attribute (attrs, "content-id");
  assert_no_attribute (attrs, "issuer");
  assert_no_attribute (attrs, "support-url");
  assert_attribute (attrs, "restore-count", g_variant_new_uint32 (0));
  assert_attribute (attrs, "machine",
                    g_variant_new_string (lb_test_machine_get_app_id (f->machine)));
}

static void
test_store_replace (Fixture *f, gconstpointer arg)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) attrs = NULL;
  g_autoptr (GVariant) blob = NULL;

  assert_store_license (f, "key", 500, 1,
                        lb_test_vardict_new ("content-id", g_variant_new_string ("old"), "issuer",
                                             g_variant_new_string ("old-issuer"), NULL));
  assert_store_license (f, "other", 10, 9, NULL);
  assert_store_license (f, "key", 300, 2,
                        lb_test_vardict_new ("content-id", g_variant_new_string ("new"), NULL));
  g_assert_cmpuint (license_count (f), ==, 2);
  assert_blob (f, "key", 300, 2);
  assert_blob (f, "other", 10, 9);
  blob = get_license (f, "key", &attrs, &error);
  g_assert_no_error (error);
  /* Replaced whole, not merged. */
  assert_attribute (attrs, "content-id", g_variant_new_string ("new"));
  assert_no_attribute (attrs, "issuer");
}

static void
test_store_delete (Fixture *f, gconstpointer arg)
{
  g_autoptr (GError) error = NULL;

  assert_store_license (f, "a", 10, 1, NULL);
  assert_store_license (f, "b", 10, 2, NULL);
  g_assert_cmpuint (license_count (f), ==, 2);

  g_assert_true (lb_dbus_store_call_delete_license_sync (f->store, "a", NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (license_count (f), ==, 1);
  assert_not_found (f, "a");
  assert_blob (f, "b", 10, 2);

  /* Twice is NotFound, and changes nothing. */
  g_assert_false (lb_dbus_store_call_delete_license_sync (f->store, "a", NULL, &error));
  lb_test_assert_error_name (error, LB_ERROR_NOT_FOUND);
  g_assert_cmpuint (license_count (f), ==, 1);
}

static void
test_store_not_found (Fixture *f, gconstpointer arg)
{
  g_autoptr (GError) error = NULL;

  assert_not_found (f, "never-stored");
  g_assert_false (lb_dbus_store_call_delete_license_sync (f->store, "never-stored", NULL, &error));
  lb_test_assert_error_name (error, LB_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* Also once the store holds other licenses. */
  assert_store_license (f, "present", 10, 1, NULL);
  assert_not_found (f, "presen");
  assert_not_found (f, "present ");
  assert_not_found (f, "PRESENT");
  g_assert_false (lb_dbus_store_call_delete_license_sync (f->store, "absent", NULL, &error));
  lb_test_assert_error_name (error, LB_ERROR_NOT_FOUND);
  g_assert_cmpuint (license_count (f), ==, 1);
}

static void
test_store_bulk (Fixture *f, gconstpointer arg)
{
  g_autoptr (GError) error = NULL;
  GVariantBuilder builder;

  assert_store_license (f, "existing", 10, 1, NULL);
  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(saya{sv})"));
  g_variant_builder_add_value (&builder, license_tuple ("one", 100, 11, NULL));
  g_variant_builder_add_value (
      &builder, license_tuple ("two", 200, 12,
                               lb_test_vardict_new ("issuer", g_variant_new_string ("x"), NULL)));
  g_variant_builder_add_value (&builder, license_tuple ("existing", 300, 13, NULL));
  g_assert_true (lb_dbus_store_call_store_licenses_sync (f->store, g_variant_builder_end (&builder),
                                                         NULL, &error));
  g_assert_no_error (error);

  g_assert_cmpuint (license_count (f), ==, 3);
  assert_blob (f, "one", 100, 11);
  assert_blob (f, "two", 200, 12);
  assert_blob (f, "existing", 300, 13);
}

static void
test_store_bulk_empty (Fixture *f, gconstpointer arg)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (lb_dbus_store_call_store_licenses_sync (
      f->store, g_variant_new_array (G_VARIANT_TYPE ("(saya{sv})"), NULL, 0), NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (license_count (f), ==, 0);
}

/* A batch whose middle license is bad in one way or another. */
static void
test_store_bulk_all_or_nothing (Fixture *f, gconstpointer arg)
{
  g_autofree char *long_key = g_strnfill (KEY_ID_MAX + 1, 'k');
  struct
  {
    const char *what;
    GVariant *bad;
  } cases[] = {
    { "an empty blob", license_tuple ("bad", 0, 0, NULL) },
    { "a blob over 1 MiB", license_tuple ("bad", BLOB_MAX + 1, 0, NULL) },
    { "an empty key id", license_tuple ("", 10, 0, NULL) },
    { "a long key id", license_tuple (long_key, 10, 0, NULL) },
    { "a key id with a tab", license_tuple ("a\tb", 10, 0, NULL) },
    { "a wrongly typed attribute",
      license_tuple ("bad", 10, 0,
                     lb_test_vardict_new ("can-backup", g_variant_new_string ("yes"), NULL)) },
    { "an unknown attribute",
      license_tuple ("bad", 10, 0,
                     lb_test_vardict_new ("colour", g_variant_new_string ("red"), NULL)) },
    { "a service-kept attribute",
      license_tuple ("bad", 10, 0,
                     lb_test_vardict_new ("restore-count", g_variant_new_uint32 (0), NULL)) },
  };

  /* What must survive any failed batch. */
  assert_store_license (f, "keep", 700, 7,
                        lb_test_vardict_new ("issuer", g_variant_new_string ("kept"), NULL));

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      GVariantBuilder builder;

      g_test_message ("a batch with %s", cases[i].what);
      g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(saya{sv})"));
      g_variant_builder_add_value (&builder, license_tuple ("first", 100, 1, NULL));
      /* Would replace "keep". */
      g_variant_builder_add_value (&builder, license_tuple ("keep", 50, 2, NULL));
      g_variant_builder_add_value (&builder, cases[i].bad);
      g_variant_builder_add_value (&builder, license_tuple ("last", 100, 3, NULL));
      g_assert_false (lb_dbus_store_call_store_licenses_sync (
          f->store, g_variant_builder_end (&builder), NULL, &error));
      lb_test_assert_error_name (error, LB_ERROR_INVALID_ARGS);

      g_assert_cmpuint (license_count (f), ==, 1);
      assert_not_found (f, "first");
      assert_not_found (f, "last");
      assert_blob (f, "keep", 700, 7);
    }
}

/* A bad key id is quoted in the error, but never whole: a client's bug
 * may send megabytes of it, or control characters. */
static void
test_store_bulk_bad_key_message (Fixture *f, gconstpointer arg)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *huge_key = g_strnfill (1024 * 1024, 'k');
  GVariantBuilder builder;

  huge_key[3] = '\n';
  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(saya{sv})"));
  g_variant_builder_add_value (&builder, license_tuple ("first", 100, 1, NULL));
  g_variant_builder_add_value (&builder, license_tuple (huge_key, 10, 0, NULL));
  g_assert_false (lb_dbus_store_call_store_licenses_sync (
      f->store, g_variant_builder_end (&builder), NULL, &error));
  lb_test_assert_error_name (error, LB_ERROR_INVALID_ARGS);
  if (error == NULL)
    return;
  g_dbus_error_strip_remote_error (error);
  g_test_message ("%s", error->message);
  g_assert_cmpuint (strlen (error->message), <, 300);
  g_assert_true (g_str_has_prefix (error->message,
                                   "License 1 (“kkk\\x0akkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk…”): "
                                   "A key id must be 1 to 256 bytes long; this one has 1048576"));
  g_assert_true (g_str_has_suffix (error->message, "Nothing was stored"));
  g_assert_cmpuint (license_count (f), ==, 0);
}

static void
test_store_clean (Fixture *f, gconstpointer arg)
{
  g_autoptr (GError) error = NULL;
  gint64 now = now_seconds ();
  guint removed = 99;

  assert_store_license (f, "never", 10, 1, NULL);
  assert_store_license (f, "expired-1", 10, 2,
                        lb_test_vardict_new ("expires", g_variant_new_int64 (1), NULL));
  assert_store_license (f, "expired-2", 10, 3,
                        lb_test_vardict_new ("expires", g_variant_new_int64 (now - 60), NULL));
  assert_store_license (f, "future", 10, 4,
                        lb_test_vardict_new ("expires", g_variant_new_int64 (now + 3600), NULL));
  g_assert_cmpuint (license_count (f), ==, 4);

  /* Flags 0 removes nothing. */
  g_assert_true (lb_dbus_store_call_clean_license_store_sync (f->store, 0, &removed, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (removed, ==, 0);
  g_assert_cmpuint (license_count (f), ==, 4);

  g_assert_true (lb_dbus_store_call_clean_license_store_sync (f->store, LB_CLEAN_FLAGS_EXPIRED,
                                                              &removed, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (removed, ==, 2);
  g_assert_cmpuint (license_count (f), ==, 2);
  assert_not_found (f, "expired-1");
  assert_not_found (f, "expired-2");
  assert_blob (f, "never", 10, 1);
  assert_blob (f, "future", 10, 4);

  g_assert_true (lb_dbus_store_call_clean_license_store_sync (f->store, LB_CLEAN_FLAGS_EXPIRED,
                                                              &removed, NULL, &error));
  g_assert_cmpuint (removed, ==, 0);
}

static guint64
store_file_size (Fixture *f, const char *name)
{
  g_autofree char *path = g_build_filename (lb_test_machine_get_store_dir (f->machine), name, NULL);
  GStatBuf st;

  return g_stat (path, &st) == 0 ? (guint64) st.st_size : 0;
}

/* CleanLicenseStore, whatever its flags, gives back the blob file's space
 * of deleted licenses once an eighth of it is dead: the live blobs move to
 * a new file, the old one goes. */
static void
test_store_clean_reclaims (Fixture *f, gconstpointer arg)
{
  g_autoptr (GError) error = NULL;
  GVariantBuilder builder;
  guint removed = 99;

  /* One StoreLicenses of 100 KiB: a bulk write, into the blob file. */
  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(saya{sv})"));
  for (guint i = 0; i < 50; i++)
    {
      g_autofree char *key = g_strdup_printf ("k%02u", i);
      g_variant_builder_add_value (&builder, license_tuple (key, 2048, (guint8) i, NULL));
    }
  g_assert_true (lb_dbus_store_call_store_licenses_sync (f->store, g_variant_builder_end (&builder),
                                                         NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (store_file_size (f, "licenses-1.blobs"), ==, 50 * 2048);
  for (guint i = 0; i < 20; i++)
    {
      g_autofree char *key = g_strdup_printf ("k%02u", i);
      g_assert_true (lb_dbus_store_call_delete_license_sync (f->store, key, NULL, &error));
    }
  g_assert_true (lb_dbus_store_call_clean_license_store_sync (f->store, 0, &removed, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (removed, ==, 0);
  g_assert_cmpuint (store_file_size (f, "licenses-1.blobs"), ==, 0);
  g_assert_cmpuint (store_file_size (f, "licenses-2.blobs"), ==, 30 * 2048);
  assert_blob (f, "k20", 2048, 20);
  assert_blob (f, "k49", 2048, 49);
  assert_not_found (f, "k00");
  g_assert_cmpuint (license_count (f), ==, 30);
}

static gboolean
blob_file_replaced (gpointer user_data)
{
  Fixture *f = user_data;

  return store_file_size (f, "licenses-1.blobs") == 0
         && store_file_size (f, "licenses-2.blobs") > 0;
}

/* Single deletes (shared in group commits) that leave more than half of
 * the blob file dead make the service give the space back by itself. */
static void
test_store_deletes_reclaim (Fixture *f, gconstpointer arg)
{
  g_autoptr (GError) error = NULL;
  GVariantBuilder builder;

  /* 2 MiB in one StoreLicenses: a bulk write, into the blob file. */
  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(saya{sv})"));
  for (guint i = 0; i < 1000; i++)
    {
      g_autofree char *key = g_strdup_printf ("k%04u", i);
      g_variant_builder_add_value (&builder, license_tuple (key, 2048, (guint8) i, NULL));
    }
  g_assert_true (lb_dbus_store_call_store_licenses_sync (f->store, g_variant_builder_end (&builder),
                                                         NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (store_file_size (f, "licenses-1.blobs"), ==, 1000 * 2048);
  for (guint i = 0; i < 600; i++)
    {
      g_autofree char *key = g_strdup_printf ("k%04u", i);
      g_assert_true (lb_dbus_store_call_delete_license_sync (f->store, key, NULL, &error));
      g_assert_no_error (error);
    }
  /* The store's own thread copies the live blobs once more than half of
   * the file is dead (after the 512th delete): soon, not at once, so the
   * new file holds between 488 and 400 of them. */
  g_assert_true (lb_test_wait_until (blob_file_replaced, f, 30000));
  g_assert_cmpuint (store_file_size (f, "licenses-2.blobs"), <=, 488 * 2048);
  assert_blob (f, "k0600", 2048, (guint8) 600);
  assert_blob (f, "k0999", 2048, (guint8) 999);
  assert_not_found (f, "k0599");
  g_assert_cmpuint (license_count (f), ==, 400);
}

typedef struct
{
  Fixture *f;
  guint64 above, below;
} DbSizeWait;

/* licenses.db (not its WAL, which SQLite keeps at its size for reuse)
 * within [above, below). */
static gboolean
db_size_within (gpointer user_data)
{
  DbSizeWait *w = user_data;
  guint64 size = store_file_size (w->f, "licenses.db");

  return size >= w->above && size < w->below;
}

/* Small writes keep their blobs in licenses.db: deleting them gives the
 * database's pages back, through CleanLicenseStore (an eighth free) or
 * by itself (more than half). */
static void
test_store_db_reclaim (Fixture *f, gconstpointer arg)
{
  gboolean clean = GPOINTER_TO_INT (arg);
  guint n_delete = clean ? 300 : 700;
  g_autoptr (GError) error = NULL;
  g_autofree char *first_left = g_strdup_printf ("k%04u", n_delete);
  /* A 2 KiB row takes a 4 KiB page of its own. */
  DbSizeWait w = { f, (1000 - n_delete) * 4096, 0 };
  guint removed = 99;

  /* Batches of 50 KiB: each under the blob file's 64 KiB, in the rows. */
  for (guint b = 0; b < 40; b++)
    {
      GVariantBuilder builder;

      g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(saya{sv})"));
      for (guint i = b * 25; i < (b + 1) * 25; i++)
        {
          g_autofree char *key = g_strdup_printf ("k%04u", i);
          g_variant_builder_add_value (&builder, license_tuple (key, 2048, (guint8) i, NULL));
        }
      g_assert_true (lb_dbus_store_call_store_licenses_sync (
          f->store, g_variant_builder_end (&builder), NULL, &error));
      g_assert_no_error (error);
    }
  g_assert_cmpuint (store_file_size (f, "licenses-1.blobs"), ==, 0);
  for (guint i = 0; i < n_delete; i++)
    {
      g_autofree char *key = g_strdup_printf ("k%04u", i);
      g_assert_true (lb_dbus_store_call_delete_license_sync (f->store, key, NULL, &error));
      g_assert_no_error (error);
    }
  if (clean)
    {
      g_assert_true (
          lb_dbus_store_call_clean_license_store_sync (f->store, 0, &removed, NULL, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (removed, ==, 0);
    }
  /* The file shrinks to the pages left once the checkpoint after the
   * VACUUM has run. By itself, the VACUUM runs after the delete that
   * leaves more than half of the pages free, about the 513th; the
   * deletes after it free pages again, which stay. */
  w.below = (1000 - (clean ? n_delete : 512)) * 4096 + 256 * 1024;
  g_assert_true (lb_test_wait_until (db_size_within, &w, 30000));
  assert_blob (f, first_left, 2048, (guint8) n_delete);
  assert_blob (f, "k0999", 2048, (guint8) 999);
  assert_not_found (f, "k0000");
  g_assert_cmpuint (license_count (f), ==, 1000 - n_delete);
}

static void
test_store_clean_bad_flags (Fixture *f, gconstpointer arg)
{
  /* Unknown bits, alone and with the known one. */
  const guint32 bad[] = { 0x2, LB_CLEAN_FLAGS_EXPIRED | 0x2, 0x80000000, G_MAXUINT32 };

  assert_store_license (f, "expired", 10, 1,
                        lb_test_vardict_new ("expires", g_variant_new_int64 (1), NULL));
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      guint removed = 0;

      g_assert_false (
          lb_dbus_store_call_clean_license_store_sync (f->store, bad[i], &removed, NULL, &error));
      lb_test_assert_error_name (error, LB_ERROR_INVALID_ARGS);
    }
  /* Not even the known bit was acted on. */
  g_assert_cmpuint (license_count (f), ==, 1);
}

typedef struct
{
  guint pending;
  guint failed;
} Calls;

static void
store_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Calls *calls = user_data;
  g_autoptr (GError) error = NULL;

  if (!lb_dbus_store_call_store_license_finish (LB_DBUS_STORE (source), result, &error))
    {
      g_test_message ("StoreLicense failed: %s", error->message);
      calls->failed++;
    }
  calls->pending--;
}

static void
get_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Calls *calls = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) blob = NULL;
  g_autoptr (GVariant) attrs = NULL;

  if (!lb_dbus_store_call_get_license_finish (LB_DBUS_STORE (source), &blob, &attrs, result,
                                              &error))
    {
      g_test_message ("GetLicense failed: %s", error->message);
      calls->failed++;
    }
  calls->pending--;
}

static gboolean
no_call_pending (gpointer user_data)
{
  return ((Calls *) user_data)->pending == 0;
}

/* Many calls at once, reads among writes: each is answered, correctly.
 * (100 in flight: dbus-daemon allows 128 pending replies per connection.) */
static void
test_store_concurrent (Fixture *f, gconstpointer arg)
{
  Calls calls = { 0, 0 };
  const guint n = 50;

  assert_store_license (f, "read-me", 1000, 5, NULL);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *key_id = g_strdup_printf ("c%03u", i);

      calls.pending += 2;
      lb_dbus_store_call_store_license (f->store, key_id, lb_test_blob_new (100 + i, (guint8) i),
                                        empty_attrs (), NULL, store_done_cb, &calls);
      lb_dbus_store_call_get_license (f->store, "read-me", NULL, get_done_cb, &calls);
    }
  g_assert_true (lb_test_wait_until (no_call_pending, &calls, 60000));
  g_assert_cmpuint (calls.failed, ==, 0);
  g_assert_cmpuint (license_count (f), ==, n + 1);
  assert_blob (f, "c000", 100, 0);
  assert_blob (f, "c049", 149, 49);
}

/* attributes */

typedef struct
{
  const char *key;
  const char *type;
} AttrSpec;

static const AttrSpec caller_attrs[] = {
  { "content-id", "s" },    { "issuer", "s" },  { "can-backup", "b" },
  { "restore-limit", "u" }, { "expires", "x" }, { "support-url", "s" },
};

static GVariant *
value_of_type (const char *type)
{
  switch (type[0])
    {
    case 's':
      return g_variant_new_string ("1");
    case 'b':
      return g_variant_new_boolean (TRUE);
    case 'u':
      return g_variant_new_uint32 (1);
    case 'i':
      return g_variant_new_int32 (1);
    case 'x':
      return g_variant_new_int64 (1);
    case 't':
      return g_variant_new_uint64 (1);
    case 'y':
      return g_variant_new_byte (1);
    case 'd':
      return g_variant_new_double (1);
    case 'o':
      return g_variant_new_object_path ("/");
    case 'v':
      return g_variant_new_variant (g_variant_new_string ("1"));
    case 'a':
      return g_variant_new_strv (NULL, 0);
    default:
      g_assert_not_reached ();
      return NULL;
    }
}

static void
test_attributes_wrong_types (Fixture *f, gconstpointer arg)
{
  const char *types[] = { "s", "b", "u", "i", "x", "t", "y", "d", "o", "v", "as" };

  for (guint i = 0; i < G_N_ELEMENTS (caller_attrs); i++)
    for (guint j = 0; j < G_N_ELEMENTS (types); j++)
      {
        g_autoptr (GError) error = NULL;
        g_autofree char *key_id = NULL;

        if (g_str_equal (types[j], caller_attrs[i].type))
          continue;
        key_id = g_strdup_printf ("%s-as-%s", caller_attrs[i].key, types[j]);
        store_license (f, key_id, 10, 1,
                       lb_test_vardict_new (caller_attrs[i].key, value_of_type (types[j]), NULL),
                       &error);
        if (error == NULL)
          g_test_fail_printf ("“%s” of type “%s” was accepted", caller_attrs[i].key, types[j]);
        lb_test_assert_error_name (error, LB_ERROR_INVALID_ARGS);
      }
  g_assert_cmpuint (license_count (f), ==, 0);
}

static void
test_attributes_round_trip (Fixture *f, gconstpointer arg)
{
  g_autofree char *long_string = g_strnfill (4096, 'x');
  struct
  {
    const char *key;
    GVariant *value;
  } cases[] = {
    { "content-id", g_variant_new_string ("") },
    { "content-id", g_variant_new_string ("urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427") },
    { "issuer", g_variant_new_string ("Éditions Ünicode ✓") },
    { "issuer", g_variant_new_string (long_string) },
    { "can-backup", g_variant_new_boolean (FALSE) },
    { "can-backup", g_variant_new_boolean (TRUE) },
    { "restore-limit", g_variant_new_uint32 (0) },
    { "restore-limit", g_variant_new_uint32 (G_MAXUINT32) },
    { "expires", g_variant_new_int64 (0) },
    { "expires", g_variant_new_int64 (G_MAXINT64) },
    { "support-url", g_variant_new_string ("https://example.com/support?id=1&x=2") },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GVariant) value = g_variant_ref_sink (cases[i].value);
      g_autoptr (GError) error = NULL;
      g_autoptr (GVariant) attrs = NULL;
      g_autoptr (GVariant) blob = NULL;
      g_autofree char *key_id = g_strdup_printf ("case-%u", i);

      store_license (f, key_id, 10, (guint8) i, lb_test_vardict_new (cases[i].key, value, NULL),
                     &error);
      g_assert_no_error (error);
      blob = get_license (f, key_id, &attrs, &error);
      g_assert_no_error (error);
      assert_attribute (attrs, cases[i].key, value);
    }
}

static void
test_attributes_unknown_key (Fixture *f, gconstpointer arg)
{
  const char *keys[] = { "colour", "Content-Id", "content_id", "", "digest", "blob" };

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      g_autoptr (GError) error = NULL;

      store_license (f, "k", 10, 1, lb_test_vardict_new (keys[i], g_variant_new_string ("x"), NULL),
                     &error);
      lb_test_assert_error_name (error, LB_ERROR_INVALID_ARGS);
    }
  assert_not_found (f, "k");
}

static void
test_attributes_service_kept (Fixture *f, gconstpointer arg)
{
  /* Of the right types: still the service's to set. */
  struct
  {
    const char *key;
    GVariant *value;
  } cases[] = {
    { "restore-count", g_variant_new_uint32 (0) },
    { "stored", g_variant_new_int64 (now_seconds ()) },
    { "machine", g_variant_new_string (lb_test_machine_get_app_id (f->machine)) },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;

      store_license (f, "k", 10, 1, lb_test_vardict_new (cases[i].key, cases[i].value, NULL),
                     &error);
      lb_test_assert_error_name (error, LB_ERROR_INVALID_ARGS);
    }
  assert_not_found (f, "k");
}

static void
test_attributes_duplicate (Fixture *f, gconstpointer arg)
{
  g_autoptr (GError) error = NULL;

  /* An a{sv} on the wire may repeat a key. */
  store_license (f, "k", 10, 1,
                 lb_test_vardict_new ("issuer", g_variant_new_string ("a"), "issuer",
                                      g_variant_new_string ("b"), NULL),
                 &error);
  lb_test_assert_error_name (error, LB_ERROR_INVALID_ARGS);
  assert_not_found (f, "k");
}

static void
test_attributes_string_max (Fixture *f, gconstpointer arg)
{
  g_autofree char *over = g_strnfill (4097, 'x');
  const char *keys[] = { "content-id", "issuer", "support-url" };

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      g_autoptr (GError) error = NULL;

      store_license (f, "k", 10, 1,
                     lb_test_vardict_new (keys[i], g_variant_new_string (over), NULL), &error);
      lb_test_assert_error_name (error, LB_ERROR_INVALID_ARGS);
    }
  assert_not_found (f, "k");
}

static void
test_attributes_expires_negative (Fixture *f, gconstpointer arg)
{
  g_autoptr (GError) error = NULL;

  store_license (f, "k", 10, 1, lb_test_vardict_new ("expires", g_variant_new_int64 (-1), NULL),
                 &error);
  lb_test_assert_error_name (error, LB_ERROR_INVALID_ARGS);
  assert_not_found (f, "k");
}

/* limits */

static void
assert_key_id_refused (Fixture *f, const char *key_id)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) blob = NULL;

  store_license (f, key_id, 10, 1, NULL, &error);
  if (error == NULL)
    g_test_fail_printf ("key id “%s” (%zu bytes) was accepted", key_id, strlen (key_id));
  lb_test_assert_error_name (error, LB_ERROR_INVALID_ARGS);
  g_clear_error (&error);
  blob = get_license (f, key_id, NULL, &error);
  lb_test_assert_error_name (error, LB_ERROR_INVALID_ARGS);
  g_clear_error (&error);
  lb_dbus_store_call_delete_license_sync (f->store, key_id, NULL, &error);
  lb_test_assert_error_name (error, LB_ERROR_INVALID_ARGS);
}

static void
test_limits_key_id (Fixture *f, gconstpointer arg)
{
  g_autofree char *k256 = g_strnfill (KEY_ID_MAX, 'k');
  g_autofree char *k257 = g_strnfill (KEY_ID_MAX + 1, 'k');
  char printable[0x7f - 0x20 + 1];

  for (int c = 0x20; c < 0x7f; c++)
    printable[c - 0x20] = (char) c;
  printable[0x7f - 0x20] = '\0';

  assert_store_license (f, "k", 10, 1, NULL);
  assert_store_license (f, k256, 10, 2, NULL);
  assert_store_license (f, printable, 10, 3, NULL);
  assert_blob (f, "k", 10, 1);
  assert_blob (f, k256, 10, 2);
  assert_blob (f, printable, 10, 3);
  g_assert_cmpuint (license_count (f), ==, 3);

  assert_key_id_refused (f, "");
  assert_key_id_refused (f, k257);
  assert_key_id_refused (f, "tab\tkey");
  assert_key_id_refused (f, "line\nkey");
  assert_key_id_refused (f, "del\x7f");
  assert_key_id_refused (f, "\x01");
  assert_key_id_refused (f, "caf\xc3\xa9");  /* UTF-8, as D-Bus strings are; not ASCII */
  assert_key_id_refused (f, "\xe2\x80\x8b"); /* zero-width space */
  g_assert_cmpuint (license_count (f), ==, 3);
}

static void
test_limits_blob (Fixture *f, gconstpointer arg)
{
  g_autoptr (GError) error = NULL;

  store_license (f, "empty", 0, 0, NULL, &error);
  lb_test_assert_error_name (error, LB_ERROR_INVALID_ARGS);
  g_clear_error (&error);
  store_license (f, "over", BLOB_MAX + 1, 0, NULL, &error);
  lb_test_assert_error_name (error, LB_ERROR_INVALID_ARGS);
  g_clear_error (&error);
  assert_not_found (f, "empty");
  assert_not_found (f, "over");

  assert_store_license (f, "one", 1, 1, NULL);
  assert_store_license (f, "max", BLOB_MAX, 2, NULL);
  assert_blob (f, "one", 1, 1);
  assert_blob (f, "max", BLOB_MAX, 2);
  g_assert_cmpuint (license_count (f), ==, 2);

  /* A refused replacement leaves the license alone. */
  store_license (f, "max", BLOB_MAX + 1, 3, NULL, &error);
  lb_test_assert_error_name (error, LB_ERROR_INVALID_ARGS);
  assert_blob (f, "max", BLOB_MAX, 2);
}

static void
test_limits_bulk_count (Fixture *f, gconstpointer arg)
{
  g_autoptr (GError) error = NULL;

  assert_store_license (f, "before", 10, 1, NULL);
  g_assert_false (lb_dbus_store_call_store_licenses_sync (
      f->store, license_batch (BULK_MAX_LICENSES + 1, "over-", 1), NULL, &error));
  lb_test_assert_error_name (error, LB_ERROR_INVALID_ARGS);
  g_clear_error (&error);
  g_assert_cmpuint (license_count (f), ==, 1);
  assert_not_found (f, "over-00000");
  assert_not_found (f, "over-10000");

  g_assert_true (lb_dbus_store_call_store_licenses_sync (
      f->store, license_batch (BULK_MAX_LICENSES, "max-", 1), NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (license_count (f), ==, BULK_MAX_LICENSES + 1);
  assert_blob (f, "max-00000", 1, 0);
  assert_blob (f, "max-09999", 1, (guint8) 9999);
}

/* bulk-size
 *
 * StoreLicenses takes "at most 64 MiB of blobs". D-Bus caps any array at
 * 64 MiB (2^26 bytes) on the wire, and the array of a StoreLicenses call
 * holds the blobs plus each license's key id and framing: a call whose
 * blobs total more than 64 MiB cannot be sent at all. dbus-daemon
 * disconnects its sender; the daemon's own 64 MiB check is unreachable over
 * a conforming bus. So this checks the two things that can be checked:
 * blobs as close to 64 MiB as the protocol allows (64 KiB short) are stored
 * whole, and a call over 64 MiB never reaches the daemon, which keeps
 * running with nothing of it stored.
 *
 * The default test bus takes messages of up to 32 MiB (dbus-daemon's default),
 * so this runs on a bus of our own that takes 128 MiB.
 */
static void
test_bulk_size (Fixture *f, gconstpointer arg)
{
  const guint n = BULK_MAX_BYTES / BLOB_MAX; /* 64 */
  const gsize size = BLOB_MAX - 1024;        /* room for the framing */
  g_autoptr (GDBusConnection) doomed = NULL;
  g_autoptr (LbDBusStore) doomed_store = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_true (lb_dbus_store_call_store_licenses_sync (f->store, license_batch (n, "near-", size),
                                                         NULL, &error));
  g_assert_no_error (error);
  g_test_message ("stored %u licenses, %zu bytes of blobs (the limit is %d)", n, n * size,
                  BULK_MAX_BYTES);
  g_assert_cmpuint (license_count (f), ==, n);
  assert_blob (f, "near-00000", size, 0);
  assert_blob (f, "near-00063", size, 63);

  /* Over the limit, on a connection of its own, which the bus closes. */
  doomed = lb_test_bus_connect (f->bus, &error);
  g_assert_no_error (error);
  if (doomed == NULL)
    return;
  doomed_store = lb_dbus_store_proxy_new_sync (doomed, G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START,
                                               LB_TEST_BUS_NAME, LB_TEST_OBJECT_PATH, NULL, &error);
  g_assert_no_error (error);
  if (doomed_store == NULL)
    return;
  g_assert_false (lb_dbus_store_call_store_licenses_sync (
      doomed_store, license_batch (n + 1, "over-", size), NULL, &error));
  g_assert_nonnull (error);
  g_assert_true (g_dbus_connection_is_closed (doomed));

  g_assert_true (lb_test_daemon_is_running (f->daemon));
  g_assert_cmpuint (license_count (f), ==, n);
  assert_not_found (f, "over-00000");
}

/* list */

static void
assert_list_refused (Fixture *f, GVariant *options)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *cursor = NULL;
  g_autoptr (GVariant) options_ref = g_variant_ref_sink (options);
  g_autoptr (GVariant) licenses = list_licenses (f, options_ref, &cursor, &error);
  g_autofree char *printed = g_variant_print (options_ref, TRUE);

  if (error == NULL)
    g_test_fail_printf ("ListLicenses (%s) succeeded", printed);
  lb_test_assert_error_name (error, LB_ERROR_INVALID_ARGS);
}

static void
test_list_options_invalid (Fixture *f, gconstpointer arg)
{
  g_autofree char *long_cursor = g_strnfill (KEY_ID_MAX + 1, 'k');

  assert_store_license (f, "k", 10, 1, NULL);
  assert_list_refused (f, lb_test_vardict_new ("limit", g_variant_new_uint32 (0), NULL));
  assert_list_refused (
      f, lb_test_vardict_new ("limit", g_variant_new_uint32 (LIST_LIMIT_MAX + 1), NULL));
  assert_list_refused (f, lb_test_vardict_new ("limit", g_variant_new_uint32 (G_MAXUINT32), NULL));
  assert_list_refused (f, lb_test_vardict_new ("limit", g_variant_new_int32 (10), NULL));
  assert_list_refused (f, lb_test_vardict_new ("limit", g_variant_new_uint64 (10), NULL));
  assert_list_refused (f, lb_test_vardict_new ("limit", g_variant_new_string ("10"), NULL));
  assert_list_refused (f, lb_test_vardict_new ("cursor", g_variant_new_uint32 (1), NULL));
  assert_list_refused (f, lb_test_vardict_new ("cursor", g_variant_new_object_path ("/k"), NULL));
  assert_list_refused (f, lb_test_vardict_new ("cursor", g_variant_new_string ("\x01"), NULL));
  assert_list_refused (f, lb_test_vardict_new ("cursor", g_variant_new_string ("a\tb"), NULL));
  assert_list_refused (f, lb_test_vardict_new ("cursor", g_variant_new_string (long_cursor), NULL));
  assert_list_refused (f, lb_test_vardict_new ("sort", g_variant_new_string ("key"), NULL));
  assert_list_refused (f, lb_test_vardict_new ("Limit", g_variant_new_uint32 (10), NULL));
  assert_list_refused (f, lb_test_vardict_new ("limit", g_variant_new_uint32 (10), "limit",
                                               g_variant_new_uint32 (10), NULL));
}

/* Pages through the whole store; fails the test on a repeated key. */
static GPtrArray *
list_all (Fixture *f, guint limit, guint *n_pages)
{
  g_autoptr (GPtrArray) keys = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char *cursor = g_strdup ("");

  *n_pages = 0;
  do
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GVariant) licenses = NULL;
      char *next = NULL;
      GVariantIter iter;
      const char *key_id;
      GVariant *attrs;

      licenses = list_licenses (f, list_options_new (limit, cursor), &next, &error);
      g_assert_no_error (error);
      if (licenses == NULL)
        return NULL;
      g_assert_cmpuint (g_variant_n_children (licenses), <=, limit);
      g_variant_iter_init (&iter, licenses);
      while (g_variant_iter_next (&iter, "(&s@a{sv})", &key_id, &attrs))
        {
          if (g_hash_table_contains (seen, key_id))
            g_test_fail_printf ("“%s” was listed twice", key_id);
          g_ptr_array_add (keys, g_strdup (key_id));
          g_hash_table_add (seen, keys->pdata[keys->len - 1]);
          g_variant_unref (attrs);
        }
      if (next[0] != '\0' && strcmp (next, cursor) <= 0)
        {
          g_test_fail_printf ("the cursor after “%s” is “%s”", cursor, next);
          g_free (next);
          return NULL;
        }
      g_free (cursor);
      cursor = next;
      (*n_pages)++;
    }
  while (cursor[0] != '\0' && *n_pages < 1000);
  return g_steal_pointer (&keys);
}

static void
test_list_paging (Fixture *f, gconstpointer arg)
{
  const guint n = 2500;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) keys = NULL;
  g_autoptr (GVariant) first = NULL;
  g_autofree char *cursor = NULL;
  guint n_pages = 0;

  g_assert_true (lb_dbus_store_call_store_licenses_sync (f->store, license_batch (n, "lic-", 16),
                                                         NULL, &error));
  g_assert_no_error (error);

  /* The default limit is 1,000; attributes come with each key. */
  first = list_licenses (f, empty_attrs (), &cursor, &error);
  g_assert_no_error (error);
  if (first == NULL)
    return;
  g_assert_cmpuint (g_variant_n_children (first), ==, 1000);
  g_assert_cmpstr (cursor, !=, "");
  {
    g_autoptr (GVariant) entry = g_variant_get_child_value (first, 0);
    g_autoptr (GVariant) attrs = g_variant_get_child_value (entry, 1);
    const char *key_id = NULL;

    g_variant_get_child (entry, 0, "&s", &key_id);
    g_assert_cmpstr (key_id, ==, "lic-00000");
    assert_attribute (attrs, "content-id", g_variant_new_string ("lic-00000"));
    assert_attribute (attrs, "machine",
                      g_variant_new_string (lb_test_machine_get_app_id (f->machine)));
    assert_attribute (attrs, "restore-count", g_variant_new_uint32 (0));
  }

  keys = list_all (f, 1000, &n_pages);
  g_assert_nonnull (keys);
  if (keys == NULL)
    return;
  g_assert_cmpuint (n_pages, ==, 3);
  g_assert_cmpuint (keys->len, ==, n);
  /* In byte order, hence every one exactly once. */
  for (guint i = 0; i < keys->len; i++)
    {
      g_autofree char *expected = g_strdup_printf ("lic-%05u", i);

      if (!g_str_equal (keys->pdata[i], expected))
        {
          g_test_fail_printf ("key %u is “%s”, expected “%s”", i, (char *) keys->pdata[i],
                              expected);
          break;
        }
    }
}

static void
test_list_limits (Fixture *f, gconstpointer arg)
{
  g_autoptr (GError) error = NULL;
  guint n_pages = 0;

  g_assert_true (
      lb_dbus_store_call_store_licenses_sync (f->store, license_batch (30, "k", 4), NULL, &error));
  g_assert_no_error (error);

  g_autoptr (GPtrArray) keys = list_all (f, 1, &n_pages);
  g_assert_nonnull (keys);
  if (keys != NULL)
    g_assert_cmpuint (keys->len, ==, 30);
  g_assert_cmpuint (n_pages, ==, 30);

  g_autofree char *cursor = NULL;
  g_autoptr (GVariant) page
      = list_licenses (f, list_options_new (LIST_LIMIT_MAX, NULL), &cursor, &error);
  g_assert_no_error (error);
  if (page != NULL)
    g_assert_cmpuint (g_variant_n_children (page), ==, 30);
  g_assert_cmpstr (cursor, ==, "");
}

static void
test_list_changes_between_pages (Fixture *f, gconstpointer arg)
{
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *cursor = g_strdup ("");
  guint pages = 0;

  g_assert_true (
      lb_dbus_store_call_store_licenses_sync (f->store, license_batch (30, "k", 4), NULL, &error));
  g_assert_no_error (error);
  do
    {
      g_autoptr (GVariant) licenses = NULL;
      char *next = NULL;
      GVariantIter iter;
      const char *key_id;
      GVariant *attrs;

      licenses = list_licenses (f, list_options_new (10, cursor), &next, &error);
      g_assert_no_error (error);
      if (licenses == NULL)
        return;
      g_variant_iter_init (&iter, licenses);
      while (g_variant_iter_next (&iter, "(&s@a{sv})", &key_id, &attrs))
        {
          if (g_hash_table_contains (seen, key_id))
            g_test_fail_printf ("“%s” was listed twice", key_id);
          g_hash_table_add (seen, g_strdup (key_id));
          g_variant_unref (attrs);
        }
      g_free (cursor);
      cursor = next;

      if (pages == 0)
        {
          /* Delete the license the cursor names and one already listed,
           * add one on each side of the cursor, replace one ahead. */
          /* The host lists every app: its cursor names the app ("") too. */
          g_assert_cmpstr (cursor, ==, "/k00009");
          g_assert_true (lb_dbus_store_call_delete_license_sync (f->store, "k00009", NULL, &error));
          g_assert_true (lb_dbus_store_call_delete_license_sync (f->store, "k00002", NULL, &error));
          g_assert_no_error (error);
          assert_store_license (f, "k00004x", 4, 1, NULL);
          assert_store_license (f, "k00015x", 4, 1, NULL);
          assert_store_license (f, "k00020", 40, 2, NULL);
        }
      pages++;
    }
  while (cursor[0] != '\0' && pages < 100);

  for (guint i = 0; i < 30; i++)
    {
      g_autofree char *key_id = g_strdup_printf ("k%05u", i);

      if (i != 2 && i != 9 && !g_hash_table_contains (seen, key_id))
        g_test_fail_printf ("“%s” was never listed", key_id);
    }
  g_assert_cmpstr (cursor, ==, "");
}

static void
test_list_empty (Fixture *f, gconstpointer arg)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *cursor = NULL;
  g_autoptr (GVariant) licenses = list_licenses (f, empty_attrs (), &cursor, &error);

  g_assert_no_error (error);
  if (licenses != NULL)
    g_assert_cmpuint (g_variant_n_children (licenses), ==, 0);
  g_assert_cmpstr (cursor, ==, "");
}

/* properties */

static void
assert_count_signal (LbTestSignalQueue *queue, guint expected)
{
  g_autoptr (GVariant) value
      = lb_test_wait_property_changed (queue, "LicenseCount", LB_TEST_TIMEOUT_MS);

  if (value == NULL)
    g_test_fail_printf ("no PropertiesChanged for LicenseCount (expected %u)", expected);
  else if (!g_variant_is_of_type (value, G_VARIANT_TYPE_UINT32))
    g_test_fail_printf ("LicenseCount changed to a “%s”", g_variant_get_type_string (value));
  else
    g_assert_cmpuint (g_variant_get_uint32 (value), ==, expected);
}

static void
test_properties_license_count (Fixture *f, gconstpointer arg)
{
  g_autoptr (LbTestSignalQueue) queue
      = lb_test_properties_changed_queue_new (f->bus, LB_TEST_STORE_IFACE);
  g_autoptr (GError) error = NULL;
  GVariantBuilder builder;
  guint removed = 0;

  g_assert_cmpuint (license_count (f), ==, 0);

  assert_store_license (f, "a", 10, 1, NULL);
  /* Up to date as soon as the call returns... */
  g_assert_cmpuint (license_count (f), ==, 1);
  /* ...and announced. */
  assert_count_signal (queue, 1);

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(saya{sv})"));
  g_variant_builder_add_value (&builder, license_tuple ("b", 10, 2, NULL));
  g_variant_builder_add_value (
      &builder, license_tuple ("expired", 10, 3,
                               lb_test_vardict_new ("expires", g_variant_new_int64 (1), NULL)));
  g_assert_true (lb_dbus_store_call_store_licenses_sync (f->store, g_variant_builder_end (&builder),
                                                         NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (license_count (f), ==, 3);
  assert_count_signal (queue, 3);

  /* Neither a replacement nor a refused call changes the count: the next
   * signal is the delete's. */
  assert_store_license (f, "a", 20, 4, NULL);
  store_license (f, "", 10, 1, NULL, &error);
  lb_test_assert_error_name (error, LB_ERROR_INVALID_ARGS);
  g_clear_error (&error);
  g_assert_true (lb_dbus_store_call_delete_license_sync (f->store, "b", NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (license_count (f), ==, 2);
  assert_count_signal (queue, 2);

  g_assert_true (lb_dbus_store_call_clean_license_store_sync (f->store, LB_CLEAN_FLAGS_EXPIRED,
                                                              &removed, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (removed, ==, 1);
  g_assert_cmpuint (license_count (f), ==, 1);
  assert_count_signal (queue, 1);
}

/* A client reading the proxy's cached LicenseCount as its call returns
 * sees the new value: the PropertiesChanged signal comes before the reply. */
static void
test_properties_license_count_cached (Fixture *f, gconstpointer arg)
{
  g_autoptr (GMainContext) context = g_main_context_ref_thread_default ();
  g_autoptr (GError) error = NULL;

  g_assert_cmpuint (lb_dbus_store_get_license_count (f->store), ==, 0);
  for (guint i = 1; i <= 5; i++)
    {
      g_autofree char *key_id = g_strdup_printf ("k%u", i);

      assert_store_license (f, key_id, 10, (guint8) i, NULL);
      /* Dispatch what arrived before the reply, and only that. */
      while (g_main_context_iteration (context, FALSE))
        ;
      g_assert_cmpuint (lb_dbus_store_get_license_count (f->store), ==, i);
    }
  g_assert_true (lb_dbus_store_call_delete_license_sync (f->store, "k1", NULL, &error));
  g_assert_no_error (error);
  while (g_main_context_iteration (context, FALSE))
    ;
  g_assert_cmpuint (lb_dbus_store_get_license_count (f->store), ==, 4);
}

static void
test_properties_license_count_at_start (Fixture *f, gconstpointer arg)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (
      lb_dbus_store_call_store_licenses_sync (f->store, license_batch (42, "k", 4), NULL, &error));
  g_assert_no_error (error);
  if (!fixture_restart (f))
    return;
  g_assert_cmpuint (license_count (f), ==, 42);
}

/* manager */

static void
test_manager_fresh_status (Fixture *f, gconstpointer arg)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *message = NULL;
  guint status = 99;
  struct
  {
    const char *name;
    GVariant *expected;
  } properties[] = {
    { "Status", g_variant_new_uint32 (LB_STATUS_INFORMATION) },
    { "Operation", g_variant_new_string ("") },
    { "OperationId", g_variant_new_uint64 (0) },
    { "LastBackupTime", g_variant_new_int64 (0) },
    { "BackupPath", g_variant_new_string ("") },
    { "RestorePath", g_variant_new_string ("") },
    { "AutomaticBackup", g_variant_new_string ("weekly") },
    { "NextBackupTime", g_variant_new_int64 (0) },
    { "KeepBackups", g_variant_new_uint32 (3) },
  };

  g_assert_true (
      lb_dbus_manager_call_get_status_sync (f->manager, &status, &message, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (status, ==, LB_STATUS_INFORMATION);
  g_assert_cmpstr (message, ==, "");

  for (guint i = 0; i < G_N_ELEMENTS (properties); i++)
    {
      g_autoptr (GVariant) expected = g_variant_ref_sink (properties[i].expected);
      g_autoptr (GVariant) value
          = lb_test_bus_get_property (f->bus, LB_TEST_MANAGER_IFACE, properties[i].name, &error);

      g_assert_no_error (error);
      g_clear_error (&error);
      if (value != NULL && !g_variant_equal (value, expected))
        g_test_fail_printf ("%s is %s on a fresh daemon; expected %s", properties[i].name,
                            g_variant_print (value, TRUE), g_variant_print (expected, TRUE));
    }
}

/* AutomaticBackup and KeepBackups take only their values, and keep them
 * across a restart. */
static void
test_manager_automatic (Fixture *f, gconstpointer arg)
{
  struct
  {
    const char *name;
    GVariant *value;
  } refused[] = {
    { "AutomaticBackup", g_variant_new_string ("hourly") },
    { "AutomaticBackup", g_variant_new_string ("") },
    { "AutomaticBackup", g_variant_new_uint32 (1) },
    { "KeepBackups", g_variant_new_uint32 (0) },
    { "KeepBackups", g_variant_new_uint32 (101) },
    { "KeepBackups", g_variant_new_string ("3") },
  };

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr (GError) error = NULL;

      g_assert_false (lb_test_bus_set_property (f->bus, LB_TEST_MANAGER_IFACE, refused[i].name,
                                                refused[i].value, &error));
      g_assert_nonnull (error);
    }
  {
    g_autoptr (GError) error = NULL;

    g_assert_true (lb_test_bus_set_property (f->bus, LB_TEST_MANAGER_IFACE, "AutomaticBackup",
                                             g_variant_new_string ("monthly"), &error));
    g_assert_no_error (error);
    g_assert_true (lb_test_bus_set_property (f->bus, LB_TEST_MANAGER_IFACE, "KeepBackups",
                                             g_variant_new_uint32 (7), &error));
    g_assert_no_error (error);
  }
  if (!fixture_restart (f))
    return;
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (GVariant) automatic
        = lb_test_bus_get_property (f->bus, LB_TEST_MANAGER_IFACE, "AutomaticBackup", &error);
    g_autoptr (GVariant) keep
        = lb_test_bus_get_property (f->bus, LB_TEST_MANAGER_IFACE, "KeepBackups", &error);

    g_assert_no_error (error);
    g_assert_cmpstr (automatic != NULL ? g_variant_get_string (automatic, NULL) : "", ==,
                     "monthly");
    g_assert_cmpuint (keep != NULL ? g_variant_get_uint32 (keep) : 0, ==, 7);
  }
}

static void
assert_path_property (Fixture *f, const char *name, const char *expected)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) value
      = lb_test_bus_get_property (f->bus, LB_TEST_MANAGER_IFACE, name, &error);

  g_assert_no_error (error);
  if (value != NULL)
    g_assert_cmpstr (g_variant_get_string (value, NULL), ==, expected);
}

static void
test_manager_paths (Fixture *f, gconstpointer arg)
{
  const char *names[] = { "BackupPath", "RestorePath" };
  const char *refused[] = { "relative/dir", "notauri", "~/licenses", "./licenses", "licenses" };
  const char *accepted[]
      = { "/abs", "file:///x", "/media/usb/licenses", "sftp://host/licenses", "" };

  for (guint n = 0; n < G_N_ELEMENTS (names); n++)
    {
      g_autoptr (LbTestSignalQueue) queue
          = lb_test_properties_changed_queue_new (f->bus, LB_TEST_MANAGER_IFACE);

      for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
        {
          g_autoptr (GError) error = NULL;

          lb_test_bus_set_property (f->bus, LB_TEST_MANAGER_IFACE, names[n],
                                    g_variant_new_string (refused[i]), &error);
          if (error == NULL)
            g_test_fail_printf ("%s “%s” was accepted", names[n], refused[i]);
          lb_test_assert_error_name (error, LB_ERROR_INVALID_ARGS);
          assert_path_property (f, names[n], "");
        }
      for (guint i = 0; i < G_N_ELEMENTS (accepted); i++)
        {
          g_autoptr (GError) error = NULL;
          g_autoptr (GVariant) changed = NULL;

          lb_test_bus_set_property (f->bus, LB_TEST_MANAGER_IFACE, names[n],
                                    g_variant_new_string (accepted[i]), &error);
          g_assert_no_error (error);
          assert_path_property (f, names[n], accepted[i]);
          changed = lb_test_wait_property_changed (queue, names[n], LB_TEST_TIMEOUT_MS);
          g_assert_nonnull (changed);
          if (changed != NULL)
            g_assert_cmpstr (g_variant_get_string (changed, NULL), ==, accepted[i]);
        }
      /* The wrong type is refused by GDBus itself, before the service. */
      {
        g_autoptr (GError) error = NULL;

        lb_test_bus_set_property (f->bus, LB_TEST_MANAGER_IFACE, names[n], g_variant_new_int32 (1),
                                  &error);
        lb_test_assert_dbus_error_name (error, "org.freedesktop.DBus.Error.InvalidArgs");
        assert_path_property (f, names[n], "");
      }
    }
}

static void
test_manager_paths_persist (Fixture *f, gconstpointer arg)
{
  g_autoptr (GError) error = NULL;

  lb_test_bus_set_property (f->bus, LB_TEST_MANAGER_IFACE, "BackupPath",
                            g_variant_new_string ("/media/usb/licenses"), &error);
  g_assert_no_error (error);
  lb_test_bus_set_property (f->bus, LB_TEST_MANAGER_IFACE, "RestorePath",
                            g_variant_new_string ("sftp://host/licenses"), &error);
  g_assert_no_error (error);
  if (!fixture_restart (f))
    return;
  assert_path_property (f, "BackupPath", "/media/usb/licenses");
  assert_path_property (f, "RestorePath", "sftp://host/licenses");

  /* A refused value is not persisted either. */
  lb_test_bus_set_property (f->bus, LB_TEST_MANAGER_IFACE, "BackupPath",
                            g_variant_new_string ("relative"), &error);
  lb_test_assert_error_name (error, LB_ERROR_INVALID_ARGS);
  if (!fixture_restart (f))
    return;
  assert_path_property (f, "BackupPath", "/media/usb/licenses");
}

/* privacy */

/* The first file under @dir holding @needle, or NULL. */
static char *
find_in_tree (const char *dir, const void *needle, gsize needle_len)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  if (d == NULL)
    return NULL;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autofree char *contents = NULL;
      char *found;
      gsize len;

      if (g_file_test (path, G_FILE_TEST_IS_SYMLINK))
        continue;
      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        {
          if ((found = find_in_tree (path, needle, needle_len)) != NULL)
            return found;
          continue;
        }
      if (g_file_get_contents (path, &contents, &len, NULL)
          && memmem (contents, len, needle, needle_len) != NULL)
        return g_steal_pointer (&path);
    }
  return NULL;
}

/* Asserts the raw machine id is in no file under XDG_DATA_HOME: neither
 * as text (either case) nor as its 16 bytes. */
static void
assert_raw_machine_id_absent (Fixture *f)
{
  const char *raw = lb_test_machine_get_machine_id (f->machine);
  g_autofree char *upper = g_ascii_strup (raw, -1);
  guint8 bytes[16];
  const struct
  {
    const char *what;
    const void *data;
    gsize len;
  } needles[] = {
    { "as text", raw, 32 },
    { "as upper-case text", upper, 32 },
    { "as bytes", bytes, sizeof bytes },
  };

  for (guint i = 0; i < 16; i++)
    bytes[i]
        = (guint8) (g_ascii_xdigit_value (raw[2 * i]) << 4 | g_ascii_xdigit_value (raw[2 * i + 1]));
  for (guint i = 0; i < G_N_ELEMENTS (needles); i++)
    {
      g_autofree char *file = find_in_tree (lb_test_machine_get_data_home (f->machine),
                                            needles[i].data, needles[i].len);

      if (file != NULL)
        g_test_fail_printf ("the raw machine id is in %s (%s)", file, needles[i].what);
    }
}

static void
test_privacy_machine_attribute (Fixture *f, gconstpointer arg)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *expected = NULL;
  g_autoptr (GVariant) attrs = NULL;
  g_autoptr (GVariant) blob = NULL;

  expected = lb_machine_app_id_from_file (lb_test_machine_get_machine_id_file (f->machine), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (expected, !=, lb_test_machine_get_machine_id (f->machine));

  assert_store_license (f, "k", 100, 1, NULL);
  g_assert_true (
      lb_dbus_store_call_store_licenses_sync (f->store, license_batch (50, "b", 8), NULL, &error));
  g_assert_no_error (error);
  lb_test_bus_set_property (f->bus, LB_TEST_MANAGER_IFACE, "BackupPath",
                            g_variant_new_string ("/media/backup"), &error);
  g_assert_no_error (error);

  blob = get_license (f, "k", &attrs, &error);
  g_assert_no_error (error);
  assert_attribute (attrs, "machine", g_variant_new_string (expected));

  /* Neither while it runs (WAL and all) nor once it has stopped. */
  assert_raw_machine_id_absent (f);
  lb_test_daemon_stop (f->daemon, SIGTERM);
  assert_raw_machine_id_absent (f);
  /* Nor in what it logs, --verbose as it is. */
  {
    g_autofree char *log = lb_test_daemon_read_log (f->daemon);

    g_assert_null (strstr (log, lb_test_machine_get_machine_id (f->machine)));
  }
}

static void
test_privacy_two_machines (Fixture *f, gconstpointer arg)
{
  g_autoptr (LbTestMachine) other = lb_test_machine_new (f->bus, "b");
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) attrs_a = NULL;
  g_autoptr (GVariant) attrs_b = NULL;
  g_autoptr (GVariant) blob = NULL;
  g_autoptr (GVariant) machine_a = NULL;
  g_autoptr (GVariant) machine_b = NULL;

  assert_store_license (f, "k", 10, 1, NULL);
  blob = get_license (f, "k", &attrs_a, &error);
  g_assert_no_error (error);
  lb_test_daemon_stop (f->daemon, SIGTERM);

  /* Machine b: its own store, its own id. */
  if (lb_test_machine_start_daemon (other, NULL) == NULL || !fixture_connect (f))
    return;
  g_assert_cmpuint (license_count (f), ==, 0);
  assert_store_license (f, "k", 10, 1, NULL);
  g_clear_pointer (&blob, g_variant_unref);
  blob = get_license (f, "k", &attrs_b, &error);
  g_assert_no_error (error);
  if (attrs_a == NULL || attrs_b == NULL)
    return;
  machine_a = lb_test_vardict_lookup (attrs_a, "machine");
  machine_b = lb_test_vardict_lookup (attrs_b, "machine");
  g_assert_nonnull (machine_a);
  g_assert_nonnull (machine_b);
  if (machine_a == NULL || machine_b == NULL)
    return;
  g_assert_cmpstr (g_variant_get_string (machine_a, NULL), ==,
                   lb_test_machine_get_app_id (f->machine));
  g_assert_cmpstr (g_variant_get_string (machine_b, NULL), ==, lb_test_machine_get_app_id (other));
  g_assert_cmpstr (g_variant_get_string (machine_a, NULL), !=,
                   g_variant_get_string (machine_b, NULL));
  lb_test_daemon_stop (lb_test_machine_get_daemon (other), SIGTERM);
}

/* lifecycle */

static void
test_lifecycle_restart_persists (Fixture *f, gconstpointer arg)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) attrs_before = NULL;

  assert_store_license (f, "keep", 5000, 1,
                        lb_test_vardict_new ("issuer", g_variant_new_string ("Studio"), "expires",
                                             g_variant_new_int64 (4102444800), NULL));
  assert_store_license (f, "drop", 10, 2, NULL);
  g_assert_true (lb_dbus_store_call_delete_license_sync (f->store, "drop", NULL, &error));
  g_autoptr (GVariant) blob = get_license (f, "keep", &attrs_before, &error);
  g_assert_no_error (error);

  if (!fixture_restart (f))
    return;
  g_assert_cmpuint (license_count (f), ==, 1);
  assert_blob (f, "keep", 5000, 1);
  assert_not_found (f, "drop");
  g_autoptr (GVariant) attrs_after = NULL;
  g_clear_pointer (&blob, g_variant_unref);
  blob = get_license (f, "keep", &attrs_after, &error);
  g_assert_no_error (error);
  /* Every attribute, "stored" included, as it was. */
  if (attrs_before != NULL && attrs_after != NULL && !g_variant_equal (attrs_before, attrs_after))
    g_test_fail_printf ("attributes changed over a restart: %s became %s",
                        g_variant_print (attrs_before, TRUE), g_variant_print (attrs_after, TRUE));
}

static void
test_lifecycle_store_dir_mode (Fixture *f, gconstpointer arg)
{
  const char *dir = lb_test_machine_get_store_dir (f->machine);
  g_autoptr (GDir) d = NULL;
  g_autoptr (GError) error = NULL;
  const char *name;
  GStatBuf st;

  /* Not even XDG_DATA_HOME exists yet. */
  g_assert_cmpint (g_rmdir (lb_test_machine_get_data_home (f->machine)), ==, 0);
  if (!fixture_start (f, NULL))
    return;
  assert_store_license (f, "k", 10, 1, NULL);
  lb_test_bus_set_property (f->bus, LB_TEST_MANAGER_IFACE, "BackupPath",
                            g_variant_new_string ("/media/backup"), &error);
  g_assert_no_error (error);

  g_assert_cmpint (g_stat (dir, &st), ==, 0);
  g_assert_true (S_ISDIR (st.st_mode));
  g_assert_cmpint (st.st_mode & 07777, ==, 0700);
  /* Nothing in it readable by others either. */
  d = g_dir_open (dir, 0, &error);
  g_assert_no_error (error);
  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      g_assert_cmpint (g_stat (path, &st), ==, 0);
      if ((st.st_mode & 077) != 0)
        g_test_fail_printf ("%s has mode %04o", path, (guint) (st.st_mode & 07777));
    }
}

static void
test_lifecycle_signal (Fixture *f, gconstpointer arg)
{
  int signum = GPOINTER_TO_INT (arg);

  assert_store_license (f, "k", 10, 1, NULL);
  /* Exit status 0, and the name released. */
  lb_test_daemon_stop (f->daemon, signum);
  g_assert_cmpuint (lb_test_bus_get_owner_pid (f->bus), ==, 0);
  /* Nothing lost. */
  if (!fixture_start (f, NULL))
    return;
  assert_blob (f, "k", 10, 1);
}

static void
test_lifecycle_replace (Fixture *f, gconstpointer arg)
{
  LbTestDaemon *first = f->daemon;
  LbTestDaemon *second;
  LbTestDaemon *third;
  g_autoptr (GError) error = NULL;

  assert_store_license (f, "k", 10, 1, NULL);

  /* --replace takes the name; the first daemon leaves, successfully. */
  second = lb_test_machine_start_daemon (f->machine,
                                         &(LbTestDaemonOptions){ .flags = LB_TEST_DAEMON_REPLACE });
  g_assert_nonnull (second);
  if (second == NULL)
    return;
  lb_test_assert_daemon_exited (first, 0);
  g_assert_true (lb_test_daemon_is_running (second));
  if (!fixture_connect (f))
    return;
  assert_blob (f, "k", 10, 1);

  /* Without --replace, a newcomer fails and the owner stays. */
  third = lb_test_machine_start_daemon (f->machine,
                                        &(LbTestDaemonOptions){ .flags = LB_TEST_DAEMON_NO_WAIT });
  g_assert_nonnull (third);
  if (third == NULL)
    return;
  g_assert_true (lb_test_daemon_wait_exit (third, LB_TEST_TIMEOUT_MS));
  if (!lb_test_daemon_is_running (third))
    {
      g_autofree char *log = lb_test_daemon_read_log (third);

      g_assert_cmpint (lb_test_daemon_get_term_signal (third), ==, 0);
      g_assert_cmpint (lb_test_daemon_get_exit_status (third), !=, 0);
      /* It says why. */
      g_assert_cmpstr (log, !=, "");
    }
  g_assert_true (lb_test_daemon_is_running (second));
  g_assert_cmpuint (lb_test_bus_get_owner_pid (f->bus), ==,
                    (guint32) lb_test_daemon_get_pid (second));
  assert_blob (f, "k", 10, 1);
  lb_test_daemon_stop (second, SIGTERM);
}

static void
assert_start_fails (Fixture *f, const LbTestDaemonOptions *options, int status)
{
  LbTestDaemon *daemon = lb_test_machine_start_daemon (f->machine, options);
  g_autofree char *log = NULL;

  g_assert_nonnull (daemon);
  if (daemon == NULL)
    return;
  lb_test_assert_daemon_exited (daemon, status);
  g_assert_cmpuint (lb_test_bus_get_owner_pid (f->bus), ==, 0);
  log = lb_test_daemon_read_log (daemon);
  g_assert_cmpstr (log, !=, "");
}

static void
test_lifecycle_bad_machine_id (Fixture *f, gconstpointer arg)
{
  const char *bad[] = { "", "uninitialized", "5f3e9a0c2b7d41e8a6c4d2f0b1e3c5a",
                        "5f3e9a0c-2b7d-41e8-a6c4-d2f0b1e3c5a7" };
  LbTestDaemonOptions options = { .flags = LB_TEST_DAEMON_NO_WAIT };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      lb_test_machine_write_machine_id_file (f->machine, bad[i]);
      assert_start_fails (f, &options, 1);
    }
  g_assert_cmpint (g_unlink (lb_test_machine_get_machine_id_file (f->machine)), ==, 0);
  assert_start_fails (f, &options, 1);
  /* Nothing was created for a daemon that could not start. */
  g_assert_false (g_file_test (lb_test_machine_get_store_dir (f->machine), G_FILE_TEST_EXISTS));
}

static void
test_lifecycle_bad_arguments (Fixture *f, gconstpointer arg)
{
  const char *negative[] = { "--idle-timeout", "-1", NULL };
  const char *unknown[] = { "--no-such-option", NULL };

  assert_start_fails (
      f, &(LbTestDaemonOptions){ .flags = LB_TEST_DAEMON_NO_WAIT, .extra_args = negative }, 2);
  assert_start_fails (
      f, &(LbTestDaemonOptions){ .flags = LB_TEST_DAEMON_NO_WAIT, .extra_args = unknown }, 2);
}

/* A call that reaches the daemon while it shuts down must see it gone
 * (NoReply, or no owner for the name, which activation would restart),
 * never a daemon without its objects (UnknownMethod). Keeps 50 GetStatus
 * calls in flight across a SIGTERM, a few times. */
typedef struct
{
  GDBusConnection *connection;
  GHashTable *errors; /* D-Bus error name -> count */
  guint pending;
  guint succeeded;
  gboolean stop;
} Flood;

static void flood_send (Flood *flood);

static void
flood_reply_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Flood *flood = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = NULL;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  if (reply != NULL)
    flood->succeeded++;
  else
    {
      char *name = g_dbus_error_get_remote_error (error);

      if (name == NULL)
        name = g_strdup (error->message);
      g_hash_table_insert (
          flood->errors, name,
          GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (flood->errors, name)) + 1));
    }
  flood->pending--;
  if (!flood->stop)
    flood_send (flood);
}

static void
flood_send (Flood *flood)
{
  flood->pending++;
  g_dbus_connection_call (flood->connection, LB_TEST_BUS_NAME, LB_TEST_OBJECT_PATH,
                          LB_TEST_MANAGER_IFACE, "GetStatus", NULL, G_VARIANT_TYPE ("(us)"),
                          G_DBUS_CALL_FLAGS_NO_AUTO_START, -1, NULL, flood_reply_cb, flood);
}

static gboolean
flood_done (gpointer user_data)
{
  return ((Flood *) user_data)->pending == 0;
}

static void
test_lifecycle_shutdown_race (Fixture *f, gconstpointer arg)
{
  const char *allowed[] = {
    "org.freedesktop.DBus.Error.NoReply",
    "org.freedesktop.DBus.Error.ServiceUnknown",
    "org.freedesktop.DBus.Error.NameHasNoOwner",
    NULL,
  };
  guint unknown_method = 0;

  for (guint round = 0; round < 3 && unknown_method == 0 && !g_test_failed (); round++)
    {
      g_autoptr (GHashTable) errors = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      Flood flood = { lb_test_bus_get_connection (f->bus), errors, 0, 0, FALSE };
      LbTestDaemon *daemon
          = round == 0 ? f->daemon : lb_test_machine_start_daemon (f->machine, NULL);
      GHashTableIter iter;
      gpointer name, count;

      if (daemon == NULL)
        return;
      for (guint i = 0; i < 50; i++)
        flood_send (&flood);
      lb_test_run_for (50);
      g_assert_cmpuint (flood.succeeded, >, 0);
      kill (lb_test_daemon_get_pid (daemon), SIGTERM);
      lb_test_assert_daemon_exited (daemon, 0);
      lb_test_run_for (20);
      flood.stop = TRUE;
      g_assert_true (lb_test_wait_until (flood_done, &flood, LB_TEST_TIMEOUT_MS));

      g_hash_table_iter_init (&iter, errors);
      while (g_hash_table_iter_next (&iter, &name, &count))
        {
          g_test_message ("round %u: %u × %s", round, GPOINTER_TO_UINT (count), (char *) name);
          if (g_str_equal (name, "org.freedesktop.DBus.Error.UnknownMethod"))
            unknown_method += GPOINTER_TO_UINT (count);
          else if (!g_strv_contains (allowed, name))
            g_test_fail_printf ("a call during shutdown failed with %s", (char *) name);
        }
    }
  /* main() releases the bus name before it unexports the objects. */
  if (unknown_method > 0)
    g_test_fail_printf ("%u calls during shutdown got UnknownMethod (“Object does not exist”)",
                        unknown_method);
}

/* SIGTERM while a large write runs: a clean exit, and the write is all or
 * nothing, consistent with the reply (if any). */
typedef struct
{
  gboolean done;
  GError *error;
} Reply;

static void
store_licenses_reply_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Reply *reply = user_data;

  lb_dbus_store_call_store_licenses_finish (LB_DBUS_STORE (source), result, &reply->error);
  reply->done = TRUE;
}

static gboolean
reply_done (gpointer user_data)
{
  return ((Reply *) user_data)->done;
}

static void
test_lifecycle_sigterm_during_write (Fixture *f, gconstpointer arg)
{
  Reply reply = { FALSE, NULL };
  guint count;

  assert_store_license (f, "before", 10, 1, NULL);
  g_assert_cmpuint (license_count (f), ==, 1);
  /* Small to send, slow to write: 10,000 rows in one transaction. */
  lb_dbus_store_call_store_licenses (f->store, license_batch (BULK_MAX_LICENSES, "w", 8), NULL,
                                     store_licenses_reply_cb, &reply);
  /* Long enough for the call to arrive and start, well short of the
   * ~400 ms the write takes. Whether the daemon finishes it before exiting
   * is its choice; a half-written batch is not. */
  lb_test_run_for (60);
  kill (lb_test_daemon_get_pid (f->daemon), SIGTERM);
  g_assert_true (lb_test_wait_until (reply_done, &reply, LB_TEST_TIMEOUT_MS));
  lb_test_assert_daemon_exited (f->daemon, 0);
  if (reply.error != NULL)
    g_test_message ("the write's reply: %s", reply.error->message);

  if (!fixture_start (f, NULL))
    return;
  count = license_count (f);
  if (reply.error == NULL)
    g_assert_cmpuint (count, ==, BULK_MAX_LICENSES + 1);
  else if (count != 1 && count != BULK_MAX_LICENSES + 1)
    g_test_fail_printf ("%u licenses after an interrupted batch of %d", count, BULK_MAX_LICENSES);
  assert_blob (f, "before", 10, 1);
  g_clear_error (&reply.error);
}

static void
test_lifecycle_corrupt_store (Fixture *f, gconstpointer arg)
{
  const char *dir = lb_test_machine_get_store_dir (f->machine);
  g_autofree char *db = g_build_filename (dir, "licenses.db", NULL);
  g_autofree char *after = NULL;
  const char garbage[] = "this is not an SQLite database, and never was";
  g_autoptr (GError) error = NULL;
  gsize len = 0;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_file_set_contents (db, garbage, -1, &error);
  g_assert_no_error (error);
  /* It refuses to run rather than replace what it cannot read. */
  assert_start_fails (f, &(LbTestDaemonOptions){ .flags = LB_TEST_DAEMON_NO_WAIT }, 1);
  g_file_get_contents (db, &after, &len, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (after, len, garbage, strlen (garbage));
}

/* idle */

static void
test_idle_exit (Fixture *f, gconstpointer arg)
{
  LbTestDaemon *daemon;
  gint64 lifetime;

  daemon = lb_test_machine_start_daemon (f->machine, &(LbTestDaemonOptions){ .idle_timeout = 1 });
  if (daemon == NULL)
    return;
  g_assert_true (lb_test_daemon_wait_exit (daemon, 5000));
  lb_test_assert_daemon_exited (daemon, 0);
  lifetime = lb_test_daemon_get_exit_time (daemon) - lb_test_daemon_get_start_time (daemon);
  g_test_message ("exited after %" G_GINT64_FORMAT " ms", lifetime / 1000);
  /* About a second: GLib's second timers may fire a quarter early. */
  g_assert_cmpint (lifetime, >=, 700 * 1000);
  g_assert_true (lb_test_bus_wait_no_owner (f->bus, LB_TEST_TIMEOUT_MS));
}

static void
test_idle_never (Fixture *f, gconstpointer arg)
{
  /* The fixture's daemon has --idle-timeout 0. */
  g_assert_false (lb_test_daemon_wait_exit (f->daemon, 3000));
  g_assert_true (lb_test_daemon_is_running (f->daemon));
  assert_store_license (f, "k", 10, 1, NULL);
}

/* Keeps calling for 2.5 s a daemon that idles out after 1 s, then stops. */
static void
test_idle_busy (Fixture *f, gconstpointer arg)
{
  const char *kind = arg;
  gboolean manager = g_str_equal (kind, "manager");
  LbTestDaemon *daemon;
  gint64 end, last_call;
  guint calls = 0;

  daemon = lb_test_machine_start_daemon (f->machine, &(LbTestDaemonOptions){ .idle_timeout = 1 });
  if (daemon == NULL || !fixture_connect (f))
    return;
  end = g_get_monotonic_time () + 2500 * 1000;
  while (g_get_monotonic_time () < end)
    {
      g_autoptr (GError) error = NULL;

      if (manager)
        {
          g_autofree char *message = NULL;
          guint status;

          lb_dbus_manager_call_get_status_sync (f->manager, &status, &message, NULL, &error);
        }
      else
        store_license (f, "k", 100, (guint8) calls, NULL, &error);
      if (error != NULL)
        {
          /* Every call, GetStatus too, restarts the idle timer. */
          g_test_message ("%s failed after %u calls", manager ? "GetStatus" : "StoreLicense",
                          calls);
          g_assert_no_error (error);
          return;
        }
      calls++;
    }
  last_call = g_get_monotonic_time ();
  g_test_message ("%u calls in 2.5 s", calls);
  g_assert_true (lb_test_daemon_is_running (daemon));

  /* Then, left alone, it goes. */
  g_assert_true (lb_test_daemon_wait_exit (daemon, 5000));
  lb_test_assert_daemon_exited (daemon, 0);
  g_assert_cmpint (lb_test_daemon_get_exit_time (daemon) - last_call, >=, 700 * 1000);
}

/* crash: the daemon SIGKILLs itself at a fault point (src/fault.c) */

static void
test_crash (Fixture *f, gconstpointer arg)
{
  const char *point = arg;
  gboolean committed = g_str_equal (point, "store-after-commit");
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) attrs_before = NULL;
  GVariantBuilder builder;

  if (!fixture_start (f, NULL))
    return;
  assert_store_license (f, "victim", 2000, 1,
                        lb_test_vardict_new ("issuer", g_variant_new_string ("old"), NULL));
  assert_store_license (f, "bystander", 30, 2, NULL);
  g_autoptr (GVariant) blob = get_license (f, "victim", &attrs_before, &error);
  g_assert_no_error (error);
  lb_test_daemon_stop (f->daemon, SIGTERM);

  LbTestDaemon *daemon
      = lb_test_machine_start_daemon (f->machine, &(LbTestDaemonOptions){ .fault = point });
  if (daemon == NULL || !fixture_connect (f))
    return;
  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(saya{sv})"));
  g_variant_builder_add_value (&builder, license_tuple ("victim", 1000, 3, NULL));
  g_variant_builder_add_value (&builder, license_tuple ("fresh", 10, 4, NULL));
  g_assert_false (lb_dbus_store_call_store_licenses_sync (
      f->store, g_variant_builder_end (&builder), NULL, &error));
  /* The caller learns that the service went away without answering. */
  lb_test_assert_dbus_error_name (error, "org.freedesktop.DBus.Error.NoReply");
  g_clear_error (&error);
  g_assert_true (lb_test_daemon_wait_exit (daemon, LB_TEST_TIMEOUT_MS));
  if (lb_test_daemon_is_running (daemon))
    return;
  g_assert_cmpint (lb_test_daemon_get_term_signal (daemon), ==, SIGKILL);

  if (!fixture_start (f, NULL))
    return;
  assert_blob (f, "bystander", 30, 2);
  if (committed)
    {
      g_assert_cmpuint (license_count (f), ==, 3);
      assert_blob (f, "victim", 1000, 3);
      assert_blob (f, "fresh", 10, 4);
    }
  else
    {
      g_assert_cmpuint (license_count (f), ==, 2);
      assert_blob (f, "victim", 2000, 1);
      assert_not_found (f, "fresh");
      g_autoptr (GVariant) attrs_after = NULL;
      g_clear_pointer (&blob, g_variant_unref);
      blob = get_license (f, "victim", &attrs_after, &error);
      g_assert_no_error (error);
      if (attrs_before != NULL && attrs_after != NULL)
        g_assert_true (g_variant_equal (attrs_before, attrs_after));
    }
}

/* activation */

static gboolean
process_gone (gpointer user_data)
{
  return kill ((pid_t) GPOINTER_TO_INT (user_data), 0) != 0 && errno == ESRCH;
}

/* The build tree's activation file, with " --machine-id-file @path" added
 * to its Exec, in a new share directory under @root. Returns that share
 * directory. */
static char *
make_share_with_machine_id_file (const char *root, GKeyFile *service, const char *path)
{
  g_autofree char *share = g_build_filename (root, "share", NULL);
  g_autofree char *services = g_build_filename (share, "dbus-1", "services", NULL);
  g_autofree char *file = g_build_filename (services, LB_TEST_BUS_NAME ".service", NULL);
  g_autofree char *exec = g_key_file_get_string (service, "D-BUS Service", "Exec", NULL);
  g_autofree char *new_exec = g_strdup_printf ("%s --machine-id-file %s", exec, path);
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (services, 0700), ==, 0);
  g_key_file_set_string (service, "D-BUS Service", "Exec", new_exec);
  g_key_file_save_to_file (service, file, &error);
  g_assert_no_error (error);
  return g_steal_pointer (&share);
}

static void
test_activation (Fixture *f, gconstpointer arg)
{
  g_autofree char *root = lb_test_make_tmp_dir ("activation");
  g_autofree char *data_home = g_build_filename (root, "data", NULL);
  g_autofree char *home = g_build_filename (root, "home", NULL);
  g_autofree char *service_path = g_build_filename (LB_TEST_SHARE_DIR, "dbus-1", "services",
                                                    LB_TEST_BUS_NAME ".service", NULL);
  g_autofree char *share = g_strdup (LB_TEST_SHARE_DIR);
  const char *system_machine_id = g_getenv ("LB_TEST_SYSTEM_MACHINE_ID") != NULL
                                      ? g_getenv ("LB_TEST_SYSTEM_MACHINE_ID")
                                      : "/etc/machine-id";
  g_autofree char *app_id = NULL;
  g_autofree char *name = NULL;
  g_autofree char *exec = NULL;
  g_autofree char *env_data_dirs = NULL;
  g_autofree char *env_data_home = NULL;
  g_autofree char *env_home = NULL;
  g_autofree char *db = NULL;
  g_autoptr (GKeyFile) service = g_key_file_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GVariant) attrs = NULL;
  g_auto (GStrv) exec_argv = NULL;
  const char **activatable = NULL;
  guint32 pid;

  g_assert_cmpint (g_mkdir (data_home, 0755), ==, 0);
  g_assert_cmpint (g_mkdir (home, 0700), ==, 0);

  /* The file meson generated names the service and the build-tree daemon. */
  g_key_file_load_from_file (service, service_path, G_KEY_FILE_NONE, &error);
  g_assert_no_error (error);
  if (error != NULL)
    return;
  name = g_key_file_get_string (service, "D-BUS Service", "Name", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (name, ==, LB_TEST_BUS_NAME);
  exec = g_key_file_get_string (service, "D-BUS Service", "Exec", &error);
  g_assert_no_error (error);
  if (exec == NULL || !g_shell_parse_argv (exec, NULL, &exec_argv, &error))
    return;
  g_assert_cmpstr (exec_argv[0], ==, lb_test_get_daemon_path ());

  /* The activated daemon reads /etc/machine-id, and its Exec cannot say
   * otherwise. Where that file is missing or bad (containers, some CI),
   * activate a copy of the file whose Exec names a machine-id file.
   * ($LB_TEST_SYSTEM_MACHINE_ID names another file, to try that here.) */
  app_id = lb_machine_app_id_from_file (system_machine_id, &error);
  if (app_id == NULL)
    {
      g_autofree char *machine_id_file = g_build_filename (root, "machine-id", NULL);

      g_test_message ("%s is unusable (%s): activating with --machine-id-file", system_machine_id,
                      error->message);
      g_clear_error (&error);
      g_file_set_contents (machine_id_file, "5f3e9a0c2b7d41e8a6c4d2f0b1e3c5a7\n", -1, &error);
      g_assert_no_error (error);
      app_id = lb_machine_app_id_from_file (machine_id_file, &error);
      g_assert_no_error (error);
      g_free (share);
      share = make_share_with_machine_id_file (root, service, machine_id_file);
    }

  /* A session bus with the standard session configuration: its service
   * directories include $XDG_DATA_DIRS/dbus-1/services. */
  env_data_dirs = g_strdup_printf ("XDG_DATA_DIRS=%s", share);
  env_data_home = g_strdup_printf ("XDG_DATA_HOME=%s", data_home);
  env_home = g_strdup_printf ("HOME=%s", home);
  {
    const char *envp[] = { env_data_dirs, env_data_home, env_home, NULL };

    f->bus = lb_test_bus_new_session (envp);
  }
  if (lb_test_bus_get_connection (f->bus) == NULL)
    goto out;
  g_assert_cmpuint (lb_test_bus_get_owner_pid (f->bus), ==, 0);

  reply = g_dbus_connection_call_sync (lb_test_bus_get_connection (f->bus), "org.freedesktop.DBus",
                                       "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                       "ListActivatableNames", NULL, G_VARIANT_TYPE ("(as)"),
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
  if (reply != NULL)
    {
      g_variant_get (reply, "(^a&s)", &activatable);
      g_assert_true (g_strv_contains (activatable, LB_TEST_BUS_NAME));
      g_free (activatable);
    }
  g_clear_pointer (&reply, g_variant_unref);

  /* A call to the name starts the daemon, and succeeds. */
  reply = g_dbus_connection_call_sync (
      lb_test_bus_get_connection (f->bus), LB_TEST_BUS_NAME, LB_TEST_OBJECT_PATH,
      LB_TEST_STORE_IFACE, "StoreLicense",
      g_variant_new ("(s@ay@a{sv})", "activated", lb_test_blob_new (64, 1), empty_attrs ()),
      G_VARIANT_TYPE_UNIT, G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
  g_clear_pointer (&reply, g_variant_unref);
  pid = lb_test_bus_get_owner_pid (f->bus);
  g_assert_cmpuint (pid, !=, 0);
  if (pid == 0)
    goto out;

  reply = g_dbus_connection_call_sync (
      lb_test_bus_get_connection (f->bus), LB_TEST_BUS_NAME, LB_TEST_OBJECT_PATH,
      LB_TEST_STORE_IFACE, "GetLicense", g_variant_new ("(s)", "activated"),
      G_VARIANT_TYPE ("(aya{sv})"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
  if (reply != NULL)
    {
      attrs = g_variant_get_child_value (reply, 1);
      assert_attribute (attrs, "machine", g_variant_new_string (app_id));
    }
  /* In the XDG_DATA_HOME the bus passed on. */
  db = g_build_filename (data_home, "license-backup", "licenses.db", NULL);
  g_assert_true (g_file_test (db, G_FILE_TEST_IS_REGULAR));

  kill ((pid_t) pid, SIGTERM);
  g_assert_true (lb_test_bus_wait_no_owner (f->bus, LB_TEST_TIMEOUT_MS));
  g_assert_true (
      lb_test_wait_until (process_gone, GINT_TO_POINTER ((int) pid), LB_TEST_TIMEOUT_MS));

out:
  g_clear_pointer (&f->bus, lb_test_bus_free);
  lb_test_rm_rf (root);
}

/* harness */

/* The exe of each process whose parent is this one. */
static GPtrArray *
child_exes (void)
{
  GPtrArray *exes = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GDir) proc = g_dir_open ("/proc", 0, NULL);
  const char *name;

  g_assert_nonnull (proc);
  while (proc != NULL && (name = g_dir_read_name (proc)) != NULL)
    {
      g_autofree char *stat_path = g_build_filename ("/proc", name, "stat", NULL);
      g_autofree char *exe_path = g_build_filename ("/proc", name, "exe", NULL);
      g_autofree char *stat = NULL;
      const char *after_name;
      int ppid = 0;

      if (!g_ascii_isdigit (name[0]) || !g_file_get_contents (stat_path, &stat, NULL, NULL))
        continue;
      /* "pid (comm) state ppid ...": comm may hold spaces and parentheses. */
      after_name = strrchr (stat, ')');
      if (after_name == NULL || sscanf (after_name, ") %*c %d", &ppid) != 1 || ppid != getpid ())
        continue;
      g_ptr_array_add (exes, g_file_read_link (exe_path, NULL));
    }
  return exes;
}

/* The harness's bus is a dbus-daemon that is our child, and nothing else
 * of ours runs beside it. GTestDBus forked a watcher, a copy of this
 * program, that could deadlock in exit() and hold the test's output open
 * until meson's timeout (see lb-test-util.c). */
static void
test_harness_bus_processes (Fixture *f, gconstpointer arg)
{
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
  g_autoptr (GPtrArray) exes = child_exes ();
  guint daemons = 0;

  for (guint i = 0; i < exes->len; i++)
    {
      const char *exe = exes->pdata[i];

      g_test_message ("child: %s", exe != NULL ? exe : "(gone)");
      if (g_strcmp0 (exe, self) == 0)
        g_test_fail_printf ("a copy of the test program (%s) runs beside the bus", exe);
      if (exe != NULL && g_str_has_suffix (exe, "/dbus-daemon"))
        daemons++;
    }
  g_assert_cmpuint (daemons, ==, 1);

  /* Freed, the bus leaves no dbus-daemon behind. */
  g_clear_pointer (&f->machine, lb_test_machine_free);
  g_clear_pointer (&f->bus, lb_test_bus_free);
  g_clear_pointer (&exes, g_ptr_array_unref);
  exes = child_exes ();
  for (guint i = 0; i < exes->len; i++)
    g_assert_false (
        g_str_has_suffix (exes->pdata[i] != NULL ? exes->pdata[i] : "", "/dbus-daemon"));
}

/* Registration */

static const TestCase tests[] = {
  { "store/get-all-attributes", SETUP_DAEMON, test_store_get_all_attributes },
  { "store/defaults", SETUP_DAEMON, test_store_defaults },
  { "store/replace", SETUP_DAEMON, test_store_replace },
  { "store/delete", SETUP_DAEMON, test_store_delete },
  { "store/not-found", SETUP_DAEMON, test_store_not_found },
  { "store/bulk", SETUP_DAEMON, test_store_bulk },
  { "store/bulk-empty", SETUP_DAEMON, test_store_bulk_empty },
  { "store/bulk-all-or-nothing", SETUP_DAEMON, test_store_bulk_all_or_nothing },
  { "store/bulk-bad-key-message", SETUP_DAEMON, test_store_bulk_bad_key_message },
  { "store/clean", SETUP_DAEMON, test_store_clean },
  { "store/clean-bad-flags", SETUP_DAEMON, test_store_clean_bad_flags },
  { "store/clean-reclaims", SETUP_DAEMON, test_store_clean_reclaims },
  { "store/deletes-reclaim", SETUP_DAEMON, test_store_deletes_reclaim },
  { "store/db-reclaim-clean", SETUP_DAEMON, test_store_db_reclaim, GINT_TO_POINTER (TRUE) },
  { "store/db-reclaim-auto", SETUP_DAEMON, test_store_db_reclaim, GINT_TO_POINTER (FALSE) },
  { "store/concurrent", SETUP_DAEMON, test_store_concurrent },

  { "attributes/wrong-types", SETUP_DAEMON, test_attributes_wrong_types },
  { "attributes/round-trip", SETUP_DAEMON, test_attributes_round_trip },
  { "attributes/unknown-key", SETUP_DAEMON, test_attributes_unknown_key },
  { "attributes/service-kept", SETUP_DAEMON, test_attributes_service_kept },
  { "attributes/duplicate", SETUP_DAEMON, test_attributes_duplicate },
  { "attributes/string-max", SETUP_DAEMON, test_attributes_string_max },
  { "attributes/expires-negative", SETUP_DAEMON, test_attributes_expires_negative },

  { "limits/key-id", SETUP_DAEMON, test_limits_key_id },
  { "limits/blob", SETUP_DAEMON, test_limits_blob },
  { "limits/bulk-count", SETUP_DAEMON, test_limits_bulk_count },

  { "bulk-size/64mib", SETUP_LARGE_BUS, test_bulk_size },

  { "list/options-invalid", SETUP_DAEMON, test_list_options_invalid },
  { "list/paging", SETUP_DAEMON, test_list_paging },
  { "list/limits", SETUP_DAEMON, test_list_limits },
  { "list/changes-between-pages", SETUP_DAEMON, test_list_changes_between_pages },
  { "list/empty", SETUP_DAEMON, test_list_empty },

  { "properties/license-count", SETUP_DAEMON, test_properties_license_count },
  { "properties/license-count-cached", SETUP_DAEMON, test_properties_license_count_cached },
  { "properties/license-count-at-start", SETUP_DAEMON, test_properties_license_count_at_start },

  { "manager/fresh-status", SETUP_DAEMON, test_manager_fresh_status },
  { "manager/paths", SETUP_DAEMON, test_manager_paths },
  { "manager/automatic", SETUP_DAEMON, test_manager_automatic },
  { "manager/paths-persist", SETUP_DAEMON, test_manager_paths_persist },

  { "privacy/machine-attribute", SETUP_DAEMON, test_privacy_machine_attribute },
  { "privacy/two-machines", SETUP_DAEMON, test_privacy_two_machines },

  { "lifecycle/restart-persists", SETUP_DAEMON, test_lifecycle_restart_persists },
  { "lifecycle/store-dir-mode", SETUP_BARE, test_lifecycle_store_dir_mode },
  { "lifecycle/sigterm", SETUP_DAEMON, test_lifecycle_signal, GINT_TO_POINTER (SIGTERM) },
  { "lifecycle/sigint", SETUP_DAEMON, test_lifecycle_signal, GINT_TO_POINTER (SIGINT) },
  { "lifecycle/replace", SETUP_DAEMON, test_lifecycle_replace },
  { "lifecycle/bad-machine-id", SETUP_BARE, test_lifecycle_bad_machine_id },
  { "lifecycle/bad-arguments", SETUP_BARE, test_lifecycle_bad_arguments },
  { "lifecycle/corrupt-store", SETUP_BARE, test_lifecycle_corrupt_store },
  { "lifecycle/shutdown-race", SETUP_DAEMON, test_lifecycle_shutdown_race },
  { "lifecycle/sigterm-during-write", SETUP_DAEMON, test_lifecycle_sigterm_during_write },

  { "idle/exit", SETUP_BARE, test_idle_exit },
  { "idle/never", SETUP_DAEMON, test_idle_never },
  { "idle/busy-store", SETUP_BARE, test_idle_busy, "store" },
  { "idle/busy-manager", SETUP_BARE, test_idle_busy, "manager" },

  { "crash/store-before-commit", SETUP_BARE, test_crash, "store-before-commit" },
  { "crash/store-after-commit", SETUP_BARE, test_crash, "store-after-commit" },

  { "activation/auto-start", SETUP_NOTHING, test_activation },
  { "harness/bus-processes", SETUP_BARE, test_harness_bus_processes },
};

int
main (int argc, char **argv)
{
  return lb_test_run_grouped (&argc, &argv, "/daemon/", tests, Fixture, setup, teardown);
}
