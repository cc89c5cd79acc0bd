/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Integration tests of per-app licenses: the real daemon on a private bus,
 * with fake Flatpak apps run the way flatpak runs them (lb-test-sandbox.h)
 * and a fake Snap, against the user's own tools (this test process, the
 * host).
 *
 * Groups (LB_TEST_GROUPS): "identity", "isolation", "host", "signals",
 * "limits" and "backup" need bubblewrap and xdg-dbus-proxy and exit 77
 * without them; "upgrade" does not. */
#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "lb-test-sandbox.h"
#include "lb-test-util.h"

#define SERVICE "org.freedesktop.LicenseBackup1"
#define PATH "/org/freedesktop/LicenseBackup1"
#define APP_A "org.example.PlayerA"
#define APP_B "org.example.PlayerB"

typedef struct
{
  LbTestBus *bus;
  LbTestMachine *machine;
  GDBusConnection *host; /* the test's own connection: a host caller */
} Fixture;

static void
start (Fixture *f, const char *const *extra_args)
{
  LbTestDaemonOptions options = { 0 };

  options.extra_args = extra_args;
  g_assert_nonnull (lb_test_machine_start_daemon (f->machine, &options));
}

static void
setup (Fixture *f, gconstpointer data)
{
  f->bus = lb_test_bus_new (LB_TEST_BUS_DEFAULT);
  f->machine = lb_test_machine_new (f->bus, "apps");
  f->host = g_object_ref (lb_test_bus_get_connection (f->bus));
  if (data == NULL)
    start (f, NULL);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->host);
  g_clear_pointer (&f->machine, lb_test_machine_free);
  g_clear_pointer (&f->bus, lb_test_bus_free);
}

/* Calls */

static GVariant *
call (GDBusConnection *c,
      const char *iface,
      const char *method,
      GVariant *params,
      const char *reply_type,
      GError **error)
{
  return g_dbus_connection_call_sync (c, SERVICE, PATH, iface, method, params,
                                      reply_type != NULL ? G_VARIANT_TYPE (reply_type) : NULL,
                                      G_DBUS_CALL_FLAGS_NONE, 20000, NULL, error);
}

static GVariant *
store_call (GDBusConnection *c, const char *method, GVariant *params, GError **error)
{
  return call (c, LB_TEST_STORE_IFACE, method, params, NULL, error);
}

static GVariant *
manager_call (GDBusConnection *c, const char *method, GVariant *params, GError **error)
{
  return call (c, LB_TEST_MANAGER_IFACE, method, params, NULL, error);
}

static void
assert_store (GDBusConnection *c, const char *key, const char *blob, GVariant *attrs)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = NULL;

  reply = store_call (c, "StoreLicense",
                      g_variant_new ("(s@ay@a{sv})", key, g_variant_new_bytestring (blob),
                                     attrs != NULL ? attrs : g_variant_new ("a{sv}", NULL)),
                      &error);
  g_assert_no_error (error);
}

/* The blob of @c's license @key (as a string), or NULL with @error. */
static char *
get_blob (GDBusConnection *c, const char *key, char **app, GError **error)
{
  g_autoptr (GVariant) reply
      = call (c, LB_TEST_STORE_IFACE, "GetLicense", g_variant_new ("(s)", key), "(aya{sv})", error);
  g_autoptr (GVariant) blob = NULL;
  g_autoptr (GVariant) attrs = NULL;
  g_autoptr (GVariant) app_v = NULL;

  if (reply == NULL)
    return NULL;
  g_variant_get (reply, "(@ay@a{sv})", &blob, &attrs);
  app_v = lb_test_vardict_lookup (attrs, "app");
  if (app != NULL)
    *app = app_v != NULL ? g_variant_dup_string (app_v, NULL) : NULL;
  return g_strndup (g_variant_get_data (blob), g_variant_get_size (blob));
}

static void
assert_blob (GDBusConnection *c, const char *key, const char *want, const char *want_app)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *app = NULL;
  g_autofree char *got = get_blob (c, key, &app, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (got, ==, want);
  g_assert_cmpstr (app, ==, want_app);
}

/* "app\tkey" of every license @c may list (with @options), all pages. */
static GPtrArray *
list_all (GDBusConnection *c, GVariant *extra_option_app, GError **error)
{
  g_autoptr (GPtrArray) out = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *cursor = g_strdup ("");
  g_autoptr (GVariant) app_opt
      = extra_option_app != NULL ? g_variant_ref_sink (extra_option_app) : NULL;

  do
    {
      g_autoptr (GVariant) reply = NULL;
      g_autoptr (GVariant) licenses = NULL;
      GVariantBuilder b;
      GVariantIter iter;
      const char *key;
      GVariant *attrs;

      g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
      g_variant_builder_add (&b, "{sv}", "limit", g_variant_new_uint32 (2));
      g_variant_builder_add (&b, "{sv}", "cursor", g_variant_new_string (cursor));
      if (app_opt != NULL)
        g_variant_builder_add (&b, "{sv}", "app", app_opt);
      reply = call (c, LB_TEST_STORE_IFACE, "ListLicenses", g_variant_new ("(a{sv})", &b),
                    "(a(sa{sv})s)", error);
      if (reply == NULL)
        return NULL;
      g_free (cursor);
      g_variant_get (reply, "(@a(sa{sv})s)", &licenses, &cursor);
      g_variant_iter_init (&iter, licenses);
      while (g_variant_iter_next (&iter, "(&s@a{sv})", &key, &attrs))
        {
          g_autoptr (GVariant) app = lb_test_vardict_lookup (attrs, "app");

          g_assert_nonnull (app);
          g_ptr_array_add (out, g_strdup_printf ("%s\t%s", g_variant_get_string (app, NULL), key));
          g_variant_unref (attrs);
        }
    }
  while (cursor[0] != '\0');
  return g_steal_pointer (&out);
}

