/*
 * test_rptoken.c - unit tests for policy/retpath/rptoken.c.
 *
 * Round trip of id and expiry; every one of the 46 hex characters and
 * every bit of the 23 octets changed is detected; expiry to the second;
 * key rotation (the first key signs, every listed key verifies, a key
 * not listed does not); upper- and mixed-case tokens still verify; bad
 * lengths and characters; prefixes and the 64-octet local part limit
 * with a 255-octet domain; splitting a received local part.  Tokens are
 * checked from exact-length heap copies (no NUL after them).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "retpath/rptoken.h"
#include "tap.h"

static const char *
check(const char *tok, size_t len, const RPTOKEN_KEY *keys, size_t n,
    int64_t now, RPTOKEN_INFO *info)
{
	char *copy = malloc(len ? len : 1);
	const char *err;

	memcpy(copy, tok, len);
	err = rptoken_check(copy, len, keys, n, now, info);
	free(copy);
	return err;
}

static int
same(const char *got, const char *want)
{
	if (got == NULL || want == NULL)
		return got == want;
	return strcmp(got, want) == 0;
}

int
main(void)
{
	RPTOKEN_KEY a, b, both[2];
	RPTOKEN_INFO info;
	unsigned char sa[32], sb[48], big[300];
	char tok[RPTOKEN_LEN + 1], t2[RPTOKEN_LEN + 1], addr[400];
	char dom[256], prefix[32];
	const char *err, *p;
	size_t i, n, bad;
	int bit;
	const int64_t exp = 1900000000;

	memset(sa, 0xa5, sizeof(sa));
	memset(sb, 0x5a, sizeof(sb));
	tap_str(rptoken_key_set(&a, sa, 31), "secret shorter than 32 octets",
	    "a 31-octet secret is refused");
	tap_str(rptoken_key_set(&a, big, sizeof(big)),
	    "secret longer than 256 octets", "a 300-octet secret is refused");
	tap_ok(rptoken_key_set(&a, sa, sizeof(sa)) == NULL &&
	    rptoken_key_set(&b, sb, sizeof(sb)) == NULL, "32- and 48-octet "
	    "secrets are taken");

	/* round trip */
	tap_ok(rptoken_make(&a, 0x0123456789abcdefULL, exp, tok, sizeof(tok))
	    == NULL && strlen(tok) == RPTOKEN_LEN, "a token is made: %s", tok);
	for (i = 0; i < RPTOKEN_LEN && (isdigit((unsigned char)tok[i]) ||
	    (tok[i] >= 'a' && tok[i] <= 'f')); i++)
		;
	tap_int((long long)i, RPTOKEN_LEN, "made in lower-case hex only");
	err = check(tok, RPTOKEN_LEN, &a, 1, exp - 86400, &info);
	tap_ok(err == NULL && info.id == 0x0123456789abcdefULL &&
	    info.expires == exp && info.key == 0, "round trip: id, expiry, "
	    "key index (%s)", err ? err : "ok");
	tap_str(rptoken_make(&a, 1, exp, t2, RPTOKEN_LEN),
	    "no room for the token", "no room: refused");
	tap_str(rptoken_make(&a, 1, -1, t2, sizeof(t2)), "expiry out of range",
	    "negative expiry refused");
	tap_str(rptoken_make(&a, 1, (int64_t)1 << 32, t2, sizeof(t2)),
	    "expiry out of range", "expiry beyond 32 bits refused");
	tap_ok(rptoken_make(&a, 2, exp, t2, sizeof(t2)) == NULL &&
	    strcmp(tok, t2) != 0, "another id gives another token");

	/* every character and every bit */
	for (bad = 0, i = 0; i < RPTOKEN_LEN; i++) {
		memcpy(t2, tok, sizeof(tok));
		t2[i] = tok[i] == '0' ? '1' : '0';
		err = check(t2, RPTOKEN_LEN, &a, 1, exp - 1, &info);
		if (!same(err, i < 2 ? "unknown token version" :
		    "forged or altered token"))
			bad++;
	}
	tap_int((long long)bad, 0, "each of the %d characters changed: "
	    "detected", RPTOKEN_LEN);
	for (bad = 0, i = 0; i < RPTOKEN_LEN; i++)
		for (bit = 0; bit < 4; bit++) {
			int v = isdigit((unsigned char)tok[i]) ? tok[i] - '0' :
			    tok[i] - 'a' + 10;
			memcpy(t2, tok, sizeof(tok));
			v ^= 1 << bit;
			t2[i] = "0123456789abcdef"[v];
			if (check(t2, RPTOKEN_LEN, &a, 1, exp - 1, &info) ==
			    NULL)
				bad++;
		}
	tap_int((long long)bad, 0, "each of the %d bits flipped: detected",
	    RPTOKEN_LEN * 4);

	/* case folding */
	for (i = 0; i < RPTOKEN_LEN; i++)
		t2[i] = (char)toupper((unsigned char)tok[i]);
	tap_ok(check(t2, RPTOKEN_LEN, &a, 1, exp, &info) == NULL,
	    "an upper-cased token verifies");
	for (i = 0; i < RPTOKEN_LEN; i++)
		t2[i] = i % 2 ? (char)toupper((unsigned char)tok[i]) : tok[i];
	tap_ok(check(t2, RPTOKEN_LEN, &a, 1, exp, &info) == NULL,
	    "a mixed-case token verifies");

	/* expiry */
	tap_ok(check(tok, RPTOKEN_LEN, &a, 1, exp, &info) == NULL,
	    "valid at its expiry second");
	tap_str(check(tok, RPTOKEN_LEN, &a, 1, exp + 1, &info),
	    "expired token", "expired one second later");
	tap_ok(rptoken_make(&a, 7, 0, t2, sizeof(t2)) == NULL, "expiry 0");
	tap_str(check(t2, RPTOKEN_LEN, &a, 1, 1, &info), "expired token",
	    "a token that expired in 1970 is expired");

	/* rotation */
	both[0] = b;
	both[1] = a;
	err = check(tok, RPTOKEN_LEN, both, 2, exp, &info);
	tap_ok(err == NULL && info.key == 1, "rotation: made with the old "
	    "key, verified by the second listed key");
	tap_str(check(tok, RPTOKEN_LEN, &b, 1, exp, &info),
	    "forged or altered token", "a key not listed: forged");
	tap_str(check(tok, RPTOKEN_LEN, both, 0, exp, &info),
	    "forged or altered token", "no key at all: forged");
	tap_ok(rptoken_make(&both[0], 9, exp, t2, sizeof(t2)) == NULL &&
	    check(t2, RPTOKEN_LEN, both, 2, exp, &info) == NULL &&
	    info.key == 0 && info.id == 9, "the new key signs and verifies");

	/* not tokens */
	tap_str(check(tok, RPTOKEN_LEN - 1, &a, 1, exp, &info),
	    "not a return-path token", "one character short");
	memcpy(t2, tok, sizeof(tok));
	t2[10] = 'g';
	tap_str(check(t2, RPTOKEN_LEN, &a, 1, exp, &info),
	    "not a return-path token", "a non-hex character");
	t2[10] = '\0';
	tap_str(check(t2, RPTOKEN_LEN, &a, 1, exp, &info),
	    "not a return-path token", "a NUL inside");
	tap_str(check("", 0, &a, 1, exp, &info), "not a return-path token",
	    "empty");

	/* prefixes and the address */
	tap_ok(rptoken_prefix_ok("rp", 2) == NULL &&
	    rptoken_prefix_ok("bounce_s-1.x", 12) == NULL, "good prefixes");
	tap_str(rptoken_prefix_ok("", 0), "empty prefix", "empty prefix");
	tap_str(rptoken_prefix_ok("a+b", 3), "prefix may only hold letters, "
	    "digits, '.', '-' and '_'", "'+' in a prefix");
	tap_str(rptoken_prefix_ok(".rp", 3), "prefix may not begin or end "
	    "with '.'", "leading dot");
	memset(prefix, 'p', sizeof(prefix));
	prefix[RPTOKEN_PREFIX_MAX + 1] = '\0';
	tap_str(rptoken_prefix_ok(prefix, strlen(prefix)),
	    "prefix longer than 17 characters", "an 18-character prefix");
	prefix[RPTOKEN_PREFIX_MAX] = '\0';
	memset(dom, 'd', sizeof(dom));
	for (i = 63; i < 255; i += 64)
		dom[i] = '.';
	dom[255] = '\0';
	err = rptoken_address(prefix, tok, dom, addr, sizeof(addr));
	p = strchr(addr, '@');
	tap_ok(err == NULL && p != NULL && p - addr == 64 &&
	    strlen(p + 1) == 255, "17-character prefix, 255-octet domain: a "
	    "64-octet local part (%s)", err ? err : "ok");
	tap_str(rptoken_address("rp", tok, dom, addr, 100),
	    "no room for the address", "no room for the address");
	tap_str(rptoken_address("rp", "abc", "x.example", addr, sizeof(addr)),
	    "not a return-path token", "a short token is not an address");

	/* a received local part */
	snprintf(addr, sizeof(addr), "RP+%s", tok);
	err = rptoken_split(addr, strlen(addr), "rp", &p, &n);
	tap_ok(err == NULL && n == RPTOKEN_LEN && memcmp(p, tok, n) == 0,
	    "split: upper-case prefix, the token after '+'");
	tap_str(rptoken_split(addr, 2, "rp", &p, &n),
	    "not a return-path address", "split: no '+'");
	snprintf(addr, sizeof(addr), "rpx+%s", tok);
	tap_str(rptoken_split(addr, strlen(addr), "rp", &p, &n),
	    "not a return-path address", "split: another prefix");
	snprintf(addr, sizeof(addr), "rp+");
	err = rptoken_split(addr, 3, "rp", &p, &n);
	tap_ok(err == NULL && n == 0, "split: an empty token is split "
	    "(and then refused by the check)");

	rptoken_key_wipe(&a);
	tap_ok(a.len == 0 && a.key[0] == 0, "a wiped key is all zero");
	return tap_done();
}
