/*
 * fuzz_dkimtag.c - dkimtag_get() on any DKIM-Signature field body (the
 * tag-lists of signatures in mail the filter passes on or reads back).
 *
 * The first octet is the size of a second, exact-size output buffer
 * (0 to 15); the octets up to the next NUL are a tag name, the rest the
 * tag-list.  The name is asked for, and so are d, s, b and v.  (A NUL in
 * a value is copied like any octet, so out may read shorter than it is.)
 *
 * Holds for every input: the result is NULL or one of the three
 * documented texts; out is a NUL-terminated string within its buffer, ""
 * on error; a value found holds no white space and no ';', and
 * "NAME=value" gives it back; a ';' appended to the list changes
 * nothing, nor does a tag of another name put before it; the small buffer
 * gets the same value when it fits (and the list holds no NUL), else
 * "tag value too long".
 */
#include "dkim/dkimtag.h"
#include "fuzz.h"

#define OUT_MAX	1024

static int
known_error(const char *err)
{
	return strcmp(err, "no such tag") == 0 ||
	    strcmp(err, "malformed tag list") == 0 ||
	    strcmp(err, "tag value too long") == 0;
}

/* The same answer: both NULL with the same value, or the same text. */
static void
check_same(const char *err, const char *out, const char *err2,
    const char *out2)
{
	if (err == NULL)
		FUZZ_CHECK(err2 == NULL && strcmp(out, out2) == 0);
	else
		FUZZ_CHECK(err2 != NULL && strcmp(err, err2) == 0);
}

static void
check_tag(const char *list, size_t len, const char *name, size_t smallsize)
{
	char out[OUT_MAX], out2[OUT_MAX], *small, *edit;
	const char *err, *err2;
	size_t nlen = strlen(name), vlen;
	int n;

	memset(out, 'x', sizeof(out));
	err = dkimtag_get(list, len, name, out, sizeof(out));
	FUZZ_CHECK(memchr(out, '\0', sizeof(out)) != NULL);
	if (err != NULL) {
		FUZZ_CHECK(known_error(err) && out[0] == '\0');
	} else {
		vlen = strlen(out);
		FUZZ_CHECK(strpbrk(out, " \t\r\n;") == NULL);
		n = snprintf(out2, sizeof(out2), "%s=%s", name, out);
		if (n > 0 && (size_t)n < sizeof(out2)) {
			edit = fuzz_dup((const uint8_t *)out2, (size_t)n);
			FUZZ_CHECK(dkimtag_get(edit, (size_t)n, name, out2,
			    sizeof(out2)) == NULL && strcmp(out2, out) == 0);
			free(edit);
		}

		if ((small = malloc(smallsize ? smallsize : 1)) == NULL)
			abort();
		err2 = dkimtag_get(list, len, name, small, smallsize);
		if (memchr(list, '\0', len) != NULL)
			/* a NUL cuts out short of the value's length */
			FUZZ_CHECK(err2 != NULL || strcmp(small, out) == 0);
		else if (vlen < smallsize)
			FUZZ_CHECK(err2 == NULL && strcmp(small, out) == 0);
		else
			FUZZ_CHECK(err2 != NULL &&
			    strcmp(err2, "tag value too long") == 0);
		free(small);
	}

	/* the list with ';' after it */
	edit = malloc(len + 1 + 1);
	FUZZ_CHECK(edit != NULL);
	if (len > 0)
		memcpy(edit, list, len);
	edit[len] = ';';
	err2 = dkimtag_get(edit, len + 1, name, out2, sizeof(out2));
	check_same(err, out, err2, out2);
	free(edit);

	/* another tag before it */
	if (nlen > 0 && strcmp(name, "zz") != 0) {
		edit = malloc(len + 6);
		FUZZ_CHECK(edit != NULL);
		memcpy(edit, "zz=1;", 5);
		if (len > 0)
			memcpy(edit + 5, list, len);
		err2 = dkimtag_get(edit, len + 5, name, out2, sizeof(out2));
		check_same(err, out, err2, out2);
		free(edit);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *part;
	size_t partlen, smallsize;
	char *name, *list;

	if (size == 0)
		return 0;
	smallsize = data[0] % 16;
	data++;
	size--;
	fuzz_split(&data, &size, &part, &partlen);
	name = fuzz_str(part, partlen);
	list = fuzz_dup(data, size);

	check_tag(list, size, name, smallsize);
	check_tag(list, size, "d", smallsize);
	check_tag(list, size, "s", smallsize);
	check_tag(list, size, "b", smallsize);
	check_tag(list, size, "v", smallsize);
	free(name);
	free(list);
	return 0;
}
