/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "license.h"

#include <glib/gi18n.h>
#include <nettle/sha2.h>
#include <string.h>

#include "error-convert.h"

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
  g_clear_pointer (&attrs->app, g_free);
}

void
lb_attributes_copy (LbAttributes *dest, const LbAttributes *src)
{
  *dest = *src;
  dest->content_id = g_strdup (src->content_id);
  dest->issuer = g_strdup (src->issuer);
  dest->support_url = g_strdup (src->support_url);
  dest->machine = g_strdup (src->machine);
  dest->app = g_strdup (src->app);
}

gboolean
lb_key_id_validate (const char *key_id, GError **error)
{
  gsize len = strlen (key_id);

  if (len == 0 || len > LB_KEY_ID_MAX)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS,
                   _ ("A key id must be 1 to %d bytes long; this one has %zu"), LB_KEY_ID_MAX, len);
      return FALSE;
    }
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isprint (key_id[i]))
      {
        /* Every character before it is ASCII: its byte offset plus one is
         * its position as the user counts characters. */
        const char *end = NULL;
        gunichar c;

        g_utf8_validate (key_id + i, -1, &end);
        c = end > key_id + i ? g_utf8_get_char (key_id + i) : (gunichar) -1;
        if (c == (gunichar) -1)
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS,
                       _ ("A key id may hold only printable ASCII characters; at position %zu "
                          "is a byte that is not text (0x%02x)"),
                       i + 1, (guint) (guchar) key_id[i]);
        else if (!g_unichar_isprint (c))
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS,
                       _ ("A key id may hold only printable ASCII characters; the control "
                          "character U+%04X at position %zu is not one"),
                       (guint) c, i + 1);
        else
          {
            char utf8[8] = { 0 };

            g_unichar_to_utf8 (c, utf8);
            g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS,
                         _ ("A key id may hold only printable ASCII characters; “%s” at "
                            "position %zu is not one"),
                         utf8, i + 1);
          }
        return FALSE;
      }
  return TRUE;
}

gboolean
lb_app_id_validate (const char *app_id, GError **error)
{
  gsize len = strlen (app_id);
  guint elements = 1;
  gboolean empty_element = FALSE;

  if (len == 0)
    return TRUE;
  for (gsize i = 0; i <= len; i++)
    {
      char c = app_id[i];

      if (c == '.' || c == '\0')
        {
          empty_element |= i == 0 || app_id[i - 1] == '.';
          elements += c == '.';
        }
      else if (!g_ascii_isalnum (c) && c != '_' && c != '-')
        {
          empty_element = TRUE;
          break;
        }
    }
  if (len > LB_APP_ID_MAX || empty_element || elements < 2)
    {
      g_autofree char *quoted = lb_key_id_quote (app_id);

      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS,
                   _ ("“%s” is not an app id; an app id is \"\" (host programs) or like "
                      "org.example.Player, as `license-backup apps` lists them"),
                   quoted);
      return FALSE;
    }
  return TRUE;
}

char *
lb_key_id_quote (const char *key_id)
{
  /* Enough to recognise the key; a bad one may be megabytes long. */
  const gsize max_chars = 40;
  GString *out = g_string_new (NULL);
  const char *p = key_id;
  gsize n = 0;

  if (!g_utf8_validate (key_id, -1, NULL))
    return g_string_free (out, FALSE);
  for (; *p != '\0' && n < max_chars; p = g_utf8_next_char (p), n++)
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_iscntrl (c))
        g_string_append_printf (out, "\\x%02x", c);
      else
        g_string_append_unichar (out, c);
    }
  if (*p != '\0')
    g_string_append (out, "…");
  return g_string_free (out, FALSE);
}

gboolean
lb_blob_validate (gsize size, GError **error)
{
  if (size == 0 || size > LB_BLOB_MAX)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS,
                   g_dngettext (GETTEXT_PACKAGE,
                                "A license must be 1 byte to 1 MiB (%d bytes); this one has %zu "
                                "byte",
                                "A license must be 1 byte to 1 MiB (%d bytes); this one has %zu "
                                "bytes",
                                (gulong) size),
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
  ATTR_APP,
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
  [ATTR_APP] = { "app", "s", TRUE },
};

static char *
take_string_attr (GVariant *value, const char *name, GError **error)
{
  gsize len;
  const char *s = g_variant_get_string (value, &len);

  if (len > LB_STRING_ATTR_MAX)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS,
                   _ ("Attribute “%s” may be at most %d bytes long; this one has %zu"), name,
                   LB_STRING_ATTR_MAX, len);
      return NULL;
    }
  return g_strdup (s);
}

