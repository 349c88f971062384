/*
 * rprecord.c - return-path records in the store (see rprecord.h).
 *
 * Owns: rprecord_add(), rprecord_clear(), rprecord_listed(),
 * rprecord_complete(),
 * rprecord_encode(), rprecord_get(), rprecord_put(), rprecord_sweep(),
 * rprecord_sweep_paced().
 *
 * Value: version octet (2; 1 is still read), created and expires (8
 * octets each, big-endian), the sender key, the original sender and the
 * queue id (each a 2-octet length and its octets), the recipient count
 * (4 octets), the number kept (2 octets) and each kept recipient (length
 * and octets).  Version 2 goes on with the number of hashed recipients
 * (4 octets) and each hash (8 octets), then the reports taken and the
 * reports forwarded (4 octets each).  Decoding checks every length
 * against what is left.
 *
 * Decisions: recipients past the first RPRECORD_RCPTS_MAX are kept as the
 * first 8 octets of the SHA-256 of their canonical form: enough to say
 * whether a report names one of them (finding another address with the
 * same 64 bits is beyond an attacker), at 8 octets a recipient.
 *
 * Must not: read beyond a value, or trust a length in it.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "base/clock.h"
#include "base/mem.h"
#include "retpath/rprecord.h"

#define RPRECORD_VERSION	2
#define RPRECORD_VERSION_1	1	/* no hashes, no report counts */

/* The first 8 octets of SHA-256(addr), big-endian; 0 if OpenSSL fails. */
static uint64_t
rprecord_hash(const char *addr)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	uint64_t h = 0;
	int i;

	if (EVP_Digest(addr, strlen(addr), md, &n, EVP_sha256(), NULL) != 1 ||
	    n < 8)
		return 0;
	for (i = 0; i < 8; i++)
		h = h << 8 | md[i];
	return h;
}

static void
rprecord_add_hash(RPRECORD *r, uint64_t h)
{
	if (r->nhashes == r->hashcap) {
		r->hashcap = r->hashcap ? r->hashcap * 2 : 64;
		r->hashes = mem_realloc(r->hashes, r->hashcap *
		    sizeof(*r->hashes));
	}
	r->hashes[r->nhashes++] = h;
}

void
rprecord_add(RPRECORD *r, const char *rcpt)
{
	r->nrcpts++;
	if (r->nkept < RPRECORD_RCPTS_MAX)
		r->rcpts[r->nkept++] = mem_strdup(rcpt);
	else if (r->nhashes < RPRECORD_HASHES_MAX &&
	    r->nrcpts == r->nkept + r->nhashes + 1)
		rprecord_add_hash(r, rprecord_hash(rcpt));
}

void
rprecord_clear(RPRECORD *r)
{
	size_t i;

	for (i = 0; i < r->nkept; i++)
		free(r->rcpts[i]);
	free(r->hashes);
	memset(r, 0, sizeof(*r));
}

int
rprecord_listed(const RPRECORD *r, const char *addr)
{
	uint64_t h;
	size_t i;

	for (i = 0; i < r->nkept; i++)
		if (strcmp(r->rcpts[i], addr) == 0)
			return RPRECORD_LISTED;
	if (r->nhashes > 0 && (h = rprecord_hash(addr)) != 0)
		for (i = 0; i < r->nhashes; i++)
			if (r->hashes[i] == h)
				return RPRECORD_LISTED;
	return rprecord_complete(r) ? RPRECORD_NOT_LISTED : RPRECORD_UNKNOWN;
}

int
rprecord_complete(const RPRECORD *r)
{
	return r->nrcpts > 0 && r->nkept + r->nhashes == r->nrcpts;
}

static int
rprecord_put_int(unsigned char *v, size_t size, size_t *n, uint64_t x,
    int octets)
{
	int i;

	if (*n + (size_t)octets > size)
		return -1;
	for (i = octets - 1; i >= 0; i--)
		v[(*n)++] = (unsigned char)(x >> (8 * i));
	return 0;
}

