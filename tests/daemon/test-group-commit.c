/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Integration tests of issue 25's group commit: single writes
 * (StoreLicense, DeleteLicense, DeleteAppLicense) of many callers at once
 * share one transaction, and each reply means its write is durable. The
 * real daemon on a private bus; calls are sent all at once (asynchronous)
 * from many connections and their replies collected.
 *
 * Groups (LB_TEST_GROUPS), one meson test each:
 *  - concurrent: 16 connections storing 40 licenses each at once, then
 *    deleting a quarter of them at once: every call succeeds, the store
 *    holds exactly the rest with their blobs, LicenseCount agrees, and
 *    the daemon's log shows transactions that held several requests. And
 *    16 clients storing in loops while the user restores: the restore
 *    completes, each store is stored or answered Busy (the restore goes
 *    first), and every acknowledged one is there.
 *  - faults: among concurrent good stores of the host and of a sandboxed
 *    app, an app over its limits (NoSpace), bad licenses (InvalidArgs),
 *    deletes of nothing (NotFound) and another app's delete through
 *    DeleteAppLicense (PermissionDenied): each fails only its own call with
 *    its named error; the rest are stored. Needs bubblewrap and
 *    xdg-dbus-proxy (fake Flatpak apps, lb-test-sandbox.h), else exits 77.
 *  - durable: the daemon killed (SIGKILL) right after a quarter of the
 *    replies arrived, while the other calls are in flight: after a restart every
 *    acknowledged license is there; and killed at the first group's
 *    COMMIT (LB_FAULT=group-before-commit): no call was acknowledged and
 *    none of them is stored.
 *  - lone: one StoreLicense, replaced, read back and deleted, one call at
 *    a time, as before.
 */
#include "config.h"

#include <signal.h>
#include <string.h>

#include "lb-test-sandbox.h"
#include "lb-test-util.h"

#define CLIENTS 16
#define PER_CLIENT 40
#define BLOB_SIZE 600

typedef struct
{
  LbTestBus *bus;
  LbTestMachine *machine;
  LbDBusStore *store;
  LbDBusManager *manager;
  GDBusConnection *clients[CLIENTS];
} Fixture;

static void
setup (Fixture *f, gconstpointer data)
{
  f->bus = lb_test_bus_new (LB_TEST_BUS_LARGE_MESSAGES);
  f->machine = lb_test_machine_new (f->bus, "group");
}

static void
teardown (Fixture *f, gconstpointer data)
{
  for (guint i = 0; i < CLIENTS; i++)
    g_clear_object (&f->clients[i]);
  lb_test_clear_service (&f->bus, &f->machine, &f->store, &f->manager);
}

static gboolean
start (Fixture *f, const LbTestDaemonOptions *options)
{
  if (!lb_test_machine_start_service (f->machine, options, &f->store, &f->manager))
    return FALSE;
  for (guint i = 0; i < CLIENTS; i++)
    {
      g_autoptr (GError) error = NULL;

      g_clear_object (&f->clients[i]);
      f->clients[i] = lb_test_bus_connect (f->bus, &error);
      g_assert_no_error (error);
      if (f->clients[i] == NULL)
        return FALSE;
    }
  return TRUE;
}

/* Calls sent at once, their replies collected */

typedef struct
{
  guint pending;
  GPtrArray *calls; /* of Call */
  /* Called at each reply (before it is counted), e.g. to kill the daemon. */
  void (*on_reply) (gpointer data);
  gpointer on_reply_data;
} Batch;

typedef struct
{
  Batch *batch;
  char *key;
  guint8 seed;
  gboolean done;
  GError *error; /* NULL: it succeeded */
} Call;

static void
call_free (gpointer p)
{
  Call *c = p;

  g_free (c->key);
  g_clear_error (&c->error);
  g_free (c);
}

static void
batch_init (Batch *b)
{
  memset (b, 0, sizeof *b);
  b->calls = g_ptr_array_new_with_free_func (call_free);
}

static void
batch_clear (Batch *b)
{
  g_clear_pointer (&b->calls, g_ptr_array_unref);
}

static void
call_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Call *c = user_data;
  g_autoptr (GVariant) reply
      = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &c->error);

  c->done = TRUE;
  if (c->batch->on_reply != NULL)
    c->batch->on_reply (c->batch->on_reply_data);
  c->batch->pending--;
}

