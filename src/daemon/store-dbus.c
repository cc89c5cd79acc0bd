/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "store-dbus.h"

#include <glib/gi18n.h>

#include <gio/gunixfdlist.h>
#include <string.h>
#include <unistd.h>

#include "error-convert.h"
#include "import.h"
#include "license.h"
#include "options.h"
#include "write-queue.h"

#define LIST_LIMIT_DEFAULT 1000
#define LIST_LIMIT_MAX 10000

struct _LbStoreDBus
{
  LbDBusStoreSkeleton parent_instance;

  LbStore *store;
  LbIdle *idle;
  LbCallers *callers;
  /* StoreLicense, DeleteLicense and DeleteAppLicense: group commit. */
  LbWriteQueue *write_queue;

  /* The sandboxed apps with a bulk call running: one at a time each, so
   * that an app cannot line up calls (each holding a worker thread, and
   * StoreLicenses' payload in memory) behind the store's write lock. */
  GMutex bulk_lock;
  GHashTable *bulk_apps; /* app id → itself */
};

static void lb_store_dbus_iface_init (LbDBusStoreIface *iface);

G_DEFINE_TYPE_WITH_CODE (LbStoreDBus,
                         lb_store_dbus,
                         LB_DBUS_TYPE_STORE_SKELETON,
                         G_IMPLEMENT_INTERFACE (LB_DBUS_TYPE_STORE, lb_store_dbus_iface_init))

/* A Store call's arguments as the generated handler unpacked them; the
 * call keeps its own copy (the handler's die with it). */
typedef struct
{
  char *app;
  char *key_id;
  GVariant *license;    /* StoreLicense: the blob */
  GVariant *attributes; /* StoreLicense */
  GVariant *licenses;   /* StoreLicenses */
  GVariant *options;    /* ListLicenses, StoreLicensesFromFd */
  GVariant *payload;    /* StoreLicensesFromFd: the handle */
  GUnixFDList *fds;     /* StoreLicensesFromFd */
  guint32 flags;        /* CleanLicenseStore */
} StoreArgs;

/* A Store method body: runs in a worker thread for an identified @caller
 * and returns the reply's parameters, or NULL with @error set. */
typedef GVariant *(*StoreCallFunc) (LbStore *store,
                                    const LbAppInfo *caller,
                                    const StoreArgs *args,
                                    GError **error);

/* A single write, checked in the worker thread and written by the write
 * queue (group commit). */
typedef struct
{
  char *app;
  char *key_id;
  LbRecord *license; /* NULL: a delete */
} StoreWrite;

/* The body of a single write: checks the call in a worker thread and
 * fills @write, or returns FALSE with @error set. */
typedef gboolean (*StoreWriteFunc) (const LbAppInfo *caller,
                                    const StoreArgs *args,
                                    StoreWrite *write,
                                    GError **error);

typedef struct
{
  GDBusMethodInvocation *invocation;
  StoreCallFunc func;
  StoreWriteFunc write_func; /* instead of @func */
  StoreWrite write;
  StoreArgs args;
  guint hold; /* lb_idle_hold() */
} StoreCall;

static void
store_call_free (StoreCall *call)
{
  g_free (call->args.app);
  g_free (call->args.key_id);
  g_clear_pointer (&call->args.license, g_variant_unref);
  g_clear_pointer (&call->args.attributes, g_variant_unref);
  g_clear_pointer (&call->args.licenses, g_variant_unref);
  g_clear_pointer (&call->args.options, g_variant_unref);
  g_clear_pointer (&call->args.payload, g_variant_unref);
  g_clear_object (&call->args.fds);
  g_free (call->write.app);
  g_free (call->write.key_id);
  g_clear_pointer (&call->write.license, lb_record_free);
  g_object_unref (call->invocation);
  g_free (call);
}

static GVariant *call_store_licenses (LbStore *store,
                                      const LbAppInfo *caller,
                                      const StoreArgs *args,
                                      GError **error);
static GVariant *call_store_licenses_from_fd (LbStore *store,
                                              const LbAppInfo *caller,
                                              const StoreArgs *args,
                                              GError **error);

/* Marks @caller's bulk call as running; LB_ERROR_BUSY when one already
 * is. The host's programs (the user's own tools) are not held to it. */
