/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Writes the fuzzers' seed corpora: small valid backups made by the real
 * writer (lb_backup_run over a real store), encoded licenses, and
 * serialised attribute dictionaries, and StoreLicensesFromFd payloads.
 *
 *   gen-seeds OUTDIR   writes OUTDIR/archive, OUTDIR/license, OUTDIR/attributes
 *                      and OUTDIR/import
 */
#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <stdlib.h>

#include "backup.h"
#include "generations.h"
#include "import.h"
#include "lb-archive.h"
#include "license.h"
#include "store.h"

#define MACHINE "0123456789abcdef0123456789abcdef"

static const char *const seed_apps[] = { "", "org.example.PlayerA", "snap.player" };

static void
write_seed (const char *dir, const char *name, GBytes *bytes)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr (GError) error = NULL;

  if (!g_file_set_contents (path, g_bytes_get_data (bytes, NULL), (gssize) g_bytes_get_size (bytes),
                            &error))
    g_error ("%s: %s", path, error->message);
}

static LbRecord *
make_license (guint i)
{
  g_autofree char *key = g_strdup_printf (i % 3 == 0 ? "urn:key/%u" : "k%u.x-y_z", i);
  LbRecord *l = lb_record_new (key, NULL);
  gsize len = 1 + (i * 37) % 200;
  guint8 *blob = g_malloc (len);

  for (gsize j = 0; j < len; j++)
    blob[j] = (guint8) (i * 31 + j);
  l->blob = g_bytes_new_take (blob, len);
  if (i % 2 == 0)
    l->attrs.issuer = g_strdup ("Example Media");
  if (i % 3 == 0)
    l->attrs.content_id = g_strdup_printf ("content-%u", i);
  l->attrs.can_backup = i % 7 != 5;
  if (i % 4 == 1)
    {
      l->attrs.restore_limit = 3;
      l->attrs.support_url = g_strdup ("https://issuer.example/restore");
    }
  if (i % 5 == 4)
    l->attrs.expires = 4102444800; /* 2100 */
  return l;
}

static void
backups (const char *out)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("lb-seeds-XXXXXX", &error);
  const guint sizes[] = { 0, 1, 3, 12 };

  if (tmp == NULL)
    g_error ("%s", error->message);
  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
    {
      g_autofree char *store_dir = g_strdup_printf ("%s/store-%u", tmp, s);
      g_autofree char *backup_dir = g_strdup_printf ("%s/backup-%u", tmp, s);
      g_autofree char *file = NULL;
      g_autofree char *name = g_strdup_printf ("backup-%u-licenses.lbk", sizes[s]);
      g_autoptr (LbStore) store = lb_store_open (store_dir, MACHINE, &error);
      g_autoptr (GPtrArray) batch
          = g_ptr_array_new_with_free_func ((GDestroyNotify) lb_record_free);
      g_autoptr (GFile) dir = g_file_new_for_path (backup_dir);
      g_autoptr (LbOperation) op = lb_operation_new (1, LB_OPERATION_BACKUP, 0, dir, NULL);
      g_autoptr (GBytes) bytes = NULL;
      char *contents;
      gsize len;

      if (store == NULL)
        g_error ("%s", error->message);
      /* Licenses of the host and of two apps, so that the fuzzer starts
       * from entries that record their app (format 2). */
      for (guint a = 0; a < G_N_ELEMENTS (seed_apps); a++)
        {
          g_ptr_array_set_size (batch, 0);
          for (guint i = a; i < sizes[s]; i += G_N_ELEMENTS (seed_apps))
            g_ptr_array_add (batch, make_license (i));
          if (batch->len > 0
              && !lb_store_put (store, seed_apps[a], (LbRecord *const *) batch->pdata, batch->len,
                                &error))
            g_error ("%s", error->message);
        }
      g_mkdir (backup_dir, 0700);
      if (!lb_backup_run (store, op, &error))
        g_error ("backup: %s", error->message);
      /* The backup just made: the folder's newest generation. */
      {
        g_autoptr (GFile) newest = lb_generations_pick (dir, NULL, NULL);
        file = g_file_get_path (newest);
      }
      if (!g_file_get_contents (file, &contents, &len, &error))
        g_error ("%s", error->message);
      bytes = g_bytes_new_take (contents, len);
      write_seed (out, name, bytes);
      g_remove (file);
      g_rmdir (backup_dir);
    }
  g_print ("gen-seeds: backups in %s\n", out);
}

