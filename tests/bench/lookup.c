/*
 * lookup.c - the reputation benchmark's store tool: fill a store with
 * senders and suppressed addresses, and measure what a lookup costs as
 * the store grows (tests/bench/policy.sh).
 *
 * Synopsis:
 *	lookup fill DBDIR NSENDERS NSUPPRESSED
 *	lookup curve DBDIR "1000 10000 ..." [NSENDERS_MAX]
 *
 *	fill writes NSENDERS sender records bench<k>@example.com, each counted
 *	once (a record and its buckets, as the daemon makes them), and
 *	NSUPPRESSED global suppression entries dead<k>@example.org, in
 *	transactions of 10,000.
 *	curve grows a store (suppression entries, and sender records up to
 *	NSENDERS_MAX, default 1,000,000) through the sizes given and at each
 *	size times LOOKUP_N lookups, one read transaction each as the daemon
 *	makes them at RCPT and MAIL FROM: suppress_check() of entries that
 *	are there and of addresses that are not, and sender_lookup() of known
 *	senders; the median of three runs, in ns per lookup, after one pass
 *	over both databases (a daemon that has run a while has every page
 *	mapped; a first touch of a page costs a page fault, not a lookup).
 *	Prints one line per size and the ratio of each to the smallest.
 *
 * Diagnostics: usage errors exit 2, store errors exit 1.
 *
 * Must not: be part of make check (it writes gigabytes at 10 M entries).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "reputation/sender.h"
#include "store/store.h"
#include "reputation/suppress.h"

#define BATCH		10000
#define LOOKUP_N	200000
#define NOW		1795860000LL

static STORE *st;

struct fill {
	const char	*what;		/* "sender" or "dead" */
	uint64_t	 from, to;
};

static int
fill_fn(STORE_TXN *t, void *ctx)
{
	struct fill *f = ctx;
	SENDER_COUNTS c = { { 1, 1 } };
	SUPPRESS_ENTRY e;
	char a[64];
	uint64_t k;

	memset(&e, 0, sizeof(e));
	e.reason = SUPPRESS_HARD;
	e.time = NOW;
	snprintf(e.source, sizeof(e.source), "benchmark");
	for (k = f->from; k < f->to; k++) {
		if (f->what[0] == 's') {
			snprintf(a, sizeof(a), "bench%llu@example.com",
			    (unsigned long long)k);
			if (sender_count(t, a, &c, NOW) != 0)
				return STORE_ERROR;
		} else {
			snprintf(a, sizeof(a), "dead%llu@example.org",
			    (unsigned long long)k);
			if (suppress_put(t, "", a, &e) != 0)
				return STORE_ERROR;
		}
	}
	return 0;
}

static void
grow(const char *what, uint64_t from, uint64_t to)
{
	struct fill f;
	char err[512];

	f.what = what;
	for (f.from = from; f.from < to; f.from = f.to) {
		f.to = f.from + BATCH < to ? f.from + BATCH : to;
		if (store_write(st, fill_fn, &f, err, sizeof(err)) != 0) {
			fprintf(stderr, "lookup: store: %s\n", err);
			exit(1);
		}
	}
}

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

struct probe {
	char		 addr[64];
	int		 kind;		/* 0 suppressed, 1 missing, 2 sender */
	int		 found;
};

static int
probe_fn(STORE_TXN *t, void *ctx)
{
	struct probe *p = ctx;
	SUPPRESS_ENTRY e;
	SENDER_STATE s;

	if (p->kind == 2)
		p->found = sender_get(t, p->addr, &s) == 0;
	else
		p->found = suppress_check(t, "bench1@example.com", p->addr, NOW,
		    &e) == 0;
	return 0;
}

static int
warm_supp_cb(const SUPPRESS_ENTRY *e, void *ctx)
{
	(void)e;
	++*(uint64_t *)ctx;
	return 0;
}

static int
warm_sender_cb(const char *key, const SENDER_STATE *s, void *ctx)
{
	(void)key;
	(void)s;
	++*(uint64_t *)ctx;
	return 0;
}

