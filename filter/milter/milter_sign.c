/*
 * milter_sign.c - the DKIM steps of one message that milter.c and
 * milter_steps.c call: signing's start, the choice of keys and whether
 * the sender may have them (signing authorisation), the signatures'
 * finish, and From: alignment.
 *
 * Owns: milter_sign_start(), milter_sign_eoh(), milter_unauthorized(),
 * milter_sign_finish(), milter_aligned().
 *
 * Decisions: a signature whose d= aligns with the From: domain passes
 * DMARC for it, so it is made only for a sender the signing authorisation
 * lets use the address (policy/dkim/signauth.c); alignment is judged on what
 * the sender brought, never on a signature added here.
 *
 * Must not: keep state outside the message's struct milter_msg, call
 * milter.c, or reply to the MTA anywhere but at end of message (end of
 * header is a no-reply stage).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dkim/align.h"
#include "common/log.h"
#include "base/mem.h"
#include "milter/milter_int.h"
#include "dkim/signauth.h"

/* Outbound mail is signed when keys are configured. */
void
milter_sign_start(struct milter_msg *m)
{
	const struct milter_conn *c = m->conn;
	const SIGNER *sg = conf_signer(c->conf);

	if (signer_keys(sg) == 0)
		return;
	m->sign = signer_msg_new(sg, m->from);
}

/* "login alice (client 10.1.2.3)", or "client 10.1.2.3 (no login)". */
static void
milter_sign_who(const struct milter_msg *m, char *out, size_t outsize)
{
	const struct milter_conn *c = m->conn;

	if (m->login[0] != '\0')
		snprintf(out, outsize, "login %.100s (client %s)", m->login,
		    c->addr);
	else
		snprintf(out, outsize, "client %s (no login)", c->addr);
}

/*
 * May the sender be signed for the address that chose the keys?  Asked
 * only when a chosen key's d= aligns with that address's domain (such a
 * signature passes DMARC for it); the answer is SIGNER_SIGN_* and, for
 * OnUnauthorizedFrom reject or tempfail, m->unauth.  Mail with the null
 * sender and no login (Postfix's own bounces come so, from 127.0.0.1) is
 * never refused for it: it goes unsigned.
 */
static int
milter_sign_authorize(struct milter_msg *m)
{
	const struct milter_conn *c = m->conn;
	const char *addr = signer_msg_address(m->sign), *dom, *relay, *on;
	char who[500];
	int r, act;

	dom = addr_domain(addr);
	relay = signer_relay_domain(conf_signer(c->conf));
	on = conf_str(c->conf, KW_ON_UNAUTHORIZED_FROM);
	r = signauth_check(conf_signauth(c->conf), addr, m->login, c->addr);
	act = signauth_action(r,
	    (int)conf_num(c->conf, KW_ON_UNAUTHORIZED_FROM), relay, dom);
	if (act == SIGNAUTH_SIGN)
		return SIGNER_SIGN_CHOSEN;
	milter_sign_who(m, who, sizeof(who));
	switch (act) {
	case SIGNAUTH_SIGN_RELAY:
		MILTER_INFO(m, "%s may not be signed for %s (%s): signed as "
		    "the relay's domain %s instead (OnUnauthorizedFrom %s)",
		    who, dom, addr, relay, on);
		return SIGNER_SIGN_RELAY;
	case SIGNAUTH_UNSIGNED:
		MILTER_INFO(m, "%s may not be signed for %s (%s): not signed "
		    "(OnUnauthorizedFrom %s%s)", who, dom, addr, on,
		    strcmp(on, "accept-unsigned") == 0 ? "" :
		    ": the relay's domain aligns with it");
		return SIGNER_SIGN_NONE;
	default:
		if (m->from[0] == '\0' && m->login[0] == '\0') {
			/* the MTA's own bounces and notices (null sender, no
			 * login): a milter must not refuse them */
			MILTER_INFO(m, "%s may not be signed for %s (%s): not "
			    "signed (null sender without a login: never "
			    "refused)", who, dom, addr);
			return SIGNER_SIGN_NONE;
		}
		m->unauth = act;
		MILTER_INFO(m, "%s may not be signed for %s (%s): %s "
		    "(OnUnauthorizedFrom %s)", who, dom, addr,
		    act == SIGNAUTH_TEMPFAIL ? "temporary failure" : "refused",
		    on);
		return SIGNER_SIGN_NONE;
	}
}

/*
 * At the end of the header: choose the keys, and use them only if the
 * sender may be signed for them.  Whatever is signed, the signatures the
 * message brought are verified (they are what From: alignment rests on).
 */
