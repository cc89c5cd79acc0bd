/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "machine-id.h"

#include <glib/gi18n.h>
#include <string.h>

#include "error-convert.h"

/* Fixed, random application id (like SD_ID128_MAKE in systemd users). */
static const guint8 lb_app_id[16] = { 0x4c, 0x1b, 0x7e, 0x0a, 0x93, 0x5d, 0x4f, 0x62,
                                      0xb8, 0x21, 0xd6, 0x3e, 0x90, 0xaf, 0x17, 0x55 };

static gboolean
parse_id128 (const char *hex, guint8 out[16])
{
  if (strlen (hex) != 32)
    return FALSE;
  for (guint i = 0; i < 16; i++)
    {
      int hi = g_ascii_xdigit_value (hex[2 * i]);
      int lo = g_ascii_xdigit_value (hex[2 * i + 1]);
      if (hi < 0 || lo < 0)
        return FALSE;
      out[i] = (guint8) (hi << 4 | lo);
    }
  return TRUE;
}

char *
lb_machine_app_id (const char *machine_id_hex, GError **error)
{
  guint8 key[16];
  guint8 digest[32];
  gsize digest_len = sizeof digest;
  g_autoptr (GHmac) hmac = NULL;

  if (!parse_id128 (machine_id_hex, key))
    {
      g_set_error (error, LB_ERROR, LB_ERROR_FAILED,
                   _ ("The machine id is not 32 hexadecimal digits; check /etc/machine-id "
                      "(systemd-machine-id-setup creates it)"));
      return NULL;
    }

  hmac = g_hmac_new (G_CHECKSUM_SHA256, key, sizeof key);
  g_hmac_update (hmac, lb_app_id, sizeof lb_app_id);
  g_hmac_get_digest (hmac, digest, &digest_len);
  memset (key, 0, sizeof key);

  /* v4 UUID shape, as systemd's id128_make_v4_uuid() */
  digest[6] = (digest[6] & 0x0F) | 0x40;
  digest[8] = (digest[8] & 0x3F) | 0x80;

  GString *out = g_string_sized_new (32);
  for (guint i = 0; i < 16; i++)
    g_string_append_printf (out, "%02x", digest[i]);
  return g_string_free (out, FALSE);
}

char *
lb_machine_app_id_from_file (const char *path, GError **error)
{
  g_autofree char *contents = NULL;
  g_autoptr (GError) local_error = NULL;

  if (!g_file_get_contents (path, &contents, NULL, &local_error))
    {
      g_autofree char *reason = lb_error_reason (local_error);

      g_set_error (error, LB_ERROR, LB_ERROR_FAILED, _ ("Cannot read the machine id from %s: %s"),
                   path, reason);
      return NULL;
    }
  g_strstrip (contents);
  return lb_machine_app_id (contents, error);
}

/* Cut to at most 255 bytes on a character boundary; control characters
 * (a newline in a hand-edited file) become spaces. */
static char *
tidy_name (const char *name)
{
  g_autofree char *valid = g_utf8_make_valid (name, -1);
  GString *out = g_string_new (NULL);

  for (const char *p = valid; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      char buf[6];
      gint len;

      if (g_unichar_iscntrl (c))
        c = ' ';
      len = g_unichar_to_utf8 (c, buf);
      if (out->len + (gsize) len > 255)
        break;
      g_string_append_len (out, buf, len);
    }
  return g_string_free (out, FALSE);
}

char *
lb_machine_pretty_hostname (const char *machine_info_file)
{
  g_autofree char *contents = NULL;
  g_auto (GStrv) lines = NULL;

  if (machine_info_file != NULL && g_file_get_contents (machine_info_file, &contents, NULL, NULL))
    lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines != NULL && lines[i] != NULL; i++)
    {
      const char *value;
      g_autofree char *name = NULL;

      if (!g_str_has_prefix (lines[i], "PRETTY_HOSTNAME="))
        continue;
      value = lines[i] + strlen ("PRETTY_HOSTNAME=");
      /* An env-style assignment: usually quoted. */
      name = g_shell_unquote (value, NULL);
      if (name != NULL && *g_strstrip (name) != '\0')
        return tidy_name (name);
    }
  return tidy_name (g_get_host_name ());
}
