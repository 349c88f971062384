/*
 * test_keyreuse.c - unit tests for filter/dkim/keyreuse.c and filter/dkim/dkimmem.c
 * against the installed libopendkim.
 *
 * For RSA-2048 and Ed25519 (both deterministic signature schemes, and the
 * library's clock fixed), a message is signed three times through
 * libopendkim: with no key handed over (the library decodes the PEM text),
 * with the decoded key handed over, and with another key's hint.  The
 * three signatures must be the same, and only the second may count as a
 * hand-over.  keyreuse_kept() must find the hand-over in effect; the
 * references the library kept are given back as signer_keys.c does, and
 * the key must then be freed exactly once (an ex_data free callback
 * counts it; a wrong count would leak, or free twice under the sanitizer
 * run).  The pools must end empty, and dkimmem itself is tested on its
 * own: alignment, unlinking from either end, release counting.
 */
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <opendkim/dkim.h>

#include "dkim/dkimmem.h"
#include "dkim/keyreuse.h"
#include "tap.h"

/*
 * libopendkim 2.11 leaks the key it decodes itself for an Ed25519
 * signature (what keyreuse.c exists to avoid); the signatures made that
 * way here, for comparison, are kept out of LeakSanitizer's report.
 */
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#define LIBRARY_LEAKS_BEGIN()	__lsan_disable()
#define LIBRARY_LEAKS_END()	__lsan_enable()
#else
#define LIBRARY_LEAKS_BEGIN()	do { } while (0)
#define LIBRARY_LEAKS_END()	do { } while (0)
#endif

static int freed_count;

static void
on_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
    void *argp)
{
	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	if (ptr != NULL)
		freed_count++;
}

static char *
pem_of(EVP_PKEY *pkey)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *out = NULL;
	long n;

	if (bio != NULL && PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0,
	    NULL, NULL) && (n = BIO_get_mem_data(bio, &data)) > 0)
		out = OPENSSL_strndup(data, (size_t)n);
	BIO_free(bio);
	return out;
}

/*
 * Sign one small message with pem; hint_pem/hint_key (may be NULL) are
 * handed to keyreuse_begin().  Returns the signature header (static
 * buffer) or NULL; *took: keyreuse_end(); *left: blocks the pool freed.
 */
static const char *
sign(DKIM_LIB *lib, int alg, const char *pem, const char *hint_pem,
    EVP_PKEY *hint_key, int *took, unsigned long *left)
{
	static const char *hdrs[] = { "From: Alice <alice@example.com>",
	    "To: bob@example.org", "Subject: key reuse" };
	static char out[4096];
	DKIMMEM pool;
	DKIM *dkim;
	DKIM_STAT st;
	unsigned char *buf;
	size_t i, len;
	const char *ret = NULL;

	dkimmem_init(&pool);
	*took = 0;
	dkim = dkim_sign(lib, (const unsigned char *)"t", &pool,
	    (dkim_sigkey_t)pem, (const unsigned char *)"sel",
	    (const unsigned char *)"example.com", DKIM_CANON_RELAXED,
	    DKIM_CANON_RELAXED, alg, -1, &st);
	if (dkim == NULL)
		return NULL;
	for (i = 0; i < sizeof(hdrs) / sizeof(hdrs[0]); i++)
		if (dkim_header(dkim, (unsigned char *)hdrs[i],
		    strlen(hdrs[i])) != DKIM_STAT_OK)
			goto out;
	if (dkim_eoh(dkim) != DKIM_STAT_OK ||
	    dkim_body(dkim, (unsigned char *)"Hello.\r\n", 8) != DKIM_STAT_OK)
		goto out;
	if (hint_key != NULL)
		keyreuse_begin(hint_pem, strlen(hint_pem), hint_key);
	st = dkim_eom(dkim, NULL);
	*took = keyreuse_end();
	if (st == DKIM_STAT_OK && dkim_getsighdr_d(dkim, 0, &buf, &len) ==
	    DKIM_STAT_OK && len < sizeof(out)) {
		memcpy(out, buf, len);
		out[len] = '\0';
		ret = out;
	}
out:
	dkim_free(dkim);
	dkimmem_release(&pool);
	*left = pool.left;
	return ret;
}

