/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The status, config and cancel subcommands. */
#include "config.h"

#include <glib/gi18n.h>
#include <inttypes.h>
#include <json-glib/json-glib.h>

#include "cli.h"
#include "passphrase.h"

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
  g_autoptr (GOptionContext) context
      = lb_cli_context_new (NULL, _ ("Show the state of the license backup service."), entries);
  g_autoptr (GError) error = NULL;
  g_autofree char *error_text = NULL;
  g_autofree char *words = NULL;
  g_autofree char *last = NULL;
  LbClient *c;
  LbStatus status;
  LbOperationType type;
  int rc;

  if ((rc = lb_cli_parse (context, &argc, &argv, 0, 0, _ ("status takes no arguments")))
          != LB_EXIT_OK
      || (rc = lb_cli_connect (cli)) != LB_EXIT_OK)
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
      json_builder_set_member_name (b, "automatic-backup");
      json_builder_add_string_value (b, lb_cli_automatic_nick (lb_client_get_automatic_backup (c)));
      json_builder_set_member_name (b, "next-backup-time");
      json_builder_add_int_value (b, lb_client_get_next_backup_time (c));
      json_builder_set_member_name (b, "keep-backups");
      json_builder_add_int_value (b, lb_client_get_keep_backups (c));
      json_builder_set_member_name (b, "encrypt-backups");
      json_builder_add_boolean_value (b, lb_client_get_encrypt_backups (c));
      json_builder_end_object (b);
      lb_cli_print_json (json_builder_get_root (b));
      return LB_EXIT_OK;
    }

  /* A backup unless a restore ran. */
  if (!lb_client_get_last_operation_type (c, &type))
    type = LB_OPERATION_TYPE_BACKUP;
  words = lb_cli_describe_status (type, status, error_text);
  last = format_time (lb_client_get_last_backup_time (c));
  g_print ("%s\n", words);
  if (lb_client_get_operation_type (c, NULL))
    g_print (g_dngettext (GETTEXT_PACKAGE,
                          "  Progress:       %.0f%% (%" PRIu64 " of %" PRIu64 " license)\n",
                          "  Progress:       %.0f%% (%" PRIu64 " of %" PRIu64 " licenses)\n",
                          (gulong) lb_client_get_licenses_total (c)),
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
  {
    g_autofree char *automatic = lb_cli_describe_automatic (c);

    g_print (_ ("  Automatic:      %s\n"), automatic);
  }
  g_print ("%s\n", lb_client_get_encrypt_backups (c)
                       ? _ ("  Encryption:     on (new backups need the passphrase to be restored)")
                       : _ ("  Encryption:     off"));
  return LB_EXIT_OK;
}

static const char *const config_names[]
    = { "backup-path", "restore-path", "automatic", "keep-backups", "encrypt", NULL };

/* The value of setting @name, as config shows it. */
static char *
config_value (LbClient *c, const char *name)
{
  if (g_str_equal (name, "backup-path"))
    return g_strdup (lb_client_get_backup_path (c));
  if (g_str_equal (name, "restore-path"))
    return g_strdup (lb_client_get_restore_path (c));
  if (g_str_equal (name, "automatic"))
    return g_strdup (lb_cli_automatic_nick (lb_client_get_automatic_backup (c)));
  if (g_str_equal (name, "encrypt"))
    return g_strdup (lb_client_get_encrypt_backups (c) ? "on" : "off");
  return g_strdup_printf ("%u", lb_client_get_keep_backups (c));
}

static gboolean
config_set (LbCli *cli, const char *name, const char *arg, char **shown, GError **error)
{
  LbClient *c = cli->client;

  if (g_str_equal (name, "automatic"))
    {
      g_autoptr (GEnumClass) klass = g_type_class_ref (LB_TYPE_AUTOMATIC_BACKUP);
      GEnumValue *value = g_enum_get_value_by_nick (klass, arg); /* checked */

      *shown = g_strdup (value->value_nick);
      return lb_client_set_automatic_backup_sync (c, (LbAutomaticBackup) value->value, NULL, error);
    }
  if (g_str_equal (name, "keep-backups"))
    {
      guint64 keep = 0;

      g_ascii_string_to_unsigned (arg, 10, 1, LB_KEEP_BACKUPS_MAX, &keep, NULL); /* checked */
      *shown = g_strdup_printf ("%u", (guint) keep);
      return lb_client_set_keep_backups_sync (c, (guint) keep, NULL, error);
    }
  *shown = arg[0] != '\0' ? lb_cli_location_from_arg (arg) : g_strdup ("");
  return g_str_equal (name, "backup-path")
             ? lb_client_set_backup_path_sync (c, *shown, NULL, error)
             : lb_client_set_restore_path_sync (c, *shown, NULL, error);
}

