/*
 * privs.c - privilege dropping for repguard and repguardctl.
 *
 * Owns: privs_drop().  Called after the milter socket is open and secrets
 * are read, before any mail is handled or the database is opened (so
 * database files belong to the unprivileged user).
 * Must not: log or exit; it returns an error text.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "privs.h"

const char *
privs_drop(const char *spec, char *buf, size_t buflen)
{
	char user[256];
	const char *colon = strchr(spec, ':');
	size_t ulen = colon ? (size_t)(colon - spec) : strlen(spec);
	struct passwd *pw;
	struct group *gr;
	gid_t gid;

	if (ulen == 0 || ulen >= sizeof(user)) {
		snprintf(buf, buflen, "bad user \"%s\"", spec);
		return buf;
	}
	memcpy(user, spec, ulen);
	user[ulen] = '\0';
	if ((pw = getpwnam(user)) == NULL) {
		snprintf(buf, buflen, "no such user \"%s\"", user);
		return buf;
	}
	gid = pw->pw_gid;
	if (colon != NULL) {
		if ((gr = getgrnam(colon + 1)) == NULL) {
			snprintf(buf, buflen, "no such group \"%s\"", colon + 1);
			return buf;
		}
		gid = gr->gr_gid;
	}
	if (geteuid() != 0) {
		if (geteuid() == pw->pw_uid)
			return NULL;
		snprintf(buf, buflen, "cannot switch to user %s: not running "
		    "as root", user);
		return buf;
	}
	if (setgid(gid) != 0 || initgroups(user, gid) != 0 ||
	    setuid(pw->pw_uid) != 0) {
		snprintf(buf, buflen, "cannot switch to user %s: %s", user,
		    strerror(errno));
		return buf;
	}
	if (setuid(0) == 0) {
		snprintf(buf, buflen, "could regain root after switching to %s",
		    user);
		return buf;
	}
	return NULL;
}
