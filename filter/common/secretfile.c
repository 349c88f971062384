/*
 * secretfile.c - read secret files with their checks (see secretfile.h).
 *
 * Owns: secretfile_read(), secretfile_free().
 * Must not: leave a copy of the secret in memory it frees (every buffer
 * is wiped with OPENSSL_cleanse()), or block on a FIFO.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "base/mem.h"
#include "common/secretfile.h"

/* A buffer remembers its size just before the bytes it hands out. */
#define SF_HDR	16

__attribute__((format(printf, 3, 4)))
static void
sf_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* The size of the allocation sits in front of what the caller gets. */
static unsigned char *
sf_alloc(size_t cap)
{
	unsigned char *raw = mem_alloc(SF_HDR + cap);

	memcpy(raw, &cap, sizeof(cap));
	return raw + SF_HDR;
}

void
secretfile_free(unsigned char *buf)
{
	unsigned char *raw;
	size_t cap;

	if (buf == NULL)
		return;
	raw = buf - SF_HDR;
	memcpy(&cap, raw, sizeof(cap));
	OPENSSL_cleanse(raw, SF_HDR + cap);
	free(raw);
}

static const char *
sf_verbs(unsigned bits)
{
	switch (bits & 6) {
	case 6: return "read and write";
	case 4: return "read";
	case 2: return "write";
	default: return NULL;
	}
}

/* "group read", "group and others read", "group write and others read" */
static void
sf_who(mode_t mode, char *buf, size_t len)
{
	const char *g = sf_verbs((mode >> 3) & 7), *o = sf_verbs(mode & 7);

	if (g != NULL && o != NULL && strcmp(g, o) == 0)
		snprintf(buf, len, "group and others %s", g);
	else if (g != NULL && o != NULL)
		snprintf(buf, len, "group %s and others %s", g, o);
	else
		snprintf(buf, len, "%s %s", g != NULL ? "group" : "others",
		    g != NULL ? g : o);
}

static const char *
sf_ftype(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISCHR(mode) || S_ISBLK(mode))
		return "a device";
	return "not a regular file";
}

unsigned char *
secretfile_read(const char *path, size_t max, size_t *lenp, char *err,
    size_t errlen)
{
	unsigned char *buf;
	struct stat st;
	char who[64];
	size_t len = 0, cap = max + 1;	/* one more: a file that grew */
	ssize_t n;
	int fd, e;

	/* O_NONBLOCK: a FIFO must not hang us before fstat refuses it. */
	if ((fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)) ==
	    -1) {
		sf_err(err, errlen, "%s: cannot open: %s", path,
		    strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1) {
		sf_err(err, errlen, "%s: cannot stat: %s", path,
		    strerror(errno));
		close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		sf_err(err, errlen, "%s: %s, not a key file", path,
		    sf_ftype(st.st_mode));
		close(fd);
		return NULL;
	}
	if ((st.st_mode & 066) != 0) {
		sf_who(st.st_mode, who, sizeof(who));
		sf_err(err, errlen, "%s: mode %04o lets %s it; chmod 600 %s",
		    path, (unsigned)(st.st_mode & 07777), who, path);
		close(fd);
		return NULL;
	}
	if ((unsigned long long)st.st_size > max) {
		sf_err(err, errlen, "%s: %lld bytes, more than a key file "
		    "may hold (%zu)", path, (long long)st.st_size, max);
		close(fd);
		return NULL;
	}
	buf = sf_alloc(cap + 1);		/* and the NUL */
	while (len < cap) {
		if ((n = read(fd, buf + len, cap - len)) == 0)
			break;
		if (n == -1) {
			if (errno == EINTR)
				continue;
			e = errno;
			sf_err(err, errlen, "%s: read: %s", path, strerror(e));
			close(fd);
			secretfile_free(buf);
			return NULL;
		}
		len += (size_t)n;
	}
	close(fd);
	if (len > max) {				/* it grew */
		sf_err(err, errlen, "%s: more than %zu bytes, more than a key "
		    "file may hold", path, max);
		secretfile_free(buf);
		return NULL;
	}
	buf[len] = '\0';
	*lenp = len;
	return buf;
}
