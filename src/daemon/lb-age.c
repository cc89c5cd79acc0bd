/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "lb-age.h"

#include <glib/gi18n.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "license-backup/lb-error.h"

/* The age v1 specification's constants. */
#define FILE_KEY_LEN 16
#define KEY_LEN 32 /* ChaCha20-Poly1305 keys, HMAC-SHA-256 outputs */
#define TAG_LEN 16
#define SALT_LEN 16
#define NONCE_LEN 16 /* the payload nonce after the header */
#define CHUNK_LEN 65536
#define ENC_CHUNK_LEN (CHUNK_LEN + TAG_LEN)
#define SCRYPT_LABEL "age-encryption.org/v1/scrypt"
#define SCRYPT_R 8
#define SCRYPT_P 1
#define BODY_COLUMNS 64

/* Far more than a scrypt header needs (about 150 bytes); a bound, so that
 * a hostile file cannot make the reader buffer without end. */
#define HEADER_MAX (16 * 1024)

static void
ensure_sodium (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done))
    {
      if (sodium_init () < 0)
        g_error ("libsodium cannot be initialised");
      g_once_init_leave (&done, 1);
    }
}

/* Locked, guarded memory for a secret, wiped by sodium_free(). */
static guint8 *
secret_new (gsize len)
{
  guint8 *p;

  ensure_sodium ();
  p = sodium_malloc (len);
  if (p == NULL)
    g_error ("cannot allocate %" G_GSIZE_FORMAT " bytes of locked memory", len);
  return p;
}

static void
secret_free (guint8 *p)
{
  if (p != NULL)
    sodium_free (p);
}

static void
set_corrupt (GError **error, const char *detail)
{
  g_set_error (error, LB_ERROR, LB_ERROR_BACKUP_CORRUPT,
               _ ("The encrypted backup is damaged or is not a valid encrypted backup (%s). "
                  "Make a new backup, or restore from another copy"),
               detail);
}

gboolean
lb_age_sniff (const guint8 *data, gsize len)
{
  return len >= LB_AGE_MAGIC_LEN && memcmp (data, LB_AGE_MAGIC, LB_AGE_MAGIC_LEN) == 0;
}

/* HKDF-SHA-256 (RFC 5869) giving one 32-byte block, as age uses it. */
static void
hkdf_sha256 (const guint8 *salt,
             gsize salt_len,
             const guint8 *ikm,
             gsize ikm_len,
             const char *info,
             guint8 *out)
{
  crypto_auth_hmacsha256_state st;
  guint8 prk[KEY_LEN];
  const guint8 one = 1;

  /* An empty salt is HMAC's all-zero key; libsodium wants a pointer. */
  crypto_auth_hmacsha256_init (&st, salt != NULL ? salt : (const guint8 *) "", salt_len);
  crypto_auth_hmacsha256_update (&st, ikm, ikm_len);
  crypto_auth_hmacsha256_final (&st, prk);
  crypto_auth_hmacsha256_init (&st, prk, sizeof prk);
  crypto_auth_hmacsha256_update (&st, (const guint8 *) info, strlen (info));
  crypto_auth_hmacsha256_update (&st, &one, 1);
  crypto_auth_hmacsha256_final (&st, out);
  sodium_memzero (prk, sizeof prk);
  sodium_memzero (&st, sizeof st);
}

static void
header_mac (const guint8 *file_key, const guint8 *header, gsize len, guint8 *mac)
{
  guint8 *key = secret_new (KEY_LEN);

  hkdf_sha256 (NULL, 0, file_key, FILE_KEY_LEN, "header", key);
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init (&st, key, KEY_LEN);
  crypto_auth_hmacsha256_update (&st, header, len);
  crypto_auth_hmacsha256_final (&st, mac);
  sodium_memzero (&st, sizeof st);
  secret_free (key);
}

/* The STREAM nonce: an 11-byte big-endian counter, then the last-chunk
 * flag. */
