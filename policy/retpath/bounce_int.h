/*
 * bounce_int.h - what bounce.c, bounce_parse.c and bounce_text.c share.
 * Not for other modules: they use bounce.h.
 */
#ifndef REPGUARD_BOUNCE_INT_H
#define REPGUARD_BOUNCE_INT_H

#include "retpath/bounce.h"
#include "retpath/mime.h"

void	bounce_address(const char *v, char *out, size_t outsize);
void	bounce_status(const char *s, char *out, size_t outsize);
void	bounce_status_reply(const char *s, char *out, size_t outsize);
void	bounce_add(BOUNCE *, const char *addr, const char *status,
	    const char *action, const char *diag, const char *mta,
	    const BOUNCE_RULES *);
int	bounce_text(BOUNCE *, const MIME_PART *top, const MIME_PART *text,
	    int html, const BOUNCE_RULES *);
int	bounce_text_raw(BOUNCE *, const MIME_PART *top, const BOUNCE_RULES *);
void	bounce_text_diag(BOUNCE *, const MIME_PART *text, const BOUNCE_RULES *);

#endif
