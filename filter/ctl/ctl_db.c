/*
 * ctl_db.c - repguardctl db check | backup FILE | recover [--from FILE].
 *
 * Owns: ctl_db().
 *
 *	check	reads every record of every database (store_verify()):
 *		exit 0 sound, 1 damaged or unreadable, with what and where
 *	backup	a consistent, compacted copy of the live database into a
 *		new file (store_backup()), the daemon running or not
 *	recover	for a database repguard refuses to start on: with the daemon
 *		stopped, sets data.mdb aside as data.mdb.damaged-TIMESTAMP
 *		and builds a new one from every record still readable in it
 *		(store_salvage()), or from a backup (--from); says what was
 *		copied and what an operator must redo for what was not
 *
 * Decisions: reading a damaged LMDB file can crash the reader (LMDB trusts
 * its pages), so check and the copy of recover run in a child process and
 * a crash is reported as damage, not suffered.  recover refuses while the
 * daemon runs (its socket accepts connections, or its pid file names a
 * live process).  Like every command it runs as UserID, so the files it
 * makes are the daemon's.
 * Must not: touch the damaged file but by renaming it, or start empty
 * without saying so.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conf/conf.h"
#include "ctl/ctl_db.h"
#include "ctl/ctl_util.h"
#include "common/knock.h"
#include "store/store.h"

#define DB_ADVICE "stop repguard and run \"repguardctl db recover\" " \
	"(repguardctl(8), RECOVERY)"

static const char db_usage[] = "usage: repguardctl db check\n"
    "       repguardctl db backup FILE\n"
    "       repguardctl db recover [--from BACKUP]\n";

static void
db_report_check(const char *db, long long n, const char *problem, void *ctx)
{
	long long *total = ctx;

	*total += n;
	if (problem != NULL)
		printf("%-11s damaged after %lld record(s): %s\n", db, n,
		    problem);
	else
		printf("%-11s %lld record(s)\n", db, n);
}

static void
db_report_copy(const char *db, long long n, const char *problem, void *ctx)
{
	int *partial = ctx;

	if (problem != NULL) {
		*partial = 1;
		printf("%-11s %lld record(s) copied, then: %s\n", db, n,
		    problem);
	} else
		printf("%-11s %lld record(s) copied\n", db, n);
}

/*
 * Run fn in a child (a damaged page may crash it); its exit status, or
 * 128 + the signal that killed it.
 */
static int
db_in_child(int (*fn)(void *), void *arg)
{
	pid_t pid;
	int status;

	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) == -1) {
		fprintf(stderr, "repguardctl: fork: %s\n", strerror(errno));
		return 1;
	}
	if (pid == 0) {
		int rc = fn(arg);

		fflush(stdout);
		_exit(rc);
	}
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return 1;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

struct db_job {
	const CONF	*conf;
	const char	*from;		/* salvage: the file to read */
};

static int
db_check_child(void *arg)
{
	struct db_job *j = arg;
	char err[512] = "";
	long long total = 0;
	int rc;

	rc = store_verify(conf_database_path(j->conf), db_report_check,
	    &total, err, sizeof(err));
	if (rc < 0) {
		printf("the database cannot be opened: %s\n%s\n", err,
		    DB_ADVICE);
		return 1;
	}
	if (rc > 0) {
		printf("the database is damaged: %s\n", DB_ADVICE);
		return 1;
	}
	printf("the database is sound: %lld record(s)\n", total);
	return 0;
}

static int
db_check(const CONF *c)
{
	struct db_job j = { c, NULL };
	int rc = db_in_child(db_check_child, &j);

	if (rc > 128) {
		printf("reading the database crashed (signal %d): it is "
		    "damaged: %s\n", rc - 128, DB_ADVICE);
		return 1;
	}
	return rc == 0 ? 0 : 1;
}

static int
db_backup(const CONF *c, const char *file)
{
	char err[512] = "";

	if (store_backup(conf_database_path(c), file, err, sizeof(err)) != 0) {
		fprintf(stderr, "repguardctl: backup: %s\n", err);
		return 1;
	}
	printf("backed up %s to %s\n", conf_database_path(c), file);
	return 0;
}