static void
chunk_nonce (guint64 counter, gboolean last, guint8 *nonce)
{
  memset (nonce, 0, crypto_aead_chacha20poly1305_ietf_NPUBBYTES);
  for (int i = 0; i < 8; i++)
    nonce[10 - i] = (guint8) (counter >> (8 * i));
  nonce[11] = last ? 1 : 0;
}

/* Base64 as age writes it: the standard alphabet, no padding, canonical
 * (no stray bits); FALSE for anything else. */
static gboolean
b64_decode (const char *text, gsize len, guint8 *out, gsize out_max, gsize *out_len)
{
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (text[i]) && text[i] != '+' && text[i] != '/')
      return FALSE;
  return sodium_base642bin (out, out_max, text, len, NULL, out_len, NULL,
                            sodium_base64_VARIANT_ORIGINAL_NO_PADDING)
         == 0;
}

static char *
b64_encode (const guint8 *data, gsize len)
{
  gsize size = sodium_base64_ENCODED_LEN (len, sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
  char *s = g_malloc (size);

  sodium_bin2base64 (s, size, data, len, sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
  return s;
}

/* Passphrase */

struct _LbAgePassphrase
{
  guint8 *secret; /* the passphrase, then the wrap key of the last salt */
  gsize len;
  gboolean cached;
  guint8 salt[SALT_LEN];
  guint work_factor;
};

LbAgePassphrase *
lb_age_passphrase_new (const char *passphrase, gsize len)
{
  LbAgePassphrase *p;

  g_return_val_if_fail (passphrase != NULL && len > 0, NULL);
  p = g_new0 (LbAgePassphrase, 1);
  p->secret = secret_new (len + KEY_LEN);
  memcpy (p->secret, passphrase, len);
  p->len = len;
  return p;
}

void
lb_age_passphrase_free (LbAgePassphrase *p)
{
  if (p == NULL)
    return;
  secret_free (p->secret);
  g_free (p);
}

const guint8 *
lb_age_passphrase_get_bytes (LbAgePassphrase *p, gsize *len)
{
  *len = p->len;
  return p->secret;
}

gboolean
lb_age_passphrase_equal (LbAgePassphrase *a, LbAgePassphrase *b)
{
  return a->len == b->len && sodium_memcmp (a->secret, b->secret, a->len) == 0;
}

/* The scrypt stanza's wrap key for @salt and @work_factor: derived, or the
 * last one again. Points into @p. */
static const guint8 *
passphrase_wrap_key (LbAgePassphrase *p, const guint8 *salt, guint work_factor, GError **error)
{
  guint8 label_salt[sizeof SCRYPT_LABEL - 1 + SALT_LEN];
  guint8 *key = p->secret + p->len;

  if (p->cached && p->work_factor == work_factor && memcmp (p->salt, salt, SALT_LEN) == 0)
    return key;
  p->cached = FALSE;
  memcpy (label_salt, SCRYPT_LABEL, sizeof SCRYPT_LABEL - 1);
  memcpy (label_salt + sizeof SCRYPT_LABEL - 1, salt, SALT_LEN);
  if (crypto_pwhash_scryptsalsa208sha256_ll (p->secret, p->len, label_salt, sizeof label_salt,
                                             (guint64) 1 << work_factor, SCRYPT_R, SCRYPT_P, key,
                                             KEY_LEN)
      != 0)
    {
      /* Only the allocation can fail. */
      g_set_error (error, LB_ERROR, LB_ERROR_FAILED,
                   _ ("Not enough memory to derive the key of an encrypted backup (%u MiB)"),
                   1u << (work_factor - 10));
      return NULL;
    }
  memcpy (p->salt, salt, SALT_LEN);
  p->work_factor = work_factor;
  p->cached = TRUE;
  return key;
}

/* The header */

typedef struct
{
  GStrv args; /* args[0] is the type */
  guint8 *body;
  gsize body_len;
} Stanza;

static void
stanza_free (gpointer data)
{
  Stanza *s = data;

  g_strfreev (s->args);
  g_free (s->body);
  g_free (s);
}

typedef struct
{
  GPtrArray *stanzas;
  gsize mac_covers; /* the bytes the MAC covers: up to and including "---" */
  guint8 mac[KEY_LEN];
  gsize len; /* the header's bytes, its last newline included */
  const Stanza *scrypt;
  guint8 salt[SALT_LEN];
  guint work_factor;
} Header;

static void
header_clear (Header *h)
{
  g_clear_pointer (&h->stanzas, g_ptr_array_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Header, header_clear)

/* The length of the header at the start of @data (through the MAC line's
 * newline), or 0 while it is not complete. */
static gsize
header_end (const guint8 *data, gsize len)
{
  gsize p = 0;

  while (p < len)
    {
      const guint8 *nl = memchr (data + p, '\n', len - p);

      if (nl == NULL)
        return 0;
      if (len - p >= 3 && memcmp (data + p, "---", 3) == 0)
        return (gsize) (nl - data) + 1;
      p = (gsize) (nl - data) + 1;
    }
  return 0;
}

static gboolean
is_vchar_arg (const char *s)
{
  if (*s == '\0')
    return FALSE;
  for (; *s != '\0'; s++)
    if (*s < 0x21 || *s > 0x7e)
      return FALSE;
  return TRUE;
}

/* The scrypt stanza's rules (docs/backup-format.md): alone, a salt of 16
 * bytes, a decimal work factor without leading zeros up to the maximum,
 * a wrapped key of 32 bytes. */
static gboolean
check_scrypt (Header *h, GError **error)
{
  const Stanza *s = NULL;
  gsize salt_len;
  const char *wf;

  for (guint i = 0; i < h->stanzas->len; i++)
    {
      const Stanza *t = g_ptr_array_index (h->stanzas, i);

      if (g_strcmp0 (t->args[0], "scrypt") == 0)
        s = t;
    }
  if (s == NULL)
    return TRUE;
  if (h->stanzas->len != 1)
    {
      set_corrupt (error, _ ("a passphrase stanza that is not alone"));
      return FALSE;
    }
  if (g_strv_length (s->args) != 3
      || !b64_decode (s->args[1], strlen (s->args[1]), h->salt, sizeof h->salt, &salt_len)
      || salt_len != SALT_LEN || s->body_len != FILE_KEY_LEN + TAG_LEN)
    {
      set_corrupt (error, _ ("a bad passphrase stanza"));
      return FALSE;
    }
  wf = s->args[2];
  if (wf[0] < '1' || wf[0] > '9' || strspn (wf, "0123456789") != strlen (wf))
    {
      set_corrupt (error, _ ("a bad work factor"));
      return FALSE;
    }
  if (strlen (wf) > 2 || atoi (wf) > LB_AGE_WORK_FACTOR_MAX)
    {
      g_autofree char *detail = g_strdup_printf (
          _ ("a work factor above %u, the most this service accepts"), LB_AGE_WORK_FACTOR_MAX);
      set_corrupt (error, detail);
      return FALSE;
    }
  h->work_factor = (guint) atoi (wf);
  h->scrypt = s;
  return TRUE;
}

/* Parses the complete header in @data[0..@len) (header_end's @len), the
 * syntax of the specification's section "Header". */
static gboolean
header_parse (const guint8 *data, gsize len, Header *h, GError **error)
{
  const char *text = (const char *) data;
  gsize p = 0;

  h->stanzas = g_ptr_array_new_with_free_func (stanza_free);
  h->len = len;
  if (len < LB_AGE_MAGIC_LEN || memcmp (text, LB_AGE_MAGIC, LB_AGE_MAGIC_LEN) != 0)
    goto bad;
  p = LB_AGE_MAGIC_LEN;
  while (p < len)
    {
      const char *line = text + p;
      gsize line_len = (gsize) ((const char *) memchr (line, '\n', len - p) - line);

      if (line_len >= 3 && memcmp (line, "---", 3) == 0)
        {
          gsize mac_len;

          if (h->stanzas->len == 0 || line_len != 4 + 43 || line[3] != ' '
              || !b64_decode (line + 4, 43, h->mac, sizeof h->mac, &mac_len) || mac_len != KEY_LEN
              || p + line_len + 1 != len)
            goto bad;
          h->mac_covers = p + 3;
          return check_scrypt (h, error);
        }
      if (line_len < 3 || memcmp (line, "-> ", 3) != 0)
        goto bad;

      g_autoptr (GString) body = g_string_new (NULL);
      g_autofree char *args_text = g_strndup (line + 3, line_len - 3);
      Stanza *s = g_new0 (Stanza, 1);

      g_ptr_array_add (h->stanzas, s);
      if (strlen (args_text) != line_len - 3)
        goto bad; /* a NUL */
      s->args = g_strsplit (args_text, " ", -1);
      if (s->args[0] == NULL)
        goto bad;
      for (guint i = 0; s->args[i] != NULL; i++)
        if (!is_vchar_arg (s->args[i]))
          goto bad;
      /* Body lines of 64 columns, ended by a shorter one (maybe empty). */
      p += line_len + 1;
      for (;;)
        {
          const char *b = text + p;
          const char *nl = p < len ? memchr (b, '\n', len - p) : NULL;

          if (nl == NULL || nl - b > BODY_COLUMNS)
            goto bad;
          g_string_append_len (body, b, nl - b);
          p += (gsize) (nl - b) + 1;
          if (nl - b < BODY_COLUMNS)
            break;
        }
      s->body = g_malloc (body->len * 3 / 4 + 1);
      if (!b64_decode (body->str, body->len, s->body, body->len * 3 / 4 + 1, &s->body_len))
        goto bad;
    }
bad:
  set_corrupt (error, _ ("a bad header"));
  return FALSE;
}

gboolean
lb_age_check_header (const guint8 *data, gsize len, GError **error)
{
  g_auto (Header) h = { 0 };
  gsize end = header_end (data, MIN (len, HEADER_MAX));

  if (end == 0)
    {
      set_corrupt (error, _ ("an incomplete header"));
      return FALSE;
    }
  if (!header_parse (data, end, &h, error))
    return FALSE;
  if (len - end < NONCE_LEN)
    {
      set_corrupt (error, _ ("an incomplete header"));
      return FALSE;
    }
  return TRUE;
}

/* Decryption */

struct _LbAgeDecryptStream
{
  GFilterInputStream parent;
  guint8 *key;   /* the payload key (secret) */
  guint8 *plain; /* the current chunk (secret too: it is the backup) */
  gsize plain_pos;
  gsize plain_len;
  guint8 *enc; /* ciphertext read ahead: a chunk and one byte */
  gsize enc_len;
  guint64 counter;
  gboolean done; /* the final chunk was released */
  /* Damage found after an authentic chunk, which is released first (as
   * the reference implementation does): reported at the next read. */
  const char *pending;
  gboolean failed;
};

#define LB_TYPE_AGE_DECRYPT_STREAM (lb_age_decrypt_stream_get_type ())
G_DECLARE_FINAL_TYPE (
    LbAgeDecryptStream, lb_age_decrypt_stream, LB, AGE_DECRYPT_STREAM, GFilterInputStream)
G_DEFINE_TYPE (LbAgeDecryptStream, lb_age_decrypt_stream, G_TYPE_FILTER_INPUT_STREAM)

static gboolean
decrypt_chunk (LbAgeDecryptStream *d, gsize enc_len, gboolean last)
{
  guint8 nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES];
  unsigned long long plain_len = 0;

  if (enc_len < TAG_LEN)
    return FALSE;
  chunk_nonce (d->counter, last, nonce);
  if (crypto_aead_chacha20poly1305_ietf_decrypt (d->plain, &plain_len, NULL, d->enc, enc_len, NULL,
                                                 0, nonce, d->key)
      != 0)
    return FALSE;
  d->plain_pos = 0;
  d->plain_len = (gsize) plain_len;
  return TRUE;
}

/* Reads, authenticates and decrypts the next chunk into d->plain. */
static gboolean
next_chunk (LbAgeDecryptStream *d, GCancellable *cancellable, GError **error)
{
  GInputStream *base = G_FILTER_INPUT_STREAM (d)->base_stream;
  gsize got = 0;
  g_autofree char *detail = NULL;

  if (d->pending != NULL)
    {
      set_corrupt (error, d->pending);
      return FALSE;
    }
  /* One byte more than a chunk tells whether this chunk is the last. */
  if (!g_input_stream_read_all (base, d->enc + d->enc_len, ENC_CHUNK_LEN + 1 - d->enc_len, &got,
                                cancellable, error))
    return FALSE;
  d->enc_len += got;
  if (d->enc_len == ENC_CHUNK_LEN + 1)
    {
      if (decrypt_chunk (d, ENC_CHUNK_LEN, FALSE))
        {
          d->enc[0] = d->enc[ENC_CHUNK_LEN];
          d->enc_len = 1;
          d->counter++;
          return TRUE;
        }
      /* A whole final chunk with data after it. */
      if (decrypt_chunk (d, ENC_CHUNK_LEN, TRUE))
        {
          d->pending = _ ("data after the end of the encrypted data");
          return TRUE;
        }
    }
  else if (decrypt_chunk (d, d->enc_len, TRUE))
    {
      /* Only an empty payload ends with an empty chunk. */
      if (d->plain_len == 0 && d->counter > 0)
        {
          set_corrupt (error, _ ("an empty final chunk"));
          return FALSE;
        }
      d->done = TRUE;
      return TRUE;
    }
  else if (d->enc_len == ENC_CHUNK_LEN && decrypt_chunk (d, ENC_CHUNK_LEN, FALSE))
    {
      /* A whole chunk that is not the final one, then the end. */
      d->pending = _ ("the encrypted data ends before its final chunk");
      return TRUE;
    }
  if (d->enc_len < TAG_LEN)
    detail = g_strdup (_ ("the encrypted data ends too early"));
  else
    {
      g_autofree char *chunk = g_strdup_printf ("%" G_GUINT64_FORMAT, d->counter + 1);

      detail = g_strdup_printf (
          _ ("the encrypted data does not authenticate at chunk %s, or ends before its final "
             "chunk"),
          chunk);
    }
  set_corrupt (error, detail);
  return FALSE;
}

static gssize
decrypt_read (
    GInputStream *stream, void *buffer, gsize count, GCancellable *cancellable, GError **error)
{
  LbAgeDecryptStream *d = LB_AGE_DECRYPT_STREAM (stream);
  gsize n;

  if (d->failed)
    {
      set_corrupt (error, _ ("a chunk that did not authenticate"));
      return -1;
    }
  while (d->plain_pos == d->plain_len)
    {
      if (d->done)
        return 0;
      if (!next_chunk (d, cancellable, error))
        {
          /* An I/O error may pass; damage stays. */
          if (error == NULL || (*error)->domain == LB_ERROR)
            d->failed = TRUE;
          return -1;
        }
    }
  n = MIN (count, d->plain_len - d->plain_pos);
  memcpy (buffer, d->plain + d->plain_pos, n);
  d->plain_pos += n;
  return (gssize) n;
}

static void
lb_age_decrypt_stream_finalize (GObject *object)
{
  LbAgeDecryptStream *d = LB_AGE_DECRYPT_STREAM (object);

  secret_free (d->key);
  secret_free (d->plain);
  g_free (d->enc);
  G_OBJECT_CLASS (lb_age_decrypt_stream_parent_class)->finalize (object);
}

static void
lb_age_decrypt_stream_class_init (LbAgeDecryptStreamClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = lb_age_decrypt_stream_finalize;
  G_INPUT_STREAM_CLASS (klass)->read_fn = decrypt_read;
}

static void
lb_age_decrypt_stream_init (LbAgeDecryptStream *d)
{
  d->key = secret_new (KEY_LEN);
  d->plain = secret_new (CHUNK_LEN);
  d->enc = g_malloc (ENC_CHUNK_LEN + 1);
}

/* Reads the header and the nonce into @buf (at least HEADER_MAX +
 * NONCE_LEN bytes); *@len is how much was read, maybe more than the
 * header. Returns the header's length, 0 on an error. */
static gsize
read_header (GInputStream *base, guint8 *buf, gsize *len, GCancellable *cancellable, GError **error)
{
  gsize end = 0;

  *len = 0;
  while (end == 0 || *len < end + NONCE_LEN)
    {
      gsize got = 0;
      gsize want = end == 0 ? MIN (1024, HEADER_MAX - *len) : end + NONCE_LEN - *len;

      if (want == 0)
        {
          set_corrupt (error, _ ("a bad header"));
          return 0;
        }
      if (!g_input_stream_read_all (base, buf + *len, want, &got, cancellable, error))
        return 0;
      *len += got;
      if (end == 0)
        end = header_end (buf, *len);
      if (got < want)
        break;
    }
  if (end == 0 || *len < end + NONCE_LEN)
    {
      /* The magic line tells whether this is age at all. */
      set_corrupt (error, lb_age_sniff (buf, *len) || *len < LB_AGE_MAGIC_LEN
                              ? _ ("an incomplete header")
                              : _ ("not an encrypted backup"));
      return 0;
    }
  return end;
}

static GInputStream *
decrypt_open (GInputStream *base,
              LbAgePassphrase *passphrase,
              const guint8 *given_key,
              GCancellable *cancellable,
              GError **error)
{
  g_autofree guint8 *buf = g_malloc (HEADER_MAX + NONCE_LEN);
  g_auto (Header) h = { 0 };
  g_autoptr (LbAgeDecryptStream) d = NULL;
  guint8 *file_key = NULL;
  guint8 mac[KEY_LEN];
  gsize len, end;
  gboolean mac_ok;

  ensure_sodium ();
  end = read_header (base, buf, &len, cancellable, error);
  if (end == 0 || !header_parse (buf, end, &h, error))
    return NULL;
  file_key = secret_new (FILE_KEY_LEN);
  if (given_key != NULL)
    memcpy (file_key, given_key, FILE_KEY_LEN);
  else
    {
      guint8 nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES] = { 0 };
      const guint8 *wrap_key;
      unsigned long long key_len = 0;

      if (h.scrypt == NULL)
        {
          secret_free (file_key);
          set_corrupt (error, _ ("it is not encrypted with a passphrase"));
          return NULL;
        }
      wrap_key = passphrase_wrap_key (passphrase, h.salt, h.work_factor, error);
      if (wrap_key == NULL
          || crypto_aead_chacha20poly1305_ietf_decrypt (file_key, &key_len, NULL, h.scrypt->body,
                                                        h.scrypt->body_len, NULL, 0, nonce,
                                                        wrap_key)
                 != 0)
        {
          secret_free (file_key);
          if (wrap_key != NULL)
            g_set_error (error, LB_ERROR, LB_ERROR_BAD_PASSPHRASE,
                         _ ("The passphrase does not open this encrypted backup"));
          return NULL;
        }
    }
  header_mac (file_key, buf, h.mac_covers, mac);
  mac_ok = crypto_verify_32 (mac, h.mac) == 0;
  if (!mac_ok)
    {
      secret_free (file_key);
      set_corrupt (error, _ ("its header does not authenticate"));
      return NULL;
    }
  /* Made only now: dropping it would close @base. */
  d = g_object_new (LB_TYPE_AGE_DECRYPT_STREAM, "base-stream", base, NULL);
  hkdf_sha256 (buf + end, NONCE_LEN, file_key, FILE_KEY_LEN, "payload", d->key);
  secret_free (file_key);
  d->enc_len = len - end - NONCE_LEN;
  memcpy (d->enc, buf + end + NONCE_LEN, d->enc_len);
  return G_INPUT_STREAM (g_steal_pointer (&d));
}

GInputStream *
lb_age_decrypt_stream_new (GInputStream *base,
                           LbAgePassphrase *passphrase,
                           GCancellable *cancellable,
                           GError **error)
{
  g_return_val_if_fail (G_IS_INPUT_STREAM (base) && passphrase != NULL, NULL);
  return decrypt_open (base, passphrase, NULL, cancellable, error);
}

GInputStream *
lb_age_decrypt_stream_new_with_file_key (GInputStream *base,
                                         const guint8 *file_key,
                                         GCancellable *cancellable,
                                         GError **error)
{
  g_return_val_if_fail (G_IS_INPUT_STREAM (base) && file_key != NULL, NULL);
  return decrypt_open (base, NULL, file_key, cancellable, error);
}

/* Encryption */

struct _LbAgeEncryptStream
{
  GFilterOutputStream parent;
  GBytes *header; /* written before the first chunk */
  guint8 *key;    /* the payload key */
  guint8 *plain;  /* the chunk being filled */
  gsize plain_len;
  guint8 *enc;
  guint64 counter;
  gboolean failed;
  gboolean disposing;
};

#define LB_TYPE_AGE_ENCRYPT_STREAM (lb_age_encrypt_stream_get_type ())
G_DECLARE_FINAL_TYPE (
    LbAgeEncryptStream, lb_age_encrypt_stream, LB, AGE_ENCRYPT_STREAM, GFilterOutputStream)
G_DEFINE_TYPE (LbAgeEncryptStream, lb_age_encrypt_stream, G_TYPE_FILTER_OUTPUT_STREAM)

/* Writes the header if not yet, then the chunk in e->plain. */
static gboolean
write_chunk (LbAgeEncryptStream *e, gboolean last, GCancellable *cancellable, GError **error)
{
  GOutputStream *base = G_FILTER_OUTPUT_STREAM (e)->base_stream;
  guint8 nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES];
  unsigned long long enc_len = 0;

  if (e->header != NULL)
    {
      g_autoptr (GBytes) header = g_steal_pointer (&e->header);

      if (!g_output_stream_write_all (base, g_bytes_get_data (header, NULL),
                                      g_bytes_get_size (header), NULL, cancellable, error))
        return FALSE;
    }
  chunk_nonce (e->counter, last, nonce);
  crypto_aead_chacha20poly1305_ietf_encrypt (e->enc, &enc_len, e->plain, e->plain_len, NULL, 0,
                                             NULL, nonce, e->key);
  e->counter++;
  e->plain_len = 0;
  return g_output_stream_write_all (base, e->enc, (gsize) enc_len, NULL, cancellable, error);
}

