/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <glib/gi18n.h>
#include <malloc.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "fault.h"
#include "error-convert.h"

#define STORE_DB_NAME "licenses.db"
#define SCHEMA_VERSION 3
#define BUSY_TIMEOUT_MS 20000
/* SQLite's own automatic checkpoint threshold, in pages of the WAL. */
#define CHECKPOINT_PAGES 1000
/* The WAL file is cut back to this after it has been checkpointed. */
#define WAL_SIZE_LIMIT 67108864 /* 64 MiB */
/* A write leaves this much free on the store's file system: 5% of it or
 * 1 GiB, whichever is smaller, as systemd-journald keeps. */
#define FREE_FLOOR_PERCENT 5
#define FREE_FLOOR_MAX (G_GUINT64_CONSTANT (1) << 30)
/* A bulk write looks at the free space again after this many bytes. */
#define FREE_CHECK_EVERY (4 * 1024 * 1024)
/* A write whose blobs take at least this many bytes (a StoreLicenses
 * batch, an import, a restore) appends them to the blob file; a smaller one
 * keeps them in its rows, costing one sync rather than two. */
#define BLOB_FILE_MIN_BYTES (64 * 1024)
/* Blobs are appended through a buffer of this size, whose writeback
 * starts as soon as it is written. */
#define BLOB_BUFFER_SIZE (1024 * 1024)
/* The blob file is rewritten with only its live blobs (licenses.db
 * vacuumed) by itself when more than half of it is dead and the dead part
 * takes at least this much; CleanLicenseStore does it when at least an
 * eighth of it is dead. */
#define RECLAIM_AUTO_MIN_DEAD (1024 * 1024)
#define RECLAIM_CLEAN_FRACTION 8
/* Rows a reclaim reads and moves at a time. */
#define RECLAIM_CHUNK 1024

#define ATTR_COLUMNS                                                                             \
  "key_id, content_id, issuer, can_backup, restore_limit, expires, support_url, restore_count, " \
  "stored, machine, app"
/* The columns that follow ATTR_COLUMNS in the SELECTs that read them. */
#define COL_AFTER_ATTRS 11

struct _LbStore
{
  GObject parent_instance;

  char *dir;
  char *db_path;
  char *machine;
  char *machine_info_file; /* set before any operation starts */

  GMutex write_lock; /* guards write_db */
  sqlite3 *write_db;
  GMutex read_lock; /* guards read_db and read_fd; held while a reclaim switches blob files */
  sqlite3 *read_db;
  int read_fd;         /* the blob file read_db last used, or -1 */
  gint64 read_fd_file; /* its number */

  guint count; /* atomic */
  /* Per-app limits, checked after every license a write adds. */
  guint64 app_max_licenses;
  guint64 app_max_bytes;
  /* Restores waiting for SQLite's write lock (atomic): a batch yields to
   * them between two licenses. */
  gint restores_waiting;

  /* Checkpoints run in their own thread rather than inside COMMIT. */
  GThread *checkpointer;
  GMutex checkpoint_lock; /* guards the three flags */
  GCond checkpoint_cond;
  gboolean checkpoint_wanted;
  gboolean truncate_wanted; /* the WAL is to be cut back to nothing */
  gboolean reclaim_wanted;  /* more than half of the blob file is dead */
  gboolean checkpoint_quit;
};

G_DEFINE_TYPE (LbStore, lb_store, G_TYPE_OBJECT)

static void
set_sqlite_error (GError **error, sqlite3 *db, int rc, const char *what)
{
  LbError code;
  int ext = db != NULL ? sqlite3_extended_errcode (db) : rc;

  switch (rc & 0xff)
    {
    case SQLITE_FULL:
      code = LB_ERROR_NO_SPACE;
      break;
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      code = LB_ERROR_PERMISSION_DENIED;
      break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      code = LB_ERROR_BUSY;
      break;
    case SQLITE_CANTOPEN:
      code = errno == EACCES ? LB_ERROR_PERMISSION_DENIED : LB_ERROR_FAILED;
      break;
    case SQLITE_IOERR:
      code = lb_error_code_from_errno (db != NULL ? sqlite3_system_errno (db) : 0);
      break;
    default:
      code = LB_ERROR_FAILED;
    }
  if (code == LB_ERROR_BUSY)
    g_set_error (error, LB_ERROR, code,
                 _ ("The license store is busy with a restore; try again in a moment"));
  else if (code == LB_ERROR_NO_SPACE)
    g_set_error (error, LB_ERROR, code,
                 _ ("The disk holding the license store is full; free some space and try again"));
  else
    g_set_error (error, LB_ERROR, code, _ ("License store: %s failed: %s (%d)"), what,
                 db != NULL ? sqlite3_errmsg (db) : sqlite3_errstr (rc), ext);
}

static gboolean
exec (sqlite3 *db, const char *sql, GError **error)
{
  int rc = sqlite3_exec (db, sql, NULL, NULL, NULL);

  if (rc != SQLITE_OK)
    {
      set_sqlite_error (error, db, rc, sql);
      return FALSE;
    }
  return TRUE;
}

static sqlite3_stmt *
prepare (sqlite3 *db, const char *sql, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v3 (db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);

  if (rc != SQLITE_OK)
    {
      set_sqlite_error (error, db, rc, "prepare");
      return NULL;
    }
  return stmt;
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

/* Steps @stmt, a query of one row, and reads its first column; @what
 * names the query in the error. */
static gboolean
step_int64 (sqlite3 *db, sqlite3_stmt *stmt, const char *what, gint64 *value, GError **error)
{
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      set_sqlite_error (error, db, sqlite3_errcode (db), what);
      return FALSE;
    }
  *value = sqlite3_column_int64 (stmt, 0);
  return TRUE;
}

static gboolean
query_int64 (sqlite3 *db, const char *sql, const char *what, gint64 *value, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = prepare (db, sql, error);

  return stmt != NULL && step_int64 (db, stmt, what, value, error);
}

/* Temporary data on disk keeps a statement that touches the whole store
 * (a clean, the migration) within bounded memory. Bulk writes are single-row
 * statements, each journalling only the few pages it changes; on disk that
 * journal cost five 4 KiB writes per license (three quarters of an
 * import's system calls), in memory it costs nothing. */
#define DEFAULT_TEMP_STORE "PRAGMA temp_store = FILE;"
#define BULK_TEMP_STORE "PRAGMA temp_store = MEMORY;"

