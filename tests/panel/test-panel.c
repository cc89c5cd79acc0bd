/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-panel: the Media Licenses page (LbLicensesPage) in a real window
 * under Xvfb, against the real license-backupd on a private bus.
 *
 * The program starts its own Xvfb (which picks a free display itself, so
 * that tests may run in parallel) and exits with 77 (skipped) when Xvfb is
 * not installed or no display can be opened. Run one test per process:
 *   test-panel -p /panel/load
 *
 * The page gets a connection of its own to the test bus; what other
 * clients do (store licenses, back up, restore), the test does through
 * liblicense-backup's LbClient on the bus's own connection. The waits below
 * keep GTK's main context going. */
#include "config.h"

#include <adwaita.h>
#include <errno.h>
#include <locale.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <license-backup/license-backup.h>

#include "lb-licenses-page-private.h"
#include "lb-test-sandbox.h"
#include "lb-test-util.h"
#include "store.h"

#define WAIT_MS 15000

/* An address where no bus is, for whatever looks for a session bus. */
#define NO_SESSION_BUS "unix:path=/nonexistent/lb-test-panel"

/* The display */

static GSubprocess *xvfb;

static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  if (getppid () != GPOINTER_TO_INT (user_data))
    raise (SIGKILL);
}

/* Starts Xvfb on a free display and points DISPLAY at it; FALSE (with the
 * reason in *@why) when that cannot be done. */
static gboolean
start_xvfb (char **why)
{
  g_autofree char *xvfb_path = g_find_program_in_path ("Xvfb");
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GString) number = g_string_new (NULL);
  int fds[2];
  char c;

  if (xvfb_path == NULL)
    {
      *why = g_strdup ("Xvfb is not installed (Debian package xvfb)");
      return FALSE;
    }
  if (pipe (fds) != 0)
    {
      *why = g_strdup_printf ("pipe: %s", g_strerror (errno));
      return FALSE;
    }
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE
                                        | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_subprocess_launcher_take_fd (launcher, fds[1], 3);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent,
                                         GINT_TO_POINTER ((int) getpid ()), NULL);
  xvfb = g_subprocess_launcher_spawn (launcher, &error, xvfb_path, "-displayfd", "3", "-screen",
                                      "0", "1024x768x24", "-nolisten", "tcp", "-noreset", NULL);
  g_clear_object (&launcher); /* closes our copy of the write end */
  if (xvfb == NULL)
    {
      close (fds[0]);
      *why = g_strdup_printf ("cannot start Xvfb: %s", error->message);
      return FALSE;
    }
  /* Xvfb writes the display number and a newline once it is ready. */
  while (read (fds[0], &c, 1) == 1 && c != '\n')
    g_string_append_c (number, c);
  close (fds[0]);
  if (number->len == 0)
    {
      *why = g_strdup ("Xvfb exited without giving a display number");
      return FALSE;
    }
  g_string_prepend_c (number, ':');
  g_setenv ("DISPLAY", number->str, TRUE);
  return TRUE;
}

static void
stop_xvfb (void)
{
  if (xvfb != NULL)
    {
      g_subprocess_send_signal (xvfb, SIGTERM);
      g_subprocess_wait (xvfb, NULL, NULL);
      g_clear_object (&xvfb);
    }
}

/* Waits that keep GTK going */

typedef struct
{
  LbTestCondition condition;
  gpointer user_data;
} Both;

static gboolean
pump_and_check (gpointer user_data)
{
  Both *both = user_data;

  while (g_main_context_iteration (NULL, FALSE))
    ;
  return both->condition (both->user_data);
}

static gboolean
wait_for (LbTestCondition condition, gpointer user_data, guint timeout_ms)
{
  Both both = { condition, user_data };

  return lb_test_wait_until (pump_and_check, &both, timeout_ms);
}

static gboolean
never (gpointer user_data)
{
  return FALSE;
}

static void
pump_for (guint ms)
{
  wait_for (never, NULL, ms);
}

/* The fixture: a bus, a machine, a window holding the page */

typedef struct
{
  LbTestBus *bus;
  LbTestMachine *machine;
  GDBusConnection *page_connection;
  GtkWidget *window;
  LbLicensesPage *page;
  char *dir;              /* a backup location */
  char *backup_file;      /* what backup_file() last returned */
  LbTestKeyring *keyring; /* for encrypted backups, started by the test */
} Fixture;

/* The system's MIME database, which gdk-pixbuf needs to load SVG icons:
 * each test's isolated XDG directories have none. */
static GList *mime_dirs;

static void
use_system_mime_database (void)
{
  g_autoptr (GPtrArray) dirs = g_ptr_array_new ();

  for (GList *l = mime_dirs; l != NULL; l = l->next)
    g_ptr_array_add (dirs, l->data);
  g_ptr_array_add (dirs, NULL);
  g_content_type_set_mime_dirs ((const char *const *) dirs->pdata);
}

/* Tests run, and tests that skipped: a run of one skipped test exits with
 * 77, so that meson reports the skip (g_test_run() returns 0). */
static guint tests_run;
static guint tests_skipped;

static void
skip (const char *why)
{
  g_test_skip (why);
  tests_skipped++;
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  tests_run++;
  use_system_mime_database ();
  f->bus = lb_test_bus_new (LB_TEST_BUS_DEFAULT);
  f->machine = lb_test_machine_new (f->bus, "a");
  f->dir = lb_test_make_tmp_dir ("backups");
}

static void
close_page (Fixture *f)
{
  if (f->window != NULL)
    {
      gtk_window_destroy (GTK_WINDOW (f->window));
      f->window = NULL;
      f->page = NULL;
      pump_for (50);
    }
  if (f->page_connection != NULL)
    g_dbus_connection_close_sync (f->page_connection, NULL, NULL);
  g_clear_object (&f->page_connection);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  close_page (f);
  lb_test_machine_free (f->machine);
  g_clear_pointer (&f->keyring, lb_test_keyring_free);
  lb_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->backup_file);
  lb_test_bus_free (f->bus);
}

/* The page in a window, on @connection (taken over). */
static void
show_page_on (Fixture *f, GDBusConnection *connection)
{
  GtkWidget *overlay;

  f->page_connection = connection;
  f->window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (f->window), 640, 720);
  overlay = adw_toast_overlay_new ();
  f->page = LB_LICENSES_PAGE (lb_licenses_page_new (f->page_connection));
  adw_toast_overlay_set_child (ADW_TOAST_OVERLAY (overlay), GTK_WIDGET (f->page));
  gtk_window_set_child (GTK_WINDOW (f->window), overlay);
  gtk_window_present (GTK_WINDOW (f->window));
}

/* The page on a connection of its own to the test bus. */
static void
show_page (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  GDBusConnection *connection = lb_test_bus_connect (f->bus, &error);

  g_assert_no_error (error);
  show_page_on (f, connection);
}

/* The folder's newest backup (backups are named after their time), or
 * dir/licenses.lbk when it holds none; @f owns it until the next call. */
static const char *
backup_file (Fixture *f)
{
  g_free (f->backup_file);
  f->backup_file = lb_test_newest_backup (f->dir);
  return f->backup_file;
}

static GtkWidget *
part (Fixture *f, LbLicensesPagePart p)
{
  return lb_licenses_page_get_part (f->page, p);
}

static const char *
subtitle_of (Fixture *f, LbLicensesPagePart p)
{
  return adw_action_row_get_subtitle (ADW_ACTION_ROW (part (f, p)));
}

static gboolean
page_ready (gpointer user_data)
{
  Fixture *f = user_data;
  return lb_licenses_page_get_state (f->page) == LB_LICENSES_PAGE_READY;
}

static gboolean
page_unavailable (gpointer user_data)
{
  Fixture *f = user_data;
  return lb_licenses_page_get_state (f->page) == LB_LICENSES_PAGE_UNAVAILABLE;
}

static gboolean
wait_ready (Fixture *f)
{
  gboolean ok = wait_for (page_ready, f, WAIT_MS);

  g_assert_true (ok);
  return ok;
}

typedef struct
{
  Fixture *f;
  LbLicensesPagePart part;
  const char *text;
} TextIs;

static gboolean
count_is (gpointer user_data)
{
  TextIs *t = user_data;
  return g_strcmp0 (gtk_label_get_text (GTK_LABEL (part (t->f, t->part))), t->text) == 0;
}

static gboolean
subtitle_is (gpointer user_data)
{
  TextIs *t = user_data;
  return g_strcmp0 (subtitle_of (t->f, t->part), t->text) == 0;
}

static void
assert_count_shows (Fixture *f, const char *text)
{
  TextIs t = { f, LB_LICENSES_PAGE_COUNT_LABEL, text };

  wait_for (count_is, &t, WAIT_MS);
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (part (f, LB_LICENSES_PAGE_COUNT_LABEL))), ==,
                   text);
}

static void
assert_subtitle_shows (Fixture *f, LbLicensesPagePart p, const char *text)
{
  TextIs t = { f, p, text };

  wait_for (subtitle_is, &t, WAIT_MS);
  g_assert_cmpstr (subtitle_of (f, p), ==, text);
}

/* Shown to the user: visible, and in a mapped window. */
static gboolean
showing (GtkWidget *widget)
{
  return gtk_widget_get_mapped (widget);
}

/* A click on a button the user can click. */
static void
click (Fixture *f, LbLicensesPagePart p)
{
  GtkWidget *button = part (f, p);

  g_assert_true (gtk_widget_is_sensitive (button));
  g_assert_true (showing (button));
  g_signal_emit_by_name (button, "clicked");
}

/* Enter or Space on a button: GtkButton shows itself pressed for a moment,
 * then emits "clicked". */
static void
activate (Fixture *f, LbLicensesPagePart p)
{
  GtkWidget *button = part (f, p);

  g_assert_true (gtk_widget_is_sensitive (button));
  g_assert_true (showing (button));
  g_assert_true (gtk_widget_activate (button));
}

static void
set_path (Fixture *f, const char *property, const char *path)
{
  g_autoptr (GError) error = NULL;

  lb_test_bus_set_property (f->bus, LB_TEST_MANAGER_IFACE, property, g_variant_new_string (path),
                            &error);
  g_assert_no_error (error);
}

/* Another client of the service on the test's own connection: the
 * command-line client, an app. */
static LbClient *
other_client (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  LbClient *client
      = lb_client_new_for_connection_sync (lb_test_bus_get_connection (f->bus), NULL, &error);

  g_assert_no_error (error);
  return client;
}

/* Stores @n licenses "<prefix>NNNNN" with 16-byte blobs, in one call. */
static void
store_licenses (Fixture *f, guint n, const char *prefix)
{
  g_autoptr (LbClient) client = other_client (f);
  g_autoptr (GPtrArray) licenses = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GError) error = NULL;

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *key = g_strdup_printf ("%s%05u", prefix, i);
      g_autoptr (GVariant) blob = g_variant_ref_sink (lb_test_blob_new (16, (guint8) i));
      g_autoptr (GBytes) data = g_variant_get_data_as_bytes (blob);

      g_ptr_array_add (licenses, lb_license_new (key, data));
    }
  lb_client_store_licenses_sync (client, licenses, NULL, &error);
  g_assert_no_error (error);
}

