/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Integration tests of the backup and restore engine (issue 3): the real
 * license-backupd on a private bus, driven and watched only through
 * D-Bus (BackupLicenses, RestoreLicenses, the cancels, GetStatus, the
 * progress properties and signals) and the files it leaves behind.
 *
 * The backup file's own corruption matrix is in test-backup-file.c; here
 * every check goes through the daemon.
 *
 * Operations are slowed down with LB_FAULT_DELAY_US (src/fault.h) so that
 * they last long enough to be watched, cancelled or killed without huge
 * stores, and the daemon is killed at exact moments with LB_FAULT.
 *
 * Tests are grouped (/operations/<group>/...); meson runs each group as its
 * own test so that groups run in parallel (see tests/meson.build).
 */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

#include "lb-test-util.h"

/* Generous: operations here last a few seconds at most, but the machine
 * may be busy with other tests. */
#define OP_TIMEOUT_MS 120000

/* The publishing interval the API promises, and how much earlier than it
 * two progress signals may usually arrive because of scheduling on the
 * way (shorter gaps are logged). */
#define INTERVAL_MS 125
#define INTERVAL_MIN_MS 112
/* The hard limits (see check_operation_signals()): each progress signal
 * at least k × INTERVAL_MS - SPAN_SLACK_MS after the k-th one before it,
 * for some k up to SPAN_LOOKBACK (the first gap at least
 * FIRST_GAP_MIN_MS); ten consecutive gaps of at least WINDOW_MIN_MS. */
#define SPAN_LOOKBACK 4
#define SPAN_SLACK_MS 40
#define FIRST_GAP_MIN_MS 20
/* No client may see 11 within a second, jitter included (the benchmark
 * saw it with a 100 ms interval). */
#define WINDOW_MIN_MS 1000

/* Fixture */

/* What the log holds: signals as they arrived. */
typedef LbTestSignal Event;

typedef struct
{
  LbTestBus *bus;
  LbTestMachine *machine;  /* "a" */
  LbTestMachine *machine2; /* "b", for tests that need it */
  LbTestMachine *machine3; /* "c" */
  LbTestDaemon *daemon;    /* the most recent one started by fixture_start() */
  LbTestDaemonOptions options;
  LbDBusStore *store;
  LbDBusManager *manager;
  /* Every signal on the service's object, in arrival order: the queue
   * fills as the main context runs, the log keeps what was popped. */
  LbTestSignalQueue *queue;
  GPtrArray *log;   /* of Event */
  char *dir;        /* an empty folder for backups */
  char *newest;     /* what newest_backup() last returned */
  char *newest_uri; /* what newest_backup_uri() last returned */
} Fixture;

typedef enum
{
  SETUP_DAEMON, /* a daemon on machine "a" (with the test's delay) */
  SETUP_BARE,   /* the bus and machine "a", no daemon yet */
} SetupKind;

typedef void (*TestFunc) (Fixture *f, gconstpointer arg);

typedef struct
{
  const char *path; /* "group/name" */
  SetupKind setup;
  guint delay_us; /* LB_FAULT_DELAY_US of the fixture's daemons */
  TestFunc func;
  gconstpointer arg;
} TestCase;

static guint drain (Fixture *f);

/* Starts a daemon on @machine with the fixture's options (and @fault).
 * Operation ids start again at 1 with each daemon: the log starts afresh
 * too, so that searches by id find this daemon's operations. */
static gboolean
fixture_start_options (Fixture *f, LbTestMachine *machine, const LbTestDaemonOptions *options)
{
  drain (f);
  g_ptr_array_set_size (f->log, 0);
  f->daemon = lb_test_machine_start_daemon (machine, options);
  return f->daemon != NULL && lb_test_bus_renew_proxies (f->bus, &f->store, &f->manager);
}

static gboolean
fixture_start_on (Fixture *f, LbTestMachine *machine, const char *fault)
{
  LbTestDaemonOptions options = f->options;

  options.fault = fault;
  return fixture_start_options (f, machine, &options);
}

static gboolean
fixture_start (Fixture *f)
{
  return fixture_start_on (f, f->machine, NULL);
}

/* The test's daemon on machine "a" with @env (NULL-terminated) added. */
static gboolean
fixture_start_env (Fixture *f, const char *const *env)
{
  LbTestDaemonOptions options = f->options;

  options.extra_env = env;
  return fixture_start_options (f, f->machine, &options);
}

static void
setup (Fixture *f, gconstpointer data)
{
  const TestCase *tc = data;

  f->bus = lb_test_bus_new (LB_TEST_BUS_DEFAULT);
  f->log = g_ptr_array_new_with_free_func ((GDestroyNotify) lb_test_signal_free);
  if (lb_test_bus_get_connection (f->bus) == NULL)
    return;
  f->queue = lb_test_signal_queue_new (lb_test_bus_get_connection (f->bus), NULL, NULL, NULL,
                                       LB_TEST_OBJECT_PATH);
  f->machine = lb_test_machine_new (f->bus, "a");
  f->dir = lb_test_make_tmp_dir ("backup");
  f->options.fault_delay_us = tc->delay_us;
  if (tc->setup == SETUP_DAEMON)
    fixture_start (f);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  g_clear_pointer (&f->queue, lb_test_signal_queue_free);
  g_clear_pointer (&f->log, g_ptr_array_unref);
  g_clear_pointer (&f->machine2, lb_test_machine_free);
  g_clear_pointer (&f->machine3, lb_test_machine_free);
  lb_test_clear_service (&f->bus, &f->machine, &f->store, &f->manager);
  lb_test_rm_rf (f->dir);
  g_clear_pointer (&f->dir, g_free);
  g_clear_pointer (&f->newest, g_free);
  g_clear_pointer (&f->newest_uri, g_free);
}

/* Signals */

/* Moves the next signal into the log, waiting at most @timeout_ms. */
static Event *
pop_event (Fixture *f, guint timeout_ms)
{
  Event *e = lb_test_signal_queue_pop_signal (f->queue, timeout_ms);

  if (e != NULL)
    g_ptr_array_add (f->log, e);
  return e;
}

/* Dispatches what has arrived, moves it into the log, and returns the
 * log's length: a mark for the searches below. */
static guint
drain (Fixture *f)
{
  g_autoptr (GMainContext) context = g_main_context_ref_thread_default ();

  while (g_main_context_iteration (context, FALSE))
    ;
  while (pop_event (f, 0) != NULL)
    ;
  return f->log->len;
}

/* A round trip through the daemon's main loop (a property Get; GetStatus
 * is answered off it), so that every signal it sent before has arrived,
 * then drain(). */
static guint
sync_signals (Fixture *f)
{
  g_autoptr (GVariant) value
      = lb_test_bus_get_property (f->bus, LB_TEST_MANAGER_IFACE, "Status", NULL);

  g_assert_nonnull (value);
  return drain (f);
}

static gboolean
is_manager_signal (const Event *e, const char *member)
{
  return g_strcmp0 (e->iface, LB_TEST_MANAGER_IFACE) == 0
         && (member == NULL || g_str_equal (e->member, member));
}

static gboolean
is_manager_properties_changed (const Event *e)
{
  const char *iface = NULL;

  if (g_strcmp0 (e->iface, "org.freedesktop.DBus.Properties") != 0
      || !g_str_equal (e->member, "PropertiesChanged")
      || !g_variant_is_of_type (e->params, G_VARIANT_TYPE ("(sa{sv}as)")))
    return FALSE;
  g_variant_get_child (e->params, 0, "&s", &iface);
  return g_str_equal (iface, LB_TEST_MANAGER_IFACE);
}

/* The operation id a signal of the manager carries, or 0. */
static guint64
event_operation (const Event *e)
{
  guint64 id = 0;

  if (is_manager_signal (e, NULL) && g_variant_n_children (e->params) > 0
      && g_variant_is_of_type (e->params, G_VARIANT_TYPE_TUPLE))
    {
      g_autoptr (GVariant) first = g_variant_get_child_value (e->params, 0);

      if (g_variant_is_of_type (first, G_VARIANT_TYPE_UINT64))
        id = g_variant_get_uint64 (first);
    }
  return id;
}

static gboolean
is_completed (const Event *e)
{
  return is_manager_signal (e, NULL) && g_str_has_suffix (e->member, "Completed");
}

static gboolean
is_progress (const Event *e)
{
  return is_manager_signal (e, NULL) && g_str_has_suffix (e->member, "Progress");
}

typedef gboolean (*EventMatch) (const Event *e, gconstpointer data);

/* The first event at or after index @from that @match accepts, waiting at
 * most @timeout_ms for more to arrive; NULL if none. */
static Event *
find_event (Fixture *f, guint from, EventMatch match, gconstpointer data, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  for (guint i = from;; i++)
    {
      while (i >= f->log->len)
        {
          gint64 left = deadline - g_get_monotonic_time ();

          if (pop_event (f, left > 0 ? (guint) (left / 1000) : 0) == NULL)
            return NULL;
        }
      if (match (f->log->pdata[i], data))
        return f->log->pdata[i];
    }
}

static guint
event_index (Fixture *f, const Event *e)
{
  guint index = 0;

  g_assert_true (g_ptr_array_find (f->log, e, &index));
  return index;
}

typedef struct
{
  guint64 id;
  guint64 min_done;
} ProgressMatch;

static gboolean
match_completed (const Event *e, gconstpointer data)
{
  return is_completed (e) && event_operation (e) == *(const guint64 *) data;
}

/* A progress signal of the operation with done >= min_done, or its end. */
static gboolean
match_progress_or_end (const Event *e, gconstpointer data)
{
  const ProgressMatch *m = data;
  guint64 done = 0;

  if (event_operation (e) != m->id)
    return FALSE;
  if (is_completed (e))
    return TRUE;
  if (!is_progress (e))
    return FALSE;
  g_variant_get_child (e->params, 3, "t", &done);
  return done >= m->min_done;
}

/* Waits for a progress signal of @id with done >= @min_done, and returns
 * TRUE if one came while the operation still ran (its Completed not yet
 * arrived). */
static gboolean
wait_progress (Fixture *f, guint from, guint64 id, guint64 min_done)
{
  ProgressMatch m = { id, min_done };
  Event *e = find_event (f, from, match_progress_or_end, &m, OP_TIMEOUT_MS);

  if (e == NULL)
    {
      g_test_fail_printf ("operation %" G_GUINT64_FORMAT " sent neither progress nor its end", id);
      return FALSE;
    }
  if (is_completed (e))
    {
      g_test_fail_printf ("operation %" G_GUINT64_FORMAT
                          " ended before it had done %" G_GUINT64_FORMAT
                          " licenses: it was to be slowed down enough to be "
                          "watched",
                          id, min_done);
      return FALSE;
    }
  return TRUE;
}

/* Whether the Completed signal of @id has arrived (without waiting). */
static gboolean
has_completed (Fixture *f, guint64 id)
{
  drain (f);
  return find_event (f, 0, match_completed, &id, 0) != NULL;
}

/* An operation's Completed signal. */
typedef struct
{
  char *member;
  guint status;
  char *error;
  GVariant *summary;
  gint64 time;
  guint index; /* in the log */
} Completed;

static void
completed_clear (Completed *c)
{
  g_clear_pointer (&c->member, g_free);
  g_clear_pointer (&c->error, g_free);
  g_clear_pointer (&c->summary, g_variant_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Completed, completed_clear)

/* Waits for the Completed signal of @id; FALSE (the test failed) if it did
 * not come. */
static gboolean
wait_completed (Fixture *f, guint64 id, Completed *c)
{
  Event *e = find_event (f, 0, match_completed, &id, OP_TIMEOUT_MS);

  completed_clear (c);
  if (e == NULL)
    {
      g_test_fail_printf ("no Completed signal for operation %" G_GUINT64_FORMAT " within %d ms",
                          id, OP_TIMEOUT_MS);
      return FALSE;
    }
  if (!g_variant_is_of_type (e->params, G_VARIANT_TYPE ("(tusa{sv})")))
    {
      g_test_fail_printf ("%s has the signature %s", e->member,
                          g_variant_get_type_string (e->params));
      return FALSE;
    }
  c->member = g_strdup (e->member);
  g_variant_get (e->params, "(tus@a{sv})", NULL, &c->status, &c->error, &c->summary);
  c->time = e->time;
  c->index = event_index (f, e);
  return TRUE;
}

/* Summaries */

static GVariant *
summary_lookup (GVariant *summary, const char *key, const GVariantType *type)
{
  g_autoptr (GVariant) value = summary != NULL ? lb_test_vardict_lookup (summary, key) : NULL;

  if (value == NULL)
    {
      g_test_fail_printf ("the summary has no “%s”: %s", key,
                          summary != NULL ? g_variant_print (summary, TRUE) : "(none)");
      return NULL;
    }
  if (!g_variant_is_of_type (value, type))
    {
      g_test_fail_printf ("the summary's “%s” is of type %s, not %s", key,
                          g_variant_get_type_string (value), (const char *) type);
      return NULL;
    }
  return g_steal_pointer (&value);
}

static guint32
summary_u (GVariant *summary, const char *key)
{
  g_autoptr (GVariant) v = summary_lookup (summary, key, G_VARIANT_TYPE_UINT32);

  return v != NULL ? g_variant_get_uint32 (v) : G_MAXUINT32;
}

static guint64
summary_t (GVariant *summary, const char *key)
{
  g_autoptr (GVariant) v = summary_lookup (summary, key, G_VARIANT_TYPE_UINT64);

  return v != NULL ? g_variant_get_uint64 (v) : G_MAXUINT64;
}

static char *
summary_s (GVariant *summary, const char *key)
{
  g_autoptr (GVariant) v = summary_lookup (summary, key, G_VARIANT_TYPE_STRING);

  return v != NULL ? g_variant_dup_string (v, NULL) : NULL;
}

/* Asserts a success: status END, no error, no error-name. */
static void
assert_completed_ok (const Completed *c, const char *member)
{
  g_autoptr (GVariant) error_name = NULL;

  g_assert_cmpstr (c->member, ==, member);
  if (c->status != LB_STATUS_END)
    g_test_fail_printf ("%s with status %u (%s), expected %u (%s)", c->member, c->status, c->error,
                        LB_STATUS_END, lb_test_status_nick (LB_STATUS_END));
  g_assert_cmpstr (c->error, ==, "");
  error_name = c->summary != NULL ? lb_test_vardict_lookup (c->summary, "error-name") : NULL;
  if (error_name != NULL)
    g_test_fail_printf ("a successful %s has an error-name: %s", c->member,
                        g_variant_print (error_name, TRUE));
}

/* Asserts a failure with @status and the error @code, by its D-Bus name
 * in the summary's error-name. */
static void
assert_completed_error (const Completed *c, const char *member, LbStatus status, LbError code)
{
  const char *expected = lb_test_error_dbus_name (code);
  g_autofree char *error_name = summary_s (c->summary, "error-name");

  g_assert_cmpstr (c->member, ==, member);
  g_assert_cmpuint (c->status, ==, status);
  g_assert_cmpstr (error_name, ==, expected);
  g_assert_nonnull (c->error);
  if (c->error != NULL && c->error[0] == '\0')
    g_test_fail_printf ("%s with status %u has an empty error message", c->member, c->status);
}

/* Operations */

static GVariant *
no_options (void)
{
  return lb_test_vardict_new (NULL, NULL);
}

static GVariant *
path_options (const char *path)
{
  return lb_test_vardict_new ("path", g_variant_new_string (path), NULL);
}

/* Starts a backup (@backup) or a restore; returns its id, 0 on error.
 * @options is consumed if floating; NULL is {}. */
static guint64
start_op (Fixture *f, gboolean backup, guint32 flags, GVariant *options, GError **error)
{
  return lb_test_start_operation (f->manager, !backup, flags, options, error);
}

static guint64
start_backup (Fixture *f, guint32 flags, GVariant *options)
{
  g_autoptr (GError) error = NULL;
  guint64 id = start_op (f, TRUE, flags, options, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (id, >, 0);
  return id;
}

static guint64
start_restore (Fixture *f, guint32 flags, GVariant *options)
{
  g_autoptr (GError) error = NULL;
  guint64 id = start_op (f, FALSE, flags, options, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (id, >, 0);
  return id;
}

/* Starts an operation and waits for its end; 0 if it could not start. */
static guint64
run_backup (Fixture *f, guint32 flags, GVariant *options, Completed *c)
{
  guint64 id = start_backup (f, flags, options);

  if (id == 0 || !wait_completed (f, id, c))
    return 0;
  return id;
}

static guint64
run_restore (Fixture *f, guint32 flags, GVariant *options, Completed *c)
{
  guint64 id = start_restore (f, flags, options);

  if (id == 0 || !wait_completed (f, id, c))
    return 0;
  return id;
}

/* A backup into f->dir (overwriting) that must succeed. */
static gboolean
backup_ok (Fixture *f)
{
  g_auto (Completed) c = { 0 };

  if (run_backup (f, LB_BACKUP_FLAGS_OVERWRITE, path_options (f->dir), &c) == 0)
    return FALSE;
  assert_completed_ok (&c, "BackupCompleted");
  return c.status == LB_STATUS_END;
}

static void
get_status (Fixture *f, guint *status, char **message)
{
  g_autoptr (GError) error = NULL;

  *status = G_MAXUINT;
  *message = NULL;
  lb_dbus_manager_call_get_status_sync (f->manager, status, message, NULL, &error);
  g_assert_no_error (error);
}

#define assert_status(f, expected_status, expected_message) \
  G_STMT_START                                              \
  {                                                         \
    g_autofree char *_message = NULL;                       \
    guint _status;                                          \
    get_status ((f), &_status, &_message);                  \
    g_assert_cmpuint (_status, ==, (expected_status));      \
    g_assert_cmpstr (_message, ==, (expected_message));     \
  }                                                         \
  G_STMT_END

/* GetStatus must say @expected_status with a non-empty message; returns
 * the message. */
static char *
assert_status_error (Fixture *f, guint expected_status)
{
  g_autofree char *message = NULL;
  guint status;

  get_status (f, &status, &message);
  g_assert_cmpuint (status, ==, expected_status);
  g_assert_nonnull (message);
  if (message != NULL && message[0] == '\0')
    g_test_fail_printf ("GetStatus says %u with an empty message", status);
  return g_steal_pointer (&message);
}

/* Properties */

static GVariant *
manager_property (Fixture *f, const char *name, const GVariantType *type)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) value
      = lb_test_bus_get_property (f->bus, LB_TEST_MANAGER_IFACE, name, &error);

  g_assert_no_error (error);
  if (value != NULL && !g_variant_is_of_type (value, type))
    {
      g_test_fail_printf ("%s has the type %s", name, g_variant_get_type_string (value));
      return NULL;
    }
  return g_steal_pointer (&value);
}

static guint64
prop_t (Fixture *f, const char *name)
{
  g_autoptr (GVariant) v = manager_property (f, name, G_VARIANT_TYPE_UINT64);

  return v != NULL ? g_variant_get_uint64 (v) : G_MAXUINT64;
}

static guint
prop_u (Fixture *f, const char *name)
{
  g_autoptr (GVariant) v = manager_property (f, name, G_VARIANT_TYPE_UINT32);

  return v != NULL ? g_variant_get_uint32 (v) : G_MAXUINT;
}

static gint64
prop_x (Fixture *f, const char *name)
{
  g_autoptr (GVariant) v = manager_property (f, name, G_VARIANT_TYPE_INT64);

  return v != NULL ? g_variant_get_int64 (v) : G_MININT64;
}

static double
prop_d (Fixture *f, const char *name)
{
  g_autoptr (GVariant) v = manager_property (f, name, G_VARIANT_TYPE_DOUBLE);

  return v != NULL ? g_variant_get_double (v) : -1.0;
}

static gboolean
prop_b (Fixture *f, const char *name)
{
  g_autoptr (GVariant) v = manager_property (f, name, G_VARIANT_TYPE_BOOLEAN);

  return v != NULL ? g_variant_get_boolean (v) : FALSE;
}

static char *
prop_s (Fixture *f, const char *name)
{
  g_autoptr (GVariant) v = manager_property (f, name, G_VARIANT_TYPE_STRING);

  return v != NULL ? g_variant_dup_string (v, NULL) : NULL;
}

#define assert_prop_s(f, name, expected)            \
  G_STMT_START                                      \
  {                                                 \
    g_autofree char *_value = prop_s ((f), (name)); \
    g_assert_cmpstr (_value, ==, (expected));       \
  }                                                 \
  G_STMT_END

/* Every property of the manager: name → value. */
static GHashTable *
manager_properties (Fixture *f)
{
  GHashTable *props
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_variant_unref);
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GVariant) all = NULL;
  g_autoptr (GError) error = NULL;
  GVariantIter iter;
  const char *name;
  GVariant *value;

  reply = g_dbus_connection_call_sync (
      lb_test_bus_get_connection (f->bus), LB_TEST_BUS_NAME, LB_TEST_OBJECT_PATH,
      "org.freedesktop.DBus.Properties", "GetAll", g_variant_new ("(s)", LB_TEST_MANAGER_IFACE),
      G_VARIANT_TYPE ("(a{sv})"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
  if (reply == NULL)
    return props;
  all = g_variant_get_child_value (reply, 0);
  g_variant_iter_init (&iter, all);
  while (g_variant_iter_next (&iter, "{&sv}", &name, &value))
    g_hash_table_insert (props, g_strdup (name), value);
  return props;
}

/* Licenses */

static guint
license_count (Fixture *f)
{
  return lb_test_bus_get_license_count (f->bus);
}

static void
store_license (Fixture *f, const char *key_id, gsize size, guint8 seed, GVariant *attributes)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) attrs = g_variant_ref_sink (attributes != NULL ? attributes : no_options ());

  lb_dbus_store_call_store_license_sync (f->store, key_id, lb_test_blob_new (size, seed), attrs,
                                         NULL, &error);
  g_assert_no_error (error);
}