static void
one_alg(int alg, const char *name)
{
	EVP_PKEY *key, *other;
	char *pem, *opem, *want = NULL;
	const char *got;
	DKIM_LIB *lib;
	uint64_t fixed = 1700000000;
	unsigned long long hits0;
	unsigned long left;
	int idx, kept, took, handed = 0, was;

	key = alg == DKIM_SIGN_ED25519SHA256 ?
	    EVP_PKEY_Q_keygen(NULL, NULL, "ED25519") :
	    EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	other = alg == DKIM_SIGN_ED25519SHA256 ?
	    EVP_PKEY_Q_keygen(NULL, NULL, "ED25519") :
	    EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	idx = EVP_PKEY_get_ex_new_index(0, NULL, NULL, NULL, on_free);
	if (!tap_ok(key != NULL && other != NULL && idx >= 0 &&
	    EVP_PKEY_set_ex_data(key, idx, &freed_count),
	    "%s: keys made", name))
		return;
	pem = pem_of(key);
	opem = pem_of(other);
	lib = dkim_init(dkimmem_alloc, dkimmem_free);
	tap_ok(pem != NULL && opem != NULL && lib != NULL &&
	    dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_FIXEDTIME, &fixed,
	    sizeof(fixed)) == DKIM_STAT_OK, "%s: library set up", name);

	kept = keyreuse_kept(alg);
	tap_ok(kept == 0 || kept == 1, "%s: libopendkim reads keys through "
	    "PEM_read_bio_PrivateKey: the decoded key can be handed over "
	    "(keyreuse_kept = %d; 1: it keeps the reference)", name, kept);

	hits0 = keyreuse_hits();
	LIBRARY_LEAKS_BEGIN();
	got = sign(lib, alg, pem, NULL, NULL, &took, &left);
	LIBRARY_LEAKS_END();
	tap_ok(got != NULL && !took, "%s: signed with the PEM text decoded "
	    "by the library", name);
	want = got ? OPENSSL_strdup(got) : NULL;
	if (alg == DKIM_SIGN_RSASHA256)
		tap_int((long long)left, 0, "%s: dkim_free() leaves nothing in "
		    "the pool", name);
	else
		printf("# %s: dkim_free() left %lu block(s), freed by "
		    "dkimmem_release()\n", name, left);

	got = sign(lib, alg, pem, pem, key, &took, &left);
	handed += took;
	tap_ok(took, "%s: the decoded key was handed over", name);
	tap_str(got, want, "%s: same signature as with the PEM text decoded "
	    "again", name);
	tap_int((long long)(keyreuse_hits() - hits0), 1,
	    "%s: one hand-over counted", name);

	LIBRARY_LEAKS_BEGIN();
	got = sign(lib, alg, pem, opem, other, &took, &left);
	LIBRARY_LEAKS_END();
	tap_ok(!took, "%s: another key's hint is not used", name);
	tap_str(got, want, "%s: ... and the signature is still right", name);

	LIBRARY_LEAKS_BEGIN();
	got = sign(lib, alg, pem, NULL, NULL, &took, &left);
	LIBRARY_LEAKS_END();
	tap_ok(!took && got != NULL, "%s: no hint outside begin/end", name);

	/* Give back what the library kept, then ours: freed exactly once. */
	was = freed_count;
	if (kept == 1)
		while (handed-- > 0)
			EVP_PKEY_free(key);
	tap_int(freed_count - was, 0, "%s: still alive while we hold it",
	    name);
	EVP_PKEY_free(key);
	tap_int(freed_count - was, 1, "%s: freed once our reference goes",
	    name);

	OPENSSL_free(want);
	OPENSSL_free(pem);
	OPENSSL_free(opem);
	EVP_PKEY_free(other);
	dkim_close(lib);
}

static void
pool_alone(void)
{
	DKIMMEM pool;
	void *a, *b, *c, *d, *plain;

	dkimmem_init(&pool);
	a = dkimmem_alloc(&pool, 1);
	b = dkimmem_alloc(&pool, 100);
	c = dkimmem_alloc(&pool, 7);
	d = dkimmem_alloc(&pool, 64);
	plain = dkimmem_alloc(NULL, 33);
	tap_ok(a && b && c && d && plain, "dkimmem: blocks allocated");
	tap_ok(((uintptr_t)a | (uintptr_t)b | (uintptr_t)c | (uintptr_t)d |
	    (uintptr_t)plain) % alignof(max_align_t) == 0,
	    "dkimmem: blocks aligned for any type");
	memset(b, 0x5a, 100);
	dkimmem_free(&pool, d);		/* the newest: head of the list */
	dkimmem_free(&pool, a);		/* the oldest: its tail */
	dkimmem_free(NULL, plain);	/* a block of no pool */
	dkimmem_free(&pool, NULL);
	dkimmem_release(&pool);
	tap_int((long long)pool.left, 2, "dkimmem: release frees the 2 "
	    "blocks left");
	tap_ok(pool.first == NULL, "dkimmem: the pool is empty after release");
	dkimmem_release(&pool);
	tap_int((long long)pool.left, 2, "dkimmem: a second release finds "
	    "nothing");
	tap_ok(dkimmem_alloc(&pool, (size_t)-1) == NULL,
	    "dkimmem: an impossible size gets NULL");
}

int
main(void)
{
	pool_alone();
	one_alg(DKIM_SIGN_RSASHA256, "rsa-sha256");
	one_alg(DKIM_SIGN_ED25519SHA256, "ed25519-sha256");
	return tap_done();
}