/* Starts the service with @n licenses "song-NNNNN", sets the location
 * @path_property (if not NULL) to the test's folder and shows the page;
 * FALSE (a failed test) if the page never became ready. */
static gboolean
start_and_show (Fixture *f, const LbTestDaemonOptions *options, guint n, const char *path_property)
{
  lb_test_machine_start_daemon (f->machine, options);
  if (n > 0)
    store_licenses (f, n, "song-");
  if (path_property != NULL)
    set_path (f, path_property, f->dir);
  show_page (f);
  return wait_ready (f);
}

/* Replaces the folder's backup with bytes that are no backup at all. */
static void
spoil_backup (Fixture *f)
{
  g_autoptr (GError) error = NULL;

  g_file_set_contents (backup_file (f), "this is not a license backup", -1, &error);
  g_assert_no_error (error);
}

/* A license with a 32-byte blob, for its attributes. */
static LbLicense *
new_license (const char *key_id)
{
  g_autoptr (GVariant) blob = g_variant_ref_sink (lb_test_blob_new (32, 7));
  g_autoptr (GBytes) data = g_variant_get_data_as_bytes (blob);

  return lb_license_new (key_id, data);
}

static void
store_one (Fixture *f, LbLicense *license)
{
  g_autoptr (LbClient) client = other_client (f);
  g_autoptr (LbLicense) owned = license;
  g_autoptr (GError) error = NULL;

  lb_client_store_license_sync (client, owned, NULL, &error);
  g_assert_no_error (error);
}

/* How an operation another client started ended. */
typedef struct
{
  gboolean restore;
  gboolean done;
  gboolean started; /* not refused at once */
  LbStatus status;
} Outcome;

static void
on_other_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  LbClient *client = LB_CLIENT (source);
  Outcome *o = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (LbOperationResult) r = o->restore ? lb_client_restore_finish (client, result, &error)
                                               : lb_client_backup_finish (client, result, &error);

  if (r == NULL)
    r = lb_client_get_failed_result (client, result);
  o->started = r != NULL;
  o->status = r != NULL ? lb_operation_result_get_status (r) : LB_STATUS_ERROR;
  if (error != NULL)
    g_test_message ("the other client's operation failed: %s", error->message);
  o->done = TRUE;
}

static gboolean
outcome_done (gpointer user_data)
{
  return ((Outcome *) user_data)->done;
}

/* Starts a backup of @path by @client, another client than the page. */
static void
start_other_backup (LbClient *client, LbBackupFlags flags, const char *path, Outcome *o)
{
  *o = (Outcome){ .restore = FALSE, .status = LB_STATUS_ERROR };
  lb_client_backup_async (client, flags, path, NULL, on_other_done, o);
}

static void
start_other_restore (LbClient *client, LbRestoreFlags flags, const char *path, Outcome *o)
{
  *o = (Outcome){ .restore = TRUE, .status = LB_STATUS_ERROR };
  lb_client_restore_async (client, flags, path, NULL, NULL, on_other_done, o);
}

/* Waits for the end of @o's operation; returns its status. */
static LbStatus
wait_outcome (Outcome *o)
{
  g_assert_true (wait_for (outcome_done, o, WAIT_MS));
  g_assert_true (o->started);
  return o->status;
}

/* Runs a backup (with @restore, a restore) by another client and waits
 * for its end; returns its status. */
static LbStatus
run_other (Fixture *f, gboolean restore, guint flags, const char *path)
{
  g_autoptr (LbClient) client = other_client (f);
  Outcome o;

  if (restore)
    start_other_restore (client, flags, path, &o);
  else
    start_other_backup (client, flags, path, &o);
  return wait_outcome (&o);
}

static LbStatus
run_backup (Fixture *f, LbBackupFlags flags, const char *path)
{
  return run_other (f, FALSE, flags, path);
}

static LbStatus
run_restore (Fixture *f, LbRestoreFlags flags, const char *path)
{
  return run_other (f, TRUE, flags, path);
}

static gboolean
toast_is (gpointer user_data)
{
  TextIs *t = user_data;
  return g_strcmp0 (lb_licenses_page_get_last_toast (t->f->page), t->text) == 0;
}

static void
assert_toast (Fixture *f, const char *text)
{
  TextIs t = { f, 0, text };

  wait_for (toast_is, &t, WAIT_MS);
  g_assert_cmpstr (lb_licenses_page_get_last_toast (f->page), ==, text);
}

static gboolean
dialog_shown (gpointer user_data)
{
  Fixture *f = user_data;
  return lb_licenses_page_get_dialog (f->page) != NULL;
}

/* Answers the page's question as a click on a response button does. */
static void
answer (Fixture *f, const char *heading, const char *response)
{
  AdwMessageDialog *dialog;

  g_assert_true (wait_for (dialog_shown, f, WAIT_MS));
  dialog = lb_licenses_page_get_dialog (f->page);
  if (dialog == NULL)
    return;
  g_object_ref (dialog);
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, heading);
  g_assert_true (gtk_window_get_modal (GTK_WINDOW (dialog)));
  g_assert_true (gtk_window_get_transient_for (GTK_WINDOW (dialog)) == GTK_WINDOW (f->window));
  /* Nothing else starts while the page asks. */
  g_assert_false (gtk_widget_get_sensitive (part (f, LB_LICENSES_PAGE_BACKUP_BUTTON)));
  g_assert_false (gtk_widget_get_sensitive (part (f, LB_LICENSES_PAGE_RESTORE_BUTTON)));
  adw_message_dialog_response (dialog, response);
  gtk_window_destroy (GTK_WINDOW (dialog));
  g_object_unref (dialog);
  g_assert_null (lb_licenses_page_get_dialog (f->page));
}

/* Finds a row titled @title among the descendants of @widget. */
static GtkWidget *
find_row (GtkWidget *widget, const char *title)
{
  if (ADW_IS_PREFERENCES_ROW (widget)
      && g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), title) == 0)
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_row (child, title);
      if (found != NULL)
        return found;
    }
  return NULL;
}

/* Apps */

/* Puts @n licenses "<prefix>NNNNN" of @app into @machine's store through
 * the core library, as if @app had stored them: a host caller of the
 * service can only store into "". Only while no daemon of @machine runs. */
static void
put_app_licenses (
    LbTestMachine *machine, const char *app, guint n, const char *prefix, gboolean can_backup)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LbStore) store = lb_store_open (lb_test_machine_get_store_dir (machine),
                                             lb_test_machine_get_app_id (machine), &error);
  g_autoptr (GPtrArray) licenses = g_ptr_array_new_with_free_func ((GDestroyNotify) lb_record_free);

  g_assert_no_error (error);
  if (store == NULL)
    return;
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *key = g_strdup_printf ("%s%05u", prefix, i);
      guint8 data[16];
      g_autoptr (GBytes) blob = NULL;
      LbRecord *license;

      for (guint j = 0; j < sizeof data; j++)
        data[j] = (guint8) (i * 131 + j);
      blob = g_bytes_new (data, sizeof data);
      license = lb_record_new (key, blob);
      license->attrs.can_backup = can_backup;
      g_ptr_array_add (licenses, license);
    }
  lb_store_put (store, app, (LbRecord *const *) licenses->pdata, licenses->len, &error);
  g_assert_no_error (error);
}

/* A .desktop file in the test's own $XDG_DATA_HOME/applications: an
 * installed app. */
