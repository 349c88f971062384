/*
 * milter.c - the milter callbacks: outbound detection, the pause gate and
 * counting.
 *
 * Owns: milter_init(), milter_desc() and the xxfi_* callbacks.  One
 * struct milter_conn per SMTP connection (smfi_setpriv), holding the
 * configuration snapshot, the client's class and the current message's
 * sender key and recipient count.  Callbacks may run on different threads
 * for one connection (libmilter's worker pool) but never at once.
 *
 * Decisions: a client is internal if its address is in InternalHosts;
 * mail is outbound if the client is internal or authenticated
 * ({auth_authen}).  Other mail is accepted untouched at MAIL FROM.  A
 * paused sender gets 451 4.7.1 at MAIL FROM; a store error gets the
 * OnError action.  Accepted outbound messages are counted at end of
 * message through the tally (never a synchronous commit per message).
 * Connect, RCPT, header, end-of-header and body never refuse, so they are
 * negotiated as no-reply stages (SMFIP_NR_*): the MTA streams them without
 * waiting, and a message costs two round trips (MAIL and end of message).
 *
 * Must not: hold a store transaction across callbacks, reject at RCPT TO
 * (Postfix's non_smtpd_milters must not), or keep state in thread-local
 * storage.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "addr.h"
#include "align.h"
#include "conf.h"
#include "fromhdr.h"
#include "intake.h"
#include "log.h"
#include "mem.h"
#include "milter.h"
#include "retpath.h"
#include "rpdns.h"
#include "rprecord.h"
#include "sender.h"
#include "signer.h"
#include "store.h"
#include "tally.h"

#define MILTER_ID_MAX	64

struct milter_conn {
	CONF		*conf;
	unsigned long	 serial;
	int		 internal;
	char		 addr[64];
	char		 id[MILTER_ID_MAX];	/* queue id, else "cN" */
	int		 leadspc;	/* header values keep their space */
	unsigned long	 noreply;	/* SMFIP_NR_* the MTA agreed to */
	/* The current message. */
	int		 outbound;
	char		 sender[SENDER_KEY_MAX];
	unsigned long	 rcpts;
	unsigned long	 size;
	SIGNER_MSG	*sign;		/* NULL: not signing this message */
	int		 sign_rc;	/* first SIGNER_* failure, or OK */
	int		 nokey_tempfail; /* OnNoKey tempfail, told at EOM */
	int		 rewrite;	/* the return-path is rewritten */
	char		 from[ADDR_KEY_MAX];	/* canonical envelope sender */
	char		 esmtp[256];	/* RET= and ENVID= of MAIL FROM */
	RPRECORD	 rp;		/* what the token will point to */
	int		 inbound;	/* not outbound, return-path on */
	INTAKE		 im;		/* a report to our bounce domain */
	unsigned long	 other_rcpts;	/* recipients not in that domain */
	int		 drop;		/* a bad token seen without RCPT
					 * replies: drop at end of message */
	int		 have_hfrom;	/* the first From: was seen */
	char		 hfrom[ADDR_KEY_MAX];	/* its address ("": none) */
};

/*
 * Stages that never refuse anything are answered with no reply when the
 * MTA agrees (protocol version 6): it then streams them without waiting,
 * which saves a round trip per header and per stage.
 */
#define MILTER_NOREPLY	(SMFIP_NR_CONN | SMFIP_NR_RCPT | SMFIP_NR_HDR | \
			 SMFIP_NR_EOH | SMFIP_NR_BODY)

static STORE *milter_store;
static TALLY *milter_tally;
static int milter_inflight;	/* callbacks using the store or tally now */
static int milter_stopping;	/* set by milter_quiesce() */
static unsigned long milter_serial;
static pthread_mutex_t milter_serial_lock = PTHREAD_MUTEX_INITIALIZER;

void
milter_init(STORE *st, TALLY *ty)
{
	milter_store = st;
	milter_tally = ty;
}

static struct milter_conn *
milter_conn(SMFICTX *ctx)
{
	return smfi_getpriv(ctx);
}

/* Use the MTA's queue id in log lines once it has sent one. */
static void
milter_queue_id(SMFICTX *ctx, struct milter_conn *c)
{
	const char *qid = smfi_getsymval(ctx, "i");

	if (qid != NULL && *qid != '\0')
		snprintf(c->id, sizeof(c->id), "%s", qid);
}

