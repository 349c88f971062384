/*
 * main.c - the repguard daemon: start-up, signals, reload and shut-down.
 *
 * Owns: main().  Start-up order matters and is:
 *	read the configuration (-n stops here) -> open the milter socket
 *	(as root) -> detach (unless -f) -> pid file -> drop privileges ->
 *	open the store -> start the tally thread -> serve.
 * The detached parent waits until the child reports that it is serving
 * (or why it is not), so a failed start is a failed command.
 *
 * Signals: libmilter's own signal thread sigwait()s for HUP, TERM and INT
 * and stops the milter on any of them, but repguard reloads on SIGHUP.  So
 * smfi_main() runs in a thread created with those signals blocked (its
 * threads inherit that), while the main thread never blocks them, not even
 * for a moment: Linux gives a process-directed signal to the main thread
 * when it can take it, and to a thread in sigwait() otherwise.  The
 * handler (SA_NODEFER: a second SIGHUP during the first is not blocked
 * either) records the signal and writes a byte to wake the main loop;
 * SIGHUPs that arrive during a reload make one more reload.  SIGHUP
 * reloads; SIGTERM and SIGINT call smfi_stop().  libmilter's thread itself
 * waits in repguard's sigwait() (milter_sigwait.c), which takes nothing;
 * should the milter stop with no stop requested, repguard says so and
 * exits 1.
 *
 * The socket, the detach, the pid file are daemonize.c's; the minute's
 * housekeeping is here.
 *
 * Must not: handle mail (milter.c does), or do anything but write(2) in a
 * signal handler.
 */
#include "config.h"

#define _GNU_SOURCE		/* pthread_attr_setsigmask_np */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "base/clock.h"
#include "conf/conf.h"
#include "common/knock.h"
#include "dkim/cryptoctx.h"
#include "common/log.h"
#include "base/mem.h"
#include "milter/milter.h"
#include "common/privs.h"
#include "common/metrics.h"
#include "daemon/daemonize.h"
#include "cluster/cluster.h"
#include "daemon/metrics_http.h"
#include "daemon/repwatch.h"
#include "shaping/shape.h"
#include "retpath/retpath.h"
#include "retpath/rprecord.h"
#include "reputation/sender.h"
#include "dkim/signer.h"
#include "store/store.h"
#include "reputation/suppress.h"
#include "reputation/tally.h"

#define MAIN_HOUSEKEEPING_MS	60000
#define MAIN_QUIESCE_MS		10000
#define MAIN_SWEEP_BUDGET	2000	/* keys of each database per minute */
#define MAIN_RP_SWEEP_MS	1000	/* return-path records: a minute's time
					   to go on to the end of the pass */
#define MAIN_BUCKET_WRITE_MS	1000	/* rate-limit buckets to the store */

static int main_sigpipe[2] = { -1, -1 };	/* wakes the main loop */
static int main_milter_rc;
static volatile sig_atomic_t main_got_hup;	/* set by the handler */
static volatile sig_atomic_t main_got_stop;	/* SIGTERM or SIGINT */
static volatile sig_atomic_t main_milter_done;	/* smfi_main() returned */

static void
main_usage(void)
{
	fprintf(stderr, "usage: repguard [-fnV] [-c config-file]\n");
	exit(2);
}

static void
main_on_signal(int sig)
{
	unsigned char b = (unsigned char)sig;
	int saved = errno;

	if (sig == SIGHUP)
		main_got_hup = 1;
	else
		main_got_stop = sig;
	(void)!write(main_sigpipe[1], &b, 1);	/* full: already awake */
	errno = saved;
}

static void *
main_milter_thread(void *arg)
{
	unsigned char b = 0;

	(void)arg;
	main_milter_rc = smfi_main();
	__atomic_store_n(&main_milter_done, 1, __ATOMIC_SEQ_CST);
	(void)!write(main_sigpipe[1], &b, 1);
	return NULL;
}

