/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lb-app: one app that holds licenses in the store, as
 * lb_client_list_apps_async() gives it: its id and what it holds.
 * Read-only; a newer service's other details are left out. */
#pragma once

#if !defined(LICENSE_BACKUP_INSIDE) && !defined(LICENSE_BACKUP_COMPILATION)
#error "Only <license-backup/license-backup.h> can be included directly."
#endif

#include <glib-object.h>

G_BEGIN_DECLS

#define LB_TYPE_APP (lb_app_get_type ())
G_DECLARE_FINAL_TYPE (LbApp, lb_app, LB, APP, GObject)

const char *lb_app_get_id (LbApp *self);
guint lb_app_get_licenses (LbApp *self);
guint64 lb_app_get_bytes (LbApp *self);

G_END_DECLS