static int
rprecord_put_str(unsigned char *v, size_t size, size_t *n, const char *s)
{
	size_t len = strlen(s);

	if (len > 0xffff || rprecord_put_int(v, size, n, len, 2) != 0 ||
	    *n + len > size)
		return -1;
	memcpy(v + *n, s, len);
	*n += len;
	return 0;
}

/*
 * Returns the value's length, 0 if even the fixed part does not fit.  The
 * kept recipients are written while they fit (12 octets stay for the
 * version 2 fields), then as many hashes as fit.
 */
size_t
rprecord_encode(uint64_t id, const RPRECORD *r, unsigned char *key,
    unsigned char *v, size_t size)
{
	size_t n = 0, kn = 0, at, kept, save, hashed, i, room;

	(void)rprecord_put_int(key, RPRECORD_KEY_LEN, &kn, id, 8);
	if (size < 12)
		return 0;
	room = size - 12;
	if (rprecord_put_int(v, room, &n, RPRECORD_VERSION, 1) != 0 ||
	    rprecord_put_int(v, room, &n, (uint64_t)r->created, 8) != 0 ||
	    rprecord_put_int(v, room, &n, (uint64_t)r->expires, 8) != 0 ||
	    rprecord_put_str(v, room, &n, r->sender) != 0 ||
	    rprecord_put_str(v, room, &n, r->from) != 0 ||
	    rprecord_put_str(v, room, &n, r->qid) != 0 ||
	    rprecord_put_int(v, room, &n, r->nrcpts > 0xffffffffUL ?
	    0xffffffffUL : r->nrcpts, 4) != 0 ||
	    rprecord_put_int(v, room, &n, 0, 2) != 0)
		return 0;
	at = n - 2;
	for (kept = 0; kept < r->nkept; kept++) {
		save = n;
		if (rprecord_put_str(v, room, &n, r->rcpts[kept]) != 0) {
			n = save;	/* as many as fit */
			break;
		}
	}
	v[at] = (unsigned char)(kept >> 8);
	v[at + 1] = (unsigned char)kept;
	/* hashes only behind the whole list of texts: a list with a gap
	 * would call a recipient that was one "not a recipient" */
	hashed = kept == r->nkept ? r->nhashes : 0;
	if (hashed > (room - n) / 8)
		hashed = (room - n) / 8;
	(void)rprecord_put_int(v, size, &n, hashed, 4);
	for (i = 0; i < hashed; i++)
		(void)rprecord_put_int(v, size, &n, r->hashes[i], 8);
	(void)rprecord_put_int(v, size, &n, r->reports, 4);
	(void)rprecord_put_int(v, size, &n, r->forwarded, 4);
	return n;
}

struct rprecord_in {
	const unsigned char	*p;
	size_t			 left;
};

static int
rprecord_get_int(struct rprecord_in *in, int octets, uint64_t *x)
{
	int i;

	if (in->left < (size_t)octets)
		return -1;
	for (*x = 0, i = 0; i < octets; i++)
		*x = *x << 8 | in->p[i];
	in->p += octets;
	in->left -= (size_t)octets;
	return 0;
}

static int
rprecord_get_str(struct rprecord_in *in, char *out, size_t outsize,
    char **dup)
{
	uint64_t len;

	if (rprecord_get_int(in, 2, &len) != 0 || len > in->left ||
	    memchr(in->p, '\0', len) != NULL)
		return -1;
	if (dup != NULL)
		*dup = mem_strndup((const char *)in->p, len);
	else {
		if (len >= outsize)
			return -1;
		memcpy(out, in->p, len);
		out[len] = '\0';
	}
	in->p += len;
	in->left -= len;
	return 0;
}