static void
install_app (const char *desktop_id, const char *name, const char *icon)
{
  g_autofree char *dir = g_build_filename (g_get_user_data_dir (), "applications", NULL);
  g_autofree char *path = g_build_filename (dir, desktop_id, NULL);
  g_autofree char *contents = g_strdup_printf (
      "[Desktop Entry]\nType=Application\nName=%s\nIcon=%s\nExec=true\n", name, icon);
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

static void
collect_rows (GtkWidget *widget, GPtrArray *rows)
{
  if (ADW_IS_ACTION_ROW (widget))
    {
      g_ptr_array_add (rows, widget);
      return;
    }
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_rows (child, rows);
}

/* The apps group as the user reads it, top to bottom:
 * "Music Player: 3 licenses; Other apps: 12 licenses", or "" when hidden. */
static char *
apps_shown (Fixture *f)
{
  GtkWidget *group = part (f, LB_LICENSES_PAGE_APPS_GROUP);
  g_autoptr (GPtrArray) rows = g_ptr_array_new ();
  GString *s = g_string_new (NULL);

  if (!showing (group))
    return g_string_free (s, FALSE);
  collect_rows (group, rows);
  for (guint i = 0; i < rows->len; i++)
    g_string_append_printf (s, "%s%s: %s", i > 0 ? "; " : "",
                            adw_preferences_row_get_title (rows->pdata[i]),
                            adw_action_row_get_subtitle (rows->pdata[i]));
  return g_string_free (s, FALSE);
}

static gboolean
apps_are (gpointer user_data)
{
  TextIs *t = user_data;
  g_autofree char *shown = apps_shown (t->f);

  return g_str_equal (shown, t->text);
}

static void
assert_apps_show (Fixture *f, const char *text)
{
  TextIs t = { f, 0, text };
  g_autofree char *shown = NULL;

  wait_for (apps_are, &t, WAIT_MS);
  shown = apps_shown (f);
  g_assert_cmpstr (shown, ==, text);
}

static GtkImage *
find_image (GtkWidget *widget)
{
  if (GTK_IS_IMAGE (widget))
    return GTK_IMAGE (widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkImage *found = find_image (child);
      if (found != NULL)
        return found;
    }
  return NULL;
}

/* The icon of the app row titled @title: its icon name. */
static const char *
app_icon (Fixture *f, const char *title)
{
  GtkWidget *row = find_row (part (f, LB_LICENSES_PAGE_APPS_GROUP), title);
  GtkImage *image = row != NULL ? find_image (row) : NULL;

  if (image == NULL)
    return NULL;
  switch (gtk_image_get_storage_type (image))
    {
    case GTK_IMAGE_ICON_NAME:
      return gtk_image_get_icon_name (image);
    case GTK_IMAGE_GICON:
      if (G_IS_THEMED_ICON (gtk_image_get_gicon (image)))
        return g_themed_icon_get_names (G_THEMED_ICON (gtk_image_get_gicon (image)))[0];
      return "(not a themed icon)";
    default:
      return "(no icon)";
    }
}

/* Tests */

/* The page loads, shows the count, the last backup and the locations, and
 * follows changes made by others. */
static void
test_load (Fixture *f, gconstpointer data)
{
  if (!start_and_show (f, NULL, 3, "BackupPath"))
    return;
  assert_count_shows (f, "3");
  assert_subtitle_shows (f, LB_LICENSES_PAGE_LAST_BACKUP_ROW, "Never");
  assert_subtitle_shows (f, LB_LICENSES_PAGE_BACKUP_ROW, f->dir);
  {
    /* No restore folder: the service restores from the backup folder,
     * and the page says which. */
    g_autofree char *fallback = g_strdup_printf ("The backup folder, %s", f->dir);
    assert_subtitle_shows (f, LB_LICENSES_PAGE_RESTORE_ROW, fallback);
  }
  g_assert_true (showing (part (f, LB_LICENSES_PAGE_COUNT_LABEL)));
  g_assert_false (showing (part (f, LB_LICENSES_PAGE_PROGRESS_ROW)));
  g_assert_false (showing (part (f, LB_LICENSES_PAGE_BANNER)));
  g_assert_false (showing (part (f, LB_LICENSES_PAGE_UNAVAILABLE_PAGE)));
  g_assert_false (showing (part (f, LB_LICENSES_PAGE_RESULT_GROUP)));
  g_assert_true (gtk_widget_is_sensitive (part (f, LB_LICENSES_PAGE_BACKUP_BUTTON)));
  g_assert_true (gtk_widget_is_sensitive (part (f, LB_LICENSES_PAGE_RESTORE_BUTTON)));

  /* Someone else stores licenses and sets the restore location. */
  store_licenses (f, 1234, "movie-");
  assert_count_shows (f, "1237");
  set_path (f, "RestorePath", f->dir);
  assert_subtitle_shows (f, LB_LICENSES_PAGE_RESTORE_ROW, f->dir);

  /* Keyboard: the buttons and the location rows take the focus, and the
   * buttons have mnemonics. */
  g_assert_true (gtk_widget_get_focusable (part (f, LB_LICENSES_PAGE_BACKUP_BUTTON)));
  g_assert_true (gtk_widget_get_focusable (part (f, LB_LICENSES_PAGE_RESTORE_BUTTON)));
  g_assert_true (gtk_widget_get_focusable (part (f, LB_LICENSES_PAGE_BACKUP_ROW)));
  g_assert_true (
      adw_action_row_get_activatable_widget (ADW_ACTION_ROW (part (f, LB_LICENSES_PAGE_BACKUP_ROW)))
      != NULL);
  g_assert_true (
      gtk_button_get_use_underline (GTK_BUTTON (part (f, LB_LICENSES_PAGE_BACKUP_BUTTON))));
  g_assert_true (gtk_widget_grab_focus (part (f, LB_LICENSES_PAGE_BACKUP_BUTTON)));
}

static gboolean
backup_button_sensitive (gpointer user_data)
{
  Fixture *f = user_data;
  return gtk_widget_is_sensitive (part (f, LB_LICENSES_PAGE_BACKUP_BUTTON));
}

/* "Back Up Now" makes a backup, and the page shows the outcome with the
 * licenses left out; a second one asks to replace the first. */
static void
test_backup_now (Fixture *f, gconstpointer data)
{
  g_autoptr (LbTestSignalQueue) queue = NULL;
  g_autofree char *first = NULL;
  GtkWidget *result, *locked;
  guint status = G_MAXUINT;

  lb_test_machine_start_daemon (f->machine, NULL);
  store_licenses (f, 4, "song-");
  {
    LbLicense *no_backup = new_license ("locked-1");

    lb_license_set_can_backup (no_backup, FALSE);
    store_one (f, no_backup);
  }
  set_path (f, "BackupPath", f->dir);
  show_page (f);
  if (!wait_ready (f))
    return;
  assert_count_shows (f, "5");

  activate (f, LB_LICENSES_PAGE_BACKUP_BUTTON);
  assert_toast (f, "4 licenses backed up; 1 could not be backed up");
  g_assert_true (g_file_test (backup_file (f), G_FILE_TEST_IS_REGULAR));
  g_assert_false (showing (part (f, LB_LICENSES_PAGE_BANNER)));
  g_assert_false (showing (part (f, LB_LICENSES_PAGE_PROGRESS_ROW)));
  assert_subtitle_shows (f, LB_LICENSES_PAGE_LAST_BACKUP_ROW, "Last backed up just now");

  /* The details: the license left out and why. */
  result = lb_licenses_page_get_result_row (f->page);
  g_assert_nonnull (result);
  if (result == NULL)
    return;
  g_assert_true (ADW_IS_EXPANDER_ROW (result));
  g_assert_true (showing (result));
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (result)), ==,
                   "4 licenses backed up; 1 could not be backed up");
  first = g_strdup (adw_expander_row_get_subtitle (ADW_EXPANDER_ROW (result)));
  g_assert_true (g_str_has_prefix (first, "Saved to "));
  g_assert_nonnull (strstr (first, backup_file (f)));
  locked = find_row (result, "locked-1");
  g_assert_nonnull (locked);
  if (locked != NULL)
    g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (locked)), ==,
                     "Its issuer does not allow backing it up");

  /* Again: the location holds a backup now. */
  queue = lb_test_signal_queue_new (lb_test_bus_get_connection (f->bus), NULL,
                                    LB_TEST_MANAGER_IFACE, "BackupCompleted", LB_TEST_OBJECT_PATH);
  click (f, LB_LICENSES_PAGE_BACKUP_BUTTON);
  answer (f, "Add a backup to this folder?", "replace");
  {
    g_autoptr (GVariant) done = lb_test_signal_queue_pop (queue, WAIT_MS, NULL);
    g_assert_nonnull (done);
    if (done != NULL)
      g_variant_get_child (done, 1, "u", &status);
  }
  g_assert_cmpuint (status, ==, LB_STATUS_END);
  /* The page sees the end on its own connection. */
  g_assert_true (wait_for (backup_button_sensitive, f, WAIT_MS));
  g_assert_true (lb_licenses_page_get_result_row (f->page) != NULL);
  g_assert_cmpstr (lb_licenses_page_get_last_toast (f->page), ==,
                   "4 licenses backed up; 1 could not be backed up");
  g_assert_false (showing (part (f, LB_LICENSES_PAGE_BANNER)));
  g_assert_true (gtk_widget_is_sensitive (part (f, LB_LICENSES_PAGE_BACKUP_BUTTON)));

  /* Refusing to replace starts nothing. */
  click (f, LB_LICENSES_PAGE_BACKUP_BUTTON);
  answer (f, "Add a backup to this folder?", "cancel");
  pump_for (300);
  g_assert_cmpuint (lb_test_signal_queue_get_length (queue), ==, 0);
  g_assert_true (gtk_widget_is_sensitive (part (f, LB_LICENSES_PAGE_BACKUP_BUTTON)));
}

typedef struct
{
  Fixture *f;
  double above;
} FractionAbove;

static gboolean
fraction_above (gpointer user_data)
{
  FractionAbove *a = user_data;
  return gtk_progress_bar_get_fraction (
             GTK_PROGRESS_BAR (part (a->f, LB_LICENSES_PAGE_PROGRESS_BAR)))
         > a->above;
}

static gboolean
progress_row_shown (gpointer user_data)
{
  Fixture *f = user_data;
  return showing (part (f, LB_LICENSES_PAGE_PROGRESS_ROW));
}

static gboolean
cancel_sensitive (gpointer user_data)
{
  Fixture *f = user_data;
  return gtk_widget_is_sensitive (part (f, LB_LICENSES_PAGE_CANCEL_BUTTON));
}

static gboolean
progress_says_connecting (gpointer user_data)
{
  Fixture *f = user_data;
  return showing (part (f, LB_LICENSES_PAGE_PROGRESS_ROW))
         && g_strcmp0 (subtitle_of (f, LB_LICENSES_PAGE_PROGRESS_ROW),
                       "Connecting to the backup location…")
                == 0;
}

static gboolean
progress_row_hidden (gpointer user_data)
{
  return !progress_row_shown (user_data);
}

/* While the service connects to a network folder (stalled 3 s here), the
 * progress row says so instead of "0 of N licenses". */
static void
test_connecting (Fixture *f, gconstpointer data)
{
  /* GIO without GVfs: the connection then fails, after the stall. */
  const char *env[] = { "LB_FAULT_STALL=connect=3000", "GIO_USE_VFS=local", NULL };
  g_autoptr (LbClient) other = NULL;
  Outcome o;

  if (!start_and_show (f, &(LbTestDaemonOptions){ .extra_env = env }, 10, NULL))
    return;

  other = other_client (f);
  start_other_backup (other, LB_BACKUP_FLAGS_NONE, "sftp://lb-test.invalid/x", &o);

  if (!wait_for (progress_says_connecting, f, WAIT_MS))
    {
      g_test_fail_printf ("the progress row never said “Connecting to the backup location…” "
                          "(shown: %d, subtitle: %s)",
                          progress_row_shown (f), subtitle_of (f, LB_LICENSES_PAGE_PROGRESS_ROW));
      return;
    }
  g_assert_cmpstr (
      adw_preferences_row_get_title (ADW_PREFERENCES_ROW (part (f, LB_LICENSES_PAGE_PROGRESS_ROW))),
      ==, "Backing Up Licenses…");

  g_assert_cmpuint (wait_outcome (&o), ==, LB_STATUS_ERROR);
  g_assert_true (wait_for (progress_row_hidden, f, WAIT_MS));
}

/* A backup started by another client moves the page's progress bar. */
static void
test_follow (Fixture *f, gconstpointer data)
{
  g_autoptr (LbClient) other = NULL;
  FractionAbove a = { f, 0.0 };
  double first, second;
  Outcome o;
  guint done = 0, total = 0;

  /* 3,000 licenses at 1 ms each: about 3 s. */
  if (!start_and_show (f, &(LbTestDaemonOptions){ .fault_delay_us = 1000 }, 3000, NULL))
    return;
  assert_count_shows (f, "3000");

  other = other_client (f);
  start_other_backup (other, LB_BACKUP_FLAGS_NONE, f->dir, &o);

  g_assert_true (wait_for (progress_row_shown, f, WAIT_MS));
  g_assert_true (wait_for (fraction_above, &a, WAIT_MS));
  first
      = gtk_progress_bar_get_fraction (GTK_PROGRESS_BAR (part (f, LB_LICENSES_PAGE_PROGRESS_BAR)));
  a.above = first + 0.05;
  g_assert_true (wait_for (fraction_above, &a, WAIT_MS));
  second
      = gtk_progress_bar_get_fraction (GTK_PROGRESS_BAR (part (f, LB_LICENSES_PAGE_PROGRESS_BAR)));
  g_test_message ("progress bar moved from %.3f to %.3f", first, second);
  g_assert_cmpfloat (second, >, first);
  g_assert_cmpfloat (second, <, 1.0);

  /* While it runs: "N of 3000 licenses", Cancel, no start buttons. */
  g_assert_cmpint (
      sscanf (subtitle_of (f, LB_LICENSES_PAGE_PROGRESS_ROW), "%u of %u licenses", &done, &total),
      ==, 2);
  g_assert_cmpuint (total, ==, 3000);
  g_assert_cmpuint (done, >, 0);
  g_assert_cmpstr (
      adw_preferences_row_get_title (ADW_PREFERENCES_ROW (part (f, LB_LICENSES_PAGE_PROGRESS_ROW))),
      ==, "Backing Up Licenses…");
  g_assert_true (wait_for (cancel_sensitive, f, WAIT_MS));
  g_assert_false (gtk_widget_is_sensitive (part (f, LB_LICENSES_PAGE_BACKUP_BUTTON)));
  g_assert_false (gtk_widget_is_sensitive (part (f, LB_LICENSES_PAGE_RESTORE_BUTTON)));

  g_assert_cmpuint (wait_outcome (&o), ==, LB_STATUS_END);
  assert_toast (f, "3000 licenses backed up");
  g_assert_false (showing (part (f, LB_LICENSES_PAGE_PROGRESS_ROW)));
  g_assert_false (gtk_widget_is_sensitive (part (f, LB_LICENSES_PAGE_CANCEL_BUTTON)));
  g_assert_true (gtk_widget_is_sensitive (part (f, LB_LICENSES_PAGE_BACKUP_BUTTON)));
  g_assert_true (gtk_widget_is_sensitive (part (f, LB_LICENSES_PAGE_RESTORE_BUTTON)));
  g_assert_true (g_file_test (backup_file (f), G_FILE_TEST_IS_REGULAR));
}

