/* restore: one restore, run in a worker thread.
 *
 * Reads licenses.lbk in @dir through the verifying archive reader and adds
 * the licenses missing from the store inside one store transaction that is
 * committed only after the whole backup verified: any fault, a cancel or a
 * crash before the commit leaves the store exactly as it was. A backup of
 * another machine needs @individualize (else NeedsIndividualization); its
 * licenses are then bound to this machine with restore-count + 1, and those
 * past their restore-limit are left out (reported, and their support URL
 * returned).
 */
#pragma once

#include "progress.h"
#include "store.h"

G_BEGIN_DECLS

typedef struct
{
  guint licenses; /* added */
  guint skipped;  /* restricted: restore limit or expired */
  guint already_present;
  guint individualized;
  guint64 bytes;     /* size of the backup file */
  char *location;    /* URI of the backup file */
  char *support_url; /* of the first license refused for its restore limit */
  char *support_app; /* its app, "" for host programs */
  gboolean limit_reached;
  GHashTable *apps; /* app id ("" for host) -> licenses restored; NULL if none */
} LbRestoreResult;

gboolean lb_restore_run (LbStore *store,
                         GFile *dir,
                         gboolean individualize,
                         LbProgress *progress,
                         LbRestoreResult *result,
                         GError **error);
void lb_restore_result_clear (LbRestoreResult *result);

G_END_DECLS
