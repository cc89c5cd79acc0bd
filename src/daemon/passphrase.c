/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "passphrase.h"

#include <errno.h>
#include <gio/gunixfdlist.h>
#include <glib/gi18n.h>
#include <license-backup/lb-error.h>
#include <sodium.h>
#include <unistd.h>

#define SECRET_API_SUBJECT_TO_CHANGE
#include <libsecret/secret.h>

#include "import.h"

#define COLLECTION_INTERFACE "org.freedesktop.Secret.Collection"
#define LABEL_PROPERTY "org.freedesktop.Secret.Item.Label"
#define ATTRIBUTES_PROPERTY "org.freedesktop.Secret.Item.Attributes"

static const SecretSchema schema = {
  LB_PASSPHRASE_SCHEMA,
  SECRET_SCHEMA_NONE,
  {
      { "user", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
  },
};

static void
set_bad_fd (GError **error)
{
  g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS,
               _ ("The passphrase must come in a memfd sealed against writing, shrinking and "
                  "growing, holding 1 to %u bytes of UTF-8"),
               LB_PASSPHRASE_MAX);
}

LbAgePassphrase *
lb_passphrase_read_fd (int fd, GError **error)
{
  char buf[LB_PASSPHRASE_MAX];
  guint64 size = 0;
  gsize got = 0;
  LbAgePassphrase *p = NULL;

  if (lb_sealed_fd_check (fd, &size) != LB_SEALED_FD_OK || size == 0 || size > sizeof buf)
    {
      set_bad_fd (error);
      return NULL;
    }
  while (got < size)
    {
      ssize_t n = pread (fd, buf + got, (gsize) size - got, (off_t) got);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      got += (gsize) n;
    }
  if (got == size && g_utf8_validate_len (buf, got, NULL))
    p = lb_age_passphrase_new (buf, got);
  else
    set_bad_fd (error);
  sodium_memzero (buf, sizeof buf);
  return p;
}

LbAgePassphrase *
lb_passphrase_from_handle (GUnixFDList *fds, GVariant *handle, GError **error)
{
  gint32 index = g_variant_get_handle (handle);
  LbAgePassphrase *p;
  int fd;

  if (fds == NULL || index < 0 || index >= g_unix_fd_list_get_length (fds))
    {
      set_bad_fd (error);
      return NULL;
    }
  fd = g_unix_fd_list_get (fds, index, NULL);
  if (fd < 0)
    {
      set_bad_fd (error);
      return NULL;
    }
  p = lb_passphrase_read_fd (fd, error);
  close (fd);
  return p;
}

/* The keyring */

static void
set_unavailable (GError **error, const GError *why)
{
  /* The reason is the Secret Service's, for the log: the user's answer is
   * the same whatever it is. */
  if (why != NULL)
    g_debug ("the keyring is unavailable: %s", why->message);
  g_set_error_literal (error, LB_ERROR, LB_ERROR_KEYRING_UNAVAILABLE,
                       _ ("The keyring is locked or missing: unlock it (log in to your desktop) "
                          "and try again"));
}

static GHashTable *
attributes_new (void)
{
  return secret_attributes_build (&schema, "user", g_get_user_name (), NULL);
}

/* A service of our own (not libsecret's shared one, which would outlive a
 * keyring daemon that restarted), with an encrypted session open. */
static SecretService *
open_service (GCancellable *cancellable, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autoptr (SecretService) service = NULL;
  const char *algorithms;

  service = secret_service_open_sync (SECRET_TYPE_SERVICE, NULL, SECRET_SERVICE_OPEN_SESSION,
                                      cancellable, &local_error);
  if (service == NULL)
    {
      set_unavailable (error, local_error);
      return NULL;
    }
  algorithms = secret_service_get_session_algorithms (service);
  if (algorithms == NULL || g_str_equal (algorithms, "plain"))
    {
      /* The passphrase would cross the bus as it is. */
      g_warning ("The Secret Service offers no encrypted session: the passphrase is not "
                 "moved through it");
      set_unavailable (error, NULL);
      return NULL;
    }
  return g_steal_pointer (&service);
}

/* The default collection's path when it exists and is unlocked; else
 * KEYRING_UNAVAILABLE (unlocking it would prompt). */
static char *
default_collection (SecretService *service, GCancellable *cancellable, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autofree char *path = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GVariant) locked = NULL;

  path = secret_service_read_alias_dbus_path_sync (service, "default", cancellable, &local_error);
  if (path == NULL)
    {
      set_unavailable (error, local_error);
      return NULL;
    }
  /* Asked each time: a proxy's cached property may lag behind a Lock. */
  reply = g_dbus_connection_call_sync (
      g_dbus_proxy_get_connection (G_DBUS_PROXY (service)),
      g_dbus_proxy_get_name (G_DBUS_PROXY (service)), path, "org.freedesktop.DBus.Properties",
      "Get", g_variant_new ("(ss)", COLLECTION_INTERFACE, "Locked"), G_VARIANT_TYPE ("(v)"),
      G_DBUS_CALL_FLAGS_NO_AUTO_START, -1, cancellable, &local_error);
  if (reply == NULL)
    {
      set_unavailable (error, local_error);
      return NULL;
    }
  g_variant_get (reply, "(v)", &locked);
  if (!g_variant_is_of_type (locked, G_VARIANT_TYPE_BOOLEAN) || g_variant_get_boolean (locked))
    {
      set_unavailable (error, NULL);
      return NULL;
    }
  return g_steal_pointer (&path);
}

