/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The store's calls of LbClient: store, read, list and delete licenses,
 * clean the store, list the apps. */
#include "config.h"

#include "lb-client-private.h"

#include <gio/gunixfdlist.h>

#define LIST_PAGE 10000

static gpointer
license_from_reply (GVariant *reply, const char *key_id)
{
  g_autoptr (GVariant) data = NULL;
  g_autoptr (GVariant) attributes = NULL;
  g_autoptr (GBytes) bytes = NULL;

  g_variant_get (reply, "(@ay@a{sv})", &data, &attributes);
  bytes = g_variant_get_data_as_bytes (data);
  return lb_license_new_from_attributes (key_id, bytes, attributes);
}

/* An array of @type from a reply of (name, details) items: ListApps' and
 * ListBackups'. */
GPtrArray *
lb_objects_from_reply (GVariant *reply, LbFromDetailsFunc from_details)
{
  g_autoptr (GVariant) items = g_variant_get_child_value (reply, 0);
  GPtrArray *out = g_ptr_array_new_with_free_func (g_object_unref);
  GVariantIter iter;
  const char *name;
  GVariant *details;

  g_variant_iter_init (&iter, items);
  while (g_variant_iter_next (&iter, "(&s@a{sv})", &name, &details))
    {
      g_ptr_array_add (out, from_details (name, details));
      g_variant_unref (details);
    }
  return out;
}

static gpointer
apps_from_reply (GVariant *reply, const char *key_id)
{
  return lb_objects_from_reply (reply, (LbFromDetailsFunc) lb_app_new_from_details);
}

static gpointer
removed_from_reply (GVariant *reply, const char *key_id)
{
  guint32 removed = 0;

  g_variant_get (reply, "(u)", &removed);
  return GUINT_TO_POINTER (removed + 1); /* never NULL, which means failure */
}

/**
 * lb_client_store_license_async:
 * @self: a client
 * @license: the license
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when it is stored
 * @user_data: data for @callback
 *
 * Stores @license; see lb_client_store_license_sync().
 *
 * Since: 0.2
 */
void
lb_client_store_license_async (LbClient *self,
                               LbLicense *license,
                               GCancellable *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer user_data)
{
  LbCall *call;

  g_return_if_fail (LB_IS_CLIENT (self));
  g_return_if_fail (LB_IS_LICENSE (license));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  call
      = lb_call_async (self, self->store, "StoreLicense", lb_license_to_store_args (license), NULL,
                       NULL, NULL, lb_client_store_license_async, cancellable, callback, user_data);
  lb_call_set_refresh (call, "LicenseCount");
}

/**
 * lb_client_store_license_finish:
 * @self: a client
 * @result: the result passed to the callback
 * @error: return location for a #GError
 *
 * Finishes lb_client_store_license_async().
 *
 * Returns: whether it was stored
 *
 * Since: 0.2
 */
gboolean
lb_client_store_license_finish (LbClient *self, GAsyncResult *result, GError **error)
{
  g_autoptr (GVariant) reply = lb_call_finish (self, result, lb_client_store_license_async, error);
  return reply != NULL;
}

static void store_next_batch (GTask *task);

static void
on_batch_stored (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  GError *error = NULL;
  g_autoptr (GVariant) reply = g_dbus_proxy_call_finish (G_DBUS_PROXY (source), result, &error);

  if (reply == NULL)
    {
      lb_task_return_remote_error (task, error);
      return;
    }
  store_next_batch (g_steal_pointer (&task));
}

static void
on_import_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  LbClient *self = g_task_get_source_object (task);
  GError *error = NULL;
  g_autoptr (GVariant) reply
      = g_dbus_proxy_call_with_unix_fd_list_finish (G_DBUS_PROXY (source), NULL, result, &error);

  if (reply == NULL)
    {
      lb_task_return_remote_error (task, error);
      g_object_unref (task);
      return;
    }
  lb_refresh_async (task, self->store, "LicenseCount", lb_return_true);
}