/* config encrypt on|off: on asks for a new passphrase unless the keyring
 * keeps one (turned off earlier: the older backups need it, so it is
 * kept rather than replaced behind the user's back). */
static int
config_encrypt (LbCli *cli, gboolean on, int fd)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) passphrase = NULL;
  int rc = LB_EXIT_OK;

  if (!on)
    {
      if (!lb_client_set_encryption_sync (cli->client, FALSE, NULL, FALSE, NULL, &error))
        return lb_cli_fail (cli, error);
      g_print ("encrypt: off\n");
      g_print (_ ("New backups are not encrypted. Your keyring keeps the passphrase, which the "
                  "encrypted backups made so far still need.\n"));
      return LB_EXIT_OK;
    }
  if (fd < 0)
    {
      if (lb_client_set_encryption_sync (cli->client, TRUE, NULL, FALSE, NULL, &error))
        {
          g_print ("encrypt: on\n");
          g_print (_ ("New backups are encrypted with the passphrase your keyring already keeps; "
                      "change it with “license-backup config passphrase”.\n"));
          return LB_EXIT_OK;
        }
      if (!g_error_matches (error, LB_ERROR, LB_ERROR_PASSPHRASE_REQUIRED))
        return lb_cli_fail (cli, error);
      g_clear_error (&error);
    }
  passphrase = lb_cli_new_passphrase (fd, &rc);
  if (passphrase == NULL)
    return rc;
  if (!lb_client_set_encryption_sync (cli->client, TRUE, passphrase, FALSE, NULL, &error))
    return lb_cli_fail (cli, error);
  g_print ("encrypt: on\n");
  g_print (_ ("New backups are encrypted. Your keyring keeps the passphrase; without it, they "
              "cannot be restored on another computer.\n"));
  return LB_EXIT_OK;
}

/* config passphrase: a new one for the backups from now on. */
static int
config_passphrase (LbCli *cli, int fd)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) passphrase = NULL;
  int rc = LB_EXIT_OK;

  if (!lb_client_get_encrypt_backups (cli->client))
    {
      g_printerr (_ ("license-backup: Encrypted backups are off; turn them on with "
                     "“license-backup config encrypt on”\n"));
      return LB_EXIT_FAILED;
    }
  passphrase = lb_cli_new_passphrase (fd, &rc);
  if (passphrase == NULL)
    return rc;
  if (!lb_client_set_encryption_sync (cli->client, TRUE, passphrase, FALSE, NULL, &error))
    return lb_cli_fail (cli, error);
  g_print (_ ("The passphrase is changed: new backups use it. The backups made before keep the "
              "old passphrase; keep that one too as long as you keep them.\n"));
  return LB_EXIT_OK;
}

