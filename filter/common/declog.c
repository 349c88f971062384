/*
 * declog.c - structured decision lines (see declog.h).
 *
 * Owns: declog_start(), declog_str(), declog_num(), declog_ms(),
 * declog_emit().
 *
 * Decisions: the line is built in a fixed buffer (no allocation on the
 * message path); a pair that does not fit is dropped whole and the line
 * marked truncated, so that what is there always parses.
 *
 * Must not: write anything but through msg_info().
 */
#include <stdio.h>
#include <string.h>

#include "common/declog.h"
#include "common/log.h"

#define DECLOG_TAIL	sizeof(" truncated=yes")

static int
declog_bare(const char *v)
{
	for (; *v != '\0'; v++)
		if ((unsigned char)*v <= ' ' || (unsigned char)*v >= 0x7f ||
		    *v == '"' || *v == '\\' || *v == '=')
			return 0;
	return 1;
}

static void
declog_put(DECLOG *d, const char *key, const char *v)
{
	char pair[DECLOG_MAX];
	size_t n = 0;
	int bare = declog_bare(v);

	n = (size_t)snprintf(pair, sizeof(pair), " %s=%s", key, bare ? "" :
	    "\"");
	for (; !bare && *v != '\0' && n + 6 < sizeof(pair); v++) {
		unsigned char ch = (unsigned char)*v;

		if (ch == '"' || ch == '\\') {
			pair[n++] = '\\';
			pair[n++] = (char)ch;
		} else if (ch < ' ' || ch >= 0x7f)
			n += (size_t)snprintf(pair + n, sizeof(pair) - n,
			    "\\x%02X", ch);
		else
			pair[n++] = (char)ch;
	}
	if (bare)
		n += (size_t)snprintf(pair + n, sizeof(pair) - n, "%s", v);
	else if (*v != '\0')
		n = sizeof(pair);		/* did not fit */
	else
		pair[n++] = '"';
	if (n >= sizeof(pair) || d->len + n + DECLOG_TAIL >= sizeof(d->buf)) {
		d->full = 1;
		return;
	}
	memcpy(d->buf + d->len, pair, n);
	d->len += n;
	d->buf[d->len] = '\0';
}

void
declog_start(DECLOG *d, const char *qid)
{
	d->len = 0;
	d->full = 0;
	d->buf[0] = '\0';
	declog_put(d, "qid", qid != NULL && *qid != '\0' ? qid : "-");
	if (d->len == 0)	/* too long for the line: still a qid first */
		declog_put(d, "qid", "-");
	memmove(d->buf, d->buf + 1, d->len);	/* no leading space */
	d->len--;
}

void
declog_str(DECLOG *d, const char *key, const char *value)
{
	if (value != NULL && *value != '\0')
		declog_put(d, key, value);
}

void
declog_num(DECLOG *d, const char *key, long long value)
{
	char v[32];

	snprintf(v, sizeof(v), "%lld", value);
	declog_put(d, key, v);
}

void
declog_ms(DECLOG *d, const char *key, double ms)
{
	char v[32];

	snprintf(v, sizeof(v), "%.3f", ms);
	declog_put(d, key, v);
}

void
declog_emit(DECLOG *d)
{
	if (d->full) {
		memcpy(d->buf + d->len, " truncated=yes", DECLOG_TAIL);
		d->len += DECLOG_TAIL - 1;
	}
	msg_info("%s", d->buf);
}
