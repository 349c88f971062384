/*
 * mload.c - a milter-protocol load generator: the MTA side of the Sendmail 8
 * milter protocol (version 6), speaking to a filter the way Postfix's smtpd
 * and cleanup do, over several connections at once.
 *
 * Synopsis:
 *	mload -s SOCKET -m MESSAGE [-c CONC] [-n MSGS] [-t SECONDS]
 *	      [-i CLIENT_IP] [-a LOGIN] [-f FROM] [-r RCPT] [-H HEADER]
 *	      [-T TIMEOUT] [-w SECONDS] [-A] [-o FILE] [-v] [-j]
 *
 *	SOCKET is a unix socket path (also "unix:PATH", "local:PATH") or
 *	"HOST:PORT" ("inet:PORT@HOST" too).  CONC threads each hold one
 *	connection (negotiate, connect, HELO) and send messages on it: MAIL,
 *	RCPT, DATA, the headers one by one, EOH, the body in chunks of at most
 *	65535 octets, end of message, then every modification reply up to the
 *	final one; then the next MAIL on the same connection.  -i claims the
 *	client address (connect packet, {client_addr}; default 127.0.0.1); -a
 *	sends {auth_type} PLAIN and {auth_authen} LOGIN with MAIL; -f and -r
 *	set the envelope (MAIL carries SIZE=); -T bounds every read and write
 *	(default 10 s); -H names a header the filter must add to each message
 *	(one without it counts as a failure).  With -n each
 *	connection carries MSGS messages (then QUIT and, under -t, a new
 *	connection); with -t the run lasts SECONDS.  Macros are Postfix's
 *	default lists per stage, or the lists the filter asked for with
 *	smfi_setsymlist (as Postfix honours them).  Header values go out as
 *	Postfix sends them: continuation lines joined by a bare newline, one
 *	leading space eaten unless the filter asked for SMFIP_HDR_LEADSPC.
 *	After each message, before the next MAIL, SMFIC_ABORT goes out, as
 *	Postfix 3.7's smtpd sends it when it resets the transaction (seen on
 *	the wire: EOM, its reply, ABORT, MAIL ...); -A leaves it out.
 *
 *	Reports messages, seconds, msgs/s (messages that reached end of
 *	message and were accepted or continued), latency percentiles of a
 *	whole message (MAIL sent to the final end-of-message reply), the
 *	generator's own CPU time (getrusage), and failures by kind: the
 *	filter's reply (reject, tempfail, discard, 4xx/5xx reply code,
 *	shutdown, connection failure, accept before end of message), a missing
 *	-H header, protocol errors, timeouts, closed connections.  -j prints
 *	one JSON line instead.  -v traces the negotiation and the first
 *	message's replies on stderr; -o FILE writes that message, with the
 *	filter's header changes applied (CRLF), for a DKIM verifier (exit 1
 *	if it failed).
 *	-w runs SECONDS of unrecorded warm-up on the same connections first
 *	(the JSON line counts its messages as warmup_ok).
 *
 * Diagnostics: usage errors exit 2; a run whose every connection failed
 *	exits 1, as does -o when the first message failed; otherwise 0,
 *	failures being part of the report.  Each worker prints its first
 *	failure on stderr.
 *
 * Must not: trust the filter.  A reply length outside 1..65536 (we never
 *	offer SMFIP_MDS_*), an unknown or misplaced reply, a truncated
 *	modification or negotiation packet is a protocol error that ends that
 *	connection (counted, then a new connection; so do a timeout, a closed
 *	socket, SMFIR_SHUTDOWN and SMFIR_CONN_FAIL), never a crash or an
 *	unbounded allocation.  Every read and write has a timeout.
 *
 * Limits: one recipient per message; replacement bodies (SMFIR_REPLBODY)
 *	and envelope changes are counted, not applied to the -o copy;
 *	SMFIC_UNKNOWN is never sent.
 */