int
lb_cmd_config (LbCli *cli, int argc, char **argv)
{
  int fd = -1;
  const GOptionEntry entries[] = {
    { "passphrase-fd", 0, 0, G_OPTION_ARG_INT, &fd,
      N_ ("Read the new passphrase from file descriptor N instead of asking (encrypt on, "
          "passphrase)"),
      N_ ("N") },
    { NULL },
  };
  g_autoptr (GOptionContext) context = lb_cli_context_new (
      _ ("[backup-path|restore-path|automatic|keep-backups|encrypt|passphrase] [VALUE]"),
      _ ("Show or set where backups are written and read from, the automatic backups and "
         "encryption.\n\n"
         "Without arguments, shows every setting. With a name, shows "
         "that one; with a value too, sets it. A folder is a path or a "
         "URI such as sftp://host/backups (\"\" unsets it); automatic "
         "is never, daily, weekly or monthly; keep-backups is how many "
         "backups a folder keeps (1 to 100); encrypt is on or off (on asks for a passphrase "
         "twice); “config passphrase” changes the passphrase of the backups made from now on."),
      entries);
  g_autoptr (GError) error = NULL;
  int rc;

  if ((rc
       = lb_cli_parse (context, &argc, &argv, 0, 2, _ ("config takes at most a name and a value")))
      != LB_EXIT_OK)
    return rc;
  if (argc >= 2 && !g_strv_contains (config_names, argv[1]) && !g_str_equal (argv[1], "passphrase"))
    return lb_cli_usage (context, _ ("The settings are backup-path, restore-path, automatic, "
                                     "keep-backups, encrypt and passphrase"));
  if (argc == 3)
    {
      g_autoptr (GEnumClass) klass = g_type_class_ref (LB_TYPE_AUTOMATIC_BACKUP);

      if (g_str_equal (argv[1], "automatic") && g_enum_get_value_by_nick (klass, argv[2]) == NULL)
        return lb_cli_usage (context, _ ("automatic is one of never, daily, weekly and monthly"));
      if (g_str_equal (argv[1], "keep-backups")
          && !g_ascii_string_to_unsigned (argv[2], 10, 1, LB_KEEP_BACKUPS_MAX, NULL, NULL))
        return lb_cli_usage (context, _ ("keep-backups is a number of backups from 1 to 100"));
      if (g_str_equal (argv[1], "encrypt") && !g_str_equal (argv[2], "on")
          && !g_str_equal (argv[2], "off"))
        return lb_cli_usage (context, _ ("encrypt is on or off"));
      if (g_str_equal (argv[1], "passphrase"))
        return lb_cli_usage (context, _ ("config passphrase takes no value: it asks for the "
                                         "passphrase, or reads it with --passphrase-fd"));
    }
  if (fd >= 0 && !(argc == 2 && g_str_equal (argv[1], "passphrase"))
      && !(argc == 3 && g_str_equal (argv[1], "encrypt") && g_str_equal (argv[2], "on")))
    return lb_cli_usage (
        context, _ ("--passphrase-fd goes with “config encrypt on” and “config passphrase”"));
  if ((rc = lb_cli_connect (cli)) != LB_EXIT_OK)
    return rc;

  if (argc == 1)
    {
      for (guint i = 0; config_names[i] != NULL; i++)
        {
          g_autofree char *value = config_value (cli->client, config_names[i]);

          g_print ("%s: %s\n", config_names[i], value);
        }
      return LB_EXIT_OK;
    }
  if (argc == 2 && g_str_equal (argv[1], "passphrase"))
    return config_passphrase (cli, fd);
  if (argc == 2)
    {
      g_autofree char *value = config_value (cli->client, argv[1]);

      g_print ("%s\n", value);
      return LB_EXIT_OK;
    }
  if (g_str_equal (argv[1], "encrypt"))
    return config_encrypt (cli, g_str_equal (argv[2], "on"), fd);
  {
    g_autofree char *shown = NULL;

    if (!config_set (cli, argv[1], argv[2], &shown, &error))
      return lb_cli_fail (cli, error);
    g_print ("%s: %s\n", argv[1], shown);
  }
  return LB_EXIT_OK;
}

int
lb_cmd_cancel (LbCli *cli, int argc, char **argv)
{
  g_autoptr (GOptionContext) context
      = lb_cli_context_new (NULL, _ ("Cancel the running backup, restore or check."), NULL);
  g_autoptr (GError) error = NULL;
  LbOperationType type = LB_OPERATION_TYPE_BACKUP;
  gboolean ok;
  int rc;

  if ((rc = lb_cli_parse (context, &argc, &argv, 0, 0, _ ("cancel takes no arguments")))
          != LB_EXIT_OK
      || (rc = lb_cli_connect (cli)) != LB_EXIT_OK)
    return rc;
  /* Whoever started it: a backup unless a restore runs. */
  lb_client_get_operation_type (cli->client, &type);
  if (type == LB_OPERATION_TYPE_RESTORE)
    ok = lb_client_cancel_restore_sync (cli->client, NULL, &error);
  else if (type == LB_OPERATION_TYPE_VERIFY)
    ok = lb_client_cancel_verify_sync (cli->client, NULL, &error);
  else
    ok = lb_client_cancel_backup_sync (cli->client, NULL, &error);
  if (!ok)
    {
      if (g_error_matches (error, LB_ERROR, LB_ERROR_NOT_RUNNING))
        {
          g_printerr (
              _ ("license-backup: No backup, restore or check is running, so there is nothing to "
                 "cancel\n"));
          return LB_EXIT_FAILED;
        }
      return lb_cli_fail (cli, error);
    }
  if (type == LB_OPERATION_TYPE_RESTORE)
    g_print (_ ("The restore is being cancelled.\n"));
  else if (type == LB_OPERATION_TYPE_VERIFY)
    g_print (_ ("The check of the backup is being cancelled.\n"));
  else
    g_print (_ ("The backup is being cancelled.\n"));
  return LB_EXIT_OK;
}
