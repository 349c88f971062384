/*
 * ctl_bounce.c - repguardctl parse-bounce (see ctl_bounce.h).
 *
 * Owns: ctl_parse_bounce(), ctl_ingest().
 *
 * parse-bounce reads files, directories, mboxes and maildirs
 * (ctl_msgsrc.h) and prints a line of JSON per message, or with
 * --summary the counts by type, class and reason.
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

#include "retpath/bounce.h"
#include "retpath/bouncerules.h"
#include "base/clock.h"
#include "conf/conf.h"
#include "ctl/ctl_bounce.h"
#include "ctl/ctl_msgsrc.h"
#include "ctl/ctl_util.h"
#include "retpath/intake.h"
#include "base/mem.h"
#include "common/privs.h"
#include "retpath/retpath.h"
#include "retpath/rprecord.h"
#include "store/store.h"
#include "reputation/tally.h"

static const char ctl_pb_usage[] = "usage: repguardctl parse-bounce "
    "[FILE|DIR|MBOX|MAILDIR ...] [--summary] [--rules FILE] [--prefix P] "
    "[--domain D]\n";

static void
ctl_json_field(const char *name, const char *v, int comma)
{
	printf("%s\"%s\":", comma ? "," : "", name);
	if (v == NULL || *v == '\0')
		printf("null");
	else
		ctl_json_str(v);
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

/* Counts by name, for --summary: a short list, kept sorted. */
typedef struct CTL_COUNT {
	struct CTL_COUNT	*next;
	unsigned long		 n;
	char			 name[32];
} CTL_COUNT;

