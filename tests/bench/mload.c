/*
 * mload.c - a milter-protocol load generator: the MTA side of the Sendmail 8
 * milter protocol (version 6), speaking to a filter the way Postfix's smtpd
 * and cleanup do, over several connections at once.
 *
 * Synopsis:
 *	mload -s SOCKET -m MESSAGE [-c CONC] [-n MSGS] [-t SECONDS]
 *	      [-i CLIENT_IP] [-a LOGIN] [-f FROM] [-r RCPT] [-H HEADER]
 *	      [-T TIMEOUT] [-w SECONDS] [-A] [-o FILE] [-v] [-j]
 *	      [-F NFROM] [-R NRCPT] [-D NDOMAINS] [-K] [-P RATE]
 *
 *	SOCKET is a unix socket path (also "unix:PATH", "local:PATH") or
 *	"HOST:PORT" ("inet:PORT@HOST" too).  CONC threads each hold one
 *	connection (negotiate, connect, HELO) and send messages on it: MAIL,
 *	RCPT, DATA, the headers one by one, EOH, the body in chunks of at most
 *	65535 octets, end of message, then every modification reply up to the
 *	final one; then the next MAIL on the same connection.  -i claims the
 *	client address (connect packet, {client_addr}; default 127.0.0.1); -a
 *	sends {auth_type} PLAIN and {auth_authen} LOGIN with MAIL; -f and -r
 *	set the envelope (MAIL carries SIZE=); -T bounds every read and write
 *	(default 10 s); -H names a header the filter must add to each message
 *	(one without it counts as a failure).  With -n each
 *	connection carries MSGS messages (then QUIT and, under -t, a new
 *	connection); with -t the run lasts SECONDS.  Macros are Postfix's
 *	default lists per stage, or the lists the filter asked for with
 *	smfi_setsymlist (as Postfix honours them).  Header values go out as
 *	Postfix sends them: continuation lines joined by a bare newline, one
 *	leading space eaten unless the filter asked for SMFIP_HDR_LEADSPC.
 *	-F and -R spread the envelope over NFROM senders and NRCPT
 *	recipients ("bench@example.com" becomes bench0@ to bench<N-1>@, a
 *	different one for each message); -D spreads the recipients over
 *	NDOMAINS domains ("rcpt7@d42.example.net"); -K keeps reconnecting while the run
 *	lasts (a filter killed and restarted), where mload otherwise gives a
 *	connection up after three failed connects in a row.  -P paces the
 *	run at RATE messages a second in all (each connection takes its
 *	share, on a fixed schedule; a connection more than a second behind
 *	it starts a new schedule rather than catching up in a burst).
 *	After each message, before the next MAIL, SMFIC_ABORT goes out, as
 *	Postfix 3.7's smtpd sends it when it resets the transaction (seen on
 *	the wire: EOM, its reply, ABORT, MAIL ...); -A leaves it out.
 *
 *	Reports messages, seconds, msgs/s (messages that reached end of
 *	message and were accepted or continued), latency percentiles of a
 *	whole message (MAIL sent to the final end-of-message reply), the
 *	generator's own CPU time (getrusage), and failures by kind: the
 *	filter's reply (reject, tempfail, discard, 4xx/5xx reply code,
 *	shutdown, connection failure, accept before end of message), a missing
 *	-H header, protocol errors, timeouts, closed connections.  -j prints
 *	one JSON line instead.  -v traces the negotiation and the first
 *	message's replies on stderr; -o FILE writes that message, with the
 *	filter's header changes applied (CRLF), for a DKIM verifier (exit 1
 *	if it failed).
 *	-w runs SECONDS of unrecorded warm-up on the same connections first
 *	(the JSON line counts its messages as warmup_ok).
 *
 * Diagnostics: usage errors exit 2; a run whose every connection failed
 *	exits 1, as does -o when the first message failed; otherwise 0,
 *	failures being part of the report.  Each worker prints its first
 *	failure on stderr.
 *
 * Must not: trust the filter.  A reply length outside 1..65536 (we never
 *	offer SMFIP_MDS_*), an unknown or misplaced reply, a truncated
 *	modification or negotiation packet is a protocol error that ends that
 *	connection (counted, then a new connection; so do a timeout, a closed
 *	socket, SMFIR_SHUTDOWN and SMFIR_CONN_FAIL), never a crash or an
 *	unbounded allocation.  Every read and write has a timeout.
 *
 * Limits: one recipient per message; replacement bodies (SMFIR_REPLBODY)
 *	and envelope changes are counted, not applied to the -o copy;
 *	SMFIC_UNKNOWN is never sent.
 */