static gboolean
bulk_claim (LbStoreDBus *self, const LbAppInfo *caller, GError **error)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&self->bulk_lock);

  if (lb_app_info_is_host (caller))
    return TRUE;
  if (g_hash_table_contains (self->bulk_apps, caller->id))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_BUSY,
                   _ ("%s is already storing licenses in another call; wait for that call "
                      "to finish. Nothing was stored"),
                   caller->id);
      return FALSE;
    }
  g_hash_table_add (self->bulk_apps, g_strdup (caller->id));
  return TRUE;
}

static void
bulk_release (LbStoreDBus *self, const LbAppInfo *caller)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&self->bulk_lock);

  if (!lb_app_info_is_host (caller))
    g_hash_table_remove (self->bulk_apps, caller->id);
}

static void
store_call_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  LbStoreDBus *self = source;
  StoreCall *call = task_data;
  g_autoptr (LbAppInfo) caller = NULL;
  GError *error = NULL;
  GVariant *reply = NULL;

  /* Who is calling decides whose licenses the call sees. */
  caller = lb_callers_lookup_sync (
      self->callers, g_dbus_method_invocation_get_sender (call->invocation), NULL, &error);
  if (caller != NULL
      && (call->func == call_store_licenses || call->func == call_store_licenses_from_fd))
    {
      if (bulk_claim (self, caller, &error))
        {
          reply = call->func (self->store, caller, &call->args, &error);
          bulk_release (self, caller);
        }
    }
  else if (caller != NULL && call->write_func != NULL)
    {
      /* Checked here; written by the write queue (store_call_done). */
      if (call->write_func (caller, &call->args, &call->write, &error))
        reply = g_variant_new ("()");
    }
  else if (caller != NULL)
    reply = call->func (self->store, caller, &call->args, &error);
  if (reply == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, g_variant_ref_sink (reply), (GDestroyNotify) g_variant_unref);
}

/* Sends @call's reply (@reply, taken, or @error) and lets the daemon go
 * idle again. */
static void
store_call_reply (LbStoreDBus *self, StoreCall *call, GVariant *reply, GError *error)
{
  /* The return_* calls consume the reference GDBus gave the handler; the
   * one dispatch() took is dropped with the call. */
  /* Before the reply, so that a caller that reads LicenseCount right after
   * its call returns sees the new value. */
  if (self->store != NULL) /* not yet disposed */
    lb_dbus_store_set_license_count (LB_DBUS_STORE (self), lb_store_count (self->store));
  g_dbus_interface_skeleton_flush (G_DBUS_INTERFACE_SKELETON (self));
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
  if (self->idle != NULL)
    lb_idle_release (self->idle, call->hold);
}

/* A single write is durable: the reply goes now. @user_data is the
 * call's task. */
static void
store_write_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  LbStoreDBus *self = LB_STORE_DBUS (g_task_get_source_object (task));
  StoreCall *call = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;

  if (!lb_write_queue_finish (result, &error))
    store_call_reply (self, call, NULL, error);
  else
    store_call_reply (self, call, g_variant_ref_sink (g_variant_new ("()")), NULL);
}

static void
store_call_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  LbStoreDBus *self = LB_STORE_DBUS (source);
  StoreCall *call = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;
  GVariant *reply;

  reply = g_task_propagate_pointer (G_TASK (result), &error);
  if (reply != NULL && call->write_func != NULL)
    {
      /* Checked: now written, with the other callers' single writes. */
      g_variant_unref (reply);
      if (self->write_queue == NULL) /* disposed: the service is going away */
        return;
      if (call->write.license != NULL)
        lb_write_queue_store_async (self->write_queue, call->write.app,
                                    g_steal_pointer (&call->write.license), store_write_done,
                                    g_object_ref (result));
      else
        lb_write_queue_delete_async (self->write_queue, call->write.app, call->write.key_id,
                                     store_write_done, g_object_ref (result));
      return;
    }
  store_call_reply (self, call, reply, error);
}

