/*
 * sender.h - senders: their keys, their state, and their counters.
 *
 * A sender is whoever the operator holds responsible for a message: a SASL
 * login, an envelope sender, or its domain (SENDER_KEY_*).  Its key is
 * canonical (sender_key_make(), sender_key_normalise()) so that case and
 * quoting cannot dodge a decision; the null sender is "<>".  A key longer
 * than SENDER_KEY_STORED octets is cut to SENDER_KEY_KEEP octets (at a
 * character boundary) followed by '~' and the SHA-256 of the whole key in
 * hex, so that it fits the store and stays unique.
 *
 * State: active, warning, paused or probation (the reputation engine,
 * policy/reputation/reputation.c, decides when), with since when, and for a pause
 * until when, why, by whom and whether an operator (manual) or the
 * engine (automatic, with its cool-down) paused it.  Every change goes
 * through sender_set_state(), which also keeps it in the sender's history
 * (policy/reputation/history.c).  A manual pause whose time has passed is no longer
 * in force (sender_is_paused()); an automatic one moves on to probation
 * when the engine next looks.
 *
 * Counters: messages, recipients, and the bounces and complaints that came
 * back (counted in the bucket of the message they are about), kept in per-minute and per-hour
 * buckets so that the last hour or day is one range read
 * (sender_window()).  Minute buckets are kept SENDER_KEEP_MINUTES, hour
 * buckets SENDER_KEEP_HOURS; older ones are pruned when a sender is
 * counted.
 *
 * sender_sweep() removes what has aged out for senders that no longer
 * send: counter buckets past their keeping time, and sender records with
 * no pause in force and nothing counted for SENDER_KEEP_HOURS.  It looks
 * at up to 'budget' keys of each database per call and goes on from
 * there next time (start with a zeroed SENDER_SWEEP), so the database does
 * not grow without bound and no call holds the writer long.
 *
 * Several nodes (sender_sync.c): with the store's journal on, every
 * change of state is journalled (sender_journal_state(), called by
 * sender_set_state()) and the tally journals its counts
 * (sender_journal_count()); another node applies them with
 * sender_apply_count() and sender_apply_state(), which return 0,
 * SENDER_STALE (a state older than ours: left out), SENDER_BAD_CHANGE (a
 * payload that does not parse: nothing written) or STORE_ERROR, and name
 * the sender in key; sender_change_count() and sender_change_state()
 * only read a payload (0 or SENDER_BAD_CHANGE).
 *
 * Functions taking a STORE_TXN run inside the caller's transaction; the
 * others open their own.  Every function takes the current time from its
 * caller, so tests can move the clock.
 */
#ifndef REPGUARD_SENDER_H
#define REPGUARD_SENDER_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "base/addr.h"
#include "store/store.h"

#define SENDER_KEY_MAX		ADDR_KEY_MAX	/* buffers for keys */
#define SENDER_KEY_STORED	400	/* longest key kept (LMDB keys are
					   at most 511 bytes with counters) */
#define SENDER_KEY_KEEP		300	/* of a longer key: this much, '~'
					   and its SHA-256 in hex */
#define SENDER_REASON_MAX	256
#define SENDER_BY_MAX		64
#define SENDER_KEEP_MINUTES	120
#define SENDER_KEEP_HOURS	(24 * 8)

enum sender_key_mode {
	SENDER_KEY_AUTH,		/* SASL login, else envelope sender */
	SENDER_KEY_ENVELOPE,		/* envelope sender */
	SENDER_KEY_ENVELOPE_DOMAIN	/* the envelope sender's domain */
};

enum sender_counter {
	SENDER_MESSAGES,
	SENDER_RECIPIENTS,
	SENDER_HARD,			/* hard bounces */
	SENDER_SOFT,			/* soft and quota bounces */
	SENDER_POLICY,			/* policy and blocklist bounces */
	SENDER_POLICY_MAJOR,		/* ... of them, from major receivers */
	SENDER_COMPLAINTS,
	SENDER_BULK,			/* messages of the bulk class */
	SENDER_BLOCKED,			/* of the policy bounces: the relay
					 * blocked (blocklist, reputation),
					 * failed authentication, content
					 * taken for spam */
	SENDER_COUNTERS			/* how many there are */
};

