/*
 * test_dkimtag.c - unit tests for policy/dkim/dkimtag.c: a table of tag-lists,
 * the tag asked for, and the value or error expected.  Inputs come from
 * exact-length heap buffers (no NUL).
 */
#include <stdlib.h>
#include <string.h>

#include "dkim/dkimtag.h"
#include "tap.h"

static const struct {
	const char	*list, *tag, *want, *err;
} cases[] = {
	{ "v=1; a=rsa-sha256; d=example.com; s=sel", "d", "example.com", NULL },
	{ "v=1; a=rsa-sha256; d=example.com; s=sel", "s", "sel", NULL },
	{ "v=1;d=Example.COM;s=s1", "d", "Example.COM", NULL },
	{ " d = example.com ; s = sel ", "d", "example.com", NULL },
	{ "v=1; d=exa\r\n\tmple.com; s=sel", "d", "example.com", NULL },
	{ "v=1; b=abc\r\n def; d=x.y", "b", "abcdef", NULL },
	{ "v=1; s=sel;", "s", "sel", NULL },
	{ "v=1;; s=sel", "s", "sel", NULL },
	{ "v=1; dd=wrong; d=right", "d", "right", NULL },
	{ "v=1; h=from:to; d=", "d", "", NULL },
	{ "v=1; s=sel", "d", NULL, "no such tag" },
	{ "", "d", NULL, "no such tag" },
	{ "v=1; garbage; d=x", "d", NULL, "malformed tag list" },
	{ "v=1; d", "d", NULL, "malformed tag list" },
};

int
main(void)
{
	char out[64], small[4];
	const char *err;
	size_t i, len;
	char *copy;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		len = strlen(cases[i].list);
		copy = malloc(len ? len : 1);
		memcpy(copy, cases[i].list, len);
		err = dkimtag_get(copy, len, cases[i].tag, out, sizeof(out));
		free(copy);
		if (cases[i].err != NULL)
			tap_str(err, cases[i].err, "\"%s\" tag %s: error",
			    cases[i].list, cases[i].tag);
		else
			tap_str(err ? err : out, cases[i].want,
			    "\"%s\" tag %s", cases[i].list, cases[i].tag);
	}
	err = dkimtag_get("d=example.com", 13, "d", small, sizeof(small));
	tap_str(err, "tag value too long", "value longer than the buffer");
	memset(small, 'x', sizeof(small));
	err = dkimtag_get("d=", 2, "d", small, 0);
	tap_ok(err != NULL && strcmp(err, "tag value too long") == 0 &&
	    small[0] == 'x', "empty value, no buffer: refused, nothing written");
	return tap_done();
}
