#include "config.h"

#include "service.h"

#include <glib/gi18n.h>

#include "callers.h"
#include "lb-dbus-generated.h"
#include "error-convert.h"
#include "license.h"
#include "manager.h"
#include "options.h"
#include "store.h"

#define LIST_LIMIT_DEFAULT 1000
#define LIST_LIMIT_MAX 10000

struct _LbService
{
  GObject parent_instance;

  LbIdle *idle;
  LbStore *store;
  LbDBusStore *store_iface;
  LbManager *manager;
  LbCallers *callers; /* from export on */
};

G_DEFINE_TYPE (LbService, lb_service, G_TYPE_OBJECT)

/* A Store method body: runs in a worker thread for an identified @caller
 * and returns the reply's parameters, or NULL with @error set. */
typedef GVariant *(*StoreCallFunc) (LbStore *store,
                                    const LbAppInfo *caller,
                                    GVariant *params,
                                    GError **error);

typedef struct
{
  GDBusMethodInvocation *invocation;
  StoreCallFunc func;
} StoreCall;

static void
store_call_free (StoreCall *call)
{
  g_object_unref (call->invocation);
  g_free (call);
}

static void
store_call_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  LbService *self = source;
  StoreCall *call = task_data;
  g_autoptr (LbAppInfo) caller = NULL;
  GError *error = NULL;
  GVariant *reply = NULL;

  /* Who is calling decides whose licenses the call sees. */
  caller = lb_callers_lookup_sync (
      self->callers, g_dbus_method_invocation_get_sender (call->invocation), NULL, &error);
  if (caller != NULL)
    reply = call->func (self->store, caller,
                        g_dbus_method_invocation_get_parameters (call->invocation), &error);
  if (reply == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, g_variant_ref_sink (reply), (GDestroyNotify) g_variant_unref);
}

static void
store_call_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  LbService *self = LB_SERVICE (source);
  StoreCall *call = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;
  GVariant *reply;

  reply = g_task_propagate_pointer (G_TASK (result), &error);
  /* The return_* calls consume the reference GDBus gave the handler; the
   * one dispatch() took is dropped with the call. */
  /* Before the reply, so that a caller that reads LicenseCount right after
   * its call returns sees the new value. */
  lb_dbus_store_set_license_count (self->store_iface, lb_store_count (self->store));
  g_dbus_interface_skeleton_flush (G_DBUS_INTERFACE_SKELETON (self->store_iface));
  if (reply == NULL)
    {
      lb_error_convert (&error);
      g_dbus_method_invocation_return_gerror (call->invocation, error);
    }
  else
    {
      g_dbus_method_invocation_return_value (call->invocation, reply);
      g_variant_unref (reply);
    }
  lb_idle_release (self->idle);
}

