/*
 * test_store.c - unit tests for policy/store/store.c on a real LMDB file.
 *
 * Covers: open/create, schema version (written, and a newer one refused),
 * get/put/del/scan with big-endian keys, abort on a non-zero result, the
 * first-error rule of a transaction, map growth on MDB_MAP_FULL, the
 * DatabaseMaxSize ceiling, adopting a map grown by another process
 * (MDB_MAP_RESIZED), clearing the reader slot of a killed process, and
 * the errors for a corrupt file and a path that is
 * not a directory.  Run as "test_store --grow PATH" or "--die-reading
 * PATH" it is the other process.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/store.h"
#include "tap.h"

static char tmpdir[256];

static const char *
path_of(const char *name)
{
	static char buf[512];

	snprintf(buf, sizeof(buf), "%s/%s", tmpdir, name);
	return buf;
}

struct kv {
	const char	*k, *v;
};

static int
put_fn(STORE_TXN *t, void *ctx)
{
	const struct kv *p;

	for (p = ctx; p->k != NULL; p++)
		store_put(t, STORE_DB_SENDERS, p->k, strlen(p->k), p->v,
		    strlen(p->v));
	return store_txn_error(t) ? STORE_ERROR : 0;
}

struct get_ctx {
	const char	*k;
	char		 v[64];
	int		 rc;
};

static int
get_fn(STORE_TXN *t, void *ctx)
{
	struct get_ctx *g = ctx;
	const void *v;
	size_t vlen;

	g->v[0] = '\0';
	g->rc = store_get(t, STORE_DB_SENDERS, g->k, strlen(g->k), &v, &vlen);
	if (g->rc == 0)
		snprintf(g->v, sizeof(g->v), "%.*s", (int)vlen,
		    (const char *)v);
	return 0;
}

static const char *
get(STORE *st, const char *k)
{
	static struct get_ctx g;
	char err[256];

	g.k = k;
	if (store_read(st, get_fn, &g, err, sizeof(err)) != 0)
		return "ERROR";
	return g.rc == 0 ? g.v : g.rc == STORE_NOTFOUND ? "NOTFOUND" : "ERROR";
}

static int
abort_fn(STORE_TXN *t, void *ctx)
{
	(void)ctx;
	store_put(t, STORE_DB_SENDERS, "gone", 4, "x", 1);
	return 7;
}

static int
del_fn(STORE_TXN *t, void *ctx)
{
	int *rc = ctx;

	rc[0] = store_del(t, STORE_DB_SENDERS, "b", 1);
	rc[1] = store_del(t, STORE_DB_SENDERS, "nope", 4);
	return 0;
}

struct scan_ctx {
	char	seen[256];
	int	stop_after;
	int	n;
};

static int
scan_cb(const void *k, size_t klen, const void *v, size_t vlen, void *ctx)
{
	struct scan_ctx *s = ctx;
	uint64_t n = store_get_u64((const unsigned char *)k + 1);

	(void)v;
	(void)vlen;
	if (klen != 9)
		return 0;
	snprintf(s->seen + strlen(s->seen), sizeof(s->seen) - strlen(s->seen),
	    "%s%llu", s->n ? "," : "", (unsigned long long)n);
	return ++s->n == s->stop_after;
}

static int
scan_put_fn(STORE_TXN *t, void *ctx)
{
	static const uint64_t nums[] = { 300, 2, 70000, 1, 256, 1ULL << 40 };
	unsigned char k[16];
	size_t len, i;

	(void)ctx;
	for (i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		len = 0;
		store_key_u8(k, sizeof(k), &len, 'p');
		store_key_u64(k, sizeof(k), &len, nums[i]);
		store_put(t, STORE_DB_COUNTERS, k, len, "", 0);
		len = 0;
		store_key_u8(k, sizeof(k), &len, 'q');
		store_key_u64(k, sizeof(k), &len, nums[i]);
		store_put(t, STORE_DB_COUNTERS, k, len, "", 0);
	}
	return 0;
}

struct scan_run {
	struct scan_ctx	*s;
	uint64_t	 from;
};

static int
scan_fn(STORE_TXN *t, void *ctx)
{
	struct scan_run *r = ctx;
	unsigned char from[16];
	size_t flen = 0;

	store_key_u8(from, sizeof(from), &flen, 'p');
	store_key_u64(from, sizeof(from), &flen, r->from);
	return store_scan(t, STORE_DB_COUNTERS, "p", 1, r->from ? from : NULL,
	    r->from ? flen : 0, scan_cb, r->s);
}

static int
first_error_fn(STORE_TXN *t, void *ctx)
{
	int *rc = ctx;
	const void *v;
	size_t vlen;

	rc[0] = store_get(t, 99, "k", 1, &v, &vlen);	/* bad database */
	rc[1] = store_put(t, STORE_DB_SENDERS, "after", 5, "x", 1);
	rc[2] = store_txn_error(t) != NULL;
	return 0;
}