static gssize
encrypt_write (GOutputStream *stream,
               const void *buffer,
               gsize count,
               GCancellable *cancellable,
               GError **error)
{
  LbAgeEncryptStream *e = LB_AGE_ENCRYPT_STREAM (stream);
  const guint8 *p = buffer;
  gsize left = count;

  if (e->failed)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                           _ ("An earlier write of the encrypted backup failed"));
      return -1;
    }
  while (left > 0)
    {
      gsize n;

      /* A full chunk goes out only when more data follows: the final
       * chunk, marked as such, is written at close. */
      if (e->plain_len == CHUNK_LEN && !write_chunk (e, FALSE, cancellable, error))
        {
          e->failed = TRUE;
          return -1;
        }
      n = MIN (left, CHUNK_LEN - e->plain_len);
      memcpy (e->plain + e->plain_len, p, n);
      e->plain_len += n;
      p += n;
      left -= n;
    }
  return (gssize) count;
}

static gboolean
encrypt_close (GOutputStream *stream, GCancellable *cancellable, GError **error)
{
  LbAgeEncryptStream *e = LB_AGE_ENCRYPT_STREAM (stream);

  /* Dropped without a close (GOutputStream's dispose closes): no final
   * chunk, and the base stream is its owner's to close or discard. */
  if (e->disposing)
    return TRUE;
  if (!e->failed && !write_chunk (e, TRUE, cancellable, error))
    {
      e->failed = TRUE;
      G_OUTPUT_STREAM_CLASS (lb_age_encrypt_stream_parent_class)
          ->close_fn (stream, cancellable, NULL);
      return FALSE;
    }
  return G_OUTPUT_STREAM_CLASS (lb_age_encrypt_stream_parent_class)
      ->close_fn (stream, cancellable, error);
}

