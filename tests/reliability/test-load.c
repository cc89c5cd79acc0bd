/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reliability: load, and callers that leave.
 *
 * /reliability/load/backup: a store of 100,000 licenses; a backup slowed
 * down (LB_FAULT_DELAY_US) to outlast the load; meanwhile 50 client
 * connections call GetStatus, ListLicenses and StoreLicense (and, every
 * tenth round, DeleteLicense or StoreLicense over an existing license) in
 * a loop for 10 seconds, each with one call in flight at a time. Checked:
 * no call fails (every one of them has a documented error it could give,
 * and none is expected here); GetStatus answers throughout (its latency is
 * measured); a second BackupLicenses and a RestoreLicenses during it are
 * Busy; the backup completes, and restoring it (in-process, into a fresh
 * store) gives exactly the licenses of the store when it started, plus or
 * minus those stored or deleted during it.
 *
 * /reliability/load/disconnect: a caller that starts a backup or restore
 * and leaves the bus does not stop it; one that asked for
 * cancel-on-disconnect cancels it (Cancelled; the old backup byte for
 * byte, no temporary file; the store unchanged).
 */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "backup.h"
#include "lb-archive.h"
#include "rel-util.h"

#define N_LICENSES 100000
#define N_CLIENTS 50
#define LOAD_SECONDS 10
#define INITIAL_SALT 1u

typedef struct Load Load;

typedef struct
{
  Load *load;
  guint index;
  GDBusConnection *connection;
  guint round;
  guint step;
  gint64 call_start;
  const char *method;
  char *key;    /* of the StoreLicense or DeleteLicense in flight */
  GBytes *blob; /* of the StoreLicense in flight */
  char *cursor; /* ListLicenses paging */
} Client;

typedef struct
{
  guint calls, errors;
  gint64 max_us;
  GArray *latencies; /* gint64 µs, GetStatus only */
} MethodStats;

struct Load
{
  Client clients[N_CLIENTS];
  gint64 end;
  guint in_flight;
  MethodStats get_status, list, store, delete_;
  GString *error_log;
  /* what changed, as the daemon confirmed it */
  GHashTable *stored;    /* key -> GBytes: new keys, and new versions of initial keys */
  GHashTable *deleted;   /* key -> NULL */
  GHashTable *attempted; /* key -> GBytes: calls that failed or went unanswered */
};

static void client_next (Client *c);

static MethodStats *
stats_for (Load *load, const char *method)
{
  if (g_str_equal (method, "GetStatus"))
    return &load->get_status;
  if (g_str_equal (method, "ListLicenses"))
    return &load->list;
  if (g_str_equal (method, "StoreLicense"))
    return &load->store;
  return &load->delete_;
}

static void
call_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Client *c = user_data;
  Load *load = c->load;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply
      = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  gint64 us = g_get_monotonic_time () - c->call_start;
  MethodStats *s = stats_for (load, c->method);

  load->in_flight--;
  s->calls++;
  s->max_us = MAX (s->max_us, us);
  if (s->latencies != NULL)
    g_array_append_val (s->latencies, us);
  if (reply == NULL)
    {
      g_autofree char *name = g_dbus_error_get_remote_error (error);

      s->errors++;
      if (load->error_log->len < 2000)
        g_string_append_printf (load->error_log, "%s from client %u: %s (%s); ", c->method,
                                c->index, name != NULL ? name : "local error", error->message);
      if (c->key != NULL)
        g_hash_table_insert (load->attempted, g_strdup (c->key),
                             c->blob != NULL ? g_bytes_ref (c->blob) : NULL);
    }
  else if (g_str_equal (c->method, "StoreLicense"))
    g_hash_table_insert (load->stored, g_strdup (c->key), g_bytes_ref (c->blob));
  else if (g_str_equal (c->method, "DeleteLicense"))
    {
      g_hash_table_remove (load->stored, c->key);
      g_hash_table_insert (load->deleted, g_strdup (c->key), NULL);
    }
  else if (g_str_equal (c->method, "ListLicenses"))
    {
      g_free (c->cursor);
      g_variant_get (reply, "(@a(sa{sv})s)", NULL, &c->cursor);
    }
  g_clear_pointer (&c->key, g_free);
  g_clear_pointer (&c->blob, g_bytes_unref);
  client_next (c);
}