static gboolean
dispatch_full (LbDBusStore *object,
               GDBusMethodInvocation *invocation,
               StoreCallFunc func,
               StoreWriteFunc write_func,
               const StoreArgs *args)
{
  LbStoreDBus *self = LB_STORE_DBUS (object);
  g_autoptr (GTask) task = g_task_new (self, NULL, store_call_done, NULL);
  StoreCall *call = g_new0 (StoreCall, 1);

  call->invocation = g_object_ref (invocation);
  call->func = func;
  call->write_func = write_func;
  call->args.app = g_strdup (args->app);
  call->args.key_id = g_strdup (args->key_id);
  call->args.license = args->license != NULL ? g_variant_ref (args->license) : NULL;
  call->args.attributes = args->attributes != NULL ? g_variant_ref (args->attributes) : NULL;
  call->args.licenses = args->licenses != NULL ? g_variant_ref (args->licenses) : NULL;
  call->args.options = args->options != NULL ? g_variant_ref (args->options) : NULL;
  call->args.payload = args->payload != NULL ? g_variant_ref (args->payload) : NULL;
  call->args.fds = args->fds != NULL ? g_object_ref (args->fds) : NULL;
  call->args.flags = args->flags;
  g_task_set_task_data (task, call, (GDestroyNotify) store_call_free);
  g_task_set_source_tag (task, dispatch_full);
  call->hold = lb_idle_hold (self->idle, "%s from %s",
                             g_dbus_method_invocation_get_method_name (invocation),
                             g_dbus_method_invocation_get_sender (invocation));
  g_task_run_in_thread (task, store_call_thread);
  return G_DBUS_METHOD_INVOCATION_HANDLED;
}

static gboolean
dispatch (LbDBusStore *object,
          GDBusMethodInvocation *invocation,
          StoreCallFunc func,
          const StoreArgs *args)
{
  return dispatch_full (object, invocation, func, NULL, args);
}

/* A single write: checked in a worker thread, then group-committed. */
static gboolean
dispatch_write (LbDBusStore *object,
                GDBusMethodInvocation *invocation,
                StoreWriteFunc write_func,
                const StoreArgs *args)
{
  return dispatch_full (object, invocation, NULL, write_func, args);
}

static gboolean
write_store_license (const LbAppInfo *caller,
                     const StoreArgs *args,
                     StoreWrite *write,
                     GError **error)
{
  write->license = lb_record_from_args (args->key_id, args->license, args->attributes, error);
  if (write->license == NULL)
    return FALSE;
  write->app = g_strdup (caller->id);
  return TRUE;
}

static GVariant *
call_store_licenses (LbStore *store, const LbAppInfo *caller, const StoreArgs *args, GError **error)
{
  GVariant *array = args->licenses;
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
      license = lb_record_from_args (key_id, blob, attributes, &local_error);
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

/* An import runs in two threads: a reader reads, checks and hashes the
 * records (lb_import_parse(), lb_store_batch_prepare()) ahead of this
 * worker, which writes them (lb_store_batch_add_prepared()). They hand
 * records over in chunks of IMPORT_CHUNK licenses or IMPORT_CHUNK_BYTES
 * of blobs (one lock and wake-up a chunk, not a license), at most
 * IMPORT_CHUNKS_AHEAD chunks waiting: memory stays bounded whatever the
 * import's size. */
#define IMPORT_CHUNK 64
#define IMPORT_CHUNK_BYTES (1024 * 1024)
#define IMPORT_CHUNKS_AHEAD 4

typedef struct
{
  LbRecord *license;
  guint8 digest[LB_DIGEST_LEN];
} ImportItem;

typedef struct
{
  GMutex lock;
  GCond cond;
  GQueue chunks; /* GArray of ImportItem; guarded by lock, as the next three */
  gboolean done; /* the reader ended; error says why if it failed */
  gboolean stop; /* the writer ended: the reader stops at its next chunk */
  GError *error;
  GArray *filling; /* the reader's own */
  gsize filling_bytes;
  guint64 count;
  LbStoreBatch *batch;
  int fd;
  guint64 size;
} ImportPipe;

static void
import_item_clear (ImportItem *item)
{
  g_clear_pointer (&item->license, lb_record_free);
}

static GArray *
import_chunk_new (void)
{
  GArray *chunk = g_array_sized_new (FALSE, FALSE, sizeof (ImportItem), IMPORT_CHUNK);

  g_array_set_clear_func (chunk, (GDestroyNotify) import_item_clear);
  return chunk;
}

/* Hands the reader's chunk over; FALSE when the writer has stopped. */
static gboolean
import_hand_over (ImportPipe *pipe)
{
  gboolean stopped;

  g_mutex_lock (&pipe->lock);
  while (!pipe->stop && g_queue_get_length (&pipe->chunks) >= IMPORT_CHUNKS_AHEAD)
    g_cond_wait (&pipe->cond, &pipe->lock);
  stopped = pipe->stop;
  if (!stopped)
    {
      g_queue_push_tail (&pipe->chunks, g_steal_pointer (&pipe->filling));
      g_cond_broadcast (&pipe->cond);
    }
  g_mutex_unlock (&pipe->lock);
  g_clear_pointer (&pipe->filling, g_array_unref); /* the writer stopped: dropped */
  pipe->filling = import_chunk_new ();
  pipe->filling_bytes = 0;
  return !stopped;
}

static gboolean
import_push (LbRecord *license, gpointer user_data, GError **error)
{
  ImportPipe *pipe = user_data;
  ImportItem item;

  /* The reader owns @license: its fields move to our copy. */
  item.license = g_new (LbRecord, 1);
  *item.license = *license;
  memset (license, 0, sizeof *license);
  lb_store_batch_prepare (pipe->batch, item.license, item.digest);
  g_array_append_val (pipe->filling, item);
  pipe->filling_bytes += g_bytes_get_size (item.license->blob);
  if ((pipe->filling->len < IMPORT_CHUNK && pipe->filling_bytes < IMPORT_CHUNK_BYTES)
      || import_hand_over (pipe))
    return TRUE;
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "stopped");
  return FALSE;
}

