#!/usr/bin/env -S gjs -m
// SPDX-License-Identifier: LGPL-2.1-or-later
// backups.js FOLDER: the library from GJS, with async calls as promises
// (Gio._promisify): an app stores a license, the user backs up to FOLDER,
// then lists the apps with licenses and the backups in FOLDER. LbApp and
// LbBackup are objects whose properties read as attributes.
import Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import LicenseBackup from 'gi://LicenseBackup?version=1';
import System from 'system';

// Each _async/_finish pair becomes a method that returns a promise.
Gio._promisify(LicenseBackup.Client, 'new_async', 'new_finish');
for (const call of ['store_license', 'backup', 'list_apps', 'list_backups']) {
    Gio._promisify(LicenseBackup.Client.prototype, `${call}_async`, `${call}_finish`);
}

async function main(folder) {
    // Connects to the service on the session bus (D-Bus starts it).
    const client = await LicenseBackup.Client.new_async(null);

    const license = LicenseBackup.License.new('movie-42-key',
        new GLib.Bytes(new TextEncoder().encode('opaque license bytes')));
    license.content_id = 'movie-42';
    await client.store_license_async(license, null);

    // OVERWRITE adds a backup to a folder that holds backups.
    const result = await client.backup_async(LicenseBackup.BackupFlags.OVERWRITE, folder, null);
    print(`Backed up ${result.licenses} ${result.licenses === 1 ? 'license' : 'licenses'} to ${result.location}`);

    // The apps with licenses; "" is the programs outside a sandbox.
    for (const app of await client.list_apps_async(null))
        print(`App ${app.id || '(other apps)'}: ${app.licenses} ${app.licenses === 1 ? 'license' : 'licenses'}, ${app.bytes} bytes`);

    // The backups in the folder, newest first.
    for (const backup of await client.list_backups_async(folder, null)) {
        const time = GLib.DateTime.new_from_unix_utc(backup.time).format_iso8601();
        const where = backup.this_machine ? 'this computer' : backup.host;
        print(`Backup ${backup.name}: ${time}, ${backup.bytes} bytes, from ${where}`);
    }
}

if (ARGV.length !== 1) {
    printerr('Usage: backups.js FOLDER');
    System.exit(2);
}
const loop = new GLib.MainLoop(null, false);
let status = 0;
main(ARGV[0]).catch(e => {
    // A GLib.Error of the LicenseBackup.Error domain, e.g. NOT_SET.
    printerr(`backups.js: ${e.message}`);
    status = 1;
}).finally(() => loop.quit());
loop.run();
System.exit(status);
