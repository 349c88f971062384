/*
 * ctl_suppress.c - the suppression list from the command line (see
 * ctl_suppress.h and repguardctl(8)).
 *
 * Owns: ctl_suppress_cmd(), ctl_suppress_is_cmd().
 *
 *	suppress ADDRESS [--for SENDER] [--reason R] [--expires DURATION]
 *	unsuppress ADDRESS [--for SENDER]
 *	suppressed [--json] [--for SENDER] [--source bounce]
 *	import FILE|- [--for SENDER]
 *	export [--for SENDER]
 *
 * Decisions: import reads and checks the whole file before it writes
 * anything, so a bad line (reported as FILE:LINE: what) leaves the list
 * as it was; then it writes in transactions of CTL_IMPORT_BATCH entries.
 * An entry without a time gets now; one imported with --for gets that
 * scope.  export writes what import reads (suppress_csv.h).
 *
 * Must not: change anything but the suppression list.
 */
#include "config.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "ctl/ctl.h"
#include "ctl/ctl_sender.h"
#include "ctl/ctl_suppress.h"
#include "base/duration.h"
#include "base/mem.h"
#include "reputation/sender.h"
#include "reputation/suppress.h"
#include "reputation/suppress_csv.h"

#define CTL_IMPORT_BATCH	10000
#define CTL_IMPORT_ERRORS	20	/* reported before giving up */

static const char *const ctl_supp_cmds[] = {
	"suppress", "unsuppress", "suppressed", "import", "export", NULL
};

int
ctl_suppress_is_cmd(const char *cmd)
{
	int i;

	for (i = 0; ctl_supp_cmds[i] != NULL; i++)
		if (strcmp(cmd, ctl_supp_cmds[i]) == 0)
			return 1;
	return 0;
}

__attribute__((noreturn, format(printf, 1, 2)))
static void
ctl_supp_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "repguardctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: repguardctl suppress ADDRESS [--for SENDER] "
	    "[--reason hard-bounce|complaint|manual] [--expires DURATION]\n"
	    "       repguardctl unsuppress ADDRESS [--for SENDER]\n"
	    "       repguardctl suppressed [--json] [--for SENDER] "
	    "[--source bounce]\n"
	    "       repguardctl import FILE|- [--for SENDER]\n"
	    "       repguardctl export [--for SENDER]\n");
	exit(2);
}

struct ctl_supp {
	const char	*scope;		/* "" or a sender key */
	SUPPRESS_ENTRY	*v;		/* entries to write */
	size_t		 n, from, upto;
	int		 found;		/* unsuppress */
	int		 json, count;	/* suppressed */
	int		 filter;	/* list only this scope */
	int		 bounces;	/* --source bounce: only those a
					 * report made */
};

static int
ctl_supp_put_fn(STORE_TXN *t, void *ctx)
{
	struct ctl_supp *s = ctx;
	size_t i;

	for (i = s->from; i < s->upto; i++)
		if (suppress_put(t, s->v[i].scope, s->v[i].addr, &s->v[i]) != 0)
			return STORE_ERROR;
	return 0;
}

static int
ctl_supp_del_fn(STORE_TXN *t, void *ctx)
{
	struct ctl_supp *s = ctx;
	int rc = suppress_del(t, s->scope, s->v[0].addr);

	s->found = rc == 0;
	return rc == STORE_ERROR ? STORE_ERROR : 0;
}

static void
ctl_supp_time(int64_t t, char *out, size_t outsize)
{
	if (t == 0)
		snprintf(out, outsize, "never");
	else
		ctl_time(t, out, outsize);
}

/* A JSON string, or null for "". */
static void
ctl_json_opt(const char *v)
{
	if (v[0] == '\0')
		printf("null");
	else
		ctl_json_str(v);
}

static int
ctl_supp_list_cb(const SUPPRESS_ENTRY *e, void *ctx)
{
	struct ctl_supp *s = ctx;
	char since[64], exp[64], line[2048];

	if (s->filter && strcmp(e->scope, s->scope) != 0)
		return 0;
	if (s->bounces && e->reason == SUPPRESS_MANUAL)
		return 0;
	if (s->json < 0) {		/* export */
		suppress_csv_format(e, line, sizeof(line));
		printf("%s\n", line);
	} else if (s->json) {
		printf("%s{\"address\": ", s->count ? ",\n " : "");
		ctl_json_str(e->addr);
		printf(", \"reason\": \"%s\", \"scope\": ",
		    suppress_reason_name(e->reason));
		if (e->scope[0] != '\0')
			ctl_json_str(e->scope);
		else
			printf("null");
		printf(", \"since\": %lld, \"expires\": ", (long long)e->time);
		if (e->expires != 0)
			printf("%lld", (long long)e->expires);
		else
			printf("null");
		printf(", \"source\": ");
		ctl_json_str(e->source);
		printf(", \"status\": ");
		ctl_json_opt(e->status);
		printf(", \"bounce_reason\": ");
		ctl_json_opt(e->why);
		printf(", \"diagnostic\": ");
		ctl_json_opt(e->diagnostic);
		printf("}");
	} else {
		ctl_time(e->time, since, sizeof(since));
		ctl_supp_time(e->expires, exp, sizeof(exp));
		printf("%-40s %-11s %-20s %-20s %-20s %s\n", e->addr,
		    suppress_reason_name(e->reason), e->scope[0] ? e->scope :
		    "(global)", since, exp, e->source);
	}
	s->count++;
	return 0;
}

