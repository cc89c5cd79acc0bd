#include "config.h"

#include "cli.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <string.h>

#define BUS_NAME "org.freedesktop.LicenseBackup1"
#define OBJECT_PATH "/org/freedesktop/LicenseBackup1"
#define ERROR_PREFIX "org.freedesktop.LicenseBackup1.Error."

int
lb_cli_connect (LbCli *cli)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *owner = NULL;

  cli->bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  if (cli->bus == NULL)
    {
      g_printerr (_ ("license-backup: cannot reach the session bus: %s\n"), error->message);
      return LB_EXIT_UNREACHABLE;
    }
  /* Property caching and signals need the service running: creating the
   * proxies starts it through D-Bus activation. */
  cli->manager = lb_dbus_manager_proxy_new_sync (cli->bus, G_DBUS_PROXY_FLAGS_NONE, BUS_NAME,
                                                 OBJECT_PATH, NULL, &error);
  if (cli->manager != NULL)
    cli->store = lb_dbus_store_proxy_new_sync (cli->bus, G_DBUS_PROXY_FLAGS_NONE, BUS_NAME,
                                               OBJECT_PATH, NULL, &error);
  if (cli->store == NULL)
    return lb_cli_fail (cli, error);
  /* The default 25 s would cut a bulk write short on a slow disk. */
  g_dbus_proxy_set_default_timeout (G_DBUS_PROXY (cli->store), 120 * 1000);
  owner = g_dbus_proxy_get_name_owner (G_DBUS_PROXY (cli->manager));
  if (owner == NULL)
    {
      g_autoptr (GError) e = g_error_new_literal (G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN, "");
      return lb_cli_fail (cli, e);
    }
  return LB_EXIT_OK;
}

void
lb_cli_clear (LbCli *cli)
{
  g_clear_object (&cli->manager);
  g_clear_object (&cli->store);
  g_clear_object (&cli->bus);
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
lb_cli_exit_for_error_name (const char *name, char **message, const char *fallback)
{
  const char *text = NULL;
  int code = LB_EXIT_FAILED;

  if (name == NULL)
    name = "";
  if (g_str_equal (name, "org.freedesktop.DBus.Error.ServiceUnknown")
      || g_str_equal (name, "org.freedesktop.DBus.Error.NameHasNoOwner")
      || g_str_has_prefix (name, "org.freedesktop.DBus.Error.Spawn"))
    {
      code = LB_EXIT_UNREACHABLE;
      text = _ ("The license backup service is not running and cannot be started; check that "
                "license-backup is installed and that you are in a desktop session");
    }
  else if (g_str_equal (name, "org.freedesktop.DBus.Error.NoReply")
           || g_str_equal (name, "org.freedesktop.DBus.Error.Disconnected"))
    {
      code = LB_EXIT_UNREACHABLE;
      text = _ ("The license backup service stopped answering; try again");
    }
  else if (g_str_has_prefix (name, ERROR_PREFIX))
    {
      const char *short_name = name + strlen (ERROR_PREFIX);

      if (g_str_equal (short_name, "Busy"))
        {
          code = LB_EXIT_BUSY;
          text = _ ("A backup or restore is already running; wait for it to finish, or stop it "
                    "with “license-backup cancel”");
        }
      else if (g_str_equal (short_name, "BackupExists"))
        {
          code = LB_EXIT_BACKUP_EXISTS;
          text = _ ("This folder already holds a license backup; add --overwrite to replace it, "
                    "or choose another folder");
        }
      else if (g_str_equal (short_name, "BackupCorrupt"))
        {
          code = LB_EXIT_BACKUP_CORRUPT;
          text = _ ("The backup is damaged, so nothing was restored; make a new backup, or "
                    "restore from another copy");
        }
      else if (g_str_equal (short_name, "NotSet"))
        {
          code = LB_EXIT_NOT_SET;
          text = _ ("No folder is set; give one on the command line, or set it with "
                    "“license-backup config backup-path FOLDER” (or restore-path)");
        }
      else if (g_str_equal (short_name, "NeedsIndividualization"))
        {
          code = LB_EXIT_NEEDS_INDIVIDUALIZATION;
          text = _ ("These licenses were backed up on another computer; restore them with "
                    "--individualize to bind them to this one");
        }
      else if (g_str_equal (short_name, "RestoreLimit"))
        code = LB_EXIT_RESTORE_LIMIT; /* the service's text holds the issuer's URL */
      else if (g_str_equal (short_name, "Cancelled"))
        {
          code = LB_EXIT_CANCELLED;
          text = _ ("The operation was cancelled; nothing was changed");
        }
      else if (g_str_equal (short_name, "NoSpace"))
        {
          code = LB_EXIT_NO_SPACE;
          text = _ ("There is not enough free space; free some space and try again");
        }
      else if (g_str_equal (short_name, "PermissionDenied"))
        {
          code = LB_EXIT_PERMISSION_DENIED;
          /* The service's text speaks to apps, and otherwise names the file
           * it could not write. */
          if (in_sandbox ())
            text = _ ("license-backup runs inside an app sandbox (Flatpak or Snap), where the "
                      "service lets it reach only that app's own licenses; run it outside the "
                      "sandbox");
        }
    }
  if (message != NULL)
    *message = g_strdup (text != NULL ? text : fallback);
  return code;
}

int
lb_cli_fail (LbCli *cli, const GError *error)
{
  g_autofree char *name = g_dbus_error_get_remote_error (error);
  g_autoptr (GError) stripped = g_error_copy (error);
  g_autofree char *message = NULL;
  int code;

  g_dbus_error_strip_remote_error (stripped);
  if (name == NULL && g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN))
    name = g_strdup ("org.freedesktop.DBus.Error.ServiceUnknown");
  if (name == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED))
    name = g_strdup ("org.freedesktop.DBus.Error.Disconnected");
  code = lb_cli_exit_for_error_name (name, &message, stripped->message);
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

char *
lb_cli_location_from_arg (const char *arg)
{
  g_autoptr (GFile) file = g_file_new_for_commandline_arg (arg);

  if (g_file_is_native (file))
    return g_file_get_path (file);
  return g_file_get_uri (file);
}

char *
lb_cli_describe_status (const char *operation, guint status, const char *error)
{
  gboolean backup = g_strcmp0 (operation, "restore") != 0;

  switch (status)
    {
    case 1:
      return g_strdup (_ ("No backup or restore has run since the service started"));
    case 2:
      return g_strdup (backup ? _ ("Backup running") : _ ("Restore running"));
    case 3:
      return g_strdup (backup ? _ ("Backup finished") : _ ("Restore finished"));
    case 4:
      return g_strdup (_ ("Connecting to the backup location"));
    case 5:
      return g_strdup (_ ("Disconnecting from the backup location"));
    case 6:
      return g_strdup_printf (_ ("Restore finished, but some licenses were not restored: %s"),
                              error);
    case 8:
      return g_strdup (_ ("Restore waiting for consent: the backup comes from another computer"));
    case 0:
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
