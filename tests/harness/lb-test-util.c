/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "lb-test-util.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "backup.h"
#include "generations.h"
#include "machine-id.h"

#ifndef LB_DAEMON_PATH
#error "LB_DAEMON_PATH must be defined (the path of the build-tree license-backupd)"
#endif

#define POLL_MS 5

/* Defines @func, which returns the member @field of a @Type as it is. */
#define FIELD_GETTER(Type, ret, func, field) \
  ret func (Type *self)                      \
  {                                          \
    return self->field;                      \
  }

/* The directory that holds every directory lb_test_make_tmp_dir() makes,
 * and the reaper that removes it once this process is gone. Set once by
 * lb_test_init(), never changed afterwards. */
static char *tmp_root;
static GSubprocess *reaper;

/* Run by /bin/sh as the reaper: says "ready" once it handles signals,
 * then waits for the SIGTERM that PR_SET_PDEATHSIG sends when the test
 * process ends (however it ends), removes $1, and ends its process group
 * (itself and its sleep). */
#define REAPER_SCRIPT           \
  "root=$1\n"                   \
  "cleanup () {\n"              \
  "  rm -rf -- \"$root\"\n"     \
  "  trap '' TERM\n"            \
  "  kill -TERM 0\n"            \
  "  exit 0\n"                  \
  "}\n"                         \
  "trap cleanup TERM HUP INT\n" \
  "echo ready\n"                \
  "while :; do sleep 3600 & wait; done\n"

/* Setup */

void
lb_test_child_die_with (pid_t parent, int signum)
{
  prctl (PR_SET_PDEATHSIG, signum);
  if (getppid () != parent)
    _exit (1);
}

/* Child setup for every process the harness spawns: die with the test
 * process (by SIGKILL, a timeout or an abort), so that nothing outlives a
 * crashed test. @user_data is the test process's pid. */
static void
die_with_parent (gpointer user_data)
{
  lb_test_child_die_with ((pid_t) GPOINTER_TO_INT (user_data), SIGKILL);
}

void
lb_test_child_setup_detached (gpointer user_data)
{
  setsid ();
  lb_test_child_die_with ((pid_t) GPOINTER_TO_INT (user_data), SIGTERM);
}

static void
start_reaper (void)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GDataInputStream) out = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *ready = NULL;

  tmp_root = g_dir_make_tmp ("lb-test-XXXXXX", &error);
  g_assert_no_error (error);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                        | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_subprocess_launcher_set_child_setup (launcher, lb_test_child_setup_detached,
                                         GINT_TO_POINTER ((int) getpid ()), NULL);
  reaper = g_subprocess_launcher_spawn (launcher, &error, "/bin/sh", "-c", REAPER_SCRIPT,
                                        "lb-test-reaper", tmp_root, NULL);
  g_assert_no_error (error);
  if (reaper == NULL)
    return;
  /* Until it has set its trap, our death would kill it without cleanup. */
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (reaper));
  ready = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ready, ==, "ready");
}

static void
drop_message (const char *log_domain,
              GLogLevelFlags log_level,
              const char *message,
              gpointer user_data)
{
}

void
lb_test_init (int *argc, char ***argv)
{
  g_test_init (argc, argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  /* GLib's debug messages (eight per test for the isolated directories)
   * only with --verbose; the daemons' own go to their logs. */
  if (!g_test_verbose ())
    g_log_set_handler ("GLib", G_LOG_LEVEL_DEBUG, drop_message, NULL);
  /* A failed check marks the test failed and goes on, so that its
   * teardown still prints the daemons' logs and cleans up. Tests return
   * early where going on makes no sense. */
  g_test_set_nonfatal_assertions ();
  /* Before any call: GDBus maps only the errors of registered domains. */
  g_assert_true (LB_ERROR != 0);
  start_reaper ();
}

void
lb_test_check_group (const char *path, const char *meson_list)
{
  const char *groups_env = g_getenv ("LB_TEST_GROUPS");
  g_auto (GStrv) groups = NULL;
  g_autofree char *group = NULL;

  if (groups_env == NULL)
    return;
  groups = g_strsplit (groups_env, ",", -1);
  group = g_strndup (path, strcspn (path, "/"));
  if (!g_strv_contains ((const char *const *) groups, group))
    g_error ("test group “%s” is not in %s", group, meson_list);
}

/* lb_test_add_cases(): where a case holds its function and argument. */
static gsize case_func_offset, case_arg_offset;

static void
run_case (gpointer fixture, gconstpointer data)
{
  void (*func) (gpointer fixture, gconstpointer arg)
      = *(void (**) (gpointer, gconstpointer)) ((const char *) data + case_func_offset);

  /* A failed setup has said why. */
  if (g_test_failed ())
    return;
  func (fixture, *(gconstpointer *) ((const char *) data + case_arg_offset));
}

void
lb_test_add_cases_impl (const LbTestCaseTable *table, gconstpointer cases, guint n_cases)
{
  case_func_offset = table->func_offset;
  case_arg_offset = table->arg_offset;
  for (guint i = 0; i < n_cases; i++)
    {
      gconstpointer tc = (const char *) cases + i * table->case_size;
      const char *path = *(const char *const *) tc;
      g_autofree char *full = g_strconcat (table->prefix, path, NULL);

      lb_test_check_group (path, table->meson_list);
      g_test_add_vtable (full, table->fixture_size, tc, table->setup, run_case, table->teardown);
    }
}

char *
lb_test_newest_backup (const char *dir)
{
  g_autoptr (GFile) folder = g_file_new_for_path (dir);
  g_autoptr (GFile) newest = lb_generations_pick (folder, NULL, NULL);

  return g_file_get_path (newest);
}

void
lb_test_damage_backup (const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *data = NULL;
  gsize len = 0;
  gsize at = G_MAXSIZE;

  g_file_get_contents (path, &data, &len, &error);
  g_assert_no_error (error);
  for (gsize i = 0; i + 4 <= len; i++)
    if (memcmp (data + i, "LBL1", 4) == 0)
      at = i;
  g_assert_cmpuint (at, !=, G_MAXSIZE);
  g_assert_cmpuint (at + 40, <, len);
  data[at + 40] ^= 0x01;
  g_file_set_contents (path, data, (gssize) len, &error);
  g_assert_no_error (error);
}

char *
lb_test_make_tmp_dir (const char *prefix)
{
  g_autofree char *tmpl = NULL;
  g_autoptr (GError) error = NULL;

  if (tmp_root == NULL)
    {
      char *dir = g_dir_make_tmp ("lb-test-XXXXXX", &error);
      g_assert_no_error (error);
      return dir;
    }
  tmpl = g_strdup_printf ("%s/%s-XXXXXX", tmp_root, prefix);
  if (g_mkdtemp_full (tmpl, 0700) == NULL)
    g_error ("Cannot create a directory in %s: %s", tmp_root, g_strerror (errno));
  return g_steal_pointer (&tmpl);
}

void
lb_test_rm_rf (const char *path)
{
  g_autoptr (GDir) dir = NULL;
  const char *name;

  if (path == NULL)
    return;
  dir = g_dir_open (path, 0, NULL);
  if (dir != NULL)
    {
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);

          if (g_file_test (child, G_FILE_TEST_IS_DIR)
              && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
            lb_test_rm_rf (child);
          else
            g_unlink (child);
        }
    }
  g_rmdir (path);
}

static char *
read_file_or_empty (const char *path)
{
  char *contents = NULL;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return g_strdup ("");
  return contents;
}

/* Main-loop waits */

static gboolean
wake_up (gpointer user_data)
{
  return G_SOURCE_REMOVE;
}

gboolean
lb_test_wait_on_until (GMainContext *context,
                       LbTestCondition condition,
                       gpointer user_data,
                       gint64 deadline)
{
  while (!condition (user_data))
    {
      gint64 left = deadline - g_get_monotonic_time ();
      g_autoptr (GSource) source = NULL;

      if (left <= 0)
        return FALSE;
      source
          = g_timeout_source_new (left >= POLL_MS * 1000 ? POLL_MS : (guint) ((left + 999) / 1000));
      g_source_set_callback (source, wake_up, NULL, NULL);
      g_source_attach (source, context);
      g_main_context_iteration (context, TRUE);
      g_source_destroy (source);
    }
  return TRUE;
}

