/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reliability: corrupt backups.
 *
 * A real backup of 300 licenses, made by the daemon, is damaged in 600+
 * ways: 500 single-byte flips at random offsets (seeded; the seed is
 * printed, LB_RELIABILITY_SEED overrides it), truncation at 100 offsets,
 * zero-filled 4 KiB blocks at 8 places, 4 appended tails, 3 reorderings
 * of entries (swapped pairs, a duplicate).
 *
 * Each damaged file is restored into a store that already holds licenses
 * of its own. Every case must either restore exactly the original
 * licenses (the damage hit bytes that nothing trusts, such as tar
 * padding) or end with BackupCorrupt and a store identical to before:
 * never another error, a crash, a hang or a partly applied restore.
 *
 * /reliability/corrupt/in-process runs every case through lb_restore_run()
 * (src/restore.h), the function the daemon's worker thread runs, on real
 * files and real stores: 600 restores over D-Bus would take minutes.
 * /reliability/corrupt/daemon runs a representative subset (the first 40
 * flips, every 10th truncation, every zero block, tail and reordering)
 * through RestoreLicenses on the real daemon.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "lb-archive.h"
#include "error-convert.h"
#include "rel-util.h"
#include "restore.h"

#define N_FLIPS 500
#define N_TRUNCATIONS 100
#define N_SOURCE 300
#define N_LOCAL 5
#define DEFAULT_SEED 20261122u

typedef struct
{
  char *what;
  GBytes *bytes;
  gboolean daemon_subset;
} Case;

static void
case_free (Case *c)
{
  g_free (c->what);
  g_bytes_unref (c->bytes);
  g_free (c);
}

/* The shared backup, made once per program. */
static struct
{
  LbTestBus *bus;
  LbTestMachine *machine;
  char *backup_dir;
  GBytes *backup;
  GHashTable *source; /* the licenses the backup holds */
  GPtrArray *cases;
  guint32 seed;
} g;

/* Tar structure: the offset and length (headers, data, padding) of each
 * entry, a pax extended header counted with the entry it describes. */
typedef struct
{
  gsize offset, length;
} Span;

static GArray *
tar_entries (GBytes *bytes)
{
  gsize len;
  const guint8 *p = g_bytes_get_data (bytes, &len);
  GArray *spans = g_array_new (FALSE, FALSE, sizeof (Span));
  gsize off = 0;
  gsize start = 0;
  gboolean in_entry = FALSE;

  while (off + 512 <= len)
    {
      char size_field[13] = { 0 };
      guint64 size;
      char type = (char) p[off + 156];
      gboolean zero = TRUE;

      for (guint i = 0; i < 512 && zero; i++)
        zero = p[off + i] == 0;
      if (zero)
        break;
      if (!in_entry)
        start = off;
      memcpy (size_field, p + off + 124, 12);
      size = g_ascii_strtoull (size_field, NULL, 8);
      off += 512 + (gsize) ((size + 511) / 512 * 512);
      in_entry = type == 'x' || type == 'g';
      if (!in_entry)
        {
          Span s = { start, off - start };
          g_array_append_val (spans, s);
        }
    }
  return spans;
}

/* @bytes with entries @i and @j (i < j) swapped, or with entry @j
 * replaced by a copy of entry @i when @duplicate. */
static GBytes *
reorder (GBytes *bytes, GArray *spans, guint i, guint j, gboolean duplicate)
{
  const guint8 *p = g_bytes_get_data (bytes, NULL);
  gsize len = g_bytes_get_size (bytes);
  Span a = g_array_index (spans, Span, i);
  Span b = g_array_index (spans, Span, j);
  GByteArray *out = g_byte_array_sized_new ((guint) len);

  g_byte_array_append (out, p, (guint) a.offset);
  g_byte_array_append (out, p + (duplicate ? a.offset : b.offset),
                       (guint) (duplicate ? a.length : b.length));
  g_byte_array_append (out, p + a.offset + a.length, (guint) (b.offset - a.offset - a.length));
  g_byte_array_append (out, p + a.offset, (guint) a.length);
  g_byte_array_append (out, p + b.offset + b.length, (guint) (len - b.offset - b.length));
  return g_byte_array_free_to_bytes (out);
}

