/*
 * redis_url.h - where a cluster's Redis is, as the operator writes it (the
 * Cluster keyword), and the account that goes with it (ClusterPasswordFile).
 *
 *	err = redis_url_parse(buf, len, &t, msg, sizeof(msg));
 *	err = redis_target_secret(&t, buf, len);
 *	redis_target_text(&t, text, sizeof(text));	for logs and status
 *	redis_target_wipe(&t);				user and password zeroed
 *
 * The forms redis_url_parse() reads (schemes in any case):
 *
 *	redis://HOST[:PORT][/DB]	HOST a name, an IPv4 address or an IPv6
 *					one in brackets; PORT 1-65535, 6379 when
 *					left out; DB 0-1000, 0 when left out
 *	unix:/PATH[?db=N]		an absolute path of at most 107 octets
 *					(unix:///PATH is read the same)
 *	sentinel://HOST[:PORT][,HOST[:PORT]...]/MASTER[/DB]
 *					one to eight sentinels, asked in turn;
 *					PORT 26379 when left out; MASTER of
 *					[A-Za-z0-9._-], 1 to 63 octets
 *
 * Refused, each with its reason: rediss:// (Debian 12's hiredis 0.14 has
 * no TLS; the text says how else to protect the link), a user or password
 * in the URL (they go in ClusterPasswordFile), query options (other than
 * unix's db=N), percent escapes, white space or control octets, a URL of
 * more than REDIS_URL_MAX octets, and anything else that is not one of the
 * forms.  An error text never repeats the URL whole (a password written
 * into it must not reach a log); at most the part found wrong.
 *
 * redis_target_secret() reads a password file's contents: one line,
 * "password" or "user password" (white space between; one newline at the
 * end allowed).  Its errors never quote the file.
 *
 * Both parsers take a buffer that need not be NUL-terminated and return
 * NULL or an error text (static, or written into msg).  On an error,
 * redis_url_parse() leaves the target cleared and redis_target_secret()
 * leaves it as it was.  The target is
 * plain data of fixed size: no allocation, copy it at will; whoever holds a
 * target with a password wipes it (redis_target_wipe()) before letting go.
 */
#ifndef REPGUARD_REDIS_URL_H
#define REPGUARD_REDIS_URL_H

#include <stddef.h>

#define REDIS_URL_MAX		4096	/* octets of a whole URL */
#define REDIS_HOST_MAX		255	/* octets of a host name */
#define REDIS_PATH_MAX		107	/* a unix socket's path (sun_path) */
#define REDIS_SENTINELS_MAX	8
#define REDIS_MASTER_MAX	63
#define REDIS_DB_MAX		1000
#define REDIS_USER_MAX		63
#define REDIS_PASSWORD_MAX	255
#define REDIS_PORT_DEFAULT	6379
#define REDIS_SENTINEL_PORT_DEFAULT 26379
#define REDIS_TARGET_TEXT_MAX	2560	/* redis_target_text(), with NUL */

enum redis_kind {
	REDIS_TCP = 1,
	REDIS_UNIX,
	REDIS_SENTINEL
};

typedef struct {
	char	host[REDIS_HOST_MAX + 1];	/* IPv6 without brackets */
	int	port;
} REDIS_HOSTPORT;

typedef struct {
	int		kind;			/* enum redis_kind */
	char		host[REDIS_HOST_MAX + 1];	/* REDIS_TCP */
	int		port;				/* REDIS_TCP */
	char		path[REDIS_PATH_MAX + 1];	/* REDIS_UNIX */
	int		db;			/* SELECTed when not 0 */
	REDIS_HOSTPORT	sentinels[REDIS_SENTINELS_MAX];	/* REDIS_SENTINEL */
	int		nsentinels;
	char		master[REDIS_MASTER_MAX + 1];	/* REDIS_SENTINEL */
	char		user[REDIS_USER_MAX + 1];	/* "": AUTH password */
	char		password[REDIS_PASSWORD_MAX + 1];	/* "": no AUTH */
	int		timeout_ms;	/* connect and each reply; 0: none */
} REDIS_TARGET;

const char	*redis_url_parse(const char *buf, size_t len, REDIS_TARGET *t,
		    char *msg, size_t msglen);
const char	*redis_target_secret(REDIS_TARGET *t, const char *buf,
		    size_t len);
const char	*redis_target_text(const REDIS_TARGET *t, char *out,
		    size_t outsize);
void		 redis_target_wipe(REDIS_TARGET *t);

#endif
