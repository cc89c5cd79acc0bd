/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "lb-private.h"

/**
 * LbOperationResult:
 *
 * How a backup, restore or verify ended. #LbOperationResult:licenses
 * counts the licenses written (a backup), restored (a restore) or checked
 * (a verify);
 * #LbOperationResult:restricted those left out, whose key ids, apps and
 * reasons lb_operation_result_get_restricted_key_ids() and its siblings
 * give, in the same order.
 *
 * Since: 0.2
 */
struct _LbOperationResult
{
  GObject parent_instance;

  guint64 operation;
  LbStatus status;
  char *message;
  guint64 licenses;
  guint64 bytes;
  char *location;
  guint already_present;
  guint individualized;
  char *support_url;
  GPtrArray *key_ids; /* of char*, NULL-terminated */
  GPtrArray *apps;
  GPtrArray *reasons;
  GHashTable *app_counts; /* app -> guint */
  GVariant *summary;      /* the Completed signal's, NULL until it came */
  guint app_count;
  gint64 created;
  char *host;
  guint format_version;
  char *damaged_entry;
  char *whole_generation;
  gint64 whole_generation_created;
};

G_DEFINE_FINAL_TYPE (LbOperationResult, lb_operation_result, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_OPERATION,
  PROP_STATUS,
  PROP_MESSAGE,
  PROP_LICENSES,
  PROP_RESTRICTED,
  PROP_BYTES,
  PROP_LOCATION,
  PROP_SUPPORT_URL,
  PROP_APP_COUNT,
  PROP_CREATED,
  PROP_HOST,
  PROP_FORMAT_VERSION,
  PROP_DAMAGED_ENTRY,
  PROP_WHOLE_GENERATION,
  PROP_WHOLE_GENERATION_CREATED,
  N_PROPS
};
static GParamSpec *props[N_PROPS];

LbOperationResult *
lb_operation_result_new (guint64 operation)
{
  LbOperationResult *self = g_object_new (LB_TYPE_OPERATION_RESULT, NULL);

  self->operation = operation;
  return self;
}

void
lb_operation_result_add_restricted (LbOperationResult *self,
                                    const char *key_id,
                                    const char *reason,
                                    const char *app)
{
  /* Keep each array NULL-terminated, for the GStrv getters. */
  g_ptr_array_insert (self->key_ids, (int) self->key_ids->len - 1, g_strdup (key_id));
  g_ptr_array_insert (self->reasons, (int) self->reasons->len - 1, g_strdup (reason));
  g_ptr_array_insert (self->apps, (int) self->apps->len - 1, g_strdup (app));
}

void
lb_operation_result_set_app_counts (LbOperationResult *self, GVariant *counts)
{
  GVariantIter iter;
  const char *app;
  guint32 n;

  g_hash_table_remove_all (self->app_counts);
  g_variant_iter_init (&iter, counts);
  while (g_variant_iter_next (&iter, "{&su}", &app, &n))
    g_hash_table_insert (self->app_counts, g_strdup (app), GUINT_TO_POINTER (n));
}

void
lb_operation_result_set_support_url (LbOperationResult *self, const char *url)
{
  g_free (self->support_url);
  self->support_url = g_strdup (url);
}

void
lb_operation_result_set_end (LbOperationResult *self,
                             LbStatus status,
                             const char *message,
                             GVariant *summary)
{
  guint32 u = 0;

  self->status = status;
  g_clear_pointer (&self->summary, g_variant_unref);
  self->summary = g_variant_ref (summary);
  g_free (self->message);
  self->message = g_strdup (message);
  if (g_variant_lookup (summary, "licenses", "u", &u))
    self->licenses = u;
  g_variant_lookup (summary, "bytes", "t", &self->bytes);
  g_clear_pointer (&self->location, g_free);
  g_variant_lookup (summary, "location", "s", &self->location);
  g_variant_lookup (summary, "already-present", "u", &self->already_present);
  g_variant_lookup (summary, "individualized", "u", &self->individualized);
  /* What a verify reports, and a restore that found its backup damaged. */
  g_variant_lookup (summary, "apps", "u", &self->app_count);
  g_variant_lookup (summary, "created", "x", &self->created);
  g_clear_pointer (&self->host, g_free);
  g_variant_lookup (summary, "host", "s", &self->host);
  g_variant_lookup (summary, "format-version", "u", &self->format_version);
  g_clear_pointer (&self->damaged_entry, g_free);
  g_variant_lookup (summary, "damaged-entry", "s", &self->damaged_entry);
  g_clear_pointer (&self->whole_generation, g_free);
  g_variant_lookup (summary, "whole-generation", "s", &self->whole_generation);
  g_variant_lookup (summary, "whole-generation-created", "x", &self->whole_generation_created);
}

