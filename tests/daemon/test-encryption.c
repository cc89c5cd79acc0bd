/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Encrypted backups (issue 21), against the real daemon on a private bus
 * with a real keyring: gnome-keyring-daemon's Secret Service on the same
 * bus, in a home of its own, its "login" keyring made fresh and unlocked
 * from a password on its standard input. Without gnome-keyring-daemon
 * (or where it cannot start) the tests exit 77, saying why.
 *
 * SetEncryption and the keyring, EncryptBackups, CheckPassphrase; the
 * passphrase comes in sealed memfds, as clients send it.
 */
#include "config.h"

#include <fcntl.h>
#include <gio/gunixfdlist.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <license-backup/license-backup.h>

#include "lb-test-util.h"

#define PASSPHRASE "correct horse battery staple"
#define OTHER_PASSPHRASE "Tr0ub4dor&3 ünd mehr"
#define KEYRING_PASSWORD "keyring-login-password"
#define SECRETS_NAME "org.freedesktop.secrets"
#define SECRETS_PATH "/org/freedesktop/secrets"
#define LOGIN_COLLECTION "/org/freedesktop/secrets/collection/login"

typedef struct
{
  LbTestServiceFixture s;
  GSubprocess *keyring; /* gnome-keyring-daemon, NULL without one */
  char *keyring_home;
  char *skip; /* why the test cannot run here */
} Fixture;

/* The keyring */

static gboolean
name_has_owner (gpointer user_data)
{
  Fixture *f = user_data;
  g_autoptr (GVariant) reply = g_dbus_connection_call_sync (
      lb_test_bus_get_connection (f->s.bus), "org.freedesktop.DBus", "/org/freedesktop/DBus",
      "org.freedesktop.DBus", "NameHasOwner", g_variant_new ("(s)", SECRETS_NAME),
      G_VARIANT_TYPE ("(b)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
  gboolean owned = FALSE;

  if (reply != NULL)
    g_variant_get (reply, "(b)", &owned);
  return owned;
}

static void
child_setup (gpointer user_data)
{
  lb_test_die_with_parent (user_data);
}

/* gnome-keyring-daemon on the test's bus, in a home of its own: with
 * --unlock it makes the "login" keyring from the password on its standard
 * input, unlocked, and the default. FALSE with f->skip set when it cannot. */
static gboolean
start_keyring (Fixture *f, gboolean unlock)
{
  g_autofree char *program = g_find_program_in_path ("gnome-keyring-daemon");
  g_autofree char *data_home = NULL;
  g_autofree char *runtime = NULL;
  g_autofree char *log = NULL;
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) alias = NULL;
  GOutputStream *in;
  const char *argv[] = { NULL, "--foreground", "--components=secrets", NULL, NULL };

  if (program == NULL)
    {
      f->skip = g_strdup ("gnome-keyring-daemon is not installed (apt-get install gnome-keyring)");
      return FALSE;
    }
  argv[0] = program;
  argv[3] = unlock ? "--unlock" : NULL;
  f->keyring_home = lb_test_make_tmp_dir ("keyring");
  data_home = g_build_filename (f->keyring_home, "data", NULL);
  runtime = g_build_filename (f->keyring_home, "run", NULL);
  log = g_build_filename (f->keyring_home, "keyring.log", NULL);
  g_mkdir_with_parents (data_home, 0700);
  g_mkdir_with_parents (runtime, 0700);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE
                                        | G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_subprocess_launcher_set_environ (launcher, (char *[]){ NULL });
  g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS",
                                lb_test_bus_get_address (f->s.bus), TRUE);
  g_subprocess_launcher_setenv (launcher, "HOME", f->keyring_home, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", data_home, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_RUNTIME_DIR", runtime, TRUE);
  g_subprocess_launcher_setenv (launcher, "PATH", g_getenv ("PATH"), TRUE);
  g_subprocess_launcher_set_stdout_file_path (launcher, log);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, GINT_TO_POINTER (getpid ()),
                                         NULL);
  f->keyring = g_subprocess_launcher_spawnv (launcher, argv, &error);
  if (f->keyring == NULL)
    {
      f->skip = g_strdup_printf ("gnome-keyring-daemon cannot start: %s", error->message);
      return FALSE;
    }
  /* The login password, then end of file: that is how PAM hands it over. */
  in = g_subprocess_get_stdin_pipe (f->keyring);
  if (unlock)
    g_output_stream_write_all (in, KEYRING_PASSWORD, strlen (KEYRING_PASSWORD), NULL, NULL, NULL);
  g_output_stream_close (in, NULL, NULL);
  if (!lb_test_wait_until (name_has_owner, f, 10000))
    {
      g_autofree char *text = NULL;

      g_file_get_contents (log, &text, NULL, NULL);
      f->skip = g_strdup_printf ("gnome-keyring-daemon did not take %s on the bus: %s",
                                 SECRETS_NAME, text != NULL ? text : "");
      return FALSE;
    }
  if (!unlock)
    return TRUE;
  alias = g_dbus_connection_call_sync (
      lb_test_bus_get_connection (f->s.bus), SECRETS_NAME, SECRETS_PATH,
      "org.freedesktop.Secret.Service", "ReadAlias", g_variant_new ("(s)", "default"),
      G_VARIANT_TYPE ("(o)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  if (alias == NULL || !g_str_equal (g_variant_get_string (g_variant_get_child_value (alias, 0),
                                                           NULL),
                                     LOGIN_COLLECTION))
    {
      f->skip = g_strdup_printf ("gnome-keyring-daemon made no default login keyring%s%s",
                                 error != NULL ? ": " : "", error != NULL ? error->message : "");
      return FALSE;
    }
  return TRUE;
}