static gpointer
import_reader (gpointer user_data)
{
  ImportPipe *pipe = user_data;
  GError *error = NULL;
  guint64 count = 0;
  gboolean ok = lb_import_parse (lb_import_read_fd, GINT_TO_POINTER (pipe->fd), pipe->size,
                                 import_push, pipe, &count, &error);

  /* What is left, unless the writer stopped. */
  if (ok && pipe->filling->len > 0)
    import_hand_over (pipe);
  g_mutex_lock (&pipe->lock);
  pipe->done = TRUE;
  pipe->count = count;
  pipe->error = error;
  g_cond_broadcast (&pipe->cond);
  g_mutex_unlock (&pipe->lock);
  return NULL;
}

/* Writes what the reader hands over until it ends; FALSE on the first
 * error, the batch's or the reader's (in the records' order). */
static gboolean
import_write (ImportPipe *pipe, guint64 *count, GError **error)
{
  for (;;)
    {
      g_autoptr (GArray) chunk = NULL;

      g_mutex_lock (&pipe->lock);
      while (g_queue_is_empty (&pipe->chunks) && !pipe->done)
        g_cond_wait (&pipe->cond, &pipe->lock);
      chunk = g_queue_pop_head (&pipe->chunks);
      g_cond_broadcast (&pipe->cond);
      g_mutex_unlock (&pipe->lock);
      if (chunk == NULL)
        {
          /* The reader ended and everything it read is written. */
          if (pipe->error != NULL)
            {
              g_propagate_error (error, g_steal_pointer (&pipe->error));
              return FALSE;
            }
          *count = pipe->count;
          return TRUE;
        }
      for (guint i = 0; i < chunk->len; i++)
        {
          ImportItem *item = &g_array_index (chunk, ImportItem, i);

          if (!lb_store_batch_add_prepared (pipe->batch, item->license, item->digest, error))
            return FALSE;
        }
    }
}

static gboolean
import_pipelined (LbStoreBatch *batch, int fd, guint64 size, guint64 *count, GError **error)
{
  ImportPipe pipe = { .batch = batch, .fd = fd, .size = size };
  GThread *reader;
  gboolean ok;

  g_mutex_init (&pipe.lock);
  g_cond_init (&pipe.cond);
  g_queue_init (&pipe.chunks);
  pipe.filling = import_chunk_new ();
  reader = g_thread_new ("lb-import-read", import_reader, &pipe);
  ok = import_write (&pipe, count, error);
  g_mutex_lock (&pipe.lock);
  pipe.stop = TRUE;
  g_cond_broadcast (&pipe.cond);
  g_mutex_unlock (&pipe.lock);
  g_thread_join (reader);
  g_queue_clear_full (&pipe.chunks, (GDestroyNotify) g_array_unref);
  g_clear_pointer (&pipe.filling, g_array_unref);
  g_clear_error (&pipe.error);
  g_mutex_clear (&pipe.lock);
  g_cond_clear (&pipe.cond);
  return ok;
}