gboolean
lb_test_wait_until (LbTestCondition condition, gpointer user_data, guint timeout_ms)
{
  g_autoptr (GMainContext) context = g_main_context_ref_thread_default ();

  return lb_test_wait_on_until (context, condition, user_data,
                                g_get_monotonic_time () + (gint64) timeout_ms * 1000);
}

static gboolean
never (gpointer user_data)
{
  return FALSE;
}

void
lb_test_run_for (guint ms)
{
  lb_test_wait_until (never, NULL, ms);
}

/* Buses */

struct _LbTestBus
{
  GMainContext *context;
  GSubprocess *dbus_daemon;
  gboolean dbus_daemon_exited;
  char *dir;
  char *address;
  GDBusConnection *connection;
};

/* Every private bus but lb_test_bus_new_session()'s: the configuration
 * GTestDBus writes (a session bus on which anyone may own any name and
 * eavesdrop), with %s for limits. Not GTestDBus itself: GLib 2.74 forks
 * its watcher process from our threaded test process, and the watcher
 * can deadlock in exit() on a lock another thread held at the fork;
 * holding the test's stdout, it kept meson waiting for the test until its
 * timeout. Our dbus-daemon dies with the test process instead
 * (die_with_parent). */
#define BUS_CONFIG                                                                       \
  "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n" \
  " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"                  \
  "<busconfig>\n"                                                                        \
  "  <type>session</type>\n"                                                             \
  "  <listen>unix:dir=%s</listen>\n"                                                     \
  "  <auth>EXTERNAL</auth>\n"                                                            \
  "  <policy context=\"default\">\n"                                                     \
  "    <allow send_destination=\"*\" eavesdrop=\"true\"/>\n"                             \
  "    <allow eavesdrop=\"true\"/>\n"                                                    \
  "    <allow own=\"*\"/>\n"                                                             \
  "  </policy>\n"                                                                        \
  "%s"                                                                                   \
  "</busconfig>\n"

/* For LB_TEST_BUS_LARGE_MESSAGES: the default is 32 MiB. */
#define LARGE_MESSAGE_LIMITS                                  \
  "  <limit name=\"max_message_size\">268435456</limit>\n"    \
  "  <limit name=\"max_incoming_bytes\">1000000000</limit>\n" \
  "  <limit name=\"max_outgoing_bytes\">1000000000</limit>\n"

static void
dbus_daemon_exited_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  gboolean *exited = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  *exited = TRUE;
}

/* Spawns dbus-daemon with @args and @envp (NULL: ours) and reads the
 * address it prints. */
static gboolean
spawn_dbus_daemon (LbTestBus *bus, const char *const *args, const char *const *envp)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GDataInputStream) out = NULL;
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError) error = NULL;
  g_autofree char *program = g_find_program_in_path ("dbus-daemon");

  if (program == NULL)
    {
      g_test_fail_printf ("dbus-daemon is not in PATH");
      return FALSE;
    }
  g_ptr_array_add (argv, g_steal_pointer (&program));
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (args[i]));
  g_ptr_array_add (argv, g_strdup ("--nofork"));
  g_ptr_array_add (argv, g_strdup ("--print-address=1"));
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  if (envp != NULL)
    g_subprocess_launcher_set_environ (launcher, (char **) envp);
  g_subprocess_launcher_set_cwd (launcher, bus->dir);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent,
                                         GINT_TO_POINTER ((int) getpid ()), NULL);
  bus->dbus_daemon
      = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  if (bus->dbus_daemon == NULL)
    return FALSE;
  g_subprocess_wait_async (bus->dbus_daemon, NULL, dbus_daemon_exited_cb, &bus->dbus_daemon_exited);

  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (bus->dbus_daemon));
  bus->address = g_data_input_stream_read_line (out, NULL, NULL, &error);
  g_assert_no_error (error);
  if (bus->address == NULL || bus->address[0] == '\0')
    {
      g_test_fail_printf ("dbus-daemon exited without printing its address");
      return FALSE;
    }
  return TRUE;
}

static LbTestBus *
bus_new_internal (void)
{
  LbTestBus *bus = g_new0 (LbTestBus, 1);

  bus->context = g_main_context_new ();
  g_main_context_push_thread_default (bus->context);
  bus->dir = lb_test_make_tmp_dir ("bus");
  return bus;
}

static gboolean
bus_connect (LbTestBus *bus)
{
  g_autoptr (GError) error = NULL;

  bus->connection = lb_test_bus_connect (bus, &error);
  g_assert_no_error (error);
  return bus->connection != NULL;
}

LbTestBus *
lb_test_bus_new (LbTestBusFlags flags)
{
  LbTestBus *bus = bus_new_internal ();
  g_autofree char *config_path = g_build_filename (bus->dir, "bus.conf", NULL);
  g_autofree char *config = g_strdup_printf (
      BUS_CONFIG, bus->dir, (flags & LB_TEST_BUS_LARGE_MESSAGES) ? LARGE_MESSAGE_LIMITS : "");
  g_autofree char *config_arg = g_strdup_printf ("--config-file=%s", config_path);
  const char *args[] = { config_arg, NULL };
  g_autoptr (GError) error = NULL;

  g_file_set_contents (config_path, config, -1, &error);
  g_assert_no_error (error);
  if (error == NULL && spawn_dbus_daemon (bus, args, NULL))
    bus_connect (bus);
  return bus;
}

LbTestBus *
lb_test_bus_new_session (const char *const *envp)
{
  LbTestBus *bus = bus_new_internal ();
  const char *args[] = { "--session", NULL };

  if (spawn_dbus_daemon (bus, args, envp))
    bus_connect (bus);
  return bus;
}

static gboolean
flag_is_set (gpointer user_data)
{
  return *(gboolean *) user_data;
}

void
lb_test_bus_free (LbTestBus *bus)
{
  if (bus == NULL)
    return;
  if (bus->connection != NULL)
    g_dbus_connection_close_sync (bus->connection, NULL, NULL);
  g_clear_object (&bus->connection);
  if (bus->dbus_daemon != NULL)
    {
      if (!bus->dbus_daemon_exited)
        g_subprocess_send_signal (bus->dbus_daemon, SIGTERM);
      if (!lb_test_wait_until (flag_is_set, &bus->dbus_daemon_exited, LB_TEST_TIMEOUT_MS))
        {
          g_subprocess_force_exit (bus->dbus_daemon);
          lb_test_wait_until (flag_is_set, &bus->dbus_daemon_exited, LB_TEST_TIMEOUT_MS);
        }
      /* The callback must have run before its flag goes away. */
      if (bus->dbus_daemon_exited)
        g_clear_object (&bus->dbus_daemon);
    }
  g_main_context_pop_thread_default (bus->context);
  g_main_context_unref (bus->context);
  lb_test_rm_rf (bus->dir);
  g_free (bus->dir);
  g_free (bus->address);
  if (bus->dbus_daemon == NULL)
    g_free (bus);
}

FIELD_GETTER (LbTestBus, const char *, lb_test_bus_get_address, address)
FIELD_GETTER (LbTestBus, GDBusConnection *, lb_test_bus_get_connection, connection)

GDBusConnection *
lb_test_bus_connect (LbTestBus *bus, GError **error)
{
  GDBusConnectionFlags flags = G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT
                               | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION;

  return g_dbus_connection_new_for_address_sync (bus->address, flags, NULL, NULL, error);
}

/* The bus's answer to its @method about the service name, or NULL (no
 * connection, or no owner). */
