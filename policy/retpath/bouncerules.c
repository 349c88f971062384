/*
 * bouncerules.c - parse and apply bounce classification rules (see
 * bouncerules.h).
 *
 * Owns: bouncerules_parse(), bouncerules_load(), bouncerules_builtin(),
 * bouncerules_add_builtin(),
 * bouncerules_classify(), bouncerules_class(), bouncerules_reason_valid(),
 * bouncerules_count(), bouncerules_free().
 *
 * Decisions: the built-in rules are policy/retpath/bounce-rules.builtin, compiled
 * in as text (bouncerules_text.c, made by the build) and parsed like an
 * operator's file; an operator's rules are tried first, so they add to
 * or override the built-in ones.  A class word where a reason belongs
 * (the rules files of earlier versions) stands for one reason of that
 * class, the one whose effect matches what the class did then.
 * Must not: accept a rule it cannot compile, or a reason it does not know,
 * or a pattern that repeats more than BR_PATTERN_COST_MAX atoms once its
 * repetitions are unrolled (glibc's regcomp() copies the repeated part
 * for each '+' and bound: "x+++++++++++++++++++++++++++++++" or
 * "((x{99}){99}){99}" would take gigabytes to compile), or that stacks
 * repetitions ("x*?*?*?", undefined in POSIX, exponential in glibc).
 */
#include <ctype.h>
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "retpath/bouncerules.h"
#include "base/panic.h"
#include "base/mem.h"
#include "base/textfile.h"

enum { BR_STATUS, BR_DIAGNOSTIC, BR_SUBJECT, BR_ANY };

#define BR_PATTERN_COST_MAX	2000	/* atoms, repetitions unrolled: a
					   few hundred kilobytes compiled */
#define BR_PATTERN_DEPTH_MAX	64	/* nested groups */

/* The reasons, and the class each one has (bouncerules.h). */
static const struct {
	const char	*reason, *cls;
} br_reasons[] = {
	{ "user-unknown", "hard" },
	{ "host-unknown", "hard" },
	{ "mailbox-disabled", "hard" },
	{ "mailbox-full", "quota" },
	{ "message-too-large", "soft" },
	{ "blocked", "policy" },
	{ "spam-content", "policy" },
	{ "authentication", "policy" },
	{ "policy-other", "policy" },
	{ "virus", "policy" },
	{ "rate-limited", "soft" },
	{ "expired", "soft" },
	{ "system-error", "soft" },
	{ "complaint", "complaint" },
	{ "auto-reply", "auto-reply" },
	{ "unknown", "unknown" },
};
#define BR_NREASONS	(sizeof(br_reasons) / sizeof(br_reasons[0]))

/* Class words of earlier rules files, and the reason each stands for. */
static const struct {
	const char	*cls, *reason;
} br_legacy[] = {
	{ "hard", "user-unknown" }, { "soft", "system-error" },
	{ "quota", "mailbox-full" }, { "policy", "policy-other" },
};

extern const char bouncerules_text[];	/* bouncerules_text.c */
static const char *const br_fields[] = {
	"status", "diagnostic", "subject", "any", NULL
};

struct br_rule {
	const char	*reason;	/* one of br_reasons */
	int		 field;
	regex_t		 re;
};

struct BOUNCE_RULES {
	struct br_rule	*r;
	size_t		 n;
};

static int
br_word(const char *const *list, const char *w, size_t len)
{
	int i;

	for (i = 0; list[i] != NULL; i++)
		if (strlen(list[i]) == len && strncasecmp(list[i], w, len) == 0)
			return i;
	return -1;
}

void
bouncerules_free(BOUNCE_RULES *br)
{
	size_t i;

	if (br == NULL)
		return;
	for (i = 0; i < br->n; i++)
		regfree(&br->r[i].re);
	free(br->r);
	free(br);
}

/* n * m, or BR_PATTERN_COST_MAX + 1 when larger. */
static size_t
br_cost_mul(size_t n, size_t m)
{
	if (m != 0 && n > (BR_PATTERN_COST_MAX + 1) / m)
		return BR_PATTERN_COST_MAX + 1;
	return n * m;
}

/* How many copies a repetition at *p makes (advances *p past it); 1 for
 * '*', '?' and what is not a repetition. */
