/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fault: test hooks for moments that are otherwise too short to catch.
 *
 * LB_FAULT="point[,point...]" makes lb_fault_point() SIGKILL the process
 * when it reaches one of those points: the closest a test gets to pulling
 * the plug at an exact moment. LB_FAULT_DELAY_US=N makes every
 * lb_fault_delay() call sleep N microseconds: operations call it once per
 * license, so that tests can watch, cancel or kill a running one without a
 * huge store. LB_FAULT_STALL="point=ms[,...]" makes lb_fault_stall()
 * sleep that long at that point: a main loop stuck behind a slow disk.
 * LB_FAULT_CLOCK_FILE=PATH moves the service's clock (lb_fault_now()) by
 * the seconds PATH holds, read at every call, so that a test can let days
 * pass for a running daemon. LB_FAULT_DAMAGE="point[,point...]" makes
 * lb_fault_damage() say yes at those points, where the caller then damages
 * what it just wrote, as a failing drive would. All are unset in
 * production, where a call costs a getenv().
 */
#pragma once

#include <glib.h>

void lb_fault_point (const char *name);
void lb_fault_stall (const char *name);
gboolean lb_fault_damage (const char *name);

/* Reads LB_FAULT_DELAY_US once; pass the result to lb_fault_delay(). */
gulong lb_fault_delay_us (void);
void lb_fault_delay (gulong us);

/* The service's clock: unix seconds, moved by LB_FAULT_CLOCK_FILE. */
gint64 lb_fault_now (void);
