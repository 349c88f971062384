/*
 * test_domlimit.c - unit tests for policy/shaping/domlimit.c.
 *
 * Covers: a file with shared and per-sender limits, a group of domains
 * sharing one bucket, "*" for every other domain; lookups without case;
 * bucket names; every error at its line (bad domain, bad rule, "*" in a
 * group, a domain given twice).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shaping/domlimit.h"
#include "tap.h"

static const char good[] =
    "# receivers\n"
    "gmail.com,googlemail.com  300/1m burst 50\n"
    "\n"
    "Yahoo.com   100/1m\n"
    "yahoo.com   10/1m per-sender\n"
    "*           1000/1m\n";

static void
test_good(void)
{
	const DOMLIMIT *hit[2];
	char *errors = NULL, name[600];
	DOMLIMITS *d = domlimit_parse(good, strlen(good), "limits", &errors);
	size_t n;

	tap_ok(d != NULL && errors == NULL, "a good file parses (%s)",
	    errors ? errors : "no errors");
	if (d == NULL)
		return;
	tap_int((long long)domlimit_size(d), 4, "4 limits");
	n = domlimit_find(d, "googlemail.com", hit);
	tap_ok(n == 1 && strcmp(hit[0]->group, "gmail.com") == 0 &&
	    hit[0]->rule.tokens == 300 && hit[0]->rule.burst == 50,
	    "googlemail.com: the gmail.com group's limit, 300/1m burst 50");
	domlimit_bucket(hit[0], "googlemail.com", "alice", name, sizeof(name));
	tap_str(name, "domain:gmail.com", "... one bucket for the group");
	n = domlimit_find(d, "yahoo.com", hit);
	tap_ok(n == 2 && !hit[0]->per_sender && hit[1]->per_sender &&
	    hit[1]->rule.tokens == 10, "yahoo.com (written Yahoo.com): a shared "
	    "and a per-sender limit");
	domlimit_bucket(hit[1], "yahoo.com", "alice@example.com", name,
	    sizeof(name));
	tap_str(name, "domain:yahoo.com:sender:alice@example.com",
	    "... the per-sender one is the sender's own bucket");
	n = domlimit_find(d, "example.org", hit);
	tap_ok(n == 1 && strcmp(hit[0]->group, "*") == 0 &&
	    hit[0]->rule.tokens == 1000, "example.org: the \"*\" limit");
	domlimit_bucket(hit[0], "example.org", "alice", name, sizeof(name));
	tap_str(name, "domain:example.org", "... in a bucket of its own");
	domlimit_free(d);
	d = domlimit_parse("gmail.com 1/1s\n", 15, "limits", &errors);
	tap_int((long long)domlimit_find(d, "example.org", hit), 0,
	    "without \"*\" other domains have no limit");
	domlimit_free(d);
}

static const struct {
	const char	*text, *err;
} bad[] = {
	{ "gmail.com\n", "limits:1: expected a number" },
	{ "x\ngmail..com 1/1s\n", "limits:1: expected a number" },
	{ "a.com 1/1s\ngmail..com 1/1s\n", "limits:2: not a domain" },
	{ "a.com 1/1s\nb.com 0/1s\n", "limits:2: a rate of 0" },
	{ "a.com,* 1/1s\n", "limits:1: \"*\" stands alone" },
	{ "a.com 1/1s\nb.com 2/1s\nA.com 3/1s\n",
	    "limits:3: \"a.com\" already has a limit (line 1)" },
	{ "a.com 1/1s per-sender\na.com 3/1s per-sender\n",
	    "limits:2: \"a.com\" already has a per-sender limit (line 1)" },
	{ "a.com 1/1s burst 2 per-sender extra\n", "limits:1: " },
	{ "a.com 1/9d\n", "limits:1: the bucket would take longer" },
};

static void
test_bad(void)
{
	char *errors;
	DOMLIMITS *d;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errors = NULL;
		d = domlimit_parse(bad[i].text, strlen(bad[i].text), "limits",
		    &errors);
		tap_ok(d == NULL && errors != NULL && strstr(errors,
		    bad[i].err) != NULL, "bad file %zu: \"%s\" (got \"%s\")",
		    i + 1, bad[i].err, errors ? errors : "(parsed)");
		domlimit_free(d);
		free(errors);
	}
}

int
main(void)
{
	test_good();
	test_bad();
	return tap_done();
}
