/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The license-backup client, restore: the same machine, a corrupt backup, another machine, the
 * restore limit (see client-util.h). */
#include "config.h"

#include "client-util.h"

/* Tests: restore */

void
test_restore_same_machine (Fixture *f, gconstpointer arg)
{
  g_autofree char *dir = make_dir (f, "backups");
  g_autofree char *empty = make_dir (f, "empty");
  g_autofree char *file = NULL;
  g_autofree char *uri = NULL;

  store_many (f, 5, "rs-", 300);
  client_ok (f, NULL, "backup", dir, NULL);
  file = backup_file (dir);
  uri = g_filename_to_uri (file, NULL, NULL);
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *key = g_strdup_printf ("rs-%06u", i);
      g_autoptr (ClientRun) run = client_run (f, NULL, "delete", key, NULL);
      assert_exit (run, EXIT_OK);
    }
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "restore", dir, NULL);
    g_autofree char *want = g_strdup_printf ("Restored 2 licenses from %s (3 already present, "
                                             "0 bound to this computer).\n",
                                             file);

    assert_exit (run, EXIT_OK);
    g_assert_cmpstr (run->err, ==, "");
    assert_contains (run->out, want);
    assert_contains (run->out, "Restoring: 5 of 5 licenses (100%)\n");
    g_assert_null (strchr (run->out, '\r'));
  }
  g_assert_cmpuint (license_count (f), ==, 5);
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "restore", "--json", dir, NULL);
    g_autoptr (JsonNode) root = NULL;
    JsonObject *o = run_json_object (run, &root);
    JsonObject *s;

    assert_exit (run, EXIT_OK);
    if (o != NULL)
      {
        g_assert_cmpint (obj_int (o, "operation"), >, 0);
        g_assert_cmpstr (obj_str (o, "kind"), ==, "restore");
        g_assert_cmpint (obj_int (o, "status"), ==, LB_STATUS_END);
        g_assert_cmpstr (obj_str (o, "error-name"), ==, "");
        s = obj_obj (o, "summary");
        g_assert_cmpint (obj_int (s, "licenses"), ==, 0);
        g_assert_cmpint (obj_int (s, "already-present"), ==, 5);
        g_assert_cmpint (obj_int (s, "individualized"), ==, 0);
        g_assert_cmpstr (obj_str (s, "location"), ==, uri);
        g_assert_cmpuint (json_array_get_length (obj_array (o, "restricted")), ==, 0);
      }
  }
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "status", NULL);
    g_assert_true (g_str_has_prefix (run->out, "Restore finished\n"));
  }
  /* A folder without a backup: NotFound, exit status 1. */
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "restore", empty, NULL);

    assert_exit (run, EXIT_FAILED);
    g_assert_cmpstr (run->out, ==, "");
    assert_error_line (run, NULL);
  }
}

/* Exit status 5: a byte flipped inside a license entry. */
void
test_restore_corrupt (Fixture *f, gconstpointer arg)
{
  static const char marker[] = "LB-TEST-MARKER-5f2c9e";
  g_autofree char *dir = make_dir (f, "backups");
  g_autofree char *file = NULL;
  g_autofree char *contents = NULL;
  gsize len = 0;
  char *hit;
  g_autoptr (GError) error = NULL;
  GString *blob = g_string_new (NULL);

  for (guint i = 0; i < 20; i++)
    g_string_append (blob, marker);
  store_license (f, "marked",
                 g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, blob->str, blob->len, 1), NULL);
  g_string_free (blob, TRUE);
  store_many (f, 4, "cr-", 100);
  client_ok (f, NULL, "backup", dir, NULL);
  file = backup_file (dir);
  g_file_get_contents (file, &contents, &len, &error);
  g_assert_no_error (error);
  hit = contents != NULL ? memmem (contents, len, marker, strlen (marker)) : NULL;
  g_assert_nonnull (hit);
  if (hit == NULL)
    return;
  hit[5] ^= 0x20;
  g_file_set_contents (file, contents, (gssize) len, &error);
  g_assert_no_error (error);

  {
    g_autoptr (ClientRun) d = client_run (f, NULL, "delete", "marked", NULL);
    g_autoptr (ClientRun) d2 = client_run (f, NULL, "delete", "cr-000002", NULL);
    assert_exit (d, EXIT_OK);
    assert_exit (d2, EXIT_OK);
  }
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "restore", dir, NULL);

    assert_exit (run, EXIT_BACKUP_CORRUPT);
    assert_error_line (run, "damaged");
    /* The service's words: what is damaged, not a canned sentence. */
    assert_error_line (run, "damaged at licenses/marked");
    assert_not_contains (run->out, "Restored");
  }
  g_assert_cmpuint (license_count (f), ==, 3);
  {
    g_autofree char *error_text = client_json_failure (f, "restore", dir, EXIT_BACKUP_CORRUPT,
                                                       LB_STATUS_ERROR, LB_ERROR_BACKUP_CORRUPT);

    if (error_text != NULL)
      g_assert_cmpstr (error_text, !=, "");
  }
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "status", NULL);
    g_assert_true (g_str_has_prefix (run->out, "Restore failed: "));
  }
  g_assert_cmpuint (license_count (f), ==, 3);
}

