/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "lb-panel-format.h"

#include <license-backup/license-backup.h>

#include <glib/gi18n-lib.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

char *
lb_panel_format_count (guint64 n)
{
  char buf[64];

  /* The ' flag groups the digits as LC_NUMERIC says (glibc, POSIX). */
  snprintf (buf, sizeof buf, "%'" PRIu64, (uint64_t) n);
  return g_strdup (buf);
}

char *
lb_panel_format_progress (guint64 done, guint64 total)
{
  g_autofree char *d = NULL;
  g_autofree char *t = NULL;

  if (total == 0)
    return g_strdup (_ ("Preparing…"));
  d = lb_panel_format_count (MIN (done, total));
  t = lb_panel_format_count (total);
  /* TRANSLATORS: progress of a backup or restore, e.g. "1,234 of 20,000
   * licenses"; the numbers are already formatted. */
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s of %s license", "%s of %s licenses",
                                       (gulong) MIN (total, G_MAXULONG)),
                          d, t);
}

char *
lb_panel_format_last_backup (gint64 last_backup, gint64 now)
{
  gint64 ago;

  if (last_backup <= 0)
    /* TRANSLATORS: the time of the last backup, when there has been none */
    return g_strdup (_ ("Never"));
  ago = MAX (now - last_backup, 0);
  if (ago < 60)
    return g_strdup (_ ("Last backed up just now"));
  if (ago < 3600)
    {
      gulong m = (gulong) (ago / 60);
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Last backed up %lu minute ago",
                                           "Last backed up %lu minutes ago", m),
                              m);
    }
  if (ago < 24 * 3600)
    {
      gulong h = (gulong) (ago / 3600);
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Last backed up %lu hour ago",
                                           "Last backed up %lu hours ago", h),
                              h);
    }
  if (ago < 2 * 24 * 3600)
    return g_strdup (_ ("Last backed up yesterday"));
  if (ago < 60 * 24 * 3600)
    {
      gulong d = (gulong) (ago / (24 * 3600));
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Last backed up %lu day ago",
                                           "Last backed up %lu days ago", d),
                              d);
    }
  {
    g_autoptr (GDateTime) utc = g_date_time_new_from_unix_utc (last_backup);
    g_autoptr (GDateTime) local = utc != NULL ? g_date_time_to_local (utc) : NULL;
    g_autofree char *date = local != NULL ? g_date_time_format (local, "%x") : NULL;

    /* TRANSLATORS: %s is a date in the locale's format */
    return g_strdup_printf (_ ("Last backed up on %s"), date != NULL ? date : "?");
  }
}

char *
lb_panel_format_outcome (LbOperationType kind, guint licenses, guint skipped)
{
  gboolean restore = kind == LB_OPERATION_TYPE_RESTORE;
  g_autofree char *n = lb_panel_format_count (licenses);
  g_autofree char *s = lb_panel_format_count (skipped);
  g_autofree char *done = NULL;
  g_autofree char *left_out = NULL;

  /* TRANSLATORS: %s is a number, already formatted ("20,000") */
  done = g_strdup_printf (restore ? g_dngettext (GETTEXT_PACKAGE, "%s license restored",
                                                 "%s licenses restored", licenses)
                                  : g_dngettext (GETTEXT_PACKAGE, "%s license backed up",
                                                 "%s licenses backed up", licenses),
                          n);
  if (skipped == 0)
    return g_steal_pointer (&done);
  /* TRANSLATORS: %s is a number, already formatted ("12") */
  left_out = g_strdup_printf (restore ? g_dngettext (GETTEXT_PACKAGE, "%s could not be restored",
                                                     "%s could not be restored", skipped)
                                      : g_dngettext (GETTEXT_PACKAGE, "%s could not be backed up",
                                                     "%s could not be backed up", skipped),
                              s);
  /* TRANSLATORS: joins "20,000 licenses backed up" and "12 could not be
   * backed up" into one line */
  return g_strdup_printf (_ ("%s; %s"), done, left_out);
}

char *
lb_panel_format_reason (const char *reason)
{
  if (g_strcmp0 (reason, "no-backup-right") == 0)
    return g_strdup (_ ("Its issuer does not allow backing it up"));
  if (g_strcmp0 (reason, "expired") == 0)
    return g_strdup (_ ("It has expired"));
  if (g_strcmp0 (reason, "restore-limit") == 0)
    return g_strdup (_ ("It has been restored as often as its issuer allows"));
  return g_strdup (reason != NULL ? reason : "");
}

char *
lb_panel_format_licenses (guint64 n)
{
  g_autofree char *s = lb_panel_format_count (n);

  /* TRANSLATORS: how many licenses an app holds, e.g. "12 licenses"; the
   * number is already formatted. */
  return g_strdup_printf (
      g_dngettext (GETTEXT_PACKAGE, "%s license", "%s licenses", (gulong) MIN (n, G_MAXULONG)), s);
}

