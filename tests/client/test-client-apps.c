/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The license-backup client, per-app licenses: apps, list --app, export and delete, backup and
 * restore, a sandboxed client (see client-util.h). */
#include "config.h"

#include "client-util.h"

/* Tests: per-app licenses */

typedef struct
{
  const char *app; /* "" for host programs */
  const char *key_id;
  gsize size;
  gboolean no_backup_right;
} AppLicense;

/* Host programs, a Flatpak app and a Snap; "shared" is a key id of two
 * apps (two licenses). */
static const AppLicense several_apps[] = {
  { "", "host-1", 100 },
  { "", "shared", 200 },
  { "org.example.Player", "player-1", 1000 },
  { "org.example.Player", "player-2", 2000 },
  { "org.example.Player", "shared", 300 },
  { "snap.musicbox", "track-1", 50 },
};

/* The blob of @licenses[@i]. */
static GBytes *
app_license_blob (const AppLicense *licenses, guint i)
{
  g_autoptr (GVariant) blob = g_variant_ref_sink (lb_test_blob_new (licenses[i].size, (guint8) i));

  return g_variant_get_data_as_bytes (blob);
}

/* Opens machine "a"'s store through the core library, while no daemon
 * runs: a host caller of the service can only store into the host
 * namespace, so this is how other apps' licenses get there. */
static LbStore *
open_store_directly (Fixture *f)
{
  LbTestMachine *m = fixture_machine (f, 0);
  g_autoptr (GError) error = NULL;
  LbStore *store
      = lb_store_open (lb_test_machine_get_store_dir (m), lb_test_machine_get_app_id (m), &error);

  g_assert_no_error (error);
  return store;
}

/* Writes @licenses into machine "a"'s store, then starts its daemon. */
static gboolean
start_with_apps (Fixture *f, const AppLicense *licenses, guint n)
{
  g_autoptr (LbStore) store = open_store_directly (f);
  g_autoptr (GError) error = NULL;

  for (guint i = 0; store != NULL && i < n; i++)
    {
      g_autoptr (GBytes) blob = app_license_blob (licenses, i);
      g_autoptr (LbRecord) license = lb_record_new (licenses[i].key_id, blob);

      license->attrs.can_backup = !licenses[i].no_backup_right;
      lb_store_put (store, licenses[i].app, &license, 1, &error);
      g_assert_no_error (error);
    }
  g_clear_object (&store);
  return !g_test_failed () && use_machine (f, 0);
}

void
test_apps_apps (Fixture *f, gconstpointer arg)
{
  /* An empty store (on machine "b"). */
  if (!use_machine (f, 1))
    return;
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "apps", NULL);
    g_autoptr (ClientRun) json = client_run (f, NULL, "apps", "--json", NULL);
    g_autoptr (JsonNode) root = NULL;
    JsonArray *array;

    assert_exit (run, EXIT_OK);
    g_assert_cmpstr (run->out, ==, "The store holds no licenses.\n");
    g_assert_cmpstr (run->err, ==, "");
    assert_exit (json, EXIT_OK);
    g_assert_cmpstr (json->out, ==, "[]\n");
    array = run_json_array (json, &root);
    g_assert_true (array != NULL && json_array_get_length (array) == 0);
  }

  if (!start_with_apps (f, several_apps, G_N_ELEMENTS (several_apps)))
    return;
  /* By app id, the host namespace last as "Other apps"; aligned columns. */
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "apps", NULL);
    g_autofree char *player = g_format_size (1000 + 2000 + 300);
    g_autofree char *snap = g_format_size (50);
    g_autofree char *host = g_format_size (100 + 200);
    g_autofree char *want = g_strdup_printf ("org.example.Player  3 licenses  %s\n"
                                             "snap.musicbox       1 license   %s\n"
                                             "Other apps          2 licenses  %s\n",
                                             player, snap, host);

    assert_exit (run, EXIT_OK);
    g_assert_cmpstr (run->err, ==, "");
    g_assert_cmpstr (run->out, ==, want);
  }
  /* JSON: in the service's order, the host namespace as "". */
  {
    static const struct
    {
      const char *app;
      gint64 licenses, bytes;
    } want[] = {
      { "", 2, 300 },
      { "org.example.Player", 3, 3300 },
      { "snap.musicbox", 1, 50 },
    };
    g_autoptr (ClientRun) run = client_run (f, NULL, "apps", "--json", NULL);
    g_autoptr (JsonNode) root = NULL;
    JsonArray *array = run_json_array (run, &root);

    assert_exit (run, EXIT_OK);
    g_assert_cmpstr (run->err, ==, "");
    if (array == NULL)
      return;
    g_assert_cmpuint (json_array_get_length (array), ==, G_N_ELEMENTS (want));
    for (guint i = 0; i < G_N_ELEMENTS (want) && i < json_array_get_length (array); i++)
      {
        JsonObject *o = json_array_get_object_element (array, i);

        g_assert_cmpstr (obj_str (o, "app"), ==, want[i].app);
        g_assert_cmpint (obj_int (o, "licenses"), ==, want[i].licenses);
        g_assert_cmpint (obj_int (o, "bytes"), ==, want[i].bytes);
      }
  }
}

