/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* rel-util: what the reliability suite adds to the harness (lb-test-util).
 *
 *  - rel_init(): lb_test_init() and a wrapper around the real daemon,
 *    installed as $LB_DAEMON_PATH, that reads "rel-daemon.env" from the
 *    machine's root (the daemon's working directory) before it execs the
 *    daemon. The harness gives the daemon a fixed environment; the wrapper
 *    is how a test adds LB_FAULT_DELAY_US or runs the daemon without
 *    CAP_DAC_OVERRIDE (rel_machine_set_daemon_env()).
 *
 *  - Operations: start a backup or restore over D-Bus and wait for its
 *    Completed signal (RelOutcome: status, error name, summary).
 *
 *  - Stores as data: a "dump" is a GHashTable key id -> GVariant "(aya{sv})",
 *    the blob and every attribute exactly as GetLicense returns them; dumps
 *    are read over D-Bus (rel_dump_bus) or from an LbStore in-process
 *    (rel_dump_store), and compared with rel_dump_diff().
 *
 *  - Files: directory-tree listings to compare before/after, reading a
 *    file into GBytes, a backup verified by restoring it in-process into a
 *    fresh store (lb_restore_run, the daemon's own code path), and the
 *    daemon's peak RSS (VmHWM).
 */
#pragma once

#include <gio/gio.h>

#include "lb-test-util.h"
#include "store.h"

G_BEGIN_DECLS

/* Whether this build is instrumented with AddressSanitizer (memory
 * figures are then not the product's). */
#if defined(__SANITIZE_ADDRESS__)
#define REL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define REL_ASAN 1
#endif
#endif
#ifndef REL_ASAN
#define REL_ASAN 0
#endif

void rel_init (int *argc, char ***argv);

/* g_test_fail_printf(), and the message in the log too (GLib shows only
 * one failure message per test). */
#define rel_fail(...)                                    \
  G_STMT_START                                           \
  {                                                      \
    char *rel_fail_msg_ = g_strdup_printf (__VA_ARGS__); \
    g_test_message ("FAIL: %s", rel_fail_msg_);          \
    g_test_fail_printf ("%s", rel_fail_msg_);            \
    g_free (rel_fail_msg_);                              \
  }                                                      \
  G_STMT_END

/* The real daemon the wrapper execs. */
const char *rel_real_daemon_path (void);

/* Writes the machine's rel-daemon.env, read by the next daemon started on
 * it: LB_FAULT_DELAY_US=@delay_us (0: unset), and when @drop_dac_override
 * the daemon runs through setpriv without CAP_DAC_OVERRIDE,
 * CAP_DAC_READ_SEARCH and CAP_FOWNER, so that permission bits bind it
 * even as root. */
void
rel_machine_set_daemon_env (LbTestMachine *machine, gulong delay_us, gboolean drop_dac_override);

/* What most reliability tests run on: a bus, a machine, scratch and backup
 * folders, and a daemon. */
typedef struct
{
  LbTestBus *bus;
  LbTestMachine *machine;
  char *scratch;
  char *backup_dir;
  char *backup_file; /* a backup the test made, once it has, or NULL */
} RelEnv;

/* The bus, machine @name and folders of @e; then the daemon environment
 * of rel_machine_set_daemon_env() and a daemon (rel_start_daemon()),
 * FALSE if it did not start. */
gboolean rel_env_init (RelEnv *e, const char *name, gulong delay_us, gboolean drop_dac_override);
void rel_env_clear (RelEnv *e);
/* g_auto (RelEnv) e = { 0 }: declared first, it is cleared last, so that
 * a test may return early and declare what it needs where it needs it. */
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (RelEnv, rel_env_clear)

/* Whether setpriv can drop those capabilities here. */
gboolean rel_can_drop_dac_override (void);

/* Starts a daemon on @machine (options may be NULL) and returns it, or NULL
 * after a failed assertion. */
LbTestDaemon *rel_start_daemon (LbTestMachine *machine, const LbTestDaemonOptions *options);

/* Licenses */

/* A deterministic blob for license @i of a family @salt, of a size
 * between @min_size and @max_size. */
GBytes *rel_blob (guint i, guint salt, gsize min_size, gsize max_size);

/* Stores licenses "@prefix%06u" for i in [first, first + n) with
 * rel_blob (i, salt, ...) through StoreLicenses, in calls of at most
 * @batch licenses. Attributes: issuer, content-id; every 50th has a
 * restore limit and a support URL. Returns FALSE after a failed check. */
gboolean rel_store_range (LbTestBus *bus,
                          const char *prefix,
                          guint first,
                          guint n,
                          guint salt,
                          gsize min_size,
                          gsize max_size,
                          guint batch);

char *rel_key (const char *prefix, guint i);

/* Operations */

typedef struct
{
  guint64 id;
  guint status;
  char *error;      /* translated message */
  char *error_name; /* summary's error-name, "" on success */
  GVariant *summary;
  gint64 wall_ms; /* from the call's reply to Completed, as seen here */
} RelOutcome;

void rel_outcome_clear (RelOutcome *o);

/* A queue of the manager's signals on @connection; create it before
 * starting an operation. */
LbTestSignalQueue *rel_manager_signals (GDBusConnection *connection);

/* Calls BackupLicenses (@backup) or RestoreLicenses with @flags and the
 * options "path" = @path (if not NULL) and @extra (an a{sv} or NULL,
 * floating), on @connection. Returns the operation id, or 0 with @error. */
guint64 rel_op_start (GDBusConnection *connection,
                      gboolean backup,
                      guint32 flags,
                      const char *path,
                      GVariant *extra,
                      GError **error);

/* Waits for the Completed signal of operation @id on @queue. */
gboolean rel_op_wait (LbTestSignalQueue *queue, guint64 id, guint timeout_ms, RelOutcome *out);

/* Both, on the bus's own connection. Returns FALSE (with a failed check)
 * when the call was refused or no Completed came in time. */
gboolean rel_op_run (LbTestBus *bus,
                     gboolean backup,
                     guint32 flags,
                     const char *path,
                     guint timeout_ms,
                     RelOutcome *out);

/* rel_op_run(), asserting that the operation ended with status END;
 * *@wall_ms (optional) gets its RelOutcome.wall_ms. */
gboolean rel_op_run_end (LbTestBus *bus,
                         gboolean backup,
                         guint32 flags,
                         const char *path,
                         guint timeout_ms,
                         gint64 *wall_ms);

/* GetStatus answers (and within @timeout_ms); asserts it. */
gboolean rel_assert_get_status (LbTestBus *bus, guint timeout_ms);

/* Dumps */

GHashTable *rel_dump_new (void);
/* (aya{sv}) as GetLicense returns it. */
GVariant *rel_license_variant (const LbRecord *license);
GHashTable *rel_dump_bus (LbTestBus *bus, GError **error);
/* rel_dump_bus(), asserting that it succeeds (NULL if it did not). */
GHashTable *rel_dump_bus_ok (LbTestBus *bus);
GHashTable *rel_dump_store (LbStore *store, GError **error);
/* Whether two dump values are equal: their serialised bytes (dump values
 * are in normal form), without g_variant_equal(), which prints untrusted
 * values as text to compare them. */
gboolean rel_variant_same (GVariant *a, GVariant *b);
/* NULL when equal, else a description of the first differences. */
char *rel_dump_diff (GHashTable *got, GHashTable *want);
/* When @got and @want differ, fails the test with "WHAT: the differences"
 * (WHAT formatted from @fmt) and returns FALSE. */
gboolean rel_dump_expect (GHashTable *got, GHashTable *want, const char *fmt, ...)
    G_GNUC_PRINTF (3, 4);
/* A copy of @a with every entry of @b added (b wins). */
GHashTable *rel_dump_union (GHashTable *a, GHashTable *b);

/* Restores the backup file in @dir into a new, empty store (machine
 * @machine_app_id) under @scratch and dumps it; NULL with @error when
 * the restore fails. */
GHashTable *rel_restore_dir_in_process (const char *dir,
                                        const char *machine_app_id,
                                        const char *scratch,
                                        GError **error);

/* Files (lb_test_read_bytes() reads one) */

gboolean rel_write_file (const char *path, GBytes *bytes);
/* Names in @dir starting with @prefix, sorted. */
GPtrArray *rel_list_prefixed (const char *dir, const char *prefix);
/* Every entry below @root (not following links): "path type mode size
 * mtime" lines, sorted; entries whose relative path starts with one of
 * @skip (NULL-terminated, may be NULL) are left out. */
char *rel_tree_listing (const char *root, const char *const *skip);
/* Copies the regular files of @src into @dest (created), replacing
 * @dest's regular files. */
gboolean rel_copy_dir_files (const char *src, const char *dest);
void rel_clear_dir_files (const char *dir);

/* VmHWM of @pid in KiB, or -1. */
gint64 rel_proc_vmhwm_kib (GPid pid);

/* A seed: $LB_RELIABILITY_SEED (a number, or "random"), else @fallback. */
guint32 rel_seed (guint32 fallback);

G_END_DECLS
