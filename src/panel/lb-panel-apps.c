/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "lb-panel-apps.h"

#include <gio/gdesktopappinfo.h>
#include <glib/gi18n-lib.h>
#include <string.h>

#define SNAP_PREFIX "snap."

static GDesktopAppInfo *
desktop_app_info_for (const char *app_id)
{
  g_autofree char *desktop_id = NULL;

  if (g_str_has_prefix (app_id, SNAP_PREFIX) && app_id[strlen (SNAP_PREFIX)] != '\0')
    {
      const char *snap = app_id + strlen (SNAP_PREFIX);
      g_autofree char *snap_desktop_id = g_strdup_printf ("%s_%s.desktop", snap, snap);
      GDesktopAppInfo *info = g_desktop_app_info_new (snap_desktop_id);

      if (info != NULL)
        return info;
    }
  desktop_id = g_strconcat (app_id, ".desktop", NULL);
  return g_desktop_app_info_new (desktop_id);
}

char *
lb_panel_app_name (const char *app_id, GIcon **icon)
{
  g_autoptr (GDesktopAppInfo) info = NULL;
  const char *name;

  if (icon != NULL)
    *icon = NULL;
  if (app_id == NULL || app_id[0] == '\0')
    /* TRANSLATORS: the licenses of programs that are not Flatpak or Snap
     * apps: those installed with the system, and the user's own tools */
    return g_strdup (_ ("Other apps"));

  info = desktop_app_info_for (app_id);
  name = info != NULL ? g_app_info_get_name (G_APP_INFO (info)) : NULL;
  if (name == NULL || name[0] == '\0')
    return g_strdup (app_id);
  if (icon != NULL && g_app_info_get_icon (G_APP_INFO (info)) != NULL)
    *icon = g_object_ref (g_app_info_get_icon (G_APP_INFO (info)));
  return g_strdup (name);
}