static void
client_call (Client *c,
             const char *interface_name,
             const char *method,
             GVariant *params,
             const char *reply_type)
{
  c->method = method;
  c->call_start = g_get_monotonic_time ();
  c->load->in_flight++;
  g_dbus_connection_call (c->connection, LB_TEST_BUS_NAME, LB_TEST_OBJECT_PATH, interface_name,
                          method, params, G_VARIANT_TYPE (reply_type),
                          G_DBUS_CALL_FLAGS_NO_AUTO_START, 60000, NULL, call_done, c);
}

/* StoreLicense of @key with @blob (both taken), attributes {issuer: load}. */
static void
client_store (Client *c, char *key, GBytes *blob)
{
  c->key = key;
  c->blob = blob;
  client_call (c, LB_TEST_STORE_IFACE, "StoreLicense",
               g_variant_new ("(s@ay@a{sv})", c->key,
                              g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, c->blob, TRUE),
                              g_variant_new_parsed ("@a{sv} {'issuer': <'load'>}")),
               "()");
}

/* Each round: GetStatus, ListLicenses (the next page of 100), StoreLicense
 * of a new license; every tenth round also DeleteLicense of one initial
 * license and StoreLicense over another. Client i touches only initial
 * licenses i * 1000 + round, so that no two clients race on a key. */
static void
client_next (Client *c)
{
  guint base = c->index * 1000 + c->round;

  if (g_get_monotonic_time () >= c->load->end)
    return;
  switch (c->step++)
    {
    case 0:
      client_call (c, LB_TEST_MANAGER_IFACE, "GetStatus", NULL, "(us)");
      return;
    case 1:
      client_call (c, LB_TEST_STORE_IFACE, "ListLicenses",
                   g_variant_new_parsed ("({'limit': <uint32 100>, 'cursor': <%s>},)",
                                         c->cursor != NULL ? c->cursor : ""),
                   "(a(sa{sv})s)");
      return;
    case 2:
      client_store (c, g_strdup_printf ("new-%02u-%05u", c->index, c->round),
                    rel_blob (c->round, 1000 + c->index, 50, 300));
      return;
    case 3:
      if (c->round % 10 == 0 && c->round < 500)
        {
          c->key = rel_key ("load-", base);
          client_call (c, LB_TEST_STORE_IFACE, "DeleteLicense", g_variant_new ("(s)", c->key),
                       "()");
          return;
        }
      c->step++;
      G_GNUC_FALLTHROUGH;
    case 4:
      if (c->round % 10 == 0 && c->round < 500)
        {
          client_store (c, rel_key ("load-", base + 500), rel_blob (base + 500, 2000, 50, 300));
          c->step = 0;
          c->round++;
          return;
        }
      G_GNUC_FALLTHROUGH;
    default:
      c->step = 0;
      c->round++;
      client_next (c);
    }
}

static gboolean
no_call_in_flight (gpointer user_data)
{
  return ((Load *) user_data)->in_flight == 0;
}

static int
compare_int64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;
  return x < y ? -1 : x > y;
}

static gint64
latency_percentile (GArray *a, double p)
{
  g_autoptr (GArray) copy = g_array_copy (a);

  if (copy->len == 0)
    return 0;
  g_array_sort (copy, compare_int64);
  return g_array_index (copy, gint64, MIN (copy->len - 1, (guint) (p * copy->len)));
}

/* The key's original blob, if it is one of the initial licenses. */
static GBytes *
initial_blob (const char *key)
{
  guint64 i;

  if (!g_str_has_prefix (key, "load-")
      || !g_ascii_string_to_unsigned (key + 5, 10, 0, N_LICENSES - 1, &i, NULL))
    return NULL;
  return rel_blob ((guint) i, INITIAL_SALT, 50, 300);
}

