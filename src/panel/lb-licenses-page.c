/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* LbLicensesPage: the "Media Licenses" settings page; see lb-licenses-page.h.
 *
 * Its layout is a GtkBuilder template (lb-licenses-page.ui, in the panel's
 * GResource); this file fills it in and talks to the service through
 * liblicense-backup's LbClient.
 *
 * What it shows of an operation comes from the client's properties and its
 * LbClient::operation-completed signal, never from the replies to its own
 * calls: a backup started by the command-line client moves the same
 * progress bar, and ends with the same toast, as one started here. Its own
 * calls only add what needs an answer from the user (replace an existing
 * backup, bind licenses from another computer, choose a folder first), and
 * only for the operations it started itself; a refused start shows in the
 * error banner.
 *
 * The service may exit when it is idle: when it goes away the page starts
 * it again through D-Bus activation, and says that it is not available
 * only when that fails.
 *
 * The details of an operation (the licenses left out, with their apps) go
 * only to the client that started it and to subscribers: the page
 * subscribes, and the client renews that with every instance of the
 * service.
 */
#include "config.h"

#include "lb-licenses-page.h"
#include "lb-licenses-page-private.h"

#include <glib/gi18n-lib.h>
#include <license-backup/license-backup.h>
#include <string.h>

#include "lb-panel-apps.h"
#include "lb-panel-format.h"
#include "lb-panel-resources.h"

/* The licenses left out of an operation listed on the page; the rest are
 * only counted. */
#define MAX_DETAILS 200

/* The service exits when it has been idle for a while: the page starts it
 * again when it goes away, but not more often than this, so that a
 * service that dies at once is reported instead of restarted forever. */
#define RESTART_INTERVAL_US (30 * G_USEC_PER_SEC)

/* An app without an icon of its own in the apps group. */
#define GENERIC_APP_ICON "application-x-executable"

/* How often the page asks the user to type the passphrase of encrypted
 * backups again, to check that they still know it. */
#define PASSPHRASE_CHECK_INTERVAL_S (8 * 7 * 24 * 3600)
#define PANEL_SCHEMA "org.freedesktop.LicenseBackup1.Panel"

typedef enum
{
  PASSPHRASE_NONE,
  PASSPHRASE_TURN_ON, /* a new one, twice, to turn encryption on */
  PASSPHRASE_CHANGE,  /* a new one, twice */
  PASSPHRASE_OPEN,    /* an encrypted backup's, to restore or check it */
  PASSPHRASE_CHECK,   /* the keyring's, that the user still knows it */
} PassphraseAsk;

struct _LbLicensesPage
{
  AdwPreferencesPage parent_instance;

  GDBusConnection *connection; /* construct-only, may be NULL */
  GCancellable *cancellable;   /* the page's calls; cancelled when it goes */
  LbClient *client;
  GBinding *progress_binding;
  GBinding *cancelable_binding;
  LbLicensesPageState state;
  gboolean had_owner;
  gint64 last_restart_us;
  char *unavailable_reason; /* extra words for the unavailable page, or NULL */

  /* The operation this page started, from the call until its callback.
   * Cancelling own_cancellable cancels it in the service; closing the page
   * leaves it be. */
  gboolean own_pending;
  LbOperationType own_type;
  LbBackupFlags own_backup_flags;
  LbRestoreFlags own_restore_flags;
  GCancellable *own_cancellable;

  /* ListApps: one call at a time; a change meanwhile asks for another. */
  gboolean apps_pending;
  gboolean apps_again;

  /* The backups a restore may choose from, newest first, while asking. */
  GStrv generations;
  GtkDropDown *generation_list;
  char *own_generation; /* what the page's restore restores, NULL: the newest */

  GtkNativeDialog *chooser;
  LbOperationType chooser_type; /* whose folder it chooses */
  gboolean chooser_then_start;
  AdwMessageDialog *dialog;
  char *last_toast;
  guint tick_id;

  /* The template's widgets */
  AdwPreferencesGroup *banner_group;
  AdwActionRow *banner_row;
  GtkLinkButton *banner_link;
  GtkButton *banner_restore_button;
  /* The newest whole backup a failed restore named, and its folder (a
   * path or URI, or NULL for the service's), while the banner offers it. */
  char *whole_generation;
  char *whole_folder;

  AdwPreferencesGroup *unavailable_group;
  AdwStatusPage *unavailable_page;

  AdwPreferencesGroup *licenses_group;
  AdwActionRow *count_row;
  GtkLabel *count_label;
  AdwActionRow *last_backup_row;

  AdwPreferencesGroup *apps_group;
  GPtrArray *app_rows; /* the rows in apps_group, one per app */

  AdwPreferencesGroup *backup_group;
  AdwActionRow *backup_row;
  AdwComboRow *automatic_row;
  gboolean syncing_automatic; /* the page, not the user, sets its selection */
  AdwActionRow *encrypt_row;
  GtkSwitch *encrypt_switch;
  gboolean syncing_encrypt; /* the page, not the user, moves the switch */
  AdwActionRow *passphrase_row;
  GtkButton *passphrase_button;

  /* The passphrase dialog: what it asks for, and its entries. */
  PassphraseAsk passphrase_ask;
  GtkPasswordEntry *passphrase_entry;
  GtkPasswordEntry *passphrase_again_entry;
  /* The passphrase the page's restore or check gives (NULL: the
   * keyring's), and where that operation reads. */
  GBytes *own_passphrase;
  char *own_location;
  /* When the user last showed they know the passphrase (GSettings; NULL
   * when the schema is not installed: no reminders then). */
  GSettings *settings;
  gboolean check_asked; /* once per page at most */
  AdwActionRow *restore_row;
  AdwActionRow *progress_row;
  GtkProgressBar *progress_bar;
  GtkButton *cancel_button;
  GtkButton *backup_button;
  GtkButton *restore_button;
  GtkButton *check_button;

  AdwPreferencesGroup *result_group;
  GtkWidget *result_row;
};

G_DEFINE_FINAL_TYPE (LbLicensesPage, lb_licenses_page, ADW_TYPE_PREFERENCES_PAGE)

enum
{
  PROP_0,
  PROP_CONNECTION,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

static void sync_all (LbLicensesPage *self);
static void start_backup (LbLicensesPage *self, LbBackupFlags flags, const char *location);
static void start_restore (LbLicensesPage *self,
                           LbRestoreFlags flags,
                           const char *location,
                           const char *generation);
static void start_verify (LbLicensesPage *self);
static void choose_location (LbLicensesPage *self, LbOperationType type, gboolean then_start);

/* Helpers */

static gboolean
is_cancelled (const GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* A location as the user reads it: a path, or a URI GIO shows nicely. */
static char *
location_display_name (const char *location)
{
  g_autoptr (GFile) file = NULL;

  if (location == NULL || location[0] == '\0')
    return NULL;
  file = g_file_new_for_commandline_arg (location);
  return g_file_get_parse_name (file);
}

static GtkWindow *
parent_window (LbLicensesPage *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  return GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL;
}

static gboolean
service_running (LbLicensesPage *self)
{
  return self->client != NULL && lb_client_get_service_running (self->client);
}

/* Whether an operation runs, and its type in *@type */
static gboolean
current_operation (LbLicensesPage *self, LbOperationType *type)
{
  return self->client != NULL && lb_client_get_operation_type (self->client, type);
}

/* Toasts */

static void
show_toast (LbLicensesPage *self, const char *text)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);
  GtkWidget *window = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_PREFERENCES_WINDOW);
  g_autofree char *markup = g_markup_escape_text (text, -1);
  AdwToast *toast;

  g_free (self->last_toast);
  self->last_toast = g_strdup (text);
  if (overlay == NULL && window == NULL)
    return;
  toast = adw_toast_new (markup);
  adw_toast_set_timeout (toast, 8);
  if (overlay != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), toast);
  else
    adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (window), toast);
}

/* The error banner */

static void
clear_whole_generation (LbLicensesPage *self)
{
  g_clear_pointer (&self->whole_generation, g_free);
  g_clear_pointer (&self->whole_folder, g_free);
  gtk_widget_set_visible (GTK_WIDGET (self->banner_restore_button), FALSE);
}

static void
hide_banner (LbLicensesPage *self)
{
  gtk_widget_set_visible (GTK_WIDGET (self->banner_group), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->banner_link), FALSE);
  clear_whole_generation (self);
}

/* The page's scrolled window (AdwPreferencesPage's child). */
static GtkScrolledWindow *
page_scroller (LbLicensesPage *self)
{
  for (GtkWidget *w = gtk_widget_get_first_child (GTK_WIDGET (self)); w != NULL;
       w = gtk_widget_get_first_child (w))
    if (GTK_IS_SCROLLED_WINDOW (w))
      return GTK_SCROLLED_WINDOW (w);
  return NULL;
}

static void
show_banner (LbLicensesPage *self, const char *title, const char *message, const char *url)
{
  GtkScrolledWindow *scroller = page_scroller (self);

  clear_whole_generation (self);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->banner_row), title);
  adw_action_row_set_subtitle (self->banner_row, message);
  if (url != NULL)
    {
      gtk_link_button_set_uri (self->banner_link, url);
      gtk_link_button_set_visited (self->banner_link, FALSE);
      gtk_button_set_label (GTK_BUTTON (self->banner_link), url);
      gtk_label_set_ellipsize (GTK_LABEL (gtk_button_get_child (GTK_BUTTON (self->banner_link))),
                               PANGO_ELLIPSIZE_MIDDLE);
      gtk_label_set_max_width_chars (
          GTK_LABEL (gtk_button_get_child (GTK_BUTTON (self->banner_link))), 28);
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->banner_link), url);
      gtk_accessible_update_property (GTK_ACCESSIBLE (self->banner_link),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      _ ("Visit the Issuer’s Website"), -1);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->banner_link), url != NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->banner_group), TRUE);
  /* The banner is the page's first row: a user scrolled down (to Back Up
   * Now, or to the details of the last backup) must still see it. */
  if (scroller != NULL)
    gtk_adjustment_set_value (gtk_scrolled_window_get_vadjustment (scroller), 0);
}

