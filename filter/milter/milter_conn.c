/*
 * milter_conn.c - a connection's life, the daemon-wide state its steps
 * use, and the one path by which a reply reaches the MTA.
 *
 * Owns: milter_conn_init(), milter_store(), milter_tally(),
 * milter_shaping(), milter_conn_of(), milter_conn_get(),
 * milter_queue_id(), milter_reply(), milter_on_error().
 *
 * Decisions: milter_reply() makes every reply text safe, whoever built it
 * and whatever it quotes (an address, a DNS answer, an operator's
 * reason): smfi_setreply(3) reads the text as a format, so a '%' is sent
 * as "%%" (a lone one makes Postfix drop it and Sendmail answer its own
 * 554 5.7.1 instead of ours); control and non-ASCII octets are sent as
 * '?'; the text is cut to what libmilter takes (980 octets with the NUL).
 *
 * Must not: call milter.c or the step files (they call it), or send a
 * reply any other way.
 */
#include <pthread.h>
#include <stdio.h>

#include <libmilter/mfapi.h>

#include "common/log.h"
#include "base/mem.h"
#include "milter/milter_int.h"

/* libmilter refuses a reply text of more octets (MAXREPLYLEN, NUL too). */
#define MILTER_REPLY_MAX	980

static STORE *milter_conn_store;
static TALLY *milter_conn_tally;
static SHAPE *milter_conn_shape;
static unsigned long milter_conn_serial;
static pthread_mutex_t milter_conn_serial_lock = PTHREAD_MUTEX_INITIALIZER;

void
milter_conn_init(STORE *st, TALLY *ty, SHAPE *sh)
{
	milter_conn_store = st;
	milter_conn_tally = ty;
	milter_conn_shape = sh;
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

/* Use the MTA's queue id in log lines once it has sent one. */
void
milter_queue_id(SMFICTX *ctx, struct milter_conn *c)
{
	const char *qid = smfi_getsymval(ctx, "i");

	if (qid != NULL && *qid != '\0')
		snprintf(c->id, sizeof(c->id), "%s", qid);
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
milter_reply(SMFICTX *ctx, struct milter_conn *c, const char *code,
    const char *xcode, const char *text, const char *why)
{
	char safe[MILTER_REPLY_MAX];

	c->why = why;
	snprintf(c->rcode, sizeof(c->rcode), "%s", code);
	snprintf(c->xcode, sizeof(c->xcode), "%s", xcode);
	milter_reply_clean(text, safe, sizeof(safe));
	if (smfi_setreply(ctx, (char *)code, (char *)xcode, safe) !=
	    MI_SUCCESS) {
		msg_warn("%s: smfi_setreply failed", c->id);
		return MI_FAILURE;
	}
	return MI_SUCCESS;
}

/* The configured failure action, with a reply the client can act on. */
sfsistat
milter_on_error(SMFICTX *ctx, struct milter_conn *c, const char *why)
{
	snprintf(c->detail, sizeof(c->detail), "%s", why);
	if (conf_on_error(c->conf) == CONF_ON_ERROR_ACCEPT) {
		c->why = "error";
		msg_warn("%s: %s: accepting (OnError accept)", c->id, why);
		return SMFIS_ACCEPT;
	}
	msg_warn("%s: %s: temporary failure (OnError tempfail)", c->id, why);
	milter_reply(ctx, c, "451", "4.3.0",
	    "repguard: temporary failure, try again later", "error");
	return SMFIS_TEMPFAIL;
}
