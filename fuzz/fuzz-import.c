/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the payload of StoreLicensesFromFd
 * (docs/import-format.md).
 *
 * The bytes go through lb_import_parse_bytes(), the reader the daemon runs
 * on a sealed memfd, with a callback that keeps what the store would keep
 * (the key id and the blob). A success has exactly as many licenses as the
 * callback saw, each valid by the Store API's limits; a failure is
 * InvalidArgs with a message, and an empty (magic-only) payload succeeds
 * with 0. The sanitizers catch crashes, leaks and reads out of bounds.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error-convert.h"
#include "import.h"
#include "license.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

typedef struct
{
  guint64 seen;
  gsize blob_bytes;
} Seen;

static gboolean
on_license (LbRecord *license, gpointer user_data, GError **error)
{
  Seen *seen = user_data;
  gsize blob_size = g_bytes_get_size (license->blob);

  if (!lb_key_id_validate (license->key_id, NULL) || blob_size > LB_BLOB_MAX
      || license->attrs.app != NULL || license->attrs.machine != NULL)
    abort ();
  seen->seen++;
  /* Touch every byte, so that a blob pointing outside the input is read. */
  {
    const guint8 *b = g_bytes_get_data (license->blob, NULL);
    for (gsize i = 0; i < blob_size; i++)
      seen->blob_bytes += b[i];
  }
  return TRUE;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  Seen seen = { 0 };
  GError *error = NULL;
  guint64 count = G_MAXUINT64;

  if (lb_import_parse_bytes (data, size, on_license, &seen, &count, &error))
    {
      if (error != NULL || count != seen.seen)
        abort ();
      if (size == LB_IMPORT_MAGIC_LEN && count != 0)
        abort ();
    }
  else if (error == NULL || error->domain != LB_ERROR || error->code != LB_ERROR_INVALID_ARGS
           || error->message == NULL || error->message[0] == '\0')
    abort ();
  g_clear_error (&error);
  return 0;
}