/* The page's Cancel stops a running backup, which leaves no file. */
static void
test_cancel (Fixture *f, gconstpointer data)
{
  if (!start_and_show (f, &(LbTestDaemonOptions){ .fault_delay_us = 2000 }, 3000, "BackupPath"))
    return;

  click (f, LB_LICENSES_PAGE_BACKUP_BUTTON);
  g_assert_true (wait_for (progress_row_shown, f, WAIT_MS));
  g_assert_true (wait_for (cancel_sensitive, f, WAIT_MS));
  click (f, LB_LICENSES_PAGE_CANCEL_BUTTON);
  assert_toast (f, "The backup was cancelled; the previous backup, if any, is unchanged");
  g_assert_false (showing (part (f, LB_LICENSES_PAGE_BANNER)));
  g_assert_false (showing (part (f, LB_LICENSES_PAGE_PROGRESS_ROW)));
  g_assert_false (g_file_test (backup_file (f), G_FILE_TEST_EXISTS));
  assert_subtitle_shows (f, LB_LICENSES_PAGE_LAST_BACKUP_ROW, "Never");
}

static void
assert_unavailable_shown (Fixture *f)
{
  AdwStatusPage *status;

  g_assert_true (wait_for (page_unavailable, f, WAIT_MS));
  pump_for (50);
  status = ADW_STATUS_PAGE (part (f, LB_LICENSES_PAGE_UNAVAILABLE_PAGE));
  g_assert_true (showing (GTK_WIDGET (status)));
  g_assert_cmpstr (adw_status_page_get_title (status), ==,
                   "The License Backup Service Is Not Available");
  g_assert_true (g_str_has_prefix (adw_status_page_get_description (status),
                                   "The license backup service is not running and cannot be "
                                   "started. Check that license-backup is installed."));
  g_assert_false (showing (part (f, LB_LICENSES_PAGE_COUNT_LABEL)));
  g_assert_false (showing (part (f, LB_LICENSES_PAGE_BACKUP_BUTTON)));
}

/* Without the service the page says so, and comes back with it. */
static void
test_service_missing (Fixture *f, gconstpointer data)
{
  /* Not running, and the bus cannot start it (not installed). */
  show_page (f);
  assert_unavailable_shown (f);

  /* It appears: the page shows it. */
  lb_test_machine_start_daemon (f->machine, NULL);
  if (!wait_ready (f))
    return;
  assert_count_shows (f, "0");
  g_assert_false (showing (part (f, LB_LICENSES_PAGE_UNAVAILABLE_PAGE)));
  g_assert_true (showing (part (f, LB_LICENSES_PAGE_BACKUP_BUTTON)));

  /* It goes away and cannot be started again. */
  lb_test_machine_stop_daemon (f->machine);
  assert_unavailable_shown (f);
}

static gboolean
banner_shown (gpointer user_data)
{
  Fixture *f = user_data;
  return showing (part (f, LB_LICENSES_PAGE_BANNER));
}

static void
assert_banner (Fixture *f, const char *title, const char *message)
{
  AdwActionRow *banner = ADW_ACTION_ROW (part (f, LB_LICENSES_PAGE_BANNER));

  g_assert_true (wait_for (banner_shown, f, WAIT_MS));
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (banner)), ==, title);
  g_assert_cmpstr (adw_action_row_get_subtitle (banner), ==, message);
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (banner), "error"));
}

/* Failures show the error banner with the page's own words. */
/* The page's vertical scrolling (its AdwPreferencesPage's scrolled window). */
static GtkAdjustment *
page_vadjustment (Fixture *f)
{
  for (GtkWidget *w = gtk_widget_get_first_child (GTK_WIDGET (f->page)); w != NULL;
       w = gtk_widget_get_first_child (w))
    if (GTK_IS_SCROLLED_WINDOW (w))
      return gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (w));
  g_assert_not_reached ();
}

static gboolean
page_scrollable (gpointer user_data)
{
  GtkAdjustment *adj = page_vadjustment (user_data);
  return gtk_adjustment_get_upper (adj) - gtk_adjustment_get_page_size (adj) > 0;
}

static void
test_errors (Fixture *f, gconstpointer data)
{
  if (!start_and_show (f, NULL, 2, "RestorePath"))
    return;

  /* Refused at once: no backup there. */
  click (f, LB_LICENSES_PAGE_RESTORE_BUTTON);
  assert_banner (f, "Cannot Start the Restore",
                 "The restore location holds no license backup; choose the folder that holds it");
  g_assert_false (showing (part (f, LB_LICENSES_PAGE_BANNER_LINK)));
  g_assert_true (gtk_widget_is_sensitive (part (f, LB_LICENSES_PAGE_RESTORE_BUTTON)));

  /* Fails when it runs: a damaged backup. Starting again hides the old
   * banner. The user scrolled down to the Restore button: the new banner
   * scrolls the page back to the top, into view. */
  spoil_backup (f);
  gtk_window_set_default_size (GTK_WINDOW (f->window), 640, 360);
  g_assert_true (wait_for (page_scrollable, f, WAIT_MS));
  GtkAdjustment *adj = page_vadjustment (f);
  gtk_adjustment_set_value (adj, gtk_adjustment_get_upper (adj));
  g_assert_cmpfloat (gtk_adjustment_get_value (adj), >, 0);
  click (f, LB_LICENSES_PAGE_RESTORE_BUTTON);
  assert_banner (f, "Restore Failed",
                 "The backup is damaged, so nothing was restored; make a new backup, or restore "
                 "from another copy");
  g_assert_cmpfloat (gtk_adjustment_get_value (adj), ==, 0);
  assert_count_shows (f, "2");
}

/* A restore from another computer asks for consent, then binds the
 * licenses; the page follows the service from one machine to the next. */
static void
test_individualize (Fixture *f, gconstpointer data)
{
  g_autoptr (LbTestMachine) b = lb_test_machine_new (f->bus, "b");
  GtkWidget *result;

  if (!start_and_show (f, NULL, 3, NULL))
    return;
  assert_count_shows (f, "3");
  g_assert_cmpuint (run_backup (f, LB_BACKUP_FLAGS_NONE, f->dir), ==, LB_STATUS_END);
  assert_toast (f, "3 licenses backed up");

  /* The other computer */
  lb_test_machine_stop_daemon (f->machine);
  g_assert_true (wait_for (page_unavailable, f, WAIT_MS));
  lb_test_machine_start_daemon (b, NULL);
  if (!wait_ready (f))
    return;
  assert_count_shows (f, "0");
  set_path (f, "RestorePath", f->dir);
  assert_subtitle_shows (f, LB_LICENSES_PAGE_RESTORE_ROW, f->dir);

  click (f, LB_LICENSES_PAGE_RESTORE_BUTTON);
  answer (f, "Restore licenses from another computer?", "restore");
  assert_toast (f, "3 licenses restored");
  assert_count_shows (f, "3");
  g_assert_false (showing (part (f, LB_LICENSES_PAGE_BANNER)));
  result = lb_licenses_page_get_result_row (f->page);
  g_assert_nonnull (result);
  if (result != NULL)
    g_assert_nonnull (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (result)),
                              "3 licenses were bound to this computer"));
}

/* Refusing consent restores nothing. */
static void
test_individualize_refused (Fixture *f, gconstpointer data)
{
  g_autoptr (LbTestMachine) b = lb_test_machine_new (f->bus, "b");

  lb_test_machine_start_daemon (f->machine, NULL);
  store_licenses (f, 2, "song-");
  g_assert_cmpuint (run_backup (f, LB_BACKUP_FLAGS_NONE, f->dir), ==, LB_STATUS_END);
  lb_test_machine_stop_daemon (f->machine);
  lb_test_machine_start_daemon (b, NULL);
  set_path (f, "RestorePath", f->dir);
  show_page (f);
  if (!wait_ready (f))
    return;

  click (f, LB_LICENSES_PAGE_RESTORE_BUTTON);
  answer (f, "Restore licenses from another computer?", "cancel");
  pump_for (300);
  assert_count_shows (f, "0");
  g_assert_null (lb_licenses_page_get_last_toast (f->page));
  g_assert_false (showing (part (f, LB_LICENSES_PAGE_BANNER)));
  g_assert_true (gtk_widget_is_sensitive (part (f, LB_LICENSES_PAGE_RESTORE_BUTTON)));
}

/* LB_STATUS_ERROR_WITHURL: a license restored as often as its issuer allows; the banner
 * links to the issuer. */
