/*
 * test_rpaccount.c - unit tests for policy/retpath/rpaccount.c, on a real LMDB
 * store in a temporary directory.
 *
 * What one token can change: 40 forged DSNs naming made-up recipients
 * count nothing and suppress nobody; a table of reports about messages
 * of 3, 1, no and 60 recipients (case and angle brackets, Original-
 * Recipient, delays and failures, ARF reports naming a recipient,
 * someone else or nobody, a record without recipients, one with more
 * recipients than it lists, no record, repguard's own 451) gives each
 * entry its verdict, suppression only for listed recipients, the
 * sender's counts exactly; 300 random reports about a message of 3
 * recipients make at most 3 hard events; a token's report limit and
 * its forwards stop where they should, and a refused report changes
 * nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/addr.h"
#include "retpath/bevent.h"
#include "retpath/rpaccount.h"
#include "retpath/rprecord.h"
#include "reputation/sender.h"
#include "store/store.h"
#include "reputation/suppress.h"
#include "tap.h"

#define T0	1795860000LL

static STORE *st;
static RPACCOUNT_RULES ru;
static REP_RULES rules;

struct rec_ctx {
	uint64_t	 id;
	RPRECORD	*r;
};

static int
rec_fn(STORE_TXN *t, void *ctx)
{
	struct rec_ctx *c = ctx;

	return rprecord_put(t, c->id, c->r);
}

/* A record of sender with nrcpts recipients "PREFIXi@example.org", of
 * which listed are on its list. */
static void
record(uint64_t id, const char *sender, const char *prefix, int nrcpts,
    int listed)
{
	struct rec_ctx c;
	char a[64], err[256];
	RPRECORD r;
	int i;

	memset(&r, 0, sizeof(r));
	r.created = T0;
	r.expires = T0 + 14 * 86400;
	snprintf(r.sender, sizeof(r.sender), "%s", sender);
	snprintf(r.from, sizeof(r.from), "%s@a.example", sender);
	snprintf(r.qid, sizeof(r.qid), "Q%llu", (unsigned long long)id);
	for (i = 0; i < listed; i++) {
		snprintf(a, sizeof(a), "%s%d@example.org", prefix, i);
		rprecord_add(&r, a);
	}
	r.nrcpts = (unsigned long)nrcpts;
	c.id = id;
	c.r = &r;
	if (store_write(st, rec_fn, &c, err, sizeof(err)) != 0)
		fprintf(stderr, "record: %s\n", err);
	rprecord_clear(&r);
}

struct acct_ctx {
	uint64_t		 id;
	const BOUNCE		*b;
	RPACCOUNT_RESULT	*res;
};

static int
acct_fn(STORE_TXN *t, void *ctx)
{
	struct acct_ctx *a = ctx;

	return rpaccount_report(t, &ru, a->id, a->b, T0 + 60, a->res);
}

/*
 * Fill b from "FINAL|ORIGINAL|STATUS|CLASS[|DIAGNOSTIC];..." (an empty
 * spec: no entries).
 */
static void
bounce_from(BOUNCE *b, enum bounce_type type, const char *spec)
{
	static const char *const classes[] = {
		"hard", "soft", "quota", "policy", "complaint", "unknown"
	};
	static const char *const reasons[] = {	/* one of each class */
		"user-unknown", "system-error", "mailbox-full", "blocked",
		"complaint", "unknown"
	};
	char buf[2048], *entry, *save, *f[5];
	BOUNCE_RCPT *r;
	size_t i, k;

	memset(b, 0, sizeof(*b));
	b->type = type;
	snprintf(b->feedback_type, sizeof(b->feedback_type), "abuse");
	snprintf(buf, sizeof(buf), "%s", spec);
	for (entry = strtok_r(buf, ";", &save); entry != NULL;
	    entry = strtok_r(NULL, ";", &save)) {
		r = &b->rcpts[b->nrcpts++];
		for (i = 0; i < 5; i++) {
			f[i] = entry;
			entry = entry ? strchr(entry, '|') : NULL;
			if (entry != NULL)
				*entry++ = '\0';
		}
		snprintf(r->address, sizeof(r->address), "%s", f[0]);
		snprintf(r->original, sizeof(r->original), "%s",
		    f[1] ? f[1] : "");
		snprintf(r->status, sizeof(r->status), "%s", f[2] ? f[2] : "");
		snprintf(r->diagnostic, sizeof(r->diagnostic), "%s",
		    f[4] ? f[4] : "");
		for (k = 0; k < sizeof(classes) / sizeof(classes[0]); k++)
			if (f[3] != NULL && strcmp(f[3], classes[k]) == 0) {
				r->cls = classes[k];
				r->reason = reasons[k];
			}
	}
}

