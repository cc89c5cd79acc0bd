/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The client's progress off a terminal (src/client/progress-bar.c): what a
 * log or a pipe receives. */
#include "config.h"

#include "progress-bar.h"

#include <glib.h>

/* An operation quicker than a second: only its final line, the same on
 * every run (before, a line for the first signal came too, or not,
 * depending on when the signal with the total arrived). */
static void
test_quick_operation_final_line_only (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr (LbProgressBar) bar = lb_progress_bar_new ("Backing up", FALSE);

      lb_progress_bar_update (bar, 0, 0);
      lb_progress_bar_update (bar, 0, 5);
      lb_progress_bar_update (bar, 3, 5);
      lb_progress_bar_update (bar, 5, 5);
      lb_progress_bar_finish (bar);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stdout ("Backing up: 5 of 5 licenses (100%)\n");
}

/* A failure before the end: no line at all, the error says it. */
static void
test_unfinished_no_line (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr (LbProgressBar) bar = lb_progress_bar_new ("Restoring", FALSE);

      lb_progress_bar_update (bar, 0, 5);
      lb_progress_bar_end_line (bar);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stdout ("");
}

int
main (int argc, char **argv)
{
  g_setenv ("LC_ALL", "C", TRUE);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/progress-bar/quick-operation-final-line-only",
                   test_quick_operation_final_line_only);
  g_test_add_func ("/progress-bar/unfinished-no-line", test_unfinished_no_line);
  return g_test_run ();
}
