/*
 * test_sender.c - unit tests for policy/reputation/sender.c and policy/reputation/tally.c.
 *
 * Covers: sender keys per SenderKey mode (table), operator names, the
 * pause/resume records and pause expiry, time-bucketed counters over the
 * last hour and day with a moved clock, pruning of old buckets, a damaged
 * record, and the tally's group commit from several threads.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reputation/sender.h"
#include "store/store.h"
#include "reputation/tally.h"
#include "tap.h"

static const struct {
	int		 mode;
	const char	*login, *from;
	const char	*key, *err;
} key_cases[] = {
	{ SENDER_KEY_AUTH, "Alice", "<bob@example.com>", "alice", NULL },
	{ SENDER_KEY_AUTH, "alice@Example.COM", "<x@y.z>",
	    "alice@example.com", NULL },
	{ SENDER_KEY_AUTH, "", "<Bob@Example.COM>", "bob@example.com", NULL },
	{ SENDER_KEY_AUTH, NULL, "<\"bob\"@example.com>", "bob@example.com",
	    NULL },
	{ SENDER_KEY_AUTH, NULL, "<>", "<>", NULL },
	{ SENDER_KEY_ENVELOPE, "alice", "<Bob@Example.COM>", "bob@example.com",
	    NULL },
	{ SENDER_KEY_ENVELOPE, NULL, "<>", "<>", NULL },
	{ SENDER_KEY_ENVELOPE_DOMAIN, "alice", "<bob@Mail.Example.COM>",
	    "mail.example.com", NULL },
	{ SENDER_KEY_ENVELOPE_DOMAIN, NULL, "<>", "<>", NULL },
	{ SENDER_KEY_AUTH, "bad login", "<b@x.y>", "", "white space" },
	{ SENDER_KEY_ENVELOPE, NULL, "<no-at-sign>", "", "" },
	{ SENDER_KEY_ENVELOPE, NULL, "<a@b", "", "" },
};

static const struct {
	const char	*arg, *key, *err;
} norm_cases[] = {
	{ "Alice", "alice", NULL },
	{ "ALICE@EXAMPLE.COM", "alice@example.com", NULL },
	{ "<alice@example.com>", "alice@example.com", NULL },
	{ "\"alice\"@example.com", "alice@example.com", NULL },
	{ "<>", "<>", NULL },
	{ "Example.COM", "example.com", NULL },
	{ "", "", "empty" },
	{ "a b", "", "white space" },
	{ "tab\there", "", "white space" },
};

static void
test_keys(void)
{
	char out[SENDER_KEY_MAX];
	const char *err;
	size_t i;

	for (i = 0; i < sizeof(key_cases) / sizeof(key_cases[0]); i++) {
		err = sender_key_make(key_cases[i].mode, key_cases[i].login,
		    key_cases[i].from, strlen(key_cases[i].from), out,
		    sizeof(out));
		if (key_cases[i].err == NULL) {
			tap_str(err, NULL, "key %zu: no error", i);
			tap_str(out, key_cases[i].key, "key %zu: %s", i,
			    key_cases[i].from);
		} else
			tap_ok(err != NULL && strstr(err, key_cases[i].err),
			    "key %zu: error \"%s\"", i, err ? err : "(none)");
	}
	for (i = 0; i < sizeof(norm_cases) / sizeof(norm_cases[0]); i++) {
		err = sender_key_normalise(norm_cases[i].arg,
		    strlen(norm_cases[i].arg), out, sizeof(out));
		if (norm_cases[i].err == NULL)
			tap_str(err == NULL ? out : err, norm_cases[i].key,
			    "normalise \"%s\"", norm_cases[i].arg);
		else
			tap_ok(err != NULL && strstr(err, norm_cases[i].err),
			    "normalise \"%s\" fails: %s", norm_cases[i].arg,
			    err ? err : "(none)");
	}
}

/* Long keys are cut to fit the store, stay unique, and can be managed. */
static void
test_long_keys(STORE *st)
{
	char a[800], b[800], ka[SENDER_KEY_MAX], kb[SENDER_KEY_MAX];
	char again[SENDER_KEY_MAX], addr[600], kaddr[SENDER_KEY_MAX];
	char kaddr2[SENDER_KEY_MAX], err[256];
	const char *e;
	SENDER_STATE s;
	size_t i;

	memset(a, 'a', 700);
	a[700] = '\0';
	memcpy(b, a, 701);
	b[699] = 'b';
	e = sender_key_make(SENDER_KEY_AUTH, a, "<x@y.z>", 7, ka, sizeof(ka));
	tap_str(e, NULL, "a 700-octet login is accepted");
	tap_int((long long)strlen(ka), SENDER_KEY_KEEP + 1 + 64,
	    "and its key is cut to %d octets plus '~' and a digest",
	    SENDER_KEY_KEEP);
	tap_ok(ka[SENDER_KEY_KEEP] == '~' && strspn(ka + SENDER_KEY_KEEP + 1,
	    "0123456789abcdef") == 64, "the tail is '~' and 64 hex digits");
	sender_key_make(SENDER_KEY_AUTH, b, "<x@y.z>", 7, kb, sizeof(kb));
	tap_ok(strcmp(ka, kb) != 0, "two long logins differing at the end "
	    "keep different keys");
	sender_key_normalise(a, strlen(a), again, sizeof(again));
	tap_str(again, ka, "repguardctl's name for the long login is the same key");
	sender_key_normalise(ka, strlen(ka), again, sizeof(again));
	tap_str(again, ka, "the shortened key as shown is taken as it is");

	/* A long but valid address (250-octet local part, long domain). */
	memset(addr, 0, sizeof(addr));
	addr[0] = '<';
	for (i = 1; i <= 250; i++)
		addr[i] = 'l';
	strcat(addr, "@");
	for (i = 0; i < 5; i++)
		strcat(addr, "dddddddddddddddddddddddddddddddddddddddd.");
	strcat(addr, "example>");
	e = sender_key_make(SENDER_KEY_ENVELOPE, NULL, addr, strlen(addr),
	    kaddr, sizeof(kaddr));
	tap_ok(e == NULL && strlen(kaddr) <= SENDER_KEY_STORED,
	    "a 466-octet address gets a key of %zu octets (%s)",
	    strlen(kaddr), e ? e : "ok");
	e = sender_key_normalise(addr + 1, strlen(addr) - 2, kaddr2,
	    sizeof(kaddr2));
	tap_str(e ? e : kaddr2, kaddr, "repguardctl's name for it is the same key");
	tap_int(sender_pause(st, kaddr, 0, "long", "test", 100, err,
	    sizeof(err)), 0, "a shortened key can be paused (%s)", err);
	tap_int(sender_lookup(st, kaddr, &s, err, sizeof(err)), 0,
	    "and looked up");
	tap_int(sender_is_paused(&s, 200), 1, "and is paused");

	e = sender_key_normalise("caf\xe9", 4, again, sizeof(again));
	tap_ok(e != NULL && strstr(e, "UTF-8") != NULL,
	    "a Latin-1 login is refused: %s", e ? e : "accepted");
}

