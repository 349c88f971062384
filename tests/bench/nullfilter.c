/*
 * nullfilter.c - the empty libmilter filter: the floor of the milter
 * protocol for repguard's benchmark (tests/bench/run.sh).
 *
 * Synopsis:
 *	nullfilter SOCKET
 *
 *	SOCKET is a libmilter connection spec ("unix:/path", "local:/path",
 *	"inet:PORT@ADDR").  Every callback is registered and returns
 *	SMFIS_CONTINUE; end of message returns SMFIS_ACCEPT.  Negotiation keeps
 *	what libmilter proposes (every step sent, every step answered), as a
 *	filter that registers all callbacks gets, so the floor pays for the
 *	same round trips as a signing filter.  The unix socket is created
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

static sfsistat
null_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *sa)
{
	(void)ctx;
	(void)host;
	(void)sa;
	return SMFIS_CONTINUE;
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
null_header(SMFICTX *ctx, char *name, char *value)
{
	(void)ctx;
	(void)name;
	(void)value;
	return SMFIS_CONTINUE;
}

static sfsistat
null_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	(void)ctx;
	(void)chunk;
	(void)len;
	return SMFIS_CONTINUE;
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

/* Take libmilter's proposal as it is: all steps, all replies. */
static sfsistat
null_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
    unsigned long f2, unsigned long f3, unsigned long *pf0,
    unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	(void)ctx;
	(void)f0;
	(void)f1;
	(void)f2;
	(void)f3;
	*pf0 = 0;
	(void)pf1;	/* arrives with SMFIP_NO* for unregistered callbacks */
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
	null_argv,		/* envrcpt */
	null_header,
	null_ctx,		/* eoh */
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
	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: nullfilter SOCKET\n");
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
