/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "rel-util.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "lb-archive.h"
#include "error-convert.h"
#include "restore.h"

#define ENV_FILE "rel-daemon.env"
#define DROP_CAPS "-dac_override,-dac_read_search,-fowner"

/* One page of the host programs' licenses (the only app these tests use). */
static GPtrArray *
list_host (LbStore *store, const char *after, guint limit, char **next, GError **error)
{
  g_autofree char *next_app = NULL;

  return lb_store_list (store, "", "", after, limit, &next_app, next, error);
}

static char *real_daemon;

/* The wrapper: sources the machine's env file (in the daemon's working
 * directory, the machine root) and execs the real daemon, keeping the pid
 * (the harness matches it against the bus name's owner). */
#define WRAPPER_SCRIPT                                                         \
  "#!/bin/sh\n"                                                                \
  "# license-backup reliability suite: adds what rel-daemon.env says to the\n" \
  "# environment the harness gives the daemon, then becomes the daemon.\n"     \
  "wrap=\n"                                                                    \
  "if [ -r ./" ENV_FILE " ]; then . ./" ENV_FILE "; fi\n"                      \
  "exec $wrap '%s' \"$@\"\n"

void
rel_init (int *argc, char ***argv)
{
  g_autofree char *dir = NULL;
  g_autofree char *wrapper = NULL;
  g_autofree char *script = NULL;
  g_autoptr (GError) error = NULL;

  lb_test_init (argc, argv);
  real_daemon = g_strdup (lb_test_get_daemon_path ());
  g_assert_null (strchr (real_daemon, '\''));
  dir = lb_test_make_tmp_dir ("wrapper");
  wrapper = g_build_filename (dir, "license-backupd", NULL);
  script = g_strdup_printf (WRAPPER_SCRIPT, real_daemon);
  g_file_set_contents (wrapper, script, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (wrapper, 0755), ==, 0);
  g_setenv ("LB_DAEMON_PATH", wrapper, TRUE);
}

const char *
rel_real_daemon_path (void)
{
  return real_daemon;
}

void
rel_machine_set_daemon_env (LbTestMachine *machine, gulong delay_us, gboolean drop_dac_override)
{
  g_autofree char *path = g_build_filename (lb_test_machine_get_root (machine), ENV_FILE, NULL);
  g_autoptr (GString) s = g_string_new (NULL);
  g_autoptr (GError) error = NULL;

  if (delay_us > 0)
    g_string_append_printf (s, "LB_FAULT_DELAY_US=%lu\nexport LB_FAULT_DELAY_US\n", delay_us);
  if (drop_dac_override)
    g_string_append (s, "wrap='setpriv --inh-caps=" DROP_CAPS " --bounding-set=" DROP_CAPS "'\n");
  g_file_set_contents (path, s->str, -1, &error);
  g_assert_no_error (error);
}

gboolean
rel_env_init (RelEnv *e, const char *name, gulong delay_us, gboolean drop_dac_override)
{
  e->bus = lb_test_bus_new (LB_TEST_BUS_DEFAULT);
  e->machine = lb_test_machine_new (e->bus, name);
  e->backup_dir = lb_test_make_tmp_dir ("backup");
  e->scratch = lb_test_make_tmp_dir ("scratch");
  rel_machine_set_daemon_env (e->machine, delay_us, drop_dac_override);
  return rel_start_daemon (e->machine, NULL) != NULL;
}

void
rel_env_clear (RelEnv *e)
{
  g_clear_pointer (&e->machine, lb_test_machine_free);
  g_clear_pointer (&e->bus, lb_test_bus_free);
  g_clear_pointer (&e->backup_dir, g_free);
  g_clear_pointer (&e->scratch, g_free);
  g_clear_pointer (&e->backup_file, g_free);
}

gboolean
rel_can_drop_dac_override (void)
{
  g_autofree char *setpriv = g_find_program_in_path ("setpriv");
  int status = -1;

  if (setpriv == NULL)
    return FALSE;
  if (!g_spawn_sync (
          NULL,
          (char *[]){ setpriv, "--inh-caps=" DROP_CAPS, "--bounding-set=" DROP_CAPS, "true", NULL },
          NULL, G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, NULL, NULL,
          &status, NULL))
    return FALSE;
  return g_spawn_check_wait_status (status, NULL);
}