static gboolean
dispatch (LbService *self, GDBusMethodInvocation *invocation, StoreCallFunc func)
{
  g_autoptr (GTask) task = g_task_new (self, NULL, store_call_done, NULL);
  StoreCall *call = g_new0 (StoreCall, 1);

  call->invocation = g_object_ref (invocation);
  call->func = func;
  g_task_set_task_data (task, call, (GDestroyNotify) store_call_free);
  g_task_set_source_tag (task, dispatch);
  lb_idle_hold (self->idle);
  g_task_run_in_thread (task, store_call_thread);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* Validates one (s, ay, a{sv}) triple into a license. */
static LbRecord *
license_from_args (const char *key_id, GVariant *blob, GVariant *attributes, GError **error)
{
  g_autoptr (LbRecord) license = NULL;

  if (!lb_key_id_validate (key_id, error) || !lb_blob_validate (g_variant_n_children (blob), error))
    return NULL;
  license = lb_record_new (key_id, NULL);
  license->blob = g_variant_get_data_as_bytes (blob);
  if (!lb_attributes_parse (attributes, LB_ATTRIBUTES_CALLER, &license->attrs, error))
    return NULL;
  return g_steal_pointer (&license);
}

static GVariant *
call_store_license (LbStore *store, const LbAppInfo *caller, GVariant *params, GError **error)
{
  g_autoptr (GVariant) blob = NULL;
  g_autoptr (GVariant) attributes = NULL;
  g_autoptr (LbRecord) license = NULL;
  const char *key_id;

  g_variant_get (params, "(&s@ay@a{sv})", &key_id, &blob, &attributes);
  license = license_from_args (key_id, blob, attributes, error);
  if (license == NULL || !lb_store_put (store, caller->id, &license, 1, error))
    return NULL;
  return g_variant_new ("()");
}

static GVariant *
call_store_licenses (LbStore *store, const LbAppInfo *caller, GVariant *params, GError **error)
{
  g_autoptr (GVariant) array = g_variant_get_child_value (params, 0);
  g_autoptr (GPtrArray) licenses = NULL;
  gsize n = g_variant_n_children (array);
  guint64 total = 0;

  if (n > LB_BULK_MAX_LICENSES)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS,
                   _ ("At most %d licenses fit in one StoreLicenses call; this one has %zu. "
                      "Split it into several calls"),
                   LB_BULK_MAX_LICENSES, n);
      return NULL;
    }
  licenses = g_ptr_array_new_full ((guint) n, (GDestroyNotify) lb_record_free);
  for (gsize i = 0; i < n; i++)
    {
      /* Child by child: g_variant_get_child (…, "(&s…)") would serialise
       * each license GDBus parsed, a copy of every blob. */
      g_autoptr (GVariant) item = g_variant_get_child_value (array, i);
      g_autoptr (GVariant) key_v = g_variant_get_child_value (item, 0);
      g_autoptr (GVariant) blob = g_variant_get_child_value (item, 1);
      g_autoptr (GVariant) attributes = g_variant_get_child_value (item, 2);
      g_autoptr (GError) local_error = NULL;
      const char *key_id = g_variant_get_string (key_v, NULL);
      LbRecord *license;

      total += g_variant_n_children (blob);
      if (total > LB_BULK_MAX_BYTES)
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS,
                       _ ("At most 64 MiB of licenses fit in one StoreLicenses call; split it "
                          "into several calls"));
          return NULL;
        }
      license = license_from_args (key_id, blob, attributes, &local_error);
      if (license == NULL)
        {
          g_autofree char *quoted = lb_key_id_quote (key_id);

          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS,
                       _ ("License %zu (“%s”): %s. Nothing was stored"), i, quoted,
                       local_error->message);
          return NULL;
        }
      g_ptr_array_add (licenses, license);
    }
  if (!lb_store_put (store, caller->id, (LbRecord *const *) licenses->pdata, licenses->len, error))
    return NULL;
  return g_variant_new ("()");
}

static GVariant *
license_reply (LbStore *store, const char *app, const char *key_id, GError **error)
{
  g_autoptr (LbRecord) license = NULL;
  gsize len;
  gconstpointer data;

  if (!lb_key_id_validate (key_id, error))
    return NULL;
  license = lb_store_get (store, app, key_id, error);
  if (license == NULL)
    return NULL;
  data = g_bytes_get_data (license->blob, &len);
  return g_variant_new ("(@ay@a{sv})",
                        g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, data, len, 1),
                        lb_attributes_to_variant (&license->attrs));
}

static GVariant *
call_get_license (LbStore *store, const LbAppInfo *caller, GVariant *params, GError **error)
{
  const char *key_id;

  g_variant_get (params, "(&s)", &key_id);
  return license_reply (store, caller->id, key_id, error);
}

static GVariant *
call_get_app_license (LbStore *store, const LbAppInfo *caller, GVariant *params, GError **error)
{
  const char *app, *key_id;

  g_variant_get (params, "(&s&s)", &app, &key_id);
  if (!lb_callers_require_host (caller, _ ("read other apps' licenses"), error)
      || !lb_app_id_validate (app, error))
    return NULL;
  return license_reply (store, app, key_id, error);
}

static void
set_bad_cursor (GError **error)
{
  g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS,
               _ ("The “cursor” option is not one that ListLicenses returned for these options; "
                  "pass \"\" to start from the first page"));
}

