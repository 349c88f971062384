/*
 * test_dkimkey.c - unit tests for filter/dkim/dkimkey.c.
 *
 * Keys are made with the openssl command in a private temporary directory.
 * Good keys (RSA PKCS#1 and PKCS#8 PEM, DER, base64 DER, Ed25519) must
 * load with the right type and size and come back as the PKCS#8 PEM that
 * `openssl pkey` writes; a table of bad files must each give its error,
 * naming the file; public records must equal what `openssl pkey -pubout`
 * gives; generated keys must survive write and reload; dkimkey_write_pem()
 * must make mode 0600 and refuse to overwrite; inline data is read from
 * buffers without a terminating NUL.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dkim/dkimkey.h"
#include "tap.h"

static char dir[256];

static const char *
tpath(const char *name)
{
	static char buf[4][512];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

/* Run a shell command in the temporary directory; 0 on success. */
__attribute__((format(printf, 1, 2)))
static int
sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	int n;

	n = snprintf(cmd, sizeof(cmd), "cd '%s' && (", dir);
	va_start(ap, fmt);
	n += vsnprintf(cmd + n, sizeof(cmd) - (size_t)n, fmt, ap);
	va_end(ap);
	snprintf(cmd + n, sizeof(cmd) - (size_t)n, ") >/dev/null 2>&1");
	return system(cmd) == 0 ? 0 : -1;
}

