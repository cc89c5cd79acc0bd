/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* For the tests only: the page's parts and state. */
#pragma once

#include "lb-licenses-page.h"

G_BEGIN_DECLS

typedef enum
{
  LB_LICENSES_PAGE_CONNECTING,  /* the client is being made */
  LB_LICENSES_PAGE_READY,       /* the service runs */
  LB_LICENSES_PAGE_UNAVAILABLE, /* not running and cannot be started */
} LbLicensesPageState;

LbLicensesPageState lb_licenses_page_get_state (LbLicensesPage *self);

typedef enum
{
  LB_LICENSES_PAGE_COUNT_LABEL,      /* GtkLabel: the number of licenses */
  LB_LICENSES_PAGE_LAST_BACKUP_ROW,  /* AdwActionRow: subtitle "Never" / "Last backed up …" */
  LB_LICENSES_PAGE_BACKUP_ROW,       /* AdwActionRow: the backup location */
  LB_LICENSES_PAGE_RESTORE_ROW,      /* AdwActionRow: the restore location */
  LB_LICENSES_PAGE_BACKUP_BUTTON,    /* GtkButton "Back Up Now" */
  LB_LICENSES_PAGE_RESTORE_BUTTON,   /* GtkButton "Restore…" */
  LB_LICENSES_PAGE_PROGRESS_ROW,     /* AdwActionRow: shown while an operation runs */
  LB_LICENSES_PAGE_PROGRESS_BAR,     /* GtkProgressBar */
  LB_LICENSES_PAGE_CANCEL_BUTTON,    /* GtkButton "Cancel" */
  LB_LICENSES_PAGE_RESULT_GROUP,     /* AdwPreferencesGroup: the outcome of the last operation */
  LB_LICENSES_PAGE_BANNER,           /* AdwActionRow: the error banner */
  LB_LICENSES_PAGE_BANNER_LINK,      /* GtkLinkButton: the issuer's URL (LB_STATUS_ERROR_WITHURL) */
  LB_LICENSES_PAGE_UNAVAILABLE_PAGE, /* AdwStatusPage: the service is missing */
  LB_LICENSES_PAGE_APPS_GROUP,       /* AdwPreferencesGroup: one AdwActionRow per app */
  LB_LICENSES_PAGE_AUTOMATIC_ROW,    /* AdwComboRow "Back Up Automatically", "Next backup in …" */
  LB_LICENSES_PAGE_GENERATION_LIST,  /* GtkDropDown: the backups the restore dialog offers, or NULL
                                      */
  LB_LICENSES_PAGE_CHECK_BUTTON,     /* GtkButton "Check Backup" */
  LB_LICENSES_PAGE_BANNER_RESTORE_BUTTON,  /* GtkButton "Restore the Backup of <date>" in the
                                            * banner, when the newest backup is damaged */
  LB_LICENSES_PAGE_ENCRYPT_SWITCH,         /* GtkSwitch "Encrypt Backups" */
  LB_LICENSES_PAGE_PASSPHRASE_BUTTON,      /* GtkButton "Change Passphrase…", while encrypting */
  LB_LICENSES_PAGE_PASSPHRASE_ENTRY,       /* GtkPasswordEntry of the passphrase dialog, or NULL */
  LB_LICENSES_PAGE_PASSPHRASE_AGAIN_ENTRY, /* its second one (a new passphrase), or NULL */
} LbLicensesPagePart;

GtkWidget *lb_licenses_page_get_part (LbLicensesPage *self, LbLicensesPagePart part);

/* The row showing the outcome of the last operation (an AdwActionRow, or
 * an AdwExpanderRow listing the licenses left out), or NULL. */
GtkWidget *lb_licenses_page_get_result_row (LbLicensesPage *self);

/* The text of the last toast, or NULL. */
const char *lb_licenses_page_get_last_toast (LbLicensesPage *self);

/* The folder chooser the page shows now (a GtkFileChooserNative), or NULL. */
GtkFileChooser *lb_licenses_page_get_chooser (LbLicensesPage *self);

/* The question the page asks now (an AdwMessageDialog), or NULL. */
AdwMessageDialog *lb_licenses_page_get_dialog (LbLicensesPage *self);

G_END_DECLS
