/*
 * ctl.c - repguardctl: the operator's command line over repguard's state.
 *
 * Owns: main() of repguardctl and its commands: senders, show, pause,
 * resume (see repguardctl(8) and doc/interfaces.md); keygen and
 * dkim-record live in ctl_dkim.c.  It reads the same
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

#include "conf.h"
#include "ctl_bounce.h"
#include "ctl_dkim.h"
#include "duration.h"
#include "privs.h"
#include "sender.h"
#include "store.h"

#define CTL_HOUR	3600
#define CTL_DAY		86400

struct ctl_sender {
	char		 key[SENDER_KEY_MAX];
	SENDER_STATE	 state;
	SENDER_COUNTS	 hour, day;
};

struct ctl_list {
	struct ctl_sender	*v;
	size_t			 n, cap;
	int64_t			 now;
	STORE_TXN		*txn;
	const char		*only;		/* show: just this key */
};

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
	    "  parse-bounce [FILE] [--rules FILE] [--prefix P] [--domain D]\n"
	    "  ingest [--rcpt ADDRESS] < MESSAGE\n");
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

static STORE *
ctl_open(const char *path)
{
	char *errors, err[512];
	STORE_OPTS so;
	STORE *st;
	CONF *c;

	if ((c = conf_load(path, CONF_NO_KEYS, &errors)) == NULL) {
		fputs(errors, stderr);
		free(errors);
		exit(1);
	}
	if (conf_user(c) != NULL && geteuid() == 0 &&
	    privs_drop(conf_user(c), err, sizeof(err)) != NULL)
		ctl_fail("UserID: %s", err);
	memset(&so, 0, sizeof(so));
	so.max_size = conf_database_max(c);
	so.file_mode = 0666 & ~conf_umask(c);
	if ((st = store_open(conf_database_path(c), &so, err, sizeof(err))) ==
	    NULL)
		ctl_fail("database: %s", err);
	conf_unref(c);
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

static void
ctl_time(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
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

static void
ctl_json_time(const char *name, int64_t t, int show)
{
	if (show && t != 0)
		printf(", \"%s\": %lld", name, (long long)t);
	else
		printf(", \"%s\": null", name);
}

static void
ctl_json_sender(const struct ctl_sender *s, int64_t now)
{
	int paused = sender_is_paused(&s->state, now);

	printf("{\"sender\": ");
	ctl_json_str(s->key);
	printf(", \"state\": \"%s\"", paused ? "paused" : "active");
	ctl_json_time("paused_until", s->state.paused_until, paused);
	ctl_json_time("paused_at", s->state.paused_at, paused);
	printf(", \"reason\": ");
	if (paused)
		ctl_json_str(s->state.reason);
	else
		printf("null");
	printf(", \"paused_by\": ");
	if (paused)
		ctl_json_str(s->state.by);
	else
		printf("null");
	printf(", \"messages_1h\": %llu, \"recipients_1h\": %llu, "
	    "\"messages_24h\": %llu, \"recipients_24h\": %llu",
	    (unsigned long long)s->hour.n[SENDER_MESSAGES],
	    (unsigned long long)s->hour.n[SENDER_RECIPIENTS],
	    (unsigned long long)s->day.n[SENDER_MESSAGES],
	    (unsigned long long)s->day.n[SENDER_RECIPIENTS]);
	ctl_json_time("first_seen", s->state.first_seen, 1);
	ctl_json_time("last_seen", s->state.last_seen, 1);
	printf("}");
}

static int
ctl_collect_cb(const char *key, const SENDER_STATE *s, void *ctx)
{
	struct ctl_list *l = ctx;
	struct ctl_sender *cs;

	if (l->only != NULL && strcmp(key, l->only) != 0)
		return 0;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 32;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		if (l->v == NULL)
			ctl_fail("out of memory");
	}
	cs = &l->v[l->n++];
	snprintf(cs->key, sizeof(cs->key), "%s", key);
	cs->state = *s;
	if (sender_window(l->txn, key, CTL_HOUR, l->now, &cs->hour) != 0 ||
	    sender_window(l->txn, key, CTL_DAY, l->now, &cs->day) != 0)
		return 1;
	return l->only != NULL;
}

static int
ctl_collect_fn(STORE_TXN *t, void *ctx)
{
	struct ctl_list *l = ctx;

	l->n = 0;
	l->txn = t;
	if (sender_list(t, ctl_collect_cb, l) != 0)
		return STORE_ERROR;
	return 0;
}

static void
ctl_collect(STORE *st, struct ctl_list *l)
{
	char err[512] = "";

	l->now = (int64_t)time(NULL);
	if (store_read(st, ctl_collect_fn, l, err, sizeof(err)) != 0)
		ctl_fail("database: %s", err);
}

static int
ctl_senders(STORE *st, int json)
{
	struct ctl_list l;
	size_t i;

	memset(&l, 0, sizeof(l));
	ctl_collect(st, &l);
	if (json) {
		printf("[");
		for (i = 0; i < l.n; i++) {
			printf(i ? ",\n " : "");
			ctl_json_sender(&l.v[i], l.now);
		}
		printf("]\n");
	} else {
		printf("%-40s %-7s %8s %8s %9s %9s\n", "SENDER", "STATE",
		    "MSGS_1H", "RCPTS_1H", "MSGS_24H", "RCPTS_24H");
		for (i = 0; i < l.n; i++) {
			const struct ctl_sender *s = &l.v[i];

			printf("%-40s %-7s %8llu %8llu %9llu %9llu\n", s->key,
			    sender_is_paused(&s->state, l.now) ? "paused" :
			    "active",
			    (unsigned long long)s->hour.n[SENDER_MESSAGES],
			    (unsigned long long)s->hour.n[SENDER_RECIPIENTS],
			    (unsigned long long)s->day.n[SENDER_MESSAGES],
			    (unsigned long long)s->day.n[SENDER_RECIPIENTS]);
		}
	}
	free(l.v);
	return 0;
}

static int
ctl_show(STORE *st, const char *arg, int json)
{
	char key[SENDER_KEY_MAX], t1[64];
	struct ctl_list l;
	const struct ctl_sender *s;
	int paused;

	ctl_key(arg, key);
	memset(&l, 0, sizeof(l));
	l.only = key;
	ctl_collect(st, &l);
	if (l.n == 0) {
		free(l.v);
		ctl_fail("no such sender: %s", key);
	}
	s = &l.v[0];
	if (json) {
		ctl_json_sender(s, l.now);
		printf("\n");
		free(l.v);
		return 0;
	}
	paused = sender_is_paused(&s->state, l.now);
	printf("sender: %s\nstate: %s\n", s->key, paused ? "paused" : "active");
	if (paused) {
		if (s->state.paused_until != 0)
			ctl_time(s->state.paused_until, t1, sizeof(t1));
		printf("paused until: %s\n", s->state.paused_until ? t1 :
		    "resumed");
		ctl_time(s->state.paused_at, t1, sizeof(t1));
		printf("paused at: %s\nreason: %s\npaused by: %s\n", t1,
		    s->state.reason, s->state.by);
	}
	printf("messages, last hour: %llu\nrecipients, last hour: %llu\n"
	    "messages, last 24 hours: %llu\nrecipients, last 24 hours: %llu\n",
	    (unsigned long long)s->hour.n[SENDER_MESSAGES],
	    (unsigned long long)s->hour.n[SENDER_RECIPIENTS],
	    (unsigned long long)s->day.n[SENDER_MESSAGES],
	    (unsigned long long)s->day.n[SENDER_RECIPIENTS]);
	if (s->state.first_seen != 0) {
		ctl_time(s->state.first_seen, t1, sizeof(t1));
		printf("first seen: %s\n", t1);
		ctl_time(s->state.last_seen, t1, sizeof(t1));
		printf("last seen: %s\n", t1);
	}
	free(l.v);
	return 0;
}

static void
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
	int64_t now = (int64_t)time(NULL), until = 0;

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
	char key[SENDER_KEY_MAX], err[512] = "";
	int was;

	ctl_key(arg, key);
	if (sender_resume(st, key, &was, err, sizeof(err)) != 0)
		ctl_fail("database: %s", err);
	if (was)
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
	int ch, json = 0, nargs;
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

	st = ctl_open(path);
	if (strcmp(cmd, "senders") == 0)
		ch = ctl_senders(st, json);
	else if (strcmp(cmd, "show") == 0)
		ch = ctl_show(st, argv[optind], json);
	else if (strcmp(cmd, "pause") == 0)
		ch = ctl_pause(st, argv[optind], dur, reason);
	else
		ch = ctl_resume(st, argv[optind]);
	store_close(st);
	return ch;
}
