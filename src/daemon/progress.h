/* progress: what a running operation shares with the main loop.
 *
 * The worker thread writes counts, the MSDRM status and whether it can be
 * cancelled; the main loop samples them to publish (manager.c). Restricted
 * licenses are reported through a callback called from the worker.
 */
#pragma once

#include <gio/gio.h>

#include <license-backup/lb-error.h>
#include <license-backup/lb-types.h>

#include "license.h"

G_BEGIN_DECLS

/* The status numbers (LbStatus) and flags are the library's
 * (<license-backup/lb-types.h>). */

typedef struct
{
  GMutex lock;
  guint64 done;
  guint64 total;
  guint status;
  gboolean cancelable;
  GCancellable *cancellable;
  gulong delay_us; /* lb_fault_delay_us(), read once */
  /* @app is "" for host programs. */
  void (*restricted) (const char *app, const char *key_id, const char *reason, gpointer user_data);
  gpointer restricted_data;
} LbProgress;

typedef struct
{
  guint64 done;
  guint64 total;
  guint status;
  gboolean cancelable;
} LbProgressSample;

void lb_progress_init (LbProgress *p, GCancellable *cancellable);
void lb_progress_clear (LbProgress *p);
void lb_progress_set_total (LbProgress *p, guint64 total);
/* Also where LB_FAULT_DELAY_US slows an operation down (fault.h). */
void lb_progress_set_done (LbProgress *p, guint64 done);
void lb_progress_set_status (LbProgress *p, guint status);
void lb_progress_set_cancelable (LbProgress *p, gboolean cancelable);
/* A license of @license->attrs.app left out, for @reason. */
void lb_progress_restricted (LbProgress *p, const LbRecord *license, const char *reason);
/* Counts one license of @app (NULL or "" for host programs) in @apps, a
 * table of app id -> count (GUINT_TO_POINTER) made on first use. */
void lb_progress_count_app (GHashTable **apps, const char *app);
LbProgressSample lb_progress_sample (LbProgress *p);

G_END_DECLS
