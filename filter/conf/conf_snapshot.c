/*
 * conf_snapshot.c - a configuration snapshot: loading it, what it holds
 * besides its keywords' values, and who holds it.
 *
 * Owns: conf_load(), conf_ref(), conf_unref(), conf_current(),
 * conf_install(), conf_warnings(), conf_signer(), conf_retpath(),
 * conf_loginmap(), conf_signauth(), conf_signing_open(),
 * conf_bounce_rules(), conf_rpdns(), conf_rep_rules(), conf_shaping(),
 * conf_shaping_rule().
 *
 * A snapshot is the values of one file (conf.c reads them) and what those
 * values name or make: the DKIM keys (filter/dkim/signer_keys.c), the
 * return-path keys (filter/retpath/retpath.c), the reputation and shaping
 * rules (conf_rep.c, conf_shape.c), data files (bounce rules, sender login
 * map, signing authorisation), the return-path resolver and the cluster's
 * settings with their password (conf_cluster.c).  Each builder
 * is handed the values it needs, as a settings struct or the value array;
 * none reads the snapshot it is building.  All errors are collected, each
 * "file:line: message"; any error and the snapshot is not made.  Once
 * made it never changes; references are counted under one lock.
 *
 * Must not: log, exit, or touch anything but the files it reads (it is
 * used by `repguard -n`, by reload and by repguardctl).
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "conf/conf_int.h"
#include "retpath/bouncerules.h"
#include "reputation/loginmap.h"
#include "base/mem.h"
#include "retpath/retpath.h"
#include "retpath/rpdns.h"
#include "dkim/signer.h"
#include "base/textfile.h"

static pthread_mutex_t conf_lock = PTHREAD_MUTEX_INITIALIZER;
static CONF *conf_cur;

static void
conf_free(CONF *c)
{
	conf_values_free(c);
	signer_free(c->signer);
	retpath_free(c->retpath);
	loginmap_free(c->loginmap);
	loginmap_free(c->signauth);
	bouncerules_free(c->rules);
	rpdns_free(c->rpdns);
	conf_shaping_free(&c->shaping);
	conf_cluster_free(c->cluster);
	free(c->warnings);
	free(c->path);
	free(c);
}

/* Add a parser's "file:line: message" lines to the errors. */
static void
conf_errs_add(struct conf_errs *e, const char *lines)
{
	size_t have = e->buf ? strlen(e->buf) : 0;

	e->buf = mem_realloc(e->buf, have + strlen(lines) + 1);
	memcpy(e->buf + have, lines, strlen(lines) + 1);
	e->len = have + strlen(lines);
	e->n++;
}

/* A warning line of the configuration (repguard -n and the log show it). */
__attribute__((format(printf, 2, 3)))
static void
conf_warn(CONF *c, const char *fmt, ...)
{
	char msg[900];
	size_t have, n;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg) - 1, fmt, ap);
	va_end(ap);
	n = strlen(msg);
	msg[n] = '\n';
	msg[n + 1] = '\0';
	have = c->warnings ? strlen(c->warnings) : 0;
	c->warnings = mem_realloc(c->warnings, have + strlen(msg) + 1);
	memcpy(c->warnings + have, msg, strlen(msg) + 1);
}

/*
 * The data file keyword kw names (bounce rules, sender login map), read
 * whole.  NULL when it cannot be read: an error at the keyword's line,
 * or only a warning if the keyword was left at its default and
 * missing_ok (the feature then works without the file).
 */
static char *
conf_data_file(CONF *c, enum conf_kw kw, const char *path, struct conf_errs *e,
    size_t max, size_t *len, int missing_ok)
{
	char *buf, *why = NULL;

	if ((buf = textfile_read(conf_str(c, kw), max, len, &why)) != NULL)
		return buf;
	why[strcspn(why, "\n")] = '\0';
	if (conf_line(c, kw) == 0 && missing_ok)
		conf_warn(c, "%s: %s: %s", path, conf_name(kw), why);
	else
		conf_err(e, path, conf_line(c, kw), "%s: %s", conf_name(kw),
		    why);
	free(why);
	return NULL;
}

