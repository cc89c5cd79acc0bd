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

G_END_DECLS
