/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The status, config and cancel subcommands. */
#include "config.h"

#include <glib/gi18n.h>
#include <inttypes.h>
#include <json-glib/json-glib.h>

#include "cli.h"

static char *
format_time (gint64 t)
{
  g_autoptr (GDateTime) dt = NULL;

  if (t == 0)
    return g_strdup (_ ("never"));
  dt = g_date_time_new_from_unix_local (t);
  return dt != NULL ? g_date_time_format (dt, "%c") : g_strdup ("?");
}

static const char *
or_unset (const char *s)
{
  return s != NULL && s[0] != '\0' ? s : _ ("(not set)");
}

int
lb_cmd_status (LbCli *cli, int argc, char **argv)
{
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_ ("Print one JSON object"), NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *error_text = NULL;
  g_autofree char *words = NULL;
  g_autofree char *last = NULL;
  LbClient *c;
  LbStatus status;
  int rc;

  g_option_context_set_summary (context, _ ("Show the state of the license backup service."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return lb_cli_usage (context, error->message);
  if (argc > 1)
    return lb_cli_usage (context, _ ("status takes no arguments"));
  if ((rc = lb_cli_connect (cli)) != LB_EXIT_OK)
    return rc;
  c = cli->client;
  status = lb_client_get_status_sync (c, &error_text, NULL, &error);
  if (error != NULL)
    return lb_cli_fail (cli, error);

  if (json)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      const char *op = lb_client_get_operation (c);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "status");
      json_builder_add_int_value (b, status);
      json_builder_set_member_name (b, "error");
      json_builder_add_string_value (b, error_text);
      json_builder_set_member_name (b, "last-operation");
      json_builder_add_string_value (b, lb_client_get_last_operation (c));
      json_builder_set_member_name (b, "operation");
      json_builder_add_string_value (b, op);
      json_builder_set_member_name (b, "operation-id");
      json_builder_add_int_value (b, (gint64) lb_client_get_operation_id (c));
      json_builder_set_member_name (b, "progress");
      json_builder_add_double_value (b, lb_client_get_progress (c));
      json_builder_set_member_name (b, "licenses-done");
      json_builder_add_int_value (b, (gint64) lb_client_get_licenses_done (c));
      json_builder_set_member_name (b, "licenses-total");
      json_builder_add_int_value (b, (gint64) lb_client_get_licenses_total (c));
      json_builder_set_member_name (b, "backup-path");
      json_builder_add_string_value (b, lb_client_get_backup_path (c));
      json_builder_set_member_name (b, "restore-path");
      json_builder_add_string_value (b, lb_client_get_restore_path (c));
      json_builder_set_member_name (b, "license-count");
      json_builder_add_int_value (b, lb_client_get_license_count (c));
      json_builder_set_member_name (b, "last-backup-time");
      json_builder_add_int_value (b, lb_client_get_last_backup_time (c));
      json_builder_end_object (b);
      lb_cli_print_json (json_builder_get_root (b));
      return LB_EXIT_OK;
    }

  words = lb_cli_describe_status (lb_client_get_last_operation (c), status, error_text);
  last = format_time (lb_client_get_last_backup_time (c));
  g_print ("%s\n", words);
  if (lb_client_get_operation (c)[0] != '\0')
    g_print (_ ("  Progress:       %.0f%% (%" PRIu64 " of %" PRIu64 " licenses)\n"),
             100.0 * lb_client_get_progress (c), lb_client_get_licenses_done (c),
             lb_client_get_licenses_total (c));
  g_print (_ ("  Licenses:       %u\n"), lb_client_get_license_count (c));
  g_print (_ ("  Last backup:    %s\n"), last);
  g_print (_ ("  Backup folder:  %s\n"), or_unset (lb_client_get_backup_path (c)));
  if (lb_client_get_restore_path (c)[0] == '\0' && lb_client_get_backup_path (c)[0] != '\0')
    /* The service restores from the backup folder then. */
    g_print (_ ("  Restore folder: (not set: the backup folder)\n"));
  else
    g_print (_ ("  Restore folder: %s\n"), or_unset (lb_client_get_restore_path (c)));
  return LB_EXIT_OK;
}

int
lb_cmd_config (LbCli *cli, int argc, char **argv)
{
  g_autoptr (GOptionContext) context
      = g_option_context_new (_ ("[backup-path|restore-path] [VALUE]"));
  g_autoptr (GError) error = NULL;
  int rc;

  g_option_context_set_summary (context,
                                _ ("Show or set where backups are written and read from.\n\n"
                                   "Without arguments, shows both folders. With a name, shows "
                                   "that one; with a value too, sets it (\"\" unsets it). A "
                                   "folder is a path or a URI such as sftp://host/backups."));
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return lb_cli_usage (context, error->message);
  if (argc > 3)
    return lb_cli_usage (context, _ ("config takes at most a name and a value"));
  if (argc >= 2 && !g_str_equal (argv[1], "backup-path") && !g_str_equal (argv[1], "restore-path"))
    return lb_cli_usage (context, _ ("the settings are backup-path and restore-path"));
  if ((rc = lb_cli_connect (cli)) != LB_EXIT_OK)
    return rc;

  if (argc == 1)
    {
      g_print ("backup-path: %s\n", lb_client_get_backup_path (cli->client));
      g_print ("restore-path: %s\n", lb_client_get_restore_path (cli->client));
      return LB_EXIT_OK;
    }
  if (argc == 2)
    {
      g_print ("%s\n", g_str_equal (argv[1], "backup-path")
                           ? lb_client_get_backup_path (cli->client)
                           : lb_client_get_restore_path (cli->client));
      return LB_EXIT_OK;
    }
  {
    g_autofree char *value
        = argv[2][0] != '\0' ? lb_cli_location_from_arg (argv[2]) : g_strdup ("");
    gboolean ok = g_str_equal (argv[1], "backup-path")
                      ? lb_client_set_backup_path_sync (cli->client, value, NULL, &error)
                      : lb_client_set_restore_path_sync (cli->client, value, NULL, &error);

    if (!ok)
      return lb_cli_fail (cli, error);
    g_print ("%s: %s\n", argv[1], value);
  }
  return LB_EXIT_OK;
}

int
lb_cmd_cancel (LbCli *cli, int argc, char **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_autoptr (GError) error = NULL;
  const char *op;
  gboolean ok;
  int rc;

  g_option_context_set_summary (context, _ ("Cancel the running backup or restore."));
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return lb_cli_usage (context, error->message);
  if (argc > 1)
    return lb_cli_usage (context, _ ("cancel takes no arguments"));
  if ((rc = lb_cli_connect (cli)) != LB_EXIT_OK)
    return rc;
  /* Whoever started it: a backup unless a restore runs. */
  op = lb_client_get_operation (cli->client);
  if (g_str_equal (op, "restore"))
    ok = lb_client_cancel_restore_sync (cli->client, NULL, &error);
  else
    ok = lb_client_cancel_backup_sync (cli->client, NULL, &error);
  if (!ok)
    {
      if (g_error_matches (error, LB_ERROR, LB_ERROR_NOT_RUNNING))
        {
          g_printerr (_ ("license-backup: no backup or restore is running\n"));
          return LB_EXIT_FAILED;
        }
      return lb_cli_fail (cli, error);
    }
  g_print (g_str_equal (op, "restore") ? _ ("The restore is being cancelled.\n")
                                       : _ ("The backup is being cancelled.\n"));
  return LB_EXIT_OK;
}
