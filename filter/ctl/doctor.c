/*
 * doctor.c - the deliverability doctor (see doctor.h).
 *
 * Owns: doctor_run() and the checks dkim, signing, dmarc, bounces and
 * rdns; spf is doctor_spf.c's, the results doctor_result.c's.
 *
 * Decisions: every check asks DNS afresh (dnsq.c), and a DNS that does
 * not answer is a warning about that check, never a pass.  A fix is the
 * record to publish or the setting to change, written out in full so the
 * operator can copy it.  Names compare without case and without a
 * trailing dot.  DMARC is looked up at the domain, then at its
 * organisational domain (RFC 7489 6.6.3).
 *
 * Must not: change anything (it only reads the configuration and DNS).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dkim/align.h"
#include "dkim/dkimtag.h"
#include "ctl/doctor.h"
#include "ctl/doctor_result.h"
#include "ctl/doctor_spf.h"
#include "base/mem.h"
#include "dkim/signer.h"

/* a DNS name without its trailing dot, lower case */
static void
doctor_name(const char *in, char *out, size_t outsize)
{
	size_t i;

	for (i = 0; in[i] != '\0' && i + 1 < outsize; i++)
		out[i] = (char)tolower((unsigned char)in[i]);
	out[i] = '\0';
	if (i > 0 && out[i - 1] == '.')
		out[i - 1] = '\0';
}

static int
doctor_same(const char *a, const char *b)
{
	char x[300], y[300];

	doctor_name(a, x, sizeof(x));
	doctor_name(b, y, sizeof(y));
	return strcmp(x, y) == 0;
}

/* The first TXT record at name that begins with prefix ("v=DKIM1"); the
 * lookup's result (DNSQ_*), the record in out ("" if none). */
static int
doctor_txt(DNSQ *q, const char *name, const char *prefix, char *out,
    size_t outsize)
{
	DNSQ_RR *rr;
	size_t n, i;
	int rc;

	out[0] = '\0';
	if ((rc = dnsq_lookup(q, name, DNSQ_TXT, &rr, &n)) != DNSQ_OK)
		return rc;
	for (i = 0; i < n && out[0] == '\0'; i++)
		if (prefix == NULL || strncasecmp(rr[i].text, prefix,
		    strlen(prefix)) == 0 || (strncasecmp(prefix, "v=DKIM1",
		    7) == 0 && strstr(rr[i].text, "p=") != NULL))
			snprintf(out, outsize, "%s", rr[i].text);
	dnsq_free_rr(rr, n);
	return DNSQ_OK;
}

/* One key: its record is published, parses and holds its public half. */
static void
doctor_dkim_key(DNSQ *q, const SIGNER_KEY_INFO *k, DOCTOR *doc)
{
	char name[600], rec[4096], fix[1200], want[2048], got[2048];
	char kt[32], wkt[32];
	int rc;

	snprintf(name, sizeof(name), "%s._domainkey.%s", k->selector,
	    k->domain);
	snprintf(fix, sizeof(fix), "publish %s. IN TXT \"%s\"", name,
	    k->record);
	rc = doctor_txt(q, name, "v=DKIM1", rec, sizeof(rec));
	if (rc == DNSQ_ERROR) {
		doctor_add(doc, "dkim", name, DOCTOR_WARN, "check the "
		    "DNS servers of the domain", "DNS did not answer");
		return;
	}
	if (rec[0] == '\0') {
		doctor_add(doc, "dkim", name, DOCTOR_FAIL, fix, "no "
		    "DKIM record is published: receivers cannot "
		    "verify the signatures of key %s", k->name);
		return;
	}
	if (dkimtag_get(rec, strlen(rec), "p", got, sizeof(got)) !=
	    NULL) {
		doctor_add(doc, "dkim", name, DOCTOR_FAIL, fix, "the "
		    "published record does not parse (no p= tag): "
		    "\"%.300s\"", rec);
		return;
	}
	if (got[0] == '\0') {
		doctor_add(doc, "dkim", name, DOCTOR_FAIL, fix, "the "
		    "published key is revoked (empty p=)");
		return;
	}
	(void)dkimtag_get(k->record, strlen(k->record), "p", want,
	    sizeof(want));
	if (dkimtag_get(rec, strlen(rec), "k", kt, sizeof(kt)) != NULL)
		snprintf(kt, sizeof(kt), "rsa");
	(void)dkimtag_get(k->record, strlen(k->record), "k", wkt,
	    sizeof(wkt));
	if (strcasecmp(kt, wkt) != 0 || strcmp(got, want) != 0) {
		doctor_add(doc, "dkim", name, DOCTOR_FAIL, fix, "the "
		    "published key is not the public half of key %s "
		    "(published k=%s, key file k=%s): every signature "
		    "fails", k->name, kt, wkt);
		return;
	}
	if (strcmp(k->algorithm, "rsa-sha256") == 0 && k->bits < 2048)
		doctor_add(doc, "dkim", name, DOCTOR_WARN, "make a "
		    "2048-bit key (repguardctl keygen --bits 2048) "
		    "under a new selector, publish it, then switch",
		    "the published key matches, but it is an RSA key "
		    "of %d bits (2048 recommended)", k->bits);
	else
		doctor_add(doc, "dkim", name, DOCTOR_PASS, NULL, "the "
		    "published key matches key %s (%s, %d bits)",
		    k->name, k->algorithm, k->bits);
}

