/*
 * ctl_msgsrc.c - the messages of a file, an mbox, a directory or a
 * maildir (see ctl_msgsrc.h).
 *
 * Owns: ctl_msgsrc_each(), ctl_msgsrc_read(), ctl_mbox_next().
 *
 * Decisions: a file is read whole (up to CTL_MSG_MAX: bounces are small,
 * and the parser reads only the first BOUNCE_SCAN_MAX octets of each);
 * an mbox is split on "From " at the start of a line that follows an
 * empty line or starts the file, the mboxrd and mboxo convention, so a
 * "From " inside a body that was not escaped still splits only after a
 * blank line.  A directory with cur/ or new/ is a maildir.
 *
 * Must not: follow a directory entry that is not a regular file, or
 * read beyond a buffer.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ctl/ctl_msgsrc.h"
#include "base/mem.h"

/* The whole of fp, at most CTL_MSG_MAX octets. */
char *
ctl_msgsrc_read(FILE *fp, size_t *len)
{
	size_t cap = 65536, n = 0, got;
	char *buf = mem_alloc(cap);

	while ((got = fread(buf + n, 1, cap - n, fp)) > 0) {
		n += got;
		if (n == cap) {
			if (cap >= CTL_MSG_MAX)
				break;
			cap *= 2;
			buf = mem_realloc(buf, cap);
		}
	}
	*len = n;
	return buf;
}

int
ctl_mbox_next(const char *buf, size_t len, size_t *off, const char **msg,
    size_t *msglen)
{
	size_t p = *off, start, q, e;
	const char *nl;
	int blank = 0;

	if (p >= len)
		return 0;
	/* skip the "From " line that opens this message */
	if (len - p >= 5 && memcmp(buf + p, "From ", 5) == 0) {
		nl = memchr(buf + p, '\n', len - p);
		p = nl ? (size_t)(nl - buf) + 1 : len;
	}
	start = p;
	for (q = p; q < len; ) {
		/* an empty line, then "From ": the next message */
		if (blank && len - q >= 5 && memcmp(buf + q, "From ", 5) == 0)
			break;
		nl = memchr(buf + q, '\n', len - q);
		e = nl ? (size_t)(nl - buf) : len;
		blank = e == q || (e == q + 1 && buf[q] == '\r');
		q = nl ? e + 1 : len;
	}
	*msg = buf + start;
	*msglen = q - start;
	*off = q;
	return 1;
}

static int
ctl_msgsrc_file(const char *path, CTL_MSG_FN fn, void *ctx, char *err,
    size_t errlen)
{
	char source[4200];
	const char *msg;
	size_t len, off = 0, mlen;
	FILE *fp;
	char *buf;
	int rc = 0, n = 0;

	if (path == NULL || strcmp(path, "-") == 0)
		fp = stdin;
	else if ((fp = fopen(path, "rb")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	buf = ctl_msgsrc_read(fp, &len);
	if (fp != stdin)
		fclose(fp);
	if (len < 5 || memcmp(buf, "From ", 5) != 0)
		rc = fn(path ? path : "-", buf, len, ctx);
	else
		while (rc == 0 && ctl_mbox_next(buf, len, &off, &msg, &mlen)) {
			snprintf(source, sizeof(source), "%s:%d",
			    path ? path : "-", ++n);
			rc = fn(source, msg, mlen, ctx);
		}
	free(buf);
	return rc;
}

static int
ctl_msgsrc_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The regular files of dir, sorted, each walked as a file. */
static int
ctl_msgsrc_dir(const char *dir, CTL_MSG_FN fn, void *ctx, char *err,
    size_t errlen)
{
	char **names = NULL, path[4200];
	size_t n = 0, cap = 0, i;
	struct dirent *de;
	struct stat st;
	DIR *d;
	int rc = 0;

	if ((d = opendir(dir)) == NULL) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			names = mem_realloc(names, cap * sizeof(*names));
		}
		names[n++] = mem_strdup(path);
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof(*names), ctl_msgsrc_cmp);
	for (i = 0; i < n; i++) {
		if (rc == 0)
			rc = ctl_msgsrc_file(names[i], fn, ctx, err, errlen);
		free(names[i]);
	}
	free(names);
	return rc;
}

int
ctl_msgsrc_each(const char *path, CTL_MSG_FN fn, void *ctx, char *err,
    size_t errlen)
{
	char sub[4200];
	struct stat st;
	int rc = 0, maildir = 0;
	const char *parts[] = { "cur", "new" };
	size_t i;

	if (path == NULL || strcmp(path, "-") == 0 || stat(path, &st) != 0 ||
	    !S_ISDIR(st.st_mode))
		return ctl_msgsrc_file(path, fn, ctx, err, errlen);
	for (i = 0; i < 2; i++) {
		snprintf(sub, sizeof(sub), "%s/%s", path, parts[i]);
		if (stat(sub, &st) == 0 && S_ISDIR(st.st_mode)) {
			maildir = 1;
			if (rc == 0)
				rc = ctl_msgsrc_dir(sub, fn, ctx, err, errlen);
		}
	}
	return maildir ? rc : ctl_msgsrc_dir(path, fn, ctx, err, errlen);
}
