/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* backup.c: the user's side: back up every license to a folder, showing
 * the progress, and say which licenses the backup left out.
 *
 *   cc backup.c -o backup $(pkg-config --cflags --libs license-backup-1)
 *   ./backup ~/license-backups
 */
#include <license-backup/license-backup.h>

static void
on_progress (LbClient *client, GParamSpec *pspec, gpointer user_data)
{
  /* The client's properties follow the service while the backup runs. */
  g_print ("\r%3.0f%%", 100 * lb_client_get_progress (client));
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LbClient) client = NULL;
  g_autoptr (LbOperationResult) result = NULL;
  g_auto (GStrv) left_out = NULL;
  guint64 n;

  if (argc != 2)
    {
      g_printerr ("Usage: %s FOLDER\n", argv[0]);
      return 2;
    }
  client = lb_client_new_sync (NULL, &error);
  if (client == NULL)
    {
      g_printerr ("Cannot reach the license service: %s\n", error->message);
      return 1;
    }
  g_signal_connect (client, "notify::progress", G_CALLBACK (on_progress), NULL);

  /* Runs the backup to its end; OVERWRITE adds a new backup beside those
   * already in the folder (without it: LB_ERROR_BACKUP_EXISTS). A GCancellable given
   * here would cancel the backup in the service. */
  result = lb_client_backup_sync (client, LB_BACKUP_FLAGS_OVERWRITE, argv[1], NULL, &error);
  g_print ("\n");
  if (result == NULL)
    {
      if (g_error_matches (error, LB_ERROR, LB_ERROR_PERMISSION_DENIED))
        g_printerr ("Only the user's own tools may back up licenses.\n");
      g_printerr ("The backup failed: %s\n", error->message);
      return 1;
    }
  n = lb_operation_result_get_licenses (result);
  g_print ("Backed up %" G_GUINT64_FORMAT " %s to %s\n", n, n == 1 ? "license" : "licenses",
           lb_operation_result_get_location (result));
  /* Licenses without the right to be backed up, or expired, stay out. */
  left_out = lb_operation_result_get_restricted_key_ids (result);
  for (guint i = 0; left_out[i] != NULL; i++)
    g_print ("Left out: %s\n", left_out[i]);
  return 0;
}
