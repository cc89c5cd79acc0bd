/* LbLicensesPage: the "Media Licenses" settings page; see lb-licenses-page.h.
 *
 * What it shows of an operation comes from the service's properties and
 * signals, never from the replies to its own calls: a backup started by the
 * command-line client moves the same progress bar, and ends with the same
 * toast, as one started here. Its own calls only add what needs an answer
 * from the user (replace an existing backup, bind licenses from another
 * computer, choose a folder first), and only for the operations it started
 * itself; a refused start shows in the error banner.
 *
 * The service may exit when it is idle: when its name goes away the page
 * starts it again through D-Bus activation, and says that it is not
 * available only when that fails.
 *
 * The details of an operation (the licenses left out, with their apps) go
 * only to the caller that started it and to those that called Subscribe():
 * the page subscribes to every instance of the service it sees.
 */
#include "config.h"

#include "lb-licenses-page.h"
#include "lb-licenses-page-private.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "lb-dbus-generated.h"
#include "lb-panel-apps.h"
#include "lb-panel-format.h"

#define BUS_NAME "org.freedesktop.LicenseBackup1"
#define OBJECT_PATH "/org/freedesktop/LicenseBackup1"
#define MANAGER_IFACE "org.freedesktop.LicenseBackup1"
#define ERROR_PREFIX "org.freedesktop.LicenseBackup1.Error."

#define FLAG_OVERWRITE 0x1u
#define FLAG_INDIVIDUALIZE 0x2u

/* Status numbers (MSDRM_STATUS) */
#define STATUS_ERROR 0
#define STATUS_END 3
#define STATUS_CONNECTING 4
#define STATUS_DISCONNECTING 5
#define STATUS_ERROR_WITHURL 6
#define STATUS_NEEDS_INDIVIDUALIZATION 8

/* The licenses left out of an operation listed on the page; the rest are
 * only counted. */
#define MAX_DETAILS 200

/* The service exits when it has been idle for a while: the page starts it
 * again when its name goes away, but not more often than this, so that a
 * service that dies at once is reported instead of restarted forever. */
#define RESTART_INTERVAL_US (30 * G_USEC_PER_SEC)

/* An app without an icon of its own in the apps group. */
#define GENERIC_APP_ICON "application-x-executable"

typedef struct
{
  char *key_id;
  char *reason;
  char *app;
} Restricted;

static void
restricted_free (gpointer p)
{
  Restricted *r = p;

  g_free (r->key_id);
  g_free (r->reason);
  g_free (r->app);
  g_free (r);
}

struct _LbLicensesPage
{
  AdwPreferencesPage parent_instance;

  GDBusConnection *connection; /* construct-only, may be NULL */
  GDBusConnection *bus;        /* the one in use */
  GCancellable *cancellable;
  LbDBusManager *manager;
  LbDBusStore *store;
  LbLicensesPageState state;
  gboolean had_owner;
  gint64 last_restart_us;
  char *subscribed_owner;   /* the instance of the service Subscribe() went to */
  char *unavailable_reason; /* extra words for the unavailable page, or NULL */

  /* The operation this page started: its start call is pending, or it runs
   * with the id own_operation. */
  gboolean start_pending;
  guint64 own_operation;
  gboolean own_restore;
  guint32 own_flags;

  /* RestrictedLicense signals of the running operation */
  guint64 restricted_operation;
  /* SupportUrl of an operation (status 6), which only the starter and
   * subscribers receive. */
  guint64 support_url_operation;
  char *support_url;
  GPtrArray *restricted; /* of Restricted, at most MAX_DETAILS */

  /* ListApps: one call at a time; a change meanwhile asks for another. */
  gboolean apps_pending;
  gboolean apps_again;

  GtkNativeDialog *chooser;
  gboolean chooser_restore;
  gboolean chooser_then_start;
  AdwMessageDialog *dialog;
  char *last_toast;
  guint tick_id;

