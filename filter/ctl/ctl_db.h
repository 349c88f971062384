/*
 * ctl_db.h - repguardctl db: check, back up and recover the database.
 * See ctl_db.c and repguardctl(8), RECOVERY.
 */
#ifndef REPGUARD_CTL_DB_H
#define REPGUARD_CTL_DB_H

int	ctl_db(int argc, char **argv, const char *confpath);

#endif