/**
 * lb_operation_result_get_operation:
 * @self: a result
 *
 * The id of the operation.
 *
 * Returns: the id of the operation
 *
 * Since: 0.2
 */
guint64
lb_operation_result_get_operation (LbOperationResult *self)
{
  return self->operation;
}

/**
 * lb_operation_result_get_status:
 * @self: a result
 *
 * How the operation ended: %LB_STATUS_END, or %LB_STATUS_ERROR_WITHURL
 * for a restore that left licenses out for their restore limit.
 *
 * Returns: %LB_STATUS_END, or %LB_STATUS_ERROR_WITHURL for a restore that
 *   left licenses out for their restore limit
 *
 * Since: 0.2
 */
LbStatus
lb_operation_result_get_status (LbOperationResult *self)
{
  return self->status;
}

/**
 * lb_operation_result_get_message:
 * @self: a result
 *
 * "" or, with %LB_STATUS_ERROR_WITHURL, what went wrong.
 *
 * Returns: "" or, with %LB_STATUS_ERROR_WITHURL, what went wrong
 *
 * Since: 0.2
 */
const char *
lb_operation_result_get_message (LbOperationResult *self)
{
  return self->message != NULL ? self->message : "";
}

/**
 * lb_operation_result_get_licenses:
 * @self: a result
 *
 * The licenses written to the backup, or restored.
 *
 * Returns: the licenses written to the backup, or restored
 *
 * Since: 0.2
 */
guint64
lb_operation_result_get_licenses (LbOperationResult *self)
{
  return self->licenses;
}

/**
 * lb_operation_result_get_restricted:
 * @self: a result
 *
 * How many licenses were left out.
 *
 * Returns: how many licenses were left out
 *
 * Since: 0.2
 */
guint
lb_operation_result_get_restricted (LbOperationResult *self)
{
  return self->key_ids->len - 1;
}

/**
 * lb_operation_result_get_bytes:
 * @self: a result
 *
 * The size of the backup file.
 *
 * Returns: the size of the backup file
 *
 * Since: 0.2
 */
guint64
lb_operation_result_get_bytes (LbOperationResult *self)
{
  return self->bytes;
}

/**
 * lb_operation_result_get_location:
 * @self: a result
 *
 * The URI of the backup file.
 *
 * Returns: (nullable): the URI of the backup file
 *
 * Since: 0.2
 */
const char *
lb_operation_result_get_location (LbOperationResult *self)
{
  return self->location;
}

/**
 * lb_operation_result_get_already_present:
 * @self: a result
 *
 * The licenses a restore found already in the store.
 *
 * Returns: the licenses a restore found already in the store
 *
 * Since: 0.2
 */
guint
lb_operation_result_get_already_present (LbOperationResult *self)
{
  return self->already_present;
}

/**
 * lb_operation_result_get_individualized:
 * @self: a result
 *
 * The licenses a restore bound to this computer.
 *
 * Returns: the licenses a restore bound to this computer
 *
 * Since: 0.2
 */
guint
lb_operation_result_get_individualized (LbOperationResult *self)
{
  return self->individualized;
}

/**
 * lb_operation_result_get_support_url:
 * @self: a result
 *
 * With %LB_STATUS_ERROR_WITHURL, where the user learns how to restore the
 * licenses left out for their restore limit.
 *
 * Returns: (nullable): with %LB_STATUS_ERROR_WITHURL, where the user learns
 *   how to restore the licenses left out for their restore limit
 *
 * Since: 0.2
 */
const char *
lb_operation_result_get_support_url (LbOperationResult *self)
{
  return self->support_url;
}

/**
 * lb_operation_result_get_restricted_key_ids:
 * @self: a result
 *
 * The key ids of the licenses left out.
 *
 * Returns: (transfer full): the key ids of the licenses left out
 *
 * Since: 0.2
 */
GStrv
lb_operation_result_get_restricted_key_ids (LbOperationResult *self)
{
  return g_strdupv ((char **) self->key_ids->pdata);
}

/**
 * lb_operation_result_get_restricted_apps:
 * @self: a result
 *
 * The app of each license left out ("" for programs outside a sandbox), in
 * the order of the key ids.
 *
 * Returns: (transfer full): the app of each license left out ("" for
 *   programs outside a sandbox), in the order of the key ids
 *
 * Since: 0.2
 */