  /* Widgets */
  AdwPreferencesGroup *banner_group;
  AdwActionRow *banner_row;
  GtkLinkButton *banner_link;

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
  AdwActionRow *restore_row;
  AdwActionRow *progress_row;
  GtkProgressBar *progress_bar;
  GtkButton *cancel_button;
  GtkButton *backup_button;
  GtkButton *restore_button;

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
static void start_operation (LbLicensesPage *self, gboolean restore, guint32 flags);
static void
start_operation_at (LbLicensesPage *self, gboolean restore, guint32 flags, const char *location);

/* Helpers */

static gboolean
is_cancelled (const GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static const char *
nonnull (const char *s)
{
  return s != NULL ? s : "";
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
  g_autofree char *owner = NULL;

  if (self->manager == NULL)
    return FALSE;
  owner = g_dbus_proxy_get_name_owner (G_DBUS_PROXY (self->manager));
  return owner != NULL;
}

static const char *
current_operation (LbLicensesPage *self)
{
  return self->manager != NULL ? nonnull (lb_dbus_manager_get_operation (self->manager)) : "";
}

static void
label_button (GtkWidget *button, const char *label)
{
  gtk_widget_set_tooltip_text (button, label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, label,
                                  -1);
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
hide_banner (LbLicensesPage *self)
{
  gtk_widget_set_visible (GTK_WIDGET (self->banner_group), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->banner_link), FALSE);
}

static void
show_banner (LbLicensesPage *self, const char *title, const char *message, const char *url)
{
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

static guint
summary_u (GVariant *summary, const char *key)
{
  guint32 v = 0;

  if (summary != NULL)
    g_variant_lookup (summary, key, "u", &v);
  return v;
}

static char *
result_subtitle (gboolean restore, GVariant *summary)
{
  const char *location = "";
  guint64 bytes = 0;
  g_autofree char *where = NULL;
  g_autofree char *size = NULL;
  GString *s = g_string_new (NULL);

  g_variant_lookup (summary, "location", "&s", &location);
  g_variant_lookup (summary, "bytes", "t", &bytes);
  if (location[0] != '\0')
    {
      g_autoptr (GFile) file = g_file_new_for_uri (location);
      where = g_file_get_parse_name (file);
    }
  size = g_format_size (bytes);
  if (!restore && where != NULL)
    /* TRANSLATORS: the backup file and its size, e.g. "Saved to
     * /media/usb/licenses.lbk (1.2 MB)" */
    g_string_append_printf (s, _ ("Saved to %s (%s)"), where, size);
  else if (restore)
    {
      guint present = summary_u (summary, "already-present");
      guint bound = summary_u (summary, "individualized");
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

static void
show_result (LbLicensesPage *self, gboolean restore, GVariant *summary, GPtrArray *restricted)
{
  guint licenses = summary_u (summary, "licenses");
  guint skipped = summary_u (summary, "skipped");
  g_autofree char *title = lb_panel_format_outcome (restore, licenses, skipped);
  g_autofree char *subtitle = result_subtitle (restore, summary);
  const char *icon = skipped > 0 ? "dialog-warning-symbolic" : "emblem-ok-symbolic";
  GtkWidget *image;

  clear_result (self);
  adw_preferences_group_set_title (self->result_group,
                                   restore ? _ ("Restore Finished") : _ ("Backup Finished"));
  if (restricted == NULL || restricted->len == 0)
    {
      self->result_row = new_row (title, subtitle[0] != '\0' ? subtitle : NULL);
      adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (self->result_row), 0);
    }
  else
    {
      AdwExpanderRow *expander = ADW_EXPANDER_ROW (adw_expander_row_new ());
      /* app id -> its name: one look-up per app, not per license */
      g_autoptr (GHashTable) app_names
          = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

      self->result_row = GTK_WIDGET (expander);
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (expander), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (expander), title);
      if (subtitle[0] != '\0')
        adw_expander_row_set_subtitle (expander, subtitle);
      for (guint i = 0; i < restricted->len; i++)
        {
          Restricted *r = restricted->pdata[i];
          g_autofree char *why = lb_panel_format_reason (r->reason);
          g_autofree char *with_app = NULL;
          GtkWidget *row;

          /* A host program's license needs no name: most are. */
          if (r->app[0] != '\0')
            {
              const char *name = g_hash_table_lookup (app_names, r->app);

              if (name == NULL)
                {
                  name = lb_panel_app_name (r->app, NULL);
                  g_hash_table_insert (app_names, g_strdup (r->app), (char *) name);
                }
              with_app = lb_panel_format_app_reason (name, why);
            }
          row = new_row (r->key_id, with_app != NULL ? with_app : why);

          adw_expander_row_add_row (expander, row);
        }
      if (skipped > restricted->len)
        {
          g_autofree char *more = lb_panel_format_count (skipped - restricted->len);
          g_autofree char *text
              = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "and %s more license",
                                              "and %s more licenses", skipped - restricted->len),
                                 more);

          adw_expander_row_add_row (expander, new_row (text, NULL));
        }
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
show_apps (LbLicensesPage *self, GVariant *apps)
{
  g_autoptr (GPtrArray) list = g_ptr_array_new_with_free_func (app_free);
  GVariantIter iter;
  const char *id;
  GVariant *details;

  g_variant_iter_init (&iter, apps);
  while (g_variant_iter_next (&iter, "(&s@a{sv})", &id, &details))
    {
      App *app = g_new0 (App, 1);
      g_autofree char *folded = NULL;

      app->id = g_strdup (id);
      app->name = lb_panel_app_name (id, &app->icon);
      folded = g_utf8_casefold (app->name, -1);
      app->sort_key = g_utf8_collate_key (folded, -1);
      g_variant_lookup (details, "licenses", "u", &app->licenses);
      g_variant_unref (details);
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
  g_autoptr (GVariant) apps = NULL;
  g_autoptr (GError) error = NULL;

  lb_dbus_store_call_list_apps_finish (LB_DBUS_STORE (source), &apps, result, &error);
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
      /* PermissionDenied (the page runs sandboxed) or a service older than
       * per-app licenses: the page does without the group. */
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
  if (self->store == NULL || !service_running (self))
    return;
  if (self->apps_pending)
    {
      self->apps_again = TRUE;
      return;
    }
  self->apps_pending = TRUE;
  self->apps_again = FALSE;
  lb_dbus_store_call_list_apps (self->store, self->cancellable, on_apps_listed, self);
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
}

static void
on_replace_response (AdwMessageDialog *dialog, const char *response, LbLicensesPage *self)
{
  g_clear_object (&self->dialog);
  if (g_strcmp0 (response, "replace") == 0)
    start_operation (self, FALSE, FLAG_OVERWRITE);
  sync_all (self);
}

static void
on_individualize_response (AdwMessageDialog *dialog, const char *response, LbLicensesPage *self)
{
  g_clear_object (&self->dialog);
  if (g_strcmp0 (response, "restore") == 0)
    start_operation (self, TRUE, FLAG_INDIVIDUALIZE);
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
  g_autofree char *where = location_display_name (lb_dbus_manager_get_backup_path (self->manager));
  g_autofree char *body = g_strdup_printf (
      _ ("%s already holds a license backup. Replacing it keeps only the licenses that are on "
         "this computer now: licenses that are only in the old backup are lost."),
      where != NULL ? where : "?");

  ask (self, _ ("Replace the existing backup?"), body, "replace", _ ("_Replace"),
       ADW_RESPONSE_DESTRUCTIVE, G_CALLBACK (on_replace_response));
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

/* Locations */

typedef struct
{
  LbLicensesPage *self;
  gboolean restore;
  gboolean then_start;
  char *location;
} SetLocation;

static void
on_location_set (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SetLocation *data = user_data;
  LbLicensesPage *self = data->self;
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *location = g_steal_pointer (&data->location);
  gboolean restore = data->restore;
  gboolean then_start = data->then_start;

  g_free (data);
  reply = g_dbus_proxy_call_finish (G_DBUS_PROXY (source), result, &error);
  if (is_cancelled (error))
    return;
  if (reply == NULL)
    {
      g_dbus_error_strip_remote_error (error);
      show_banner (self,
                   restore ? _ ("Cannot Set the Restore Location")
                           : _ ("Cannot Set the Backup Location"),
                   error->message, NULL);
      return;
    }
  /* The new value may not be in the proxy's cache yet: name it. */
  if (then_start)
    start_operation_at (self, restore, 0, location);
}

static void
set_location (LbLicensesPage *self, gboolean restore, GFile *folder, gboolean then_start)
{
  SetLocation *data = g_new0 (SetLocation, 1);

  data->self = self;
  data->restore = restore;
  data->then_start = then_start;
  data->location = g_file_is_native (folder) ? g_file_get_path (folder) : g_file_get_uri (folder);
  /* Through the proxy's own call, so that a refusal (InvalidArgs) comes
   * back here instead of as a warning from the generated setter. */
  g_dbus_proxy_call (G_DBUS_PROXY (self->manager), "org.freedesktop.DBus.Properties.Set",
                     g_variant_new ("(ssv)", MANAGER_IFACE, restore ? "RestorePath" : "BackupPath",
                                    g_variant_new_string (data->location)),
                     G_DBUS_CALL_FLAGS_NONE, -1, self->cancellable, on_location_set, data);
}

static void
on_chooser_response (GtkNativeDialog *chooser, int response, LbLicensesPage *self)
{
  g_autoptr (GFile) folder = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    folder = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  gtk_native_dialog_destroy (chooser);
  g_clear_object (&self->chooser);
  if (folder != NULL && self->manager != NULL)
    set_location (self, self->chooser_restore, folder, self->chooser_then_start);
  sync_all (self);
}

static void
choose_location (LbLicensesPage *self, gboolean restore, gboolean then_start)
{
  const char *current = restore ? lb_dbus_manager_get_restore_path (self->manager)
                                : lb_dbus_manager_get_backup_path (self->manager);
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
  self->chooser_restore = restore;
  self->chooser_then_start = then_start;
  g_signal_connect (chooser, "response", G_CALLBACK (on_chooser_response), self);
  gtk_native_dialog_show (self->chooser);
  sync_all (self);
}

static void
on_choose_backup (GtkButton *button, LbLicensesPage *self)
{
  choose_location (self, FALSE, FALSE);
}

static void
on_choose_restore (GtkButton *button, LbLicensesPage *self)
{
  choose_location (self, TRUE, FALSE);
}

/* Starting and cancelling */

static void
on_started (GObject *source, GAsyncResult *result, gpointer user_data)
{
  LbLicensesPage *self = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *name = NULL;
  g_autofree char *message = NULL;
  guint64 id = 0;
  gboolean ok;

  ok = self->own_restore ? lb_dbus_manager_call_restore_licenses_finish (LB_DBUS_MANAGER (source),
                                                                         &id, result, &error)
                         : lb_dbus_manager_call_backup_licenses_finish (LB_DBUS_MANAGER (source),
                                                                        &id, result, &error);
  if (is_cancelled (error))
    return;
  self->start_pending = FALSE;
  if (ok)
    {
      self->own_operation = id;
      sync_all (self);
      return;
    }

  name = g_dbus_error_get_remote_error (error);
  g_dbus_error_strip_remote_error (error);
  if (g_strcmp0 (name, ERROR_PREFIX "BackupExists") == 0 && !self->own_restore
      && !(self->own_flags & FLAG_OVERWRITE))
    ask_replace (self);
  else if (g_strcmp0 (name, ERROR_PREFIX "NotSet") == 0)
    choose_location (self, self->own_restore, TRUE);
  else if (!service_running (self) || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED))
    ; /* the page says the service is gone */
  else
    {
      message = lb_panel_format_error (self->own_restore, name, error->message);
      show_banner (
          self, self->own_restore ? _ ("Cannot Start the Restore") : _ ("Cannot Start the Backup"),
          message, NULL);
    }
  sync_all (self);
}

/* Starts a backup or restore of @location, or of the location the service
 * has when @location is NULL; asks for a folder first when there is none. */
static void
start_operation_at (LbLicensesPage *self, gboolean restore, guint32 flags, const char *location)
{
  GVariantBuilder options;

  if (self->manager == NULL || self->start_pending)
    return;
  if (location == NULL)
    {
      const char *path = restore ? lb_dbus_manager_get_restore_path (self->manager)
                                 : lb_dbus_manager_get_backup_path (self->manager);
      if (path == NULL || path[0] == '\0')
        {
          choose_location (self, restore, TRUE);
          return;
        }
    }
  hide_banner (self);
  self->start_pending = TRUE;
  self->own_operation = 0;
  self->own_restore = restore;
  self->own_flags = flags;
  /* No "cancel-on-disconnect": closing the page leaves the operation be. */
  g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
  if (location != NULL)
    g_variant_builder_add (&options, "{sv}", "path", g_variant_new_string (location));
  if (restore)
    lb_dbus_manager_call_restore_licenses (self->manager, flags, g_variant_builder_end (&options),
                                           self->cancellable, on_started, self);
  else
    lb_dbus_manager_call_backup_licenses (self->manager, flags, g_variant_builder_end (&options),
                                          self->cancellable, on_started, self);
  sync_all (self);
}

static void
start_operation (LbLicensesPage *self, gboolean restore, guint32 flags)
{
  start_operation_at (self, restore, flags, NULL);
}

static void
on_backup_clicked (GtkButton *button, LbLicensesPage *self)
{
  start_operation (self, FALSE, 0);
}

static void
on_restore_clicked (GtkButton *button, LbLicensesPage *self)
{
  start_operation (self, TRUE, 0);
}

static void
on_cancel_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GError) error = NULL;

  /* NotRunning: it ended meanwhile; its Completed signal tells how. */
  reply = g_dbus_proxy_call_finish (G_DBUS_PROXY (source), result, &error);
  if (reply == NULL && !is_cancelled (error))
    g_debug ("cancel: %s", error->message);
}

static void
on_cancel_clicked (GtkButton *button, LbLicensesPage *self)
{
  const char *op = current_operation (self);

  if (op[0] == '\0')
    return;
  g_dbus_proxy_call (G_DBUS_PROXY (self->manager),
                     g_str_equal (op, "restore") ? "CancelLicenseRestore" : "CancelLicenseBackup",
                     NULL, G_DBUS_CALL_FLAGS_NONE, -1, self->cancellable, on_cancel_done, NULL);
}

/* The service's signals */

static void
on_restricted_license (LbDBusManager *manager,
                       guint64 operation,
                       const char *key_id,
                       const char *reason,
                       const char *app,
                       LbLicensesPage *self)
{
  Restricted *r;

  if (operation != self->restricted_operation)
    {
      self->restricted_operation = operation;
      g_ptr_array_set_size (self->restricted, 0);
    }
  if (self->restricted->len >= MAX_DETAILS)
    return;
  r = g_new0 (Restricted, 1);
  r->key_id = g_strdup (key_id);
  r->reason = g_strdup (reason);
  r->app = g_strdup (app);
  g_ptr_array_add (self->restricted, r);
}

static void
on_support_url (LbDBusManager *manager,
                guint64 operation,
                const char *app,
                const char *url,
                LbLicensesPage *self)
{
  self->support_url_operation = operation;
  g_free (self->support_url);
  self->support_url = g_strdup (url);
}

static void
operation_completed (LbLicensesPage *self,
                     gboolean restore,
                     guint64 operation,
                     guint status,
                     const char *error,
                     GVariant *summary)
{
  gboolean own = operation != 0 && operation == self->own_operation;
  guint32 own_flags = self->own_flags;
  const char *error_name = "";
  g_autoptr (GPtrArray) restricted = NULL;

  if (own)
    self->own_operation = 0;
  if (operation == self->restricted_operation)
    {
      restricted = g_steal_pointer (&self->restricted);
      self->restricted = g_ptr_array_new_with_free_func (restricted_free);
    }
  self->restricted_operation = 0;
  g_ptr_array_set_size (self->restricted, 0);

  /* Each license went back to its app. */
  if (restore)
    refresh_apps (self);

  g_variant_lookup (summary, "error-name", "&s", &error_name);
  switch (status)
    {
    case STATUS_END:
      {
        g_autofree char *text = lb_panel_format_outcome (restore, summary_u (summary, "licenses"),
                                                         summary_u (summary, "skipped"));
        hide_banner (self);
        show_result (self, restore, summary, restricted);
        show_toast (self, text);
      }
      break;

    case STATUS_ERROR_WITHURL:
      {
        const char *url = NULL;
        g_autofree char *found = NULL;

        /* The rest was restored: show the counts, and the way out. The
         * URL comes in SupportUrl; an older service put it in the text. */
        show_result (self, restore, summary, restricted);
        if (self->support_url_operation == operation && self->support_url != NULL)
          url = self->support_url;
        if (url == NULL || url[0] == '\0')
          url = found = lb_panel_find_url (error);
        show_banner (self, _ ("Some Licenses Could Not Be Restored"),
                     url != NULL && url[0] != '\0'
                         ? _ ("They have been restored as often as their issuer allows. The "
                              "issuer’s website tells how to restore them again:")
                         : _ ("They have been restored as often as their issuer allows. Ask "
                              "their issuer how to restore them again."),
                     url != NULL && url[0] != '\0' ? url : NULL);
      }
      break;

    case STATUS_NEEDS_INDIVIDUALIZATION:
      if (own && restore && !(own_flags & FLAG_INDIVIDUALIZE))
        {
          hide_banner (self);
          ask_individualize (self);
          break;
        }
      G_GNUC_FALLTHROUGH;
    default:
      {
        g_autofree char *message = lb_panel_format_error (restore, error_name, error);

        if (g_str_equal (error_name, ERROR_PREFIX "Cancelled"))
          {
            hide_banner (self);
            show_toast (self, message);
          }
        else
          show_banner (self,
                       status == STATUS_NEEDS_INDIVIDUALIZATION
                           ? _ ("The Restore Needs Your Consent")
                           : (restore ? _ ("Restore Failed") : _ ("Backup Failed")),
                       message, NULL);
      }
      break;
    }
  sync_all (self);
}

static void
on_backup_completed (LbDBusManager *manager,
                     guint64 operation,
                     guint status,
                     const char *error,
                     GVariant *summary,
                     LbLicensesPage *self)
{
  operation_completed (self, FALSE, operation, status, error, summary);
}

static void
on_restore_completed (LbDBusManager *manager,
                      guint64 operation,
                      guint status,
                      const char *error,
                      GVariant *summary,
                      LbLicensesPage *self)
{
  operation_completed (self, TRUE, operation, status, error, summary);
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

/* Subscribing to the details of every operation */

static void
on_subscribed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;

  /* An older service has no Subscribe(): the page does without the
   * details of operations others start. */
  if (!lb_dbus_manager_call_subscribe_finish (LB_DBUS_MANAGER (source), result, &error)
      && !is_cancelled (error))
    g_debug ("Subscribe: %s", error->message);
}

/* Once per instance of the service: a new one knows nothing of the last. */
static void
subscribe (LbLicensesPage *self)
{
  g_autofree char *owner = g_dbus_proxy_get_name_owner (G_DBUS_PROXY (self->manager));

  if (owner == NULL || g_strcmp0 (owner, self->subscribed_owner) == 0)
    return;
  g_free (self->subscribed_owner);
  self->subscribed_owner = g_steal_pointer (&owner);
  lb_dbus_manager_call_subscribe (self->manager, self->cancellable, on_subscribed, NULL);
}

/* The connection may outlive the page (the session bus, in Settings), and
 * with it the subscription. */
static void
unsubscribe (LbLicensesPage *self)
{
  if (self->subscribed_owner == NULL || self->bus == NULL)
    return;
  /* No reply wanted: the page is going away. */
  g_dbus_connection_call (self->bus, self->subscribed_owner, OBJECT_PATH, MANAGER_IFACE,
                          "Unsubscribe", NULL, NULL, G_DBUS_CALL_FLAGS_NO_AUTO_START, -1, NULL,
                          NULL, NULL);
  g_clear_pointer (&self->subscribed_owner, g_free);
}

/* The service coming and going */

/* @error: why, or NULL. "Not provided by any .service files" (not
 * installed) is what the page says anyway. */
static void
set_unavailable (LbLicensesPage *self, GError *error)
{
  g_free (self->unavailable_reason);
  self->unavailable_reason = NULL;
  if (error != NULL && !g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN))
    {
      g_dbus_error_strip_remote_error (error);
      self->unavailable_reason = g_strdup (error->message);
    }
  self->state = LB_LICENSES_PAGE_UNAVAILABLE;
  sync_all (self);
}

static void
on_service_started (GObject *source, GAsyncResult *result, gpointer user_data)
{
  LbLicensesPage *self = user_data;
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GError) error = NULL;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  if (is_cancelled (error))
    return;
  if (reply == NULL)
    {
      set_unavailable (self, error);
      return;
    }
  /* The proxy sees the new owner and says so (notify::g-name-owner). */
  if (service_running (self))
    {
      self->state = LB_LICENSES_PAGE_READY;
      sync_all (self);
    }
}

