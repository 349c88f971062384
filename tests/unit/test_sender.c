/*
 * test_sender.c - unit tests for policy/sender.c and policy/tally.c.
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

#include "sender.h"
#include "store.h"
#include "tally.h"
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
	tap_int(sender_resume(st, "carol", &was, err, sizeof(err)), 0, "resume");
	tap_int(was, 1, "resume says it was paused");
	sender_lookup(st, "carol", &s, err, sizeof(err));
	tap_int(sender_is_paused(&s, 1000), 0, "active after resume");
	tap_int(sender_resume(st, "carol", &was, err, sizeof(err)), 0,
	    "resume again");
	tap_int(was, 0, "second resume: was not paused");
	tap_int(sender_resume(st, "nobody", &was, err, sizeof(err)), 0,
	    "resume of an unknown sender is harmless");

	sender_pause(st, "dave", 2000, "cool down", "operator y", 1000, err,
	    sizeof(err));
	sender_lookup(st, "dave", &s, err, sizeof(err));
	tap_int(sender_is_paused(&s, 1999), 1, "timed pause in force before");
	tap_int(sender_is_paused(&s, 2000), 0, "timed pause over at its end");
	tap_int(s.paused_until, 2000, "until kept");

	count(st, "dave", 1, 1, 1500);
	sender_lookup(st, "dave", &s, err, sizeof(err));
	tap_ok(s.paused && s.first_seen == 1500 && s.last_seen == 1500,
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
	test_pause(st);
	test_damaged(st);
	test_tally(st);
	store_close(st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return tap_done();
}