static void
on_banner_dismiss (GtkButton *button, LbLicensesPage *self)
{
  hide_banner (self);
}

/* The outcome of the last operation */

static void
clear_result (LbLicensesPage *self)
{
  if (self->result_row != NULL)
    adw_preferences_group_remove (self->result_group, self->result_row);
  self->result_row = NULL;
  gtk_widget_set_visible (GTK_WIDGET (self->result_group), FALSE);
}

static char *
result_subtitle (LbOperationType type, LbOperationResult *result)
{
  gboolean restore = type == LB_OPERATION_TYPE_RESTORE;
  const char *location = lb_operation_result_get_location (result);
  g_autofree char *where = NULL;
  g_autofree char *size = NULL;
  GString *s = g_string_new (NULL);

  if (location != NULL && location[0] != '\0')
    {
      g_autoptr (GFile) file = g_file_new_for_uri (location);
      where = g_file_get_parse_name (file);
    }
  size = g_format_size (lb_operation_result_get_bytes (result));
  if (!restore && where != NULL)
    /* TRANSLATORS: the backup file and its size, e.g. "Saved to
     * /media/usb/licenses.lbk (1.2 MB)" */
    g_string_append_printf (s, _ ("Saved to %s (%s)"), where, size);
  else if (restore)
    {
      guint present = lb_operation_result_get_already_present (result);
      guint bound = lb_operation_result_get_individualized (result);
      g_autofree char *n_present = lb_panel_format_count (present);
      g_autofree char *n_bound = lb_panel_format_count (bound);

      if (where != NULL)
        /* TRANSLATORS: the backup file restored from */
        g_string_append_printf (s, _ ("Restored from %s"), where);
      if (present > 0)
        {
          if (s->len > 0)
            g_string_append_c (s, '\n');
          g_string_append_printf (
              s,
              g_dngettext (GETTEXT_PACKAGE, "%s license was already on this computer",
                           "%s licenses were already on this computer", present),
              n_present);
        }
      if (bound > 0)
        {
          if (s->len > 0)
            g_string_append_c (s, '\n');
          g_string_append_printf (s,
                                  g_dngettext (GETTEXT_PACKAGE,
                                               "%s license was bound to this computer",
                                               "%s licenses were bound to this computer", bound),
                                  n_bound);
        }
    }
  return g_string_free (s, FALSE);
}

static GtkWidget *
new_row (const char *title, const char *subtitle)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  if (subtitle != NULL)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  return row;
}

/* The licenses left out, with their apps and why, in an expander. */
static void
add_left_out (AdwExpanderRow *expander, LbOperationResult *result)
{
  g_auto (GStrv) key_ids = lb_operation_result_get_restricted_key_ids (result);
  g_auto (GStrv) apps = lb_operation_result_get_restricted_apps (result);
  g_auto (GStrv) reasons = lb_operation_result_get_restricted_reasons (result);
  guint skipped = lb_operation_result_get_restricted (result);
  /* app id -> its name: one look-up per app, not per license */
  g_autoptr (GHashTable) app_names
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  guint i;

  for (i = 0; i < MAX_DETAILS && key_ids[i] != NULL; i++)
    {
      g_autofree char *why = lb_panel_format_reason (reasons[i]);
      g_autofree char *with_app = NULL;

      /* A host program's license needs no name: most are. */
      if (apps[i][0] != '\0')
        {
          const char *name = g_hash_table_lookup (app_names, apps[i]);

          if (name == NULL)
            {
              name = lb_panel_app_name (apps[i], NULL);
              g_hash_table_insert (app_names, g_strdup (apps[i]), (char *) name);
            }
          with_app = lb_panel_format_app_reason (name, why);
        }
      adw_expander_row_add_row (expander, new_row (key_ids[i], with_app != NULL ? with_app : why));
    }
  if (skipped > i)
    {
      g_autofree char *more = lb_panel_format_count (skipped - i);
      g_autofree char *text = g_strdup_printf (
          g_dngettext (GETTEXT_PACKAGE, "and %s more license", "and %s more licenses", skipped - i),
          more);

      adw_expander_row_add_row (expander, new_row (text, NULL));
    }
}

static void
show_result (LbLicensesPage *self, LbOperationType type, LbOperationResult *result)
{
  guint skipped = lb_operation_result_get_restricted (result);
  g_autofree char *title
      = lb_panel_format_outcome (type, lb_operation_result_get_licenses (result), skipped);
  g_autofree char *subtitle = result_subtitle (type, result);
  gboolean restore = type == LB_OPERATION_TYPE_RESTORE;
  const char *icon = skipped > 0 ? "dialog-warning-symbolic" : "emblem-ok-symbolic";
  GtkWidget *image;

  clear_result (self);
  adw_preferences_group_set_title (self->result_group,
                                   restore ? _ ("Restore Finished") : _ ("Backup Finished"));
  if (skipped == 0)
    {
      self->result_row = new_row (title, subtitle[0] != '\0' ? subtitle : NULL);
      adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (self->result_row), 0);
    }
  else
    {
      AdwExpanderRow *expander = ADW_EXPANDER_ROW (adw_expander_row_new ());

      self->result_row = GTK_WIDGET (expander);
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (expander), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (expander), title);
      if (subtitle[0] != '\0')
        adw_expander_row_set_subtitle (expander, subtitle);
      add_left_out (expander, result);
    }
  image = gtk_image_new_from_icon_name (icon);
  gtk_widget_add_css_class (image, skipped > 0 ? "warning" : "success");
  if (ADW_IS_EXPANDER_ROW (self->result_row))
    adw_expander_row_add_prefix (ADW_EXPANDER_ROW (self->result_row), image);
  else
    adw_action_row_add_prefix (ADW_ACTION_ROW (self->result_row), image);
  adw_preferences_group_add (self->result_group, self->result_row);
  gtk_widget_set_visible (GTK_WIDGET (self->result_group), TRUE);
}

/* The apps holding licenses */

typedef struct
{
  char *id;
  char *name;
  char *sort_key;
  GIcon *icon; /* or NULL */
  guint32 licenses;
} App;

static void
app_free (gpointer p)
{
  App *app = p;

  g_free (app->id);
  g_free (app->name);
  g_free (app->sort_key);
  g_clear_object (&app->icon);
  g_free (app);
}

static int
compare_apps (gconstpointer a, gconstpointer b)
{
  const App *x = *(App *const *) a;
  const App *y = *(App *const *) b;

  /* By name, as the user reads them; "Other apps" last. */
  if ((x->id[0] == '\0') != (y->id[0] == '\0'))
    return x->id[0] == '\0' ? 1 : -1;
  return strcmp (x->sort_key, y->sort_key);
}

static void
clear_apps (LbLicensesPage *self)
{
  for (guint i = 0; i < self->app_rows->len; i++)
    adw_preferences_group_remove (self->apps_group, self->app_rows->pdata[i]);
  g_ptr_array_set_size (self->app_rows, 0);
}

static GtkWidget *
app_row (const App *app)
{
  g_autofree char *count = lb_panel_format_licenses (app->licenses);
  GtkWidget *row = new_row (app->name, count);
  GtkWidget *image = app->icon != NULL ? gtk_image_new_from_gicon (app->icon)
                                       : gtk_image_new_from_icon_name (GENERIC_APP_ICON);

  /* As GNOME Settings shows apps in its lists. */
  gtk_image_set_pixel_size (GTK_IMAGE (image), 32);
  gtk_widget_add_css_class (image, "lowres-icon");
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), image);
  return row;
}

/* @apps: ListApps' a(sa{sv}) */
static void
show_apps (LbLicensesPage *self, GPtrArray *apps)
{
  g_autoptr (GPtrArray) list = g_ptr_array_new_with_free_func (app_free);

  for (guint i = 0; i < apps->len; i++)
    {
      App *app = g_new0 (App, 1);
      g_autofree char *folded = NULL;

      app->id = g_strdup (lb_app_get_id (apps->pdata[i]));
      app->name = lb_panel_app_name (app->id, &app->icon);
      folded = g_utf8_casefold (app->name, -1);
      app->sort_key = g_utf8_collate_key (folded, -1);
      app->licenses = lb_app_get_licenses (apps->pdata[i]);
      g_ptr_array_add (list, app);
    }
  g_ptr_array_sort (list, compare_apps);

  clear_apps (self);
  for (guint i = 0; i < list->len; i++)
    {
      GtkWidget *row = app_row (list->pdata[i]);

      adw_preferences_group_add (self->apps_group, row);
      g_ptr_array_add (self->app_rows, row);
    }
}

static void refresh_apps (LbLicensesPage *self);

static void
on_apps_listed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  LbLicensesPage *self = user_data;
  g_autoptr (GPtrArray) apps = NULL;
  g_autoptr (GError) error = NULL;

  apps = lb_client_list_apps_finish (LB_CLIENT (source), result, &error);
  if (is_cancelled (error))
    return;
  self->apps_pending = FALSE;
  if (self->apps_again)
    {
      /* The store changed meanwhile: this answer is old already. */
      refresh_apps (self);
      return;
    }
  if (apps == NULL)
    {
      /* LB_ERROR_PERMISSION_DENIED (the page runs sandboxed) or a service
       * older than per-app licenses: the page does without the group. */
      g_debug ("ListApps: %s", error->message);
      clear_apps (self);
    }
  else
    show_apps (self, apps);
  sync_all (self);
}

static void
refresh_apps (LbLicensesPage *self)
{
  if (!service_running (self))
    return;
  if (self->apps_pending)
    {
      self->apps_again = TRUE;
      return;
    }
  self->apps_pending = TRUE;
  self->apps_again = FALSE;
  lb_client_list_apps_async (self->client, self->cancellable, on_apps_listed, self);
}

/* Questions */

static void
close_dialog (LbLicensesPage *self)
{
  if (self->dialog != NULL)
    {
      AdwMessageDialog *dialog = g_steal_pointer (&self->dialog);
      gtk_window_destroy (GTK_WINDOW (dialog));
      g_object_unref (dialog);
    }
  self->passphrase_ask = PASSPHRASE_NONE;
  self->passphrase_entry = NULL;
  self->passphrase_again_entry = NULL;
}

