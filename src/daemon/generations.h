/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* generations: the backups a folder keeps, and the one rule that orders
 * them (docs/backup-format.md, "Generations").
 *
 * Each backup is one complete file, licenses-YYYYMMDDTHHMMSSZ.lbk. The
 * names order the backups: the newest is the one whose name sorts last,
 * and licenses.lbk, the single file of earlier versions, is the oldest. A
 * new backup's name is its time in UTC, or one second after the newest
 * name present when that is later (a clock that went back, a computer
 * sharing the folder whose clock is ahead, backups within one second), so
 * the backup just written is always the newest. When it was really made,
 * and by which computer, is in its manifest. Only regular files with such
 * names are backups: temporary files (dot files) and anything else in the
 * folder are not.
 *
 * Pruning removes only the oldest backups that this computer made (by the
 * manifest's machine id), beyond the number to keep, never the one just
 * written: a folder shared by several computers keeps that many of each.
 * Core code without D-Bus; the functions that take a GFile do I/O and
 * belong in a worker thread.
 */
#pragma once

#include <gio/gio.h>

#include "lb-archive.h"

G_BEGIN_DECLS

typedef struct
{
  char *name;   /* the file name, e.g. licenses-20261128T214805Z.lbk */
  gint64 time;  /* from the name; for licenses.lbk, when it was written */
  guint64 size; /* bytes */
  /* With LB_GENERATIONS_MANIFESTS: whether its manifest's header could be
   * read, and the header (when it was made, by which computer). */
  gboolean has_manifest;
  LbManifest manifest;
  /* With LB_GENERATIONS_MANIFESTS: an age file (lb-age.h), whose manifest
   * cannot be read without its passphrase. */
  gboolean encrypted;
} LbGeneration;

typedef enum
{
  LB_GENERATIONS_NONE = 0,
  LB_GENERATIONS_MANIFESTS = 1 << 0, /* read each one's manifest header */
} LbGenerationsFlags;

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
GPtrArray *lb_generations_list (GFile *dir,
                                LbGenerationsFlags flags,
                                GCancellable *cancellable,
                                GError **error);

/* The name of a new backup made at @now into a folder holding @all (as
 * listed): after every name there. NULL when no name can follow (a backup
 * named after the year 9999). */
char *lb_generations_next_name (GPtrArray *all, gint64 now);

/* The name one step after @name (a generation's), for when another
 * computer took a name first; NULL past the year 9999. */
char *lb_generation_name_after (const char *name);

/* The file a restore reads: @dir's @generation when given, else its newest
 * backup, else licenses.lbk (whether or not it exists: the caller checks). */
GFile *lb_generations_pick (GFile *dir, const char *generation, GCancellable *cancellable);

/* lb_generations_pick(), but the newest backup not in @skip (the backups
 * whose last check failed: verifications.h) when none is named; the
 * newest of all when every one is in @skip. */
GFile *lb_generations_pick_whole (GFile *dir,
                                  const char *generation,
                                  const char *const *skip,
                                  GCancellable *cancellable);

/* With @generation NULL, TRUE; else NotFound unless @dir holds a file of
 * that name (its type is checked when it is opened). */
gboolean lb_generations_check_named (GFile *dir,
                                     const char *generation,
                                     GCancellable *cancellable,
                                     GError **error);

/* Whether @dir holds a backup (licenses.lbk is checked by the caller). */
gboolean lb_generations_any (GFile *dir, GCancellable *cancellable);

/* Removes the oldest backups made by @machine (an app-specific machine id)
 * beyond the newest @keep (at least 1) of that machine, never @keep_name.
 * An encrypted backup's manifest cannot be read without its passphrase:
 * it is @machine's when @ours_encrypted (NULL-terminated, or NULL) names
 * it, as this computer's record of the encrypted backups it wrote does
 * (verifications.h). Backups of other computers and backups whose
 * manifest cannot be read stay. What cannot be removed is logged and
 * left for the next backup. Returns how many were removed. */
guint lb_generations_prune (GFile *dir,
                            guint keep,
                            const char *machine,
                            const char *const *ours_encrypted,
                            const char *keep_name,
                            GCancellable *cancellable);

G_END_DECLS
