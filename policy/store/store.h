/*
 * store.h - the state store: named key/value databases with transactions.
 *
 * The only interface through which repguard keeps state.  Callers never
 * learn which engine is behind it (today LMDB; see store.c), so that a
 * networked store can be put behind the same functions later.
 *
 *	STORE_OPTS o = { .initial_size = 0, .max_size = 1ULL << 32 };
 *	STORE *st = store_open("/var/lib/repguard", &o, err, sizeof(err));
 *	rc = store_write(st, fn, ctx, err, sizeof(err));
 *	rc = store_read(st, fn, ctx, err, sizeof(err));
 *	store_close(st);
 *
 * store_read() and store_write() run fn(txn, ctx) inside one transaction.
 * fn returns 0 to commit (write) or a non-zero value to abort; that value
 * is then returned.  If the store runs out of space the transaction is
 * aborted, the store grows and fn runs again from the start, a bounded
 * number of times: fn must not keep side effects outside the transaction
 * between runs.  Result: 0 on success, STORE_ERROR with a text in err when
 * the store failed, or fn's own non-zero result.
 *
 * Inside fn, store_get(), store_put(), store_del() and store_scan() return
 * 0, STORE_NOTFOUND (get, del) or STORE_ERROR.  A transaction remembers its
 * first error and refuses all further work (STORE_ERROR), so fn may check
 * once at the end; store_txn_error() gives the text.  Values returned by
 * store_get() and store_scan() are valid until the transaction ends.
 *
 * store_unwritable() says whether the last write failed for want of space
 * or permission: the map at DatabaseMaxSize, the filesystem full,
 * read-only or refusing (ENOSPC, EDQUOT, EROFS, EACCES, EPERM, EIO,
 * EFBIG).  Such a write may work once the operator acts, so callers keep
 * what they meant to write and hold new work back; the next write that
 * commits clears it.  store_set_max_size() moves the limit the map may
 * grow to (a reload of DatabaseMaxSize: the next write that needs room
 * takes it).
 *
 * store_stale_readers() says how many reader slots of dead processes were
 * cleared when the store was opened; store_check_readers() clears them
 * now (a process killed inside a read transaction pins old pages while
 * others keep the store open) and returns how many, or -1 on error.
 *
 * Keys compare as unsigned bytes, so big-endian integers and
 * length-prefixed strings (store_key_*) keep related keys together for
 * store_scan() over a prefix.
 */
#ifndef REPGUARD_STORE_H
#define REPGUARD_STORE_H

#include <stddef.h>
#include <stdint.h>

typedef struct STORE STORE;
typedef struct STORE_TXN STORE_TXN;

enum store_db {
	STORE_DB_META,		/* schema version and other store facts */
	STORE_DB_SENDERS,	/* sender key -> sender record */
	STORE_DB_COUNTERS,	/* sender key, granularity, bucket -> counts */
	STORE_DB_RETURNPATH,	/* record id -> the message a token names */
	STORE_DB_BOUNCES,	/* event id -> one bounce or complaint */
	STORE_DB_HISTORY,	/* sender key, time, seq -> a state change */
	STORE_DB_SUPPRESS,	/* hash of scope and address -> an entry */
	STORE_DB_BUCKETS,	/* bucket name -> a rate limit's tokens */
	STORE_DB_OUTBOX,	/* seq -> a change for the other nodes */
	STORE_DB_PEERS,		/* node -> the last of its changes applied */
	STORE_DB_MAX
};

#define STORE_NOTFOUND	1
#define STORE_ERROR	(-1)
#define STORE_SCHEMA_VERSION 1

typedef struct {
	uint64_t initial_size;	/* bytes; 0 = the default (16 MiB) */
	uint64_t max_size;	/* bytes; growth stops here; 0 = 4 GiB */
	unsigned file_mode;	/* of the files it creates, whatever the
				   process's umask; 0 = 0660 */
	uint64_t journal_max;	/* bytes of outbox for the journal ("The
				   journal" below); 0: no journal */
} STORE_OPTS;

typedef int (*STORE_FN)(STORE_TXN *, void *ctx);
typedef int (*STORE_SCAN_FN)(const void *key, size_t klen, const void *val,
		size_t vlen, void *ctx);

STORE		*store_open(const char *path, const STORE_OPTS *, char *err,
		    size_t errlen);
void		 store_close(STORE *);
int		 store_read(STORE *, STORE_FN, void *ctx, char *err, size_t errlen);
int		 store_write(STORE *, STORE_FN, void *ctx, char *err,
		    size_t errlen);
uint64_t	 store_map_size(STORE *);
uint64_t	 store_used_bytes(STORE *);
int		 store_unwritable(const STORE *);
const char	*store_db_name(int db);		/* "senders", ... */

/*
 * Administration (store_admin.c), for repguardctl db:
 *
 *	rc = store_verify(dir, report, ctx, err, errlen);
 *		reads every record of every database: 0 all readable,
 *		1 damaged (report named where), -1 not even openable (err)
 *	n = store_salvage(file, dir, &opts, report, ctx, err, errlen);
 *		copies every readable record of the data file 'file' (a
 *		damaged database set aside) into a new store at dir; the
 *		records copied, or -1 (err)
 *	rc = store_backup(dir, file, err, errlen);
 *		a consistent, compacted copy of the store at dir into a new
 *		file (mode 0600), while the daemon runs; 0 or -1 (err)
 *
 * report(db, records, problem, ctx) is called once per database, problem
 * NULL when it was read to its end.  A damaged page may also crash the
 * reading process: run verify and salvage in a child when that matters.
 */
