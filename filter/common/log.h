/*
 * log.h - the daemon's logging, with a severity ladder.
 *
 *	log_open("repguard", to_stderr, to_syslog, LOG_MAIL);
 *	msg_info("%s: outbound from=%s", id, from);	normal events
 *	msg_warn("...");	something failed and was recovered from
 *	msg_fatal("...");	start-up or configuration only: exit(1)
 *	msg_panic("...");	a broken internal invariant: abort()
 *
 * Lines go to syslog and/or stderr ("repguard[pid]: warning: text").
 * log_open() may be called again (at reload) to change the targets.
 * Mail data never reaches msg_fatal() or msg_panic().
 */
#ifndef REPGUARD_LOG_H
#define REPGUARD_LOG_H

void	log_open(const char *ident, int to_stderr, int to_syslog, int facility);
int	log_facility(const char *name);

void	msg_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	msg_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	msg_fatal(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	msg_panic(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#endif
