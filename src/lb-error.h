/* lb-error: the service's one error domain.
 *
 * Every failure that reaches a client is an LB_ERROR, registered so that it
 * travels as org.freedesktop.LicenseBackup1.Error.<Name>. Foreign errors
 * (GIO, GFile, errno, SQLite) are converted with lb_error_convert() before
 * replying. Each code names the Windows Media DRM code it stands for.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define LB_ERROR (lb_error_quark ())
#define LB_ERROR_PREFIX "org.freedesktop.LicenseBackup1.Error."

typedef enum
{
  LB_ERROR_FAILED,         /* NS_E_BACKUP_RESTORE_FAILURE 0xC00D272D */
  LB_ERROR_INVALID_ARGS,   /* E_INVALIDARG 0x80070057, NS_E_BACKUP_RESTORE_BAD_DATA 0xC00D2745 */
  LB_ERROR_NOT_FOUND,      /* no such license / no backup at the location */
  LB_ERROR_BUSY,           /* NS_E_DRM_BACKUPRESTORE_BUSY 0xC00D2744 */
  LB_ERROR_BACKUP_EXISTS,  /* NS_E_DRM_BACKUP_EXISTS 0xC00D2742 */
  LB_ERROR_BACKUP_CORRUPT, /* NS_E_DRM_BACKUP_CORRUPT 0xC00D2743 */
  LB_ERROR_NOT_SET,        /* NS_E_DRM_INVALID_PROPERTY 0xC00D2749 */
  LB_ERROR_NOT_RUNNING,    /* nothing to cancel */
  LB_ERROR_CANCELLED,      /* NS_E_DRM_OPERATION_CANCELED 0xC00D2768 */
  LB_ERROR_NEEDS_INDIVIDUALIZATION, /* MSDRM_STATUS 8 DRM_NEEDS_INDIVIDUALIZATION */
  LB_ERROR_RESTORE_LIMIT,           /* NS_E_DRM_RESTORE_FRAUD 0xC00D2753, status 6 */
  LB_ERROR_NO_SPACE,                /* ENOSPC; E_OUTOFMEMORY 0x8007000E for storage */
  LB_ERROR_PERMISSION_DENIED,       /* EACCES, EPERM, EROFS */
} LbError;

#define LB_ERROR_N_ERRORS (LB_ERROR_PERMISSION_DENIED + 1)

GQuark lb_error_quark (void);

/* The D-Bus name of @error once converted, e.g. "...Error.BackupCorrupt". */
const char *lb_error_dbus_name (const GError *error);

/* Converts a foreign error in place into LB_ERROR, keeping its message.
 * LB_ERROR and NULL are left alone. */
void lb_error_convert (GError **error);

/* An LB_ERROR for an errno value (ENOSPC -> NO_SPACE, EACCES -> PERMISSION_DENIED). */
LbError lb_error_code_from_errno (int errsv);

G_END_DECLS