static void
stop_keyring (Fixture *f)
{
  if (f->keyring == NULL)
    return;
  g_subprocess_force_exit (f->keyring);
  g_subprocess_wait (f->keyring, NULL, NULL);
  g_clear_object (&f->keyring);
}

/* Locks the login keyring through the Secret Service, as a screen lock
 * does. */
static void
lock_keyring (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = g_dbus_connection_call_sync (
      lb_test_bus_get_connection (f->s.bus), SECRETS_NAME, SECRETS_PATH,
      "org.freedesktop.Secret.Service", "Lock",
      g_variant_new_parsed ("([objectpath '" LOGIN_COLLECTION "'],)"), G_VARIANT_TYPE ("(aoo)"),
      G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);

  g_assert_no_error (error);
}

/* How many items of our schema the keyring holds (unlocked and locked). */
static guint
keyring_items (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) unlocked = NULL;
  g_autoptr (GVariant) locked = NULL;
  g_autoptr (GVariant) reply = g_dbus_connection_call_sync (
      lb_test_bus_get_connection (f->s.bus), SECRETS_NAME, SECRETS_PATH,
      "org.freedesktop.Secret.Service", "SearchItems",
      g_variant_new_parsed ("({'xdg:schema': 'org.freedesktop.LicenseBackup1.Passphrase'},)"),
      G_VARIANT_TYPE ("(aoao)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);

  g_assert_no_error (error);
  if (reply == NULL)
    return 0;
  g_variant_get (reply, "(@ao@ao)", &unlocked, &locked);
  return (guint) (g_variant_n_children (unlocked) + g_variant_n_children (locked));
}

/* The fixture */

static void
setup_common (Fixture *f, gboolean keyring, gboolean unlock)
{
  lb_test_service_fixture_init (&f->s);
  if (keyring && !start_keyring (f, unlock))
    return;
  g_assert_true (lb_test_machine_start_service (f->s.machine, NULL, &f->s.store, &f->s.manager));
}

static void
setup (Fixture *f, gconstpointer data)
{
  setup_common (f, TRUE, TRUE);
}

static void
setup_no_keyring (Fixture *f, gconstpointer data)
{
  setup_common (f, FALSE, FALSE);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  lb_test_service_fixture_clear (&f->s);
  stop_keyring (f);
  if (f->keyring_home != NULL)
    lb_test_rm_rf (f->keyring_home);
  g_free (f->keyring_home);
  g_free (f->skip);
}

/* Exits 77 (skipped) with the reason when the keyring could not start. */
static gboolean
skipped (Fixture *f)
{
  if (f->skip == NULL)
    return FALSE;
  g_test_skip (f->skip);
  return TRUE;
}

/* Calls */

/* A memfd holding @len bytes of @bytes, sealed as the service wants it
 * (@seal FALSE: not sealed). */
static int
memfd_with (const char *bytes, gsize len, gboolean seal)
{
  int fd = memfd_create ("passphrase", MFD_CLOEXEC | MFD_ALLOW_SEALING);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (write (fd, bytes, len), ==, (gssize) len);
  if (seal)
    g_assert_cmpint (fcntl (fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW), ==, 0);
  return fd;
}

/* A list holding the memfd of @passphrase (NULL: none), as handle 0. */
static GUnixFDList *
passphrase_fds (const char *passphrase)
{
  GUnixFDList *fds;
  int fd;

  if (passphrase == NULL)
    return NULL;
  fd = memfd_with (passphrase, strlen (passphrase), TRUE);
  fds = g_unix_fd_list_new_from_array (&fd, 1);
  return fds;
}

static gboolean
set_encryption (Fixture *f, gboolean encrypt, const char *passphrase, gboolean forget, GError **error)
{
  g_autoptr (GUnixFDList) fds = passphrase_fds (passphrase);
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  if (passphrase != NULL)
    g_variant_builder_add (&b, "{sv}", "passphrase", g_variant_new_handle (0));
  if (forget)
    g_variant_builder_add (&b, "{sv}", "forget", g_variant_new_boolean (TRUE));
  return lb_dbus_manager_call_set_encryption_sync (f->s.manager, encrypt, g_variant_builder_end (&b),
                                                   fds, NULL, NULL, error);
}

static void
set_encryption_ok (Fixture *f, gboolean encrypt, const char *passphrase)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (set_encryption (f, encrypt, passphrase, FALSE, &error));
  g_assert_no_error (error);
}

