/*
 * fuzz_rpaccount.c - the intake decision: what reports from strangers
 * can change once parsed (bounce_parse() through contrib/bounce-rules,
 * then rpaccount_report()), for one token.
 *
 * The first octet chooses the token's record (bits 0-1: 4 recipients all
 * listed, 1 recipient, a record without recipients, 60 recipients of
 * which 4 listed), the suppression mode (bit 2: global or per sender),
 * BounceForward (bit 3) and ReportsPerRecipient (bits 4-5: none, 1, 3).
 * The rest is up to 8 reports, split at NUL octets, all accounted for in
 * one write transaction of a real store that is then aborted.
 *
 * Holds for every input: each entry has one verdict and the counts add
 * up; nothing is counted, suppressed or forwarded without the record;
 * an entry counted as a listed recipient names one (Final- or
 * Original-Recipient, in canonical form); over all the reports, each
 * listed recipient has at most one event of each kind, the addresses the
 * record cannot vouch for at most one a kind together, the forwards at
 * most one per recipient, and the reports taken stay within the limit;
 * the suppression list holds listed recipients only.
 */
#include "base/addr.h"
#include "retpath/bounce.h"
#include "retpath/bouncerules.h"
#include "retpath/rpaccount.h"
#include "retpath/rprecord.h"
#include "store/store.h"
#include "reputation/suppress.h"
#include "fuzz.h"

#define REPORTS_MAX	8
#define KINDS		4	/* failure, delay, complaint, auto-reply */

static STORE *store;
static BOUNCE_RULES *rules;
static char dir[64];

static const char *const rcpts[] = {
	"nobody@example.org", "nouser@example.org", "complainer@isp.example",
	"gone@example.net"
};
#define NRCPTS	(sizeof(rcpts) / sizeof(rcpts[0]))

