/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "generations.h"

#include <glib/gi18n.h>
#include <license-backup/lb-error.h>
#include <string.h>

#include "lb-age.h"
#include "lb-archive.h"

#define PREFIX "licenses-"
#define SUFFIX ".lbk"
/* licenses-20261128T214805Z.lbk */
#define STAMP_LEN 16

void
lb_generation_free (LbGeneration *generation)
{
  if (generation == NULL)
    return;
  g_free (generation->name);
  g_free (generation);
}

char *
lb_generation_name_for_time (gint64 time)
{
  g_autoptr (GDateTime) dt = g_date_time_new_from_unix_utc (time);

  if (dt == NULL)
    return NULL;
  return g_date_time_format (dt, PREFIX "%Y%m%dT%H%M%SZ" SUFFIX);
}

static gboolean
digits (const char *s, guint n, gint *value)
{
  *value = 0;
  for (guint i = 0; i < n; i++)
    {
      if (!g_ascii_isdigit (s[i]))
        return FALSE;
      *value = *value * 10 + (s[i] - '0');
    }
  return TRUE;
}

gboolean
lb_generation_parse_name (const char *name, gint64 *time)
{
  const char *stamp = name + strlen (PREFIX);
  gint year, month, day, hour, minute, second;
  g_autoptr (GDateTime) dt = NULL;
  g_autofree char *again = NULL;

  if (strlen (name) != strlen (PREFIX) + STAMP_LEN + strlen (SUFFIX)
      || !g_str_has_prefix (name, PREFIX) || !g_str_has_suffix (name, SUFFIX)
      || !digits (stamp, 4, &year) || !digits (stamp + 4, 2, &month) || !digits (stamp + 6, 2, &day)
      || stamp[8] != 'T' || !digits (stamp + 9, 2, &hour) || !digits (stamp + 11, 2, &minute)
      || !digits (stamp + 13, 2, &second) || stamp[15] != 'Z')
    return FALSE;
  dt = g_date_time_new_utc (year, month, day, hour, minute, second);
  if (dt == NULL)
    return FALSE;
  /* One name per time: no 24:00 or leap second spelling of another. */
  again = lb_generation_name_for_time (g_date_time_to_unix (dt));
  if (again == NULL || !g_str_equal (again, name))
    return FALSE;
  if (time != NULL)
    *time = g_date_time_to_unix (dt);
  return TRUE;
}

gboolean
lb_generation_name_is_valid (const char *name)
{
  return g_str_equal (name, LB_BACKUP_FILE_NAME) || lb_generation_parse_name (name, NULL);
}

static gint
newest_first (gconstpointer a, gconstpointer b)
{
  const LbGeneration *ga = *(LbGeneration *const *) a;
  const LbGeneration *gb = *(LbGeneration *const *) b;
  gboolean legacy_a = g_str_equal (ga->name, LB_BACKUP_FILE_NAME);
  gboolean legacy_b = g_str_equal (gb->name, LB_BACKUP_FILE_NAME);

  if (legacy_a != legacy_b)
    return legacy_a ? 1 : -1;
  /* The names order the backups (generations.h). */
  return -strcmp (ga->name, gb->name);
}

static GInputStream *
open_generation (gpointer user_data, GError **error)
{
  return G_INPUT_STREAM (g_file_read (G_FILE (user_data), NULL, error));
}

/* The manifest's header, for the listing: when it was made, by whom. A
 * damaged one is only logged here; verifying or restoring it says why. */
static void
read_manifest (LbGeneration *g, GFile *file, GCancellable *cancellable)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GFileInputStream) in = g_file_read (file, cancellable, NULL);
  guint8 head[LB_AGE_MAGIC_LEN];
  gsize got = 0;

  /* The listing never asks for a passphrase: an encrypted backup's
   * manifest stays unknown. */
  if (in != NULL
      && g_input_stream_read_all (G_INPUT_STREAM (in), head, sizeof head, &got, cancellable, NULL)
      && lb_age_sniff (head, got))
    {
      g->encrypted = TRUE;
      return;
    }
  g->has_manifest
      = lb_archive_read_manifest (open_generation, file, &g->manifest, cancellable, &error);
  if (!g->has_manifest)
    g_debug ("cannot read the manifest of %s: %s", g->name, error->message);
}

GPtrArray *
lb_generations_list (GFile *dir,
                     LbGenerationsFlags flags,
                     GCancellable *cancellable,
                     GError **error)
{
  g_autoptr (GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) lb_generation_free);
  g_autoptr (GFileEnumerator) e = NULL;
  GFileInfo *info;
  GFile *child;

  /* Links are followed, as a restore follows them: only what is a regular
   * file in the end is a backup (a FIFO could block a reader). */
  e = g_file_enumerate_children (dir,
                                 G_FILE_ATTRIBUTE_STANDARD_NAME "," G_FILE_ATTRIBUTE_STANDARD_TYPE
                                                                "," G_FILE_ATTRIBUTE_STANDARD_SIZE
                                                                "," G_FILE_ATTRIBUTE_TIME_MODIFIED,
                                 G_FILE_QUERY_INFO_NONE, cancellable, error);
  if (e == NULL)
    return NULL;
  for (;;)
    {
      const char *name;
      gint64 time = 0;
      LbGeneration *g;

      if (!g_file_enumerator_iterate (e, &info, &child, cancellable, error))
        return NULL;
      if (info == NULL)
        break;
      name = g_file_info_get_name (info);
      if (g_file_info_get_file_type (info) != G_FILE_TYPE_REGULAR)
        continue;
      if (g_str_equal (name, LB_BACKUP_FILE_NAME))
        time = (gint64) g_file_info_get_attribute_uint64 (info, G_FILE_ATTRIBUTE_TIME_MODIFIED);
      else if (!lb_generation_parse_name (name, &time))
        continue;
      g = g_new0 (LbGeneration, 1);
      g->name = g_strdup (name);
      g->time = time;
      g->size = (guint64) g_file_info_get_size (info);
      if (flags & LB_GENERATIONS_MANIFESTS)
        read_manifest (g, child, cancellable);
      g_ptr_array_add (out, g);
    }
  g_ptr_array_sort (out, newest_first);
  return g_steal_pointer (&out);
}