static void
doctor_dkim(const CONF *c, DNSQ *q, DOCTOR *doc)
{
	const SIGNER *s = conf_signer(c);
	SIGNER_KEY_INFO k;
	char name[600];
	size_t i;

	if (s == NULL || signer_keys(s) == 0) {
		doctor_add(doc, "dkim", "-", DOCTOR_FAIL, "make a key: "
		    "repguardctl keygen --domain DOMAIN --selector SELECTOR "
		    "--out DIR, publish the record it prints, and set Domain, "
		    "Selector and KeyFile (or KeyTable and SigningTable)",
		    "no DKIM key is configured: outbound mail is not signed");
		return;
	}
	for (i = 0; i < signer_keys(s); i++) {
		signer_key_info(s, i, &k);
		if (strcmp(k.domain, "%") == 0) {
			snprintf(name, sizeof(name), "%s._domainkey.%%",
			    k.selector);
			doctor_add(doc, "dkim", name, DOCTOR_WARN, "run "
			    "repguardctl check --domain DOMAIN for each "
			    "domain this key signs for", "key %s signs with "
			    "the domain of each message's address: no one "
			    "name to check", k.name);
			continue;
		}
		doctor_dkim_key(q, &k, doc);
	}
}

/* The DMARC record of domain (or its organisational domain): rc. */
static int
doctor_dmarc_find(DNSQ *q, const char *domain, char *where, size_t wsize,
    char *rec, size_t recsize)
{
	char org[300];
	int rc;

	snprintf(where, wsize, "_dmarc.%s", domain);
	if ((rc = doctor_txt(q, where, "v=DMARC1", rec, recsize)) !=
	    DNSQ_OK && rc != DNSQ_NXDOMAIN)
		return rc;
	if (rec[0] != '\0')
		return DNSQ_OK;
	align_orgdomain(domain, org, sizeof(org));
	if (strcasecmp(org, domain) == 0)
		return DNSQ_OK;
	snprintf(where, wsize, "_dmarc.%s", org);
	rc = doctor_txt(q, where, "v=DMARC1", rec, recsize);
	return rc == DNSQ_NXDOMAIN ? DNSQ_OK : rc;
}

