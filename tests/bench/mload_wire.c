/*
 * mload_wire.c - mload's side of the milter protocol: packets out, replies
 * in, the macros of each stage, one connection (negotiation, connect,
 * HELO) and one message on it, as Postfix's smtpd and cleanup send them.
 * See mload.c for what is sent and what counts as a failure.
 *
 * Synopsis:
 *	enum ml_outcome	 ml_conn_open(struct ml_conn *c);
 *	void		 ml_conn_close(struct ml_conn *c, int quit);
 *	int		 ml_conn_lost(enum ml_outcome o);
 *	enum ml_outcome	 ml_message(struct ml_conn *c, struct ml_worker *w,
 *			    uint64_t *ns, struct ml_mod *mods, size_t *nmods);
 *
 *	ml_conn_open connects (unix or TCP, read and write timeouts of -T),
 *	negotiates and sends connect and HELO; ml_message sends one message
 *	and reads every reply up to the final one, recording modifications
 *	in mods when given (at most ML_MODS_MAX) and the latency in *ns; of
 *	the worker it uses only its id and queue-id sequence.  A failure
 *	leaves its text in c->err; ml_conn_lost says whether the outcome
 *	ended the connection.
 *
 * Must not: trust the filter (a reply length outside 1..ML_REPLY_MAX, an
 *	unknown or misplaced reply, a truncated packet is O_PROTO, never a
 *	crash or an unbounded allocation); block without a timeout; print
 *	or count outcomes (the caller records them).
 */
#define _GNU_SOURCE
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "mload.h"

static const char *const ml_default_macros[ST_COUNT] = {
	"j {daemon_name} {daemon_addr} v _",
	"{tls_version} {cipher} {cipher_bits} {cert_subject} {cert_issuer}",
	"i {auth_type} {auth_authen} {auth_author} {mail_addr} {mail_host} "
	    "{mail_mailer}",
	"i {rcpt_addr} {rcpt_host} {rcpt_mailer}",
	"i",
	"i",
	"i",
};

static void
ml_put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static uint32_t
ml_get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* ---- wire: output buffer, reply reader --------------------------------- */

static void
ml_out_reserve(struct ml_conn *c, size_t n)
{
	if (c->outlen + n > c->outcap) {
		while (c->outlen + n > c->outcap)
			c->outcap = c->outcap ? c->outcap * 2 : 65536;
		c->out = ml_realloc(c->out, c->outcap);
	}
}

static size_t
ml_pkt_begin(struct ml_conn *c, char cmd)
{
	size_t at = c->outlen;

	ml_out_reserve(c, 5);
	c->outlen += 4;
	c->out[c->outlen++] = (unsigned char)cmd;
	return at;
}

static void
ml_pkt_add(struct ml_conn *c, const void *data, size_t len)
{
	ml_out_reserve(c, len);
	memcpy(c->out + c->outlen, data, len);
	c->outlen += len;
}

static void
ml_pkt_str(struct ml_conn *c, const char *s)
{
	ml_pkt_add(c, s, strlen(s) + 1);
}

static void
ml_pkt_end(struct ml_conn *c, size_t at)
{
	ml_put32(c->out + at, (uint32_t)(c->outlen - at - 4));
}

static enum ml_outcome
ml_errno_outcome(struct ml_conn *c, const char *what)
{
	if (errno == EAGAIN || errno == EWOULDBLOCK) {
		snprintf(c->err, sizeof(c->err), "%s: timeout", what);
		return O_TIMEOUT;
	}
	snprintf(c->err, sizeof(c->err), "%s: %s", what, strerror(errno));
	return O_CLOSED;
}

/* Write the buffered commands; O_OK_CONTINUE on success. */
static enum ml_outcome
ml_flush(struct ml_conn *c)
{
	size_t done = 0;

	while (done < c->outlen) {
		ssize_t n = send(c->fd, c->out + done, c->outlen - done,
		    MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			c->outlen = 0;
			return ml_errno_outcome(c, "write");
		}
		done += (size_t)n;
	}
	c->outlen = 0;
	return O_OK_CONTINUE;
}

/*
 * Read one reply packet: *cmd and (*data, *len) point into the input buffer
 * and stay valid until the next read.  The length is checked before anything
 * is allocated or read.
 */
