/*
 * ctl_check.c - repguardctl check (see doctor.h for the checks).
 *
 * Owns: ctl_check().
 *
 *	repguardctl check [--nameserver IP[:PORT]] [--address IP]...
 *	    [--helo NAME] [--mx-host NAME] [--domain DOMAIN]... [--json]
 *
 * Decisions: the configuration is read whole, keys included (as
 * `repguard -n` does), from the file the daemon uses.  Without --helo the
 * HELO name is Postfix's (postconf smtp_helo_name, else myhostname) when
 * postconf answers; without --address the addresses are this host's
 * (getifaddrs; not loopback or link-local).  Exit status: 0 every check passed, 1 a warning, 2 a
 * failure (3: the command could not run).
 *
 * Must not: change anything.
 */
#include "config.h"

#include <arpa/inet.h>
#include <getopt.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "ctl/ctl_check.h"
#include "ctl/ctl_util.h"
#include "ctl/doctor.h"
#include "ctl/doctor_result.h"
#include "base/mem.h"

static const char ctl_check_usage[] = "usage: repguardctl check "
    "[--nameserver IP[:PORT]] [--address IP]... [--helo NAME]\n"
    "           [--mx-host NAME] [--domain DOMAIN]... [--json]\n";

/*
 * This host's addresses, for SPF and reverse DNS when --address gives
 * none: every interface address but loopback and link-local ones.  How
 * many went into out[] (strings the caller frees).
 */
static size_t
ctl_check_addrs(char **out, size_t max)
{
	struct ifaddrs *ifa, *i;
	char a[INET6_ADDRSTRLEN];
	size_t n = 0, j;

	if (getifaddrs(&ifa) != 0)
		return 0;
	for (i = ifa; i != NULL && n < max; i = i->ifa_next) {
		const struct sockaddr *sa = i->ifa_addr;

		if (sa == NULL)
			continue;
		if (sa->sa_family == AF_INET) {
			const unsigned char *b = (const unsigned char *)
			    &((const struct sockaddr_in *)sa)->sin_addr;

			if (b[0] == 127 || (b[0] == 169 && b[1] == 254))
				continue;
			inet_ntop(AF_INET, b, a, sizeof(a));
		} else if (sa->sa_family == AF_INET6) {
			const struct in6_addr *b =
			    &((const struct sockaddr_in6 *)sa)->sin6_addr;

			if (IN6_IS_ADDR_LOOPBACK(b) || IN6_IS_ADDR_LINKLOCAL(b))
				continue;
			inet_ntop(AF_INET6, b, a, sizeof(a));
		} else
			continue;
		for (j = 0; j < n && strcmp(out[j], a) != 0; j++)
			;
		if (j == n)
			out[n++] = mem_strdup(a);
	}
	freeifaddrs(ifa);
	return n;
}

/* Postfix's HELO name, or "" (postconf honours MAIL_CONFIG) */
static void
ctl_check_helo(char *out, size_t outsize)
{
	char line[300] = "";
	FILE *p;

	out[0] = '\0';
	if ((p = popen("postconf -h smtp_helo_name 2>/dev/null", "r")) ==
	    NULL)
		return;
	if (fgets(line, sizeof(line), p) == NULL)
		line[0] = '\0';
	pclose(p);
	line[strcspn(line, "\r\n")] = '\0';
	if (strcmp(line, "$myhostname") == 0 && (p = popen("postconf -h "
	    "myhostname 2>/dev/null", "r")) != NULL) {
		if (fgets(line, sizeof(line), p) == NULL)
			line[0] = '\0';
		pclose(p);
		line[strcspn(line, "\r\n")] = '\0';
	}
	if (line[0] != '$')
		snprintf(out, outsize, "%s", line);
}

