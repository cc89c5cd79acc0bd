/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "location.h"

#include <glib/gi18n.h>
#include <string.h>

#include "fault.h"
#include "error-convert.h"

gboolean
lb_location_validate (const char *location, gboolean allow_empty, GError **error)
{
  const char *scheme;

  if (location[0] == '\0')
    {
      if (allow_empty)
        return TRUE;
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS,
                   _ ("The location is empty; give a folder as an absolute path or a URI"));
      return FALSE;
    }
  if (strlen (location) >= LB_LOCATION_MAX)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS,
                   _ ("The location is longer than %d bytes; choose a shorter path"),
                   LB_LOCATION_MAX - 1);
      return FALSE;
    }
  if (location[0] == '/')
    return TRUE;
  scheme = g_uri_peek_scheme (location);
  if (scheme != NULL && g_uri_is_valid (location, G_URI_FLAGS_NONE, NULL))
    return TRUE;
  g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS,
               _ ("“%s” is neither an absolute path nor a URI; give a folder such as "
                  "/media/usb/licenses or sftp://host/licenses"),
               location);
  return FALSE;
}

GFile *
lb_location_to_file (const char *location)
{
  if (location[0] == '/')
    return g_file_new_for_path (location);
  return g_file_new_for_uri (location);
}

/* How long mounting and unmounting may take: a server that accepts the
 * connection and then never answers must not hold the operation. */
#define CONNECT_TIMEOUT_S 30
#define DISCONNECT_TIMEOUT_S 10
/* How long the worker waits for CONNECTING or DISCONNECTING to be
 * published (the manager samples every 125 ms). */
#define STATUS_WAIT_MS 1000
/* How long a cancelled operation may wait for a mount it made before
 * that mount is forced off: GVfs streams wait for the server's answer
 * even when cancelled, and a server that stopped answering never gives
 * one. */
#define FORCE_UNMOUNT_AFTER_S 2
/* How long cleaning up after a failure may take. */
#define CLEANUP_TIMEOUT_S 5

typedef struct
{
  GMainContext *context;
  GCancellable *cancellable; /* cancelled by the caller's or by the timeout */
  gboolean done;
  gboolean ok;
  gboolean timed_out;
  gboolean asked;           /* the mount wanted an answer from someone */
  gboolean anonymous_tried; /* the one anonymous login was offered */
  GError *error;
} SyncCall;

/* Ends @call with what its finish function returned. */
static void
sync_call_end (SyncCall *call, gboolean ok)
{
  call->ok = ok;
  call->done = TRUE;
  g_main_context_wakeup (call->context);
}

static void
on_mounted (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SyncCall *call = user_data;

  sync_call_end (call,
                 g_file_mount_enclosing_volume_finish (G_FILE (source), result, &call->error));
}

static void
on_unmounted (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SyncCall *call = user_data;

  sync_call_end (call,
                 g_mount_unmount_with_operation_finish (G_MOUNT (source), result, &call->error));
}

static gboolean
on_timeout (gpointer user_data)
{
  SyncCall *call = user_data;

  call->timed_out = TRUE;
  g_cancellable_cancel (call->cancellable);
  return G_SOURCE_REMOVE;
}

static void
on_cancelled (GCancellable *cancellable, gpointer user_data)
{
  g_cancellable_cancel (G_CANCELLABLE (user_data));
}

/* The service runs without a user to ask: a host key to accept, or which
 * programs to close is answered "aborted" at once, so that the mount fails
 * instead of waiting for an answer forever. */
static void
on_ask (GMountOperation *op, gpointer user_data)
{
  ((SyncCall *) user_data)->asked = TRUE;
  g_mount_operation_reply (op, G_MOUNT_OPERATION_ABORTED);
}

/* A question: whether to trust a server's host key or certificate. The
 * choice is set to none of the choices before "aborted": GVfs's WebDAV
 * backend takes an aborted certificate question's choice, 0 ("Yes"), as
 * the answer, and would trust any certificate. */
static void
on_ask_question (GMountOperation *op, const char *message, GStrv choices, gpointer user_data)
{
  g_mount_operation_set_choice (op, choices != NULL ? (int) g_strv_length (choices) : 1);
  on_ask (op, user_data);
}

/* A password question. Where the server takes guests (GVfs says so with
 * G_ASK_PASSWORD_ANONYMOUS_SUPPORTED, as for an SMB share), the answer is
 * "anonymous", as Files gives it when the user picks Anonymous; once only:
 * GVfs asks again when the share refuses guests. Passwords the user let
 * Files remember are looked up in the keyring by GVfs before it asks. */
