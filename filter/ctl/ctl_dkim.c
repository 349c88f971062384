/*
 * ctl_dkim.c - repguardctl keygen and dkim-record: make a DKIM key, print
 * the DNS record of one.
 *
 * Owns: ctl_keygen() and ctl_dkim_record() (see doc/interfaces.md, "DKIM
 * signing"), the DNS-name checks of --domain and --selector, and the
 * zone-file form of a record:
 *
 *	S._domainkey.D. IN TXT ( "v=DKIM1; k=rsa; " "p=..." "..." )
 *
 * with every quoted string at most 255 octets (RFC 1035 character-strings).
 * keygen writes DIR/S.private (PKCS#8 PEM, mode 0600) and DIR/S.txt (that
 * line) and prints the line; dkim-record loads a key with the daemon's own
 * checks (dkimkey_load) and prints the record, in zone form when given
 * --domain and --selector.  -c/--config is accepted and ignored, as these
 * commands need no configuration.
 *
 * Exit codes (returned, never exit()): 0 success, 1 runtime error, 2 usage.
 * Must not: overwrite or remove a file it did not create, read the
 * configuration, open the store, or touch key material except via dkimkey.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl/ctl_dkim.h"
#include "ctl/ctl_util.h"
#include "dkim/dkimkey.h"
#include "base/mem.h"

#define CD_NAME_MAX	253	/* a DNS name without its final dot */
#define CD_LABEL_MAX	63
#define CD_STRING_MAX	255	/* octets in one TXT character-string */
#define CD_PATH_MAX	4096
#define CD_DEFAULT_BITS	2048

static const char cd_keygen_usage[] =
    "usage: repguardctl keygen --domain D --selector S "
    "[--algorithm rsa|ed25519] [--bits N] --out DIR\n";
static const char cd_record_usage[] =
    "usage: repguardctl dkim-record KEYFILE [--domain D --selector S]\n";

struct cd_opts {
	const char	*domain, *selector, *algorithm, *bits, *out;
};

/*
 * Check a DNS name (LDH labels of 1 to 63 octets, no hyphen at either end;
 * RFC 6376's selector and domain syntax).  A final dot is allowed when
 * trailing_dot is set and is removed in the copy.  NULL, or what is wrong.
 */
static const char *
cd_dns_name(const char *s, int trailing_dot, char *out, size_t outlen)
{
	size_t len = strlen(s), i, label = 0;
	unsigned char c, prev = '.';

	if (trailing_dot && len > 1 && s[len - 1] == '.')
		len--;
	if (len == 0)
		return "empty";
	if (len > CD_NAME_MAX || len >= outlen)
		return "longer than 253 characters";
	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c == '.') {
			if (label == 0)
				return "has an empty label";
			if (prev == '-')
				return "has a label ending in '-'";
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-') {
			if (c == '-' && label == 0)
				return "has a label starting with '-'";
			if (++label > CD_LABEL_MAX)
				return "has a label longer than 63 characters";
		} else if (c >= 0x80)
			return "is not ASCII (use the xn-- form of an "
			    "internationalised name)";
		else
			return "may hold only letters, digits, '-' and '.'";
		prev = c;
	}
	if (label == 0)
		return "has an empty label";
	if (prev == '-')
		return "has a label ending in '-'";
	memcpy(out, s, len);
	out[len] = '\0';
	return NULL;
}

/* Check --domain and --selector into dom and sel; 0, or 2 (usage). */
static int
cd_names(const char *usage, const struct cd_opts *o, char *dom, char *sel,
    size_t len)
{
	const char *e;

	if ((e = cd_dns_name(o->domain, 1, dom, len)) != NULL)
		return ctl_usage(usage, "bad --domain \"%s\": %s", o->domain,
		    e);
	if ((e = cd_dns_name(o->selector, 0, sel, len)) != NULL)
		return ctl_usage(usage, "bad --selector \"%s\": %s",
		    o->selector, e);
	if (strlen(sel) + strlen("._domainkey.") + strlen(dom) > CD_NAME_MAX)
		return ctl_usage(usage, "%s._domainkey.%s is longer than %d "
		    "characters", sel, dom, CD_NAME_MAX);
	return 0;
}

