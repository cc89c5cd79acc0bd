/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tests of the sandbox harness (lb-test-sandbox.c): that its fake Flatpak
 * and Snap apps reach the bus, look from the host as the daemon will see
 * them, and leave nothing running.
 *
 * A "witness" stands in for the daemon: it owns org.freedesktop.LicenseBackup1
 * on the test bus (in a thread of its own, since the harness's calls block
 * the test's thread) and, for each call, identifies the caller as the
 * daemon does: GetConnectionCredentials, then /proc/PID/root/.flatpak-info
 * (opened O_NOFOLLOW) and /proc/PID/cgroup.
 *
 * Parts (/sandbox/proxy, /sandbox/direct, /sandbox/snap) run as separate
 * meson tests; a part that cannot run here exits 77.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lb-test-sandbox.h"
#include "lb-test-util.h"

#define APP_ID "org.example.MediaPlayer"
#define SNAP_NAME "mediaplayer"
#define WITNESS_IFACE "org.freedesktop.LicenseBackup1.TestWitness"
/* Asserts, and returns if it failed: a set error cannot be reused. */
#define ASSERT_NO_ERROR(error) \
  G_STMT_START                 \
  {                            \
    g_assert_no_error (error); \
    if ((error) != NULL)       \
      return;                  \
  }                            \
  G_STMT_END

/* Not a key file: the group header is not closed. */
#define MALFORMED_INFO "[Application\nname=org.example.Malformed\n"

/* What the daemon sees of a caller */

typedef struct
{
  char *unique_name;
  guint32 pid;
  gboolean own_root; /* /proc/PID/root is not the host's / */
  int lstat_errno;   /* of /proc/PID/root/.flatpak-info; 0: mode is set */
  guint mode;
  int open_errno; /* of open (O_RDONLY | O_NOFOLLOW); 0: it opened */
  gboolean regular;
  char *contents;        /* read from it, when regular */
  char *app_id;          /* its [Application] name=, when it parses */
  char *followed_app_id; /* the same, opened without O_NOFOLLOW */
  char *cgroup;          /* /proc/PID/cgroup */
} Identity;

static void
identity_free (Identity *identity)
{
  g_free (identity->unique_name);
  g_free (identity->contents);
  g_free (identity->app_id);
  g_free (identity->followed_app_id);
  g_free (identity->cgroup);
  g_free (identity);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Identity, identity_free)

static char *
read_fd (int fd)
{
  GString *data = g_string_new (NULL);
  char buf[4096];
  ssize_t n;

  while ((n = read (fd, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
    if (n > 0)
      g_string_append_len (data, buf, n);
  return g_string_free (data, FALSE);
}

static char *
app_id_from (const char *contents)
{
  g_autoptr (GKeyFile) key_file = g_key_file_new ();

  if (contents == NULL || !g_key_file_load_from_data (key_file, contents, -1, 0, NULL))
    return NULL;
  return g_key_file_get_string (key_file, "Application", "name", NULL);
}

static Identity *
identify (GDBusConnection *connection, const char *unique_name, GError **error)
{
  g_autoptr (Identity) identity = g_new0 (Identity, 1);
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GVariant) credentials = NULL;
  g_autofree char *root_path = NULL;
  g_autofree char *info_path = NULL;
  g_autofree char *cgroup_path = NULL;
  struct stat st, host_root;
  int fd;

  reply = g_dbus_connection_call_sync (
      connection, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
      "GetConnectionCredentials", g_variant_new ("(s)", unique_name), G_VARIANT_TYPE ("(a{sv})"),
      G_DBUS_CALL_FLAGS_NONE, -1, NULL, error);
  if (reply == NULL)
    return NULL;
  credentials = g_variant_get_child_value (reply, 0);
  if (!g_variant_lookup (credentials, "ProcessID", "u", &identity->pid))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "no ProcessID for %s", unique_name);
      return NULL;
    }
  identity->unique_name = g_strdup (unique_name);
  root_path = g_strdup_printf ("/proc/%u/root/", identity->pid);
  identity->own_root = stat (root_path, &st) == 0 && stat ("/", &host_root) == 0
                       && (st.st_dev != host_root.st_dev || st.st_ino != host_root.st_ino);

  info_path = g_strdup_printf ("/proc/%u/root/.flatpak-info", identity->pid);
  identity->lstat_errno = lstat (info_path, &st) == 0 ? 0 : errno;
  if (identity->lstat_errno == 0)
    identity->mode = st.st_mode;
  fd = open (info_path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
  identity->open_errno = fd >= 0 ? 0 : errno;
  if (fd >= 0)
    {
      identity->regular = fstat (fd, &st) == 0 && S_ISREG (st.st_mode);
      if (identity->regular)
        {
          identity->contents = read_fd (fd);
          identity->app_id = app_id_from (identity->contents);
        }
      close (fd);
    }
  /* What a daemon that follows symlinks would read. */
  fd = open (info_path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd >= 0)
    {
      g_autofree char *followed
          = fstat (fd, &st) == 0 && S_ISREG (st.st_mode) ? read_fd (fd) : NULL;

      identity->followed_app_id = app_id_from (followed);
      close (fd);
    }
  cgroup_path = g_strdup_printf ("/proc/%u/cgroup", identity->pid);
  g_file_get_contents (cgroup_path, &identity->cgroup, NULL, NULL);
  return g_steal_pointer (&identity);
}

/* Whether this process has CAP_DAC_OVERRIDE, with which root reads a
 * mode-0000 file. */
static gboolean
has_dac_override (void)
{
  g_autofree char *status = NULL;
  const char *cap_eff;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return FALSE;
  cap_eff = strstr (status, "\nCapEff:");
  return cap_eff != NULL
         && (g_ascii_strtoull (cap_eff + strlen ("\nCapEff:"), NULL, 16) & (1u << 1)) != 0;
}

/* Asserts that @identity is what the daemon will see of an app whose
 * /.flatpak-info is as @info says. */
static void
check_identity (const Identity *identity, LbTestFlatpakInfo info)
{
  g_assert_cmpuint (identity->pid, !=, 0);
  g_assert_cmpuint (identity->pid, !=, (guint32) getpid ());
  g_assert_true (identity->own_root);
  g_assert_cmpint (identity->lstat_errno, ==, 0);

  switch (info)
    {
    case LB_TEST_FLATPAK_INFO_NORMAL:
      g_assert_true (S_ISREG (identity->mode));
      g_assert_cmpuint (identity->mode & 07777, ==, 0600);
      g_assert_cmpint (identity->open_errno, ==, 0);
      g_assert_true (identity->regular);
      g_assert_cmpstr (identity->app_id, ==, APP_ID);
      g_assert_nonnull (strstr (identity->contents, "\nruntime=runtime/"));
      g_assert_nonnull (strstr (identity->contents, "\n[Instance]\n"));
      break;
    case LB_TEST_FLATPAK_INFO_CONTENTS:
      g_assert_true (S_ISREG (identity->mode));
      g_assert_cmpint (identity->open_errno, ==, 0);
      g_assert_cmpstr (identity->contents, ==, MALFORMED_INFO);
      g_assert_null (identity->app_id);
      break;
    case LB_TEST_FLATPAK_INFO_SYMLINK:
      g_assert_true (S_ISLNK (identity->mode));
      g_assert_cmpint (identity->open_errno, ==, ELOOP);
      g_assert_null (identity->app_id);
      /* Only O_NOFOLLOW stops it: followed, it leads to a good file. */
      g_assert_cmpstr (identity->followed_app_id, ==, APP_ID);
      break;
    case LB_TEST_FLATPAK_INFO_DIRECTORY:
      g_assert_true (S_ISDIR (identity->mode));
      /* A directory opens O_RDONLY; only fstat tells. */
      g_assert_cmpint (identity->open_errno, ==, 0);
      g_assert_false (identity->regular);
      g_assert_null (identity->app_id);
      break;
    case LB_TEST_FLATPAK_INFO_UNREADABLE:
      g_assert_true (S_ISREG (identity->mode));
      g_assert_cmpuint (identity->mode & 07777, ==, 0);
      if (has_dac_override ())
        {
          g_test_message ("as root (CAP_DAC_OVERRIDE) the mode-0000 file is readable");
          g_assert_cmpint (identity->open_errno, ==, 0);
          g_assert_cmpstr (identity->app_id, ==, APP_ID);
        }
      else
        {
          g_assert_cmpint (identity->open_errno, ==, EACCES);
          g_assert_null (identity->app_id);
        }
      break;
    default:
      g_assert_not_reached ();
    }
}

/* The witness: the daemon's stand-in */

typedef struct
{
  char *address;
  GThread *thread;
  GMainContext *context;
  gint stop;
  GMutex mutex;
  GCond cond;
  gboolean started;
  gboolean owns_name;
  GPtrArray *identities; /* of Identity, one per Identify call */
} Witness;

static const char witness_xml[] = "<node>"
                                  "  <interface name='" WITNESS_IFACE "'>"
                                  "    <method name='Identify'>"
                                  "      <arg type='s' name='app_id' direction='out'/>"
                                  "    </method>"
                                  "  </interface>"
                                  "</node>";

static void
witness_method_call (GDBusConnection *connection,
                     const char *sender,
                     const char *object_path,
                     const char *interface_name,
                     const char *method_name,
                     GVariant *parameters,
                     GDBusMethodInvocation *invocation,
                     gpointer user_data)
{
  Witness *witness = user_data;
  g_autoptr (GError) error = NULL;
  Identity *identity = identify (connection, sender, &error);
  const char *app_id;
  GVariant *reply;

  if (identity == NULL)
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return;
    }
  /* Recorded before the reply, which the test waits for. */
  app_id = identity->app_id != NULL ? identity->app_id : "";
  reply = g_variant_new ("(s)", app_id);
  g_mutex_lock (&witness->mutex);
  g_ptr_array_add (witness->identities, identity);
  g_mutex_unlock (&witness->mutex);
  g_dbus_method_invocation_return_value (invocation, reply);
}

static const GDBusInterfaceVTable witness_vtable = { witness_method_call, NULL, NULL, { 0 } };

static gpointer
witness_thread (gpointer user_data)
{
  Witness *witness = user_data;
  g_autoptr (GDBusNodeInfo) node = g_dbus_node_info_new_for_xml (witness_xml, NULL);
  g_autoptr (GDBusConnection) connection = NULL;
  g_autoptr (GVariant) reply = NULL;
  guint registration = 0;
  guint32 result = 0;

  g_main_context_push_thread_default (witness->context);
  connection = g_dbus_connection_new_for_address_sync (
      witness->address,
      G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT
          | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
      NULL, NULL, NULL);
  if (connection != NULL)
    {
      registration
          = g_dbus_connection_register_object (connection, LB_TEST_OBJECT_PATH, node->interfaces[0],
                                               &witness_vtable, witness, NULL, NULL);
      reply = g_dbus_connection_call_sync (
          connection, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
          "RequestName", g_variant_new ("(su)", LB_TEST_BUS_NAME, 4u), G_VARIANT_TYPE ("(u)"),
          G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
      if (reply != NULL)
        g_variant_get (reply, "(u)", &result);
    }
  g_mutex_lock (&witness->mutex);
  witness->owns_name = result == 1; /* DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER */
  witness->started = TRUE;
  g_cond_signal (&witness->cond);
  g_mutex_unlock (&witness->mutex);

  while (!g_atomic_int_get (&witness->stop))
    g_main_context_iteration (witness->context, TRUE);

  if (registration != 0)
    g_dbus_connection_unregister_object (connection, registration);
  if (connection != NULL)
    g_dbus_connection_close_sync (connection, NULL, NULL);
  g_main_context_pop_thread_default (witness->context);
  return NULL;
}

static Witness *
witness_new (LbTestBus *bus)
{
  Witness *witness = g_new0 (Witness, 1);

  witness->address = g_strdup (lb_test_bus_get_address (bus));
  witness->context = g_main_context_new ();
  witness->identities = g_ptr_array_new_with_free_func ((GDestroyNotify) identity_free);
  g_mutex_init (&witness->mutex);
  g_cond_init (&witness->cond);
  witness->thread = g_thread_new ("witness", witness_thread, witness);
  g_mutex_lock (&witness->mutex);
  while (!witness->started)
    g_cond_wait (&witness->cond, &witness->mutex);
  g_mutex_unlock (&witness->mutex);
  g_assert_true (witness->owns_name);
  return witness;
}

static void
witness_free (Witness *witness)
{
  g_atomic_int_set (&witness->stop, 1);
  g_main_context_wakeup (witness->context);
  g_thread_join (witness->thread);
  g_ptr_array_unref (witness->identities);
  g_main_context_unref (witness->context);
  g_mutex_clear (&witness->mutex);
  g_cond_clear (&witness->cond);
  g_free (witness->address);
  g_free (witness);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Witness, witness_free)

/* The one identity recorded since the last call, or NULL. */
static Identity *
witness_take (Witness *witness)
{
  Identity *identity = NULL;

  g_mutex_lock (&witness->mutex);
  g_assert_cmpuint (witness->identities->len, ==, 1);
  if (witness->identities->len > 0)
    identity = g_ptr_array_steal_index (witness->identities, witness->identities->len - 1);
  g_ptr_array_set_size (witness->identities, 0);
  g_mutex_unlock (&witness->mutex);
  return identity;
}

static const char *const identify_argv[] = { "gdbus",
                                             "call",
                                             "--session",
                                             "--dest",
                                             LB_TEST_BUS_NAME,
                                             "--object-path",
                                             LB_TEST_OBJECT_PATH,
                                             "--method",
                                             WITNESS_IFACE ".Identify",
                                             NULL };

/* Processes */

/* How many processes but this one have an argument containing @marker. */
static guint
count_processes_with_arg (const char *marker)
{
  g_autoptr (GDir) proc = g_dir_open ("/proc", 0, NULL);
  const char *name;
  guint count = 0;

  g_assert_nonnull (proc);
  while (proc != NULL && (name = g_dir_read_name (proc)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autofree char *cmdline = NULL;
      gsize len;

      if (!g_ascii_isdigit (name[0]) || atoi (name) == getpid ())
        continue;
      path = g_strdup_printf ("/proc/%s/cmdline", name);
      if (!g_file_get_contents (path, &cmdline, &len, NULL))
        continue;
      for (gsize at = 0; at < len; at += strlen (cmdline + at) + 1)
        if (strstr (cmdline + at, marker) != NULL)
          {
            count++;
            break;
          }
    }
  return count;
}

/* Gone, or a zombie that its new parent has yet to reap. */
static gboolean
pid_is_gone (gpointer user_data)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", GPOINTER_TO_INT (user_data));
  g_autofree char *stat = NULL;
  const char *end;

  if (!g_file_get_contents (path, &stat, NULL, NULL))
    return TRUE;
  end = strrchr (stat, ')');
  return end != NULL && end[1] == ' ' && end[2] == 'Z';
}

/* A unique argument for sleep (600.NNNNNN seconds), to find its process. */
static char *
sleep_marker (void)
{
  return g_strdup_printf ("600.%06u", g_random_int_range (0, 1000000));
}

/* The host must never get a /.flatpak-info (bwrap would create it on a
 * bound / as root). */
static void
assert_host_root_clean (void)
{
  struct stat st;

  g_assert_cmpint (lstat ("/.flatpak-info", &st), ==, -1);
  g_assert_cmpint (errno, ==, ENOENT);
}

/* The variants */

typedef struct
{
  const char *name;
  LbTestFlatpakInfo info;
  const char *contents;
} Variant;

static const Variant variants[] = {
  { "normal", LB_TEST_FLATPAK_INFO_NORMAL, NULL },
  { "contents", LB_TEST_FLATPAK_INFO_CONTENTS, MALFORMED_INFO },
  { "symlink", LB_TEST_FLATPAK_INFO_SYMLINK, NULL },
  { "directory", LB_TEST_FLATPAK_INFO_DIRECTORY, NULL },
  { "unreadable", LB_TEST_FLATPAK_INFO_UNREADABLE, NULL },
};

/* Apps behind the proxy */

static GVariant *
call (GDBusConnection *connection,
      const char *destination,
      const char *path,
      const char *interface_name,
      const char *method,
      GVariant *parameters,
      GError **error)
{
  return g_dbus_connection_call_sync (connection, destination, path, interface_name, method,
                                      parameters, NULL, G_DBUS_CALL_FLAGS_NO_AUTO_START, 10000,
                                      NULL, error);
}

static void
test_proxy (gconstpointer data)
{
  const Variant *variant = data;
  g_autoptr (LbTestBus) bus = lb_test_bus_new (LB_TEST_BUS_DEFAULT);
  g_autoptr (Witness) witness = witness_new (bus);
  GDBusConnection *test_connection = lb_test_bus_get_connection (bus);
  g_autoptr (GError) error = NULL;
  const char *app_id = variant->info == LB_TEST_FLATPAK_INFO_CONTENTS ? NULL : APP_ID;
  g_autoptr (LbTestApp) app = lb_test_app_new (bus, app_id, variant->info, variant->contents);

  g_assert_nonnull (app);
  if (app == NULL)
    return;
  GPid proxy_pid = lb_test_app_get_proxy_pid (app);
  g_assert_cmpint (proxy_pid, >, 0);
  g_autofree char *exe_path = g_strdup_printf ("/proc/%d/exe", proxy_pid);
  g_autofree char *exe = g_file_read_link (exe_path, NULL);
  g_assert_true (g_str_has_suffix (exe, "/xdg-dbus-proxy"));
  g_assert_true (g_str_has_prefix (lb_test_app_get_address (app), "unix:path="));

  /* The app's connection reaches the bus itself. Like flatpak's, the
   * filter lets the app call only some bus methods (Hello, GetId,
   * AddMatch, ...): not Peer.Ping. */
  g_autoptr (GDBusConnection) connection = lb_test_app_connect (app, &error);
  ASSERT_NO_ERROR (error);
  g_autoptr (GVariant) reply = call (connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                     "org.freedesktop.DBus.Peer", "Ping", NULL, &error);
  g_assert_error (error, G_DBUS_ERROR, G_DBUS_ERROR_ACCESS_DENIED);
  g_clear_error (&error);
  g_autoptr (GVariant) app_bus_id
      = call (connection, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
              "GetId", NULL, &error);
  ASSERT_NO_ERROR (error);
  g_autoptr (GVariant) bus_id
      = call (test_connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
              "org.freedesktop.DBus", "GetId", NULL, &error);
  ASSERT_NO_ERROR (error);
  g_assert_true (app_bus_id != NULL && bus_id != NULL && g_variant_equal (app_bus_id, bus_id));

  /* From the host: the connection is the proxy's, and the proxy's root has
   * the /.flatpak-info of the variant. */
  g_autoptr (Identity) seen
      = identify (test_connection, g_dbus_connection_get_unique_name (connection), &error);
  ASSERT_NO_ERROR (error);
  if (seen == NULL)
    return;
  g_assert_cmpuint (seen->pid, ==, (guint32) proxy_pid);
  check_identity (seen, variant->info);

  /* The service's name is reachable (--talk), and its owner sees the same. */
  g_clear_pointer (&reply, g_variant_unref);
  reply = call (connection, LB_TEST_BUS_NAME, LB_TEST_OBJECT_PATH, WITNESS_IFACE, "Identify", NULL,
                &error);
  ASSERT_NO_ERROR (error);
  g_autoptr (Identity) witnessed = witness_take (witness);
  g_assert_nonnull (witnessed);
  if (witnessed == NULL)
    return;
  g_assert_cmpstr (witnessed->unique_name, ==, g_dbus_connection_get_unique_name (connection));
  g_assert_cmpuint (witnessed->pid, ==, (guint32) proxy_pid);
  check_identity (witnessed, variant->info);

  /* Anyone else is out of reach (--filter). */
  g_clear_pointer (&reply, g_variant_unref);
  reply = call (connection, g_dbus_connection_get_unique_name (test_connection),
                "/org/freedesktop/DBus", "org.freedesktop.DBus.Peer", "Ping", NULL, &error);
  g_assert_nonnull (error);
  g_clear_error (&error);

  /* Every connection through the app is the proxy's. */
  g_autoptr (GDBusConnection) second = lb_test_app_connect (app, &error);
  ASSERT_NO_ERROR (error);
  if (second == NULL)
    return;
  g_assert_cmpstr (g_dbus_connection_get_unique_name (second), !=,
                   g_dbus_connection_get_unique_name (connection));
  g_autoptr (Identity) seen_second
      = identify (test_connection, g_dbus_connection_get_unique_name (second), &error);
  ASSERT_NO_ERROR (error);
  g_assert_cmpuint (seen_second != NULL ? seen_second->pid : 0, ==, (guint32) proxy_pid);

  /* Nothing is left running. */
  g_autofree char *socket_path = g_strdup (lb_test_app_get_address (app) + strlen ("unix:path="));
  g_assert_cmpuint (count_processes_with_arg (socket_path), >=, 1);
  g_dbus_connection_close_sync (connection, NULL, NULL);
  g_dbus_connection_close_sync (second, NULL, NULL);
  g_clear_pointer (&app, lb_test_app_free);
  g_assert_true (lb_test_wait_until (pid_is_gone, GINT_TO_POINTER (proxy_pid), LB_TEST_TIMEOUT_MS));
  g_assert_cmpuint (count_processes_with_arg (socket_path), ==, 0);
  g_assert_false (g_file_test (socket_path, G_FILE_TEST_EXISTS));
  assert_host_root_clean ();
}

/* A connection through the proxy of a new app APP_ID with a normal
 * /.flatpak-info (*@app), asserted; NULL after a failed assertion. */
static GDBusConnection *
connect_normal_app (LbTestBus *bus, LbTestApp **app)
{
  g_autoptr (GError) error = NULL;
  GDBusConnection *connection;

  *app = lb_test_app_new (bus, APP_ID, LB_TEST_FLATPAK_INFO_NORMAL, NULL);
  g_assert_nonnull (*app);
  if (*app == NULL)
    return NULL;
  connection = lb_test_app_connect (*app, &error);
  g_assert_no_error (error);
  return connection;
}

/* The real daemon answers an app through its proxy. */
static void
test_proxy_daemon (void)
{
  g_autoptr (LbTestBus) bus = lb_test_bus_new (LB_TEST_BUS_DEFAULT);
  g_autoptr (LbTestMachine) machine = lb_test_machine_new (bus, "machine");
  g_autoptr (GError) error = NULL;

  if (lb_test_machine_start_daemon (machine, NULL) == NULL)
    return;
  g_autoptr (LbTestApp) app = NULL;
  g_autoptr (GDBusConnection) connection = connect_normal_app (bus, &app);
  if (connection == NULL)
    return;
  g_autoptr (GVariant) reply = call (connection, LB_TEST_BUS_NAME, LB_TEST_OBJECT_PATH,
                                     "org.freedesktop.DBus.Peer", "Ping", NULL, &error);
  ASSERT_NO_ERROR (error);
  g_autoptr (GVariant) pid_reply
      = call (lb_test_bus_get_connection (bus), "org.freedesktop.DBus", "/org/freedesktop/DBus",
              "org.freedesktop.DBus", "GetConnectionUnixProcessID",
              g_variant_new ("(s)", g_dbus_connection_get_unique_name (connection)), &error);
  ASSERT_NO_ERROR (error);
  guint32 pid = 0;
  if (pid_reply != NULL)
    g_variant_get (pid_reply, "(u)", &pid);
  g_assert_cmpuint (pid, ==, (guint32) lb_test_app_get_proxy_pid (app));
  g_assert_true (lb_test_daemon_is_running (lb_test_machine_get_daemon (machine)));
}

/* A bus whose socket is not in a directory of its own (dbus-daemon
 * --session: /tmp/dbus-XXXXXXXX) works the same, through the proxy and
 * directly. */
static void
test_session_bus (void)
{
  const char *const envp[] = { "PATH=/usr/bin:/bin", NULL };
  g_autoptr (LbTestBus) bus = lb_test_bus_new_session (envp);
  g_autoptr (GError) error = NULL;
  const char *const get_id[] = { "gdbus",
                                 "call",
                                 "--session",
                                 "--dest",
                                 "org.freedesktop.DBus",
                                 "--object-path",
                                 "/org/freedesktop/DBus",
                                 "--method",
                                 "org.freedesktop.DBus.GetId",
                                 NULL };

  if (lb_test_bus_get_connection (bus) == NULL)
    return;
  g_autoptr (LbTestApp) app = NULL;
  g_autoptr (GDBusConnection) connection = connect_normal_app (bus, &app);
  if (connection == NULL)
    return;
  g_autoptr (GVariant) reply = call (connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                     "org.freedesktop.DBus", "GetId", NULL, &error);
  ASSERT_NO_ERROR (error);
  const char *bus_id = NULL;
  g_variant_get (reply, "(&s)", &bus_id);
  g_autofree char *expected = g_strdup_printf ("('%s',)\n", bus_id);
  g_autofree char *out = NULL;
  int status = -1;
  g_assert_true (lb_test_app_run_direct (bus, APP_ID, LB_TEST_FLATPAK_INFO_NORMAL, NULL, get_id,
                                         NULL, &out, NULL, &status, &error));
  ASSERT_NO_ERROR (error);
  g_assert_cmpint (status, ==, 0);
  g_assert_cmpstr (out, ==, expected);
}

/* Apps with the bus socket */

static void
test_direct_identity (gconstpointer data)
{
  const Variant *variant = data;
  g_autoptr (LbTestBus) bus = lb_test_bus_new (LB_TEST_BUS_DEFAULT);
  g_autoptr (Witness) witness = witness_new (bus);
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  const char *app_id = variant->info == LB_TEST_FLATPAK_INFO_CONTENTS ? NULL : APP_ID;
  int status = -1;

  gboolean ok = lb_test_app_run_direct (bus, app_id, variant->info, variant->contents,
                                        identify_argv, NULL, &out, &err, &status, &error);
  ASSERT_NO_ERROR (error);
  g_assert_true (ok);
  if (status != 0)
    g_test_message ("gdbus: %s", err);
  g_assert_cmpint (status, ==, 0);
  g_autoptr (Identity) witnessed = witness_take (witness);
  g_assert_nonnull (witnessed);
  if (witnessed == NULL)
    return;
  /* gdbus itself, inside the sandbox, holds the connection. */
  check_identity (witnessed, variant->info);
  g_autofree char *expected
      = g_strdup_printf ("('%s',)\n", witnessed->app_id != NULL ? witnessed->app_id : "");
  g_assert_cmpstr (out, ==, expected);
  g_assert_true (pid_is_gone (GINT_TO_POINTER ((int) witnessed->pid)));
  assert_host_root_clean ();
}

static void
run_direct_checked (LbTestBus *bus,
                    const char *const *argv,
                    const char *const *envp,
                    char **out,
                    char **err,
                    int *status)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (lb_test_app_run_direct (bus, APP_ID, LB_TEST_FLATPAK_INFO_NORMAL, NULL, argv, envp,
                                         out, err, status, &error));
  ASSERT_NO_ERROR (error);
}

static void
test_direct_output (void)
{
  g_autoptr (LbTestBus) bus = lb_test_bus_new (LB_TEST_BUS_DEFAULT);
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
  const char *const outputs[] = { "sh", "-c", "printf out; printf err >&2; exit 3", NULL };
  const char *const environment[]
      = { "sh", "-c",
          "printf '%s|%s|%s|%s' \"$DBUS_SESSION_BUS_ADDRESS\" \"$FLATPAK_ID\" "
          "\"$LB_TEST_EXTRA\" \"$HOME\"",
          NULL };
  const char *const extra_env[] = { "LB_TEST_EXTRA=yes", NULL };
  const char *const info[] = { "cat", "/.flatpak-info", NULL };
  const char *const signalled[] = { "sh", "-c", "kill -TERM $$", NULL };
  const char *const host_hidden[] = { "sh", "-c", "test ! -e /root && test ! -e /var", NULL };
  const char *const from_build[] = { self, "--help", NULL };
  int status = -1;

  {
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;

    run_direct_checked (bus, outputs, NULL, &out, &err, &status);
    g_assert_cmpstr (out, ==, "out");
    g_assert_cmpstr (err, ==, "err");
    g_assert_cmpint (status, ==, 3);
  }
  {
    g_autofree char *out = NULL;
    g_auto (GStrv) fields = NULL;

    run_direct_checked (bus, environment, extra_env, &out, NULL, &status);
    g_assert_cmpint (status, ==, 0);
    fields = g_strsplit (out, "|", -1);
    g_assert_cmpuint (g_strv_length (fields), ==, 4);
    g_assert_cmpstr (fields[0], ==, "unix:path=/run/flatpak/bus");
    g_assert_cmpstr (fields[1], ==, APP_ID);
    g_assert_cmpstr (fields[2], ==, "yes");
    g_assert_true (g_str_has_suffix (fields[3], "/home"));
  }
  {
    g_autofree char *out = NULL;

    run_direct_checked (bus, info, NULL, &out, NULL, &status);
    g_assert_cmpint (status, ==, 0);
    g_assert_nonnull (strstr (out, "[Application]\nname=" APP_ID "\n"));
  }
  run_direct_checked (bus, signalled, NULL, NULL, NULL, &status);
  g_assert_cmpint (status, ==, 128 + SIGTERM);
  run_direct_checked (bus, host_hidden, NULL, NULL, NULL, &status);
  g_assert_cmpint (status, ==, 0);
  {
    g_autofree char *out = NULL;

    /* A program from the build tree runs inside. */
    run_direct_checked (bus, from_build, NULL, &out, NULL, &status);
    g_assert_cmpint (status, ==, 0);
    g_assert_nonnull (strstr (out, "Usage:"));
  }
  assert_host_root_clean ();
}

/* What the app leaves running dies with it (the pid namespace ends). */
static void
test_direct_background (void)
{
  g_autoptr (LbTestBus) bus = lb_test_bus_new (LB_TEST_BUS_DEFAULT);
  g_autofree char *marker = sleep_marker ();
  g_autofree char *script = g_strdup_printf ("sleep %s & echo started", marker);
  const char *const argv[] = { "sh", "-c", script, NULL };
  g_autofree char *out = NULL;
  gint64 start = g_get_monotonic_time ();
  int status = -1;

  run_direct_checked (bus, argv, NULL, &out, NULL, &status);
  g_assert_cmpint (status, ==, 0);
  g_assert_cmpstr (out, ==, "started\n");
  g_assert_cmpint (g_get_monotonic_time () - start, <, 10 * G_USEC_PER_SEC);
  g_assert_cmpuint (count_processes_with_arg (marker), ==, 0);
}

static void
test_direct_timeout (void)
{
  g_autoptr (LbTestBus) bus = lb_test_bus_new (LB_TEST_BUS_DEFAULT);
  g_autofree char *marker = sleep_marker ();
  const char *const argv[] = { "sleep", marker, NULL };
  g_autoptr (GError) error = NULL;
  gint64 start = g_get_monotonic_time ();
  gboolean ok;

  lb_test_sandbox_set_run_timeout (1500);
  ok = lb_test_app_run_direct (bus, APP_ID, LB_TEST_FLATPAK_INFO_NORMAL, NULL, argv, NULL, NULL,
                               NULL, NULL, &error);
  lb_test_sandbox_set_run_timeout (0);
  g_assert_false (ok);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 1500 * 1000);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 15 * G_USEC_PER_SEC);
  g_assert_cmpuint (count_processes_with_arg (marker), ==, 0);
}

