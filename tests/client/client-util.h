/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* client-util: what the tests of the license-backup client share: the
 * fixture (a bus, machines, daemons), running the client and judging what
 * it printed, its JSON, licenses and files, and the German translation.
 * The test cases are in test-client-<group>.c, one file per group of
 * commands; test-client.c registers them. */
#pragma once

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <license-backup/license-backup.h>

#include "lb-test-util.h"
#include "store.h"

#ifndef LB_CLIENT_PATH
#error "LB_CLIENT_PATH must be defined (the build-tree license-backup)"
#endif
#ifndef LB_BUILD_LOCALEDIR
#error "LB_BUILD_LOCALEDIR must be defined (the build tree's po directory)"
#endif
#ifndef LB_SOURCE_PO_DIR
#error "LB_SOURCE_PO_DIR must be defined (the source tree's po directory)"
#endif

/* The client's exit statuses, from `license-backup --help` (src/client/cli.h). */
enum
{
  EXIT_OK = 0,
  EXIT_FAILED = 1,
  EXIT_USAGE = 2,
  EXIT_BUSY = 3,
  EXIT_BACKUP_EXISTS = 4,
  EXIT_BACKUP_CORRUPT = 5,
  EXIT_NOT_SET = 6,
  EXIT_NEEDS_INDIVIDUALIZATION = 7,
  EXIT_RESTORE_LIMIT = 8,
  EXIT_CANCELLED = 9,
  EXIT_NO_SPACE = 10,
  EXIT_UNREACHABLE = 11,
  EXIT_PERMISSION_DENIED = 12,
  EXIT_PASSPHRASE_NEEDED = 13,
  EXIT_BAD_PASSPHRASE = 14,
  EXIT_INTERRUPTED = 130,
};

/* How long one client run may take before the test gives up on it. */
#define CLIENT_TIMEOUT_MS 30000

/* The slow daemon: 10 ms per license, so 150 licenses take about 1.5 s. */
#define SLOW_DELAY_US 10000
#define SLOW_LICENSES 150
/* For operations a test cancels or interrupts: up to 4 s, so that a loaded
 * machine still catches them running. */
#define LONG_LICENSES 400

/* Fixture */

typedef enum
{
  SETUP_NONE,   /* a work directory only: no bus */
  SETUP_BUS,    /* a bus and machine "a", no daemon */
  SETUP_DAEMON, /* a daemon on machine "a" */
} SetupKind;

typedef enum
{
  DAEMON_FAST = 0,
  DAEMON_SLOW = 1 << 0,    /* LB_FAULT_DELAY_US=SLOW_DELAY_US */
  DAEMON_GERMAN = 1 << 1,  /* the daemon and the clients speak German */
  DAEMON_KEYRING = 1 << 2, /* gnome-keyring-daemon on the bus first (encrypted backups) */
} DaemonKind;

typedef struct _Fixture Fixture;
typedef void (*TestFunc) (Fixture *f, gconstpointer arg);

typedef struct
{
  const char *path; /* "group/name" */
  SetupKind setup;
  DaemonKind daemon;
  TestFunc func;
  gconstpointer arg; /* for lb_test_add_cases(); none of the tests takes one */
} TestCase;

struct _Fixture
{
  const TestCase *tc;
  LbTestBus *bus;
  LbTestMachine *machines[3]; /* "a", "b", "c", made on demand */
  LbTestMachine *current;     /* the machine whose daemon runs */
  LbDBusStore *store;
  LbDBusManager *manager;
  char *work; /* a scratch directory, the clients' working directory */
  GPtrArray *daemon_env;
  GPtrArray *client_env;  /* NAME=VALUE every client gets on top of the base */
  LbTestKeyring *keyring; /* with DAEMON_KEYRING */
  char *skip;             /* why the test cannot run here (no keyring), or NULL */
};

extern const char *const german_env[];

/* Running the client */

/* A fake Flatpak sandbox (see make_sandbox()). */
typedef struct
{
  pid_t parent;
  char *root; /* holds /.flatpak-info; the rest of / is bind-mounted in */
  GPtrArray *sources;
  GPtrArray *targets;
  char *cwd;
} Sandbox;

/* What a client in a sandbox exits with when the sandbox cannot be made. */
#define SANDBOX_FAILED 121

typedef struct
{
  const char *cwd;         /* default: the fixture's work directory */
  const char *const *env;  /* more NAME=VALUE */
  const char *bus_address; /* instead of the fixture bus's */
  const char *stdin_text;  /* NULL: an empty pipe */
  gboolean pty;            /* stdin and stdout on a pseudo-terminal */
  const Sandbox *sandbox;  /* run it as that Flatpak app */
} ClientOpts;

