/*
 * test_bounce.c - unit tests for policy/retpath/bounce*.c, mime.c and
 * bouncerules.c over the corpus in tests/bounce/corpus, classified by
 * contrib/bounce-rules.
 *
 * A table (bounce_corpus.h) gives, for every corpus message, the type,
 * whether the token is found, the returned message's Message-ID, the
 * feedback type and each recipient as "address status action reason
 * class".  Every message is also parsed from every truncation of itself
 * (a result, never a crash: run under ASan/UBSan by contrib/test.sh) and
 * fed through BOUNCE_BUF split at every chunk boundary (which must keep
 * the same octets) and in 1-octet chunks (parsed: the same result as the
 * whole).  A table of rule lines checks the rules' errors; MIME helpers
 * are checked on their own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "retpath/bounce.h"
#include "retpath/bouncerules.h"
#include "retpath/mime.h"
#include "tap.h"

#include "bounce_corpus.h"

#define TOKEN "016b1d0f8a0123456789abcdef0123456789abcdef0123"


static char *
slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf;

	if (fp == NULL)
		return NULL;
	buf = malloc(1 << 20);
	*len = fread(buf, 1, 1 << 20, fp);
	fclose(fp);
	return buf;
}

/* One line that says everything about a result, to compare results. */
static void
summary(const BOUNCE *b, char *out, size_t size)
{
	size_t i, n;

	n = (size_t)snprintf(out, size, "%s tok=%s id=%s fb=%s:",
	    bounce_type_name(b->type), b->token, b->message_id,
	    b->feedback_type);
	for (i = 0; i < b->nrcpts && n < size; i++)
		n += (size_t)snprintf(out + n, size - n, "%s%s %s %s %s",
		    i ? "|" : "", b->rcpts[i].address, b->rcpts[i].status,
		    b->rcpts[i].action, b->rcpts[i].cls);
}

/* A type we know, recipients with an address, a class and a status
 * that is empty or d.d.d. */
static int
well_formed(const BOUNCE *b)
{
	size_t i;
	const char *s;

	if (b->type > BOUNCE_AUTOREPLY || b->nrcpts > BOUNCE_RCPTS_MAX)
		return 0;
	for (i = 0; i < b->nrcpts; i++) {
		s = b->rcpts[i].status;
		if (strchr(b->rcpts[i].address, '@') == NULL ||
		    b->rcpts[i].cls == NULL ||
		    (s[0] != '\0' && (s[1] != '.' || strchr(s + 2, '.') ==
		    NULL)))
			return 0;
	}
	return 1;
}

static void
rcpts(const BOUNCE *b, char *out, size_t size)
{
	size_t i, n = 0;

	out[0] = '\0';
	for (i = 0; i < b->nrcpts && n < size; i++)
		n += (size_t)snprintf(out + n, size - n, "%s%s %s %s %s %s",
		    i ? "|" : "", b->rcpts[i].address, b->rcpts[i].status,
		    b->rcpts[i].action, b->rcpts[i].reason, b->rcpts[i].cls);
}

