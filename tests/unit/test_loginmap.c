/*
 * test_loginmap.c - unit tests for policy/loginmap.c: a table of senders
 * and logins against one map (addresses, whole domains, local parts at
 * any domain, case, several logins a line, commas and spaces), and a
 * table of bad maps with their "name:line: message" errors.
 */
#include <stdlib.h>
#include <string.h>

#include "loginmap.h"
#include "tap.h"

static const char map[] =
    "# sender            logins\n"
    "alice@example.com   alice\n"
    "@example.org        bob, carol\n"
    "Sales@              dave erin\n"
    "shared@example.com  alice,bob\n"
    "\n";

static const struct {
	const char *sender, *login;
	int ok;
} cases[] = {
	{ "alice@example.com", "alice", 1 },
	{ "alice@example.com", "ALICE", 1 },
	{ "alice@example.com", "bob", 0 },
	{ "alice@example.com", "alic", 0 },
	{ "anyone@example.org", "bob", 1 },
	{ "anyone@example.org", "carol", 1 },
	{ "anyone@example.org", "alice", 0 },
	{ "x@sub.example.org", "bob", 0 },	/* no subdomains */
	{ "sales@example.net", "dave", 1 },
	{ "sales@example.net", "erin", 1 },
	{ "sales@example.net", "alice", 0 },
	{ "shared@example.com", "bob", 1 },
	{ "shared@example.com", "alice", 1 },
	{ "shared@example.com", "alice,bob", 0 },	/* not two logins */
	{ "shared@example.com", "alice bob", 0 },
	{ "nobody@example.com", "alice", 0 },	/* not listed: nobody */
	{ "bob@example.net", "bob", 0 },
};

static const struct {
	const char *text, *err;
} bad[] = {
	{ "alice@example.com\n", "m:1: no login for \"alice@example.com\"" },
	{ "ok@example.com a\nnot-an-address b\n",
	    "m:2: expected user@domain, @domain or user@" },
	{ "a@@b x\n", "m:1: not an address" },
	{ "@example.com a\n@EXAMPLE.com b\n",
	    "m:2: \"@example.com\" is already listed" },
};

int
main(void)
{
	LOGINMAP *m;
	char *errors;
	size_t i;

	m = loginmap_parse(map, sizeof(map) - 1, "m", &errors);
	if (!tap_ok(m != NULL && errors == NULL, "the map parses (%zu "
	    "entries)", loginmap_size(m)))
		return tap_done();
	tap_int((long long)loginmap_size(m), 4, "four entries");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		tap_int(loginmap_allows(m, cases[i].sender, cases[i].login),
		    cases[i].ok, "%s as %s: %s", cases[i].login,
		    cases[i].sender, cases[i].ok ? "allowed" : "refused");
	tap_int(loginmap_allows(m, "alice@example.com", ""), 0,
	    "an empty login: refused");
	tap_int(loginmap_allows(NULL, "alice@example.com", "alice"), 0,
	    "no map: nothing is allowed by it");
	loginmap_free(m);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		m = loginmap_parse(bad[i].text, strlen(bad[i].text), "m",
		    &errors);
		tap_ok(m == NULL && errors != NULL && strncmp(errors,
		    bad[i].err, strlen(bad[i].err)) == 0, "error: %s (got %s)",
		    bad[i].err, errors ? errors : "none");
		free(errors);
		loginmap_free(m);
	}
	return tap_done();
}