static GVariant *
ask_bus_about_service (LbTestBus *bus, const char *method, const char *reply_type)
{
  if (bus->connection == NULL)
    return NULL;
  return g_dbus_connection_call_sync (
      bus->connection, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
      method, g_variant_new ("(s)", LB_TEST_BUS_NAME), G_VARIANT_TYPE (reply_type),
      G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
}

guint32
lb_test_bus_get_owner_pid (LbTestBus *bus)
{
  g_autoptr (GVariant) reply = ask_bus_about_service (bus, "GetConnectionUnixProcessID", "(u)");
  guint32 pid = 0;

  if (reply != NULL)
    g_variant_get (reply, "(u)", &pid);
  return pid;
}

static gboolean
bus_has_no_owner (gpointer user_data)
{
  return lb_test_bus_get_owner_pid (user_data) == 0;
}

gboolean
lb_test_bus_wait_no_owner (LbTestBus *bus, guint timeout_ms)
{
  return lb_test_wait_until (bus_has_no_owner, bus, timeout_ms);
}

/* A new proxy of the generated @proxy_type for the service's
 * @interface_name (what lb_dbus_*_proxy_new_sync() make), or NULL after a
 * failed assertion. */
static gpointer
service_proxy (LbTestBus *bus, GType proxy_type, const char *interface_name)
{
  g_autoptr (GError) error = NULL;
  gpointer proxy = g_initable_new (proxy_type, NULL, &error, "g-flags",
                                   G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START, "g-name", LB_TEST_BUS_NAME,
                                   "g-connection", bus->connection, "g-object-path",
                                   LB_TEST_OBJECT_PATH, "g-interface-name", interface_name, NULL);

  g_assert_no_error (error);
  return proxy;
}

LbDBusStore *
lb_test_bus_store_proxy (LbTestBus *bus)
{
  return service_proxy (bus, LB_DBUS_TYPE_STORE_PROXY, LB_TEST_STORE_IFACE);
}

LbDBusManager *
lb_test_bus_manager_proxy (LbTestBus *bus)
{
  return service_proxy (bus, LB_DBUS_TYPE_MANAGER_PROXY, LB_TEST_MANAGER_IFACE);
}

gboolean
lb_test_bus_renew_proxies (LbTestBus *bus, LbDBusStore **store, LbDBusManager **manager)
{
  g_clear_object (store);
  g_clear_object (manager);
  *store = lb_test_bus_store_proxy (bus);
  *manager = lb_test_bus_manager_proxy (bus);
  return *store != NULL && *manager != NULL;
}

GVariant *
lb_test_bus_get_property (LbTestBus *bus,
                          const char *interface_name,
                          const char *property_name,
                          GError **error)
{
  g_autoptr (GVariant) reply = NULL;
  GVariant *value = NULL;

  reply = g_dbus_connection_call_sync (
      bus->connection, LB_TEST_BUS_NAME, LB_TEST_OBJECT_PATH, "org.freedesktop.DBus.Properties",
      "Get", g_variant_new ("(ss)", interface_name, property_name), G_VARIANT_TYPE ("(v)"),
      G_DBUS_CALL_FLAGS_NO_AUTO_START, -1, NULL, error);
  if (reply == NULL)
    return NULL;
  g_variant_get (reply, "(v)", &value);
  return value;
}

gboolean
lb_test_bus_set_property (LbTestBus *bus,
                          const char *interface_name,
                          const char *property_name,
                          GVariant *value,
                          GError **error)
{
  g_autoptr (GVariant) reply = NULL;

  reply = g_dbus_connection_call_sync (
      bus->connection, LB_TEST_BUS_NAME, LB_TEST_OBJECT_PATH, "org.freedesktop.DBus.Properties",
      "Set", g_variant_new ("(ssv)", interface_name, property_name, value), G_VARIANT_TYPE_UNIT,
      G_DBUS_CALL_FLAGS_NO_AUTO_START, -1, NULL, error);
  return reply != NULL;
}

guint
lb_test_bus_get_license_count (LbTestBus *bus)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) value = NULL;

  value = lb_test_bus_get_property (bus, LB_TEST_STORE_IFACE, "LicenseCount", &error);
  g_assert_no_error (error);
  if (value == NULL)
    return G_MAXUINT;
  g_assert_true (g_variant_is_of_type (value, G_VARIANT_TYPE_UINT32));
  if (!g_variant_is_of_type (value, G_VARIANT_TYPE_UINT32))
    return G_MAXUINT;
  return g_variant_get_uint32 (value);
}

char *
lb_test_bus_get_owner (LbTestBus *bus)
{
  g_autoptr (GVariant) reply = ask_bus_about_service (bus, "GetNameOwner", "(s)");
  char *owner = NULL;

  if (reply != NULL)
    g_variant_get (reply, "(s)", &owner);
  return owner;
}

GPid
lb_test_bus_get_pid (LbTestBus *bus)
{
  const char *identifier
      = bus->dbus_daemon != NULL ? g_subprocess_get_identifier (bus->dbus_daemon) : NULL;

  return identifier != NULL ? (GPid) g_ascii_strtoll (identifier, NULL, 10) : 0;
}

/* Machines and daemons */

struct _LbTestMachine
{
  LbTestBus *bus; /* not owned */
  char *name;
  char *root;
  char *data_home;
  char *home;
  char *runtime_dir; /* XDG_RUNTIME_DIR of its daemons */
  char *store_dir;
  char *machine_id;
  char *machine_id_file;
  char *machine_info_file; /* PRETTY_HOSTNAME="Computer <name>" */
  char *app_id;
  GPtrArray *daemons; /* of LbTestDaemon, oldest first */
};

struct _LbTestDaemon
{
  LbTestMachine *machine; /* not owned */
  guint number;
  LbTestDaemonOptions options; /* strings owned */
  GSubprocess *process;
  GPid pid;
  GPid service_pid; /* the name's owner: pid, unless under a wrapper */
  char *log_path;
  gint64 start_time;
  LbTestProcessEnd end;
};

static void
daemon_free (LbTestDaemon *daemon)
{
  if (daemon == NULL)
    return;
  lb_test_daemon_kill (daemon);
  if (!daemon->end.exited)
    {
      /* Its wait callback still points at it: leak it rather than crash. */
      g_printerr ("license-backupd (pid %d) would not die\n", (int) daemon->pid);
      return;
    }
  g_clear_object (&daemon->process);
  g_free ((char *) daemon->options.fault);
  g_strfreev ((char **) daemon->options.extra_args);
  g_strfreev ((char **) daemon->options.extra_env);
  g_strfreev ((char **) daemon->options.wrapper);
  g_free ((char *) daemon->options.data_home);
  g_free ((char *) daemon->options.log_path);
  g_free (daemon->log_path);
  g_free (daemon);
}

LbTestMachine *
lb_test_machine_new (LbTestBus *bus, const char *name)
{
  LbTestMachine *machine = g_new0 (LbTestMachine, 1);
  g_autoptr (GError) error = NULL;
  g_autoptr (GString) id = g_string_new (NULL);

  machine->bus = bus;
  machine->name = g_strdup (name);
  machine->root = lb_test_make_tmp_dir (name);
  machine->data_home = g_build_filename (machine->root, "data", NULL);
  machine->home = g_build_filename (machine->root, "home", NULL);
  machine->store_dir = g_build_filename (machine->data_home, "license-backup", NULL);
  machine->machine_id_file = g_build_filename (machine->root, "machine-id", NULL);
  machine->machine_info_file = g_build_filename (machine->root, "machine-info", NULL);
  machine->daemons = g_ptr_array_new_with_free_func ((GDestroyNotify) daemon_free);
  g_assert_cmpint (g_mkdir (machine->data_home, 0755), ==, 0);
  g_assert_cmpint (g_mkdir (machine->home, 0700), ==, 0);
  machine->runtime_dir = g_build_filename (machine->root, "run", NULL);
  g_assert_cmpint (g_mkdir (machine->runtime_dir, 0700), ==, 0);

  for (guint i = 0; i < 32; i++)
    g_string_append_c (id, "0123456789abcdef"[g_test_initialized () ? g_test_rand_int_range (0, 16)
                                                                    : g_random_int_range (0, 16)]);
  machine->machine_id = g_string_free (g_steal_pointer (&id), FALSE);
  lb_test_machine_write_machine_id_file (machine, machine->machine_id);
  {
    g_autofree char *info = g_strdup_printf ("PRETTY_HOSTNAME=\"Computer %s\"\n", name);

    g_file_set_contents (machine->machine_info_file, info, -1, &error);
    g_assert_no_error (error);
  }
  machine->app_id = lb_machine_app_id (machine->machine_id, &error);
  g_assert_no_error (error);
  return machine;
}

static void
print_daemon_log (LbTestDaemon *daemon)
{
  g_autofree char *log = lb_test_daemon_read_log (daemon);

  g_printerr ("---- license-backupd #%u on machine %s (pid %d): %s ----\n%s%s---- end ----\n",
              daemon->number, daemon->machine->name, (int) daemon->pid, daemon->log_path, log,
              log[0] != '\0' && !g_str_has_suffix (log, "\n") ? "\n" : "");
}

