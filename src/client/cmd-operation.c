/* The backup and restore subcommands: start an operation, follow it to its
 * end through the service's signals, and report. */
#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "progress-bar.h"

#define FLAG_OVERWRITE 0x1u
#define FLAG_INDIVIDUALIZE 0x2u

typedef struct
{
  LbCli *cli;
  gboolean restore;
  gboolean json;
  guint64 id; /* 0 until the start call returned */
  GMainLoop *loop;
  LbProgressBar *bar;

  gboolean completed;
  guint status;
  char *error;
  GVariant *summary;
  GPtrArray *restricted; /* "key\treason\tapp" */
  GVariant *app_counts;  /* a{su} from AppCounts, or NULL */
  char *support_url;     /* from SupportUrl (status 6), or NULL */

  gboolean interrupted;
  gboolean service_lost;
} Follow;

static void
follow_reset (Follow *f)
{
  f->id = 0;
  f->completed = FALSE;
  g_clear_pointer (&f->error, g_free);
  g_clear_pointer (&f->summary, g_variant_unref);
  g_clear_pointer (&f->app_counts, g_variant_unref);
  g_clear_pointer (&f->support_url, g_free);
  g_ptr_array_set_size (f->restricted, 0);
  g_clear_pointer (&f->bar, lb_progress_bar_free);
}

/* The service replies to the start call before it sends any signal of the
 * operation, and the bus keeps that order: a signal seen while the id is
 * still 0 belongs to someone else's operation. */
static void
on_progress (LbDBusManager *m,
             guint64 op,
             guint status,
             const char *error,
             guint64 done,
             guint64 total,
             Follow *f)
{
  if (op != f->id || f->id == 0 || f->bar == NULL)
    return;
  lb_progress_bar_update (f->bar, done, total);
}

static void
on_restricted (LbDBusManager *m,
               guint64 op,
               const char *key_id,
               const char *reason,
               const char *app,
               Follow *f)
{
  if (op != f->id || f->id == 0)
    return;
  g_ptr_array_add (f->restricted, g_strdup_printf ("%s\t%s\t%s", key_id, reason, app));
}

static void
on_app_counts (LbDBusManager *m, guint64 op, GVariant *licenses, Follow *f)
{
  if (op != f->id || f->id == 0)
    return;
  g_clear_pointer (&f->app_counts, g_variant_unref);
  f->app_counts = g_variant_ref (licenses);
}

/* Only the starter (this client) and subscribers get the URL: the text
 * everyone reads names none. */
static void
on_support_url (LbDBusManager *m, guint64 op, const char *app, const char *url, Follow *f)
{
  if (op != f->id || f->id == 0)
    return;
  g_free (f->support_url);
  f->support_url = g_strdup (url);
}

static void
on_completed (
    LbDBusManager *m, guint64 op, guint status, const char *error, GVariant *summary, Follow *f)
{
  if (op != f->id || f->id == 0)
    return;
  f->completed = TRUE;
  f->status = status;
  f->error = g_strdup (error);
  f->summary = g_variant_ref (summary);
  g_main_loop_quit (f->loop);
}

/* Without the service there will be no Completed signal: stop waiting. */
static void
on_name_owner (GObject *proxy, GParamSpec *pspec, Follow *f)
{
  g_autofree char *owner = g_dbus_proxy_get_name_owner (G_DBUS_PROXY (proxy));

  if (owner != NULL || f->id == 0 || f->completed)
    return;
  f->service_lost = TRUE;
  g_main_loop_quit (f->loop);
}

static void
on_cancel_replied (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Follow *f = user_data;
  g_autoptr (GError) error = NULL;
  gboolean ok = f->restore
                    ? lb_dbus_manager_call_cancel_license_restore_finish (LB_DBUS_MANAGER (source),
                                                                          result, &error)
                    : lb_dbus_manager_call_cancel_license_backup_finish (LB_DBUS_MANAGER (source),
                                                                         result, &error);

  if (!ok)
    {
      g_dbus_error_strip_remote_error (error);
      g_printerr (_ ("\nlicense-backup: cannot cancel: %s\n"), error->message);
    }
}

