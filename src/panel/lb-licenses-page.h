/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* LbLicensesPage: the "Media Licenses" settings page.
 *
 * An AdwPreferencesPage driven only by the public API of the service
 * (org.freedesktop.LicenseBackup1), through liblicense-backup's LbClient: it shows
 * the number of licenses, the apps holding them, the last backup time and
 * the two locations, and starts, follows and cancels backups and restores.
 * It follows whatever operation the service runs, whoever started it,
 * because it binds to the client's properties and signals and subscribes
 * to the details of every operation.
 *
 * Put it in a window whose content is (or holds) an AdwToastOverlay, or in
 * an AdwPreferencesWindow, for its toasts; without either it shows the
 * outcome of an operation on the page only.
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define LB_TYPE_LICENSES_PAGE (lb_licenses_page_get_type ())
G_DECLARE_FINAL_TYPE (LbLicensesPage, lb_licenses_page, LB, LICENSES_PAGE, AdwPreferencesPage)

/* A page talking to the service on @connection, or on the session bus when
 * @connection is NULL. */
GtkWidget *lb_licenses_page_new (GDBusConnection *connection);

/* The connection given at construction, or NULL. */
GDBusConnection *lb_licenses_page_get_connection (LbLicensesPage *self);

G_END_DECLS