static int
rprecord_decode(const void *val, size_t vlen, RPRECORD *r)
{
	struct rprecord_in in = { val, vlen };
	uint64_t x, kept, i, version, hashed;

	memset(r, 0, sizeof(*r));
	if (rprecord_get_int(&in, 1, &version) != 0 ||
	    (version != RPRECORD_VERSION && version != RPRECORD_VERSION_1) ||
	    rprecord_get_int(&in, 8, &x) != 0)
		return -1;
	r->created = (int64_t)x;
	if (rprecord_get_int(&in, 8, &x) != 0)
		return -1;
	r->expires = (int64_t)x;
	if (rprecord_get_str(&in, r->sender, sizeof(r->sender), NULL) != 0 ||
	    rprecord_get_str(&in, r->from, sizeof(r->from), NULL) != 0 ||
	    rprecord_get_str(&in, r->qid, sizeof(r->qid), NULL) != 0 ||
	    rprecord_get_int(&in, 4, &x) != 0 ||
	    rprecord_get_int(&in, 2, &kept) != 0 ||
	    kept > RPRECORD_RCPTS_MAX || kept > x)
		return -1;
	r->nrcpts = (unsigned long)x;
	for (i = 0; i < kept; i++) {
		if (rprecord_get_str(&in, NULL, 0, &r->rcpts[i]) != 0) {
			rprecord_clear(r);
			return -1;
		}
		r->nkept++;
	}
	if (version == RPRECORD_VERSION) {
		if (rprecord_get_int(&in, 4, &hashed) != 0 ||
		    hashed > RPRECORD_HASHES_MAX || kept + hashed > r->nrcpts ||
		    hashed * 8 > in.left || (hashed > 0 && kept <
		    RPRECORD_RCPTS_MAX)) {
			rprecord_clear(r);
			return -1;
		}
		for (i = 0; i < hashed; i++) {
			(void)rprecord_get_int(&in, 8, &x);
			rprecord_add_hash(r, x);
		}
		if (rprecord_get_int(&in, 4, &x) != 0) {
			rprecord_clear(r);
			return -1;
		}
		r->reports = (uint32_t)x;
		if (rprecord_get_int(&in, 4, &x) != 0) {
			rprecord_clear(r);
			return -1;
		}
		r->forwarded = (uint32_t)x;
	}
	if (in.left != 0) {
		rprecord_clear(r);
		return -1;
	}
	return 0;
}

int
rprecord_get(STORE_TXN *t, uint64_t id, RPRECORD *r)
{
	unsigned char key[RPRECORD_KEY_LEN];
	const void *val;
	size_t vlen, kn = 0;
	int rc;

	memset(r, 0, sizeof(*r));
	(void)rprecord_put_int(key, sizeof(key), &kn, id, 8);
	if ((rc = store_get(t, STORE_DB_RETURNPATH, key, sizeof(key), &val,
	    &vlen)) != 0)
		return rc;
	return rprecord_decode(val, vlen, r) == 0 ? 0 : RPRECORD_DAMAGED;
}

int
rprecord_put(STORE_TXN *t, uint64_t id, const RPRECORD *r)
{
	unsigned char key[RPRECORD_KEY_LEN], *val;
	size_t n;
	int rc;

	val = mem_alloc(RPRECORD_VALUE_MAX);
	n = rprecord_encode(id, r, key, val, RPRECORD_VALUE_MAX);
	rc = n == 0 ? STORE_ERROR : store_put(t, STORE_DB_RETURNPATH, key,
	    sizeof(key), val, n);
	free(val);
	return rc;
}

/*
 * A record another node wrote (journal entry STORE_CHANGE_RECORD: u16
 * key length, key, value): kept unless this node has one for the same
 * id (its own count of reports stays).  0, RPRECORD_DAMAGED (does not
 * parse: nothing written) or STORE_ERROR; *id says which.
 */
int
rprecord_apply(STORE_TXN *t, const void *payload, size_t len, uint64_t *id)
{
	const unsigned char *p = payload;
	const void *old;
	size_t klen, oldlen;
	RPRECORD r;
	int rc;

	*id = 0;
	if (len < 2 || (klen = (size_t)p[0] << 8 | p[1]) != RPRECORD_KEY_LEN ||
	    len - 2 < klen || len - 2 - klen > RPRECORD_VALUE_MAX)
		return RPRECORD_DAMAGED;
	*id = store_get_u64(p + 2);
	memset(&r, 0, sizeof(r));
	rc = rprecord_decode(p + 2 + klen, len - 2 - klen, &r);
	rprecord_clear(&r);
	if (rc != 0)
		return RPRECORD_DAMAGED;
	rc = store_get(t, STORE_DB_RETURNPATH, p + 2, klen, &old, &oldlen);
	if (rc != STORE_NOTFOUND)
		return rc == 0 ? 0 : STORE_ERROR;
	return store_put(t, STORE_DB_RETURNPATH, p + 2, klen, p + 2 + klen,
	    len - 2 - klen);
}

