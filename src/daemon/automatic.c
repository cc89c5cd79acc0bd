/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "automatic.h"

#include <glib/gi18n.h>
#include <license-backup/lb-error.h>
#include <license-backup/lb-types.h>

/* The timer's checks come at randomized times (RandomizedDelaySec=1h): a
 * period counts as passed an hour early, so that a daily backup made at
 * 00:50 is not skipped by the next day's check at 00:10. */
#define DUE_EARLY 3600
/* "Backups are failing" at most once a day. */
#define NOTICE_INTERVAL (24 * 3600)

gint64
lb_automatic_period (int automatic)
{
  switch (automatic)
    {
    case LB_AUTOMATIC_BACKUP_DAILY:
      return 24 * 3600;
    case LB_AUTOMATIC_BACKUP_WEEKLY:
      return 7 * 24 * 3600;
    case LB_AUTOMATIC_BACKUP_MONTHLY:
      return 30 * 24 * 3600;
    case LB_AUTOMATIC_BACKUP_NEVER:
    default:
      return 0;
    }
}

static gboolean
has_folder (const LbState *state)
{
  return state->backup_path != NULL && state->backup_path[0] != '\0';
}

gint64
lb_automatic_next_backup_time (const LbState *state)
{
  gint64 period = lb_automatic_period (state->automatic);

  if (period == 0 || !has_folder (state))
    return 0;
  return state->folder_backup_time != 0 ? state->folder_backup_time + period
                                        : state->automatic_since;
}

/* A time for messages, in the service's local time. */
static char *
format_time (gint64 t)
{
  g_autoptr (GDateTime) dt = g_date_time_new_from_unix_local (t);

  return dt != NULL ? g_date_time_format (dt, "%c") : g_strdup ("?");
}

gboolean
lb_automatic_check_due (const LbState *state,
                        gint64 now,
                        guint64 changes,
                        guint64 count,
                        gboolean *up_to_date,
                        GError **error)
{
  gint64 period = lb_automatic_period (state->automatic);

  *up_to_date = FALSE;
  if (period == 0)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_NOT_DUE,
                   _ ("Automatic backups are off; turn them on in Settings (Media Licenses) or "
                      "with “license-backup config automatic weekly”"));
      return FALSE;
    }
  if (!has_folder (state))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_NOT_DUE,
                   _ ("No backup is due: no backup folder is set; choose one in Settings (Media "
                      "Licenses) or with “license-backup config backup-path FOLDER”"));
      return FALSE;
    }
  *up_to_date = TRUE;
  if (state->folder_backup_time == 0)
    {
      /* The count too: a store of an earlier version starts at 0. */
      if (changes > 0 || count > 0)
        return TRUE;
      g_set_error (error, LB_ERROR, LB_ERROR_NOT_DUE,
                   _ ("No backup is due: there are no licenses to back up yet"));
      return FALSE;
    }
  if (now < state->folder_backup_time + period - DUE_EARLY)
    {
      g_autofree char *last = format_time (state->folder_backup_time);
      g_autofree char *next = format_time (state->folder_backup_time + period);

      g_set_error (error, LB_ERROR, LB_ERROR_NOT_DUE,
                   _ ("No backup is due: the last one was made on %s; the next is due on %s"), last,
                   next);
      return FALSE;
    }
  if (changes == state->folder_backup_changes)
    {
      g_autofree char *last = format_time (state->folder_backup_time);

      g_set_error (error, LB_ERROR, LB_ERROR_NOT_DUE,
                   _ ("No backup is due: the licenses have not changed since the last backup, "
                      "made on %s"),
                   last);
      return FALSE;
    }
  return TRUE;
}

gboolean
lb_automatic_check_verify_due (const LbState *state, gint64 now)
{
  gint64 period = lb_automatic_period (state->automatic);
  gint64 whole = MAX (state->folder_verified_time, state->folder_backup_time);

  return period != 0 && has_folder (state) && state->folder_backup_time != 0
         && now >= whole + period - DUE_EARLY;
}

void
lb_automatic_set_folders (LbState *state,
                          const char *backup_path,
                          const char *restore_path,
                          gint64 now)
{
  backup_path = backup_path != NULL ? backup_path : "";
  restore_path = restore_path != NULL ? restore_path : "";
  /* A new folder starts afresh: its first backup is due at once, and its
   * failures count from now. */
  if (!g_str_equal (state->backup_path, backup_path))
    {
      state->automatic_since = now;
      state->folder_backup_time = 0;
      state->folder_backup_changes = 0;
      state->folder_verified_time = 0;
    }
  g_free (state->backup_path);
  g_free (state->restore_path);
  state->backup_path = g_strdup (backup_path);
  state->restore_path = g_strdup (restore_path);
}

gboolean
lb_automatic_set_period (LbState *state, int automatic, gint64 now)
{
  if (automatic == state->automatic)
    return FALSE;
  /* Failures count from when the user turned them on (or changed them). */
  if (state->automatic == LB_AUTOMATIC_BACKUP_NEVER)
    state->automatic_since = now;
  state->automatic = automatic;
  return TRUE;
}

void
lb_automatic_succeeded (LbState *state, gint64 now)
{
  state->automatic_ok_time = now;
  g_free (state->automatic_error);
  state->automatic_error = g_strdup ("");
}

void
lb_automatic_verified (LbState *state, gint64 now)
{
  state->folder_verified_time = now;
  lb_automatic_succeeded (state, now);
}

void
lb_automatic_backed_up (LbState *state,
                        gint64 now,
                        gboolean to_folder,
                        gboolean automatic,
                        gint64 time,
                        guint64 changes)
{
  state->last_backup_time = now;
  /* The snapshot's time and counter: what the backup holds. */
  if (to_folder)
    {
      state->folder_backup_time = time;
      state->folder_backup_changes = changes;
      /* It was read back whole before the backup succeeded. */
      state->folder_verified_time = now;
    }
  if (automatic)
    lb_automatic_succeeded (state, now);
}

void
lb_automatic_failed (LbState *state, const char *message)
{
  g_free (state->automatic_error);
  state->automatic_error = g_strdup (message);
}

gboolean
lb_automatic_should_notify (LbState *state, gint64 now, guint *days)
{
  gint64 period = lb_automatic_period (state->automatic);
  gint64 since
      = MAX (state->folder_backup_time, MAX (state->automatic_ok_time, state->automatic_since));

  if (period == 0 || !has_folder (state) || now - since < 2 * period)
    return FALSE;
  if (state->notice_time != 0 && now >= state->notice_time
      && now - state->notice_time < NOTICE_INTERVAL)
    return FALSE;
  state->notice_time = now;
  *days = (guint) ((now - since) / (24 * 3600));
  g_message ("Automatic backups have not succeeded since %" G_GINT64_FORMAT ": telling the user",
             since);
  return TRUE;
}
