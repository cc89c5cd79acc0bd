/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Encrypted backups through LbClient: turning them on and off, changing
 * the passphrase, checking that the user still knows it. A passphrase
 * goes to the service as a sealed memfd (as StoreLicensesFromFd's
 * payload), never in a D-Bus message, where a monitor would see it. */
#include "config.h"

#include "lb-client-private.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <sys/mman.h>
#include <unistd.h>

int
lb_passphrase_memfd (GBytes *passphrase, GError **error)
{
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (passphrase, &len);
  int fd = memfd_create ("license-backup-passphrase", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  gsize done = 0;

  if (fd < 0)
    goto fail;
  while (done < len)
    {
      ssize_t n = write (fd, data + done, len - done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        goto fail;
      done += (gsize) n;
    }
  /* Sealed, so that what the service reads is what it validated. */
  if (fcntl (fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0)
    goto fail;
  return fd;

fail:
  {
    int errsv = errno;

    if (fd >= 0)
      close (fd);
    g_set_error (error, LB_ERROR, LB_ERROR_FAILED, _ ("Cannot pass the passphrase on: %s"),
                 g_strerror (errsv));
    return -1;
  }
}

static void
on_encryption_set (GObject *source, GAsyncResult *result, gpointer user_data)
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
  /* EncryptBackups reads the new value when this returns (lb-client-call.c). */
  lb_refresh_async (task, self->manager, "EncryptBackups", lb_return_true);
}

/**
 * lb_client_set_encryption_async:
 * @self: a client
 * @encrypt: whether new backups are encrypted
 * @passphrase: (nullable): the new passphrase (its UTF-8 bytes, 1 to 1024),
 *   or %NULL to keep the one the keyring keeps
 * @forget: with @encrypt %FALSE: also remove the passphrase from the keyring
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when it is set
 * @user_data: data for @callback
 *
 * See lb_client_set_encryption_sync().
 *
 * Since: 0.2
 */
void
lb_client_set_encryption_async (LbClient *self,
                                gboolean encrypt,
                                GBytes *passphrase,
                                gboolean forget,
                                GCancellable *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer user_data)
{
  g_autoptr (GUnixFDList) fds = NULL;
  GVariantBuilder options;
  GTask *task;

  g_return_if_fail (LB_IS_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, lb_client_set_encryption_async);
  g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
  if (passphrase != NULL)
    {
      GError *error = NULL;
      int fd = lb_passphrase_memfd (passphrase, &error);

      if (fd < 0)
        {
          g_variant_builder_clear (&options);
          g_task_return_error (task, error);
          g_object_unref (task);
          return;
        }
      fds = g_unix_fd_list_new_from_array (&fd, 1);
      g_variant_builder_add (&options, "{sv}", "passphrase", g_variant_new_handle (0));
    }
  if (forget)
    g_variant_builder_add (&options, "{sv}", "forget", g_variant_new_boolean (TRUE));
  g_dbus_proxy_call_with_unix_fd_list (
      G_DBUS_PROXY (self->manager), "SetEncryption",
      g_variant_new ("(b@a{sv})", encrypt, g_variant_builder_end (&options)),
      G_DBUS_CALL_FLAGS_NONE, -1, fds, cancellable, on_encryption_set, task);
}

/**
 * lb_client_set_encryption_finish:
 * @self: a client
 * @result: the result passed to the callback
 * @error: return location for a #GError
 *
 * Finishes lb_client_set_encryption_async().
 *
 * Returns: whether it was set
 *
 * Since: 0.2
 */
gboolean
lb_client_set_encryption_finish (LbClient *self, GAsyncResult *result, GError **error)
{
  return lb_task_finish_boolean (self, result, lb_client_set_encryption_async, error);
}

static void
on_passphrase_checked (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  GError *error = NULL;
  gboolean matches = FALSE;
  g_autoptr (GVariant) reply
      = g_dbus_proxy_call_with_unix_fd_list_finish (G_DBUS_PROXY (source), NULL, result, &error);

  if (reply == NULL)
    {
      lb_task_return_remote_error (task, error);
      return;
    }
  g_variant_get (reply, "(b)", &matches);
  g_task_return_boolean (task, matches);
}

/**
 * lb_client_check_passphrase_async:
 * @self: a client
 * @passphrase: the passphrase the user typed (its UTF-8 bytes)
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the answer
 * @user_data: data for @callback
 *
 * See lb_client_check_passphrase_sync().
 *
 * Since: 0.2
 */
void
lb_client_check_passphrase_async (LbClient *self,
                                  GBytes *passphrase,
                                  GCancellable *cancellable,
                                  GAsyncReadyCallback callback,
                                  gpointer user_data)
{
  g_autoptr (GUnixFDList) fds = NULL;
  GError *error = NULL;
  GTask *task;
  int fd;

  g_return_if_fail (LB_IS_CLIENT (self));
  g_return_if_fail (passphrase != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, lb_client_check_passphrase_async);
  fd = lb_passphrase_memfd (passphrase, &error);
  if (fd < 0)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  fds = g_unix_fd_list_new_from_array (&fd, 1);
  g_dbus_proxy_call_with_unix_fd_list (G_DBUS_PROXY (self->manager), "CheckPassphrase",
                                       g_variant_new ("(h)", 0), G_DBUS_CALL_FLAGS_NONE, -1, fds,
                                       cancellable, on_passphrase_checked, task);
}

/**
 * lb_client_check_passphrase_finish:
 * @self: a client
 * @result: the result passed to the callback
 * @error: return location for a #GError
 *
 * Finishes lb_client_check_passphrase_async().
 *
 * Returns: whether the passphrase is the one the keyring keeps; %FALSE
 *   with @error set when the service could not tell
 *
 * Since: 0.2
 */
gboolean
lb_client_check_passphrase_finish (LbClient *self, GAsyncResult *result, GError **error)
{
  return lb_task_finish_boolean (self, result, lb_client_check_passphrase_async, error);
}