static sqlite3 *
open_db (const char *path, gboolean readonly, GError **error)
{
  sqlite3 *db = NULL;
  int flags = SQLITE_OPEN_NOMUTEX
              | (readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  int rc = sqlite3_open_v2 (path, &db, flags, NULL);

  if (rc != SQLITE_OK)
    {
      set_sqlite_error (error, db, rc, "open");
      sqlite3_close (db);
      return NULL;
    }
  sqlite3_extended_result_codes (db, 1);
  sqlite3_busy_timeout (db, BUSY_TIMEOUT_MS);
  /* Bounded memory whatever the store's size: an 8 MiB page cache, no mmap. */
  if (!exec (db,
             "PRAGMA cache_size = -8192; PRAGMA mmap_size = 0;" DEFAULT_TEMP_STORE
             "PRAGMA synchronous = FULL; PRAGMA journal_size_limit = " G_STRINGIFY (
                 WAL_SIZE_LIMIT) ";",
             error))
    {
      sqlite3_close (db);
      return NULL;
    }
  return db;
}

/* The blob is the last column so that reading attributes never touches
 * its overflow pages. A key id names a license within its app. The apps
 * table keeps each app's count and size, exact in every transaction
 * (triggers), so that the per-app limits cost one lookup per write. */
#define LICENSES_COLUMNS_V2                                                 \
  "CREATE TABLE IF NOT EXISTS licenses ("                                   \
  " id INTEGER PRIMARY KEY,"                                                \
  " app TEXT NOT NULL DEFAULT '',"                                          \
  " key_id TEXT NOT NULL,"                                                  \
  " content_id TEXT, issuer TEXT,"                                          \
  " can_backup INTEGER NOT NULL, restore_limit INTEGER NOT NULL,"           \
  " expires INTEGER NOT NULL, support_url TEXT,"                            \
  " restore_count INTEGER NOT NULL, stored INTEGER NOT NULL, machine TEXT," \
  " digest BLOB NOT NULL, blob BLOB NOT NULL,"
#define LICENSES_TABLE_V2 LICENSES_COLUMNS_V2 " UNIQUE (app, key_id));"

/* The change counter that tells an automatic backup whether anything
 * changed since the last one: bumped inside each transaction that writes
 * licenses (once per commit; per row for deletes, which are single
 * statements), so it can never miss a committed change. A table an older
 * build of schema 2 ignores, hence no new schema version. */
#define CHANGES_TABLE                                                          \
  "CREATE TABLE IF NOT EXISTS changes (id INTEGER PRIMARY KEY CHECK (id = 1)," \
  " n INTEGER NOT NULL);"                                                      \
  "INSERT OR IGNORE INTO changes (id, n) VALUES (1, 0);"                       \
  "CREATE TRIGGER IF NOT EXISTS changes_delete AFTER DELETE ON licenses BEGIN" \
  " UPDATE changes SET n = n + 1 WHERE id = 1;"                                \
  " END;"
#define BUMP_CHANGES "UPDATE changes SET n = n + 1 WHERE id = 1"

#define SCHEMA_V2                                                                                       \
  LICENSES_TABLE_V2                                                                                     \
  "CREATE INDEX IF NOT EXISTS licenses_expires ON licenses (expires) WHERE expires != 0;" /* Covers     \
                                                                                           * a          \
                                                                                           * backup's   \
                                                                                           * counting,  \
                                                                                           * restricted \
                                                                                           * and        \
                                                                                           * manifest   \
                                                                                           * passes,    \
                                                                                           * so         \
                                                                                           * that       \
                                                                                           * only       \
                                                                                           * the        \
                                                                                           * last       \
                                                                                           * pass       \
                                                                                           * reads      \
                                                                                           * the        \
                                                                                           * blobs.     \
                                                                                           */           \
  "CREATE INDEX IF NOT EXISTS licenses_backup"                                                          \
  " ON licenses (app, key_id, can_backup, expires, digest);"                                            \
  "CREATE TABLE IF NOT EXISTS apps ("                                                                   \
  " app TEXT PRIMARY KEY, licenses INTEGER NOT NULL, bytes INTEGER NOT NULL) WITHOUT ROWID;"            \
  "CREATE TRIGGER IF NOT EXISTS apps_insert AFTER INSERT ON licenses BEGIN"                             \
  " INSERT INTO apps (app, licenses, bytes) VALUES (NEW.app, 1, length (NEW.blob))"                     \
  " ON CONFLICT (app) DO UPDATE SET licenses = licenses + 1, bytes = bytes + excluded.bytes;"           \
  " END;"                                                                                               \
  "CREATE TRIGGER IF NOT EXISTS apps_update AFTER UPDATE OF blob ON licenses BEGIN"                     \
  " UPDATE apps SET bytes = bytes - length (OLD.blob) + length (NEW.blob)"                              \
  " WHERE app = NEW.app;"                                                                               \
  " END;"                                                                                               \
  "CREATE TRIGGER IF NOT EXISTS apps_delete AFTER DELETE ON licenses BEGIN"                             \
  " UPDATE apps SET licenses = licenses - 1, bytes = bytes - length (OLD.blob)"                         \
  " WHERE app = OLD.app;"                                                                               \
  " DELETE FROM apps WHERE app = OLD.app AND licenses = 0;"                                             \
  " END;" CHANGES_TABLE

/* Schema 3: a license's blob is in its row (boff NULL), or bsize bytes at
 * boff in the blob file (blob then empty), licenses-<file>.blobs, where
 * bulk writes append it. The blobs table names the file, how much of it
 * the last commit wrote (committed: anything past it is a torn tail, cut
 * at open or by the next writer) and how much of that the rows still use
 * (live, kept exact by triggers), so that the dead part is known without
 * reading the rows. Schema 2 stores gain the two columns (their rows keep
 * their blobs) and the table. */
#define LICENSES_TABLE_V3                            \
  LICENSES_COLUMNS_V2                                \
  " boff INTEGER, bsize INTEGER NOT NULL DEFAULT 0," \
  " UNIQUE (app, key_id));"

/* A row's blob size, wherever the blob is; its size in the blob file. */
#define NEW_SIZE "(CASE WHEN NEW.boff IS NULL THEN length (NEW.blob) ELSE NEW.bsize END)"
#define OLD_SIZE "(CASE WHEN OLD.boff IS NULL THEN length (OLD.blob) ELSE OLD.bsize END)"
#define NEW_FILE_SIZE "(CASE WHEN NEW.boff IS NULL THEN 0 ELSE NEW.bsize END)"
#define OLD_FILE_SIZE "(CASE WHEN OLD.boff IS NULL THEN 0 ELSE OLD.bsize END)"

#define SCHEMA_V3_REST                                                                             \
  "CREATE INDEX IF NOT EXISTS licenses_expires ON licenses (expires) WHERE expires != 0;"          \
  "CREATE INDEX IF NOT EXISTS licenses_backup"                                                     \
  " ON licenses (app, key_id, can_backup, expires, digest);"                                       \
  "CREATE TABLE IF NOT EXISTS apps ("                                                              \
  " app TEXT PRIMARY KEY, licenses INTEGER NOT NULL, bytes INTEGER NOT NULL) WITHOUT ROWID;"       \
  "CREATE TRIGGER IF NOT EXISTS apps_insert AFTER INSERT ON licenses BEGIN"                        \
  " INSERT INTO apps (app, licenses, bytes) VALUES (NEW.app, 1, " NEW_SIZE ")"                     \
  " ON CONFLICT (app) DO UPDATE SET licenses = licenses + 1, bytes = bytes + excluded.bytes;"      \
  " END;"                                                                                          \
  "CREATE TRIGGER IF NOT EXISTS apps_update AFTER UPDATE OF blob, bsize ON licenses BEGIN"         \
  " UPDATE apps SET bytes = bytes - " OLD_SIZE " + " NEW_SIZE " WHERE app = NEW.app;"              \
  " END;"                                                                                          \
  "CREATE TRIGGER IF NOT EXISTS apps_delete AFTER DELETE ON licenses BEGIN"                        \
  " UPDATE apps SET licenses = licenses - 1, bytes = bytes - " OLD_SIZE " WHERE app = OLD.app;"    \
  " DELETE FROM apps WHERE app = OLD.app AND licenses = 0;"                                        \
  " END;" CHANGES_TABLE "CREATE TABLE IF NOT EXISTS blobs (id INTEGER PRIMARY KEY CHECK (id = 1)," \
  " file INTEGER NOT NULL, committed INTEGER NOT NULL, live INTEGER NOT NULL);"                    \
  "INSERT OR IGNORE INTO blobs (id, file, committed, live) VALUES (1, 1, 0, 0);"                   \
  "CREATE TRIGGER IF NOT EXISTS blobs_insert AFTER INSERT ON licenses"                             \
  " WHEN NEW.boff IS NOT NULL BEGIN"                                                               \
  " UPDATE blobs SET live = live + NEW.bsize WHERE id = 1;"                                        \
  " END;"                                                                                          \
  "CREATE TRIGGER IF NOT EXISTS blobs_update AFTER UPDATE OF blob, boff, bsize ON licenses"        \
  " WHEN OLD.boff IS NOT NULL OR NEW.boff IS NOT NULL BEGIN"                                       \
  " UPDATE blobs SET live = live - " OLD_FILE_SIZE " + " NEW_FILE_SIZE " WHERE id = 1;"            \
  " END;"                                                                                          \
  "CREATE TRIGGER IF NOT EXISTS blobs_delete AFTER DELETE ON licenses"                             \
  " WHEN OLD.boff IS NOT NULL BEGIN"                                                               \
  " UPDATE blobs SET live = live - OLD.bsize WHERE id = 1;"                                        \
  " END;"

#define SCHEMA_V3 LICENSES_TABLE_V3 SCHEMA_V3_REST

/* Schema 1 (0.1.0) had no apps: its licenses go to the host namespace.
 * The key id was unique on its own, so the table is rebuilt; one
 * transaction, so a crash leaves schema 1 whole. */
static gboolean
migrate_v1 (sqlite3 *db, GError **error)
{
  g_message ("Upgrading the license store to schema 2 (per-app licenses)");
  if (exec (db,
            "BEGIN IMMEDIATE;"
            "ALTER TABLE licenses RENAME TO licenses_v1;"
            "DROP INDEX IF EXISTS licenses_expires;"
            "DROP INDEX IF EXISTS licenses_backup;" SCHEMA_V2
            "INSERT INTO licenses (id, app, key_id, content_id, issuer, can_backup, restore_limit,"
            " expires, support_url, restore_count, stored, machine, digest, blob)"
            " SELECT id, '', key_id, content_id, issuer, can_backup, restore_limit, expires,"
            " support_url, restore_count, stored, machine, digest, blob FROM licenses_v1;"
            "DROP TABLE licenses_v1;"
            "PRAGMA user_version = 2;",
            error))
    {
      lb_fault_point ("migrate-before-commit");
      if (exec (db, "COMMIT", error))
        return TRUE;
    }
  exec (db, "ROLLBACK", NULL);
  return FALSE;
}

/* Schema 2 (0.2) kept every blob in its row. Its rows stay as they are
 * (boff NULL): the two columns are added (ALTER TABLE ADD COLUMN rewrites
 * no row), the per-app triggers replaced by ones that know both places,
 * and the blobs table created, in one transaction: a crash leaves schema 2
 * whole, and the next start upgrades again. */
static gboolean
migrate_v2 (sqlite3 *db, GError **error)
{
  g_message ("Upgrading the license store to schema 3 (a blob file for bulk writes)");
  if (exec (db,
            "BEGIN IMMEDIATE;" SCHEMA_V2 /* what an early build of schema 2 lacked */
            "ALTER TABLE licenses ADD COLUMN boff INTEGER;"
            "ALTER TABLE licenses ADD COLUMN bsize INTEGER NOT NULL DEFAULT 0;"
            "DROP TRIGGER apps_insert;"
            "DROP TRIGGER apps_update;"
            "DROP TRIGGER apps_delete;" SCHEMA_V3_REST "PRAGMA user_version = 3;",
            error))
    {
      lb_fault_point ("migrate-v2-before-commit");
      if (exec (db, "COMMIT", error))
        return TRUE;
    }
  exec (db, "ROLLBACK", NULL);
  return FALSE;
}

static gboolean
init_schema (sqlite3 *db, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  int version;

  if (!exec (db, "PRAGMA journal_mode = WAL;", error))
    return FALSE;
  stmt = prepare (db, "PRAGMA user_version", error);
  if (stmt == NULL)
    return FALSE;
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      set_sqlite_error (error, db, sqlite3_errcode (db), "user_version");
      return FALSE;
    }
  version = sqlite3_column_int (stmt, 0);
  g_clear_pointer (&stmt, sqlite3_finalize);
  if (version > SCHEMA_VERSION)
    {
      g_set_error (error, LB_ERROR, LB_ERROR_FAILED,
                   _ ("The license store was written by a newer version of license-backup "
                      "(schema %d); update license-backup"),
                   version);
      return FALSE;
    }
  if (version == 1 && !migrate_v1 (db, error))
    return FALSE;
  if (version >= 1 && version <= 2 && !migrate_v2 (db, error))
    return FALSE;
  /* Every statement is idempotent, so that a store of any earlier build of
   * this schema version gets what it lacks. */
  return exec (db, "BEGIN IMMEDIATE;" SCHEMA_V3 "PRAGMA user_version = 3; COMMIT;", error);
}

/* Checkpoints the WAL and cuts it to nothing, without waiting: BUSY when
 * a reader still uses it (a backup's snapshot) or another connection
 * checkpoints or writes. */
