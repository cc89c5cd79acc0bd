/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* subscribers: the host callers that follow every operation's details.
 *
 * A set of unique bus names, each watched so that it leaves the set when it
 * leaves the bus. Adding and removing happen on the main context; the
 * recipients of a detail signal are read from any thread (the worker emits
 * RestrictedLicense from its own), hence the lock.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define LB_TYPE_SUBSCRIBERS (lb_subscribers_get_type ())
G_DECLARE_FINAL_TYPE (LbSubscribers, lb_subscribers, LB, SUBSCRIBERS, GObject)

LbSubscribers *lb_subscribers_new (void);

/* Adds @name (a unique name on @connection); adding it again does nothing. */
void lb_subscribers_add (LbSubscribers *self, GDBusConnection *connection, const char *name);
void lb_subscribers_remove (LbSubscribers *self, const char *name);

/* @first, then every subscriber other than @first: each name once. */
GPtrArray *lb_subscribers_recipients (LbSubscribers *self, const char *first);

G_END_DECLS
