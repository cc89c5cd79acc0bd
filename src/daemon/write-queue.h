/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* write-queue: group commit of single writes (StoreLicense, DeleteLicense).
 *
 * A thread of its own drains a queue of pending writes into
 * lb_store_write_group(): while one transaction commits, the requests that
 * arrive wait and go together into the next, so that concurrent callers
 * share one sync; a request that finds the queue idle is written at once,
 * with no delay. Each request completes (its callback runs on the
 * submitter's thread-default main context) only after the COMMIT that
 * holds it returned: success means durable. A request that fails alone
 * (store.h: over its app's limits, a restore waiting, nothing to delete)
 * fails only itself, with its own error. Submit from any thread; free
 * writes what is queued, then stops the thread.
 */
#pragma once

#include <gio/gio.h>

#include "store.h"

G_BEGIN_DECLS

typedef struct _LbWriteQueue LbWriteQueue;

LbWriteQueue *lb_write_queue_new (LbStore *store);
void lb_write_queue_free (LbWriteQueue *self);

/* Stores @license (already validated; taken) into @app's licenses, as
 * lb_store_put() does. */
void lb_write_queue_store_async (LbWriteQueue *self,
                                 const char *app,
                                 LbRecord *license,
                                 GAsyncReadyCallback callback,
                                 gpointer user_data);
/* Deletes @app's license @key_id, as lb_store_delete() does. */
void lb_write_queue_delete_async (LbWriteQueue *self,
                                  const char *app,
                                  const char *key_id,
                                  GAsyncReadyCallback callback,
                                  gpointer user_data);
gboolean lb_write_queue_finish (GAsyncResult *result, GError **error);

/* The transactions written so far and the requests they held: for tests
 * and the log. */
void lb_write_queue_get_stats (LbWriteQueue *self, guint64 *groups, guint64 *requests);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbWriteQueue, lb_write_queue_free)

G_END_DECLS
