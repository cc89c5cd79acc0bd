/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The subcommands on the license store: list, import, export, delete, clean. */
#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

#define IMPORT_MAX (1024 * 1024)

static char *
describe_attributes (LbLicense *license)
{
  GString *s = g_string_new (NULL);
  gint64 expires = lb_license_get_expires (license);
  const char *issuer = lb_license_get_issuer (license);
  guint restore_limit = lb_license_get_restore_limit (license);

  g_string_append (s, lb_license_get_can_backup (license) ? _ ("backup allowed")
                                                          : _ ("no backup right"));
  if (expires != 0)
    {
      g_autoptr (GDateTime) dt = g_date_time_new_from_unix_local (expires);
      g_autofree char *when = dt != NULL ? g_date_time_format (dt, "%Y-%m-%d") : g_strdup ("?");
      g_string_append_printf (s, _ (", expires %s"), when);
    }
  if (restore_limit != 0)
    g_string_append_printf (s, _ (", restored %u of %u times"),
                            lb_license_get_restore_count (license), restore_limit);
  if (issuer != NULL)
    g_string_append_printf (s, _ (", issuer %s"), issuer);
  return g_string_free (s, FALSE);
}

/* Adds the string member @name to @b, unless @value is NULL. */
static void
add_unless_null (JsonBuilder *b, const char *name, const char *value)
{
  if (value == NULL)
    return;
  json_builder_set_member_name (b, name);
  json_builder_add_string_value (b, value);
}

/* The attributes as the service lists them (ListLicenses), for --json:
 * the three that apps may leave unset only when set. */
static JsonNode *
attributes_json (LbLicense *license)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  const char *app = lb_license_get_app (license);

  json_builder_begin_object (b);
  add_unless_null (b, "content-id", lb_license_get_content_id (license));
  add_unless_null (b, "issuer", lb_license_get_issuer (license));
  json_builder_set_member_name (b, "can-backup");
  json_builder_add_boolean_value (b, lb_license_get_can_backup (license));
  json_builder_set_member_name (b, "restore-limit");
  json_builder_add_int_value (b, lb_license_get_restore_limit (license));
  json_builder_set_member_name (b, "expires");
  json_builder_add_int_value (b, lb_license_get_expires (license));
  add_unless_null (b, "support-url", lb_license_get_support_url (license));
  json_builder_set_member_name (b, "restore-count");
  json_builder_add_int_value (b, lb_license_get_restore_count (license));
  json_builder_set_member_name (b, "stored");
  json_builder_add_int_value (b, lb_license_get_stored (license));
  add_unless_null (b, "machine", lb_license_get_machine (license));
  json_builder_set_member_name (b, "app");
  json_builder_add_string_value (b, app != NULL ? app : "");
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/* The host namespace ("") has no app id to show. */
static const char *
app_label (const char *app)
{
  return app[0] != '\0' ? app : _ ("Other apps");
}

/* Prints the licenses of @app (NULL: every one the caller may see); the
 * library reads them page by page, so that no message is huge. Plain
 * lines get @indent in front, and @heading (if not NULL) comes before the
 * first of them; *@n counts the licenses printed. */