typedef struct
{
  char *cmdline;
  GSubprocess *proc;
  gboolean exited;
  gboolean communicated;
  GError *error;
  char *out; /* stdout (or what the terminal showed), NUL-terminated */
  gsize out_len;
  char *err;
  int status; /* the exit status, or -1 if a signal killed it */
  int term_signal;
  gint64 start_us, end_us;

  /* With a pseudo-terminal */
  int master;
  GSource *pty_source;
  GString *pty_out;
  gboolean pty_eof;
} ClientRun;

/* Assertions on what the user sees */

/* JSON */

/* Licenses and files */

/* The German translation, read from po/de.po */

/* The D-Bus name of an LB_ERROR code, as --verbose and --json's error-name
 * show it. */
const char *error_name (LbError code);

LbTestMachine *fixture_machine (Fixture *f, guint i);

/* Stops the running daemon (if any) and starts one on machine @i (0 = "a",
 * 1 = "b", ...), with the test case's daemon kind. */
gboolean use_machine (Fixture *f, guint i);

void setup (Fixture *f, gconstpointer data);

void teardown (Fixture *f, gconstpointer data);

void client_run_free (ClientRun *run);

void sandbox_free (Sandbox *sb);

/* A root for clients that the service takes for the Flatpak app @app_id,
 * as it tells one (from /proc/PID/root/.flatpak-info): a directory
 * holding .flatpak-info, an empty directory for each directory of / (the
 * client bind-mounts them, in a mount namespace of its own, before it
 * chroots there) and the same symlinks (/bin -> usr/bin). */
Sandbox *make_sandbox (Fixture *f, const char *app_id);

/* Starts `license-backup ARGV...` for the fixture's current machine. */
ClientRun *client_spawnv (Fixture *f, const ClientOpts *opts, const char *const *args);

/* Starts `license-backup ARGS...` (NULL-terminated); client_run() runs it
 * to its end (client_wait() with CLIENT_TIMEOUT_MS). */
#define client_spawn(f, opts, ...) client_start ((f), (opts), FALSE, __VA_ARGS__)
#define client_run(f, opts, ...) client_start ((f), (opts), TRUE, __VA_ARGS__)
ClientRun *client_start (Fixture *f, const ClientOpts *opts, gboolean wait, const char *first, ...)
    G_GNUC_NULL_TERMINATED;

/* Waits for the run to end; FALSE (and a failed test) after @timeout_ms,
 * when it is killed. */
gboolean client_wait (ClientRun *run, guint timeout_ms);

/* Runs `license-backup ARGS...` (NULL-terminated) to its end and asserts
 * that it exits with EXIT_OK and, unless @out is NULL, that stdout is
 * @out. */
#define client_ok(f, out, ...) \
  client_ok_impl (__FILE__, __LINE__, G_STRFUNC, (f), FALSE, (out), __VA_ARGS__)
/* client_ok(), and nothing on stderr. */
#define client_ok_quiet(f, out, ...) \
  client_ok_impl (__FILE__, __LINE__, G_STRFUNC, (f), TRUE, (out), __VA_ARGS__)
void client_ok_impl (const char *file,
                     int line,
                     const char *func,
                     Fixture *f,
                     gboolean quiet,
                     const char *out,
                     ...) G_GNUC_NULL_TERMINATED;

/* Runs `license-backup status`, asserts exit status 0 and that stdout
 * starts with @first_line and holds each further string (NULL-terminated). */
#define assert_status_shows(f, ...) \
  assert_status_shows_impl (__FILE__, __LINE__, G_STRFUNC, (f), __VA_ARGS__)
void assert_status_shows_impl (const char *file,
                               int line,
                               const char *func,
                               Fixture *f,
                               const char *first_line,
                               ...) G_GNUC_NULL_TERMINATED;

/* Runs `license-backup ARGS...` (with --json among them) to its end,
 * asserts exit status @exit and returns the JSON object it printed, owned
 * by @root; NULL after a failed assertion. */
#define client_run_json(f, exit, root, ...) \
  client_run_json_impl (__FILE__, __LINE__, G_STRFUNC, (f), (exit), (root), __VA_ARGS__)
JsonObject *client_run_json_impl (const char *file,
                                  int line,
                                  const char *func,
                                  Fixture *f,
                                  int exit,
                                  JsonNode **root,
                                  ...) G_GNUC_NULL_TERMINATED;

