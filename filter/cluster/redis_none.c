/*
 * redis_none.c - the Redis link of a repguard built without hiredis
 * (configure did not find it, or --without-hiredis): every connect fails
 * with REDIS_NOT_BUILT, and redis_built_in() says 0, so that the
 * configuration refuses Cluster before anything tries.  The build picks
 * this file or redis.c (an automake conditional), never an #if.
 *
 * Owns: the functions of redis.h, as stubs.  No connection is ever made,
 * so the functions that take one are never reached; they keep the
 * program linkable and harmless.
 * Must not: include hiredis.h.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cluster/redis.h"

REDIS *
redis_connect(const REDIS_TARGET *t, char *err, size_t errlen)
{
	(void)t;
	snprintf(err, errlen, "%s", REDIS_NOT_BUILT);
	return NULL;
}

void redis_close(REDIS *r) { (void)r; }
const char *redis_address(const REDIS *r) { (void)r; return "none"; }

void
redis_append(REDIS *r, int argc, const char **argv, const size_t *argvlen)
{
	(void)r;
	(void)argc;
	(void)argv;
	(void)argvlen;
}

int
redis_exchange(REDIS *r, REDIS_REPLY ***replies, size_t *n, char *err,
    size_t errlen)
{
	(void)r;
	*replies = NULL;
	*n = 0;
	snprintf(err, errlen, "%s", REDIS_NOT_BUILT);
	return -1;
}

void
redis_replies_free(REDIS_REPLY **rep, size_t n)
{
	(void)n;
	free(rep);
}

int redis_set_timeout(REDIS *r, int ms) { (void)r; (void)ms; return -1; }
int redis_reply_type(const REDIS_REPLY *r) { (void)r; return REDIS_R_NIL; }
long long redis_reply_int(const REDIS_REPLY *r) { (void)r; return 0; }

const char *
redis_reply_str(const REDIS_REPLY *r, size_t *len)
{
	(void)r;
	if (len != NULL)
		*len = 0;
	return NULL;
}

size_t redis_reply_count(const REDIS_REPLY *r) { (void)r; return 0; }

const REDIS_REPLY *
redis_reply_elem(const REDIS_REPLY *r, size_t i)
{
	(void)r;
	(void)i;
	return NULL;
}

int
redis_reply_is_error(const REDIS_REPLY *r, const char *code)
{
	(void)r;
	(void)code;
	return 0;
}

int redis_reply_readonly(const REDIS_REPLY *r) { (void)r; return 0; }
int redis_built_in(void) { return 0; }
