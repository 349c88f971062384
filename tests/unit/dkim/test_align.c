/*
 * test_align.c - unit tests for policy/dkim/align.c with Debian's public suffix
 * list: organisational domains (plain, multi-label suffixes, case,
 * trailing dot, a public suffix itself) and a table of From:, envelope
 * and DKIM domains with the expected verdict.
 */
#include <string.h>

#include "dkim/align.h"
#include "tap.h"

static const struct {
	const char *in, *org;
} orgs[] = {
	{ "example.com", "example.com" },
	{ "mail.news.example.com", "example.com" },
	{ "News.Example.CO.UK", "example.co.uk" },
	{ "example.co.uk.", "example.co.uk" },
	{ "co.uk", "co.uk" },
	{ "a.b.example.github.io", "example.github.io" },
};

static const struct {
	const char *from, *env, *dkim;
	int ok;
	const char *why;
} cases[] = {
	{ "example.com", "example.com", NULL, 1, "same domain" },
	{ "news.example.com", "bounce.example.com", NULL, 1,
	    "two subdomains of one organisation" },
	{ "example.com", "example.net", NULL, 0, "another organisation" },
	{ "example.co.uk", "other.co.uk", NULL, 0,
	    "neighbours under a multi-label suffix" },
	{ "alice.github.io", "bob.github.io", NULL, 0,
	    "neighbours under a private suffix" },
	{ "ceo.example.com", "esp.example", "mail.example.com", 1,
	    "aligned through the DKIM domain" },
	{ "bank.example", "esp.example", "esp.example", 0,
	    "neither envelope nor DKIM domain aligns" },
	{ "example.com", "", NULL, 0, "null sender and no DKIM" },
	{ "example.com", "", "example.com", 1, "null sender, DKIM aligns" },
	{ "", "example.com", NULL, 0, "no From: domain" },
	{ "EXAMPLE.com", "mail.example.COM", NULL, 1, "case" },
};

int
main(void)
{
	char out[ALIGN_DOMAIN_MAX];
	const char *d[1];
	size_t i;

	for (i = 0; i < sizeof(orgs) / sizeof(orgs[0]); i++) {
		align_orgdomain(orgs[i].in, out, sizeof(out));
		tap_str(out, orgs[i].org, "organisational domain of %s",
		    orgs[i].in);
	}
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		d[0] = cases[i].dkim;
		tap_int(align_check(cases[i].from, cases[i].env, d,
		    cases[i].dkim ? 1 : 0), cases[i].ok, "%s: From %s, "
		    "envelope %s, d=%s", cases[i].why, cases[i].from,
		    cases[i].env, cases[i].dkim ? cases[i].dkim : "-");
	}
	return tap_done();
}