static int
truncate_wal_now (sqlite3 *db)
{
  int rc;

  sqlite3_busy_timeout (db, 0);
  rc = sqlite3_wal_checkpoint_v2 (db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
  sqlite3_busy_timeout (db, BUSY_TIMEOUT_MS);
  return rc;
}

/* The checkpoint copies the WAL into the database file, as much again as
 * was written: done in COMMIT it would double the time of every large write
 * (a restore, a bulk import) before the caller gets the answer. Writes are
 * durable once in the WAL, so it can wait; here it runs in a thread of its
 * own, overlapping the next write. After a large or rolled-back write it
 * also cuts the WAL back to nothing, trying again every second while
 * readers keep it. */
static void reclaim_now (LbStore *self);

static gpointer
checkpoint_thread (gpointer user_data)
{
  LbStore *self = user_data;
  sqlite3 *db = NULL;

  g_mutex_lock (&self->checkpoint_lock);
  for (;;)
    {
      g_autoptr (GError) error = NULL;
      int wal_pages = 0, copied = 0, rc;
      gboolean truncate, truncated = FALSE;

      if (self->reclaim_wanted && !self->checkpoint_quit)
        {
          self->reclaim_wanted = FALSE;
          g_mutex_unlock (&self->checkpoint_lock);
          reclaim_now (self);
          g_mutex_lock (&self->checkpoint_lock);
          continue;
        }
      while (!self->checkpoint_wanted && !self->checkpoint_quit && !self->reclaim_wanted)
        {
          if (!self->truncate_wanted)
            g_cond_wait (&self->checkpoint_cond, &self->checkpoint_lock);
          else if (!g_cond_wait_until (&self->checkpoint_cond, &self->checkpoint_lock,
                                       g_get_monotonic_time () + G_TIME_SPAN_SECOND))
            break;
        }
      if (self->checkpoint_quit)
        break;
      if (!self->checkpoint_wanted && self->reclaim_wanted)
        continue;
      self->checkpoint_wanted = FALSE;
      truncate = self->truncate_wanted;
      g_mutex_unlock (&self->checkpoint_lock);

      if (db == NULL)
        db = open_db (self->db_path, FALSE, &error);
      if (db == NULL)
        g_warning ("Cannot open the license store to checkpoint it: %s", error->message);
      else
        {
          /* PASSIVE: never waits for, nor blocks, readers and writers. */
          rc = sqlite3_wal_checkpoint_v2 (db, NULL, SQLITE_CHECKPOINT_PASSIVE, &wal_pages, &copied);
          if (rc != SQLITE_OK && rc != SQLITE_BUSY)
            g_warning ("Checkpoint of the license store failed: %s", sqlite3_errmsg (db));
          else
            g_debug ("checkpoint: %d of %d WAL pages in the database", copied, wal_pages);
          /* Once everything is copied, cutting the WAL costs nothing. */
          if (truncate)
            truncated = truncate_wal_now (db) == SQLITE_OK;
        }
      g_mutex_lock (&self->checkpoint_lock);
      if (truncated)
        self->truncate_wanted = FALSE;
      else if (db == NULL)
        self->truncate_wanted = FALSE; /* warned above; no retry loop */
    }
  g_mutex_unlock (&self->checkpoint_lock);
  /* The last connection to close checkpoints whatever is left. */
  g_clear_pointer (&db, sqlite3_close);
  return NULL;
}

static void
request_checkpoint (LbStore *self, gboolean truncate)
{
  g_mutex_lock (&self->checkpoint_lock);
  self->checkpoint_wanted = TRUE;
  self->truncate_wanted |= truncate;
  g_cond_signal (&self->checkpoint_cond);
  g_mutex_unlock (&self->checkpoint_lock);
}

/* Installed instead of SQLite's automatic checkpoint on every connection
 * that writes; called after each commit. */
static int
wal_hook (void *user_data, sqlite3 *db, const char *name, int wal_pages)
{
  LbStore *self = user_data;

  if (wal_pages >= CHECKPOINT_PAGES)
    request_checkpoint (self, FALSE);
  return SQLITE_OK;
}

static guint64
wal_size (LbStore *self)
{
  g_autofree char *path = g_strconcat (self->db_path, "-wal", NULL);
  GStatBuf st;

  return g_stat (path, &st) == 0 ? (guint64) st.st_size : 0;
}

/* After a write on @db rolled back: the WAL holds what it wrote, invalid
 * but taking the disk until the WAL is cut. Cut it now if nothing else
 * uses it, else in the checkpointer's thread. */
static void
shrink_after_rollback (LbStore *self, sqlite3 *db, guint64 wal_before)
{
  if (wal_size (self) <= wal_before)
    return;
  if (truncate_wal_now (db) != SQLITE_OK)
    request_checkpoint (self, TRUE);
}

/* After a commit: a WAL grown past its limit is cut once checkpointed. */
static void
shrink_after_commit (LbStore *self)
{
  if (wal_size (self) > WAL_SIZE_LIMIT)
    request_checkpoint (self, TRUE);
}

/* The blob file */

static char *
blob_path (LbStore *self, gint64 file)
{
  g_autofree char *name = g_strdup_printf ("licenses-%" G_GINT64_FORMAT ".blobs", file);

  return g_build_filename (self->dir, name, NULL);
}

static void
set_blob_error (GError **error, int errsv, const char *what)
{
  LbError code = lb_error_code_from_errno (errsv);

  if (code == LB_ERROR_NO_SPACE)
    g_set_error (error, LB_ERROR, code,
                 _ ("The disk holding the license store is full; free some space and try again"));
  else
    g_set_error (error, LB_ERROR, code, _ ("License store: %s failed: %s (%d)"), what,
                 g_strerror (errsv), errsv);
}

static void
set_damaged (GError **error)
{
  g_set_error (error, LB_ERROR, LB_ERROR_FAILED, _ ("The license store is damaged"));
}

/* Makes a file created or removed in the store's folder durable. */
static gboolean
sync_dir (LbStore *self, GError **error)
{
  int fd = open (self->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int errsv;

  if (fd < 0 || fsync (fd) != 0)
    {
      errsv = errno;
      if (fd >= 0)
        close (fd);
      set_blob_error (error, errsv, "fsync");
      return FALSE;
    }
  close (fd);
  return TRUE;
}

static gboolean
pread_all (int fd, void *buf, gsize len, guint64 offset)
{
  gsize done = 0;

  while (done < len)
    {
      ssize_t n = pread (fd, (char *) buf + done, len - done, (off_t) (offset + done));

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          if (n == 0)
            errno = EIO; /* past the end: the file lost its tail */
          return FALSE;
        }
      done += (gsize) n;
    }
  return TRUE;
}

static gboolean
pwrite_all (int fd, const void *buf, gsize len, guint64 offset)
{
  gsize done = 0;

  while (done < len)
    {
      ssize_t n = pwrite (fd, (const char *) buf + done, len - done, (off_t) (offset + done));

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return FALSE;
      done += (gsize) n;
    }
  return TRUE;
}

/* Reads the blob of a row whose boff is at @col (bsize at @col + 1) from
 * @fd, or the inline blob at @col - 1. */
static GBytes *
read_blob (sqlite3_stmt *stmt, int col, int fd, GError **error)
{
  gint64 off, size;
  guint8 *data;

  if (sqlite3_column_type (stmt, col) == SQLITE_NULL)
    return g_bytes_new (sqlite3_column_blob (stmt, col - 1),
                        (gsize) sqlite3_column_bytes (stmt, col - 1));
  off = sqlite3_column_int64 (stmt, col);
  size = sqlite3_column_int64 (stmt, col + 1);
  if (fd < 0 || off < 0 || size < 0 || size > LB_BLOB_MAX)
    {
      set_damaged (error);
      return NULL;
    }
  data = g_malloc (size > 0 ? (gsize) size : 1);
  if (!pread_all (fd, data, (gsize) size, (guint64) off))
    {
      int errsv = errno;

      g_free (data);
      g_warning ("Cannot read %" G_GINT64_FORMAT " bytes at %" G_GINT64_FORMAT
                 " of the blob file: %s",
                 size, off, g_strerror (errsv));
      set_damaged (error);
      return NULL;
    }
  return g_bytes_new_take (data, (gsize) size);
}

/* The blob file's number, committed length and live bytes, as @db sees
 * them (inside its transaction, if any). */
static gboolean
query_blobs (sqlite3 *db, gint64 *file, gint64 *committed, gint64 *live, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt
      = prepare (db, "SELECT file, committed, live FROM blobs WHERE id = 1", error);

  if (stmt == NULL)
    return FALSE;
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      set_sqlite_error (error, db, sqlite3_errcode (db), "blobs");
      return FALSE;
    }
  *file = sqlite3_column_int64 (stmt, 0);
  *committed = sqlite3_column_int64 (stmt, 1);
  if (live != NULL)
    *live = sqlite3_column_int64 (stmt, 2);
  return TRUE;
}

/* Opens blob file @file for reading. */
static int
open_blob_file (LbStore *self, gint64 file, GError **error)
{
  g_autofree char *path = blob_path (self, file);
  int fd = open (path, O_RDONLY | O_CLOEXEC);

  if (fd < 0)
    {
      int errsv = errno;
      g_warning ("Cannot open the blob file %s: %s", path, g_strerror (errsv));
      set_damaged (error);
    }
  return fd;
}

/* Appends blobs inside a write transaction; one per writer, which holds
 * SQLite's write lock, so the file's end is its alone until commit. */
typedef struct
{
  int fd; /* -1: this write keeps blobs in its rows */
  gint64 file;
  guint64 committed; /* blobs.committed when the transaction began */
  guint64 end;       /* where the next blob goes */
  guint8 *buf;       /* what is not written yet: the bytes before end */
  gsize buf_len;
} BlobWriter;

/* Inside the write transaction of @db: opens the blob file for appending
 * and cuts anything past the last commit (a torn tail, or what a
 * rolled-back write appended). */
static gboolean
blob_writer_begin (LbStore *self, sqlite3 *db, BlobWriter *w, GError **error)
{
  g_autofree char *path = NULL;
  gint64 committed;
  struct stat st;

  if (!query_blobs (db, &w->file, &committed, NULL, error))
    return FALSE;
  path = blob_path (self, w->file);
  w->fd = open (path, O_RDWR | O_CLOEXEC);
  if (w->fd < 0 || fstat (w->fd, &st) != 0)
    {
      set_blob_error (error, errno, "open");
      return FALSE;
    }
  if ((guint64) st.st_size < (guint64) committed)
    {
      g_warning ("The blob file %s is shorter than its last commit", path);
      set_damaged (error);
      return FALSE;
    }
  if ((guint64) st.st_size > (guint64) committed && ftruncate (w->fd, committed) != 0)
    {
      set_blob_error (error, errno, "ftruncate");
      return FALSE;
    }
  w->committed = w->end = (guint64) committed;
  w->buf = g_malloc (BLOB_BUFFER_SIZE);
  return TRUE;
}

static gboolean
blob_writer_flush (BlobWriter *w, GError **error)
{
  guint64 start = w->end - w->buf_len;

  if (w->buf_len == 0)
    return TRUE;
  if (!pwrite_all (w->fd, w->buf, w->buf_len, start))
    {
      set_blob_error (error, errno, "write");
      return FALSE;
    }
  /* Starts the writeback now, so that the commit's sync waits for less. */
  sync_file_range (w->fd, (off_t) start, (off_t) w->buf_len, SYNC_FILE_RANGE_WRITE);
  w->buf_len = 0;
  return TRUE;
}

/* Appends @len bytes; *@offset is where they go. */
static gboolean
blob_writer_append (BlobWriter *w, const void *data, gsize len, guint64 *offset, GError **error)
{
  if (w->buf_len + len > BLOB_BUFFER_SIZE && !blob_writer_flush (w, error))
    return FALSE;
  *offset = w->end;
  if (len > BLOB_BUFFER_SIZE)
    {
      if (!pwrite_all (w->fd, data, len, w->end))
        {
          set_blob_error (error, errno, "write");
          return FALSE;
        }
    }
  else
    {
      memcpy (w->buf + w->buf_len, data, len);
      w->buf_len += len;
    }
  w->end += len;
  return TRUE;
}

/* Before COMMIT: the appended blobs are durable, and the transaction
 * records the file's new committed length. */
static gboolean
blob_writer_prepare_commit (BlobWriter *w, sqlite3 *db, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;

  if (w->fd < 0 || w->end == w->committed)
    return TRUE;
  if (!blob_writer_flush (w, error))
    return FALSE;
  if (fdatasync (w->fd) != 0)
    {
      set_blob_error (error, errno, "fdatasync");
      return FALSE;
    }
  stmt = prepare (db, "UPDATE blobs SET committed = ?1 WHERE id = 1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, (gint64) w->end);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      set_sqlite_error (error, db, sqlite3_errcode (db), "blobs");
      return FALSE;
    }
  return TRUE;
}

/* Before ROLLBACK, while the write lock is still held: gives back what
 * the write appended. */
static void
blob_writer_abort (BlobWriter *w)
{
  if (w->fd >= 0 && w->end > w->committed && ftruncate (w->fd, (off_t) w->committed) != 0)
    g_debug ("Cannot cut the blob file back: %s", g_strerror (errno));
  w->end = w->committed;
  w->buf_len = 0;
}

static void
blob_writer_close (BlobWriter *w)
{
  if (w->fd >= 0)
    close (w->fd);
  w->fd = -1;
  g_clear_pointer (&w->buf, g_free);
}

/* At open, nothing else using the store: the current blob file exists
 * (created empty for a new store), its tail past the last commit, left
 * by a write killed before its COMMIT, is cut, and files of earlier or
 * abandoned reclaims are removed. */
static gboolean blob_file_recover_locked (LbStore *self, GError **error);

static gboolean
blob_file_recover (LbStore *self, GError **error)
{
  gboolean ok;

  /* Under SQLite's write lock, so that no other writer appends meanwhile. */
  if (!exec (self->write_db, "BEGIN IMMEDIATE", error))
    return FALSE;
  ok = blob_file_recover_locked (self, error);
  exec (self->write_db, "ROLLBACK", NULL);
  return ok;
}