static void add_case (gboolean daemon_subset, GBytes *bytes, const char *fmt, ...)
    G_GNUC_PRINTF (3, 4);

static void
add_case (gboolean daemon_subset, GBytes *bytes, const char *fmt, ...)
{
  Case *c = g_new0 (Case, 1);
  va_list ap;

  va_start (ap, fmt);
  c->what = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  c->bytes = bytes;
  c->daemon_subset = daemon_subset;
  g_ptr_array_add (g.cases, c);
}

static void
make_cases (void)
{
  gsize len = g_bytes_get_size (g.backup);
  const guint8 *orig = g_bytes_get_data (g.backup, NULL);
  g_autoptr (GRand) rand = g_rand_new_with_seed (g.seed);
  g_autoptr (GArray) spans = tar_entries (g.backup);
  guint n = spans->len; /* manifest + licenses */
  Span manifest = g_array_index (spans, Span, 0);
  Span first = g_array_index (spans, Span, 1);
  Span middle = g_array_index (spans, Span, n / 2);
  Span last = g_array_index (spans, Span, n - 1);
  gsize zero_at[] = {
    0,                         /* the manifest's header block */
    manifest.offset + 512,     /* the manifest's text */
    first.offset,              /* the first license's header */
    first.offset + 512,        /* its data */
    middle.offset + 700,       /* across a license in the middle */
    last.offset,               /* the last license */
    last.offset + last.length, /* the end-of-archive blocks */
    len / 3,                   /* anywhere */
  };

  g_assert_cmpuint (n, ==, N_SOURCE + 1);
  g.cases = g_ptr_array_new_with_free_func ((GDestroyNotify) case_free);

  for (guint i = 0; i < N_FLIPS; i++)
    {
      guint8 *copy = g_memdup2 (orig, len);
      gsize off = (gsize) g_rand_int_range (rand, 0, (gint32) len);
      guint8 x = (guint8) g_rand_int_range (rand, 1, 256);

      copy[off] ^= x;
      add_case (i < 40, g_bytes_new_take (copy, len), "flip %u: byte %zu ^= 0x%02x", i + 1, off, x);
    }
  for (guint i = 0; i < N_TRUNCATIONS; i++)
    {
      gsize at = len * i / N_TRUNCATIONS;
      add_case (i % 10 == 0, g_bytes_new_from_bytes (g.backup, 0, at),
                "truncation %u: %zu of %zu bytes", i + 1, at, len);
    }
  for (guint i = 0; i < G_N_ELEMENTS (zero_at); i++)
    {
      guint8 *copy = g_memdup2 (orig, len);
      gsize at = MIN (zero_at[i], len - 4096);

      memset (copy + at, 0, 4096);
      add_case (TRUE, g_bytes_new_take (copy, len), "zero block %u: 4096 bytes at %zu", i + 1, at);
    }
  {
    guint8 *copy = g_malloc (len + 4096);
    g_autoptr (GRand) tail_rand = g_rand_new_with_seed (g.seed + 1);

    memcpy (copy, orig, len);
    for (gsize i = 0; i < 4096; i++)
      copy[len + i] = (guint8) g_rand_int (tail_rand);
    add_case (TRUE, g_bytes_new_take (copy, len + 4096), "tail: 4096 random bytes appended");
  }
  {
    guint8 *copy = g_malloc (len + 1);

    memcpy (copy, orig, len);
    copy[len] = 'x';
    add_case (TRUE, g_bytes_new_take (copy, len + 1), "tail: 1 byte appended");
  }
  {
    /* A well-formed license entry after the end-of-archive blocks. */
    guint8 *copy = g_malloc (len + first.length);

    memcpy (copy, orig, len);
    memcpy (copy + len, orig + first.offset, first.length);
    add_case (TRUE, g_bytes_new_take (copy, len + first.length),
              "tail: a copy of the first license entry appended");
  }
  {
    /* A valid entry spliced in before the end-of-archive blocks. */
    gsize end = last.offset + last.length;
    guint8 *copy = g_malloc (len + first.length);

    memcpy (copy, orig, end);
    memcpy (copy + end, orig + first.offset, first.length);
    memcpy (copy + end + first.length, orig + end, len - end);
    add_case (TRUE, g_bytes_new_take (copy, len + first.length),
              "tail: a copy of the first license entry before the end-of-archive blocks");
  }
  add_case (TRUE, reorder (g.backup, spans, 1, 2, FALSE),
            "swapped pair: the first two license entries");
  add_case (TRUE, reorder (g.backup, spans, 1, n - 1, FALSE),
            "swapped pair: the first and the last license entries");
  add_case (TRUE, reorder (g.backup, spans, 10, 11, TRUE),
            "duplicate: license entry 11 replaced by a copy of entry 10");
}

