/*
 * fuzz_tclass.c - tclass_header() and tclass_decide() on any headers,
 * sender key and class rules (ClassHeader, BulkSenders,
 * TransactionalSenders as conf_shape.c hands them over).
 *
 * The input is NUL-separated: the class header's name, the bulk and the
 * transactional sender lists (each empty: NULL), the sender key (no such
 * part: NULL), then header names and values in turn.  The last octet
 * sizes the buffer for why.
 *
 * Holds for every input: the class is transactional or bulk, the same as
 * a plain model of tclass.h's four rules gives (the first class header
 * whose value is bulk or transactional; the key or its domain, or a
 * parent domain, in the transactional then the bulk list; Precedence
 * bulk, list or junk, then List-Id, then List-Unsubscribe; else
 * transactional); why is NUL-terminated in its buffer and, given room,
 * names the rule; a message with no headers and no lists is transactional
 * by default.
 */
#include <ctype.h>
#include <strings.h>

#include "fuzz.h"
#include "shaping/tclass.h"

#define HEADERS_MAX	16

/* value, trimmed, is word (any case) */
static int
value_is(const char *v, const char *word)
{
	size_t n;

	while (isspace((unsigned char)*v))
		v++;
	n = strlen(v);
	while (n > 0 && isspace((unsigned char)v[n - 1]))
		n--;
	return n == strlen(word) && strncasecmp(v, word, n) == 0;
}

/* The key, its domain, or a parent of the domain is an entry of list. */
static int
model_listed(const char *list, const char *key)
{
	const char *at, *dom, *e;
	char entry[512];
	size_t n, dl;

	if (list == NULL || key == NULL)
		return 0;
	at = strrchr(key, '@');
	dom = at ? at + 1 : key;
	dl = strlen(dom);
	for (e = list; *e != '\0'; e += n) {
		e += strspn(e, ", \t");
		n = strcspn(e, ", \t");
		if (n == 0)
			break;
		if (n >= sizeof(entry))
			continue;
		memcpy(entry, e, n);
		entry[n] = '\0';
		if (strcasecmp(entry, key) == 0)
			return 1;
		if (strchr(entry, '@') != NULL)
			continue;
		if (strcasecmp(entry, dom) == 0 || (n < dl &&
		    dom[dl - n - 1] == '.' && strcasecmp(entry,
		    dom + dl - n) == 0))
			return 1;
	}
	return 0;
}

static int
model(const TCLASS_RULES *r, const char *key, char **name, char **value,
    size_t nh)
{
	int prec = 0, list = 0;
	size_t i;

	for (i = 0; i < nh; i++)
		if (r->class_header != NULL &&
		    strcasecmp(name[i], r->class_header) == 0) {
			if (value_is(value[i], "bulk"))
				return TCLASS_BULK;
			if (value_is(value[i], "transactional"))
				return TCLASS_TRANSACTIONAL;
		}
	if (model_listed(r->transactional_senders, key))
		return TCLASS_TRANSACTIONAL;
	if (model_listed(r->bulk_senders, key))
		return TCLASS_BULK;
	for (i = 0; i < nh; i++) {
		if (r->class_header != NULL &&
		    strcasecmp(name[i], r->class_header) == 0)
			continue;	/* the class header, whatever its name */
		if (strcasecmp(name[i], "Precedence") == 0 &&
		    (value_is(value[i], "bulk") || value_is(value[i], "list") ||
		    value_is(value[i], "junk")))
			prec = 1;
		if (strcasecmp(name[i], "List-Id") == 0 ||
		    strcasecmp(name[i], "List-Unsubscribe") == 0)
			list = 1;
	}
	return prec || list ? TCLASS_BULK : TCLASS_TRANSACTIONAL;
}

static char *
part_or_null(const uint8_t **data, size_t *size, int *present)
{
	const uint8_t *p;
	size_t n;

	*present = *size > 0;
	fuzz_split(data, size, &p, &n);
	return n > 0 ? fuzz_str(p, n) : NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t whylen = size > 0 ? data[size - 1] % 64 + 1 : 64, nh = 0, i;
	char *hdr, *bulk, *trans, *key, *name[HEADERS_MAX];
	char *value[HEADERS_MAX], why[64], empty_why[64];
	const uint8_t *p;
	size_t n;
	TCLASS_RULES r, none = { NULL, NULL, NULL };
	TCLASS_MSG m, e;
	int present, cls, want;

	hdr = part_or_null(&data, &size, &present);
	bulk = part_or_null(&data, &size, &present);
	trans = part_or_null(&data, &size, &present);
	key = part_or_null(&data, &size, &present);
	if (key == NULL && present)
		key = fuzz_str(NULL, 0);
	while (size > 0 && nh < HEADERS_MAX) {
		fuzz_split(&data, &size, &p, &n);
		name[nh] = fuzz_str(p, n);
		fuzz_split(&data, &size, &p, &n);
		value[nh] = fuzz_str(p, n);
		nh++;
	}
	r.class_header = hdr;
	r.bulk_senders = bulk;
	r.transactional_senders = trans;

	tclass_init(&m);
	for (i = 0; i < nh; i++)
		tclass_header(&m, &r, name[i], value[i]);
	memset(why, 'x', sizeof(why));
	cls = tclass_decide(&m, &r, key, why, whylen);
	FUZZ_CHECK(cls == TCLASS_TRANSACTIONAL || cls == TCLASS_BULK);
	FUZZ_CHECK(memchr(why, '\0', whylen) != NULL);
	FUZZ_CHECK(whylen == 1 || why[0] != '\0');
	want = model(&r, key, name, value, nh);
	FUZZ_CHECK(cls == want);
	FUZZ_CHECK(strcmp(tclass_name(cls), cls == TCLASS_BULK ? "bulk" :
	    "transactional") == 0);

	tclass_init(&e);
	FUZZ_CHECK(tclass_decide(&e, &none, key, empty_why,
	    sizeof(empty_why)) == TCLASS_TRANSACTIONAL &&
	    strcmp(empty_why, "default") == 0);

	for (i = 0; i < nh; i++) {
		free(name[i]);
		free(value[i]);
	}
	free(key);
	free(trans);
	free(bulk);
	free(hdr);
	return 0;
}
