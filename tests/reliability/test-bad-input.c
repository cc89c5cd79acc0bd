/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reliability: bad D-Bus input.
 *
 * Every method of both interfaces, and the writable properties, called
 * with wrong flag bits, unknown options, options of the wrong type or
 * given twice, empty, oversized and non-printable key ids, empty and
 * oversized blobs, bad attributes, paths that are relative, missing, not
 * directories or names of files, and wrong signatures. Each must be
 * answered with the documented error name (the service's own, or the
 * D-Bus standard one where GDBus checks the signature before the service
 * sees the call) and a non-empty message, change nothing, and leave the
 * daemon (the same process) answering GetStatus.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "lb-archive.h"
#include "rel-util.h"

#define DBUS_INVALID_ARGS "org.freedesktop.DBus.Error.InvalidArgs"
#define DBUS_UNKNOWN_METHOD "org.freedesktop.DBus.Error.UnknownMethod"
#define DBUS_PROPERTY_READ_ONLY "org.freedesktop.DBus.Error.PropertyReadOnly"
/* The D-Bus name of one of the service's errors. */
#define ERR(code) lb_test_error_dbus_name (code)

typedef struct
{
  char *what;
  const char *iface;
  const char *method;
  GVariant *params; /* owned, sunk; NULL for no arguments */
  const char *expected;
  const char *alternative; /* another acceptable name, or NULL */
} Case;

static void
case_free (Case *c)
{
  g_free (c->what);
  g_clear_pointer (&c->params, g_variant_unref);
  g_free (c);
}

static GPtrArray *cases;

/* Adds the case @what (taken): @method of @iface called with @params
 * (NULL for no arguments) is answered with the error @expected, or with
 * @alternative unless it is NULL. add_full() formats @what. */
static void
add_case_take (const char *iface,
               const char *method,
               GVariant *params,
               const char *expected,
               const char *alternative,
               char *what)
{
  Case *c = g_new0 (Case, 1);

  c->what = what;
  c->iface = iface;
  c->method = method;
  c->params = params != NULL ? g_variant_ref_sink (params) : NULL;
  c->expected = expected;
  c->alternative = alternative;
  g_ptr_array_add (cases, c);
}

#define add_full(iface, method, params, expected, alternative, ...) \
  add_case_take (iface, method, params, expected, alternative, g_strdup_printf (__VA_ARGS__))
#define MANAGER LB_TEST_MANAGER_IFACE
#define STORE LB_TEST_STORE_IFACE
#define add(iface, method, params, expected, ...) \
  add_full (iface, method, params, expected, NULL, __VA_ARGS__)

static GVariant *
opts_path (const char *path)
{
  return g_variant_new_parsed ("{'path': <%s>}", path);
}

static GVariant *
blob (gsize size)
{
  return g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING,
                                   g_bytes_new_take (g_malloc0 (size), size), TRUE);
}

static GVariant *
empty_attrs (void)
{
  return g_variant_new_parsed ("@a{sv} {}");
}