static void
store_many (Fixture *f, guint n, const char *prefix, gsize size)
{
  lb_test_store_many_ok (f->store, n, prefix, size);
}

/* Stores @n licenses "kNNNNNN" of @size bytes, starts a backup into
 * f->dir and waits until it has done @min_done of them; its id, or 0
 * (the test failed). */
static guint64
backup_under_way (Fixture *f, guint n, gsize size, guint64 min_done)
{
  guint mark;
  guint64 id;

  store_many (f, n, "k", size);
  mark = drain (f);
  id = start_backup (f, 0, path_options (f->dir));
  if (id == 0 || !wait_progress (f, mark, id, min_done))
    return 0;
  return id;
}

static void
delete_license (Fixture *f, const char *key_id)
{
  g_autoptr (GError) error = NULL;

  lb_dbus_store_call_delete_license_sync (f->store, key_id, NULL, &error);
  g_assert_no_error (error);
}

/* The (blob, attributes) stored under @key_id, or NULL with @error set. */
static GVariant *
get_license (Fixture *f, const char *key_id, GError **error)
{
  g_autoptr (GVariant) blob = NULL;
  g_autoptr (GVariant) attrs = NULL;

  if (!lb_dbus_store_call_get_license_sync (f->store, key_id, &blob, &attrs, NULL, error))
    return NULL;
  return g_variant_ref_sink (g_variant_new ("(@ay@a{sv})", blob, attrs));
}

static GVariant *
get_license_ok (Fixture *f, const char *key_id)
{
  g_autoptr (GError) error = NULL;
  GVariant *license = get_license (f, key_id, &error);

  g_assert_no_error (error);
  return license;
}

static void
assert_absent (Fixture *f, const char *key_id)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) license = get_license (f, key_id, &error);

  if (error == NULL)
    g_test_fail_printf ("license “%s” is in the store", key_id);
  else
    lb_test_assert_error_name (error, LB_ERROR_NOT_FOUND);
}

static void
assert_blob (Fixture *f, const char *key_id, gsize size, guint8 seed)
{
  g_autoptr (GVariant) license = get_license_ok (f, key_id);
  g_autoptr (GVariant) blob = NULL;
  g_autoptr (GVariant) expected = g_variant_ref_sink (lb_test_blob_new (size, seed));

  if (license == NULL)
    return;
  blob = g_variant_get_child_value (license, 0);
  if (!g_variant_equal (blob, expected))
    g_test_fail_printf ("license “%s” has a blob of %zu bytes, not the %zu bytes (seed %u) "
                        "expected",
                        key_id, g_variant_n_children (blob), size, seed);
}

static GVariant *
license_attrs (GVariant *license)
{
  return license != NULL ? g_variant_get_child_value (license, 1) : NULL;
}

/* Every license in the store with its blob and attributes, in key order:
 * a(saya{sv}). For small stores. */
static GVariant *
store_dump (Fixture *f)
{
  GVariantBuilder builder;
  g_autofree char *cursor = g_strdup ("");

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(saya{sv})"));
  do
    {
      g_autoptr (GVariant) page = NULL;
      g_autoptr (GError) error = NULL;
      g_autofree char *next = NULL;
      GVariantIter iter;
      const char *key_id;

      lb_dbus_store_call_list_licenses_sync (
          f->store,
          lb_test_vardict_new ("limit", g_variant_new_uint32 (10000), "cursor",
                               g_variant_new_string (cursor), NULL),
          &page, &next, NULL, &error);
      g_assert_no_error (error);
      if (page == NULL)
        break;
      g_variant_iter_init (&iter, page);
      while (g_variant_iter_next (&iter, "(&s@a{sv})", &key_id, NULL))
        {
          g_autoptr (GVariant) license = get_license_ok (f, key_id);

          if (license != NULL)
            g_variant_builder_add (&builder, "(s@ay@a{sv})", key_id,
                                   g_variant_get_child_value (license, 0),
                                   g_variant_get_child_value (license, 1));
        }
      g_free (cursor);
      cursor = g_steal_pointer (&next);
    }
  while (cursor != NULL && cursor[0] != '\0');
  return g_variant_ref_sink (g_variant_builder_end (&builder));
}

/* Says how two dumps differ (the first difference). */
static char *
describe_dump_difference (GVariant *expected, GVariant *actual)
{
  gsize n_expected = g_variant_n_children (expected);
  gsize n_actual = g_variant_n_children (actual);

  for (gsize i = 0; i < MAX (n_expected, n_actual); i++)
    {
      g_autoptr (GVariant) e = i < n_expected ? g_variant_get_child_value (expected, i) : NULL;
      g_autoptr (GVariant) a = i < n_actual ? g_variant_get_child_value (actual, i) : NULL;
      const char *key_e = NULL;
      const char *key_a = NULL;

      if (e != NULL && a != NULL && g_variant_equal (e, a))
        continue;
      if (e != NULL)
        g_variant_get_child (e, 0, "&s", &key_e);
      if (a != NULL)
        g_variant_get_child (a, 0, "&s", &key_a);
      if (g_strcmp0 (key_e, key_a) != 0)
        return g_strdup_printf ("%zu licenses expected, %zu found; at #%zu “%s” expected, “%s” "
                                "found",
                                n_expected, n_actual, i, key_e ? key_e : "(end)",
                                key_a ? key_a : "(end)");
      {
        g_autoptr (GVariant) attrs_e = g_variant_get_child_value (e, 2);
        g_autoptr (GVariant) attrs_a = g_variant_get_child_value (a, 2);
        g_autoptr (GVariant) blob_e = g_variant_get_child_value (e, 1);
        g_autoptr (GVariant) blob_a = g_variant_get_child_value (a, 1);
        g_autofree char *attrs_e_s = g_variant_print (attrs_e, FALSE);
        g_autofree char *attrs_a_s = g_variant_print (attrs_a, FALSE);

        return g_strdup_printf ("license “%s” differs: blob %s (%zu → %zu bytes), attributes %s "
                                "→ %s",
                                key_e, g_variant_equal (blob_e, blob_a) ? "equal" : "differs",
                                g_variant_n_children (blob_e), g_variant_n_children (blob_a),
                                attrs_e_s, attrs_a_s);
      }
    }
  return g_strdup ("(no difference)");
}

#define assert_store_equals(f, expected)                                                   \
  G_STMT_START                                                                             \
  {                                                                                        \
    g_autoptr (GVariant) _actual = store_dump (f);                                         \
    if ((expected) != NULL && !g_variant_equal ((expected), _actual))                      \
      {                                                                                    \
        g_autofree char *_diff = describe_dump_difference ((expected), _actual);           \
        g_test_fail_printf ("line %d: the store is not as expected: %s", __LINE__, _diff); \
      }                                                                                    \
  }                                                                                        \
  G_STMT_END

/* Files */

/* The newest backup in @dir (backups are named after their time), or
 * @dir/licenses.lbk when it holds none. */
static char *
backup_path (const char *dir)
{
  return lb_test_newest_backup (dir);
}

static GBytes *
read_backup (const char *dir)
{
  g_autofree char *path = backup_path (dir);
  GBytes *bytes = lb_test_read_bytes (path);

  if (bytes == NULL)
    g_test_fail_printf ("%s cannot be read", path);
  return bytes;
}

static void
assert_backup_is (const char *dir, GBytes *expected)
{
  g_autofree char *path = backup_path (dir);
  g_autoptr (GBytes) actual = lb_test_read_bytes (path);

  if (actual == NULL)
    g_test_fail_printf ("%s is gone; the old backup was to stay", path);
  else if (expected != NULL && !g_bytes_equal (actual, expected))
    g_test_fail_printf ("%s changed (%zu bytes, was %zu); the old backup was to stay byte for "
                        "byte",
                        path, g_bytes_get_size (actual), g_bytes_get_size (expected));
}

/* The names in @dir, sorted, joined with spaces. */
static char *
dir_listing (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  g_autoptr (GPtrArray) names = NULL;

  if (d == NULL)
    return g_strdup ("(cannot open)");
  names = lb_test_list_dir (dir);
  g_ptr_array_add (names, NULL);
  return g_strjoinv (" ", (char **) names->pdata);
}

#define assert_dir_listing(dir, expected)          \
  G_STMT_START                                     \
  {                                                \
    g_autofree char *_listing = dir_listing (dir); \
    g_assert_cmpstr (_listing, ==, (expected));    \
  }                                                \
  G_STMT_END

static char *
file_uri (const char *path)
{
  g_autoptr (GError) error = NULL;
  char *uri = g_filename_to_uri (path, NULL, &error);

  g_assert_no_error (error);
  return uri;
}

/* backup_path (f->dir) and its URI, as now; @f owns them until the next
 * call. */
static const char *
newest_backup (Fixture *f)
{
  g_free (f->newest);
  f->newest = backup_path (f->dir);
  return f->newest;
}

static const char *
newest_backup_uri (Fixture *f)
{
  g_free (f->newest_uri);
  f->newest_uri = file_uri (newest_backup (f));
  return f->newest_uri;
}

/* The folder holds backups only (the folder keeps generations: at most
 * three), no temporary file. */
static void
assert_dir_only_backups (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  guint n = 0;

  g_assert_nonnull (d);
  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      if (!lb_test_is_backup_name (name))
        g_test_fail_printf ("%s holds %s, which is no backup", dir, name);
      n++;
    }
  g_assert_cmpuint (n, >=, 1);
  g_assert_cmpuint (n, <=, 3);
}

static guint64
file_size (const char *path)
{
  GStatBuf st;

  if (g_stat (path, &st) != 0)
    return 0;
  return (guint64) st.st_size;
}