#define _GNU_SOURCE
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "mload.h"

const char *const ml_outcome_name[O_COUNT] = {
	"accept", "continue", "early_accept", "reject", "tempfail", "discard",
	"reply_4xx", "reply_5xx", "shutdown", "conn_fail", "no_header",
	"protocol", "timeout", "closed", "connect",
};

struct ml_opts opt;
struct ml_msg msg;
static pthread_barrier_t ml_barrier;
static uint64_t ml_t_count;		/* messages started from here count */
static uint64_t ml_t_end;		/* -t: no message starts after this */
static struct ml_mod ml_capture[ML_MODS_MAX];
static size_t ml_ncapture;
static int ml_captured;
static uint32_t ml_capture_proto;
static enum ml_outcome ml_capture_outcome;

static double
ml_cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* ---- workers ------------------------------------------------------------ */

static void
ml_record(struct ml_worker *w, enum ml_outcome o, uint64_t ns, int counted)
{
	if (!counted) {
		if (o == O_OK_ACCEPT || o == O_OK_CONTINUE)
			w->warm_ok++;
		return;
	}
	w->count[o]++;
	if (o == O_OK_ACCEPT || o == O_OK_CONTINUE) {
		if (w->nlat == w->latcap) {
			w->latcap = w->latcap ? 2 * w->latcap : 4096;
			w->lat = ml_realloc(w->lat,
			    w->latcap * sizeof(*w->lat));
		}
		w->lat[w->nlat++] = ns;
	}
}

static void
ml_report_error(struct ml_worker *w, struct ml_conn *c, enum ml_outcome o)
{
	if (w->reported || c->err[0] == '\0')
		return;
	w->reported = 1;
	fprintf(stderr, "mload: connection %d: %s: %s\n", w->id,
	    ml_outcome_name[o], c->err);
}

static void *
ml_worker_main(void *arg)
{
	struct ml_worker *w = arg;
	struct ml_conn *c = ml_alloc(sizeof(*c));
	uint64_t ns = 0, next = 0, gap = 0;
	long on_conn = 0, total = 0, fails = 0;
	int counting, capture;
	enum ml_outcome o;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	o = ml_conn_open(c);
	if (o != O_OK_CONTINUE) {
		ml_report_error(w, c, o);
		ml_record(w, o, 0, 1);
		ml_conn_close(c, 0);
		fails++;
	} else
		w->alive = 1;
	pthread_barrier_wait(&ml_barrier);	/* all connected */
	pthread_barrier_wait(&ml_barrier);	/* main set the clocks */
	if (opt.rate > 0) {	/* -P: this connection's share */
		gap = (uint64_t)(1e9 * opt.conc / opt.rate);
		next = ml_now_ns() + gap * (uint64_t)w->id / (uint64_t)opt.conc;
	}

	for (;;) {
		uint64_t now = ml_now_ns();
		size_t nmods = 0;

		if (gap > 0) {
			if (now + 1000000000ULL < next || now > next +
			    1000000000ULL)
				next = now;	/* a new schedule */
			else if (now < next) {
				struct timespec ts;

				ts.tv_sec = (time_t)((next - now) / 1000000000ULL);
				ts.tv_nsec = (long)((next - now) % 1000000000ULL);
				nanosleep(&ts, NULL);
				now = ml_now_ns();
			}
			next += gap;
		}

		counting = now >= ml_t_count;
		if (opt.seconds > 0 ? now >= ml_t_end :
		    total >= opt.per_conn)
			break;
		if (c->fd < 0) {
			if (fails >= 3 && !opt.keep)
				break;
			o = ml_conn_open(c);
			if (o != O_OK_CONTINUE) {
				ml_report_error(w, c, o);
				ml_record(w, o, 0, counting);
				ml_conn_close(c, 0);
				fails++;
				usleep(100000);
				continue;
			}
			w->alive = 1;
			on_conn = 0;
		}
		c->err[0] = '\0';
		capture = w->id == 0 && !ml_captured && counting &&
		    (opt.verbose || opt.outfile != NULL);
		o = ml_message(c, w, &ns, capture ? ml_capture : NULL, &nmods);
		if (capture) {
			ml_captured = 1;
			ml_ncapture = nmods;
			ml_capture_proto = c->proto;
			ml_capture_outcome = o;
		}
		ml_record(w, o, ns, counting);
		if (counting)
			total++;
		if (o != O_OK_ACCEPT && o != O_OK_CONTINUE)
			ml_report_error(w, c, o);
		if (ml_conn_lost(o)) {
			ml_conn_close(c, 0);
			fails++;
			continue;
		}
		fails = 0;
		if (opt.per_conn > 0 && ++on_conn >= opt.per_conn)
			ml_conn_close(c, 1);
	}
	ml_conn_close(c, 1);
	free(c->out);
	free(c);
	return NULL;
}