/* Sends @method (@params, consumed if floating) on @conn without waiting. */
static Call *
batch_send (Batch *b, GDBusConnection *conn, const char *method, GVariant *params, const char *key)
{
  Call *c = g_new0 (Call, 1);

  c->batch = b;
  c->key = g_strdup (key);
  g_ptr_array_add (b->calls, c);
  b->pending++;
  g_dbus_connection_call (conn, LB_TEST_BUS_NAME, LB_TEST_OBJECT_PATH, LB_TEST_STORE_IFACE, method,
                          params, G_VARIANT_TYPE_UNIT, G_DBUS_CALL_FLAGS_NO_AUTO_START, 60000, NULL,
                          call_done, c);
  return c;
}

static Call *
send_store (Batch *b, GDBusConnection *conn, const char *key, guint8 seed)
{
  Call *c = batch_send (b, conn, "StoreLicense",
                        g_variant_new ("(s@ay@a{sv})", key, lb_test_blob_new (BLOB_SIZE, seed),
                                       g_variant_new ("a{sv}", NULL)),
                        key);

  c->seed = seed;
  return c;
}

static Call *
send_delete (Batch *b, GDBusConnection *conn, const char *key)
{
  return batch_send (b, conn, "DeleteLicense", g_variant_new ("(s)", key), key);
}

static void
batch_wait (Batch *b)
{
  while (b->pending > 0)
    g_main_context_iteration (g_main_context_get_thread_default (), TRUE);
}

static char *
key_of (guint client, guint i)
{
  return g_strdup_printf ("c%02u-%03u", client, i);
}

/* Asserts that @conn's caller has @key with the blob of @seed. */
static void
assert_stored (GDBusConnection *conn, const char *key, guint8 seed)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GVariant) blob = NULL;
  g_autoptr (GVariant) expected = g_variant_ref_sink (lb_test_blob_new (BLOB_SIZE, seed));

  reply = g_dbus_connection_call_sync (conn, LB_TEST_BUS_NAME, LB_TEST_OBJECT_PATH,
                                       LB_TEST_STORE_IFACE, "GetLicense",
                                       g_variant_new ("(s)", key), G_VARIANT_TYPE ("(aya{sv})"),
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
  if (reply == NULL)
    return;
  blob = g_variant_get_child_value (reply, 0);
  if (!g_variant_equal (blob, expected))
    g_test_fail_printf ("the license “%s” does not hold the blob it was stored with", key);
}

static void
assert_absent (GDBusConnection *conn, const char *key)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = NULL;

  reply = g_dbus_connection_call_sync (
      conn, LB_TEST_BUS_NAME, LB_TEST_OBJECT_PATH, LB_TEST_STORE_IFACE, "GetLicense",
      g_variant_new ("(s)", key), NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  lb_test_assert_error_name (error, LB_ERROR_NOT_FOUND);
}

/* concurrent */

