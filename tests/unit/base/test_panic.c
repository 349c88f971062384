/*
 * test_panic.c - tests of panic_set_hook() and panic_die(), and of the
 * allocation failure that reaches them (mem_alloc of an impossible size).
 *
 * Each case runs in a child process, since panic_die() ends it: with a
 * hook, the hook gets the text and ends the child its own way; without
 * one (or with a hook that returns), the text goes to standard error and
 * the child aborts.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/mem.h"
#include "base/panic.h"
#include "tap.h"

#if defined(__SANITIZE_ADDRESS__)
/* AddressSanitizer's malloc() fails by aborting unless told to return
 * NULL, as the C library's does: the failure must reach mem.c */
const char *__asan_default_options(void);
const char *
__asan_default_options(void)
{
	return "allocator_may_return_null=1";
}
#endif

static int hook_fd = -1;

static void
hook_exit(const char *text)
{
	(void)!write(hook_fd, text, strlen(text));
	_exit(7);
}

static void
hook_return(const char *text)
{
	(void)!write(hook_fd, "returned:", 9);
	(void)!write(hook_fd, text, strlen(text));
}

/* Run fn in a child with its stdout and stderr on one pipe: its wait
 * status, and what it wrote into out. */
static int
run(void (*fn)(void), char *out, size_t outsize)
{
	int p[2], status = -1;
	ssize_t n;
	size_t used = 0;
	pid_t pid;

	if (pipe(p) != 0)
		return -1;
	fflush(stdout);
	if ((pid = fork()) == 0) {
		close(p[0]);
		dup2(p[1], 2);
		hook_fd = p[1];
		fn();
		_exit(0);
	}
	close(p[1]);
	while (used + 1 < outsize &&
	    (n = read(p[0], out + used, outsize - 1 - used)) > 0)
		used += (size_t)n;
	out[used] = '\0';
	close(p[0]);
	waitpid(pid, &status, 0);
	return status;
}

static void
case_no_hook(void)
{
	panic_die("broken invariant %d", 42);
}

static void
case_hook(void)
{
	panic_set_hook(hook_exit);
	panic_die("cannot start the %s thread", "tally");
}

static void
case_hook_returns(void)
{
	panic_set_hook(hook_return);
	panic_die("x");
}

static void
case_out_of_memory(void)
{
	panic_set_hook(hook_exit);
	(void)mem_alloc(SIZE_MAX - 16);
}

int
main(void)
{
	char out[1024];
	int st;

	st = run(case_no_hook, out, sizeof(out));
	tap_ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT, "no hook: the "
	    "process aborts");
	tap_str(out, "repguard: panic: broken invariant 42\n", "no hook: the "
	    "text on standard error");
	st = run(case_hook, out, sizeof(out));
	tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 7, "a hook ends the "
	    "process its own way");
	tap_str(out, "cannot start the tally thread", "the hook gets the "
	    "formatted text, nothing else is written");
	st = run(case_hook_returns, out, sizeof(out));
	tap_ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT, "a hook that "
	    "returns: the process still aborts");
	tap_str(out, "returned:xrepguard: panic: x\n", "... after the hook "
	    "and the text on standard error");
	st = run(case_out_of_memory, out, sizeof(out));
	/* (a sanitizer may warn before it) */
	tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 7 &&
	    strstr(out, "out of memory (") != NULL, "an allocation that "
	    "fails reaches the hook: \"%s\"", out);
	return tap_done();
}
