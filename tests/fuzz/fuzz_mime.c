/*
 * fuzz_mime.c - the MIME reader (policy/retpath/mime.h) on any message: bounces,
 * complaints and whatever else reaches the bounce domain.
 *
 * The input is a message.  It is split, its fields read, its multipart
 * tree walked (at most DEPTH_MAX levels, PARTS_MAX parts in all) and every
 * part decoded.  The first 300 octets of its body are also encoded as
 * base64 and as quoted-printable and decoded back.
 *
 * Holds for every input: the header and the body lie inside the message,
 * the body after the header and its empty line, and the header holds no
 * empty line; a field value is NUL-terminated within its buffer, holds no
 * line break or tab, has no space at either end, and cut to a smaller
 * buffer is a prefix of itself; mime_field() is mime_field_next()'s first
 * answer, and mime_field_next() moves forward; a parameter found is not
 * empty and is found again when written back, quoted or not; a type is
 * lower case; children lie in their parent's body, in order, at most
 * MIME_PARTS_MAX of them; a decoded body is NUL-terminated, no longer
 * than the body, and the body itself when there is no known
 * Content-Transfer-Encoding; encoding then decoding gives the octets back.
 */
#include <strings.h>

#include <openssl/evp.h>

#include "retpath/mime.h"
#include "fuzz.h"

#define DEPTH_MAX	8
#define PARTS_MAX	200
#define SMALL		17

static const char *names[] = {
	"Content-Type", "Content-Transfer-Encoding", "From", "Subject",
	"Final-Recipient", "Status", "X",
};

static const char *params[] = { "boundary", "charset", "report-type" };

/* A part must lie in [lo, hi). */
static int
inside(const char *p, size_t len, const char *lo, const char *hi)
{
	return p >= lo && p <= hi && len <= (size_t)(hi - p);
}

/* (A NUL in the header is copied like any octet: v may read shorter.) */
static void
check_value(const MIME_PART *part, const char *v, size_t size)
{
	size_t n;

	FUZZ_CHECK(memchr(v, '\0', size) != NULL);
	n = strlen(v);
	FUZZ_CHECK(strpbrk(v, "\n\t") == NULL);
	FUZZ_CHECK(n == 0 || v[0] != ' ');
	if (memchr(part->hdr, '\0', part->hlen) == NULL)
		FUZZ_CHECK(n == 0 || v[n - 1] != ' ');
}

/* Write value back as a parameter (plain or quoted): found again? */
static void
check_param_again(const char *param, const char *value, int quoted)
{
	char v[2 * MIME_FIELD_MAX + 64], out[MIME_FIELD_MAX];
	size_t o, i;

	o = (size_t)snprintf(v, sizeof(v), "x/y; %s=%s", param,
	    quoted ? "\"" : "");
	for (i = 0; value[i] != '\0'; i++) {
		if (quoted && (value[i] == '"' || value[i] == '\\'))
			v[o++] = '\\';
		v[o++] = value[i];
	}
	snprintf(v + o, sizeof(v) - o, "%s", quoted ? "\"" : "");
	FUZZ_CHECK(mime_param(v, param, out, sizeof(out)) == NULL);
	FUZZ_CHECK(strcmp(out, value) == 0);
}

static void
check_fields(const MIME_PART *part)
{
	char v[MIME_FIELD_MAX], first[MIME_FIELD_MAX], small[SMALL];
	char p[MIME_FIELD_MAX];
	size_t i, j, pos, last, count;
	const char *err;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		err = mime_field(part, names[i], first, sizeof(first));
		pos = 0;
		if (err != NULL) {
			FUZZ_CHECK(mime_field_next(part, names[i], &pos, v,
			    sizeof(v)) != NULL && pos == part->hlen);
			continue;
		}
		check_value(part, first, sizeof(first));
		FUZZ_CHECK(mime_field(part, names[i], small, sizeof(small)) ==
		    NULL);
		check_value(part, small, sizeof(small));
		FUZZ_CHECK(strncmp(small, first, strlen(small)) == 0);

		for (count = 0, last = 0; ; count++) {
			err = mime_field_next(part, names[i], &pos, v,
			    sizeof(v));
			if (err != NULL)
				break;
			FUZZ_CHECK(pos > last && pos <= part->hlen);
			last = pos;
			check_value(part, v, sizeof(v));
			if (count == 0)
				FUZZ_CHECK(strcmp(v, first) == 0);
		}
		FUZZ_CHECK(count > 0 && pos == part->hlen);

		for (j = 0; j < sizeof(params) / sizeof(params[0]); j++) {
			memset(p, 'x', sizeof(p));
			if (mime_param(first, params[j], p, sizeof(p)) != NULL)
				continue;
			FUZZ_CHECK(memchr(p, '\0', sizeof(p)) != NULL);
			FUZZ_CHECK(p[0] != '\0');
			check_param_again(params[j], p, 1);
			if (strpbrk(p, "; \t\"") == NULL)
				check_param_again(params[j], p, 0);
			FUZZ_CHECK(mime_param(first, params[j], small,
			    sizeof(small)) == NULL);
			FUZZ_CHECK(strncmp(small, p, sizeof(small) - 1) == 0);
		}
	}
}

