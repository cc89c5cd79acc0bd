#include "config.h"

#include "idle.h"

#include <stdatomic.h>

struct _LbIdle
{
  GObject parent_instance;
  guint timeout;
  guint holds;
  guint source;
  _Atomic gint64 last_call_us; /* lb_idle_touch_any_thread() */
};

G_DEFINE_TYPE (LbIdle, lb_idle, G_TYPE_OBJECT)

enum
{
  SIGNAL_IDLE,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

static gboolean
on_timeout (gpointer user_data)
{
  LbIdle *self = user_data;
  gint64 quiet_us = g_get_monotonic_time () - atomic_load (&self->last_call_us);
  gint64 timeout_us = (gint64) self->timeout * G_USEC_PER_SEC;

  self->source = 0;
  if (quiet_us < timeout_us)
    {
      /* A call came from another thread meanwhile: count from that one. */
      self->source = g_timeout_add ((guint) ((timeout_us - quiet_us) / 1000) + 1, on_timeout, self);
      return G_SOURCE_REMOVE;
    }
  g_debug ("idle for %u s, exiting", self->timeout);
  g_signal_emit (self, signals[SIGNAL_IDLE], 0);
  return G_SOURCE_REMOVE;
}

static void
rearm (LbIdle *self)
{
  g_clear_handle_id (&self->source, g_source_remove);
  if (self->holds == 0 && self->timeout > 0)
    self->source = g_timeout_add_seconds (self->timeout, on_timeout, self);
}

LbIdle *
lb_idle_new (guint timeout_seconds)
{
  LbIdle *self = g_object_new (LB_TYPE_IDLE, NULL);

  self->timeout = timeout_seconds;
  rearm (self);
  return self;
}

void
lb_idle_hold (LbIdle *self)
{
  self->holds++;
  g_clear_handle_id (&self->source, g_source_remove);
}

void
lb_idle_release (LbIdle *self)
{
  g_return_if_fail (self->holds > 0);
  self->holds--;
  rearm (self);
}

void
lb_idle_touch (LbIdle *self)
{
  rearm (self);
}

void
lb_idle_touch_any_thread (LbIdle *self)
{
  atomic_store (&self->last_call_us, g_get_monotonic_time ());
}

guint
lb_idle_get_holds (LbIdle *self)
{
  return self->holds;
}

static void
lb_idle_dispose (GObject *object)
{
  LbIdle *self = LB_IDLE (object);

  g_clear_handle_id (&self->source, g_source_remove);
  G_OBJECT_CLASS (lb_idle_parent_class)->dispose (object);
}

static void
lb_idle_class_init (LbIdleClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = lb_idle_dispose;
  signals[SIGNAL_IDLE] = g_signal_new ("idle", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                       NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
lb_idle_init (LbIdle *self)
{
}