static void
ctl_count_add(CTL_COUNT **list, const char *name)
{
	CTL_COUNT **p, *c;
	int cmp = 1;

	if (name == NULL)
		name = "-";
	for (p = list; *p != NULL && (cmp = strcmp((*p)->name, name)) < 0;
	    p = &(*p)->next)
		;
	if (*p != NULL && cmp == 0) {
		(*p)->n++;
		return;
	}
	c = mem_calloc(1, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->n = 1;
	c->next = *p;
	*p = c;
}

static void
ctl_count_print(const char *what, const CTL_COUNT *c)
{
	for (; c != NULL; c = c->next)
		printf("%-8s %-20s %lu\n", what, c->name, c->n);
}

static void
ctl_count_free(CTL_COUNT *c)
{
	CTL_COUNT *next;

	for (; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
}

/* What parse-bounce works with, message after message. */
struct ctl_pb {
	const BOUNCE_RULES	*rules;
	const CONF		*conf;
	const char		*prefix, *domain;
	int			 summary;
	BOUNCE			 b;
	unsigned long		 messages;
	CTL_COUNT		*types, *classes, *reasons;
};

/* One message as one line of JSON. */
static void
ctl_pb_json(const struct ctl_pb *pb, const char *source)
{
	const BOUNCE *b = &pb->b;
	char sender[SENDER_KEY_MAX];
	size_t i;

	sender[0] = '\0';
	if (pb->conf != NULL && b->token[0] != '\0')
		ctl_token_sender(pb->conf, b->token, sender, sizeof(sender));
	printf("{\"type\":\"%s\"", bounce_type_name(b->type));
	ctl_json_field("source", source, 1);
	ctl_json_field("token", b->token, 1);
	ctl_json_field("sender", sender, 1);
	ctl_json_field("subject", b->subject, 1);
	ctl_json_field("reporting_mta", b->reporting_mta, 1);
	ctl_json_field("message_id", b->message_id, 1);
	ctl_json_field("feedback_type", b->feedback_type, 1);
	printf(",\"recipients\":[");
	for (i = 0; i < b->nrcpts; i++) {
		printf("%s{", i ? "," : "");
		ctl_json_field("address", b->rcpts[i].address, 0);
		ctl_json_field("original", b->rcpts[i].original, 1);
		ctl_json_field("status", b->rcpts[i].status, 1);
		ctl_json_field("action", b->rcpts[i].action, 1);
		ctl_json_field("reason", b->rcpts[i].reason, 1);
		ctl_json_field("class", b->rcpts[i].cls, 1);
		ctl_json_field("diagnostic", b->rcpts[i].diagnostic, 1);
		ctl_json_field("remote_mta", b->rcpts[i].remote_mta, 1);
		printf("}");
	}
	printf("]}\n");
}

static int
ctl_pb_one(const char *source, const char *msg, size_t len, void *ctx)
{
	struct ctl_pb *pb = ctx;
	size_t i;

	bounce_parse(msg, len, pb->prefix, pb->domain, pb->rules, &pb->b);
	pb->messages++;
	if (!pb->summary) {
		ctl_pb_json(pb, source);
		return 0;
	}
	ctl_count_add(&pb->types, bounce_type_name(pb->b.type));
	for (i = 0; i < pb->b.nrcpts; i++) {
		ctl_count_add(&pb->classes, pb->b.rcpts[i].cls);
		ctl_count_add(&pb->reasons, pb->b.rcpts[i].reason);
	}
	return 0;
}

/* What the options left unsaid, from the configuration; 0 or 1. */
static int
ctl_pb_conf(const char *confpath, CONF **c, const char **rules_path,
    const char **prefix, const char **domain)
{
	char *errors = NULL;

	if ((*c = conf_load(confpath, CONF_NO_KEYS, &errors)) == NULL) {
		fprintf(stderr, "repguardctl: %s", errors ? errors :
		    "cannot load the configuration\n");
		free(errors);
		return 1;
	}
	if (*rules_path == NULL)
		*rules_path = conf_str(*c, KW_BOUNCE_RULES);
	if (*prefix == NULL)
		*prefix = conf_str(*c, KW_RP_PREFIX);
	if (*domain == NULL)
		*domain = conf_str(*c, KW_RP_DOMAIN);
	return 0;
}

int
ctl_parse_bounce(int argc, char **argv, const char *confpath)
{
	static const struct option longopts[] = {
		{ "rules", required_argument, NULL, 'r' },
		{ "prefix", required_argument, NULL, 'p' },
		{ "domain", required_argument, NULL, 'd' },
		{ "summary", no_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	const char *rules_path = NULL, *prefix = NULL, *domain = NULL;
	char *errors = NULL, err[4400];
	struct ctl_pb *pb;
	BOUNCE_RULES *rules;
	CONF *c = NULL;
	int ch, i, rc = 0, summary = 0;

	optind = 0;
	while ((ch = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (ch) {
		case 'r': rules_path = optarg; break;
		case 'p': prefix = optarg; break;
		case 'd': domain = optarg; break;
		case 's': summary = 1; break;
		case ':': return ctl_usage(ctl_pb_usage,
		    "parse-bounce: an option needs a value");
		default: return ctl_usage(ctl_pb_usage,
		    "parse-bounce: unknown option");
		}
	}
	if ((rules_path == NULL || prefix == NULL || domain == NULL) &&
	    access(confpath, F_OK) == 0 &&	/* none: the built-in rules */
	    ctl_pb_conf(confpath, &c, &rules_path, &prefix, &domain) != 0)
		return 1;
	if ((rules = bouncerules_load(rules_path, &errors)) == NULL) {
		fprintf(stderr, "repguardctl: %s", errors);
		free(errors);
		conf_unref(c);
		return 1;
	}
	pb = mem_calloc(1, sizeof(*pb));
	pb->rules = rules;
	pb->conf = c;
	pb->prefix = prefix ? prefix : "rp";
	pb->domain = domain ? domain : "";
	pb->summary = summary;
	for (i = optind; rc == 0 && (i < argc || i == optind); i++)
		if (ctl_msgsrc_each(i < argc ? argv[i] : NULL, ctl_pb_one, pb,
		    err, sizeof(err)) != 0) {
			fprintf(stderr, "repguardctl: %s\n", err);
			rc = 1;
		}
	if (summary && rc == 0) {
		printf("%lu messages\n", pb->messages);
		ctl_count_print("type", pb->types);
		ctl_count_print("class", pb->classes);
		ctl_count_print("reason", pb->reasons);
	}
	ctl_count_free(pb->types);
	ctl_count_free(pb->classes);
	ctl_count_free(pb->reasons);
	free(pb);
	bouncerules_free(rules);
	conf_unref(c);
	return rc;
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

/*
 * The configuration with its keys, read as root; then privileges go.
 * NULL (reported) on error or when there is no return path to verify.
 */
static CONF *
ctl_ingest_conf(const char *confpath)
{
	char *errors = NULL, err[512];
	CONF *c;

	if ((c = conf_load(confpath, 0, &errors)) == NULL) {
		fputs(errors ? errors : "cannot load the configuration\n",
		    stderr);
		free(errors);
		return NULL;
	}
	if (!retpath_on(conf_retpath(c))) {
		fprintf(stderr, "repguardctl: ingest: ReturnPathDomain is not "
		    "set\n");
		conf_unref(c);
		return NULL;
	}
	if (conf_user(c) != NULL && geteuid() == 0 &&
	    privs_drop(conf_user(c), err, sizeof(err)) != NULL) {
		fprintf(stderr, "repguardctl: UserID: %s\n", err);
		conf_unref(c);
		return NULL;
	}
	return c;
}

/* The return-path address of the token the report names, or "". */
static const char *
ctl_ingest_token(const CONF *c, const char *msg, size_t len, char *addr,
    size_t addrlen)
{
	BOUNCE b;

	bounce_parse(msg, len, retpath_prefix(conf_retpath(c)),
	    retpath_domain(conf_retpath(c)), NULL, &b);
	snprintf(addr, addrlen, "%s+%s@%s", retpath_prefix(conf_retpath(c)),
	    b.token, retpath_domain(conf_retpath(c)));
	return b.token[0] ? addr : "";
}

int
ctl_ingest(int argc, char **argv, const char *confpath)
{
	static const struct option longopts[] = {
		{ "rcpt", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	const char *rcpt = NULL;
	char *msg, err[512], why[256], addr[600];
	INTAKE_RESULT res;
	STORE_OPTS so;
	INTAKE im;
	STORE *st;
	CONF *c;
	size_t len;
	int ch, rc;

	optind = 0;
	while ((ch = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (ch) {
		case 'r': rcpt = optarg; break;
		case ':': return ctl_usage(ctl_pb_usage,
		    "parse-bounce: --rcpt needs a value");
		default: return ctl_usage(ctl_pb_usage,
		    "parse-bounce: unknown option");
		}
	}
	if (argc != optind)
		return ctl_usage(NULL, "ingest reads the message on standard "
		    "input");
	if ((c = ctl_ingest_conf(confpath)) == NULL)
		return 1;
	msg = ctl_msgsrc_read(stdin, &len);
	intake_init(&im);
	if (rcpt == NULL)		/* the token the report names */
		rcpt = ctl_ingest_token(c, msg, len, addr, sizeof(addr));
	rc = intake_rcpt(&im, conf_intake(c), rcpt, clock_now(), why,
	    sizeof(why));
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
	intake_eom(&im, st, conf_intake(c), "ingest", clock_now(), &res);
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
