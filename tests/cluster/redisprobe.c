/*
 * redisprobe.c - drive filter/cluster/redis.h against a real server, for
 * tests/cluster/t_redis_link.sh.
 *
 *	redisprobe [-t MS] [-T MS] [-a FILE] URL connect
 *		connect; "connected ADDRESS" and the target's text
 *	redisprobe [...] URL cmd ARG...
 *		one command; its reply, one line per element ("integer 5",
 *		"string v", "status OK", "error READONLY ... [readonly]",
 *		"nil", "array 2" and the elements indented)
 *	redisprobe [...] URL incr KEY N
 *		N INCRs of KEY appended, then one exchange: every reply must
 *		be the integer one above the one before
 *	redisprobe [...] URL stall FILE
 *		connect, print "connected", wait (up to 20 s) until FILE
 *		exists, then time one exchange (PING) and one more after it
 *
 * -t is the target's timeout (ClusterTimeout; default 1000 ms), -T a
 * timeout set with redis_set_timeout() once connected, -a a password file
 * read as ClusterPasswordFile is (secretfile_read(), then
 * redis_target_secret()).  Exit status 0 when all went as it should, 1
 * when not ("error: ..." on standard output), 2 for a usage error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cluster/redis.h"
#include "cluster/redis_url.h"
#include "common/secretfile.h"

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
print_reply(const REDIS_REPLY *r, int depth)
{
	const char *s;
	size_t len, i;

	printf("%*s", depth * 2, "");
	s = redis_reply_str(r, &len);
	switch (redis_reply_type(r)) {
	case REDIS_R_STRING:
		printf("string %.*s\n", (int)len, s);
		break;
	case REDIS_R_STATUS:
		printf("status %.*s\n", (int)len, s);
		break;
	case REDIS_R_ERROR:
		printf("error %.*s%s\n", (int)len, s, redis_reply_readonly(r) ?
		    " [readonly]" : "");
		break;
	case REDIS_R_INTEGER:
		printf("integer %lld\n", redis_reply_int(r));
		break;
	case REDIS_R_NIL:
		printf("nil\n");
		break;
	case REDIS_R_ARRAY:
		printf("array %zu\n", redis_reply_count(r));
		for (i = 0; i < redis_reply_count(r); i++)
			print_reply(redis_reply_elem(r, i), depth + 1);
		break;
	}
}

static int
probe_cmd(REDIS *r, int argc, char **argv)
{
	REDIS_REPLY **rep;
	char err[1024];
	size_t n;

	redis_append(r, argc, (const char **)argv, NULL);
	if (redis_exchange(r, &rep, &n, err, sizeof(err)) == -1) {
		printf("error: %s\n", err);
		return 1;
	}
	print_reply(rep[0], 0);
	redis_replies_free(rep, n);
	return 0;
}

static int
probe_incr(REDIS *r, const char *key, long count)
{
	const char *argv[2] = { "INCR", key };
	REDIS_REPLY **rep;
	char err[1024];
	size_t n, i, bad = 0;
	long long first;

	for (i = 0; i < (size_t)count; i++)
		redis_append(r, 2, argv, NULL);
	if (redis_exchange(r, &rep, &n, err, sizeof(err)) == -1) {
		printf("error: %s\n", err);
		return 1;
	}
	first = n > 0 ? redis_reply_int(rep[0]) : 0;
	for (i = 0; i < n; i++)
		if (redis_reply_type(rep[i]) != REDIS_R_INTEGER ||
		    redis_reply_int(rep[i]) != first + (long long)i)
			bad++;
	printf("%zu replies in one exchange, %lld to %lld, %zu out of "
	    "order\n", n, first, n > 0 ? redis_reply_int(rep[n - 1]) : 0, bad);
	redis_replies_free(rep, n);
	return n == (size_t)count && bad == 0 ? 0 : 1;
}

/* One exchange after FILE appears, timed; then one more. */
static int
probe_stall(REDIS *r, const char *file)
{
	REDIS_REPLY **rep;
	char err[1024];
	long long t0;
	size_t n;
	int i, rc;

	printf("connected %s\n", redis_address(r));
	fflush(stdout);
	for (i = 0; i < 2000 && access(file, F_OK) != 0; i++)
		usleep(10000);
	redis_append(r, 1, (const char *[]){ "PING" }, NULL);
	t0 = now_ms();
	rc = redis_exchange(r, &rep, &n, err, sizeof(err));
	if (rc == 0) {
		printf("exchange answered after %lld ms\n", now_ms() - t0);
		redis_replies_free(rep, n);
		return 1;
	}
	printf("exchange failed after %lld ms: %s\n", now_ms() - t0, err);
	redis_append(r, 1, (const char *[]){ "PING" }, NULL);
	t0 = now_ms();
	rc = redis_exchange(r, &rep, &n, err, sizeof(err));
	printf("then %s after %lld ms: %s\n", rc == -1 ? "failed" : "answered",
	    now_ms() - t0, rc == -1 ? err : "");
	if (rc == 0)
		redis_replies_free(rep, n);
	return rc == -1 ? 0 : 1;
}

