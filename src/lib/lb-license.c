/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "lb-private.h"

/**
 * LbLicense:
 *
 * A content license: opaque data under a key id, with attributes. An app
 * sets #LbLicense:data and the writable attributes, then stores it with
 * lb_client_store_license_sync(); what the service keeps
 * (#LbLicense:restore-count, #LbLicense:stored, #LbLicense:machine,
 * #LbLicense:app) is filled in when a license is read back.
 *
 * Since: 0.2
 */
struct _LbLicense
{
  GObject parent_instance;

  char *key_id;
  GBytes *data;
  char *content_id;
  char *issuer;
  gboolean can_backup;
  guint restore_limit;
  gint64 expires;
  char *support_url;
  guint restore_count;
  gint64 stored;
  char *machine;
  char *app;
};

G_DEFINE_FINAL_TYPE (LbLicense, lb_license, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_KEY_ID,
  PROP_DATA,
  PROP_CONTENT_ID,
  PROP_ISSUER,
  PROP_CAN_BACKUP,
  PROP_RESTORE_LIMIT,
  PROP_EXPIRES,
  PROP_SUPPORT_URL,
  PROP_RESTORE_COUNT,
  PROP_STORED,
  PROP_MACHINE,
  PROP_APP,
  N_PROPS
};
static GParamSpec *props[N_PROPS];

/**
 * lb_license_new:
 * @key_id: the key id: 1 to 256 bytes of printable ASCII
 * @data: (nullable): the license data, 1 byte to 1 MiB
 *
 * A new license that may be backed up, with no other attribute.
 *
 * Returns: (transfer full): the license
 *
 * Since: 0.2
 */
LbLicense *
lb_license_new (const char *key_id, GBytes *data)
{
  return g_object_new (LB_TYPE_LICENSE, "key-id", key_id, "data", data, NULL);
}

/* Reads the service's a{sv}; unknown keys are left alone, so that a newer
 * service can add attributes. */
LbLicense *
lb_license_new_from_attributes (const char *key_id, GBytes *data, GVariant *attributes)
{
  LbLicense *self = lb_license_new (key_id, data);

  g_variant_lookup (attributes, "content-id", "s", &self->content_id);
  g_variant_lookup (attributes, "issuer", "s", &self->issuer);
  g_variant_lookup (attributes, "can-backup", "b", &self->can_backup);
  g_variant_lookup (attributes, "restore-limit", "u", &self->restore_limit);
  g_variant_lookup (attributes, "expires", "x", &self->expires);
  g_variant_lookup (attributes, "support-url", "s", &self->support_url);
  g_variant_lookup (attributes, "restore-count", "u", &self->restore_count);
  g_variant_lookup (attributes, "stored", "x", &self->stored);
  g_variant_lookup (attributes, "machine", "s", &self->machine);
  g_variant_lookup (attributes, "app", "s", &self->app);
  return self;
}

/**
 * lb_license_get_attributes:
 * @self: a license
 *
 * The attributes an app may set, as the service's StoreLicense takes them.
 *
 * Returns: (transfer floating): an `a{sv}`
 *
 * Since: 0.2
 */
GVariant *
lb_license_get_attributes (LbLicense *self)
{
  GVariantBuilder b;

  g_return_val_if_fail (LB_IS_LICENSE (self), NULL);
  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  if (self->content_id != NULL)
    g_variant_builder_add (&b, "{sv}", "content-id", g_variant_new_string (self->content_id));
  if (self->issuer != NULL)
    g_variant_builder_add (&b, "{sv}", "issuer", g_variant_new_string (self->issuer));
  if (!self->can_backup)
    g_variant_builder_add (&b, "{sv}", "can-backup", g_variant_new_boolean (FALSE));
  if (self->restore_limit != 0)
    g_variant_builder_add (&b, "{sv}", "restore-limit", g_variant_new_uint32 (self->restore_limit));
  if (self->expires != 0)
    g_variant_builder_add (&b, "{sv}", "expires", g_variant_new_int64 (self->expires));
  if (self->support_url != NULL)
    g_variant_builder_add (&b, "{sv}", "support-url", g_variant_new_string (self->support_url));
  return g_variant_builder_end (&b);
}

