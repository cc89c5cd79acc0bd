/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* license-backup: back up and restore content licenses from a terminal. */
#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

typedef struct
{
  const char *name;
  int (*run) (LbCli *cli, int argc, char **argv);
  const char *summary;
} Command;

static const Command commands[] = {
  { "status", lb_cmd_status, N_ ("Show what the service is doing and where backups go") },
  { "backup", lb_cmd_backup, N_ ("Back up the licenses, with a progress bar") },
  { "restore", lb_cmd_restore, N_ ("Restore licenses from a backup") },
  { "verify", lb_cmd_verify, N_ ("Check that a backup is whole, without restoring it") },
  { "cancel", lb_cmd_cancel, N_ ("Cancel the running backup, restore or check") },
  { "list", lb_cmd_list, N_ ("List the stored licenses") },
  { "apps", lb_cmd_apps, N_ ("List the apps that hold licenses") },
  { "import", lb_cmd_import, N_ ("Store a license from a file") },
  { "export", lb_cmd_export, N_ ("Write a stored license to a file") },
  { "delete", lb_cmd_delete, N_ ("Delete a stored license") },
  { "clean", lb_cmd_clean, N_ ("Remove expired licenses") },
  { "generations", lb_cmd_generations, N_ ("List the backups a folder keeps") },
  { "config", lb_cmd_config,
    N_ ("Show or set the backup and restore folders, the automatic backups and encryption") },
};

static void
print_help (FILE *out)
{
  fprintf (out, "%s\n\n", _ ("Usage: license-backup [--verbose] COMMAND [OPTION…] [ARGUMENT…]"));
  fprintf (out, "%s\n\n", _ ("Back up and restore the content licenses of your media apps."));
  fprintf (out, "%s\n", _ ("Commands:"));
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-11s %s\n", commands[i].name, _ (commands[i].summary));
  fprintf (out, "\n%s\n", _ ("Options:"));
  fprintf (out, "  -v, --verbose  %s\n", _ ("Also show the D-Bus error names"));
  fprintf (out, "  --version      %s\n", _ ("Show the version"));
  fprintf (out, "  -h, --help     %s\n", _ ("Show this help; COMMAND --help shows a command's"));
  fprintf (out, "\n%s\n", _ ("Exit status:"));
  fprintf (out, "  0   %s\n", _ ("success (also when some licenses could not be backed up)"));
  fprintf (out, "  1   %s\n", _ ("another error"));
  fprintf (out, "  2   %s\n", _ ("wrong usage"));
  fprintf (out, "  3   %s\n", _ ("a backup or restore is already running"));
  fprintf (out, "  4   %s\n", _ ("the folder already holds a backup (use --overwrite)"));
  fprintf (out, "  5   %s\n", _ ("the backup is damaged (restore, verify)"));
  fprintf (out, "  6   %s\n", _ ("no folder is set"));
  fprintf (out, "  7   %s\n", _ ("the backup comes from another computer: consent needed"));
  fprintf (out, "  8   %s\n", _ ("some licenses reached their restore limit"));
  fprintf (out, "  9   %s\n", _ ("the operation was cancelled"));
  fprintf (out, "  10  %s\n", _ ("not enough free space"));
  fprintf (out, "  11  %s\n", _ ("the service cannot be reached"));
  fprintf (out, "  12  %s\n", _ ("not permitted (for example from inside an app sandbox)"));
  fprintf (out, "  13  %s\n",
           _ ("a passphrase is needed and there is no terminal to ask for it (use "
              "--passphrase-fd)"));
  fprintf (out, "  14  %s\n", _ ("the passphrase is wrong"));
  fprintf (out, "  130 %s\n", _ ("interrupted with Ctrl-C (the operation was cancelled)"));
}

int
main (int argc, char **argv)
{
  LbCli cli = { 0 };
  int first = 1;
  int rc;

  setlocale (LC_ALL, "");
  /* The library binds its text domain, which is ours, to the installed
   * catalogs when its client class initializes: that comes first, so that
   * the binding below wins. */
  g_type_class_unref (g_type_class_ref (LB_TYPE_CLIENT));
  /* LB_LOCALEDIR: translations from a build tree (tests, uninstalled runs). */
  bindtextdomain (GETTEXT_PACKAGE,
                  g_getenv ("LB_LOCALEDIR") != NULL ? g_getenv ("LB_LOCALEDIR") : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  g_set_prgname ("license-backup");

  for (; first < argc && argv[first][0] == '-'; first++)
    {
      const char *opt = argv[first];

      if (g_str_equal (opt, "-v") || g_str_equal (opt, "--verbose"))
        cli.verbose = TRUE;
      else if (g_str_equal (opt, "--version"))
        {
          g_print ("license-backup %s\n", PACKAGE_VERSION);
          return LB_EXIT_OK;
        }
      else if (g_str_equal (opt, "-h") || g_str_equal (opt, "--help"))
        {
          print_help (stdout);
          return LB_EXIT_OK;
        }
      else
        {
          g_printerr (_ ("license-backup: Unknown option %s\n\n"), opt);
          print_help (stderr);
          return LB_EXIT_USAGE;
        }
    }
  if (first == argc)
    {
      print_help (stderr);
      return LB_EXIT_USAGE;
    }

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_str_equal (argv[first], commands[i].name))
      {
        g_autofree char *prgname = g_strdup_printf ("license-backup %s", commands[i].name);

        /* The command's own options are parsed from its name on. */
        g_set_prgname (prgname);
        rc = commands[i].run (&cli, argc - first, argv + first);
        lb_cli_clear (&cli);
        return rc;
      }
  g_printerr (_ ("license-backup: Unknown command “%s”\n\n"), argv[first]);
  print_help (stderr);
  return LB_EXIT_USAGE;
}
