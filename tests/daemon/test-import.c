/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Integration tests of StoreLicensesFromFd (docs/import-format.md): the
 * real daemon on a private bus, payloads in memfds made here byte by byte,
 * sent with g_dbus_connection_call_with_unix_fd_list_sync as an app would.
 *
 * What a caller sees: the count stored, LicenseCount, the licenses read
 * back; and for every refusal InvalidArgs or NoSpace with nothing stored,
 * not even a license that replaced one already there. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gunixfdlist.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lb-test-sandbox.h"
#include "lb-test-util.h"

/* The bounds docs/import-format.md gives a record's length. */
#define RECORD_MAX (1024 * 1024 + 64 * 1024)
#define BLOB_MAX (1024 * 1024)
#define ALL_SEALS (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW)
#define APP_ID "org.example.Importer"
#define PRIOR_KEY "key-000007"
#define PRIOR_BLOB "before the import"

typedef struct
{
  LbTestBus *bus;
  LbTestMachine *machine;
} Fixture;

static void
setup (Fixture *f, gconstpointer data)
{
  LbTestDaemonOptions options = { .extra_args = data };

  f->bus = lb_test_bus_new (LB_TEST_BUS_DEFAULT);
  f->machine = lb_test_machine_new (f->bus, "import");
  g_assert_nonnull (lb_test_machine_start_daemon (f->machine, &options));
}

static void
teardown (Fixture *f, gconstpointer data)
{
  g_clear_pointer (&f->machine, lb_test_machine_free);
  g_clear_pointer (&f->bus, lb_test_bus_free);
}

/* Payloads */

static GByteArray *
payload_new (void)
{
  GByteArray *p = g_byte_array_new ();

  g_byte_array_append (p, (const guint8 *) "LBI1", 4);
  return p;
}

static void
payload_add_raw (GByteArray *p, guint32 len, const void *data, gsize size)
{
  guint32 le = GUINT32_TO_LE (len);

  g_byte_array_append (p, (const guint8 *) &le, sizeof le);
  g_byte_array_append (p, data, (guint) size);
}

/* Appends @tuple (a floating (saya{sv})) as a record in normal form,
 * little-endian; returns the record's byte offset. */
static gsize
payload_add (GByteArray *p, GVariant *tuple)
{
  g_autoptr (GVariant) v = g_variant_get_normal_form (g_variant_ref_sink (tuple));
  gsize offset = p->len;

  g_variant_unref (tuple);
  if (G_BYTE_ORDER == G_BIG_ENDIAN)
    {
      GVariant *swapped = g_variant_byteswap (v);
      g_variant_unref (v);
      v = swapped;
    }
  payload_add_raw (p, (guint32) g_variant_get_size (v), g_variant_get_data (v),
                   g_variant_get_size (v));
  return offset;
}

static char *
key_for (guint i)
{
  return g_strdup_printf ("key-%06u", i);
}

/* License @i as the tests import it: blob lb_test_blob_new (64 + i % 50, i),
 * an issuer, a content id, and every 7th a restore limit and URL. */
static GVariant *
license_tuple (guint i)
{
  g_autofree char *key = key_for (i);
  g_autofree char *content = g_strdup_printf ("content-%u", i);
  GVariantBuilder attrs;

  g_variant_builder_init (&attrs, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&attrs, "{sv}", "issuer", g_variant_new_string ("Import Test"));
  g_variant_builder_add (&attrs, "{sv}", "content-id", g_variant_new_string (content));
  if (i % 7 == 0)
    {
      g_variant_builder_add (&attrs, "{sv}", "restore-limit", g_variant_new_uint32 (3));
      g_variant_builder_add (&attrs, "{sv}", "support-url",
                             g_variant_new_string ("https://issuer.example/help"));
    }
  return g_variant_new ("(s@ay@a{sv})", key, lb_test_blob_new (64 + i % 50, (guint8) i),
                        g_variant_builder_end (&attrs));
}

static GByteArray *
payload_of (guint n)
{
  GByteArray *p = payload_new ();

  for (guint i = 0; i < n; i++)
    payload_add (p, license_tuple (i));
  return p;
}

