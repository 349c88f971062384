/*
 * signer_verify.c - does a message already carry a valid signature of one
 * of our keys?  Verified through libopendkim, with our own public keys.
 *
 * Owns: signer_verify_ours(), signer_verify_new(), signer_verify_header(),
 * signer_verify_eoh(), signer_verify_body(), signer_verify_eom(),
 * signer_verify_passed(), signer_verify_free() and the key lookup of the
 * SIGNER's library handle (signer_verify_lookup(), set by signer_keys.c).
 *
 * A message that reaches the relay twice (a content filter that re-injects
 * it, a list that re-sends it) already carries our signature; it is not
 * signed twice.  But a DKIM-Signature field is written by whoever sends
 * the message: a stale signature of an earlier message, or one made up,
 * must not stop us from signing.  So a signature with our d= and s= counts
 * only if it verifies against the key we would sign with, over this
 * message's headers and body as they are now.
 *
 * Decisions: the public key is the one derived from our private key, so
 * no DNS is asked; signatures of other domains or selectors find no key
 * and fail, which is what we want (we only ask about ours).  Any failure
 * of the verifying handle means "not verified": the message is signed.
 *
 * Must not: fail a message (a broken foreign signature is the sender's
 * business) or look up DNS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <opendkim/dkim.h>

#include "dkim/dkimmem.h"
#include "base/mem.h"
#include "dkim/signer_int.h"

struct SIGNER_VERIFY {
	DKIM	*dkim;
	DKIMMEM	 pool;		/* the handle's memory */
	int	 ok;		/* no handle error so far */
};

/* Our key with that d= and s=: an exact domain first, else a "%" one. */
static const struct signer_key *
signer_verify_key(const SIGNER *s, const char *d, const char *sel)
{
	const struct signer_key *k, *any = NULL;
	size_t i;

	for (i = 0; i < s->nkeys; i++) {
		k = &s->keys[i];
		if (strcmp(k->selector, sel) != 0)
			continue;
		if (strcasecmp(k->domain, d) == 0)
			return k;
		if (strcmp(k->domain, "%") == 0 && any == NULL)
			any = k;
	}
	return any;
}

/* Could a signature with this d= and s= be verified against our keys? */
int
signer_verify_ours(const SIGNER *s, const char *d, const char *sel)
{
	return signer_verify_key(s, d, sel) != NULL;
}

/* The TXT record of the key with that d= and s=. */
DKIM_CBSTAT
signer_verify_lookup(DKIM *dkim, DKIM_SIGINFO *sig, unsigned char *buf,
    size_t buflen)
{
	const SIGNER *s = dkim_get_user_context(dkim);
	const char *d = (const char *)dkim_sig_getdomain(sig);
	const char *sel = (const char *)dkim_sig_getselector(sig);
	const struct signer_key *k;

	if (s == NULL || d == NULL || sel == NULL)
		return DKIM_CBSTAT_NOTFOUND;
	k = signer_verify_key(s, d, sel);
	if (k == NULL || strlen(k->record) >= buflen)
		return DKIM_CBSTAT_NOTFOUND;
	memcpy(buf, k->record, strlen(k->record) + 1);
	return DKIM_CBSTAT_CONTINUE;
}

SIGNER_VERIFY *
signer_verify_new(const SIGNER *s, const char *id)
{
	SIGNER_VERIFY *v = mem_calloc(1, sizeof(*v));
	DKIM_STAT st;

	dkimmem_init(&v->pool);
	v->dkim = dkim_verify(s->lib, (const unsigned char *)id, &v->pool, &st);
	if (v->dkim == NULL ||
	    dkim_set_user_context(v->dkim, (void *)s) != DKIM_STAT_OK)
		return v;		/* ok = 0: nothing verifies */
	v->ok = 1;
	return v;
}

void
signer_verify_header(SIGNER_VERIFY *v, const char *hdr, size_t len)
{
	if (v->ok && dkim_header(v->dkim, (unsigned char *)hdr, len) !=
	    DKIM_STAT_OK)
		v->ok = 0;
}

void
signer_verify_eoh(SIGNER_VERIFY *v)
{
	if (v->ok && dkim_eoh(v->dkim) != DKIM_STAT_OK)
		v->ok = 0;
}

void
signer_verify_body(SIGNER_VERIFY *v, const unsigned char *buf, size_t len)
{
	if (v->ok && dkim_body(v->dkim, (unsigned char *)buf, len) !=
	    DKIM_STAT_OK)
		v->ok = 0;
}

/* The result is in the signatures' flags, whatever dkim_eom() says. */
void
signer_verify_eom(SIGNER_VERIFY *v)
{
	if (v->ok)
		(void)dkim_eom(v->dkim, NULL);
}

int
signer_verify_passed(SIGNER_VERIFY *v, const char *d, const char *sel)
{
	DKIM_SIGINFO **sigs;
	const char *sd, *ss;
	int n, i;

	if (!v->ok || dkim_getsiglist(v->dkim, &sigs, &n) != DKIM_STAT_OK)
		return 0;
	for (i = 0; i < n; i++) {
		sd = (const char *)dkim_sig_getdomain(sigs[i]);
		ss = (const char *)dkim_sig_getselector(sigs[i]);
		if (sd != NULL && ss != NULL && strcasecmp(sd, d) == 0 &&
		    strcmp(ss, sel) == 0 && DKIM_SIG_CHECK(sigs[i]))
			return 1;
	}
	return 0;
}

void
signer_verify_free(SIGNER_VERIFY *v)
{
	if (v == NULL)
		return;
	if (v->dkim != NULL)
		dkim_free(v->dkim);
	dkimmem_release(&v->pool);
	free(v);
}