static void
ctl_check_print(const DOCTOR *doc, int json)
{
	size_t i;
	int n[3] = { 0, 0, 0 };

	for (i = 0; i < doc->n; i++)
		n[doc->r[i].verdict]++;
	if (!json) {
		for (i = 0; i < doc->n; i++) {
			printf("%-4s  %-7s  %s: %s\n",
			    doctor_verdict_name(doc->r[i].verdict),
			    doc->r[i].check, doc->r[i].subject,
			    doc->r[i].detail);
			if (doc->r[i].fix[0] != '\0')
				printf("      fix: %s\n", doc->r[i].fix);
		}
		printf("%d passed, %d warnings, %d failed\n", n[0], n[1], n[2]);
		return;
	}
	printf("{\"checks\": [");
	for (i = 0; i < doc->n; i++) {
		printf("%s{\"check\": \"%s\", \"subject\": ", i ? ",\n " : "",
		    doc->r[i].check);
		ctl_json_str(doc->r[i].subject);
		printf(", \"verdict\": \"%s\", \"detail\": ",
		    doctor_verdict_name(doc->r[i].verdict));
		ctl_json_str(doc->r[i].detail);
		printf(", \"fix\": ");
		if (doc->r[i].fix[0] != '\0')
			ctl_json_str(doc->r[i].fix);
		else
			printf("null");
		printf("}");
	}
	printf("], \"passed\": %d, \"warnings\": %d, \"failed\": %d}\n", n[0],
	    n[1], n[2]);
}

struct ctl_check_args {
	const char	*ns;		/* --nameserver, or NULL */
	char		 helo[300];
	int		 json;
	DOCTOR_OPTS	 o;		/* with --address and --domain */
};

/* The options into a; 0, or 3 after a usage error. */
static int
ctl_check_args(int argc, char **argv, const char **addrs, const char **doms,
    struct ctl_check_args *a)
{
	static const struct option longopts[] = {
		{ "nameserver", required_argument, NULL, 'N' },
		{ "address", required_argument, NULL, 'a' },
		{ "helo", required_argument, NULL, 'H' },
		{ "mx-host", required_argument, NULL, 'm' },
		{ "domain", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	optind = 0;
	while ((ch = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (ch) {
		case 'N': a->ns = optarg; break;
		case 'a': addrs[a->o.naddrs++] = optarg; break;
		case 'H': snprintf(a->helo, sizeof(a->helo), "%s", optarg);
			break;
		case 'm': a->o.mx_host = optarg; break;
		case 'd': doms[a->o.ndomains++] = optarg; break;
		case 'j': a->json = 1; break;
		default:
			ctl_usage(ctl_check_usage, "%s", ch == ':' ?
			    "an option needs a value" : "unknown option");
			return 3;
		}
	}
	if (optind != argc) {
		ctl_usage(ctl_check_usage, "check takes options only");
		return 3;
	}
	return 0;
}

/* The checks, printed; their status (doctor_status()). */
static int
ctl_check_run(const CONF *c, DNSQ *q, struct ctl_check_args *a,
    const char **addrs)
{
	char *det[32];
	size_t found = 0, i;
	DOCTOR doc;
	int rc;

	if (a->helo[0] == '\0')
		ctl_check_helo(a->helo, sizeof(a->helo));
	if (a->o.naddrs == 0) {		/* this host's own */
		found = ctl_check_addrs(det, sizeof(det) / sizeof(det[0]));
		for (i = 0; i < found; i++)
			addrs[a->o.naddrs++] = det[i];
	}
	a->o.helo = a->helo[0] != '\0' ? a->helo : NULL;
	doctor_run(c, q, &a->o, &doc);
	ctl_check_print(&doc, a->json);
	rc = doctor_status(&doc);
	doctor_free(&doc);
	for (i = 0; i < found; i++)
		free(det[i]);
	return rc;
}

int
ctl_check(int argc, char **argv, const char *confpath)
{
	const char **addrs = mem_calloc((size_t)argc + 33, sizeof(*addrs));
	const char **doms = mem_calloc((size_t)argc + 1, sizeof(*doms));
	char err[512], *errors = NULL;
	struct ctl_check_args a;
	DNSQ *q = NULL;
	CONF *c = NULL;
	int rc;

	memset(&a, 0, sizeof(a));
	a.o.addrs = addrs;
	a.o.domains = doms;
	if ((rc = ctl_check_args(argc, argv, addrs, doms, &a)) != 0)
		goto done;
	rc = 3;
	if ((q = dnsq_create(a.ns, err, sizeof(err))) == NULL)
		ctl_usage(ctl_check_usage, "%s", err);
	else if ((c = conf_load(confpath != NULL ? confpath :
	    CONF_DEFAULT_PATH, 0, &errors)) == NULL) {
		fputs(errors, stderr);
		free(errors);
	} else
		rc = ctl_check_run(c, q, &a, addrs);
done:
	conf_unref(c);
	if (q != NULL)
		dnsq_free(q);
	free(addrs);
	free(doms);
	return rc;
}
