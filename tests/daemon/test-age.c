/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of the encrypted backup's envelope (src/daemon/lb-age.c): the
 * C2SP/CCTV age test vectors (tests/data/age/README.md says which run),
 * round trips, the named errors, and interoperability both ways with the
 * age tool. The age tool reads a passphrase only from a terminal: the test
 * runs it on a pseudo-terminal of its own (lb_test_run_on_tty) and types the
 * passphrase at each prompt; without the tool those tests are skipped. */
#include "config.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lb-age.h"
#include "lb-test-util.h"
#include "license-backup/lb-error.h"

#define PASSPHRASE "correct horse battery staple"
/* Low, so that the tests run fast; the cost is the format's, not the
 * test's. */
#define TEST_WORK_FACTOR 10

static LbAgePassphrase *
passphrase_new (const char *text)
{
  return lb_age_passphrase_new (text, strlen (text));
}

static GBytes *
encrypt (const guint8 *data, gsize len, gsize write_size, const char *passphrase)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LbAgePassphrase) p = passphrase_new (passphrase);
  g_autoptr (GOutputStream) mem = g_memory_output_stream_new_resizable ();
  g_autoptr (GOutputStream) out = lb_age_encrypt_stream_new (mem, p, TEST_WORK_FACTOR, &error);

  g_assert_no_error (error);
  for (gsize off = 0; off < len; off += write_size)
    {
      g_output_stream_write_all (out, data + off, MIN (write_size, len - off), NULL, NULL, &error);
      g_assert_no_error (error);
    }
  g_output_stream_close (out, NULL, &error);
  g_assert_no_error (error);
  return g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (mem));
}

/* Decrypts @file with @passphrase (or @file_key): everything released
 * into *@plain, even when it fails; the error of the open or of the read. */
static gboolean
decrypt (GBytes *file,
         const char *passphrase,
         const guint8 *file_key,
         gsize read_size,
         GByteArray **plain,
         GError **error)
{
  g_autoptr (GInputStream) mem = g_memory_input_stream_new_from_bytes (file);
  g_autoptr (LbAgePassphrase) p = passphrase != NULL ? passphrase_new (passphrase) : NULL;
  g_autoptr (GInputStream) in = NULL;
  g_autofree guint8 *buf = g_malloc (read_size);

  *plain = g_byte_array_new ();
  in = p != NULL ? lb_age_decrypt_stream_new (mem, p, NULL, error)
                 : lb_age_decrypt_stream_new_with_file_key (mem, file_key, NULL, error);
  if (in == NULL)
    return FALSE;
  for (;;)
    {
      gssize n = g_input_stream_read (in, buf, read_size, NULL, error);

      if (n < 0)
        return FALSE;
      if (n == 0)
        return TRUE;
      g_byte_array_append (*plain, buf, (guint) n);
    }
}

/* The CCTV vectors */

typedef struct
{
  char *expect;
  char *payload; /* hex SHA-256 */
  guint8 file_key[16];
  char *passphrase;
  GBytes *file; /* decompressed */
} Vector;

static void
vector_clear (Vector *v)
{
  g_free (v->expect);
  g_free (v->payload);
  g_free (v->passphrase);
  g_clear_pointer (&v->file, g_bytes_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Vector, vector_clear)

static void
vector_load (const char *path, Vector *v)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize len = 0;
  const char *p, *end;
  gboolean zlib = FALSE;

  g_file_get_contents (path, &contents, &len, &error);
  g_assert_no_error (error);
  end = g_strstr_len (contents, (gssize) len, "\n\n");
  g_assert_nonnull (end);
  for (p = contents; p < end;)
    {
      const char *nl = strchr (p, '\n');
      g_autofree char *line = g_strndup (p, nl - p);
      char *value = strstr (line, ": ");

      g_assert_nonnull (value);
      *value = '\0';
      value += 2;
      if (g_str_equal (line, "expect"))
        v->expect = g_strdup (value);
      else if (g_str_equal (line, "payload"))
        v->payload = g_strdup (value);
      else if (g_str_equal (line, "passphrase") && v->passphrase == NULL)
        v->passphrase = g_strdup (value);
      else if (g_str_equal (line, "compressed"))
        zlib = g_str_equal (value, "zlib");
      else if (g_str_equal (line, "file key") && strlen (value) == 32)
        {
          /* Longer only in scrypt_long_file_key, which has a passphrase. */
          for (int i = 0; i < 16; i++)
            v->file_key[i] = (guint8) (g_ascii_xdigit_value (value[2 * i]) * 16
                                       + g_ascii_xdigit_value (value[2 * i + 1]));
        }
      p = nl + 1;
    }
  end += 2;
  v->file = g_bytes_new (end, len - (gsize) (end - contents));
  if (zlib)
    {
      g_autoptr (GZlibDecompressor) z = g_zlib_decompressor_new (G_ZLIB_COMPRESSOR_FORMAT_ZLIB);
      g_autoptr (GInputStream) raw = g_memory_input_stream_new_from_bytes (v->file);
      g_autoptr (GInputStream) in = g_converter_input_stream_new (raw, G_CONVERTER (z));
      g_autoptr (GOutputStream) out = g_memory_output_stream_new_resizable ();

      g_output_stream_splice (out, in, G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, NULL, &error);
      g_assert_no_error (error);
      g_bytes_unref (v->file);
      v->file = g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (out));
    }
}

