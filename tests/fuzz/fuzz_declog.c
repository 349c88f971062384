/*
 * fuzz_declog.c - a decision line (declog_start(), declog_str(),
 * declog_num(), declog_ms(), declog_emit()) with any queue id and any
 * values.
 *
 * The input is the queue id, then NUL-separated pairs: each part's first
 * octet picks the kind (string, number, milliseconds) and the key, the
 * rest is the value (a number's or a time's are its first eight octets).
 * Keys are what callers write, names of [a-z_]: one of the daemon's, or
 * "x_" and the octets that follow mapped into [a-z_] (never "qid" or
 * "truncated", which the line itself writes).
 * The line declog_emit() writes to stderr is captured through a pipe.
 *
 * Holds for every input: the line written is exactly one line (a single
 * '\n', at its end; no CR or NUL) holding the buffer after the log
 * prefix; the buffer is shorter than DECLOG_MAX; it parses as KEY=VALUE
 * pairs separated by one space, a value bare (printable, no space, '"',
 * '\\' or '=') or quoted; the first pair is qid (the queue id, "-" for
 * none or one too long); the other pairs are those given, in order,
 * empty values left out, each value reading back as given, a pair that
 * did not fit dropped whole, and then the line ends in "truncated=yes";
 * so no value can forge a key.
 */
#include <fcntl.h>
#include <unistd.h>

#include "common/declog.h"
#include "fuzz.h"

#define PAIRS_MAX	64

static const char *const keys[] = {
	"decision", "class_rule", "from", "rcpt", "detail", "sender", "class",
	"reason", "bucket", "event"
};

struct pair {
	char	 key[20];
	char	*value;			/* as written, before quoting */
};

static int saved_stderr = -1;

/* declog_emit() with stderr into a pipe; what it wrote. */
static char *
emit_captured(DECLOG *d, size_t *len)
{
	int fds[2];
	char *out = malloc(DECLOG_MAX * 2);
	ssize_t n;

	if (out == NULL || pipe(fds) != 0)
		abort();
	fflush(stderr);
	if (saved_stderr < 0 && (saved_stderr = dup(2)) < 0)
		abort();
	dup2(fds[1], 2);
	close(fds[1]);
	declog_emit(d);
	fflush(stderr);
	dup2(saved_stderr, 2);
	*len = 0;
	while ((n = read(fds[0], out + *len, DECLOG_MAX * 2 - 1 - *len)) > 0)
		*len += (size_t)n;
	close(fds[0]);
	out[*len] = '\0';
	return out;
}

/* One value at *s (bare or quoted) decoded into out; NULL if malformed. */
static const char *
read_value(const char *s, char *out)
{
	size_t n = 0;
	unsigned hi;

	if (*s != '"') {
		while (*s != ' ' && *s != '\0') {
			FUZZ_CHECK((unsigned char)*s > ' ' &&
			    (unsigned char)*s < 0x7f && *s != '"' &&
			    *s != '\\' && *s != '=');
			out[n++] = *s++;
		}
		FUZZ_CHECK(n > 0);
		out[n] = '\0';
		return s;
	}
	for (s++; *s != '"'; s++) {
		FUZZ_CHECK(*s != '\0');
		FUZZ_CHECK((unsigned char)*s >= ' ' && (unsigned char)*s < 0x7f);
		if (*s != '\\') {
			out[n++] = *s;
			continue;
		}
		s++;
		if (*s == '"' || *s == '\\')
			out[n++] = *s;
		else {
			FUZZ_CHECK(*s == 'x' && sscanf(s + 1, "%2X", &hi) == 1);
			FUZZ_CHECK(hi < ' ' || hi >= 0x7f);
			out[n++] = (char)hi;
			s += 2;
		}
	}
	out[n] = '\0';
	return s + 1;
}

