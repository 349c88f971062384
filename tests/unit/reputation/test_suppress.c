/*
 * test_suppress.c - unit tests for policy/reputation/suppress.c and
 * policy/reputation/suppress_csv.c.
 *
 * Covers: entries put, read and checked, global before the sender's own,
 * scopes kept apart, expiry at the second, removal, a damaged value, the
 * sweep of expired entries a slice at a time resuming where it stopped;
 * CSV lines as a table (address alone, every field, quoting, bad
 * reasons, scopes, times and addresses) and export's format read back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"
#include "reputation/suppress.h"
#include "reputation/suppress_csv.h"
#include "tap.h"

#define T0	1795860000LL

struct op {
	const char	*scope, *addr, *sender;
	SUPPRESS_ENTRY	 e;
	int64_t		 now;
	int		 rc;
	long		 n;
	SUPPRESS_SWEEP	 sw;
};

static int
put_fn(STORE_TXN *t, void *ctx)
{
	struct op *o = ctx;

	return suppress_put(t, o->scope, o->addr, &o->e);
}

static int
check_fn(STORE_TXN *t, void *ctx)
{
	struct op *o = ctx;

	o->rc = suppress_check(t, o->sender, o->addr, o->now, &o->e);
	return 0;
}

static int
del_fn(STORE_TXN *t, void *ctx)
{
	struct op *o = ctx;

	o->rc = suppress_del(t, o->scope, o->addr);
	return 0;
}

static int
sweep_fn(STORE_TXN *t, void *ctx)
{
	struct op *o = ctx;

	o->n = suppress_sweep(t, o->now, 3, &o->sw);
	return o->n < 0 ? STORE_ERROR : 0;
}

static int
count_cb(const SUPPRESS_ENTRY *e, void *ctx)
{
	(void)e;
	++*(int *)ctx;
	return 0;
}

static int
count_fn(STORE_TXN *t, void *ctx)
{
	*(int *)ctx = 0;
	return suppress_list(t, count_cb, ctx);
}

static int
entries(STORE *st)
{
	char err[256];
	int n = 0;

	store_read(st, count_fn, &n, err, sizeof(err));
	return n;
}

static void
put(STORE *st, const char *scope, const char *addr, int reason,
    int64_t expires)
{
	struct op o;
	char err[256] = "";

	memset(&o, 0, sizeof(o));
	o.scope = scope;
	o.addr = addr;
	o.e.reason = reason;
	o.e.time = T0;
	o.e.expires = expires;
	snprintf(o.e.source, sizeof(o.e.source), "test %s", addr);
	if (store_write(st, put_fn, &o, err, sizeof(err)) != 0)
		tap_ok(0, "put %s: %s", addr, err);
}

/* 0 suppressed (the entry's scope in *scope), else STORE_NOTFOUND */
static int
check(STORE *st, const char *sender, const char *addr, int64_t now,
    char *scope)
{
	struct op o;
	char err[256];

	memset(&o, 0, sizeof(o));
	o.sender = sender;
	o.addr = addr;
	o.now = now;
	store_read(st, check_fn, &o, err, sizeof(err));
	if (scope != NULL)
		snprintf(scope, SENDER_KEY_MAX, "%s", o.e.scope);
	return o.rc;
}

static int
damage_fn(STORE_TXN *t, void *ctx)
{
	(void)ctx;
	return store_put(t, STORE_DB_SUPPRESS, "0123456789abcdef", 16,
	    "\x01\x09garbage", 9);
}

