/*
 * milter_int.h - what the milter's callbacks (milter.c), its per-message
 * steps (milter_steps.c, milter_sign.c, milter_rep.c, milter_shape.c,
 * milter_log.c) and the connection's file (milter_conn.c) share: the
 * per-connection state, the steps and the one reply path.
 * Not for other modules: they use milter.h.
 */
#ifndef REPGUARD_MILTER_INT_H
#define REPGUARD_MILTER_INT_H

#include <stdint.h>

#include <libmilter/mfapi.h>

#include "base/addr.h"
#include "cluster/cluster.h"
#include "shaping/bucket.h"
#include "shaping/compliance.h"
#include "conf/conf.h"
#include "retpath/intake.h"
#include "retpath/rprecord.h"
#include "reputation/sender.h"
#include "dkim/signer.h"
#include "shaping/shape.h"
#include "store/store.h"
#include "reputation/tally.h"
#include "shaping/tclass.h"

#define MILTER_ID_MAX	64

/*
 * One SMTP connection: what is known of the client, and the message it
 * carries now (NULL between messages).
 */
struct milter_conn {
	CONF		*conf;		/* the snapshot at connect, held */
	unsigned long	 serial;
	int		 internal;
	char		 addr[64];
	int		 leadspc;	/* header values keep their space */
	unsigned long	 noreply;	/* SMFIP_NR_* the MTA agreed to */
	struct milter_msg *msg;
};

/*
 * One message: made at MAIL FROM (milter_msg_begin()), gone at its end,
 * its abort, the next MAIL FROM or the connection's close
 * (milter_msg_end()).  Nothing of it outlives it.
 */
struct milter_msg {
	const struct milter_conn *conn;	/* the connection carrying it */
	char		 id[MILTER_ID_MAX];	/* queue id, else "cN" */
	/* The envelope. */
	int		 outbound;
	char		 sender[SENDER_KEY_MAX];
	char		 login[320];	/* {auth_authen}, "" if none */
	char		 from[ADDR_KEY_MAX];	/* canonical envelope sender */
	char		 esmtp[256];	/* RET= and ENVID= of MAIL FROM */
	unsigned long	 rcpts;
	unsigned long	 size;
	int		 have_hfrom;	/* the first From: was seen */
	char		 hfrom[ADDR_KEY_MAX];	/* its address ("": none) */
	char		 quarantine[640];	/* paused, PauseAction
					 * quarantine: held at EOM */
	/* The signer (milter_sign.c). */
	SIGNER_MSG	*sign;		/* NULL: not signing this message */
	int		 sign_rc;	/* first SIGNER_* failure, or OK */
	int		 nokey_tempfail; /* OnNoKey tempfail, told at EOM */
	int		 unauth;	/* SIGNAUTH_REJECT or _TEMPFAIL (told
					 * at EOM), else 0 */
	size_t		 nsigned;	/* signatures added */
	/* The return-path (milter_steps.c). */
	int		 rewrite;	/* the return-path is rewritten */
	RPRECORD	 rp;		/* what the token will point to */
	/* The intake of a report to our bounce domain. */
	int		 inbound;	/* not outbound, return-path on */
	INTAKE		 im;
	unsigned long	 other_rcpts;	/* recipients not in that domain */
	int		 drop;		/* a bad token seen without RCPT
					 * replies: drop at end of message */
	/* Traffic shaping (milter_shape.c). */
	char		 first_rcpt[ADDR_KEY_MAX];	/* canonical */
	int		 probation;	/* the sender is on probation */
	TCLASS_MSG	 tc;
	COMPLIANCE_MSG	 cm;
	int		 cls;		/* TCLASS_*, at end of header */
	char		 cls_why[64];
	char		 shape_refuse[400];	/* BulkCompliance reject */
	struct {
		char		*name;
		BUCKET_RULE	 rule;
		int		 soft;
	}		*taken;		/* given back unless the message goes */
	size_t		 ntaken, takencap;
	struct {
		char		*name, *value;
	}		 added[3];	/* headers to add at end of message */
	size_t		 nadded;
	/* The reply (milter_reply()), for the decision line (milter_log.c);
	 * cleared after a recipient refused alone. */
	struct {
		const char	*why;	/* the refusal's reason, or NULL */
		char		 rcode[4], xcode[12];
		char		 detail[200];	/* OnError: what failed */
	}		 reply;
	unsigned long	 rcpts_refused;
	int64_t		 t0_us;		/* MAIL FROM, monotonic */
};

