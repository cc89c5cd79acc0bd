/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lb-private: what the library's modules share and apps do not see: the
 * conversions between the objects and the service's D-Bus values. */
#pragma once

#ifndef LICENSE_BACKUP_COMPILATION
#define LICENSE_BACKUP_COMPILATION
#endif
#include "license-backup/license-backup.h"

#include <string.h>

G_BEGIN_DECLS

LbLicense *lb_license_new_from_attributes (const char *key_id, GBytes *data, GVariant *attributes);
GVariant *lb_license_to_store_args (LbLicense *self);

LbOperationResult *lb_operation_result_new (guint64 operation);
void lb_operation_result_add_restricted (LbOperationResult *self,
                                         const char *key_id,
                                         const char *reason,
                                         const char *app);
void lb_operation_result_set_app_counts (LbOperationResult *self, GVariant *counts);
void lb_operation_result_set_support_url (LbOperationResult *self, const char *url);
void lb_operation_result_set_end (LbOperationResult *self,
                                  LbStatus status,
                                  const char *message,
                                  GVariant *summary);

LbApp *lb_app_new_from_details (const char *id, GVariant *details);
LbBackup *lb_backup_new_from_details (const char *name, GVariant *details);

G_END_DECLS
