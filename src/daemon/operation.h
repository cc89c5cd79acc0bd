/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* operation: one backup, restore or check of a backup, from start to
 * result.
 *
 * An operation is made for its kind (LbOperationKindInfo: the worker that
 * runs it, the summary it ends with, its D-Bus signals and its sentences),
 * so that whoever starts and publishes it never asks which kind it is: see
 * docs/design.md, "Adding an operation kind". The worker checks the folder
 * itself, once, and says so (lb_operation_checked()): the starter answers
 * the caller then, so that a bad local folder still fails the call.
 *
 * What it is (id, kind, flags, location, cancellable: fixed at creation),
 * how far it got (status, done, total, cancelable) and what came of it (the
 * kind's result). The worker (backup.h, restore.h, verify.h) runs
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

#include "lb-age.h"
#include "license.h"
#include "store.h"
#include "verifications.h"

G_BEGIN_DECLS

/* The status numbers (LbStatus) and flags (LbBackupFlags, LbRestoreFlags)
 * are the library's (<license-backup/lb-types.h>). */

typedef enum
{
  LB_OPERATION_BACKUP,
  LB_OPERATION_RESTORE,
  LB_OPERATION_VERIFY,
} LbOperationKind;

#define LB_TYPE_OPERATION_KIND (lb_operation_kind_get_type ())
GType lb_operation_kind_get_type (void);
/* "backup", "restore" or "verify", as the Operation property says it. */
const char *lb_operation_kind_to_string (LbOperationKind kind);

typedef struct _LbOperation LbOperation;

/* What an ended operation leaves for the manager to act on. */
typedef struct
{
  GHashTable *apps;        /* app id -> licenses, for AppCounts (borrowed; NULL if none) */
  guint64 added;           /* licenses added to the store: "store-changed" */
  gint64 backup_time;      /* a backup was made: its time (else 0) */
  guint64 backup_changes;  /* and the change counter it holds */
  const char *support_app; /* with a partial end: the SupportUrl signal (borrowed) */
  const char *support_url;
} LbOperationOutcome;

/* A kind of operation: one constant entry, made by its worker's module
 * (backup.h, restore.h). */
typedef struct
{
  LbOperationKind kind;
  /* The skeleton's GObject signals that carry its progress and its end
   * (lb-dbus-generated.h), e.g. "backup-progress", "backup-completed". */
  const char *progress_signal;
  const char *completed_signal;
  guint32 flags;          /* the flags it takes */
  gboolean reads_backups; /* RestorePath, then BackupPath; a "generation" option */
  /* Whole sentences, marked for xgettext and translated where they are used. */
  const char *unknown_flags; /* its %x: the flags it does not take */
  const char *no_location;
  const char *busy; /* another operation is refused while this one runs */
  const char *not_running;
  const char *final_step;
  const char *cancelled;
  /* In the worker's thread: checks the folder (lb_operation_checked()),
   * then does the work. */
  gboolean (*run) (LbStore *store, LbOperation *op, GError **error);
  /* Once the worker has returned: its entries of the summary, and what
   * the manager acts on. A rest that was left out is a partial end: FALSE
   * with @error set (when @error is not NULL). */
  void (*summarize) (LbOperation *op, GVariantBuilder *summary);
  gboolean (*conclude) (LbOperation *op, LbOperationOutcome *outcome, GError **error);
} LbOperationKindInfo;

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
  /* The newest backup was damaged: the newest whole one, or NULL. */
  char *whole_generation;
  gint64 whole_created; /* when it was made (its manifest) */
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

/* @location is the folder of the backups; @cancellable NULL makes one.
 * The progress starts at BEGIN, 0 of 0, cancelable. Without its kind's
 * entry: for calling a worker directly (tests, tools). */
LbOperation *lb_operation_new (
    guint64 id, LbOperationKind kind, guint32 flags, GFile *location, GCancellable *cancellable);
/* An operation of @info's kind, which lb_operation_run() runs. */
LbOperation *lb_operation_new_for_kind (const LbOperationKindInfo *info,
                                        guint64 id,
                                        guint32 flags,
                                        GFile *location);
const LbOperationKindInfo *lb_operation_get_info (LbOperation *self);
/* Runs the kind's worker in the calling thread (a worker thread). */
gboolean lb_operation_run (LbOperation *self, LbStore *store, GError **error);
/* The Completed signal's summary: the kind's entries, the duration and,
 * after a failure, the error's D-Bus name. */
GVariant *lb_operation_build_summary (LbOperation *self, const GError *error, gint64 duration_ms);
/* For the kinds' summarize(): the entries every kind has. */
void lb_operation_summary_add_counts (
    GVariantBuilder *summary, guint licenses, guint skipped, guint64 bytes, const char *location);

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
/* What the service knows of the backups' checks (verifications.h): the
 * kinds that check a backup record into it, and a restore of the newest
 * skips the backups whose last check failed. NULL: nothing is known or
 * recorded (tests, tools). */
void lb_operation_set_verifications (LbOperation *self, LbVerifications *verifications);
LbVerifications *lb_operation_get_verifications (LbOperation *self);
/* A backup is encrypted (EncryptBackups) with the passphrase of era @era
 * (state.h), which the backups' records keep (verifications.h). */
void lb_operation_set_encrypt (LbOperation *self, gboolean encrypt, guint era);
gboolean lb_operation_get_encrypt (LbOperation *self, guint *era);
/* The passphrase the caller gave (the "passphrase" option), taken. */
void lb_operation_set_passphrase (LbOperation *self, LbAgePassphrase *passphrase);
/* Without a passphrase given, whether the keyring's may be used (the
 * service's operations; not tests or tools). */
void lb_operation_set_use_keyring (LbOperation *self, gboolean use_keyring);
/* In the worker's thread, when it needs one: the passphrase given, else
 * the keyring's (looked up once, passphrase.h), else NULL with
 * PASSPHRASE_REQUIRED or KEYRING_UNAVAILABLE. Owned by the operation. */
LbAgePassphrase *lb_operation_get_passphrase (LbOperation *self, GError **error);

/* The worker's side, from its thread. */
/* The folder passed the kind's check, or is about to be mounted and
 * checked then: emits "checked" (in the worker's thread) the first time. */
void lb_operation_checked (LbOperation *self);
gboolean lb_operation_is_checked (LbOperation *self);
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
/* The manager's side: the caller has been told the operation's id. The
 * worker runs ahead of that (it answers once the folder is checked), so
 * what it sends about the operation waits for it (at most @timeout_ms):
 * a signal with an id the caller does not know yet is lost on it. */
void lb_operation_accepted (LbOperation *self);
gboolean lb_operation_wait_accepted (LbOperation *self, guint timeout_ms);
/* @license (of @license->attrs.app) was left out for @reason: emits
 * "restricted". */
void lb_operation_restricted (LbOperation *self, const LbRecord *license, const char *reason);

/* From any thread. */
LbOperationProgress lb_operation_get_progress (LbOperation *self);

/* The result of the operation's kind, owned by it and made zeroed on
 * first use (@clear empties it before it is freed): the worker fills it,
 * others read it once the worker has returned. A kind's module wraps it. */
gpointer lb_operation_get_result (LbOperation *self, gsize size, GDestroyNotify clear);
/* The result of the operation's kind, owned by it: the worker fills it
 * (zeroed first), others read it once the worker has returned. */
LbBackupResult *lb_operation_get_backup_result (LbOperation *self);
LbRestoreResult *lb_operation_get_restore_result (LbOperation *self);
/* Moves the result out into @result, which the caller clears. */
void lb_operation_steal_backup_result (LbOperation *self, LbBackupResult *result);
void lb_operation_steal_restore_result (LbOperation *self, LbRestoreResult *result);

G_END_DECLS
