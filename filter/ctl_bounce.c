/*
 * ctl_bounce.c - repguardctl parse-bounce (see ctl_bounce.h).
 *
 * Owns: ctl_parse_bounce(), ctl_ingest().
 * Must not: crash or fail on any message: malformed input gives
 * "not-bounce" or fewer recipients, and exit 0.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bounce.h"
#include "bouncerules.h"
#include "clock.h"
#include "conf.h"
#include "ctl.h"
#include "ctl_bounce.h"
#include "intake.h"
#include "mem.h"
#include "privs.h"
#include "retpath.h"
#include "rprecord.h"
#include "store.h"
#include "tally.h"

#define CTL_INPUT_MAX	(64 * 1024 * 1024)

static int
ctl_pb_usage(const char *msg)
{
	fprintf(stderr, "repguardctl: parse-bounce: %s\nusage: repguardctl "
	    "parse-bounce [FILE] [--rules FILE] [--prefix P] [--domain D]\n",
	    msg);
	return 2;
}

static void
ctl_json_field(const char *name, const char *v, int comma)
{
	printf("%s\"%s\":", comma ? "," : "", name);
	if (v == NULL || *v == '\0')
		printf("null");
	else
		ctl_json_str(v);
}

static char *
ctl_read_all(FILE *fp, size_t *len)
{
	size_t cap = 65536, n = 0, got;
	char *buf = mem_alloc(cap);

	while ((got = fread(buf + n, 1, cap - n, fp)) > 0) {
		n += got;
		if (n == cap) {
			if (cap >= CTL_INPUT_MAX)
				break;		/* the parser reads less */
			cap *= 2;
			buf = mem_realloc(buf, cap);
		}
	}
	*len = n;
	return buf;
}

struct ctl_get {
	uint64_t	 id;
	RPRECORD	 r;
	int		 rc;
};

static int
ctl_get_fn(STORE_TXN *t, void *ctx)
{
	struct ctl_get *g = ctx;

	g->rc = rprecord_get(t, g->id, &g->r);
	return 0;
}

/*
 * The sender key of the record a token names, if the configured database
 * exists and holds it (the token's MAC is not checked here: keys are not
 * read; a made-up id finds no record).  Never creates the database.
 */
static void
ctl_token_sender(const CONF *c, const char *tok, char *out, size_t outsize)
{
	char path[4096], err[512], hex[17];
	struct ctl_get g;
	STORE_OPTS so;
	STORE *st;

	snprintf(path, sizeof(path), "%s/data.mdb", conf_database_path(c));
	if (access(path, R_OK) != 0 || strlen(tok) != RPTOKEN_LEN)
		return;
	if (conf_user(c) != NULL && geteuid() == 0 &&
	    privs_drop(conf_user(c), err, sizeof(err)) != NULL)
		return;
	memcpy(hex, tok + 10, 16);	/* version 2, expiry 8, then the id */
	hex[16] = '\0';
	memset(&g, 0, sizeof(g));
	g.id = strtoull(hex, NULL, 16);
	g.rc = STORE_NOTFOUND;
	conf_store_opts(c, &so);
	if ((st = store_open(conf_database_path(c), &so, err, sizeof(err))) ==
	    NULL)
		return;
	if (store_read(st, ctl_get_fn, &g, err, sizeof(err)) == 0 &&
	    g.rc == 0)
		snprintf(out, outsize, "%s", g.r.sender);
	rprecord_clear(&g.r);
	store_close(st);
}