void
lb_test_machine_free (LbTestMachine *machine)
{
  if (machine == NULL)
    return;
  for (guint i = 0; i < machine->daemons->len; i++)
    lb_test_daemon_kill (machine->daemons->pdata[i]);
  /* (Outside a test, e.g. in bench/, the logs stay where they are.) */
  if (g_test_initialized () && g_test_failed ())
    for (guint i = 0; i < machine->daemons->len; i++)
      print_daemon_log (machine->daemons->pdata[i]);
  g_ptr_array_unref (machine->daemons);
  lb_test_rm_rf (machine->root);
  char *strings[] = { machine->name,
                      machine->root,
                      machine->data_home,
                      machine->home,
                      machine->runtime_dir,
                      machine->store_dir,
                      machine->machine_id,
                      machine->machine_id_file,
                      machine->machine_info_file,
                      machine->app_id };
  for (guint i = 0; i < G_N_ELEMENTS (strings); i++)
    g_free (strings[i]);
  g_free (machine);
}

FIELD_GETTER (LbTestMachine, const char *, lb_test_machine_get_name, name)
FIELD_GETTER (LbTestMachine, const char *, lb_test_machine_get_root, root)
FIELD_GETTER (LbTestMachine, const char *, lb_test_machine_get_data_home, data_home)
FIELD_GETTER (LbTestMachine, const char *, lb_test_machine_get_store_dir, store_dir)
FIELD_GETTER (LbTestMachine, const char *, lb_test_machine_get_machine_id, machine_id)
FIELD_GETTER (LbTestMachine, const char *, lb_test_machine_get_machine_id_file, machine_id_file)
FIELD_GETTER (LbTestMachine, const char *, lb_test_machine_get_home, home)
FIELD_GETTER (LbTestMachine, const char *, lb_test_machine_get_app_id, app_id)

void
lb_test_machine_write_machine_id_file (LbTestMachine *machine, const char *contents)
{
  g_autofree char *data = g_strdup_printf ("%s\n", contents);
  g_autoptr (GError) error = NULL;

  g_file_set_contents (machine->machine_id_file, data, -1, &error);
  g_assert_no_error (error);
}

static void
process_ended_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  LbTestProcessEnd *end = user_data;
  GSubprocess *process = G_SUBPROCESS (source);
  gboolean exited, signaled;

  g_subprocess_wait_finish (process, result, NULL);
  exited = g_subprocess_get_if_exited (process);
  signaled = !exited && g_subprocess_get_if_signaled (process);
  end->exit_status = exited ? g_subprocess_get_exit_status (process) : -1;
  end->term_signal = signaled ? g_subprocess_get_term_sig (process) : 0;
  end->time = g_get_monotonic_time ();
  end->exited = TRUE;
}

void
lb_test_subprocess_watch (GSubprocess *process, LbTestProcessEnd *end)
{
  g_subprocess_wait_async (process, NULL, process_ended_cb, end);
}

static gboolean
strv_has_prefix (const char *const *strv, const char *prefix)
{
  for (guint i = 0; strv != NULL && strv[i] != NULL; i++)
    if (g_str_has_prefix (strv[i], prefix))
      return TRUE;
  return FALSE;
}

/* The environment of a daemon: nothing but what the service needs, so that
 * it cannot depend on the tester's session. Sanitizer settings pass, as
 * they change no behaviour. */
static GPtrArray *
daemon_environ (LbTestMachine *machine, const LbTestDaemonOptions *options)
{
  const char *const *extra_env = options->extra_env;
  GPtrArray *env = g_ptr_array_new_with_free_func (g_free);
  const char *const passthrough[]
      = { "ASAN_OPTIONS", "LSAN_OPTIONS", "UBSAN_OPTIONS", "TSAN_OPTIONS", NULL };

  g_ptr_array_add (
      env, g_strdup_printf ("DBUS_SESSION_BUS_ADDRESS=%s", lb_test_bus_get_address (machine->bus)));
  g_ptr_array_add (env, g_strdup_printf ("XDG_DATA_HOME=%s", options->data_home != NULL
                                                                 ? options->data_home
                                                                 : machine->data_home));
  g_ptr_array_add (env, g_strdup_printf ("HOME=%s", machine->home));
  /* As in a session: without it GLib makes ~/.cache for GVfs's sockets
   * (g_get_user_runtime_dir()), a write outside the store. */
  if (!strv_has_prefix (extra_env, "XDG_RUNTIME_DIR="))
    g_ptr_array_add (env, g_strdup_printf ("XDG_RUNTIME_DIR=%s", machine->runtime_dir));
  if (options->fault != NULL)
    g_ptr_array_add (env, g_strdup_printf ("LB_FAULT=%s", options->fault));
  if (options->fault_delay_us > 0)
    g_ptr_array_add (env, g_strdup_printf ("LB_FAULT_DELAY_US=%u", options->fault_delay_us));
  for (guint i = 0; extra_env != NULL && extra_env[i] != NULL; i++)
    g_ptr_array_add (env, g_strdup (extra_env[i]));
  for (guint i = 0; passthrough[i] != NULL; i++)
    if (g_getenv (passthrough[i]) != NULL)
      g_ptr_array_add (env, g_strdup_printf ("%s=%s", passthrough[i], g_getenv (passthrough[i])));
  g_ptr_array_add (env, NULL);
  return env;
}

const char *
lb_test_get_daemon_path (void)
{
  const char *path = g_getenv ("LB_DAEMON_PATH");

  return path != NULL && path[0] != '\0' ? path : LB_DAEMON_PATH;
}

LbTestDaemon *
lb_test_machine_start_daemon (LbTestMachine *machine, const LbTestDaemonOptions *options)
{
  static const LbTestDaemonOptions defaults = { 0 };
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) env = NULL;
  g_autoptr (GError) error = NULL;
  const char *identifier;
  LbTestDaemon *daemon;

  if (options == NULL)
    options = &defaults;

  daemon = g_new0 (LbTestDaemon, 1);
  daemon->machine = machine;
  daemon->number = machine->daemons->len + 1;
  daemon->options.idle_timeout = options->idle_timeout;
  daemon->options.flags = options->flags;
  daemon->options.fault_delay_us = options->fault_delay_us;
  daemon->options.fault = g_strdup (options->fault);
  daemon->options.extra_args = (const char *const *) g_strdupv ((char **) options->extra_args);
  daemon->options.extra_env = (const char *const *) g_strdupv ((char **) options->extra_env);
  daemon->options.wrapper = (const char *const *) g_strdupv ((char **) options->wrapper);
  daemon->options.data_home = g_strdup (options->data_home);
  daemon->options.log_path = g_strdup (options->log_path);
  daemon->log_path = options->log_path != NULL
                         ? g_strdup (options->log_path)
                         : g_strdup_printf ("%s/daemon-%u.log", machine->root, daemon->number);
  g_ptr_array_add (machine->daemons, daemon);

  for (guint i = 0; options->wrapper != NULL && options->wrapper[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (options->wrapper[i]));
  g_ptr_array_add (argv, g_strdup (lb_test_get_daemon_path ()));
  g_ptr_array_add (argv, g_strdup ("--machine-id-file"));
  g_ptr_array_add (argv, g_strdup (machine->machine_id_file));
  g_ptr_array_add (argv, g_strdup ("--machine-info-file"));
  g_ptr_array_add (argv, g_strdup (machine->machine_info_file));
  g_ptr_array_add (argv, g_strdup ("--idle-timeout"));
  g_ptr_array_add (argv, g_strdup_printf ("%u", options->idle_timeout));
  if (options->flags & LB_TEST_DAEMON_REPLACE)
    g_ptr_array_add (argv, g_strdup ("--replace"));
  if (!(options->flags & LB_TEST_DAEMON_QUIET))
    g_ptr_array_add (argv, g_strdup ("--verbose"));
  for (guint i = 0; options->extra_args != NULL && options->extra_args[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (options->extra_args[i]));
  g_ptr_array_add (argv, NULL);
  env = daemon_environ (machine, options);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_subprocess_launcher_set_environ (launcher, (char **) env->pdata);
  g_subprocess_launcher_set_cwd (launcher, machine->root);
  g_subprocess_launcher_set_stdout_file_path (launcher, daemon->log_path);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent,
                                         GINT_TO_POINTER ((int) getpid ()), NULL);
  daemon->start_time = g_get_monotonic_time ();
  daemon->process
      = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  if (daemon->process == NULL)
    {
      daemon->end.exited = TRUE;
      daemon->end.exit_status = -1;
      return NULL;
    }
  /* The identifier is NULL once GLib has reaped the process: a daemon
   * that fails at once (a corrupt store, a bad argument) can be gone
   * before this line. Its pid is then 0, which owns nothing. */
  identifier = g_subprocess_get_identifier (daemon->process);
  daemon->pid = identifier != NULL ? (GPid) g_ascii_strtoll (identifier, NULL, 10) : 0;
  if (options->wrapper == NULL)
    daemon->service_pid = daemon->pid;
  lb_test_subprocess_watch (daemon->process, &daemon->end);

  if (!(options->flags & LB_TEST_DAEMON_NO_WAIT))
    {
      if (!lb_test_daemon_wait_owner (daemon, LB_TEST_TIMEOUT_MS))
        {
          if (daemon->end.exited)
            g_test_fail_printf ("license-backupd #%u exited (status %d, signal %d) before owning "
                                "%s",
                                daemon->number, daemon->end.exit_status, daemon->end.term_signal,
                                LB_TEST_BUS_NAME);
          else
            g_test_fail_printf ("license-backupd #%u did not own %s within %d ms", daemon->number,
                                LB_TEST_BUS_NAME, LB_TEST_TIMEOUT_MS);
          return NULL;
        }
    }
  return daemon;
}

