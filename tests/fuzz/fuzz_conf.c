/*
 * fuzz_conf.c - conf_load(path, CONF_NO_KEYS, &errors) on any
 * configuration file.
 *
 * The input is a data file, a NUL, then the configuration file (no NUL:
 * the whole input is the configuration).  Both are written to a private
 * directory made once (mkdtemp); the configuration as "repguard.conf",
 * the data file as "data"; both are removed after each run, and the
 * directory at exit.
 *
 * What conf_load() touches: with CONF_NO_KEYS it reads the configuration,
 * and the data files BounceRules (only with ReturnPathDomain; its default
 * path may be read too), SenderLoginMap and DomainLimits name; UserID
 * looks up the user and group; nothing is created, changed or removed
 * (DatabasePath, PidFile, Socket, KeyFile, KeyTable, SigningTable,
 * ReturnPathKeyFile and ClusterPasswordFile are only checked as text; the
 * Cluster URL is parsed, never connected to; NodeName's default asks for
 * the host name).  So that a run reads no
 * file of the machine's (a FIFO, /dev/stdin or /proc/kmsg would block),
 * the value of every BounceRules, SenderLoginMap and DomainLimits line is
 * replaced, before writing, by the path of "data": the fuzzed data file
 * is parsed as each of them.  Line numbers do not move.
 *
 * Holds for every input: a CONF or errors, never both; every error line
 * is "repguard.conf:N: text" with N a line of the configuration, or
 * "data:N: text" with N a line of the data file; warnings are NULL or
 * text; a keyword given in the file has its line and, there, the value
 * conf_str() returns (as written, trimmed, comment cut); a keyword not
 * given has line 0; enums, booleans and bounded numbers are in range;
 * no restart-only keyword differs from the snapshot itself; the cluster's
 * settings exist exactly when Cluster is given, with names, the timeout
 * and the on-down choice the keywords give, and no password; references
 * count (conf_ref() then two conf_unref() free it); the directory holds
 * only the two files afterwards.
 */
#include <ctype.h>
#include <dirent.h>
#include <strings.h>
#include <unistd.h>

#include "conf/conf.h"
#include "fuzz.h"

static char dir[] = "/tmp/fuzz_conf.XXXXXX";
static char cpath[sizeof(dir) + 32], dpath[sizeof(dir) + 32];

/* The keywords whose value is a file conf_load() reads. */
static const char *const file_keywords[] = {
	"BounceRules", "SenderLoginMap", "DomainLimits", NULL
};

/* Keywords read back, with the range of conf_num() (min > max: any). */
static const struct {
	enum conf_kw	 kw;
	long long	 min, max;
} keywords[] = {
	{ KW_BOUNCE_FORWARD, 0, 1 },
	{ KW_BULK_COMPLIANCE, 0, 3 },
	{ KW_CANONICALIZATION, 0, 3 },
	{ KW_CLUSTER, 1, 0 },
	{ KW_CLUSTER_NAME, 1, 0 },
	{ KW_CLUSTER_ON_DOWN, 0, 1 },
	{ KW_CLUSTER_TIMEOUT, 1, 10000 },
	{ KW_COMMIT_INTERVAL, 1, 1000 },
	{ KW_DATABASE_MAX_SIZE, 1LL << 20, 1LL << 40 },
	{ KW_DATABASE_PATH, 1, 0 },
	{ KW_DOMAIN_LIMITS, 1, 0 },
	{ KW_FROM_ALIGNMENT, 0, 2 },
	{ KW_INTERNAL_HOSTS, 1, 0 },
	{ KW_MINIMUM_EVENTS, 1, 1000000 },
	{ KW_NODE_NAME, 1, 0 },
	{ KW_ON_ERROR, 0, 1 },
	{ KW_ON_NO_KEY, 0, 2 },
	{ KW_PAUSE_ACTION, 0, 2 },
	{ KW_PAUSE_COOLDOWN, 1, 30LL * 86400 },
	{ KW_PAUSE_HARD_RATE, 0, 1000000 },
	{ KW_RATE_WINDOW_SHORT, 10, 8LL * 86400 },
	{ KW_RP_DOMAIN, 1, 0 },
	{ KW_SENDER_KEY, 0, 2 },
	{ KW_SOCKET, 1, 0 },
	{ KW_SUPPRESSION, 0, 2 },
	{ KW_SYSLOG, 0, 1 },
	{ KW_UMASK, 0, 0777 },
	{ KW_WARMUP_SCHEDULE, 1, 0 },
};