static char *
joined (GPtrArray *a)
{
  g_ptr_array_add (a, NULL);
  g_autofree char *s = g_strjoinv (" ", (char **) a->pdata);
  g_ptr_array_remove_index (a, a->len - 1);
  return g_strdelimit (g_steal_pointer (&s), "\t", ':');
}

static void
assert_listing (GDBusConnection *c, GVariant *app_option, const char *want)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) got = list_all (c, app_option, &error);
  g_autofree char *s = NULL;

  g_assert_no_error (error);
  s = joined (got);
  g_assert_cmpstr (s, ==, want);
}

static GDBusConnection *
app_connect (LbTestApp *app)
{
  g_autoptr (GError) error = NULL;
  GDBusConnection *c = lb_test_app_connect (app, &error);

  g_assert_no_error (error);
  return c;
}

/* Apps A and B, each with its connection through its sandbox. */
typedef struct
{
  LbTestApp *a, *b;
  GDBusConnection *ca, *cb;
} TwoApps;

static TwoApps
two_apps (LbTestBus *bus)
{
  TwoApps t = { lb_test_app_new (bus, APP_A, LB_TEST_FLATPAK_INFO_NORMAL, NULL),
                lb_test_app_new (bus, APP_B, LB_TEST_FLATPAK_INFO_NORMAL, NULL) };

  t.ca = app_connect (t.a);
  t.cb = app_connect (t.b);
  return t;
}

