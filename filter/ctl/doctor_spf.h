/*
 * doctor_spf.h - the doctor's SPF check.  See doctor_spf.c.
 *
 *	doctor_spf(conf, dnsq, &opts, &doc);	each domain's SPF against
 *						each outbound address, as
 *						results in doc
 */
#ifndef REPGUARD_DOCTOR_SPF_H
#define REPGUARD_DOCTOR_SPF_H

#include "conf/conf.h"
#include "common/dnsq.h"
#include "ctl/doctor_result.h"

void	doctor_spf(const CONF *, DNSQ *, const DOCTOR_OPTS *, DOCTOR *);

#endif