static void
remove_dir(void)
{
	unlink(cpath);
	unlink(dpath);
	rmdir(dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (mkdtemp(dir) == NULL) {
		perror("fuzz_conf: mkdtemp");
		exit(2);
	}
	snprintf(cpath, sizeof(cpath), "%s/repguard.conf", dir);
	snprintf(dpath, sizeof(dpath), "%s/data", dir);
	atexit(remove_dir);
	return 0;
}

/* The line's keyword, as conf.c's conf_split() finds it. */
static const char *
line_keyword(const char *p, const char *end, size_t *len)
{
	const char *kw;

	while (p < end && isspace((unsigned char)*p))
		p++;
	kw = p;
	while (p < end && *p != '\0' && !isspace((unsigned char)*p))
		p++;
	*len = (size_t)(p - kw);
	return kw;
}

static int
is_file_keyword(const char *kw, size_t len)
{
	int i;

	for (i = 0; file_keywords[i] != NULL; i++)
		if (strlen(file_keywords[i]) == len &&
		    strncasecmp(file_keywords[i], kw, len) == 0)
			return 1;
	return 0;
}

/* The configuration, with every file keyword's value the data file. */
static void
write_conf(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size, *nl, *kw;
	size_t l, kwlen;
	FILE *fp;

	if ((fp = fopen(cpath, "w")) == NULL)
		abort();
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		kw = line_keyword(p, p + l, &kwlen);
		if (is_file_keyword(kw, kwlen))
			fprintf(fp, "%.*s %s", (int)kwlen, kw, dpath);
		else
			fwrite(p, 1, l, fp);
		if (nl != NULL)
			fputc('\n', fp);
		p += l + (nl != NULL);
	}
	if (fclose(fp) != 0)
		abort();
}

static void
write_file(const char *path, const uint8_t *data, size_t size)
{
	FILE *fp;

	if ((fp = fopen(path, "w")) == NULL)
		abort();
	if (size > 0 && fwrite(data, 1, size, fp) != size)
		abort();
	if (fclose(fp) != 0)
		abort();
}

/* Each line "file:N: text", file and N one of the two. */
static void
check_errors(const char *errors, int conf_lines, int data_lines)
{
	const char *p = errors, *nl, *rest;
	size_t cl = strlen(cpath), dl = strlen(dpath);
	long n;
	char *end;
	int max;

	FUZZ_CHECK(errors[0] != '\0');
	while (*p != '\0') {
		nl = strchr(p, '\n');
		FUZZ_CHECK(nl != NULL);
		if (strncmp(p, cpath, cl) == 0 && p[cl] == ':') {
			rest = p + cl + 1;
			max = conf_lines;
		} else {
			FUZZ_CHECK(strncmp(p, dpath, dl) == 0 &&
			    p[dl] == ':');
			rest = p + dl + 1;
			max = data_lines;
		}
		n = strtol(rest, &end, 10);
		FUZZ_CHECK(end > rest && isdigit((unsigned char)*rest));
		FUZZ_CHECK(n >= 1 && n <= max);
		FUZZ_CHECK(end[0] == ':' && end[1] == ' ' && end + 2 < nl);
		p = nl + 1;
	}
}

/* Line n (1...) of the written configuration: its keyword and value as
 * conf_split() cuts them; 0 if there is no such line. */
static int
conf_line_value(const char *text, size_t len, int n, char *kw,
    size_t kwsize, char *val, size_t valsize)
{
	const char *p = text, *end = text + len, *nl, *k, *v, *e;
	size_t l, klen;

	for (; n > 1 && p < end; n--) {
		nl = memchr(p, '\n', (size_t)(end - p));
		p = nl ? nl + 1 : end;
	}
	if (p >= end)
		return 0;
	nl = memchr(p, '\n', (size_t)(end - p));
	l = nl ? (size_t)(nl - p) : (size_t)(end - p);
	k = line_keyword(p, p + l, &klen);
	if (klen >= kwsize)
		return 0;
	memcpy(kw, k, klen);
	kw[klen] = '\0';
	for (v = k + klen; v < p + l && isspace((unsigned char)*v); v++)
		;
	for (e = v; e < p + l; e++)
		if (*e == '#' && (e == v || isspace((unsigned char)e[-1])))
			break;
	while (e > v && isspace((unsigned char)e[-1]))
		e--;
	if ((size_t)(e - v) >= valsize)
		return 0;
	memcpy(val, v, (size_t)(e - v));
	val[e - v] = '\0';
	return 1;
}

static char *
read_back(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	long n;

	if (fp == NULL || fseek(fp, 0, SEEK_END) != 0 || (n = ftell(fp)) < 0)
		abort();
	rewind(fp);
	if ((buf = malloc((size_t)n + 1)) == NULL)
		abort();
	*len = fread(buf, 1, (size_t)n, fp);
	buf[*len] = '\0';
	fclose(fp);
	return buf;
}

