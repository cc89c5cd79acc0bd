/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "error-convert.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib/gi18n.h>
#include <string.h>

LbError
lb_error_code_from_errno (int errsv)
{
  switch (errsv)
    {
    case ENOSPC:
    case EDQUOT:
    case EFBIG:
      return LB_ERROR_NO_SPACE;
    case EACCES:
    case EPERM:
    case EROFS:
      return LB_ERROR_PERMISSION_DENIED;
    case ENOENT:
      return LB_ERROR_NOT_FOUND;
    case EINVAL:
    case ELOOP:
    case ENOTDIR:
    case EISDIR:
      return LB_ERROR_INVALID_ARGS;
    default:
      return LB_ERROR_FAILED;
    }
}

static LbError
code_from_io_error (int code)
{
  switch (code)
    {
    case G_IO_ERROR_NO_SPACE:
      return LB_ERROR_NO_SPACE;
    case G_IO_ERROR_PERMISSION_DENIED:
    case G_IO_ERROR_READ_ONLY:
      return LB_ERROR_PERMISSION_DENIED;
    case G_IO_ERROR_NOT_FOUND:
      return LB_ERROR_NOT_FOUND;
    case G_IO_ERROR_CANCELLED:
      return LB_ERROR_CANCELLED;
    case G_IO_ERROR_INVALID_ARGUMENT:
    case G_IO_ERROR_NOT_DIRECTORY:
    case G_IO_ERROR_IS_DIRECTORY:
    case G_IO_ERROR_INVALID_FILENAME:
    case G_IO_ERROR_TOO_MANY_LINKS:
    case G_IO_ERROR_NOT_SUPPORTED:
      return LB_ERROR_INVALID_ARGS;
    case G_IO_ERROR_BUSY:
      return LB_ERROR_BUSY;
    default:
      return LB_ERROR_FAILED;
    }
}

void
lb_error_convert (GError **error)
{
  GError *e;

  if (error == NULL || *error == NULL)
    return;
  e = *error;
  if (e->domain == LB_ERROR)
    return;

  if (e->domain == G_IO_ERROR)
    e->code = code_from_io_error (e->code);
  else if (e->domain == G_FILE_ERROR)
    {
      switch (e->code)
        {
        case G_FILE_ERROR_NOSPC:
          e->code = LB_ERROR_NO_SPACE;
          break;
        case G_FILE_ERROR_ACCES:
        case G_FILE_ERROR_PERM:
        case G_FILE_ERROR_ROFS:
          e->code = LB_ERROR_PERMISSION_DENIED;
          break;
        case G_FILE_ERROR_NOENT:
          e->code = LB_ERROR_NOT_FOUND;
          break;
        case G_FILE_ERROR_NOTDIR:
        case G_FILE_ERROR_ISDIR:
        case G_FILE_ERROR_INVAL:
          e->code = LB_ERROR_INVALID_ARGS;
          break;
        default:
          e->code = LB_ERROR_FAILED;
        }
    }
  else
    e->code = LB_ERROR_FAILED;
  e->domain = LB_ERROR;
}

static const char *
reason_from_io_error (int code)
{
  switch (code)
    {
    case G_IO_ERROR_NOT_FOUND:
      return _ ("it does not exist");
    case G_IO_ERROR_EXISTS:
      return _ ("it already exists");
    case G_IO_ERROR_IS_DIRECTORY:
      return _ ("it is a folder");
    case G_IO_ERROR_NOT_DIRECTORY:
      return _ ("part of its path is a file, not a folder");
    case G_IO_ERROR_NOT_REGULAR_FILE:
      return _ ("it is not a regular file");
    case G_IO_ERROR_FILENAME_TOO_LONG:
      return _ ("its name is too long");
    case G_IO_ERROR_INVALID_FILENAME:
      return _ ("its name is not valid there");
    case G_IO_ERROR_TOO_MANY_LINKS:
      return _ ("its symbolic links go round in a loop");
    case G_IO_ERROR_NO_SPACE:
      return _ ("the disk is full");
    case G_IO_ERROR_PERMISSION_DENIED:
      return _ ("you do not have permission to use it");
    case G_IO_ERROR_READ_ONLY:
      return _ ("the disk is read-only");
    case G_IO_ERROR_NOT_MOUNTED:
      return _ ("its drive or network share is not connected");
    case G_IO_ERROR_TIMED_OUT:
      return _ ("it did not answer in time");
    case G_IO_ERROR_BUSY:
      return _ ("it is in use");
    case G_IO_ERROR_HOST_NOT_FOUND:
      return _ ("the server was not found");
    case G_IO_ERROR_HOST_UNREACHABLE:
    case G_IO_ERROR_NETWORK_UNREACHABLE:
      return _ ("the server cannot be reached over the network");
    case G_IO_ERROR_CONNECTION_REFUSED:
      return _ ("the server refused the connection");
    case G_IO_ERROR_CLOSED:
    case G_IO_ERROR_BROKEN_PIPE: /* also G_IO_ERROR_CONNECTION_CLOSED */
      return _ ("the connection was closed");
    default:
      return NULL;
    }
}

char *
lb_error_reason (const GError *error)
{
  const char *reason = NULL;
  const char *tail;

  if (error == NULL)
    return g_strdup ("?");
  if (error->domain == LB_ERROR)
    return g_strdup (error->message);
  if (error->domain == G_IO_ERROR)
    reason = reason_from_io_error (error->code);
  else if (error->domain == G_FILE_ERROR)
    reason = reason_from_io_error (g_io_error_from_file_error ((GFileError) error->code));
  if (reason != NULL)
    return g_strdup (reason);
  /* GIO's and GLib's messages end in strerror()'s words after their own
   * sentence, which names the file once more. */
  tail = g_strrstr (error->message, ": ");
  if (tail != NULL && tail[2] != '\0')
    return g_strdup (tail + 2);
  return g_strdup (error->message[0] != '\0' ? error->message : "?");
}