static void
milter_msg_reset(struct milter_conn *c)
{
	signer_msg_free(c->sign);
	c->sign = NULL;
	c->sign_rc = SIGNER_OK;
	c->nokey_tempfail = 0;
	c->rewrite = 0;
	c->inbound = 0;
	c->other_rcpts = 0;
	c->drop = 0;
	c->have_hfrom = 0;
	c->hfrom[0] = '\0';
	intake_free(&c->im);
	c->from[0] = '\0';
	c->esmtp[0] = '\0';
	rprecord_clear(&c->rp);
	c->outbound = 0;
	c->sender[0] = '\0';
	c->rcpts = 0;
	c->size = 0;
	snprintf(c->id, sizeof(c->id), "c%lu", c->serial);
}

/* The answer of a stage that goes on: none if the MTA agreed to that. */
static sfsistat
milter_next(const struct milter_conn *c, unsigned long nr)
{
	return c != NULL && (c->noreply & nr) ? SMFIS_NOREPLY :
	    SMFIS_CONTINUE;
}

/* The configured failure action, with a reply the client can act on. */
static sfsistat
milter_on_error(SMFICTX *ctx, struct milter_conn *c, const char *why)
{
	if (conf_on_error(c->conf) == CONF_ON_ERROR_ACCEPT) {
		msg_warn("%s: %s: accepting (OnError accept)", c->id, why);
		return SMFIS_ACCEPT;
	}
	msg_warn("%s: %s: temporary failure (OnError tempfail)", c->id, why);
	smfi_setreply(ctx, "451", "4.3.0",
	    "repguard: temporary failure, try again later");
	return SMFIS_TEMPFAIL;
}

/* A reply text must be printable and must not contain a lone '%'. */
static void
milter_reply_clean(const char *in, char *out, size_t outsize)
{
	size_t o = 0;

	for (; *in != '\0' && o + 3 < outsize; in++) {
		unsigned char ch = (unsigned char)*in;

		if (ch == '%') {
			out[o++] = '%';
			out[o++] = '%';
		} else
			out[o++] = (ch < ' ' || ch >= 0x7f) ? '?' : (char)ch;
	}
	out[o] = '\0';
}

static sfsistat
milter_paused(SMFICTX *ctx, struct milter_conn *c, const SENDER_STATE *s)
{
	char until[64], text[512], clean[1024];
	struct tm tm;
	time_t t = (time_t)s->paused_until;

	if (s->paused_until == 0)
		snprintf(until, sizeof(until), "resumed");
	else {
		gmtime_r(&t, &tm);
		strftime(until, sizeof(until), "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
	/* An SMTP reply line has room for about 500 octets: cap the parts. */
	snprintf(text, sizeof(text), "sender %.200s is paused until %s: %.200s",
	    c->sender, until, s->reason[0] ? s->reason : "paused");
	milter_reply_clean(text, clean, sizeof(clean));
	msg_info("%s: client=%s sender=%s: paused until %s (%s, by %s): "
	    "temporary failure", c->id, c->addr, c->sender, until, s->reason,
	    s->by[0] ? s->by : "unknown");
	if (smfi_setreply(ctx, "451", "4.7.1", clean) != MI_SUCCESS)
		msg_warn("%s: smfi_setreply failed", c->id);
	return SMFIS_TEMPFAIL;
}

/* The client's address for log lines: the MTA's macro, else the socket's. */
static void
milter_client_addr(SMFICTX *ctx, const _SOCK_ADDR *sa, char *out,
    size_t outsize)
{
	const char *a = smfi_getsymval(ctx, "{client_addr}");
	const struct sockaddr *s = (const struct sockaddr *)sa;

	if (a != NULL && *a != '\0')
		snprintf(out, outsize, "%s", a);
	else if (s != NULL && s->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)s)->sin_addr,
		    out, (socklen_t)outsize);
	else if (s != NULL && s->sa_family == AF_INET6)
		inet_ntop(AF_INET6,
		    &((const struct sockaddr_in6 *)s)->sin6_addr, out,
		    (socklen_t)outsize);
	else
		snprintf(out, outsize, "unknown");
}

/* The connection's state, made at negotiation (or connect). */
static struct milter_conn *
milter_conn_get(SMFICTX *ctx)
{
	struct milter_conn *c = milter_conn(ctx);

	if (c == NULL) {
		c = mem_calloc(1, sizeof(*c));
		pthread_mutex_lock(&milter_serial_lock);
		c->serial = ++milter_serial;
		pthread_mutex_unlock(&milter_serial_lock);
		smfi_setpriv(ctx, c);
	}
	return c;
}

