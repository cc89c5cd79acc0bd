#include "config.h"

#include "fault.h"

#include <glib.h>
#include <signal.h>
#include <string.h>

void
lb_fault_point (const char *name)
{
  const char *spec = g_getenv ("LB_FAULT");
  g_auto (GStrv) points = NULL;

  if (spec == NULL || strstr (spec, name) == NULL)
    return;
  points = g_strsplit (spec, ",", -1);
  if (g_strv_contains ((const char *const *) points, name))
    raise (SIGKILL);
}