static gboolean
list_licenses (LbCli *cli,
               const char *app,
               gboolean json,
               const char *heading,
               const char *indent,
               guint64 *n,
               GError **error)
{
  g_autoptr (GPtrArray) licenses
      = app != NULL ? lb_client_list_app_licenses_sync (cli->client, app, NULL, error)
                    : lb_client_list_licenses_sync (cli->client, NULL, error);
  guint64 first = *n;

  if (licenses == NULL)
    return FALSE;
  for (guint i = 0; i < licenses->len; i++)
    {
      LbLicense *license = licenses->pdata[i];
      const char *key_id = lb_license_get_key_id (license);

      if (json)
        {
          g_autoptr (JsonBuilder) b = json_builder_new ();
          g_autofree char *text = NULL;
          g_autoptr (JsonNode) root = NULL;
          const char *owner = lb_license_get_app (license);

          json_builder_begin_object (b);
          json_builder_set_member_name (b, "key-id");
          json_builder_add_string_value (b, key_id);
          json_builder_set_member_name (b, "app");
          json_builder_add_string_value (b, owner != NULL ? owner : app != NULL ? app : "");
          json_builder_set_member_name (b, "attributes");
          json_builder_add_value (b, attributes_json (license));
          json_builder_end_object (b);
          root = json_builder_get_root (b);
          text = json_to_string (root, FALSE);
          g_print ("%s%s", *n > 0 ? ",\n" : "[\n", text);
        }
      else
        {
          g_autofree char *desc = describe_attributes (license);

          if (*n == first && heading != NULL)
            g_print ("%s", heading);
          g_print ("%s%s  %s\n", indent, key_id, desc);
        }
      (*n)++;
    }
  return TRUE;
}

/* An app that holds licenses, from ListApps. */
typedef struct
{
  char *id; /* "" for the host namespace */
  guint32 licenses;
  guint64 bytes;
} AppEntry;

static void
app_entry_free (AppEntry *e)
{
  g_free (e->id);
  g_free (e);
}

/* The apps that hold licenses, by app id; with @host_last, the host
 * namespace last, as the plain output shows it. NULL on failure (a
 * sandboxed caller may not list apps). */
static GPtrArray *
fetch_apps (LbCli *cli, gboolean host_last, GError **error)
{
  g_autoptr (GPtrArray) apps = NULL;
  g_autoptr (GPtrArray) entries = g_ptr_array_new_with_free_func ((GDestroyNotify) app_entry_free);
  AppEntry *host = NULL;

  if ((apps = lb_client_list_apps_sync (cli->client, NULL, error)) == NULL)
    return NULL;
  for (guint i = 0; i < apps->len; i++)
    {
      LbApp *app = apps->pdata[i];
      AppEntry *e = g_new0 (AppEntry, 1);

      e->id = g_strdup (lb_app_get_id (app));
      e->licenses = lb_app_get_licenses (app);
      e->bytes = lb_app_get_bytes (app);
      if (e->id[0] == '\0' && host_last)
        host = e;
      else
        g_ptr_array_add (entries, e);
    }
  if (host != NULL)
    g_ptr_array_add (entries, host);
  return g_steal_pointer (&entries);
}

int
lb_cmd_list (LbCli *cli, int argc, char **argv)
{
  gboolean json = FALSE;
  g_autofree char *app = NULL;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_ ("Print one JSON array"), NULL },
    { "app", 0, 0, G_OPTION_ARG_STRING, &app,
      N_ ("Only the licenses of the app ID (\"\": other apps, those outside a sandbox)"),
      N_ ("ID") },
    { NULL },
  };
  g_autoptr (GOptionContext) context
      = lb_cli_context_new (NULL,
                            _ ("List the stored licenses: key ids and attributes, in key id "
                               "order, grouped by app when several apps hold licenses."),
                            entries);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) apps = NULL;
  guint64 n = 0;
  int rc;

  if ((rc = lb_cli_parse (context, &argc, &argv, 0, 0, _ ("list takes no arguments"))) != LB_EXIT_OK
      || (rc = lb_cli_connect (cli)) != LB_EXIT_OK)
    return rc;

  if (json)
    {
      /* The array opens with its first license, so that a call refused at
       * once (a bad --app) prints nothing. */
      if (!list_licenses (cli, app, TRUE, NULL, "", &n, &error))
        {
          if (n > 0)
            g_print ("\n]\n");
          return lb_cli_fail (cli, error);
        }
      g_print ("%s\n", n > 0 ? "\n]" : "[]");
      return LB_EXIT_OK;
    }

  /* A store of host licenses only is listed as it always was; with other
   * apps, each app's licenses come under its name. When the apps cannot be
   * listed (a sandboxed caller sees only its own), the licenses still can. */
  if (app == NULL)
    apps = fetch_apps (cli, TRUE, NULL);
  if (apps != NULL
      && (apps->len > 1 || (apps->len == 1 && ((AppEntry *) apps->pdata[0])->id[0] != '\0')))
    {
      for (guint i = 0; i < apps->len; i++)
        {
          const char *id = ((AppEntry *) apps->pdata[i])->id;
          g_autofree char *heading = NULL;

          heading = g_strdup_printf ("%s%s:\n", n > 0 ? "\n" : "", app_label (id));
          if (!list_licenses (cli, id, FALSE, heading, "  ", &n, &error))
            return lb_cli_fail (cli, error);
        }
    }
  else if (!list_licenses (cli, app, FALSE, NULL, "", &n, &error))
    return lb_cli_fail (cli, error);
  if (n == 0 && app != NULL && app[0] != '\0')
    g_print (_ ("The app %s holds no licenses.\n"), app);
  else if (n == 0 && app != NULL)
    g_print (_ ("Other apps hold no licenses.\n"));
  else if (n == 0)
    g_print (_ ("The store holds no licenses.\n"));
  return LB_EXIT_OK;
}

