#include "config.h"

#include "license.h"

#include <glib/gi18n.h>
#include <string.h>

#include "lb-error.h"

void
lb_attributes_init (LbAttributes *attrs)
{
  memset (attrs, 0, sizeof *attrs);
  attrs->can_backup = TRUE;
}

void
lb_attributes_clear (LbAttributes *attrs)
{
  g_clear_pointer (&attrs->content_id, g_free);
  g_clear_pointer (&attrs->issuer, g_free);
  g_clear_pointer (&attrs->support_url, g_free);
  g_clear_pointer (&attrs->machine, g_free);
}

void
lb_attributes_copy (LbAttributes *dest, const LbAttributes *src)
{
  *dest = *src;
  dest->content_id = g_strdup (src->content_id);
  dest->issuer = g_strdup (src->issuer);
  dest->support_url = g_strdup (src->support_url);
  dest->machine = g_strdup (src->machine);
}

gboolean
lb_key_id_validate (const char *key_id, GError **error)
{
  gsize len = strlen (key_id);

  if (len == 0 || len > LB_KEY_ID_MAX)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS,
                   _("A key id must be 1 to %d bytes long; this one has %zu"), LB_KEY_ID_MAX, len);
      return FALSE;
    }
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isprint (key_id[i]))
      {
        g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS,
                     _("A key id must be printable ASCII; byte %zu is 0x%02x"), i,
                     (guint) (guchar) key_id[i]);
        return FALSE;
      }
  return TRUE;
}

gboolean
lb_blob_validate (gsize size, GError **error)
{
  if (size == 0 || size > LB_BLOB_MAX)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS,
                   _("A license must be 1 byte to 1 MiB (%d bytes); this one has %zu bytes"),
                   LB_BLOB_MAX, size);
      return FALSE;
    }
  return TRUE;
}

typedef enum
{
  ATTR_CONTENT_ID,
  ATTR_ISSUER,
  ATTR_CAN_BACKUP,
  ATTR_RESTORE_LIMIT,
  ATTR_EXPIRES,
  ATTR_SUPPORT_URL,
  ATTR_RESTORE_COUNT,
  ATTR_STORED,
  ATTR_MACHINE,
} AttrId;

static const struct
{
  const char *name;
  const char *type;
  gboolean service_kept;
} attr_table[] = {
  [ATTR_CONTENT_ID] = { "content-id", "s", FALSE },
  [ATTR_ISSUER] = { "issuer", "s", FALSE },
  [ATTR_CAN_BACKUP] = { "can-backup", "b", FALSE },
  [ATTR_RESTORE_LIMIT] = { "restore-limit", "u", FALSE },
  [ATTR_EXPIRES] = { "expires", "x", FALSE },
  [ATTR_SUPPORT_URL] = { "support-url", "s", FALSE },
  [ATTR_RESTORE_COUNT] = { "restore-count", "u", TRUE },
  [ATTR_STORED] = { "stored", "x", TRUE },
  [ATTR_MACHINE] = { "machine", "s", TRUE },
};

static char *
take_string_attr (GVariant *value, const char *name, GError **error)
{
  gsize len;
  const char *s = g_variant_get_string (value, &len);

  if (len > LB_STRING_ATTR_MAX)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS,
                   _("Attribute “%s” may be at most %d bytes long; this one has %zu"), name,
                   LB_STRING_ATTR_MAX, len);
      return NULL;
    }
  return g_strdup (s);
}

gboolean
lb_attributes_parse (GVariant *asv, LbAttributesFlags flags, LbAttributes *attrs, GError **error)
{
  GVariantIter iter;
  const char *key;
  GVariant *value_raw;
  guint seen = 0;

  lb_attributes_init (attrs);
  if (!g_variant_is_of_type (asv, G_VARIANT_TYPE_VARDICT))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS, _("Attributes must be of type a{sv}"));
      return FALSE;
    }

  g_variant_iter_init (&iter, asv);
  while (g_variant_iter_next (&iter, "{&sv}", &key, &value_raw))
    {
      g_autoptr (GVariant) value = value_raw;
      guint id;

      for (id = 0; id < G_N_ELEMENTS (attr_table); id++)
        if (g_str_equal (key, attr_table[id].name))
          break;
      if (id == G_N_ELEMENTS (attr_table)
          || (attr_table[id].service_kept && !(flags & LB_ATTRIBUTES_ALL)))
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS,
                       id == G_N_ELEMENTS (attr_table)
                           ? _("Unknown attribute “%s”; the attributes are content-id, issuer, "
                               "can-backup, restore-limit, expires and support-url")
                           : _("Attribute “%s” is kept by the service and cannot be set"),
                       key);
          goto fail;
        }
      if (seen & (1u << id))
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS, _("Attribute “%s” is given twice"),
                       key);
          goto fail;
        }
      seen |= 1u << id;
      if (!g_variant_is_of_type (value, G_VARIANT_TYPE (attr_table[id].type)))
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS,
                       _("Attribute “%s” must be of type “%s”, not “%s”"), key, attr_table[id].type,
                       g_variant_get_type_string (value));
          goto fail;
        }

      switch ((AttrId) id)
        {
        case ATTR_CONTENT_ID:
          if ((attrs->content_id = take_string_attr (value, key, error)) == NULL)
            goto fail;
          break;
        case ATTR_ISSUER:
          if ((attrs->issuer = take_string_attr (value, key, error)) == NULL)
            goto fail;
          break;
        case ATTR_SUPPORT_URL:
          if ((attrs->support_url = take_string_attr (value, key, error)) == NULL)
            goto fail;
          break;
        case ATTR_MACHINE:
          if ((attrs->machine = take_string_attr (value, key, error)) == NULL)
            goto fail;
          break;
        case ATTR_CAN_BACKUP:
          attrs->can_backup = g_variant_get_boolean (value);
          break;
        case ATTR_RESTORE_LIMIT:
          attrs->restore_limit = g_variant_get_uint32 (value);
          break;
        case ATTR_EXPIRES:
          attrs->expires = g_variant_get_int64 (value);
          if (attrs->expires < 0)
            {
              g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS,
                           _("Attribute “expires” must be 0 (never) or a time after 1970"));
              goto fail;
            }
          break;
        case ATTR_RESTORE_COUNT:
          attrs->restore_count = g_variant_get_uint32 (value);
          break;
        case ATTR_STORED:
          attrs->stored = g_variant_get_int64 (value);
          break;
        }
    }
  return TRUE;

