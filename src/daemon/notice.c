/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "notice.h"

#include <gio/gdesktopappinfo.h>
#include <glib/gi18n.h>

/* How long the service stays up for the notification's action. */
#define NOTICE_HOLD_SECONDS (30 * 60)
#define PANEL_DESKTOP_ID "org.freedesktop.LicenseBackup1.Panel.desktop"

struct _LbNotice
{
  GObject parent_instance;

  LbIdle *idle;
  GDBusConnection *connection; /* while a notice is up */
  guint32 id;                  /* the server's, once it has answered */
  guint hold;                  /* lb_idle_hold() while it can be clicked */
  guint timeout;               /* ends the hold */
  guint subscription;
};

G_DEFINE_TYPE (LbNotice, lb_notice, G_TYPE_OBJECT)

void
lb_notice_clear (LbNotice *self)
{
  if (self->subscription != 0)
    g_dbus_connection_signal_unsubscribe (self->connection, self->subscription);
  self->subscription = 0;
  g_clear_object (&self->connection);
  g_clear_handle_id (&self->timeout, g_source_remove);
  if (self->hold != 0)
    lb_idle_release (self->idle, self->hold);
  self->hold = 0;
  self->id = 0;
}

static gboolean
on_timeout (gpointer user_data)
{
  LbNotice *self = user_data;

  self->timeout = 0;
  lb_notice_clear (self);
  return G_SOURCE_REMOVE;
}

static void
open_panel (void)
{
  g_autoptr (GDesktopAppInfo) panel = g_desktop_app_info_new (PANEL_DESKTOP_ID);
  g_autoptr (GError) error = NULL;

  if (panel == NULL)
    {
      g_warning ("Cannot open the Media Licenses panel: %s is not installed", PANEL_DESKTOP_ID);
      return;
    }
  if (!g_app_info_launch (G_APP_INFO (panel), NULL, NULL, &error))
    g_warning ("Cannot open the Media Licenses panel: %s", error->message);
}

static void
on_signal (GDBusConnection *connection,
           const char *sender,
           const char *object_path,
           const char *interface_name,
           const char *signal_name,
           GVariant *parameters,
           gpointer user_data)
{
  LbNotice *self = user_data;
  guint32 id = 0;

  if (!g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(us)"))
      && !g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(uu)")))
    return;
  g_variant_get_child (parameters, 0, "u", &id);
  if (self->id == 0 || id != self->id)
    return;
  if (g_str_equal (signal_name, "ActionInvoked"))
    {
      g_debug ("the notification's action was invoked: opening the panel");
      open_panel ();
    }
  lb_notice_clear (self);
}

static void
on_notified (GObject *source, GAsyncResult *result, gpointer user_data)
{
  LbNotice *self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply
      = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);

  if (reply == NULL)
    {
      /* No notification server (no desktop): nobody to tell. */
      g_debug ("Cannot show the notification: %s", error->message);
      lb_notice_clear (self);
    }
  else
    g_variant_get (reply, "(u)", &self->id);
  g_object_unref (self);
}

void
lb_notice_show (
    LbNotice *self, GDBusConnection *connection, guint days, const char *folder, const char *why)
{
  g_autofree char *summary = NULL;
  g_autofree char *body = NULL;
  const char *actions[] = { "default", _ ("Open Media Licenses"), NULL };
  GVariantBuilder hints;

  summary = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                          "Licenses have not been backed up for %u day",
                                          "Licenses have not been backed up for %u days", days),
                             days);
  /* TRANSLATORS: the first %s is the backup folder, the second why the
   * last automatic backup failed */
  body = g_strdup_printf (_ ("Automatic backups to %s are failing: %s"), folder,
                          why[0] != '\0' ? why : _ ("the backup could not be made"));
  g_variant_builder_init (&hints, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&hints, "{sv}", "desktop-entry",
                         g_variant_new_string ("org.freedesktop.LicenseBackup1.Panel"));
  g_variant_builder_add (&hints, "{sv}", "urgency", g_variant_new_byte (1));

  lb_notice_clear (self);
  self->connection = g_object_ref (connection);
  /* The action reaches this process: stay up while it can be clicked. */
  self->hold = lb_idle_hold (self->idle, "the notification that backups are failing");
  self->timeout = g_timeout_add_seconds (NOTICE_HOLD_SECONDS, on_timeout, self);
  self->subscription = g_dbus_connection_signal_subscribe (
      connection, NULL, "org.freedesktop.Notifications", NULL, "/org/freedesktop/Notifications",
      NULL, G_DBUS_SIGNAL_FLAGS_NONE, on_signal, self, NULL);
  g_dbus_connection_call (
      connection, "org.freedesktop.Notifications", "/org/freedesktop/Notifications",
      "org.freedesktop.Notifications", "Notify",
      g_variant_new ("(susss^asa{sv}i)", _ ("Media Licenses"), 0,
                     "org.freedesktop.LicenseBackup1.Panel", summary, body, actions, &hints, -1),
      G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, on_notified, g_object_ref (self));
}

LbNotice *
lb_notice_new (LbIdle *idle)
{
  LbNotice *self = g_object_new (LB_TYPE_NOTICE, NULL);

  self->idle = g_object_ref (idle);
  return self;
}

static void
lb_notice_finalize (GObject *object)
{
  LbNotice *self = LB_NOTICE (object);

  lb_notice_clear (self);
  g_clear_object (&self->idle);
  G_OBJECT_CLASS (lb_notice_parent_class)->finalize (object);
}

static void
lb_notice_class_init (LbNoticeClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = lb_notice_finalize;
}

static void
lb_notice_init (LbNotice *self)
{
}