static sfsistat
milter_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *sa)
{
	struct milter_conn *c = milter_conn_get(ctx);

	(void)host;
	conf_unref(c->conf);
	c->conf = conf_current();
	milter_msg_reset(c);
	c->internal = sa != NULL &&
	    cidr_list_match_sa(conf_internal_hosts(c->conf), sa);
	milter_client_addr(ctx, sa, c->addr, sizeof(c->addr));
	return milter_next(c, SMFIP_NR_CONN);
}

/* Outbound mail is signed when keys are configured. */
static void
milter_sign_start(struct milter_conn *c)
{
	const SIGNER *sg = conf_signer(c->conf);

	if (signer_keys(sg) == 0)
		return;
	c->sign = signer_msg_new(sg, c->from);
}

/*
 * The canonical envelope sender, and the ESMTP parameters a new one must
 * keep (Postfix honours only RET and ENVID when the sender is changed).
 */
static void
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
 * libmilter's smfi_main() returns without waiting for callbacks still
 * running; those that use the store or the tally are counted so that
 * milter_quiesce() can wait for them before main() frees both.
 */
static int
milter_enter(void)
{
	__atomic_add_fetch(&milter_inflight, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&milter_stopping, __ATOMIC_SEQ_CST)) {
		__atomic_sub_fetch(&milter_inflight, 1, __ATOMIC_SEQ_CST);
		return 0;
	}
	return 1;
}

static sfsistat
milter_leave(sfsistat rc)
{
	__atomic_sub_fetch(&milter_inflight, 1, __ATOMIC_SEQ_CST);
	return rc;
}

/* Refuse new work and wait (up to ms) for callbacks in flight. */
int
milter_quiesce(unsigned ms)
{
	unsigned waited = 0;

	__atomic_store_n(&milter_stopping, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&milter_inflight, __ATOMIC_SEQ_CST) > 0) {
		if (waited >= ms)
			return -1;
		usleep(1000);
		waited++;
	}
	return 0;
}

static sfsistat milter_envfrom_do(SMFICTX *, char **);
static void milter_sign_start(struct milter_conn *);

/*
 * ReturnPathCheck, for a return-path that is not rewritten: its domain
 * must be able to receive bounces (an MX that is not a null MX, or an A or
 * AAAA record).  DNS that does not answer gets OnDNSError.
 */
static sfsistat
milter_check_domain(SMFICTX *ctx, struct milter_conn *c)
{
	const char *dom = addr_domain(c->from);
	char why[256], text[400];

	switch (rpdns_check(conf_rpdns(c->conf), dom, (int64_t)time(NULL), why,
	    sizeof(why))) {
	case RPDNS_FAIL:
		msg_info("%s: refused: return-path %s cannot receive bounces: "
		    "%s", c->id, c->from, why);
		snprintf(text, sizeof(text), "repguard: the sender's domain "
		    "cannot receive bounces: %s", why);
		smfi_setreply(ctx, "550", "5.1.8", text);
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
		smfi_setreply(ctx, "451", "4.4.3", text);
		return SMFIS_TEMPFAIL;
	}
	milter_sign_start(c);
	return SMFIS_CONTINUE;
}

/*
 * SenderLoginMap: may this login use this envelope sender?  Without a map
 * every login may use every sender; the null sender is never checked.
 */
static int
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
static sfsistat milter_eom_do(SMFICTX *);

static sfsistat
milter_envfrom(SMFICTX *ctx, char **argv)
{
	if (!milter_enter())
		return SMFIS_TEMPFAIL;
	return milter_leave(milter_envfrom_do(ctx, argv));
}

