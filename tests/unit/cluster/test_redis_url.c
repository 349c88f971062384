/*
 * test_redis_url.c - table-driven tests of redis_url_parse(),
 * redis_target_secret() and redis_target_text() (filter/cluster).
 *
 * Every URL is fed from a heap copy of exactly its length (no NUL after
 * it: AddressSanitizer catches a read past len).  A good URL must give the
 * fields of its row, and its text must read back to the same target; a
 * bad one must give an error holding the row's words, and never the
 * secret a row plants in it.  Every truncation of every good URL is parsed
 * too: it may be good or bad, but it must not crash, and a good one must
 * read back from its text.  The password file's line has its own table.
 */
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "cluster/redis_url.h"
#include "tap.h"

struct url_case {
	const char	*in;
	int		 kind;		/* 0: an error */
	const char	*host;		/* REDIS_TCP; or the first sentinel */
	int		 port;
	const char	*path;		/* REDIS_UNIX */
	int		 db;
	int		 nsent;
	const char	*master;
	const char	*err;		/* a substring of the error */
};

#define LONGHOST "a123456789012345678901234567890123456789012345678901234" \
	"56789012"	/* 63 octets: one label at its longest */

static const struct url_case url_cases[] = {
	{ "redis://127.0.0.1:6379", REDIS_TCP, "127.0.0.1", 6379, NULL, 0, 0,
	    NULL, NULL },
	{ "redis://127.0.0.1", REDIS_TCP, "127.0.0.1", 6379, NULL, 0, 0,
	    NULL, NULL },
	{ "REDIS://redis.example.com:6390/3", REDIS_TCP, "redis.example.com",
	    6390, NULL, 3, 0, NULL, NULL },
	{ "redis://[::1]:7000/1000", REDIS_TCP, "::1", 7000, NULL, 1000, 0,
	    NULL, NULL },
	{ "redis://[2001:db8::5]", REDIS_TCP, "2001:db8::5", 6379, NULL, 0, 0,
	    NULL, NULL },
	{ "redis://redis_1:1/", REDIS_TCP, "redis_1", 1, NULL, 0, 0, NULL,
	    NULL },
	{ "redis://h:65535/0", REDIS_TCP, "h", 65535, NULL, 0, 0, NULL, NULL },
	{ "redis://" LONGHOST ".example", REDIS_TCP, LONGHOST ".example", 6379,
	    NULL, 0, 0, NULL, NULL },
	{ "unix:/run/redis/redis.sock", REDIS_UNIX, NULL, 0,
	    "/run/redis/redis.sock", 0, 0, NULL, NULL },
	{ "unix:/run/redis.sock?db=7", REDIS_UNIX, NULL, 0, "/run/redis.sock",
	    7, 0, NULL, NULL },
	{ "UNIX:///run/redis.sock", REDIS_UNIX, NULL, 0, "/run/redis.sock", 0,
	    0, NULL, NULL },
	{ "sentinel://10.0.0.1:26379,10.0.0.2,[::1]:26380/mymaster",
	    REDIS_SENTINEL, "10.0.0.1", 26379, NULL, 0, 3, "mymaster", NULL },
	{ "sentinel://s1/repguard.main-1/2", REDIS_SENTINEL, "s1", 26379,
	    NULL, 2, 1, "repguard.main-1", NULL },
	{ "sentinel://a,b,c,d,e,f,g,h/m", REDIS_SENTINEL, "a", 26379, NULL, 0,
	    8, "m", NULL },

	{ "", 0, NULL, 0, NULL, 0, 0, NULL, "empty URL" },
	{ "rediss://redis.example.com:6380", 0, NULL, 0, NULL, 0, 0, NULL,
	    "no TLS" },
	{ "rediss://h", 0, NULL, 0, NULL, 0, 0, NULL, "stunnel" },
	{ "redis://:s3cretPW@127.0.0.1:6379", 0, NULL, 0, NULL, 0, 0, NULL,
	    "ClusterPasswordFile" },
	{ "redis://alice:s3cretPW@127.0.0.1", 0, NULL, 0, NULL, 0, 0, NULL,
	    "user or password in the URL" },
	{ "sentinel://alice:s3cretPW@s1/m", 0, NULL, 0, NULL, 0, 0, NULL,
	    "ClusterPasswordFile" },
	{ "redis://127.0.0.1?password=s3cretPW", 0, NULL, 0, NULL, 0, 0, NULL,
	    "query options are refused" },
	{ "http://127.0.0.1", 0, NULL, 0, NULL, 0, 0, NULL, "expected redis://" },
	{ "127.0.0.1:6379", 0, NULL, 0, NULL, 0, 0, NULL, "expected redis://" },
	{ "redis:/127.0.0.1", 0, NULL, 0, NULL, 0, 0, NULL, "expected redis://" },
	{ "redis://", 0, NULL, 0, NULL, 0, 0, NULL, "missing host" },
	{ "redis://:6379", 0, NULL, 0, NULL, 0, 0, NULL, "missing host" },
	{ "redis://h:", 0, NULL, 0, NULL, 0, 0, NULL, "bad port \"\"" },
	{ "redis://h:0", 0, NULL, 0, NULL, 0, 0, NULL, "bad port \"0\"" },
	{ "redis://h:65536", 0, NULL, 0, NULL, 0, 0, NULL, "1 to 65535" },
	{ "redis://h:123456", 0, NULL, 0, NULL, 0, 0, NULL, "bad port" },
	{ "redis://h:+80", 0, NULL, 0, NULL, 0, 0, NULL, "bad port" },
	{ "redis://h:80:81", 0, NULL, 0, NULL, 0, 0, NULL, "bad port" },
	{ "redis://h/16x", 0, NULL, 0, NULL, 0, 0, NULL, "database number" },
	{ "redis://h/1001", 0, NULL, 0, NULL, 0, 0, NULL, "0 to 1000" },
	{ "redis://h/-1", 0, NULL, 0, NULL, 0, 0, NULL, "database number" },
	{ "redis://h/1/2", 0, NULL, 0, NULL, 0, 0, NULL, "database number" },
	{ "redis://300.1.1.1", 0, NULL, 0, NULL, 0, 0, NULL, "bad host" },
	{ "redis://1.2.3", 0, NULL, 0, NULL, 0, 0, NULL, "bad host" },
	{ "redis://a..b", 0, NULL, 0, NULL, 0, 0, NULL, "bad host" },
	{ "redis://.a", 0, NULL, 0, NULL, 0, 0, NULL, "bad host" },
	{ "redis://h!", 0, NULL, 0, NULL, 0, 0, NULL, "bad host \"h!\"" },
	{ "redis://" LONGHOST "x.example", 0, NULL, 0, NULL, 0, 0, NULL,
	    "bad host" },
	{ "redis://::1:6379", 0, NULL, 0, NULL, 0, 0, NULL, "missing host" },
	{ "redis://[::1", 0, NULL, 0, NULL, 0, 0, NULL, "without ']'" },
	{ "redis://[::g]", 0, NULL, 0, NULL, 0, 0, NULL, "bad IPv6 address" },
	{ "redis://[]", 0, NULL, 0, NULL, 0, 0, NULL, "bad IPv6" },
	{ "redis://[::1]x", 0, NULL, 0, NULL, 0, 0, NULL, "after ']'" },
	{ "redis://[fe80::1%25eth0]", 0, NULL, 0, NULL, 0, 0, NULL,
	    "percent escapes" },
	{ "redis://h /0", 0, NULL, 0, NULL, 0, 0, NULL, "white space" },
	{ "redis://h\t", 0, NULL, 0, NULL, 0, 0, NULL, "control octet" },
	{ "redis://h\x80", 0, NULL, 0, NULL, 0, 0, NULL, "control octet" },
	{ "unix:", 0, NULL, 0, NULL, 0, 0, NULL, "absolute path" },
	{ "unix:run/redis.sock", 0, NULL, 0, NULL, 0, 0, NULL,
	    "absolute path" },
	{ "unix://run/redis.sock", 0, NULL, 0, NULL, 0, 0, NULL,
	    "absolute path" },
	{ "unix:/r.sock?db=", 0, NULL, 0, NULL, 0, 0, NULL, "?db=N" },
	{ "unix:/r.sock?db=1001", 0, NULL, 0, NULL, 0, 0, NULL, "?db=N" },
	{ "unix:/r.sock?timeout=5", 0, NULL, 0, NULL, 0, 0, NULL,
	    "only option" },
	{ "unix:/r.sock?db=1&db=2", 0, NULL, 0, NULL, 0, 0, NULL, "?db=N" },
	{ "sentinel://s1", 0, NULL, 0, NULL, 0, 0, NULL, "/MASTER" },
	{ "sentinel://s1/", 0, NULL, 0, NULL, 0, 0, NULL, "master's name" },
	{ "sentinel:///m", 0, NULL, 0, NULL, 0, 0, NULL, "empty sentinel" },
	{ "sentinel://s1,,s2/m", 0, NULL, 0, NULL, 0, 0, NULL,
	    "empty sentinel" },
	{ "sentinel://s1,/m", 0, NULL, 0, NULL, 0, 0, NULL, "empty sentinel" },
	{ ",sentinel://s1/m", 0, NULL, 0, NULL, 0, 0, NULL, "expected" },
	{ "sentinel://a,b,c,d,e,f,g,h,i/m", 0, NULL, 0, NULL, 0, 0, NULL,
	    "more than 8 sentinels" },
	{ "sentinel://s1:0/m", 0, NULL, 0, NULL, 0, 0, NULL, "bad port" },
	{ "sentinel://s1/my master", 0, NULL, 0, NULL, 0, 0, NULL,
	    "white space" },
	{ "sentinel://s1/my*master", 0, NULL, 0, NULL, 0, 0, NULL,
	    "master's name may hold" },
	{ "sentinel://s1/" LONGHOST "x", 0, NULL, 0, NULL, 0, 0, NULL,
	    "longer than 63" },
	{ "sentinel://s1/m/1001", 0, NULL, 0, NULL, 0, 0, NULL,
	    "database number" },
};

