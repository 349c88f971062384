/*
 * test_conf.c - unit tests for filter/conf/conf.c.
 *
 * A table of configuration texts, each with the error it must give
 * ("file:line: message", matched as a substring after the file name) or
 * none; then the values of a complete file, the defaults, and the list of
 * restart-only keywords that changed.  First, that enum conf_kw and the
 * keyword table agree: an entry for every keyword, the names ascending
 * (the loader halves the table to find a name), and the names the enum
 * abbreviates where they belong.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <sys/stat.h>

#include "cluster/redis.h"
#include "conf/conf.h"
#include "reputation/sender.h"
#include "tap.h"

static char dir[256];

static const struct {
	const char	*text;
	const char	*err;	/* ":LINE: message" substring, NULL if good */
} cases[] = {
	{ "", NULL },
	{ "# only a comment\n\n   \n", NULL },
	{ "Socket unix:/tmp/x.sock\n", NULL },
	{ "socket inet:8891@127.0.0.1\n", NULL },
	{ "SOCKET inet6:8891@[::1]\n", NULL },
	{ "Socket inet:8891\n", NULL },
	{ "Socket local:/run/x.sock # trailing comment\n", NULL },
	{ "Sockett unix:/x\n", ":1: unknown keyword \"Sockett\"" },
	{ "\n\nSocket\n", ":3: Socket: missing value" },
	{ "Socket tcp:25\n", ":1: Socket: expected unix:/path" },
	{ "Socket unix:relative.sock\n", ":1: Socket: expected an absolute" },
	{ "Socket inet:0@127.0.0.1\n", ":1: Socket: expected a port" },
	{ "Socket inet:99999\n", ":1: Socket: expected a port" },
	{ "Socket inet:25@300.1.1.1\n", ":1: Socket: bad IPv4 address" },
	{ "Socket inet6:25@fe80::zz\n", ":1: Socket: bad IPv6 address" },
	{ "Socket unix:/a\nSocket unix:/b\n",
	    ":2: Socket: given twice (first at line 1)" },
	{ "UMask 022\n", NULL },
	{ "UMask 999\n", ":1: UMask: expected an octal mode" },
	{ "UMask 1777\n", ":1: UMask: expected an octal mode" },
	{ "PidFile run/x.pid\n", ":1: PidFile: expected an absolute path" },
	{ "UserID root\n", NULL },
	{ "UserID root:root\n", NULL },
	{ "UserID no-such-user-here\n",
	    ":1: UserID: no such user \"no-such-user-here\"" },
	{ "UserID root:no-such-group-here\n", ":1: UserID: no such group" },
	{ "DatabasePath /var/lib/x\n", NULL },
	{ "DatabasePath var\n", ":1: DatabasePath: expected an absolute" },
	{ "DatabaseMaxSize 64M\n", NULL },
	{ "DatabaseMaxSize 10K\n", ":1: DatabaseMaxSize: size must be" },
	{ "DatabaseMaxSize lots\n", ":1: DatabaseMaxSize:" },
	{ "InternalHosts 10.0.0.0/8, 192.168.0.0/16 2001:db8::/32\n", NULL },
	{ "InternalHosts 10.0.0.0/33\n", ":1: InternalHosts:" },
	{ "InternalHosts 10.0.0.1/8\n", ":1: InternalHosts: host bits" },
	{ "InternalHosts example.com\n", ":1: InternalHosts:" },
	{ "SenderKey envelope-domain\n", NULL },
	{ "SenderKey foo\n", ":1: SenderKey: expected auth, envelope or "
	    "envelope-domain, got \"foo\"" },
	{ "OnError accept\n", NULL },
	{ "OnError reject\n", ":1: OnError: expected tempfail or accept" },
	{ "Syslog no\n", NULL },
	{ "Syslog maybe\n", ":1: Syslog: expected yes or no" },
	{ "SyslogFacility local3\n", NULL },
	{ "SyslogFacility kern9\n", ":1: SyslogFacility: unknown syslog" },
	{ "CommitInterval 0\n", ":1: CommitInterval: expected a number from "
	    "1 to 1000" },
	{ "CommitInterval 5ms\n", ":1: CommitInterval: expected a number" },
	{ "CommitInterval 1000\n", NULL },
	{ "Bogus 1\nSenderKey x\n", ":2: SenderKey:" },	/* all errors */
	{ "PauseHardBounceRate 5%\nWarnComplaintRate 0.0125%\n", NULL },
	{ "PauseHardBounceRate 100%\n", NULL },
	{ "PauseHardBounceRate 100.1%\n", ":1: PauseHardBounceRate: expected "
	    "a percentage from 0% to 100%" },
	{ "PauseHardBounceRate 5\n", ":1: PauseHardBounceRate: expected a "
	    "percentage" },
	{ "PauseHardBounceRate .5%\n", ":1: PauseHardBounceRate:" },
	{ "PauseHardBounceRate 5.%\n", ":1: PauseHardBounceRate:" },
	{ "PauseHardBounceRate 0.00001%\n", ":1: PauseHardBounceRate:" },
	{ "PauseHardBounceRate 5%%\n", ":1: PauseHardBounceRate:" },
	{ "PauseHardBounceRate -1%\n", ":1: PauseHardBounceRate:" },
	{ "PauseAction quarantine\n", NULL },
	{ "PauseAction drop\n", ":1: PauseAction: expected tempfail, "
	    "quarantine or reject" },
	{ "PauseCooldown 10m\nRateWindowShort 5m\nRateWindowLong 2h\n",
	    NULL },
	{ "PauseCooldown 31d\n", ":1: PauseCooldown: expected a duration "
	    "from 1s to 30d" },
	{ "RateWindowLong 9d\n", ":1: RateWindowLong: expected a duration "
	    "from 1m to 8d" },
	{ "\nRateWindowShort 2d\n", ":2: RateWindowShort (2d) must be "
	    "shorter than RateWindowLong (24h)" },
	{ "MinimumVolume 0\n", ":1: MinimumVolume: expected a number from 1" },
	{ "Reputation no\nMajorReceivers gmail.com, example.net\n", NULL },
	{ "OnUnauthorizedFrom Accept-Unsigned\n", NULL },
	{ "OnUnauthorizedFrom sign-relay-domain\n", NULL },	/* no keys */
	{ "\nOnUnauthorizedFrom bounce\n", ":2: OnUnauthorizedFrom: expected "
	    "reject, tempfail, sign-relay-domain or accept-unsigned" },
	{ "SigningAuthorization signing-auth\n",
	    ":1: SigningAuthorization: expected an absolute path" },
	{ "SigningAuthorization /nonexistent/signing-auth\n",
	    ":1: SigningAuthorization: /nonexistent/signing-auth" },
};

