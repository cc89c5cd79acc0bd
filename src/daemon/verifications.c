/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "verifications.h"

#include <stdlib.h>
#include <string.h>

struct _LbVerifications
{
  GObject parent_instance;

  char *path;
  GMutex lock;    /* guards keys */
  GKeyFile *keys; /* [folder URI] name=time;error message */
};

G_DEFINE_TYPE (LbVerifications, lb_verifications, G_TYPE_OBJECT)

static void
lb_verifications_finalize (GObject *object)
{
  LbVerifications *self = LB_VERIFICATIONS (object);

  g_free (self->path);
  g_key_file_unref (self->keys);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (lb_verifications_parent_class)->finalize (object);
}

static void
lb_verifications_class_init (LbVerificationsClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = lb_verifications_finalize;
}

static void
lb_verifications_init (LbVerifications *self)
{
  g_mutex_init (&self->lock);
  self->keys = g_key_file_new ();
}

LbVerifications *
lb_verifications_new (const char *path)
{
  LbVerifications *self = g_object_new (LB_TYPE_VERIFICATIONS, NULL);
  g_autoptr (GError) error = NULL;

  self->path = g_strdup (path);
  if (!g_key_file_load_from_file (self->keys, path, G_KEY_FILE_NONE, &error)
      && !g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    g_warning ("Cannot read %s, what is known of the backups' checks: %s", path, error->message);
  return self;
}

/* The folder's group: its URI, whose brackets (an IPv6 host) a key file
 * does not take in a group name. */
static char *
group_for (GFile *dir)
{
  g_autofree char *uri = g_file_get_uri (dir);
  GString *out = g_string_new (NULL);

  for (const char *p = uri; *p != '\0'; p++)
    {
      if (*p == '[' || *p == ']')
        g_string_append_printf (out, "%%%02X", (guchar) *p);
      else
        g_string_append_c (out, *p);
    }
  return g_string_free (out, FALSE);
}

/* "time;message": the time first, so a message may hold anything. */
static gboolean
parse_value (const char *value, gint64 *time, char **error_message)
{
  char *end = NULL;
  gint64 t;

  if (value == NULL)
    return FALSE;
  t = g_ascii_strtoll (value, &end, 10);
  if (end == value || *end != ';')
    return FALSE;
  if (time != NULL)
    *time = t;
  if (error_message != NULL)
    *error_message = g_strdup (end + 1);
  return TRUE;
}

/* The key that marks a backup written damaged: not a file name, which
 * never holds a '#'. */
static char *
written_damaged_key (const char *name)
{
  return g_strconcat (name, "#written-damaged", NULL);
}

#define ERA_SUFFIX "#passphrase-era"

/* Saves the file; under the lock. */
static void
save_locked (LbVerifications *self)
{
  g_autofree char *data = NULL;
  g_autoptr (GError) error = NULL;
  gsize len;

  data = g_key_file_to_data (self->keys, &len, NULL);
  if (!g_file_set_contents_full (self->path, data, (gssize) len,
                                 G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE, 0600,
                                 &error))
    g_warning ("Cannot save what is known of the backups' checks: %s", error->message);
}

void
lb_verifications_set_era (LbVerifications *self, GFile *dir, const char *name, guint era)
{
  g_autofree char *group = group_for (dir);
  g_autofree char *key = g_strconcat (name, ERA_SUFFIX, NULL);
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  g_key_file_set_uint64 (self->keys, group, key, era);
  save_locked (self);
}

gboolean
lb_verifications_lookup_era (LbVerifications *self, GFile *dir, const char *name, guint *era)
{
  g_autofree char *group = group_for (dir);
  g_autofree char *key = g_strconcat (name, ERA_SUFFIX, NULL);
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  g_autoptr (GError) error = NULL;
  guint64 value = g_key_file_get_uint64 (self->keys, group, key, &error);

  if (error != NULL || value > G_MAXUINT32)
    return FALSE;
  *era = (guint) value;
  return TRUE;
}

GStrv
lb_verifications_written_encrypted (LbVerifications *self, GFile *dir)
{
  g_autofree char *group = group_for (dir);
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  g_auto (GStrv) keys = g_key_file_get_keys (self->keys, group, NULL, NULL);
  g_autoptr (GStrvBuilder) out = g_strv_builder_new ();

  for (guint i = 0; keys != NULL && keys[i] != NULL; i++)
    if (g_str_has_suffix (keys[i], ERA_SUFFIX))
      {
        g_autofree char *name = g_strndup (keys[i], strlen (keys[i]) - strlen (ERA_SUFFIX));

        g_strv_builder_add (out, name);
      }
  return g_strv_builder_end (out);
}

void
lb_verifications_record (LbVerifications *self,
                         GFile *dir,
                         const char *name,
                         gint64 time,
                         const char *error_message,
                         gboolean at_write)
{
  g_autofree char *group = group_for (dir);
  g_autofree char *value = NULL;
  g_autofree char *marker = written_damaged_key (name);
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  value = g_strdup_printf ("%" G_GINT64_FORMAT ";%s", time,
                           error_message != NULL ? error_message : "");
  g_key_file_set_value (self->keys, group, name, value);
  if (error_message == NULL)
    g_key_file_remove_key (self->keys, group, marker, NULL);
  else if (at_write)
    g_key_file_set_boolean (self->keys, group, marker, TRUE);
  save_locked (self);
}

gboolean
lb_verifications_lookup (
    LbVerifications *self, GFile *dir, const char *name, gint64 *time, char **error_message)
{
  g_autofree char *group = group_for (dir);
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  g_autofree char *value = g_key_file_get_value (self->keys, group, name, NULL);

  return parse_value (value, time, error_message);
}

GStrv
lb_verifications_failed (LbVerifications *self, GFile *dir)
{
  g_autofree char *group = group_for (dir);
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  g_auto (GStrv) keys = g_key_file_get_keys (self->keys, group, NULL, NULL);
  g_autoptr (GStrvBuilder) out = g_strv_builder_new ();

  for (guint i = 0; keys != NULL && keys[i] != NULL; i++)
    if (g_str_has_suffix (keys[i], "#written-damaged")
        && g_key_file_get_boolean (self->keys, group, keys[i], NULL))
      {
        g_autofree char *name = g_strndup (keys[i], strlen (keys[i]) - strlen ("#written-damaged"));

        g_strv_builder_add (out, name);
      }
  return g_strv_builder_end (out);
}