static gint64
now_seconds (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

/* Stops the daemon of machine "a", empties its store (and settings), and
 * starts a new one: the same machine with nothing stored. */
static gboolean
restart_with_empty_store (Fixture *f)
{
  LbTestDaemon *daemon = lb_test_machine_get_daemon (f->machine);

  if (daemon != NULL && lb_test_daemon_is_running (daemon))
    lb_test_machine_stop_daemon (f->machine);
  lb_test_rm_rf (lb_test_machine_get_store_dir (f->machine));
  return fixture_start (f);
}

/* Stops the running daemon of @from (if any) and starts one on @to. */
static gboolean
switch_machine (Fixture *f, LbTestMachine *from, LbTestMachine *to)
{
  LbTestDaemon *daemon = lb_test_machine_get_daemon (from);

  if (daemon != NULL && lb_test_daemon_is_running (daemon))
    lb_test_machine_stop_daemon (from);
  return fixture_start_on (f, to, NULL);
}

/* refusals */

/* Asserts that a refused call started nothing: OperationId is still
 * @last_id, no operation runs, and the manager sent no signal. */
static void
assert_nothing_started (Fixture *f, guint mark, guint64 last_id, const char *what)
{
  guint end = sync_signals (f);

  if (prop_t (f, "OperationId") != last_id)
    g_test_fail_printf ("%s: OperationId moved from %" G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT,
                        what, last_id, prop_t (f, "OperationId"));
  assert_prop_s (f, "Operation", "");
  for (guint i = mark; i < end; i++)
    {
      Event *e = f->log->pdata[i];

      if (is_manager_signal (e, NULL) || is_manager_properties_changed (e))
        g_test_fail_printf ("%s: the refusal was followed by %s %s", what, e->member,
                            g_variant_print (e->params, TRUE));
    }
}

typedef struct
{
  const char *what;
  guint32 flags;
  GVariant *options; /* floating, consumed */
  LbError error;
} Refusal;

static void
check_refusals (Fixture *f, gboolean backup, Refusal *refusals, gsize n, guint64 last_id)
{
  for (gsize i = 0; i < n; i++)
    {
      g_autoptr (GError) error = NULL;
      guint mark = sync_signals (f);
      guint64 id = start_op (f, backup, refusals[i].flags, refusals[i].options, &error);

      if (id != 0)
        g_test_fail_printf ("%s %s was accepted (operation %" G_GUINT64_FORMAT ")",
                            backup ? "BackupLicenses" : "RestoreLicenses", refusals[i].what, id);
      lb_test_assert_error_name (error, refusals[i].error);
      assert_nothing_started (f, mark, last_id, refusals[i].what);
    }
}

/* Every refusal of BackupLicenses, then the backup that is not refused
 * gets the next id. */
static void
test_refusals_backup (Fixture *f, gconstpointer arg)
{
  g_autofree char *files = lb_test_make_tmp_dir ("files");
  g_autofree char *regular = g_build_filename (files, "plain", NULL);
  g_autofree char *missing = g_build_filename (regular, "missing", NULL);
  g_autoptr (GBytes) first = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (Completed) c = { 0 };
  guint64 id;
  guint mark;

  g_assert_true (g_file_set_contents (regular, "not a folder", -1, NULL));
  store_many (f, 5, "k", 50);
  g_assert_cmpuint (prop_t (f, "OperationId"), ==, 0);
  assert_status (f, LB_STATUS_INFORMATION, "");
  {
    Refusal refusals[] = {
      { "the restore flag INDIVIDUALIZE", LB_RESTORE_FLAGS_INDIVIDUALIZE, path_options (f->dir),
        LB_ERROR_INVALID_ARGS },
      { "an unknown flag 0x4", 0x4, path_options (f->dir), LB_ERROR_INVALID_ARGS },
      { "OVERWRITE and INDIVIDUALIZE", LB_BACKUP_FLAGS_OVERWRITE | LB_RESTORE_FLAGS_INDIVIDUALIZE,
        path_options (f->dir), LB_ERROR_INVALID_ARGS },
      { "flags 0x80000000", 0x80000000u, path_options (f->dir), LB_ERROR_INVALID_ARGS },
      { "flags 0xffffffff", 0xffffffffu, path_options (f->dir), LB_ERROR_INVALID_ARGS },
      { "an unknown option", 0,
        lb_test_vardict_new ("path", g_variant_new_string (f->dir), "overwrite",
                             g_variant_new_boolean (TRUE), NULL),
        LB_ERROR_INVALID_ARGS },
      { "path as an int", 0, lb_test_vardict_new ("path", g_variant_new_int32 (1), NULL),
        LB_ERROR_INVALID_ARGS },
      { "path as a byte string", 0,
        lb_test_vardict_new ("path", g_variant_new_bytestring (f->dir), NULL),
        LB_ERROR_INVALID_ARGS },
      { "cancel-on-disconnect as a string", 0,
        lb_test_vardict_new ("path", g_variant_new_string (f->dir), "cancel-on-disconnect",
                             g_variant_new_string ("true"), NULL),
        LB_ERROR_INVALID_ARGS },
      { "no path and an empty BackupPath", 0, NULL, LB_ERROR_NOT_SET },
      { "cancel-on-disconnect without a location", 0,
        lb_test_vardict_new ("cancel-on-disconnect", g_variant_new_boolean (TRUE), NULL),
        LB_ERROR_NOT_SET },
      { "an empty path", 0, path_options (""), LB_ERROR_INVALID_ARGS },
      { "a relative path", 0, path_options ("relative/dir"), LB_ERROR_INVALID_ARGS },
      { "a bare name", 0, path_options ("licenses"), LB_ERROR_INVALID_ARGS },
      /* A missing folder is made (test-locations.c); under a file it
       * cannot be. */
      { "a folder under a regular file", 0, path_options (missing), LB_ERROR_INVALID_ARGS },
      { "a regular file", 0, path_options (regular), LB_ERROR_INVALID_ARGS },
      { "a regular file, overwrite", LB_BACKUP_FLAGS_OVERWRITE, path_options (regular),
        LB_ERROR_INVALID_ARGS },
    };

    check_refusals (f, TRUE, refusals, G_N_ELEMENTS (refusals), 0);
  }
  /* Nothing was written anywhere. */
  assert_dir_listing (f->dir, "");
  assert_dir_listing (files, "plain");
  assert_status (f, LB_STATUS_INFORMATION, "");

  /* The first backup that starts is operation 1. */
  id = run_backup (f, 0, path_options (f->dir), &c);
  g_assert_cmpuint (id, ==, 1);
  assert_completed_ok (&c, "BackupCompleted");
  first = read_backup (f->dir);

  /* Now the folder holds a backup: BackupExists without OVERWRITE, also
   * through BackupPath, and the file stays as it was. */
  lb_test_bus_set_manager_string (f->bus, "BackupPath", f->dir);
  {
    Refusal refusals[] = {
      { "over an existing backup", 0, path_options (f->dir), LB_ERROR_BACKUP_EXISTS },
      { "over an existing backup (BackupPath)", 0, NULL, LB_ERROR_BACKUP_EXISTS },
      { "over an existing backup, cancel-on-disconnect", 0,
        lb_test_vardict_new ("cancel-on-disconnect", g_variant_new_boolean (FALSE), NULL),
        LB_ERROR_BACKUP_EXISTS },
    };

    check_refusals (f, TRUE, refusals, G_N_ELEMENTS (refusals), id);
  }
  assert_backup_is (f->dir, first);
  assert_status (f, LB_STATUS_END, "");

  /* With OVERWRITE it works, as operation 2. */
  store_license (f, "added", 10, 1, NULL);
  mark = drain (f);
  id = start_op (f, TRUE, LB_BACKUP_FLAGS_OVERWRITE, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (id, ==, 2);
  if (wait_completed (f, id, &c))
    {
      assert_completed_ok (&c, "BackupCompleted");
      g_assert_cmpuint (summary_u (c.summary, "licenses"), ==, 6);
    }
  g_assert_cmpuint (c.index, >=, mark);
  assert_dir_only_backups (f->dir);
  {
    g_autoptr (GBytes) second = read_backup (f->dir);

    g_assert_false (second != NULL && first != NULL && g_bytes_equal (first, second));
    g_assert_cmpuint (file_size (newest_backup (f)), ==, summary_t (c.summary, "bytes"));
  }
  lb_test_rm_rf (files);
}

static void
test_refusals_restore (Fixture *f, gconstpointer arg)
{
  g_autofree char *files = lb_test_make_tmp_dir ("files");
  g_autofree char *regular = g_build_filename (files, "plain", NULL);
  g_autofree char *missing = g_build_filename (f->dir, "missing", NULL);
  g_autofree char *empty = lb_test_make_tmp_dir ("empty");
  g_auto (Completed) c = { 0 };
  guint64 id;

  g_assert_true (g_file_set_contents (regular, "not a folder", -1, NULL));
  store_many (f, 5, "k", 50);
  id = run_backup (f, 0, path_options (f->dir), &c);
  g_assert_cmpuint (id, ==, 1);
  assert_completed_ok (&c, "BackupCompleted");
  {
    Refusal refusals[] = {
      { "the backup flag OVERWRITE", LB_BACKUP_FLAGS_OVERWRITE, path_options (f->dir),
        LB_ERROR_INVALID_ARGS },
      { "an unknown flag 0x4", 0x4, path_options (f->dir), LB_ERROR_INVALID_ARGS },
      { "INDIVIDUALIZE and OVERWRITE", LB_RESTORE_FLAGS_INDIVIDUALIZE | LB_BACKUP_FLAGS_OVERWRITE,
        path_options (f->dir), LB_ERROR_INVALID_ARGS },
      { "flags 0x80000000", 0x80000000u, path_options (f->dir), LB_ERROR_INVALID_ARGS },
      { "an unknown option", 0,
        lb_test_vardict_new ("path", g_variant_new_string (f->dir), "individualize",
                             g_variant_new_boolean (TRUE), NULL),
        LB_ERROR_INVALID_ARGS },
      { "path as an int", 0, lb_test_vardict_new ("path", g_variant_new_int32 (1), NULL),
        LB_ERROR_INVALID_ARGS },
      { "cancel-on-disconnect as a string", 0,
        lb_test_vardict_new ("path", g_variant_new_string (f->dir), "cancel-on-disconnect",
                             g_variant_new_string ("yes"), NULL),
        LB_ERROR_INVALID_ARGS },
      { "no path and an empty RestorePath", 0, NULL, LB_ERROR_NOT_SET },
      { "no path and an empty RestorePath, individualize", LB_RESTORE_FLAGS_INDIVIDUALIZE, NULL,
        LB_ERROR_NOT_SET },
      { "an empty path", 0, path_options (""), LB_ERROR_INVALID_ARGS },
      { "a relative path", 0, path_options ("relative/dir"), LB_ERROR_INVALID_ARGS },
      { "a missing folder", 0, path_options (missing), LB_ERROR_INVALID_ARGS },
      { "a regular file", 0, path_options (regular), LB_ERROR_INVALID_ARGS },
      { "a folder without a backup", 0, path_options (empty), LB_ERROR_NOT_FOUND },
      { "a folder without a backup, individualize", LB_RESTORE_FLAGS_INDIVIDUALIZE,
        path_options (empty), LB_ERROR_NOT_FOUND },
    };

    check_refusals (f, FALSE, refusals, G_N_ELEMENTS (refusals), id);
  }
  /* Also through RestorePath. */
  lb_test_bus_set_manager_string (f->bus, "RestorePath", empty);
  {
    Refusal refusals[] = {
      { "a RestorePath without a backup", 0, NULL, LB_ERROR_NOT_FOUND },
    };

    check_refusals (f, FALSE, refusals, G_N_ELEMENTS (refusals), id);
  }
  /* The last status is the backup's, untouched by the refusals. */
  assert_status (f, LB_STATUS_END, "");
  assert_prop_s (f, "LastOperation", "backup");
  g_assert_cmpuint (license_count (f), ==, 5);

  /* And the restore that starts is the next operation. */
  lb_test_bus_set_manager_string (f->bus, "RestorePath", f->dir);
  id = run_restore (f, 0, NULL, &c);
  g_assert_cmpuint (id, ==, 2);
  assert_completed_ok (&c, "RestoreCompleted");
  g_assert_cmpuint (summary_u (c.summary, "already-present"), ==, 5);
  lb_test_rm_rf (files);
  lb_test_rm_rf (empty);
}

static void
assert_cancel_refused (Fixture *f, gboolean backup, LbError code)
{
  g_autoptr (GError) error = NULL;

  if (backup)
    lb_dbus_manager_call_cancel_license_backup_sync (f->manager, NULL, &error);
  else
    lb_dbus_manager_call_cancel_license_restore_sync (f->manager, NULL, &error);
  lb_test_assert_error_name (error, code);
}

static void
test_refusals_cancel_idle (Fixture *f, gconstpointer arg)
{
  guint mark = sync_signals (f);

  assert_cancel_refused (f, TRUE, LB_ERROR_NOT_RUNNING);
  assert_cancel_refused (f, FALSE, LB_ERROR_NOT_RUNNING);
  assert_nothing_started (f, mark, 0, "a cancel with nothing running");
  assert_status (f, LB_STATUS_INFORMATION, "");

  /* After operations have ended too. */
  store_many (f, 3, "k", 10);
  g_assert_true (backup_ok (f));
  mark = sync_signals (f);
  assert_cancel_refused (f, TRUE, LB_ERROR_NOT_RUNNING);
  assert_cancel_refused (f, FALSE, LB_ERROR_NOT_RUNNING);
  assert_nothing_started (f, mark, 1, "a cancel after a backup");
  assert_status (f, LB_STATUS_END, "");
}

/* While a backup runs: Busy for both starts, NotRunning for the other
 * kind's cancel, and the running backup is not disturbed; then the same
 * while a restore runs. */
static void
test_refusals_busy (Fixture *f, gconstpointer arg)
{
  g_autofree char *other = lb_test_make_tmp_dir ("other");
  g_auto (Completed) c = { 0 };
  guint64 id;
  guint mark;

  id = backup_under_way (f, 400, 50, 1);
  if (id == 0)
    return;
  {
    Refusal refusals[] = {
      { "a backup during a backup", 0, path_options (other), LB_ERROR_BUSY },
      { "a backup (overwrite) during a backup", LB_BACKUP_FLAGS_OVERWRITE, path_options (f->dir),
        LB_ERROR_BUSY },
      { "a restore during a backup", 0, path_options (f->dir), LB_ERROR_BUSY },
      { "a restore (individualize) during a backup", LB_RESTORE_FLAGS_INDIVIDUALIZE,
        path_options (f->dir), LB_ERROR_BUSY },
    };

    for (gsize i = 0; i < G_N_ELEMENTS (refusals); i++)
      {
        g_autoptr (GError) error = NULL;
        guint64 refused = start_op (f, i < 2, refusals[i].flags, refusals[i].options, &error);

        g_assert_cmpuint (refused, ==, 0);
        lb_test_assert_error_name (error, refusals[i].error);
        g_assert_cmpuint (prop_t (f, "OperationId"), ==, id);
      }
  }
  assert_cancel_refused (f, FALSE, LB_ERROR_NOT_RUNNING);
  /* Refused at once: the backup still runs. */
  if (has_completed (f, id))
    g_test_fail_printf ("the backup ended before the refusals were answered; make it slower");
  assert_prop_s (f, "Operation", "backup");
  g_assert_cmpuint (prop_u (f, "Status"), ==, LB_STATUS_BEGIN);
  assert_dir_listing (other, "");

  if (!wait_completed (f, id, &c))
    return;
  assert_completed_ok (&c, "BackupCompleted");
  g_assert_cmpuint (summary_u (c.summary, "licenses"), ==, 400);

  /* The same during a restore. */
  for (guint i = 0; i < 200; i++)
    {
      g_autofree char *key_id = g_strdup_printf ("k%06u", i);
      delete_license (f, key_id);
    }
  mark = drain (f);
  id = start_restore (f, 0, path_options (f->dir));
  if (id == 0 || !wait_progress (f, mark, id, 1))
    return;
  {
    g_autoptr (GError) error = NULL;

    g_assert_cmpuint (start_op (f, TRUE, LB_BACKUP_FLAGS_OVERWRITE, path_options (other), &error),
                      ==, 0);
    lb_test_assert_error_name (error, LB_ERROR_BUSY);
    g_clear_error (&error);
    g_assert_cmpuint (start_op (f, FALSE, 0, path_options (f->dir), &error), ==, 0);
    lb_test_assert_error_name (error, LB_ERROR_BUSY);
  }
  assert_cancel_refused (f, TRUE, LB_ERROR_NOT_RUNNING);
  if (has_completed (f, id))
    g_test_fail_printf ("the restore ended before the refusals were answered; make it slower");
  assert_prop_s (f, "Operation", "restore");
  g_assert_cmpuint (prop_t (f, "OperationId"), ==, id);
  if (!wait_completed (f, id, &c))
    return;
  assert_completed_ok (&c, "RestoreCompleted");
  g_assert_cmpuint (summary_u (c.summary, "licenses"), ==, 200);
  g_assert_cmpuint (license_count (f), ==, 400);
  assert_dir_listing (other, "");
  /* The refused starts sent no signal: every operation signal is of the
   * backup or of the restore. */
  drain (f);
  for (guint i = 0; i < f->log->len; i++)
    {
      Event *e = f->log->pdata[i];

      if (is_manager_signal (e, NULL) && event_operation (e) != id && event_operation (e) != id - 1)
        g_test_fail_printf ("%s %s is of no started operation", e->member,
                            g_variant_print (e->params, TRUE));
    }
  g_assert_cmpuint (id, ==, 2);
  lb_test_rm_rf (other);
}

/* Ids: > 0, one more for each started operation whatever its outcome,
 * never for a refusal, and every signal carries its operation's id. */
static void
test_refusals_operation_ids (Fixture *f, gconstpointer arg)
{
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (guint64));
  g_auto (Completed) c = { 0 };
  g_autoptr (GError) error = NULL;
  guint64 id;

  store_many (f, 50, "k", 20);
  id = run_backup (f, 0, path_options (f->dir), &c); /* ok */
  g_array_append_val (ids, id);
  g_assert_cmpuint (start_op (f, TRUE, 0, path_options (f->dir), &error), ==, 0);
  lb_test_assert_error_name (error, LB_ERROR_BACKUP_EXISTS);
  g_clear_error (&error);
  id = run_restore (f, 0, path_options (f->dir), &c); /* ok, all present */
  g_array_append_val (ids, id);
  /* a cancelled one */
  id = start_backup (f, LB_BACKUP_FLAGS_OVERWRITE, path_options (f->dir));
  lb_dbus_manager_call_cancel_license_backup_sync (f->manager, NULL, &error);
  /* (it may have ended before the cancel arrived) */
  g_clear_error (&error);
  g_array_append_val (ids, id);
  wait_completed (f, id, &c);
  g_assert_cmpuint (start_op (f, FALSE, LB_BACKUP_FLAGS_OVERWRITE, path_options (f->dir), &error),
                    ==, 0);
  lb_test_assert_error_name (error, LB_ERROR_INVALID_ARGS);
  g_clear_error (&error);
  id = run_backup (f, LB_BACKUP_FLAGS_OVERWRITE, path_options (f->dir), &c);
  g_array_append_val (ids, id);
  id = run_restore (f, LB_RESTORE_FLAGS_INDIVIDUALIZE, path_options (f->dir), &c);
  g_array_append_val (ids, id);

  for (guint i = 0; i < ids->len; i++)
    {
      guint64 expected = i + 1;

      g_assert_cmpuint (g_array_index (ids, guint64, i), ==, expected);
    }
  g_assert_cmpuint (prop_t (f, "OperationId"), ==, ids->len);

  /* Every operation signal names one of them, and each had exactly one
   * Completed. */
  drain (f);
  for (guint i = 0; i < ids->len; i++)
    {
      guint64 want = g_array_index (ids, guint64, i);
      guint completed = 0;

      for (guint j = 0; j < f->log->len; j++)
        if (is_completed (f->log->pdata[j]) && event_operation (f->log->pdata[j]) == want)
          completed++;
      g_assert_cmpuint (completed, ==, 1);
    }
  for (guint j = 0; j < f->log->len; j++)
    {
      Event *e = f->log->pdata[j];

      if (is_manager_signal (e, NULL))
        {
          guint64 op = event_operation (e);

          if (op == 0 || op > ids->len)
            g_test_fail_printf ("%s carries the operation id %" G_GUINT64_FORMAT, e->member, op);
        }
    }
}

/* status */

/* The properties of a running operation, read now. */
static void
assert_running (Fixture *f, const char *kind, guint64 id)
{
  double progress = prop_d (f, "Progress");

  assert_status (f, LB_STATUS_BEGIN, "");
  g_assert_cmpuint (prop_u (f, "Status"), ==, LB_STATUS_BEGIN);
  assert_prop_s (f, "Operation", kind);
  assert_prop_s (f, "LastOperation", kind);
  g_assert_cmpuint (prop_t (f, "OperationId"), ==, id);
  g_assert_true (prop_b (f, "Cancelable"));
  g_assert_cmpfloat (progress, >=, 0.0);
  g_assert_cmpfloat (progress, <=, 1.0);
}

/* The properties after a successful operation that handled @total. */
static void
assert_ended_ok (Fixture *f, const char *kind, guint64 id, guint64 total)
{
  assert_status (f, LB_STATUS_END, "");
  g_assert_cmpuint (prop_u (f, "Status"), ==, LB_STATUS_END);
  assert_prop_s (f, "Operation", "");
  assert_prop_s (f, "LastOperation", kind);
  g_assert_cmpuint (prop_t (f, "OperationId"), ==, id);
  g_assert_cmpfloat (prop_d (f, "Progress"), ==, 1.0);
  g_assert_cmpuint (prop_t (f, "LicensesDone"), ==, total);
  g_assert_cmpuint (prop_t (f, "LicensesTotal"), ==, total);
  g_assert_false (prop_b (f, "Cancelable"));
}

static void
test_status_backup_restore (Fixture *f, gconstpointer arg)
{
  g_auto (Completed) c = { 0 };
  guint64 id, id2;
  guint mark;

  store_many (f, 300, "k", 40);
  /* Nothing has run. */
  assert_status (f, LB_STATUS_INFORMATION, "");
  g_assert_cmpuint (prop_u (f, "Status"), ==, LB_STATUS_INFORMATION);
  assert_prop_s (f, "Operation", "");
  assert_prop_s (f, "LastOperation", "");
  g_assert_cmpuint (prop_t (f, "OperationId"), ==, 0);
  g_assert_false (prop_b (f, "Cancelable"));

  /* A backup: 2 from the moment it is started, all through. */
  mark = drain (f);
  id = start_backup (f, 0, path_options (f->dir));
  if (id == 0)
    return;
  assert_running (f, "backup", id);
  if (!wait_progress (f, mark, id, 10))
    return;
  assert_running (f, "backup", id);
  g_assert_cmpuint (prop_t (f, "LicensesTotal"), ==, 300);
  g_assert_cmpuint (prop_t (f, "LicensesDone"), <=, 300);
  if (!wait_completed (f, id, &c))
    return;
  assert_completed_ok (&c, "BackupCompleted");
  g_assert_cmpuint (summary_u (c.summary, "licenses"), ==, 300);
  assert_ended_ok (f, "backup", id, 300);

  /* It stays readable, whatever else happens, until the next start. */
  lb_test_run_for (300);
  store_license (f, "between", 10, 1, NULL);
  delete_license (f, "k000000");
  assert_ended_ok (f, "backup", id, 300);

  /* A restore of what was deleted. */
  mark = drain (f);
  id2 = start_restore (f, 0, path_options (f->dir));
  g_assert_cmpuint (id2, ==, id + 1);
  assert_running (f, "restore", id2);
  if (!wait_progress (f, mark, id2, 10))
    return;
  assert_running (f, "restore", id2);
  g_assert_cmpuint (prop_t (f, "LicensesTotal"), ==, 300);
  if (!wait_completed (f, id2, &c))
    return;
  assert_completed_ok (&c, "RestoreCompleted");
  g_assert_cmpuint (summary_u (c.summary, "licenses"), ==, 1);
  g_assert_cmpuint (summary_u (c.summary, "already-present"), ==, 299);
  assert_ended_ok (f, "restore", id2, 300);
  g_assert_cmpuint (license_count (f), ==, 301);
}

/* After a failure: (0, the message), until the next start clears it. */
static void
test_status_error (Fixture *f, gconstpointer arg)
{
  g_autofree char *message = NULL;
  g_autofree char *message2 = NULL;
  g_auto (Completed) c = { 0 };
  g_autoptr (GError) error = NULL;
  guint64 id;

  id = backup_under_way (f, 300, 40, 5);
  if (id == 0)
    return;
  lb_dbus_manager_call_cancel_license_backup_sync (f->manager, NULL, &error);
  g_assert_no_error (error);
  if (!wait_completed (f, id, &c))
    return;
  assert_completed_error (&c, "BackupCompleted", LB_STATUS_ERROR, LB_ERROR_CANCELLED);

  message = assert_status_error (f, LB_STATUS_ERROR);
  g_assert_cmpstr (message, ==, c.error);
  g_assert_cmpuint (prop_u (f, "Status"), ==, LB_STATUS_ERROR);
  assert_prop_s (f, "Operation", "");
  assert_prop_s (f, "LastOperation", "backup");
  g_assert_cmpuint (prop_t (f, "OperationId"), ==, id);
  g_assert_false (prop_b (f, "Cancelable"));

  /* Still there later, refusals and store calls notwithstanding. */
  lb_test_run_for (300);
  store_license (f, "between", 10, 1, NULL);
  g_assert_cmpuint (start_op (f, FALSE, LB_BACKUP_FLAGS_OVERWRITE, path_options (f->dir), &error),
                    ==, 0);
  lb_test_assert_error_name (error, LB_ERROR_INVALID_ARGS);
  g_clear_error (&error);
  message2 = assert_status_error (f, LB_STATUS_ERROR);
  g_assert_cmpstr (message2, ==, message);

  /* The next start clears it at once. */
  id = start_backup (f, 0, path_options (f->dir));
  assert_running (f, "backup", id);
  if (!wait_completed (f, id, &c))
    return;
  assert_completed_ok (&c, "BackupCompleted");
  assert_ended_ok (f, "backup", id, 301);
}

/* signals */

/* Checks the signals of operation @id (Backup or Restore, per @kind),
 * logged from @from on, against the API's promises, and returns its
 * Completed's index (or -1). @props holds the manager's properties before
 * the start and gets the changes applied. */
typedef struct
{
  const char *kind;  /* "Backup" or "Restore" */
  guint64 total;     /* licenses the operation handles */
  gint64 call_time;  /* just before the start call */
  gint64 reply_time; /* when it returned */
  GHashTable *props; /* manager properties before the start */
} Expect;

static void
apply_properties_changed (GHashTable *props, const Event *e)
{
  g_autoptr (GVariant) changed = g_variant_get_child_value (e->params, 1);
  g_autofree const char **invalidated = NULL;
  GVariantIter iter;
  const char *name;
  GVariant *value;

  g_variant_iter_init (&iter, changed);
  while (g_variant_iter_next (&iter, "{&sv}", &name, &value))
    g_hash_table_insert (props, g_strdup (name), value);
  g_variant_get_child (e->params, 2, "^a&s", &invalidated);
  for (guint i = 0; invalidated[i] != NULL; i++)
    g_hash_table_remove (props, invalidated[i]);
}

static void
assert_prop_value (GHashTable *props, const char *name, GVariant *expected, const char *when)
{
  g_autoptr (GVariant) want = g_variant_ref_sink (expected);
  GVariant *got = g_hash_table_lookup (props, name);

  if (got == NULL || !g_variant_equal (got, want))
    {
      g_autofree char *got_s = got != NULL ? g_variant_print (got, TRUE) : g_strdup ("unknown");
      g_autofree char *want_s = g_variant_print (want, TRUE);

      g_test_fail_printf ("%s, a client following PropertiesChanged knows %s = %s; expected %s",
                          when, name, got_s, want_s);
    }
}

static int
check_operation_signals (Fixture *f, guint from, guint64 id, const Expect *x)
{
  g_autofree char *progress_name = g_strconcat (x->kind, "Progress", NULL);
  g_autofree char *completed_name = g_strconcat (x->kind, "Completed", NULL);
  g_autoptr (GPtrArray) progress = g_ptr_array_new ();
  Event *completed = NULL;
  Event *first_op_event = NULL;
  guint completed_index = 0;
  guint n_completed = 0;
  guint n_properties = 0;
  gboolean end_status_flushed = FALSE;
  gboolean op_started = FALSE;
  double last_fraction = 0.0;
  guint64 last_done = 0;
  gint64 min_gap = G_MAXINT64;
  double duration_s;

  /* Anything late would have arrived by now. */
  lb_test_run_for (500);
  sync_signals (f);

  for (guint i = from; i < f->log->len; i++)
    {
      Event *e = f->log->pdata[i];

      if (event_operation (e) == id && first_op_event == NULL)
        first_op_event = e;
      if (is_completed (e) && event_operation (e) == id)
        {
          n_completed++;
          g_assert_cmpstr (e->member, ==, completed_name);
          if (completed == NULL)
            {
              completed = e;
              completed_index = i;
            }
        }
    }
  if (n_completed != 1)
    g_test_fail_printf ("operation %" G_GUINT64_FORMAT " sent %u Completed signals", id,
                        n_completed);
  if (completed == NULL)
    return -1;

  for (guint i = from; i < completed_index; i++)
    {
      Event *e = f->log->pdata[i];

      if (event_operation (e) == id && g_str_equal (e->member, progress_name))
        g_ptr_array_add (progress, e);
      if (is_manager_properties_changed (e))
        {
          GVariant *fraction;
          GVariant *operation_id;

          apply_properties_changed (x->props, e);
          operation_id = g_hash_table_lookup (x->props, "OperationId");
          if (operation_id != NULL && g_variant_get_uint64 (operation_id) == id)
            op_started = TRUE;
          if (!op_started)
            continue;
          n_properties++;
          fraction = g_hash_table_lookup (x->props, "Progress");
          if (fraction != NULL)
            {
              double v = g_variant_get_double (fraction);

              if (v < 0.0 || v > 1.0)
                g_test_fail_printf ("Progress is %g", v);
              if (v < last_fraction)
                g_test_fail_printf ("Progress went back from %g to %g", last_fraction, v);
              last_fraction = v;
            }
          {
            g_autoptr (GVariant) changed = g_variant_get_child_value (e->params, 1);
            guint status;

            if (g_variant_lookup (changed, "Status", "u", &status) && status == LB_STATUS_END)
              end_status_flushed = TRUE;
          }
        }
    }
  if (!op_started)
    g_test_fail_printf ("no PropertiesChanged announced OperationId %" G_GUINT64_FORMAT, id);

  /* The values a client knows when Completed arrives are the final ones. */
  g_assert_true (end_status_flushed);
  assert_prop_value (x->props, "Status", g_variant_new_uint32 (LB_STATUS_END), "at Completed");
  assert_prop_value (x->props, "Operation", g_variant_new_string (""), "at Completed");
  assert_prop_value (x->props, "OperationId", g_variant_new_uint64 (id), "at Completed");
  assert_prop_value (x->props, "Progress", g_variant_new_double (1.0), "at Completed");
  assert_prop_value (x->props, "LicensesDone", g_variant_new_uint64 (x->total), "at Completed");
  assert_prop_value (x->props, "LicensesTotal", g_variant_new_uint64 (x->total), "at Completed");
  assert_prop_value (x->props, "Cancelable", g_variant_new_boolean (FALSE), "at Completed");

  /* Nothing of the operation after its Completed, and no property of the
   * manager changes after it either. */
  for (guint i = completed_index + 1; i < f->log->len; i++)
    {
      Event *e = f->log->pdata[i];

      if (event_operation (e) == id)
        g_test_fail_printf ("%s %s arrived after %s", e->member, g_variant_print (e->params, TRUE),
                            completed_name);
      if (is_manager_properties_changed (e))
        g_test_fail_printf ("PropertiesChanged %s arrived after %s",
                            g_variant_print (e->params, TRUE), completed_name);
    }

  /* The first signal of the operation is a progress with status BEGIN, at
   * once. */
  g_assert_cmpuint (progress->len, >=, 1);
  if (progress->len == 0)
    return (int) completed_index;
  if (first_op_event != progress->pdata[0])
    g_test_fail_printf ("the first signal of operation %" G_GUINT64_FORMAT " is %s %s, not %s", id,
                        first_op_event->member, g_variant_print (first_op_event->params, TRUE),
                        progress_name);
  {
    Event *first = progress->pdata[0];
    guint status;

    g_variant_get_child (first->params, 1, "u", &status);
    g_assert_cmpuint (status, ==, LB_STATUS_BEGIN);
    g_test_message ("first %s %" G_GINT64_FORMAT " µs after the reply", progress_name,
                    first->time - x->reply_time);
    if (first->time - x->reply_time > INTERVAL_MS * 1000)
      g_test_fail_printf ("the first %s came %" G_GINT64_FORMAT " ms after the reply",
                          progress_name, (first->time - x->reply_time) / 1000);
  }

  /* done never decreases, total is the operation's, errors are empty. */
  for (guint i = 0; i < progress->len; i++)
    {
      Event *e = progress->pdata[i];
      guint64 done, total, op;
      guint status;
      const char *error;

      g_variant_get (e->params, "(tu&stt)", &op, &status, &error, &done, &total);
      g_assert_cmpstr (error, ==, "");
      if (i + 1 < progress->len && status != LB_STATUS_BEGIN)
        g_test_fail_printf ("%s #%u has status %u", progress_name, i, status);
      if (done < last_done)
        g_test_fail_printf ("%s #%u: done went back from %" G_GUINT64_FORMAT
                            " to %" G_GUINT64_FORMAT,
                            progress_name, i, last_done, done);
      last_done = done;
      if (total != 0 && total != x->total)
        g_test_fail_printf ("%s #%u: total %" G_GUINT64_FORMAT ", expected %" G_GUINT64_FORMAT,
                            progress_name, i, total, x->total);
      if (total != 0 && done > total)
        g_test_fail_printf ("%s #%u: done %" G_GUINT64_FORMAT " > total %" G_GUINT64_FORMAT,
                            progress_name, i, done, total);
      if (i > 0)
        {
          Event *prev = progress->pdata[i - 1];
          gint64 gap = e->time - prev->time;
          gint64 prev_gap = i > 1 ? prev->time - ((Event *) progress->pdata[i - 2])->time : 0;

          min_gap = MIN (min_gap, gap);
          /* Arrival times carry the jitter of busy processes and a bus
           * (the machine runs other tests): the daemon's tick may run late
           * and the next one on time, a signal may arrive late, or late
           * with the next ones (80 ms and more seen on a loaded machine).
           * A late signal shortens the gaps after it, never the span from
           * an earlier one that was on time. So each signal must be far
           * enough from at least one of the few before it: k intervals
           * from the k-th before, less SPAN_SLACK_MS. Two signals sent
           * together are too close to all of them. The first signal is
           * dispatched right after the reply to the start, so the first
           * gap is short only by a few ms. */
          {
            gboolean spaced = FALSE;

            if (i == 1)
              spaced = gap >= FIRST_GAP_MIN_MS * 1000;
            for (guint k = 1; k <= MIN (i, SPAN_LOOKBACK) && !spaced; k++)
              {
                Event *before = progress->pdata[i - k];

                spaced
                    = e->time - before->time >= ((gint64) k * INTERVAL_MS - SPAN_SLACK_MS) * 1000;
              }
            if (!spaced)
              {
                guint64 prev_done = 0;

                g_variant_get_child (prev->params, 3, "t", &prev_done);
                g_test_fail_printf ("%s #%u (done %" G_GUINT64_FORMAT ") came %.1f ms after #%u "
                                    "(done %" G_GUINT64_FORMAT ", itself %.1f ms after #%u): "
                                    "more often than every %d ms",
                                    progress_name, i, done, gap / 1000.0, i - 1, prev_done,
                                    prev_gap / 1000.0, i - 2, INTERVAL_MS);
              }
          }
          if (gap < INTERVAL_MIN_MS * 1000)
            g_test_message ("%s #%u came %.1f ms after #%u (itself %.1f ms after the one "
                            "before): jitter",
                            progress_name, i, gap / 1000.0, i - 1, prev_gap / 1000.0);
          if (i >= 10)
            {
              gint64 span = e->time - ((Event *) progress->pdata[i - 10])->time;

              if (span < WINDOW_MIN_MS * 1000)
                g_test_fail_printf ("%s #%u to #%u (11 signals) came within %.1f ms: more than "
                                    "10 a second",
                                    progress_name, i - 10, i, span / 1000.0);
            }
        }
    }

  /* The last one, right before Completed, says done == total. */
  {
    Event *last = progress->pdata[progress->len - 1];
    guint64 done, total;

    g_variant_get (last->params, "(tu&stt)", NULL, NULL, NULL, &done, &total);
    g_assert_cmpuint (done, ==, x->total);
    g_assert_cmpuint (total, ==, x->total);
  }

  /* At most ten a second. */
  duration_s = (completed->time - x->reply_time) / 1e6;
  g_test_message ("%u %s and %u PropertiesChanged in %.2f s (smallest gap %.1f ms)", progress->len,
                  progress_name, n_properties, duration_s,
                  progress->len > 1 ? min_gap / 1000.0 : 0.0);
  if (progress->len > 10 * duration_s + 2)
    g_test_fail_printf ("%u %s signals in %.2f s: more than 10 a second", progress->len,
                        progress_name, duration_s);
  if (n_properties > 10 * duration_s + 3)
    g_test_fail_printf ("%u PropertiesChanged in %.2f s: more than 10 a second", n_properties,
                        duration_s);
  /* It lasted long enough for the bounds to mean something. */
  g_assert_cmpfloat (duration_s, >=, 0.5);
  if (progress->len < 3)
    g_test_fail_printf ("only %u %s signals in %.2f s", progress->len, progress_name, duration_s);

  /* duration-ms is the daemon's measure: within what the client saw. */
  {
    g_autoptr (GVariant) summary = g_variant_get_child_value (completed->params, 3);
    guint64 duration_ms = summary_t (summary, "duration-ms");
    gint64 seen_ms = (completed->time - x->call_time) / 1000;

    g_assert_cmpuint (duration_ms, <=, seen_ms + 1);
    g_assert_cmpuint (duration_ms + 500, >=, (guint64) (duration_s * 1000));
  }
  return (int) completed_index;
}

static void
check_restricted (Fixture *f, guint from, guint upto, guint64 id, const char *const *expected)
{
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  guint n_expected = 0;

  for (guint i = from; i < upto; i++)
    {
      Event *e = f->log->pdata[i];
      const char *key_id, *reason;

      if (!is_manager_signal (e, "RestrictedLicense") || event_operation (e) != id)
        continue;
      g_variant_get (e->params, "(t&s&s&s)", NULL, &key_id, &reason, NULL);
      if (g_hash_table_contains (seen, key_id))
        g_test_fail_printf ("RestrictedLicense for “%s” came twice", key_id);
      g_hash_table_insert (seen, g_strdup (key_id), g_strdup (reason));
    }
  for (; expected[n_expected] != NULL; n_expected += 2)
    {
      const char *reason = g_hash_table_lookup (seen, expected[n_expected]);

      if (reason == NULL)
        g_test_fail_printf ("no RestrictedLicense for “%s”", expected[n_expected]);
      else
        g_assert_cmpstr (reason, ==, expected[n_expected + 1]);
    }
  g_assert_cmpuint (g_hash_table_size (seen), ==, n_expected / 2);
}

#define SIGNALS_LICENSES 20000

/* Stores the restricted pair next to the big store. */
static void
store_restricted_pair (Fixture *f)
{
  store_license (
      f, "r-expired", 30, 1,
      lb_test_vardict_new ("expires", g_variant_new_int64 (now_seconds () - 3600), NULL));
  store_license (f, "r-no-backup", 30, 2,
                 lb_test_vardict_new ("can-backup", g_variant_new_boolean (FALSE), NULL));
}

/* One operation run by run_checked(). */
typedef struct
{
  guint64 id;
  guint mark;        /* the log's length at the start */
  int end;           /* the index of its Completed in the log */
  GHashTable *props; /* the manager's properties at Completed */
  GVariant *summary; /* of a successful end */
} Checked;

static void
checked_clear (Checked *c)
{
  g_clear_pointer (&c->props, g_hash_table_unref);
  g_clear_pointer (&c->summary, g_variant_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Checked, checked_clear)

/* Starts an operation and checks its signals (check_operation_signals());
 * FALSE (the test failed) unless it ended with status END. */
static gboolean
run_checked (
    Fixture *f, gboolean backup, guint32 flags, GVariant *options, guint64 total, Checked *c)
{
  g_autoptr (GError) error = NULL;
  Expect x = { backup ? "Backup" : "Restore", total };
  Event *completed;
  guint status;

  sync_signals (f);
  c->props = manager_properties (f);
  c->mark = drain (f);
  x.props = c->props;
  x.call_time = g_get_monotonic_time ();
  c->id = start_op (f, backup, flags, options, &error);
  x.reply_time = g_get_monotonic_time ();
  g_assert_no_error (error);
  if (c->id == 0)
    return FALSE;
  /* Only the main loop runs until the end: arrival times stay exact. */
  if (find_event (f, c->mark, match_completed, &c->id, OP_TIMEOUT_MS) == NULL)
    {
      g_test_fail_printf ("operation %" G_GUINT64_FORMAT " did not end", c->id);
      return FALSE;
    }
  c->end = check_operation_signals (f, c->mark, c->id, &x);
  if (c->end < 0)
    return FALSE;
  completed = f->log->pdata[c->end];
  g_variant_get (completed->params, "(tu&s@a{sv})", NULL, &status, NULL, &c->summary);
  g_assert_cmpuint (status, ==, LB_STATUS_END);
  return status == LB_STATUS_END;
}

static void
test_signals_backup (Fixture *f, gconstpointer arg)
{
  const char *const restricted[]
      = { "r-expired", "expired", "r-no-backup", "no-backup-right", NULL };
  g_autofree char *location = NULL;
  g_auto (Checked) c = { 0 };
  GVariant *summary;

  store_many (f, SIGNALS_LICENSES, "lic-", 64);
  store_restricted_pair (f);
  g_assert_cmpuint (license_count (f), ==, SIGNALS_LICENSES + 2);

  if (!run_checked (f, TRUE, 0, path_options (f->dir), SIGNALS_LICENSES, &c))
    return;
  check_restricted (f, c.mark, (guint) c.end, c.id, restricted);
  summary = c.summary;
  g_assert_cmpuint (summary_u (summary, "licenses"), ==, SIGNALS_LICENSES);
  g_assert_cmpuint (summary_u (summary, "skipped"), ==, 2);
  g_assert_cmpuint (summary_t (summary, "bytes"), ==, file_size (newest_backup (f)));
  g_assert_cmpuint (file_size (newest_backup (f)), >, SIGNALS_LICENSES * 64);
  location = summary_s (summary, "location");
  g_assert_cmpstr (location, ==, newest_backup_uri (f));
  g_assert_null (lb_test_vardict_lookup (summary, "error-name"));
  assert_dir_only_backups (f->dir);
  /* LastBackupTime too was flushed before BackupCompleted. */
  {
    gint64 last = prop_x (f, "LastBackupTime");

    g_assert_cmpint (last, >, 0);
    assert_prop_value (c.props, "LastBackupTime", g_variant_new_int64 (last), "at Completed");
  }
}

static void
test_signals_restore (Fixture *f, gconstpointer arg)
{
  g_autofree char *location = NULL;
  const char *const none[] = { NULL };
  LbTestDaemonOptions fast = { 0 };
  g_auto (Checked) c = { 0 };
  GVariant *summary;

  /* The backup, made quickly. */
  if (!fixture_start_options (f, f->machine, &fast))
    return;
  store_many (f, SIGNALS_LICENSES, "lic-", 64);
  store_restricted_pair (f);
  if (!backup_ok (f))
    return;

  /* Restored, slowly, into an empty store of the same machine that holds
   * five of the key ids already. */
  if (!restart_with_empty_store (f))
    return;
  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *key_id = g_strdup_printf ("lic-%06u", i * 1000);
      store_license (f, key_id, 100, 200, NULL);
    }
  if (!run_checked (f, FALSE, 0, path_options (f->dir), SIGNALS_LICENSES, &c))
    return;
  check_restricted (f, c.mark, (guint) c.end, c.id, none);
  summary = c.summary;
  g_assert_cmpuint (summary_u (summary, "licenses"), ==, SIGNALS_LICENSES - 5);
  g_assert_cmpuint (summary_u (summary, "already-present"), ==, 5);
  g_assert_cmpuint (summary_u (summary, "individualized"), ==, 0);
  g_assert_cmpuint (summary_u (summary, "skipped"), ==, 0);
  g_assert_cmpuint (summary_t (summary, "bytes"), ==, file_size (newest_backup (f)));
  location = summary_s (summary, "location");
  g_assert_cmpstr (location, ==, newest_backup_uri (f));
  g_assert_null (lb_test_vardict_lookup (summary, "error-name"));

  g_assert_cmpuint (license_count (f), ==, SIGNALS_LICENSES);
  /* Those already present were left alone; the others came back. */
  assert_blob (f, "lic-000000", 100, 200);
  assert_blob (f, "lic-004000", 100, 200);
  assert_blob (f, "lic-000001", 64, 1);
  assert_blob (f, "lic-019999", 64, (guint8) 19999);
  assert_absent (f, "r-expired");
  assert_absent (f, "r-no-backup");
}

/* The end of an operation is where signals bunch up (the last tick, the
 * final progress, the final properties): check many ends. */
static void
test_signals_repeated (Fixture *f, gconstpointer arg)
{

  store_many (f, 1500, "k", 64);
  for (guint round = 0; round < 6; round++)
    {
      g_auto (Checked) backup = { 0 };
      g_auto (Checked) restore = { 0 };

      if (!run_checked (f, TRUE, LB_BACKUP_FLAGS_OVERWRITE, path_options (f->dir), 1500, &backup))
        return;
      g_assert_cmpuint (summary_u (backup.summary, "licenses"), ==, 1500);
      g_assert_cmpuint (summary_t (backup.summary, "bytes"), ==, file_size (newest_backup (f)));

      if (!run_checked (f, FALSE, 0, path_options (f->dir), 1500, &restore))
        return;
      g_assert_cmpuint (summary_u (restore.summary, "already-present"), ==, 1500);
      if (g_test_failed ())
        {
          g_test_message ("failed in round %u", round);
          return;
        }
    }
}

/* restricted */

static void
test_restricted_backup (Fixture *f, gconstpointer arg)
{
  const char *const restricted[] = { "no-backup-1", "no-backup-right",
                                     "no-backup-2", "no-backup-right",
                                     "expired-1",   "expired",
                                     "expired-2",   "expired",
                                     "both",        NULL /* either reason */,
                                     NULL };
  gint64 past = now_seconds () - 10;
  g_auto (Completed) c = { 0 };
  guint64 id;
  guint mark;

  store_many (f, 3, "ok-", 30);
  store_license (
      f, "future", 30, 9,
      lb_test_vardict_new ("expires", g_variant_new_int64 (now_seconds () + 3600), NULL));
  store_license (f, "no-backup-1", 30, 1,
                 lb_test_vardict_new ("can-backup", g_variant_new_boolean (FALSE), NULL));
  store_license (f, "no-backup-2", 30, 2,
                 lb_test_vardict_new ("can-backup", g_variant_new_boolean (FALSE), "restore-limit",
                                      g_variant_new_uint32 (5), NULL));
  store_license (f, "expired-1", 30, 3,
                 lb_test_vardict_new ("expires", g_variant_new_int64 (past), NULL));
  store_license (f, "expired-2", 30, 4,
                 lb_test_vardict_new ("expires", g_variant_new_int64 (1), NULL));
  store_license (f, "both", 30, 5,
                 lb_test_vardict_new ("can-backup", g_variant_new_boolean (FALSE), "expires",
                                      g_variant_new_int64 (past), NULL));
  mark = drain (f);
  id = run_backup (f, 0, path_options (f->dir), &c);
  if (id == 0)
    return;
  assert_completed_ok (&c, "BackupCompleted");
  g_assert_cmpuint (summary_u (c.summary, "licenses"), ==, 4);
  g_assert_cmpuint (summary_u (c.summary, "skipped"), ==, 5);
  assert_status (f, LB_STATUS_END, "");
  g_assert_cmpuint (prop_t (f, "LicensesTotal"), ==, 4);

  /* One RestrictedLicense each, with the reason. */
  {
    g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

    for (guint i = mark; i < c.index; i++)
      {
        Event *e = f->log->pdata[i];
        const char *key_id, *reason;

        if (!is_manager_signal (e, "RestrictedLicense"))
          continue;
        g_assert_cmpuint (event_operation (e), ==, id);
        g_variant_get (e->params, "(t&s&s&s)", NULL, &key_id, &reason, NULL);
        if (g_hash_table_contains (seen, key_id))
          g_test_fail_printf ("RestrictedLicense for “%s” came twice", key_id);
        g_hash_table_insert (seen, g_strdup (key_id), g_strdup (reason));
      }
    for (guint i = 0; restricted[i] != NULL; i += 2)
      {
        const char *reason = g_hash_table_lookup (seen, restricted[i]);

        if (reason == NULL)
          g_test_fail_printf ("no RestrictedLicense for “%s”", restricted[i]);
        else if (restricted[i + 1] != NULL)
          g_assert_cmpstr (reason, ==, restricted[i + 1]);
        else if (!g_str_equal (reason, "expired") && !g_str_equal (reason, "no-backup-right"))
          g_test_fail_printf ("RestrictedLicense for “%s” says “%s”", restricted[i], reason);
      }
    g_assert_cmpuint (g_hash_table_size (seen), ==, 5);
  }

  /* The backup holds exactly the others. */
  if (!restart_with_empty_store (f) || run_restore (f, 0, path_options (f->dir), &c) == 0)
    return;
  assert_completed_ok (&c, "RestoreCompleted");
  g_assert_cmpuint (summary_u (c.summary, "licenses"), ==, 4);
  g_assert_cmpuint (license_count (f), ==, 4);
  assert_blob (f, "ok-000000", 30, 0);
  assert_blob (f, "ok-000002", 30, 2);
  assert_blob (f, "future", 30, 9);
  assert_absent (f, "no-backup-1");
  assert_absent (f, "expired-1");
  assert_absent (f, "both");
}

/* A license that expires between the backup and the restore is left out
 * of the restore. */
static void
test_restricted_restore_expired (Fixture *f, gconstpointer arg)
{
  gint64 expires = now_seconds () + 2;
  g_auto (Completed) c = { 0 };
  guint64 id;
  guint mark;

  store_many (f, 3, "ok-", 30);
  store_license (f, "soon", 30, 1,
                 lb_test_vardict_new ("expires", g_variant_new_int64 (expires), NULL));
  if (run_backup (f, 0, path_options (f->dir), &c) == 0)
    return;
  assert_completed_ok (&c, "BackupCompleted");
  g_assert_cmpuint (summary_u (c.summary, "licenses"), ==, 4);
  g_assert_cmpuint (summary_u (c.summary, "skipped"), ==, 0);

  if (!restart_with_empty_store (f))
    return;
  while (now_seconds () <= expires)
    lb_test_run_for (100);
  mark = drain (f);
  id = run_restore (f, 0, path_options (f->dir), &c);
  if (id == 0)
    return;
  assert_completed_ok (&c, "RestoreCompleted");
  g_assert_cmpuint (summary_u (c.summary, "licenses"), ==, 3);
  g_assert_cmpuint (summary_u (c.summary, "skipped"), ==, 1);
  {
    const char *const restricted[] = { "soon", "expired", NULL };

    check_restricted (f, mark, c.index, id, restricted);
  }
  assert_absent (f, "soon");
  g_assert_cmpuint (license_count (f), ==, 3);
}

/* restore */

static GVariant *
rich_attrs (guint i)
{
  g_autofree char *content = g_strdup_printf ("urn:content:%u", i);

  return lb_test_vardict_new ("content-id", g_variant_new_string (content), "issuer",
                              g_variant_new_string (i % 2 ? "Studio A" : "Studio B"),
                              "restore-limit", g_variant_new_uint32 (i % 3), "expires",
                              g_variant_new_int64 (i % 2 ? 0 : now_seconds () + 86400 * (i + 1)),
                              "support-url", g_variant_new_string ("https://example.com/support"),
                              NULL);
}

static void
store_rich (Fixture *f, guint n)
{
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *key_id = g_strdup_printf ("key-%02u", i);

      store_license (f, key_id, 100 + i * 37, (guint8) i, rich_attrs (i));
    }
}

