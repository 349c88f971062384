/*
 * capply.c - the other nodes' changes, applied here (see capply.h).
 *
 * Owns: capply(), capply_snapshot(), capply_last(), capply_peers(),
 * capply_cursor(), capply_set_cursor(), capply_outcome_name().
 *
 * Layout (STORE_DB_PEERS):
 *	key   = the node's name		value = u8 version, u64 the last
 *						seq applied, u64 when
 *	key   = "@cursor"		value = the reader's position (text)
 * '@' is not allowed in a node's name, so the two never meet.
 *
 * Must not: include lmdb.h, hiredis or a filter/ header; read the clock.
 */
#include <stdio.h>
#include <string.h>

#include "base/addr.h"
#include "cluster/capply.h"
#include "reputation/reputation.h"
#include "reputation/sender.h"
#include "reputation/suppress.h"
#include "retpath/bevent.h"
#include "retpath/rprecord.h"
#include "store/store.h"

#define CAPPLY_VERSION		1
#define CAPPLY_CURSOR_KEY	"@cursor"

static const char *const capply_names[CAPPLY_OUTCOMES] = {
	"applied", "seen", "stale", "duplicate", "bad"
};

const char *
capply_outcome_name(int outcome)
{
	return outcome >= 0 && outcome < CAPPLY_OUTCOMES ?
	    capply_names[outcome] : "?";
}

static int
capply_node_ok(const char *node)
{
	size_t n = strlen(node);

	return n > 0 && n <= CAPPLY_NODE_MAX && node[0] != '@';
}

int
capply_last(STORE_TXN *t, const char *node, uint64_t *seq)
{
	const unsigned char *v;
	const void *p;
	size_t vlen;
	int rc;

	*seq = 0;
	rc = store_get(t, STORE_DB_PEERS, node, strlen(node), &p, &vlen);
	if (rc == STORE_NOTFOUND)
		return 0;
	if (rc != 0)
		return STORE_ERROR;
	v = p;
	if (vlen < 17 || v[0] != CAPPLY_VERSION)
		return 0;	/* damaged: start again (changes are idempotent
				   enough: seen ones are counted again) */
	*seq = store_get_u64(v + 1);
	return 0;
}

static int
capply_set_last(STORE_TXN *t, const char *node, uint64_t seq, int64_t now)
{
	unsigned char v[17];
	size_t len = 0;

	store_key_u8(v, sizeof(v), &len, CAPPLY_VERSION);
	store_key_u64(v, sizeof(v), &len, seq);
	store_key_u64(v, sizeof(v), &len, (uint64_t)now);
	return store_put(t, STORE_DB_PEERS, node, strlen(node), v, len);
}

/* The change itself, the journal held: 0 or STORE_ERROR, r->outcome. */
static int
capply_one(STORE_TXN *t, int kind, const void *p, size_t len, int64_t now,
    CAPPLY_RESULT *r)
{
	SUPPRESS_ENTRY e;
	BEVENT ev;
	uint64_t id;
	int rc = STORE_ERROR;

	switch (kind) {
	case STORE_CHANGE_COUNT:
		rc = sender_apply_count(t, p, len, now, r->sender,
		    sizeof(r->sender));
		break;
	case STORE_CHANGE_STATE:
		rc = sender_apply_state(t, p, len, now, r->sender,
		    sizeof(r->sender));
		if (rc == SENDER_STALE) {
			r->outcome = CAPPLY_STALE;
			return 0;
		}
		break;
	case STORE_CHANGE_EVENT:
		rc = bevent_apply(t, p, len, now, &ev);
		snprintf(r->sender, sizeof(r->sender), "%s", ev.sender);
		if (rc == BEVENT_DUPLICATE) {
			r->outcome = CAPPLY_DUPLICATE;
			return 0;
		}
		rc = rc == BEVENT_DAMAGED ? SENDER_BAD_CHANGE : rc;
		break;
	case STORE_CHANGE_SUPPRESS:
	case STORE_CHANGE_UNSUPPRESS:
		rc = suppress_apply(t, kind, p, len, &e);
		snprintf(r->sender, sizeof(r->sender), "%s", e.scope);
		snprintf(r->addr, sizeof(r->addr), "%s", e.addr);
		rc = rc == SUPPRESS_DAMAGED ? SENDER_BAD_CHANGE : rc;
		break;
	case STORE_CHANGE_RECORD:
		rc = rprecord_apply(t, p, len, &id);
		rc = rc == RPRECORD_DAMAGED ? SENDER_BAD_CHANGE : rc;
		break;
	default:
		rc = SENDER_BAD_CHANGE;
	}
	if (rc == SENDER_BAD_CHANGE) {
		r->outcome = CAPPLY_BAD;
		r->sender[0] = r->addr[0] = '\0';
		return 0;
	}
	return rc == 0 ? 0 : STORE_ERROR;
}