/* Keywords whose enum names are not their names spelt out. */
static const struct {
	enum conf_kw	 kw;
	const char	*name;
} names[] = {
	{ KW_BOUNCE_FORWARD, "BounceForward" },
	{ KW_CLUSTER, "Cluster" },
	{ KW_CLUSTER_ON_DOWN, "ClusterOnDown" },
	{ KW_CLUSTER_PASSWORD_FILE, "ClusterPasswordFile" },
	{ KW_NODE_NAME, "NodeName" },
	{ KW_DATABASE_MAX_SIZE, "DatabaseMaxSize" },
	{ KW_DNS_SERVER, "DNSServer" },
	{ KW_ON_DNS_ERROR, "OnDNSError" },
	{ KW_ON_ERROR, "OnError" },
	{ KW_PAUSE_HARD_RATE, "PauseHardBounceRate" },
	{ KW_PAUSE_HARD, "PauseHardBounces" },
	{ KW_PAUSE_POLICY, "PausePolicyBounces" },
	{ KW_REPORTS_PER_RCPT, "ReportsPerRecipient" },
	{ KW_RP_CHECK, "ReturnPathCheck" },
	{ KW_RP_KEY_FILE, "ReturnPathKeyFile" },
	{ KW_SIGN_HEADERS, "SignHeaders" },
	{ KW_SUPPRESS_HARD_FOR, "SuppressHardBounceFor" },
	{ KW_USER_ID, "UserID" },
	{ KW_WARN_HARD_RATE, "WarnHardBounceRate" },
};

static const char *
write_conf(const char *name, const char *text)
{
	static char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	fputs(text, fp);
	fclose(fp);
	return path;
}

