#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# backup.py FOLDER: the user's side: back up every license to a folder,
# showing the progress, and say which licenses the backup left out.
import sys

import gi

gi.require_version("LicenseBackup", "1")
from gi.repository import GLib, LicenseBackup  # noqa: E402

if len(sys.argv) != 2:
    sys.exit(f"Usage: {sys.argv[0]} FOLDER")

client = LicenseBackup.Client.new_sync(None)
# The client's properties follow the service while the backup runs.
client.connect("notify::progress",
               lambda c, _: print(f"\r{100 * c.props.progress:3.0f}%", end="", flush=True))
try:
    # Runs the backup to its end; OVERWRITE adds a new backup beside those
    # already in the folder (without it: LicenseBackup.Error.BACKUP_EXISTS).
    result = client.backup_sync(LicenseBackup.BackupFlags.OVERWRITE, sys.argv[1], None)
except GLib.Error as e:
    sys.exit(f"\nThe backup failed: {e.message}")
n = result.props.licenses
print(f"\nBacked up {n} {'license' if n == 1 else 'licenses'} to {result.props.location}")
# Licenses without the right to be backed up, or expired, stay out.
for key_id in result.get_restricted_key_ids():
    print(f"Left out: {key_id}")