static void *
main_stop_thread(void *arg)
{
	int *done = arg;

	smfi_stop();
	__atomic_store_n(done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* smfi_stop(), waking the listener until it has taken effect. */
static void
main_stop(const char *socket_spec)
{
	pthread_t tid;
	int done = 0, i;

	if (pthread_create(&tid, NULL, main_stop_thread, &done) != 0) {
		smfi_stop();
		return;
	}
	for (i = 0; i < 5000 && !__atomic_load_n(&done, __ATOMIC_SEQ_CST); i++) {
		/*
		 * libmilter's listener holds a lock while it waits in poll()
		 * for seconds, and smfi_stop() needs that lock: a connection
		 * wakes the listener so stopping is quick.
		 */
		knock_unix(socket_spec);
		usleep(1000);
	}
	pthread_join(tid, NULL);
}






static void
main_tally_error(const char *err, void *ctx)
{
	(void)ctx;
	msg_warn("counter update failed, will retry: %s", err);
}

static void main_log_lines(const char *, const char *);

/*
 * Before dropping to UserID: every key, and the cluster's password file,
 * must be one that user can read (it owns it: key files are 0600), since
 * reloads re-read them as that user.  The problems, one a line, or NULL.
 */
static char *
main_key_owner_errors(const CONF *c)
{
	char user[256], *errors = NULL;
	const char *spec = conf_user(c);
	struct passwd *pw;

	if (spec == NULL || geteuid() != 0)
		return NULL;
	snprintf(user, sizeof(user), "%.*s", (int)strcspn(spec, ":"), spec);
	if ((pw = getpwnam(user)) == NULL)
		return NULL;
	signer_check_owner(conf_signer(c), pw->pw_uid, user, &errors);
	retpath_check_owner(conf_retpath(c), pw->pw_uid, user, &errors);
	conf_cluster_check_owner(c, pw->pw_uid, user, &errors);
	return errors;
}

/* Log each line of a multi-line text (configuration errors, warnings). */
static void
main_log_lines(const char *prefix, const char *text)
{
	const char *line, *nl;

	for (line = text; line != NULL && *line != '\0'; line = nl + 1) {
		if ((nl = strchr(line, '\n')) == NULL)
			nl = line + strlen(line) - 1;
		msg_warn("%s: %.*s", prefix, (int)(nl - line + (*nl != '\n')),
		    line);
	}
}

static CLUSTER *main_cluster;	/* NULL: no Cluster */

/* Reload; 'boot' holds the restart-only values actually in force. */
static void
main_reload(const char *path, const CONF *boot, STORE *st, TALLY *ty,
    int foreground)
{
	CONF *c;
	char *errors, *line, *next, *changed;

	if ((c = conf_load(path, 0, &errors)) == NULL) {
		for (line = errors; line != NULL && *line; line = next) {
			next = strchr(line, '\n');
			if (next != NULL)
				*next++ = '\0';
			msg_warn("reload refused: %s", line);
		}
		free(errors);
		msg_warn("reload refused: keeping the running configuration");
		return;
	}
	main_log_lines("reload", conf_warnings(c));
	if ((changed = conf_restart_changes(boot, c)) != NULL) {
		msg_warn("reload: %s changed; that takes a restart, the old "
		    "value stays in force", changed);
		free(changed);
	}
	log_open("repguard", foreground, conf_syslog(c),
	    conf_syslog_facility(c));
	tally_set_interval(ty, conf_commit_interval(c));
	store_set_max_size(st, conf_database_max(c));
	if (main_cluster != NULL)
		cluster_set_rules(main_cluster, conf_rep_rules(c));
	conf_install(c);
	msg_info("configuration reloaded from %s", path);
}

static void
main_signals(void)
{
	struct sigaction sa;

	if (pipe(main_sigpipe) != 0)
		msg_fatal("pipe: %s", strerror(errno));
	fcntl(main_sigpipe[0], F_SETFL, O_NONBLOCK);
	fcntl(main_sigpipe[1], F_SETFL, O_NONBLOCK);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = main_on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART | SA_NODEFER;
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

/*
 * At start and then every minute: free reader slots of killed
 * repguardctls, and remove a slice of what has aged out (counters,
 * senders that stopped sending, expired return-path records).  At start
 * too, so that a daemon that was down for days clears at once rather
 * than after its first quiet minute.
 */
struct main_rp_sweep {
	int64_t		 now;
	char		 bucket[BUCKET_NAME_MAX + 1], bucket_next[BUCKET_NAME_MAX
			    + 1];		/* rate-limit buckets */
	long		 bucket_removed;
	uint64_t	 cursor, next;
	long		 removed;
	SUPPRESS_SWEEP	 sup, sup_next;		/* the suppression list */
	long		 sup_removed;
};

static int
main_rp_sweep_fn(STORE_TXN *t, void *ctx)
{
	struct main_rp_sweep *s = ctx;

	s->next = s->cursor;
	s->sup_next = s->sup;
	s->removed = rprecord_sweep(t, s->now, MAIN_SWEEP_BUDGET, &s->next);
	if (s->removed < 0)
		return 1;
	s->sup_removed = suppress_sweep(t, s->now, MAIN_SWEEP_BUDGET,
	    &s->sup_next);
	if (s->sup_removed < 0)
		return 1;
	memcpy(s->bucket_next, s->bucket, sizeof(s->bucket));
	s->bucket_removed = bucket_sweep(t, s->now * 1000, MAIN_SWEEP_BUDGET,
	    s->bucket_next);
	return s->bucket_removed < 0 ? 1 : 0;
}

static SHAPE *main_shape;	/* the rate-limit buckets in memory */
static TALLY *main_tally;

/* The counters, into the tally's coming batch (meta database). */
static void
main_metrics_queue(TALLY *ty)
{
	unsigned char v[METRICS_VALUE_MAX];
	size_t n = metrics_encode(v);

	tally_put(ty, STORE_DB_META, METRICS_KEY, strlen(METRICS_KEY), v, n);
}

/*
 * The tally's prepare hook: the buckets whose tokens changed since they
 * were last written, into the coming batch, at most once a second.
 * Buckets are keyed by sender and domain, spread over the whole tree:
 * written with every batch (CommitInterval) they would rewrite most of
 * its pages a hundred times a second.  A crash loses at most a second of
 * takes (a little more mail may go).  Buckets full again (only their
 * counts changed) are written by the minute housekeeping, and all at a
 * stop (main()).
 */
static void
main_shape_queue(TALLY *ty, void *ctx)
{
	static int64_t last;
	int64_t now = clock_monotonic_ms();

	if (now - last < MAIN_BUCKET_WRITE_MS)
		return;
	last = now;
	shape_queue(ctx, ty, clock_now_ms(), 0);
	main_metrics_queue(ty);
}

static void
main_housekeeping(STORE *st, SENDER_SWEEP *sweep, int first)
{
	static struct main_rp_sweep rp;
	uint64_t before = sweep->deleted;
	char err[512];
	long more;
	int n, ok = 1;

	if ((n = store_check_readers(st)) > 0)
		msg_warn("database: cleared %d reader slot(s) left by dead "
		    "processes", n);
	repwatch_sweep(st, clock_now());
	if (sender_sweep(st, sweep, clock_now(), MAIN_SWEEP_BUDGET,
	    err, sizeof(err)) != 0) {
		msg_warn("database housekeeping (senders) failed: %s", err);
		ok = 0;
	}
	rp.now = clock_now();
	rp.removed = 0;
	if (store_write(st, main_rp_sweep_fn, &rp, err, sizeof(err)) != 0) {
		msg_warn("database housekeeping (return-path records, "
		    "suppression list) failed: %s", err[0] ? err :
		    "damaged store");
		rp.removed = rp.sup_removed = 0;
		ok = 0;
	} else {
		rp.cursor = rp.next;
		rp.sup = rp.sup_next;
		memcpy(rp.bucket, rp.bucket_next, sizeof(rp.bucket));
	}
	/* one return-path record is made per message: at more than
	 * MAIN_SWEEP_BUDGET messages a minute a fixed budget falls behind */
	if (ok && rp.cursor != 0) {
		more = rprecord_sweep_paced(st, rp.now, MAIN_SWEEP_BUDGET,
		    MAIN_RP_SWEEP_MS, &rp.cursor, err, sizeof(err));
		if (more < 0) {
			msg_warn("database housekeeping (return-path records) "
			    "failed: %s", err[0] ? err : "damaged store");
			ok = 0;
		} else
			rp.removed += more;
	}
	shape_queue(main_shape, main_tally, clock_now_ms(), 1);	/* counts */
	(void)shape_sweep(main_shape, clock_now_ms());
	/* at start always (the operator sees it ran), later when it did */
	if (first || sweep->deleted > before || rp.removed > 0 ||
	    rp.sup_removed > 0)
		msg_info("database housekeeping%s%s: removed %llu aged-out "
		    "entries, %ld expired return-path record(s), %ld expired "
		    "suppression(s)", first ? " at start" : "",
		    ok ? "" : " (partly failed)",
		    (unsigned long long)(sweep->deleted - before), rp.removed,
		    rp.sup_removed);
}

/* Empty the wake-up pipe; what woke the loop is in the main_got_* flags. */
static void
main_drain(void)
{
	unsigned char buf[256];

	while (read(main_sigpipe[0], buf, sizeof(buf)) > 0)
		;
}

/* smfi_main() in a thread that starts with HUP, TERM and INT blocked. */
static void
main_start_milter(pthread_t *tid)
{
	pthread_attr_t attr;
	sigset_t block;

	sigemptyset(&block);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	if (pthread_attr_init(&attr) != 0 ||
	    pthread_attr_setsigmask_np(&attr, &block) != 0 ||
	    pthread_create(tid, &attr, main_milter_thread, NULL) != 0)
		msg_fatal("cannot start the milter thread");
	pthread_attr_destroy(&attr);
}

/* Serve until a stop signal or until libmilter gives up. */
static int
main_serve(const char *path, const CONF *boot, STORE *st, TALLY *ty,
    int foreground)
{
	struct pollfd pfd = { main_sigpipe[0], POLLIN, 0 };
	SENDER_SWEEP sweep;
	pthread_t tid;
	int64_t next;
	int stopping = 0, first = 1, sig;

	memset(&sweep, 0, sizeof(sweep));
	/* A stop requested while starting up: do not start serving. */
	main_drain();
	if ((sig = main_got_stop) != 0) {
		msg_info("%s during start-up: stopping", sig == SIGTERM ?
		    "SIGTERM" : "SIGINT");
		return 0;
	}
	if (main_got_hup) {
		main_got_hup = 0;
		main_reload(path, boot, st, ty, foreground);
	}
	main_start_milter(&tid);

	next = clock_monotonic_ms();
	for (;;) {
		int64_t now = clock_monotonic_ms();

		/* on time even when signals keep waking the loop */
		if (now >= next) {
			main_housekeeping(st, &sweep, first);
			first = 0;
			next = now + MAIN_HOUSEKEEPING_MS;
			continue;
		}
		if (poll(&pfd, 1, (int)(next - now)) <= 0)
			continue;
		main_drain();
		if ((sig = main_got_stop) != 0 && !stopping) {
			msg_info("%s: stopping", sig == SIGTERM ? "SIGTERM" :
			    "SIGINT");
			stopping = 1;
			main_stop(conf_socket(boot));
		}
		if (main_got_hup && !stopping) {
			main_got_hup = 0;	/* one more arriving: reload again */
			msg_info("SIGHUP: reloading %s", path);
			main_reload(path, boot, st, ty, foreground);
		}
		if (__atomic_load_n(&main_milter_done, __ATOMIC_SEQ_CST))
			break;
	}
	pthread_join(tid, NULL);
	if (stopping)
		return 0;
	if ((sig = main_got_stop) != 0) {
		/* the stop signal came as libmilter stopped: a stop all the same */
		msg_info("%s: stopped", sig == SIGTERM ? "SIGTERM" : "SIGINT");
		return 0;
	}
	if (main_milter_rc == MI_SUCCESS)
		msg_warn("the milter library stopped on its own, though no "
		    "stop was asked for (a signal it took for one?): exiting "
		    "with status 1");
	else
		msg_warn("the milter library stopped with an error");
	return 1;
}

/* The configuration, checked; with -n, reported and the process done
 * (*done: the exit status). */
static CONF *
main_conf(const char *path, int check, int *done)
{
	char *errors;
	CONF *c;

	*done = -1;
	if ((c = conf_load(path, 0, &errors)) == NULL) {
		fputs(errors, stderr);
		free(errors);
		*done = 1;
		return NULL;
	}
	if ((errors = main_key_owner_errors(c)) != NULL) {
		fputs(errors, stderr);
		free(errors);
		conf_unref(c);
		*done = 1;
		return NULL;
	}
	if (check) {
		if (conf_warnings(c) != NULL)
			fputs(conf_warnings(c), stderr);
		printf("%s: configuration OK\n", path);
		conf_unref(c);
		*done = 0;
		return NULL;
	}
	return c;
}

/*
 * From a checked configuration to a daemon: logging, signals, the milter
 * socket (as root), the detach, the pid file, the user.  Returns the
 * descriptor to say "serving" on (-1 in the foreground).
 */
static int
main_become_daemon(CONF *c, int foreground)
{
	int ready_fd = -1;
	char err[512];

	log_open("repguard", 1, conf_syslog(c), conf_syslog_facility(c));
	main_log_lines("configuration", conf_warnings(c));
	main_signals();		/* before anything a signal could interrupt */
	if (smfi_register(*milter_desc()) != MI_SUCCESS)
		msg_fatal("smfi_register failed");
	daemon_open_socket(c);
	if (!foreground)
		ready_fd = daemon_detach();
	log_open("repguard", foreground, conf_syslog(c),
	    conf_syslog_facility(c));
	daemon_write_pidfile(conf_pidfile(c));
	if (conf_user(c) != NULL && privs_drop(conf_user(c), err,
	    sizeof(err)) != NULL)
		msg_fatal("UserID: %s", err);
	if (geteuid() == 0)
		msg_warn("running as root: set UserID to the user repguard "
		    "should handle mail as (contrib/repguard.conf)");
	return ready_fd;
}

/* The store, the tally thread, the shaping buckets, the metrics: opened
 * after the fork and as the daemon's user. */
static void
main_open_state(CONF *c, STORE **stp, TALLY **typ, MHTTP **mhttpp)
{
	STORE_OPTS so;
	char err[512];
	STORE *st;
	TALLY *ty;

	conf_store_opts(c, &so);
	if ((st = store_open(conf_database_path(c), &so, err,
	    sizeof(err))) == NULL)
		msg_fatal("database: %s", err);
	if (store_stale_readers(st) > 0)
		msg_warn("database: cleared %d reader slot(s) left by dead "
		    "processes", store_stale_readers(st));
	if (conf_cluster(c) != NULL) {
		/* the journal is on (conf_store_opts): the thread sends it */
		CLUSTER_OPTS o;

		memset(&o, 0, sizeof(o));
		o.set = *conf_cluster(c);
		main_cluster = cluster_start(st, &o);
		redis_target_wipe(&o.set.target);
		cluster_set_rules(main_cluster, conf_rep_rules(c));
		milter_set_cluster(main_cluster);
	}
	ty = tally_start(st, conf_commit_interval(c), main_tally_error, NULL);
	tally_set_hook(ty, repwatch_counted, NULL);
	main_shape = shape_new(st);
	main_tally = ty;
	if (shape_load_names(main_shape, err, sizeof(err)) != 0)
		msg_warn("database: rate-limit buckets not listed (each is "
		    "read at first use instead): %s", err);
	tally_set_prepare(ty, main_shape_queue, main_shape);
	if (main_cluster != NULL)	/* its buckets are the cluster's */
		cluster_set_shape(main_cluster, main_shape);
	milter_init(st, ty, main_shape);
	if (metrics_restore(st, err, sizeof(err)) != 0)
		msg_warn("database: metrics not read, counting from 0: %s",
		    err);
	*mhttpp = NULL;
	if (conf_metrics_listen(c) != NULL &&
	    (*mhttpp = metrics_http_start(conf_metrics_listen(c), st, err,
	    sizeof(err))) == NULL)
		msg_fatal("%s", err);
	*stp = st;
	*typ = ty;
}


int
main(int argc, char **argv)
{
	const char *path = CONF_DEFAULT_PATH;
	int ch, check = 0, foreground = 0, ready_fd, rc;
	MHTTP *mhttp;
	STORE *st;
	TALLY *ty;
	CONF *c;

	cryptoctx_setup();
	while ((ch = getopt(argc, argv, "c:fnVh")) != -1) {
		switch (ch) {
		case 'c': path = optarg; break;
		case 'f': foreground = 1; break;
		case 'n': check = 1; break;
		case 'V':
			printf("repguard %s\n", PACKAGE_VERSION);
			return 0;
		default: main_usage();
		}
	}
	if (optind != argc)
		main_usage();
	if ((c = main_conf(path, check, &rc)) == NULL)
		return rc;
	ready_fd = main_become_daemon(c, foreground);
	main_open_state(c, &st, &ty, &mhttp);
	conf_ref(c);		/* restart-only settings stay those of 'c' */
	conf_install(c);
	msg_info("repguard %s listening on %s (database %s)", PACKAGE_VERSION,
	    conf_socket(c), conf_database_path(c));
	daemon_ready(ready_fd, 1);

	rc = main_serve(path, c, st, ty, foreground);
	if (milter_quiesce(MAIN_QUIESCE_MS) != 0) {
		/* Freeing the store under a running callback would crash. */
		msg_warn("callbacks still running after %d ms: stopping "
		    "without freeing", MAIN_QUIESCE_MS);
		tally_flush(ty);
		rc = 1;
	} else {
		metrics_http_stop(mhttp);
		/* the last changes */
		shape_queue(main_shape, ty, clock_now_ms(), 1);
		main_metrics_queue(ty);
		tally_stop(ty);
		cluster_stop(main_cluster);	/* sends what it can */
		shape_free(main_shape);
		store_close(st);
	}
	daemon_remove_files(c);
	conf_unref(c);
	conf_install(NULL);
	return rc;
}