static void
test_keywords(void)
{
	const char *a, *b;
	size_t i;
	int k, bad = -1;

	for (k = 0; k < KW_MAX && bad < 0; k++) {
		a = k > 0 ? conf_name((enum conf_kw)(k - 1)) : "";
		b = conf_name((enum conf_kw)k);
		if (b == NULL || strcasecmp(a, b) >= 0)
			bad = k;
	}
	tap_ok(bad < 0, "every keyword has its entry, names ascending "
	    "(first wrong: %d, %s)", bad, bad >= 0 && conf_name(bad) ?
	    conf_name(bad) : "none");
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		tap_str(conf_name(names[i].kw), names[i].name,
		    "keyword %d is %s", (int)names[i].kw, names[i].name);
}

static void
test_table(void)
{
	char *errors, name[32];
	const char *path;
	size_t i;
	CONF *c;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(name, sizeof(name), "case%zu.conf", i);
		path = write_conf(name, cases[i].text);
		c = conf_load(path, CONF_NO_KEYS, &errors);
		if (cases[i].err == NULL)
			tap_ok(c != NULL, "case %zu loads%s%s", i,
			    errors ? ": " : "", errors ? errors : "");
		else
			tap_ok(c == NULL && errors != NULL &&
			    strncmp(errors, path, strlen(path)) == 0 &&
			    strstr(errors, cases[i].err) != NULL,
			    "case %zu: want \"%s\", got \"%s\"", i,
			    cases[i].err, errors ? errors : "(none)");
		conf_unref(c);
		free(errors);
	}
}

/* The reputation engine's keywords become its rules. */
static void
test_rep_values(void)
{
	const REP_RULES *r;
	char *errors = NULL;
	CONF *c;

	c = conf_load(write_conf("rep.conf",
	    "RateWindowShort 30m\nRateWindowLong 2d\nMinimumVolume 500\n"
	    "WarnHardBounceRate 1.5%\nWarnComplaintRate 0.05%\n"
	    "PauseHardBounceRate 4%\nPauseComplaintRate 0.25%\n"
	    "PauseHardBounces 40\nPauseComplaints 0\nPausePolicyBounces 7\n"
	    "PauseCooldown 2h\nProbationStrictness 25%\n"
	    "MajorReceivers gmail.com,Example.NET\n"), CONF_NO_KEYS, &errors);
	tap_ok(c != NULL, "reputation keywords load%s%s", errors ? ": " : "",
	    errors ? errors : "");
	free(errors);
	if (c == NULL)
		return;
	r = conf_rep_rules(c);
	tap_ok(r != NULL && r->window[0] == 1800 && r->window[1] == 172800 &&
	    r->min_volume == 500 && r->warn_hard == 15000 &&
	    r->warn_complaint == 500 && r->pause_hard == 40000 &&
	    r->pause_complaint == 2500 && r->abs_hard == 40 &&
	    r->abs_complaint == 0 && r->policy_burst == 7 &&
	    r->cooldown == 7200 && r->strict == 25,
	    "every reputation keyword reaches the rules (rates in ppm)");
	tap_int(conf_major_receiver(c, "example.net"), 1,
	    "MajorReceivers: listed domain, any case");
	tap_int(conf_major_receiver(c, "gmail.co"), 0,
	    "MajorReceivers: a prefix is not a match");
	tap_int(conf_major_receiver(c, "mail.com"), 0,
	    "MajorReceivers: a suffix is not a match");
	conf_unref(c);
	c = conf_load(write_conf("rep2.conf", "Reputation no\n"),
	    CONF_NO_KEYS, &errors);
	tap_ok(c != NULL && conf_rep_rules(c) == NULL,
	    "Reputation no: no rules (only operator pauses apply)");
	conf_unref(c);
	free(errors);
	c = conf_load(write_conf("rep3.conf", ""), CONF_NO_KEYS, &errors);
	r = c ? conf_rep_rules(c) : NULL;
	tap_ok(r != NULL && r->pause_hard == 50000 && r->warn_complaint ==
	    800 && conf_major_receiver(c, "gmail.com") &&
	    conf_num(c, KW_PAUSE_ACTION) == CONF_PAUSE_TEMPFAIL &&
	    conf_num(c, KW_PROBATION_LIMIT) == 100,
	    "defaults: 5%%, 0.08%%, gmail.com a major receiver, tempfail, "
	    "ProbationLimit 100");
	conf_unref(c);
	free(errors);
}

