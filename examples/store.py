#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# store.py: an app keeps its content licenses in the license backup
# service, then lists them. Needs PyGObject (python3-gi) and the
# LicenseBackup-1 typelib.
import sys

import gi

gi.require_version("LicenseBackup", "1")
from gi.repository import GLib, LicenseBackup  # noqa: E402

# Connects to the service on the session bus (D-Bus starts it).
client = LicenseBackup.Client.new_sync(None)

# A license is opaque data under a key id; the attributes tell the service
# how it may be backed up and restored.
license = LicenseBackup.License.new("movie-42-key", GLib.Bytes.new(b"opaque license bytes"))
license.props.content_id = "movie-42"
license.props.issuer = "Example Studio"
license.props.restore_limit = 3  # restorable on 3 other computers
try:
    client.store_license_sync(license, None)
except GLib.Error as e:
    # Errors are in the LicenseBackup.Error domain, e.g. INVALID_ARGS.
    if e.matches(LicenseBackup.Error.quark(), LicenseBackup.Error.NO_SPACE):
        print("The license store is full", file=sys.stderr)
    sys.exit(f"Cannot store the license: {e.message}")

# The licenses this app stored (without their data).
for lic in client.list_licenses_sync(None):
    print(f"{lic.props.key_id} (content {lic.props.content_id or '-'})")
n = client.props.license_count
print(f"{n} {'license' if n == 1 else 'licenses'} in the store")