GStrv
lb_operation_result_get_restricted_apps (LbOperationResult *self)
{
  return g_strdupv ((char **) self->apps->pdata);
}

/**
 * lb_operation_result_get_restricted_reasons:
 * @self: a result
 *
 * Why each was left out: "no-backup-right", "expired" or "restore-limit",
 * in the order of the key ids.
 *
 * Returns: (transfer full): why each was left out: "no-backup-right",
 *   "expired" or "restore-limit", in the order of the key ids
 *
 * Since: 0.2
 */
GStrv
lb_operation_result_get_restricted_reasons (LbOperationResult *self)
{
  return g_strdupv ((char **) self->reasons->pdata);
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/**
 * lb_operation_result_get_apps:
 * @self: a result
 *
 * The apps whose licenses the operation wrote or restored, in byte order
 * ("" for programs outside a sandbox).
 *
 * Returns: (transfer full): the apps whose licenses the operation wrote or
 *   restored, in byte order ("" for programs outside a sandbox)
 *
 * Since: 0.2
 */
GStrv
lb_operation_result_get_apps (LbOperationResult *self)
{
  g_autofree char **apps = (char **) g_hash_table_get_keys_as_array (self->app_counts, NULL);
  GStrv out;

  qsort (apps, g_hash_table_size (self->app_counts), sizeof (char *), compare_strings);
  out = g_strdupv (apps);
  return out;
}

/**
 * lb_operation_result_get_app_licenses:
 * @self: a result
 * @app: an app id
 *
 * How many licenses of @app the operation wrote or restored.
 *
 * Returns: how many licenses of @app the operation wrote or restored
 *
 * Since: 0.2
 */
guint
lb_operation_result_get_app_licenses (LbOperationResult *self, const char *app)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (self->app_counts, app));
}

/**
 * lb_operation_result_get_summary:
 * @self: a result
 *
 * The service's summary of the operation, as its BackupCompleted or
 * RestoreCompleted signal gave it: an `a{sv}` with the members the other
 * getters read and those they do not, such as "skipped", "duration-ms"
 * and, when it failed, "error-name".
 *
 * Returns: (transfer none) (nullable): the summary; %NULL when the service
 *   has not told how the operation ended
 *
 * Since: 0.2
 */
GVariant *
lb_operation_result_get_summary (LbOperationResult *self)
{
  g_return_val_if_fail (LB_IS_OPERATION_RESULT (self), NULL);
  return self->summary;
}

/**
 * lb_operation_result_get_app_count:
 * @self: a result
 *
 * How many apps the licenses a verify checked belong to (programs outside
 * a sandbox count as one).
 *
 * Returns: how many apps the checked licenses belong to
 *
 * Since: 0.2
 */
guint
lb_operation_result_get_app_count (LbOperationResult *self)
{
  g_return_val_if_fail (LB_IS_OPERATION_RESULT (self), 0);
  return self->app_count;
}

/**
 * lb_operation_result_get_created:
 * @self: a result
 *
 * When the backup a verify checked was made (unix seconds, from its
 * manifest), 0 when its manifest could not be read.
 *
 * Returns: when the checked backup was made, or 0
 *
 * Since: 0.2
 */
gint64
lb_operation_result_get_created (LbOperationResult *self)
{
  g_return_val_if_fail (LB_IS_OPERATION_RESULT (self), 0);
  return self->created;
}

/**
 * lb_operation_result_get_host:
 * @self: a result
 *
 * The name of the computer that made the backup a verify checked (from its
 * manifest; "" for backups before format 3).
 *
 * Returns: (nullable): the computer's name, or %NULL when the manifest
 *   could not be read
 *
 * Since: 0.2
 */
const char *
lb_operation_result_get_host (LbOperationResult *self)
{
  g_return_val_if_fail (LB_IS_OPERATION_RESULT (self), NULL);
  return self->host;
}

/**
 * lb_operation_result_get_format_version:
 * @self: a result
 *
 * The format version of the backup a verify checked, 0 when its manifest
 * could not be read.
 *
 * Returns: the format version, or 0
 *
 * Since: 0.2
 */
guint
lb_operation_result_get_format_version (LbOperationResult *self)
{
  g_return_val_if_fail (LB_IS_OPERATION_RESULT (self), 0);
  return self->format_version;
}

