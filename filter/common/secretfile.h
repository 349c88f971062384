/*
 * secretfile.h - read a file that holds a secret (a DKIM private key, a
 * return-path key), refusing one that others could read or change.
 *
 *	buf = secretfile_read(path, max, &len, err, sizeof(err));
 *	...
 *	secretfile_free(buf);		wipes it
 *
 * The file must be a regular file (a FIFO is refused without blocking),
 * no bigger than max bytes, and not readable or writable by group or
 * others ("path: mode 0644 lets group and others read it; chmod 600
 * path").  Returns a buffer of len bytes plus a NUL, or NULL with a
 * one-line message naming the file in err.
 */
#ifndef REPGUARD_SECRETFILE_H
#define REPGUARD_SECRETFILE_H

#include <stddef.h>

unsigned char	*secretfile_read(const char *path, size_t max, size_t *len,
		    char *err, size_t errlen);
void		 secretfile_free(unsigned char *buf);

#endif