LbTestDaemon *
rel_start_daemon (LbTestMachine *machine, const LbTestDaemonOptions *options)
{
  return lb_test_machine_start_daemon (machine, options);
}

/* Licenses */

char *
rel_key (const char *prefix, guint i)
{
  return g_strdup_printf ("%s%06u", prefix, i);
}

GBytes *
rel_blob (guint i, guint salt, gsize min_size, gsize max_size)
{
  guint32 h = (i + 1) * 2654435761u ^ (salt + 7) * 40503u;
  gsize size = min_size + (max_size > min_size ? h % (max_size - min_size + 1) : 0);
  guint8 *data = g_malloc (MAX (size, 1));

  for (gsize j = 0; j < size; j++)
    {
      h ^= h << 13;
      h ^= h >> 17;
      h ^= h << 5;
      data[j] = (guint8) h;
    }
  return g_bytes_new_take (data, size);
}

static GVariant *
rel_attrs (guint i, guint salt)
{
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&b, "{sv}", "issuer", g_variant_new_string ("Reliability Media"));
  g_variant_builder_add (&b, "{sv}", "content-id",
                         g_variant_new_take_string (g_strdup_printf ("content-%u-%u", i, salt)));
  if (i % 50 == 7)
    {
      g_variant_builder_add (&b, "{sv}", "restore-limit", g_variant_new_uint32 (3));
      g_variant_builder_add (&b, "{sv}", "support-url",
                             g_variant_new_string ("https://issuer.example/restore"));
    }
  return g_variant_builder_end (&b);
}

gboolean
rel_store_range (LbTestBus *bus,
                 const char *prefix,
                 guint first,
                 guint n,
                 guint salt,
                 gsize min_size,
                 gsize max_size,
                 guint batch)
{
  g_autoptr (LbDBusStore) store = lb_test_bus_store_proxy (bus);

  if (store == NULL)
    return FALSE;
  g_dbus_proxy_set_default_timeout (G_DBUS_PROXY (store), 120000);
  for (guint start = first; start < first + n; start += batch)
    {
      guint end = MIN (first + n, start + batch);
      GVariantBuilder b;
      g_autoptr (GError) error = NULL;

      g_variant_builder_init (&b, G_VARIANT_TYPE ("a(saya{sv})"));
      for (guint i = start; i < end; i++)
        {
          g_autofree char *key = rel_key (prefix, i);
          g_autoptr (GBytes) blob = rel_blob (i, salt, min_size, max_size);

          g_variant_builder_add (&b, "(s@ay@a{sv})", key,
                                 g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, blob, TRUE),
                                 rel_attrs (i, salt));
        }
      if (!lb_dbus_store_call_store_licenses_sync (store, g_variant_builder_end (&b), NULL, &error))
        {
          g_assert_no_error (error);
          return FALSE;
        }
    }
  return TRUE;
}

/* Operations */

void
rel_outcome_clear (RelOutcome *o)
{
  g_clear_pointer (&o->error, g_free);
  g_clear_pointer (&o->error_name, g_free);
  g_clear_pointer (&o->summary, g_variant_unref);
}

LbTestSignalQueue *
rel_manager_signals (GDBusConnection *connection)
{
  return lb_test_signal_queue_new (connection, NULL, LB_TEST_MANAGER_IFACE, NULL,
                                   LB_TEST_OBJECT_PATH);
}

