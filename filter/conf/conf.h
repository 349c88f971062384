/*
 * conf.h - the configuration: a typed keyword table and immutable,
 * reference-counted snapshots.
 *
 *	CONF *c = conf_load(path, &errors);	NULL: errors holds one
 *						"file:line: message" per line
 *	conf_socket(c) ...			read-only accessors
 *	conf_ref(c); conf_unref(c);		share a snapshot
 *
 *	conf_current() / conf_install(c)	the daemon's current snapshot:
 *						conf_current() returns a new
 *						reference; conf_install() swaps
 *						atomically and drops the old one
 *
 * conf_str(), conf_num() and conf_line() read any keyword by its enum
 * conf_kw (its value as written, its parsed number — enum index, boolean,
 * mode, canonicalization as header<<1|body with 1 = relaxed — and its
 * line); a misspelt keyword does not compile, and no read looks a name up.
 * conf_name() gives a keyword's name as the file spells it.  Unless
 * CONF_NO_KEYS is given, conf_load() also reads and checks the DKIM keys
 * (filter/dkim/signer_keys.c) and the return-path keys
 * (filter/retpath/retpath.c) and keeps both in the snapshot, and the
 * password of ClusterPasswordFile; CONF_NO_KEYS reads none of these
 * secrets (conf_cluster() then has no password).
 *
 * conf_cluster() is NULL without Cluster; else the link's settings
 * (filter/cluster/cluster_settings.h).  Cluster, ClusterName, NodeName,
 * ClusterPasswordFile and ClusterTimeout take a restart to change (the
 * cluster keeps the settings of the snapshot it started with: reloads say
 * so if they differ); ClusterOnDown takes effect at a reload (read it
 * from the snapshot a message holds).  conf_cluster_check_owner() adds a
 * line for a ClusterPasswordFile that user (UserID) could not read again
 * at a reload.
 *
 * A snapshot never changes once loaded, so a connection that took a
 * reference sees one consistent configuration however often the daemon
 * reloads.  conf_restart_changes() lists the keywords that differ between
 * two snapshots but only take effect at restart.
 */
#ifndef REPGUARD_CONF_H
#define REPGUARD_CONF_H

#include <stdint.h>
#include <sys/types.h>

#include "shaping/bucket.h"
#include "base/cidr.h"
#include "cluster/cluster_settings.h"
#include "shaping/domlimit.h"
#include "reputation/loginmap.h"
#include "reputation/reputation.h"
#include "store/store.h"
#include "shaping/tclass.h"
#include "shaping/warmup.h"

#define CONF_DEFAULT_PATH	SYSCONFDIR "/repguard/repguard.conf"

/*
 * The keywords, in the order of conf.c's table: sorted by name, compared
 * without case (the table's loader looks names up by halving).  The unit
 * test checks that every one has its entry and that the names ascend.
 */
