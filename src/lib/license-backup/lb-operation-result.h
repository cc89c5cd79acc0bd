/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lb-operation-result: how a backup or restore ended: its counts, where,
 * the licenses left out (with their apps and reasons) and, for each app,
 * how many of its licenses it wrote or restored. */
#pragma once

#if !defined(LICENSE_BACKUP_INSIDE) && !defined(LICENSE_BACKUP_COMPILATION)
#error "Only <license-backup/license-backup.h> can be included directly."
#endif

#include <glib-object.h>

#include <license-backup/lb-types.h>

G_BEGIN_DECLS

#define LB_TYPE_OPERATION_RESULT (lb_operation_result_get_type ())
G_DECLARE_FINAL_TYPE (LbOperationResult, lb_operation_result, LB, OPERATION_RESULT, GObject)

guint64 lb_operation_result_get_operation (LbOperationResult *self);
LbStatus lb_operation_result_get_status (LbOperationResult *self);
const char *lb_operation_result_get_message (LbOperationResult *self);
guint64 lb_operation_result_get_licenses (LbOperationResult *self);
guint lb_operation_result_get_restricted (LbOperationResult *self);
guint64 lb_operation_result_get_bytes (LbOperationResult *self);
const char *lb_operation_result_get_location (LbOperationResult *self);
guint lb_operation_result_get_already_present (LbOperationResult *self);
guint lb_operation_result_get_individualized (LbOperationResult *self);
const char *lb_operation_result_get_support_url (LbOperationResult *self);
GStrv lb_operation_result_get_restricted_key_ids (LbOperationResult *self);
GStrv lb_operation_result_get_restricted_apps (LbOperationResult *self);
GStrv lb_operation_result_get_restricted_reasons (LbOperationResult *self);
GStrv lb_operation_result_get_apps (LbOperationResult *self);
guint lb_operation_result_get_app_licenses (LbOperationResult *self, const char *app);
GVariant *lb_operation_result_get_summary (LbOperationResult *self);
guint lb_operation_result_get_app_count (LbOperationResult *self);
gint64 lb_operation_result_get_created (LbOperationResult *self);
const char *lb_operation_result_get_host (LbOperationResult *self);
guint lb_operation_result_get_format_version (LbOperationResult *self);
const char *lb_operation_result_get_damaged_entry (LbOperationResult *self);
const char *lb_operation_result_get_whole_generation (LbOperationResult *self);
gint64 lb_operation_result_get_whole_generation_created (LbOperationResult *self);

G_END_DECLS