/* Is the daemon running on this configuration?  Its socket or pid file. */
static int
db_daemon_running(const CONF *c)
{
	const char *pidfile = conf_pidfile(c);
	FILE *f;
	long pid = 0;
	int up = knock_unix(conf_socket(c));

	if (!up && pidfile != NULL && (f = fopen(pidfile, "r")) != NULL) {
		if (fscanf(f, "%ld", &pid) == 1 && pid > 0 &&
		    kill((pid_t)pid, 0) == 0)
			up = 1;
		fclose(f);
	}
	return up;
}

static int
db_salvage_child(void *arg)
{
	struct db_job *j = arg;
	char err[512] = "";
	STORE_OPTS so;
	long long n;
	int partial = 0;

	conf_store_opts(j->conf, &so);
	n = store_salvage(j->from, conf_database_path(j->conf), &so,
	    db_report_copy, &partial, err, sizeof(err));
	if (n < 0) {
		printf("nothing could be copied: %s\n", err);
		return 1;
	}
	printf("%lld record(s) copied into a new database%s\n", n,
	    partial ? "; some could not be read" : "");
	return partial ? 3 : 0;
}

static int
db_recover(const CONF *c, const char *from)
{
	const char *dir = conf_database_path(c);
	char data[4000], aside[4096], lock[4000], stamp[32];
	struct db_job j = { c, NULL };
	struct stat sb;
	time_t now = time(NULL);
	int rc;

	if (db_daemon_running(c)) {
		fprintf(stderr, "repguardctl: repguard is running on this "
		    "configuration: stop it first\n");
		return 1;
	}
	snprintf(data, sizeof(data), "%s/data.mdb", dir);
	snprintf(lock, sizeof(lock), "%s/lock.mdb", dir);
	if (from != NULL && stat(from, &sb) != 0) {
		fprintf(stderr, "repguardctl: %s: %s\n", from, strerror(errno));
		return 1;
	}
	if (stat(data, &sb) == 0) {
		strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", gmtime(&now));
		snprintf(aside, sizeof(aside), "%s.damaged-%s", data, stamp);
		if (rename(data, aside) != 0) {
			fprintf(stderr, "repguardctl: cannot set %s aside: %s\n",
			    data, strerror(errno));
			return 1;
		}
		unlink(lock);
		printf("set the database aside as %s\n", aside);
	} else if (from == NULL) {
		fprintf(stderr, "repguardctl: %s: no database to recover\n",
		    data);
		return 1;
	} else
		aside[0] = '\0';
	j.from = from != NULL ? from : aside;
	printf("copying every readable record of %s\n", j.from);
	rc = db_in_child(db_salvage_child, &j);
	if (rc > 128)
		printf("the copy crashed (signal %d) on a damaged page: the "
		    "records copied before are in the new database\n",
		    rc - 128);
	if (rc == 1)
		printf("repguard will start with an empty database\n");
	if (rc != 0)
		printf("what was not copied is lost: paused senders are "
		    "active again (repguardctl pause), counts and reputation "
		    "history start again, suppressions are gone (repguardctl "
		    "import an export), bounces to earlier mail cannot be "
		    "traced to their senders; back up with \"repguardctl db "
		    "backup\" to recover from a backup next time\n");
	if (aside[0] != '\0')
		printf("the damaged file stays as %s: remove it when done\n",
		    aside);
	return 0;
}

int
ctl_db(int argc, char **argv, const char *confpath)
{
	CONF *c;
	int rc;

	if (argc < 2)
		return ctl_usage(db_usage, NULL);
	if (strcmp(argv[1], "check") == 0 && argc == 2) {
		c = ctl_conf(confpath);
		rc = db_check(c);
	} else if (strcmp(argv[1], "backup") == 0 && argc == 3) {
		c = ctl_conf(confpath);
		rc = db_backup(c, argv[2]);
	} else if (strcmp(argv[1], "recover") == 0 && (argc == 2 ||
	    (argc == 4 && strcmp(argv[2], "--from") == 0))) {
		c = ctl_conf(confpath);
		rc = db_recover(c, argc == 4 ? argv[3] : NULL);
	} else
		return ctl_usage(db_usage, NULL);
	conf_unref(c);
	return rc;
}