static void
store_next_batch (GTask *task)
{
  LbClient *self = g_task_get_source_object (task);
  GPtrArray *batches = g_task_get_task_data (task);
  g_autoptr (GVariant) batch = NULL;

  if (batches->len == 0)
    {
      lb_refresh_async (task, self->store, "LicenseCount", lb_return_true);
      return;
    }
  batch = g_ptr_array_steal_index (batches, 0);
  g_dbus_proxy_call (G_DBUS_PROXY (self->store), "StoreLicenses", batch, G_DBUS_CALL_FLAGS_NONE, -1,
                     g_task_get_cancellable (task), on_batch_stored, task);
}

/**
 * lb_client_store_licenses_async:
 * @self: a client
 * @licenses: (element-type LbLicense): the licenses
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when they are stored
 * @user_data: data for @callback
 *
 * Stores many licenses; see lb_client_store_licenses_sync().
 *
 * Since: 0.2
 */
void
lb_client_store_licenses_async (LbClient *self,
                                GPtrArray *licenses,
                                GCancellable *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer user_data)
{
  GTask *task;

  g_return_if_fail (LB_IS_CLIENT (self));
  g_return_if_fail (licenses != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, lb_client_store_licenses_async);
  if (lb_import_needs_fd (licenses))
    {
      g_autoptr (GUnixFDList) fds = NULL;
      GError *error = NULL;
      int fd = lb_import_payload_memfd (licenses, &error);

      if (fd < 0)
        {
          g_task_return_error (task, error);
          g_object_unref (task);
          return;
        }
      fds = g_unix_fd_list_new_from_array (&fd, 1);
      g_task_set_task_data (task, g_ptr_array_new (), (GDestroyNotify) g_ptr_array_unref);
      g_dbus_proxy_call_with_unix_fd_list (G_DBUS_PROXY (self->store), "StoreLicensesFromFd",
                                           lb_import_params (), G_DBUS_CALL_FLAGS_NONE, -1, fds,
                                           cancellable, on_import_done, task);
      return;
    }
  g_task_set_task_data (task, lb_import_batches (licenses), (GDestroyNotify) g_ptr_array_unref);
  store_next_batch (task);
}

/**
 * lb_client_store_licenses_finish:
 * @self: a client
 * @result: the result passed to the callback
 * @error: return location for a #GError
 *
 * Finishes lb_client_store_licenses_async().
 *
 * Returns: whether all were stored
 *
 * Since: 0.2
 */
gboolean
lb_client_store_licenses_finish (LbClient *self, GAsyncResult *result, GError **error)
{
  return lb_task_finish_boolean (self, result, lb_client_store_licenses_async, error);
}

/**
 * lb_client_get_license_async:
 * @self: a client
 * @key_id: the key id
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the license
 * @user_data: data for @callback
 *
 * Reads a license; see lb_client_get_license_sync().
 *
 * Since: 0.2
 */