static gboolean
blob_file_recover_locked (LbStore *self, GError **error)
{
  g_autofree char *path = NULL;
  g_autoptr (GDir) d = NULL;
  g_autofree char *current = NULL;
  gint64 file, committed;
  const char *name;
  struct stat st;
  int fd;

  if (!query_blobs (self->write_db, &file, &committed, NULL, error))
    return FALSE;
  path = blob_path (self, file);
  fd = open (path, O_RDWR | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT && committed == 0)
    {
      fd = open (path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
      if (fd < 0 || !sync_dir (self, error))
        {
          if (fd < 0)
            set_blob_error (error, errno, "create");
          else
            close (fd);
          return FALSE;
        }
    }
  if (fd < 0 && errno != ENOENT)
    {
      set_blob_error (error, errno, "open");
      return FALSE;
    }
  if (fd < 0)
    {
      g_warning ("The blob file %s is missing", path);
      set_damaged (error);
      return FALSE;
    }
  if (fstat (fd, &st) != 0)
    {
      set_blob_error (error, errno, "fstat");
      close (fd);
      return FALSE;
    }
  if ((guint64) st.st_size < (guint64) committed)
    {
      g_warning ("The blob file %s is shorter than its last commit", path);
      close (fd);
      set_damaged (error);
      return FALSE;
    }
  if ((guint64) st.st_size > (guint64) committed)
    {
      g_debug ("Cutting the blob file's tail past its last commit: %" G_GUINT64_FORMAT " bytes",
               (guint64) st.st_size - (guint64) committed);
      if (ftruncate (fd, committed) != 0 || fdatasync (fd) != 0)
        {
          set_blob_error (error, errno, "ftruncate");
          close (fd);
          return FALSE;
        }
    }
  close (fd);

  current = g_path_get_basename (path);
  d = g_dir_open (self->dir, 0, NULL);
  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    if (g_str_has_prefix (name, "licenses-") && g_str_has_suffix (name, ".blobs")
        && strcmp (name, current) != 0)
      {
        g_autofree char *old = g_build_filename (self->dir, name, NULL);

        g_debug ("Removing %s, left by a reclaim", old);
        g_unlink (old);
      }
  return TRUE;
}

/* Under read_lock: the blob file @file, opened for read_db. */
static int
read_fd_for (LbStore *self, gint64 file, GError **error)
{
  if (self->read_fd >= 0 && self->read_fd_file == file)
    return self->read_fd;
  if (self->read_fd >= 0)
    close (self->read_fd);
  self->read_fd = open_blob_file (self, file, error);
  self->read_fd_file = file;
  return self->read_fd;
}

/* Reclaiming space */

static gboolean check_free_space (LbStore *self, guint64 to_write, GError **error);

typedef enum
{
  RECLAIM_AUTO,  /* more than half dead, and at least RECLAIM_AUTO_MIN_DEAD */
  RECLAIM_CLEAN, /* CleanLicenseStore: an eighth dead */
  RECLAIM_ANY,   /* any dead byte */
} ReclaimPolicy;

static gboolean
reclaim_due (ReclaimPolicy policy, guint64 committed, guint64 live)
{
  guint64 dead = committed > live ? committed - live : 0;

  switch (policy)
    {
    case RECLAIM_AUTO:
      return dead > committed / 2 && dead >= RECLAIM_AUTO_MIN_DEAD;
    case RECLAIM_CLEAN:
      return dead > 0 && dead >= committed / RECLAIM_CLEAN_FRACTION;
    case RECLAIM_ANY:
    default:
      return dead > 0;
    }
}

/* The database file's size and free pages, in bytes. */
static gboolean
query_db_pages (sqlite3 *db, gint64 *size, gint64 *free_bytes, GError **error)
{
  gint64 page_size, pages, free_pages;

  if (!query_int64 (db, "PRAGMA page_size", "page_size", &page_size, error)
      || !query_int64 (db, "PRAGMA page_count", "page_count", &pages, error)
      || !query_int64 (db, "PRAGMA freelist_count", "freelist_count", &free_pages, error))
    return FALSE;
  *size = pages * page_size;
  *free_bytes = free_pages * page_size;
  return TRUE;
}

/* After a commit on @db that may have left dead blobs or free pages (a
 * replace, a delete): wakes the store's thread to reclaim them when more
 * than half of the blob file, or of licenses.db, is dead. */
static void
maybe_reclaim (LbStore *self, sqlite3 *db)
{
  gint64 file, committed, live, size, free_bytes;

  if (!query_blobs (db, &file, &committed, &live, NULL)
      || !query_db_pages (db, &size, &free_bytes, NULL))
    return;
  if (!reclaim_due (RECLAIM_AUTO, (guint64) committed, (guint64) live)
      && !reclaim_due (RECLAIM_AUTO, (guint64) size, (guint64) (size - free_bytes)))
    return;
  g_mutex_lock (&self->checkpoint_lock);
  self->reclaim_wanted = TRUE;
  g_cond_signal (&self->checkpoint_cond);
  g_mutex_unlock (&self->checkpoint_lock);
}

typedef struct
{
  gint64 id;
  gint64 off;
  gint64 size;
} Moved;

/* Copies the next RECLAIM_CHUNK live blobs after row *@last from @old_fd
 * into @w and points their rows at the copies; *@done at the end. */
static gboolean
reclaim_chunk (LbStore *self,
               sqlite3_stmt *select,
               sqlite3_stmt *update,
               int old_fd,
               BlobWriter *w,
               gint64 *last,
               gboolean *done,
               GError **error)
{
  g_autoptr (GArray) moved = g_array_sized_new (FALSE, FALSE, sizeof (Moved), RECLAIM_CHUNK);
  g_autofree guint8 *buf = NULL;
  gsize buf_size = 0;
  int rc;

  sqlite3_bind_int64 (select, 1, *last);
  while ((rc = sqlite3_step (select)) == SQLITE_ROW)
    {
      Moved m = { sqlite3_column_int64 (select, 0), sqlite3_column_int64 (select, 1),
                  sqlite3_column_int64 (select, 2) };

      g_array_append_val (moved, m);
    }
  sqlite3_reset (select);
  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (error, self->write_db, rc, "reclaim");
      return FALSE;
    }
  *done = moved->len < RECLAIM_CHUNK;
  for (guint i = 0; i < moved->len; i++)
    {
      Moved *m = &g_array_index (moved, Moved, i);
      guint64 to;

      if (m->size < 0 || m->size > LB_BLOB_MAX || m->off < 0)
        {
          set_damaged (error);
          return FALSE;
        }
      if ((gsize) m->size > buf_size)
        {
          buf_size = MAX ((gsize) m->size, 64 * 1024);
          g_free (buf);
          buf = g_malloc (buf_size);
        }
      if (!pread_all (old_fd, buf, (gsize) m->size, (guint64) m->off))
        {
          g_warning ("Cannot read a blob of the blob file: %s", g_strerror (errno));
          set_damaged (error);
          return FALSE;
        }
      if (!blob_writer_append (w, buf, (gsize) m->size, &to, error))
        return FALSE;
      sqlite3_bind_int64 (update, 1, m->id);
      sqlite3_bind_int64 (update, 2, (gint64) to);
      rc = sqlite3_step (update);
      sqlite3_reset (update);
      if (rc != SQLITE_DONE)
        {
          set_sqlite_error (error, self->write_db, rc, "reclaim");
          return FALSE;
        }
      *last = m->id;
    }
  return TRUE;
}

/* Holding write_lock: when @policy says so, copies the live blobs into a
 * new blob file and switches to it in one transaction, then removes the
 * old file. Memory stays bounded (a chunk of rows and one buffer); a
 * crash before the COMMIT leaves the old file in use (the new one is
 * removed at the next open), after it the new one (the old one is
 * removed). A snapshot keeps its own descriptor of the file it began on,
 * which the removal does not take from it. A waiting restore makes it
 * give up, to try again after the next write. */
static gboolean
reclaim_locked (LbStore *self, ReclaimPolicy policy, guint64 *freed, GError **error)
{
  g_autoptr (sqlite3_stmt) select = NULL;
  g_autoptr (sqlite3_stmt) update = NULL;
  g_autofree char *old_path = NULL;
  g_autofree char *new_path = NULL;
  BlobWriter w = { .fd = -1 };
  gint64 file, committed, live, last = 0;
  gboolean done = FALSE, ok = FALSE, abandoned = FALSE;
  int old_fd = -1;

  if (freed != NULL)
    *freed = 0;
  if (!exec (self->write_db, "BEGIN IMMEDIATE", error))
    return FALSE;
  if (!query_blobs (self->write_db, &file, &committed, &live, error))
    goto out;
  if (!reclaim_due (policy, (guint64) committed, (guint64) live))
    {
      ok = TRUE;
      goto out;
    }
  /* The copy needs room for the live blobs until the old file goes. */
  if (!check_free_space (self, (guint64) live, error))
    goto out;
  g_debug ("Reclaiming the blob file: %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT " bytes live",
           live, committed);
  old_path = blob_path (self, file);
  new_path = blob_path (self, file + 1);
  old_fd = open_blob_file (self, file, error);
  if (old_fd < 0)
    goto out;
  w.fd = open (new_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (w.fd < 0)
    {
      set_blob_error (error, errno, "create");
      goto out;
    }
  w.file = file + 1;
  w.buf = g_malloc (BLOB_BUFFER_SIZE);
  select = prepare (self->write_db,
                    "SELECT id, boff, bsize FROM licenses WHERE boff IS NOT NULL AND id > ?1"
                    " ORDER BY id LIMIT " G_STRINGIFY (RECLAIM_CHUNK),
                    error);
  update = prepare (self->write_db, "UPDATE licenses SET boff = ?2 WHERE id = ?1", error);
  if (select == NULL || update == NULL)
    goto out;
  while (!done)
    {
      if (!reclaim_chunk (self, select, update, old_fd, &w, &last, &done, error))
        goto out;
      lb_fault_stall ("store-reclaim");
      if (g_atomic_int_get (&self->restores_waiting) > 0)
        {
          g_debug ("Reclaim given up for a restore");
          abandoned = ok = TRUE;
          goto out;
        }
    }
  /* The new file whole and its name durable before the rows point at it. */
  if (!blob_writer_flush (&w, error))
    goto out;
  if (fdatasync (w.fd) != 0)
    {
      set_blob_error (error, errno, "fdatasync");
      goto out;
    }
  if (!sync_dir (self, error))
    goto out;
  g_clear_pointer (&update, sqlite3_finalize);
  update
      = prepare (self->write_db, "UPDATE blobs SET file = ?1, committed = ?2 WHERE id = 1", error);
  if (update == NULL)
    goto out;
  sqlite3_bind_int64 (update, 1, w.file);
  sqlite3_bind_int64 (update, 2, (gint64) w.end);
  if (sqlite3_step (update) != SQLITE_DONE)
    {
      set_sqlite_error (error, self->write_db, sqlite3_errcode (self->write_db), "reclaim");
      goto out;
    }
  g_clear_pointer (&select, sqlite3_finalize);
  g_clear_pointer (&update, sqlite3_finalize);
  lb_fault_point ("reclaim-before-commit");
  /* Readers switch files with the commit: get() reads the row and the
   * file number in one statement, then its blob under this lock. */
  g_mutex_lock (&self->read_lock);
  ok = exec (self->write_db, "COMMIT", error);
  if (ok && self->read_fd >= 0)
    {
      close (self->read_fd);
      self->read_fd = -1;
    }
  g_mutex_unlock (&self->read_lock);
  if (!ok)
    goto out;
  lb_fault_point ("reclaim-after-commit");
  if (g_unlink (old_path) != 0)
    g_debug ("Cannot remove %s: %s", old_path, g_strerror (errno));
  if (freed != NULL)
    *freed = (guint64) committed - w.end;
  g_debug ("Reclaimed %" G_GUINT64_FORMAT " bytes", (guint64) committed - w.end);
  blob_writer_close (&w);
  close (old_fd);
  shrink_after_commit (self);
  return TRUE;

out:
  g_clear_pointer (&select, sqlite3_finalize);
  g_clear_pointer (&update, sqlite3_finalize);
  exec (self->write_db, "ROLLBACK", NULL);
  if (w.fd >= 0 || abandoned)
    g_unlink (new_path);
  blob_writer_close (&w);
  if (old_fd >= 0)
    close (old_fd);
  return ok;
}

/* Under the write lock: gives back licenses.db's free pages (the rows of
 * small writes and of schema 2 deleted or replaced) with VACUUM when
 * @policy finds enough of the file free. VACUUM is one transaction (a crash
 * leaves the file as it was), copies through a temporary file, not memory
 * (temp_store = FILE, the 8 MiB cache), and the file shrinks when the
 * checkpoint after it has copied the whole WAL back. */
static gboolean
vacuum_locked (LbStore *self, ReclaimPolicy policy, guint64 *freed, GError **error)
{
  gint64 size, free_bytes;

  if (freed != NULL)
    *freed = 0;
  /* A restore waiting for the lock goes first, as for the blob file. */
  if (g_atomic_int_get (&self->restores_waiting) > 0)
    return TRUE;
  if (!query_db_pages (self->write_db, &size, &free_bytes, error))
    return FALSE;
  if (!reclaim_due (policy, (guint64) size, (guint64) (size - free_bytes)))
    return TRUE;
  /* The copy goes through a temporary file and then the WAL. */
  if (!check_free_space (self, 2 * (guint64) (size - free_bytes), error))
    return FALSE;
  g_debug ("Vacuuming the license store: %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT " bytes free",
           free_bytes, size);
  if (!exec (self->write_db, DEFAULT_TEMP_STORE "VACUUM", error))
    return FALSE;
  if (freed != NULL)
    *freed = (guint64) free_bytes;
  request_checkpoint (self, TRUE);
  return TRUE;
}

gboolean
lb_store_reclaim (LbStore *self, gboolean only_if_due, guint64 *freed, GError **error)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&self->write_lock);
  ReclaimPolicy policy = only_if_due ? RECLAIM_CLEAN : RECLAIM_ANY;
  guint64 blob_freed = 0, db_freed = 0;

  if (!reclaim_locked (self, policy, &blob_freed, error)
      || !vacuum_locked (self, policy, &db_freed, error))
    return FALSE;
  if (freed != NULL)
    *freed = blob_freed + db_freed;
  return TRUE;
}

