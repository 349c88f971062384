/*
 * milter_steps.c - the steps of one message that the callbacks in
 * milter.c call: the envelope and its checks (SenderLoginMap,
 * ReturnPathCheck), DKIM signing's start, authorisation and finish, From:
 * alignment, return-path rewriting, and the reports that come back to the
 * bounce domain.
 *
 * Owns: milter_envelope(), milter_login_may(), milter_check_domain(),
 * milter_sign_start(), milter_sign_eoh(), milter_unauthorized(),
 * milter_sign_finish(), milter_aligned(), milter_rewrite(),
 * milter_report().
 *
 * Must not: keep state outside the connection's struct milter_conn, or
 * hold a store transaction across calls.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "align.h"
#include "clock.h"
#include "log.h"
#include "mem.h"
#include "milter_int.h"
#include "retpath.h"
#include "rpdns.h"
#include "signauth.h"

/* Outbound mail is signed when keys are configured. */
void
milter_sign_start(struct milter_conn *c)
{
	const SIGNER *sg = conf_signer(c->conf);

	if (signer_keys(sg) == 0)
		return;
	c->sign = signer_msg_new(sg, c->from);
}

/* "login alice (client 10.1.2.3)", or "client 10.1.2.3 (no login)". */
static void
milter_sign_who(const struct milter_conn *c, char *out, size_t outsize)
{
	if (c->login[0] != '\0')
		snprintf(out, outsize, "login %.100s (client %s)", c->login,
		    c->addr);
	else
		snprintf(out, outsize, "client %s (no login)", c->addr);
}

/*
 * May the sender be signed for the address that chose the keys?  Asked
 * only when a chosen key's d= aligns with that address's domain (such a
 * signature passes DMARC for it); the answer is SIGNER_SIGN_* and, for
 * OnUnauthorizedFrom reject or tempfail, c->unauth.
 */