/* ---- results ------------------------------------------------------------ */

static int
ml_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static double
ml_pct_ms(const uint64_t *v, size_t n, double p)
{
	size_t k;

	if (n == 0)
		return 0;
	k = (size_t)(p * (double)n + 0.999999);	/* nearest rank */
	if (k < 1)
		k = 1;
	if (k > n)
		k = n;
	return (double)v[k - 1] / 1e6;
}

static void
ml_json_str(FILE *fp, const char *s)
{
	fputc('"', fp);
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(fp, "\\%c", *s);
		else if ((unsigned char)*s < ' ')
			fprintf(fp, "\\u%04x", (unsigned char)*s);
		else
			fputc(*s, fp);
	}
	fputc('"', fp);
}

/* The captured message, with header insertions and changes applied. */
static void
ml_write_modified(const char *path)
{
	struct ml_hdr *h;
	size_t n = msg.nhdrs, i, k;
	FILE *fp;
	const char *sp = (ml_capture_proto & P_HDR_LEADSPC) ? "" : " ";

	h = ml_alloc(sizeof(*h) * (msg.nhdrs + ml_ncapture + 1));
	for (i = 0; i < msg.nhdrs; i++) {
		const char *v = msg.hdrs[i].value;

		/* as the filter saw it, and as Postfix will write it back */
		if (!(ml_capture_proto & P_HDR_LEADSPC) && *v == ' ')
			v++;
		h[i].name = msg.hdrs[i].name;
		h[i].value = (char *)v;
	}
	for (k = 0; k < ml_ncapture; k++) {
		struct ml_mod *m = &ml_capture[k];

		if (m->name == NULL)
			continue;
		if (m->cmd == 'h') {
			h[n].name = m->name;
			h[n++].value = m->value;
		} else if (m->cmd == 'i') {
			size_t idx = m->index > n ? n : m->index;

			memmove(h + idx + 1, h + idx, (n - idx) * sizeof(*h));
			h[idx].name = m->name;
			h[idx].value = m->value;
			n++;
		} else if (m->cmd == 'm') {
			uint32_t seen = 0;

			for (i = 0; i < n; i++) {
				if (strcasecmp(h[i].name, m->name) != 0 ||
				    ++seen != m->index)
					continue;
				if (*m->value == '\0') {
					memmove(h + i, h + i + 1,
					    (n - i - 1) * sizeof(*h));
					n--;
				} else
					h[i].value = m->value;
				break;
			}
		}
	}
	if ((fp = fopen(path, "wb")) == NULL)
		ml_die("%s: %s", path, strerror(errno));
	for (i = 0; i < n; i++) {
		const char *v;

		fprintf(fp, "%s:%s", h[i].name, sp);
		for (v = h[i].value; *v; v++) {
			if (*v == '\n' && (v == h[i].value || v[-1] != '\r'))
				fputc('\r', fp);
			fputc(*v, fp);
		}
		fputs("\r\n", fp);
	}
	fputs("\r\n", fp);
	fwrite(msg.body, 1, msg.bodylen, fp);
	if (fclose(fp) != 0)
		ml_die("%s: write error", path);
	free(h);
}

static void
ml_trace_capture(void)
{
	size_t k;

	fprintf(stderr, "mload: filter protocol 0x%06lx; first message: %zu "
	    "modification(s)\n", (unsigned long)ml_capture_proto,
	    ml_ncapture);
	for (k = 0; k < ml_ncapture; k++) {
		struct ml_mod *m = &ml_capture[k];

		if (m->cmd == 'i' || m->cmd == 'm')
			fprintf(stderr, "  '%c' [%lu] %s: %s\n", m->cmd,
			    (unsigned long)m->index, m->name ? m->name : "",
			    m->value ? m->value : "");
		else
			fprintf(stderr, "  '%c' %s%s%s\n", m->cmd,
			    m->name ? m->name : "", m->name ? ": " : "",
			    m->value ? m->value : "");
	}
}