static void
test_rules(void)
{
	static const struct {
		const char *text, *err;
	} bad[] = {
		{ "hard status ^5\\.1\\.1$\nbogus status x\n",
		    "r:2: unknown reason \"bogus\"" },
		{ "hard color x\n", "r:1: unknown field \"color\"" },
		{ "hard status\n", "r:1: no pattern" },
		{ "hard status (unclosed\n", "r:1: bad pattern \"(unclosed\"" },
		/* regcomp() would unroll these into gigabytes */
		{ "hard any null mx++++++++++++++++++++++++++++++++++++++\n",
		    "r:1: pattern \"null mx+++" },
		{ "hard any ((x{99}){99}){,99}\n", "r:1: pattern \"((x{99})" },
		{ "hard any ox*?+?*?+?*?+?*?+?*?+?*?+?*?+?*?+?*?+?*?+?*?+?*?\n",
		    "r:1: pattern \"ox*?+" },	/* stacked: exponential */
		{ "hard any (((((((((((((((((((((((((((((x+)+)+)+)+)+)+)+)+)+)+)"
		    "+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)\n", "r:1: pattern" },
		{ "# only a comment\n\n", NULL },
	};
	static const char four[] = "quota status ^5\\.2\\.2$\n"
	    "policy diagnostic spamhaus\nhard any 5\\.\n"
	    "spam-content diagnostic viagra\n";
	BOUNCE_RULES *r;
	char *errors;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = bouncerules_parse(bad[i].text, strlen(bad[i].text), "r",
		    &errors);
		if (bad[i].err == NULL)
			tap_ok(r != NULL && errors == NULL &&
			    bouncerules_count(r) == 0, "rules: comments and "
			    "empty lines only: no rules, no error");
		else
			tap_ok(r == NULL && errors != NULL &&
			    strncmp(errors, bad[i].err, strlen(bad[i].err)) ==
			    0, "rules error: %s (got %s)", bad[i].err,
			    errors ? errors : "none");
		free(errors);
		bouncerules_free(r);
	}
	r = bouncerules_parse(four, sizeof(four) - 1, "r", &errors);
	tap_ok(r != NULL && bouncerules_count(r) == 4, "four rules parse");
	tap_str(bouncerules_classify(r, "5.2.2", "", ""), "mailbox-full",
	    "rules: first match decides (legacy class quota: mailbox-full)");
	tap_str(bouncerules_classify(r, "5.7.1", "listed at SPAMHAUS", ""),
	    "policy-other", "rules: case-insensitive diagnostic (legacy "
	    "policy: policy-other)");
	tap_str(bouncerules_classify(r, "5.4.0", "", ""), "user-unknown",
	    "rules: 'any' matches the status (legacy hard: user-unknown)");
	tap_str(bouncerules_classify(r, "4.4.1", "", ""), "unknown",
	    "rules: no match is unknown");
	bouncerules_free(r);
	r = bouncerules_parse("spam-content diagnostic viagra\n", 31, "r",
	    &errors);
	tap_str(bouncerules_classify(r, "5.1.1", "buy viagra", ""),
	    "spam-content", "rules: a reason rule");
	bouncerules_add_builtin(r);
	tap_ok(bouncerules_count(r) > 20 && strcmp(bouncerules_classify(r,
	    "5.1.1", "buy viagra", ""), "spam-content") == 0 &&
	    strcmp(bouncerules_classify(r, "5.1.1", "", ""), "user-unknown") ==
	    0, "the operator's rules first, then the built-in ones (%zu)",
	    bouncerules_count(r));
	bouncerules_free(r);
	tap_str(bouncerules_classify(NULL, "5.1.1", "", ""), "user-unknown",
	    "no rules given: the built-in ones");
	tap_str(bouncerules_classify(NULL, "5.1.1", "550 5.1.1 "
	    "<spam-filtered@example.org>: Recipient address rejected: User "
	    "unknown", ""), "user-unknown", "the words of an address are not "
	    "the receiver's (spam-filtered@...: user-unknown)");
	tap_str(bouncerules_classify(NULL, "5.7.1", "550 5.7.1 <x@y.example>: "
	    "Recipient address rejected: Access denied", ""), "policy-other",
	    "Postfix's \"Recipient address rejected:\" is followed, not "
	    "taken for a dead address");
	tap_str(bouncerules_classify(NULL, "5.1.1", "550 5.7.1 Service "
	    "unavailable; client [192.0.2.1] blocked using zen.spamhaus.org",
	    ""), "blocked", "a text that says blocked wins over 5.1.1");
	tap_str(bouncerules_classify(NULL, "5.7.1", "550 5.7.1 No such user "
	    "here", ""), "user-unknown", "a text that says the user is "
	    "unknown wins over a generic 5.7.1");
	tap_str(bouncerules_classify(NULL, "5.1.3", "553 5.1.3 https://check."
	    "spamhaus.org/listed/?searchterm=192.0.2.7", ""), "blocked",
	    "a URL's host is read (a blocklist's page), its path is not");
	tap_str(bouncerules_classify(NULL, "5.1.1", "550 see https://help."
	    "example/errors/user-unknown-or-spam", ""), "user-unknown",
	    "a URL's path is not read (the status decides)");
	tap_str(bouncerules_classify(NULL, "5.0.0", "Name service error for "
	    "domain d.example: Host not found, try again", ""), "system-error",
	    "Postfix's \"Host not found, try again\": a DNS failure for now");
	tap_str(bouncerules_classify(NULL, "5.0.0", "Command died with "
	    "status 1: procmail: No such user \"tom\"", ""), "system-error",
	    "a local delivery program's failure is the receiver's trouble");
	tap_str(bouncerules_classify(NULL, "5.0.0", "550 Ip frequency limited. "
	    "Blocked IP 192.0.2.7", ""), "rate-limited", "QQ mail's "
	    "\"frequency limited\": a rate limit, however worded");
	tap_str(bouncerules_classify(NULL, "5.5.0", "550 5.5.0 The recipient "
	    "account is blocked.", ""), "mailbox-disabled", "\"the recipient "
	    "account is blocked\": the mailbox, not the sender");
	tap_str(bouncerules_classify(NULL, "5.4.6", "refused to accept your "
	    "message: [554 5.4.6 Hop count exceeded - possible mail loop]", ""),
	    "system-error", "a mail loop, whoever refused it");
	tap_str(bouncerules_classify(NULL, "5.0.0", "an MX or SRV record "
	    "indicated no SMTP service", ""), "host-unknown", "Exim's null "
	    "MX text: a domain that takes no mail");
	r = bouncerules_builtin();
	tap_ok(r != NULL && bouncerules_count(r) > 20, "the built-in rules "
	    "parse (%zu)", bouncerules_count(r));
	bouncerules_free(r);
	tap_str(bouncerules_class("user-unknown"), "hard", "class of "
	    "user-unknown: hard");
	tap_str(bouncerules_class("blocked"), "policy", "class of blocked: "
	    "policy");
	tap_str(bouncerules_class("mailbox-full"), "quota", "class of "
	    "mailbox-full: quota");
	tap_str(bouncerules_class("expired"), "soft", "class of expired: "
	    "soft");
	tap_str(bouncerules_class("no-such-reason"), "unknown", "class of an "
	    "unknown name: unknown");
}