static void
on_replace_response (AdwMessageDialog *dialog, const char *response, LbLicensesPage *self)
{
  g_clear_object (&self->dialog);
  if (g_strcmp0 (response, "replace") == 0)
    start_backup (self, LB_BACKUP_FLAGS_OVERWRITE, NULL);
  sync_all (self);
}

static void
on_individualize_response (AdwMessageDialog *dialog, const char *response, LbLicensesPage *self)
{
  g_clear_object (&self->dialog);
  if (g_strcmp0 (response, "restore") == 0)
    start_restore (self, LB_RESTORE_FLAGS_INDIVIDUALIZE, NULL, self->own_generation);
  sync_all (self);
}

static void
ask (LbLicensesPage *self,
     const char *heading,
     const char *body,
     const char *yes_id,
     const char *yes_label,
     AdwResponseAppearance yes_appearance,
     GCallback on_response)
{
  GtkWidget *dialog;

  close_dialog (self);
  dialog = adw_message_dialog_new (parent_window (self), heading, body);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _ ("_Cancel"), yes_id,
                                    yes_label, NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), yes_id, yes_appearance);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  gtk_window_set_modal (GTK_WINDOW (dialog), TRUE);
  g_signal_connect (dialog, "response", on_response, self);
  self->dialog = g_object_ref (ADW_MESSAGE_DIALOG (dialog));
  gtk_window_present (GTK_WINDOW (dialog));
  sync_all (self);
}

static void
ask_replace (LbLicensesPage *self)
{
  g_autofree char *where = location_display_name (lb_client_get_backup_path (self->client));
  guint keep = lb_client_get_keep_backups (self->client);
  g_autofree char *body = NULL;

  /* Keeping one backup is another sentence, not a plural form of the
   * other: ngettext chooses plural forms only (a language's "one" form may
   * also cover 21 or 31). */
  if (keep == 1)
    body = g_strdup_printf (_ ("%s already holds license backups. The new backup is added beside "
                               "them, and the folder keeps only the newest backup of this "
                               "computer: licenses that are only in older backups are lost."),
                            where != NULL ? where : "?");
  else
    body = g_strdup_printf (
        g_dngettext (GETTEXT_PACKAGE,
                     "%s already holds license backups. The new backup is added beside them, "
                     "and the folder keeps the newest %u: licenses that are only in older "
                     "backups are lost.",
                     "%s already holds license backups. The new backup is added beside them, "
                     "and the folder keeps the newest %u: licenses that are only in older "
                     "backups are lost.",
                     keep),
        where != NULL ? where : "?", keep);

  ask (self, _ ("Add a backup to this folder?"), body, "replace", _ ("_Back Up"),
       ADW_RESPONSE_SUGGESTED, G_CALLBACK (on_replace_response));
}

static void
ask_individualize (LbLicensesPage *self)
{
  ask (self, _ ("Restore licenses from another computer?"),
       _ ("These licenses were backed up on another computer. Restoring them here binds "
          "(“individualizes”) them to this computer: they will play here, and each restore "
          "counts against the number of restores their issuer allows."),
       "restore", _ ("_Restore and Bind"), ADW_RESPONSE_SUGGESTED,
       G_CALLBACK (on_individualize_response));
}

/* Passphrases */

static gboolean
needs_passphrase (const GError *error)
{
  return g_error_matches (error, LB_ERROR, LB_ERROR_PASSPHRASE_REQUIRED)
         || g_error_matches (error, LB_ERROR, LB_ERROR_BAD_PASSPHRASE);
}

static GBytes *
entry_bytes (GtkPasswordEntry *entry)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (entry));

  return g_bytes_new (text, strlen (text));
}

/* The user has just shown they know the passphrase: the next reminder is
 * PASSPHRASE_CHECK_INTERVAL_S from now. */
static void
passphrase_known_now (LbLicensesPage *self)
{
  if (self->settings != NULL)
    g_settings_set_int64 (self->settings, "passphrase-checked",
                          g_get_real_time () / G_USEC_PER_SEC);
}

static void
on_passphrase_changed (GtkEditable *editable, LbLicensesPage *self)
{
  const char *first;
  gboolean ok;

  if (self->dialog == NULL || self->passphrase_entry == NULL)
    return;
  first = gtk_editable_get_text (GTK_EDITABLE (self->passphrase_entry));
  ok = first[0] != '\0';
  /* A new passphrase is typed twice, the same. */
  if (self->passphrase_again_entry != NULL)
    ok = ok
         && g_str_equal (first,
                         gtk_editable_get_text (GTK_EDITABLE (self->passphrase_again_entry)));
  adw_message_dialog_set_response_enabled (self->dialog, "ok", ok);
}

static void
on_passphrase_activate (GtkPasswordEntry *entry, LbLicensesPage *self)
{
  if (self->dialog != NULL && adw_message_dialog_get_response_enabled (self->dialog, "ok"))
    adw_message_dialog_response (self->dialog, "ok");
}

static GtkPasswordEntry *
passphrase_entry_new (LbLicensesPage *self, const char *label)
{
  GtkWidget *entry = gtk_password_entry_new ();

  gtk_password_entry_set_show_peek_icon (GTK_PASSWORD_ENTRY (entry), TRUE);
  g_object_set (entry, "placeholder-text", label, NULL);
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
  g_signal_connect (entry, "changed", G_CALLBACK (on_passphrase_changed), self);
  g_signal_connect (entry, "activate", G_CALLBACK (on_passphrase_activate), self);
  return GTK_PASSWORD_ENTRY (entry);
}

static void
on_passphrase_response (AdwMessageDialog *dialog, const char *response, LbLicensesPage *self);

/* The passphrase dialog: @twice for a new passphrase. */
static void
ask_passphrase (LbLicensesPage *self,
                PassphraseAsk what,
                const char *heading,
                const char *body,
                const char *ok_label,
                const char *cancel_label,
                gboolean twice)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);

  ask (self, heading, body, "ok", ok_label, ADW_RESPONSE_SUGGESTED,
       G_CALLBACK (on_passphrase_response));
  if (cancel_label != NULL)
    adw_message_dialog_set_response_label (self->dialog, "cancel", cancel_label);
  self->passphrase_ask = what;
  self->passphrase_entry = passphrase_entry_new (self, _ ("Passphrase"));
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->passphrase_entry));
  self->passphrase_again_entry = NULL;
  if (twice)
    {
      self->passphrase_again_entry = passphrase_entry_new (self, _ ("Passphrase Again"));
      gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->passphrase_again_entry));
    }
  adw_message_dialog_set_extra_child (self->dialog, box);
  adw_message_dialog_set_response_enabled (self->dialog, "ok", FALSE);
}

static void
ask_new_passphrase (LbLicensesPage *self, gboolean change)
{
  if (change)
    ask_passphrase (self, PASSPHRASE_CHANGE, _ ("Change the Passphrase?"),
                    _ ("Backups made from now on are encrypted with the new passphrase. The "
                       "backups made before keep the old one: keep it too, as long as you keep "
                       "them. Type the new passphrase twice."),
                    _ ("_Change"), NULL, TRUE);
  else
    ask_passphrase (self, PASSPHRASE_TURN_ON, _ ("Encrypt Backups?"),
                    _ ("New backups, automatic ones too, are encrypted with a passphrase, which "
                       "your keyring keeps. Without the passphrase they cannot be restored, on "
                       "this computer or another: keep it somewhere safe. Type it twice."),
                    _ ("_Encrypt"), NULL, TRUE);
}

static void
ask_open_passphrase (LbLicensesPage *self, gboolean bad)
{
  gboolean verify = self->own_type == LB_OPERATION_TYPE_VERIFY;
  const char *body;

  if (bad && self->own_passphrase != NULL)
    body = _ ("That passphrase does not open this backup. It may have been made with an older "
              "passphrase.");
  else if (bad)
    body = _ ("This backup is encrypted with another passphrase than the one your keyring "
              "keeps. Type the passphrase it was made with.");
  else if (verify)
    body = _ ("This backup is encrypted. Type its passphrase to check it.");
  else
    body = _ ("This backup is encrypted. Type its passphrase to restore it.");
  ask_passphrase (self, PASSPHRASE_OPEN, _ ("Passphrase Needed"), body,
                  verify ? _ ("_Check") : _ ("_Restore"), NULL, FALSE);
}

static void
ask_check_passphrase (LbLicensesPage *self, gboolean wrong)
{
  self->check_asked = TRUE;
  ask_passphrase (
      self, PASSPHRASE_CHECK, _ ("Do You Still Know the Passphrase?"),
      wrong ? _ ("That is not the passphrase of your backups. Try again, or change the "
                 "passphrase if you have forgotten it: backups made from then on use the new "
                 "one. Nothing changes if you skip this.")
            : _ ("Without the passphrase, your encrypted backups cannot be restored on another "
                 "computer. Type it once more to check that you still know it. Nothing changes "
                 "if you skip this; you will be asked again in 8 weeks."),
      _ ("_Check"), _ ("_Skip"), FALSE);
}

typedef struct
{
  LbLicensesPage *self; /* strong */
  PassphraseAsk what;
} EncryptionCall;

static void
on_encryption_set (GObject *source, GAsyncResult *result, gpointer user_data)
{
  EncryptionCall *call = user_data;
  g_autoptr (LbLicensesPage) self = call->self;
  PassphraseAsk what = call->what;
  g_autoptr (GError) error = NULL;

  g_free (call);
  if (!lb_client_set_encryption_finish (LB_CLIENT (source), result, &error))
    {
      if (!is_cancelled (error))
        show_banner (self,
                     what == PASSPHRASE_CHANGE    ? _ ("Cannot Change the Passphrase")
                     : what == PASSPHRASE_TURN_ON ? _ ("Cannot Encrypt Backups")
                                                  : _ ("Cannot Stop Encrypting Backups"),
                     error->message, NULL);
      sync_all (self); /* the switch goes back to the service's setting */
      return;
    }
  if (what == PASSPHRASE_CHANGE)
    show_toast (self, _ ("Passphrase changed; older backups keep the old one"));
  else if (what == PASSPHRASE_TURN_ON)
    show_toast (self, _ ("New backups are encrypted"));
  if (what != PASSPHRASE_NONE)
    passphrase_known_now (self);
  sync_all (self);
}

