/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "manager.h"

#include <gio/gunixfdlist.h>
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
#include "passphrase.h"
#include "restore.h"
#include "state.h"
#include "status-tracker.h"
#include "subscribers.h"
#include "verifications.h"
#include "verify.h"

#define STATE_FILE "state.ini"
#define VERIFICATIONS_FILE "verified.ini"
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
  /* What is known of each backup's last check; written by the workers. */
  LbVerifications *verifications;

  GMainContext *context; /* the main context, where the manager lives */

  /* The generated vtable, with Properties.Set taken to method_call (which
   * may wait) to identify the caller first. */
  GDBusInterfaceVTable vtable;
  GDBusInterfaceSetPropertyFunc parent_set_property;
  GDBusInterfaceMethodCallFunc parent_method_call;

  /* GetStatus of the pending or last operation. */
  LbStatusTracker *status;

  /* The pending operation (at most one) and how it is published. Set on
   * the main context before its worker starts and cleared after it has
   * returned; the worker's "restricted" handler reads op_starter. It is
   * accepted, and published, once its worker has checked the folder. */
  LbOperation *op;
  guint64 last_op_id;
  gboolean op_accepted;
  GDBusMethodInvocation *op_invocation; /* the start call, until accepted */
  char *op_starter;                     /* the unique name that started it */
  gint64 op_start_us;
  guint op_watch_id; /* cancel-on-disconnect */
  guint op_hold;     /* lb_idle_hold() */
  gboolean op_automatic;
  gboolean op_to_folder; /* into BackupPath */
  /* An automatic request that came while the service's own check of the
   * newest backup ran: it waits for the check instead of hearing Busy. */
  GDBusMethodInvocation *deferred;
  gpointer deferred_args; /* StartArgs */
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
  /* A SetEncryption call is talking to the keyring: backups and other
   * SetEncryption calls wait (Busy), so that a backup's passphrase and
   * its era always match. */
  gboolean encryption_pending;
};

G_DEFINE_TYPE (LbManager, lb_manager, LB_DBUS_TYPE_MANAGER_SKELETON)

enum
{
  SIGNAL_STORE_CHANGED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

static void
save_state (LbManager *self)
{
  g_autoptr (GError) error = NULL;

  if (!lb_state_save (&self->state, self->state_path, &error))
    g_warning ("Cannot save settings to %s: %s", self->state_path, error->message);
}

/* A call that only the user's own tools may make: the caller is identified
 * first (without waiting on the main loop), then @func runs on the main
 * context with the arguments the handler parsed, or the call is refused. */
typedef void (*HostOnlyFunc) (LbManager *self, GDBusMethodInvocation *invocation, gpointer args);

typedef struct
{
  LbManager *self;
  GDBusMethodInvocation *invocation;
  HostOnlyFunc func;
  const char *what;
  gpointer args;
  GDestroyNotify free_args;
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
    call->func (call->self, call->invocation, call->args);
  if (call->free_args != NULL)
    call->free_args (call->args);
  lb_idle_release (call->self->idle, call->hold);
  g_object_unref (call->self);
  g_free (call);
}

static gboolean
host_only (LbManager *self,
           GDBusMethodInvocation *invocation,
           const char *what,
           HostOnlyFunc func,
           gpointer args,
           GDestroyNotify free_args)
{
  HostOnlyCall *call = g_new0 (HostOnlyCall, 1);

  lb_idle_touch (self->idle);
  call->hold = lb_idle_hold (self->idle, "%s from %s",
                             g_dbus_method_invocation_get_method_name (invocation),
                             g_dbus_method_invocation_get_sender (invocation));
  call->self = g_object_ref (self);
  call->invocation = invocation; /* the reference GDBus gave the handler */
  call->func = func;
  call->what = what;
  call->args = args;
  call->free_args = free_args;
  lb_callers_lookup_async (self->callers, g_dbus_method_invocation_get_sender (invocation), NULL,
                           host_only_identified, call);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* Properties.Set */

/* The value of a writable property, once its caller is the host. GDBus
 * has checked that the property exists, is writable and has its type. */
static gboolean
validate_property (const char *name, GVariant *value, GError **error)
{
  if (g_str_equal (name, "AutomaticBackup"))
    {
      g_autoptr (GEnumClass) klass = g_type_class_ref (LB_TYPE_AUTOMATIC_BACKUP);

      if (g_enum_get_value_by_nick (klass, g_variant_get_string (value, NULL)) != NULL)
        return TRUE;
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS,
                   _ ("AutomaticBackup is one of “never”, “daily”, “weekly” and “monthly”"));
      return FALSE;
    }
  if (g_str_equal (name, "KeepBackups"))
    {
      if (g_variant_get_uint32 (value) >= 1 && g_variant_get_uint32 (value) <= LB_KEEP_BACKUPS_MAX)
        return TRUE;
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS,
                   _ ("KeepBackups is a number of backups from 1 to %u"), LB_KEEP_BACKUPS_MAX);
      return FALSE;
    }
  return lb_location_validate (g_variant_get_string (value, NULL), TRUE, error);
}