static void
test_mime(void)
{
	static const char m[] = "Subject: a\r\n  folded\tvalue\r\n"
	    "Content-Type: multipart/mixed;\r\n boundary=\"b b\"\r\n\r\n"
	    "pre\r\n--b b\r\nContent-Type: text/plain\r\n\r\none\r\n"
	    "--b b\r\n\r\ntwo\r\n--b b--\r\nepilogue\r\n";
	MIME_PART p, k[4];
	char v[64];
	size_t n;

	mime_split(m, sizeof(m) - 1, &p);
	tap_ok(mime_field(&p, "subject", v, sizeof(v)) == NULL &&
	    strcmp(v, "a folded value") == 0, "mime: a folded field is "
	    "unfolded (%s)", v);
	tap_str(mime_field(&p, "Subjec", v, sizeof(v)), "no such field",
	    "mime: a name prefix is not a match");
	mime_field(&p, "Content-Type", v, sizeof(v));
	tap_ok(mime_param(v, "boundary", v, sizeof(v)) == NULL &&
	    strcmp(v, "b b") == 0, "mime: quoted boundary with a space");
	n = mime_children(&p, k, 4);
	tap_ok(n == 2 && k[0].blen == 3 && memcmp(k[0].body, "one", 3) == 0 &&
	    k[1].hlen == 0 && k[1].blen == 3, "mime: two parts, preamble and "
	    "epilogue left out");
	n = mime_children(&p, k, 1);
	tap_int((long long)n, 1, "mime: at most max parts");
	mime_words("=?utf-8?Q?Resposta_autom=C3=A1tica:?= =?ISO-8859-1?B?"
	    "UmU6?= x", v, sizeof(v));
	tap_str(v, "Resposta autom\xc3\xa1tica:Re: x", "mime: encoded words "
	    "(Q and B) decoded, the space between two of them dropped");
	mime_words("=?utf-8?X?bad?= plain =?", v, sizeof(v));
	tap_str(v, "=?utf-8?X?bad?= plain =?", "mime: what is no encoded "
	    "word stays as it is");
}