/* (s ay a{sv}), as StoreLicense and each element of StoreLicenses take it. */
GVariant *
lb_license_to_store_args (LbLicense *self)
{
  gsize len = 0;
  gconstpointer data = self->data != NULL ? g_bytes_get_data (self->data, &len) : NULL;

  return g_variant_new ("(s@ay@a{sv})", self->key_id,
                        g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, data, len, 1),
                        lb_license_get_attributes (self));
}

#define GETTER(type, name, field)                          \
  type lb_license_get_##name (LbLicense *self)             \
  {                                                        \
    g_return_val_if_fail (LB_IS_LICENSE (self), (type) 0); \
    return self->field;                                    \
  }
#define STRING_SETTER(name, prop)                                 \
  void lb_license_set_##name (LbLicense *self, const char *value) \
  {                                                               \
    g_return_if_fail (LB_IS_LICENSE (self));                      \
    if (g_strcmp0 (self->name, value) == 0)                       \
      return;                                                     \
    g_free (self->name);                                          \
    self->name = g_strdup (value);                                \
    g_object_notify_by_pspec (G_OBJECT (self), props[prop]);      \
  }
#define VALUE_SETTER(type, name, prop)                       \
  void lb_license_set_##name (LbLicense *self, type value)   \
  {                                                          \
    g_return_if_fail (LB_IS_LICENSE (self));                 \
    if (self->name == value)                                 \
      return;                                                \
    self->name = value;                                      \
    g_object_notify_by_pspec (G_OBJECT (self), props[prop]); \
  }

/**
 * lb_license_get_key_id:
 * @self: a license
 *
 * The key id.
 *
 * Returns: the key id
 *
 * Since: 0.2
 */
GETTER (const char *, key_id, key_id)
/**
 * lb_license_get_data:
 * @self: a license
 *
 * The license data.
 *
 * Returns: (transfer none) (nullable): the license data
 *
 * Since: 0.2
 */
GETTER (GBytes *, data, data)
/**
 * lb_license_get_content_id:
 * @self: a license
 *
 * The content id.
 *
 * Returns: (nullable): the content id
 *
 * Since: 0.2
 */
GETTER (const char *, content_id, content_id)
/**
 * lb_license_get_issuer:
 * @self: a license
 *
 * The issuer.
 *
 * Returns: (nullable): the issuer
 *
 * Since: 0.2
 */
GETTER (const char *, issuer, issuer)
/**
 * lb_license_get_can_backup:
 * @self: a license
 *
 * Whether the license may be backed up (the Backup right).
 *
 * Returns: whether the license may be backed up (the Backup right)
 *
 * Since: 0.2
 */
GETTER (gboolean, can_backup, can_backup)
/**
 * lb_license_get_restore_limit:
 * @self: a license
 *
 * How often it may be restored on another computer, 0 for no limit.
 *
 * Returns: how often it may be restored on another computer, 0 for no limit
 *
 * Since: 0.2
 */
GETTER (guint, restore_limit, restore_limit)
/**
 * lb_license_get_expires:
 * @self: a license
 *
 * When it expires (unix seconds), 0 for never.
 *
 * Returns: when it expires (unix seconds), 0 for never
 *
 * Since: 0.2
 */
GETTER (gint64, expires, expires)
/**
 * lb_license_get_support_url:
 * @self: a license
 *
 * Where the user learns how to restore it past its limit.
 *
 * Returns: (nullable): where the user learns how to restore it past its limit
 *
 * Since: 0.2
 */
GETTER (const char *, support_url, support_url)
/**
 * lb_license_get_restore_count:
 * @self: a license
 *
 * How often it was restored on another computer (kept by the service).
 *
 * Returns: how often it was restored on another computer (kept by the service)
 *
 * Since: 0.2
 */
GETTER (guint, restore_count, restore_count)
/**
 * lb_license_get_stored:
 * @self: a license
 *
 * When it was stored (unix seconds; kept by the service).
 *
 * Returns: when it was stored (unix seconds; kept by the service)
 *
 * Since: 0.2
 */
GETTER (gint64, stored, stored)
/**
 * lb_license_get_machine:
 * @self: a license
 *
 * The app-specific id of the computer it is bound to.
 *
 * Returns: (nullable): the app-specific id of the computer it is bound to
 *
 * Since: 0.2
 */