/* The URL planted with a secret must never show it in the error. */
#define SECRET "s3cretPW"

static char *
exact_copy(const char *s, size_t len)
{
	char *p = mem_alloc(len > 0 ? len : 1);

	memcpy(p, s, len);
	return p;
}

static int
same_target(const REDIS_TARGET *a, const REDIS_TARGET *b)
{
	int i;

	if (a->kind != b->kind || a->db != b->db || a->port != b->port ||
	    strcmp(a->host, b->host) || strcmp(a->path, b->path) ||
	    strcmp(a->master, b->master) || a->nsentinels != b->nsentinels)
		return 0;
	for (i = 0; i < a->nsentinels; i++)
		if (strcmp(a->sentinels[i].host, b->sentinels[i].host) ||
		    a->sentinels[i].port != b->sentinels[i].port)
			return 0;
	return 1;
}

/* The text of t reads back to t. */
static int
reads_back(const REDIS_TARGET *t)
{
	char text[REDIS_TARGET_TEXT_MAX], msg[300];
	REDIS_TARGET u;

	redis_target_text(t, text, sizeof(text));
	return redis_url_parse(text, strlen(text), &u, msg, sizeof(msg)) ==
	    NULL && same_target(t, &u);
}

static void
run_url(const struct url_case *c)
{
	size_t len = strlen(c->in);
	char *copy = exact_copy(c->in, len), msg[300];
	const char *err, *host;
	REDIS_TARGET t;

	err = redis_url_parse(copy, len, &t, msg, sizeof(msg));
	if (c->kind == 0) {
		tap_ok(err != NULL && strstr(err, c->err) != NULL &&
		    strstr(err, SECRET) == NULL, "\"%s\": error \"%s\" (got "
		    "\"%s\")", c->in, c->err, err ? err : "none");
		free(copy);
		return;
	}
	host = c->kind == REDIS_SENTINEL ? t.sentinels[0].host : t.host;
	tap_ok(err == NULL && t.kind == c->kind && t.db == c->db &&
	    t.nsentinels == c->nsent, "\"%s\": kind %d, db %d, %d sentinels "
	    "(%s)", c->in, c->kind, c->db, c->nsent, err ? err : "parsed");
	if (err != NULL) {
		free(copy);
		return;
	}
	if (c->host != NULL)
		tap_ok(strcmp(host, c->host) == 0 && (c->kind == REDIS_SENTINEL ?
		    t.sentinels[0].port : t.port) == c->port,
		    "\"%s\": host %s, port %d", c->in, c->host, c->port);
	if (c->path != NULL)
		tap_str(t.path, c->path, "\"%s\": path", c->in);
	if (c->master != NULL)
		tap_str(t.master, c->master, "\"%s\": master", c->in);
	tap_ok(reads_back(&t), "\"%s\": its text reads back", c->in);
	free(copy);
}

