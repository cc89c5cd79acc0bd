/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The backup, restore and verify subcommands: start an operation, follow it to its
 * end through the library (which cancels it in the service when our
 * GCancellable is cancelled), and report. */
#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "passphrase.h"
#include "progress-bar.h"

typedef struct
{
  LbCli *cli;
  LbOperationType type;
  gboolean json;
  GMainLoop *loop;
  LbProgressBar *bar;
  GCancellable *cancellable; /* Ctrl-C cancels it */
  const char *generation;    /* a restore's or verify's, or NULL for the newest */
  GBytes *passphrase;        /* an encrypted backup's, or NULL: the keyring's */
  /* The operation id the service showed before ours started: progress of
   * that one is someone else's. */
  guint64 previous_id;
  GAsyncResult *async_result;

  gboolean interrupted;
} Follow;

static void
follow_reset (Follow *f)
{
  g_clear_object (&f->async_result);
  g_clear_pointer (&f->bar, lb_progress_bar_free);
}

/* The client's properties follow the service's while an operation runs. */
static void
on_progress (LbClient *client, GParamSpec *pspec, Follow *f)
{
  if (f->bar == NULL || f->async_result != NULL
      || lb_client_get_operation_id (client) == f->previous_id)
    return;
  lb_progress_bar_update (f->bar, lb_client_get_licenses_done (client),
                          lb_client_get_licenses_total (client));
}

static void
on_operation_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Follow *f = user_data;

  f->async_result = g_object_ref (result);
  g_main_loop_quit (f->loop);
}

static gboolean
on_sigint (gpointer user_data)
{
  Follow *f = user_data;

  if (f->interrupted)
    return G_SOURCE_CONTINUE;
  f->interrupted = TRUE;
  if (!f->json)
    g_printerr (_ ("\nCancelling…\n"));
  g_cancellable_cancel (f->cancellable);
  return G_SOURCE_CONTINUE;
}

/* Runs the operation to its end. Returns its result, also when it failed
 * (with *@error set then), or NULL when it never started or the service
 * stopped during it (*@lost). */
static LbOperationResult *
run_one (Follow *f, guint32 flags, const char *location, gboolean *lost, GError **error)
{
  LbClient *client = f->cli->client;
  LbOperationResult *result;

  f->previous_id = lb_client_get_operation_id (client);
  if (f->type == LB_OPERATION_TYPE_RESTORE)
    lb_client_restore_with_passphrase_async (client, (LbRestoreFlags) flags, location,
                                             f->generation, f->passphrase, f->cancellable,
                                             on_operation_done, f);
  else if (f->type == LB_OPERATION_TYPE_VERIFY)
    lb_client_verify_with_passphrase_async (client, (LbVerifyFlags) flags, location, f->generation,
                                            f->passphrase, f->cancellable, on_operation_done, f);
  else
    lb_client_backup_async (client, (LbBackupFlags) flags, location, f->cancellable,
                            on_operation_done, f);
  g_main_loop_run (f->loop);
  if (f->type == LB_OPERATION_TYPE_RESTORE)
    result = lb_client_restore_with_passphrase_finish (client, f->async_result, error);
  else if (f->type == LB_OPERATION_TYPE_VERIFY)
    result = lb_client_verify_with_passphrase_finish (client, f->async_result, error);
  else
    result = lb_client_backup_finish (client, f->async_result, error);
  if (result != NULL)
    return result;
  result = lb_client_get_failed_result (client, f->async_result);
  /* Started, but the service never said how it ended. */
  if (result != NULL && lb_operation_result_get_summary (result) == NULL)
    {
      *lost = TRUE;
      g_clear_object (&result);
    }
  return result;
}

/* The error a result that ended otherwise than LB_STATUS_END reports
 * (a restore that left licenses out for their limit returns a result);
 * NULL for one that succeeded. */
