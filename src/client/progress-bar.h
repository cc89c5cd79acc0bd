/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* progress-bar: how the client shows a running operation.
 *
 * On a terminal, a bar with count, rate and time left, redrawn in place;
 * elsewhere, a plain line at most once a second (the first a second in)
 * and the final one. The rate comes from a
 * window of recent samples, so it follows the operation's current speed.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _LbProgressBar LbProgressBar;

LbProgressBar *lb_progress_bar_new (const char *label, gboolean terminal);
void lb_progress_bar_update (LbProgressBar *bar, guint64 done, guint64 total);
/* Draws the last state and ends the line. */
void lb_progress_bar_finish (LbProgressBar *bar);
/* Ends a bar left unfinished (a failure): a new line if one was drawn. */
void lb_progress_bar_end_line (LbProgressBar *bar);
void lb_progress_bar_free (LbProgressBar *bar);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbProgressBar, lb_progress_bar_free)

G_END_DECLS
