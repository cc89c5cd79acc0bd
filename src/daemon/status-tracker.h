/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* status-tracker: what GetStatus answers, readable from any thread.
 *
 * The manager sets it on the main context. lb_status_tracker_attach() installs a
 * connection filter that answers GetStatus in GDBus's worker thread, the way
 * GDBus answers Peer.Ping, so that a status check never waits behind the
 * main loop (a burst of progress signals, a slow disk under the state file).
 * Calls with arguments, or to another path, are left to the skeleton.
 */
#pragma once

#include <gio/gio.h>

#include "idle.h"

G_BEGIN_DECLS

#define LB_TYPE_STATUS_TRACKER (lb_status_tracker_get_type ())
G_DECLARE_FINAL_TYPE (LbStatusTracker, lb_status_tracker, LB, STATUS_TRACKER, GObject)

LbStatusTracker *lb_status_tracker_new (guint status);
/* @message: "" or NULL when there is no error. */
void lb_status_tracker_set (LbStatusTracker *self, guint status, const char *message);
guint lb_status_tracker_get (LbStatusTracker *self, char **message);

/* Answers GetStatus on @connection for @object_path until detached; every
 * call answered restarts @idle's timeout. */
void lb_status_tracker_attach (LbStatusTracker *self,
                               GDBusConnection *connection,
                               const char *object_path,
                               const char *interface_name,
                               LbIdle *idle);
void lb_status_tracker_detach (LbStatusTracker *self);

G_END_DECLS
