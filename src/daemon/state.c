/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "state.h"

#include <gio/gio.h>
#include <license-backup/lb-enum-types.h>
#include <license-backup/lb-types.h>

#include "error-convert.h"

#define GROUP "license-backup"

static void
set_defaults (LbState *state, gint64 now)
{
  state->backup_path = g_strdup ("");
  state->restore_path = g_strdup ("");
  state->last_backup_time = 0;
  state->automatic = LB_AUTOMATIC_BACKUP_DEFAULT;
  state->keep = LB_KEEP_BACKUPS_DEFAULT;
  state->folder_backup_time = 0;
  state->folder_verified_time = 0;
  state->folder_backup_changes = 0;
  state->automatic_since = now;
  state->automatic_ok_time = 0;
  state->notice_time = 0;
  state->automatic_error = g_strdup ("");
  state->encrypt = FALSE;
  state->passphrase_era = 0;
}

static gint64
get_int64 (GKeyFile *kf, const char *key, gint64 fallback)
{
  g_autoptr (GError) error = NULL;
  gint64 value = g_key_file_get_int64 (kf, GROUP, key, &error);

  return error == NULL ? value : fallback;
}

/* Replaces *@value when the file has @key. */
static void
get_string (GKeyFile *kf, const char *key, char **value)
{
  char *s = g_key_file_get_string (kf, GROUP, key, NULL);

  if (s == NULL)
    return;
  g_free (*value);
  *value = s;
}

gboolean
lb_state_load (LbState *state, const char *path, gint64 now, GError **error)
{
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_autoptr (GError) local_error = NULL;
  g_autofree char *automatic = NULL;

  set_defaults (state, now);
  if (!g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return TRUE;
      lb_error_convert (&local_error);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  get_string (kf, "backup-path", &state->backup_path);
  get_string (kf, "restore-path", &state->restore_path);
  get_string (kf, "automatic-error", &state->automatic_error);
  state->last_backup_time = get_int64 (kf, "last-backup-time", 0);
  automatic = g_key_file_get_string (kf, GROUP, "automatic-backup", NULL);
  if (automatic != NULL)
    {
      g_autoptr (GEnumClass) klass = g_type_class_ref (LB_TYPE_AUTOMATIC_BACKUP);
      GEnumValue *value = g_enum_get_value_by_nick (klass, automatic);

      /* A value of a newer version: the default rather than nothing. */
      if (value != NULL)
        state->automatic = value->value;
    }
  state->keep = (guint) CLAMP (get_int64 (kf, "keep-backups", LB_KEEP_BACKUPS_DEFAULT), 1,
                               LB_KEEP_BACKUPS_MAX);
  state->folder_backup_time = get_int64 (kf, "folder-backup-time", 0);
  state->folder_verified_time = get_int64 (kf, "folder-verified-time", 0);
  state->folder_backup_changes = (guint64) get_int64 (kf, "folder-backup-changes", 0);
  state->automatic_since = get_int64 (kf, "automatic-since", now);
  state->automatic_ok_time = get_int64 (kf, "automatic-ok-time", 0);
  state->notice_time = get_int64 (kf, "notice-time", 0);
  state->encrypt = g_key_file_get_boolean (kf, GROUP, "encrypt-backups", NULL);
  state->passphrase_era = (guint) CLAMP (get_int64 (kf, "passphrase-era", 0), 0, G_MAXUINT32);
  return TRUE;
}

gboolean
lb_state_save (const LbState *state, const char *path, GError **error)
{
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_autoptr (GEnumClass) klass = g_type_class_ref (LB_TYPE_AUTOMATIC_BACKUP);
  GEnumValue *automatic = g_enum_get_value (klass, state->automatic);
  g_autofree char *data = NULL;
  gsize len;

  g_key_file_set_string (kf, GROUP, "backup-path", state->backup_path);
  g_key_file_set_string (kf, GROUP, "restore-path", state->restore_path);
  g_key_file_set_int64 (kf, GROUP, "last-backup-time", state->last_backup_time);
  g_key_file_set_string (kf, GROUP, "automatic-backup",
                         automatic != NULL ? automatic->value_nick : "never");
  g_key_file_set_int64 (kf, GROUP, "keep-backups", state->keep);
  g_key_file_set_int64 (kf, GROUP, "folder-backup-time", state->folder_backup_time);
  g_key_file_set_int64 (kf, GROUP, "folder-verified-time", state->folder_verified_time);
  g_key_file_set_int64 (kf, GROUP, "folder-backup-changes", (gint64) state->folder_backup_changes);
  g_key_file_set_int64 (kf, GROUP, "automatic-since", state->automatic_since);
  g_key_file_set_int64 (kf, GROUP, "automatic-ok-time", state->automatic_ok_time);
  g_key_file_set_int64 (kf, GROUP, "notice-time", state->notice_time);
  g_key_file_set_string (kf, GROUP, "automatic-error", state->automatic_error);
  g_key_file_set_boolean (kf, GROUP, "encrypt-backups", state->encrypt);
  g_key_file_set_int64 (kf, GROUP, "passphrase-era", state->passphrase_era);
  data = g_key_file_to_data (kf, &len, NULL);
  if (!g_file_set_contents_full (path, data, (gssize) len,
                                 G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE, 0600,
                                 error))
    {
      lb_error_convert (error);
      return FALSE;
    }
  return TRUE;
}

void
lb_state_clear (LbState *state)
{
  g_clear_pointer (&state->backup_path, g_free);
  g_clear_pointer (&state->restore_path, g_free);
  g_clear_pointer (&state->automatic_error, g_free);
}
