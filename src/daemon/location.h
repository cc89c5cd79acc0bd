/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* location: where backups go, as the user gives it.
 *
 * A location is an absolute path or a URI that GIO can open (file://, and
 * sftp://, smb://... through GVfs). This module validates the string and
 * turns it into a GFile for the directory.
 */
#pragma once

#include <gio/gio.h>

#include "operation.h"

G_BEGIN_DECLS

/* PATH_MAX: longer locations cannot be opened anyway. */
#define LB_LOCATION_MAX 4096

/* "" is valid (unset) only when @allow_empty; longer than LB_LOCATION_MAX
 * is not. */
gboolean lb_location_validate (const char *location, gboolean allow_empty, GError **error);

/* A GFile for a validated, non-empty location. */
GFile *lb_location_to_file (const char *location);

/* For a location that needs mounting (GVfs), mounts its enclosing volume
 * without interaction when it is not mounted yet, with @op's status
 * CONNECTING meanwhile (for any non-local location) and BEGIN after.
 * *@mounted says whether this call mounted it, so that
 * lb_location_disconnect() unmounts it again (status DISCONNECTING).
 * Call from a worker thread: it runs its own main context. */
gboolean lb_location_connect (GFile *dir, LbOperation *op, gboolean *mounted, GError **error);
void lb_location_disconnect (GFile *dir, LbOperation *op, gboolean mounted);

/* Checks that @dir is an existing directory (InvalidArgs otherwise). */
gboolean lb_location_check_dir (GFile *dir, GCancellable *cancellable, GError **error);

G_END_DECLS
