/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "state.h"

#include <gio/gio.h>

#include "error-convert.h"

#define GROUP "license-backup"

gboolean
lb_state_load (LbState *state, const char *path, GError **error)
{
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_autoptr (GError) local_error = NULL;

  state->backup_path = g_strdup ("");
  state->restore_path = g_strdup ("");
  state->last_backup_time = 0;
  if (!g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return TRUE;
      lb_error_convert (&local_error);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  g_free (state->backup_path);
  g_free (state->restore_path);
  state->backup_path = g_key_file_get_string (kf, GROUP, "backup-path", NULL);
  state->restore_path = g_key_file_get_string (kf, GROUP, "restore-path", NULL);
  state->last_backup_time = g_key_file_get_int64 (kf, GROUP, "last-backup-time", NULL);
  if (state->backup_path == NULL)
    state->backup_path = g_strdup ("");
  if (state->restore_path == NULL)
    state->restore_path = g_strdup ("");
  return TRUE;
}

gboolean
lb_state_save (const LbState *state, const char *path, GError **error)
{
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_autofree char *data = NULL;
  gsize len;

  g_key_file_set_string (kf, GROUP, "backup-path", state->backup_path);
  g_key_file_set_string (kf, GROUP, "restore-path", state->restore_path);
  g_key_file_set_int64 (kf, GROUP, "last-backup-time", state->last_backup_time);
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
}