static enum ml_outcome
ml_read(struct ml_conn *c, char *cmd, const unsigned char **data,
    size_t *len)
{
	uint32_t plen = 0;
	int have_len = 0;

	for (;;) {
		size_t avail = c->inlen - c->inpos;
		ssize_t n;

		if (!have_len && avail >= 4) {
			plen = ml_get32(c->in + c->inpos);
			if (plen < 1 || plen > ML_REPLY_MAX) {
				snprintf(c->err, sizeof(c->err),
				    "bad reply length %lu",
				    (unsigned long)plen);
				return O_PROTO;
			}
			have_len = 1;
		}
		if (have_len && avail >= 4 + (size_t)plen) {
			*cmd = (char)c->in[c->inpos + 4];
			*data = c->in + c->inpos + 5;
			*len = plen - 1;
			c->inpos += 4 + plen;
			return O_OK_CONTINUE;
		}
		if (c->inpos > 0 && c->inpos + ML_REPLY_MAX + 4 > ML_IN_BUF) {
			memmove(c->in, c->in + c->inpos, avail);
			c->inpos = 0;
			c->inlen = avail;
		}
		n = recv(c->fd, c->in + c->inlen, ML_IN_BUF - c->inlen, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return ml_errno_outcome(c, "read");
		if (n == 0) {
			snprintf(c->err, sizeof(c->err),
			    "connection closed by the filter");
			return O_CLOSED;
		}
		c->inlen += (size_t)n;
	}
}

/* ---- macros ------------------------------------------------------------- */

/* What one message's macros are made of. */
struct ml_env {
	const char	*qid;		/* NULL before DATA */
	char		 client[160];	/* "_" */
	char		 from[256], rcpt[256];	/* this message's envelope */
};

static const char *
ml_domain(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return at ? at + 1 : "";
}

/* The value of macro NAME (with or without braces), or NULL. */
static const char *
ml_macro_value(const char *name, size_t len, const struct ml_env *e)
{
	static const struct {
		const char *name;
		int which;
	} tab[] = {
		{ "j", 1 }, { "daemon_name", 2 }, { "daemon_addr", 3 },
		{ "v", 4 }, { "_", 5 }, { "client_addr", 6 },
		{ "client_name", 7 }, { "client_ptr", 7 }, { "client_port", 8 },
		{ "i", 9 }, { "auth_type", 10 }, { "auth_authen", 11 },
		{ "mail_addr", 12 }, { "mail_host", 13 }, { "mail_mailer", 14 },
		{ "rcpt_addr", 15 }, { "rcpt_host", 16 }, { "rcpt_mailer", 14 },
		{ "daemon_port", 17 },
	};
	size_t k;

	if (len >= 2 && name[0] == '{' && name[len - 1] == '}') {
		name++;
		len -= 2;
	}
	for (k = 0; k < sizeof(tab) / sizeof(tab[0]); k++) {
		if (strlen(tab[k].name) != len ||
		    memcmp(tab[k].name, name, len) != 0)
			continue;
		switch (tab[k].which) {
		case 1: return "mta.mload.test";
		case 2: return "mload";
		case 3: return "127.0.0.1";
		case 4: return "Postfix 3.7.11";
		case 5: return e->client;
		case 6: return opt.client_ip;
		case 7: return "client.mload.test";
		case 8: return "54321";
		case 9: return e->qid;
		case 10: return opt.auth ? "PLAIN" : NULL;
		case 11: return opt.auth;
		case 12: return e->from;
		case 13: return ml_domain(e->from);
		case 14: return "smtp";
		case 15: return e->rcpt;
		case 16: return ml_domain(e->rcpt);
		case 17: return "25";
		}
	}
	return NULL;
}

/* Queue one SMFIC_MACRO packet for the event CMD of stage ST. */
static void
ml_macros(struct ml_conn *c, int st, char cmd, const struct ml_env *e)
{
	const char *list = c->symlist[st] ? c->symlist[st] :
	    ml_default_macros[st];
	const char *p = list;
	size_t at = ml_pkt_begin(c, 'D');

	ml_pkt_add(c, &cmd, 1);
	while (*p != '\0') {
		const char *q, *v;
		size_t n;

		while (*p == ' ' || *p == ',' || *p == '\t')
			p++;
		for (q = p; *q != '\0' && *q != ' ' && *q != ',' && *q != '\t';
		    q++)
			;
		n = (size_t)(q - p);
		if (n > 0 && (v = ml_macro_value(p, n, e)) != NULL) {
			ml_pkt_add(c, p, n);
			ml_pkt_add(c, "", 1);
			ml_pkt_str(c, v);
		}
		p = q;
	}
	ml_pkt_end(c, at);
}

/* ---- one connection ----------------------------------------------------- */

static int
ml_socket_open(struct ml_conn *c)
{
	const char *s = opt.socket;
	struct timeval tv;
	int fd = -1;

	if (strncmp(s, "unix:", 5) == 0 || strncmp(s, "local:", 6) == 0)
		s = strchr(s, ':') + 1;
	if (s[0] == '/' || strchr(s, ':') == NULL) {
		struct sockaddr_un sun;

		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		if (strlen(s) >= sizeof(sun.sun_path)) {
			snprintf(c->err, sizeof(c->err), "socket path too long");
			return -1;
		}
		strcpy(sun.sun_path, s);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&sun,
		    sizeof(sun)) < 0) {
			snprintf(c->err, sizeof(c->err), "connect %s: %s", s,
			    strerror(errno));
			close(fd);
			fd = -1;
		}
	} else {
		char host[256], port[32];
		const char *colon;
		struct addrinfo hints, *res = NULL, *ai;
		int rc, one = 1;

		if (strncmp(s, "inet:", 5) == 0 && strchr(s, '@') != NULL) {
			const char *at = strchr(s, '@');

			snprintf(port, sizeof(port), "%.*s",
			    (int)(at - s - 5), s + 5);
			snprintf(host, sizeof(host), "%s", at + 1);
		} else {
			colon = strrchr(s, ':');
			snprintf(host, sizeof(host), "%.*s", (int)(colon - s),
			    s);
			snprintf(port, sizeof(port), "%s", colon + 1);
		}
		memset(&hints, 0, sizeof(hints));
		hints.ai_socktype = SOCK_STREAM;
		if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
			snprintf(c->err, sizeof(c->err), "%s: %s", s,
			    gai_strerror(rc));
			return -1;
		}
		for (ai = res; ai != NULL; ai = ai->ai_next) {
			fd = socket(ai->ai_family, ai->ai_socktype |
			    SOCK_CLOEXEC, 0);
			if (fd < 0)
				continue;
			if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
				break;
			snprintf(c->err, sizeof(c->err), "connect %s: %s", s,
			    strerror(errno));
			close(fd);
			fd = -1;
		}
		freeaddrinfo(res);
		/* Our side only; libmilter never sets it on its side. */
		if (fd >= 0)
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
			    sizeof(one));
	}
	if (fd < 0)
		return -1;
	tv.tv_sec = (time_t)opt.timeout;
	tv.tv_usec = (suseconds_t)((opt.timeout - (double)tv.tv_sec) * 1e6);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	c->fd = fd;
	return 0;
}

