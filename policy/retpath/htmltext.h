/*
 * htmltext.h - an HTML body as plain text, for the rules to read.
 *
 *	len = html_text(buf, len);	in place: tags out (those that break
 *					a line as a line break), style and
 *					script elements out, entities
 *					decoded; buf[len] becomes NUL, so
 *					buf must hold len + 1 octets
 */
#ifndef REPGUARD_HTMLTEXT_H
#define REPGUARD_HTMLTEXT_H

#include <stddef.h>

size_t	html_text(char *s, size_t len);

#endif
