/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Encrypted backups (issue 21), against the real daemon on a private bus
 * with a real keyring: gnome-keyring-daemon's Secret Service on the same
 * bus, in a home of its own, its "login" keyring made fresh and unlocked
 * from a password on its standard input. Without gnome-keyring-daemon
 * (or where it cannot start) the tests exit 77, saying why.
 *
 * SetEncryption and the keyring, EncryptBackups, CheckPassphrase;
 * encrypted backups (`age -d` and tar open them), their generations and
 * pruning; restores and checks of encrypted backups with the keyring's
 * passphrase, the "passphrase" option (a backup that `age -p` encrypted),
 * none or a wrong one; backups with the keyring locked, absent or empty
 * (never a plain file instead), automatic ones too; privacy (a monitor
 * on the bus, the service's files and log); kill -9 during an encrypted
 * backup. The passphrase comes in sealed memfds, as clients send it; the
 * age tool runs on a pseudo-terminal (lb_test_run_on_tty).
 */
#include "config.h"

#include <fcntl.h>
#include <gio/gunixfdlist.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <license-backup/license-backup.h>

#include "lb-test-sandbox.h"
#include "lb-test-util.h"

#define PASSPHRASE "correct horse battery staple"
#define OTHER_PASSPHRASE "Tr0ub4dor&3 ünd mehr"
#define KEYRING_PASSWORD "keyring-login-password"
#define SECRETS_NAME LB_TEST_SECRETS_NAME
#define SECRETS_PATH LB_TEST_SECRETS_PATH
#define LOGIN_COLLECTION LB_TEST_LOGIN_COLLECTION

typedef struct
{
  LbTestServiceFixture s;
  LbTestKeyring *keyring; /* gnome-keyring-daemon, NULL without one */
  char *skip;             /* why the test cannot run here */
} Fixture;

/* The keyring (the harness's: lb_test_keyring_start()) */

static gboolean
start_keyring (Fixture *f, gboolean unlock)
{
  f->keyring = lb_test_keyring_start (f->s.bus, unlock ? KEYRING_PASSWORD : NULL, &f->skip);
  return f->keyring != NULL;
}

static void
stop_keyring (Fixture *f)
{
  lb_test_keyring_stop (f->keyring);
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
  g_clear_pointer (&f->keyring, lb_test_keyring_free);
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

static gboolean
set_encryption (
    Fixture *f, gboolean encrypt, const char *passphrase, gboolean forget, GError **error)
{
  g_autoptr (GUnixFDList) fds = lb_test_passphrase_fds (passphrase);
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  if (passphrase != NULL)
    g_variant_builder_add (&b, "{sv}", "passphrase", g_variant_new_handle (0));
  if (forget)
    g_variant_builder_add (&b, "{sv}", "forget", g_variant_new_boolean (TRUE));
  return lb_dbus_manager_call_set_encryption_sync (
      f->s.manager, encrypt, g_variant_builder_end (&b), fds, NULL, NULL, error);
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
  g_autoptr (GUnixFDList) fds = lb_test_passphrase_fds (passphrase);

  return lb_dbus_manager_call_check_passphrase_sync (f->s.manager, g_variant_new_handle (0), fds,
                                                     matches, NULL, NULL, error);
}

static gboolean
encrypt_backups (Fixture *f)
{
  g_autoptr (GVariant) value = lb_test_bus_get_property (f->s.bus, "org.freedesktop.LicenseBackup1",
                                                         "EncryptBackups", NULL);

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
      f->s.manager, TRUE, g_variant_new_parsed ("{'passphrase': <@h 0>}"), fds, NULL, NULL, &error);
  lb_test_assert_error_name (error, LB_ERROR_INVALID_ARGS);
  g_clear_error (&error);
  /* No descriptor at all. */
  lb_dbus_manager_call_set_encryption_sync (f->s.manager, TRUE,
                                            g_variant_new_parsed ("{'passphrase': <@h 0>}"), NULL,
                                            NULL, NULL, &error);
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
      f->s.manager, FALSE, g_variant_new_parsed ("{'colour': <'blue'>}"), NULL, NULL, NULL, &error);
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

/* Licenses, backups and restores */

#define N_LICENSES 30

static char *
key_id (guint i)
{
  return g_strdup_printf ("secret-key-%03u", i);
}

/* Licenses whose key ids, content ids and issuers are easy to look for. */
static void
store_licenses (Fixture *f, guint n)
{
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *key = key_id (i);
      g_autofree char *content = g_strdup_printf ("content-CID-%03u", i);
      g_autofree char *issuer = g_strdup_printf ("issuer.example/%03u", i);
      g_autoptr (GError) error = NULL;

      lb_dbus_store_call_store_license_sync (
          f->s.store, key, lb_test_blob_new (200, (guint8) i),
          lb_test_vardict_new ("content-id", g_variant_new_string (content), "issuer",
                               g_variant_new_string (issuer), NULL),
          NULL, &error);
      g_assert_no_error (error);
    }
}

