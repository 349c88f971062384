/*
 * ctl_suppress.c - the suppression list from the command line (see
 * ctl_suppress.h and repguardctl(8)).
 *
 * Owns: ctl_suppress_cmd().
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "ctl/ctl_suppress.h"
#include "ctl/ctl_util.h"
#include "base/duration.h"
#include "base/mem.h"
#include "reputation/sender.h"
#include "reputation/suppress.h"
#include "reputation/suppress_csv.h"

#define CTL_IMPORT_BATCH	10000
#define CTL_IMPORT_ERRORS	20	/* reported before giving up */

static const char ctl_supp_usage[] = "usage: repguardctl suppress "
    "ADDRESS [--for SENDER] [--reason hard-bounce|complaint|manual] "
    "[--expires DURATION]\n"
    "       repguardctl unsuppress ADDRESS [--for SENDER]\n"
    "       repguardctl suppressed [--json] [--for SENDER] "
    "[--source bounce]\n"
    "       repguardctl import FILE|- [--for SENDER]\n"
    "       repguardctl export [--for SENDER]\n";

/* What the command line says. */
struct ctl_supp_args {
	const char	*cmd;
	const char	*forkey, *reason, *expires, *source;
	const char	*operand;	/* ADDRESS or FILE, or NULL */
	int		 json;
	char		 scope[SENDER_KEY_MAX];	/* --for, normalised */
	long long	 secs;		/* --expires */
	SUPPRESS_ENTRY	 one;		/* suppress, unsuppress: the entry */
};

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

