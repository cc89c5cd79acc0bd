/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "options.h"

#include <glib/gi18n.h>

#include "error-convert.h"

gboolean
lb_options_parse (GVariant *options, const LbOptionSpec *specs, GError **error)
{
  GVariantIter iter;
  const char *key;
  GVariant *value_raw;

  g_variant_iter_init (&iter, options);
  while (g_variant_iter_next (&iter, "{&sv}", &key, &value_raw))
    {
      g_autoptr (GVariant) value = value_raw;
      const LbOptionSpec *spec;

      for (spec = specs; spec->name != NULL; spec++)
        if (g_str_equal (spec->name, key))
          break;
      if (spec->name == NULL)
        {
          g_autoptr (GString) known = g_string_new (NULL);
          for (spec = specs; spec->name != NULL; spec++)
            g_string_append_printf (known, "%s%s", known->len > 0 ? ", " : "", spec->name);
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS,
                       _ ("Unknown option “%s”; the options here are: %s"), key, known->str);
          goto fail;
        }
      if (!g_variant_is_of_type (value, G_VARIANT_TYPE (spec->type)))
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS,
                       _ ("Option “%s” must be of type “%s”, not “%s”"), key, spec->type,
                       g_variant_get_type_string (value));
          goto fail;
        }
      if (*spec->value != NULL)
        {
          g_set_error (error, LB_ERROR, LB_ERROR_INVALID_ARGS, _ ("Option “%s” is given twice"),
                       key);
          goto fail;
        }
      *spec->value = g_variant_ref (value);
    }
  return TRUE;

fail:
  for (const LbOptionSpec *spec = specs; spec->name != NULL; spec++)
    g_clear_pointer (spec->value, g_variant_unref);
  return FALSE;
}
