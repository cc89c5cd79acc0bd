/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "manager.h"

#include <glib/gi18n.h>
#include <license-backup/lb-enum-types.h>

#include "lb-archive.h"
#include "automatic.h"
#include "backup.h"
#include "callers.h"
#include "fault.h"
#include "error-convert.h"
#include "generations.h"
#include "location.h"
#include "notice.h"
#include "options.h"
#include "operation.h"
#include "restore.h"
#include "state.h"
#include "status-tracker.h"
#include "subscribers.h"

#define STATE_FILE "state.ini"
/* 8 a second: the API promises at most 10, and clients see the signals
 * with the jitter of two hops through the bus (measured: 11 within a
 * second at 100 ms). */
#define PUBLISH_INTERVAL_MS 125
#define RESTRICTED_FLUSH_EVERY 256

struct _LbManager
{
  LbDBusManagerSkeleton parent_instance;

  LbStore *store;
  LbIdle *idle;
  char *state_path;
  LbState state;

  /* The generated vtable with set_property wrapped for validation. */
  GDBusInterfaceVTable vtable;
  GDBusInterfaceSetPropertyFunc parent_set_property;

  /* GetStatus of the pending or last operation. */
  LbStatusTracker *status;

  /* The pending operation (at most one) and how it is published. Set on
   * the main context before its worker starts and cleared after it has
   * returned; the worker's "restricted" handler reads op_starter. */
  LbOperation *op;
  guint64 last_op_id;
  char *op_starter; /* the unique name that started it */
  gint64 op_start_us;
  guint op_watch_id; /* cancel-on-disconnect */
  guint op_hold;     /* lb_idle_hold() */
  gboolean op_automatic;
  gboolean op_to_folder; /* into BackupPath */
  guint tick_source;
  gint64 last_signal_us;
  LbOperationProgress published;
  double published_fraction;
  gint restricted_sent; /* by the worker's threads, atomically */

  LbCallers *callers;
  /* Host callers that asked for every operation's detail signals. */
  LbSubscribers *subscribers;
  /* "Backups are failing", when the policy says so. */
  LbNotice *notice;
};

G_DEFINE_TYPE (LbManager, lb_manager, LB_DBUS_TYPE_MANAGER_SKELETON)

enum
{
  SIGNAL_STORE_CHANGED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

/* What a start request asks for, once validated. */
typedef struct
{
  GFile *dir;
  gboolean cancel_on_disconnect;
  gboolean automatic;
  gboolean to_folder;  /* into BackupPath: what automatic backups count */
  gboolean up_to_date; /* refused as not due because the backups are current */
  char *generation;    /* a restore's, or NULL for the newest */
} StartRequest;

static void
start_request_clear (StartRequest *r)
{
  g_clear_object (&r->dir);
  g_clear_pointer (&r->generation, g_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (StartRequest, start_request_clear)

static gboolean
manager_set_property (GDBusConnection *connection,
                      const char *sender,
                      const char *object_path,
                      const char *interface_name,
                      const char *property_name,
                      GVariant *value,
                      GError **error,
                      gpointer user_data)
{
  LbManager *self = LB_MANAGER (user_data);

  lb_idle_touch (self->idle);
  if (g_str_equal (property_name, "AutomaticBackup") || g_str_equal (property_name, "KeepBackups"))
    {
      g_autoptr (LbAppInfo) caller = NULL;
      g_autoptr (GEnumClass) klass = g_type_class_ref (LB_TYPE_AUTOMATIC_BACKUP);
      gboolean automatic = g_str_equal (property_name, "AutomaticBackup");

      caller = lb_callers_lookup_sync (self->callers, sender, NULL, error);
      if (caller == NULL
          || !lb_callers_require_host (caller, _ ("change the automatic backups"), error))
        return FALSE;
      if (automatic
          && (!g_variant_is_of_type (value, G_VARIANT_TYPE_STRING)
              || g_enum_get_value_by_nick (klass, g_variant_get_string (value, NULL)) == NULL))
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS,
                       _ ("AutomaticBackup is one of “never”, “daily”, “weekly” and “monthly”"));
          return FALSE;
        }
      if (!automatic
          && (!g_variant_is_of_type (value, G_VARIANT_TYPE_UINT32)
              || g_variant_get_uint32 (value) < 1
              || g_variant_get_uint32 (value) > LB_KEEP_BACKUPS_MAX))
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS,
                       _ ("KeepBackups is a number of backups from 1 to %u"), LB_KEEP_BACKUPS_MAX);
          return FALSE;
        }
    }
  if (g_str_equal (property_name, "BackupPath") || g_str_equal (property_name, "RestorePath"))
    {
      g_autoptr (LbAppInfo) caller = NULL;

      /* Synchronous: the vtable has no async form. Cached after the
       * caller's first call; else one round trip to the bus. */
      caller = lb_callers_lookup_sync (self->callers, sender, NULL, error);
      if (caller == NULL
          || !lb_callers_require_host (caller, _ ("choose the backup folders"), error))
        return FALSE;
      if (!g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS, _ ("Property “%s” is a string"),
                       property_name);
          return FALSE;
        }
      if (!lb_location_validate (g_variant_get_string (value, NULL), TRUE, error))
        return FALSE;
    }
  return self->parent_set_property (connection, sender, object_path, interface_name, property_name,
                                    value, error, user_data);
}

static GDBusInterfaceVTable *
manager_get_vtable (GDBusInterfaceSkeleton *skeleton)
{
  LbManager *self = LB_MANAGER (skeleton);
  GDBusInterfaceVTable *parent;

  if (self->parent_set_property == NULL)
    {
      parent = G_DBUS_INTERFACE_SKELETON_CLASS (lb_manager_parent_class)->get_vtable (skeleton);
      self->vtable = *parent;
      self->parent_set_property = parent->set_property;
      self->vtable.set_property = manager_set_property;
    }
  return &self->vtable;
}

static void
save_state (LbManager *self)
{
  g_autoptr (GError) error = NULL;

  if (!lb_state_save (&self->state, self->state_path, &error))
    g_warning ("Cannot save settings to %s: %s", self->state_path, error->message);
}