void
lb_client_get_license_async (LbClient *self,
                             const char *key_id,
                             GCancellable *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer user_data)
{
  g_return_if_fail (LB_IS_CLIENT (self));
  g_return_if_fail (key_id != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  lb_call_async (self, self->store, "GetLicense", g_variant_new ("(s)", key_id), license_from_reply,
                 g_object_unref, key_id, lb_client_get_license_async, cancellable, callback,
                 user_data);
}

/**
 * lb_client_get_license_finish:
 * @self: a client
 * @result: the result passed to the callback
 * @error: return location for a #GError
 *
 * Finishes lb_client_get_license_async().
 *
 * Returns: (transfer full): the license, or %NULL with @error set
 *
 * Since: 0.2
 */
LbLicense *
lb_client_get_license_finish (LbClient *self, GAsyncResult *result, GError **error)
{
  return lb_call_finish (self, result, lb_client_get_license_async, error);
}

/**
 * lb_client_get_app_license_async:
 * @self: a client
 * @app: the app id
 * @key_id: the key id
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the license
 * @user_data: data for @callback
 *
 * See lb_client_get_app_license_sync().
 *
 * Since: 0.2
 */
void
lb_client_get_app_license_async (LbClient *self,
                                 const char *app,
                                 const char *key_id,
                                 GCancellable *cancellable,
                                 GAsyncReadyCallback callback,
                                 gpointer user_data)
{
  g_return_if_fail (LB_IS_CLIENT (self));
  g_return_if_fail (app != NULL);
  g_return_if_fail (key_id != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  lb_call_async (self, self->store, "GetAppLicense", g_variant_new ("(ss)", app, key_id),
                 license_from_reply, g_object_unref, key_id, lb_client_get_app_license_async,
                 cancellable, callback, user_data);
}

/**
 * lb_client_get_app_license_finish:
 * @self: a client
 * @result: the result passed to the callback
 * @error: return location for a #GError
 *
 * Finishes lb_client_get_app_license_async().
 *
 * Returns: (transfer full): the license, or %NULL with @error set
 *
 * Since: 0.2
 */
LbLicense *
lb_client_get_app_license_finish (LbClient *self, GAsyncResult *result, GError **error)
{
  return lb_call_finish (self, result, lb_client_get_app_license_async, error);
}

/* Listing: every page, in a thread (each page is one call). */

static GPtrArray *
list_all (LbClient *self, const char *app, GCancellable *cancellable, GError **error)
{
  g_autoptr (GPtrArray) out = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char *cursor = g_strdup ("");

  do
    {
      g_autoptr (GVariant) reply = NULL;
      g_autoptr (GVariant) page = NULL;
      GVariantBuilder options;
      GVariantIter iter;
      const char *key_id;
      GVariant *attributes;

      g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
      g_variant_builder_add (&options, "{sv}", "limit", g_variant_new_uint32 (LIST_PAGE));
      g_variant_builder_add (&options, "{sv}", "cursor", g_variant_new_string (cursor));
      if (app != NULL)
        g_variant_builder_add (&options, "{sv}", "app", g_variant_new_string (app));
      reply = lb_call_sync (self->store, "ListLicenses", g_variant_new ("(a{sv})", &options),
                            cancellable, error);
      if (reply == NULL)
        return NULL;
      g_clear_pointer (&cursor, g_free);
      g_variant_get (reply, "(@a(sa{sv})s)", &page, &cursor);
      g_variant_iter_init (&iter, page);
      while (g_variant_iter_next (&iter, "(&s@a{sv})", &key_id, &attributes))
        {
          g_ptr_array_add (out, lb_license_new_from_attributes (key_id, NULL, attributes));
          g_variant_unref (attributes);
        }
    }
  while (cursor[0] != '\0');
  return g_steal_pointer (&out);
}

static void
list_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GError *error = NULL;
  GPtrArray *list = list_all (source, task_data, cancellable, &error);

  if (list == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, list, (GDestroyNotify) g_ptr_array_unref);
}

static void
list_async (LbClient *self,
            const char *app,
            gpointer source_tag,
            GCancellable *cancellable,
            GAsyncReadyCallback callback,
            gpointer user_data)
{
  g_autoptr (GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, g_strdup (app), g_free);
  g_task_run_in_thread (task, list_thread);
}

/**
 * lb_client_list_licenses_async:
 * @self: a client
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the licenses
 * @user_data: data for @callback
 *
 * See lb_client_list_licenses_sync().
 *
 * Since: 0.2
 */
void
lb_client_list_licenses_async (LbClient *self,
                               GCancellable *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer user_data)
{
  g_return_if_fail (LB_IS_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  list_async (self, NULL, lb_client_list_licenses_async, cancellable, callback, user_data);
}

/**
 * lb_client_list_licenses_finish:
 * @self: a client
 * @result: the result passed to the callback
 * @error: return location for a #GError
 *
 * Finishes lb_client_list_licenses_async().
 *
 * Returns: (transfer container) (element-type LbLicense): the licenses, or
 *   %NULL with @error set
 *
 * Since: 0.2
 */
GPtrArray *
lb_client_list_licenses_finish (LbClient *self, GAsyncResult *result, GError **error)
{
  return lb_call_finish (self, result, lb_client_list_licenses_async, error);
}

/**
 * lb_client_list_app_licenses_async:
 * @self: a client
 * @app: the app id
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the licenses
 * @user_data: data for @callback
 *
 * See lb_client_list_app_licenses_sync().
 *
 * Since: 0.2
 */
void
lb_client_list_app_licenses_async (LbClient *self,
                                   const char *app,
                                   GCancellable *cancellable,
                                   GAsyncReadyCallback callback,
                                   gpointer user_data)
{
  g_return_if_fail (LB_IS_CLIENT (self));
  g_return_if_fail (app != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  list_async (self, app, lb_client_list_app_licenses_async, cancellable, callback, user_data);
}

/**
 * lb_client_list_app_licenses_finish:
 * @self: a client
 * @result: the result passed to the callback
 * @error: return location for a #GError
 *
 * Finishes lb_client_list_app_licenses_async().
 *
 * Returns: (transfer container) (element-type LbLicense): the licenses, or
 *   %NULL with @error set
 *
 * Since: 0.2
 */
GPtrArray *
lb_client_list_app_licenses_finish (LbClient *self, GAsyncResult *result, GError **error)
{
  return lb_call_finish (self, result, lb_client_list_app_licenses_async, error);
}

static GListModel *
model_from_array (GPtrArray *licenses)
{
  GListStore *store = g_list_store_new (LB_TYPE_LICENSE);

  g_list_store_splice (store, 0, 0, licenses->pdata, licenses->len);
  return G_LIST_MODEL (store);
}

/**
 * lb_client_list_licenses_model_async:
 * @self: a client
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the model
 * @user_data: data for @callback
 *
 * See lb_client_list_licenses_model_sync().
 *
 * Since: 0.2
 */
void
lb_client_list_licenses_model_async (LbClient *self,
                                     GCancellable *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer user_data)
{
  g_return_if_fail (LB_IS_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  list_async (self, NULL, lb_client_list_licenses_model_async, cancellable, callback, user_data);
}

/**
 * lb_client_list_licenses_model_finish:
 * @self: a client
 * @result: the result passed to the callback
 * @error: return location for a #GError
 *
 * Finishes lb_client_list_licenses_model_async().
 *
 * Returns: (transfer full): a #GListModel of #LbLicense, or %NULL with
 *   @error set
 *
 * Since: 0.2
 */
GListModel *
lb_client_list_licenses_model_finish (LbClient *self, GAsyncResult *result, GError **error)
{
  g_autoptr (GPtrArray) licenses
      = lb_call_finish (self, result, lb_client_list_licenses_model_async, error);

  return licenses != NULL ? model_from_array (licenses) : NULL;
}

/**
 * lb_client_delete_license_async:
 * @self: a client
 * @key_id: the key id
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when it is deleted
 * @user_data: data for @callback
 *
 * See lb_client_delete_license_sync().
 *
 * Since: 0.2
 */
void
lb_client_delete_license_async (LbClient *self,
                                const char *key_id,
                                GCancellable *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer user_data)
{
  LbCall *call;

  g_return_if_fail (LB_IS_CLIENT (self));
  g_return_if_fail (key_id != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  call = lb_call_async (self, self->store, "DeleteLicense", g_variant_new ("(s)", key_id), NULL,
                        NULL, NULL, lb_client_delete_license_async, cancellable, callback,
                        user_data);
  lb_call_set_refresh (call, "LicenseCount");
}

/**
 * lb_client_delete_license_finish:
 * @self: a client
 * @result: the result passed to the callback
 * @error: return location for a #GError
 *
 * Finishes lb_client_delete_license_async().
 *
 * Returns: whether it was deleted
 *
 * Since: 0.2
 */
gboolean
lb_client_delete_license_finish (LbClient *self, GAsyncResult *result, GError **error)
{
  g_autoptr (GVariant) reply = lb_call_finish (self, result, lb_client_delete_license_async, error);
  return reply != NULL;
}

/**
 * lb_client_delete_app_license_async:
 * @self: a client
 * @app: the app id
 * @key_id: the key id
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when it is deleted
 * @user_data: data for @callback
 *
 * See lb_client_delete_app_license_sync().
 *
 * Since: 0.2
 */
void
lb_client_delete_app_license_async (LbClient *self,
                                    const char *app,
                                    const char *key_id,
                                    GCancellable *cancellable,
                                    GAsyncReadyCallback callback,
                                    gpointer user_data)
{
  LbCall *call;

  g_return_if_fail (LB_IS_CLIENT (self));
  g_return_if_fail (app != NULL);
  g_return_if_fail (key_id != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  call = lb_call_async (self, self->store, "DeleteAppLicense", g_variant_new ("(ss)", app, key_id),
                        NULL, NULL, NULL, lb_client_delete_app_license_async, cancellable, callback,
                        user_data);
  lb_call_set_refresh (call, "LicenseCount");
}

/**
 * lb_client_delete_app_license_finish:
 * @self: a client
 * @result: the result passed to the callback
 * @error: return location for a #GError
 *
 * Finishes lb_client_delete_app_license_async().
 *
 * Returns: whether it was deleted
 *
 * Since: 0.2
 */
gboolean
lb_client_delete_app_license_finish (LbClient *self, GAsyncResult *result, GError **error)
{
  g_autoptr (GVariant) reply
      = lb_call_finish (self, result, lb_client_delete_app_license_async, error);
  return reply != NULL;
}

/**
 * lb_client_clean_async:
 * @self: a client
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when done
 * @user_data: data for @callback
 *
 * See lb_client_clean_sync().
 *
 * Since: 0.2
 */
void
lb_client_clean_async (LbClient *self,
                       GCancellable *cancellable,
                       GAsyncReadyCallback callback,
                       gpointer user_data)
{
  LbCall *call;

  g_return_if_fail (LB_IS_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  call = lb_call_async (self, self->store, "CleanLicenseStore",
                        g_variant_new ("(u)", LB_CLEAN_FLAGS_EXPIRED), removed_from_reply, NULL,
                        NULL, lb_client_clean_async, cancellable, callback, user_data);
  lb_call_set_refresh (call, "LicenseCount");
}

/**
 * lb_client_clean_finish:
 * @self: a client
 * @result: the result passed to the callback
 * @error: return location for a #GError
 *
 * Finishes lb_client_clean_async().
 *
 * Returns: how many were removed
 *
 * Since: 0.2
 */
guint
lb_client_clean_finish (LbClient *self, GAsyncResult *result, GError **error)
{
  gpointer removed = lb_call_finish (self, result, lb_client_clean_async, error);
  return removed != NULL ? GPOINTER_TO_UINT (removed) - 1 : 0;
}

/**
 * lb_client_list_apps_async:
 * @self: a client
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the apps
 * @user_data: data for @callback
 *
 * See lb_client_list_apps_sync().
 *
 * Since: 0.2
 */
void
lb_client_list_apps_async (LbClient *self,
                           GCancellable *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer user_data)
{
  g_return_if_fail (LB_IS_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  lb_call_async (self, self->store, "ListApps", NULL, apps_from_reply,
                 (GDestroyNotify) g_ptr_array_unref, NULL, lb_client_list_apps_async, cancellable,
                 callback, user_data);
}

/**
 * lb_client_list_apps_finish:
 * @self: a client
 * @result: the result passed to the callback
 * @error: return location for a #GError
 *
 * Finishes lb_client_list_apps_async().
 *
 * Returns: (transfer container) (element-type LbApp): the apps, or %NULL
 *   with @error set
 *
 * Since: 0.2
 */
GPtrArray *
lb_client_list_apps_finish (LbClient *self, GAsyncResult *result, GError **error)
{
  return lb_call_finish (self, result, lb_client_list_apps_async, error);
}