static void
set_encryption (LbLicensesPage *self, gboolean encrypt, GBytes *passphrase, PassphraseAsk what)
{
  EncryptionCall *call = g_new0 (EncryptionCall, 1);

  call->self = g_object_ref (self);
  call->what = what;
  hide_banner (self);
  lb_client_set_encryption_async (self->client, encrypt, passphrase, FALSE, self->cancellable,
                                  on_encryption_set, call);
}

static void
on_passphrase_checked (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (LbLicensesPage) self = user_data;
  g_autoptr (GError) error = NULL;
  gboolean matches = lb_client_check_passphrase_finish (LB_CLIENT (source), result, &error);

  if (is_cancelled (error) || self->client != LB_CLIENT (source))
    return;
  if (error != NULL)
    show_banner (self, _ ("Cannot Check the Passphrase"), error->message, NULL);
  else if (matches)
    {
      passphrase_known_now (self);
      show_toast (self, _ ("That is the passphrase of your backups"));
    }
  else
    ask_check_passphrase (self, TRUE);
  sync_all (self);
}

static void
on_passphrase_response (AdwMessageDialog *dialog, const char *response, LbLicensesPage *self)
{
  PassphraseAsk what = self->passphrase_ask;
  g_autoptr (GBytes) passphrase = NULL;
  gboolean ok = g_strcmp0 (response, "ok") == 0;

  if (ok && self->passphrase_entry != NULL)
    passphrase = entry_bytes (self->passphrase_entry);
  g_clear_object (&self->dialog);
  self->passphrase_ask = PASSPHRASE_NONE;
  self->passphrase_entry = NULL;
  self->passphrase_again_entry = NULL;
  if (self->client == NULL)
    return;
  switch (what)
    {
    case PASSPHRASE_TURN_ON:
    case PASSPHRASE_CHANGE:
      if (ok)
        set_encryption (self, TRUE, passphrase, what);
      break;
    case PASSPHRASE_OPEN:
      if (!ok)
        break;
      g_clear_pointer (&self->own_passphrase, g_bytes_unref);
      self->own_passphrase = g_steal_pointer (&passphrase);
      if (self->own_type == LB_OPERATION_TYPE_VERIFY)
        start_verify (self);
      else
        {
          g_autofree char *location = g_strdup (self->own_location);
          g_autofree char *generation = g_strdup (self->own_generation);

          start_restore (self, self->own_restore_flags, location, generation);
        }
      break;
    case PASSPHRASE_CHECK:
      /* Skipping changes nothing; the next reminder comes in 8 weeks. */
      if (ok)
        lb_client_check_passphrase_async (self->client, passphrase, self->cancellable,
                                          on_passphrase_checked, g_object_ref (self));
      else
        passphrase_known_now (self);
      break;
    case PASSPHRASE_NONE:
    default:
      break;
    }
  sync_all (self);
}

static void
on_encrypt_switched (GtkSwitch *sw, GParamSpec *pspec, LbLicensesPage *self)
{
  gboolean on = gtk_switch_get_active (sw);

  if (self->syncing_encrypt || self->client == NULL
      || on == lb_client_get_encrypt_backups (self->client))
    return;
  if (on)
    ask_new_passphrase (self, FALSE); /* on only once the user typed one */
  else
    set_encryption (self, FALSE, NULL, PASSPHRASE_NONE);
  sync_all (self);
}

static void
on_change_passphrase_clicked (GtkButton *button, LbLicensesPage *self)
{
  if (self->client != NULL)
    ask_new_passphrase (self, TRUE);
}

/* Every PASSPHRASE_CHECK_INTERVAL_S while backups are encrypted, once the
 * page is idle: does the user still know the passphrase? The time is the
 * page's own (GSettings): the service has no use for it, and a user who
 * skips is asked again later. */
static void
maybe_remind_passphrase (LbLicensesPage *self)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 checked;

  if (self->settings == NULL || self->client == NULL || self->check_asked
      || self->state != LB_LICENSES_PAGE_READY || !lb_client_get_encrypt_backups (self->client)
      || self->dialog != NULL || self->chooser != NULL || self->own_pending)
    return;
  checked = g_settings_get_int64 (self->settings, "passphrase-checked");
  if (checked <= 0 || checked > now)
    {
      /* Encrypted elsewhere (the command line), or a clock set back: count
       * from now. */
      passphrase_known_now (self);
      return;
    }
  if (now - checked >= PASSPHRASE_CHECK_INTERVAL_S)
    ask_check_passphrase (self, FALSE);
}

/* Locations */

typedef struct
{
  LbLicensesPage *self;
  LbOperationType type; /* whose folder */
  gboolean then_start;
  char *location;
} SetLocation;

static void
on_location_set (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SetLocation *data = user_data;
  LbLicensesPage *self = data->self;
  g_autoptr (GError) error = NULL;
  g_autofree char *location = g_steal_pointer (&data->location);
  gboolean restore = data->type == LB_OPERATION_TYPE_RESTORE;
  gboolean then_start = data->then_start;
  gboolean ok;

  g_free (data);
  ok = restore ? lb_client_set_restore_path_finish (LB_CLIENT (source), result, &error)
               : lb_client_set_backup_path_finish (LB_CLIENT (source), result, &error);
  if (is_cancelled (error))
    return;
  if (!ok)
    {
      show_banner (self,
                   restore ? _ ("Cannot Set the Restore Location")
                           : _ ("Cannot Set the Backup Location"),
                   error->message, NULL);
      return;
    }
  /* The new value may not have reached the client's properties yet: name
   * it. */
  if (then_start && restore)
    start_restore (self, LB_RESTORE_FLAGS_NONE, location, NULL);
  else if (then_start)
    start_backup (self, LB_BACKUP_FLAGS_NONE, location);
}

static void
set_location (LbLicensesPage *self, LbOperationType type, GFile *folder, gboolean then_start)
{
  SetLocation *data = g_new0 (SetLocation, 1);

  data->self = self;
  data->type = type;
  data->then_start = then_start;
  data->location = g_file_is_native (folder) ? g_file_get_path (folder) : g_file_get_uri (folder);
  if (type == LB_OPERATION_TYPE_RESTORE)
    lb_client_set_restore_path_async (self->client, data->location, self->cancellable,
                                      on_location_set, data);
  else
    lb_client_set_backup_path_async (self->client, data->location, self->cancellable,
                                     on_location_set, data);
}

static void
on_chooser_response (GtkNativeDialog *chooser, int response, LbLicensesPage *self)
{
  g_autoptr (GFile) folder = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    folder = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  gtk_native_dialog_destroy (chooser);
  g_clear_object (&self->chooser);
  if (folder != NULL && self->client != NULL)
    set_location (self, self->chooser_type, folder, self->chooser_then_start);
  sync_all (self);
}

static void
choose_location (LbLicensesPage *self, LbOperationType type, gboolean then_start)
{
  gboolean restore = type == LB_OPERATION_TYPE_RESTORE;
  const char *current = restore ? lb_client_get_restore_path (self->client)
                                : lb_client_get_backup_path (self->client);
  GtkFileChooserNative *chooser;

  if (self->chooser != NULL)
    return;
  chooser = gtk_file_chooser_native_new (
      restore ? _ ("Choose the Folder to Restore From") : _ ("Choose the Folder to Back Up To"),
      parent_window (self), GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER, _ ("_Select"), _ ("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  if (current != NULL && current[0] != '\0')
    {
      g_autoptr (GFile) folder = g_file_new_for_commandline_arg (current);
      gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (chooser), folder, NULL);
    }
  self->chooser = GTK_NATIVE_DIALOG (chooser);
  self->chooser_type = type;
  self->chooser_then_start = then_start;
  g_signal_connect (chooser, "response", G_CALLBACK (on_chooser_response), self);
  gtk_native_dialog_show (self->chooser);
  sync_all (self);
}

static void
on_choose_backup (GtkButton *button, LbLicensesPage *self)
{
  choose_location (self, LB_OPERATION_TYPE_BACKUP, FALSE);
}

static void
on_choose_restore (GtkButton *button, LbLicensesPage *self)
{
  choose_location (self, LB_OPERATION_TYPE_RESTORE, FALSE);
}

/* Starting and cancelling */

/* The end of an operation this page started. LbClient::operation-completed
 * has shown how it ended, whoever started it; what is left is what only
 * the starter learns: that it was refused at once, or that it needs the
 * user's consent. The page may have gone meanwhile (@user_data holds it). */
static void
on_operation_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (LbLicensesPage) self = user_data;
  LbClient *client = LB_CLIENT (source);
  LbOperationType type = self->own_type;
  gboolean restore = type == LB_OPERATION_TYPE_RESTORE;
  g_autoptr (LbOperationResult) done = NULL;
  g_autoptr (LbOperationResult) failed = NULL;
  g_autoptr (GError) error = NULL;

  if (restore)
    done = lb_client_restore_with_passphrase_finish (client, result, &error);
  else if (type == LB_OPERATION_TYPE_VERIFY)
    done = lb_client_verify_with_passphrase_finish (client, result, &error);
  else
    done = lb_client_backup_finish (client, result, &error);
  if (self->client != client)
    return;
  self->own_pending = FALSE;
  g_clear_object (&self->own_cancellable);
  if (done != NULL)
    {
      sync_all (self);
      return;
    }
  /* An encrypted backup without the keyring's passphrase, or with
   * another: the user's passphrase, in place of the banner. */
  if (type != LB_OPERATION_TYPE_BACKUP && needs_passphrase (error))
    {
      hide_banner (self);
      ask_open_passphrase (self, g_error_matches (error, LB_ERROR, LB_ERROR_BAD_PASSPHRASE));
      sync_all (self);
      return;
    }

  failed = lb_client_get_failed_result (client, result);
  if (failed != NULL)
    {
      /* It ran, and the banner says how it failed; but a restore from
       * another computer only needs the user's yes. */
      if (restore && g_error_matches (error, LB_ERROR, LB_ERROR_NEEDS_INDIVIDUALIZATION)
          && !(self->own_restore_flags & LB_RESTORE_FLAGS_INDIVIDUALIZE))
        {
          hide_banner (self);
          ask_individualize (self);
        }
      sync_all (self);
      return;
    }

  /* Refused before it started. */
  if (!restore && g_error_matches (error, LB_ERROR, LB_ERROR_BACKUP_EXISTS)
      && !(self->own_backup_flags & LB_BACKUP_FLAGS_OVERWRITE))
    ask_replace (self);
  else if (g_error_matches (error, LB_ERROR, LB_ERROR_NOT_SET))
    choose_location (self, type, TRUE);
  else if (!service_running (self) || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED))
    ; /* the page says the service is gone */
  else
    {
      g_autofree char *message = lb_panel_format_error (type, error);

      show_banner (self,
                   restore                            ? _ ("Cannot Start the Restore")
                   : type == LB_OPERATION_TYPE_VERIFY ? _ ("Cannot Start the Check")
                                                      : _ ("Cannot Start the Backup"),
                   message, NULL);
    }
  sync_all (self);
}

