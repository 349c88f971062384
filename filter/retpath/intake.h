/*
 * intake.h - bounces and complaints that come back to the return-path
 * domain: checked at RCPT, read at end of message, recorded.
 *
 *	INTAKE im;  intake_init(&im);
 *	rc = intake_rcpt(&im, settings, rcpt, now, reply, sizeof(reply));
 *		INTAKE_NOT	not a return-path address: nothing to do
 *		INTAKE_OK	a valid token: the message is a report for us
 *		INTAKE_REFUSE	our domain, but a forged, altered, expired or
 *				missing token: refuse the recipient with
 *				550 5.1.1 (reply holds why), no backscatter
 *		INTAKE_DEFER	a second return-path recipient in the same
 *				message: 452 4.5.3, the client sends it apart
 *				(a report is accounted for under one token)
 *	intake_header(&im, name, value, space);	while im.active
 *	intake_eoh(&im); intake_body(&im, chunk, len);
 *	intake_eom(&im, store, settings, qid, now, &out);
 *		parses the report and accounts for it (rpaccount.h: only
 *		the recipients of the message the token names count, once
 *		a kind each), and says whether to forward the report to
 *		the original sender (BounceForward yes, the record known,
 *		once per recipient of the message) or drop it
 *	intake_free(&im);
 *
 * A report about one of repguard's own temporary refusals (a paused
 * sender's "451 4.7.1 sender ... is paused until") is never counted.
 * Must not: log (it returns lines for the milter to log) or keep more of a
 * report than BOUNCE_SCAN_MAX octets.
 */
#ifndef REPGUARD_INTAKE_H
#define REPGUARD_INTAKE_H

#include <stdint.h>

#include "base/addr.h"
#include "retpath/bounce.h"
#include "retpath/bouncerules.h"
#include "retpath/retpath.h"
#include "retpath/rpaccount.h"
#include "retpath/rptoken.h"
#include "store/store.h"

/*
 * What the intake needs of a configuration snapshot, filled once a
 * snapshot by filter/conf/ (conf_intake()): the intake never reads the
 * configuration itself.
 */
typedef struct INTAKE_SETTINGS {
	const RETPATH		*rp;		/* NULL: no return-path */
	const BOUNCE_RULES	*bounce_rules;	/* NULL: the built-in rules */
	RPACCOUNT_RULES		 account;	/* what a report may change */
	int64_t			 defer_missing;	/* seconds; 0: never defer */
	int64_t			 rp_expiry;	/* ReturnPathExpiry */
} INTAKE_SETTINGS;

/* With Cluster: a report whose token is good but whose record is not
 * here is deferred (the record may be on its way from the node that sent
 * the message, or that node may be cut off) while the token is younger
 * than this; the reporting MTA tries again, nothing is lost. */
#define INTAKE_DEFER_MISSING	(2 * 86400)

enum { INTAKE_NOT, INTAKE_OK, INTAKE_REFUSE, INTAKE_DEFER };

typedef struct {
	int		 active;	/* a valid return-path recipient seen */
	RPTOKEN_INFO	 tok;
	char		 rcpt[ADDR_KEY_MAX];	/* that recipient (before: the
						 * last one refused) */
	BOUNCE_BUF	 buf;		/* the report, header and body */
} INTAKE;

typedef struct {
	char		 forward[ADDR_KEY_MAX];	/* "": drop the report */
	char		 log[2048];		/* what happened, one line */
	char		 foreign[1024];		/* addresses that were no
						 * recipients, one line ("":
						 * none) */
	char		 change[1200];		/* the sender's state change,
						 * one line ("": none) */
	int		 failed;		/* the store failed */
	int		 defer;			/* no record yet: try again
						 * later (defer_missing) */
} INTAKE_RESULT;

void	intake_init(INTAKE *);
void	intake_free(INTAKE *);
int	intake_rcpt(INTAKE *, const INTAKE_SETTINGS *, const char *rcpt,
	    int64_t now, char *reply, size_t replysize);
void	intake_header(INTAKE *, const char *name, const char *value, int space);
void	intake_eoh(INTAKE *);
void	intake_body(INTAKE *, const unsigned char *chunk, size_t len);
void	intake_eom(INTAKE *, STORE *, const INTAKE_SETTINGS *,
	    const char *qid, int64_t now, INTAKE_RESULT *);

#endif
