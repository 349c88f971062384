/*
 * align.c - organisational domains and relaxed alignment (see align.h).
 *
 * Owns: align_orgdomain(), align_check().
 * Decisions: the public suffix list is libpsl's job (psl_latest() reads
 * the newest list Debian's publicsuffix package installed); it is loaded
 * once, on first use, and shared read-only by every thread.
 * Must not: call a public suffix or an unknown name the organisational
 * domain of something else.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <libpsl.h>

#include "dkim/align.h"

static const psl_ctx_t *align_psl;
static pthread_once_t align_once = PTHREAD_ONCE_INIT;

static void
align_load(void)
{
	psl_ctx_t *latest = psl_latest(NULL);

	align_psl = latest != NULL ? latest : psl_builtin();
}

void
align_orgdomain(const char *domain, char *out, size_t outsize)
{
	char lower[ALIGN_DOMAIN_MAX];
	const char *reg = NULL;
	size_t i, n = strlen(domain);

	while (n > 0 && domain[n - 1] == '.')
		n--;
	if (n >= sizeof(lower))
		n = sizeof(lower) - 1;
	for (i = 0; i < n; i++)
		lower[i] = (char)tolower((unsigned char)domain[i]);
	lower[n] = '\0';
	pthread_once(&align_once, align_load);
	if (align_psl != NULL && n > 0)
		reg = psl_registrable_domain(align_psl, lower);
	snprintf(out, outsize, "%s", reg != NULL ? reg : lower);
}

static int
align_same(const char *a, const char *b)
{
	char oa[ALIGN_DOMAIN_MAX], ob[ALIGN_DOMAIN_MAX];

	if (*a == '\0' || *b == '\0')
		return 0;
	align_orgdomain(a, oa, sizeof(oa));
	align_orgdomain(b, ob, sizeof(ob));
	return strcmp(oa, ob) == 0;
}

int
align_check(const char *from, const char *envelope, const char *const *dkim,
    size_t ndkim)
{
	size_t i;

	if (from == NULL || *from == '\0')
		return 0;
	if (envelope != NULL && align_same(from, envelope))
		return 1;
	for (i = 0; i < ndkim; i++)
		if (dkim[i] != NULL && align_same(from, dkim[i]))
			return 1;
	return 0;
}