static void
run_vector (const char *name, const char *path)
{
  g_auto (Vector) v = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (GByteArray) plain = NULL;
  gsize len = 0;
  const guint8 *data;
  gboolean header_ok, ok;

  vector_load (path, &v);
  g_assert_nonnull (v.expect);
  data = g_bytes_get_data (v.file, &len);
  g_test_message ("%s: %s", name, v.expect);

  header_ok = lb_age_check_header (data, len, &error);
  if (g_str_equal (v.expect, "header failure"))
    {
      g_assert_error (error, LB_ERROR, LB_ERROR_BACKUP_CORRUPT);
      g_assert_false (header_ok);
      g_clear_error (&error);
      ok = decrypt (v.file, v.passphrase, v.file_key, 4096, &plain, &error);
      g_assert_error (error, LB_ERROR, LB_ERROR_BACKUP_CORRUPT);
      g_assert_false (ok);
      g_assert_cmpuint (plain->len, ==, 0);
      return;
    }
  g_assert_no_error (error);
  g_assert_true (header_ok);

  ok = decrypt (v.file, v.passphrase, v.file_key, 4096, &plain, &error);
  if (g_str_equal (v.expect, "no match"))
    {
      /* Of an scrypt stanza a wrong passphrase; no scrypt stanza at all
       * ("Scrypt") is a file for someone else: not a backup we can open. */
      g_assert_nonnull (v.passphrase);
      g_assert_false (ok);
      g_assert_nonnull (error);
      g_assert_true (g_error_matches (error, LB_ERROR, LB_ERROR_BAD_PASSPHRASE)
                     || (g_error_matches (error, LB_ERROR, LB_ERROR_BACKUP_CORRUPT)
                         && strstr ((const char *) data, "\n-> scrypt ") == NULL));
    }
  else if (g_str_equal (v.expect, "HMAC failure"))
    {
      g_assert_error (error, LB_ERROR, LB_ERROR_BACKUP_CORRUPT);
      g_assert_false (ok);
    }
  else if (g_str_equal (v.expect, "payload failure") || g_str_equal (v.expect, "success"))
    {
      g_autofree char *sum
          = g_compute_checksum_for_data (G_CHECKSUM_SHA256, plain->data, plain->len);

      if (g_str_equal (v.expect, "success"))
        {
          g_assert_no_error (error);
          g_assert_true (ok);
        }
      else
        {
          g_assert_error (error, LB_ERROR, LB_ERROR_BACKUP_CORRUPT);
          g_assert_false (ok);
        }
      g_assert_nonnull (v.payload);
      g_assert_cmpstr (sum, ==, v.payload);
    }
  else
    g_error ("%s: unknown expect: %s", name, v.expect);
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static void
test_vectors (void)
{
  g_autofree char *dir_path = g_test_build_filename (G_TEST_DIST, "data", "age", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GDir) dir = g_dir_open (dir_path, 0, &error);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  guint scrypt = 0;
  const char *name;

  g_assert_no_error (error);
  while ((name = g_dir_read_name (dir)) != NULL)
    if (!g_str_has_suffix (name, ".md"))
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *path = g_build_filename (dir_path, names->pdata[i], NULL);

      run_vector (names->pdata[i], path);
      scrypt += g_str_has_prefix (names->pdata[i], "scrypt");
    }
  /* All of them ran: README.md lists what was copied. */
  g_assert_cmpuint (names->len, ==, 85);
  g_assert_cmpuint (scrypt, ==, 25);
}

