/*
 * doctor_result.h - what the doctor's checks are given and what they
 * find: the options of a run, and the results, one per check and
 * subject.  See doctor_result.c; doctor.h runs the checks.
 *
 *	r = doctor_add(&doc, "dkim", name, DOCTOR_FAIL, fix, "fmt", ...);
 *		one result more; the detail from fmt; fix NULL: nothing to
 *		do
 *	rc = doctor_status(&doc);		0 all pass, 1 a warning, 2 a
 *						failure
 *	s = doctor_verdict_name(v);		"pass", "warn" or "fail"
 *	doctor_free(&doc);
 */
#ifndef REPGUARD_DOCTOR_RESULT_H
#define REPGUARD_DOCTOR_RESULT_H

#include <stddef.h>

enum { DOCTOR_PASS, DOCTOR_WARN, DOCTOR_FAIL };

typedef struct {
	const char	*check;		/* "dkim", "signing", "dmarc",
					 * "bounces", "spf", "rdns" */
	char		 subject[300];	/* the name or address checked */
	int		 verdict;
	char		 detail[600];
	char		 fix[1200];	/* "" when there is nothing to do */
} DOCTOR_RESULT;

typedef struct {
	DOCTOR_RESULT	*r;
	size_t		 n;
} DOCTOR;

typedef struct {
	const char	*helo;		/* the MTA's HELO name, or NULL */
	const char	*mx_host;	/* where bounces must arrive, or NULL
					 * (then the HELO name) */
	const char	**addrs;	/* outbound addresses */
	size_t		 naddrs;
	const char	**domains;	/* From domains besides the signing
					 * domains */
	size_t		 ndomains;
} DOCTOR_OPTS;

DOCTOR_RESULT	*doctor_add(DOCTOR *, const char *check, const char *subject,
		    int verdict, const char *fix, const char *fmt, ...)
		    __attribute__((format(printf, 6, 7)));
int		 doctor_status(const DOCTOR *);
const char	*doctor_verdict_name(int);
void		 doctor_free(DOCTOR *);

#endif
