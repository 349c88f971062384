/*
 * retpath.c - the return-path settings of one configuration snapshot
 * (see retpath.h).
 *
 * Owns: retpath_create(), retpath_free() and the retpath_*() accessors.
 * Built from a RETPATH_SETTINGS that filter/conf/ fills in.
 * Must not: read the configuration itself (it is handed the values),
 * keep a key in memory it frees without wiping it, or accept a key file
 * others can read.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "base/addr.h"
#include "base/mem.h"
#include "retpath/retpath.h"
#include "common/secretfile.h"

#define RETPATH_FILE_MAX	4096	/* bytes in a key file */

struct RETPATH {
	char		*domain;	/* NULL: rewriting off */
	char		*prefix;
	int64_t		 expiry;
	RPTOKEN_KEY	 keys[RETPATH_KEYS_MAX];
	char		*paths[RETPATH_KEYS_MAX];	/* their files */
	size_t		 nkeys;
	char		**senders;	/* NULL: every sender */
	size_t		 nsenders;
};

/* Add "file:line: message" (at the line n of a keyword) to errors. */
__attribute__((format(printf, 4, 5)))
static void
retpath_note(char **errors, const RETPATH_SETTINGS *st, int n,
    const char *fmt, ...)
{
	char msg[1024], line[1200];
	size_t have = *errors ? strlen(*errors) : 0;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n > 0)
		snprintf(line, sizeof(line), "%s:%d: %s\n", st->file, n, msg);
	else
		snprintf(line, sizeof(line), "%s: %s\n", st->file, msg);
	*errors = mem_realloc(*errors, have + strlen(line) + 1);
	memcpy(*errors + have, line, strlen(line) + 1);
}

/* The next comma- or space-separated word of *p, or NULL. */
static const char *
retpath_word(const char **p, size_t *len)
{
	const char *s = *p, *w;

	while (*s == ',' || isspace((unsigned char)*s))
		s++;
	if (*s == '\0')
		return NULL;
	for (w = s; *s != '\0' && *s != ',' && !isspace((unsigned char)*s);
	    s++)
		;
	*len = (size_t)(s - w);
	*p = s;
	return w;
}

static int
retpath_load_key(RETPATH *rp, const RETPATH_SETTINGS *st, const char *path,
    char **errors)
{
	unsigned char *buf;
	const char *err;
	char msg[512];
	size_t len;

	if (path[0] != '/') {
		retpath_note(errors, st, st->line.key_files,
		    "ReturnPathKeyFile: %s: expected an absolute path", path);
		return -1;
	}
	if (rp->nkeys == RETPATH_KEYS_MAX) {
		retpath_note(errors, st, st->line.key_files,
		    "ReturnPathKeyFile: more than %d keys", RETPATH_KEYS_MAX);
		return -1;
	}
	if ((buf = secretfile_read(path, RETPATH_FILE_MAX, &len, msg,
	    sizeof(msg))) == NULL) {
		retpath_note(errors, st, st->line.key_files,
		    "ReturnPathKeyFile: %s", msg);
		return -1;
	}
	while (len > 0 && isspace(buf[len - 1]))
		len--;
	err = rptoken_key_set(&rp->keys[rp->nkeys], buf, len);
	secretfile_free(buf);
	if (err != NULL) {
		retpath_note(errors, st, st->line.key_files,
		    "ReturnPathKeyFile: %s: %s (openssl rand -hex 32 makes "
		    "one)", path, err);
		return -1;
	}
	rp->paths[rp->nkeys] = mem_strdup(path);
	rp->nkeys++;
	return 0;
}

static int
retpath_load_senders(RETPATH *rp, const RETPATH_SETTINGS *st,
    const char *spec, char **errors)
{
	char key[ADDR_KEY_MAX], word[ADDR_KEY_MAX];
	const char *w, *p = spec;
	size_t len, n;

	while ((w = retpath_word(&p, &len)) != NULL) {
		if (len >= sizeof(word)) {
			retpath_note(errors, st, st->line.senders,
			    "ReturnPathSenders: entry too long");
			return -1;
		}
		memcpy(word, w, len);
		word[len] = '\0';
		if (memchr(word, '@', len) != NULL) {
			if (addr_canon(word, len, key, sizeof(key), &n) !=
			    NULL) {
				retpath_note(errors, st, st->line.senders,
				    "ReturnPathSenders: not an address: "
				    "\"%s\"", word);
				return -1;
			}
		} else {
			for (n = 0; n < len; n++)
				key[n] = (char)tolower((unsigned char)word[n]);
			key[len] = '\0';
		}
		rp->senders = mem_realloc(rp->senders,
		    (rp->nsenders + 1) * sizeof(*rp->senders));
		rp->senders[rp->nsenders++] = mem_strdup(key);
	}
	return 0;
}