enum conf_kw {
	KW_BOUNCE_FORWARD, KW_BOUNCE_RULES, KW_BULK_COMPLIANCE,
	KW_BULK_LIMIT, KW_BULK_SENDERS,
	KW_CANONICALIZATION, KW_CLASS_HEADER,
	KW_CLUSTER, KW_CLUSTER_NAME, KW_CLUSTER_ON_DOWN,
	KW_CLUSTER_PASSWORD_FILE, KW_CLUSTER_TIMEOUT, KW_COMMIT_INTERVAL,
	KW_DATABASE_MAX_SIZE, KW_DATABASE_PATH, KW_DEFAULT_KEY,
	KW_DNS_SERVER, KW_DNS_TIMEOUT, KW_DOMAIN, KW_DOMAIN_LIMITS,
	KW_FEEDBACK_ID, KW_FROM_ALIGNMENT,
	KW_INTERNAL_HOSTS,
	KW_KEY_FILE, KW_KEY_TABLE,
	KW_LIST_UNSUBSCRIBE_URL,
	KW_MAJOR_RECEIVERS, KW_METRICS_LISTEN, KW_MINIMUM_EVENTS,
	KW_MINIMUM_VOLUME, KW_MULTIPLE_SIGNATURES, KW_NODE_NAME,
	KW_ON_DNS_ERROR, KW_ON_ERROR, KW_ON_NO_KEY, KW_ON_UNAUTHORIZED_FROM,
	KW_OVERSIGN_HEADERS,
	KW_PAUSE_ACTION, KW_PAUSE_BLOCK_RATE, KW_PAUSE_COMPLAINT_RATE,
	KW_PAUSE_COMPLAINTS, KW_PAUSE_COOLDOWN, KW_PAUSE_HARD_RATE,
	KW_PAUSE_HARD, KW_PAUSE_POLICY, KW_PID_FILE, KW_PROBATION_LIMIT,
	KW_PROBATION_STRICTNESS,
	KW_RATE_WINDOW_LONG, KW_RATE_WINDOW_SHORT, KW_RELAY_LIMIT,
	KW_REPORT_CLIENT_LIMIT, KW_REPORTS_PER_RCPT, KW_REPUTATION,
	KW_RP_CHECK, KW_RP_DOMAIN, KW_RP_EXPIRY, KW_RP_KEY_FILE,
	KW_RP_PREFIX, KW_RP_SENDERS,
	KW_SELECTOR, KW_SENDER_KEY, KW_SENDER_LOGIN_MAP,
	KW_SIGNATURE_ALGORITHM, KW_SIGN_HEADERS, KW_SIGNING_AUTHORIZATION,
	KW_SIGNING_DOMAIN_FROM, KW_SIGNING_TABLE, KW_SOCKET,
	KW_SUPPRESS_COMPLAINT_FOR, KW_SUPPRESS_HARD_FOR, KW_SUPPRESSION,
	KW_SYSLOG, KW_SYSLOG_FACILITY,
	KW_TRANSACTIONAL_LIMIT, KW_TRANSACTIONAL_SENDERS,
	KW_UMASK, KW_USER_ID,
	KW_WARMUP_SCHEDULE, KW_WARMUP_START, KW_WARN_BLOCK_RATE,
	KW_WARN_COMPLAINT_RATE, KW_WARN_HARD_RATE,
	KW_MAX
};

enum conf_on_error {
	CONF_ON_ERROR_TEMPFAIL,
	CONF_ON_ERROR_ACCEPT
};

enum conf_on_no_key {
	CONF_ON_NO_KEY_ACCEPT,
	CONF_ON_NO_KEY_TEMPFAIL,
	CONF_ON_NO_KEY_DEFAULT
};

enum conf_domain_from {
	CONF_FROM_HEADER,
	CONF_FROM_ENVELOPE
};

enum conf_alignment {
	CONF_ALIGN_OFF,
	CONF_ALIGN_LOG,
	CONF_ALIGN_REJECT
};

enum conf_pause_action {
	CONF_PAUSE_TEMPFAIL,
	CONF_PAUSE_QUARANTINE,
	CONF_PAUSE_REJECT
};

enum conf_suppression {
	CONF_SUPPRESS_OFF,
	CONF_SUPPRESS_GLOBAL,
	CONF_SUPPRESS_SENDER
};

enum conf_compliance {
	CONF_COMPLIANCE_OFF,
	CONF_COMPLIANCE_LOG,
	CONF_COMPLIANCE_ADD,
	CONF_COMPLIANCE_REJECT
};

/* Traffic shaping: classes, limits, warm-up, bulk compliance. */
typedef struct {
	TCLASS_RULES	 tclass;
	BUCKET_RULE	 bulk, transactional, relay;	/* tokens 0: none */
	BUCKET_RULE	 report_client;		/* reports per client */
	DOMLIMITS	*domains;		/* NULL: no DomainLimits */
	int64_t		 warmup_start;		/* 0: no warm-up */
	WARMUP		 warmup;
	int		 compliance;		/* CONF_COMPLIANCE_* */
	const char	*unsubscribe_url;	/* NULL: none */
	const char	*feedback_id;		/* NULL: none */
} CONF_SHAPING;

