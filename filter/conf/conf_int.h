/*
 * conf_int.h - what the parts of filter/conf/ share: conf.c (the keyword
 * table and the values), conf_value.c (one keyword's value, parsed by its
 * type), conf_snapshot.c (a snapshot: loading, the objects it holds, its
 * references), conf_rep.c and conf_shape.c (rules built from values),
 * conf_cluster.c (the cluster's settings and its password).
 * Not for other modules: they use conf.h.
 */
#ifndef REPGUARD_CONF_INT_H
#define REPGUARD_CONF_INT_H

#include <stddef.h>

#include "base/cidr.h"
#include "conf/conf.h"
#include "retpath/intake.h"

enum conf_type {
	CT_STRING, CT_PATH, CT_SOCKET, CT_OCTAL, CT_SIZE, CT_CIDRS, CT_ENUM,
	CT_BOOL, CT_FACILITY, CT_UINT, CT_USER, CT_DOMAIN, CT_SELECTOR,
	CT_DATASET, CT_CANON, CT_LIST, CT_DURATION, CT_RATE, CT_RULE, CT_DATE,
	CT_WARMUP, CT_HEADER, CT_LISTEN, CT_REDIS_URL, CT_NAME, CT_MSEC
};

struct conf_def {
	const char		*name;
	enum conf_type		 type;
	const char		*def;		/* NULL: unset by default */
	const char *const	*choices;	/* CT_ENUM */
	long long		 min, max;	/* CT_UINT, CT_SIZE, CT_DURATION
						   (seconds), CT_MSEC (ms) */
	int			 restart;	/* needs a restart to change */
};

struct conf_val {
	char		*s;		/* the value as written (trimmed) */
	long long	 n;		/* numeric, enum, bool, facility */
	CIDR_LIST	*cidrs;
	int		 line;		/* 0: default */
};

struct SIGNER;
struct RETPATH;
struct BOUNCE_RULES;
struct RPDNS;

/* A snapshot: the values (conf.c) and what was built from them. */
struct CONF {
	int			 refs;		/* under conf_lock */
	char			*path;
	struct conf_val		 v[KW_MAX];
	struct SIGNER		*signer;
	struct RETPATH		*retpath;
	LOGINMAP		*loginmap;	/* NULL: no SenderLoginMap */
	LOGINMAP		*signauth;	/* NULL: no
						   SigningAuthorization */
	struct BOUNCE_RULES	*rules;		/* NULL: every class "unknown" */
	struct RPDNS		*rpdns;		/* NULL: ReturnPathCheck no */
	REP_RULES		 rep;		/* the reputation rules */
	CONF_SHAPING		 shaping;
	INTAKE_SETTINGS		 intake;	/* conf_intake() */
	CLUSTER_SETTINGS	*cluster;	/* NULL: no Cluster */
	char			*warnings;
};

/* Errors of one load, each "file:line: message\n" ("file: ..." at 0). */
struct conf_errs {
	char	*buf;
	size_t	 len;
	int	 n;
};

extern const char *const conf_algorithms[];	/* SignatureAlgorithm */

/* conf_value.c: NULL when s parses (into v), else a message (often
 * written into msg). */
const char	*conf_parse_value(const struct conf_def *, const char *s,
		    struct conf_val *v, char *msg, size_t msglen);

/* conf.c: the values of the file at c->path into c->v, defaults for the
 * rest; -1 (an error in e) if the file cannot be opened. */
int		 conf_values_read(CONF *c, struct conf_errs *e);
void		 conf_values_free(CONF *c);
void		 conf_err(struct conf_errs *, const char *file, int line,
		    const char *fmt, ...)
		    __attribute__((format(printf, 4, 5)));

/* conf_rep.c, conf_shape.c: rules from the values v of the file path;
 * NULL, or the errors ("file:line: message" lines). */
char		*conf_rep_build(const struct conf_val *v, const char *path,
		    REP_RULES *);
char		*conf_shaping_build(const struct conf_val *v, const char *path,
		    CONF_SHAPING *);
void		 conf_shaping_free(CONF_SHAPING *);

/* conf_cluster.c: the cluster's settings from the values v (NULL without
 * Cluster; the password file read unless secrets is 0), errors into e,
 * warnings added to *warnings; conf_cluster_free() wipes and frees. */
CLUSTER_SETTINGS *conf_cluster_build(const struct conf_val *v,
		    const char *path, int secrets, struct conf_errs *e,
		    char **warnings);
void		 conf_cluster_free(CLUSTER_SETTINGS *);
int		 conf_shaping_find(const CONF_SHAPING *, const REP_RULES *,
		    long long probation_limit, const char *bucket,
		    BUCKET_RULE *, char *what, size_t whatsize);

#endif
