/*
 * signer.c - DKIM signing of one message through libopendkim.
 *
 * Owns: signer_msg_new(), signer_msg_header(), signer_msg_choose(),
 * signer_msg_claims(), signer_msg_eoh(), signer_msg_body(),
 * signer_msg_eom(), signer_msg_count(), signer_msg_sig(),
 * signer_msg_brought(), signer_msg_error(), signer_msg_address(),
 * signer_msg_skipped(), signer_msg_resigned(), signer_msg_free().  The
 * SIGNER itself (keys, tables, library handle) is built by signer_keys.c.
 *
 * Headers are kept until the end of the header section: the From: field
 * that selects the keys may come last.  Then one libopendkim signing
 * handle is made per selected key, the kept headers are fed to each, and
 * the body chunks go straight through to every handle.  A key whose d= and
 * s= already sign the message (a DKIM-Signature field carries them) is
 * not used if that signature verifies (signer_verify.c), so a message is
 * never signed twice with one key; a stale or made-up one is signed over.
 * Keys are chosen (signer_msg_choose()) before they are used
 * (signer_msg_eoh()), so that the milter can first ask whether the
 * sender may be signed for the address.  Every signature the message
 * brought that names one of our keys is verified, whatever is signed:
 * those that verify are what From: alignment may rest on
 * (signer_msg_brought()), never the signatures added here.
 *
 * Must not: keep the body, log (the milter logs what it is told), or
 * touch a SIGNER (it is shared by all threads and immutable).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <opendkim/dkim.h>

#include "base/addr.h"
#include "dkim/align.h"
#include "dkim/cryptoctx.h"
#include "dkim/dkimmem.h"
#include "dkim/dkimtag.h"
#include "dkim/fromhdr.h"
#include "dkim/keyreuse.h"
#include "base/mem.h"
#include "dkim/signer.h"
#include "dkim/signer_int.h"

#define SIGNER_SEEN_MAX	16

struct signer_sig {
	const struct signer_key	*key;
	char			 domain[ADDR_DOMAIN_MAX + 1];
	DKIM			*dkim;
	DKIMMEM			*pool;		/* the handle's memory */
	char			*value;
	int			 existing;	/* the message has its d=, s= */
};

struct SIGNER_MSG {
	const SIGNER		*s;
	char			 envelope[ADDR_KEY_MAX];
	char			 address[ADDR_KEY_MAX];	/* selects keys */
	int			 have_from;
	char			**hdrs;
	size_t			 nhdrs, hbytes;
	struct {
		char	 d[ADDR_DOMAIN_MAX + 1];
		char	 s[SIGNER_SELECTOR_MAX + 1];
		int	 ok;		/* verifies against our key */
	}			 seen[SIGNER_SEEN_MAX];
	size_t			 nseen;
	SIGNER_CHOICE		 choice[SIGNER_MAX_SIGS];
	size_t			 nchoice;
	struct signer_sig	 sigs[SIGNER_MAX_SIGS];
	size_t			 nsigs;
	char			 err[256];
	SIGNER_VERIFY		*verify;	/* NULL: no d=, s= of ours */
	char			 skipped[256];	/* "d=x s=y ..." not re-signed */
	char			 resigned[256];	/* theirs did not verify */
};

SIGNER_MSG *
signer_msg_new(const SIGNER *s, const char *envelope)
{
	SIGNER_MSG *m = mem_calloc(1, sizeof(*m));

	m->s = s;
	snprintf(m->envelope, sizeof(m->envelope), "%s", envelope ? envelope :
	    "");
	if (s->domain_from == SIGNER_FROM_ENVELOPE)
		snprintf(m->address, sizeof(m->address), "%s", m->envelope);
	return m;
}

__attribute__((format(printf, 2, 3)))
static int
signer_fail(SIGNER_MSG *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->err, sizeof(m->err), fmt, ap);
	va_end(ap);
	return SIGNER_ERROR;
}

/* Remember d= and s= of a signature already on the message. */
static void
signer_msg_seen(SIGNER_MSG *m, const char *value)
{
	size_t len = strlen(value);

	if (m->nseen == SIGNER_SEEN_MAX)
		return;
	if (dkimtag_get(value, len, "d", m->seen[m->nseen].d,
	    sizeof(m->seen[0].d)) != NULL ||
	    dkimtag_get(value, len, "s", m->seen[m->nseen].s,
	    sizeof(m->seen[0].s)) != NULL)
		return;
	m->nseen++;
}

/*
 * "Name:value" with every bare LF made CRLF: MTAs hand milters folded
 * fields with LF line ends, and libopendkim's simple header
 * canonicalization needs the CRLF that is on the wire.
 */