/* Every prefix of a good URL: no crash; a good one reads back. */
static void
run_truncations(void)
{
	char *copy, msg[300];
	size_t i, n, tried = 0, bad = 0;
	REDIS_TARGET t;

	for (i = 0; i < sizeof(url_cases) / sizeof(url_cases[0]); i++) {
		if (url_cases[i].kind == 0)
			continue;
		for (n = 0; n < strlen(url_cases[i].in); n++) {
			copy = exact_copy(url_cases[i].in, n);
			if (redis_url_parse(copy, n, &t, msg, sizeof(msg)) ==
			    NULL && !reads_back(&t))
				bad++;
			tried++;
			free(copy);
		}
	}
	tap_ok(tried > 300 && bad == 0, "%zu truncations of good URLs parsed, "
	    "%zu good ones that did not read back", tried, bad);
}

static void
run_limits(void)
{
	char url[REDIS_URL_MAX + 64], msg[300];
	REDIS_TARGET t;

	memset(url, 'a', sizeof(url));
	memcpy(url, "unix:/", 6);
	tap_ok(redis_url_parse(url, 6 + REDIS_PATH_MAX, &t, msg, sizeof(msg))
	    != NULL, "a unix path of 108 octets is refused");
	tap_ok(redis_url_parse(url, 5 + REDIS_PATH_MAX, &t, msg, sizeof(msg))
	    == NULL && strlen(t.path) == REDIS_PATH_MAX,
	    "a unix path of 107 octets is taken");
	memcpy(url, "redis://", 8);
	tap_str(redis_url_parse(url, REDIS_URL_MAX + 1, &t, msg, sizeof(msg)),
	    "URL longer than 4096 octets", "an overlong URL");
	memcpy(url, "redis://h\0st", 12);
	tap_str(redis_url_parse(url, 12, &t, msg, sizeof(msg)),
	    "white space or a control octet in the URL", "a NUL inside len");
	tap_ok(redis_url_parse("redis://h:6380junk", 14, &t, msg, sizeof(msg))
	    == NULL && t.port == 6380, "only len octets are read");
}

