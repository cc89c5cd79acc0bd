/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the backup reader, fed arbitrary bytes.
 *
 * lb_archive_verify_bytes() runs the same reader that a restore runs
 * (lb_archive_reader_new/next over two streams of the same bytes), so
 * every check a restore trusts is exercised. Besides the sanitizers, the
 * target checks the reader's contract: a failure is always BackupCorrupt
 * with a message (in memory there is no I/O to fail), and a success never
 * counts more licenses than the bytes could hold.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "lb-archive.h"
#include "error-convert.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  GBytes *bytes = g_bytes_new_static (data, size);
  GError *error = NULL;
  guint64 count = 0;

  if (lb_archive_verify_bytes (bytes, &count, &error))
    {
      /* A license entry takes a 512-byte header and at least one block. */
      if (error != NULL || count > size / 1024)
        abort ();
    }
  else if (error == NULL || error->domain != LB_ERROR || error->code != LB_ERROR_BACKUP_CORRUPT
           || error->message == NULL || error->message[0] == '\0')
    abort ();
  g_clear_error (&error);
  g_bytes_unref (bytes);
  return 0;
}
