/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* store: the license store, a SQLite database in WAL mode and a blob file.
 *
 * Contract: every write is one transaction with synchronous=FULL, so a crash
 * at any moment leaves the old or the new state, never a partial license;
 * a bulk write is all-or-nothing and shares one sync, and single writes of
 * many callers may share one too (lb_store_write_group(), each in a
 * savepoint of its own, so that each succeeds or fails alone). A bulk write
 * (a batch expecting 64 KiB of blobs or more, every restore) appends its
 * blobs to the blob file, each written once, and syncs it before the COMMIT
 * that points at them; what a crash leaves past the last commit is cut at
 * the next open. Smaller writes keep their blobs in their rows (one sync).
 * Dead blobs (deleted, replaced) are reclaimed by copying the live ones
 * into a new file in one transaction, and licenses.db's free pages by
 * VACUUM: by the store's own thread past half dead, and by
 * lb_store_reclaim() (CleanLicenseStore). Lookups go through the
 * key index: their cost does not grow with the store. Each license keeps the
 * SHA-256 of its canonical encoding (license.h), which backups carry.
 * Every license belongs to an app ("" for host programs, else its app id):
 * a key id names a license within its app, and each app is held to its
 * limits (count and bytes), checked after every license a write adds, and
 * no write (but deletes and cleans) may leave the disk nearly full.
 * Thread-safe: calls may come from any thread; writes are serialised, reads
 * use their own connection, and snapshots (for backups) read a consistent
 * view while writes go on, a reclaim included (a snapshot keeps the blob
 * file it began on open). Checkpoints (copying the WAL into the database)
 * run in a thread of the store's own, after the commits that need them.
 */
#pragma once

#include <glib-object.h>

#include "license.h"

G_BEGIN_DECLS

#define LB_TYPE_STORE (lb_store_get_type ())
G_DECLARE_FINAL_TYPE (LbStore, lb_store, LB, STORE, GObject)

/* Opens (creating if needed, mode 0700) the store in @dir. Licenses written
 * through lb_store_put() are bound to @machine_app_id. */
LbStore *lb_store_open (const char *dir, const char *machine_app_id, GError **error);

const char *lb_store_get_dir (LbStore *self);
const char *lb_store_get_machine (LbStore *self);

/* The machine-info(5) file that names this computer in its backups
 * (machine-id.h); NULL until set, when the hostname is used. */
void lb_store_set_machine_info_file (LbStore *self, const char *path);
const char *lb_store_get_machine_info_file (LbStore *self);
/* Gives back the connections' page caches and the heap's free memory, as
 * far as no other thread is using a connection: before a step that needs
 * much memory for a moment (deriving a backup's key). */
void lb_store_release_memory (LbStore *self);

/* The number of licenses; cheap (kept up to date by writes). */
guint lb_store_count (LbStore *self);

/* The most licenses and blob bytes one app may keep (the defaults are
 * LB_APP_MAX_LICENSES_DEFAULT and LB_APP_MAX_BYTES_DEFAULT). */
void lb_store_set_app_limits (LbStore *self, guint64 max_licenses, guint64 max_bytes);

/* Writes @licenses (already validated) into @app's licenses in one
 * transaction, replacing those with the same key id. Sets "stored",
 * "machine" and "app" and resets "restore-count" on each, as a fresh
 * license from an app. Nothing is written on an error: LB_ERROR_NO_SPACE
 * when @app would go past its limits or the disk is nearly full,
 * LB_ERROR_BUSY while a restore waits (see the batch below). */
gboolean lb_store_put (
    LbStore *self, const char *app, LbRecord *const *licenses, guint n_licenses, GError **error);

/* A write of any number of licenses into @app, record by record, in one
 * transaction: nothing is visible, and everything rolls back, until
 * commit. It holds the store's write lock from begin to free. With
 * @expected_bytes of 64 KiB or more the blobs go to the blob file (a
 * rolled-back batch cuts the file back), else into the rows. Limits are
 * enforced while it writes, so that a refused write never takes more disk
 * than the app may keep: each add fails with LB_ERROR_NO_SPACE at the
 * first license that takes @app over its limits, or when the free space
 * on the store's file system would fall below the floor (5% or 1 GiB,
 * the smaller; checked at begin for @expected_bytes, the blobs' size as
 * far as known, and every few MiB written). Begin and each add fail with
 * LB_ERROR_BUSY while a restore waits for the lock: the user's restore
 * goes first. After a rollback, or a commit that grew the WAL past its
 * limit, the WAL is cut back. lb_store_put() is one batch. */
