/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-format: the words and numbers of the Media Licenses page
 * (lb-panel-format) and the names of apps (lb-panel-apps), in the C locale
 * and, when the system has it, in en_US.UTF-8 for digit grouping. Needs no
 * display. */
#include "config.h"

#include <glib/gstdio.h>
#include <locale.h>

#include <license-backup/license-backup.h>

#include "lb-panel-apps.h"
#include "lb-panel-format.h"

#define DAY (24 * 3600)

static void
assert_str (char *got, const char *expected)
{
  g_assert_cmpstr (got, ==, expected);
  g_free (got);
}

static void
test_count (void)
{
  assert_str (lb_panel_format_count (0), "0");
  assert_str (lb_panel_format_count (20000), "20000");
  if (setlocale (LC_NUMERIC, "en_US.UTF-8") == NULL && setlocale (LC_NUMERIC, "en_US.utf8") == NULL)
    {
      g_test_message ("no en_US.UTF-8 locale: digit grouping not checked");
      return;
    }
  assert_str (lb_panel_format_count (1234), "1,234");
  assert_str (lb_panel_format_count (20000), "20,000");
  assert_str (lb_panel_format_progress (1234, 20000), "1,234 of 20,000 licenses");
  setlocale (LC_NUMERIC, "C");
}

static void
test_progress (void)
{
  assert_str (lb_panel_format_progress (0, 0), "Preparing…");
  assert_str (lb_panel_format_progress (0, 1), "0 of 1 license");
  assert_str (lb_panel_format_progress (1234, 20000), "1234 of 20000 licenses");
  /* Never more done than in all. */
  assert_str (lb_panel_format_progress (7, 5), "5 of 5 licenses");
}

static void
test_last_backup (void)
{
  const gint64 now = 1700000000;

  assert_str (lb_panel_format_last_backup (0, now), "Never");
  assert_str (lb_panel_format_last_backup (-5, now), "Never");
  assert_str (lb_panel_format_last_backup (now, now), "Last backed up just now");
  assert_str (lb_panel_format_last_backup (now + 100, now), "Last backed up just now");
  assert_str (lb_panel_format_last_backup (now - 59, now), "Last backed up just now");
  assert_str (lb_panel_format_last_backup (now - 60, now), "Last backed up 1 minute ago");
  assert_str (lb_panel_format_last_backup (now - 5 * 60 - 30, now), "Last backed up 5 minutes ago");
  assert_str (lb_panel_format_last_backup (now - 3600, now), "Last backed up 1 hour ago");
  assert_str (lb_panel_format_last_backup (now - 23 * 3600, now), "Last backed up 23 hours ago");
  assert_str (lb_panel_format_last_backup (now - DAY - 5, now), "Last backed up yesterday");
  assert_str (lb_panel_format_last_backup (now - 3 * DAY - 7, now), "Last backed up 3 days ago");
  assert_str (lb_panel_format_last_backup (now - 59 * DAY, now), "Last backed up 59 days ago");
  {
    char *s = lb_panel_format_last_backup (now - 400 * DAY, now);
    g_assert_true (g_str_has_prefix (s, "Last backed up on "));
    g_free (s);
  }
}

static void
test_next_backup (void)
{
  const gint64 now = 1700000000;

  assert_str (lb_panel_format_next_backup (now - DAY, now), "Next backup due now");
  assert_str (lb_panel_format_next_backup (now, now), "Next backup due now");
  assert_str (lb_panel_format_next_backup (now + 59 * 60, now), "Next backup in less than an hour");
  assert_str (lb_panel_format_next_backup (now + 3600, now), "Next backup in 1 hour");
  assert_str (lb_panel_format_next_backup (now + 23 * 3600 + 59, now), "Next backup in 23 hours");
  assert_str (lb_panel_format_next_backup (now + DAY, now), "Next backup in 1 day");
  /* A daily backup made two seconds ago (the panel test under ASan). */
  assert_str (lb_panel_format_next_backup (now + DAY - 2, now), "Next backup in 1 day");
  assert_str (lb_panel_format_next_backup (now + 90 * 60, now), "Next backup in 2 hours");
  assert_str (lb_panel_format_next_backup (now + 3 * DAY, now), "Next backup in 3 days");
  /* To the nearest day. */
  assert_str (lb_panel_format_next_backup (now + 7 * DAY - 60, now), "Next backup in 7 days");
  assert_str (lb_panel_format_next_backup (now + 2 * DAY + 13 * 3600, now),
              "Next backup in 3 days");
}

static void
test_outcome (void)
{
  assert_str (lb_panel_format_outcome (LB_OPERATION_TYPE_BACKUP, 20000, 12),
              "20000 licenses backed up; 12 could not be backed up");
  assert_str (lb_panel_format_outcome (LB_OPERATION_TYPE_BACKUP, 1, 0), "1 license backed up");
  assert_str (lb_panel_format_outcome (LB_OPERATION_TYPE_BACKUP, 0, 1),
              "0 licenses backed up; 1 could not be backed up");
  assert_str (lb_panel_format_outcome (LB_OPERATION_TYPE_RESTORE, 3, 0), "3 licenses restored");
  assert_str (lb_panel_format_outcome (LB_OPERATION_TYPE_RESTORE, 1, 2),
              "1 license restored; 2 could not be restored");
}