gboolean
lb_attributes_parse (GVariant *asv, LbAttributesFlags flags, LbAttributes *attrs, GError **error)
{
  GVariantIter iter;
  GVariant *entry_raw;
  guint seen = 0;

  lb_attributes_init (attrs);
  if (!g_variant_is_of_type (asv, G_VARIANT_TYPE_VARDICT))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS, _ ("Attributes must be of type a{sv}"));
      return FALSE;
    }

  /* By value, not with "{&sv}": a "&" format makes GLib serialise each
   * entry of the message GDBus parsed, a copy per attribute. */
  g_variant_iter_init (&iter, asv);
  while ((entry_raw = g_variant_iter_next_value (&iter)) != NULL)
    {
      g_autoptr (GVariant) entry = entry_raw;
      g_autoptr (GVariant) key_v = g_variant_get_child_value (entry, 0);
      g_autoptr (GVariant) boxed = g_variant_get_child_value (entry, 1);
      g_autoptr (GVariant) value = g_variant_get_variant (boxed);
      const char *key = g_variant_get_string (key_v, NULL);
      guint id;

      for (id = 0; id < G_N_ELEMENTS (attr_table); id++)
        if (g_str_equal (key, attr_table[id].name))
          break;
      if (id == G_N_ELEMENTS (attr_table)
          || (attr_table[id].service_kept && !(flags & LB_ATTRIBUTES_ALL)))
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS,
                       id == G_N_ELEMENTS (attr_table)
                           ? _ ("Unknown attribute “%s”; the attributes are content-id, issuer, "
                                "can-backup, restore-limit, expires and support-url")
                           : _ ("Attribute “%s” is kept by the service and cannot be set"),
                       key);
          goto fail;
        }
      if (seen & (1u << id))
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS, _ ("Attribute “%s” is given twice"),
                       key);
          goto fail;
        }
      seen |= 1u << id;
      if (!g_variant_is_of_type (value, G_VARIANT_TYPE (attr_table[id].type)))
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS,
                       _ ("Attribute “%s” must be of type “%s”, not “%s”"), key,
                       attr_table[id].type, g_variant_get_type_string (value));
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
        case ATTR_APP:
          if (!lb_app_id_validate (g_variant_get_string (value, NULL), error))
            goto fail;
          attrs->app = g_strdup (lb_app_id_or_null (g_variant_get_string (value, NULL)));
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
                           _ ("Attribute “expires” must be 0 (never) or a time after 1970"));
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
  g_variant_builder_add (&b, "{sv}", "app", g_variant_new_string (attrs->app ? attrs->app : ""));
  return g_variant_builder_end (&b);
}

gboolean
lb_attributes_expired (const LbAttributes *attrs, gint64 now)
{
  return attrs->expires != 0 && attrs->expires <= now;
}

LbRecord *
lb_record_new (const char *key_id, GBytes *blob)
{
  LbRecord *license = g_new0 (LbRecord, 1);

  license->key_id = g_strdup (key_id);
  license->blob = blob != NULL ? g_bytes_ref (blob) : NULL;
  lb_attributes_init (&license->attrs);
  return license;
}

void
lb_record_free (LbRecord *license)
{
  if (license == NULL)
    return;
  g_free (license->key_id);
  g_clear_pointer (&license->blob, g_bytes_unref);
  lb_attributes_clear (&license->attrs);
  g_free (license);
}

/* The encoding (docs/backup-format.md): a header of little-endian fields,
 * then the blob as it is. Only the header is ever built; digests and
 * backups take the blob from where it already is. */

#define ENTRY_MAGIC "LBL1"
#define FLAG_CAN_BACKUP 0x01u
#define HAS_CONTENT_ID 0x01u
#define HAS_ISSUER 0x02u
#define HAS_SUPPORT_URL 0x04u
#define HAS_MACHINE 0x08u
#define HAS_APP 0x10u

static void
put_u16 (GByteArray *a, guint16 v)
{
  guint8 b[2] = { v & 0xff, v >> 8 };
  g_byte_array_append (a, b, 2);
}

static void
put_u32 (GByteArray *a, guint32 v)
{
  guint32 le = GUINT32_TO_LE (v);
  g_byte_array_append (a, (const guint8 *) &le, 4);
}