static void
test_store(STORE *st)
{
	char scope[SENDER_KEY_MAX], err[256] = "";
	struct op o;
	int i;

	put(st, "", "gone@example.org", SUPPRESS_HARD, T0 + 100);
	put(st, "alice@example.com", "angry@example.org", SUPPRESS_COMPLAINT,
	    0);
	put(st, "", "angry@example.org", SUPPRESS_MANUAL, 0);
	tap_int(check(st, "bob@example.com", "gone@example.org", T0, scope),
	    0, "a global entry holds for any sender");
	tap_int(check(st, "bob@example.com", "gone@example.org", T0 + 99,
	    NULL), 0, "... until the second before it expires");
	tap_int(check(st, "bob@example.com", "gone@example.org", T0 + 100,
	    NULL), STORE_NOTFOUND, "... and not from its expiry on");
	tap_int(check(st, "alice@example.com", "angry@example.org", T0,
	    scope), 0, "suppressed both globally and for alice");
	tap_str(scope, "", "... the global entry is found first");
	put(st, "", "only-alice@example.org", SUPPRESS_MANUAL, 0);
	memset(&o, 0, sizeof(o));
	o.scope = "";
	o.addr = "only-alice@example.org";
	store_write(st, del_fn, &o, err, sizeof(err));
	tap_int(o.rc, 0, "del of an entry");
	put(st, "alice@example.com", "only-alice@example.org", SUPPRESS_HARD,
	    0);
	tap_int(check(st, "alice@example.com", "only-alice@example.org", T0,
	    scope), 0, "a sender's entry holds for that sender");
	tap_str(scope, "alice@example.com", "... found in its scope");
	tap_int(check(st, "bob@example.com", "only-alice@example.org", T0,
	    NULL), STORE_NOTFOUND, "... and not for another sender");
	tap_int(check(st, "", "only-alice@example.org", T0, NULL),
	    STORE_NOTFOUND, "... nor for no sender");
	tap_int(check(st, "alice@example.com", "Only-Alice@example.org", T0,
	    NULL), STORE_NOTFOUND, "the address is the canonical key as given "
	    "(callers canonicalise)");
	store_write(st, del_fn, &o, err, sizeof(err));
	tap_int(o.rc, STORE_NOTFOUND, "del of a missing entry: not found");

	/* a damaged value: listed as nothing, swept away */
	store_write(st, damage_fn, NULL, err, sizeof(err));
	tap_int(entries(st), 4, "list: four entries, the damaged one skipped");

	/* the sweep: budget 3 a call, resuming where it stopped */
	for (i = 0; i < 7; i++) {
		char a[64];

		snprintf(a, sizeof(a), "old%d@example.org", i);
		put(st, "", a, SUPPRESS_HARD, T0 + 10);
	}
	memset(&o, 0, sizeof(o));
	o.now = T0 + 200;
	long total = 0;
	int calls = 0;

	do {
		store_write(st, sweep_fn, &o, err, sizeof(err));
		total += o.n;
		calls++;
	} while (o.sw.atlen != 0 && calls < 20);
	tap_int(calls, 5, "sweep of 13 entries, 3 at a time: 5 calls to "
	    "cover them");
	tap_int(total, 9, "sweep: the 7 old, the expired and the damaged "
	    "entry removed");
	tap_int(entries(st), 3, "sweep: the 3 without expiry stay");
}

