/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "lb-private.h"

/**
 * LbBackup:
 *
 * A backup (generation) in a backup folder: one item of
 * lb_client_list_backups_sync(), newest first.
 *
 * Since: 0.2
 */
struct _LbBackup
{
  GObject parent_instance;

  char *name;
  gint64 time;
  guint64 bytes;
  gint64 created;
  char *host;
  char *machine;
  gboolean this_machine;
  guint format_version;
  gint64 verified;
  char *verify_error;
  gboolean encrypted;
  guint passphrase_era;
};

G_DEFINE_FINAL_TYPE (LbBackup, lb_backup, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_NAME,
  PROP_TIME,
  PROP_BYTES,
  PROP_CREATED,
  PROP_HOST,
  PROP_MACHINE,
  PROP_THIS_MACHINE,
  PROP_FORMAT_VERSION,
  PROP_VERIFIED,
  PROP_VERIFY_ERROR,
  PROP_ENCRYPTED,
  PROP_PASSPHRASE_ERA,
  N_PROPS
};
static GParamSpec *props[N_PROPS];

/* From ListBackups' (name, details); absent keys keep their defaults (an
 * older service sends only "time" and "bytes") and unknown ones are
 * ignored, so that a newer service may add details. */
LbBackup *
lb_backup_new_from_details (const char *name, GVariant *details)
{
  LbBackup *self = g_object_new (LB_TYPE_BACKUP, NULL);
  const char *s;

  g_free (self->name);
  self->name = g_strdup (name);
  g_variant_lookup (details, "time", "x", &self->time);
  g_variant_lookup (details, "bytes", "t", &self->bytes);
  g_variant_lookup (details, "created", "x", &self->created);
  if (g_variant_lookup (details, "host", "&s", &s))
    {
      g_free (self->host);
      self->host = g_strdup (s);
    }
  if (g_variant_lookup (details, "machine", "&s", &s))
    {
      g_free (self->machine);
      self->machine = g_strdup (s);
    }
  g_variant_lookup (details, "this-machine", "b", &self->this_machine);
  g_variant_lookup (details, "format-version", "u", &self->format_version);
  g_variant_lookup (details, "verified", "x", &self->verified);
  if (g_variant_lookup (details, "verify-error", "&s", &s))
    {
      g_free (self->verify_error);
      self->verify_error = g_strdup (s);
    }
  g_variant_lookup (details, "encrypted", "b", &self->encrypted);
  g_variant_lookup (details, "passphrase-era", "u", &self->passphrase_era);
  return self;
}

/**
 * lb_backup_get_name:
 * @self: a backup
 *
 * The backup's file name in its folder: what lb_client_restore_async()
 * takes as its generation.
 *
 * Returns: #LbBackup:name
 *
 * Since: 0.2
 */
const char *
lb_backup_get_name (LbBackup *self)
{
  g_return_val_if_fail (LB_IS_BACKUP (self), NULL);
  return self->name;
}

/**
 * lb_backup_get_time:
 * @self: a backup
 *
 * When the backup was written (unix seconds).
 *
 * Returns: #LbBackup:time
 *
 * Since: 0.2
 */
gint64
lb_backup_get_time (LbBackup *self)
{
  g_return_val_if_fail (LB_IS_BACKUP (self), 0);
  return self->time;
}

/**
 * lb_backup_get_bytes:
 * @self: a backup
 *
 * The size of the backup file.
 *
 * Returns: #LbBackup:bytes
 *
 * Since: 0.2
 */
guint64
lb_backup_get_bytes (LbBackup *self)
{
  g_return_val_if_fail (LB_IS_BACKUP (self), 0);
  return self->bytes;
}

/**
 * lb_backup_get_created:
 * @self: a backup
 *
 * When the backup was really made (unix seconds), from its manifest; 0
 * when the service does not say.
 *
 * Returns: #LbBackup:created
 *
 * Since: 0.2
 */
gint64
lb_backup_get_created (LbBackup *self)
{
  g_return_val_if_fail (LB_IS_BACKUP (self), 0);
  return self->created;
}

/**
 * lb_backup_get_host:
 * @self: a backup
 *
 * The pretty hostname of the computer that made the backup; "" when the
 * service does not say.
 *
 * Returns: #LbBackup:host
 *
 * Since: 0.2
 */
