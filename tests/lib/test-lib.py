#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-lib.py: liblicense-backup-1 from Python, through its typelib
# (LicenseBackup-1), against the real daemon on a private bus.
#
# Meson runs it from the build tree with GI_TYPELIB_PATH and
# LD_LIBRARY_PATH pointing at build/src/lib and LB_DAEMON_PATH at the
# build's license-backupd. Exits 77 (skipped) when PyGObject is missing.

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest

try:
    import gi

    gi.require_version("GLib", "2.0")
    gi.require_version("Gio", "2.0")
    gi.require_version("LicenseBackup", "1")
    from gi.repository import Gio, GLib, LicenseBackup
except (ImportError, ValueError) as e:
    print(f"skipped: PyGObject or the LicenseBackup typelib is missing ({e})")
    sys.exit(77)

BUS_NAME = "org.freedesktop.LicenseBackup1"
DAEMON = os.environ.get("LB_DAEMON_PATH", "license-backupd")
BUS_CONFIG = """<busconfig>
  <type>session</type>
  <listen>unix:dir={dir}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


class Machine:
    """One computer: its own data, home and machine id; its daemon."""

    def __init__(self, root, name, machine_id):
        self.root = os.path.join(root, name)
        os.makedirs(os.path.join(self.root, "data"))
        os.makedirs(os.path.join(self.root, "home"))
        self.machine_id_file = os.path.join(self.root, "machine-id")
        with open(self.machine_id_file, "w") as f:
            f.write(machine_id + "\n")
        self.daemon = None

    def start(self, address, delay_us=0):
        env = {
            "DBUS_SESSION_BUS_ADDRESS": address,
            "XDG_DATA_HOME": os.path.join(self.root, "data"),
            "HOME": os.path.join(self.root, "home"),
        }
        if delay_us:
            env["LB_FAULT_DELAY_US"] = str(delay_us)
        self.log = open(os.path.join(self.root, "daemon.log"), "a")
        self.daemon = subprocess.Popen(
            [DAEMON, "--machine-id-file", self.machine_id_file],
            env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def stop(self):
        if self.daemon is not None:
            self.daemon.terminate()
            self.daemon.wait(timeout=10)
            self.daemon = None
            self.log.close()


class LibTestCase(unittest.TestCase):
    delay_us = 0

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="lb-test-py-")
        conf = os.path.join(self.tmp, "bus.conf")
        with open(conf, "w") as f:
            f.write(BUS_CONFIG.format(dir=self.tmp))
        self.bus = subprocess.Popen(
            ["dbus-daemon", "--config-file=" + conf, "--nofork", "--print-address=1"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.address = self.bus.stdout.readline().strip()
        os.environ["DBUS_SESSION_BUS_ADDRESS"] = self.address
        self.machines = []
        self.machine_a = self.start_machine("a", "5f3e9a0c2b7d41e8a6c4d2f0b1e3c5a7")
        self.dir = os.path.join(self.tmp, "backups")
        os.mkdir(self.dir)
        # LicenseBackup.Client.new_sync uses the session bus, which GIO
        # keeps once made: each test gets its own connection instead.
        self.connection = Gio.DBusConnection.new_for_address_sync(
            self.address,
            Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT
            | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION, None, None)
        self.client = LicenseBackup.Client.new_for_connection_sync(self.connection, None)

    def tearDown(self):
        self.client = None
        self.connection.close_sync(None)
        for m in self.machines:
            m.stop()
        self.bus.terminate()
        self.bus.wait(timeout=10)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def start_machine(self, name, machine_id):
        m = Machine(self.tmp, name, machine_id)
        self.machines.append(m)
        m.start(self.address, self.delay_us)
        self.wait_owner()
        return m

    def wait_owner(self):
        conn = Gio.DBusConnection.new_for_address_sync(
            self.address,
            Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT
            | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION, None, None)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            reply = conn.call_sync("org.freedesktop.DBus", "/org/freedesktop/DBus",
                                   "org.freedesktop.DBus", "NameHasOwner",
                                   GLib.Variant("(s)", (BUS_NAME,)), None,
                                   Gio.DBusCallFlags.NONE, -1, None)
            if reply.unpack()[0]:
                conn.close_sync(None)
                return
            time.sleep(0.02)
        self.fail("the daemon did not own the name")

    def license(self, key_id, data=b"license data"):
        return LicenseBackup.License.new(key_id, GLib.Bytes.new(data))

    def assertLbError(self, cm, code):
        e = cm.exception
        self.assertTrue(e.matches(LicenseBackup.Error.quark(), code),
                        f"{e.domain} {e.code}: {e.message}")
        self.assertNotIn("GDBus.Error", e.message)
        self.assertNotEqual(e.message, "")


class TestLicenses(LibTestCase):
    def test_store_get_delete(self):
        c = self.client
        self.assertEqual(c.props.license_count, 0)
        lic = self.license("k1", b"\x00\x01data")
        lic.props.content_id = "movie-42"
        lic.props.issuer = "Example Studio"
        lic.props.can_backup = False
        lic.props.restore_limit = 3
        lic.props.expires = 4102444800
        lic.props.support_url = "https://example.com/restore"
        self.assertTrue(c.store_license_sync(lic, None))
        # No main loop ran: the count is already the service's.
        self.assertEqual(c.props.license_count, 1)

        got = c.get_license_sync("k1", None)
        self.assertEqual(got.props.key_id, "k1")
        self.assertEqual(got.props.data.get_data(), b"\x00\x01data")
        self.assertEqual(got.props.content_id, "movie-42")
        self.assertEqual(got.props.issuer, "Example Studio")
        self.assertFalse(got.props.can_backup)
        self.assertEqual(got.props.restore_limit, 3)
        self.assertEqual(got.props.expires, 4102444800)
        self.assertEqual(got.props.support_url, "https://example.com/restore")
        self.assertEqual(got.props.restore_count, 0)
        self.assertAlmostEqual(got.props.stored, time.time(), delta=10)
        self.assertEqual(got.props.app, "")

        self.assertTrue(c.delete_license_sync("k1", None))
        self.assertEqual(c.props.license_count, 0)
        with self.assertRaises(GLib.Error) as cm:
            c.get_license_sync("k1", None)
        self.assertLbError(cm, LicenseBackup.Error.NOT_FOUND)
        with self.assertRaises(GLib.Error) as cm:
            c.delete_license_sync("k1", None)
        self.assertLbError(cm, LicenseBackup.Error.NOT_FOUND)

    def test_list_apps(self):
        c = self.client
        c.store_license_sync(self.license("one"), None)
        c.store_license_sync(self.license("two"), None)
        apps = c.list_apps_sync(None)
        self.assertEqual(len(apps), 1)
        self.assertIsInstance(apps[0], LicenseBackup.App)
        self.assertEqual(apps[0].props.id, "")
        self.assertEqual(apps[0].props.licenses, 2)
        self.assertGreater(apps[0].get_bytes(), 0)

    def test_batch_all_or_none(self):
        c = self.client
        good = [self.license(f"good{i}") for i in range(5)]
        with self.assertRaises(GLib.Error) as cm:
            c.store_licenses_sync(good[:2] + [self.license("")] + good[2:], None)
        self.assertLbError(cm, LicenseBackup.Error.INVALID_ARGS)
        self.assertEqual(len(c.list_licenses_sync(None)), 0)
        self.assertTrue(c.store_licenses_sync(good, None))
        self.assertEqual(c.props.license_count, 5)

    def test_many_and_model(self):
        c = self.client
        n = 10500  # two StoreLicenses calls, two ListLicenses pages
        self.assertTrue(c.store_licenses_sync(
            [self.license(f"k{i:06d}", b"x") for i in range(n)], None))
        self.assertEqual(c.props.license_count, n)
        listed = c.list_licenses_sync(None)
        self.assertEqual([lic.props.key_id for lic in listed], [f"k{i:06d}" for i in range(n)])
        self.assertIsNone(listed[0].props.data)
        model = c.list_licenses_model_sync(None)
        self.assertEqual(model.get_item_type(), LicenseBackup.License.__gtype__)
        self.assertEqual(model.get_n_items(), n)
        self.assertEqual(model.get_item(n - 1).props.key_id, f"k{n - 1:06d}")


class TestBackup(LibTestCase):
    def test_backup_restore(self):
        c = self.client
        c.store_license_sync(self.license("one"), None)
        nb = self.license("no-right")
        nb.props.can_backup = False
        c.store_license_sync(nb, None)

        result = c.backup_sync(LicenseBackup.BackupFlags.NONE, self.dir, None)
        self.assertEqual(result.props.licenses, 1)
        self.assertEqual(result.props.restricted, 1)
        self.assertEqual(result.get_restricted_key_ids(), ["no-right"])
        self.assertEqual(Gio.File.new_for_uri(result.props.location).get_parent().get_path(),
                         self.dir)
        status, message = c.get_status_sync(None)
        self.assertEqual(status, LicenseBackup.Status.END)
        self.assertEqual(message, "")
        self.assertEqual(c.props.status, LicenseBackup.Status.END)
        self.assertGreater(c.props.last_backup_time, 0)
        self.assertEqual(c.props.operation, "")

        with self.assertRaises(GLib.Error) as cm:
            c.backup_sync(LicenseBackup.BackupFlags.NONE, self.dir, None)
        self.assertLbError(cm, LicenseBackup.Error.BACKUP_EXISTS)
        result = c.backup_sync(LicenseBackup.BackupFlags.OVERWRITE, self.dir, None)
        self.assertEqual(result.props.licenses, 1)

        self.assertTrue(c.set_backup_path_sync(self.dir, None))
        self.assertEqual(c.props.backup_path, self.dir)
        self.assertTrue(c.set_restore_path_sync(self.dir, None))
        self.assertEqual(c.props.restore_path, self.dir)

        # Another computer: the user's consent first.
        self.machine_a.stop()
        self.start_machine("b", "0123456789abcdef0123456789abcdef")
        c = LicenseBackup.Client.new_for_connection_sync(self.connection, None)
        with self.assertRaises(GLib.Error) as cm:
            c.restore_sync(LicenseBackup.RestoreFlags.NONE, self.dir, None, None)
        self.assertLbError(cm, LicenseBackup.Error.NEEDS_INDIVIDUALIZATION)
        result = c.restore_sync(LicenseBackup.RestoreFlags.INDIVIDUALIZE, self.dir, None, None)
        self.assertEqual(result.props.licenses, 1)
        self.assertEqual(c.props.license_count, 1)
        self.assertEqual(c.get_license_sync("one", None).props.restore_count, 1)


    def test_generations_and_automatic(self):
        c = self.client
        self.assertEqual(c.props.automatic_backup, LicenseBackup.AutomaticBackup.WEEKLY)
        self.assertEqual(c.props.keep_backups, 3)
        self.assertEqual(c.props.next_backup_time, 0)
        c.store_license_sync(self.license("old"), None)
        c.backup_sync(LicenseBackup.BackupFlags.NONE, self.dir, None)
        c.store_license_sync(self.license("new"), None)
        c.backup_sync(LicenseBackup.BackupFlags.OVERWRITE, self.dir, None)
        backups = c.list_backups_sync(self.dir, None)
        self.assertEqual(len(backups), 2)
        names = [b.props.name for b in backups]
        self.assertEqual(names, sorted(names, reverse=True))
        self.assertTrue(all(n.startswith("licenses-") and n.endswith(".lbk") for n in names))
        self.assertGreater(backups[0].props.time, 0)
        # Attributes, not tuples; each backup was read back whole when
        # it was written.
        self.assertIsInstance(backups[0], LicenseBackup.Backup)
        self.assertGreater(backups[0].get_bytes(), 0)
        self.assertGreater(backups[0].props.verified, 0)
        self.assertEqual(backups[0].props.verify_error, "")
        c.delete_license_sync("old", None)
        c.delete_license_sync("new", None)
        result = c.restore_sync(LicenseBackup.RestoreFlags.NONE, self.dir, names[1], None)
        self.assertEqual(result.props.licenses, 1)
        self.assertTrue(result.props.location.endswith("/" + names[1]))
        self.assertEqual(c.get_license_sync("old", None).props.key_id, "old")

        self.assertTrue(c.set_automatic_backup_sync(LicenseBackup.AutomaticBackup.DAILY, None))
        self.assertEqual(c.props.automatic_backup, LicenseBackup.AutomaticBackup.DAILY)
        self.assertTrue(c.set_backup_path_sync(self.dir, None))
        self.assertGreater(c.props.next_backup_time, 0)
        # Due: nothing was backed up into the backup folder yet.
        result = c.backup_sync(LicenseBackup.BackupFlags.AUTOMATIC, None, None)
        self.assertEqual(result.props.licenses, 1)
        with self.assertRaises(GLib.Error) as cm:
            c.backup_sync(LicenseBackup.BackupFlags.AUTOMATIC, None, None)
        self.assertLbError(cm, LicenseBackup.Error.NOT_DUE)


class TestSlowBackup(LibTestCase):
    delay_us = 5000  # 400 licenses: 2 s

    def store_slow(self):
        self.client.store_licenses_sync(
            [self.license(f"slow{i:04d}", b"x") for i in range(400)], None)

    def test_progress_notify(self):
        self.store_slow()
        values = []
        self.client.connect("notify::progress",
                            lambda client, pspec: values.append(client.props.progress))
        result = self.client.backup_sync(LicenseBackup.BackupFlags.NONE, self.dir, None)
        self.assertEqual(result.props.licenses, 400)
        self.assertGreaterEqual(len(values), 4, values)
        self.assertEqual(values, sorted(values))
        self.assertEqual(self.client.props.progress, 1.0)
        self.assertEqual(self.client.props.licenses_done, 400)
        self.assertEqual(self.client.props.licenses_total, 400)

    def test_cancel(self):
        self.store_slow()
        cancellable = Gio.Cancellable()
        seen = []

        def on_progress(client, pspec):
            seen.append((client.props.operation, client.props.cancelable))
            if client.props.progress > 0:
                cancellable.cancel()

        self.client.connect("notify::progress", on_progress)
        start = time.monotonic()
        with self.assertRaises(GLib.Error) as cm:
            self.client.backup_sync(LicenseBackup.BackupFlags.NONE, self.dir, cancellable)
        self.assertLess(time.monotonic() - start, 1.8)
        self.assertLbError(cm, LicenseBackup.Error.CANCELLED)
        self.assertIn(("backup", True), seen)
        status, message = self.client.get_status_sync(None)
        self.assertEqual(status, LicenseBackup.Status.ERROR)
        self.assertNotEqual(message, "")
        self.assertEqual(self.client.props.status, LicenseBackup.Status.ERROR)
        self.assertEqual(os.listdir(self.dir), [])

    def test_cancel_from_thread(self):
        self.store_slow()
        cancellable = Gio.Cancellable()
        timer = threading.Timer(0.3, cancellable.cancel)
        timer.start()
        with self.assertRaises(GLib.Error) as cm:
            self.client.backup_sync(LicenseBackup.BackupFlags.NONE, self.dir, cancellable)
        timer.join()
        self.assertLbError(cm, LicenseBackup.Error.CANCELLED)


class TestAsync(LibTestCase):
    def test_encryption_without_keyring(self):
        # No Secret Service on this bus: the calls fail as the service
        # says, the passphrase going over as a GLib.Bytes.
        c = self.client
        self.assertFalse(c.props.encrypt_backups)
        self.assertFalse(c.get_encrypt_backups())
        passphrase = GLib.Bytes.new(b"correct horse battery staple")
        with self.assertRaises(GLib.Error) as cm:
            c.set_encryption_sync(True, passphrase, False, None)
        self.assertLbError(cm, LicenseBackup.Error.KEYRING_UNAVAILABLE)
        with self.assertRaises(GLib.Error) as cm:
            c.check_passphrase_sync(passphrase, None)
        self.assertLbError(cm, LicenseBackup.Error.KEYRING_UNAVAILABLE)
        self.assertFalse(c.props.encrypt_backups)
        # A plain backup: not encrypted, and a passphrase given is ignored.
        c.store_license_sync(self.license("plain"), None)
        c.backup_sync(LicenseBackup.BackupFlags.NONE, self.dir, None)
        backups = c.list_backups_sync(self.dir, None)
        self.assertFalse(backups[0].props.encrypted)
        self.assertEqual(backups[0].props.passphrase_era, 0)
        result = c.verify_with_passphrase_sync(LicenseBackup.VerifyFlags.NONE, self.dir, None,
                                               passphrase, None)
        self.assertEqual(result.props.licenses, 1)
        result = c.restore_with_passphrase_sync(LicenseBackup.RestoreFlags.NONE, self.dir, None,
                                                None, None)
        self.assertEqual(result.props.status, LicenseBackup.Status.END)

    def test_verify(self):
        c = self.client
        c.store_license_sync(self.license("one"), None)
        c.store_license_sync(self.license("two"), None)
        backup = c.backup_sync(LicenseBackup.BackupFlags.NONE, self.dir, None)

        # A whole backup: what it holds, as attributes.
        result = c.verify_sync(LicenseBackup.VerifyFlags.NONE, self.dir, None, None)
        self.assertEqual(result.props.licenses, 2)
        self.assertEqual(result.props.app_count, 1)
        self.assertEqual(result.props.bytes, backup.props.bytes)
        self.assertIsNotNone(result.props.host)
        self.assertGreater(result.props.created, 0)
        self.assertIsNone(result.props.damaged_entry)
        self.assertEqual(c.props.last_operation, "verify")
        ok, kind = c.get_last_operation_type()
        self.assertTrue(ok)
        self.assertEqual(kind, LicenseBackup.OperationType.VERIFY)

        # A damaged one: BackupCorrupt, and the failed result names the entry.
        path = Gio.File.new_for_uri(backup.props.location).get_path()
        with open(path, "rb") as f:
            data = bytearray(f.read())
        data[data.rindex(b"LBL1") + 40] ^= 0x01
        with open(path, "wb") as f:
            f.write(data)
        with self.assertRaises(GLib.Error) as cm:
            c.verify_sync(LicenseBackup.VerifyFlags.NONE, self.dir, None, None)
        self.assertLbError(cm, LicenseBackup.Error.BACKUP_CORRUPT)

        loop = GLib.MainLoop()
        out = {}

        def done(source, res):
            out["result"] = res
            loop.quit()

        c.verify_async(LicenseBackup.VerifyFlags.NONE, self.dir, None, None, done)
        GLib.timeout_add_seconds(30, loop.quit)
        loop.run()
        with self.assertRaises(GLib.Error) as cm:
            c.verify_finish(out["result"])
        self.assertLbError(cm, LicenseBackup.Error.BACKUP_CORRUPT)
        failed = c.get_failed_result(out["result"])
        self.assertTrue(failed.props.damaged_entry.startswith("licenses/"))
        self.assertTrue(failed.props.damaged_entry.endswith("two"))

    def run_async(self, start, finish):
        """Runs start(callback) in a main loop; returns finish(result)."""
        loop = GLib.MainLoop()
        out = {}

        def done(source, result):
            try:
                out["value"] = finish(result)
            except GLib.Error as e:
                out["error"] = e
            loop.quit()

        start(done)
        GLib.timeout_add_seconds(30, loop.quit)
        loop.run()
        if "error" in out:
            raise out["error"]
        return out["value"]

    def test_async(self):
        c = self.client
        lic = self.license("async")
        self.assertTrue(self.run_async(lambda cb: c.store_license_async(lic, None, cb),
                                       c.store_license_finish))
        self.assertEqual(c.props.license_count, 1)
        got = self.run_async(lambda cb: c.get_license_async("async", None, cb),
                             c.get_license_finish)
        self.assertEqual(got.props.data.get_data(), b"license data")
        with self.assertRaises(GLib.Error) as cm:
            self.run_async(lambda cb: c.get_license_async("missing", None, cb),
                           c.get_license_finish)
        self.assertLbError(cm, LicenseBackup.Error.NOT_FOUND)
        listed = self.run_async(lambda cb: c.list_licenses_async(None, cb),
                                c.list_licenses_finish)
        self.assertEqual([lic.props.key_id for lic in listed], ["async"])
        result = self.run_async(
            lambda cb: c.backup_async(LicenseBackup.BackupFlags.NONE, self.dir, None, cb),
            c.backup_finish)
        self.assertEqual(result.props.licenses, 1)
        client = self.run_async(
            lambda cb: LicenseBackup.Client.new_for_connection_async(self.connection, None, cb),
            LicenseBackup.Client.new_for_connection_finish)
        self.assertEqual(client.props.license_count, 1)


class TestSessionBus(LibTestCase):
    def test_new_sync(self):
        # The session bus of DBUS_SESSION_BUS_ADDRESS (set in setUp).
        client = LicenseBackup.Client.new_sync(None)
        # GIO's session bus ends the process when it closes; this one
        # closes in tearDown.
        client.get_connection().set_exit_on_close(False)
        client.store_license_sync(self.license("session"), None)
        self.assertEqual(self.client.get_license_sync("session", None).props.key_id, "session")


if __name__ == "__main__":
    unittest.main(verbosity=2)