static void
test_values(void)
{
	char *errors, *changed;
	CONF *c, *d, *e;

	c = conf_load(write_conf("full.conf",
	    "# every keyword\n"
	    "Socket unix:/run/rg/rg.sock\n"
	    "UMask 002\n"
	    "PidFile /run/rg/rg.pid\n"
	    "UserID root\n"
	    "DatabasePath /var/lib/rg\n"
	    "DatabaseMaxSize 128M\n"
	    "InternalHosts 10.0.0.0/8 ::1\n"
	    "SenderKey envelope\n"
	    "OnError accept\n"
	    "Syslog no\n"
	    "SyslogFacility local5\n"
	    "CommitInterval 25\n"), CONF_NO_KEYS, &errors);
	tap_ok(c != NULL, "a file with every keyword loads");
	if (c == NULL) {
		free(errors);
		return;
	}
	tap_str(conf_socket(c), "unix:/run/rg/rg.sock", "Socket");
	tap_int(conf_umask(c), 002, "UMask");
	tap_str(conf_pidfile(c), "/run/rg/rg.pid", "PidFile");
	tap_str(conf_user(c), "root", "UserID");
	tap_str(conf_database_path(c), "/var/lib/rg", "DatabasePath");
	tap_int((long long)conf_database_max(c), 128LL << 20, "DatabaseMaxSize");
	tap_int(cidr_list_match_text(conf_internal_hosts(c), "10.9.8.7", 8), 1,
	    "InternalHosts v4");
	tap_int(cidr_list_match_text(conf_internal_hosts(c), "::1", 3), 1,
	    "InternalHosts v6");
	tap_int(cidr_list_match_text(conf_internal_hosts(c), "127.0.0.1", 9),
	    0, "InternalHosts replaces the default");
	tap_int(conf_sender_key(c), SENDER_KEY_ENVELOPE, "SenderKey");
	tap_int(conf_on_error(c), CONF_ON_ERROR_ACCEPT, "OnError");
	tap_int(conf_syslog(c), 0, "Syslog");
	tap_int(conf_commit_interval(c), 25, "CommitInterval");

	d = conf_load(write_conf("empty.conf", ""), CONF_NO_KEYS, &errors);
	tap_ok(d != NULL, "an empty file loads with defaults");
	tap_str(conf_pidfile(d), NULL, "no PidFile by default");
	tap_str(conf_user(d), NULL, "no UserID by default");
	tap_int(conf_umask(d), 007, "UMask default 007");
	tap_int(conf_sender_key(d), SENDER_KEY_AUTH, "SenderKey default auth");
	tap_int(conf_on_error(d), CONF_ON_ERROR_TEMPFAIL,
	    "OnError default tempfail");
	tap_int(conf_commit_interval(d), 10, "CommitInterval default 10");
	tap_int(cidr_list_match_text(conf_internal_hosts(d), "127.0.0.1", 9),
	    1, "InternalHosts default has loopback");

	changed = conf_restart_changes(d, c);
	tap_str(changed, "DatabasePath, PidFile, Socket, "
	    "UMask, UserID", "restart-only keywords that changed");
	free(changed);
	e = conf_load(write_conf("empty2.conf", "SenderKey envelope\n"),
	    CONF_NO_KEYS, &errors);
	changed = conf_restart_changes(d, e);
	tap_str(changed, NULL, "SenderKey changes without a restart");
	free(changed);

	/* The current snapshot survives a swap while referenced. */
	conf_install(c);
	c = conf_current();
	conf_install(d);
	tap_str(conf_socket(c), "unix:/run/rg/rg.sock",
	    "a held snapshot stays valid after a swap");
	conf_unref(c);
	conf_install(NULL);
	conf_unref(e);
}

static void
test_nul(void)
{
	static const char text[] = "Syslog no\nInternalHosts 10.0.0.0/8\0,"
	    "192.0.2.0/24\n";
	char path[600], *errors;
	FILE *fp;
	CONF *c;

	snprintf(path, sizeof(path), "%s/nul.conf", dir);
	fp = fopen(path, "w");
	fwrite(text, 1, sizeof(text) - 1, fp);
	fclose(fp);
	c = conf_load(path, CONF_NO_KEYS, &errors);
	tap_ok(c == NULL && errors && strstr(errors, ":2: NUL byte in line"),
	    "a NUL byte in a line is an error: %s", errors ? errors : "loaded");
	conf_unref(c);
	free(errors);
}