void
milter_sign_eoh(struct milter_msg *m)
{
	int how = SIGNER_SIGN_CHOSEN;

	m->sign_rc = signer_msg_choose(m->sign);
	switch (m->sign_rc) {
	case SIGNER_NOKEY:
		MILTER_INFO(m, "not signed: %s (OnNoKey accept)",
		    signer_msg_error(m->sign));
		how = SIGNER_SIGN_NONE;
		break;
	case SIGNER_NOKEY_TEMPFAIL:
		MILTER_INFO(m, "not signed: %s: temporary failure (OnNoKey "
		    "tempfail)", signer_msg_error(m->sign));
		m->nokey_tempfail = 1;
		return;
	default:
		if (signer_msg_claims(m->sign))
			how = milter_sign_authorize(m);
	}
	m->sign_rc = signer_msg_eoh(m->sign, m->id, how);
}

/* OnUnauthorizedFrom reject or tempfail, told at end of message. */
sfsistat
milter_unauthorized(SMFICTX *ctx, struct milter_msg *m)
{
	const struct milter_conn *c = m->conn;
	const char *dom = addr_domain(signer_msg_address(m->sign));
	char text[600];

	if (m->login[0] != '\0')
		snprintf(text, sizeof(text), "repguard: login %.100s may not "
		    "send as %.255s", m->login, dom);
	else
		snprintf(text, sizeof(text), "repguard: client %s may not send "
		    "as %.255s", c->addr, dom);
	if (m->unauth == SIGNAUTH_TEMPFAIL) {
		milter_reply(ctx, m, "451", "4.7.1", text, "unauthorized-from");
		return SMFIS_TEMPFAIL;
	}
	milter_reply(ctx, m, "550", "5.7.1", text, "unauthorized-from");
	return SMFIS_REJECT;
}

/* Finish the signatures and add them at the top of the header. */
int
milter_sign_finish(SMFICTX *ctx, struct milter_msg *m)
{
	const struct milter_conn *c = m->conn;
	SIGNER_SIG sig;
	char *v, *p, *q;
	size_t i;

	if (m->sign_rc == SIGNER_OK)
		m->sign_rc = signer_msg_eom(m->sign);
	if (m->sign_rc != SIGNER_OK)
		return -1;
	for (i = signer_msg_count(m->sign); i-- > 0; ) {
		signer_msg_sig(m->sign, i, &sig);
		/* The MTA wants LF line ends in header values; keep the
		 * leading space if it sends us one. */
		v = mem_alloc(strlen(sig.value) + 2);
		p = v;
		if (c->leadspc)
			*p++ = ' ';
		for (q = (char *)sig.value; *q != '\0'; q++)
			if (*q != '\r')
				*p++ = *q;
		*p = '\0';
		if (smfi_insheader(ctx, 0, "DKIM-Signature", v) != MI_SUCCESS) {
			free(v);
			m->sign_rc = SIGNER_ERROR;
			return -1;
		}
		free(v);
	}
	m->nsigned = signer_msg_count(m->sign);
	for (i = 0; i < signer_msg_count(m->sign); i++) {
		signer_msg_sig(m->sign, i, &sig);
		MILTER_INFO(m, "signed d=%s s=%s a=%s", sig.domain,
		    sig.selector, sig.algorithm);
	}
	if (signer_msg_skipped(m->sign)[0] != '\0')
		MILTER_INFO(m, "not signed again: already carries a valid "
		    "signature with %s", signer_msg_skipped(m->sign));
	if (signer_msg_resigned(m->sign)[0] != '\0')
		MILTER_INFO(m, "signed over a signature with %s that does not "
		    "verify", signer_msg_resigned(m->sign));
	return 0;
}

/*
 * DMARC-style relaxed alignment: the From: domain with the original
 * envelope sender's, or with the d= of a signature the message brought
 * that verifies.  Never with a signature added here: that would make
 * every From: we sign for align, whoever sent it.  Signatures of other
 * domains cannot be verified without DNS, so alignment then rests on the
 * envelope sender.  1 if aligned; else 0 with the finding in why.
 */
int
milter_aligned(const struct milter_msg *m, char *why, size_t whylen)
{
	const char *d[SIGNER_MAX_SIGS], *from, *env;
	size_t n = m->sign ? signer_msg_brought(m->sign, d, SIGNER_MAX_SIGS) :
	    0;

	from = m->hfrom[0] ? addr_domain(m->hfrom) : "";
	env = m->from[0] ? addr_domain(m->from) : "";
	if (align_check(from, env, d, n))
		return 1;
	if (from[0] == '\0')
		snprintf(why, whylen, "From: without an address cannot align");
	else
		snprintf(why, whylen, "From: domain %s does not align with the "
		    "envelope sender's (%s) or a verified DKIM signature it "
		    "brought (%s%s)", from, env[0] ? env : "null sender",
		    n ? "d=" : "none", n ? d[0] : "");
	return 0;
}