/* Write 'n' values of 'size' bytes in one transaction. */
struct bulk {
	int	n;
	size_t	size;
	int	runs;
};

static int
bulk_fn(STORE_TXN *t, void *ctx)
{
	struct bulk *b = ctx;
	static char val[65536];
	char k[32];
	int i;

	b->runs++;
	memset(val, 'v', sizeof(val));
	for (i = 0; i < b->n; i++) {
		snprintf(k, sizeof(k), "bulk-%06d", i);
		if (store_put(t, STORE_DB_COUNTERS, k, strlen(k), val,
		    b->size) != 0)
			return STORE_ERROR;
	}
	return 0;
}

static int
schema_fn(STORE_TXN *t, void *ctx)
{
	static const unsigned char v99[4] = { 0, 0, 0, 99 };

	(void)ctx;
	return store_put(t, STORE_DB_META, "schema", 6, v99, 4);
}

static int
die_reading_fn(STORE_TXN *t, void *ctx)
{
	(void)t;
	(void)ctx;
	raise(SIGKILL);		/* dies holding a reader slot */
	return 0;
}

/* Another process that dies inside a read transaction. */
static int
die_main(const char *path)
{
	char err[256];
	STORE *st = store_open(path, NULL, err, sizeof(err));

	if (st == NULL)
		return 1;
	return store_read(st, die_reading_fn, NULL, err, sizeof(err));
}

/* The other process: grow the map of PATH by writing a lot. */
static int
grow_main(const char *path)
{
	STORE_OPTS o = { 64 << 10, 256ULL << 20, 0, 0 };
	struct bulk b = { 200, 40000, 0 };
	char err[256];
	STORE *st = store_open(path, &o, err, sizeof(err));

	if (st == NULL || store_write(st, bulk_fn, &b, err, sizeof(err)) != 0)
		return 1;
	store_close(st);
	return 0;
}

