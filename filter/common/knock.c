/*
 * knock.c - connect to a unix socket and hang up (see knock.h).
 *
 * Owns: knock_unix().
 * Must not: send anything on the connection.
 */
#include <string.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/knock.h"

int
knock_unix(const char *spec)
{
	struct sockaddr_un sun;
	int fd, ok;

	if (spec == NULL || (strncmp(spec, "unix:", 5) != 0 &&
	    strncmp(spec, "local:", 6) != 0))
		return 0;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s",
	    strchr(spec, ':') + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0)
		return 0;
	ok = connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0;
	close(fd);
	return ok;
}
