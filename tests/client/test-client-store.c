/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The license-backup client, the store: import, export, delete, list, clean, config, status
 * (see client-util.h). */
#include "config.h"

#include "client-util.h"

/* Tests: the store */

static const guint8 odd_blob[] = { 0x00, 0xff, 0x0a, 0x0d, 'L', 'B', 0x00, 0x80, 0x1b, '%', 's' };

static char *
write_blob_file (Fixture *f, const char *name, gsize size)
{
  char *path = g_build_filename (f->work, name, NULL);
  g_autofree guint8 *data = g_malloc (size);
  g_autoptr (GError) error = NULL;

  for (gsize i = 0; i < size; i++)
    data[i] = i < sizeof odd_blob ? odd_blob[i] : (guint8) ((i * 7 + 3) % 256);
  g_file_set_contents (path, (const char *) data, (gssize) size, &error);
  g_assert_no_error (error);
  return path;
}

/* What `list --json` printed (owned by @root), or NULL after a failed
 * assertion. */
static JsonArray *
list_json (Fixture *f, JsonNode **root)
{
  g_autoptr (ClientRun) run = client_run (f, NULL, "list", "--json", NULL);
  JsonArray *array = run_json_array (run, root);

  assert_exit (run, EXIT_OK);
  return array;
}