struct secret_case {
	const char	*in;
	const char	*user;		/* NULL: an error */
	const char	*password;
	const char	*err;
};

static const struct secret_case secret_cases[] = {
	{ "s3cretPW\n", "", "s3cretPW", NULL },
	{ "s3cretPW", "", "s3cretPW", NULL },
	{ "alice s3cretPW\n", "alice", "s3cretPW", NULL },
	{ "  alice\t s3cretPW \r\n", "alice", "s3cretPW", NULL },
	{ "", NULL, NULL, "empty" },
	{ "\n", NULL, NULL, "empty" },
	{ "   \t\n", NULL, NULL, "empty" },
	{ "alice s3cretPW extra\n", NULL, NULL, "more than two words" },
	{ "a b c d e\n", NULL, NULL, "more than two words" },
	{ "s3cretPW\nsecond\n", NULL, NULL, "more than one line" },
	{ "s3cretPW\n\n", NULL, NULL, "more than one line" },
	{ "s3cret\001PW\n", NULL, NULL, "control octet" },
	{ "x234567890123456789012345678901234567890123456789012345678901234 "
	    "s3cretPW", NULL, NULL, "user name longer than 63" },
};

static void
run_secret(const struct secret_case *c, size_t len)
{
	char *copy = exact_copy(c->in, len);
	const char *err;
	REDIS_TARGET t;

	memset(&t, 0, sizeof(t));
	strcpy(t.password, "old");
	err = redis_target_secret(&t, copy, len);
	if (c->user == NULL)
		tap_ok(err != NULL && strstr(err, c->err) != NULL &&
		    strstr(err, SECRET) == NULL && strcmp(t.password, "old") ==
		    0, "secret %zu octets: error \"%s\" (got \"%s\"), target "
		    "untouched", len, c->err, err ? err : "none");
	else
		tap_ok(err == NULL && strcmp(t.user, c->user) == 0 &&
		    strcmp(t.password, c->password) == 0, "secret \"%.*s\": "
		    "user \"%s\" (%s)", (int)strcspn(c->in, "\r\n"), c->in,
		    c->user, err ? err : "read");
	free(copy);
}

static void
run_secret_limits(void)
{
	char buf[300];
	REDIS_TARGET t;

	memset(&t, 0, sizeof(t));
	memset(buf, 'p', sizeof(buf));
	tap_ok(redis_target_secret(&t, buf, REDIS_PASSWORD_MAX) == NULL &&
	    strlen(t.password) == REDIS_PASSWORD_MAX,
	    "a password of 255 octets is taken");
	tap_ok(redis_target_secret(&t, buf, REDIS_PASSWORD_MAX + 1) != NULL,
	    "a password of 256 octets is refused");
	redis_url_parse("redis://h", 9, &t, buf, sizeof(buf));
	strcpy(t.user, "alice");
	strcpy(t.password, SECRET);
	redis_target_text(&t, buf, sizeof(buf));
	tap_ok(strstr(buf, SECRET) == NULL && strstr(buf, "alice") != NULL,
	    "the text names the user, never the password: %s", buf);
	t.user[0] = '\0';
	redis_target_text(&t, buf, sizeof(buf));
	tap_str(buf, "redis://h:6379 (with a password)", "password alone");
	redis_target_wipe(&t);
	tap_ok(t.password[0] == '\0' && t.password[8] == '\0' &&
	    t.user[0] == '\0', "wiped");
}

int
main(void)
{
	size_t i;

	for (i = 0; i < sizeof(url_cases) / sizeof(url_cases[0]); i++)
		run_url(&url_cases[i]);
	run_truncations();
	run_limits();
	for (i = 0; i < sizeof(secret_cases) / sizeof(secret_cases[0]); i++)
		run_secret(&secret_cases[i], strlen(secret_cases[i].in));
	run_secret(&(struct secret_case){ "s3cretPW\0\n", NULL, NULL,
	    "control octet" }, 10);		/* a NUL inside len */
	run_secret_limits();
	return tap_done();
}