static void
start_service (LbLicensesPage *self)
{
  self->last_restart_us = g_get_monotonic_time ();
  self->state = LB_LICENSES_PAGE_CONNECTING;
  g_dbus_connection_call (self->bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                          "org.freedesktop.DBus", "StartServiceByName",
                          g_variant_new ("(su)", BUS_NAME, 0u), G_VARIANT_TYPE ("(u)"),
                          G_DBUS_CALL_FLAGS_NONE, -1, self->cancellable, on_service_started, self);
  sync_all (self);
}

static void
on_name_owner_changed (GObject *object, GParamSpec *pspec, LbLicensesPage *self)
{
  if (service_running (self))
    {
      self->had_owner = TRUE;
      self->state = LB_LICENSES_PAGE_READY;
      g_clear_pointer (&self->unavailable_reason, g_free);
      subscribe (self);
      refresh_apps (self);
      sync_all (self);
      return;
    }
  /* Whatever ran is gone with it. */
  g_clear_pointer (&self->subscribed_owner, g_free);
  self->own_operation = 0;
  self->restricted_operation = 0;
  g_ptr_array_set_size (self->restricted, 0);
  close_dialog (self);
  /* It exits when it has been idle for a while: start it again (through
   * D-Bus activation), unless it just failed to stay up. */
  if (self->had_owner
      && (self->last_restart_us == 0
          || g_get_monotonic_time () - self->last_restart_us >= RESTART_INTERVAL_US))
    start_service (self);
  else
    set_unavailable (self, NULL);
}