/**
 * lb_operation_result_get_damaged_entry:
 * @self: a result
 *
 * Of a verify that found the backup damaged (%LB_ERROR_BACKUP_CORRUPT):
 * the first entry found damaged, e.g.
 * "licenses/org.example.Player/key%2F1" or "manifest.txt".
 *
 * Returns: (nullable): the first damaged entry, or %NULL
 *
 * Since: 0.2
 */
const char *
lb_operation_result_get_damaged_entry (LbOperationResult *self)
{
  g_return_val_if_fail (LB_IS_OPERATION_RESULT (self), NULL);
  return self->damaged_entry;
}

/**
 * lb_operation_result_get_whole_generation:
 * @self: a result
 *
 * Of a restore of the newest backup that failed with
 * %LB_ERROR_BACKUP_CORRUPT: the newest backup of the folder that is whole,
 * which lb_client_restore_sync() restores when given as its generation.
 * The service never restores it unasked.
 *
 * Returns: (nullable): the name of the newest whole backup, or %NULL
 *
 * Since: 0.2
 */
const char *
lb_operation_result_get_whole_generation (LbOperationResult *self)
{
  g_return_val_if_fail (LB_IS_OPERATION_RESULT (self), NULL);
  return self->whole_generation;
}

/**
 * lb_operation_result_get_whole_generation_created:
 * @self: a result
 *
 * When the backup that #LbOperationResult:whole-generation names was made
 * (unix seconds), 0 if none is named.
 *
 * Returns: when the newest whole backup was made, or 0
 *
 * Since: 0.2
 */
gint64
lb_operation_result_get_whole_generation_created (LbOperationResult *self)
{
  g_return_val_if_fail (LB_IS_OPERATION_RESULT (self), 0);
  return self->whole_generation_created;
}

