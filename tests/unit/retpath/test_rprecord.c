/*
 * test_rprecord.c - unit tests for policy/retpath/rprecord.c and tally_put(), on a
 * real LMDB store in a temporary directory.
 *
 * A record goes in (through the tally's group commit, as the milter
 * writes it) and comes back field by field, with 60 recipients of which
 * the first 50 are kept; a record whose recipients do not all fit keeps
 * as many as fit; every truncation of a good value and a wrong version
 * read as damaged, never a crash; an unknown id is not found; the sweep
 * drops expired and damaged records only, within its budget, and its
 * cursor goes round; the paced sweep goes on chunk after chunk to the end
 * of a pass when it has the time, and does one chunk when it has none;
 * a message's recipients past the first 50 are kept as hashes, so a
 * record says which addresses were its recipients (and "unknown" when its
 * list is short: too many recipients, version 1 records).  Version 1
 * values still read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "retpath/rprecord.h"
#include "store/store.h"
#include "reputation/tally.h"
#include "tap.h"

struct get_ctx {
	uint64_t	 id;
	RPRECORD	 r;
	int		 rc;
};

static int
get_fn(STORE_TXN *t, void *ctx)
{
	struct get_ctx *g = ctx;

	g->rc = rprecord_get(t, g->id, &g->r);
	return 0;
}

static int
get(STORE *st, uint64_t id, RPRECORD *r)
{
	struct get_ctx g;
	char err[256];

	memset(&g, 0, sizeof(g));
	g.id = id;
	if (store_read(st, get_fn, &g, err, sizeof(err)) != 0)
		return -100;
	*r = g.r;
	return g.rc;
}

struct raw_ctx {
	const void	*key, *val;
	size_t		 klen, vlen;
};

static int
raw_fn(STORE_TXN *t, void *ctx)
{
	struct raw_ctx *p = ctx;

	return store_put(t, STORE_DB_RETURNPATH, p->key, p->klen, p->val,
	    p->vlen);
}

static void
raw_put(STORE *st, const void *key, size_t klen, const void *val,
    size_t vlen)
{
	struct raw_ctx p = { key, val, klen, vlen };
	char err[256];

	if (store_write(st, raw_fn, &p, err, sizeof(err)) != 0)
		fprintf(stderr, "raw put: %s\n", err);
}

struct sweep_ctx {
	int64_t		 now;
	long		 budget, removed;
	uint64_t	 cursor;
};

static int
sweep_fn(STORE_TXN *t, void *ctx)
{
	struct sweep_ctx *s = ctx;

	s->removed = rprecord_sweep(t, s->now, s->budget, &s->cursor);
	return s->removed < 0 ? 1 : 0;
}

/* ids first..first+n-1, every fifth one live (expires 5000), the rest
 * expired at 1500, in one transaction */
struct fill_ctx {
	uint64_t	 first;
	long		 n;
};

static void make(RPRECORD *, int64_t, int64_t, int);
static void listing(STORE *);

static int
fill_fn(STORE_TXN *t, void *ctx)
{
	struct fill_ctx *f = ctx;
	unsigned char key[RPRECORD_KEY_LEN], val[512];
	RPRECORD r;
	size_t n;
	long i;

	for (i = 0; i < f->n; i++) {
		make(&r, 1000, i % 5 == 0 ? 5000 : 1500, 1);
		n = rprecord_encode(f->first + (uint64_t)i, &r, key, val,
		    sizeof(val));
		rprecord_clear(&r);
		if (n == 0 || store_put(t, STORE_DB_RETURNPATH, key,
		    sizeof(key), val, n) != 0)
			return 1;
	}
	return 0;
}

static int
count_one(const void *k, size_t kl, const void *v, size_t vl, void *ctx)
{
	(void)k; (void)kl; (void)v; (void)vl;
	(*(long *)ctx)++;
	return 0;
}

static int
count_fn(STORE_TXN *t, void *ctx)
{
	*(long *)ctx = 0;
	return store_scan(t, STORE_DB_RETURNPATH, NULL, 0, NULL, 0, count_one,
	    ctx) != 0;
}

static long
count(STORE *st)
{
	char err[256];
	long n = -1;

	if (store_read(st, count_fn, &n, err, sizeof(err)) != 0)
		return -1;
	return n;
}

static void
make(RPRECORD *r, int64_t created, int64_t expires, int nrcpt)
{
	char a[64];
	int i;

	memset(r, 0, sizeof(*r));
	r->created = created;
	r->expires = expires;
	snprintf(r->sender, sizeof(r->sender), "alice");
	snprintf(r->from, sizeof(r->from), "alice@example.com");
	snprintf(r->qid, sizeof(r->qid), "4XyZ12");
	for (i = 0; i < nrcpt; i++) {
		snprintf(a, sizeof(a), "r%d@example.org", i);
		rprecord_add(r, a);
	}
}