static const struct csv_case {
	const char	*line;
	const char	*err;		/* a part of it, NULL if good */
	const char	*addr, *scope, *source;
	int		 reason;
	int64_t		 time, expires;
} csv_cases[] = {
#define BAD(line, err)	{ line, err, NULL, NULL, NULL, 0, 0, 0 }
	{ "Bob@Example.COM\n", NULL, "bob@example.com", "", "",
	    SUPPRESS_MANUAL, 0, 0 },
	{ "  bob@example.com  \r\n", NULL, "bob@example.com", "", "",
	    SUPPRESS_MANUAL, 0, 0 },
	{ "bob@example.com,hard-bounce", NULL, "bob@example.com", "", "",
	    SUPPRESS_HARD, 0, 0 },
	{ "bob@example.com,complaint,Alice@Example.com,"
	    "2026-11-28T10:00:00Z,never,from the old system", NULL,
	    "bob@example.com", "alice@example.com", "from the old system",
	    SUPPRESS_COMPLAINT, T0, 0 },
	{ "bob@example.com,manual,,2026-11-28T10:00:00Z,"
	    "2026-11-28T11:00:00Z,\"a, b \"\"c\"\"\"", NULL,
	    "bob@example.com", "", "a, b \"c\"", SUPPRESS_MANUAL, T0,
	    T0 + 3600 },
	{ "\"\"\"q, r\"\"@example.com\",hard-bounce", NULL,
	    "\"q, r\"@example.com", "", "", SUPPRESS_HARD, 0, 0 },
	/* exported quoted, else import would skip it as a comment */
	{ "#x@example.com,,#scope@example.com", NULL, "#x@example.com",
	    "#scope@example.com", "", SUPPRESS_MANUAL, 0, 0 },
	BAD("", "no address"),
	BAD(",hard-bounce", "no address"),
	BAD("<>", "null sender"),
	BAD("bad@@example.com", "bad address"),
	BAD("bob@example.com,soft", "bad reason"),
	BAD("bob@example.com,manual,a b", "bad scope"),
	BAD("bob@example.com,manual,,yesterday", "bad since"),
	BAD("bob@example.com,manual,,2026-13-01T00:00:00Z", "bad since"),
	BAD("bob@example.com,manual,,2026-04-31T00:00:00Z", "bad since"),
	BAD("bob@example.com,manual,,,tomorrow", "bad expires"),
	BAD("bob@example.com,manual,,,,x,extra", "more than six fields"),
	BAD("\"bob@example.com", "not closed"),
	BAD("\"bob\"x@example.com", "text after a quoted field"),
	BAD("bo\"b@example.com", "quote inside an unquoted field"),
	BAD("bob@example.com,manual,,,,\"a\rb\"\n", "line break inside"),
};

static void
test_csv(void)
{
	char out[2048];
	SUPPRESS_ENTRY e, back;
	const char *err;
	size_t i;

	for (i = 0; i < sizeof(csv_cases) / sizeof(csv_cases[0]); i++) {
		const struct csv_case *c = &csv_cases[i];

		err = suppress_csv_parse(c->line, strlen(c->line), &e);
		if (c->err != NULL) {
			tap_ok(err != NULL && strstr(err, c->err) != NULL,
			    "csv %zu: error \"%s\" (got \"%s\")", i, c->err,
			    err ? err : "none");
			continue;
		}
		tap_ok(err == NULL && strcmp(e.addr, c->addr) == 0 &&
		    strcmp(e.scope, c->scope) == 0 &&
		    strcmp(e.source, c->source) == 0 &&
		    e.reason == c->reason && e.time == c->time &&
		    e.expires == c->expires,
		    "csv %zu: %s / %s / %s / %s (err %s)", i, e.addr,
		    suppress_reason_name(e.reason), e.scope, e.source,
		    err ? err : "none");
		/* export's line reads back as the same entry */
		if (e.time == 0)
			e.time = T0;
		suppress_csv_format(&e, out, sizeof(out));
		err = suppress_csv_parse(out, strlen(out), &back);
		tap_ok(!suppress_csv_skip(out, strlen(out)) && err == NULL &&
		    strcmp(back.addr, e.addr) == 0 &&
		    strcmp(back.scope, e.scope) == 0 &&
		    strcmp(back.source, e.source) == 0 &&
		    back.reason == e.reason && back.time == e.time &&
		    back.expires == e.expires, "csv %zu: exported as \"%s\", "
		    "read back the same", i, out);
	}
	tap_ok(suppress_csv_skip("# comment\n", 10) &&
	    suppress_csv_skip("  \n", 3) &&
	    suppress_csv_skip(SUPPRESS_CSV_HEADER "\n",
	    strlen(SUPPRESS_CSV_HEADER) + 1) &&
	    !suppress_csv_skip("a@b.c\n", 6), "csv: comments, blank lines and "
	    "the header are skipped, addresses not");
}

int
main(void)
{
	char dir[] = "/tmp/test_suppress.XXXXXX", err[256], cmd[64];
	STORE *st;

	test_csv();
	if (mkdtemp(dir) == NULL) {
		tap_ok(0, "mkdtemp");
		return tap_done();
	}
	if ((st = store_open(dir, NULL, err, sizeof(err))) == NULL)
		tap_ok(0, "store_open: %s", err);
	else {
		test_store(st);
		store_close(st);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		tap_ok(0, "rm -rf %s", dir);
	return tap_done();
}
