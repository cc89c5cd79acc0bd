/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* state: the service's small persisted settings.
 *
 * BackupPath, RestorePath, LastBackupTime, the automatic backups' settings
 * and what they remember (the last backup into the backup folder and the
 * store's change counter then, the last automatic check that went well,
 * the last failure and the last notice), whether backups are encrypted
 * and the passphrase's era (a counter of the passphrases set, never the
 * passphrase, which lives in the keyring: passphrase.h), kept in a key file next to the
 * store and written atomically and durably on every change.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  char *backup_path;
  char *restore_path;
  gint64 last_backup_time;

  int automatic;                 /* LbAutomaticBackup */
  guint keep;                    /* backups a folder keeps */
  gint64 folder_backup_time;     /* the last successful backup into backup_path, 0 if none */
  gint64 folder_verified_time;   /* when its newest backup was last found whole, 0 if never */
  guint64 folder_backup_changes; /* the change counter that backup holds */
  gint64 automatic_since;        /* when automatic backups or the folder were last set */
  gint64 automatic_ok_time;      /* the last automatic check that backed up or needed not */
  gint64 notice_time;            /* the last "backups are failing" notification */
  char *automatic_error;         /* why the last automatic backup failed, or "" */

  gboolean encrypt;     /* EncryptBackups */
  guint passphrase_era; /* bumped by each passphrase set; 0 before the first */
} LbState;

/* Loads @path; a missing file gives the defaults, with automatic_since
 * @now. */
gboolean lb_state_load (LbState *state, const char *path, gint64 now, GError **error);
gboolean lb_state_save (const LbState *state, const char *path, GError **error);
void lb_state_clear (LbState *state);

G_END_DECLS