const char *
lb_backup_get_host (LbBackup *self)
{
  g_return_val_if_fail (LB_IS_BACKUP (self), NULL);
  return self->host;
}

/**
 * lb_backup_get_machine:
 * @self: a backup
 *
 * The app-specific machine id of the computer that made the backup; ""
 * when the service does not say.
 *
 * Returns: #LbBackup:machine
 *
 * Since: 0.2
 */
const char *
lb_backup_get_machine (LbBackup *self)
{
  g_return_val_if_fail (LB_IS_BACKUP (self), NULL);
  return self->machine;
}

/**
 * lb_backup_get_this_machine:
 * @self: a backup
 *
 * Whether this computer made the backup; %FALSE when the service does not
 * say.
 *
 * Returns: #LbBackup:this-machine
 *
 * Since: 0.2
 */
gboolean
lb_backup_get_this_machine (LbBackup *self)
{
  g_return_val_if_fail (LB_IS_BACKUP (self), FALSE);
  return self->this_machine;
}

/**
 * lb_backup_get_format_version:
 * @self: a backup
 *
 * The version of the backup's file format; 0 when the service does not
 * say.
 *
 * Returns: #LbBackup:format-version
 *
 * Since: 0.2
 */
guint
lb_backup_get_format_version (LbBackup *self)
{
  g_return_val_if_fail (LB_IS_BACKUP (self), 0);
  return self->format_version;
}

/**
 * lb_backup_get_verified:
 * @self: a backup
 *
 * When the backup was last verified (unix seconds); 0 if never.
 *
 * Returns: #LbBackup:verified
 *
 * Since: 0.2
 */
gint64
lb_backup_get_verified (LbBackup *self)
{
  g_return_val_if_fail (LB_IS_BACKUP (self), 0);
  return self->verified;
}

/**
 * lb_backup_get_verify_error:
 * @self: a backup
 *
 * Why the last verification failed; "" when the backup was whole or never
 * checked.
 *
 * Returns: #LbBackup:verify-error
 *
 * Since: 0.2
 */
const char *
lb_backup_get_verify_error (LbBackup *self)
{
  g_return_val_if_fail (LB_IS_BACKUP (self), NULL);
  return self->verify_error;
}

/**
 * lb_backup_get_encrypted:
 * @self: a backup
 *
 * Whether the backup is encrypted (an age file): restoring or checking it
 * needs its passphrase; %FALSE when the service does not say.
 *
 * Returns: #LbBackup:encrypted
 *
 * Since: 0.2
 */
gboolean
lb_backup_get_encrypted (LbBackup *self)
{
  g_return_val_if_fail (LB_IS_BACKUP (self), FALSE);
  return self->encrypted;
}

/**
 * lb_backup_get_passphrase_era:
 * @self: a backup
 *
 * Which of the passphrases set on this computer encrypted the backup: 1
 * for the first one set, 2 for the next, and so on (a count, never
 * anything of the passphrase); 0 when the backup is not encrypted or the
 * service does not know (a backup of another computer).
 *
 * Returns: #LbBackup:passphrase-era
 *
 * Since: 0.2
 */
guint
lb_backup_get_passphrase_era (LbBackup *self)
{
  g_return_val_if_fail (LB_IS_BACKUP (self), 0);
  return self->passphrase_era;
}

