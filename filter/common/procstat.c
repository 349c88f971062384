/*
 * procstat.c - the daemon's own process gauges for its metrics.
 *
 * Owns: procstat_render().  It writes, in Prometheus' text format:
 *	process_resident_memory_bytes	resident set (/proc/self/status VmRSS)
 *	process_open_fds		open descriptors (/proc/self/fd)
 *	repguard_threads		threads (/proc/self/status Threads)
 *	repguard_heap_bytes		bytes handed out by malloc and not freed
 *					(mallinfo2: uordblks + hblkhd)
 * The heap figure is the one that shows a leak: the resident set also
 * holds freed memory the allocator keeps, and the database's mapped
 * pages.  A gauge that cannot be read is left out.
 * Must not: be called on the message path (mallinfo2 takes every
 * arena's lock), or allocate.
 */
#include <dirent.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>

#include "common/procstat.h"

static void
ps_gauge(FILE *fp, const char *name, const char *help, unsigned long long v)
{
	fprintf(fp, "# HELP %s %s\n# TYPE %s gauge\n%s %llu\n", name, help,
	    name, name, v);
}

/* A "Name:   value" line of /proc/self/status; -1 if absent. */
static long long
ps_status(const char *name)
{
	char line[256];
	size_t n = strlen(name);
	long long v = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, name, n) == 0 && line[n] == ':') {
			if (sscanf(line + n + 1, "%lld", &v) != 1)
				v = -1;
			break;
		}
	fclose(f);
	return v;
}

static long long
ps_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	long long n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;		/* the directory's own descriptor */
}

void
procstat_render(FILE *fp)
{
	struct mallinfo2 mi = mallinfo2();
	long long v;

	if ((v = ps_status("VmRSS")) >= 0)
		ps_gauge(fp, "process_resident_memory_bytes", "Resident memory "
		    "size in bytes.", (unsigned long long)v * 1024);
	if ((v = ps_fds()) >= 0)
		ps_gauge(fp, "process_open_fds", "Number of open file "
		    "descriptors.", (unsigned long long)v);
	if ((v = ps_status("Threads")) >= 0)
		ps_gauge(fp, "repguard_threads", "Threads of the daemon.",
		    (unsigned long long)v);
	ps_gauge(fp, "repguard_heap_bytes", "Bytes allocated with malloc and "
	    "not freed (mallinfo2).", (unsigned long long)(mi.uordblks +
	    mi.hblkhd));
}