static void
delete_licenses (Fixture *f, guint n)
{
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *key = key_id (i);
      g_autoptr (GError) error = NULL;

      lb_dbus_store_call_delete_license_sync (f->s.store, key, NULL, &error);
      g_assert_no_error (error);
    }
  g_assert_cmpuint (lb_test_bus_get_license_count (f->s.bus), ==, 0);
}

/* {"path": @dir, "generation": @generation, "passphrase": handle 0} as
 * given (NULL: left out). */
static GVariant *
op_options (const char *dir, const char *generation, gboolean passphrase)
{
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  if (dir != NULL)
    g_variant_builder_add (&b, "{sv}", "path", g_variant_new_string (dir));
  if (generation != NULL)
    g_variant_builder_add (&b, "{sv}", "generation", g_variant_new_string (generation));
  if (passphrase)
    g_variant_builder_add (&b, "{sv}", "passphrase", g_variant_new_handle (0));
  return g_variant_builder_end (&b);
}

/* Starts @method ("BackupLicenses", "RestoreLicenses", "VerifyBackup")
 * with @passphrase (NULL: none) in a memfd as the "passphrase" option. */
static guint64
start_op (Fixture *f,
          const char *method,
          guint32 flags,
          const char *dir,
          const char *generation,
          const char *passphrase,
          GError **error)
{
  g_autoptr (GUnixFDList) fds = lb_test_passphrase_fds (passphrase);
  g_autoptr (GVariant) reply = g_dbus_proxy_call_with_unix_fd_list_sync (
      G_DBUS_PROXY (f->s.manager), method,
      g_variant_new ("(u@a{sv})", flags, op_options (dir, generation, passphrase != NULL)),
      G_DBUS_CALL_FLAGS_NONE, -1, fds, NULL, NULL, error);
  guint64 id = 0;

  if (reply != NULL)
    g_variant_get (reply, "(t)", &id);
  return id;
}

/* Runs @method to its end: its status; its D-Bus error name ("" when it
 * succeeded) in *@error_name. */
static guint
run_op (Fixture *f,
        const char *method,
        guint32 flags,
        const char *dir,
        const char *generation,
        const char *passphrase,
        char **error_name)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) summary = NULL;
  g_autofree char *text = NULL;
  guint64 id = start_op (f, method, flags, dir, generation, passphrase, &error);
  guint status = G_MAXUINT;
  const char *name = "";

  g_assert_no_error (error);
  g_assert_true (lb_test_wait_completed (f->s.queue, id, 60000, NULL, &status, &text, &summary));
  g_variant_lookup (summary, "error-name", "&s", &name);
  g_test_message ("%s: status %u %s %s", method, status, name, text);
  if (error_name != NULL)
    *error_name = g_strdup (name);
  return status;
}

static void
run_op_ok (Fixture *f, const char *method, guint32 flags, const char *dir, const char *passphrase)
{
  g_autofree char *name = NULL;

  g_assert_cmpuint (run_op (f, method, flags, dir, NULL, passphrase, &name), ==, LB_STATUS_END);
  g_assert_cmpstr (name, ==, "");
}

static void
assert_op_fails (Fixture *f,
                 const char *method,
                 guint32 flags,
                 const char *dir,
                 const char *generation,
                 const char *passphrase,
                 LbError code)
{
  g_autofree char *name = NULL;

  g_assert_cmpuint (run_op (f, method, flags, dir, generation, passphrase, &name), ==,
                    LB_STATUS_ERROR);
  g_assert_cmpstr (name, ==, lb_test_error_dbus_name (code));
}

static void
backup_ok (Fixture *f, const char *dir)
{
  run_op_ok (f, "BackupLicenses", LB_BACKUP_FLAGS_OVERWRITE, dir, NULL);
}

/* The details ListBackups gives of each backup in @dir, newest first:
 * (name, details). */
static GVariant *
list_backups (Fixture *f, const char *dir)
{
  g_autoptr (GError) error = NULL;
  GVariant *backups = NULL;

  lb_dbus_manager_call_list_backups_sync (f->s.manager, op_options (dir, NULL, FALSE), &backups,
                                          NULL, &error);
  g_assert_no_error (error);
  return backups;
}

static GVariant *
details_of (Fixture *f, const char *dir, const char *name)
{
  g_autoptr (GVariant) backups = list_backups (f, dir);
  GVariant *details = NULL;
  GVariantIter iter;
  const char *n;
  GVariant *d;

  g_variant_iter_init (&iter, backups);
  while (g_variant_iter_next (&iter, "(&s@a{sv})", &n, &d))
    {
      if (details == NULL && g_str_equal (n, name))
        details = g_variant_ref (d);
      g_variant_unref (d);
    }
  g_assert_nonnull (details);
  return details;
}