static void
check_line(const char *buf, const char *qid, const struct pair *p,
    size_t np)
{
	char key[64], val[DECLOG_MAX];
	const char *s = buf;
	size_t k, i = 0;
	int first = 1, truncated = 0;

	while (*s != '\0') {
		if (!first)
			FUZZ_CHECK(*s++ == ' ');
		for (k = 0; (*s >= 'a' && *s <= 'z') || *s == '_'; s++) {
			FUZZ_CHECK(k + 1 < sizeof(key));
			key[k++] = *s;
		}
		key[k] = '\0';
		FUZZ_CHECK(k > 0 && *s++ == '=');
		s = read_value(s, val);
		if (first) {
			FUZZ_CHECK(strcmp(key, "qid") == 0);
			FUZZ_CHECK(strcmp(val, qid) == 0 ||
			    strcmp(val, "-") == 0);
			first = 0;
			continue;
		}
		if (strcmp(key, "truncated") == 0 && *s == '\0' &&
		    strcmp(val, "yes") == 0) {
			truncated = 1;
			break;
		}
		/* the next pair given that is there: the ones between were
		 * empty or dropped */
		while (i < np && (strcmp(p[i].key, key) != 0 ||
		    strcmp(p[i].value, val) != 0)) {
			if (p[i].value[0] != '\0')
				truncated = -1;		/* must say so */
			i++;
		}
		FUZZ_CHECK(i < np);
		i++;
	}
	for (; i < np; i++)
		if (p[i].value[0] != '\0')
			truncated = truncated ? truncated : -1;
	FUZZ_CHECK(truncated >= 0);
	FUZZ_CHECK(strcmp(buf, "qid=-") == 0 || strncmp(buf, "qid=", 4) == 0);
	if (strcmp(qid, "-") != 0 && qid[0] != '\0' &&
	    strncmp(buf, "qid=- ", 6) == 0)
		FUZZ_CHECK(truncated);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *part;
	size_t plen, np = 0, i, len;
	struct pair p[PAIRS_MAX];
	char *qid, *line, *body;
	long long num;
	double ms;
	DECLOG d;

	fuzz_split(&data, &size, &part, &plen);
	qid = fuzz_str(part, plen);
	memset(&d, 0x5a, sizeof(d));
	declog_start(&d, qid);
	while (size > 0 && np < PAIRS_MAX) {
		unsigned sel;

		fuzz_split(&data, &size, &part, &plen);
		if (plen == 0)
			continue;
		sel = part[0];
		part++;
		plen--;
		if ((sel & 0x10) && plen > 0) {		/* a key of its own */
			size_t k = part[0] % 12 + 1;

			p[np].key[0] = 'x';
			p[np].key[1] = '_';
			for (i = 0; i < k; i++)
				p[np].key[i + 2] = i + 1 < plen &&
				    part[i + 1] % 27 < 26 ?
				    (char)('a' + part[i + 1] % 27) : '_';
			p[np].key[k + 2] = '\0';
			part++;
			plen--;
		} else
			snprintf(p[np].key, sizeof(p[np].key), "%s",
			    keys[(sel >> 5) % (sizeof(keys) / sizeof(keys[0]))]);
		switch (sel % 3) {
		case 0:
			p[np].value = fuzz_str(part, plen);
			declog_str(&d, p[np].key, plen > 0 || (sel & 8) ?
			    p[np].value : NULL);
			break;
		case 1:
			num = 0;
			memcpy(&num, part, plen < sizeof(num) ? plen :
			    sizeof(num));
			p[np].value = malloc(32);
			snprintf(p[np].value, 32, "%lld", num);
			declog_num(&d, p[np].key, num);
			break;
		default:
			ms = 0;
			memcpy(&ms, part, plen < sizeof(ms) ? plen :
			    sizeof(ms));
			p[np].value = malloc(32);
			snprintf(p[np].value, 32, "%.3f", ms);
			declog_ms(&d, p[np].key, ms);
			break;
		}
		np++;
	}
	FUZZ_CHECK(d.len < DECLOG_MAX && d.len == strlen(d.buf));

	line = emit_captured(&d, &len);
	FUZZ_CHECK(d.len < DECLOG_MAX && d.len == strlen(d.buf));
	FUZZ_CHECK(len > 0 && strlen(line) == len && line[len - 1] == '\n');
	FUZZ_CHECK(memchr(line, '\n', len - 1) == NULL);
	FUZZ_CHECK(memchr(line, '\r', len) == NULL);
	body = strstr(line, "]: ");
	FUZZ_CHECK(body != NULL);
	body += 3;
	FUZZ_CHECK(strlen(body) == d.len + 1 &&
	    memcmp(body, d.buf, d.len) == 0);
	check_line(d.buf, qid, p, np);

	free(line);
	for (i = 0; i < np; i++)
		free(p[i].value);
	free(qid);
	return 0;
}