static GError *
result_error (LbOperationResult *result)
{
  GVariant *summary = lb_operation_result_get_summary (result);
  const char *name = NULL;
  GError *error;

  if (summary == NULL || !g_variant_lookup (summary, "error-name", "&s", &name))
    return NULL;
  /* The library registers its domain: this is an LB_ERROR. */
  error = g_dbus_error_new_for_dbus_error (name, lb_operation_result_get_message (result));
  g_dbus_error_strip_remote_error (error);
  return error;
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

static void
print_json (Follow *f, LbOperationResult *r, const GError *error)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_auto (GStrv) key_ids = lb_operation_result_get_restricted_key_ids (r);
  g_auto (GStrv) reasons = lb_operation_result_get_restricted_reasons (r);
  g_auto (GStrv) restricted_apps = lb_operation_result_get_restricted_apps (r);
  g_auto (GStrv) apps = lb_operation_result_get_apps (r);
  const char *support_url = lb_operation_result_get_support_url (r);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "operation");
  json_builder_add_int_value (b, (gint64) lb_operation_result_get_operation (r));
  json_builder_set_member_name (b, "kind");
  json_builder_add_string_value (b, lb_cli_operation_name (f->type));
  json_builder_set_member_name (b, "status");
  json_builder_add_int_value (b, lb_operation_result_get_status (r));
  json_builder_set_member_name (b, "error");
  json_builder_add_string_value (b, lb_operation_result_get_message (r));
  json_builder_set_member_name (b, "error-name");
  json_builder_add_string_value (b, error != NULL ? lb_error_get_dbus_name (error) : "");
  json_builder_set_member_name (b, "summary");
  {
    JsonNode *summary = json_gvariant_serialize (lb_operation_result_get_summary (r));

    if (support_url != NULL && JSON_NODE_HOLDS_OBJECT (summary))
      json_object_set_string_member (json_node_get_object (summary), "support-url", support_url);
    json_builder_add_value (b, summary);
  }
  json_builder_set_member_name (b, "restricted");
  json_builder_begin_array (b);
  for (guint i = 0; key_ids[i] != NULL; i++)
    {
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "key-id");
      json_builder_add_string_value (b, key_ids[i]);
      json_builder_set_member_name (b, "reason");
      json_builder_add_string_value (b, reasons[i]);
      json_builder_set_member_name (b, "app");
      json_builder_add_string_value (b, restricted_apps[i]);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  /* Licenses per app; empty when the service sent no counts (a failure). */
  json_builder_set_member_name (b, "apps");
  json_builder_begin_object (b);
  for (guint i = 0; apps[i] != NULL; i++)
    {
      json_builder_set_member_name (b, apps[i]);
      json_builder_add_int_value (b, lb_operation_result_get_app_licenses (r, apps[i]));
    }
  json_builder_end_object (b);
  json_builder_set_member_name (b, "interrupted");
  json_builder_add_boolean_value (b, f->interrupted);
  json_builder_end_object (b);
  lb_cli_print_json (json_builder_get_root (b));
}

/* "org.example.Player: 100, other apps: 20": the licenses of each app, by
 * app id and the host namespace last; NULL when only the host's were
 * involved, which the summary need not spell out. */
static char *
describe_app_counts (LbOperationResult *r)
{
  g_auto (GStrv) apps = lb_operation_result_get_apps (r); /* in byte order */
  g_autoptr (GString) s = g_string_new (NULL);
  guint host = 0, shown = 0;

  for (guint i = 0; apps[i] != NULL; i++)
    {
      guint n = lb_operation_result_get_app_licenses (r, apps[i]);

      if (apps[i][0] == '\0')
        host = n;
      else if (n > 0)
        g_string_append_printf (s, "%s%s: %u", shown++ > 0 ? ", " : "", apps[i], n);
    }
  if (shown == 0)
    return NULL;
  if (host > 0)
    /* TRANSLATORS: programs outside a sandbox, in a list such as
     * "org.example.Player: 100, other apps: 20" */
    g_string_append_printf (s, ", %s: %u", _ ("other apps"), host);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static void
print_summary (Follow *f, LbOperationResult *r)
{
  g_autofree char *per_app = describe_app_counts (r);
  guint licenses = (guint) lb_operation_result_get_licenses (r);
  guint already_present = lb_operation_result_get_already_present (r);
  guint individualized = lb_operation_result_get_individualized (r);
  const char *location = lb_operation_result_get_location (r);
  g_autofree char *size = g_format_size (lb_operation_result_get_bytes (r));
  g_autofree char *where = NULL;
  g_auto (GStrv) key_ids = lb_operation_result_get_restricted_key_ids (r);
  g_auto (GStrv) reasons = lb_operation_result_get_restricted_reasons (r);
  g_auto (GStrv) apps = lb_operation_result_get_restricted_apps (r);
  guint restricted = g_strv_length (key_ids);
  gboolean restore = f->type == LB_OPERATION_TYPE_RESTORE;

  {
    g_autoptr (GFile) file = g_file_new_for_uri (location != NULL ? location : "");
    where = g_file_get_parse_name (file);
  }
  if (!restore && per_app == NULL)
    g_print (g_dngettext (GETTEXT_PACKAGE, "Backed up %u license to %s (%s).\n",
                          "Backed up %u licenses to %s (%s).\n", licenses),
             licenses, where, size);
  else if (!restore)
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
             licenses, where, already_present, individualized);
  else
    /* TRANSLATORS: the last %s lists the licenses of each app */
    g_print (g_dngettext (GETTEXT_PACKAGE,
                          "Restored %u license from %s (%u already present, %u bound to this "
                          "computer; %s).\n",
                          "Restored %u licenses from %s (%u already present, %u bound to this "
                          "computer; %s).\n",
                          licenses),
             licenses, where, already_present, individualized, per_app);
  if (restricted > 0)
    {
      g_print (restore ? g_dngettext (GETTEXT_PACKAGE, "%u license could not be restored:\n",
                                      "%u licenses could not be restored:\n", restricted)
                       : g_dngettext (GETTEXT_PACKAGE, "%u license could not be backed up:\n",
                                      "%u licenses could not be backed up:\n", restricted),
               restricted);
      for (guint i = 0; i < restricted; i++)
        {
          if (apps[i][0] == '\0')
            g_print ("  %s: %s\n", key_ids[i], reason_words (reasons[i]));
          else
            /* TRANSLATORS: a license left out: key id (app): reason */
            g_print (_ ("  %s (%s): %s\n"), key_ids[i], apps[i], reason_words (reasons[i]));
        }
    }
}