static char *
basename_of (const char *path)
{
  return g_path_get_basename (path);
}

static gboolean
starts_with_age_magic (GBytes *bytes)
{
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);

  return len > 22 && memcmp (data, "age-encryption.org/v1\n", 22) == 0;
}

static char *
find_age (void)
{
  char *age = g_find_program_in_path ("age");

  if (age == NULL)
    g_test_skip ("the age tool is not installed (apt-get install age)");
  return age;
}

/* Tests: encrypted backups */

/* Encrypted, written through the age stream: `age -d` opens it, tar lists
 * it; ListBackups says so; it reads back whole. */
static void
test_backup_encrypted (Fixture *f, gconstpointer data)
{
  g_autofree char *age = NULL;
  g_autofree char *newest = NULL;
  g_autofree char *name = NULL;
  g_autofree char *out = NULL;
  g_autofree char *output = NULL;
  g_autofree char *listing = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GVariant) details = NULL;
  g_autoptr (GError) error = NULL;
  gboolean encrypted = FALSE;
  guint era = 0;
  const char *verify_error = NULL;
  int status = 0;

  if (skipped (f))
    return;
  store_licenses (f, N_LICENSES);
  set_encryption_ok (f, TRUE, PASSPHRASE);
  backup_ok (f, f->s.dir);
  newest = lb_test_newest_backup (f->s.dir);
  name = basename_of (newest);
  bytes = lb_test_read_bytes (newest);
  g_assert_true (starts_with_age_magic (bytes));
  g_assert_cmpuint (lb_test_count_temporaries (f->s.dir), ==, 0);

  details = details_of (f, f->s.dir, name);
  g_assert_true (g_variant_lookup (details, "encrypted", "b", &encrypted));
  g_assert_true (encrypted);
  g_assert_true (g_variant_lookup (details, "passphrase-era", "u", &era));
  g_assert_cmpuint (era, ==, 1);
  /* The read-back decrypted it and found it whole. */
  g_assert_true (g_variant_lookup (details, "verify-error", "&s", &verify_error));
  g_assert_cmpstr (verify_error, ==, "");
  /* Its manifest cannot be read without the passphrase. */
  g_assert_false (g_variant_lookup (details, "created", "x", NULL));

  age = find_age ();
  if (age == NULL)
    return;
  out = g_build_filename (f->s.dir, "decrypted.tar", NULL);
  {
    const char *argv[] = { age, "-d", "-o", out, newest, NULL };

    g_assert_cmpint (lb_test_run_on_tty (argv, PASSPHRASE, &output), ==, 0);
  }
  {
    const char *argv[] = { "tar", "-tf", out, NULL };

    g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &listing, NULL,
                  &status, &error);
    g_assert_no_error (error);
    g_assert_true (g_spawn_check_wait_status (status, NULL));
  }
  g_assert_true (g_str_has_prefix (listing, "manifest.txt\n"));
  g_assert_nonnull (strstr (listing, "licenses/secret-key-000\n"));
  g_assert_nonnull (strstr (listing, "licenses/secret-key-029\n"));
  g_unlink (out);
}

/* Restore and verify with the keyring's passphrase. */
static void
test_restore_keyring (Fixture *f, gconstpointer data)
{
  if (skipped (f))
    return;
  store_licenses (f, N_LICENSES);
  set_encryption_ok (f, TRUE, PASSPHRASE);
  backup_ok (f, f->s.dir);
  delete_licenses (f, N_LICENSES);
  run_op_ok (f, "VerifyBackup", 0, f->s.dir, NULL);
  run_op_ok (f, "RestoreLicenses", 0, f->s.dir, NULL);
  g_assert_cmpuint (lb_test_bus_get_license_count (f->s.bus), ==, N_LICENSES);
}

/* A plain backup encrypted by `age -p` restores with the "passphrase"
 * option; the keyring's passphrase (another) is not it. */
