/*
 * conf_value.c - one configuration value, parsed by its keyword's type
 * (see conf_int.h): sockets, users, domains and selectors, paths, data
 * sets, canonicalizations, header lists, numbers, sizes, durations (in
 * seconds or milliseconds), modes, address lists, choices, booleans,
 * syslog facilities, names (ClusterName, NodeName), the Cluster URL.
 *
 * Owns: conf_parse_value(), conf_algorithms[] (the choices of
 * SignatureAlgorithm, whose rsa-sha1 gets its own refusal here).
 * Must not: log, or keep anything but what it writes into the value.
 */
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>

#include "shaping/bucket.h"
#include "base/cidr.h"
#include "conf/conf_int.h"
#include "base/duration.h"
#include "common/log.h"
#include "common/metrics.h"
#include "base/mem.h"
#include "cluster/redis.h"
#include "cluster/redis_url.h"
#include "shaping/warmup.h"

const char *const conf_algorithms[] = {
	"rsa-sha256", "ed25519-sha256", NULL		/* CONF_ALG_* */
};

/* Value parsers: NULL on success, else a message (into msg). */

static const char *
conf_parse_socket(const char *s, char *msg, size_t msglen)
{
	const char *rest, *at;
	unsigned char addr[16];
	char host[256], *end;
	long port;

	if (strncmp(s, "unix:", 5) == 0 || strncmp(s, "local:", 6) == 0) {
		rest = strchr(s, ':') + 1;
		if (*rest != '/')
			return "expected an absolute path after unix:";
		if (strlen(rest) >= 108)
			return "unix socket path longer than 107 bytes";
		return NULL;
	}
	if (strncmp(s, "inet:", 5) != 0 && strncmp(s, "inet6:", 6) != 0)
		return "expected unix:/path, inet:PORT@ADDRESS or "
		    "inet6:PORT@ADDRESS";
	rest = strchr(s, ':') + 1;
	errno = 0;
	port = strtol(rest, &end, 10);
	if (end == rest || errno != 0 || port < 1 || port > 65535 ||
	    (*end != '\0' && *end != '@'))
		return "expected a port number from 1 to 65535";
	if (*end == '\0')
		return NULL;
	at = end + 1;
	if (*at == '\0' || strlen(at) >= sizeof(host))
		return "expected an address after '@'";
	snprintf(host, sizeof(host), "%s", at);
	if (s[4] == '6') {
		if (host[0] == '[' && host[strlen(host) - 1] == ']') {
			memmove(host, host + 1, strlen(host));
			host[strlen(host) - 1] = '\0';
		}
		if (inet_pton(AF_INET6, host, addr) != 1) {
			snprintf(msg, msglen, "bad IPv6 address \"%s\"", at);
			return msg;
		}
		return NULL;
	}
	if (inet_pton(AF_INET, host, addr) == 1 ||
	    strcmp(host, "localhost") == 0)
		return NULL;
	snprintf(msg, msglen, "bad IPv4 address \"%s\"", at);
	return msg;
}

static const char *
conf_parse_user(const char *s, char *msg, size_t msglen)
{
	char user[256];
	const char *colon = strchr(s, ':');
	size_t ulen = colon ? (size_t)(colon - s) : strlen(s);

	if (ulen == 0 || ulen >= sizeof(user))
		return "expected user or user:group";
	memcpy(user, s, ulen);
	user[ulen] = '\0';
	if (getpwnam(user) == NULL) {
		snprintf(msg, msglen, "no such user \"%s\"", user);
		return msg;
	}
	if (colon != NULL && getgrnam(colon + 1) == NULL) {
		snprintf(msg, msglen, "no such group \"%s\"", colon + 1);
		return msg;
	}
	return NULL;
}

/* A DNS name: labels of letters, digits, '-' and '_', 1..63 octets each. */
static int
conf_dns_name(const char *s, size_t maxlen)
{
	size_t label = 0, i, n = strlen(s);

	if (n == 0 || n > maxlen || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '.') {
			if (label == 0)
				return 0;
			label = 0;
		} else if (isalnum(ch) || ch == '-' || ch == '_') {
			if (++label > 63)
				return 0;
		} else
			return 0;
	}
	return 1;
}

