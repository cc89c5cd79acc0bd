/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reliability: hostile backups, crafted by the test and restored by the real
 * daemon.
 *
 * Every case must end with status ERROR and BackupCorrupt, while the daemon's
 * peak RSS (VmHWM in /proc/PID/status; a fresh daemon per case) stays
 * under 64 MiB, the store stays exactly as it was, and nothing is written
 * outside the store: the backup folder's tree and the machine's tree
 * (less the store folder and the daemon logs) are compared before and
 * after, and the paths that the crafted names point at must not exist.
 *
 * The cases: entry names with "../" and absolute names; symlink, hard
 * link, character and block device and FIFO entries; a manifest that
 * lists a license twice or misses one; an entry that declares 10 GiB; a
 * backup compressed with gzip, bzip2 and xz whose contents expand
 * 1000-fold; a pax (GNU.sparse 1.0) sparse entry of 1 GiB; 100,000 empty
 * entries; a future format version; and three made to exhaust memory: a
 * pax extended header and a GNU long-name entry declaring 8 GiB, and a
 * manifest claiming 100,000,000 licenses.
 */
#include "config.h"

#include <archive.h>
#include <archive_entry.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lb-archive.h"
#include "rel-util.h"

#define RSS_LIMIT_KIB (64 * 1024)

/* A raw ustar header block declaring @size bytes (base-256 when it does
 * not fit in 11 octal digits, as GNU tar writes it). */
static void
append_raw_header (GByteArray *out, const char *name, char type, guint64 size)
{
  guint8 h[512] = { 0 };
  guint sum = 0;

  g_strlcpy ((char *) h, name, 100);
  memcpy (h + 100, "0000600", 8);
  memcpy (h + 108, "0000000", 8);
  memcpy (h + 116, "0000000", 8);
  if (size <= G_GUINT64_CONSTANT (077777777777))
    g_snprintf ((char *) h + 124, 12, "%011" G_GINT64_MODIFIER "o", size);
  else
    {
      h[124] = 0x80;
      for (int i = 0; i < 8; i++)
        h[135 - i] = (guint8) (size >> (8 * i));
    }
  memcpy (h + 136, "00000000000", 12);
  h[156] = (guint8) type;
  memcpy (h + 257, "ustar", 6);
  memcpy (h + 263, "00", 2);
  memset (h + 148, ' ', 8);
  for (guint i = 0; i < 512; i++)
    sum += h[i];
  g_snprintf ((char *) h + 148, 8, "%06o", sum);
  g_byte_array_append (out, h, 512);
}

/* A pax archive: manifest.txt holding @manifest_text, then @entries,
 * through the compression filter @filter (ARCHIVE_FILTER_NONE...). An
 * entry whose declared size exceeds its data ends the archive right after
 * its data (written by hand: libarchive would pad it to the size). */
static GBytes *
craft (const char *manifest_text, const LbTestCraftEntry *entries, guint n, int filter)
{
  GByteArray *out = g_byte_array_new ();
  struct archive *a = lb_test_archive_writer_new (out, filter);
  struct archive_entry *e = archive_entry_new ();
  const LbTestCraftEntry *cut = NULL;

  lb_test_archive_write_file (a, e, LB_MANIFEST_NAME, manifest_text, strlen (manifest_text));

  for (guint i = 0; i < n; i++)
    {
      gsize len = entries[i].data != NULL ? g_bytes_get_size (entries[i].data) : 0;

      if (entries[i].sparse_size <= 0 && entries[i].declared_size > (gint64) len)
        {
          cut = &entries[i];
          break;
        }
      lb_test_archive_entry_reset (e, entries[i].name, entries[i].type, entries[i].target);
      if (entries[i].type == AE_IFCHR || entries[i].type == AE_IFBLK)
        archive_entry_set_rdev (e, 0x0801);
      if (entries[i].sparse_size > 0)
        {
          archive_entry_set_size (e, entries[i].sparse_size);
          archive_entry_sparse_add_entry (e, 0, (la_int64_t) len);
        }
      else
        archive_entry_set_size (e, entries[i].declared_size >= 0 ? entries[i].declared_size
                                                                 : (la_int64_t) len);
      archive_write_header (a, e);
      if (len > 0)
        archive_write_data (a, g_bytes_get_data (entries[i].data, NULL), len);
    }
  archive_write_close (a);
  archive_write_free (a);
  archive_entry_free (e);
  if (cut != NULL)
    {
      /* Replace the end-of-archive blocks with the entry, cut short. */
      g_assert_cmpint (filter, ==, ARCHIVE_FILTER_NONE);
      g_byte_array_set_size (out, out->len - 1024);
      append_raw_header (out, cut->name, '0', (guint64) cut->declared_size);
      g_byte_array_append (out, g_bytes_get_data (cut->data, NULL),
                           (guint) g_bytes_get_size (cut->data));
    }
  return g_byte_array_free_to_bytes (out);
}

