/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the attribute parser.
 *
 * The bytes become an a{sv} with g_variant_new_from_bytes (untrusted, as
 * GDBus hands a caller's message to the service) and go through
 * lb_attributes_parse() with both flag sets: a caller's (StoreLicense)
 * and a backup's (every key). What parses must survive a round trip:
 * lb_attributes_to_variant() of the result parses again to the same
 * attributes. A failure is always InvalidArgs with a message. The same
 * bytes, NUL-terminated, also go through lb_key_id_validate() and
 * lb_key_id_quote().
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error-convert.h"
#include "license.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static gboolean
same_string (const char *a, const char *b)
{
  return g_strcmp0 (a, b) == 0;
}

static gboolean
same_attributes (const LbAttributes *a, const LbAttributes *b)
{
  return same_string (a->content_id, b->content_id) && same_string (a->issuer, b->issuer)
         && a->can_backup == b->can_backup && a->restore_limit == b->restore_limit
         && a->expires == b->expires && same_string (a->support_url, b->support_url)
         && a->restore_count == b->restore_count && a->stored == b->stored
         && same_string (a->machine, b->machine);
}

static void
check_invalid_args (GError *error)
{
  if (error == NULL || error->domain != LB_ERROR || error->code != LB_ERROR_INVALID_ARGS
      || error->message == NULL || error->message[0] == '\0')
    abort ();
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const LbAttributesFlags flag_sets[] = { LB_ATTRIBUTES_CALLER, LB_ATTRIBUTES_ALL };
  GBytes *bytes = g_bytes_new (data, size);
  GVariant *asv
      = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE_VARDICT, bytes, FALSE));
  char *text = g_strndup ((const char *) data, size);
  GError *error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (flag_sets); i++)
    {
      LbAttributes attrs, again;

      if (lb_attributes_parse (asv, flag_sets[i], &attrs, &error))
        {
          GVariant *back = g_variant_ref_sink (lb_attributes_to_variant (&attrs));

          if (!lb_attributes_parse (back, LB_ATTRIBUTES_ALL, &again, &error)
              || !same_attributes (&attrs, &again))
            abort ();
          lb_attributes_clear (&again);
          g_variant_unref (back);
        }
      else
        check_invalid_args (error);
      g_clear_error (&error);
      lb_attributes_clear (&attrs);
    }

  if (!lb_key_id_validate (text, &error))
    check_invalid_args (error);
  g_clear_error (&error);
  /* What an error message shows of a bad key id: short, valid UTF-8, no
   * control characters (40 characters, each at most 4 bytes or "\xNN"). */
  {
    char *quoted = lb_key_id_quote (text);

    if (strlen (quoted) > 40 * 4 + strlen ("…") || !g_utf8_validate (quoted, -1, NULL))
      abort ();
    for (const char *p = quoted; *p != '\0'; p = g_utf8_next_char (p))
      if (g_unichar_iscntrl (g_utf8_get_char (p)))
        abort ();
    g_free (quoted);
  }

  g_free (text);
  g_variant_unref (asv);
  g_bytes_unref (bytes);
  return 0;
}