static void
test_load_backup (void)
{
  g_auto (RelEnv) e = { 0 };
  g_autoptr (GError) error = NULL;
  Load load = { 0 };

  /* At least 12 s for 100,000 licenses, whatever the machine: the backup
   * must outlast the 10 s of load. */
  if (!rel_env_init (&e, "load", 120, FALSE))
    return;
  LbTestBus *bus = e.bus;
  LbTestMachine *machine = e.machine;
  LbTestDaemon *daemon = lb_test_machine_get_daemon (machine);
  const char *dir = e.backup_dir;
  const char *scratch = e.scratch;
  gint64 t0 = g_get_monotonic_time ();
  if (!rel_store_range (bus, "load-", 0, N_LICENSES, INITIAL_SALT, 50, 300, 10000))
    return;
  gint64 fill_s_x10 = (g_get_monotonic_time () - t0) / 100000;
  g_test_message ("stored %u licenses in %.1f s", N_LICENSES, fill_s_x10 / 10.0);

  load.error_log = g_string_new (NULL);
  load.stored
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_bytes_unref);
  load.deleted = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  load.attempted
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_bytes_unref);
  load.get_status.latencies = g_array_new (FALSE, FALSE, sizeof (gint64));
  for (guint i = 0; i < N_CLIENTS; i++)
    {
      load.clients[i].load = &load;
      load.clients[i].index = i;
      load.clients[i].connection = lb_test_bus_connect (bus, &error);
      g_assert_no_error (error);
      if (load.clients[i].connection == NULL)
        return;
    }

  g_autoptr (LbTestSignalQueue) queue = rel_manager_signals (lb_test_bus_get_connection (bus));
  guint64 id = rel_op_start (lb_test_bus_get_connection (bus), TRUE, 0, dir, NULL, &error);
  g_assert_no_error (error);
  if (id == 0)
    return;
  gint64 load_start = g_get_monotonic_time ();
  load.end = load_start + LOAD_SECONDS * G_USEC_PER_SEC;
  for (guint i = 0; i < N_CLIENTS; i++)
    client_next (&load.clients[i]);

  /* Meanwhile, from the test's own connection: Busy for a second
   * operation, twice during the run. */
  guint busy_checked = 0;
  while (g_get_monotonic_time () < load.end)
    {
      lb_test_run_for (50);
      if ((busy_checked == 0 && g_get_monotonic_time () > load_start + 2 * G_USEC_PER_SEC)
          || (busy_checked == 1 && g_get_monotonic_time () > load_start + 8 * G_USEC_PER_SEC))
        {
          g_autofree char *other = g_build_filename (scratch, "other", NULL);
          g_autoptr (GError) busy = NULL;

          g_mkdir_with_parents (other, 0700);
          g_assert_cmpuint (
              rel_op_start (lb_test_bus_get_connection (bus), TRUE, 0, other, NULL, &busy), ==, 0);
          lb_test_assert_error_name (busy, LB_ERROR_BUSY);
          g_clear_error (&busy);
          g_assert_cmpuint (
              rel_op_start (lb_test_bus_get_connection (bus), FALSE, 0, dir, NULL, &busy), ==, 0);
          lb_test_assert_error_name (busy, LB_ERROR_BUSY);
          busy_checked++;
        }
    }
  lb_test_wait_until (no_call_in_flight, &load, 60000);
  g_assert_cmpuint (load.in_flight, ==, 0);
  gboolean completed_early;
  {
    g_autoptr (GVariant) op
        = lb_test_bus_get_property (bus, LB_TEST_MANAGER_IFACE, "Operation", &error);
    g_assert_no_error (error);
    completed_early = op == NULL || !g_str_equal (g_variant_get_string (op, NULL), "backup");
  }

  RelOutcome o;
  if (!rel_op_wait (queue, id, 120000, &o))
    {
      rel_fail ("the backup did not complete");
      return;
    }
  g_assert_cmpuint (o.status, ==, LB_STATUS_END);
  g_test_message ("backup: status %u, %" G_GINT64_FORMAT " ms after the load began%s", o.status,
                  (g_get_monotonic_time () - load_start) / 1000,
                  completed_early ? " (it ended before the load did)" : "");
  rel_outcome_clear (&o);
  g_assert_false (completed_early);
  g_assert_cmpuint (busy_checked, ==, 2);

  /* No call failed. */
  if (load.error_log->len > 0)
    rel_fail ("calls failed under load: %s", load.error_log->str);
  g_assert_cmpuint (
      load.get_status.errors + load.list.errors + load.store.errors + load.delete_.errors, ==, 0);
  /* GetStatus answered throughout. */
  g_assert_cmpuint (load.get_status.calls, >, N_CLIENTS);
  g_assert_cmpint (load.get_status.max_us, <, 2 * G_USEC_PER_SEC);

  /* The backup holds the store as it was when the backup started, give or
   * take what the clients changed meanwhile. */
  g_autoptr (GHashTable) restored
      = rel_restore_dir_in_process (dir, lb_test_machine_get_app_id (machine), scratch, &error);
  g_assert_no_error (error);
  if (restored == NULL)
    return;
  guint n_initial = 0, n_new = 0, n_replaced = 0, n_replaced_old = 0, n_deleted_kept = 0;
  GHashTableIter iter;
  gpointer key, value;
  g_hash_table_iter_init (&iter, restored);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      g_autoptr (GVariant) blob_v = g_variant_get_child_value (value, 0);
      g_autoptr (GBytes) blob = g_variant_get_data_as_bytes (blob_v);
      g_autoptr (GBytes) orig = initial_blob (key);
      GBytes *changed = g_hash_table_lookup (load.stored, key);
      GBytes *tried = g_hash_table_lookup (load.attempted, key);

      if (orig != NULL)
        {
          if (g_bytes_equal (blob, orig))
            {
              n_initial++;
              if (changed != NULL)
                n_replaced_old++;
              if (g_hash_table_contains (load.deleted, key))
                n_deleted_kept++;
            }
          else if ((changed != NULL && g_bytes_equal (blob, changed))
                   || (tried != NULL && g_bytes_equal (blob, tried)))
            n_replaced++;
          else
            rel_fail ("%s: the backup holds a blob that was never stored", (char *) key);
        }
      else if ((changed != NULL && g_bytes_equal (blob, changed))
               || (tried != NULL && g_bytes_equal (blob, tried)))
        n_new++;
      else
        rel_fail ("%s: the backup holds a license that was never stored", (char *) key);
    }
  /* Every initial license that nobody touched is there. */
  for (guint i = 0; i < N_LICENSES; i++)
    {
      g_autofree char *k = rel_key ("load-", i);

      if (!g_hash_table_contains (load.deleted, k) && !g_hash_table_contains (load.stored, k)
          && !g_hash_table_contains (load.attempted, k) && !g_hash_table_contains (restored, k))
        {
          rel_fail ("%s, untouched during the backup, is not in it", k);
          break;
        }
    }

  g_test_message (
      "FIGURE load: %u clients for %d s during a backup of %u licenses: "
      "GetStatus %u calls (p50 %.1f ms, p99 %.1f ms, max %.1f ms), ListLicenses %u "
      "(max %.1f ms), StoreLicense %u (max %.1f ms), DeleteLicense %u (max %.1f ms); "
      "%u failed; second BackupLicenses and RestoreLicenses: Busy; the backup "
      "restores to %u licenses: %u as they were at its start (%u of them replaced "
      "and %u deleted later), %u replaced and %u added during it",
      N_CLIENTS, LOAD_SECONDS, N_LICENSES, load.get_status.calls,
      latency_percentile (load.get_status.latencies, 0.5) / 1000.0,
      latency_percentile (load.get_status.latencies, 0.99) / 1000.0,
      load.get_status.max_us / 1000.0, load.list.calls, load.list.max_us / 1000.0, load.store.calls,
      load.store.max_us / 1000.0, load.delete_.calls, load.delete_.max_us / 1000.0,
      load.get_status.errors + load.list.errors + load.store.errors + load.delete_.errors,
      g_hash_table_size (restored), n_initial, n_replaced_old, n_deleted_kept, n_replaced, n_new);
  g_test_message ("daemon peak RSS: %" G_GINT64_FORMAT " KiB",
                  rel_proc_vmhwm_kib (lb_test_daemon_get_pid (daemon)));

  for (guint i = 0; i < N_CLIENTS; i++)
    {
      g_clear_object (&load.clients[i].connection);
      g_free (load.clients[i].cursor);
    }
  g_array_unref (load.get_status.latencies);
  g_hash_table_unref (load.stored);
  g_hash_table_unref (load.deleted);
  g_hash_table_unref (load.attempted);
  g_string_free (load.error_log, TRUE);
}