struct count_op {
	const char	*key;
	SENDER_COUNTS	 c;
	int64_t		 now, window;
};

static int
count_fn(STORE_TXN *t, void *ctx)
{
	struct count_op *op = ctx;

	return sender_count(t, op->key, &op->c, op->now);
}

static int
window_fn(STORE_TXN *t, void *ctx)
{
	struct count_op *op = ctx;

	return sender_window(t, op->key, op->window, op->now, &op->c);
}

static void
count(STORE *st, const char *key, uint64_t msgs, uint64_t rcpts, int64_t now)
{
	struct count_op op = { key, { { msgs, rcpts } }, now, 0 };
	char err[256];

	if (store_write(st, count_fn, &op, err, sizeof(err)) != 0)
		tap_ok(0, "count failed: %s", err);
}

static uint64_t
window(STORE *st, const char *key, int64_t seconds, int64_t now, int which)
{
	struct count_op op = { key, { { 0, 0 } }, now, seconds };
	char err[256];

	if (store_read(st, window_fn, &op, err, sizeof(err)) != 0)
		return 999999;
	return op.c.n[which];
}

static int
bucket_cb(const void *k, size_t kl, const void *v, size_t vl, void *ctx)
{
	(void)k; (void)kl; (void)v; (void)vl;
	++*(int *)ctx;
	return 0;
}

static int
buckets_fn(STORE_TXN *t, void *ctx)
{
	/* "prune" is 5 bytes: u16 length then the key, then 'm' */
	static const unsigned char prefix[] = { 0, 5, 'p', 'r', 'u', 'n', 'e',
	    'm' };

	return store_scan(t, STORE_DB_COUNTERS, prefix, sizeof(prefix), NULL,
	    0, bucket_cb, ctx);
}