static void
on_ask_password (GMountOperation *op,
                 const char *message,
                 const char *default_user,
                 const char *default_domain,
                 GAskPasswordFlags flags,
                 gpointer user_data)
{
  SyncCall *call = user_data;

  if ((flags & G_ASK_PASSWORD_ANONYMOUS_SUPPORTED) != 0 && !call->anonymous_tried)
    {
      call->anonymous_tried = TRUE;
      g_mount_operation_set_anonymous (op, TRUE);
      g_mount_operation_reply (op, G_MOUNT_OPERATION_HANDLED);
      return;
    }
  on_ask (op, user_data);
}

typedef void (*StartFunc) (gpointer object, GMountOperation *op, SyncCall *call);

/* Runs one asynchronous mount call to its end on a context of its own,
 * bounded by @timeout_s and @cancellable. */
static gboolean
run_sync (gpointer object,
          StartFunc start,
          guint timeout_s,
          GCancellable *cancellable,
          gboolean *timed_out,
          gboolean *asked,
          GError **error)
{
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autoptr (GMountOperation) op = g_mount_operation_new ();
  g_autoptr (GCancellable) bounded = g_cancellable_new ();
  g_autoptr (GSource) timeout = g_timeout_source_new_seconds (timeout_s);
  SyncCall call = { context, bounded };
  gulong handler = 0;

  g_main_context_push_thread_default (context);
  g_signal_connect (op, "ask-password", G_CALLBACK (on_ask_password), &call);
  g_signal_connect (op, "ask-question", G_CALLBACK (on_ask_question), &call);
  g_signal_connect (op, "show-processes", G_CALLBACK (on_ask), &call);
  if (cancellable != NULL)
    handler = g_cancellable_connect (cancellable, G_CALLBACK (on_cancelled), g_object_ref (bounded),
                                     g_object_unref);
  g_source_set_callback (timeout, on_timeout, &call, NULL);
  g_source_attach (timeout, context);
  start (object, op, &call);
  while (!call.done)
    g_main_context_iteration (context, TRUE);
  g_source_destroy (timeout);
  g_cancellable_disconnect (cancellable, handler);
  g_main_context_pop_thread_default (context);
  *timed_out = call.timed_out;
  *asked = call.asked;
  if (!call.ok)
    g_propagate_error (error, call.error);
  return call.ok;
}

static void
start_mount (gpointer object, GMountOperation *op, SyncCall *call)
{
  g_file_mount_enclosing_volume (G_FILE (object), G_MOUNT_MOUNT_NONE, op, call->cancellable,
                                 on_mounted, call);
}

static void
start_unmount (gpointer object, GMountOperation *op, SyncCall *call)
{
  g_mount_unmount_with_operation (G_MOUNT (object), G_MOUNT_UNMOUNT_NONE, op, call->cancellable,
                                  on_unmounted, call);
}

/* The one message for a mount that would have had to ask someone, with
 * what to do for that kind of folder: an SSH key is for sftp only; for
 * SMB shares and WebDAV folders Files remembers the password in the
 * keyring, where GVfs finds it without asking. */
static void
set_cannot_log_in (GFile *dir, const char *name, GError **error)
{
  if (g_file_has_uri_scheme (dir, "sftp") || g_file_has_uri_scheme (dir, "ssh"))
    g_set_error (error, LB_ERROR, LB_ERROR_PERMISSION_DENIED,
                 _ ("Cannot log in to %s without asking for a password or to trust the "
                    "server: open the folder once in Files and let it remember the password, "
                    "or set up an SSH key; then try again"),
                 name);
  else if (g_file_has_uri_scheme (dir, "davs") || g_file_has_uri_scheme (dir, "ftps"))
    g_set_error (error, LB_ERROR, LB_ERROR_PERMISSION_DENIED,
                 _ ("Cannot log in to %s without asking for a password or whether to trust "
                    "the server's certificate: open the folder once in Files and let it "
                    "remember the password, and make sure this computer trusts the "
                    "server's certificate; then try again"),
                 name);
  else
    g_set_error (error, LB_ERROR, LB_ERROR_PERMISSION_DENIED,
                 _ ("Cannot log in to %s without asking for a password: open the folder "
                    "once in Files and let it remember the password; then try again"),
                 name);
}