/* Whether a backup or restore may start now; asks for a folder first when
 * @location is NULL and the service has none. */
static gboolean
may_start (LbLicensesPage *self, LbOperationType type, const char *location)
{
  gboolean restore = type == LB_OPERATION_TYPE_RESTORE;

  if (self->client == NULL || self->own_pending)
    return FALSE;
  if (location == NULL)
    {
      const char *path = restore ? lb_client_get_restore_path (self->client)
                                 : lb_client_get_backup_path (self->client);

      /* Without a restore folder the service uses the backup folder. */
      if (restore && path[0] == '\0')
        path = lb_client_get_backup_path (self->client);
      if (path[0] == '\0')
        {
          choose_location (self, type, TRUE);
          return FALSE;
        }
    }
  hide_banner (self);
  self->own_pending = TRUE;
  self->own_type = type;
  self->own_backup_flags = LB_BACKUP_FLAGS_NONE;
  self->own_restore_flags = LB_RESTORE_FLAGS_NONE;
  g_clear_object (&self->own_cancellable);
  self->own_cancellable = g_cancellable_new ();
  return TRUE;
}

/* A backup to @location, or to the service's location when it is NULL. */
static void
start_backup (LbLicensesPage *self, LbBackupFlags flags, const char *location)
{
  if (!may_start (self, LB_OPERATION_TYPE_BACKUP, location))
    return;
  self->own_backup_flags = flags;
  lb_client_backup_async (self->client, flags, location, self->own_cancellable, on_operation_done,
                          g_object_ref (self));
  sync_all (self);
}

static void
start_restore (LbLicensesPage *self,
               LbRestoreFlags flags,
               const char *location,
               const char *generation)
{
  g_autofree char *chosen = g_strdup (generation); /* may be own_generation */

  if (!may_start (self, LB_OPERATION_TYPE_RESTORE, location))
    return;
  self->own_restore_flags = flags;
  g_free (self->own_generation);
  self->own_generation = g_steal_pointer (&chosen);
  g_free (self->own_location);
  self->own_location = g_strdup (location);
  lb_client_restore_with_passphrase_async (self->client, flags, location, self->own_generation,
                                           self->own_passphrase, self->own_cancellable,
                                           on_operation_done, g_object_ref (self));
  sync_all (self);
}

/* A check of the newest backup in the backup folder. */
static void
start_verify (LbLicensesPage *self)
{
  g_autofree char *location = NULL;

  if (self->client == NULL)
    return;
  location = g_strdup (lb_client_get_backup_path (self->client));
  if (location[0] == '\0')
    {
      choose_location (self, LB_OPERATION_TYPE_BACKUP, FALSE);
      return;
    }
  if (!may_start (self, LB_OPERATION_TYPE_VERIFY, location))
    return;
  g_free (self->own_location);
  self->own_location = g_strdup (location);
  lb_client_verify_with_passphrase_async (self->client, LB_VERIFY_FLAGS_NONE, location, NULL,
                                          self->own_passphrase, self->own_cancellable,
                                          on_operation_done, g_object_ref (self));
  sync_all (self);
}

static void
on_check_clicked (GtkButton *button, LbLicensesPage *self)
{
  g_clear_pointer (&self->own_passphrase, g_bytes_unref);
  start_verify (self);
}

/* The banner's offer after a restore found the newest backup damaged: the
 * user chose the newest whole one. */
static void
on_banner_restore_clicked (GtkButton *button, LbLicensesPage *self)
{
  g_autofree char *generation = g_strdup (self->whole_generation);
  g_autofree char *folder = g_strdup (self->whole_folder);

  if (generation == NULL)
    return;
  start_restore (self, LB_RESTORE_FLAGS_NONE, folder, generation);
}

static void
on_backup_clicked (GtkButton *button, LbLicensesPage *self)
{
  start_backup (self, LB_BACKUP_FLAGS_NONE, NULL);
}

static void
on_generation_response (AdwMessageDialog *dialog, const char *response, LbLicensesPage *self)
{
  guint selected = self->generation_list != NULL
                       ? gtk_drop_down_get_selected (self->generation_list)
                       : GTK_INVALID_LIST_POSITION;
  g_autofree char *generation = NULL;

  g_clear_object (&self->dialog);
  self->generation_list = NULL;
  /* The newest is restored unnamed, so that the service, when it finds it
   * damaged, names the newest whole backup instead (the banner offers it). */
  if (self->generations != NULL && selected > 0 && selected < g_strv_length (self->generations))
    generation = g_strdup (self->generations[selected]);
  g_clear_pointer (&self->generations, g_strfreev);
  g_clear_pointer (&self->own_passphrase, g_bytes_unref);
  if (g_strcmp0 (response, "restore") == 0)
    start_restore (self, LB_RESTORE_FLAGS_NONE, NULL, generation);
  sync_all (self);
}

/* The folder keeps several backups: which one? The newest is chosen. */
static void
ask_generation (LbLicensesPage *self, GPtrArray *backups)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) labels = g_ptr_array_new_with_free_func (g_free);
  GtkWidget *list;

  for (guint i = 0; i < backups->len; i++)
    {
      LbBackup *backup = backups->pdata[i];
      /* When it was really made, and where, from its manifest: the name
       * orders the backups but need not be the time. */
      gint64 time = lb_backup_get_format_version (backup) != 0 ? lb_backup_get_created (backup)
                                                               : lb_backup_get_time (backup);

      g_ptr_array_add (labels, lb_panel_format_generation (time, lb_backup_get_bytes (backup),
                                                           lb_backup_get_host (backup), i == 0));
      g_ptr_array_add (names, g_strdup (lb_backup_get_name (backup)));
    }
  g_ptr_array_add (names, NULL);
  g_ptr_array_add (labels, NULL);
  g_strfreev (self->generations);
  self->generations = (GStrv) g_ptr_array_steal (names, NULL);

  ask (self, _ ("Restore Which Backup?"),
       _ ("The folder keeps several backups. The newest holds the licenses of the last backup; "
          "an older one may still hold licenses deleted since. Licenses already on this computer "
          "are left alone."),
       "restore", _ ("_Restore"), ADW_RESPONSE_SUGGESTED, G_CALLBACK (on_generation_response));
  list = gtk_drop_down_new_from_strings ((const char *const *) labels->pdata);
  gtk_accessible_update_property (GTK_ACCESSIBLE (list), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _ ("Backup to restore"), -1);
  self->generation_list = GTK_DROP_DOWN (list);
  adw_message_dialog_set_extra_child (self->dialog, list);
}

static void
on_backups_listed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (LbLicensesPage) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) backups
      = lb_client_list_backups_finish (LB_CLIENT (source), result, &error);

  if (is_cancelled (error) || self->client != LB_CLIENT (source))
    return;
  self->own_pending = FALSE;
  /* One backup, or none, or a folder that cannot be listed: the restore
   * itself says what is wrong. */
  g_clear_pointer (&self->own_passphrase, g_bytes_unref);
  if (backups != NULL && backups->len > 1)
    ask_generation (self, backups);
  else
    start_restore (self, LB_RESTORE_FLAGS_NONE, NULL, NULL);
  sync_all (self);
}

static void
on_restore_clicked (GtkButton *button, LbLicensesPage *self)
{
  if (self->client == NULL || self->own_pending)
    return;
  /* Which backups there are, before asking which one. */
  hide_banner (self);
  self->own_pending = TRUE;
  lb_client_list_backups_async (self->client, NULL, self->cancellable, on_backups_listed,
                                g_object_ref (self));
  sync_all (self);
}

static void
on_automatic_set (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (LbLicensesPage) self = user_data;
  g_autoptr (GError) error = NULL;

  if (lb_client_set_automatic_backup_finish (LB_CLIENT (source), result, &error)
      || is_cancelled (error))
    return;
  show_banner (self, _ ("Cannot Change the Automatic Backups"), error->message, NULL);
  sync_all (self); /* back to the service's setting */
}

static void
on_automatic_selected (AdwComboRow *row, GParamSpec *pspec, LbLicensesPage *self)
{
  guint selected = adw_combo_row_get_selected (row);

  if (self->syncing_automatic || self->client == NULL || selected == GTK_INVALID_LIST_POSITION
      || selected == (guint) lb_client_get_automatic_backup (self->client))
    return;
  lb_client_set_automatic_backup_async (self->client, (LbAutomaticBackup) selected,
                                        self->cancellable, on_automatic_set, g_object_ref (self));
}

static void
on_cancel_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;
  LbOperationType type = GPOINTER_TO_INT (user_data);
  gboolean ok;

  if (type == LB_OPERATION_TYPE_RESTORE)
    ok = lb_client_cancel_restore_finish (LB_CLIENT (source), result, &error);
  else if (type == LB_OPERATION_TYPE_VERIFY)
    ok = lb_client_cancel_verify_finish (LB_CLIENT (source), result, &error);
  else
    ok = lb_client_cancel_backup_finish (LB_CLIENT (source), result, &error);

  /* LB_ERROR_NOT_RUNNING: it ended meanwhile, and
   * LbClient::operation-completed tells how. */
  if (!ok && !is_cancelled (error))
    g_debug ("cancel: %s", error->message);
}

