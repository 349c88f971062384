/*
 * milter_steps.c - the steps of one message that the callbacks in
 * milter.c call: the envelope and its checks (SenderLoginMap,
 * ReturnPathCheck), return-path rewriting, and the reports that come back
 * to the bounce domain.  DKIM signing and From: alignment are
 * milter_sign.c's.
 *
 * Owns: milter_envelope(), milter_login_may(), milter_check_domain(),
 * milter_rewrite(), milter_report().
 *
 * Must not: keep state outside the message's struct milter_msg, call
 * milter.c, or hold a store transaction across calls.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/clock.h"
#include "common/log.h"
#include "base/mem.h"
#include "milter/milter_int.h"
#include "retpath/retpath.h"
#include "retpath/rpdns.h"

/*
 * The canonical envelope sender, and the ESMTP parameters a new one must
 * keep (Postfix honours only RET and ENVID when the sender is changed).
 */
void
milter_envelope(struct milter_msg *m, const char *from, char **args)
{
	const struct milter_conn *c = m->conn;
	size_t n, len;

	if (addr_canon(from, strlen(from), m->from, sizeof(m->from), &n) !=
	    NULL)
		m->from[0] = '\0';
	m->esmtp[0] = '\0';
	for (; args != NULL && *args != NULL; args++) {
		if (strncasecmp(*args, "RET=", 4) != 0 &&
		    strncasecmp(*args, "ENVID=", 6) != 0)
			continue;
		len = strlen(m->esmtp);
		if (len + strlen(*args) + 2 > sizeof(m->esmtp))
			continue;
		snprintf(m->esmtp + len, sizeof(m->esmtp) - len, "%s%s",
		    len ? " " : "", *args);
	}
	m->rewrite = retpath_applies(conf_retpath(c->conf), m->from);
}

/*
 * ReturnPathCheck, for a return-path that is not rewritten: its domain
 * must be able to receive bounces (an MX that is not a null MX, or an A or
 * AAAA record).  DNS that does not answer gets OnDNSError.
 */
sfsistat
milter_check_domain(SMFICTX *ctx, struct milter_msg *m)
{
	const struct milter_conn *c = m->conn;
	const char *dom = addr_domain(m->from);
	char why[256], text[400];

	switch (rpdns_check(conf_rpdns(c->conf), dom, clock_now(), why,
	    sizeof(why))) {
	case RPDNS_FAIL:
		MILTER_INFO(m, "refused: return-path %s cannot receive "
		    "bounces: %s", m->from, why);
		snprintf(text, sizeof(text), "repguard: the sender's domain "
		    "cannot receive bounces: %s", why);
		milter_reply(ctx, m, "550", "5.1.8", text, "sender-domain");
		return SMFIS_REJECT;
	case RPDNS_ERROR:
		if (conf_num(c->conf, KW_ON_DNS_ERROR) ==
		    CONF_ON_ERROR_ACCEPT) {
			MILTER_INFO(m, "%s (OnDNSError accept)", why);
			break;
		}
		MILTER_INFO(m, "%s: temporary failure (OnDNSError tempfail)",
		    why);
		snprintf(text, sizeof(text), "repguard: %s, try again later",
		    why);
		milter_reply(ctx, m, "451", "4.4.3", text, "dns-error");
		return SMFIS_TEMPFAIL;
	}
	milter_sign_start(m);
	return SMFIS_CONTINUE;
}

/*
 * SenderLoginMap: may this login use this envelope sender?  Without a map
 * every login may use every sender; the null sender is never checked.
 */
int
milter_login_may(const struct milter_msg *m, const char *login,
    const char *from)
{
	const struct milter_conn *c = m->conn;
	const LOGINMAP *map = conf_loginmap(c->conf);
	char key[ADDR_KEY_MAX];
	size_t n;

	if (map == NULL)
		return 1;
	if (addr_canon(from, strlen(from), key, sizeof(key), &n) != NULL)
		return 0;
	return key[0] == '\0' || loginmap_allows(map, key, login);
}