struct rprecord_sweep_ctx {
	int64_t		 now;
	long		 budget, seen;
	unsigned char	 (*gone)[RPRECORD_KEY_LEN];
	long		 ngone;
	uint64_t	 next;
	int		 more;
};

static int
rprecord_sweep_one(const void *key, size_t klen, const void *val,
    size_t vlen, void *ctx)
{
	struct rprecord_sweep_ctx *s = ctx;
	struct rprecord_in in = { val, vlen };
	uint64_t version, expires;
	size_t i;

	if (s->seen == s->budget) {
		s->more = 1;
		for (s->next = 0, i = 0; i < klen && i < 8; i++)
			s->next = s->next << 8 | ((const unsigned char *)key)[i];
		return 1;
	}
	s->seen++;
	if (klen != RPRECORD_KEY_LEN ||
	    rprecord_get_int(&in, 1, &version) != 0 ||
	    (version != RPRECORD_VERSION && version != RPRECORD_VERSION_1) ||
	    rprecord_get_int(&in, 8, &expires) != 0 ||
	    rprecord_get_int(&in, 8, &expires) != 0 ||
	    (int64_t)expires < s->now) {
		if (klen == RPRECORD_KEY_LEN)
			memcpy(s->gone[s->ngone++], key, RPRECORD_KEY_LEN);
	}
	return 0;
}

long
rprecord_sweep(STORE_TXN *t, int64_t now, long budget, uint64_t *cursor)
{
	struct rprecord_sweep_ctx s;
	unsigned char from[RPRECORD_KEY_LEN];
	size_t kn = 0;
	long i;

	if (budget < 1)
		return 0;
	memset(&s, 0, sizeof(s));
	s.now = now;
	s.budget = budget;
	s.gone = mem_alloc((size_t)budget * sizeof(*s.gone));
	(void)rprecord_put_int(from, sizeof(from), &kn, *cursor, 8);
	if (store_scan(t, STORE_DB_RETURNPATH, NULL, 0, from, sizeof(from),
	    rprecord_sweep_one, &s) != 0) {
		free(s.gone);
		return STORE_ERROR;
	}
	for (i = 0; i < s.ngone; i++)
		if (store_del(t, STORE_DB_RETURNPATH, s.gone[i],
		    RPRECORD_KEY_LEN) == STORE_ERROR) {
			free(s.gone);
			return STORE_ERROR;
		}
	free(s.gone);
	*cursor = s.more ? s.next : 0;
	return s.ngone;
}

struct rprecord_chunk {
	int64_t		 now;
	long		 budget, removed;
	uint64_t	 next;
};

static int
rprecord_chunk_fn(STORE_TXN *t, void *ctx)
{
	struct rprecord_chunk *c = ctx;

	c->removed = rprecord_sweep(t, c->now, c->budget, &c->next);
	return c->removed < 0 ? 1 : 0;
}

long
rprecord_sweep_paced(STORE *st, int64_t now, long chunk, int64_t max_ms,
    uint64_t *cursor, char *err, size_t errlen)
{
	struct rprecord_chunk c;
	int64_t start = clock_monotonic_ms();
	long total = 0;

	do {
		memset(&c, 0, sizeof(c));
		c.now = now;
		c.budget = chunk;
		c.next = *cursor;
		if (store_write(st, rprecord_chunk_fn, &c, err, errlen) != 0)
			return STORE_ERROR;
		*cursor = c.next;
		total += c.removed;
	} while (*cursor != 0 && clock_monotonic_ms() - start < max_ms);
	return total;
}
