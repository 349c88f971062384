/*
 * redis.c - a connection to Redis through hiredis 0.14's synchronous API:
 * connect (directly, or through the sentinels), pipelines, replies (see
 * redis.h).  Built when configure finds hiredis; redis_none.c otherwise.
 *
 * Owns: redis_connect(), redis_close(), redis_address(), redis_append(),
 * redis_exchange(), redis_replies_free(), redis_set_timeout(), the
 * redis_reply_*() readers, redis_built_in().
 *
 * hiredis writes and reads the protocol; this file adds the timeouts (the
 * socket's, set with redisSetTimeout()), the sentinel look-up that
 * hiredis 0.14 lacks, the login, and error texts that name the address.
 * Replies are hiredis's own redisReply objects, handed out as the opaque
 * REDIS_REPLY.
 *
 * Must not: log, keep the password (it goes into hiredis's output buffer
 * for AUTH and nowhere else; a known limit: hiredis frees that buffer
 * without wiping it), put it into an error text, or let any other file
 * see hiredis.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <hiredis/hiredis.h>

#include "base/mem.h"
#include "base/panic.h"
#include "cluster/redis.h"

#define RD_ADDR_MAX	(REDIS_PATH_MAX + REDIS_HOST_MAX + 16)
#define RD_WHY_MAX	256

struct REDIS {
	redisContext	*c;
	const char	*label;		/* "redis" or "sentinel" */
	char		 addr[RD_ADDR_MAX];
	size_t		 pending;	/* appended, not yet answered */
	int		 timeout_ms;
	int		 broken;
	char		 why[RD_WHY_MAX];	/* why it broke */
};

static const redisReply *
rd_r(const REDIS_REPLY *r)
{
	static const redisReply nil = { .type = REDIS_REPLY_NIL };

	/* NULL (an element past the end, of a nil) reads as nil */
	return r != NULL ? (const redisReply *)(const void *)r : &nil;
}

static struct timeval
rd_tv(int ms)
{
	struct timeval tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	return tv;
}

/* Every occurrence of the password in text, masked. */
static void
rd_mask(char *text, const char *password)
{
	size_t n = strlen(password);
	char *p;

	while (n > 0 && (p = strstr(text, password)) != NULL)
		memset(p, '*', n);
}

/* Why the context failed: a reply not in time reads as such. */
static void
rd_why(REDIS *r, int saved_errno)
{
	if (r->c->err == REDIS_ERR_IO && (saved_errno == EAGAIN ||
	    saved_errno == EWOULDBLOCK))
		snprintf(r->why, sizeof(r->why), "no reply within %d ms",
		    r->timeout_ms);
	else if (r->c->err == REDIS_ERR_OOM)
		panic_die("hiredis: out of memory");
	else
		snprintf(r->why, sizeof(r->why), "%s", r->c->errstr[0] ?
		    r->c->errstr : "connection lost");
	r->broken = 1;
}

/* A connection, not yet logged in; NULL with err. */
static REDIS *
rd_open(const char *label, const char *host, int port, const char *path,
    int timeout_ms, char *err, size_t errlen)
{
	REDIS *r = mem_calloc(1, sizeof(*r));
	int v6 = host != NULL && strchr(host, ':') != NULL, e;

	r->label = label;
	r->timeout_ms = timeout_ms;
	if (path != NULL)
		snprintf(r->addr, sizeof(r->addr), "unix:%s", path);
	else
		snprintf(r->addr, sizeof(r->addr), "%s%s%s:%d", v6 ? "[" : "",
		    host, v6 ? "]" : "", port);
	if (path != NULL)
		r->c = timeout_ms > 0 ? redisConnectUnixWithTimeout(path,
		    rd_tv(timeout_ms)) : redisConnectUnix(path);
	else
		r->c = timeout_ms > 0 ? redisConnectWithTimeout(host, port,
		    rd_tv(timeout_ms)) : redisConnect(host, port);
	e = errno;
	if (r->c == NULL)
		panic_die("hiredis: out of memory");
	if (r->c->err == 0 && timeout_ms > 0 &&
	    redisSetTimeout(r->c, rd_tv(timeout_ms)) != REDIS_OK)
		e = errno;
	if (r->c->err != 0) {
		if (e == ETIMEDOUT)
			snprintf(err, errlen, "%s %s: no connection within %d "
			    "ms", label, r->addr, timeout_ms);
		else
			snprintf(err, errlen, "%s %s: %s", label, r->addr,
			    r->c->errstr);
		redis_close(r);
		return NULL;
	}
	return r;
}

