/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* idle: when the daemon may exit.
 *
 * Anything in flight (a method call, a backup or restore) takes a hold that
 * says why ("StoreLicenses from :1.42"); when the last hold is released and
 * nothing else happens for the idle timeout, "idle" is emitted. A timeout
 * of 0 never emits it. When the timeout passes while holds remain, their
 * reasons go to the debug log (--verbose): what keeps the daemon running.
 * Main context only, except lb_idle_touch_any_thread().
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define LB_TYPE_IDLE (lb_idle_get_type ())
G_DECLARE_FINAL_TYPE (LbIdle, lb_idle, LB, IDLE, GObject)

LbIdle *lb_idle_new (guint timeout_seconds);
/* Returns the token (never 0) that lb_idle_release() takes: two holds may
 * have the same reason (two calls of one caller). */
guint lb_idle_hold (LbIdle *self, const char *reason_format, ...) G_GNUC_PRINTF (2, 3);
void lb_idle_release (LbIdle *self, guint token);
/* Activity without a hold (a quick call): restarts the timeout. */
void lb_idle_touch (LbIdle *self);
/* The same from any thread, without waking the main loop: the timeout,
 * when it comes, counts again from the last such call. */
void lb_idle_touch_any_thread (LbIdle *self);
guint lb_idle_get_holds (LbIdle *self);
/* The reasons of the holds, oldest first, at most @max of them ("…, and N
 * more"), for the log. */
char *lb_idle_describe_holds (LbIdle *self, guint max);

G_END_DECLS
