/*
 * ctl_bounce.h - repguardctl's bounce commands.
 *
 *	repguardctl parse-bounce [FILE] [--rules FILE] [--prefix P]
 *	    [--domain D]
 *
 * Prints, as one JSON object, what the bounce parser makes of one message
 * (FILE, or standard input): its type, the return-path token, the
 * recipients with status, action, class and diagnostic, the complaint's
 * feedback type.  The rules, prefix and domain come from the options,
 * else from the configuration (BounceRules, ReturnPathPrefix,
 * ReturnPathDomain).  Returns 0, 1 (the input or rules cannot be read) or
 * 2 (usage).  ctl_json_str() (ctl.c) writes a JSON string.
 */
#ifndef REPGUARD_CTL_BOUNCE_H
#define REPGUARD_CTL_BOUNCE_H

int	ctl_parse_bounce(int argc, char **argv, const char *confpath);
void	ctl_json_str(const char *s);

#endif