/* In the checkpointer's thread. A restore or another writer holding
 * SQLite's lock, or a disk too full for the copy, only postpones it to
 * after the next write that leaves dead blobs. */
static void
reclaim_now (LbStore *self)
{
  g_autoptr (GError) error = NULL;
  gboolean ok;

  g_mutex_lock (&self->write_lock);
  sqlite3_busy_timeout (self->write_db, 0);
  ok = reclaim_locked (self, RECLAIM_AUTO, NULL, &error)
       && vacuum_locked (self, RECLAIM_AUTO, NULL, &error);
  sqlite3_busy_timeout (self->write_db, BUSY_TIMEOUT_MS);
  g_mutex_unlock (&self->write_lock);
  if (!ok
      && (g_error_matches (error, LB_ERROR, LB_ERROR_BUSY)
          || g_error_matches (error, LB_ERROR, LB_ERROR_NO_SPACE)))
    g_debug ("Reclaim postponed: %s", error->message);
  else if (!ok)
    g_warning ("Cannot reclaim the license store's free space: %s", error->message);
}

LbStore *
lb_store_open (const char *dir, const char *machine_app_id, GError **error)
{
  g_autoptr (LbStore) self = g_object_new (LB_TYPE_STORE, NULL);
  gint64 count = 0;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int errsv = errno;
      g_set_error (error, LB_ERROR, lb_error_code_from_errno (errsv),
                   _ ("Cannot create the license store folder %s: %s"), dir, g_strerror (errsv));
      return NULL;
    }
  self->dir = g_strdup (dir);
  self->db_path = g_build_filename (dir, STORE_DB_NAME, NULL);
  self->machine = g_strdup (machine_app_id);

  self->write_db = open_db (self->db_path, FALSE, error);
  if (self->write_db == NULL || !init_schema (self->write_db, error)
      || !blob_file_recover (self, error))
    return NULL;
  /* A WAL left by a crash (an import killed halfway) is cut back now, while
   * nothing else has the store open. */
  truncate_wal_now (self->write_db);
  sqlite3_wal_hook (self->write_db, wal_hook, self);
  self->checkpointer = g_thread_new ("lb-checkpoint", checkpoint_thread, self);
  self->read_db = open_db (self->db_path, TRUE, error);
  if (self->read_db == NULL)
    return NULL;
  if (!query_int64 (self->write_db, "SELECT count(*) FROM licenses", "count", &count, error))
    return NULL;
  g_atomic_int_set (&self->count, (guint) count);
  return g_steal_pointer (&self);
}

const char *
lb_store_get_dir (LbStore *self)
{
  return self->dir;
}

const char *
lb_store_get_machine (LbStore *self)
{
  return self->machine;
}

void
lb_store_set_machine_info_file (LbStore *self, const char *path)
{
  g_free (self->machine_info_file);
  self->machine_info_file = g_strdup (path);
}

const char *
lb_store_get_machine_info_file (LbStore *self)
{
  return self->machine_info_file;
}

void
lb_store_release_memory (LbStore *self)
{
  if (g_mutex_trylock (&self->read_lock))
    {
      sqlite3_db_release_memory (self->read_db);
      g_mutex_unlock (&self->read_lock);
    }
  if (g_mutex_trylock (&self->write_lock))
    {
      sqlite3_db_release_memory (self->write_db);
      g_mutex_unlock (&self->write_lock);
    }
  malloc_trim (0);
}

guint
lb_store_count (LbStore *self)
{
  return (guint) g_atomic_int_get (&self->count);
}

static void
bind_text_or_null (sqlite3_stmt *stmt, int idx, const char *s)
{
  if (s != NULL)
    sqlite3_bind_text (stmt, idx, s, -1, SQLITE_STATIC);
  else
    sqlite3_bind_null (stmt, idx);
}

/* Binds ?1..?15 of an insert or update: ATTR_COLUMNS, digest, blob, boff
 * and bsize; @boff is -1 for a blob kept in the row. */
static void
bind_license (sqlite3_stmt *stmt, const LbRecord *l, const guint8 *digest, gint64 boff)
{
  gsize blob_len;
  gconstpointer blob = g_bytes_get_data (l->blob, &blob_len);

  sqlite3_bind_text (stmt, 1, l->key_id, -1, SQLITE_STATIC);
  bind_text_or_null (stmt, 2, l->attrs.content_id);
  bind_text_or_null (stmt, 3, l->attrs.issuer);
  sqlite3_bind_int (stmt, 4, l->attrs.can_backup ? 1 : 0);
  sqlite3_bind_int64 (stmt, 5, l->attrs.restore_limit);
  sqlite3_bind_int64 (stmt, 6, l->attrs.expires);
  bind_text_or_null (stmt, 7, l->attrs.support_url);
  sqlite3_bind_int64 (stmt, 8, l->attrs.restore_count);
  sqlite3_bind_int64 (stmt, 9, l->attrs.stored);
  bind_text_or_null (stmt, 10, l->attrs.machine);
  sqlite3_bind_text (stmt, 11, l->attrs.app != NULL ? l->attrs.app : "", -1, SQLITE_STATIC);
  sqlite3_bind_blob (stmt, 12, digest, LB_DIGEST_LEN, SQLITE_STATIC);
  if (boff >= 0)
    {
      sqlite3_bind_zeroblob (stmt, 13, 0);
      sqlite3_bind_int64 (stmt, 14, boff);
    }
  else
    {
      sqlite3_bind_blob (stmt, 13, blob, (int) blob_len, SQLITE_STATIC);
      sqlite3_bind_null (stmt, 14);
    }
  sqlite3_bind_int64 (stmt, 15, (gint64) blob_len);
}

static char *
column_strdup (sqlite3_stmt *stmt, int col)
{
  const unsigned char *s = sqlite3_column_text (stmt, col);
  return s != NULL ? g_strdup ((const char *) s) : NULL;
}

/* Reads the attribute columns, which every SELECT here puts first. */
static LbRecord *
license_from_row (sqlite3_stmt *stmt)
{
  LbRecord *l = lb_record_new ((const char *) sqlite3_column_text (stmt, 0), NULL);

  l->attrs.content_id = column_strdup (stmt, 1);
  l->attrs.issuer = column_strdup (stmt, 2);
  l->attrs.can_backup = sqlite3_column_int (stmt, 3) != 0;
  l->attrs.restore_limit = (guint32) sqlite3_column_int64 (stmt, 4);
  l->attrs.expires = sqlite3_column_int64 (stmt, 5);
  l->attrs.support_url = column_strdup (stmt, 6);
  l->attrs.restore_count = (guint32) sqlite3_column_int64 (stmt, 7);
  l->attrs.stored = sqlite3_column_int64 (stmt, 8);
  l->attrs.machine = column_strdup (stmt, 9);
  l->attrs.app = g_strdup (lb_app_id_or_null ((const char *) sqlite3_column_text (stmt, 10)));
  return l;
}

#define INSERT_SQL                      \
  "INSERT INTO licenses (" ATTR_COLUMNS \
  ", digest, blob, boff, bsize) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15)"
#define UPDATE_SQL                                                                             \
  "UPDATE licenses SET content_id=?2, issuer=?3, can_backup=?4, restore_limit=?5, expires=?6," \
  " support_url=?7, restore_count=?8, stored=?9, machine=?10, digest=?12, blob=?13, boff=?14," \
  " bsize=?15 WHERE app=?11 AND key_id=?1"

/* Runs @stmt, the insert or the update, once for @l; @what names it in
 * the error. */
static gboolean
step_license (sqlite3 *db,
              sqlite3_stmt *stmt,
              const LbRecord *l,
              const guint8 *digest,
              gint64 boff,
              const char *what,
              GError **error)
{
  int rc;

  bind_license (stmt, l, digest, boff);
  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (error, db, rc, what);
      return FALSE;
    }
  return TRUE;
}

/* Appends @l's blob to @w's file, when @w has one; *@boff is where it
 * went, or -1 (the blob goes in the row). */
static gboolean
append_blob (BlobWriter *w, const LbRecord *l, gint64 *boff, GError **error)
{
  gsize len;
  gconstpointer data = g_bytes_get_data (l->blob, &len);
  guint64 off;

  *boff = -1;
  if (w->fd < 0)
    return TRUE;
  if (!blob_writer_append (w, data, len, &off, error))
    return FALSE;
  *boff = (gint64) off;
  return TRUE;
}

/* Writes one license, whose digest is @digest, on @db inside an open
 * transaction; *@added is set when it was new. */
static gboolean
write_one (sqlite3 *db,
           sqlite3_stmt *insert,
           sqlite3_stmt *update,
           BlobWriter *w,
           const LbRecord *l,
           const guint8 *digest,
           gboolean *added,
           GError **error)
{
  gint64 boff;

  if (!append_blob (w, l, &boff, error))
    return FALSE;
  /* Try the update first: replacing is as common as adding, and it tells
   * us whether the key existed without a separate lookup. */
  if (!step_license (db, update, l, digest, boff, "update", error))
    return FALSE;
  *added = sqlite3_changes (db) == 0;
  return !*added || step_license (db, insert, l, digest, boff, "insert", error);
}

void
lb_store_set_app_limits (LbStore *self, guint64 max_licenses, guint64 max_bytes)
{
  self->app_max_licenses = max_licenses;
  self->app_max_bytes = max_bytes;
}

/* An app's name in messages. */
static const char *
app_display_name (const char *app)
{
  return app[0] != '\0' ? app : _ ("host programs");
}

#define LIMITS_SQL "SELECT licenses, bytes FROM apps WHERE app = ?1"

/* Inside a write transaction, after each license it adds: NO_SPACE when
 * @app is over its limits. @stmt is LIMITS_SQL on @db: a primary-key read
 * of the apps table, which triggers keep exact. */