static sfsistat
milter_envfrom_do(SMFICTX *ctx, char **argv)
{
	struct milter_conn *c = milter_conn(ctx);
	const char *auth, *err, *from = argv[0] ? argv[0] : "";
	SENDER_STATE s;
	char dberr[256];
	int rc;

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	milter_msg_reset(c);
	milter_queue_id(ctx, c);
	auth = smfi_getsymval(ctx, "{auth_authen}");
	c->outbound = c->internal || (auth != NULL && *auth != '\0');
	if (!c->outbound) {
		/* Inbound mail matters only if it is a report for our
		 * return-path domain, which shows at RCPT. */
		if (!retpath_on(conf_retpath(c->conf)))
			return SMFIS_ACCEPT;
		c->inbound = 1;
		return SMFIS_CONTINUE;
	}
	if (auth != NULL && *auth != '\0' && !milter_login_may(c, auth, from)) {
		char text[700];

		snprintf(text, sizeof(text), "repguard: sender address %.300s "
		    "is not one login %.100s may use", from, auth);
		msg_info("%s: refused: login %s may not send as %s "
		    "(SenderLoginMap)", c->id, auth, from);
		smfi_setreply(ctx, "553", "5.7.1", text);
		return SMFIS_REJECT;
	}
	err = sender_key_make(conf_sender_key(c->conf), auth, from,
	    strlen(from), c->sender, sizeof(c->sender));
	if (err != NULL) {
		if (conf_sender_key(c->conf) == SENDER_KEY_AUTH && auth != NULL &&
		    *auth != '\0')
			snprintf(dberr, sizeof(dberr), "login %.100s: %s", auth,
			    err);
		else
			snprintf(dberr, sizeof(dberr), "sender %.100s: %s", from,
			    err);
		return milter_on_error(ctx, c, dberr);
	}
	dberr[0] = '\0';
	rc = sender_lookup(milter_store, c->sender, &s, dberr, sizeof(dberr));
	if (rc == STORE_ERROR)
		return milter_on_error(ctx, c, dberr);
	if (rc == 0 && sender_is_paused(&s, (int64_t)time(NULL)))
		return milter_paused(ctx, c, &s);
	milter_envelope(c, from, argv[0] != NULL ? argv + 1 : NULL);
	if (!c->rewrite && c->from[0] != '\0' && conf_rpdns(c->conf) != NULL)
		return milter_check_domain(ctx, c);
	milter_sign_start(c);
	return SMFIS_CONTINUE;
}

static sfsistat
milter_envrcpt(SMFICTX *ctx, char **argv)
{
	struct milter_conn *c = milter_conn(ctx);

	char rcpt[ADDR_KEY_MAX], why[256], text[400];
	size_t n;

	if (c == NULL || argv[0] == NULL)
		return milter_next(c, SMFIP_NR_RCPT);
	switch (intake_rcpt(&c->im, c->conf, argv[0], (int64_t)time(NULL),
	    why, sizeof(why))) {
	case INTAKE_OK:
		return milter_next(c, SMFIP_NR_RCPT);
	case INTAKE_REFUSE:
		milter_queue_id(ctx, c);
		msg_info("%s: refused report to %s: %s", c->id, c->im.rcpt,
		    why);
		if (c->noreply & SMFIP_NR_RCPT) {
			c->drop = 1;		/* no reply possible here */
			return SMFIS_NOREPLY;
		}
		snprintf(text, sizeof(text), "repguard: no such bounce "
		    "address (%s)", why);
		smfi_setreply(ctx, "550", "5.1.1", text);
		return SMFIS_REJECT;
	}
	c->other_rcpts++;
	if (c->inbound)
		return milter_next(c, SMFIP_NR_RCPT);
	c->rcpts++;
	if (c->rewrite && addr_canon(argv[0], strlen(argv[0]), rcpt,
	    sizeof(rcpt), &n) == NULL)
		rprecord_add(&c->rp, rcpt);
	return milter_next(c, SMFIP_NR_RCPT);
}

/* Headers and body will stream into the DKIM signer; today they are sized. */
static sfsistat
milter_header(SMFICTX *ctx, char *name, char *value)
{
	struct milter_conn *c = milter_conn(ctx);

	if (c == NULL)
		return SMFIS_CONTINUE;
	c->size += strlen(name) + strlen(value) + 3;
	if (!c->have_hfrom && strcasecmp(name, "From") == 0) {
		size_t n;

		c->have_hfrom = 1;
		if (fromhdr_address(value, strlen(value), c->hfrom,
		    sizeof(c->hfrom), &n) != NULL)
			c->hfrom[0] = '\0';
	}
	intake_header(&c->im, name, value, !c->leadspc);
	if (c->sign != NULL && c->sign_rc == SIGNER_OK)
		c->sign_rc = signer_msg_header(c->sign, name, value,
		    !c->leadspc);
	return milter_next(c, SMFIP_NR_HDR);
}

/*
 * The keys are chosen here.  OnNoKey tempfail is answered at end of
 * message, so that this stage never needs a reply.
 */
