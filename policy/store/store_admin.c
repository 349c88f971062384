/*
 * store_admin.c - the store offline: reading every record of a database
 * file, copying what is readable out of a damaged one, and hot backups
 * (see store.h, "Administration").
 *
 * Owns: store_verify(), store_salvage(), store_backup().
 * Decisions: LMDB trusts its pages, so a damaged page can make a read
 * return MDB_CORRUPTED or MDB_PAGE_NOTFOUND, or crash; these functions
 * report the first two per database, and callers that must survive the
 * third run them in a child process (repguardctl db does).  A database in
 * use (verify, backup) is read as any reader reads it, beside the daemon;
 * a damaged file set aside (salvage) without its lock file (MDB_NOLOCK):
 * nothing else has it open.  Nothing here writes to what it reads.
 * Must not: write to the database it reads, or be used by the daemon.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lmdb.h>

#include "base/mem.h"
#include "store/store.h"

#define SA_BATCH	1000		/* records a write transaction */


static void
sa_err(char *err, size_t errlen, const char *what, const char *path, int rc)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s: %s: %s", path, what,
		    mdb_strerror(rc));
}

/* Open path to read: a store's directory, or with aside a data file set
 * aside (no lock file). */
static MDB_env *
sa_open(const char *path, int aside, char *err, size_t errlen)
{
	MDB_env *env;
	int rc;

	if ((rc = mdb_env_create(&env)) != 0) {
		sa_err(err, errlen, "mdb_env_create", path, rc);
		return NULL;
	}
	mdb_env_set_maxdbs(env, 16);
	rc = mdb_env_open(env, path, MDB_RDONLY | MDB_NOTLS |
	    (aside ? MDB_NOSUBDIR | MDB_NOLOCK : 0), 0600);
	if (rc != 0) {
		if (rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH ||
		    rc == MDB_CORRUPTED)
			snprintf(err, errlen, "%s: not readable as a database: "
			    "its header is damaged (%s)", path,
			    mdb_strerror(rc));
		else
			sa_err(err, errlen, "open", path, rc);
		mdb_env_close(env);
		return NULL;
	}
	return env;
}

/* What a walk of one database found. */
struct sa_walk {
	long long	 n;		/* records read (or kept) */
	long long	 skipped;	/* records out of order, dropped */
	int		 rc;		/* the LMDB error that stopped it */
	int		 disorder;	/* stopped at a record out of order */
};

/*
 * Salvage reads records in windows of SA_WINDOW and keeps, of each, the
 * longest run that is in order (a longest increasing subsequence of the
 * keys, all greater than the last key kept): garbage that reads as
 * records is mostly out of order with the good records around it, which
 * are the many.  The last SA_MARGIN records of a window are judged again
 * with the next one, so that a garbage key that sorts high at the end of
 * a window cannot become the mark every good key after it fails.
 */
#define SA_WINDOW	4096
#define SA_MARGIN	256

struct sa_rec {
	MDB_val		 k, v;
};

static void
sa_rec_copy(struct sa_rec *r, const MDB_val *k, const MDB_val *v)
{
	r->k.mv_size = k->mv_size;
	r->k.mv_data = mem_alloc(k->mv_size ? k->mv_size : 1);
	memcpy(r->k.mv_data, k->mv_data, k->mv_size);
	r->v.mv_size = v->mv_size;
	r->v.mv_data = mem_alloc(v->mv_size ? v->mv_size : 1);
	memcpy(r->v.mv_data, v->mv_data, v->mv_size);
}

/* Free a record's copies (NULL after take() took them). */
static void
sa_rec_free(struct sa_rec *r)
{
	free(r->k.mv_data);
	free(r->v.mv_data);
	r->k.mv_data = r->v.mv_data = NULL;
}

