/*
 * doctor.h - the deliverability doctor: what DNS says about the relay's
 * DKIM keys, DMARC, bounce domain and outbound addresses, each check
 * with its verdict and the fix to apply.
 *
 *	DOCTOR_OPTS o = { .helo = "mail.example.com", .addrs = a, .naddrs = 1,
 *	    .domains = d, .ndomains = 0 };
 *	DOCTOR doc;
 *	doctor_run(conf, dnsq, &o, &doc);
 *	for (i = 0; i < doc.n; i++) doc.r[i] ...	check, subject, verdict,
 *							detail, fix
 *	rc = doctor_status(&doc);		0 all pass, 1 a warning, 2 a
 *						failure
 *	doctor_free(&doc);
 *
 * The options and results are doctor_result.h's.
 *
 * Checks: dkim (each key: its TXT record exists, parses and holds this
 * private key's public key; its size), signing (a relay signing for
 * several domains says who may be signed for which), dmarc (each From
 * domain, that is each signing domain and each --domain: a record, its
 * policy, whether the return-path domain aligns), bounces (the return-path
 * domain has an MX, not a null MX, pointing at this relay), spf (the
 * return-path and each From domain's SPF record authorises each outbound
 * address, by libspf2), rdns (each outbound address has a PTR whose name
 * resolves back to it and equals the HELO name).
 */
#ifndef REPGUARD_DOCTOR_H
#define REPGUARD_DOCTOR_H

#include <stddef.h>

#include "conf/conf.h"
#include "common/dnsq.h"
#include "ctl/doctor_result.h"

void	doctor_run(const CONF *, DNSQ *, const DOCTOR_OPTS *, DOCTOR *);

#endif