static void
test_restore_age_encrypted (Fixture *f, gconstpointer data)
{
  g_autofree char *age = NULL;
  g_autofree char *plain = NULL;
  g_autofree char *name = NULL;
  g_autofree char *other = lb_test_make_tmp_dir ("age-encrypted");
  g_autofree char *encrypted = NULL;
  g_autofree char *output = NULL;

  if (skipped (f))
    return;
  age = find_age ();
  if (age == NULL)
    return;
  store_licenses (f, N_LICENSES);
  backup_ok (f, f->s.dir);
  plain = lb_test_newest_backup (f->s.dir);
  name = basename_of (plain);
  encrypted = g_build_filename (other, name, NULL);
  {
    const char *argv[] = { age, "-p", "-o", encrypted, plain, NULL };

    g_assert_cmpint (lb_test_run_on_tty (argv, OTHER_PASSPHRASE, &output), ==, 0);
  }
  g_assert_true (starts_with_age_magic (lb_test_read_bytes (encrypted)));
  set_encryption_ok (f, TRUE, PASSPHRASE);
  delete_licenses (f, N_LICENSES);

  /* The keyring's passphrase is not this one. */
  assert_op_fails (f, "RestoreLicenses", 0, other, NULL, NULL, LB_ERROR_BAD_PASSPHRASE);
  run_op_ok (f, "VerifyBackup", 0, other, OTHER_PASSPHRASE);
  run_op_ok (f, "RestoreLicenses", 0, other, OTHER_PASSPHRASE);
  g_assert_cmpuint (lb_test_bus_get_license_count (f->s.bus), ==, N_LICENSES);
  {
    g_autoptr (GVariant) details = details_of (f, other, name);
    gboolean is_encrypted = FALSE;

    g_assert_true (g_variant_lookup (details, "encrypted", "b", &is_encrypted));
    g_assert_true (is_encrypted);
    /* Not written here: no era. */
    g_assert_false (g_variant_lookup (details, "passphrase-era", "u", NULL));
  }
  lb_test_rm_rf (other);
}

/* No passphrase anywhere: PassphraseRequired; a wrong one: BadPassphrase;
 * neither writes anything nor marks the backup damaged. */
static void
test_restore_refused (Fixture *f, gconstpointer data)
{
  g_autofree char *name = NULL;
  g_autofree char *newest = NULL;
  g_autoptr (GVariant) details = NULL;
  g_autoptr (GError) error = NULL;

  if (skipped (f))
    return;
  store_licenses (f, N_LICENSES);
  set_encryption_ok (f, TRUE, PASSPHRASE);
  backup_ok (f, f->s.dir);
  newest = lb_test_newest_backup (f->s.dir);
  name = basename_of (newest);
  delete_licenses (f, N_LICENSES);
  g_assert_true (set_encryption (f, FALSE, NULL, TRUE, &error));
  g_assert_no_error (error);

  assert_op_fails (f, "RestoreLicenses", 0, f->s.dir, NULL, NULL, LB_ERROR_PASSPHRASE_REQUIRED);
  assert_op_fails (f, "VerifyBackup", 0, f->s.dir, NULL, NULL, LB_ERROR_PASSPHRASE_REQUIRED);
  assert_op_fails (f, "RestoreLicenses", 0, f->s.dir, name, NULL, LB_ERROR_PASSPHRASE_REQUIRED);
  assert_op_fails (f, "RestoreLicenses", 0, f->s.dir, NULL, OTHER_PASSPHRASE,
                   LB_ERROR_BAD_PASSPHRASE);
  assert_op_fails (f, "VerifyBackup", 0, f->s.dir, NULL, OTHER_PASSPHRASE, LB_ERROR_BAD_PASSPHRASE);
  g_assert_cmpuint (lb_test_bus_get_license_count (f->s.bus), ==, 0);
  /* Still the whole backup the read-back found. */
  details = details_of (f, f->s.dir, name);
  {
    const char *verify_error = NULL;

    g_assert_true (g_variant_lookup (details, "verify-error", "&s", &verify_error));
    g_assert_cmpstr (verify_error, ==, "");
  }
  /* The right one. */
  run_op_ok (f, "RestoreLicenses", 0, f->s.dir, PASSPHRASE);
  g_assert_cmpuint (lb_test_bus_get_license_count (f->s.bus), ==, N_LICENSES);
}

/* Plain and encrypted generations side by side: pruning as ever; a
 * restore whose newest is damaged skips an encrypted one it cannot open
 * (not damaged) and names the plain whole one. */