static sfsistat
milter_eoh(SMFICTX *ctx)
{
	struct milter_conn *c = milter_conn(ctx);

	if (c == NULL)
		return SMFIS_CONTINUE;
	milter_queue_id(ctx, c);
	intake_eoh(&c->im);
	if (c->im.active) {		/* a report to us: never signed */
		signer_msg_free(c->sign);
		c->sign = NULL;
	}
	if (c->sign == NULL || c->sign_rc != SIGNER_OK)
		return milter_next(c, SMFIP_NR_EOH);
	c->sign_rc = signer_msg_eoh(c->sign, c->id);
	switch (c->sign_rc) {
	case SIGNER_NOKEY:
		msg_info("%s: not signed: %s (OnNoKey accept)", c->id,
		    signer_msg_error(c->sign));
		signer_msg_free(c->sign);
		c->sign = NULL;
		c->sign_rc = SIGNER_OK;
		break;
	case SIGNER_NOKEY_TEMPFAIL:
		msg_info("%s: not signed: %s: temporary failure (OnNoKey "
		    "tempfail)", c->id, signer_msg_error(c->sign));
		c->nokey_tempfail = 1;
		break;
	}
	return milter_next(c, SMFIP_NR_EOH);
}

static sfsistat
milter_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	struct milter_conn *c = milter_conn(ctx);

	if (c == NULL)
		return SMFIS_CONTINUE;
	c->size += len;
	intake_body(&c->im, chunk, len);
	if (c->sign != NULL && c->sign_rc == SIGNER_OK)
		c->sign_rc = signer_msg_body(c->sign, chunk, len);
	return milter_next(c, SMFIP_NR_BODY);
}

/* Finish the signatures and add them at the top of the header. */
static int
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
static int
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
 * envelope sender's or a DKIM signing domain of this message.  1 if
 * aligned; else 0 with the finding in why.
 */
static int
milter_aligned(const struct milter_conn *c, char *why, size_t whylen)
{
	const char *d[SIGNER_MAX_SIGS], *from, *env;
	size_t i, n = c->sign ? signer_msg_count(c->sign) : 0;
	SIGNER_SIG sig;

	for (i = 0; i < n && i < SIGNER_MAX_SIGS; i++) {
		signer_msg_sig(c->sign, i, &sig);
		d[i] = sig.domain;
	}
	from = c->hfrom[0] ? addr_domain(c->hfrom) : "";
	env = c->from[0] ? addr_domain(c->from) : "";
	if (align_check(from, env, d, n))
		return 1;
	if (from[0] == '\0')
		snprintf(why, whylen, "From: without an address cannot align");
	else
		snprintf(why, whylen, "From: domain %s does not align with the "
		    "envelope sender's (%s) or a DKIM signing domain (%s%s)",
		    from, env[0] ? env : "null sender", n ? "d=" : "none",
		    n ? d[0] : "");
	return 0;
}

/*
 * A report to the return-path domain: recorded, then forwarded to the
 * original sender (BounceForward) or dropped.  Other recipients of the
 * same message, if any, still get it.
 */
static sfsistat
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
	intake_eom(&c->im, milter_store, c->conf, c->id, (int64_t)time(NULL),
	    &res);
	msg_info("%s", res.log);
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

static sfsistat
milter_eom(SMFICTX *ctx)
{
	if (!milter_enter())
		return SMFIS_TEMPFAIL;
	return milter_leave(milter_eom_do(ctx));
}

