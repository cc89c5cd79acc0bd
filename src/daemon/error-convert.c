/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "error-convert.h"

#include <errno.h>
#include <gio/gio.h>

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