static size_t
br_repeat(const char **p)
{
	const char *s = *p;
	unsigned long lo = 0, hi;
	char *end = (char *)s + 1;

	if (*s == '+') {
		*p = s + 1;
		return 2;
	}
	if (*s != '{')
		return 1;
	if (isdigit((unsigned char)s[1]))
		lo = strtoul(s + 1, &end, 10);
	else if (s[1] != ',')
		return 1;
	if (lo > BR_PATTERN_COST_MAX)		/* and lo + 1 cannot wrap */
		lo = BR_PATTERN_COST_MAX;
	hi = lo;
	if (*end == ',') {
		if (isdigit((unsigned char)end[1]))
			hi = strtoul(end + 1, &end, 10);
		else {
			hi = lo + 1;		/* {n,}: n copies and a star */
			end++;
		}
	}
	if (*end != '}')
		return 1;
	*p = end + 1;
	if (hi > BR_PATTERN_COST_MAX)
		hi = BR_PATTERN_COST_MAX + 1;
	return hi > 1 ? hi : 1;
}

/* Past the bracket expression at s ("[...]"); at its end if unclosed. */
static const char *
br_bracket(const char *s)
{
	s++;
	if (*s == '^')
		s++;
	if (*s == ']')
		s++;
	for (; *s != '\0' && *s != ']'; s++) {
		if (*s == '[' && (s[1] == ':' || s[1] == '=' || s[1] == '.')) {
			char c = s[1];

			for (s += 2; *s != '\0' && !(s[0] == c && s[1] == ']');
			    s++)
				;
			if (*s == '\0')
				return s;
			s++;
		}
	}
	return *s == ']' ? s + 1 : s;
}

/*
 * The atoms of an extended regular expression once its repetitions are
 * unrolled, as regcomp() builds it; BR_PATTERN_COST_MAX + 1 when more,
 * or when groups nest deeper than BR_PATTERN_DEPTH_MAX.
 */
static size_t
br_pattern_cost(const char *s)
{
	size_t total[BR_PATTERN_DEPTH_MAX + 1], last = 0, m;
	int depth = 0, reps;

	total[0] = 0;
	while (*s != '\0') {
		switch (*s) {
		case '(':
			if (depth == BR_PATTERN_DEPTH_MAX)
				return BR_PATTERN_COST_MAX + 1;
			total[++depth] = 0;
			s++;
			last = 0;
			continue;
		case ')':
			if (depth > 0) {
				last = total[depth--] + 1;
				total[depth] += last;
				s++;
				break;
			}
			/* a ')' outside groups is a plain character */
			/* FALLTHROUGH */
		default:
			if (*s == '[')
				s = br_bracket(s);
			else if (*s == '\\' && s[1] != '\0')
				s += 2;
			else if (*s == '|' || *s == '*' || *s == '?' ||
			    *s == '^' || *s == '$') {
				if (*s == '|')
					last = 0;
				s++;
				continue;
			} else
				s++;
			last = 1;
			total[depth] += last;
			break;
		}
		/* the repetitions after an atom or a group copy it; POSIX
		 * leaves stacked ones undefined, and glibc's take exponential
		 * time ("x*?+?*+"): one at most */
		for (reps = 0; (m = br_repeat(&s)) > 1 || *s == '*' ||
		    *s == '?'; ) {
			if (++reps > 1)
				return BR_PATTERN_COST_MAX + 1;
			if (m == 1) {
				s++;
				continue;
			}
			total[depth] -= last;
			last = br_cost_mul(last, m);
			total[depth] += last;
			if (total[depth] > BR_PATTERN_COST_MAX)
				return BR_PATTERN_COST_MAX + 1;
		}
		if (total[depth] > BR_PATTERN_COST_MAX)
			return BR_PATTERN_COST_MAX + 1;
	}
	return total[0];
}

/* One line (no line end, NUL-terminated copy); 0 or -1 with an error. */
/* The reason a rule's first word names (a reason, or a legacy class). */
static const char *
br_reason(const char *w, size_t len)
{
	size_t i;

	for (i = 0; i < BR_NREASONS; i++)
		if (strlen(br_reasons[i].reason) == len &&
		    strncasecmp(br_reasons[i].reason, w, len) == 0)
			return br_reasons[i].reason;
	for (i = 0; i < sizeof(br_legacy) / sizeof(br_legacy[0]); i++)
		if (strlen(br_legacy[i].cls) == len &&
		    strncasecmp(br_legacy[i].cls, w, len) == 0)
			return br_legacy[i].reason;
	return NULL;
}

int
bouncerules_reason_valid(const char *reason)
{
	size_t i;

	for (i = 0; i < BR_NREASONS; i++)
		if (strcmp(br_reasons[i].reason, reason) == 0)
			return 1;
	return 0;
}

