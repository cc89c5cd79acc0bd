/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* license-backupd: the per-user license backup service. */
#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <locale.h>
#include <malloc.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "idle.h"
#include "error-convert.h"
#include "machine-id.h"
#include "license.h"
#include "service.h"

/* SIGTERM ends the daemon within 5 s whatever it does: an operation on a
 * location that stopped answering may sit in a system call that no
 * cancel reaches. */
#define SHUTDOWN_GRACE_SECONDS 3

/* Where the machine id is looked for, in order, without --machine-id-file
 * (the second is D-Bus's own copy on systems without systemd). */
static const char *const machine_id_files[] = { "/etc/machine-id", "/var/lib/dbus/machine-id" };

typedef struct
{
  GMainLoop *loop;
  LbService *service;
  gboolean name_acquired;
  int exit_status;
} Daemon;

static gboolean
on_signal (gpointer user_data)
{
  Daemon *d = user_data;

  g_debug ("signal received, exiting");
  g_main_loop_quit (d->loop);
  return G_SOURCE_CONTINUE;
}

static void
on_idle (LbIdle *idle, gpointer user_data)
{
  Daemon *d = user_data;

  g_main_loop_quit (d->loop);
}

static void
on_bus_acquired (GDBusConnection *connection, const char *name, gpointer user_data)
{
  Daemon *d = user_data;
  g_autoptr (GError) error = NULL;

  if (!lb_service_export (d->service, connection, &error))
    {
      g_printerr ("license-backupd: %s\n", error->message);
      d->exit_status = EXIT_FAILURE;
      g_main_loop_quit (d->loop);
    }
}

static void
on_name_acquired (GDBusConnection *connection, const char *name, gpointer user_data)
{
  Daemon *d = user_data;

  d->name_acquired = TRUE;
  g_debug ("acquired %s", name);
}

static void
on_name_lost (GDBusConnection *connection, const char *name, gpointer user_data)
{
  Daemon *d = user_data;

  if (d->name_acquired)
    g_message ("lost the name %s or the bus connection, exiting", name);
  else if (connection == NULL)
    g_printerr (_ ("license-backupd: Cannot connect to the session bus\n"));
  else
    g_printerr (_ ("license-backupd: %s is owned by another process; use --replace to take it "
                   "over\n"),
                name);
  d->exit_status = d->name_acquired ? EXIT_SUCCESS : EXIT_FAILURE;
  g_main_loop_quit (d->loop);
}

