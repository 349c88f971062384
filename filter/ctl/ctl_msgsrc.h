/*
 * ctl_msgsrc.h - the messages of what repguardctl is given: a file of
 * one message, an mbox, a directory of message files or a maildir, or
 * standard input.
 *
 *	rc = ctl_msgsrc_each(path, fn, ctx, err, sizeof(err));
 *		fn(source, msg, len, ctx) for each message, in order:
 *		source "PATH" (one message), "PATH:N" (the Nth of an mbox,
 *		from 1), "DIR/NAME" (a file of a directory or of a maildir's
 *		cur/ and new/, sorted by name), "-" for standard input
 *		(path "-" or NULL); a non-zero return of fn stops the walk
 *		and is returned.  -1 with err when path cannot be read.
 *	buf = ctl_msgsrc_read(fp, &len);	all of fp (CTL_MSG_MAX at most);
 *						free() it
 *	ok = ctl_mbox_next(buf, len, &off, &msg, &msglen);
 *		the next message of an mbox ("From " lines separate them;
 *		">From " is left as it is): 1 and the message, 0 at the end
 *
 * A file is an mbox when it begins with "From ".  Each message is read
 * whole up to CTL_MSG_MAX octets (the parser reads less); hidden files
 * of a directory are skipped.
 */
#ifndef REPGUARD_CTL_MSGSRC_H
#define REPGUARD_CTL_MSGSRC_H

#include <stddef.h>
#include <stdio.h>

#define CTL_MSG_MAX	(64 * 1024 * 1024)

typedef int (*CTL_MSG_FN)(const char *source, const char *msg, size_t len,
    void *ctx);

int	ctl_msgsrc_each(const char *path, CTL_MSG_FN, void *ctx, char *err,
	    size_t errlen);
int	ctl_mbox_next(const char *buf, size_t len, size_t *off,
	    const char **msg, size_t *msglen);
char	*ctl_msgsrc_read(FILE *, size_t *len);

#endif
