/*
 * ctl_dkim.h - repguardctl's DKIM key commands.
 *
 *	repguardctl keygen --domain D --selector S [--algorithm rsa|ed25519]
 *	    [--bits N] --out DIR
 *	repguardctl dkim-record KEYFILE [--domain D --selector S]
 *
 * Each takes the command's own argument vector (argv[0] is the command
 * name) and the configuration's path, unused, and returns repguardctl's
 * exit code: 0 success, 1 runtime error
 * (message on stderr), 2 usage error (message and usage on stderr).
 * Neither reads the configuration nor opens the store.
 */
#ifndef REPGUARD_CTL_DKIM_H
#define REPGUARD_CTL_DKIM_H

int	ctl_keygen(int argc, char **argv, const char *confpath);
int	ctl_dkim_record(int argc, char **argv, const char *confpath);

#endif
