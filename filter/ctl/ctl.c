/*
 * ctl.c - repguardctl: the operator's command line over repguard's state.
 *
 * Owns: main() of repguardctl and its commands pause and resume (see
 * repguardctl(8) and doc/interfaces.md); senders and show live in
 * ctl_sender.c, keygen and dkim-record in ctl_dkim.c, parse-bounce and
 * ingest in ctl_bounce.c, db in ctl_db.c.  It reads the same
 * configuration file as the daemon and opens the same store while the
 * daemon runs (the store is safe for several processes).  Run as root
 * with UserID set, it drops to that user before opening the store, so
 * files it creates stay the daemon's.
 *
 * Exit codes: 0 success, 1 runtime error (configuration, store, unknown
 * sender), 2 usage error.
 * Must not: include libmilter, or change state other than by the
 * sender_*() operations the daemon also honours.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "conf/conf.h"
#include "ctl/ctl.h"
#include "ctl/ctl_bounce.h"
#include "ctl/ctl_check.h"
#include "ctl/ctl_db.h"
#include "ctl/ctl_reclassify.h"
#include "ctl/ctl_dkim.h"
#include "ctl/ctl_limits.h"
#include "ctl/ctl_metrics.h"
#include "ctl/ctl_report.h"
#include "ctl/ctl_sender.h"
#include "ctl/ctl_suppress.h"
#include "base/duration.h"
#include "common/privs.h"
#include "reputation/sender.h"
#include "store/store.h"

__attribute__((noreturn, format(printf, 1, 2)))
static void
ctl_usage(const char *fmt, ...)
{
	va_list ap;

	if (fmt != NULL) {
		fprintf(stderr, "repguardctl: ");
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fprintf(stderr, "\n");
	}
	fprintf(stderr,
	    "usage: repguardctl [-c config-file] command [arguments]\n"
	    "  senders [--json]\n"
	    "  show SENDER [--json]\n"
	    "  pause SENDER [--for DURATION] [--reason TEXT]\n"
	    "  resume SENDER\n"
	    "  keygen --domain D --selector S [--algorithm rsa|ed25519] "
	    "[--bits N] --out DIR\n"
	    "  dkim-record KEYFILE [--domain D --selector S]\n"
	    "  parse-bounce [FILE|DIR|MBOX|MAILDIR...] [--summary] "
	    "[--rules FILE]\n              [--prefix P] [--domain D]\n"
	    "  reclassify [--dry-run]\n"
	    "  ingest [--rcpt ADDRESS] < MESSAGE\n"
	    "  suppress ADDRESS [--for SENDER] [--reason R] "
	    "[--expires DURATION]\n"
	    "  unsuppress ADDRESS [--for SENDER]\n"
	    "  suppressed [--json] [--for SENDER] [--source bounce]\n"
	    "  import FILE|- [--for SENDER]\n"
	    "  export [--for SENDER]\n"
	    "  limits [SENDER] [--json]\n"
	    "  warmup [--json]\n"
	    "  metrics\n"
	    "  check [--nameserver IP[:PORT]] [--address IP]... [--helo NAME]\n"
	    "        [--mx-host NAME] [--domain DOMAIN]... [--json]\n"
	    "  report --html FILE|-\n"
	    "  db check | db backup FILE | db recover [--from BACKUP]\n");
	exit(2);
}

__attribute__((noreturn, format(printf, 1, 2)))
static void
ctl_fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "repguardctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(1);
}

/* The configuration, as the daemon's user; exits on error. */
CONF *
ctl_conf(const char *path)
{
	char *errors, err[512];
	CONF *c;

	if ((c = conf_load(path, CONF_NO_KEYS, &errors)) == NULL) {
		fputs(errors, stderr);
		free(errors);
		exit(1);
	}
	if (conf_user(c) != NULL && geteuid() == 0 &&
	    privs_drop(conf_user(c), err, sizeof(err)) != NULL)
		ctl_fail("UserID: %s", err);
	return c;
}

/* The configuration and its store, as the daemon's user; exits on error. */
STORE *
ctl_open(const char *path, CONF **conf)
{
	char err[512];
	STORE_OPTS so;
	STORE *st;
	CONF *c = ctl_conf(path);

	conf_store_opts(c, &so);
	if ((st = store_open(conf_database_path(c), &so, err, sizeof(err))) ==
	    NULL)
		ctl_fail("database: %s", err);
	*conf = c;
	return st;
}

static void
ctl_key(const char *arg, char *key)
{
	const char *err;

	if ((err = sender_key_normalise(arg, strlen(arg), key,
	    SENDER_KEY_MAX)) != NULL)
		ctl_usage("bad sender \"%s\": %s", arg, err);
}

void
ctl_json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

void
ctl_operator(char *by, size_t len)
{
	const char *who = getenv("SUDO_USER");
	struct passwd *pw;

	if (who == NULL || *who == '\0')
		who = (pw = getpwuid(getuid())) != NULL ? pw->pw_name : "unknown";
	snprintf(by, len, "operator %s", who);
}

