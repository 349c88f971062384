/*
 * rptoken.c - make and check return-path tokens (see rptoken.h).
 *
 * Owns: rptoken_key_set(), rptoken_key_wipe(), rptoken_make(),
 * rptoken_check(), rptoken_prefix_ok(), rptoken_address(),
 * rptoken_split(), rptoken_new_id().
 *
 * Decisions: HMAC-SHA256 and hex come from OpenSSL (HMAC(),
 * OPENSSL_buf2hexstr_ex(), OPENSSL_hexstr2buf_ex()); the MAC covers a
 * label naming its use, so a key shared with another purpose cannot be
 * turned into return-path tokens; the MAC is cut to 80 bits, enough
 * against guessing over SMTP, to keep the local part short.
 *
 * Must not: read beyond the given length, or tell a forged token from an
 * altered one (both are "forged or altered").
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "retpath/rptoken.h"

#define RPTOKEN_MAC_BYTES	10
#define RPTOKEN_BODY_BYTES	(RPTOKEN_BYTES - RPTOKEN_MAC_BYTES)
#define RPTOKEN_LABEL		"repguard return-path token"

const char *
rptoken_key_set(RPTOKEN_KEY *k, const void *secret, size_t len)
{
	if (len < RPTOKEN_KEY_MIN)
		return "secret shorter than 32 octets";
	if (len > RPTOKEN_KEY_MAX)
		return "secret longer than 256 octets";
	memcpy(k->key, secret, len);
	k->len = len;
	return NULL;
}

void
rptoken_key_wipe(RPTOKEN_KEY *k)
{
	OPENSSL_cleanse(k, sizeof(*k));
}

static int
rptoken_mac(const RPTOKEN_KEY *k, const unsigned char *body,
    unsigned char mac[RPTOKEN_MAC_BYTES])
{
	unsigned char in[sizeof(RPTOKEN_LABEL) + RPTOKEN_BODY_BYTES];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	memcpy(in, RPTOKEN_LABEL, sizeof(RPTOKEN_LABEL));	/* with NUL */
	memcpy(in + sizeof(RPTOKEN_LABEL), body, RPTOKEN_BODY_BYTES);
	if (HMAC(EVP_sha256(), k->key, (int)k->len, in, sizeof(in), md,
	    &mdlen) == NULL || mdlen < RPTOKEN_MAC_BYTES)
		return -1;
	memcpy(mac, md, RPTOKEN_MAC_BYTES);
	OPENSSL_cleanse(md, sizeof(md));
	return 0;
}

const char *
rptoken_make(const RPTOKEN_KEY *k, uint64_t id, int64_t expires, char *out,
    size_t outsize)
{
	unsigned char t[RPTOKEN_BYTES];
	size_t n, i;
	int b;

	if (outsize < RPTOKEN_LEN + 1)
		return "no room for the token";
	if (expires < 0 || expires > (int64_t)UINT32_MAX)
		return "expiry out of range";
	t[0] = RPTOKEN_VERSION;
	for (b = 0; b < 4; b++)
		t[1 + b] = (unsigned char)((uint64_t)expires >> (24 - 8 * b));
	for (b = 0; b < 8; b++)
		t[5 + b] = (unsigned char)(id >> (56 - 8 * b));
	if (rptoken_mac(k, t, t + RPTOKEN_BODY_BYTES) != 0)
		return "HMAC failed";
	if (OPENSSL_buf2hexstr_ex(out, outsize, &n, t, sizeof(t), '\0') != 1 ||
	    n != RPTOKEN_LEN + 1)
		return "hex encoding failed";
	for (i = 0; i < RPTOKEN_LEN; i++)
		out[i] = (char)tolower((unsigned char)out[i]);
	return NULL;
}

const char *
rptoken_check(const char *tok, size_t len, const RPTOKEN_KEY *keys,
    size_t nkeys, int64_t now, RPTOKEN_INFO *info)
{
	char hex[RPTOKEN_LEN + 1];
	unsigned char t[RPTOKEN_BYTES], mac[RPTOKEN_MAC_BYTES];
	size_t i, n;
	uint64_t v;

	if (len != RPTOKEN_LEN)
		return "not a return-path token";
	for (i = 0; i < len; i++)
		if (!isxdigit((unsigned char)tok[i]))
			return "not a return-path token";
	memcpy(hex, tok, len);
	hex[len] = '\0';
	if (OPENSSL_hexstr2buf_ex(t, sizeof(t), &n, hex, '\0') != 1 ||
	    n != sizeof(t))
		return "not a return-path token";
	if (t[0] != RPTOKEN_VERSION)
		return "unknown token version";
	for (i = 0; i < nkeys; i++)
		if (rptoken_mac(&keys[i], t, mac) == 0 &&
		    CRYPTO_memcmp(mac, t + RPTOKEN_BODY_BYTES,
		    RPTOKEN_MAC_BYTES) == 0)
			break;
	if (i == nkeys)
		return "forged or altered token";
	info->key = i;
	for (v = 0, n = 1; n < 5; n++)
		v = v << 8 | t[n];
	info->expires = (int64_t)v;
	for (v = 0, n = 5; n < 13; n++)
		v = v << 8 | t[n];
	info->id = v;
	if (info->expires < now)
		return "expired token";
	return NULL;
}

/* Letters, digits, '.', '-' and '_': what every MTA passes as it is. */
const char *
rptoken_prefix_ok(const char *p, size_t len)
{
	size_t i;

	if (len == 0)
		return "empty prefix";
	if (len > RPTOKEN_PREFIX_MAX)
		return "prefix longer than 17 characters";
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)p[i]) && p[i] != '.' &&
		    p[i] != '-' && p[i] != '_')
			return "prefix may only hold letters, digits, '.', "
			    "'-' and '_'";
	if (p[0] == '.' || p[len - 1] == '.')
		return "prefix may not begin or end with '.'";
	return NULL;
}

const char *
rptoken_address(const char *prefix, const char *tok, const char *domain,
    char *out, size_t outsize)
{
	const char *err;
	int n;

	if ((err = rptoken_prefix_ok(prefix, strlen(prefix))) != NULL)
		return err;
	if (strlen(tok) != RPTOKEN_LEN)
		return "not a return-path token";
	if (*domain == '\0' || strlen(domain) > 255)
		return "bad return-path domain";
	n = snprintf(out, outsize, "%s+%s@%s", prefix, tok, domain);
	if (n < 0 || (size_t)n >= outsize)
		return "no room for the address";
	return NULL;
}

/* local: a local part as received (any case); tok points into it. */
const char *
rptoken_split(const char *local, size_t len, const char *prefix,
    const char **tok, size_t *toklen)
{
	size_t plen = strlen(prefix);

	if (len < plen + 1 || strncasecmp(local, prefix, plen) != 0 ||
	    local[plen] != '+')
		return "not a return-path address";
	*tok = local + plen + 1;
	*toklen = len - plen - 1;
	return NULL;
}

/* A record id nobody can guess: ids are not secret, but unpredictable. */
int
rptoken_new_id(uint64_t *id)
{
	unsigned char b[8];
	int i;

	if (RAND_bytes(b, sizeof(b)) != 1)
		return -1;
	for (*id = 0, i = 0; i < 8; i++)
		*id = *id << 8 | b[i];
	return 0;
}
