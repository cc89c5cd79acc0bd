/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Integration tests of the license-backup command-line client: the real
 * build/src/client/license-backup, run as a subprocess against the real
 * daemon on a private bus, judged only by what a user sees: its standard
 * output, its standard error and its exit status (and the files and
 * licenses it leaves behind).
 *
 * Tests are grouped (/client/<group>/...); meson runs each group as its own
 * test so that groups run in parallel (see tests/client/meson.build).
 *
 * Hooks used: LB_FAULT_DELAY_US slows every license of a backup or restore
 * in the daemon (so that a test can watch, cancel or interrupt a running
 * one); LB_LOCALEDIR makes the client and the daemon read the build tree's
 * translations.
 */
#include "config.h"

#include "client-util.h"

/* The tests */

static const TestCase tests[] = {
  { "cli/help", SETUP_NONE, DAEMON_FAST, test_cli_help },
  { "cli/version", SETUP_NONE, DAEMON_FAST, test_cli_version },
  { "cli/command-help", SETUP_NONE, DAEMON_FAST, test_cli_command_help },
  { "cli/usage-errors", SETUP_NONE, DAEMON_FAST, test_cli_usage_errors },
  { "cli/unreachable", SETUP_BUS, DAEMON_FAST, test_cli_unreachable },

  { "store/import-export", SETUP_DAEMON, DAEMON_FAST, test_store_import_export },
  { "store/delete", SETUP_DAEMON, DAEMON_FAST, test_store_delete },
  { "store/list", SETUP_DAEMON, DAEMON_FAST, test_store_list },
  { "store/list-paging", SETUP_DAEMON, DAEMON_FAST, test_store_list_paging },
  { "store/clean", SETUP_DAEMON, DAEMON_FAST, test_store_clean },
  { "store/config", SETUP_DAEMON, DAEMON_FAST, test_store_config },
  { "store/status", SETUP_DAEMON, DAEMON_FAST, test_store_status },

  { "backup/summary", SETUP_DAEMON, DAEMON_FAST, test_backup_summary },
  { "backup/exists-overwrite", SETUP_DAEMON, DAEMON_FAST, test_backup_exists_overwrite },
  { "backup/not-set", SETUP_DAEMON, DAEMON_FAST, test_backup_not_set },
  { "backup/json", SETUP_DAEMON, DAEMON_FAST, test_backup_json },

  { "restore/same-machine", SETUP_DAEMON, DAEMON_FAST, test_restore_same_machine },
  { "restore/corrupt", SETUP_DAEMON, DAEMON_FAST, test_restore_corrupt },
  { "restore/other-machine", SETUP_DAEMON, DAEMON_FAST, test_restore_other_machine },
  { "restore/restore-limit", SETUP_DAEMON, DAEMON_FAST, test_restore_limit },

  { "verify/whole", SETUP_DAEMON, DAEMON_FAST, test_verify_whole },
  { "verify/damaged", SETUP_DAEMON, DAEMON_FAST, test_verify_damaged },
  { "verify/generation", SETUP_DAEMON, DAEMON_FAST, test_verify_generation },
  { "verify/json", SETUP_DAEMON, DAEMON_FAST, test_verify_json },
  { "verify/exit-codes", SETUP_DAEMON, DAEMON_FAST, test_verify_exit_codes },
  { "verify/generations-column", SETUP_DAEMON, DAEMON_FAST, test_verify_generations_column },
  { "verify/status", SETUP_DAEMON, DAEMON_SLOW, test_verify_status },

  { "slow/progress-lines", SETUP_DAEMON, DAEMON_SLOW, test_slow_progress_lines },
  { "slow/cancel-by-other-client", SETUP_DAEMON, DAEMON_SLOW, test_slow_cancel_by_other_client },
  { "slow/cancel-restore", SETUP_DAEMON, DAEMON_SLOW, test_slow_cancel_restore },
  { "slow/busy", SETUP_DAEMON, DAEMON_SLOW, test_slow_busy },
  { "slow/ctrl-c", SETUP_DAEMON, DAEMON_SLOW, test_slow_ctrl_c },
  { "slow/ctrl-c-restore-json", SETUP_DAEMON, DAEMON_SLOW, test_slow_ctrl_c_restore_json },

  { "robust/daemon-dies", SETUP_DAEMON, DAEMON_SLOW, test_robust_daemon_dies },
  { "robust/daemon-dies-ctrl-c", SETUP_DAEMON, DAEMON_SLOW, test_robust_daemon_dies },

  { "tty/progress-bar", SETUP_DAEMON, DAEMON_SLOW, test_tty_progress_bar },
  { "tty/consent-yes", SETUP_DAEMON, DAEMON_FAST, test_tty_consent },
  { "tty/consent-no", SETUP_DAEMON, DAEMON_FAST, test_tty_consent },
  { "tty/yes-option", SETUP_DAEMON, DAEMON_FAST, test_tty_yes },
  { "tty/json", SETUP_DAEMON, DAEMON_SLOW, test_tty_json },

  { "encrypt/config", SETUP_DAEMON, DAEMON_KEYRING, test_encrypt_config },
  { "encrypt/restore", SETUP_DAEMON, DAEMON_KEYRING, test_encrypt_restore },
  { "encrypt/tty-on", SETUP_DAEMON, DAEMON_KEYRING, test_encrypt_tty_on },
  { "encrypt/tty-restore", SETUP_DAEMON, DAEMON_KEYRING, test_encrypt_tty_restore },

  { "i18n/german", SETUP_DAEMON, DAEMON_GERMAN, test_i18n_german },
  { "i18n/consent", SETUP_DAEMON, DAEMON_GERMAN, test_i18n_consent },

  { "nospace/backup", SETUP_BUS, DAEMON_FAST, test_nospace_backup },

  { "apps/apps", SETUP_BUS, DAEMON_FAST, test_apps_apps },
  { "apps/list", SETUP_BUS, DAEMON_FAST, test_apps_list },
  { "apps/list-paging", SETUP_BUS, DAEMON_FAST, test_apps_list_paging },
  { "apps/export-delete", SETUP_BUS, DAEMON_FAST, test_apps_export_delete },
  { "apps/bad-app", SETUP_BUS, DAEMON_FAST, test_apps_bad_app },
  { "apps/backup-restore", SETUP_BUS, DAEMON_FAST, test_apps_backup_restore },
  { "apps/sandbox", SETUP_BUS, DAEMON_FAST, test_apps_sandbox },
};

int
main (int argc, char **argv)
{
  return lb_test_main_cases (&argc, &argv, "/client/",
                             "tests/client/meson.build's client_test_groups", tests, Fixture, setup,
                             teardown);
}
