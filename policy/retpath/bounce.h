/*
 * bounce.h - what a message that came back says: a delivery report, a
 * complaint, an automatic reply, or none of these.
 *
 *	BOUNCE b;
 *	bounce_parse(msg, len, "rp", "bounce.example.com", rules, &b);
 *	b.type			BOUNCE_DSN, _ARF, _NONDSN, _AUTOREPLY, _NOT
 *	b.token			the return-path token found ("" if none)
 *	b.rcpts[i]		address, status, action, diagnostic, reason,
 *				class
 *
 * DSNs (RFC 3464: multipart/report; report-type=delivery-status, also
 * inside a multipart/mixed) give one entry per failed or delayed
 * recipient from their message/delivery-status part.  ARF reports (RFC
 * 5965: report-type=feedback-report) give the feedback type, the original
 * recipient (class "complaint") and the original Message-ID.  Bounces
 * without a report (qmail, Exchange, Yahoo, plain-text Postfix, Exim and
 * Sendmail forms) are read best-effort: addresses next to a status code
 * or an SMTP reply in the text before the returned message.  Automatic
 * replies (Auto-Submitted, X-Autoreply, Precedence: auto_reply, or a
 * subject the rules call auto-reply) are recognised and carry no
 * recipients.  Each recipient gets a reason from the rules, and the class
 * of that reason (bouncerules.h; rules NULL: the built-in ones); a
 * report without a status code gets 5.0.0 or 4.0.0 from its Action.
 *
 * The token is looked for anywhere in the message as PREFIX+TOKEN@DOMAIN
 * (any case): in the To: of the bounce, the returned message's
 * Return-Path, or the text.  Only the first BOUNCE_SCAN_MAX octets of a
 * message are read; more is ignored.  Malformed input gives a result
 * (often BOUNCE_NOT), never an error or a crash.
 */
#ifndef REPGUARD_BOUNCE_H
#define REPGUARD_BOUNCE_H

#include <stddef.h>

#include "retpath/bouncerules.h"
#include "retpath/rptoken.h"

#define BOUNCE_RCPTS_MAX	32
#define BOUNCE_SCAN_MAX		(512 * 1024)
#define BOUNCE_ADDR_MAX		256
#define BOUNCE_DIAG_MAX		512

enum bounce_type {
	BOUNCE_NOT, BOUNCE_DSN, BOUNCE_ARF, BOUNCE_NONDSN, BOUNCE_AUTOREPLY
};

typedef struct {
	char	address[BOUNCE_ADDR_MAX];
	char	original[BOUNCE_ADDR_MAX];	/* Original-Recipient */
	char	status[16];			/* "5.1.1" */
	char	action[16];			/* failed, delayed, complaint */
	char	diagnostic[BOUNCE_DIAG_MAX];
	char	remote_mta[BOUNCE_ADDR_MAX];
	const char *reason;			/* user-unknown, blocked, ... */
	const char *cls;			/* hard, soft, ... (of reason) */
} BOUNCE_RCPT;

typedef struct {
	enum bounce_type type;
	char		 token[RPTOKEN_LEN + 1];
	char		 subject[256];
	char		 feedback_type[32];
	char		 message_id[256];	/* of the returned message */
	char		 reporting_mta[BOUNCE_ADDR_MAX];
	size_t		 nrcpts;
	BOUNCE_RCPT	 rcpts[BOUNCE_RCPTS_MAX];
} BOUNCE;

void		 bounce_parse(const char *msg, size_t len, const char *prefix,
		    const char *domain, const BOUNCE_RULES *, BOUNCE *);

/*
 * A message as it arrives in chunks (the milter's body callbacks): the
 * first BOUNCE_SCAN_MAX octets are kept, the rest is counted and dropped.
 */
typedef struct {
	char	*buf;
	size_t	 len, cap;
	size_t	 dropped;
} BOUNCE_BUF;

void		 bounce_buf_add(BOUNCE_BUF *, const void *chunk, size_t len);
void		 bounce_buf_free(BOUNCE_BUF *);
const char	*bounce_type_name(enum bounce_type);

#endif