static int
milter_sign_authorize(struct milter_conn *c)
{
	const char *addr = signer_msg_address(c->sign), *dom, *relay, *on;
	char who[500];
	int r, act;

	dom = addr_domain(addr);
	relay = signer_relay_domain(conf_signer(c->conf));
	on = conf_str(c->conf, "OnUnauthorizedFrom");
	r = signauth_check(conf_signauth(c->conf), addr, c->login, c->addr);
	act = signauth_action(r, (int)conf_num(c->conf, "OnUnauthorizedFrom"),
	    relay, dom);
	if (act == SIGNAUTH_SIGN)
		return SIGNER_SIGN_CHOSEN;
	milter_sign_who(c, who, sizeof(who));
	switch (act) {
	case SIGNAUTH_SIGN_RELAY:
		msg_info("%s: %s may not be signed for %s (%s): signed as the "
		    "relay's domain %s instead (OnUnauthorizedFrom %s)", c->id,
		    who, dom, addr, relay, on);
		return SIGNER_SIGN_RELAY;
	case SIGNAUTH_UNSIGNED:
		msg_info("%s: %s may not be signed for %s (%s): not signed "
		    "(OnUnauthorizedFrom %s%s)", c->id, who, dom, addr, on,
		    strcmp(on, "accept-unsigned") == 0 ? "" :
		    ": the relay's domain aligns with it");
		return SIGNER_SIGN_NONE;
	default:
		c->unauth = act;
		msg_info("%s: %s may not be signed for %s (%s): %s "
		    "(OnUnauthorizedFrom %s)", c->id, who, dom, addr,
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
milter_sign_eoh(struct milter_conn *c)
{
	int how = SIGNER_SIGN_CHOSEN;

	c->sign_rc = signer_msg_choose(c->sign);
	switch (c->sign_rc) {
	case SIGNER_NOKEY:
		msg_info("%s: not signed: %s (OnNoKey accept)", c->id,
		    signer_msg_error(c->sign));
		how = SIGNER_SIGN_NONE;
		break;
	case SIGNER_NOKEY_TEMPFAIL:
		msg_info("%s: not signed: %s: temporary failure (OnNoKey "
		    "tempfail)", c->id, signer_msg_error(c->sign));
		c->nokey_tempfail = 1;
		return;
	default:
		if (signer_msg_claims(c->sign))
			how = milter_sign_authorize(c);
	}
	c->sign_rc = signer_msg_eoh(c->sign, c->id, how);
}

/* OnUnauthorizedFrom reject or tempfail, told at end of message. */
sfsistat
milter_unauthorized(SMFICTX *ctx, struct milter_conn *c)
{
	const char *dom = addr_domain(signer_msg_address(c->sign));
	char text[600], clean[700];

	if (c->login[0] != '\0')
		snprintf(text, sizeof(text), "repguard: login %.100s may not "
		    "send as %.255s", c->login, dom);
	else
		snprintf(text, sizeof(text), "repguard: client %s may not send "
		    "as %.255s", c->addr, dom);
	milter_reply_clean(text, clean, sizeof(clean));
	if (c->unauth == SIGNAUTH_TEMPFAIL) {
		milter_reply(ctx, c, "451", "4.7.1", clean, "unauthorized-from");
		return SMFIS_TEMPFAIL;
	}
	milter_reply(ctx, c, "550", "5.7.1", clean, "unauthorized-from");
	return SMFIS_REJECT;
}

/*
 * The canonical envelope sender, and the ESMTP parameters a new one must
 * keep (Postfix honours only RET and ENVID when the sender is changed).
 */
void
milter_envelope(struct milter_conn *c, const char *from, char **args)
{
	size_t n, len;

	if (addr_canon(from, strlen(from), c->from, sizeof(c->from), &n) !=
	    NULL)
		c->from[0] = '\0';
	c->esmtp[0] = '\0';
	for (; args != NULL && *args != NULL; args++) {
		if (strncasecmp(*args, "RET=", 4) != 0 &&
		    strncasecmp(*args, "ENVID=", 6) != 0)
			continue;
		len = strlen(c->esmtp);
		if (len + strlen(*args) + 2 > sizeof(c->esmtp))
			continue;
		snprintf(c->esmtp + len, sizeof(c->esmtp) - len, "%s%s",
		    len ? " " : "", *args);
	}
	c->rewrite = retpath_applies(conf_retpath(c->conf), c->from);
}

/*
 * ReturnPathCheck, for a return-path that is not rewritten: its domain
 * must be able to receive bounces (an MX that is not a null MX, or an A or
 * AAAA record).  DNS that does not answer gets OnDNSError.
 */
sfsistat
milter_check_domain(SMFICTX *ctx, struct milter_conn *c)
{
	const char *dom = addr_domain(c->from);
	char why[256], text[400];

	switch (rpdns_check(conf_rpdns(c->conf), dom, clock_now(), why,
	    sizeof(why))) {
	case RPDNS_FAIL:
		msg_info("%s: refused: return-path %s cannot receive bounces: "
		    "%s", c->id, c->from, why);
		snprintf(text, sizeof(text), "repguard: the sender's domain "
		    "cannot receive bounces: %s", why);
		milter_reply(ctx, c, "550", "5.1.8", text, "sender-domain");
		return SMFIS_REJECT;
	case RPDNS_ERROR:
		if (conf_num(c->conf, "OnDNSError") == CONF_ON_ERROR_ACCEPT) {
			msg_info("%s: %s (OnDNSError accept)", c->id, why);
			break;
		}
		msg_info("%s: %s: temporary failure (OnDNSError tempfail)",
		    c->id, why);
		snprintf(text, sizeof(text), "repguard: %s, try again later",
		    why);
		milter_reply(ctx, c, "451", "4.4.3", text, "dns-error");
		return SMFIS_TEMPFAIL;
	}
	milter_sign_start(c);
	return SMFIS_CONTINUE;
}

/*
 * SenderLoginMap: may this login use this envelope sender?  Without a map
 * every login may use every sender; the null sender is never checked.
 */
int
milter_login_may(const struct milter_conn *c, const char *login,
    const char *from)
{
	const LOGINMAP *m = conf_loginmap(c->conf);
	char key[ADDR_KEY_MAX];
	size_t n;

	if (m == NULL)
		return 1;
	if (addr_canon(from, strlen(from), key, sizeof(key), &n) != NULL)
		return 0;
	return key[0] == '\0' || loginmap_allows(m, key, login);
}

/* Finish the signatures and add them at the top of the header. */
int
milter_sign_finish(SMFICTX *ctx, struct milter_conn *c)
{
	SIGNER_SIG sig;
	char *v, *p, *q;
	size_t i;

	if (c->sign_rc == SIGNER_OK)
		c->sign_rc = signer_msg_eom(c->sign);
	if (c->sign_rc != SIGNER_OK)
		return -1;
	for (i = signer_msg_count(c->sign); i-- > 0; ) {
		signer_msg_sig(c->sign, i, &sig);
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
			c->sign_rc = SIGNER_ERROR;
			return -1;
		}
		free(v);
	}
	c->nsigned = signer_msg_count(c->sign);
	for (i = 0; i < signer_msg_count(c->sign); i++) {
		signer_msg_sig(c->sign, i, &sig);
		msg_info("%s: signed d=%s s=%s a=%s", c->id, sig.domain,
		    sig.selector, sig.algorithm);
	}
	if (signer_msg_skipped(c->sign)[0] != '\0')
		msg_info("%s: not signed again: already carries a valid "
		    "signature with %s", c->id, signer_msg_skipped(c->sign));
	if (signer_msg_resigned(c->sign)[0] != '\0')
		msg_info("%s: signed over a signature with %s that does not "
		    "verify", c->id, signer_msg_resigned(c->sign));
	return 0;
}

/*
 * Replace the envelope sender by a return-path with a token, after the
 * record the token names is queued for the store (same batch as the
 * counters).  0, or -1 with the reason in why.
 */
int
milter_rewrite(SMFICTX *ctx, struct milter_conn *c, int64_t now, char *why,
    size_t whylen)
{
	const RETPATH *rp = conf_retpath(c->conf);
	unsigned char key[RPRECORD_KEY_LEN], *val;
	char addr[ADDR_KEY_MAX], bracketed[ADDR_KEY_MAX + 2];
	const char *err;
	uint64_t id;
	size_t n;

	if (rptoken_new_id(&id) != 0) {
		snprintf(why, whylen, "return-path: no random id");
		return -1;
	}
	if ((err = retpath_address(rp, id, now, addr, sizeof(addr))) != NULL) {
		snprintf(why, whylen, "return-path: %s", err);
		return -1;
	}
	c->rp.created = now;
	c->rp.expires = now + retpath_expiry(rp);
	snprintf(c->rp.sender, sizeof(c->rp.sender), "%s", c->sender);
	snprintf(c->rp.from, sizeof(c->rp.from), "%s", c->from);
	snprintf(c->rp.qid, sizeof(c->rp.qid), "%s", c->id);
	val = mem_alloc(RPRECORD_VALUE_MAX);
	n = rprecord_encode(id, &c->rp, key, val, RPRECORD_VALUE_MAX);
	if (n == 0) {
		free(val);
		snprintf(why, whylen, "return-path: record does not fit");
		return -1;
	}
	snprintf(bracketed, sizeof(bracketed), "<%s>", addr);
	if (smfi_chgfrom(ctx, bracketed, c->esmtp[0] ? c->esmtp : NULL) !=
	    MI_SUCCESS) {
		free(val);
		snprintf(why, whylen, "return-path: the MTA refused to change "
		    "the envelope sender");
		return -1;
	}
	tally_put(milter_tally, STORE_DB_RETURNPATH, key, sizeof(key), val, n);
	free(val);
	msg_info("%s: return-path %s -> %s", c->id, c->from, addr);
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
milter_aligned(const struct milter_conn *c, char *why, size_t whylen)
{
	const char *d[SIGNER_MAX_SIGS], *from, *env;
	size_t n = c->sign ? signer_msg_brought(c->sign, d, SIGNER_MAX_SIGS) :
	    0;

	from = c->hfrom[0] ? addr_domain(c->hfrom) : "";
	env = c->from[0] ? addr_domain(c->from) : "";
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

/*
 * A report to the return-path domain: recorded, then forwarded to the
 * original sender (BounceForward) or dropped.  Other recipients of the
 * same message, if any, still get it.
 */
sfsistat
milter_report(SMFICTX *ctx, struct milter_conn *c)
{
	INTAKE_RESULT res;
	char addr[ADDR_KEY_MAX + 2];

	if (!c->im.active) {		/* only bad tokens, no RCPT replies */
		msg_info("%s: report with a bad token dropped", c->id);
		return c->other_rcpts ? SMFIS_CONTINUE : SMFIS_DISCARD;
	}
	/*
	 * Our own MTA can bounce a message within milliseconds of its end of
	 * message, before the batch that holds its record is written: write
	 * what is queued first (reports are rare; this is one commit).
	 */
	(void)tally_flush(milter_tally);
	intake_eom(&c->im, milter_store, c->conf, c->id, clock_now(),
	    &res);
	msg_info("%s", res.log);
	if (res.change[0] != '\0')
		msg_info("%s: %s", c->id, res.change);
	if (res.failed)
		return milter_on_error(ctx, c, "bounce events could not be "
		    "recorded");
	snprintf(addr, sizeof(addr), "<%s>", c->im.rcpt);
	if (res.forward[0] != '\0') {
		char to[ADDR_KEY_MAX + 2];

		snprintf(to, sizeof(to), "<%s>", res.forward);
		if (smfi_addrcpt(ctx, to) != MI_SUCCESS ||
		    smfi_delrcpt(ctx, addr) != MI_SUCCESS)
			return milter_on_error(ctx, c, "the MTA refused to "
			    "forward the report");
		msg_info("%s: report forwarded to %s", c->id, res.forward);
		return SMFIS_CONTINUE;
	}
	if (c->other_rcpts == 0)
		return SMFIS_DISCARD;
	return smfi_delrcpt(ctx, addr) == MI_SUCCESS ? SMFIS_CONTINUE :
	    milter_on_error(ctx, c, "the MTA refused to drop the report");
}
