/*
 * ctl.c - repguardctl: the operator's command line over repguard's state.
 *
 * Owns: main() of repguardctl and its table of commands (see
 * repguardctl(8) and doc/interfaces.md): each command's name, its line
 * of the usage text, its handler and what must be done before the
 * handler runs.  The commands live in the ctl_*.c files; what they share
 * in ctl_util.c.  repguardctl reads the same configuration file as the
 * daemon and opens the same store while the daemon runs (the store is
 * safe for several processes).  Run as root with UserID set, it drops to
 * that user before opening the store, so files it creates stay the
 * daemon's.
 *
 * Decisions: most commands parse their own arguments.  Those on one
 * sender's state (CTL_STORE) share their options, so they are parsed
 * here, checked against what the table allows, and the handler is given
 * the open store.  The configuration is read with its secrets only for a
 * command that asks the cluster's Redis (CTL_CLUSTER, CTL_CLUSTER_JSON),
 * and only when it has Cluster.  The usage text is the table's, in its
 * order.
 *
 * Exit codes: 0 success, 1 runtime error (configuration, store, unknown
 * sender), 2 usage error (and cluster status: Redis not asked).
 * Must not: include libmilter, or do a command's work itself.
 */
#include "config.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "ctl/ctl_bounce.h"
#include "ctl/ctl_check.h"
#include "ctl/ctl_cluster.h"
#include "ctl/ctl_db.h"
#include "ctl/ctl_dkim.h"
#include "ctl/ctl_limits.h"
#include "ctl/ctl_metrics.h"
#include "ctl/ctl_pause.h"
#include "ctl/ctl_reclassify.h"
#include "ctl/ctl_report.h"
#include "ctl/ctl_sender.h"
#include "ctl/ctl_suppress.h"
#include "ctl/ctl_util.h"
#include "base/duration.h"
#include "reputation/sender.h"
#include "store/store.h"

/* What main() does for a command before its handler runs. */
enum {
	CTL_STORE	= 1 << 0,	/* parse the options below, open the
					 * store, run store_fn (else fn, with
					 * the command's argument vector) */
	CTL_SENDER	= 1 << 1,	/* one SENDER, normalised */
	CTL_JSON	= 1 << 2,	/* --json */
	CTL_FOR		= 1 << 3,	/* --for DURATION, longer than 0s */
	CTL_REASON	= 1 << 4,	/* --reason TEXT */
	CTL_CLUSTER	= 1 << 5,	/* asks the cluster's Redis: read the
					 * configuration with its secrets when
					 * it has Cluster (ctl_conf_cluster()) */
	CTL_CLUSTER_JSON = 1 << 6	/* the same, with --json only */
};

struct ctl_cmd {
	const char	*name;
	const char	*usage;		/* its arguments in the usage text */
	CTL_CMD_FN	 fn;
	CTL_STORE_FN	 store_fn;
	int		 flags;
};

static const struct ctl_cmd ctl_cmds[] = {
	{ "senders", "[--json]", NULL, ctl_senders,
	    CTL_STORE | CTL_JSON | CTL_CLUSTER_JSON },
	{ "show", "SENDER [--json]", NULL, ctl_show,
	    CTL_STORE | CTL_SENDER | CTL_JSON | CTL_CLUSTER },
	{ "pause", "SENDER [--for DURATION] [--reason TEXT]", NULL, ctl_pause,
	    CTL_STORE | CTL_SENDER | CTL_FOR | CTL_REASON },
	{ "resume", "SENDER", NULL, ctl_resume, CTL_STORE | CTL_SENDER },
	{ "keygen", "--domain D --selector S [--algorithm rsa|ed25519] "
	    "[--bits N] --out DIR", ctl_keygen, NULL, 0 },
	{ "dkim-record", "KEYFILE [--domain D --selector S]", ctl_dkim_record,
	    NULL, 0 },
	{ "parse-bounce", "[FILE|DIR|MBOX|MAILDIR...] [--summary] "
	    "[--rules FILE]\n              [--prefix P] [--domain D]",
	    ctl_parse_bounce, NULL, 0 },
	{ "reclassify", "[--dry-run]", ctl_reclassify, NULL, 0 },
	{ "ingest", "[--rcpt ADDRESS] < MESSAGE", ctl_ingest, NULL, 0 },
	{ "suppress", "ADDRESS [--for SENDER] [--reason R] "
	    "[--expires DURATION]", ctl_suppress_cmd, NULL, 0 },
	{ "unsuppress", "ADDRESS [--for SENDER]", ctl_suppress_cmd, NULL, 0 },
	{ "suppressed", "[--json] [--for SENDER] [--source bounce]",
	    ctl_suppress_cmd, NULL, 0 },
	{ "import", "FILE|- [--for SENDER]", ctl_suppress_cmd, NULL, 0 },
	{ "export", "[--for SENDER]", ctl_suppress_cmd, NULL, 0 },
	{ "limits", "[SENDER] [--json]", ctl_limits_cmd, NULL, 0 },
	{ "warmup", "[--json]", ctl_limits_cmd, NULL, 0 },
	{ "metrics", "", ctl_metrics, NULL, 0 },
	{ "check", "[--nameserver IP[:PORT]] [--address IP]... [--helo NAME]\n"
	    "        [--mx-host NAME] [--domain DOMAIN]... [--json]",
	    ctl_check, NULL, 0 },
	{ "report", "--html FILE|-", ctl_report, NULL, 0 },
	{ "db", "check | db backup FILE | db recover [--from BACKUP]", ctl_db,
	    NULL, 0 },
	{ "cluster", "status [--json]", ctl_cluster_cmd, NULL, 0 },
};