static void
test_counters(STORE *st)
{
	const int64_t t0 = 1764300000 - 1764300000 % 3600;	/* an hour */
	char err[256];
	int n = 0, i;

	count(st, "alice", 1, 3, t0 + 10);
	count(st, "alice", 1, 1, t0 + 50);
	count(st, "alice", 2, 5, t0 + 65);
	tap_int(window(st, "alice", 3600, t0 + 70, SENDER_MESSAGES), 4,
	    "messages in the last hour");
	tap_int(window(st, "alice", 3600, t0 + 70, SENDER_RECIPIENTS), 9,
	    "recipients in the last hour");
	tap_int(window(st, "alice", 60, t0 + 70, SENDER_MESSAGES), 2,
	    "the last minute holds only the current bucket");
	tap_int(window(st, "alice", 3600, t0 + 3600 + 30, SENDER_MESSAGES), 2,
	    "an hour later the first minute has left the window");
	tap_int(window(st, "alice", 3600, t0 + 7200, SENDER_MESSAGES), 0,
	    "two hours later the last hour is empty");
	tap_int(window(st, "alice", 86400, t0 + 7200, SENDER_MESSAGES), 4,
	    "the last day still counts them (hour buckets)");
	tap_int(window(st, "alice", 86400, t0 + 86400 + 10, SENDER_MESSAGES),
	    0, "a day later the day window is empty");
	tap_int(window(st, "bob", 3600, t0, SENDER_MESSAGES), 0,
	    "a sender never counted has zero");
	tap_int(window(st, "alice", 3600, t0 - 3600, SENDER_MESSAGES), 0,
	    "buckets after 'now' are not counted");

	/* Pruning keeps at most SENDER_KEEP_MINUTES minute buckets. */
	for (i = 0; i < 200; i++)
		count(st, "prune", 1, 1, t0 + i * 60);
	store_read(st, buckets_fn, &n, err, sizeof(err));
	tap_ok(n <= SENDER_KEEP_MINUTES + 8, "old minute buckets pruned: %d "
	    "left of 200", n);
	tap_int(window(st, "prune", 3600, t0 + 199 * 60, SENDER_MESSAGES), 60,
	    "window after pruning is still right");
}

static void
test_pause(STORE *st)
{
	SENDER_STATE s;
	char err[256];
	int was = -1;

	tap_int(sender_lookup(st, "carol", &s, err, sizeof(err)),
	    STORE_NOTFOUND, "unknown sender: not found");
	tap_int(sender_is_paused(&s, 1000), 0, "unknown sender is active");
	tap_int(sender_pause(st, "carol", 0, "too many bounces", "operator x",
	    1000, err, sizeof(err)), 0, "pause until resumed");
	tap_int(sender_lookup(st, "carol", &s, err, sizeof(err)), 0, "lookup");
	tap_int(sender_is_paused(&s, 999999999), 1, "paused with no end");
	tap_str(s.reason, "too many bounces", "reason kept");
	tap_str(s.by, "operator x", "who paused kept");
	tap_int(s.paused_at, 1000, "when paused kept");
	tap_int(s.state, SENDER_PAUSED, "state paused");
	tap_int(s.manual, 1, "an operator's pause is manual");
	tap_int(sender_resume(st, "carol", "operator z", 1100, &was, &s, err,
	    sizeof(err)), 0, "resume");
	tap_int(was, 1, "resume says it was paused");
	tap_int(s.state, SENDER_ACTIVE, "an operator's pause resumes to active");
	sender_lookup(st, "carol", &s, err, sizeof(err));
	tap_int(sender_is_paused(&s, 1000), 0, "active after resume");
	tap_ok(s.state == SENDER_ACTIVE && s.since == 1100 &&
	    strcmp(s.by, "operator z") == 0, "state, since and by written");
	tap_int(sender_resume(st, "carol", "operator z", 1200, &was, NULL, err,
	    sizeof(err)), 0, "resume again");
	tap_int(was, 0, "second resume: was not paused");
	tap_int(sender_resume(st, "nobody", "operator z", 1200, &was, NULL, err,
	    sizeof(err)), 0, "resume of an unknown sender is harmless");

	sender_pause(st, "dave", 2000, "cool down", "operator y", 1000, err,
	    sizeof(err));
	sender_lookup(st, "dave", &s, err, sizeof(err));
	tap_int(sender_is_paused(&s, 1999), 1, "timed pause in force before");
	tap_int(sender_is_paused(&s, 2000), 0, "timed pause over at its end");
	tap_int(s.paused_until, 2000, "until kept");

	count(st, "dave", 1, 1, 1500);
	sender_lookup(st, "dave", &s, err, sizeof(err));
	tap_ok(s.state == SENDER_PAUSED && s.first_seen == 1500 &&
	    s.last_seen == 1500,
	    "counting keeps the pause and records first/last seen");
}

