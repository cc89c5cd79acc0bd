/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lb-test-util: a harness for testing license-backupd on private buses.
 *
 * The pieces, from the bottom up:
 *
 *  - lb_test_init(): g_test_init() with isolated directories and non-fatal
 *    assertions, so that a failed check still reaches the fixture's teardown
 *    (which prints the daemons' logs and cleans up). It also starts a reaper
 *    that, when the test process ends, even by a crash or a timeout's
 *    SIGKILL, removes every directory made by lb_test_make_tmp_dir(); the
 *    buses and daemons die with the test process (PR_SET_PDEATHSIG).
 *
 *  - LbTestBus: a private session bus (a dbus-daemon of our own, with
 *    GTestDBus's configuration or the standard session one) and the
 *    test's client connection to it. It pushes a
 *    fresh thread-default GMainContext, which every wait below iterates;
 *    create it first and free it last.
 *
 *  - LbTestMachine: one "computer": a temporary root holding its own
 *    XDG_DATA_HOME, HOME, machine-id file and machine-info file (pretty
 *    hostname "Computer <name>"). Several machines may share a
 *    bus, but only one daemon can own the service name at a time.
 *
 *  - LbTestDaemon: one run of the real build/src/daemon/license-backupd on a
 *    machine, spawned with an environment holding only
 *    DBUS_SESSION_BUS_ADDRESS, XDG_DATA_HOME, HOME, XDG_RUNTIME_DIR (the
 *    machine's "run" folder: without it GLib would make ~/.cache for GVfs)
 *    (and LB_FAULT, LB_FAULT_DELAY_US and other variables on request),
 *    its stdout and stderr captured in a log file. Owned by its machine.
 *    On request it runs under a wrapper command, on a store of its own
 *    or with its log elsewhere (bench/ uses all three).
 *
 *  - Helpers to assert D-Bus error names, collect signals, read and write
 *    properties, and build licenses.
 *
 * Proxies bind to the unique name that owns the service when they are
 * created: make new ones after (re)starting a daemon.
 *
 * Typical use, two machines taking turns on one bus:
 *
 *   g_autoptr (LbTestBus) bus = lb_test_bus_new (LB_TEST_BUS_DEFAULT);
 *   g_autoptr (LbTestMachine) a = lb_test_machine_new (bus, "a");
 *   g_autoptr (LbTestMachine) b = lb_test_machine_new (bus, "b");
 *   g_autoptr (LbDBusStore) store = NULL;
 *
 *   lb_test_machine_start_daemon (a, NULL);
 *   store = lb_test_bus_store_proxy (bus);
 *   ... calls; lb_test_assert_error_name (error, LB_ERROR_INVALID_ARGS) ...
 *   lb_test_machine_stop_daemon (a);
 *   lb_test_machine_start_daemon (b, &(LbTestDaemonOptions){ .idle_timeout = 1 });
 *   g_set_object (&store, lb_test_bus_store_proxy (bus)); ...
 *
 * (Declare the bus first so that it is freed last.)
 */
#pragma once

#include <gio/gio.h>

#include "lb-dbus-generated.h"
/* What the service's errors, statuses and flags are: the library's. */
#include <license-backup/lb-enum-types.h>
#include <license-backup/lb-error.h>
#include <license-backup/lb-types.h>

G_BEGIN_DECLS

#define LB_TEST_BUS_NAME "org.freedesktop.LicenseBackup1"
#define LB_TEST_OBJECT_PATH "/org/freedesktop/LicenseBackup1"
#define LB_TEST_MANAGER_IFACE "org.freedesktop.LicenseBackup1"
#define LB_TEST_STORE_IFACE "org.freedesktop.LicenseBackup1.Store"

/* How long the harness waits for a daemon to start, own the name or exit. */
#define LB_TEST_TIMEOUT_MS 10000

/* Setup */

/* Also registers the library's error domain (LB_ERROR) with GDBus, so
 * that the service's errors arrive as LB_ERROR with their codes. */
void lb_test_init (int *argc, char ***argv);

/* Test programs that meson runs group by group (LB_TEST_GROUPS="a,b"; a
 * test's group is its path up to the first "/") call this for each test
 * they register: a test in a group meson does not list would never run, so
 * it is an error naming @meson_list, the meson variable to add it to. */
void lb_test_check_group (const char *path, const char *meson_list);

/* Registers a program's table of test cases, each as "<prefix><path>"
 * with @setup and @teardown (g_test_add()), after lb_test_check_group
 * (path, @meson_list). Each case is a struct with the members
 *   const char *path; (the first: "group/name")
 *   void (*func) (Fixture *f, gconstpointer arg);
 *   gconstpointer arg;
 * and whatever else its @setup reads; @setup and @teardown get the case
 * as their data. The test itself calls func (f, arg) unless the setup
 * failed (and said why). One table per program. */
#define lb_test_add_cases(prefix, meson_list, cases, Fixture, setup, teardown)                   \
  lb_test_add_cases_impl (                                                                       \
      &(LbTestCaseTable){ (prefix), (meson_list), sizeof ((cases)[0]),                           \
                          G_STRUCT_OFFSET (__typeof__ ((cases)[0]), func),                       \
                          G_STRUCT_OFFSET (__typeof__ ((cases)[0]), arg), sizeof (Fixture),      \
                          (GTestFixtureFunc) (void (*) (Fixture *, gconstpointer)) (setup),      \
                          (GTestFixtureFunc) (void (*) (Fixture *, gconstpointer)) (teardown) }, \
      (cases), G_N_ELEMENTS (cases))
typedef struct
{
  const char *prefix;
  const char *meson_list;
  gsize case_size, func_offset, arg_offset, fixture_size;
  GTestFixtureFunc setup, teardown;
} LbTestCaseTable;
void lb_test_add_cases_impl (const LbTestCaseTable *table, gconstpointer cases, guint n_cases);

/* Child setups (GSpawnChildSetupFunc: between fork and exec, so only
 * async-signal-safe calls) */

/* The child gets @signum when the test process @parent ends, and exits at
 * once if it has already. */
void lb_test_child_die_with (pid_t parent, int signum);

/* For helpers that must outlive a timeout killing the test's process
 * group (the reaper, the cgroup watchdog): a session of their own, and
 * SIGTERM when the test process ends. @user_data is the test's pid
 * (GINT_TO_POINTER (getpid ())). */
void lb_test_child_setup_detached (gpointer user_data);

/* A new directory (mode 0700) that is removed when the test process ends,
 * however it ends. @prefix names it, e.g. "machine-a". */
char *lb_test_make_tmp_dir (const char *prefix);

/* Removes @path and everything below it; a missing path is fine. */
void lb_test_rm_rf (const char *path);

/* The newest backup in the folder @dir by the service's own rule
 * (generations.h), else @dir/licenses.lbk (which need not exist). */
char *lb_test_newest_backup (const char *dir);

/* Damages the backup file @path as a drive that rots would: flips a bit of
 * a license blob (40 bytes after the last "LBL1" in the file), so that the
 * file still reads but its last entry fails its SHA-256. */
void lb_test_damage_backup (const char *path);

/* The daemon under test: $LB_DAEMON_PATH if set, else the build tree's. */
const char *lb_test_get_daemon_path (void);

/* Main-loop waits (on the thread-default context) */

typedef gboolean (*LbTestCondition) (gpointer user_data);

/* Iterates the main context until @condition returns TRUE or @timeout_ms
 * pass; returns the last value of @condition. The condition is also
 * re-checked every few milliseconds, so it may poll. */
gboolean lb_test_wait_until (LbTestCondition condition, gpointer user_data, guint timeout_ms);

/* lb_test_wait_until() on @context (e.g. a private one) until the
 * monotonic time @deadline (µs; G_MAXINT64: no limit). */
gboolean lb_test_wait_on_until (GMainContext *context,
                                LbTestCondition condition,
                                gpointer user_data,
                                gint64 deadline);

/* Iterates the main context for @ms milliseconds. */
void lb_test_run_for (guint ms);

/* Buses */

typedef struct _LbTestBus LbTestBus;

typedef enum
{
  LB_TEST_BUS_DEFAULT = 0,
  /* A dbus-daemon allowing messages up to the protocol's maximum (128 MiB)
   * instead of dbus-daemon's 32 MiB default. */
  LB_TEST_BUS_LARGE_MESSAGES = 1 << 0,
} LbTestBusFlags;

LbTestBus *lb_test_bus_new (LbTestBusFlags flags);

/* `dbus-daemon --session` (the standard session configuration and service
 * directories, hence activation) run with exactly the environment @envp. */
LbTestBus *lb_test_bus_new_session (const char *const *envp);

void lb_test_bus_free (LbTestBus *bus);

const char *lb_test_bus_get_address (LbTestBus *bus);

/* The test's own client connection. */
GDBusConnection *lb_test_bus_get_connection (LbTestBus *bus);

/* A new, separate client connection (closed when unreferenced). */
GDBusConnection *lb_test_bus_connect (LbTestBus *bus, GError **error);

/* The pid of the process owning the service name, or 0 when none does. */
guint32 lb_test_bus_get_owner_pid (LbTestBus *bus);

/* The unique name of the connection that owns the service name, or NULL. */
char *lb_test_bus_get_owner (LbTestBus *bus);

/* The pid of the bus's dbus-daemon. */
GPid lb_test_bus_get_pid (LbTestBus *bus);

/* Waits until the service name has no owner. */
gboolean lb_test_bus_wait_no_owner (LbTestBus *bus, guint timeout_ms);

/* New proxies for the service (G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START), or
 * NULL after a failed assertion. */
LbDBusStore *lb_test_bus_store_proxy (LbTestBus *bus);
LbDBusManager *lb_test_bus_manager_proxy (LbTestBus *bus);

/* Replaces *@store and *@manager by new proxies, for the daemon that owns
 * the name now; FALSE after a failed assertion. */
gboolean lb_test_bus_renew_proxies (LbTestBus *bus, LbDBusStore **store, LbDBusManager **manager);

/* org.freedesktop.DBus.Properties Get/Set on the service, uncached. */
GVariant *lb_test_bus_get_property (LbTestBus *bus,
                                    const char *interface_name,
                                    const char *property_name,
                                    GError **error);
gboolean lb_test_bus_set_property (LbTestBus *bus,
                                   const char *interface_name,
                                   const char *property_name,
                                   GVariant *value,
                                   GError **error);

/* LicenseCount as read now; asserts the Get succeeds (G_MAXUINT if not). */
guint lb_test_bus_get_license_count (LbTestBus *bus);

/* Machines and daemons */

typedef struct _LbTestMachine LbTestMachine;
typedef struct _LbTestDaemon LbTestDaemon;

typedef enum
{
  LB_TEST_DAEMON_NONE = 0,
  LB_TEST_DAEMON_REPLACE = 1 << 0, /* --replace */
  LB_TEST_DAEMON_QUIET = 1 << 1,   /* no --verbose (it is passed by default) */
  LB_TEST_DAEMON_NO_WAIT = 1 << 2, /* return at once; do not wait to own the name */
} LbTestDaemonFlags;

typedef struct
{
  guint idle_timeout;            /* --idle-timeout; 0 (never exit) by default */
  const char *fault;             /* LB_FAULT for the daemon, or NULL */
  const char *const *extra_args; /* more arguments, NULL-terminated, or NULL */
  LbTestDaemonFlags flags;
  guint fault_delay_us; /* LB_FAULT_DELAY_US for the daemon; 0 (unset) by default */
  /* More "NAME=VALUE" entries for the daemon's environment (e.g.
   * LB_LOCALEDIR, LANGUAGE), NULL-terminated, or NULL; added after the
   * harness's own, so they may not override DBUS_SESSION_BUS_ADDRESS,
   * XDG_DATA_HOME or HOME; an XDG_RUNTIME_DIR here replaces the
   * machine's. */
  const char *const *extra_env;
  /* A command put in front of the daemon's own (e.g. "perf", "record",
   * "-o", "x.data", "--"), NULL-terminated, or NULL. The spawned process
   * is then the wrapper: the daemon is whatever process comes to own the
   * service name (lb_test_daemon_get_service_pid()). */
  const char *const *wrapper;
  /* XDG_DATA_HOME of this daemon instead of the machine's (e.g. a second,
   * empty store on the same machine), or NULL. */
  const char *data_home;
  /* Where its stdout and stderr go instead of "daemon-N.log" in the
   * machine's root (which goes with the machine), or NULL. */
  const char *log_path;
} LbTestDaemonOptions;

/* A machine on @bus with a random machine id. @name labels its directory
 * and its daemons' logs. */
LbTestMachine *lb_test_machine_new (LbTestBus *bus, const char *name);

/* Kills its running daemons, prints their logs if the test failed, and
 * removes its directory. */
void lb_test_machine_free (LbTestMachine *machine);

const char *lb_test_machine_get_name (LbTestMachine *machine);
const char *lb_test_machine_get_root (LbTestMachine *machine);
const char *lb_test_machine_get_data_home (LbTestMachine *machine);
/* $XDG_DATA_HOME/license-backup */
const char *lb_test_machine_get_store_dir (LbTestMachine *machine);
/* The raw machine id (32 hex digits) and the file holding it. */
const char *lb_test_machine_get_machine_id (LbTestMachine *machine);
const char *lb_test_machine_get_machine_id_file (LbTestMachine *machine);
/* The machine's $HOME (what its daemons get; clients run for it may use
 * it too). */
const char *lb_test_machine_get_home (LbTestMachine *machine);
/* What the daemon should derive from it (lb_machine_app_id()). */
const char *lb_test_machine_get_app_id (LbTestMachine *machine);

/* Replaces the content of the machine-id file (for tests of bad ids). */
void lb_test_machine_write_machine_id_file (LbTestMachine *machine, const char *contents);

/* Spawns a daemon (@options may be NULL for the defaults) and, unless
 * NO_WAIT, waits until it owns the service name, asserting that it does.
 * The daemon belongs to @machine; returns NULL after a failed assertion. */
LbTestDaemon *lb_test_machine_start_daemon (LbTestMachine *machine,
                                            const LbTestDaemonOptions *options);

/* The most recently started daemon, or NULL. */
LbTestDaemon *lb_test_machine_get_daemon (LbTestMachine *machine);

/* Stops the most recent daemon with SIGTERM, asserting a clean exit
 * (lb_test_daemon_stop()), so that another machine's daemon can own the
 * name. */
void lb_test_machine_stop_daemon (LbTestMachine *machine);

/* lb_test_machine_stop_daemon(), then a new daemon with the same options. */
LbTestDaemon *lb_test_machine_restart_daemon (LbTestMachine *machine);

/* The process spawned (the wrapper, with LbTestDaemonOptions.wrapper). */
GPid lb_test_daemon_get_pid (LbTestDaemon *daemon);
/* The daemon itself, which owns the service name: its pid, unless it ran
 * under a wrapper; then the owner's once lb_test_machine_start_daemon()
 * saw it own the name (0 before). */
GPid lb_test_daemon_get_service_pid (LbTestDaemon *daemon);
const char *lb_test_daemon_get_log_path (LbTestDaemon *daemon);
/* Everything the daemon wrote to stdout and stderr so far. */
char *lb_test_daemon_read_log (LbTestDaemon *daemon);

/* Whether it has not exited (as far as the main context has seen). */
gboolean lb_test_daemon_is_running (LbTestDaemon *daemon);

/* Waits until this daemon (its pid) owns the service name. */
gboolean lb_test_daemon_wait_owner (LbTestDaemon *daemon, guint timeout_ms);

/* Waits until it exits; FALSE if it still runs after @timeout_ms. */
gboolean lb_test_daemon_wait_exit (LbTestDaemon *daemon, guint timeout_ms);

/* After it exited: its exit status, or -1 when a signal ended it; and
 * that signal, or 0. */
int lb_test_daemon_get_exit_status (LbTestDaemon *daemon);
int lb_test_daemon_get_term_signal (LbTestDaemon *daemon);
/* Monotonic time (µs) of the spawn and of the exit (0 while running). */
gint64 lb_test_daemon_get_start_time (LbTestDaemon *daemon);
gint64 lb_test_daemon_get_exit_time (LbTestDaemon *daemon);

/* Sends @signum and waits for the exit; asserts exit status 0 and that the
 * service name was released. */
void lb_test_daemon_stop (LbTestDaemon *daemon, int signum);

/* SIGKILL and reap, without assertions. */
void lb_test_daemon_kill (LbTestDaemon *daemon);

/* How a process ended, as lb_test_subprocess_watch() saw it. */
typedef struct
{
  gboolean exited; /* it has ended (as far as the main context has seen) */
  gint64 time;     /* then: the monotonic time (µs) */
  int exit_status; /* its exit status, or -1 when a signal ended it */
  int term_signal; /* that signal, or 0 */
} LbTestProcessEnd;

/* Fills @end (which must outlive the wait) when @process ends, through
 * the thread-default main context. */
void lb_test_subprocess_watch (GSubprocess *process, LbTestProcessEnd *end);

/* Asserts that @daemon exited (waiting at most LB_TEST_TIMEOUT_MS) with
 * exit status @status. */
#define lb_test_assert_daemon_exited(daemon, status) \
  lb_test_assert_daemon_exited_impl (__FILE__, __LINE__, G_STRFUNC, (daemon), (status))
void lb_test_assert_daemon_exited_impl (
    const char *file, int line, const char *func, LbTestDaemon *daemon, int status);

/* Errors */

/* Asserts that @error is the service's error @code (an #LbError): an
 * LB_ERROR with that code, received from the bus under the D-Bus name the
 * library gives it (lb_error_get_dbus_name()), with a non-empty message. */
#define lb_test_assert_error_name(error, code) \
  lb_test_assert_error_name_impl (__FILE__, __LINE__, G_STRFUNC, (error), (code))
void lb_test_assert_error_name_impl (
    const char *file, int line, const char *func, const GError *error, LbError code);

/* Asserts that @error is the error @name of D-Bus itself (e.g.
 * "org.freedesktop.DBus.Error.NoReply") with a non-empty message. */
#define lb_test_assert_dbus_error_name(error, name) \
  lb_test_assert_dbus_error_name_impl (__FILE__, __LINE__, G_STRFUNC, (error), (name))
void lb_test_assert_dbus_error_name_impl (
    const char *file, int line, const char *func, const GError *error, const char *name);

/* The D-Bus name under which the service sends @code, e.g.
 * "org.freedesktop.LicenseBackup1.Error.BackupCorrupt" (static). */
const char *lb_test_error_dbus_name (LbError code);

/* The nick of @status ("error-withurl"), for messages; "?" if unknown. */
const char *lb_test_status_nick (guint status);

/* Signals */

typedef struct _LbTestSignalQueue LbTestSignalQueue;

/* Queues every signal matching the arguments (NULL matches anything). */
LbTestSignalQueue *lb_test_signal_queue_new (GDBusConnection *connection,
                                             const char *sender,
                                             const char *interface_name,
                                             const char *member,
                                             const char *object_path);
void lb_test_signal_queue_free (LbTestSignalQueue *queue);
guint lb_test_signal_queue_get_length (LbTestSignalQueue *queue);

/* The parameters of the next signal, waiting at most @timeout_ms; NULL on
 * timeout. *@member (optional) gets its name. */
GVariant *lb_test_signal_queue_pop (LbTestSignalQueue *queue, guint timeout_ms, char **member);

/* lb_test_signal_queue_pop(), also giving the signal's interface and the
 * monotonic time (µs) at which the queue received it (when the main
 * context dispatched it: keep the context iterating, e.g. in a wait, for
 * the times to be close to the arrival). Each out argument is optional. */
GVariant *lb_test_signal_queue_pop_full (LbTestSignalQueue *queue,
                                         guint timeout_ms,
                                         char **member,
                                         char **interface_name,
                                         gint64 *time_us);

/* A queue of the service's PropertiesChanged signals for @interface_name. */
LbTestSignalQueue *lb_test_properties_changed_queue_new (LbTestBus *bus,
                                                         const char *interface_name);

/* Pops PropertiesChanged signals until one changes @property_name and
 * returns its new value; NULL on timeout. Signals that do not change it
 * are dropped. */
GVariant *lb_test_wait_property_changed (LbTestSignalQueue *queue,
                                         const char *property_name,
                                         guint timeout_ms);

/* Licenses */

/* An "ay" of @size bytes; byte i is (i * 131 + seed) % 251, so contents
 * differ per seed and are not all zero. Floating. */
GVariant *lb_test_blob_new (gsize size, guint8 seed);

/* A floating a{sv} from NULL-terminated pairs of key and floating value:
 * lb_test_vardict_new ("issuer", g_variant_new_string ("x"), NULL). */
GVariant *lb_test_vardict_new (const char *first_key, ...) G_GNUC_NULL_TERMINATED;

/* The value of @key in the a{sv} @dict, or NULL. */
GVariant *lb_test_vardict_lookup (GVariant *dict, const char *key);

/* Stores @n licenses "<prefix>NNNNNN" (i = 0 … n-1, six digits) whose
 * blobs are lb_test_blob_new (@blob_size, i) and attributes empty, with
 * StoreLicenses calls of at most 10,000 licenses. */
gboolean lb_test_store_many (
    LbDBusStore *store, guint n, const char *prefix, gsize blob_size, GError **error);

/* lb_test_store_many(), asserting that it succeeds. */
void lb_test_store_many_ok (LbDBusStore *store, guint n, const char *prefix, gsize blob_size);

/* Operations */

/* Calls BackupLicenses (or, with @restore, RestoreLicenses) with @flags
 * and @options (consumed if floating; NULL is {}); the operation's id, or
 * 0 with @error set. */
guint64 lb_test_start_operation (
    LbDBusManager *manager, gboolean restore, guint32 flags, GVariant *options, GError **error);

/* {"path": @path} (floating), or {} when @path is NULL. */
GVariant *lb_test_path_options (const char *path);

/* Pops signals of @queue (the service's) until the BackupCompleted,
 * RestoreCompleted or VerifyCompleted of operation @id, and gives its status, error text and
 * summary (each optional); the statuses of its progress signals are
 * appended to @statuses (a GArray of guint, optional). FALSE when none
 * came within @timeout_ms (the test is not failed). */
gboolean lb_test_wait_completed (LbTestSignalQueue *queue,
                                 guint64 id,
                                 guint timeout_ms,
                                 GArray *statuses,
                                 guint *status,
                                 char **error_text,
                                 GVariant **summary);

/* Crafting backups by hand (libarchive's archive.h and archive_entry.h) */

struct archive;
struct archive_entry;

/* An entry of a crafted backup, for lb_test_archive_entry_reset(). */
typedef struct
{
  const char *name;
  const char *target; /* symlink or hard link target */
  mode_t type;
  GBytes *data;
  gint64 declared_size; /* -1: the data's size */
  gint64 sparse_size;   /* > 0: a sparse entry of this logical size */
} LbTestCraftEntry;

/* A new archive writing the pax format (restricted, as the service
 * writes it), unpadded, through the compression filter @filter
 * (ARCHIVE_FILTER_NONE, ARCHIVE_FILTER_GZIP...), into @out. */
struct archive *lb_test_archive_writer_new (GByteArray *out, int filter);

/* Clears @entry and makes it @name, of file type @type (AE_IFREG,
 * AE_IFLNK...), mode 0600, linking to @target unless it is NULL (for
 * AE_IFLNK the symlink's target, else a hard link's); the size is the
 * caller's to set. */
void lb_test_archive_entry_reset (struct archive_entry *entry,
                                  const char *name,
                                  unsigned int type,
                                  const char *target);

/* Writes to @a (through @entry) the regular file @name holding @len bytes
 * of @data, e.g. a manifest; asserts that its header is written. */
void lb_test_archive_write_file (
    struct archive *a, struct archive_entry *entry, const char *name, const void *data, gsize len);

/* Files */

/* The contents of @path, or NULL when it cannot be read. */
GBytes *lb_test_read_bytes (const char *path);

/* The names in @dir, sorted (dot files too); empty when it cannot be
 * read. */
GPtrArray *lb_test_list_dir (const char *dir);

/* The backups in @dir by the service's own rule (lb_generations_list()):
 * the generations' file names, oldest first (licenses.lbk, the backup of
 * before generations, is not one). */
GPtrArray *lb_test_list_backups (const char *dir);

/* Whether @name is a backup's file name by the service's rule. */
gboolean lb_test_is_backup_name (const char *name);

/* How many files in @dir the service's backups write before they are
 * complete (its temporary prefix, LB_BACKUP_TMP_PREFIX). */
guint lb_test_count_temporaries (const char *dir);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbTestBus, lb_test_bus_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbTestMachine, lb_test_machine_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbTestSignalQueue, lb_test_signal_queue_free)

/* Helpers shared by tests/client, tests/lib and tests/panel */

/* How the subprocess @proc, which has exited, ended: its exit status, or
 * -1 when a signal ended it (that signal in @term_signal, else 0). */
int lb_test_subprocess_status (GSubprocess *proc, int *term_signal);

/* @bytes (NULL: none) as a NUL-terminated string; its length in @len (if
 * not NULL). */
char *lb_test_bytes_to_string (GBytes *bytes, gsize *len);

/* The whole main() of a program of grouped cases: lb_test_init(),
 * lb_test_add_cases() and g_test_run(), whose result it is. */
#define lb_test_main_cases(argc, argv, prefix, meson_list, cases, Fixture, setup, teardown) \
  (lb_test_init ((argc), (argv)),                                                           \
   lb_test_add_cases ((prefix), (meson_list), cases, Fixture, (setup), (teardown)), g_test_run ())

/* Runs @argv on a pseudo-terminal of its own, typing @passphrase at each
 * prompt (a line with "passphrase" in it): the age tool reads passphrases
 * only from its terminal. Returns the exit status; what it printed in
 * *@output. */
int lb_test_run_on_tty (const char *const *argv, const char *passphrase, char **output);

/* A child setup function (GSpawnChildSetupFunc): the child dies with the
 * process @parent_pid (GINT_TO_POINTER() of it), as the harness's daemons
 * do. Only system calls: safe between fork and exec. */
void lb_test_die_with_parent (gpointer parent_pid);

G_END_DECLS

/* Helpers shared by tests/daemon */

G_BEGIN_DECLS

/* Starts a daemon on @machine with @options (NULL for the defaults), after
 * stopping the one it runs, if any, and gives *@store and *@manager new
 * proxies for it (lb_test_bus_renew_proxies()); FALSE after a failed
 * assertion. */
gboolean lb_test_machine_start_service (LbTestMachine *machine,
                                        const LbTestDaemonOptions *options,
                                        LbDBusStore **store,
                                        LbDBusManager **manager);

/* A fixture's teardown of the service's proxies, its machine (which stops
 * the daemons and prints their logs if the test failed) and, last, its
 * bus; each may be NULL already. */
void lb_test_clear_service (LbTestBus **bus,
                            LbTestMachine **machine,
                            LbDBusStore **store,
                            LbDBusManager **manager);

/* Polls LicensesDone until it reaches @n, to catch an operation (slowed
 * down by LB_FAULT_DELAY_US) in its middle; asserts that it got there. */
gboolean lb_test_wait_licenses_done (LbTestBus *bus, guint64 n);

/* The offset of the first (or, with @last, the last) @needle in @bytes
 * at or after @from; asserts that there is one (G_MAXSIZE if not). */
gsize lb_test_find_bytes (GBytes *bytes, const char *needle, gsize from, gboolean last);

/* A fixture of daemon tests: machine "a" on a bus of its own, the
 * service's proxies (lb_test_machine_start_service() starts the daemon),
 * a queue of the manager's signals and an empty folder for backups. */
typedef struct
{
  LbTestBus *bus;
  LbTestMachine *machine;
  LbDBusStore *store;
  LbDBusManager *manager;
  LbTestSignalQueue *queue;
  char *dir;
} LbTestServiceFixture;

/* Sets up all but the daemon; clears all, removing the folder. */
void lb_test_service_fixture_init (LbTestServiceFixture *f);
void lb_test_service_fixture_clear (LbTestServiceFixture *f);

/* What an operation's Completed signal said. */
typedef struct
{
  guint status;
  char *error;
  GVariant *summary;
} LbTestCompleted;

void lb_test_completed_clear (LbTestCompleted *c);

/* lb_test_wait_completed() into *@c (cleared first), failing the test
 * when no Completed signal came within @timeout_ms. */
gboolean lb_test_completed_wait (
    LbTestCompleted *c, LbTestSignalQueue *queue, guint64 id, guint timeout_ms, GArray *statuses);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (LbTestCompleted, lb_test_completed_clear)

/* The whole of main() for a tests/daemon program that meson runs group by
 * group (its list: grouped_tests), its tests one table of cases:
 *   return lb_test_run_grouped (&argc, &argv, "/daemon/", tests, Fixture,
 *                               setup, teardown); */
#define lb_test_run_grouped(argc, argv, prefix, cases, Fixture, setup, teardown)                   \
  (lb_test_init ((argc), (argv)),                                                                  \
   lb_test_add_cases ((prefix), "tests/daemon/meson.build's grouped_tests", cases, Fixture, setup, \
                      teardown),                                                                   \
   g_test_run ())

/* Sets the manager's property @name to the string @value, asserting that
 * the service takes it. */
void lb_test_bus_set_manager_string (LbTestBus *bus, const char *name, const char *value);

/* A signal as it arrived (lb_test_signal_queue_pop_full()). */
typedef struct
{
  char *member;
  char *iface;
  GVariant *params;
  gint64 time; /* monotonic µs of arrival */
} LbTestSignal;

/* The next signal of @queue, waiting at most @timeout_ms; NULL on
 * timeout. */
LbTestSignal *lb_test_signal_queue_pop_signal (LbTestSignalQueue *queue, guint timeout_ms);
void lb_test_signal_free (LbTestSignal *signal);

/* The plain case for lb_test_add_cases(): its path, test and argument:
 *   typedef LB_TEST_CASE (Fixture) TestCase; */
#define LB_TEST_CASE(Fixture)                      \
  struct                                           \
  {                                                \
    const char *path;                              \
    void (*func) (Fixture * f, gconstpointer arg); \
    gconstpointer arg;                             \
  }

/* gnome-keyring-daemon's Secret Service on @bus, in a home of its own,
 * its "login" keyring made unlocked and the default (as tests/daemon/
 * test-encryption.c starts it): for encrypted backups. NULL with *@skip
 * set (why) when it cannot run here. */
typedef struct _LbTestKeyring LbTestKeyring;
LbTestKeyring *lb_test_keyring_start (LbTestBus *bus, char **skip);
void lb_test_keyring_free (LbTestKeyring *keyring);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbTestKeyring, lb_test_keyring_free)

G_END_DECLS