static const char *
conf_parse_canon(const char *s, struct conf_val *v, char *msg, size_t msglen)
{
	const char *slash = strchr(s, '/');
	size_t hlen = slash ? (size_t)(slash - s) : strlen(s);
	const char *b = slash ? slash + 1 : "simple";
	int h;

	if (hlen == 6 && strncasecmp(s, "simple", 6) == 0)
		h = 0;
	else if (hlen == 7 && strncasecmp(s, "relaxed", 7) == 0)
		h = 1;
	else
		goto bad;
	if (strcasecmp(b, "simple") == 0)
		v->n = h << 1;
	else if (strcasecmp(b, "relaxed") == 0)
		v->n = h << 1 | 1;
	else
		goto bad;
	return NULL;
bad:
	snprintf(msg, msglen, "expected simple, relaxed, or HEADER/BODY of "
	    "those, got \"%s\"", s);
	return msg;
}

/* A header field list: names separated by commas and/or white space. */
static const char *
conf_parse_list(const char *s, char *msg, size_t msglen)
{
	const char *p;

	for (p = s; *p != '\0'; p++) {
		unsigned char ch = (unsigned char)*p;

		if (ch == ',' || isspace(ch))
			continue;
		if (ch <= ' ' || ch >= 0x7f || ch == ':') {
			snprintf(msg, msglen, "bad character in header field "
			    "name list \"%s\"", s);
			return msg;
		}
	}
	return NULL;
}

/* A bound for an error message: whole days as days ("366d"). */
static void
conf_duration_text(long long n, char *out, size_t outsize)
{
	if (n >= 86400 && n % 86400 == 0)
		snprintf(out, outsize, "%lldd", n / 86400);
	else
		duration_format(n, out, outsize);
}

/*
 * A percentage ("5%", "0.08%", "100%"), at most four decimals, kept in
 * parts per million: exact comparisons, no floating point.
 */
static const char *
conf_parse_rate(const char *s, struct conf_val *v, char *msg, size_t msglen)
{
	const char *p = s;
	long long ppm = 0, scale = 10000;
	int digits = 0, decimals = -1;

	for (; *p != '\0' && *p != '%'; p++) {
		if (*p == '.' && decimals < 0 && digits > 0) {
			decimals = 0;
			continue;
		}
		if (!isdigit((unsigned char)*p) || decimals >= 4 ||
		    ppm > 100LL * 10000 * 10)
			break;
		if (decimals >= 0) {
			scale /= 10;
			decimals++;
			ppm += (*p - '0') * scale;
		} else {
			ppm = ppm * 10 + (*p - '0') * 10000;
			digits++;
		}
	}
	if (digits == 0 || decimals == 0 || p[0] != '%' || p[1] != '\0' ||
	    ppm > 100LL * 10000) {
		snprintf(msg, msglen, "expected a percentage from 0%% to 100%% "
		    "with at most four decimals (\"2%%\", \"0.08%%\"), got "
		    "\"%s\"", s);
		return msg;
	}
	v->n = ppm;
	return NULL;
}

