/*
 * daemonize.c - the process around the milter: its socket, the detach
 * from the terminal, the "serving" byte to the waiting parent, the pid
 * file, and what is left to remove at the end (see daemonize.h).
 *
 * Owns: daemon_open_socket(), daemon_detach(), daemon_ready(),
 * daemon_write_pidfile(), daemon_remove_files().
 *
 * Decisions: the parent of a detach waits for the child's one byte and
 * exits with it, so a failed start is a failed command; the pid file is
 * written as root and never through a symbolic link.
 *
 * Must not: handle mail, or run after privileges are dropped where it
 * needs root (the socket and the pid file come first).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "conf/conf.h"
#include "common/knock.h"
#include "common/log.h"
#include "common/privs.h"
#include "daemon/daemonize.h"

/* Refuse to take over a unix socket another live process is serving. */
static void
daemon_check_socket(const char *spec)
{
	if (knock_unix(spec))
		msg_fatal("%s: another process is already listening there",
		    strchr(spec, ':') + 1);
}

void
daemon_open_socket(const CONF *c)
{
	char err[512];
	mode_t old;

	daemon_check_socket(conf_socket(c));
	if (smfi_setconn((char *)conf_socket(c)) != MI_SUCCESS)
		msg_fatal("smfi_setconn %s failed", conf_socket(c));
	old = umask(conf_umask(c));
	if (smfi_opensocket(1) != MI_SUCCESS)
		msg_fatal("cannot open milter socket %s", conf_socket(c));
	umask(old);
	if (conf_user(c) != NULL && (strncmp(conf_socket(c), "unix:", 5) == 0 ||
	    strncmp(conf_socket(c), "local:", 6) == 0) &&
	    privs_chown(conf_user(c), strchr(conf_socket(c), ':') + 1, err,
	    sizeof(err)) != NULL)
		msg_fatal("milter socket: %s", err);
}

/* Detach; the parent exits with the status the child reports. */
int
daemon_detach(void)
{
	int p[2], fd;
	unsigned char status = 1;
	pid_t pid;

	if (pipe(p) != 0)
		msg_fatal("pipe: %s", strerror(errno));
	if ((pid = fork()) < 0)
		msg_fatal("fork: %s", strerror(errno));
	if (pid > 0) {
		/* The parent only waits: let signals act on it as usual. */
		signal(SIGHUP, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		close(p[1]);
		if (read(p[0], &status, 1) != 1)
			status = 1;
		_exit(status);
	}
	close(p[0]);
	setsid();
	if (chdir("/") != 0)
		msg_warn("chdir /: %s", strerror(errno));
	if ((fd = open("/dev/null", O_RDWR)) >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	return p[1];
}

void
daemon_ready(int fd, int ok)
{
	unsigned char status = ok ? 0 : 1;
	int devnull;

	if (fd < 0)
		return;
	(void)!write(fd, &status, 1);
	close(fd);
	if ((devnull = open("/dev/null", O_RDWR)) >= 0) {
		dup2(devnull, STDERR_FILENO);
		close(devnull);
	}
}

/* Written as root: never through a symbolic link someone left there. */
void
daemon_write_pidfile(const char *path)
{
	char buf[32];
	int fd, n;

	if (path == NULL)
		return;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
	    0644);
	if (fd < 0)
		msg_fatal("pid file %s: %s", path, strerror(errno));
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (write(fd, buf, (size_t)n) != n || close(fd) != 0)
		msg_fatal("pid file %s: %s", path, strerror(errno));
}

/* The pid file and the unix socket go; the last line is logged. */
void
daemon_remove_files(CONF *c)
{
	if (conf_pidfile(c) != NULL && unlink(conf_pidfile(c)) != 0 &&
	    errno != ENOENT)
		msg_warn("pid file %s: %s", conf_pidfile(c), strerror(errno));
	if (strncmp(conf_socket(c), "unix:", 5) == 0 ||
	    strncmp(conf_socket(c), "local:", 6) == 0)
		(void)unlink(strchr(conf_socket(c), ':') + 1);
	msg_info("stopped");
}
