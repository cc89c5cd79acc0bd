/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "fault.h"

#include <glib.h>
#include <signal.h>
#include <string.h>

/* Whether the list in @variable names @name. */
static gboolean
listed (const char *variable, const char *name)
{
  const char *spec = g_getenv (variable);
  g_auto (GStrv) points = NULL;

  if (spec == NULL || strstr (spec, name) == NULL)
    return FALSE;
  points = g_strsplit (spec, ",", -1);
  return g_strv_contains ((const char *const *) points, name);
}

void
lb_fault_point (const char *name)
{
  if (listed ("LB_FAULT", name))
    raise (SIGKILL);
}

gboolean
lb_fault_damage (const char *name)
{
  return listed ("LB_FAULT_DAMAGE", name);
}

void
lb_fault_stall (const char *name)
{
  const char *spec = g_getenv ("LB_FAULT_STALL");
  g_auto (GStrv) points = NULL;
  gsize len = strlen (name);

  if (spec == NULL || strstr (spec, name) == NULL)
    return;
  points = g_strsplit (spec, ",", -1);
  for (guint i = 0; points[i] != NULL; i++)
    {
      guint64 ms;

      if (strncmp (points[i], name, len) == 0 && points[i][len] == '='
          && g_ascii_string_to_unsigned (points[i] + len + 1, 10, 0, 60000, &ms, NULL))
        g_usleep (ms * 1000);
    }
}

gulong
lb_fault_delay_us (void)
{
  const char *s = g_getenv ("LB_FAULT_DELAY_US");
  guint64 us = 0;

  if (s == NULL || !g_ascii_string_to_unsigned (s, 10, 0, G_USEC_PER_SEC, &us, NULL))
    return 0;
  return (gulong) us;
}

void
lb_fault_delay (gulong us)
{
  if (us > 0)
    g_usleep (us);
}

gint64
lb_fault_now (void)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  const char *path = g_getenv ("LB_FAULT_CLOCK_FILE");
  g_autofree char *text = NULL;
  gint64 offset = 0;

  if (path == NULL || !g_file_get_contents (path, &text, NULL, NULL))
    return now;
  g_strstrip (text);
  if (!g_ascii_string_to_signed (text, 10, -G_MAXINT32 * (gint64) 100, G_MAXINT32 * (gint64) 100,
                                 &offset, NULL))
    return now;
  return now + offset;
}
