/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reliability: the daemon's memory is bounded by what is in flight, not by
 * how much has passed through it.
 *
 * /reliability/memory/bulk-import: 48 StoreLicenses calls of 4 MiB each
 * (four licenses of 1 MiB), one in flight at a time: 192 MiB pass, and the
 * daemon's peak RSS stays under 48 MiB. Every Store call used to leak its
 * invocation, and with it a bulk call's whole message (the benchmark's
 * import of 1,000,000 licenses peaked at 2.2 GB).
 *
 * /reliability/memory/fd-import: one StoreLicensesFromFd of 500 licenses of
 * 1 MiB (500 MiB in a sealed memfd, docs/import-format.md): the daemon reads
 * them record by record into one transaction, and its peak RSS stays under
 * 48 MiB however large the import.
 *
 * /reliability/memory/restricted-signals: a backup of a store of 100,000
 * licenses without the Backup right sends 100,000 RestrictedLicense
 * signals to a client that listens; the daemon's peak RSS stays under
 * 48 MiB. The signals used to queue on the connection faster than the bus
 * took them (385 MB for 300,000).
 *
 * Not under AddressSanitizer, whose own memory is not the product's.
 */
#include "config.h"

#include <fcntl.h>
#include <gio/gunixfdlist.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "rel-util.h"

#define RSS_LIMIT_KIB (48 * 1024)

static void
assert_peak_rss (LbTestDaemon *daemon, const char *what)
{
  gint64 hwm = rel_proc_vmhwm_kib (lb_test_daemon_get_pid (daemon));

  g_test_message ("FIGURE memory: %s: daemon peak RSS %" G_GINT64_FORMAT " KiB", what, hwm);
  if (REL_ASAN)
    return;
  if (hwm < 0 || hwm > RSS_LIMIT_KIB)
    rel_fail ("%s: the daemon's peak RSS was %" G_GINT64_FORMAT " KiB (limit %d)", what, hwm,
              RSS_LIMIT_KIB);
}

static GVariant *
license_tuple (const char *key, GBytes *blob, gboolean can_backup)
{
  GVariantBuilder attrs;

  g_variant_builder_init (&attrs, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&attrs, "{sv}", "can-backup", g_variant_new_boolean (can_backup));
  g_variant_builder_add (&attrs, "{sv}", "issuer", g_variant_new_string ("memory test"));
  return g_variant_new ("(s@ay@a{sv})", key,
                        g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, blob, TRUE),
                        g_variant_builder_end (&attrs));
}

static gboolean
store_batch (LbTestBus *bus, GVariantBuilder *batch)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = NULL;

  reply = g_dbus_connection_call_sync (
      lb_test_bus_get_connection (bus), LB_TEST_BUS_NAME, LB_TEST_OBJECT_PATH, LB_TEST_STORE_IFACE,
      "StoreLicenses", g_variant_new ("(@a(saya{sv}))", g_variant_builder_end (batch)), NULL,
      G_DBUS_CALL_FLAGS_NONE, 60000, NULL, &error);
  g_assert_no_error (error);
  return reply != NULL;
}

static void
test_bulk_import (void)
{
  g_autoptr (LbTestBus) bus = lb_test_bus_new (LB_TEST_BUS_DEFAULT);
  g_autoptr (LbTestMachine) machine = lb_test_machine_new (bus, "memory");
  LbTestDaemon *daemon = rel_start_daemon (machine, NULL);

  if (daemon == NULL)
    return;
  for (guint call = 0; call < 48; call++)
    {
      GVariantBuilder batch;

      g_variant_builder_init (&batch, G_VARIANT_TYPE ("a(saya{sv})"));
      for (guint i = 0; i < 4; i++)
        {
          g_autofree char *key = g_strdup_printf ("big-%02u-%u", call, i);
          g_autoptr (GBytes) blob = rel_blob (call * 4 + i, 7, 1024 * 1024, 1024 * 1024);

          g_variant_builder_add_value (&batch, license_tuple (key, blob, TRUE));
        }
      if (!store_batch (bus, &batch))
        return;
    }
  assert_peak_rss (daemon, "48 StoreLicenses calls of 4 MiB");
}

/* Appends license @key with @blob to the memfd @fd as an import record:
 * u32-LE length, then the (saya{sv}) in normal form, little-endian. */