/* `restore --yes DIR`, asserting its summary: @n licenses from @file,
 * none of them here before, all bound to this computer. */
static ClientRun *
restore_yes (Fixture *f, const char *dir, const char *file, guint n)
{
  ClientRun *run = client_run (f, NULL, "restore", "--yes", dir, NULL);
  g_autofree char *want
      = g_strdup_printf ("Restored %u %s from %s (0 already present, %u bound to this computer).\n",
                         n, n == 1 ? "license" : "licenses", file, n);

  assert_contains (run->out, want);
  return run;
}

/* Exit status 7 without a terminal; --yes and --individualize consent. */
void
test_restore_other_machine (Fixture *f, gconstpointer arg)
{
  g_autofree char *dir = make_dir (f, "shared");
  g_autofree char *file = NULL;
  g_autoptr (GVariant) attrs = NULL;

  if (!backup_on_a_then_use_b (f, 3, dir))
    return;
  file = backup_file (dir);

  /* stdin is a pipe: no question, exit status 7. Even with "y" waiting. */
  {
    ClientOpts opts = { .stdin_text = "y\n" };
    g_autoptr (ClientRun) run = client_run (f, &opts, "restore", dir, NULL);

    assert_exit (run, EXIT_NEEDS_INDIVIDUALIZATION);
    assert_error_line (run, "--individualize");
    assert_not_contains (run->out, "[y/N]");
  }
  g_assert_cmpuint (license_count (f), ==, 0);
  g_free (client_json_failure (f, "restore", dir, EXIT_NEEDS_INDIVIDUALIZATION,
                               LB_STATUS_NEEDS_INDIVIDUALIZATION,
                               LB_ERROR_NEEDS_INDIVIDUALIZATION));
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "status", NULL);
    g_assert_true (g_str_has_prefix (run->out, "Restore waiting for consent"));
  }
  g_assert_cmpuint (license_count (f), ==, 0);

  /* --yes consents without asking. */
  {
    g_autoptr (ClientRun) run = restore_yes (f, dir, file, 3);

    assert_exit (run, EXIT_OK);
    assert_not_contains (run->out, "[y/N]");
    g_assert_cmpstr (run->err, ==, "");
  }
  g_assert_cmpuint (license_count (f), ==, 3);
  attrs = get_attributes (f, "om-000000", NULL);
  assert_attribute (attrs, "machine",
                    g_variant_new_string (lb_test_machine_get_app_id (f->current)));
  assert_attribute (attrs, "restore-count", g_variant_new_uint32 (1));

  /* --individualize too (and --json with it). */
  client_ok (f, NULL, "delete", "om-000001", NULL);
  {
    g_autoptr (JsonNode) root = NULL;
    JsonObject *o
        = client_run_json (f, EXIT_OK, &root, "restore", "--individualize", "--json", dir, NULL);

    if (o != NULL)
      {
        JsonObject *s = obj_obj (o, "summary");

        g_assert_cmpint (obj_int (o, "status"), ==, LB_STATUS_END);
        g_assert_cmpint (obj_int (s, "licenses"), ==, 1);
        g_assert_cmpint (obj_int (s, "individualized"), ==, 1);
        g_assert_cmpint (obj_int (s, "already-present"), ==, 2);
      }
  }
  g_assert_cmpuint (license_count (f), ==, 3);
}