static void
doctor_dmarc_one(const CONF *c, DNSQ *q, const char *domain, DOCTOR *doc)
{
	const char *rp = conf_str(c, KW_RP_DOMAIN);
	char where[320], rec[2048], p[64], fix[600], a[300], b[300];
	DOCTOR_RESULT *r;
	int rc;

	rc = doctor_dmarc_find(q, domain, where, sizeof(where), rec,
	    sizeof(rec));
	if (rc == DNSQ_ERROR) {
		doctor_add(doc, "dmarc", domain, DOCTOR_WARN, "check the DNS "
		    "servers of the domain", "DNS did not answer for %s",
		    where);
		return;
	}
	if (rec[0] == '\0') {
		snprintf(fix, sizeof(fix), "publish _dmarc.%s. IN TXT "
		    "\"v=DMARC1; p=none; rua=mailto:dmarc-reports@%s\", read "
		    "the reports, then tighten to p=quarantine", domain,
		    domain);
		doctor_add(doc, "dmarc", domain, DOCTOR_FAIL, fix, "no DMARC "
		    "record (neither _dmarc.%s nor at the organisational "
		    "domain): the large mailbox providers require one of "
		    "bulk senders", domain);
		return;
	}
	if (dkimtag_get(rec, strlen(rec), "p", p, sizeof(p)) != NULL)
		snprintf(p, sizeof(p), "?");
	if (strcasecmp(p, "none") == 0)
		r = doctor_add(doc, "dmarc", domain, DOCTOR_WARN, "once the "
		    "reports show your mail aligned, publish p=quarantine, "
		    "then p=reject", "%s: policy p=none (monitoring only)",
		    where);
	else
		r = doctor_add(doc, "dmarc", domain, DOCTOR_PASS, NULL,
		    "%s: policy p=%s", where, p);
	if (rp == NULL)
		return;
	align_orgdomain(rp, a, sizeof(a));
	align_orgdomain(domain, b, sizeof(b));
	if (strcasecmp(a, b) != 0) {
		snprintf(r->detail + strlen(r->detail), sizeof(r->detail) -
		    strlen(r->detail), "; the return-path domain %s does not "
		    "align with %s, so SPF cannot pass DMARC for it (DKIM "
		    "still can)", rp, domain);
		if (r->verdict == DOCTOR_PASS) {
			r->verdict = DOCTOR_WARN;
			snprintf(r->fix, sizeof(r->fix), "use a bounce domain "
			    "under %s (ReturnPathDomain bounce.%s) so that SPF "
			    "aligns too", b, b);
		}
	} else
		snprintf(r->detail + strlen(r->detail), sizeof(r->detail) -
		    strlen(r->detail), "; DKIM (d=%s) and the return-path "
		    "domain %s align", domain, rp);
}

static void
doctor_dmarc(const CONF *c, DNSQ *q, const DOCTOR_OPTS *o, DOCTOR *doc)
{
	const SIGNER *s = conf_signer(c);
	const char **seen = NULL;
	SIGNER_KEY_INFO k;
	size_t i, j, n = 0;

	for (i = 0; s != NULL && i < signer_keys(s) + o->ndomains; i++) {
		const char *d;

		if (i < signer_keys(s)) {
			signer_key_info(s, i, &k);
			d = k.domain;
		} else
			d = o->domains[i - signer_keys(s)];
		if (strcmp(d, "%") == 0)
			continue;
		for (j = 0; j < n && strcasecmp(seen[j], d) != 0; j++)
			;
		if (j < n)
			continue;
		seen = mem_realloc(seen, (n + 1) * sizeof(*seen));
		seen[n++] = d;
		doctor_dmarc_one(c, q, d, doc);
	}
	for (i = 0; s == NULL && i < o->ndomains; i++)
		doctor_dmarc_one(c, q, o->domains[i], doc);
	free(seen);
}

