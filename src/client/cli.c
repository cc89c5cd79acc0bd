/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "cli.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <string.h>

int
lb_cli_connect (LbCli *cli)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);

  if (bus == NULL)
    {
      g_printerr (_ ("license-backup: Cannot reach the session bus; run license-backup in your "
                     "desktop session, or check that DBUS_SESSION_BUS_ADDRESS names a running "
                     "bus\n"));
      if (cli->verbose)
        g_printerr ("license-backup: (%s)\n", error->message);
      return LB_EXIT_UNREACHABLE;
    }
  /* Making the client loads the service's properties, which starts it
   * through D-Bus activation. */
  cli->client = lb_client_new_for_connection_sync (bus, NULL, &error);
  if (cli->client == NULL)
    return lb_cli_fail (cli, error);
  if (!lb_client_get_service_running (cli->client))
    {
      g_autoptr (GError) e = g_error_new_literal (G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN, "");
      return lb_cli_fail (cli, e);
    }
  return LB_EXIT_OK;
}

void
lb_cli_clear (LbCli *cli)
{
  g_clear_object (&cli->client);
}

/* Whether this process is in a Flatpak or Snap sandbox, told the way the
 * service tells it: a /.flatpak-info, or a cgroup named "snap.NAME.*". */
static gboolean
in_sandbox (void)
{
  g_autofree char *cgroups = NULL;
  g_auto (GStrv) parts = NULL;

  if (g_file_test ("/.flatpak-info", G_FILE_TEST_EXISTS))
    return TRUE;
  if (!g_file_get_contents ("/proc/self/cgroup", &cgroups, NULL, NULL))
    return FALSE;
  parts = g_strsplit_set (cgroups, "/\n", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    if (g_str_has_prefix (parts[i], "snap.") && parts[i][5] != '\0'
        && strchr (parts[i] + 6, '.') != NULL)
      return TRUE;
  return FALSE;
}

int
lb_cli_exit_for_error (const GError *error, char **message, const char *fallback)
{
  const char *text = NULL;
  int code = LB_EXIT_FAILED;

  if (error != NULL && error->domain == G_DBUS_ERROR
      && (error->code == G_DBUS_ERROR_SERVICE_UNKNOWN
          || error->code == G_DBUS_ERROR_NAME_HAS_NO_OWNER
          || (error->code >= G_DBUS_ERROR_SPAWN_EXEC_FAILED
              && error->code <= G_DBUS_ERROR_SPAWN_NO_MEMORY)))
    {
      code = LB_EXIT_UNREACHABLE;
      text = _ ("The license backup service is not running and cannot be started; check that "
                "license-backup is installed and that you are in a desktop session");
    }
  else if (g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_NO_REPLY)
           || g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_DISCONNECTED)
           || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED))
    {
      code = LB_EXIT_UNREACHABLE;
      text = _ ("The license backup service stopped answering; try again");
    }
  else if (error != NULL && error->domain == LB_ERROR)
    switch ((LbError) error->code)
      {
      case LB_ERROR_BUSY:
        code = LB_EXIT_BUSY;
        text = _ ("A backup or restore is already running; wait for it to finish, or stop it "
                  "with “license-backup cancel”");
        break;
      case LB_ERROR_BACKUP_EXISTS:
        code = LB_EXIT_BACKUP_EXISTS;
        text = _ ("This folder already holds license backups; add --overwrite to add a new "
                  "backup beside them, or choose another folder");
        break;
      case LB_ERROR_BACKUP_CORRUPT:
        /* The service's text says which backup, what is damaged, and (for
         * a restore) which backup is whole; for a backup it is the new
         * file that did not read back. */
        code = LB_EXIT_BACKUP_CORRUPT;
        break;
      case LB_ERROR_NOT_SET:
        code = LB_EXIT_NOT_SET;
        text = _ ("No folder is set; give one on the command line, or set it with "
                  "“license-backup config backup-path FOLDER” (or restore-path)");
        break;
      case LB_ERROR_NEEDS_INDIVIDUALIZATION:
        code = LB_EXIT_NEEDS_INDIVIDUALIZATION;
        text = _ ("These licenses were backed up on another computer; restore them with "
                  "--individualize to bind them to this one");
        break;
      case LB_ERROR_RESTORE_LIMIT:
        code = LB_EXIT_RESTORE_LIMIT; /* the service's text says what to do */
        break;
      case LB_ERROR_CANCELLED:
        code = LB_EXIT_CANCELLED;
        text = _ ("The operation was cancelled; nothing was changed");
        break;
      case LB_ERROR_NO_SPACE:
        code = LB_EXIT_NO_SPACE;
        text = _ ("There is not enough free space; free some space and try again");
        break;
      case LB_ERROR_PERMISSION_DENIED:
        code = LB_EXIT_PERMISSION_DENIED;
        /* The service's text speaks to apps, and otherwise names the file
         * it could not write. */
        if (in_sandbox ())
          text = _ ("license-backup runs inside an app sandbox (Flatpak or Snap), where the "
                    "service lets it reach only that app's own licenses; run it outside the "
                    "sandbox");
        break;
      case LB_ERROR_PASSPHRASE_REQUIRED:
        /* The service's text says what needs it: an encrypted backup to
         * restore, or a keyring that lost the passphrase. */
        code = LB_EXIT_PASSPHRASE_NEEDED;
        break;
      case LB_ERROR_BAD_PASSPHRASE:
        code = LB_EXIT_BAD_PASSPHRASE;
        text = _ ("The passphrase does not open this backup; it may have been made with an older "
                  "passphrase (“license-backup generations” tells)");
        break;
      case LB_ERROR_KEYRING_UNAVAILABLE:
        text = _ ("Your keyring is locked or missing; unlock it (log in to your desktop session, "
                  "or open Passwords and Keys) and try again");
        break;
      case LB_ERROR_FAILED:
      case LB_ERROR_INVALID_ARGS:
      case LB_ERROR_NOT_FOUND:
      case LB_ERROR_NOT_RUNNING:
      case LB_ERROR_NOT_DUE: /* `backup --automatic` reports it itself */
      default:
        break;
      }
  if (message != NULL)
    *message = g_strdup (text != NULL ? text : fallback);
  return code;
}

