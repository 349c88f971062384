/*
 * milter_conn.c - a connection's life and the life of each message it
 * carries, the daemon-wide state the steps use, and the one path by
 * which a reply reaches the MTA.
 *
 * Owns: milter_conn_init(), milter_store(), milter_tally(),
 * milter_shaping(), milter_conn_of(), milter_conn_get(),
 * milter_conn_free(), milter_msg_begin(), milter_msg_end(),
 * milter_msg_of(), milter_queue_id(), milter_reply(), milter_on_error().
 *
 * Decisions: a connection (struct milter_conn, smfi_setpriv) holds the
 * configuration snapshot and what is known of the client; the message
 * (struct milter_msg) is made at MAIL FROM and freed at its end, its
 * abort, the next MAIL FROM or the connection's close, whichever comes
 * first: nothing of one message can reach the next.  A message that ends
 * gives back the rate-limit tokens it still holds (milter_shape_went()
 * keeps those of a message that goes).
 *
 * milter_reply() makes every reply text safe, whoever built it and
 * whatever it quotes (an address, a DNS answer, an operator's reason):
 * smfi_setreply(3) reads the text as a format, so a '%' is sent as "%%"
 * (a lone one makes Postfix drop it and Sendmail answer its own 554 5.7.1
 * instead of ours); control and non-ASCII octets are sent as '?'; the
 * text is cut to what libmilter takes (980 octets with the NUL).
 *
 * Must not: call milter.c or the step files (they call it), or send a
 * reply any other way.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <libmilter/mfapi.h>

#include "base/clock.h"
#include "common/log.h"
#include "base/mem.h"
#include "milter/milter_int.h"

/* libmilter refuses a reply text of more octets (MAXREPLYLEN, NUL too). */
#define MILTER_REPLY_MAX	980

static STORE *milter_conn_store;
static TALLY *milter_conn_tally;
static SHAPE *milter_conn_shape;
static const CLUSTER *milter_conn_cluster;
static unsigned long milter_conn_serial;
static pthread_mutex_t milter_conn_serial_lock = PTHREAD_MUTEX_INITIALIZER;

void
milter_conn_init(STORE *st, TALLY *ty, SHAPE *sh)
{
	milter_conn_store = st;
	milter_conn_tally = ty;
	milter_conn_shape = sh;
}

void
milter_conn_set_cluster(const CLUSTER *cl)
{
	milter_conn_cluster = cl;
}

const CLUSTER *
milter_cluster(void)
{
	return milter_conn_cluster;
}

STORE *
milter_store(void)
{
	return milter_conn_store;
}

TALLY *
milter_tally(void)
{
	return milter_conn_tally;
}

SHAPE *
milter_shaping(void)
{
	return milter_conn_shape;
}

struct milter_conn *
milter_conn_of(SMFICTX *ctx)
{
	return smfi_getpriv(ctx);
}

/* The connection's state, made at negotiation (or connect). */
struct milter_conn *
milter_conn_get(SMFICTX *ctx)
{
	struct milter_conn *c = milter_conn_of(ctx);

	if (c == NULL) {
		c = mem_calloc(1, sizeof(*c));
		pthread_mutex_lock(&milter_conn_serial_lock);
		c->serial = ++milter_conn_serial;
		pthread_mutex_unlock(&milter_conn_serial_lock);
		smfi_setpriv(ctx, c);
	}
	return c;
}

/* The connection is closed: its message ends, its snapshot is let go. */
void
milter_conn_free(SMFICTX *ctx)
{
	struct milter_conn *c = milter_conn_of(ctx);

	if (c == NULL)
		return;
	milter_msg_end(c);
	conf_unref(c->conf);
	free(c);
	smfi_setpriv(ctx, NULL);
}