static void
on_cancel_clicked (GtkButton *button, LbLicensesPage *self)
{
  LbOperationType type;

  if (!current_operation (self, &type))
    return;
  /* The page's own: through the operation's cancellable. Another
   * client's: the service cancels whatever runs. */
  if (self->own_pending && self->own_type == type)
    g_cancellable_cancel (self->own_cancellable);
  else if (type == LB_OPERATION_TYPE_RESTORE)
    lb_client_cancel_restore_async (self->client, self->cancellable, on_cancel_done,
                                    GINT_TO_POINTER (type));
  else if (type == LB_OPERATION_TYPE_VERIFY)
    lb_client_cancel_verify_async (self->client, self->cancellable, on_cancel_done,
                                   GINT_TO_POINTER (type));
  else
    lb_client_cancel_backup_async (self->client, self->cancellable, on_cancel_done,
                                   GINT_TO_POINTER (type));
}

/* The client's signals */

/* How a check of a backup ended: a toast when it is whole, the banner
 * naming the damage when it is not. */
static void
verify_completed (LbLicensesPage *self, LbOperationResult *result, const GError *error)
{
  gint64 created = lb_operation_result_get_created (result);

  if (error == NULL)
    {
      g_autofree char *text
          = lb_panel_format_verified (created, lb_operation_result_get_licenses (result));

      hide_banner (self);
      show_toast (self, text);
    }
  else if (g_error_matches (error, LB_ERROR, LB_ERROR_CANCELLED))
    {
      hide_banner (self);
      show_toast (self, _ ("The check of the backup was cancelled"));
    }
  else if (g_error_matches (error, LB_ERROR, LB_ERROR_BACKUP_CORRUPT))
    {
      g_autofree char *message
          = lb_panel_format_damaged (created, lb_operation_result_get_damaged_entry (result));

      show_banner (self, _ ("The Backup Is Damaged"), message, NULL);
    }
  else
    {
      g_autofree char *message = lb_panel_format_error (LB_OPERATION_TYPE_VERIFY, error);

      show_banner (self, _ ("Check Failed"), message, NULL);
    }
}

/* A restore whose newest backup is damaged, with a whole one in the same
 * folder: the banner offers that one, which only the user's click
 * restores. */
static void
offer_whole_generation (LbLicensesPage *self, LbOperationResult *result)
{
  const char *generation = lb_operation_result_get_whole_generation (result);
  const char *location = lb_operation_result_get_location (result);
  gint64 created = lb_operation_result_get_whole_generation_created (result);
  g_autofree char *message = lb_panel_format_whole_generation (created);
  g_autofree char *label = lb_panel_format_restore_generation (created);

  show_banner (self, _ ("Restore Failed"), message, NULL);
  self->whole_generation = g_strdup (generation);
  if (location != NULL && location[0] != '\0')
    {
      /* The folder of the damaged backup holds the whole one. */
      g_autoptr (GFile) file = g_file_new_for_uri (location);
      g_autoptr (GFile) folder = g_file_get_parent (file);

      if (folder != NULL)
        self->whole_folder
            = g_file_is_native (folder) ? g_file_get_path (folder) : g_file_get_uri (folder);
    }
  gtk_button_set_label (self->banner_restore_button, label);
  gtk_widget_set_visible (GTK_WIDGET (self->banner_restore_button), TRUE);
}

static void
on_operation_completed (LbClient *client,
                        LbOperationType kind,
                        LbOperationResult *result,
                        const GError *error,
                        LbLicensesPage *self)
{
  LbStatus status = lb_operation_result_get_status (result);

  /* The page's own restore or check that needs a passphrase asks for it
   * (on_operation_done) rather than failing in the banner. */
  if (kind != LB_OPERATION_TYPE_BACKUP && needs_passphrase (error)
      && (self->own_pending || self->passphrase_ask == PASSPHRASE_OPEN))
    {
      sync_all (self);
      return;
    }

  /* Each license went back to its app. */
  if (kind == LB_OPERATION_TYPE_RESTORE)
    refresh_apps (self);

  /* The page shows only this operation: nothing of an earlier one's result
   * stays once another ends otherwise than with a result of its own. */
  if (kind == LB_OPERATION_TYPE_VERIFY || (error != NULL && status != LB_STATUS_ERROR_WITHURL))
    clear_result (self);

  if (kind == LB_OPERATION_TYPE_VERIFY)
    verify_completed (self, result, error);
  else if (kind == LB_OPERATION_TYPE_RESTORE
           && g_error_matches (error, LB_ERROR, LB_ERROR_BACKUP_CORRUPT)
           && lb_operation_result_get_whole_generation (result) != NULL
           && lb_operation_result_get_whole_generation (result)[0] != '\0')
    offer_whole_generation (self, result);
  else if (status == LB_STATUS_ERROR_WITHURL)
    {
      const char *url = lb_operation_result_get_support_url (result);
      g_autofree char *found = NULL;

      /* The rest was restored: show the counts, and the way out. The URL
       * comes to subscribers; an older service put it in the text. */
      show_result (self, kind, result);
      if (url == NULL || url[0] == '\0')
        url = found = lb_panel_find_url (lb_operation_result_get_message (result));
      show_banner (self, _ ("Some Licenses Could Not Be Restored"),
                   url != NULL && url[0] != '\0'
                       ? _ ("They have been restored as often as their issuer allows. The "
                            "issuer’s website tells how to restore them again:")
                       : _ ("They have been restored as often as their issuer allows. Ask "
                            "their issuer how to restore them again."),
                   url != NULL && url[0] != '\0' ? url : NULL);
    }
  else if (error == NULL)
    {
      g_autofree char *text
          = lb_panel_format_outcome (kind, lb_operation_result_get_licenses (result),
                                     lb_operation_result_get_restricted (result));
      hide_banner (self);
      show_result (self, kind, result);
      show_toast (self, text);
    }
  else
    {
      g_autofree char *message = lb_panel_format_error (kind, error);

      if (g_error_matches (error, LB_ERROR, LB_ERROR_CANCELLED))
        {
          hide_banner (self);
          show_toast (self, message);
        }
      else
        show_banner (
            self,
            status == LB_STATUS_NEEDS_INDIVIDUALIZATION
                ? _ ("The Restore Needs Your Consent")
                : (kind == LB_OPERATION_TYPE_RESTORE ? _ ("Restore Failed") : _ ("Backup Failed")),
            message, NULL);
    }
  sync_all (self);
}

static void
on_property_changed (GObject *object, GParamSpec *pspec, LbLicensesPage *self)
{
  sync_all (self);
}

static void
on_license_count_changed (GObject *object, GParamSpec *pspec, LbLicensesPage *self)
{
  refresh_apps (self);
  sync_all (self);
}

static void
on_subscribed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;

  /* Refused in a sandbox, and absent from older services: the page does
   * without the details of operations others start. */
  if (!lb_client_subscribe_finish (LB_CLIENT (source), result, &error) && !is_cancelled (error))
    g_debug ("Subscribe: %s", error->message);
}

/* The service coming and going */

/* @error: why, or NULL. "Not provided by any .service files" (not
 * installed) is what the page says anyway. */
static void
set_unavailable (LbLicensesPage *self, const GError *error)
{
  g_clear_pointer (&self->unavailable_reason, g_free);
  if (error != NULL && !g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN))
    {
      g_autoptr (GError) copy = g_error_copy (error);

      g_dbus_error_strip_remote_error (copy);
      self->unavailable_reason = g_strdup (copy->message);
    }
  self->state = LB_LICENSES_PAGE_UNAVAILABLE;
  sync_all (self);
}

static void
on_service_started (GObject *source, GAsyncResult *result, gpointer user_data)
{
  LbLicensesPage *self = user_data;
  g_autoptr (GError) error = NULL;

  lb_client_get_status_finish (LB_CLIENT (source), result, NULL, &error);
  if (is_cancelled (error))
    return;
  if (error != NULL)
    {
      set_unavailable (self, error);
      return;
    }
  /* The client sees the new instance and says so (notify::service-running). */
  if (service_running (self))
    {
      self->state = LB_LICENSES_PAGE_READY;
      sync_all (self);
    }
}

/* Any call starts the service through D-Bus activation, or fails when the
 * bus cannot start it. */
static void
start_service (LbLicensesPage *self)
{
  self->last_restart_us = g_get_monotonic_time ();
  self->state = LB_LICENSES_PAGE_CONNECTING;
  lb_client_get_status_async (self->client, self->cancellable, on_service_started, self);
  sync_all (self);
}

static void
on_service_running_changed (GObject *object, GParamSpec *pspec, LbLicensesPage *self)
{
  if (service_running (self))
    {
      self->had_owner = TRUE;
      self->state = LB_LICENSES_PAGE_READY;
      g_clear_pointer (&self->unavailable_reason, g_free);
      refresh_apps (self);
      sync_all (self);
      return;
    }
  /* What it asked is moot. */
  close_dialog (self);
  /* It exits when it has been idle for a while: start it again, unless it
   * just failed to stay up. */
  if (self->had_owner
      && (self->last_restart_us == 0
          || g_get_monotonic_time () - self->last_restart_us >= RESTART_INTERVAL_US))
    start_service (self);
  else
    set_unavailable (self, NULL);
}