static void
on_store_ready (GObject *source, GAsyncResult *result, gpointer user_data)
{
  LbLicensesPage *self = user_data;
  g_autoptr (GError) error = NULL;
  LbDBusStore *store = lb_dbus_store_proxy_new_finish (result, &error);

  if (is_cancelled (error))
    return;
  if (store == NULL)
    {
      set_unavailable (self, error);
      return;
    }
  self->store = store;
  g_signal_connect (self->store, "notify::license-count", G_CALLBACK (on_license_count_changed),
                    self);
  /* Both proxies are there: show what the service says. */
  on_name_owner_changed (NULL, NULL, self);
}

static void
on_manager_ready (GObject *source, GAsyncResult *result, gpointer user_data)
{
  LbLicensesPage *self = user_data;
  g_autoptr (GError) error = NULL;
  LbDBusManager *manager = lb_dbus_manager_proxy_new_finish (result, &error);
  const char *const notified[] = {
    "notify::operation",   "notify::licenses-done", "notify::licenses-total",
    "notify::backup-path", "notify::restore-path",  "notify::last-backup-time",
    "notify::status",      "notify::cancelable",
  };

  if (is_cancelled (error))
    return;
  if (manager == NULL)
    {
      /* Not a missing service (the proxy copes with that): one that D-Bus
       * could not start. */
      set_unavailable (self, error);
      return;
    }
  self->manager = manager;
  g_signal_connect (manager, "notify::g-name-owner", G_CALLBACK (on_name_owner_changed), self);
  for (guint i = 0; i < G_N_ELEMENTS (notified); i++)
    g_signal_connect (manager, notified[i], G_CALLBACK (on_property_changed), self);
  g_signal_connect (manager, "backup-completed", G_CALLBACK (on_backup_completed), self);
  g_signal_connect (manager, "restore-completed", G_CALLBACK (on_restore_completed), self);
  g_signal_connect (manager, "restricted-license", G_CALLBACK (on_restricted_license), self);
  g_signal_connect (manager, "support-url", G_CALLBACK (on_support_url), self);
  g_object_bind_property (manager, "progress", self->progress_bar, "fraction",
                          G_BINDING_SYNC_CREATE);
  g_object_bind_property (manager, "cancelable", self->cancel_button, "sensitive",
                          G_BINDING_SYNC_CREATE);

  /* The first proxy started the service if it could; this one only
   * connects. */
  lb_dbus_store_proxy_new (self->bus, G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START, BUS_NAME, OBJECT_PATH,
                           self->cancellable, on_store_ready, self);
}