static void
two_apps_clear (TwoApps *t)
{
  g_clear_object (&t->cb);
  g_clear_object (&t->ca);
  g_clear_pointer (&t->b, lb_test_app_free);
  g_clear_pointer (&t->a, lb_test_app_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (TwoApps, two_apps_clear)

static void
assert_refused_with (GError *error, LbError code, const char *fragment)
{
  lb_test_assert_error_name (error, code);
  if (fragment != NULL && strstr (error->message, fragment) == NULL)
    g_test_fail_printf ("“%s” does not say “%s”", error->message, fragment);
}

/* identity */

/* A Flatpak app through its proxy, one with the bus socket (our own client
 * and gdbus, run in bubblewrap) and a Snap: each is its own app. */
static void
test_identity_kinds (Fixture *f, gconstpointer data)
{
  g_autoptr (LbTestApp) a = lb_test_app_new (f->bus, APP_A, LB_TEST_FLATPAK_INFO_NORMAL, NULL);
  g_autoptr (GDBusConnection) ca = app_connect (a);
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *client
      = g_test_build_filename (G_TEST_BUILT, "..", "src", "client", "license-backup", NULL);
  const char *const store_argv[] = { "gdbus",  "call",        "--session",
                                     "--dest", SERVICE,       "--object-path",
                                     PATH,     "--method",    LB_TEST_STORE_IFACE ".StoreLicense",
                                     "k",      "[byte 0x42]", "{}",
                                     NULL };
  const char *const list_argv[] = { client, "list", "--json", NULL };
  int status = -1;

  assert_store (ca, "k", "from-a", NULL);
  assert_blob (ca, "k", "from-a", APP_A);

  /* --socket=session-bus: the app holds the connection itself. */
  g_assert_true (lb_test_app_run_direct (f->bus, APP_B, LB_TEST_FLATPAK_INFO_NORMAL, NULL,
                                         store_argv, NULL, &out, &err, &status, &error));
  g_assert_no_error (error);
  g_assert_cmpint (status, ==, 0);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  /* Our own client, run as app B, lists only B's license. */
  g_assert_true (lb_test_app_run_direct (f->bus, APP_B, LB_TEST_FLATPAK_INFO_NORMAL, NULL,
                                         list_argv, NULL, &out, &err, &status, &error));
  g_assert_no_error (error);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (out, "\"" APP_B "\""));
  g_assert_null (strstr (out, APP_A));
  g_assert_null (strstr (out, "from-a"));

  if (lb_test_snap_available (NULL))
    {
      g_clear_pointer (&out, g_free);
      g_clear_pointer (&err, g_free);
      g_assert_true (
          lb_test_snap_run (f->bus, "player", store_argv, NULL, &out, &err, &status, &error));
      g_assert_no_error (error);
      g_assert_cmpint (status, ==, 0);
      assert_listing (f->host, NULL, APP_A ":k " APP_B ":k snap.player:k");
    }
  else
    {
      g_autofree char *reason = NULL;

      lb_test_snap_available (&reason);
      g_test_message ("no Snap case: %s", reason);
      assert_listing (f->host, NULL, APP_A ":k " APP_B ":k");
    }
  /* And the host is a namespace of its own. */
  assert_store (f->host, "k", "from-host", NULL);
  assert_blob (f->host, "k", "from-host", "");
}

static void
assert_app_refused (Fixture *f, LbTestFlatpakInfo info, const char *contents)
{
  g_autoptr (LbTestApp) app = lb_test_app_new (f->bus, APP_A, info, contents);
  g_autoptr (GDBusConnection) c = app_connect (app);
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = NULL;

  reply = store_call (c, "StoreLicense",
                      g_variant_new ("(s@ay@a{sv})", "k", g_variant_new_bytestring ("x"),
                                     g_variant_new ("a{sv}", NULL)),
                      &error);
  g_assert_null (reply);
  assert_refused_with (error, LB_ERROR_PERMISSION_DENIED, "which app");
  g_clear_error (&error);
  reply = store_call (c, "ListLicenses", g_variant_new ("(a{sv})", NULL), &error);
  g_assert_null (reply);
  lb_test_assert_error_name (error, LB_ERROR_PERMISSION_DENIED);
}

/* Whatever is wrong with /.flatpak-info, the caller is refused, never
 * taken for the host, and nothing is stored. */
static void
test_identity_refused (Fixture *f, gconstpointer data)
{
  const struct
  {
    const char *what;
    LbTestFlatpakInfo info;
    const char *contents;
  } cases[] = {
    { "a symlink", LB_TEST_FLATPAK_INFO_SYMLINK, NULL },
    { "a directory", LB_TEST_FLATPAK_INFO_DIRECTORY, NULL },
    { "empty", LB_TEST_FLATPAK_INFO_CONTENTS, "" },
    { "garbage", LB_TEST_FLATPAK_INFO_CONTENTS, "\x01\x02not a key file\n[[[" },
    { "no [Application]", LB_TEST_FLATPAK_INFO_CONTENTS, "[Runtime]\nname=org.example.Rt\n" },
    { "no name", LB_TEST_FLATPAK_INFO_CONTENTS, "[Application]\nruntime=x\n" },
    { "empty name", LB_TEST_FLATPAK_INFO_CONTENTS, "[Application]\nname=\n" },
    { "bad name", LB_TEST_FLATPAK_INFO_CONTENTS, "[Application]\nname=../../etc\n" },
    { "a snap's name", LB_TEST_FLATPAK_INFO_CONTENTS, "[Application]\nname=snap.player\n" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_test_message ("/.flatpak-info: %s", cases[i].what);
      assert_app_refused (f, cases[i].info, cases[i].contents);
    }
  g_assert_cmpuint (lb_test_bus_get_license_count (f->bus), ==, 0);
}

/* A /.flatpak-info of mode 0000. Root reads any file: as root, the daemon
 * runs without the capabilities that let it (setpriv). */
static void
test_identity_unreadable (Fixture *f, gconstpointer data)
{
  g_autofree char *old = g_strdup (g_getenv ("LB_DAEMON_PATH"));

  if (geteuid () == 0)
    {
      g_autofree char *setpriv = g_find_program_in_path ("setpriv");
      g_autofree char *dir = lb_test_make_tmp_dir ("nodac");
      g_autofree char *wrapper = g_build_filename (dir, "license-backupd", NULL);
      g_autofree char *script = NULL;
      g_autoptr (GError) error = NULL;

      if (setpriv == NULL)
        {
          g_test_skip ("root reads any file, and there is no setpriv to drop that power");
          return;
        }
      script = g_strdup_printf ("#!/bin/sh\nexec setpriv --inh-caps=-dac_override,"
                                "-dac_read_search --bounding-set=-dac_override,-dac_read_search "
                                "'%s' \"$@\"\n",
                                lb_test_get_daemon_path ());
      g_assert_true (g_file_set_contents (wrapper, script, -1, &error));
      g_assert_cmpint (g_chmod (wrapper, 0755), ==, 0);
      g_setenv ("LB_DAEMON_PATH", wrapper, TRUE);
    }
  start (f, NULL);
  if (old != NULL)
    g_setenv ("LB_DAEMON_PATH", old, TRUE);
  else
    g_unsetenv ("LB_DAEMON_PATH");
  assert_app_refused (f, LB_TEST_FLATPAK_INFO_UNREADABLE, NULL);
  g_assert_cmpuint (lb_test_bus_get_license_count (f->bus), ==, 0);
}

/* The cache entry of a caller goes when its name leaves the bus. */
static void
test_identity_cache (Fixture *f, gconstpointer data)
{
  g_autoptr (LbTestApp) a = lb_test_app_new (f->bus, APP_A, LB_TEST_FLATPAK_INFO_NORMAL, NULL);
  g_autoptr (GDBusConnection) ca = app_connect (a);
  g_autofree char *name = g_strdup (g_dbus_connection_get_unique_name (ca));
  g_autofree char *forgot = g_strdup_printf ("caller %s left the bus; forgot its app", name);
  g_autofree char *identified = g_strdup_printf ("caller %s (pid", name);
  g_autofree char *log = NULL;
  LbTestDaemon *daemon = lb_test_machine_get_daemon (f->machine);

  assert_store (ca, "k", "x", NULL);
  assert_store (ca, "k2", "y", NULL);
  log = lb_test_daemon_read_log (daemon);
  /* Identified once for both calls. */
  g_assert_nonnull (strstr (log, identified));
  g_assert_null (strstr (strstr (log, identified) + 1, identified));
  g_assert_null (strstr (log, forgot));
  g_dbus_connection_close_sync (ca, NULL, NULL);
  for (guint i = 0; i < 100; i++)
    {
      g_free (log);
      log = lb_test_daemon_read_log (daemon);
      if (strstr (log, forgot) != NULL)
        break;
      lb_test_run_for (50);
    }
  g_assert_nonnull (strstr (log, forgot));
}

/* isolation */

static void
test_isolation (Fixture *f, gconstpointer data)
{
  g_auto (TwoApps) t = two_apps (f->bus);
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autofree char *blob = NULL;
  guint32 removed = 99;

  /* The same key id in two apps is two licenses. */
  assert_store (t.ca, "shared", "a-shared", NULL);
  assert_store (t.cb, "shared", "b-shared", NULL);
  assert_store (t.ca, "a-only", "a-secret", NULL);
  assert_store (t.ca, "a-old", "a-expired",
                lb_test_vardict_new ("expires", g_variant_new_int64 (1000), NULL));
  assert_store (t.cb, "b-old", "b-expired",
                lb_test_vardict_new ("expires", g_variant_new_int64 (1000), NULL));
  assert_blob (t.ca, "shared", "a-shared", APP_A);
  assert_blob (t.cb, "shared", "b-shared", APP_B);
  /* LicenseCount stays the total. */
  g_assert_cmpuint (lb_test_bus_get_license_count (f->bus), ==, 5);

  /* B cannot tell that A's key exists: NotFound, as for any unknown key. */
  blob = get_blob (t.cb, "a-only", NULL, &error);
  g_assert_null (blob);
  lb_test_assert_error_name (error, LB_ERROR_NOT_FOUND);
  g_clear_error (&error);
  reply = store_call (t.cb, "DeleteLicense", g_variant_new ("(s)", "a-only"), &error);
  lb_test_assert_error_name (error, LB_ERROR_NOT_FOUND);
  g_clear_error (&error);
  /* B lists, and cleans, only its own. */
  assert_listing (t.cb, NULL, APP_B ":b-old " APP_B ":shared");
  reply = call (t.cb, LB_TEST_STORE_IFACE, "CleanLicenseStore",
                g_variant_new ("(u)", LB_CLEAN_FLAGS_EXPIRED), "(u)", &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(u)", &removed);
  g_assert_cmpuint (removed, ==, 1);
  g_clear_pointer (&reply, g_variant_unref);
  assert_listing (t.ca, NULL, APP_A ":a-old " APP_A ":a-only " APP_A ":shared");
  /* B naming itself is fine; naming A, or choosing the owner, is not. */
  assert_listing (t.cb, g_variant_new_string (APP_B), APP_B ":shared");
  g_assert_null (list_all (t.cb, g_variant_new_string (APP_A), &error));
  assert_refused_with (error, LB_ERROR_PERMISSION_DENIED, "license-backup");
  g_clear_error (&error);
  reply
      = store_call (t.cb, "StoreLicense",
                    g_variant_new ("(s@ay@a{sv})", "x", g_variant_new_bytestring ("x"),
                                   lb_test_vardict_new ("app", g_variant_new_string (APP_A), NULL)),
                    &error);
  assert_refused_with (error, LB_ERROR_INVALID_ARGS, "app");
  g_clear_error (&error);
  /* The host-only Store calls. */
  reply = store_call (t.cb, "GetAppLicense", g_variant_new ("(ss)", APP_A, "a-only"), &error);
  assert_refused_with (error, LB_ERROR_PERMISSION_DENIED, "Settings");
  g_clear_error (&error);
  reply = store_call (t.cb, "DeleteAppLicense", g_variant_new ("(ss)", APP_A, "a-only"), &error);
  assert_refused_with (error, LB_ERROR_PERMISSION_DENIED, "Settings");
  g_clear_error (&error);
  reply = store_call (t.cb, "ListApps", NULL, &error);
  assert_refused_with (error, LB_ERROR_PERMISSION_DENIED, "Settings");
  g_clear_error (&error);
  /* Deleting its own leaves A's. */
  reply = store_call (t.cb, "DeleteLicense", g_variant_new ("(s)", "shared"), &error);
  g_assert_no_error (error);
  assert_blob (t.ca, "shared", "a-shared", APP_A);
  assert_blob (t.ca, "a-only", "a-secret", APP_A);
}

/* Only the user's own tools back up, restore, check or list backups,
 * cancel, subscribe, choose the folders or set the encryption. */
static void
test_isolation_host_only (Fixture *f, gconstpointer data)
{
  g_autoptr (LbTestApp) a = lb_test_app_new (f->bus, APP_A, LB_TEST_FLATPAK_INFO_NORMAL, NULL);
  g_autoptr (GDBusConnection) ca = app_connect (a);
  g_autofree char *dir = lb_test_make_tmp_dir ("app-chosen");
  const struct
  {
    const char *method;
    GVariant *params;
  } calls[] = {
    { "BackupLicenses",
      g_variant_new ("(u@a{sv})", LB_BACKUP_FLAGS_OVERWRITE,
                     lb_test_vardict_new ("path", g_variant_new_string (dir), NULL)) },
    { "RestoreLicenses",
      g_variant_new ("(u@a{sv})", LB_RESTORE_FLAGS_INDIVIDUALIZE,
                     lb_test_vardict_new ("path", g_variant_new_string (dir), NULL)) },
    { "VerifyBackup",
      g_variant_new ("(u@a{sv})", 0,
                     lb_test_vardict_new ("path", g_variant_new_string (dir), NULL)) },
    { "ListBackups",
      g_variant_new ("(@a{sv})", lb_test_vardict_new ("path", g_variant_new_string (dir), NULL)) },
    { "CancelLicenseBackup", NULL },
    { "CancelLicenseRestore", NULL },
    { "CancelVerifyBackup", NULL },
    { "Subscribe", NULL },
    { "Unsubscribe", NULL },
    { "SetEncryption", g_variant_new ("(b@a{sv})", FALSE, lb_test_vardict_new (NULL, NULL)) },
    { "CheckPassphrase", g_variant_new ("(h)", 0) },
  };
  g_autofree char *overwrite = g_strdup_printf ("%u", LB_BACKUP_FLAGS_OVERWRITE);
  const char *const direct_argv[]
      = { "gdbus",   "call",     "--session",
          "--dest",  SERVICE,    "--object-path",
          PATH,      "--method", LB_TEST_MANAGER_IFACE ".BackupLicenses",
          overwrite, "{}",       NULL };
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *backup_path = NULL;
  g_autoptr (GVariant) value = NULL;
  int status = 0;

  for (guint i = 0; i < G_N_ELEMENTS (calls); i++)
    {
      g_autoptr (GVariant) reply = manager_call (ca, calls[i].method, calls[i].params, &error);

      g_test_message ("%s", calls[i].method);
      g_assert_null (reply);
      assert_refused_with (error, LB_ERROR_PERMISSION_DENIED, "license-backup");
      g_clear_error (&error);
    }
  for (guint i = 0; i < 2; i++)
    {
      const char *property = i == 0 ? "BackupPath" : "RestorePath";
      g_autoptr (GVariant) reply = g_dbus_connection_call_sync (
          ca, SERVICE, PATH, "org.freedesktop.DBus.Properties", "Set",
          g_variant_new ("(ssv)", LB_TEST_MANAGER_IFACE, property, g_variant_new_string (dir)),
          NULL, G_DBUS_CALL_FLAGS_NONE, 20000, NULL, &error);

      g_assert_null (reply);
      assert_refused_with (error, LB_ERROR_PERMISSION_DENIED, "Settings");
      g_clear_error (&error);
    }
  /* An app with the bus socket is refused the same way. */
  g_assert_true (lb_test_app_run_direct (f->bus, APP_A, LB_TEST_FLATPAK_INFO_NORMAL, NULL,
                                         direct_argv, NULL, &out, &err, &status, &error));
  g_assert_no_error (error);
  g_assert_cmpint (status, !=, 0);
  g_assert_nonnull (strstr (err, lb_test_error_dbus_name (LB_ERROR_PERMISSION_DENIED)));

  /* Nothing happened: no folder set, no backup written, no operation. */
  value = lb_test_bus_get_property (f->bus, LB_TEST_MANAGER_IFACE, "BackupPath", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (g_variant_get_string (value, NULL), ==, "");
  backup_path = lb_test_newest_backup (dir);
  g_assert_false (g_file_test (backup_path, G_FILE_TEST_EXISTS));
  g_clear_pointer (&value, g_variant_unref);
  value = lb_test_bus_get_property (f->bus, LB_TEST_MANAGER_IFACE, "OperationId", &error);
  g_assert_cmpuint (g_variant_get_uint64 (value), ==, 0);
  /* The host may. */
  g_assert_true (lb_test_bus_set_property (f->bus, LB_TEST_MANAGER_IFACE, "BackupPath",
                                           g_variant_new_string (dir), &error));
  g_assert_no_error (error);
}

/* host */

static void
test_host_sees_all (Fixture *f, gconstpointer data)
{
  g_auto (TwoApps) t = two_apps (f->bus);
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) blob = NULL;
  g_autoptr (GVariant) attrs = NULL;

  assert_store (t.ca, "k1", "a1", NULL);
  assert_store (t.ca, "k2", "a2", NULL);
  assert_store (t.cb, "k1", "b1", NULL);
  assert_store (f->host, "k1", "h1", NULL);
  assert_store (f->host, "k0", "h0", NULL);

  /* Every app's, in (app, key) order, two a page; or one app's. */
  assert_listing (f->host, NULL, ":k0 :k1 " APP_A ":k1 " APP_A ":k2 " APP_B ":k1");
  assert_listing (f->host, g_variant_new_string (APP_A), APP_A ":k1 " APP_A ":k2");
  assert_listing (f->host, g_variant_new_string (""), ":k0 :k1");
  assert_listing (f->host, g_variant_new_string ("org.example.None"), "");
  g_assert_null (list_all (f->host, g_variant_new_string ("a/b"), &error));
  assert_refused_with (error, LB_ERROR_INVALID_ARGS, "app id");
  g_clear_error (&error);

  /* GetLicense is the host's own; GetAppLicense reaches any app's. */
  assert_blob (f->host, "k1", "h1", "");
  g_autoptr (GVariant) reply = call (f->host, LB_TEST_STORE_IFACE, "GetAppLicense",
                                     g_variant_new ("(ss)", APP_B, "k1"), "(aya{sv})", &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(@ay@a{sv})", &blob, &attrs);
  g_assert_cmpstr (g_variant_get_bytestring (blob), ==, "b1");
  g_autoptr (GVariant) app = lb_test_vardict_lookup (attrs, "app");
  g_assert_cmpstr (g_variant_get_string (app, NULL), ==, APP_B);
  g_clear_pointer (&reply, g_variant_unref);
  reply = store_call (f->host, "GetAppLicense", g_variant_new ("(ss)", APP_B, "k2"), &error);
  lb_test_assert_error_name (error, LB_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* ListApps: each app with its count and size. */
  reply = call (f->host, LB_TEST_STORE_IFACE, "ListApps", NULL, "(a(sa{sv}))", &error);
  g_assert_no_error (error);
  g_autoptr (GVariant) list = g_variant_get_child_value (reply, 0);
  GString *s = g_string_new (NULL);
  GVariantIter iter;
  const char *id;
  GVariant *details;
  g_variant_iter_init (&iter, list);
  while (g_variant_iter_next (&iter, "(&s@a{sv})", &id, &details))
    {
      guint32 n = 0;
      guint64 bytes = 0;

      g_assert_true (g_variant_lookup (details, "licenses", "u", &n));
      g_assert_true (g_variant_lookup (details, "bytes", "t", &bytes));
      g_string_append_printf (s, "%s=%u/%" G_GUINT64_FORMAT " ", id, n, bytes);
      g_variant_unref (details);
    }
  g_autofree char *apps = g_string_free (s, FALSE);
  /* Each blob is its string and a NUL. */
  g_assert_cmpstr (apps, ==, "=2/6 " APP_A "=2/6 " APP_B "=1/3 ");
  g_clear_pointer (&reply, g_variant_unref);

  /* DeleteAppLicense removes that app's only. */
  reply = store_call (f->host, "DeleteAppLicense", g_variant_new ("(ss)", APP_A, "k1"), &error);
  g_assert_no_error (error);
  assert_listing (f->host, NULL, ":k0 :k1 " APP_A ":k2 " APP_B ":k1");
  assert_blob (t.cb, "k1", "b1", APP_B);
  g_clear_pointer (&reply, g_variant_unref);
  reply = store_call (f->host, "DeleteAppLicense", g_variant_new ("(ss)", APP_A, "k1"), &error);
  lb_test_assert_error_name (error, LB_ERROR_NOT_FOUND);
}

/* signals */

typedef struct
{
  LbTestBus *bus;
  char *output;
  gboolean ran;
} Monitor;

static gpointer
monitor_thread (gpointer user_data)
{
  Monitor *m = user_data;
  const char *const argv[]
      = { "timeout", "6", "gdbus", "monitor", "--session", "--dest", SERVICE, NULL };
  g_autoptr (GError) error = NULL;
  int status;

  m->ran = lb_test_app_run_direct (m->bus, APP_B, LB_TEST_FLATPAK_INFO_NORMAL, NULL, argv, NULL,
                                   &m->output, NULL, &status, &error);
  return NULL;
}

static GVariant *
pop_until (LbTestSignalQueue *q, const char *member, GPtrArray *seen)
{
  for (;;)
    {
      g_autofree char *got = NULL;
      GVariant *params = lb_test_signal_queue_pop (q, 20000, &got);

      if (params == NULL)
        {
          g_test_fail_printf ("no %s signal", member);
          return NULL;
        }
      if (seen != NULL)
        g_ptr_array_add (seen, g_strdup_printf ("%s%s", got, g_variant_print (params, FALSE)));
      if (g_str_equal (got, member))
        return params;
      g_variant_unref (params);
    }
}

/* During the user's backup, a sandboxed app listening to everything (through
 * its proxy, and with the bus socket) learns nothing of another app's
 * licenses; the host that started it gets every detail, another host only
 * once it subscribes. */
static void
test_signals_private (Fixture *f, gconstpointer data)
{
  g_auto (TwoApps) t = two_apps (f->bus);
  g_autoptr (GDBusConnection) other_host = lb_test_bus_connect (f->bus, NULL);
  g_autoptr (LbTestSignalQueue) qb = lb_test_signal_queue_new (t.cb, NULL, NULL, NULL, NULL);
  g_autoptr (LbTestSignalQueue) qhost
      = lb_test_signal_queue_new (f->host, SERVICE, LB_TEST_MANAGER_IFACE, NULL, PATH);
  g_autoptr (LbTestSignalQueue) qother
      = lb_test_signal_queue_new (other_host, SERVICE, LB_TEST_MANAGER_IFACE, NULL, PATH);
  g_autoptr (GPtrArray) host_seen = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) other_seen = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *dir = lb_test_make_tmp_dir ("signals-backup");
  g_autofree char *other_all = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GVariant) completed = NULL;
  Monitor m = { f->bus, NULL, FALSE };
  guint n_b = 0;

  assert_store (t.ca, "secret-a-key", "a",
                lb_test_vardict_new ("can-backup", g_variant_new_boolean (FALSE), NULL));
  assert_store (t.ca, "backed-a-key", "a", NULL);
  assert_store (t.cb, "b-key", "b", NULL);

  g_autoptr (GThread) thread = g_thread_new ("monitor", monitor_thread, &m);
  lb_test_run_for (2000); /* the monitor is listening */

  for (guint round = 0; round < 2; round++)
    {
      g_clear_pointer (&reply, g_variant_unref);
      reply = manager_call (
          f->host, "BackupLicenses",
          g_variant_new ("(u@a{sv})", LB_BACKUP_FLAGS_OVERWRITE,
                         lb_test_vardict_new ("path", g_variant_new_string (dir), NULL)),
          &error);
      g_assert_no_error (error);
      g_clear_pointer (&completed, g_variant_unref);
      completed = pop_until (qhost, "BackupCompleted", host_seen);
      g_clear_pointer (&completed, g_variant_unref);
      completed = pop_until (qother, "BackupCompleted", other_seen);
      if (round == 0)
        {
          /* Not subscribed: the broadcast signals only. */
          other_all = joined (other_seen);
          g_assert_null (strstr (other_all, "RestrictedLicense"));
          g_assert_null (strstr (other_all, "secret-a-key"));
          g_clear_pointer (&reply, g_variant_unref);
          reply = manager_call (other_host, "Subscribe", NULL, &error);
          g_assert_no_error (error);
        }
    }
  /* The starter: the left-out license with its app, and the counts. */
  g_autofree char *host_all = joined (host_seen);
  g_test_message ("the starter saw: %s", host_all);
  g_assert_nonnull (
      strstr (host_all, "RestrictedLicense(1, 'secret-a-key', 'no-backup-right', '" APP_A "')"));
  g_assert_true (strstr (host_all, "AppCounts(1, {'" APP_A "': 1, '" APP_B "': 1})") != NULL
                 || strstr (host_all, "AppCounts(1, {'" APP_B "': 1, '" APP_A "': 1})") != NULL);
  /* The subscriber, for the second backup. */
  g_clear_pointer (&other_all, g_free);
  other_all = joined (other_seen);
  g_assert_nonnull (strstr (other_all, "RestrictedLicense(2, 'secret-a-key'"));
  g_assert_nonnull (strstr (other_all, "AppCounts(2, {"));

  /* App B through its proxy: the broadcasts, nothing of A. */
  for (;;)
    {
      g_autofree char *member = NULL;
      g_autoptr (GVariant) params = lb_test_signal_queue_pop (qb, 500, &member);
      g_autofree char *text = NULL;

      if (params == NULL)
        break;
      text = g_variant_print (params, FALSE);
      n_b++;
      g_assert_cmpstr (member, !=, "RestrictedLicense");
      g_assert_cmpstr (member, !=, "AppCounts");
      g_assert_null (strstr (text, "a-key"));
      g_assert_null (strstr (text, APP_A));
    }
  g_assert_cmpuint (n_b, >, 0); /* it did hear the broadcasts */

  /* App B with the bus socket, monitoring the service. */
  g_thread_join (g_steal_pointer (&thread));
  g_assert_true (m.ran);
  g_assert_nonnull (m.output);
  g_assert_nonnull (strstr (m.output, "BackupCompleted"));
  g_assert_null (strstr (m.output, "RestrictedLicense"));
  g_assert_null (strstr (m.output, "a-key"));
  g_assert_null (strstr (m.output, APP_A));
  g_free (m.output);
}

/* limits */

static void
test_limits (Fixture *f, gconstpointer data)
{
  const char *const args[] = { "--app-max-licenses=3", "--app-max-bytes=1000", NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autofree char *big = g_strnfill (1001, 'x');

  start (f, args);
  g_auto (TwoApps) t = two_apps (f->bus);
  assert_store (t.ca, "k1", "x", NULL);
  assert_store (t.ca, "k2", "x", NULL);
  assert_store (t.ca, "k3", "x", NULL);
  reply = store_call (t.ca, "StoreLicense",
                      g_variant_new ("(s@ay@a{sv})", "k4", g_variant_new_bytestring ("x"),
                                     g_variant_new ("a{sv}", NULL)),
                      &error);
  assert_refused_with (error, LB_ERROR_NO_SPACE, "3");
  g_assert_nonnull (strstr (error->message, APP_A));
  g_clear_error (&error);
  /* A bulk call over the limit stores none of its licenses. */
  reply = store_call (
      t.cb, "StoreLicenses",
      g_variant_new_parsed ("([('b1', b'x', @a{sv} {}), ('b2', b'x', {}), ('b3', b'x', {}), "
                            "('b4', b'x', {})],)"),
      &error);
  lb_test_assert_error_name (error, LB_ERROR_NO_SPACE);
  g_clear_error (&error);
  assert_listing (t.cb, NULL, "");
  /* Bytes: one app's limit, not the others'. */
  reply = store_call (t.cb, "StoreLicense",
                      g_variant_new ("(s@ay@a{sv})", "big", g_variant_new_bytestring (big),
                                     g_variant_new ("a{sv}", NULL)),
                      &error);
  assert_refused_with (error, LB_ERROR_NO_SPACE, "1000 bytes");
  g_clear_error (&error);
  assert_store (t.cb, "b1", "x", NULL);
  assert_store (f->host, "h1", "x", NULL);
  g_assert_cmpuint (lb_test_bus_get_license_count (f->bus), ==, 5);
}

/* backup */

static void
start_op (GDBusConnection *c, const char *method, guint32 flags, const char *dir)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = manager_call (
      c, method,
      g_variant_new ("(u@a{sv})", flags,
                     lb_test_vardict_new ("path", g_variant_new_string (dir), NULL)),
      &error);

  g_assert_no_error (error);
}

/* A backup of three apps restored on another machine gives each app back
 * its own, under the same key ids. */
static void
test_backup_other_machine (Fixture *f, gconstpointer data)
{
  g_autofree char *dir = lb_test_make_tmp_dir ("apps-backup");
  g_autoptr (LbTestMachine) second = NULL;
  g_autoptr (LbTestSignalQueue) q
      = lb_test_signal_queue_new (f->host, SERVICE, LB_TEST_MANAGER_IFACE, NULL, PATH);
  g_autoptr (GPtrArray) seen = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GVariant) completed = NULL;
  g_autofree char *all = NULL;

  {
    g_auto (TwoApps) t = two_apps (f->bus);

    assert_store (t.ca, "k", "a-k", NULL);
    assert_store (t.ca, "a2", "a-2", NULL);
    assert_store (t.cb, "k", "b-k", NULL);
    assert_store (f->host, "k", "h-k", NULL);
  }
  start_op (f->host, "BackupLicenses", LB_BACKUP_FLAGS_NONE, dir);
  completed = pop_until (q, "BackupCompleted", seen);
  g_clear_pointer (&completed, g_variant_unref);
  lb_test_machine_stop_daemon (f->machine);

  /* Another computer, the same user: an empty store. */
  second = lb_test_machine_new (f->bus, "second");
  g_assert_nonnull (lb_test_machine_start_daemon (second, NULL));
  start_op (f->host, "RestoreLicenses", LB_RESTORE_FLAGS_INDIVIDUALIZE, dir);
  completed = pop_until (q, "RestoreCompleted", seen);
  g_assert_nonnull (completed);
  {
    guint32 status;
    g_variant_get (completed, "(tu&s@a{sv})", NULL, &status, NULL, NULL);
    g_assert_cmpuint (status, ==, LB_STATUS_END);
  }
  all = joined (seen);
  g_assert_nonnull (strstr (all, "AppCounts(1, {"));
  g_assert_nonnull (strstr (all, "'" APP_A "': 2"));
  assert_listing (f->host, NULL, ":k " APP_A ":a2 " APP_A ":k " APP_B ":k");
  {
    g_auto (TwoApps) t = two_apps (f->bus);

    assert_blob (t.ca, "k", "a-k", APP_A);
    assert_blob (t.ca, "a2", "a-2", APP_A);
    assert_blob (t.cb, "k", "b-k", APP_B);
    assert_blob (f->host, "k", "h-k", "");
  }
}

/* upgrade (no sandbox needed) */

static void
copy_fixture (const char *name, const char *to_dir)
{
  g_autofree char *from = g_test_build_filename (G_TEST_DIST, "data", "v1", name, NULL);
  g_autofree char *to = g_build_filename (to_dir, name, NULL);
  g_autofree char *contents = NULL;
  g_autoptr (GError) error = NULL;
  gsize len;

  g_assert_cmpint (g_mkdir_with_parents (to_dir, 0700), ==, 0);
  g_assert_true (g_file_get_contents (from, &contents, &len, &error));
  g_assert_true (g_file_set_contents (to, contents, (gssize) len, &error));
  g_assert_no_error (error);
}

/* A store written by 0.1.0: its licenses are the host's after the upgrade,
 * also when the first upgrade was killed before its commit. */
static void
test_upgrade_store (Fixture *f, gconstpointer data)
{
  LbTestDaemonOptions crash = { 0 };
  LbTestDaemon *d;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = NULL;

  copy_fixture ("licenses.db", lb_test_machine_get_store_dir (f->machine));
  crash.fault = "migrate-before-commit";
  crash.flags = LB_TEST_DAEMON_NO_WAIT;
  d = lb_test_machine_start_daemon (f->machine, &crash);
  g_assert_true (lb_test_daemon_wait_exit (d, LB_TEST_TIMEOUT_MS));
  g_assert_cmpint (lb_test_daemon_get_term_signal (d), ==, SIGKILL);

  start (f, NULL);
  g_assert_cmpuint (lb_test_bus_get_license_count (f->bus), ==, 3);
  assert_listing (f->host, NULL, ":old-key-1 :old-key-2 :old/key 3");
  assert_blob (f->host, "old-key-1", "\x01\x02\x03", "");
  reply = call (f->host, LB_TEST_STORE_IFACE, "ListApps", NULL, "(a(sa{sv}))", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (g_variant_print (reply, FALSE), ==,
                   "([('', {'licenses': <uint32 3>, 'bytes': <uint64 8>})],)");
}

/* A backup written by 0.1.0 restores into the host namespace. */
static void
test_upgrade_backup (Fixture *f, gconstpointer data)
{
  g_autofree char *dir = lb_test_make_tmp_dir ("v1-backup");
  g_autoptr (LbTestSignalQueue) q
      = lb_test_signal_queue_new (f->host, SERVICE, LB_TEST_MANAGER_IFACE, NULL, PATH);
  g_autoptr (GVariant) completed = NULL;
  guint32 status = 99;

  copy_fixture ("licenses.lbk", dir);
  start_op (f->host, "RestoreLicenses", LB_RESTORE_FLAGS_INDIVIDUALIZE, dir);
  completed = pop_until (q, "RestoreCompleted", NULL);
  g_variant_get (completed, "(tu&s@a{sv})", NULL, &status, NULL, NULL);
  g_assert_cmpuint (status, ==, LB_STATUS_END);
  assert_listing (f->host, NULL, ":old-key-1 :old-key-2");
  assert_blob (f->host, "old-key-2", "\x04\x05\x06\x07", "");
}

typedef struct
{
  const char *path;
  void (*func) (Fixture *f, gconstpointer data);
  gboolean own_daemon; /* the test starts the daemon itself */
} Test;

static const Test tests[] = {
  { "identity/kinds", test_identity_kinds, FALSE },
  { "identity/refused", test_identity_refused, FALSE },
  { "identity/unreadable", test_identity_unreadable, TRUE },
  { "identity/cache", test_identity_cache, FALSE },
  { "isolation/store", test_isolation, FALSE },
  { "isolation/host-only", test_isolation_host_only, FALSE },
  { "host/sees-all", test_host_sees_all, FALSE },
  { "signals/private", test_signals_private, FALSE },
  { "limits/per-app", test_limits, TRUE },
  { "backup/other-machine", test_backup_other_machine, FALSE },
  { "upgrade/store", test_upgrade_store, TRUE },
  { "upgrade/backup", test_upgrade_backup, FALSE },
};

int
main (int argc, char **argv)
{
  const char *groups = g_getenv ("LB_TEST_APPS_SANDBOX");

  lb_test_init (&argc, &argv);
  /* The sandboxed groups skip as a whole where bubblewrap cannot run. */
  if (groups != NULL && g_str_equal (groups, "1"))
    lb_test_sandbox_require ();
  for (guint i = 0; i < G_N_ELEMENTS (tests); i++)
    {
      g_autofree char *path = g_strconcat ("/apps/", tests[i].path, NULL);

      lb_test_check_group (tests[i].path, "tests/meson.build's apps_test_groups");
      g_test_add (path, Fixture, tests[i].own_daemon ? &tests[i] : NULL, setup, tests[i].func,
                  teardown);
    }
  return g_test_run ();
}
