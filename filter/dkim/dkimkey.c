/*
 * dkimkey.c - DKIM private keys on OpenSSL 3 (EVP API only).
 *
 * Owns: dkimkey_load(), dkimkey_from_data(), dkimkey_generate(),
 * dkimkey_write_pem(), dkimkey_public_record(), dkimkey_free() and the
 * accessors dkimkey_type(), dkimkey_bits(), dkimkey_type_name(),
 * dkimkey_pem(), dkimkey_pem_len().
 *
 * A key file is checked in this order, each failure a one-line message
 * that names the file: it can be opened; it is a regular file; neither
 * group nor others may read or write it; it is at most DKIMKEY_FILE_MAX
 * bytes and not empty; it parses as a private key (PEM "PRIVATE KEY" or
 * "RSA PRIVATE KEY", DER, or base64 DER); it is RSA or Ed25519; an RSA key
 * has at least DKIMKEY_RSA_MIN_BITS.  The key is then kept re-encoded as
 * PKCS#8 PEM, the form libopendkim's dkim_sign() takes for both types
 * (it base64-decodes only text starting "MII", which an Ed25519 DER key
 * never does).  Every buffer that held key material is wiped with
 * OPENSSL_cleanse() before it is freed.
 *
 * Must not: include libopendkim or libmilter headers, log, exit, call the
 * deprecated RSA_* functions, prompt for a passphrase, or hand-code base64.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/buffer.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "dkim/dkimkey.h"
#include "common/secretfile.h"
#include "base/mem.h"

#define DK_ED25519_RAW	32	/* octets of an Ed25519 public key */

struct dkimkey {
	EVP_PKEY	*pkey;
	int		 type;		/* DKIMKEY_RSA, ..._ED25519 */
	int		 bits;
	char		*pem;		/* PKCS#8 PEM with a NUL */
	size_t		 pemlen;
};

__attribute__((format(printf, 3, 4)))
static void
dk_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Never prompt: an encrypted key is refused before it gets here. */
static int
dk_nopass(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

static int
dk_contains(const unsigned char *buf, size_t len, const char *s)
{
	size_t i, n = strlen(s);

	for (i = 0; n <= len && i <= len - n; i++)
		if (memcmp(buf + i, s, n) == 0)
			return 1;
	return 0;
}

static int
dk_blank(const unsigned char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i] != ' ' && buf[i] != '\t' && buf[i] != '\r' &&
		    buf[i] != '\n')
			return 0;
	return 1;
}

/* DER, whole input: a private key, or NULL (*pub set if a public key). */
static EVP_PKEY *
dk_der(const unsigned char *der, size_t len, int *pub)
{
	const unsigned char *p = der;
	EVP_PKEY *pkey;

	if (len == 0 || len > DKIMKEY_FILE_MAX)
		return NULL;
	pkey = d2i_AutoPrivateKey(NULL, &p, (long)len);
	if (pkey != NULL && p != der + len) {
		EVP_PKEY_free(pkey);		/* trailing bytes */
		pkey = NULL;
	}
	if (pkey == NULL) {
		p = der;
		if ((pkey = d2i_PUBKEY(NULL, &p, (long)len)) != NULL) {
			*pub = 1;
			EVP_PKEY_free(pkey);
			pkey = NULL;
		}
	}
	return pkey;
}

/* Base64 DER (whitespace allowed), decoded by OpenSSL. */
static EVP_PKEY *
dk_base64_der(const unsigned char *data, size_t len, int *pub)
{
	EVP_ENCODE_CTX *ctx;
	unsigned char *der;
	EVP_PKEY *pkey = NULL;
	int n1 = 0, n2 = 0;
	size_t cap = len + 4;

	if ((ctx = EVP_ENCODE_CTX_new()) == NULL)
		return NULL;
	der = mem_alloc(cap);
	EVP_DecodeInit(ctx);
	if (EVP_DecodeUpdate(ctx, der, &n1, data, (int)len) >= 0 &&
	    EVP_DecodeFinal(ctx, der + n1, &n2) == 1 && n1 + n2 > 0)
		pkey = dk_der(der, (size_t)(n1 + n2), pub);
	EVP_ENCODE_CTX_free(ctx);
	OPENSSL_cleanse(der, cap);
	free(der);
	return pkey;
}

static EVP_PKEY *
dk_pem(const unsigned char *data, size_t len, int *pub)
{
	EVP_PKEY *pkey;
	BIO *bio;

	if ((bio = BIO_new_mem_buf(data, (int)len)) == NULL)
		return NULL;
	pkey = PEM_read_bio_PrivateKey(bio, NULL, dk_nopass, NULL);
	BIO_free(bio);
	if (pkey == NULL && dk_contains(data, len, "PUBLIC KEY-----"))
		*pub = 1;
	return pkey;
}