/*
 * A log line about a message carries its id first, the MTA's queue id or,
 * before the MTA gives one, the connection's "cN" (so lines about one
 * message grep together):
 *	MILTER_INFO(m, "refused: %s", why);	"QID: refused: ..."
 */
#define MILTER_INFO(m, ...)	milter_log_line(msg_info, (m), __VA_ARGS__)
#define MILTER_WARN(m, ...)	milter_log_line(msg_warn, (m), __VA_ARGS__)
#define milter_log_line(fn, m, fmt, ...) \
	fn("%s: " fmt, (m)->id, ##__VA_ARGS__)	/* GNU C: no arguments */

/* milter_conn.c: the connection, the daemon's state, the replies */
void		milter_conn_init(STORE *, TALLY *, SHAPE *);
void		milter_conn_set_cluster(const CLUSTER *);
const CLUSTER	*milter_cluster(void);	/* NULL: no Cluster */
STORE		*milter_store(void);
TALLY		*milter_tally(void);
SHAPE		*milter_shaping(void);
struct milter_conn *milter_conn_of(SMFICTX *);
struct milter_conn *milter_conn_get(SMFICTX *);
void		milter_conn_free(SMFICTX *);
struct milter_msg *milter_msg_begin(struct milter_conn *);
void		milter_msg_end(struct milter_conn *);
struct milter_msg *milter_msg_of(SMFICTX *);
void		milter_queue_id(SMFICTX *, struct milter_msg *);
int		milter_reply(SMFICTX *, struct milter_msg *, const char *code,
		    const char *xcode, const char *text, const char *why);
sfsistat	milter_on_error(SMFICTX *, struct milter_msg *,
		    const char *why);

/* milter_log.c */
void		milter_log_message(struct milter_msg *, const char *stage,
		    sfsistat rs);
void		milter_log_rcpt(struct milter_msg *, const char *rcpt,
		    sfsistat rs);
int64_t		milter_log_now_us(void);

/* milter_rep.c */
sfsistat	milter_rep_gate(SMFICTX *, struct milter_msg *, int64_t now);
sfsistat	milter_rep_rcpt(SMFICTX *, struct milter_msg *, const char *key,
		    int64_t now);

/* milter_shape.c */
sfsistat	milter_shape_report(SMFICTX *, struct milter_msg *,
		    int64_t now_ms);
sfsistat	milter_shape_rcpt(SMFICTX *, struct milter_msg *,
		    const char *rcpt, int64_t now_ms);
void		milter_shape_header(struct milter_msg *, const char *name,
		    const char *value);
void		milter_shape_eoh(struct milter_msg *);
sfsistat	milter_shape_eom(SMFICTX *, struct milter_msg *,
		    int64_t now_ms);
int		milter_shape_added(SMFICTX *, struct milter_msg *);
void		milter_shape_went(struct milter_msg *);
int		milter_probation_full(SMFICTX *, struct milter_msg *,
		    int64_t now_ms);

/* milter_steps.c: the steps of one message, in the order they run */
void		milter_envelope(struct milter_msg *, const char *from,
		    char **esmtp_args);
int		milter_login_may(const struct milter_msg *, const char *login,
		    const char *from);
sfsistat	milter_check_domain(SMFICTX *, struct milter_msg *);
int		milter_rewrite(SMFICTX *, struct milter_msg *, int64_t now,
		    char *why, size_t whylen);
sfsistat	milter_report(SMFICTX *, struct milter_msg *);

/* milter_sign.c: DKIM signing, its authorisation, From: alignment */
void		milter_sign_start(struct milter_msg *);
void		milter_sign_eoh(struct milter_msg *);
sfsistat	milter_unauthorized(SMFICTX *, struct milter_msg *);
int		milter_sign_finish(SMFICTX *, struct milter_msg *);
int		milter_aligned(const struct milter_msg *, char *why,
		    size_t whylen);

#endif