void
ml_conn_close(struct ml_conn *c, int quit)
{
	int st;

	if (c->fd >= 0) {
		if (quit) {
			size_t at = ml_pkt_begin(c, 'Q');

			ml_pkt_end(c, at);
			(void)ml_flush(c);
		}
		close(c->fd);
	}
	c->fd = -1;
	c->outlen = 0;
	c->inpos = c->inlen = 0;
	for (st = 0; st < ST_COUNT; st++) {
		free(c->symlist[st]);
		c->symlist[st] = NULL;
	}
}

/* Parse the filter's SMFIC_OPTNEG answer, symbol lists included. */
static enum ml_outcome
ml_negotiated(struct ml_conn *c, const unsigned char *d, size_t len)
{
	size_t pos = 12;
	uint32_t version;

	if (len < 12) {
		snprintf(c->err, sizeof(c->err),
		    "negotiation reply of %zu octets", len);
		return O_PROTO;
	}
	version = ml_get32(d);
	c->actions = ml_get32(d + 4);
	c->proto = ml_get32(d + 8);
	if (version < 2 || version > ML_VERSION) {
		snprintf(c->err, sizeof(c->err), "filter protocol version %lu",
		    (unsigned long)version);
		return O_PROTO;
	}
	if ((c->actions & ~ML_ACTS_ALL) != 0 || (c->proto & ~ML_PROT_ALL) != 0) {
		snprintf(c->err, sizeof(c->err), "filter asks for actions "
		    "0x%lx protocol 0x%lx beyond our offer",
		    (unsigned long)c->actions, (unsigned long)c->proto);
		return O_PROTO;
	}
	while (pos < len) {
		uint32_t st;
		const unsigned char *end;
		size_t n;

		if (len - pos < 5) {
			snprintf(c->err, sizeof(c->err),
			    "truncated symbol list in negotiation");
			return O_PROTO;
		}
		st = ml_get32(d + pos);
		pos += 4;
		end = memchr(d + pos, '\0', len - pos);
		if (end == NULL || st >= ST_COUNT) {
			snprintf(c->err, sizeof(c->err), "bad symbol list "
			    "(stage %lu) in negotiation", (unsigned long)st);
			return O_PROTO;
		}
		n = (size_t)(end - (d + pos));
		if (n > ML_SYMLIST_MAX) {
			snprintf(c->err, sizeof(c->err),
			    "symbol list of %zu octets", n);
			return O_PROTO;
		}
		free(c->symlist[st]);
		c->symlist[st] = ml_strndup((const char *)d + pos, n);
		pos += n + 1;
	}
	return O_OK_CONTINUE;
}