/* Key ids that break the rules: 1 to 256 bytes of printable ASCII. */
static void
add_key_cases (const char *good_dir)
{
  g_autofree char *long_key = g_strnfill (257, 'k');
  g_autofree char *huge_key = g_strnfill (1024 * 1024, 'k');
  struct
  {
    const char *what;
    const char *key;
  } keys[] = {
    { "empty key id", "" },
    { "key id of 257 bytes", long_key },
    { "key id of 1 MiB", huge_key },
    { "key id with \\x01", "ab\001cd" },
    { "key id with a tab", "ab\tcd" },
    { "key id with a newline", "ab\ncd" },
    { "key id with DEL", "ab\177cd" },
    { "key id with UTF-8 é", "caf\303\251" },
    { "key id with U+FEFF", "\357\273\277key" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      GVariantBuilder b;

      add (STORE, "StoreLicense",
           g_variant_new ("(s@ay@a{sv})", keys[i].key, blob (10), empty_attrs ()),
           ERR (LB_ERROR_INVALID_ARGS), "StoreLicense: %s", keys[i].what);
      g_variant_builder_init (&b, G_VARIANT_TYPE ("a(saya{sv})"));
      g_variant_builder_add (&b, "(s@ay@a{sv})", "good-key", blob (10), empty_attrs ());
      g_variant_builder_add (&b, "(s@ay@a{sv})", keys[i].key, blob (10), empty_attrs ());
      add (STORE, "StoreLicenses", g_variant_new ("(@a(saya{sv}))", g_variant_builder_end (&b)),
           ERR (LB_ERROR_INVALID_ARGS), "StoreLicenses: a good license and one with %s",
           keys[i].what);
      add (STORE, "GetLicense", g_variant_new ("(s)", keys[i].key), ERR (LB_ERROR_INVALID_ARGS),
           "GetLicense: %s", keys[i].what);
      add (STORE, "DeleteLicense", g_variant_new ("(s)", keys[i].key), ERR (LB_ERROR_INVALID_ARGS),
           "DeleteLicense: %s", keys[i].what);
      if (keys[i].key[0] != '\0')
        add (STORE, "ListLicenses", g_variant_new_parsed ("({'cursor': <%s>},)", keys[i].key),
             ERR (LB_ERROR_INVALID_ARGS), "ListLicenses: cursor that is a %s", keys[i].what);
    }
  (void) good_dir;
}

static void
make_cases (const char *good_dir,
            const char *no_backup_dir,
            const char *with_backup_dir,
            const char *a_file)
{
  g_autofree char *long_component = g_strnfill (5000, 'p');
  g_autofree char *long_path = g_strconcat ("/", long_component, NULL);
  g_autofree char *long_string = g_strnfill (4097, 's');
  g_autofree char *backup_file = lb_test_newest_backup (with_backup_dir);
  g_autofree char *under_file = g_build_filename (a_file, "license-backup", "folder", NULL);
  g_autofree char *under_file_uri = g_filename_to_uri (under_file, NULL, NULL);
  /* The other operation's flag, and unknown bits. */
  const guint32 bad_backup_flags[]
      = { LB_RESTORE_FLAGS_INDIVIDUALIZE, 0x4, 0x100, 0x80000000u, 0xffffffffu };
  const guint32 bad_restore_flags[]
      = { LB_BACKUP_FLAGS_OVERWRITE, 0x4, 0x100, 0x80000000u, 0xffffffffu };
  const guint32 bad_clean_flags[] = { 0x2, 0x80000000u, 0xffffffffu };
  const char *ops[] = { "BackupLicenses", "RestoreLicenses" };

  cases = g_ptr_array_new_with_free_func ((GDestroyNotify) case_free);

  /* Flags */
  for (guint i = 0; i < G_N_ELEMENTS (bad_backup_flags); i++)
    add (MANAGER, "BackupLicenses",
         g_variant_new ("(u@a{sv})", bad_backup_flags[i], opts_path (good_dir)),
         ERR (LB_ERROR_INVALID_ARGS), "BackupLicenses: flags 0x%x", bad_backup_flags[i]);
  for (guint i = 0; i < G_N_ELEMENTS (bad_restore_flags); i++)
    add (MANAGER, "RestoreLicenses",
         g_variant_new ("(u@a{sv})", bad_restore_flags[i], opts_path (with_backup_dir)),
         ERR (LB_ERROR_INVALID_ARGS), "RestoreLicenses: flags 0x%x", bad_restore_flags[i]);
  for (guint i = 0; i < G_N_ELEMENTS (bad_clean_flags); i++)
    add (STORE, "CleanLicenseStore", g_variant_new ("(u)", bad_clean_flags[i]),
         ERR (LB_ERROR_INVALID_ARGS), "CleanLicenseStore: flags 0x%x", bad_clean_flags[i]);

  for (guint k = 0; k < G_N_ELEMENTS (ops); k++)
    {
      const char *op = ops[k];
      const char *dir = k == 0 ? good_dir : with_backup_dir;
      struct
      {
        const char *what;
        GVariant *options;
      } options[] = {
        { "unknown option", g_variant_new_parsed ("{'path': <%s>, 'bogus': <1>}", dir) },
        { "option name in the wrong case", g_variant_new_parsed ("{'Path': <%s>}", dir) },
        { "path of type i", g_variant_new_parsed ("{'path': <int32 1>}") },
        { "path of type o", g_variant_new_parsed ("{'path': <objectpath '/tmp'>}") },
        { "path of type ay", g_variant_new_parsed ("{'path': <b'/tmp'>}") },
        { "path of type as", g_variant_new_parsed ("{'path': <['/tmp']>}") },
        { "cancel-on-disconnect of type s",
          g_variant_new_parsed ("{'path': <%s>, 'cancel-on-disconnect': <'yes'>}", dir) },
        { "cancel-on-disconnect of type u",
          g_variant_new_parsed ("{'path': <%s>, 'cancel-on-disconnect': <uint32 1>}", dir) },
        { "path given twice", g_variant_new_parsed ("{'path': <%s>, 'path': <%s>}", dir, dir) },
        { "empty path", opts_path ("") },
        { "relative path", opts_path ("relative/dir") },
        { "path \".\"", opts_path (".") },
        { "path \"~/backups\"", opts_path ("~/backups") },
        { "a file name as path", opts_path (LB_BACKUP_FILE_NAME) },
        { "path of a regular file", opts_path (a_file) },
        { "path of the backup file itself", opts_path (backup_file) },
        { "path /dev/null", opts_path ("/dev/null") },
        /* A missing backup folder is made: one under a file cannot be. */
        { "missing folder",
          opts_path (k == 0 ? under_file : "/nonexistent/license-backup/folder") },
        { "file:// URI of a missing folder",
          opts_path (k == 0 ? under_file_uri : "file:///nonexistent/license-backup/folder") },
        { "neither path nor URI", opts_path ("not a uri: at all") },
        { "path with \\x01", opts_path ("\001/tmp") },
        { "path of 5000 bytes", opts_path (long_path) },
      };
      for (guint i = 0; i < G_N_ELEMENTS (options); i++)
        add (MANAGER, op, g_variant_new ("(u@a{sv})", 0, options[i].options),
             ERR (LB_ERROR_INVALID_ARGS), "%s: %s", op, options[i].what);
      add (MANAGER, op, g_variant_new_parsed ("(uint32 0, @a{sv} {})"), ERR (LB_ERROR_NOT_SET),
           "%s: no path and no %s set", op, k == 0 ? "BackupPath" : "RestorePath");
      add (MANAGER, op, g_variant_new_parsed ("(%s,)", good_dir), DBUS_INVALID_ARGS,
           "%s: signature (s)", op);
      add (MANAGER, op, g_variant_new_parsed ("(uint32 0, @a{ss} {})"), DBUS_INVALID_ARGS,
           "%s: signature (ua{ss})", op);
    }
  add (MANAGER, "BackupLicenses", g_variant_new ("(u@a{sv})", 0, opts_path (with_backup_dir)),
       ERR (LB_ERROR_BACKUP_EXISTS), "BackupLicenses: over a backup without the overwrite flag");
  add (MANAGER, "RestoreLicenses", g_variant_new ("(u@a{sv})", 0, opts_path (no_backup_dir)),
       ERR (LB_ERROR_NOT_FOUND), "RestoreLicenses: a folder without a backup");
  add (MANAGER, "CancelLicenseBackup", NULL, ERR (LB_ERROR_NOT_RUNNING),
       "CancelLicenseBackup: none running");
  add (MANAGER, "CancelLicenseRestore", NULL, ERR (LB_ERROR_NOT_RUNNING),
       "CancelLicenseRestore: none running");
  add (MANAGER, "GetStatus", g_variant_new ("(u)", 1), DBUS_INVALID_ARGS,
       "GetStatus: signature (u)");
  add (MANAGER, "NoSuchMethod", NULL, DBUS_UNKNOWN_METHOD, "an unknown method");

  /* Properties */
  {
    struct
    {
      const char *what;
      const char *property;
      GVariant *value;
      const char *expected;
      const char *alternative;
    } props[] = {
      { "relative", "BackupPath", g_variant_new_string ("relative/dir"),
        ERR (LB_ERROR_INVALID_ARGS), NULL },
      { "a file name", "BackupPath", g_variant_new_string (LB_BACKUP_FILE_NAME),
        ERR (LB_ERROR_INVALID_ARGS), NULL },
      { "neither path nor URI", "BackupPath", g_variant_new_string ("not a uri: at all"),
        ERR (LB_ERROR_INVALID_ARGS), NULL },
      { "of type u", "BackupPath", g_variant_new_uint32 (1), DBUS_INVALID_ARGS,
        ERR (LB_ERROR_INVALID_ARGS) },
      { "relative", "RestorePath", g_variant_new_string ("."), ERR (LB_ERROR_INVALID_ARGS), NULL },
      { "of type as", "RestorePath", g_variant_new_parsed ("['/tmp']"), DBUS_INVALID_ARGS,
        ERR (LB_ERROR_INVALID_ARGS) },
      { "read-only", "Status", g_variant_new_uint32 (LB_STATUS_END), DBUS_INVALID_ARGS,
        DBUS_PROPERTY_READ_ONLY },
      { "read-only", "LastBackupTime", g_variant_new_int64 (1), DBUS_INVALID_ARGS,
        DBUS_PROPERTY_READ_ONLY },
      { "unknown", "NoSuchProperty", g_variant_new_string ("/tmp"), DBUS_INVALID_ARGS, NULL },
    };
    for (guint i = 0; i < G_N_ELEMENTS (props); i++)
      add_full ("org.freedesktop.DBus.Properties", "Set",
                g_variant_new ("(ssv)", MANAGER, props[i].property, props[i].value),
                props[i].expected, props[i].alternative, "Set %s: %s", props[i].property,
                props[i].what);
    add_full ("org.freedesktop.DBus.Properties", "Set",
              g_variant_new ("(ssv)", STORE, "LicenseCount", g_variant_new_uint32 (0)),
              DBUS_INVALID_ARGS, DBUS_PROPERTY_READ_ONLY, "Set LicenseCount: read-only");
  }

  /* Key ids, in every Store method */
  add_key_cases (good_dir);

  /* Blobs */
  add (STORE, "StoreLicense", g_variant_new ("(s@ay@a{sv})", "k", blob (0), empty_attrs ()),
       ERR (LB_ERROR_INVALID_ARGS), "StoreLicense: empty blob");
  add (STORE, "StoreLicense",
       g_variant_new ("(s@ay@a{sv})", "k", blob (1024 * 1024 + 1), empty_attrs ()),
       ERR (LB_ERROR_INVALID_ARGS), "StoreLicense: blob of 1 MiB + 1 byte");
  add (STORE, "StoreLicense",
       g_variant_new ("(s@ay@a{sv})", "k", blob (8 * 1024 * 1024), empty_attrs ()),
       ERR (LB_ERROR_INVALID_ARGS), "StoreLicense: blob of 8 MiB");
  {
    GVariantBuilder b;

    g_variant_builder_init (&b, G_VARIANT_TYPE ("a(saya{sv})"));
    g_variant_builder_add (&b, "(s@ay@a{sv})", "good-key", blob (10), empty_attrs ());
    g_variant_builder_add (&b, "(s@ay@a{sv})", "empty-blob", blob (0), empty_attrs ());
    add (STORE, "StoreLicenses", g_variant_new ("(@a(saya{sv}))", g_variant_builder_end (&b)),
         ERR (LB_ERROR_INVALID_ARGS), "StoreLicenses: a good license and one with an empty blob");
  }
  {
    GVariantBuilder b;

    g_variant_builder_init (&b, G_VARIANT_TYPE ("a(saya{sv})"));
    for (guint i = 0; i < 10001; i++)
      {
        g_autofree char *key = g_strdup_printf ("bulk-%05u", i);
        g_variant_builder_add (&b, "(s@ay@a{sv})", key, blob (1), empty_attrs ());
      }
    add (STORE, "StoreLicenses", g_variant_new ("(@a(saya{sv}))", g_variant_builder_end (&b)),
         ERR (LB_ERROR_INVALID_ARGS), "StoreLicenses: 10,001 licenses");
  }
  add (STORE, "StoreLicense", g_variant_new_parsed ("('k', [1, 2], @a{sv} {})"), DBUS_INVALID_ARGS,
       "StoreLicense: blob of type ai");
  add (STORE, "StoreLicense", g_variant_new_parsed ("('k',)"), DBUS_INVALID_ARGS,
       "StoreLicense: signature (s)");

  /* Bad dictionaries: StoreLicense's attributes, ListLicenses's options. */
  {
    struct
    {
      const char *method;
      const char *what;
      GVariant *dict;
    } dicts[] = {
      { "StoreLicense", "unknown attribute", g_variant_new_parsed ("{'color': <'red'>}") },
      { "StoreLicense", "issuer of type i", g_variant_new_parsed ("{'issuer': <int32 1>}") },
      { "StoreLicense", "content-id of type ay", g_variant_new_parsed ("{'content-id': <b'x'>}") },
      { "StoreLicense", "can-backup of type s", g_variant_new_parsed ("{'can-backup': <'yes'>}") },
      { "StoreLicense", "restore-limit of type i",
        g_variant_new_parsed ("{'restore-limit': <int32 1>}") },
      { "StoreLicense", "expires of type t", g_variant_new_parsed ("{'expires': <uint64 1>}") },
      { "StoreLicense", "support-url of type u",
        g_variant_new_parsed ("{'support-url': <uint32 1>}") },
      { "StoreLicense", "service-kept restore-count",
        g_variant_new_parsed ("{'restore-count': <uint32 0>}") },
      { "StoreLicense", "service-kept stored", g_variant_new_parsed ("{'stored': <int64 1>}") },
      { "StoreLicense", "service-kept machine", g_variant_new_parsed ("{'machine': <'0123'>}") },
      { "StoreLicense", "issuer of 4097 bytes",
        g_variant_new_parsed ("{'issuer': <%s>}", long_string) },
      { "StoreLicense", "attribute given twice",
        g_variant_new_parsed ("{'issuer': <'a'>, 'issuer': <'b'>}") },
      { "ListLicenses", "limit 0", g_variant_new_parsed ("{'limit': <uint32 0>}") },
      { "ListLicenses", "limit 10,001", g_variant_new_parsed ("{'limit': <uint32 10001>}") },
      { "ListLicenses", "limit 4294967295",
        g_variant_new_parsed ("{'limit': <uint32 4294967295>}") },
      { "ListLicenses", "limit of type i", g_variant_new_parsed ("{'limit': <int32 5>}") },
      { "ListLicenses", "limit of type s", g_variant_new_parsed ("{'limit': <'5'>}") },
      { "ListLicenses", "cursor of type i", g_variant_new_parsed ("{'cursor': <int32 1>}") },
      { "ListLicenses", "unknown option", g_variant_new_parsed ("{'offset': <uint32 1>}") },
    };
    for (guint i = 0; i < G_N_ELEMENTS (dicts); i++)
      add (STORE, dicts[i].method,
           g_str_equal (dicts[i].method, "StoreLicense")
               ? g_variant_new ("(s@ay@a{sv})", "k", blob (10), dicts[i].dict)
               : g_variant_new ("(@a{sv})", dicts[i].dict),
           ERR (LB_ERROR_INVALID_ARGS), "%s: %s", dicts[i].method, dicts[i].what);
  }
  add (STORE, "GetLicense", g_variant_new ("(s)", "no-such-license"), ERR (LB_ERROR_NOT_FOUND),
       "GetLicense: a license that is not there");
  add (STORE, "DeleteLicense", g_variant_new ("(s)", "no-such-license"), ERR (LB_ERROR_NOT_FOUND),
       "DeleteLicense: a license that is not there");
  add (STORE, "CleanLicenseStore", g_variant_new ("(s)", "all"), DBUS_INVALID_ARGS,
       "CleanLicenseStore: signature (s)");
}

static gboolean
name_matches (const char *got, const char *want)
{
  return want != NULL && got != NULL && g_str_equal (got, want);
}

static void
test_bad_input (void)
{
  g_auto (RelEnv) e = { 0 };

  if (!rel_env_init (&e, "badinput", 0, FALSE))
    return;
  LbTestBus *bus = e.bus;
  LbTestMachine *machine = e.machine;
  LbTestDaemon *daemon = lb_test_machine_get_daemon (machine);
  GDBusConnection *c = lb_test_bus_get_connection (bus);
  /* Folders given as paths: one stays empty, one holds a file, one a
   * backup. */
  g_autofree char *good_dir = lb_test_make_tmp_dir ("good");
  g_autofree char *no_backup_dir = lb_test_make_tmp_dir ("nobackup");
  const char *with_backup_dir = e.backup_dir;
  g_autofree char *a_file = g_build_filename (no_backup_dir, "a-file", NULL);
  GPid pid = lb_test_daemon_get_pid (daemon);
  g_file_set_contents (a_file, "not a folder", -1, NULL);
  if (!rel_store_range (bus, "lic-", 0, 20, 91, 10, 500, 100)
      || !rel_op_run_end (bus, TRUE, 0, with_backup_dir, 30000, NULL))
    return;
  g_autoptr (GHashTable) before = rel_dump_bus_ok (bus);
  g_autofree char *tree_before = rel_tree_listing (lb_test_machine_get_root (machine),
                                                   (const char *const[]){ "daemon-", NULL });

  make_cases (good_dir, no_backup_dir, with_backup_dir, a_file);
  g_autoptr (GHashTable) names = g_hash_table_new (g_str_hash, g_str_equal);
  guint answered = 0;
  for (guint i = 0; i < cases->len; i++)
    {
      Case *k = cases->pdata[i];
      g_autoptr (GError) call_error = NULL;
      g_autofree char *name = NULL; /* not below: the continue would skip it */
      g_autoptr (GVariant) reply = g_dbus_connection_call_sync (
          c, LB_TEST_BUS_NAME, LB_TEST_OBJECT_PATH, k->iface, k->method, k->params, NULL,
          G_DBUS_CALL_FLAGS_NO_AUTO_START, 30000, NULL, &call_error);
      if (reply != NULL)
        {
          rel_fail ("%s: the call succeeded; expected %s", k->what, k->expected);
          continue;
        }
      name = g_dbus_error_get_remote_error (call_error);
      g_dbus_error_strip_remote_error (call_error);
      if (!name_matches (name, k->expected) && !name_matches (name, k->alternative))
        rel_fail ("%s: got %s (%s), expected %s", k->what, name, call_error->message, k->expected);
      else if (call_error->message[0] == '\0')
        rel_fail ("%s: %s without a message", k->what, name);
      else
        answered++;
      if (name != NULL)
        g_hash_table_add (names, (gpointer) g_intern_string (name));
      if (g_test_verbose ())
        g_test_message ("%s: %s: %s", k->what, name, call_error->message);
      /* Still there, the same process, answering. */
      if (!rel_assert_get_status (bus, 5000))
        return;
    }
  g_assert_true (lb_test_daemon_is_running (daemon));
  g_assert_cmpint (lb_test_bus_get_owner_pid (bus), ==, pid);

  /* Nothing changed: the store, and the files (the folders given as
   * paths, the machine). */
  g_autoptr (GHashTable) after = rel_dump_bus_ok (bus);
  g_assert_null (after != NULL ? rel_dump_diff (after, before) : NULL);
  g_autofree char *tree_after = rel_tree_listing (lb_test_machine_get_root (machine),
                                                  (const char *const[]){ "daemon-", NULL });
  g_assert_cmpstr (tree_after, ==, tree_before);
  {
    g_autofree char *good_listing = rel_tree_listing (good_dir, NULL);
    g_autofree char *no_backup_listing = rel_tree_listing (no_backup_dir, NULL);
    g_assert_cmpstr (good_listing, ==, "");
    g_assert_cmpstr (no_backup_listing != NULL && strstr (no_backup_listing, "a-file f") != NULL
                         ? "ok"
                         : no_backup_listing,
                     ==, "ok");
  }

  g_test_message ("FIGURE bad-input: %u bad calls to the %s, %u answered "
                  "with the documented error and a message (%u distinct error names); the "
                  "daemon answered GetStatus after each, stayed the same process, and nothing "
                  "changed",
                  cases->len, "11 methods and to Properties.Set", answered,
                  g_hash_table_size (names));
  g_assert_cmpuint (answered, ==, cases->len);
  g_clear_pointer (&cases, g_ptr_array_unref);
}

int
main (int argc, char **argv)
{
  rel_init (&argc, &argv);
  g_test_add_func ("/reliability/bad-input/all", test_bad_input);
  return g_test_run ();
}