typedef struct _LbStoreBatch LbStoreBatch;
LbStoreBatch *
lb_store_batch_begin (LbStore *self, const char *app, guint64 expected_bytes, GError **error);
/* Sets "stored", "machine" and "app" and resets "restore-count" on
 * @license (already validated), as lb_store_put() does. */
gboolean lb_store_batch_add (LbStoreBatch *batch, LbRecord *license, GError **error);
/* lb_store_batch_add() in two steps, so that a reader thread can do the
 * first ahead of the writer: prepare sets those attributes and computes the
 * license's digest, touching nothing else of the batch or the store (any
 * thread, while the batch is open); add_prepared writes it (the batch's
 * thread). */
void lb_store_batch_prepare (LbStoreBatch *batch, LbRecord *license, guint8 digest[LB_DIGEST_LEN]);
gboolean lb_store_batch_add_prepared (LbStoreBatch *batch,
                                      const LbRecord *license,
                                      const guint8 *digest,
                                      GError **error);
gboolean lb_store_batch_commit (LbStoreBatch *batch, GError **error);
/* Rolls back unless committed, and frees. */
void lb_store_batch_free (LbStoreBatch *batch);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbStoreBatch, lb_store_batch_free)

/* @app's license @key_id; LB_ERROR_NOT_FOUND when @app has none. */
LbRecord *lb_store_get (LbStore *self, const char *app, const char *key_id, GError **error);
gboolean lb_store_delete (LbStore *self, const char *app, const char *key_id, GError **error);

/* Up to @limit licenses (without blobs) in (app, key id) byte order: of
 * @app only, whose key id sorts after @after_key; or with @app NULL, of
 * every app, after (@after_app, @after_key). ("", "") starts; *@next_app
 * and *@next_key are the cursor of the next page, both "" after the last. */
GPtrArray *lb_store_list (LbStore *self,
                          const char *app,
                          const char *after_app,
                          const char *after_key,
                          guint limit,
                          char **next_app,
                          char **next_key,
                          GError **error);

/* The apps that hold licenses, in byte order of their ids. */
typedef struct
{
  char *app;
  guint64 licenses;
  guint64 bytes;
} LbStoreApp;
void lb_store_app_free (LbStoreApp *app);
GPtrArray *lb_store_list_apps (LbStore *self, GError **error);

/* Removes @app's licenses (every app's when NULL) that expired at or
 * before @now; returns how many. */
gboolean
lb_store_clean_expired (LbStore *self, const char *app, gint64 now, guint *removed, GError **error);

/* Gives back the blob file's dead space (deleted and replaced licenses'
 * blobs): copies the live blobs into a new file and switches to it in one
 * transaction, then removes the old file (snapshots keep reading it until
 * they end). With @only_if_due (CleanLicenseStore), only when at least an
 * eighth of the file is dead, else when any of it is. The same holds for
 * licenses.db's free pages (small writes' rows deleted or replaced), given
 * back with VACUUM. The store does both by itself, in its own thread, after
 * a write that leaves more than half of a file (and at least 1 MiB) dead.
 * *@freed (may be NULL): the bytes given back. */
gboolean lb_store_reclaim (LbStore *self, gboolean only_if_due, guint64 *freed, GError **error);

/* The change counter: it grows with every committed write that adds,
 * replaces or removes licenses (a restore, an import, a clean included),
 * and is stored with them. */
gboolean lb_store_get_changes (LbStore *self, guint64 *changes, GError **error);

/* A consistent read-only view for a backup. */
typedef struct _LbStoreSnapshot LbStoreSnapshot;

LbStoreSnapshot *lb_store_snapshot_new (LbStore *self, GError **error);
void lb_store_snapshot_free (LbStoreSnapshot *snap);
/* The change counter as of the snapshot. */
gboolean lb_store_snapshot_get_changes (LbStoreSnapshot *snap, guint64 *changes, GError **error);

typedef enum
{
  LB_SNAPSHOT_ELIGIBLE,   /* can-backup and not expired at the snapshot's time */
  LB_SNAPSHOT_RESTRICTED, /* the rest */
} LbSnapshotSet;

