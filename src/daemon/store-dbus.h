/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* store-dbus: the org.freedesktop.LicenseBackup1.Store interface.
 *
 * A subclass of the generated skeleton, as LbManager is for the manager
 * interface. Each method call holds the daemon awake (idle.h) until it is
 * answered, identifies its caller (callers.h) and runs against the store in
 * a worker thread (GTask): an app sees and changes only its own licenses;
 * the calls that name other apps are the host's. Replies and LicenseCount
 * are made on the main context, LicenseCount before the reply, so that a
 * caller that reads it right after its call returns sees the new value.
 */
#pragma once

#include "callers.h"
#include "idle.h"
#include "lb-dbus-generated.h"
#include "store.h"

G_BEGIN_DECLS

#define LB_TYPE_STORE_DBUS (lb_store_dbus_get_type ())
G_DECLARE_FINAL_TYPE (LbStoreDBus, lb_store_dbus, LB, STORE_DBUS, LbDBusStoreSkeleton)

LbStoreDBus *lb_store_dbus_new (LbStore *store, LbIdle *idle);

/* Who is calling decides whose licenses a call sees. Set before the
 * interface is exported. */
void lb_store_dbus_set_callers (LbStoreDBus *self, LbCallers *callers);

G_END_DECLS