static void
test_restore_same_machine (Fixture *f, gconstpointer arg)
{
  g_autoptr (GVariant) original = NULL;
  g_autoptr (GVariant) changed = NULL;
  g_auto (Completed) c = { 0 };

  store_rich (f, 10);
  original = store_dump (f);
  lb_test_bus_set_manager_string (f->bus, "BackupPath", f->dir);
  if (run_backup (f, 0, NULL, &c) == 0)
    return;
  assert_completed_ok (&c, "BackupCompleted");

  /* Four go, one is replaced. */
  for (guint i = 0; i < 4; i++)
    {
      g_autofree char *key_id = g_strdup_printf ("key-%02u", i);
      delete_license (f, key_id);
    }
  store_license (f, "key-09", 5, 99, NULL);
  changed = get_license_ok (f, "key-09");
  g_assert_cmpuint (license_count (f), ==, 6);

  lb_test_bus_set_manager_string (f->bus, "RestorePath", f->dir);
  if (run_restore (f, 0, NULL, &c) == 0)
    return;
  assert_completed_ok (&c, "RestoreCompleted");
  g_assert_cmpuint (summary_u (c.summary, "licenses"), ==, 4);
  g_assert_cmpuint (summary_u (c.summary, "already-present"), ==, 6);
  g_assert_cmpuint (summary_u (c.summary, "individualized"), ==, 0);
  g_assert_cmpuint (summary_u (c.summary, "skipped"), ==, 0);
  g_assert_cmpuint (license_count (f), ==, 10);

  /* They came back exactly as they were; the one present was left alone. */
  for (guint i = 0; i < 10; i++)
    {
      g_autofree char *key_id = g_strdup_printf ("key-%02u", i);
      g_autoptr (GVariant) now = get_license_ok (f, key_id);
      g_autoptr (GVariant) before = NULL;

      if (i == 9)
        before = g_variant_ref (changed);
      else
        {
          g_autoptr (GVariant) entry = g_variant_get_child_value (original, i);
          before = g_variant_new ("(@ay@a{sv})", g_variant_get_child_value (entry, 1),
                                  g_variant_get_child_value (entry, 2));
          g_variant_ref_sink (before);
        }
      if (now != NULL && !g_variant_equal (now, before))
        g_test_fail_printf ("“%s” is %s; it was %s", key_id, g_variant_print (now, FALSE),
                            g_variant_print (before, FALSE));
    }

  /* Once more: everything is present. */
  if (run_restore (f, LB_RESTORE_FLAGS_INDIVIDUALIZE, NULL, &c) == 0)
    return;
  assert_completed_ok (&c, "RestoreCompleted");
  g_assert_cmpuint (summary_u (c.summary, "licenses"), ==, 0);
  g_assert_cmpuint (summary_u (c.summary, "already-present"), ==, 10);
  g_assert_cmpuint (summary_u (c.summary, "individualized"), ==, 0);
}