/* A memfd holding @size bytes of @data, with @seals added. */
static int
memfd_with (const void *data, gsize size, int seals)
{
  int fd = memfd_create ("lb-test-import", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  const guint8 *p = data;

  g_assert_cmpint (fd, >=, 0);
  while (size > 0)
    {
      ssize_t n = write (fd, p, size);

      g_assert_cmpint (n, >, 0);
      p += n;
      size -= (gsize) n;
    }
  if (seals != 0)
    g_assert_cmpint (fcntl (fd, F_ADD_SEALS, seals), ==, 0);
  return fd;
}

/* Calls StoreLicensesFromFd on @c with @fd (not sent when -1; closed here)
 * at @handle, and @options (floating, or NULL for none). Returns the count
 * stored, or G_MAXUINT64 with @error. */
static guint64
import_fd_full (GDBusConnection *c, int fd, gint32 handle, GVariant *options, GError **error)
{
  g_autoptr (GUnixFDList) fds = NULL;
  g_autoptr (GVariant) reply = NULL;
  guint64 stored;

  if (fd >= 0)
    {
      fds = g_unix_fd_list_new_from_array (&fd, 1); /* takes it */
    }
  if (options == NULL)
    options = g_variant_new ("a{sv}", NULL);
  reply = g_dbus_connection_call_with_unix_fd_list_sync (
      c, LB_TEST_BUS_NAME, LB_TEST_OBJECT_PATH, LB_TEST_STORE_IFACE, "StoreLicensesFromFd",
      g_variant_new ("(h@a{sv})", handle, options), G_VARIANT_TYPE ("(t)"), G_DBUS_CALL_FLAGS_NONE,
      120000, fds, NULL, NULL, error);
  if (reply == NULL)
    return G_MAXUINT64;
  g_variant_get (reply, "(t)", &stored);
  return stored;
}

static guint64
import_fd (GDBusConnection *c, int fd, GError **error)
{
  return import_fd_full (c, fd, 0, NULL, error);
}

/* @p in a memfd sealed as the service asks. */
static guint64
import_payload (GDBusConnection *c, GByteArray *p, GError **error)
{
  return import_fd (c, memfd_with (p->data, p->len, ALL_SEALS), error);
}

/* Reading back */

static GVariant *
get_license (LbTestBus *bus, const char *key, GError **error)
{
  return g_dbus_connection_call_sync (lb_test_bus_get_connection (bus), LB_TEST_BUS_NAME,
                                      LB_TEST_OBJECT_PATH, LB_TEST_STORE_IFACE, "GetLicense",
                                      g_variant_new ("(s)", key), G_VARIANT_TYPE ("(aya{sv})"),
                                      G_DBUS_CALL_FLAGS_NONE, 20000, NULL, error);
}

static void
assert_string_attr (GVariant *attrs, const char *key, const char *want)
{
  g_autoptr (GVariant) v = lb_test_vardict_lookup (attrs, key);

  if (want == NULL)
    {
      g_assert_null (v);
      return;
    }
  g_assert_nonnull (v);
  g_assert_cmpstr (g_variant_get_string (v, NULL), ==, want);
}

/* License @i reads back as license_tuple (@i) made it. */
static void
assert_imported (LbTestBus *bus, guint i)
{
  g_autofree char *key = key_for (i);
  g_autofree char *content = g_strdup_printf ("content-%u", i);
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = get_license (bus, key, &error);
  g_autoptr (GVariant) blob = NULL;
  g_autoptr (GVariant) attrs = NULL;
  g_autoptr (GVariant) want = g_variant_ref_sink (lb_test_blob_new (64 + i % 50, (guint8) i));
  g_autoptr (GVariant) limit = NULL;

  g_assert_no_error (error);
  if (reply == NULL)
    return;
  g_variant_get (reply, "(@ay@a{sv})", &blob, &attrs);
  g_assert_true (g_variant_equal (blob, want));
  assert_string_attr (attrs, "issuer", "Import Test");
  assert_string_attr (attrs, "content-id", content);
  assert_string_attr (attrs, "support-url", i % 7 == 0 ? "https://issuer.example/help" : NULL);
  limit = lb_test_vardict_lookup (attrs, "restore-limit");
  if (i % 7 == 0)
    {
      g_assert_nonnull (limit);
      g_assert_cmpuint (g_variant_get_uint32 (limit), ==, 3);
    }
  else if (limit != NULL)
    g_assert_cmpuint (g_variant_get_uint32 (limit), ==, 0);
}

/* A license stored before the import, under a key id the import reuses. */
static void
store_prior (LbTestBus *bus)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = g_dbus_connection_call_sync (
      lb_test_bus_get_connection (bus), LB_TEST_BUS_NAME, LB_TEST_OBJECT_PATH, LB_TEST_STORE_IFACE,
      "StoreLicense",
      g_variant_new ("(s@ay@a{sv})", PRIOR_KEY, g_variant_new_bytestring (PRIOR_BLOB),
                     lb_test_vardict_new ("issuer", g_variant_new_string ("Prior"), NULL)),
      NULL, G_DBUS_CALL_FLAGS_NONE, 20000, NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (lb_test_bus_get_license_count (bus), ==, 1);
}

/* The prior license is as it was. */
static void
assert_prior_unchanged (LbTestBus *bus)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = get_license (bus, PRIOR_KEY, &error);
  g_autoptr (GVariant) blob = NULL;
  g_autoptr (GVariant) attrs = NULL;

  g_assert_no_error (error);
  if (reply == NULL)
    return;
  g_variant_get (reply, "(@ay@a{sv})", &blob, &attrs);
  /* g_variant_new_bytestring() kept the NUL. */
  g_assert_cmpmem (g_variant_get_data (blob), g_variant_get_size (blob), PRIOR_BLOB,
                   sizeof PRIOR_BLOB);
  assert_string_attr (attrs, "issuer", "Prior");
  assert_string_attr (attrs, "content-id", NULL);
}

