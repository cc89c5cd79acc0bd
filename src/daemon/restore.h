/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* restore: one restore, run in a worker thread.
 *
 * Reads licenses.lbk in the operation's location (operation.h) through the
 * verifying archive reader and adds the licenses missing from the store
 * inside one store transaction that is committed only after the whole
 * backup verified: any fault, a cancel or a crash before the commit leaves
 * the store exactly as it was. A backup of another machine needs
 * LB_RESTORE_FLAGS_INDIVIDUALIZE (else NeedsIndividualization); its
 * licenses are then bound to this machine with restore-count + 1, and those
 * past their restore-limit are left out (reported, and their support URL
 * returned). The progress, the licenses left out ("restricted") and the
 * result (LbRestoreResult) go to the operation.
 */
#pragma once

#include "operation.h"
#include "store.h"

G_BEGIN_DECLS

/* The restore kind's entry (operation.h). */
extern const LbOperationKindInfo lb_restore_kind;

/* Runs @op, a LB_OPERATION_RESTORE, in the calling thread: checks the
 * folder and the backup file (once), then restores. */
gboolean lb_restore_run (LbStore *store, LbOperation *op, GError **error);

G_END_DECLS
