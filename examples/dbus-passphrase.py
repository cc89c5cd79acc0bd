#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# dbus-passphrase.py METHOD [FOLDER]: the calls of
# org.freedesktop.LicenseBackup1 that take a passphrase, made on the bare
# D-Bus API. The service takes a passphrase only as a sealed memfd (type h,
# a file descriptor), never as a string in a message, which busctl and
# gdbus cannot send; the client library and license-backup do it for you.
# The passphrase is read from standard input. METHOD is one of
#   SetEncryption          turn encryption on with this passphrase
#   CheckPassphrase        whether it is the one the keyring holds
#   RestoreLicenses FOLDER restore the newest backup of FOLDER with it
#   VerifyBackup FOLDER    check the newest backup of FOLDER with it
# It prints the reply as gdbus does.
import fcntl
import os
import sys

import gi

gi.require_version("Gio", "2.0")
from gi.repository import Gio, GLib  # noqa: E402

NAME = "org.freedesktop.LicenseBackup1"
PATH = "/org/freedesktop/LicenseBackup1"


def sealed_memfd(data):
    """A memfd holding @data that nobody can change any more."""
    fd = os.memfd_create("passphrase", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    os.write(fd, data)
    fcntl.fcntl(fd, fcntl.F_ADD_SEALS,
                fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_WRITE | fcntl.F_SEAL_SEAL)
    return fd


def main(argv):
    if len(argv) < 2:
        print(__doc__ or "usage: dbus-passphrase.py METHOD [FOLDER]", file=sys.stderr)
        return 2
    method = argv[1]
    fds = Gio.UnixFDList.new()
    index = fds.append(sealed_memfd(sys.stdin.buffer.read()))
    passphrase = GLib.Variant("h", index)
    if method == "SetEncryption":
        params = GLib.Variant("(ba{sv})", (True, {"passphrase": passphrase}))
    elif method == "CheckPassphrase":
        params = GLib.Variant("(h)", (index,))
    elif method in ("RestoreLicenses", "VerifyBackup") and len(argv) == 3:
        params = GLib.Variant("(ua{sv})", (0, {"path": GLib.Variant("s", argv[2]),
                                               "passphrase": passphrase}))
    else:
        print(f"dbus-passphrase.py: unknown method or arguments: {' '.join(argv[1:])}",
              file=sys.stderr)
        return 2
    bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
    try:
        reply, _ = bus.call_with_unix_fd_list_sync(NAME, PATH, "org.freedesktop.LicenseBackup1",
                                                   method, params, None,
                                                   Gio.DBusCallFlags.NONE, -1, fds, None)
    except GLib.Error as e:
        print(f"Error: {e.message}", file=sys.stderr)
        return 1
    print(reply.print_(True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