void
test_apps_list (Fixture *f, gconstpointer arg)
{
  if (!start_with_apps (f, several_apps, G_N_ELEMENTS (several_apps)))
    return;

  /* Every app's licenses, each app under its name; "shared" twice. */
  client_ok_quiet (f,
                   "org.example.Player:\n"
                   "  player-1  backup allowed\n"
                   "  player-2  backup allowed\n"
                   "  shared  backup allowed\n"
                   "\n"
                   "snap.musicbox:\n"
                   "  track-1  backup allowed\n"
                   "\n"
                   "Other apps:\n"
                   "  host-1  backup allowed\n"
                   "  shared  backup allowed\n",
                   "list", NULL);
  /* One app's, as the list of a store of one app always looked. */
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "list", "--app", "org.example.Player", NULL);

    assert_exit (run, EXIT_OK);
    g_assert_cmpstr (run->out, ==,
                     "player-1  backup allowed\n"
                     "player-2  backup allowed\n"
                     "shared  backup allowed\n");
  }
  client_ok (f, "track-1  backup allowed\n", "list", "--app=snap.musicbox", NULL);
  client_ok (f, "host-1  backup allowed\nshared  backup allowed\n", "list", "--app", "", NULL);
  client_ok_quiet (f, "The app org.example.Nobody holds no licenses.\n", "list", "--app",
                   "org.example.Nobody", NULL);

  /* JSON: every license with its app, in (app, key id) order. */
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "list", "--json", NULL);
    g_autoptr (JsonNode) root = NULL;
    JsonArray *array = run_json_array (run, &root);

    assert_exit (run, EXIT_OK);
    if (array == NULL)
      return;
    /* several_apps is in that order. */
    g_assert_cmpuint (json_array_get_length (array), ==, G_N_ELEMENTS (several_apps));
    for (guint i = 0; i < G_N_ELEMENTS (several_apps) && i < json_array_get_length (array); i++)
      {
        const AppLicense *want = &several_apps[i];
        JsonObject *o = json_array_get_object_element (array, i);

        g_assert_cmpstr (obj_str (o, "key-id"), ==, want->key_id);
        g_assert_cmpstr (obj_str (o, "app"), ==, want->app);
        if (want->app[0] != '\0')
          g_assert_cmpstr (obj_str (obj_obj (o, "attributes"), "app"), ==, want->app);
      }
  }
  {
    g_autoptr (ClientRun) run
        = client_run (f, NULL, "list", "--json", "--app", "snap.musicbox", NULL);
    g_autoptr (JsonNode) root = NULL;
    JsonArray *array = run_json_array (run, &root);

    assert_exit (run, EXIT_OK);
    if (array == NULL)
      return;
    g_assert_cmpuint (json_array_get_length (array), ==, 1);
    if (json_array_get_length (array) == 1)
      {
        JsonObject *o = json_array_get_object_element (array, 0);

        g_assert_cmpstr (obj_str (o, "key-id"), ==, "track-1");
        g_assert_cmpstr (obj_str (o, "app"), ==, "snap.musicbox");
      }
  }
}

/* More than one page (1000 licenses) of two apps: each heading once, each
 * license once, in order. */