/* Round trips */

static guint8 *
pattern (gsize len)
{
  guint8 *data = g_malloc (len + 1);

  for (gsize i = 0; i < len; i++)
    data[i] = (guint8) ((i * 2654435761u) >> 13);
  return data;
}

static void
test_round_trips (void)
{
  const gsize sizes[]
      = { 0, 1, 65535, 65536, 65537, 2 * 65536, 3 * 65536 + 7, 5 * 1024 * 1024 + 3 };
  const gsize write_sizes[] = { 1, 7000, 65536, 1 << 20 };

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_autofree guint8 *data = pattern (sizes[i]);
      gsize write_size = write_sizes[i % G_N_ELEMENTS (write_sizes)];
      g_autoptr (GBytes) file = NULL;
      g_autoptr (GByteArray) plain = NULL;
      g_autoptr (GError) error = NULL;
      gsize chunks = sizes[i] == 0 ? 1 : (sizes[i] + 65535) / 65536;
      gsize header;

      /* Byte by byte only where it is quick. */
      if (write_size == 1 && sizes[i] > 70000)
        write_size = 4093;
      file = encrypt (data, sizes[i], write_size, PASSPHRASE);
      g_test_message ("%" G_GSIZE_FORMAT " bytes: %" G_GSIZE_FORMAT " encrypted", sizes[i],
                      g_bytes_get_size (file));
      g_assert_true (lb_age_sniff (g_bytes_get_data (file, NULL), g_bytes_get_size (file)));
      g_assert_true (
          lb_age_check_header (g_bytes_get_data (file, NULL), g_bytes_get_size (file), &error));
      g_assert_no_error (error);
      /* Chunks of 64 KiB, each with its 16-byte tag; a payload of a
       * whole number of chunks has no empty chunk after them. */
      header = g_bytes_get_size (file) - sizes[i] - 16 * chunks;
      g_assert_cmpuint (header, >, 100);
      g_assert_cmpuint (header, <, 200);
      g_assert_true (decrypt (file, PASSPHRASE, NULL, i % 2 ? 1000 : 100000, &plain, &error));
      g_assert_no_error (error);
      g_assert_cmpmem (plain->data, plain->len, data, sizes[i]);
    }
}

/* Two files of the same plaintext share nothing: salt, file key and
 * nonce are fresh each time. */
static void
test_fresh_randomness (void)
{
  g_autoptr (GBytes) a = encrypt ((const guint8 *) "x", 1, 1, PASSPHRASE);
  g_autoptr (GBytes) b = encrypt ((const guint8 *) "x", 1, 1, PASSPHRASE);

  g_assert_cmpuint (g_bytes_get_size (a), ==, g_bytes_get_size (b));
  g_assert_false (g_bytes_equal (a, b));
  g_assert_cmpmem (g_bytes_get_data (a, NULL), 22, LB_AGE_MAGIC, 22);
}

static void
test_sniff (void)
{
  g_assert_true (lb_age_sniff ((const guint8 *) LB_AGE_MAGIC "-> scrypt", 31));
  g_assert_false (lb_age_sniff ((const guint8 *) LB_AGE_MAGIC, 21));
  g_assert_false (lb_age_sniff ((const guint8 *) "age-encryption.org/v2\n", 22));
  g_assert_false (lb_age_sniff ((const guint8 *) "manifest.txt\0\0\0\0\0\0\0\0\0\0", 22));
}

/* The named errors */

static void
assert_fails (GBytes *file, const char *passphrase, gint code, gsize max_released)
{
  g_autoptr (GByteArray) plain = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_false (decrypt (file, passphrase, NULL, 65536, &plain, &error));
  g_assert_error (error, LB_ERROR, code);
  g_assert_cmpuint (plain->len, <=, max_released);
  g_assert_nonnull (error->message);
}

static void
test_wrong_passphrase (void)
{
  g_autoptr (GBytes) file = encrypt ((const guint8 *) "secret", 6, 6, PASSPHRASE);

  assert_fails (file, "correct horse battery stapler", LB_ERROR_BAD_PASSPHRASE, 0);
  assert_fails (file, "c", LB_ERROR_BAD_PASSPHRASE, 0);
}

static guint8 *
header_end_of (GBytes *file)
{
  const guint8 *data = g_bytes_get_data (file, NULL);
  const char *mac = g_strstr_len ((const char *) data, 200, "\n--- ");

  g_assert_nonnull (mac);
  return (guint8 *) strchr (mac + 1, '\n') + 1;
}

