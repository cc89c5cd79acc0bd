#include "config.h"

#include "location.h"

#include <glib/gi18n.h>

#include "lb-error.h"

gboolean
lb_location_validate (const char *location, gboolean allow_empty, GError **error)
{
  const char *scheme;

  if (location[0] == '\0')
    {
      if (allow_empty)
        return TRUE;
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS,
                   _("The location is empty; give a folder as an absolute path or a URI"));
      return FALSE;
    }
  if (location[0] == '/')
    return TRUE;
  scheme = g_uri_peek_scheme (location);
  if (scheme != NULL && g_uri_is_valid (location, G_URI_FLAGS_NONE, NULL))
    return TRUE;
  g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS,
               _("“%s” is neither an absolute path nor a URI; give a folder such as "
                 "/media/usb/licenses or sftp://host/licenses"),
               location);
  return FALSE;
}

GFile *
lb_location_to_file (const char *location)
{
  if (location[0] == '/')
    return g_file_new_for_path (location);
  return g_file_new_for_uri (location);
}
