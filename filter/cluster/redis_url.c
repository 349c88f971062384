/*
 * redis_url.c - the Cluster URL and the password file's line, read into a
 * REDIS_TARGET (see redis_url.h for the forms).
 *
 * Owns: redis_url_parse(), redis_target_secret(), redis_target_text(),
 * redis_target_wipe().
 *
 * Must not: include hiredis (this file is built with or without it),
 * allocate, assume a NUL terminator, use the locale, or put a password,
 * or a whole URL (which might hold one), into an error text or a target's
 * text.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>

#include "base/mem.h"
#include "cluster/redis_url.h"

#define RU_EXPECTED "expected redis://HOST[:PORT][/DB], unix:/PATH[?db=N] " \
	"or sentinel://HOST[:PORT][,HOST[:PORT]...]/MASTER"

/* A cursor over the part of the URL still to read. */
struct ru_in {
	const char	*p;
	size_t		 n;
};

static int ru_digit(char c) { return c >= '0' && c <= '9'; }

static int
ru_alnum(char c)
{
	return ru_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Does the input start with s (ASCII case ignored)?  Then skip it. */
static int
ru_skip(struct ru_in *in, const char *s)
{
	size_t n = strlen(s);

	if (in->n < n || strncasecmp(in->p, s, n) != 0)
		return 0;
	in->p += n;
	in->n -= n;
	return 1;
}

/* The length up to the first of the octets in stop (or the end). */
static size_t
ru_span(const struct ru_in *in, const char *stop)
{
	size_t i;

	for (i = 0; i < in->n; i++)
		if (strchr(stop, in->p[i]) != NULL)
			break;
	return i;
}

/* A decimal number lo..hi of at most 5 digits, the whole of p[0..n). */
static int
ru_number(const char *p, size_t n, int lo, int hi, int *out)
{
	int v = 0;
	size_t i;

	if (n == 0 || n > 5)
		return 0;
	for (i = 0; i < n; i++) {
		if (!ru_digit(p[i]))
			return 0;
		v = v * 10 + (p[i] - '0');
	}
	if (v < lo || v > hi)
		return 0;
	*out = v;
	return 1;
}

/* A host name (labels of letters, digits, '-', '_'; 1..63 octets each)
 * or, if only digits and dots, an IPv4 address. */
static int
ru_hostname(const char *p, size_t n)
{
	char addr[16];
	unsigned char bin[4];
	size_t i, label = 0, digits = 0;

	if (n == 0 || n > REDIS_HOST_MAX || p[0] == '.' || p[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		if (p[i] == '.') {
			if (label == 0)
				return 0;
			label = 0;
			digits++;
		} else if (ru_alnum(p[i]) || p[i] == '-' || p[i] == '_') {
			if (++label > 63)
				return 0;
			digits += ru_digit(p[i]) != 0;
		} else
			return 0;
	}
	if (digits != n)
		return 1;
	if (n >= sizeof(addr))
		return 0;
	memcpy(addr, p, n);
	addr[n] = '\0';
	return inet_pton(AF_INET, addr, bin) == 1;
}

/* HOST[:PORT] (all of in), HOST a name, an IPv4 or [IPv6] address. */
static const char *
ru_hostport(const char *p, size_t n, REDIS_HOSTPORT *hp, int defport,
    char *msg, size_t msglen)
{
	unsigned char bin[16];
	const char *colon, *end;
	size_t hlen;

	if (n == 0)
		return "missing host";
	if (p[0] == '[') {
		if ((end = memchr(p, ']', n)) == NULL)
			return "'[' without ']' around an IPv6 address";
		hlen = (size_t)(end - p) - 1;
		if (hlen == 0 || hlen >= 46)
			return "bad IPv6 address in brackets";
		memcpy(hp->host, p + 1, hlen);
		hp->host[hlen] = '\0';
		if (inet_pton(AF_INET6, hp->host, bin) != 1) {
			snprintf(msg, msglen, "bad IPv6 address \"%s\"",
			    hp->host);
			return msg;
		}
		colon = end + 1;
		if (colon < p + n && *colon != ':')
			return "expected ':' or the end after ']'";
	} else {
		colon = memchr(p, ':', n);
		hlen = colon != NULL ? (size_t)(colon - p) : n;
		if (hlen == 0)
			return "missing host";
		if (!ru_hostname(p, hlen)) {
			if (hlen > REDIS_HOST_MAX)
				return "host name longer than 255 octets";
			snprintf(msg, msglen, "bad host \"%.*s\" (a name, an "
			    "IPv4 address, or an IPv6 one in brackets)",
			    (int)hlen, p);
			return msg;
		}
		memcpy(hp->host, p, hlen);
		hp->host[hlen] = '\0';
	}
	hp->port = defport;
	if (colon == NULL || colon >= p + n)
		return NULL;
	if (!ru_number(colon + 1, (size_t)(p + n - colon - 1), 1, 65535,
	    &hp->port)) {
		snprintf(msg, msglen, "bad port \"%.*s\" (1 to 65535)",
		    (int)(p + n - colon - 1 > 16 ? 16 : p + n - colon - 1),
		    colon + 1);
		return msg;
	}
	return NULL;
}

/* "/DB", "/" or nothing: the rest of the input. */
static const char *
ru_db(const struct ru_in *in, int *db)
{
	*db = 0;
	if (in->n == 0)
		return NULL;
	if (in->p[0] != '/' || (in->n > 1 && !ru_number(in->p + 1, in->n - 1,
	    0, REDIS_DB_MAX, db)))
		return "expected a database number from 0 to 1000 after '/'";
	return NULL;
}

static const char *
ru_tcp(struct ru_in *in, REDIS_TARGET *t, char *msg, size_t msglen)
{
	REDIS_HOSTPORT hp;
	const char *err;
	size_t n = ru_span(in, "/");

	if ((err = ru_hostport(in->p, n, &hp, REDIS_PORT_DEFAULT, msg,
	    msglen)) != NULL)
		return err;
	memcpy(t->host, hp.host, sizeof(t->host));
	t->port = hp.port;
	in->p += n;
	in->n -= n;
	t->kind = REDIS_TCP;
	return ru_db(in, &t->db);
}

static const char *
ru_unix(struct ru_in *in, REDIS_TARGET *t)
{
	size_t n;

	if (in->n >= 2 && in->p[0] == '/' && in->p[1] == '/') {
		if (in->n < 3 || in->p[2] != '/')	/* unix://host/... */
			return "expected an absolute path after unix: "
			    "(unix:/PATH or unix:///PATH)";
		in->p += 2;				/* unix:///path */
		in->n -= 2;
	}
	n = ru_span(in, "?");
	if (n == 0 || in->p[0] != '/')
		return "expected an absolute path after unix:";
	if (n > REDIS_PATH_MAX)
		return "unix socket path longer than 107 octets";
	memcpy(t->path, in->p, n);
	t->path[n] = '\0';
	t->kind = REDIS_UNIX;
	if (n == in->n)
		return NULL;
	in->p += n + 1;
	in->n -= n + 1;
	if (!ru_skip(in, "db=") || !ru_number(in->p, in->n, 0, REDIS_DB_MAX,
	    &t->db))
		return "the only option of unix: is ?db=N (0 to 1000)";
	return NULL;
}

static const char *
ru_sentinel(struct ru_in *in, REDIS_TARGET *t, char *msg, size_t msglen)
{
	const char *err;
	size_t list = ru_span(in, "/"), n, i;

	if (list == in->n)
		return "expected /MASTER after the sentinels";
	if (list == 0)
		return "empty sentinel address";
	for (i = 0; i < list; i += n + 1) {
		n = ru_span(&(struct ru_in){ in->p + i, list - i }, ",");
		if (n == 0)
			return "empty sentinel address";
		if (t->nsentinels == REDIS_SENTINELS_MAX)
			return "more than 8 sentinels";
		if ((err = ru_hostport(in->p + i, n,
		    &t->sentinels[t->nsentinels], REDIS_SENTINEL_PORT_DEFAULT,
		    msg, msglen)) != NULL)
			return err;
		t->nsentinels++;
		if (i + n + 1 == list)		/* a ',' at the end */
			return "empty sentinel address";
	}
	in->p += list + 1;
	in->n -= list + 1;
	n = ru_span(in, "/");
	if (n == 0)
		return "expected the master's name after the sentinels";
	if (n > REDIS_MASTER_MAX)
		return "master name longer than 63 octets";
	for (i = 0; i < n; i++)
		if (!ru_alnum(in->p[i]) && strchr("._-", in->p[i]) == NULL)
			return "the master's name may hold letters, digits, "
			    "'.', '_' and '-'";
	memcpy(t->master, in->p, n);
	t->master[n] = '\0';
	in->p += n;
	in->n -= n;
	t->kind = REDIS_SENTINEL;
	return ru_db(in, &t->db);
}

const char *
redis_url_parse(const char *buf, size_t len, REDIS_TARGET *t, char *msg,
    size_t msglen)
{
	struct ru_in in = { buf, len };
	size_t i;

	memset(t, 0, sizeof(*t));
	if (len == 0)
		return "empty URL";
	if (len > REDIS_URL_MAX)
		return "URL longer than 4096 octets";
	for (i = 0; i < len; i++)
		if ((unsigned char)buf[i] <= ' ' || (unsigned char)buf[i] >= 0x7f)
			return "white space or a control octet in the URL";
	if (memchr(buf, '@', len) != NULL)
		return "a user or password in the URL is refused (it would "
		    "show in logs and to every reader of the file): put them "
		    "in a file of mode 0600 named by ClusterPasswordFile";
	if (ru_skip(&in, "rediss://"))
		return "rediss:// (TLS) is refused: Debian 12's hiredis has "
		    "no TLS. Protect the link otherwise: a unix socket, a "
		    "private network, or a TLS tunnel (stunnel, spiped) to "
		    "which redis:// connects on loopback";
	if (memchr(buf, '%', len) != NULL)
		return "percent escapes are not supported in the URL";
	if (ru_skip(&in, "unix:"))
		return ru_unix(&in, t);
	if (memchr(buf, '?', len) != NULL)
		return "query options are refused (the password goes in "
		    "ClusterPasswordFile, the timeout is ClusterTimeout)";
	if (ru_skip(&in, "redis://"))
		return ru_tcp(&in, t, msg, msglen);
	if (ru_skip(&in, "sentinel://"))
		return ru_sentinel(&in, t, msg, msglen);
	return RU_EXPECTED;
}

/* The password file's one line: "password" or "user password". */
const char *
redis_target_secret(REDIS_TARGET *t, const char *buf, size_t len)
{
	const char *w[3];
	size_t wl[3], i = 0, nw = 0;

	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	while (i < len) {
		unsigned char ch = (unsigned char)buf[i];

		if (ch == ' ' || ch == '\t') {
			i++;
			continue;
		}
		if (ch == '\n')
			return "more than one line (expected \"password\" or "
			    "\"user password\" on one line)";
		if (ch < ' ' || ch == 0x7f)
			return "a control octet in the file";
		if (nw == 3)
			break;
		for (w[nw] = buf + i; i < len && buf[i] != ' ' &&
		    buf[i] != '\t' && buf[i] != '\n'; i++)
			if ((unsigned char)buf[i] < ' ' || buf[i] == 0x7f)
				return "a control octet in the file";
		wl[nw] = (size_t)(buf + i - w[nw]);
		nw++;
	}
	if (nw == 0)
		return "empty (expected \"password\" or \"user password\")";
	if (nw > 2)
		return "more than two words (expected \"password\" or \"user "
		    "password\" on one line)";
	if (nw == 2 && wl[0] > REDIS_USER_MAX)
		return "user name longer than 63 octets";
	if (wl[nw - 1] > REDIS_PASSWORD_MAX)
		return "password longer than 255 octets";
	redis_target_wipe(t);
	if (nw == 2)
		memcpy(t->user, w[0], wl[0]);
	memcpy(t->password, w[nw - 1], wl[nw - 1]);
	return NULL;
}

static void
ru_hostport_text(const char *host, int port, char *out, size_t outsize)
{
	int v6 = strchr(host, ':') != NULL;

	snprintf(out, outsize, "%s%s%s:%d", v6 ? "[" : "", host, v6 ? "]" : "",
	    port);
}

/* The target as a URL that reads back to it, then who logs in. */
const char *
redis_target_text(const REDIS_TARGET *t, char *out, size_t outsize)
{
	char text[REDIS_TARGET_TEXT_MAX], hp[REDIS_HOST_MAX + 16];
	size_t n = 0;
	int i;

	text[0] = '\0';
	switch (t->kind) {
	case REDIS_TCP:
		ru_hostport_text(t->host, t->port, hp, sizeof(hp));
		n = (size_t)snprintf(text, sizeof(text), "redis://%s", hp);
		break;
	case REDIS_UNIX:
		n = (size_t)snprintf(text, sizeof(text), "unix:%s", t->path);
		break;
	case REDIS_SENTINEL:
		n = (size_t)snprintf(text, sizeof(text), "sentinel://");
		for (i = 0; i < t->nsentinels && n < sizeof(text); i++) {
			ru_hostport_text(t->sentinels[i].host,
			    t->sentinels[i].port, hp, sizeof(hp));
			n += (size_t)snprintf(text + n, sizeof(text) - n,
			    "%s%s", i ? "," : "", hp);
		}
		if (n < sizeof(text))
			n += (size_t)snprintf(text + n, sizeof(text) - n,
			    "/%s", t->master);
		break;
	default:
		n = (size_t)snprintf(text, sizeof(text), "(no target)");
		break;
	}
	if (t->db != 0 && n < sizeof(text))
		n += (size_t)snprintf(text + n, sizeof(text) - n,
		    t->kind == REDIS_UNIX ? "?db=%d" : "/%d", t->db);
	if (t->user[0] != '\0' && n < sizeof(text))
		snprintf(text + n, sizeof(text) - n, " (user %s)", t->user);
	else if (t->password[0] != '\0' && n < sizeof(text))
		snprintf(text + n, sizeof(text) - n, " (with a password)");
	snprintf(out, outsize, "%s", text);
	return out;
}

void
redis_target_wipe(REDIS_TARGET *t)
{
	mem_wipe(t->user, sizeof(t->user));
	mem_wipe(t->password, sizeof(t->password));
}
