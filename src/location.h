/* location: where backups go, as the user gives it.
 *
 * A location is an absolute path or a URI that GIO can open (file://, and
 * sftp://, smb://... through GVfs). This module validates the string and
 * turns it into a GFile for the directory.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* "" is valid (unset) only when @allow_empty. */
gboolean lb_location_validate (const char *location, gboolean allow_empty, GError **error);

/* A GFile for a validated, non-empty location. */
GFile *lb_location_to_file (const char *location);

G_END_DECLS