static gboolean
on_sigint (gpointer user_data)
{
  Follow *f = user_data;

  if (f->interrupted || f->id == 0)
    return G_SOURCE_CONTINUE;
  f->interrupted = TRUE;
  if (!f->json)
    g_printerr (_ ("\nCancelling…\n"));
  if (f->restore)
    lb_dbus_manager_call_cancel_license_restore (f->cli->manager, NULL, on_cancel_replied, f);
  else
    lb_dbus_manager_call_cancel_license_backup (f->cli->manager, NULL, on_cancel_replied, f);
  return G_SOURCE_CONTINUE;
}

static gboolean
start (Follow *f, guint32 flags, const char *location, GError **error)
{
  GVariantBuilder opts;

  g_variant_builder_init (&opts, G_VARIANT_TYPE_VARDICT);
  if (location != NULL)
    g_variant_builder_add (&opts, "{sv}", "path", g_variant_new_string (location));
  /* Ctrl-C cancels explicitly; a client that dies leaves the operation be. */
  if (f->restore)
    return lb_dbus_manager_call_restore_licenses_sync (
        f->cli->manager, flags, g_variant_builder_end (&opts), &f->id, NULL, error);
  return lb_dbus_manager_call_backup_licenses_sync (
      f->cli->manager, flags, g_variant_builder_end (&opts), &f->id, NULL, error);
}

static const char *
reason_words (const char *reason)
{
  if (g_str_equal (reason, "no-backup-right"))
    return _ ("no Backup right");
  if (g_str_equal (reason, "expired"))
    return _ ("expired");
  if (g_str_equal (reason, "restore-limit"))
    return _ ("restore limit reached");
  return reason;
}

static guint32
summary_u (GVariant *summary, const char *key)
{
  guint32 v = 0;
  g_variant_lookup (summary, key, "u", &v);
  return v;
}

static void
print_json (Follow *f)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  const char *error_name = "";

  g_variant_lookup (f->summary, "error-name", "&s", &error_name);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "operation");
  json_builder_add_int_value (b, (gint64) f->id);
  json_builder_set_member_name (b, "kind");
  json_builder_add_string_value (b, f->restore ? "restore" : "backup");
  json_builder_set_member_name (b, "status");
  json_builder_add_int_value (b, f->status);
  json_builder_set_member_name (b, "error");
  json_builder_add_string_value (b, f->error);
  json_builder_set_member_name (b, "error-name");
  json_builder_add_string_value (b, error_name);
  json_builder_set_member_name (b, "summary");
  {
    JsonNode *summary = json_gvariant_serialize (f->summary);

    if (f->support_url != NULL && JSON_NODE_HOLDS_OBJECT (summary))
      json_object_set_string_member (json_node_get_object (summary), "support-url", f->support_url);
    json_builder_add_value (b, summary);
  }
  json_builder_set_member_name (b, "restricted");
  json_builder_begin_array (b);
  for (guint i = 0; i < f->restricted->len; i++)
    {
      g_auto (GStrv) parts = g_strsplit (f->restricted->pdata[i], "\t", 3);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "key-id");
      json_builder_add_string_value (b, parts[0]);
      json_builder_set_member_name (b, "reason");
      json_builder_add_string_value (b, parts[1]);
      json_builder_set_member_name (b, "app");
      json_builder_add_string_value (b, parts[2]);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  /* Licenses per app; empty when the service sent no counts (a failure). */
  json_builder_set_member_name (b, "apps");
  json_builder_begin_object (b);
  if (f->app_counts != NULL)
    {
      GVariantIter iter;
      const char *app;
      guint32 n;

      g_variant_iter_init (&iter, f->app_counts);
      while (g_variant_iter_next (&iter, "{&su}", &app, &n))
        {
          json_builder_set_member_name (b, app);
          json_builder_add_int_value (b, n);
        }
    }
  json_builder_end_object (b);
  json_builder_set_member_name (b, "interrupted");
  json_builder_add_boolean_value (b, f->interrupted);
  json_builder_end_object (b);
  lb_cli_print_json (json_builder_get_root (b));
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* "org.example.Player: 100, other apps: 20": the licenses of each app, by
 * app id and the host namespace last; NULL when only the host's were
 * involved, which the summary need not spell out. */
