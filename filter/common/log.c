/*
 * log.c - logging to syslog and/or stderr with a severity ladder.
 *
 * Owns: log_open(), log_facility(), msg_info(), msg_warn(), msg_fatal(),
 * msg_panic().  Safe from any thread: each line is written with one call.
 * Control characters (a CR or LF in an address from a report, say) are
 * written as '?': a line logged is one line.
 * Must not: allocate (it runs when memory is short), or exit except in
 * msg_fatal() and msg_panic().
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

#include "common/log.h"
#include "base/panic.h"

static const char *log_ident = "repguard";
static int log_stderr = 1;	/* read by every thread: atomic accesses */
static int log_syslog;

static const struct {
	const char	*name;
	int		 value;
} log_facilities[] = {
	{ "daemon", LOG_DAEMON }, { "local0", LOG_LOCAL0 },
	{ "local1", LOG_LOCAL1 }, { "local2", LOG_LOCAL2 },
	{ "local3", LOG_LOCAL3 }, { "local4", LOG_LOCAL4 },
	{ "local5", LOG_LOCAL5 }, { "local6", LOG_LOCAL6 },
	{ "local7", LOG_LOCAL7 }, { "mail", LOG_MAIL }, { "user", LOG_USER },
};

/* The syslog facility for a name, or -1. */
int
log_facility(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(log_facilities) / sizeof(log_facilities[0]); i++)
		if (strcasecmp(name, log_facilities[i].name) == 0)
			return log_facilities[i].value;
	return -1;
}

/*
 * May run while other threads log (reload): openlog() again replaces the
 * facility under glibc's own lock, without a closelog() gap in which a
 * syslog() call would reopen with the default facility.
 */
/* policy/'s panics (out of memory, a thread that cannot start) end the
 * process through the log, as the daemon's own do */
static void
log_policy_panic(const char *text)
{
	msg_panic("%s", text);
}

void
log_open(const char *ident, int to_stderr, int to_syslog, int facility)
{
	panic_set_hook(log_policy_panic);
	log_ident = ident;
	if (to_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, facility);
	__atomic_store_n(&log_stderr, to_stderr, __ATOMIC_RELAXED);
	__atomic_store_n(&log_syslog, to_syslog, __ATOMIC_RELAXED);
}

static void
log_vwrite(int prio, const char *level, const char *fmt, va_list ap)
{
	int to_syslog = __atomic_load_n(&log_syslog, __ATOMIC_RELAXED);
	int to_stderr = __atomic_load_n(&log_stderr, __ATOMIC_RELAXED);
	char buf[2048], *p;

	vsnprintf(buf, sizeof(buf), fmt, ap);
	/* text from outside (addresses, diagnostics) may hold line breaks
	 * or terminal controls: one line a call, nothing that forges one */
	for (p = buf; *p != '\0'; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			*p = '?';
	if (to_syslog)
		syslog(prio, "%s%s", level, buf);
	if (to_stderr || !to_syslog)
		fprintf(stderr, "%s[%ld]: %s%s\n", log_ident, (long)getpid(),
		    level, buf);
}

void
msg_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_INFO, "", fmt, ap);
	va_end(ap);
}

void
msg_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_WARNING, "warning: ", fmt, ap);
	va_end(ap);
}

void
msg_fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_CRIT, "fatal: ", fmt, ap);
	va_end(ap);
	exit(1);
}

void
msg_panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_CRIT, "panic: ", fmt, ap);
	va_end(ap);
	abort();
}
