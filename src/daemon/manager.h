/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* manager: the org.freedesktop.LicenseBackup1 interface, orchestrating.
 *
 * A subclass of the generated skeleton. It holds no policy of its own: it
 * identifies callers (the host-only gate passes each handler's parsed
 * arguments on, and Properties.Set waits for the caller's identity without
 * blocking the main loop), validates and persists the settings (state.h),
 * asks the automatic-backup policy (automatic.h) and acts on its answers,
 * shows the notice (notice.h), keeps the detail-signal subscribers
 * (subscribers.h), lists backups (ListBackups, in a thread) and sets the
 * backups' encryption (SetEncryption, CheckPassphrase: the keyring,
 * passphrase.h, asked in a thread; EncryptBackups and the passphrase era
 * in state.h, handed to each operation).
 *
 * It runs at most one operation (operation.h) at a time, of any kind:
 * the handler gives the kind's entry (backup.h, restore.h); the worker
 * checks the folder in its thread and the caller hears the id once the
 * check passed, or the check's error. The manager samples the progress on
 * the main context and publishes it as throttled properties and the
 * kind's signals (at most one update per 125 ms, flushed at start and
 * end). Signals that name apps or licenses (RestrictedLicense, from the
 * operation's "restricted" in the worker thread; AppCounts; SupportUrl) go
 * only to the operation's starter and to Subscribe()d host callers. The
 * operation holds the daemon awake (idle.h) until Completed. Emits
 * "store-changed" (guint count) when an operation added licenses.
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