LbTestDaemon *
lb_test_machine_get_daemon (LbTestMachine *machine)
{
  if (machine->daemons->len == 0)
    return NULL;
  return machine->daemons->pdata[machine->daemons->len - 1];
}

void
lb_test_machine_stop_daemon (LbTestMachine *machine)
{
  LbTestDaemon *daemon = lb_test_machine_get_daemon (machine);

  g_assert_nonnull (daemon);
  if (daemon != NULL)
    lb_test_daemon_stop (daemon, SIGTERM);
}

LbTestDaemon *
lb_test_machine_restart_daemon (LbTestMachine *machine)
{
  LbTestDaemon *old = lb_test_machine_get_daemon (machine);
  LbTestDaemonOptions options;

  g_assert_nonnull (old);
  if (old == NULL)
    return NULL;
  lb_test_daemon_stop (old, SIGTERM);
  /* The copy points at the old daemon's strings, which live as long as the
   * machine. */
  options = old->options;
  return lb_test_machine_start_daemon (machine, &options);
}

FIELD_GETTER (LbTestDaemon, GPid, lb_test_daemon_get_pid, pid)
FIELD_GETTER (LbTestDaemon, GPid, lb_test_daemon_get_service_pid, service_pid)
FIELD_GETTER (LbTestDaemon, const char *, lb_test_daemon_get_log_path, log_path)

char *
lb_test_daemon_read_log (LbTestDaemon *daemon)
{
  return read_file_or_empty (daemon->log_path);
}

gboolean
lb_test_daemon_is_running (LbTestDaemon *daemon)
{
  g_autoptr (GMainContext) context = g_main_context_ref_thread_default ();

  while (g_main_context_iteration (context, FALSE))
    ;
  return !daemon->end.exited;
}

typedef struct
{
  LbTestDaemon *daemon;
  gboolean owns;
} OwnerWait;

static gboolean
daemon_owns_or_exited (gpointer user_data)
{
  OwnerWait *wait = user_data;

  LbTestDaemon *daemon = wait->daemon;
  guint32 owner;

  if (daemon->end.exited)
    return TRUE;
  owner = lb_test_bus_get_owner_pid (daemon->machine->bus);
  /* Under a wrapper, the daemon is whoever comes to own the name. */
  if (daemon->options.wrapper != NULL && owner != 0)
    daemon->service_pid = (GPid) owner;
  wait->owns = daemon->service_pid != 0 && owner == (guint32) daemon->service_pid;
  return wait->owns;
}

gboolean
lb_test_daemon_wait_owner (LbTestDaemon *daemon, guint timeout_ms)
{
  OwnerWait wait = { daemon, FALSE };

  lb_test_wait_until (daemon_owns_or_exited, &wait, timeout_ms);
  return wait.owns && !daemon->end.exited;
}

static gboolean
daemon_exited (gpointer user_data)
{
  return ((LbTestDaemon *) user_data)->end.exited;
}

gboolean
lb_test_daemon_wait_exit (LbTestDaemon *daemon, guint timeout_ms)
{
  return lb_test_wait_until (daemon_exited, daemon, timeout_ms);
}

int
lb_test_daemon_get_exit_status (LbTestDaemon *daemon)
{
  g_assert_true (daemon->end.exited);
  return daemon->end.exit_status;
}

int
lb_test_daemon_get_term_signal (LbTestDaemon *daemon)
{
  g_assert_true (daemon->end.exited);
  return daemon->end.term_signal;
}

FIELD_GETTER (LbTestDaemon, gint64, lb_test_daemon_get_start_time, start_time)

gint64
lb_test_daemon_get_exit_time (LbTestDaemon *daemon)
{
  return daemon->end.exited ? daemon->end.time : 0;
}

static gboolean
daemon_released_name (gpointer user_data)
{
  LbTestDaemon *daemon = user_data;

  return lb_test_bus_get_owner_pid (daemon->machine->bus) != (guint32) daemon->service_pid;
}

void
lb_test_daemon_stop (LbTestDaemon *daemon, int signum)
{
  g_assert_nonnull (daemon);
  if (daemon == NULL)
    return;
  if (!lb_test_daemon_is_running (daemon))
    {
      g_test_fail_printf ("license-backupd #%u had already exited (status %d, signal %d) when "
                          "it was to be stopped",
                          daemon->number, daemon->end.exit_status, daemon->end.term_signal);
      return;
    }
  g_subprocess_send_signal (daemon->process, signum);
  lb_test_assert_daemon_exited (daemon, 0);
  g_assert_true (lb_test_wait_until (daemon_released_name, daemon, LB_TEST_TIMEOUT_MS));
}

void
lb_test_daemon_kill (LbTestDaemon *daemon)
{
  if (daemon == NULL || daemon->process == NULL || lb_test_daemon_is_running (daemon) == FALSE)
    return;
  g_subprocess_force_exit (daemon->process);
  lb_test_daemon_wait_exit (daemon, LB_TEST_TIMEOUT_MS);
}

void
lb_test_assert_daemon_exited_impl (
    const char *file, int line, const char *func, LbTestDaemon *daemon, int status)
{
  g_autofree char *msg = NULL;

  if (daemon == NULL)
    msg = g_strdup ("no daemon to check");
  else if (!lb_test_daemon_wait_exit (daemon, LB_TEST_TIMEOUT_MS))
    msg = g_strdup_printf ("license-backupd #%u still runs after %d ms; expected it to exit "
                           "with status %d",
                           daemon->number, LB_TEST_TIMEOUT_MS, status);
  else if (daemon->end.term_signal != 0)
    msg = g_strdup_printf ("license-backupd #%u was killed by signal %d (%s); expected exit "
                           "status %d",
                           daemon->number, daemon->end.term_signal,
                           g_strsignal (daemon->end.term_signal), status);
  else if (daemon->end.exit_status != status)
    msg = g_strdup_printf ("license-backupd #%u exited with status %d; expected %d", daemon->number,
                           daemon->end.exit_status, status);
  if (msg != NULL)
    g_assertion_message (G_LOG_DOMAIN, file, line, func, msg);
}

/* Errors */

const char *
lb_test_error_dbus_name (LbError code)
{
  const GError error = { .domain = LB_ERROR, .code = (int) code, .message = (char *) "" };

  return lb_error_get_dbus_name (&error);
}

/* The nick of @value of the enum @type, or "?". */
static const char *
enum_nick (GType type, int value)
{
  /* Enum classes of static types are never freed: the nick stays valid. */
  g_autoptr (GEnumClass) klass = g_type_class_ref (type);
  GEnumValue *v = g_enum_get_value (klass, value);

  return v != NULL ? v->value_nick : "?";
}

const char *
lb_test_status_nick (guint status)
{
  return enum_nick (LB_TYPE_STATUS, (int) status);
}

/* NULL if @error came from the bus as the D-Bus error @expected with a
 * non-empty message, else what is wrong. */
static char *
check_remote_error (const GError *error, const char *expected)
{
  g_autofree char *remote = NULL;
  g_autoptr (GError) copy = NULL;

  if (error == NULL)
    return g_strdup_printf ("expected the D-Bus error %s, but the call succeeded", expected);
  if ((remote = g_dbus_error_get_remote_error (error)) == NULL)
    return g_strdup_printf ("expected the D-Bus error %s, got the local error %s #%d: %s", expected,
                            g_quark_to_string (error->domain), error->code, error->message);
  if (!g_str_equal (remote, expected))
    return g_strdup_printf ("expected the D-Bus error %s, got %s: %s", expected, remote,
                            error->message);
  copy = g_error_copy (error);
  g_dbus_error_strip_remote_error (copy);
  if (copy->message[0] == '\0')
    return g_strdup_printf ("the D-Bus error %s has an empty message", expected);
  return NULL;
}

