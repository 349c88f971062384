/*
 * privs.h - dropping root privileges.
 *
 *	err = privs_drop("repguard:repguard", buf, sizeof(buf));
 *
 * Switches group (the user's primary group unless ":group" is given),
 * supplementary groups and user, irreversibly.  Returns NULL on success
 * or an error text in buf.  Not running as root is fine when the process
 * already is that user; otherwise it is an error.
 *
 *	err = privs_chown("repguard:repguard", "/run/repguard/r.sock", buf, n);
 *
 * Gives a file to that user and group (as root; a no-op otherwise).
 */
#ifndef REPGUARD_PRIVS_H
#define REPGUARD_PRIVS_H

#include <stddef.h>

const char	*privs_drop(const char *spec, char *buf, size_t buflen);
const char	*privs_chown(const char *spec, const char *path, char *buf,
		    size_t buflen);

#endif
