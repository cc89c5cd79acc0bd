/* backup: one backup, run in a worker thread.
 *
 * Writes every eligible license of a store snapshot (can-backup, not
 * expired) into licenses.lbk in @dir: to a temporary file in the same
 * folder, synced, then renamed over the old backup and the folder synced,
 * so that a crash or cancel leaves the old backup byte for byte or the
 * complete new one. Stale temporary files of an earlier crash are removed
 * first. Licenses left out are reported through the progress.
 */
#pragma once

#include "progress.h"
#include "store.h"

G_BEGIN_DECLS

#define LB_BACKUP_TMP_PREFIX ".licenses.lbk.tmp-"

typedef struct
{
  guint licenses;
  guint skipped;
  guint64 bytes;
  char *location;   /* URI of the backup file */
  GHashTable *apps; /* app id ("" for host) -> licenses backed up; NULL if none */
} LbBackupResult;

gboolean lb_backup_run (LbStore *store,
                        GFile *dir,
                        gboolean overwrite,
                        LbProgress *progress,
                        LbBackupResult *result,
                        GError **error);
void lb_backup_result_clear (LbBackupResult *result);

/* The BackupExists error (NS_E_DRM_BACKUP_EXISTS), also for refusals made
 * before a backup starts. */
void lb_backup_set_exists_error (GError **error);

G_END_DECLS
