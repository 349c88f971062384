/*
 * store.c - the state store on LMDB.
 *
 * Owns: store_open(), store_close(), store_read(), store_write(),
 * store_get(), store_put(), store_del(), store_scan(), store_txn_error(),
 * store_map_size(), store_used_bytes(), store_stale_readers(),
 * store_check_readers() and the store_key_*() builders (see store.h).
 *
 * This is the only file in repguard that includes lmdb.h.  It opens one
 * environment with MDB_NOTLS (libmilter runs callbacks on a worker pool),
 * checks for stale readers at open, keeps a schema version in the meta
 * database, and recovers from the conditions LMDB reports as recoverable:
 * MDB_MAP_FULL (abort, double the map up to max_size, run again),
 * MDB_MAP_RESIZED (another process grew the map: adopt its size) and
 * MDB_READERS_FULL (clear stale readers, run again), each a bounded number
 * of times.  A transaction remembers its first error and refuses further
 * work.  The map is only resized while no transaction of this process is
 * open: every transaction holds a shared lock, a resize the exclusive one.
 *
 * Must not: know what the keys and values mean (sender.c does), log (it
 * returns error texts), or hold a transaction across calls.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <lmdb.h>

#include "base/mem.h"
#include "store/store.h"

#define STORE_DEFAULT_INITIAL	(16ULL << 20)
#define STORE_DEFAULT_MAX	(4ULL << 30)
#define STORE_MIN_SIZE		(64ULL << 10)
#define STORE_RETRIES		20

static const char *const store_db_names[STORE_DB_MAX] = {
	"meta", "senders", "counters", "returnpath", "bounces", "history",
	"suppress", "buckets", "outbox", "peers",
};

/* Free space under which a failed write is blamed on a full disk. */
#define STORE_LOW_SPACE	(1024 * 1024)

struct STORE {
	MDB_env		*env;
	MDB_dbi		 dbi[STORE_DB_MAX];
	pthread_rwlock_t resize;	/* shared: in a txn; exclusive: resize */
	uint64_t	 max_size;
	int		 stale;		/* dead readers cleared at open */
	int		 unwritable;	/* the last write failed for want of
					   space or permission (atomic) */
	char		*path;
	uint64_t	 journal_max;	/* bytes; 0: no journal (atomic) */
};

struct STORE_TXN {
	STORE		*st;
	MDB_txn		*txn;
	int		 rc;		/* first LMDB error, 0 if none */
	const char	*what;		/* the operation that failed */
	int		 hold;		/* journal nothing (store_journal_hold) */
};

static void
store_errf(char *err, size_t errlen, const char *what, int rc)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s: %s", what, mdb_strerror(rc));
}