/* The password file, read as the configuration reads it. */
static int
read_secret(REDIS_TARGET *t, const char *path)
{
	unsigned char *buf;
	const char *e;
	char err[512];
	size_t len;

	if ((buf = secretfile_read(path, 1024, &len, err, sizeof(err))) ==
	    NULL) {
		printf("error: %s\n", err);
		return -1;
	}
	e = redis_target_secret(t, (const char *)buf, len);
	secretfile_free(buf);
	if (e != NULL) {
		printf("error: %s: %s\n", path, e);
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	char err[1024], text[REDIS_TARGET_TEXT_MAX];
	const char *secret = NULL, *e;
	REDIS_TARGET t;
	REDIS *r;
	int ch, timeout = 1000, later = -1, rc;

	while ((ch = getopt(argc, argv, "+t:T:a:")) != -1) {
		switch (ch) {
		case 't': timeout = atoi(optarg); break;
		case 'T': later = atoi(optarg); break;
		case 'a': secret = optarg; break;
		default: return 2;
		}
	}
	if (argc - optind < 2) {
		fprintf(stderr, "usage: redisprobe [-t MS] [-T MS] [-a FILE] "
		    "URL connect|cmd ARG...|incr KEY N|stall FILE\n");
		return 2;
	}
	if ((e = redis_url_parse(argv[optind], strlen(argv[optind]), &t, err,
	    sizeof(err))) != NULL) {
		printf("error: URL: %s\n", e);
		return 1;
	}
	t.timeout_ms = timeout;
	if (secret != NULL && read_secret(&t, secret) == -1)
		return 1;
	redis_target_text(&t, text, sizeof(text));
	r = redis_connect(&t, err, sizeof(err));
	redis_target_wipe(&t);
	if (r == NULL) {
		printf("error: %s\n", err);
		return 1;
	}
	if (later >= 0 && redis_set_timeout(r, later) == -1) {
		printf("error: redis_set_timeout failed\n");
		redis_close(r);
		return 1;
	}
	argv += optind + 1;
	argc -= optind + 1;
	if (strcmp(argv[0], "connect") == 0) {
		printf("connected %s (%s)\n", redis_address(r), text);
		rc = 0;
	} else if (strcmp(argv[0], "cmd") == 0 && argc >= 2)
		rc = probe_cmd(r, argc - 1, argv + 1);
	else if (strcmp(argv[0], "incr") == 0 && argc == 3)
		rc = probe_incr(r, argv[1], atol(argv[2]));
	else if (strcmp(argv[0], "stall") == 0 && argc == 2)
		rc = probe_stall(r, argv[1]);
	else {
		fprintf(stderr, "redisprobe: unknown command\n");
		rc = 2;
	}
	redis_close(r);
	return rc;
}
