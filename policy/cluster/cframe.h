/*
 * cframe.h - a frame: several journal entries of one node, as they travel
 * between the nodes of a cluster (one stream entry carries one frame).
 *
 *	CFRAME f;
 *	cframe_init(&f, CFRAME_DEFAULT_MAX);
 *	rc = cframe_add(&f, seq, kind, p, len);	0, or 1 when the frame is
 *						full (send it, start again)
 *	f.buf, f.len, f.first, f.last, f.n	what to send
 *	cframe_reset(&f); cframe_free(&f);
 *
 *	size_t off = 0;			c zeroed; the reader keeps
 *					the last seq in it
 *	while ((err = cframe_next(buf, len, &off, &c)) == NULL && c.p)
 *		... c.seq, c.kind, c.p, c.len
 *	err: NULL, or why the frame is broken (what came before counts)
 *
 * Form: for each entry u64 seq, u8 kind, u32 length, then the payload
 * (big-endian).  A frame holds at least one entry however large (a
 * journal entry is at most 1 MiB), and entries whose seqs ascend.
 *
 * Must not: trust a frame it reads: every length is checked against what
 * is left, a seq that does not ascend or a kind out of range is an error.
 */
#ifndef REPGUARD_CFRAME_H
#define REPGUARD_CFRAME_H

#include <stddef.h>
#include <stdint.h>

#define CFRAME_DEFAULT_MAX	(256 * 1024)
#define CFRAME_HEAD		13	/* seq, kind, length */

typedef struct {
	unsigned char	*buf;
	size_t		 len, cap, max;
	uint64_t	 first, last;	/* seqs of its entries */
	size_t		 n;		/* entries */
} CFRAME;

typedef struct {
	uint64_t	 seq;
	int		 kind;
	const unsigned char *p;		/* NULL: the end of the frame */
	size_t		 len;
} CFRAME_ENTRY;

void		 cframe_init(CFRAME *, size_t max);
int		 cframe_add(CFRAME *, uint64_t seq, int kind, const void *p,
		    size_t len);
void		 cframe_reset(CFRAME *);
void		 cframe_free(CFRAME *);
const char	*cframe_next(const unsigned char *buf, size_t len, size_t *off,
		    CFRAME_ENTRY *);

#endif
