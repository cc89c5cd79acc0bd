/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "write-queue.h"

/* The most requests one transaction holds: it keeps a transaction, and the
 * wait of a restore behind it, short. */
#define GROUP_MAX 256

typedef struct
{
  GTask *task;
  char *app;
  char *key_id;
  LbRecord *license; /* NULL: a delete */
} Request;

struct _LbWriteQueue
{
  LbStore *store;
  GThread *writer;
  GMutex lock; /* guards the rest */
  GCond cond;
  GQueue pending; /* of Request */
  gboolean quit;
  guint64 groups;
  guint64 requests;
};

static void
request_free (Request *r)
{
  g_clear_object (&r->task);
  g_free (r->app);
  g_free (r->key_id);
  g_clear_pointer (&r->license, lb_record_free);
  g_free (r);
}

/* Writes @n requests in one transaction and completes their tasks. */
static void
write_group (LbWriteQueue *self, Request **requests, guint n)
{
  g_autofree LbStoreGroupOp *ops = g_new0 (LbStoreGroupOp, n);
  g_autoptr (GError) error = NULL;

  for (guint i = 0; i < n; i++)
    {
      ops[i].app = requests[i]->app;
      ops[i].key_id = requests[i]->key_id;
      ops[i].license = requests[i]->license;
    }
  lb_store_write_group (self->store, ops, n, &error);
  for (guint i = 0; i < n; i++)
    {
      if (ops[i].error != NULL)
        g_task_return_error (requests[i]->task, g_steal_pointer (&ops[i].error));
      else if (error != NULL)
        g_task_return_error (requests[i]->task, g_error_copy (error));
      else
        g_task_return_boolean (requests[i]->task, TRUE);
      request_free (requests[i]);
    }
}

static gpointer
writer_thread (gpointer user_data)
{
  LbWriteQueue *self = user_data;
  Request *group[GROUP_MAX];

  g_mutex_lock (&self->lock);
  for (;;)
    {
      guint n = 0;

      while (g_queue_is_empty (&self->pending) && !self->quit)
        g_cond_wait (&self->cond, &self->lock);
      if (g_queue_is_empty (&self->pending))
        break;
      /* Whatever arrived while the last group committed goes together. */
      while (n < GROUP_MAX && !g_queue_is_empty (&self->pending))
        group[n++] = g_queue_pop_head (&self->pending);
      self->groups++;
      self->requests += n;
      g_mutex_unlock (&self->lock);
      g_debug ("group commit: %u request(s) in one transaction", n);
      write_group (self, group, n);
      g_mutex_lock (&self->lock);
    }
  g_mutex_unlock (&self->lock);
  return NULL;
}

LbWriteQueue *
lb_write_queue_new (LbStore *store)
{
  LbWriteQueue *self = g_new0 (LbWriteQueue, 1);

  self->store = g_object_ref (store);
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  g_queue_init (&self->pending);
  self->writer = g_thread_new ("lb-group-commit", writer_thread, self);
  return self;
}

void
lb_write_queue_free (LbWriteQueue *self)
{
  if (self == NULL)
    return;
  g_mutex_lock (&self->lock);
  self->quit = TRUE;
  g_cond_signal (&self->cond);
  g_mutex_unlock (&self->lock);
  g_thread_join (self->writer);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  g_object_unref (self->store);
  g_free (self);
}

static void
submit (LbWriteQueue *self,
        const char *app,
        const char *key_id,
        LbRecord *license,
        GAsyncReadyCallback callback,
        gpointer user_data)
{
  Request *r = g_new0 (Request, 1);

  r->task = g_task_new (NULL, NULL, callback, user_data);
  g_task_set_source_tag (r->task, submit);
  r->app = g_strdup (app);
  r->key_id = g_strdup (key_id);
  r->license = license;
  g_mutex_lock (&self->lock);
  g_queue_push_tail (&self->pending, r);
  g_cond_signal (&self->cond);
  g_mutex_unlock (&self->lock);
}

void
lb_write_queue_store_async (LbWriteQueue *self,
                            const char *app,
                            LbRecord *license,
                            GAsyncReadyCallback callback,
                            gpointer user_data)
{
  g_return_if_fail (license != NULL);
  submit (self, app, license->key_id, license, callback, user_data);
}

void
lb_write_queue_delete_async (LbWriteQueue *self,
                             const char *app,
                             const char *key_id,
                             GAsyncReadyCallback callback,
                             gpointer user_data)
{
  submit (self, app, key_id, NULL, callback, user_data);
}

gboolean
lb_write_queue_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
lb_write_queue_get_stats (LbWriteQueue *self, guint64 *groups, guint64 *requests)
{
  g_mutex_lock (&self->lock);
  *groups = self->groups;
  *requests = self->requests;
  g_mutex_unlock (&self->lock);
}