int
main (int argc, char **argv)
{
  gboolean replace = FALSE;
  gboolean verbose = FALSE;
  gboolean version = FALSE;
  int idle_timeout = 300;
  gint64 app_max_licenses = LB_APP_MAX_LICENSES_DEFAULT;
  gint64 app_max_bytes = (gint64) LB_APP_MAX_BYTES_DEFAULT;
  g_autofree char *machine_id_file = NULL;
  g_autofree char *machine_info_file = NULL;
  g_autofree char *app_id = NULL;
  g_autofree char *data_dir = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (LbIdle) idle = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  Daemon d = { 0 };
  guint owner_id;
  const GOptionEntry entries[] = {
    { "replace", 'r', 0, G_OPTION_ARG_NONE, &replace, N_ ("Replace a running instance"), NULL },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, N_ ("Print debugging messages"), NULL },
    { "idle-timeout", 0, 0, G_OPTION_ARG_INT, &idle_timeout,
      N_ ("Exit after SECONDS without activity (0: never; default 300)"), N_ ("SECONDS") },
    { "machine-id-file", 0, 0, G_OPTION_ARG_FILENAME, &machine_id_file,
      N_ ("Read the machine id from PATH (default /etc/machine-id, else /var/lib/dbus/machine-id)"),
      N_ ("PATH") },
    { "machine-info-file", 0, 0, G_OPTION_ARG_FILENAME, &machine_info_file,
      N_ ("Read the computer's name for backups from PATH (default /etc/machine-info)"),
      N_ ("PATH") },
    { "app-max-licenses", 0, 0, G_OPTION_ARG_INT64, &app_max_licenses,
      N_ ("Let each app keep at most N licenses (default 1000000)"), N_ ("N") },
    { "app-max-bytes", 0, 0, G_OPTION_ARG_INT64, &app_max_bytes,
      N_ ("Let each app keep at most BYTES of licenses (default 1 GiB)"), N_ ("BYTES") },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, N_ ("Print the version and exit"), NULL },
    { NULL },
  };

  umask (077); /* licenses are private to the user */
  /* Large blocks (scrypt's 32 MiB, the backup's chunks) are mapped and
   * given back when freed. glibc would otherwise raise its threshold after
   * the first one and keep the next ones in the heap for good: a daemon
   * that ran one encrypted backup stayed 32 MiB larger. */
  mallopt (M_MMAP_THRESHOLD, 1024 * 1024);
  setlocale (LC_ALL, "");
  /* LB_LOCALEDIR: translations from a build tree (tests, uninstalled runs). */
  bindtextdomain (GETTEXT_PACKAGE,
                  g_getenv ("LB_LOCALEDIR") != NULL ? g_getenv ("LB_LOCALEDIR") : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  context = g_option_context_new (NULL);
  g_option_context_set_summary (context, _ ("The per-user license backup service"));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("license-backupd: %s\n", error->message);
      return 2;
    }
  if (version)
    {
      g_print ("license-backupd %s\n", PACKAGE_VERSION);
      return EXIT_SUCCESS;
    }
  if (idle_timeout < 0)
    {
      g_printerr (_ ("license-backupd: --idle-timeout must be 0 or more\n"));
      return 2;
    }
  if (app_max_licenses < 1 || app_max_bytes < 1)
    {
      g_printerr (
          _ ("license-backupd: --app-max-licenses and --app-max-bytes must be 1 or more\n"));
      return 2;
    }
  if (verbose)
    g_log_set_debug_enabled (TRUE);

  (void) LB_ERROR; /* register the D-Bus error names before any reply */
  if (machine_id_file != NULL)
    app_id = lb_machine_app_id_from_file (machine_id_file, &error);
  for (guint i = 0;
       machine_id_file == NULL && app_id == NULL && i < G_N_ELEMENTS (machine_id_files); i++)
    {
      g_clear_error (&error);
      app_id = lb_machine_app_id_from_file (machine_id_files[i], &error);
    }
  if (app_id == NULL)
    {
      g_printerr ("license-backupd: %s\n", error->message);
      return EXIT_FAILURE;
    }

  data_dir = g_build_filename (g_get_user_data_dir (), "license-backup", NULL);
  idle = lb_idle_new ((guint) idle_timeout);
  d.service = lb_service_new (data_dir, app_id, idle, &error);
  if (d.service == NULL)
    {
      g_printerr ("license-backupd: %s\n", error->message);
      return EXIT_FAILURE;
    }
  lb_service_set_app_limits (d.service, (guint64) app_max_licenses, (guint64) app_max_bytes);
  lb_service_set_machine_info_file (d.service, machine_info_file != NULL ? machine_info_file
                                                                         : "/etc/machine-info");
  g_debug ("store in %s, machine %s", data_dir, app_id);

  loop = g_main_loop_new (NULL, FALSE);
  d.loop = loop;
  g_unix_signal_add (SIGTERM, on_signal, &d);
  g_unix_signal_add (SIGINT, on_signal, &d);
  g_signal_connect (idle, "idle", G_CALLBACK (on_idle), &d);

  owner_id = g_bus_own_name (G_BUS_TYPE_SESSION, LB_BUS_NAME,
                             G_BUS_NAME_OWNER_FLAGS_ALLOW_REPLACEMENT
                                 | (replace ? G_BUS_NAME_OWNER_FLAGS_REPLACE : 0),
                             on_bus_acquired, on_name_acquired, on_name_lost, &d, NULL);
  g_main_loop_run (loop);

  /* Give up the name first: new calls then go to a successor (or start
   * one), never to an object that is about to vanish. Then finish what was
   * accepted (a Store write in flight, the cancel of an operation) before
   * leaving the bus. */
  g_bus_unown_name (owner_id);
  if (!lb_service_shutdown (d.service, SHUTDOWN_GRACE_SECONDS))
    {
      /* Threads still run with the store and the service: leave without
       * freeing them. An unfinished backup left only its temporary file
       * (removed by the next backup), a restore or store call nothing
       * (its transaction was not committed). */
      lb_service_unexport (d.service);
      _exit (d.exit_status);
    }
  lb_service_unexport (d.service);
  g_clear_object (&d.service);
  return d.exit_status;
}
