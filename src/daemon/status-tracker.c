/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "status-tracker.h"

struct _LbStatusTracker
{
  GObject parent_instance;

  GMutex lock; /* guards status and message */
  guint status;
  char *message;

  /* set by attach on the main context, read-only while attached */
  GDBusConnection *connection;
  guint filter_id;
  char *object_path;
  char *interface_name;
  LbIdle *idle;
};

G_DEFINE_TYPE (LbStatusTracker, lb_status_tracker, G_TYPE_OBJECT)

LbStatusTracker *
lb_status_tracker_new (guint status)
{
  LbStatusTracker *self = g_object_new (LB_TYPE_STATUS_TRACKER, NULL);

  self->status = status;
  return self;
}

void
lb_status_tracker_set (LbStatusTracker *self, guint status, const char *message)
{
  g_autofree char *old = NULL;

  g_mutex_lock (&self->lock);
  self->status = status;
  old = g_steal_pointer (&self->message);
  self->message = g_strdup (message != NULL ? message : "");
  g_mutex_unlock (&self->lock);
}

guint
lb_status_tracker_get (LbStatusTracker *self, char **message)
{
  guint status;

  g_mutex_lock (&self->lock);
  status = self->status;
  if (message != NULL)
    *message = g_strdup (self->message != NULL ? self->message : "");
  g_mutex_unlock (&self->lock);
  return status;
}

static gboolean
is_get_status (LbStatusTracker *self, GDBusMessage *message)
{
  const char *signature = g_dbus_message_get_signature (message);

  return g_dbus_message_get_message_type (message) == G_DBUS_MESSAGE_TYPE_METHOD_CALL
         && g_strcmp0 (g_dbus_message_get_member (message), "GetStatus") == 0
         && g_strcmp0 (g_dbus_message_get_interface (message), self->interface_name) == 0
         && g_strcmp0 (g_dbus_message_get_path (message), self->object_path) == 0
         && (signature == NULL || *signature == '\0');
}

/* In GDBus's worker thread: no main-loop state may be touched here. */
static GDBusMessage *
filter (GDBusConnection *connection, GDBusMessage *message, gboolean incoming, gpointer user_data)
{
  LbStatusTracker *self = user_data;
  g_autoptr (GDBusMessage) reply = NULL;
  g_autofree char *text = NULL;
  guint status;

  if (!incoming || !is_get_status (self, message))
    return message;

  status = lb_status_tracker_get (self, &text);
  if (!(g_dbus_message_get_flags (message) & G_DBUS_MESSAGE_FLAGS_NO_REPLY_EXPECTED))
    {
      reply = g_dbus_message_new_method_reply (message);
      g_dbus_message_set_body (reply, g_variant_new ("(us)", status, text));
      g_dbus_connection_send_message (connection, reply, G_DBUS_SEND_MESSAGE_FLAGS_NONE, NULL,
                                      NULL);
    }
  lb_idle_touch_any_thread (self->idle);
  g_object_unref (message);
  return NULL;
}

void
lb_status_tracker_attach (LbStatusTracker *self,
                          GDBusConnection *connection,
                          const char *object_path,
                          const char *interface_name,
                          LbIdle *idle)
{
  g_return_if_fail (self->connection == NULL);

  self->connection = g_object_ref (connection);
  self->object_path = g_strdup (object_path);
  self->interface_name = g_strdup (interface_name);
  self->idle = g_object_ref (idle);
  self->filter_id
      = g_dbus_connection_add_filter (connection, filter, g_object_ref (self), g_object_unref);
}

void
lb_status_tracker_detach (LbStatusTracker *self)
{
  if (self->connection == NULL)
    return;
  /* The filter holds its own reference, dropped once it can no longer run,
   * so the fields it reads stay valid until then. */
  g_dbus_connection_remove_filter (self->connection, self->filter_id);
  self->filter_id = 0;
  g_clear_object (&self->connection);
}

static void
lb_status_tracker_finalize (GObject *object)
{
  LbStatusTracker *self = LB_STATUS_TRACKER (object);

  g_clear_object (&self->connection);
  g_free (self->object_path);
  g_free (self->interface_name);
  g_clear_object (&self->idle);
  g_free (self->message);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (lb_status_tracker_parent_class)->finalize (object);
}

static void
lb_status_tracker_class_init (LbStatusTrackerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = lb_status_tracker_finalize;
}

static void
lb_status_tracker_init (LbStatusTracker *self)
{
  g_mutex_init (&self->lock);
}