/*
 * The zone-file line of a record "v=DKIM1; k=X; p=..." for sel and dom,
 * newline-terminated, in a new buffer.
 */
static char *
cd_zone(const char *sel, const char *dom, const char *rec)
{
	const char *p = strstr(rec, "p="), *end = rec + strlen(rec);
	size_t cap, len, n;
	char *z;

	if (p == NULL)
		p = end;
	cap = strlen(sel) + strlen(dom) + 64 + 4 * (size_t)(end - rec);
	z = mem_alloc(cap);
	len = (size_t)snprintf(z, cap, "%s._domainkey.%s. IN TXT (", sel,
	    dom);
	if (p > rec)		/* "v=DKIM1; k=rsa; " */
		len += (size_t)snprintf(z + len, cap - len, " \"%.*s\"",
		    (int)(p - rec), rec);
	for (; p < end; p += n) {
		n = (size_t)(end - p) < CD_STRING_MAX ? (size_t)(end - p) :
		    CD_STRING_MAX;
		len += (size_t)snprintf(z + len, cap - len, " \"%.*s\"",
		    (int)n, p);
	}
	snprintf(z + len, cap - len, " )\n");
	return z;
}

/*
 * Parse a command's options into o and set *first to the first operand.
 * 0, or 2 after a usage message.
 */
static int
cd_getopt(int argc, char **argv, const struct option *longopts,
    const char *usage, struct cd_opts *o, int *first)
{
	const char **slot;
	int ch, li;

	memset(o, 0, sizeof(*o));
	opterr = 0;
	optind = 0;		/* GNU: start afresh at argv[1] */
	while ((li = -1, ch = getopt_long(argc, argv, ":c:h", longopts,
	    &li)) != -1) {
		slot = NULL;
		switch (ch) {
		case 'c': break;	/* configuration: not needed here */
		case 'd': slot = &o->domain; break;
		case 's': slot = &o->selector; break;
		case 'a': slot = &o->algorithm; break;
		case 'b': slot = &o->bits; break;
		case 'o': slot = &o->out; break;
		case 'h': return ctl_usage(usage, NULL);
		case ':':
			return ctl_usage(usage, "option \"%s\" needs a value",
			    argv[optind - 1]);
		default:
			return ctl_usage(usage, "%s: unknown option \"%s\"",
			    argv[0], argv[optind - 1]);
		}
		if (slot != NULL && *slot != NULL)
			return ctl_usage(usage, "option \"--%s\" given twice",
			    li >= 0 ? longopts[li].name : "?");
		if (slot != NULL)
			*slot = optarg;
	}
	*first = optind;
	return 0;
}

/* Create path exclusively with mode and write text; 0 or 1 (message). */
static int
cd_write_new(const char *path, mode_t mode, const char *text)
{
	size_t len = strlen(text), off = 0;
	ssize_t n;
	int fd, e = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    mode);
	if (fd == -1 && errno == EEXIST)
		return ctl_error("%s: already exists; not overwriting it",
		    path);
	if (fd == -1)
		return ctl_error("%s: cannot create: %s", path,
		    strerror(errno));
	while (off < len && e == 0) {
		if ((n = write(fd, text + off, len - off)) == -1) {
			if (errno != EINTR)
				e = errno;
		} else
			off += (size_t)n;
	}
	if (e == 0 && fsync(fd) == -1)
		e = errno;
	if (close(fd) == -1 && e == 0)
		e = errno;
	if (e != 0) {
		unlink(path);
		return ctl_error("%s: write: %s", path, strerror(e));
	}
	return 0;
}

