/*
 * test_tclass.c - unit tests for policy/shaping/tclass.c: the traffic class of a
 * message, as a table of headers, sender and rules against the class and
 * the rule that decided it.
 */
#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "shaping/tclass.h"

static const TCLASS_RULES rules = {
	"X-Mail-Class",
	"news@example.com, bulk.example.net",
	"alerts.example.net receipts@example.com"
};

static const struct {
	const char	*headers;	/* "Name: value\n" lines */
	const char	*sender;
	int		 cls;
	const char	*why;
} cases[] = {
	{ "Subject: your password\n", "app@example.com",
	    TCLASS_TRANSACTIONAL, "default" },
	{ "Precedence: bulk\n", "app@example.com", TCLASS_BULK,
	    "Precedence: bulk" },
	{ "precedence:   LIST  \n", "app@example.com", TCLASS_BULK,
	    "Precedence: LIST" },
	{ "Precedence: junk\n", "app@example.com", TCLASS_BULK,
	    "Precedence: junk" },
	{ "Precedence: first-class\n", "app@example.com",
	    TCLASS_TRANSACTIONAL, "default" },
	{ "List-Id: <news.example.com>\n", "app@example.com", TCLASS_BULK,
	    "List-Id" },
	{ "List-Unsubscribe: <https://example.com/u>\n", "app@example.com",
	    TCLASS_BULK, "List-Unsubscribe" },
	{ "X-Mail-Class: transactional\nList-Unsubscribe: <x>\n",
	    "news@example.com", TCLASS_TRANSACTIONAL,
	    "X-Mail-Class: transactional" },
	{ "X-Mail-Class: BULK\n", "receipts@example.com", TCLASS_BULK,
	    "X-Mail-Class: bulk" },
	{ "X-Mail-Class: urgent\nPrecedence: bulk\n", "app@example.com",
	    TCLASS_BULK, "Precedence: bulk" },
	{ "X-Mail-Class: bulk\nX-Mail-Class: transactional\n",
	    "app@example.com", TCLASS_BULK, "X-Mail-Class: bulk" },
	{ "Precedence: bulk\nPrecedence: first-class\n", "app@example.com",
	    TCLASS_BULK, "Precedence: bulk" },
	{ "Subject: hi\n", "news@example.com", TCLASS_BULK,
	    "bulk sender list" },
	{ "Subject: hi\n", "anyone@bulk.example.net", TCLASS_BULK,
	    "bulk sender list" },
	{ "Subject: hi\n", "x@mail.bulk.example.net", TCLASS_BULK,
	    "bulk sender list" },
	{ "Subject: hi\n", "x@notbulk.example.net", TCLASS_TRANSACTIONAL,
	    "default" },
	{ "Subject: hi\n", "news@example.org", TCLASS_TRANSACTIONAL,
	    "default" },
	{ "Precedence: bulk\n", "ops@alerts.example.net",
	    TCLASS_TRANSACTIONAL, "transactional sender list" },
	{ "Precedence: bulk\n", "receipts@example.com", TCLASS_TRANSACTIONAL,
	    "transactional sender list" },
	{ "Subject: hi\n", "bulk.example.net", TCLASS_BULK,
	    "bulk sender list" },		/* SenderKey envelope-domain */
	{ "", NULL, TCLASS_TRANSACTIONAL, "default" },
};

int
main(void)
{
	char name[64], value[256], why[128];
	const char *p, *colon, *nl;
	TCLASS_MSG m;
	size_t i;
	int cls;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tclass_init(&m);
		for (p = cases[i].headers; (nl = strchr(p, '\n')) != NULL;
		    p = nl + 1) {
			colon = strchr(p, ':');
			snprintf(name, sizeof(name), "%.*s", (int)(colon - p),
			    p);
			snprintf(value, sizeof(value), "%.*s",
			    (int)(nl - colon - 1), colon + 1);
			tclass_header(&m, &rules, name, value);
		}
		cls = tclass_decide(&m, &rules, cases[i].sender, why,
		    sizeof(why));
		tap_ok(cls == cases[i].cls && strcmp(why, cases[i].why) == 0,
		    "case %zu (%s): %s because \"%s\" (got %s, \"%s\")", i,
		    cases[i].sender ? cases[i].sender : "no sender",
		    tclass_name(cases[i].cls), cases[i].why, tclass_name(cls),
		    why);
	}
	{
		TCLASS_RULES none = { NULL, NULL, NULL };

		tclass_init(&m);
		tclass_header(&m, &none, "X-Mail-Class", "bulk");
		cls = tclass_decide(&m, &none, "a@b.example", why, sizeof(why));
		tap_ok(cls == TCLASS_TRANSACTIONAL && !strcmp(why, "default"),
		    "no class header configured: X-Mail-Class means nothing");
	}
	return tap_done();
}