static gboolean
mount_if_needed (GFile *dir, gboolean *mounted, GCancellable *cancellable, GError **error)
{
  g_autoptr (GMount) mount = NULL;
  g_autoptr (GError) local_error = NULL;
  g_autoptr (GError) first_error = NULL;
  g_autoptr (GFile) target = NULL;
  g_autofree char *name = NULL;
  gboolean timed_out = FALSE, asked = FALSE;
  gint64 deadline;

  *mounted = FALSE;
  if (g_file_is_native (dir))
    return TRUE;
  /* Without GVfs, GIO would only say "Operation not supported". */
  if (!g_file_has_uri_scheme (dir, "file"))
    {
      g_autofree char *scheme = g_file_get_uri_scheme (dir);
      const char *const *schemes = g_vfs_get_supported_uri_schemes (g_vfs_get_default ());

      /* The network locations GVfs's backends open. */
      const char *const gvfs_schemes[] = { "sftp", "ssh", "smb", "ftp",          "ftps", "dav",
                                           "davs", "afp", "nfs", "google-drive", "mtp",  NULL };

      if (scheme != NULL && !g_strv_contains (schemes, scheme))
        {
          if (g_strv_contains (gvfs_schemes, scheme))
            g_set_error (error, LB_ERROR, LB_ERROR_FAILED,
                         _ ("This computer cannot open %s:// locations: install GVfs (the "
                            "package gvfs-backends), or choose a local folder"),
                         scheme);
          else
            g_set_error (error, LB_ERROR, LB_ERROR_FAILED,
                         _ ("%s:// locations cannot hold backups; choose a local folder or a "
                            "network folder such as sftp://host/licenses"),
                         scheme);
          return FALSE;
        }
    }
  mount = g_file_find_enclosing_mount (dir, cancellable, &local_error);
  if (mount != NULL || !g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_NOT_MOUNTED))
    return TRUE; /* mounted, or not a mountable location: the next step says */
  g_clear_error (&local_error);

  /* GVfs's smb and dav backends refuse to mount at a folder that does not
   * exist yet (smb says only "failed"): then the nearest parent that
   * mounts is mounted, and the folder made in it later. What is reported
   * is the first failure, unless a parent's says more (a password wanted,
   * no answer, a cancel). */
  target = g_object_ref (dir);
  deadline = g_get_monotonic_time () + CONNECT_TIMEOUT_S * G_USEC_PER_SEC;
  for (;;)
    {
      g_autoptr (GFile) parent = NULL;
      gint64 left = deadline - g_get_monotonic_time ();

      /* All the tries together are bounded by CONNECT_TIMEOUT_S. */
      if (left <= 0)
        {
          timed_out = TRUE;
          break;
        }
      if (run_sync (target, start_mount, (guint) ((left + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC),
                    cancellable, &timed_out, &asked, &local_error))
        {
          *mounted = TRUE;
          return TRUE;
        }
      if (timed_out || asked || g_cancellable_is_cancelled (cancellable)
          || !(g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND)
               || g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_FAILED))
          || (parent = g_file_get_parent (target)) == NULL)
        break;
      if (first_error == NULL)
        first_error = g_steal_pointer (&local_error);
      g_clear_error (&local_error);
      g_set_object (&target, parent);
    }
  if (local_error == NULL) /* out of time between two tries */
    local_error = g_steal_pointer (&first_error);
  if (first_error != NULL && !timed_out && !asked && !g_cancellable_is_cancelled (cancellable)
      && !g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED))
    {
      g_clear_error (&local_error);
      local_error = g_steal_pointer (&first_error);
    }
  name = g_file_get_parse_name (dir);
  if (g_cancellable_is_cancelled (cancellable))
    g_set_error_literal (error, LB_ERROR, LB_ERROR_CANCELLED, local_error->message);
  else if (timed_out)
    g_set_error (error, LB_ERROR, LB_ERROR_FAILED,
                 _ ("Cannot connect to %s: it did not answer within %d seconds; check the "
                    "address and the network, then try again"),
                 name, CONNECT_TIMEOUT_S);
  else if (asked || g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_FAILED_HANDLED)
           || g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED))
    set_cannot_log_in (dir, name, error);
  else
    {
      g_autofree char *reason = lb_error_reason (local_error);

      g_set_error (error, LB_ERROR, LB_ERROR_FAILED, _ ("Cannot connect to %s: %s"), name, reason);
    }
  return FALSE;
}