/* Nothing of a refused import is there: only the prior license, as it was. */
static void
assert_prior_only (LbTestBus *bus)
{
  g_assert_cmpuint (lb_test_bus_get_license_count (bus), ==, 1);
  assert_prior_unchanged (bus);
}

static void
assert_refused (GError *error, const char *want_in_message)
{
  lb_test_assert_error_name (error, LB_ERROR_INVALID_ARGS);
  if (error != NULL && want_in_message != NULL && strstr (error->message, want_in_message) == NULL)
    g_test_fail_printf ("“%s” does not say “%s”", error->message, want_in_message);
}

/* The offset in @tuple's (floating) serialisation of a padding byte: a
 * byte that, made non-zero, leaves the same license readable but not in
 * normal form, so that only the normal-form check can refuse it. */
static gsize
padding_byte (GVariant *tuple)
{
  g_autoptr (GVariant) v = g_variant_get_normal_form (g_variant_ref_sink (tuple));
  gsize size = g_variant_get_size (v);
  g_autofree guint8 *data = g_memdup2 (g_variant_get_data (v), size);

  g_variant_unref (tuple);
  for (gsize i = 0; i < size; i++)
    {
      g_autoptr (GBytes) bytes = NULL;
      g_autoptr (GVariant) changed = NULL;
      g_autoptr (GVariant) normal = NULL;
      guint8 was = data[i];

      data[i] = 0x55;
      bytes = g_bytes_new (data, size);
      changed = g_variant_ref_sink (
          g_variant_new_from_bytes (G_VARIANT_TYPE ("(saya{sv})"), bytes, FALSE));
      normal = g_variant_get_normal_form (changed);
      data[i] = was;
      if (!g_variant_is_normal_form (changed) && g_variant_equal (normal, v))
        return i;
    }
  g_assert_not_reached ();
}

/* Tests */