/* Pads @s with spaces to @width characters. */
static void
append_padded (GString *out, const char *s, glong width)
{
  g_string_append (out, s);
  for (glong i = g_utf8_strlen (s, -1); i < width; i++)
    g_string_append_c (out, ' ');
}

int
lb_cmd_apps (LbCli *cli, int argc, char **argv)
{
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_ ("Print one JSON array"), NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) context
      = lb_cli_context_new (NULL,
                            _ ("List the apps that hold licenses, with how many licenses "
                               "each holds and their size. Programs outside a sandbox are "
                               "“Other apps”."),
                            entries);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) apps = NULL;
  g_autoptr (GPtrArray) counts = g_ptr_array_new_with_free_func (g_free);
  glong label_width = 0, count_width = 0;
  int rc;

  if ((rc = lb_cli_parse (context, &argc, &argv, 0, 0, _ ("apps takes no arguments"))) != LB_EXIT_OK
      || (rc = lb_cli_connect (cli)) != LB_EXIT_OK)
    return rc;
  if ((apps = fetch_apps (cli, !json, &error)) == NULL)
    return lb_cli_fail (cli, error);

  if (json)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();

      json_builder_begin_array (b);
      for (guint i = 0; i < apps->len; i++)
        {
          AppEntry *e = apps->pdata[i];

          json_builder_begin_object (b);
          json_builder_set_member_name (b, "app");
          json_builder_add_string_value (b, e->id);
          json_builder_set_member_name (b, "licenses");
          json_builder_add_int_value (b, e->licenses);
          json_builder_set_member_name (b, "bytes");
          json_builder_add_int_value (b, (gint64) e->bytes);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      lb_cli_print_json (json_builder_get_root (b));
      return LB_EXIT_OK;
    }

  if (apps->len == 0)
    {
      g_print (_ ("The store holds no licenses.\n"));
      return LB_EXIT_OK;
    }
  /* Three columns: the app, its licenses, their size. */
  for (guint i = 0; i < apps->len; i++)
    {
      AppEntry *e = apps->pdata[i];
      char *count = g_strdup_printf (
          g_dngettext (GETTEXT_PACKAGE, "%u license", "%u licenses", e->licenses), e->licenses);

      g_ptr_array_add (counts, count);
      label_width = MAX (label_width, g_utf8_strlen (app_label (e->id), -1));
      count_width = MAX (count_width, g_utf8_strlen (count, -1));
    }
  for (guint i = 0; i < apps->len; i++)
    {
      AppEntry *e = apps->pdata[i];
      g_autoptr (GString) line = g_string_new (NULL);
      g_autofree char *size = g_format_size (e->bytes);

      append_padded (line, app_label (e->id), label_width + 2);
      append_padded (line, counts->pdata[i], count_width + 2);
      g_string_append (line, size);
      g_print ("%s\n", line->str);
    }
  return LB_EXIT_OK;
}

