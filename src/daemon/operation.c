/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "operation.h"

#include <glib/gi18n.h>
#include <string.h>

#include "fault.h"
#include "passphrase.h"

struct _LbOperation
{
  GObject parent_instance;

  /* fixed at creation */
  const LbOperationKindInfo *info; /* NULL for a worker called directly */
  guint64 id;
  LbOperationKind kind;
  guint32 flags;
  GFile *location;
  GCancellable *cancellable;
  gulong delay_us; /* lb_fault_delay_us(), read once */
  /* set before the worker starts */
  guint keep;
  char *generation;
  LbVerifications *verifications;
  gboolean encrypt;
  guint era;
  gboolean use_keyring;
  /* the caller's or the keyring's, used by the worker's thread only */
  LbAgePassphrase *passphrase;

  /* written by the worker, read from anywhere */
  GMutex lock;
  LbOperationProgress progress;
  /* the last status the manager has published, and its signal */
  GCond published_cond;
  guint published_status;
  gboolean accepted; /* the caller has heard the operation's id */
  gboolean checked;

  /* the worker's, read once it has returned */
  gpointer result;
  GDestroyNotify result_clear;
};

G_DEFINE_TYPE (LbOperation, lb_operation, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (LbOperationKind,
                    lb_operation_kind,
                    G_DEFINE_ENUM_VALUE (LB_OPERATION_BACKUP, "backup"),
                    G_DEFINE_ENUM_VALUE (LB_OPERATION_RESTORE, "restore"),
                    G_DEFINE_ENUM_VALUE (LB_OPERATION_VERIFY, "verify"))

enum
{
  PROP_0,
  PROP_ID,
  PROP_KIND,
  PROP_FLAGS,
  PROP_LOCATION,
  PROP_CANCELLABLE,
  PROP_STATUS,
  PROP_DONE,
  PROP_TOTAL,
  PROP_CANCELABLE,
  N_PROPS
};
static GParamSpec *props[N_PROPS];

enum
{
  SIGNAL_RESTRICTED,
  SIGNAL_CHECKED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

const char *
lb_operation_kind_to_string (LbOperationKind kind)
{
  g_autoptr (GEnumClass) klass = g_type_class_ref (LB_TYPE_OPERATION_KIND);
  GEnumValue *value = g_enum_get_value (klass, (int) kind);

  /* The class is static: its nicks outlive the reference. */
  return value != NULL ? value->value_nick : "";
}

LbOperation *
lb_operation_new (
    guint64 id, LbOperationKind kind, guint32 flags, GFile *location, GCancellable *cancellable)
{
  g_return_val_if_fail (G_IS_FILE (location), NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);
  return g_object_new (LB_TYPE_OPERATION, "id", id, "kind", kind, "flags", flags, "location",
                       location, "cancellable", cancellable, NULL);
}

LbOperation *
lb_operation_new_for_kind (const LbOperationKindInfo *info,
                           guint64 id,
                           guint32 flags,
                           GFile *location)
{
  LbOperation *self = lb_operation_new (id, info->kind, flags, location, NULL);

  self->info = info;
  return self;
}

const LbOperationKindInfo *
lb_operation_get_info (LbOperation *self)
{
  return self->info;
}

gboolean
lb_operation_run (LbOperation *self, LbStore *store, GError **error)
{
  g_return_val_if_fail (self->info != NULL, FALSE);
  return self->info->run (store, self, error);
}

void
lb_operation_summary_add_counts (
    GVariantBuilder *summary, guint licenses, guint skipped, guint64 bytes, const char *location)
{
  g_variant_builder_add (summary, "{sv}", "licenses", g_variant_new_uint32 (licenses));
  g_variant_builder_add (summary, "{sv}", "skipped", g_variant_new_uint32 (skipped));
  g_variant_builder_add (summary, "{sv}", "bytes", g_variant_new_uint64 (bytes));
  g_variant_builder_add (summary, "{sv}", "location",
                         g_variant_new_string (location != NULL ? location : ""));
}

GVariant *
lb_operation_build_summary (LbOperation *self, const GError *error, gint64 duration_ms)
{
  GVariantBuilder b;

  g_return_val_if_fail (self->info != NULL, NULL);
  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  self->info->summarize (self, &b);
  g_variant_builder_add (&b, "{sv}", "duration-ms", g_variant_new_uint64 ((guint64) duration_ms));
  if (error != NULL)
    g_variant_builder_add (&b, "{sv}", "error-name",
                           g_variant_new_string (lb_error_get_dbus_name (error)));
  return g_variant_builder_end (&b);
}

void
lb_operation_checked (LbOperation *self)
{
  gboolean first;

  g_mutex_lock (&self->lock);
  first = !self->checked;
  self->checked = TRUE;
  g_mutex_unlock (&self->lock);
  if (first)
    g_signal_emit (self, signals[SIGNAL_CHECKED], 0);
}

gboolean
lb_operation_is_checked (LbOperation *self)
{
  gboolean checked;

  g_mutex_lock (&self->lock);
  checked = self->checked;
  g_mutex_unlock (&self->lock);
  return checked;
}

guint64
lb_operation_get_id (LbOperation *self)
{
  return self->id;
}

LbOperationKind
lb_operation_get_kind (LbOperation *self)
{
  return self->kind;
}

guint32
lb_operation_get_flags (LbOperation *self)
{
  return self->flags;
}

GFile *
lb_operation_get_location (LbOperation *self)
{
  return self->location;
}

GCancellable *
lb_operation_get_cancellable (LbOperation *self)
{
  return self->cancellable;
}

void
lb_operation_set_keep (LbOperation *self, guint keep)
{
  self->keep = keep;
}

guint
lb_operation_get_keep (LbOperation *self)
{
  return self->keep;
}

void
lb_operation_set_generation (LbOperation *self, const char *generation)
{
  g_free (self->generation);
  g_clear_object (&self->verifications);
  self->generation = g_strdup (generation);
}

const char *
lb_operation_get_generation (LbOperation *self)
{
  return self->generation;
}

void
lb_operation_set_verifications (LbOperation *self, LbVerifications *verifications)
{
  g_set_object (&self->verifications, verifications);
}

void
lb_operation_set_encrypt (LbOperation *self, gboolean encrypt, guint era)
{
  self->encrypt = encrypt;
  self->era = era;
}

gboolean
lb_operation_get_encrypt (LbOperation *self, guint *era)
{
  if (era != NULL)
    *era = self->era;
  return self->encrypt;
}

void
lb_operation_set_passphrase (LbOperation *self, LbAgePassphrase *passphrase)
{
  g_clear_pointer (&self->passphrase, lb_age_passphrase_free);
  self->passphrase = passphrase;
}

void
lb_operation_set_use_keyring (LbOperation *self, gboolean use_keyring)
{
  self->use_keyring = use_keyring;
}

LbAgePassphrase *
lb_operation_get_passphrase (LbOperation *self, GError **error)
{
  if (self->passphrase == NULL && self->use_keyring)
    self->passphrase = lb_keyring_lookup (self->cancellable, error);
  else if (self->passphrase == NULL)
    g_set_error_literal (error, LB_ERROR, LB_ERROR_PASSPHRASE_REQUIRED,
                         _ ("This backup is encrypted: give its passphrase"));
  return self->passphrase;
}

LbVerifications *
lb_operation_get_verifications (LbOperation *self)
{
  return self->verifications;
}

void
lb_operation_set_total (LbOperation *self, guint64 total)
{
  g_mutex_lock (&self->lock);
  self->progress.total = total;
  g_mutex_unlock (&self->lock);
}

void
lb_operation_set_done (LbOperation *self, guint64 done)
{
  g_mutex_lock (&self->lock);
  self->progress.done = done;
  g_mutex_unlock (&self->lock);
  lb_fault_delay (self->delay_us);
}

void
lb_operation_set_status (LbOperation *self, guint status)
{
  g_mutex_lock (&self->lock);
  self->progress.status = status;
  g_mutex_unlock (&self->lock);
}

gboolean
lb_operation_wait_status_published (LbOperation *self, guint status, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  gboolean published;

  g_mutex_lock (&self->lock);
  while (self->published_status != status
         && g_cond_wait_until (&self->published_cond, &self->lock, deadline))
    ;
  published = self->published_status == status;
  g_mutex_unlock (&self->lock);
  return published;
}

void
lb_operation_status_published (LbOperation *self, guint status)
{
  g_mutex_lock (&self->lock);
  self->published_status = status;
  g_cond_broadcast (&self->published_cond);
  g_mutex_unlock (&self->lock);
}

void
lb_operation_accepted (LbOperation *self)
{
  g_mutex_lock (&self->lock);
  self->accepted = TRUE;
  g_cond_broadcast (&self->published_cond);
  g_mutex_unlock (&self->lock);
}

gboolean
lb_operation_wait_accepted (LbOperation *self, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  gboolean accepted;

  g_mutex_lock (&self->lock);
  while (!self->accepted && g_cond_wait_until (&self->published_cond, &self->lock, deadline))
    ;
  accepted = self->accepted;
  g_mutex_unlock (&self->lock);
  return accepted;
}

void
lb_operation_set_cancelable (LbOperation *self, gboolean cancelable)
{
  g_mutex_lock (&self->lock);
  self->progress.cancelable = cancelable;
  g_mutex_unlock (&self->lock);
}

void
lb_operation_restricted (LbOperation *self, const LbRecord *license, const char *reason)
{
  g_signal_emit (self, signals[SIGNAL_RESTRICTED], 0,
                 license->attrs.app != NULL ? license->attrs.app : "", license->key_id, reason);
}

LbOperationProgress
lb_operation_get_progress (LbOperation *self)
{
  LbOperationProgress p;

  g_mutex_lock (&self->lock);
  p = self->progress;
  g_mutex_unlock (&self->lock);
  return p;
}

gpointer
lb_operation_get_result (LbOperation *self, gsize size, GDestroyNotify clear)
{
  if (self->result == NULL)
    {
      self->result = g_malloc0 (size);
      self->result_clear = clear;
    }
  return self->result;
}

LbBackupResult *
lb_operation_get_backup_result (LbOperation *self)
{
  g_return_val_if_fail (self->kind == LB_OPERATION_BACKUP, NULL);
  return lb_operation_get_result (self, sizeof (LbBackupResult),
                                  (GDestroyNotify) lb_backup_result_clear);
}

LbRestoreResult *
lb_operation_get_restore_result (LbOperation *self)
{
  g_return_val_if_fail (self->kind == LB_OPERATION_RESTORE, NULL);
  return lb_operation_get_result (self, sizeof (LbRestoreResult),
                                  (GDestroyNotify) lb_restore_result_clear);
}

void
lb_operation_steal_backup_result (LbOperation *self, LbBackupResult *result)
{
  LbBackupResult *own = lb_operation_get_backup_result (self);

  *result = *own;
  memset (own, 0, sizeof *own);
}

void
lb_operation_steal_restore_result (LbOperation *self, LbRestoreResult *result)
{
  LbRestoreResult *own = lb_operation_get_restore_result (self);

  *result = *own;
  memset (own, 0, sizeof *own);
}

void
lb_backup_result_clear (LbBackupResult *result)
{
  g_clear_pointer (&result->location, g_free);
  g_clear_pointer (&result->apps, g_hash_table_unref);
}

void
lb_restore_result_clear (LbRestoreResult *result)
{
  g_clear_pointer (&result->location, g_free);
  g_clear_pointer (&result->support_url, g_free);
  g_clear_pointer (&result->support_app, g_free);
  g_clear_pointer (&result->apps, g_hash_table_unref);
  g_clear_pointer (&result->whole_generation, g_free);
}

void
lb_app_counts_add (GHashTable **apps, const char *app)
{
  const char *key = app != NULL ? app : "";
  gpointer count;

  if (*apps == NULL)
    *apps = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  count = g_hash_table_lookup (*apps, key);
  g_hash_table_replace (*apps, g_strdup (key), GUINT_TO_POINTER (GPOINTER_TO_UINT (count) + 1));
}

static void
lb_operation_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  LbOperation *self = LB_OPERATION (object);
  LbOperationProgress p = lb_operation_get_progress (self);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_uint64 (value, self->id);
      break;
    case PROP_KIND:
      g_value_set_enum (value, self->kind);
      break;
    case PROP_FLAGS:
      g_value_set_uint (value, self->flags);
      break;
    case PROP_LOCATION:
      g_value_set_object (value, self->location);
      break;
    case PROP_CANCELLABLE:
      g_value_set_object (value, self->cancellable);
      break;
    case PROP_STATUS:
      g_value_set_uint (value, p.status);
      break;
    case PROP_DONE:
      g_value_set_uint64 (value, p.done);
      break;
    case PROP_TOTAL:
      g_value_set_uint64 (value, p.total);
      break;
    case PROP_CANCELABLE:
      g_value_set_boolean (value, p.cancelable);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lb_operation_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  LbOperation *self = LB_OPERATION (object);

  switch (prop_id)
    {
    case PROP_ID:
      self->id = g_value_get_uint64 (value);
      break;
    case PROP_KIND:
      self->kind = g_value_get_enum (value);
      break;
    case PROP_FLAGS:
      self->flags = g_value_get_uint (value);
      break;
    case PROP_LOCATION:
      self->location = g_value_dup_object (value);
      break;
    case PROP_CANCELLABLE:
      self->cancellable = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lb_operation_constructed (GObject *object)
{
  LbOperation *self = LB_OPERATION (object);

  G_OBJECT_CLASS (lb_operation_parent_class)->constructed (object);
  if (self->cancellable == NULL)
    self->cancellable = g_cancellable_new ();
}

static void
lb_operation_finalize (GObject *object)
{
  LbOperation *self = LB_OPERATION (object);

  if (self->result != NULL)
    self->result_clear (self->result);
  g_free (self->result);
  g_clear_object (&self->location);
  g_clear_object (&self->cancellable);
  g_free (self->generation);
  g_clear_pointer (&self->passphrase, lb_age_passphrase_free);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->published_cond);
  G_OBJECT_CLASS (lb_operation_parent_class)->finalize (object);
}

static void
lb_operation_class_init (LbOperationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags fixed = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;
  /* Written by the worker thread, hence never notified (see operation.h). */
  const GParamFlags sampled = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->get_property = lb_operation_get_property;
  object_class->set_property = lb_operation_set_property;
  object_class->constructed = lb_operation_constructed;
  object_class->finalize = lb_operation_finalize;

  props[PROP_ID] = g_param_spec_uint64 ("id", NULL, NULL, 0, G_MAXUINT64, 0, fixed);
  props[PROP_KIND]
      = g_param_spec_enum ("kind", NULL, NULL, LB_TYPE_OPERATION_KIND, LB_OPERATION_BACKUP, fixed);
  props[PROP_FLAGS] = g_param_spec_uint ("flags", NULL, NULL, 0, G_MAXUINT32, 0, fixed);
  props[PROP_LOCATION] = g_param_spec_object ("location", NULL, NULL, G_TYPE_FILE, fixed);
  props[PROP_CANCELLABLE]
      = g_param_spec_object ("cancellable", NULL, NULL, G_TYPE_CANCELLABLE, fixed);
  props[PROP_STATUS]
      = g_param_spec_uint ("status", NULL, NULL, 0, G_MAXUINT, LB_STATUS_BEGIN, sampled);
  props[PROP_DONE] = g_param_spec_uint64 ("done", NULL, NULL, 0, G_MAXUINT64, 0, sampled);
  props[PROP_TOTAL] = g_param_spec_uint64 ("total", NULL, NULL, 0, G_MAXUINT64, 0, sampled);
  props[PROP_CANCELABLE] = g_param_spec_boolean ("cancelable", NULL, NULL, TRUE, sampled);
  g_object_class_install_properties (object_class, N_PROPS, props);

  signals[SIGNAL_RESTRICTED] = g_signal_new (
      "restricted", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE,
      3, G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE, G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
      G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);
  signals[SIGNAL_CHECKED] = g_signal_new ("checked", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
lb_operation_init (LbOperation *self)
{
  g_mutex_init (&self->lock);
  self->progress.status = LB_STATUS_BEGIN;
  self->progress.cancelable = TRUE;
  self->delay_us = lb_fault_delay_us ();
}