/* A new message on c, at MAIL FROM; the one before it, if any, ends. */
struct milter_msg *
milter_msg_begin(struct milter_conn *c)
{
	struct milter_msg *m;

	milter_msg_end(c);
	m = mem_calloc(1, sizeof(*m));
	m->conn = c;
	snprintf(m->id, sizeof(m->id), "c%lu", c->serial);
	tclass_init(&m->tc);
	compliance_init(&m->cm);
	m->cls = TCLASS_TRANSACTIONAL;
	m->sign_rc = SIGNER_OK;
	c->msg = m;
	return m;
}

/* Give back the tokens a message still holds: it does not go. */
static void
milter_msg_give_back(struct milter_msg *m)
{
	int64_t now_ms = m->ntaken > 0 ? clock_now_ms() : 0;
	SHAPE_ITEM it;
	size_t i;

	for (i = 0; i < m->ntaken; i++) {
		if (milter_conn_shape != NULL) {
			it.name = m->taken[i].name;
			it.rule = &m->taken[i].rule;
			it.soft = m->taken[i].soft;
			shape_give(milter_conn_shape, &it, 1, 1, now_ms);
		}
		free(m->taken[i].name);
	}
	m->ntaken = 0;
}

/* The message on c is over (ended, aborted, or its connection gone). */
void
milter_msg_end(struct milter_conn *c)
{
	struct milter_msg *m = c->msg;
	size_t i;

	if (m == NULL)
		return;
	milter_msg_give_back(m);
	free(m->taken);
	for (i = 0; i < m->nadded; i++) {
		free(m->added[i].name);
		free(m->added[i].value);
	}
	signer_msg_free(m->sign);
	rprecord_clear(&m->rp);
	intake_free(&m->im);
	free(m);
	c->msg = NULL;
}

/* The message the connection of ctx carries now, or NULL. */
struct milter_msg *
milter_msg_of(SMFICTX *ctx)
{
	struct milter_conn *c = milter_conn_of(ctx);

	return c != NULL ? c->msg : NULL;
}

/* Use the MTA's queue id in log lines once it has sent one. */
void
milter_queue_id(SMFICTX *ctx, struct milter_msg *m)
{
	const char *qid = smfi_getsymval(ctx, "i");

	if (qid != NULL && *qid != '\0')
		snprintf(m->id, sizeof(m->id), "%s", qid);
}

/*
 * A reply text as smfi_setreply(3) wants it: printable ASCII, every '%'
 * doubled; a doubled '%' is never cut in two.
 */
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

/*
 * A refusal's reply, remembered with its reason for the decision line.
 * text is plain text: it is made safe here.
 */
int
milter_reply(SMFICTX *ctx, struct milter_msg *m, const char *code,
    const char *xcode, const char *text, const char *why)
{
	char safe[MILTER_REPLY_MAX];

	m->reply.why = why;
	snprintf(m->reply.rcode, sizeof(m->reply.rcode), "%s", code);
	snprintf(m->reply.xcode, sizeof(m->reply.xcode), "%s", xcode);
	milter_reply_clean(text, safe, sizeof(safe));
	if (smfi_setreply(ctx, (char *)code, (char *)xcode, safe) !=
	    MI_SUCCESS) {
		MILTER_WARN(m, "smfi_setreply failed");
		return MI_FAILURE;
	}
	return MI_SUCCESS;
}

/* The configured failure action, with a reply the client can act on. */
sfsistat
milter_on_error(SMFICTX *ctx, struct milter_msg *m, const char *why)
{
	snprintf(m->reply.detail, sizeof(m->reply.detail), "%s", why);
	if (conf_on_error(m->conn->conf) == CONF_ON_ERROR_ACCEPT) {
		m->reply.why = "error";
		MILTER_WARN(m, "%s: accepting (OnError accept)", why);
		return SMFIS_ACCEPT;
	}
	MILTER_WARN(m, "%s: temporary failure (OnError tempfail)", why);
	milter_reply(ctx, m, "451", "4.3.0",
	    "repguard: temporary failure, try again later", "error");
	return SMFIS_TEMPFAIL;
}