/* The first line of a shell command's output (trailing newline removed). */
__attribute__((format(printf, 3, 4)))
static char *
sh_out(char *buf, size_t len, const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	FILE *fp;
	int n;

	buf[0] = '\0';
	n = snprintf(cmd, sizeof(cmd), "cd '%s' && ", dir);
	va_start(ap, fmt);
	vsnprintf(cmd + n, sizeof(cmd) - (size_t)n, fmt, ap);
	va_end(ap);
	if ((fp = popen(cmd, "r")) == NULL)
		return buf;
	if (fgets(buf, (int)len, fp) == NULL)
		buf[0] = '\0';
	pclose(fp);
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

/* A whole file into a malloc'd buffer of exactly its size (no NUL). */
static char *
slurp(const char *path, size_t *lenp)
{
	struct stat st;
	char *buf;
	FILE *fp;

	*lenp = 0;
	if ((fp = fopen(path, "rb")) == NULL)
		return NULL;
	if (fstat(fileno(fp), &st) == -1 || st.st_size <= 0) {
		fclose(fp);
		return NULL;
	}
	buf = malloc((size_t)st.st_size);
	if (buf != NULL &&
	    fread(buf, 1, (size_t)st.st_size, fp) != (size_t)st.st_size) {
		free(buf);
		buf = NULL;
	}
	fclose(fp);
	if (buf != NULL)
		*lenp = (size_t)st.st_size;
	return buf;
}

static int
same_file_text(const char *path, const char *text)
{
	size_t len;
	char *buf = slurp(path, &len);
	int ok = buf != NULL && len == strlen(text) &&
	    memcmp(buf, text, len) == 0;

	free(buf);
	return ok;
}

static int
make_keys(void)
{
	return sh("openssl genpkey -algorithm RSA "
	    "-pkeyopt rsa_keygen_bits:2048 "
	    "-out rsa8.pem && "
	    "openssl pkey -in rsa8.pem -traditional -out rsa1.pem && "
	    "openssl pkey -in rsa8.pem -outform DER -out rsa8.der && "
	    "openssl rsa -in rsa8.pem -traditional -outform DER "
	    "-out rsa1.der && "
	    "openssl pkey -in rsa8.pem -outform DER | base64 -w 64 "
	    ">rsa8.b64 && "
	    "openssl pkey -in rsa8.pem -pubout -out rsapub.pem && "
	    "openssl pkey -in rsa8.pem -pubout -outform DER -out rsapub.der && "
	    "openssl pkey -in rsa8.pem -out rsa8.canon && "
	    "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 "
	    "-out rsa1024.pem && "
	    "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:512 "
	    "-out rsa512.pem && "
	    "openssl genpkey -algorithm ED25519 -out ed.pem && "
	    "openssl pkey -in ed.pem -outform DER | base64 -w 0 >ed.b64 && "
	    "openssl pkey -in ed.pem -out ed.canon && "
	    "openssl genpkey -algorithm ED448 -out ed448.pem && "
	    "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 "
	    "-out ec.pem && "
	    "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 "
	    "-aes-128-cbc -pass pass:secret -out enc.pem && "
	    "openssl rsa -in rsa1024.pem -traditional -aes128 "
	    "-passout pass:secret -out enc1.pem && "
	    "sed 's/$/\\r/' rsa8.pem >rsa8crlf.pem && "
	    "printf 'this is not a key\\n' >garbage && "
	    ": >empty && "
	    "head -c 70000 /dev/zero | tr '\\0' A >big && "
	    "cp rsa8.pem m0640 && cp rsa8.pem m0604 && cp rsa8.pem m0660 && "
	    "cp rsa8.pem m0644 && cp rsa8.pem m0620 && cp rsa8.pem m0606 && "
	    "mkdir adir && mkfifo fifo && : >empty0640 && "
	    "chmod 600 *.pem *.der *.b64 garbage empty big && "
	    "chmod 640 m0640 empty0640 && chmod 604 m0604 && "
	    "chmod 660 m0660 && chmod 644 m0644 && chmod 620 m0620 && "
	    "chmod 606 m0606 && chmod 755 adir");
}

static void
test_good(void)
{
	static const struct {
		const char	*file;
		int		 type, bits;
		const char	*canon;	/* dkimkey_pem() equals it */
	} good[] = {
		{ "rsa1.pem", DKIMKEY_RSA, 2048, "rsa8.canon" },
		{ "rsa8.pem", DKIMKEY_RSA, 2048, "rsa8.canon" },
		{ "rsa8.der", DKIMKEY_RSA, 2048, "rsa8.canon" },
		{ "rsa1.der", DKIMKEY_RSA, 2048, "rsa8.canon" },
		{ "rsa8.b64", DKIMKEY_RSA, 2048, "rsa8.canon" },
		{ "rsa8crlf.pem", DKIMKEY_RSA, 2048, "rsa8.canon" },
		{ "rsa1024.pem", DKIMKEY_RSA, 1024, NULL },
		{ "ed.pem", DKIMKEY_ED25519, 256, "ed.canon" },
	};
	char err[512];
	size_t i;
	DKIMKEY *k;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		err[0] = '\0';
		k = dkimkey_load(tpath(good[i].file), err, sizeof(err));
		if (!tap_ok(k != NULL, "load %s", good[i].file)) {
			printf("#   error: %s\n", err);
			continue;
		}
		tap_int(dkimkey_type(k), good[i].type, "%s: type",
		    good[i].file);
		tap_int(dkimkey_bits(k), good[i].bits, "%s: bits",
		    good[i].file);
		tap_ok(strncmp(dkimkey_pem(k), "-----BEGIN PRIVATE KEY-----\n",
		    28) == 0 && dkimkey_pem_len(k) == strlen(dkimkey_pem(k)),
		    "%s: PEM is PKCS#8, NUL-terminated, length right",
		    good[i].file);
		if (good[i].canon != NULL)
			tap_ok(same_file_text(tpath(good[i].canon),
			    dkimkey_pem(k)), "%s: PEM equals openssl pkey's",
			    good[i].file);
		dkimkey_free(k);
	}
	tap_str(dkimkey_type_name(k = dkimkey_load(tpath("ed.pem"), err,
	    sizeof(err))), "ed25519", "type name ed25519");
	dkimkey_free(k);
	tap_str(dkimkey_type_name(k = dkimkey_load(tpath("rsa8.pem"), err,
	    sizeof(err))), "rsa", "type name rsa");
	dkimkey_free(k);
	dkimkey_free(NULL);
	tap_ok(1, "dkimkey_free(NULL) is harmless");
}