void
redis_close(REDIS *r)
{
	if (r == NULL)
		return;
	if (r->c != NULL)
		redisFree(r->c);
	free(r);
}

const char *
redis_address(const REDIS *r)
{
	return r->addr;
}

void
redis_append(REDIS *r, int argc, const char **argv, const size_t *argvlen)
{
	if (r->broken)
		return;
	/* hiredis fails here only when out of memory */
	if (redisAppendCommandArgv(r->c, argc, argv, argvlen) != REDIS_OK)
		panic_die("hiredis: out of memory");
	r->pending++;
}

int
redis_exchange(REDIS *r, REDIS_REPLY ***replies, size_t *n, char *err,
    size_t errlen)
{
	REDIS_REPLY **out;
	size_t want = r->pending, i;
	void *rep;

	*replies = NULL;
	*n = 0;
	if (r->broken) {
		snprintf(err, errlen, "%s %s: %s", r->label, r->addr, r->why);
		return -1;
	}
	if (want == 0)
		return 0;
	out = mem_calloc(want, sizeof(*out));
	for (i = 0; i < want; i++) {
		rep = NULL;
		errno = 0;
		if (redisGetReply(r->c, &rep) != REDIS_OK || rep == NULL) {
			rd_why(r, errno);
			redis_replies_free(out, i);
			snprintf(err, errlen, "%s %s: %s", r->label, r->addr,
			    r->why);
			return -1;
		}
		out[i] = (REDIS_REPLY *)rep;
	}
	r->pending = 0;
	*replies = out;
	*n = want;
	return 0;
}

void
redis_replies_free(REDIS_REPLY **rep, size_t n)
{
	size_t i;

	for (i = 0; rep != NULL && i < n; i++)
		if (rep[i] != NULL)
			freeReplyObject(rep[i]);
	free(rep);
}

int
redis_set_timeout(REDIS *r, int ms)
{
	if (r->broken)
		return -1;
	if (redisSetTimeout(r->c, rd_tv(ms)) != REDIS_OK) {
		rd_why(r, errno);
		return -1;
	}
	r->timeout_ms = ms;
	return 0;
}

int
redis_reply_type(const REDIS_REPLY *r)
{
	switch (rd_r(r)->type) {
	case REDIS_REPLY_STRING:	return REDIS_R_STRING;
	case REDIS_REPLY_ARRAY:		return REDIS_R_ARRAY;
	case REDIS_REPLY_INTEGER:	return REDIS_R_INTEGER;
	case REDIS_REPLY_STATUS:	return REDIS_R_STATUS;
	case REDIS_REPLY_ERROR:		return REDIS_R_ERROR;
	default:			return REDIS_R_NIL;
	}
}

long long
redis_reply_int(const REDIS_REPLY *r)
{
	return rd_r(r)->type == REDIS_REPLY_INTEGER ? rd_r(r)->integer : 0;
}

const char *
redis_reply_str(const REDIS_REPLY *r, size_t *len)
{
	const redisReply *x = rd_r(r);

	if (x->type != REDIS_REPLY_STRING && x->type != REDIS_REPLY_STATUS &&
	    x->type != REDIS_REPLY_ERROR) {
		if (len != NULL)
			*len = 0;
		return NULL;
	}
	if (len != NULL)
		*len = x->len;
	return x->str;
}

size_t
redis_reply_count(const REDIS_REPLY *r)
{
	return rd_r(r)->type == REDIS_REPLY_ARRAY ? rd_r(r)->elements : 0;
}

