/*
 * milter_sigwait.c - the sigwait() libmilter's signal thread calls.
 *
 * Owns: sigwait() in the repguard daemon.
 *
 * libmilter runs a thread of its own that sigwait()s for HUP, TERM and
 * INT and stops the milter on any of them; repguard reloads on SIGHUP and
 * stops through smfi_stop() (main.c).  Linux gives a process-directed
 * signal to the main thread when it can take it at that moment, and
 * otherwise to a thread that waits for it in sigwait(): now and then a
 * SIGHUP sent at start-up reached libmilter's thread, and the daemon
 * stopped instead of reloading (tests/dkim/t_dkim_config.sh saw it about
 * once in 40 starts, with UserID).  The executable's symbols come first
 * in the dynamic linker's lookup, so this definition takes the C
 * library's place for libmilter: called with libmilter's set (HUP, TERM
 * and INT, which that thread keeps blocked) it waits for ever and takes
 * no signal, and the kernel leaves them all to the main thread.  Any other
 * caller gets what the C library's sigwait() does, through sigwaitinfo().
 *
 * Must not: take a signal for libmilter's thread.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <unistd.h>

int
sigwait(const sigset_t *set, int *sig)
{
	int s;

	if (sigismember(set, SIGHUP) == 1 && sigismember(set, SIGTERM) == 1 &&
	    sigismember(set, SIGINT) == 1)
		for (;;)
			pause();	/* the three stay blocked here */
	while ((s = sigwaitinfo(set, NULL)) < 0)
		if (errno != EINTR)
			return errno;
	*sig = s;
	return 0;
}