static void
test_restore_limit (Fixture *f, gconstpointer data)
{
  g_autoptr (LbTestMachine) b = lb_test_machine_new (f->bus, "b");
  g_autoptr (LbTestMachine) c = lb_test_machine_new (f->bus, "c");
  g_autofree char *dir2 = lb_test_make_tmp_dir ("backups-b");
  const char *url = "https://issuer.example/support/restore";
  GtkWidget *link;

  /* a: one license that may be restored once, one without a limit */
  lb_test_machine_start_daemon (f->machine, NULL);
  {
    LbLicense *movie = new_license ("movie-1");

    lb_license_set_restore_limit (movie, 1);
    lb_license_set_support_url (movie, url);
    store_one (f, movie);
    store_one (f, new_license ("song-1"));
  }
  g_assert_cmpuint (run_backup (f, LB_BACKUP_FLAGS_NONE, f->dir), ==, LB_STATUS_END);
  lb_test_machine_stop_daemon (f->machine);
  /* b restores them (the one restore allowed) and backs them up */
  lb_test_machine_start_daemon (b, NULL);
  g_assert_cmpuint (run_restore (f, LB_RESTORE_FLAGS_INDIVIDUALIZE, f->dir), ==, LB_STATUS_END);
  g_assert_cmpuint (run_backup (f, LB_BACKUP_FLAGS_NONE, dir2), ==, LB_STATUS_END);
  lb_test_machine_stop_daemon (b);
  /* c: the page restores b's backup */
  lb_test_machine_start_daemon (c, NULL);
  set_path (f, "RestorePath", dir2);
  show_page (f);
  if (!wait_ready (f))
    return;

  click (f, LB_LICENSES_PAGE_RESTORE_BUTTON);
  answer (f, "Restore licenses from another computer?", "restore");
  g_assert_true (wait_for (banner_shown, f, WAIT_MS));
  g_assert_cmpstr (
      adw_preferences_row_get_title (ADW_PREFERENCES_ROW (part (f, LB_LICENSES_PAGE_BANNER))), ==,
      "Some Licenses Could Not Be Restored");
  link = part (f, LB_LICENSES_PAGE_BANNER_LINK);
  g_assert_true (showing (link));
  g_assert_cmpstr (gtk_link_button_get_uri (GTK_LINK_BUTTON (link)), ==, url);
  /* The rest was restored. */
  assert_count_shows (f, "1");
  g_assert_nonnull (lb_licenses_page_get_result_row (f->page));
  g_assert_nonnull (find_row (lb_licenses_page_get_result_row (f->page), "movie-1"));
  g_assert_cmpstr (adw_preferences_row_get_title (
                       ADW_PREFERENCES_ROW (lb_licenses_page_get_result_row (f->page))),
                   ==, "1 license restored; 1 could not be restored");
  lb_test_rm_rf (dir2);
}

static gboolean
chooser_shown (gpointer user_data)
{
  Fixture *f = user_data;
  return lb_licenses_page_get_chooser (f->page) != NULL;
}

typedef struct
{
  GtkFileChooser *chooser;
  GFile *file;
} ChooserHas;

static gboolean
chooser_has (gpointer user_data)
{
  ChooserHas *has = user_data;
  g_autoptr (GFile) chosen = gtk_file_chooser_get_file (has->chooser);

  return chosen != NULL && g_file_equal (chosen, has->file);
}

/* Picks @folder in the page's folder chooser, as the user does. */
static void
choose_folder (Fixture *f, const char *title, const char *folder)
{
  g_autoptr (GFile) file = g_file_new_for_path (folder);
  g_autoptr (GError) error = NULL;
  GtkFileChooser *chooser;

  g_assert_true (wait_for (chooser_shown, f, WAIT_MS));
  chooser = lb_licenses_page_get_chooser (f->page);
  if (chooser == NULL)
    return;
  g_assert_cmpint (gtk_file_chooser_get_action (chooser), ==,
                   GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER);
  g_assert_cmpstr (gtk_native_dialog_get_title (GTK_NATIVE_DIALOG (chooser)), ==, title);
  g_assert_true (gtk_native_dialog_get_modal (GTK_NATIVE_DIALOG (chooser)));
  g_assert_false (gtk_widget_is_sensitive (part (f, LB_LICENSES_PAGE_BACKUP_BUTTON)));
  /* Going into the folder with nothing selected in it chooses it, once
   * the chooser has loaded it. */
  gtk_file_chooser_set_current_folder (chooser, file, &error);
  g_assert_no_error (error);
  {
    ChooserHas has = { chooser, file };
    g_assert_true (wait_for (chooser_has, &has, WAIT_MS));
  }
  g_signal_emit_by_name (chooser, "response", GTK_RESPONSE_ACCEPT);
  g_assert_null (lb_licenses_page_get_chooser (f->page));
}

typedef struct
{
  Fixture *f;
  const char *property;
  const char *value;
} PropertyIs;

static gboolean
property_is (gpointer user_data)
{
  PropertyIs *p = user_data;
  g_autoptr (GVariant) v
      = lb_test_bus_get_property (p->f->bus, LB_TEST_MANAGER_IFACE, p->property, NULL);
  return v != NULL && g_strcmp0 (g_variant_get_string (v, NULL), p->value) == 0;
}

/* The location rows open a folder chooser that sets BackupPath and
 * RestorePath; "Back Up Now" without a location asks for one first. */
static void
test_choose_location (Fixture *f, gconstpointer data)
{
  g_autofree char *other = lb_test_make_tmp_dir ("other");
  PropertyIs backup = { f, "BackupPath", f->dir };
  PropertyIs restore = { f, "RestorePath", other };
  GtkWidget *row_button;

  if (!start_and_show (f, NULL, 2, NULL))
    return;
  assert_subtitle_shows (f, LB_LICENSES_PAGE_BACKUP_ROW, "Not set");

  /* No location yet: the chooser comes first, then the backup. */
  click (f, LB_LICENSES_PAGE_BACKUP_BUTTON);
  choose_folder (f, "Choose the Folder to Back Up To", f->dir);
  g_assert_true (wait_for (property_is, &backup, WAIT_MS));
  assert_subtitle_shows (f, LB_LICENSES_PAGE_BACKUP_ROW, f->dir);
  assert_toast (f, "2 licenses backed up");
  g_assert_true (g_file_test (backup_file (f), G_FILE_TEST_IS_REGULAR));

  /* The restore location row: activating it opens the chooser. */
  row_button = adw_action_row_get_activatable_widget (
      ADW_ACTION_ROW (part (f, LB_LICENSES_PAGE_RESTORE_ROW)));
  g_assert_nonnull (row_button);
  g_assert_true (gtk_widget_activate (part (f, LB_LICENSES_PAGE_RESTORE_ROW)));
  choose_folder (f, "Choose the Folder to Restore From", other);
  g_assert_true (wait_for (property_is, &restore, WAIT_MS));
  assert_subtitle_shows (f, LB_LICENSES_PAGE_RESTORE_ROW, other);

  /* Cancelling the chooser changes nothing. */
  g_signal_emit_by_name (row_button, "clicked");
  g_assert_true (wait_for (chooser_shown, f, WAIT_MS));
  g_signal_emit_by_name (lb_licenses_page_get_chooser (f->page), "response", GTK_RESPONSE_CANCEL);
  pump_for (200);
  g_assert_true (property_is (&restore));
  g_assert_true (gtk_widget_is_sensitive (part (f, LB_LICENSES_PAGE_RESTORE_BUTTON)));
  lb_test_rm_rf (other);
}

/* In German (po/de.po, from the build tree): the page's own words and
 * numbers, the outcome of a backup. */
static void
test_german (Fixture *f, gconstpointer data)
{
  GtkWidget *count_row;

  /* Before the page's first string. */
  g_setenv ("LANGUAGE", "de", TRUE);
  g_setenv ("LB_LOCALEDIR", LB_BUILD_LOCALEDIR, TRUE);
  if (setlocale (LC_ALL, "C.UTF-8") == NULL)
    {
      skip ("no C.UTF-8 locale");
      return;
    }
  if (!start_and_show (f, NULL, 2, "BackupPath"))
    return;
  assert_count_shows (f, "2");
  count_row = gtk_widget_get_ancestor (part (f, LB_LICENSES_PAGE_COUNT_LABEL), ADW_TYPE_ACTION_ROW);
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (count_row)), ==,
                   "Lizenzen auf diesem Computer");
  assert_subtitle_shows (f, LB_LICENSES_PAGE_LAST_BACKUP_ROW, "Nie");
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (part (f, LB_LICENSES_PAGE_BACKUP_BUTTON))), ==,
                   "Jetzt _sichern");
  click (f, LB_LICENSES_PAGE_BACKUP_BUTTON);
  assert_toast (f, "2 Lizenzen gesichert");
  assert_subtitle_shows (f, LB_LICENSES_PAGE_LAST_BACKUP_ROW, "Zuletzt gerade eben gesichert");
  setlocale (LC_ALL, "C");
}

/* The apps group lists the apps holding licenses: an installed app by the
 * Name= and Icon= of its .desktop file (a snap's by snapd's NAME_NAME
 * desktop id), one that is not installed by its id with a generic icon,
 * host programs as "Other apps", last; each with its count. */
static void
test_apps (Fixture *f, gconstpointer data)
{
  install_app ("org.example.Music.desktop", "Music Player", "audio-x-generic");
  install_app ("spotify_spotify.desktop", "Spotify", "multimedia-player");
  put_app_licenses (f->machine, "org.example.Music", 3, "song-", TRUE);
  put_app_licenses (f->machine, "org.example.Video", 2, "movie-", TRUE);
  put_app_licenses (f->machine, "snap.spotify", 1, "track-", TRUE);
  put_app_licenses (f->machine, "", 1200, "host-", TRUE);
  lb_test_machine_start_daemon (f->machine, NULL);
  show_page (f);
  if (!wait_ready (f))
    return;
  assert_count_shows (f, "1206");

  /* By name, case aside, whatever the order of the ids. */
  assert_apps_show (f, "Music Player: 3 licenses; org.example.Video: 2 licenses; "
                       "Spotify: 1 license; Other apps: 1200 licenses");
  g_assert_cmpstr (adw_preferences_group_get_title (
                       ADW_PREFERENCES_GROUP (part (f, LB_LICENSES_PAGE_APPS_GROUP))),
                   ==, "Apps");
  g_assert_cmpstr (app_icon (f, "Music Player"), ==, "audio-x-generic");
  g_assert_cmpstr (app_icon (f, "Spotify"), ==, "multimedia-player");
  g_assert_cmpstr (app_icon (f, "org.example.Video"), ==, "application-x-executable");
  g_assert_cmpstr (app_icon (f, "Other apps"), ==, "application-x-executable");
}

/* Hidden while the store is empty; follows licenses being added, by
 * anyone, and a restore that brings other apps' licenses back. */
static void
test_apps_update (Fixture *f, gconstpointer data)
{
  g_autoptr (LbTestMachine) b = lb_test_machine_new (f->bus, "b");

  install_app ("org.example.Music.desktop", "Music Player", "audio-x-generic");
  /* b: the computer the backup comes from */
  put_app_licenses (b, "org.example.Music", 3, "song-", TRUE);
  put_app_licenses (b, "", 1, "b-host-", TRUE);
  lb_test_machine_start_daemon (b, NULL);
  g_assert_cmpuint (run_backup (f, LB_BACKUP_FLAGS_NONE, f->dir), ==, LB_STATUS_END);
  lb_test_machine_stop_daemon (b);

  lb_test_machine_start_daemon (f->machine, NULL);
  show_page (f);
  if (!wait_ready (f))
    return;
  assert_count_shows (f, "0");
  pump_for (300);
  g_assert_false (showing (part (f, LB_LICENSES_PAGE_APPS_GROUP)));

  store_licenses (f, 2, "host-");
  assert_apps_show (f, "Other apps: 2 licenses");
  store_licenses (f, 3, "more-");
  assert_apps_show (f, "Other apps: 5 licenses");

  /* Restored by another client; each license goes back to its app. */
  g_assert_cmpuint (run_restore (f, LB_RESTORE_FLAGS_INDIVIDUALIZE, f->dir), ==, LB_STATUS_END);
  assert_count_shows (f, "9");
  assert_apps_show (f, "Music Player: 3 licenses; Other apps: 6 licenses");
}

