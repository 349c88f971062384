/*
 * cluster_int.h - what the parts of the cluster thread share: cluster.c
 * (life, loop, status), cluster_state.c (what they all read and set),
 * cluster_link.c (connecting, the epoch, catching
 * up), cluster_push.c (the outbox out), cluster_pull.c (the stream in),
 * ccmd.c (commands; the keys' names are ckey.c's).  Not for other modules.
 */
#ifndef REPGUARD_CLUSTER_INT_H
#define REPGUARD_CLUSTER_INT_H

#include <pthread.h>
#include <stdint.h>

#include "cluster/capply.h"
#include "cluster/cluster.h"
#include "cluster/cstatus.h"
#include "cluster/redis.h"
#include "reputation/reputation.h"
#include "shaping/shape.h"
#include "store/store.h"

#define CLUSTER_FRAME_ENTRIES	2048	/* journal entries in a frame */
#define CLUSTER_READ_COUNT	64	/* stream entries in a read */
#define CLUSTER_TXN_CHANGES	4096	/* changes applied in one write
					   transaction, about (then the rest
					   of the read waits for the next) */
#define CLUSTER_MINUTE_TTL	(3 * 3600)	/* of a minute's counters */
#define CLUSTER_HOUR_TTL	(9 * 86400)	/* of an hour's, events' */
#define CLUSTER_DOWN_AFTER	3	/* failures in a row: down */
#define CLUSTER_BLOCK_SLACK_MS	250	/* a blocked read's answer, late */
#define CLUSTER_WAIT_MS		500	/* a replica's acknowledgement */
#define CLUSTER_WAIT_GIVE_UP_MS	30000	/* then a master without replicas
					   is taken as it is */
#define CLUSTER_SNAPSHOT_MS	10000	/* reading the whole snapshot */
#define CLUSTER_FRAME_MIN	64	/* entries a push sends, at least */
#define CLUSTER_REPLY_US	200	/* a pipelined command's share of a
					   push's wait, beyond ClusterTimeout */
#define CLUSTER_STOP_MS		2000	/* the last sends at a stop */
#define CLUSTER_NODE_FRESH_S	10	/* a heartbeat this recent: a node */
#define CLUSTER_BUSY_BLOCK_MS	10	/* a read's wait while buckets are
					   taken from (leases to ask) */

struct CLUSTER {
	STORE		*store;
	CLUSTER_OPTS	 o;
	pthread_t	 thread;
	pthread_mutex_t	 lock;		/* rules, stop */
	pthread_cond_t	 wake;
	REP_RULES	 rules;
	int		 have_rules;
	int		 stop;
	int		 up;		/* atomic: cluster_up() */
	/* the thread's own */
	REDIS		*r;
	char		 sha[48];	/* the counting script's */
	char		 bucket_sha[48];	/* the buckets' script's */
	SHAPE		*shape;		/* under lock; NULL: none shared */
	unsigned	 nodes;		/* with a heartbeat of late */
	char		 cursor[CAPPLY_CURSOR_MAX];	/* stream position */
	CSTATUS		 st;
	int		 was_up;	/* -1: never tried */
	int		 fails;		/* in a row; down from CLUSTER_DOWN_AFTER */
	int		 replicas;	/* the most a master had at connect:
					   pushes wait for one of them (WAIT) */
	int64_t		 wait_failing;	/* since when WAIT finds none (ms) */
	int		 waiting;	/* ... said */
	uint64_t	 wait_upto;	/* pushed up to here, a replica's
					   acknowledgement awaited (0: none) */
	int		 resync_wanted;	/* publish this node's state (a new
					   epoch), once the outbox is out */
	int		 catch_up_pending;	/* the link's catch-up, once the
					   outbox is out */
	unsigned	 frame_max;	/* entries a push sends: halved when a
					   push times out, grown back after */
	int64_t		 last_beat, last_status;
};

/* cluster_state.c */
int64_t		 cluster_now_ms(void);
int		 cluster_rules(CLUSTER *, REP_RULES *);	/* 1: have them */
void		 cluster_lost(CLUSTER *, const char *why);
void		 cluster_set_up(CLUSTER *, int up);
/* cluster_link.c */
int		 cluster_link(CLUSTER *);
int		 cluster_resync(CLUSTER *);
/* cluster_push.c: 1 sent a frame, 0 nothing to send, -1 lost */
int		 cluster_push(CLUSTER *);
int		 cluster_beat(CLUSTER *);
/* cluster_lease.c: 1 asked, 0 nothing to ask, -1 lost */
int		 cluster_lease(CLUSTER *, SHAPE *);
extern const char cluster_bucket_lua[];
SHAPE		*cluster_shape(CLUSTER *);
void		 cluster_share(CLUSTER *);
/* cluster_pull.c: entries read, or -1 lost */
int		 cluster_pull(CLUSTER *, unsigned block_ms);
int		 cluster_catch_up(CLUSTER *);

/* ccmd.c: one command's arguments, for redis_append() */
#define CCMD_ARGS	64
typedef struct {
	int		 argc;
	const char	*argv[CCMD_ARGS];
	size_t		 len[CCMD_ARGS];
	char		 num[CCMD_ARGS][24];	/* numbers' text */
	char		*owned[CCMD_ARGS];	/* keys built here */
	int		 full;
} CCMD;

void		 ccmd_init(CCMD *);
void		 ccmd_str(CCMD *, const char *s);
void		 ccmd_bin(CCMD *, const void *p, size_t len);
void		 ccmd_u64(CCMD *, uint64_t v);
void		 ccmd_key(CCMD *, const CLUSTER *, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));
void		 ccmd_token_bucket_key(CCMD *, const CLUSTER *,
		    const char *bucket);
void		 ccmd_sender_key(CCMD *, const CLUSTER *, const char *sender,
		    const char *what);
int		 ccmd_send(CCMD *, REDIS *);	/* appends; 0, -1 if full */
int		 cluster_exchange(CLUSTER *, REDIS_REPLY ***rep, size_t *n,
		    char *err, size_t errlen);

#endif