char *
lb_panel_format_app_reason (const char *app_name, const char *why)
{
  /* TRANSLATORS: a license left out of a backup or restore: the app it
   * belongs to, then why, e.g. "Music: Its issuer does not allow backing it
   * up" */
  return g_strdup_printf (_ ("%s: %s"), app_name, why);
}

/* The bus could not start the service (its D-Bus errors). */
static gboolean
is_spawn_error (const GError *error)
{
  if (error->domain != G_DBUS_ERROR)
    return FALSE;
  switch (error->code)
    {
    case G_DBUS_ERROR_SERVICE_UNKNOWN:
    case G_DBUS_ERROR_NAME_HAS_NO_OWNER:
    case G_DBUS_ERROR_SPAWN_EXEC_FAILED:
    case G_DBUS_ERROR_SPAWN_FORK_FAILED:
    case G_DBUS_ERROR_SPAWN_CHILD_EXITED:
    case G_DBUS_ERROR_SPAWN_CHILD_SIGNALED:
    case G_DBUS_ERROR_SPAWN_FAILED:
    case G_DBUS_ERROR_SPAWN_SETUP_FAILED:
    case G_DBUS_ERROR_SPAWN_CONFIG_INVALID:
    case G_DBUS_ERROR_SPAWN_SERVICE_INVALID:
    case G_DBUS_ERROR_SPAWN_SERVICE_NOT_FOUND:
    case G_DBUS_ERROR_SPAWN_PERMISSIONS_INVALID:
    case G_DBUS_ERROR_SPAWN_FILE_INVALID:
    case G_DBUS_ERROR_SPAWN_NO_MEMORY:
      return TRUE;
    default:
      return FALSE;
    }
}

static const char *
lb_error_text (gboolean restore, LbError code)
{
  switch (code)
    {
    case LB_ERROR_BUSY:
      return _ ("A backup or restore is already running; wait for it to finish");
    case LB_ERROR_BACKUP_EXISTS:
      return _ ("The backup location already holds a license backup");
    case LB_ERROR_BACKUP_CORRUPT:
      /* A backup that did not read back, or a check: the service's words
       * say which file and where it is damaged. */
      return restore ? _ ("The backup is damaged, so nothing was restored; make a new backup, or "
                          "restore from another copy")
                     : NULL;
    case LB_ERROR_NOT_SET:
      return restore ? _ ("Choose the folder to restore from first")
                     : _ ("Choose the folder to back up to first");
    case LB_ERROR_NOT_FOUND:
      return restore ? _ ("The restore location holds no license backup; choose the folder that "
                          "holds it")
                     : NULL;
    case LB_ERROR_NEEDS_INDIVIDUALIZATION:
      return _ ("These licenses were backed up on another computer; restore them again and "
                "agree to bind them to this computer");
    case LB_ERROR_CANCELLED:
      return restore ? _ ("The restore was cancelled; no license was restored")
                     : _ ("The backup was cancelled; the previous backup, if any, is unchanged");
    case LB_ERROR_NO_SPACE:
      return _ ("There is not enough free space; free some space and try again");
    case LB_ERROR_PERMISSION_DENIED:
      return restore ? _ ("The restore location cannot be read; check its permissions or "
                          "choose another folder")
                     : _ ("The backup location cannot be written to; check its permissions or "
                          "choose another folder");
    default:
      return NULL;
    }
}

char *
lb_panel_format_error (LbOperationType kind, const GError *error)
{
  gboolean restore = kind == LB_OPERATION_TYPE_RESTORE;
  const char *text = NULL;

  if (error == NULL)
    ;
  else if (is_spawn_error (error))
    text = _ ("The license backup service is not running and cannot be started");
  else if (g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_NO_REPLY)
           || g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_DISCONNECTED)
           || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED))
    text = _ ("The license backup service stopped answering; try again");
  else if (g_error_matches (error, LB_ERROR, LB_ERROR_PERMISSION_DENIED) && error->message != NULL
           && error->message[0] != '\0')
    ; /* the service's words name the folder and, for a network folder,
       * how to log in to it without being asked */
  else if (error->domain == LB_ERROR)
    text = lb_error_text (restore, (LbError) error->code);
  if (text == NULL && error != NULL && error->message != NULL && error->message[0] != '\0')
    return g_strdup (error->message);
  if (text == NULL)
    text = restore ? _ ("The restore failed") : _ ("The backup failed");
  return g_strdup (text);
}

char *
lb_panel_find_url (const char *text)
{
  g_autoptr (GRegex) regex = NULL;
  g_autoptr (GMatchInfo) match = NULL;
  char *url;
  gsize len;

  if (text == NULL)
    return NULL;
  regex = g_regex_new ("https?://[^\\s<>\"“”]+", G_REGEX_CASELESS, 0, NULL);
  if (!g_regex_match (regex, text, 0, &match))
    return NULL;
  url = g_match_info_fetch (match, 0);
  /* A sentence may end right after the URL. */
  len = strlen (url);
  while (len > 0 && strchr (".,;:!?)]'", url[len - 1]) != NULL)
    url[--len] = '\0';
  return url;
}