void
test_store_import_export (Fixture *f, gconstpointer arg)
{
  g_autofree char *file = write_blob_file (f, "lic-one.bin", 3000);
  g_autoptr (GBytes) blob_bytes = lb_test_read_bytes (file);
  g_autofree char *out_path = g_build_filename (f->work, "exported.bin", NULL);
  g_autofree char *out_path2 = g_build_filename (f->work, "exported2.bin", NULL);
  g_autoptr (GVariant) attrs = NULL;
  g_autoptr (GVariant) blob = NULL;

  /* The key id defaults to the file's name; a relative FILE is read from
   * the working directory. */
  client_ok_quiet (f, "Stored the license “lic-one.bin” (3000 bytes).\n", "import", "lic-one.bin",
                   NULL);
  attrs = get_attributes (f, "lic-one.bin", &blob);
  g_assert_nonnull (attrs);
  if (blob != NULL)
    {
      g_autoptr (GBytes) stored = g_variant_get_data_as_bytes (blob);
      g_assert_true (g_bytes_equal (stored, blob_bytes));
    }
  assert_attribute (attrs, "can-backup", g_variant_new_boolean (TRUE));
  g_clear_pointer (&attrs, g_variant_unref);

  /* Attributes arrive typed. */
  {
    g_autoptr (ClientRun) run = client_run (
        f, NULL, "import", "--key-id", "key:typed/1", file, "--attr", "can-backup=false", "--attr",
        "restore-limit=2", "--attr", "expires=4102444800", "--attr", "issuer=ACME Media", "--attr",
        "content-id=movie-42", "--attr", "support-url=https://acme.example/help", NULL);

    assert_exit (run, EXIT_OK);
    g_assert_cmpstr (run->out, ==, "Stored the license “key:typed/1” (3000 bytes).\n");
  }
  attrs = get_attributes (f, "key:typed/1", NULL);
  g_assert_nonnull (attrs);
  assert_attribute (attrs, "can-backup", g_variant_new_boolean (FALSE));
  assert_attribute (attrs, "restore-limit", g_variant_new_uint32 (2));
  assert_attribute (attrs, "expires", g_variant_new_int64 (4102444800));
  assert_attribute (attrs, "issuer", g_variant_new_string ("ACME Media"));
  assert_attribute (attrs, "content-id", g_variant_new_string ("movie-42"));
  assert_attribute (attrs, "support-url", g_variant_new_string ("https://acme.example/help"));
  g_clear_pointer (&attrs, g_variant_unref);

  /* An ISO 8601 date, in the client's time zone (TZ=UTC) or with its own. */
  {
    g_autoptr (GDateTime) when = g_date_time_new_utc (2031, 5, 6, 7, 8, 9);
    g_autoptr (GDateTime) when_cet = g_date_time_new_utc (2031, 5, 6, 5, 8, 9);
    g_autoptr (ClientRun) run
        = client_run (f, NULL, "import", "--key-id", "dated", file, "--attr",
                      "expires=2031-05-06T07:08:09", "--attr", "can-backup=yes", NULL);
    g_autoptr (ClientRun) run2
        = client_run (f, NULL, "import", "--key-id", "dated-tz", file, "--attr",
                      "expires=2031-05-06T07:08:09+02:00", "--attr", "restore-limit=0", NULL);

    assert_exit (run, EXIT_OK);
    assert_exit (run2, EXIT_OK);
    attrs = get_attributes (f, "dated", NULL);
    assert_attribute (attrs, "expires", g_variant_new_int64 (g_date_time_to_unix (when)));
    assert_attribute (attrs, "can-backup", g_variant_new_boolean (TRUE));
    g_clear_pointer (&attrs, g_variant_unref);
    attrs = get_attributes (f, "dated-tz", NULL);
    assert_attribute (attrs, "expires", g_variant_new_int64 (g_date_time_to_unix (when_cet)));
    assert_attribute (attrs, "restore-limit", g_variant_new_uint32 (0));
    g_clear_pointer (&attrs, g_variant_unref);
  }

  /* Export: the same bytes, on stdout and into a file (relative -o too). */
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "export", "key:typed/1", NULL);
    g_autoptr (GBytes) out = NULL;

    assert_exit (run, EXIT_OK);
    g_assert_cmpstr (run->err, ==, "");
    out = g_bytes_new (run->out, run->out_len);
    g_assert_cmpuint (run->out_len, ==, 3000);
    g_assert_true (g_bytes_equal (out, blob_bytes));
  }
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "export", "key:typed/1", "-o", out_path, NULL);
    g_autoptr (GBytes) written = lb_test_read_bytes (out_path);

    struct stat st;

    assert_exit (run, EXIT_OK);
    g_assert_cmpstr (run->out, ==, "");
    g_assert_cmpstr (run->err, ==, "");
    g_assert_nonnull (written);
    if (written != NULL)
      g_assert_true (g_bytes_equal (written, blob_bytes));
    /* Readable only by the user. */
    g_assert_cmpint (g_stat (out_path, &st), ==, 0);
    g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  }
  {
    g_autoptr (ClientRun) run
        = client_run (f, NULL, "export", "--output=exported2.bin", "lic-one.bin", NULL);
    g_autoptr (GBytes) written = lb_test_read_bytes (out_path2);

    assert_exit (run, EXIT_OK);
    g_assert_nonnull (written);
    if (written != NULL)
      g_assert_true (g_bytes_equal (written, blob_bytes));
  }

  /* Exit status 1: NotFound, said in words; the name only with --verbose. */
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "export", "no-such-key", NULL);

    assert_exit (run, EXIT_FAILED);
    g_assert_cmpstr (run->out, ==, "");
    assert_error_line (run, NULL);
  }
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "--verbose", "export", "no-such-key", NULL);

    assert_exit (run, EXIT_FAILED);
    assert_contains (run->err, error_name (LB_ERROR_NOT_FOUND));
  }
  /* A file that cannot be read; an attribute the service refuses. */
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "import", "missing.bin", NULL);

    assert_exit (run, EXIT_FAILED);
    assert_error_line (run, "Cannot read missing.bin: it does not exist");
  }
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "import", file, "--attr", "colour=red", NULL);

    assert_exit (run, EXIT_FAILED);
    assert_error_line (run, NULL);
  }
  /* 1 byte to 1 MiB. */
  {
    g_autofree char *empty = write_blob_file (f, "empty.bin", 0);
    g_autofree char *max = write_blob_file (f, "max.bin", 1024 * 1024);
    g_autofree char *over = write_blob_file (f, "over.bin", 1024 * 1024 + 1);
    g_autoptr (ClientRun) run_empty = client_run (f, NULL, "import", empty, NULL);
    g_autoptr (ClientRun) run_max = client_run (f, NULL, "import", max, NULL);
    g_autoptr (ClientRun) run_over = client_run (f, NULL, "import", over, NULL);

    assert_exit (run_empty, EXIT_FAILED);
    assert_error_line (run_empty, NULL);
    assert_exit (run_max, EXIT_OK);
    g_assert_cmpstr (run_max->out, ==, "Stored the license “max.bin” (1048576 bytes).\n");
    assert_exit (run_over, EXIT_FAILED);
    assert_error_line (run_over, NULL);
  }
  g_assert_cmpuint (license_count (f), ==, 5);
}

