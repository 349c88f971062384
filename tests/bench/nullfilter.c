/*
 * nullfilter.c - the empty libmilter filter: the floor of the milter
 * protocol for repguard's benchmark (tests/bench/run.sh).
 *
 * Synopsis:
 *	nullfilter [-n | -r] SOCKET
 *
 *	SOCKET is a libmilter connection spec ("unix:/path", "local:/path",
 *	"inet:PORT@ADDR").  Every callback is registered and returns
 *	SMFIS_CONTINUE; end of message returns SMFIS_ACCEPT.  Negotiation keeps
 *	what libmilter proposes (every step sent, every step answered), as a
 *	filter that registers all callbacks gets, so the floor pays for the
 *	same round trips as a signing filter.  With -n it asks for what
 *	repguard asks for instead: no HELO, DATA or unknown commands, and no
 *	reply to connect, RCPT, each header, end of header and body (the
 *	floor of a filter that answers only MAIL and end of message).  -r is
 *	-n with RCPT answered too (repguard's negotiation while its
 *	suppression list may refuse a recipient).  The
 *	unix socket is created
 *	world-writable (umask 0) and an old one is removed.  SIGTERM or SIGINT
 *	stops it (libmilter's own handling).
 *
 * Diagnostics: usage errors exit 2; failure to set up the socket exits 1
 *	with a message on stderr.
 *
 * Must not: do any work in a callback (no allocation, no logging), or keep
 *	state: the point is to measure libmilter and the socket alone.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmilter/mfapi.h>

#define NULL_NOREPLY	(SMFIP_NR_CONN | SMFIP_NR_RCPT | SMFIP_NR_HDR | \
			 SMFIP_NR_EOH | SMFIP_NR_BODY)
#define NULL_NOSTEP	(SMFIP_NOHELO | SMFIP_NODATA | SMFIP_NOUNKNOWN)

static int null_nr;		/* -n or -r */
static int null_rcpt_reply;	/* -r */

/* What a step that may go without a reply answers. */
static sfsistat
null_next(void)
{
	return null_nr ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

static sfsistat
null_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *sa)
{
	(void)ctx;
	(void)host;
	(void)sa;
	return null_next();
}

static sfsistat
null_helo(SMFICTX *ctx, char *helo)
{
	(void)ctx;
	(void)helo;
	return SMFIS_CONTINUE;
}

static sfsistat
null_argv(SMFICTX *ctx, char **argv)
{
	(void)ctx;
	(void)argv;
	return SMFIS_CONTINUE;
}

static sfsistat
null_rcpt(SMFICTX *ctx, char **argv)
{
	(void)ctx;
	(void)argv;
	return null_rcpt_reply ? SMFIS_CONTINUE : null_next();
}

static sfsistat
null_header(SMFICTX *ctx, char *name, char *value)
{
	(void)ctx;
	(void)name;
	(void)value;
	return null_next();
}

static sfsistat
null_eoh(SMFICTX *ctx)
{
	(void)ctx;
	return null_next();
}

static sfsistat
null_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	(void)ctx;
	(void)chunk;
	(void)len;
	return null_next();
}

static sfsistat
null_ctx(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_CONTINUE;
}

static sfsistat
null_eom(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_ACCEPT;
}

static sfsistat
null_unknown(SMFICTX *ctx, const char *cmd)
{
	(void)ctx;
	(void)cmd;
	return SMFIS_CONTINUE;
}

/* Take libmilter's proposal as it is (all steps, all replies), or -n's. */
static sfsistat
null_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
    unsigned long f2, unsigned long f3, unsigned long *pf0,
    unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	(void)ctx;
	(void)f0;
	(void)f2;
	(void)f3;
	*pf0 = 0;
	/* *pf1 arrives with SMFIP_NO* for unregistered callbacks */
	if (null_nr)
		*pf1 |= f1 & ((NULL_NOREPLY & ~(null_rcpt_reply ?
		    (unsigned long)SMFIP_NR_RCPT : 0)) | NULL_NOSTEP);
	*pf2 = 0;
	*pf3 = 0;
	return SMFIS_CONTINUE;
}

static struct smfiDesc null_desc = {
	"nullfilter",
	SMFI_VERSION,
	0,			/* no modifications */
	null_connect,
	null_helo,
	null_argv,		/* envfrom */
	null_rcpt,		/* envrcpt */
	null_header,
	null_eoh,
	null_body,
	null_eom,
	null_ctx,		/* abort */
	null_ctx,		/* close */
	null_unknown,
	null_ctx,		/* data */
	null_negotiate,
};

int
main(int argc, char **argv)
{
	if (argc == 3 && (strcmp(argv[1], "-n") == 0 ||
	    strcmp(argv[1], "-r") == 0)) {
		null_nr = 1;
		null_rcpt_reply = argv[1][1] == 'r';
		argv++;
		argc--;
	}
	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: nullfilter [-n | -r] SOCKET\n");
		return 2;
	}
	umask(0);
	if (smfi_setconn(argv[1]) != MI_SUCCESS ||
	    smfi_register(null_desc) != MI_SUCCESS) {
		fprintf(stderr, "nullfilter: cannot set up %s\n", argv[1]);
		return 1;
	}
	if (smfi_opensocket(1) != MI_SUCCESS) {
		fprintf(stderr, "nullfilter: cannot open %s\n", argv[1]);
		return 1;
	}
	return smfi_main() == MI_SUCCESS ? 0 : 1;
}