static void
test_truncated (void)
{
  gsize len = 3 * 65536 + 100;
  g_autofree guint8 *data = pattern (len);
  g_autoptr (GBytes) file = encrypt (data, len, len, PASSPHRASE);
  gsize header = (gsize) (header_end_of (file) - (const guint8 *) g_bytes_get_data (file, NULL));
  const gsize chunk = 65536 + 16;
  /* Inside the header, inside the nonce, no chunk, inside the first
   * chunk, at each chunk's end (dropping what follows), one byte short. */
  const gsize cuts[] = { 0,
                         10,
                         header - 1,
                         header + 8,
                         header + 16,
                         header + 16 + 100,
                         header + 16 + chunk,
                         header + 16 + 2 * chunk,
                         header + 16 + 3 * chunk,
                         g_bytes_get_size (file) - 1 };

  for (guint i = 0; i < G_N_ELEMENTS (cuts); i++)
    {
      g_autoptr (GBytes) cut = g_bytes_new_from_bytes (file, 0, cuts[i]);
      gsize released = cuts[i] <= header + 16 ? 0 : (cuts[i] - header - 16) / chunk * 65536;

      /* What authenticated may be released, never more. */
      assert_fails (cut, PASSPHRASE, LB_ERROR_BACKUP_CORRUPT, released);
    }
}

static GBytes *
flip (GBytes *file, gsize at, guint8 mask)
{
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (file, &len);
  guint8 *copy = g_memdup2 (data, len);

  copy[at] ^= mask;
  return g_bytes_new_take (copy, len);
}

/* Every byte of the header flipped: the file never opens. A flip in the
 * scrypt stanza's salt, work factor or wrapped key derives another key,
 * which is what a wrong passphrase looks like (age cannot tell them
 * apart); everywhere else it is damage. */
static void
test_tampered_header (void)
{
  g_autoptr (GBytes) file = encrypt ((const guint8 *) "secret", 6, 6, PASSPHRASE);
  const char *data = g_bytes_get_data (file, NULL);
  gsize header = (gsize) ((const char *) header_end_of (file) - data);
  gsize stanza_from = strlen (LB_AGE_MAGIC "-> scrypt ");
  gsize stanza_to = (gsize) (strstr (data, "\n---") - data);

  for (gsize at = 0; at < header + 16; at++)
    {
      g_autoptr (GBytes) bad = flip (file, at, 0x01);
      g_autoptr (GByteArray) plain = NULL;
      g_autoptr (GError) error = NULL;

      g_assert_false (decrypt (bad, PASSPHRASE, NULL, 4096, &plain, &error));
      g_assert_cmpuint (plain->len, ==, 0);
      if (at >= stanza_from && at < stanza_to && data[at] != ' ' && data[at] != '\n')
        g_assert_true (g_error_matches (error, LB_ERROR, LB_ERROR_BAD_PASSPHRASE)
                       || g_error_matches (error, LB_ERROR, LB_ERROR_BACKUP_CORRUPT));
      else
        g_assert_error (error, LB_ERROR, LB_ERROR_BACKUP_CORRUPT);
    }
}

static void
test_tampered_chunk (void)
{
  gsize len = 3 * 65536;
  g_autofree guint8 *data = pattern (len);
  g_autoptr (GBytes) file = encrypt (data, len, len, PASSPHRASE);
  gsize second = (gsize) (header_end_of (file) - (const guint8 *) g_bytes_get_data (file, NULL))
                 + 16 + 65536 + 16;

  /* In the second chunk's data, in its tag: the first chunk only is
   * released. */
  for (gsize at = second + 5; at < second + 65536 + 16; at += 65536)
    {
      g_autoptr (GBytes) bad = flip (file, at, 0x80);
      g_autoptr (GByteArray) plain = NULL;
      g_autoptr (GError) error = NULL;

      g_assert_false (decrypt (bad, PASSPHRASE, NULL, 65536, &plain, &error));
      g_assert_error (error, LB_ERROR, LB_ERROR_BACKUP_CORRUPT);
      g_assert_cmpmem (plain->data, plain->len, data, 65536);
    }
}