static void
test_concurrent (Fixture *f, gconstpointer arg)
{
  Batch stores, deletes;
  g_autofree char *log = NULL;
  const char *line;
  guint largest = 0;

  if (!start (f, NULL))
    return;
  batch_init (&stores);
  for (guint i = 0; i < PER_CLIENT; i++)
    for (guint c = 0; c < CLIENTS; c++)
      {
        g_autofree char *key = key_of (c, i);

        send_store (&stores, f->clients[c], key, (guint8) (c * PER_CLIENT + i));
      }
  batch_wait (&stores);
  for (guint i = 0; i < stores.calls->len; i++)
    {
      Call *c = stores.calls->pdata[i];
      g_assert_no_error (c->error);
    }
  g_assert_cmpuint (lb_test_bus_get_license_count (f->bus), ==, CLIENTS * PER_CLIENT);

  /* A quarter deleted, all at once, each by its own caller. */
  batch_init (&deletes);
  for (guint i = 0; i < PER_CLIENT; i += 4)
    for (guint c = 0; c < CLIENTS; c++)
      {
        g_autofree char *key = key_of (c, i);

        send_delete (&deletes, f->clients[c], key);
      }
  batch_wait (&deletes);
  for (guint i = 0; i < deletes.calls->len; i++)
    {
      Call *c = deletes.calls->pdata[i];
      g_assert_no_error (c->error);
    }
  g_assert_cmpuint (lb_test_bus_get_license_count (f->bus), ==, CLIENTS * PER_CLIENT * 3 / 4);
  for (guint c = 0; c < CLIENTS; c++)
    for (guint i = 0; i < PER_CLIENT; i++)
      {
        g_autofree char *key = key_of (c, i);

        if (i % 4 == 0)
          assert_absent (f->clients[c], key);
        else
          assert_stored (f->clients[c], key, (guint8) (c * PER_CLIENT + i));
      }

  /* Calls sent together shared transactions (the daemon's --verbose log:
   * "group commit: N request(s) in one transaction"). */
  log = lb_test_daemon_read_log (lb_test_machine_get_daemon (f->machine));
  for (line = strstr (log, "group commit: "); line != NULL;
       line = strstr (line + 1, "group commit: "))
    largest = MAX (largest, (guint) g_ascii_strtoull (line + strlen ("group commit: "), NULL, 10));

  /* The same after a restart: what was acknowledged was committed. */
  if (!start (f, NULL))
    return;
  g_assert_cmpuint (lb_test_bus_get_license_count (f->bus), ==, CLIENTS * PER_CLIENT * 3 / 4);
  g_test_message ("the largest transaction held %u requests", largest);
  g_assert_cmpuint (largest, >=, 2);
  batch_clear (&stores);
  batch_clear (&deletes);
}

/* faults */

#define APP_FULL "org.example.Full"
#define APP_GOOD "org.example.Good"