/* Automatic backups: the policy decides (automatic.h), the manager acts. */

static void
update_next_backup_time (LbManager *self)
{
  lb_dbus_manager_set_next_backup_time (LB_DBUS_MANAGER (self),
                                        lb_automatic_next_backup_time (&self->state));
}

/* Tells the user, at most once a day, that automatic backups are failing. */
static void
maybe_notify (LbManager *self)
{
  GDBusConnection *connection
      = g_dbus_interface_skeleton_get_connection (G_DBUS_INTERFACE_SKELETON (self));
  guint days = 0;

  if (connection == NULL || !lb_automatic_should_notify (&self->state, lb_fault_now (), &days))
    return;
  save_state (self);
  lb_notice_show (self->notice, connection, days, self->state.backup_path,
                  self->state.automatic_error);
}

static void
automatic_failed (LbManager *self, const char *message)
{
  lb_automatic_failed (&self->state, message);
  save_state (self);
  maybe_notify (self);
}

static void
on_path_changed (LbManager *self, GParamSpec *pspec, gpointer user_data)
{
  lb_automatic_set_folders (&self->state, lb_dbus_manager_get_backup_path (LB_DBUS_MANAGER (self)),
                            lb_dbus_manager_get_restore_path (LB_DBUS_MANAGER (self)),
                            lb_fault_now ());
  save_state (self);
  update_next_backup_time (self);
}

static void
on_automatic_changed (LbManager *self, GParamSpec *pspec, gpointer user_data)
{
  g_autoptr (GEnumClass) klass = g_type_class_ref (LB_TYPE_AUTOMATIC_BACKUP);
  const char *nick = lb_dbus_manager_get_automatic_backup (LB_DBUS_MANAGER (self));
  GEnumValue *value = g_enum_get_value_by_nick (klass, nick != NULL ? nick : "");
  int automatic = value != NULL ? value->value : LB_AUTOMATIC_BACKUP_NEVER;

  if (!lb_automatic_set_period (&self->state, automatic, lb_fault_now ()))
    return;
  save_state (self);
  update_next_backup_time (self);
}

static void
on_keep_changed (LbManager *self, GParamSpec *pspec, gpointer user_data)
{
  guint keep = lb_dbus_manager_get_keep_backups (LB_DBUS_MANAGER (self));

  if (keep == self->state.keep)
    return;
  self->state.keep = keep;
  save_state (self);
}

/* A refused automatic request: up to date is a success; a failure to
 * start (other than being off, having no folder or another operation
 * running) counts as a failed backup. */
static void
automatic_refused (LbManager *self, const StartRequest *req, const GError *error)
{
  if (g_error_matches (error, LB_ERROR, LB_ERROR_NOT_DUE))
    {
      if (req->up_to_date)
        {
          lb_automatic_succeeded (&self->state, lb_fault_now ());
          save_state (self);
        }
      return;
    }
  if (!g_error_matches (error, LB_ERROR, LB_ERROR_BUSY))
    automatic_failed (self, error->message);
}

/* Ends what the manager keeps of the pending operation. */
static void
clear_operation (LbManager *self)
{
  g_clear_handle_id (&self->tick_source, g_source_remove);
  if (self->op_watch_id != 0)
    g_bus_unwatch_name (self->op_watch_id);
  self->op_watch_id = 0;
  g_clear_pointer (&self->op_starter, g_free);
  self->op_automatic = self->op_to_folder = FALSE;
  if (self->op != NULL)
    g_signal_handlers_disconnect_by_data (self->op, self);
  g_clear_object (&self->op);
}

static void
emit_progress (LbManager *self, guint status, const char *error, guint64 done, guint64 total)
{
  LbDBusManager *iface = LB_DBUS_MANAGER (self);
  guint64 id = lb_operation_get_id (self->op);

  if (lb_operation_get_kind (self->op) == LB_OPERATION_BACKUP)
    lb_dbus_manager_emit_backup_progress (iface, id, status, error, done, total);
  else
    lb_dbus_manager_emit_restore_progress (iface, id, status, error, done, total);
  self->last_signal_us = g_get_monotonic_time ();
}

/* Publishes a sample as properties; Progress never goes backwards. */
static void
publish_properties (LbManager *self, const LbOperationProgress *s, const char *error_message)
{
  LbDBusManager *iface = LB_DBUS_MANAGER (self);
  double fraction = s->total > 0 ? (double) MIN (s->done, s->total) / (double) s->total : 0.0;

  self->published_fraction = MAX (self->published_fraction, fraction);
  self->published = *s;
  /* Status and message together: GetStatus is answered from another
   * thread and must never pair a new status with an old message. */
  lb_status_tracker_set (self->status, s->status, error_message);
  lb_dbus_manager_set_status (iface, s->status);
  lb_dbus_manager_set_licenses_done (iface, s->done);
  lb_dbus_manager_set_licenses_total (iface, s->total);
  lb_dbus_manager_set_progress (iface, self->published_fraction);
  lb_dbus_manager_set_cancelable (iface, s->cancelable);
}

static gboolean on_tick (gpointer user_data);

static void
schedule_tick (LbManager *self, gint64 delay_us)
{
  self->tick_source = g_timeout_add ((guint) ((delay_us + 999) / 1000), on_tick, self);
}

/* Samples the operation's progress and publishes what changed. */
static gboolean
on_tick (gpointer user_data)
{
  LbManager *self = user_data;
  LbOperationProgress s = lb_operation_get_progress (self->op);
  gint64 wait_us = self->last_signal_us + PUBLISH_INTERVAL_MS * 1000 - g_get_monotonic_time ();

  /* Re-armed from the last signal each time: a periodic timer would drift
   * against it (firing a hair early and skipping a whole interval) or, on
   * a loaded machine, catch up with two ticks close together. */
  self->tick_source = 0;
  if (wait_us > 0)
    {
      schedule_tick (self, wait_us);
      return G_SOURCE_REMOVE;
    }
  if (s.done != self->published.done || s.total != self->published.total
      || s.status != self->published.status || s.cancelable != self->published.cancelable)
    {
      publish_properties (self, &s, "");
      emit_progress (self, s.status, "", s.done, s.total);
      lb_operation_status_published (self->op, s.status);
      lb_fault_stall ("publish");
    }
  schedule_tick (self, PUBLISH_INTERVAL_MS * 1000);
  return G_SOURCE_REMOVE;
}