/* A license's entry bytes; its blob is random, or zeros when @zero. */
static void
append_filler (GByteArray *out, gsize len)
{
  g_autofree guint8 *data = g_malloc (len);

  memset (data, 'A', len);
  g_byte_array_append (out, data, (guint) len);
}

static GBytes *
encoded (const char *key_id, gsize blob_size, gboolean zero)
{
  g_autoptr (LbRecord) l = lb_record_new (key_id, NULL);

  l->blob = zero ? g_bytes_new_take (g_malloc0 (blob_size), blob_size)
                 : rel_blob (1, 1, blob_size, blob_size);
  return lb_record_encode (l);
}

static void
append_digest (GString *s, GBytes *data)
{
  guint8 d[LB_DIGEST_LEN];

  lb_digest (data, d);
  for (guint j = 0; j < LB_DIGEST_LEN; j++)
    g_string_append_printf (s, "%02x", d[j]);
  g_string_append_c (s, '\n');
}

/* A manifest for @n entries whose data are @datas (the digest of the empty
 * string where @datas is NULL). */
static char *
manifest_for (guint version, const char *machine, GBytes *const *datas, guint n)
{
  GString *s = g_string_new (NULL);
  g_autoptr (GBytes) empty = g_bytes_new_static ("", 0);

  g_string_append_printf (s,
                          "license-backup manifest\nformat-version %u\ncreated 1\nmachine %s\n"
                          "count %u\n\n",
                          version, machine, n);
  for (guint i = 0; i < n; i++)
    append_digest (s, datas != NULL ? datas[i] : empty);
  return g_string_free (s, FALSE);
}

typedef struct
{
  const char *what;
  GBytes *bytes;
  /* paths that must not exist afterwards (absolute, or relative to the
   * backup folder) */
  const char *escapes[3];
} Case;

/* Adds the case @what, a backup file of @bytes (taken), to @cases. */
static Case *
add_case (GPtrArray *cases, const char *what, GBytes *bytes)
{
  Case *c = g_new0 (Case, 1);

  c->what = what;
  c->bytes = bytes;
  g_ptr_array_add (cases, c);
  return c;
}

