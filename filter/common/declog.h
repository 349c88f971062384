/*
 * declog.h - one structured log line per decision about a message or a
 * recipient, for log tools: key=value pairs, the queue id first.
 *
 *	DECLOG d;
 *	declog_start(&d, "4XyZ12");		"qid=4XyZ12"
 *	declog_str(&d, "decision", "accept");	" decision=accept"
 *	declog_str(&d, "class_rule", "Precedence: bulk");
 *						" class_rule=\"Precedence: bulk\""
 *	declog_num(&d, "rcpts", 3);
 *	declog_emit(&d);			one msg_info() line
 *
 * A value is written bare when it is made of printable characters other
 * than space, '"', '\\' and '='; otherwise it is quoted, with '"' and
 * '\\' escaped by a backslash and any other byte outside printable ASCII
 * as \xHH.  An empty or NULL value is left out.  A line longer than
 * DECLOG_MAX ends with " truncated=yes".
 */
#ifndef REPGUARD_DECLOG_H
#define REPGUARD_DECLOG_H

#include <stddef.h>

#define DECLOG_MAX	2048

typedef struct {
	char	 buf[DECLOG_MAX];
	size_t	 len;
	int	 full;
} DECLOG;

void	declog_start(DECLOG *, const char *qid);
void	declog_str(DECLOG *, const char *key, const char *value);
void	declog_num(DECLOG *, const char *key, long long value);
void	declog_ms(DECLOG *, const char *key, double ms);
void	declog_emit(DECLOG *);

#endif