/* Disconnect */

/* Starts an operation on a connection of its own, which then leaves the
 * bus after @leave_ms. */
static guint64
start_and_leave (LbTestBus *bus,
                 gboolean backup,
                 guint32 flags,
                 const char *path,
                 gboolean cancel_on_disconnect,
                 guint leave_ms)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GDBusConnection) c = lb_test_bus_connect (bus, &error);
  guint64 id;

  g_assert_no_error (error);
  if (c == NULL)
    return 0;
  id = rel_op_start (c, backup, flags, path,
                     cancel_on_disconnect
                         ? g_variant_new_parsed ("@a{sv} {'cancel-on-disconnect': <true>}")
                         : NULL,
                     &error);
  g_assert_no_error (error);
  lb_test_run_for (leave_ms);
  g_dbus_connection_close_sync (c, NULL, &error);
  g_assert_no_error (error);
  return id;
}

/* start_and_leave(), then its Completed signal on @queue: status @status
 * and, unless @error_name is NULL, that error name. FALSE when it did not
 * come. */
static gboolean
left_operation_ends (LbTestBus *bus,
                     LbTestSignalQueue *queue,
                     gboolean backup,
                     guint32 flags,
                     const char *path,
                     gboolean cancel_on_disconnect,
                     guint status,
                     const char *error_name)
{
  guint64 id = start_and_leave (bus, backup, flags, path, cancel_on_disconnect, 200);
  RelOutcome o;

  if (id == 0 || !rel_op_wait (queue, id, 60000, &o))
    {
      rel_fail ("no %s", backup ? "BackupCompleted" : "RestoreCompleted");
      return FALSE;
    }
  g_assert_cmpuint (o.status, ==, status);
  if (error_name != NULL)
    g_assert_cmpstr (o.error_name, ==, error_name);
  rel_outcome_clear (&o);
  return TRUE;
}

