/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "idle.h"

#include <stdatomic.h>

/* At most this many reasons in one log line. */
#define DESCRIBE_MAX 8

struct _LbIdle
{
  GObject parent_instance;
  guint timeout;
  GHashTable *holds; /* token -> reason */
  guint last_token;
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

static void rearm (LbIdle *self);

static gboolean
on_timeout (gpointer user_data)
{
  LbIdle *self = user_data;
  gint64 quiet_us = g_get_monotonic_time () - atomic_load (&self->last_call_us);
  gint64 timeout_us = (gint64) self->timeout * G_USEC_PER_SEC;

  self->source = 0;
  if (g_hash_table_size (self->holds) > 0)
    {
      g_autofree char *reasons = lb_idle_describe_holds (self, DESCRIBE_MAX);

      /* Said once per timeout, while held: enough to see what never ends. */
      g_debug ("idle timeout of %u s reached, but still running: %s", self->timeout, reasons);
      rearm (self);
      return G_SOURCE_REMOVE;
    }
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

/* The timeout runs while held too, so that it can say what holds it; it
 * counts from the last hold, release or call. */
static void
rearm (LbIdle *self)
{
  g_clear_handle_id (&self->source, g_source_remove);
  if (self->timeout > 0)
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

guint
lb_idle_hold (LbIdle *self, const char *reason_format, ...)
{
  va_list args;
  char *reason;

  va_start (args, reason_format);
  reason = g_strdup_vprintf (reason_format, args);
  va_end (args);
  /* Wraps after 2^32 holds, long after the first ones were released. */
  if (++self->last_token == 0)
    self->last_token = 1;
  g_hash_table_insert (self->holds, GUINT_TO_POINTER (self->last_token), reason);
  rearm (self);
  return self->last_token;
}

void
lb_idle_release (LbIdle *self, guint token)
{
  if (!g_hash_table_remove (self->holds, GUINT_TO_POINTER (token)))
    {
      g_critical ("idle: no hold %u to release", token);
      return;
    }
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
  return g_hash_table_size (self->holds);
}

static int
compare_tokens (gconstpointer a, gconstpointer b)
{
  guint ta = GPOINTER_TO_UINT (a);
  guint tb = GPOINTER_TO_UINT (b);

  return ta < tb ? -1 : ta > tb;
}

char *
lb_idle_describe_holds (LbIdle *self, guint max)
{
  GList *tokens = g_list_sort (g_hash_table_get_keys (self->holds), compare_tokens);
  guint total = g_hash_table_size (self->holds);
  GString *s = g_string_new (NULL);
  guint n = 0;

  for (GList *l = tokens; l != NULL && n < max; l = l->next, n++)
    {
      if (n > 0)
        g_string_append (s, ", ");
      g_string_append (s, g_hash_table_lookup (self->holds, l->data));
    }
  if (total > n)
    g_string_append_printf (s, ", and %u more", total - n);
  g_list_free (tokens);
  return g_string_free (s, FALSE);
}

static void
lb_idle_dispose (GObject *object)
{
  LbIdle *self = LB_IDLE (object);

  g_clear_handle_id (&self->source, g_source_remove);
  G_OBJECT_CLASS (lb_idle_parent_class)->dispose (object);
}

static void
lb_idle_finalize (GObject *object)
{
  LbIdle *self = LB_IDLE (object);

  g_hash_table_unref (self->holds);
  G_OBJECT_CLASS (lb_idle_parent_class)->finalize (object);
}

static void
lb_idle_class_init (LbIdleClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = lb_idle_dispose;
  G_OBJECT_CLASS (klass)->finalize = lb_idle_finalize;
  signals[SIGNAL_IDLE] = g_signal_new ("idle", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                       NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
lb_idle_init (LbIdle *self)
{
  self->holds = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
}
