#include "config.h"

#include "manager.h"

#include <glib/gi18n.h>

#include "lb-error.h"
#include "location.h"
#include "state.h"

#define STATE_FILE "state.ini"

enum
{
  LB_STATUS_ERROR = 0,
  LB_STATUS_INFORMATION = 1,
  LB_STATUS_BEGIN = 2,
  LB_STATUS_END = 3,
  LB_STATUS_CONNECTING = 4,
  LB_STATUS_DISCONNECTING = 5,
  LB_STATUS_ERROR_WITHURL = 6,
  LB_STATUS_NEEDS_INDIVIDUALIZATION = 8,
};

struct _LbManager
{
  LbDBusManagerSkeleton parent_instance;

  LbStore *store;
  LbIdle *idle;
  char *state_path;
  LbState state;

  /* The generated vtable with set_property wrapped for validation. */
  GDBusInterfaceVTable vtable;
  GDBusInterfaceSetPropertyFunc parent_set_property;

  /* GetStatus of the pending or last operation. */
  guint status;
  char *error_message;
};

G_DEFINE_TYPE (LbManager, lb_manager, LB_DBUS_TYPE_MANAGER_SKELETON)

enum
{
  SIGNAL_STORE_CHANGED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

static gboolean
manager_set_property (GDBusConnection *connection, const char *sender, const char *object_path,
                      const char *interface_name, const char *property_name, GVariant *value,
                      GError **error, gpointer user_data)
{
  LbManager *self = LB_MANAGER (user_data);

  if (g_str_equal (property_name, "BackupPath") || g_str_equal (property_name, "RestorePath"))
    {
      if (!g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS,
                       _("Property “%s” is a string"), property_name);
          return FALSE;
        }
      if (!lb_location_validate (g_variant_get_string (value, NULL), TRUE, error))
        return FALSE;
    }
  return self->parent_set_property (connection, sender, object_path, interface_name,
                                    property_name, value, error, user_data);
}

static GDBusInterfaceVTable *
manager_get_vtable (GDBusInterfaceSkeleton *skeleton)
{
  LbManager *self = LB_MANAGER (skeleton);
  GDBusInterfaceVTable *parent;

  if (self->parent_set_property == NULL)
    {
      parent = G_DBUS_INTERFACE_SKELETON_CLASS (lb_manager_parent_class)->get_vtable (skeleton);
      self->vtable = *parent;
      self->parent_set_property = parent->set_property;
      self->vtable.set_property = manager_set_property;
    }
  return &self->vtable;
}

static void
save_state (LbManager *self)
{
  g_autoptr (GError) error = NULL;

  if (!lb_state_save (&self->state, self->state_path, &error))
    g_warning ("Cannot save settings to %s: %s", self->state_path, error->message);
}

static void
on_path_changed (LbManager *self, GParamSpec *pspec, gpointer user_data)
{
  g_free (self->state.backup_path);
  g_free (self->state.restore_path);
  self->state.backup_path = g_strdup (lb_dbus_manager_get_backup_path (LB_DBUS_MANAGER (self)));
  self->state.restore_path = g_strdup (lb_dbus_manager_get_restore_path (LB_DBUS_MANAGER (self)));
  save_state (self);
}

static gboolean
handle_get_status (LbManager *self, GDBusMethodInvocation *invocation)
{
  lb_dbus_manager_complete_get_status (LB_DBUS_MANAGER (self), invocation, self->status,
                                       self->error_message != NULL ? self->error_message : "");
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

LbManager *
lb_manager_new (LbStore *store, LbIdle *idle, GError **error)
{
  g_autoptr (LbManager) self = g_object_new (LB_TYPE_MANAGER, NULL);
  LbDBusManager *iface = LB_DBUS_MANAGER (self);

  self->store = g_object_ref (store);
  self->idle = g_object_ref (idle);
  self->state_path = g_build_filename (lb_store_get_dir (store), STATE_FILE, NULL);
  if (!lb_state_load (&self->state, self->state_path, error))
    return NULL;

  self->status = LB_STATUS_INFORMATION;
  lb_dbus_manager_set_backup_path (iface, self->state.backup_path);
  lb_dbus_manager_set_restore_path (iface, self->state.restore_path);
  lb_dbus_manager_set_last_backup_time (iface, self->state.last_backup_time);
  lb_dbus_manager_set_status (iface, self->status);
  lb_dbus_manager_set_operation (iface, "");
  lb_dbus_manager_set_cancelable (iface, FALSE);

  g_signal_connect (self, "notify::backup-path", G_CALLBACK (on_path_changed), NULL);
  g_signal_connect (self, "notify::restore-path", G_CALLBACK (on_path_changed), NULL);
  g_signal_connect (self, "handle-get-status", G_CALLBACK (handle_get_status), NULL);
  return g_steal_pointer (&self);
}

void
lb_manager_shutdown (LbManager *self)
{
}

static void
lb_manager_finalize (GObject *object)
{
  LbManager *self = LB_MANAGER (object);

  g_clear_object (&self->store);
  g_clear_object (&self->idle);
  g_free (self->state_path);
  lb_state_clear (&self->state);
  g_free (self->error_message);
  G_OBJECT_CLASS (lb_manager_parent_class)->finalize (object);
}

static void
lb_manager_class_init (LbManagerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = lb_manager_finalize;
  G_DBUS_INTERFACE_SKELETON_CLASS (klass)->get_vtable = manager_get_vtable;
  signals[SIGNAL_STORE_CHANGED]
      = g_signal_new ("store-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                      NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
}

static void
lb_manager_init (LbManager *self)
{
}