static void
test_errors(void)
{
	char *errors, path[600], longline[6000];
	CONF *c;

	snprintf(path, sizeof(path), "%s/missing.conf", dir);
	c = conf_load(path, CONF_NO_KEYS, &errors);
	tap_ok(c == NULL && errors && strstr(errors, "missing.conf: cannot "
	    "open: No such file"), "missing file: %s", errors ? errors : "");
	free(errors);
	memset(longline, 'x', sizeof(longline) - 2);
	longline[sizeof(longline) - 2] = '\n';
	longline[sizeof(longline) - 1] = '\0';
	memcpy(longline, "Socket ", 7);
	c = conf_load(write_conf("long.conf", longline), CONF_NO_KEYS,
	    &errors);
	tap_ok(c == NULL && errors && strstr(errors, ":1: line longer than"),
	    "over-long line: %s", errors ? errors : "");
	free(errors);
}

/* Which map authorises signing: SigningAuthorization, else SenderLoginMap. */
static void
test_signauth(void)
{
	char text[1400], map[512], auth[512], *errors;
	CONF *c;

	snprintf(map, sizeof(map), "%s", write_conf("sender-login",
	    "@a.example alice\n"));
	snprintf(auth, sizeof(auth), "%s", write_conf("signing-auth",
	    "@a.example alice\n@b.example bob, 10.2.0.0/16\n"));
	c = conf_load(write_conf("none.conf", "Syslog no\n"), CONF_NO_KEYS,
	    &errors);
	tap_ok(c != NULL && conf_signauth(c) == NULL && conf_num(c,
	    KW_ON_UNAUTHORIZED_FROM) == 0, "neither map: no signing "
	    "authorisation (open), OnUnauthorizedFrom reject by default");
	conf_unref(c);
	snprintf(text, sizeof(text), "SenderLoginMap %s\n", map);
	c = conf_load(write_conf("login.conf", text), CONF_NO_KEYS, &errors);
	tap_ok(c != NULL && conf_signauth(c) == conf_loginmap(c) &&
	    conf_signauth(c) != NULL, "SenderLoginMap alone authorises "
	    "signing");
	conf_unref(c);
	snprintf(text, sizeof(text), "SenderLoginMap %s\nSigningAuthorization "
	    "%s\n", map, auth);
	c = conf_load(write_conf("both.conf", text), CONF_NO_KEYS, &errors);
	tap_ok(c != NULL && conf_signauth(c) != conf_loginmap(c) &&
	    loginmap_allows_client(conf_signauth(c), "x@b.example",
	    "10.2.3.4"), "SigningAuthorization wins over SenderLoginMap");
	conf_unref(c);
	write_conf("bad-auth", "@a.example alice\n@b.example 10.2.0.0/33\n");
	snprintf(text, sizeof(text), "SigningAuthorization %s/bad-auth\n", dir);
	c = conf_load(write_conf("bad.conf", text), CONF_NO_KEYS, &errors);
	tap_ok(c == NULL && errors != NULL && strstr(errors, "/bad-auth:2: ") !=
	    NULL, "a bad entry: an error at the file's own line (%s)",
	    errors ? errors : "none");
	free(errors);
}

/* The Cluster keywords (a build without hiredis refuses Cluster). */
static const struct {
	const char	*text;
	const char	*err;	/* ":LINE: message" substring, NULL if good */
} cluster_cases[] = {
	{ "Cluster redis://127.0.0.1:6379\n", NULL },
	{ "Cluster unix:/run/redis.sock?db=2\nClusterName relays-eu.1\n"
	    "NodeName mx1.example.com\nClusterTimeout 250ms\n"
	    "ClusterOnDown tempfail\n", NULL },
	{ "Cluster sentinel://a,b:26380/mymaster\nClusterTimeout 10s\n", NULL },
	{ "Cluster rediss://h:6380\n", ":1: Cluster: rediss:// (TLS) is "
	    "refused: Debian 12's hiredis has no TLS" },
	{ "Cluster redis://:pw@h\n", ":1: Cluster: a user or password in the "
	    "URL is refused" },
	{ "Cluster 127.0.0.1:6379\n", ":1: Cluster: expected redis://" },
	{ "Cluster redis://h:0\n", ":1: Cluster: bad port \"0\"" },
	{ "Cluster redis://h\nClusterName a b\n", ":2: ClusterName: expected "
	    "1 to 64 letters" },
	{ "Cluster redis://h\nClusterName "
	    "x2345678901234567890123456789012345678901234567890123456789012345"
	    "\n", ":2: ClusterName: expected 1 to 64" },
	{ "Cluster redis://h\nNodeName mx1!\n", ":2: NodeName: expected" },
	{ "Cluster redis://h\nClusterTimeout 0ms\n", ":2: ClusterTimeout: "
	    "expected a duration from 1ms to 10s" },
	{ "Cluster redis://h\nClusterTimeout 10001ms\n", ":2: ClusterTimeout: "
	    "expected a duration from 1ms to 10s" },
	{ "Cluster redis://h\nClusterTimeout 50\n", ":2: ClusterTimeout: "
	    "expected a duration from 1ms to 10s (\"50ms\", \"1s\"), got "
	    "\"50\" (a number alone is seconds)" },
	{ "Cluster redis://h\nClusterTimeout fast\n", ":2: ClusterTimeout: "
	    "unexpected character" },
	{ "Cluster redis://h\nClusterOnDown drop\n", ":2: ClusterOnDown: "
	    "expected local or tempfail" },
	{ "Cluster redis://h\nClusterPasswordFile pw\n",
	    ":2: ClusterPasswordFile: expected an absolute path" },
};