static gboolean
search (SecretService *service,
        GStrv *unlocked,
        GStrv *locked,
        GCancellable *cancellable,
        GError **error)
{
  g_autoptr (GHashTable) attributes = attributes_new ();
  g_autoptr (GError) local_error = NULL;

  if (secret_service_search_for_dbus_paths_sync (service, &schema, attributes, cancellable,
                                                 unlocked, locked, &local_error))
    return TRUE;
  set_unavailable (error, local_error);
  return FALSE;
}

LbAgePassphrase *
lb_keyring_lookup (GCancellable *cancellable, GError **error)
{
  g_autoptr (SecretService) service = open_service (cancellable, error);
  g_auto (GStrv) unlocked = NULL;
  g_auto (GStrv) locked = NULL;
  g_autoptr (GError) local_error = NULL;
  g_autofree char *collection = NULL;

  if (service == NULL || !search (service, &unlocked, &locked, cancellable, error))
    return NULL;
  if (unlocked != NULL && unlocked[0] != NULL)
    {
      SecretValue *value = secret_service_get_secret_for_dbus_path_sync (service, unlocked[0],
                                                                         cancellable, &local_error);
      LbAgePassphrase *p = NULL;
      const char *bytes;
      gsize len = 0;

      if (value == NULL)
        {
          set_unavailable (error, local_error);
          return NULL;
        }
      bytes = secret_value_get (value, &len);
      if (len > 0)
        p = lb_age_passphrase_new (bytes, len);
      secret_value_unref (value);
      if (p != NULL)
        return p;
    }
  else if (locked != NULL && locked[0] != NULL)
    {
      set_unavailable (error, NULL);
      return NULL;
    }
  /* Nothing found: in a locked keyring, it may be there all the same. */
  collection = default_collection (service, cancellable, error);
  if (collection == NULL)
    return NULL;
  g_set_error_literal (error, LB_ERROR, LB_ERROR_PASSPHRASE_REQUIRED,
                       _ ("Encrypted backups are on, but the keyring holds no passphrase for them: "
                          "set the passphrase again"));
  return NULL;
}

/* Deletes the unlocked items of @paths but @keep. */
static gboolean
delete_items (SecretService *service,
              GStrv paths,
              const char *keep,
              GCancellable *cancellable,
              GError **error)
{
  for (guint i = 0; paths != NULL && paths[i] != NULL; i++)
    {
      g_autoptr (GError) local_error = NULL;

      if (keep != NULL && g_str_equal (paths[i], keep))
        continue;
      if (!secret_service_delete_item_dbus_path_sync (service, paths[i], cancellable, &local_error))
        {
          set_unavailable (error, local_error);
          return FALSE;
        }
    }
  return TRUE;
}

gboolean
lb_keyring_store (LbAgePassphrase *passphrase, GCancellable *cancellable, GError **error)
{
  g_autoptr (SecretService) service = open_service (cancellable, error);
  g_autofree char *collection = NULL;
  g_autofree char *item = NULL;
  g_autoptr (GHashTable) properties = NULL;
  g_autoptr (GHashTable) attributes = NULL;
  g_autoptr (GError) local_error = NULL;
  g_auto (GStrv) unlocked = NULL;
  g_auto (GStrv) locked = NULL;
  GVariantBuilder b;
  GHashTableIter iter;
  gpointer key, value;
  SecretValue *secret;
  const guint8 *bytes;
  gsize len;

  if (service == NULL)
    return FALSE;
  collection = default_collection (service, cancellable, error);
  if (collection == NULL || !search (service, &unlocked, &locked, cancellable, error))
    return FALSE;
  /* An older passphrase in a locked collection would stay: one per user. */
  if (locked != NULL && locked[0] != NULL)
    {
      set_unavailable (error, NULL);
      return FALSE;
    }
  attributes = attributes_new ();
  g_variant_builder_init (&b, G_VARIANT_TYPE ("a{ss}"));
  g_variant_builder_add (&b, "{ss}", "xdg:schema", LB_PASSPHRASE_SCHEMA);
  g_hash_table_iter_init (&iter, attributes);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_variant_builder_add (&b, "{ss}", (const char *) key, (const char *) value);
  properties
      = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) g_variant_unref);
  g_hash_table_insert (
      properties, LABEL_PROPERTY,
      g_variant_ref_sink (g_variant_new_string (_ ("Media licenses backup passphrase"))));
  g_hash_table_insert (properties, ATTRIBUTES_PROPERTY,
                       g_variant_ref_sink (g_variant_builder_end (&b)));
  bytes = lb_age_passphrase_get_bytes (passphrase, &len);
  /* libsecret keeps a value in its own non-pageable memory and wipes it. */
  secret = secret_value_new ((const char *) bytes, (gssize) len, "text/plain");
  item = secret_service_create_item_dbus_path_sync (service, collection, properties, secret,
                                                    SECRET_ITEM_CREATE_REPLACE, cancellable,
                                                    &local_error);
  secret_value_unref (secret);
  if (item == NULL)
    {
      set_unavailable (error, local_error);
      return FALSE;
    }
  /* One item per user: an older one in another collection goes. */
  return delete_items (service, unlocked, item, cancellable, error);
}

gboolean
lb_keyring_forget (GCancellable *cancellable, GError **error)
{
  g_autoptr (SecretService) service = open_service (cancellable, error);
  g_auto (GStrv) unlocked = NULL;
  g_auto (GStrv) locked = NULL;

  if (service == NULL || !search (service, &unlocked, &locked, cancellable, error))
    return FALSE;
  if (locked != NULL && locked[0] != NULL)
    {
      set_unavailable (error, NULL);
      return FALSE;
    }
  return delete_items (service, unlocked, NULL, cancellable, error);
}
