/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "location.h"

#include <glib/gi18n.h>
#include <string.h>

#include "fault.h"
#include "error-convert.h"

gboolean
lb_location_validate (const char *location, gboolean allow_empty, GError **error)
{
  const char *scheme;

  if (location[0] == '\0')
    {
      if (allow_empty)
        return TRUE;
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS,
                   _ ("The location is empty; give a folder as an absolute path or a URI"));
      return FALSE;
    }
  if (strlen (location) >= LB_LOCATION_MAX)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS,
                   _ ("The location is longer than %d bytes; choose a shorter path"),
                   LB_LOCATION_MAX - 1);
      return FALSE;
    }
  if (location[0] == '/')
    return TRUE;
  scheme = g_uri_peek_scheme (location);
  if (scheme != NULL && g_uri_is_valid (location, G_URI_FLAGS_NONE, NULL))
    return TRUE;
  g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS,
               _ ("“%s” is neither an absolute path nor a URI; give a folder such as "
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

typedef struct
{
  GMainContext *context;
  gboolean done;
  gboolean ok;
  GError *error;
} SyncCall;

static void
on_mounted (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SyncCall *call = user_data;

  call->ok = g_file_mount_enclosing_volume_finish (G_FILE (source), result, &call->error);
  call->done = TRUE;
  g_main_context_wakeup (call->context);
}

static void
on_unmounted (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SyncCall *call = user_data;

  call->ok = g_mount_unmount_with_operation_finish (G_MOUNT (source), result, &call->error);
  call->done = TRUE;
  g_main_context_wakeup (call->context);
}

static gboolean
mount_if_needed (GFile *dir, gboolean *mounted, GCancellable *cancellable, GError **error)
{
  g_autoptr (GMount) mount = NULL;
  g_autoptr (GError) local_error = NULL;
  g_autoptr (GMainContext) context = NULL;
  SyncCall call = { 0 };

  *mounted = FALSE;
  if (g_file_is_native (dir))
    return TRUE;
  /* Without GVfs, GIO would only say "Operation not supported". */
  if (!g_file_has_uri_scheme (dir, "file"))
    {
      g_autofree char *scheme = g_file_get_uri_scheme (dir);
      const char *const *schemes = g_vfs_get_supported_uri_schemes (g_vfs_get_default ());

      /* The network locations GVfs's backends open. */
      const char *const gvfs_schemes[] = { "sftp", "ssh", "smb", "ftp",          "ftps", "dav",
                                           "davs", "afp", "nfs", "google-drive", "mtp",  NULL };

      if (scheme != NULL && !g_strv_contains (schemes, scheme))
        {
          if (g_strv_contains (gvfs_schemes, scheme))
            g_set_error (error, LB_ERROR, LB_ERROR_FAILED,
                         _ ("This computer cannot open %s:// locations: install GVfs (the "
                            "package gvfs-backends), or choose a local folder"),
                         scheme);
          else
            g_set_error (error, LB_ERROR, LB_ERROR_FAILED,
                         _ ("%s:// locations cannot hold backups; choose a local folder or a "
                            "network folder such as sftp://host/licenses"),
                         scheme);
          return FALSE;
        }
    }
  mount = g_file_find_enclosing_mount (dir, cancellable, &local_error);
  if (mount != NULL || !g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_NOT_MOUNTED))
    return TRUE; /* mounted, or not a mountable location: the next step says */

  context = g_main_context_new ();
  g_main_context_push_thread_default (context);
  call.context = context;
  g_file_mount_enclosing_volume (dir, G_MOUNT_MOUNT_NONE, NULL, cancellable, on_mounted, &call);
  while (!call.done)
    g_main_context_iteration (context, TRUE);
  g_main_context_pop_thread_default (context);
  if (!call.ok)
    {
      g_autofree char *uri = g_file_get_uri (dir);
      g_set_error (error, LB_ERROR, LB_ERROR_FAILED,
                   _ ("Cannot connect to %s: %s. Open it once in the file manager to save its "
                      "password, then try again"),
                   uri, call.error->message);
      g_clear_error (&call.error);
      return FALSE;
    }
  *mounted = TRUE;
  return TRUE;
}

gboolean
lb_location_connect (GFile *dir, LbOperation *op, gboolean *mounted, GError **error)
{
  if (!g_file_is_native (dir))
    {
      lb_operation_set_status (op, LB_STATUS_CONNECTING);
      lb_fault_stall ("connect");
    }
  if (!mount_if_needed (dir, mounted, lb_operation_get_cancellable (op), error))
    return FALSE;
  lb_operation_set_status (op, LB_STATUS_BEGIN);
  return TRUE;
}

void
lb_location_disconnect (GFile *dir, LbOperation *op, gboolean mounted)
{
  g_autoptr (GMount) mount = NULL;
  g_autoptr (GMainContext) context = NULL;
  SyncCall call = { 0 };

  if (!mounted)
    return;
  lb_operation_set_status (op, LB_STATUS_DISCONNECTING);
  mount = g_file_find_enclosing_mount (dir, NULL, NULL);
  if (mount == NULL)
    return;
  context = g_main_context_new ();
  g_main_context_push_thread_default (context);
  call.context = context;
  g_mount_unmount_with_operation (mount, G_MOUNT_UNMOUNT_NONE, NULL, NULL, on_unmounted, &call);
  while (!call.done)
    g_main_context_iteration (context, TRUE);
  g_main_context_pop_thread_default (context);
  if (!call.ok)
    g_debug ("unmounting after the operation failed: %s", call.error->message);
  g_clear_error (&call.error);
}

gboolean
lb_location_check_dir (GFile *dir, GCancellable *cancellable, GError **error)
{
  g_autoptr (GFileInfo) info = NULL;
  g_autoptr (GError) local_error = NULL;
  g_autofree char *name = g_file_get_parse_name (dir);

  info = g_file_query_info (dir, G_FILE_ATTRIBUTE_STANDARD_TYPE, G_FILE_QUERY_INFO_NONE,
                            cancellable, &local_error);
  if (info == NULL)
    {
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS,
                     _ ("The folder %s does not exist; create it or choose another one"), name);
      else
        {
          lb_error_convert (&local_error);
          g_prefix_error (&local_error, _ ("Cannot open the folder %s: "), name);
          g_propagate_error (error, g_steal_pointer (&local_error));
        }
      return FALSE;
    }
  if (g_file_info_get_file_type (info) != G_FILE_TYPE_DIRECTORY)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS,
                   _ ("%s is not a folder; choose the folder that holds (or will hold) the backup"),
                   name);
      return FALSE;
    }
  return TRUE;
}