static void
lb_backup_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  LbBackup *self = LB_BACKUP (object);

  switch (prop_id)
    {
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_TIME:
      g_value_set_int64 (value, self->time);
      break;
    case PROP_BYTES:
      g_value_set_uint64 (value, self->bytes);
      break;
    case PROP_CREATED:
      g_value_set_int64 (value, self->created);
      break;
    case PROP_HOST:
      g_value_set_string (value, self->host);
      break;
    case PROP_MACHINE:
      g_value_set_string (value, self->machine);
      break;
    case PROP_THIS_MACHINE:
      g_value_set_boolean (value, self->this_machine);
      break;
    case PROP_FORMAT_VERSION:
      g_value_set_uint (value, self->format_version);
      break;
    case PROP_VERIFIED:
      g_value_set_int64 (value, self->verified);
      break;
    case PROP_VERIFY_ERROR:
      g_value_set_string (value, self->verify_error);
      break;
    case PROP_ENCRYPTED:
      g_value_set_boolean (value, self->encrypted);
      break;
    case PROP_PASSPHRASE_ERA:
      g_value_set_uint (value, self->passphrase_era);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lb_backup_finalize (GObject *object)
{
  LbBackup *self = LB_BACKUP (object);

  g_free (self->name);
  g_free (self->host);
  g_free (self->machine);
  g_free (self->verify_error);
  G_OBJECT_CLASS (lb_backup_parent_class)->finalize (object);
}

static void
lb_backup_class_init (LbBackupClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  object_class->get_property = lb_backup_get_property;
  object_class->finalize = lb_backup_finalize;
  /**
   * LbBackup:name:
   *
   * The backup's file name in its folder: what lb_client_restore_async()
   * takes as its generation.
   *
   * Since: 0.2
   */
  props[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, "", ro);
  /**
   * LbBackup:time:
   *
   * When the backup was written (unix seconds).
   *
   * Since: 0.2
   */
  props[PROP_TIME] = g_param_spec_int64 ("time", NULL, NULL, G_MININT64, G_MAXINT64, 0, ro);
  /**
   * LbBackup:bytes:
   *
   * The size of the backup file.
   *
   * Since: 0.2
   */
  props[PROP_BYTES] = g_param_spec_uint64 ("bytes", NULL, NULL, 0, G_MAXUINT64, 0, ro);
  /**
   * LbBackup:created:
   *
   * When the backup was really made (unix seconds), from its manifest; 0
   * when the service does not say.
   *
   * Since: 0.2
   */
  props[PROP_CREATED] = g_param_spec_int64 ("created", NULL, NULL, G_MININT64, G_MAXINT64, 0, ro);
  /**
   * LbBackup:host:
   *
   * The pretty hostname of the computer that made the backup; "" when the
   * service does not say.
   *
   * Since: 0.2
   */
  props[PROP_HOST] = g_param_spec_string ("host", NULL, NULL, "", ro);
  /**
   * LbBackup:machine:
   *
   * The app-specific machine id of the computer that made the backup; ""
   * when the service does not say.
   *
   * Since: 0.2
   */
  props[PROP_MACHINE] = g_param_spec_string ("machine", NULL, NULL, "", ro);
  /**
   * LbBackup:this-machine:
   *
   * Whether this computer made the backup; %FALSE when the service does
   * not say.
   *
   * Since: 0.2
   */
  props[PROP_THIS_MACHINE] = g_param_spec_boolean ("this-machine", NULL, NULL, FALSE, ro);
  /**
   * LbBackup:format-version:
   *
   * The version of the backup's file format; 0 when the service does not
   * say.
   *
   * Since: 0.2
   */
  props[PROP_FORMAT_VERSION]
      = g_param_spec_uint ("format-version", NULL, NULL, 0, G_MAXUINT, 0, ro);
  /**
   * LbBackup:verified:
   *
   * When the backup was last verified (unix seconds); 0 if never.
   *
   * Since: 0.2
   */
  props[PROP_VERIFIED] = g_param_spec_int64 ("verified", NULL, NULL, G_MININT64, G_MAXINT64, 0, ro);
  /**
   * LbBackup:verify-error:
   *
   * Why the last verification failed; "" when the backup was whole or
   * never checked.
   *
   * Since: 0.2
   */
  props[PROP_VERIFY_ERROR] = g_param_spec_string ("verify-error", NULL, NULL, "", ro);
  /**
   * LbBackup:encrypted:
   *
   * Whether the backup is encrypted: restoring or checking it needs its
   * passphrase; %FALSE when the service does not say.
   *
   * Since: 0.2
   */
  props[PROP_ENCRYPTED] = g_param_spec_boolean ("encrypted", NULL, NULL, FALSE, ro);
  /**
   * LbBackup:passphrase-era:
   *
   * Which of the passphrases set on this computer encrypted the backup (1
   * for the first, counting up); 0 when it is not encrypted or the service
   * does not know.
   *
   * Since: 0.2
   */
  props[PROP_PASSPHRASE_ERA]
      = g_param_spec_uint ("passphrase-era", NULL, NULL, 0, G_MAXUINT, 0, ro);
  g_object_class_install_properties (object_class, N_PROPS, props);
}

static void
lb_backup_init (LbBackup *self)
{
  self->name = g_strdup ("");
  self->host = g_strdup ("");
  self->machine = g_strdup ("");
  self->verify_error = g_strdup ("");
}