RETPATH *
retpath_create(const RETPATH_SETTINGS *st, char **errors)
{
	RETPATH *rp = mem_calloc(1, sizeof(*rp));
	const char *dom = st->domain, *files = st->key_files;
	const char *prefix = st->prefix, *senders = st->senders;
	const char *err, *w, *p;
	char path[4096];
	size_t len;
	int bad = 0;

	rp->expiry = st->expiry;
	rp->prefix = mem_strdup(prefix);
	if ((err = rptoken_prefix_ok(prefix, strlen(prefix))) != NULL) {
		retpath_note(errors, st, st->line.prefix, "ReturnPathPrefix: "
		    "\"%s\": %s", prefix, err);
		bad = 1;
	}
	if (dom == NULL) {
		if (files != NULL || senders != NULL)
			retpath_note(errors, st, files ? st->line.key_files :
			    st->line.senders, "%s: no ReturnPathDomain",
			    files ? "ReturnPathKeyFile" : "ReturnPathSenders");
		if (bad || files != NULL || senders != NULL) {
			retpath_free(rp);
			return NULL;
		}
		return rp;		/* rewriting off */
	}
	rp->domain = mem_strdup(dom);
	for (len = 0; rp->domain[len] != '\0'; len++)
		rp->domain[len] = (char)tolower((unsigned char)rp->domain[len]);
	if (files == NULL) {
		retpath_note(errors, st, st->line.domain, "ReturnPathDomain: "
		    "needs ReturnPathKeyFile (a secret of 32 octets or more)");
		bad = 1;
	}
	for (p = files ? files : ""; (w = retpath_word(&p, &len)) != NULL; ) {
		if (len >= sizeof(path)) {
			retpath_note(errors, st, st->line.key_files,
			    "ReturnPathKeyFile: path too long");
			bad = 1;
			break;
		}
		memcpy(path, w, len);
		path[len] = '\0';
		if (retpath_load_key(rp, st, path, errors) != 0)
			bad = 1;
	}
	if (senders != NULL && retpath_load_senders(rp, st, senders, errors) !=
	    0)
		bad = 1;
	if (bad) {
		retpath_free(rp);
		return NULL;
	}
	return rp;
}

void
retpath_free(RETPATH *rp)
{
	size_t i;

	if (rp == NULL)
		return;
	for (i = 0; i < RETPATH_KEYS_MAX; i++) {
		rptoken_key_wipe(&rp->keys[i]);
		free(rp->paths[i]);
	}
	for (i = 0; i < rp->nsenders; i++)
		free(rp->senders[i]);
	free(rp->senders);
	free(rp->domain);
	free(rp->prefix);
	free(rp);
}

/* Reloads run as UserID: name the key files that user could not read. */
void
retpath_check_owner(const RETPATH *rp, unsigned uid, const char *user,
    char **warnings)
{
	struct stat sb;
	char line[1200];
	size_t i, have;

	for (i = 0; rp != NULL && i < rp->nkeys; i++) {
		if (stat(rp->paths[i], &sb) != 0 || (sb.st_uid == uid &&
		    (sb.st_mode & S_IRUSR)))
			continue;
		snprintf(line, sizeof(line), "%s: ReturnPathKeyFile is not "
		    "owned by user %s (UserID), who reads it again at each "
		    "reload; chown %s it\n", rp->paths[i], user, user);
		have = *warnings ? strlen(*warnings) : 0;
		*warnings = mem_realloc(*warnings, have + strlen(line) + 1);
		memcpy(*warnings + have, line, strlen(line) + 1);
	}
}

int
retpath_on(const RETPATH *rp)
{
	return rp != NULL && rp->domain != NULL;
}

/* envelope_key: a canonical address (addr_canon()); "<>" never. */
int
retpath_applies(const RETPATH *rp, const char *env)
{
	const char *dom;
	size_t i, dl, el;

	if (!retpath_on(rp) || env[0] == '\0' || strcmp(env, "<>") == 0 ||
	    (dom = strrchr(env, '@')) == NULL)
		return 0;
	if (rp->senders == NULL)
		return 1;
	dom++;
	el = strlen(dom);
	for (i = 0; i < rp->nsenders; i++) {
		const char *s = rp->senders[i];

		if (strchr(s, '@') != NULL) {
			if (strcmp(s, env) == 0)
				return 1;
			continue;
		}
		dl = strlen(s);
		if (strcmp(dom, s) == 0 || (el > dl && dom[el - dl - 1] ==
		    '.' && strcmp(dom + el - dl, s) == 0))
			return 1;
	}
	return 0;
}

const char *
retpath_address(const RETPATH *rp, uint64_t id, int64_t now, char *out,
    size_t outsize)
{
	char tok[RPTOKEN_LEN + 1];
	const char *err;

	if (!retpath_on(rp) || rp->nkeys == 0)
		return "return-path rewriting is off";
	if ((err = rptoken_make(&rp->keys[0], id, now + rp->expiry, tok,
	    sizeof(tok))) != NULL)
		return err;
	return rptoken_address(rp->prefix, tok, rp->domain, out, outsize);
}

int64_t retpath_expiry(const RETPATH *rp) { return rp->expiry; }
const char *retpath_domain(const RETPATH *rp) { return rp->domain; }
const char *retpath_prefix(const RETPATH *rp) { return rp->prefix; }

const RPTOKEN_KEY *
retpath_keys(const RETPATH *rp, size_t *n)
{
	*n = rp->nkeys;
	return rp->keys;
}