static void
test_bad(void)
{
	static const struct {
		const char	*file;
		const char	*err;	/* substring after "PATH: " */
	} bad[] = {
		{ "missing", "cannot open: No such file or directory" },
		{ "adir", "a directory, not a key file" },
		{ "fifo", "a FIFO, not a key file" },
		{ "m0640", "mode 0640 lets group read it; chmod 600 " },
		{ "m0604", "mode 0604 lets others read it; chmod 600 " },
		{ "m0660", "mode 0660 lets group read and write it; "
		    "chmod 600 " },
		{ "m0644", "mode 0644 lets group and others read it; "
		    "chmod 600 " },
		{ "m0620", "mode 0620 lets group write it; chmod 600 " },
		{ "m0606", "mode 0606 lets others read and write it" },
		{ "empty0640", "mode 0640 lets group read it" }, /* order */
		{ "big", "70000 bytes, more than a key file may hold (65536)" },
		{ "empty", "empty, not a private key" },
		{ "garbage", "not a private key (expected PEM \"PRIVATE KEY\" "
		    "or \"RSA PRIVATE KEY\", DER, or base64 DER)" },
		{ "rsapub.pem", "not a private key (it holds a public key)" },
		{ "rsapub.der", "not a private key (it holds a public key)" },
		{ "enc.pem", "an encrypted private key; repguard needs it "
		    "unencrypted" },
		{ "enc1.pem", "an encrypted private key; repguard needs it "
		    "unencrypted" },
		{ "ec.pem", "EC key; DKIM signing needs an RSA or Ed25519 "
		    "key" },
		{ "ed448.pem", "ED448 key; DKIM signing needs an RSA or "
		    "Ed25519" },
		{ "rsa512.pem", "RSA key of 512 bits is too short (at least "
		    "1024, 2048 recommended)" },
	};
	char err[1024], want[1024];
	const char *p;
	size_t i;
	DKIMKEY *k;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p = tpath(bad[i].file);
		strcpy(err, "(unset)");
		k = dkimkey_load(p, err, sizeof(err));
		tap_ok(k == NULL, "%s refused", bad[i].file);
		dkimkey_free(k);
		snprintf(want, sizeof(want), "%s: %s", p, bad[i].err);
		if (!tap_ok(strncmp(err, want, strlen(want)) == 0,
		    "%s: error names the file: %s", bad[i].file, bad[i].err))
			printf("#   got:  %s\n#   want: %s...\n", err, want);
	}
	/* the chmod hint names the file too */
	dkimkey_load(tpath("m0640"), err, sizeof(err));
	snprintf(want, sizeof(want), "chmod 600 %s", tpath("m0640"));
	tap_ok(strstr(err, want) != NULL, "chmod hint carries the path");

	if (geteuid() != 0) {	/* root reads anything */
		sh("cp rsa8.pem unreadable && chmod 000 unreadable");
		k = dkimkey_load(tpath("unreadable"), err, sizeof(err));
		tap_ok(k == NULL && strstr(err, "cannot open: Permission "
		    "denied") != NULL, "unreadable file: %s", err);
	}
	/* a tiny error buffer is truncated, not overrun */
	k = dkimkey_load(tpath("garbage"), err, 8);
	tap_ok(k == NULL && strlen(err) == 7, "error truncated to errlen");
	k = dkimkey_load(tpath("garbage"), NULL, 0);
	tap_ok(k == NULL, "NULL error buffer allowed");
}

static void
test_record(void)
{
	static const struct {
		const char	*file;
		const char	*kind;
		const char	*cmd;	/* prints the expected p= */
	} rec[] = {
		{ "rsa8.pem", "rsa", "openssl pkey -in rsa8.pem -pubout "
		    "-outform DER | base64 -w 0" },
		{ "rsa1.pem", "rsa", "openssl pkey -in rsa1.pem -pubout "
		    "-outform DER | base64 -w 0" },
		{ "rsa1024.pem", "rsa", "openssl pkey -in rsa1024.pem -pubout "
		    "-outform DER | base64 -w 0" },
		{ "ed.pem", "ed25519", "openssl pkey -in ed.pem -pubout "
		    "-outform DER | tail -c 32 | base64 -w 0" },
	};
	char got[DKIMKEY_RECORD_MAX], p[DKIMKEY_RECORD_MAX];
	char want[DKIMKEY_RECORD_MAX + 64], err[512], small[20];
	size_t i;
	DKIMKEY *k;
	int n;

	for (i = 0; i < sizeof(rec) / sizeof(rec[0]); i++) {
		if ((k = dkimkey_load(tpath(rec[i].file), err,
		    sizeof(err))) == NULL) {
			tap_ok(0, "record of %s: %s", rec[i].file, err);
			continue;
		}
		sh_out(p, sizeof(p), "%s", rec[i].cmd);
		snprintf(want, sizeof(want), "v=DKIM1; k=%s; p=%s",
		    rec[i].kind, p);
		n = dkimkey_public_record(k, got, sizeof(got));
		tap_ok(p[0] != '\0', "openssl gave %s's public key",
		    rec[i].file);
		tap_str(got, want, "record of %s equals openssl's",
		    rec[i].file);
		tap_int(n, (long long)strlen(want), "record length returned");
		n = dkimkey_public_record(k, small, sizeof(small));
		tap_ok(n == (int)strlen(want) && strlen(small) ==
		    sizeof(small) - 1, "small buffer: truncated, full "
		    "length returned");
		dkimkey_free(k);
	}
}