/* For a mount the service made: forces it off FORCE_UNMOUNT_AFTER_S after
 * a cancel, from the main context, unless the operation ended first. */
typedef struct
{
  GMount *mount;
  GCancellable *cancellable;
  gulong handler;
  GMutex lock;
  GSource *timer;
} Watchdog;

static void
on_forced_off (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;

  if (!g_mount_unmount_with_operation_finish (G_MOUNT (source), result, &error))
    g_debug ("forcing the mount off failed: %s", error->message);
}

static gboolean
force_unmount (gpointer user_data)
{
  GMount *mount = user_data;

  g_debug ("the cancelled operation is still waiting for the server: forcing its mount off");
  g_mount_unmount_with_operation (mount, G_MOUNT_UNMOUNT_FORCE, NULL, NULL, on_forced_off, NULL);
  return G_SOURCE_REMOVE;
}

static void
on_op_cancelled (GCancellable *cancellable, gpointer user_data)
{
  Watchdog *w = user_data;

  g_mutex_lock (&w->lock);
  if (w->timer == NULL)
    {
      w->timer = g_timeout_source_new_seconds (FORCE_UNMOUNT_AFTER_S);
      g_source_set_callback (w->timer, force_unmount, g_object_ref (w->mount), g_object_unref);
      g_source_attach (w->timer, NULL);
    }
  g_mutex_unlock (&w->lock);
}

static void
watchdog_free (gpointer data)
{
  Watchdog *w = data;

  g_cancellable_disconnect (w->cancellable, w->handler);
  if (w->timer != NULL)
    {
      g_source_destroy (w->timer);
      g_source_unref (w->timer);
    }
  g_mutex_clear (&w->lock);
  g_object_unref (w->mount);
  g_object_unref (w->cancellable);
  g_free (w);
}

static void
watch (GFile *dir, LbOperation *op)
{
  GMount *mount = g_file_find_enclosing_mount (dir, NULL, NULL);
  Watchdog *w;

  if (mount == NULL)
    return;
  w = g_new0 (Watchdog, 1);
  w->mount = mount;
  w->cancellable = g_object_ref (lb_operation_get_cancellable (op));
  g_mutex_init (&w->lock);
  g_object_set_data_full (G_OBJECT (op), "lb-location-watchdog", w, watchdog_free);
  w->handler = g_cancellable_connect (w->cancellable, G_CALLBACK (on_op_cancelled), w, NULL);
}

gboolean
lb_location_connect (GFile *dir, LbOperation *op, gboolean *mounted, GError **error)
{
  if (!g_file_is_native (dir))
    {
      lb_operation_set_status (op, LB_STATUS_CONNECTING);
      lb_operation_wait_status_published (op, LB_STATUS_CONNECTING, STATUS_WAIT_MS);
      lb_fault_stall ("connect");
    }
  if (!mount_if_needed (dir, mounted, lb_operation_get_cancellable (op), error))
    return FALSE;
  if (*mounted)
    watch (dir, op);
  lb_operation_set_status (op, LB_STATUS_BEGIN);
  return TRUE;
}