static void
test_mixed_generations (Fixture *f, gconstpointer data)
{
  g_autoptr (GVariant) backups = NULL;
  g_autoptr (GPtrArray) files = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *name = NULL;
  g_autofree char *damaged = NULL;

  if (skipped (f))
    return;
  store_licenses (f, N_LICENSES);
  backup_ok (f, f->s.dir);                 /* plain, the oldest */
  set_encryption_ok (f, TRUE, PASSPHRASE); /* era 1 */
  backup_ok (f, f->s.dir);
  set_encryption_ok (f, TRUE, OTHER_PASSPHRASE); /* era 2 */
  backup_ok (f, f->s.dir);
  files = lb_test_list_backups (f->s.dir);
  g_assert_cmpuint (files->len, ==, 3);
  backups = list_backups (f, f->s.dir);
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr (GVariant) details
          = g_variant_get_child_value (g_variant_get_child_value (backups, i), 1);
      gboolean encrypted = TRUE;
      guint era = 0;

      g_assert_true (g_variant_lookup (details, "encrypted", "b", &encrypted));
      g_assert_true (encrypted == (i < 2));
      if (i < 2)
        {
          g_assert_true (g_variant_lookup (details, "passphrase-era", "u", &era));
          g_assert_cmpuint (era, ==, 2 - i);
        }
      else
        g_assert_false (g_variant_lookup (details, "passphrase-era", "u", NULL));
    }
  /* A fourth: the oldest (the plain one) is pruned, KeepBackups being 3. */
  backup_ok (f, f->s.dir);
  g_clear_pointer (&files, g_ptr_array_unref);
  files = lb_test_list_backups (f->s.dir);
  g_assert_cmpuint (files->len, ==, 3);

  /* A plain backup, the newest, damaged (the era 1 one is pruned); the
   * keyring's passphrase of era 3 opens neither of the era 2 backups. */
  set_encryption_ok (f, FALSE, NULL);
  backup_ok (f, f->s.dir);
  damaged = lb_test_newest_backup (f->s.dir);
  lb_test_damage_backup (damaged);
  set_encryption_ok (f, TRUE, PASSPHRASE);
  delete_licenses (f, N_LICENSES);
  {
    g_autofree char *error_name = NULL;

    g_assert_cmpuint (run_op (f, "RestoreLicenses", 0, f->s.dir, NULL, NULL, &error_name), ==,
                      LB_STATUS_ERROR);
    g_assert_cmpstr (error_name, ==, lb_test_error_dbus_name (LB_ERROR_BACKUP_CORRUPT));
  }
  g_assert_cmpuint (lb_test_bus_get_license_count (f->s.bus), ==, 0);
  /* The era 2 backups it could not open are not marked damaged: it found
   * no whole one, and says so. */
  g_clear_pointer (&backups, g_variant_unref);
  backups = list_backups (f, f->s.dir);
  for (guint i = 1; i < g_variant_n_children (backups); i++)
    {
      g_autoptr (GVariant) entry = g_variant_get_child_value (backups, i);
      g_autoptr (GVariant) details = g_variant_get_child_value (entry, 1);
      const char *verify_error = "";

      g_variant_lookup (details, "verify-error", "&s", &verify_error);
      g_assert_cmpstr (verify_error, ==, "");
    }
}

/* Tests: never a plain backup instead */

/* No backup file of any kind in @dir: no generation, no temporary. */
static void
assert_no_backup (Fixture *f, const char *dir)
{
  g_autoptr (GPtrArray) files = NULL;

  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    return;
  files = lb_test_list_backups (dir);
  g_assert_cmpuint (files->len, ==, 0);
  g_assert_cmpuint (lb_test_count_temporaries (dir), ==, 0);
}

/* An automatic backup into BackupPath, run to its end: its error name. */
static char *
automatic_backup (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) summary = NULL;
  g_autofree char *text = NULL;
  guint64 id
      = lb_test_start_operation (f->s.manager, FALSE, LB_BACKUP_FLAGS_AUTOMATIC, NULL, &error);
  guint status = 0;
  const char *name = "";

  /* Refused at once, or started and failed: either counts as failed. */
  if (id == 0)
    {
      g_assert_nonnull (error);
      return g_dbus_error_get_remote_error (error);
    }
  g_assert_true (lb_test_wait_completed (f->s.queue, id, 60000, NULL, &status, &text, &summary));
  g_variant_lookup (summary, "error-name", "&s", &name);
  return g_strdup (name);
}

/* The last automatic backup failed, for the notice (state.ini). */
static void
assert_automatic_failed (Fixture *f)
{
  g_autofree char *state = read_state (f);
  const char *line = strstr (state, "automatic-error=");

  g_assert_nonnull (line);
  g_assert_cmpint (line[strlen ("automatic-error=")], !=, '\n');
}

/* Backups, automatic ones too, with the keyring locked, absent or empty:
 * @data "locked", "absent" or "empty". */