void
test_store_delete (Fixture *f, gconstpointer arg)
{
  store_license (f, "doomed", NULL, NULL);
  store_license (f, "kept", NULL, NULL);

  client_ok_quiet (f, "Deleted the license “doomed”.\n", "delete", "doomed", NULL);
  g_assert_cmpuint (license_count (f), ==, 1);
  g_assert_null (get_attributes (f, "doomed", NULL));
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "delete", "doomed", NULL);

    assert_exit (run, EXIT_FAILED);
    g_assert_cmpstr (run->out, ==, "");
    assert_error_line (run, NULL);
  }
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "export", "doomed", NULL);
    assert_exit (run, EXIT_FAILED);
  }
  g_assert_cmpuint (license_count (f), ==, 1);
}

void
test_store_list (Fixture *f, gconstpointer arg)
{
  /* Empty. */
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "list", NULL);
    g_autoptr (ClientRun) json = client_run (f, NULL, "list", "--json", NULL);
    g_autoptr (JsonNode) root = NULL;

    assert_exit (run, EXIT_OK);
    g_assert_cmpstr (run->out, ==, "The store holds no licenses.\n");
    assert_exit (json, EXIT_OK);
    root = run_json (json);
    g_assert_true (root != NULL && JSON_NODE_HOLDS_ARRAY (root));
    if (root != NULL && JSON_NODE_HOLDS_ARRAY (root))
      g_assert_cmpuint (json_array_get_length (json_node_get_array (root)), ==, 0);
  }

  store_license (f, "b-plain", NULL, NULL);
  store_license (f, "a-restricted", NULL,
                 lb_test_vardict_new ("can-backup", g_variant_new_boolean (FALSE), "issuer",
                                      g_variant_new_string ("ACME"), "restore-limit",
                                      g_variant_new_uint32 (2), NULL));
  store_license (f, "c-expiring", NULL,
                 lb_test_vardict_new ("expires", g_variant_new_int64 (4102444800), NULL));

  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "list", NULL);
    g_auto (GStrv) lines = NULL;

    assert_exit (run, EXIT_OK);
    g_assert_cmpstr (run->err, ==, "");
    lines = g_strsplit (run->out, "\n", -1);
    g_assert_cmpuint (g_strv_length (lines), ==, 4);
    if (g_strv_length (lines) == 4)
      {
        /* In key id order, each with its attributes in words. */
        g_assert_true (g_str_has_prefix (lines[0], "a-restricted  "));
        assert_contains (lines[0], "no backup right");
        assert_contains (lines[0], "restored 0 of 2 times");
        assert_contains (lines[0], "issuer ACME");
        g_assert_true (g_str_has_prefix (lines[1], "b-plain  "));
        assert_contains (lines[1], "backup allowed");
        g_assert_true (g_str_has_prefix (lines[2], "c-expiring  "));
        assert_contains (lines[2], "expires ");
        g_assert_cmpstr (lines[3], ==, "");
      }
  }

  {
    g_autoptr (JsonNode) root = NULL;
    JsonArray *array = list_json (f, &root);

    if (array == NULL)
      return;
    g_assert_cmpuint (json_array_get_length (array), ==, 3);
    if (json_array_get_length (array) != 3)
      return;
    {
      JsonObject *o = json_array_get_object_element (array, 0);
      JsonObject *a = obj_obj (o, "attributes");

      g_assert_cmpstr (obj_str (o, "key-id"), ==, "a-restricted");
      g_assert_cmpstr (obj_str (o, "app"), ==, "");
      g_assert_false (obj_bool (a, "can-backup"));
      g_assert_cmpint (obj_int (a, "restore-limit"), ==, 2);
      g_assert_cmpint (obj_int (a, "restore-count"), ==, 0);
      g_assert_cmpstr (obj_str (a, "issuer"), ==, "ACME");
      g_assert_cmpint (obj_int (a, "stored"), >, 0);
      g_assert_cmpstr (obj_str (a, "machine"), ==, lb_test_machine_get_app_id (f->current));
    }
    {
      JsonObject *o = json_array_get_object_element (array, 1);
      JsonObject *a = obj_obj (o, "attributes");

      g_assert_cmpstr (obj_str (o, "key-id"), ==, "b-plain");
      g_assert_true (obj_bool (a, "can-backup"));
      g_assert_false (json_object_has_member (a, "issuer"));
      g_assert_false (json_object_has_member (a, "content-id"));
      g_assert_false (json_object_has_member (a, "support-url"));
    }
    {
      JsonObject *o = json_array_get_object_element (array, 2);

      g_assert_cmpstr (obj_str (o, "key-id"), ==, "c-expiring");
      g_assert_cmpint (obj_int (obj_obj (o, "attributes"), "expires"), ==, 4102444800);
    }
  }
}