static sfsistat
milter_eom_do(SMFICTX *ctx)
{
	struct milter_conn *c = milter_conn(ctx);
	char why[600];

	if (c == NULL)
		return SMFIS_CONTINUE;
	milter_queue_id(ctx, c);
	if (c->im.active || c->drop)
		return milter_report(ctx, c);
	if (!c->outbound)
		return SMFIS_CONTINUE;
	if (c->nokey_tempfail) {
		snprintf(why, sizeof(why), "repguard: no DKIM key for %.200s",
		    signer_msg_address(c->sign)[0] ?
		    signer_msg_address(c->sign) : "this message");
		smfi_setreply(ctx, "451", "4.7.5", why);
		return SMFIS_TEMPFAIL;
	}
	if (c->sign != NULL && milter_sign_finish(ctx, c) != 0) {
		snprintf(why, sizeof(why), "signing failed: %s",
		    signer_msg_error(c->sign)[0] ? signer_msg_error(c->sign) :
		    "the MTA refused the DKIM-Signature header");
		return milter_on_error(ctx, c, why);
	}
	if (conf_num(c->conf, "FromAlignment") != CONF_ALIGN_OFF &&
	    !milter_aligned(c, why, sizeof(why))) {
		msg_info("%s: %s (FromAlignment %s)", c->id, why,
		    conf_str(c->conf, "FromAlignment"));
		if (conf_num(c->conf, "FromAlignment") == CONF_ALIGN_REJECT) {
			smfi_setreply(ctx, "550", "5.7.1", "repguard: the "
			    "From: domain does not align with the envelope "
			    "sender or the DKIM signing domain");
			return SMFIS_REJECT;
		}
	}
	if (c->rewrite && milter_rewrite(ctx, c, (int64_t)time(NULL), why,
	    sizeof(why)) != 0)
		return milter_on_error(ctx, c, why);
	tally_add(milter_tally, c->sender, 1, c->rcpts, (int64_t)time(NULL));
	msg_info("%s: outbound client=%s sender=%s rcpts=%lu size=%lu", c->id,
	    c->addr, c->sender, c->rcpts, c->size);
	return SMFIS_CONTINUE;
}

static sfsistat
milter_abort(SMFICTX *ctx)
{
	struct milter_conn *c = milter_conn(ctx);

	if (c != NULL)
		milter_msg_reset(c);
	return SMFIS_CONTINUE;
}

static sfsistat
milter_close(SMFICTX *ctx)
{
	struct milter_conn *c = milter_conn(ctx);

	if (c != NULL) {
		signer_msg_free(c->sign);
		rprecord_clear(&c->rp);
		intake_free(&c->im);
		conf_unref(c->conf);
		free(c);
		smfi_setpriv(ctx, NULL);
	}
	return SMFIS_CONTINUE;
}

/*
 * Keep the MTA's "don't send" bits for callbacks we did not register and
 * ask for the macros we read.
 */
static sfsistat
milter_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
    unsigned long f2, unsigned long f3, unsigned long *pf0,
    unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	struct milter_conn *c = milter_conn_get(ctx);
	unsigned long want;
	CONF *cur;

	(void)f2;
	(void)f3;
	*pf0 = f0 & (SMFIF_SETSYMLIST | SMFIF_ADDHDRS | SMFIF_CHGFROM |
	    SMFIF_ADDRCPT | SMFIF_DELRCPT);
	/* *pf1 arrives with SMFIP_NO* set for what we did not register. */
	if (f1 & SMFIP_HDR_LEADSPC) {
		*pf1 |= SMFIP_HDR_LEADSPC;
		c->leadspc = 1;
	}
	/* libmilter offers the NR bits even to an MTA without them (it
	 * then answers CONTINUE itself). */
	want = MILTER_NOREPLY;
	cur = conf_current();
	if (cur != NULL && retpath_on(conf_retpath(cur)))
		want &= ~(unsigned long)SMFIP_NR_RCPT;	/* may refuse there */
	conf_unref(cur);
	*pf1 |= f1 & want;
	c->noreply = *pf1 & want;
	*pf2 = 0;
	*pf3 = 0;
	if (*pf0 & SMFIF_SETSYMLIST) {
		smfi_setsymlist(ctx, SMFIM_CONNECT, "j {daemon_name} "
		    "{client_addr}");
		smfi_setsymlist(ctx, SMFIM_ENVFROM, "i {auth_authen} "
		    "{auth_type} {mail_addr}");
		smfi_setsymlist(ctx, SMFIM_ENVRCPT, "i {rcpt_addr}");
		smfi_setsymlist(ctx, SMFIM_EOH, "i");
		smfi_setsymlist(ctx, SMFIM_EOM, "i");
	}
	return SMFIS_CONTINUE;
}

static struct smfiDesc milter_description = {
	"repguard",
	SMFI_VERSION,
	SMFIF_SETSYMLIST | SMFIF_ADDHDRS | SMFIF_CHGFROM | SMFIF_ADDRCPT |
	    SMFIF_DELRCPT,
	milter_connect,
	NULL,			/* helo */
	milter_envfrom,
	milter_envrcpt,
	milter_header,
	milter_eoh,
	milter_body,
	milter_eom,
	milter_abort,
	milter_close,
	NULL,			/* unknown */
	NULL,			/* data */
	milter_negotiate,
};

struct smfiDesc *
milter_desc(void)
{
	return &milter_description;
}