/* The consent flag changes nothing for a backup of this machine. */
static void
test_restore_same_machine_individualize (Fixture *f, gconstpointer arg)
{
  g_autoptr (GVariant) original = NULL;
  g_auto (Completed) c = { 0 };

  store_rich (f, 6);
  original = store_dump (f);
  if (!backup_ok (f) || !restart_with_empty_store (f))
    return;
  if (run_restore (f, LB_RESTORE_FLAGS_INDIVIDUALIZE, path_options (f->dir), &c) == 0)
    return;
  assert_completed_ok (&c, "RestoreCompleted");
  g_assert_cmpuint (summary_u (c.summary, "licenses"), ==, 6);
  g_assert_cmpuint (summary_u (c.summary, "individualized"), ==, 0);
  assert_store_equals (f, original);
}

/* An empty store backs up and restores: no license, done == total == 0. */
static void
test_restore_empty (Fixture *f, gconstpointer arg)
{
  g_auto (Completed) c = { 0 };
  guint64 id;
  guint mark;

  mark = drain (f);
  id = run_backup (f, 0, path_options (f->dir), &c);
  if (id == 0)
    return;
  assert_completed_ok (&c, "BackupCompleted");
  g_assert_cmpuint (summary_u (c.summary, "licenses"), ==, 0);
  g_assert_cmpuint (summary_t (c.summary, "bytes"), ==, file_size (newest_backup (f)));
  g_assert_cmpuint (file_size (newest_backup (f)), >, 0);
  assert_ended_ok (f, "backup", id, 0);
  /* A last progress said done == total before Completed. */
  {
    Event *last = NULL;

    for (guint i = mark; i < c.index; i++)
      if (is_progress (f->log->pdata[i]) && event_operation (f->log->pdata[i]) == id)
        last = f->log->pdata[i];
    g_assert_nonnull (last);
  }

  id = run_restore (f, 0, path_options (f->dir), &c);
  if (id == 0)
    return;
  assert_completed_ok (&c, "RestoreCompleted");
  g_assert_cmpuint (summary_u (c.summary, "licenses"), ==, 0);
  g_assert_cmpuint (license_count (f), ==, 0);
  assert_ended_ok (f, "restore", id, 0);
}