void
lb_location_disconnect (GFile *dir, LbOperation *op, gboolean mounted)
{
  g_autoptr (GMount) mount = NULL;
  g_autoptr (GError) error = NULL;
  gboolean timed_out = FALSE, asked = FALSE;

  if (!mounted)
    return;
  g_object_set_data (G_OBJECT (op), "lb-location-watchdog", NULL);
  lb_operation_set_status (op, LB_STATUS_DISCONNECTING);
  lb_operation_wait_status_published (op, LB_STATUS_DISCONNECTING, STATUS_WAIT_MS);
  {
    g_autoptr (GCancellable) bounded = lb_location_bounded_cancellable_new ();
    g_autoptr (GError) query_error = NULL;
    g_autoptr (GFileInfo) info = g_file_query_info (dir, G_FILE_ATTRIBUTE_STANDARD_TYPE,
                                                    G_FILE_QUERY_INFO_NONE, bounded, &query_error);

    /* The server went away, or the mount was forced off; a folder the
     * server answers does not exist (it could not be made) is not that. */
    if (info == NULL && !g_error_matches (query_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
      g_object_set_data (G_OBJECT (op), "lb-location-lost", GINT_TO_POINTER (TRUE));
  }
  mount = g_file_find_enclosing_mount (dir, NULL, NULL);
  if (mount == NULL)
    return;
  /* Not cancelled with the operation: what the service mounted, it
   * unmounts, within a bounded time. */
  if (!run_sync (mount, start_unmount, DISCONNECT_TIMEOUT_S, NULL, &timed_out, &asked, &error))
    g_debug ("unmounting after the operation failed: %s", error->message);
}

gboolean
lb_location_run (GFile *dir,
                 LbOperation *op,
                 LbLocationStep check,
                 LbLocationStep work,
                 gpointer data,
                 GError **error)
{
  gboolean mounted = FALSE;
  gboolean ok;

  if (!g_file_is_native (dir))
    lb_operation_checked (op);
  if (!lb_location_connect (dir, op, &mounted, error))
    return FALSE;
  ok = check (op, dir, lb_operation_get_cancellable (op), data, error);
  if (ok)
    {
      lb_operation_checked (op);
      ok = work (op, dir, lb_operation_get_cancellable (op), data, error);
    }
  lb_location_disconnect (dir, op, mounted);
  return ok;
}

/* The nearest of @dir's parents that exists and is not a folder, if any:
 * what a "Not a directory" error is about. */
static GFile *
find_file_in_path (GFile *dir, GCancellable *cancellable)
{
  g_autoptr (GFile) parent = g_file_get_parent (dir);

  while (parent != NULL)
    {
      GFileType type = g_file_query_file_type (parent, G_FILE_QUERY_INFO_NONE, cancellable);
      GFile *next;

      if (type == G_FILE_TYPE_DIRECTORY)
        return NULL;
      if (type != G_FILE_TYPE_UNKNOWN)
        return g_steal_pointer (&parent);
      next = g_file_get_parent (parent);
      g_object_unref (parent);
      parent = next;
    }
  return NULL;
}

/* Sets @error for a folder that could not be created or opened: what is
 * wrong in the user's terms, not GIO's sentence. */
static void
prepare_dir_failed (GFile *dir,
                    const char *name,
                    gboolean creating,
                    const GError *cause,
                    GCancellable *cancellable,
                    GError **error)
{
  g_autoptr (GError) converted = g_error_copy (cause);
  g_autoptr (GFile) file = NULL;
  g_autofree char *reason = NULL;

  lb_error_convert (&converted);
  if (g_error_matches (cause, G_IO_ERROR, G_IO_ERROR_NOT_DIRECTORY)
      && (file = find_file_in_path (dir, cancellable)) != NULL)
    {
      g_autofree char *file_name = g_file_get_parse_name (file);

      g_set_error (error, LB_ERROR, converted->code,
                   creating ? _ ("Cannot create the folder %s: %s is a file, not a folder; "
                                 "choose another folder")
                            : _ ("Cannot open the folder %s: %s is a file, not a folder; "
                                 "choose another folder"),
                   name, file_name);
      return;
    }
  reason = lb_error_reason (cause);
  g_set_error (error, LB_ERROR, converted->code,
               creating ? _ ("Cannot create the folder %s: %s")
                        : _ ("Cannot open the folder %s: %s"),
               name, reason);
}

gboolean
lb_location_prepare_dir (GFile *dir, gboolean create, GCancellable *cancellable, GError **error)
{
  g_autoptr (GFileInfo) info = NULL;
  g_autoptr (GError) local_error = NULL;
  g_autofree char *name = g_file_get_parse_name (dir);

  /* Where a folder on a hung NFS or FUSE mount would hold us (fault.h). */
  lb_fault_stall ("folder-check");
  info = g_file_query_info (dir, G_FILE_ATTRIBUTE_STANDARD_TYPE, G_FILE_QUERY_INFO_NONE,
                            cancellable, &local_error);
  if (info == NULL && create && g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    {
      g_clear_error (&local_error);
      if (!g_file_make_directory_with_parents (dir, cancellable, &local_error)
          && !g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_EXISTS))
        {
          prepare_dir_failed (dir, name, TRUE, local_error, cancellable, error);
          return FALSE;
        }
      g_clear_error (&local_error);
      /* Licenses are private: a new folder only for the user, whatever
       * the umask (a server may not support modes: then its default). */
      g_file_set_attribute_uint32 (dir, G_FILE_ATTRIBUTE_UNIX_MODE, 0700,
                                   G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, cancellable, NULL);
      g_debug ("created the folder %s", name);
      info = g_file_query_info (dir, G_FILE_ATTRIBUTE_STANDARD_TYPE, G_FILE_QUERY_INFO_NONE,
                                cancellable, &local_error);
    }
  if (info == NULL)
    {
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS,
                     _ ("The folder %s does not exist; choose the folder that holds the "
                        "backups"),
                     name);
      else
        prepare_dir_failed (dir, name, FALSE, local_error, cancellable, error);
      return FALSE;
    }
  if (g_file_info_get_file_type (info) != G_FILE_TYPE_DIRECTORY)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS,
                   _ ("%s is not a folder; choose the folder that holds (or will hold) the backup"),
                   name);
      return FALSE;
    }
  return TRUE;
}