const REDIS_REPLY *
redis_reply_elem(const REDIS_REPLY *r, size_t i)
{
	if (rd_r(r)->type != REDIS_REPLY_ARRAY || i >= rd_r(r)->elements)
		return NULL;
	return (const REDIS_REPLY *)(const void *)rd_r(r)->element[i];
}

/* Is r the error "CODE ..." (or just "CODE")? */
int
redis_reply_is_error(const REDIS_REPLY *r, const char *code)
{
	const redisReply *x = rd_r(r);
	size_t n = strlen(code);

	return x->type == REDIS_REPLY_ERROR && x->len >= n &&
	    memcmp(x->str, code, n) == 0 && (x->len == n || x->str[n] == ' ');
}

int
redis_reply_readonly(const REDIS_REPLY *r)
{
	return redis_reply_is_error(r, "READONLY");
}

/* One reply of the login round trip is what it must be; else err. */
static int
rd_check(const REDIS *r, const REDIS_REPLY *rep, const char *what,
    const char *want, char *err, size_t errlen)
{
	const redisReply *x = rd_r(rep);

	if (x->type == REDIS_REPLY_STATUS && strcmp(x->str, want) == 0)
		return 0;
	if (x->type == REDIS_REPLY_ERROR)
		snprintf(err, errlen, "%s %s: %s: %.200s%s", r->label, r->addr,
		    what, x->str, strncmp(x->str, "NOAUTH", 6) == 0 ?
		    " (set ClusterPasswordFile)" : "");
	else
		snprintf(err, errlen, "%s %s: %s: unexpected answer", r->label,
		    r->addr, what);
	return -1;
}

/* ROLE's answer: "master" first, or a refusal to say (NOPERM: an ACL
 * user without @admin; the sentinel's word is taken then). */
static int
rd_check_role(const REDIS *r, const REDIS_REPLY *rep, char *err,
    size_t errlen)
{
	const REDIS_REPLY *first = redis_reply_elem(rep, 0);
	size_t len;
	const char *s = first != NULL ? redis_reply_str(first, &len) : NULL;

	if (redis_reply_is_error(rep, "NOPERM"))
		return 0;
	if (s != NULL && len == 6 && memcmp(s, "master", 6) == 0)
		return 0;
	snprintf(err, errlen, "%s %s: ROLE says %.*s, not master (a sentinel "
	    "that has not seen the failover yet?)", r->label, r->addr,
	    s != NULL ? (int)(len > 32 ? 32 : len) : 7,
	    s != NULL ? s : "nothing");
	return -1;
}

/* AUTH, ROLE, SELECT and PING in one round trip; 0, or -1 with err. */
static int
rd_login(REDIS *r, const REDIS_TARGET *t, int role, char *err, size_t errlen)
{
	const char *argv[3];
	REDIS_REPLY **rep;
	char db[16];
	size_t n, i = 0;
	int bad = 0;

	if (t->password[0] != '\0') {
		argv[0] = "AUTH";
		argv[1] = t->user[0] != '\0' ? t->user : t->password;
		argv[2] = t->password;
		redis_append(r, t->user[0] != '\0' ? 3 : 2, argv, NULL);
	}
	if (role)
		redis_append(r, 1, (const char *[]){ "ROLE" }, NULL);
	snprintf(db, sizeof(db), "%d", t->db);
	if (t->db != 0)
		redis_append(r, 2, (const char *[]){ "SELECT", db }, NULL);
	redis_append(r, 1, (const char *[]){ "PING" }, NULL);
	if (redis_exchange(r, &rep, &n, err, errlen) == -1)
		return -1;
	if (t->password[0] != '\0')
		bad = rd_check(r, rep[i++], "AUTH", "OK", err, errlen);
	if (!bad && role)
		bad = rd_check_role(r, rep[i], err, errlen);
	i += role != 0;
	if (!bad && t->db != 0) {
		snprintf(db, sizeof(db), "SELECT %d", t->db);
		bad = rd_check(r, rep[i++], db, "OK", err, errlen);
	}
	if (!bad)
		bad = rd_check(r, rep[i], "PING", "PONG", err, errlen);
	redis_replies_free(rep, n);
	return bad;
}