/* Runs `license-backup COMMAND --json DIR` to its end and asserts that it
 * exits with @exit and that its JSON has the status @status and the error
 * name of @code; returns the JSON's "error" (NULL without JSON). */
char *client_json_failure (
    Fixture *f, const char *command, const char *dir, int exit, guint status, LbError code);

/* Deletes the licenses "<prefix>NNNNNN" numbered 0 to @n - 1 through the
 * fixture's store, asserting that each goes. */
void delete_many (Fixture *f, guint n, const char *prefix);

double client_duration_s (ClientRun *run);

char *describe_run (ClientRun *run);

#define assert_exit(run, code) assert_exit_impl (__FILE__, __LINE__, G_STRFUNC, (run), (code))
gboolean assert_exit_impl (const char *file, int line, const char *func, ClientRun *run, int code);

#define assert_contains(haystack, needle) \
  assert_contains_impl (__FILE__, __LINE__, G_STRFUNC, #haystack, (haystack), (needle), TRUE)
#define assert_not_contains(haystack, needle) \
  assert_contains_impl (__FILE__, __LINE__, G_STRFUNC, #haystack, (haystack), (needle), FALSE)
void assert_contains_impl (const char *file,
                           int line,
                           const char *func,
                           const char *expr,
                           const char *haystack,
                           const char *needle,
                           gboolean want);

/* The error line: one line "license-backup: ..." on stderr, no D-Bus name. */
#define assert_error_line(run, needle) \
  assert_error_line_impl (__FILE__, __LINE__, G_STRFUNC, (run), (needle))
void assert_error_line_impl (
    const char *file, int line, const char *func, ClientRun *run, const char *needle);

guint count_substrings (const char *haystack, const char *needle);

/* The single JSON value the run printed on stdout (one line), or NULL
 * after a failed assertion. */
JsonNode *run_json (ClientRun *run);

/* The object printed by a run, or NULL after a failed assertion. */
JsonObject *run_json_object (ClientRun *run, JsonNode **root);

/* The array a `--json` run printed, or NULL after a failed assertion. */
JsonArray *run_json_array (ClientRun *run, JsonNode **root);

gint64 obj_int (JsonObject *o, const char *member);

const char *obj_str (JsonObject *o, const char *member);

gboolean obj_bool (JsonObject *o, const char *member);

JsonObject *obj_obj (JsonObject *o, const char *member);

JsonArray *obj_array (JsonObject *o, const char *member);

void store_license (Fixture *f, const char *key_id, GVariant *blob, GVariant *attributes);

void store_many (Fixture *f, guint n, const char *prefix, gsize size);

/* The attributes of @key_id, or NULL (NotFound is not a failure). */
GVariant *get_attributes (Fixture *f, const char *key_id, GVariant **blob);

#define assert_attribute(attrs, key, expected) \
  assert_attribute_impl (__FILE__, __LINE__, G_STRFUNC, (attrs), (key), (expected))
void assert_attribute_impl (const char *file,
                            int line,
                            const char *func,
                            GVariant *attrs,
                            const char *key,
                            GVariant *expected);

char *make_dir (Fixture *f, const char *name);

/* The newest backup in @dir (backups are named after their time), or
 * @dir/licenses.lbk when it holds none. */
char *backup_file (const char *dir);

guint license_count (Fixture *f);

void get_status (Fixture *f, guint *status, char **error_text);

/* Pops the service's signals until a BackupProgress or RestoreProgress with
 * done >= @min_done; returns its operation id, or 0 after a failed
 * assertion. */
guint64 wait_progress (LbTestSignalQueue *queue, guint64 min_done, guint timeout_ms);

LbTestSignalQueue *manager_signals (Fixture *f);

/* Spawns `license-backup ARGS...` into @run (client_spawn) and waits until
 * its operation has done @min_done licenses, watching @queue (from
 * manager_signals() before the spawn; NULL: a queue of its own). Returns
 * the operation's id, 0 after a failed assertion. */
guint64 spawn_until_progress (Fixture *f,
                              LbTestSignalQueue *queue,
                              guint64 min_done,
                              ClientRun **run,
                              const char *first,
                              ...) G_GNUC_NULL_TERMINATED;

/* The German translation of @msgid (form @n of a plural: 0 singular,
 * 1 plural), as a printf format; fails the test and returns @msgid if
 * there is none. */
const char *de (const char *msgid, guint n);

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
/* printf with a format read at run time (a translation). */
char *format_runtime (const char *format, ...);

/* Machine "a" stores @n licenses and backs them up into @dir; then machine
 * "b" runs the daemon. FALSE if the test has failed. */
gboolean backup_on_a_then_use_b (Fixture *f, guint n, const char *dir);

/* backup_on_a_then_use_b(), then `license-backup restore DIR` on a
 * terminal until it asks @question; NULL after a failed assertion. */
ClientRun *restore_on_b_until_asked (Fixture *f, guint n, const char *dir, const char *question);

gboolean wait_pty_text (ClientRun *run, const char *text, guint timeout_ms);

void pty_write (ClientRun *run, const char *text);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ClientRun, client_run_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Sandbox, sandbox_free)

/* The test cases, one file per group of commands; test-client.c lists them. */

/* test-client-cli.c */
void test_cli_help (Fixture *f, gconstpointer arg);
void test_cli_version (Fixture *f, gconstpointer arg);
void test_cli_command_help (Fixture *f, gconstpointer arg);
void test_cli_usage_errors (Fixture *f, gconstpointer arg);
void test_cli_unreachable (Fixture *f, gconstpointer arg);

/* test-client-store.c */
void test_store_import_export (Fixture *f, gconstpointer arg);
void test_store_delete (Fixture *f, gconstpointer arg);
void test_store_list (Fixture *f, gconstpointer arg);
void test_store_list_paging (Fixture *f, gconstpointer arg);
void test_store_clean (Fixture *f, gconstpointer arg);
void test_store_config (Fixture *f, gconstpointer arg);
void test_store_status (Fixture *f, gconstpointer arg);

/* test-client-backup.c */
void test_backup_summary (Fixture *f, gconstpointer arg);
void test_backup_exists_overwrite (Fixture *f, gconstpointer arg);
void test_backup_not_set (Fixture *f, gconstpointer arg);
void test_backup_json (Fixture *f, gconstpointer arg);
void test_nospace_backup (Fixture *f, gconstpointer arg);

/* test-client-restore.c */
void test_restore_same_machine (Fixture *f, gconstpointer arg);
void test_restore_corrupt (Fixture *f, gconstpointer arg);
void test_restore_other_machine (Fixture *f, gconstpointer arg);
void test_restore_limit (Fixture *f, gconstpointer arg);

/* test-client-slow.c */
void test_slow_progress_lines (Fixture *f, gconstpointer arg);
void test_slow_cancel_by_other_client (Fixture *f, gconstpointer arg);
void test_slow_cancel_restore (Fixture *f, gconstpointer arg);
void test_slow_busy (Fixture *f, gconstpointer arg);
void test_slow_ctrl_c (Fixture *f, gconstpointer arg);
void test_slow_ctrl_c_restore_json (Fixture *f, gconstpointer arg);
void test_robust_daemon_dies (Fixture *f, gconstpointer arg);

/* test-client-tty.c */
void test_tty_progress_bar (Fixture *f, gconstpointer arg);
void test_tty_consent (Fixture *f, gconstpointer arg);
void test_tty_yes (Fixture *f, gconstpointer arg);
void test_tty_json (Fixture *f, gconstpointer arg);
void test_encrypt_config (Fixture *f, gconstpointer arg);
void test_encrypt_restore (Fixture *f, gconstpointer arg);
void test_encrypt_tty_on (Fixture *f, gconstpointer arg);
void test_encrypt_tty_restore (Fixture *f, gconstpointer arg);

/* test-client-i18n.c */
void test_i18n_german (Fixture *f, gconstpointer arg);
void test_i18n_consent (Fixture *f, gconstpointer arg);

/* test-client-apps.c */
void test_apps_apps (Fixture *f, gconstpointer arg);
void test_apps_list (Fixture *f, gconstpointer arg);
void test_apps_list_paging (Fixture *f, gconstpointer arg);
void test_apps_export_delete (Fixture *f, gconstpointer arg);
void test_apps_bad_app (Fixture *f, gconstpointer arg);
void test_apps_backup_restore (Fixture *f, gconstpointer arg);
void test_apps_sandbox (Fixture *f, gconstpointer arg);

/* test-client-verify.c */
void test_verify_whole (Fixture *f, gconstpointer arg);
void test_verify_damaged (Fixture *f, gconstpointer arg);
void test_verify_generation (Fixture *f, gconstpointer arg);
void test_verify_json (Fixture *f, gconstpointer arg);
void test_verify_exit_codes (Fixture *f, gconstpointer arg);
void test_verify_generations_column (Fixture *f, gconstpointer arg);
void test_verify_status (Fixture *f, gconstpointer arg);