/* NodeName's default, as conf_cluster.c makes it from the host name. */
static void
default_node(char *node, size_t size)
{
	char host[256];
	size_t i;

	gethostname(host, sizeof(host));
	host[sizeof(host) - 1] = '\0';
	for (i = 0; host[i] != '\0' && i + 1 < size; i++)
		node[i] = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRS"
		    "TUVWXYZ0123456789._-", host[i]) ? host[i] : '-';
	node[i] = '\0';
}

static void
test_cluster_table(void)
{
	char *errors, name[32];
	const char *path;
	size_t i;
	CONF *c;

	for (i = 0; i < sizeof(cluster_cases) / sizeof(cluster_cases[0]);
	    i++) {
		snprintf(name, sizeof(name), "cluster%zu.conf", i);
		path = write_conf(name, cluster_cases[i].text);
		c = conf_load(path, CONF_NO_KEYS, &errors);
		if (cluster_cases[i].err == NULL)
			tap_ok(c != NULL && conf_cluster(c) != NULL,
			    "cluster case %zu loads%s%s", i, errors ? ": " : "",
			    errors ? errors : "");
		else
			tap_ok(c == NULL && errors != NULL &&
			    strstr(errors, cluster_cases[i].err) != NULL &&
			    strstr(errors, "pw@") == NULL,
			    "cluster case %zu: want \"%s\", got \"%s\"", i,
			    cluster_cases[i].err, errors ? errors : "(none)");
		conf_unref(c);
		free(errors);
	}
}

