/*
 * cstatus.c - the node's cluster status record (see cstatus.h).
 *
 * Owns: cstatus_get(), cstatus_put(), cstatus_format(), cstatus_parse().
 * Layout: STORE_DB_META key "cluster-status", value the text of
 * cstatus_format().
 *
 * Must not: include lmdb.h or a filter/ header.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/cstatus.h"

#define CSTATUS_KEY	"cluster-status"
#define CSTATUS_MAX	4096

static void
cstatus_text(char *out, const char *v, size_t n)
{
	size_t i;

	if (n >= CSTATUS_TEXT_MAX)
		n = CSTATUS_TEXT_MAX - 1;
	for (i = 0; i < n; i++)
		out[i] = v[i] >= ' ' && v[i] != 0x7f ? v[i] : '?';
	out[n] = '\0';
}

size_t
cstatus_format(const CSTATUS *s, char *buf, size_t size)
{
	char a[CSTATUS_TEXT_MAX], nd[CSTATUS_TEXT_MAX], e[CSTATUS_TEXT_MAX],
	    ep[CSTATUS_TEXT_MAX];
	int n;

	/* one line each, whatever a server's error said */
	cstatus_text(a, s->address, strnlen(s->address, sizeof(a)));
	cstatus_text(nd, s->node, strnlen(s->node, sizeof(nd)));
	cstatus_text(e, s->error, strnlen(s->error, sizeof(e)));
	cstatus_text(ep, s->epoch, strnlen(s->epoch, sizeof(ep)));
	n = snprintf(buf, size, "up %d\nsince %" PRId64 "\nupdated %"
	    PRId64 "\naddress %s\nnode %s\nerror %s\nepoch %s\nrtt_us %"
	    PRId64 "\nlag_ms %" PRId64 "\npushed %" PRIu64 "\napplied %"
	    PRIu64 "\nframes %" PRIu64 "\nroundtrips %" PRIu64 "\nreconnects %" PRIu64
	    "\nresyncs %" PRIu64 "\nnodes %" PRId64 "\n", s->up, s->since, s->updated,
	    a, nd, e, ep, s->rtt_us, s->lag_ms,
	    s->pushed, s->applied, s->frames, s->roundtrips, s->reconnects,
	    s->resyncs,
	    s->nodes);

	return n < 0 ? 0 : (size_t)n < size ? (size_t)n : size - 1;
}

/* 0, or -1 if buf is not a status record at all. */
int
cstatus_parse(const char *buf, size_t len, CSTATUS *s)
{
	const char *p = buf, *end = buf + len, *nl, *sp;
	char num[32];
	size_t klen, vlen;
	long long v;

	memset(s, 0, sizeof(*s));
	if (len == 0 || memchr(buf, '\0', len) != NULL)
		return -1;
	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if ((sp = memchr(p, ' ', (size_t)(nl - p))) == NULL)
			continue;
		klen = (size_t)(sp - p);
		vlen = (size_t)(nl - sp - 1);
#define KEY(k) (klen == sizeof(k) - 1 && memcmp(p, k, klen) == 0)
		if (KEY("address"))
			cstatus_text(s->address, sp + 1, vlen);
		else if (KEY("node"))
			cstatus_text(s->node, sp + 1, vlen);
		else if (KEY("error"))
			cstatus_text(s->error, sp + 1, vlen);
		else if (KEY("epoch"))
			cstatus_text(s->epoch, sp + 1, vlen);
		else {
			snprintf(num, sizeof(num), "%.*s", (int)(vlen <
			    sizeof(num) ? vlen : sizeof(num) - 1), sp + 1);
			v = strtoll(num, NULL, 10);
			if (KEY("up"))
				s->up = v != 0;
			else if (KEY("since"))
				s->since = v;
			else if (KEY("updated"))
				s->updated = v;
			else if (KEY("rtt_us"))
				s->rtt_us = v;
			else if (KEY("lag_ms"))
				s->lag_ms = v;
			else if (KEY("pushed"))
				s->pushed = (uint64_t)v;
			else if (KEY("applied"))
				s->applied = (uint64_t)v;
			else if (KEY("frames"))
				s->frames = (uint64_t)v;
			else if (KEY("roundtrips"))
				s->roundtrips = (uint64_t)v;
			else if (KEY("reconnects"))
				s->reconnects = (uint64_t)v;
			else if (KEY("resyncs"))
				s->resyncs = (uint64_t)v;
			else if (KEY("nodes"))
				s->nodes = v;
		}
#undef KEY
		if (nl == end)
			break;
	}
	return 0;
}

int
cstatus_get(STORE_TXN *t, CSTATUS *s)
{
	const void *v;
	size_t len;
	int rc;

	memset(s, 0, sizeof(*s));
	rc = store_get(t, STORE_DB_META, CSTATUS_KEY, strlen(CSTATUS_KEY), &v,
	    &len);
	if (rc != 0)
		return rc;
	return cstatus_parse(v, len, s) == 0 ? 0 : STORE_ERROR;
}

int
cstatus_put(STORE_TXN *t, const CSTATUS *s)
{
	char buf[CSTATUS_MAX];
	size_t n = cstatus_format(s, buf, sizeof(buf));

	return store_put(t, STORE_DB_META, CSTATUS_KEY, strlen(CSTATUS_KEY),
	    buf, n);
}