static void
test_reason (void)
{
  assert_str (lb_panel_format_reason ("no-backup-right"),
              "Its issuer does not allow backing it up");
  assert_str (lb_panel_format_reason ("expired"), "It has expired");
  assert_str (lb_panel_format_reason ("restore-limit"),
              "It has been restored as often as its issuer allows");
  assert_str (lb_panel_format_reason ("something-new"), "something-new");
}

static void
test_licenses (void)
{
  assert_str (lb_panel_format_licenses (0), "0 licenses");
  assert_str (lb_panel_format_licenses (1), "1 license");
  assert_str (lb_panel_format_licenses (12), "12 licenses");
  assert_str (lb_panel_format_app_reason ("Music", "It has expired"), "Music: It has expired");
}

/* A .desktop file in the test's own $XDG_DATA_HOME/applications. */
static void
install_desktop_file (const char *desktop_id, const char *contents)
{
  g_autofree char *dir = g_build_filename (g_get_user_data_dir (), "applications", NULL);
  g_autofree char *path = g_build_filename (dir, desktop_id, NULL);
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

static void
assert_app (const char *app_id, const char *name, const char *icon_name)
{
  g_autoptr (GIcon) icon = NULL;
  g_autofree char *got = lb_panel_app_name (app_id, &icon);

  g_assert_cmpstr (got, ==, name);
  if (icon_name == NULL)
    g_assert_null (icon);
  else
    {
      g_assert_true (G_IS_THEMED_ICON (icon));
      g_assert_cmpstr (g_themed_icon_get_names (G_THEMED_ICON (icon))[0], ==, icon_name);
    }
}

static void
test_app_name (void)
{
  /* Before the first look-up, which reads the folder once. */
  install_desktop_file ("org.example.Music.desktop", "[Desktop Entry]\nType=Application\n"
                                                     "Name=Music Player\nIcon=audio-x-generic\n"
                                                     "Exec=true\n");
  install_desktop_file ("spotify_spotify.desktop",
                        "[Desktop Entry]\nType=Application\nName=Spotify\nExec=true\n");
  install_desktop_file ("org.example.Gone.desktop", "[Desktop Entry]\nType=Application\n"
                                                    "Name=Gone\nExec=true\nHidden=true\n");

  assert_app ("", "Other apps", NULL);
  assert_app ("org.example.Music", "Music Player", "audio-x-generic");
  /* Not installed: its id, and no icon (the page shows a generic one). */
  assert_app ("org.example.Video", "org.example.Video", NULL);
  assert_app ("org.example.Gone", "org.example.Gone", NULL);
  /* snap.NAME: the desktop file of the snap's main app. */
  assert_app ("snap.spotify", "Spotify", NULL);
  assert_app ("snap.vlc", "snap.vlc", NULL);
}

static char *
format_error (LbOperationType kind, GQuark domain, int code, const char *message)
{
  g_autoptr (GError) error = g_error_new_literal (domain, code, message);

  return lb_panel_format_error (kind, error);
}

static void
test_error (void)
{
  /* The error the page gets, and its words for it. */
  const struct
  {
    LbOperationType kind;
    GQuark domain;
    int code;
    const char *message;
    const char *expected;
  } cases[] = {
    { LB_OPERATION_TYPE_RESTORE, LB_ERROR, LB_ERROR_BACKUP_CORRUPT, "x",
      "The backup is damaged, so nothing was restored; make a new backup, or restore from "
      "another copy" },
    /* A backup that does not read back, or a check: the service's words
     * (a canned "nothing was restored" was wrong there). */
    { LB_OPERATION_TYPE_BACKUP, LB_ERROR, LB_ERROR_BACKUP_CORRUPT,
      "The backup just written does not read back whole",
      "The backup just written does not read back whole" },
    { LB_OPERATION_TYPE_VERIFY, LB_ERROR, LB_ERROR_BACKUP_CORRUPT, "damaged at licenses/a",
      "damaged at licenses/a" },
    { LB_OPERATION_TYPE_BACKUP, LB_ERROR, LB_ERROR_CANCELLED, "x",
      "The backup was cancelled; the previous backup, if any, is unchanged" },
    { LB_OPERATION_TYPE_RESTORE, LB_ERROR, LB_ERROR_CANCELLED, "x",
      "The restore was cancelled; no license was restored" },
    { LB_OPERATION_TYPE_BACKUP, LB_ERROR, LB_ERROR_NO_SPACE, "",
      "There is not enough free space; free some space and try again" },
    { LB_OPERATION_TYPE_RESTORE, LB_ERROR, LB_ERROR_NOT_FOUND, "x",
      "The restore location holds no license backup; choose the folder that holds it" },
    /* Nothing better than the service's own words */
    { LB_OPERATION_TYPE_BACKUP, LB_ERROR, LB_ERROR_FAILED, "disk on fire", "disk on fire" },
    { LB_OPERATION_TYPE_BACKUP, LB_ERROR, LB_ERROR_NOT_FOUND, "no such folder", "no such folder" },
    { LB_OPERATION_TYPE_BACKUP, LB_ERROR, LB_ERROR_FAILED, "", "The backup failed" },
    /* PermissionDenied: the service's words say which folder, and for a
     * network folder how to log in to it (issue 22); without words, the
     * page's. */
    { LB_OPERATION_TYPE_BACKUP, LB_ERROR, LB_ERROR_PERMISSION_DENIED,
      "Cannot log in to smb://nas/public without asking for a password: open the folder once "
      "in Files and let it remember the password; then try again",
      "Cannot log in to smb://nas/public without asking for a password: open the folder once "
      "in Files and let it remember the password; then try again" },
    { LB_OPERATION_TYPE_BACKUP, LB_ERROR, LB_ERROR_PERMISSION_DENIED, "",
      "The backup location cannot be written to; check its permissions or choose another "
      "folder" },
    { LB_OPERATION_TYPE_RESTORE, LB_ERROR, LB_ERROR_PERMISSION_DENIED, "",
      "The restore location cannot be read; check its permissions or choose another folder" },
  };
  /* The bus's errors, whatever their message */
  const struct
  {
    LbOperationType kind;
    GDBusError code;
    const char *expected;
  } bus_cases[] = {
    { LB_OPERATION_TYPE_BACKUP, G_DBUS_ERROR_SERVICE_UNKNOWN,
      "The license backup service is not running and cannot be started" },
    { LB_OPERATION_TYPE_RESTORE, G_DBUS_ERROR_SPAWN_CHILD_EXITED,
      "The license backup service is not running and cannot be started" },
    { LB_OPERATION_TYPE_RESTORE, G_DBUS_ERROR_NO_REPLY,
      "The license backup service stopped answering; try again" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    assert_str (format_error (cases[i].kind, cases[i].domain, cases[i].code, cases[i].message),
                cases[i].expected);
  assert_str (lb_panel_format_error (LB_OPERATION_TYPE_RESTORE, NULL), "The restore failed");
  for (guint i = 0; i < G_N_ELEMENTS (bus_cases); i++)
    assert_str (format_error (bus_cases[i].kind, G_DBUS_ERROR, bus_cases[i].code, "x"),
                bus_cases[i].expected);
  /* An error as the library hands it over: sent by the service. */
  {
    g_autoptr (GError) busy = g_error_new_literal (LB_ERROR, LB_ERROR_BUSY, "busy");
    g_autoptr (GError) remote
        = g_dbus_error_new_for_dbus_error (lb_error_get_dbus_name (busy), "busy");

    g_dbus_error_strip_remote_error (remote);
    g_assert_true (g_error_matches (remote, LB_ERROR, LB_ERROR_BUSY));
    assert_str (lb_panel_format_error (LB_OPERATION_TYPE_BACKUP, remote),
                "A backup or restore is already running; wait for it to finish");
  }
}

static void
test_find_url (void)
{
  assert_str (lb_panel_find_url ("Some licenses have been restored as often as their issuer "
                                 "allows; visit https://issuer.example/support?a=1 to restore "
                                 "them"),
              "https://issuer.example/support?a=1");
  assert_str (lb_panel_find_url ("See http://x.example/a."), "http://x.example/a");
  g_assert_null (lb_panel_find_url ("visit the issuer's website to restore them"));
  g_assert_null (lb_panel_find_url (NULL));
}

static void
drop_message (const char *log_domain,
              GLogLevelFlags log_level,
              const char *message,
              gpointer user_data)
{
}

/* A backup in the restore dialog: when it was made, its size, and the
 * computer that made it when its manifest names one. */
static void
test_generation (void)
{
  g_autofree char *with_host = lb_panel_format_generation (0, 2048, "Anna's Laptop", TRUE);
  g_autofree char *without = lb_panel_format_generation (0, 2048, "", FALSE);

  g_assert_true (g_str_has_suffix (with_host, ", 2.0\u00a0kB, from Anna's Laptop (newest)"));
  g_assert_true (g_str_has_suffix (without, ", 2.0\u00a0kB"));
}

int
main (int argc, char **argv)
{
  /* Isolated directories: the .desktop files of test_app_name() only. */
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  /* GLib's debug messages about them only with --verbose. */
  if (!g_test_verbose ())
    g_log_set_handler ("GLib", G_LOG_LEVEL_DEBUG, drop_message, NULL);
  g_test_add_func ("/panel-format/count", test_count);
  g_test_add_func ("/panel-format/progress", test_progress);
  g_test_add_func ("/panel-format/last-backup", test_last_backup);
  g_test_add_func ("/panel-format/next-backup", test_next_backup);
  g_test_add_func ("/panel-format/outcome", test_outcome);
  g_test_add_func ("/panel-format/reason", test_reason);
  g_test_add_func ("/panel-format/licenses", test_licenses);
  g_test_add_func ("/panel-format/app-name", test_app_name);
  g_test_add_func ("/panel-format/error", test_error);
  g_test_add_func ("/panel-format/find-url", test_find_url);
  g_test_add_func ("/panel-format/generation", test_generation);
  return g_test_run ();
}