/*
 * Send the queued commands, then read replies until a final one.  Before end
 * of message only continue (and progress) may come, or a final answer that
 * ends the message; at end of message modification replies come first.  A
 * modification is recorded in MODS (up to ML_MODS_MAX) when MODS is given.
 */
static enum ml_outcome
ml_reply(struct ml_conn *c, int eom, int *skip, struct ml_mod *mods,
    size_t *nmods, const char *expect, int *seen)
{
	enum ml_outcome o;
	const unsigned char *d;
	size_t len;
	char cmd;

	if ((o = ml_flush(c)) != O_OK_CONTINUE)
		return o;
	for (;;) {
		if ((o = ml_read(c, &cmd, &d, &len)) != O_OK_CONTINUE)
			return o;
		switch (cmd) {
		case 'c':
			return O_OK_CONTINUE;
		case 'a':
			return eom ? O_OK_ACCEPT : O_EARLY_ACCEPT;
		case 'r':
			return O_REJECT;
		case 't':
			return O_TEMPFAIL;
		case 'd':
			return O_DISCARD;
		case '4':
			return O_SHUTDOWN;
		case 'f':
			return O_CONNFAIL;
		case 'y':
			return (len > 0 && d[0] == '4') ? O_REPLY4 : O_REPLY5;
		case 'p':
			continue;
		case 's':
			if (skip == NULL)
				break;		/* only after a body chunk */
			*skip = 1;
			return O_OK_CONTINUE;
		case 'h': case 'i': case 'm': case '+': case '-': case '2':
		case 'e': case 'q': case 'b': {
			const unsigned char *p = d, *z, *end = d + len;
			struct ml_mod mod;

			if (!eom)
				break;
			memset(&mod, 0, sizeof(mod));
			mod.cmd = cmd;
			if (cmd == 'i' || cmd == 'm') {
				if (len < 4)
					break;
				mod.index = ml_get32(p);
				p += 4;
			}
			if (cmd == 'h' || cmd == 'i' || cmd == 'm') {
				/* name\0value\0: both must be there */
				z = memchr(p, '\0', (size_t)(end - p));
				if (z == NULL || z == p ||
				    memchr(z + 1, '\0', (size_t)(end - z - 1))
				    == NULL)
					break;
				if (expect != NULL && cmd != 'm' &&
				    strcasecmp((const char *)p, expect) == 0)
					*seen = 1;
				if (mods != NULL && *nmods < ML_MODS_MAX) {
					mod.name = ml_strndup((const char *)p,
					    (size_t)(z - p));
					mod.value = ml_strndup((const char *)z + 1,
					    strlen((const char *)z + 1));
				}
			} else if (mods != NULL && *nmods < ML_MODS_MAX &&
			    cmd != 'b') {
				z = memchr(p, '\0', (size_t)(end - p));
				mod.value = ml_strndup((const char *)p,
				    z ? (size_t)(z - p) : len);
			}
			if (mods != NULL && *nmods < ML_MODS_MAX)
				mods[(*nmods)++] = mod;
			continue;
		}
		default:
			break;
		}
		snprintf(c->err, sizeof(c->err), "unexpected or malformed "
		    "reply '%c' (0x%02x, %zu octets)%s",
		    (cmd >= ' ' && cmd < 0x7f) ? cmd : '?',
		    (unsigned)(unsigned char)cmd, len,
		    eom ? " at end of message" : " before end of message");
		return O_PROTO;
	}
}