guint64
rel_op_start (GDBusConnection *connection,
              gboolean backup,
              guint32 flags,
              const char *path,
              GVariant *extra,
              GError **error)
{
  GVariantBuilder b;
  g_autoptr (GVariant) extra_sunk = extra != NULL ? g_variant_ref_sink (extra) : NULL;
  g_autoptr (GVariant) reply = NULL;
  guint64 id = 0;

  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  if (path != NULL)
    g_variant_builder_add (&b, "{sv}", "path", g_variant_new_string (path));
  if (extra_sunk != NULL)
    {
      GVariantIter iter;
      GVariant *child;

      g_variant_iter_init (&iter, extra_sunk);
      while ((child = g_variant_iter_next_value (&iter)) != NULL)
        {
          g_variant_builder_add_value (&b, child);
          g_variant_unref (child);
        }
    }
  reply = g_dbus_connection_call_sync (
      connection, LB_TEST_BUS_NAME, LB_TEST_OBJECT_PATH, LB_TEST_MANAGER_IFACE,
      backup ? "BackupLicenses" : "RestoreLicenses",
      g_variant_new ("(u@a{sv})", flags, g_variant_builder_end (&b)), G_VARIANT_TYPE ("(t)"),
      G_DBUS_CALL_FLAGS_NO_AUTO_START, 30000, NULL, error);
  if (reply != NULL)
    g_variant_get (reply, "(t)", &id);
  return id;
}

gboolean
rel_op_wait (LbTestSignalQueue *queue, guint64 id, guint timeout_ms, RelOutcome *out)
{
  gint64 start = g_get_monotonic_time ();
  gint64 deadline = start + (gint64) timeout_ms * 1000;

  memset (out, 0, sizeof *out);
  out->id = id;
  for (;;)
    {
      gint64 left = deadline - g_get_monotonic_time ();
      g_autoptr (GVariant) params = NULL;
      g_autofree char *member = NULL;
      guint64 op;

      if (left <= 0)
        return FALSE;
      params = lb_test_signal_queue_pop (queue, (guint) (left / 1000 + 1), &member);
      if (params == NULL)
        return FALSE;
      if (!g_str_equal (member, "BackupCompleted") && !g_str_equal (member, "RestoreCompleted"))
        continue;
      g_variant_get_child (params, 0, "t", &op);
      if (op != id)
        continue;
      g_variant_get (params, "(tus@a{sv})", NULL, &out->status, &out->error, &out->summary);
      if (!g_variant_lookup (out->summary, "error-name", "s", &out->error_name))
        out->error_name = g_strdup ("");
      out->wall_ms = (g_get_monotonic_time () - start) / 1000;
      return TRUE;
    }
}

gboolean
rel_op_run (LbTestBus *bus,
            gboolean backup,
            guint32 flags,
            const char *path,
            guint timeout_ms,
            RelOutcome *out)
{
  g_autoptr (LbTestSignalQueue) queue = rel_manager_signals (lb_test_bus_get_connection (bus));
  g_autoptr (GError) error = NULL;
  guint64 id;

  memset (out, 0, sizeof *out);
  id = rel_op_start (lb_test_bus_get_connection (bus), backup, flags, path, NULL, &error);
  g_assert_no_error (error);
  if (id == 0)
    return FALSE;
  if (!rel_op_wait (queue, id, timeout_ms, out))
    {
      rel_fail ("no %s completed within %u ms", backup ? "backup" : "restore", timeout_ms);
      return FALSE;
    }
  return TRUE;
}

gboolean
rel_op_run_end (LbTestBus *bus,
                gboolean backup,
                guint32 flags,
                const char *path,
                guint timeout_ms,
                gint64 *wall_ms)
{
  RelOutcome o;

  if (!rel_op_run (bus, backup, flags, path, timeout_ms, &o))
    return FALSE;
  g_assert_cmpuint (o.status, ==, LB_STATUS_END);
  if (wall_ms != NULL)
    *wall_ms = o.wall_ms;
  rel_outcome_clear (&o);
  return TRUE;
}

gboolean
rel_assert_get_status (LbTestBus *bus, guint timeout_ms)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = NULL;

  reply = g_dbus_connection_call_sync (
      lb_test_bus_get_connection (bus), LB_TEST_BUS_NAME, LB_TEST_OBJECT_PATH,
      LB_TEST_MANAGER_IFACE, "GetStatus", NULL, G_VARIANT_TYPE ("(us)"),
      G_DBUS_CALL_FLAGS_NO_AUTO_START, (int) timeout_ms, NULL, &error);
  g_assert_no_error (error);
  return reply != NULL;
}

/* Dumps */