enum conf_algorithm {
	CONF_ALG_RSA_SHA256,
	CONF_ALG_ED25519_SHA256
};

#define CONF_NO_KEYS	0x01	/* conf_load(): do not read signing keys,
				   return-path keys or the cluster password */

typedef struct CONF CONF;
struct SIGNER;
struct RETPATH;

CONF		*conf_load(const char *path, int flags, char **errors);
const char	*conf_warnings(const CONF *);		/* NULL: none */
const char	*conf_str(const CONF *, enum conf_kw);	/* NULL: unset */
long long	 conf_num(const CONF *, enum conf_kw);
int		 conf_line(const CONF *, enum conf_kw);	/* 0: default */
const char	*conf_name(enum conf_kw);
const struct SIGNER *conf_signer(const CONF *);	/* NULL: CONF_NO_KEYS */
const struct RETPATH *conf_retpath(const CONF *); /* NULL: CONF_NO_KEYS */
/* what the intake of reports needs (filter/retpath/intake.h) */
const struct INTAKE_SETTINGS *conf_intake(const CONF *);
const LOGINMAP	*conf_loginmap(const CONF *);	/* NULL: none */
const LOGINMAP	*conf_signauth(const CONF *);	/* SigningAuthorization,
				   else SenderLoginMap; NULL: none (open) */
int		 conf_signing_open(const CONF *, char *what, size_t whatsize);
struct BOUNCE_RULES;
const struct BOUNCE_RULES *conf_bounce_rules(const CONF *); /* NULL: none */
struct RPDNS;
struct RPDNS	*conf_rpdns(const CONF *);	/* NULL: no check */
const REP_RULES	*conf_rep_rules(const CONF *);	/* NULL: Reputation no */
const CLUSTER_SETTINGS *conf_cluster(const CONF *);	/* NULL: no Cluster */
void		 conf_cluster_check_owner(const CONF *, uid_t uid,
		    const char *user, char **errors);
const CONF_SHAPING *conf_shaping(const CONF *);
int		 conf_shaping_rule(const CONF *, const char *bucket,
		    BUCKET_RULE *, char *what, size_t whatsize);
int		 conf_major_receiver(const CONF *, const char *domain);
void		 conf_ref(CONF *);
void		 conf_unref(CONF *);
CONF		*conf_current(void);
void		 conf_install(CONF *);
char		*conf_restart_changes(const CONF *old, const CONF *new);

const char	*conf_path(const CONF *);
const char	*conf_socket(const CONF *);
const char	*conf_metrics_listen(const CONF *);	/* NULL: none */
mode_t		 conf_umask(const CONF *);
const char	*conf_pidfile(const CONF *);		/* NULL: none */
const char	*conf_user(const CONF *);		/* NULL: none */
const char	*conf_database_path(const CONF *);
uint64_t	 conf_database_max(const CONF *);
void		 conf_store_opts(const CONF *, STORE_OPTS *);	/* max size,
				   file mode: 0660 less UMask, never others' */
const CIDR_LIST	*conf_internal_hosts(const CONF *);
int		 conf_sender_key(const CONF *);		/* SENDER_KEY_* */
int		 conf_on_error(const CONF *);		/* CONF_ON_ERROR_* */
int		 conf_suppression(const CONF *);	/* CONF_SUPPRESS_* */
int		 conf_pause_action(const CONF *);	/* CONF_PAUSE_* */
long long	 conf_probation_limit(const CONF *);	/* 0: none */
int		 conf_syslog(const CONF *);
int		 conf_syslog_facility(const CONF *);
unsigned	 conf_commit_interval(const CONF *);	/* milliseconds */

#endif