/* More than one page of ListLicenses (1000 per page): every license once. */
void
test_store_list_paging (Fixture *f, gconstpointer arg)
{
  const guint n = 2345;

  store_many (f, n, "page-", 16);
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "list", NULL);
    g_auto (GStrv) lines = g_strsplit (run->out, "\n", -1);

    assert_exit (run, EXIT_OK);
    g_assert_cmpuint (g_strv_length (lines), ==, n + 1);
    for (guint i = 0; i < n && lines[i] != NULL; i++)
      {
        g_autofree char *want = g_strdup_printf ("page-%06u  backup allowed", i);

        if (!g_str_equal (lines[i], want))
          {
            g_test_fail_printf ("line %u of `list` is “%s”, expected “%s”", i, lines[i], want);
            break;
          }
      }
  }
  {
    g_autoptr (JsonNode) root = NULL;
    JsonArray *array = list_json (f, &root);

    if (array == NULL)
      return;
    g_assert_cmpuint (json_array_get_length (array), ==, n);
    for (guint i = 0; i < n && i < json_array_get_length (array); i++)
      {
        g_autofree char *want = g_strdup_printf ("page-%06u", i);
        const char *got = obj_str (json_array_get_object_element (array, i), "key-id");

        if (!g_str_equal (got, want))
          {
            g_test_fail_printf ("element %u of `list --json` is “%s”, expected “%s”", i, got, want);
            break;
          }
      }
  }
}

void
test_store_clean (Fixture *f, gconstpointer arg)
{
  gint64 past = g_get_real_time () / G_USEC_PER_SEC - 3600;

  client_ok (f, "Removed 0 expired licenses.\n", "clean", "--expired", NULL);
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *key = g_strdup_printf ("old-%u", i);
      store_license (f, key, NULL,
                     lb_test_vardict_new ("expires", g_variant_new_int64 (past), NULL));
    }
  store_license (f, "future", NULL,
                 lb_test_vardict_new ("expires", g_variant_new_int64 (past + 86400 * 365), NULL));
  store_license (f, "forever", NULL, NULL);
  client_ok_quiet (f, "Removed 3 expired licenses.\n", "clean", "--expired", NULL);
  g_assert_cmpuint (license_count (f), ==, 2);
  store_license (f, "old-again", NULL,
                 lb_test_vardict_new ("expires", g_variant_new_int64 (past), NULL));
  client_ok (f, "Removed 1 expired license.\n", "clean", "--expired", NULL);
  g_assert_cmpuint (license_count (f), ==, 2);
}