/* A version 1 value, as written before hashes and report counts:
 * created 1000, expires 2000, sender "alice", no from or queue id, nrcpts
 * recipients of which the first kept ("r0@example.org", ...). */
static size_t
v1_value(unsigned char *v, int nrcpts, int kept)
{
	static const unsigned char head[] = {
		1,				/* version */
		0, 0, 0, 0, 0, 0, 0x03, 0xe8,	/* created */
		0, 0, 0, 0, 0, 0, 0x07, 0xd0,	/* expires */
		0, 5, 'a', 'l', 'i', 'c', 'e',	/* sender */
		0, 0,				/* from */
		0, 0				/* queue id */
	};
	size_t n = sizeof(head);
	int i;

	memcpy(v, head, n);
	v[n++] = 0;
	v[n++] = 0;
	v[n++] = 0;
	v[n++] = (unsigned char)nrcpts;
	v[n++] = 0;
	v[n++] = (unsigned char)kept;
	for (i = 0; i < kept; i++) {
		v[n++] = 0;
		v[n++] = 14;
		memcpy(v + n, "r0@example.org", 14);
		v[n + 1] = (unsigned char)('0' + i);
		n += 14;
	}
	return n;
}

/*
 * Which addresses a record vouches for: all of a message's recipients
 * (texts, then hashes), none else; an incomplete list says "unknown".
 */
static void
listing(STORE *st)
{
	unsigned char key[RPRECORD_KEY_LEN], *val;
	char a[64];
	RPRECORD r, g;
	size_t n;
	int i, bad;

	val = malloc(RPRECORD_VALUE_MAX);
	make(&r, 1000, 2000, 1200);
	tap_ok(r.nkept == 50 && r.nhashes == 1150, "1,200 recipients: 50 "
	    "as text, 1,150 as hashes");
	n = rprecord_encode(20, &r, key, val, RPRECORD_VALUE_MAX);
	raw_put(st, key, sizeof(key), val, n);
	tap_ok(get(st, 20, &g) == 0 && g.nrcpts == 1200 && g.nkept == 50 &&
	    g.nhashes == 1150, "... read back: %zu octets", n);
	for (bad = 0, i = 0; i < 1200; i++) {
		snprintf(a, sizeof(a), "r%d@example.org", i);
		bad += rprecord_listed(&g, a) != RPRECORD_LISTED;
	}
	tap_int(bad, 0, "each of the 1,200 recipients is listed");
	tap_int(rprecord_listed(&g, "r1200@example.org"), RPRECORD_NOT_LISTED,
	    "an address that was not a recipient: not listed");
	tap_int(rprecord_listed(&g, "R7@example.org"), RPRECORD_NOT_LISTED,
	    "another case is another address here (callers canonicalise)");
	g.reports = 7;
	g.forwarded = 2;
	n = rprecord_encode(20, &g, key, val, RPRECORD_VALUE_MAX);
	raw_put(st, key, sizeof(key), val, n);
	rprecord_clear(&g);
	tap_ok(get(st, 20, &g) == 0 && g.reports == 7 && g.forwarded == 2 &&
	    g.nhashes == 1150, "report counts written back and read");
	rprecord_clear(&g);
	rprecord_clear(&r);

	make(&r, 1000, 2000, 5000);
	tap_ok(r.nrcpts == 5000 && r.nhashes == RPRECORD_HASHES_MAX,
	    "5,000 recipients: %d hashes kept", RPRECORD_HASHES_MAX);
	n = rprecord_encode(21, &r, key, val, RPRECORD_VALUE_MAX);
	raw_put(st, key, sizeof(key), val, n);
	tap_ok(n > 0 && get(st, 21, &g) == 0, "... encoded in %zu octets", n);
	tap_int(rprecord_listed(&g, "r4049@example.org"), RPRECORD_LISTED,
	    "the last hashed one is listed");
	tap_int(rprecord_listed(&g, "r4050@example.org"), RPRECORD_UNKNOWN,
	    "one past the hashes: unknown");
	tap_int(rprecord_listed(&g, "x@example.net"), RPRECORD_UNKNOWN,
	    "any other address: unknown (the list is incomplete)");
	rprecord_clear(&g);

	/* a small value keeps some texts and then no hashes (no gap) */
	n = rprecord_encode(22, &r, key, val, 400);
	raw_put(st, key, sizeof(key), val, n);
	tap_ok(get(st, 22, &g) == 0 && g.nkept < 50 && g.nhashes == 0 &&
	    rprecord_listed(&g, "r0@example.org") == RPRECORD_LISTED &&
	    rprecord_listed(&g, "r60@example.org") == RPRECORD_UNKNOWN,
	    "a 400-octet value: %zu texts, no hashes, the rest unknown",
	    g.nkept);
	rprecord_clear(&g);
	rprecord_clear(&r);

	make(&r, 1000, 2000, 0);
	n = rprecord_encode(23, &r, key, val, RPRECORD_VALUE_MAX);
	raw_put(st, key, sizeof(key), val, n);
	tap_ok(get(st, 23, &g) == 0 && rprecord_listed(&g, "r0@example.org") ==
	    RPRECORD_UNKNOWN, "a record without recipients: unknown");
	rprecord_clear(&g);
	rprecord_clear(&r);

	/* version 1 values still read: complete when all were kept */
	n = v1_value(val, 2, 2);
	raw_put(st, key, sizeof(key), val, n);
	tap_ok(get(st, 23, &g) == 0 && g.nrcpts == 2 && g.nkept == 2 &&
	    strcmp(g.sender, "alice") == 0 && g.expires == 2000 &&
	    rprecord_listed(&g, "r1@example.org") == RPRECORD_LISTED &&
	    rprecord_listed(&g, "r5@example.org") == RPRECORD_NOT_LISTED,
	    "a version 1 record with every recipient: read, complete");
	rprecord_clear(&g);
	n = v1_value(val, 9, 2);
	raw_put(st, key, sizeof(key), val, n);
	tap_ok(get(st, 23, &g) == 0 &&
	    rprecord_listed(&g, "r5@example.org") == RPRECORD_UNKNOWN,
	    "a version 1 record with 2 of 9 kept: the rest unknown");
	rprecord_clear(&g);
	n = v1_value(val, 2, 2);
	val[n++] = 0;
	raw_put(st, key, sizeof(key), val, n);
	tap_int(get(st, 23, &g), RPRECORD_DAMAGED,
	    "a version 1 record with a trailing octet: damaged");
	free(val);
}