/* Exit status 8: A → B → C with a restore limit of 1. */
void
test_restore_limit (Fixture *f, gconstpointer arg)
{
  g_autofree char *dir_a = make_dir (f, "from-a");
  g_autofree char *dir_b = make_dir (f, "from-b");
  g_autofree char *file_b = NULL;
  const char *url = "https://issuer.example/renew?id=7";

  store_license (f, "limited", NULL,
                 lb_test_vardict_new ("restore-limit", g_variant_new_uint32 (1), "support-url",
                                      g_variant_new_string (url), NULL));
  store_license (f, "free", NULL, NULL);
  client_ok (f, NULL, "backup", dir_a, NULL);
  use_machine (f, 1);
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "restore", "--yes", dir_a, NULL);
    g_autoptr (ClientRun) run2 = client_run (f, NULL, "backup", dir_b, NULL);

    assert_exit (run, EXIT_OK);
    assert_contains (run->out, "(0 already present, 2 bound to this computer)");
    assert_exit (run2, EXIT_OK);
  }
  use_machine (f, 2);
  if (g_test_failed ())
    return;
  file_b = backup_file (dir_b);
  {
    g_autoptr (ClientRun) run = restore_yes (f, dir_b, file_b, 1);

    assert_exit (run, EXIT_RESTORE_LIMIT);
    assert_contains (run->out, "\n1 license could not be restored:\n  limited: restore limit "
                               "reached\n");
    assert_error_line (run, url);
  }
  g_assert_cmpuint (license_count (f), ==, 1);
  g_assert_null (get_attributes (f, "limited", NULL));
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "status", NULL);
    g_autoptr (ClientRun) json = client_run (f, NULL, "status", "--json", NULL);
    g_autoptr (JsonNode) root = NULL;
    JsonObject *o = run_json_object (json, &root);

    assert_exit (run, EXIT_OK);
    g_assert_true (
        g_str_has_prefix (run->out, "Restore finished, but some licenses were not restored: "));
    /* Anyone may read the status, so it names no license's URL; the
     * restore itself showed it. */
    g_assert_null (strstr (run->out, url));
    assert_contains (run->out, "restored as often as their issuer allows");
    if (o != NULL)
      {
        g_assert_cmpint (obj_int (o, "status"), ==, LB_STATUS_ERROR_WITHURL);
        g_assert_null (strstr (obj_str (o, "error"), url));
      }
  }
  {
    g_autoptr (JsonNode) root = NULL;
    JsonObject *o
        = client_run_json (f, EXIT_RESTORE_LIMIT, &root, "restore", "--yes", "--json", dir_b, NULL);

    if (o != NULL)
      {
        JsonArray *r = obj_array (o, "restricted");

        g_assert_cmpint (obj_int (o, "status"), ==, LB_STATUS_ERROR_WITHURL);
        g_assert_cmpstr (obj_str (o, "error-name"), ==, error_name (LB_ERROR_RESTORE_LIMIT));
        assert_contains (obj_str (o, "error"), "restored as often as their issuer allows");
        g_assert_cmpstr (obj_str (obj_obj (o, "summary"), "support-url"), ==, url);
        g_assert_cmpuint (json_array_get_length (r), ==, 1);
        if (json_array_get_length (r) == 1)
          {
            g_assert_cmpstr (obj_str (json_array_get_object_element (r, 0), "key-id"), ==,
                             "limited");
            g_assert_cmpstr (obj_str (json_array_get_object_element (r, 0), "reason"), ==,
                             "restore-limit");
          }
      }
  }
}
