/*
 * doctor_spf.c - the doctor's SPF check: does each domain's SPF record
 * authorise each outbound address?  A real evaluation by libspf2 (its
 * ten-lookup limit included), its lookups going through dnsq.c so that
 * --nameserver applies to them too.
 *
 * Owns: doctor_spf().
 *
 * Decisions: the domains are the return-path domain (what receivers
 * check SPF against) and each From (signing) domain; the identity is
 * postmaster@DOMAIN.  libspf2 is given a DNS layer of our own: its lookup
 * answers from dnsq_lookup() (no cache: the doctor wants what DNS says
 * now).  pass passes; fail, softfail, none and permerror (a broken record,
 * more than ten lookups) fail with the fix; neutral and temperror warn.
 *
 * Must not: change anything.
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <spf2/spf.h>
#include <spf2/spf_dns.h>
#include <spf2/spf_dns_rr.h>

#include "ctl/doctor_result.h"
#include "ctl/doctor_spf.h"
#include "base/mem.h"
#include "dkim/signer.h"

static SPF_dns_rr_t *
doctor_spf_lookup(SPF_dns_server_t *s, const char *domain, ns_type type,
    int should_cache)
{
	DNSQ_RR *rr;
	SPF_dns_rr_t *out;
	size_t n, i, len;
	int rc;

	(void)should_cache;
	rc = dnsq_lookup(s->hook, domain, (int)type, &rr, &n);
	if (rc == DNSQ_NXDOMAIN)
		return SPF_dns_rr_new_init(s, domain, type, 0, HOST_NOT_FOUND);
	if (rc != DNSQ_OK)
		return SPF_dns_rr_new_init(s, domain, type, 0, TRY_AGAIN);
	if (n == 0) {
		dnsq_free_rr(rr, n);
		return SPF_dns_rr_new_init(s, domain, type, 0, NO_DATA);
	}
	out = SPF_dns_rr_new_init(s, domain, type, 60, NETDB_SUCCESS);
	for (i = 0; out != NULL && i < n; i++) {
		len = type == ns_t_a ? sizeof(struct in_addr) : type ==
		    ns_t_aaaa ? sizeof(struct in6_addr) : strlen(rr[i].text) + 1;
		if (SPF_dns_rr_buf_realloc(out, (int)i, len) != SPF_E_SUCCESS)
			break;
		if (type == ns_t_a)
			inet_pton(AF_INET, rr[i].text, &out->rr[i]->a);
		else if (type == ns_t_aaaa)
			inet_pton(AF_INET6, rr[i].text, &out->rr[i]->aaaa);
		else
			memcpy(out->rr[i]->txt, rr[i].text, len);
		out->num_rr = (int)i + 1;
	}
	dnsq_free_rr(rr, n);
	return out;
}

/* Does DNS answer for the domain at all?  (libspf2 turns a server that
 * does not answer into other results.) */
static int
doctor_spf_answers(SPF_server_t *srv, const char *domain)
{
	DNSQ_RR *rr;
	size_t n;
	int rc = dnsq_lookup(srv->resolver->hook, domain, DNSQ_TXT, &rr, &n);

	dnsq_free_rr(rr, n);
	return rc != DNSQ_ERROR;
}

/* What SPF's answer res for addr means; why: libspf2's messages. */
static void
doctor_spf_verdict(SPF_result_t res, const char *subject, const char *domain,
    const char *addr, const char *why, DOCTOR *doc)
{
	char fix[900];
	int v6 = strchr(addr, ':') != NULL;

	snprintf(fix, sizeof(fix), "add %s:%s to the SPF record of %s (%s. "
	    "IN TXT \"v=spf1 %s:%s ... -all\")", v6 ? "ip6" : "ip4", addr,
	    domain, domain, v6 ? "ip6" : "ip4", addr);
	switch (res) {
	case SPF_RESULT_PASS:
		doctor_add(doc, "spf", subject, DOCTOR_PASS, NULL, "pass: the "
		    "SPF record of %s authorises %s", domain, addr);
		break;
	case SPF_RESULT_NONE:
		snprintf(fix, sizeof(fix), "publish %s. IN TXT \"v=spf1 %s:%s "
		    "-all\"", domain, v6 ? "ip6" : "ip4", addr);
		doctor_add(doc, "spf", subject, DOCTOR_FAIL, fix, "none: %s "
		    "publishes no SPF record", domain);
		break;
	case SPF_RESULT_PERMERROR:
		doctor_add(doc, "spf", subject, DOCTOR_FAIL, "correct the "
		    "record; SPF allows at most 10 DNS lookups (include, a, mx, "
		    "ptr, exists, redirect): replace includes by the addresses "
		    "they name", "permerror: the SPF record of %s cannot be "
		    "evaluated: %s", domain, why[0] ? why : "a syntax error, "
		    "or more than 10 DNS lookups");
		break;
	case SPF_RESULT_TEMPERROR:
		doctor_add(doc, "spf", subject, DOCTOR_WARN, "check the DNS "
		    "servers of the domain", "temperror: DNS did not answer "
		    "for %s", domain);
		break;
	case SPF_RESULT_NEUTRAL:
		doctor_add(doc, "spf", subject, DOCTOR_WARN, fix, "neutral: "
		    "the SPF record of %s neither authorises nor refuses %s",
		    domain, addr);
		break;
	default:
		doctor_add(doc, "spf", subject, DOCTOR_FAIL, fix, "%s: the SPF "
		    "record of %s does not authorise %s", SPF_strresult(res),
		    domain, addr);
	}
}

