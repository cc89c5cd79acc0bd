/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Every operation, whoever started it, through LbClient: what a settings
 * page or a status command shows of backups and restores that others
 * start (LbClient::operation-completed, LbClient:service-running), and the
 * subscription to their details. */
#include "config.h"

#include "lb-client-private.h"

/**
 * lb_client_get_service_running:
 * @self: a client
 *
 * Whether the service runs now. %FALSE when D-Bus activation could not
 * start it (it is not installed, or the bus has no activation for it) or
 * it stopped since; the next call starts it again if it can.
 *
 * Returns: whether the service has a name owner on the bus
 *
 * Since: 0.2
 */
gboolean
lb_client_get_service_running (LbClient *self)
{
  g_autofree char *owner = NULL;

  g_return_val_if_fail (LB_IS_CLIENT (self), FALSE);
  owner = g_dbus_proxy_get_name_owner (G_DBUS_PROXY (self->manager));
  return owner != NULL;
}

/* Every operation, whoever started it: what a settings page or a status
 * command shows of backups and restores that others start. The details of
 * an operation (RestrictedLicense, AppCounts, SupportUrl) come only to the
 * client that started it and to subscribers; its end comes to everyone. */

static LbOperationResult *
watch_result_for (LbClient *self, guint64 op)
{
  if (self->watch_result == NULL || self->watch_op != op)
    {
      g_clear_object (&self->watch_result);
      self->watch_result = lb_operation_result_new (op);
      self->watch_op = op;
    }
  return self->watch_result;
}

static void
on_watch_restricted (LbDBusManager *m,
                     guint64 op,
                     const char *key_id,
                     const char *reason,
                     const char *app,
                     LbClient *self)
{
  lb_operation_result_add_restricted (watch_result_for (self, op), key_id, reason, app);
}

static void
on_watch_app_counts (LbDBusManager *m, guint64 op, GVariant *counts, LbClient *self)
{
  lb_operation_result_set_app_counts (watch_result_for (self, op), counts);
}

static void
on_watch_support_url (
    LbDBusManager *m, guint64 op, const char *app, const char *url, LbClient *self)
{
  lb_operation_result_set_support_url (watch_result_for (self, op), url);
}

static void
watch_completed (LbClient *self,
                 LbOperationType kind,
                 guint64 op,
                 guint status,
                 const char *message,
                 GVariant *summary)
{
  g_autoptr (LbOperationResult) result = g_object_ref (watch_result_for (self, op));
  g_autoptr (GError) error = NULL;

  self->watch_op = 0;
  g_clear_object (&self->watch_result);
  lb_operation_result_set_end (result, (LbStatus) status, message, summary);
  error = lb_completed_error (status, message, summary);
  g_signal_emit_by_name (self, "operation-completed", kind, result, error);
}

static void
on_watch_backup_completed (LbDBusManager *m,
                           guint64 op,
                           guint status,
                           const char *message,
                           GVariant *summary,
                           LbClient *self)
{
  watch_completed (self, LB_OPERATION_TYPE_BACKUP, op, status, message, summary);
}

static void
on_watch_restore_completed (LbDBusManager *m,
                            guint64 op,
                            guint status,
                            const char *message,
                            GVariant *summary,
                            LbClient *self)
{
  watch_completed (self, LB_OPERATION_TYPE_RESTORE, op, status, message, summary);
}

static void
on_watch_verify_completed (LbDBusManager *m,
                           guint64 op,
                           guint status,
                           const char *message,
                           GVariant *summary,
                           LbClient *self)
{
  watch_completed (self, LB_OPERATION_TYPE_VERIFY, op, status, message, summary);
}

static void
send_subscribe (LbClient *self,
                GCancellable *cancellable,
                GAsyncReadyCallback callback,
                gpointer user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, lb_client_subscribe_async);
  g_free (self->subscribed_owner);
  self->subscribed_owner = g_dbus_proxy_get_name_owner (G_DBUS_PROXY (self->manager));
  g_dbus_proxy_call (G_DBUS_PROXY (self->manager), "Subscribe", NULL, G_DBUS_CALL_FLAGS_NONE, -1,
                     cancellable, lb_on_empty_reply, task);
}

static void
on_renewed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;

  /* Refused to an app, and absent from services before 0.2. */
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    g_debug ("Subscribe: %s", error->message);
}

static void
on_watch_owner (GObject *proxy, GParamSpec *pspec, LbClient *self)
{
  g_autofree char *owner = g_dbus_proxy_get_name_owner (G_DBUS_PROXY (self->manager));

  /* An operation of an instance that is gone never ends. */
  self->watch_op = 0;
  g_clear_object (&self->watch_result);
  /* A new instance knows nothing of the last one's subscribers. */
  if (self->subscribed && owner != NULL && g_strcmp0 (owner, self->subscribed_owner) != 0)
    send_subscribe (self, NULL, on_renewed, NULL);
  g_object_notify (G_OBJECT (self), "service-running");
}

