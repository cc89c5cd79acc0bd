/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lb-client-private: what the files of LbClient share. lb-client.c holds
 * the object (creation, properties, lifecycle); lb-client-call.c the
 * plain calls and error mapping; lb-client-import.c the import payload;
 * lb-client-store.c the store's calls; lb-client-settings.c the status,
 * folders and automatic backups; lb-client-operation.c following a
 * backup or restore; lb-client-watch.c every operation and the
 * subscription; lb-client-sync.c the _sync forms, each its _async run to
 * its end. Names are lb_ but outside the exported lb_client_* (see
 * liblicense-backup.map). */
#pragma once

#include "lb-private.h"

#include "lb-dbus-generated.h"

G_BEGIN_DECLS

#define LB_BUS_NAME "org.freedesktop.LicenseBackup1"
#define LB_OBJECT_PATH "/org/freedesktop/LicenseBackup1"
/* A call may wait for the service to start and to finish a large write. */
#define LB_CALL_TIMEOUT_MS (5 * 60 * 1000)

struct _LbClient
{
  GObject parent_instance;

  GDBusConnection *connection;
  LbDBusManager *manager;
  LbDBusStore *store;
  /* Where the proxies' signals and notifications come. */
  GMainContext *context;

  /* Every operation, whoever started it (lb-client-watch.c) */
  guint64 watch_op;
  LbOperationResult *watch_result; /* its details so far, or NULL */
  gboolean subscribed;             /* renewed with each instance of the service */
  char *subscribed_owner;          /* the instance that has the subscription */
};

/* lb-client-call.c: errors, properties read back, plain calls */
void lb_strip_remote (GError *error);
gboolean lb_fail (GError **error, GError *remote);
void lb_task_return_remote_error (GTask *task, GError *error);
GError *lb_completed_error (guint status, const char *message, GVariant *summary);

/* Returns the task's result and drops the reference it was given. */
typedef void (*LbReturnFunc) (GTask *task);
void lb_refresh_async (GTask *task, gpointer proxy, const char *name, LbReturnFunc ret);
void lb_return_true (GTask *task);
/* A GAsyncReadyCallback for a call, on a proxy or the connection, whose
 * reply carries nothing: returns TRUE or the service's error in the task
 * (@user_data, whose reference it takes). */
void lb_on_empty_reply (GObject *source, GAsyncResult *result, gpointer user_data);
/* The _finish of a task that returns a boolean, started with @source_tag. */
gboolean
lb_task_finish_boolean (LbClient *self, GAsyncResult *result, gpointer source_tag, GError **error);

typedef gpointer (*LbReplyFunc) (GVariant *reply, const char *key_id);
typedef struct _LbCall LbCall;
LbCall *lb_call_async (LbClient *self,
                       gpointer proxy,
                       const char *method,
                       GVariant *params,
                       LbReplyFunc convert,
                       GDestroyNotify free_result,
                       const char *key_id,
                       gpointer source_tag,
                       GCancellable *cancellable,
                       GAsyncReadyCallback callback,
                       gpointer user_data);
void lb_call_set_refresh (LbCall *call, const char *property);
gpointer lb_call_finish (LbClient *self, GAsyncResult *result, gpointer source_tag, GError **error);
GVariant *lb_call_sync (gpointer proxy,
                        const char *method,
                        GVariant *params,
                        GCancellable *cancellable,
                        GError **error);

/* lb-client-store.c: ListApps' and ListBackups' items as objects */
typedef gpointer (*LbFromDetailsFunc) (const char *name, GVariant *details);
GPtrArray *lb_objects_from_reply (GVariant *reply, LbFromDetailsFunc from_details);

/* lb-client-import.c: StoreLicenses batches, or the StoreLicensesFromFd
 * payload (docs/import-format.md) */
GPtrArray *lb_import_batches (GPtrArray *licenses);
gboolean lb_import_needs_fd (GPtrArray *licenses);
int lb_import_payload_memfd (GPtrArray *licenses, GError **error);
GVariant *lb_import_params (void);

/* lb-client-encryption.c: @passphrase in a sealed memfd, as the service
 * takes it ("passphrase" options, CheckPassphrase), or -1 with @error set. */
int lb_passphrase_memfd (GBytes *passphrase, GError **error);

/* lb-client-operation.c: restore and verify with an optional passphrase */
void lb_follow_operation_async (LbClient *self,
                                LbOperationType kind,
                                guint32 flags,
                                const char *location,
                                const char *generation,
                                GBytes *passphrase,
                                gpointer source_tag,
                                GCancellable *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer user_data);

/* lb-client-watch.c */
void lb_watch_start (LbClient *self);
void lb_watch_stop (LbClient *self);

G_END_DECLS