static int
ctl_supp_list_fn(STORE_TXN *t, void *ctx)
{
	struct ctl_supp *s = ctx;

	s->count = 0;
	return suppress_list(t, ctl_supp_list_cb, s);
}

/* Read and check a whole import file; the entries, or NULL (reported). */
static SUPPRESS_ENTRY *
ctl_import_read(const char *file, const char *scope, int64_t now,
    size_t *count)
{
	FILE *fp = strcmp(file, "-") == 0 ? stdin : fopen(file, "r");
	SUPPRESS_ENTRY *v = NULL;
	size_t n = 0, cap = 0, len = 0;
	char *line = NULL, by[SENDER_BY_MAX];
	const char *err;
	ssize_t got;
	int lineno = 0, bad = 0;

	if (fp == NULL) {
		fprintf(stderr, "repguardctl: %s: cannot open: %m\n", file);
		return NULL;
	}
	ctl_operator(by, sizeof(by));
	while ((got = getline(&line, &len, fp)) >= 0) {
		lineno++;
		if (suppress_csv_skip(line, (size_t)got))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 1024;
			v = mem_realloc(v, cap * sizeof(*v));
		}
		if ((err = suppress_csv_parse(line, (size_t)got, &v[n])) !=
		    NULL) {
			fprintf(stderr, "%s:%d: %s\n", strcmp(file, "-") ?
			    file : "(stdin)", lineno, err);
			if (++bad >= CTL_IMPORT_ERRORS) {
				fprintf(stderr, "repguardctl: too many errors, "
				    "stopped reading\n");
				break;
			}
			continue;
		}
		if (scope != NULL)
			snprintf(v[n].scope, sizeof(v[n].scope), "%s", scope);
		if (v[n].time == 0)
			v[n].time = now;
		if (v[n].source[0] == '\0')
			snprintf(v[n].source, sizeof(v[n].source), "imported "
			    "by %s from %s", by, strcmp(file, "-") ? file :
			    "standard input");
		n++;
	}
	free(line);
	if (fp != stdin)
		fclose(fp);
	if (bad > 0) {
		fprintf(stderr, "repguardctl: %s: %d bad line(s); nothing "
		    "imported\n", file, bad);
		free(v);
		return NULL;
	}
	*count = n;
	return v != NULL ? v : mem_calloc(1, sizeof(*v));
}