typedef void (*STORE_REPORT_FN)(const char *db, long long records,
		const char *problem, void *ctx);
int		 store_verify(const char *dir, STORE_REPORT_FN, void *ctx,
		    char *err, size_t errlen);
long long	 store_salvage(const char *file, const char *dir,
		    const STORE_OPTS *, STORE_REPORT_FN, void *ctx,
		    char *err, size_t errlen);
int		 store_backup(const char *dir, const char *file, char *err,
		    size_t errlen);
void		 store_set_max_size(STORE *, uint64_t);	/* at a reload */
int		 store_stale_readers(const STORE *);
int		 store_check_readers(STORE *);

int		 store_get(STORE_TXN *, int db, const void *key, size_t klen,
		    const void **val, size_t *vlen);
int		 store_put(STORE_TXN *, int db, const void *key, size_t klen,
		    const void *val, size_t vlen);
int		 store_del(STORE_TXN *, int db, const void *key, size_t klen);
int		 store_scan(STORE_TXN *, int db, const void *prefix, size_t plen,
		    const void *from, size_t flen, STORE_SCAN_FN, void *ctx);
const char	*store_txn_error(const STORE_TXN *);

/*
 * The journal (journal.c): what the other nodes of a cluster must learn.
 * Off unless store_journal_start() gave it a size; then the modules that
 * make a change worth sharing (a sender's counts and state, a bounce
 * event, a suppression, a return-path record) append it with
 * store_journal() inside the transaction that makes it, so the change and
 * its journal entry commit together or not at all.  Entries wait in the
 * outbox database, in order, until store_journal_ack() drops those the
 * cluster has taken.
 *
 *	store_journal_start(st, max_bytes);	0: off again
 *	rc = store_journal(txn, kind, p, len);	0 (also when off, held or
 *						full), or STORE_ERROR
 *	was = store_journal_hold(txn, 1);	no entries from this
 *						transaction until held 0
 *						again (applying the other
 *						nodes' changes)
 *	rc = store_journal_read(txn, after, max, fn, ctx);
 *		fn(seq, kind, p, len, ctx) for up to max entries past seq
 *		'after', in order; fn returns non-zero to stop
 *	rc = store_journal_ack(txn, upto);	drops entries up to seq upto
 *	store_journal_stat(txn, &st);		depth, bytes, dropped, resync
 *	store_journal_resynced(txn);		clears resync
 *
 * The outbox holds at most max_bytes of entries (key and value): an entry
 * that does not fit is dropped, counted, and sets "resync", which asks
 * the cluster to publish the node's whole state again (pauses,
 * suppressions) once it is reachable: what was dropped is then only
 * counts.  The kinds are the modules' own (STORE_CHANGE_*); the store
 * keeps them, it does not read them.
 */
enum store_change {
	STORE_CHANGE_COUNT = 1,	/* a sender's counts (tally.c) */
	STORE_CHANGE_EVENT,	/* a bounce or complaint, with its counts
				   (rpaccount.c) */
	STORE_CHANGE_STATE,	/* a sender's new state (sender_state.c) */
	STORE_CHANGE_SUPPRESS,	/* an entry added (suppress.c) */
	STORE_CHANGE_UNSUPPRESS,	/* an entry lifted (suppress.c) */
	STORE_CHANGE_RECORD,	/* a return-path record (tally.c) */
	STORE_CHANGE_MAX
};

typedef struct {
	uint64_t	 depth;		/* entries waiting */
	uint64_t	 bytes;		/* their size */
	uint64_t	 first, last;	/* their seqs (0: none) */
	uint64_t	 dropped;	/* entries that did not fit, ever */
	int		 resync;	/* some did since the last resync */
} STORE_JOURNAL_STAT;

typedef int (*STORE_JOURNAL_FN)(uint64_t seq, int kind, const void *p,
		size_t len, void *ctx);

void		 store_journal_start(STORE *, uint64_t max_bytes);
uint64_t	 store_journal_max(STORE_TXN *);	/* 0: journal nothing */
int		 store_journal_hold(STORE_TXN *, int hold);
int		 store_journal(STORE_TXN *, int kind, const void *p,
		    size_t len);
int		 store_journal_read(STORE_TXN *, uint64_t after, size_t max,
		    STORE_JOURNAL_FN, void *ctx);
int		 store_journal_ack(STORE_TXN *, uint64_t upto);
int		 store_journal_stat(STORE_TXN *, STORE_JOURNAL_STAT *);
int		 store_journal_resynced(STORE_TXN *);

/* Key building: append to buf at *len, never beyond size; 0 or -1 if full. */
int		 store_key_u8(unsigned char *buf, size_t size, size_t *len,
		    unsigned v);
int		 store_key_u64(unsigned char *buf, size_t size, size_t *len,
		    uint64_t v);
int		 store_key_str(unsigned char *buf, size_t size, size_t *len,
		    const char *s, size_t slen);
uint64_t	 store_get_u64(const unsigned char *p);
int		 store_get_str(const unsigned char *p, size_t len, size_t *off,
		    char *out, size_t outsize);

#endif
