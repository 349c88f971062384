/*
 * test_compliance.c - unit tests for policy/shaping/compliance.c.
 *
 * Covers: what bulk mail lacks, as a table of header sets (no
 * List-Unsubscribe, mailto only, https, One-Click value variants); the
 * text naming what is missing; templates: checks (https, unknown
 * variables, characters), expansion with percent-encoding in URLs and
 * ':' replaced in header values, %{rcpt} with no single recipient, a
 * result too long.
 */
#include <stdio.h>
#include <string.h>

#include "shaping/compliance.h"
#include "tap.h"

static const struct {
	const char	*unsub, *post;
	int		 missing;
} sets[] = {
	{ NULL, NULL, COMPLIANCE_NO_UNSUBSCRIBE | COMPLIANCE_NO_HTTPS |
	    COMPLIANCE_NO_ONE_CLICK },
	{ "<mailto:u@example.com>", NULL, COMPLIANCE_NO_HTTPS |
	    COMPLIANCE_NO_ONE_CLICK },
	{ "<mailto:u@example.com>, <https://example.com/u?x=1>", NULL,
	    COMPLIANCE_NO_ONE_CLICK },
	{ "< HTTPS://example.com/u>", "List-Unsubscribe=One-Click", 0 },
	{ "<https://example.com/u>", "  list-unsubscribe=one-click ", 0 },
	{ "<https://example.com/u>", "List-Unsubscribe=One-Click; x",
	    COMPLIANCE_NO_ONE_CLICK },
	{ "<http://example.com/u>", "List-Unsubscribe=One-Click",
	    COMPLIANCE_NO_HTTPS },
	{ "<https://>", "List-Unsubscribe=One-Click", COMPLIANCE_NO_HTTPS },
	/* a '<' last once made the scan read past the value's end */
	{ "<mailto:u@example.com> <", "List-Unsubscribe=One-Click",
	    COMPLIANCE_NO_HTTPS },
	{ "<https://example.com/u> < \t", NULL, COMPLIANCE_NO_ONE_CLICK },
};

static void
test_missing(void)
{
	COMPLIANCE_MSG m;
	char text[200];
	size_t i;

	for (i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		compliance_init(&m);
		compliance_header(&m, "Subject", "news");
		if (sets[i].unsub != NULL)
			compliance_header(&m, "list-unsubscribe", sets[i].unsub);
		if (sets[i].post != NULL)
			compliance_header(&m, "List-Unsubscribe-Post",
			    sets[i].post);
		tap_int(compliance_missing(&m), sets[i].missing,
		    "List-Unsubscribe %s, -Post %s: missing bits",
		    sets[i].unsub ? sets[i].unsub : "(none)",
		    sets[i].post ? sets[i].post : "(none)");
	}
	compliance_missing_text(COMPLIANCE_NO_UNSUBSCRIBE | COMPLIANCE_NO_HTTPS |
	    COMPLIANCE_NO_ONE_CLICK, text, sizeof(text));
	tap_str(text, "List-Unsubscribe (with an https URI) and "
	    "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
	    "the text names both headers");
	compliance_missing_text(COMPLIANCE_NO_HTTPS, text, sizeof(text));
	tap_str(text, "an https URI in List-Unsubscribe", "... or the URI");
	compliance_missing_text(COMPLIANCE_NO_ONE_CLICK, text, sizeof(text));
	tap_str(text, "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
	    "... or the One-Click header");
}

static void
test_templates(void)
{
	COMPLIANCE_VARS v = { "news+x@example.com", "example.com", "bulk",
	    "bob@example.org" };
	char out[300], tiny[20];

	tap_ok(compliance_template_check("https://u.example.com/%{sender}/"
	    "%{rcpt}?c=%{class}&d=%{domain}", 1) == NULL, "a good URL template");
	tap_ok(compliance_template_check("http://u.example.com/", 1) != NULL,
	    "a URL template must be https");
	tap_ok(compliance_template_check("https://u/%{user}", 1) != NULL,
	    "an unknown variable is refused");
	tap_ok(compliance_template_check("https://u/a b", 1) != NULL,
	    "white space is refused");
	tap_ok(compliance_template_check("https://u/<a>", 1) != NULL,
	    "angle brackets are refused in a URL");
	tap_ok(compliance_template_check("%{class}:%{sender}:relay", 0) ==
	    NULL, "a good Feedback-ID template");
	tap_int(compliance_expand("https://u.example.com/%{sender}/%{rcpt}"
	    "?c=%{class}&x=%20", &v, 1, out, sizeof(out)), 0, "expand a URL");
	tap_str(out, "https://u.example.com/news%2Bx%40example.com/"
	    "bob%40example.org?c=bulk&x=%20", "... values percent-encoded, the "
	    "template's own text kept");
	tap_int(compliance_expand("%{class}:%{sender}:%{domain}:relay1", &v,
	    0, out, sizeof(out)), 0, "expand a Feedback-ID");
	tap_str(out, "bulk:news+x@example.com:example.com:relay1",
	    "... as it is (no ':' in the values)");
	v.sender = "a:b";
	compliance_expand("%{sender}:x", &v, 0, out, sizeof(out));
	tap_str(out, "a_b:x", "a ':' in a value becomes '_' in a header");
	v.rcpt = NULL;
	tap_int(compliance_expand("https://u/%{rcpt}", &v, 1, out,
	    sizeof(out)), -2, "%%{rcpt} without exactly one recipient: -2");
	tap_int(compliance_expand("https://u/%{sender}/%{domain}", &v, 1, tiny,
	    sizeof(tiny)), -1, "a result too long: -1");
	tap_int(compliance_expand("", &v, 0, tiny, 0), -1, "no room even for "
	    "the NUL: -1 (nothing written)");
}

int
main(void)
{
	test_missing();
	test_templates();
	return tap_done();
}