GHashTable *
rel_dump_new (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_variant_unref);
}

GVariant *
rel_license_variant (const LbRecord *license)
{
  gsize len;
  gconstpointer data = g_bytes_get_data (license->blob, &len);

  return g_variant_ref_sink (
      g_variant_new ("(@ay@a{sv})", g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, data, len, 1),
                     lb_attributes_to_variant (&license->attrs)));
}

GHashTable *
rel_dump_bus (LbTestBus *bus, GError **error)
{
  GDBusConnection *c = lb_test_bus_get_connection (bus);
  g_autoptr (GHashTable) dump = rel_dump_new ();
  g_autofree char *cursor = g_strdup ("");
  g_autoptr (GPtrArray) keys = g_ptr_array_new_with_free_func (g_free);

  do
    {
      g_autoptr (GVariant) reply = NULL;
      g_autoptr (GVariantIter) iter = NULL;
      const char *key;
      char *next = NULL;

      reply = g_dbus_connection_call_sync (
          c, LB_TEST_BUS_NAME, LB_TEST_OBJECT_PATH, LB_TEST_STORE_IFACE, "ListLicenses",
          g_variant_new_parsed ("({'limit': <uint32 10000>, 'cursor': <%s>},)", cursor),
          G_VARIANT_TYPE ("(a(sa{sv})s)"), G_DBUS_CALL_FLAGS_NO_AUTO_START, 60000, NULL, error);
      if (reply == NULL)
        return NULL;
      g_variant_get (reply, "(a(sa{sv})s)", &iter, &next);
      while (g_variant_iter_next (iter, "(&s@a{sv})", &key, NULL))
        g_ptr_array_add (keys, g_strdup (key));
      g_free (cursor);
      cursor = next;
    }
  while (cursor[0] != '\0');

  /* Then the blob and attributes of each. */
  for (guint i = 0; i < keys->len; i++)
    {
      GVariant *reply = g_dbus_connection_call_sync (
          c, LB_TEST_BUS_NAME, LB_TEST_OBJECT_PATH, LB_TEST_STORE_IFACE, "GetLicense",
          g_variant_new ("(s)", (char *) keys->pdata[i]), G_VARIANT_TYPE ("(aya{sv})"),
          G_DBUS_CALL_FLAGS_NO_AUTO_START, 30000, NULL, error);
      if (reply == NULL)
        return NULL;
      /* In normal form, for rel_variant_same(). */
      g_hash_table_insert (dump, g_strdup (keys->pdata[i]), g_variant_get_normal_form (reply));
      g_variant_unref (reply);
    }
  return g_steal_pointer (&dump);
}

GHashTable *
rel_dump_bus_ok (LbTestBus *bus)
{
  g_autoptr (GError) error = NULL;
  GHashTable *dump = rel_dump_bus (bus, &error);

  g_assert_no_error (error);
  return dump;
}

GHashTable *
rel_dump_store (LbStore *store, GError **error)
{
  g_autoptr (GHashTable) dump = rel_dump_new ();
  g_autofree char *after = g_strdup ("");

  for (;;)
    {
      g_autofree char *next = NULL;
      g_autoptr (GPtrArray) page = list_host (store, after, 10000, &next, error);

      if (page == NULL)
        return NULL;
      for (guint i = 0; i < page->len; i++)
        {
          LbRecord *listed = page->pdata[i];
          g_autoptr (LbRecord) l = lb_store_get (store, "", listed->key_id, error);

          if (l == NULL)
            return NULL;
          g_hash_table_insert (dump, g_strdup (l->key_id), rel_license_variant (l));
        }
      if (next == NULL || next[0] == '\0')
        break;
      g_free (after);
      after = g_steal_pointer (&next);
    }
  return g_steal_pointer (&dump);
}

gboolean
rel_variant_same (GVariant *a, GVariant *b)
{
  gsize size = g_variant_get_size (a);

  return g_variant_is_of_type (a, g_variant_get_type (b)) && size == g_variant_get_size (b)
         && memcmp (g_variant_get_data (a), g_variant_get_data (b), size) == 0;
}

