/*
 * mload_msg.c - mload's small helpers (dying, allocation, the clock) and
 * the message file it sends: parsed once into header fields (folds kept
 * as the MTA hands them over) and a CRLF body.
 *
 * Synopsis:
 *	void	 ml_die(const char *fmt, ...);
 *	void	*ml_alloc(size_t n);
 *	void	*ml_realloc(void *p, size_t n);
 *	char	*ml_strndup(const char *s, size_t n);
 *	uint64_t ml_now_ns(void);
 *	void	 ml_msg_load(const char *path, struct ml_msg *m);
 *
 *	Allocation never returns NULL: it succeeds or mload exits 1.
 *	ml_msg_load reads at most ML_MSG_MAX octets and parses them with a
 *	pure parser over (buf, len) that needs no NUL and caps the header
 *	count (ML_HDR_MAX) and one header's length (ML_HDRLEN_MAX).
 *
 * Diagnostics: an unreadable, oversized or malformed message file is fatal
 *	("mload: PATH: what", exit 1), before any connection is made.
 *
 * Must not: talk to the filter or know the milter protocol; read options.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mload.h"

/* ---- small helpers ------------------------------------------------------ */

void
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

void *
ml_alloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		ml_die("out of memory (%zu bytes)", n);
	return p;
}

void *
ml_realloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (p == NULL)
		ml_die("out of memory (%zu bytes)", n);
	return p;
}

char *
ml_strndup(const char *s, size_t n)
{
	char *p = ml_alloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

uint64_t
ml_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
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

void
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

/*
 * The envelope address of one message: base itself, or with -F/-R one of
 * n numbered ones ("bench@example.com" -> "bench4711@example.com").
 */
void
ml_addr(char *out, size_t outsize, const char *base, unsigned long n,
    uint64_t k)
{
	const char *at = strrchr(base, '@');

	if (n == 0 || at == NULL)
		snprintf(out, outsize, "%s", base);
	else
		snprintf(out, outsize, "%.*s%lu%s", (int)(at - base), base,
		    (unsigned long)(k % n), at);
}