/* Parse key text or bytes into an EVP_PKEY, or NULL with err set. */
static EVP_PKEY *
dk_parse(const unsigned char *data, size_t len, const char *name, char *err,
    size_t errlen)
{
	EVP_PKEY *pkey = NULL;
	int pub = 0;

	if (len == 0 || dk_blank(data, len)) {
		dk_err(err, errlen, "%s: empty, not a private key", name);
		return NULL;
	}
	if (dk_contains(data, len, "-----BEGIN ")) {
		if (dk_contains(data, len, "BEGIN ENCRYPTED PRIVATE KEY") ||
		    dk_contains(data, len, "Proc-Type: 4,ENCRYPTED")) {
			dk_err(err, errlen, "%s: an encrypted private key; "
			    "repguard needs it unencrypted", name);
			return NULL;
		}
		if (dk_contains(data, len, "OPENSSH PRIVATE KEY")) {
			dk_err(err, errlen, "%s: an OpenSSH private key, not "
			    "a PEM private key", name);
			return NULL;
		}
		pkey = dk_pem(data, len, &pub);
	} else if ((pkey = dk_der(data, len, &pub)) == NULL && !pub)
		pkey = dk_base64_der(data, len, &pub);
	ERR_clear_error();
	if (pkey == NULL) {
		if (pub)
			dk_err(err, errlen, "%s: not a private key (it holds "
			    "a public key)", name);
		else
			dk_err(err, errlen, "%s: not a private key (expected "
			    "PEM \"PRIVATE KEY\" or \"RSA PRIVATE KEY\", DER, "
			    "or base64 DER)", name);
	}
	return pkey;
}

/* Check type and size, keep the PEM form; takes over pkey. */
static DKIMKEY *
dk_wrap(EVP_PKEY *pkey, const char *name, char *err, size_t errlen)
{
	const char *tname;
	DKIMKEY *k;
	BUF_MEM *bm = NULL;
	BIO *bio;
	int type, bits;

	switch (EVP_PKEY_get_base_id(pkey)) {
	case EVP_PKEY_RSA:
		type = DKIMKEY_RSA;
		bits = EVP_PKEY_get_bits(pkey);
		if (bits < DKIMKEY_RSA_MIN_BITS) {
			dk_err(err, errlen, "%s: RSA key of %d bits is too "
			    "short (at least %d, %d recommended)", name, bits,
			    DKIMKEY_RSA_MIN_BITS, DKIMKEY_RSA_WARN_BITS);
			EVP_PKEY_free(pkey);
			return NULL;
		}
		break;
	case EVP_PKEY_ED25519:
		type = DKIMKEY_ED25519;
		bits = 8 * DK_ED25519_RAW;
		break;
	default:
		tname = EVP_PKEY_get0_type_name(pkey);
		dk_err(err, errlen, "%s: %s key; DKIM signing needs an RSA or "
		    "Ed25519 key", name, tname != NULL ? tname : "unknown");
		EVP_PKEY_free(pkey);
		return NULL;
	}

	if ((bio = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL,
	    NULL) != 1 || BIO_get_mem_ptr(bio, &bm) != 1 || bm == NULL ||
	    bm->length == 0) {
		dk_err(err, errlen, "%s: cannot encode the key as PEM", name);
		if (bm != NULL)
			OPENSSL_cleanse(bm->data, bm->length);
		BIO_free(bio);
		EVP_PKEY_free(pkey);
		ERR_clear_error();
		return NULL;
	}
	k = mem_calloc(1, sizeof(*k));
	k->pkey = pkey;
	k->type = type;
	k->bits = bits;
	k->pemlen = bm->length;
	k->pem = mem_alloc(k->pemlen + 1);
	memcpy(k->pem, bm->data, k->pemlen);
	k->pem[k->pemlen] = '\0';
	OPENSSL_cleanse(bm->data, bm->length);
	BIO_free(bio);
	return k;
}

static DKIMKEY *
dk_from_bytes(const unsigned char *data, size_t len, const char *name,
    char *err, size_t errlen)
{
	EVP_PKEY *pkey;

	if ((pkey = dk_parse(data, len, name, err, errlen)) == NULL)
		return NULL;
	return dk_wrap(pkey, name, err, errlen);
}

DKIMKEY *
dkimkey_load(const char *path, char *err, size_t errlen)
{
	unsigned char *buf;
	size_t len;
	DKIMKEY *k;

	if ((buf = secretfile_read(path, DKIMKEY_FILE_MAX, &len, err,
	    errlen)) == NULL)
		return NULL;
	k = dk_from_bytes(buf, len, path, err, errlen);
	secretfile_free(buf);
	return k;
}

DKIMKEY *
dkimkey_from_data(const char *data, size_t len, const char *what, char *err,
    size_t errlen)
{
	if (len > DKIMKEY_FILE_MAX) {
		dk_err(err, errlen, "%s: %zu bytes, more than a key may hold "
		    "(%d)", what, len, DKIMKEY_FILE_MAX);
		return NULL;
	}
	return dk_from_bytes((const unsigned char *)data, len, what, err,
	    errlen);
}