/* Open, negotiate, connect and HELO. */
enum ml_outcome
ml_conn_open(struct ml_conn *c)
{
	struct ml_env env;
	const unsigned char *d;
	unsigned char b[12];
	enum ml_outcome o;
	size_t at, len;
	char cmd, fam;
	uint16_t port = htons(54321);

	if (ml_socket_open(c) < 0)
		return O_CONNECT;
	at = ml_pkt_begin(c, 'O');
	ml_put32(b, ML_VERSION);
	ml_put32(b + 4, ML_ACTS_ALL);
	ml_put32(b + 8, ML_PROT_ALL);
	ml_pkt_add(c, b, 12);
	ml_pkt_end(c, at);
	if ((o = ml_flush(c)) != O_OK_CONTINUE)
		return o;
	if ((o = ml_read(c, &cmd, &d, &len)) != O_OK_CONTINUE)
		return o;
	if (cmd != 'O') {
		snprintf(c->err, sizeof(c->err), "negotiation answered '%c'",
		    (cmd >= ' ' && cmd < 0x7f) ? cmd : '?');
		return O_PROTO;
	}
	if ((o = ml_negotiated(c, d, len)) != O_OK_CONTINUE)
		return o;

	memset(&env, 0, sizeof(env));
	snprintf(env.client, sizeof(env.client), "client.mload.test [%s]",
	    opt.client_ip);
	if (!(c->proto & P_NOCONNECT)) {
		ml_macros(c, ST_CONNECT, 'C', &env);
		at = ml_pkt_begin(c, 'C');
		ml_pkt_str(c, "client.mload.test");
		fam = strchr(opt.client_ip, ':') ? '6' : '4';
		ml_pkt_add(c, &fam, 1);
		ml_pkt_add(c, &port, 2);
		ml_pkt_str(c, opt.client_ip);
		ml_pkt_end(c, at);
		if (!(c->proto & P_NR_CONN)) {
			o = ml_reply(c, 0, NULL, NULL, NULL, NULL, NULL);
			if (o != O_OK_CONTINUE)
				return o;
		}
	}
	if (!(c->proto & P_NOHELO)) {
		ml_macros(c, ST_HELO, 'H', &env);
		at = ml_pkt_begin(c, 'H');
		ml_pkt_str(c, "client.mload.test");
		ml_pkt_end(c, at);
		if (!(c->proto & P_NR_HELO)) {
			o = ml_reply(c, 0, NULL, NULL, NULL, NULL, NULL);
			if (o != O_OK_CONTINUE)
				return o;
		}
	}
	return ml_flush(c);
}

/* Outcomes after which the connection cannot carry another message. */
int
ml_conn_lost(enum ml_outcome o)
{
	return o == O_SHUTDOWN || o == O_CONNFAIL || o >= O_PROTO;
}

/* One step: queue nothing more, and collect the reply unless NR_FLAG. */
#define ML_STEP(c, nr)							\
	do {								\
		if (((c)->proto & (nr)) == 0) {				\
			o = ml_reply((c), 0, NULL, NULL, NULL, NULL, NULL); \
			if (o != O_OK_CONTINUE)				\
				goto done;				\
		} else if ((c)->outlen > ML_OUT_FLUSH &&		\
		    (o = ml_flush(c)) != O_OK_CONTINUE)			\
			goto done;					\
	} while (0)

/*
 * One message on an open connection.  Returns its outcome; *ns is the time
 * from MAIL to the final reply.  A message that ended before end of message
 * is aborted (SMFIC_ABORT) so that the connection can carry the next one.
 */
enum ml_outcome
ml_message(struct ml_conn *c, struct ml_worker *w, uint64_t *ns,
    struct ml_mod *mods, size_t *nmods)
{
	struct ml_env env;
	char qid[32], addr[600];
	enum ml_outcome o;
	uint64_t t0;
	size_t at, h, off;
	int seen = 0, skip = 0;

	memset(&env, 0, sizeof(env));
	snprintf(env.client, sizeof(env.client), "client.mload.test [%s]",
	    opt.client_ip);
	snprintf(qid, sizeof(qid), "4M%02X%07lX", (unsigned)w->id & 0xff,
	    w->seq & 0xfffffff);
	/* -F/-R: numbers spread over the range, different per worker */
	ml_addr(env.from, sizeof(env.from), opt.from, opt.nfrom,
	    (w->seq * 2654435761u + (uint64_t)w->id * 40503u) ^ w->seq >> 7);
	ml_addr(env.rcpt, sizeof(env.rcpt), opt.rcpt, opt.nrcpt,
	    (w->seq * 11400714819323198485u) >> 20 ^ (uint64_t)w->id << 40);
	if (opt.ndomains > 0 && (at = strcspn(env.rcpt, "@")) <
	    strlen(env.rcpt)) {
		char spread[sizeof(env.rcpt)];

		if (snprintf(spread, sizeof(spread), "%.*s@d%lu.%.100s",
		    (int)at, env.rcpt, (unsigned long)((w->seq *
		    2862933555777941757u) >> 17) % opt.ndomains,
		    env.rcpt + at + 1) < (int)sizeof(spread))
			memcpy(env.rcpt, spread, sizeof(spread));
	}
	w->seq++;
	t0 = ml_now_ns();