#define _GNU_SOURCE
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* Protocol constants (libmilter's mfdef.h, repeated: no libmilter here). */
#define ML_VERSION	6
#define ML_ACTS_ALL	0x000001FFu
#define ML_PROT_ALL	0x001FFFFFu
#define ML_CHUNK	65535		/* body chunk, MILTER_CHUNK_SIZE */
#define ML_REPLY_MAX	65536		/* reply length incl. command octet */
#define ML_IN_BUF	(2 * (ML_REPLY_MAX + 4))
#define ML_OUT_FLUSH	(256 * 1024)	/* flush no-reply commands beyond this */

#define P_NOCONNECT	0x00000001u
#define P_NOHELO	0x00000002u
#define P_NOMAIL	0x00000004u
#define P_NORCPT	0x00000008u
#define P_NOBODY	0x00000010u
#define P_NOHDRS	0x00000020u
#define P_NOEOH		0x00000040u
#define P_NR_HDR	0x00000080u
#define P_NODATA	0x00000200u
#define P_SKIP		0x00000400u
#define P_NR_CONN	0x00001000u
#define P_NR_HELO	0x00002000u
#define P_NR_MAIL	0x00004000u
#define P_NR_RCPT	0x00008000u
#define P_NR_DATA	0x00010000u
#define P_NR_EOH	0x00040000u
#define P_NR_BODY	0x00080000u
#define P_HDR_LEADSPC	0x00100000u

/* Macro stages, libmilter's SMFIM_* numbering. */
enum { ST_CONNECT, ST_HELO, ST_MAIL, ST_RCPT, ST_DATA, ST_EOM, ST_EOH,
	ST_COUNT };

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

#define ML_SYMLIST_MAX	1024		/* one stage's list from the filter */
#define ML_HDR_MAX	1000		/* headers in the message file */
#define ML_HDRLEN_MAX	(64 * 1024)	/* one header, folded lines included */
#define ML_MSG_MAX	(64 * 1024 * 1024)
#define ML_MODS_MAX	256		/* modification replies per message */

/* How a message ended. */
enum ml_outcome {
	O_OK_ACCEPT, O_OK_CONTINUE,
	O_EARLY_ACCEPT, O_REJECT, O_TEMPFAIL, O_DISCARD, O_REPLY4, O_REPLY5,
	O_SHUTDOWN, O_CONNFAIL, O_NOHDR, O_PROTO, O_TIMEOUT, O_CLOSED,
	O_CONNECT, O_COUNT
};

static const char *const ml_outcome_name[O_COUNT] = {
	"accept", "continue", "early_accept", "reject", "tempfail", "discard",
	"reply_4xx", "reply_5xx", "shutdown", "conn_fail", "no_header",
	"protocol", "timeout", "closed", "connect",
};

struct ml_hdr {
	char	*name;
	char	*value;		/* after the colon, folds joined by "\n" */
};

struct ml_msg {
	struct ml_hdr	*hdrs;
	size_t		 nhdrs;
	char		*body;	/* CRLF lines */
	size_t		 bodylen;
	size_t		 size;	/* as read */
};

struct ml_opts {
	const char	*socket;
	const char	*msgfile;
	const char	*client_ip;
	const char	*auth;
	const char	*from;
	const char	*rcpt;
	const char	*expect_hdr;
	const char	*outfile;
	int		 conc;
	long		 per_conn;
	double		 seconds;
	double		 warmup;
	double		 timeout;
	int		 no_abort;
	int		 verbose;
	int		 json;
};

/* One recorded modification reply (for -v, -o and -H). */
struct ml_mod {
	char		 cmd;
	uint32_t	 index;
	char		*name;
	char		*value;
};

struct ml_conn {
	int		 fd;
	unsigned char	*out;
	size_t		 outlen, outcap;
	unsigned char	 in[ML_IN_BUF];
	size_t		 inpos, inlen;
	uint32_t	 actions, proto;	/* the filter's answer */
	char		*symlist[ST_COUNT];	/* NULL: Postfix's default */
	char		 err[256];
};

struct ml_worker {
	int		 id;
	pthread_t	 thread;
	uint64_t	*lat;			/* ns per ok message */
	size_t		 nlat, latcap;
	unsigned long	 count[O_COUNT];
	unsigned long	 seq;
	unsigned long	 warm_ok;		/* messages during -w */
	int		 reported;		/* first error printed */
	int		 alive;			/* had one working connection */
};

static struct ml_opts opt;
static struct ml_msg msg;
static pthread_barrier_t ml_barrier;
static uint64_t ml_t_count;		/* messages started from here count */
static uint64_t ml_t_end;		/* -t: no message starts after this */
static struct ml_mod ml_capture[ML_MODS_MAX];
static size_t ml_ncapture;
static int ml_captured;
static uint32_t ml_capture_proto;
static enum ml_outcome ml_capture_outcome;

/* ---- small helpers ------------------------------------------------------ */

static void
ml_die(const char *fmt, ...)
{
	va_list ap;

	fputs("mload: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void *
ml_alloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		ml_die("out of memory (%zu bytes)", n);
	return p;
}

static void *
ml_realloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (p == NULL)
		ml_die("out of memory (%zu bytes)", n);
	return p;
}

static char *
ml_strndup(const char *s, size_t n)
{
	char *p = ml_alloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static uint64_t
ml_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static double
ml_cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

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

/* ---- the message file --------------------------------------------------- */

/*
 * Split a message into headers and a CRLF body.  Pure: reads (buf, len),
 * needs no NUL; returns NULL or an error text.  Bare LF line ends are
 * accepted and become CRLF in the body; a body not ending in a line end gets
 * one (the filter's DKIM code needs the final CRLF).
 */
static const char *
ml_msg_parse(const char *buf, size_t len, struct ml_msg *m)
{
	static char err[128];
	size_t pos = 0, line = 0, i, o;
	struct ml_hdr *cur = NULL;
	size_t curlen = 0;

	memset(m, 0, sizeof(*m));
	m->size = len;
	m->hdrs = ml_alloc(sizeof(*m->hdrs) * ML_HDR_MAX);
	for (;;) {
		size_t start = pos, end, next;

		if (pos >= len)
			break;			/* headers only, no body */
		while (pos < len && buf[pos] != '\n')
			pos++;
		end = pos;
		next = pos < len ? pos + 1 : pos;
		if (end > start && buf[end - 1] == '\r')
			end--;
		pos = next;
		line++;
		if (end == start)
			break;			/* the empty line */
		if (buf[start] == ' ' || buf[start] == '\t') {
			size_t vl;

			if (cur == NULL) {
				snprintf(err, sizeof(err),
				    "line %zu: continuation before any header",
				    line);
				return err;
			}
			vl = strlen(cur->value);
			curlen += end - start + 2;
			if (curlen > ML_HDRLEN_MAX) {
				snprintf(err, sizeof(err),
				    "line %zu: header longer than %d octets",
				    line, ML_HDRLEN_MAX);
				return err;
			}
			cur->value = ml_realloc(cur->value,
			    vl + 1 + (end - start) + 1);
			cur->value[vl] = '\n';
			memcpy(cur->value + vl + 1, buf + start, end - start);
			cur->value[vl + 1 + (end - start)] = '\0';
			continue;
		}
		for (i = start; i < end && buf[i] != ':'; i++)
			if ((unsigned char)buf[i] <= ' ' && buf[i] != ' ' &&
			    buf[i] != '\t')
				break;
		if (i == end || buf[i] != ':' || i == start) {
			snprintf(err, sizeof(err), "line %zu: not a header "
			    "field (no name and colon)", line);
			return err;
		}
		if (m->nhdrs == ML_HDR_MAX) {
			snprintf(err, sizeof(err), "more than %d headers",
			    ML_HDR_MAX);
			return err;
		}
		if (end - start > ML_HDRLEN_MAX) {
			snprintf(err, sizeof(err),
			    "line %zu: header longer than %d octets", line,
			    ML_HDRLEN_MAX);
			return err;
		}
		cur = &m->hdrs[m->nhdrs++];
		o = i;
		while (o > start && (buf[o - 1] == ' ' || buf[o - 1] == '\t'))
			o--;
		cur->name = ml_strndup(buf + start, o - start);
		cur->value = ml_strndup(buf + i + 1, end - i - 1);
		curlen = end - start;
	}
	/* The body, bare LF made CRLF. */
	m->body = ml_alloc(2 * (len - pos) + 2);
	for (i = pos, o = 0; i < len; i++) {
		if (buf[i] == '\n' && (i == pos || buf[i - 1] != '\r'))
			m->body[o++] = '\r';
		m->body[o++] = buf[i];
	}
	if (o > 0 && (o < 2 || m->body[o - 2] != '\r' || m->body[o - 1] != '\n')) {
		m->body[o++] = '\r';
		m->body[o++] = '\n';
	}
	m->bodylen = o;
	if (m->nhdrs == 0)
		return "no header fields";
	return NULL;
}

static void
ml_msg_load(const char *path, struct ml_msg *m)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	size_t len = 0, cap = 65536, n;
	const char *err;

	if (fp == NULL)
		ml_die("%s: %s", path, strerror(errno));
	buf = ml_alloc(cap);
	while ((n = fread(buf + len, 1, cap - len, fp)) > 0) {
		len += n;
		if (len == cap) {
			if (cap >= ML_MSG_MAX)
				ml_die("%s: larger than %d octets", path,
				    ML_MSG_MAX);
			cap *= 2;
			buf = ml_realloc(buf, cap);
		}
	}
	if (ferror(fp))
		ml_die("%s: read error", path);
	fclose(fp);
	if ((err = ml_msg_parse(buf, len, m)) != NULL)
		ml_die("%s: %s", path, err);
	free(buf);
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
		case 12: return opt.from;
		case 13: return ml_domain(opt.from);
		case 14: return "smtp";
		case 15: return opt.rcpt;
		case 16: return ml_domain(opt.rcpt);
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

static void
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
static enum ml_outcome
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
static int
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
static enum ml_outcome
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
	    w->seq++ & 0xfffffff);
	t0 = ml_now_ns();

	if (!(c->proto & P_NOMAIL)) {
		ml_macros(c, ST_MAIL, 'M', &env);
		at = ml_pkt_begin(c, 'M');
		snprintf(addr, sizeof(addr), "<%s>", opt.from);
		ml_pkt_str(c, addr);
		snprintf(addr, sizeof(addr), "SIZE=%zu", msg.size);
		ml_pkt_str(c, addr);
		ml_pkt_end(c, at);
		ML_STEP(c, P_NR_MAIL);
	}
	if (!(c->proto & P_NORCPT)) {
		ml_macros(c, ST_RCPT, 'R', &env);
		at = ml_pkt_begin(c, 'R');
		snprintf(addr, sizeof(addr), "<%s>", opt.rcpt);
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

/* ---- workers ------------------------------------------------------------ */

static void
ml_record(struct ml_worker *w, enum ml_outcome o, uint64_t ns, int counted)
{
	if (!counted) {
		if (o == O_OK_ACCEPT || o == O_OK_CONTINUE)
			w->warm_ok++;
		return;
	}
	w->count[o]++;
	if (o == O_OK_ACCEPT || o == O_OK_CONTINUE) {
		if (w->nlat == w->latcap) {
			w->latcap = w->latcap ? 2 * w->latcap : 4096;
			w->lat = ml_realloc(w->lat,
			    w->latcap * sizeof(*w->lat));
		}
		w->lat[w->nlat++] = ns;
	}
}

static void
ml_report_error(struct ml_worker *w, struct ml_conn *c, enum ml_outcome o)
{
	if (w->reported || c->err[0] == '\0')
		return;
	w->reported = 1;
	fprintf(stderr, "mload: connection %d: %s: %s\n", w->id,
	    ml_outcome_name[o], c->err);
}

static void *
ml_worker_main(void *arg)
{
	struct ml_worker *w = arg;
	struct ml_conn *c = ml_alloc(sizeof(*c));
	uint64_t ns = 0;
	long on_conn = 0, total = 0, fails = 0;
	int counting, capture;
	enum ml_outcome o;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	o = ml_conn_open(c);
	if (o != O_OK_CONTINUE) {
		ml_report_error(w, c, o);
		ml_record(w, o, 0, 1);
		ml_conn_close(c, 0);
		fails++;
	} else
		w->alive = 1;
	pthread_barrier_wait(&ml_barrier);	/* all connected */
	pthread_barrier_wait(&ml_barrier);	/* main set the clocks */

	for (;;) {
		uint64_t now = ml_now_ns();
		size_t nmods = 0;

		counting = now >= ml_t_count;
		if (opt.seconds > 0 ? now >= ml_t_end :
		    total >= opt.per_conn)
			break;
		if (c->fd < 0) {
			if (fails >= 3)
				break;
			o = ml_conn_open(c);
			if (o != O_OK_CONTINUE) {
				ml_report_error(w, c, o);
				ml_record(w, o, 0, counting);
				ml_conn_close(c, 0);
				fails++;
				usleep(100000);
				continue;
			}
			w->alive = 1;
			on_conn = 0;
		}
		c->err[0] = '\0';
		capture = w->id == 0 && !ml_captured && counting &&
		    (opt.verbose || opt.outfile != NULL);
		o = ml_message(c, w, &ns, capture ? ml_capture : NULL, &nmods);
		if (capture) {
			ml_captured = 1;
			ml_ncapture = nmods;
			ml_capture_proto = c->proto;
			ml_capture_outcome = o;
		}
		ml_record(w, o, ns, counting);
		if (counting)
			total++;
		if (o != O_OK_ACCEPT && o != O_OK_CONTINUE)
			ml_report_error(w, c, o);
		if (ml_conn_lost(o)) {
			ml_conn_close(c, 0);
			fails++;
			continue;
		}
		fails = 0;
		if (opt.per_conn > 0 && ++on_conn >= opt.per_conn)
			ml_conn_close(c, 1);
	}
	ml_conn_close(c, 1);
	free(c->out);
	free(c);
	return NULL;
}

/* ---- results ------------------------------------------------------------ */

static int
ml_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static double
ml_pct_ms(const uint64_t *v, size_t n, double p)
{
	size_t k;

	if (n == 0)
		return 0;
	k = (size_t)(p * (double)n + 0.999999);	/* nearest rank */
	if (k < 1)
		k = 1;
	if (k > n)
		k = n;
	return (double)v[k - 1] / 1e6;
}

static void
ml_json_str(FILE *fp, const char *s)
{
	fputc('"', fp);
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(fp, "\\%c", *s);
		else if ((unsigned char)*s < ' ')
			fprintf(fp, "\\u%04x", (unsigned char)*s);
		else
			fputc(*s, fp);
	}
	fputc('"', fp);
}

/* The captured message, with header insertions and changes applied. */
static void
ml_write_modified(const char *path)
{
	struct ml_hdr *h;
	size_t n = msg.nhdrs, i, k;
	FILE *fp;
	const char *sp = (ml_capture_proto & P_HDR_LEADSPC) ? "" : " ";

	h = ml_alloc(sizeof(*h) * (msg.nhdrs + ml_ncapture + 1));
	for (i = 0; i < msg.nhdrs; i++) {
		const char *v = msg.hdrs[i].value;

		/* as the filter saw it, and as Postfix will write it back */
		if (!(ml_capture_proto & P_HDR_LEADSPC) && *v == ' ')
			v++;
		h[i].name = msg.hdrs[i].name;
		h[i].value = (char *)v;
	}
	for (k = 0; k < ml_ncapture; k++) {
		struct ml_mod *m = &ml_capture[k];

		if (m->name == NULL)
			continue;
		if (m->cmd == 'h') {
			h[n].name = m->name;
			h[n++].value = m->value;
		} else if (m->cmd == 'i') {
			size_t idx = m->index > n ? n : m->index;

			memmove(h + idx + 1, h + idx, (n - idx) * sizeof(*h));
			h[idx].name = m->name;
			h[idx].value = m->value;
			n++;
		} else if (m->cmd == 'm') {
			uint32_t seen = 0;

			for (i = 0; i < n; i++) {
				if (strcasecmp(h[i].name, m->name) != 0 ||
				    ++seen != m->index)
					continue;
				if (*m->value == '\0') {
					memmove(h + i, h + i + 1,
					    (n - i - 1) * sizeof(*h));
					n--;
				} else
					h[i].value = m->value;
				break;
			}
		}
	}
	if ((fp = fopen(path, "wb")) == NULL)
		ml_die("%s: %s", path, strerror(errno));
	for (i = 0; i < n; i++) {
		const char *v;

		fprintf(fp, "%s:%s", h[i].name, sp);
		for (v = h[i].value; *v; v++) {
			if (*v == '\n' && (v == h[i].value || v[-1] != '\r'))
				fputc('\r', fp);
			fputc(*v, fp);
		}
		fputs("\r\n", fp);
	}
	fputs("\r\n", fp);
	fwrite(msg.body, 1, msg.bodylen, fp);
	if (fclose(fp) != 0)
		ml_die("%s: write error", path);
	free(h);
}

static void
ml_trace_capture(void)
{
	size_t k;

	fprintf(stderr, "mload: filter protocol 0x%06lx; first message: %zu "
	    "modification(s)\n", (unsigned long)ml_capture_proto,
	    ml_ncapture);
	for (k = 0; k < ml_ncapture; k++) {
		struct ml_mod *m = &ml_capture[k];

		if (m->cmd == 'i' || m->cmd == 'm')
			fprintf(stderr, "  '%c' [%lu] %s: %s\n", m->cmd,
			    (unsigned long)m->index, m->name ? m->name : "",
			    m->value ? m->value : "");
		else
			fprintf(stderr, "  '%c' %s%s%s\n", m->cmd,
			    m->name ? m->name : "", m->name ? ": " : "",
			    m->value ? m->value : "");
	}
}

static void
ml_usage(void)
{
	fprintf(stderr, "usage: mload -s SOCKET -m MESSAGE [-c CONC] "
	    "[-n MSGS_PER_CONN] [-t SECONDS]\n"
	    "             [-i CLIENT_IP] [-a LOGIN] [-f FROM] [-r RCPT] "
	    "[-H HEADER] [-T TIMEOUT]\n"
	    "             [-w WARMUP_SECONDS] [-A] [-o FILE] [-v] [-j]\n");
	exit(2);
}

static double
ml_num(const char *s, const char *what, double lo, double hi)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "mload: %s: expected a number from %g to %g, "
		    "got \"%s\"\n", what, lo, hi, s);
		ml_usage();
	}
	return v;
}

