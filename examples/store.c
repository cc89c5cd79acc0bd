/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* store.c: an app keeps its content licenses in the license backup
 * service, then lists them. The service backs them up with the user's
 * other licenses and restores them on a new computer.
 *
 *   cc store.c -o store $(pkg-config --cflags --libs license-backup-1)
 *   ./store
 */
#include <license-backup/license-backup.h>

int
main (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LbClient) client = NULL;
  g_autoptr (GBytes) data = NULL;
  g_autoptr (LbLicense) license = NULL;
  g_autoptr (GPtrArray) licenses = NULL;
  guint count;

  /* Connects to the service on the session bus (D-Bus starts it). */
  client = lb_client_new_sync (NULL, &error);
  if (client == NULL)
    {
      g_printerr ("Cannot reach the license service: %s\n", error->message);
      return 1;
    }

  /* A license is opaque data under a key id; the attributes tell the
   * service how it may be backed up and restored. */
  data = g_bytes_new_static ("opaque license bytes", 20);
  license = lb_license_new ("movie-42-key", data);
  lb_license_set_content_id (license, "movie-42");
  lb_license_set_issuer (license, "Example Studio");
  lb_license_set_restore_limit (license, 3); /* restorable on 3 other computers */
  if (!lb_client_store_license_sync (client, license, NULL, &error))
    {
      /* Errors are LB_ERROR codes, e.g. LB_ERROR_INVALID_ARGS or
       * LB_ERROR_NO_SPACE. */
      g_printerr ("Cannot store the license: %s\n", error->message);
      return 1;
    }

  /* The licenses this app stored (without their data). */
  licenses = lb_client_list_licenses_sync (client, NULL, &error);
  if (licenses == NULL)
    {
      g_printerr ("Cannot list the licenses: %s\n", error->message);
      return 1;
    }
  for (guint i = 0; i < licenses->len; i++)
    {
      LbLicense *l = licenses->pdata[i];

      g_print ("%s (content %s)\n", lb_license_get_key_id (l),
               lb_license_get_content_id (l) != NULL ? lb_license_get_content_id (l) : "-");
    }
  count = lb_client_get_license_count (client);
  g_print ("%u %s in the store\n", count, count == 1 ? "license" : "licenses");
  return 0;
}