fail:
  lb_attributes_clear (attrs);
  lb_attributes_init (attrs);
  return FALSE;
}

GVariant *
lb_attributes_to_variant (const LbAttributes *attrs)
{
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  if (attrs->content_id != NULL)
    g_variant_builder_add (&b, "{sv}", "content-id", g_variant_new_string (attrs->content_id));
  if (attrs->issuer != NULL)
    g_variant_builder_add (&b, "{sv}", "issuer", g_variant_new_string (attrs->issuer));
  g_variant_builder_add (&b, "{sv}", "can-backup", g_variant_new_boolean (attrs->can_backup));
  g_variant_builder_add (&b, "{sv}", "restore-limit", g_variant_new_uint32 (attrs->restore_limit));
  g_variant_builder_add (&b, "{sv}", "expires", g_variant_new_int64 (attrs->expires));
  if (attrs->support_url != NULL)
    g_variant_builder_add (&b, "{sv}", "support-url", g_variant_new_string (attrs->support_url));
  g_variant_builder_add (&b, "{sv}", "restore-count", g_variant_new_uint32 (attrs->restore_count));
  g_variant_builder_add (&b, "{sv}", "stored", g_variant_new_int64 (attrs->stored));
  if (attrs->machine != NULL)
    g_variant_builder_add (&b, "{sv}", "machine", g_variant_new_string (attrs->machine));
  return g_variant_builder_end (&b);
}

gboolean
lb_attributes_expired (const LbAttributes *attrs, gint64 now)
{
  return attrs->expires != 0 && attrs->expires <= now;
}

LbLicense *
lb_license_new (const char *key_id, GBytes *blob)
{
  LbLicense *license = g_new0 (LbLicense, 1);

  license->key_id = g_strdup (key_id);
  license->blob = blob != NULL ? g_bytes_ref (blob) : NULL;
  lb_attributes_init (&license->attrs);
  return license;
}

void
lb_license_free (LbLicense *license)
{
  if (license == NULL)
    return;
  g_free (license->key_id);
  g_clear_pointer (&license->blob, g_bytes_unref);
  lb_attributes_clear (&license->attrs);
  g_free (license);
}

GBytes *
lb_license_encode (const LbLicense *license)
{
  g_autoptr (GVariant) v = NULL;

  v = g_variant_ref_sink (
      g_variant_new ("(s@a{sv}@ay)", license->key_id, lb_attributes_to_variant (&license->attrs),
                     g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, license->blob, TRUE)));
  return g_variant_get_data_as_bytes (v);
}

void
lb_digest (GBytes *bytes, guint8 out[LB_DIGEST_LEN])
{
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  gsize len = LB_DIGEST_LEN;
  gsize size;
  const guchar *data = g_bytes_get_data (bytes, &size);

  g_checksum_update (sum, data, size);
  g_checksum_get_digest (sum, out, &len);
}

LbLicense *
lb_license_decode (GBytes *bytes, GError **error)
{
  g_autoptr (GVariant) v = NULL;
  g_autoptr (GVariant) asv = NULL;
  g_autoptr (GVariant) blob = NULL;
  g_autoptr (LbLicense) license = NULL;
  g_autoptr (GError) local_error = NULL;
  g_autoptr (GBytes) reencoded = NULL;
  const char *key_id;
  gsize blob_len;
  gconstpointer blob_data;

  if (g_bytes_get_size (bytes) > LB_ENCODED_MAX)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_BACKUP_CORRUPT, _("A license entry is too large"));
      return NULL;
    }
  /* Untrusted: GVariant reads any bytes safely; what they must be is
   * checked below by encoding the result again. */
  v = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE (LB_ENCODED_TYPE), bytes, FALSE));
  g_variant_get (v, "(&s@a{sv}@ay)", &key_id, &asv, &blob);
  blob_data = g_variant_get_fixed_array (blob, &blob_len, 1);
  if (!lb_key_id_validate (key_id, &local_error) || !lb_blob_validate (blob_len, &local_error))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_BACKUP_CORRUPT, _("A license entry is invalid: %s"),
                   local_error->message);
      return NULL;
    }
  license = lb_license_new (key_id, NULL);
  license->blob = g_bytes_new (blob_data, blob_len);
  if (!lb_attributes_parse (asv, LB_ATTRIBUTES_ALL, &license->attrs, &local_error))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_BACKUP_CORRUPT, _("A license entry is invalid: %s"),
                   local_error->message);
      return NULL;
    }
  /* Only the encoder's own output is accepted: that rules out non-normal
   * forms, attributes out of order and anything GVariant read leniently,
   * for the cost of one copy (cheaper than g_variant_is_normal_form()). */
  reencoded = lb_license_encode (license);
  if (!g_bytes_equal (reencoded, bytes))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_BACKUP_CORRUPT,
                   _("A license entry is not in the expected encoding"));
      return NULL;
    }
  return g_steal_pointer (&license);
}