/* Account for a report; the verdicts as "counted+s,not-recipient". */
static int
account(uint64_t id, enum bounce_type type, const char *spec, char *out,
    size_t outsize, RPACCOUNT_RESULT *res)
{
	struct acct_ctx a;
	char err[256];
	BOUNCE *b = calloc(1, sizeof(*b));
	size_t i, n = 0;
	int rc;

	bounce_from(b, type, spec);
	a.id = id;
	a.b = b;
	a.res = res;
	rc = store_write(st, acct_fn, &a, err, sizeof(err));
	out[0] = '\0';
	for (i = 0; i < res->nrcpts && n < outsize; i++)
		n += (size_t)snprintf(out + n, outsize - n, "%s%s%s%s",
		    i ? "," : "", rpaccount_verdict_name(res->verdict[i]),
		    res->unlisted[i] ? "+u" : "", res->suppressed[i] ? "+s" :
		    "");
	free(b);
	return rc;
}

struct look {
	const char	*sender, *addr;
	SENDER_COUNTS	 c;
	int		 suppressed;
	SENDER_STATE	 s;
	int		 have_state;
};

static int
look_fn(STORE_TXN *t, void *ctx)
{
	struct look *l = ctx;
	SUPPRESS_ENTRY e;

	memset(&l->c, 0, sizeof(l->c));
	if (l->sender != NULL) {
		if (sender_window(t, l->sender, 86400, T0 + 120, &l->c) != 0)
			return 1;
		l->have_state = sender_get(t, l->sender, &l->s) == 0;
	}
	if (l->addr != NULL)
		l->suppressed = suppress_check(t, "", l->addr, T0 + 120, &e) ==
		    0;
	return 0;
}

static struct look
look(const char *sender, const char *addr)
{
	struct look l;
	char err[256];

	memset(&l, 0, sizeof(l));
	l.sender = sender;
	l.addr = addr;
	if (store_read(st, look_fn, &l, err, sizeof(err)) != 0)
		fprintf(stderr, "look: %s\n", err);
	return l;
}

static const struct {
	const char		*what;
	uint64_t		 id;
	enum bounce_type	 type;
	const char		*spec;
	const char		*want;
} steps[] = {
	{ "a DSN for a recipient", 1, BOUNCE_DSN,
	    "r0@example.org||5.1.1|hard", "counted+s" },
	{ "the same bounce in another case", 1, BOUNCE_DSN,
	    "R0@EXAMPLE.ORG||5.1.1|hard", "known" },
	{ "... in angle brackets, another status", 1, BOUNCE_NONDSN,
	    "<r0@example.org>||5.1.2|hard|another wrapping", "known" },
	{ "... as a quota failure: still a failure", 1, BOUNCE_DSN,
	    "r0@example.org||5.2.2|quota", "known" },
	{ "a delay for the same recipient: another kind", 1, BOUNCE_DSN,
	    "r0@example.org||4.4.1|soft", "counted" },
	{ "Original-Recipient names the recipient", 1, BOUNCE_DSN,
	    "alias@fwd.example|r1@example.org|5.1.1|hard", "counted+s" },
	{ "a recipient and a stranger", 1, BOUNCE_DSN,
	    "r2@example.org||5.1.1|hard;fake@example.org||5.1.1|hard",
	    "counted+s,not-recipient" },
	{ "the recipient again", 1, BOUNCE_DSN, "r2@example.org||5.1.1|hard",
	    "known" },
	{ "an address that is no address", 1, BOUNCE_NONDSN,
	    "not an address||5.1.1|hard", "not-recipient" },
	{ "an ARF report about a stranger", 1, BOUNCE_ARF,
	    "complainer@isp.example|||complaint", "not-recipient" },
	{ "an ARF report about a recipient", 1, BOUNCE_ARF,
	    "r2@example.org|||complaint", "counted+s" },
	{ "an ARF report naming nobody (3 recipients)", 1, BOUNCE_ARF, "",
	    "counted+u" },
	{ "... again", 1, BOUNCE_ARF, "", "known+u" },
	{ "an ARF report naming nobody (1 recipient)", 2, BOUNCE_ARF, "",
	    "counted+s" },
	{ "a record without recipients: one address", 3, BOUNCE_DSN,
	    "x@example.net||5.1.1|hard", "counted+u" },
	{ "... another address: the message's one failure is known", 3,
	    BOUNCE_DSN, "y@example.net||5.1.1|hard", "known+u" },
	{ "60 recipients, 50 listed: a listed one", 4, BOUNCE_DSN,
	    "d3@example.org||5.1.1|hard", "counted+s" },
	{ "... one of the 10 not listed", 4, BOUNCE_DSN,
	    "d55@example.org||5.1.1|hard", "counted+u" },
	{ "... another one", 4, BOUNCE_DSN, "d57@example.org||5.1.1|hard",
	    "known+u" },
	{ "60 recipients: an ARF report naming nobody", 4, BOUNCE_ARF, "",
	    "counted+u" },
	{ "... then one naming an unlisted one: the same complaint", 4,
	    BOUNCE_ARF, "d58@example.org|||complaint", "known+u" },
	{ "no record for the token", 999, BOUNCE_DSN,
	    "r0@example.org||5.1.1|hard", "no-record" },
	{ "repguard's own 451", 1, BOUNCE_DSN, "r0@example.org||4.7.1|policy|"
	    "451 4.7.1 sender alice is paused until 2026-12-01", "ours" },
	{ "a policy bounce of a recipient", 4, BOUNCE_DSN,
	    "d4@example.org||5.7.1|policy", "counted" },
};

