/*
 * procstat.h - the daemon's process gauges (resident memory, open
 * descriptors, threads, heap in use) for its metrics exposition.
 *
 *	procstat_render(fp);	appends them to the exposition being written
 *
 * Linux only (/proc/self); glibc's mallinfo2() for the heap.
 */
#ifndef REPGUARD_PROCSTAT_H
#define REPGUARD_PROCSTAT_H

#include <stdio.h>

void	procstat_render(FILE *);

#endif
