/*
 * ctl_reclassify.h - repguardctl reclassify: what is stored of past
 * bounces, judged again by the rules in force.
 *
 *	rc = ctl_reclassify(argc, argv, confpath);	exit status
 */
#ifndef REPGUARD_CTL_RECLASSIFY_H
#define REPGUARD_CTL_RECLASSIFY_H

int	ctl_reclassify(int argc, char **argv, const char *confpath);

#endif
