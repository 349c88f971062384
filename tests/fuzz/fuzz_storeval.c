/*
 * fuzz_storeval.c - the decoders of values read back from the store, which
 * a damaged or foreign database file can make anything.
 *
 * The first octet chooses the decoder, the rest is the stored value:
 *	0  bucket_decode()		(public: called on an exact-size copy)
 *	1  sender_decode()		(policy/reputation/sender_int.h: the same), then
 *					through sender_get()
 *	2  rprecord_get()		the decoders of these four are static:
 *	3  bevent_get()			the value is put in a real store (LMDB
 *	4  suppress_list()		in a temporary directory) inside a write
 *	5  history_list()		transaction that is always aborted, and
 *					read back through the public call
 * For history the second octet also sets how many octets of key follow
 * the sender's prefix (16 is an entry's), taken from the value's front.
 *
 * Holds for every input: a value that does not decode gives a damage
 * result and leaves a zeroed bucket (sender, rprecord and bevent may keep
 * the fields read before the damage, but a record holds no recipients),
 * never a crash or a read past vlen (ASan sees that for 0 and 1 only: the
 * store's values lie in its memory map); a value that decodes is written
 * back by the module's own encoder (bucket_encode, sender_put,
 * rprecord_encode, bevent_put, suppress_put, history_add) and read back
 * to the same struct (strings compared as strings: a NUL inside a stored
 * string ends it).
 */
#include <dirent.h>
#include <unistd.h>

#include "retpath/bevent.h"
#include "shaping/bucket.h"
#include "reputation/history.h"
#include "retpath/rprecord.h"
#include "reputation/sender.h"
#include "reputation/sender_int.h"
#include "store/store.h"
#include "reputation/suppress.h"
#include "fuzz.h"

static STORE *store;
static char dir[64];