/* The parse name of the backup file of @r, or NULL when the service did
 * not say. */
static char *
result_where (LbOperationResult *r)
{
  const char *location = lb_operation_result_get_location (r);
  g_autoptr (GFile) file = NULL;

  if (location == NULL || location[0] == '\0')
    return NULL;
  file = g_file_new_for_uri (location);
  return g_file_get_parse_name (file);
}

/* "Checked 40 licenses of 1 app in /path (5.1 kB, made on … by …): the
 * backup is whole." */
static void
print_verify_summary (LbOperationResult *r)
{
  guint licenses = (guint) lb_operation_result_get_licenses (r);
  guint apps = lb_operation_result_get_app_count (r);
  const char *host = lb_operation_result_get_host (r);
  g_autofree char *where = result_where (r);
  g_autofree char *size = g_format_size (lb_operation_result_get_bytes (r));
  g_autoptr (GDateTime) dt = g_date_time_new_from_unix_local (lb_operation_result_get_created (r));
  g_autofree char *when = dt != NULL && lb_operation_result_get_created (r) > 0
                              ? g_date_time_format (dt, "%c")
                              : g_strdup ("?");

  if (where == NULL)
    where = g_strdup ("?");
  if (host != NULL && host[0] != '\0' && apps == 1)
    /* TRANSLATORS: %u licenses, the backup file, its size, when it was made, the computer's name */
    g_print (g_dngettext (GETTEXT_PACKAGE,
                          "Checked %u license of 1 app in %s (%s, made on %s by %s): the backup "
                          "is whole.\n",
                          "Checked %u licenses of 1 app in %s (%s, made on %s by %s): the backup "
                          "is whole.\n",
                          licenses),
             licenses, where, size, when, host);
  else if (host != NULL && host[0] != '\0')
    /* TRANSLATORS: %u licenses, %u apps (more than one), the backup file, its size, when it
     * was made, the computer's name */
    g_print (g_dngettext (GETTEXT_PACKAGE,
                          "Checked %u license of %u apps in %s (%s, made on %s by %s): the "
                          "backup is whole.\n",
                          "Checked %u licenses of %u apps in %s (%s, made on %s by %s): the "
                          "backup is whole.\n",
                          licenses),
             licenses, apps, where, size, when, host);
  else if (apps == 1)
    /* TRANSLATORS: %u licenses, the backup file, its size, when it was made */
    g_print (g_dngettext (GETTEXT_PACKAGE,
                          "Checked %u license of 1 app in %s (%s, made on %s): the backup is "
                          "whole.\n",
                          "Checked %u licenses of 1 app in %s (%s, made on %s): the backup is "
                          "whole.\n",
                          licenses),
             licenses, where, size, when);
  else
    /* TRANSLATORS: %u licenses, %u apps (none or more than one), the backup file, its size,
     * when it was made */
    g_print (g_dngettext (GETTEXT_PACKAGE,
                          "Checked %u license of %u apps in %s (%s, made on %s): the backup is "
                          "whole.\n",
                          "Checked %u licenses of %u apps in %s (%s, made on %s): the backup is "
                          "whole.\n",
                          licenses),
             licenses, apps, where, size, when);
}

/* A check that found the backup damaged: which file, and its first
 * damaged entry. */
