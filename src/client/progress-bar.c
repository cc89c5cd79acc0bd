/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "progress-bar.h"

#include <glib/gi18n.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define RATE_WINDOW_US (3 * G_USEC_PER_SEC)
#define N_SAMPLES 64
#define PLAIN_INTERVAL_US G_USEC_PER_SEC

typedef struct
{
  gint64 time;
  guint64 done;
} Sample;

struct _LbProgressBar
{
  char *label;
  gboolean terminal;
  Sample samples[N_SAMPLES];
  guint n_samples;
  guint64 done, total;
  gint64 last_plain;
  guint64 last_plain_done;
  gboolean plain_printed;
  gboolean drawn;
};

LbProgressBar *
lb_progress_bar_new (const char *label, gboolean terminal)
{
  LbProgressBar *bar = g_new0 (LbProgressBar, 1);

  bar->label = g_strdup (label);
  bar->terminal = terminal;
  /* The first plain line comes a second in, so that a log of a quick
   * operation holds only its final line, the same on every run. */
  bar->last_plain = g_get_monotonic_time ();
  return bar;
}

/* Licenses per second over the samples of the last few seconds. */
static double
rate (LbProgressBar *bar)
{
  const Sample *last, *first = NULL;

  if (bar->n_samples < 2)
    return 0;
  last = &bar->samples[(bar->n_samples - 1) % N_SAMPLES];
  for (guint i = bar->n_samples > N_SAMPLES ? bar->n_samples - N_SAMPLES : 0;
       i < bar->n_samples - 1; i++)
    {
      const Sample *s = &bar->samples[i % N_SAMPLES];
      if (last->time - s->time <= RATE_WINDOW_US)
        {
          first = s;
          break;
        }
    }
  if (first == NULL || last->time == first->time)
    return 0;
  return (double) (last->done - first->done) * G_USEC_PER_SEC / (double) (last->time - first->time);
}

static int
terminal_width (void)
{
  struct winsize ws;

  if (ioctl (STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40)
    return ws.ws_col;
  return 80;
}

static void
draw (LbProgressBar *bar)
{
  double fraction = bar->total > 0 ? (double) bar->done / (double) bar->total : 0;
  double r = rate (bar);
  g_autofree char *counts = NULL;
  g_autofree char *speed = NULL;
  g_autofree char *left = NULL;
  g_autoptr (GString) line = g_string_new (NULL);
  int width, bar_width, filled;

  counts = g_strdup_printf (_ ("%'" PRIu64 " of %'" PRIu64), bar->done, bar->total);
  speed = r > 0 ? g_strdup_printf (_ ("%'.0f/s"), r) : g_strdup ("");
  if (r > 0 && bar->total > bar->done)
    {
      guint64 secs = (guint64) ((double) (bar->total - bar->done) / r + 0.5);
      left = g_strdup_printf (_ ("%" PRIu64 ":%02u left"), secs / 60, (guint) (secs % 60));
    }
  else
    left = g_strdup ("");

  /* A fixed width for the bar, so that it does not jump as the numbers
   * after it grow and shrink. */
  width = terminal_width ();
  bar_width = CLAMP (width - (int) g_utf8_strlen (bar->label, -1) - 56, 5, 40);
  filled = (int) (fraction * bar_width + 0.5);
  g_string_append_printf (line, "\r%s [", bar->label);
  for (int i = 0; i < bar_width; i++)
    g_string_append_c (line, i < filled ? '#' : '-');
  g_string_append_printf (line, "] %3.0f%%  %s", fraction * 100, counts);
  /* A wrapped line cannot be redrawn in place: keep what fits. */
  if ((int) g_utf8_strlen (line->str, -1) + (int) strlen (speed) + (int) strlen (left) + 4 < width)
    g_string_append_printf (line, "  %s  %s", speed, left);
  g_string_append (line, "\033[K");
  fputs (line->str, stdout);
  fflush (stdout);
  bar->drawn = TRUE;
}

void
lb_progress_bar_update (LbProgressBar *bar, guint64 done, guint64 total)
{
  gint64 now = g_get_monotonic_time ();

  bar->done = done;
  bar->total = total;
  bar->samples[bar->n_samples % N_SAMPLES] = (Sample){ now, done };
  bar->n_samples++;
  if (bar->terminal)
    {
      if (total > 0) /* the first signal comes before the count is known */
        draw (bar);
    }
  else if (total > 0 && now - bar->last_plain >= PLAIN_INTERVAL_US)
    {
      g_print (g_dngettext (GETTEXT_PACKAGE, "%s: %" PRIu64 " of %" PRIu64 " license (%.0f%%)\n",
                            "%s: %" PRIu64 " of %" PRIu64 " licenses (%.0f%%)\n", (gulong) total),
               bar->label, done, total, total > 0 ? 100.0 * (double) done / (double) total : 0.0);
      bar->last_plain = now;
      bar->last_plain_done = done;
      bar->plain_printed = TRUE;
    }
}

void
lb_progress_bar_finish (LbProgressBar *bar)
{
  if (bar->terminal)
    {
      if (bar->drawn)
        {
          draw (bar);
          fputs ("\n", stdout);
        }
    }
  else if (bar->total > 0 && (!bar->plain_printed || bar->last_plain_done != bar->done))
    g_print (g_dngettext (GETTEXT_PACKAGE, "%s: %" PRIu64 " of %" PRIu64 " license (%.0f%%)\n",
                          "%s: %" PRIu64 " of %" PRIu64 " licenses (%.0f%%)\n",
                          (gulong) bar->total),
             bar->label, bar->done, bar->total,
             bar->total > 0 ? 100.0 * (double) bar->done / (double) bar->total : 0.0);
}

void
lb_progress_bar_end_line (LbProgressBar *bar)
{
  if (bar->terminal && bar->drawn)
    fputs ("\n", stdout);
}

void
lb_progress_bar_free (LbProgressBar *bar)
{
  if (bar == NULL)
    return;
  g_free (bar->label);
  g_free (bar);
}