static void
on_client_ready (GObject *source, GAsyncResult *result, gpointer user_data)
{
  LbLicensesPage *self = user_data;
  g_autoptr (GError) error = NULL;
  LbClient *client = lb_client_new_finish (result, &error);
  const char *const notified[] = {
    "notify::operation",        "notify::licenses-done",   "notify::licenses-total",
    "notify::backup-path",      "notify::restore-path",    "notify::last-backup-time",
    "notify::status",           "notify::cancelable",      "notify::automatic-backup",
    "notify::next-backup-time", "notify::encrypt-backups",
  };

  if (is_cancelled (error))
    return;
  if (client == NULL)
    {
      /* Not a missing service (the client copes with that): one that D-Bus
       * could not start, or no bus. */
      set_unavailable (self, error);
      return;
    }
  self->client = client;
  g_signal_connect (client, "notify::service-running", G_CALLBACK (on_service_running_changed),
                    self);
  for (guint i = 0; i < G_N_ELEMENTS (notified); i++)
    g_signal_connect (client, notified[i], G_CALLBACK (on_property_changed), self);
  g_signal_connect (client, "notify::license-count", G_CALLBACK (on_license_count_changed), self);
  g_signal_connect (client, "operation-completed", G_CALLBACK (on_operation_completed), self);
  self->progress_binding = g_object_bind_property (client, "progress", self->progress_bar,
                                                   "fraction", G_BINDING_SYNC_CREATE);
  self->cancelable_binding = g_object_bind_property (client, "cancelable", self->cancel_button,
                                                     "sensitive", G_BINDING_SYNC_CREATE);
  /* Before the page lists the apps, on the same connection: the service
   * takes it first. */
  lb_client_subscribe_async (client, self->cancellable, on_subscribed, NULL);
  on_service_running_changed (NULL, NULL, self);
}

static void
connect_service (LbLicensesPage *self)
{
  self->state = LB_LICENSES_PAGE_CONNECTING;
  /* Making the client starts the service through D-Bus activation when it
   * is installed. */
  if (self->connection != NULL)
    lb_client_new_for_connection_async (self->connection, self->cancellable, on_client_ready, self);
  else
    lb_client_new_async (self->cancellable, on_client_ready, self);
  sync_all (self);
}

static void
drop_client (LbLicensesPage *self)
{
  if (self->client == NULL)
    return;
  g_clear_pointer (&self->progress_binding, g_binding_unbind);
  g_clear_pointer (&self->cancelable_binding, g_binding_unbind);
  g_signal_handlers_disconnect_by_data (self->client, self);
  /* The connection may outlive the page (the session bus, in Settings),
   * and the client too, while an operation the page started runs. */
  lb_client_unsubscribe_async (self->client, NULL, NULL, NULL);
  g_clear_object (&self->client);
}

static void
on_retry_clicked (GtkButton *button, LbLicensesPage *self)
{
  if (self->client != NULL)
    start_service (self);
  else
    /* The client could not be made: start over. */
    connect_service (self);
}

/* Showing the state */

static void
set_location_row (AdwActionRow *row, gboolean ready, const char *location)
{
  g_autofree char *where = location_display_name (location);

  if (!ready)
    adw_action_row_set_subtitle (row, "—");
  else
    adw_action_row_set_subtitle (row, where != NULL ? where : _ ("Not set"));
}

static void
sync_all (LbLicensesPage *self)
{
  gboolean ready = self->state == LB_LICENSES_PAGE_READY && service_running (self);
  gboolean unavailable = self->state == LB_LICENSES_PAGE_UNAVAILABLE;
  LbOperationType type = LB_OPERATION_TYPE_BACKUP;
  gboolean running = ready && current_operation (self, &type);
  gboolean asking = self->dialog != NULL || self->chooser != NULL;
  g_autofree char *count = NULL;
  g_autofree char *last = NULL;

  gtk_widget_set_visible (GTK_WIDGET (self->unavailable_group), unavailable);
  gtk_widget_set_visible (GTK_WIDGET (self->licenses_group), !unavailable);
  /* No licenses, no apps: the count says it already. */
  gtk_widget_set_visible (GTK_WIDGET (self->apps_group), !unavailable && self->app_rows->len > 0);
  gtk_widget_set_visible (GTK_WIDGET (self->backup_group), !unavailable);
  if (unavailable)
    {
      gtk_widget_set_visible (GTK_WIDGET (self->result_group), FALSE);
      hide_banner (self);
    }
  else
    gtk_widget_set_visible (GTK_WIDGET (self->result_group), self->result_row != NULL);
  if (unavailable)
    {
      g_autofree char *description = g_strconcat (
          _ ("The license backup service is not running and cannot be started. Check that "
             "license-backup is installed."),
          self->unavailable_reason != NULL ? "\n\n" : NULL, self->unavailable_reason, NULL);
      adw_status_page_set_description (self->unavailable_page, description);
    }

  gtk_widget_set_sensitive (GTK_WIDGET (self->licenses_group), ready);
  gtk_widget_set_sensitive (GTK_WIDGET (self->apps_group), ready);
  gtk_widget_set_sensitive (GTK_WIDGET (self->backup_row), ready);
  gtk_widget_set_sensitive (GTK_WIDGET (self->automatic_row), ready);
  gtk_widget_set_sensitive (GTK_WIDGET (self->restore_row), ready);
  gtk_widget_set_sensitive (GTK_WIDGET (self->encrypt_row), ready && !asking);
  gtk_widget_set_sensitive (GTK_WIDGET (self->passphrase_row), ready && !asking);
  {
    gboolean encrypt = ready && lb_client_get_encrypt_backups (self->client);

    /* The switch shows the service's setting, also while asking. */
    self->syncing_encrypt = TRUE;
    gtk_switch_set_active (self->encrypt_switch, encrypt);
    self->syncing_encrypt = FALSE;
    gtk_widget_set_visible (GTK_WIDGET (self->passphrase_row), encrypt);
  }
  if (ready)
    {
      LbAutomaticBackup automatic = lb_client_get_automatic_backup (self->client);
      g_autofree char *next = NULL;

      self->syncing_automatic = TRUE;
      adw_combo_row_set_selected (self->automatic_row, automatic);
      self->syncing_automatic = FALSE;
      if (automatic == LB_AUTOMATIC_BACKUP_NEVER)
        next = g_strdup ("");
      else if (lb_client_get_backup_path (self->client)[0] == '\0')
        next = g_strdup (_ ("Once a backup location is chosen"));
      else
        next = lb_panel_format_next_backup (lb_client_get_next_backup_time (self->client),
                                            g_get_real_time () / G_USEC_PER_SEC);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (self->automatic_row), next);
    }

  if (ready)
    count = lb_panel_format_count (lb_client_get_license_count (self->client));
  gtk_label_set_text (self->count_label, count != NULL ? count : "—");
  if (ready)
    {
      gint64 t = lb_client_get_last_backup_time (self->client);

      last = lb_panel_format_last_backup (t, g_get_real_time () / G_USEC_PER_SEC);
      if (t > 0)
        {
          g_autoptr (GDateTime) dt = g_date_time_new_from_unix_local (t);
          g_autofree char *exact = dt != NULL ? g_date_time_format (dt, "%c") : NULL;

          gtk_widget_set_tooltip_text (GTK_WIDGET (self->last_backup_row), exact);
        }
      else
        gtk_widget_set_tooltip_text (GTK_WIDGET (self->last_backup_row), NULL);
    }
  adw_action_row_set_subtitle (self->last_backup_row, last != NULL ? last : "—");

  set_location_row (self->backup_row, ready,
                    ready ? lb_client_get_backup_path (self->client) : NULL);
  if (ready && lb_client_get_restore_path (self->client)[0] == '\0'
      && lb_client_get_backup_path (self->client)[0] != '\0')
    {
      /* The service restores from the backup folder then: say which. */
      g_autofree char *where = location_display_name (lb_client_get_backup_path (self->client));
      g_autofree char *text = g_strdup_printf (_ ("The backup folder, %s"), where);

      adw_action_row_set_subtitle (self->restore_row, text);
    }
  else
    set_location_row (self->restore_row, ready,
                      ready ? lb_client_get_restore_path (self->client) : NULL);

  gtk_widget_set_visible (GTK_WIDGET (self->progress_row), running);
  if (running)
    {
      LbStatus status = lb_client_get_status (self->client);
      /* Mounting a network folder can take a while before the first license. */
      g_autofree char *progress
          = status == LB_STATUS_CONNECTING ? g_strdup (_ ("Connecting to the backup location…"))
            : status == LB_STATUS_DISCONNECTING
                ? g_strdup (_ ("Disconnecting from the backup location…"))
                : lb_panel_format_progress (lb_client_get_licenses_done (self->client),
                                            lb_client_get_licenses_total (self->client));
      gboolean restore = type == LB_OPERATION_TYPE_RESTORE;

      gboolean verify = type == LB_OPERATION_TYPE_VERIFY;

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->progress_row),
                                     restore  ? _ ("Restoring Licenses…")
                                     : verify ? _ ("Checking the Backup…")
                                              : _ ("Backing Up Licenses…"));
      adw_action_row_set_subtitle (self->progress_row, progress);
      gtk_accessible_update_property (GTK_ACCESSIBLE (self->progress_bar),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      restore  ? _ ("Restore progress")
                                      : verify ? _ ("Check progress")
                                               : _ ("Backup progress"),
                                      GTK_ACCESSIBLE_PROPERTY_VALUE_TEXT, progress, -1);
    }

  gtk_widget_set_sensitive (GTK_WIDGET (self->backup_button),
                            ready && !running && !self->own_pending && !asking);
  gtk_widget_set_sensitive (GTK_WIDGET (self->restore_button),
                            ready && !running && !self->own_pending && !asking);
  gtk_widget_set_sensitive (GTK_WIDGET (self->check_button),
                            ready && !running && !self->own_pending && !asking
                                && lb_client_get_backup_path (self->client)[0] != '\0');
  gtk_widget_set_sensitive (GTK_WIDGET (self->banner_restore_button),
                            ready && !running && !self->own_pending && !asking);
  if (ready && !running)
    maybe_remind_passphrase (self);
}

static gboolean
on_tick (gpointer user_data)
{
  sync_all (user_data); /* "5 minutes ago" moves on */
  return G_SOURCE_CONTINUE;
}

/* GObject */

static void
lb_licenses_page_constructed (GObject *object)
{
  LbLicensesPage *self = LB_LICENSES_PAGE (object);

  G_OBJECT_CLASS (lb_licenses_page_parent_class)->constructed (object);
  self->tick_id = g_timeout_add_seconds (30, on_tick, self);
  connect_service (self);
}

