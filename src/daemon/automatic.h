/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* automatic: the automatic-backup policy.
 *
 * Pure decisions on the saved state (state.h) and a clock the caller
 * passes (the service's, lb_fault_now(), which tests move): when the next
 * backup is due, whether a `backup --automatic` request backs up or why
 * not, whether to tell the user that backups are failing, and how the
 * state records each outcome. No I/O, no bus, no main loop: the manager
 * asks, acts on the answer (starts the backup, shows the notice) and saves
 * the state.
 */
#pragma once

#include <glib.h>

#include "state.h"

G_BEGIN_DECLS

/* The period of an LbAutomaticBackup setting in seconds, 0 for never. A
 * month is 30 days, so that the period is the same every time. */
gint64 lb_automatic_period (int automatic);

/* NextBackupTime: from when a backup is due if the licenses changed, 0
 * when automatic backups are off or no backup folder is set. */
gint64 lb_automatic_next_backup_time (const LbState *state);

/* Whether an automatic backup is due at @now, for a store at change
 * counter @changes holding @count licenses. If not, NotDue saying why,
 * and *@up_to_date says whether the reason is that the backups are
 * current (as opposed to being off or having no folder). */
gboolean lb_automatic_check_due (const LbState *state,
                                 gint64 now,
                                 guint64 changes,
                                 guint64 count,
                                 gboolean *up_to_date,
                                 GError **error);

/* Whether, at @now, an automatic request that found no backup due because
 * the licenses did not change should check the backup folder's newest
 * backup instead: a backup was made into the folder, and that backup was
 * last found whole (read back when written, or checked since) a period
 * ago or more. So a drive that rots is noticed, whether or not anything
 * changes. */
gboolean lb_automatic_check_verify_due (const LbState *state, gint64 now);

/* The settings change: a new backup folder (or turning automatic backups
 * on) starts afresh from @now. set_period returns whether it changed. */
void lb_automatic_set_folders (LbState *state,
                               const char *backup_path,
                               const char *restore_path,
                               gint64 now);
gboolean lb_automatic_set_period (LbState *state, int automatic, gint64 now);

/* A backup ended well at @now: the backup of @time holding change counter
 * @changes, into the backup folder if @to_folder, automatic if
 * @automatic. */
void lb_automatic_backed_up (LbState *state,
                             gint64 now,
                             gboolean to_folder,
                             gboolean automatic,
                             gint64 time,
                             guint64 changes);
/* An automatic request that needed no backup (up to date) at @now. */
void lb_automatic_succeeded (LbState *state, gint64 now);
/* An automatic check found the folder's newest backup whole at @now. A
 * failed one is lb_automatic_failed(): it counts as a failed automatic
 * backup. */
void lb_automatic_verified (LbState *state, gint64 now);
/* An automatic backup failed, or could not start, with @message. */
void lb_automatic_failed (LbState *state, const char *message);

/* Whether to tell the user now that automatic backups have not succeeded
 * for twice their period: only with a backup folder set, at most once a
 * day (recorded in @state when TRUE). *@days: since the last success. */
gboolean lb_automatic_should_notify (LbState *state, gint64 now, guint *days);

G_END_DECLS
