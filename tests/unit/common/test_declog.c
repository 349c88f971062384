/*
 * test_declog.c - unit tests for filter/common/declog.c, the decision lines.
 *
 * Covers: the queue id first, bare values, values quoted for a space, a
 * '"', a '\\' or a '=', control and 8-bit bytes as \xHH, empty and NULL
 * values left out, numbers and milliseconds, and a line too long for
 * the buffer: pairs dropped whole and "truncated=yes" at the end.  Each
 * line is also read back by a small parser of the documented grammar.
 */
#include <stdio.h>
#include <string.h>

#include "common/declog.h"
#include "tap.h"

/* Parse the grammar: KEY=VALUE pairs separated by one space, VALUE bare
 * or quoted; the number of pairs, or -1. */
static int
pairs(const char *s)
{
	int n = 0;

	while (*s != '\0') {
		if (n > 0 && *s++ != ' ')
			return -1;
		while (*s >= 'a' && *s <= 'z')
			s++;
		while ((*s >= 'a' && *s <= 'z') || *s == '_')
			s++;
		if (*s++ != '=')
			return -1;
		if (*s == '"') {
			for (s++; *s != '"'; s++) {
				if (*s == '\0')
					return -1;
				if (*s == '\\' && *++s == '\0')
					return -1;
			}
			s++;
		} else {
			if (*s == ' ' || *s == '\0')
				return -1;
			while (*s != ' ' && *s != '\0')
				s++;
		}
		n++;
	}
	return n;
}

int
main(void)
{
	DECLOG d;
	char big[3000];
	int i;

	declog_start(&d, "4XyZ12");
	declog_str(&d, "event", "message");
	declog_str(&d, "class_rule", "Precedence: bulk");
	declog_str(&d, "from", "\"john\\ doe\"@example.com");
	declog_str(&d, "detail", "a=b");
	declog_str(&d, "empty", "");
	declog_str(&d, "none", NULL);
	declog_str(&d, "odd", "tab\there\xe9");
	declog_num(&d, "rcpts", 3);
	declog_ms(&d, "ms", 0.4567);
	tap_str(d.buf, "qid=4XyZ12 event=message class_rule=\"Precedence: "
	    "bulk\" from=\"\\\"john\\\\ doe\\\"@example.com\" detail=\"a=b\" "
	    "odd=\"tab\\x09here\\xE9\" rcpts=3 ms=0.457",
	    "bare and quoted values, escapes, empty and NULL left out");
	tap_int(pairs(d.buf), 8, "the line parses as 8 pairs");
	declog_start(&d, "");
	tap_str(d.buf, "qid=-", "no queue id yet: qid=-");

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	declog_start(&d, "c7");
	declog_str(&d, "a", "short");
	declog_str(&d, "b", big);
	for (i = 0; i < 300; i++)
		declog_num(&d, "n", i);
	declog_emit(&d);
	tap_ok(strstr(d.buf, " b=") == NULL, "a value too long for the line "
	    "is dropped whole");
	tap_ok(d.len < DECLOG_MAX && strcmp(d.buf + d.len - 14,
	    " truncated=yes") == 0, "a full line ends with truncated=yes");
	tap_ok(pairs(d.buf) > 100, "... and still parses (%d pairs)",
	    pairs(d.buf));

	/* a queue id too long for the line once wrapped the length */
	declog_start(&d, big);
	declog_str(&d, "decision", "accept");
	declog_emit(&d);
	tap_str(d.buf, "qid=- decision=accept truncated=yes", "a queue id "
	    "too long for the line: qid=-, the rest, truncated=yes");
	return tap_done();
}