typedef struct
{
  Fixture *f;
  GtkWidget *old; /* the result row before (a weak pointer), or NULL */
  const char *key_id;
} ResultHas;

/* A new result row lists @key_id. */
static gboolean
result_row_has (gpointer user_data)
{
  ResultHas *r = user_data;
  GtkWidget *result = lb_licenses_page_get_result_row (r->f->page);

  return result != NULL && result != r->old && find_row (result, r->key_id) != NULL;
}

/* The rows in the result's expander: one per license left out. */
static guint
left_out_count (Fixture *f)
{
  GtkWidget *result = lb_licenses_page_get_result_row (f->page);
  g_autoptr (GPtrArray) rows = g_ptr_array_new ();
  guint n = 0;

  if (result == NULL)
    return 0;
  collect_rows (result, rows);
  /* All but the expander's own header row */
  for (guint i = 0; i < rows->len; i++)
    if (g_strcmp0 (adw_preferences_row_get_title (rows->pdata[i]),
                   adw_preferences_row_get_title (ADW_PREFERENCES_ROW (result)))
        != 0)
      n++;
  return n;
}

static void
assert_left_out (Fixture *f, const char *key_id, const char *subtitle)
{
  GtkWidget *result = lb_licenses_page_get_result_row (f->page);
  GtkWidget *row = result != NULL ? find_row (result, key_id) : NULL;

  g_assert_nonnull (row);
  if (row != NULL)
    g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), ==, subtitle);
}

/* A backup started by another client: the page subscribed to the details,
 * which the service sends only to the client that started it and to
 * subscribers, and lists the licenses left out with their apps. Again
 * after the service restarts. */
static void
test_apps_details (Fixture *f, gconstpointer data)
{
  ResultHas has = { f, NULL, "movie-locked-00000" };

  install_app ("org.example.Music.desktop", "Music Player", "audio-x-generic");
  put_app_licenses (f->machine, "org.example.Music", 2, "song-", TRUE);
  put_app_licenses (f->machine, "org.example.Music", 1, "locked-", FALSE);
  put_app_licenses (f->machine, "org.example.Video", 1, "movie-locked-", FALSE);
  put_app_licenses (f->machine, "", 1, "host-locked-", FALSE);
  lb_test_machine_start_daemon (f->machine, NULL);
  show_page (f);
  if (!wait_ready (f))
    return;
  /* The page subscribes before it lists the apps, on the same connection. */
  assert_apps_show (f, "Music Player: 3 licenses; org.example.Video: 1 license; "
                       "Other apps: 1 license");

  g_assert_cmpuint (run_backup (f, LB_BACKUP_FLAGS_NONE, f->dir), ==, LB_STATUS_END);
  assert_toast (f, "2 licenses backed up; 3 could not be backed up");
  g_assert_true (wait_for (result_row_has, &has, WAIT_MS));
  assert_left_out (f, "locked-00000", "Music Player: Its issuer does not allow backing it up");
  assert_left_out (f, "movie-locked-00000",
                   "org.example.Video: Its issuer does not allow backing it up");
  /* Host programs' licenses need no name. */
  assert_left_out (f, "host-locked-00000", "Its issuer does not allow backing it up");
  g_assert_cmpuint (left_out_count (f), ==, 3);

  /* A new instance of the service knows nothing of the old subscription. */
  lb_test_machine_stop_daemon (f->machine);
  g_assert_true (wait_for (page_unavailable, f, WAIT_MS));
  lb_test_machine_start_daemon (f->machine, NULL);
  if (!wait_ready (f))
    return;
  assert_apps_show (f, "Music Player: 3 licenses; org.example.Video: 1 license; "
                       "Other apps: 1 license");
  /* The old result stays until the new one replaces it. */
  g_set_weak_pointer (&has.old, lb_licenses_page_get_result_row (f->page));
  g_assert_cmpuint (run_backup (f, LB_BACKUP_FLAGS_OVERWRITE, f->dir), ==, LB_STATUS_END);
  g_assert_true (wait_for (result_row_has, &has, WAIT_MS));
  g_clear_weak_pointer (&has.old);
  assert_left_out (f, "movie-locked-00000",
                   "org.example.Video: Its issuer does not allow backing it up");
  g_assert_cmpuint (left_out_count (f), ==, 3);

  /* Started by the page, which has subscribed too: each detail once. */
  set_path (f, "BackupPath", f->dir);
  assert_subtitle_shows (f, LB_LICENSES_PAGE_BACKUP_ROW, f->dir);
  g_set_weak_pointer (&has.old, lb_licenses_page_get_result_row (f->page));
  click (f, LB_LICENSES_PAGE_BACKUP_BUTTON);
  answer (f, "Add a backup to this folder?", "replace");
  g_assert_true (wait_for (result_row_has, &has, WAIT_MS));
  g_clear_weak_pointer (&has.old);
  g_assert_cmpuint (left_out_count (f), ==, 3);
}

/* The page in a Flatpak sandbox (its connection through the app's
 * xdg-dbus-proxy): the service refuses ListApps and Subscribe with
 * PermissionDenied, and the page goes without the apps group, and without
 * an error. */
static void
test_apps_sandboxed (Fixture *f, gconstpointer data)
{
  g_autofree char *why = NULL;

  if (!lb_test_sandbox_available (&why))
    {
      skip (why);
      return;
    }
  put_app_licenses (f->machine, "org.example.Music", 2, "song-", TRUE);
  lb_test_machine_start_daemon (f->machine, NULL);
  store_licenses (f, 3, "host-");
  g_autoptr (LbTestApp) app
      = lb_test_app_new (f->bus, "org.example.Music", LB_TEST_FLATPAK_INFO_NORMAL, NULL);
  if (app == NULL)
    return;
  g_autoptr (GError) error = NULL;
  GDBusConnection *connection = lb_test_app_connect (app, &error);
  g_assert_no_error (error);
  if (connection == NULL)
    return;
  show_page_on (f, connection);
  if (!wait_ready (f))
    return;
  /* LicenseCount counts every app's licenses, for anyone. */
  assert_count_shows (f, "5");
  /* Time for both refusals to come back. */
  pump_for (1000);
  g_assert_false (showing (part (f, LB_LICENSES_PAGE_APPS_GROUP)));
  g_assert_false (showing (part (f, LB_LICENSES_PAGE_BANNER)));
  g_assert_true (lb_licenses_page_get_state (f->page) == LB_LICENSES_PAGE_READY);
  /* Before the app's proxy goes. */
  close_page (f);
}

/* GTK 4.8's file chooser dialog sometimes snapshots a button of its path
 * bar before allocating it ("Trying to snapshot GtkButton 0x… without a
 * current allocation"), a harmless warning of GTK's own that the tests
 * would otherwise die of. Every other message goes to GLib's writer, which
 * keeps warnings fatal. */
static gboolean
is_path_bar_snapshot_warning (const GLogField *fields, gsize n_fields)
{
  const char *message = NULL;
  const char *domain = NULL;
  const char *at;
  gpointer widget = NULL;

  for (gsize i = 0; i < n_fields; i++)
    {
      if (g_str_equal (fields[i].key, "MESSAGE"))
        message = fields[i].value;
      else if (g_str_equal (fields[i].key, "GLIB_DOMAIN"))
        domain = fields[i].value;
    }
  if (g_strcmp0 (domain, "Gtk") != 0 || message == NULL
      || !g_str_has_prefix (message, "Trying to snapshot GtkButton ")
      || !g_str_has_suffix (message, " without a current allocation")
      || (at = strstr (message, "0x")) == NULL || sscanf (at, "%p", &widget) != 1)
    return FALSE;
  for (GtkWidget *w = widget; w != NULL; w = gtk_widget_get_parent (w))
    if (g_str_equal (G_OBJECT_TYPE_NAME (w), "GtkPathBar"))
      return TRUE;
  return FALSE;
}

static GLogWriterOutput
log_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  if ((level & G_LOG_LEVEL_WARNING) && is_path_bar_snapshot_warning (fields, n_fields))
    {
      g_test_message ("ignored GTK's path bar warning");
      return G_LOG_WRITER_HANDLED;
    }
  return g_log_writer_default (level, fields, n_fields, user_data);
}

/* "Back Up Automatically": the service's setting (weekly by default),
 * when the next backup is due, and a choice in the row changes the
 * service's setting. */
static void
test_automatic (Fixture *f, gconstpointer data)
{
  AdwComboRow *row;
  PropertyIs daily = { f, "AutomaticBackup", "daily" };

  if (!start_and_show (f, NULL, 2, NULL))
    return;
  row = ADW_COMBO_ROW (part (f, LB_LICENSES_PAGE_AUTOMATIC_ROW));
  g_assert_true (showing (GTK_WIDGET (row)));
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), ==,
                   "Back Up Automatically");
  g_assert_cmpuint (adw_combo_row_get_selected (row), ==, LB_AUTOMATIC_BACKUP_WEEKLY);
  {
    GtkStringObject *item = adw_combo_row_get_selected_item (row);

    g_assert_cmpstr (gtk_string_object_get_string (item), ==, "Weekly");
  }
  assert_subtitle_shows (f, LB_LICENSES_PAGE_AUTOMATIC_ROW, "Once a backup location is chosen");

  set_path (f, "BackupPath", f->dir);
  assert_subtitle_shows (f, LB_LICENSES_PAGE_AUTOMATIC_ROW, "Next backup due now");
  activate (f, LB_LICENSES_PAGE_BACKUP_BUTTON);
  assert_toast (f, "2 licenses backed up");
  assert_subtitle_shows (f, LB_LICENSES_PAGE_AUTOMATIC_ROW, "Next backup in 7 days");

  /* The user picks Daily. */
  adw_combo_row_set_selected (row, LB_AUTOMATIC_BACKUP_DAILY);
  g_assert_true (wait_for (property_is, &daily, WAIT_MS));
  assert_subtitle_shows (f, LB_LICENSES_PAGE_AUTOMATIC_ROW, "Next backup in 1 day");

  /* And Never: nothing is planned. */
  {
    PropertyIs never = { f, "AutomaticBackup", "never" };

    adw_combo_row_set_selected (row, LB_AUTOMATIC_BACKUP_NEVER);
    g_assert_true (wait_for (property_is, &never, WAIT_MS));
    assert_subtitle_shows (f, LB_LICENSES_PAGE_AUTOMATIC_ROW, "");
  }
}

/* Starts the service and makes two backups in the backup folder, the
 * older of "old-00000", the newer of it and "new-00000", then deletes
 * both licenses; returns another client. */
