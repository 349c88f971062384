/*
 * daemonize.h - the process around the milter.
 *
 *	daemon_open_socket(c);		the milter socket, as root (refused
 *					when a live process serves it)
 *	fd = daemon_detach();		the child goes on; the parent waits
 *					for daemon_ready(fd, ok) and exits
 *					0 or 1 by it
 *	daemon_write_pidfile(path);	NULL: none
 *	daemon_remove_files(c);		the pid file and a unix socket
 */
#ifndef REPGUARD_DAEMONIZE_H
#define REPGUARD_DAEMONIZE_H

#include "conf/conf.h"

void	daemon_open_socket(const CONF *);
int	daemon_detach(void);
void	daemon_ready(int fd, int ok);
void	daemon_write_pidfile(const char *path);
void	daemon_remove_files(CONF *);

#endif