static void
print_verify_damaged (LbOperationResult *r)
{
  g_autofree char *where = result_where (r);
  const char *entry = lb_operation_result_get_damaged_entry (r);

  if (where != NULL && entry != NULL)
    /* TRANSLATORS: the backup file, then the entry of it that is damaged */
    g_printerr (_ ("license-backup: The backup %s is damaged: its entry %s does not match its "
                   "checksum or cannot be read. Make a new backup, or restore an older one "
                   "(“license-backup generations” lists them)\n"),
                where, entry);
  else if (where != NULL)
    g_printerr (_ ("license-backup: The backup %s is damaged. Make a new backup, or restore an "
                   "older one (“license-backup generations” lists them)\n"),
                where);
  else
    g_printerr (_ ("license-backup: The backup is damaged. Make a new backup, or restore an "
                   "older one (“license-backup generations” lists them)\n"));
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

/* How many times a wrong passphrase is asked again. */
#define PASSPHRASE_TRIES 3

/* After an encrypted backup refused the passphrase (or needed one):
 * whether to try again, with f->passphrase asked on the terminal. Else
 * *@rc says how to exit, the reason printed. */
static gboolean
ask_passphrase_again (
    Follow *f, const GError *error, gboolean from_fd, guint *tries, guint *sigint, int *rc)
{
  gboolean bad = g_error_matches (error, LB_ERROR, LB_ERROR_BAD_PASSPHRASE);
  g_autoptr (GBytes) passphrase = NULL;
  g_autofree char *prompt = NULL;

  if (from_fd || f->interrupted)
    return FALSE; /* lb_cli_fail() says what the service said */
  if (!lb_cli_can_prompt ())
    {
      g_printerr (bad ? _ ("license-backup: The passphrase your keyring keeps does not open this "
                           "backup, and there is no terminal to ask for another; give it with "
                           "--passphrase-fd N (read from file descriptor N)\n")
                      : _ ("license-backup: This backup is encrypted, and there is no terminal to "
                           "ask for its passphrase; give it with --passphrase-fd N (read from file "
                           "descriptor N)\n"));
      *rc = LB_EXIT_PASSPHRASE_NEEDED;
      return FALSE;
    }
  if (*tries >= PASSPHRASE_TRIES)
    {
      g_printerr (_ ("license-backup: The passphrase does not open this backup; nothing was "
                     "changed\n"));
      *rc = LB_EXIT_BAD_PASSPHRASE;
      return FALSE;
    }
  /* On the terminal, with the prompt. */
  prompt = g_strconcat (bad && f->passphrase != NULL
                            ? _ ("That passphrase does not open the backup; try again.")
                        : bad ? _ ("This backup is encrypted with another passphrase than the one "
                                   "your keyring keeps.")
                              : _ ("This backup is encrypted."),
                        "\n", _ ("Passphrase of the backup: "), NULL);
  /* Nothing runs while the user types: Ctrl-C ends the program (the
   * prompt gives the terminal its echo back first). */
  g_source_remove (*sigint);
  passphrase = lb_cli_prompt_passphrase (prompt);
  *sigint = g_unix_signal_add (SIGINT, on_sigint, f);
  if (passphrase == NULL)
    {
      *rc = LB_EXIT_PASSPHRASE_NEEDED;
      return FALSE;
    }
  (*tries)++;
  g_clear_pointer (&f->passphrase, g_bytes_unref);
  f->passphrase = g_steal_pointer (&passphrase);
  return TRUE;
}

/* An automatic backup that was not due: what the service said, and
 * success. */
static int
report_not_due (gboolean json, const GError *error)
{
  if (json)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "kind");
      json_builder_add_string_value (b, "backup");
      json_builder_set_member_name (b, "due");
      json_builder_add_boolean_value (b, FALSE);
      json_builder_set_member_name (b, "message");
      json_builder_add_string_value (b, error->message);
      json_builder_end_object (b);
      lb_cli_print_json (json_builder_get_root (b));
    }
  else
    g_print ("%s\n", error->message);
  return LB_EXIT_OK;
}

/* @s as one word for a shell command the user may copy: as it is when
 * nothing in it is special to a shell, else quoted. */
static char *
shell_word (const char *s)
{
  for (const char *p = s; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && strchr ("._/:@%+=,-", *p) == NULL)
      return g_shell_quote (s);
  return g_strdup (s);
}