typedef struct {
	uint64_t n[SENDER_COUNTERS];
} SENDER_COUNTS;

enum sender_state_kind {
	SENDER_ACTIVE,
	SENDER_WARNING,
	SENDER_PAUSED,
	SENDER_PROBATION
};

typedef struct {
	int	 state;			/* SENDER_ACTIVE, ... */
	int	 manual;		/* paused by an operator */
	int64_t	 since;			/* in this state since; 0: never set */
	int64_t	 paused_at;
	int64_t	 paused_until;		/* 0: until resumed */
	int64_t	 cooldown;		/* of the last automatic pause */
	int64_t	 first_seen;		/* 0: never counted */
	int64_t	 last_seen;		/* to the minute */
	int64_t	 last_event;		/* a bounce or complaint counted */
	int64_t	 judged_from;		/* rates are judged from here: the
					 * start of the last probation */
	uint64_t seq;			/* history entries written */
	char	 reason[SENDER_REASON_MAX];	/* of the state */
	char	 by[SENDER_BY_MAX];
	SENDER_COUNTS base[2];		/* the minute and hour buckets at
					 * judged_from */
} SENDER_STATE;


typedef int (*SENDER_LIST_FN)(const char *key, const SENDER_STATE *,
		void *ctx);

const char	*sender_key_make(int mode, const char *login,
		    const char *envfrom, size_t envlen, char *out, size_t outsize);
const char	*sender_key_normalise(const char *arg, size_t len, char *out,
		    size_t outsize);
int		 sender_is_paused(const SENDER_STATE *, int64_t now);
const char	*sender_state_name(int state);

int		 sender_get(STORE_TXN *, const char *key, SENDER_STATE *);
int		 sender_put(STORE_TXN *, const char *key, const SENDER_STATE *);
int		 sender_set_state(STORE_TXN *, const char *key,
		    SENDER_STATE *, int to, const char *by, const char *why,
		    int64_t now);
int		 sender_count(STORE_TXN *, const char *key,
		    const SENDER_COUNTS *, int64_t now);
int		 sender_count_at(STORE_TXN *, const char *key,
		    const SENDER_COUNTS *, int64_t when, int64_t now);
int		 sender_window(STORE_TXN *, const char *key, int64_t seconds,
		    int64_t now, SENDER_COUNTS *);
int64_t		 sender_window_start(int64_t seconds, int64_t now,
		    int64_t *unit);
int		 sender_list(STORE_TXN *, SENDER_LIST_FN, void *ctx);
int		 sender_series(STORE_TXN *, const char *key, int64_t now,
		    int hours, SENDER_COUNTS *out);

int		 sender_lookup(STORE *, const char *key, SENDER_STATE *,
		    char *err, size_t errlen);
int		 sender_pause(STORE *, const char *key, int64_t until,
		    const char *reason, const char *by, int64_t now, char *err,
		    size_t errlen);
int		 sender_resume(STORE *, const char *key, const char *by,
		    int64_t now, int *was_paused, SENDER_STATE *after,
		    char *err, size_t errlen);

#define SENDER_STALE		1
#define SENDER_BAD_CHANGE	2

int		 sender_journal_count(STORE_TXN *, const char *key,
		    const SENDER_COUNTS *, int64_t when);
int		 sender_journal_state(STORE_TXN *, const char *key,
		    const SENDER_STATE *);
int		 sender_change_count(const void *p, size_t len, char *key,
		    size_t keysize, int64_t *when, SENDER_COUNTS *);
int		 sender_change_state(const void *p, size_t len, char *key,
		    size_t keysize, SENDER_STATE *);
int		 sender_apply_count(STORE_TXN *, const void *p, size_t len,
		    int64_t now, char *key, size_t keysize);
int		 sender_apply_state(STORE_TXN *, const void *p, size_t len,
		    int64_t now, char *key, size_t keysize);

typedef struct {
	unsigned char	 at[2][2 + SENDER_KEY_MAX + 1 + 8];	/* resume here */
	size_t		 atlen[2];
	uint64_t	 deleted;		/* keys deleted, in all */
} SENDER_SWEEP;

int		 sender_sweep(STORE *, SENDER_SWEEP *, int64_t now,
		    size_t budget, char *err, size_t errlen);

#endif