static char *
describe_app_counts (GVariant *counts)
{
  g_autoptr (GPtrArray) apps = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GString) s = g_string_new (NULL);
  GVariantIter iter;
  char *app;
  guint32 n, host = 0;

  if (counts == NULL)
    return NULL;
  /* Copies: a "&s" of an untrusted message may not outlive its entry. */
  g_variant_iter_init (&iter, counts);
  while (g_variant_iter_next (&iter, "{su}", &app, &n))
    if (app[0] == '\0' || n == 0)
      {
        if (app[0] == '\0')
          host = n;
        g_free (app);
      }
    else
      g_ptr_array_add (apps, app);
  if (apps->len == 0)
    return NULL;
  g_ptr_array_sort (apps, compare_strings);
  for (guint i = 0; i < apps->len; i++)
    {
      g_variant_lookup (counts, apps->pdata[i], "u", &n);
      g_string_append_printf (s, "%s%s: %u", i > 0 ? ", " : "", (const char *) apps->pdata[i], n);
    }
  if (host > 0)
    /* TRANSLATORS: programs outside a sandbox, in a list such as
     * "org.example.Player: 100, other apps: 20" */
    g_string_append_printf (s, ", %s: %u", _ ("other apps"), host);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static void
print_summary (Follow *f)
{
  g_autofree char *per_app = describe_app_counts (f->app_counts);
  guint32 licenses = summary_u (f->summary, "licenses");
  const char *location = "";
  guint64 bytes = 0;
  g_autofree char *size = NULL;

  g_autofree char *where = NULL;

  g_variant_lookup (f->summary, "location", "&s", &location);
  g_variant_lookup (f->summary, "bytes", "t", &bytes);
  size = g_format_size (bytes);
  {
    g_autoptr (GFile) file = g_file_new_for_uri (location);
    where = g_file_get_parse_name (file);
  }
  if (!f->restore && per_app == NULL)
    g_print (g_dngettext (GETTEXT_PACKAGE, "Backed up %u license to %s (%s).\n",
                          "Backed up %u licenses to %s (%s).\n", licenses),
             licenses, where, size);
  else if (!f->restore)
    /* TRANSLATORS: the last %s lists the licenses of each app */
    g_print (g_dngettext (GETTEXT_PACKAGE, "Backed up %u license to %s (%s; %s).\n",
                          "Backed up %u licenses to %s (%s; %s).\n", licenses),
             licenses, where, size, per_app);
  else if (per_app == NULL)
    g_print (g_dngettext (GETTEXT_PACKAGE,
                          "Restored %u license from %s (%u already present, %u bound to this "
                          "computer).\n",
                          "Restored %u licenses from %s (%u already present, %u bound to this "
                          "computer).\n",
                          licenses),
             licenses, where, summary_u (f->summary, "already-present"),
             summary_u (f->summary, "individualized"));
  else
    /* TRANSLATORS: the last %s lists the licenses of each app */
    g_print (g_dngettext (GETTEXT_PACKAGE,
                          "Restored %u license from %s (%u already present, %u bound to this "
                          "computer; %s).\n",
                          "Restored %u licenses from %s (%u already present, %u bound to this "
                          "computer; %s).\n",
                          licenses),
             licenses, where, summary_u (f->summary, "already-present"),
             summary_u (f->summary, "individualized"), per_app);
  if (f->restricted->len > 0)
    {
      g_print (f->restore
                   ? g_dngettext (GETTEXT_PACKAGE, "%u license could not be restored:\n",
                                  "%u licenses could not be restored:\n", f->restricted->len)
                   : g_dngettext (GETTEXT_PACKAGE, "%u license could not be backed up:\n",
                                  "%u licenses could not be backed up:\n", f->restricted->len),
               f->restricted->len);
      for (guint i = 0; i < f->restricted->len; i++)
        {
          g_auto (GStrv) parts = g_strsplit (f->restricted->pdata[i], "\t", 3);

          if (parts[2][0] == '\0')
            g_print ("  %s: %s\n", parts[0], reason_words (parts[1]));
          else
            /* TRANSLATORS: a license left out: key id (app): reason */
            g_print (_ ("  %s (%s): %s\n"), parts[0], parts[2], reason_words (parts[1]));
        }
    }
}

