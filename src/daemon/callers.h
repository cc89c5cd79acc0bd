/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* callers: the app behind each D-Bus caller, looked up once per unique name.
 *
 * Asks the bus for the caller's credentials (GetConnectionCredentials: its
 * ProcessFD when the bus offers one, else pidfd_open of its ProcessID) and
 * reads the process with app-info. The answer is cached until the name
 * leaves the bus (NameOwnerChanged). A caller that cannot be identified is
 * LB_ERROR_PERMISSION_DENIED, never the host. Lookups are thread-safe; the
 * first one for a name waits for one round trip to the bus.
 */
#pragma once

#include <gio/gio.h>

#include "app-info.h"

G_BEGIN_DECLS

#define LB_TYPE_CALLERS (lb_callers_get_type ())
G_DECLARE_FINAL_TYPE (LbCallers, lb_callers, LB, CALLERS, GObject)

LbCallers *lb_callers_new (GDBusConnection *connection);

LbAppInfo *lb_callers_lookup_sync (LbCallers *self,
                                   const char *sender,
                                   GCancellable *cancellable,
                                   GError **error);
/* Completes at once when @sender is cached; else looks it up in a thread. */
void lb_callers_lookup_async (LbCallers *self,
                              const char *sender,
                              GCancellable *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer user_data);
LbAppInfo *lb_callers_lookup_finish (LbCallers *self, GAsyncResult *result, GError **error);

/* PermissionDenied unless @info is a host program: what only the user's
 * own tools may do. @what says what was refused, e.g. "start a backup". */
gboolean lb_callers_require_host (const LbAppInfo *info, const char *what, GError **error);

G_END_DECLS