static gboolean
check_app_limits (LbStore *self, sqlite3 *db, sqlite3_stmt *stmt, const char *app, GError **error)
{
  guint64 licenses, bytes;
  int rc;

  sqlite3_bind_text (stmt, 1, app, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    {
      sqlite3_reset (stmt);
      if (rc == SQLITE_DONE)
        return TRUE;
      set_sqlite_error (error, db, rc, "limits");
      return FALSE;
    }
  licenses = (guint64) sqlite3_column_int64 (stmt, 0);
  bytes = (guint64) sqlite3_column_int64 (stmt, 1);
  sqlite3_reset (stmt);
  if (licenses <= self->app_max_licenses && bytes <= self->app_max_bytes)
    return TRUE;
  /* The moment the store holds the most a refused write wrote. */
  lb_fault_point ("store-over-limit");
  if (licenses > self->app_max_licenses)
    {
      g_set_error (
          error, LB_ERROR, LB_ERROR_NO_SPACE,
          g_dngettext (GETTEXT_PACKAGE,
                       "The licenses of %s would number %" PRIu64 ", over the limit of %" PRIu64
                       " license an app may keep; delete licenses it no longer needs. "
                       "Nothing was stored",
                       "The licenses of %s would number %" PRIu64 ", over the limit of %" PRIu64
                       " licenses an app may keep; delete licenses it no longer needs. "
                       "Nothing was stored",
                       (gulong) self->app_max_licenses),
          app_display_name (app), licenses, self->app_max_licenses);
      return FALSE;
    }
  {
    g_autofree char *limit = g_format_size_full (self->app_max_bytes, G_FORMAT_SIZE_IEC_UNITS);

    g_set_error (error, LB_ERROR, LB_ERROR_NO_SPACE,
                 _ ("The licenses of %s would take more than %s, the limit of what an app "
                    "may keep; delete licenses it no longer needs. Nothing was stored"),
                 app_display_name (app), limit);
  }
  return FALSE;
}

/* NO_SPACE when writing @to_write more bytes would leave less than the
 * floor free on the store's file system. */
static gboolean
check_free_space (LbStore *self, guint64 to_write, GError **error)
{
  struct statvfs st;
  guint64 avail, floor;
  g_autofree char *free_text = NULL;

  /* Cannot tell: the write itself fails cleanly if the disk is full. */
  if (statvfs (self->dir, &st) != 0)
    return TRUE;
  avail = (guint64) st.f_bavail * st.f_frsize;
  floor = MIN ((guint64) st.f_blocks * st.f_frsize / 100 * FREE_FLOOR_PERCENT, FREE_FLOOR_MAX);
  if (avail >= floor && avail - floor >= to_write)
    return TRUE;
  free_text = g_format_size_full (avail, G_FORMAT_SIZE_IEC_UNITS);
  g_set_error (error, LB_ERROR, LB_ERROR_NO_SPACE,
               _ ("The disk holding the license store is nearly full (%s free); free some "
                  "space. Nothing was stored"),
               free_text);
  return FALSE;
}

/* What a bulk write has written, for its free-space checks. */
typedef struct
{
  guint64 expected; /* what it said it would write */
  guint64 written;
  guint64 checked_at; /* @written at the last check */
  gboolean checked;
} SpaceWatch;

/* Checks the free space at the first license of @watch and again each
 * FREE_CHECK_EVERY bytes. */
static gboolean
space_watch_add (LbStore *self, SpaceWatch *watch, gsize bytes, GError **error)
{
  watch->written += bytes;
  if (watch->checked && watch->written - watch->checked_at < FREE_CHECK_EVERY)
    return TRUE;
  watch->checked = TRUE;
  watch->checked_at = watch->written;
  return check_free_space (
      self, watch->expected > watch->written ? watch->expected - watch->written : 0, error);
}

static void
set_busy_restoring (GError **error)
{
  g_set_error (error, LB_ERROR, LB_ERROR_BUSY,
               _ ("The user is restoring licenses, which goes first; try again in a moment. "
                  "Nothing was stored"));
}

struct _LbStoreBatch
{
  LbStore *store;
  char *app;
  sqlite3_stmt *insert;
  sqlite3_stmt *update;
  sqlite3_stmt *limits;
  gint64 now;
  guint added;
  guint written;
  SpaceWatch space;
  guint64 wal_before;
  BlobWriter blobs;
  gboolean open;
};

LbStoreBatch *
lb_store_batch_begin (LbStore *self, const char *app, guint64 expected_bytes, GError **error)
{
  g_autoptr (LbStoreBatch) batch = g_new0 (LbStoreBatch, 1);

  /* Held until the batch is freed: one writer at a time. */
  g_mutex_lock (&self->write_lock);
  batch->blobs.fd = -1;
  batch->store = g_object_ref (self);
  batch->app = g_strdup (app);
  batch->now = g_get_real_time () / G_USEC_PER_SEC;
  batch->space.expected = expected_bytes;
  if (g_atomic_int_get (&self->restores_waiting) > 0)
    {
      set_busy_restoring (error);
      return NULL;
    }
  if (!check_free_space (self, expected_bytes, error))
    return NULL;
  batch->wal_before = wal_size (self);
  batch->insert = prepare (self->write_db, INSERT_SQL, error);
  batch->update = prepare (self->write_db, UPDATE_SQL, error);
  batch->limits = prepare (self->write_db, LIMITS_SQL, error);
  if (batch->insert == NULL || batch->update == NULL || batch->limits == NULL
      || !exec (self->write_db, BULK_TEMP_STORE "BEGIN IMMEDIATE", error))
    return NULL;
  batch->open = TRUE;
  /* A bulk write appends its blobs to the blob file: written once. */
  if (expected_bytes >= BLOB_FILE_MIN_BYTES
      && !blob_writer_begin (self, self->write_db, &batch->blobs, error))
    return NULL;
  return g_steal_pointer (&batch);
}

void
lb_store_batch_prepare (LbStoreBatch *batch, LbRecord *l, guint8 digest[LB_DIGEST_LEN])
{
  l->attrs.stored = batch->now;
  l->attrs.restore_count = 0;
  g_free (l->attrs.machine);
  l->attrs.machine = g_strdup (batch->store->machine);
  g_free (l->attrs.app);
  l->attrs.app = g_strdup (lb_app_id_or_null (batch->app));
  lb_record_digest (l, NULL, digest);
}

gboolean
lb_store_batch_add (LbStoreBatch *batch, LbRecord *l, GError **error)
{
  guint8 digest[LB_DIGEST_LEN];

  lb_store_batch_prepare (batch, l, digest);
  return lb_store_batch_add_prepared (batch, l, digest, error);
}

gboolean
lb_store_batch_add_prepared (LbStoreBatch *batch,
                             const LbRecord *l,
                             const guint8 *digest,
                             GError **error)
{
  LbStore *self = batch->store;
  gboolean was_added;

  g_return_val_if_fail (batch->open, FALSE);
  /* A waiting restore waits at most for one license and the rollback. */
  if (g_atomic_int_get (&self->restores_waiting) > 0)
    {
      set_busy_restoring (error);
      return FALSE;
    }
  /* Where a test slows a bulk write down to change the disk under it. */
  lb_fault_stall ("store-batch-add");
  if (!write_one (self->write_db, batch->insert, batch->update, &batch->blobs, l, digest,
                  &was_added, error))
    return FALSE;
  batch->added += was_added ? 1 : 0;
  batch->written++;
  return check_app_limits (self, self->write_db, batch->limits, batch->app, error)
         && space_watch_add (self, &batch->space, g_bytes_get_size (l->blob), error);
}

gboolean
lb_store_batch_commit (LbStoreBatch *batch, GError **error)
{
  LbStore *self = batch->store;

  g_return_val_if_fail (batch->open, FALSE);
  if (batch->written > 0 && !exec (self->write_db, BUMP_CHANGES, error))
    return FALSE;
  if (!blob_writer_prepare_commit (&batch->blobs, self->write_db, error))
    return FALSE;
  lb_fault_point ("store-before-commit");
  if (!exec (self->write_db, "COMMIT", error))
    return FALSE;
  batch->open = FALSE;
  lb_fault_point ("store-after-commit");
  g_atomic_int_add (&self->count, (int) batch->added);
  shrink_after_commit (self);
  maybe_reclaim (self, self->write_db);
  return TRUE;
}

void
lb_store_batch_free (LbStoreBatch *batch)
{
  LbStore *self;

  if (batch == NULL)
    return;
  self = batch->store;
  if (self != NULL)
    {
      g_clear_pointer (&batch->insert, sqlite3_finalize);
      g_clear_pointer (&batch->update, sqlite3_finalize);
      g_clear_pointer (&batch->limits, sqlite3_finalize);
      if (batch->open)
        {
          blob_writer_abort (&batch->blobs);
          exec (self->write_db, "ROLLBACK", NULL);
          shrink_after_rollback (self, self->write_db, batch->wal_before);
        }
      blob_writer_close (&batch->blobs);
      exec (self->write_db, DEFAULT_TEMP_STORE, NULL);
      g_mutex_unlock (&self->write_lock);
      g_object_unref (self);
    }
  g_free (batch->app);
  g_free (batch);
}

gboolean
lb_store_put (
    LbStore *self, const char *app, LbRecord *const *licenses, guint n_licenses, GError **error)
{
  g_autoptr (LbStoreBatch) batch = NULL;
  guint64 expected = 0;

  for (guint i = 0; i < n_licenses; i++)
    expected += g_bytes_get_size (licenses[i]->blob);
  batch = lb_store_batch_begin (self, app, expected, error);
  if (batch == NULL)
    return FALSE;
  for (guint i = 0; i < n_licenses; i++)
    if (!lb_store_batch_add (batch, licenses[i], error))
      return FALSE;
  return lb_store_batch_commit (batch, error);
}

static void
set_not_found (GError **error, const char *key_id)
{
  g_autofree char *quoted = lb_key_id_quote (key_id);

  g_set_error (error, LB_ERROR, LB_ERROR_NOT_FOUND,
               _ ("No license has the key id “%s”; ListLicenses shows the stored ones"), quoted);
}

LbRecord *
lb_store_get (LbStore *self, const char *app, const char *key_id, GError **error)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&self->read_lock);
  g_autoptr (sqlite3_stmt) stmt = NULL;
  LbRecord *l;
  int fd, rc;

  /* One statement, one read transaction: the row and the blob file it
   * points into agree. */
  stmt
      = prepare (self->read_db,
                 "SELECT " ATTR_COLUMNS ", blob, boff, bsize, (SELECT file FROM blobs WHERE id = 1)"
                 " FROM licenses WHERE app = ?1 AND key_id = ?2",
                 error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, app, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, key_id, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    {
      set_not_found (error, key_id);
      return NULL;
    }
  if (rc != SQLITE_ROW)
    {
      set_sqlite_error (error, self->read_db, rc, "get");
      return NULL;
    }
  l = license_from_row (stmt);
  fd = -1;
  if (sqlite3_column_type (stmt, COL_AFTER_ATTRS + 1) != SQLITE_NULL)
    {
      fd = read_fd_for (self, sqlite3_column_int64 (stmt, COL_AFTER_ATTRS + 3), error);
      if (fd < 0)
        {
          lb_record_free (l);
          return NULL;
        }
    }
  l->blob = read_blob (stmt, COL_AFTER_ATTRS + 1, fd, error);
  if (l->blob == NULL)
    {
      lb_record_free (l);
      return NULL;
    }
  return l;
}

gboolean
lb_store_delete (LbStore *self, const char *app, const char *key_id, GError **error)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&self->write_lock);
  g_autoptr (sqlite3_stmt) stmt = NULL;
  int rc;

  stmt = prepare (self->write_db, "DELETE FROM licenses WHERE app = ?1 AND key_id = ?2", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, app, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, key_id, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (error, self->write_db, rc, "delete");
      return FALSE;
    }
  if (sqlite3_changes (self->write_db) == 0)
    {
      set_not_found (error, key_id);
      return FALSE;
    }
  g_atomic_int_add (&self->count, -1);
  maybe_reclaim (self, self->write_db);
  return TRUE;
}