static LbClient *
start_with_two_backups (Fixture *f)
{
  LbClient *client;
  g_autoptr (GError) error = NULL;

  lb_test_machine_start_daemon (f->machine, NULL);
  set_path (f, "BackupPath", f->dir);
  store_licenses (f, 1, "old-");
  g_assert_cmpuint (run_backup (f, LB_BACKUP_FLAGS_NONE, NULL), ==, LB_STATUS_END);
  /* Names are per second: the next backup may take the next second. */
  store_licenses (f, 1, "new-");
  g_assert_cmpuint (run_backup (f, LB_BACKUP_FLAGS_OVERWRITE, NULL), ==, LB_STATUS_END);
  client = other_client (f);
  lb_client_delete_license_sync (client, "old-00000", NULL, &error);
  g_assert_no_error (error);
  lb_client_delete_license_sync (client, "new-00000", NULL, &error);
  g_assert_no_error (error);
  return client;
}

/* A folder with several backups: Restore… asks which, offering them
 * newest first, and restores the one chosen; with one, it asks nothing. */
static void
test_restore_generations (Fixture *f, gconstpointer data)
{
  GtkDropDown *list;
  GListModel *model;
  g_autoptr (LbClient) client = start_with_two_backups (f);
  g_autoptr (GError) error = NULL;

  show_page (f);
  if (!wait_ready (f))
    return;
  assert_count_shows (f, "0");
  click (f, LB_LICENSES_PAGE_RESTORE_BUTTON);
  g_assert_true (wait_for (dialog_shown, f, WAIT_MS));
  list = GTK_DROP_DOWN (part (f, LB_LICENSES_PAGE_GENERATION_LIST));
  g_assert_nonnull (list);
  model = gtk_drop_down_get_model (list);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 2);
  {
    g_autoptr (GtkStringObject) first = g_list_model_get_item (model, 0);

    g_assert_true (g_str_has_suffix (gtk_string_object_get_string (first), "(newest)"));
    /* The computer that made it, from its manifest. */
    g_assert_nonnull (strstr (gtk_string_object_get_string (first), ", from Computer "));
  }
  g_assert_cmpuint (gtk_drop_down_get_selected (list), ==, 0);
  /* The older one. */
  gtk_drop_down_set_selected (list, 1);
  answer (f, "Restore Which Backup?", "restore");
  assert_toast (f, "1 license restored");
  assert_count_shows (f, "1");
  {
    g_autoptr (LbLicense) l = lb_client_get_license_sync (client, "old-00000", NULL, &error);

    g_assert_no_error (error);
  }
  g_assert_null (lb_client_get_license_sync (client, "new-00000", NULL, &error));
  g_clear_error (&error);
}

/* The date of the folder's @i-th newest backup as the page shows it; the
 * number of backups in @n_backups (if not NULL). */
static char *
backup_date (Fixture *f, guint i, guint *n_backups)
{
  g_autoptr (LbClient) client = other_client (f);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) backups = lb_client_list_backups_sync (client, f->dir, NULL, &error);
  g_autoptr (GDateTime) dt = NULL;

  g_assert_no_error (error);
  if (n_backups != NULL)
    *n_backups = backups->len;
  g_assert_cmpuint (backups->len, >, i);
  dt = g_date_time_new_from_unix_local (lb_backup_get_created (backups->pdata[i]));
  return g_date_time_format (dt, "%c");
}

/* "The backup of <date> is whole: N licenses", the date of the newest
 * backup in the folder. */
static char *
whole_toast (Fixture *f, guint n)
{
  g_autofree char *when = backup_date (f, 0, NULL);

  return g_strdup_printf ("The backup of %s is whole: %u licenses", when, n);
}

/* Check Backup: a whole backup gives a toast, a damaged one the banner
 * naming its damaged entry; the check writes nothing and restores
 * nothing. */
static void
test_check_backup (Fixture *f, gconstpointer data)
{
  g_autofree char *want = NULL;
  AdwActionRow *banner;

  if (!start_and_show (f, NULL, 3, NULL))
    return;
  /* Nothing to check without a backup folder. */
  g_assert_false (gtk_widget_is_sensitive (part (f, LB_LICENSES_PAGE_CHECK_BUTTON)));
  set_path (f, "BackupPath", f->dir);
  g_assert_cmpuint (run_backup (f, LB_BACKUP_FLAGS_NONE, NULL), ==, LB_STATUS_END);
  want = whole_toast (f, 3);
  pump_for (100);

  click (f, LB_LICENSES_PAGE_CHECK_BUTTON);
  assert_toast (f, want);
  g_assert_false (showing (part (f, LB_LICENSES_PAGE_BANNER)));
  g_assert_true (gtk_widget_is_sensitive (part (f, LB_LICENSES_PAGE_CHECK_BUTTON)));

  lb_test_damage_backup (backup_file (f));
  click (f, LB_LICENSES_PAGE_CHECK_BUTTON);
  g_assert_true (wait_for (banner_shown, f, WAIT_MS));
  banner = ADW_ACTION_ROW (part (f, LB_LICENSES_PAGE_BANNER));
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (banner)), ==,
                   "The Backup Is Damaged");
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (banner), "licenses/song-00002"));
  g_assert_false (showing (part (f, LB_LICENSES_PAGE_BANNER_RESTORE_BUTTON)));
  assert_count_shows (f, "3");
}

/* A restore whose newest backup is damaged restores nothing; the banner
 * offers the newest whole backup, which only the click restores. */
static void
test_restore_damaged_newest (Fixture *f, gconstpointer data)
{
  g_autoptr (LbClient) client = start_with_two_backups (f);
  g_autoptr (GError) error = NULL;
  guint n_backups = 0;
  g_autofree char *when = backup_date (f, 1, &n_backups);
  g_autofree char *label = g_strdup_printf ("Restore the Backup of %s", when);
  GtkWidget *button;

  g_assert_cmpuint (n_backups, ==, 2);
  lb_test_damage_backup (backup_file (f));

  show_page (f);
  if (!wait_ready (f))
    return;
  assert_count_shows (f, "0");
  click (f, LB_LICENSES_PAGE_RESTORE_BUTTON);
  answer (f, "Restore Which Backup?", "restore"); /* the newest, as offered */
  g_assert_true (wait_for (banner_shown, f, WAIT_MS));
  g_assert_true (wait_for (backup_button_sensitive, f, WAIT_MS));
  button = part (f, LB_LICENSES_PAGE_BANNER_RESTORE_BUTTON);
  g_assert_true (showing (button));
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (button)), ==, label);
  {
    AdwActionRow *banner = ADW_ACTION_ROW (part (f, LB_LICENSES_PAGE_BANNER));
    g_autofree char *message = g_strdup_printf (
        "The newest backup is damaged, so nothing was restored. The backup of %s in the same "
        "location is whole.",
        when);

    g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (banner)), ==,
                     "Restore Failed");
    g_assert_cmpstr (adw_action_row_get_subtitle (banner), ==, message);
  }
  /* Never without the click. */
  pump_for (500);
  assert_count_shows (f, "0");

  click (f, LB_LICENSES_PAGE_BANNER_RESTORE_BUTTON);
  assert_toast (f, "1 license restored");
  assert_count_shows (f, "1");
  g_assert_false (showing (part (f, LB_LICENSES_PAGE_BANNER)));
  {
    g_autoptr (LbLicense) l = lb_client_get_license_sync (client, "old-00000", NULL, &error);

    g_assert_no_error (error);
  }
  g_assert_null (lb_client_get_license_sync (client, "new-00000", NULL, &error));
  g_clear_error (&error);
}

/* The page shows only the current operation: a restore that fails after a
 * backup that succeeded leaves no "Backup Finished" details. */
static void
test_only_current (Fixture *f, gconstpointer data)
{
  if (!start_and_show (f, NULL, 2, "BackupPath"))
    return;
  click (f, LB_LICENSES_PAGE_BACKUP_BUTTON);
  assert_toast (f, "2 licenses backed up");
  g_assert_true (wait_for (backup_button_sensitive, f, WAIT_MS));
  g_assert_nonnull (lb_licenses_page_get_result_row (f->page));
  g_assert_cmpstr (adw_preferences_group_get_title (
                       ADW_PREFERENCES_GROUP (part (f, LB_LICENSES_PAGE_RESULT_GROUP))),
                   ==, "Backup Finished");

  spoil_backup (f);
  click (f, LB_LICENSES_PAGE_RESTORE_BUTTON);
  g_assert_true (wait_for (banner_shown, f, WAIT_MS));
  g_assert_true (wait_for (backup_button_sensitive, f, WAIT_MS));
  g_assert_null (lb_licenses_page_get_result_row (f->page));
  g_assert_false (showing (part (f, LB_LICENSES_PAGE_RESULT_GROUP)));
}

/* Encrypted backups */

#define PASSPHRASE "correct horse battery staple"
#define OTHER_PASSPHRASE "Tr0ub4dor&3 ünd mehr"

/* gnome-keyring-daemon on the test bus, before the service; FALSE (the
 * test skipped) when it cannot run here. */
static gboolean
start_keyring (Fixture *f)
{
  g_autofree char *why = NULL;

  f->keyring = lb_test_keyring_start (f->bus, "test login password", &why);
  if (f->keyring == NULL)
    skip (why);
  return f->keyring != NULL;
}

static gboolean
keyring_has (Fixture *f, const char *passphrase)
{
  g_autoptr (LbClient) client = other_client (f);
  g_autoptr (GBytes) bytes = g_bytes_new (passphrase, strlen (passphrase));

  return lb_client_check_passphrase_sync (client, bytes, NULL, NULL);
}

static void
set_encryption (Fixture *f, gboolean encrypt, const char *passphrase, gboolean forget)
{
  g_autoptr (LbClient) client = other_client (f);
  g_autoptr (GBytes) bytes
      = passphrase != NULL ? g_bytes_new (passphrase, strlen (passphrase)) : NULL;
  g_autoptr (GError) error = NULL;

  g_assert_true (lb_client_set_encryption_sync (client, encrypt, bytes, forget, NULL, &error));
  g_assert_no_error (error);
}

/* Types into the passphrase dialog @heading (a second time when @again is
 * not NULL) and answers it. */
static void
type_passphrase (Fixture *f, const char *heading, const char *passphrase, const char *again)
{
  AdwMessageDialog *dialog;

  g_assert_true (wait_for (dialog_shown, f, WAIT_MS));
  dialog = lb_licenses_page_get_dialog (f->page);
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, heading);
  g_assert_false (adw_message_dialog_get_response_enabled (dialog, "ok"));
  gtk_editable_set_text (GTK_EDITABLE (part (f, LB_LICENSES_PAGE_PASSPHRASE_ENTRY)), passphrase);
  if (again != NULL)
    {
      g_assert_nonnull (part (f, LB_LICENSES_PAGE_PASSPHRASE_AGAIN_ENTRY));
      /* Two that differ are refused. */
      gtk_editable_set_text (GTK_EDITABLE (part (f, LB_LICENSES_PAGE_PASSPHRASE_AGAIN_ENTRY)),
                             "not the same");
      g_assert_false (adw_message_dialog_get_response_enabled (dialog, "ok"));
      gtk_editable_set_text (GTK_EDITABLE (part (f, LB_LICENSES_PAGE_PASSPHRASE_AGAIN_ENTRY)),
                             again);
    }
  else
    g_assert_null (part (f, LB_LICENSES_PAGE_PASSPHRASE_AGAIN_ENTRY));
  g_assert_true (adw_message_dialog_get_response_enabled (dialog, "ok"));
  answer (f, heading, "ok");
}