static gboolean
ask_consent (void)
{
  char answer[64];

  g_print (_ ("These licenses were backed up on another computer.\n"
              "Restoring them here binds (“individualizes”) them to this computer: they will "
              "play here, and each restore counts against the number of restores their issuer "
              "allows.\n"));
  g_print (_ ("Restore them and bind them to this computer? [y/N] "));
  fflush (stdout);
  if (fgets (answer, sizeof answer, stdin) == NULL)
    return FALSE;
  g_strstrip (answer);
  {
    /* TRANSLATORS: the answers that mean yes to the question above, separated by | */
    g_auto (GStrv) yes = g_strsplit (_ ("y|yes"), "|", -1);
    g_autofree char *lower = g_utf8_strdown (answer, -1);
    return g_strv_contains ((const char *const *) yes, lower) || g_str_equal (lower, "y");
  }
}

/* Nothing runs while the user is asked, so Ctrl-C keeps its default
 * meaning there: end the program. */
static gboolean
ask_consent_interruptible (guint *sigint, Follow *f)
{
  gboolean yes;

  g_source_remove (*sigint);
  yes = ask_consent ();
  *sigint = g_unix_signal_add (SIGINT, on_sigint, f);
  return yes;
}

static int
run_operation (
    LbCli *cli, gboolean restore, gboolean json, guint32 flags, gboolean yes, const char *location)
{
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr (GError) error = NULL;
  Follow f = { 0 };
  guint sigint;
  int rc;
  gboolean terminal = isatty (STDOUT_FILENO);

  f.cli = cli;
  f.restore = restore;
  f.json = json;
  f.loop = loop;
  f.restricted = g_ptr_array_new_with_free_func (g_free);
  g_signal_connect (cli->manager, restore ? "restore-progress" : "backup-progress",
                    G_CALLBACK (on_progress), &f);
  g_signal_connect (cli->manager, restore ? "restore-completed" : "backup-completed",
                    G_CALLBACK (on_completed), &f);
  g_signal_connect (cli->manager, "restricted-license", G_CALLBACK (on_restricted), &f);
  g_signal_connect (cli->manager, "app-counts", G_CALLBACK (on_app_counts), &f);
  g_signal_connect (cli->manager, "support-url", G_CALLBACK (on_support_url), &f);
  g_signal_connect (cli->manager, "notify::g-name-owner", G_CALLBACK (on_name_owner), &f);
  sigint = g_unix_signal_add (SIGINT, on_sigint, &f);

  for (;;)
    {
      if (!json)
        f.bar = lb_progress_bar_new (restore ? _ ("Restoring") : _ ("Backing up"), terminal);
      if (!start (&f, flags, location, &error))
        {
          rc = lb_cli_fail (cli, error);
          goto out;
        }
      g_main_loop_run (loop);
      if (f.service_lost)
        {
          if (f.bar != NULL)
            lb_progress_bar_end_line (f.bar);
          g_printerr (_ ("license-backup: the license backup service stopped during the "
                         "operation; run “license-backup status” to see what was kept\n"));
          rc = LB_EXIT_UNREACHABLE;
          goto out;
        }
      if (f.bar != NULL && f.status == 3)
        lb_progress_bar_finish (f.bar);
      else if (f.bar != NULL)
        lb_progress_bar_end_line (f.bar);
      if (restore && f.status == 8 && !f.interrupted && !(flags & FLAG_INDIVIDUALIZE)
          && (yes || (!json && isatty (STDIN_FILENO) && ask_consent_interruptible (&sigint, &f))))
        {
          flags |= FLAG_INDIVIDUALIZE;
          follow_reset (&f);
          continue;
        }
      break;
    }

  if (json)
    print_json (&f);
  if (f.interrupted)
    {
      if (!json)
        g_printerr (f.status == 3 ? _ ("license-backup: the operation had already finished\n")
                                  : _ ("license-backup: cancelled; nothing was changed\n"));
      rc = LB_EXIT_INTERRUPTED;
    }
  else if (f.status == 3)
    {
      if (!json)
        print_summary (&f);
      rc = LB_EXIT_OK;
    }
  else
    {
      const char *error_name = NULL;
      g_autofree char *message = NULL;

      g_variant_lookup (f.summary, "error-name", "&s", &error_name);
      rc = lb_cli_exit_for_error_name (error_name, &message, f.error);
      if (f.status == 6 && !json)
        print_summary (&f);
      if (!json)
        {
          if (f.status == 6 && f.support_url != NULL && f.support_url[0] != '\0')
            g_printerr (_ ("license-backup: Some licenses have been restored as often as their "
                           "issuer allows; visit %s to restore them\n"),
                        f.support_url);
          else
            g_printerr ("license-backup: %s\n", f.status == 6 ? f.error : message);
          if (cli->verbose)
            g_printerr ("license-backup: (%s: %s)\n", error_name, f.error);
        }
    }

out:
  g_source_remove (sigint);
  g_signal_handlers_disconnect_by_data (cli->manager, &f);
  follow_reset (&f);
  g_ptr_array_unref (f.restricted);
  return rc;
}

