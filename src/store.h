/* store: the license store, a SQLite database in WAL mode.
 *
 * Contract: every write is one transaction with synchronous=FULL, so a crash
 * at any moment leaves the old or the new state, never a partial license;
 * a bulk write is all-or-nothing and shares one sync. Lookups go through the
 * key index: their cost does not grow with the store. Each license keeps the
 * SHA-256 of its canonical encoding (license.h), which backups carry.
 * Thread-safe: calls may come from any thread; writes are serialised, reads
 * use their own connection, and snapshots (for backups) read a consistent
 * view while writes go on. Checkpoints (copying the WAL into the database)
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

/* The number of licenses; cheap (kept up to date by writes). */
guint lb_store_count (LbStore *self);

/* Writes @licenses (already validated) in one transaction, replacing those
 * with the same key id. Sets "stored" and "machine" and resets
 * "restore-count" on each, as a fresh license from an app. */
gboolean lb_store_put (LbStore *self, LbLicense *const *licenses, guint n_licenses, GError **error);

LbLicense *lb_store_get (LbStore *self, const char *key_id, GError **error);
gboolean lb_store_delete (LbStore *self, const char *key_id, GError **error);

/* Up to @limit licenses (without blobs) whose key id sorts after @after
 * ("" for the start), in byte order. *@next is "" after the last page. */
GPtrArray *
lb_store_list (LbStore *self, const char *after, guint limit, char **next, GError **error);

/* Removes licenses that expired at or before @now; returns how many. */
gboolean lb_store_clean_expired (LbStore *self, gint64 now, guint *removed, GError **error);

/* A consistent read-only view for a backup. */
typedef struct _LbStoreSnapshot LbStoreSnapshot;

LbStoreSnapshot *lb_store_snapshot_new (LbStore *self, GError **error);
void lb_store_snapshot_free (LbStoreSnapshot *snap);

typedef enum
{
  LB_SNAPSHOT_ELIGIBLE,   /* can-backup and not expired at the snapshot's time */
  LB_SNAPSHOT_RESTRICTED, /* the rest */
} LbSnapshotSet;

gboolean lb_store_snapshot_count (
    LbStoreSnapshot *snap, LbSnapshotSet set, gint64 now, guint64 *count, GError **error);

/* Walks @set in key order. For ELIGIBLE the callback gets the full license
 * and its stored digest; for RESTRICTED, only key_id, can_backup and
 * expires are filled and the digest is NULL. Returning FALSE (with @error set) stops the walk. */
typedef gboolean (*LbSnapshotFunc) (LbLicense *license,
                                    const guint8 *digest,
                                    gpointer user_data,
                                    GError **error);
gboolean lb_store_snapshot_foreach (LbStoreSnapshot *snap,
                                    LbSnapshotSet set,
                                    gint64 now,
                                    LbSnapshotFunc func,
                                    gpointer user_data,
                                    GError **error);

/* Walks the digests of the ELIGIBLE set in the same order, reading only
 * an index. */
typedef gboolean (*LbDigestFunc) (const guint8 *digest, gpointer user_data, GError **error);
gboolean lb_store_snapshot_foreach_digest (
    LbStoreSnapshot *snap, gint64 now, LbDigestFunc func, gpointer user_data, GError **error);

/* A restore transaction: a write transaction on its own connection, so
 * that nothing is visible (and everything rolls back) until commit. */
typedef struct _LbStoreTxn LbStoreTxn;

LbStoreTxn *lb_store_txn_begin (LbStore *self, GError **error);
/* Whether a license with @key_id is in the store (as seen by the txn). */
gboolean
lb_store_txn_contains (LbStoreTxn *txn, const char *key_id, gboolean *contains, GError **error);
/* Inserts @license as given (attributes kept). @digest is the SHA-256 of
 * its encoding when the caller has it, else NULL to compute it. */
gboolean lb_store_txn_insert (LbStoreTxn *txn,
                              const LbLicense *license,
                              const guint8 *digest,
                              GError **error);
gboolean lb_store_txn_commit (LbStoreTxn *txn, GError **error);
/* Rolls back unless committed, and frees. */
void lb_store_txn_free (LbStoreTxn *txn);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbStoreSnapshot, lb_store_snapshot_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbStoreTxn, lb_store_txn_free)

G_END_DECLS
