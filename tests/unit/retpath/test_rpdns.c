/*
 * test_rpdns.c - unit tests for filter/retpath/rpdns.c against a real DNS server:
 * Debian's dnsmasq, started here on a free loopback port and stopped by
 * its pid (skipped when dnsmasq is not installed).
 *
 * The clock is passed in, so the cache's lifetimes are checked exactly:
 * an answer is kept for its TTL (60 s here) and asked again after; a TTL
 * above the maximum is cut to RPDNS_TTL_MAX; a negative answer is kept
 * RPDNS_TTL_NEG; names are compared without case; with the server gone a
 * cached answer holds until it expires, then it is a DNS error, never a
 * stale answer.  rpdns_lookups() counts the queries that went out.
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "retpath/rpdns.h"
#include "tap.h"

#define DNSMASQ	"/usr/sbin/dnsmasq"

static int
free_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM, 0), port;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) != 0)
		return -1;
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static pid_t
start_dns(int port)
{
	char p[32];
	pid_t pid;
	int devnull;

	snprintf(p, sizeof(p), "--port=%d", port);
	if ((pid = fork()) != 0)
		return pid;
	devnull = open("/dev/null", O_WRONLY);
	dup2(devnull, 1);
	dup2(devnull, 2);
	execl(DNSMASQ, DNSMASQ, "--no-daemon", p, "--listen-address=127.0.0.1",
	    "--bind-interfaces", "--no-resolv", "--no-hosts", "--pid-file=",
	    "--user=root", "--local-ttl=60", "--local=/example/",
	    "--mx-host=mx.example,mail.mx.example,10",
	    "--host-record=mail.mx.example,192.0.2.1", (char *)NULL);
	_exit(127);
}

int
main(void)
{
	char why[256], err[256], server[64];
	unsigned long q;
	RPDNS *d;
	pid_t pid;
	int port, i, attempt, rc = -1;

	if (access(DNSMASQ, X_OK) != 0) {
		printf("1..0 # SKIP %s not installed\n", DNSMASQ);
		return 0;
	}
	tap_ok(rpdns_create("not-an-address", 0, err, sizeof(err)) == NULL,
	    "a bad server is refused: %s", err);
	/*
	 * The port is free for UDP when chosen; dnsmasq also wants it for
	 * TCP, and another process may take it meanwhile: when dnsmasq
	 * exits (it could not bind), start it again on another port.
	 */
	for (attempt = 0, d = NULL, pid = -1; attempt < 5; attempt++) {
		port = free_port();
		pid = start_dns(port);
		snprintf(server, sizeof(server), "127.0.0.1:%d", port);
		d = rpdns_create(server, 0, err, sizeof(err));
		if (pid <= 0 || d == NULL)
			break;
		for (i = 0; i < 50; i++) {	/* until it answers */
			if ((rc = rpdns_check(d, "mx.example", 1000, why,
			    sizeof(why))) != RPDNS_ERROR ||
			    waitpid(pid, NULL, WNOHANG) == pid)
				break;
			usleep(100000);
		}
		if (rc != RPDNS_ERROR || kill(pid, 0) == 0)
			break;
		rpdns_free(d);			/* dnsmasq is gone */
		d = NULL;
		pid = -1;
	}
	if (!tap_ok(pid > 0 && d != NULL, "dnsmasq started (%d attempt(s)), "
	    "resolver made", attempt + 1)) {
		if (pid > 0) {
			kill(pid, SIGTERM);
			waitpid(pid, NULL, 0);
		}
		return tap_done();
	}
	tap_int(rc, RPDNS_OK, "mx.example has an MX");
	q = rpdns_lookups(d);
	tap_int(rpdns_check(d, "MX.Example", 1059, why, sizeof(why)), RPDNS_OK,
	    "59 s later, in another case: OK");
	tap_int((long long)(rpdns_lookups(d) - q), 0, "... from the cache");
	tap_int(rpdns_check(d, "mx.example", 1061, why, sizeof(why)), RPDNS_OK,
	    "61 s later (TTL 60): OK");
	tap_int((long long)(rpdns_lookups(d) - q), 1, "... asked again");

	q = rpdns_lookups(d);
	tap_int(rpdns_check(d, "nx.example", 2000, why, sizeof(why)),
	    RPDNS_FAIL, "nx.example does not exist: %s", why);
	tap_int(rpdns_check(d, "nx.example", 2000 + RPDNS_TTL_NEG - 1, why,
	    sizeof(why)), RPDNS_FAIL, "a negative answer is kept %d s",
	    RPDNS_TTL_NEG);
	tap_int((long long)(rpdns_lookups(d) - q), 1, "... one query");
	tap_int(rpdns_check(d, "nx.example", 2000 + RPDNS_TTL_NEG + 1, why,
	    sizeof(why)), RPDNS_FAIL, "after that it is asked again");
	tap_int((long long)(rpdns_lookups(d) - q), 2, "... a second query");

	/* the server gone: a cached answer holds, a new name is an error */
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	tap_int(rpdns_check(d, "mx.example", 1100, why, sizeof(why)), RPDNS_OK,
	    "server stopped: a cached answer holds");
	tap_int(rpdns_check(d, "other.example", 1100, why, sizeof(why)),
	    RPDNS_ERROR, "server stopped: a new name is a DNS error (%s)", why);
	tap_int(rpdns_check(d, "mx.example", 1000 + 61 + 61, why, sizeof(why)),
	    RPDNS_ERROR, "server stopped, the cached answer expired: error, not "
	    "a stale OK");
	rpdns_free(d);
	return tap_done();
}