/* Snaps */

static gboolean
skip_without_snap (void)
{
  g_autofree char *reason = NULL;

  if (lb_test_snap_available (&reason))
    return FALSE;
  g_test_skip (reason);
  return TRUE;
}

/* The cgroup v2 path in @cgroup (/proc/PID/cgroup), or NULL. */
static char *
cgroup2_path (const char *cgroup)
{
  g_auto (GStrv) lines = g_strsplit (cgroup != NULL ? cgroup : "", "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], "0::"))
      return g_strdup (lines[i] + strlen ("0::"));
  return NULL;
}

static void
test_snap_identity (void)
{
  if (skip_without_snap ())
    return;
  g_autoptr (LbTestBus) bus = lb_test_bus_new (LB_TEST_BUS_DEFAULT);
  g_autoptr (Witness) witness = witness_new (bus);
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status = -1;
  g_assert_true (
      lb_test_snap_run (bus, SNAP_NAME, identify_argv, NULL, &out, &err, &status, &error));
  ASSERT_NO_ERROR (error);
  if (status != 0)
    g_test_message ("gdbus: %s", err);
  g_assert_cmpint (status, ==, 0);
  g_assert_cmpstr (out, ==, "('',)\n");
  g_autoptr (Identity) witnessed = witness_take (witness);
  g_assert_nonnull (witnessed);
  if (witnessed == NULL)
    return;
  g_assert_cmpuint (witnessed->pid, !=, (guint32) getpid ());
  /* Not sandboxed: the host's root, which has no /.flatpak-info. */
  g_assert_false (witnessed->own_root);
  g_assert_cmpint (witnessed->lstat_errno, ==, ENOENT);
  g_autofree char *path = cgroup2_path (witnessed->cgroup);
  g_assert_nonnull (path);
  if (path == NULL)
    return;
  g_test_message ("the snap's cgroup: %s", path);
  g_autofree char *scope = g_path_get_basename (path);
  g_assert_true (g_str_has_prefix (scope, "snap." SNAP_NAME "." SNAP_NAME "-"));
  g_assert_true (g_str_has_suffix (scope, ".scope"));
  /* Removed afterwards, wherever cgroup v2 is mounted. */
  for (guint i = 0; i < 2; i++)
    {
      const char *mounts[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };
      g_autofree char *dir = g_build_filename (mounts[i], path, NULL);

      g_assert_false (g_file_test (dir, G_FILE_TEST_EXISTS));
    }
}

static void
test_snap_output (void)
{
  g_autoptr (LbTestBus) bus = NULL;
  g_autoptr (GError) error = NULL;
  const char *const argv[]
      = { "sh", "-c", "printf '%s|%s' \"$SNAP_NAME\" \"$LB_TEST_EXTRA\"; printf err >&2; exit 4",
          NULL };
  const char *const extra_env[] = { "LB_TEST_EXTRA=yes", NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status = -1;

  if (skip_without_snap ())
    return;
  bus = lb_test_bus_new (LB_TEST_BUS_DEFAULT);
  g_assert_true (lb_test_snap_run (bus, SNAP_NAME, argv, extra_env, &out, &err, &status, &error));
  ASSERT_NO_ERROR (error);
  g_assert_cmpstr (out, ==, SNAP_NAME "|yes");
  g_assert_cmpstr (err, ==, "err");
  g_assert_cmpint (status, ==, 4);
}

/* What the snap leaves running in its cgroup is killed, so that the cgroup
 * can go. */
static void
test_snap_background (void)
{
  g_autoptr (LbTestBus) bus = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *marker = sleep_marker ();
  g_autofree char *script = g_strdup_printf ("sleep %s & echo started", marker);
  const char *const argv[] = { "sh", "-c", script, NULL };
  g_autofree char *out = NULL;
  int status = -1;

  if (skip_without_snap ())
    return;
  bus = lb_test_bus_new (LB_TEST_BUS_DEFAULT);
  g_assert_true (lb_test_snap_run (bus, SNAP_NAME, argv, NULL, &out, NULL, &status, &error));
  ASSERT_NO_ERROR (error);
  g_assert_cmpint (status, ==, 0);
  g_assert_cmpstr (out, ==, "started\n");
  g_assert_cmpuint (count_processes_with_arg (marker), ==, 0);
}

static void
test_snap_timeout (void)
{
  g_autoptr (LbTestBus) bus = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *marker = sleep_marker ();
  g_autofree char *script = g_strdup_printf ("sleep %s & sleep %s", marker, marker);
  const char *const argv[] = { "sh", "-c", script, NULL };
  gboolean ok;

  if (skip_without_snap ())
    return;
  bus = lb_test_bus_new (LB_TEST_BUS_DEFAULT);
  lb_test_sandbox_set_run_timeout (1500);
  ok = lb_test_snap_run (bus, SNAP_NAME, argv, NULL, NULL, NULL, NULL, &error);
  lb_test_sandbox_set_run_timeout (0);
  g_assert_false (ok);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_assert_cmpuint (count_processes_with_arg (marker), ==, 0);
}

/* Whether the -p options (none: all) select tests under @prefix. */
static gboolean
selected (int argc, char **argv, const char *prefix)
{
  gboolean any = FALSE;

  for (int i = 1; i < argc; i++)
    {
      const char *path = NULL;

      if (strcmp (argv[i], "-p") == 0 && i + 1 < argc)
        path = argv[++i];
      else if (g_str_has_prefix (argv[i], "-p="))
        path = argv[i] + strlen ("-p=");
      if (path == NULL)
        continue;
      any = TRUE;
      if (g_str_has_prefix (path, prefix) || g_str_has_prefix (prefix, path))
        return TRUE;
    }
  return !any;
}

int
main (int argc, char **argv)
{
  gboolean sandbox
      = selected (argc, argv, "/sandbox/proxy") || selected (argc, argv, "/sandbox/direct");
  g_autofree char *reason = NULL;

  /* Skipped, not passed, where the part cannot run (meson: 77). */
  if (sandbox)
    lb_test_sandbox_require ();
  else if (!lb_test_snap_available (&reason))
    {
      g_print ("1..0 # SKIP %s\n", reason);
      g_printerr ("Skipped: %s\n", reason);
      return 77;
    }
  lb_test_init (&argc, &argv);

  for (gsize i = 0; i < G_N_ELEMENTS (variants); i++)
    {
      g_autofree char *proxy_path = g_strconcat ("/sandbox/proxy/", variants[i].name, NULL);
      g_autofree char *direct_path
          = g_strconcat ("/sandbox/direct/identity/", variants[i].name, NULL);

      g_test_add_data_func (proxy_path, &variants[i], test_proxy);
      g_test_add_data_func (direct_path, &variants[i], test_direct_identity);
    }
  g_test_add_func ("/sandbox/proxy/daemon", test_proxy_daemon);
  g_test_add_func ("/sandbox/direct/session-bus", test_session_bus);
  g_test_add_func ("/sandbox/direct/output", test_direct_output);
  g_test_add_func ("/sandbox/direct/background", test_direct_background);
  g_test_add_func ("/sandbox/direct/timeout", test_direct_timeout);
  g_test_add_func ("/sandbox/snap/identity", test_snap_identity);
  g_test_add_func ("/sandbox/snap/output", test_snap_output);
  g_test_add_func ("/sandbox/snap/background", test_snap_background);
  g_test_add_func ("/sandbox/snap/timeout", test_snap_timeout);
  return g_test_run ();
}
