/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* app-info: which app a process belongs to, told the way
 * xdg-desktop-portal tells it.
 *
 * A Flatpak app: its root holds /.flatpak-info, a regular file whose
 * [Application] name is the app id. A Snap: a component of its cgroup path
 * is "snap.<name>.…", and its app id is "snap.<name>". Otherwise a host
 * program, app id "". Race-minimised: the process is pinned by a pidfd,
 * its files are opened relative to its /proc directory (never following a
 * symlink), and it must still be alive once they are read. Anything that
 * cannot be read, or reads malformed, is an error (PermissionDenied),
 * never the host.
 */
#pragma once

#include <glib.h>
#include <sys/types.h>

G_BEGIN_DECLS

typedef enum
{
  LB_APP_KIND_HOST,
  LB_APP_KIND_FLATPAK,
  LB_APP_KIND_SNAP,
} LbAppKind;

/* Immutable; reference counted, so that a cached one can be shared. */
typedef struct
{
  LbAppKind kind;
  char *id; /* "" for the host */
} LbAppInfo;

/* @pidfd pins the process (it is not taken over); -1 to open one for @pid. */
LbAppInfo *lb_app_info_new_for_pid (int pidfd, pid_t pid, GError **error);
/* For tests and host-side callers. */
LbAppInfo *lb_app_info_new (LbAppKind kind, const char *id);

LbAppInfo *lb_app_info_ref (LbAppInfo *info);
void lb_app_info_unref (LbAppInfo *info);

gboolean lb_app_info_is_host (const LbAppInfo *info);
const char *lb_app_info_kind_name (LbAppKind kind);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbAppInfo, lb_app_info_unref)

G_END_DECLS