int
ctl_parse_bounce(int argc, char **argv, const char *confpath)
{
	static const struct option longopts[] = {
		{ "rules", required_argument, NULL, 'r' },
		{ "prefix", required_argument, NULL, 'p' },
		{ "domain", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	const char *rules_path = NULL, *prefix = NULL, *domain = NULL;
	char *errors = NULL, *msg, sender[SENDER_KEY_MAX];
	BOUNCE_RULES *rules;
	CONF *c = NULL;
	BOUNCE b;
	FILE *fp = stdin;
	size_t len, i;
	int ch;

	optind = 0;
	while ((ch = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (ch) {
		case 'r': rules_path = optarg; break;
		case 'p': prefix = optarg; break;
		case 'd': domain = optarg; break;
		case ':': return ctl_pb_usage("an option needs a value");
		default: return ctl_pb_usage("unknown option");
		}
	}
	if (argc - optind > 1)
		return ctl_pb_usage("at most one FILE");
	if ((rules_path == NULL || prefix == NULL || domain == NULL) &&
	    access(confpath, F_OK) == 0) {	/* none: the built-in rules */
		if ((c = conf_load(confpath, CONF_NO_KEYS, &errors)) == NULL) {
			fprintf(stderr, "repguardctl: %s", errors ? errors :
			    "cannot load the configuration\n");
			free(errors);
			return 1;
		}
		if (rules_path == NULL)
			rules_path = conf_str(c, "BounceRules");
		if (prefix == NULL)
			prefix = conf_str(c, "ReturnPathPrefix");
		if (domain == NULL)
			domain = conf_str(c, "ReturnPathDomain");
	}
	if ((rules = bouncerules_load(rules_path, &errors)) == NULL) {
		fprintf(stderr, "repguardctl: %s", errors);
		free(errors);
		conf_unref(c);
		return 1;
	}
	if (argc - optind == 1 && (fp = fopen(argv[optind], "rb")) == NULL) {
		fprintf(stderr, "repguardctl: %s: %s\n", argv[optind],
		    strerror(errno));
		bouncerules_free(rules);
		conf_unref(c);
		return 1;
	}
	msg = ctl_read_all(fp, &len);
	if (fp != stdin)
		fclose(fp);
	bounce_parse(msg, len, prefix ? prefix : "rp", domain ? domain : "",
	    rules, &b);
	free(msg);
	sender[0] = '\0';
	if (c != NULL && b.token[0] != '\0')
		ctl_token_sender(c, b.token, sender, sizeof(sender));

	printf("{\"type\":\"%s\"", bounce_type_name(b.type));
	ctl_json_field("token", b.token, 1);
	ctl_json_field("sender", sender, 1);
	ctl_json_field("subject", b.subject, 1);
	ctl_json_field("reporting_mta", b.reporting_mta, 1);
	ctl_json_field("message_id", b.message_id, 1);
	ctl_json_field("feedback_type", b.feedback_type, 1);
	printf(",\"recipients\":[");
	for (i = 0; i < b.nrcpts; i++) {
		printf("%s{", i ? "," : "");
		ctl_json_field("address", b.rcpts[i].address, 0);
		ctl_json_field("original", b.rcpts[i].original, 1);
		ctl_json_field("status", b.rcpts[i].status, 1);
		ctl_json_field("action", b.rcpts[i].action, 1);
		ctl_json_field("reason", b.rcpts[i].reason, 1);
		ctl_json_field("class", b.rcpts[i].cls, 1);
		ctl_json_field("diagnostic", b.rcpts[i].diagnostic, 1);
		ctl_json_field("remote_mta", b.rcpts[i].remote_mta, 1);
		printf("}");
	}
	printf("]}\n");
	bouncerules_free(rules);
	conf_unref(c);
	return 0;
}

/* One line of ingest's output: text from the report may hold controls. */
static void
ctl_ingest_line(const char *prefix, const char *text)
{
	const char *p;

	fputs(prefix, stdout);
	for (p = text; *p != '\0'; p++)
		putchar((unsigned char)*p < ' ' || *p == 0x7f ? '?' : *p);
	putchar('\n');
}

int
ctl_ingest(int argc, char **argv, const char *confpath)
{
	static const struct option longopts[] = {
		{ "rcpt", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	const char *rcpt = NULL;
	char *errors = NULL, *msg, err[512], why[256], addr[600];
	INTAKE_RESULT res;
	STORE_OPTS so;
	INTAKE im;
	BOUNCE b;
	STORE *st;
	CONF *c;
	size_t len;
	int ch, rc;

	optind = 0;
	while ((ch = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (ch) {
		case 'r': rcpt = optarg; break;
		case ':': return ctl_pb_usage("--rcpt needs a value");
		default: return ctl_pb_usage("unknown option");
		}
	}
	if (argc != optind) {
		fprintf(stderr, "repguardctl: ingest reads the message on "
		    "standard input\n");
		return 2;
	}
	/* The keys are read as root, then privileges go. */
	if ((c = conf_load(confpath, 0, &errors)) == NULL) {
		fputs(errors ? errors : "cannot load the configuration\n",
		    stderr);
		free(errors);
		return 1;
	}
	if (!retpath_on(conf_retpath(c))) {
		fprintf(stderr, "repguardctl: ingest: ReturnPathDomain is not "
		    "set\n");
		conf_unref(c);
		return 1;
	}
	if (conf_user(c) != NULL && geteuid() == 0 &&
	    privs_drop(conf_user(c), err, sizeof(err)) != NULL) {
		fprintf(stderr, "repguardctl: UserID: %s\n", err);
		conf_unref(c);
		return 1;
	}
	msg = ctl_read_all(stdin, &len);
	intake_init(&im);
	if (rcpt == NULL) {		/* the token the report names */
		bounce_parse(msg, len, retpath_prefix(conf_retpath(c)),
		    retpath_domain(conf_retpath(c)), NULL, &b);
		snprintf(addr, sizeof(addr), "%s+%s@%s",
		    retpath_prefix(conf_retpath(c)), b.token,
		    retpath_domain(conf_retpath(c)));
		rcpt = b.token[0] ? addr : "";
	}
	rc = intake_rcpt(&im, c, rcpt, clock_now(), why, sizeof(why));
	if (rc != INTAKE_OK) {
		printf("ingest: not recorded: %s\n", rc == INTAKE_REFUSE ? why :
		    "no return-path token of ours");
		free(msg);
		intake_free(&im);
		conf_unref(c);
		return 0;
	}
	bounce_buf_add(&im.buf, msg, len);
	free(msg);
	conf_store_opts(c, &so);
	if ((st = store_open(conf_database_path(c), &so, err, sizeof(err))) ==
	    NULL) {
		fprintf(stderr, "repguardctl: database: %s\n", err);
		intake_free(&im);
		conf_unref(c);
		return 75;
	}
	intake_eom(&im, st, c, "ingest", clock_now(), &res);
	ctl_ingest_line("", res.log);
	if (res.foreign[0] != '\0')
		ctl_ingest_line("ingest: warning: ", res.foreign);
	if (res.change[0] != '\0')
		ctl_ingest_line("ingest: ", res.change);
	store_close(st);
	intake_free(&im);
	conf_unref(c);
	return res.failed ? 75 : 0;
}