/* The options, and the checks that hold for every command. */
static void
ctl_supp_opts(int argc, char **argv, struct ctl_supp_args *a)
{
	static const struct option longopts[] = {
		{ "for", required_argument, NULL, 'F' },
		{ "reason", required_argument, NULL, 'r' },
		{ "expires", required_argument, NULL, 'e' },
		{ "json", no_argument, NULL, 'j' },
		{ "source", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	const char *derr;
	int ch;

	optind = 0;
	while ((ch = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (ch) {
		case 'F': a->forkey = optarg; break;
		case 'r': a->reason = optarg; break;
		case 'e': a->expires = optarg; break;
		case 'j': a->json = 1; break;
		case 's': a->source = optarg; break;
		case ':': ctl_usage_exit(ctl_supp_usage,
		    "option \"%s\" needs a value", argv[optind - 1]);
		default: ctl_usage_exit(ctl_supp_usage,
		    "unknown option \"%s\"", argv[optind - 1]);
		}
	}
	if (a->source != NULL && (strcmp(a->cmd, "suppressed") != 0 ||
	    strcmp(a->source, "bounce") != 0))
		ctl_usage_exit(ctl_supp_usage,
		    "--source: only \"suppressed --source bounce\"");
	if (a->forkey != NULL && (derr = sender_key_normalise(a->forkey,
	    strlen(a->forkey), a->scope, sizeof(a->scope))) != NULL)
		ctl_usage_exit(ctl_supp_usage, "bad --for \"%s\": %s",
		    a->forkey, derr);
}

/* suppress and unsuppress: one ADDRESS, and the entry it makes. */
static void
ctl_supp_entry(int nargs, struct ctl_supp_args *a)
{
	const char *cmd = a->cmd, *derr;
	size_t n;

	if (nargs != 1)
		ctl_usage_exit(ctl_supp_usage, "%s takes one ADDRESS", cmd);
	if (a->json || (cmd[0] == 'u' && (a->reason || a->expires)))
		ctl_usage_exit(ctl_supp_usage, "%s: unexpected option", cmd);
	if ((derr = addr_canon(a->operand, strlen(a->operand), a->one.addr,
	    sizeof(a->one.addr), &n)) != NULL || n == 0)
		ctl_usage_exit(ctl_supp_usage, "bad address \"%s\": %s",
		    a->operand, derr ? derr : "the null sender");
	a->one.reason = SUPPRESS_MANUAL;
	if (a->reason != NULL && suppress_reason_parse(a->reason,
	    &a->one.reason) != NULL)
		ctl_usage_exit(ctl_supp_usage, "bad --reason \"%s\": expected "
		    "hard-bounce, complaint or manual", a->reason);
	if (a->expires != NULL && ((derr = duration_parse(a->expires,
	    strlen(a->expires), &a->secs)) != NULL || a->secs <= 0))
		ctl_usage_exit(ctl_supp_usage, "bad --expires \"%s\": %s",
		    a->expires, derr ? derr : "must be longer than 0s");
}

/* The command line: exits 2 on a usage error. */
static void
ctl_supp_args(int argc, char **argv, struct ctl_supp_args *a)
{
	const char *cmd = argv[0];
	int nargs;

	memset(a, 0, sizeof(*a));
	a->cmd = cmd;
	ctl_supp_opts(argc, argv, a);
	nargs = argc - optind;
	a->operand = nargs > 0 ? argv[optind] : NULL;
	if (strcmp(cmd, "suppress") == 0 || strcmp(cmd, "unsuppress") == 0)
		ctl_supp_entry(nargs, a);
	else if (strcmp(cmd, "import") == 0) {
		if (nargs != 1 || a->json || a->reason || a->expires)
			ctl_usage_exit(ctl_supp_usage, "import takes one FILE "
			    "(or -) and --for");
	} else if (nargs != 0 || a->reason || a->expires ||
	    (a->json && strcmp(cmd, "export") == 0))
		ctl_usage_exit(ctl_supp_usage, "%s takes no arguments but %s",
		    cmd, cmd[0] == 'e' ? "--for" : "--json and --for");
}

static int
ctl_supp_add(STORE *st, struct ctl_supp_args *a, struct ctl_supp *s,
    int64_t now, char *err, size_t errlen)
{
	SUPPRESS_ENTRY *one = &a->one;
	char t[64];

	snprintf(one->scope, sizeof(one->scope), "%s", a->scope);
	one->time = now;
	one->expires = a->secs > 0 ? now + a->secs : 0;
	ctl_operator(one->source, sizeof(one->source));
	s->v = one;
	s->upto = 1;
	if (store_write(st, ctl_supp_put_fn, s, err, errlen))
		return 1;
	ctl_supp_time(one->expires, t, sizeof(t));
	printf("suppressed %s%s%s (%s) until %s\n", one->addr,
	    a->scope[0] ? " for " : "", a->scope,
	    suppress_reason_name(one->reason), t);
	return 0;
}

static int
ctl_supp_remove(STORE *st, struct ctl_supp_args *a, struct ctl_supp *s,
    char *err, size_t errlen)
{
	s->v = &a->one;
	if (store_write(st, ctl_supp_del_fn, s, err, errlen))
		return 1;
	printf(s->found ? "unsuppressed %s%s%s\n" :
	    "%s%s%s was not suppressed\n", a->one.addr,
	    a->scope[0] ? " for " : "", a->scope);
	return 0;
}

/* s->v, read and checked, in batches of CTL_IMPORT_BATCH. */
static int
ctl_supp_import(STORE *st, struct ctl_supp *s, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < s->n; i += CTL_IMPORT_BATCH) {
		s->from = i;
		s->upto = i + CTL_IMPORT_BATCH < s->n ?
		    i + CTL_IMPORT_BATCH : s->n;
		if (store_write(st, ctl_supp_put_fn, s, err, errlen) != 0) {
			fprintf(stderr, "repguardctl: %zu of %zu entries "
			    "imported before the error\n", i, s->n);
			return 1;
		}
	}
	printf("imported %zu entr%s\n", s->n, s->n == 1 ? "y" : "ies");
	return 0;
}

/* suppressed (a table, or JSON) and export (CSV). */
static int
ctl_supp_list(STORE *st, const struct ctl_supp_args *a, struct ctl_supp *s,
    char *err, size_t errlen)
{
	int rc = 0;

	s->json = strcmp(a->cmd, "export") == 0 ? -1 : a->json;
	s->filter = a->forkey != NULL;
	s->bounces = a->source != NULL;
	if (s->json < 0)
		printf("%s\n", SUPPRESS_CSV_HEADER);
	else if (s->json)
		printf("[");
	if (store_read(st, ctl_supp_list_fn, s, err, errlen))
		rc = 1;
	if (s->json > 0)
		printf("]\n");
	return rc;
}

int
ctl_suppress_cmd(int argc, char **argv, const char *confpath)
{
	struct ctl_supp_args a;
	struct ctl_supp s;
	char err[512] = "";
	int64_t now = clock_now();
	const char *cmd;
	CONF *conf;
	STORE *st;
	int rc;

	ctl_supp_args(argc, argv, &a);
	cmd = a.cmd;
	memset(&s, 0, sizeof(s));
	s.scope = a.scope;
	if (strcmp(cmd, "import") == 0) {
		/* check the whole file before opening the store for it */
		if ((s.v = ctl_import_read(a.operand, a.forkey ? a.scope :
		    NULL, now, &s.n)) == NULL)
			return 1;
	}
	st = ctl_open(confpath, &conf);
	if (strcmp(cmd, "suppress") == 0)
		rc = ctl_supp_add(st, &a, &s, now, err, sizeof(err));
	else if (strcmp(cmd, "unsuppress") == 0)
		rc = ctl_supp_remove(st, &a, &s, err, sizeof(err));
	else if (strcmp(cmd, "import") == 0)
		rc = ctl_supp_import(st, &s, err, sizeof(err));
	else
		rc = ctl_supp_list(st, &a, &s, err, sizeof(err));
	if (rc != 0 && err[0] != '\0')
		fprintf(stderr, "repguardctl: database: %s\n", err);
	if (strcmp(cmd, "import") == 0)
		free(s.v);
	store_close(st);
	conf_unref(conf);
	return rc;
}