static void
test_generate(void)
{
	static const struct {
		int	 type, bits;
		const char *file;
		const char *kind;
	} gen[] = {
		{ DKIMKEY_RSA, 1024, "gen-rsa1024.pem", "rsa" },
		{ DKIMKEY_RSA, 2048, "gen-rsa2048.pem", "rsa" },
		{ DKIMKEY_ED25519, 0, "gen-ed.pem", "ed25519" },
	};
	char err[512], r1[DKIMKEY_RECORD_MAX], r2[DKIMKEY_RECORD_MAX];
	char p[DKIMKEY_RECORD_MAX], want[DKIMKEY_RECORD_MAX + 64];
	struct stat st;
	mode_t old;
	size_t i;
	DKIMKEY *k, *k2;

	for (i = 0; i < sizeof(gen) / sizeof(gen[0]); i++) {
		k = dkimkey_generate(gen[i].type, gen[i].bits, err,
		    sizeof(err));
		if (!tap_ok(k != NULL, "generate %s %d", gen[i].kind,
		    gen[i].bits)) {
			printf("#   error: %s\n", err);
			continue;
		}
		tap_int(dkimkey_type(k), gen[i].type, "generated type");
		tap_int(dkimkey_bits(k), gen[i].bits ? gen[i].bits : 256,
		    "generated bits");
		old = umask(0);	/* 0600 must not come from the umask */
		tap_int(dkimkey_write_pem(k, tpath(gen[i].file), err,
		    sizeof(err)), 0, "write %s", gen[i].file);
		umask(old);
		tap_ok(stat(tpath(gen[i].file), &st) == 0 &&
		    (st.st_mode & 07777) == 0600, "%s has mode 0600",
		    gen[i].file);
		tap_ok(same_file_text(tpath(gen[i].file), dkimkey_pem(k)),
		    "%s holds dkimkey_pem()", gen[i].file);
		tap_ok(sh("openssl pkey -in %s -noout && head -n 1 %s | "
		    "grep -qx -- '-----BEGIN PRIVATE KEY-----'", gen[i].file,
		    gen[i].file) == 0, "%s: openssl reads it, PKCS#8 PEM",
		    gen[i].file);
		k2 = dkimkey_load(tpath(gen[i].file), err, sizeof(err));
		tap_ok(k2 != NULL, "reload %s", gen[i].file);
		if (k2 != NULL) {
			dkimkey_public_record(k, r1, sizeof(r1));
			dkimkey_public_record(k2, r2, sizeof(r2));
			tap_str(r2, r1, "reloaded key has the same record");
			tap_ok(strcmp(dkimkey_pem(k), dkimkey_pem(k2)) == 0,
			    "reloaded key has the same PEM");
			dkimkey_free(k2);
		}
		sh_out(p, sizeof(p), "openssl pkey -in %s -pubout -outform "
		    "DER | %s base64 -w 0", gen[i].file, gen[i].type ==
		    DKIMKEY_ED25519 ? "tail -c 32 |" : "");
		snprintf(want, sizeof(want), "v=DKIM1; k=%s; p=%s",
		    gen[i].kind, p);
		tap_str(r1, want, "generated record equals openssl's");

		/* never overwrite */
		tap_int(dkimkey_write_pem(k, tpath(gen[i].file), err,
		    sizeof(err)), -1, "second write of %s refused",
		    gen[i].file);
		tap_ok(strstr(err, "already exists; not overwriting it") !=
		    NULL && strstr(err, tpath(gen[i].file)) != NULL,
		    "refusal names the file: %s", err);
		tap_ok(same_file_text(tpath(gen[i].file), dkimkey_pem(k)),
		    "%s unchanged", gen[i].file);
		dkimkey_free(k);
	}

	k = dkimkey_generate(DKIMKEY_ED25519, 0, err, sizeof(err));
	tap_int(dkimkey_write_pem(k, tpath("m0640"), err, sizeof(err)), -1,
	    "write over an existing key refused");
	tap_int(dkimkey_write_pem(k, tpath("no/such/dir/x.pem"), err,
	    sizeof(err)), -1, "write into a missing directory fails");
	tap_ok(strstr(err, "cannot create: No such file or directory") !=
	    NULL, "missing directory: %s", err);
	sh("ln -s nowhere dangling");
	tap_int(dkimkey_write_pem(k, tpath("dangling"), err, sizeof(err)),
	    -1, "write through a dangling symlink refused");
	tap_ok(access(tpath("nowhere"), F_OK) == -1,
	    "symlink target not created");
	dkimkey_free(k);

	tap_ok(dkimkey_generate(DKIMKEY_RSA, 512, err, sizeof(err)) == NULL &&
	    strstr(err, "RSA key size 512 is outside 1024 to 4096") != NULL,
	    "generate RSA 512 refused: %s", err);
	tap_ok(dkimkey_generate(DKIMKEY_RSA, 8192, err, sizeof(err)) == NULL,
	    "generate RSA 8192 refused");
	tap_ok(dkimkey_generate(99, 2048, err, sizeof(err)) == NULL &&
	    strstr(err, "unknown key type") != NULL, "unknown type refused");
}

