/*
 * mload.h - what the parts of mload (tests/bench/mload.c) share: the
 * milter protocol's constants, the message, the options, one connection
 * and one worker's tallies.
 *
 *	mload.c		options, workers, results, main
 *	mload_msg.c	small helpers and the message file
 *	mload_wire.c	the protocol: packets, replies, macros, one connection
 *			and one message on it
 */
#ifndef REPGUARD_MLOAD_H
#define REPGUARD_MLOAD_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

/* Protocol constants (libmilter's mfdef.h, repeated: no libmilter here). */
#define ML_VERSION	6
#define ML_ACTS_ALL	0x000001FFu
#define ML_PROT_ALL	0x001FFFFFu
#define ML_CHUNK	65535		/* body chunk, MILTER_CHUNK_SIZE */
#define ML_REPLY_MAX	65536		/* reply length incl. command octet */
#define ML_IN_BUF	(2 * (ML_REPLY_MAX + 4))
#define ML_OUT_FLUSH	(256 * 1024)	/* flush no-reply commands beyond this */

#define P_NOCONNECT	0x00000001u
#define P_NOHELO	0x00000002u
#define P_NOMAIL	0x00000004u
#define P_NORCPT	0x00000008u
#define P_NOBODY	0x00000010u
#define P_NOHDRS	0x00000020u
#define P_NOEOH		0x00000040u
#define P_NR_HDR	0x00000080u
#define P_NODATA	0x00000200u
#define P_SKIP		0x00000400u
#define P_NR_CONN	0x00001000u
#define P_NR_HELO	0x00002000u
#define P_NR_MAIL	0x00004000u
#define P_NR_RCPT	0x00008000u
#define P_NR_DATA	0x00010000u
#define P_NR_EOH	0x00040000u
#define P_NR_BODY	0x00080000u
#define P_HDR_LEADSPC	0x00100000u

/* Macro stages, libmilter's SMFIM_* numbering. */
enum { ST_CONNECT, ST_HELO, ST_MAIL, ST_RCPT, ST_DATA, ST_EOM, ST_EOH,
	ST_COUNT };


#define ML_SYMLIST_MAX	1024		/* one stage's list from the filter */
#define ML_HDR_MAX	1000		/* headers in the message file */
#define ML_HDRLEN_MAX	(64 * 1024)	/* one header, folded lines included */
#define ML_MSG_MAX	(64 * 1024 * 1024)
#define ML_MODS_MAX	256		/* modification replies per message */

/* How a message ended. */
enum ml_outcome {
	O_OK_ACCEPT, O_OK_CONTINUE,
	O_EARLY_ACCEPT, O_REJECT, O_TEMPFAIL, O_DISCARD, O_REPLY4, O_REPLY5,
	O_SHUTDOWN, O_CONNFAIL, O_NOHDR, O_PROTO, O_TIMEOUT, O_CLOSED,
	O_CONNECT, O_COUNT
};


struct ml_hdr {
	char	*name;
	char	*value;		/* after the colon, folds joined by "\n" */
};

struct ml_msg {
	struct ml_hdr	*hdrs;
	size_t		 nhdrs;
	char		*body;	/* CRLF lines */
	size_t		 bodylen;
	size_t		 size;	/* as read */
};

struct ml_opts {
	const char	*socket;
	const char	*msgfile;
	const char	*client_ip;
	const char	*auth;
	const char	*from;
	const char	*rcpt;
	const char	*expect_hdr;
	const char	*outfile;
	int		 conc;
	long		 per_conn;
	double		 seconds;
	double		 warmup;
	double		 timeout;
	int		 no_abort;
	int		 verbose;
	int		 json;
	unsigned long	 nfrom, nrcpt;	/* -F, -R: that many addresses */
	unsigned long	 ndomains;	/* -D: recipients in that many domains */
	int		 keep;		/* -K: reconnect for as long as it runs */
	double		 rate;		/* -P: messages a second in all */
};

/* One recorded modification reply (for -v, -o and -H). */
struct ml_mod {
	char		 cmd;
	uint32_t	 index;
	char		*name;
	char		*value;
};

struct ml_conn {
	int		 fd;
	unsigned char	*out;
	size_t		 outlen, outcap;
	unsigned char	 in[ML_IN_BUF];
	size_t		 inpos, inlen;
	uint32_t	 actions, proto;	/* the filter's answer */
	char		*symlist[ST_COUNT];	/* NULL: Postfix's default */
	char		 err[256];
};

struct ml_worker {
	int		 id;
	pthread_t	 thread;
	uint64_t	*lat;			/* ns per ok message */
	size_t		 nlat, latcap;
	unsigned long	 count[O_COUNT];
	unsigned long	 seq;
	unsigned long	 warm_ok;		/* messages during -w */
	int		 reported;		/* first error printed */
	int		 alive;			/* had one working connection */
};

extern struct ml_opts opt;

/* mload_msg.c: the address number k of -F/-R's n ("a@b" -> "a<k>@b") */
void	ml_addr(char *out, size_t outsize, const char *base, unsigned long n,
	    uint64_t k);
extern struct ml_msg msg;
extern const char *const ml_outcome_name[O_COUNT];

/* mload_msg.c */
__attribute__((noreturn, format(printf, 1, 2)))
void		 ml_die(const char *fmt, ...);
void		*ml_alloc(size_t n);
void		*ml_realloc(void *p, size_t n);
char		*ml_strndup(const char *s, size_t n);
uint64_t	 ml_now_ns(void);
void		 ml_msg_load(const char *path, struct ml_msg *m);

/* mload_wire.c */
enum ml_outcome	 ml_conn_open(struct ml_conn *c);
void		 ml_conn_close(struct ml_conn *c, int quit);
int		 ml_conn_lost(enum ml_outcome o);
enum ml_outcome	 ml_message(struct ml_conn *c, struct ml_worker *w,
		    uint64_t *ns, struct ml_mod *mods, size_t *nmods);

#endif