#define CTL_NCMDS	(sizeof(ctl_cmds) / sizeof(ctl_cmds[0]))

static const struct option ctl_longopts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "for", required_argument, NULL, 'F' },
	{ "reason", required_argument, NULL, 'r' },
	{ "config", required_argument, NULL, 'c' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* WHY (fmt NULL: none), then every command's usage from the table. */
__attribute__((noreturn, format(printf, 1, 2)))
static void
ctl_usage_all(const char *fmt, ...)
{
	const struct ctl_cmd *c;
	va_list ap;

	va_start(ap, fmt);
	ctl_vusage("usage: repguardctl [-c config-file] command [arguments]\n",
	    fmt, ap);
	va_end(ap);
	for (c = ctl_cmds; c < ctl_cmds + CTL_NCMDS; c++)
		fprintf(stderr, "  %s%s%s\n", c->name, c->usage[0] ? " " : "",
		    c->usage);
	exit(2);
}

static const struct ctl_cmd *
ctl_find(const char *name)
{
	size_t i;

	for (i = 0; i < CTL_NCMDS; i++)
		if (strcmp(ctl_cmds[i].name, name) == 0)
			return &ctl_cmds[i];
	return NULL;
}

/* What the command line gave a CTL_STORE command, against its flags. */
static void
ctl_store_check(const struct ctl_cmd *c, int nargs, const CTL_ARGS *a,
    const char *dur)
{
	long long secs;
	const char *err;

	if (nargs != ((c->flags & CTL_SENDER) ? 1 : 0) ||
	    (a->json && !(c->flags & CTL_JSON)) ||
	    (dur != NULL && !(c->flags & CTL_FOR)) ||
	    (a->reason != NULL && !(c->flags & CTL_REASON))) {
		if (!(c->flags & CTL_SENDER))
			ctl_usage_all("%s takes no arguments but --json",
			    c->name);
		if (nargs != 0)
			ctl_usage_all("%s takes one SENDER", c->name);
		ctl_usage_all("%s: missing SENDER", c->name);
	}
	if (dur != NULL &&
	    (err = duration_parse(dur, strlen(dur), &secs)) != NULL)
		ctl_usage_all("bad --for \"%s\": %s", dur, err);
}

/*
 * A command on a sender's state: its options (they may follow the
 * command), the store, then the checks that come after it is open.
 */
static int
ctl_store_cmd(const struct ctl_cmd *c, int argc, char **argv,
    const char *path)
{
	char key[SENDER_KEY_MAX], why[512];
	const char *dur = NULL, *err;
	CTL_ARGS a;
	CONF *conf;
	STORE *st;
	int ch, rc;

	memset(&a, 0, sizeof(a));
	optind = 0;
	while ((ch = getopt_long(argc, argv, ":c:", ctl_longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'c': path = optarg; break;
		case 'j': a.json = 1; break;
		case 'F': dur = optarg; break;
		case 'r': a.reason = optarg; break;
		case ':': ctl_usage_all("option \"%s\" needs a value",
		    argv[optind - 1]);
		default: ctl_usage_all("unknown option \"%s\"",
		    argv[optind - 1]);
		}
	}
	if (c == NULL)
		ctl_usage_all("unknown command \"%s\"", argv[0]);
	ctl_store_check(c, argc - optind, &a, dur);
	if ((c->flags & CTL_CLUSTER) ||
	    ((c->flags & CTL_CLUSTER_JSON) && a.json)) {
		conf = ctl_conf_cluster(path, why, sizeof(why));
		st = ctl_store(conf);
		a.cluster_why = why;
	} else
		st = ctl_open(path, &conf);
	if (c->flags & CTL_SENDER) {
		if ((err = sender_key_normalise(argv[optind],
		    strlen(argv[optind]), key, sizeof(key))) != NULL)
			ctl_usage_all("bad sender \"%s\": %s", argv[optind],
			    err);
		a.key = key;
	}
	if (dur != NULL) {
		(void)duration_parse(dur, strlen(dur), &a.for_secs);
		if (a.for_secs <= 0)
			ctl_usage_all("bad --for \"%s\": must be longer "
			    "than 0s", dur);
	}
	if (a.reason != NULL && strlen(a.reason) >= SENDER_REASON_MAX)
		ctl_usage_all("--reason is longer than %d bytes",
		    SENDER_REASON_MAX - 1);
	rc = c->store_fn(st, conf, &a);
	store_close(st);
	conf_unref(conf);
	return rc;
}

int
main(int argc, char **argv)
{
	const char *path = CONF_DEFAULT_PATH;
	const struct ctl_cmd *c;
	int ch;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+c:hV", ctl_longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'c': path = optarg; break;
		case 'V':
			printf("repguardctl %s\n", PACKAGE_VERSION);
			return 0;
		case 'h': ctl_usage_all(NULL);
		default: ctl_usage_all("unknown option \"%s\"",
		    argv[optind - 1]);
		}
	}
	if (optind >= argc)
		ctl_usage_all("missing command");
	c = ctl_find(argv[optind]);
	if (c != NULL && !(c->flags & CTL_STORE))
		return c->fn(argc - optind, argv + optind, path);
	/* Options may follow the command: parse its own argument vector. */
	return ctl_store_cmd(c, argc - optind, argv + optind, path);
}
