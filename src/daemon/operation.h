/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* operation: one backup or restore, from start to result.
 *
 * What it is (id, kind, flags, location, cancellable: fixed at creation),
 * how far it got (status, done, total, cancelable) and what came of it (the
 * backup's or the restore's result). The worker (backup.h, restore.h) runs
 * in its own thread and writes the progress and the result; others may
 * read the progress from any thread at any time, and the result once the
 * worker has returned. The progress properties are never notified: their
 * writer is the worker thread, and the manager samples them on the main
 * context, at most every 125 ms (manager.h).
 *
 * "restricted" (app, key id, reason) says that a license was left out:
 * @app is "" for host programs, @reason "no-backup-right", "expired" or
 * "restore-limit". It is emitted in the worker's thread, which waits for
 * the handlers: a handler that blocks slows the worker down (the manager's
 * does, now and then, so that queued signals never pile up).
 *
 * Core code without D-Bus: linked into the daemon, the unit tests and the
 * fuzzers.
 */
#pragma once

#include <gio/gio.h>

#include <license-backup/lb-error.h>
#include <license-backup/lb-types.h>

#include "license.h"

G_BEGIN_DECLS

/* The status numbers (LbStatus) and flags (LbBackupFlags, LbRestoreFlags)
 * are the library's (<license-backup/lb-types.h>). */

typedef enum
{
  LB_OPERATION_BACKUP,
  LB_OPERATION_RESTORE,
} LbOperationKind;

#define LB_TYPE_OPERATION_KIND (lb_operation_kind_get_type ())
GType lb_operation_kind_get_type (void);
/* "backup" or "restore", as the Operation property says it. */
const char *lb_operation_kind_to_string (LbOperationKind kind);

typedef struct
{
  guint licenses;
  guint skipped;
  guint64 bytes;
  char *location;   /* URI of the backup file (of the folder until it is named) */
  GHashTable *apps; /* app id ("" for host) -> licenses backed up; NULL if none */
  guint64 changes;  /* the store's change counter in the backup's snapshot */
  gint64 time;      /* the backup's time (its manifest's "created") */
} LbBackupResult;

typedef struct
{
  guint licenses; /* added */
  guint skipped;  /* restricted: restore limit or expired */
  guint already_present;
  guint individualized;
  guint64 bytes;     /* size of the backup file */
  char *location;    /* URI of the backup file */
  char *support_url; /* of the first license refused for its restore limit */
  char *support_app; /* its app, "" for host programs */
  gboolean limit_reached;
  GHashTable *apps; /* app id ("" for host) -> licenses restored; NULL if none */
} LbRestoreResult;

void lb_backup_result_clear (LbBackupResult *result);
void lb_restore_result_clear (LbRestoreResult *result);
/* Counts one license of @app (NULL or "" for host programs) in @apps, a
 * table of app id -> count (GUINT_TO_POINTER) made on first use. */
void lb_app_counts_add (GHashTable **apps, const char *app);

/* A consistent sample of the progress. */
typedef struct
{
  guint64 done;
  guint64 total;
  guint status; /* LbStatus */
  gboolean cancelable;
} LbOperationProgress;

#define LB_TYPE_OPERATION (lb_operation_get_type ())
G_DECLARE_FINAL_TYPE (LbOperation, lb_operation, LB, OPERATION, GObject)

/* @location is the folder of licenses.lbk; @cancellable NULL makes one.
 * The progress starts at BEGIN, 0 of 0, cancelable. */
LbOperation *lb_operation_new (
    guint64 id, LbOperationKind kind, guint32 flags, GFile *location, GCancellable *cancellable);

guint64 lb_operation_get_id (LbOperation *self);
LbOperationKind lb_operation_get_kind (LbOperation *self);
guint32 lb_operation_get_flags (LbOperation *self);
GFile *lb_operation_get_location (LbOperation *self);
GCancellable *lb_operation_get_cancellable (LbOperation *self);

/* Set by the starter before the worker runs. A backup keeps @keep
 * backups in its folder (0: the default, LB_KEEP_BACKUPS_DEFAULT); a
 * restore reads the backup file @generation (NULL: the newest). */
void lb_operation_set_keep (LbOperation *self, guint keep);
guint lb_operation_get_keep (LbOperation *self);
void lb_operation_set_generation (LbOperation *self, const char *generation);
const char *lb_operation_get_generation (LbOperation *self);

/* The worker's side, from its thread. */
void lb_operation_set_total (LbOperation *self, guint64 total);
/* Also where LB_FAULT_DELAY_US slows an operation down (fault.h). */
void lb_operation_set_done (LbOperation *self, guint64 done);
void lb_operation_set_status (LbOperation *self, guint status);
void lb_operation_set_cancelable (LbOperation *self, gboolean cancelable);
/* Waits (at most @timeout_ms) until the manager has published @status:
 * a status that lasts less than one publishing interval (CONNECTING,
 * DISCONNECTING) would otherwise never be seen. FALSE on timeout. */
gboolean lb_operation_wait_status_published (LbOperation *self, guint status, guint timeout_ms);
/* The manager's side: @status is now in the properties and a signal. */
void lb_operation_status_published (LbOperation *self, guint status);
/* @license (of @license->attrs.app) was left out for @reason: emits
 * "restricted". */
void lb_operation_restricted (LbOperation *self, const LbRecord *license, const char *reason);

/* From any thread. */
LbOperationProgress lb_operation_get_progress (LbOperation *self);

/* The result of the operation's kind, owned by it: the worker fills it
 * (zeroed first), others read it once the worker has returned. */
LbBackupResult *lb_operation_get_backup_result (LbOperation *self);
LbRestoreResult *lb_operation_get_restore_result (LbOperation *self);
/* Moves the result out into @result, which the caller clears. */
void lb_operation_steal_backup_result (LbOperation *self, LbBackupResult *result);
void lb_operation_steal_restore_result (LbOperation *self, LbRestoreResult *result);

G_END_DECLS