static void
cleanup(void)
{
	store_close(store);
	fuzz_rmdir(dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	STORE_OPTS o = { 0, 64ULL << 20, 0600, 0 };
	char err[256];

	(void)argc;
	(void)argv;
	snprintf(dir, sizeof(dir), "/tmp/fuzz_storeval.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		perror("fuzz_storeval: mkdtemp");
		exit(2);
	}
	if ((store = store_open(dir, &o, err, sizeof(err))) == NULL) {
		fprintf(stderr, "fuzz_storeval: %s\n", err);
		(void)rmdir(dir);
		exit(2);
	}
	atexit(cleanup);
	return 0;
}

struct input {
	const unsigned char	*v;
	size_t			 len;
	unsigned		 which;	/* the decoder */
	unsigned		 extra;	/* the history key's length */
};

static int
zeroed(const void *p, size_t n)
{
	const unsigned char *c = p;

	while (n > 0)
		if (c[--n] != 0)
			return 0;
	return 1;
}

static void
check_bucket(const struct input *in)
{
	unsigned char *v = (unsigned char *)fuzz_dup(in->v, in->len);
	unsigned char out[BUCKET_VALUE_LEN];
	BUCKET b, c;

	memset(&b, 0x5a, sizeof(b));
	if (bucket_decode(v, in->len, &b) != 0) {
		FUZZ_CHECK(zeroed(&b, sizeof(b)));
	} else {
		FUZZ_CHECK(b.used == 1);
		FUZZ_CHECK(bucket_encode(&b, out) == BUCKET_VALUE_LEN);
		FUZZ_CHECK(bucket_decode(out, sizeof(out), &c) == 0);
		FUZZ_CHECK(memcmp(&b, &c, sizeof(b)) == 0);
		if (in->len == BUCKET_VALUE_LEN)
			FUZZ_CHECK(memcmp(out, v, sizeof(out)) == 0);
	}
	free(v);
}

static void
same_sender(const SENDER_STATE *a, const SENDER_STATE *b)
{
	FUZZ_CHECK(a->state == b->state && a->manual == b->manual);
	FUZZ_CHECK(a->since == b->since && a->paused_at == b->paused_at);
	FUZZ_CHECK(a->paused_until == b->paused_until &&
	    a->cooldown == b->cooldown);
	FUZZ_CHECK(a->first_seen == b->first_seen &&
	    a->last_seen == b->last_seen);
	FUZZ_CHECK(a->last_event == b->last_event &&
	    a->judged_from == b->judged_from && a->seq == b->seq);
	FUZZ_CHECK(strcmp(a->reason, b->reason) == 0);
	FUZZ_CHECK(strcmp(a->by, b->by) == 0);
	/* the baseline is kept only while there is a probation */
	FUZZ_CHECK(a->judged_from == 0 ||
	    memcmp(a->base, b->base, sizeof(a->base)) == 0);
}

static int
check_sender(STORE_TXN *t, const struct input *in)
{
	unsigned char *v = (unsigned char *)fuzz_dup(in->v, in->len);
	SENDER_STATE s, s2, s3;
	int rc;

	memset(&s, 0x5a, sizeof(s));
	rc = sender_decode(v, in->len, &s);
	free(v);
	FUZZ_CHECK(store_put(t, STORE_DB_SENDERS, "k", 1, in->v, in->len) ==
	    0);
	memset(&s2, 0x5a, sizeof(s2));
	if (rc != 0) {
		FUZZ_CHECK(sender_get(t, "k", &s2) == STORE_ERROR);
		return 0;
	}
	FUZZ_CHECK(s.state >= SENDER_ACTIVE && s.state <= SENDER_PROBATION);
	FUZZ_CHECK(memchr(s.reason, '\0', sizeof(s.reason)) != NULL);
	FUZZ_CHECK(memchr(s.by, '\0', sizeof(s.by)) != NULL);
	FUZZ_CHECK(sender_get(t, "k", &s2) == 0);
	same_sender(&s, &s2);
	FUZZ_CHECK(sender_put(t, "k2", &s) == 0);
	FUZZ_CHECK(sender_get(t, "k2", &s3) == 0);
	same_sender(&s, &s3);
	return 0;
}

static void
same_rprecord(const RPRECORD *a, const RPRECORD *b)
{
	size_t i;

	FUZZ_CHECK(a->created == b->created && a->expires == b->expires);
	FUZZ_CHECK(strcmp(a->sender, b->sender) == 0);
	FUZZ_CHECK(strcmp(a->from, b->from) == 0);
	FUZZ_CHECK(strcmp(a->qid, b->qid) == 0);
	FUZZ_CHECK(a->nrcpts == b->nrcpts && a->nkept == b->nkept);
	for (i = 0; i < a->nkept; i++)
		FUZZ_CHECK(strcmp(a->rcpts[i], b->rcpts[i]) == 0);
	FUZZ_CHECK(a->nhashes == b->nhashes);
	for (i = 0; i < a->nhashes; i++)
		FUZZ_CHECK(a->hashes[i] == b->hashes[i]);
	FUZZ_CHECK(a->reports == b->reports && a->forwarded == b->forwarded);
}

static int
check_rprecord(STORE_TXN *t, const struct input *in)
{
	static unsigned char val[RPRECORD_VALUE_MAX];
	unsigned char key[RPRECORD_KEY_LEN];
	RPRECORD r, r2;
	size_t n, i;
	int rc;

	(void)rprecord_encode(42, &(RPRECORD){ 0 }, key, val, sizeof(val));
	FUZZ_CHECK(store_put(t, STORE_DB_RETURNPATH, key, sizeof(key), in->v,
	    in->len) == 0);
	memset(&r, 0x5a, sizeof(r));
	rc = rprecord_get(t, 42, &r);
	if (rc != 0) {
		/* fields before the damage may be set; nothing is held */
		FUZZ_CHECK(rc == RPRECORD_DAMAGED);
		FUZZ_CHECK(r.nkept == 0 && r.nhashes == 0 && r.hashes == NULL);
		for (i = 0; i < RPRECORD_RCPTS_MAX; i++)
			FUZZ_CHECK(r.rcpts[i] == NULL);
		return 0;
	}
	FUZZ_CHECK(r.nkept <= RPRECORD_RCPTS_MAX && r.nkept <= r.nrcpts);
	FUZZ_CHECK(r.nhashes <= RPRECORD_HASHES_MAX &&
	    r.nkept + r.nhashes <= r.nrcpts);
	FUZZ_CHECK(r.nhashes == 0 || r.nkept == RPRECORD_RCPTS_MAX);
	for (i = r.nkept; i < RPRECORD_RCPTS_MAX; i++)
		FUZZ_CHECK(r.rcpts[i] == NULL);
	n = rprecord_encode(43, &r, key, val, sizeof(val));
	/* a version 1 value comes back as version 2: 12 octets more */
	FUZZ_CHECK(n > 0 && n <= in->len + (in->v[0] == 1 ? 12 : 0));
	FUZZ_CHECK(store_put(t, STORE_DB_RETURNPATH, key, sizeof(key), val,
	    n) == 0);
	FUZZ_CHECK(rprecord_get(t, 43, &r2) == 0);
	same_rprecord(&r, &r2);
	rprecord_clear(&r);
	rprecord_clear(&r2);
	return 0;
}

static int
check_bevent(STORE_TXN *t, const struct input *in)
{
	unsigned char id[BEVENT_ID_LEN];
	BEVENT e, e2;
	int rc;

	memset(id, 7, sizeof(id));
	FUZZ_CHECK(store_put(t, STORE_DB_BOUNCES, id, sizeof(id), in->v,
	    in->len) == 0);
	memset(&e, 0x5a, sizeof(e));
	rc = bevent_get(t, id, &e);
	if (rc != 0) {
		FUZZ_CHECK(rc == BEVENT_DAMAGED);
		return 0;
	}
	FUZZ_CHECK(memcmp(e.id, id, sizeof(id)) == 0);
	FUZZ_CHECK(store_del(t, STORE_DB_BOUNCES, id, sizeof(id)) == 0);
	FUZZ_CHECK(bevent_put(t, &e) == 0);
	FUZZ_CHECK(bevent_put(t, &e) == BEVENT_DUPLICATE);
	FUZZ_CHECK(bevent_get(t, id, &e2) == 0);
	FUZZ_CHECK(memcmp(&e, &e2, sizeof(e)) == 0);
	return 0;
}

struct found {
	SUPPRESS_ENTRY	 e;
	HISTORY_ENTRY	 h;
	int		 n;
};

static int
suppress_one(const SUPPRESS_ENTRY *e, void *ctx)
{
	struct found *f = ctx;

	f->e = *e;
	f->n++;
	return 0;
}

static void
same_suppress(const SUPPRESS_ENTRY *a, const SUPPRESS_ENTRY *b)
{
	FUZZ_CHECK(a->reason == b->reason && a->time == b->time &&
	    a->expires == b->expires);
	FUZZ_CHECK(strcmp(a->scope, b->scope) == 0);
	FUZZ_CHECK(strcmp(a->addr, b->addr) == 0);
	FUZZ_CHECK(strcmp(a->source, b->source) == 0);
	FUZZ_CHECK(strcmp(a->status, b->status) == 0);
	FUZZ_CHECK(strcmp(a->why, b->why) == 0);
	FUZZ_CHECK(strcmp(a->diagnostic, b->diagnostic) == 0);
}

static int
check_suppress(STORE_TXN *t, const struct input *in)
{
	static const unsigned char key[SUPPRESS_HASH_LEN] = { 0 };
	struct found f;
	SUPPRESS_ENTRY e2;

	FUZZ_CHECK(store_put(t, STORE_DB_SUPPRESS, key, sizeof(key), in->v,
	    in->len) == 0);
	memset(&f, 0, sizeof(f));
	FUZZ_CHECK(suppress_list(t, suppress_one, &f) == 0);
	FUZZ_CHECK(f.n <= 1);
	if (f.n == 0)
		return 0;
	FUZZ_CHECK(suppress_reason_name(f.e.reason) != NULL);
	FUZZ_CHECK(memchr(f.e.scope, '\0', sizeof(f.e.scope)) != NULL);
	FUZZ_CHECK(memchr(f.e.addr, '\0', sizeof(f.e.addr)) != NULL);
	FUZZ_CHECK(memchr(f.e.source, '\0', sizeof(f.e.source)) != NULL);
	FUZZ_CHECK(memchr(f.e.diagnostic, '\0', sizeof(f.e.diagnostic)) !=
	    NULL);
	FUZZ_CHECK(store_del(t, STORE_DB_SUPPRESS, key, sizeof(key)) == 0);
	FUZZ_CHECK(suppress_put(t, f.e.scope, f.e.addr, &f.e) == 0);
	FUZZ_CHECK(suppress_get(t, f.e.scope, f.e.addr, &e2) == 0);
	same_suppress(&f.e, &e2);
	return 0;
}

static int
history_one(const HISTORY_ENTRY *h, void *ctx)
{
	struct found *f = ctx;

	f->h = *h;
	f->n++;
	return 0;
}

static int
check_history(STORE_TXN *t, const struct input *in)
{
	unsigned char key[3 + 64];
	size_t klen = 0, extra = in->extra % 24;
	struct found f, g;

	if (in->len < extra)
		return 0;
	FUZZ_CHECK(store_key_str(key, sizeof(key), &klen, "s", 1) == 0);
	memcpy(key + klen, in->v, extra);
	FUZZ_CHECK(store_put(t, STORE_DB_HISTORY, key, klen + extra,
	    in->v + extra, in->len - extra) == 0);
	memset(&f, 0, sizeof(f));
	FUZZ_CHECK(history_list(t, "s", history_one, &f) == 0);
	FUZZ_CHECK(f.n <= 1);
	if (f.n == 0)
		return 0;
	FUZZ_CHECK(extra == 16);
	FUZZ_CHECK(f.h.from >= SENDER_ACTIVE && f.h.from <= SENDER_PROBATION);
	FUZZ_CHECK(f.h.to >= SENDER_ACTIVE && f.h.to <= SENDER_PROBATION);
	FUZZ_CHECK(memchr(f.h.by, '\0', sizeof(f.h.by)) != NULL);
	FUZZ_CHECK(memchr(f.h.why, '\0', sizeof(f.h.why)) != NULL);
	FUZZ_CHECK(history_drop(t, "s") == 0);
	FUZZ_CHECK(history_add(t, "s", 1, &f.h) == 0);
	memset(&g, 0, sizeof(g));
	FUZZ_CHECK(history_list(t, "s", history_one, &g) == 0 && g.n == 1);
	FUZZ_CHECK(g.h.time == f.h.time && g.h.from == f.h.from &&
	    g.h.to == f.h.to);
	FUZZ_CHECK(strcmp(g.h.by, f.h.by) == 0);
	FUZZ_CHECK(strcmp(g.h.why, f.h.why) == 0);
	return 0;
}

#define ABORT_TXN	7	/* nothing fuzzed is ever committed */

static int
run_in_store(STORE_TXN *t, void *ctx)
{
	const struct input *in = ctx;
	int (*fn[])(STORE_TXN *, const struct input *) = {
		check_sender, check_rprecord, check_bevent, check_suppress,
		check_history,
	};

	FUZZ_CHECK(in->which >= 1 && in->which <= 5);
	(void)fn[in->which - 1](t, in);
	return ABORT_TXN;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in;
	char err[256];
	if (size == 0)
		return 0;
	in.which = data[0] % 6;
	in.extra = 0;
	in.v = data + 1;
	in.len = size - 1;
	if (in.which == 0) {
		check_bucket(&in);
		return 0;
	}
	if (in.which == 5) {
		if (in.len == 0)
			return 0;
		in.extra = in.v[0];
		in.v++;
		in.len--;
	}
	FUZZ_CHECK(store_write(store, run_in_store, &in, err, sizeof(err)) ==
	    ABORT_TXN);
	return 0;
}