static void
test_good (Fixture *f, gconstpointer data)
{
  const guint n = 25000;
  g_autoptr (GByteArray) p = payload_of (n);
  g_autoptr (GError) error = NULL;
  guint64 stored = import_payload (lb_test_bus_get_connection (f->bus), p, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (stored, ==, n);
  g_assert_cmpuint (lb_test_bus_get_license_count (f->bus), ==, n);
  assert_imported (f->bus, 0);
  assert_imported (f->bus, 7);
  assert_imported (f->bus, 12345);
  assert_imported (f->bus, n - 1);
}

static void
test_empty (Fixture *f, gconstpointer data)
{
  g_autoptr (GByteArray) p = payload_new ();
  g_autoptr (GError) error = NULL;

  store_prior (f->bus);
  g_assert_cmpuint (import_payload (lb_test_bus_get_connection (f->bus), p, &error), ==, 0);
  g_assert_no_error (error);
  assert_prior_only (f->bus);
}

/* One bad license among 1,000 good ones, one of which replaces the prior
 * license: the error names it and where it starts, and nothing is kept. */
static void
test_bad_entry (Fixture *f, gconstpointer data)
{
  g_autofree char *long_key = g_strnfill (257, 'k');
  struct
  {
    const char *what;
    const char *key_id;
    gsize size;
    GVariant *attrs; /* floating; NULL for none */
  } bad[] = {
    { "bad key id", "tab\tkey", 10, NULL },
    { "key id too long", long_key, 10, NULL },
    { "oversize blob", "big", BLOB_MAX + 1, NULL },
    { "unknown attribute", "colourful", 10,
      lb_test_vardict_new ("colour", g_variant_new_string ("red"), NULL) },
    { "service-kept attribute", "impostor", 10,
      lb_test_vardict_new ("app", g_variant_new_string ("org.example.Other"), NULL) },
  };
  GDBusConnection *c = lb_test_bus_get_connection (f->bus);

  store_prior (f->bus);
  for (guint b = 0; b < G_N_ELEMENTS (bad); b++)
    {
      g_autoptr (GByteArray) p = payload_new ();
      g_autoptr (GError) error = NULL;
      g_autofree char *want = NULL;
      gsize offset = 0;

      g_test_message ("bad entry: %s", bad[b].what);
      for (guint i = 0; i < 1000; i++)
        {
          if (i == 500)
            offset = payload_add (
                p, g_variant_new ("(s@ay@a{sv})", bad[b].key_id, lb_test_blob_new (bad[b].size, 1),
                                  bad[b].attrs != NULL ? bad[b].attrs
                                                       : g_variant_new ("a{sv}", NULL)));
          else
            payload_add (p, license_tuple (i));
        }
      want = g_strdup_printf ("License 500 at byte %zu", offset);
      g_assert_cmpuint (import_payload (c, p, &error), ==, G_MAXUINT64);
      assert_refused (error, want);
      assert_prior_only (f->bus);
    }
}

/* A good payload of 10 licenses (one replacing the prior) in something
 * other than a sealed memfd. */
static void
test_not_sealed_memfd (Fixture *f, gconstpointer data)
{
  g_autoptr (GByteArray) p = payload_of (10);
  GDBusConnection *c = lb_test_bus_get_connection (f->bus);
  const struct
  {
    const char *what;
    int seals;
  } seals[] = {
    { "not sealed: still being written", 0 },
    { "sealed against shrinking and growing, not writing", F_SEAL_SHRINK | F_SEAL_GROW },
    { "sealed against writing and growing, not shrinking", F_SEAL_WRITE | F_SEAL_GROW },
    { "sealed against writing and shrinking, not growing", F_SEAL_WRITE | F_SEAL_SHRINK },
  };

  store_prior (f->bus);
  for (guint i = 0; i < G_N_ELEMENTS (seals); i++)
    {
      g_autoptr (GError) error = NULL;

      g_test_message ("memfd %s", seals[i].what);
      g_assert_cmpuint (import_fd (c, memfd_with (p->data, p->len, seals[i].seals), &error), ==,
                        G_MAXUINT64);
      assert_refused (error, NULL);
      assert_prior_only (f->bus);
    }

  /* A pipe holding the payload. */
  {
    g_autoptr (GError) error = NULL;
    int fds[2];

    g_assert_cmpint (pipe (fds), ==, 0);
    g_assert_cmpint (write (fds[1], p->data, p->len), ==, (gssize) p->len);
    close (fds[1]);
    g_test_message ("a pipe");
    g_assert_cmpuint (import_fd (c, fds[0], &error), ==, G_MAXUINT64);
    assert_refused (error, NULL);
    assert_prior_only (f->bus);
  }

  /* A regular file on disk. */
  {
    g_autoptr (GError) error = NULL;
    g_autofree char *dir = lb_test_make_tmp_dir ("import-file");
    g_autofree char *path = g_build_filename (dir, "payload", NULL);
    int fd;

    g_assert_true (g_file_set_contents (path, (const char *) p->data, p->len, &error));
    g_assert_no_error (error);
    fd = open (path, O_RDONLY | O_CLOEXEC);
    g_assert_cmpint (fd, >=, 0);
    g_test_message ("a regular file");
    g_assert_cmpuint (import_fd (c, fd, &error), ==, G_MAXUINT64);
    assert_refused (error, NULL);
    assert_prior_only (f->bus);
  }

  /* The same payload, sealed: the refusals were for the descriptor. */
  {
    g_autoptr (GError) error = NULL;

    g_assert_cmpuint (import_payload (c, p, &error), ==, 10);
    g_assert_no_error (error);
    g_assert_cmpuint (lb_test_bus_get_license_count (f->bus), ==, 10);
    assert_imported (f->bus, 7);
  }
}

/* Malformed payloads, each after 10 good licenses (one replacing the prior). */
static void
test_malformed (Fixture *f, gconstpointer data)
{
  GDBusConnection *c = lb_test_bus_get_connection (f->bus);
  g_autoptr (GByteArray) good = payload_of (10);
  gsize end = good->len;

  store_prior (f->bus);
  for (guint m = 0; m < 7; m++)
    {
      g_autoptr (GByteArray) p = g_byte_array_sized_new (good->len + 16);
      g_autoptr (GError) error = NULL;
      g_autofree char *want = g_strdup_printf ("License 10 at byte %zu", end);
      const char *what = NULL;

      g_byte_array_append (p, good->data, good->len);
      switch (m)
        {
        case 0:
          what = "cut inside a length";
          g_byte_array_append (p, (const guint8 *) "\x10\x00", 2);
          break;
        case 1:
          what = "cut inside a record";
          payload_add (p, license_tuple (10));
          g_byte_array_set_size (p, p->len - 1);
          break;
        case 2:
          what = "bad magic";
          p->data[3] = '2';
          g_clear_pointer (&want, g_free);
          break;
        case 3:
          what = "record not in normal form";
          payload_add (p, license_tuple (10));
          p->data[end + 4 + padding_byte (license_tuple (10))] = 0x55;
          break;
        case 4:
          what = "length 0";
          payload_add_raw (p, 0, NULL, 0);
          payload_add (p, license_tuple (10));
          break;
        case 5:
          {
            g_autofree guint8 *zeros = g_malloc0 (RECORD_MAX + 1);
            what = "length over 1 MiB + 64 KiB";
            payload_add_raw (p, RECORD_MAX + 1, zeros, RECORD_MAX + 1);
            break;
          }
        case 6:
          what = "length 0xffffffff";
          payload_add_raw (p, G_MAXUINT32, "abc", 3);
          break;
        }
      g_test_message ("malformed: %s", what);
      g_assert_cmpuint (import_payload (c, p, &error), ==, G_MAXUINT64);
      assert_refused (error, want);
      assert_prior_only (f->bus);
    }
}

/* A call with a good payload sent (@with_fd) or not, at @handle, with
 * @options (floating, or NULL): refused with a message naming @want (if
 * not NULL), storing nothing. */
static void
assert_call_refused (
    Fixture *f, gboolean with_fd, gint32 handle, GVariant *options, const char *want)
{
  g_autoptr (GByteArray) p = payload_of (10);
  g_autoptr (GError) error = NULL;
  int fd = with_fd ? memfd_with (p->data, p->len, ALL_SEALS) : -1;

  g_assert_cmpuint (
      import_fd_full (lb_test_bus_get_connection (f->bus), fd, handle, options, &error), ==,
      G_MAXUINT64);
  assert_refused (error, want);
  assert_prior_only (f->bus);
}

static void
test_no_fd (Fixture *f, gconstpointer data)
{
  store_prior (f->bus);
  /* No descriptor at all, handle 0. */
  assert_call_refused (f, FALSE, 0, NULL, NULL);
  /* One descriptor, the handle past it, and a negative one. */
  assert_call_refused (f, TRUE, 1, NULL, NULL);
  assert_call_refused (f, TRUE, -1, NULL, NULL);
}

static void
test_unknown_option (Fixture *f, gconstpointer data)
{
  store_prior (f->bus);
  assert_call_refused (
      f, TRUE, 0, lb_test_vardict_new ("compress", g_variant_new_boolean (TRUE), NULL), "compress");
}

static const char *const max_100[] = { "--app-max-licenses=100", NULL };

/* The daemon runs with --app-max-licenses=100. */
static void
test_app_limit (Fixture *f, gconstpointer data)
{
  GDBusConnection *c = lb_test_bus_get_connection (f->bus);
  g_autoptr (GByteArray) over = payload_of (101);
  g_autoptr (GByteArray) at = payload_of (100);
  g_autoptr (GError) error = NULL;

  g_assert_cmpuint (import_payload (c, over, &error), ==, G_MAXUINT64);
  lb_test_assert_error_name (error, LB_ERROR_NO_SPACE);
  g_assert_cmpuint (lb_test_bus_get_license_count (f->bus), ==, 0);
  g_clear_error (&error);
  /* Exactly at the limit is fine. */
  g_assert_cmpuint (import_payload (c, at, &error), ==, 100);
  g_assert_no_error (error);
  g_assert_cmpuint (lb_test_bus_get_license_count (f->bus), ==, 100);
}

/* "app\tkey" of every license the host sees. */
static char *
host_listing (LbTestBus *bus)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GVariant) licenses = NULL;
  g_autoptr (GString) out = g_string_new (NULL);
  g_autofree char *cursor = NULL;
  GVariantIter iter;
  const char *key;
  GVariant *attrs;

  reply = g_dbus_connection_call_sync (
      lb_test_bus_get_connection (bus), LB_TEST_BUS_NAME, LB_TEST_OBJECT_PATH, LB_TEST_STORE_IFACE,
      "ListLicenses", g_variant_new_parsed ("({'limit': <uint32 100>},)"),
      G_VARIANT_TYPE ("(a(sa{sv})s)"), G_DBUS_CALL_FLAGS_NONE, 20000, NULL, &error);
  g_assert_no_error (error);
  if (reply == NULL)
    return g_strdup ("");
  g_variant_get (reply, "(@a(sa{sv})s)", &licenses, &cursor);
  g_assert_cmpstr (cursor, ==, "");
  g_variant_iter_init (&iter, licenses);
  while (g_variant_iter_next (&iter, "(&s@a{sv})", &key, &attrs))
    {
      g_autoptr (GVariant) app = lb_test_vardict_lookup (attrs, "app");

      g_string_append_printf (out, "%s%s:%s", out->len > 0 ? " " : "",
                              app != NULL ? g_variant_get_string (app, NULL) : "?", key);
      g_variant_unref (attrs);
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static void
test_sandboxed_app (Fixture *f, gconstpointer data)
{
  g_autofree char *reason = NULL;
  g_autoptr (GError) error = NULL;

  if (!lb_test_sandbox_available (&reason))
    {
      g_test_skip (reason);
      return;
    }
  g_autoptr (LbTestApp) app = lb_test_app_new (f->bus, APP_ID, LB_TEST_FLATPAK_INFO_NORMAL, NULL);
  g_autoptr (GDBusConnection) c = app != NULL ? lb_test_app_connect (app, &error) : NULL;
  g_assert_nonnull (app);
  g_assert_no_error (error);
  if (c == NULL)
    return;
  store_prior (f->bus);
  g_autoptr (GByteArray) p = payload_of (3);
  g_assert_cmpuint (import_payload (c, p, &error), ==, 3);
  g_assert_no_error (error);
  g_autofree char *listing = host_listing (f->bus);
  g_assert_cmpstr (listing, ==,
                   ":" PRIOR_KEY " " APP_ID ":key-000000 " APP_ID ":key-000001 " APP_ID
                   ":key-000002");
  /* The host's own license of that key id is not the app's. */
  assert_prior_unchanged (f->bus);
}

int
main (int argc, char **argv)
{
  lb_test_init (&argc, &argv);

#define ADD(path, func, data) g_test_add ("/import/" path, Fixture, data, setup, func, teardown)
  ADD ("good-25000", test_good, NULL);
  ADD ("empty", test_empty, NULL);
  ADD ("bad-entry", test_bad_entry, NULL);
  ADD ("not-a-sealed-memfd", test_not_sealed_memfd, NULL);
  ADD ("malformed", test_malformed, NULL);
  ADD ("no-fd", test_no_fd, NULL);
  ADD ("unknown-option", test_unknown_option, NULL);
  ADD ("app-limit", test_app_limit, max_100);
  ADD ("sandboxed-app", test_sandboxed_app, NULL);
#undef ADD
  return g_test_run ();
}
