/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "app-info.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "error-convert.h"
#include "license.h"

/* Larger than any .flatpak-info flatpak writes; a bigger one is malformed. */
#define FLATPAK_INFO_MAX (256 * 1024)
#define CGROUP_MAX (64 * 1024)

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

LbAppInfo *
lb_app_info_new (LbAppKind kind, const char *id)
{
  LbAppInfo *info = g_atomic_rc_box_new0 (LbAppInfo);

  info->kind = kind;
  info->id = g_strdup (id);
  return info;
}

static void
app_info_clear (LbAppInfo *info)
{
  g_free (info->id);
}

LbAppInfo *
lb_app_info_ref (LbAppInfo *info)
{
  return g_atomic_rc_box_acquire (info);
}

void
lb_app_info_unref (LbAppInfo *info)
{
  g_atomic_rc_box_release_full (info, (GDestroyNotify) app_info_clear);
}

gboolean
lb_app_info_is_host (const LbAppInfo *info)
{
  return info->kind == LB_APP_KIND_HOST;
}

const char *
lb_app_info_kind_name (LbAppKind kind)
{
  switch (kind)
    {
    case LB_APP_KIND_FLATPAK:
      return "flatpak";
    case LB_APP_KIND_SNAP:
      return "snap";
    case LB_APP_KIND_HOST:
    default:
      return "host";
    }
}

static void
set_unreadable (GError **error, const char *what, int errsv)
{
  g_set_error (error, LB_ERROR, LB_ERROR_PERMISSION_DENIED,
               _ ("The service cannot tell which app is calling (%s: %s), so it refused the "
                  "call. Run sandboxed apps with flatpak or snap, which describe them"),
               what, g_strerror (errsv));
}

static void
set_malformed (GError **error, const char *what)
{
  g_set_error (error, LB_ERROR, LB_ERROR_PERMISSION_DENIED,
               _ ("The service cannot tell which app is calling (%s), so it refused the call. "
                  "Run sandboxed apps with flatpak or snap, which describe them"),
               what);
}

/* Reads a whole small file from @fd, at most @max bytes. */
static char *
read_fd (int fd, gsize max, gsize *len_out, int *errsv)
{
  g_autofree char *buf = g_malloc (max + 1);
  gsize len = 0;

  for (;;)
    {
      ssize_t n = read (fd, buf + len, max + 1 - len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          *errsv = errno;
          return NULL;
        }
      if (n == 0)
        break;
      len += (gsize) n;
      if (len > max)
        {
          *errsv = EFBIG;
          return NULL;
        }
    }
  buf[len] = '\0';
  *len_out = len;
  return g_steal_pointer (&buf);
}

/* TRUE with *@app_id set (the app's id) or NULL (no .flatpak-info: not a
 * Flatpak app); FALSE for anything else. */
static gboolean
read_flatpak_info (int proc_dir, char **app_id, GError **error)
{
  g_autoptr (GKeyFile) key_file = g_key_file_new ();
  g_autofree char *contents = NULL;
  g_autofree char *name = NULL;
  int root_fd, fd, errsv = 0;
  struct stat st;
  gsize len = 0;

  *app_id = NULL;
  root_fd = openat (proc_dir, "root", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0)
    {
      set_unreadable (error, "/proc/PID/root", errno);
      return FALSE;
    }
  /* O_NOFOLLOW: a symlink could point anywhere the service may read;
   * O_NONBLOCK: a FIFO must not hang the open. */
  fd = openat (root_fd, ".flatpak-info", O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  errsv = errno;
  close (root_fd);
  if (fd < 0 && errsv == ENOENT)
    return TRUE;
  if (fd < 0)
    {
      set_unreadable (error, "/.flatpak-info", errsv);
      return FALSE;
    }
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      close (fd);
      set_malformed (error, _ ("its /.flatpak-info is not a regular file"));
      return FALSE;
    }
  contents = read_fd (fd, FLATPAK_INFO_MAX, &len, &errsv);
  close (fd);
  if (contents == NULL)
    {
      set_unreadable (error, "/.flatpak-info", errsv);
      return FALSE;
    }
  if (!g_key_file_load_from_data (key_file, contents, len, G_KEY_FILE_NONE, NULL)
      || (name = g_key_file_get_string (key_file, "Application", "name", NULL)) == NULL
      || name[0] == '\0' || !lb_app_id_validate (name, NULL) || g_str_has_prefix (name, "snap."))
    {
      set_malformed (error, _ ("its /.flatpak-info has no valid [Application] name"));
      return FALSE;
    }
  *app_id = g_steal_pointer (&name);
  return TRUE;
}

