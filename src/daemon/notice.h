/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* notice: the desktop notification that automatic backups are failing.
 *
 * One notification at a time through org.freedesktop.Notifications, with
 * an action that opens the Media Licenses panel. While it can be clicked
 * it holds the daemon awake (idle.h), for at most half an hour; closing
 * it, clicking it or clearing it ends the hold. Without a notification
 * server nothing is shown and nothing is held. When to show it is the
 * automatic policy's decision (automatic.h). Main context only.
 */
#pragma once

#include <gio/gio.h>

#include "idle.h"

G_BEGIN_DECLS

#define LB_TYPE_NOTICE (lb_notice_get_type ())
G_DECLARE_FINAL_TYPE (LbNotice, lb_notice, LB, NOTICE, GObject)

LbNotice *lb_notice_new (LbIdle *idle);

/* Replaces the notice on screen, if any: licenses not backed up for @days,
 * automatic backups to @folder failing because of @why ("" when unknown). */
void lb_notice_show (
    LbNotice *self, GDBusConnection *connection, guint days, const char *folder, const char *why);
/* Forgets the notice (it stays on screen) and ends its hold. */
void lb_notice_clear (LbNotice *self);

G_END_DECLS