DKIMKEY *
dkimkey_generate(int type, int bits, char *err, size_t errlen)
{
	EVP_PKEY *pkey;

	if (type == DKIMKEY_RSA) {
		if (bits < DKIMKEY_GEN_MIN_BITS ||
		    bits > DKIMKEY_GEN_MAX_BITS) {
			dk_err(err, errlen, "RSA key size %d is outside "
			    "%d to %d", bits, DKIMKEY_GEN_MIN_BITS,
			    DKIMKEY_GEN_MAX_BITS);
			return NULL;
		}
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
	} else if (type == DKIMKEY_ED25519)
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	else {
		dk_err(err, errlen, "unknown key type %d", type);
		return NULL;
	}
	if (pkey == NULL) {
		dk_err(err, errlen, "key generation failed: %s",
		    ERR_reason_error_string(ERR_peek_last_error()) != NULL ?
		    ERR_reason_error_string(ERR_peek_last_error()) :
		    "OpenSSL error");
		ERR_clear_error();
		return NULL;
	}
	return dk_wrap(pkey, "generated key", err, errlen);
}

int
dkimkey_write_pem(const DKIMKEY *key, const char *path, char *err,
    size_t errlen)
{
	size_t off = 0;
	ssize_t n;
	int fd, e;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd == -1) {
		if (errno == EEXIST)
			dk_err(err, errlen, "%s: already exists; not "
			    "overwriting it", path);
		else
			dk_err(err, errlen, "%s: cannot create: %s", path,
			    strerror(errno));
		return -1;
	}
	if (fchmod(fd, 0600) == -1) {		/* whatever the umask */
		e = errno;
		goto fail;
	}
	while (off < key->pemlen) {
		if ((n = write(fd, key->pem + off, key->pemlen - off)) == -1) {
			if (errno == EINTR)
				continue;
			e = errno;
			goto fail;
		}
		off += (size_t)n;
	}
	if (fsync(fd) == -1) {
		e = errno;
		goto fail;
	}
	if (close(fd) == -1) {
		e = errno;
		fd = -1;
		goto fail;
	}
	return 0;

fail:
	dk_err(err, errlen, "%s: write: %s", path, strerror(e));
	if (fd != -1)
		close(fd);
	unlink(path);
	return -1;
}

int
dkimkey_type(const DKIMKEY *key)
{
	return key->type;
}

int
dkimkey_bits(const DKIMKEY *key)
{
	return key->bits;
}

const char *
dkimkey_type_name(const DKIMKEY *key)
{
	return key->type == DKIMKEY_RSA ? "rsa" : "ed25519";
}

const char *
dkimkey_pem(const DKIMKEY *key)
{
	return key->pem;
}

size_t
dkimkey_pem_len(const DKIMKEY *key)
{
	return key->pemlen;
}

int
dkimkey_public_record(const DKIMKEY *key, char *out, size_t outsize)
{
	unsigned char raw[DK_ED25519_RAW], *der = NULL, *b64;
	const unsigned char *pub;
	size_t rawlen = sizeof(raw);
	int publen, n;

	if (outsize > 0)
		out[0] = '\0';
	if (key->type == DKIMKEY_RSA) {
		if ((publen = i2d_PUBKEY(key->pkey, &der)) <= 0) {
			ERR_clear_error();
			return -1;
		}
		pub = der;
	} else {
		if (EVP_PKEY_get_raw_public_key(key->pkey, raw, &rawlen) != 1 ||
		    rawlen != DK_ED25519_RAW) {
			ERR_clear_error();
			return -1;
		}
		pub = raw;
		publen = (int)rawlen;
	}
	b64 = mem_alloc(4 * (((size_t)publen + 2) / 3) + 1);
	EVP_EncodeBlock(b64, pub, publen);
	n = snprintf(out, outsize, "v=DKIM1; k=%s; p=%s",
	    dkimkey_type_name(key), (const char *)b64);
	free(b64);
	OPENSSL_free(der);
	return n;
}

EVP_PKEY *
dkimkey_evp_ref(const DKIMKEY *key)
{
	return EVP_PKEY_up_ref(key->pkey) == 1 ? key->pkey : NULL;
}

void
dkimkey_evp_unref(EVP_PKEY *pkey)
{
	EVP_PKEY_free(pkey);
}

void
dkimkey_free(DKIMKEY *key)
{
	if (key == NULL)
		return;
	if (key->pem != NULL) {
		OPENSSL_cleanse(key->pem, key->pemlen);
		free(key->pem);
	}
	EVP_PKEY_free(key->pkey);		/* clears its own secrets */
	OPENSSL_cleanse(key, sizeof(*key));
	free(key);
}