static char *
signer_msg_crlf(const char *name, size_t nlen, const char *value, size_t vlen,
    int space)
{
	char *h = mem_alloc(nlen + 2 + 2 * vlen + 1), *p = h;
	size_t i;

	memcpy(p, name, nlen);
	p += nlen;
	*p++ = ':';
	if (space)
		*p++ = ' ';
	for (i = 0; i < vlen; i++) {
		if (value[i] == '\n' && (i == 0 || value[i - 1] != '\r'))
			*p++ = '\r';
		*p++ = value[i];
	}
	*p = '\0';
	return h;
}

/*
 * value: the field body as the MTA sent it; space: the MTA took away the
 * space after the colon (no SMFIP_HDR_LEADSPC), so put it back.
 */
int
signer_msg_header(SIGNER_MSG *m, const char *name, const char *value,
    int space)
{
	size_t nlen = strlen(name), vlen = strlen(value), n;
	char *h;

	if (m->nhdrs == SIGNER_MAX_HEADERS ||
	    m->hbytes + nlen + vlen + 2 > SIGNER_MAX_HEADER_BYTES)
		return signer_fail(m, "header section too large (more than "
		    "%d fields or %d bytes)", SIGNER_MAX_HEADERS,
		    SIGNER_MAX_HEADER_BYTES);
	h = signer_msg_crlf(name, nlen, value, vlen, space);
	n = m->nhdrs++;
	m->hdrs = mem_realloc(m->hdrs, m->nhdrs * sizeof(*m->hdrs));
	m->hdrs[n] = h;
	m->hbytes += nlen + vlen + 2;

	if (strcasecmp(name, "From") == 0 && !m->have_from) {
		size_t alen;

		m->have_from = 1;
		if (m->s->domain_from == SIGNER_FROM_HEADER &&
		    fromhdr_address(value, vlen, m->address,
		    sizeof(m->address), &alen) != NULL)
			m->address[0] = '\0';
	} else if (strcasecmp(name, "DKIM-Signature") == 0)
		signer_msg_seen(m, value);
	return SIGNER_OK;
}

static int
signer_already(const SIGNER_MSG *m, const char *d, const char *sel)
{
	size_t i;

	for (i = 0; i < m->nseen; i++)
		if (strcasecmp(m->seen[i].d, d) == 0 &&
		    strcmp(m->seen[i].s, sel) == 0)
			return 1;
	return 0;
}

/* Free a signing handle and what it left in its pool. */
static void
signer_sig_close(struct signer_sig *sig)
{
	if (sig->dkim != NULL)
		dkim_free(sig->dkim);
	sig->dkim = NULL;
	if (sig->pool != NULL) {
		dkimmem_release(sig->pool);
		free(sig->pool);
		sig->pool = NULL;
	}
}

/* Open a signing handle for one key and feed it the kept headers. */
static int
signer_msg_open(SIGNER_MSG *m, const struct signer_key *k, const char *signer,
    const char *id)
{
	struct signer_sig *sig = &m->sigs[m->nsigs];
	const char *dom = addr_domain(m->address);
	DKIM_STAT st;
	size_t i;

	snprintf(sig->domain, sizeof(sig->domain), "%s",
	    strcmp(k->domain, "%") == 0 ? dom : k->domain);
	if (sig->domain[0] == '\0')
		return signer_fail(m, "key %s: no domain for d=", k->name);
	sig->existing = signer_already(m, sig->domain, k->selector);
	sig->key = k;
	sig->pool = mem_alloc(sizeof(*sig->pool));
	dkimmem_init(sig->pool);
	sig->dkim = dkim_sign(m->s->lib, (const unsigned char *)id, sig->pool,
	    (dkim_sigkey_t)k->pem, (const unsigned char *)k->selector,
	    (const unsigned char *)sig->domain, m->s->hcanon, m->s->bcanon,
	    k->alg, -1, &st);
	if (sig->dkim == NULL) {
		signer_sig_close(sig);
		return signer_fail(m, "dkim_sign: %s (key %s)",
		    dkim_getresultstr(st), k->name);
	}
	m->nsigs++;
	/*
	 * libopendkim 2.11 hashes an Ed25519 signature header as one line but
	 * writes it folded before b=; with simple header canonicalization
	 * that fold breaks it.  Unfolded it is short (b= is 88 octets).
	 */
	if (k->alg == DKIM_SIGN_ED25519SHA256 && m->s->hcanon ==
	    DKIM_CANON_SIMPLE)
		dkim_set_margin(sig->dkim, 0);
	if (signer != NULL && *signer != '\0')
		dkim_set_signer(sig->dkim, (const unsigned char *)signer);
	for (i = 0; i < m->nhdrs; i++) {
		st = dkim_header(sig->dkim, (unsigned char *)m->hdrs[i],
		    strlen(m->hdrs[i]));
		if (st != DKIM_STAT_OK)
			return signer_fail(m, "dkim_header: %s (key %s)",
			    dkim_geterror(sig->dkim) ? dkim_geterror(sig->dkim) :
			    dkim_getresultstr(st), k->name);
	}
	if ((st = dkim_eoh(sig->dkim)) != DKIM_STAT_OK)
		return signer_fail(m, "dkim_eoh: %s (key %s)",
		    dkim_geterror(sig->dkim) ? dkim_geterror(sig->dkim) :
		    dkim_getresultstr(st), k->name);
	return SIGNER_OK;
}

