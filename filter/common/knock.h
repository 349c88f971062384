/*
 * knock.h - is some process serving a unix socket?
 *
 *	if (knock_unix("unix:/run/repguard/repguard.sock")) ...
 *
 * Connects to a "unix:" or "local:" milter socket specification and hangs
 * up at once: 1 if a process accepted the connection, 0 if not (or the
 * specification is not a unix socket).  The daemon uses it to refuse a
 * socket another live daemon serves and to wake its own listener when
 * stopping; repguardctl db recover to refuse while the daemon runs.
 */
#ifndef REPGUARD_KNOCK_H
#define REPGUARD_KNOCK_H

int	knock_unix(const char *spec);

#endif