/* Whether child @i of @a and of @b are the same (rel_variant_same()). */
static gboolean
children_same (GVariant *a, GVariant *b, gsize i)
{
  g_autoptr (GVariant) child_a = g_variant_get_child_value (a, i);
  g_autoptr (GVariant) child_b = g_variant_get_child_value (b, i);

  return rel_variant_same (child_a, child_b);
}

/* Child @i of @v as text. */
static char *
print_child (GVariant *v, gsize i)
{
  g_autoptr (GVariant) child = g_variant_get_child_value (v, i);

  return g_variant_print (child, FALSE);
}

char *
rel_dump_diff (GHashTable *got, GHashTable *want)
{
  g_autoptr (GString) s = g_string_new (NULL);
  GHashTableIter iter;
  gpointer key, value;
  guint missing = 0, extra = 0, differ = 0;

  g_hash_table_iter_init (&iter, want);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      GVariant *other = g_hash_table_lookup (got, key);

      if (other == NULL)
        {
          if (missing++ < 3)
            g_string_append_printf (s, "missing %s; ", (char *) key);
        }
      else if (!rel_variant_same (other, value))
        {
          if (differ++ < 3)
            {
              g_autofree char *a = print_child (other, 1);
              g_autofree char *b = print_child (value, 1);
              g_string_append_printf (s, "%s differs (blob %s; got %s, want %s); ", (char *) key,
                                      children_same (other, value, 0) ? "same" : "different", a, b);
            }
        }
    }
  g_hash_table_iter_init (&iter, got);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (!g_hash_table_contains (want, key) && extra++ < 3)
      g_string_append_printf (s, "unexpected %s; ", (char *) key);
  if (missing == 0 && differ == 0 && g_hash_table_size (got) == g_hash_table_size (want))
    return NULL;
  g_string_append_printf (s, "(%u missing, %u different, %u unexpected; %u vs %u licenses)",
                          missing, differ,
                          g_hash_table_size (got) + missing - g_hash_table_size (want),
                          g_hash_table_size (got), g_hash_table_size (want));
  return g_string_free (g_steal_pointer (&s), FALSE);
}

gboolean
rel_dump_expect (GHashTable *got, GHashTable *want, const char *fmt, ...)
{
  g_autofree char *diff = rel_dump_diff (got, want);
  g_autofree char *what = NULL;
  va_list ap;

  if (diff == NULL)
    return TRUE;
  va_start (ap, fmt);
  what = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  rel_fail ("%s: %s", what, diff);
  return FALSE;
}

GHashTable *
rel_dump_union (GHashTable *a, GHashTable *b)
{
  GHashTable *u = rel_dump_new ();
  GHashTable *parts[] = { a, b };

  for (guint p = 0; p < G_N_ELEMENTS (parts); p++)
    {
      GHashTableIter iter;
      gpointer key, value;

      g_hash_table_iter_init (&iter, parts[p]);
      while (g_hash_table_iter_next (&iter, &key, &value))
        g_hash_table_insert (u, g_strdup (key), g_variant_ref (value));
    }
  return u;
}

GHashTable *
rel_restore_dir_in_process (const char *dir,
                            const char *machine_app_id,
                            const char *scratch,
                            GError **error)
{
  g_autofree char *tmpl = g_build_filename (scratch, "verify-XXXXXX", NULL);
  g_autoptr (GFile) file = g_file_new_for_path (dir);
  g_autoptr (LbOperation) op = lb_operation_new (1, LB_OPERATION_RESTORE, 0, file, NULL);
  g_autoptr (LbStore) store = NULL;
  g_autoptr (GHashTable) dump = NULL;

  if (g_mkdtemp (tmpl) == NULL)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "mkdtemp: %s",
                   g_strerror (errno));
      return NULL;
    }
  store = lb_store_open (tmpl, machine_app_id, error);
  if (store != NULL)
    {
      if (lb_restore_run (store, op, error))
        dump = rel_dump_store (store, error);
    }
  g_clear_object (&store);
  lb_test_rm_rf (tmpl);
  return g_steal_pointer (&dump);
}

/* Files */

