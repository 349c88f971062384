/*
 * signer_keys.c - building a SIGNER from the configuration's settings:
 * keys, tables, the libopendkim library handle, and key selection.
 *
 * Owns: signer_create(), signer_free(), signer_keys(), signer_key_info(),
 * signer_choose(), signer_check_owner(), signer_relay_domain(),
 * signer_domains().
 * Runs when a configuration is loaded (start, `repguard -n`, SIGHUP), so
 * before privileges are dropped: every key file is read here, checked
 * (dkimkey.c: mode, type, size) and kept as the PEM text libopendkim
 * wants; key text is wiped when the SIGNER is freed.  Every problem is a
 * "file:line: message" error: the line of the keyword, or of the KeyTable
 * or SigningTable entry.
 *
 * Must not: log (errors and warnings are returned), read the
 * configuration itself (filter/conf/ hands it a SIGNER_SETTINGS), or be
 * used after signer_free().
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <opendkim/dkim.h>

#include "base/addr.h"
#include "dkim/dkimkey.h"
#include "dkim/dkimmem.h"
#include "dkim/dkimtable.h"
#include "dkim/keyreuse.h"
#include "base/mem.h"
#include "dkim/signauth.h"
#include "dkim/signer.h"
#include "dkim/signer_int.h"

#define SIGNER_TABLE_MAX	(4 * 1024 * 1024)	/* bytes of a table file */

__attribute__((format(printf, 4, 5)))
static void
signer_note(char **buf, const char *file, int line, const char *fmt, ...)
{
	char msg[1024], *out;
	size_t old = *buf ? strlen(*buf) : 0;
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	n = line > 0 ? snprintf(NULL, 0, "%s:%d: %s\n", file, line, msg) :
	    snprintf(NULL, 0, "%s: %s\n", file, msg);
	out = mem_realloc(*buf, old + (size_t)n + 1);
	if (line > 0)
		snprintf(out + old, (size_t)n + 1, "%s:%d: %s\n", file, line, msg);
	else
		snprintf(out + old, (size_t)n + 1, "%s: %s\n", file, msg);
	*buf = out;
}

/* Append the "file:line: message" lines of a table parser. */
static void
signer_append(char **buf, const char *more)
{
	size_t old = *buf ? strlen(*buf) : 0, n = more ? strlen(more) : 0;

	*buf = mem_realloc(*buf, old + n + 2);
	memcpy(*buf + old, more ? more : "", n);
	(*buf)[old + n] = '\n';
	(*buf)[old + n + 1] = '\0';
}

/* Read a whole (table) file; NULL with errno-based text in err. */
static char *
signer_read_file(const char *path, size_t *len, char *err, size_t errlen)
{
	struct stat sb;
	FILE *fp;
	char *buf;

	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "cannot open %s: %s", path,
		    strerror(errno));
		return NULL;
	}
	if (fstat(fileno(fp), &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    sb.st_size > SIGNER_TABLE_MAX) {
		snprintf(err, errlen, "%s: not a regular file of at most 4 MiB",
		    path);
		fclose(fp);
		return NULL;
	}
	buf = mem_alloc((size_t)sb.st_size + 1);
	*len = fread(buf, 1, (size_t)sb.st_size, fp);
	buf[*len] = '\0';
	if (ferror(fp)) {
		snprintf(err, errlen, "%s: read error", path);
		free(buf);
		buf = NULL;
	}
	fclose(fp);
	return buf;
}

/*
 * "file:/p", "refile:/p" or "/p": the path and whether it is a refile, or
 * NULL with the reason (a Berkeley DB or other data set OpenDKIM knows
 * but repguard does not read) noted at the keyword's line.
 */
static const char *
signer_dataset(const SIGNER_SETTINGS *st, const char *keyword,
    const char *spec, int line, int *refile, char **errors)
{
	const char *err;
	size_t off;

	if ((err = dkimtable_spec(spec, strlen(spec), &off, refile)) != NULL) {
		signer_note(errors, st->file, line, "%s: %s", keyword, err);
		return NULL;
	}
	return spec + off;
}