static int
run_operation (LbCli *cli,
               LbOperationType type,
               gboolean json,
               guint32 flags,
               gboolean yes,
               const char *location,
               const char *generation,
               int passphrase_fd)
{
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (LbOperationResult) result = NULL;
  Follow f = { 0 };
  guint sigint;
  int rc;
  gboolean terminal = isatty (STDOUT_FILENO);
  LbStatus status = LB_STATUS_ERROR;
  guint tries = 0;

  f.cli = cli;
  f.type = type;
  f.json = json;
  f.loop = loop;
  f.cancellable = cancellable;
  f.generation = generation;
  if (passphrase_fd >= 0 && (f.passphrase = lb_cli_passphrase_from_fd (passphrase_fd)) == NULL)
    return LB_EXIT_FAILED;
  g_signal_connect (cli->client, "notify::licenses-done", G_CALLBACK (on_progress), &f);
  g_signal_connect (cli->client, "notify::licenses-total", G_CALLBACK (on_progress), &f);
  sigint = g_unix_signal_add (SIGINT, on_sigint, &f);

  for (;;)
    {
      gboolean lost = FALSE;

      if (!json)
        f.bar = lb_progress_bar_new (type == LB_OPERATION_TYPE_RESTORE  ? _ ("Restoring")
                                     : type == LB_OPERATION_TYPE_VERIFY ? _ ("Checking")
                                                                        : _ ("Backing up"),
                                     terminal);
      result = run_one (&f, flags, location, &lost, &error);
      if (lost)
        {
          if (f.bar != NULL)
            lb_progress_bar_end_line (f.bar);
          g_printerr (_ ("license-backup: The license backup service stopped during the "
                         "operation; run “license-backup status” to see what was kept\n"));
          rc = LB_EXIT_UNREACHABLE;
          goto out;
        }
      if ((g_error_matches (error, LB_ERROR, LB_ERROR_PASSPHRASE_REQUIRED)
           || g_error_matches (error, LB_ERROR, LB_ERROR_BAD_PASSPHRASE))
          && type != LB_OPERATION_TYPE_BACKUP)
        {
          rc = LB_EXIT_OK;
          if (f.bar != NULL)
            lb_progress_bar_end_line (f.bar);
          if (ask_passphrase_again (&f, error, passphrase_fd >= 0, &tries, &sigint, &rc))
            {
              follow_reset (&f);
              g_clear_object (&result);
              g_clear_error (&error);
              continue;
            }
          /* Said already; --json still prints how the operation ended. */
          if (rc != LB_EXIT_OK && !(json && result != NULL))
            goto out;
        }
      if (result == NULL)
        {
          if (f.bar != NULL)
            lb_progress_bar_end_line (f.bar);
          rc = type == LB_OPERATION_TYPE_BACKUP && (flags & LB_BACKUP_FLAGS_AUTOMATIC)
                       && g_error_matches (error, LB_ERROR, LB_ERROR_NOT_DUE)
                   ? report_not_due (json, error)
                   : lb_cli_fail (cli, error);
          goto out;
        }
      status = lb_operation_result_get_status (result);
      if (f.bar != NULL && status == LB_STATUS_END)
        {
          /* A quick operation may end before any progress reached the bar:
           * the service sends the final properties before the result, so
           * the client's hold this operation's last count. */
          lb_progress_bar_update (f.bar, lb_client_get_licenses_done (cli->client),
                                  lb_client_get_licenses_total (cli->client));
          lb_progress_bar_finish (f.bar);
        }
      else if (f.bar != NULL)
        lb_progress_bar_end_line (f.bar);
      if (type == LB_OPERATION_TYPE_RESTORE
          && g_error_matches (error, LB_ERROR, LB_ERROR_NEEDS_INDIVIDUALIZATION) && !f.interrupted
          && !(flags & LB_RESTORE_FLAGS_INDIVIDUALIZE)
          && (yes || (!json && isatty (STDIN_FILENO) && ask_consent_interruptible (&sigint, &f))))
        {
          flags |= LB_RESTORE_FLAGS_INDIVIDUALIZE;
          follow_reset (&f);
          g_clear_object (&result);
          g_clear_error (&error);
          continue;
        }
      break;
    }

  /* A restore that left licenses out for their limit ended with a result
   * and the service's error. */
  if (error == NULL)
    error = result_error (result);
  if (json)
    print_json (&f, result, error);
  if (f.interrupted)
    {
      if (!json)
        g_printerr (status == LB_STATUS_END
                        ? _ ("license-backup: The operation had already finished\n")
                        : _ ("license-backup: Cancelled; nothing was changed\n"));
      rc = LB_EXIT_INTERRUPTED;
    }
  else if (status == LB_STATUS_END)
    {
      if (!json && type == LB_OPERATION_TYPE_VERIFY)
        print_verify_summary (result);
      else if (!json)
        print_summary (&f, result);
      rc = LB_EXIT_OK;
    }
  else
    {
      const char *text = lb_operation_result_get_message (result);
      const char *support_url = lb_operation_result_get_support_url (result);
      g_autofree char *message = NULL;

      rc = lb_cli_exit_for_error (error, &message, text);
      if (status == LB_STATUS_ERROR_WITHURL && !json)
        print_summary (&f, result);
      if (!json)
        {
          gboolean corrupt = g_error_matches (error, LB_ERROR, LB_ERROR_BACKUP_CORRUPT);

          if (corrupt && type == LB_OPERATION_TYPE_VERIFY)
            print_verify_damaged (result);
          else if (corrupt && lb_operation_result_get_whole_generation (result) != NULL)
            {
              /* The service's message names the newest whole backup and
               * ends "restore it by its name"; the command is ours to say. */
              const char *whole = lb_operation_result_get_whole_generation (result);
              g_autofree char *quoted = shell_word (whole);

              if (location != NULL)
                {
                  g_autofree char *quoted_location = shell_word (location);

                  /* TRANSLATORS: the service's message, then the command
                   * that restores the backup it names */
                  g_printerr (_ ("license-backup: %s (“license-backup restore --generation %s "
                                 "%s”)\n"),
                              text, quoted, quoted_location);
                }
              else
                /* TRANSLATORS: the service's message, then the command that
                 * restores the backup it names */
                g_printerr (_ ("license-backup: %s (“license-backup restore --generation %s”)\n"),
                            text, quoted);
            }
          else if (status == LB_STATUS_ERROR_WITHURL && support_url != NULL
                   && support_url[0] != '\0')
            g_printerr (_ ("license-backup: Some licenses have been restored as often as their "
                           "issuer allows; visit %s to restore them\n"),
                        support_url);
          else
            g_printerr ("license-backup: %s\n", status == LB_STATUS_ERROR_WITHURL ? text : message);
          if (cli->verbose)
            g_printerr ("license-backup: (%s: %s)\n",
                        error != NULL ? lb_error_get_dbus_name (error) : "", text);
        }
    }

out:
  g_source_remove (sigint);
  g_signal_handlers_disconnect_by_data (cli->client, &f);
  follow_reset (&f);
  g_clear_pointer (&f.passphrase, g_bytes_unref);
  return rc;
}