void
test_apps_list_paging (Fixture *f, gconstpointer arg)
{
  const char *const apps[] = { "org.example.Player", "" };
  const guint n[] = { 1500, 1200 };
  g_autoptr (GString) want = g_string_new (NULL);

  {
    g_autoptr (LbStore) store = open_store_directly (f);

    for (guint a = 0; store != NULL && a < G_N_ELEMENTS (apps); a++)
      {
        g_autoptr (GPtrArray) licenses
            = g_ptr_array_new_with_free_func ((GDestroyNotify) lb_record_free);
        g_autoptr (GError) error = NULL;

        for (guint i = 0; i < n[a]; i++)
          {
            g_autofree char *key = g_strdup_printf ("key-%06u", i);
            g_autoptr (GVariant) blob = g_variant_ref_sink (lb_test_blob_new (16, (guint8) i));
            g_autoptr (GBytes) bytes = g_variant_get_data_as_bytes (blob);

            g_ptr_array_add (licenses, lb_record_new (key, bytes));
          }
        lb_store_put (store, apps[a], (LbRecord *const *) licenses->pdata, licenses->len, &error);
        g_assert_no_error (error);
      }
  }
  if (g_test_failed () || !use_machine (f, 0))
    return;

  for (guint a = 0; a < G_N_ELEMENTS (apps); a++)
    {
      g_string_append_printf (want, "%s%s:\n", a > 0 ? "\n" : "",
                              apps[a][0] != '\0' ? apps[a] : "Other apps");
      for (guint i = 0; i < n[a]; i++)
        g_string_append_printf (want, "  key-%06u  backup allowed\n", i);
    }
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "list", NULL);

    assert_exit (run, EXIT_OK);
    if (!g_str_equal (run->out, want->str))
      g_test_fail_printf ("`list` of %u + %u licenses is not what was expected (%zu bytes "
                          "instead of %zu)",
                          n[0], n[1], strlen (run->out), want->len);
  }
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "list", "--json", NULL);
    g_autoptr (JsonNode) root = NULL;
    JsonArray *array = run_json_array (run, &root);

    assert_exit (run, EXIT_OK);
    if (array != NULL)
      g_assert_cmpuint (json_array_get_length (array), ==, n[0] + n[1]);
  }
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "list", "--app", "org.example.Player", NULL);
    g_auto (GStrv) lines = g_strsplit (run->out, "\n", -1);

    assert_exit (run, EXIT_OK);
    g_assert_cmpuint (g_strv_length (lines), ==, n[0] + 1);
    g_assert_cmpstr (lines[n[0] - 1], ==, "key-001499  backup allowed");
  }
}

void
test_apps_export_delete (Fixture *f, gconstpointer arg)
{
  g_autofree char *out_path = g_build_filename (f->work, "player-shared.bin", NULL);

  if (!start_with_apps (f, several_apps, G_N_ELEMENTS (several_apps)))
    return;

  /* Another app's license, with --app; the same key id, two licenses. */
  {
    g_autoptr (ClientRun) run
        = client_run (f, NULL, "export", "--app", "org.example.Player", "player-1", NULL);
    g_autoptr (GBytes) want = app_license_blob (several_apps, 2);
    g_autoptr (GBytes) got = NULL;

    assert_exit (run, EXIT_OK);
    g_assert_cmpstr (run->err, ==, "");
    got = g_bytes_new (run->out, run->out_len);
    g_assert_true (g_bytes_equal (got, want));
  }
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "export", "--app", "org.example.Player",
                                            "shared", "-o", out_path, NULL);
    g_autoptr (GBytes) want = app_license_blob (several_apps, 4);
    g_autoptr (GBytes) got = lb_test_read_bytes (out_path);

    assert_exit (run, EXIT_OK);
    g_assert_true (got != NULL && g_bytes_equal (got, want));
  }
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "export", "shared", NULL);
    g_autoptr (ClientRun) run2 = client_run (f, NULL, "export", "--app", "", "shared", NULL);
    g_autoptr (GBytes) want = app_license_blob (several_apps, 1);
    g_autoptr (GBytes) got = NULL;
    g_autoptr (GBytes) got2 = NULL;

    assert_exit (run, EXIT_OK);
    assert_exit (run2, EXIT_OK);
    got = g_bytes_new (run->out, run->out_len);
    got2 = g_bytes_new (run2->out, run2->out_len);
    g_assert_true (g_bytes_equal (got, want));
    g_assert_true (g_bytes_equal (got2, want));
  }
  /* Without --app, a terminal reaches only the host namespace. */
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "export", "player-1", NULL);

    assert_exit (run, EXIT_FAILED);
    g_assert_cmpstr (run->out, ==, "");
    assert_error_line (run, "player-1");
  }
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "delete", "player-2", NULL);
    g_autoptr (ClientRun) verbose = client_run (f, NULL, "--verbose", "delete", "player-2", NULL);

    assert_exit (run, EXIT_FAILED);
    g_assert_cmpstr (run->out, ==, "");
    assert_error_line (run, "player-2");
    assert_exit (verbose, EXIT_FAILED);
    assert_contains (verbose->err, error_name (LB_ERROR_NOT_FOUND));
  }
  g_assert_cmpuint (license_count (f), ==, G_N_ELEMENTS (several_apps));

  /* With --app it goes, and only that app's. */
  {
    g_autoptr (ClientRun) run
        = client_run (f, NULL, "delete", "--app", "org.example.Player", "player-2", NULL);

    assert_exit (run, EXIT_OK);
    g_assert_cmpstr (run->out, ==, "Deleted the license “player-2” of org.example.Player.\n");
    g_assert_cmpstr (run->err, ==, "");
  }
  {
    g_autoptr (ClientRun) run
        = client_run (f, NULL, "delete", "--app", "org.example.Player", "player-2", NULL);

    assert_exit (run, EXIT_FAILED);
    assert_error_line (run, "player-2");
  }
  client_ok (f, "Deleted the license “shared”.\n", "delete", "--app", "", "shared", NULL);
  g_assert_cmpuint (license_count (f), ==, G_N_ELEMENTS (several_apps) - 2);
  client_ok (f, "player-1  backup allowed\nshared  backup allowed\n", "list", "--app",
             "org.example.Player", NULL);
  client_ok (f, "host-1  backup allowed\n", "list", "--app", "", NULL);
  /* An app whose last license went holds none: it is no longer listed. */
  {
    g_autoptr (ClientRun) del
        = client_run (f, NULL, "delete", "--app", "snap.musicbox", "track-1", NULL);
    g_autoptr (ClientRun) run = client_run (f, NULL, "apps", NULL);
    g_autoptr (ClientRun) list = client_run (f, NULL, "list", NULL);

    assert_exit (del, EXIT_OK);
    assert_exit (run, EXIT_OK);
    assert_not_contains (run->out, "snap.musicbox");
    assert_contains (run->out, "org.example.Player  2 licenses  ");
    assert_exit (list, EXIT_OK);
    assert_not_contains (list->out, "snap.musicbox");
    g_assert_true (g_str_has_prefix (list->out, "org.example.Player:\n"));
  }
}