int
main(void)
{
	char dir[256], err[256], cmd[300];
	unsigned char key[RPRECORD_KEY_LEN], val[RPRECORD_VALUE_MAX];
	unsigned char small[300];
	RPRECORD r, g;
	STORE *st;
	TALLY *ty;
	struct sweep_ctx s;
	size_t n, cut, bad;
	int rc;
	uint64_t id, cursor;
	struct fill_ctx f;
	long removed, more;

	snprintf(dir, sizeof(dir), "%s/test_rprecord.XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(dir) == NULL)
		return 1;
	if ((st = store_open(dir, NULL, err, sizeof(err))) == NULL) {
		tap_ok(0, "store_open: %s", err);
		return tap_done();
	}

	/* through the tally, as the milter writes it */
	make(&r, 1000, 2000, 60);
	tap_int((long long)r.nrcpts, 60, "60 recipients counted");
	tap_int((long long)r.nkept, RPRECORD_RCPTS_MAX, "the first 50 kept");
	n = rprecord_encode(0x1122334455667788ULL, &r, key, val, sizeof(val));
	tap_ok(n > 0, "encoded: %zu octets", n);
	ty = tally_start(st, 5, NULL, NULL);
	tally_put(ty, STORE_DB_RETURNPATH, key, sizeof(key), val, n);
	tap_int(tally_flush(ty), 0, "tally_put: flushed");
	tally_stop(ty);
	rc = get(st, 0x1122334455667788ULL, &g);
	tap_ok(rc == 0 && g.created == 1000 && g.expires == 2000 &&
	    strcmp(g.sender, "alice") == 0 &&
	    strcmp(g.from, "alice@example.com") == 0 &&
	    strcmp(g.qid, "4XyZ12") == 0 && g.nrcpts == 60 && g.nkept == 50 &&
	    strcmp(g.rcpts[0], "r0@example.org") == 0 &&
	    strcmp(g.rcpts[49], "r49@example.org") == 0,
	    "read back: times, sender, from, queue id, 60 and 50 recipients");
	rprecord_clear(&g);
	tap_int(get(st, 42, &g), STORE_NOTFOUND, "an unknown id: not found");

	/* a value too small for every recipient keeps as many as fit */
	n = rprecord_encode(7, &r, key, small, sizeof(small));
	raw_put(st, key, sizeof(key), small, n);
	rc = get(st, 7, &g);
	tap_ok(n > 0 && rc == 0 && g.nrcpts == 60 && g.nkept > 0 &&
	    g.nkept < 50, "a 300-octet value keeps %zu recipients, counts 60",
	    g.nkept);
	rprecord_clear(&g);
	tap_int((long long)rprecord_encode(8, &r, key, small, 20), 0,
	    "no room for the fixed part: nothing encoded");
	rprecord_clear(&r);

	/* damaged values */
	make(&r, 1000, 2000, 3);
	n = rprecord_encode(9, &r, key, val, sizeof(val));
	for (bad = 0, cut = 0; cut < n; cut++) {
		raw_put(st, key, sizeof(key), val, cut);
		rc = get(st, 9, &g);
		if (rc != RPRECORD_DAMAGED)
			bad++;
		rprecord_clear(&g);
	}
	tap_int((long long)bad, 0, "each of the %zu truncations: damaged", n);
	val[0] = 3;
	raw_put(st, key, sizeof(key), val, n);
	tap_int(get(st, 9, &g), RPRECORD_DAMAGED, "another version: damaged");
	val[0] = 2;
	raw_put(st, key, sizeof(key), val, n + 1);
	tap_int(get(st, 9, &g), RPRECORD_DAMAGED, "a trailing octet: damaged");
	raw_put(st, key, sizeof(key), val, n);
	tap_int(get(st, 9, &g), 0, "the whole value reads again");
	rprecord_clear(&g);
	rprecord_clear(&r);

	/* sweep: ids 100..109, even ones expired at 1500 */
	for (id = 100; id < 110; id++) {
		make(&r, 1000, id % 2 ? 5000 : 1500, 1);
		n = rprecord_encode(id, &r, key, val, sizeof(val));
		raw_put(st, key, sizeof(key), val, n);
		rprecord_clear(&r);
	}
	raw_put(st, "\0\0\0\0\0\0\0\x6e", 8, "junk", 4);	/* id 110 */
	memset(&s, 0, sizeof(s));
	s.now = 3000;
	s.budget = 1000;
	rc = store_write(st, sweep_fn, &s, err, sizeof(err));
	/* expired at 3000: 7, 9 and the first record (2000), the even ids
	 * 100..108 (1500); damaged: 110 */
	tap_ok(rc == 0 && s.removed == 9 && s.cursor == 0, "sweep at 3000: 8 "
	    "expired and 1 damaged removed (%ld), cursor back to 0",
	    s.removed);
	tap_ok(get(st, 101, &g) == 0 && get(st, 100, &r) == STORE_NOTFOUND &&
	    get(st, 110, &r) == STORE_NOTFOUND && get(st, 7, &r) ==
	    STORE_NOTFOUND && get(st, 0x1122334455667788ULL, &r) ==
	    STORE_NOTFOUND, "live records stay; expired and damaged ones are "
	    "gone");
	rprecord_clear(&g);
	s.now = 9000;
	s.budget = 2;
	s.cursor = 0;
	rc = store_write(st, sweep_fn, &s, err, sizeof(err));
	tap_ok(rc == 0 && s.removed == 2 && s.cursor != 0, "budget 2: two "
	    "removed, the cursor stops midway");
	while (s.cursor != 0 && store_write(st, sweep_fn, &s, err,
	    sizeof(err)) == 0)
		;
	tap_ok(get(st, 101, &g) == STORE_NOTFOUND &&
	    get(st, 109, &g) == STORE_NOTFOUND,
	    "going on from the cursor empties the expired rest");

	/* paced: 5,000 records, 4,000 of them expired, chunks of 300 */
	f.first = 1000;
	f.n = 5000;
	tap_int(store_write(st, fill_fn, &f, err, sizeof(err)), 0,
	    "5,000 records written, 4,000 expired at 3000");
	tap_int(count(st), 5000, "5,000 records in the store");
	cursor = 0;
	removed = rprecord_sweep_paced(st, 3000, 300, 0, &cursor, err,
	    sizeof(err));
	tap_ok(removed > 0 && removed <= 300 && cursor != 0, "paced, no time: "
	    "one chunk of 300 (%ld removed), the cursor midway", removed);
	more = rprecord_sweep_paced(st, 3000, 300, 60000, &cursor, err,
	    sizeof(err));
	tap_ok(removed + more == 4000 && cursor == 0, "paced, time enough: "
	    "chunk after chunk to the end of the pass, %ld + %ld = 4,000 "
	    "removed, the cursor back to 0", removed, more);
	tap_int(count(st), 1000, "the 1,000 live records stay");
	tap_int(rprecord_sweep_paced(st, 3000, 300, 60000, &cursor, err,
	    sizeof(err)), 0, "a pass with nothing expired removes nothing");

	listing(st);
	store_close(st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return tap_done();
}
