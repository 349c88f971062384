/*
 * milter.c - the milter callbacks: outbound detection, the pause gate,
 * counting, and the order of a message's steps (milter_steps.c).
 *
 * Owns: milter_init(), milter_desc(), milter_quiesce() and the xxfi_*
 * callbacks.  One struct milter_conn per SMTP connection (smfi_setpriv,
 * milter_int.h), holding the configuration snapshot and the client's
 * class, and one struct milter_msg per message, begun at MAIL FROM and
 * ended where the message ends: refused or accepted at MAIL FROM, at end
 * of message, at abort, or when the connection closes (milter_conn.c).
 * Callbacks may run on different threads for one connection (libmilter's
 * worker pool) but never at once.
 *
 * Decisions: a client is internal if its address is in InternalHosts; mail
 * is outbound if the client is internal or authenticated ({auth_authen}).
 * Its login and address decide whether it may be signed for its From:
 * domain (milter_sign_eoh()).  Other mail is accepted untouched at MAIL
 * FROM, unless a return-path domain is configured: then it is read on,
 * since it may be a report to that domain (refused at RCPT if its token is
 * bad).  A paused sender gets 451 4.7.1 at MAIL FROM; a store error gets
 * the OnError action.  Accepted outbound messages are counted at end of
 * message through the tally (never a synchronous commit per message).
 * Connect, RCPT (unless reports are taken in), header, end-of-header and
 * body never refuse, so they are negotiated as no-reply stages
 * (SMFIP_NR_*): the MTA streams them without waiting.
 *
 * Must not: hold a store transaction across callbacks, refuse at RCPT TO
 * anything but a bounce address with a bad token (Postfix's own bounces,
 * seen through non_smtpd_milters, always carry good ones), or keep state
 * in thread-local storage.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "base/clock.h"
#include "dkim/fromhdr.h"
#include "common/log.h"
#include "base/mem.h"
#include "common/metrics.h"
#include "milter/milter.h"
#include "milter/milter_int.h"
#include "retpath/retpath.h"

/*
 * Stages that never refuse anything are answered with no reply when the
 * MTA agrees (protocol version 6): it then streams them without waiting,
 * which saves a round trip per header and per stage.
 */
#define MILTER_NOREPLY	(SMFIP_NR_CONN | SMFIP_NR_RCPT | SMFIP_NR_HDR | \
			 SMFIP_NR_EOH | SMFIP_NR_BODY)

static int milter_inflight;	/* callbacks using the store or tally now */
static int milter_stopping;	/* set by milter_quiesce() */

void
milter_init(STORE *st, TALLY *ty, SHAPE *sh)
{
	milter_conn_init(st, ty, sh);
}

void
milter_set_cluster(const CLUSTER *cl)
{
	milter_conn_set_cluster(cl);
}