static void
lb_licenses_page_dispose (GObject *object)
{
  LbLicensesPage *self = LB_LICENSES_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->tick_id, g_source_remove);
  close_dialog (self);
  if (self->chooser != NULL)
    {
      gtk_native_dialog_destroy (self->chooser);
      g_clear_object (&self->chooser);
    }
  drop_client (self);
  gtk_widget_dispose_template (GTK_WIDGET (self), LB_TYPE_LICENSES_PAGE);
  G_OBJECT_CLASS (lb_licenses_page_parent_class)->dispose (object);
}

static void
lb_licenses_page_finalize (GObject *object)
{
  LbLicensesPage *self = LB_LICENSES_PAGE (object);

  g_clear_object (&self->cancellable);
  g_clear_object (&self->own_cancellable);
  g_clear_object (&self->connection);
  g_ptr_array_unref (self->app_rows);
  g_free (self->unavailable_reason);
  g_free (self->last_toast);
  g_strfreev (self->generations);
  g_free (self->own_generation);
  g_free (self->whole_generation);
  g_free (self->whole_folder);
  g_clear_pointer (&self->own_passphrase, g_bytes_unref);
  g_free (self->own_location);
  g_clear_object (&self->settings);
  G_OBJECT_CLASS (lb_licenses_page_parent_class)->finalize (object);
}
static void
lb_licenses_page_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  LbLicensesPage *self = LB_LICENSES_PAGE (object);

  switch (prop_id)
    {
    case PROP_CONNECTION:
      g_value_set_object (value, self->connection);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lb_licenses_page_set_property (GObject *object,
                               guint prop_id,
                               const GValue *value,
                               GParamSpec *pspec)
{
  LbLicensesPage *self = LB_LICENSES_PAGE (object);

  switch (prop_id)
    {
    case PROP_CONNECTION:
      self->connection = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lb_licenses_page_class_init (LbLicensesPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  const char *localedir = g_getenv ("LB_LOCALEDIR");

  object_class->constructed = lb_licenses_page_constructed;
  object_class->dispose = lb_licenses_page_dispose;
  object_class->finalize = lb_licenses_page_finalize;
  object_class->get_property = lb_licenses_page_get_property;
  object_class->set_property = lb_licenses_page_set_property;

  /**
   * LbLicensesPage:connection:
   *
   * The bus the service is on; NULL for the session bus.
   */
  props[PROP_CONNECTION]
      = g_param_spec_object ("connection", NULL, NULL, G_TYPE_DBUS_CONNECTION,
                             G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, props);

  /* A library's strings, those of the template too: its own text domain,
   * wherever it is embedded. LB_LOCALEDIR: translations from a build tree. */
  bindtextdomain (GETTEXT_PACKAGE, localedir != NULL ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");

  /* Linked in statically: registered here, not by a constructor. */
  lb_panel_register_resource ();
  gtk_widget_class_set_template_from_resource (
      widget_class, "/org/freedesktop/LicenseBackup1/Panel/lb-licenses-page.ui");
  gtk_widget_class_bind_template_child (widget_class, LbLicensesPage, banner_group);
  gtk_widget_class_bind_template_child (widget_class, LbLicensesPage, banner_row);
  gtk_widget_class_bind_template_child (widget_class, LbLicensesPage, banner_link);
  gtk_widget_class_bind_template_child (widget_class, LbLicensesPage, banner_restore_button);
  gtk_widget_class_bind_template_child (widget_class, LbLicensesPage, unavailable_group);
  gtk_widget_class_bind_template_child (widget_class, LbLicensesPage, unavailable_page);
  gtk_widget_class_bind_template_child (widget_class, LbLicensesPage, licenses_group);
  gtk_widget_class_bind_template_child (widget_class, LbLicensesPage, count_row);
  gtk_widget_class_bind_template_child (widget_class, LbLicensesPage, count_label);
  gtk_widget_class_bind_template_child (widget_class, LbLicensesPage, last_backup_row);
  gtk_widget_class_bind_template_child (widget_class, LbLicensesPage, apps_group);
  gtk_widget_class_bind_template_child (widget_class, LbLicensesPage, backup_group);
  gtk_widget_class_bind_template_child (widget_class, LbLicensesPage, backup_row);
  gtk_widget_class_bind_template_child (widget_class, LbLicensesPage, automatic_row);
  gtk_widget_class_bind_template_child (widget_class, LbLicensesPage, encrypt_row);
  gtk_widget_class_bind_template_child (widget_class, LbLicensesPage, encrypt_switch);
  gtk_widget_class_bind_template_child (widget_class, LbLicensesPage, passphrase_row);
  gtk_widget_class_bind_template_child (widget_class, LbLicensesPage, passphrase_button);
  gtk_widget_class_bind_template_child (widget_class, LbLicensesPage, restore_row);
  gtk_widget_class_bind_template_child (widget_class, LbLicensesPage, progress_row);
  gtk_widget_class_bind_template_child (widget_class, LbLicensesPage, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, LbLicensesPage, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, LbLicensesPage, backup_button);
  gtk_widget_class_bind_template_child (widget_class, LbLicensesPage, restore_button);
  gtk_widget_class_bind_template_child (widget_class, LbLicensesPage, check_button);
  gtk_widget_class_bind_template_child (widget_class, LbLicensesPage, result_group);
  gtk_widget_class_bind_template_callback (widget_class, on_banner_dismiss);
  gtk_widget_class_bind_template_callback (widget_class, on_retry_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_choose_backup);
  gtk_widget_class_bind_template_callback (widget_class, on_choose_restore);
  gtk_widget_class_bind_template_callback (widget_class, on_cancel_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_backup_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_restore_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_check_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_banner_restore_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_automatic_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_encrypt_switched);
  gtk_widget_class_bind_template_callback (widget_class, on_change_passphrase_clicked);
}

static void
lb_licenses_page_init (LbLicensesPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  self->app_rows = g_ptr_array_new ();
  self->state = LB_LICENSES_PAGE_CONNECTING;
  {
    /* An uninstalled page (no schema) works, without the reminders. */
    GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
    g_autoptr (GSettingsSchema) schema
        = source != NULL ? g_settings_schema_source_lookup (source, PANEL_SCHEMA, TRUE) : NULL;

    if (schema != NULL)
      self->settings = g_settings_new_full (schema, NULL, NULL);
  }
}

GtkWidget *
lb_licenses_page_new (GDBusConnection *connection)
{
  g_return_val_if_fail (connection == NULL || G_IS_DBUS_CONNECTION (connection), NULL);

  return g_object_new (LB_TYPE_LICENSES_PAGE, "connection", connection, NULL);
}

GDBusConnection *
lb_licenses_page_get_connection (LbLicensesPage *self)
{
  g_return_val_if_fail (LB_IS_LICENSES_PAGE (self), NULL);

  return self->connection;
}

/* For the tests */

LbLicensesPageState
lb_licenses_page_get_state (LbLicensesPage *self)
{
  return self->state;
}

GtkWidget *
lb_licenses_page_get_part (LbLicensesPage *self, LbLicensesPagePart part)
{
  switch (part)
    {
    case LB_LICENSES_PAGE_COUNT_LABEL:
      return GTK_WIDGET (self->count_label);
    case LB_LICENSES_PAGE_LAST_BACKUP_ROW:
      return GTK_WIDGET (self->last_backup_row);
    case LB_LICENSES_PAGE_BACKUP_ROW:
      return GTK_WIDGET (self->backup_row);
    case LB_LICENSES_PAGE_RESTORE_ROW:
      return GTK_WIDGET (self->restore_row);
    case LB_LICENSES_PAGE_BACKUP_BUTTON:
      return GTK_WIDGET (self->backup_button);
    case LB_LICENSES_PAGE_RESTORE_BUTTON:
      return GTK_WIDGET (self->restore_button);
    case LB_LICENSES_PAGE_PROGRESS_ROW:
      return GTK_WIDGET (self->progress_row);
    case LB_LICENSES_PAGE_PROGRESS_BAR:
      return GTK_WIDGET (self->progress_bar);
    case LB_LICENSES_PAGE_CANCEL_BUTTON:
      return GTK_WIDGET (self->cancel_button);
    case LB_LICENSES_PAGE_RESULT_GROUP:
      return GTK_WIDGET (self->result_group);
    case LB_LICENSES_PAGE_BANNER:
      return GTK_WIDGET (self->banner_row);
    case LB_LICENSES_PAGE_BANNER_LINK:
      return GTK_WIDGET (self->banner_link);
    case LB_LICENSES_PAGE_UNAVAILABLE_PAGE:
      return GTK_WIDGET (self->unavailable_page);
    case LB_LICENSES_PAGE_APPS_GROUP:
      return GTK_WIDGET (self->apps_group);
    case LB_LICENSES_PAGE_AUTOMATIC_ROW:
      return GTK_WIDGET (self->automatic_row);
    case LB_LICENSES_PAGE_GENERATION_LIST:
      return GTK_WIDGET (self->generation_list);
    case LB_LICENSES_PAGE_CHECK_BUTTON:
      return GTK_WIDGET (self->check_button);
    case LB_LICENSES_PAGE_BANNER_RESTORE_BUTTON:
      return GTK_WIDGET (self->banner_restore_button);
    case LB_LICENSES_PAGE_ENCRYPT_SWITCH:
      return GTK_WIDGET (self->encrypt_switch);
    case LB_LICENSES_PAGE_PASSPHRASE_BUTTON:
      return GTK_WIDGET (self->passphrase_button);
    case LB_LICENSES_PAGE_PASSPHRASE_ENTRY:
      return GTK_WIDGET (self->passphrase_entry);
    case LB_LICENSES_PAGE_PASSPHRASE_AGAIN_ENTRY:
      return GTK_WIDGET (self->passphrase_again_entry);
    }
  return NULL;
}

GtkWidget *
lb_licenses_page_get_result_row (LbLicensesPage *self)
{
  return self->result_row;
}

const char *
lb_licenses_page_get_last_toast (LbLicensesPage *self)
{
  return self->last_toast;
}

GtkFileChooser *
lb_licenses_page_get_chooser (LbLicensesPage *self)
{
  return self->chooser != NULL ? GTK_FILE_CHOOSER (self->chooser) : NULL;
}

AdwMessageDialog *
lb_licenses_page_get_dialog (LbLicensesPage *self)
{
  return self->dialog;
}
