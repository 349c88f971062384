/*
 * fuzz_compliance.c - compliance_template_check() and compliance_expand()
 * on any ListUnsubscribeURL or FeedbackID template and any variables,
 * and compliance_header(), compliance_missing() and
 * compliance_missing_text() on any headers.
 *
 * The input is NUL-separated: the template, the sender, domain, class
 * and recipient (no fifth part: no single recipient, NULL), then header
 * names and values in turn.  The first octet of the input picks a URL or
 * a header template; the last sizes the output buffer (0 to 255).
 *
 * Holds for every input: a template check error is a non-empty text; an
 * expansion is 0 (the output NUL-terminated within the buffer), -1 (too
 * long) or -2 (only when the template names %{rcpt} and there is none);
 * the expansion of an accepted template has only printable ASCII, no
 * space, CR or LF (nor, in a URL, '<', '>' or ','); in a header template
 * a value brings no ':'; in a URL a value comes back from its
 * percent-encoding; a template without variables expands to itself; the
 * missing bits depend only on which headers were seen, not their order;
 * no List-Unsubscribe is also no https URI; the missing text is empty
 * exactly when nothing is missing, and fits its buffer.
 */
#include <ctype.h>

#include "shaping/compliance.h"
#include "fuzz.h"

#define HEADERS_MAX	16
#define OUT_MAX		256

static int
hexval(char c)
{
	return isdigit((unsigned char)c) ? c - '0' : c - 'A' + 10;
}

/* "https://x/" then the value: decoded, it is the value. */
static void
check_url_value(const char *v, const COMPLIANCE_VARS *vars)
{
	char out[OUT_MAX * 4], back[OUT_MAX * 4];
	const char *p;
	size_t n = 0;

	if (compliance_expand("https://x/%{sender}", vars, 1, out,
	    sizeof(out)) != 0)
		return;
	FUZZ_CHECK(strncmp(out, "https://x/", 10) == 0);
	for (p = out + 10; *p != '\0'; p++) {
		FUZZ_CHECK(isalnum((unsigned char)*p) || strchr("-._~%", *p));
		if (*p == '%') {
			FUZZ_CHECK(isxdigit((unsigned char)p[1]) &&
			    isxdigit((unsigned char)p[2]));
			back[n++] = (char)(hexval(p[1]) * 16 + hexval(p[2]));
			p += 2;
		} else
			back[n++] = *p;
	}
	back[n] = '\0';
	FUZZ_CHECK(strcmp(back, v) == 0);
}

static void
check_expand(const char *t, const COMPLIANCE_VARS *vars, int url,
    size_t outsize)
{
	char *out = malloc(outsize ? outsize : 1), big[OUT_MAX * 8];
	const char *err = compliance_template_check(t, url), *p;
	int rc;

	if (out == NULL)
		abort();
	if (err != NULL)
		FUZZ_CHECK(err[0] != '\0');
	rc = compliance_expand(t, vars, url, out, outsize);
	FUZZ_CHECK(rc == 0 || rc == -1 || rc == -2);
	if (rc == 0)
		FUZZ_CHECK(memchr(out, '\0', outsize) != NULL);
	if (rc == -2)
		FUZZ_CHECK(vars->rcpt == NULL && strstr(t, "%{rcpt}") != NULL);
	free(out);

	if (err != NULL || compliance_expand(t, vars, url, big,
	    sizeof(big)) != 0)
		return;
	for (p = big; *p != '\0'; p++) {
		FUZZ_CHECK((unsigned char)*p > ' ' && (unsigned char)*p < 0x7f);
		if (url)
			FUZZ_CHECK(*p != '<' && *p != '>' && *p != ',');
	}
	if (strstr(t, "%{") == NULL)
		FUZZ_CHECK(strcmp(big, t) == 0);
	if (!url && compliance_expand("%{sender}", vars, 0, big,
	    sizeof(big)) == 0)
		FUZZ_CHECK(strchr(big, ':') == NULL);
}

static void
check_headers(char **name, char **value, size_t n)
{
	COMPLIANCE_MSG m, r;
	char text[200], tiny[8];
	int miss, rmiss;
	size_t i;

	compliance_init(&m);
	compliance_init(&r);
	for (i = 0; i < n; i++) {
		compliance_header(&m, name[i], value[i]);
		compliance_header(&r, name[n - 1 - i], value[n - 1 - i]);
	}
	miss = compliance_missing(&m);
	rmiss = compliance_missing(&r);
	FUZZ_CHECK(miss == rmiss);
	FUZZ_CHECK((miss & ~(COMPLIANCE_NO_UNSUBSCRIBE | COMPLIANCE_NO_HTTPS |
	    COMPLIANCE_NO_ONE_CLICK)) == 0);
	if (miss & COMPLIANCE_NO_UNSUBSCRIBE)
		FUZZ_CHECK(miss & COMPLIANCE_NO_HTTPS);
	compliance_missing_text(miss, text, sizeof(text));
	FUZZ_CHECK(strlen(text) < sizeof(text));
	FUZZ_CHECK((text[0] == '\0') == (miss == 0));
	memset(tiny, 'x', sizeof(tiny));
	compliance_missing_text(miss, tiny, sizeof(tiny));
	FUZZ_CHECK(memchr(tiny, '\0', sizeof(tiny)) != NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *part;
	size_t plen, nh = 0, i, outsize;
	char *t, *var[4] = { NULL, NULL, NULL, NULL };
	char *name[HEADERS_MAX], *value[HEADERS_MAX];
	COMPLIANCE_VARS vars;
	int url = size > 0 && (data[0] & 1);

	outsize = size > 0 ? data[size - 1] : OUT_MAX;
	fuzz_split(&data, &size, &part, &plen);
	t = fuzz_str(part, plen);
	for (i = 0; i < 4; i++) {
		if (size == 0 && i == 3)
			break;			/* no single recipient */
		fuzz_split(&data, &size, &part, &plen);
		var[i] = fuzz_str(part, plen);
	}
	while (size > 0 && nh < HEADERS_MAX) {
		fuzz_split(&data, &size, &part, &plen);
		name[nh] = fuzz_str(part, plen);
		fuzz_split(&data, &size, &part, &plen);
		value[nh] = fuzz_str(part, plen);
		nh++;
	}
	vars.sender = var[0];
	vars.domain = var[1];
	vars.class_name = var[2];
	vars.rcpt = var[3];

	check_expand(t, &vars, url, outsize);
	check_expand(t, &vars, !url, outsize);
	check_url_value(var[0], &vars);
	check_headers(name, value, nh);

	for (i = 0; i < nh; i++) {
		free(name[i]);
		free(value[i]);
	}
	for (i = 0; i < 4; i++)
		free(var[i]);
	free(t);
	return 0;
}
