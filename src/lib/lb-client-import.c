/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What lb_client_store_licenses_async() sends: batches of StoreLicenses
 * under the service's and the bus's limits, or, for many licenses, the
 * import payload in a sealed memfd (StoreLicensesFromFd). */
#include "config.h"

#include "lb-client-private.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <sys/mman.h>
#include <unistd.h>

/* What one StoreLicenses call may carry (the service's limit), and what
 * keeps its message under dbus-daemon's default 32 MiB. */
#define BATCH_LICENSES 10000
#define BATCH_BYTES (24 * 1024 * 1024)
/* Above this, lb_client_store_licenses_* sends a memfd: the service reads
 * it a license at a time, while a message is held whole (a 24 MiB one took
 * the service to 86 MiB). */
#define FD_ABOVE_LICENSES 1000
#define FD_ABOVE_BYTES (4 * 1024 * 1024)

/* Batches of licenses for StoreLicenses, each under the service's and the
 * bus's limits. */
GPtrArray *
lb_import_batches (GPtrArray *licenses)
{
  GPtrArray *batches = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  GVariantBuilder b;
  guint n = 0;
  gsize bytes = 0;

  g_variant_builder_init (&b, G_VARIANT_TYPE ("a(saya{sv})"));
  for (guint i = 0; i < licenses->len; i++)
    {
      LbLicense *l = licenses->pdata[i];
      GBytes *data = lb_license_get_data (l);
      gsize size = data != NULL ? g_bytes_get_size (data) : 0;

      if (n > 0 && (n == BATCH_LICENSES || bytes + size > BATCH_BYTES))
        {
          g_ptr_array_add (batches, g_variant_ref_sink (g_variant_new (
                                        "(@a(saya{sv}))", g_variant_builder_end (&b))));
          g_variant_builder_init (&b, G_VARIANT_TYPE ("a(saya{sv})"));
          n = 0;
          bytes = 0;
        }
      g_variant_builder_add_value (&b, lb_license_to_store_args (l));
      n++;
      bytes += size;
    }
  if (n > 0)
    g_ptr_array_add (
        batches, g_variant_ref_sink (g_variant_new ("(@a(saya{sv}))", g_variant_builder_end (&b))));
  else
    g_variant_builder_clear (&b);
  return batches;
}

static gboolean
write_all (int fd, const guint8 *data, gsize len, GError **error)
{
  while (len > 0)
    {
      ssize_t n = write (fd, data, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int errsv = errno;
          g_set_error (error, LB_ERROR, LB_ERROR_NO_SPACE,
                       _ ("Cannot prepare the licenses to import: %s"), g_strerror (errsv));
          return FALSE;
        }
      data += n;
      len -= (gsize) n;
    }
  return TRUE;
}

#define PAYLOAD_CHUNK (1024 * 1024)

/* The import payload (docs/import-format.md) of @licenses in a sealed
 * memfd, or -1 with @error set. */
int
lb_import_payload_memfd (GPtrArray *licenses, GError **error)
{
  g_autoptr (GByteArray) buf = g_byte_array_sized_new (PAYLOAD_CHUNK);
  g_autofree guint8 *scratch = NULL;
  gsize scratch_size = 0;
  int fd = memfd_create ("license-backup-import", MFD_CLOEXEC | MFD_ALLOW_SEALING);

  if (fd < 0)
    {
      int errsv = errno;
      g_set_error (error, LB_ERROR, LB_ERROR_FAILED,
                   _ ("Cannot prepare the licenses to import: %s"), g_strerror (errsv));
      return -1;
    }
  g_byte_array_append (buf, (const guint8 *) "LBI1", 4);
  for (guint i = 0; i < licenses->len; i++)
    {
      g_autoptr (GVariant) v = g_variant_ref_sink (lb_license_to_store_args (licenses->pdata[i]));
      gsize size = g_variant_get_size (v);
      guint32 le = GUINT32_TO_LE ((guint32) size);

      if (G_BYTE_ORDER == G_BIG_ENDIAN)
        {
          GVariant *swapped = g_variant_byteswap (v);
          g_variant_unref (v);
          v = swapped;
        }
      guint at;

      if (buf->len > 0 && buf->len + 4 + size > PAYLOAD_CHUNK)
        {
          if (!write_all (fd, buf->data, buf->len, error))
            goto fail;
          g_byte_array_set_size (buf, 0);
        }
      g_byte_array_append (buf, (const guint8 *) &le, 4);
      /* GVariant serialises only to aligned memory; the record sits
       * 4 bytes into the payload, unaligned: through one reused buffer
       * rather than a new allocation a license. */
      if (size > scratch_size)
        {
          g_free (scratch);
          scratch_size = MAX (size, 2 * scratch_size);
          scratch = g_malloc (scratch_size);
        }
      g_variant_store (v, scratch);
      at = buf->len;
      g_byte_array_set_size (buf, at + (guint) size);
      memcpy (buf->data + at, scratch, size);
    }
  if (!write_all (fd, buf->data, buf->len, error))
    goto fail;
  /* Sealed, so that the service can trust what it validates. */
  if (fcntl (fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0)
    {
      int errsv = errno;
      g_set_error (error, LB_ERROR, LB_ERROR_FAILED,
                   _ ("Cannot prepare the licenses to import: %s"), g_strerror (errsv));
      goto fail;
    }
  return fd;

fail:
  close (fd);
  return -1;
}

GVariant *
lb_import_params (void)
{
  return g_variant_new ("(h@a{sv})", 0, g_variant_new ("a{sv}", NULL));
}

/* Whether @licenses go through a memfd rather than one StoreLicenses,
 * found from their sizes alone (building the message first copied every
 * license once more, for nothing). */
gboolean
lb_import_needs_fd (GPtrArray *licenses)
{
  gsize bytes = 0;

  if (licenses->len > FD_ABOVE_LICENSES)
    return TRUE;
  for (guint i = 0; i < licenses->len; i++)
    {
      GBytes *data = lb_license_get_data (licenses->pdata[i]);

      bytes += data != NULL ? g_bytes_get_size (data) : 0;
      if (bytes > FD_ABOVE_BYTES)
        return TRUE;
    }
  return FALSE;
}