/* Take over a checked key as the PEM text libopendkim signs with. */
static int
signer_add_key(SIGNER *s, const char *name, const char *domain,
    const char *selector, const char *keypath, DKIMKEY *key,
    const SIGNER_SETTINGS *st, const char *file, int line, char **errors,
    char **warnings)
{
	struct signer_key *k;
	int type = dkimkey_type(key), rc;

	if (st->algorithm != NULL &&
	    (st->algorithm_rsa != (type == DKIMKEY_RSA))) {
		signer_note(errors, file, line, "key %s is %s but "
		    "SignatureAlgorithm is %s", name, type == DKIMKEY_RSA ?
		    "an RSA key" : "an Ed25519 key", st->algorithm);
		return -1;
	}
	if (type == DKIMKEY_RSA && dkimkey_bits(key) < 2048)
		signer_note(warnings, file, line, "key %s: RSA key of %d bits; "
		    "2048 or more is recommended", name, dkimkey_bits(key));
	s->keys = mem_realloc(s->keys, (s->nkeys + 1) * sizeof(*s->keys));
	k = &s->keys[s->nkeys++];
	memset(k, 0, sizeof(*k));
	k->name = mem_strdup(name);
	k->domain = mem_strdup(domain);
	k->selector = mem_strdup(selector);
	k->path = keypath ? mem_strdup(keypath) : NULL;
	k->pemlen = dkimkey_pem_len(key);
	k->pem = mem_strndup(dkimkey_pem(key), k->pemlen);
	k->alg = type == DKIMKEY_RSA ? DKIM_SIGN_RSASHA256 :
	    DKIM_SIGN_ED25519SHA256;
	k->bits = dkimkey_bits(key);
	/* Decoded once, if libopendkim can be handed the key (keyreuse.h);
	 * else it decodes the PEM text for every signature. */
	k->held = mem_calloc(1, sizeof(*k->held));
	if ((k->kept = keyreuse_kept(k->alg)) >= 0)
		k->evp = dkimkey_evp_ref(key);
	k->record = mem_alloc(SIGNER_RECORD_MAX);
	rc = dkimkey_public_record(key, k->record, SIGNER_RECORD_MAX);
	if (rc < 0 || rc >= SIGNER_RECORD_MAX)
		k->record[0] = '\0';	/* never verifies: signs again */
	return 0;
}

static int
signer_simple(SIGNER *s, const SIGNER_SETTINGS *st, char **errors,
    char **warnings)
{
	const char *dom = st->domain, *sel = st->selector;
	const char *kf = st->key_file, *path = st->file;
	char err[512];
	DKIMKEY *key;
	int rc;

	if (dom == NULL || sel == NULL || kf == NULL) {
		signer_note(errors, path, dom ? st->line.domain :
		    sel ? st->line.selector : st->line.key_file, "Domain, "
		    "Selector and KeyFile go together: %s is missing",
		    dom == NULL ? "Domain" : sel == NULL ? "Selector" :
		    "KeyFile");
		return -1;
	}
	if ((key = dkimkey_load(kf, err, sizeof(err))) == NULL) {
		signer_note(errors, path, st->line.key_file, "KeyFile: %s",
		    err);
		return -1;
	}
	rc = signer_add_key(s, dom, dom, sel, kf, key, st, path,
	    st->line.key_file, errors, warnings);
	dkimkey_free(key);
	if (rc == 0)
		s->default_key = &s->keys[0];
	return rc;
}

/* Load the keys of the KeyTable (of file kpath); -1 if one is bad. */
static int
signer_table_keys(SIGNER *s, const SIGNER_SETTINGS *st, const char *kpath,
    char **errors, char **warnings)
{
	const DKIMTABLE_KEY *e;
	char err[512];
	DKIMKEY *key;
	size_t i;
	int bad = 0;

	for (i = 0; i < dkimtable_keys_count(s->ktable); i++) {
		e = dkimtable_keys_entry(s->ktable, i);
		key = e->is_path ? dkimkey_load(e->key, err, sizeof(err)) :
		    dkimkey_from_data(e->key, strlen(e->key), e->name, err,
		    sizeof(err));
		if (key == NULL) {
			signer_note(errors, kpath, (int)e->line, "key %s: %s",
			    e->name, err);
			bad = 1;
			continue;
		}
		if (signer_add_key(s, e->name, e->domain, e->selector,
		    e->is_path ? e->key : NULL, key, st, kpath, (int)e->line,
		    errors, warnings) != 0)
			bad = 1;
		dkimkey_free(key);
	}
	return bad ? -1 : 0;
}