void
lb_test_assert_error_name_impl (
    const char *file, int line, const char *func, const GError *error, LbError code)
{
  g_autofree char *msg = check_remote_error (error, lb_test_error_dbus_name (code));

  /* The name alone is not enough: a client sees the code. */
  if (msg == NULL && !g_error_matches (error, LB_ERROR, (int) code))
    msg = g_strdup_printf ("expected LB_ERROR #%d (%s), got %s #%d: %s", (int) code,
                           enum_nick (LB_TYPE_ERROR, (int) code), g_quark_to_string (error->domain),
                           error->code, error->message);
  if (msg != NULL)
    g_assertion_message (G_LOG_DOMAIN, file, line, func, msg);
}

void
lb_test_assert_dbus_error_name_impl (
    const char *file, int line, const char *func, const GError *error, const char *name)
{
  g_autofree char *msg = check_remote_error (error, name);

  if (msg != NULL)
    g_assertion_message (G_LOG_DOMAIN, file, line, func, msg);
}

/* Signals */

typedef struct
{
  char *member;
  char *interface_name;
  GVariant *parameters;
  gint64 time;
} QueuedSignal;

static void
queued_signal_free (QueuedSignal *signal)
{
  g_free (signal->member);
  g_free (signal->interface_name);
  g_variant_unref (signal->parameters);
  g_free (signal);
}

struct _LbTestSignalQueue
{
  GDBusConnection *connection;
  guint subscription;
  GQueue signals;
};

static void
on_signal (GDBusConnection *connection,
           const char *sender_name,
           const char *object_path,
           const char *interface_name,
           const char *signal_name,
           GVariant *parameters,
           gpointer user_data)
{
  LbTestSignalQueue *queue = user_data;
  QueuedSignal *signal = g_new0 (QueuedSignal, 1);

  signal->member = g_strdup (signal_name);
  signal->interface_name = g_strdup (interface_name);
  signal->parameters = g_variant_ref (parameters);
  signal->time = g_get_monotonic_time ();
  g_queue_push_tail (&queue->signals, signal);
}

static LbTestSignalQueue *
signal_queue_new_full (GDBusConnection *connection,
                       const char *sender,
                       const char *interface_name,
                       const char *member,
                       const char *object_path,
                       const char *arg0)
{
  LbTestSignalQueue *queue = g_new0 (LbTestSignalQueue, 1);
  g_autoptr (GVariant) reply = NULL;

  queue->connection = g_object_ref (connection);
  g_queue_init (&queue->signals);
  queue->subscription
      = g_dbus_connection_signal_subscribe (connection, sender, interface_name, member, object_path,
                                            arg0, G_DBUS_SIGNAL_FLAGS_NONE, on_signal, queue, NULL);
  /* The bus has the match rule once a round trip has gone through it. */
  reply = g_dbus_connection_call_sync (connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus.Peer", "Ping", NULL, NULL,
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
  return queue;
}

LbTestSignalQueue *
lb_test_signal_queue_new (GDBusConnection *connection,
                          const char *sender,
                          const char *interface_name,
                          const char *member,
                          const char *object_path)
{
  return signal_queue_new_full (connection, sender, interface_name, member, object_path, NULL);
}

void
lb_test_signal_queue_free (LbTestSignalQueue *queue)
{
  if (queue == NULL)
    return;
  g_dbus_connection_signal_unsubscribe (queue->connection, queue->subscription);
  g_queue_clear_full (&queue->signals, (GDestroyNotify) queued_signal_free);
  g_object_unref (queue->connection);
  g_free (queue);
}

guint
lb_test_signal_queue_get_length (LbTestSignalQueue *queue)
{
  return g_queue_get_length (&queue->signals);
}

static gboolean
queue_not_empty (gpointer user_data)
{
  return !g_queue_is_empty (&((LbTestSignalQueue *) user_data)->signals);
}

GVariant *
lb_test_signal_queue_pop_full (LbTestSignalQueue *queue,
                               guint timeout_ms,
                               char **member,
                               char **interface_name,
                               gint64 *time_us)
{
  QueuedSignal *signal;
  GVariant *parameters;

  if (!lb_test_wait_until (queue_not_empty, queue, timeout_ms))
    return NULL;
  signal = g_queue_pop_head (&queue->signals);
  parameters = g_variant_ref (signal->parameters);
  if (member != NULL)
    *member = g_strdup (signal->member);
  if (interface_name != NULL)
    *interface_name = g_strdup (signal->interface_name);
  if (time_us != NULL)
    *time_us = signal->time;
  queued_signal_free (signal);
  return parameters;
}

GVariant *
lb_test_signal_queue_pop (LbTestSignalQueue *queue, guint timeout_ms, char **member)
{
  return lb_test_signal_queue_pop_full (queue, timeout_ms, member, NULL, NULL);
}

LbTestSignalQueue *
lb_test_properties_changed_queue_new (LbTestBus *bus, const char *interface_name)
{
  return signal_queue_new_full (bus->connection, NULL, "org.freedesktop.DBus.Properties",
                                "PropertiesChanged", LB_TEST_OBJECT_PATH, interface_name);
}

GVariant *
lb_test_wait_property_changed (LbTestSignalQueue *queue,
                               const char *property_name,
                               guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  for (;;)
    {
      gint64 left = deadline - g_get_monotonic_time ();
      g_autoptr (GVariant) params = NULL;
      g_autoptr (GVariant) changed = NULL;
      GVariant *value;

      params = lb_test_signal_queue_pop (queue, (guint) MAX (left / 1000, 0), NULL);
      if (params == NULL)
        return NULL;
      if (!g_variant_is_of_type (params, G_VARIANT_TYPE ("(sa{sv}as)")))
        continue;
      changed = g_variant_get_child_value (params, 1);
      value = g_variant_lookup_value (changed, property_name, NULL);
      if (value != NULL)
        return value;
    }
}

/* Licenses */

GVariant *
lb_test_blob_new (gsize size, guint8 seed)
{
  guint8 *data = g_malloc (size);
  g_autoptr (GBytes) bytes = NULL;

  for (gsize i = 0; i < size; i++)
    data[i] = (guint8) ((i * 131 + seed) % 251);
  bytes = g_bytes_new_take (data, size);
  return g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, bytes, TRUE);
}

GVariant *
lb_test_vardict_new (const char *first_key, ...)
{
  GVariantBuilder builder;
  va_list ap;

  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
  va_start (ap, first_key);
  for (const char *key = first_key; key != NULL; key = va_arg (ap, const char *))
    g_variant_builder_add (&builder, "{sv}", key, va_arg (ap, GVariant *));
  va_end (ap);
  return g_variant_builder_end (&builder);
}

GVariant *
lb_test_vardict_lookup (GVariant *dict, const char *key)
{
  return g_variant_lookup_value (dict, key, NULL);
}

gboolean
lb_test_store_many (
    LbDBusStore *store, guint n, const char *prefix, gsize blob_size, GError **error)
{
  const guint batch_max = 10000;

  for (guint first = 0; first < n; first += batch_max)
    {
      GVariantBuilder builder;

      g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(saya{sv})"));
      for (guint i = first; i < n && i < first + batch_max; i++)
        {
          g_autofree char *key_id = g_strdup_printf ("%s%06u", prefix, i);

          g_variant_builder_add (&builder, "(s@ay@a{sv})", key_id,
                                 lb_test_blob_new (blob_size, (guint8) i),
                                 lb_test_vardict_new (NULL, NULL));
        }
      if (!lb_dbus_store_call_store_licenses_sync (store, g_variant_builder_end (&builder), NULL,
                                                   error))
        return FALSE;
    }
  return TRUE;
}

void
lb_test_store_many_ok (LbDBusStore *store, guint n, const char *prefix, gsize blob_size)
{
  g_autoptr (GError) error = NULL;

  lb_test_store_many (store, n, prefix, blob_size, &error);
  g_assert_no_error (error);
}

/* Operations */

