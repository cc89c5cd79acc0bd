/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* error-convert: foreign errors into the service's LB_ERROR domain.
 *
 * GIO, GFile, errno and SQLite failures are converted before a reply, so
 * that every failure a client sees is an LB_ERROR (the library's domain,
 * <license-backup/lb-error.h>), with its message kept.
 */
#pragma once

#include <license-backup/lb-error.h>
#include <license-backup/lb-types.h>

G_BEGIN_DECLS

/* Converts a foreign error in place into LB_ERROR, keeping its message.
 * LB_ERROR and NULL are left alone. */
void lb_error_convert (GError **error);

/* An LB_ERROR code for an errno value (ENOSPC -> NO_SPACE, EACCES ->
 * PERMISSION_DENIED). */
LbError lb_error_code_from_errno (int errsv);

/* What went wrong, in a few words in the user's terms, for the end of a
 * sentence such as "Cannot open the folder X: REASON": said from the code
 * of a GIO or GLib file error ("it does not exist", "the disk is full"),
 * else the end of the message after GIO's own sentence ("Error when
 * getting information for file “X”: Not a directory" gives "Not a
 * directory"). An LB_ERROR's message, already the service's own words, is
 * returned whole. Never NULL. */
char *lb_error_reason (const GError *error);

G_END_DECLS
