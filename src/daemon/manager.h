/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* manager: the org.freedesktop.LicenseBackup1 interface.
 *
 * A subclass of the generated skeleton that validates and persists
 * BackupPath/RestorePath and runs at most one backup or restore at a time:
 * an LbOperation (operation.h) whose worker runs in a thread. The manager
 * samples the operation's progress on the main context and publishes it as
 * throttled properties and signals (at most one update per 125 ms, flushed
 * at start and end). Signals that name apps or licenses (RestrictedLicense,
 * from the operation's "restricted" in the worker thread; AppCounts;
 * SupportUrl) go only to the operation's starter and to Subscribe()d host
 * callers. The operation holds the daemon awake (idle.h) until Completed.
 * Emits "store-changed" (guint count) when a restore changed the store.
 */
#pragma once

#include "callers.h"
#include "idle.h"
#include "lb-dbus-generated.h"
#include "status-tracker.h"
#include "store.h"

G_BEGIN_DECLS

#define LB_TYPE_MANAGER (lb_manager_get_type ())
G_DECLARE_FINAL_TYPE (LbManager, lb_manager, LB, MANAGER, LbDBusManagerSkeleton)

LbManager *lb_manager_new (LbStore *store, LbIdle *idle, GError **error);

/* Who may do what: backups, restores, cancels, Subscribe and the folders
 * are the host's (callers.h). Set before the manager is exported. */
void lb_manager_set_callers (LbManager *self, LbCallers *callers);

/* What GetStatus answers; the service attaches it to the connection. */
LbStatusTracker *lb_manager_get_status_tracker (LbManager *self);

/* Cancels a running operation (daemon exit); it holds the idle timer
 * until it has ended and is published. */
void lb_manager_shutdown (LbManager *self);

G_END_DECLS