gboolean lb_store_snapshot_count (
    LbStoreSnapshot *snap, LbSnapshotSet set, gint64 now, guint64 *count, GError **error);

/* Walks @set in (app, key id) order. For ELIGIBLE the callback gets the
 * full license and its stored digest; for RESTRICTED, only key_id, app,
 * can_backup and expires are filled and the digest is NULL. Returning FALSE (with @error set) stops
 * the walk. */
typedef gboolean (*LbSnapshotFunc) (LbRecord *license,
                                    const guint8 *digest,
                                    gpointer user_data,
                                    GError **error);
gboolean lb_store_snapshot_foreach (LbStoreSnapshot *snap,
                                    LbSnapshotSet set,
                                    gint64 now,
                                    LbSnapshotFunc func,
                                    gpointer user_data,
                                    GError **error);

/* The same walk a row at a time, so that two sets can be walked side by
 * side on one snapshot (one thread at a time). next() sets *@license to
 * NULL at the end; *@digest stays valid until the next call. */
typedef struct _LbSnapshotCursor LbSnapshotCursor;

LbSnapshotCursor *
lb_snapshot_cursor_new (LbStoreSnapshot *snap, LbSnapshotSet set, gint64 now, GError **error);
gboolean lb_snapshot_cursor_next (LbSnapshotCursor *c,
                                  LbRecord **license,
                                  const guint8 **digest,
                                  GError **error);
void lb_snapshot_cursor_free (LbSnapshotCursor *c);

/* Walks the digests of the ELIGIBLE set in the same order, reading only
 * an index. */
typedef gboolean (*LbDigestFunc) (const guint8 *digest, gpointer user_data, GError **error);
gboolean lb_store_snapshot_foreach_digest (
    LbStoreSnapshot *snap, gint64 now, LbDigestFunc func, gpointer user_data, GError **error);

/* A restore transaction: a write transaction on its own connection, so
 * that nothing is visible (and everything rolls back) until commit; the
 * blobs go to the blob file. While
 * begin waits for the write lock, batches yield it (LB_ERROR_BUSY). Each
 * insert is held to its app's limits and the free-space floor as batches
 * are (LB_ERROR_NO_SPACE). */
typedef struct _LbStoreTxn LbStoreTxn;

LbStoreTxn *lb_store_txn_begin (LbStore *self, GError **error);
/* Whether @app has a license @key_id (as seen by the txn). */
gboolean lb_store_txn_contains (
    LbStoreTxn *txn, const char *app, const char *key_id, gboolean *contains, GError **error);
/* Inserts @license as given (attributes, its app included, kept). @digest is the SHA-256 of
 * its encoding when the caller has it, else NULL to compute it. */
gboolean lb_store_txn_insert (LbStoreTxn *txn,
                              const LbRecord *license,
                              const guint8 *digest,
                              GError **error);
gboolean lb_store_txn_commit (LbStoreTxn *txn, GError **error);
/* Rolls back unless committed, and frees. */
void lb_store_txn_free (LbStoreTxn *txn);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbStoreSnapshot, lb_store_snapshot_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbSnapshotCursor, lb_snapshot_cursor_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbStoreTxn, lb_store_txn_free)

/* Group commit (write-queue.h): single writes of many callers (a license
 * to store, or one to delete) in one transaction, one sync for them all.
 * Each op runs in a savepoint of its own, so that one that fails rolls
 * back alone and gets its error in @error: LB_ERROR_NO_SPACE when its app
 * would go past its limits or the disk is nearly full, LB_ERROR_BUSY for
 * a store while a restore waits (the restore goes first), LB_ERROR_NOT_FOUND
 * for a delete of nothing; the others commit together. A store sets the
 * attributes as lb_store_put() does. Returns FALSE (with @error) when the
 * transaction itself failed: then nothing was written and every op whose
 * own @error is NULL failed with that error. */
typedef struct
{
  const char *app;    /* "" for host programs */
  const char *key_id; /* the license to delete when @license is NULL */
  LbRecord *license;  /* the license to store (already validated), or NULL */
  GError *error;      /* out: why this op alone failed */
} LbStoreGroupOp;

gboolean lb_store_write_group (LbStore *self, LbStoreGroupOp *ops, guint n_ops, GError **error);

G_END_DECLS