static int
signer_tables(SIGNER *s, const SIGNER_SETTINGS *st, char **errors,
    char **warnings)
{
	const char *kt = st->key_table, *sgt = st->signing_table;
	const char *path = st->file, *kpath, *spath, *dk;
	char err[512], *buf, *terr = NULL;
	size_t len, i;
	int refile, bad;

	if (kt == NULL || sgt == NULL) {
		signer_note(errors, path, kt ? st->line.key_table :
		    st->line.signing_table, "KeyTable and SigningTable go "
		    "together: %s is missing", kt ? "SigningTable" :
		    "KeyTable");
		return -1;
	}
	if ((kpath = signer_dataset(st, "KeyTable", kt, st->line.key_table,
	    &refile, errors)) == NULL)
		return -1;
	if (refile) {
		signer_note(errors, path, st->line.key_table, "KeyTable: "
		    "refile: is for the SigningTable; use file:%s", kpath);
		return -1;
	}
	if ((buf = signer_read_file(kpath, &len, err, sizeof(err))) == NULL) {
		signer_note(errors, path, st->line.key_table, "KeyTable: %s",
		    err);
		return -1;
	}
	s->ktable = dkimtable_keys_parse(buf, len, kpath, &terr);
	mem_wipe(buf, len);	/* a KeyTable may hold key data inline */
	free(buf);
	if (s->ktable == NULL) {
		signer_append(errors, terr);
		free(terr);
		return -1;
	}
	bad = signer_table_keys(s, st, kpath, errors, warnings);
	if ((spath = signer_dataset(st, "SigningTable", sgt,
	    st->line.signing_table, &refile, errors)) == NULL)
		return -1;
	if ((buf = signer_read_file(spath, &len, err, sizeof(err))) == NULL) {
		signer_note(errors, path, st->line.signing_table,
		    "SigningTable: %s", err);
		return -1;
	}
	s->table = dkimtable_sign_parse(buf, len, spath, refile, &terr);
	free(buf);
	if (s->table == NULL || dkimtable_check(s->table, s->ktable,
	    &terr) > 0) {
		signer_append(errors, terr);
		free(terr);
		return -1;
	}
	if ((dk = st->default_key) != NULL) {
		for (i = 0; i < s->nkeys; i++)
			if (strcmp(s->keys[i].name, dk) == 0)
				s->default_key = &s->keys[i];
		if (s->default_key == NULL) {
			signer_note(errors, path, st->line.default_key,
			    "DefaultKey: \"%s\" is not in the KeyTable", dk);
			return -1;
		}
	}
	return bad;
}

/* Split a header name list into a NULL-terminated array in 'store'. */
static const char **
signer_list(const char *spec, char **store)
{
	const char **v;
	char *p, *tok, *save = NULL;
	size_t n = 0;

	*store = mem_strdup(spec);
	v = mem_calloc(strlen(spec) / 2 + 2, sizeof(*v));
	for (p = *store; (tok = strtok_r(p, ", \t", &save)) != NULL; p = NULL)
		v[n++] = tok;
	v[n] = NULL;
	return v;
}

static int
signer_lib(SIGNER *s, const SIGNER_SETTINGS *st, char **errors)
{
	unsigned int flags = DKIM_LIBFLAGS_FIXCRLF;
	char *store1, *store2;

	if ((s->lib = dkim_init(dkimmem_alloc, dkimmem_free)) == NULL) {
		signer_note(errors, st->file, 0, "dkim_init failed");
		return -1;
	}
	s->signhdrs = signer_list(st->sign_headers, &store1);
	s->oversign = signer_list(st->oversign_headers, &store2);
	if (dkim_options(s->lib, DKIM_OP_SETOPT, DKIM_OPTS_FLAGS, &flags,
	    sizeof(flags)) != DKIM_STAT_OK ||
	    dkim_options(s->lib, DKIM_OP_SETOPT, DKIM_OPTS_SIGNHDRS,
	    (void *)s->signhdrs, sizeof(char **)) != DKIM_STAT_OK ||
	    dkim_options(s->lib, DKIM_OP_SETOPT, DKIM_OPTS_OVERSIGNHDRS,
	    (void *)s->oversign, sizeof(char **)) != DKIM_STAT_OK) {
		signer_note(errors, st->file, 0, "dkim_options failed");
		free(store1);
		free(store2);
		return -1;
	}
	s->lists[0] = store1;
	s->lists[1] = store2;
	/* Our own public keys, for signatures already on a message. */
	if (dkim_set_key_lookup(s->lib, signer_verify_lookup) !=
	    DKIM_STAT_OK) {
		signer_note(errors, st->file, 0, "dkim_set_key_lookup "
		    "failed");
		return -1;
	}
	return 0;
}