static void
test_data(void)
{
	static const struct {
		const char	*file;
		int		 type;		/* 0: must fail */
		const char	*err;
	} data[] = {
		{ "rsa1.pem", DKIMKEY_RSA, NULL },
		{ "rsa8.pem", DKIMKEY_RSA, NULL },
		{ "rsa8.b64", DKIMKEY_RSA, NULL },	/* wrapped at 64 */
		{ "ed.pem", DKIMKEY_ED25519, NULL },
		{ "ed.b64", DKIMKEY_ED25519, NULL },	/* "MC4C..." */
		{ "rsa8.der", DKIMKEY_RSA, NULL },
		{ "garbage", 0, "not a private key (expected" },
		{ "rsapub.pem", 0, "not a private key (it holds a public "
		    "key)" },
		{ "ec.pem", 0, "EC key; DKIM signing needs" },
		{ "rsa512.pem", 0, "RSA key of 512 bits is too short" },
		{ "big", 0, "70000 bytes, more than a key may hold (65536)" },
	};
	char err[512], want[512], *buf;
	size_t i, len;
	DKIMKEY *k;

	for (i = 0; i < sizeof(data) / sizeof(data[0]); i++) {
		if ((buf = slurp(tpath(data[i].file), &len)) == NULL) {
			tap_ok(0, "read %s", data[i].file);
			continue;
		}
		err[0] = '\0';
		k = dkimkey_from_data(buf, len, "KeyTable key k1", err,
		    sizeof(err));
		if (data[i].type != 0) {
			if (!tap_ok(k != NULL, "inline %s", data[i].file))
				printf("#   error: %s\n", err);
			else
				tap_int(dkimkey_type(k), data[i].type,
				    "inline %s: type", data[i].file);
		} else {
			tap_ok(k == NULL, "inline %s refused", data[i].file);
			snprintf(want, sizeof(want), "KeyTable key k1: %s",
			    data[i].err);
			if (!tap_ok(strncmp(err, want, strlen(want)) == 0,
			    "inline %s: %s", data[i].file, data[i].err))
				printf("#   got:  %s\n", err);
		}
		dkimkey_free(k);
		free(buf);
	}
	k = dkimkey_from_data("", 0, "inline", err, sizeof(err));
	tap_ok(k == NULL && strcmp(err, "inline: empty, not a private key") ==
	    0, "empty inline data: %s", err);
	k = dkimkey_from_data(" \n\t", 3, "inline", err, sizeof(err));
	tap_ok(k == NULL && strstr(err, "empty") != NULL,
	    "blank inline data refused");
	k = dkimkey_from_data("MIIBVgIBADANBgkqhkiG9w0B", 24, "inline", err,
	    sizeof(err));
	tap_ok(k == NULL && strstr(err, "not a private key") != NULL,
	    "truncated base64 DER refused");
}

int
main(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/test_dkimkey.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		printf("1..0 # SKIP mkdtemp: %s\n", strerror(errno));
		return 0;
	}
	if (system("openssl version >/dev/null 2>&1") != 0) {
		printf("1..0 # SKIP no openssl command\n");
		rmdir(dir);
		return 0;
	}
	if (!tap_ok(make_keys() == 0, "openssl made the test keys")) {
		sh("rm -rf '%s'", dir);
		return tap_done();
	}
	test_good();
	test_bad();
	test_record();
	test_generate();
	test_data();
	if (getenv("KEEP_TMP") == NULL)
		sh("rm -rf '%s'", dir);
	return tap_done();
}