static void
lb_operation_result_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  LbOperationResult *self = LB_OPERATION_RESULT (object);

  switch (prop_id)
    {
    case PROP_OPERATION:
      g_value_set_uint64 (value, self->operation);
      break;
    case PROP_STATUS:
      g_value_set_enum (value, self->status);
      break;
    case PROP_MESSAGE:
      g_value_set_string (value, lb_operation_result_get_message (self));
      break;
    case PROP_LICENSES:
      g_value_set_uint64 (value, self->licenses);
      break;
    case PROP_RESTRICTED:
      g_value_set_uint (value, lb_operation_result_get_restricted (self));
      break;
    case PROP_BYTES:
      g_value_set_uint64 (value, self->bytes);
      break;
    case PROP_LOCATION:
      g_value_set_string (value, self->location);
      break;
    case PROP_SUPPORT_URL:
      g_value_set_string (value, self->support_url);
      break;
    case PROP_APP_COUNT:
      g_value_set_uint (value, self->app_count);
      break;
    case PROP_CREATED:
      g_value_set_int64 (value, self->created);
      break;
    case PROP_HOST:
      g_value_set_string (value, self->host);
      break;
    case PROP_FORMAT_VERSION:
      g_value_set_uint (value, self->format_version);
      break;
    case PROP_DAMAGED_ENTRY:
      g_value_set_string (value, self->damaged_entry);
      break;
    case PROP_WHOLE_GENERATION:
      g_value_set_string (value, self->whole_generation);
      break;
    case PROP_WHOLE_GENERATION_CREATED:
      g_value_set_int64 (value, self->whole_generation_created);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lb_operation_result_finalize (GObject *object)
{
  LbOperationResult *self = LB_OPERATION_RESULT (object);

  g_free (self->message);
  g_free (self->location);
  g_free (self->support_url);
  g_free (self->host);
  g_free (self->damaged_entry);
  g_free (self->whole_generation);
  g_ptr_array_unref (self->key_ids);
  g_ptr_array_unref (self->apps);
  g_ptr_array_unref (self->reasons);
  g_hash_table_unref (self->app_counts);
  g_clear_pointer (&self->summary, g_variant_unref);
  G_OBJECT_CLASS (lb_operation_result_parent_class)->finalize (object);
}

static void
lb_operation_result_class_init (LbOperationResultClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  object_class->get_property = lb_operation_result_get_property;
  object_class->finalize = lb_operation_result_finalize;

  /**
   * LbOperationResult:operation:
   *
   * The id of the operation.
   *
   * Since: 0.2
   */
  props[PROP_OPERATION] = g_param_spec_uint64 ("operation", NULL, NULL, 0, G_MAXUINT64, 0, ro);
  /**
   * LbOperationResult:status:
   *
   * How it ended.
   *
   * Since: 0.2
   */
  props[PROP_STATUS] = g_param_spec_enum ("status", NULL, NULL, LB_TYPE_STATUS, LB_STATUS_END, ro);
  /**
   * LbOperationResult:message:
   *
   * "", or what went wrong.
   *
   * Since: 0.2
   */
  props[PROP_MESSAGE] = g_param_spec_string ("message", NULL, NULL, "", ro);
  /**
   * LbOperationResult:licenses:
   *
   * The licenses written or restored.
   *
   * Since: 0.2
   */
  props[PROP_LICENSES] = g_param_spec_uint64 ("licenses", NULL, NULL, 0, G_MAXUINT64, 0, ro);
  /**
   * LbOperationResult:restricted:
   *
   * How many licenses were left out.
   *
   * Since: 0.2
   */
  props[PROP_RESTRICTED] = g_param_spec_uint ("restricted", NULL, NULL, 0, G_MAXUINT, 0, ro);
  /**
   * LbOperationResult:bytes:
   *
   * The size of the backup file.
   *
   * Since: 0.2
   */
  props[PROP_BYTES] = g_param_spec_uint64 ("bytes", NULL, NULL, 0, G_MAXUINT64, 0, ro);
  /**
   * LbOperationResult:location:
   *
   * The URI of the backup file.
   *
   * Since: 0.2
   */
  props[PROP_LOCATION] = g_param_spec_string ("location", NULL, NULL, NULL, ro);
  /**
   * LbOperationResult:support-url:
   *
   * With %LB_STATUS_ERROR_WITHURL, the issuer's page on restore limits.
   *
   * Since: 0.2
   */
  props[PROP_SUPPORT_URL] = g_param_spec_string ("support-url", NULL, NULL, NULL, ro);
  /**
   * LbOperationResult:app-count:
   *
   * Of a verify: how many apps the checked licenses belong to.
   *
   * Since: 0.2
   */
  props[PROP_APP_COUNT] = g_param_spec_uint ("app-count", NULL, NULL, 0, G_MAXUINT, 0, ro);
  /**
   * LbOperationResult:created:
   *
   * Of a verify: when the checked backup was made (unix seconds), or 0.
   *
   * Since: 0.2
   */
  props[PROP_CREATED] = g_param_spec_int64 ("created", NULL, NULL, 0, G_MAXINT64, 0, ro);
  /**
   * LbOperationResult:host:
   *
   * Of a verify: the name of the computer that made the checked backup.
   *
   * Since: 0.2
   */
  props[PROP_HOST] = g_param_spec_string ("host", NULL, NULL, NULL, ro);
  /**
   * LbOperationResult:format-version:
   *
   * Of a verify: the checked backup's format version, or 0.
   *
   * Since: 0.2
   */
  props[PROP_FORMAT_VERSION]
      = g_param_spec_uint ("format-version", NULL, NULL, 0, G_MAXUINT, 0, ro);
  /**
   * LbOperationResult:damaged-entry:
   *
   * Of a verify that found the backup damaged: the first damaged entry.
   *
   * Since: 0.2
   */
  props[PROP_DAMAGED_ENTRY] = g_param_spec_string ("damaged-entry", NULL, NULL, NULL, ro);
  /**
   * LbOperationResult:whole-generation:
   *
   * Of a restore whose newest backup is damaged: the newest whole backup.
   *
   * Since: 0.2
   */
  props[PROP_WHOLE_GENERATION] = g_param_spec_string ("whole-generation", NULL, NULL, NULL, ro);
  /**
   * LbOperationResult:whole-generation-created:
   *
   * When #LbOperationResult:whole-generation was made (unix seconds), or 0.
   *
   * Since: 0.2
   */
  props[PROP_WHOLE_GENERATION_CREATED]
      = g_param_spec_int64 ("whole-generation-created", NULL, NULL, 0, G_MAXINT64, 0, ro);
  g_object_class_install_properties (object_class, N_PROPS, props);
}

static void
lb_operation_result_init (LbOperationResult *self)
{
  self->status = LB_STATUS_END;
  self->key_ids = g_ptr_array_new_with_free_func (g_free);
  self->apps = g_ptr_array_new_with_free_func (g_free);
  self->reasons = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (self->key_ids, NULL);
  g_ptr_array_add (self->apps, NULL);
  g_ptr_array_add (self->reasons, NULL);
  self->app_counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}