static void
doctor_spf_one(SPF_server_t *srv, const char *domain, const char *addr,
    DOCTOR *doc)
{
	char subject[400], ident[300], why[500] = "";
	SPF_request_t *req = SPF_request_new(srv);
	SPF_response_t *resp = NULL;
	SPF_result_t res;
	int i, v6 = strchr(addr, ':') != NULL;

	snprintf(subject, sizeof(subject), "%s for %s", domain, addr);
	snprintf(ident, sizeof(ident), "postmaster@%s", domain);
	if (!doctor_spf_answers(srv, domain)) {
		doctor_add(doc, "spf", subject, DOCTOR_WARN, "check the DNS "
		    "servers of the domain", "temperror: DNS did not answer "
		    "for %s", domain);
		SPF_request_free(req);
		return;
	}
	if ((v6 ? SPF_request_set_ipv6_str(req, addr) :
	    SPF_request_set_ipv4_str(req, addr)) != SPF_E_SUCCESS ||
	    SPF_request_set_env_from(req, ident) != 0) {
		doctor_add(doc, "spf", subject, DOCTOR_FAIL, "give an IP "
		    "address with --address", "cannot ask SPF about %s", addr);
		SPF_request_free(req);
		return;
	}
	SPF_request_query_mailfrom(req, &resp);
	res = SPF_response_result(resp);
	for (i = 0; i < SPF_response_messages(resp); i++)
		snprintf(why + strlen(why), sizeof(why) - strlen(why), "%s%s",
		    why[0] ? "; " : "", SPF_error_message(
		    SPF_response_message(resp, i)));
	doctor_spf_verdict(res, subject, domain, addr, why, doc);
	SPF_response_free(resp);
	SPF_request_free(req);
}

void
doctor_spf(const CONF *c, DNSQ *q, const DOCTOR_OPTS *o, DOCTOR *doc)
{
	const SIGNER *s = conf_signer(c);
	const char *rp = conf_str(c, KW_RP_DOMAIN), **dom = NULL;
	SPF_dns_server_t *dns;
	SPF_server_t *srv;
	SIGNER_KEY_INFO k;
	size_t i, j, n = 0, a;

	if (o->naddrs == 0)
		return;			/* the rdns check says so */
	for (i = 0; i < 1 + signer_keys(s) + o->ndomains; i++) {
		const char *d;

		if (i == 0)
			d = rp;
		else if (i <= signer_keys(s)) {
			signer_key_info(s, i - 1, &k);
			d = k.domain;
		} else
			d = o->domains[i - 1 - signer_keys(s)];
		if (d == NULL || strcmp(d, "%") == 0)
			continue;
		for (j = 0; j < n && strcasecmp(dom[j], d) != 0; j++)
			;
		if (j == n) {
			dom = mem_realloc(dom, (n + 1) * sizeof(*dom));
			dom[n++] = d;
		}
	}
	dns = mem_calloc(1, sizeof(*dns));
	dns->lookup = doctor_spf_lookup;
	dns->name = "repguard";
	dns->hook = q;
	if ((srv = SPF_server_new_dns(dns, 0)) == NULL) {
		doctor_add(doc, "spf", "-", DOCTOR_WARN, "check the libspf2 "
		    "installation", "libspf2 could not start");
		free(dns);
		free(dom);
		return;
	}
	for (i = 0; i < n; i++)
		for (a = 0; a < o->naddrs; a++)
			doctor_spf_one(srv, dom[i], o->addrs[a], doc);
	SPF_server_free(srv);		/* a layer given to it stays ours */
	free(dns);
	free(dom);
}