static void
test_faults (Fixture *f, gconstpointer arg)
{
  const char *const args[] = { "--app-max-licenses=30", NULL };
  g_autoptr (LbTestApp) full = NULL;
  g_autoptr (LbTestApp) good = NULL;
  g_autoptr (GDBusConnection) full_conn = NULL;
  g_autoptr (GDBusConnection) good_conn = NULL;
  g_autoptr (GError) error = NULL;
  GPtrArray *refused_limits = g_ptr_array_new ();
  GPtrArray *refused_bad = g_ptr_array_new ();
  GPtrArray *refused_missing = g_ptr_array_new ();
  GPtrArray *refused_other = g_ptr_array_new ();
  GPtrArray *good_calls = g_ptr_array_new ();
  Batch setup_batch, b;

  lb_test_sandbox_require ();
  if (!start (f, &(LbTestDaemonOptions){ .extra_args = args }))
    return;
  full = lb_test_app_new (f->bus, APP_FULL, LB_TEST_FLATPAK_INFO_NORMAL, NULL);
  good = lb_test_app_new (f->bus, APP_GOOD, LB_TEST_FLATPAK_INFO_NORMAL, NULL);
  if (full == NULL || good == NULL)
    return;
  full_conn = lb_test_app_connect (full, &error);
  g_assert_no_error (error);
  good_conn = lb_test_app_connect (good, &error);
  g_assert_no_error (error);
  if (full_conn == NULL || good_conn == NULL)
    return;

  /* APP_FULL at its limit of 30 licenses. */
  batch_init (&setup_batch);
  for (guint i = 0; i < 30; i++)
    {
      g_autofree char *key = g_strdup_printf ("full-%02u", i);

      send_store (&setup_batch, full_conn, key, (guint8) i);
    }
  batch_wait (&setup_batch);
  for (guint i = 0; i < setup_batch.calls->len; i++)
    g_assert_no_error (((Call *) setup_batch.calls->pdata[i])->error);

  /* Everything at once, interleaved. */
  batch_init (&b);
  for (guint i = 0; i < 10; i++)
    {
      g_autofree char *host_key = g_strdup_printf ("host-%02u", i);
      g_autofree char *good_key = g_strdup_printf ("good-%02u", i);
      g_autofree char *over_key = g_strdup_printf ("over-%02u", i);
      g_autofree char *missing_key = g_strdup_printf ("missing-%02u", i);
      g_autofree char *replaced_key = g_strdup_printf ("full-%02u", i);

      g_ptr_array_add (good_calls, send_store (&b, f->clients[i], host_key, (guint8) (100 + i)));
      g_ptr_array_add (good_calls, send_store (&b, good_conn, good_key, (guint8) (120 + i)));
      /* Over its limit: a new license; replacing one stays within it. */
      g_ptr_array_add (refused_limits, send_store (&b, full_conn, over_key, (guint8) i));
      g_ptr_array_add (good_calls, send_store (&b, full_conn, replaced_key, (guint8) (140 + i)));
      if (i % 3 == 0)
        {
          /* A key id no license may have. */
          g_ptr_array_add (refused_bad,
                           batch_send (&b, f->clients[CLIENTS - 1], "StoreLicense",
                                       g_variant_new ("(s@ay@a{sv})", "", lb_test_blob_new (10, 1),
                                                      g_variant_new ("a{sv}", NULL)),
                                       ""));
          g_ptr_array_add (refused_missing, send_delete (&b, f->clients[CLIENTS - 2], missing_key));
          /* An app may not delete another's licenses. */
          g_ptr_array_add (refused_other,
                           batch_send (&b, good_conn, "DeleteAppLicense",
                                       g_variant_new ("(ss)", APP_FULL, "full-29"), "full-29"));
        }
    }
  batch_wait (&b);

  for (guint i = 0; i < good_calls->len; i++)
    g_assert_no_error (((Call *) good_calls->pdata[i])->error);
  for (guint i = 0; i < refused_limits->len; i++)
    {
      Call *c = refused_limits->pdata[i];

      lb_test_assert_error_name (c->error, LB_ERROR_NO_SPACE);
      if (c->error != NULL && strstr (c->error->message, APP_FULL) == NULL)
        g_test_fail_printf ("“%s” does not name the app", c->error->message);
      assert_absent (full_conn, c->key);
    }
  for (guint i = 0; i < refused_bad->len; i++)
    lb_test_assert_error_name (((Call *) refused_bad->pdata[i])->error, LB_ERROR_INVALID_ARGS);
  for (guint i = 0; i < refused_missing->len; i++)
    lb_test_assert_error_name (((Call *) refused_missing->pdata[i])->error, LB_ERROR_NOT_FOUND);
  for (guint i = 0; i < refused_other->len; i++)
    lb_test_assert_error_name (((Call *) refused_other->pdata[i])->error,
                               LB_ERROR_PERMISSION_DENIED);

  /* Every good call's license, as stored. */
  for (guint i = 0; i < good_calls->len; i++)
    {
      Call *c = good_calls->pdata[i];
      GDBusConnection *conn = g_str_has_prefix (c->key, "host-")   ? f->clients[0]
                              : g_str_has_prefix (c->key, "good-") ? good_conn
                                                                   : full_conn;

      assert_stored (conn, c->key, c->seed);
    }
  /* 30 of APP_FULL, 10 of APP_GOOD, 10 of the host. */
  g_assert_cmpuint (lb_test_bus_get_license_count (f->bus), ==, 50);
  assert_stored (full_conn, "full-29", 29);

  g_ptr_array_unref (refused_limits);
  g_ptr_array_unref (refused_bad);
  g_ptr_array_unref (refused_missing);
  g_ptr_array_unref (refused_other);
  g_ptr_array_unref (good_calls);
  batch_clear (&setup_batch);
  batch_clear (&b);
}

/* durable */

typedef struct
{
  Batch *batch;
  LbTestDaemon *daemon;
  gboolean killed;
} KillAfter;

/* Once a quarter of the calls were acknowledged: SIGKILL, while the
 * others are in flight. */
static void
kill_after_some (gpointer data)
{
  KillAfter *k = data;
  guint acknowledged = 0;

  if (k->killed)
    return;
  for (guint i = 0; i < k->batch->calls->len; i++)
    {
      Call *c = k->batch->calls->pdata[i];

      acknowledged += c->done && c->error == NULL ? 1 : 0;
    }
  if (acknowledged >= CLIENTS * PER_CLIENT / 4)
    {
      kill (lb_test_daemon_get_service_pid (k->daemon), SIGKILL);
      k->killed = TRUE;
    }
}