/* Parses the options of @context and the optional DIRECTORY into
 * *@location (NULL: the daemon's setting); LB_EXIT_OK or the usage
 * error's exit code. */
static int
parse_directory_arg (
    GOptionContext *context, const char *too_many, int argc, char **argv, char **location)
{
  g_autoptr (GError) error = NULL;

  if (!g_option_context_parse (context, &argc, &argv, &error))
    return lb_cli_usage (context, error->message);
  if (argc > 2)
    return lb_cli_usage (context, too_many);
  if (argc == 2 && argv[1][0] == '\0')
    return lb_cli_usage (context, _ ("DIRECTORY is empty; give a folder"));
  if (argc == 2)
    *location = lb_cli_location_from_arg (argv[1]);
  return LB_EXIT_OK;
}

int
lb_cmd_backup (LbCli *cli, int argc, char **argv)
{
  gboolean overwrite = FALSE, json = FALSE;
  const GOptionEntry entries[] = {
    { "overwrite", 0, 0, G_OPTION_ARG_NONE, &overwrite, N_ ("Replace a backup already there"),
      NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_ ("Print one JSON object at the end"), NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new (_ ("[DIRECTORY]"));
  g_autofree char *location = NULL;
  int rc;

  g_option_context_set_summary (context,
                                _ ("Back up every license that may be backed up into "
                                   "DIRECTORY/licenses.lbk (default: the backup-path setting).\n"
                                   "Ctrl-C cancels the backup and keeps the previous one."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if ((rc = parse_directory_arg (context, _ ("backup takes at most one DIRECTORY"), argc, argv,
                                 &location))
          != LB_EXIT_OK
      || (rc = lb_cli_connect (cli)) != LB_EXIT_OK)
    return rc;
  return run_operation (cli, FALSE, json, overwrite ? FLAG_OVERWRITE : 0, FALSE, location);
}

int
lb_cmd_restore (LbCli *cli, int argc, char **argv)
{
  gboolean individualize = FALSE, yes = FALSE, json = FALSE;
  const GOptionEntry entries[] = {
    { "individualize", 0, 0, G_OPTION_ARG_NONE, &individualize,
      N_ ("Bind licenses backed up on another computer to this one (your consent)"), NULL },
    { "yes", 'y', 0, G_OPTION_ARG_NONE, &yes,
      N_ ("Consent without asking if the backup comes from another computer"), NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_ ("Print one JSON object at the end"), NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new (_ ("[DIRECTORY]"));
  g_autofree char *location = NULL;
  int rc;

  g_option_context_set_summary (context,
                                _ ("Restore the licenses of DIRECTORY/licenses.lbk (default: the "
                                   "restore-path setting) that are missing from the store.\n"
                                   "A backup from another computer needs your consent: you are "
                                   "asked, or give it with --individualize or --yes."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if ((rc = parse_directory_arg (context, _ ("restore takes at most one DIRECTORY"), argc, argv,
                                 &location))
          != LB_EXIT_OK
      || (rc = lb_cli_connect (cli)) != LB_EXIT_OK)
    return rc;
  return run_operation (cli, TRUE, json, individualize ? FLAG_INDIVIDUALIZE : 0, yes, location);
}