static void
write_import_record (int fd, const char *key, GBytes *blob)
{
  g_autoptr (GVariant) v = g_variant_ref_sink (license_tuple (key, blob, TRUE));
  g_autoptr (GVariant) normal = g_variant_get_normal_form (v);
  g_autoptr (GVariant) le
      = G_BYTE_ORDER == G_LITTLE_ENDIAN ? g_variant_ref (normal) : g_variant_byteswap (normal);
  guint32 len = GUINT32_TO_LE ((guint32) g_variant_get_size (le));

  g_assert_cmpint (write (fd, &len, sizeof len), ==, sizeof len);
  g_assert_cmpint (write (fd, g_variant_get_data (le), g_variant_get_size (le)), ==,
                   (gssize) g_variant_get_size (le));
}

static void
test_fd_import (void)
{
  g_autoptr (LbTestBus) bus = lb_test_bus_new (LB_TEST_BUS_DEFAULT);
  g_autoptr (LbTestMachine) machine = lb_test_machine_new (bus, "memory");
  g_autoptr (GUnixFDList) fds = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GError) error = NULL;
  LbTestDaemon *daemon = rel_start_daemon (machine, NULL);
  const guint n = 500;
  guint64 stored = 0;
  int fd;

  if (daemon == NULL)
    return;
  fd = memfd_create ("lb-memory-import", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (write (fd, "LBI1", 4), ==, 4);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *key = rel_key ("fd-", i);
      g_autoptr (GBytes) blob = rel_blob (i, 11, 1024 * 1024, 1024 * 1024);

      write_import_record (fd, key, blob);
    }
  g_assert_cmpint (fcntl (fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW), ==, 0);
  fds = g_unix_fd_list_new_from_array (&fd, 1);
  reply = g_dbus_connection_call_with_unix_fd_list_sync (
      lb_test_bus_get_connection (bus), LB_TEST_BUS_NAME, LB_TEST_OBJECT_PATH, LB_TEST_STORE_IFACE,
      "StoreLicensesFromFd", g_variant_new ("(h@a{sv})", 0, g_variant_new ("a{sv}", NULL)),
      G_VARIANT_TYPE ("(t)"), G_DBUS_CALL_FLAGS_NONE, 240000, fds, NULL, NULL, &error);
  g_assert_no_error (error);
  if (reply == NULL)
    return;
  g_variant_get (reply, "(t)", &stored);
  g_assert_cmpuint (stored, ==, n);
  g_assert_cmpuint (lb_test_bus_get_license_count (bus), ==, n);
  assert_peak_rss (daemon, "StoreLicensesFromFd of 500 licenses of 1 MiB");
}

static void
test_restricted_signals (void)
{
  g_autoptr (LbTestBus) bus = lb_test_bus_new (LB_TEST_BUS_DEFAULT);
  g_autoptr (LbTestMachine) machine = lb_test_machine_new (bus, "memory");
  g_autoptr (LbTestSignalQueue) queue = NULL;
  g_autofree char *dir = NULL;
  const guint n = 100000;
  LbTestDaemon *daemon;
  RelOutcome o;
  guint restricted = 0;
  char *member = NULL;
  GVariant *signal;

  daemon = rel_start_daemon (machine, NULL);
  if (daemon == NULL)
    return;
  for (guint first = 0; first < n; first += 5000)
    {
      GVariantBuilder batch;

      g_variant_builder_init (&batch, G_VARIANT_TYPE ("a(saya{sv})"));
      for (guint i = first; i < first + 5000; i++)
        {
          g_autofree char *key = rel_key ("left-out-", i);
          g_autoptr (GBytes) blob = rel_blob (i, 3, 16, 16);

          /* One license to back up, so that the backup has something. */
          g_variant_builder_add_value (&batch, license_tuple (key, blob, i == 0));
        }
      if (!store_batch (bus, &batch))
        return;
    }

  dir = g_build_filename (lb_test_machine_get_root (machine), "backups", NULL);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  queue = rel_manager_signals (lb_test_bus_get_connection (bus));
  if (!rel_op_run (bus, TRUE, 0, dir, 300000, &o))
    return;
  g_assert_cmpuint (o.status, ==, LB_STATUS_END);
  rel_outcome_clear (&o);
  while ((signal = lb_test_signal_queue_pop (queue, 0, &member)) != NULL)
    {
      restricted += g_str_equal (member, "RestrictedLicense");
      g_variant_unref (signal);
      g_clear_pointer (&member, g_free);
    }
  g_assert_cmpuint (restricted, ==, n - 1);
  assert_peak_rss (daemon, "backup leaving out 99,999 licenses");
}

int
main (int argc, char **argv)
{
  rel_init (&argc, &argv);
  g_test_add_func ("/reliability/memory/bulk-import", test_bulk_import);
  g_test_add_func ("/reliability/memory/fd-import", test_fd_import);
  g_test_add_func ("/reliability/memory/restricted-signals", test_restricted_signals);
  return g_test_run ();
}
