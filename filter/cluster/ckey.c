/*
 * ckey.c - the names of a cluster's keys in Redis, the fields of its
 * counters and the text of its heartbeat (see ckey.h, which lists the
 * keys).
 *
 * Owns: ckey_make(), ckey_sender(), ckey_bucket(), ckey_counter_name(),
 * ckey_field(),
 * ckey_count_parse(), ckey_beat_format(), ckey_beat_parse().
 *
 * Decisions: the counters go by name, not by index, so that a node that
 * knows a counter more than another does not upset its sums; the names
 * are those of SENDER_COUNTERS' order and never change.  What is read
 * back from Redis is not trusted: a node's name in a field must be one
 * NodeName allows, a heartbeat must be four integers and nothing else.
 *
 * Must not: talk to Redis (redis.c does), or keep a key it returned.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/mem.h"
#include "cluster/ckey.h"
#include "cluster/cluster_settings.h"
#include "reputation/sender.h"

#define CKEY_DIGITS_MAX	20	/* of an integer in a heartbeat */

static const char *const ckey_counters[SENDER_COUNTERS] = {
	"messages", "recipients", "hard", "soft", "policy", "policy_major",
	"complaints", "bulk", "blocked"
};

char *
ckey_make(const char *name, const char *what, size_t *len)
{
	size_t nl = strlen(name), wl = strlen(what);
	char *k = mem_alloc(nl + 1 + wl + 1);

	memcpy(k, name, nl);
	k[nl] = ':';
	memcpy(k + nl + 1, what, wl + 1);
	*len = nl + 1 + wl;
	return k;
}

/* NAME:{s:SENDER}:what */
char *
ckey_sender(const char *name, const char *sender, const char *what,
    size_t *len)
{
	size_t nl = strlen(name), sl = strlen(sender), wl = strlen(what);
	char *k = mem_alloc(nl + 4 + sl + 2 + wl + 1);

	memcpy(k, name, nl);
	memcpy(k + nl, ":{s:", 4);
	memcpy(k + nl + 4, sender, sl);
	memcpy(k + nl + 4 + sl, "}:", 2);
	memcpy(k + nl + 6 + sl, what, wl + 1);
	*len = nl + 6 + sl + wl;
	return k;
}

/* A shared token bucket's key: "NAME:{b:BUCKET}". */
char *
ckey_token_bucket(const char *name, const char *bucket, size_t *len)
{
	size_t nl = strlen(name), bl = strlen(bucket);
	char *k = mem_alloc(nl + 4 + bl + 2);

	memcpy(k, name, nl);
	memcpy(k + nl, ":{b:", 4);
	memcpy(k + nl + 4, bucket, bl);
	memcpy(k + nl + 4 + bl, "}", 2);
	*len = nl + 5 + bl;
	return k;
}

/* A minute's bucket (unit 60) or an hour's (3600): "m:T", "h:T". */
void
ckey_bucket(int64_t unit, int64_t t, char *buf, size_t size)
{
	snprintf(buf, size, "%c:%" PRId64, unit == 60 ? 'm' : 'h',
	    t - t % unit);
}

const char *
ckey_counter_name(int counter)
{
	return counter >= 0 && counter < SENDER_COUNTERS ?
	    ckey_counters[counter] : "?";
}

static int
ckey_node_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > CLUSTER_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '.' ||
		    s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}

/* "COUNTER" or "NODE/COUNTER": 0, or -1 (not one this version knows). */
int
ckey_field(const char *f, size_t len, const char **node, size_t *nodelen,
    int *counter)
{
	const char *slash = memchr(f, '/', len), *c = f;
	size_t cl = len;
	int i;

	*node = NULL;
	*nodelen = 0;
	*counter = -1;
	if (slash != NULL) {
		if (!ckey_node_ok(f, (size_t)(slash - f)))
			return -1;
		*node = f;
		*nodelen = (size_t)(slash - f);
		c = slash + 1;
		cl = len - *nodelen - 1;
	}
	for (i = 0; i < SENDER_COUNTERS; i++)
		if (strlen(ckey_counters[i]) == cl &&
		    memcmp(ckey_counters[i], c, cl) == 0) {
			*counter = i;
			return 0;
		}
	*node = NULL;
	*nodelen = 0;
	return -1;
}

size_t
ckey_beat_format(const CKEY_BEAT *b, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%" PRId64 " %" PRIu64 " %" PRId64 " %"
	    PRId64, b->time, b->depth, b->lag_ms, b->rtt_us);

	return n < 0 ? 0 : (size_t)n;
}

/* One decimal integer at *off, at most max (a '-' first if neg_ok);
 * then the end (last) or one space. */
static const char *
ckey_int(const char *buf, size_t len, size_t *off, uint64_t max, int neg_ok,
    int last, int64_t *out, uint64_t *uout)
{
	size_t i = *off, digits = 0;
	uint64_t mag = 0;
	int neg = 0;

	if (i < len && buf[i] == '-' && neg_ok) {
		neg = 1;
		i++;
	}
	for (; i < len && buf[i] >= '0' && buf[i] <= '9'; i++) {
		if (++digits > CKEY_DIGITS_MAX)
			return "a number too long";
		if (mag > (UINT64_MAX - (uint64_t)(buf[i] - '0')) / 10)
			return "a number too large";
		mag = mag * 10 + (uint64_t)(buf[i] - '0');
	}
	if (digits == 0)
		return i == len ? "too few fields" : "not a number";
	if (mag > max)
		return "a number too large";
	if (!last && i == len)
		return "too few fields";
	if (i < len && (last || buf[i] != ' '))
		return last ? "text after the last number" : "not a number";
	*off = last ? i : i + 1;
	if (out != NULL)
		*out = neg ? -(int64_t)mag : (int64_t)mag;
	if (uout != NULL)
		*uout = mag;
	return NULL;
}

const char *
ckey_count_parse(const char *buf, size_t len, uint64_t *v)
{
	size_t off = 0;
	const char *err;

	*v = 0;
	if (len == 0)
		return "empty";
	if ((err = ckey_int(buf, len, &off, UINT64_MAX, 0, 1, NULL, v)) !=
	    NULL)
		*v = 0;
	return err;
}

const char *
ckey_beat_parse(const char *buf, size_t len, CKEY_BEAT *b)
{
	CKEY_BEAT r;
	size_t off = 0;
	const char *err;

	memset(b, 0, sizeof(*b));
	memset(&r, 0, sizeof(r));
	if (len == 0)
		return "empty";
	if ((err = ckey_int(buf, len, &off, INT64_MAX, 0, 0, &r.time,
	    NULL)) != NULL ||
	    (err = ckey_int(buf, len, &off, UINT64_MAX, 0, 0, NULL,
	    &r.depth)) != NULL ||
	    (err = ckey_int(buf, len, &off, INT64_MAX, 1, 0, &r.lag_ms,
	    NULL)) != NULL ||
	    (err = ckey_int(buf, len, &off, INT64_MAX, 1, 1, &r.rtt_us,
	    NULL)) != NULL)
		return err;
	*b = r;
	return NULL;
}
