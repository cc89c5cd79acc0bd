/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* machine-id: the service's app-specific machine identity.
 *
 * The raw machine id (/etc/machine-id or --machine-id-file) is read, never
 * stored or sent. What the service uses and writes into backups is
 * HMAC-SHA256(key = machine id, data = fixed application id), truncated to
 * 128 bits and shaped as a v4 UUID, as sd_id128_get_machine_app_specific()
 * does: stable per machine, useless for correlating across applications.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Returns 32 lowercase hex digits, or NULL with @error set when the file is
 * missing or does not hold a 128-bit id in hex. */
char *lb_machine_app_id_from_file (const char *path, GError **error);

/* The derivation itself, for a machine id of 32 hex digits. */
char *lb_machine_app_id (const char *machine_id_hex, GError **error);

G_END_DECLS