static gboolean
check_passphrase (Fixture *f, const char *passphrase, gboolean *matches, GError **error)
{
  g_autoptr (GUnixFDList) fds = passphrase_fds (passphrase);

  return lb_dbus_manager_call_check_passphrase_sync (f->s.manager, g_variant_new_handle (0), fds,
                                                     matches, NULL, NULL, error);
}

static gboolean
encrypt_backups (Fixture *f)
{
  g_autoptr (GVariant) value
      = lb_test_bus_get_property (f->s.bus, "org.freedesktop.LicenseBackup1", "EncryptBackups", NULL);

  return value != NULL && g_variant_get_boolean (value);
}

/* The daemon's state.ini. */
static char *
read_state (Fixture *f)
{
  g_autofree char *path
      = g_build_filename (lb_test_machine_get_store_dir (f->s.machine), "state.ini", NULL);
  char *text = NULL;

  g_file_get_contents (path, &text, NULL, NULL);
  return text != NULL ? text : g_strdup ("");
}

static guint
state_era (Fixture *f)
{
  g_autofree char *text = read_state (f);
  const char *era = strstr (text, "passphrase-era=");

  return era != NULL ? (guint) g_ascii_strtoull (era + strlen ("passphrase-era="), NULL, 10) : 0;
}

/* Tests: SetEncryption and the keyring */