char *
lb_cli_file_error_reason (const GError *error)
{
  GIOErrorEnum code = G_IO_ERROR_FAILED;
  const char *tail;

  if (error->domain == G_IO_ERROR)
    code = (GIOErrorEnum) error->code;
  else if (error->domain == G_FILE_ERROR)
    code = g_io_error_from_file_error ((GFileError) error->code);
  switch (code)
    {
    case G_IO_ERROR_NOT_FOUND:
      return g_strdup (_ ("it does not exist"));
    case G_IO_ERROR_IS_DIRECTORY:
      return g_strdup (_ ("it is a folder"));
    case G_IO_ERROR_NOT_DIRECTORY:
      return g_strdup (_ ("part of its path is a file, not a folder"));
    case G_IO_ERROR_PERMISSION_DENIED:
      return g_strdup (_ ("you do not have permission to use it"));
    case G_IO_ERROR_NO_SPACE:
      return g_strdup (_ ("the disk is full"));
    case G_IO_ERROR_READ_ONLY:
      return g_strdup (_ ("the disk is read-only"));
    default:
      break;
    }
  /* GLib's messages end in strerror()'s words after their own sentence. */
  tail = g_strrstr (error->message, ": ");
  return g_strdup (tail != NULL && tail[2] != '\0' ? tail + 2 : error->message);
}