/* Detail signals name apps and their licenses: a sandboxed app must never
 * receive them, so they are sent to each recipient, never broadcast. */
static void
emit_detail (LbManager *self, const char *signal_name, GVariant *parameters)
{
  GDBusConnection *connection
      = g_dbus_interface_skeleton_get_connection (G_DBUS_INTERFACE_SKELETON (self));
  g_autoptr (GPtrArray) names = lb_subscribers_recipients (self->subscribers, self->op_starter);
  g_autoptr (GVariant) params = g_variant_ref_sink (parameters);

  if (connection == NULL)
    return;
  for (guint i = 0; i < names->len; i++)
    g_dbus_connection_emit_signal (
        connection, names->pdata[i],
        g_dbus_interface_skeleton_get_object_path (G_DBUS_INTERFACE_SKELETON (self)),
        "org.freedesktop.LicenseBackup1", signal_name, params, NULL);
}

static void
on_restricted (
    LbOperation *op, const char *app, const char *key_id, const char *reason, LbManager *self)
{
  /* In the worker thread: emitting on a GDBusConnection is thread-safe,
   * and these go out before Completed, which is emitted after the worker
   * has returned. */
  emit_detail (self, "RestrictedLicense",
               g_variant_new ("(tsss)", lb_operation_get_id (op), key_id, reason, app));

  /* Emitting only queues: with 100,000 licenses left out the queue would
   * hold them all. Waiting for it to drain now and then bounds memory. */
  if ((g_atomic_int_add (&self->restricted_sent, 1) + 1) % RESTRICTED_FLUSH_EVERY == 0)
    {
      GDBusConnection *connection
          = g_dbus_interface_skeleton_get_connection (G_DBUS_INTERFACE_SKELETON (self));
      if (connection != NULL)
        g_dbus_connection_flush_sync (connection, NULL, NULL);
    }
}

static void
emit_app_counts (LbManager *self)
{
  LbOperation *op = self->op;
  GHashTable *apps = lb_operation_get_kind (op) == LB_OPERATION_BACKUP
                         ? lb_operation_get_backup_result (op)->apps
                         : lb_operation_get_restore_result (op)->apps;
  GVariantBuilder b;
  GHashTableIter iter;
  gpointer app, count;

  g_variant_builder_init (&b, G_VARIANT_TYPE ("a{su}"));
  if (apps != NULL)
    {
      g_hash_table_iter_init (&iter, apps);
      while (g_hash_table_iter_next (&iter, &app, &count))
        g_variant_builder_add (&b, "{su}", (const char *) app, GPOINTER_TO_UINT (count));
    }
  emit_detail (self, "AppCounts",
               g_variant_new ("(t@a{su})", lb_operation_get_id (op), g_variant_builder_end (&b)));
}

static void
operation_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  LbManager *self = source;
  LbOperation *op = task_data;
  GError *error = NULL;
  gboolean ok;

  if (lb_operation_get_kind (op) == LB_OPERATION_BACKUP)
    ok = lb_backup_run (self->store, op, &error);
  else
    ok = lb_restore_run (self->store, op, &error);
  if (ok)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static GVariant *
build_summary (LbOperation *op, const GError *error, gint64 duration_ms)
{
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  if (lb_operation_get_kind (op) == LB_OPERATION_BACKUP)
    {
      const LbBackupResult *r = lb_operation_get_backup_result (op);

      g_variant_builder_add (&b, "{sv}", "licenses", g_variant_new_uint32 (r->licenses));
      g_variant_builder_add (&b, "{sv}", "skipped", g_variant_new_uint32 (r->skipped));
      g_variant_builder_add (&b, "{sv}", "bytes", g_variant_new_uint64 (r->bytes));
      g_variant_builder_add (&b, "{sv}", "location",
                             g_variant_new_string (r->location ? r->location : ""));
    }
  else
    {
      const LbRestoreResult *r = lb_operation_get_restore_result (op);

      g_variant_builder_add (&b, "{sv}", "licenses", g_variant_new_uint32 (r->licenses));
      g_variant_builder_add (&b, "{sv}", "skipped", g_variant_new_uint32 (r->skipped));
      g_variant_builder_add (&b, "{sv}", "bytes", g_variant_new_uint64 (r->bytes));
      g_variant_builder_add (&b, "{sv}", "location",
                             g_variant_new_string (r->location ? r->location : ""));
      g_variant_builder_add (&b, "{sv}", "already-present",
                             g_variant_new_uint32 (r->already_present));
      g_variant_builder_add (&b, "{sv}", "individualized",
                             g_variant_new_uint32 (r->individualized));
    }
  g_variant_builder_add (&b, "{sv}", "duration-ms", g_variant_new_uint64 ((guint64) duration_ms));
  if (error != NULL)
    g_variant_builder_add (&b, "{sv}", "error-name",
                           g_variant_new_string (lb_error_get_dbus_name (error)));
  return g_variant_builder_end (&b);
}

/* How the pending operation ended, until it is published. */
typedef struct
{
  LbManager *self; /* strong */
  GError *error;
  guint status;
  char *message;
} Finish;

