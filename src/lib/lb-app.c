/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "lb-private.h"

/**
 * LbApp:
 *
 * An app that holds licenses in the store: one item of
 * lb_client_list_apps_sync().
 *
 * Since: 0.2
 */
struct _LbApp
{
  GObject parent_instance;

  char *id;
  guint licenses;
  guint64 bytes;
};

G_DEFINE_FINAL_TYPE (LbApp, lb_app, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_ID,
  PROP_LICENSES,
  PROP_BYTES,
  N_PROPS
};
static GParamSpec *props[N_PROPS];

/* From ListApps' (id, details); absent keys keep their defaults and
 * unknown ones are ignored, so that a newer service may add details. */
LbApp *
lb_app_new_from_details (const char *id, GVariant *details)
{
  LbApp *self = g_object_new (LB_TYPE_APP, NULL);

  g_free (self->id);
  self->id = g_strdup (id);
  g_variant_lookup (details, "licenses", "u", &self->licenses);
  g_variant_lookup (details, "bytes", "t", &self->bytes);
  return self;
}

/**
 * lb_app_get_id:
 * @self: an app
 *
 * The app's id: a Flatpak app id, or "" for the programs outside a
 * sandbox.
 *
 * Returns: the app id
 *
 * Since: 0.2
 */
const char *
lb_app_get_id (LbApp *self)
{
  g_return_val_if_fail (LB_IS_APP (self), NULL);
  return self->id;
}

/**
 * lb_app_get_licenses:
 * @self: an app
 *
 * How many licenses the app holds.
 *
 * Returns: the number of its licenses
 *
 * Since: 0.2
 */
guint
lb_app_get_licenses (LbApp *self)
{
  g_return_val_if_fail (LB_IS_APP (self), 0);
  return self->licenses;
}

/**
 * lb_app_get_bytes:
 * @self: an app
 *
 * The size of the app's license data.
 *
 * Returns: the size in bytes
 *
 * Since: 0.2
 */
guint64
lb_app_get_bytes (LbApp *self)
{
  g_return_val_if_fail (LB_IS_APP (self), 0);
  return self->bytes;
}

static void
lb_app_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  LbApp *self = LB_APP (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, self->id);
      break;
    case PROP_LICENSES:
      g_value_set_uint (value, self->licenses);
      break;
    case PROP_BYTES:
      g_value_set_uint64 (value, self->bytes);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lb_app_finalize (GObject *object)
{
  LbApp *self = LB_APP (object);

  g_free (self->id);
  G_OBJECT_CLASS (lb_app_parent_class)->finalize (object);
}

static void
lb_app_class_init (LbAppClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  object_class->get_property = lb_app_get_property;
  object_class->finalize = lb_app_finalize;
  /**
   * LbApp:id:
   *
   * The app's id; "" for the programs outside a sandbox.
   *
   * Since: 0.2
   */
  props[PROP_ID] = g_param_spec_string ("id", NULL, NULL, "", ro);
  /**
   * LbApp:licenses:
   *
   * How many licenses the app holds.
   *
   * Since: 0.2
   */
  props[PROP_LICENSES] = g_param_spec_uint ("licenses", NULL, NULL, 0, G_MAXUINT, 0, ro);
  /**
   * LbApp:bytes:
   *
   * The size of the app's license data.
   *
   * Since: 0.2
   */
  props[PROP_BYTES] = g_param_spec_uint64 ("bytes", NULL, NULL, 0, G_MAXUINT64, 0, ro);
  g_object_class_install_properties (object_class, N_PROPS, props);
}

static void
lb_app_init (LbApp *self)
{
  self->id = g_strdup ("");
}
