/*
 * fuzz_loginmap.c - loginmap_parse() on any SenderLoginMap file, then
 * loginmap_allows() of what parsed for any sender and login.
 *
 * The input is the file, then NUL-separated the envelope sender (made
 * canonical with addr_canon() first, as the milter does; an address that
 * is not one is not looked up) and the SASL login, which is also tried
 * as a client address against the map's networks.
 *
 * Holds for every input: a map, or NULL and errors, never both; every
 * error is one "map:N: message" line, N a line of the file; a map has one
 * entry for each line that is neither blank nor a comment; each
 * "user@domain" line allows that address (canonical) to each of its
 * logins (values shaped like a network are networks, not logins), in
 * any case; a login holding a comma or white space, or none,
 * is never allowed (a map's logins cannot hold them: "alice,bob" must not
 * pass as the two logins alice and bob); the answer does not depend on
 * the login's case; no map allows nothing, to no login and no client.
 */
#include <ctype.h>

#include "base/addr.h"
#include "fuzz.h"
#include "reputation/loginmap.h"

static int
is_sep(char c)
{
	return c == ',' || isspace((unsigned char)c);
}

/* A value loginmap.c reads as a network: '/' or ':', or digits and dots. */
static int
is_net(const char *w, size_t len)
{
	size_t i;

	if (memchr(w, '/', len) != NULL || memchr(w, ':', len) != NULL)
		return 1;
	for (i = 0; i < len; i++)
		if (!isdigit((unsigned char)w[i]) && w[i] != '.')
			return 0;
	return 1;
}

/* Each "user@domain" line allows its address to each of its logins. */
static void
check_lines(const LOGINMAP *m, const char *text, size_t len)
{
	const char *p = text, *end = text + len, *nl, *w, *e, *le, *at;
	char key[ADDR_KEY_MAX], login[300];
	size_t l, entries = 0, klen, i;

	for (; p < end; p += l + (nl != NULL)) {
		nl = memchr(p, '\n', (size_t)(end - p));
		l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		le = p + l;
		for (w = p; w < le && isspace((unsigned char)*w); w++)
			;
		if (w == le || *w == '#')
			continue;
		entries++;
		for (e = w; e < le && !isspace((unsigned char)*e); e++)
			;
		at = memchr(w, '@', (size_t)(e - w));
		if (at == NULL || at == w || at == e - 1 ||
		    addr_canon(w, (size_t)(e - w), key, sizeof(key), &klen) !=
		    NULL)
			continue;
		while (e < le) {
			while (e < le && is_sep(*e))
				e++;
			for (w = e; e < le && !is_sep(*e); e++)
				;
			if (e == w || (size_t)(e - w) >= sizeof(login) - 3 ||
			    is_net(w, (size_t)(e - w)))
				continue;
			memcpy(login, w, (size_t)(e - w));
			login[e - w] = '\0';
			FUZZ_CHECK(loginmap_allows(m, key, login));
			for (i = 0; login[i] != '\0'; i++)
				login[i] = (char)toupper((unsigned char)login[i]);
			FUZZ_CHECK(loginmap_allows(m, key, login));
		}
	}
	FUZZ_CHECK(loginmap_size(m) == entries);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *file, *sp, *lp;
	size_t flen, slen, llen, klen, i;
	char *text, *sender, *login, *upper, key[ADDR_KEY_MAX];
	char *errors = (char *)"untouched";
	LOGINMAP *m;
	int ok;

	fuzz_split(&data, &size, &file, &flen);
	fuzz_split(&data, &size, &sp, &slen);
	lp = data;
	llen = size;
	text = fuzz_dup(file, flen);
	sender = fuzz_dup(sp, slen);
	login = fuzz_str(lp, llen);

	m = loginmap_parse(text, flen, "map", &errors);
	if (m == NULL) {
		FUZZ_CHECK(errors != NULL);
		fuzz_check_errors(errors, "map", fuzz_lines(text, flen), 0);
	} else {
		FUZZ_CHECK(errors == NULL);
		check_lines(m, text, flen);
	}
	if (addr_canon(sender, slen, key, sizeof(key), &klen) == NULL) {
		ok = loginmap_allows(m, key, login);
		if (login[0] == '\0' || login[strcspn(login, ", \t\r\n\v\f")] !=
		    '\0')
			FUZZ_CHECK(!ok);
		upper = fuzz_str(lp, llen);
		for (i = 0; upper[i] != '\0'; i++)
			upper[i] = (char)toupper((unsigned char)upper[i]);
		FUZZ_CHECK(loginmap_allows(m, key, upper) == ok);
		free(upper);
		FUZZ_CHECK(!loginmap_allows(NULL, key, login));
		(void)loginmap_allows_client(m, key, login);
		FUZZ_CHECK(!loginmap_allows_client(NULL, key, login));
	}
	free(errors);
	loginmap_free(m);
	free(login);
	free(sender);
	free(text);
	return 0;
}