/* The cluster's settings follow the Cluster keywords. */
static void
check_cluster(const CONF *c)
{
	const CLUSTER_SETTINGS *cs = conf_cluster(c);

	FUZZ_CHECK((cs != NULL) == (conf_str(c, KW_CLUSTER) != NULL));
	if (cs == NULL)
		return;
	FUZZ_CHECK(cs->target.kind >= REDIS_TCP &&
	    cs->target.kind <= REDIS_SENTINEL);
	FUZZ_CHECK(cs->target.timeout_ms == conf_num(c, KW_CLUSTER_TIMEOUT));
	FUZZ_CHECK(cs->on_down == conf_num(c, KW_CLUSTER_ON_DOWN));
	FUZZ_CHECK(strcmp(cs->name, conf_str(c, KW_CLUSTER_NAME)) == 0);
	FUZZ_CHECK(cs->node[0] != '\0' && strlen(cs->node) <= CLUSTER_NAME_MAX);
	FUZZ_CHECK(conf_str(c, KW_NODE_NAME) == NULL ||
	    strcmp(cs->node, conf_str(c, KW_NODE_NAME)) == 0);
	FUZZ_CHECK(cs->target.password[0] == '\0');	/* CONF_NO_KEYS */
}

static void
check_conf(CONF *c, int conf_lines)
{
	char kw[64], val[4200], *text, *changes;
	const char *s, *w;
	size_t i, len;
	long long n;
	int line;

	text = read_back(cpath, &len);
	for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++) {
		s = conf_str(c, keywords[i].kw);
		n = conf_num(c, keywords[i].kw);
		line = conf_line(c, keywords[i].kw);
		FUZZ_CHECK(line >= 0 && line <= conf_lines);
		if (keywords[i].min <= keywords[i].max)
			FUZZ_CHECK(n >= keywords[i].min &&
			    n <= keywords[i].max);
		if (line == 0)
			continue;
		FUZZ_CHECK(s != NULL);
		FUZZ_CHECK(conf_line_value(text, len, line, kw, sizeof(kw),
		    val, sizeof(val)));
		FUZZ_CHECK(strcasecmp(kw, conf_name(keywords[i].kw)) == 0);
		FUZZ_CHECK(strcmp(val, s) == 0);
	}
	free(text);
	FUZZ_CHECK(conf_socket(c) != NULL && conf_database_path(c) != NULL);
	FUZZ_CHECK(strcmp(conf_path(c), cpath) == 0);
	FUZZ_CHECK(conf_internal_hosts(c) != NULL);
	FUZZ_CHECK(conf_signer(c) == NULL && conf_retpath(c) == NULL);
	w = conf_warnings(c);
	FUZZ_CHECK(w == NULL || w[0] != '\0');
	FUZZ_CHECK(conf_shaping(c)->compliance == conf_num(c,
	    KW_BULK_COMPLIANCE));
	FUZZ_CHECK((conf_shaping(c)->domains != NULL) ==
	    (conf_str(c, KW_DOMAIN_LIMITS) != NULL));
	FUZZ_CHECK((conf_loginmap(c) != NULL) ==
	    (conf_str(c, KW_SENDER_LOGIN_MAP) != NULL));
	changes = conf_restart_changes(c, c);
	FUZZ_CHECK(changes == NULL);
	check_cluster(c);
}

/* Only what the run wrote is in the directory. */
static void
check_dir(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	FUZZ_CHECK(d != NULL);
	while ((e = readdir(d)) != NULL)
		FUZZ_CHECK(strcmp(e->d_name, ".") == 0 ||
		    strcmp(e->d_name, "..") == 0 ||
		    strcmp(e->d_name, "repguard.conf") == 0 ||
		    strcmp(e->d_name, "data") == 0);
	closedir(d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *df, *cf;
	size_t dlen, clen;
	char *errors = (char *)"untouched";
	CONF *c;
	int conf_lines, data_lines;

	if (memchr(data, '\0', size) != NULL) {
		fuzz_split(&data, &size, &df, &dlen);
		cf = data;
		clen = size;
	} else {
		df = data;
		dlen = 0;
		cf = data;
		clen = size;
	}
	write_file(dpath, df, dlen);
	write_conf(cf, clen);
	conf_lines = fuzz_lines(cf, clen);
	data_lines = fuzz_lines(df, dlen);

	c = conf_load(cpath, CONF_NO_KEYS, &errors);
	if (c == NULL) {
		FUZZ_CHECK(errors != NULL);
		check_errors(errors, conf_lines, data_lines);
	} else {
		FUZZ_CHECK(errors == NULL);
		check_conf(c, conf_lines);
		conf_ref(c);
		conf_unref(c);
		conf_unref(c);
	}
	free(errors);
	check_dir();
	unlink(cpath);
	unlink(dpath);
	return 0;
}
