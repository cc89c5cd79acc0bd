/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lb-panel-format: the words and numbers of the Media Licenses page.
 *
 * GLib and the library's error domain only (no GTK), so that they can be tested without a display.
 * Every function returns a newly allocated, translated string. */
#pragma once

#include <glib.h>
#include <license-backup/license-backup.h>

G_BEGIN_DECLS

/* @n with the locale's digit grouping: "20,000" in English, "20.000" in
 * German, "20000" in the C locale. */
char *lb_panel_format_count (guint64 n);

/* "1,234 of 20,000 licenses", or "Preparing…" while @total is 0. */
char *lb_panel_format_progress (guint64 done, guint64 total);

/* "Never" when @last_backup (unix seconds) is 0 or less, else "Last backed
 * up just now", "… 5 minutes ago", "… 3 hours ago", "… yesterday", "… 3
 * days ago" or, after two months, "Last backed up on <date>". @now is the
 * current unix time. */
char *lb_panel_format_last_backup (gint64 last_backup, gint64 now);

/* The end of an operation in one line, as the toast shows it:
 * "20,000 licenses backed up; 12 could not be backed up". */
char *lb_panel_format_outcome (LbOperationType kind, guint licenses, guint skipped);

/* The reason a RestrictedLicense signal gives, in words. */
char *lb_panel_format_reason (const char *reason);

/* How many licenses an app holds: "12 licenses", "1,234 licenses". */
char *lb_panel_format_licenses (guint64 n);

/* A license left out, with the app it belongs to: "Music: Its issuer does
 * not allow backing it up" (@app_name and @why already in words). */
char *lb_panel_format_app_reason (const char *app_name, const char *why);

/* What to tell the user for @error (an LB_ERROR, or one of D-Bus or GIO;
 * may be NULL): the page's own words, else the error's message (the
 * service's), else "The backup failed". */
char *lb_panel_format_error (LbOperationType kind, const GError *error);

/* When the next automatic backup is due (@next, unix seconds, not 0):
 * "Next backup in 3 days", "… in 5 hours", "… in less than an hour", or
 * "Next backup due now" when @next is not after @now. */
char *lb_panel_format_next_backup (gint64 next, gint64 now);

/* A backup a restore may choose, as the restore dialog lists it: the date
 * it was made, its size, the computer that made it (@host; NULL or "" when
 * unknown) and "(newest)" for the newest. */
char *lb_panel_format_generation (gint64 time, guint64 bytes, const char *host, gboolean newest);

/* A check of a backup that found it whole, as the toast says it: "The
 * backup of <date> is whole: 40 licenses" (@created: unix seconds, 0 when
 * unknown). */
char *lb_panel_format_verified (gint64 created, guint64 licenses);

/* A check that found the backup damaged, naming the first damaged entry
 * (@entry may be NULL). */
char *lb_panel_format_damaged (gint64 created, const char *entry);

/* A restore that found the newest backup damaged, when an older one made
 * at @created is whole. */
char *lb_panel_format_whole_generation (gint64 created);

/* The banner's button that restores that one: "Restore the Backup of
 * <date>". */
char *lb_panel_format_restore_generation (gint64 created);

/* The first http(s) URL in @text, or NULL. */
char *lb_panel_find_url (const char *text);

G_END_DECLS