/* individualize */

static void
test_individualize (Fixture *f, gconstpointer arg)
{
  g_autoptr (GVariant) original = NULL;
  g_autofree char *message = NULL;
  g_auto (Completed) c = { 0 };
  const char *app_b;
  gsize n;

  store_rich (f, 8);
  original = store_dump (f);
  if (!backup_ok (f))
    return;

  f->machine2 = lb_test_machine_new (f->bus, "b");
  app_b = lb_test_machine_get_app_id (f->machine2);
  if (!switch_machine (f, f->machine, f->machine2))
    return;
  g_assert_cmpuint (license_count (f), ==, 0);

  /* Without consent: nothing changes, status NEEDS_INDIVIDUALIZATION. */
  if (run_restore (f, 0, path_options (f->dir), &c) == 0)
    return;
  assert_completed_error (&c, "RestoreCompleted", LB_STATUS_NEEDS_INDIVIDUALIZATION,
                          LB_ERROR_NEEDS_INDIVIDUALIZATION);
  g_assert_cmpuint (license_count (f), ==, 0);
  {
    g_autoptr (GVariant) empty = store_dump (f);
    g_assert_cmpuint (g_variant_n_children (empty), ==, 0);
  }
  message = assert_status_error (f, LB_STATUS_NEEDS_INDIVIDUALIZATION);
  g_assert_cmpstr (message, ==, c.error);
  g_assert_cmpuint (prop_u (f, "Status"), ==, LB_STATUS_NEEDS_INDIVIDUALIZATION);

  /* With it: everything, bound to B, restored once. */
  if (run_restore (f, LB_RESTORE_FLAGS_INDIVIDUALIZE, path_options (f->dir), &c) == 0)
    return;
  assert_completed_ok (&c, "RestoreCompleted");
  g_assert_cmpuint (summary_u (c.summary, "licenses"), ==, 8);
  g_assert_cmpuint (summary_u (c.summary, "individualized"), ==, 8);
  g_assert_cmpuint (summary_u (c.summary, "already-present"), ==, 0);
  g_assert_cmpuint (license_count (f), ==, 8);
  n = g_variant_n_children (original);
  for (gsize i = 0; i < n; i++)
    {
      g_autoptr (GVariant) entry = g_variant_get_child_value (original, i);
      g_autoptr (GVariant) blob_a = g_variant_get_child_value (entry, 1);
      g_autoptr (GVariant) attrs_a = g_variant_get_child_value (entry, 2);
      g_autoptr (GVariant) now = NULL;
      g_autoptr (GVariant) blob_b = NULL;
      g_autoptr (GVariant) attrs_b = NULL;
      GVariantIter iter;
      const char *key_id, *name;
      GVariant *value;

      g_variant_get_child (entry, 0, "&s", &key_id);
      now = get_license_ok (f, key_id);
      if (now == NULL)
        continue;
      blob_b = g_variant_get_child_value (now, 0);
      attrs_b = g_variant_get_child_value (now, 1);
      g_assert_true (g_variant_equal (blob_a, blob_b));
      /* restore-count and machine change; every other attribute stays. */
      {
        guint32 count = 99;
        const char *machine = NULL;

        g_assert_true (g_variant_lookup (attrs_b, "restore-count", "u", &count));
        g_assert_cmpuint (count, ==, 1);
        g_assert_true (g_variant_lookup (attrs_b, "machine", "&s", &machine));
        g_assert_cmpstr (machine, ==, app_b);
      }
      g_variant_iter_init (&iter, attrs_a);
      while (g_variant_iter_next (&iter, "{&sv}", &name, &value))
        {
          g_autoptr (GVariant) was = value;
          g_autoptr (GVariant) is = NULL;

          if (g_str_equal (name, "restore-count") || g_str_equal (name, "machine"))
            continue;
          is = g_variant_lookup_value (attrs_b, name, NULL);
          if (is == NULL || !g_variant_equal (was, is))
            g_test_fail_printf ("“%s”: attribute %s was %s, is %s", key_id, name,
                                g_variant_print (was, TRUE),
                                is != NULL ? g_variant_print (is, TRUE) : "missing");
        }
    }
}

/* limit */

#define LIMIT_URL "https://issuer.example.com/restore-help?id=7"

static void
test_limit_url (Fixture *f, gconstpointer arg)
{
  g_autofree char *dir_b = lb_test_make_tmp_dir ("backup-b");
  g_autofree char *message = NULL;
  g_autofree char *error_name = NULL;
  g_auto (Completed) c = { 0 };
  guint64 id;
  guint mark;

  store_license (f, "limited", 50, 1,
                 lb_test_vardict_new ("restore-limit", g_variant_new_uint32 (1), "support-url",
                                      g_variant_new_string (LIMIT_URL), NULL));
  store_license (f, "limited-2", 50, 2,
                 lb_test_vardict_new ("restore-limit", g_variant_new_uint32 (2), "support-url",
                                      g_variant_new_string ("https://other.example.com/"), NULL));
  store_license (f, "free-1", 50, 3, NULL);
  store_license (
      f, "free-2", 50, 4,
      lb_test_vardict_new ("support-url", g_variant_new_string ("https://x.example/"), NULL));
  if (!backup_ok (f))
    return;

  /* A → B: the first restore is within every limit. */
  f->machine2 = lb_test_machine_new (f->bus, "b");
  if (!switch_machine (f, f->machine, f->machine2))
    return;
  if (run_restore (f, LB_RESTORE_FLAGS_INDIVIDUALIZE, path_options (f->dir), &c) == 0)
    return;
  assert_completed_ok (&c, "RestoreCompleted");
  g_assert_cmpuint (summary_u (c.summary, "licenses"), ==, 4);
  g_assert_cmpuint (summary_u (c.summary, "skipped"), ==, 0);
  {
    g_autoptr (GVariant) license = get_license_ok (f, "limited");
    g_autoptr (GVariant) attrs = license_attrs (license);
    guint32 count = 0;

    g_assert_true (attrs != NULL && g_variant_lookup (attrs, "restore-count", "u", &count));
    g_assert_cmpuint (count, ==, 1);
  }
  if (run_backup (f, 0, path_options (dir_b), &c) == 0)
    return;
  assert_completed_ok (&c, "BackupCompleted");
  g_assert_cmpuint (summary_u (c.summary, "licenses"), ==, 4);

  /* B → C: "limited" has been restored as often as allowed. */
  f->machine3 = lb_test_machine_new (f->bus, "c");
  if (!switch_machine (f, f->machine2, f->machine3))
    return;
  mark = drain (f);
  id = run_restore (f, LB_RESTORE_FLAGS_INDIVIDUALIZE, path_options (dir_b), &c);
  if (id == 0)
    return;
  g_assert_cmpstr (c.member, ==, "RestoreCompleted");
  g_assert_cmpuint (c.status, ==, LB_STATUS_ERROR_WITHURL);
  /* The URL is one license's attribute: not in what everyone reads, but
   * in SupportUrl, to the restore's starter (this test) only. */
  g_assert_null (strstr (c.error, "https://"));
  g_assert_nonnull (strstr (c.error, "restored as often as their issuer allows"));
  g_assert_false (g_variant_lookup (c.summary, "support-url", "s", NULL));
  {
    guint n_urls = 0;

    for (guint i = mark; i < c.index; i++)
      {
        Event *e = f->log->pdata[i];
        const char *app, *url;

        if (!is_manager_signal (e, "SupportUrl") || event_operation (e) != id)
          continue;
        g_variant_get (e->params, "(t&s&s)", NULL, &app, &url);
        g_assert_cmpstr (app, ==, "");
        g_assert_cmpstr (url, ==, LIMIT_URL);
        n_urls++;
      }
    g_assert_cmpuint (n_urls, ==, 1);
  }
  error_name = summary_s (c.summary, "error-name");
  g_assert_cmpstr (error_name, ==, lb_test_error_dbus_name (LB_ERROR_RESTORE_LIMIT));
  g_assert_cmpuint (summary_u (c.summary, "licenses"), ==, 3);
  g_assert_cmpuint (summary_u (c.summary, "individualized"), ==, 3);
  g_assert_cmpuint (summary_u (c.summary, "skipped"), ==, 1);
  {
    const char *const restricted[] = { "limited", "restore-limit", NULL };

    check_restricted (f, mark, c.index, id, restricted);
  }
  message = assert_status_error (f, LB_STATUS_ERROR_WITHURL);
  g_assert_null (strstr (message, "https://"));
  g_assert_cmpuint (prop_u (f, "Status"), ==, LB_STATUS_ERROR_WITHURL);

  /* The rest was restored. */
  g_assert_cmpuint (license_count (f), ==, 3);
  assert_absent (f, "limited");
  assert_blob (f, "limited-2", 50, 2);
  assert_blob (f, "free-1", 50, 3);
  assert_blob (f, "free-2", 50, 4);
  {
    g_autoptr (GVariant) license = get_license_ok (f, "limited-2");
    g_autoptr (GVariant) attrs = license_attrs (license);
    guint32 count = 0;

    g_assert_true (attrs != NULL && g_variant_lookup (attrs, "restore-count", "u", &count));
    g_assert_cmpuint (count, ==, 2);
  }
  lb_test_rm_rf (dir_b);
}

/* corrupt */

typedef struct
{
  gsize header; /* offset of the ustar header */
  gsize data;   /* offset of the data */
  gsize size;
  char name[101];
  char type;
} TarEntry;

/* The entries of a ustar/pax archive, pax headers included. */
static GArray *
tar_entries (const guint8 *data, gsize len)
{
  GArray *entries = g_array_new (FALSE, TRUE, sizeof (TarEntry));
  gsize off = 0;

  while (off + 512 <= len)
    {
      const guint8 *h = data + off;
      TarEntry e = { 0 };
      char size_field[13] = { 0 };
      gboolean zero = TRUE;

      for (guint i = 0; i < 512 && zero; i++)
        zero = h[i] == 0;
      if (zero)
        break;
      memcpy (e.name, h, 100);
      memcpy (size_field, h + 124, 12);
      e.header = off;
      e.data = off + 512;
      e.size = (gsize) g_ascii_strtoull (size_field, NULL, 8);
      e.type = (char) h[156];
      g_array_append_val (entries, e);
      off += 512 + (e.size + 511) / 512 * 512;
    }
  return entries;
}

/* Rewrites a ustar header's checksum: the sum of its 512 bytes with the
 * checksum field taken as spaces, as six octal digits, NUL, space. */
static void
tar_fix_checksum (guint8 *h)
{
  guint sum = 0;
  char field[8];

  memset (h + 148, ' ', 8);
  for (guint i = 0; i < 512; i++)
    sum += h[i];
  g_snprintf (field, sizeof field, "%06o", sum);
  memcpy (h + 148, field, 7); /* six digits and the NUL */
  h[155] = ' ';
}

typedef enum
{
  CORRUPT_FLIP_FIRST,
  CORRUPT_FLIP_LAST,
  CORRUPT_TRUNCATE,
  CORRUPT_NAME_FIRST,
  CORRUPT_NAME_LAST,
} CorruptKind;

#define CORRUPT_LICENSES 12

static void
test_corrupt (Fixture *f, gconstpointer arg)
{
  CorruptKind kind = GPOINTER_TO_INT (arg);
  g_autoptr (GVariant) before = NULL;
  g_autoptr (GArray) entries = NULL;
  g_autoptr (GArray) licenses = g_array_new (FALSE, FALSE, sizeof (TarEntry));
  g_autofree char *message = NULL;
  g_auto (Completed) c = { 0 };
  guint8 *data = NULL;
  gsize len = 0;
  GError *error = NULL;

  /* Key ids of 4 bytes: "licenses/k000" is as long as "licenses/../x". */
  for (guint i = 0; i < CORRUPT_LICENSES; i++)
    {
      g_autofree char *key_id = g_strdup_printf ("k%03u", i);
      store_license (f, key_id, 300 + i, (guint8) i, rich_attrs (i));
    }
  if (!backup_ok (f))
    return;
  /* Most are missing from the store, so that a restore that went ahead
   * would change it; "k011" stays. */
  for (guint i = 0; i < CORRUPT_LICENSES - 1; i++)
    {
      g_autofree char *key_id = g_strdup_printf ("k%03u", i);
      if (i % 3 != 1)
        delete_license (f, key_id);
    }
  store_license (f, "k011", 10, 77, NULL);
  before = store_dump (f);

  g_file_get_contents (newest_backup (f), (char **) &data, &len, &error);
  g_assert_no_error (error);
  if (data == NULL)
    return;
  entries = tar_entries (data, len);
  for (guint i = 0; i < entries->len; i++)
    {
      TarEntry *e = &g_array_index (entries, TarEntry, i);
      gboolean after_pax = i > 0 && g_array_index (entries, TarEntry, i - 1).type == 'x';

      if ((e->type == '0' || e->type == '\0') && g_str_has_prefix (e->name, "licenses/"))
        {
          /* An entry named by a pax header would not do for the name. */
          g_assert_false (after_pax);
          g_array_append_val (licenses, *e);
        }
    }
  g_assert_cmpuint (licenses->len, ==, CORRUPT_LICENSES);
  if (licenses->len != CORRUPT_LICENSES)
    {
      g_free (data);
      return;
    }
  g_assert_cmpstr (g_array_index (licenses, TarEntry, 0).name, ==, "licenses/k000");
  g_assert_cmpstr (g_array_index (licenses, TarEntry, CORRUPT_LICENSES - 1).name, ==,
                   "licenses/k011");

  switch (kind)
    {
    case CORRUPT_FLIP_FIRST:
    case CORRUPT_FLIP_LAST:
      {
        TarEntry *e = &g_array_index (licenses, TarEntry,
                                      kind == CORRUPT_FLIP_FIRST ? 0 : CORRUPT_LICENSES - 1);

        data[e->data + e->size / 2] ^= 0x01;
      }
      break;
    case CORRUPT_TRUNCATE:
      {
        TarEntry *e = &g_array_index (licenses, TarEntry, CORRUPT_LICENSES / 2);

        /* In the middle of an entry in the middle. */
        len = e->data + e->size / 2;
      }
      break;
    case CORRUPT_NAME_FIRST:
    case CORRUPT_NAME_LAST:
      {
        TarEntry *e = &g_array_index (licenses, TarEntry,
                                      kind == CORRUPT_NAME_FIRST ? 0 : CORRUPT_LICENSES - 1);
        const char *crafted = "licenses/../x";

        g_assert_cmpuint (strlen (e->name), ==, strlen (crafted));
        memcpy (data + e->header, crafted, strlen (crafted));
        tar_fix_checksum (data + e->header);
      }
      break;
    }
  g_file_set_contents (newest_backup (f), (const char *) data, (gssize) len, &error);
  g_assert_no_error (error);
  g_free (data);

  if (run_restore (f, 0, path_options (f->dir), &c) == 0)
    return;
  assert_completed_error (&c, "RestoreCompleted", LB_STATUS_ERROR, LB_ERROR_BACKUP_CORRUPT);
  g_assert_cmpuint (summary_u (c.summary, "licenses"), ==, 0);
  assert_store_equals (f, before);
  message = assert_status_error (f, LB_STATUS_ERROR);
  g_assert_cmpstr (message, ==, c.error);
  /* The file itself is left as it is. */
  g_assert_cmpuint (file_size (newest_backup (f)), ==, len);
}