static void
lb_age_encrypt_stream_dispose (GObject *object)
{
  LB_AGE_ENCRYPT_STREAM (object)->disposing = TRUE;
  G_OBJECT_CLASS (lb_age_encrypt_stream_parent_class)->dispose (object);
}

static void
lb_age_encrypt_stream_finalize (GObject *object)
{
  LbAgeEncryptStream *e = LB_AGE_ENCRYPT_STREAM (object);

  g_clear_pointer (&e->header, g_bytes_unref);
  secret_free (e->key);
  secret_free (e->plain);
  g_free (e->enc);
  G_OBJECT_CLASS (lb_age_encrypt_stream_parent_class)->finalize (object);
}

static void
lb_age_encrypt_stream_class_init (LbAgeEncryptStreamClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = lb_age_encrypt_stream_dispose;
  G_OBJECT_CLASS (klass)->finalize = lb_age_encrypt_stream_finalize;
  G_OUTPUT_STREAM_CLASS (klass)->write_fn = encrypt_write;
  G_OUTPUT_STREAM_CLASS (klass)->close_fn = encrypt_close;
}

static void
lb_age_encrypt_stream_init (LbAgeEncryptStream *e)
{
  e->key = secret_new (KEY_LEN);
  e->plain = secret_new (CHUNK_LEN);
  e->enc = g_malloc (ENC_CHUNK_LEN);
}