int
ctl_suppress_cmd(const char *cmd, int argc, char **argv,
    const char *confpath)
{
	static const struct option longopts[] = {
		{ "for", required_argument, NULL, 'F' },
		{ "reason", required_argument, NULL, 'r' },
		{ "expires", required_argument, NULL, 'e' },
		{ "json", no_argument, NULL, 'j' },
		{ "source", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	const char *forkey = NULL, *reason = NULL, *expires = NULL, *derr;
	const char *source = NULL;
	char scope[SENDER_KEY_MAX] = "", err[512] = "", t[64];
	SUPPRESS_ENTRY one;
	struct ctl_supp s;
	long long secs = 0;
	int64_t now = clock_now();
	int ch, json = 0, nargs, rc = 0;
	size_t n, i;
	CONF *conf;
	STORE *st;

	optind = 0;
	while ((ch = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (ch) {
		case 'F': forkey = optarg; break;
		case 'r': reason = optarg; break;
		case 'e': expires = optarg; break;
		case 'j': json = 1; break;
		case 's': source = optarg; break;
		case ':': ctl_supp_usage("option \"%s\" needs a value",
		    argv[optind - 1]);
		default: ctl_supp_usage("unknown option \"%s\"",
		    argv[optind - 1]);
		}
	}
	nargs = argc - optind;
	if (source != NULL && (strcmp(cmd, "suppressed") != 0 ||
	    strcmp(source, "bounce") != 0))
		ctl_supp_usage("--source: only \"suppressed --source bounce\"");
	if (forkey != NULL && (derr = sender_key_normalise(forkey,
	    strlen(forkey), scope, sizeof(scope))) != NULL)
		ctl_supp_usage("bad --for \"%s\": %s", forkey, derr);
	memset(&s, 0, sizeof(s));
	memset(&one, 0, sizeof(one));
	s.scope = scope;
	if (strcmp(cmd, "suppress") == 0 || strcmp(cmd, "unsuppress") == 0) {
		if (nargs != 1)
			ctl_supp_usage("%s takes one ADDRESS", cmd);
		if (json || (cmd[0] == 'u' && (reason || expires)))
			ctl_supp_usage("%s: unexpected option", cmd);
		if ((derr = addr_canon(argv[optind], strlen(argv[optind]),
		    one.addr, sizeof(one.addr), &n)) != NULL || n == 0)
			ctl_supp_usage("bad address \"%s\": %s", argv[optind],
			    derr ? derr : "the null sender");
		one.reason = SUPPRESS_MANUAL;
		if (reason != NULL && suppress_reason_parse(reason,
		    &one.reason) != NULL)
			ctl_supp_usage("bad --reason \"%s\": expected "
			    "hard-bounce, complaint or manual", reason);
		if (expires != NULL && ((derr = duration_parse(expires,
		    strlen(expires), &secs)) != NULL || secs <= 0))
			ctl_supp_usage("bad --expires \"%s\": %s", expires,
			    derr ? derr : "must be longer than 0s");
	} else if (strcmp(cmd, "import") == 0) {
		if (nargs != 1 || json || reason || expires)
			ctl_supp_usage("import takes one FILE (or -) and "
			    "--for");
	} else if (nargs != 0 || reason || expires ||
	    (json && strcmp(cmd, "export") == 0))
		ctl_supp_usage("%s takes no arguments but %s", cmd,
		    cmd[0] == 'e' ? "--for" : "--json and --for");

	if (strcmp(cmd, "import") == 0) {
		/* check the whole file before opening the store for it */
		if ((s.v = ctl_import_read(argv[optind], forkey ? scope : NULL,
		    now, &s.n)) == NULL)
			return 1;
	}
	st = ctl_open(confpath, &conf);
	if (strcmp(cmd, "suppress") == 0) {
		snprintf(one.scope, sizeof(one.scope), "%s", scope);
		one.time = now;
		one.expires = secs > 0 ? now + secs : 0;
		ctl_operator(one.source, sizeof(one.source));
		s.v = &one;
		s.upto = 1;
		if (store_write(st, ctl_supp_put_fn, &s, err, sizeof(err)))
			rc = 1;
		else {
			ctl_supp_time(one.expires, t, sizeof(t));
			printf("suppressed %s%s%s (%s) until %s\n", one.addr,
			    scope[0] ? " for " : "", scope,
			    suppress_reason_name(one.reason), t);
		}
		s.v = NULL;
	} else if (strcmp(cmd, "unsuppress") == 0) {
		s.v = &one;
		if (store_write(st, ctl_supp_del_fn, &s, err, sizeof(err)))
			rc = 1;
		else
			printf(s.found ? "unsuppressed %s%s%s\n" :
			    "%s%s%s was not suppressed\n", one.addr,
			    scope[0] ? " for " : "", scope);
		s.v = NULL;
	} else if (strcmp(cmd, "import") == 0) {
		for (i = 0; i < s.n && rc == 0; i += CTL_IMPORT_BATCH) {
			s.from = i;
			s.upto = i + CTL_IMPORT_BATCH < s.n ?
			    i + CTL_IMPORT_BATCH : s.n;
			if (store_write(st, ctl_supp_put_fn, &s, err,
			    sizeof(err)) != 0) {
				fprintf(stderr, "repguardctl: %zu of %zu "
				    "entries imported before the error\n", i,
				    s.n);
				rc = 1;
			}
		}
		if (rc == 0)
			printf("imported %zu entr%s\n", s.n, s.n == 1 ? "y" :
			    "ies");
	} else {
		s.json = strcmp(cmd, "export") == 0 ? -1 : json;
		s.filter = forkey != NULL;
		s.bounces = source != NULL;
		if (s.json < 0)
			printf("%s\n", SUPPRESS_CSV_HEADER);
		else if (s.json)
			printf("[");
		if (store_read(st, ctl_supp_list_fn, &s, err, sizeof(err)))
			rc = 1;
		if (s.json > 0)
			printf("]\n");
	}
	if (rc != 0 && err[0] != '\0')
		fprintf(stderr, "repguardctl: database: %s\n", err);
	free(s.v);
	store_close(st);
	conf_unref(conf);
	return rc;
}