int
capply(STORE_TXN *t, const REP_RULES *rules, const char *node, uint64_t seq,
    int kind, const void *p, size_t len, int64_t now, CAPPLY_RESULT *r)
{
	SENDER_STATE s;
	uint64_t last;
	int held, rc;

	memset(r, 0, sizeof(*r));
	r->kind = kind;
	if (!capply_node_ok(node) || seq == 0) {
		r->outcome = CAPPLY_BAD;
		return 0;
	}
	if (capply_last(t, node, &last) != 0)
		return STORE_ERROR;
	if (seq <= last) {
		r->outcome = CAPPLY_SEEN;
		return 0;
	}
	held = store_journal_hold(t, 1);
	rc = capply_one(t, kind, p, len, now, r);
	store_journal_hold(t, held);
	if (rc != 0 || capply_set_last(t, node, seq, now) != 0)
		return STORE_ERROR;
	if (r->outcome != CAPPLY_APPLIED || rules == NULL ||
	    (kind != STORE_CHANGE_COUNT && kind != STORE_CHANGE_EVENT))
		return 0;
	r->changed = rep_update(t, rules, r->sender, now, &s, &r->change);
	return r->changed < 0 ? STORE_ERROR : 0;
}

/*
 * A state or suppression from the cluster's snapshot (no node, no seq):
 * for a node catching up when the changes themselves are gone.
 */
int
capply_snapshot(STORE_TXN *t, int kind, const void *p, size_t len,
    int64_t now, CAPPLY_RESULT *r)
{
	int held, rc;

	memset(r, 0, sizeof(*r));
	r->kind = kind;
	if (kind != STORE_CHANGE_STATE && kind != STORE_CHANGE_SUPPRESS) {
		r->outcome = CAPPLY_BAD;
		return 0;
	}
	held = store_journal_hold(t, 1);
	rc = capply_one(t, kind, p, len, now, r);
	store_journal_hold(t, held);
	return rc;
}

struct capply_iter {
	CAPPLY_PEER_FN	 fn;
	void		*ctx;
};

static int
capply_peers_cb(const void *k, size_t klen, const void *v, size_t vlen,
    void *ctx)
{
	struct capply_iter *it = ctx;
	const unsigned char *p = v;
	char node[CAPPLY_NODE_MAX + 1];

	if (klen == 0 || klen > CAPPLY_NODE_MAX || *(const char *)k == '@' ||
	    vlen < 17 || p[0] != CAPPLY_VERSION)
		return 0;
	memcpy(node, k, klen);
	node[klen] = '\0';
	return it->fn(node, store_get_u64(p + 1),
	    (int64_t)store_get_u64(p + 9), it->ctx);
}

int
capply_peers(STORE_TXN *t, CAPPLY_PEER_FN fn, void *ctx)
{
	struct capply_iter it = { fn, ctx };

	return store_scan(t, STORE_DB_PEERS, NULL, 0, NULL, 0,
	    capply_peers_cb, &it);
}

int
capply_cursor(STORE_TXN *t, char *buf, size_t size)
{
	const void *p;
	size_t len;
	int rc;

	buf[0] = '\0';
	rc = store_get(t, STORE_DB_PEERS, CAPPLY_CURSOR_KEY,
	    strlen(CAPPLY_CURSOR_KEY), &p, &len);
	if (rc == STORE_NOTFOUND)
		return 0;
	if (rc != 0)
		return STORE_ERROR;
	if (len < size && memchr(p, '\0', len) == NULL) {
		memcpy(buf, p, len);
		buf[len] = '\0';
	}
	return 0;
}

int
capply_set_cursor(STORE_TXN *t, const char *text)
{
	size_t n = strlen(text);

	if (n >= CAPPLY_CURSOR_MAX)
		return STORE_ERROR;
	if (n == 0)
		return store_del(t, STORE_DB_PEERS, CAPPLY_CURSOR_KEY,
		    strlen(CAPPLY_CURSOR_KEY)) == STORE_ERROR ? STORE_ERROR : 0;
	return store_put(t, STORE_DB_PEERS, CAPPLY_CURSOR_KEY,
	    strlen(CAPPLY_CURSOR_KEY), text, n);
}
