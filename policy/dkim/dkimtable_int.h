/*
 * dkimtable_int.h - internals shared by dkimtable_keys.c and
 * dkimtable_sign.c: limits, the table structures, error collection,
 * and line and field helpers.  Not part of the public interface
 * (policy/dkim/dkimtable.h); include it from policy/dkimtable_*.c only.
 */
#ifndef DKIMTABLE_INT_H
#define DKIMTABLE_INT_H

#include <stddef.h>

#include "dkim/dkimtable.h"

#define DKIMTABLE_SHOW_MAX	48	/* octets of bad text in an error */
#define DKIMTABLE_MSG_MAX	512	/* one message, without FILE:LINE */
#define DKIMTABLE_ERRORS_MAX	100	/* error lines listed */
#define DKIMTABLE_DOMAINKEY	"._domainkey."
#define DKIMTABLE_SHOWBUF	(DKIMTABLE_SHOW_MAX + sizeof("..."))

struct DKIMTABLE_KEYS {
	DKIMTABLE_KEY	 *ent;		/* file order */
	DKIMTABLE_KEY	**byname;	/* sorted by name */
	size_t		  count;
	size_t		  cap;
};

struct DKIMTABLE_SIGN {
	DKIMTABLE_RULE	 *ent;		/* file order */
	DKIMTABLE_RULE	**bypat;	/* file: sorted by pattern, then line */
	size_t		  count;
	size_t		  cap;
	int		  refile;
	char		 *file;		/* for dkimtable_check() */
};

/* One error, and all of a parse's errors (sorted by line at the end). */
struct dkimtable_msg {
	size_t		 line;
	size_t		 seq;
	char		*text;
};

struct dkimtable_err {
	const char		*file;
	struct dkimtable_msg	*msg;
	size_t			 n;
};

/* One line split into key and value (both within the caller's buffer). */
struct dkimtable_kv {
	const char	*key;
	size_t		 keylen;
	const char	*val;
	size_t		 vallen;
};

/* A string that is not NUL-terminated. */
struct dkimtable_str {
	const char	*s;
	size_t		 len;
};

/* Defined in dkimtable_keys.c; see there. */
int dkimtable_space(char c);
unsigned char dkimtable_fold(char c);
int dkimtable_casecmp(const char *a, size_t alen, const char *b,
    size_t blen);
const char *dkimtable_show(char *dst, const char *s, size_t len);
__attribute__((format(printf, 3, 4)))
void dkimtable_err_add(struct dkimtable_err *e, size_t line,
    const char *fmt, ...);
int dkimtable_err_done(struct dkimtable_err *e, char **errors);
int dkimtable_split(const char *p, size_t len, int refile,
    struct dkimtable_kv *kv, char *msg);
int dkimtable_name_check(const char *s, size_t len, char *msg);
void dkimtable_lines(const char *buf, size_t len,
    void (*fn)(void *, const char *, size_t, size_t), void *arg);

#endif /* DKIMTABLE_INT_H */
