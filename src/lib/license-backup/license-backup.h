/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* license-backup: the client library of the per-user license backup
 * service (org.freedesktop.LicenseBackup1). Apps store, read and delete
 * their licenses; the user's tools back them up and restore them. */
#pragma once

#define LICENSE_BACKUP_INSIDE
#include <license-backup/lb-app.h>
#include <license-backup/lb-backup.h>
#include <license-backup/lb-client.h>
#include <license-backup/lb-enum-types.h>
#include <license-backup/lb-error.h>
#include <license-backup/lb-license.h>
#include <license-backup/lb-operation-result.h>
#include <license-backup/lb-types.h>
#undef LICENSE_BACKUP_INSIDE
