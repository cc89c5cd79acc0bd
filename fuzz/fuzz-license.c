/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: lb_record_decode(), which turns every entry of a
 * backup into a license before restore trusts it.
 *
 * Contract checked besides the sanitizers: a failure is BackupCorrupt with
 * a message; a success is a license that passes the Store API's own
 * limits (key id, blob size, attribute lengths) and whose canonical
 * encoding is the very bytes it came from (so the manifest's checksum of
 * those bytes is the checksum of the license).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error-convert.h"
#include "license.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static gboolean
string_ok (const char *s)
{
  return s == NULL || strlen (s) <= LB_STRING_ATTR_MAX;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  GBytes *bytes = g_bytes_new (data, size);
  GError *error = NULL;
  LbRecord *l = lb_record_decode (bytes, &error);

  if (l != NULL)
    {
      GBytes *again;

      if (error != NULL || !lb_key_id_validate (l->key_id, NULL) || l->blob == NULL
          || !lb_blob_validate (g_bytes_get_size (l->blob), NULL)
          || !string_ok (l->attrs.content_id) || !string_ok (l->attrs.issuer)
          || !string_ok (l->attrs.support_url) || !string_ok (l->attrs.machine))
        abort ();
      again = lb_record_encode (l);
      if (!g_bytes_equal (again, bytes))
        abort ();
      g_bytes_unref (again);
      lb_record_free (l);
    }
  else if (error == NULL || error->domain != LB_ERROR || error->code != LB_ERROR_BACKUP_CORRUPT
           || error->message == NULL || error->message[0] == '\0')
    abort ();
  g_clear_error (&error);
  g_bytes_unref (bytes);
  return 0;
}