static void
cleanup(void)
{
	store_close(store);
	bouncerules_free(rules);
	fuzz_rmdir(dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	STORE_OPTS o = { 0, 64ULL << 20, 0600, 0 };
	const char *top = getenv("TOP_SRCDIR");
	char err[256], path[4096], *errors = NULL;

	(void)argc;
	(void)argv;
	if (top == NULL) {
		fprintf(stderr, "fuzz_rpaccount: TOP_SRCDIR is not set\n");
		exit(2);
	}
	snprintf(path, sizeof(path), "%s/contrib/bounce-rules", top);
	if ((rules = bouncerules_load(path, &errors)) == NULL) {
		fprintf(stderr, "fuzz_rpaccount: %s\n", errors ? errors : path);
		exit(2);
	}
	free(errors);
	snprintf(dir, sizeof(dir), "/tmp/fuzz_rpaccount.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		perror("fuzz_rpaccount: mkdtemp");
		exit(2);
	}
	if ((store = store_open(dir, &o, err, sizeof(err))) == NULL) {
		fprintf(stderr, "fuzz_rpaccount: %s\n", err);
		(void)rmdir(dir);
		exit(2);
	}
	atexit(cleanup);
	return 0;
}

struct run {
	const uint8_t	*data;
	size_t		 size;
	int		 shape;
	RPACCOUNT_RULES	 ru;
	RPRECORD	 rec;
	int		 listed[NRCPTS][KINDS];	/* events of each recipient */
	int		 unlisted[KINDS];
	unsigned	 forwards, taken;
};

static int
kind_index(const char *kind)
{
	return strcmp(kind, "failure") == 0 ? 0 : strcmp(kind, "delay") == 0 ?
	    1 : strcmp(kind, "complaint") == 0 ? 2 : 3;
}

/* Which listed recipient an address is, canonical; -1: none. */
static int
which_rcpt(const char *addr)
{
	char key[ADDR_KEY_MAX];
	size_t i, n;

	if (addr[0] == '\0' || addr_canon(addr, strlen(addr), key,
	    sizeof(key), &n) != NULL)
		return -1;
	for (i = 0; i < NRCPTS; i++)
		if (strcmp(key, rcpts[i]) == 0)
			return (int)i;
	return -1;
}

static void
check_result(struct run *r, const RPACCOUNT_RESULT *res, int have_record)
{
	int sum = 0, v, w;
	size_t i, nlisted = r->shape == 1 ? 1 : r->shape == 2 ? 0 : NRCPTS;

	FUZZ_CHECK(res->nrcpts <= BOUNCE_RCPTS_MAX);
	FUZZ_CHECK(res->have_record == have_record);
	for (v = 0; v < RPACCOUNT_VERDICTS; v++)
		sum += res->n[v];
	FUZZ_CHECK(sum == (int)res->nrcpts);
	if (!have_record) {
		FUZZ_CHECK(!res->forward && res->n[RPACCOUNT_COUNTED] == 0);
		return;
	}
	r->forwards += res->forward != 0;
	r->taken += !res->over;
	for (i = 0; i < res->nrcpts; i++) {
		const BOUNCE_RCPT *e = &res->rcpts[i];
		int k = kind_index(rpaccount_kind(e));

		v = res->verdict[i];
		FUZZ_CHECK(v >= 0 && v < RPACCOUNT_VERDICTS);
		FUZZ_CHECK(!res->suppressed[i] || (v == RPACCOUNT_COUNTED &&
		    !res->unlisted[i]));
		if (v != RPACCOUNT_COUNTED)
			continue;
		if (res->unlisted[i]) {
			r->unlisted[k]++;
			continue;
		}
		w = which_rcpt(e->address);
		if (w < 0 || (size_t)w >= nlisted)
			w = which_rcpt(e->original);
		FUZZ_CHECK(w >= 0 && (size_t)w < nlisted);
		r->listed[w][k]++;
	}
}

static int
suppressed_one(const SUPPRESS_ENTRY *e, void *ctx)
{
	const struct run *r = ctx;
	int w = which_rcpt(e->addr);

	FUZZ_CHECK(w >= 0 && (r->shape != 1 || w == 0));
	FUZZ_CHECK(r->shape != 2);
	return 0;
}

#define ABORT_TXN	7	/* nothing fuzzed is ever committed */

static int
run_in_store(STORE_TXN *t, void *ctx)
{
	struct run *r = ctx;
	RPACCOUNT_RESULT *res = calloc(1, sizeof(*res));
	BOUNCE *b = calloc(1, sizeof(*b));
	const uint8_t *data = r->data, *part;
	size_t size = r->size, plen, i;
	unsigned limit;
	int n, k;

	FUZZ_CHECK(res != NULL && b != NULL);
	FUZZ_CHECK(rprecord_put(t, 1, &r->rec) == 0);
	for (n = 0; n < REPORTS_MAX && size > 0; n++) {
		char *msg;

		fuzz_split(&data, &size, &part, &plen);
		msg = fuzz_dup(part, plen);
		bounce_parse(msg, plen, "rp", "bounce.example.com", rules, b);
		FUZZ_CHECK(rpaccount_report(t, &r->ru, 1, b, 1000, res) == 0);
		check_result(r, res, 1);
		/* the same report for a token whose record is gone */
		FUZZ_CHECK(rpaccount_report(t, &r->ru, 2, b, 1000, res) == 0);
		check_result(r, res, 0);
		free(msg);
	}
	for (i = 0; i < NRCPTS; i++)
		for (k = 0; k < KINDS; k++)
			FUZZ_CHECK(r->listed[i][k] <= 1);
	for (k = 0; k < KINDS; k++)
		FUZZ_CHECK(r->unlisted[k] <= 1);
	FUZZ_CHECK(!r->ru.forward ? r->forwards == 0 :
	    r->forwards <= (r->rec.nrcpts > 0 ? r->rec.nrcpts : 1));
	limit = r->ru.reports_per_rcpt * (unsigned)(r->rec.nrcpts > 0 ?
	    r->rec.nrcpts : 1);
	FUZZ_CHECK(r->ru.reports_per_rcpt == 0 || r->taken <= limit);
	FUZZ_CHECK(suppress_list(t, suppressed_one, r) == 0);
	rprecord_clear(&res->record);
	free(res);
	free(b);
	return ABORT_TXN;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t limits[] = { 0, 1, 3, 3 };
	struct run r;
	char err[256];
	size_t i;

	if (size == 0)
		return 0;
	memset(&r, 0, sizeof(r));
	r.shape = data[0] & 3;
	r.ru.suppression = data[0] & 4 ? RPACCOUNT_SUPPRESS_SENDER :
	    RPACCOUNT_SUPPRESS_GLOBAL;
	r.ru.keep_hard = 86400;
	r.ru.keep_complaint = 0;
	r.ru.forward = (data[0] & 8) != 0;
	r.ru.reports_per_rcpt = limits[(data[0] >> 4) & 3];
	r.data = data + 1;
	r.size = size - 1;
	r.rec.created = 900;
	r.rec.expires = 5000;
	snprintf(r.rec.sender, sizeof(r.rec.sender), "alice@example.com");
	snprintf(r.rec.from, sizeof(r.rec.from), "alice@example.com");
	snprintf(r.rec.qid, sizeof(r.rec.qid), "Q1");
	if (r.shape == 0 || r.shape == 3)
		for (i = 0; i < NRCPTS; i++)
			rprecord_add(&r.rec, rcpts[i]);
	else if (r.shape == 1)
		rprecord_add(&r.rec, rcpts[0]);
	if (r.shape == 3)	/* 56 more that the record does not keep */
		r.rec.nrcpts += 56;
	FUZZ_CHECK(store_write(store, run_in_store, &r, err, sizeof(err)) ==
	    ABORT_TXN);
	rprecord_clear(&r.rec);
	return 0;
}