/* The answer of a stage that goes on: none if the MTA agreed to that. */
static sfsistat
milter_next(const struct milter_conn *c, unsigned long nr)
{
	return c != NULL && (c->noreply & nr) ? SMFIS_NOREPLY :
	    SMFIS_CONTINUE;
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

static sfsistat
milter_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *sa)
{
	struct milter_conn *c = milter_conn_get(ctx);

	(void)host;
	milter_msg_end(c);
	conf_unref(c->conf);
	c->conf = conf_current();
	c->internal = sa != NULL &&
	    cidr_list_match_sa(conf_internal_hosts(c->conf), sa);
	milter_client_addr(ctx, sa, c->addr, sizeof(c->addr));
	return milter_next(c, SMFIP_NR_CONN);
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

static sfsistat milter_envfrom_do(SMFICTX *, struct milter_msg *, char **);

static sfsistat milter_eom_do(SMFICTX *, struct milter_msg *);

/* A message begins; refused or accepted here, it is over here too. */
static sfsistat
milter_envfrom(SMFICTX *ctx, char **argv)
{
	struct milter_conn *c = milter_conn_of(ctx);
	sfsistat rs;

	if (!milter_enter())
		return SMFIS_TEMPFAIL;
	if (c == NULL)
		return milter_leave(SMFIS_TEMPFAIL);
	rs = milter_envfrom_do(ctx, milter_msg_begin(c), argv);
	if (rs != SMFIS_CONTINUE) {
		if (c->msg->outbound)	/* refused, or OnError accept */
			milter_log_message(c->msg, "mail", rs);
		milter_msg_end(c);
	}
	return milter_leave(rs);
}

static sfsistat
milter_envfrom_do(SMFICTX *ctx, struct milter_msg *m, char **argv)
{
	const struct milter_conn *c = m->conn;
	const char *auth, *err, *from = argv[0] ? argv[0] : "";
	char dberr[256], why[192];
	sfsistat rs;

	milter_queue_id(ctx, m);
	m->t0_us = milter_log_now_us();
	auth = smfi_getsymval(ctx, "{auth_authen}");
	m->outbound = c->internal || (auth != NULL && *auth != '\0');
	snprintf(m->login, sizeof(m->login), "%s", auth != NULL ? auth : "");
	if (!m->outbound) {
		/* Inbound mail matters only if it is a report for our
		 * return-path domain, which shows at RCPT. */
		if (!retpath_on(conf_retpath(c->conf)))
			return SMFIS_ACCEPT;
		m->inbound = 1;
		return SMFIS_CONTINUE;
	}
	if (auth != NULL && *auth != '\0' && !milter_login_may(m, auth, from)) {
		char text[700];

		snprintf(text, sizeof(text), "repguard: sender address %.300s "
		    "is not one login %.100s may use", from, auth);
		MILTER_INFO(m, "refused: login %s may not send as %s "
		    "(SenderLoginMap)", auth, from);
		milter_reply(ctx, m, "553", "5.7.1", text, "login-map");
		return SMFIS_REJECT;
	}
	err = sender_key_make(conf_sender_key(c->conf), auth, from,
	    strlen(from), m->sender, sizeof(m->sender));
	if (err != NULL) {
		if (conf_sender_key(c->conf) == SENDER_KEY_AUTH && auth != NULL &&
		    *auth != '\0')
			snprintf(dberr, sizeof(dberr), "login %.100s: %s", auth,
			    err);
		else
			snprintf(dberr, sizeof(dberr), "sender %.100s: %s", from,
			    err);
		return milter_on_error(ctx, m, dberr);
	}
	if (tally_failing(milter_tally(), why, sizeof(why))) {
		/* what the last messages left to write still waits: hold
		 * new mail back (OnError) until the database takes it */
		snprintf(dberr, sizeof(dberr), "the database cannot be "
		    "written: %s", why);
		return milter_on_error(ctx, m, dberr);
	}
	/* a cluster running (Cluster takes a restart), and this message's
	 * configuration asks for it */
	if (milter_cluster() != NULL && conf_cluster(c->conf) != NULL &&
	    conf_cluster(c->conf)->on_down == CLUSTER_ON_DOWN_TEMPFAIL &&
	    !cluster_up(milter_cluster())) {
		/* ClusterOnDown tempfail: the others' pauses may not be here */
		MILTER_INFO(m, "refused: the cluster is down (ClusterOnDown "
		    "tempfail)");
		milter_reply(ctx, m, "451", "4.3.0", "repguard: the cluster's "
		    "shared state cannot be reached, try again later",
		    "cluster-down");
		return SMFIS_TEMPFAIL;
	}
	if ((rs = milter_rep_gate(ctx, m, clock_now())) !=
	    SMFIS_CONTINUE)
		return rs;
	milter_envelope(m, from, argv[0] != NULL ? argv + 1 : NULL);
	if (!m->rewrite && m->from[0] != '\0' && conf_rpdns(c->conf) != NULL)
		return milter_check_domain(ctx, m);
	milter_sign_start(m);
	return SMFIS_CONTINUE;
}

/* A recipient refused alone: its decision line; the message goes on. */
static void
milter_rcpt_refused(struct milter_msg *m, const char *rcpt, sfsistat rs)
{
	milter_log_rcpt(m, rcpt, rs);
	m->rcpts_refused++;
	memset(&m->reply, 0, sizeof(m->reply));
}

/*
 * A return-path recipient refused: a bad token (550 5.1.1, for good) or
 * a second one in the same message (452 4.5.3, sent again apart).
 */
static sfsistat
milter_rcpt_report(SMFICTX *ctx, struct milter_msg *m, const char *rcpt,
    const char *why)
{
	int again = m->im.active;
	char text[400];

	milter_queue_id(ctx, m);
	MILTER_INFO(m, "%s report to %s: %s", again ? "deferred" :
	    "refused", again ? rcpt : m->im.rcpt, why);
	if (m->conn->noreply & SMFIP_NR_RCPT) {
		m->drop = 1;		/* no reply possible here */
		return SMFIS_NOREPLY;
	}
	if (again) {
		snprintf(text, sizeof(text), "repguard: %s, send this "
		    "recipient apart", why);
		milter_reply(ctx, m, "452", "4.5.3", text, "bad-token");
		milter_rcpt_refused(m, rcpt, SMFIS_TEMPFAIL);
		return SMFIS_TEMPFAIL;
	}
	snprintf(text, sizeof(text), "repguard: no such bounce address (%s)",
	    why);
	milter_reply(ctx, m, "550", "5.1.1", text, "bad-token");
	milter_rcpt_refused(m, m->im.rcpt, SMFIS_REJECT);
	return SMFIS_REJECT;
}

static sfsistat
milter_envrcpt(SMFICTX *ctx, char **argv)
{
	const struct milter_conn *c = milter_conn_of(ctx);
	struct milter_msg *m = c != NULL ? c->msg : NULL;
	char rcpt[ADDR_KEY_MAX], why[256];
	sfsistat rs;
	size_t n;

	if (m == NULL || argv[0] == NULL)
		return milter_next(c, SMFIP_NR_RCPT);
	switch (intake_rcpt(&m->im, conf_intake(c->conf), argv[0],
	    clock_now(), why, sizeof(why))) {
	case INTAKE_OK:
		if ((rs = milter_shape_report(ctx, m, clock_now_ms())) !=
		    SMFIS_CONTINUE) {
			m->im.active = 0;	/* not taken: no report */
			milter_rcpt_refused(m, m->im.rcpt, rs);
			return rs;
		}
		return milter_next(c, SMFIP_NR_RCPT);
	case INTAKE_REFUSE:
	case INTAKE_DEFER:
		return milter_rcpt_report(ctx, m, argv[0], why);
	}
	/* outbound: one canonical key for the suppression list and the
	 * return-path record */
	if (m->outbound && addr_canon(argv[0], strlen(argv[0]), rcpt,
	    sizeof(rcpt), &n) == NULL && n > 0) {
		if ((rs = milter_rep_rcpt(ctx, m, rcpt, clock_now())) !=
		    SMFIS_CONTINUE || (rs = milter_shape_rcpt(ctx, m, rcpt,
		    clock_now_ms())) != SMFIS_CONTINUE) {
			/* this recipient only (suppressed, or its domain's
			 * limit); not counted */
			milter_rcpt_refused(m, rcpt, rs);
			return rs;
		}
		if (m->first_rcpt[0] == '\0')
			snprintf(m->first_rcpt, sizeof(m->first_rcpt), "%s",
			    rcpt);
		if (m->rewrite)
			rprecord_add(&m->rp, rcpt);
	}
	m->other_rcpts++;
	if (m->inbound)
		return milter_next(c, SMFIP_NR_RCPT);
	m->rcpts++;
	return milter_next(c, SMFIP_NR_RCPT);
}

/* Headers and body will stream into the DKIM signer; today they are sized. */
static sfsistat
milter_header(SMFICTX *ctx, char *name, char *value)
{
	const struct milter_conn *c = milter_conn_of(ctx);
	struct milter_msg *m = c != NULL ? c->msg : NULL;

	if (m == NULL)
		return milter_next(c, SMFIP_NR_HDR);
	m->size += strlen(name) + strlen(value) + 3;
	if (!m->have_hfrom && strcasecmp(name, "From") == 0) {
		size_t n;

		m->have_hfrom = 1;
		if (fromhdr_address(value, strlen(value), m->hfrom,
		    sizeof(m->hfrom), &n) != NULL)
			m->hfrom[0] = '\0';
	}
	intake_header(&m->im, name, value, !c->leadspc);
	milter_shape_header(m, name, value);
	if (m->sign != NULL && m->sign_rc == SIGNER_OK)
		m->sign_rc = signer_msg_header(m->sign, name, value,
		    !c->leadspc);
	return milter_next(c, SMFIP_NR_HDR);
}

/*
 * The keys are chosen here, once the sender's right to them is known.
 * OnNoKey tempfail and OnUnauthorizedFrom reject or tempfail are answered
 * at end of message, so that this stage never needs a reply.
 */
static sfsistat
milter_eoh(SMFICTX *ctx)
{
	const struct milter_conn *c = milter_conn_of(ctx);
	struct milter_msg *m = c != NULL ? c->msg : NULL;

	if (m == NULL)
		return milter_next(c, SMFIP_NR_EOH);
	milter_queue_id(ctx, m);
	intake_eoh(&m->im);
	if (m->im.active) {		/* a report to us: never signed */
		signer_msg_free(m->sign);
		m->sign = NULL;
	} else
		milter_shape_eoh(m);	/* adds headers: before signing */
	if (m->sign != NULL && m->sign_rc == SIGNER_OK)
		milter_sign_eoh(m);
	return milter_next(c, SMFIP_NR_EOH);
}

static sfsistat
milter_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	const struct milter_conn *c = milter_conn_of(ctx);
	struct milter_msg *m = c != NULL ? c->msg : NULL;

	if (m == NULL)
		return milter_next(c, SMFIP_NR_BODY);
	m->size += len;
	intake_body(&m->im, chunk, len);
	if (m->sign != NULL && m->sign_rc == SIGNER_OK)
		m->sign_rc = signer_msg_body(m->sign, chunk, len);
	return milter_next(c, SMFIP_NR_BODY);
}