int
signer_msg_choose(SIGNER_MSG *m)
{
	size_t n;

	if (m->address[0] == '\0') {
		snprintf(m->err, sizeof(m->err), "%s",
		    m->s->domain_from == SIGNER_FROM_ENVELOPE ?
		    "no envelope sender address" : m->have_from ?
		    "no address in the From: header" : "no From: header");
		n = 0;
	} else
		n = signer_choose(m->s, m->address, m->choice, SIGNER_MAX_SIGS);
	if (n == 0) {
		if (m->address[0] != '\0')
			snprintf(m->err, sizeof(m->err), "no key for %.200s",
			    m->address);
		switch (m->s->on_no_key) {
		case SIGNER_ONNOKEY_DEFAULT:
			if (m->s->default_key == NULL || (m->address[0] ==
			    '\0' && strcmp(m->s->default_key->domain, "%") ==
			    0))
				return SIGNER_NOKEY;
			m->choice[0].key = m->s->default_key;
			m->choice[0].signer[0] = '\0';
			n = 1;
			break;
		case SIGNER_ONNOKEY_TEMPFAIL:
			return SIGNER_NOKEY_TEMPFAIL;
		default:
			return SIGNER_NOKEY;
		}
	}
	m->nchoice = n;
	return SIGNER_OK;
}

/* The d= a chosen key signs with. */
static const char *
signer_choice_domain(const SIGNER_MSG *m, const struct signer_key *k)
{
	return strcmp(k->domain, "%") == 0 ? addr_domain(m->address) :
	    k->domain;
}

int
signer_msg_claims(const SIGNER_MSG *m)
{
	const char *d;
	size_t i;

	for (i = 0; i < m->nchoice; i++) {
		d = signer_choice_domain(m, m->choice[i].key);
		if (align_check(addr_domain(m->address), "", &d, 1))
			return 1;
	}
	return 0;
}

/* Does the message carry a signature that names one of our keys? */
static int
signer_msg_ours(const SIGNER_MSG *m)
{
	size_t i;

	for (i = 0; i < m->nseen; i++)
		if (signer_verify_ours(m->s, m->seen[i].d, m->seen[i].s))
			return 1;
	return 0;
}

int
signer_msg_eoh(SIGNER_MSG *m, const char *id, int how)
{
	const char *relay = signer_relay_domain(m->s);
	size_t i;
	int rc;

	cryptoctx_enter();
	if (how == SIGNER_SIGN_NONE || (how == SIGNER_SIGN_RELAY &&
	    relay == NULL))
		m->nchoice = 0;
	else if (how == SIGNER_SIGN_RELAY) {
		m->choice[0].key = m->s->default_key;
		m->choice[0].signer[0] = '\0';
		m->nchoice = 1;
	}
	for (i = 0; i < m->nchoice; i++)
		if ((rc = signer_msg_open(m, m->choice[i].key,
		    m->choice[i].signer, id)) != SIGNER_OK)
			return rc;
	if (signer_msg_ours(m)) {
		m->verify = signer_verify_new(m->s, id);
		for (i = 0; i < m->nhdrs; i++)
			signer_verify_header(m->verify, m->hdrs[i],
			    strlen(m->hdrs[i]));
		signer_verify_eoh(m->verify);
	}
	/* every handle has the header section now: the kept copy can go
	 * (a message that is not signed no longer holds it to the end) */
	for (i = 0; i < m->nhdrs; i++)
		free(m->hdrs[i]);
	free(m->hdrs);
	m->hdrs = NULL;
	m->nhdrs = 0;
	return SIGNER_OK;
}