static void
test_set_encryption (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  gboolean matches = FALSE;

  if (skipped (f))
    return;
  g_assert_false (encrypt_backups (f));
  g_assert_cmpuint (keyring_items (f), ==, 0);
  set_encryption_ok (f, TRUE, PASSPHRASE);
  g_assert_true (encrypt_backups (f));
  g_assert_cmpuint (keyring_items (f), ==, 1);
  g_assert_cmpuint (state_era (f), ==, 1);
  g_assert_true (check_passphrase (f, PASSPHRASE, &matches, &error));
  g_assert_no_error (error);
  g_assert_true (matches);
  g_assert_true (check_passphrase (f, OTHER_PASSPHRASE, &matches, &error));
  g_assert_false (matches);
  g_assert_true (check_passphrase (f, "correct horse battery stapl", &matches, &error));
  g_assert_false (matches);

  /* A new passphrase replaces the item: one per user, a new era. */
  set_encryption_ok (f, TRUE, OTHER_PASSPHRASE);
  g_assert_cmpuint (keyring_items (f), ==, 1);
  g_assert_cmpuint (state_era (f), ==, 2);
  g_assert_true (check_passphrase (f, OTHER_PASSPHRASE, &matches, &error));
  g_assert_true (matches);

  /* Off keeps the passphrase; on again without one uses it, same era. */
  set_encryption_ok (f, FALSE, NULL);
  g_assert_false (encrypt_backups (f));
  g_assert_cmpuint (keyring_items (f), ==, 1);
  set_encryption_ok (f, TRUE, NULL);
  g_assert_true (encrypt_backups (f));
  g_assert_cmpuint (state_era (f), ==, 2);

  /* Persisted across restarts. */
  g_assert_true (lb_test_machine_start_service (f->s.machine, NULL, &f->s.store, &f->s.manager));
  g_assert_true (encrypt_backups (f));

  /* Off with forget removes it; on again then needs a passphrase. */
  g_assert_true (set_encryption (f, FALSE, NULL, TRUE, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (keyring_items (f), ==, 0);
  g_assert_false (set_encryption (f, TRUE, NULL, FALSE, &error));
  lb_test_assert_error_name (error, LB_ERROR_PASSPHRASE_REQUIRED);
  g_clear_error (&error);
  g_assert_false (encrypt_backups (f));
  g_assert_false (check_passphrase (f, PASSPHRASE, &matches, &error));
  lb_test_assert_error_name (error, LB_ERROR_PASSPHRASE_REQUIRED);
}

static void
test_refusals (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GUnixFDList) fds = NULL;
  g_autofree char *long_passphrase = g_strnfill (1025, 'x');
  g_autofree char *longest = g_strnfill (1024, 'x');
  int fd;

  if (skipped (f))
    return;
  /* Not sealed. */
  fd = memfd_with (PASSPHRASE, strlen (PASSPHRASE), FALSE);
  fds = g_unix_fd_list_new_from_array (&fd, 1);
  lb_dbus_manager_call_set_encryption_sync (
      f->s.manager, TRUE, g_variant_new_parsed ("{'passphrase': <@h 0>}"), fds, NULL, NULL,
      &error);
  lb_test_assert_error_name (error, LB_ERROR_INVALID_ARGS);
  g_clear_error (&error);
  /* No descriptor at all. */
  lb_dbus_manager_call_set_encryption_sync (
      f->s.manager, TRUE, g_variant_new_parsed ("{'passphrase': <@h 0>}"), NULL, NULL, NULL,
      &error);
  lb_test_assert_error_name (error, LB_ERROR_INVALID_ARGS);
  g_clear_error (&error);
  /* Too long, empty, not UTF-8. */
  set_encryption (f, TRUE, long_passphrase, FALSE, &error);
  lb_test_assert_error_name (error, LB_ERROR_INVALID_ARGS);
  g_clear_error (&error);
  set_encryption (f, TRUE, "", FALSE, &error);
  lb_test_assert_error_name (error, LB_ERROR_INVALID_ARGS);
  g_clear_error (&error);
  set_encryption (f, TRUE, "caf\xe9", FALSE, &error);
  lb_test_assert_error_name (error, LB_ERROR_INVALID_ARGS);
  g_clear_error (&error);
  /* A passphrase to turn off, forget to turn on, an unknown option. */
  set_encryption (f, FALSE, PASSPHRASE, FALSE, &error);
  lb_test_assert_error_name (error, LB_ERROR_INVALID_ARGS);
  g_clear_error (&error);
  set_encryption (f, TRUE, PASSPHRASE, TRUE, &error);
  lb_test_assert_error_name (error, LB_ERROR_INVALID_ARGS);
  g_clear_error (&error);
  lb_dbus_manager_call_set_encryption_sync (
      f->s.manager, FALSE, g_variant_new_parsed ("{'colour': <'blue'>}"), NULL, NULL, NULL,
      &error);
  lb_test_assert_error_name (error, LB_ERROR_INVALID_ARGS);
  g_clear_error (&error);
  /* On without any passphrase, anywhere. */
  set_encryption (f, TRUE, NULL, FALSE, &error);
  lb_test_assert_error_name (error, LB_ERROR_PASSPHRASE_REQUIRED);
  g_clear_error (&error);
  g_assert_false (encrypt_backups (f));
  g_assert_cmpuint (keyring_items (f), ==, 0);
  g_assert_cmpuint (state_era (f), ==, 0);
  /* 1024 bytes is the most. */
  set_encryption_ok (f, TRUE, longest);
  g_assert_cmpuint (state_era (f), ==, 1);
}

/* The keyring locked: nothing changes, and the service never prompts. */
static void
test_locked (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  gboolean matches;

  if (skipped (f))
    return;
  set_encryption_ok (f, TRUE, PASSPHRASE);
  lock_keyring (f);
  g_assert_false (set_encryption (f, TRUE, OTHER_PASSPHRASE, FALSE, &error));
  lb_test_assert_error_name (error, LB_ERROR_KEYRING_UNAVAILABLE);
  g_assert_nonnull (strstr (error->message, "locked or missing"));
  g_clear_error (&error);
  g_assert_cmpuint (state_era (f), ==, 1);
  g_assert_false (check_passphrase (f, PASSPHRASE, &matches, &error));
  lb_test_assert_error_name (error, LB_ERROR_KEYRING_UNAVAILABLE);
  g_clear_error (&error);
  g_assert_false (set_encryption (f, FALSE, NULL, TRUE, &error));
  lb_test_assert_error_name (error, LB_ERROR_KEYRING_UNAVAILABLE);
  g_clear_error (&error);
  g_assert_true (encrypt_backups (f));
  /* Turning off without forgetting needs no keyring. */
  set_encryption_ok (f, FALSE, NULL);
  g_assert_false (encrypt_backups (f));
}

/* No Secret Service on the bus. */
static void
test_absent (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  gboolean matches;

  g_assert_false (set_encryption (f, TRUE, PASSPHRASE, FALSE, &error));
  lb_test_assert_error_name (error, LB_ERROR_KEYRING_UNAVAILABLE);
  g_clear_error (&error);
  g_assert_false (encrypt_backups (f));
  g_assert_false (check_passphrase (f, PASSPHRASE, &matches, &error));
  lb_test_assert_error_name (error, LB_ERROR_KEYRING_UNAVAILABLE);
  g_clear_error (&error);
  g_assert_cmpuint (state_era (f), ==, 0);
}

typedef struct
{
  const char *path;
  void (*func) (Fixture *f, gconstpointer arg);
  void (*setup) (Fixture *f, gconstpointer arg);
} TestCase;

static const TestCase cases[] = {
  { "keyring/set-encryption", test_set_encryption, setup },
  { "keyring/refusals", test_refusals, setup },
  { "keyring/locked", test_locked, setup },
  { "keyring/absent", test_absent, setup_no_keyring },
};

int
main (int argc, char **argv)
{
  lb_test_init (&argc, &argv);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_strconcat ("/encryption/", cases[i].path, NULL);

      lb_test_check_group (cases[i].path, "tests/daemon/meson.build's encryption_test_groups");
      g_test_add (path, Fixture, NULL, cases[i].setup, cases[i].func, teardown);
    }
  return g_test_run ();
}
