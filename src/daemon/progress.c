#include "config.h"

#include "progress.h"

#include "fault.h"

void
lb_progress_init (LbProgress *p, GCancellable *cancellable)
{
  g_mutex_init (&p->lock);
  p->done = p->total = 0;
  p->status = LB_STATUS_BEGIN;
  p->cancelable = TRUE;
  p->cancellable = g_object_ref (cancellable);
  p->delay_us = lb_fault_delay_us ();
  p->restricted = NULL;
  p->restricted_data = NULL;
}

void
lb_progress_clear (LbProgress *p)
{
  g_clear_object (&p->cancellable);
  g_mutex_clear (&p->lock);
}

void
lb_progress_set_total (LbProgress *p, guint64 total)
{
  g_mutex_lock (&p->lock);
  p->total = total;
  g_mutex_unlock (&p->lock);
}

void
lb_progress_set_done (LbProgress *p, guint64 done)
{
  g_mutex_lock (&p->lock);
  p->done = done;
  g_mutex_unlock (&p->lock);
  lb_fault_delay (p->delay_us);
}

void
lb_progress_set_status (LbProgress *p, guint status)
{
  g_mutex_lock (&p->lock);
  p->status = status;
  g_mutex_unlock (&p->lock);
}

void
lb_progress_set_cancelable (LbProgress *p, gboolean cancelable)
{
  g_mutex_lock (&p->lock);
  p->cancelable = cancelable;
  g_mutex_unlock (&p->lock);
}

void
lb_progress_restricted (LbProgress *p, const LbRecord *license, const char *reason)
{
  if (p->restricted != NULL)
    p->restricted (license->attrs.app != NULL ? license->attrs.app : "", license->key_id, reason,
                   p->restricted_data);
}

void
lb_progress_count_app (GHashTable **apps, const char *app)
{
  const char *key = app != NULL ? app : "";
  gpointer count;

  if (*apps == NULL)
    *apps = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  count = g_hash_table_lookup (*apps, key);
  g_hash_table_replace (*apps, g_strdup (key), GUINT_TO_POINTER (GPOINTER_TO_UINT (count) + 1));
}

LbProgressSample
lb_progress_sample (LbProgress *p)
{
  LbProgressSample s;

  g_mutex_lock (&p->lock);
  s.done = p->done;
  s.total = p->total;
  s.status = p->status;
  s.cancelable = p->cancelable;
  g_mutex_unlock (&p->lock);
  return s;
}