/* An app id the service refuses: its message, exit status 1. */
void
test_apps_bad_app (Fixture *f, gconstpointer arg)
{
  const char *const cases[][6] = {
    { "list", "--app", "a/b" },
    { "list", "--json", "--app", "a/b" },
    { "export", "--app", "a/b", "key" },
    { "delete", "--app", "a/b", "key" },
  };

  if (!start_with_apps (f, several_apps, G_N_ELEMENTS (several_apps)))
    return;
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (ClientRun) run = client_spawnv (f, NULL, cases[i]);

      client_wait (run, CLIENT_TIMEOUT_MS);
      assert_exit (run, EXIT_FAILED);
      assert_error_line (run, "“a/b”");
      g_assert_cmpstr (run->out, ==, "");
    }
  {
    g_autoptr (ClientRun) run
        = client_run (f, NULL, "--verbose", "export", "--app", "a/b", "key", NULL);

    assert_exit (run, EXIT_FAILED);
    assert_contains (run->err, error_name (LB_ERROR_INVALID_ARGS));
  }
  g_assert_cmpuint (license_count (f), ==, G_N_ELEMENTS (several_apps));
}

/* Two left out, one of them an app's; five backed up, of three apps. */
static const AppLicense backup_apps[] = {
  { "", "host-1", 100 },
  { "", "host-2", 100 },
  { "", "host-locked", 100, TRUE },
  { "org.example.Player", "player-1", 500 },
  { "org.example.Player", "player-2", 500 },
  { "org.example.Player", "player-locked", 500, TRUE },
  { "snap.musicbox", "track-1", 50 },
};