/* A fixed checksum really is one: the same rewrite with the original name
 * gives back the original bytes, so the crafted name is what is refused. */
static void
test_corrupt_checksum_helper (Fixture *f, gconstpointer arg)
{
  g_autoptr (GArray) entries = NULL;
  g_autofree guint8 *data = NULL;
  g_autofree guint8 *copy = NULL;
  gsize len = 0;

  store_license (f, "k000", 100, 1, NULL);
  if (!backup_ok (f))
    return;
  g_assert_true (g_file_get_contents (newest_backup (f), (char **) &data, &len, NULL));
  if (data == NULL)
    return;
  copy = g_memdup2 (data, len);
  entries = tar_entries (data, len);
  g_assert_cmpuint (entries->len, >=, 2);
  for (guint i = 0; i < entries->len; i++)
    tar_fix_checksum (copy + g_array_index (entries, TarEntry, i).header);
  g_assert_cmpmem (copy, len, data, len);
}

/* cancel */

static void
test_cancel_backup (Fixture *f, gconstpointer arg)
{
  gboolean over_old = GPOINTER_TO_INT (arg);
  g_autoptr (GBytes) old = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (Completed) c = { 0 };
  gint64 cancel_time, last_backup_time = 0;
  guint64 id;
  guint mark;

  store_many (f, 300, "k", 100);
  if (over_old)
    {
      if (!backup_ok (f))
        return;
      old = read_backup (f->dir);
      last_backup_time = prop_x (f, "LastBackupTime");
      g_assert_cmpint (last_backup_time, >, 0);
      store_many (f, 100, "new", 100);
    }
  mark = drain (f);
  id = start_backup (f, over_old ? LB_BACKUP_FLAGS_OVERWRITE : 0, path_options (f->dir));
  if (id == 0 || !wait_progress (f, mark, id, 30))
    return;
  g_assert_true (prop_b (f, "Cancelable"));
  /* It is writing its temporary file. */
  g_assert_cmpuint (lb_test_count_temporaries (f->dir), ==, 1);
  cancel_time = g_get_monotonic_time ();
  lb_dbus_manager_call_cancel_license_backup_sync (f->manager, NULL, &error);
  g_assert_no_error (error);
  if (!wait_completed (f, id, &c))
    return;
  g_test_message ("BackupCompleted %" G_GINT64_FORMAT " ms after the cancel",
                  (c.time - cancel_time) / 1000);
  g_assert_cmpint (c.time - cancel_time, <, 2 * G_USEC_PER_SEC);
  assert_completed_error (&c, "BackupCompleted", LB_STATUS_ERROR, LB_ERROR_CANCELLED);
  {
    g_autofree char *message = assert_status_error (f, LB_STATUS_ERROR);
    g_assert_cmpstr (message, ==, c.error);
  }

  /* The old backup byte for byte, or nothing; no other file. */
  if (over_old)
    {
      assert_backup_is (f->dir, old);
      assert_dir_only_backups (f->dir);
    }
  else
    assert_dir_listing (f->dir, "");
  /* A cancelled backup is no backup. */
  g_assert_cmpint (prop_x (f, "LastBackupTime"), ==, last_backup_time);
  assert_cancel_refused (f, TRUE, LB_ERROR_NOT_RUNNING);
}

static void
test_cancel_restore (Fixture *f, gconstpointer arg)
{
  g_autoptr (GVariant) before = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (Completed) c = { 0 };
  gint64 cancel_time;
  guint64 id;
  guint mark;

  store_many (f, 300, "k", 100);
  if (!backup_ok (f))
    return;
  for (guint i = 0; i < 300; i += 2)
    {
      g_autofree char *key_id = g_strdup_printf ("k%06u", i);
      delete_license (f, key_id);
    }
  store_license (f, "k000001", 10, 42, NULL);
  before = store_dump (f);

  mark = drain (f);
  id = start_restore (f, 0, path_options (f->dir));
  if (id == 0 || !wait_progress (f, mark, id, 30))
    return;
  g_assert_true (prop_b (f, "Cancelable"));
  cancel_time = g_get_monotonic_time ();
  lb_dbus_manager_call_cancel_license_restore_sync (f->manager, NULL, &error);
  g_assert_no_error (error);
  if (!wait_completed (f, id, &c))
    return;
  g_test_message ("RestoreCompleted %" G_GINT64_FORMAT " ms after the cancel",
                  (c.time - cancel_time) / 1000);
  g_assert_cmpint (c.time - cancel_time, <, 2 * G_USEC_PER_SEC);
  assert_completed_error (&c, "RestoreCompleted", LB_STATUS_ERROR, LB_ERROR_CANCELLED);
  g_assert_cmpuint (summary_u (c.summary, "licenses"), ==, 0);
  {
    g_autofree char *message = assert_status_error (f, LB_STATUS_ERROR);
    g_assert_cmpstr (message, ==, c.error);
  }
  assert_store_equals (f, before);
  g_assert_cmpuint (license_count (f), ==, 150);
  assert_cancel_refused (f, FALSE, LB_ERROR_NOT_RUNNING);
  /* The backup is as it was: restoring it now completes. */
  if (run_restore (f, 0, path_options (f->dir), &c) == 0)
    return;
  assert_completed_ok (&c, "RestoreCompleted");
  g_assert_cmpuint (summary_u (c.summary, "licenses"), ==, 150);
  g_assert_cmpuint (license_count (f), ==, 300);
  assert_blob (f, "k000001", 10, 42);
}

/* crash */

/* Starts an operation on a daemon that is to die during it: the reply
 * may or may not have left before. */
static void
start_doomed (Fixture *f, gboolean backup, guint32 flags)
{
  g_autoptr (GError) error = NULL;
  guint64 id = start_op (f, backup, flags, path_options (f->dir), &error);

  if (id == 0)
    lb_test_assert_dbus_error_name (error, "org.freedesktop.DBus.Error.NoReply");
}

static gboolean
wait_killed (Fixture *f, LbTestDaemon *daemon)
{
  if (!lb_test_daemon_wait_exit (daemon, LB_TEST_TIMEOUT_MS))
    {
      g_test_fail_printf ("the daemon did not die at its fault point");
      return FALSE;
    }
  g_assert_cmpint (lb_test_daemon_get_term_signal (daemon), ==, SIGKILL);
  return TRUE;
}

static void
test_crash_backup (Fixture *f, gconstpointer arg)
{
  const char *point = arg;
  gboolean renamed = g_str_equal (point, "backup-after-rename");
  g_auto (Completed) c = { 0 };

  if (!fixture_start (f))
    return;
  store_many (f, 50, "k", 100);
  if (!backup_ok (f))
    return;
  g_autoptr (GBytes) old = read_backup (f->dir);
  store_many (f, 20, "new", 100);
  lb_test_machine_stop_daemon (f->machine);

  if (!fixture_start_on (f, f->machine, point))
    return;
  LbTestDaemon *doomed = f->daemon;
  start_doomed (f, TRUE, LB_BACKUP_FLAGS_OVERWRITE);
  if (!wait_killed (f, doomed))
    return;
  g_autoptr (GBytes) killed = read_backup (f->dir);
  if (renamed)
    {
      /* The new backup is complete: it restores, all 70. */
      g_assert_false (killed != NULL && old != NULL && g_bytes_equal (killed, old));
      g_assert_cmpuint (lb_test_count_temporaries (f->dir), ==, 0);
      if (!restart_with_empty_store (f) || run_restore (f, 0, path_options (f->dir), &c) == 0)
        return;
      assert_completed_ok (&c, "RestoreCompleted");
      g_assert_cmpuint (summary_u (c.summary, "licenses"), ==, 70);
      g_assert_cmpuint (license_count (f), ==, 70);
    }
  else
    {
      assert_backup_is (f->dir, old);
      /* The finished temporary file that was about to be renamed. */
      g_assert_cmpuint (lb_test_count_temporaries (f->dir), ==, 1);
      if (!fixture_start (f))
        return;
    }

  /* The next backup succeeds and cleans up after the crash. */
  if (!backup_ok (f))
    return;
  g_assert_cmpuint (lb_test_count_temporaries (f->dir), ==, 0);
  assert_dir_only_backups (f->dir);
  if (run_restore (f, 0, path_options (f->dir), &c) != 0)
    {
      assert_completed_ok (&c, "RestoreCompleted");
      g_assert_cmpuint (summary_u (c.summary, "already-present"), ==, 70);
    }
}

/* SIGKILL at a random moment of a slow backup: the old backup byte for
 * byte, or a complete new one. */
static void
test_crash_backup_random (Fixture *f, gconstpointer arg)
{
  g_autoptr (GBytes) old = NULL;
  g_auto (Completed) c = { 0 };
  guint total = 300;

  if (!fixture_start (f))
    return;
  store_many (f, total, "k", 100);
  if (!backup_ok (f))
    return;

  for (guint round = 0; round < 3; round++)
    {
      g_autoptr (GBytes) after = NULL;
      guint delay_ms = (guint) g_test_rand_int_range (100, 401);
      g_autofree char *prefix = g_strdup_printf ("round%u-", round);

      g_clear_pointer (&old, g_bytes_unref);
      old = read_backup (f->dir);
      store_many (f, 100, prefix, 100);
      total += 100;

      start_backup (f, LB_BACKUP_FLAGS_OVERWRITE, path_options (f->dir));
      lb_test_run_for (delay_ms);
      lb_test_daemon_kill (f->daemon);
      g_assert_false (lb_test_daemon_is_running (f->daemon));
      after = read_backup (f->dir);
      if (after != NULL && old != NULL && g_bytes_equal (after, old))
        {
          g_test_message ("round %u: killed after %u ms, the old backup stays", round, delay_ms);
          if (!fixture_start (f))
            return;
        }
      else
        {
          g_test_message ("round %u: killed after %u ms, the new backup is there", round, delay_ms);
          /* It must be complete: restore it into an empty store. */
          if (!restart_with_empty_store (f) || run_restore (f, 0, path_options (f->dir), &c) == 0)
            return;
          assert_completed_ok (&c, "RestoreCompleted");
          g_assert_cmpuint (summary_u (c.summary, "licenses"), ==, total);
        }
      if (!backup_ok (f))
        return;
      g_assert_cmpuint (lb_test_count_temporaries (f->dir), ==, 0);
      assert_dir_only_backups (f->dir);
    }
}

static void
test_crash_restore (Fixture *f, gconstpointer arg)
{
  g_autoptr (GVariant) full = NULL;
  g_autoptr (GVariant) before = NULL;
  g_auto (Completed) c = { 0 };
  LbTestDaemon *doomed;

  if (!fixture_start (f))
    return;
  store_rich (f, 20);
  full = store_dump (f);
  if (!backup_ok (f))
    return;
  for (guint i = 0; i < 20; i += 2)
    {
      g_autofree char *key_id = g_strdup_printf ("key-%02u", i);
      delete_license (f, key_id);
    }
  before = store_dump (f);
  lb_test_machine_stop_daemon (f->machine);

  if (!fixture_start_on (f, f->machine, arg))
    return;
  doomed = f->daemon;
  start_doomed (f, FALSE, 0);
  if (!wait_killed (f, doomed))
    return;

  if (!fixture_start (f))
    return;
  if (g_str_equal (arg, "restore-after-commit"))
    {
      /* Committed, not yet checkpointed: all of it is there. */
      assert_store_equals (f, full);
      g_assert_cmpuint (license_count (f), ==, 20);
      return;
    }
  /* Nothing of it in the store. */
  assert_store_equals (f, before);
  g_assert_cmpuint (license_count (f), ==, 10);

  /* Running it again completes it. */
  if (run_restore (f, 0, path_options (f->dir), &c) == 0)
    return;
  assert_completed_ok (&c, "RestoreCompleted");
  g_assert_cmpuint (summary_u (c.summary, "licenses"), ==, 10);
  g_assert_cmpuint (summary_u (c.summary, "already-present"), ==, 10);
  assert_store_equals (f, full);
}

/* disconnect */

typedef enum
{
  DISCONNECT_CANCEL,    /* cancel-on-disconnect true */
  DISCONNECT_NO_OPTION, /* not given */
  DISCONNECT_FALSE,     /* given as false */
} DisconnectKind;

static void
test_disconnect (Fixture *f, gconstpointer arg)
{
  DisconnectKind kind = GPOINTER_TO_INT (arg);
  g_autoptr (GDBusConnection) other = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (Completed) c = { 0 };
  GVariantBuilder options;
  guint64 id = 0;
  guint mark;

  store_many (f, 300, "k", 100);
  other = lb_test_bus_connect (f->bus, &error);
  g_assert_no_error (error);
  if (other == NULL)
    return;
  g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&options, "{sv}", "path", g_variant_new_string (f->dir));
  if (kind != DISCONNECT_NO_OPTION)
    g_variant_builder_add (&options, "{sv}", "cancel-on-disconnect",
                           g_variant_new_boolean (kind == DISCONNECT_CANCEL));
  mark = drain (f);
  reply = g_dbus_connection_call_sync (
      other, LB_TEST_BUS_NAME, LB_TEST_OBJECT_PATH, LB_TEST_MANAGER_IFACE, "BackupLicenses",
      g_variant_new ("(ua{sv})", 0, &options), G_VARIANT_TYPE ("(t)"), G_DBUS_CALL_FLAGS_NONE, -1,
      NULL, &error);
  g_assert_no_error (error);
  if (reply == NULL)
    return;
  g_variant_get (reply, "(t)", &id);
  if (!wait_progress (f, mark, id, 10))
    return;

  /* The caller leaves the bus. */
  g_dbus_connection_close_sync (other, NULL, &error);
  g_assert_no_error (error);
  g_clear_object (&other);

  if (!wait_completed (f, id, &c))
    return;
  if (kind == DISCONNECT_CANCEL)
    {
      assert_completed_error (&c, "BackupCompleted", LB_STATUS_ERROR, LB_ERROR_CANCELLED);
      assert_dir_listing (f->dir, "");
    }
  else
    {
      assert_completed_ok (&c, "BackupCompleted");
      g_assert_cmpuint (summary_u (c.summary, "licenses"), ==, 300);
      assert_dir_only_backups (f->dir);
    }
}

/* idle */

static void
test_idle_operation (Fixture *f, gconstpointer arg)
{
  LbTestDaemonOptions options = f->options;
  g_auto (Completed) c = { 0 };
  LbTestDaemon *daemon;
  guint64 id;
  guint mark;

  options.idle_timeout = 1;
  if (!fixture_start_options (f, f->machine, &options))
    return;
  daemon = f->daemon;
  store_many (f, 300, "k", 50);
  mark = drain (f);
  id = start_backup (f, 0, path_options (f->dir));
  if (id == 0)
    return;
  /* No call from here on: only the operation keeps it alive. */
  if (find_event (f, mark, match_completed, &id, OP_TIMEOUT_MS) == NULL)
    {
      g_test_fail_printf ("the backup did not end (daemon %s)",
                          lb_test_daemon_is_running (daemon) ? "running" : "gone");
      return;
    }
  g_assert_true (lb_test_daemon_is_running (daemon));
  wait_completed (f, id, &c);
  assert_completed_ok (&c, "BackupCompleted");
  /* It lasted well beyond the idle timeout. */
  g_assert_cmpuint (summary_t (c.summary, "duration-ms"), >=, 2000);
  assert_dir_only_backups (f->dir);

  /* Then it goes, after the timeout. */
  g_assert_true (lb_test_daemon_wait_exit (daemon, 10000));
  lb_test_assert_daemon_exited (daemon, 0);
  g_test_message ("exited %" G_GINT64_FORMAT " ms after BackupCompleted",
                  (lb_test_daemon_get_exit_time (daemon) - c.time) / 1000);
  g_assert_cmpint (lb_test_daemon_get_exit_time (daemon) - c.time, >=, 700 * 1000);
}

/* concurrency */

static void
test_concurrency_store_during_backup (Fixture *f, gconstpointer arg)
{
  g_auto (Completed) c = { 0 };
  guint64 id;

  id = backup_under_way (f, 300, 64, 20);
  if (id == 0)
    return;

  /* Media apps keep storing and deleting. */
  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *key_id = g_strdup_printf ("during-%u", i);
      store_license (f, key_id, 80, (guint8) (100 + i), NULL);
    }
  for (guint i = 0; i < 10; i++)
    {
      g_autofree char *key_id = g_strdup_printf ("k%06u", i * 29);
      delete_license (f, key_id); /* some written already, some not yet */
    }
  store_license (f, "k000299", 100, 77, NULL); /* replaced before it is written */
  g_assert_cmpuint (license_count (f), ==, 300 - 10 + 5);
  /* All of it while the backup ran. */
  if (has_completed (f, id))
    g_test_fail_printf ("the backup ended before the store calls did; make it slower");
  assert_prop_s (f, "Operation", "backup");

  if (!wait_completed (f, id, &c))
    return;
  assert_completed_ok (&c, "BackupCompleted");
  g_assert_cmpuint (summary_u (c.summary, "licenses"), ==, 300);

  /* The backup holds the store as it was when the backup started. */
  if (!restart_with_empty_store (f) || run_restore (f, 0, path_options (f->dir), &c) == 0)
    return;
  assert_completed_ok (&c, "RestoreCompleted");
  g_assert_cmpuint (summary_u (c.summary, "licenses"), ==, 300);
  g_assert_cmpuint (license_count (f), ==, 300);
  assert_absent (f, "during-0");
  assert_absent (f, "during-4");
  for (guint i = 0; i < 10; i++)
    {
      g_autofree char *key_id = g_strdup_printf ("k%06u", i * 29);
      assert_blob (f, key_id, 64, (guint8) (i * 29));
    }
  assert_blob (f, "k000299", 64, (guint8) 299);
}

