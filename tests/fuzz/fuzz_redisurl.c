/*
 * fuzz_redisurl.c - redis_url_parse() and redis_target_secret()
 * (filter/cluster/redis_url.c) on any text.
 *
 * The whole input is parsed as a Cluster URL and as a password file.
 *
 * Holds for every input: a URL either parses or gives a non-empty error;
 * an input holding '@' (a user or password written into the URL) never
 * parses, and its error quotes nothing of it; a parsed target has its
 * kind, a port 1-65535 for each address, a db 0-1000, NUL-terminated
 * fields within their caps, 1-8 sentinels exactly for a sentinel target,
 * and its text reads back to the same target.  A password file either
 * fills the target (a password of 1-255 octets without white space or
 * control octets, a user of at most 63) or leaves it as it was with a
 * non-empty error that quotes nothing of it.
 */
#include "cluster/redis_url.h"
#include "fuzz.h"

static int
same(const REDIS_TARGET *a, const REDIS_TARGET *b)
{
	int i;

	if (a->kind != b->kind || a->db != b->db || a->port != b->port ||
	    strcmp(a->host, b->host) || strcmp(a->path, b->path) ||
	    strcmp(a->master, b->master) || a->nsentinels != b->nsentinels)
		return 0;
	for (i = 0; i < a->nsentinels; i++)
		if (strcmp(a->sentinels[i].host, b->sentinels[i].host) ||
		    a->sentinels[i].port != b->sentinels[i].port)
			return 0;
	return 1;
}

static void
check_target(const REDIS_TARGET *t)
{
	char text[REDIS_TARGET_TEXT_MAX], msg[300];
	REDIS_TARGET u;
	int i;

	FUZZ_CHECK(t->db >= 0 && t->db <= REDIS_DB_MAX);
	FUZZ_CHECK(memchr(t->host, '\0', sizeof(t->host)) != NULL);
	FUZZ_CHECK(memchr(t->path, '\0', sizeof(t->path)) != NULL);
	FUZZ_CHECK(memchr(t->master, '\0', sizeof(t->master)) != NULL);
	switch (t->kind) {
	case REDIS_TCP:
		FUZZ_CHECK(t->host[0] != '\0' && t->port >= 1 &&
		    t->port <= 65535 && t->nsentinels == 0);
		break;
	case REDIS_UNIX:
		FUZZ_CHECK(t->path[0] == '/' && t->nsentinels == 0);
		break;
	case REDIS_SENTINEL:
		FUZZ_CHECK(t->nsentinels >= 1 &&
		    t->nsentinels <= REDIS_SENTINELS_MAX && t->master[0]);
		for (i = 0; i < t->nsentinels; i++)
			FUZZ_CHECK(t->sentinels[i].host[0] != '\0' &&
			    t->sentinels[i].port >= 1 &&
			    t->sentinels[i].port <= 65535);
		break;
	default:
		FUZZ_CHECK(0);
	}
	redis_target_text(t, text, sizeof(text));
	FUZZ_CHECK(redis_url_parse(text, strlen(text), &u, msg, sizeof(msg)) ==
	    NULL);
	FUZZ_CHECK(same(t, &u));
}

/* The password file's errors: fixed texts, so none can quote the file. */
static const char *const secret_errors[] = {
	"more than one line", "a control octet", "empty", "more than two "
	"words", "user name longer than 63 octets", "password longer than 255 "
	"octets", NULL
};

static void
check_secret(const char *in, size_t size)
{
	REDIS_TARGET t;
	const char *err;
	size_t i;
	int known = 0;

	memset(&t, 0, sizeof(t));
	memcpy(t.password, "untouched", 10);
	err = redis_target_secret(&t, in, size);
	if (err != NULL) {
		FUZZ_CHECK(err[0] != '\0');
		FUZZ_CHECK(strcmp(t.password, "untouched") == 0);
		for (i = 0; secret_errors[i] != NULL; i++)
			known |= strncmp(err, secret_errors[i],
			    strlen(secret_errors[i])) == 0;
		FUZZ_CHECK(known);
		return;
	}
	FUZZ_CHECK(t.password[0] != '\0');
	FUZZ_CHECK(strlen(t.password) <= REDIS_PASSWORD_MAX);
	FUZZ_CHECK(strlen(t.user) <= REDIS_USER_MAX);
	for (i = 0; t.password[i] != '\0'; i++)
		FUZZ_CHECK((unsigned char)t.password[i] > ' ' &&
		    t.password[i] != 0x7f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* the input itself: exactly size octets, as the fuzzer gives it */
	const char *in = (const char *)data, *err;
	char msg[300];
	REDIS_TARGET t;

	err = redis_url_parse(in, size, &t, msg, sizeof(msg));
	if (err != NULL) {
		FUZZ_CHECK(err[0] != '\0');
		if (memchr(in, '@', size) != NULL && size <= REDIS_URL_MAX)
			FUZZ_CHECK(strstr(err, "ClusterPasswordFile") != NULL ||
			    strstr(err, "control octet") != NULL);
	} else {
		FUZZ_CHECK(memchr(in, '@', size) == NULL);
		check_target(&t);
	}
	check_secret(in, size);
	return 0;
}