GETTER (const char *, machine, machine)
/**
 * lb_license_get_app:
 * @self: a license
 *
 * The app it belongs to, "" for programs outside a sandbox; %NULL for a
 * license not read from the service.
 *
 * Returns: (nullable): the app it belongs to, "" for programs outside a
 *   sandbox; %NULL for a license not read from the service
 *
 * Since: 0.2
 */
GETTER (const char *, app, app)

/**
 * lb_license_set_content_id:
 * @self: a license
 * @content_id: (nullable): the content id
 *
 * Sets #LbLicense:content-id.
 *
 * Since: 0.2
 */
STRING_SETTER (content_id, PROP_CONTENT_ID)
/**
 * lb_license_set_issuer:
 * @self: a license
 * @issuer: (nullable): the issuer
 *
 * Sets #LbLicense:issuer.
 *
 * Since: 0.2
 */
STRING_SETTER (issuer, PROP_ISSUER)
/**
 * lb_license_set_support_url:
 * @self: a license
 * @support_url: (nullable): the support URL
 *
 * Sets #LbLicense:support-url.
 *
 * Since: 0.2
 */
STRING_SETTER (support_url, PROP_SUPPORT_URL)
/**
 * lb_license_set_can_backup:
 * @self: a license
 * @can_backup: whether it may be backed up
 *
 * Sets #LbLicense:can-backup.
 *
 * Since: 0.2
 */
VALUE_SETTER (gboolean, can_backup, PROP_CAN_BACKUP)
/**
 * lb_license_set_restore_limit:
 * @self: a license
 * @restore_limit: 0 for no limit
 *
 * Sets #LbLicense:restore-limit.
 *
 * Since: 0.2
 */
VALUE_SETTER (guint, restore_limit, PROP_RESTORE_LIMIT)
/**
 * lb_license_set_expires:
 * @self: a license
 * @expires: unix seconds, 0 for never
 *
 * Sets #LbLicense:expires.
 *
 * Since: 0.2
 */
VALUE_SETTER (gint64, expires, PROP_EXPIRES)

/**
 * lb_license_set_data:
 * @self: a license
 * @data: (nullable): the license data
 *
 * Sets #LbLicense:data.
 *
 * Since: 0.2
 */
void
lb_license_set_data (LbLicense *self, GBytes *data)
{
  g_return_if_fail (LB_IS_LICENSE (self));
  if (self->data == data)
    return;
  g_clear_pointer (&self->data, g_bytes_unref);
  self->data = data != NULL ? g_bytes_ref (data) : NULL;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_DATA]);
}