static void
test_durable_kill (Fixture *f, gconstpointer arg)
{
  Batch b;
  KillAfter k = { &b };
  guint acknowledged = 0, failed = 0;

  if (!start (f, NULL))
    return;
  k.daemon = lb_test_machine_get_daemon (f->machine);
  batch_init (&b);
  b.on_reply = kill_after_some;
  b.on_reply_data = &k;
  for (guint i = 0; i < PER_CLIENT; i++)
    for (guint c = 0; c < CLIENTS; c++)
      {
        g_autofree char *key = key_of (c, i);

        send_store (&b, f->clients[c], key, (guint8) (c + i));
      }
  batch_wait (&b);
  g_assert_true (k.killed);
  g_assert_true (lb_test_daemon_wait_exit (k.daemon, LB_TEST_TIMEOUT_MS));

  /* After a restart, every acknowledged license is there. */
  if (!start (f, NULL))
    return;
  for (guint i = 0; i < b.calls->len; i++)
    {
      Call *c = b.calls->pdata[i];
      guint client = (guint) g_ascii_strtoull (c->key + 1, NULL, 10);

      if (c->error != NULL)
        {
          failed++;
          continue;
        }
      acknowledged++;
      assert_stored (f->clients[client], c->key, c->seed);
    }
  g_test_message ("%u acknowledged before the kill, %u not", acknowledged, failed);
  g_assert_cmpuint (acknowledged, >=, 1);
  g_assert_cmpuint (lb_test_bus_get_license_count (f->bus), >=, acknowledged);
  batch_clear (&b);
}

static void
test_durable_before_commit (Fixture *f, gconstpointer arg)
{
  Batch b;

  if (!start (f, &(LbTestDaemonOptions){ .fault = "group-before-commit" }))
    return;
  batch_init (&b);
  for (guint c = 0; c < CLIENTS; c++)
    {
      g_autofree char *key = key_of (c, 0);

      send_store (&b, f->clients[c], key, (guint8) c);
    }
  batch_wait (&b);
  /* Killed at the first COMMIT: no call was answered as stored. */
  for (guint i = 0; i < b.calls->len; i++)
    {
      Call *c = b.calls->pdata[i];

      g_assert_nonnull (c->error);
    }
  g_assert_true (
      lb_test_daemon_wait_exit (lb_test_machine_get_daemon (f->machine), LB_TEST_TIMEOUT_MS));
  if (!start (f, NULL))
    return;
  g_assert_cmpuint (lb_test_bus_get_license_count (f->bus), ==, 0);
  batch_clear (&b);
}

/* concurrent/restore-first: single writes go on while the user restores */

typedef struct
{
  GDBusConnection *conn;
  guint client;
  guint next;
  gboolean *stop;
  guint *pending;
  guint *ok, *busy, *other;
  GPtrArray *acknowledged; /* of key ids */
} Flood;

static void flood_send (Flood *fl);

static void
flood_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Flood *fl = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = g_dbus_connection_call_finish (fl->conn, result, &error);

  (*fl->pending)--;
  if (reply != NULL)
    {
      (*fl->ok)++;
      g_ptr_array_add (fl->acknowledged, g_strdup_printf ("c%02u-%04u", fl->client, fl->next - 1));
    }
  else if (g_error_matches (error, LB_ERROR, LB_ERROR_BUSY))
    (*fl->busy)++;
  else
    {
      g_test_message ("StoreLicense failed: %s", error->message);
      (*fl->other)++;
    }
  if (!*fl->stop)
    flood_send (fl);
}

/* One call at a time per client, as an app's loop would. */
static void
flood_send (Flood *fl)
{
  g_autofree char *key = g_strdup_printf ("c%02u-%04u", fl->client, fl->next++);

  (*fl->pending)++;
  g_dbus_connection_call (
      fl->conn, LB_TEST_BUS_NAME, LB_TEST_OBJECT_PATH, LB_TEST_STORE_IFACE, "StoreLicense",
      g_variant_new ("(s@ay@a{sv})", key, lb_test_blob_new (BLOB_SIZE, 3),
                     g_variant_new ("a{sv}", NULL)),
      G_VARIANT_TYPE_UNIT, G_DBUS_CALL_FLAGS_NO_AUTO_START, 60000, NULL, flood_done, fl);
}