/* GetStatus (and the properties) answer while a backup runs. */
static void
test_concurrency_get_status (Fixture *f, gconstpointer arg)
{
  g_auto (Completed) c = { 0 };
  gint64 slowest = 0, deadline;
  double last_progress = 0.0;
  guint64 last_done = 0;
  guint calls = 0;
  guint64 id;
  guint mark;

  store_many (f, 300, "k", 64);
  mark = drain (f);
  id = start_backup (f, 0, path_options (f->dir));
  if (id == 0 || !wait_progress (f, mark, id, 1))
    return;
  deadline = g_get_monotonic_time () + (gint64) OP_TIMEOUT_MS * 1000;
  while (!has_completed (f, id))
    {
      g_autofree char *message = NULL;
      g_autoptr (GError) error = NULL;
      gint64 start = g_get_monotonic_time ();
      guint status = G_MAXUINT;

      if (start > deadline)
        {
          g_test_fail_printf ("the backup did not end within %d ms", OP_TIMEOUT_MS);
          return;
        }
      double progress;
      guint64 done;

      lb_dbus_manager_call_get_status_sync (f->manager, &status, &message, NULL, &error);
      slowest = MAX (slowest, g_get_monotonic_time () - start);
      g_assert_no_error (error);
      if (status != LB_STATUS_BEGIN)
        {
          /* Only if it has ended in the meantime. */
          g_assert_cmpuint (status, ==, LB_STATUS_END);
          g_assert_nonnull (find_event (f, mark, match_completed, &id, LB_TEST_TIMEOUT_MS));
          break;
        }
      g_assert_cmpstr (message, ==, "");
      calls++;
      progress = prop_d (f, "Progress");
      done = prop_t (f, "LicensesDone");
      if (progress < last_progress)
        g_test_fail_printf ("Progress went back from %g to %g", last_progress, progress);
      if (done < last_done)
        g_test_fail_printf ("LicensesDone went back from %" G_GUINT64_FORMAT
                            " to %" G_GUINT64_FORMAT,
                            last_done, done);
      g_assert_cmpfloat (progress, <=, 1.0);
      last_progress = progress;
      last_done = done;
      lb_test_run_for (20);
    }
  g_test_message ("%u GetStatus calls during the backup, the slowest %" G_GINT64_FORMAT " µs",
                  calls, slowest);
  g_assert_cmpuint (calls, >=, 10);
  /* A blocked main loop would answer only at the end, seconds later. */
  g_assert_cmpint (slowest, <, G_USEC_PER_SEC);
  if (wait_completed (f, id, &c))
    assert_completed_ok (&c, "BackupCompleted");
}

/* GetStatus answers at once even while the main loop is stuck (here for
 * 3 s after each progress signal), as Peer.Ping does: it never waits behind
 * the main loop. */
static void
test_concurrency_get_status_stalled (Fixture *f, gconstpointer arg)
{
  const char *env[] = { "LB_FAULT_STALL=publish=3000", NULL };
  guint64 id;

  if (!fixture_start_env (f, env))
    return;
  /* The first progress signal after the start is followed by a stall. */
  id = backup_under_way (f, 300, 64, 1);
  if (id == 0)
    return;
  for (guint i = 0; i < 20; i++)
    {
      g_autoptr (GVariant) reply = NULL;
      g_autoptr (GError) error = NULL;
      const char *message;
      guint status;

      /* 500 ms: well inside the stall, far above a round trip. */
      reply = g_dbus_proxy_call_sync (G_DBUS_PROXY (f->manager), "GetStatus", NULL,
                                      G_DBUS_CALL_FLAGS_NONE, 500, NULL, &error);
      if (reply == NULL)
        {
          g_test_fail_printf ("GetStatus call %u during the stall: %s", i, error->message);
          return;
        }
      g_variant_get (reply, "(u&s)", &status, &message);
      g_assert_cmpuint (status, ==, LB_STATUS_BEGIN);
      g_assert_cmpstr (message, ==, "");
    }
  g_assert_false (has_completed (f, id));
}

static void
keep_result (GObject *source, GAsyncResult *result, gpointer user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static gboolean
has_result (gpointer user_data)
{
  return *(GAsyncResult **) user_data != NULL;
}

/* A folder check that the file system holds (a folder on a hung NFS or
 * FUSE mount; here LB_FAULT_STALL holds it for 3 s) holds only the call
 * that started the backup: meanwhile GetStatus and a property read, which
 * the main loop answers, answer at once. */
static void
test_concurrency_folder_check_stalled (Fixture *f, gconstpointer arg)
{
  const char *env[] = { "LB_FAULT_STALL=folder-check=3000", NULL };
  g_autoptr (GVariant) opts = g_variant_ref_sink (path_options (f->dir));
  g_autoptr (GAsyncResult) started = NULL;
  g_autoptr (GError) error = NULL;
  GDBusConnection *connection;
  guint64 id = 0;
  g_auto (Completed) c = { 0 };

  if (!fixture_start_env (f, env))
    return;
  store_many (f, 3, "k", 64);
  connection = g_dbus_proxy_get_connection (G_DBUS_PROXY (f->manager));
  /* The folder exists: the start call waits for its check. */
  lb_dbus_manager_call_backup_licenses (f->manager, 0, opts, NULL, keep_result, &started);
  lb_test_run_for (500);
  g_assert_null (started);
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr (GDBusMessage) call = g_dbus_message_new_method_call (
          LB_TEST_BUS_NAME, LB_TEST_OBJECT_PATH, "org.freedesktop.LicenseBackup1", "GetStatus");
      g_autoptr (GDBusMessage) status = NULL;
      g_autoptr (GError) status_error = NULL;

      /* 500 ms: well inside the stall, far above a round trip. */
      status = g_dbus_connection_send_message_with_reply_sync (
          connection, call, G_DBUS_SEND_MESSAGE_FLAGS_NONE, 500, NULL, NULL, &status_error);
      if (status != NULL)
        g_dbus_message_to_gerror (status, &status_error);
      if (status_error != NULL)
        {
          g_test_fail_printf ("GetStatus during the folder check: %s", status_error->message);
          return;
        }
      {
        g_autoptr (GVariant) reply = NULL;
        g_autoptr (GError) call_error = NULL;

        reply = g_dbus_connection_call_sync (
            connection, LB_TEST_BUS_NAME, LB_TEST_OBJECT_PATH, "org.freedesktop.DBus.Properties",
            "Get", g_variant_new ("(ss)", "org.freedesktop.LicenseBackup1", "Status"), NULL,
            G_DBUS_CALL_FLAGS_NONE, 500, NULL, &call_error);
        if (reply == NULL)
          {
            g_test_fail_printf ("reading Status during the folder check: %s", call_error->message);
            return;
          }
      }
    }
  g_assert_null (started);
  g_assert_true (lb_test_wait_until (has_result, &started, OP_TIMEOUT_MS));
  g_assert_true (lb_dbus_manager_call_backup_licenses_finish (f->manager, &id, started, &error));
  g_assert_no_error (error);
  if (wait_completed (f, id, &c))
    assert_completed_ok (&c, "BackupCompleted");
}

/* persistence */

static void
test_persistence (Fixture *f, gconstpointer arg)
{
  g_autofree char *restore_dir = lb_test_make_tmp_dir ("restore");
  g_autofree char *dir_uri = file_uri (f->dir);
  g_autofree char *location = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (Completed) c = { 0 };
  gint64 before, after, last;

  g_assert_cmpint (prop_x (f, "LastBackupTime"), ==, 0);
  store_rich (f, 5);

  /* BackupPath as a file:// URI. */
  lb_test_bus_set_manager_string (f->bus, "BackupPath", dir_uri);
  lb_test_bus_set_manager_string (f->bus, "RestorePath", restore_dir);
  before = now_seconds ();
  if (run_backup (f, 0, NULL, &c) == 0)
    return;
  after = now_seconds ();
  assert_completed_ok (&c, "BackupCompleted");
  location = summary_s (c.summary, "location");
  g_assert_cmpstr (location, ==, newest_backup_uri (f));
  g_assert_cmpuint (summary_t (c.summary, "bytes"), ==, file_size (newest_backup (f)));
  assert_dir_only_backups (f->dir);
  last = prop_x (f, "LastBackupTime");
  g_assert_cmpint (last, >=, before);
  g_assert_cmpint (last, <=, after);

  /* Neither a refused backup nor a restore moves it. */
  g_assert_cmpuint (start_op (f, TRUE, 0, NULL, &error), ==, 0);
  lb_test_assert_error_name (error, LB_ERROR_BACKUP_EXISTS);
  g_clear_error (&error);
  g_assert_cmpuint (start_op (f, FALSE, 0, NULL, &error), ==, 0);
  lb_test_assert_error_name (error, LB_ERROR_NOT_FOUND); /* RestorePath holds no backup */
  g_clear_error (&error);
  if (run_restore (f, 0, path_options (f->dir), &c) == 0)
    return;
  assert_completed_ok (&c, "RestoreCompleted");
  g_assert_cmpint (prop_x (f, "LastBackupTime"), ==, last);

  /* All three survive a restart. */
  lb_test_machine_stop_daemon (f->machine);
  if (!fixture_start (f))
    return;
  assert_prop_s (f, "BackupPath", dir_uri);
  assert_prop_s (f, "RestorePath", restore_dir);
  g_assert_cmpint (prop_x (f, "LastBackupTime"), ==, last);
  assert_status (f, LB_STATUS_INFORMATION, "");

  /* And the persisted BackupPath still works. */
  while (now_seconds () <= last)
    lb_test_run_for (100);
  if (run_backup (f, LB_BACKUP_FLAGS_OVERWRITE, NULL, &c) == 0)
    return;
  assert_completed_ok (&c, "BackupCompleted");
  g_assert_cmpint (prop_x (f, "LastBackupTime"), >, last);
  last = prop_x (f, "LastBackupTime");
  lb_test_machine_stop_daemon (f->machine);
  if (!fixture_start (f))
    return;
  g_assert_cmpint (prop_x (f, "LastBackupTime"), ==, last);
  lb_test_rm_rf (restore_dir);
}

/* A location that is not a local folder (sftp://, smb://…): CONNECTING
 * while the daemon connects to it (a slow server, here a stall of 2 s),
 * in the progress signals and GetStatus; a location that cannot be
 * reached ends the operation with an error that says why, and nothing to
 * disconnect from. */
static gboolean
match_status (const Event *e, gconstpointer data)
{
  guint status = 0;

  if (!is_progress (e) && !is_completed (e))
    return FALSE;
  g_variant_get_child (e->params, 1, "u", &status);
  return status == *(const guint *) data;
}

static void
test_status_connecting (Fixture *f, gconstpointer arg)
{
  /* GIO without GVfs, as on a system without gvfs-backends. */
  const char *env[] = { "LB_FAULT_STALL=connect=2000", "GIO_USE_VFS=local", NULL };
  const char *location = "sftp://lb-test.invalid/backups";
  const guint connecting = LB_STATUS_CONNECTING, disconnecting = LB_STATUS_DISCONNECTING;
  g_auto (Completed) c = { 0 };
  guint64 id;
  guint mark;

  if (!fixture_start_env (f, env))
    return;
  store_many (f, 10, "k", 40);
  mark = drain (f);
  id = start_backup (f, 0, path_options (location));
  if (id == 0)
    return;
  if (find_event (f, mark, match_status, &connecting, OP_TIMEOUT_MS) == NULL)
    {
      g_test_fail_printf ("no BackupProgress with status %u (connecting)", LB_STATUS_CONNECTING);
      return;
    }
  g_assert_false (has_completed (f, id));
  assert_status (f, LB_STATUS_CONNECTING, "");
  g_assert_cmpuint (prop_u (f, "Status"), ==, LB_STATUS_CONNECTING);
  assert_prop_s (f, "Operation", "backup");

  if (!wait_completed (f, id, &c))
    return;
  g_test_message ("%s: %u %s", location, c.status, c.error);
  g_assert_cmpuint (c.status, ==, LB_STATUS_ERROR);
  g_assert_cmpstr (c.error, ==,
                   "This computer cannot open sftp:// locations: install GVfs (the package "
                   "gvfs-backends), or choose a local folder");
  g_assert_null (find_event (f, mark, match_status, &disconnecting, 0));
  assert_status (f, LB_STATUS_ERROR, c.error);

  /* A scheme that nothing opens: installing GVfs would not help. */
  id = start_backup (f, 0, path_options ("foo://host/licenses"));
  if (id == 0 || !wait_completed (f, id, &c))
    return;
  g_assert_cmpuint (c.status, ==, LB_STATUS_ERROR);
  g_assert_cmpstr (c.error, ==,
                   "foo:// locations cannot hold backups; choose a local folder or a network "
                   "folder such as sftp://host/licenses");
}

/* Registration */

static const TestCase tests[] = {
  { "refusals/backup", SETUP_DAEMON, 0, test_refusals_backup },
  { "refusals/restore", SETUP_DAEMON, 0, test_refusals_restore },
  { "refusals/cancel-nothing-running", SETUP_DAEMON, 0, test_refusals_cancel_idle },
  { "refusals/busy", SETUP_DAEMON, 3000, test_refusals_busy },
  { "refusals/operation-ids", SETUP_DAEMON, 2000, test_refusals_operation_ids },

  { "status/backup-restore", SETUP_DAEMON, 3000, test_status_backup_restore },
  { "status/error", SETUP_DAEMON, 3000, test_status_error },
  { "status/connecting", SETUP_BARE, 0, test_status_connecting },

  { "signals/backup-20000", SETUP_DAEMON, 50, test_signals_backup },
  { "signals/restore-20000", SETUP_BARE, 50, test_signals_restore },
  { "signals/repeated-ends", SETUP_DAEMON, 400, test_signals_repeated },

  { "restricted/backup", SETUP_DAEMON, 0, test_restricted_backup },
  { "restricted/restore-expired", SETUP_DAEMON, 0, test_restricted_restore_expired },

  { "restore/same-machine", SETUP_DAEMON, 0, test_restore_same_machine },
  { "restore/same-machine-individualize", SETUP_DAEMON, 0,
    test_restore_same_machine_individualize },
  { "restore/empty", SETUP_DAEMON, 0, test_restore_empty },

  { "individualize/other-machine", SETUP_DAEMON, 0, test_individualize },

  { "limit/support-url", SETUP_DAEMON, 0, test_limit_url },

  { "corrupt/byte-flip-first", SETUP_DAEMON, 0, test_corrupt,
    GINT_TO_POINTER (CORRUPT_FLIP_FIRST) },
  { "corrupt/byte-flip-last", SETUP_DAEMON, 0, test_corrupt, GINT_TO_POINTER (CORRUPT_FLIP_LAST) },
  { "corrupt/truncated", SETUP_DAEMON, 0, test_corrupt, GINT_TO_POINTER (CORRUPT_TRUNCATE) },
  { "corrupt/entry-name-first", SETUP_DAEMON, 0, test_corrupt,
    GINT_TO_POINTER (CORRUPT_NAME_FIRST) },
  { "corrupt/entry-name-last", SETUP_DAEMON, 0, test_corrupt, GINT_TO_POINTER (CORRUPT_NAME_LAST) },
  { "corrupt/checksum-helper", SETUP_DAEMON, 0, test_corrupt_checksum_helper },

  { "cancel/backup-over-old", SETUP_DAEMON, 3000, test_cancel_backup, GINT_TO_POINTER (TRUE) },
  { "cancel/backup-fresh", SETUP_DAEMON, 3000, test_cancel_backup, GINT_TO_POINTER (FALSE) },
  { "cancel/restore", SETUP_DAEMON, 3000, test_cancel_restore },

  { "crash/backup-before-rename", SETUP_BARE, 0, test_crash_backup, "backup-before-rename" },
  { "crash/backup-after-rename", SETUP_BARE, 0, test_crash_backup, "backup-after-rename" },
  { "crash/backup-random", SETUP_BARE, 500, test_crash_backup_random },
  { "crash/restore-before-commit", SETUP_BARE, 0, test_crash_restore, "restore-before-commit" },
  { "crash/restore-after-commit", SETUP_BARE, 0, test_crash_restore, "restore-after-commit" },

  { "disconnect/cancel-on-disconnect", SETUP_DAEMON, 3000, test_disconnect,
    GINT_TO_POINTER (DISCONNECT_CANCEL) },
  { "disconnect/no-option", SETUP_DAEMON, 3000, test_disconnect,
    GINT_TO_POINTER (DISCONNECT_NO_OPTION) },
  { "disconnect/option-false", SETUP_DAEMON, 3000, test_disconnect,
    GINT_TO_POINTER (DISCONNECT_FALSE) },

  { "idle/operation-holds", SETUP_BARE, 10000, test_idle_operation },

  { "concurrency/store-during-backup", SETUP_DAEMON, 10000, test_concurrency_store_during_backup },
  { "concurrency/get-status", SETUP_DAEMON, 5000, test_concurrency_get_status },
  { "concurrency/get-status-stalled", SETUP_BARE, 20000, test_concurrency_get_status_stalled },
  { "concurrency/folder-check-stalled", SETUP_BARE, 0, test_concurrency_folder_check_stalled },

  { "persistence/paths-and-time", SETUP_DAEMON, 0, test_persistence },
};

int
main (int argc, char **argv)
{
  return lb_test_run_grouped (&argc, &argv, "/operations/", tests, Fixture, setup, teardown);
}