static void
test_backup_without_keyring (Fixture *f, gconstpointer data)
{
  const char *how = data;
  LbError expected
      = g_str_equal (how, "empty") ? LB_ERROR_PASSPHRASE_REQUIRED : LB_ERROR_KEYRING_UNAVAILABLE;
  g_autofree char *error_name = NULL;

  if (skipped (f))
    return;
  store_licenses (f, N_LICENSES);
  set_encryption_ok (f, TRUE, PASSPHRASE);
  if (g_str_equal (how, "locked"))
    lock_keyring (f);
  else if (g_str_equal (how, "absent"))
    {
      stop_keyring (f);
      g_assert_true (
          lb_test_machine_start_service (f->s.machine, NULL, &f->s.store, &f->s.manager));
      g_assert_true (encrypt_backups (f));
    }
  else
    {
      /* The item goes behind the service's back. */
      g_autoptr (GError) error = NULL;
      g_autoptr (GVariant) found = g_dbus_connection_call_sync (
          lb_test_bus_get_connection (f->s.bus), SECRETS_NAME, SECRETS_PATH,
          "org.freedesktop.Secret.Service", "SearchItems",
          g_variant_new_parsed ("({'xdg:schema': 'org.freedesktop.LicenseBackup1.Passphrase'},)"),
          G_VARIANT_TYPE ("(aoao)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
      g_autoptr (GVariant) unlocked = NULL;
      g_autoptr (GVariant) reply = NULL;
      const char *item = NULL;

      g_assert_no_error (error);
      unlocked = g_variant_get_child_value (found, 0);
      g_assert_cmpuint (g_variant_n_children (unlocked), ==, 1);
      g_variant_get_child (unlocked, 0, "&o", &item);
      reply = g_dbus_connection_call_sync (
          lb_test_bus_get_connection (f->s.bus), SECRETS_NAME, item, "org.freedesktop.Secret.Item",
          "Delete", NULL, G_VARIANT_TYPE ("(o)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (keyring_items (f), ==, 0);
    }

  assert_op_fails (f, "BackupLicenses", LB_BACKUP_FLAGS_OVERWRITE, f->s.dir, NULL, NULL, expected);
  assert_no_backup (f, f->s.dir);

  /* The automatic backup fails the same way, and counts as failed. */
  lb_test_bus_set_manager_string (f->s.bus, "BackupPath", f->s.dir);
  error_name = automatic_backup (f);
  g_assert_cmpstr (error_name, ==, lb_test_error_dbus_name (expected));
  assert_no_backup (f, f->s.dir);
  assert_automatic_failed (f);
  g_assert_true (encrypt_backups (f));
}

/* Tests: privacy */

#define PRIVATE_APP "org.example.SecretPlayer"

/* A connection that eavesdrops on every message of the bus, keeping
 * their bytes. */
typedef struct
{
  GDBusConnection *connection;
  GMutex lock;
  GByteArray *seen;
  guint messages;
} Monitor;

static GDBusMessage *
monitor_filter (GDBusConnection *connection,
                GDBusMessage *message,
                gboolean incoming,
                gpointer user_data)
{
  Monitor *m = user_data;
  gsize len = 0;
  g_autofree guchar *blob
      = g_dbus_message_to_blob (message, &len, G_DBUS_CAPABILITY_FLAGS_UNIX_FD_PASSING, NULL);

  g_mutex_lock (&m->lock);
  if (blob != NULL)
    g_byte_array_append (m->seen, blob, (guint) len);
  m->messages++;
  g_mutex_unlock (&m->lock);
  /* A monitor must not answer the calls it sees (the bus would drop it);
   * replies and signals pass, among them BecomeMonitor's reply. */
  if (incoming && g_dbus_message_get_message_type (message) == G_DBUS_MESSAGE_TYPE_METHOD_CALL)
    {
      g_object_unref (message);
      return NULL;
    }
  return message;
}

static void
monitor_start (Monitor *m, Fixture *f)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) reply = NULL;

  g_mutex_init (&m->lock);
  m->seen = g_byte_array_new ();
  m->connection = lb_test_bus_connect (f->s.bus, &error);
  g_assert_no_error (error);
  g_dbus_connection_add_filter (m->connection, monitor_filter, m, NULL);
  reply
      = g_dbus_connection_call_sync (m->connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                     "org.freedesktop.DBus.Monitoring", "BecomeMonitor",
                                     g_variant_new ("(^asu)", (const char *[]){ NULL }, 0), NULL,
                                     G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
}

/* Everything the monitor saw (it is stopped). */
static GBytes *
monitor_stop (Monitor *m)
{
  GBytes *seen;

  g_dbus_connection_close_sync (m->connection, NULL, NULL);
  g_clear_object (&m->connection);
  g_mutex_lock (&m->lock);
  seen = g_byte_array_free_to_bytes (g_steal_pointer (&m->seen));
  g_mutex_unlock (&m->lock);
  g_mutex_clear (&m->lock);
  return seen;
}

static gboolean
bytes_contain (GBytes *bytes, const char *needle)
{
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);

  return memmem (data, len, needle, strlen (needle)) != NULL;
}

static void
assert_file_lacks (const char *path, const char *needle)
{
  g_autoptr (GBytes) bytes = lb_test_read_bytes (path);

  g_test_message ("%s: %" G_GSIZE_FORMAT " bytes", path, g_bytes_get_size (bytes));
  g_assert_false (bytes_contain (bytes, needle));
}

/* Every file below @dir. */
static void
assert_dir_lacks (const char *dir, const char *needle)
{
  g_autoptr (GPtrArray) names = lb_test_list_dir (dir);

  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *path = g_build_filename (dir, names->pdata[i], NULL);

      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        assert_dir_lacks (path, needle);
      else if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        assert_file_lacks (path, needle);
    }
}

/* The passphrase crosses no D-Bus message of a whole SetEncryption,
 * backup, check, CheckPassphrase and restore, and lands in no file of the
 * service nor its log; the encrypted backup names no license. */
static void
test_privacy (Fixture *f, gconstpointer data)
{
  Monitor monitor = { 0 };
  g_autoptr (GBytes) seen = NULL;
  g_autoptr (GBytes) backup = NULL;
  g_autofree char *newest = NULL;
  g_autofree char *log = NULL;
  g_autoptr (GError) error = NULL;
  gboolean matches = FALSE;

  g_autoptr (LbTestApp) app = NULL;
  g_autoptr (GDBusConnection) app_connection = NULL;
  g_autofree char *no_sandbox = NULL;
  guint app_licenses = 0;

  if (skipped (f))
    return;
  store_licenses (f, N_LICENSES);
  /* A Flatpak app's license too, so that the backup holds an app id. */
  if (lb_test_sandbox_available (&no_sandbox))
    {
      g_autoptr (GVariant) reply = NULL;

      app = lb_test_app_new (f->s.bus, PRIVATE_APP, LB_TEST_FLATPAK_INFO_NORMAL, NULL);
      app_connection = lb_test_app_connect (app, &error);
      g_assert_no_error (error);
      reply = g_dbus_connection_call_sync (
          app_connection, "org.freedesktop.LicenseBackup1", "/org/freedesktop/LicenseBackup1",
          LB_TEST_STORE_IFACE, "StoreLicense",
          g_variant_new ("(s@aya{sv})", "app-key-1",
                         g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, "blob", 4, 1), NULL),
          NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
      g_assert_no_error (error);
      app_licenses = 1;
    }
  else
    g_test_message ("no app's license in the backup: %s", no_sandbox);
  monitor_start (&monitor, f);
  set_encryption_ok (f, TRUE, PASSPHRASE);
  backup_ok (f, f->s.dir);
  run_op_ok (f, "VerifyBackup", 0, f->s.dir, NULL);
  g_assert_true (check_passphrase (f, PASSPHRASE, &matches, &error));
  g_assert_true (matches);
  if (app_connection != NULL)
    {
      /* The app loses its license too; the restore gives it back. */
      g_autoptr (GVariant) reply = g_dbus_connection_call_sync (
          app_connection, "org.freedesktop.LicenseBackup1", "/org/freedesktop/LicenseBackup1",
          LB_TEST_STORE_IFACE, "DeleteLicense", g_variant_new ("(s)", "app-key-1"), NULL,
          G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
      g_assert_no_error (error);
    }
  delete_licenses (f, N_LICENSES);
  run_op_ok (f, "RestoreLicenses", 0, f->s.dir, NULL);
  run_op_ok (f, "RestoreLicenses", 0, f->s.dir, PASSPHRASE);
  g_assert_cmpuint (lb_test_bus_get_license_count (f->s.bus), ==, N_LICENSES + app_licenses);
  seen = monitor_stop (&monitor);

  /* The monitor saw the calls, and the keyring's traffic... */
  g_test_message ("the monitor saw %u messages, %" G_GSIZE_FORMAT " bytes", monitor.messages,
                  g_bytes_get_size (seen));
  g_assert_true (bytes_contain (seen, "SetEncryption"));
  g_assert_true (bytes_contain (seen, "GetSecret"));
  g_assert_true (bytes_contain (seen, "CreateItem"));
  g_assert_true (bytes_contain (seen, "secret-key-000"));
  /* ...but never the passphrase. */
  g_assert_false (bytes_contain (seen, PASSPHRASE));

  /* Not in the store, state.ini or verified.ini, nor the log. */
  assert_dir_lacks (lb_test_machine_get_store_dir (f->s.machine), PASSPHRASE);
  log = lb_test_daemon_read_log (lb_test_machine_get_daemon (f->s.machine));
  g_assert_null (strstr (log, PASSPHRASE));

  /* The backup names no license, content or issuer. */
  newest = lb_test_newest_backup (f->s.dir);
  backup = lb_test_read_bytes (newest);
  g_assert_true (starts_with_age_magic (backup));
  g_assert_false (bytes_contain (backup, "secret-key-"));
  g_assert_false (bytes_contain (backup, "content-CID-"));
  g_assert_false (bytes_contain (backup, "issuer.example"));
  g_assert_false (bytes_contain (backup, PRIVATE_APP));
  g_assert_false (bytes_contain (backup, "manifest.txt"));
  g_assert_false (bytes_contain (backup, lb_test_machine_get_machine_id (f->s.machine)));
  g_assert_false (bytes_contain (backup, PASSPHRASE));
}

/* Tests: crashes */

static void
hash_file (GChecksum *sum, const char *path)
{
  g_autoptr (GBytes) bytes = lb_test_read_bytes (path);

  g_checksum_update (sum, g_bytes_get_data (bytes, NULL), (gssize) g_bytes_get_size (bytes));
}

/* The names and contents of the backups @files in @dir. */
static char *
hash_backups (const char *dir, GPtrArray *files)
{
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);

  for (guint i = 0; i < files->len; i++)
    {
      g_autofree char *path = g_build_filename (dir, files->pdata[i], NULL);

      g_checksum_update (sum, (const guchar *) files->pdata[i], -1);
      hash_file (sum, path);
    }
  return g_strdup (g_checksum_get_string (sum));
}

/* kill -9 while an encrypted backup is written (mid-way, before its
 * rename, after it): the previous generations stay byte for byte, and
 * restore; the next backup clears what was left. */
static void
test_kill (Fixture *f, gconstpointer data)
{
  const char *fault = data;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autoptr (GPtrArray) old = NULL;
  g_autoptr (GPtrArray) now = NULL;
  g_autoptr (GError) error = NULL;
  LbTestDaemonOptions options = { 0 };

  if (skipped (f))
    return;
  store_licenses (f, N_LICENSES);
  backup_ok (f, f->s.dir); /* plain */
  set_encryption_ok (f, TRUE, PASSPHRASE);
  backup_ok (f, f->s.dir); /* encrypted */
  old = lb_test_list_backups (f->s.dir);
  before = hash_backups (f->s.dir, old);

  if (g_str_equal (fault, "mid-way"))
    options.fault_delay_us = 50000;
  else
    options.fault = fault;
  g_assert_true (
      lb_test_machine_start_service (f->s.machine, &options, &f->s.store, &f->s.manager));
  start_op (f, "BackupLicenses", LB_BACKUP_FLAGS_OVERWRITE, f->s.dir, NULL, NULL, &error);
  g_assert_no_error (error);
  if (g_str_equal (fault, "mid-way"))
    {
      g_assert_true (lb_test_wait_licenses_done (f->s.bus, 5));
      lb_test_daemon_kill (lb_test_machine_get_daemon (f->s.machine));
    }
  g_assert_true (
      lb_test_daemon_wait_exit (lb_test_machine_get_daemon (f->s.machine), LB_TEST_TIMEOUT_MS));

  /* The previous generations, byte for byte; after the rename, the new
   * one beside them. */
  now = lb_test_list_backups (f->s.dir);
  g_assert_cmpuint (now->len, ==, old->len + (g_str_equal (fault, "backup-after-rename") ? 1 : 0));
  for (guint i = 0; i < old->len; i++)
    g_assert_true (g_ptr_array_find_with_equal_func (now, old->pdata[i], g_str_equal, NULL));
  after = hash_backups (f->s.dir, old);
  g_assert_cmpstr (before, ==, after);

  /* They restore; the next backup clears what was left. */
  g_assert_true (lb_test_machine_start_service (f->s.machine, NULL, &f->s.store, &f->s.manager));
  delete_licenses (f, N_LICENSES);
  run_op_ok (f, "RestoreLicenses", 0, f->s.dir, NULL);
  g_assert_cmpuint (lb_test_bus_get_license_count (f->s.bus), ==, N_LICENSES);
  backup_ok (f, f->s.dir);
  g_assert_cmpuint (lb_test_count_temporaries (f->s.dir), ==, 0);
}

typedef struct
{
  const char *path;
  void (*func) (Fixture *f, gconstpointer arg);
  void (*setup) (Fixture *f, gconstpointer arg);
  gconstpointer arg;
} TestCase;

static const TestCase cases[] = {
  { "keyring/set-encryption", test_set_encryption, setup },
  { "keyring/refusals", test_refusals, setup },
  { "keyring/locked", test_locked, setup },
  { "keyring/absent", test_absent, setup_no_keyring },
  { "backup/encrypted", test_backup_encrypted, setup },
  { "backup/mixed-generations", test_mixed_generations, setup },
  { "restore/keyring", test_restore_keyring, setup },
  { "restore/age-encrypted", test_restore_age_encrypted, setup },
  { "restore/refused", test_restore_refused, setup },
  { "failures/keyring-locked", test_backup_without_keyring, setup, "locked" },
  { "failures/keyring-absent", test_backup_without_keyring, setup, "absent" },
  { "failures/keyring-empty", test_backup_without_keyring, setup, "empty" },
  { "privacy/passphrase-and-licenses", test_privacy, setup },
  { "crash/mid-way", test_kill, setup, "mid-way" },
  { "crash/before-rename", test_kill, setup, "backup-before-rename" },
  { "crash/after-rename", test_kill, setup, "backup-after-rename" },
};

int
main (int argc, char **argv)
{
  lb_test_init (&argc, &argv);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_strconcat ("/encryption/", cases[i].path, NULL);

      lb_test_check_group (cases[i].path, "tests/daemon/meson.build's encryption_test_groups");
      g_test_add (path, Fixture, cases[i].arg, cases[i].setup, cases[i].func, teardown);
    }
  return g_test_run ();
}