int
main(void)
{
	char dir[256], err[256], cmd[300], got[512], a[64];
	RPACCOUNT_RESULT *res = calloc(1, sizeof(*res));
	STORE_OPTS so;
	struct look l;
	size_t i;
	int k, bad, hard;

	snprintf(dir, sizeof(dir), "%s/test_rpaccount.XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(dir) == NULL)
		return 1;
	memset(&so, 0, sizeof(so));
	if ((st = store_open(dir, NULL, err, sizeof(err))) == NULL) {
		tap_ok(0, "store_open: %s", err);
		return tap_done();
	}
	rep_rules_default(&rules);
	memset(&ru, 0, sizeof(ru));
	ru.suppression = RPACCOUNT_SUPPRESS_GLOBAL;
	ru.keep_hard = 90 * 86400;
	ru.keep_complaint = 365 * 86400;
	ru.rules = &rules;

	record(1, "alice", "r", 3, 3);
	record(2, "bob", "solo", 1, 1);
	record(3, "carol", "c", 0, 0);
	record(4, "dave", "d", 60, 50);

	/* one hostile recipient, 40 DSNs naming made-up recipients */
	for (bad = 0, k = 1; k <= 40; k++) {
		char spec[128];

		snprintf(spec, sizeof(spec), "fake%d@example.org||5.1.1|hard",
		    k);
		if (account(1, BOUNCE_DSN, spec, got, sizeof(got), res) != 0 ||
		    strcmp(got, "not-recipient") != 0)
			bad++;
		snprintf(a, sizeof(a), "fake%d@example.org", k);
		bad += look(NULL, a).suppressed;
	}
	tap_int(bad, 0, "40 forged DSNs: each not a recipient, none "
	    "suppressed");
	l = look("alice", NULL);
	tap_ok(l.c.n[SENDER_HARD] == 0 && (!l.have_state ||
	    l.s.state == SENDER_ACTIVE), "... the sender has no hard bounce "
	    "and is not paused");

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		k = account(steps[i].id, steps[i].type, steps[i].spec, got,
		    sizeof(got), res);
		tap_ok(k == 0 && strcmp(got, steps[i].want) == 0,
		    "%s: %s (%s)", steps[i].what, got, steps[i].want);
	}

	l = look("alice", NULL);
	tap_ok(l.c.n[SENDER_HARD] == 3 && l.c.n[SENDER_SOFT] == 1 &&
	    l.c.n[SENDER_COMPLAINTS] == 2, "alice: 3 hard, 1 soft, 2 "
	    "complaints (%llu, %llu, %llu)",
	    (unsigned long long)l.c.n[SENDER_HARD],
	    (unsigned long long)l.c.n[SENDER_SOFT],
	    (unsigned long long)l.c.n[SENDER_COMPLAINTS]);
	tap_ok(look(NULL, "r0@example.org").suppressed &&
	    look(NULL, "r1@example.org").suppressed &&
	    look(NULL, "r2@example.org").suppressed &&
	    look(NULL, "solo0@example.org").suppressed &&
	    look(NULL, "d3@example.org").suppressed,
	    "suppressed: the listed recipients that hard-bounced or "
	    "complained");
	tap_ok(!look(NULL, "fake@example.org").suppressed &&
	    !look(NULL, "alias@fwd.example").suppressed &&
	    !look(NULL, "complainer@isp.example").suppressed &&
	    !look(NULL, "x@example.net").suppressed &&
	    !look(NULL, "d55@example.org").suppressed,
	    "not suppressed: strangers, the forwarding address, addresses a "
	    "record cannot vouch for");
	l = look("carol", NULL);
	tap_int((long long)l.c.n[SENDER_HARD], 1, "carol (a record without "
	    "recipients): one hard bounce");
	l = look("dave", NULL);
	tap_ok(l.c.n[SENDER_HARD] == 2 && l.c.n[SENDER_POLICY] == 1 &&
	    l.c.n[SENDER_BLOCKED] == 1, "dave: 2 hard (one listed, one "
	    "unlisted), 1 policy, which a block (reason blocked) counts in the "
	    "block rate too");
	l = look("alice", NULL);
	tap_int((long long)l.c.n[SENDER_BLOCKED], 0, "alice: nothing blocked");

	/* whatever arrives, a message of 3 recipients has 3 failures */
	record(5, "erin", "e", 3, 3);
	srand(7);
	for (bad = 0, k = 0; k < 300; k++) {
		char spec[256];
		static const char *const forms[][2] = {
			{ "e", "@example.org" }, { "E", "@Example.ORG" },
			{ "<e", "@example.org>" }, { "fake", "@example.org" },
			{ "e", "@example.org.evil" }
		};
		int f = rand() % 5;

		snprintf(a, sizeof(a), "%s%d%s", forms[f][0], rand() % 3,
		    forms[f][1]);
		snprintf(spec, sizeof(spec), "%s||5.%d.1|hard|try %d", a,
		    rand() % 8, k);
		bad += account(5, rand() % 2 ? BOUNCE_DSN : BOUNCE_NONDSN,
		    spec, got, sizeof(got), res) != 0;
	}
	l = look("erin", NULL);
	hard = (int)l.c.n[SENDER_HARD];
	tap_ok(bad == 0 && hard == 3, "300 random reports about a message of "
	    "3 recipients: %d hard events", hard);

	/* a token's report limit and its forwards */
	ru.reports_per_rcpt = 3;
	ru.forward = 1;
	record(6, "frank", "f", 2, 2);
	for (bad = 0, k = 0; k < 6; k++) {
		snprintf(a, sizeof(a), "fake%d@example.org||5.1.1|hard", k);
		bad += account(6, BOUNCE_DSN, a, got, sizeof(got), res) != 0 ||
		    res->limit != 6 || res->forward != (k < 2);
	}
	tap_int(bad, 0, "2 recipients, 3 reports each: 6 taken, the first 2 "
	    "forwarded");
	k = account(6, BOUNCE_DSN, "f0@example.org||5.1.1|hard", got,
	    sizeof(got), res);
	tap_ok(k == 0 && strcmp(got, "over-limit") == 0 && !res->forward &&
	    res->over && res->record.reports == 6, "the 7th report, though "
	    "genuine: %s, not forwarded, not written", got);
	tap_ok(look("frank", NULL).c.n[SENDER_HARD] == 0 &&
	    !look(NULL, "f0@example.org").suppressed,
	    "... counted nothing, suppressed nobody");
	ru.reports_per_rcpt = 0;
	k = account(6, BOUNCE_DSN, "f0@example.org||5.1.1|hard", got,
	    sizeof(got), res);
	tap_ok(k == 0 && strcmp(got, "counted+s") == 0 && !res->forward,
	    "without a limit it counts; forwards stay at one per recipient");
	k = account(999, BOUNCE_DSN, "f1@example.org||5.1.1|hard", got,
	    sizeof(got), res);
	tap_ok(k == 0 && !res->forward && !res->have_record &&
	    !look(NULL, "f1@example.org").suppressed,
	    "no record: not forwarded, not suppressed");

	rprecord_clear(&res->record);
	free(res);
	store_close(st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return tap_done();
}
