/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "service.h"

#include "callers.h"
#include "manager.h"
#include "store-dbus.h"
#include "store.h"

struct _LbService
{
  GObject parent_instance;

  LbIdle *idle;
  LbStore *store;
  LbStoreDBus *store_iface;
  LbManager *manager;
  LbCallers *callers; /* from export on */
};

G_DEFINE_TYPE (LbService, lb_service, G_TYPE_OBJECT)

LbService *
lb_service_new (const char *data_dir, const char *machine_app_id, LbIdle *idle, GError **error)
{
  g_autoptr (LbService) self = g_object_new (LB_TYPE_SERVICE, NULL);

  self->idle = g_object_ref (idle);
  self->store = lb_store_open (data_dir, machine_app_id, error);
  if (self->store == NULL)
    return NULL;
  self->manager = lb_manager_new (self->store, idle, error);
  if (self->manager == NULL)
    return NULL;

  self->store_iface = lb_store_dbus_new (self->store, idle);
  /* Restores add licenses outside the Store interface. */
  g_signal_connect_object (self->manager, "store-changed",
                           G_CALLBACK (lb_dbus_store_set_license_count), self->store_iface,
                           G_CONNECT_SWAPPED);
  return g_steal_pointer (&self);
}

void
lb_service_set_app_limits (LbService *self, guint64 max_licenses, guint64 max_bytes)
{
  lb_store_set_app_limits (self->store, max_licenses, max_bytes);
}

void
lb_service_set_machine_info_file (LbService *self, const char *path)
{
  lb_store_set_machine_info_file (self->store, path);
}

gboolean
lb_service_export (LbService *self, GDBusConnection *connection, GError **error)
{
  g_clear_object (&self->callers);
  self->callers = lb_callers_new (connection);
  lb_store_dbus_set_callers (self->store_iface, self->callers);
  lb_manager_set_callers (self->manager, self->callers);
  if (!g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (self->manager), connection,
                                         LB_OBJECT_PATH, error))
    return FALSE;
  lb_status_tracker_attach (lb_manager_get_status_tracker (self->manager), connection,
                            LB_OBJECT_PATH, LB_BUS_NAME, self->idle);
  return g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (self->store_iface),
                                           connection, LB_OBJECT_PATH, error);
}

static gboolean
on_grace_over (gpointer user_data)
{
  gboolean *over = user_data;

  *over = TRUE;
  return G_SOURCE_REMOVE;
}

gboolean
lb_service_shutdown (LbService *self, guint grace_seconds)
{
  gboolean over = FALSE;
  guint timeout;

  /* The operation holds the daemon until it has ended and is published:
   * waiting for the holds waits for it too, within the same bound. */
  lb_manager_shutdown (self->manager);
  timeout = g_timeout_add_seconds (grace_seconds, on_grace_over, &over);
  while (lb_idle_get_holds (self->idle) > 0 && !over)
    g_main_context_iteration (NULL, TRUE);
  if (!over)
    {
      g_source_remove (timeout);
      return TRUE;
    }
  {
    g_autofree char *reasons = lb_idle_describe_holds (self->idle, 8);

    g_warning ("%u calls still running after %u s; exiting anyway: %s",
               lb_idle_get_holds (self->idle), grace_seconds, reasons);
  }
  return FALSE;
}

void
lb_service_unexport (LbService *self)
{
  g_dbus_interface_skeleton_unexport (G_DBUS_INTERFACE_SKELETON (self->store_iface));
  lb_status_tracker_detach (lb_manager_get_status_tracker (self->manager));
  g_dbus_interface_skeleton_unexport (G_DBUS_INTERFACE_SKELETON (self->manager));
}

static void
lb_service_dispose (GObject *object)
{
  LbService *self = LB_SERVICE (object);

  g_clear_object (&self->store_iface);
  g_clear_object (&self->manager);
  g_clear_object (&self->callers);
  g_clear_object (&self->store);
  g_clear_object (&self->idle);
  G_OBJECT_CLASS (lb_service_parent_class)->dispose (object);
}

static void
lb_service_class_init (LbServiceClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = lb_service_dispose;
}

static void
lb_service_init (LbService *self)
{
}