/* The master's address as one sentinel gives it: 1, 0 (it does not know
 * the master) or -1 (err). */
static int
rd_ask_sentinel(const REDIS_TARGET *t, const REDIS_HOSTPORT *s,
    REDIS_HOSTPORT *master, char *err, size_t errlen)
{
	const REDIS_REPLY *h, *p;
	REDIS_REPLY **rep;
	REDIS *r;
	size_t n, hl = 0, pl = 0;
	const char *hs, *ps;
	int found = -1;

	if ((r = rd_open("sentinel", s->host, s->port, NULL, t->timeout_ms,
	    err, errlen)) == NULL)
		return -1;
	redis_append(r, 3, (const char *[]){ "SENTINEL",
	    "get-master-addr-by-name", t->master }, NULL);
	if (redis_exchange(r, &rep, &n, err, errlen) == -1) {
		redis_close(r);
		return -1;
	}
	h = redis_reply_elem(rep[0], 0);
	p = redis_reply_elem(rep[0], 1);
	hs = h != NULL ? redis_reply_str(h, &hl) : NULL;
	ps = p != NULL ? redis_reply_str(p, &pl) : NULL;
	if (redis_reply_type(rep[0]) == REDIS_R_NIL)
		found = 0;
	else if (redis_reply_type(rep[0]) == REDIS_R_ERROR)
		snprintf(err, errlen, "sentinel %s: %.200s", r->addr,
		    redis_reply_str(rep[0], NULL));
	else if (hs == NULL || ps == NULL || hl == 0 || hl > REDIS_HOST_MAX ||
	    pl == 0 || pl > 5 || (master->port = atoi(ps)) < 1 ||
	    master->port > 65535)
		snprintf(err, errlen, "sentinel %s: unexpected answer to "
		    "SENTINEL get-master-addr-by-name", r->addr);
	else {
		memcpy(master->host, hs, hl);
		master->host[hl] = '\0';
		found = 1;
	}
	redis_replies_free(rep, n);
	redis_close(r);
	return found;
}

/* Each sentinel in turn, until one names a master that says it is one. */
static REDIS *
rd_via_sentinels(const REDIS_TARGET *t, char *err, size_t errlen)
{
	REDIS_HOSTPORT m;
	char last[1024] = "";
	int i, unknown = 0, failed = 0;
	REDIS *r;

	for (i = 0; i < t->nsentinels; i++) {
		switch (rd_ask_sentinel(t, &t->sentinels[i], &m, last,
		    sizeof(last))) {
		case 0:
			unknown++;
			continue;
		case -1:
			failed++;
			continue;
		}
		if ((r = rd_open("redis", m.host, m.port, NULL, t->timeout_ms,
		    last, sizeof(last))) != NULL) {
			if (rd_login(r, t, 1, last, sizeof(last)) == 0)
				return r;
			redis_close(r);
		}
		failed++;
	}
	if (failed == 0)
		snprintf(err, errlen, "sentinel: no sentinel knows master %s",
		    t->master);
	else
		snprintf(err, errlen, "sentinel: master %s not reached (%d of "
		    "%d sentinels did not know it); last error: %s", t->master,
		    unknown, t->nsentinels, last);
	return NULL;
}

REDIS *
redis_connect(const REDIS_TARGET *t, char *err, size_t errlen)
{
	REDIS *r = NULL;

	switch (t->kind) {
	case REDIS_TCP:
	case REDIS_UNIX:
		r = rd_open("redis", t->host, t->port, t->kind == REDIS_UNIX ?
		    t->path : NULL, t->timeout_ms, err, errlen);
		if (r != NULL && rd_login(r, t, 0, err, errlen) != 0) {
			redis_close(r);
			r = NULL;
		}
		break;
	case REDIS_SENTINEL:
		r = rd_via_sentinels(t, err, errlen);
		break;
	default:
		snprintf(err, errlen, "redis: no target");
		break;
	}
	if (r == NULL)
		rd_mask(err, t->password);
	return r;
}

int
redis_built_in(void)
{
	return 1;
}