static int
damage_fn(STORE_TXN *t, void *ctx)
{
	(void)ctx;
	return store_put(t, STORE_DB_SENDERS, "erin", 4, "\x09garbage", 8);
}

static void
test_damaged(STORE *st)
{
	SENDER_STATE s;
	char err[256] = "";

	store_write(st, damage_fn, NULL, err, sizeof(err));
	tap_int(sender_lookup(st, "erin", &s, err, sizeof(err)), STORE_ERROR,
	    "a damaged record is an error on lookup");
	tap_ok(strstr(err, "damaged") != NULL, "with a text: %s", err);
	count(st, "erin", 1, 1, 5000);
	tap_int(sender_lookup(st, "erin", &s, err, sizeof(err)), 0,
	    "counting replaces a damaged record");
}

struct tally_thread_arg {
	TALLY		*ty;
	const char	*key;
	int64_t		 now;
};

static void *
tally_worker(void *p)
{
	struct tally_thread_arg *a = p;
	int i;

	for (i = 0; i < 500; i++)
		tally_add(a->ty, a->key, 1, 2, a->now);
	return NULL;
}

static void
test_tally(STORE *st)
{
	const int64_t now = 1764400000;
	struct tally_thread_arg args[4];
	pthread_t tid[4];
	TALLY *ty = tally_start(st, 5, NULL, NULL);
	int i;

	for (i = 0; i < 4; i++) {
		args[i].ty = ty;
		args[i].key = i % 2 ? "t-odd" : "t-even";
		args[i].now = now;
		pthread_create(&tid[i], NULL, tally_worker, &args[i]);
	}
	for (i = 0; i < 4; i++)
		pthread_join(tid[i], NULL);
	tally_flush(ty);
	tap_int(window(st, "t-even", 3600, now, SENDER_MESSAGES), 1000,
	    "tally: 1000 messages from two threads");
	tap_int(window(st, "t-odd", 3600, now, SENDER_RECIPIENTS), 2000,
	    "tally: 2000 recipients from two threads");
	tally_add(ty, "t-late", 1, 1, now);
	usleep(200000);
	tap_int(window(st, "t-late", 3600, now, SENDER_MESSAGES), 1,
	    "tally thread commits by itself within its interval");
	tally_add(ty, "t-stop", 1, 1, now);
	tally_stop(ty);
	tap_int(window(st, "t-stop", 3600, now, SENDER_MESSAGES), 1,
	    "tally_stop flushes what is queued");
}

struct hook_seen {
	int	 a, b, other;
	int64_t	 now;
	uint64_t a_msgs;		/* what the hook sees counted */
};

static int
hook_cb(STORE_TXN *t, const char *key, int64_t now, void *ctx)
{
	struct hook_seen *h = ctx;
	SENDER_COUNTS c;

	h->now = now;
	if (strcmp(key, "h-a") == 0) {
		h->a++;
		if (sender_window(t, key, 3600, now, &c) == 0)
			h->a_msgs = c.n[SENDER_MESSAGES];
	} else if (strcmp(key, "h-b") == 0)
		h->b++;
	else
		h->other++;
	return 0;
}