static void
cd_warn_bits(const char *what, const DKIMKEY *k)
{
	if (dkimkey_type(k) == DKIMKEY_RSA &&
	    dkimkey_bits(k) < DKIMKEY_RSA_WARN_BITS)
		fprintf(stderr, "repguardctl: warning: %s: RSA key of %d bits; "
		    "%d or more is recommended\n", what, dkimkey_bits(k),
		    DKIMKEY_RSA_WARN_BITS);
}

/* Refuse an existing path (even a dangling symlink); 0 or 1. */
static int
cd_absent(const char *path)
{
	struct stat st;

	if (lstat(path, &st) == 0)
		return ctl_error("%s: already exists; not overwriting it",
		    path);
	if (errno != ENOENT)
		return ctl_error("%s: %s", path, strerror(errno));
	return 0;
}

/*
 * keygen's options: the names (in dom and sel), the type and size of
 * the key.  0, or 2 after a usage message.
 */
static int
cd_keygen_args(int argc, char **argv, struct cd_opts *o, char *dom,
    char *sel, int *type, long *bits)
{
	static const struct option longopts[] = {
		{ "domain", required_argument, NULL, 'd' },
		{ "selector", required_argument, NULL, 's' },
		{ "algorithm", required_argument, NULL, 'a' },
		{ "bits", required_argument, NULL, 'b' },
		{ "out", required_argument, NULL, 'o' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *usage = cd_keygen_usage;
	char *end;
	int first, rc;

	if ((rc = cd_getopt(argc, argv, longopts, usage, o, &first)) != 0)
		return rc;
	if (first < argc)
		return ctl_usage(usage, "keygen: unexpected argument \"%s\"",
		    argv[first]);
	if (o->domain == NULL)
		return ctl_usage(usage, "keygen: missing --domain");
	if (o->selector == NULL)
		return ctl_usage(usage, "keygen: missing --selector");
	if (o->out == NULL)
		return ctl_usage(usage, "keygen: missing --out");
	if (*o->out == '\0')
		return ctl_usage(usage, "keygen: --out is empty");
	if ((rc = cd_names(usage, o, dom, sel, CD_NAME_MAX + 1)) != 0)
		return rc;
	if (o->algorithm != NULL) {
		if (strcasecmp(o->algorithm, "rsa") == 0)
			*type = DKIMKEY_RSA;
		else if (strcasecmp(o->algorithm, "ed25519") == 0)
			*type = DKIMKEY_ED25519;
		else
			return ctl_usage(usage, "bad --algorithm \"%s\": "
			    "expected rsa or ed25519", o->algorithm);
	}
	if (o->bits != NULL) {
		if (*type != DKIMKEY_RSA)
			return ctl_usage(usage, "--bits applies only to "
			    "--algorithm rsa");
		errno = 0;
		*bits = strtol(o->bits, &end, 10);
		if (errno != 0 || end == o->bits || *end != '\0' ||
		    *bits < DKIMKEY_GEN_MIN_BITS ||
		    *bits > DKIMKEY_GEN_MAX_BITS)
			return ctl_usage(usage, "bad --bits \"%s\": expected "
			    "a number from %d to %d", o->bits,
			    DKIMKEY_GEN_MIN_BITS, DKIMKEY_GEN_MAX_BITS);
	}
	return 0;
}

/* DIR/S.private and DIR/S.txt, neither of which may exist; 0 or 1. */
static int
cd_keygen_paths(const char *out, const char *sel, char *priv, char *txt)
{
	struct stat st;
	size_t dirlen;

	if (stat(out, &st) == -1)
		return ctl_error("--out %s: %s", out, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return ctl_error("--out %s: not a directory", out);
	for (dirlen = strlen(out); dirlen > 1 && out[dirlen - 1] == '/';)
		dirlen--;
	if ((size_t)snprintf(priv, CD_PATH_MAX, "%.*s/%s.private",
	    (int)dirlen, out, sel) >= CD_PATH_MAX ||
	    (size_t)snprintf(txt, CD_PATH_MAX, "%.*s/%s.txt", (int)dirlen,
	    out, sel) >= CD_PATH_MAX)
		return ctl_error("--out %s: path too long", out);
	if (cd_absent(priv) != 0 || cd_absent(txt) != 0)
		return 1;
	return 0;
}

int
ctl_keygen(int argc, char **argv, const char *confpath)
{
	char dom[CD_NAME_MAX + 1], sel[CD_NAME_MAX + 1], err[1024];
	char priv[CD_PATH_MAX], txt[CD_PATH_MAX], rec[DKIMKEY_RECORD_MAX];
	char *zone;
	struct cd_opts o;
	DKIMKEY *k;
	long bits = CD_DEFAULT_BITS;
	int type = DKIMKEY_RSA, rc;

	(void)confpath;
	if ((rc = cd_keygen_args(argc, argv, &o, dom, sel, &type, &bits)) != 0)
		return rc;
	if (cd_keygen_paths(o.out, sel, priv, txt) != 0)
		return 1;

	if ((k = dkimkey_generate(type, (int)bits, err, sizeof(err))) == NULL)
		return ctl_error("%s", err);
	rc = dkimkey_public_record(k, rec, sizeof(rec));
	if (rc < 0 || (size_t)rc >= sizeof(rec)) {
		dkimkey_free(k);
		return ctl_error("cannot make the public key record");
	}
	if (dkimkey_write_pem(k, priv, err, sizeof(err)) != 0) {
		dkimkey_free(k);
		return ctl_error("%s", err);
	}
	cd_warn_bits(priv, k);
	dkimkey_free(k);

	zone = cd_zone(sel, dom, rec);
	if ((rc = cd_write_new(txt, 0644, zone)) != 0)
		unlink(priv);	/* just made: leave no half key pair */
	else
		fputs(zone, stdout);
	free(zone);
	if (rc == 0 && (fflush(stdout) == EOF || ferror(stdout)))
		return ctl_error("stdout: %s", strerror(errno));
	return rc;
}

int
ctl_dkim_record(int argc, char **argv, const char *confpath)
{
	static const struct option longopts[] = {
		{ "domain", required_argument, NULL, 'd' },
		{ "selector", required_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *usage = cd_record_usage, *path;
	char dom[CD_NAME_MAX + 1], sel[CD_NAME_MAX + 1], err[1024];
	char rec[DKIMKEY_RECORD_MAX], *zone;
	struct cd_opts o;
	DKIMKEY *k;
	int first, rc, n;

	(void)confpath;
	if ((rc = cd_getopt(argc, argv, longopts, usage, &o, &first)) != 0)
		return rc;
	if (first >= argc)
		return ctl_usage(usage, "dkim-record: missing KEYFILE");
	if (argc - first > 1)
		return ctl_usage(usage, "dkim-record takes one KEYFILE");
	path = argv[first];
	if ((o.domain == NULL) != (o.selector == NULL))
		return ctl_usage(usage, "dkim-record: --domain and --selector "
		    "go together");
	if (o.domain != NULL &&
	    (rc = cd_names(usage, &o, dom, sel, sizeof(dom))) != 0)
		return rc;

	if ((k = dkimkey_load(path, err, sizeof(err))) == NULL)
		return ctl_error("%s", err);
	cd_warn_bits(path, k);
	n = dkimkey_public_record(k, rec, sizeof(rec));
	dkimkey_free(k);
	if (n < 0 || (size_t)n >= sizeof(rec))
		return ctl_error("%s: cannot make the public key record",
		    path);
	if (o.domain != NULL) {
		zone = cd_zone(sel, dom, rec);
		fputs(zone, stdout);
		free(zone);
	} else
		printf("%s\n", rec);
	if (fflush(stdout) == EOF || ferror(stdout))
		return ctl_error("stdout: %s", strerror(errno));
	return 0;
}
