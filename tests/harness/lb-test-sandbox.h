/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lb-test-sandbox: fake Flatpak and Snap apps for tests of how the daemon
 * identifies its callers.
 *
 * The daemon takes a caller's pid from GetConnectionCredentials and reads
 * /proc/PID/root/.flatpak-info (else /proc/PID/cgroup for "snap.NAME."), so
 * these helpers make real processes that look like that from the host:
 *
 *  - LbTestApp: xdg-dbus-proxy in bubblewrap, as `flatpak run` starts it for
 *    an app without --socket=session-bus: the proxy holds the bus connection,
 *    so its /.flatpak-info is what the daemon reads. The sandbox root is a
 *    tmpfs built from pieces (/usr, /etc, /proc, /dev, the bus socket, the
 *    app's own directory), never the host's /.
 *  - lb_test_app_run_direct(): a program in bubblewrap with the bus socket
 *    bound in, like an app with --socket=session-bus.
 *  - lb_test_snap_run(): a program, not sandboxed, in a new cgroup named as
 *    snapd and systemd name an app's scope.
 *
 * Everything started here dies with the test process (PR_SET_PDEATHSIG,
 * bwrap --die-with-parent) and is gone when the call or the free returns.
 * Programs that exit 77 through lb_test_sandbox_require() must be
 * registered with protocol 'exitcode' (meson counts a TAP test exiting 77
 * as an error). As root, a mode-0000 /.flatpak-info is still readable by a
 * daemon that keeps CAP_DAC_OVERRIDE.
 */
#pragma once

#include <gio/gio.h>

#include "lb-test-util.h"

G_BEGIN_DECLS

/* Whether bubblewrap and xdg-dbus-proxy can run here (user namespaces, or
 * root): it runs xdg-dbus-proxy in a sandbox once and remembers the answer.
 * If not, *@reason (optional) says why. */
gboolean lb_test_sandbox_available (char **reason);

/* Prints the reason and exits with 77 (skip) when unavailable. Call before
 * g_test_run or in main. */
void lb_test_sandbox_require (void);

/* How long lb_test_app_run_direct() and lb_test_snap_run() wait before
 * they kill the program and fail (60 s unless set; 0 restores that). For
 * the harness's own test of the timeout. */
void lb_test_sandbox_set_run_timeout (guint timeout_ms);

typedef enum
{
  /* A well-formed /.flatpak-info: [Application] name=APP_ID, runtime=...,
   * like flatpak writes. */
  LB_TEST_FLATPAK_INFO_NORMAL,
  /* /.flatpak-info holds @contents verbatim (malformed ones). */
  LB_TEST_FLATPAK_INFO_CONTENTS,
  /* /.flatpak-info is a symlink to a well-formed file elsewhere in the
   * sandbox (relative, "run/lb-test/flatpak-info": following it through
   * /proc/PID/root reaches that file, so only O_NOFOLLOW refuses it). */
  LB_TEST_FLATPAK_INFO_SYMLINK,
  /* /.flatpak-info is a directory. */
  LB_TEST_FLATPAK_INFO_DIRECTORY,
  /* A well-formed file with mode 0000. */
  LB_TEST_FLATPAK_INFO_UNREADABLE,
} LbTestFlatpakInfo;

typedef struct _LbTestApp LbTestApp;

/* Starts `xdg-dbus-proxy BUS_ADDRESS SOCKET --filter
 * --talk=org.freedesktop.LicenseBackup1` inside bubblewrap with
 * /.flatpak-info as @info says (@contents only for CONTENTS, else NULL), as
 * `flatpak run` does, and waits until the proxy listens. @app_id may be
 * NULL for CONTENTS and DIRECTORY. NULL after a failed assertion. */
LbTestApp *
lb_test_app_new (LbTestBus *bus, const char *app_id, LbTestFlatpakInfo info, const char *contents);

/* A new client connection through the app's proxy (as the app inside the
 * sandbox would make), or NULL with @error. */
GDBusConnection *lb_test_app_connect (LbTestApp *app, GError **error);

/* The address of the proxy's socket (for spawning a client program as the
 * app, e.g. DBUS_SESSION_BUS_ADDRESS). */
const char *lb_test_app_get_address (LbTestApp *app);

/* The host pid of xdg-dbus-proxy: what GetConnectionCredentials gives for
 * every connection made through the app. */
GPid lb_test_app_get_proxy_pid (LbTestApp *app);

/* Stops the proxy (as when the app exits), kills it and bwrap if they
 * linger, and removes its files. */
void lb_test_app_free (LbTestApp *app);

/* Runs @argv inside bubblewrap with /.flatpak-info as @info says and the
 * bus's socket reachable directly (no proxy), like an app with
 * --socket=session-bus: DBUS_SESSION_BUS_ADDRESS is unix:path=/run/flatpak/bus,
 * FLATPAK_ID is @app_id, HOME and XDG_RUNTIME_DIR are the app's own; the
 * rest of the environment is the test's, and @envp adds NAME=VALUE entries
 * (may be NULL). The build and source trees are visible read-only, so
 * programs from the build can run. Waits for it without iterating the
 * caller's main context; after the timeout (60 s) kills it and returns
 * FALSE with G_IO_ERROR_TIMED_OUT. @exit_status gets its exit status
 * (128 + N when signal N killed it); each output argument is optional. A
 * program that fails is not an error: FALSE means it could not be run or
 * did not end. */
gboolean lb_test_app_run_direct (LbTestBus *bus,
                                 const char *app_id,
                                 LbTestFlatpakInfo info,
                                 const char *contents,
                                 const char *const *argv,
                                 const char *const *envp,
                                 char **standard_output,
                                 char **standard_error,
                                 int *exit_status,
                                 GError **error);

/* Whether this machine lets the test put a process into a new cgroup (a
 * writable cgroup v2 hierarchy, at /sys/fs/cgroup or, on a hybrid system,
 * /sys/fs/cgroup/unified; in practice as root); tried once. If not,
 * *@reason (optional) says why. */
gboolean lb_test_snap_available (char **reason);

/* Runs @argv (no sandbox) inside a new cgroup, below the test's own, named
 * "snap.<snap_name>.<snap_name>-<uuid>.scope" (as snapd and systemd name
 * them), entered before exec so that every D-Bus connection it makes comes
 * from that cgroup. DBUS_SESSION_BUS_ADDRESS is @bus's, SNAP_NAME and
 * SNAP_INSTANCE_NAME are @snap_name. When it has exited, whatever it left
 * running in the cgroup is killed and the cgroup removed. Same waiting and
 * outputs as lb_test_app_run_direct(). */
gboolean lb_test_snap_run (LbTestBus *bus,
                           const char *snap_name,
                           const char *const *argv,
                           const char *const *envp,
                           char **standard_output,
                           char **standard_error,
                           int *exit_status,
                           GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbTestApp, lb_test_app_free)

G_END_DECLS
