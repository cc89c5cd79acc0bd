#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""make-examples.py OUTPUT EXAMPLE...: the reference's "Examples" page.

Each example file of examples/ goes into the page whole, as it is, so
that the page cannot drift from the code CI builds and runs.
"""
import os
import sys

LANGS = {".c": "c", ".py": "python", ".js": "js", ".vala": "vala"}
INTRO = {
    "store.c": "An app stores a license and lists its licenses, from C:",
    "store.py": "The same from Python:",
    "backup.c": "The user's side: a backup into a folder with its progress, "
    "and the licenses it left out, from C:",
    "backup.py": "The same from Python:",
    "backups.js": "From JavaScript (gjs), with async calls as promises: a backup, "
    "then the apps with licenses and the backups in the folder, whose "
    "[class@LicenseBackup.App] and [class@LicenseBackup.Backup] read as attributes:",
    "backups.vala": "The same from Vala, through the binding (namespace `Lb`):",
}

out, examples = sys.argv[1], sys.argv[2:]
with open(out, "w", encoding="utf-8") as f:
    f.write("Title: Examples\n\n# Examples\n\n")
    f.write(
        "The examples of the source tree's `examples/` folder, whole. CI builds "
        "each against an installed copy of the library and runs it against the "
        "installed service.\n\n"
    )
    for path in examples:
        name = os.path.basename(path)
        with open(path, encoding="utf-8") as src:
            code = src.read().rstrip("\n")
        f.write(f"## {name}\n\n{INTRO.get(name, '')}\n\n```{LANGS[os.path.splitext(name)[1]]}\n{code}\n```\n\n")