static gboolean
switch_is_on (gpointer user_data)
{
  Fixture *f = user_data;
  return gtk_switch_get_active (GTK_SWITCH (part (f, LB_LICENSES_PAGE_ENCRYPT_SWITCH)));
}

static gboolean
switch_is_off (gpointer user_data)
{
  return !switch_is_on (user_data);
}

static gboolean
check_sensitive (gpointer user_data)
{
  Fixture *f = user_data;
  return gtk_widget_is_sensitive (part (f, LB_LICENSES_PAGE_CHECK_BUTTON));
}

static gboolean
toast_says_whole (gpointer user_data)
{
  Fixture *f = user_data;
  const char *toast = lb_licenses_page_get_last_toast (f->page);

  return toast != NULL && strstr (toast, "is whole") != NULL;
}

/* The switch asks for the passphrase twice before it turns encryption
 * on; Change Passphrase… asks for a new one; off turns it off. */
static void
test_encrypt (Fixture *f, gconstpointer data)
{
  GtkSwitch *sw;
  AdwMessageDialog *dialog;

  if (!start_keyring (f) || !start_and_show (f, NULL, 3, "BackupPath"))
    return;
  sw = GTK_SWITCH (part (f, LB_LICENSES_PAGE_ENCRYPT_SWITCH));
  g_assert_false (gtk_switch_get_active (sw));
  g_assert_false (showing (part (f, LB_LICENSES_PAGE_PASSPHRASE_BUTTON)));

  /* Cancelled: nothing changes. */
  gtk_switch_set_active (sw, TRUE);
  g_assert_true (wait_for (dialog_shown, f, WAIT_MS));
  dialog = lb_licenses_page_get_dialog (f->page);
  g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), "cannot be restored"));
  g_assert_false (gtk_switch_get_active (sw));
  answer (f, "Encrypt Backups?", "cancel");
  pump_for (100);
  g_assert_false (gtk_switch_get_active (sw));

  gtk_switch_set_active (sw, TRUE);
  type_passphrase (f, "Encrypt Backups?", PASSPHRASE, PASSPHRASE);
  assert_toast (f, "New backups are encrypted");
  g_assert_true (wait_for (switch_is_on, f, WAIT_MS));
  g_assert_true (showing (part (f, LB_LICENSES_PAGE_PASSPHRASE_BUTTON)));
  g_assert_true (keyring_has (f, PASSPHRASE));
  /* Just typed: no reminder. */
  pump_for (200);
  g_assert_null (lb_licenses_page_get_dialog (f->page));

  click (f, LB_LICENSES_PAGE_PASSPHRASE_BUTTON);
  type_passphrase (f, "Change the Passphrase?", OTHER_PASSPHRASE, OTHER_PASSPHRASE);
  assert_toast (f, "Passphrase changed; older backups keep the old one");
  g_assert_true (keyring_has (f, OTHER_PASSPHRASE));

  /* Another client turns it off: the switch follows. */
  set_encryption (f, FALSE, NULL, FALSE);
  g_assert_true (wait_for (switch_is_off, f, WAIT_MS));
  g_assert_false (showing (part (f, LB_LICENSES_PAGE_PASSPHRASE_BUTTON)));
}

/* A restore of an encrypted backup without the keyring's passphrase asks
 * for it, and again after a wrong one. */
static void
test_encrypt_restore (Fixture *f, gconstpointer data)
{
  if (!start_keyring (f) || !start_and_show (f, NULL, 3, "BackupPath"))
    return;
  set_encryption (f, TRUE, PASSPHRASE, FALSE);
  g_assert_cmpuint (run_backup (f, LB_BACKUP_FLAGS_NONE, NULL), ==, LB_STATUS_END);
  /* As on another computer. */
  set_encryption (f, FALSE, NULL, TRUE);
  pump_for (100);

  click (f, LB_LICENSES_PAGE_RESTORE_BUTTON);
  type_passphrase (f, "Passphrase Needed", "wrong", NULL);
  g_assert_true (wait_for (dialog_shown, f, WAIT_MS));
  g_assert_nonnull (strstr (adw_message_dialog_get_body (lb_licenses_page_get_dialog (f->page)),
                            "does not open"));
  type_passphrase (f, "Passphrase Needed", PASSPHRASE, NULL);
  assert_toast (f, "0 licenses restored");
  g_assert_false (showing (part (f, LB_LICENSES_PAGE_BANNER)));

  /* Check Backup asks the same way, once the restore is over. */
  g_assert_true (wait_for (check_sensitive, f, WAIT_MS));
  click (f, LB_LICENSES_PAGE_CHECK_BUTTON);
  type_passphrase (f, "Passphrase Needed", PASSPHRASE, NULL);
  g_assert_true (wait_for (toast_says_whole, f, WAIT_MS));
  g_assert_false (showing (part (f, LB_LICENSES_PAGE_BANNER)));
}

/* Every 8 weeks the page asks whether the user still knows the
 * passphrase; a wrong one asks again, the right one is remembered. */
static void
test_passphrase_reminder (Fixture *f, gconstpointer data)
{
  g_autoptr (GSettingsSchema) schema = NULL;
  g_autoptr (GSettings) settings = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  schema = g_settings_schema_source_lookup (g_settings_schema_source_get_default (),
                                            "org.freedesktop.LicenseBackup1.Panel", TRUE);
  if (schema == NULL)
    {
      skip ("the panel's GSettings schema is not compiled (data/)");
      return;
    }
  settings = g_settings_new_full (schema, NULL, NULL);
  g_settings_set_int64 (settings, "passphrase-checked", now - 9 * 7 * 24 * 3600);
  if (!start_keyring (f))
    return;
  lb_test_machine_start_daemon (f->machine, NULL);
  set_encryption (f, TRUE, PASSPHRASE, FALSE);
  show_page (f);
  if (!wait_ready (f))
    return;
  g_assert_true (wait_for (dialog_shown, f, WAIT_MS));
  g_assert_nonnull (strstr (adw_message_dialog_get_body (lb_licenses_page_get_dialog (f->page)),
                            "Nothing changes if you skip"));
  type_passphrase (f, "Do You Still Know the Passphrase?", "wrong", NULL);
  g_assert_true (wait_for (dialog_shown, f, WAIT_MS));
  type_passphrase (f, "Do You Still Know the Passphrase?", PASSPHRASE, NULL);
  assert_toast (f, "That is the passphrase of your backups");
  g_assert_cmpint (g_settings_get_int64 (settings, "passphrase-checked"), >=, now);

  /* Not again soon; skipping also waits 8 weeks. */
  close_page (f);
  g_settings_set_int64 (settings, "passphrase-checked", now - 9 * 7 * 24 * 3600);
  show_page (f);
  if (!wait_ready (f))
    return;
  answer (f, "Do You Still Know the Passphrase?", "cancel");
  g_assert_cmpint (g_settings_get_int64 (settings, "passphrase-checked"), >=, now);
  g_assert_true (lb_client_get_encrypt_backups (other_client (f)));
}

int
main (int argc, char **argv)
{
  g_log_set_writer_func (log_writer, NULL, NULL);
  g_autofree char *why = NULL;
  int status;

  /* Before lb_test_init() moves the XDG directories away. */
  for (const char *const *dir = g_get_system_data_dirs (); *dir != NULL; dir++)
    mime_dirs = g_list_append (mime_dirs, g_build_filename (*dir, "mime", NULL));
  lb_test_init (&argc, &argv);

  /* A display of our own, the X11 backend, no accessibility bus, no
   * settings from the tester's session, and no session bus: the page gets
   * its own connection to the test's bus, and GTK (the file chooser) must
   * not hold one. */
  if (!start_xvfb (&why))
    {
      g_print ("SKIP: %s\n", why);
      return 77;
    }
  g_unsetenv ("WAYLAND_DISPLAY");
  g_setenv ("GDK_BACKEND", "x11", TRUE);
  g_setenv ("GSK_RENDERER", "cairo", TRUE);
  g_setenv ("GTK_A11Y", "none", TRUE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  /* lb_test_init() moved XDG_DATA_DIRS into a temporary directory, and
   * libadwaita 1.2 needs a schema source (it reads org.gnome.desktop.*). */
  g_setenv ("GSETTINGS_SCHEMA_DIR", LB_TEST_SCHEMA_DIR, FALSE);
  g_setenv ("DBUS_SESSION_BUS_ADDRESS", NO_SESSION_BUS, TRUE);
  /* English msgids, whatever the tester's locale. */
  gtk_disable_setlocale ();
  if (!gtk_init_check ())
    {
      g_print ("SKIP: cannot open the display %s\n", g_getenv ("DISPLAY"));
      stop_xvfb ();
      return 77;
    }
  adw_init ();

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/panel/load", test_load);
  ADD ("/panel/backup-now", test_backup_now);
  ADD ("/panel/follow", test_follow);
  ADD ("/panel/connecting", test_connecting);
  ADD ("/panel/cancel", test_cancel);
  ADD ("/panel/service-missing", test_service_missing);
  ADD ("/panel/errors", test_errors);
  ADD ("/panel/individualize", test_individualize);
  ADD ("/panel/individualize-refused", test_individualize_refused);
  ADD ("/panel/restore-limit", test_restore_limit);
  ADD ("/panel/choose-location", test_choose_location);
  ADD ("/panel/german", test_german);
  ADD ("/panel/apps", test_apps);
  ADD ("/panel/apps-update", test_apps_update);
  ADD ("/panel/apps-details", test_apps_details);
  ADD ("/panel/apps-sandboxed", test_apps_sandboxed);
  ADD ("/panel/automatic", test_automatic);
  ADD ("/panel/restore-generations", test_restore_generations);
  ADD ("/panel/check-backup", test_check_backup);
  ADD ("/panel/restore-damaged-newest", test_restore_damaged_newest);
  ADD ("/panel/only-current", test_only_current);
  ADD ("/panel/encrypt", test_encrypt);
  ADD ("/panel/encrypt-restore", test_encrypt_restore);
  ADD ("/panel/passphrase-reminder", test_passphrase_reminder);
#undef ADD

  status = g_test_run ();
  stop_xvfb ();
  if (status == 0 && tests_run > 0 && tests_skipped == tests_run)
    status = 77;
  return status;
}