void
lb_watch_start (LbClient *self)
{
  /* Connected before any operation's own follower, so that
   * LbClient::operation-completed comes before lb_client_backup_async()'s
   * callback. */
  g_signal_connect_object (self->manager, "restricted-license", G_CALLBACK (on_watch_restricted),
                           self, 0);
  g_signal_connect_object (self->manager, "app-counts", G_CALLBACK (on_watch_app_counts), self, 0);
  g_signal_connect_object (self->manager, "support-url", G_CALLBACK (on_watch_support_url), self,
                           0);
  g_signal_connect_object (self->manager, "backup-completed",
                           G_CALLBACK (on_watch_backup_completed), self, 0);
  g_signal_connect_object (self->manager, "restore-completed",
                           G_CALLBACK (on_watch_restore_completed), self, 0);
  g_signal_connect_object (self->manager, "verify-completed",
                           G_CALLBACK (on_watch_verify_completed), self, 0);
  g_signal_connect_object (self->manager, "notify::g-name-owner", G_CALLBACK (on_watch_owner), self,
                           0);
}

/* Stops renewing the subscription: the name of the instance that holds
 * it, or NULL when none does (one that exited took it with it). */
static char *
end_subscription (LbClient *self)
{
  g_autofree char *owner = g_dbus_proxy_get_name_owner (G_DBUS_PROXY (self->manager));
  gboolean held
      = self->subscribed && owner != NULL && g_strcmp0 (owner, self->subscribed_owner) == 0;

  self->subscribed = FALSE;
  g_clear_pointer (&self->subscribed_owner, g_free);
  return held ? g_steal_pointer (&owner) : NULL;
}

/* To the instance that holds it, never starting another. */
static void
call_unsubscribe (LbClient *self,
                  const char *owner,
                  GCancellable *cancellable,
                  GAsyncReadyCallback callback,
                  gpointer user_data)
{
  g_dbus_connection_call (self->connection, owner, LB_OBJECT_PATH,
                          g_dbus_proxy_get_interface_name (G_DBUS_PROXY (self->manager)),
                          "Unsubscribe", NULL, NULL, G_DBUS_CALL_FLAGS_NO_AUTO_START, -1,
                          cancellable, callback, user_data);
}

/* The connection may outlive the client (the session bus): end its
 * subscription with it. */
void
lb_watch_stop (LbClient *self)
{
  g_autofree char *owner = self->manager != NULL ? end_subscription (self) : NULL;

  /* Waits for no answer: the client is going away. */
  if (owner != NULL)
    call_unsubscribe (self, owner, NULL, NULL, NULL);
  self->watch_op = 0;
  g_clear_object (&self->watch_result);
  g_clear_pointer (&self->subscribed_owner, g_free);
}

/**
 * lb_client_subscribe_async:
 * @self: a client
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the service has answered
 * @user_data: data for @callback
 *
 * See lb_client_subscribe_sync().
 *
 * Since: 0.2
 */
void
lb_client_subscribe_async (LbClient *self,
                           GCancellable *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer user_data)
{
  g_return_if_fail (LB_IS_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));
  self->subscribed = TRUE;
  send_subscribe (self, cancellable, callback, user_data);
}

/**
 * lb_client_subscribe_finish:
 * @self: a client
 * @result: the result passed to the callback
 * @error: return location for a #GError
 *
 * Finishes lb_client_subscribe_async().
 *
 * Returns: whether the service took the subscription
 *
 * Since: 0.2
 */
gboolean
lb_client_subscribe_finish (LbClient *self, GAsyncResult *result, GError **error)
{
  return lb_task_finish_boolean (self, result, lb_client_subscribe_async, error);
}

/**
 * lb_client_unsubscribe_async:
 * @self: a client
 * @cancellable: (nullable): a #GCancellable
 * @callback: (nullable): called when the service has answered
 * @user_data: data for @callback
 *
 * Ends the subscription of lb_client_subscribe_async(): the client stops
 * renewing it. Starts no service: one that exited took the subscription
 * with it, and then this succeeds at once.
 *
 * Since: 0.2
 */
void
lb_client_unsubscribe_async (LbClient *self,
                             GCancellable *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autofree char *owner = NULL;

  g_return_if_fail (LB_IS_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, lb_client_unsubscribe_async);
  owner = end_subscription (self);
  if (owner == NULL)
    g_task_return_boolean (task, TRUE);
  else
    call_unsubscribe (self, owner, cancellable, lb_on_empty_reply, g_steal_pointer (&task));
}

/**
 * lb_client_unsubscribe_finish:
 * @self: a client
 * @result: the result passed to the callback
 * @error: return location for a #GError
 *
 * Finishes lb_client_unsubscribe_async().
 *
 * Returns: whether the subscription ended
 *
 * Since: 0.2
 */
gboolean
lb_client_unsubscribe_finish (LbClient *self, GAsyncResult *result, GError **error)
{
  return lb_task_finish_boolean (self, result, lb_client_unsubscribe_async, error);
}