/* The hook: once per sender of a batch, inside it, after its counts. */
static void
test_tally_hook(STORE *st)
{
	const int64_t now = 1764400000;
	struct hook_seen h;
	TALLY *ty = tally_start(st, 60000, NULL, NULL);

	memset(&h, 0, sizeof(h));
	tally_set_hook(ty, hook_cb, &h);
	tally_add(ty, "h-a", 1, 1, now);
	tally_add(ty, "h-b", 1, 1, now);
	tally_add(ty, "h-a", 1, 1, now + 1);
	tally_put(ty, STORE_DB_META, "hook-test", 9, "x", 1);
	tally_add(ty, "h-a", 1, 1, now);
	tally_flush(ty);
	tap_ok(h.a == 1 && h.b == 1 && h.other == 0,
	    "tally hook: once per sender of the batch (a %d, b %d, other %d)",
	    h.a, h.b, h.other);
	tap_ok(h.a_msgs == 3 && h.now == now + 1,
	    "tally hook: runs after the batch's counts, with its latest time");
	tally_set_hook(ty, NULL, NULL);
	tally_add(ty, "h-a", 1, 1, now);
	tally_flush(ty);
	tap_int(h.a, 1, "tally hook: none after it is unset");
	tally_stop(ty);
}

static int
count_all_cb(const void *k, size_t kl, const void *v, size_t vl, void *ctx)
{
	(void)k; (void)kl; (void)v; (void)vl;
	++*(int *)ctx;
	return 0;
}

struct count_db {
	int	db, n;
};

static int
count_db_fn(STORE_TXN *t, void *ctx)
{
	struct count_db *c = ctx;

	c->n = 0;
	return store_scan(t, c->db, "", 0, NULL, 0, count_all_cb, &c->n);
}

static int
db_keys(STORE *st, int db)
{
	struct count_db c = { db, 0 };
	char err[256];

	store_read(st, count_db_fn, &c, err, sizeof(err));
	return c.n;
}

/* Senders that stopped sending age out, a slice at a time. */
static void
test_sweep(const char *dir)
{
	const int64_t t0 = 1764000000;
	SENDER_SWEEP sw;
	SENDER_STATE s;
	char path[300], err[256], key[32];
	int i, calls, before;
	STORE *st;

	snprintf(path, sizeof(path), "%s/sweep", dir);
	if ((st = store_open(path, NULL, err, sizeof(err))) == NULL) {
		tap_ok(0, "open: %s", err);
		return;
	}
	for (i = 0; i < 50; i++) {
		snprintf(key, sizeof(key), "old%02d@example.com", i);
		count(st, key, 1, 1, t0);
	}
	count(st, "recent@example.com", 1, 1, t0 + 9 * 86400);
	sender_pause(st, "old07@example.com", 0, "kept", "test", t0, err,
	    sizeof(err));
	before = db_keys(st, STORE_DB_COUNTERS);
	tap_int(before, 102, "51 senders have 102 counter buckets");
	memset(&sw, 0, sizeof(sw));
	sender_sweep(st, &sw, t0 + 3600 * 3, 1000, err, sizeof(err));
	tap_int(db_keys(st, STORE_DB_COUNTERS), 52, "3 hours on, the minute "
	    "buckets of the old senders are gone, hour buckets stay");
	tap_int(db_keys(st, STORE_DB_SENDERS), 51, "and every sender record "
	    "stays");
	for (calls = 0; calls < 100; calls++) {
		sender_sweep(st, &sw, t0 + 9 * 86400 + 60, 7, err, sizeof(err));
		if (db_keys(st, STORE_DB_SENDERS) == 2)
			break;
	}
	tap_ok(calls > 1 && calls < 100, "with a budget of 7 keys the sweep "
	    "goes on across %d calls", calls + 1);
	tap_int(db_keys(st, STORE_DB_COUNTERS), 2, "9 days on only the recent "
	    "sender's buckets are left");
	tap_int(sender_lookup(st, "old07@example.com", &s, err, sizeof(err)), 0,
	    "a paused sender is kept however old");
	tap_int(sender_lookup(st, "old08@example.com", &s, err, sizeof(err)),
	    STORE_NOTFOUND, "an old active sender is removed");
	tap_int(window(st, "recent@example.com", 3600, t0 + 9 * 86400 + 60,
	    SENDER_MESSAGES), 1, "the recent sender's counts are intact");
	store_close(st);
}

struct tally_errs {
	pthread_mutex_t	 lock;
	int		 calls, dropped_msgs;
};

static void
tally_err_cb(const char *err, void *ctx)
{
	struct tally_errs *te = ctx;

	pthread_mutex_lock(&te->lock);
	te->calls++;
	if (strstr(err, "dropped") != NULL)
		te->dropped_msgs++;
	pthread_mutex_unlock(&te->lock);
}