GPtrArray *
lb_store_list (LbStore *self,
               const char *app,
               const char *after_app,
               const char *after_key,
               guint limit,
               char **next_app,
               char **next_key,
               GError **error)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&self->read_lock);
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autoptr (GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) lb_record_free);
  int rc;

  /* One row more than asked tells whether another page follows. Either
   * form walks the (app, key_id) index. */
  if (app != NULL)
    stmt = prepare (self->read_db,
                    "SELECT " ATTR_COLUMNS " FROM licenses WHERE app = ?1 AND key_id > ?2"
                    " ORDER BY app, key_id LIMIT ?3",
                    error);
  else
    stmt = prepare (self->read_db,
                    "SELECT " ATTR_COLUMNS " FROM licenses WHERE (app, key_id) > (?1, ?2)"
                    " ORDER BY app, key_id LIMIT ?3",
                    error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, app != NULL ? app : after_app, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, after_key, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 3, (gint64) limit + 1);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      if (out->len == limit)
        break;
      g_ptr_array_add (out, license_from_row (stmt));
    }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    {
      set_sqlite_error (error, self->read_db, rc, "list");
      return NULL;
    }
  if (rc == SQLITE_ROW && out->len > 0)
    {
      LbRecord *last = out->pdata[out->len - 1];

      *next_app = g_strdup (last->attrs.app != NULL ? last->attrs.app : "");
      *next_key = g_strdup (last->key_id);
    }
  else
    {
      *next_app = g_strdup ("");
      *next_key = g_strdup ("");
    }
  return g_steal_pointer (&out);
}

void
lb_store_app_free (LbStoreApp *app)
{
  g_free (app->app);
  g_free (app);
}

GPtrArray *
lb_store_list_apps (LbStore *self, GError **error)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&self->read_lock);
  g_autoptr (sqlite3_stmt) stmt = NULL;
  g_autoptr (GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) lb_store_app_free);
  int rc;

  stmt = prepare (self->read_db,
                  "SELECT app, licenses, bytes FROM apps WHERE licenses > 0 ORDER BY app", error);
  if (stmt == NULL)
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      LbStoreApp *a = g_new0 (LbStoreApp, 1);

      a->app = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
      a->licenses = (guint64) sqlite3_column_int64 (stmt, 1);
      a->bytes = (guint64) sqlite3_column_int64 (stmt, 2);
      g_ptr_array_add (out, a);
    }
  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (error, self->read_db, rc, "list apps");
      return NULL;
    }
  return g_steal_pointer (&out);
}

gboolean
lb_store_clean_expired (LbStore *self, const char *app, gint64 now, guint *removed, GError **error)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&self->write_lock);
  g_autoptr (sqlite3_stmt) stmt = NULL;
  int rc;

  stmt = prepare (self->write_db,
                  app != NULL
                      ? "DELETE FROM licenses WHERE expires != 0 AND expires <= ?1 AND app = ?2"
                      : "DELETE FROM licenses WHERE expires != 0 AND expires <= ?1",
                  error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, now);
  if (app != NULL)
    sqlite3_bind_text (stmt, 2, app, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (error, self->write_db, rc, "clean");
      return FALSE;
    }
  *removed = (guint) sqlite3_changes (self->write_db);
  g_atomic_int_add (&self->count, -(int) *removed);
  return TRUE;
}

static gboolean
read_changes (sqlite3 *db, guint64 *changes, GError **error)
{
  gint64 n;

  if (!query_int64 (db, "SELECT n FROM changes WHERE id = 1", "changes", &n, error))
    return FALSE;
  *changes = (guint64) n;
  return TRUE;
}

gboolean
lb_store_get_changes (LbStore *self, guint64 *changes, GError **error)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&self->read_lock);

  return read_changes (self->read_db, changes, error);
}

/* Snapshots */

struct _LbStoreSnapshot
{
  sqlite3 *db;
  int fd; /* the blob file of its moment, kept even if a reclaim removes it */
};

LbStoreSnapshot *
lb_store_snapshot_new (LbStore *self, GError **error)
{
  g_autoptr (LbStoreSnapshot) snap = g_new0 (LbStoreSnapshot, 1);
  g_autoptr (GMutexLocker) locker = NULL;
  gint64 file, committed;

  snap->fd = -1;
  snap->db = open_db (self->db_path, TRUE, error);
  if (snap->db == NULL)
    return NULL;
  /* A read transaction pins the WAL snapshot at its first read; the blob
   * file it names is opened before a reclaim can switch files and remove
   * it (both under read_lock). */
  locker = g_mutex_locker_new (&self->read_lock);
  if (!exec (snap->db, "BEGIN DEFERRED", error)
      || !query_blobs (snap->db, &file, &committed, NULL, error))
    return NULL;
  snap->fd = open_blob_file (self, file, error);
  if (snap->fd < 0)
    return NULL;
  return g_steal_pointer (&snap);
}

gboolean
lb_store_snapshot_get_changes (LbStoreSnapshot *snap, guint64 *changes, GError **error)
{
  return read_changes (snap->db, changes, error);
}

void
lb_store_snapshot_free (LbStoreSnapshot *snap)
{
  if (snap == NULL)
    return;
  if (snap->db != NULL)
    {
      exec (snap->db, "ROLLBACK", NULL);
      sqlite3_close (snap->db);
    }
  if (snap->fd >= 0)
    close (snap->fd);
  g_free (snap);
}

#define ELIGIBLE_WHERE " WHERE can_backup != 0 AND (expires = 0 OR expires > ?1)"
#define RESTRICTED_WHERE " WHERE NOT (can_backup != 0 AND (expires = 0 OR expires > ?1))"

gboolean
lb_store_snapshot_count (
    LbStoreSnapshot *snap, LbSnapshotSet set, gint64 now, guint64 *count, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  gint64 n;

  stmt = prepare (snap->db,
                  set == LB_SNAPSHOT_ELIGIBLE ? "SELECT count(*) FROM licenses" ELIGIBLE_WHERE
                                              : "SELECT count(*) FROM licenses" RESTRICTED_WHERE,
                  error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, now);
  if (!step_int64 (snap->db, stmt, "count", &n, error))
    return FALSE;
  *count = (guint64) n;
  return TRUE;
}

struct _LbSnapshotCursor
{
  LbStoreSnapshot *snap;
  LbSnapshotSet set;
  sqlite3_stmt *stmt;
  gboolean done;
};

LbSnapshotCursor *
lb_snapshot_cursor_new (LbStoreSnapshot *snap, LbSnapshotSet set, gint64 now, GError **error)
{
  g_autoptr (LbSnapshotCursor) c = g_new0 (LbSnapshotCursor, 1);

  c->snap = snap;
  c->set = set;
  c->stmt = prepare (snap->db,
                     set == LB_SNAPSHOT_ELIGIBLE
                         ? "SELECT " ATTR_COLUMNS
                           ", digest, blob, boff, bsize FROM licenses" ELIGIBLE_WHERE
                           " ORDER BY app, key_id"
                         : "SELECT key_id, can_backup, expires, app FROM licenses" RESTRICTED_WHERE
                           " ORDER BY app, key_id",
                     error);
  if (c->stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (c->stmt, 1, now);
  return g_steal_pointer (&c);
}

gboolean
lb_snapshot_cursor_next (LbSnapshotCursor *c,
                         LbRecord **license,
                         const guint8 **digest,
                         GError **error)
{
  g_autoptr (LbRecord) l = NULL;
  int rc;

  *license = NULL;
  *digest = NULL;
  if (c->done)
    return TRUE;
  rc = sqlite3_step (c->stmt);
  if (rc != SQLITE_ROW)
    {
      c->done = TRUE;
      if (rc == SQLITE_DONE)
        return TRUE;
      set_sqlite_error (error, c->snap->db, rc, "read");
      return FALSE;
    }
  if (c->set == LB_SNAPSHOT_RESTRICTED)
    {
      l = lb_record_new ((const char *) sqlite3_column_text (c->stmt, 0), NULL);
      l->attrs.can_backup = sqlite3_column_int (c->stmt, 1) != 0;
      l->attrs.expires = sqlite3_column_int64 (c->stmt, 2);
      l->attrs.app = g_strdup (lb_app_id_or_null ((const char *) sqlite3_column_text (c->stmt, 3)));
    }
  else
    {
      l = license_from_row (c->stmt);
      if (sqlite3_column_bytes (c->stmt, COL_AFTER_ATTRS) != LB_DIGEST_LEN)
        {
          g_warning ("The license “%s” of app “%s” has no valid digest", l->key_id,
                     l->attrs.app != NULL ? l->attrs.app : "");
          g_set_error (error, LB_ERROR, LB_ERROR_FAILED, _ ("The license store is damaged"));
          c->done = TRUE;
          return FALSE;
        }
      l->blob = read_blob (c->stmt, COL_AFTER_ATTRS + 2, c->snap->fd, error);
      if (l->blob == NULL)
        {
          c->done = TRUE;
          return FALSE;
        }
      *digest = sqlite3_column_blob (c->stmt, COL_AFTER_ATTRS);
    }
  *license = g_steal_pointer (&l);
  return TRUE;
}

void
lb_snapshot_cursor_free (LbSnapshotCursor *c)
{
  if (c == NULL)
    return;
  g_clear_pointer (&c->stmt, sqlite3_finalize);
  g_free (c);
}

gboolean
lb_store_snapshot_foreach (LbStoreSnapshot *snap,
                           LbSnapshotSet set,
                           gint64 now,
                           LbSnapshotFunc func,
                           gpointer user_data,
                           GError **error)
{
  g_autoptr (LbSnapshotCursor) c = lb_snapshot_cursor_new (snap, set, now, error);

  if (c == NULL)
    return FALSE;
  for (;;)
    {
      g_autoptr (LbRecord) l = NULL;
      const guint8 *digest;

      if (!lb_snapshot_cursor_next (c, &l, &digest, error))
        return FALSE;
      if (l == NULL)
        return TRUE;
      if (!func (l, digest, user_data, error))
        return FALSE;
    }
}

gboolean
lb_store_snapshot_foreach_digest (
    LbStoreSnapshot *snap, gint64 now, LbDigestFunc func, gpointer user_data, GError **error)
{
  g_autoptr (sqlite3_stmt) stmt = NULL;
  int rc;

  stmt = prepare (snap->db, "SELECT digest FROM licenses" ELIGIBLE_WHERE " ORDER BY app, key_id",
                  error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, now);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      if (sqlite3_column_bytes (stmt, 0) != LB_DIGEST_LEN)
        {
          g_set_error (error, LB_ERROR, LB_ERROR_FAILED, _ ("The license store is damaged"));
          return FALSE;
        }
      if (!func (sqlite3_column_blob (stmt, 0), user_data, error))
        return FALSE;
    }
  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (error, snap->db, rc, "read");
      return FALSE;
    }
  return TRUE;
}

/* Restore transactions */

struct _LbStoreTxn
{
  LbStore *store;
  sqlite3 *db;
  sqlite3_stmt *contains;
  sqlite3_stmt *insert;
  sqlite3_stmt *limits;
  guint added;
  SpaceWatch space;
  guint64 wal_before;
  BlobWriter blobs;
  gboolean open;
};

