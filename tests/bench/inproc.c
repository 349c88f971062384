/*
 * inproc.c - libopendkim's own cost per signature, in process: the bound a
 * milter that signs through libopendkim can reach, for repguard's benchmark
 * (tests/bench/run.sh).
 *
 * Synopsis:
 *	inproc -k KEYFILE -m MESSAGE [-n SIGNATURES] [-T THREADS] [-L] [-R]
 *	       [-p CALLS] [-d DOMAIN] [-s SELECTOR] [-j]
 *
 *	Signs MESSAGE (a full RFC 5322 message, CRLF or LF) SIGNATURES times
 *	on THREADS threads sharing one DKIM_LIB, each signature the way a
 *	signing milter does it per message: dkim_sign, dkim_header per field,
 *	dkim_eoh, dkim_body in chunks of 65535 octets, dkim_eom,
 *	dkim_getsighdr_d, dkim_free; relaxed/relaxed, the algorithm of the key
 *	(RSA: rsa-sha256, Ed25519: ed25519-sha256), the RFC 6376 header list
 *	libopendkim exports (dkim_should_signhdrs), as opendkim uses.  The key
 *	is handed over as its PEM text, as opendkim does, so libopendkim
 *	decodes it on every message.
 *
 *	Then (unless -p 0; CALLS per part, default 1000), on one thread, the
 *	parts of that per-message cost, each timed alone with the thread's CPU
 *	clock on the same key bytes:
 *	  pem_decode   PEM_read_bio_PrivateKey from a memory BIO (what
 *	               libopendkim does per message; RSA adds EVP_PKEY_get1_RSA)
 *	  der_decode   d2i_AutoPrivateKey on the DER form of the same key
 *	  sign_cached  the raw signature of a SHA-256 digest with a key decoded
 *	               once (RSA_sign, as libopendkim calls it; Ed25519:
 *	               EVP_DigestSign)
 *	  sign_fresh   decode + the first signature with that fresh key + free:
 *	               what libopendkim's crypto costs per message
 *	each the median of 5 rounds, and prints the key-decode share of
 *	libopendkim's per-signature CPU time two ways: pem_decode alone, and
 *	sign_fresh - sign_cached (the decode plus the per-key set-up, such as
 *	RSA's Montgomery and blinding contexts, that a fresh key pays at its
 *	first signature).
 *
 *	-L gives each signing thread its own OpenSSL library context as the
 *	thread's default (OSSL_LIB_CTX_set0_default): OpenSSL 3.0's key decoder
 *	contends on the shared default context, so that with it per-message
 *	decoding slows down as threads are added; -L shows what a signer gets
 *	when every worker thread has a context of its own.
 *
 *	-R signs as repguard does: the key decoded once and handed to
 *	libopendkim in dkim_eom() (filter/dkim/keyreuse.c), each handle's memory in
 *	a pool (filter/dkim/dkimmem.c).  It is libopendkim's cost per signature
 *	without the per-message key decode: the bound for a signer that uses
 *	the hand-over.
 *
 *	Prints per-signature CPU microseconds (process CPU / signatures),
 *	signatures per second of wall time, and the parts above; -j one JSON
 *	line.
 *
 * Diagnostics: usage errors exit 2; a key or message that cannot be used,
 *	or a libopendkim error, exits 1 with the reason on stderr.
 *
 * Must not: print or write the key; it is read once and wiped at exit.
 */
#define _GNU_SOURCE
/* libopendkim signs RSA with RSA_sign: time the same (deprecated) call. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>

#include <opendkim/dkim.h>

#include "dkim/dkimmem.h"
#include "dkim/keyreuse.h"

#define IP_CHUNK	65535
#define IP_HDR_MAX	1000
#define IP_KEY_MAX	(64 * 1024)
#define IP_MSG_MAX	(64 * 1024 * 1024)

struct ip_msg {
	char	**hdrs;		/* "Name: value", folds as CRLF */
	size_t	  nhdrs;
	char	 *body;
	size_t	  bodylen;
	size_t	  size;
};

static DKIM_LIB *ip_lib;
static struct ip_msg ip_msg;
static unsigned char *ip_key;	/* PEM text, NUL-terminated */
static size_t ip_keylen;
static int ip_alg;		/* DKIM_SIGN_* */
static const char *ip_domain = "example.com";
static const char *ip_selector = "bench";
static long ip_per_thread;
static int ip_own_libctx;	/* -L */
static EVP_PKEY *ip_reuse;	/* -R: the key decoded once */
static int ip_reuse_kept;	/* libopendkim keeps its references */
static unsigned long ip_reuse_held;	/* ... that many so far */

