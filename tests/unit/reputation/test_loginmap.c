/*
 * test_loginmap.c - unit tests for policy/reputation/loginmap.c: a table of senders
 * and logins against one map (addresses, whole domains, local parts at
 * any domain, case, several logins a line, commas and spaces), a table
 * of senders and client addresses against its networks, and a
 * table of bad maps with their "name:line: message" errors.
 */
#include <stdlib.h>
#include <string.h>

#include "reputation/loginmap.h"
#include "tap.h"

static const char map[] =
    "# sender            logins\n"
    "alice@example.com   alice\n"
    "@example.org        bob, carol\n"
    "Sales@              dave erin\n"
    "shared@example.com  alice,bob\n"
    "@example.io         10.2.0.0/16, frank 2001:db8::/32\n"
    "ops@example.io      192.0.2.7\n"
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
	{ "bob@example.io", "frank", 1 },
	{ "bob@example.io", "10.2.0.0/16", 0 },	/* a network, not a login */
	{ "ops@example.io", "192.0.2.7", 0 },
	{ "ops@example.io", "frank", 0 },	/* its own line decides */
};

/* Client networks: the entry that decides for the sender lists them. */
static const struct {
	const char *sender, *client;
	int ok;
} clients[] = {
	{ "bob@example.io", "10.2.3.4", 1 },
	{ "bob@example.io", "10.3.0.1", 0 },
	{ "bob@example.io", "2001:db8::25", 1 },
	{ "bob@example.io", "::ffff:10.2.0.9", 1 },
	{ "bob@example.io", "192.0.2.7", 0 },
	{ "ops@example.io", "192.0.2.7", 1 },
	{ "ops@example.io", "10.2.3.4", 0 },	/* its own line decides */
	{ "alice@example.com", "10.2.3.4", 0 },	/* no network listed */
	{ "x@sub.example.io", "10.2.3.4", 0 },
	{ "bob@example.io", "", 0 },
	{ "bob@example.io", "not-an-ip", 0 },
};

static const struct {
	const char *text, *err;
} bad[] = {
	{ "alice@example.com\n",
	    "m:1: no login or network for \"alice@example.com\"" },
	{ "@example.com 10.0.0.0/33\n", "m:1: " },
	{ "@example.com alice 10.0.0.1/8\n", "m:1: " },	/* host bits */
	{ "@example.com 300.1.2.3\n", "m:1: " },
	{ "@example.com fe80::zz\n", "m:1: " },
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
	tap_int((long long)loginmap_size(m), 6, "six entries");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		tap_int(loginmap_allows(m, cases[i].sender, cases[i].login),
		    cases[i].ok, "%s as %s: %s", cases[i].login,
		    cases[i].sender, cases[i].ok ? "allowed" : "refused");
	tap_int(loginmap_allows(m, "alice@example.com", ""), 0,
	    "an empty login: refused");
	tap_int(loginmap_allows(NULL, "alice@example.com", "alice"), 0,
	    "no map: nothing is allowed by it");
	for (i = 0; i < sizeof(clients) / sizeof(clients[0]); i++)
		tap_int(loginmap_allows_client(m, clients[i].sender,
		    clients[i].client), clients[i].ok, "client %s for %s: %s",
		    clients[i].client, clients[i].sender, clients[i].ok ?
		    "allowed" : "refused");
	tap_int(loginmap_allows_client(NULL, "bob@example.io", "10.2.3.4"),
	    0, "no map: no client is allowed by it");
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