static GVariant *
call_store_licenses_from_fd (LbStore *store,
                             const LbAppInfo *caller,
                             const StoreArgs *args,
                             GError **error)
{
  g_autoptr (LbStoreBatch) batch = NULL;
  const LbOptionSpec specs[] = { { NULL } };
  GUnixFDList *fds = args->fds;
  gint32 handle = g_variant_get_handle (args->payload);
  guint64 size = 0, count = 0;
  int fd;
  gboolean ok;

  if (!lb_options_parse (args->options, specs, error))
    return NULL;
  if (fds == NULL || handle < 0 || handle >= g_unix_fd_list_get_length (fds))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS,
                   _ ("The call carries no file descriptor for the licenses to import"));
      return NULL;
    }
  fd = g_unix_fd_list_get (fds, handle, error);
  if (fd < 0)
    return NULL;
  ok = lb_import_check_fd (fd, &size, error);
  /* One transaction, filled record by record: nothing is visible or kept
   * unless every license is valid and the app stays within its limits. */
  if (ok)
    batch = lb_store_batch_begin (store, caller->id, size, error);
  ok = ok && batch != NULL && import_pipelined (batch, fd, size, &count, error)
       && lb_store_batch_commit (batch, error);
  close (fd);
  if (!ok)
    return NULL;
  return g_variant_new ("(t)", count);
}

static GVariant *
call_get_license (LbStore *store, const LbAppInfo *caller, const StoreArgs *args, GError **error)
{
  return license_reply (store, caller->id, args->key_id, error);
}

