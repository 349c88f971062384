/*
 * doctor_int.h - what doctor.c and doctor_spf.c share.  Not for other
 * modules: they use doctor.h.
 */
#ifndef REPGUARD_DOCTOR_INT_H
#define REPGUARD_DOCTOR_INT_H

#include "ctl/doctor.h"

/* One result; the detail from fmt; fix NULL: nothing to do. */
DOCTOR_RESULT	*doctor_add(DOCTOR *, const char *check, const char *subject,
		    int verdict, const char *fix, const char *fmt, ...)
		    __attribute__((format(printf, 6, 7)));

/* doctor_spf.c: each domain's SPF against each outbound address */
void		 doctor_spf(const CONF *, DNSQ *, const DOCTOR_OPTS *,
		    DOCTOR *);

#endif
