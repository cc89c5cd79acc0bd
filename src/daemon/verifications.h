/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* verifications: what the service knows of each backup's last check.
 *
 * For each backup (its folder's URI and its file name): when it was last
 * checked, by VerifyBackup or by the read-back after the backup that wrote
 * it, and how that went ("" whole, else why not). Kept in a key file next
 * to the store, written atomically and durably on each change; any thread
 * may read and record (a mutex guards it). A backup that did not read
 * back whole when it was written (the backup failed) is never the default
 * of a restore, until a later check finds it whole; one that was whole
 * and went bad later stays the default, so that the restore says so and
 * the user chooses another. Also the passphrase era of each encrypted
 * backup written here.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define LB_TYPE_VERIFICATIONS (lb_verifications_get_type ())
G_DECLARE_FINAL_TYPE (LbVerifications, lb_verifications, LB, VERIFICATIONS, GObject)

/* Loads @path (a missing or unreadable file: nothing known yet). */
LbVerifications *lb_verifications_new (const char *path);

/* Records a check of @dir's backup @name at @time: @error_message NULL
 * when it was whole; @at_write for the read-back of the backup that wrote
 * it. A failure to save is logged. */
void lb_verifications_record (LbVerifications *self,
                              GFile *dir,
                              const char *name,
                              gint64 time,
                              const char *error_message,
                              gboolean at_write);

/* Whether @dir's @name was ever checked; when it was and (newly allocated)
 * why it failed, "" when it was whole. */
gboolean lb_verifications_lookup (
    LbVerifications *self, GFile *dir, const char *name, gint64 *time, char **error_message);

/* An encrypted backup this service wrote: the passphrase era (state.h)
 * of its passphrase, so that a listing can say which backups need an
 * older passphrase. The file itself holds nothing of it. */
void lb_verifications_set_era (LbVerifications *self, GFile *dir, const char *name, guint era);
gboolean
lb_verifications_lookup_era (LbVerifications *self, GFile *dir, const char *name, guint *era);
/* The encrypted backups of @dir this service wrote (those with an era;
 * NULL-terminated). */
GStrv lb_verifications_written_encrypted (LbVerifications *self, GFile *dir);

/* The backups of @dir that did not read back whole when they were written
 * and were not found whole since (NULL-terminated). */
GStrv lb_verifications_failed (LbVerifications *self, GFile *dir);

G_END_DECLS