/*
 * SigningAuthorization: who may be signed for which address (the
 * SenderLoginMap format, with client networks).  A relay that signs for
 * several domains with neither it nor a SenderLoginMap lets every client
 * sign as every one of them: a warning (repguard -n, the log).
 */
static void
conf_load_signauth(CONF *c, const char *path, struct conf_errs *e)
{
	char *buf, *errors = NULL, what[300];
	size_t len;

	if (e->n == 0 && conf_str(c, KW_SIGNING_AUTHORIZATION) != NULL &&
	    (buf = conf_data_file(c, KW_SIGNING_AUTHORIZATION, path, e,
	    LOGINMAP_FILE_MAX, &len, 0)) != NULL) {
		if ((c->signauth = loginmap_parse(buf, len,
		    conf_str(c, KW_SIGNING_AUTHORIZATION), &errors)) == NULL)
			conf_errs_add(e, errors);
		free(errors);
		free(buf);
	}
	if (e->n == 0 && conf_signing_open(c, what, sizeof(what)))
		conf_warn(c, "%s: signing for %s without SigningAuthorization "
		    "or SenderLoginMap: every client may be signed for every "
		    "one of these domains (see OnUnauthorizedFrom in "
		    "repguard.conf(5))", path, what);
}

/*
 * What a snapshot reads besides its keywords: the reputation and shaping
 * rules built from them, the operator's bounce rules (BounceRules: read
 * before the built-in ones; a file that cannot be read is an error, never
 * a warning that leaves classing off), the DNS resolver of
 * ReturnPathCheck, the sender login map, the signing authorisation.  A
 * bad line of a data file is an error at that file's line.
 */
static void
conf_load_data(CONF *c, const char *path, struct conf_errs *e)
{
	char *buf, *errors = NULL, derr[256];
	size_t len;

	if ((conf_num(c, KW_UMASK) & 002) == 0)
		conf_warn(c, "%s:%d: UMask %03llo lets every local user write to "
		    "the milter socket and talk to repguard as the MTA does (a "
		    "forged report could pause a sender); use 007 and put the "
		    "MTA's user in repguard's group", path,
		    conf_line(c, KW_UMASK),
		    (unsigned long long)conf_num(c, KW_UMASK));
	if ((errors = conf_rep_build(c->v, path, &c->rep)) != NULL ||
	    (e->n == 0 && (errors = conf_shaping_build(c->v, path,
	    &c->shaping)) != NULL)) {
		conf_errs_add(e, errors);
		free(errors);
		errors = NULL;
	}
	if (e->n == 0 && conf_str(c, KW_BOUNCE_RULES) != NULL &&
	    (buf = conf_data_file(c, KW_BOUNCE_RULES, path, e,
	    BOUNCERULES_FILE_MAX, &len, 0)) != NULL) {
		if ((c->rules = bouncerules_parse(buf, len,
		    conf_str(c, KW_BOUNCE_RULES), &errors)) == NULL)
			conf_errs_add(e, errors);
		else
			bouncerules_add_builtin(c->rules);
		free(errors);
		free(buf);
	}
	if (e->n == 0 && conf_num(c, KW_RP_CHECK) &&
	    (c->rpdns = rpdns_create(conf_str(c, KW_DNS_SERVER),
	    (int)conf_num(c, KW_DNS_TIMEOUT), derr, sizeof(derr))) == NULL)
		conf_err(e, path, conf_line(c, KW_DNS_SERVER), "DNSServer: %s",
		    derr);
	errors = NULL;
	if (e->n == 0 && conf_str(c, KW_SENDER_LOGIN_MAP) != NULL &&
	    (buf = conf_data_file(c, KW_SENDER_LOGIN_MAP, path, e,
	    LOGINMAP_FILE_MAX, &len, 0)) != NULL) {
		if ((c->loginmap = loginmap_parse(buf, len,
		    conf_str(c, KW_SENDER_LOGIN_MAP), &errors)) == NULL)
			conf_errs_add(e, errors);
		free(errors);
		free(buf);
	}
	conf_load_signauth(c, path, e);
}