void
test_apps_backup_restore (Fixture *f, gconstpointer arg)
{
  g_autofree char *dir = make_dir (f, "backups");
  g_autofree char *file = NULL;

  if (!start_with_apps (f, backup_apps, G_N_ELEMENTS (backup_apps)))
    return;

  /* The summary names the apps; a left-out license names its app. */
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "backup", dir, NULL);
    g_autofree char *size = NULL;
    g_autofree char *want = NULL;
    struct stat st;

    assert_exit (run, EXIT_OK);
    g_assert_cmpstr (run->err, ==, "");
    file = backup_file (dir);
    g_assert_cmpint (g_stat (file, &st), ==, 0);
    size = g_format_size (st.st_size);
    want = g_strdup_printf ("\nBacked up 5 licenses to %s (%s; org.example.Player: 2, "
                            "snap.musicbox: 1, other apps: 2).\n",
                            file, size);
    assert_contains (run->out, want);
    assert_contains (run->out, "\n2 licenses could not be backed up:\n");
    assert_contains (run->out, "\n  host-locked: no Backup right\n");
    assert_contains (run->out, "\n  player-locked (org.example.Player): no Backup right\n");
  }
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "backup", "--json", "--overwrite", dir, NULL);
    g_autoptr (JsonNode) root = NULL;
    JsonObject *o = run_json_object (run, &root);
    JsonObject *apps;
    JsonArray *restricted;

    assert_exit (run, EXIT_OK);
    if (o == NULL)
      return;
    g_assert_cmpint (obj_int (obj_obj (o, "summary"), "licenses"), ==, 5);
    apps = obj_obj (o, "apps");
    g_assert_cmpuint (json_object_get_size (apps), ==, 3);
    g_assert_cmpint (obj_int (apps, ""), ==, 2);
    g_assert_cmpint (obj_int (apps, "org.example.Player"), ==, 2);
    g_assert_cmpint (obj_int (apps, "snap.musicbox"), ==, 1);
    restricted = obj_array (o, "restricted");
    g_assert_cmpuint (json_array_get_length (restricted), ==, 2);
    for (guint i = 0; i < json_array_get_length (restricted); i++)
      {
        JsonObject *r = json_array_get_object_element (restricted, i);
        const char *key = obj_str (r, "key-id");

        g_assert_cmpstr (obj_str (r, "reason"), ==, "no-backup-right");
        if (g_str_equal (key, "player-locked"))
          g_assert_cmpstr (obj_str (r, "app"), ==, "org.example.Player");
        else
          {
            g_assert_cmpstr (key, ==, "host-locked");
            g_assert_cmpstr (obj_str (r, "app"), ==, "");
          }
      }
  }

  /* Each license goes back to its app. */
  {
    g_autoptr (ClientRun) d1
        = client_run (f, NULL, "delete", "--app", "org.example.Player", "player-1", NULL);
    g_autoptr (ClientRun) d2
        = client_run (f, NULL, "delete", "--app", "snap.musicbox", "track-1", NULL);
    g_autoptr (ClientRun) d3 = client_run (f, NULL, "delete", "host-1", NULL);

    assert_exit (d1, EXIT_OK);
    assert_exit (d2, EXIT_OK);
    assert_exit (d3, EXIT_OK);
  }
  g_free (file);
  file = backup_file (dir); /* the newest, which a restore reads */
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "restore", dir, NULL);
    g_autofree char *want = g_strdup_printf ("\nRestored 3 licenses from %s (2 already present, "
                                             "0 bound to this computer; org.example.Player: 1, "
                                             "snap.musicbox: 1, other apps: 1).\n",
                                             file);

    assert_exit (run, EXIT_OK);
    g_assert_cmpstr (run->err, ==, "");
    assert_contains (run->out, want);
  }
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "list", "--app", "snap.musicbox", NULL);
    g_autoptr (ClientRun) run2 = client_run (f, NULL, "list", "--app", "org.example.Player", NULL);

    assert_exit (run, EXIT_OK);
    g_assert_cmpstr (run->out, ==, "track-1  backup allowed\n");
    assert_exit (run2, EXIT_OK);
    g_assert_cmpstr (run2->out, ==,
                     "player-1  backup allowed\n"
                     "player-2  backup allowed\n"
                     "player-locked  no backup right\n");
  }
  {
    g_autoptr (ClientRun) d
        = client_run (f, NULL, "delete", "--app", "org.example.Player", "player-2", NULL);
    g_autoptr (ClientRun) run = client_run (f, NULL, "restore", "--json", dir, NULL);
    g_autoptr (JsonNode) root = NULL;
    JsonObject *o = run_json_object (run, &root);

    assert_exit (d, EXIT_OK);
    assert_exit (run, EXIT_OK);
    if (o == NULL)
      return;
    g_assert_cmpint (obj_int (obj_obj (o, "summary"), "licenses"), ==, 1);
    g_assert_cmpint (obj_int (obj_obj (o, "apps"), "org.example.Player"), ==, 1);
  }
  g_assert_cmpuint (license_count (f), ==, G_N_ELEMENTS (backup_apps));
}