/* The program's shared state: a daemon-made backup. */
static gboolean
setup_backup (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  RelOutcome o;

  if (g.backup != NULL)
    return TRUE;
  g.seed = rel_seed (DEFAULT_SEED);
  g_test_message ("seed %u (LB_RELIABILITY_SEED=%u reproduces this run)", g.seed, g.seed);
  g.bus = lb_test_bus_new (LB_TEST_BUS_DEFAULT);
  g.machine = lb_test_machine_new (g.bus, "corrupt");
  g.backup_dir = lb_test_make_tmp_dir ("backup");
  rel_machine_set_daemon_env (g.machine, 0, FALSE);
  if (rel_start_daemon (g.machine, NULL) == NULL)
    return FALSE;
  if (!rel_store_range (g.bus, "c-", 0, N_SOURCE, 11, 50, 3000, 10000))
    return FALSE;
  g.source = rel_dump_bus (g.bus, &error);
  g_assert_no_error (error);
  if (!rel_op_run (g.bus, TRUE, 0, g.backup_dir, 30000, &o))
    return FALSE;
  g_assert_cmpuint (o.status, ==, LB_STATUS_END);
  rel_outcome_clear (&o);
  path = lb_test_newest_backup (g.backup_dir);
  g.backup = lb_test_read_bytes (path);
  g_assert_nonnull (g.backup);
  g_test_message ("backup: %u licenses, %zu bytes", N_SOURCE, g_bytes_get_size (g.backup));
  make_cases ();
  return TRUE;
}

static void
write_new_file (const char *path, GBytes *bytes)
{
  g_autoptr (GError) error = NULL;

  g_file_set_contents_full (path, g_bytes_get_data (bytes, NULL), (gssize) g_bytes_get_size (bytes),
                            G_FILE_SET_CONTENTS_NONE, 0600, &error);
  g_assert_no_error (error);
}

static GPtrArray *
local_licenses (void)
{
  GPtrArray *licenses = g_ptr_array_new_with_free_func ((GDestroyNotify) lb_record_free);

  for (guint i = 0; i < N_LOCAL; i++)
    {
      g_autofree char *key = rel_key ("local-", i);
      LbRecord *l = lb_record_new (key, NULL);

      l->blob = rel_blob (i, 99, 10, 500);
      l->attrs.issuer = g_strdup ("Local Issuer");
      g_ptr_array_add (licenses, l);
    }
  return licenses;
}

typedef struct
{
  guint exact, refused;
  gint64 slowest_us;
  char *slowest;
} Tally;

/* Counts the case @what, which took from @start until now. */
static void
tally_time (Tally *t, const char *what, gint64 start)
{
  gint64 took = g_get_monotonic_time () - start;

  if (took > t->slowest_us)
    {
      t->slowest_us = took;
      g_free (t->slowest);
      t->slowest = g_strdup (what);
    }
}