/* What the DKIM signer is built from. */
static void
conf_signer_settings(const CONF *c, SIGNER_SETTINGS *st)
{
	memset(st, 0, sizeof(*st));
	st->file = c->path;
	st->domain = conf_str(c, KW_DOMAIN);
	st->selector = conf_str(c, KW_SELECTOR);
	st->key_file = conf_str(c, KW_KEY_FILE);
	st->key_table = conf_str(c, KW_KEY_TABLE);
	st->signing_table = conf_str(c, KW_SIGNING_TABLE);
	st->default_key = conf_str(c, KW_DEFAULT_KEY);
	st->algorithm = conf_str(c, KW_SIGNATURE_ALGORITHM);
	st->algorithm_rsa = conf_num(c, KW_SIGNATURE_ALGORITHM) ==
	    CONF_ALG_RSA_SHA256;
	st->sign_headers = conf_str(c, KW_SIGN_HEADERS);
	st->oversign_headers = conf_str(c, KW_OVERSIGN_HEADERS);
	st->canon = (int)conf_num(c, KW_CANONICALIZATION);
	st->multiple = (int)conf_num(c, KW_MULTIPLE_SIGNATURES);
	st->on_no_key = (int)conf_num(c, KW_ON_NO_KEY);
	st->domain_from = (int)conf_num(c, KW_SIGNING_DOMAIN_FROM);
	st->on_unauthorized = (int)conf_num(c, KW_ON_UNAUTHORIZED_FROM);
	st->line.domain = conf_line(c, KW_DOMAIN);
	st->line.selector = conf_line(c, KW_SELECTOR);
	st->line.key_file = conf_line(c, KW_KEY_FILE);
	st->line.key_table = conf_line(c, KW_KEY_TABLE);
	st->line.signing_table = conf_line(c, KW_SIGNING_TABLE);
	st->line.default_key = conf_line(c, KW_DEFAULT_KEY);
	st->line.on_no_key = conf_line(c, KW_ON_NO_KEY);
	st->line.on_unauthorized = conf_line(c, KW_ON_UNAUTHORIZED_FROM);
}

/* What return-path rewriting is built from. */
static void
conf_retpath_settings(const CONF *c, RETPATH_SETTINGS *st)
{
	memset(st, 0, sizeof(*st));
	st->file = c->path;
	st->domain = conf_str(c, KW_RP_DOMAIN);
	st->key_files = conf_str(c, KW_RP_KEY_FILE);
	st->prefix = conf_str(c, KW_RP_PREFIX);
	st->senders = conf_str(c, KW_RP_SENDERS);
	st->expiry = conf_num(c, KW_RP_EXPIRY);
	st->line.domain = conf_line(c, KW_RP_DOMAIN);
	st->line.key_files = conf_line(c, KW_RP_KEY_FILE);
	st->line.prefix = conf_line(c, KW_RP_PREFIX);
	st->line.senders = conf_line(c, KW_RP_SENDERS);
}

/* The DKIM keys, then the return-path keys; errors into e. */
static void
conf_load_keys(CONF *c, struct conf_errs *e)
{
	SIGNER_SETTINGS ss;
	RETPATH_SETTINGS rs;

	conf_signer_settings(c, &ss);
	if ((c->signer = signer_create(&ss, &e->buf, &c->warnings)) != NULL) {
		conf_retpath_settings(c, &rs);
		if ((c->retpath = retpath_create(&rs, &e->buf)) != NULL)
			return;
	}
	e->len = e->buf != NULL ? strlen(e->buf) : 0;	/* builders' lines */
	e->n++;
}

static int
conf_intake_major(const char *domain, void *ctx)
{
	return conf_major_receiver(ctx, domain);
}

/* What a report's intake needs (filter/retpath/intake.c), once a
 * snapshot. */