static void
test_cluster_values(void)
{
	const CLUSTER_SETTINGS *cs;
	char *errors = NULL, node[CLUSTER_NAME_MAX + 1], *changed;
	CONF *c, *d;

	c = conf_load(write_conf("cl1.conf", "Cluster redis://[::1]:7000/2\n"
	    "ClusterName eu\nNodeName n1\nClusterTimeout 1s250ms\n"
	    "ClusterOnDown tempfail\nClusterPasswordFile /nonexistent/pw\n"),
	    CONF_NO_KEYS, &errors);
	cs = c != NULL ? conf_cluster(c) : NULL;
	tap_ok(cs != NULL && cs->target.kind == REDIS_TCP &&
	    !strcmp(cs->target.host, "::1") && cs->target.port == 7000 &&
	    cs->target.db == 2 && cs->target.timeout_ms == 1250 &&
	    !strcmp(cs->name, "eu") && !strcmp(cs->node, "n1") &&
	    cs->on_down == CLUSTER_ON_DOWN_TEMPFAIL &&
	    cs->target.password[0] == '\0', "every Cluster keyword reaches "
	    "the settings; CONF_NO_KEYS reads no password (%s)",
	    errors ? errors : "loaded");
	free(errors);
	d = conf_load(write_conf("cl2.conf", ""), CONF_NO_KEYS, &errors);
	tap_ok(d != NULL && conf_cluster(d) == NULL && conf_warnings(d) ==
	    NULL, "without Cluster: no settings, no warning");
	changed = c && d ? conf_restart_changes(d, c) : NULL;
	tap_str(changed, "Cluster, ClusterName, ClusterPasswordFile, "
	    "ClusterTimeout, NodeName", "Cluster keywords but ClusterOnDown "
	    "take a restart");
	free(changed);
	conf_unref(c);
	conf_unref(d);

	c = conf_load(write_conf("cl3.conf", "Cluster unix:/r.sock\n"),
	    CONF_NO_KEYS, &errors);
	cs = c != NULL ? conf_cluster(c) : NULL;
	default_node(node, sizeof(node));
	tap_ok(cs != NULL && !strcmp(cs->name, "repguard") &&
	    !strcmp(cs->node, node) && cs->target.timeout_ms == 50 &&
	    cs->on_down == CLUSTER_ON_DOWN_LOCAL, "defaults: ClusterName "
	    "repguard, NodeName the host name (%s), 50ms, local", node);
	conf_unref(c);
	c = conf_load(write_conf("cl4.conf", "ClusterTimeout 1s\nNodeName x\n"
	    "ClusterPasswordFile /nonexistent/pw\n"), CONF_NO_KEYS, &errors);
	tap_ok(c != NULL && conf_cluster(c) == NULL && conf_warnings(c) &&
	    strstr(conf_warnings(c), ":1: ClusterTimeout has no effect "
	    "without Cluster\n") && strstr(conf_warnings(c), ":2: NodeName "
	    "has no effect") && strstr(conf_warnings(c), ":3: "
	    "ClusterPasswordFile has no effect"), "Cluster keywords without "
	    "Cluster: warnings, at their lines (%s)", c && conf_warnings(c) ?
	    conf_warnings(c) : "none");
	conf_unref(c);
}

/* The password file, read when secrets are (no CONF_NO_KEYS). */
static void
test_cluster_secret(void)
{
	const CLUSTER_SETTINGS *cs;
	char text[700], pw[600], *errors = NULL;
	CONF *c;

	snprintf(pw, sizeof(pw), "%s", write_conf("cluster.pw",
	    "alice s3cretPW\n"));
	chmod(pw, 0600);
	snprintf(text, sizeof(text), "Cluster redis://h\nClusterPasswordFile "
	    "%s\n", pw);
	c = conf_load(write_conf("clpw.conf", text), 0, &errors);
	cs = c != NULL ? conf_cluster(c) : NULL;
	tap_ok(cs != NULL && !strcmp(cs->target.user, "alice") &&
	    !strcmp(cs->target.password, "s3cretPW"), "the password file "
	    "fills user and password (%s)", errors ? errors : "loaded");
	conf_unref(c);
	free(errors);
	chmod(pw, 0644);
	c = conf_load(write_conf("clpw.conf", text), 0, &errors);
	tap_ok(c == NULL && errors && strstr(errors, ":2: ClusterPasswordFile: ")
	    && strstr(errors, "mode 0644") && !strstr(errors, "s3cret"),
	    "a password file others can read: refused at its line (%s)",
	    errors ? errors : "loaded");
	free(errors);
	write_conf("cluster.pw", "alice s3cretPW more\n");
	chmod(pw, 0600);
	c = conf_load(write_conf("clpw.conf", text), 0, &errors);
	tap_ok(c == NULL && errors && strstr(errors, ":2: ClusterPasswordFile: ")
	    && strstr(errors, "more than two words") && !strstr(errors,
	    "s3cret"), "a third word: refused, without quoting the file (%s)",
	    errors ? errors : "loaded");
	free(errors);
}

static void
test_cluster(void)
{
	char *errors;
	CONF *c;

	if (!redis_built_in()) {
		c = conf_load(write_conf("nocl.conf", "Cluster redis://h\n"),
		    CONF_NO_KEYS, &errors);
		tap_ok(c == NULL && errors && strstr(errors, ":1: Cluster: "
		    "this repguard was built without hiredis"), "a build "
		    "without hiredis refuses Cluster (%s)", errors ? errors :
		    "loaded");
		free(errors);
		return;
	}
	test_cluster_table();
	test_cluster_values();
	test_cluster_secret();
}

int
main(void)
{
	char cmd[300];

	snprintf(dir, sizeof(dir), "%s/test_conf.XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(dir) == NULL)
		return 1;
	test_keywords();
	test_table();
	test_values();
	test_rep_values();
	test_errors();
	test_nul();
	test_signauth();
	test_cluster();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return tap_done();
}