/*
 * Replace the envelope sender by a return-path with a token, after the
 * record the token names is queued for the store (same batch as the
 * counters).  0, or -1 with the reason in why.
 */
int
milter_rewrite(SMFICTX *ctx, struct milter_msg *m, int64_t now, char *why,
    size_t whylen)
{
	const struct milter_conn *c = m->conn;
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
	m->rp.created = now;
	m->rp.expires = now + retpath_expiry(rp);
	snprintf(m->rp.sender, sizeof(m->rp.sender), "%s", m->sender);
	snprintf(m->rp.from, sizeof(m->rp.from), "%s", m->from);
	snprintf(m->rp.qid, sizeof(m->rp.qid), "%s", m->id);
	val = mem_alloc(RPRECORD_VALUE_MAX);
	n = rprecord_encode(id, &m->rp, key, val, RPRECORD_VALUE_MAX);
	if (n == 0) {
		free(val);
		snprintf(why, whylen, "return-path: record does not fit");
		return -1;
	}
	snprintf(bracketed, sizeof(bracketed), "<%s>", addr);
	if (smfi_chgfrom(ctx, bracketed, m->esmtp[0] ? m->esmtp : NULL) !=
	    MI_SUCCESS) {
		free(val);
		snprintf(why, whylen, "return-path: the MTA refused to change "
		    "the envelope sender");
		return -1;
	}
	tally_put(milter_tally(), STORE_DB_RETURNPATH, key, sizeof(key), val,
	    n);
	free(val);
	MILTER_INFO(m, "return-path %s -> %s", m->from, addr);
	return 0;
}

/*
 * A report to the return-path domain: recorded, then forwarded to the
 * original sender (BounceForward, at most once per recipient of the
 * message) or dropped.  Other recipients of the
 * same message, if any, still get it.
 */
sfsistat
milter_report(SMFICTX *ctx, struct milter_msg *m)
{
	const struct milter_conn *c = m->conn;
	INTAKE_RESULT res;
	char addr[ADDR_KEY_MAX + 2];

	if (!m->im.active) {		/* only bad tokens, no RCPT replies */
		MILTER_INFO(m, "report with a bad token dropped");
		return m->other_rcpts ? SMFIS_CONTINUE : SMFIS_DISCARD;
	}
	/*
	 * Our own MTA can bounce a message within milliseconds of its end of
	 * message, before the batch that holds its record is written: write
	 * what is queued first (reports are rare; this is one commit).
	 */
	(void)tally_flush(milter_tally());
	intake_eom(&m->im, milter_store(), conf_intake(c->conf), m->id,
	    clock_now(), &res);
	msg_info("%s", res.log);
	if (res.foreign[0] != '\0')
		msg_warn("%s", res.foreign);
	if (res.change[0] != '\0')
		MILTER_INFO(m, "%s", res.change);
	if (res.failed)
		return milter_on_error(ctx, m, "bounce events could not be "
		    "recorded");
	if (res.defer) {
		milter_reply(ctx, m, "451", "4.3.0", "repguard: the message "
		    "this report is about is not known here yet; try again "
		    "later", "report-deferred");
		return SMFIS_TEMPFAIL;
	}
	snprintf(addr, sizeof(addr), "<%s>", m->im.rcpt);
	if (res.forward[0] != '\0') {
		char to[ADDR_KEY_MAX + 2];

		snprintf(to, sizeof(to), "<%s>", res.forward);
		if (smfi_addrcpt(ctx, to) != MI_SUCCESS ||
		    smfi_delrcpt(ctx, addr) != MI_SUCCESS)
			return milter_on_error(ctx, m, "the MTA refused to "
			    "forward the report");
		MILTER_INFO(m, "report forwarded to %s", res.forward);
		return SMFIS_CONTINUE;
	}
	if (m->other_rcpts == 0)
		return SMFIS_DISCARD;
	return smfi_delrcpt(ctx, addr) == MI_SUCCESS ? SMFIS_CONTINUE :
	    milter_on_error(ctx, m, "the MTA refused to drop the report");
}