GVariant *
lb_test_path_options (const char *path)
{
  if (path == NULL)
    return lb_test_vardict_new (NULL, NULL);
  return lb_test_vardict_new ("path", g_variant_new_string (path), NULL);
}

guint64
lb_test_start_operation (
    LbDBusManager *manager, gboolean restore, guint32 flags, GVariant *options, GError **error)
{
  g_autoptr (GVariant) opts
      = g_variant_ref_sink (options != NULL ? options : lb_test_vardict_new (NULL, NULL));
  guint64 id = 0;
  gboolean ok;

  if (restore)
    ok = lb_dbus_manager_call_restore_licenses_sync (manager, flags, opts, &id, NULL, error);
  else
    ok = lb_dbus_manager_call_backup_licenses_sync (manager, flags, opts, &id, NULL, error);
  return ok ? id : 0;
}

gboolean
lb_test_wait_completed (LbTestSignalQueue *queue,
                        guint64 id,
                        guint timeout_ms,
                        GArray *statuses,
                        guint *status,
                        char **error_text,
                        GVariant **summary)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  for (;;)
    {
      gint64 left_ms = (deadline - g_get_monotonic_time ()) / 1000;
      g_autofree char *member = NULL;
      g_autoptr (GVariant) params = NULL;
      gboolean completed;
      guint64 op_id = 0;
      guint op_status = 0;

      if (left_ms <= 0)
        return FALSE;
      params = lb_test_signal_queue_pop (queue, (guint) left_ms, &member);
      if (params == NULL)
        return FALSE;
      completed = g_str_has_suffix (member, "Completed");
      if (completed && !g_variant_is_of_type (params, G_VARIANT_TYPE ("(tusa{sv})")))
        continue;
      if (!completed && !g_str_has_suffix (member, "Progress"))
        continue;
      g_variant_get_child (params, 0, "t", &op_id);
      if (op_id != id)
        continue;
      g_variant_get_child (params, 1, "u", &op_status);
      if (!completed)
        {
          if (statuses != NULL)
            g_array_append_val (statuses, op_status);
          continue;
        }
      if (status != NULL)
        *status = op_status;
      if (error_text != NULL)
        g_variant_get_child (params, 2, "s", error_text);
      if (summary != NULL)
        g_variant_get_child (params, 3, "@a{sv}", summary);
      return TRUE;
    }
}

/* Files */

GBytes *
lb_test_read_bytes (const char *path)
{
  char *contents = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &contents, &len, NULL))
    return NULL;
  return g_bytes_new_take (contents, len);
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

GPtrArray *
lb_test_list_dir (const char *dir)
{
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  return names;
}

gboolean
lb_test_is_backup_name (const char *name)
{
  return lb_generation_parse_name (name, NULL);
}

GPtrArray *
lb_test_list_backups (const char *dir)
{
  g_autoptr (GFile) folder = g_file_new_for_path (dir);
  g_autoptr (GPtrArray) all = lb_generations_list (folder, LB_GENERATIONS_NONE, NULL, NULL);
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);

  /* Newest first, licenses.lbk last: backwards, without licenses.lbk. */
  for (guint i = all != NULL ? all->len : 0; i > 0; i--)
    {
      const LbGeneration *g = all->pdata[i - 1];

      if (lb_test_is_backup_name (g->name))
        g_ptr_array_add (names, g_strdup (g->name));
    }
  return names;
}

static la_ssize_t
append_to_byte_array (struct archive *a, void *user_data, const void *buf, size_t len)
{
  g_byte_array_append (user_data, buf, (guint) len);
  return (la_ssize_t) len;
}

struct archive *
lb_test_archive_writer_new (GByteArray *out, int filter)
{
  struct archive *a = archive_write_new ();

  archive_write_set_format_pax_restricted (a);
  if (filter != ARCHIVE_FILTER_NONE)
    g_assert_cmpint (archive_write_add_filter (a, filter), ==, ARCHIVE_OK);
  archive_write_set_bytes_per_block (a, 0);
  archive_write_open2 (a, out, NULL, append_to_byte_array, NULL, NULL);
  return a;
}

void
lb_test_archive_entry_reset (struct archive_entry *entry,
                             const char *name,
                             unsigned int type,
                             const char *target)
{
  archive_entry_clear (entry);
  archive_entry_set_pathname (entry, name);
  archive_entry_set_filetype (entry, type);
  archive_entry_set_perm (entry, 0600);
  if (type == AE_IFLNK)
    archive_entry_set_symlink (entry, target);
  else if (target != NULL)
    archive_entry_set_hardlink (entry, target);
}

void
lb_test_archive_write_file (
    struct archive *a, struct archive_entry *entry, const char *name, const void *data, gsize len)
{
  lb_test_archive_entry_reset (entry, name, AE_IFREG, NULL);
  archive_entry_set_size (entry, (la_int64_t) len);
  g_assert_cmpint (archive_write_header (a, entry), ==, ARCHIVE_OK);
  archive_write_data (a, data, len);
}

guint
lb_test_count_temporaries (const char *dir)
{
  g_autoptr (GPtrArray) names = lb_test_list_dir (dir);
  guint n = 0;

  for (guint i = 0; i < names->len; i++)
    if (g_str_has_prefix (names->pdata[i], LB_BACKUP_TMP_PREFIX))
      n++;
  return n;
}

/* Helpers shared by tests/daemon */

gboolean
lb_test_machine_start_service (LbTestMachine *machine,
                               const LbTestDaemonOptions *options,
                               LbDBusStore **store,
                               LbDBusManager **manager)
{
  LbTestDaemon *running = lb_test_machine_get_daemon (machine);

  if (running != NULL && lb_test_daemon_is_running (running))
    lb_test_machine_stop_daemon (machine);
  g_clear_object (store);
  g_clear_object (manager);
  if (lb_test_machine_start_daemon (machine, options) == NULL)
    return FALSE;
  return lb_test_bus_renew_proxies (machine->bus, store, manager);
}

void
lb_test_clear_service (LbTestBus **bus,
                       LbTestMachine **machine,
                       LbDBusStore **store,
                       LbDBusManager **manager)
{
  g_clear_object (store);
  g_clear_object (manager);
  g_clear_pointer (machine, lb_test_machine_free);
  g_clear_pointer (bus, lb_test_bus_free);
}

gboolean
lb_test_wait_licenses_done (LbTestBus *bus, guint64 n)
{
  gboolean reached = FALSE;

  for (guint i = 0; i < 1000 && !reached; i++)
    {
      g_autoptr (GVariant) done
          = lb_test_bus_get_property (bus, LB_TEST_MANAGER_IFACE, "LicensesDone", NULL);

      reached = done != NULL && g_variant_get_uint64 (done) >= n;
      if (!reached)
        lb_test_run_for (10);
    }
  g_assert_true (reached);
  return reached;
}

gsize
lb_test_find_bytes (GBytes *bytes, const char *needle, gsize from, gboolean last)
{
  const char *data = g_bytes_get_data (bytes, NULL);
  gsize size = g_bytes_get_size (bytes), n = strlen (needle), found = G_MAXSIZE;

  for (gsize i = from; i + n <= size; i++)
    if (memcmp (data + i, needle, n) == 0)
      {
        found = i;
        if (!last)
          break;
      }
  g_assert_cmpuint (found, !=, G_MAXSIZE);
  return found;
}

void
lb_test_service_fixture_init (LbTestServiceFixture *f)
{
  f->bus = lb_test_bus_new (LB_TEST_BUS_DEFAULT);
  f->machine = lb_test_machine_new (f->bus, "a");
  f->dir = lb_test_make_tmp_dir ("backups");
  f->queue = lb_test_signal_queue_new (lb_test_bus_get_connection (f->bus), NULL,
                                       LB_TEST_MANAGER_IFACE, NULL, LB_TEST_OBJECT_PATH);
}

void
lb_test_service_fixture_clear (LbTestServiceFixture *f)
{
  g_clear_pointer (&f->queue, lb_test_signal_queue_free);
  lb_test_clear_service (&f->bus, &f->machine, &f->store, &f->manager);
  lb_test_rm_rf (f->dir);
  g_clear_pointer (&f->dir, g_free);
}

void
lb_test_completed_clear (LbTestCompleted *c)
{
  g_clear_pointer (&c->error, g_free);
  g_clear_pointer (&c->summary, g_variant_unref);
}