/* A cursor is the last (app, key id) of the previous page: "APP/KEY" when
 * listing every app (an app id never holds '/'), "KEY" within one app. */
static gboolean
parse_cursor (const char *cursor, gboolean all_apps, char **app, char **key, GError **error)
{
  const char *slash = strchr (cursor, '/');

  if (cursor[0] == '\0')
    {
      *app = g_strdup ("");
      *key = g_strdup ("");
      return TRUE;
    }
  if (!all_apps)
    {
      if (!lb_key_id_validate (cursor, NULL))
        {
          set_bad_cursor (error);
          return FALSE;
        }
      *app = g_strdup ("");
      *key = g_strdup (cursor);
      return TRUE;
    }
  if (slash == NULL)
    {
      set_bad_cursor (error);
      return FALSE;
    }
  *app = g_strndup (cursor, (gsize) (slash - cursor));
  *key = g_strdup (slash + 1);
  if (!lb_app_id_validate (*app, NULL) || !lb_key_id_validate (*key, NULL))
    {
      g_clear_pointer (app, g_free);
      g_clear_pointer (key, g_free);
      set_bad_cursor (error);
      return FALSE;
    }
  return TRUE;
}

static GVariant *
call_list_licenses (LbStore *store, const LbAppInfo *caller, GVariant *params, GError **error)
{
  g_autoptr (GVariant) options = g_variant_get_child_value (params, 0);
  g_autoptr (GVariant) limit_v = NULL;
  g_autoptr (GVariant) cursor_v = NULL;
  g_autoptr (GVariant) app_v = NULL;
  g_autoptr (GPtrArray) page = NULL;
  g_autofree char *after_app = NULL;
  g_autofree char *after_key = NULL;
  g_autofree char *next_app = NULL;
  g_autofree char *next_key = NULL;
  g_autofree char *next_cursor = NULL;
  const LbOptionSpec specs[] = {
    { "limit", "u", &limit_v },
    { "cursor", "s", &cursor_v },
    { "app", "s", &app_v },
    { NULL },
  };
  guint32 limit = LIST_LIMIT_DEFAULT;
  const char *app = NULL; /* NULL: every app */
  GVariantBuilder b;

  if (!lb_options_parse (options, specs, error))
    return NULL;
  if (limit_v != NULL)
    limit = g_variant_get_uint32 (limit_v);
  if (limit < 1 || limit > LIST_LIMIT_MAX)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS,
                   _ ("The “limit” option must be between 1 and %d; it is %u"), LIST_LIMIT_MAX,
                   limit);
      return NULL;
    }
  if (app_v != NULL)
    {
      app = g_variant_get_string (app_v, NULL);
      if (!lb_app_id_validate (app, error))
        return NULL;
      /* An app may name itself; only the user's tools may name others. */
      if (!g_str_equal (app, caller->id)
          && !lb_callers_require_host (caller, _ ("list other apps' licenses"), error))
        return NULL;
    }
  else if (!lb_app_info_is_host (caller))
    app = caller->id;
  if (!parse_cursor (cursor_v != NULL ? g_variant_get_string (cursor_v, NULL) : "", app == NULL,
                     &after_app, &after_key, error))
    return NULL;

  page = lb_store_list (store, app, after_app, after_key, limit, &next_app, &next_key, error);
  if (page == NULL)
    return NULL;
  g_variant_builder_init (&b, G_VARIANT_TYPE ("a(sa{sv})"));
  for (guint i = 0; i < page->len; i++)
    {
      LbRecord *l = page->pdata[i];
      g_variant_builder_add (&b, "(s@a{sv})", l->key_id, lb_attributes_to_variant (&l->attrs));
    }
  if (next_key[0] != '\0' && app == NULL)
    next_cursor = g_strconcat (next_app, "/", next_key, NULL);
  return g_variant_new ("(@a(sa{sv})s)", g_variant_builder_end (&b),
                        next_cursor != NULL ? next_cursor : next_key);
}

