/*
 * panic.h - how policy/ ends the process on an exhausted resource or a
 * broken invariant, through one hook the program sets.
 *
 *	panic_set_hook(fn);		fn(text) reports it the program's way
 *					(the daemon: its log) and ends the
 *					process; NULL: standard error
 *	panic_die("out of memory (%zu bytes)", n);	never returns
 *
 * Without a hook, or if the hook returns, the text goes to standard error
 * as "repguard: panic: TEXT" and the process aborts.  Mail data never
 * reaches panic_die().
 */
#ifndef REPGUARD_PANIC_H
#define REPGUARD_PANIC_H

typedef void (*PANIC_HOOK)(const char *text);

void	panic_set_hook(PANIC_HOOK);
void	panic_die(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#endif