static void
doctor_bounces(const CONF *c, DNSQ *q, const DOCTOR_OPTS *o, DOCTOR *doc)
{
	const char *rp = conf_str(c, KW_RP_DOMAIN);
	const char *host = o->mx_host != NULL ? o->mx_host : o->helo;
	char fix[600], list[600] = "";
	DNSQ_RR *rr;
	size_t n, i;
	int rc, here = 0;

	if (rp == NULL) {
		doctor_add(doc, "bounces", "-", DOCTOR_WARN, "set "
		    "ReturnPathDomain to a domain whose MX is this relay",
		    "no ReturnPathDomain: bounces go to each sender's own "
		    "address and repguard cannot count them");
		return;
	}
	snprintf(fix, sizeof(fix), "publish %s. IN MX 10 %s.", rp,
	    host != NULL ? host : "THIS-RELAY");
	if ((rc = dnsq_lookup(q, rp, DNSQ_MX, &rr, &n)) == DNSQ_ERROR) {
		doctor_add(doc, "bounces", rp, DOCTOR_WARN, "check the DNS "
		    "servers of the domain", "DNS did not answer");
		return;
	}
	if (rc == DNSQ_NXDOMAIN || n == 0) {
		doctor_add(doc, "bounces", rp, DOCTOR_FAIL, fix, "%s has no "
		    "MX record: bounces to the rewritten return-path do not "
		    "come back", rp);
		dnsq_free_rr(rr, n);
		return;
	}
	if (n == 1 && (rr[0].text[0] == '\0' || strcmp(rr[0].text, ".") ==
	    0)) {
		doctor_add(doc, "bounces", rp, DOCTOR_FAIL, fix, "%s has a "
		    "null MX (RFC 7505): it receives no mail, bounces are "
		    "lost", rp);
		dnsq_free_rr(rr, n);
		return;
	}
	for (i = 0; i < n; i++) {
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
		    "%s%d %s", i ? ", " : "", rr[i].pref, rr[i].text);
		if (host != NULL && doctor_same(rr[i].text, host))
			here = 1;
	}
	dnsq_free_rr(rr, n);
	if (host == NULL)
		doctor_add(doc, "bounces", rp, DOCTOR_WARN, "give --helo or "
		    "--mx-host to check that the MX is this relay", "MX %s; "
		    "this relay's name is not known", list);
	else if (!here)
		doctor_add(doc, "bounces", rp, DOCTOR_WARN, fix, "MX %s does "
		    "not name this relay (%s): the MX must hand mail for %s to "
		    "a relay that runs repguard", list, host, rp);
	else
		doctor_add(doc, "bounces", rp, DOCTOR_PASS, NULL, "MX %s: "
		    "bounces come back to this relay", list);
}

/* "1.2.0.192.in-addr.arpa" or the ip6.arpa name; -1 if not an address */
static int
doctor_reverse(const char *addr, char *out, size_t outsize)
{
	unsigned char b[16];
	size_t o = 0;
	int i;

	if (inet_pton(AF_INET, addr, b) == 1) {
		snprintf(out, outsize, "%u.%u.%u.%u.in-addr.arpa", b[3], b[2],
		    b[1], b[0]);
		return AF_INET;
	}
	if (inet_pton(AF_INET6, addr, b) != 1 || outsize < 74)
		return -1;
	for (i = 15; i >= 0; i--)
		o += (size_t)snprintf(out + o, outsize - o, "%x.%x.",
		    b[i] & 15, b[i] >> 4);
	snprintf(out + o, outsize - o, "ip6.arpa");
	return AF_INET6;
}