static void
test_in_process (void)
{
  g_autofree char *scratch = lb_test_make_tmp_dir ("scratch");
  g_autofree char *template_dir = g_build_filename (scratch, "template", NULL);
  g_autoptr (GHashTable) before = NULL;
  g_autoptr (GHashTable) after_exact = NULL;
  g_autoptr (GError) error = NULL;
  Tally t = { 0 };
  gint64 t0;

  if (!setup_backup ())
    return;

  /* The store every case starts from: five licenses of its own. */
  {
    g_autoptr (LbStore) store
        = lb_store_open (template_dir, lb_test_machine_get_app_id (g.machine), &error);
    g_autoptr (GPtrArray) local = local_licenses ();

    g_assert_no_error (error);
    if (store == NULL)
      return;
    g_assert_true (lb_store_put (store, "", (LbRecord *const *) local->pdata, local->len, &error));
    g_assert_no_error (error);
    before = rel_dump_store (store, &error);
    g_assert_no_error (error);
  }
  after_exact = rel_dump_union (before, g.source);

  t0 = g_get_monotonic_time ();
  for (guint i = 0; i < g.cases->len; i++)
    {
      Case *c = g.cases->pdata[i];
      g_autofree char *dir = g_strdup_printf ("%s/case-%u", scratch, i);
      g_autofree char *store_dir = g_build_filename (dir, "store", NULL);
      g_autofree char *file = g_build_filename (dir, LB_BACKUP_FILE_NAME, NULL);
      g_autoptr (GFile) location = g_file_new_for_path (dir);
      g_autoptr (LbOperation) op = lb_operation_new (1, LB_OPERATION_RESTORE, 0, location, NULL);
      g_autoptr (GError) local_error = NULL;

      g_assert_cmpint (g_mkdir (dir, 0700), ==, 0);
      if (!rel_copy_dir_files (template_dir, store_dir))
        return;
      write_new_file (file, c->bytes);
      g_autoptr (LbStore) store
          = lb_store_open (store_dir, lb_test_machine_get_app_id (g.machine), &error);
      g_assert_no_error (error);
      if (store == NULL)
        return;

      gint64 start = g_get_monotonic_time ();
      gboolean ok = lb_restore_run (store, op, &local_error);
      tally_time (&t, c->what, start);

      g_autoptr (GHashTable) got = rel_dump_store (store, &error);
      g_assert_no_error (error);
      if (got == NULL)
        return;
      if (ok)
        {
          rel_dump_expect (got, after_exact, "%s: restored, but not exactly the original licenses",
                           c->what);
          t.exact++;
        }
      else
        {
          if (!g_error_matches (local_error, LB_ERROR, LB_ERROR_BACKUP_CORRUPT))
            rel_fail ("%s: failed with %s, not BackupCorrupt: %s", c->what,
                      lb_error_get_dbus_name (local_error), local_error->message);
          rel_dump_expect (got, before, "%s: refused, but the store changed", c->what);
          t.refused++;
        }
      if (g_test_verbose ())
        g_test_message ("%s: %s", c->what, ok ? "restored exactly" : local_error->message);
      g_clear_object (&store);
      lb_test_rm_rf (dir);
      if (g_test_failed ())
        break;
    }

  g_test_message ("FIGURE corrupt-in-process: %u damaged backups (%u byte flips, %u "
                  "truncations, 8 zero blocks, 4 tails, 3 reorderings; seed %u): %u refused "
                  "with BackupCorrupt and the store untouched, %u restored exactly; slowest "
                  "%.1f ms (%s); %.1f s in all",
                  g.cases->len, N_FLIPS, N_TRUNCATIONS, g.seed, t.refused, t.exact,
                  t.slowest_us / 1000.0, t.slowest, (g_get_monotonic_time () - t0) / 1e6);
  g_assert_cmpuint (t.exact + t.refused, ==, g.cases->len);
  g_free (t.slowest);
}

