/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lb-panel-apps: the apps that hold licenses, as the user knows them.
 *
 * GIO only (GDesktopAppInfo), no GTK, so that it can be tested without a
 * display. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The name of the app @app_id ("" for host programs) and, in *@icon
 * (optional; NULL when there is none), its icon. An installed app has the
 * Name= and Icon= of its .desktop file: APP_ID.desktop, as Flatpak exports
 * it, or for "snap.NAME" NAME_NAME.desktop, as snapd names the desktop
 * file of the snap's main app. An app that is not installed is its id; ""
 * is "Other apps". Newly allocated and translated. */
char *lb_panel_app_name (const char *app_id, GIcon **icon);

G_END_DECLS