static char *
get_string_property (Fixture *f, const char *name)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) v = lb_test_bus_get_property (f->bus, LB_TEST_MANAGER_IFACE, name, &error);

  g_assert_no_error (error);
  return v != NULL && g_variant_is_of_type (v, G_VARIANT_TYPE_STRING)
             ? g_variant_dup_string (v, NULL)
             : g_strdup ("?");
}

void
test_store_config (Fixture *f, gconstpointer arg)
{
  g_autofree char *rel_abs = g_build_filename (f->work, "rel", "backups", NULL);
  g_autofree char *restore_dir = make_dir (f, "restore-from");
  g_autofree char *prop = NULL;

  g_assert_cmpint (g_mkdir_with_parents (rel_abs, 0700), ==, 0);
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "config", NULL);

    assert_exit (run, EXIT_OK);
    g_assert_cmpstr (
        run->out, ==,
        "backup-path: \nrestore-path: \nautomatic: weekly\nkeep-backups: 3\nencrypt: off\n");
  }
  /* A relative path is made absolute (against the client's directory). */
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "config", "backup-path", "rel/backups", NULL);
    g_autofree char *want = g_strdup_printf ("backup-path: %s\n", rel_abs);

    assert_exit (run, EXIT_OK);
    g_assert_cmpstr (run->out, ==, want);
    g_assert_cmpstr (run->err, ==, "");
  }
  prop = get_string_property (f, "BackupPath");
  g_assert_cmpstr (prop, ==, rel_abs);
  client_ok (f, NULL, "config", "restore-path", restore_dir, NULL);
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "config", "backup-path", NULL);
    g_autofree char *want = g_strdup_printf ("%s\n", rel_abs);

    assert_exit (run, EXIT_OK);
    g_assert_cmpstr (run->out, ==, want);
  }
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "config", "restore-path", NULL);
    g_autofree char *want = g_strdup_printf ("%s\n", restore_dir);

    assert_exit (run, EXIT_OK);
    g_assert_cmpstr (run->out, ==, want);
  }
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "config", NULL);
    g_autofree char *want = g_strdup_printf (
        "backup-path: %s\nrestore-path: %s\nautomatic: weekly\nkeep-backups: 3\nencrypt: off\n",
        rel_abs, restore_dir);

    assert_exit (run, EXIT_OK);
    g_assert_cmpstr (run->out, ==, want);
  }
  /* "" unsets. */
  client_ok (f, NULL, "config", "restore-path", "", NULL);
  g_free (prop);
  prop = get_string_property (f, "RestorePath");
  g_assert_cmpstr (prop, ==, "");
  /* A bad name is a usage error and changes nothing. */
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "config", "backup_path", "/tmp", NULL);

    assert_exit (run, EXIT_USAGE);
    g_assert_cmpstr (run->out, ==, "");
  }
  g_free (prop);
  prop = get_string_property (f, "BackupPath");
  g_assert_cmpstr (prop, ==, rel_abs);

  /* How often, and how many kept. */
  client_ok (f, "automatic: monthly\n", "config", "automatic", "monthly", NULL);
  g_free (prop);
  prop = get_string_property (f, "AutomaticBackup");
  g_assert_cmpstr (prop, ==, "monthly");
  client_ok (f, "monthly\n", "config", "automatic", NULL);
  client_ok (f, "keep-backups: 5\n", "config", "keep-backups", "5", NULL);
  for (guint i = 0; i < 3; i++)
    {
      const char *bad[][2]
          = { { "automatic", "hourly" }, { "keep-backups", "0" }, { "keep-backups", "101" } };
      g_autoptr (ClientRun) run = client_run (f, NULL, "config", bad[i][0], bad[i][1], NULL);

      assert_exit (run, EXIT_USAGE);
      g_assert_cmpstr (run->out, ==, "");
    }
  client_ok (f, "automatic: weekly\n", "config", "automatic", "weekly", NULL);
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "config", NULL);
    g_autofree char *want = g_strdup_printf (
        "backup-path: %s\nrestore-path: \nautomatic: weekly\nkeep-backups: 5\nencrypt: off\n",
        rel_abs);

    assert_exit (run, EXIT_OK);
    g_assert_cmpstr (run->out, ==, want);
  }
}