LbStoreTxn *
lb_store_txn_begin (LbStore *self, GError **error)
{
  g_autoptr (LbStoreTxn) txn = g_new0 (LbStoreTxn, 1);
  gboolean begun;

  txn->blobs.fd = -1;
  txn->store = g_object_ref (self);
  txn->db = open_db (self->db_path, FALSE, error);
  if (txn->db == NULL)
    return NULL;
  sqlite3_wal_hook (txn->db, wal_hook, self);
  txn->contains = prepare (txn->db, "SELECT 1 FROM licenses WHERE app = ?1 AND key_id = ?2", error);
  if (txn->contains == NULL)
    return NULL;
  txn->insert = prepare (txn->db, INSERT_SQL, error);
  if (txn->insert == NULL)
    return NULL;
  txn->limits = prepare (txn->db, LIMITS_SQL, error);
  if (txn->limits == NULL)
    return NULL;
  txn->wal_before = wal_size (self);
  /* Said before waiting: a batch holding the lock gives it up. */
  g_atomic_int_inc (&self->restores_waiting);
  begun = exec (txn->db, BULK_TEMP_STORE "BEGIN IMMEDIATE", error);
  g_atomic_int_add (&self->restores_waiting, -1);
  if (!begun)
    return NULL;
  txn->open = TRUE;
  /* A restore appends its blobs to the blob file: written once. */
  if (!blob_writer_begin (self, txn->db, &txn->blobs, error))
    return NULL;
  return g_steal_pointer (&txn);
}

gboolean
lb_store_txn_contains (
    LbStoreTxn *txn, const char *app, const char *key_id, gboolean *contains, GError **error)
{
  int rc;

  sqlite3_bind_text (txn->contains, 1, app, -1, SQLITE_STATIC);
  sqlite3_bind_text (txn->contains, 2, key_id, -1, SQLITE_STATIC);
  rc = sqlite3_step (txn->contains);
  sqlite3_reset (txn->contains);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    {
      set_sqlite_error (error, txn->db, rc, "lookup");
      return FALSE;
    }
  *contains = rc == SQLITE_ROW;
  return TRUE;
}

gboolean
lb_store_txn_insert (LbStoreTxn *txn, const LbRecord *license, const guint8 *digest, GError **error)
{
  guint8 computed[LB_DIGEST_LEN];
  gint64 boff;
  int rc;

  if (digest == NULL)
    {
      lb_record_digest (license, NULL, computed);
      digest = computed;
    }
  if (!append_blob (&txn->blobs, license, &boff, error))
    return FALSE;
  bind_license (txn->insert, license, digest, boff);
  rc = sqlite3_step (txn->insert);
  sqlite3_reset (txn->insert);
  sqlite3_clear_bindings (txn->insert);
  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (error, txn->db, rc, "insert");
      return FALSE;
    }
  txn->added++;
  /* A restore is held to the apps' limits and the free-space floor too;
   * it cannot tell its size in advance (the backup is compressed). */
  return check_app_limits (txn->store, txn->db, txn->limits,
                           license->attrs.app != NULL ? license->attrs.app : "", error)
         && space_watch_add (txn->store, &txn->space, g_bytes_get_size (license->blob), error);
}

gboolean
lb_store_txn_commit (LbStoreTxn *txn, GError **error)
{
  g_return_val_if_fail (txn->open, FALSE);

  if (txn->added > 0 && !exec (txn->db, BUMP_CHANGES, error))
    return FALSE;
  if (!blob_writer_prepare_commit (&txn->blobs, txn->db, error))
    return FALSE;
  lb_fault_point ("restore-before-commit");
  if (!exec (txn->db, "COMMIT", error))
    return FALSE;
  /* Durable from here, in the WAL, though not yet checkpointed. */
  lb_fault_point ("restore-after-commit");
  txn->open = FALSE;
  g_atomic_int_add (&txn->store->count, (int) txn->added);
  shrink_after_commit (txn->store);
  return TRUE;
}

void
lb_store_txn_free (LbStoreTxn *txn)
{
  if (txn == NULL)
    return;
  g_clear_pointer (&txn->contains, sqlite3_finalize);
  g_clear_pointer (&txn->insert, sqlite3_finalize);
  g_clear_pointer (&txn->limits, sqlite3_finalize);
  if (txn->open)
    {
      blob_writer_abort (&txn->blobs);
      exec (txn->db, "ROLLBACK", NULL);
      shrink_after_rollback (txn->store, txn->db, txn->wal_before);
    }
  blob_writer_close (&txn->blobs);
  g_clear_pointer (&txn->db, sqlite3_close);
  g_clear_object (&txn->store);
  g_free (txn);
}

static void
lb_store_finalize (GObject *object)
{
  LbStore *self = LB_STORE (object);

  if (self->checkpointer != NULL)
    {
      g_mutex_lock (&self->checkpoint_lock);
      self->checkpoint_quit = TRUE;
      g_cond_signal (&self->checkpoint_cond);
      g_mutex_unlock (&self->checkpoint_lock);
      g_thread_join (self->checkpointer);
    }
  /* The writing connection last: closing the last connection checkpoints
   * and removes the WAL, which a read-only one cannot do, and a WAL left
   * behind is read whole at the next start. */
  g_clear_pointer (&self->read_db, sqlite3_close);
  g_clear_pointer (&self->write_db, sqlite3_close);
  if (self->read_fd >= 0)
    close (self->read_fd);
  g_mutex_clear (&self->write_lock);
  g_mutex_clear (&self->read_lock);
  g_mutex_clear (&self->checkpoint_lock);
  g_cond_clear (&self->checkpoint_cond);
  g_free (self->dir);
  g_free (self->db_path);
  g_free (self->machine);
  g_free (self->machine_info_file);
  G_OBJECT_CLASS (lb_store_parent_class)->finalize (object);
}

static void
lb_store_class_init (LbStoreClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = lb_store_finalize;
  /* No global statistics of SQLite's memory: they take a process-wide
   * mutex on every allocation, 7% of a restore's writer. Only possible
   * before SQLite initialises (SQLITE_MISUSE after, harmless). */
  sqlite3_config (SQLITE_CONFIG_MEMSTATUS, 0);
}

static void
lb_store_init (LbStore *self)
{
  self->app_max_licenses = LB_APP_MAX_LICENSES_DEFAULT;
  self->app_max_bytes = LB_APP_MAX_BYTES_DEFAULT;
  self->read_fd = -1;
  g_mutex_init (&self->write_lock);
  g_mutex_init (&self->read_lock);
  g_mutex_init (&self->checkpoint_lock);
  g_cond_init (&self->checkpoint_cond);
}

/* Group commit */

#define DELETE_SQL "DELETE FROM licenses WHERE app = ?1 AND key_id = ?2"

typedef struct
{
  sqlite3_stmt *insert;
  sqlite3_stmt *update;
  sqlite3_stmt *limits;
  sqlite3_stmt *delete;
  gint64 now;
  int added; /* licenses added less those deleted, of the ops kept */
  gboolean wrote;
} GroupWrite;

static void
group_write_clear (GroupWrite *g)
{
  g_clear_pointer (&g->insert, sqlite3_finalize);
  g_clear_pointer (&g->update, sqlite3_finalize);
  g_clear_pointer (&g->limits, sqlite3_finalize);
  g_clear_pointer (&g->delete, sqlite3_finalize);
}

/* One op of a group inside its savepoint; *@delta is what it did to the
 * count. As lb_store_batch_add() and lb_store_delete() do. */
static gboolean
group_write_one (LbStore *self, GroupWrite *g, LbStoreGroupOp *op, int *delta, GError **error)
{
  LbRecord *l = op->license;
  /* Single writes keep their blobs in their rows: one sync, not two. */
  BlobWriter inline_blobs = { .fd = -1 };
  guint8 digest[LB_DIGEST_LEN];
  gboolean was_added;
  int rc;

  if (l == NULL)
    {
      sqlite3_bind_text (g->delete, 1, op->app, -1, SQLITE_STATIC);
      sqlite3_bind_text (g->delete, 2, op->key_id, -1, SQLITE_STATIC);
      rc = sqlite3_step (g->delete);
      sqlite3_reset (g->delete);
      sqlite3_clear_bindings (g->delete);
      if (rc != SQLITE_DONE)
        {
          set_sqlite_error (error, self->write_db, rc, "delete");
          return FALSE;
        }
      if (sqlite3_changes (self->write_db) == 0)
        {
          set_not_found (error, op->key_id);
          return FALSE;
        }
      *delta = -1;
      return TRUE;
    }
  if (g_atomic_int_get (&self->restores_waiting) > 0)
    {
      set_busy_restoring (error);
      return FALSE;
    }
  if (!check_free_space (self, g_bytes_get_size (l->blob), error))
    return FALSE;
  l->attrs.stored = g->now;
  l->attrs.restore_count = 0;
  g_free (l->attrs.machine);
  l->attrs.machine = g_strdup (self->machine);
  g_free (l->attrs.app);
  l->attrs.app = g_strdup (lb_app_id_or_null (op->app));
  lb_record_digest (l, NULL, digest);
  if (!write_one (self->write_db, g->insert, g->update, &inline_blobs, l, digest, &was_added, error)
      || !check_app_limits (self, self->write_db, g->limits, op->app, error))
    return FALSE;
  *delta = was_added ? 1 : 0;
  g->wrote = TRUE;
  return TRUE;
}

static gboolean
write_group_locked (LbStore *self, GroupWrite *g, LbStoreGroupOp *ops, guint n_ops, GError **error)
{
  g->insert = prepare (self->write_db, INSERT_SQL, error);
  g->update = prepare (self->write_db, UPDATE_SQL, error);
  g->limits = prepare (self->write_db, LIMITS_SQL, error);
  g->delete = prepare (self->write_db, DELETE_SQL, error);
  if (g->insert == NULL || g->update == NULL || g->limits == NULL || g->delete == NULL
      || !exec (self->write_db, BULK_TEMP_STORE "BEGIN IMMEDIATE", error))
    return FALSE;
  for (guint i = 0; i < n_ops; i++)
    {
      int delta = 0;

      if (ops[i].error != NULL)
        continue;
      if (!exec (self->write_db, "SAVEPOINT op", error))
        return FALSE;
      if (group_write_one (self, g, &ops[i], &delta, &ops[i].error))
        {
          g->added += delta;
          if (!exec (self->write_db, "RELEASE op", error))
            return FALSE;
          continue;
        }
      /* An I/O error or a full disk may have rolled back everything. */
      if (sqlite3_get_autocommit (self->write_db))
        {
          g_set_error_literal (error, ops[i].error->domain, ops[i].error->code,
                               ops[i].error->message);
          return FALSE;
        }
      if (!exec (self->write_db, "ROLLBACK TO op; RELEASE op", error))
        return FALSE;
    }
  if (g->wrote && !exec (self->write_db, BUMP_CHANGES, error))
    return FALSE;
  lb_fault_point ("group-before-commit");
  return exec (self->write_db, "COMMIT", error);
}

gboolean
lb_store_write_group (LbStore *self, LbStoreGroupOp *ops, guint n_ops, GError **error)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&self->write_lock);
  GroupWrite g = { .now = g_get_real_time () / G_USEC_PER_SEC };
  guint64 wal_before = wal_size (self);
  gboolean left = FALSE;
  gboolean ok;

  /* A restore waiting for the lock goes first: the stores answer Busy
   * before the transaction, as a batch's begin does; deletes go on. */
  for (guint i = 0; i < n_ops; i++)
    {
      if (ops[i].license != NULL && g_atomic_int_get (&self->restores_waiting) > 0)
        set_busy_restoring (&ops[i].error);
      left |= ops[i].error == NULL;
    }
  if (!left)
    return TRUE;
  ok = write_group_locked (self, &g, ops, n_ops, error);
  group_write_clear (&g);
  if (!ok)
    {
      if (!sqlite3_get_autocommit (self->write_db))
        exec (self->write_db, "ROLLBACK", NULL);
      shrink_after_rollback (self, self->write_db, wal_before);
    }
  exec (self->write_db, DEFAULT_TEMP_STORE, NULL);
  if (!ok)
    return FALSE;
  /* Durable from here: every op without an error is in the WAL, synced. */
  lb_fault_point ("group-after-commit");
  g_atomic_int_add (&self->count, g.added);
  shrink_after_commit (self);
  maybe_reclaim (self, self->write_db);
  return TRUE;
}