/* Parses the arguments of a command on a folder: the options @entries
 * (NULL: none), --json (described by @json_help) into *@json, and the
 * optional DIRECTORY into *@location (NULL: the daemon's setting). Sets
 * *@context, for later usage errors; returns LB_EXIT_OK or the usage
 * error's exit code. */
static int
parse_folder_args (GOptionContext **context,
                   const char *summary,
                   const GOptionEntry *entries,
                   gboolean *json,
                   const char *json_help,
                   const char *too_many,
                   int argc,
                   char **argv,
                   char **location)
{
  const GOptionEntry json_entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, json, json_help, NULL },
    { NULL },
  };
  int rc;

  *context = lb_cli_context_new (_ ("[DIRECTORY]"), summary, entries);
  /* The group copies the entries. */
  g_option_context_add_main_entries (*context, json_entries, GETTEXT_PACKAGE);
  if ((rc = lb_cli_parse (*context, &argc, &argv, 0, 1, too_many)) != LB_EXIT_OK)
    return rc;
  if (argc == 2 && argv[1][0] == '\0')
    return lb_cli_usage (*context, _ ("DIRECTORY is empty; give a folder"));
  if (argc == 2)
    *location = lb_cli_location_from_arg (argv[1]);
  return LB_EXIT_OK;
}

