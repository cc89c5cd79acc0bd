/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* passphrase: the passphrase of encrypted backups, from a terminal
 * (without echo) or from a file descriptor (--passphrase-fd, for
 * scripts). Never in an argument, where ps would show it. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Whether a passphrase can be asked: standard input is a terminal. */
gboolean lb_cli_can_prompt (void);

/* Reads the passphrase from @fd to its end (one final newline dropped).
 * NULL with a message printed when it cannot. */
GBytes *lb_cli_passphrase_from_fd (int fd);

/* Asks for the passphrase on the terminal, without echo, with @prompt
 * ("Passphrase: "). NULL when the user ended the input (Ctrl-D). */
GBytes *lb_cli_prompt_passphrase (const char *prompt);

/* Asks twice for a new passphrase (or reads it from @fd when >= 0), after
 * saying that the backups cannot be restored without it. NULL with a
 * message printed when it cannot; *@exit_status says how to exit then. */
GBytes *lb_cli_new_passphrase (int fd, int *exit_status);

G_END_DECLS