static void
put_u64 (GByteArray *a, guint64 v)
{
  guint64 le = GUINT64_TO_LE (v);
  g_byte_array_append (a, (const guint8 *) &le, 8);
}

static void
put_string (GByteArray *a, const char *s)
{
  gsize len = strlen (s);

  put_u16 (a, (guint16) len);
  g_byte_array_append (a, (const guint8 *) s, (guint) len);
}

GBytes *
lb_record_encode_header (const LbRecord *license)
{
  const LbAttributes *at = &license->attrs;
  GByteArray *a = g_byte_array_sized_new (64 + (guint) strlen (license->key_id));
  guint8 flags = at->can_backup ? FLAG_CAN_BACKUP : 0;
  guint8 present = (at->content_id ? HAS_CONTENT_ID : 0) | (at->issuer ? HAS_ISSUER : 0)
                   | (at->support_url ? HAS_SUPPORT_URL : 0) | (at->machine ? HAS_MACHINE : 0)
                   | (at->app ? HAS_APP : 0);

  g_byte_array_append (a, (const guint8 *) ENTRY_MAGIC, 4);
  put_string (a, license->key_id);
  g_byte_array_append (a, &flags, 1);
  g_byte_array_append (a, &present, 1);
  put_u32 (a, at->restore_limit);
  put_u64 (a, (guint64) at->expires);
  put_u32 (a, at->restore_count);
  put_u64 (a, (guint64) at->stored);
  if (at->content_id)
    put_string (a, at->content_id);
  if (at->issuer)
    put_string (a, at->issuer);
  if (at->support_url)
    put_string (a, at->support_url);
  if (at->machine)
    put_string (a, at->machine);
  if (at->app)
    put_string (a, at->app);
  put_u32 (a, (guint32) g_bytes_get_size (license->blob));
  return g_byte_array_free_to_bytes (a);
}

GBytes *
lb_record_encode (const LbRecord *license)
{
  g_autoptr (GBytes) header = lb_record_encode_header (license);
  GByteArray *a = g_byte_array_sized_new (
      (guint) (g_bytes_get_size (header) + g_bytes_get_size (license->blob)));
  gsize len;
  gconstpointer data = g_bytes_get_data (header, &len);

  g_byte_array_append (a, data, (guint) len);
  data = g_bytes_get_data (license->blob, &len);
  g_byte_array_append (a, data, (guint) len);
  return g_byte_array_free_to_bytes (a);
}

void
lb_digest (GBytes *bytes, guint8 out[LB_DIGEST_LEN])
{
  struct sha256_ctx ctx;
  gsize size;
  const guint8 *data = g_bytes_get_data (bytes, &size);

  sha256_init (&ctx);
  sha256_update (&ctx, size, data);
  sha256_digest (&ctx, LB_DIGEST_LEN, out);
}

void
lb_record_digest (const LbRecord *license, GBytes *header, guint8 out[LB_DIGEST_LEN])
{
  g_autoptr (GBytes) own = header == NULL ? lb_record_encode_header (license) : NULL;
  struct sha256_ctx ctx;
  gsize size;
  const guint8 *data;

  sha256_init (&ctx);
  data = g_bytes_get_data (header != NULL ? header : own, &size);
  sha256_update (&ctx, size, data);
  data = g_bytes_get_data (license->blob, &size);
  sha256_update (&ctx, size, data);
  sha256_digest (&ctx, LB_DIGEST_LEN, out);
}

typedef struct
{
  const guint8 *p;
  gsize left;
} Reader;

static gboolean
take (Reader *r, gsize n, const guint8 **out)
{
  if (r->left < n)
    return FALSE;
  *out = r->p;
  r->p += n;
  r->left -= n;
  return TRUE;
}

static gboolean
get_u8 (Reader *r, guint8 *v)
{
  const guint8 *b;
  if (!take (r, 1, &b))
    return FALSE;
  *v = b[0];
  return TRUE;
}

static gboolean
get_u16 (Reader *r, guint16 *v)
{
  const guint8 *b;
  if (!take (r, 2, &b))
    return FALSE;
  *v = (guint16) (b[0] | b[1] << 8);
  return TRUE;
}

static gboolean
get_u32 (Reader *r, guint32 *v)
{
  const guint8 *b;
  guint32 le;
  if (!take (r, 4, &b))
    return FALSE;
  memcpy (&le, b, 4);
  *v = GUINT32_FROM_LE (le);
  return TRUE;
}