static void
make_proxies (LbLicensesPage *self)
{
  self->state = LB_LICENSES_PAGE_CONNECTING;
  /* Without DO_NOT_AUTO_START: making the proxy starts the service
   * through D-Bus activation when it is installed. */
  lb_dbus_manager_proxy_new (self->bus, G_DBUS_PROXY_FLAGS_NONE, BUS_NAME, OBJECT_PATH,
                             self->cancellable, on_manager_ready, self);
  sync_all (self);
}

static void
on_bus_ready (GObject *source, GAsyncResult *result, gpointer user_data)
{
  LbLicensesPage *self = user_data;
  g_autoptr (GError) error = NULL;
  GDBusConnection *bus = g_bus_get_finish (result, &error);

  if (is_cancelled (error))
    return;
  if (bus == NULL)
    {
      set_unavailable (self, error);
      return;
    }
  self->bus = bus;
  make_proxies (self);
}

static void
connect_service (LbLicensesPage *self)
{
  self->state = LB_LICENSES_PAGE_CONNECTING;
  if (self->bus == NULL && self->connection != NULL)
    self->bus = g_object_ref (self->connection);
  if (self->bus == NULL)
    g_bus_get (G_BUS_TYPE_SESSION, self->cancellable, on_bus_ready, self);
  else
    make_proxies (self);
  sync_all (self);
}