static GPtrArray *
make_cases (const char *machine, const char *abs_target)
{
  GPtrArray *cases = g_ptr_array_new ();
  g_autoptr (GBytes) a = encoded ("a", 4, FALSE);
  g_autoptr (GBytes) b = encoded ("b", 4, FALSE);
  g_autoptr (GBytes) big = encoded ("z", 1024 * 1024, TRUE);
  GBytes *ab[] = { a, b };
  GBytes *aa[] = { a, a };
  g_autofree char *m_a = manifest_for (1, machine, ab, 1);
  g_autofree char *m_ab = manifest_for (1, machine, ab, 2);
  g_autofree char *m_aa = manifest_for (1, machine, aa, 2);
  g_autofree char *m_big = manifest_for (1, machine, &big, 1);
  g_autofree char *m_future = manifest_for (3, machine, ab, 1);
  g_autofree char *m_empty = manifest_for (1, machine, NULL, 1);
  g_autoptr (GBytes) zeros = g_bytes_new_take (g_malloc0 (64 * 1024 * 1024), 64 * 1024 * 1024);
  g_autoptr (GBytes) tiny = g_bytes_new_static ("x", 1);
  Case *c;

#define ADD(w, m, n, filter, ...) \
  c = add_case (cases, w, craft (m, (LbTestCraftEntry[]){ __VA_ARGS__ }, n, filter))

  ADD ("name with ../ (licenses/../../escape-dotdot)", m_a, 1, ARCHIVE_FILTER_NONE,
       { "licenses/../../escape-dotdot", NULL, AE_IFREG, a, -1, 0 });
  c->escapes[0] = "../escape-dotdot";
  c->escapes[1] = "escape-dotdot";
  ADD ("name with ../ at the top (../escape-top)", m_a, 1, ARCHIVE_FILTER_NONE,
       { "../escape-top", NULL, AE_IFREG, a, -1, 0 });
  c->escapes[0] = "../escape-top";
  ADD ("absolute name", m_a, 1, ARCHIVE_FILTER_NONE, { abs_target, NULL, AE_IFREG, a, -1, 0 });
  c->escapes[0] = abs_target;
  ADD ("symlink entry to /etc/passwd", m_a, 1, ARCHIVE_FILTER_NONE,
       { "licenses/a", "/etc/passwd", AE_IFLNK, NULL, 0, 0 });
  ADD ("symlink entry, then a file through it", m_a, 2, ARCHIVE_FILTER_NONE,
       { "licenses/link", "..", AE_IFLNK, NULL, 0, 0 },
       { "licenses/link/escape-symlink", NULL, AE_IFREG, a, -1, 0 });
  c->escapes[0] = "escape-symlink";
  c->escapes[1] = "licenses";
  ADD ("hard link entry to manifest.txt", m_a, 1, ARCHIVE_FILTER_NONE,
       { "licenses/a", "manifest.txt", AE_IFREG, NULL, 0, 0 });
  ADD ("hard link entry to /etc/passwd", m_a, 1, ARCHIVE_FILTER_NONE,
       { "licenses/a", "/etc/passwd", AE_IFREG, NULL, 0, 0 });
  ADD ("character device entry", m_a, 1, ARCHIVE_FILTER_NONE,
       { "licenses/a", NULL, AE_IFCHR, NULL, 0, 0 });
  ADD ("block device entry", m_a, 1, ARCHIVE_FILTER_NONE,
       { "licenses/a", NULL, AE_IFBLK, NULL, 0, 0 });
  ADD ("FIFO entry", m_a, 1, ARCHIVE_FILTER_NONE, { "licenses/a", NULL, AE_IFIFO, NULL, 0, 0 });
  ADD ("manifest lists a license twice", m_aa, 2, ARCHIVE_FILTER_NONE,
       { "licenses/a", NULL, AE_IFREG, a, -1, 0 }, { "licenses/a", NULL, AE_IFREG, a, -1, 0 });
  ADD ("manifest misses a license", m_a, 2, ARCHIVE_FILTER_NONE,
       { "licenses/a", NULL, AE_IFREG, a, -1, 0 }, { "licenses/b", NULL, AE_IFREG, b, -1, 0 });
  ADD ("manifest lists a license the archive lacks", m_ab, 1, ARCHIVE_FILTER_NONE,
       { "licenses/a", NULL, AE_IFREG, a, -1, 0 });
  ADD ("entry declaring 10 GiB", m_a, 1, ARCHIVE_FILTER_NONE,
       { "licenses/a", NULL, AE_IFREG, a, (gint64) 10 * 1024 * 1024 * 1024, 0 });
  ADD ("gzip: 65 MiB of entries, 1000-fold", m_big, 2, ARCHIVE_FILTER_GZIP,
       { "licenses/z", NULL, AE_IFREG, big, -1, 0 },
       { "licenses/zeros", NULL, AE_IFREG, zeros, -1, 0 });
  ADD ("bzip2: 65 MiB of entries", m_big, 2, ARCHIVE_FILTER_BZIP2,
       { "licenses/z", NULL, AE_IFREG, big, -1, 0 },
       { "licenses/zeros", NULL, AE_IFREG, zeros, -1, 0 });
  ADD ("xz: 65 MiB of entries", m_big, 2, ARCHIVE_FILTER_XZ,
       { "licenses/z", NULL, AE_IFREG, big, -1, 0 },
       { "licenses/zeros", NULL, AE_IFREG, zeros, -1, 0 });
  ADD ("pax sparse entry of 1 GiB holding 1 byte", m_a, 1, ARCHIVE_FILTER_NONE,
       { "licenses/a", NULL, AE_IFREG, tiny, -1, (gint64) 1024 * 1024 * 1024 });
  ADD ("future format version 3", m_future, 1, ARCHIVE_FILTER_NONE,
       { "licenses/a", NULL, AE_IFREG, a, -1, 0 });
#undef ADD

  /* 100,000 empty entries, listed by the manifest. */
  {
    g_autofree char *m = manifest_for (1, machine, NULL, 100000);
    g_autofree LbTestCraftEntry *entries = g_new0 (LbTestCraftEntry, 100000);
    g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);

    for (guint i = 0; i < 100000; i++)
      {
        g_ptr_array_add (names, g_strdup_printf ("licenses/k%06u", i));
        entries[i] = (LbTestCraftEntry){ names->pdata[i], NULL, AE_IFREG, NULL, 0, 0 };
      }
    add_case (cases, "100,000 empty entries", craft (m, entries, 100000, ARCHIVE_FILTER_NONE));
    (void) m_empty;
  }

  /* Made to exhaust memory: headers that declare gigabytes. */
  static const struct
  {
    const char *name;
    char type;
    const char *what;
  } huge[] = {
    { "PaxHeader/manifest.txt", 'x', "pax extended header declaring 8 GiB" },
    { "././@LongLink", 'L', "GNU long-name entry declaring 8 GiB" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (huge); i++)
    {
      GByteArray *out = g_byte_array_new ();

      append_raw_header (out, huge[i].name, huge[i].type, G_GUINT64_CONSTANT (077777777777));
      append_filler (out, 64 * 1024);
      add_case (cases, huge[i].what, g_byte_array_free_to_bytes (out));
    }
  {
    /* count 100,000,000: a 6.5 GB manifest, of which 1 MiB is there. */
    GByteArray *out = g_byte_array_new ();
    g_autofree char *header = g_strdup_printf ("license-backup manifest\nformat-version 1\n"
                                               "created 1\nmachine %s\ncount 100000000\n\n",
                                               machine);
    guint64 size = strlen (header) + G_GUINT64_CONSTANT (100000000) * 65;

    append_raw_header (out, LB_MANIFEST_NAME, '0', size);
    g_byte_array_append (out, (const guint8 *) header, (guint) strlen (header));
    for (guint i = 0; i < 16384; i++)
      g_byte_array_append (out,
                           (const guint8 *) "0000000000000000000000000000000000000000000000000"
                                            "000000000000000\n",
                           65);
    add_case (cases, "manifest claiming 100,000,000 licenses (6.5 GB), 1 MiB of it present",
              g_byte_array_free_to_bytes (out));
  }
  return cases;
}

