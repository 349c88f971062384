/*
 * privs.c - privilege dropping for repguard and repguardctl.
 *
 * Owns: privs_drop(), privs_chown().  privs_drop() is called after the milter socket is open and secrets
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

#include "common/privs.h"

/* Resolve "user[:group]"; the group defaults to the user's own. */
static const char *
privs_lookup(const char *spec, char *user, size_t usize, uid_t *uid,
    gid_t *gid, char *buf, size_t buflen)
{
	const char *colon = strchr(spec, ':');
	size_t ulen = colon ? (size_t)(colon - spec) : strlen(spec);
	struct passwd *pw;
	struct group *gr;

	if (ulen == 0 || ulen >= usize) {
		snprintf(buf, buflen, "bad user \"%s\"", spec);
		return buf;
	}
	memcpy(user, spec, ulen);
	user[ulen] = '\0';
	if ((pw = getpwnam(user)) == NULL) {
		snprintf(buf, buflen, "no such user \"%s\"", user);
		return buf;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	if (colon != NULL) {
		if ((gr = getgrnam(colon + 1)) == NULL) {
			snprintf(buf, buflen, "no such group \"%s\"", colon + 1);
			return buf;
		}
		*gid = gr->gr_gid;
	}
	return NULL;
}

/*
 * Give a file (the milter socket) to the user and group the daemon will
 * run as, so that the MTA can be let in through the group.  Only as root.
 */
const char *
privs_chown(const char *spec, const char *path, char *buf, size_t buflen)
{
	char user[256];
	uid_t uid;
	gid_t gid;

	if (privs_lookup(spec, user, sizeof(user), &uid, &gid, buf,
	    buflen) != NULL)
		return buf;
	if (geteuid() != 0)
		return NULL;
	if (chown(path, uid, gid) != 0) {
		snprintf(buf, buflen, "chown %s: %s", path, strerror(errno));
		return buf;
	}
	return NULL;
}

const char *
privs_drop(const char *spec, char *buf, size_t buflen)
{
	char user[256];
	uid_t uid;
	gid_t gid;

	if (privs_lookup(spec, user, sizeof(user), &uid, &gid, buf,
	    buflen) != NULL)
		return buf;
	if (geteuid() != 0) {
		if (geteuid() == uid)
			return NULL;
		snprintf(buf, buflen, "cannot switch to user %s: not running "
		    "as root", user);
		return buf;
	}
	if (setgid(gid) != 0 || initgroups(user, gid) != 0 ||
	    setuid(uid) != 0) {
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