gboolean
rel_write_file (const char *path, GBytes *bytes)
{
  g_autoptr (GError) error = NULL;
  gsize len;
  gconstpointer data = g_bytes_get_data (bytes, &len);

  /* Replaced as a whole (G_FILE_SET_CONTENTS_NONE writes in place and
   * may keep a longer file's tail). */
  g_file_set_contents_full (path, data, (gssize) len, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error);
  g_assert_no_error (error);
  return error == NULL;
}

GPtrArray *
rel_list_prefixed (const char *dir, const char *prefix)
{
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    if (g_str_has_prefix (name, prefix))
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, (GCompareFunc) g_strcmp0);
  return names;
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static void
tree_walk (const char *root, const char *rel, const char *const *skip, GPtrArray *lines)
{
  g_autofree char *path = rel[0] != '\0' ? g_build_filename (root, rel, NULL) : g_strdup (root);
  g_autoptr (GDir) d = NULL;
  const char *name;
  struct stat st;

  if (lstat (path, &st) != 0)
    return;
  if (rel[0] != '\0')
    {
      for (guint i = 0; skip != NULL && skip[i] != NULL; i++)
        if (g_str_has_prefix (rel, skip[i]))
          return;
      g_ptr_array_add (lines, g_strdup_printf ("%s %c %o %lld %lld.%09ld", rel,
                                               S_ISDIR (st.st_mode)   ? 'd'
                                               : S_ISREG (st.st_mode) ? 'f'
                                               : S_ISLNK (st.st_mode) ? 'l'
                                                                      : '?',
                                               (unsigned) (st.st_mode & 07777),
                                               S_ISDIR (st.st_mode) ? 0LL : (long long) st.st_size,
                                               (long long) st.st_mtim.tv_sec,
                                               S_ISDIR (st.st_mode) ? 0L : st.st_mtim.tv_nsec));
    }
  if (!S_ISDIR (st.st_mode))
    return;
  d = g_dir_open (path, 0, NULL);
  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *child
          = rel[0] != '\0' ? g_build_filename (rel, name, NULL) : g_strdup (name);
      tree_walk (root, child, skip, lines);
    }
}

char *
rel_tree_listing (const char *root, const char *const *skip)
{
  g_autoptr (GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GString) s = g_string_new (NULL);

  tree_walk (root, "", skip, lines);
  g_ptr_array_sort (lines, compare_strings);
  for (guint i = 0; i < lines->len; i++)
    g_string_append_printf (s, "%s\n", (char *) lines->pdata[i]);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

void
rel_clear_dir_files (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      if (!g_file_test (path, G_FILE_TEST_IS_DIR))
        g_unlink (path);
    }
}

gboolean
rel_copy_dir_files (const char *src, const char *dest)
{
  g_autoptr (GDir) d = g_dir_open (src, 0, NULL);
  const char *name;

  g_mkdir_with_parents (dest, 0700);
  rel_clear_dir_files (dest);
  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *from = g_build_filename (src, name, NULL);
      g_autofree char *to = g_build_filename (dest, name, NULL);
      g_autoptr (GBytes) bytes = NULL;

      if (!g_file_test (from, G_FILE_TEST_IS_REGULAR))
        continue;
      bytes = lb_test_read_bytes (from);
      if (bytes == NULL || !rel_write_file (to, bytes))
        return FALSE;
    }
  return TRUE;
}

gint64
rel_proc_vmhwm_kib (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", (int) pid);
  g_autofree char *contents = NULL;
  const char *line;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return -1;
  line = strstr (contents, "\nVmHWM:");
  if (line == NULL)
    return -1;
  return g_ascii_strtoll (line + strlen ("\nVmHWM:"), NULL, 10);
}

guint32
rel_seed (guint32 fallback)
{
  const char *s = g_getenv ("LB_RELIABILITY_SEED");
  guint64 v;

  if (s == NULL || s[0] == '\0')
    return fallback;
  if (g_str_equal (s, "random"))
    return g_random_int ();
  if (g_ascii_string_to_unsigned (s, 10, 0, G_MAXUINT32, &v, NULL))
    return (guint32) v;
  return fallback;
}