gboolean
lb_location_check_backup_file (GFile *file,
                               gboolean must_exist,
                               gboolean *exists,
                               goffset *size,
                               GCancellable *cancellable,
                               GError **error)
{
  g_autoptr (GFileInfo) info = NULL;
  g_autoptr (GError) local_error = NULL;
  g_autoptr (GFile) dir = g_file_get_parent (file);
  g_autofree char *name = g_file_get_parse_name (file);
  g_autofree char *dir_name = g_file_get_parse_name (dir);

  *exists = FALSE;
  /* Following symbolic links: a link to a backup is a backup. Only the
   * type is read; nothing is opened, so a FIFO cannot block here. */
  info = g_file_query_info (file, G_FILE_ATTRIBUTE_STANDARD_TYPE "," G_FILE_ATTRIBUTE_STANDARD_SIZE,
                            G_FILE_QUERY_INFO_NONE, cancellable, &local_error);
  if (info == NULL && g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    {
      if (!must_exist)
        return TRUE;
      g_set_error (error, LB_ERROR, LB_ERROR_NOT_FOUND,
                   _ ("There is no license backup in %s; choose the folder that holds the "
                      "backups"),
                   dir_name);
      return FALSE;
    }
  if (info == NULL)
    {
      g_autofree char *reason = lb_error_reason (local_error);

      lb_error_convert (&local_error);
      g_set_error (error, LB_ERROR, local_error->code, _ ("Cannot open %s: %s"), name, reason);
      return FALSE;
    }
  switch (g_file_info_get_file_type (info))
    {
    case G_FILE_TYPE_REGULAR:
      *exists = TRUE;
      if (size != NULL)
        *size = g_file_info_get_size (info);
      return TRUE;
    case G_FILE_TYPE_DIRECTORY:
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS,
                   _ ("%s is a folder, not a license backup; rename it or choose another "
                      "folder"),
                   name);
      return FALSE;
    case G_FILE_TYPE_SYMBOLIC_LINK:
      /* Only when it leads nowhere: a loop, or a target that is gone. */
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS,
                   _ ("%s is a symbolic link that leads nowhere; remove it or choose another "
                      "folder"),
                   name);
      return FALSE;
    default:
      /* A FIFO would block the reader; a device or socket is no backup. */
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS,
                   _ ("%s is a special file, not a license backup; remove it or choose another "
                      "folder"),
                   name);
      return FALSE;
    }
}

static gboolean
cancel_cleanup (gpointer user_data)
{
  g_cancellable_cancel (G_CANCELLABLE (user_data));
  return G_SOURCE_REMOVE;
}

GCancellable *
lb_location_bounded_cancellable_new (void)
{
  GCancellable *cancellable = g_cancellable_new ();

  /* On the main context, which runs until the daemon exits. */
  g_timeout_add_seconds_full (G_PRIORITY_DEFAULT, CLEANUP_TIMEOUT_S, cancel_cleanup,
                              g_object_ref (cancellable), g_object_unref);
  return cancellable;
}

void
lb_location_explain_failure (LbOperation *op, GError *error)
{
  g_autofree char *name = NULL;
  g_autofree char *message = NULL;

  if (g_cancellable_is_cancelled (lb_operation_get_cancellable (op)))
    {
      /* Whatever the step said when the cancel reached it. */
      error->code = LB_ERROR_CANCELLED;
      return;
    }
  if (g_object_get_data (G_OBJECT (op), "lb-location-lost") == NULL)
    return;
  name = g_file_get_parse_name (lb_operation_get_location (op));
  message = g_strdup_printf (lb_operation_get_kind (op) == LB_OPERATION_BACKUP
                                 ? _ ("The connection to %s was lost (%s); the previous backup, "
                                      "if any, is unchanged")
                                 : _ ("The connection to %s was lost (%s); no license was "
                                      "restored"),
                             name, error->message);
  g_free (error->message);
  error->message = g_steal_pointer (&message);
}