static int
store_mkdir(const char *path, char *err, size_t errlen)
{
	struct stat sb;

	if (stat(path, &sb) == 0) {
		if (!S_ISDIR(sb.st_mode)) {
			snprintf(err, errlen, "%s: not a directory", path);
			return -1;
		}
		return 0;
	}
	if (errno != ENOENT || mkdir(path, 0770) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int store_resize(STORE *, int, char *, size_t);

/*
 * Open (creating) the named databases and check the schema version; a
 * map another process grew meanwhile (the daemon, while repguardctl
 * opens) or a full one is adopted or grown and the transaction run again.
 */
static int store_init_once(STORE *, int *, char *, size_t);

static int
store_init_dbs(STORE *st, char *err, size_t errlen)
{
	int attempt, rc;

	for (attempt = 0; attempt < STORE_RETRIES; attempt++) {
		if (store_init_once(st, &rc, err, errlen) == 0)
			return 0;
		if (rc != MDB_MAP_RESIZED && rc != MDB_MAP_FULL)
			return -1;
		if (store_resize(st, rc, err, errlen) != 0)
			return -1;
	}
	return -1;
}

static int
store_init_once(STORE *st, int *lmdb_rc, char *err, size_t errlen)
{
	MDB_txn *txn;
	MDB_val k = { 6, (void *)"schema" }, v;
	unsigned char ver[4];
	uint32_t have;
	int rc, i;

	*lmdb_rc = 0;

	if ((rc = mdb_txn_begin(st->env, NULL, 0, &txn)) != 0) {
		*lmdb_rc = rc;
		store_errf(err, errlen, "mdb_txn_begin", rc);
		return -1;
	}
	for (i = 0; i < STORE_DB_MAX; i++) {
		if ((rc = mdb_dbi_open(txn, store_db_names[i], MDB_CREATE,
		    &st->dbi[i])) != 0) {
			mdb_txn_abort(txn);
			*lmdb_rc = rc;
			store_errf(err, errlen, store_db_names[i], rc);
			return -1;
		}
	}
	rc = mdb_get(txn, st->dbi[STORE_DB_META], &k, &v);
	if (rc == MDB_NOTFOUND) {
		ver[0] = 0; ver[1] = 0; ver[2] = 0; ver[3] = STORE_SCHEMA_VERSION;
		v.mv_size = sizeof(ver);
		v.mv_data = ver;
		rc = mdb_put(txn, st->dbi[STORE_DB_META], &k, &v, 0);
	} else if (rc == 0) {
		if (v.mv_size != 4) {
			mdb_txn_abort(txn);
			snprintf(err, errlen, "%s: schema version record is "
			    "damaged", st->path);
			return -1;
		}
		memcpy(ver, v.mv_data, 4);
		have = (uint32_t)ver[0] << 24 | (uint32_t)ver[1] << 16 |
		    (uint32_t)ver[2] << 8 | ver[3];
		if (have > STORE_SCHEMA_VERSION) {
			mdb_txn_abort(txn);
			snprintf(err, errlen, "%s: schema version %u is newer "
			    "than this repguard supports (%u)", st->path,
			    (unsigned)have, STORE_SCHEMA_VERSION);
			return -1;
		}
	}
	if (rc != 0) {
		mdb_txn_abort(txn);
		*lmdb_rc = rc;
		store_errf(err, errlen, "schema version", rc);
		return -1;
	}
	if ((rc = mdb_txn_commit(txn)) != 0) {
		*lmdb_rc = rc;
		store_errf(err, errlen, "mdb_txn_commit", rc);
		return -1;
	}
	return 0;
}

STORE *
store_open(const char *path, const STORE_OPTS *opts, char *err, size_t errlen)
{
	STORE *st;
	MDB_envinfo info;
	pthread_rwlockattr_t attr;
	uint64_t initial;
	unsigned mode = opts && opts->file_mode ? opts->file_mode : 0660;
	char file[4096];
	int rc, dead, created;

	if (store_mkdir(path, err, errlen) != 0)
		return NULL;
	snprintf(file, sizeof(file), "%s/data.mdb", path);
	created = access(file, F_OK) != 0;
	st = mem_calloc(1, sizeof(*st));
	st->path = mem_strdup(path);
	st->max_size = opts && opts->max_size ? opts->max_size :
	    STORE_DEFAULT_MAX;
	initial = opts && opts->initial_size ? opts->initial_size :
	    STORE_DEFAULT_INITIAL;
	if (initial > st->max_size)
		initial = st->max_size;
	if (initial < STORE_MIN_SIZE)
		initial = STORE_MIN_SIZE;
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr,
	    PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&st->resize, &attr);
	pthread_rwlockattr_destroy(&attr);

	if ((rc = mdb_env_create(&st->env)) != 0 ||
	    (rc = mdb_env_set_maxdbs(st->env, 16)) != 0 ||
	    (rc = mdb_env_set_maxreaders(st->env, 254)) != 0 ||
	    (rc = mdb_env_set_mapsize(st->env, (size_t)initial)) != 0) {
		store_errf(err, errlen, path, rc);
		goto fail;
	}
	rc = mdb_env_open(st->env, path, MDB_NOTLS, (mdb_mode_t)mode);
	if (rc == MDB_INVALID || rc == MDB_CORRUPTED ||
	    rc == MDB_VERSION_MISMATCH) {
		snprintf(err, errlen, "%s: database is corrupt or not a "
		    "repguard database (%s)", path, mdb_strerror(rc));
		goto fail;
	}
	if (rc != 0) {
		store_errf(err, errlen, path, rc);
		goto fail;
	}
	if (created) {		/* the mode asked for, whatever the umask */
		(void)chmod(file, mode);
		snprintf(file, sizeof(file), "%s/lock.mdb", path);
		(void)chmod(file, mode);
	}
	/* A database larger than 'initial' keeps its size. */
	if (mdb_env_info(st->env, &info) == 0 && info.me_mapsize < initial)
		mdb_env_set_mapsize(st->env, (size_t)initial);
	if ((rc = mdb_reader_check(st->env, &dead)) != 0) {
		store_errf(err, errlen, "mdb_reader_check", rc);
		goto fail;
	}
	st->stale = dead;
	if (store_init_dbs(st, err, errlen) != 0)
		goto fail;
	if (opts != NULL)
		st->journal_max = opts->journal_max;
	return st;

fail:
	store_close(st);
	return NULL;
}

void
store_close(STORE *st)
{
	if (st == NULL)
		return;
	if (st->env != NULL)
		mdb_env_close(st->env);
	pthread_rwlock_destroy(&st->resize);
	free(st->path);
	free(st);
}

const char *
store_db_name(int db)
{
	return db >= 0 && db < STORE_DB_MAX ? store_db_names[db] : "?";
}

int
store_stale_readers(const STORE *st)
{
	return st->stale;
}

int
store_check_readers(STORE *st)
{
	int dead = 0;

	if (mdb_reader_check(st->env, &dead) != 0)
		return -1;
	return dead;
}

uint64_t
store_map_size(STORE *st)
{
	MDB_envinfo info;

	pthread_rwlock_rdlock(&st->resize);
	mdb_env_info(st->env, &info);
	pthread_rwlock_unlock(&st->resize);
	return info.me_mapsize;
}

/* Octets of the map in use: the pages up to the last one written. */
uint64_t
store_used_bytes(STORE *st)
{
	MDB_envinfo info;
	MDB_stat stat;

	pthread_rwlock_rdlock(&st->resize);
	mdb_env_info(st->env, &info);
	mdb_env_stat(st->env, &stat);
	pthread_rwlock_unlock(&st->resize);
	return (uint64_t)(info.me_last_pgno + 1) * stat.ms_psize;
}

/*
 * Grow the map (MDB_MAP_FULL) or adopt another process's size
 * (MDB_MAP_RESIZED).  Called with no transaction of ours open.
 */
static int
store_resize(STORE *st, int why, char *err, size_t errlen)
{
	MDB_envinfo info;
	uint64_t next;
	int rc = 0;

	pthread_rwlock_wrlock(&st->resize);
	if (why == MDB_MAP_RESIZED) {
		rc = mdb_env_set_mapsize(st->env, 0);
	} else {
		mdb_env_info(st->env, &info);
		if (info.me_mapsize >= st->max_size) {
			pthread_rwlock_unlock(&st->resize);
			snprintf(err, errlen, "database full: %s has reached "
			    "its maximum size of %llu bytes (DatabaseMaxSize)",
			    st->path, (unsigned long long)st->max_size);
			return -1;
		}
		next = (uint64_t)info.me_mapsize * 2;
		if (next > st->max_size)
			next = st->max_size;
		rc = mdb_env_set_mapsize(st->env, (size_t)next);
	}
	pthread_rwlock_unlock(&st->resize);
	if (rc != 0) {
		store_errf(err, errlen, "mdb_env_set_mapsize", rc);
		return -1;
	}
	return 0;
}

/*
 * A write that failed for want of space or permission (the map at its
 * maximum, the filesystem full, read-only or refusing): the same write
 * may work once the operator acts; anything else will not.
 */
static int
store_space_error(int rc)
{
	return rc == ENOSPC || rc == EDQUOT || rc == EROFS || rc == EACCES ||
	    rc == EPERM || rc == EIO || rc == EFBIG;
}

/*
 * LMDB reports a write the disk cut short as EIO: say so when the
 * filesystem is out of space, which is what the operator must fix.
 */
static void
store_why_full(const STORE *st, int rc, char *err, size_t errlen)
{
	struct statvfs sv;
	char was[200];

	if ((rc != EIO && rc != ENOSPC) || err == NULL || errlen == 0 ||
	    statvfs(st->path, &sv) != 0 ||
	    (uint64_t)sv.f_bavail * sv.f_frsize >= STORE_LOW_SPACE)
		return;
	snprintf(was, sizeof(was), "%s", err);
	snprintf(err, errlen, "No space left on device: the filesystem of "
	    "%s is full (%s)", st->path, was);
}

static void
store_set_unwritable(STORE *st, int on)
{
	__atomic_store_n(&st->unwritable, on, __ATOMIC_RELAXED);
}

void
store_set_max_size(STORE *st, uint64_t max_size)
{
	pthread_rwlock_wrlock(&st->resize);
	st->max_size = max_size;
	pthread_rwlock_unlock(&st->resize);
}

int
store_unwritable(const STORE *st)
{
	return __atomic_load_n(&st->unwritable, __ATOMIC_RELAXED);
}

static int
store_recoverable(int rc)
{
	return rc == MDB_MAP_FULL || rc == MDB_MAP_RESIZED ||
	    rc == MDB_READERS_FULL;
}

static int
store_run(STORE *st, int write, STORE_FN fn, void *ctx, char *err,
    size_t errlen)
{
	STORE_TXN t;
	int attempt, rc, result, dead;

	for (attempt = 0; attempt < STORE_RETRIES; attempt++) {
		memset(&t, 0, sizeof(t));
		t.st = st;
		pthread_rwlock_rdlock(&st->resize);
		rc = mdb_txn_begin(st->env, NULL, write ? 0 : MDB_RDONLY,
		    &t.txn);
		if (rc != 0) {
			pthread_rwlock_unlock(&st->resize);
			t.what = "mdb_txn_begin";
			goto failed;
		}
		result = fn(&t, ctx);
		if (t.rc != 0) {
			mdb_txn_abort(t.txn);
			pthread_rwlock_unlock(&st->resize);
			rc = t.rc;
			goto failed;
		}
		if (result != 0 || !write) {
			mdb_txn_abort(t.txn);
			pthread_rwlock_unlock(&st->resize);
			if (result == STORE_ERROR)
				snprintf(err, errlen, "%s: damaged record",
				    st->path);
			return result;
		}
		rc = mdb_txn_commit(t.txn);
		pthread_rwlock_unlock(&st->resize);
		if (rc == 0) {
			store_set_unwritable(st, 0);
			return 0;
		}
		t.what = "mdb_txn_commit";
failed:
		if (!store_recoverable(rc)) {
			store_errf(err, errlen, t.what, rc);
			if (write && store_space_error(rc)) {
				store_set_unwritable(st, 1);
				store_why_full(st, rc, err, errlen);
			}
			return STORE_ERROR;
		}
		if (rc == MDB_READERS_FULL) {
			mdb_reader_check(st->env, &dead);
			continue;
		}
		if (store_resize(st, rc, err, errlen) != 0) {
			if (rc == MDB_MAP_FULL)
				store_set_unwritable(st, 1);
			return STORE_ERROR;
		}
	}
	snprintf(err, errlen, "%s: gave up after %d attempts (map full or "
	    "resized repeatedly)", st->path, STORE_RETRIES);
	return STORE_ERROR;
}

int
store_read(STORE *st, STORE_FN fn, void *ctx, char *err, size_t errlen)
{
	return store_run(st, 0, fn, ctx, err, errlen);
}

int
store_write(STORE *st, STORE_FN fn, void *ctx, char *err, size_t errlen)
{
	return store_run(st, 1, fn, ctx, err, errlen);
}

static int
store_fail(STORE_TXN *t, const char *what, int rc)
{
	if (t->rc == 0) {
		t->rc = rc;
		t->what = what;
	}
	return STORE_ERROR;
}

/* The journal's switches (its records: journal.c). */
void
store_journal_start(STORE *st, uint64_t max_bytes)
{
	__atomic_store_n(&st->journal_max, max_bytes, __ATOMIC_RELAXED);
}

uint64_t
store_journal_max(STORE_TXN *t)
{
	return t->hold ? 0 :
	    __atomic_load_n(&t->st->journal_max, __ATOMIC_RELAXED);
}

int
store_journal_hold(STORE_TXN *t, int hold)
{
	int was = t->hold;

	t->hold = hold;
	return was;
}

const char *
store_txn_error(const STORE_TXN *t)
{
	return t->rc == 0 ? NULL : mdb_strerror(t->rc);
}

static int
store_db_ok(STORE_TXN *t, int db)
{
	if (t->rc != 0)
		return 0;
	if (db < 0 || db >= STORE_DB_MAX) {
		store_fail(t, "store: bad database", EINVAL);
		return 0;
	}
	return 1;
}

int
store_get(STORE_TXN *t, int db, const void *key, size_t klen,
    const void **val, size_t *vlen)
{
	MDB_val k = { klen, (void *)key }, v;
	int rc;

	if (!store_db_ok(t, db))
		return STORE_ERROR;
	rc = mdb_get(t->txn, t->st->dbi[db], &k, &v);
	if (rc == MDB_NOTFOUND)
		return STORE_NOTFOUND;
	if (rc != 0)
		return store_fail(t, "mdb_get", rc);
	*val = v.mv_data;
	*vlen = v.mv_size;
	return 0;
}

int
store_put(STORE_TXN *t, int db, const void *key, size_t klen,
    const void *val, size_t vlen)
{
	MDB_val k = { klen, (void *)key }, v = { vlen, (void *)val };
	int rc;

	if (!store_db_ok(t, db))
		return STORE_ERROR;
	if ((rc = mdb_put(t->txn, t->st->dbi[db], &k, &v, 0)) != 0)
		return store_fail(t, "mdb_put", rc);
	return 0;
}

int
store_del(STORE_TXN *t, int db, const void *key, size_t klen)
{
	MDB_val k = { klen, (void *)key };
	int rc;

	if (!store_db_ok(t, db))
		return STORE_ERROR;
	rc = mdb_del(t->txn, t->st->dbi[db], &k, NULL);
	if (rc == MDB_NOTFOUND)
		return STORE_NOTFOUND;
	if (rc != 0)
		return store_fail(t, "mdb_del", rc);
	return 0;
}

int
store_scan(STORE_TXN *t, int db, const void *prefix, size_t plen,
    const void *from, size_t flen, STORE_SCAN_FN fn, void *ctx)
{
	MDB_cursor *cur;
	MDB_val k, v;
	int rc, stop = 0;

	if (!store_db_ok(t, db))
		return STORE_ERROR;
	if ((rc = mdb_cursor_open(t->txn, t->st->dbi[db], &cur)) != 0)
		return store_fail(t, "mdb_cursor_open", rc);
	if (from != NULL && flen > 0) {
		k.mv_size = flen;
		k.mv_data = (void *)from;
	} else {
		k.mv_size = plen;
		k.mv_data = (void *)prefix;
	}
	if (k.mv_size > 0)
		rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	else
		rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	while (rc == 0 && !stop) {
		if (plen > 0 && (k.mv_size < plen ||
		    memcmp(k.mv_data, prefix, plen) != 0))
			break;
		stop = fn(k.mv_data, k.mv_size, v.mv_data, v.mv_size, ctx);
		if (!stop)
			rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return store_fail(t, "mdb_cursor_get", rc);
	return 0;
}

int
store_key_u8(unsigned char *buf, size_t size, size_t *len, unsigned v)
{
	if (*len + 1 > size)
		return -1;
	buf[(*len)++] = (unsigned char)v;
	return 0;
}

int
store_key_u64(unsigned char *buf, size_t size, size_t *len, uint64_t v)
{
	int i;

	if (*len + 8 > size)
		return -1;
	for (i = 7; i >= 0; i--)
		buf[(*len)++] = (unsigned char)(v >> (i * 8));
	return 0;
}

int
store_key_str(unsigned char *buf, size_t size, size_t *len, const char *s,
    size_t slen)
{
	if (slen > 0xffff || *len + 2 + slen > size)
		return -1;
	buf[(*len)++] = (unsigned char)(slen >> 8);
	buf[(*len)++] = (unsigned char)slen;
	memcpy(buf + *len, s, slen);
	*len += slen;
	return 0;
}

/*
 * Read the length-prefixed string at p + *off (of a value len octets
 * long) into out, NUL-terminated, and move *off past it; -1 if it runs
 * past the value or does not fit out.
 */
int
store_get_str(const unsigned char *p, size_t len, size_t *off, char *out,
    size_t outsize)
{
	size_t n;

	if (*off + 2 > len)
		return -1;
	n = (size_t)p[*off] << 8 | p[*off + 1];
	*off += 2;
	/* a NUL inside would make the text another, shorter one */
	if (*off + n > len || n >= outsize || memchr(p + *off, '\0', n))
		return -1;
	memcpy(out, p + *off, n);
	out[n] = '\0';
	*off += n;
	return 0;
}

uint64_t
store_get_u64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}
