/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* license-backup-panel: the Media Licenses page in a window of its own,
 * until a Settings panel embeds LbLicensesPage. */
#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <stdio.h>

#include "lb-licenses-page.h"

#define APP_ID "org.freedesktop.LicenseBackup1.Panel"

static void
on_activate (GApplication *app, gpointer user_data)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));
  GtkWidget *overlay, *box, *header, *title, *page, *menu_button;
  g_autoptr (GMenu) menu = g_menu_new ();

  if (window != NULL)
    {
      gtk_window_present (window);
      return;
    }

  window = GTK_WINDOW (adw_application_window_new (GTK_APPLICATION (app)));
  gtk_window_set_title (window, _ ("Media Licenses"));
  gtk_window_set_default_size (window, 640, 800);
  gtk_window_set_icon_name (window, APP_ID);

  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  header = adw_header_bar_new ();
  title = adw_window_title_new (_ ("Media Licenses"), NULL);
  adw_header_bar_set_title_widget (ADW_HEADER_BAR (header), title);
  g_menu_append (menu, _ ("_About Media Licenses"), "app.about");
  menu_button = gtk_menu_button_new ();
  gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (menu_button), "open-menu-symbolic");
  gtk_menu_button_set_menu_model (GTK_MENU_BUTTON (menu_button), G_MENU_MODEL (menu));
  gtk_menu_button_set_primary (GTK_MENU_BUTTON (menu_button), TRUE);
  gtk_widget_set_tooltip_text (menu_button, _ ("Main Menu"));
  adw_header_bar_pack_end (ADW_HEADER_BAR (header), menu_button);
  gtk_box_append (GTK_BOX (box), header);
  page = lb_licenses_page_new (NULL);
  gtk_widget_set_vexpand (page, TRUE);
  gtk_box_append (GTK_BOX (box), page);

  /* The page's toasts show over it. */
  overlay = adw_toast_overlay_new ();
  adw_toast_overlay_set_child (ADW_TOAST_OVERLAY (overlay), box);
  adw_application_window_set_content (ADW_APPLICATION_WINDOW (window), overlay);
  gtk_window_present (window);
}

static void
on_quit (GSimpleAction *action, GVariant *parameter, gpointer app)
{
  g_application_quit (G_APPLICATION (app));
}

static void
on_about (GSimpleAction *action, GVariant *parameter, gpointer app)
{
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (app));

  adw_show_about_window (parent, "application-name", _ ("Media Licenses"), "application-icon",
                         APP_ID, "version", PACKAGE_VERSION, "comments",
                         _ ("Back up and restore the content licenses of your media apps."),
                         "license-type", GTK_LICENSE_LGPL_2_1, NULL);
}

/* --version: the release, as license-backup --version says it. */
static int
on_handle_local_options (GApplication *app, GVariantDict *options, gpointer user_data)
{
  if (g_variant_dict_contains (options, "version"))
    {
      printf ("license-backup-panel %s\n", PACKAGE_VERSION);
      return 0;
    }
  return -1;
}

static void
on_startup (GApplication *app, gpointer user_data)
{
  const GActionEntry actions[] = {
    { "quit", on_quit, NULL, NULL, NULL, { 0 } },
    { "about", on_about, NULL, NULL, NULL, { 0 } },
  };
  const char *quit_accels[] = { "<Control>q", "<Control>w", NULL };

  g_action_map_add_action_entries (G_ACTION_MAP (app), actions, G_N_ELEMENTS (actions), app);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.quit", quit_accels);
}

int
main (int argc, char **argv)
{
  g_autoptr (AdwApplication) app = NULL;
  const char *localedir = g_getenv ("LB_LOCALEDIR");

  setlocale (LC_ALL, "");
  /* LB_LOCALEDIR: translations from a build tree (uninstalled runs). */
  bindtextdomain (GETTEXT_PACKAGE, localedir != NULL ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  g_set_application_name (_ ("Media Licenses"));
  app = adw_application_new (APP_ID, G_APPLICATION_DEFAULT_FLAGS);
  g_application_add_main_option (G_APPLICATION (app), "version", 0, G_OPTION_FLAG_NONE,
                                 G_OPTION_ARG_NONE, _ ("Show the version"), NULL);
  g_signal_connect (app, "handle-local-options", G_CALLBACK (on_handle_local_options), NULL);
  g_signal_connect (app, "startup", G_CALLBACK (on_startup), NULL);
  g_signal_connect (app, "activate", G_CALLBACK (on_activate), NULL);
  return g_application_run (G_APPLICATION (app), argc, argv);
}