SIGNER *
signer_create(const SIGNER_SETTINGS *st, char **errors, char **warnings)
{
	SIGNER *s = mem_calloc(1, sizeof(*s));
	int rc = 0;
	int simple = st->domain || st->selector || st->key_file;
	int tables = st->key_table || st->signing_table;

	s->multiple = st->multiple;
	s->on_no_key = st->on_no_key;
	s->domain_from = st->domain_from;
	s->hcanon = st->canon & 2 ? DKIM_CANON_RELAXED : DKIM_CANON_SIMPLE;
	s->bcanon = st->canon & 1 ? DKIM_CANON_RELAXED : DKIM_CANON_SIMPLE;
	if (simple && tables) {
		signer_note(errors, st->file, st->line.key_table ?
		    st->line.key_table : st->line.signing_table,
		    "KeyTable/SigningTable and Domain/Selector/KeyFile "
		    "exclude each other");
		rc = -1;
	} else if (simple)
		rc = signer_simple(s, st, errors, warnings);
	else if (tables)
		rc = signer_tables(s, st, errors, warnings);
	if (rc == 0 && st->default_key != NULL && !tables) {
		signer_note(errors, st->file, st->line.default_key,
		    "DefaultKey names a KeyTable entry, but there is no "
		    "KeyTable");
		rc = -1;
	}
	if (rc == 0 && s->on_no_key == SIGNER_ONNOKEY_DEFAULT &&
	    s->default_key == NULL) {
		signer_note(errors, st->file, st->line.on_no_key,
		    "OnNoKey default needs DefaultKey (or Domain/Selector/"
		    "KeyFile)");
		rc = -1;
	}
	if (rc == 0 && s->nkeys > 0 && st->on_unauthorized ==
	    SIGNAUTH_ON_RELAY && signer_relay_domain(s) == NULL) {
		signer_note(errors, st->file, st->line.on_unauthorized,
		    "OnUnauthorizedFrom sign-relay-domain needs the relay's "
		    "own key: DefaultKey with a domain that is not %% (or "
		    "Domain/Selector/KeyFile)");
		rc = -1;
	}
	if (rc == 0)
		rc = signer_lib(s, st, errors);
	if (rc != 0) {
		signer_free(s);
		return NULL;
	}
	return s;
}

/*
 * Keys are read as root at start but as the UserID user at reload (the
 * daemon cannot get root back): name the key files that user does not
 * own (key files are 0600, so it could not read them).  repguard refuses
 * to start on them: a key another user owns is also one that user could
 * replace.
 */
void
signer_check_owner(const SIGNER *s, uid_t uid, const char *user,
    char **warnings)
{
	struct stat sb;
	size_t i;

	for (i = 0; s != NULL && i < s->nkeys; i++) {
		if (s->keys[i].path == NULL ||
		    stat(s->keys[i].path, &sb) != 0)
			continue;
		if (sb.st_uid != uid || !(sb.st_mode & S_IRUSR))
			signer_note(warnings, s->keys[i].path, 0, "key %s is "
			    "not owned by user %s (UserID), who reads it again "
			    "at each reload; chown %s it", s->keys[i].name, user,
			    user);
	}
}

size_t
signer_keys(const SIGNER *s)
{
	return s == NULL ? 0 : s->nkeys;
}

