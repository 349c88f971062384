/*
 * keyreuse.c - the PEM_read_bio_PrivateKey() that gives libopendkim a key
 * decoded once (see keyreuse.h for why and how).
 *
 * Owns: keyreuse_begin(), keyreuse_end(), keyreuse_hits(),
 * keyreuse_kept() and this executable's definition of
 * PEM_read_bio_PrivateKey().
 *
 * Decisions: the hint is per thread and lives only around one
 * dkim_eom() call, so no other caller (our own key loading, another
 * thread, another library) can ever be handed a key it did not ask for;
 * the PEM text must match byte for byte, so the key is the one the bytes
 * would have decoded to.  The key is shared, read-only, by every thread
 * that signs with it, which OpenSSL 3 allows for EVP_PKEY objects.
 *
 * Must not: return a key for anything but an exact match, or change what
 * a non-matching call returns.
 */
#include <pthread.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <opendkim/dkim.h>

#include "dkim/dkimmem.h"
#include "dkim/keyreuse.h"

struct keyreuse_hint {
	const char	*pem;
	size_t		 len;
	EVP_PKEY	*pkey;
	int		 taken;
};

static __thread struct keyreuse_hint keyreuse_now;
static unsigned long long keyreuse_count;

void
keyreuse_begin(const char *pem, size_t pemlen, EVP_PKEY *pkey)
{
	keyreuse_now.pem = pem;
	keyreuse_now.len = pemlen;
	keyreuse_now.pkey = pkey;
}

int
keyreuse_end(void)
{
	int taken = keyreuse_now.taken;

	memset(&keyreuse_now, 0, sizeof(keyreuse_now));
	return taken;
}

unsigned long long
keyreuse_hits(void)
{
	return __atomic_load_n(&keyreuse_count, __ATOMIC_RELAXED);
}

/* The key given to keyreuse_begin() if bp holds exactly its PEM text. */
static EVP_PKEY *
keyreuse_match(BIO *bp)
{
	struct keyreuse_hint *h = &keyreuse_now;
	char *data = NULL;
	long n;

	if (h->pkey == NULL || bp == NULL ||
	    BIO_method_type(bp) != BIO_TYPE_MEM)
		return NULL;
	n = BIO_get_mem_data(bp, &data);
	if (n <= 0 || data == NULL || (size_t)n != h->len ||
	    memcmp(data, h->pem, h->len) != 0)
		return NULL;
	if (EVP_PKEY_up_ref(h->pkey) != 1)
		return NULL;
	h->taken = 1;
	__atomic_add_fetch(&keyreuse_count, 1, __ATOMIC_RELAXED);
	return h->pkey;
}

EVP_PKEY *
PEM_read_bio_PrivateKey(BIO *bp, EVP_PKEY **x, pem_password_cb *cb, void *u)
{
	EVP_PKEY *pkey;

	if (x == NULL && (pkey = keyreuse_match(bp)) != NULL)
		return pkey;
	return PEM_read_bio_PrivateKey_ex(bp, x, cb, u, NULL, NULL);
}

/* ---- does libopendkim keep the key it was handed? ---------------------- */

static void
keyreuse_freed(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx,
    long argl, void *argp)
{
	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	if (ptr != NULL)
		*(int *)ptr = 1;
}

/* One signature with a throw-away key of that algorithm. */
static int
keyreuse_probe(int alg)
{
	static const char hdr[] = "From: probe@example.com";
	EVP_PKEY *pkey;
	BIO *bio = NULL;
	DKIM_LIB *lib = NULL;
	DKIM *dkim = NULL;
	DKIMMEM pool;
	DKIM_STAT st;
	char *pem = NULL, *data;
	long n;
	int idx, freed = 0, taken = 0, rc = -1;

	dkimmem_init(&pool);
	pkey = alg == DKIM_SIGN_ED25519SHA256 ?
	    EVP_PKEY_Q_keygen(NULL, NULL, "ED25519") :
	    EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	idx = EVP_PKEY_get_ex_new_index(0, NULL, NULL, NULL, keyreuse_freed);
	if (pkey == NULL || idx < 0 || !EVP_PKEY_set_ex_data(pkey, idx,
	    &freed) || (bio = BIO_new(BIO_s_mem())) == NULL ||
	    !PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL) ||
	    (n = BIO_get_mem_data(bio, &data)) <= 0 ||
	    (pem = OPENSSL_strndup(data, (size_t)n)) == NULL)
		goto out;
	if ((lib = dkim_init(dkimmem_alloc, dkimmem_free)) == NULL ||
	    (dkim = dkim_sign(lib, (const unsigned char *)"keyreuse", &pool,
	    (dkim_sigkey_t)pem, (const unsigned char *)"probe",
	    (const unsigned char *)"example.com", DKIM_CANON_RELAXED,
	    DKIM_CANON_RELAXED, alg, -1, &st)) == NULL ||
	    dkim_header(dkim, (unsigned char *)hdr, sizeof(hdr) - 1) !=
	    DKIM_STAT_OK || dkim_eoh(dkim) != DKIM_STAT_OK ||
	    dkim_body(dkim, (unsigned char *)"probe\r\n", 7) != DKIM_STAT_OK)
		goto out;
	keyreuse_begin(pem, strlen(pem), pkey);
	st = dkim_eom(dkim, NULL);
	taken = keyreuse_end();
	dkim_free(dkim);
	dkim = NULL;
	dkimmem_release(&pool);
	if (st != DKIM_STAT_OK || !taken)
		goto out;
	EVP_PKEY_free(pkey);		/* ours: the last one if given back */
	if (freed) {
		pkey = NULL;
		rc = 0;
	} else
		rc = 1;			/* the library kept its reference */
out:
	if (dkim != NULL)
		dkim_free(dkim);
	dkimmem_release(&pool);
	if (lib != NULL)
		dkim_close(lib);
	if (pem != NULL)
		OPENSSL_clear_free(pem, strlen(pem));
	BIO_free(bio);
	EVP_PKEY_free(pkey);
	return rc;
}

int
keyreuse_kept(int alg)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static int known[2], kept[2];
	int i = alg == DKIM_SIGN_ED25519SHA256;

	pthread_mutex_lock(&lock);
	if (!known[i]) {
		kept[i] = keyreuse_probe(alg);
		known[i] = 1;
	}
	pthread_mutex_unlock(&lock);
	return kept[i];
}