	if (!(c->proto & P_NOMAIL)) {
		ml_macros(c, ST_MAIL, 'M', &env);
		at = ml_pkt_begin(c, 'M');
		snprintf(addr, sizeof(addr), "<%s>", env.from);
		ml_pkt_str(c, addr);
		snprintf(addr, sizeof(addr), "SIZE=%zu", msg.size);
		ml_pkt_str(c, addr);
		ml_pkt_end(c, at);
		ML_STEP(c, P_NR_MAIL);
	}
	if (!(c->proto & P_NORCPT)) {
		ml_macros(c, ST_RCPT, 'R', &env);
		at = ml_pkt_begin(c, 'R');
		snprintf(addr, sizeof(addr), "<%s>", env.rcpt);
		ml_pkt_str(c, addr);
		ml_pkt_end(c, at);
		ML_STEP(c, P_NR_RCPT);
	}
	env.qid = qid;
	if (!(c->proto & P_NODATA)) {
		ml_macros(c, ST_DATA, 'T', &env);
		at = ml_pkt_begin(c, 'T');
		ml_pkt_end(c, at);
		ML_STEP(c, P_NR_DATA);
	}
	if (!(c->proto & P_NOHDRS)) {
		for (h = 0; h < msg.nhdrs; h++) {
			const char *v = msg.hdrs[h].value;

			if (!(c->proto & P_HDR_LEADSPC) && *v == ' ')
				v++;
			ml_macros(c, ST_EOH, 'L', &env);
			at = ml_pkt_begin(c, 'L');
			ml_pkt_str(c, msg.hdrs[h].name);
			ml_pkt_str(c, v);
			ml_pkt_end(c, at);
			ML_STEP(c, P_NR_HDR);
		}
	}
	if (!(c->proto & P_NOEOH)) {
		ml_macros(c, ST_EOH, 'N', &env);
		at = ml_pkt_begin(c, 'N');
		ml_pkt_end(c, at);
		ML_STEP(c, P_NR_EOH);
	}
	if (!(c->proto & P_NOBODY)) {
		for (off = 0; off < msg.bodylen && !skip; off += ML_CHUNK) {
			size_t n = msg.bodylen - off;

			if (n > ML_CHUNK)
				n = ML_CHUNK;
			ml_macros(c, ST_EOM, 'B', &env);
			at = ml_pkt_begin(c, 'B');
			ml_pkt_add(c, msg.body + off, n);
			ml_pkt_end(c, at);
			if (!(c->proto & P_NR_BODY)) {
				o = ml_reply(c, 0, (c->proto & P_SKIP) ?
				    &skip : NULL, NULL, NULL, NULL, NULL);
				if (o != O_OK_CONTINUE)
					goto done;
			} else if (c->outlen > ML_OUT_FLUSH &&
			    (o = ml_flush(c)) != O_OK_CONTINUE)
				goto done;
		}
	}
	ml_macros(c, ST_EOM, 'E', &env);
	at = ml_pkt_begin(c, 'E');
	ml_pkt_end(c, at);
	o = ml_reply(c, 1, NULL, mods, nmods, opt.expect_hdr, &seen);
	if (o == O_OK_CONTINUE || o == O_OK_ACCEPT) {
		if (opt.expect_hdr != NULL && !seen) {
			o = O_NOHDR;
			snprintf(c->err, sizeof(c->err),
			    "end of message without a %s header",
			    opt.expect_hdr);
		}
		*ns = ml_now_ns() - t0;
		if (!opt.no_abort) {
			at = ml_pkt_begin(c, 'A');
			ml_pkt_end(c, at);
		}
		return o;
	}
done:
	*ns = ml_now_ns() - t0;
	if (!ml_conn_lost(o)) {
		/* The filter ended the message early: let it start over. */
		c->outlen = 0;
		at = ml_pkt_begin(c, 'A');
		ml_pkt_end(c, at);
		if (ml_flush(c) != O_OK_CONTINUE)
			return O_CLOSED;
		if (c->err[0] == '\0')
			snprintf(c->err, sizeof(c->err), "message ended with "
			    "%s", ml_outcome_name[o]);
	}
	return o;
}
