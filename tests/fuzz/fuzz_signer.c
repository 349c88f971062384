/*
 * fuzz_signer.c - DKIM signing (filter/dkim/signer.h) of any message a client
 * submits, fed as the milter feeds it.
 *
 * One SIGNER is made at start from a real configuration: an RSA-1024 key
 * made with the openssl command into a private temporary directory (mode
 * 0600) and "Domain example.com, Selector fuzz, KeyFile ...", loaded by
 * conf_load() with its keys.  The input is a message: its first line is
 * the envelope sender key; then header fields ("Name: value",
 * continuation lines starting with white space kept in the value with
 * their line ends, as MTAs hand them over) up to an empty line; the rest
 * is the body, given in chunks whose size comes from the first octet.
 *
 * Holds for every input: signer_msg_eoh() and signer_msg_eom() answer
 * one of the documented statuses; an error (or a key not found) comes
 * with an error text; a message signed has at most SIGNER_MAX_SIGS
 * signatures (none only when a valid one of the key is there), each with
 * d=, s= and a= as signer_msg_sig() names them, v=1, h=, a body hash and
 * a signature, and no line break but LF or CRLF followed by white space
 * (folding); nothing is left allocated when the message is freed.  A
 * message that will not sign is the milter's to refuse; the filter
 * itself must not crash on it.
 */
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/conf.h"
#include "dkim/dkimtag.h"
#include "dkim/signer.h"
#include "fuzz.h"

#define CHUNKS_MAX	64

static char dir[64];
static CONF *conf;
static const SIGNER *signer;

static void
cleanup(void)
{
	conf_unref(conf);
	fuzz_rmdir(dir);
}

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_signer: %s\n", what);
	cleanup();
	exit(2);
}

/*
 * An RSA key of bits into path, mode 0600, made by the openssl command
 * (OpenSSL's own headers define a CONF type of their own, which conf.h's
 * would clash with).
 */
static void
make_key(const char *path, unsigned bits)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "umask 077 && openssl genpkey -algorithm "
	    "RSA -pkeyopt rsa_keygen_bits:%u -out '%s' 2>/dev/null", bits,
	    path);
	if (system(cmd) != 0 || chmod(path, 0600) != 0)
		fail("openssl genpkey failed");
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char key[sizeof(dir) + 16], path[sizeof(dir) + 16], *errors = NULL;
	FILE *f;

	(void)argc;
	(void)argv;
	snprintf(dir, sizeof(dir), "/tmp/fuzz_signer.XXXXXX");
	if (mkdtemp(dir) == NULL)
		fail("mkdtemp failed");
	snprintf(key, sizeof(key), "%s/key.pem", dir);
	snprintf(path, sizeof(path), "%s/repguard.conf", dir);
	make_key(key, 1024);
	if ((f = fopen(path, "w")) == NULL)
		fail("cannot write the configuration");
	fprintf(f, "Domain example.com\nSelector fuzz\nKeyFile %s\n", key);
	fclose(f);
	if ((conf = conf_load(path, 0, &errors)) == NULL) {
		fprintf(stderr, "fuzz_signer: %s\n", errors ? errors : path);
		free(errors);
		fail("conf_load failed");
	}
	free(errors);
	if ((signer = conf_signer(conf)) == NULL || signer_keys(signer) != 1)
		fail("no signing key loaded");
	atexit(cleanup);
	return 0;
}

/* Line breaks only as folding: LF or CRLF, then white space. */
static int
well_folded(const char *v)
{
	for (; *v != '\0'; v++) {
		if (*v == '\r' && v[1] != '\n')
			return 0;
		if (*v == '\n' && v[1] != ' ' && v[1] != '\t')
			return 0;
	}
	return 1;
}

static void
check_sig(const SIGNER_MSG *m, size_t i)
{
	SIGNER_SIG sig;
	char tag[1024];
	size_t len;

	memset(&sig, 0, sizeof(sig));
	signer_msg_sig(m, i, &sig);
	FUZZ_CHECK(sig.domain != NULL && sig.selector != NULL &&
	    sig.algorithm != NULL && sig.value != NULL);
	len = strlen(sig.value);
	FUZZ_CHECK(len > 0 && well_folded(sig.value));
	FUZZ_CHECK(dkimtag_get(sig.value, len, "v", tag, sizeof(tag)) ==
	    NULL && strcmp(tag, "1") == 0);
	FUZZ_CHECK(dkimtag_get(sig.value, len, "d", tag, sizeof(tag)) ==
	    NULL && strcmp(tag, sig.domain) == 0);
	FUZZ_CHECK(strcmp(sig.domain, "example.com") == 0);
	FUZZ_CHECK(dkimtag_get(sig.value, len, "s", tag, sizeof(tag)) ==
	    NULL && strcmp(tag, sig.selector) == 0);
	FUZZ_CHECK(strcmp(sig.selector, "fuzz") == 0);
	FUZZ_CHECK(dkimtag_get(sig.value, len, "a", tag, sizeof(tag)) ==
	    NULL && strcmp(tag, sig.algorithm) == 0);
	FUZZ_CHECK(dkimtag_get(sig.value, len, "bh", tag, sizeof(tag)) ==
	    NULL && tag[0] != '\0');
	FUZZ_CHECK(dkimtag_get(sig.value, len, "h", tag, sizeof(tag)) ==
	    NULL && tag[0] != '\0');
	FUZZ_CHECK(dkimtag_get(sig.value, len, "b", tag, sizeof(tag)) !=
	    NULL || tag[0] != '\0');
}