int
lb_cmd_backup (LbCli *cli, int argc, char **argv)
{
  gboolean overwrite = FALSE, json = FALSE, automatic = FALSE;
  const GOptionEntry entries[] = {
    { "overwrite", 0, 0, G_OPTION_ARG_NONE, &overwrite,
      N_ ("Add a backup to a folder that holds backups (the oldest beyond keep-backups go)"),
      NULL },
    { "automatic", 0, 0, G_OPTION_ARG_NONE, &automatic,
      N_ ("Back up into the backup folder only if an automatic backup is due (the timer runs "
          "this)"),
      NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) context = NULL;
  g_autofree char *location = NULL;
  int rc;

  if ((rc = parse_folder_args (&context,
                               _ ("Back up every license that may be backed up into a new "
                                  "file of DIRECTORY (default: the backup-path setting), "
                                  "licenses-TIME.lbk; the folder keeps the last keep-backups "
                                  "backups.\n"
                                  "Ctrl-C cancels the backup and keeps the previous ones.\n"
                                  "With --automatic, backs up only when an automatic backup is "
                                  "due, and otherwise says why and exits 0."),
                               entries, &json, N_ ("Print one JSON object at the end"),
                               _ ("backup takes at most one DIRECTORY"), argc, argv, &location))
      != LB_EXIT_OK)
    return rc;
  if (automatic && location != NULL)
    return lb_cli_usage (context,
                         _ ("--automatic backs up into the backup folder; leave out DIRECTORY"));
  if ((rc = lb_cli_connect (cli)) != LB_EXIT_OK)
    return rc;
  return run_operation (cli, LB_OPERATION_TYPE_BACKUP, json,
                        (overwrite ? LB_BACKUP_FLAGS_OVERWRITE : LB_BACKUP_FLAGS_NONE)
                            | (automatic ? LB_BACKUP_FLAGS_AUTOMATIC : LB_BACKUP_FLAGS_NONE),
                        FALSE, location, NULL, -1);
}

int
lb_cmd_restore (LbCli *cli, int argc, char **argv)
{
  gboolean individualize = FALSE, yes = FALSE, json = FALSE;
  int passphrase_fd = -1;
  g_autofree char *generation = NULL;
  const GOptionEntry entries[] = {
    { "generation", 'g', 0, G_OPTION_ARG_STRING, &generation,
      N_ ("Restore this backup of the folder (“license-backup generations” lists them) rather "
          "than the newest"),
      N_ ("NAME") },
    { "individualize", 0, 0, G_OPTION_ARG_NONE, &individualize,
      N_ ("Bind licenses backed up on another computer to this one (your consent)"), NULL },
    { "yes", 'y', 0, G_OPTION_ARG_NONE, &yes,
      N_ ("Consent without asking if the backup comes from another computer"), NULL },
    { "passphrase-fd", 0, 0, G_OPTION_ARG_INT, &passphrase_fd,
      N_ ("Read the passphrase of an encrypted backup from file descriptor N instead of asking"),
      N_ ("N") },
    { NULL },
  };
  g_autoptr (GOptionContext) context = NULL;
  g_autofree char *location = NULL;
  int rc;

  if ((rc = parse_folder_args (&context,
                               _ ("Restore the licenses of the newest backup in DIRECTORY "
                                  "(default: the restore-path setting) that are missing from "
                                  "the store.\n"
                                  "A backup from another computer needs your consent: you are "
                                  "asked, or give it with --individualize or --yes.\n"
                                  "An encrypted backup needs its passphrase: the one your keyring "
                                  "keeps, else you are asked on the terminal (three tries), or "
                                  "give it with --passphrase-fd."),
                               entries, &json, N_ ("Print one JSON object at the end"),
                               _ ("restore takes at most one DIRECTORY"), argc, argv, &location))
          != LB_EXIT_OK
      || (rc = lb_cli_connect (cli)) != LB_EXIT_OK)
    return rc;
  /* Say where from when the folder comes from the settings. */
  if (location == NULL && !json)
    {
      const char *restore_path = lb_client_get_restore_path (cli->client);
      const char *backup_path = lb_client_get_backup_path (cli->client);

      if (restore_path[0] != '\0')
        g_print (_ ("Restoring from %s (the restore folder).\n"), restore_path);
      else if (backup_path[0] != '\0')
        g_print (_ ("Restoring from %s (the backup folder: no restore folder is set).\n"),
                 backup_path);
    }
  return run_operation (cli, LB_OPERATION_TYPE_RESTORE, json,
                        individualize ? LB_RESTORE_FLAGS_INDIVIDUALIZE : LB_RESTORE_FLAGS_NONE, yes,
                        location, generation, passphrase_fd);
}

int
lb_cmd_verify (LbCli *cli, int argc, char **argv)
{
  gboolean json = FALSE;
  int passphrase_fd = -1;
  g_autofree char *generation = NULL;
  const GOptionEntry entries[] = {
    { "generation", 'g', 0, G_OPTION_ARG_STRING, &generation,
      N_ ("Check this backup of the folder (“license-backup generations” lists them) rather "
          "than the newest"),
      N_ ("NAME") },
    { "passphrase-fd", 0, 0, G_OPTION_ARG_INT, &passphrase_fd,
      N_ ("Read the passphrase of an encrypted backup from file descriptor N instead of asking"),
      N_ ("N") },
    { NULL },
  };
  g_autoptr (GOptionContext) context = NULL;
  g_autofree char *location = NULL;
  int rc;

  if ((rc = parse_folder_args (&context,
                               _ ("Check that the newest backup in DIRECTORY (default: the "
                                  "folder a restore reads) is whole, without restoring it: the "
                                  "service reads the whole file and checks every entry, and "
                                  "writes nothing.\n"
                                  "A damaged backup exits with status 5 and names the first "
                                  "damaged entry; “license-backup generations” shows when each "
                                  "backup was last checked."),
                               entries, &json, N_ ("Print one JSON object at the end"),
                               _ ("verify takes at most one DIRECTORY"), argc, argv, &location))
          != LB_EXIT_OK
      || (rc = lb_cli_connect (cli)) != LB_EXIT_OK)
    return rc;
  return run_operation (cli, LB_OPERATION_TYPE_VERIFY, json, LB_VERIFY_FLAGS_NONE, FALSE, location,
                        generation, passphrase_fd);
}

int
lb_cmd_generations (LbCli *cli, int argc, char **argv)
{
  gboolean json = FALSE;
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) backups = NULL;
  g_autofree char *location = NULL;
  g_autoptr (JsonBuilder) b = NULL;
  guint newest_era = 0;
  int rc;

  if ((rc
       = parse_folder_args (&context,
                            _ ("List the backups in DIRECTORY (default: the folder a restore "
                               "reads), newest first. “license-backup restore --generation "
                               "NAME” restores one of them."),
                            NULL, &json, N_ ("Print one JSON object"),
                            _ ("generations takes at most one DIRECTORY"), argc, argv, &location))
          != LB_EXIT_OK
      || (rc = lb_cli_connect (cli)) != LB_EXIT_OK)
    return rc;
  backups = lb_client_list_backups_sync (cli->client, location, NULL, &error);
  if (backups == NULL)
    return lb_cli_fail (cli, error);

  if (json)
    {
      b = json_builder_new ();
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "backups");
      json_builder_begin_array (b);
    }
  else if (backups->len == 0)
    g_print (_ ("No backups in this folder.\n"));
  /* A backup of an era below the newest listed one needs an older
   * passphrase (the service publishes eras, never the passphrases; the
   * newest listed need not be the current one). */
  for (guint i = 0; i < backups->len; i++)
    newest_era = MAX (newest_era, lb_backup_get_passphrase_era (backups->pdata[i]));
  for (guint i = 0; i < backups->len; i++)
    {
      LbBackup *backup = backups->pdata[i];
      const char *name = lb_backup_get_name (backup);
      gint64 time = lb_backup_get_time (backup);
      guint64 bytes = lb_backup_get_bytes (backup);
      /* When it was really made and by which computer, from its manifest
       * (the name orders the backups; it need not be the time); a backup
       * whose manifest cannot be read has no format version. */
      gboolean has_created = lb_backup_get_format_version (backup) != 0;
      gint64 created = lb_backup_get_created (backup);
      const char *host = lb_backup_get_host (backup);
      gboolean this_machine = lb_backup_get_this_machine (backup);
      /* When the service last checked it, and what it found. */
      gint64 verified = lb_backup_get_verified (backup);
      const char *verify_error = lb_backup_get_verify_error (backup);
      /* Encrypted, and with which of this computer's passphrases: a
       * count, nothing of the passphrase itself. */
      gboolean encrypted = lb_backup_get_encrypted (backup);
      guint era = lb_backup_get_passphrase_era (backup);

      if (json)
        {
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "name");
          json_builder_add_string_value (b, name);
          json_builder_set_member_name (b, "time");
          json_builder_add_int_value (b, time);
          json_builder_set_member_name (b, "bytes");
          json_builder_add_int_value (b, (gint64) bytes);
          if (has_created)
            {
              json_builder_set_member_name (b, "created");
              json_builder_add_int_value (b, created);
              json_builder_set_member_name (b, "host");
              json_builder_add_string_value (b, host != NULL ? host : "");
              json_builder_set_member_name (b, "this_machine");
              json_builder_add_boolean_value (b, this_machine);
            }
          json_builder_set_member_name (b, "verified");
          json_builder_add_int_value (b, verified);
          json_builder_set_member_name (b, "verify_error");
          json_builder_add_string_value (b, verify_error != NULL ? verify_error : "");
          json_builder_set_member_name (b, "encrypted");
          json_builder_add_boolean_value (b, encrypted);
          json_builder_set_member_name (b, "passphrase_era");
          json_builder_add_int_value (b, era);
          json_builder_end_object (b);
        }
      else
        {
          g_autoptr (GDateTime) dt = g_date_time_new_from_unix_local (has_created ? created : time);
          g_autofree char *when = dt != NULL ? g_date_time_format (dt, "%c") : g_strdup ("?");
          g_autofree char *size = g_format_size (bytes);
          g_autofree char *from = NULL;
          g_autofree char *checked = NULL;
          g_autofree char *sealed = NULL;

          if (verified <= 0)
            checked = g_strdup (_ ("not checked"));
          else
            {
              g_autoptr (GDateTime) vdt = g_date_time_new_from_unix_local (verified);
              g_autofree char *vwhen
                  = vdt != NULL ? g_date_time_format (vdt, "%c") : g_strdup ("?");

              if (verify_error == NULL || verify_error[0] == '\0')
                /* TRANSLATORS: %s is when the backup was last checked */
                checked = g_strdup_printf (_ ("checked %s: whole"), vwhen);
              else
                /* TRANSLATORS: when the backup was last checked, then what was found */
                checked = g_strdup_printf (_ ("checked %s: damaged: %s"), vwhen, verify_error);
            }
          if (!has_created && encrypted)
            from = g_strdup (_ ("its details are encrypted"));
          else if (!has_created)
            from = g_strdup (_ ("its manifest cannot be read"));
          else if (host == NULL || host[0] == '\0')
            from = g_strdup (this_machine ? _ ("this computer") : _ ("another computer"));
          else if (this_machine)
            /* TRANSLATORS: %s is the computer's name, e.g. “Anna's Laptop” */
            from = g_strdup_printf (_ ("%s, this computer"), host);
          else
            from = g_strdup (host);
          if (encrypted && era == 0)
            sealed = g_strdup (_ ("  encrypted"));
          else if (encrypted && era < newest_era)
            /* TRANSLATORS: %u counts the passphrases set on this computer (1 for the first) */
            sealed = g_strdup_printf (_ ("  encrypted with passphrase %u, an older one"), era);
          else if (encrypted)
            /* TRANSLATORS: %u counts the passphrases set on this computer (1 for the first) */
            sealed = g_strdup_printf (_ ("  encrypted with passphrase %u"), era);
          g_print ("%s  %s  %s  %s  %s%s%s\n", name, when, size, from, checked,
                   sealed != NULL ? sealed : "",
                   i == 0 ? _ ("  (newest: restored by default)") : "");
        }
    }
  if (json)
    {
      json_builder_end_array (b);
      json_builder_end_object (b);
      lb_cli_print_json (json_builder_get_root (b));
    }
  return LB_EXIT_OK;
}