/* Strings, paths, names and data sets. */
static const char *
conf_parse_text(const struct conf_def *d, const char *s, struct conf_val *v,
    char *msg, size_t msglen)
{
	long long n;

	switch (d->type) {
	case CT_STRING:
		return NULL;
	case CT_PATH:
		return *s == '/' ? NULL : "expected an absolute path";
	case CT_DOMAIN:
		if (!conf_dns_name(s, 253)) {
			snprintf(msg, msglen, "not a domain name: \"%s\"", s);
			return msg;
		}
		return NULL;
	case CT_SELECTOR:
		if (!conf_dns_name(s, 200)) {
			snprintf(msg, msglen, "not a selector (DNS labels): "
			    "\"%s\"", s);
			return msg;
		}
		return NULL;
	case CT_DATASET:
		if (strncmp(s, "refile:", 7) == 0)
			v->n = 1;
		else if (strncmp(s, "file:", 5) != 0 && *s != '/') {
			snprintf(msg, msglen, "expected file:/path, refile:/path "
			    "or /path, got \"%s\"", s);
			return msg;
		}
		if (*(s[0] == '/' ? s : strchr(s, ':') + 1) != '/')
			return "expected an absolute path";
		return NULL;
	case CT_NAME:
		n = (long long)strspn(s, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-");
		if (s[n] != '\0' || n < 1 || n > CLUSTER_NAME_MAX) {
			snprintf(msg, msglen, "expected 1 to %d letters, digits, "
			    "'.', '_' or '-', got \"%.80s%s\"", CLUSTER_NAME_MAX,
			    s, strlen(s) > 80 ? "..." : "");
			return msg;
		}
		return NULL;
	case CT_HEADER:
		for (n = 0; s[n] != '\0'; n++)
			if (s[n] <= ' ' || s[n] >= 0x7f || s[n] == ':') {
				snprintf(msg, msglen, "expected a header name, "
				    "got \"%s\"", s);
				return msg;
			}
		return NULL;
	default:
		break;
	}
	return "internal error: unknown type";
}

/* Durations, modes, counts and sizes, within the keyword's bounds. */
static const char *
conf_parse_number(const struct conf_def *d, const char *s, struct conf_val *v,
    char *msg, size_t msglen)
{
	const char *err;
	unsigned long long size;
	char *end;
	long long n;

	switch (d->type) {
	case CT_DURATION:
		if ((err = duration_parse(s, strlen(s), &n)) != NULL) {
			snprintf(msg, msglen, "%s: \"%s\"", err, s);
			return msg;
		}
		if (n < d->min || n > d->max) {
			char lo[DURATION_FORMAT_MAX], hi[DURATION_FORMAT_MAX];

			conf_duration_text(d->min, lo, sizeof(lo));
			conf_duration_text(d->max, hi, sizeof(hi));
			snprintf(msg, msglen, "expected a duration from %s to "
			    "%s, got \"%s\"", lo, hi, s);
			return msg;
		}
		v->n = n;
		return NULL;
	case CT_MSEC:
		if ((err = duration_parse_ms(s, strlen(s), &n)) != NULL) {
			snprintf(msg, msglen, "%s: \"%s\"", err, s);
			return msg;
		}
		if (n < d->min || n > d->max) {
			char lo[DURATION_FORMAT_MAX + 8];
			char hi[DURATION_FORMAT_MAX + 8];

			duration_format_ms(d->min, lo, sizeof(lo));
			duration_format_ms(d->max, hi, sizeof(hi));
			snprintf(msg, msglen, "expected a duration from %s to "
			    "%s (\"50ms\", \"1s\"), got \"%s\"%s", lo, hi, s,
			    s[strspn(s, "0123456789")] == '\0' ? " (a number "
			    "alone is seconds)" : "");
			return msg;
		}
		v->n = n;
		return NULL;
	case CT_OCTAL:
		errno = 0;
		n = strtoll(s, &end, 8);
		if (*s == '\0' || *end != '\0' || errno || n < d->min ||
		    n > d->max) {
			snprintf(msg, msglen, "expected an octal mode from "
			    "000 to 777, got \"%s\"", s);
			return msg;
		}
		v->n = n;
		return NULL;
	case CT_UINT:
		errno = 0;
		n = strtoll(s, &end, 10);
		if (!isdigit((unsigned char)*s) || *end != '\0' || errno ||
		    n < d->min || n > d->max) {
			snprintf(msg, msglen, "expected a number from %lld to "
			    "%lld, got \"%s\"", d->min, d->max, s);
			return msg;
		}
		v->n = n;
		return NULL;
	case CT_SIZE:
		if ((err = size_parse(s, strlen(s), &size)) != NULL) {
			snprintf(msg, msglen, "%s: \"%s\"", err, s);
			return msg;
		}
		if (size < (unsigned long long)d->min ||
		    size > (unsigned long long)d->max) {
			snprintf(msg, msglen, "size must be from 1M to 1T, got "
			    "\"%s\"", s);
			return msg;
		}
		v->n = (long long)size;
		return NULL;
	default:
		break;
	}
	return "internal error: unknown type";
}

/* Values with a grammar of their own, parsed by their module. */
static const char *
conf_parse_spec(const struct conf_def *d, const char *s, struct conf_val *v,
    char *msg, size_t msglen)
{
	const char *err;

	switch (d->type) {
	case CT_RULE: {
		BUCKET_RULE r;

		if ((err = bucket_rule_parse(s, strlen(s), &r)) != NULL) {
			snprintf(msg, msglen, "%s: \"%s\" (a rate such as "
			    "1000/1h or 1000/1h burst 200)", err, s);
			return msg;
		}
		return NULL;
	}
	case CT_DATE: {
		int64_t t;

		if ((err = warmup_date_parse(s, strlen(s), &t)) != NULL) {
			snprintf(msg, msglen, "%s, got \"%s\"", err, s);
			return msg;
		}
		v->n = t;
		return NULL;
	}
	case CT_WARMUP: {
		WARMUP *w = mem_alloc(sizeof(*w));

		err = warmup_parse(s, strlen(s), w);
		free(w);
		if (err != NULL) {
			snprintf(msg, msglen, "%s: \"%s\" (daily limits such "
			    "as \"1000 x1.5 cap 1000000\" or \"500 1000 "
			    "2000\")", err, s);
			return msg;
		}
		return NULL;
	}
	case CT_LISTEN: {
		struct sockaddr_storage ss;
		socklen_t sl;

		if ((err = metrics_listen_parse(s, &ss, &sl)) != NULL) {
			snprintf(msg, msglen, "%s, got \"%s\"", err, s);
			return msg;
		}
		return NULL;
	}
	case CT_REDIS_URL: {
		REDIS_TARGET t;

		if (!redis_built_in())
			return REDIS_NOT_BUILT;
		err = redis_url_parse(s, strlen(s), &t, msg, msglen);
		return err;
	}
	case CT_CIDRS:
		v->cidrs = cidr_list_create();
		if ((err = cidr_list_parse(v->cidrs, s, strlen(s))) != NULL) {
			snprintf(msg, msglen, "%s", err);
			return msg;
		}
		return NULL;
	default:
		break;
	}
	return "internal error: unknown type";
}

/* One of a list of words. */
static const char *
conf_parse_choice(const struct conf_def *d, const char *s, struct conf_val *v,
    char *msg, size_t msglen)
{
	int i;

	switch (d->type) {
	case CT_ENUM:
		if (d->choices == conf_algorithms &&
		    strcasecmp(s, "rsa-sha1") == 0)
			return "rsa-sha1 is refused (RFC 8301): use rsa-sha256 "
			    "or ed25519-sha256";
		for (i = 0; d->choices[i] != NULL; i++) {
			if (strcasecmp(s, d->choices[i]) == 0) {
				v->n = i;
				return NULL;
			}
		}
		snprintf(msg, msglen, "expected %s", d->choices[0]);
		for (i = 1; d->choices[i] != NULL; i++)
			snprintf(msg + strlen(msg), msglen - strlen(msg),
			    "%s%s", d->choices[i + 1] ? ", " : " or ",
			    d->choices[i]);
		snprintf(msg + strlen(msg), msglen - strlen(msg),
		    ", got \"%s\"", s);
		return msg;
	case CT_BOOL:
		if (strcasecmp(s, "yes") == 0 || strcasecmp(s, "true") == 0 ||
		    strcmp(s, "1") == 0)
			v->n = 1;
		else if (strcasecmp(s, "no") == 0 ||
		    strcasecmp(s, "false") == 0 || strcmp(s, "0") == 0)
			v->n = 0;
		else {
			snprintf(msg, msglen, "expected yes or no, got \"%s\"",
			    s);
			return msg;
		}
		return NULL;
	case CT_FACILITY:
		if ((v->n = log_facility(s)) < 0) {
			snprintf(msg, msglen, "unknown syslog facility \"%s\"",
			    s);
			return msg;
		}
		return NULL;
	default:
		break;
	}
	return "internal error: unknown type";
}

const char *
conf_parse_value(const struct conf_def *d, const char *s, struct conf_val *v,
    char *msg, size_t msglen)
{
	switch (d->type) {
	case CT_SOCKET:
		return conf_parse_socket(s, msg, msglen);
	case CT_USER:
		return conf_parse_user(s, msg, msglen);
	case CT_CANON:
		return conf_parse_canon(s, v, msg, msglen);
	case CT_LIST:
		return conf_parse_list(s, msg, msglen);
	case CT_RATE:
		return conf_parse_rate(s, v, msg, msglen);
	case CT_STRING:
	case CT_PATH:
	case CT_DOMAIN:
	case CT_SELECTOR:
	case CT_DATASET:
	case CT_HEADER:
	case CT_NAME:
		return conf_parse_text(d, s, v, msg, msglen);
	case CT_DURATION:
	case CT_MSEC:
	case CT_OCTAL:
	case CT_UINT:
	case CT_SIZE:
		return conf_parse_number(d, s, v, msg, msglen);
	case CT_RULE:
	case CT_DATE:
	case CT_WARMUP:
	case CT_LISTEN:
	case CT_CIDRS:
	case CT_REDIS_URL:
		return conf_parse_spec(d, s, v, msg, msglen);
	case CT_ENUM:
	case CT_BOOL:
	case CT_FACILITY:
		return conf_parse_choice(d, s, v, msg, msglen);
	}
	return "internal error: unknown type";
}