static void
conf_intake_settings(CONF *c)
{
	static const int modes[] = {
		[CONF_SUPPRESS_OFF] = RPACCOUNT_SUPPRESS_OFF,
		[CONF_SUPPRESS_GLOBAL] = RPACCOUNT_SUPPRESS_GLOBAL,
		[CONF_SUPPRESS_SENDER] = RPACCOUNT_SUPPRESS_SENDER
	};
	INTAKE_SETTINGS *in = &c->intake;
	RPACCOUNT_RULES *ru = &in->account;

	memset(in, 0, sizeof(*in));
	in->rp = c->retpath;
	in->bounce_rules = c->rules;
	ru->suppression = modes[conf_suppression(c)];
	ru->keep_hard = conf_num(c, KW_SUPPRESS_HARD_FOR);
	ru->keep_complaint = conf_num(c, KW_SUPPRESS_COMPLAINT_FOR);
	ru->rules = conf_rep_rules(c);
	ru->major = conf_intake_major;
	ru->major_ctx = (void *)(uintptr_t)c;
	ru->reports_per_rcpt = (uint32_t)conf_num(c, KW_REPORTS_PER_RCPT);
	ru->forward = conf_num(c, KW_BOUNCE_FORWARD) != 0;
	/* several relays: the record may still be on its way from another */
	if (conf_cluster(c) != NULL) {
		in->defer_missing = INTAKE_DEFER_MISSING;
		in->rp_expiry = conf_num(c, KW_RP_EXPIRY);
	}
}

const INTAKE_SETTINGS *
conf_intake(const CONF *c)
{
	return &c->intake;
}

CONF *
conf_load(const char *path, int flags, char **errors)
{
	struct conf_errs e = { NULL, 0, 0 };
	CONF *c = mem_calloc(1, sizeof(*c));

	*errors = NULL;
	c->refs = 1;
	c->path = mem_strdup(path);
	if (conf_values_read(c, &e) == 0) {
		if (e.n == 0 && !(flags & CONF_NO_KEYS))
			conf_load_keys(c, &e);
		conf_load_data(c, path, &e);
		c->cluster = conf_cluster_build(c->v, path,
		    !(flags & CONF_NO_KEYS), &e, &c->warnings);
	}
	if (e.n > 0) {
		conf_free(c);
		*errors = e.buf;
		return NULL;
	}
	conf_intake_settings(c);
	return c;
}

void
conf_ref(CONF *c)
{
	pthread_mutex_lock(&conf_lock);
	c->refs++;
	pthread_mutex_unlock(&conf_lock);
}

void
conf_unref(CONF *c)
{
	int last;

	if (c == NULL)
		return;
	pthread_mutex_lock(&conf_lock);
	last = --c->refs == 0;
	pthread_mutex_unlock(&conf_lock);
	if (last)
		conf_free(c);
}

CONF *
conf_current(void)
{
	CONF *c;

	pthread_mutex_lock(&conf_lock);
	c = conf_cur;
	if (c != NULL)
		c->refs++;
	pthread_mutex_unlock(&conf_lock);
	return c;
}

void
conf_install(CONF *c)
{
	CONF *old;

	pthread_mutex_lock(&conf_lock);
	old = conf_cur;
	conf_cur = c;
	pthread_mutex_unlock(&conf_lock);
	conf_unref(old);
}

const char *conf_warnings(const CONF *c) { return c->warnings; }
const struct SIGNER *conf_signer(const CONF *c) { return c->signer; }
const struct RETPATH *conf_retpath(const CONF *c) { return c->retpath; }
const LOGINMAP *conf_loginmap(const CONF *c) { return c->loginmap; }
const LOGINMAP *conf_signauth(const CONF *c)
{ return c->signauth != NULL ? c->signauth : c->loginmap; }

/* Signing for several domains (what: which) and nobody says who may? */
int
conf_signing_open(const CONF *c, char *what, size_t whatsize)
{
	return conf_signauth(c) == NULL && c->signer != NULL &&
	    signer_domains(c->signer, what, whatsize) > 1;
}
const BOUNCE_RULES *conf_bounce_rules(const CONF *c) { return c->rules; }
RPDNS *conf_rpdns(const CONF *c) { return c->rpdns; }
const REP_RULES *conf_rep_rules(const CONF *c)
{ return conf_num(c, KW_REPUTATION) ? &c->rep : NULL; }
const CONF_SHAPING *conf_shaping(const CONF *c) { return &c->shaping; }

/* The rule in force for a bucket, by its name (see conf_shape.c). */
int
conf_shaping_rule(const CONF *c, const char *name, BUCKET_RULE *r,
    char *what, size_t whatsize)
{
	return conf_shaping_find(&c->shaping, conf_rep_rules(c),
	    conf_probation_limit(c), name, r, what, whatsize);
}