GOutputStream *
lb_age_encrypt_stream_new (GOutputStream *base,
                           LbAgePassphrase *passphrase,
                           guint work_factor,
                           GError **error)
{
  g_autoptr (LbAgeEncryptStream) e = NULL;
  g_autoptr (GString) header = g_string_new (LB_AGE_MAGIC);
  guint8 salt[SALT_LEN], body[FILE_KEY_LEN + TAG_LEN], mac[KEY_LEN], nonce[NONCE_LEN];
  guint8 zero_nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES] = { 0 };
  g_autofree char *salt_b64 = NULL, *body_b64 = NULL, *mac_b64 = NULL;
  const guint8 *wrap_key;
  guint8 *file_key;

  g_return_val_if_fail (G_IS_OUTPUT_STREAM (base) && passphrase != NULL, NULL);
  g_return_val_if_fail (work_factor >= 1 && work_factor <= LB_AGE_WORK_FACTOR_MAX, NULL);
  ensure_sodium ();
  randombytes_buf (salt, sizeof salt);
  wrap_key = passphrase_wrap_key (passphrase, salt, work_factor, error);
  if (wrap_key == NULL)
    return NULL;
  file_key = secret_new (FILE_KEY_LEN);
  randombytes_buf (file_key, FILE_KEY_LEN);
  crypto_aead_chacha20poly1305_ietf_encrypt (body, NULL, file_key, FILE_KEY_LEN, NULL, 0, NULL,
                                             zero_nonce, wrap_key);
  salt_b64 = b64_encode (salt, sizeof salt);
  body_b64 = b64_encode (body, sizeof body); /* 43 columns: one final line */
  g_string_append_printf (header, "-> scrypt %s %u\n%s\n---", salt_b64, work_factor, body_b64);
  header_mac (file_key, (const guint8 *) header->str, header->len, mac);
  mac_b64 = b64_encode (mac, sizeof mac);
  g_string_append_printf (header, " %s\n", mac_b64);
  randombytes_buf (nonce, sizeof nonce);
  g_string_append_len (header, (const char *) nonce, sizeof nonce);

  e = g_object_new (LB_TYPE_AGE_ENCRYPT_STREAM, "base-stream", base, NULL);
  hkdf_sha256 (nonce, sizeof nonce, file_key, FILE_KEY_LEN, "payload", e->key);
  secret_free (file_key);
  e->header = g_string_free_to_bytes (g_steal_pointer (&header));
  return G_OUTPUT_STREAM (g_steal_pointer (&e));
}
