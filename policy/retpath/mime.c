/*
 * mime.c - header fields, parameters, multipart parts and transfer
 * encodings of a message held in memory (see mime.h).
 *
 * Owns: mime_split(), mime_field(), mime_field_next(), mime_param(),
 * mime_type(), mime_children(), mime_decode(), mime_words().
 *
 * Decisions: base64 is decoded with OpenSSL's EVP_DecodeBlock() line by
 * line (so that broken lines are skipped, not fatal); quoted-printable is
 * simple enough to decode here (OpenSSL has no decoder for it).
 *
 * Must not: read beyond a given length, recurse (the caller bounds the
 * depth), or fail on bad input: broken MIME yields fewer parts or the raw
 * body, never an error.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "base/mem.h"
#include "retpath/mime.h"

/* The end of the line at p (its first octet after the line end). */
static size_t
mime_line_end(const char *s, size_t len, size_t p, size_t *content_end)
{
	const char *nl = memchr(s + p, '\n', len - p);
	size_t e = nl ? (size_t)(nl - s) : len;

	*content_end = e > p && s[e - 1] == '\r' ? e - 1 : e;
	return nl ? e + 1 : len;
}

void
mime_split(const char *msg, size_t len, MIME_PART *part)
{
	size_t p = 0, next, end;

	part->hdr = msg;
	while (p < len) {
		next = mime_line_end(msg, len, p, &end);
		if (end == p) {			/* the empty line */
			part->hlen = p;
			part->body = msg + next;
			part->blen = len - next;
			return;
		}
		p = next;
	}
	part->hlen = len;
	part->body = msg + len;
	part->blen = 0;
}

/*
 * From *pos in the header, the next field called name: its unfolded value
 * into out.  NULL (and *pos past it) when found, else "no such field".
 */
const char *
mime_field_next(const MIME_PART *part, const char *name, size_t *pos,
    char *out, size_t outsize)
{
	const char *h = part->hdr;
	size_t len = part->hlen, nlen = strlen(name), p = *pos, next, end, o;
	int found;

	while (p < len) {
		next = mime_line_end(h, len, p, &end);
		found = end - p > nlen && strncasecmp(h + p, name, nlen) == 0;
		if (found) {
			size_t c = p + nlen;

			while (c < end && (h[c] == ' ' || h[c] == '\t'))
				c++;
			found = c < end && h[c] == ':';
			if (found)
				p = c + 1;
		}
		if (!found) {
			p = next;
			continue;
		}
		/* value: this line's rest, then continuation lines */
		o = 0;
		for (;;) {
			while (p < end && (h[p] == ' ' || h[p] == '\t') &&
			    (o == 0 || out[o - 1] == ' '))
				p++;
			for (; p < end; p++)
				if (o + 1 < outsize)
					out[o++] = h[p] == '\t' ? ' ' : h[p];
			p = next;
			if (p >= len || (h[p] != ' ' && h[p] != '\t'))
				break;
			if (o > 0 && out[o - 1] != ' ' && o + 1 < outsize)
				out[o++] = ' ';
			next = mime_line_end(h, len, p, &end);
		}
		while (o > 0 && out[o - 1] == ' ')
			o--;
		if (outsize > 0)
			out[o] = '\0';
		*pos = p;
		return NULL;
	}
	*pos = len;
	return "no such field";
}

const char *
mime_field(const MIME_PART *part, const char *name, char *out,
    size_t outsize)
{
	size_t pos = 0;

	return mime_field_next(part, name, &pos, out, outsize);
}

/* A parameter of a structured value: boundary="x" or charset=utf-8. */
const char *
mime_param(const char *v, const char *param, char *out, size_t outsize)
{
	size_t plen = strlen(param), o;
	const char *p = v;
	int inq;

	while ((p = strchr(p, ';')) != NULL) {
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncasecmp(p, param, plen) != 0)
			continue;
		p += plen;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != '=')
			continue;
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		inq = *p == '"';
		if (inq)
			p++;
		for (o = 0; *p != '\0' && (inq ? *p != '"' : (*p != ';' &&
		    *p != ' ' && *p != '\t')); p++) {
			if (inq && *p == '\\' && p[1] != '\0')
				p++;
			if (o + 1 < outsize)
				out[o++] = *p;
		}
		if (outsize > 0)
			out[o] = '\0';
		return o > 0 ? NULL : "empty parameter";
	}
	return "no such parameter";
}