static void
ip_die(const char *fmt, ...)
{
	va_list ap;

	fputs("inproc: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void *
ip_alloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		ip_die("out of memory");
	return p;
}

static unsigned char *
ip_read_file(const char *path, size_t max, size_t *lenp)
{
	FILE *fp = fopen(path, "rb");
	unsigned char *buf;
	size_t len = 0, n;

	if (fp == NULL)
		ip_die("%s: %s", path, strerror(errno));
	buf = ip_alloc(max + 1);
	while ((n = fread(buf + len, 1, max - len, fp)) > 0) {
		len += n;
		if (len == max)
			ip_die("%s: larger than %zu octets", path, max);
	}
	if (ferror(fp))
		ip_die("%s: read error", path);
	fclose(fp);
	buf[len] = '\0';
	*lenp = len;
	return buf;
}

/* Headers as "Name: value" with CRLF folds; body CRLF, ending in CRLF. */
static void
ip_msg_parse(const char *buf, size_t len, struct ip_msg *m)
{
	size_t pos = 0, i, o;

	m->size = len;
	m->hdrs = ip_alloc(sizeof(*m->hdrs) * IP_HDR_MAX);
	m->nhdrs = 0;
	while (pos < len) {
		size_t start = pos, end;

		while (pos < len && buf[pos] != '\n')
			pos++;
		end = pos;
		if (pos < len)
			pos++;
		if (end > start && buf[end - 1] == '\r')
			end--;
		if (end == start)
			break;
		if (buf[start] == ' ' || buf[start] == '\t') {
			char *h;
			size_t hl;

			if (m->nhdrs == 0)
				ip_die("message: continuation before a header");
			h = m->hdrs[m->nhdrs - 1];
			hl = strlen(h);
			h = realloc(h, hl + 2 + (end - start) + 1);
			if (h == NULL)
				ip_die("out of memory");
			memcpy(h + hl, "\r\n", 2);
			memcpy(h + hl + 2, buf + start, end - start);
			h[hl + 2 + (end - start)] = '\0';
			m->hdrs[m->nhdrs - 1] = h;
			continue;
		}
		if (memchr(buf + start, ':', end - start) == NULL)
			ip_die("message: a header line without a colon");
		if (m->nhdrs == IP_HDR_MAX)
			ip_die("message: more than %d headers", IP_HDR_MAX);
		m->hdrs[m->nhdrs] = ip_alloc(end - start + 1);
		memcpy(m->hdrs[m->nhdrs], buf + start, end - start);
		m->hdrs[m->nhdrs++][end - start] = '\0';
	}
	m->body = ip_alloc(2 * (len - pos) + 2);
	for (i = pos, o = 0; i < len; i++) {
		if (buf[i] == '\n' && (i == pos || buf[i - 1] != '\r'))
			m->body[o++] = '\r';
		m->body[o++] = buf[i];
	}
	if (o > 0 && (o < 2 || m->body[o - 2] != '\r' || m->body[o - 1] != '\n')) {
		m->body[o++] = '\r';
		m->body[o++] = '\n';
	}
	m->bodylen = o;
}

static double
ip_thread_cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static double
ip_process_cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static double
ip_wall_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One signature as a milter makes it per message; dies on error. */
static void
ip_sign_once(unsigned long serial)
{
	DKIM_STAT st;
	DKIM *d;
	unsigned char *sig = NULL;
	size_t siglen = 0, h, off;
	char id[32];
	DKIMMEM pool;

	dkimmem_init(&pool);
	snprintf(id, sizeof(id), "b%lu", serial);
	d = dkim_sign(ip_lib, (const unsigned char *)id, &pool, ip_key,
	    (const unsigned char *)ip_selector,
	    (const unsigned char *)ip_domain, DKIM_CANON_RELAXED,
	    DKIM_CANON_RELAXED, (dkim_alg_t)ip_alg, -1, &st);
	if (d == NULL)
		ip_die("dkim_sign: %s", dkim_getresultstr(st));
	for (h = 0; h < ip_msg.nhdrs; h++) {
		st = dkim_header(d, (unsigned char *)ip_msg.hdrs[h],
		    strlen(ip_msg.hdrs[h]));
		if (st != DKIM_STAT_OK)
			ip_die("dkim_header: %s", dkim_geterror(d));
	}
	if ((st = dkim_eoh(d)) != DKIM_STAT_OK)
		ip_die("dkim_eoh: %s", dkim_geterror(d));
	for (off = 0; off < ip_msg.bodylen; off += IP_CHUNK) {
		size_t n = ip_msg.bodylen - off;

		if (n > IP_CHUNK)
			n = IP_CHUNK;
		st = dkim_body(d, (unsigned char *)ip_msg.body + off, n);
		if (st != DKIM_STAT_OK)
			ip_die("dkim_body: %s", dkim_geterror(d));
	}
	if (ip_reuse != NULL)
		keyreuse_begin((const char *)ip_key, ip_keylen, ip_reuse);
	st = dkim_eom(d, NULL);
	if (ip_reuse != NULL && keyreuse_end() && ip_reuse_kept == 1)
		__atomic_add_fetch(&ip_reuse_held, 1, __ATOMIC_RELAXED);
	if (st != DKIM_STAT_OK)
		ip_die("dkim_eom: %s", dkim_geterror(d));
	st = dkim_getsighdr_d(d, strlen(DKIM_SIGNHEADER) + 2, &sig, &siglen);
	if (st != DKIM_STAT_OK || siglen == 0)
		ip_die("dkim_getsighdr_d: %s", dkim_geterror(d));
	dkim_free(d);
	dkimmem_release(&pool);
}

static void *
ip_worker(void *arg)
{
	unsigned long base = (unsigned long)(uintptr_t)arg, i;
	OSSL_LIB_CTX *ctx = NULL;

	if (ip_own_libctx) {
		if ((ctx = OSSL_LIB_CTX_new()) == NULL)
			ip_die("OSSL_LIB_CTX_new failed");
		OSSL_LIB_CTX_set0_default(ctx);
	}
	for (i = 0; i < (unsigned long)ip_per_thread; i++)
		ip_sign_once(base + i);
	if (ctx != NULL) {
		OSSL_LIB_CTX_set0_default(NULL);
		OSSL_LIB_CTX_free(ctx);
	}
	return NULL;
}

static EVP_PKEY *
ip_pem_decode(void)
{
	BIO *bio = BIO_new_mem_buf(ip_key, (int)ip_keylen);
	EVP_PKEY *pk;

	if (bio == NULL)
		ip_die("BIO_new_mem_buf failed");
	pk = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (pk == NULL)
		ip_die("PEM_read_bio_PrivateKey failed on the key");
	return pk;
}

/* The raw signature libopendkim makes at end of message. */
static void
ip_raw_sign(EVP_PKEY *pk, RSA *rsa, const unsigned char *digest)
{
	unsigned char out[1024];

	if (rsa != NULL) {
		unsigned int olen = 0;

		if (RSA_sign(NID_sha256, digest, SHA256_DIGEST_LENGTH, out,
		    &olen, rsa) != 1)
			ip_die("RSA_sign failed");
	} else {
		EVP_MD_CTX *md = EVP_MD_CTX_new();
		size_t olen = sizeof(out);

		if (md == NULL || EVP_DigestSignInit(md, NULL, NULL, NULL,
		    pk) != 1 || EVP_DigestSign(md, out, &olen, digest,
		    SHA256_DIGEST_LENGTH) != 1)
			ip_die("EVP_DigestSign failed");
		EVP_MD_CTX_free(md);
	}
}

static RSA *
ip_get_rsa(EVP_PKEY *pk)
{
	RSA *rsa = EVP_PKEY_get1_RSA(pk);

	if (rsa == NULL)
		ip_die("EVP_PKEY_get1_RSA failed");
	return rsa;
}

struct ip_parts {
	double pem_decode, der_decode, sign_cached, sign_fresh;
};

#define IP_ROUNDS	5

static int
ip_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* One round: each part timed alone, thread CPU microseconds per call. */
static void
ip_measure_round(struct ip_parts *p, long n, EVP_PKEY *pk, RSA *rsa,
    const unsigned char *der, int derlen)
{
	unsigned char digest[SHA256_DIGEST_LENGTH];
	const unsigned char *dp;
	EVP_PKEY *k;
	double t;
	long i;

	SHA256((const unsigned char *)"repguard", 8, digest);
	t = ip_thread_cpu_us();
	for (i = 0; i < n; i++) {
		k = ip_pem_decode();
		if (rsa != NULL)
			RSA_free(ip_get_rsa(k));
		EVP_PKEY_free(k);
	}
	p->pem_decode = (ip_thread_cpu_us() - t) / (double)n;

	t = ip_thread_cpu_us();
	for (i = 0; i < n; i++) {
		dp = der;
		if ((k = d2i_AutoPrivateKey(NULL, &dp, derlen)) == NULL)
			ip_die("d2i_AutoPrivateKey failed");
		EVP_PKEY_free(k);
	}
	p->der_decode = (ip_thread_cpu_us() - t) / (double)n;

	t = ip_thread_cpu_us();
	for (i = 0; i < n; i++)
		ip_raw_sign(pk, rsa, digest);
	p->sign_cached = (ip_thread_cpu_us() - t) / (double)n;

	t = ip_thread_cpu_us();
	for (i = 0; i < n; i++) {
		RSA *r = NULL;

		k = ip_pem_decode();
		if (rsa != NULL)
			r = ip_get_rsa(k);
		ip_raw_sign(k, r, digest);
		RSA_free(r);
		EVP_PKEY_free(k);
	}
	p->sign_fresh = (ip_thread_cpu_us() - t) / (double)n;
}

/* IP_ROUNDS rounds of N/IP_ROUNDS calls each; the median of each part. */
static void
ip_measure_parts(struct ip_parts *p, long n)
{
	struct ip_parts r[IP_ROUNDS];
	double v[IP_ROUNDS];
	unsigned char digest[SHA256_DIGEST_LENGTH] = { 0 };
	unsigned char *der = NULL;
	EVP_PKEY *pk = ip_pem_decode();
	RSA *rsa = NULL;
	int derlen, i;
	long per = n / IP_ROUNDS > 0 ? n / IP_ROUNDS : 1;

	if ((derlen = i2d_PrivateKey(pk, &der)) <= 0)
		ip_die("i2d_PrivateKey failed");
	if (ip_alg != DKIM_SIGN_ED25519SHA256)
		rsa = ip_get_rsa(pk);
	ip_raw_sign(pk, rsa, digest);		/* warm the cached key */
	for (i = 0; i < IP_ROUNDS; i++)
		ip_measure_round(&r[i], per, pk, rsa, der, derlen);
#define IP_MEDIAN(field) do {						\
		for (i = 0; i < IP_ROUNDS; i++)				\
			v[i] = r[i].field;				\
		qsort(v, IP_ROUNDS, sizeof(v[0]), ip_cmp_double);	\
		p->field = v[IP_ROUNDS / 2];				\
	} while (0)
	IP_MEDIAN(pem_decode);
	IP_MEDIAN(der_decode);
	IP_MEDIAN(sign_cached);
	IP_MEDIAN(sign_fresh);
#undef IP_MEDIAN
	RSA_free(rsa);
	EVP_PKEY_free(pk);
	OPENSSL_clear_free(der, (size_t)derlen);
}

