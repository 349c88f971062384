/*
 * redis.h - one synchronous connection to a Redis server, and its replies;
 * the only interface to hiredis (no other file includes hiredis.h).
 *
 *	REDIS *r = redis_connect(&target, err, sizeof(err));
 *	redis_append(r, argc, argv, argvlen);	... a pipeline
 *	if (redis_exchange(r, &rep, &n, err, sizeof(err)) == -1)
 *		redis_close(r), r = NULL;	broken: connect again
 *	... redis_reply_type(rep[i]) ...
 *	redis_replies_free(rep, n);
 *	redis_close(r);
 *
 * redis_connect(): for a sentinel target, asks each sentinel in turn
 * (SENTINEL get-master-addr-by-name MASTER) and connects to the first
 * answer; then, in one round trip, AUTH (user and password, or password
 * alone) when the target has a password, ROLE for a sentinel target (the
 * server must say "master", else the next sentinel is asked), SELECT when
 * db is not 0, PING.  AUTH comes before ROLE because a server with a
 * password answers nothing else first.  The connect and every reply wait
 * at most t->timeout_ms (0: no limit).  NULL on failure, with one line in
 * err naming the address: "redis 127.0.0.1:6390: Connection refused",
 * "redis 127.0.0.1:6390: AUTH: WRONGPASS invalid username-password pair
 * or user is disabled.", "sentinel: no sentinel knows master mymaster".
 * A connection is not shared between threads.  Reconnecting after a
 * failover is redis_close() and redis_connect() again: the sentinels are
 * asked anew.
 *
 * redis_exchange() sends every command appended since the last exchange
 * and reads one reply for each, every reply within the timeout; *replies
 * is an array of *n replies (NULL and 0 when nothing was appended), freed
 * with redis_replies_free().  A reply that is a Redis error (-ERR,
 * -NOSCRIPT, -READONLY, -WRONGPASS ...) is a reply of type REDIS_R_ERROR,
 * not a failure.  -1 (err set, nothing to free) when the connection was
 * lost, a reply did not come in time, or the protocol broke: the
 * connection is then broken for good (every later exchange fails at once)
 * and must be closed.
 *
 * After a failover, the old master (now a replica) answers writes with
 * "-READONLY ...": redis_reply_readonly() tells; the caller then closes
 * and connects again through the sentinels.  redis_reply_is_error(r,
 * "NOSCRIPT") tells one error code from another (the first word of the
 * error, compared exactly).
 *
 * Error texts never hold the password (a server's error that quoted it
 * would have it masked).  A built without hiredis (redis_none.c) fails
 * every connect with REDIS_NOT_BUILT; redis_built_in() says which.
 */
#ifndef REPGUARD_REDIS_H
#define REPGUARD_REDIS_H

#include <stddef.h>

#include "cluster/redis_url.h"

#define REDIS_NOT_BUILT "this repguard was built without hiredis (Debian " \
	"package libhiredis-dev): Cluster is not available"

typedef struct REDIS REDIS;
typedef struct REDIS_REPLY REDIS_REPLY;	/* a hiredis reply, opaque */

enum {
	REDIS_R_STRING,
	REDIS_R_ARRAY,
	REDIS_R_INTEGER,
	REDIS_R_NIL,
	REDIS_R_STATUS,
	REDIS_R_ERROR
};

REDIS		*redis_connect(const REDIS_TARGET *, char *err, size_t errlen);
void		 redis_close(REDIS *);
const char	*redis_address(const REDIS *);	/* "127.0.0.1:6379",
					   "[::1]:6379" or "unix:/path" */
void		 redis_append(REDIS *, int argc, const char **argv,
		    const size_t *argvlen);
int		 redis_exchange(REDIS *, REDIS_REPLY ***replies, size_t *n,
		    char *err, size_t errlen);
void		 redis_replies_free(REDIS_REPLY **, size_t n);
int		 redis_set_timeout(REDIS *, int ms);	/* 0, or -1: broken */

/* Every reader takes NULL (an element past the end) as a nil reply, so
 * a caller walks an answer of unexpected shape without checking each
 * step. */
int		 redis_reply_type(const REDIS_REPLY *);
long long	 redis_reply_int(const REDIS_REPLY *);	/* 0 if no integer */
const char	*redis_reply_str(const REDIS_REPLY *, size_t *len);
		    /* string, status, error; else NULL */
size_t		 redis_reply_count(const REDIS_REPLY *);	/* array */
const REDIS_REPLY *redis_reply_elem(const REDIS_REPLY *, size_t i);
		    /* NULL past the end */
int		 redis_reply_is_error(const REDIS_REPLY *, const char *code);
int		 redis_reply_readonly(const REDIS_REPLY *);

int		 redis_built_in(void);		/* 1: hiredis; 0: none */

#endif