/* KEY=VALUE into the attribute's D-Bus type. */
static GVariant *
parse_attr (const char *arg, char **key, GError **error)
{
  const char *eq = strchr (arg, '=');
  const char *value;
  guint64 u;
  gint64 x;

  if (eq == NULL || eq == arg)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _ ("--attr takes KEY=VALUE, not “%s”"), arg);
      return NULL;
    }
  *key = g_strndup (arg, (gsize) (eq - arg));
  value = eq + 1;
  if (g_str_equal (*key, "can-backup"))
    {
      if (g_str_equal (value, "true") || g_str_equal (value, "yes") || g_str_equal (value, "1"))
        return g_variant_new_boolean (TRUE);
      if (g_str_equal (value, "false") || g_str_equal (value, "no") || g_str_equal (value, "0"))
        return g_variant_new_boolean (FALSE);
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _ ("can-backup is true or false, not “%s”"), value);
      return NULL;
    }
  if (g_str_equal (*key, "restore-limit"))
    {
      if (!g_ascii_string_to_unsigned (value, 10, 0, G_MAXUINT32, &u, NULL))
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       _ ("restore-limit is a whole number, not “%s”"), value);
          return NULL;
        }
      return g_variant_new_uint32 ((guint32) u);
    }
  if (g_str_equal (*key, "expires"))
    {
      g_autoptr (GDateTime) dt = NULL;

      if (g_ascii_string_to_signed (value, 10, 0, G_MAXINT64, &x, NULL))
        return g_variant_new_int64 (x);
      dt = g_date_time_new_from_iso8601 (value, g_time_zone_new_local ());
      if (dt == NULL)
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       _ ("expires is unix seconds or a date such as 2027-01-31T00:00:00, not "
                          "“%s”"),
                       value);
          return NULL;
        }
      return g_variant_new_int64 (g_date_time_to_unix (dt));
    }
  /* content-id, issuer, support-url; set_attributes() refuses other keys. */
  return g_variant_new_string (value);
}

/* Sets the attributes parse_attr() read on @license. An LbLicense holds
 * only the attributes apps may set, so the others are refused here, with
 * the service's words and error (exit status 1, as when it refused them). */
static gboolean
set_attributes (LbLicense *license, GVariant *attributes, GError **error)
{
  static const char *const kept[] = { "restore-count", "stored", "machine", "app", NULL };
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  GVariantIter iter;
  const char *key;
  GVariant *value;

  g_variant_iter_init (&iter, attributes);
  while (g_variant_iter_loop (&iter, "{&sv}", &key, &value))
    {
      if (!g_hash_table_add (seen, (gpointer) key))
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS, _ ("Attribute “%s” is given twice"),
                       key);
          g_variant_unref (value);
          return FALSE;
        }
      if (g_str_equal (key, "content-id"))
        lb_license_set_content_id (license, g_variant_get_string (value, NULL));
      else if (g_str_equal (key, "issuer"))
        lb_license_set_issuer (license, g_variant_get_string (value, NULL));
      else if (g_str_equal (key, "support-url"))
        lb_license_set_support_url (license, g_variant_get_string (value, NULL));
      else if (g_str_equal (key, "can-backup"))
        lb_license_set_can_backup (license, g_variant_get_boolean (value));
      else if (g_str_equal (key, "restore-limit"))
        lb_license_set_restore_limit (license, g_variant_get_uint32 (value));
      else if (g_str_equal (key, "expires"))
        lb_license_set_expires (license, g_variant_get_int64 (value));
      else
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS,
                       g_strv_contains (kept, key)
                           ? _ ("Attribute “%s” is kept by the service and cannot be set")
                           : _ ("Unknown attribute “%s”; the attributes are content-id, issuer, "
                                "can-backup, restore-limit, expires and support-url"),
                       key);
          g_variant_unref (value);
          return FALSE;
        }
    }
  return TRUE;
}

