/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lb-license: one license as a GObject: its key id, its data and its
 * attributes. Apps set the writable ones; the service keeps the rest
 * (restore-count, stored, machine, app). */
#pragma once

#if !defined(LICENSE_BACKUP_INSIDE) && !defined(LICENSE_BACKUP_COMPILATION)
#error "Only <license-backup/license-backup.h> can be included directly."
#endif

#include <glib-object.h>

G_BEGIN_DECLS

#define LB_TYPE_LICENSE (lb_license_get_type ())
G_DECLARE_FINAL_TYPE (LbLicense, lb_license, LB, LICENSE, GObject)

LbLicense *lb_license_new (const char *key_id, GBytes *data);

const char *lb_license_get_key_id (LbLicense *self);
GBytes *lb_license_get_data (LbLicense *self);
void lb_license_set_data (LbLicense *self, GBytes *data);
const char *lb_license_get_content_id (LbLicense *self);
void lb_license_set_content_id (LbLicense *self, const char *content_id);
const char *lb_license_get_issuer (LbLicense *self);
void lb_license_set_issuer (LbLicense *self, const char *issuer);
gboolean lb_license_get_can_backup (LbLicense *self);
void lb_license_set_can_backup (LbLicense *self, gboolean can_backup);
guint lb_license_get_restore_limit (LbLicense *self);
void lb_license_set_restore_limit (LbLicense *self, guint restore_limit);
gint64 lb_license_get_expires (LbLicense *self);
void lb_license_set_expires (LbLicense *self, gint64 expires);
const char *lb_license_get_support_url (LbLicense *self);
void lb_license_set_support_url (LbLicense *self, const char *support_url);
guint lb_license_get_restore_count (LbLicense *self);
gint64 lb_license_get_stored (LbLicense *self);
const char *lb_license_get_machine (LbLicense *self);
const char *lb_license_get_app (LbLicense *self);

GVariant *lb_license_get_attributes (LbLicense *self);

G_END_DECLS