static void
licenses_and_attributes (const char *license_out, const char *attributes_out)
{
  for (guint i = 0; i < 12; i++)
    {
      g_autoptr (LbRecord) l = make_license (i);
      g_autoptr (GBytes) encoded = NULL;
      g_autoptr (GVariant) attrs = NULL;
      g_autoptr (GBytes) attr_bytes = NULL;
      g_autofree char *name = g_strdup_printf ("license-%02u", i);
      g_autofree char *attr_name = g_strdup_printf ("attributes-%02u", i);

      l->attrs.stored = 1795360072 + i;
      l->attrs.restore_count = i % 3;
      l->attrs.app = g_strdup (lb_app_id_or_null (seed_apps[i % G_N_ELEMENTS (seed_apps)]));
      if (i % 2 == 1)
        l->attrs.machine = g_strdup (MACHINE);
      encoded = lb_record_encode (l);
      write_seed (license_out, name, encoded);
      attrs = g_variant_ref_sink (lb_attributes_to_variant (&l->attrs));
      attr_bytes = g_variant_get_data_as_bytes (attrs);
      write_seed (attributes_out, attr_name, attr_bytes);
    }
  {
    /* What callers send: a few keys, and some they may not send. */
    const char *texts[] = {
      "@a{sv} {}",
      "{'issuer': <'Example Media'>, 'content-id': <'c1'>}",
      "{'can-backup': <false>, 'restore-limit': <uint32 2>, 'expires': <int64 0>}",
      "{'support-url': <'https://x.example/'>, 'restore-count': <uint32 1>}",
      "{'stored': <int64 5>, 'machine': <'0123456789abcdef0123456789abcdef'>}",
      "{'issuer': <int32 5>}",
      "{'unknown': <'x'>}",
    };
    for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
      {
        g_autoptr (GVariant) v = g_variant_ref_sink (g_variant_new_parsed (texts[i]));
        g_autoptr (GBytes) b = g_variant_get_data_as_bytes (v);
        g_autofree char *name = g_strdup_printf ("caller-%02u", i);
        write_seed (attributes_out, name, b);
      }
  }
}

/* The attributes a caller may set (lb_attributes_to_variant() adds the
 * service-kept ones, which an import refuses). */
static GVariant *
caller_attributes (const LbAttributes *a)
{
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  if (a->content_id != NULL)
    g_variant_builder_add (&b, "{sv}", "content-id", g_variant_new_string (a->content_id));
  if (a->issuer != NULL)
    g_variant_builder_add (&b, "{sv}", "issuer", g_variant_new_string (a->issuer));
  g_variant_builder_add (&b, "{sv}", "can-backup", g_variant_new_boolean (a->can_backup));
  if (a->restore_limit != 0)
    g_variant_builder_add (&b, "{sv}", "restore-limit", g_variant_new_uint32 (a->restore_limit));
  if (a->expires != 0)
    g_variant_builder_add (&b, "{sv}", "expires", g_variant_new_int64 (a->expires));
  if (a->support_url != NULL)
    g_variant_builder_add (&b, "{sv}", "support-url", g_variant_new_string (a->support_url));
  return g_variant_builder_end (&b);
}

/* Valid payloads (docs/import-format.md) of 0, 1 and 3 licenses with
 * attributes: "LBI1", then each license's u32-LE length and its
 * (saya{sv}) in normal form, little-endian. */
static void
import_payloads (const char *out)
{
  const guint sizes[] = { 0, 1, 3 };

  /* Licenses 1, 3 and 4: each kind of attribute appears (make_license). */
  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
    {
      g_autoptr (GByteArray) payload = g_byte_array_new ();
      g_autoptr (GBytes) bytes = NULL;
      g_autofree char *name = g_strdup_printf ("import-%u-licenses", sizes[s]);

      g_byte_array_append (payload, (const guint8 *) LB_IMPORT_MAGIC, LB_IMPORT_MAGIC_LEN);
      for (guint i = 0; i < sizes[s]; i++)
        {
          g_autoptr (LbRecord) l = make_license (i == 0 ? 1 : i + 2);
          g_autoptr (GVariant) v = NULL;
          guint32 len;

          v = g_variant_ref_sink (
              g_variant_new ("(s@ay@a{sv})", l->key_id,
                             g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, l->blob, TRUE),
                             caller_attributes (&l->attrs)));
          {
            g_autoptr (GVariant) normal = g_variant_get_normal_form (v);
            g_autoptr (GVariant) le = G_BYTE_ORDER == G_LITTLE_ENDIAN ? g_variant_ref (normal)
                                                                      : g_variant_byteswap (normal);

            len = GUINT32_TO_LE ((guint32) g_variant_get_size (le));
            g_byte_array_append (payload, (const guint8 *) &len, sizeof len);
            g_byte_array_append (payload, g_variant_get_data (le), g_variant_get_size (le));
          }
        }
      bytes = g_byte_array_free_to_bytes (g_steal_pointer (&payload));
      write_seed (out, name, bytes);
    }
  g_print ("gen-seeds: import payloads in %s\n", out);
}

int
main (int argc, char **argv)
{
  g_autofree char *archive = NULL;
  g_autofree char *license = NULL;
  g_autofree char *attributes = NULL;
  g_autofree char *import = NULL;

  if (argc != 2)
    {
      g_printerr ("usage: %s OUTDIR\n", argv[0]);
      return 2;
    }
  archive = g_build_filename (argv[1], "archive", NULL);
  license = g_build_filename (argv[1], "license", NULL);
  attributes = g_build_filename (argv[1], "attributes", NULL);
  import = g_build_filename (argv[1], "import", NULL);
  g_mkdir_with_parents (archive, 0700);
  g_mkdir_with_parents (license, 0700);
  g_mkdir_with_parents (attributes, 0700);
  g_mkdir_with_parents (import, 0700);
  backups (archive);
  licenses_and_attributes (license, attributes);
  import_payloads (import);
  return 0;
}