/* The end of the line at p: the offset after its '\n' (or size). */
static size_t
line_end(const char *s, size_t size, size_t p)
{
	const char *nl = memchr(s + p, '\n', size - p);

	return nl != NULL ? (size_t)(nl - s) + 1 : size;
}

/* Feed the header fields from *pos to the empty line; -1: refused. */
static int
feed_headers(SIGNER_MSG *m, const char *s, size_t size, size_t *pos)
{
	size_t p = *pos, next, vend, colon;
	char *name, *value;
	const char *c;
	int space, rc = 0;

	while (p < size && rc == 0) {
		next = line_end(s, size, p);
		if (s[p] == '\n' || (s[p] == '\r' && p + 1 < size &&
		    s[p + 1] == '\n')) {
			p = next;		/* the empty line */
			break;
		}
		/* the field's continuation lines */
		while (next < size && (s[next] == ' ' || s[next] == '\t'))
			next = line_end(s, size, next);
		vend = next;
		if (vend > p && s[vend - 1] == '\n')
			vend--;
		if (vend > p && s[vend - 1] == '\r')
			vend--;
		c = memchr(s + p, ':', vend - p);
		if (c == NULL) {		/* no field: skipped */
			p = next;
			continue;
		}
		colon = (size_t)(c - s);
		name = fuzz_str((const uint8_t *)s + p, colon - p);
		space = colon + 1 < vend && s[colon + 1] == ' ';
		value = fuzz_str((const uint8_t *)s + colon + 1 + space,
		    vend - colon - 1 - (size_t)space);
		rc = signer_msg_header(m, name, value, space);
		if (rc != SIGNER_OK)
			FUZZ_CHECK(rc == SIGNER_ERROR &&
			    signer_msg_error(m) != NULL);
		free(name);
		free(value);
		p = next;
	}
	*pos = p;
	return rc == 0 ? 0 : -1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;	/* exactly size octets */
	size_t pos, chunk, n, i, count;
	SIGNER_MSG *m;
	char *envelope;
	int rc;

	if (size == 0)
		return 0;
	chunk = (size_t)data[0] * 7 + 1;
	pos = line_end(s, size, 0);
	n = pos > 0 && s[pos - 1] == '\n' ? pos - 1 : pos;
	envelope = fuzz_str(data, n);
	m = signer_msg_new(signer, envelope);
	FUZZ_CHECK(m != NULL);
	if (feed_headers(m, s, size, &pos) != 0)
		goto done;
	rc = signer_msg_choose(m);
	FUZZ_CHECK(rc == SIGNER_OK || rc == SIGNER_NOKEY ||
	    rc == SIGNER_NOKEY_TEMPFAIL);
	if (rc == SIGNER_OK)
		rc = signer_msg_eoh(m, "FUZZ1", SIGNER_SIGN_CHOSEN);
	FUZZ_CHECK(rc == SIGNER_OK || rc == SIGNER_NOKEY ||
	    rc == SIGNER_NOKEY_TEMPFAIL || rc == SIGNER_ERROR);
	FUZZ_CHECK(signer_msg_address(m) != NULL);
	if (rc != SIGNER_OK) {
		FUZZ_CHECK(signer_msg_error(m) != NULL);
		if (rc == SIGNER_ERROR)
			FUZZ_CHECK(signer_msg_error(m)[0] != '\0');
		goto done;
	}
	for (i = 0; pos < size && i < CHUNKS_MAX; i++) {
		n = size - pos < chunk ? size - pos : chunk;
		if (i == CHUNKS_MAX - 1)
			n = size - pos;
		rc = signer_msg_body(m, data + pos, n);
		FUZZ_CHECK(rc == SIGNER_OK || rc == SIGNER_ERROR);
		if (rc != SIGNER_OK)
			goto done;
		pos += n;
	}
	rc = signer_msg_eom(m);
	FUZZ_CHECK(rc == SIGNER_OK || rc == SIGNER_ERROR);
	if (rc != SIGNER_OK) {
		FUZZ_CHECK(signer_msg_error(m) != NULL &&
		    signer_msg_error(m)[0] != '\0');
		goto done;
	}
	count = signer_msg_count(m);
	FUZZ_CHECK(count <= SIGNER_MAX_SIGS);
	/* no signature: the key was skipped (a valid one is there) */
	FUZZ_CHECK(count > 0 || (signer_msg_skipped(m) != NULL &&
	    signer_msg_skipped(m)[0] != '\0'));
	for (i = 0; i < count; i++)
		check_sig(m, i);
done:
	signer_msg_free(m);
	free(envelope);
	return 0;
}