static void
finish_publish (Finish *f)
{
  LbManager *self = f->self;
  LbOperation *op = self->op;
  LbOperationKind kind = lb_operation_get_kind (op);
  guint64 id = lb_operation_get_id (op);
  LbDBusManager *iface = LB_DBUS_MANAGER (self);
  LbOperationProgress s = lb_operation_get_progress (op);
  gint64 duration_ms = (g_get_monotonic_time () - self->op_start_us) / 1000;
  g_autoptr (GVariant) summary = NULL;

  g_clear_handle_id (&self->tick_source, g_source_remove);
  s.status = f->status;
  s.cancelable = FALSE;
  if (f->error == NULL)
    {
      s.done = s.total;
      publish_properties (self, &s, f->message);
      lb_dbus_manager_set_progress (iface, 1.0);
      emit_progress (self, f->status, f->message, s.done, s.total);
    }
  else
    publish_properties (self, &s, f->message);

  lb_dbus_manager_set_operation (iface, "");
  if (kind == LB_OPERATION_BACKUP && f->error == NULL)
    {
      const LbBackupResult *r = lb_operation_get_backup_result (op);

      lb_automatic_backed_up (&self->state, lb_fault_now (), self->op_to_folder, self->op_automatic,
                              r->time, r->changes);
      save_state (self);
      lb_dbus_manager_set_last_backup_time (iface, self->state.last_backup_time);
      update_next_backup_time (self);
    }
  else if (kind == LB_OPERATION_BACKUP && self->op_automatic)
    automatic_failed (self, f->message);
  /* Properties first, so that a client reacting to Completed reads the
   * final values. */
  g_dbus_interface_skeleton_flush (G_DBUS_INTERFACE_SKELETON (self));

  if (f->error == NULL || f->status == LB_STATUS_ERROR_WITHURL)
    emit_app_counts (self);
  if (f->status == LB_STATUS_ERROR_WITHURL)
    {
      const LbRestoreResult *r = lb_operation_get_restore_result (op);

      emit_detail (self, "SupportUrl", g_variant_new ("(tss)", id, r->support_app, r->support_url));
    }
  summary = g_variant_ref_sink (build_summary (op, f->error, duration_ms));
  if (kind == LB_OPERATION_BACKUP)
    lb_dbus_manager_emit_backup_completed (iface, id, f->status, f->message, summary);
  else
    lb_dbus_manager_emit_restore_completed (iface, id, f->status, f->message, summary);
  g_debug ("%s %" G_GUINT64_FORMAT " ended with status %u %s", lb_operation_kind_to_string (kind),
           id, f->status, f->message);

  if (kind == LB_OPERATION_RESTORE && lb_operation_get_restore_result (op)->licenses > 0)
    g_signal_emit (self, signals[SIGNAL_STORE_CHANGED], 0, lb_store_count (self->store));
  lb_idle_release (self->idle, self->op_hold);
  clear_operation (self);
  g_clear_error (&f->error);
  g_free (f->message);
  g_object_unref (f->self);
  g_free (f);
}

static gboolean
finish_publish_cb (gpointer user_data)
{
  finish_publish (user_data);
  return G_SOURCE_REMOVE;
}

static void
operation_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  LbManager *self = LB_MANAGER (source);
  LbOperation *op = self->op;
  LbOperationKind kind = lb_operation_get_kind (op);
  Finish *f = g_new0 (Finish, 1);
  gint64 since_signal_ms;

  f->self = g_object_ref (self);
  if (!g_task_propagate_boolean (G_TASK (result), &f->error))
    {
      lb_error_convert (&f->error);
      if (f->error->code != LB_ERROR_NEEDS_INDIVIDUALIZATION)
        lb_location_explain_failure (op, f->error);
      f->status = f->error->code == LB_ERROR_NEEDS_INDIVIDUALIZATION
                      ? LB_STATUS_NEEDS_INDIVIDUALIZATION
                      : LB_STATUS_ERROR;
      /* GIO's "Operation was cancelled" does not say what was kept. */
      if (f->error->code == LB_ERROR_CANCELLED)
        {
          g_free (f->error->message);
          f->error->message = g_strdup (
              kind == LB_OPERATION_BACKUP
                  ? _ ("The backup was cancelled; the previous backup, if any, is unchanged")
                  : _ ("The restore was cancelled; no license was restored"));
        }
      f->message = g_strdup (f->error->message);
    }
  else if (kind == LB_OPERATION_RESTORE && lb_operation_get_restore_result (op)->limit_reached)
    {
      f->status = LB_STATUS_ERROR_WITHURL;
      /* Everyone can read this text (Status, RestoreCompleted): the URL, an
       * attribute of one app's license, goes in SupportUrl instead. */
      f->error = g_error_new (LB_ERROR, LB_ERROR_RESTORE_LIMIT,
                              _ ("Some licenses have been restored as often as their issuer "
                                 "allows and were left out; the issuer's website, which "
                                 "license-backup and Settings show, tells how to restore them"));
      f->message = g_strdup (f->error->message);
      /* The rest was restored: keep the counts, but report the error. */
    }
  else
    {
      f->status = LB_STATUS_END;
      f->message = g_strdup ("");
    }

  /* A successful end sends one more progress signal: keep them an interval
   * apart, so that there are never more than ten a second. */
  /* The worker is done: no more samples, so that the final signal is the
   * only one left to space out. */
  g_clear_handle_id (&self->tick_source, g_source_remove);
  since_signal_ms = (g_get_monotonic_time () - self->last_signal_us) / 1000;
  if (f->status == LB_STATUS_END && since_signal_ms < PUBLISH_INTERVAL_MS)
    g_timeout_add ((guint) (PUBLISH_INTERVAL_MS - since_signal_ms), finish_publish_cb, f);
  else
    finish_publish (f);
}

static void
on_caller_vanished (GDBusConnection *connection, const char *name, gpointer user_data)
{
  LbManager *self = user_data;

  g_debug ("%s left the bus: cancelling %s %" G_GUINT64_FORMAT, name,
           lb_operation_kind_to_string (lb_operation_get_kind (self->op)),
           lb_operation_get_id (self->op));
  g_cancellable_cancel (lb_operation_get_cancellable (self->op));
}

/* Whether an automatic backup is due now (automatic.h), from the store's
 * change counter. */
static gboolean
check_due (LbManager *self, gboolean *up_to_date, GError **error)
{
  g_autoptr (GError) store_error = NULL;
  guint64 changes = 0;

  if (!lb_store_get_changes (self->store, &changes, &store_error))
    {
      /* Unknown: back up rather than miss a change. */
      g_warning ("Cannot read the store's change counter: %s", store_error->message);
      changes = self->state.folder_backup_changes + 1;
    }
  return lb_automatic_check_due (&self->state, lb_fault_now (), changes,
                                 lb_store_count (self->store), up_to_date, error);
}