void
mime_type(const MIME_PART *part, char *out, size_t outsize)
{
	char v[MIME_FIELD_MAX];
	size_t i;

	if (mime_field(part, "Content-Type", v, sizeof(v)) != NULL ||
	    strchr(v, '/') == NULL) {
		snprintf(out, outsize, "text/plain");
		return;
	}
	for (i = 0; v[i] != '\0' && v[i] != ';' && v[i] != ' ' &&
	    i + 1 < outsize; i++)
		out[i] = (char)tolower((unsigned char)v[i]);
	out[i] = '\0';
}

/* Is the line [p, end) "--boundary" (or "--boundary--")?  1, 2 or 0. */
static int
mime_is_boundary(const char *s, size_t p, size_t end, const char *b,
    size_t blen)
{
	size_t i;

	if (end - p < blen + 2 || s[p] != '-' || s[p + 1] != '-' ||
	    memcmp(s + p + 2, b, blen) != 0)
		return 0;
	i = p + 2 + blen;
	if (end - i >= 2 && s[i] == '-' && s[i + 1] == '-')
		return 2;
	for (; i < end; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return 0;
	return 1;
}

size_t
mime_children(const MIME_PART *part, MIME_PART *kids, size_t max)
{
	char v[MIME_FIELD_MAX], b[256];
	const char *s = part->body;
	size_t len = part->blen, p = 0, next, end, blen, start = 0, n = 0;
	int in = 0, kind;

	if (mime_field(part, "Content-Type", v, sizeof(v)) != NULL ||
	    mime_param(v, "boundary", b, sizeof(b)) != NULL)
		return 0;
	blen = strlen(b);
	while (p < len && n < max) {
		next = mime_line_end(s, len, p, &end);
		if ((kind = mime_is_boundary(s, p, end, b, blen)) != 0) {
			if (in) {
				/* the line end before the boundary belongs
				 * to it */
				size_t stop = p;

				if (stop > start && s[stop - 1] == '\n')
					stop--;
				if (stop > start && s[stop - 1] == '\r')
					stop--;
				mime_split(s + start, stop - start, &kids[n++]);
			}
			if (kind == 2)
				return n;
			in = 1;
			start = next;
		}
		p = next;
	}
	if (in && n < max && start < len)	/* no closing boundary */
		mime_split(s + start, len - start, &kids[n++]);
	return n;
}

static int
mime_hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static char *
mime_qp(const char *s, size_t len, size_t *outlen)
{
	char *out = mem_alloc(len + 1);
	size_t i, o = 0;
	int h, l;

	for (i = 0; i < len; i++) {
		if (s[i] != '=') {
			out[o++] = s[i];
			continue;
		}
		if (i + 1 < len && s[i + 1] == '\n') {		/* soft break */
			i++;
			continue;
		}
		if (i + 2 < len && s[i + 1] == '\r' && s[i + 2] == '\n') {
			i += 2;
			continue;
		}
		if (i + 2 < len && (h = mime_hex((unsigned char)s[i + 1])) >= 0 &&
		    (l = mime_hex((unsigned char)s[i + 2])) >= 0) {
			out[o++] = (char)(h << 4 | l);
			i += 2;
			continue;
		}
		out[o++] = s[i];
	}
	out[o] = '\0';
	*outlen = o;
	return out;
}

/* base64, ignoring white space and whatever does not decode. */
static char *
mime_b64(const char *s, size_t len, size_t *outlen)
{
	unsigned char *in = mem_alloc(len + 4), *out = mem_alloc(len + 4);
	size_t i, n = 0, o = 0, q;
	int got, pad;

	for (i = 0; i < len; i++)
		if (isalnum((unsigned char)s[i]) || s[i] == '+' ||
		    s[i] == '/' || s[i] == '=')
			in[n++] = (unsigned char)s[i];
	for (q = 0; q + 4 <= n; q += 4) {
		got = EVP_DecodeBlock(out + o, in + q, 4);
		if (got < 0)
			continue;
		pad = (in[q + 3] == '=') + (in[q + 2] == '=');
		o += (size_t)got - (size_t)pad;
	}
	free(in);
	out[o] = '\0';
	*outlen = o;
	return (char *)out;
}

char *
mime_decode(const MIME_PART *part, size_t *outlen)
{
	char v[MIME_FIELD_MAX];
	char *out;

	if (mime_field(part, "Content-Transfer-Encoding", v, sizeof(v)) ==
	    NULL) {
		if (strncasecmp(v, "base64", 6) == 0)
			return mime_b64(part->body, part->blen, outlen);
		if (strncasecmp(v, "quoted-printable", 16) == 0)
			return mime_qp(part->body, part->blen, outlen);
	}
	out = mem_alloc(part->blen + 1);
	memcpy(out, part->body, part->blen);
	out[part->blen] = '\0';
	*outlen = part->blen;
	return out;
}

/* One encoded word's text ("Q" or "B"), appended to out[*o..outsize). */
static void
mime_word(char enc, const char *t, size_t n, char *out, size_t outsize,
    size_t *o)
{
	unsigned char in[4], dec[4];
	size_t i, k = 0;
	int got, pad, h;

	for (i = 0; i < n && *o + 1 < outsize; i++) {
		if (enc == 'Q' || enc == 'q') {
			if (t[i] == '_')
				out[(*o)++] = ' ';
			else if (t[i] == '=' && i + 2 < n &&
			    isxdigit((unsigned char)t[i + 1]) &&
			    isxdigit((unsigned char)t[i + 2])) {
				char hex[3] = { t[i + 1], t[i + 2], '\0' };

				out[(*o)++] = (char)strtol(hex, NULL, 16);
				i += 2;
			} else
				out[(*o)++] = t[i];
			continue;
		}
		in[k++] = (unsigned char)t[i];
		if (k < 4)
			continue;
		k = 0;
		if ((got = EVP_DecodeBlock(dec, in, 4)) < 0)
			continue;
		pad = (in[3] == '=') + (in[2] == '=');
		for (h = 0; h < got - pad && *o + 1 < outsize; h++)
			out[(*o)++] = (char)dec[h];
	}
}

/*
 * A header value with its RFC 2047 encoded words ("=?utf-8?Q?...?=")
 * decoded into octets (the charset is not converted: text the rules look
 * for is ASCII), at most outsize - 1 of them; white space between two
 * encoded words goes.  Returns the length written.
 */
size_t
mime_words(const char *v, char *out, size_t outsize)
{
	const char *p = v, *q1, *end;
	size_t o = 0;
	int last_word = 0;

	if (outsize == 0)
		return 0;
	while (*p != '\0' && o + 1 < outsize) {
		if (p[0] == '=' && p[1] == '?' &&
		    (q1 = strchr(p + 2, '?')) != NULL && q1[1] != '\0' &&
		    q1[2] == '?' && (end = strstr(q1 + 3, "?=")) != NULL &&
		    strchr("QqBb", q1[1]) != NULL) {
			if (last_word)		/* "?= =?": one word on */
				while (o > 0 && (out[o - 1] == ' ' ||
				    out[o - 1] == '\t'))
					o--;
			mime_word(q1[1], q1 + 3, (size_t)(end - (q1 + 3)), out,
			    outsize, &o);
			p = end + 2;
			last_word = 1;
			continue;
		}
		if (*p != ' ' && *p != '\t')
			last_word = 0;
		out[o++] = *p++;
	}
	out[o] = '\0';
	return o;
}