char *
lb_generations_next_name (GPtrArray *all, gint64 now)
{
  g_autofree char *name = lb_generation_name_for_time (now);

  /* licenses.lbk sorts before every named one; the first named one in the
   * list is the newest. */
  for (guint i = 0; name != NULL && i < all->len; i++)
    {
      const LbGeneration *g = all->pdata[i];

      if (g_str_equal (g->name, LB_BACKUP_FILE_NAME))
        continue;
      if (strcmp (g->name, name) >= 0)
        return lb_generation_name_after (g->name);
      break;
    }
  return g_steal_pointer (&name);
}

char *
lb_generation_name_after (const char *name)
{
  gint64 time;

  if (!lb_generation_parse_name (name, &time))
    return NULL;
  return lb_generation_name_for_time (time + 1);
}

GFile *
lb_generations_pick (GFile *dir, const char *generation, GCancellable *cancellable)
{
  return lb_generations_pick_whole (dir, generation, NULL, cancellable);
}

GFile *
lb_generations_pick_whole (GFile *dir,
                           const char *generation,
                           const char *const *skip,
                           GCancellable *cancellable)
{
  g_autoptr (GPtrArray) all = NULL;

  if (generation != NULL)
    return g_file_get_child (dir, generation);
  /* A folder that cannot be listed is reported by the check of the file. */
  all = lb_generations_list (dir, LB_GENERATIONS_NONE, cancellable, NULL);
  for (guint i = 0; all != NULL && i < all->len; i++)
    {
      const char *name = ((LbGeneration *) all->pdata[i])->name;

      if (skip == NULL || !g_strv_contains (skip, name))
        return g_file_get_child (dir, name);
    }
  /* Every one failed its last check: the newest, whose reader then says
   * what is wrong with it, rather than "no backup". */
  if (all != NULL && all->len > 0)
    return g_file_get_child (dir, ((LbGeneration *) all->pdata[0])->name);
  return g_file_get_child (dir, LB_BACKUP_FILE_NAME);
}

gboolean
lb_generations_check_named (GFile *dir,
                            const char *generation,
                            GCancellable *cancellable,
                            GError **error)
{
  g_autoptr (GFile) file = NULL;
  g_autofree char *dir_name = NULL;

  if (generation == NULL)
    return TRUE;
  file = g_file_get_child (dir, generation);
  if (g_file_query_exists (file, cancellable))
    return TRUE;
  dir_name = g_file_get_parse_name (dir);
  g_set_error (error, LB_ERROR, LB_ERROR_NOT_FOUND,
               _ ("%s holds no backup named %s; “license-backup generations” lists the backups "
                  "there"),
               dir_name, generation);
  return FALSE;
}

gboolean
lb_generations_any (GFile *dir, GCancellable *cancellable)
{
  g_autoptr (GPtrArray) all = lb_generations_list (dir, LB_GENERATIONS_NONE, cancellable, NULL);

  return all != NULL && all->len > 0;
}

guint
lb_generations_prune (GFile *dir,
                      guint keep,
                      const char *machine,
                      const char *const *ours_encrypted,
                      const char *keep_name,
                      GCancellable *cancellable)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) all
      = lb_generations_list (dir, LB_GENERATIONS_MANIFESTS, cancellable, &error);
  guint kept = 0, removed = 0;

  if (all == NULL)
    {
      g_warning ("Cannot list the backups to remove the oldest: %s", error->message);
      return 0;
    }
  for (guint i = 0; i < all->len; i++)
    {
      LbGeneration *g = all->pdata[i];
      g_autoptr (GFile) file = NULL;

      /* Another computer's, or one nobody can tell: not ours to remove. */
      if (g->encrypted ? ours_encrypted == NULL || !g_strv_contains (ours_encrypted, g->name)
                       : !g->has_manifest || !g_str_equal (g->manifest.machine, machine))
        continue;
      if (g_strcmp0 (g->name, keep_name) == 0 || kept < MAX (keep, 1))
        {
          kept++;
          continue;
        }
      file = g_file_get_child (dir, g->name);
      g_clear_error (&error);
      if (g_file_delete (file, cancellable, &error))
        {
          g_debug ("removed the old backup %s", g->name);
          removed++;
        }
      else
        g_warning ("Cannot remove the old backup %s: %s", g->name, error->message);
    }
  return removed;
}