static void
drop_proxies (LbLicensesPage *self)
{
  if (self->manager != NULL)
    g_signal_handlers_disconnect_by_data (self->manager, self);
  if (self->store != NULL)
    g_signal_handlers_disconnect_by_data (self->store, self);
  g_clear_object (&self->manager);
  g_clear_object (&self->store);
}

static void
on_retry_clicked (GtkButton *button, LbLicensesPage *self)
{
  if (self->manager != NULL && self->store != NULL)
    start_service (self);
  else
    {
      /* The proxies could not be made: start over. */
      drop_proxies (self);
      connect_service (self);
    }
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
  const char *op = ready ? current_operation (self) : "";
  gboolean running = op[0] != '\0';
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
  gtk_widget_set_sensitive (GTK_WIDGET (self->restore_row), ready);

  if (ready && self->store != NULL)
    count = lb_panel_format_count (lb_dbus_store_get_license_count (self->store));
  gtk_label_set_text (self->count_label, count != NULL ? count : "—");
  if (ready)
    {
      gint64 t = lb_dbus_manager_get_last_backup_time (self->manager);

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
                    ready ? lb_dbus_manager_get_backup_path (self->manager) : NULL);
  set_location_row (self->restore_row, ready,
                    ready ? lb_dbus_manager_get_restore_path (self->manager) : NULL);

  gtk_widget_set_visible (GTK_WIDGET (self->progress_row), running);
  if (running)
    {
      guint status = lb_dbus_manager_get_status (self->manager);
      /* Mounting a network folder can take a while before the first license. */
      g_autofree char *progress
          = status == STATUS_CONNECTING ? g_strdup (_ ("Connecting to the backup location…"))
            : status == STATUS_DISCONNECTING
                ? g_strdup (_ ("Disconnecting from the backup location…"))
                : lb_panel_format_progress (lb_dbus_manager_get_licenses_done (self->manager),
                                            lb_dbus_manager_get_licenses_total (self->manager));
      gboolean restore = g_str_equal (op, "restore");

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->progress_row),
                                     restore ? _ ("Restoring Licenses…")
                                             : _ ("Backing Up Licenses…"));
      adw_action_row_set_subtitle (self->progress_row, progress);
      gtk_accessible_update_property (GTK_ACCESSIBLE (self->progress_bar),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      restore ? _ ("Restore progress") : _ ("Backup progress"),
                                      GTK_ACCESSIBLE_PROPERTY_VALUE_TEXT, progress, -1);
    }

  gtk_widget_set_sensitive (GTK_WIDGET (self->backup_button),
                            ready && !running && !self->start_pending && !asking);
  gtk_widget_set_sensitive (GTK_WIDGET (self->restore_button),
                            ready && !running && !self->start_pending && !asking);
}

