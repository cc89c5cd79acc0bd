/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* backups.vala FOLDER: the library from Vala, through its binding
 * (license-backup-1.vapi; namespace Lb): an app stores a license, the user
 * backs up to FOLDER, then lists the apps with licenses and the backups in
 * FOLDER, with async calls. Build it with
 *   valac --pkg license-backup-1 backups.vala
 */
async int run (string folder) {
    try {
        /* Connects to the service on the session bus (D-Bus starts it). */
        var client = yield new Lb.Client (null);

        var license = new Lb.License ("movie-42-key", new Bytes ("opaque license bytes".data));
        license.content_id = "movie-42";
        yield client.store_license_async (license, null);

        /* OVERWRITE adds a backup to a folder that holds backups. */
        var result = yield client.backup_async (Lb.BackupFlags.OVERWRITE, folder, null);
        print ("Backed up %s %s to %s\n", result.licenses.to_string (),
               result.licenses == 1 ? "license" : "licenses", result.location);

        /* The apps with licenses; "" is the programs outside a sandbox. */
        foreach (var app in yield client.list_apps_async (null)) {
            print ("App %s: %u %s, %s bytes\n", app.id != "" ? app.id : "(other apps)",
                   app.licenses, app.licenses == 1 ? "license" : "licenses", app.bytes.to_string ());
        }

        /* The backups in the folder, newest first. */
        foreach (var backup in yield client.list_backups_async (folder, null)) {
            var time = new DateTime.from_unix_utc (backup.time).format_iso8601 ();
            print ("Backup %s: %s, %s bytes, from %s\n", backup.name, time,
                   backup.bytes.to_string (), backup.this_machine ? "this computer" : backup.host);
        }
        return 0;
    } catch (Error e) {
        /* An error of the Lb.Error domain, e.g. Lb.Error.NOT_SET. */
        printerr ("backups: %s\n", e.message);
        return 1;
    }
}

int main (string[] args) {
    if (args.length != 2) {
        printerr ("Usage: %s FOLDER\n", args[0]);
        return 2;
    }
    var loop = new MainLoop ();
    int status = 1;
    run.begin (args[1], (obj, res) => {
        status = run.end (res);
        loop.quit ();
    });
    loop.run ();
    return status;
}