/* Marks in keep[] a longest increasing run of r[0..n) above last. */
static void
sa_lis(MDB_txn *txn, MDB_dbi dbi, const struct sa_rec *r, size_t n,
    const MDB_val *last, char *keep)
{
	size_t *tail = mem_calloc(n + 1, sizeof(*tail));
	size_t *prev = mem_calloc(n + 1, sizeof(*prev));
	size_t len = 0, lo, hi, mid, i, at;

	memset(keep, 0, n);
	for (i = 0; i < n; i++) {
		if (last->mv_data != NULL &&
		    mdb_cmp(txn, dbi, last, &r[i].k) >= 0)
			continue;
		lo = 0;
		hi = len;
		while (lo < hi) {	/* first tail whose key >= this one */
			mid = (lo + hi) / 2;
			if (mdb_cmp(txn, dbi, &r[tail[mid]].k, &r[i].k) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		prev[i] = lo > 0 ? tail[lo - 1] : (size_t)-1;
		tail[lo] = i;
		if (lo == len)
			len++;
	}
	for (at = len ? tail[len - 1] : (size_t)-1; at != (size_t)-1;
	    at = prev[at])
		keep[at] = 1;
	free(tail);
	free(prev);
}

/*
 * A read transaction and a cursor on one named database.  0, or an LMDB
 * error; MDB_NOTFOUND: the database is absent (empty).
 */
static int
sa_cursor(MDB_env *env, int db, MDB_txn **txn, MDB_dbi *dbi,
    MDB_cursor **cur)
{
	int rc;

	if ((rc = mdb_txn_begin(env, NULL, MDB_RDONLY, txn)) != 0)
		return rc;
	if ((rc = mdb_dbi_open(*txn, store_db_name(db), 0, dbi)) != 0 ||
	    (rc = mdb_cursor_open(*txn, *dbi, cur)) != 0)
		mdb_txn_abort(*txn);
	return rc;
}

static void
sa_cursor_close(MDB_txn *txn, MDB_cursor *cur, int rc, struct sa_walk *w)
{
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	w->rc = rc == MDB_NOTFOUND ? 0 : rc;
}

/* A key LMDB could have stored: not empty, not longer than it allows. */
static int
sa_key_ok(MDB_env *env, const MDB_val *k)
{
	return k->mv_size > 0 &&
	    k->mv_size <= (size_t)mdb_env_get_maxkeysize(env);
}

/*
 * Verify one named database: read every record, and stop at the first
 * key that is not one LMDB could have stored or not greater than the one
 * before (LMDB keeps no checksums: a page overwritten with garbage may
 * read as records).
 */
static void
sa_verify_walk(MDB_env *env, int db, struct sa_walk *w)
{
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_cursor *cur;
	MDB_val k, v, last = { 0, NULL };
	int rc;

	memset(w, 0, sizeof(*w));
	if ((rc = sa_cursor(env, db, &txn, &dbi, &cur)) != 0) {
		w->rc = rc == MDB_NOTFOUND ? 0 : rc;
		return;
	}
	while ((rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == 0) {
		if (!sa_key_ok(env, &k) || (last.mv_data != NULL &&
		    mdb_cmp(txn, dbi, &last, &k) >= 0)) {
			w->skipped++;
			w->disorder = 1;
			break;
		}
		last = k;	/* in the map: valid while the txn lasts */
		w->n++;
	}
	sa_cursor_close(txn, cur, rc, w);
}

/*
 * Salvage one named database: take(r, ctx) gets every record kept, as a
 * copy it now owns, in key order; a non-zero return stops the walk.
 * Records are kept window by window (above), and those skipped counted.
 */
static void
sa_salvage_walk(MDB_env *env, int db, struct sa_walk *w,
    int (*take)(struct sa_rec *, void *), void *ctx)
{
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_cursor *cur;
	MDB_val k, v, last = { 0, NULL };
	unsigned char lastkey[512];
	struct sa_rec *win;
	char *keep;
	size_t n = 0, i, upto;
	int rc, end = 0, stop = 0;

	memset(w, 0, sizeof(*w));
	if ((rc = sa_cursor(env, db, &txn, &dbi, &cur)) != 0) {
		w->rc = rc == MDB_NOTFOUND ? 0 : rc;
		return;
	}
	win = mem_calloc(SA_WINDOW, sizeof(*win));
	keep = mem_alloc(SA_WINDOW);
	while (!end && !stop) {
		rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
		end = rc != 0;
		if (!end && (!sa_key_ok(env, &k) || k.mv_size >
		    sizeof(lastkey))) {
			w->skipped++;
			continue;
		}
		if (!end)
			sa_rec_copy(&win[n++], &k, &v);
		if (n < SA_WINDOW && !end)
			continue;
		/* judge the window: all of it at the end, else up to the
		 * margin, which waits for the next window */
		sa_lis(txn, dbi, win, n, &last, keep);
		upto = end ? n : n - SA_MARGIN;
		for (i = 0; i < upto; i++) {
			if (!keep[i] || stop) {
				w->skipped += !keep[i];
			} else {
				memcpy(lastkey, win[i].k.mv_data,
				    win[i].k.mv_size);
				last.mv_size = win[i].k.mv_size;
				last.mv_data = lastkey;
				w->n++;
				stop = take(&win[i], ctx) != 0;
			}
			sa_rec_free(&win[i]);
		}
		memmove(win, win + upto, (n - upto) * sizeof(*win));
		n -= upto;
	}
	for (i = 0; i < n; i++)
		sa_rec_free(&win[i]);
	free(win);
	free(keep);
	sa_cursor_close(txn, cur, end ? rc : 0, w);
}

/* What a walk found wrong, for a report; NULL if nothing. */
static const char *
sa_problem(const struct sa_walk *w, char *buf, size_t len)
{
	if (w->disorder)
		snprintf(buf, len, "a record out of order or of a bad size: "
		    "a page is damaged");
	else if (w->rc != 0 && w->rc != -1)
		snprintf(buf, len, "%s%s", w->skipped ? "records out of order "
		    "were skipped, then: " : "", mdb_strerror(w->rc));
	else if (w->skipped)
		snprintf(buf, len, "%lld record(s) out of order or of a bad "
		    "size were skipped: a page was damaged", w->skipped);
	else
		return NULL;
	return buf;
}

int
store_verify(const char *path, STORE_REPORT_FN report, void *ctx, char *err,
    size_t errlen)
{
	MDB_env *env;
	struct sa_walk w;
	char why[160];
	const char *problem;
	int db, damaged = 0;

	if ((env = sa_open(path, 0, err, errlen)) == NULL)
		return -1;
	for (db = 0; db < STORE_DB_MAX; db++) {
		sa_verify_walk(env, db, &w);
		if ((problem = sa_problem(&w, why, sizeof(why))) != NULL)
			damaged = 1;
		if (report != NULL)
			report(store_db_name(db), w.n, problem, ctx);
	}
	mdb_env_close(env);
	return damaged;
}

/* Records read from the damaged file, waiting for the next write. */
struct sa_copy {
	STORE		*dst;
	int		 db;
	struct sa_rec	*rec;		/* SA_BATCH of them */
	size_t		 n;
	long long	 copied;
	int		 failed;
	char		*err;
	size_t		 errlen;
};

static int
sa_put_fn(STORE_TXN *t, void *arg)
{
	struct sa_copy *c = arg;
	size_t i;

	for (i = 0; i < c->n; i++)
		store_put(t, c->db, c->rec[i].k.mv_data, c->rec[i].k.mv_size,
		    c->rec[i].v.mv_data, c->rec[i].v.mv_size);
	return store_txn_error(t) != NULL ? STORE_ERROR : 0;
}

/* Write what waits (once the store failed, nothing more); 0 or 1. */
static int
sa_flush(struct sa_copy *c)
{
	size_t i;

	if (c->n > 0 && !c->failed) {
		if (store_write(c->dst, sa_put_fn, c, c->err, c->errlen) != 0)
			c->failed = 1;
		else
			c->copied += (long long)c->n;
	}
	for (i = 0; i < c->n; i++)
		sa_rec_free(&c->rec[i]);
	c->n = 0;
	return c->failed;
}

/* take() of sa_salvage_walk(): the record's copies move into the batch. */
static int
sa_take(struct sa_rec *r, void *arg)
{
	struct sa_copy *c = arg;

	c->rec[c->n++] = *r;
	r->k.mv_data = r->v.mv_data = NULL;
	return c->n == SA_BATCH ? sa_flush(c) : 0;
}

long long
store_salvage(const char *file, const char *path, const STORE_OPTS *opts,
    STORE_REPORT_FN report, void *ctx, char *err, size_t errlen)
{
	MDB_env *src;
	struct sa_copy c;
	struct sa_walk w;
	long long total = 0;
	char why[160];
	int db;

	if ((src = sa_open(file, 1, err, errlen)) == NULL)
		return -1;
	memset(&c, 0, sizeof(c));
	if ((c.dst = store_open(path, opts, err, errlen)) == NULL) {
		mdb_env_close(src);
		return -1;
	}
	c.rec = mem_calloc(SA_BATCH, sizeof(*c.rec));
	c.err = err;
	c.errlen = errlen;
	for (db = 0; db < STORE_DB_MAX && !c.failed; db++) {
		c.db = db;
		c.copied = 0;
		sa_salvage_walk(src, db, &w, sa_take, &c);
		sa_flush(&c);
		total += c.copied;
		if (report != NULL)
			report(store_db_name(db), c.copied, c.failed ? err :
			    sa_problem(&w, why, sizeof(why)), ctx);
	}
	free(c.rec);
	store_close(c.dst);
	mdb_env_close(src);
	return c.failed ? -1 : total;
}

int
store_backup(const char *path, const char *file, char *err, size_t errlen)
{
	MDB_env *env;
	int fd, rc;

	if ((env = sa_open(path, 0, err, errlen)) == NULL)
		return -1;
	if ((fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) == -1) {
		snprintf(err, errlen, "%s: %s", file, strerror(errno));
		mdb_env_close(env);
		return -1;
	}
	rc = mdb_env_copyfd2(env, fd, MDB_CP_COMPACT);
	if (rc == 0 && fsync(fd) != 0)
		rc = errno;
	if (close(fd) != 0 && rc == 0)
		rc = errno;
	mdb_env_close(env);
	if (rc != 0) {
		sa_err(err, errlen, "copy", file, rc);
		unlink(file);
		return -1;
	}
	return 0;
}
