/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* state: the service's small persisted settings.
 *
 * BackupPath, RestorePath and LastBackupTime, kept in a key file next to
 * the store and written atomically and durably on every change.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  char *backup_path;
  char *restore_path;
  gint64 last_backup_time;
} LbState;

/* Loads @path; a missing file gives empty defaults. */
gboolean lb_state_load (LbState *state, const char *path, GError **error);
gboolean lb_state_save (const LbState *state, const char *path, GError **error);
void lb_state_clear (LbState *state);

G_END_DECLS
