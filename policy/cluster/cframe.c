/*
 * cframe.c - frames of journal entries (see cframe.h).
 *
 * Owns: cframe_init(), cframe_add(), cframe_reset(), cframe_free(),
 * cframe_next().
 *
 * Must not: read past what it was given, or take a frame's word for a
 * length.
 */
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "cluster/cframe.h"
#include "store/store.h"

#define CFRAME_ENTRY_MAX	(1024 * 1024 + 64)

void
cframe_init(CFRAME *f, size_t max)
{
	memset(f, 0, sizeof(*f));
	f->max = max > CFRAME_HEAD ? max : CFRAME_DEFAULT_MAX;
}

void
cframe_reset(CFRAME *f)
{
	f->len = 0;
	f->n = 0;
	f->first = f->last = 0;
}

void
cframe_free(CFRAME *f)
{
	free(f->buf);
	memset(f, 0, sizeof(*f));
}

int
cframe_add(CFRAME *f, uint64_t seq, int kind, const void *p, size_t len)
{
	size_t need = CFRAME_HEAD + len, i;

	if (f->n > 0 && (f->len + need > f->max || seq <= f->last))
		return 1;
	if (f->len + need > f->cap) {
		f->cap = f->len + need > 2 * f->cap ? f->len + need :
		    2 * f->cap;
		f->buf = mem_realloc(f->buf, f->cap);
	}
	for (i = 0; i < 8; i++)
		f->buf[f->len++] = (unsigned char)(seq >> (56 - 8 * i));
	f->buf[f->len++] = (unsigned char)kind;
	for (i = 0; i < 4; i++)
		f->buf[f->len++] = (unsigned char)((uint32_t)len >>
		    (24 - 8 * i));
	if (len > 0)
		memcpy(f->buf + f->len, p, len);
	f->len += len;
	if (f->n++ == 0)
		f->first = seq;
	f->last = seq;
	return 0;
}

const char *
cframe_next(const unsigned char *buf, size_t len, size_t *off,
    CFRAME_ENTRY *e)
{
	uint64_t prev = *off > 0 ? e->seq : 0;
	size_t n;

	e->p = NULL;
	e->len = 0;
	if (*off == len)
		return NULL;
	if (*off > len || len - *off < CFRAME_HEAD)
		return "frame cut short in an entry's head";
	e->seq = store_get_u64(buf + *off);
	e->kind = buf[*off + 8];
	n = (size_t)buf[*off + 9] << 24 | (size_t)buf[*off + 10] << 16 |
	    (size_t)buf[*off + 11] << 8 | buf[*off + 12];
	if (e->seq == 0 || (*off > 0 && e->seq <= prev))
		return "frame's entries out of order";
	if (e->kind <= 0 || e->kind >= STORE_CHANGE_MAX)
		return "frame holds an unknown kind of change";
	if (n > CFRAME_ENTRY_MAX || n > len - *off - CFRAME_HEAD)
		return "frame cut short in an entry";
	e->p = buf + *off + CFRAME_HEAD;
	e->len = n;
	*off += CFRAME_HEAD + n;
	return NULL;
}