static GVariant *
call_get_app_license (LbStore *store,
                      const LbAppInfo *caller,
                      const StoreArgs *args,
                      GError **error)
{
  if (!lb_callers_require_host (caller, _ ("read other apps' licenses"), error)
      || !lb_app_id_validate (args->app, error))
    return NULL;
  return license_reply (store, args->app, args->key_id, error);
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
call_list_licenses (LbStore *store, const LbAppInfo *caller, const StoreArgs *args, GError **error)
{
  GVariant *options = args->options;
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

static gboolean
write_delete_license (const LbAppInfo *caller,
                      const StoreArgs *args,
                      StoreWrite *write,
                      GError **error)
{
  if (!lb_key_id_validate (args->key_id, error))
    return FALSE;
  write->app = g_strdup (caller->id);
  write->key_id = g_strdup (args->key_id);
  return TRUE;
}

static gboolean
write_delete_app_license (const LbAppInfo *caller,
                          const StoreArgs *args,
                          StoreWrite *write,
                          GError **error)
{
  if (!lb_callers_require_host (caller, _ ("delete other apps' licenses"), error)
      || !lb_app_id_validate (args->app, error) || !lb_key_id_validate (args->key_id, error))
    return FALSE;
  write->app = g_strdup (args->app);
  write->key_id = g_strdup (args->key_id);
  return TRUE;
}

static GVariant *
call_list_apps (LbStore *store, const LbAppInfo *caller, const StoreArgs *args, GError **error)
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
call_clean_license_store (LbStore *store,
                          const LbAppInfo *caller,
                          const StoreArgs *args,
                          GError **error)
{
  guint32 flags = args->flags;
  guint removed = 0;

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
  /* Whatever the flags, the space of deleted and replaced licenses comes
   * back once an eighth of the blob file, or of licenses.db, is dead. What was removed stays
   * removed if that fails. */
  {
    g_autoptr (GError) reclaim_error = NULL;

    if (!lb_store_reclaim (store, TRUE, NULL, &reclaim_error))
      g_warning ("Cannot give back the license store's free space: %s", reclaim_error->message);
  }
  return g_variant_new ("(u)", removed);
}

/* The handlers pass on the arguments GDBus unpacked; the bodies run in
 * the worker thread. */
static gboolean
handle_store_license (LbDBusStore *object,
                      GDBusMethodInvocation *invocation,
                      const char *key_id,
                      GVariant *license,
                      GVariant *attributes)
{
  StoreArgs args = { .key_id = (char *) key_id, .license = license, .attributes = attributes };

  return dispatch_write (object, invocation, write_store_license, &args);
}

static gboolean
handle_store_licenses (LbDBusStore *object, GDBusMethodInvocation *invocation, GVariant *licenses)
{
  StoreArgs args = { .licenses = licenses };

  return dispatch (object, invocation, call_store_licenses, &args);
}

static gboolean
handle_store_licenses_from_fd (LbDBusStore *object,
                               GDBusMethodInvocation *invocation,
                               GUnixFDList *fd_list,
                               GVariant *payload,
                               GVariant *options)
{
  StoreArgs args = { .fds = fd_list, .payload = payload, .options = options };

  return dispatch (object, invocation, call_store_licenses_from_fd, &args);
}

static gboolean
handle_get_license (LbDBusStore *object, GDBusMethodInvocation *invocation, const char *key_id)
{
  StoreArgs args = { .key_id = (char *) key_id };

  return dispatch (object, invocation, call_get_license, &args);
}

static gboolean
handle_get_app_license (LbDBusStore *object,
                        GDBusMethodInvocation *invocation,
                        const char *app,
                        const char *key_id)
{
  StoreArgs args = { .app = (char *) app, .key_id = (char *) key_id };

  return dispatch (object, invocation, call_get_app_license, &args);
}

static gboolean
handle_list_licenses (LbDBusStore *object, GDBusMethodInvocation *invocation, GVariant *options)
{
  StoreArgs args = { .options = options };

  return dispatch (object, invocation, call_list_licenses, &args);
}

static gboolean
handle_delete_license (LbDBusStore *object, GDBusMethodInvocation *invocation, const char *key_id)
{
  StoreArgs args = { .key_id = (char *) key_id };

  return dispatch_write (object, invocation, write_delete_license, &args);
}

static gboolean
handle_delete_app_license (LbDBusStore *object,
                           GDBusMethodInvocation *invocation,
                           const char *app,
                           const char *key_id)
{
  StoreArgs args = { .app = (char *) app, .key_id = (char *) key_id };

  return dispatch_write (object, invocation, write_delete_app_license, &args);
}

static gboolean
handle_list_apps (LbDBusStore *object, GDBusMethodInvocation *invocation)
{
  StoreArgs args = { 0 };

  return dispatch (object, invocation, call_list_apps, &args);
}

static gboolean
handle_clean_license_store (LbDBusStore *object, GDBusMethodInvocation *invocation, guint flags)
{
  StoreArgs args = { .flags = flags };

  return dispatch (object, invocation, call_clean_license_store, &args);
}

static void
lb_store_dbus_iface_init (LbDBusStoreIface *iface)
{
  iface->handle_store_license = handle_store_license;
  iface->handle_store_licenses = handle_store_licenses;
  iface->handle_store_licenses_from_fd = handle_store_licenses_from_fd;
  iface->handle_get_license = handle_get_license;
  iface->handle_get_app_license = handle_get_app_license;
  iface->handle_list_licenses = handle_list_licenses;
  iface->handle_delete_license = handle_delete_license;
  iface->handle_delete_app_license = handle_delete_app_license;
  iface->handle_list_apps = handle_list_apps;
  iface->handle_clean_license_store = handle_clean_license_store;
}

LbStoreDBus *
lb_store_dbus_new (LbStore *store, LbIdle *idle)
{
  LbStoreDBus *self = g_object_new (LB_TYPE_STORE_DBUS, NULL);

  self->store = g_object_ref (store);
  self->idle = g_object_ref (idle);
  self->write_queue = lb_write_queue_new (store);
  lb_dbus_store_set_license_count (LB_DBUS_STORE (self), lb_store_count (store));
  return self;
}

void
lb_store_dbus_set_callers (LbStoreDBus *self, LbCallers *callers)
{
  g_set_object (&self->callers, callers);
}

static void
lb_store_dbus_dispose (GObject *object)
{
  LbStoreDBus *self = LB_STORE_DBUS (object);

  g_clear_object (&self->callers);
  /* Writes what is queued; their replies, if any, go nowhere. */
  g_clear_pointer (&self->write_queue, lb_write_queue_free);
  g_clear_object (&self->store);
  g_clear_object (&self->idle);
  G_OBJECT_CLASS (lb_store_dbus_parent_class)->dispose (object);
}

static void
lb_store_dbus_finalize (GObject *object)
{
  LbStoreDBus *self = LB_STORE_DBUS (object);

  g_hash_table_unref (self->bulk_apps);
  g_mutex_clear (&self->bulk_lock);
  G_OBJECT_CLASS (lb_store_dbus_parent_class)->finalize (object);
}

static void
lb_store_dbus_class_init (LbStoreDBusClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = lb_store_dbus_dispose;
  G_OBJECT_CLASS (klass)->finalize = lb_store_dbus_finalize;
}

static void
lb_store_dbus_init (LbStoreDBus *self)
{
  g_mutex_init (&self->bulk_lock);
  self->bulk_apps = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}
