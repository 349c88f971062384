/*
 * suppress_csv.c - suppression list lines for import and export (see
 * suppress_csv.h).
 *
 * Owns: suppress_csv_parse(), suppress_csv_skip(), suppress_csv_format().
 *
 * Must not: read or write files (the caller does), touch the store.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "reputation/suppress_csv.h"

#define CSV_FIELDS	6
#define CSV_FIELD_MAX	(ADDR_KEY_MAX + 8)

/* One field at *p (quoted or not); NULL on success, else an error. */
static const char *
csv_field(const char **p, const char *end, char *out, size_t outsize)
{
	size_t n = 0;
	const char *s = *p;

	if (s < end && *s == '"') {
		for (s++; ; s++) {
			if (s >= end)
				return "a quoted field is not closed";
			if (*s == '"') {
				if (s + 1 < end && s[1] == '"')
					s++;
				else {
					s++;
					break;
				}
			}
			if (n + 1 >= outsize)
				return "a field is too long";
			out[n++] = *s;
		}
		if (s < end && *s != ',')
			return "text after a quoted field";
	} else {
		for (; s < end && *s != ','; s++) {
			if (*s == '"')
				return "a quote inside an unquoted field";
			if (n + 1 >= outsize)
				return "a field is too long";
			out[n++] = *s;
		}
	}
	out[n] = '\0';
	*p = s;
	return NULL;
}

/* 2026-11-28T09:00:00Z; 0 on success. */
static int
csv_time(const char *s, int64_t *t)
{
	struct tm tm, back;
	time_t tt;
	int n = 0;

	memset(&tm, 0, sizeof(tm));
	if (strlen(s) != 20 || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ%n",
	    &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
	    &tm.tm_sec, &n) != 6 || n != 20 || tm.tm_year < 1970)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon--;
	back = tm;
	tt = timegm(&tm);
	/* out of range fields (month 13, 31 April) are refused, not moved */
	if (tt == (time_t)-1 || tm.tm_mday != back.tm_mday ||
	    tm.tm_mon != back.tm_mon || tm.tm_hour != back.tm_hour ||
	    tm.tm_min != back.tm_min || tm.tm_sec != back.tm_sec)
		return -1;
	*t = (int64_t)tt;
	return 0;
}

static void
csv_trim(char *s)
{
	size_t n = strlen(s), i = 0;

	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	while (isspace((unsigned char)s[i]))
		i++;
	memmove(s, s + i, n - i + 1);
}

const char *
suppress_csv_parse(const char *line, size_t len, SUPPRESS_ENTRY *e)
{
	static __thread char msg[160];
	char f[CSV_FIELDS][CSV_FIELD_MAX];
	const char *p = line, *end = line + len, *err;
	size_t n, nf = 0;

	memset(e, 0, sizeof(*e));
	memset(f, 0, sizeof(f));
	while (len > 0 && (end[-1] == '\n' || end[-1] == '\r'))
		end--, len--;
	if (memchr(line, '\0', len) != NULL)
		return "a NUL byte in the line";
	/* export could not write it back: a line has no line break inside */
	if (memchr(line, '\r', len) != NULL || memchr(line, '\n', len) != NULL)
		return "a line break inside the line";
	for (;;) {
		if (nf == CSV_FIELDS)
			return "more than six fields";
		if ((err = csv_field(&p, end, f[nf], sizeof(f[nf]))) != NULL)
			return err;
		csv_trim(f[nf]);
		nf++;
		if (p >= end)
			break;
		p++;				/* the comma */
	}
	if (f[0][0] == '\0')
		return "no address";
	if ((err = addr_canon(f[0], strlen(f[0]), e->addr, sizeof(e->addr),
	    &n)) != NULL) {
		snprintf(msg, sizeof(msg), "bad address \"%.60s\": %s", f[0],
		    err);
		return msg;
	}
	if (n == 0)
		return "the null sender cannot be suppressed";
	e->reason = SUPPRESS_MANUAL;
	if (f[1][0] != '\0' && suppress_reason_parse(f[1], &e->reason)) {
		snprintf(msg, sizeof(msg), "bad reason \"%.40s\": expected "
		    "hard-bounce, complaint or manual", f[1]);
		return msg;
	}
	if (f[2][0] != '\0' && (err = sender_key_normalise(f[2], strlen(f[2]),
	    e->scope, sizeof(e->scope))) != NULL) {
		snprintf(msg, sizeof(msg), "bad scope \"%.60s\": %s", f[2],
		    err);
		return msg;
	}
	if (f[3][0] != '\0' && csv_time(f[3], &e->time) != 0)
		return "bad since: expected 2026-11-28T09:00:00Z";
	if (f[4][0] != '\0' && strcmp(f[4], "never") != 0 &&
	    csv_time(f[4], &e->expires) != 0)
		return "bad expires: expected 2026-11-28T09:00:00Z or never";
	if (strlen(f[5]) >= sizeof(e->source))
		return "the source is too long";
	memcpy(e->source, f[5], strlen(f[5]) + 1);
	return NULL;
}

/* Blank lines, comments and export's header line. */
int
suppress_csv_skip(const char *line, size_t len)
{
	size_t i = 0, h = strlen(SUPPRESS_CSV_HEADER);

	while (i < len && isspace((unsigned char)line[i]))
		i++;
	return i == len || line[i] == '#' || (len - i >= h &&
	    strncmp(line + i, SUPPRESS_CSV_HEADER, h) == 0);
}

static size_t
csv_put(char *out, size_t outsize, size_t o, const char *s, int comma)
{
	/* a leading '#' would make import skip the line as a comment */
	int quote = strpbrk(s, ",\"\r\n") != NULL ||
	    isspace((unsigned char)*s) || *s == '#';

	if (comma && o + 1 < outsize)
		out[o++] = ',';
	if (quote && o + 1 < outsize)
		out[o++] = '"';
	for (; *s != '\0' && o + 2 < outsize; s++) {
		if (*s == '\r' || *s == '\n')
			continue;
		if (*s == '"')
			out[o++] = '"';
		out[o++] = *s;
	}
	if (quote && o + 1 < outsize)
		out[o++] = '"';
	out[o] = '\0';
	return o;
}

void
suppress_csv_format(const SUPPRESS_ENTRY *e, char *out, size_t outsize)
{
	char since[32] = "", exp[32] = "never";
	time_t t;
	struct tm tm;
	size_t o = 0;

	if (outsize == 0)
		return;
	out[0] = '\0';
	if (e->time != 0) {
		t = (time_t)e->time;
		gmtime_r(&t, &tm);
		strftime(since, sizeof(since), "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
	if (e->expires != 0) {
		t = (time_t)e->expires;
		gmtime_r(&t, &tm);
		strftime(exp, sizeof(exp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
	o = csv_put(out, outsize, o, e->addr, 0);
	o = csv_put(out, outsize, o, suppress_reason_name(e->reason), 1);
	o = csv_put(out, outsize, o, e->scope, 1);
	o = csv_put(out, outsize, o, since, 1);
	o = csv_put(out, outsize, o, exp, 1);
	csv_put(out, outsize, o, e->source, 1);
}