/* Validates a start request; refusals that need no work happen here, at
 * once, with nothing started. */
static gboolean
check_start (LbManager *self,
             LbOperationKind kind,
             guint32 flags,
             GVariant *options,
             StartRequest *req,
             GError **error)
{
  g_autoptr (GVariant) path_v = NULL;
  g_autoptr (GVariant) cod_v = NULL;
  g_autoptr (GVariant) generation_v = NULL;
  g_autoptr (GFile) dir = NULL;
  g_autoptr (GFile) file = NULL;
  const LbOptionSpec backup_specs[] = {
    { "path", "s", &path_v },
    { "cancel-on-disconnect", "b", &cod_v },
    { NULL },
  };
  const LbOptionSpec restore_specs[] = {
    { "path", "s", &path_v },
    { "generation", "s", &generation_v },
    { "cancel-on-disconnect", "b", &cod_v },
    { NULL },
  };
  guint32 allowed = kind == LB_OPERATION_BACKUP
                        ? LB_BACKUP_FLAGS_OVERWRITE | LB_BACKUP_FLAGS_AUTOMATIC
                        : LB_RESTORE_FLAGS_INDIVIDUALIZE;
  const char *location;
  const char *backup_path = lb_dbus_manager_get_backup_path (LB_DBUS_MANAGER (self));

  if (flags & ~allowed)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS,
                   kind == LB_OPERATION_BACKUP
                       ? _ ("Unknown flags 0x%x; the backup flags are 0x1 (overwrite) and 0x8 "
                            "(automatic)")
                       : _ ("Unknown flags 0x%x; the only restore flag is 0x2 (individualize)"),
                   flags & ~allowed);
      return FALSE;
    }
  if (!lb_options_parse (options, kind == LB_OPERATION_BACKUP ? backup_specs : restore_specs,
                         error))
    return FALSE;
  req->cancel_on_disconnect = cod_v != NULL && g_variant_get_boolean (cod_v);
  req->automatic = kind == LB_OPERATION_BACKUP && (flags & LB_BACKUP_FLAGS_AUTOMATIC) != 0;
  if (req->automatic && path_v != NULL)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS,
                   _ ("An automatic backup goes into the backup folder; leave out the folder"));
      return FALSE;
    }
  if (generation_v != NULL)
    {
      const char *generation = g_variant_get_string (generation_v, NULL);

      if (!lb_generation_name_is_valid (generation))
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS,
                       _ ("“%s” is not the name of a backup; “license-backup generations” lists "
                          "them"),
                       generation);
          return FALSE;
        }
      req->generation = g_strdup (generation);
    }

  if (self->op != NULL)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_BUSY,
                   _ ("A %s is already running; wait for it to finish or cancel it first"),
                   lb_operation_get_kind (self->op) == LB_OPERATION_BACKUP ? _ ("backup")
                                                                           : _ ("restore"));
      return FALSE;
    }
  if (req->automatic && !check_due (self, &req->up_to_date, error))
    return FALSE;

  if (path_v != NULL)
    location = g_variant_get_string (path_v, NULL);
  else if (kind == LB_OPERATION_BACKUP)
    location = backup_path;
  else
    {
      /* Without a restore folder, restore from where the backups go. */
      location = lb_dbus_manager_get_restore_path (LB_DBUS_MANAGER (self));
      if (location == NULL || location[0] == '\0')
        location = backup_path;
    }
  if (path_v == NULL && (location == NULL || location[0] == '\0'))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_NOT_SET,
                   kind == LB_OPERATION_BACKUP
                       ? _ ("No backup location is set; set BackupPath or pass a folder")
                       : _ ("No restore location is set; set RestorePath or BackupPath, or pass "
                            "a folder"));
      return FALSE;
    }
  if (!lb_location_validate (location, FALSE, error))
    return FALSE;
  req->to_folder
      = kind == LB_OPERATION_BACKUP && backup_path != NULL && g_str_equal (location, backup_path);
  dir = lb_location_to_file (location);

  /* A location that needs mounting is checked by the worker once mounted;
   * a missing backup folder is made by the worker. Nothing here opens a
   * file: a FIFO in the folder cannot block the main loop. */
  if (g_file_is_native (dir))
    {
      gboolean exists = FALSE;
      g_autoptr (GError) missing = NULL;
      g_autoptr (GFileInfo) info = g_file_query_info (dir, G_FILE_ATTRIBUTE_STANDARD_TYPE,
                                                      G_FILE_QUERY_INFO_NONE, NULL, &missing);

      /* A backup checks licenses.lbk as a restore would read it. */
      file = kind == LB_OPERATION_BACKUP ? g_file_get_child (dir, LB_BACKUP_FILE_NAME)
                                         : lb_generations_pick (dir, req->generation, NULL);
      if (kind == LB_OPERATION_BACKUP && info == NULL
          && g_error_matches (missing, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        ; /* made by the worker */
      else if (!lb_location_prepare_dir (dir, FALSE, NULL, error)
               || !lb_generations_check_named (dir, req->generation, NULL, error)
               || !lb_location_check_backup_file (file, kind == LB_OPERATION_RESTORE, &exists, NULL,
                                                  NULL, error))
        return FALSE;
      if (kind == LB_OPERATION_BACKUP
          && !(flags & (LB_BACKUP_FLAGS_OVERWRITE | LB_BACKUP_FLAGS_AUTOMATIC))
          && (exists || (info != NULL && lb_generations_any (dir, NULL))))
        {
          lb_backup_set_exists_error (error);
          return FALSE;
        }
    }
  req->dir = g_steal_pointer (&dir);
  return TRUE;
}

static gboolean
start_operation (LbManager *self,
                 GDBusMethodInvocation *invocation,
                 LbOperationKind kind,
                 guint32 flags,
                 GVariant *options)
{
  LbDBusManager *iface = LB_DBUS_MANAGER (self);
  g_autoptr (GError) error = NULL;
  g_autoptr (GTask) task = NULL;
  g_auto (StartRequest) req = { 0 };
  const char *sender = g_dbus_method_invocation_get_sender (invocation);
  const char *name = lb_operation_kind_to_string (kind);
  guint64 id;

  lb_idle_touch (self->idle);
  if (!check_start (self, kind, flags, options, &req, &error))
    {
      if (req.automatic)
        automatic_refused (self, &req, error);
      g_dbus_method_invocation_return_gerror (invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }

  id = ++self->last_op_id;
  /* An automatic backup adds a generation to a folder that has some. */
  if (req.automatic)
    flags |= LB_BACKUP_FLAGS_OVERWRITE;
  self->op = lb_operation_new (id, kind, flags, req.dir, NULL);
  lb_operation_set_keep (self->op, self->state.keep);
  lb_operation_set_generation (self->op, req.generation);
  self->op_automatic = req.automatic;
  self->op_to_folder = req.to_folder;
  self->op_starter = g_strdup (sender);
  self->op_start_us = g_get_monotonic_time ();
  self->op_hold
      = lb_idle_hold (self->idle, "%s %" G_GUINT64_FORMAT " started by %s", name, id, sender);
  g_atomic_int_set (&self->restricted_sent, 0);
  g_signal_connect (self->op, "restricted", G_CALLBACK (on_restricted), self);
  if (req.cancel_on_disconnect)
    self->op_watch_id = g_bus_watch_name_on_connection (
        g_dbus_method_invocation_get_connection (invocation), sender, G_BUS_NAME_WATCHER_FLAGS_NONE,
        NULL, on_caller_vanished, self, NULL);

  self->published_fraction = 0.0;
  lb_dbus_manager_set_operation (iface, name);
  lb_dbus_manager_set_last_operation (iface, name);
  lb_dbus_manager_set_operation_id (iface, id);
  self->published = lb_operation_get_progress (self->op);
  publish_properties (self, &self->published, "");
  /* Reply first, so that the caller knows the id of the signals that follow. */
  if (kind == LB_OPERATION_BACKUP)
    lb_dbus_manager_complete_backup_licenses (iface, invocation, id);
  else
    lb_dbus_manager_complete_restore_licenses (iface, invocation, id);
  g_dbus_interface_skeleton_flush (G_DBUS_INTERFACE_SKELETON (self));
  emit_progress (self, self->published.status, "", 0, 0);
  schedule_tick (self, PUBLISH_INTERVAL_MS * 1000);
  g_debug ("%s %" G_GUINT64_FORMAT " started%s", name, id, req.automatic ? " (automatic)" : "");

  task = g_task_new (self, lb_operation_get_cancellable (self->op), operation_done, NULL);
  g_task_set_task_data (task, g_object_ref (self->op), g_object_unref);
  g_task_set_source_tag (task, start_operation);
  g_task_run_in_thread (task, operation_thread);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* A method that only the user's own tools may call: identify the caller
 * first, then run @func on the main context, or refuse. */
typedef gboolean (*HostOnlyFunc) (LbManager *self, GDBusMethodInvocation *invocation);

typedef struct
{
  LbManager *self;
  GDBusMethodInvocation *invocation;
  HostOnlyFunc func;
  const char *what;
  guint hold; /* lb_idle_hold() */
} HostOnlyCall;

static void
host_only_identified (GObject *source, GAsyncResult *result, gpointer user_data)
{
  HostOnlyCall *call = user_data;
  g_autoptr (LbAppInfo) caller = NULL;
  g_autoptr (GError) error = NULL;

  caller = lb_callers_lookup_finish (LB_CALLERS (source), result, &error);
  if (caller == NULL || !lb_callers_require_host (caller, call->what, &error))
    g_dbus_method_invocation_return_gerror (call->invocation, error);
  else
    call->func (call->self, call->invocation);
  lb_idle_release (call->self->idle, call->hold);
  g_object_unref (call->self);
  g_free (call);
}

static gboolean
host_only (LbManager *self, GDBusMethodInvocation *invocation, const char *what, HostOnlyFunc func)
{
  HostOnlyCall *call = g_new0 (HostOnlyCall, 1);

  call->hold = lb_idle_hold (self->idle, "%s from %s",
                             g_dbus_method_invocation_get_method_name (invocation),
                             g_dbus_method_invocation_get_sender (invocation));
  call->self = g_object_ref (self);
  call->invocation = invocation; /* the reference GDBus gave the handler */
  call->func = func;
  call->what = what;
  lb_callers_lookup_async (self->callers, g_dbus_method_invocation_get_sender (invocation), NULL,
                           host_only_identified, call);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
start_backup (LbManager *self, GDBusMethodInvocation *invocation)
{
  guint32 flags;
  g_autoptr (GVariant) options = NULL;

  g_variant_get (g_dbus_method_invocation_get_parameters (invocation), "(u@a{sv})", &flags,
                 &options);
  return start_operation (self, invocation, LB_OPERATION_BACKUP, flags, options);
}

static gboolean
start_restore (LbManager *self, GDBusMethodInvocation *invocation)
{
  guint32 flags;
  g_autoptr (GVariant) options = NULL;

  g_variant_get (g_dbus_method_invocation_get_parameters (invocation), "(u@a{sv})", &flags,
                 &options);
  return start_operation (self, invocation, LB_OPERATION_RESTORE, flags, options);
}

static gboolean
handle_backup_licenses (LbManager *self,
                        GDBusMethodInvocation *invocation,
                        guint flags,
                        GVariant *options)
{
  return host_only (self, invocation, _ ("back up licenses"), start_backup);
}

static gboolean
handle_restore_licenses (LbManager *self,
                         GDBusMethodInvocation *invocation,
                         guint flags,
                         GVariant *options)
{
  return host_only (self, invocation, _ ("restore licenses"), start_restore);
}

static gboolean
cancel_operation (LbManager *self, GDBusMethodInvocation *invocation, LbOperationKind kind)
{
  lb_idle_touch (self->idle);
  if (self->op == NULL || lb_operation_get_kind (self->op) != kind)
    {
      g_dbus_method_invocation_return_error (
          invocation, LB_ERROR, LB_ERROR_NOT_RUNNING,
          kind == LB_OPERATION_BACKUP ? _ ("No backup is running, so there is nothing to cancel")
                                      : _ ("No restore is running, so there is nothing to cancel"));
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  if (!lb_operation_get_progress (self->op).cancelable)
    {
      g_dbus_method_invocation_return_error (
          invocation, LB_ERROR, LB_ERROR_FAILED,
          _ ("The %s is in its final step and can no longer be cancelled; it ends in a moment"),
          kind == LB_OPERATION_BACKUP ? _ ("backup") : _ ("restore"));
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  g_debug ("cancelling %s %" G_GUINT64_FORMAT, lb_operation_kind_to_string (kind),
           lb_operation_get_id (self->op));
  g_cancellable_cancel (lb_operation_get_cancellable (self->op));
  g_dbus_method_invocation_return_value (invocation, NULL);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
cancel_backup (LbManager *self, GDBusMethodInvocation *invocation)
{
  return cancel_operation (self, invocation, LB_OPERATION_BACKUP);
}

static gboolean
cancel_restore (LbManager *self, GDBusMethodInvocation *invocation)
{
  return cancel_operation (self, invocation, LB_OPERATION_RESTORE);
}

static gboolean
handle_cancel_backup (LbManager *self, GDBusMethodInvocation *invocation)
{
  return host_only (self, invocation, _ ("cancel a backup"), cancel_backup);
}

static gboolean
handle_cancel_restore (LbManager *self, GDBusMethodInvocation *invocation)
{
  return host_only (self, invocation, _ ("cancel a restore"), cancel_restore);
}

static gboolean
subscribe (LbManager *self, GDBusMethodInvocation *invocation)
{
  lb_subscribers_add (self->subscribers, g_dbus_method_invocation_get_connection (invocation),
                      g_dbus_method_invocation_get_sender (invocation));
  lb_dbus_manager_complete_subscribe (LB_DBUS_MANAGER (self), invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
unsubscribe (LbManager *self, GDBusMethodInvocation *invocation)
{
  lb_subscribers_remove (self->subscribers, g_dbus_method_invocation_get_sender (invocation));
  lb_dbus_manager_complete_unsubscribe (LB_DBUS_MANAGER (self), invocation);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_subscribe (LbManager *self, GDBusMethodInvocation *invocation)
{
  lb_idle_touch (self->idle);
  return host_only (self, invocation, _ ("follow other apps' licenses"), subscribe);
}

static gboolean
handle_unsubscribe (LbManager *self, GDBusMethodInvocation *invocation)
{
  lb_idle_touch (self->idle);
  return host_only (self, invocation, _ ("follow other apps' licenses"), unsubscribe);
}

static gboolean
handle_get_status (LbManager *self, GDBusMethodInvocation *invocation)
{
  g_autofree char *message = NULL;
  guint status = lb_status_tracker_get (self->status, &message);

  /* Only calls the status filter leaves alone get here (no interface). */
  lb_idle_touch (self->idle);
  lb_dbus_manager_complete_get_status (LB_DBUS_MANAGER (self), invocation, status, message);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* ListBackups: the folder is listed in a thread (it may be a network
 * folder, or a slow disk). */
static void
list_backups_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GFile *dir = task_data;
  GError *error = NULL;
  g_autoptr (GPtrArray) all = lb_generations_list (dir, cancellable, &error);
  GVariantBuilder b;

  if (all == NULL)
    {
      g_autofree char *name = g_file_get_parse_name (dir);

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        {
          g_clear_error (&error);
          g_set_error (&error, LB_ERROR, LB_ERROR_NOT_FOUND,
                       _ ("The folder %s does not exist; choose the folder that holds the "
                          "backups"),
                       name);
        }
      else
        {
          lb_error_convert (&error);
          g_prefix_error (&error, _ ("Cannot list the backups in %s: "), name);
        }
      g_task_return_error (task, error);
      return;
    }
  g_variant_builder_init (&b, G_VARIANT_TYPE ("a(sa{sv})"));
  for (guint i = 0; i < all->len; i++)
    {
      LbGeneration *g = all->pdata[i];

      GVariantBuilder details;

      g_variant_builder_init (&details, G_VARIANT_TYPE_VARDICT);
      g_variant_builder_add (&details, "{sv}", "time", g_variant_new_int64 (g->time));
      g_variant_builder_add (&details, "{sv}", "bytes", g_variant_new_uint64 (g->size));
      g_variant_builder_add (&b, "(sa{sv})", g->name, &details);
    }
  g_task_return_pointer (task, g_variant_ref_sink (g_variant_builder_end (&b)),
                         (GDestroyNotify) g_variant_unref);
}

typedef struct
{
  LbManager *self;
  GDBusMethodInvocation *invocation;
  guint hold;
} ListBackupsCall;

static void
list_backups_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  ListBackupsCall *call = user_data;
  GError *error = NULL;
  g_autoptr (GVariant) backups = g_task_propagate_pointer (G_TASK (result), &error);

  if (backups == NULL)
    g_dbus_method_invocation_return_gerror (call->invocation, error);
  else
    lb_dbus_manager_complete_list_backups (LB_DBUS_MANAGER (call->self), call->invocation, backups);
  g_clear_error (&error);
  lb_idle_release (call->self->idle, call->hold);
  g_object_unref (call->self);
  g_free (call);
}

static gboolean
list_backups (LbManager *self, GDBusMethodInvocation *invocation)
{
  g_autoptr (GVariant) options = NULL;
  g_autoptr (GVariant) path_v = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GTask) task = NULL;
  const LbOptionSpec specs[] = {
    { "path", "s", &path_v },
    { NULL },
  };
  const char *location;
  ListBackupsCall *call;

  g_variant_get (g_dbus_method_invocation_get_parameters (invocation), "(@a{sv})", &options);
  if (!lb_options_parse (options, specs, &error))
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  /* Where a restore would read from. */
  if (path_v != NULL)
    location = g_variant_get_string (path_v, NULL);
  else
    {
      location = lb_dbus_manager_get_restore_path (LB_DBUS_MANAGER (self));
      if (location == NULL || location[0] == '\0')
        location = lb_dbus_manager_get_backup_path (LB_DBUS_MANAGER (self));
      if (location == NULL || location[0] == '\0')
        {
          g_dbus_method_invocation_return_error_literal (
              invocation, LB_ERROR, LB_ERROR_NOT_SET,
              _ ("No restore location is set; set RestorePath or BackupPath, or pass a folder"));
          return G_DBUS_METHOD_INVOCATION_HANDLED;
        }
    }
  if (!lb_location_validate (location, FALSE, &error))
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return G_DBUS_METHOD_INVOCATION_HANDLED;
    }
  call = g_new0 (ListBackupsCall, 1);
  call->self = g_object_ref (self);
  call->invocation = invocation;
  call->hold = lb_idle_hold (self->idle, "ListBackups from %s",
                             g_dbus_method_invocation_get_sender (invocation));
  task = g_task_new (self, NULL, list_backups_done, call);
  g_task_set_task_data (task, lb_location_to_file (location), g_object_unref);
  g_task_run_in_thread (task, list_backups_thread);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
handle_list_backups (LbManager *self, GDBusMethodInvocation *invocation, GVariant *options)
{
  return host_only (self, invocation, _ ("list the backups"), list_backups);
}

LbManager *
lb_manager_new (LbStore *store, LbIdle *idle, GError **error)
{
  g_autoptr (LbManager) self = g_object_new (LB_TYPE_MANAGER, NULL);
  LbDBusManager *iface = LB_DBUS_MANAGER (self);

  self->store = g_object_ref (store);
  self->idle = g_object_ref (idle);
  self->notice = lb_notice_new (idle);
  self->state_path = g_build_filename (lb_store_get_dir (store), STATE_FILE, NULL);
  if (!lb_state_load (&self->state, self->state_path, lb_fault_now (), error))
    return NULL;

  self->status = lb_status_tracker_new (LB_STATUS_INFORMATION);
  lb_dbus_manager_set_backup_path (iface, self->state.backup_path);
  lb_dbus_manager_set_restore_path (iface, self->state.restore_path);
  lb_dbus_manager_set_last_backup_time (iface, self->state.last_backup_time);
  {
    g_autoptr (GEnumClass) klass = g_type_class_ref (LB_TYPE_AUTOMATIC_BACKUP);
    GEnumValue *automatic = g_enum_get_value (klass, self->state.automatic);

    lb_dbus_manager_set_automatic_backup (iface, automatic->value_nick);
  }
  lb_dbus_manager_set_keep_backups (iface, self->state.keep);
  update_next_backup_time (self);
  lb_dbus_manager_set_status (iface, LB_STATUS_INFORMATION);
  lb_dbus_manager_set_operation (iface, "");
  lb_dbus_manager_set_last_operation (iface, "");
  lb_dbus_manager_set_cancelable (iface, FALSE);

  g_signal_connect (self, "notify::backup-path", G_CALLBACK (on_path_changed), NULL);
  g_signal_connect (self, "notify::restore-path", G_CALLBACK (on_path_changed), NULL);
  g_signal_connect (self, "notify::automatic-backup", G_CALLBACK (on_automatic_changed), NULL);
  g_signal_connect (self, "notify::keep-backups", G_CALLBACK (on_keep_changed), NULL);
  g_signal_connect (self, "handle-list-backups", G_CALLBACK (handle_list_backups), NULL);
  g_signal_connect (self, "handle-get-status", G_CALLBACK (handle_get_status), NULL);
  g_signal_connect (self, "handle-backup-licenses", G_CALLBACK (handle_backup_licenses), NULL);
  g_signal_connect (self, "handle-restore-licenses", G_CALLBACK (handle_restore_licenses), NULL);
  g_signal_connect (self, "handle-cancel-license-backup", G_CALLBACK (handle_cancel_backup), NULL);
  g_signal_connect (self, "handle-cancel-license-restore", G_CALLBACK (handle_cancel_restore),
                    NULL);
  g_signal_connect (self, "handle-subscribe", G_CALLBACK (handle_subscribe), NULL);
  g_signal_connect (self, "handle-unsubscribe", G_CALLBACK (handle_unsubscribe), NULL);
  return g_steal_pointer (&self);
}

void
lb_manager_set_callers (LbManager *self, LbCallers *callers)
{
  g_set_object (&self->callers, callers);
}

LbStatusTracker *
lb_manager_get_status_tracker (LbManager *self)
{
  return self->status;
}

void
lb_manager_shutdown (LbManager *self)
{
  /* The notification's action is lost with the daemon: no reason to stay. */
  lb_notice_clear (self->notice);
  if (self->op == NULL)
    return;
  g_debug ("exiting: cancelling the running %s",
           lb_operation_kind_to_string (lb_operation_get_kind (self->op)));
  g_cancellable_cancel (lb_operation_get_cancellable (self->op));
}

static void
lb_manager_finalize (GObject *object)
{
  LbManager *self = LB_MANAGER (object);

  g_clear_object (&self->notice);
  clear_operation (self);
  g_clear_object (&self->store);
  g_clear_object (&self->idle);
  g_free (self->state_path);
  lb_state_clear (&self->state);
  g_clear_object (&self->status);
  g_clear_object (&self->callers);
  g_clear_object (&self->subscribers);
  G_OBJECT_CLASS (lb_manager_parent_class)->finalize (object);
}

static void
lb_manager_class_init (LbManagerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = lb_manager_finalize;
  G_DBUS_INTERFACE_SKELETON_CLASS (klass)->get_vtable = manager_get_vtable;
  signals[SIGNAL_STORE_CHANGED]
      = g_signal_new ("store-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                      NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
}

static void
lb_manager_init (LbManager *self)
{
  self->subscribers = lb_subscribers_new ();
}