static void
test_restore_first (Fixture *f, gconstpointer arg)
{
  g_autofree char *dir = lb_test_make_tmp_dir ("group-restore");
  g_autoptr (LbTestSignalQueue) q = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) acknowledged = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *error_text = NULL;
  Flood floods[CLIENTS];
  gboolean stop = FALSE;
  guint pending = 0, ok = 0, busy = 0, other = 0, status = 0;
  guint64 id;

  if (!start (f, NULL))
    return;
  q = lb_test_signal_queue_new (lb_test_bus_get_connection (f->bus), LB_TEST_BUS_NAME,
                                LB_TEST_MANAGER_IFACE, NULL, LB_TEST_OBJECT_PATH);
  lb_test_store_many_ok (f->store, 20, "r", BLOB_SIZE);
  id = lb_test_start_operation (f->manager, FALSE, LB_BACKUP_FLAGS_NONE, lb_test_path_options (dir),
                                &error);
  g_assert_no_error (error);
  g_assert_true (lb_test_wait_completed (q, id, 60000, NULL, &status, NULL, NULL));
  g_assert_cmpuint (status, ==, LB_STATUS_END);
  for (guint i = 0; i < 20; i++)
    {
      g_autofree char *key = g_strdup_printf ("r%06u", i);

      g_assert_true (lb_dbus_store_call_delete_license_sync (f->store, key, NULL, &error));
      g_assert_no_error (error);
    }

  /* Every client stores, one call after the other, while the user
   * restores. */
  for (guint c = 0; c < CLIENTS; c++)
    {
      floods[c] = (Flood){ f->clients[c], c, 0, &stop, &pending, &ok, &busy, &other, acknowledged };
      flood_send (&floods[c]);
    }
  id = lb_test_start_operation (f->manager, TRUE, LB_RESTORE_FLAGS_NONE, lb_test_path_options (dir),
                                &error);
  g_assert_no_error (error);
  g_assert_true (lb_test_wait_completed (q, id, 60000, NULL, &status, &error_text, NULL));
  stop = TRUE;
  while (pending > 0)
    g_main_context_iteration (g_main_context_get_thread_default (), TRUE);

  g_test_message ("during the restore: %u stored, %u Busy, %u other errors", ok, busy, other);
  /* The restore went through; each write was stored or answered Busy. */
  g_assert_cmpuint (status, ==, LB_STATUS_END);
  g_assert_cmpuint (other, ==, 0);
  g_assert_cmpuint (lb_test_bus_get_license_count (f->bus), ==, 20 + ok);
  for (guint i = 0; i < acknowledged->len; i++)
    {
      const char *key = acknowledged->pdata[i];

      assert_stored (f->clients[g_ascii_strtoull (key + 1, NULL, 10)], key, 3);
    }
}

/* lone */

static void
test_lone (Fixture *f, gconstpointer arg)
{
  Batch b;
  Call *c;

  if (!start (f, NULL))
    return;
  for (guint round = 0; round < 2; round++)
    {
      batch_init (&b);
      c = send_store (&b, f->clients[0], "lone", (guint8) (7 + round));
      batch_wait (&b);
      g_assert_no_error (c->error);
      assert_stored (f->clients[0], "lone", (guint8) (7 + round));
      g_assert_cmpuint (lb_test_bus_get_license_count (f->bus), ==, 1);
      batch_clear (&b);
    }
  batch_init (&b);
  c = send_delete (&b, f->clients[0], "lone");
  batch_wait (&b);
  g_assert_no_error (c->error);
  batch_clear (&b);
  g_assert_cmpuint (lb_test_bus_get_license_count (f->bus), ==, 0);
  batch_init (&b);
  c = send_delete (&b, f->clients[0], "lone");
  batch_wait (&b);
  lb_test_assert_error_name (c->error, LB_ERROR_NOT_FOUND);
  batch_clear (&b);
}

static const struct
{
  const char *path;
  void (*func) (Fixture *f, gconstpointer arg);
  gconstpointer arg;
} cases[] = {
  { "concurrent/store-delete", test_concurrent, NULL },
  { "concurrent/restore-first", test_restore_first, NULL },
  { "faults/own-call-only", test_faults, NULL },

  { "durable/kill-after-replies", test_durable_kill, NULL },
  { "durable/before-commit", test_durable_before_commit, NULL },
  { "lone/store-replace-delete", test_lone, NULL },
};

int
main (int argc, char **argv)
{
  return lb_test_main_cases (&argc, &argv, "/group-commit/",
                             "tests/daemon/meson.build's group_commit_test_groups", cases, Fixture,
                             setup, teardown);
}
