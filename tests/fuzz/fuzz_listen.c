/*
 * fuzz_listen.c - metrics_listen_parse() (MetricsListen) and
 * dnsq_server_parse() (DNSServer) on any address[:port] text.
 *
 * The input up to its first NUL is the text given to both; its last
 * octet also sizes a small error buffer for dnsq_server_parse().
 *
 * Holds for every input: an error is a non-empty text (NUL-terminated
 * inside the buffer given for it); MetricsListen gives an IPv4 or IPv6
 * socket address of its size with a port from 1 to 65535, and that
 * address written back ("192.0.2.1:9521", "[2001:db8::1]:9521") parses
 * to the same; DNSServer gives an IPv4 address with a port from 1 to
 * 65535 (53 when none is written), and "ADDRESS:PORT" written back
 * parses to the same.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "common/dnsq.h"
#include "fuzz.h"
#include "common/metrics.h"

static void
check_metrics(const char *spec)
{
	struct sockaddr_storage ss, back;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	socklen_t len = 0, blen = 0;
	char host[INET6_ADDRSTRLEN], text[INET6_ADDRSTRLEN + 16];
	const char *err;

	err = metrics_listen_parse(spec, &ss, &len);
	if (err != NULL) {
		FUZZ_CHECK(err[0] != '\0');
		return;
	}
	if (ss.ss_family == AF_INET) {
		FUZZ_CHECK(len == sizeof(*s4) && ntohs(s4->sin_port) >= 1);
		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		snprintf(text, sizeof(text), "%s:%u", host,
		    (unsigned)ntohs(s4->sin_port));
	} else {
		FUZZ_CHECK(ss.ss_family == AF_INET6);
		FUZZ_CHECK(len == sizeof(*s6) && ntohs(s6->sin6_port) >= 1);
		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		snprintf(text, sizeof(text), "[%s]:%u", host,
		    (unsigned)ntohs(s6->sin6_port));
	}
	err = metrics_listen_parse(text, &back, &blen);
	if (err != NULL)
		fprintf(stderr, "\"%s\" does not read back: %s\n", text, err);
	FUZZ_CHECK(err == NULL && blen == len && memcmp(&ss, &back, len) == 0);
}

static void
check_dns(const char *spec, size_t errlen)
{
	struct sockaddr_in sin, back;
	char err[128], host[INET_ADDRSTRLEN], text[INET_ADDRSTRLEN + 8];

	memset(err, 'x', sizeof(err));
	if (dnsq_server_parse(spec, &sin, err, errlen) != 0) {
		FUZZ_CHECK(memchr(err, '\0', errlen) != NULL);
		FUZZ_CHECK(errlen == 1 || err[0] != '\0');
		return;
	}
	FUZZ_CHECK(sin.sin_family == AF_INET && ntohs(sin.sin_port) >= 1);
	if (strchr(spec, ':') == NULL)
		FUZZ_CHECK(ntohs(sin.sin_port) == 53);
	inet_ntop(AF_INET, &sin.sin_addr, host, sizeof(host));
	snprintf(text, sizeof(text), "%s:%u", host,
	    (unsigned)ntohs(sin.sin_port));
	FUZZ_CHECK(dnsq_server_parse(text, &back, err, sizeof(err)) == 0);
	FUZZ_CHECK(memcmp(&sin, &back, sizeof(sin)) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *spec = fuzz_str(data, size);

	check_metrics(spec);
	check_dns(spec, size > 0 ? (size_t)data[size - 1] % 128 + 1 : 128);
	free(spec);
	return 0;
}