int
signer_msg_body(SIGNER_MSG *m, const unsigned char *buf, size_t len)
{
	DKIM_STAT st;
	size_t i;

	cryptoctx_enter();
	if (m->verify != NULL)
		signer_verify_body(m->verify, buf, len);
	for (i = 0; i < m->nsigs; i++) {
		st = dkim_body(m->sigs[i].dkim, (unsigned char *)buf, len);
		if (st != DKIM_STAT_OK)
			return signer_fail(m, "dkim_body: %s (key %s)",
			    dkim_getresultstr(st), m->sigs[i].key->name);
	}
	return SIGNER_OK;
}

static void
signer_note_key(char *list, size_t size, const struct signer_sig *sig)
{
	size_t n = strlen(list);

	snprintf(list + n, size - n, "%sd=%s s=%s", n ? ", " : "",
	    sig->domain, sig->key->selector);
}

/* Drop the keys whose signature on the message verifies. */
static void
signer_msg_settle(SIGNER_MSG *m)
{
	struct signer_sig *sig;
	size_t i, keep = 0;

	signer_verify_eom(m->verify);
	for (i = 0; i < m->nseen; i++)
		m->seen[i].ok = signer_verify_passed(m->verify, m->seen[i].d,
		    m->seen[i].s);
	for (i = 0; i < m->nsigs; i++) {
		sig = &m->sigs[i];
		if (sig->existing && signer_verify_passed(m->verify,
		    sig->domain, sig->key->selector)) {
			signer_note_key(m->skipped, sizeof(m->skipped), sig);
			signer_sig_close(sig);
			continue;
		}
		if (sig->existing)
			signer_note_key(m->resigned, sizeof(m->resigned), sig);
		m->sigs[keep++] = *sig;
	}
	m->nsigs = keep;
}

int
signer_msg_eom(SIGNER_MSG *m)
{
	struct signer_sig *sig;
	unsigned char *buf;
	size_t i, len;
	DKIM_STAT st;

	cryptoctx_enter();
	if (m->verify != NULL)
		signer_msg_settle(m);
	for (i = 0; i < m->nsigs; i++) {
		sig = &m->sigs[i];
		keyreuse_begin(sig->key->pem, sig->key->pemlen, sig->key->evp);
		st = dkim_eom(sig->dkim, NULL);
		if (keyreuse_end() && sig->key->kept)
			__atomic_add_fetch(sig->key->held, 1, __ATOMIC_RELAXED);
		if (st != DKIM_STAT_OK)
			return signer_fail(m, "dkim_eom: %s (key %s)",
			    dkim_geterror(sig->dkim) ? dkim_geterror(sig->dkim) :
			    dkim_getresultstr(st), sig->key->name);
		st = dkim_getsighdr_d(sig->dkim, sizeof("DKIM-Signature: ") - 1,
		    &buf, &len);
		if (st != DKIM_STAT_OK)
			return signer_fail(m, "dkim_getsighdr: %s (key %s)",
			    dkim_getresultstr(st), sig->key->name);
		sig->value = mem_strndup((const char *)buf, len);
	}
	return SIGNER_OK;
}

size_t
signer_msg_count(const SIGNER_MSG *m)
{
	return m->nsigs;
}

void
signer_msg_sig(const SIGNER_MSG *m, size_t i, SIGNER_SIG *out)
{
	const struct signer_sig *sig = &m->sigs[i];

	out->domain = sig->domain;
	out->selector = sig->key->selector;
	out->algorithm = sig->key->alg == DKIM_SIGN_ED25519SHA256 ?
	    "ed25519-sha256" : "rsa-sha256";
	out->value = sig->value;
}

/* The d= of verified signatures the message brought, each domain once. */
size_t
signer_msg_brought(const SIGNER_MSG *m, const char **d, size_t max)
{
	size_t i, j, n = 0;

	for (i = 0; i < m->nseen && n < max; i++) {
		if (!m->seen[i].ok)
			continue;
		for (j = 0; j < n && strcasecmp(d[j], m->seen[i].d) != 0; j++)
			;
		if (j == n)
			d[n++] = m->seen[i].d;
	}
	return n;
}

const char *
signer_msg_error(const SIGNER_MSG *m)
{
	return m->err;
}

const char *
signer_msg_skipped(const SIGNER_MSG *m)
{
	return m->skipped;
}

const char *
signer_msg_resigned(const SIGNER_MSG *m)
{
	return m->resigned;
}

const char *
signer_msg_address(const SIGNER_MSG *m)
{
	return m->address;
}

void
signer_msg_free(SIGNER_MSG *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nsigs; i++) {
		signer_sig_close(&m->sigs[i]);
		free(m->sigs[i].value);
	}
	for (i = 0; i < m->nhdrs; i++)
		free(m->hdrs[i]);
	free(m->hdrs);
	signer_verify_free(m->verify);
	free(m);
}
