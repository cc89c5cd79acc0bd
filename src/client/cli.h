/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cli: what the license-backup client's subcommands share.
 *
 * The client talks to the service only through liblicense-backup-1
 * (LbClient), whose constants and error codes say what the service's
 * numbers and errors mean. Each subcommand is a function taking the parsed
 * arguments after its name and returning the process exit status.
 */
#pragma once

#include <gio/gio.h>

#include <license-backup/license-backup.h>

G_BEGIN_DECLS

/* Exit statuses, documented in --help and the man page. */
typedef enum
{
  LB_EXIT_OK = 0,
  LB_EXIT_FAILED = 1,
  LB_EXIT_USAGE = 2,
  LB_EXIT_BUSY = 3,
  LB_EXIT_BACKUP_EXISTS = 4,
  LB_EXIT_BACKUP_CORRUPT = 5,
  LB_EXIT_NOT_SET = 6,
  LB_EXIT_NEEDS_INDIVIDUALIZATION = 7,
  LB_EXIT_RESTORE_LIMIT = 8,
  LB_EXIT_CANCELLED = 9,
  LB_EXIT_NO_SPACE = 10,
  LB_EXIT_UNREACHABLE = 11,
  LB_EXIT_PERMISSION_DENIED = 12,
  LB_EXIT_PASSPHRASE_NEEDED = 13,
  LB_EXIT_BAD_PASSPHRASE = 14,
  LB_EXIT_INTERRUPTED = 130,
} LbExit;

typedef struct
{
  gboolean verbose;
  LbClient *client;
} LbCli;

/* Connects to the service on the session bus (D-Bus activation starts
 * it). Returns an exit status; LB_EXIT_OK on success. */
int lb_cli_connect (LbCli *cli);
void lb_cli_clear (LbCli *cli);

/* Prints "license-backup: <what to do>" for a failed call and returns the
 * exit status for it. */
int lb_cli_fail (LbCli *cli, const GError *error);
/* The exit status and a one-line, translated explanation for an error of
 * the library (LB_ERROR) or the bus (a NULL message falls back to
 * @fallback). */
int lb_cli_exit_for_error (const GError *error, char **message, const char *fallback);
/* What is wrong with a file, for "Cannot read FILE: REASON": a few words
 * in the user's terms from a GIO or GLib file error's code, else the end
 * of its message, never GIO's own sentence that names the file again. */
char *lb_cli_file_error_reason (const GError *error);
/* The D-Bus name of @error for --verbose, or NULL. */
char *lb_cli_error_name (const GError *error);

/* Prints a usage error for @context and returns LB_EXIT_USAGE. */
int lb_cli_usage (GOptionContext *context, const char *message);
/* A subcommand's options: its @parameter_string (NULL: none) and @summary
 * for --help, and @entries (NULL: none), translated in GETTEXT_PACKAGE. */
GOptionContext *
lb_cli_context_new (const char *parameter_string, const char *summary, const GOptionEntry *entries);
/* Parses the options of @context out of *@argc and *@argv, which then
 * hold the subcommand's name and its @min to @max arguments. Returns
 * LB_EXIT_OK, or prints a usage error (@wrong_count for a wrong number of
 * arguments) and returns LB_EXIT_USAGE. */
int lb_cli_parse (
    GOptionContext *context, int *argc, char ***argv, int min, int max, const char *wrong_count);

/* A location argument as the service wants it: an absolute path or a URI. */
char *lb_cli_location_from_arg (const char *arg);

/* "Backup finished", "Restore failed: ..." for a status and the type of
 * the operation it is about. */
char *lb_cli_describe_status (LbOperationType type, LbStatus status, const char *error);

/* "backup", "restore", "verify": the service's name of @type (as --json prints it). */
const char *lb_cli_operation_name (LbOperationType type);

/* "daily", "weekly"…: the service's name of @automatic. */
const char *lb_cli_automatic_nick (LbAutomaticBackup automatic);
/* "in 3 days", "in 5 hours" for a time @seconds ahead. */
char *lb_cli_describe_in (gint64 seconds);
/* "weekly; next backup in 3 days", "off"… */
char *lb_cli_describe_automatic (LbClient *client);

/* The subcommands */
int lb_cmd_status (LbCli *cli, int argc, char **argv);
int lb_cmd_config (LbCli *cli, int argc, char **argv);
int lb_cmd_cancel (LbCli *cli, int argc, char **argv);
int lb_cmd_backup (LbCli *cli, int argc, char **argv);
int lb_cmd_restore (LbCli *cli, int argc, char **argv);
int lb_cmd_verify (LbCli *cli, int argc, char **argv);
int lb_cmd_list (LbCli *cli, int argc, char **argv);
int lb_cmd_import (LbCli *cli, int argc, char **argv);
int lb_cmd_export (LbCli *cli, int argc, char **argv);
int lb_cmd_delete (LbCli *cli, int argc, char **argv);
int lb_cmd_clean (LbCli *cli, int argc, char **argv);
int lb_cmd_apps (LbCli *cli, int argc, char **argv);
int lb_cmd_generations (LbCli *cli, int argc, char **argv);

/* Prints @node as one line of JSON on stdout and frees it. */
void lb_cli_print_json (gpointer json_node);

G_END_DECLS