static void
check_decode(const MIME_PART *part)
{
	char v[MIME_FIELD_MAX], *buf;
	size_t len = 12345;

	buf = mime_decode(part, &len);
	FUZZ_CHECK(buf != NULL && len <= part->blen && buf[len] == '\0');
	if (mime_field(part, "Content-Transfer-Encoding", v, sizeof(v)) !=
	    NULL || (strncasecmp(v, "base64", 6) != 0 &&
	    strncasecmp(v, "quoted-printable", 16) != 0))
		FUZZ_CHECK(len == part->blen &&
		    memcmp(buf, part->body, len) == 0);
	free(buf);
}

static void
check_part(const MIME_PART *part, int depth, size_t *nparts)
{
	MIME_PART kids[MIME_PARTS_MAX + 1];
	char type[64];
	const char *end = part->body + part->blen;
	size_t n, i, t;

	check_fields(part);
	check_decode(part);
	memset(type, 'x', sizeof(type));
	mime_type(part, type, sizeof(type));
	FUZZ_CHECK(memchr(type, '\0', sizeof(type)) != NULL);
	for (t = 0; type[t] != '\0'; t++)
		FUZZ_CHECK(type[t] < 'A' || type[t] > 'Z');

	if (depth >= DEPTH_MAX || *nparts >= PARTS_MAX)
		return;
	memset(kids, 0, sizeof(kids));
	n = mime_children(part, kids, MIME_PARTS_MAX);
	FUZZ_CHECK(n <= MIME_PARTS_MAX && kids[MIME_PARTS_MAX].hdr == NULL);
	for (i = 0; i < n; i++) {
		const char *lo = i == 0 ? part->body :
		    kids[i - 1].body + kids[i - 1].blen;

		FUZZ_CHECK(inside(kids[i].hdr, kids[i].hlen, lo, end));
		FUZZ_CHECK(inside(kids[i].body, kids[i].blen,
		    kids[i].hdr + kids[i].hlen, end));
	}
	if (n > 0)
		FUZZ_CHECK(mime_children(part, kids, 1) == 1);
	for (i = 0; i < n && *nparts < PARTS_MAX; i++) {
		(*nparts)++;
		check_part(&kids[i], depth + 1, nparts);
	}
}

/* Encode body octets as base64 and quoted-printable; decode them back. */
static void
check_round_trip(const char *body, size_t len)
{
	static const char b64hdr[] = "Content-Transfer-Encoding: base64\n\n";
	static const char qphdr[] =
	    "Content-Transfer-Encoding: quoted-printable\n\n";
	char msg[sizeof(qphdr) + 4 * 300 + 300], *out;
	MIME_PART part;
	size_t n, i, o, outlen;

	if (len > 300)
		len = 300;
	memcpy(msg, b64hdr, sizeof(b64hdr) - 1);
	n = (size_t)EVP_EncodeBlock((unsigned char *)msg + sizeof(b64hdr) - 1,
	    (const unsigned char *)body, (int)len);
	mime_split(msg, sizeof(b64hdr) - 1 + n, &part);
	out = mime_decode(&part, &outlen);
	FUZZ_CHECK(outlen == len && memcmp(out, body, len) == 0);
	free(out);

	memcpy(msg, qphdr, sizeof(qphdr) - 1);
	o = sizeof(qphdr) - 1;
	for (i = 0; i < len; i++) {
		o += (size_t)snprintf(msg + o, 4, "=%02X", (unsigned char)body[i]);
		if (i % 20 == 19) {
			memcpy(msg + o, "=\r\n", 3);
			o += 3;
		}
	}
	mime_split(msg, o, &part);
	out = mime_decode(&part, &outlen);
	FUZZ_CHECK(outlen == len && memcmp(out, body, len) == 0);
	free(out);
}

/* mime_words(): NUL-terminated within its buffer, never longer. */
static void
check_words(const char *msg, size_t size)
{
	char *v = fuzz_str((const uint8_t *)msg, size), out[64], big[4096];
	size_t n;

	n = mime_words(v, out, sizeof(out));
	FUZZ_CHECK(n < sizeof(out) && out[n] == '\0');
	n = mime_words(v, big, sizeof(big));
	FUZZ_CHECK(n < sizeof(big) && big[n] == '\0');
	FUZZ_CHECK(mime_words(v, out, 1) == 0 && out[0] == '\0');
	free(v);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *msg = (const char *)data;	/* exactly size octets */
	MIME_PART part;
	size_t nparts = 0, p, e, gap;

	mime_split(msg, size, &part);
	FUZZ_CHECK(part.hdr == msg && part.hlen <= size);
	FUZZ_CHECK(part.body + part.blen == msg + size);
	gap = (size_t)(part.body - (part.hdr + part.hlen));
	FUZZ_CHECK(part.body >= part.hdr + part.hlen && gap <= 2);
	if (gap == 0)
		FUZZ_CHECK(part.hlen == size && part.blen == 0);
	for (p = 0; p < part.hlen; p = e + 1) {
		const char *nl = memchr(msg + p, '\n', part.hlen - p);

		e = nl ? (size_t)(nl - msg) : part.hlen;
		FUZZ_CHECK(e > p && !(e == p + 1 && msg[p] == '\r' && nl));
	}
	check_part(&part, 0, &nparts);
	check_round_trip(part.body, part.blen);
	check_words(msg, size);
	return 0;
}