static gboolean
on_tick (gpointer user_data)
{
  sync_all (user_data); /* "5 minutes ago" moves on */
  return G_SOURCE_CONTINUE;
}

/* Building */

static GtkWidget *
location_row (LbLicensesPage *self,
              const char *title,
              const char *button_label,
              GCallback on_choose)
{
  GtkWidget *row = new_row (title, NULL);
  GtkWidget *button = gtk_button_new_from_icon_name ("folder-open-symbolic");

  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "flat");
  label_button (button, button_label);
  g_signal_connect (button, "clicked", on_choose, self);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
  /* Clicking the row, or Enter on it, chooses too. */
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), button);
  return row;
}

static void
build_ui (LbLicensesPage *self)
{
  AdwPreferencesPage *page = ADW_PREFERENCES_PAGE (self);
  GtkWidget *w, *box, *button;

  adw_preferences_page_set_title (page, _ ("Media Licenses"));
  adw_preferences_page_set_icon_name (page, "org.freedesktop.LicenseBackup1.Panel");

  /* The error banner, at the top */
  self->banner_group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  self->banner_row = ADW_ACTION_ROW (new_row ("", NULL));
  adw_action_row_set_subtitle_lines (self->banner_row, 0);
  adw_action_row_set_icon_name (self->banner_row, "dialog-error-symbolic");
  gtk_widget_add_css_class (GTK_WIDGET (self->banner_row), "error");
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->banner_row),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, _ ("Error"), -1);
  self->banner_link = GTK_LINK_BUTTON (gtk_link_button_new ("https://example.invalid/"));
  gtk_widget_set_valign (GTK_WIDGET (self->banner_link), GTK_ALIGN_CENTER);
  adw_action_row_add_suffix (self->banner_row, GTK_WIDGET (self->banner_link));
  button = gtk_button_new_from_icon_name ("window-close-symbolic");
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "flat");
  label_button (button, _ ("Dismiss"));
  g_signal_connect (button, "clicked", G_CALLBACK (on_banner_dismiss), self);
  adw_action_row_add_suffix (self->banner_row, button);
  adw_preferences_group_add (self->banner_group, GTK_WIDGET (self->banner_row));
  adw_preferences_page_add (page, self->banner_group);

  /* The service is missing */
  self->unavailable_group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  self->unavailable_page = ADW_STATUS_PAGE (adw_status_page_new ());
  adw_status_page_set_icon_name (self->unavailable_page, "dialog-warning-symbolic");
  adw_status_page_set_title (self->unavailable_page,
                             _ ("The License Backup Service Is Not Available"));
  button = gtk_button_new_with_mnemonic (_ ("_Try Again"));
  gtk_widget_set_halign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "pill");
  g_signal_connect (button, "clicked", G_CALLBACK (on_retry_clicked), self);
  adw_status_page_set_child (self->unavailable_page, button);
  adw_preferences_group_add (self->unavailable_group, GTK_WIDGET (self->unavailable_page));
  adw_preferences_page_add (page, self->unavailable_group);

  /* Licenses */
  self->licenses_group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  adw_preferences_group_set_title (self->licenses_group, _ ("Licenses"));
  adw_preferences_group_set_description (
      self->licenses_group,
      _ ("Media apps keep the licenses of the songs and videos you bought on this computer. "
         "Back them up to play your media again after reinstalling or on a new computer."));
  self->count_row = ADW_ACTION_ROW (new_row (_ ("Licenses on This Computer"), NULL));
  self->count_label = GTK_LABEL (gtk_label_new ("—"));
  gtk_widget_add_css_class (GTK_WIDGET (self->count_label), "dim-label");
  gtk_widget_add_css_class (GTK_WIDGET (self->count_label), "numeric");
  adw_action_row_add_suffix (self->count_row, GTK_WIDGET (self->count_label));
  gtk_accessible_update_relation (GTK_ACCESSIBLE (self->count_label),
                                  GTK_ACCESSIBLE_RELATION_LABELLED_BY, self->count_row, NULL, -1);
  adw_preferences_group_add (self->licenses_group, GTK_WIDGET (self->count_row));
  self->last_backup_row = ADW_ACTION_ROW (new_row (_ ("Last Backup"), "—"));
  adw_preferences_group_add (self->licenses_group, GTK_WIDGET (self->last_backup_row));
  adw_preferences_page_add (page, self->licenses_group);

  /* The apps holding them, with how many each */
  self->apps_group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  adw_preferences_group_set_title (self->apps_group, _ ("Apps"));
  adw_preferences_page_add (page, self->apps_group);

  /* Back up and restore */
  self->backup_group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  adw_preferences_group_set_title (self->backup_group, _ ("Back Up and Restore"));
  self->backup_row = ADW_ACTION_ROW (location_row (
      self, _ ("Backup Location"), _ ("Choose Backup Location"), G_CALLBACK (on_choose_backup)));
  adw_preferences_group_add (self->backup_group, GTK_WIDGET (self->backup_row));
  self->restore_row = ADW_ACTION_ROW (location_row (
      self, _ ("Restore Location"), _ ("Choose Restore Location"), G_CALLBACK (on_choose_restore)));
  adw_preferences_group_add (self->backup_group, GTK_WIDGET (self->restore_row));

  self->progress_row = ADW_ACTION_ROW (new_row (_ ("Backing Up Licenses…"), NULL));
  self->progress_bar = GTK_PROGRESS_BAR (gtk_progress_bar_new ());
  gtk_widget_set_valign (GTK_WIDGET (self->progress_bar), GTK_ALIGN_CENTER);
  gtk_widget_set_size_request (GTK_WIDGET (self->progress_bar), 160, -1);
  adw_action_row_add_suffix (self->progress_row, GTK_WIDGET (self->progress_bar));
  self->cancel_button = GTK_BUTTON (gtk_button_new_with_mnemonic (_ ("_Cancel")));
  gtk_widget_set_valign (GTK_WIDGET (self->cancel_button), GTK_ALIGN_CENTER);
  g_signal_connect (self->cancel_button, "clicked", G_CALLBACK (on_cancel_clicked), self);
  adw_action_row_add_suffix (self->progress_row, GTK_WIDGET (self->cancel_button));
  gtk_widget_set_visible (GTK_WIDGET (self->progress_row), FALSE);
  adw_preferences_group_add (self->backup_group, GTK_WIDGET (self->progress_row));

  box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  gtk_widget_set_halign (box, GTK_ALIGN_END);
  gtk_widget_set_margin_top (box, 12);
  w = gtk_button_new_with_mnemonic (_ ("_Restore…"));
  self->restore_button = GTK_BUTTON (w);
  g_signal_connect (w, "clicked", G_CALLBACK (on_restore_clicked), self);
  gtk_box_append (GTK_BOX (box), w);
  w = gtk_button_new_with_mnemonic (_ ("Back _Up Now"));
  self->backup_button = GTK_BUTTON (w);
  gtk_widget_add_css_class (w, "suggested-action");
  g_signal_connect (w, "clicked", G_CALLBACK (on_backup_clicked), self);
  gtk_box_append (GTK_BOX (box), w);
  adw_preferences_group_add (self->backup_group, box);
  adw_preferences_page_add (page, self->backup_group);

  /* The outcome of the last operation */
  self->result_group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  adw_preferences_page_add (page, self->result_group);

  hide_banner (self);
  gtk_widget_set_visible (GTK_WIDGET (self->result_group), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->apps_group), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->unavailable_group), FALSE);
}