char *
lb_panel_format_next_backup (gint64 next, gint64 now)
{
  gint64 ahead = next - now;
  guint n;

  if (ahead <= 0)
    return g_strdup (_ ("Next backup due now"));
  if (ahead < 3600)
    return g_strdup (_ ("Next backup in less than an hour"));
  /* To the nearest hour, so that a day less the seconds since a backup
   * is "1 day", not "23 hours". */
  if ((ahead + 1800) / 3600 < 24)
    {
      n = (guint) ((ahead + 1800) / 3600);
      return g_strdup_printf (
          g_dngettext (GETTEXT_PACKAGE, "Next backup in %u hour", "Next backup in %u hours", n), n);
    }
  /* To the nearest day: six days and twenty hours is "7 days". */
  n = (guint) ((ahead + 12 * 3600) / (24 * 3600));
  return g_strdup_printf (
      g_dngettext (GETTEXT_PACKAGE, "Next backup in %u day", "Next backup in %u days", n), n);
}

char *
lb_panel_format_generation (gint64 time, guint64 bytes, const char *host, gboolean newest)
{
  g_autoptr (GDateTime) dt = g_date_time_new_from_unix_local (time);
  g_autofree char *when = dt != NULL ? g_date_time_format (dt, "%c") : g_strdup ("?");
  g_autofree char *size = g_format_size (bytes);

  if (host != NULL && host[0] != '\0')
    {
      if (newest)
        /* TRANSLATORS: a backup in a list: its date, its size, the computer that made it */
        return g_strdup_printf (_ ("%s, %s, from %s (newest)"), when, size, host);
      /* TRANSLATORS: a backup in a list: its date, its size, the computer that made it */
      return g_strdup_printf (_ ("%s, %s, from %s"), when, size, host);
    }
  if (newest)
    /* TRANSLATORS: a backup in a list: its date, its size */
    return g_strdup_printf (_ ("%s, %s (newest)"), when, size);
  /* TRANSLATORS: a backup in a list: its date, its size */
  return g_strdup_printf (_ ("%s, %s"), when, size);
}

/* @time (unix seconds) as the page shows a backup's date; NULL for 0. */
static char *
format_date (gint64 time)
{
  g_autoptr (GDateTime) dt = time > 0 ? g_date_time_new_from_unix_local (time) : NULL;

  return dt != NULL ? g_date_time_format (dt, "%c") : NULL;
}

char *
lb_panel_format_verified (gint64 created, guint64 licenses)
{
  g_autofree char *when = format_date (created);
  g_autofree char *n = lb_panel_format_count (licenses);
  gulong plural = (gulong) MIN (licenses, G_MAXULONG);

  if (when != NULL)
    /* TRANSLATORS: the date the backup was made, then a number ("40") */
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "The backup of %s is whole: %s license",
                                         "The backup of %s is whole: %s licenses", plural),
                            when, n);
  /* TRANSLATORS: %s is a number ("40") */
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "The backup is whole: %s license",
                                       "The backup is whole: %s licenses", plural),
                          n);
}

char *
lb_panel_format_damaged (gint64 created, const char *entry)
{
  g_autofree char *when = format_date (created);

  if (when != NULL && entry != NULL && entry[0] != '\0')
    /* TRANSLATORS: the date the backup was made, then the entry of it that is damaged */
    return g_strdup_printf (_ ("The backup of %s is damaged: its entry %s does not match its "
                               "checksum or cannot be read. Back up now to make a new one."),
                            when, entry);
  if (entry != NULL && entry[0] != '\0')
    /* TRANSLATORS: %s is the entry of the backup that is damaged */
    return g_strdup_printf (_ ("The backup is damaged: its entry %s does not match its checksum "
                               "or cannot be read. Back up now to make a new one."),
                            entry);
  return g_strdup (_ ("The backup is damaged. Back up now to make a new one."));
}

char *
lb_panel_format_whole_generation (gint64 created)
{
  g_autofree char *when = format_date (created);

  if (when == NULL)
    return g_strdup (_ ("The newest backup is damaged, so nothing was restored. An older backup "
                        "in the same location is whole."));
  /* TRANSLATORS: %s is the date the older, whole backup was made */
  return g_strdup_printf (_ ("The newest backup is damaged, so nothing was restored. The backup "
                             "of %s in the same location is whole."),
                          when);
}

char *
lb_panel_format_restore_generation (gint64 created)
{
  g_autofree char *when = format_date (created);

  if (when == NULL)
    return g_strdup (_ ("Restore the Older Backup"));
  /* TRANSLATORS: a button; %s is the date the backup was made */
  return g_strdup_printf (_ ("Restore the Backup of %s"), when);
}