static void
set_property (LbManager *self, GDBusMethodInvocation *invocation, gpointer args)
{
  const char *interface_name, *name;
  g_autoptr (GVariant) value = NULL;
  g_autoptr (GError) error = NULL;

  g_variant_get (args, "(&s&sv)", &interface_name, &name, &value);
  if (!validate_property (name, value, &error)
      || !self->parent_set_property (g_dbus_method_invocation_get_connection (invocation),
                                     g_dbus_method_invocation_get_sender (invocation),
                                     g_dbus_method_invocation_get_object_path (invocation),
                                     interface_name, name, value, &error, self))
    g_dbus_method_invocation_return_gerror (invocation, error);
  else
    g_dbus_method_invocation_return_value (invocation, NULL);
}

/* With set_property NULL, GDBus hands Properties.Set to method_call with
 * an invocation that can wait: the caller is identified asynchronously,
 * never with a round trip to the bus on the main loop. */
static void
manager_method_call (GDBusConnection *connection,
                     const char *sender,
                     const char *object_path,
                     const char *interface_name,
                     const char *method_name,
                     GVariant *parameters,
                     GDBusMethodInvocation *invocation,
                     gpointer user_data)
{
  LbManager *self = LB_MANAGER (user_data);
  const char *property;

  if (!g_str_equal (interface_name, "org.freedesktop.DBus.Properties"))
    {
      self->parent_method_call (connection, sender, object_path, interface_name, method_name,
                                parameters, invocation, user_data);
      return;
    }
  g_variant_get_child (parameters, 1, "&s", &property);
  host_only (self, invocation,
             g_str_has_suffix (property, "Path") ? _ ("choose the backup folders")
                                                 : _ ("change the automatic backups"),
             set_property, g_variant_ref (parameters), (GDestroyNotify) g_variant_unref);
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
      self->parent_method_call = parent->method_call;
      self->vtable.set_property = NULL;
      self->vtable.method_call = manager_method_call;
    }
  return &self->vtable;
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
automatic_refused (LbManager *self, gboolean up_to_date, const GError *error)
{
  if (g_error_matches (error, LB_ERROR, LB_ERROR_NOT_DUE))
    {
      if (up_to_date)
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
  self->op_automatic = self->op_to_folder = self->op_accepted = FALSE;
  self->op_invocation = NULL;
  if (self->op != NULL)
    g_signal_handlers_disconnect_by_data (self->op, self);
  g_clear_object (&self->op);
}

static const LbOperationKindInfo *
op_kind (LbManager *self)
{
  return lb_operation_get_info (self->op);
}

static const char *
op_name (LbManager *self)
{
  return lb_operation_kind_to_string (op_kind (self)->kind);
}

static void
emit_progress (LbManager *self, guint status, const char *error, guint64 done, guint64 total)
{
  g_signal_emit_by_name (self, op_kind (self)->progress_signal, lb_operation_get_id (self->op),
                         status, error, done, total);
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
   * has returned; and after the reply that tells the caller the id. */
  lb_operation_wait_accepted (op, 5000);
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
emit_app_counts (LbManager *self, GHashTable *apps)
{
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
  emit_detail (
      self, "AppCounts",
      g_variant_new ("(t@a{su})", lb_operation_get_id (self->op), g_variant_builder_end (&b)));
}

static void
operation_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  LbManager *self = source;
  GError *error = NULL;

  if (lb_operation_run (task_data, self->store, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

/* How the pending operation ended, until it is published. */
typedef struct
{
  LbManager *self; /* strong */
  GError *error;
  guint status;
  char *message;
  LbOperationOutcome outcome;
} Finish;

static void start_deferred (LbManager *self);

static void
finish_publish (Finish *f)
{
  LbManager *self = f->self;
  LbOperation *op = self->op;
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
  if (f->error == NULL && f->outcome.backup_time != 0)
    {
      lb_automatic_backed_up (&self->state, lb_fault_now (), self->op_to_folder, self->op_automatic,
                              f->outcome.backup_time, f->outcome.backup_changes);
      save_state (self);
      lb_dbus_manager_set_last_backup_time (iface, self->state.last_backup_time);
      update_next_backup_time (self);
    }
  else if (f->error == NULL && self->op_automatic)
    {
      /* An automatic check found the newest backup whole. */
      lb_automatic_verified (&self->state, lb_fault_now ());
      save_state (self);
    }
  else if (f->error != NULL && self->op_automatic)
    automatic_failed (self, f->message);
  /* Properties first, so that a client reacting to Completed reads the
   * final values. */
  g_dbus_interface_skeleton_flush (G_DBUS_INTERFACE_SKELETON (self));

  if (f->error == NULL || f->status == LB_STATUS_ERROR_WITHURL)
    emit_app_counts (self, f->outcome.apps);
  if (f->status == LB_STATUS_ERROR_WITHURL)
    emit_detail (self, "SupportUrl",
                 g_variant_new ("(tss)", id, f->outcome.support_app, f->outcome.support_url));
  summary = g_variant_ref_sink (lb_operation_build_summary (op, f->error, duration_ms));
  g_signal_emit_by_name (self, op_kind (self)->completed_signal, id, f->status, f->message,
                         summary);
  g_debug ("%s %" G_GUINT64_FORMAT " ended with status %u %s", op_name (self), id, f->status,
           f->message);

  if (f->outcome.added > 0)
    g_signal_emit (self, signals[SIGNAL_STORE_CHANGED], 0, lb_store_count (self->store));
  lb_idle_release (self->idle, self->op_hold);
  clear_operation (self);
  g_clear_error (&f->error);
  g_free (f->message);
  start_deferred (self);
  g_object_unref (f->self);
  g_free (f);
}

static gboolean
finish_publish_cb (gpointer user_data)
{
  finish_publish (user_data);
  return G_SOURCE_REMOVE;
}

/* The folder check passed (or the folder is being mounted): the caller
 * hears the id, and the operation is published from now on. */
static void
accept_operation (LbManager *self)
{
  LbDBusManager *iface = LB_DBUS_MANAGER (self);
  guint64 id = lb_operation_get_id (self->op);

  self->op_accepted = TRUE;
  self->last_op_id = id;
  self->op_start_us = g_get_monotonic_time ();
  self->published_fraction = 0.0;
  lb_dbus_manager_set_operation (iface, op_name (self));
  lb_dbus_manager_set_last_operation (iface, op_name (self));
  lb_dbus_manager_set_operation_id (iface, id);
  self->published = lb_operation_get_progress (self->op);
  publish_properties (self, &self->published, "");
  /* Reply first, so that the caller knows the id of the signals that follow. */
  if (self->op_invocation != NULL)
    g_dbus_method_invocation_return_value (self->op_invocation, g_variant_new ("(t)", id));
  self->op_invocation = NULL;
  lb_operation_accepted (self->op);
  g_dbus_interface_skeleton_flush (G_DBUS_INTERFACE_SKELETON (self));
  emit_progress (self, self->published.status, "", 0, 0);
  schedule_tick (self, PUBLISH_INTERVAL_MS * 1000);
  g_debug ("%s %" G_GUINT64_FORMAT " started%s", op_name (self), id,
           self->op_automatic ? " (automatic)" : "");
}

typedef struct
{
  LbManager *self; /* strong */
  LbOperation *op; /* strong */
} Checked;

static gboolean
checked_cb (gpointer user_data)
{
  Checked *c = user_data;

  if (c->self->op == c->op && !c->self->op_accepted)
    accept_operation (c->self);
  g_object_unref (c->self);
  g_object_unref (c->op);
  g_free (c);
  return G_SOURCE_REMOVE;
}

static void
on_checked (LbOperation *op, LbManager *self)
{
  Checked *c = g_new0 (Checked, 1);

  /* In the worker thread. */
  c->self = g_object_ref (self);
  c->op = g_object_ref (op);
  g_main_context_invoke_full (self->context, G_PRIORITY_DEFAULT, checked_cb, c, NULL);
}

/* The folder check failed before the caller heard back: the call fails
 * with its error, as when nothing was started. */
static void
refuse_operation (LbManager *self, GError *error)
{
  g_debug ("%s refused: %s", op_name (self), error->message);
  if (self->op_automatic)
    automatic_refused (self, FALSE, error);
  if (self->op_invocation != NULL)
    g_dbus_method_invocation_return_gerror (self->op_invocation, error);
  lb_idle_release (self->idle, self->op_hold);
  clear_operation (self);
}

static void
operation_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  LbManager *self = LB_MANAGER (source);
  LbOperation *op = self->op;
  const LbOperationKindInfo *kind = op_kind (self);
  Finish *f = g_new0 (Finish, 1);
  gint64 since_signal_ms;
  gboolean ok;

  f->self = g_object_ref (self);
  ok = g_task_propagate_boolean (G_TASK (result), &f->error);
  if (!self->op_accepted && !lb_operation_is_checked (op))
    {
      lb_error_convert (&f->error);
      refuse_operation (self, f->error);
      g_clear_error (&f->error);
      g_object_unref (f->self);
      g_free (f);
      return;
    }
  if (!self->op_accepted)
    accept_operation (self);
  if (!ok)
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
          f->error->message = g_strdup (_ (kind->cancelled));
        }
      kind->conclude (op, &f->outcome, NULL);
    }
  else if (!kind->conclude (op, &f->outcome, &f->error))
    f->status = LB_STATUS_ERROR_WITHURL; /* partial: the counts stand, the error is reported */
  else
    f->status = LB_STATUS_END;
  f->message = g_strdup (f->error != NULL ? f->error->message : "");

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

  g_debug ("%s left the bus: cancelling %s %" G_GUINT64_FORMAT, name, op_name (self),
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

/* Where an operation goes without a folder of its own: backups into
 * BackupPath; what reads backups from RestorePath, else BackupPath. NULL
 * when none is set. */
static const char *
default_location (LbManager *self, gboolean reads_backups)
{
  const char *location = NULL;

  if (reads_backups)
    location = lb_dbus_manager_get_restore_path (LB_DBUS_MANAGER (self));
  if (location == NULL || location[0] == '\0')
    location = lb_dbus_manager_get_backup_path (LB_DBUS_MANAGER (self));
  return location != NULL && location[0] != '\0' ? location : NULL;
}

/* A start request's arguments, as the handler parsed them. */
typedef struct
{
  const LbOperationKindInfo *kind;
  guint32 flags;
  GVariant *options;
  GUnixFDList *fds; /* the call's: the "passphrase" option's memfd */
} StartArgs;

static void
start_args_free (StartArgs *args)
{
  g_variant_unref (args->options);
  g_clear_object (&args->fds);
  g_free (args);
}

/* What a start request asks for, once validated. */
typedef struct
{
  guint32 flags;
  GFile *dir;
  gboolean cancel_on_disconnect;
  gboolean automatic;
  gboolean to_folder;          /* into BackupPath: what automatic backups count */
  gboolean up_to_date;         /* refused as not due because the backups are current */
  char *generation;            /* the backup to read, or NULL for the newest */
  LbAgePassphrase *passphrase; /* the "passphrase" option's */
} StartRequest;

static void
start_request_clear (StartRequest *r)
{
  g_clear_object (&r->dir);
  g_clear_pointer (&r->generation, g_free);
  g_clear_pointer (&r->passphrase, lb_age_passphrase_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (StartRequest, start_request_clear)

/* Validates a start request without touching the folder: the worker
 * checks that, once (operation.h). */
static gboolean
check_start (LbManager *self, const StartArgs *args, StartRequest *req, GError **error)
{
  const LbOperationKindInfo *kind = args->kind;
  g_autoptr (GVariant) path_v = NULL;
  g_autoptr (GVariant) cod_v = NULL;
  g_autoptr (GVariant) generation_v = NULL;
  g_autoptr (GVariant) passphrase_v = NULL;
  LbOptionSpec specs[5] = { { "path", "s", &path_v } };
  guint n_specs = 1;
  const char *location;
  const char *backup_path = lb_dbus_manager_get_backup_path (LB_DBUS_MANAGER (self));

  if (kind->reads_backups)
    {
      specs[n_specs++] = (LbOptionSpec){ "generation", "s", &generation_v };
      specs[n_specs++] = (LbOptionSpec){ "passphrase", "h", &passphrase_v };
    }
  specs[n_specs] = (LbOptionSpec){ "cancel-on-disconnect", "b", &cod_v };
  req->flags = args->flags;
  if (args->flags & ~kind->flags)
    {
      /* The kind's sentence: one %x, which msgfmt checks in translations. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS, _ (kind->unknown_flags),
                   args->flags & ~kind->flags);
#pragma GCC diagnostic pop
      return FALSE;
    }
  if (!lb_options_parse (args->options, specs, error))
    return FALSE;
  req->cancel_on_disconnect = cod_v != NULL && g_variant_get_boolean (cod_v);
  req->automatic = (args->flags & LB_BACKUP_FLAGS_AUTOMATIC) != 0;
  if (req->automatic && path_v != NULL)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS,
                   _ ("An automatic backup goes into the backup folder; leave out the folder"));
      return FALSE;
    }
  /* An automatic backup adds a generation to a folder that has some. */
  if (req->automatic)
    req->flags |= LB_BACKUP_FLAGS_OVERWRITE;
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
  if (passphrase_v != NULL)
    {
      req->passphrase = lb_passphrase_from_handle (args->fds, passphrase_v, error);
      if (req->passphrase == NULL)
        return FALSE;
    }

  if (self->op != NULL)
    {
      g_set_error_literal (error, LB_ERROR, LB_ERROR_BUSY, _ (op_kind (self)->busy));
      return FALSE;
    }
  if (kind->kind == LB_OPERATION_BACKUP && self->encryption_pending)
    {
      g_set_error_literal (error, LB_ERROR, LB_ERROR_BUSY,
                           _ ("The backups' encryption is being changed; try again in a moment"));
      return FALSE;
    }
  if (req->automatic && !check_due (self, &req->up_to_date, error))
    return FALSE;

  location = path_v != NULL ? g_variant_get_string (path_v, NULL)
                            : default_location (self, kind->reads_backups);
  if (location == NULL)
    {
      g_set_error_literal (error, LB_ERROR, LB_ERROR_NOT_SET, _ (kind->no_location));
      return FALSE;
    }
  if (!lb_location_validate (location, FALSE, error))
    return FALSE;
  req->to_folder
      = !kind->reads_backups && backup_path != NULL && g_str_equal (location, backup_path);
  req->dir = lb_location_to_file (location);
  return TRUE;
}

/* Starts @kind's worker for @req. With @invocation, the caller (@sender)
 * hears back once the worker has checked the folder (accept_operation()),
 * or the call fails with the check's error (refuse_operation()); without,
 * the service started it itself (an automatic check) and only the
 * subscribers hear its details. */
static void
launch_operation (LbManager *self,
                  const LbOperationKindInfo *kind,
                  StartRequest *req,
                  GDBusMethodInvocation *invocation,
                  const char *sender)
{
  g_autoptr (GTask) task = NULL;
  guint64 id;

  /* Taken once accepted: a refused request uses no id. */
  id = self->last_op_id + 1;
  self->op = lb_operation_new_for_kind (kind, id, req->flags, req->dir);
  lb_operation_set_keep (self->op, self->state.keep);
  lb_operation_set_generation (self->op, req->generation);
  lb_operation_set_verifications (self->op, self->verifications);
  lb_operation_set_encrypt (self->op, self->state.encrypt, self->state.passphrase_era);
  lb_operation_set_use_keyring (self->op, TRUE);
  lb_operation_set_passphrase (self->op, g_steal_pointer (&req->passphrase));
  self->op_invocation = invocation;
  self->op_automatic = req->automatic;
  self->op_to_folder = req->to_folder;
  self->op_starter = g_strdup (sender);
  self->op_hold = lb_idle_hold (self->idle, "%s %" G_GUINT64_FORMAT " started by %s",
                                op_name (self), id, sender != NULL ? sender : "the service");
  g_atomic_int_set (&self->restricted_sent, 0);
  g_signal_connect (self->op, "restricted", G_CALLBACK (on_restricted), self);
  g_signal_connect (self->op, "checked", G_CALLBACK (on_checked), self);
  if (req->cancel_on_disconnect && invocation != NULL)
    self->op_watch_id = g_bus_watch_name_on_connection (
        g_dbus_method_invocation_get_connection (invocation), sender, G_BUS_NAME_WATCHER_FLAGS_NONE,
        NULL, on_caller_vanished, self, NULL);

  task = g_task_new (self, lb_operation_get_cancellable (self->op), operation_done, NULL);
  g_task_set_task_data (task, g_object_ref (self->op), g_object_unref);
  g_task_set_source_tag (task, launch_operation);
  g_task_run_in_thread (task, operation_thread);
}

/* An automatic request found nothing to back up, but the backup folder's
 * newest backup was last found whole a period ago: check it now, so that
 * a drive that rots is noticed (automatic.h). */
static void
start_automatic_check (LbManager *self)
{
  g_auto (StartRequest) req = { 0 };

  req.automatic = TRUE;
  req.to_folder = TRUE;
  req.dir = lb_location_to_file (self->state.backup_path);
  g_debug ("no backup due, but the newest backup was last checked a period ago: checking it");
  launch_operation (self, &lb_verify_kind, &req, NULL, NULL);
}

static void
start_operation (LbManager *self, GDBusMethodInvocation *invocation, gpointer user_data)
{
  const StartArgs *args = user_data;
  g_autoptr (GError) error = NULL;
  g_auto (StartRequest) req = { 0 };

  if ((args->flags & LB_BACKUP_FLAGS_AUTOMATIC) && self->op != NULL && self->op_starter == NULL
      && self->deferred == NULL)
    {
      StartArgs *copy = g_memdup2 (args, sizeof *args);

      g_variant_ref (copy->options);
      if (copy->fds != NULL)
        g_object_ref (copy->fds);
      self->deferred = invocation;
      self->deferred_args = copy;
      return;
    }
  if (!check_start (self, args, &req, &error))
    {
      /* Up to date: that counts as a success, unless the newest backup is
       * due a check, whose outcome counts instead. */
      gboolean check = req.automatic && req.up_to_date && self->op == NULL
                       && g_error_matches (error, LB_ERROR, LB_ERROR_NOT_DUE)
                       && lb_automatic_check_verify_due (&self->state, lb_fault_now ());

      if (req.automatic && !check)
        automatic_refused (self, req.up_to_date, error);
      g_dbus_method_invocation_return_gerror (invocation, error);
      if (check)
        start_automatic_check (self);
      return;
    }
  launch_operation (self, args->kind, &req, invocation,
                    g_dbus_method_invocation_get_sender (invocation));
}

/* The service's own check ended: the automatic request that waited for it
 * runs now. */
static void
start_deferred (LbManager *self)
{
  GDBusMethodInvocation *invocation = g_steal_pointer (&self->deferred);
  StartArgs *args = g_steal_pointer (&self->deferred_args);

  if (invocation == NULL)
    return;
  start_operation (self, invocation, args);
  start_args_free (args);
}

static gboolean
handle_start (LbManager *self,
              GDBusMethodInvocation *invocation,
              const LbOperationKindInfo *kind,
              guint32 flags,
              GVariant *options,
              const char *what)
{
  StartArgs *args = g_new0 (StartArgs, 1);

  args->kind = kind;
  args->flags = flags;
  args->options = g_variant_ref (options);
  /* The methods take no "h" argument of their own (their generated calls
   * stay as they were): the option's descriptor comes with the message. */
  args->fds = g_dbus_message_get_unix_fd_list (g_dbus_method_invocation_get_message (invocation));
  if (args->fds != NULL)
    g_object_ref (args->fds);
  return host_only (self, invocation, what, start_operation, args,
                    (GDestroyNotify) start_args_free);
}

static gboolean
handle_backup_licenses (LbManager *self,
                        GDBusMethodInvocation *invocation,
                        guint flags,
                        GVariant *options)
{
  return handle_start (self, invocation, &lb_backup_kind, flags, options, _ ("back up licenses"));
}

static gboolean
handle_restore_licenses (LbManager *self,
                         GDBusMethodInvocation *invocation,
                         guint flags,
                         GVariant *options)
{
  return handle_start (self, invocation, &lb_restore_kind, flags, options, _ ("restore licenses"));
}

static gboolean
handle_verify_backup (LbManager *self,
                      GDBusMethodInvocation *invocation,
                      guint flags,
                      GVariant *options)
{
  return handle_start (self, invocation, &lb_verify_kind, flags, options, _ ("check backups"));
}

static void
cancel_operation (LbManager *self, GDBusMethodInvocation *invocation, gpointer user_data)
{
  const LbOperationKindInfo *kind = user_data;

  /* Not yet accepted: the caller does not know the operation yet. */
  if (self->op == NULL || !self->op_accepted || op_kind (self) != kind)
    {
      g_dbus_method_invocation_return_error_literal (invocation, LB_ERROR, LB_ERROR_NOT_RUNNING,
                                                     _ (kind->not_running));
      return;
    }
  if (!lb_operation_get_progress (self->op).cancelable)
    {
      g_dbus_method_invocation_return_error_literal (invocation, LB_ERROR, LB_ERROR_FAILED,
                                                     _ (kind->final_step));
      return;
    }
  g_debug ("cancelling %s %" G_GUINT64_FORMAT, op_name (self), lb_operation_get_id (self->op));
  g_cancellable_cancel (lb_operation_get_cancellable (self->op));
  g_dbus_method_invocation_return_value (invocation, NULL);
}

static gboolean
handle_cancel_backup (LbManager *self, GDBusMethodInvocation *invocation)
{
  return host_only (self, invocation, _ ("cancel a backup"), cancel_operation,
                    (gpointer) &lb_backup_kind, NULL);
}

static gboolean
handle_cancel_restore (LbManager *self, GDBusMethodInvocation *invocation)
{
  return host_only (self, invocation, _ ("cancel a restore"), cancel_operation,
                    (gpointer) &lb_restore_kind, NULL);
}

static gboolean
handle_cancel_verify (LbManager *self, GDBusMethodInvocation *invocation)
{
  return host_only (self, invocation, _ ("cancel the check of a backup"), cancel_operation,
                    (gpointer) &lb_verify_kind, NULL);
}

/* SetEncryption and CheckPassphrase: the keyring is asked in a thread
 * (passphrase.h), the answer comes back on the main context. */

typedef enum
{
  KEYRING_SET,   /* SetEncryption */
  KEYRING_CHECK, /* CheckPassphrase */
} KeyringWhat;

typedef struct
{
  KeyringWhat what;
  gboolean encrypt;
  gboolean forget;
  GVariant *options; /* SetEncryption's */
  GVariant *handle;  /* CheckPassphrase's */
  GUnixFDList *fds;
  LbAgePassphrase *passphrase; /* the caller's */
  gboolean matches;            /* CheckPassphrase's answer */
  GDBusMethodInvocation *invocation;
  guint hold;
} KeyringCall;

static void
keyring_call_free (KeyringCall *call)
{
  g_clear_pointer (&call->options, g_variant_unref);
  g_clear_pointer (&call->handle, g_variant_unref);
  g_clear_object (&call->fds);
  g_clear_pointer (&call->passphrase, lb_age_passphrase_free);
  g_free (call);
}

static void
keyring_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  KeyringCall *call = task_data;
  g_autoptr (LbAgePassphrase) kept = NULL;
  GError *error = NULL;
  gboolean ok;

  if (call->what == KEYRING_CHECK)
    {
      kept = lb_keyring_lookup (cancellable, &error);
      ok = kept != NULL;
      if (ok)
        call->matches = lb_age_passphrase_equal (kept, call->passphrase);
    }
  else if (call->passphrase != NULL)
    ok = lb_keyring_store (call->passphrase, cancellable, &error);
  else if (call->encrypt)
    {
      /* On again with the passphrase the keyring kept. */
      kept = lb_keyring_lookup (cancellable, &error);
      ok = kept != NULL;
    }
  else if (call->forget)
    ok = lb_keyring_forget (cancellable, &error);
  else
    ok = TRUE;
  if (ok)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
keyring_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  LbManager *self = LB_MANAGER (source);
  KeyringCall *call = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;

  if (call->what == KEYRING_SET)
    self->encryption_pending = FALSE;
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    g_dbus_method_invocation_return_gerror (call->invocation, error);
  else if (call->what == KEYRING_CHECK)
    lb_dbus_manager_complete_check_passphrase (LB_DBUS_MANAGER (self), call->invocation, NULL,
                                               call->matches);
  else
    {
      self->state.encrypt = call->encrypt;
      /* A new passphrase: backups written from now on are of a new era. */
      if (call->passphrase != NULL)
        self->state.passphrase_era++;
      save_state (self);
      lb_dbus_manager_set_encrypt_backups (LB_DBUS_MANAGER (self), self->state.encrypt);
      g_dbus_interface_skeleton_flush (G_DBUS_INTERFACE_SKELETON (self));
      g_debug ("encrypted backups %s, passphrase era %u", self->state.encrypt ? "on" : "off",
               self->state.passphrase_era);
      lb_dbus_manager_complete_set_encryption (LB_DBUS_MANAGER (self), call->invocation, NULL);
    }
  lb_idle_release (self->idle, call->hold);
}

static void
keyring_start (LbManager *self, GDBusMethodInvocation *invocation, KeyringCall *call)
{
  g_autoptr (GTask) task = g_task_new (self, NULL, keyring_done, NULL);

  call->invocation = invocation;
  call->hold = lb_idle_hold (self->idle, "%s from %s",
                             g_dbus_method_invocation_get_method_name (invocation),
                             g_dbus_method_invocation_get_sender (invocation));
  g_task_set_task_data (task, call, (GDestroyNotify) keyring_call_free);
  g_task_run_in_thread (task, keyring_thread);
}

static void
set_encryption (LbManager *self, GDBusMethodInvocation *invocation, gpointer user_data)
{
  KeyringCall *call = user_data;
  g_autoptr (GVariant) passphrase_v = NULL;
  g_autoptr (GVariant) forget_v = NULL;
  g_autoptr (GError) error = NULL;
  const LbOptionSpec specs[] = {
    { "passphrase", "h", &passphrase_v },
    { "forget", "b", &forget_v },
    { NULL },
  };

  if (!lb_options_parse (call->options, specs, &error))
    goto refuse;
  call->forget = forget_v != NULL && g_variant_get_boolean (forget_v);
  if (call->encrypt && call->forget)
    {
      g_set_error_literal (&error, LB_ERROR, LB_ERROR_INVALID_ARGS,
                           _ ("“forget” removes the passphrase when encrypted backups are turned "
                              "off; leave it out to turn them on"));
      goto refuse;
    }
  if (!call->encrypt && passphrase_v != NULL)
    {
      g_set_error_literal (&error, LB_ERROR, LB_ERROR_INVALID_ARGS,
                           _ ("A passphrase is given to turn encrypted backups on; leave it out "
                              "to turn them off"));
      goto refuse;
    }
  if (self->encryption_pending
      || (self->op != NULL && lb_operation_get_kind (self->op) == LB_OPERATION_BACKUP))
    {
      g_set_error_literal (&error, LB_ERROR, LB_ERROR_BUSY,
                           _ ("A backup is running or the encryption is being changed; wait for "
                              "it to finish, then try again"));
      goto refuse;
    }
  if (passphrase_v != NULL)
    {
      call->passphrase = lb_passphrase_from_handle (call->fds, passphrase_v, &error);
      if (call->passphrase == NULL)
        goto refuse;
    }
  self->encryption_pending = TRUE;
  /* The thread owns the call from here. */
  keyring_start (self, invocation, g_memdup2 (call, sizeof *call));
  memset (call, 0, sizeof *call);
  return;

refuse:
  g_dbus_method_invocation_return_gerror (invocation, error);
}

static gboolean
handle_set_encryption (LbManager *self,
                       GDBusMethodInvocation *invocation,
                       GUnixFDList *fds,
                       gboolean encrypt,
                       GVariant *options)
{
  KeyringCall *call = g_new0 (KeyringCall, 1);

  call->what = KEYRING_SET;
  call->encrypt = encrypt;
  call->options = g_variant_ref (options);
  call->fds = fds != NULL ? g_object_ref (fds) : NULL;
  return host_only (self, invocation, _ ("change the backups' encryption"), set_encryption, call,
                    (GDestroyNotify) keyring_call_free);
}

static void
check_passphrase (LbManager *self, GDBusMethodInvocation *invocation, gpointer user_data)
{
  KeyringCall *call = user_data;
  g_autoptr (GError) error = NULL;

  call->passphrase = lb_passphrase_from_handle (call->fds, call->handle, &error);
  if (call->passphrase == NULL)
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return;
    }
  keyring_start (self, invocation, g_memdup2 (call, sizeof *call));
  memset (call, 0, sizeof *call);
}

static gboolean
handle_check_passphrase (LbManager *self,
                         GDBusMethodInvocation *invocation,
                         GUnixFDList *fds,
                         GVariant *handle)
{
  KeyringCall *call = g_new0 (KeyringCall, 1);

  call->what = KEYRING_CHECK;
  call->handle = g_variant_ref (handle);
  call->fds = fds != NULL ? g_object_ref (fds) : NULL;
  return host_only (self, invocation, _ ("check the backups' passphrase"), check_passphrase, call,
                    (GDestroyNotify) keyring_call_free);
}

static void
subscribe (LbManager *self, GDBusMethodInvocation *invocation, gpointer args)
{
  lb_subscribers_add (self->subscribers, g_dbus_method_invocation_get_connection (invocation),
                      g_dbus_method_invocation_get_sender (invocation));
  lb_dbus_manager_complete_subscribe (LB_DBUS_MANAGER (self), invocation);
}

static void
unsubscribe (LbManager *self, GDBusMethodInvocation *invocation, gpointer args)
{
  lb_subscribers_remove (self->subscribers, g_dbus_method_invocation_get_sender (invocation));
  lb_dbus_manager_complete_unsubscribe (LB_DBUS_MANAGER (self), invocation);
}

static gboolean
handle_subscribe (LbManager *self, GDBusMethodInvocation *invocation)
{
  return host_only (self, invocation, _ ("follow other apps' licenses"), subscribe, NULL, NULL);
}

static gboolean
handle_unsubscribe (LbManager *self, GDBusMethodInvocation *invocation)
{
  return host_only (self, invocation, _ ("follow other apps' licenses"), unsubscribe, NULL, NULL);
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
  const char *machine = lb_store_get_machine (LB_MANAGER (source)->store);
  GError *error = NULL;
  g_autoptr (GPtrArray) all
      = lb_generations_list (dir, LB_GENERATIONS_MANIFESTS, cancellable, &error);
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
          g_autofree char *reason = lb_error_reason (error);

          lb_error_convert (&error);
          g_free (error->message);
          error->message = g_strdup_printf (_ ("Cannot list the backups in %s: %s"), name, reason);
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
      /* When it was really made and by which computer: the name orders
       * the backups but need not be the time (generations.h). */
      if (g->has_manifest)
        {
          const LbManifest *m = &g->manifest;

          g_variant_builder_add (&details, "{sv}", "created", g_variant_new_int64 (m->created));
          g_variant_builder_add (&details, "{sv}", "machine", g_variant_new_string (m->machine));
          g_variant_builder_add (&details, "{sv}", "this-machine",
                                 g_variant_new_boolean (g_str_equal (m->machine, machine)));
          g_variant_builder_add (&details, "{sv}", "host", g_variant_new_string (m->host));
          g_variant_builder_add (&details, "{sv}", "format-version",
                                 g_variant_new_uint32 (m->version));
        }
      /* Encrypted (from its first bytes), and with which passphrase when
       * this service wrote it. */
      g_variant_builder_add (&details, "{sv}", "encrypted", g_variant_new_boolean (g->encrypted));
      {
        guint era = 0;

        if (g->encrypted
            && lb_verifications_lookup_era (LB_MANAGER (source)->verifications, dir, g->name, &era))
          g_variant_builder_add (&details, "{sv}", "passphrase-era", g_variant_new_uint32 (era));
      }
      /* When it was last checked, and how that went. */
      {
        gint64 verified = 0;
        g_autofree char *verify_error = NULL;

        if (lb_verifications_lookup (LB_MANAGER (source)->verifications, dir, g->name, &verified,
                                     &verify_error))
          {
            g_variant_builder_add (&details, "{sv}", "verified", g_variant_new_int64 (verified));
            g_variant_builder_add (&details, "{sv}", "verify-error",
                                   g_variant_new_string (verify_error));
          }
      }
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

static void
list_backups (LbManager *self, GDBusMethodInvocation *invocation, gpointer options)
{
  g_autoptr (GVariant) path_v = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GTask) task = NULL;
  const LbOptionSpec specs[] = {
    { "path", "s", &path_v },
    { NULL },
  };
  const char *location;
  ListBackupsCall *call;

  if (!lb_options_parse (options, specs, &error))
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return;
    }
  /* Where a restore would read from. */
  location = path_v != NULL ? g_variant_get_string (path_v, NULL) : default_location (self, TRUE);
  if (location == NULL)
    {
      g_dbus_method_invocation_return_error_literal (invocation, LB_ERROR, LB_ERROR_NOT_SET,
                                                     _ (lb_restore_kind.no_location));
      return;
    }
  if (!lb_location_validate (location, FALSE, &error))
    {
      g_dbus_method_invocation_return_gerror (invocation, error);
      return;
    }
  call = g_new0 (ListBackupsCall, 1);
  call->self = g_object_ref (self);
  call->invocation = invocation;
  call->hold = lb_idle_hold (self->idle, "ListBackups from %s",
                             g_dbus_method_invocation_get_sender (invocation));
  task = g_task_new (self, NULL, list_backups_done, call);
  g_task_set_task_data (task, lb_location_to_file (location), g_object_unref);
  g_task_run_in_thread (task, list_backups_thread);
}

static gboolean
handle_list_backups (LbManager *self, GDBusMethodInvocation *invocation, GVariant *options)
{
  return host_only (self, invocation, _ ("list the backups"), list_backups, g_variant_ref (options),
                    (GDestroyNotify) g_variant_unref);
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
  {
    g_autofree char *path = g_build_filename (lb_store_get_dir (store), VERIFICATIONS_FILE, NULL);

    self->verifications = lb_verifications_new (path);
  }

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
  lb_dbus_manager_set_encrypt_backups (iface, self->state.encrypt);
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
  g_signal_connect (self, "handle-verify-backup", G_CALLBACK (handle_verify_backup), NULL);
  g_signal_connect (self, "handle-cancel-verify-backup", G_CALLBACK (handle_cancel_verify), NULL);
  g_signal_connect (self, "handle-set-encryption", G_CALLBACK (handle_set_encryption), NULL);
  g_signal_connect (self, "handle-check-passphrase", G_CALLBACK (handle_check_passphrase), NULL);
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
  g_debug ("exiting: cancelling the running %s", op_name (self));
  g_cancellable_cancel (lb_operation_get_cancellable (self->op));
}

static void
lb_manager_finalize (GObject *object)
{
  LbManager *self = LB_MANAGER (object);

  g_clear_object (&self->notice);
  clear_operation (self);
  if (self->deferred != NULL)
    g_dbus_method_invocation_return_error_literal (g_steal_pointer (&self->deferred), LB_ERROR,
                                                   LB_ERROR_FAILED, _ ("The service is stopping"));
  g_clear_pointer ((StartArgs **) &self->deferred_args, start_args_free);
  g_clear_object (&self->store);
  g_clear_object (&self->idle);
  g_free (self->state_path);
  g_clear_object (&self->verifications);
  lb_state_clear (&self->state);
  g_clear_object (&self->status);
  g_clear_object (&self->callers);
  g_main_context_unref (self->context);
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
  self->context = g_main_context_ref_thread_default ();
  self->subscribers = lb_subscribers_new ();
}
