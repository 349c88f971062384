/*
 * ctl_bounce.h - repguardctl's bounce commands.
 *
 *	repguardctl parse-bounce [FILE] [--rules FILE] [--prefix P]
 *	    [--domain D]
 *	repguardctl ingest [--rcpt ADDRESS] < MESSAGE
 *
 * ingest takes one report on standard input (a pipe transport, or a
 * mailbox replayed message by message) the way the milter takes one at
 * end of message: the return-path token of --rcpt (the envelope
 * recipient), else the one found in the message, must verify under the
 * configured keys; then the report is parsed and its events recorded.
 * It prints the log line.  Exit 0 when recorded or deliberately not (no
 * or a bad token: never bounce a forged report back), 75 (EX_TEMPFAIL)
 * when the store failed, 1 on a configuration error, 2 on usage.
 *
 * Prints, as one JSON object, what the bounce parser makes of one message
 * (FILE, or standard input): its type, the return-path token, the
 * recipients with status, action, class and diagnostic, the complaint's
 * feedback type, and the sender key the token's record names (when the
 * configuration is read and its database holds the record).  The rules,
 * prefix and domain come from the options, else from the configuration
 * (BounceRules, ReturnPathPrefix, ReturnPathDomain).  Returns 0, 1 (the input or rules cannot be read) or
 * 2 (usage).
 */
#ifndef REPGUARD_CTL_BOUNCE_H
#define REPGUARD_CTL_BOUNCE_H

int	ctl_parse_bounce(int argc, char **argv, const char *confpath);
int	ctl_ingest(int argc, char **argv, const char *confpath);

#endif