gboolean
lb_test_completed_wait (
    LbTestCompleted *c, LbTestSignalQueue *queue, guint64 id, guint timeout_ms, GArray *statuses)
{
  lb_test_completed_clear (c);
  if (lb_test_wait_completed (queue, id, timeout_ms, statuses, &c->status, &c->error, &c->summary))
    return TRUE;
  g_test_fail_printf ("operation %" G_GUINT64_FORMAT " did not complete within %u ms", id,
                      timeout_ms);
  return FALSE;
}

void
lb_test_bus_set_manager_string (LbTestBus *bus, const char *name, const char *value)
{
  g_autoptr (GError) error = NULL;

  lb_test_bus_set_property (bus, LB_TEST_MANAGER_IFACE, name, g_variant_new_string (value), &error);
  g_assert_no_error (error);
}

LbTestSignal *
lb_test_signal_queue_pop_signal (LbTestSignalQueue *queue, guint timeout_ms)
{
  LbTestSignal *signal = g_new0 (LbTestSignal, 1);

  signal->params = lb_test_signal_queue_pop_full (queue, timeout_ms, &signal->member,
                                                  &signal->iface, &signal->time);
  if (signal->params != NULL)
    return signal;
  lb_test_signal_free (signal);
  return NULL;
}

void
lb_test_signal_free (LbTestSignal *signal)
{
  g_free (signal->member);
  g_free (signal->iface);
  g_clear_pointer (&signal->params, g_variant_unref);
  g_free (signal);
}

/* Helpers shared by tests/client, tests/lib and tests/panel */

int
lb_test_subprocess_status (GSubprocess *proc, int *term_signal)
{
  *term_signal = g_subprocess_get_if_signaled (proc) ? g_subprocess_get_term_sig (proc) : 0;
  return g_subprocess_get_if_exited (proc) ? g_subprocess_get_exit_status (proc) : -1;
}

char *
lb_test_bytes_to_string (GBytes *bytes, gsize *len)
{
  gsize n = 0;
  const char *data = bytes != NULL ? g_bytes_get_data (bytes, &n) : NULL;
  char *s = g_malloc (n + 1);

  if (n > 0)
    memcpy (s, data, n);
  s[n] = '\0';
  if (len != NULL)
    *len = n;
  return s;
}

void
lb_test_die_with_parent (gpointer parent_pid)
{
  die_with_parent (parent_pid);
}

/* The age tool on a terminal */

static gboolean
ends_with_prompt (const char *text)
{
  g_autofree char *copy = g_strchomp (g_strdup (text));

  return g_str_has_suffix (copy, ":");
}

int
lb_test_run_on_tty (const char *const *argv, const char *passphrase, char **output)
{
  g_autoptr (GString) seen = g_string_new (NULL);
  guint answered = 0;
  int master, status = -1;
  pid_t pid;
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  master = posix_openpt (O_RDWR | O_NOCTTY);
  g_assert_cmpint (master, >=, 0);
  g_assert_cmpint (grantpt (master), ==, 0);
  g_assert_cmpint (unlockpt (master), ==, 0);
  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      int slave;

      setsid ();
      slave = open (ptsname (master), O_RDWR);
      if (slave < 0 || ioctl (slave, TIOCSCTTY, 0) < 0)
        _exit (126);
      dup2 (slave, 0);
      dup2 (slave, 1);
      dup2 (slave, 2);
      close (master);
      execvp (argv[0], (char *const *) argv);
      _exit (127);
    }
  for (;;)
    {
      struct pollfd pfd = { master, POLLIN, 0 };
      char buf[512];
      ssize_t n;
      const char *p = seen->str;
      guint prompts = 0;

      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      if (poll (&pfd, 1, 200) < 0 && errno != EINTR)
        g_error ("poll: %s", g_strerror (errno));
      if (pfd.revents & (POLLIN | POLLHUP | POLLERR))
        {
          n = read (master, buf, sizeof buf);
          if (n <= 0)
            break; /* EIO: the child closed the terminal */
          g_string_append_len (seen, buf, n);
        }
      while ((p = strstr (p, "passphrase")) != NULL)
        {
          prompts++;
          p++;
        }
      /* A prompt ends with a colon; answer each once. */
      if (prompts > answered && ends_with_prompt (seen->str))
        {
          g_autofree char *line = g_strconcat (passphrase, "\n", NULL);

          g_assert_cmpint (write (master, line, strlen (line)), ==, (gssize) strlen (line));
          answered = prompts;
        }
    }
  close (master);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  *output = g_string_free (g_steal_pointer (&seen), FALSE);
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

/* A keyring on a test bus (for encrypted backups) */

#define LB_TEST_SECRETS_NAME "org.freedesktop.secrets"

struct _LbTestKeyring
{
  GSubprocess *process;
  char *home;
};

typedef struct
{
  GDBusConnection *connection;
} KeyringWait;

static gboolean
secrets_owned (gpointer user_data)
{
  KeyringWait *w = user_data;
  g_autoptr (GVariant) reply = g_dbus_connection_call_sync (
      w->connection, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
      "NameHasOwner", g_variant_new ("(s)", LB_TEST_SECRETS_NAME), G_VARIANT_TYPE ("(b)"),
      G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
  gboolean owned = FALSE;

  if (reply != NULL)
    g_variant_get (reply, "(b)", &owned);
  return owned;
}

static void
keyring_child_setup (gpointer user_data)
{
  die_with_parent (user_data);
}

LbTestKeyring *
lb_test_keyring_start (LbTestBus *bus, char **skip)
{
  g_autofree char *program = g_find_program_in_path ("gnome-keyring-daemon");
  g_autofree char *data_home = NULL;
  g_autofree char *runtime = NULL;
  g_autofree char *log = NULL;
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (LbTestKeyring) keyring = NULL;
  KeyringWait w = { lb_test_bus_get_connection (bus) };
  const char *argv[] = { NULL, "--foreground", "--components=secrets", "--unlock", NULL };

  if (program == NULL)
    {
      *skip = g_strdup ("gnome-keyring-daemon is not installed (apt-get install gnome-keyring)");
      return NULL;
    }
  argv[0] = program;
  keyring = g_new0 (LbTestKeyring, 1);
  keyring->home = lb_test_make_tmp_dir ("keyring");
  data_home = g_build_filename (keyring->home, "data", NULL);
  runtime = g_build_filename (keyring->home, "run", NULL);
  log = g_build_filename (keyring->home, "keyring.log", NULL);
  g_mkdir_with_parents (data_home, 0700);
  g_mkdir_with_parents (runtime, 0700);
  launcher
      = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_subprocess_launcher_set_environ (launcher, (char *[]){ NULL });
  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS", lb_test_bus_get_address (bus),
                                TRUE);
  g_subprocess_launcher_setenv (launcher, "HOME", keyring->home, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", data_home, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_RUNTIME_DIR", runtime, TRUE);
  g_subprocess_launcher_setenv (launcher, "PATH", g_getenv ("PATH"), TRUE);
  g_subprocess_launcher_set_stdout_file_path (launcher, log);
  g_subprocess_launcher_set_child_setup (launcher, keyring_child_setup, GINT_TO_POINTER (getpid ()),
                                         NULL);
  keyring->process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  if (keyring->process == NULL)
    {
      *skip = g_strdup_printf ("gnome-keyring-daemon cannot start: %s", error->message);
      return NULL;
    }
  /* The login password, then end of file, as PAM hands it over: the
   * "login" keyring is made, unlocked and the default. */
  g_output_stream_write_all (g_subprocess_get_stdin_pipe (keyring->process),
                             "keyring-login-password", strlen ("keyring-login-password"), NULL,
                             NULL, NULL);
  g_output_stream_close (g_subprocess_get_stdin_pipe (keyring->process), NULL, NULL);
  if (!lb_test_wait_until (secrets_owned, &w, 10000))
    {
      g_autofree char *text = NULL;

      g_file_get_contents (log, &text, NULL, NULL);
      *skip = g_strdup_printf ("gnome-keyring-daemon did not take the bus name: %s",
                               text != NULL ? text : "");
      return NULL;
    }
  return g_steal_pointer (&keyring);
}

void
lb_test_keyring_free (LbTestKeyring *keyring)
{
  if (keyring == NULL)
    return;
  if (keyring->process != NULL)
    {
      g_subprocess_force_exit (keyring->process);
      g_subprocess_wait (keyring->process, NULL, NULL);
      g_object_unref (keyring->process);
    }
  lb_test_rm_rf (keyring->home);
  g_free (keyring->home);
  g_free (keyring);
}