/* The snap name in a cgroup path component "snap.<name>.<rest>", or NULL. */
static char *
snap_from_cgroup (const char *contents)
{
  g_auto (GStrv) lines = g_strsplit (contents, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      /* "hierarchy-id:controllers:path" */
      const char *path = strchr (lines[i], ':');
      g_auto (GStrv) parts = NULL;

      if (path == NULL || (path = strchr (path + 1, ':')) == NULL)
        continue;
      parts = g_strsplit (path + 1, "/", -1);
      for (guint j = 0; parts[j] != NULL; j++)
        {
          const char *name = parts[j] + strlen ("snap.");
          const char *end;

          if (!g_str_has_prefix (parts[j], "snap.") || (end = strchr (name, '.')) == NULL
              || end == name)
            continue;
          return g_strdup_printf ("snap.%.*s", (int) (end - name), name);
        }
    }
  return NULL;
}

static gboolean
read_snap (int proc_dir, char **app_id, GError **error)
{
  g_autofree char *contents = NULL;
  int fd, errsv = 0;
  gsize len = 0;

  *app_id = NULL;
  fd = openat (proc_dir, "cgroup", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    {
      set_unreadable (error, "/proc/PID/cgroup", errno);
      return FALSE;
    }
  contents = read_fd (fd, CGROUP_MAX, &len, &errsv);
  close (fd);
  if (contents == NULL)
    {
      set_unreadable (error, "/proc/PID/cgroup", errsv);
      return FALSE;
    }
  *app_id = snap_from_cgroup (contents);
  if (*app_id != NULL && !lb_app_id_validate (*app_id, NULL))
    {
      g_clear_pointer (app_id, g_free);
      set_malformed (error, _ ("its snap name is not valid"));
      return FALSE;
    }
  return TRUE;
}

LbAppInfo *
lb_app_info_new_for_pid (int pidfd, pid_t pid, GError **error)
{
  g_autofree char *proc_path = g_strdup_printf ("/proc/%d", (int) pid);
  g_autofree char *app_id = NULL;
  LbAppKind kind = LB_APP_KIND_HOST;
  int own_pidfd = -1, proc_dir;
  gboolean ok;

  if (pid <= 0)
    {
      set_malformed (error, _ ("the bus gave no process id"));
      return NULL;
    }
  if (pidfd < 0)
    {
      own_pidfd = pidfd = (int) syscall (SYS_pidfd_open, pid, 0);
      if (pidfd < 0)
        {
          set_unreadable (error, "pidfd_open", errno);
          return NULL;
        }
    }
  proc_dir = open (proc_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (proc_dir < 0)
    {
      set_unreadable (error, "/proc/PID", errno);
      ok = FALSE;
    }
  else
    {
      ok = read_flatpak_info (proc_dir, &app_id, error);
      if (ok && app_id != NULL)
        kind = LB_APP_KIND_FLATPAK;
      else if (ok)
        {
          ok = read_snap (proc_dir, &app_id, error);
          kind = app_id != NULL ? LB_APP_KIND_SNAP : LB_APP_KIND_HOST;
        }
      close (proc_dir);
    }
  /* The pid may have been reused while we read: only if the pinned
   * process is still alive is what we read its own. */
  if (ok && syscall (SYS_pidfd_send_signal, pidfd, 0, NULL, 0) != 0)
    {
      set_unreadable (error, _ ("the calling process"), errno);
      ok = FALSE;
    }
  if (own_pidfd >= 0)
    close (own_pidfd);
  if (!ok)
    return NULL;
  return lb_app_info_new (kind, app_id != NULL ? app_id : "");
}