static GVariant *
call_delete_license (LbStore *store, const LbAppInfo *caller, GVariant *params, GError **error)
{
  const char *key_id;

  g_variant_get (params, "(&s)", &key_id);
  if (!lb_key_id_validate (key_id, error) || !lb_store_delete (store, caller->id, key_id, error))
    return NULL;
  return g_variant_new ("()");
}

static GVariant *
call_delete_app_license (LbStore *store, const LbAppInfo *caller, GVariant *params, GError **error)
{
  const char *app, *key_id;

  g_variant_get (params, "(&s&s)", &app, &key_id);
  if (!lb_callers_require_host (caller, _ ("delete other apps' licenses"), error)
      || !lb_app_id_validate (app, error) || !lb_key_id_validate (key_id, error)
      || !lb_store_delete (store, app, key_id, error))
    return NULL;
  return g_variant_new ("()");
}

static GVariant *
call_list_apps (LbStore *store, const LbAppInfo *caller, GVariant *params, GError **error)
{
  g_autoptr (GPtrArray) apps = NULL;
  GVariantBuilder b;

  if (!lb_callers_require_host (caller, _ ("list the apps that hold licenses"), error))
    return NULL;
  apps = lb_store_list_apps (store, error);
  if (apps == NULL)
    return NULL;
  g_variant_builder_init (&b, G_VARIANT_TYPE ("a(sa{sv})"));
  for (guint i = 0; i < apps->len; i++)
    {
      LbStoreApp *a = apps->pdata[i];

      GVariantBuilder details;

      g_variant_builder_init (&details, G_VARIANT_TYPE_VARDICT);
      g_variant_builder_add (&details, "{sv}", "licenses",
                             g_variant_new_uint32 ((guint32) MIN (a->licenses, G_MAXUINT32)));
      g_variant_builder_add (&details, "{sv}", "bytes", g_variant_new_uint64 (a->bytes));
      g_variant_builder_add (&b, "(s@a{sv})", a->app, g_variant_builder_end (&details));
    }
  return g_variant_new ("(@a(sa{sv}))", g_variant_builder_end (&b));
}

static GVariant *
call_clean_license_store (LbStore *store, const LbAppInfo *caller, GVariant *params, GError **error)
{
  guint32 flags;
  guint removed = 0;

  g_variant_get (params, "(u)", &flags);
  if (flags & ~LB_CLEAN_FLAGS_EXPIRED)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS,
                   _ ("Unknown flags 0x%x; the only flag is 0x1 (remove expired licenses)"),
                   flags & ~LB_CLEAN_FLAGS_EXPIRED);
      return NULL;
    }
  /* The user's tools clean every app's; an app only its own. */
  if ((flags & LB_CLEAN_FLAGS_EXPIRED)
      && !lb_store_clean_expired (store, lb_app_info_is_host (caller) ? NULL : caller->id,
                                  g_get_real_time () / G_USEC_PER_SEC, &removed, error))
    return NULL;
  return g_variant_new ("(u)", removed);
}

/* The handle-* signals differ in their arguments; the bodies read them from
 * the invocation instead, and are connected swapped. */
#define STORE_HANDLER(name, func)                                           \
  static gboolean name (LbService *self, GDBusMethodInvocation *invocation) \
  {                                                                         \
    return dispatch (self, invocation, func);                               \
  }

STORE_HANDLER (handle_store_license, call_store_license)
STORE_HANDLER (handle_store_licenses, call_store_licenses)
STORE_HANDLER (handle_get_license, call_get_license)
STORE_HANDLER (handle_list_licenses, call_list_licenses)
STORE_HANDLER (handle_delete_license, call_delete_license)
STORE_HANDLER (handle_clean_license_store, call_clean_license_store)
STORE_HANDLER (handle_get_app_license, call_get_app_license)
STORE_HANDLER (handle_delete_app_license, call_delete_app_license)
STORE_HANDLER (handle_list_apps, call_list_apps)