static gboolean
get_u64 (Reader *r, guint64 *v)
{
  const guint8 *b;
  guint64 le;
  if (!take (r, 8, &b))
    return FALSE;
  memcpy (&le, b, 8);
  *v = GUINT64_FROM_LE (le);
  return TRUE;
}

/* A string field: at most @max bytes of UTF-8 without NUL. */
static gboolean
get_string (Reader *r, gsize max, char **out)
{
  guint16 len;
  const guint8 *b;

  if (!get_u16 (r, &len) || len > max || !take (r, len, &b) || memchr (b, 0, len) != NULL
      || !g_utf8_validate_len ((const char *) b, len, NULL))
    return FALSE;
  *out = g_strndup ((const char *) b, len);
  return TRUE;
}

static LbRecord *
corrupt (GError **error, const char *detail)
{
  g_set_error (error, LB_ERROR, LB_ERROR_BACKUP_CORRUPT, _ ("A license entry is invalid: %s"),
               detail);
  return NULL;
}

LbRecord *
lb_record_decode (GBytes *bytes, GError **error)
{
  g_autoptr (LbRecord) l = NULL;
  g_autoptr (GError) local_error = NULL;
  g_autofree char *key_id = NULL;
  Reader r;
  const guint8 *magic;
  guint8 flags, present;
  guint32 u32, blob_len;
  guint64 u64;

  r.p = g_bytes_get_data (bytes, &r.left);
  if (r.left > LB_ENCODED_MAX)
    return corrupt (error, _ ("it is too large"));
  if (!take (&r, 4, &magic) || memcmp (magic, ENTRY_MAGIC, 4) != 0)
    return corrupt (error, _ ("unknown encoding"));
  if (!get_string (&r, LB_KEY_ID_MAX, &key_id))
    return corrupt (error, _ ("bad key id"));
  if (!lb_key_id_validate (key_id, &local_error))
    return corrupt (error, local_error->message);
  l = lb_record_new (key_id, NULL);
  if (!get_u8 (&r, &flags) || (flags & ~FLAG_CAN_BACKUP) != 0 || !get_u8 (&r, &present)
      || (present & ~(HAS_CONTENT_ID | HAS_ISSUER | HAS_SUPPORT_URL | HAS_MACHINE | HAS_APP)) != 0)
    return corrupt (error, _ ("bad flags"));
  l->attrs.can_backup = (flags & FLAG_CAN_BACKUP) != 0;
  if (!get_u32 (&r, &u32))
    return corrupt (error, _ ("truncated"));
  l->attrs.restore_limit = u32;
  if (!get_u64 (&r, &u64) || (gint64) u64 < 0)
    return corrupt (error, _ ("bad expiry time"));
  l->attrs.expires = (gint64) u64;
  if (!get_u32 (&r, &u32))
    return corrupt (error, _ ("truncated"));
  l->attrs.restore_count = u32;
  if (!get_u64 (&r, &u64))
    return corrupt (error, _ ("truncated"));
  l->attrs.stored = (gint64) u64;
  if (((present & HAS_CONTENT_ID) && !get_string (&r, LB_STRING_ATTR_MAX, &l->attrs.content_id))
      || ((present & HAS_ISSUER) && !get_string (&r, LB_STRING_ATTR_MAX, &l->attrs.issuer))
      || ((present & HAS_SUPPORT_URL)
          && !get_string (&r, LB_STRING_ATTR_MAX, &l->attrs.support_url))
      || ((present & HAS_MACHINE) && !get_string (&r, LB_STRING_ATTR_MAX, &l->attrs.machine))
      || ((present & HAS_APP) && !get_string (&r, LB_APP_ID_MAX, &l->attrs.app)))
    return corrupt (error, _ ("bad attribute"));
  /* Canonical: the host is no app string at all, never an empty one. */
  if (l->attrs.app != NULL && (l->attrs.app[0] == '\0' || !lb_app_id_validate (l->attrs.app, NULL)))
    return corrupt (error, _ ("bad app id"));
  if (!get_u32 (&r, &blob_len) || !lb_blob_validate (blob_len, NULL))
    return corrupt (error, _ ("bad license size"));
  if (r.left != blob_len)
    return corrupt (error, _ ("the license size does not match the entry"));
  l->blob = g_bytes_new_from_bytes (bytes, g_bytes_get_size (bytes) - r.left, r.left);
  return g_steal_pointer (&l);
}

LbRecord *
lb_record_from_args (const char *key_id, GVariant *blob, GVariant *attributes, GError **error)
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
