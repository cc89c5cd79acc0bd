/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* service: the daemon's D-Bus face, wired together.
 *
 * Opens the license store and makes its two interfaces: the Store
 * (store-dbus.h) and the manager (manager.h: backup, restore, progress).
 * Exports both on /org/freedesktop/LicenseBackup1 with what they share:
 * the callers' identities (callers.h) and the GetStatus fast path
 * (status-tracker.h). Anything in flight holds the daemon awake (idle.h);
 * at exit, the service cancels a running operation and waits for the
 * holds to go.
 */
#pragma once

#include <gio/gio.h>

#include "idle.h"

G_BEGIN_DECLS

#define LB_BUS_NAME "org.freedesktop.LicenseBackup1"
#define LB_OBJECT_PATH "/org/freedesktop/LicenseBackup1"

#define LB_TYPE_SERVICE (lb_service_get_type ())
G_DECLARE_FINAL_TYPE (LbService, lb_service, LB, SERVICE, GObject)

/* @data_dir is the store's folder ($XDG_DATA_HOME/license-backup). */
LbService *
lb_service_new (const char *data_dir, const char *machine_app_id, LbIdle *idle, GError **error);
/* What each app may keep (store.h). */
void lb_service_set_app_limits (LbService *self, guint64 max_licenses, guint64 max_bytes);

/* Where backups read the computer's pretty hostname (machine-info(5)). */
void lb_service_set_machine_info_file (LbService *self, const char *path);
/* Exports the interfaces; callers on @connection are identified (callers.h)
 * and each sees only what its app may. */
gboolean lb_service_export (LbService *self, GDBusConnection *connection, GError **error);
/* Cancels a running operation and waits, at most @grace_seconds, until
 * it has ended and every accepted call has been answered. FALSE when
 * something still runs (a worker blocked where no cancel reaches): the
 * caller then leaves without tearing down what those threads use. */
gboolean lb_service_shutdown (LbService *self, guint grace_seconds);
void lb_service_unexport (LbService *self);

G_END_DECLS
