#include "config.h"

#include "lb-error.h"

#include <errno.h>
#include <gio/gio.h>

static const GDBusErrorEntry lb_error_entries[] = {
  { LB_ERROR_FAILED, LB_ERROR_PREFIX "Failed" },
  { LB_ERROR_INVALID_ARGS, LB_ERROR_PREFIX "InvalidArgs" },
  { LB_ERROR_NOT_FOUND, LB_ERROR_PREFIX "NotFound" },
  { LB_ERROR_BUSY, LB_ERROR_PREFIX "Busy" },
  { LB_ERROR_BACKUP_EXISTS, LB_ERROR_PREFIX "BackupExists" },
  { LB_ERROR_BACKUP_CORRUPT, LB_ERROR_PREFIX "BackupCorrupt" },
  { LB_ERROR_NOT_SET, LB_ERROR_PREFIX "NotSet" },
  { LB_ERROR_NOT_RUNNING, LB_ERROR_PREFIX "NotRunning" },
  { LB_ERROR_CANCELLED, LB_ERROR_PREFIX "Cancelled" },
  { LB_ERROR_NEEDS_INDIVIDUALIZATION, LB_ERROR_PREFIX "NeedsIndividualization" },
  { LB_ERROR_RESTORE_LIMIT, LB_ERROR_PREFIX "RestoreLimit" },
  { LB_ERROR_NO_SPACE, LB_ERROR_PREFIX "NoSpace" },
  { LB_ERROR_PERMISSION_DENIED, LB_ERROR_PREFIX "PermissionDenied" },
};

G_STATIC_ASSERT (G_N_ELEMENTS (lb_error_entries) == LB_ERROR_N_ERRORS);

GQuark
lb_error_quark (void)
{
  static gsize quark = 0;

  g_dbus_error_register_error_domain ("lb-error-quark", &quark, lb_error_entries,
                                      G_N_ELEMENTS (lb_error_entries));
  return (GQuark) quark;
}

const char *
lb_error_dbus_name (const GError *error)
{
  if (error == NULL || error->domain != LB_ERROR || error->code < 0
      || error->code >= (int) LB_ERROR_N_ERRORS)
    return lb_error_entries[LB_ERROR_FAILED].dbus_error_name;
  return lb_error_entries[error->code].dbus_error_name;
}

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