/* Key i (0 .. signer_keys() - 1), for the deliverability doctor. */
void
signer_key_info(const SIGNER *s, size_t i, SIGNER_KEY_INFO *out)
{
	const struct signer_key *k = &s->keys[i];

	out->name = k->name;
	out->domain = k->domain;
	out->selector = k->selector;
	out->record = k->record;
	out->algorithm = k->alg == DKIM_SIGN_RSASHA256 ? "rsa-sha256" :
	    "ed25519-sha256";
	out->bits = k->bits;
}

/* The relay's own signing domain: the Domain, or DefaultKey's if not %. */
const char *
signer_relay_domain(const SIGNER *s)
{
	if (s == NULL || s->default_key == NULL ||
	    strcmp(s->default_key->domain, "%") == 0)
		return NULL;
	return s->default_key->domain;
}

/*
 * How many domains the keys sign for, named in what: a "%" key signs for
 * whatever domain the SigningTable gives it, so it counts as several.
 */
size_t
signer_domains(const SIGNER *s, char *what, size_t whatsize)
{
	size_t i, j, n = 0, len;

	what[0] = '\0';
	for (i = 0; s != NULL && i < s->nkeys; i++) {
		if (strcmp(s->keys[i].domain, "%") == 0) {
			snprintf(what, whatsize, "every domain (key %s has "
			    "domain %%)", s->keys[i].name);
			return 2;
		}
		for (j = 0; j < i && strcasecmp(s->keys[j].domain,
		    s->keys[i].domain) != 0; j++)
			;
		if (j < i)
			continue;
		len = strlen(what);
		snprintf(what + len, whatsize - len, "%s%s", n ? ", " : "",
		    s->keys[i].domain);
		n++;
	}
	return n;
}

/*
 * Drop our reference to the decoded key and those libopendkim kept
 * (keyreuse.h): no handle that got one is left once the SIGNER goes.
 */
static void
signer_key_release(struct signer_key *k)
{
	unsigned long n;

	if (k->evp != NULL && k->held != NULL)
		for (n = *k->held; n > 0; n--)
			dkimkey_evp_unref(k->evp);
	dkimkey_evp_unref(k->evp);
	free(k->held);
}

void
signer_free(SIGNER *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nkeys; i++) {
		mem_wipe(s->keys[i].pem, s->keys[i].pemlen);
		free(s->keys[i].pem);
		free(s->keys[i].record);
		signer_key_release(&s->keys[i]);
		free(s->keys[i].name);
		free(s->keys[i].domain);
		free(s->keys[i].selector);
		free(s->keys[i].path);
	}
	free(s->keys);
	if (s->ktable != NULL)
		dkimtable_keys_free(s->ktable);
	if (s->table != NULL)
		dkimtable_sign_free(s->table);
	if (s->lib != NULL)
		dkim_close(s->lib);
	free(s->signhdrs);
	free(s->oversign);
	free(s->lists[0]);
	free(s->lists[1]);
	free(s);
}

static const struct signer_key *
signer_key_named(const SIGNER *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->nkeys; i++)
		if (strcmp(s->keys[i].name, name) == 0)
			return &s->keys[i];
	return NULL;
}

/* The keys that sign mail from 'address' (canonical), in table order. */
size_t
signer_choose(const SIGNER *s, const char *address, SIGNER_CHOICE *out,
    size_t max)
{
	DKIMTABLE_MATCH m[SIGNER_MAX_SIGS];
	const struct signer_key *k;
	size_t n, i, got = 0;

	if (s->nkeys == 0)
		return 0;
	if (s->ktable == NULL) {
		if (strcasecmp(addr_domain(address), s->keys[0].domain) != 0)
			return 0;
		out[0].key = &s->keys[0];
		out[0].signer[0] = '\0';
		return 1;
	}
	n = dkimtable_sign_lookup(s->table, address, strlen(address),
	    s->multiple, m, SIGNER_MAX_SIGS);
	if (n > SIGNER_MAX_SIGS)
		n = SIGNER_MAX_SIGS;
	for (i = 0; i < n && got < max; i++) {
		if ((k = signer_key_named(s, m[i].keyname)) == NULL)
			continue;
		out[got].key = k;
		snprintf(out[got].signer, sizeof(out[got].signer), "%s",
		    m[i].signer);
		got++;
	}
	return got;
}