const char *
bouncerules_class(const char *reason)
{
	size_t i;

	for (i = 0; reason != NULL && i < BR_NREASONS; i++)
		if (strcmp(br_reasons[i].reason, reason) == 0)
			return br_reasons[i].cls;
	return "unknown";
}

static int
br_line(BOUNCE_RULES *br, char *s, const char *name, int line, char **errors)
{
	char *cls, *field, *re, msg[256];
	const char *reason;
	size_t clen, flen;
	int f, rc;

	while (isspace((unsigned char)*s))
		s++;
	if (*s == '\0' || *s == '#')
		return 0;
	cls = s;
	while (*s != '\0' && !isspace((unsigned char)*s))
		s++;
	clen = (size_t)(s - cls);
	while (isspace((unsigned char)*s))
		s++;
	field = s;
	while (*s != '\0' && !isspace((unsigned char)*s))
		s++;
	flen = (size_t)(s - field);
	while (isspace((unsigned char)*s))
		s++;
	re = s;
	for (s = re + strlen(re); s > re && isspace((unsigned char)s[-1]); )
		*--s = '\0';
	if ((reason = br_reason(cls, clen)) == NULL) {
		textfile_error(errors, name, line, "unknown reason \"%.*s\" "
		    "(user-unknown, host-unknown, mailbox-disabled, "
		    "mailbox-full, message-too-large, blocked, spam-content, "
		    "authentication, policy-other, virus, rate-limited, "
		    "expired, system-error, complaint, auto-reply, unknown; "
		    "or a class: hard, soft, quota, policy)", (int)clen, cls);
		return -1;
	}
	if (flen == 0 || (f = br_word(br_fields, field, flen)) < 0) {
		textfile_error(errors, name, line, "unknown field \"%.*s\" (status, "
		    "diagnostic, subject or any)", (int)flen, field);
		return -1;
	}
	if (*re == '\0') {
		textfile_error(errors, name, line, "no pattern");
		return -1;
	}
	if (br->n == BOUNCERULES_MAX) {
		textfile_error(errors, name, line, "more than %d rules",
		    BOUNCERULES_MAX);
		return -1;
	}
	if (br_pattern_cost(re) > BR_PATTERN_COST_MAX) {
		textfile_error(errors, name, line, "pattern \"%.60s\" repeats "
		    "too much (a repetition of a repetition, or more than %d "
		    "atoms once unrolled)", re, BR_PATTERN_COST_MAX);
		return -1;
	}
	br->r = mem_realloc(br->r, (br->n + 1) * sizeof(*br->r));
	if ((rc = regcomp(&br->r[br->n].re, re, REG_EXTENDED | REG_ICASE |
	    REG_NOSUB)) != 0) {
		regerror(rc, &br->r[br->n].re, msg, sizeof(msg));
		textfile_error(errors, name, line, "bad pattern \"%s\": %s", re, msg);
		return -1;
	}
	br->r[br->n].reason = reason;
	br->r[br->n].field = f;
	br->n++;
	return 0;
}

struct br_parse {
	BOUNCE_RULES	*br;
	const char	*name;
};

static int
br_line_fn(void *ctx, const char *p, size_t l, int n, char **errors)
{
	struct br_parse *bp = ctx;
	char *line = mem_strndup(p, l);
	int rc = br_line(bp->br, line, bp->name, n, errors);

	free(line);
	return rc;
}

BOUNCE_RULES *
bouncerules_parse(const char *text, size_t len, const char *name,
    char **errors)
{
	struct br_parse bp = { mem_calloc(1, sizeof(BOUNCE_RULES)), name };
	BOUNCE_RULES *br = bp.br;

	*errors = NULL;
	if (textfile_lines(text, len, name, br_line_fn, &bp, errors) != 0) {
		bouncerules_free(br);
		return NULL;
	}
	return br;
}

/* The built-in rules after br's own. */
void
bouncerules_add_builtin(BOUNCE_RULES *br)
{
	BOUNCE_RULES *b = bouncerules_builtin();

	br->r = mem_realloc(br->r, (br->n + b->n) * sizeof(*br->r));
	memcpy(br->r + br->n, b->r, b->n * sizeof(*b->r));
	br->n += b->n;
	free(b->r);		/* the compiled patterns now belong to br */
	free(b);
}