/* GObject */

static void
lb_licenses_page_constructed (GObject *object)
{
  LbLicensesPage *self = LB_LICENSES_PAGE (object);

  G_OBJECT_CLASS (lb_licenses_page_parent_class)->constructed (object);
  build_ui (self);
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
  unsubscribe (self);
  drop_proxies (self);
  G_OBJECT_CLASS (lb_licenses_page_parent_class)->dispose (object);
}

static void
lb_licenses_page_finalize (GObject *object)
{
  LbLicensesPage *self = LB_LICENSES_PAGE (object);

  g_clear_object (&self->cancellable);
  g_clear_object (&self->connection);
  g_clear_object (&self->bus);
  g_ptr_array_unref (self->restricted);
  g_free (self->support_url);
  g_ptr_array_unref (self->app_rows);
  g_free (self->subscribed_owner);
  g_free (self->unavailable_reason);
  g_free (self->last_toast);
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

  /* A library's strings: its own text domain, wherever it is embedded.
   * LB_LOCALEDIR: translations from a build tree. */
  bindtextdomain (GETTEXT_PACKAGE, localedir != NULL ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
}

static void
lb_licenses_page_init (LbLicensesPage *self)
{
  self->cancellable = g_cancellable_new ();
  self->restricted = g_ptr_array_new_with_free_func (restricted_free);
  self->app_rows = g_ptr_array_new ();
  self->state = LB_LICENSES_PAGE_CONNECTING;
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
