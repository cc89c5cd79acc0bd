/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "subscribers.h"

struct _LbSubscribers
{
  GObject parent_instance;

  GMutex lock;
  GHashTable *names; /* unique name -> name watch id (0 while being set up) */
};

G_DEFINE_TYPE (LbSubscribers, lb_subscribers, G_TYPE_OBJECT)

static void
on_vanished (GDBusConnection *connection, const char *name, gpointer user_data)
{
  g_debug ("subscriber %s left the bus", name);
  lb_subscribers_remove (user_data, name);
}

void
lb_subscribers_add (LbSubscribers *self, GDBusConnection *connection, const char *name)
{
  gboolean known;
  guint watch_id;

  g_mutex_lock (&self->lock);
  known = g_hash_table_contains (self->names, name);
  if (!known)
    g_hash_table_insert (self->names, g_strdup (name), GUINT_TO_POINTER (0));
  g_mutex_unlock (&self->lock);
  if (known)
    return;

  /* Watched outside the lock: the watch may report at once. */
  watch_id = g_bus_watch_name_on_connection (connection, name, G_BUS_NAME_WATCHER_FLAGS_NONE, NULL,
                                             on_vanished, self, NULL);
  g_mutex_lock (&self->lock);
  if (g_hash_table_contains (self->names, name))
    g_hash_table_insert (self->names, g_strdup (name), GUINT_TO_POINTER (watch_id));
  else
    g_bus_unwatch_name (watch_id);
  g_mutex_unlock (&self->lock);
  g_debug ("%s subscribed to the detail signals", name);
}

void
lb_subscribers_remove (LbSubscribers *self, const char *name)
{
  guint watch_id;

  g_mutex_lock (&self->lock);
  watch_id = GPOINTER_TO_UINT (g_hash_table_lookup (self->names, name));
  g_hash_table_remove (self->names, name);
  g_mutex_unlock (&self->lock);
  if (watch_id != 0)
    g_bus_unwatch_name (watch_id);
}

GPtrArray *
lb_subscribers_recipients (LbSubscribers *self, const char *first)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer name;

  if (first != NULL)
    g_ptr_array_add (names, g_strdup (first));
  g_hash_table_iter_init (&iter, self->names);
  while (g_hash_table_iter_next (&iter, &name, NULL))
    if (g_strcmp0 (name, first) != 0)
      g_ptr_array_add (names, g_strdup (name));
  return names;
}

LbSubscribers *
lb_subscribers_new (void)
{
  return g_object_new (LB_TYPE_SUBSCRIBERS, NULL);
}

static void
lb_subscribers_finalize (GObject *object)
{
  LbSubscribers *self = LB_SUBSCRIBERS (object);
  GHashTableIter iter;
  gpointer watch_id;

  g_hash_table_iter_init (&iter, self->names);
  while (g_hash_table_iter_next (&iter, NULL, &watch_id))
    if (GPOINTER_TO_UINT (watch_id) != 0)
      g_bus_unwatch_name (GPOINTER_TO_UINT (watch_id));
  g_hash_table_unref (self->names);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (lb_subscribers_parent_class)->finalize (object);
}

static void
lb_subscribers_class_init (LbSubscribersClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = lb_subscribers_finalize;
}

static void
lb_subscribers_init (LbSubscribers *self)
{
  g_mutex_init (&self->lock);
  self->names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}
