/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "passphrase.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <signal.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"

/* The service takes at most 1024 bytes; one more tells "too long". */
#define PASSPHRASE_READ_MAX 4096

gboolean
lb_cli_can_prompt (void)
{
  return isatty (STDIN_FILENO);
}

/* The passphrase's bytes, without one final "\n" (or "\r\n"), in memory
 * that is cleared when freed. */
static GBytes *
bytes_from (GByteArray *buf)
{
  gsize len = buf->len;

  if (len > 0 && buf->data[len - 1] == '\n')
    len--;
  if (len > 0 && buf->data[len - 1] == '\r')
    len--;
  return g_bytes_new (buf->data, len);
}

/* A GByteArray whose bytes are cleared when it goes. */
typedef GByteArray WipedBytes;

static void
wiped_bytes_free (WipedBytes *buf)
{
  memset (buf->data, 0, buf->len);
  g_byte_array_unref (buf);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WipedBytes, wiped_bytes_free)

GBytes *
lb_cli_passphrase_from_fd (int fd)
{
  g_autoptr (WipedBytes) buf = g_byte_array_new ();
  guint8 chunk[512];

  for (;;)
    {
      ssize_t n = read (fd, chunk, sizeof chunk);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int errsv = errno;

          g_printerr (
              _ ("license-backup: Cannot read the passphrase from file descriptor %d: %s\n"), fd,
              g_strerror (errsv));
          return NULL;
        }
      if (n == 0)
        break;
      g_byte_array_append (buf, chunk, (guint) n);
      memset (chunk, 0, sizeof chunk);
      if (buf->len > PASSPHRASE_READ_MAX)
        break; /* the service says it is too long */
    }
  if (buf->len == 0)
    {
      g_printerr (_ ("license-backup: File descriptor %d gave no passphrase\n"), fd);
      return NULL;
    }
  return bytes_from (buf);
}

/* The terminal's settings while echo is off, for the SIGINT handler. */
static struct termios saved_termios;
static volatile sig_atomic_t echo_off;
static struct sigaction saved_sigint;

static void
on_sigint_restore (int sig)
{
  /* Only async-signal-safe calls: give the terminal its echo back, then
   * end as Ctrl-C would. */
  if (echo_off)
    tcsetattr (STDIN_FILENO, TCSANOW, &saved_termios);
  if (write (STDIN_FILENO, "\n", 1) < 0)
    { /* nothing more to do in a signal handler */
    }
  sigaction (SIGINT, &saved_sigint, NULL);
  raise (sig);
}

/* On the terminal the passphrase is typed on (standard input, open for
 * reading and writing as a terminal is), so that neither --json's
 * standard output nor a redirected standard error takes the prompt;
 * standard error when it cannot be written. */
static void
show_prompt (const char *prompt)
{
  gsize len = strlen (prompt);

  if (write (STDIN_FILENO, prompt, len) != (ssize_t) len)
    g_printerr ("%s", prompt);
}

GBytes *
lb_cli_prompt_passphrase (const char *prompt)
{
  g_autoptr (WipedBytes) buf = g_byte_array_new ();
  struct termios quiet;
  struct sigaction sa = { 0 };
  gboolean ended = FALSE;

  /* Echo off before the prompt shows: what is typed after the prompt is
   * then never echoed, nor discarded. */
  if (tcgetattr (STDIN_FILENO, &saved_termios) == 0)
    {
      quiet = saved_termios;
      quiet.c_lflag &= ~(tcflag_t) ECHO;
      quiet.c_lflag |= ECHONL;
      sa.sa_handler = on_sigint_restore;
      sigemptyset (&sa.sa_mask);
      sigaction (SIGINT, &sa, &saved_sigint);
      echo_off = tcsetattr (STDIN_FILENO, TCSANOW, &quiet) == 0;
    }
  show_prompt (prompt);
  for (;;)
    {
      char c;
      ssize_t n = read (STDIN_FILENO, &c, 1);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          ended = TRUE;
          break;
        }
      if (c == '\n')
        break;
      g_byte_array_append (buf, (const guint8 *) &c, 1);
      if (buf->len > PASSPHRASE_READ_MAX)
        break;
    }
  if (echo_off)
    {
      tcsetattr (STDIN_FILENO, TCSANOW, &saved_termios);
      echo_off = FALSE;
      sigaction (SIGINT, &saved_sigint, NULL);
    }
  if (ended)
    {
      show_prompt ("\n");
      return NULL;
    }
  return bytes_from (buf);
}

GBytes *
lb_cli_new_passphrase (int fd, int *exit_status)
{
  g_autoptr (GBytes) first = NULL;
  g_autoptr (GBytes) second = NULL;

  *exit_status = LB_EXIT_FAILED;
  if (fd >= 0)
    return lb_cli_passphrase_from_fd (fd);
  if (!lb_cli_can_prompt ())
    {
      g_printerr (_ ("license-backup: A passphrase is needed, and there is no terminal to ask "
                     "for it; give it with --passphrase-fd N (read from file descriptor N)\n"));
      *exit_status = LB_EXIT_PASSPHRASE_NEEDED;
      return NULL;
    }
  g_printerr (_ ("New backups will be encrypted with a passphrase. Without it they cannot be "
                 "restored, on this computer or another: keep it somewhere safe.\n"));
  first = lb_cli_prompt_passphrase (_ ("Passphrase: "));
  if (first == NULL)
    return NULL;
  if (g_bytes_get_size (first) == 0)
    {
      g_printerr (_ ("license-backup: The passphrase is empty; nothing was changed\n"));
      return NULL;
    }
  second = lb_cli_prompt_passphrase (_ ("The passphrase again: "));
  if (second == NULL)
    return NULL;
  if (!g_bytes_equal (first, second))
    {
      g_printerr (_ ("license-backup: The two passphrases differ; nothing was changed\n"));
      return NULL;
    }
  return g_steal_pointer (&first);
}
