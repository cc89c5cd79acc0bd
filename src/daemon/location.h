/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* location: where backups go, as the user gives it.
 *
 * A location is an absolute path or a URI that GIO can open (file://, and
 * sftp://, smb://... through GVfs). This module validates the string and
 * turns it into a GFile for the directory.
 */
#pragma once

#include <gio/gio.h>

#include "operation.h"

G_BEGIN_DECLS

/* PATH_MAX: longer locations cannot be opened anyway. */
#define LB_LOCATION_MAX 4096

/* "" is valid (unset) only when @allow_empty; longer than LB_LOCATION_MAX
 * is not. */
gboolean lb_location_validate (const char *location, gboolean allow_empty, GError **error);

/* A GFile for a validated, non-empty location. */
GFile *lb_location_to_file (const char *location);

/* For a location that needs mounting (GVfs), mounts its enclosing volume
 * when it is not mounted yet, with @op's status CONNECTING meanwhile (for
 * any non-local location, published before the mount starts) and BEGIN
 * after. Nobody is asked anything: a mount that wants a password or a host
 * key decision fails with PermissionDenied. Bounded in time, cancelled
 * with @op. *@mounted says whether this call mounted it, so that
 * lb_location_disconnect() unmounts it again (status DISCONNECTING,
 * published first). Call from a worker thread: it runs its own main
 * context. */
gboolean lb_location_connect (GFile *dir, LbOperation *op, gboolean *mounted, GError **error);
void lb_location_disconnect (GFile *dir, LbOperation *op, gboolean mounted);

/* A worker's steps on @dir, in the worker's thread. */
typedef gboolean (*LbLocationStep) (
    LbOperation *op, GFile *dir, GCancellable *cancellable, gpointer data, GError **error);

/* Runs @op on @dir: connects (lb_location_connect()), runs @check, the
 * kind's one folder check, then @work, and disconnects. The operation is
 * lb_operation_checked() once @check passed; for a folder that needs
 * mounting already before connecting, as mounting may take long: then a
 * failed check fails the operation, not the request. */
gboolean lb_location_run (GFile *dir,
                          LbOperation *op,
                          LbLocationStep check,
                          LbLocationStep work,
                          gpointer data,
                          GError **error);

/* Checks that @dir is a directory; with @create, makes it first (and its
 * parents) when it does not exist, mode 0700. LB_FAULT_STALL's point
 * "folder-check" stalls it, as a hung network folder would. */
gboolean
lb_location_prepare_dir (GFile *dir, gboolean create, GCancellable *cancellable, GError **error);

/* What is at the backup file's place, without opening it: a regular file
 * (*@exists, its *@size) or nothing (an error NotFound if @must_exist); a
 * folder or a special file (FIFO, socket, device) is InvalidArgs. */
gboolean lb_location_check_backup_file (GFile *file,
                                        gboolean must_exist,
                                        gboolean *exists,
                                        goffset *size,
                                        GCancellable *cancellable,
                                        GError **error);

/* After the operation @op failed with @error (an LB_ERROR): a cancelled
 * operation failed because of the cancel, whatever the step said; a lost
 * connection is named as such. */
void lb_location_explain_failure (LbOperation *op, GError *error);

/* A cancellable that cancels itself after a few seconds (from the main
 * context), for cleaning up after a failure on a location that may no
 * longer answer. */
GCancellable *lb_location_bounded_cancellable_new (void);

G_END_DECLS