static void
ip_usage(void)
{
	fprintf(stderr, "usage: inproc -k KEYFILE -m MESSAGE [-n SIGNATURES] "
	    "[-T THREADS] [-L] [-R] [-p CALLS] [-d DOMAIN] [-s SELECTOR] "
	    "[-j]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char *keyfile = NULL, *msgfile = NULL, *algname;
	unsigned char *raw;
	size_t rawlen;
	long n = 2000, threads = 1, t, pcalls = 1000;
	pthread_t *tid;
	struct ip_parts parts;
	double w0, w1, c0, c1, per_sig_us, share, fresh_share;
	EVP_PKEY *pk;
	int ch, json = 0, reuse = 0;
	char *end;

	while ((ch = getopt(argc, argv, "k:m:n:T:LRp:d:s:j")) != -1) {
		switch (ch) {
		case 'k': keyfile = optarg; break;
		case 'm': msgfile = optarg; break;
		case 'n':
			n = strtol(optarg, &end, 10);
			if (*end != '\0' || n < 1 || n > 100000000)
				ip_usage();
			break;
		case 'T':
			threads = strtol(optarg, &end, 10);
			if (*end != '\0' || threads < 1 || threads > 256)
				ip_usage();
			break;
		case 'p':
			pcalls = strtol(optarg, &end, 10);
			if (*end != '\0' || pcalls < 0 || pcalls > 10000000)
				ip_usage();
			break;
		case 'L': ip_own_libctx = 1; break;
		case 'R': reuse = 1; break;
		case 'd': ip_domain = optarg; break;
		case 's': ip_selector = optarg; break;
		case 'j': json = 1; break;
		default: ip_usage();
		}
	}
	if (optind != argc || keyfile == NULL || msgfile == NULL)
		ip_usage();

	ip_key = ip_read_file(keyfile, IP_KEY_MAX, &ip_keylen);
	if (strncmp((char *)ip_key, "-----", 5) != 0)
		ip_die("%s: not a PEM key", keyfile);
	pk = ip_pem_decode();
	if (EVP_PKEY_get_base_id(pk) == EVP_PKEY_ED25519) {
		ip_alg = DKIM_SIGN_ED25519SHA256;
		algname = "ed25519-sha256";
	} else if (EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA) {
		ip_alg = DKIM_SIGN_RSASHA256;
		algname = "rsa-sha256";
	} else
		ip_die("%s: neither an RSA nor an Ed25519 key", keyfile);
	if (reuse) {
		if ((ip_reuse_kept = keyreuse_kept(ip_alg)) < 0)
			ip_die("-R: this libopendkim cannot be handed a key");
		ip_reuse = pk;
	} else
		EVP_PKEY_free(pk);
	raw = ip_read_file(msgfile, IP_MSG_MAX, &rawlen);
	ip_msg_parse((const char *)raw, rawlen, &ip_msg);
	free(raw);

	if ((ip_lib = dkim_init(dkimmem_alloc, dkimmem_free)) == NULL)
		ip_die("dkim_init failed");
	(void)dkim_options(ip_lib, DKIM_OP_SETOPT, DKIM_OPTS_SIGNHDRS,
	    dkim_should_signhdrs, sizeof(unsigned char **));

	ip_sign_once(0);			/* warm up, and check it works */
	ip_per_thread = (n + threads - 1) / threads;
	n = ip_per_thread * threads;
	tid = ip_alloc(sizeof(*tid) * (size_t)threads);
	w0 = ip_wall_s();
	c0 = ip_process_cpu_s();
	for (t = 0; t < threads; t++)
		if (pthread_create(&tid[t], NULL, ip_worker,
		    (void *)(uintptr_t)(1 + t * ip_per_thread)) != 0)
			ip_die("pthread_create failed");
	for (t = 0; t < threads; t++)
		pthread_join(tid[t], NULL);
	c1 = ip_process_cpu_s();
	w1 = ip_wall_s();
	per_sig_us = (c1 - c0) * 1e6 / (double)n;

	printf(json ? "{\"alg\":\"%s\",\"message_bytes\":%zu,\"threads\":%ld,"
	    "\"own_libctx\":%d,\"reuse\":%d,\"signatures\":%ld,\"wall_s\":%.3f,"
	    "\"sigs_per_s\":%.1f,\"cpu_us_per_sig\":%.1f,\"sigs_per_core_s\":%.1f" :
	    "inproc: %s, message %zu octets, %ld thread(s) (own OpenSSL "
	    "context: %d, key handed over: %d), %ld signature(s) "
	    "in %.3f s: %.0f signatures/s wall\n"
	    "libopendkim  %.1f CPU us/signature (%.0f/s per core)\n",
	    algname, ip_msg.size, threads, ip_own_libctx, reuse, n, w1 - w0,
	    (double)n / (w1 - w0),
	    per_sig_us, 1e6 / per_sig_us);
	if (pcalls > 0) {
		ip_measure_parts(&parts, pcalls);
		share = parts.pem_decode / per_sig_us;
		fresh_share = (parts.sign_fresh - parts.sign_cached) /
		    per_sig_us;
		if (json)
			printf(",\"pem_decode_us\":%.1f,\"der_decode_us\":%.1f,"
			    "\"sign_cached_us\":%.1f,\"sign_fresh_us\":%.1f,"
			    "\"decode_share\":%.3f,\"fresh_key_share\":%.3f",
			    parts.pem_decode, parts.der_decode,
			    parts.sign_cached, parts.sign_fresh, share,
			    fresh_share);
		else {
			printf("key decode   PEM %.1f us%s, DER %.1f us\n",
			    parts.pem_decode, ip_alg ==
			    DKIM_SIGN_ED25519SHA256 ? "" :
			    " (with EVP_PKEY_get1_RSA)", parts.der_decode);
			printf("raw sign     %.1f us with a cached key, %.1f us "
			    "with a freshly decoded key (decode included)\n",
			    parts.sign_cached, parts.sign_fresh);
			printf("decode share %.1f %% of libopendkim's "
			    "per-signature CPU (decode alone); %.1f %% with a "
			    "fresh key's set-up\n", share * 100,
			    fresh_share * 100);
		}
	}
	if (json)
		printf("}\n");
	if (ip_reuse != NULL) {
		while (ip_reuse_held-- > 0)
			EVP_PKEY_free(ip_reuse);
		EVP_PKEY_free(ip_reuse);
	}
	OPENSSL_cleanse(ip_key, ip_keylen);
	free(ip_key);
	free(tid);
	dkim_close(ip_lib);
	return 0;
}