int
lb_cmd_import (LbCli *cli, int argc, char **argv)
{
  g_autofree char *key_id = NULL;
  g_auto (GStrv) attrs = NULL;
  const GOptionEntry entries[] = {
    { "key-id", 0, 0, G_OPTION_ARG_STRING, &key_id,
      N_ ("The license's key id (default: the file's name)"), N_ ("ID") },
    { "attr", 0, 0, G_OPTION_ARG_STRING_ARRAY, &attrs,
      N_ ("Set an attribute: content-id, issuer, can-backup, restore-limit, expires, "
          "support-url"),
      N_ ("KEY=VALUE") },
    { NULL },
  };
  g_autoptr (GOptionContext) context = lb_cli_context_new (
      _ ("FILE"), _ ("Store the license in FILE, as a media app would."), entries);
  g_autoptr (GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize len;
  GVariantBuilder b;
  g_autoptr (GVariant) attributes = NULL;
  g_autoptr (GBytes) data = NULL;
  g_autoptr (LbLicense) license = NULL;
  int rc;

  if ((rc = lb_cli_parse (context, &argc, &argv, 1, 1, _ ("import takes one FILE"))) != LB_EXIT_OK)
    return rc;

  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  for (guint i = 0; attrs != NULL && attrs[i] != NULL; i++)
    {
      g_autofree char *key = NULL;
      GVariant *value = parse_attr (attrs[i], &key, &error);
      if (value == NULL)
        {
          g_variant_builder_clear (&b);
          return lb_cli_usage (context, error->message);
        }
      g_variant_builder_add (&b, "{sv}", key, value);
    }
  if (!g_file_get_contents (argv[1], &contents, &len, &error))
    {
      g_autofree char *reason = lb_cli_file_error_reason (error);

      g_variant_builder_clear (&b);
      g_printerr (_ ("license-backup: Cannot read %s: %s\n"), argv[1], reason);
      return LB_EXIT_FAILED;
    }
  if (key_id == NULL)
    key_id = g_path_get_basename (argv[1]);
  attributes = g_variant_ref_sink (g_variant_builder_end (&b));
  if ((rc = lb_cli_connect (cli)) != LB_EXIT_OK)
    return rc;
  data = g_bytes_new_take (g_steal_pointer (&contents), len);
  license = lb_license_new (key_id, data);
  if (!set_attributes (license, attributes, &error)
      || !lb_client_store_license_sync (cli->client, license, NULL, &error))
    return lb_cli_fail (cli, error);
  g_print (g_dngettext (GETTEXT_PACKAGE, "Stored the license “%s” (%zu byte).\n",
                        "Stored the license “%s” (%zu bytes).\n", (gulong) len),
           key_id, len);
  return LB_EXIT_OK;
}

int
lb_cmd_export (LbCli *cli, int argc, char **argv)
{
  g_autofree char *output = NULL;
  g_autofree char *app = NULL;
  const GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
      N_ ("Write the license to FILE instead of standard output"), N_ ("FILE") },
    { "app", 0, 0, G_OPTION_ARG_STRING, &app,
      N_ ("The license of the app ID (\"\": other apps, those outside a sandbox)"), N_ ("ID") },
    { NULL },
  };
  g_autoptr (GOptionContext) context
      = lb_cli_context_new (_ ("KEY_ID"), _ ("Write the license blob with that key id."), entries);
  g_autoptr (GError) error = NULL;
  g_autoptr (LbLicense) license = NULL;
  gconstpointer data;
  gsize len;
  int rc;

  if ((rc = lb_cli_parse (context, &argc, &argv, 1, 1, _ ("export takes one KEY_ID"))) != LB_EXIT_OK
      || (rc = lb_cli_connect (cli)) != LB_EXIT_OK)
    return rc;
  /* Without --app, the caller's own license (the host's for a terminal). */
  license = app != NULL ? lb_client_get_app_license_sync (cli->client, app, argv[1], NULL, &error)
                        : lb_client_get_license_sync (cli->client, argv[1], NULL, &error);
  if (license == NULL)
    return lb_cli_fail (cli, error);
  data = lb_license_get_data (license) != NULL
             ? g_bytes_get_data (lb_license_get_data (license), &len)
             : (len = 0, NULL);
  if (output != NULL)
    {
      g_autoptr (GFile) file = g_file_new_for_commandline_arg (output);

      /* GIO names the file the user gave, not a temporary one. */
      if (!g_file_replace_contents (file, data, len, NULL, FALSE,
                                    G_FILE_CREATE_PRIVATE | G_FILE_CREATE_REPLACE_DESTINATION, NULL,
                                    NULL, &error))
        {
          g_autofree char *reason = lb_cli_file_error_reason (error);

          g_printerr (_ ("license-backup: Cannot write %s: %s\n"), output, reason);
          return LB_EXIT_FAILED;
        }
      return LB_EXIT_OK;
    }
  if (fwrite (data, 1, len, stdout) != len || fflush (stdout) != 0)
    {
      g_printerr (_ ("license-backup: Cannot write to standard output\n"));
      return LB_EXIT_FAILED;
    }
  return LB_EXIT_OK;
}