BOUNCE_RULES *
bouncerules_builtin(void)
{
	char *errors = NULL;
	BOUNCE_RULES *br;

	br = bouncerules_parse(bouncerules_text, strlen(bouncerules_text),
	    "built-in bounce rules", &errors);
	if (br == NULL)		/* test_bounce parses them: never here */
		panic_die("built-in bounce rules: %s", errors ? errors : "");
	return br;
}

BOUNCE_RULES *
bouncerules_load(const char *path, char **errors)
{
	BOUNCE_RULES *br;
	size_t len;
	char *buf;

	*errors = NULL;
	if (path == NULL)
		return bouncerules_builtin();
	if ((buf = textfile_read(path, BOUNCERULES_FILE_MAX, &len, errors)) ==
	    NULL)
		return NULL;
	br = bouncerules_parse(buf, len, path, errors);
	free(buf);
	if (br != NULL)
		bouncerules_add_builtin(br);
	return br;
}

/*
 * A diagnostic with each address cut down to its "@" and each URL to its
 * host and a "/" (never longer than s): the rules judge what the receiver
 * said, not the words an address or a path is made of ("filtered@...",
 * "https://.../#spam"); a URL's host says whose page it is (a blocklist's
 * lookup page names the list: "http://www.spamhaus.org/query/...").
 * Into buf when it fits, else allocated: the caller frees what is not buf.
 */
static char *
br_mask_addresses(const char *s, char *buf, size_t bufsize)
{
	size_t len = strlen(s), a, z, o = 0, i;
	char *out = len < bufsize ? buf : mem_alloc(len + 1);

	for (i = 0; i < len; ) {
		/* a URL says nothing of itself ("...#filtered", "/spam/") */
		if ((s[i] == 'h' || s[i] == 'H') && (strncasecmp(s + i,
		    "http://", 7) == 0 || strncasecmp(s + i, "https://", 8) ==
		    0)) {
			i += s[i + 4] == ':' ? 7 : 8;
			while (i < len && !isspace((unsigned char)s[i]) &&
			    strchr("/?#", s[i]) == NULL)
				out[o++] = s[i++];
			while (i < len && !isspace((unsigned char)s[i]))
				i++;
			out[o++] = '/';
			continue;
		}
		if (s[i] != '@') {
			out[o++] = s[i++];
			continue;
		}
		for (a = o; a > 0 && !isspace((unsigned char)out[a - 1]) &&
		    strchr("<>()[]'\",;:", out[a - 1]) == NULL; a--)
			;
		for (z = i + 1; z < len && !isspace((unsigned char)s[z]) &&
		    strchr("<>()[]'\",;:", s[z]) == NULL; z++)
			;
		while (z > i + 1 && s[z - 1] == '.')
			z--;
		o = a;
		out[o++] = '@';
		i = z;
	}
	out[o] = '\0';
	return out;
}

static BOUNCE_RULES *br_default;		/* the built-in rules, once */
static pthread_once_t br_default_once = PTHREAD_ONCE_INIT;

static void
br_default_make(void)
{
	br_default = bouncerules_builtin();
}

const char *
bouncerules_classify(const BOUNCE_RULES *br, const char *status,
    const char *diag, const char *subject)
{
	/* on the stack unless long: the text readers ask for every line */
	char mbuf[1024], abuf[2048], *masked, *any = NULL;
	const char *v, *reason = "unknown";
	size_t i, n;

	if (br == NULL) {
		(void)pthread_once(&br_default_once, br_default_make);
		br = br_default;
	}
	masked = br_mask_addresses(diag, mbuf, sizeof(mbuf));
	for (i = 0; i < br->n; i++) {
		switch (br->r[i].field) {
		case BR_STATUS: v = status; break;
		case BR_DIAGNOSTIC: v = masked; break;
		case BR_SUBJECT: v = subject; break;
		default:
			if (any == NULL) {	/* made at the first such rule */
				n = strlen(status) + strlen(masked) +
				    strlen(subject) + 3;
				any = n <= sizeof(abuf) ? abuf : mem_alloc(n);
				snprintf(any, n, "%s\n%s\n%s", status, masked,
				    subject);
			}
			v = any;
			break;
		}
		if (regexec(&br->r[i].re, v, 0, NULL, 0) == 0) {
			reason = br->r[i].reason;
			break;
		}
	}
	if (any != NULL && any != abuf)
		free(any);
	if (masked != mbuf)
		free(masked);
	return reason;
}

size_t
bouncerules_count(const BOUNCE_RULES *br)
{
	return br ? br->n : 0;
}