/* A client in a (fake) Flatpak sandbox: its own licenses only, and a
 * clear refusal, exit status 12, for the rest. */
void
test_apps_sandbox (Fixture *f, gconstpointer arg)
{
  static const AppLicense licenses[] = {
    { "", "host-1", 100 },
    { "org.example.Player", "player-1", 100 },
    { "org.example.Sandboxed", "own-1", 100 },
    { "org.example.Sandboxed", "own-2", 100 },
  };
  g_autofree char *dir = make_dir (f, "backups");
  g_autofree char *file = backup_file (dir);
  g_autoptr (Sandbox) sandbox = NULL;
  ClientOpts opts = { 0 };

  if (getuid () != 0)
    {
      g_test_skip ("needs root to make a mount namespace for the sandbox");
      return;
    }
  if (!start_with_apps (f, licenses, G_N_ELEMENTS (licenses)))
    return;
  sandbox = make_sandbox (f, "org.example.Sandboxed");
  opts.sandbox = sandbox;

  /* What an app may do: its own licenses, listed as a one-app store. */
  {
    g_autoptr (ClientRun) run = client_run (f, &opts, "list", NULL);

    if (run->status == SANDBOX_FAILED)
      {
        g_test_skip ("cannot make a mount namespace and chroot for the sandbox");
        return;
      }
    assert_exit (run, EXIT_OK);
    g_assert_cmpstr (run->err, ==, "");
    g_assert_cmpstr (run->out, ==, "own-1  backup allowed\nown-2  backup allowed\n");
  }
  {
    g_autoptr (ClientRun) run = client_run (f, &opts, "list", "--json", NULL);
    g_autoptr (JsonNode) root = NULL;
    JsonArray *array = run_json_array (run, &root);

    assert_exit (run, EXIT_OK);
    g_assert_true (array != NULL && json_array_get_length (array) == 2);
    for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
      g_assert_cmpstr (obj_str (json_array_get_object_element (array, i), "app"), ==,
                       "org.example.Sandboxed");
  }
  /* Another app's key id is not there for it. */
  {
    g_autoptr (ClientRun) run = client_run (f, &opts, "export", "player-1", NULL);

    assert_exit (run, EXIT_FAILED);
    assert_error_line (run, NULL);
  }
  {
    g_autoptr (ClientRun) run = client_run (f, &opts, "delete", "own-1", NULL);

    assert_exit (run, EXIT_OK);
    g_assert_cmpstr (run->out, ==, "Deleted the license “own-1”.\n");
  }

  /* What only the user's own tools may do. */
  {
    const char *const refused[][6] = {
      { "apps" },
      { "apps", "--json" },
      { "list", "--app", "org.example.Player" },
      { "export", "--app", "org.example.Player", "player-1" },
      { "delete", "--app", "", "host-1" },
      { "backup", dir },
      { "restore", dir },
      { "backup", "--automatic" },
      { "generations", dir },
      { "config", "automatic", "daily" },
      { "config", "keep-backups", "5" },
    };

    for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
      {
        g_autoptr (ClientRun) run = client_spawnv (f, &opts, refused[i]);

        client_wait (run, CLIENT_TIMEOUT_MS);
        assert_exit (run, EXIT_PERMISSION_DENIED);
        g_assert_cmpstr (run->out, ==, "");
        assert_error_line (run, "inside an app sandbox (Flatpak or Snap)");
      }
  }
  {
    g_autoptr (ClientRun) run = client_run (f, &opts, "--verbose", "apps", NULL);

    assert_exit (run, EXIT_PERMISSION_DENIED);
    assert_contains (run->err, error_name (LB_ERROR_PERMISSION_DENIED));
  }
  g_free (file);
  file = backup_file (dir);
  g_assert_false (g_file_test (file, G_FILE_TEST_EXISTS));
  {
    g_autoptr (ClientRun) run = client_run (f, NULL, "config", NULL);

    assert_exit (run, EXIT_OK);
    assert_contains (run->out, "automatic: weekly\nkeep-backups: 3\n");
  }

  /* Seen from the host: only own-1 went. */
  {
    g_autoptr (ClientRun) run
        = client_run (f, NULL, "list", "--app", "org.example.Sandboxed", NULL);

    assert_exit (run, EXIT_OK);
    g_assert_cmpstr (run->out, ==, "own-2  backup allowed\n");
  }
  g_assert_cmpuint (license_count (f), ==, G_N_ELEMENTS (licenses) - 1);
}
