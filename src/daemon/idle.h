/* idle: when the daemon may exit.
 *
 * Anything in flight (a method call, a backup or restore) takes a hold;
 * when the last hold is released and nothing else happens for the idle
 * timeout, "idle" is emitted. A timeout of 0 never emits it.
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define LB_TYPE_IDLE (lb_idle_get_type ())
G_DECLARE_FINAL_TYPE (LbIdle, lb_idle, LB, IDLE, GObject)

LbIdle *lb_idle_new (guint timeout_seconds);
void lb_idle_hold (LbIdle *self);
void lb_idle_release (LbIdle *self);
/* Activity without a hold (a quick call): restarts the timeout. */
void lb_idle_touch (LbIdle *self);
/* The same from any thread, without waking the main loop: the timeout,
 * when it comes, counts again from the last such call. */
void lb_idle_touch_any_thread (LbIdle *self);
guint lb_idle_get_holds (LbIdle *self);

G_END_DECLS