static int
warm_fn(STORE_TXN *t, void *ctx)
{
	return suppress_list(t, warm_supp_cb, ctx) != 0 ||
	    sender_list(t, warm_sender_cb, ctx) != 0 ? STORE_ERROR : 0;
}

/* Map every page of both databases once, as a running daemon has. */
static void
warm(void)
{
	uint64_t n = 0;
	char err[256];

	if (store_read(st, warm_fn, &n, err, sizeof(err)) != 0) {
		fprintf(stderr, "lookup: warm-up: %s\n", err);
		exit(1);
	}
}

static int
dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* ns per lookup of kind over n entries: median of three runs */
static double
measure(int kind, uint64_t n)
{
	struct probe p;
	uint64_t seed = 88172645463325252ULL;
	double runs[3], t0;
	char err[256];
	int r, i, bad = 0;

	p.kind = kind;
	for (r = 0; r < 3; r++) {
		t0 = now_ns();
		for (i = 0; i < LOOKUP_N; i++) {
			seed ^= seed << 13;
			seed ^= seed >> 7;
			seed ^= seed << 17;
			snprintf(p.addr, sizeof(p.addr), kind == 2 ?
			    "bench%llu@example.com" : kind == 0 ?
			    "dead%llu@example.org" : "live%llu@example.org",
			    (unsigned long long)(seed % n));
			if (store_read(st, probe_fn, &p, err, sizeof(err)) != 0)
				bad++;
			bad += p.found != (kind != 1);
		}
		runs[r] = (now_ns() - t0) / LOOKUP_N;
	}
	if (bad > 0) {
		fprintf(stderr, "lookup: %d lookups gave the wrong answer\n",
		    bad);
		exit(1);
	}
	qsort(runs, 3, sizeof(runs[0]), dcmp);
	return runs[1];
}

int
main(int argc, char **argv)
{
	STORE_OPTS o;
	char err[512], *p, *end;
	uint64_t have = 0, senders = 0, smax = 1000000, n;
	double base[3] = { 0, 0, 0 }, v[3];
	int i;

	if (argc < 4 || (strcmp(argv[1], "fill") != 0 &&
	    strcmp(argv[1], "curve") != 0)) {
		fprintf(stderr, "usage: lookup fill DBDIR NSENDERS NSUPPRESSED\n"
		    "       lookup curve DBDIR \"SIZES\" [NSENDERS_MAX]\n");
		return 2;
	}
	memset(&o, 0, sizeof(o));
	o.max_size = 64ULL << 30;
	if ((st = store_open(argv[2], &o, err, sizeof(err))) == NULL) {
		fprintf(stderr, "lookup: %s\n", err);
		return 1;
	}
	if (strcmp(argv[1], "fill") == 0) {
		grow("sender", 0, strtoull(argv[3], NULL, 10));
		if (argc > 4)
			grow("dead", 0, strtoull(argv[4], NULL, 10));
		store_close(st);
		return 0;
	}
	if (argc > 4)
		smax = strtoull(argv[4], NULL, 10);
	printf("%12s %14s %14s %14s   (ns per lookup, one read transaction "
	    "each; median of 3 x %d)\n", "entries", "suppressed", "not listed",
	    "sender", LOOKUP_N);
	for (p = argv[3]; *p != '\0'; p = end) {
		n = strtoull(p, &end, 10);
		if (end == p)
			break;
		grow("dead", have, n);
		have = n;
		if (senders < n && senders < smax) {
			grow("sender", senders, n < smax ? n : smax);
			senders = n < smax ? n : smax;
		}
		warm();
		v[0] = measure(0, n);
		v[1] = measure(1, n);
		v[2] = measure(2, senders);
		for (i = 0; i < 3; i++)
			if (base[i] == 0)
				base[i] = v[i];
		printf("%12llu %8.0f (%4.2fx) %8.0f (%4.2fx) %8.0f (%4.2fx)%s\n",
		    (unsigned long long)n, v[0], v[0] / base[0], v[1],
		    v[1] / base[1], v[2], v[2] / base[2],
		    senders < n ? " (senders capped)" : "");
		fflush(stdout);
	}
	store_close(st);
	return 0;
}