LbService *
lb_service_new (const char *data_dir, const char *machine_app_id, LbIdle *idle, GError **error)
{
  g_autoptr (LbService) self = g_object_new (LB_TYPE_SERVICE, NULL);

  self->idle = g_object_ref (idle);
  self->store = lb_store_open (data_dir, machine_app_id, error);
  if (self->store == NULL)
    return NULL;
  self->manager = lb_manager_new (self->store, idle, error);
  if (self->manager == NULL)
    return NULL;

  self->store_iface = lb_dbus_store_skeleton_new ();
  lb_dbus_store_set_license_count (self->store_iface, lb_store_count (self->store));
  g_signal_connect_object (self->store_iface, "handle-store-license",
                           G_CALLBACK (handle_store_license), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->store_iface, "handle-store-licenses",
                           G_CALLBACK (handle_store_licenses), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->store_iface, "handle-get-license", G_CALLBACK (handle_get_license),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->store_iface, "handle-list-licenses",
                           G_CALLBACK (handle_list_licenses), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->store_iface, "handle-delete-license",
                           G_CALLBACK (handle_delete_license), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->store_iface, "handle-clean-license-store",
                           G_CALLBACK (handle_clean_license_store), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->store_iface, "handle-get-app-license",
                           G_CALLBACK (handle_get_app_license), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->store_iface, "handle-delete-app-license",
                           G_CALLBACK (handle_delete_app_license), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->store_iface, "handle-list-apps", G_CALLBACK (handle_list_apps),
                           self, G_CONNECT_SWAPPED);
  /* Restores add licenses outside the Store interface. */
  g_signal_connect_object (self->manager, "store-changed",
                           G_CALLBACK (lb_dbus_store_set_license_count), self->store_iface,
                           G_CONNECT_SWAPPED);
  return g_steal_pointer (&self);
}

void
lb_service_set_app_limits (LbService *self, guint64 max_licenses, guint64 max_bytes)
{
  lb_store_set_app_limits (self->store, max_licenses, max_bytes);
}

gboolean
lb_service_export (LbService *self, GDBusConnection *connection, GError **error)
{
  g_clear_object (&self->callers);
  self->callers = lb_callers_new (connection);
  lb_manager_set_callers (self->manager, self->callers);
  if (!g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (self->manager), connection,
                                         LB_OBJECT_PATH, error))
    return FALSE;
  lb_status_tracker_attach (lb_manager_get_status_tracker (self->manager), connection,
                            LB_OBJECT_PATH, LB_BUS_NAME, self->idle);
  return g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (self->store_iface),
                                           connection, LB_OBJECT_PATH, error);
}

static gboolean
on_grace_over (gpointer user_data)
{
  gboolean *over = user_data;

  *over = TRUE;
  return G_SOURCE_REMOVE;
}

void
lb_service_shutdown (LbService *self, guint grace_seconds)
{
  gboolean over = FALSE;
  guint timeout;

  lb_manager_shutdown (self->manager);
  timeout = g_timeout_add_seconds (grace_seconds, on_grace_over, &over);
  while (lb_idle_get_holds (self->idle) > 0 && !over)
    g_main_context_iteration (NULL, TRUE);
  if (!over)
    g_source_remove (timeout);
  else
    g_warning ("%u calls still running after %u s; exiting anyway", lb_idle_get_holds (self->idle),
               grace_seconds);
}

void
lb_service_unexport (LbService *self)
{
  g_dbus_interface_skeleton_unexport (G_DBUS_INTERFACE_SKELETON (self->store_iface));
  lb_status_tracker_detach (lb_manager_get_status_tracker (self->manager));
  g_dbus_interface_skeleton_unexport (G_DBUS_INTERFACE_SKELETON (self->manager));
}

static void
lb_service_dispose (GObject *object)
{
  LbService *self = LB_SERVICE (object);

  g_clear_object (&self->store_iface);
  g_clear_object (&self->manager);
  g_clear_object (&self->callers);
  g_clear_object (&self->store);
  g_clear_object (&self->idle);
  G_OBJECT_CLASS (lb_service_parent_class)->dispose (object);
}

static void
lb_service_class_init (LbServiceClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = lb_service_dispose;
}

static void
lb_service_init (LbService *self)
{
}