char *
lb_cli_error_name (const GError *error)
{
  if (error->domain == LB_ERROR)
    return g_strdup (lb_error_get_dbus_name (error));
  /* A connection the bus closed, under the name the bus gives it. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED))
    {
      g_autoptr (GError) e = g_error_new_literal (G_DBUS_ERROR, G_DBUS_ERROR_DISCONNECTED, "");
      return g_dbus_error_encode_gerror (e);
    }
  if (error->domain == G_DBUS_ERROR)
    return g_dbus_error_encode_gerror (error);
  return g_dbus_error_get_remote_error (error);
}

int
lb_cli_fail (LbCli *cli, const GError *error)
{
  g_autofree char *name = lb_cli_error_name (error);
  g_autoptr (GError) stripped = g_error_copy (error);
  g_autofree char *message = NULL;
  int code;

  g_dbus_error_strip_remote_error (stripped);
  code = lb_cli_exit_for_error (stripped, &message, stripped->message);
  g_printerr ("license-backup: %s\n", message);
  if (cli->verbose)
    g_printerr ("license-backup: (%s: %s)\n",
                name != NULL ? name : g_quark_to_string (error->domain), stripped->message);
  return code;
}

int
lb_cli_usage (GOptionContext *context, const char *message)
{
  g_autofree char *help = g_option_context_get_help (context, TRUE, NULL);

  g_printerr ("license-backup: %s\n\n%s", message, help);
  return LB_EXIT_USAGE;
}

GOptionContext *
lb_cli_context_new (const char *parameter_string, const char *summary, const GOptionEntry *entries)
{
  GOptionContext *context = g_option_context_new (parameter_string);

  g_option_context_set_summary (context, summary);
  if (entries != NULL)
    g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  return context;
}

int
lb_cli_parse (
    GOptionContext *context, int *argc, char ***argv, int min, int max, const char *wrong_count)
{
  g_autoptr (GError) error = NULL;

  if (!g_option_context_parse (context, argc, argv, &error))
    return lb_cli_usage (context, error->message);
  if (*argc - 1 < min || *argc - 1 > max)
    return lb_cli_usage (context, wrong_count);
  return LB_EXIT_OK;
}

char *
lb_cli_location_from_arg (const char *arg)
{
  g_autoptr (GFile) file = g_file_new_for_commandline_arg (arg);

  if (g_file_is_native (file))
    return g_file_get_path (file);
  return g_file_get_uri (file);
}

/* The nick of @value of the enum @type, or "". */
static const char *
enum_nick (GType type, int value)
{
  g_autoptr (GEnumClass) klass = g_type_class_ref (type);
  GEnumValue *v = g_enum_get_value (klass, value);

  /* The nicks are static strings of the registered type. */
  return v != NULL ? v->value_nick : "";
}

const char *
lb_cli_operation_name (LbOperationType type)
{
  return enum_nick (LB_TYPE_OPERATION_TYPE, (int) type);
}

char *
lb_cli_describe_status (LbOperationType type, LbStatus status, const char *error)
{
  gboolean backup = type != LB_OPERATION_TYPE_RESTORE;

  if (type == LB_OPERATION_TYPE_VERIFY)
    switch (status)
      {
      case LB_STATUS_BEGIN:
        return g_strdup (_ ("Check of a backup running"));
      case LB_STATUS_END:
        return g_strdup (_ ("Check of a backup finished: the backup is whole"));
      case LB_STATUS_ERROR:
        return g_strdup_printf (_ ("Check of a backup failed: %s"), error);
      default:
        break;
      }
  switch (status)
    {
    case LB_STATUS_INFORMATION:
      return g_strdup (_ ("No backup or restore has run since the service started"));
    case LB_STATUS_BEGIN:
      return g_strdup (backup ? _ ("Backup running") : _ ("Restore running"));
    case LB_STATUS_END:
      return g_strdup (backup ? _ ("Backup finished") : _ ("Restore finished"));
    case LB_STATUS_CONNECTING:
      return g_strdup (_ ("Connecting to the backup location"));
    case LB_STATUS_DISCONNECTING:
      return g_strdup (_ ("Disconnecting from the backup location"));
    case LB_STATUS_ERROR_WITHURL:
      return g_strdup_printf (_ ("Restore finished, but some licenses were not restored: %s"),
                              error);
    case LB_STATUS_NEEDS_INDIVIDUALIZATION:
      return g_strdup (_ ("Restore waiting for consent: the backup comes from another computer"));
    case LB_STATUS_ERROR:
    case LB_STATUS_RESTRICTED_LICENSE:
    default:
      return g_strdup_printf (backup ? _ ("Backup failed: %s") : _ ("Restore failed: %s"), error);
    }
}

void
lb_cli_print_json (gpointer json_node)
{
  JsonNode *node = json_node;
  g_autofree char *text = json_to_string (node, FALSE);

  g_print ("%s\n", text);
  json_node_unref (node);
}

const char *
lb_cli_automatic_nick (LbAutomaticBackup automatic)
{
  return enum_nick (LB_TYPE_AUTOMATIC_BACKUP, (int) automatic);
}

char *
lb_cli_describe_in (gint64 seconds)
{
  guint n;

  if (seconds < 3600)
    return g_strdup (_ ("in less than an hour"));
  if (seconds < 24 * 3600)
    {
      n = (guint) (seconds / 3600);
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "in %u hour", "in %u hours", n), n);
    }
  n = (guint) ((seconds + 12 * 3600) / (24 * 3600));
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "in %u day", "in %u days", n), n);
}

char *
lb_cli_describe_automatic (LbClient *client)
{
  LbAutomaticBackup automatic = lb_client_get_automatic_backup (client);
  gint64 next = lb_client_get_next_backup_time (client);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree char *in = NULL;

  if (automatic == LB_AUTOMATIC_BACKUP_NEVER)
    return g_strdup (_ ("off"));
  if (lb_client_get_backup_path (client)[0] == '\0')
    /* TRANSLATORS: %s is how often: daily, weekly or monthly */
    return g_strdup_printf (_ ("%s, once a backup folder is set"),
                            lb_cli_automatic_nick (automatic));
  if (next <= now)
    /* TRANSLATORS: %s is how often: daily, weekly or monthly */
    return g_strdup_printf (_ ("%s; the next check backs up if the licenses changed"),
                            lb_cli_automatic_nick (automatic));
  in = lb_cli_describe_in (next - now);
  /* TRANSLATORS: %s is how often, then when ("in 3 days") */
  return g_strdup_printf (_ ("%s; next backup %s"), lb_cli_automatic_nick (automatic), in);
}