int
lb_cmd_delete (LbCli *cli, int argc, char **argv)
{
  g_autofree char *app = NULL;
  const GOptionEntry entries[] = {
    { "app", 0, 0, G_OPTION_ARG_STRING, &app,
      N_ ("Delete the license of the app ID (\"\": other apps, those outside a sandbox)"),
      N_ ("ID") },
    { NULL },
  };
  g_autoptr (GOptionContext) context
      = lb_cli_context_new (_ ("KEY_ID"), _ ("Delete the license with that key id."), entries);
  g_autoptr (GError) error = NULL;
  int rc;

  if ((rc = lb_cli_parse (context, &argc, &argv, 1, 1, _ ("delete takes one KEY_ID"))) != LB_EXIT_OK
      || (rc = lb_cli_connect (cli)) != LB_EXIT_OK)
    return rc;
  if (!(app != NULL ? lb_client_delete_app_license_sync (cli->client, app, argv[1], NULL, &error)
                    : lb_client_delete_license_sync (cli->client, argv[1], NULL, &error)))
    return lb_cli_fail (cli, error);
  if (app != NULL && app[0] != '\0')
    g_print (_ ("Deleted the license “%s” of %s.\n"), argv[1], app);
  else
    g_print (_ ("Deleted the license “%s”.\n"), argv[1]);
  return LB_EXIT_OK;
}

int
lb_cmd_clean (LbCli *cli, int argc, char **argv)
{
  gboolean expired = FALSE;
  const GOptionEntry entries[] = {
    { "expired", 0, 0, G_OPTION_ARG_NONE, &expired, N_ ("Remove the expired licenses"), NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) context
      = lb_cli_context_new (NULL, _ ("Clean the license store."), entries);
  g_autoptr (GError) error = NULL;
  const char *usage = _ ("clean needs --expired");
  guint removed = 0;
  int rc;

  if ((rc = lb_cli_parse (context, &argc, &argv, 0, 0, usage)) != LB_EXIT_OK)
    return rc;
  if (!expired)
    return lb_cli_usage (context, usage);
  if ((rc = lb_cli_connect (cli)) != LB_EXIT_OK)
    return rc;
  removed = lb_client_clean_sync (cli->client, NULL, &error);
  if (error != NULL)
    return lb_cli_fail (cli, error);
  g_print (g_dngettext (GETTEXT_PACKAGE, "Removed %u expired license.\n",
                        "Removed %u expired licenses.\n", removed),
           removed);
  return LB_EXIT_OK;
}
