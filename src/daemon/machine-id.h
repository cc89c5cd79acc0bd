/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* machine-id: the service's app-specific machine identity.
 *
 * The raw machine id (/etc/machine-id or --machine-id-file) is read, never
 * stored or sent. What the service uses and writes into backups is
 * HMAC-SHA256(key = machine id, data = fixed application id), truncated to
 * 128 bits and shaped as a v4 UUID, as sd_id128_get_machine_app_specific()
 * does: stable per machine, useless for correlating across applications.
 *
 * Backups also record the computer's name as the user knows it: the pretty
 * hostname of machine-info(5) (PRETTY_HOSTNAME in /etc/machine-info, the
 * file hostnamectl and GNOME Settings write), else the hostname.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Returns 32 lowercase hex digits, or NULL with @error set when the file is
 * missing or does not hold a 128-bit id in hex. */
char *lb_machine_app_id_from_file (const char *path, GError **error);

/* The derivation itself, for a machine id of 32 hex digits. */
char *lb_machine_app_id (const char *machine_id_hex, GError **error);

/* The pretty hostname from @machine_info_file (a machine-info(5) file,
 * usually /etc/machine-info), else the hostname; at most 255 bytes of
 * UTF-8 without control characters. */
char *lb_machine_pretty_hostname (const char *machine_info_file);

G_END_DECLS