/* The message is over here, whatever the answer. */
static sfsistat
milter_eom(SMFICTX *ctx)
{
	struct milter_conn *c = milter_conn_of(ctx);
	sfsistat rs;

	if (!milter_enter())
		return SMFIS_TEMPFAIL;
	if (c == NULL || c->msg == NULL)
		return milter_leave(SMFIS_CONTINUE);
	rs = milter_eom_do(ctx, c->msg);
	if (c->msg->outbound || c->msg->im.active || c->msg->drop)
		milter_log_message(c->msg, "eom", rs);
	milter_msg_end(c);
	return milter_leave(rs);
}

static sfsistat
milter_eom_do(SMFICTX *ctx, struct milter_msg *m)
{
	const struct milter_conn *c = m->conn;
	SENDER_COUNTS counts;
	char why[600];
	sfsistat rs;

	milter_queue_id(ctx, m);
	if (m->im.active || m->drop)
		return milter_report(ctx, m);
	if (!m->outbound)
		return SMFIS_CONTINUE;
	if (m->nokey_tempfail) {
		snprintf(why, sizeof(why), "repguard: no DKIM key for %.200s",
		    signer_msg_address(m->sign)[0] ?
		    signer_msg_address(m->sign) : "this message");
		milter_reply(ctx, m, "451", "4.7.5", why, "no-key");
		return SMFIS_TEMPFAIL;
	}
	if (m->unauth != 0)
		return milter_unauthorized(ctx, m);
	if (m->quarantine[0] == '\0' && (rs = milter_shape_eom(ctx, m,
	    clock_now_ms())) != SMFIS_CONTINUE)
		return rs;		/* not charged: nothing taken */
	if (m->sign != NULL && milter_sign_finish(ctx, m) != 0) {
		metrics_sign_failed();
		snprintf(why, sizeof(why), "signing failed: %s",
		    signer_msg_error(m->sign)[0] ? signer_msg_error(m->sign) :
		    "the MTA refused the DKIM-Signature header");
		return milter_on_error(ctx, m, why);
	}
	if (conf_num(c->conf, KW_FROM_ALIGNMENT) != CONF_ALIGN_OFF &&
	    !milter_aligned(m, why, sizeof(why))) {
		MILTER_INFO(m, "%s (FromAlignment %s)", why,
		    conf_str(c->conf, KW_FROM_ALIGNMENT));
		if (conf_num(c->conf, KW_FROM_ALIGNMENT) == CONF_ALIGN_REJECT) {
			milter_reply(ctx, m, "550", "5.7.1", "repguard: the "
			    "From: domain does not align with the envelope "
			    "sender or the DKIM signing domain",
			    "alignment");
			return SMFIS_REJECT;
		}
	}
	if (m->rewrite && milter_rewrite(ctx, m, clock_now(), why,
	    sizeof(why)) != 0)
		return milter_on_error(ctx, m, why);
	if (milter_shape_added(ctx, m) != 0)
		return milter_on_error(ctx, m, "the MTA refused a header "
		    "repguard adds (List-Unsubscribe, Feedback-ID)");
	if (m->quarantine[0] != '\0') {
		/* held, not sent: the operator releases it (or not) */
		if (smfi_quarantine(ctx, m->quarantine) != MI_SUCCESS)
			return milter_on_error(ctx, m, "the MTA refused to "
			    "hold the message of a paused sender");
		MILTER_INFO(m, "held in the MTA's hold queue: %s",
		    m->quarantine);
		return SMFIS_CONTINUE;
	}
	memset(&counts, 0, sizeof(counts));
	counts.n[SENDER_MESSAGES] = 1;
	counts.n[SENDER_RECIPIENTS] = m->rcpts;
	counts.n[SENDER_BULK] = m->cls == TCLASS_BULK;
	tally_count(milter_tally(), m->sender, &counts, clock_now());
	milter_shape_went(m);	/* it goes: its tokens stay taken */
	MILTER_INFO(m, "outbound client=%s sender=%s rcpts=%lu size=%lu "
	    "class=%s (%s)", c->addr, m->sender, m->rcpts, m->size,
	    tclass_name(m->cls), m->cls_why);
	return SMFIS_CONTINUE;
}

static sfsistat
milter_abort(SMFICTX *ctx)
{
	struct milter_conn *c = milter_conn_of(ctx);

	if (c != NULL)
		milter_msg_end(c);
	return SMFIS_CONTINUE;
}

static sfsistat
milter_close(SMFICTX *ctx)
{
	milter_conn_free(ctx);
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
	    SMFIF_ADDRCPT | SMFIF_DELRCPT | SMFIF_QUARANTINE);
	/* *pf1 arrives with SMFIP_NO* set for what we did not register. */
	if (f1 & SMFIP_HDR_LEADSPC) {
		*pf1 |= SMFIP_HDR_LEADSPC;
		c->leadspc = 1;
	}
	/* libmilter offers the NR bits even to an MTA without them (it
	 * then answers CONTINUE itself). */
	want = MILTER_NOREPLY;
	cur = conf_current();
	if (cur != NULL && (retpath_on(conf_retpath(cur)) ||
	    conf_suppression(cur) != CONF_SUPPRESS_OFF ||
	    conf_shaping(cur)->domains != NULL))
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
	    SMFIF_DELRCPT | SMFIF_QUARANTINE,
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