static int
ctl_pause(STORE *st, const char *arg, const char *dur, const char *reason)
{
	char key[SENDER_KEY_MAX], by[SENDER_BY_MAX], err[512] = "", t[64];
	const char *derr;
	long long secs = 0;
	int64_t now = clock_now(), until = 0;

	ctl_key(arg, key);
	if (dur != NULL) {
		if ((derr = duration_parse(dur, strlen(dur), &secs)) != NULL)
			ctl_usage("bad --for \"%s\": %s", dur, derr);
		if (secs <= 0)
			ctl_usage("bad --for \"%s\": must be longer than 0s",
			    dur);
		until = now + secs;
	}
	if (reason == NULL)
		reason = "paused by operator";
	if (strlen(reason) >= SENDER_REASON_MAX)
		ctl_usage("--reason is longer than %d bytes",
		    SENDER_REASON_MAX - 1);
	ctl_operator(by, sizeof(by));
	if (sender_pause(st, key, until, reason, by, now, err,
	    sizeof(err)) != 0)
		ctl_fail("database: %s", err);
	if (until != 0) {
		ctl_time(until, t, sizeof(t));
		printf("paused %s until %s\n", key, t);
	} else
		printf("paused %s until resumed\n", key);
	return 0;
}

static int
ctl_resume(STORE *st, const char *arg)
{
	char key[SENDER_KEY_MAX], by[SENDER_BY_MAX], err[512] = "";
	SENDER_STATE after;
	int was;

	ctl_key(arg, key);
	ctl_operator(by, sizeof(by));
	if (sender_resume(st, key, by, clock_now(), &was, &after, err,
	    sizeof(err)) != 0)
		ctl_fail("database: %s", err);
	if (was && after.state == SENDER_PROBATION)
		printf("resumed %s: on probation\n", key);
	else if (was)
		printf("resumed %s\n", key);
	else
		printf("%s was not paused\n", key);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "for", required_argument, NULL, 'F' },
		{ "reason", required_argument, NULL, 'r' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = CONF_DEFAULT_PATH, *dur = NULL, *reason = NULL;
	const char *cmd;
	const REP_RULES *rules;
	REP_RULES defrules;
	int ch, json = 0, nargs;
	CONF *conf;
	STORE *st;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+c:hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': path = optarg; break;
		case 'V':
			printf("repguardctl %s\n", PACKAGE_VERSION);
			return 0;
		case 'h': ctl_usage(NULL);
		default: ctl_usage("unknown option \"%s\"", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		ctl_usage("missing command");
	cmd = argv[optind];
	if (strcmp(cmd, "keygen") == 0)
		return ctl_keygen(argc - optind, argv + optind);
	if (strcmp(cmd, "dkim-record") == 0)
		return ctl_dkim_record(argc - optind, argv + optind);
	if (strcmp(cmd, "parse-bounce") == 0)
		return ctl_parse_bounce(argc - optind, argv + optind, path);
	if (strcmp(cmd, "ingest") == 0)
		return ctl_ingest(argc - optind, argv + optind, path);
	if (ctl_suppress_is_cmd(cmd))
		return ctl_suppress_cmd(cmd, argc - optind, argv + optind,
		    path);
	if (ctl_limits_is_cmd(cmd))
		return ctl_limits_cmd(cmd, argc - optind, argv + optind, path);
	if (strcmp(cmd, "metrics") == 0)
		return ctl_metrics(argc - optind, argv + optind, path);
	if (strcmp(cmd, "check") == 0)
		return ctl_check(argc - optind, argv + optind, path);
	if (strcmp(cmd, "report") == 0)
		return ctl_report(argc - optind, argv + optind, path);
	if (strcmp(cmd, "db") == 0)
		return ctl_db(argc - optind, argv + optind, path);
	if (strcmp(cmd, "reclassify") == 0)
		return ctl_reclassify(argc - optind, argv + optind, path);
	/* Options may follow the command: parse its own argument vector. */
	argc -= optind;
	argv += optind;
	optind = 0;
	while ((ch = getopt_long(argc, argv, ":c:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': path = optarg; break;
		case 'j': json = 1; break;
		case 'F': dur = optarg; break;
		case 'r': reason = optarg; break;
		case ':': ctl_usage("option \"%s\" needs a value",
		    argv[optind - 1]);
		default: ctl_usage("unknown option \"%s\"", argv[optind - 1]);
		}
	}
	nargs = argc - optind;
	if (strcmp(cmd, "senders") == 0) {
		if (nargs != 0 || dur || reason)
			ctl_usage("senders takes no arguments but --json");
	} else if (strcmp(cmd, "show") == 0) {
		if (nargs != 1 || dur || reason)
			ctl_usage(nargs ? "show takes one SENDER" :
			    "show: missing SENDER");
	} else if (strcmp(cmd, "pause") == 0) {
		if (nargs != 1 || json)
			ctl_usage(nargs ? "pause takes one SENDER" :
			    "pause: missing SENDER");
		if (dur != NULL) {
			long long s;
			const char *e = duration_parse(dur, strlen(dur), &s);

			if (e != NULL)
				ctl_usage("bad --for \"%s\": %s", dur, e);
		}
	} else if (strcmp(cmd, "resume") == 0) {
		if (nargs != 1 || json || dur || reason)
			ctl_usage(nargs ? "resume takes one SENDER" :
			    "resume: missing SENDER");
	} else
		ctl_usage("unknown command \"%s\"", cmd);

	st = ctl_open(path, &conf);
	rules = conf_rep_rules(conf);
	if (rules == NULL) {		/* Reputation no: show the defaults */
		rep_rules_default(&defrules);
		rules = &defrules;
	}
	if (strcmp(cmd, "senders") == 0)
		ch = ctl_senders(st, rules, json);
	else if (strcmp(cmd, "show") == 0) {
		char key[SENDER_KEY_MAX];

		ctl_key(argv[optind], key);
		ch = ctl_show(st, rules, key, json);
	}
	else if (strcmp(cmd, "pause") == 0)
		ch = ctl_pause(st, argv[optind], dur, reason);
	else
		ch = ctl_resume(st, argv[optind]);
	store_close(st);
	conf_unref(conf);
	return ch;
}
