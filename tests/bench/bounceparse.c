/*
 * bounceparse.c - how long bounce_parse() takes per message, with the
 * built-in rules, on one core.
 *
 *	tests/bench/bounceparse [-n ROUNDS] DIR|FILE...
 *
 * Reads every regular file of each DIR (or each FILE), parses each
 * message ROUNDS times (default 200) and takes its median time; then
 * prints, over the messages under 20 KB and over all of them, the median
 * and the largest of those per-message medians, in microseconds:
 *
 *	messages N (under 20 KB: M)
 *	under 20 KB: median X us, max Y us
 *	all: median X us, max Y us
 *
 * A timing, not a test: run it by hand (the figures of a shared machine
 * move; compare runs made side by side).
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "retpath/bounce.h"

#define SMALL	(20 * 1024)

struct msg {
	char	*buf;
	size_t	 len;
	double	 us;		/* median of the rounds */
};

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
add_file(const char *path, struct msg **m, size_t *n, size_t *cap)
{
	struct stat st;
	FILE *fp;

	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (fp = fopen(path, "rb")) == NULL)
		return;
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 256;
		*m = realloc(*m, *cap * sizeof(**m));
		if (*m == NULL)
			exit(1);
	}
	(*m)[*n].buf = malloc((size_t)st.st_size + 1);
	if ((*m)[*n].buf == NULL)
		exit(1);
	(*m)[*n].len = fread((*m)[*n].buf, 1, (size_t)st.st_size, fp);
	fclose(fp);
	(*n)++;
}

static void
report(const char *what, double *v, size_t n)
{
	if (n == 0) {
		printf("%s: no messages\n", what);
		return;
	}
	qsort(v, n, sizeof(*v), cmp_double);
	printf("%s: median %.1f us, max %.1f us\n", what, v[n / 2], v[n - 1]);
}

int
main(int argc, char **argv)
{
	struct msg *m = NULL;
	size_t n = 0, cap = 0, i, k, nsmall = 0;
	double *t, *small, *all, t0;
	char path[4096];
	struct dirent *de;
	BOUNCE *b = malloc(sizeof(*b));
	long rounds = 200;
	int a = 1;
	DIR *d;

	if (argc > 2 && strcmp(argv[1], "-n") == 0) {
		rounds = strtol(argv[2], NULL, 10);
		a = 3;
	}
	if (a >= argc || rounds < 1 || b == NULL) {
		fprintf(stderr, "usage: bounceparse [-n ROUNDS] DIR|FILE...\n");
		return 2;
	}
	for (; a < argc; a++) {
		if ((d = opendir(argv[a])) == NULL) {
			add_file(argv[a], &m, &n, &cap);
			continue;
		}
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", argv[a], de->d_name);
			add_file(path, &m, &n, &cap);
		}
		closedir(d);
	}
	t = malloc((size_t)rounds * sizeof(*t));
	small = malloc((n + 1) * sizeof(*small));
	all = malloc((n + 1) * sizeof(*all));
	if (t == NULL || small == NULL || all == NULL)
		return 1;
	bounce_parse("", 0, "rp", "bounce.example.com", NULL, b); /* rules */
	for (i = 0; i < n; i++) {
		for (k = 0; k < (size_t)rounds; k++) {
			t0 = now_us();
			bounce_parse(m[i].buf, m[i].len, "rp",
			    "bounce.example.com", NULL, b);
			t[k] = now_us() - t0;
		}
		qsort(t, (size_t)rounds, sizeof(*t), cmp_double);
		m[i].us = t[rounds / 2];
		all[i] = m[i].us;
		if (m[i].len < SMALL)
			small[nsmall++] = m[i].us;
	}
	printf("messages %zu (under 20 KB: %zu), %ld rounds each\n", n,
	    nsmall, rounds);
	report("under 20 KB", small, nsmall);
	report("all", all, n);
	for (i = 0; i < n; i++)
		free(m[i].buf);
	free(m);
	free(t);
	free(small);
	free(all);
	free(b);
	return 0;
}
