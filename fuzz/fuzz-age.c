/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the encrypted backup's reader (lb-age), fed arbitrary
 * bytes.
 *
 * lb_age_check_header() runs the header parser alone (the stanzas, the
 * scrypt stanza's rules); the decrypting stream then reads the same bytes
 * as a restore would, with the file key of the seeds (the CCTV vectors'
 * "YELLOW SUBMARINE") given instead of a passphrase: scrypt, at up to
 * 256 MiB and a second per input, would leave no time for anything else,
 * and a fuzzer cannot forge a MAC anyway. So mutations of a seed's payload
 * reach the STREAM reader. The contract checked: a failure is always
 * BackupCorrupt with a message (in memory there is no I/O to fail), the
 * two agree on the header, and no more plaintext comes out than went in.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "lb-age.h"
#include "license-backup/lb-error.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
check_error (GError *error)
{
  if (error == NULL || error->domain != LB_ERROR || error->code != LB_ERROR_BACKUP_CORRUPT
      || error->message == NULL || error->message[0] == '\0')
    abort ();
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static const guint8 file_key[16] = "YELLOW SUBMARINE";
  GBytes *bytes = g_bytes_new_static (data, size);
  GInputStream *mem = g_memory_input_stream_new_from_bytes (bytes);
  GInputStream *in;
  GError *error = NULL;
  gboolean header_ok;
  guint8 buf[10007];
  gsize released = 0;

  header_ok = lb_age_check_header (data, size, &error);
  if (!header_ok)
    check_error (error);
  g_clear_error (&error);

  in = lb_age_decrypt_stream_new_with_file_key (mem, file_key, NULL, &error);
  if (in == NULL)
    check_error (error);
  else
    {
      gssize n;

      /* A stream only over a header that checks. */
      if (!header_ok)
        abort ();
      while ((n = g_input_stream_read (in, buf, sizeof buf, NULL, &error)) > 0)
        released += (gsize) n;
      if (n < 0)
        check_error (error);
      if (released > size)
        abort ();
      g_object_unref (in);
    }
  g_clear_error (&error);
  g_object_unref (mem);
  g_bytes_unref (bytes);
  return 0;
}