static void
test_disconnect (void)
{
  g_auto (RelEnv) e = { 0 };
  const char *cancelled = lb_test_error_dbus_name (LB_ERROR_CANCELLED);

  /* 2,000 licenses, about a second per operation. */
  if (!rel_env_init (&e, "leaver", 500, FALSE))
    return;
  LbTestBus *bus = e.bus;
  const char *dir = e.backup_dir;
  if (!rel_store_range (bus, "lic-", 0, 2000, 5, 50, 1000, 10000))
    return;
  g_autoptr (LbTestSignalQueue) queue = rel_manager_signals (lb_test_bus_get_connection (bus));

  /* A backup whose caller leaves goes on. */
  if (!left_operation_ends (bus, queue, TRUE, 0, dir, FALSE, LB_STATUS_END, ""))
    return;
  g_autofree char *file = lb_test_newest_backup (dir);
  g_autoptr (GBytes) first = lb_test_read_bytes (file);
  g_assert_nonnull (first);

  /* One that asked for cancel-on-disconnect is cancelled, leaving the old
   * backup and no temporary file. */
  if (!left_operation_ends (bus, queue, TRUE, LB_BACKUP_FLAGS_OVERWRITE, dir, TRUE, LB_STATUS_ERROR,
                            cancelled))
    return;
  g_autoptr (GBytes) now = lb_test_read_bytes (file);
  g_assert_true (now != NULL && g_bytes_equal (now, first));
  g_autofree char *newest = lb_test_newest_backup (dir);
  g_assert_cmpstr (newest, ==, file);
  g_autoptr (GPtrArray) temps = rel_list_prefixed (dir, LB_BACKUP_TMP_PREFIX);
  g_assert_cmpuint (temps->len, ==, 0);

  /* The same for restores, into a store that lost half its licenses. */
  g_autoptr (GHashTable) full = rel_dump_bus_ok (bus);
  g_autoptr (LbDBusStore) store = lb_test_bus_store_proxy (bus);
  for (guint i = 0; i < 2000; i += 2)
    {
      g_autofree char *key = rel_key ("lic-", i);
      g_autoptr (GError) error = NULL;

      lb_dbus_store_call_delete_license_sync (store, key, NULL, &error);
      g_assert_no_error (error);
    }
  g_autoptr (GHashTable) partial = rel_dump_bus_ok (bus);

  if (!left_operation_ends (bus, queue, FALSE, 0, dir, TRUE, LB_STATUS_ERROR, cancelled))
    return;
  g_autoptr (GHashTable) after_cancel = rel_dump_bus_ok (bus);
  g_assert_null (rel_dump_diff (after_cancel, partial));

  if (!left_operation_ends (bus, queue, FALSE, 0, dir, FALSE, LB_STATUS_END, NULL))
    return;
  g_autoptr (GHashTable) after_restore = rel_dump_bus_ok (bus);
  g_assert_null (rel_dump_diff (after_restore, full));
  g_test_message ("FIGURE disconnect: a backup and a restore whose callers left the bus "
                  "completed; with cancel-on-disconnect both ended Cancelled, leaving the old "
                  "backup byte for byte and the store as it was");
}

int
main (int argc, char **argv)
{
  rel_init (&argc, &argv);
  g_test_add_func ("/reliability/load/backup", test_load_backup);
  g_test_add_func ("/reliability/load/disconnect", test_disconnect);
  return g_test_run ();
}