static void
test_trailing_data (void)
{
  g_autoptr (GBytes) file = encrypt ((const guint8 *) "secret", 6, 6, PASSPHRASE);
  g_autoptr (GByteArray) longer = g_byte_array_new ();

  g_byte_array_append (longer, g_bytes_get_data (file, NULL), g_bytes_get_size (file));
  g_byte_array_append (longer, (const guint8 *) "\0", 1);
  g_autoptr (GBytes) bad = g_byte_array_free_to_bytes (g_steal_pointer (&longer));
  assert_fails (bad, PASSPHRASE, LB_ERROR_BACKUP_CORRUPT, 0);
}

/* A work factor above the maximum is refused before scrypt would allocate
 * its memory (2^30 would be 1 TiB). */
static void
test_work_factor_above_max (void)
{
  g_autoptr (GBytes) file = encrypt ((const guint8 *) "secret", 6, 6, PASSPHRASE);
  g_autofree char *text = g_strndup (g_bytes_get_data (file, NULL), 200);
  const char *wfs[] = { "19", "30", "64", "100" };

  for (guint i = 0; i < G_N_ELEMENTS (wfs); i++)
    {
      g_autofree char *from = g_strdup_printf (" %u\n", TEST_WORK_FACTOR);
      g_autofree char *to = g_strdup_printf (" %s\n", wfs[i]);
      char *at = strstr (text, from);
      g_autoptr (GByteArray) bad = g_byte_array_new ();
      g_autoptr (GError) error = NULL;
      g_autoptr (GBytes) bytes = NULL;

      g_assert_nonnull (at);
      g_byte_array_append (bad, g_bytes_get_data (file, NULL), at - text);
      g_byte_array_append (bad, (const guint8 *) to, strlen (to));
      g_byte_array_append (
          bad, (const guint8 *) g_bytes_get_data (file, NULL) + (at - text) + strlen (from),
          g_bytes_get_size (file) - (at - text) - strlen (from));
      g_assert_false (lb_age_check_header (bad->data, bad->len, &error));
      g_assert_error (error, LB_ERROR, LB_ERROR_BACKUP_CORRUPT);
      g_assert_nonnull (strstr (error->message, "work factor"));
      bytes = g_byte_array_free_to_bytes (g_steal_pointer (&bad));
      assert_fails (bytes, PASSPHRASE, LB_ERROR_BACKUP_CORRUPT, 0);
    }
}

/* A stream dropped without a close (after an error) writes no final
 * chunk: what it wrote never decrypts whole. */
static void
test_abandoned (void)
{
  gsize len = 2 * 65536 + 10;
  g_autofree guint8 *data = pattern (len);
  g_autoptr (GError) error = NULL;
  g_autoptr (LbAgePassphrase) p = passphrase_new (PASSPHRASE);
  g_autoptr (GOutputStream) mem = g_memory_output_stream_new_resizable ();
  GOutputStream *out = lb_age_encrypt_stream_new (mem, p, TEST_WORK_FACTOR, &error);
  g_autoptr (GBytes) file = NULL;

  g_assert_no_error (error);
  g_output_stream_write_all (out, data, len, NULL, NULL, &error);
  g_assert_no_error (error);
  g_object_unref (out);
  g_assert_false (g_output_stream_is_closed (mem));
  g_output_stream_close (mem, NULL, &error);
  g_assert_no_error (error);
  file = g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (mem));
  assert_fails (file, PASSPHRASE, LB_ERROR_BACKUP_CORRUPT, 2 * 65536);
}

/* The two streams of a reader, and a read-back after writing, derive the
 * key once: a second open of the same file is instant. */
static void
test_key_reused (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LbAgePassphrase) p = passphrase_new (PASSPHRASE);
  g_autoptr (GOutputStream) mem = g_memory_output_stream_new_resizable ();
  g_autoptr (GOutputStream) out = lb_age_encrypt_stream_new (mem, p, 16, &error);
  g_autoptr (GBytes) file = NULL;
  gint64 start;

  g_assert_no_error (error);
  g_output_stream_close (out, NULL, &error);
  g_assert_no_error (error);
  file = g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (mem));
  start = g_get_monotonic_time ();
  for (int i = 0; i < 20; i++)
    {
      g_autoptr (GInputStream) m = g_memory_input_stream_new_from_bytes (file);
      g_autoptr (GInputStream) in = lb_age_decrypt_stream_new (m, p, NULL, &error);
      guint8 buf[1];

      g_assert_no_error (error);
      g_assert_cmpint (g_input_stream_read (in, buf, 1, NULL, &error), ==, 0);
      g_assert_no_error (error);
    }
  /* Twenty derivations at 2^16 would take seconds. */
  g_assert_cmpint (g_get_monotonic_time () - start, <, G_USEC_PER_SEC);
}