static void
test_hostile (void)
{
  g_auto (RelEnv) e = { 0 };
  gint64 t0 = g_get_monotonic_time ();

  if (!rel_env_init (&e, "hostile", 0, FALSE))
    return;
  LbTestBus *bus = e.bus;
  LbTestMachine *machine = e.machine;
  g_autofree char *outside = lb_test_make_tmp_dir ("outside");
  g_autofree char *abs_target = g_build_filename (outside, "escape-absolute", NULL);
  const char *root = lb_test_machine_get_root (machine);
  /* The store's folder is the service's own (a restore that finds a
   * backup damaged records it there, in verified.ini): everything else
   * must stay as it was. */
  const char *const skip[] = { "data/license-backup", "daemon-", NULL };
  gint64 peak_all = 0;
  const char *peak_case = "";
  guint refused = 0;

  /* A store with licenses of its own, which must come through untouched. */
  if (!rel_store_range (bus, "own-", 0, 20, 21, 10, 2000, 100))
    return;
  g_autoptr (GHashTable) before = rel_dump_bus_ok (bus);
  lb_test_machine_stop_daemon (machine);

  g_autoptr (GPtrArray) cases = make_cases (lb_test_machine_get_app_id (machine), abs_target);
  for (guint i = 0; i < cases->len; i++)
    {
      Case *c = cases->pdata[i];
      /* The backup folder sits inside the machine, so that escapes land
       * in the compared tree. */
      g_autofree char *parent = g_strdup_printf ("%s/home/location-%u", root, i);
      g_autofree char *dir = g_build_filename (parent, "backups", NULL);
      g_autofree char *file = g_build_filename (dir, LB_BACKUP_FILE_NAME, NULL);
      RelOutcome o;

      g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
      if (!rel_write_file (file, c->bytes))
        return;
      LbTestDaemon *daemon = rel_start_daemon (machine, NULL);
      if (daemon == NULL)
        return;
      g_autofree char *tree_before = rel_tree_listing (root, skip);
      g_autofree char *dir_before = rel_tree_listing (dir, NULL);

      if (!rel_op_run (bus, FALSE, 0, dir, 60000, &o))
        {
          rel_fail ("%s: the restore did not end", c->what);
          return;
        }
      gint64 hwm = rel_proc_vmhwm_kib (lb_test_daemon_get_pid (daemon));
      if (o.status != LB_STATUS_ERROR
          || !g_str_equal (o.error_name, lb_test_error_dbus_name (LB_ERROR_BACKUP_CORRUPT))
          || o.error[0] == '\0')
        rel_fail ("%s: ended with status %u, %s “%s”, not BackupCorrupt", c->what, o.status,
                  o.error_name, o.error);
      else
        refused++;
      g_test_message ("%s (%zu bytes on disk): status %u, %s; peak RSS %" G_GINT64_FORMAT " KiB",
                      c->what, g_bytes_get_size (c->bytes), o.status, o.error, hwm);
      rel_outcome_clear (&o);

      if (hwm > peak_all)
        {
          peak_all = hwm;
          peak_case = c->what;
        }
      if (!REL_ASAN && (hwm < 0 || hwm > RSS_LIMIT_KIB))
        rel_fail ("%s: the daemon's peak RSS was %" G_GINT64_FORMAT " KiB (limit %d)", c->what, hwm,
                  RSS_LIMIT_KIB);

      /* Nothing written outside the store. */
      if (!rel_assert_get_status (bus, 5000))
        return;
      g_autofree char *tree_after = rel_tree_listing (root, skip);
      g_autofree char *dir_after = rel_tree_listing (dir, NULL);
      g_assert_cmpstr (dir_after, ==, dir_before);
      g_assert_cmpstr (tree_after, ==, tree_before);
      for (guint k = 0; k < G_N_ELEMENTS (c->escapes) && c->escapes[k] != NULL; k++)
        {
          g_autofree char *p = g_path_is_absolute (c->escapes[k])
                                   ? g_strdup (c->escapes[k])
                                   : g_build_filename (dir, c->escapes[k], NULL);
          g_autofree char *in_root = g_path_is_absolute (c->escapes[k])
                                         ? NULL
                                         : g_build_filename (root, c->escapes[k], NULL);

          if (g_file_test (p, G_FILE_TEST_EXISTS)
              || (in_root != NULL && g_file_test (in_root, G_FILE_TEST_EXISTS)))
            rel_fail ("%s: %s was written", c->what, p);
        }
      g_autoptr (GHashTable) after = rel_dump_bus_ok (bus);
      if (after == NULL)
        return;
      rel_dump_expect (after, before, "%s: the store changed", c->what);

      lb_test_machine_stop_daemon (machine);
      lb_test_rm_rf (parent);
      if (g_test_failed ())
        break;
    }
  g_test_message (
      "FIGURE hostile: %u of %u crafted backups refused with BackupCorrupt by the "
      "daemon, store untouched, nothing written outside it; highest peak RSS %" G_GINT64_FORMAT
      " KiB (%s)%s; %.1f s",
      refused, cases->len, peak_all, peak_case,
      REL_ASAN ? " [AddressSanitizer build: RSS not checked]" : "",
      (g_get_monotonic_time () - t0) / 1e6);
  for (guint i = 0; i < cases->len; i++)
    {
      Case *c = cases->pdata[i];
      g_bytes_unref (c->bytes);
      g_free (c);
    }
  g_assert_false (g_file_test (abs_target, G_FILE_TEST_EXISTS));
}

int
main (int argc, char **argv)
{
  rel_init (&argc, &argv);
  g_test_add_func ("/reliability/hostile/restore", test_hostile);
  return g_test_run ();
}
