/*
 * conf_int.h - what conf.c (the keyword table, files, snapshots) and
 * conf_value.c (one keyword's value, parsed by its type) share.  Not for
 * other modules: they use conf.h.
 */
#ifndef REPGUARD_CONF_INT_H
#define REPGUARD_CONF_INT_H

#include <stddef.h>

#include "base/cidr.h"

enum conf_type {
	CT_STRING, CT_PATH, CT_SOCKET, CT_OCTAL, CT_SIZE, CT_CIDRS, CT_ENUM,
	CT_BOOL, CT_FACILITY, CT_UINT, CT_USER, CT_DOMAIN, CT_SELECTOR,
	CT_DATASET, CT_CANON, CT_LIST, CT_DURATION, CT_RATE, CT_RULE, CT_DATE,
	CT_WARMUP, CT_HEADER, CT_LISTEN
};

struct conf_def {
	const char		*name;
	enum conf_type		 type;
	const char		*def;		/* NULL: unset by default */
	const char *const	*choices;	/* CT_ENUM */
	long long		 min, max;	/* CT_UINT, CT_SIZE */
	int			 restart;	/* needs a restart to change */
};

struct conf_val {
	char		*s;		/* the value as written (trimmed) */
	long long	 n;		/* numeric, enum, bool, facility */
	CIDR_LIST	*cidrs;
	int		 line;		/* 0: default */
};

extern const char *const conf_algorithms[];	/* SignatureAlgorithm */

/* NULL when s parses (into v), else a message (often written into msg). */
const char	*conf_parse_value(const struct conf_def *, const char *s,
		    struct conf_val *v, char *msg, size_t msglen);

#endif
