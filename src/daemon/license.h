/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* license: one license, its attributes, and their validation and encoding.
 *
 * This is where the limits of the Store API live (key id, blob, attribute
 * types) and the one canonical byte encoding of a license that the store's
 * digests and the backup file share: a GVariant (sa{sv}ay) in normal form,
 * attributes in a fixed order. Equal licenses encode to equal bytes.
 * Pure functions, no I/O: the fuzzer and the restore reader call them too.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define LB_KEY_ID_MAX 256
#define LB_BLOB_MAX (1024 * 1024)
#define LB_STRING_ATTR_MAX 4096
#define LB_BULK_MAX_LICENSES 10000
#define LB_BULK_MAX_BYTES (64 * 1024 * 1024)
/* An encoded license can never be larger than this (blob + key + attributes). */
#define LB_ENCODED_MAX (LB_BLOB_MAX + 64 * 1024)
#define LB_DIGEST_LEN 32
/* What one app may keep in the store, unless the daemon is told otherwise. */
#define LB_APP_MAX_LICENSES_DEFAULT 1000000
#define LB_APP_MAX_BYTES_DEFAULT (G_GUINT64_CONSTANT (1) << 30)
/* An app id: "" for host programs, else at most this many bytes. */
#define LB_APP_ID_MAX 255

typedef struct
{
  char *content_id; /* NULL when unset */
  char *issuer;
  gboolean can_backup;
  guint32 restore_limit; /* 0 = no limit */
  gint64 expires;        /* unix seconds, 0 = never */
  char *support_url;
  /* kept by the service */
  guint32 restore_count;
  gint64 stored;
  char *machine;
  char *app; /* the owning app; NULL for host programs, never "" */
} LbAttributes;

typedef struct
{
  char *key_id;
  GBytes *blob; /* NULL in listings */
  LbAttributes attrs;
} LbRecord;

typedef enum
{
  LB_ATTRIBUTES_CALLER = 0,   /* only the keys a D-Bus caller may set */
  LB_ATTRIBUTES_ALL = 1 << 0, /* service-kept keys too (reading a backup) */
} LbAttributesFlags;

void lb_attributes_init (LbAttributes *attrs);
void lb_attributes_clear (LbAttributes *attrs);
void lb_attributes_copy (LbAttributes *dest, const LbAttributes *src);

gboolean lb_key_id_validate (const char *key_id, GError **error);
/* @key_id as an error message may show it, valid or not: its first 40
 * characters, control characters escaped. */
char *lb_key_id_quote (const char *key_id);
gboolean lb_blob_validate (gsize size, GError **error);

/* "" (host programs), or a Flatpak app id or "snap.<name>": '.'-separated
 * elements of [A-Za-z0-9_-], at least two. LB_ERROR_INVALID_ARGS if not. */
gboolean lb_app_id_validate (const char *app_id, GError **error);
/* The app id as stored in LbAttributes.app: NULL for "". */
static inline const char *
lb_app_id_or_null (const char *app_id)
{
  return app_id != NULL && app_id[0] != '\0' ? app_id : NULL;
}

/* Parses an a{sv} into @attrs (initialised to defaults first). Unknown keys,
 * wrong types and over-long strings are LB_ERROR_INVALID_ARGS. */
gboolean
lb_attributes_parse (GVariant *asv, LbAttributesFlags flags, LbAttributes *attrs, GError **error);

/* Every set attribute as a floating a{sv}, in a fixed key order. */
GVariant *lb_attributes_to_variant (const LbAttributes *attrs);

/* Whether the license has expired at @now (expires != 0 and <= now). */
gboolean lb_attributes_expired (const LbAttributes *attrs, gint64 now);

LbRecord *lb_record_new (const char *key_id, GBytes *blob);
void lb_record_free (LbRecord *license);

/* The canonical encoding: its header (everything before the blob), and the
 * whole of it (a copy; tests and tools). */
GBytes *lb_record_encode_header (const LbRecord *license);
GBytes *lb_record_encode (const LbRecord *license);

/* SHA-256 of @bytes; and of a license's encoding without building it
 * (@header from lb_record_encode_header(), or NULL to make it). */
void lb_digest (GBytes *bytes, guint8 out[LB_DIGEST_LEN]);
void lb_record_digest (const LbRecord *license, GBytes *header, guint8 out[LB_DIGEST_LEN]);

/* A license from a caller's (s, ay, a{sv}), validated with the Store API's
 * limits and only the attributes a caller may set; LB_ERROR_INVALID_ARGS
 * if anything is wrong. The blob shares @blob's bytes. */
LbRecord *
lb_record_from_args (const char *key_id, GVariant *blob, GVariant *attributes, GError **error);

/* Decodes and validates an encoded license (exact layout, limits, UTF-8
 * strings); LB_ERROR_BACKUP_CORRUPT on any fault. The blob shares @bytes. */
LbRecord *lb_record_decode (GBytes *bytes, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbRecord, lb_record_free)

G_END_DECLS