int
main(int argc, char **argv)
{
	struct ml_worker *w;
	uint64_t *all, t0, t1;
	size_t nall = 0;
	unsigned long count[O_COUNT] = { 0 }, ok, failed = 0, warm_ok = 0;
	double cpu0, cpu1, secs;
	int ch, i, alive = 0;

	opt.conc = 1;
	opt.timeout = 10;
	opt.client_ip = "127.0.0.1";
	opt.from = "bench@example.com";
	opt.rcpt = "rcpt@example.net";
	while ((ch = getopt(argc, argv, "s:c:n:t:m:i:a:f:r:H:T:w:Ao:vj")) != -1) {
		switch (ch) {
		case 's': opt.socket = optarg; break;
		case 'c': opt.conc = (int)ml_num(optarg, "-c", 1, 1024); break;
		case 'n': opt.per_conn = (long)ml_num(optarg, "-n", 1, 1e9);
			break;
		case 't': opt.seconds = ml_num(optarg, "-t", 0.01, 86400);
			break;
		case 'm': opt.msgfile = optarg; break;
		case 'i': opt.client_ip = optarg; break;
		case 'a': opt.auth = *optarg ? optarg : NULL; break;
		case 'f': opt.from = optarg; break;
		case 'r': opt.rcpt = optarg; break;
		case 'H': opt.expect_hdr = optarg; break;
		case 'T': opt.timeout = ml_num(optarg, "-T", 0.01, 3600);
			break;
		case 'w': opt.warmup = ml_num(optarg, "-w", 0, 3600); break;
		case 'A': opt.no_abort = 1; break;
		case 'o': opt.outfile = optarg; break;
		case 'v': opt.verbose = 1; break;
		case 'j': opt.json = 1; break;
		default: ml_usage();
		}
	}
	if (optind != argc || opt.socket == NULL || opt.msgfile == NULL)
		ml_usage();
	if (opt.seconds <= 0 && opt.per_conn <= 0)
		opt.per_conn = 100;
	if (opt.warmup > 0 && opt.seconds <= 0) {
		fprintf(stderr, "mload: -w needs -t\n");
		ml_usage();
	}
	{
		struct in6_addr a6;

		if (inet_pton(AF_INET, opt.client_ip, &a6) != 1 &&
		    inet_pton(AF_INET6, opt.client_ip, &a6) != 1) {
			fprintf(stderr, "mload: -i: not an IP address: %s\n",
			    opt.client_ip);
			ml_usage();
		}
	}
	signal(SIGPIPE, SIG_IGN);
	ml_msg_load(opt.msgfile, &msg);

	w = ml_alloc(sizeof(*w) * (size_t)opt.conc);
	memset(w, 0, sizeof(*w) * (size_t)opt.conc);
	pthread_barrier_init(&ml_barrier, NULL, (unsigned)opt.conc + 1);
	for (i = 0; i < opt.conc; i++) {
		w[i].id = i;
		if (pthread_create(&w[i].thread, NULL, ml_worker_main, &w[i]))
			ml_die("pthread_create failed");
	}
	pthread_barrier_wait(&ml_barrier);	/* all connected */
	ml_t_count = ml_now_ns() + (uint64_t)(opt.warmup * 1e9);
	ml_t_end = ml_t_count + (uint64_t)(opt.seconds * 1e9);
	pthread_barrier_wait(&ml_barrier);	/* go */
	if (opt.warmup > 0) {
		struct timespec ts;
		uint64_t left = ml_t_count - ml_now_ns();

		ts.tv_sec = (time_t)(left / 1000000000u);
		ts.tv_nsec = (long)(left % 1000000000u);
		if (left < ml_t_count)
			nanosleep(&ts, NULL);
	}
	t0 = ml_now_ns();
	cpu0 = ml_cpu_seconds();
	for (i = 0; i < opt.conc; i++)
		pthread_join(w[i].thread, NULL);
	t1 = ml_now_ns();
	cpu1 = ml_cpu_seconds();
	secs = (double)(t1 - t0) / 1e9;

	for (i = 0; i < opt.conc; i++)
		nall += w[i].nlat;
	all = ml_alloc(sizeof(*all) * (nall + 1));
	nall = 0;
	for (i = 0; i < opt.conc; i++) {
		int k;

		if (w[i].nlat > 0)
			memcpy(all + nall, w[i].lat, w[i].nlat * sizeof(*all));
		nall += w[i].nlat;
		for (k = 0; k < O_COUNT; k++)
			count[k] += w[i].count[k];
		alive += w[i].alive;
		warm_ok += w[i].warm_ok;
	}
	qsort(all, nall, sizeof(*all), ml_cmp_u64);
	ok = count[O_OK_ACCEPT] + count[O_OK_CONTINUE];
	for (i = O_EARLY_ACCEPT; i < O_COUNT; i++)
		failed += count[i];

	if (opt.verbose && ml_captured)
		ml_trace_capture();
	if (opt.outfile != NULL) {
		if (!ml_captured)
			ml_die("-o: no message completed");
		if (ml_capture_outcome != O_OK_ACCEPT &&
		    ml_capture_outcome != O_OK_CONTINUE)
			ml_die("-o: the first message failed (%s)",
			    ml_outcome_name[ml_capture_outcome]);
		ml_write_modified(opt.outfile);
	}
	if (opt.json) {
		int first = 1;

		printf("{\"socket\":");
		ml_json_str(stdout, opt.socket);
		printf(",\"concurrency\":%d,\"message_bytes\":%zu,"
		    "\"messages\":%lu,\"ok\":%lu,\"failed\":%lu,"
		    "\"seconds\":%.3f,\"msgs_per_s\":%.1f,\"p50_ms\":%.3f,"
		    "\"p90_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,"
		    "\"cpu_s\":%.3f,\"cpu_share\":%.3f,\"warmup_ok\":%lu,"
		    "\"errors\":{",
		    opt.conc, msg.size, ok + failed, ok, failed, secs,
		    secs > 0 ? (double)ok / secs : 0,
		    ml_pct_ms(all, nall, 0.50), ml_pct_ms(all, nall, 0.90),
		    ml_pct_ms(all, nall, 0.99),
		    nall ? (double)all[nall - 1] / 1e6 : 0, cpu1 - cpu0,
		    secs > 0 ? (cpu1 - cpu0) / secs : 0, warm_ok);
		for (i = O_EARLY_ACCEPT; i < O_COUNT; i++) {
			if (count[i] == 0)
				continue;
			printf("%s\"%s\":%lu", first ? "" : ",",
			    ml_outcome_name[i], count[i]);
			first = 0;
		}
		printf("}}\n");
	} else {
		printf("mload: %s, %d connection(s), message %zu octets "
		    "(%zu headers, %zu body octets)\n", opt.socket, opt.conc,
		    msg.size, msg.nhdrs, msg.bodylen);
		printf("messages   %lu ok, %lu failed in %.3f s: %.1f msgs/s\n",
		    ok, failed, secs, secs > 0 ? (double)ok / secs : 0);
		printf("latency    p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, "
		    "max %.3f ms\n", ml_pct_ms(all, nall, 0.50),
		    ml_pct_ms(all, nall, 0.90), ml_pct_ms(all, nall, 0.99),
		    nall ? (double)all[nall - 1] / 1e6 : 0);
		printf("generator  %.3f CPU s (%.2f of a core)\n", cpu1 - cpu0,
		    secs > 0 ? (cpu1 - cpu0) / secs : 0);
		printf("replies   ");
		for (i = 0; i < O_COUNT; i++)
			if (count[i] > 0)
				printf(" %s %lu", ml_outcome_name[i], count[i]);
		printf("\n");
	}
	for (i = 0; i < opt.conc; i++)
		free(w[i].lat);
	free(w);
	free(all);
	return alive == 0 ? 1 : 0;
}