static void
ml_usage(void)
{
	fprintf(stderr, "usage: mload -s SOCKET -m MESSAGE [-c CONC] "
	    "[-n MSGS_PER_CONN] [-t SECONDS]\n"
	    "             [-i CLIENT_IP] [-a LOGIN] [-f FROM] [-r RCPT] "
	    "[-H HEADER] [-T TIMEOUT]\n"
	    "             [-w WARMUP_SECONDS] [-A] [-o FILE] [-v] [-j]\n"
	    "             [-F NFROM] [-R NRCPT] [-D NDOMAINS] [-K] "
	    "[-P RATE]\n");
	exit(2);
}

static double
ml_num(const char *s, const char *what, double lo, double hi)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "mload: %s: expected a number from %g to %g, "
		    "got \"%s\"\n", what, lo, hi, s);
		ml_usage();
	}
	return v;
}

int
main(int argc, char **argv)
{
	struct ml_worker *w;
	uint64_t *all, t0, t1;
	size_t nall = 0;
	unsigned long count[O_COUNT] = { 0 }, ok, failed = 0, warm_ok = 0;
	double cpu0, cpu1, secs;
	int ch, i, alive = 0;

	opt.conc = 1;
	opt.timeout = 10;
	opt.client_ip = "127.0.0.1";
	opt.from = "bench@example.com";
	opt.rcpt = "rcpt@example.net";
	while ((ch = getopt(argc, argv, "s:c:n:t:m:i:a:f:r:H:T:w:Ao:vjF:R:D:KP:")) !=
	    -1) {
		switch (ch) {
		case 's': opt.socket = optarg; break;
		case 'c': opt.conc = (int)ml_num(optarg, "-c", 1, 1024); break;
		case 'n': opt.per_conn = (long)ml_num(optarg, "-n", 1, 1e9);
			break;
		case 't': opt.seconds = ml_num(optarg, "-t", 0.01, 86400);
			break;
		case 'm': opt.msgfile = optarg; break;
		case 'i': opt.client_ip = optarg; break;
		case 'a': opt.auth = *optarg ? optarg : NULL; break;
		case 'f': opt.from = optarg; break;
		case 'r': opt.rcpt = optarg; break;
		case 'H': opt.expect_hdr = optarg; break;
		case 'T': opt.timeout = ml_num(optarg, "-T", 0.01, 3600);
			break;
		case 'w': opt.warmup = ml_num(optarg, "-w", 0, 3600); break;
		case 'A': opt.no_abort = 1; break;
		case 'o': opt.outfile = optarg; break;
		case 'v': opt.verbose = 1; break;
		case 'j': opt.json = 1; break;
		case 'F': opt.nfrom = (unsigned long)ml_num(optarg, "-F", 1,
		    1e10); break;
		case 'R': opt.nrcpt = (unsigned long)ml_num(optarg, "-R", 1,
		    1e10); break;
		case 'D': opt.ndomains = (unsigned long)ml_num(optarg, "-D", 1,
		    1e9); break;
		case 'K': opt.keep = 1; break;
		case 'P': opt.rate = ml_num(optarg, "-P", 0.1, 1e7); break;
		default: ml_usage();
		}
	}
	if (optind != argc || opt.socket == NULL || opt.msgfile == NULL)
		ml_usage();
	if (opt.seconds <= 0 && opt.per_conn <= 0)
		opt.per_conn = 100;
	if (opt.warmup > 0 && opt.seconds <= 0) {
		fprintf(stderr, "mload: -w needs -t\n");
		ml_usage();
	}
	{
		struct in6_addr a6;

		if (inet_pton(AF_INET, opt.client_ip, &a6) != 1 &&
		    inet_pton(AF_INET6, opt.client_ip, &a6) != 1) {
			fprintf(stderr, "mload: -i: not an IP address: %s\n",
			    opt.client_ip);
			ml_usage();
		}
	}
	signal(SIGPIPE, SIG_IGN);
	ml_msg_load(opt.msgfile, &msg);

	w = ml_alloc(sizeof(*w) * (size_t)opt.conc);
	memset(w, 0, sizeof(*w) * (size_t)opt.conc);
	pthread_barrier_init(&ml_barrier, NULL, (unsigned)opt.conc + 1);
	for (i = 0; i < opt.conc; i++) {
		w[i].id = i;
		if (pthread_create(&w[i].thread, NULL, ml_worker_main, &w[i]))
			ml_die("pthread_create failed");
	}
	pthread_barrier_wait(&ml_barrier);	/* all connected */
	ml_t_count = ml_now_ns() + (uint64_t)(opt.warmup * 1e9);
	ml_t_end = ml_t_count + (uint64_t)(opt.seconds * 1e9);
	pthread_barrier_wait(&ml_barrier);	/* go */
	if (opt.warmup > 0) {
		struct timespec ts;
		uint64_t left = ml_t_count - ml_now_ns();

		ts.tv_sec = (time_t)(left / 1000000000u);
		ts.tv_nsec = (long)(left % 1000000000u);
		if (left < ml_t_count)
			nanosleep(&ts, NULL);
	}
	t0 = ml_now_ns();
	cpu0 = ml_cpu_seconds();
	for (i = 0; i < opt.conc; i++)
		pthread_join(w[i].thread, NULL);
	t1 = ml_now_ns();
	cpu1 = ml_cpu_seconds();
	secs = (double)(t1 - t0) / 1e9;

	for (i = 0; i < opt.conc; i++)
		nall += w[i].nlat;
	all = ml_alloc(sizeof(*all) * (nall + 1));
	nall = 0;
	for (i = 0; i < opt.conc; i++) {
		int k;

		if (w[i].nlat > 0)
			memcpy(all + nall, w[i].lat, w[i].nlat * sizeof(*all));
		nall += w[i].nlat;
		for (k = 0; k < O_COUNT; k++)
			count[k] += w[i].count[k];
		alive += w[i].alive;
		warm_ok += w[i].warm_ok;
	}
	qsort(all, nall, sizeof(*all), ml_cmp_u64);
	ok = count[O_OK_ACCEPT] + count[O_OK_CONTINUE];
	for (i = O_EARLY_ACCEPT; i < O_COUNT; i++)
		failed += count[i];

	if (opt.verbose && ml_captured)
		ml_trace_capture();
	if (opt.outfile != NULL) {
		if (!ml_captured)
			ml_die("-o: no message completed");
		if (ml_capture_outcome != O_OK_ACCEPT &&
		    ml_capture_outcome != O_OK_CONTINUE)
			ml_die("-o: the first message failed (%s)",
			    ml_outcome_name[ml_capture_outcome]);
		ml_write_modified(opt.outfile);
	}
	if (opt.json) {
		int first = 1;

		printf("{\"socket\":");
		ml_json_str(stdout, opt.socket);
		printf(",\"concurrency\":%d,\"message_bytes\":%zu,"
		    "\"messages\":%lu,\"ok\":%lu,\"failed\":%lu,"
		    "\"seconds\":%.3f,\"msgs_per_s\":%.1f,\"p50_ms\":%.3f,"
		    "\"p90_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,"
		    "\"cpu_s\":%.3f,\"cpu_share\":%.3f,\"warmup_ok\":%lu,"
		    "\"errors\":{",
		    opt.conc, msg.size, ok + failed, ok, failed, secs,
		    secs > 0 ? (double)ok / secs : 0,
		    ml_pct_ms(all, nall, 0.50), ml_pct_ms(all, nall, 0.90),
		    ml_pct_ms(all, nall, 0.99),
		    nall ? (double)all[nall - 1] / 1e6 : 0, cpu1 - cpu0,
		    secs > 0 ? (cpu1 - cpu0) / secs : 0, warm_ok);
		for (i = O_EARLY_ACCEPT; i < O_COUNT; i++) {
			if (count[i] == 0)
				continue;
			printf("%s\"%s\":%lu", first ? "" : ",",
			    ml_outcome_name[i], count[i]);
			first = 0;
		}
		printf("}}\n");
	} else {
		printf("mload: %s, %d connection(s), message %zu octets "
		    "(%zu headers, %zu body octets)\n", opt.socket, opt.conc,
		    msg.size, msg.nhdrs, msg.bodylen);
		printf("messages   %lu ok, %lu failed in %.3f s: %.1f msgs/s\n",
		    ok, failed, secs, secs > 0 ? (double)ok / secs : 0);
		printf("latency    p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, "
		    "max %.3f ms\n", ml_pct_ms(all, nall, 0.50),
		    ml_pct_ms(all, nall, 0.90), ml_pct_ms(all, nall, 0.99),
		    nall ? (double)all[nall - 1] / 1e6 : 0);
		printf("generator  %.3f CPU s (%.2f of a core)\n", cpu1 - cpu0,
		    secs > 0 ? (cpu1 - cpu0) / secs : 0);
		printf("replies   ");
		for (i = 0; i < O_COUNT; i++)
			if (count[i] > 0)
				printf(" %s %lu", ml_outcome_name[i], count[i]);
		printf("\n");
	}
	for (i = 0; i < opt.conc; i++)
		free(w[i].lat);
	free(w);
	free(all);
	return alive == 0 ? 1 : 0;
}