int
main(int argc, char **argv)
{
	STORE_OPTS small = { 64 << 10, 64ULL << 20, 0, 0 };
	STORE_OPTS tiny = { 64 << 10, 1ULL << 20, 0, 0 };
	static const struct kv kvs[] = {
		{ "a", "1" }, { "b", "2" }, { "c", "3" }, { NULL, NULL },
	};
	struct scan_ctx sc;
	struct scan_run sr;
	struct bulk b;
	char err[256], cmd[600];
	uint64_t before;
	int rc[3], status;
	pid_t pid;
	STORE *st;
	FILE *fp;

	if (argc == 3 && strcmp(argv[1], "--grow") == 0)
		return grow_main(argv[2]);
	if (argc == 3 && strcmp(argv[1], "--die-reading") == 0)
		return die_main(argv[2]);
	snprintf(tmpdir, sizeof(tmpdir), "%s/test_store.XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}

	/* Open, create, write, read. */
	st = store_open(path_of("db"), NULL, err, sizeof(err));
	tap_ok(st != NULL, "open creates the directory and environment");
	if (st == NULL)
		return tap_done();
	tap_int(store_write(st, put_fn, (void *)kvs, err, sizeof(err)), 0,
	    "write three keys");
	tap_str(get(st, "b"), "2", "read back b");
	tap_str(get(st, "zz"), "NOTFOUND", "missing key is NOTFOUND");
	tap_int(store_write(st, abort_fn, NULL, err, sizeof(err)), 7,
	    "a non-zero result aborts and is returned");
	tap_str(get(st, "gone"), "NOTFOUND", "aborted write left nothing");
	tap_int(store_write(st, del_fn, rc, err, sizeof(err)), 0, "delete");
	tap_int(rc[0], 0, "delete of a present key");
	tap_int(rc[1], STORE_NOTFOUND, "delete of a missing key");
	tap_str(get(st, "b"), "NOTFOUND", "deleted key is gone");

	/* Scans: big-endian keys sort numerically, prefix stops the scan. */
	tap_int(store_write(st, scan_put_fn, NULL, err, sizeof(err)), 0,
	    "write scan keys");
	memset(&sc, 0, sizeof(sc));
	sr.s = &sc;
	sr.from = 0;
	store_read(st, scan_fn, &sr, err, sizeof(err));
	tap_str(sc.seen, "1,2,256,300,70000,1099511627776",
	    "prefix scan in numeric order, other prefix excluded");
	memset(&sc, 0, sizeof(sc));
	sr.from = 257;
	store_read(st, scan_fn, &sr, err, sizeof(err));
	tap_str(sc.seen, "300,70000,1099511627776", "scan from a start key");
	memset(&sc, 0, sizeof(sc));
	sc.stop_after = 2;
	sr.from = 0;
	store_read(st, scan_fn, &sr, err, sizeof(err));
	tap_str(sc.seen, "1,2", "callback can stop the scan");

	/* The first error of a transaction sticks. */
	err[0] = '\0';
	tap_int(store_write(st, first_error_fn, rc, err, sizeof(err)),
	    STORE_ERROR, "a transaction with an error fails");
	tap_int(rc[0], STORE_ERROR, "bad database is an error");
	tap_int(rc[1], STORE_ERROR, "work after the first error is refused");
	tap_int(rc[2], 1, "store_txn_error reports it");
	tap_ok(err[0] != '\0', "the error has a text: %s", err);
	tap_str(get(st, "after"), "NOTFOUND", "nothing after the error landed");
	store_close(st);

	/* Map growth. */
	st = store_open(path_of("grow"), &small, err, sizeof(err));
	tap_ok(st != NULL, "open with a 64 KiB map");
	before = store_map_size(st);
	b.n = 100; b.size = 50000; b.runs = 0;
	tap_int(store_write(st, bulk_fn, &b, err, sizeof(err)), 0,
	    "5 MB in one transaction succeeds by growing the map");
	tap_ok(store_map_size(st) > before && store_map_size(st) <=
	    (64ULL << 20), "map grew from %llu to %llu bytes",
	    (unsigned long long)before,
	    (unsigned long long)store_map_size(st));
	tap_ok(b.runs > 1, "the transaction was run again (%d runs)", b.runs);
	store_close(st);

	st = store_open(path_of("full"), &tiny, err, sizeof(err));
	b.n = 100; b.size = 50000; b.runs = 0;
	err[0] = '\0';
	tap_int(store_write(st, bulk_fn, &b, err, sizeof(err)), STORE_ERROR,
	    "past DatabaseMaxSize the write fails");
	tap_ok(strstr(err, "database full") != NULL, "error says so: %s", err);
	b.n = 2; b.size = 100;
	tap_int(store_write(st, bulk_fn, &b, err, sizeof(err)), 0,
	    "a small write still works after the full one");
	store_close(st);

	/* Another process grows the map: this one adopts the new size. */
	st = store_open(path_of("shared"), &small, err, sizeof(err));
	before = store_map_size(st);
	if ((pid = fork()) == 0) {
		execl(argv[0], argv[0], "--grow", path_of("shared"), (char *)0);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	tap_ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "another process wrote 8 MB to the same store");
	b.n = 2; b.size = 100;
	tap_int(store_write(st, bulk_fn, &b, err, sizeof(err)), 0,
	    "write after the other process resized the map");
	tap_ok(store_map_size(st) > before, "adopted the larger map (%llu)",
	    (unsigned long long)store_map_size(st));
	store_close(st);

	/* A reader slot left by a killed process is cleared. */
	st = store_open(path_of("stale"), NULL, err, sizeof(err));
	tap_int(st ? store_stale_readers(st) : -1, 0,
	    "a new store has no stale reader");
	if ((pid = fork()) == 0) {
		execl(argv[0], argv[0], "--die-reading", path_of("stale"),
		    (char *)0);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	tap_ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
	    "another process was killed inside a read transaction");
	tap_int(st ? store_check_readers(st) : -1, 1,
	    "the dead process's reader slot is found and cleared");
	tap_int(st ? store_check_readers(st) : -1, 0,
	    "a second check finds nothing left");
	store_close(st);

	/* A newer schema version is refused. */
	st = store_open(path_of("schema"), NULL, err, sizeof(err));
	store_write(st, schema_fn, NULL, err, sizeof(err));
	store_close(st);
	st = store_open(path_of("schema"), NULL, err, sizeof(err));
	tap_ok(st == NULL && strstr(err, "schema version 99") != NULL,
	    "newer schema refused: %s", err);
	store_close(st);

	/* Broken paths and files. */
	mkdir(path_of("corrupt"), 0700);
	fp = fopen(path_of("corrupt/data.mdb"), "w");
	fputs("this is not an LMDB file, just some text that is long enough "
	    "to look like a header to a careless reader......................"
	    "................................................................",
	    fp);
	fclose(fp);
	st = store_open(path_of("corrupt"), NULL, err, sizeof(err));
	tap_ok(st == NULL && strstr(err, "corrupt") != NULL,
	    "corrupt data.mdb is a clear error: %s", err);
	fp = fopen(path_of("plainfile"), "w");
	fclose(fp);
	st = store_open(path_of("plainfile"), NULL, err, sizeof(err));
	tap_ok(st == NULL && strstr(err, "not a directory") != NULL,
	    "a file as DatabasePath: %s", err);
	st = store_open(path_of("plainfile/db"), NULL, err, sizeof(err));
	tap_ok(st == NULL && err[0] != '\0', "a path under a file: %s", err);

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	return tap_done();
}
