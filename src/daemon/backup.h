/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* backup: one backup, run in a worker thread.
 *
 * Writes every eligible license of a store snapshot (can-backup, not
 * expired) into a new generation (generations.h) in the operation's
 * location (operation.h): to a temporary file in the same folder, synced,
 * then renamed to its own name (a folder holding backups needs
 * LB_BACKUP_FLAGS_OVERWRITE) and the folder synced; only then are the
 * oldest backups beyond the operation's keep removed. A crash or cancel
 * leaves every older backup byte for byte, plus the complete new one once
 * renamed. Stale temporary files of an earlier crash are removed first. The progress, the licenses
 * left out ("restricted") and the result (LbBackupResult) go to the operation.
 */
#pragma once

#include "operation.h"
#include "store.h"

G_BEGIN_DECLS

/* A backup being written; the second prefix is that of 0.2.0 and earlier,
 * whose leftovers a backup removes too. */
#define LB_BACKUP_TMP_PREFIX ".licenses.tmp-"
#define LB_BACKUP_TMP_PREFIX_OLD ".licenses.lbk.tmp-"

/* The backup kind's entry (operation.h). */
extern const LbOperationKindInfo lb_backup_kind;

/* Runs @op, a LB_OPERATION_BACKUP, in the calling thread: checks the
 * folder (once; a folder holding backups needs LB_BACKUP_FLAGS_OVERWRITE)
 * and writes the backup. */
gboolean lb_backup_run (LbStore *store, LbOperation *op, GError **error);

/* The BackupExists error (NS_E_DRM_BACKUP_EXISTS), also for refusals made
 * before a backup starts. */
void lb_backup_set_exists_error (GError **error);

G_END_DECLS