static void
lb_license_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  LbLicense *self = LB_LICENSE (object);

  switch (prop_id)
    {
    case PROP_KEY_ID:
      g_value_set_string (value, self->key_id);
      break;
    case PROP_DATA:
      g_value_set_boxed (value, self->data);
      break;
    case PROP_CONTENT_ID:
      g_value_set_string (value, self->content_id);
      break;
    case PROP_ISSUER:
      g_value_set_string (value, self->issuer);
      break;
    case PROP_CAN_BACKUP:
      g_value_set_boolean (value, self->can_backup);
      break;
    case PROP_RESTORE_LIMIT:
      g_value_set_uint (value, self->restore_limit);
      break;
    case PROP_EXPIRES:
      g_value_set_int64 (value, self->expires);
      break;
    case PROP_SUPPORT_URL:
      g_value_set_string (value, self->support_url);
      break;
    case PROP_RESTORE_COUNT:
      g_value_set_uint (value, self->restore_count);
      break;
    case PROP_STORED:
      g_value_set_int64 (value, self->stored);
      break;
    case PROP_MACHINE:
      g_value_set_string (value, self->machine);
      break;
    case PROP_APP:
      g_value_set_string (value, self->app);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lb_license_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  LbLicense *self = LB_LICENSE (object);

  switch (prop_id)
    {
    case PROP_KEY_ID:
      self->key_id = g_value_dup_string (value);
      break;
    case PROP_DATA:
      lb_license_set_data (self, g_value_get_boxed (value));
      break;
    case PROP_CONTENT_ID:
      lb_license_set_content_id (self, g_value_get_string (value));
      break;
    case PROP_ISSUER:
      lb_license_set_issuer (self, g_value_get_string (value));
      break;
    case PROP_CAN_BACKUP:
      lb_license_set_can_backup (self, g_value_get_boolean (value));
      break;
    case PROP_RESTORE_LIMIT:
      lb_license_set_restore_limit (self, g_value_get_uint (value));
      break;
    case PROP_EXPIRES:
      lb_license_set_expires (self, g_value_get_int64 (value));
      break;
    case PROP_SUPPORT_URL:
      lb_license_set_support_url (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lb_license_finalize (GObject *object)
{
  LbLicense *self = LB_LICENSE (object);

  g_free (self->key_id);
  g_clear_pointer (&self->data, g_bytes_unref);
  g_free (self->content_id);
  g_free (self->issuer);
  g_free (self->support_url);
  g_free (self->machine);
  g_free (self->app);
  G_OBJECT_CLASS (lb_license_parent_class)->finalize (object);
}

static void
lb_license_class_init (LbLicenseClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  object_class->get_property = lb_license_get_property;
  object_class->set_property = lb_license_set_property;
  object_class->finalize = lb_license_finalize;

  /**
   * LbLicense:key-id:
   *
   * The key id, 1 to 256 bytes of printable ASCII, unique within an app.
   *
   * Since: 0.2
   */
  props[PROP_KEY_ID]
      = g_param_spec_string ("key-id", NULL, NULL, NULL,
                             G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * LbLicense:data:
   *
   * The license data, 1 byte to 1 MiB, opaque to the service.
   *
   * Since: 0.2
   */
  props[PROP_DATA] = g_param_spec_boxed ("data", NULL, NULL, G_TYPE_BYTES, rw);
  /**
   * LbLicense:content-id:
   *
   * The content the license is for, if the app says.
   *
   * Since: 0.2
   */
  props[PROP_CONTENT_ID] = g_param_spec_string ("content-id", NULL, NULL, NULL, rw);
  /**
   * LbLicense:issuer:
   *
   * Who issued the license, if the app says.
   *
   * Since: 0.2
   */
  props[PROP_ISSUER] = g_param_spec_string ("issuer", NULL, NULL, NULL, rw);
  /**
   * LbLicense:can-backup:
   *
   * The Backup right: whether backups include the license.
   *
   * Since: 0.2
   */
  props[PROP_CAN_BACKUP] = g_param_spec_boolean ("can-backup", NULL, NULL, TRUE, rw);
  /**
   * LbLicense:restore-limit:
   *
   * How often the license may be restored on another computer; 0, no limit.
   *
   * Since: 0.2
   */
  props[PROP_RESTORE_LIMIT]
      = g_param_spec_uint ("restore-limit", NULL, NULL, 0, G_MAXUINT32, 0, rw);
  /**
   * LbLicense:expires:
   *
   * When the license expires, in unix seconds; 0, never.
   *
   * Since: 0.2
   */
  props[PROP_EXPIRES] = g_param_spec_int64 ("expires", NULL, NULL, 0, G_MAXINT64, 0, rw);
  /**
   * LbLicense:support-url:
   *
   * Where the user learns how to restore the license past its limit.
   *
   * Since: 0.2
   */
  props[PROP_SUPPORT_URL] = g_param_spec_string ("support-url", NULL, NULL, NULL, rw);
  /**
   * LbLicense:restore-count:
   *
   * How often the license was restored on another computer.
   *
   * Since: 0.2
   */
  props[PROP_RESTORE_COUNT]
      = g_param_spec_uint ("restore-count", NULL, NULL, 0, G_MAXUINT32, 0, ro);
  /**
   * LbLicense:stored:
   *
   * When the license was stored, in unix seconds.
   *
   * Since: 0.2
   */
  props[PROP_STORED] = g_param_spec_int64 ("stored", NULL, NULL, 0, G_MAXINT64, 0, ro);
  /**
   * LbLicense:machine:
   *
   * The app-specific id of the computer the license is bound to.
   *
   * Since: 0.2
   */
  props[PROP_MACHINE] = g_param_spec_string ("machine", NULL, NULL, NULL, ro);
  /**
   * LbLicense:app:
   *
   * The app the license belongs to; "" for programs outside a sandbox.
   *
   * Since: 0.2
   */
  props[PROP_APP] = g_param_spec_string ("app", NULL, NULL, NULL, ro);
  g_object_class_install_properties (object_class, N_PROPS, props);
}

static void
lb_license_init (LbLicense *self)
{
  self->can_backup = TRUE;
}
