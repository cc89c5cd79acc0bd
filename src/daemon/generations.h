/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* generations: the backups a folder keeps.
 *
 * Each backup is one complete file, licenses-YYYYMMDDTHHMMSSZ.lbk, named
 * after its time in UTC so that the names sort by time; licenses.lbk, the
 * single file of earlier versions, counts as the oldest. Only regular
 * files with such names are backups: temporary files (dot files) and
 * anything else in the folder are not. Core code without D-Bus; the
 * functions that take a GFile do I/O and belong in a worker thread (or, for
 * a local folder, in a quick check on the main context).
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct
{
  char *name;   /* the file name, e.g. licenses-20261128T214805Z.lbk */
  gint64 time;  /* from the name; for licenses.lbk, when it was written */
  guint64 size; /* bytes */
} LbGeneration;

void lb_generation_free (LbGeneration *generation);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LbGeneration, lb_generation_free)

/* The name of a backup made at @time (unix seconds). */
char *lb_generation_name_for_time (gint64 time);

/* Whether @name is a generation's name (licenses.lbk is not); its time. */
gboolean lb_generation_parse_name (const char *name, gint64 *time);

/* Whether a restore may name @name: a generation's name or licenses.lbk. */
gboolean lb_generation_name_is_valid (const char *name);

/* The backups in @dir, newest first, licenses.lbk last; an array of
 * LbGeneration. */
GPtrArray *lb_generations_list (GFile *dir, GCancellable *cancellable, GError **error);

/* The file a restore reads: @dir's @generation when given, else its newest
 * backup, else licenses.lbk (whether or not it exists: the caller checks). */
GFile *lb_generations_pick (GFile *dir, const char *generation, GCancellable *cancellable);

/* With @generation NULL, TRUE; else NotFound unless @dir holds a file of
 * that name (its type is checked when it is opened). */
gboolean lb_generations_check_named (GFile *dir,
                                     const char *generation,
                                     GCancellable *cancellable,
                                     GError **error);

/* Whether @dir holds a backup (licenses.lbk is checked by the caller). */
gboolean lb_generations_any (GFile *dir, GCancellable *cancellable);

/* Removes the oldest backups beyond @keep (at least 1). What cannot be
 * removed is logged and left for the next backup. Returns how many were
 * removed. */
guint lb_generations_prune (GFile *dir, guint keep, GCancellable *cancellable);

G_END_DECLS