static int
fill_fn(STORE_TXN *t, void *ctx)
{
	static char val[4000];
	char k[32];
	int *i = ctx;

	snprintf(k, sizeof(k), "fill-%08d", (*i)++);
	return store_put(t, STORE_DB_COUNTERS, k, strlen(k), val, sizeof(val));
}

/*
 * A store whose map is full at its maximum: nothing is dropped, the
 * failure is reported once (then once a minute), tally_failing() says so;
 * a larger maximum lets the waiting increments in.  A batch the store
 * refuses for another reason (a key too long for LMDB) is dropped after
 * TALLY_MAX_ATTEMPTS, reported once.
 */
static void
test_tally_full(const char *dir)
{
	STORE_OPTS tiny = { 64 << 10, 1 << 20, 0, 0 };
	struct tally_errs te = { PTHREAD_MUTEX_INITIALIZER, 0, 0 };
	char path[300], err[256], why[256], longkey[600];
	STORE *st;
	TALLY *ty;
	int i = 0, n, w;

	snprintf(path, sizeof(path), "%s/full", dir);
	if ((st = store_open(path, &tiny, err, sizeof(err))) == NULL) {
		tap_ok(0, "open a 1 MiB store: %s", err);
		return;
	}
	for (n = 0; n < 2000; n++)
		if (store_write(st, fill_fn, &i, err, sizeof(err)) != 0)
			break;
	tap_ok(n < 2000, "the 1 MiB store is full after %d writes", n);
	tap_int(store_unwritable(st), 1, "... and says it cannot be written");
	ty = tally_start(st, 1, tally_err_cb, &te);
	for (n = 0; n < 5; n++)
		tally_add(ty, "full-sender", 1, 1, 1764400000);
	for (w = 0; w < 100 && !tally_failing(ty, NULL, 0); w++)
		usleep(10000);
	usleep(2 * TALLY_MAX_ATTEMPTS * 1000);	/* > 300 attempts of 1 ms */
	why[0] = '\0';
	tap_int(tally_failing(ty, why, sizeof(why)), 1,
	    "the tally says its writes fail");
	tap_ok(strstr(why, "DatabaseMaxSize") != NULL,
	    "... naming the limit: %s", why);
	tap_int((long long)tally_dropped(ty), 0, "past %d failed attempts "
	    "nothing is dropped: the map is full, not the batch bad",
	    TALLY_MAX_ATTEMPTS);
	pthread_mutex_lock(&te.lock);
	tap_int(te.calls, 1, "reported once (then once a minute)");
	tap_int(te.dropped_msgs, 0, "no drop reported");
	pthread_mutex_unlock(&te.lock);

	store_set_max_size(st, 4 << 20);
	for (w = 0; w < 200 && tally_failing(ty, NULL, 0); w++)
		usleep(10000);
	tap_int(tally_failing(ty, NULL, 0), 0,
	    "a larger DatabaseMaxSize: the writes go in");
	tap_int(store_unwritable(st), 0, "... and the store is writable");
	tap_int(window(st, "full-sender", 3600, 1764400000 + 60,
	    SENDER_MESSAGES), 5, "every waiting increment is counted");

	memset(longkey, 'k', sizeof(longkey));
	tally_put(ty, STORE_DB_COUNTERS, longkey, sizeof(longkey), "v", 1);
	for (w = 0; w < 500 && tally_dropped(ty) < 1; w++)
		usleep(10000);
	tap_int((long long)tally_dropped(ty), 1, "a record the store refuses "
	    "(a key too long) is dropped after %d attempts",
	    TALLY_MAX_ATTEMPTS);
	pthread_mutex_lock(&te.lock);
	tap_int(te.dropped_msgs, 1, "the drop is reported once");
	pthread_mutex_unlock(&te.lock);
	tally_stop(ty);
	store_close(st);
}

int
main(void)
{
	char dir[256], err[256], cmd[300];
	STORE *st;

	snprintf(dir, sizeof(dir), "%s/test_sender.XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(dir) == NULL)
		return 1;
	test_keys();
	if ((st = store_open(dir, NULL, err, sizeof(err))) == NULL) {
		tap_ok(0, "store_open: %s", err);
		return tap_done();
	}
	test_counters(st);
	test_long_keys(st);
	test_pause(st);
	test_damaged(st);
	test_tally(st);
	test_tally_hook(st);
	store_close(st);
	test_tally_full(dir);
	test_sweep(dir);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return tap_done();
}