static void
test_daemon (void)
{
  g_autofree char *scratch = lb_test_make_tmp_dir ("scratch");
  g_autofree char *pristine = g_build_filename (scratch, "pristine", NULL);
  g_autofree char *dir = g_build_filename (scratch, "location", NULL);
  g_autofree char *file = g_build_filename (dir, LB_BACKUP_FILE_NAME, NULL);
  const char *store_dir;
  g_autoptr (GHashTable) before = NULL;
  g_autoptr (GHashTable) after_exact = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (LbDBusStore) store = NULL;
  Tally t = { 0 };
  guint n = 0;
  gint64 t0;

  if (!setup_backup ())
    return;
  store_dir = lb_test_machine_get_store_dir (g.machine);
  g_assert_cmpint (g_mkdir (dir, 0700), ==, 0);

  /* The daemon's store: the backed-up licenses deleted, five of its own. */
  store = lb_test_bus_store_proxy (g.bus);
  for (guint i = 0; i < N_SOURCE; i++)
    {
      g_autofree char *key = rel_key ("c-", i);
      lb_dbus_store_call_delete_license_sync (store, key, NULL, &error);
      g_assert_no_error (error);
    }
  if (!rel_store_range (g.bus, "local-", 0, N_LOCAL, 12, 10, 500, 100))
    return;
  before = rel_dump_bus (g.bus, &error);
  g_assert_no_error (error);
  if (before == NULL)
    return;
  after_exact = rel_dump_union (before, g.source);
  lb_test_machine_stop_daemon (g.machine);
  if (!rel_copy_dir_files (store_dir, pristine) || rel_start_daemon (g.machine, NULL) == NULL)
    return;

  t0 = g_get_monotonic_time ();
  for (guint i = 0; i < g.cases->len; i++)
    {
      Case *c = g.cases->pdata[i];
      g_autoptr (GHashTable) got = NULL; /* not below: the continue would skip it */
      RelOutcome o;

      if (!c->daemon_subset)
        continue;
      n++;
      g_unlink (file);
      write_new_file (file, c->bytes);
      gint64 start = g_get_monotonic_time ();
      if (!rel_op_run (g.bus, FALSE, 0, dir, 30000, &o))
        {
          g_test_message ("%s: no answer", c->what);
          return;
        }
      tally_time (&t, c->what, start);
      /* Still running and answering. */
      if (!rel_assert_get_status (g.bus, 5000))
        return;
      got = rel_dump_bus_ok (g.bus);
      if (got == NULL)
        return;
      if (o.status == LB_STATUS_END)
        {
          rel_dump_expect (got, after_exact, "%s: restored, but not exactly the original licenses",
                           c->what);
          t.exact++;
          /* Back to the store as it was. */
          lb_test_machine_stop_daemon (g.machine);
          if (!rel_copy_dir_files (pristine, store_dir)
              || rel_start_daemon (g.machine, NULL) == NULL)
            return;
        }
      else
        {
          if (o.status != LB_STATUS_ERROR
              || !g_str_equal (o.error_name, lb_test_error_dbus_name (LB_ERROR_BACKUP_CORRUPT))
              || o.error[0] == '\0')
            rel_fail ("%s: ended with status %u, %s “%s”, not BackupCorrupt", c->what, o.status,
                      o.error_name, o.error);
          rel_dump_expect (got, before, "%s: refused, but the store changed", c->what);
          t.refused++;
        }
      if (g_test_verbose ())
        g_test_message ("%s: status %u %s", c->what, o.status, o.error);
      rel_outcome_clear (&o);
      if (g_test_failed ())
        break;
    }
  g_test_message ("FIGURE corrupt-daemon: %u damaged backups restored through the daemon: %u "
                  "refused with BackupCorrupt (status %u, store untouched, daemon answering), "
                  "%u restored exactly; slowest %.1f ms (%s); %.1f s in all",
                  n, t.refused, LB_STATUS_ERROR, t.exact, t.slowest_us / 1000.0, t.slowest,
                  (g_get_monotonic_time () - t0) / 1e6);
  g_assert_cmpuint (t.exact + t.refused, ==, n);
  g_free (t.slowest);
}

int
main (int argc, char **argv)
{
  int ret;

  rel_init (&argc, &argv);
  g_test_add_func ("/reliability/corrupt/in-process", test_in_process);
  g_test_add_func ("/reliability/corrupt/daemon", test_daemon);
  ret = g_test_run ();
  g_clear_pointer (&g.cases, g_ptr_array_unref);
  g_clear_pointer (&g.source, g_hash_table_unref);
  g_clear_pointer (&g.backup, g_bytes_unref);
  g_clear_pointer (&g.machine, lb_test_machine_free);
  g_clear_pointer (&g.bus, lb_test_bus_free);
  g_free (g.backup_dir);
  return ret;
}