/* The age tool */

static char *
find_age (void)
{
  char *age = g_find_program_in_path ("age");

  if (age == NULL)
    g_test_skip ("the age tool is not installed (apt-get install age)");
  return age;
}

static void
test_age_decrypts_ours (void)
{
  g_autofree char *age = find_age ();
  g_autofree char *dir = NULL;
  g_autofree char *in = NULL, *out = NULL, *output = NULL, *back = NULL;
  g_autoptr (GError) error = NULL;
  gsize len = 200000, back_len = 0;
  g_autofree guint8 *data = pattern (len);
  g_autoptr (GBytes) file = NULL;

  if (age == NULL)
    return;
  dir = g_dir_make_tmp ("test-age-XXXXXX", &error);
  g_assert_no_error (error);
  in = g_build_filename (dir, "licenses.lbk", NULL);
  out = g_build_filename (dir, "licenses.tar", NULL);
  file = encrypt (data, len, 5000, PASSPHRASE);
  g_file_set_contents (in, g_bytes_get_data (file, NULL), g_bytes_get_size (file), &error);
  g_assert_no_error (error);
  const char *argv[] = { age, "-d", "-o", out, in, NULL };
  g_assert_cmpint (lb_test_run_on_tty (argv, PASSPHRASE, &output), ==, 0);
  g_file_get_contents (out, (char **) &back, &back_len, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (back, back_len, data, len);
  g_unlink (in);
  g_unlink (out);
  g_rmdir (dir);
}

static void
test_ours_decrypts_age (void)
{
  g_autofree char *age = find_age ();
  g_autofree char *dir = NULL, *in = NULL, *out = NULL, *output = NULL;
  g_autoptr (GError) error = NULL;
  gsize len = 3 * 65536; /* whole chunks: the final chunk is full */
  g_autofree guint8 *data = pattern (len);
  g_autofree char *contents = NULL;
  gsize contents_len = 0;
  g_autoptr (GBytes) file = NULL;
  g_autoptr (GByteArray) plain = NULL;

  if (age == NULL)
    return;
  dir = g_dir_make_tmp ("test-age-XXXXXX", &error);
  g_assert_no_error (error);
  in = g_build_filename (dir, "licenses.tar", NULL);
  out = g_build_filename (dir, "licenses.lbk", NULL);
  g_file_set_contents (in, (const char *) data, len, &error);
  g_assert_no_error (error);
  const char *argv[] = { age, "-p", "-o", out, in, NULL };
  g_assert_cmpint (lb_test_run_on_tty (argv, PASSPHRASE, &output), ==, 0);
  g_file_get_contents (out, &contents, &contents_len, &error);
  g_assert_no_error (error);
  file = g_bytes_new_take (g_steal_pointer (&contents), contents_len);
  /* age writes work factor 18: the most this reader accepts. */
  g_assert_nonnull (strstr (g_bytes_get_data (file, NULL), " 18\n"));
  g_assert_true (decrypt (file, PASSPHRASE, NULL, 10000, &plain, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (plain->data, plain->len, data, len);
  g_clear_pointer (&plain, g_byte_array_unref);
  assert_fails (file, "not the passphrase", LB_ERROR_BAD_PASSPHRASE, 0);
  g_unlink (in);
  g_unlink (out);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/age/vectors", test_vectors);
  g_test_add_func ("/age/round-trips", test_round_trips);
  g_test_add_func ("/age/fresh-randomness", test_fresh_randomness);
  g_test_add_func ("/age/sniff", test_sniff);
  g_test_add_func ("/age/key-reused", test_key_reused);
  g_test_add_func ("/age/abandoned", test_abandoned);
  g_test_add_func ("/age/errors/wrong-passphrase", test_wrong_passphrase);
  g_test_add_func ("/age/errors/truncated", test_truncated);
  g_test_add_func ("/age/errors/tampered-header", test_tampered_header);
  g_test_add_func ("/age/errors/tampered-chunk", test_tampered_chunk);
  g_test_add_func ("/age/errors/trailing-data", test_trailing_data);
  g_test_add_func ("/age/errors/work-factor-above-max", test_work_factor_above_max);
  g_test_add_func ("/age/interop/age-decrypts-ours", test_age_decrypts_ours);
  g_test_add_func ("/age/interop/ours-decrypts-age", test_ours_decrypts_age);
  return g_test_run ();
}