static void
doctor_rdns_one(DNSQ *q, const char *addr, const char *helo, DOCTOR *doc)
{
	char rev[80], ptr[300] = "", fix[1200];
	unsigned char want[16], have[16];
	DNSQ_RR *rr;
	size_t n, i;
	int fam, rc, back = 0;

	if ((fam = doctor_reverse(addr, rev, sizeof(rev))) < 0) {
		doctor_add(doc, "rdns", addr, DOCTOR_FAIL, "give an IPv4 or "
		    "IPv6 address", "not an IP address");
		return;
	}
	snprintf(fix, sizeof(fix), "ask the owner of %s's network (the "
	    "hosting or access provider) for a PTR record %s. IN PTR %s.",
	    addr, rev, helo != NULL ? helo : "THIS-RELAY'S-NAME");
	if ((rc = dnsq_lookup(q, rev, DNSQ_PTR, &rr, &n)) == DNSQ_ERROR) {
		doctor_add(doc, "rdns", addr, DOCTOR_WARN, "check the reverse "
		    "DNS servers", "DNS did not answer for %s", rev);
		return;
	}
	if (n > 0)
		doctor_name(rr[0].text, ptr, sizeof(ptr));
	dnsq_free_rr(rr, n);
	if (ptr[0] == '\0') {
		doctor_add(doc, "rdns", addr, DOCTOR_FAIL, fix, "no PTR "
		    "record: the large mailbox providers refuse or throttle "
		    "mail from addresses without reverse DNS");
		return;
	}
	inet_pton(fam, addr, want);
	if ((rc = dnsq_lookup(q, ptr, fam == AF_INET ? DNSQ_A : DNSQ_AAAA,
	    &rr, &n)) == DNSQ_ERROR) {
		doctor_add(doc, "rdns", addr, DOCTOR_WARN, "check the DNS "
		    "servers of the PTR name", "PTR %s; DNS did not answer for "
		    "it", ptr);
		return;
	}
	for (i = 0; i < n; i++)
		if (inet_pton(fam, rr[i].text, have) == 1 && memcmp(have,
		    want, fam == AF_INET ? 4 : 16) == 0)
			back = 1;
	dnsq_free_rr(rr, n);
	if (!back) {
		snprintf(fix, sizeof(fix), "publish %s. IN %s %s (or change "
		    "the PTR to a name that resolves to %s)", ptr, fam ==
		    AF_INET ? "A" : "AAAA", addr, addr);
		doctor_add(doc, "rdns", addr, DOCTOR_FAIL, fix, "PTR %s, but "
		    "%s does not resolve back to %s (forward-confirmed "
		    "reverse DNS fails)", ptr, ptr, addr);
		return;
	}
	if (helo == NULL)
		doctor_add(doc, "rdns", addr, DOCTOR_WARN, "give --helo (or "
		    "run where postconf answers)", "PTR %s resolves back; the "
		    "HELO name is not known", ptr);
	else if (!doctor_same(ptr, helo)) {
		snprintf(fix, sizeof(fix), "set the MTA's HELO name to %s "
		    "(Postfix: smtp_helo_name = %s), or the PTR to %s", ptr,
		    ptr, helo);
		doctor_add(doc, "rdns", addr, DOCTOR_WARN, fix, "PTR %s "
		    "resolves back, but the HELO name is %s", ptr, helo);
	} else
		doctor_add(doc, "rdns", addr, DOCTOR_PASS, NULL, "PTR %s "
		    "resolves back to %s and is the HELO name", ptr, addr);
}

/*
 * Who may be signed for: a relay that signs for several domains without
 * SigningAuthorization or SenderLoginMap signs any client's mail as any
 * of them (one customer's mail as another's).  No DNS is asked.
 */
static void
doctor_signauth(const CONF *c, DOCTOR *doc)
{
	char what[300];

	if (conf_signer(c) == NULL || signer_keys(conf_signer(c)) == 0)
		return;
	if (conf_signing_open(c, what, sizeof(what)))
		doctor_add(doc, "signing", "-", DOCTOR_WARN, "list who may "
		    "use each domain: SigningAuthorization FILE (or "
		    "SenderLoginMap), lines such as \"@b.example bob, "
		    "10.2.0.0/16\"", "signing for %s, and every client may "
		    "be signed for every one of them", what);
	else if (conf_signauth(c) == NULL)
		doctor_add(doc, "signing", "-", DOCTOR_PASS, NULL, "signing "
		    "for one domain (%s) only", what);
	else
		doctor_add(doc, "signing", "-", DOCTOR_PASS, NULL, "signing "
		    "is authorised by %s",
		    conf_str(c, KW_SIGNING_AUTHORIZATION) ?
		    "SigningAuthorization" : "SenderLoginMap");
}

void
doctor_run(const CONF *c, DNSQ *q, const DOCTOR_OPTS *o, DOCTOR *doc)
{
	size_t i;

	memset(doc, 0, sizeof(*doc));
	doctor_dkim(c, q, doc);
	doctor_signauth(c, doc);
	doctor_dmarc(c, q, o, doc);
	doctor_bounces(c, q, o, doc);
	doctor_spf(c, q, o, doc);
	if (o->naddrs == 0)
		doctor_add(doc, "rdns", "-", DOCTOR_WARN, "give the relay's "
		    "outbound addresses with --address", "no outbound "
		    "address to check");
	for (i = 0; i < o->naddrs; i++)
		doctor_rdns_one(q, o->addrs[i], o->helo, doc);
}
