/*
 * test_signauth.c - unit tests for policy/dkim/signauth.c: a table of
 * addresses, logins and client addresses against one authorisation map
 * (logins, whole domains, client networks, subdomains, case, no map), and
 * a table of OnUnauthorizedFrom actions (the relay's key missing, or
 * aligned with the From: domain it may not sign for).
 */
#include <stdlib.h>
#include <string.h>

#include "dkim/signauth.h"
#include "tap.h"

static const char map[] =
    "# address          logins and client networks\n"
    "@a.example         alice\n"
    "@b.example         bob, 10.2.0.0/16\n"
    "ceo@c.example      carol 2001:db8:c::/48\n"
    "@d.example         192.0.2.7\n";

static const struct {
	const char *address, *login, *client;
	int want;
} cases[] = {
	{ "alice@a.example", "alice", "192.0.2.1", SIGNAUTH_LOGIN },
	{ "boss@a.example", "ALICE", "192.0.2.1", SIGNAUTH_LOGIN },
	{ "boss@b.example", "alice", "192.0.2.1", SIGNAUTH_DENIED },
	{ "boss@b.example", "bob", "192.0.2.1", SIGNAUTH_LOGIN },
	{ "boss@b.example", "", "10.2.3.4", SIGNAUTH_NETWORK },
	{ "boss@b.example", NULL, "10.2.3.4", SIGNAUTH_NETWORK },
	{ "boss@b.example", "alice", "10.2.3.4", SIGNAUTH_NETWORK },
	{ "boss@b.example", "", "10.3.0.1", SIGNAUTH_DENIED },
	{ "boss@b.example", "", "", SIGNAUTH_DENIED },
	{ "boss@a.example", "", "10.2.3.4", SIGNAUTH_DENIED },	/* b's net */
	{ "x@news.b.example", "bob", "10.2.3.4", SIGNAUTH_DENIED }, /* exact */
	{ "ceo@c.example", "carol", "", SIGNAUTH_LOGIN },
	{ "ceo@c.example", "", "2001:db8:c::25", SIGNAUTH_NETWORK },
	{ "cfo@c.example", "carol", "2001:db8:c::25", SIGNAUTH_DENIED },
	{ "x@d.example", "", "192.0.2.7", SIGNAUTH_NETWORK },
	{ "x@d.example", "", "192.0.2.8", SIGNAUTH_DENIED },
	{ "x@d.example", "192.0.2.7", "", SIGNAUTH_DENIED }, /* not a login */
	{ "x@e.example", "alice", "10.2.3.4", SIGNAUTH_DENIED },
};

static const struct {
	int result, on;
	const char *relay, *from;
	int want;
} acts[] = {
	{ SIGNAUTH_OPEN, SIGNAUTH_ON_REJECT, NULL, "b.example", SIGNAUTH_SIGN },
	{ SIGNAUTH_LOGIN, SIGNAUTH_ON_REJECT, NULL, "b.example",
	    SIGNAUTH_SIGN },
	{ SIGNAUTH_NETWORK, SIGNAUTH_ON_TEMPFAIL, NULL, "b.example",
	    SIGNAUTH_SIGN },
	{ SIGNAUTH_DENIED, SIGNAUTH_ON_REJECT, "relay.example", "b.example",
	    SIGNAUTH_REJECT },
	{ SIGNAUTH_DENIED, SIGNAUTH_ON_TEMPFAIL, "relay.example", "b.example",
	    SIGNAUTH_TEMPFAIL },
	{ SIGNAUTH_DENIED, SIGNAUTH_ON_UNSIGNED, "relay.example", "b.example",
	    SIGNAUTH_UNSIGNED },
	{ SIGNAUTH_DENIED, SIGNAUTH_ON_RELAY, "relay.example", "b.example",
	    SIGNAUTH_SIGN_RELAY },
	{ SIGNAUTH_DENIED, SIGNAUTH_ON_RELAY, NULL, "b.example",
	    SIGNAUTH_UNSIGNED },
	{ SIGNAUTH_DENIED, SIGNAUTH_ON_RELAY, "", "b.example",
	    SIGNAUTH_UNSIGNED },
	/* the relay's own domain is the forged From: one: no signature */
	{ SIGNAUTH_DENIED, SIGNAUTH_ON_RELAY, "relay.example", "relay.example",
	    SIGNAUTH_UNSIGNED },
	{ SIGNAUTH_DENIED, SIGNAUTH_ON_RELAY, "relay.example",
	    "news.relay.example", SIGNAUTH_UNSIGNED },
	{ SIGNAUTH_DENIED, 99, "relay.example", "b.example", SIGNAUTH_REJECT },
};

int
main(void)
{
	LOGINMAP *m;
	char *errors;
	size_t i;

	m = loginmap_parse(map, sizeof(map) - 1, "m", &errors);
	if (!tap_ok(m != NULL && errors == NULL, "the map parses"))
		return tap_done();
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		tap_str(signauth_result_name(signauth_check(m, cases[i].address,
		    cases[i].login, cases[i].client)),
		    signauth_result_name(cases[i].want), "%s by login %s from "
		    "%s", cases[i].address, cases[i].login ? cases[i].login :
		    "(none)", cases[i].client);
	tap_int(signauth_check(NULL, "boss@b.example", "alice", "10.9.9.9"),
	    SIGNAUTH_OPEN, "no map: open (every client signs for every "
	    "domain)");
	loginmap_free(m);
	for (i = 0; i < sizeof(acts) / sizeof(acts[0]); i++)
		tap_int(signauth_action(acts[i].result, acts[i].on,
		    acts[i].relay, acts[i].from), acts[i].want,
		    "result %d, on %d, relay %s, From: %s", acts[i].result,
		    acts[i].on, acts[i].relay ? acts[i].relay : "(none)",
		    acts[i].from);
	return tap_done();
}