int
main(void)
{
	char path[1024], want[2048], got[4096], whole[4096], part[4096];
	const char *top = getenv("TOP_SRCDIR") ? getenv("TOP_SRCDIR") : ".";
	char *errors, *msg;
	BOUNCE_RULES *rules;
	BOUNCE b;
	BOUNCE_BUF bb;
	size_t i, len = 0, cut, bad, split;
	int ok;

	snprintf(path, sizeof(path), "%s/contrib/bounce-rules", top);
	rules = bouncerules_load(path, &errors);
	if (!tap_ok(rules != NULL, "contrib/bounce-rules loads (%zu rules)",
	    bouncerules_count(rules))) {
		printf("# %s", errors ? errors : "");
		return tap_done();
	}
	test_rules();
	test_mime();
	for (i = 0; i < sizeof(corpus) / sizeof(corpus[0]); i++) {
		snprintf(path, sizeof(path), "%s/tests/bounce/corpus/%s.eml",
		    top, corpus[i].file);
		if (!tap_ok((msg = slurp(path, &len)) != NULL, "%s: read",
		    corpus[i].file))
			continue;
		bounce_parse(msg, len, "rp", "bounce.example.com", rules, &b);
		rcpts(&b, got, sizeof(got));
		ok = strcmp(bounce_type_name(b.type), corpus[i].type) == 0 &&
		    (corpus[i].token ? strcmp(b.token, TOKEN) == 0 :
		    b.token[0] == '\0') &&
		    strcmp(b.message_id, corpus[i].message_id) == 0 &&
		    strcmp(b.feedback_type, corpus[i].feedback) == 0 &&
		    strcmp(got, corpus[i].rcpts) == 0;
		snprintf(want, sizeof(want), "%s tok=%d id=%s fb=%s: %s",
		    corpus[i].type, corpus[i].token, corpus[i].message_id,
		    corpus[i].feedback, corpus[i].rcpts);
		tap_ok(ok, "%s: %s", corpus[i].file, want);
		if (!ok) {
			summary(&b, whole, sizeof(whole));
			printf("#   got: %s\n", whole);
		}
		summary(&b, whole, sizeof(whole));

		/* every truncation: a well-formed result, never a crash */
		for (bad = 0, cut = 0; cut < len; cut++) {
			bounce_parse(msg, cut, "rp", "bounce.example.com",
			    rules, &b);
			if (!well_formed(&b))
				bad++;
		}
		tap_int((long long)bad, 0, "%s: all %zu truncations give a "
		    "well-formed result", corpus[i].file, len);

		/* fed in chunks: the same octets, so (the parser being a
		 * function of them) the same result, parsed once below */
		for (bad = 0, split = 0; split <= len; split++) {
			memset(&bb, 0, sizeof(bb));
			bounce_buf_add(&bb, msg, split);
			bounce_buf_add(&bb, msg + split, len - split);
			if (bb.len != len || memcmp(bb.buf, msg, len) != 0)
				bad++;
			bounce_buf_free(&bb);
		}
		memset(&bb, 0, sizeof(bb));
		for (cut = 0; cut < len; cut++)
			bounce_buf_add(&bb, msg + cut, 1);
		bounce_parse(bb.buf, bb.len, "rp", "bounce.example.com", rules,
		    &b);
		summary(&b, part, sizeof(part));
		bounce_buf_free(&bb);
		tap_ok(bad == 0 && strcmp(part, whole) == 0, "%s: split at "
		    "each of %zu boundaries and in 1-octet chunks: the same "
		    "result", corpus[i].file, len + 1);
		free(msg);
	}

	/* a huge message: only the first BOUNCE_SCAN_MAX octets count */
	memset(&bb, 0, sizeof(bb));
	msg = malloc(1 << 20);
	memset(msg, 'x', 1 << 20);
	for (i = 0; i < 3; i++)
		bounce_buf_add(&bb, msg, 1 << 20);
	tap_ok(bb.len == BOUNCE_SCAN_MAX && bb.dropped == (3u << 20) -
	    BOUNCE_SCAN_MAX, "3 MiB fed: %d kept, the rest counted",
	    BOUNCE_SCAN_MAX);
	bounce_parse(bb.buf, bb.len, "rp", "bounce.example.com", rules, &b);
	tap_str(bounce_type_name(b.type), "not-bounce", "3 MiB of 'x': "
	    "not a bounce");
	bounce_buf_free(&bb);
	free(msg);
	bouncerules_free(rules);
	return tap_done();
}