void
test_store_status (Fixture *f, gconstpointer arg)
{
  g_autofree char *dir = make_dir (f, "backups");
  gint64 t0, t1;
  gint64 op;

  store_many (f, 7, "st-", 64);
  client_ok_quiet (f,
                   "No backup or restore has run since the service started\n"
                   "  Licenses:       7\n"
                   "  Last backup:    never\n"
                   "  Backup folder:  (not set)\n"
                   "  Restore folder: (not set)\n"
                   "  Automatic:      weekly, once a backup folder is set\n"
                   "  Encryption:     off\n",
                   "status", NULL);
  {
    g_autoptr (JsonNode) root = NULL;
    JsonObject *o = client_run_json (f, EXIT_OK, &root, "status", "--json", NULL);

    if (o == NULL)
      return;
    g_assert_cmpint (obj_int (o, "status"), ==, LB_STATUS_INFORMATION);
    g_assert_cmpstr (obj_str (o, "error"), ==, "");
    g_assert_cmpstr (obj_str (o, "last-operation"), ==, "");
    g_assert_cmpstr (obj_str (o, "operation"), ==, "");
    g_assert_cmpint (obj_int (o, "operation-id"), ==, 0);
    g_assert_cmpint (obj_int (o, "license-count"), ==, 7);
    g_assert_cmpstr (obj_str (o, "backup-path"), ==, "");
    g_assert_cmpstr (obj_str (o, "restore-path"), ==, "");
    g_assert_cmpint (obj_int (o, "last-backup-time"), ==, 0);
  }

  client_ok (f, NULL, "config", "backup-path", dir, NULL);
  t0 = g_get_real_time () / G_USEC_PER_SEC;
  {
    g_autoptr (JsonNode) root = NULL;
    JsonObject *o = client_run_json (f, EXIT_OK, &root, "backup", "--json", NULL);

    op = o != NULL ? obj_int (o, "operation") : -1;
  }
  t1 = g_get_real_time () / G_USEC_PER_SEC;
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "status", NULL);
    g_autofree char *folder = g_strdup_printf ("  Backup folder:  %s\n", dir);

    assert_exit (run, EXIT_OK);
    g_assert_true (g_str_has_prefix (run->out, "Backup finished\n"));
    assert_contains (run->out, "  Licenses:       7\n");
    assert_contains (run->out, folder);
    assert_not_contains (run->out, "never");
    assert_not_contains (run->out, "Progress:");
  }
  {
    g_autoptr (JsonNode) root = NULL;
    JsonObject *o = client_run_json (f, EXIT_OK, &root, "status", "--json", NULL);

    if (o == NULL)
      return;
    g_assert_cmpint (obj_int (o, "status"), ==, LB_STATUS_END);
    g_assert_cmpstr (obj_str (o, "last-operation"), ==, "backup");
    g_assert_cmpstr (obj_str (o, "operation"), ==, "");
    g_assert_cmpint (obj_int (o, "operation-id"), ==, op);
    g_assert_cmpint (obj_int (o, "licenses-done"), ==, 7);
    g_assert_cmpint (obj_int (o, "licenses-total"), ==, 7);
    g_assert_cmpint (obj_int (o, "license-count"), ==, 7);
    g_assert_cmpstr (obj_str (o, "backup-path"), ==, dir);
    g_assert_cmpint (obj_int (o, "last-backup-time"), >=, t0);
    g_assert_cmpint (obj_int (o, "last-backup-time"), <=, t1);
  }
}
