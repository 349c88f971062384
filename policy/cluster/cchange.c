/*
 * cchange.c - read a journal entry (see cchange.h).
 *
 * Owns: cchange_read().
 *
 * Must not: know a payload's form itself beyond the record's key (the
 * modules that write them read them).
 */
#include <stdio.h>
#include <string.h>

#include "cluster/cchange.h"
#include "reputation/suppress.h"
#include "retpath/rprecord.h"
#include "store/store.h"

int
cchange_read(int kind, const void *payload, size_t len, CCHANGE *c)
{
	const unsigned char *p = payload;
	SUPPRESS_ENTRY e;
	BEVENT ev;
	int rc = -1;

	memset(c, 0, sizeof(*c));
	c->kind = kind;
	switch (kind) {
	case STORE_CHANGE_COUNT:
		rc = sender_change_count(p, len, c->sender, sizeof(c->sender),
		    &c->when, &c->counts);
		break;
	case STORE_CHANGE_STATE:
		rc = sender_change_state(p, len, c->sender, sizeof(c->sender),
		    &c->state);
		break;
	case STORE_CHANGE_EVENT:
		if ((rc = bevent_change(p, len, &ev, &c->when,
		    &c->counts)) == 0) {
			snprintf(c->sender, sizeof(c->sender), "%s",
			    ev.sender);
			memcpy(c->event, ev.id, BEVENT_ID_LEN);
		}
		break;
	case STORE_CHANGE_SUPPRESS:
	case STORE_CHANGE_UNSUPPRESS:
		if ((rc = suppress_change(kind, p, len, &e)) == 0) {
			snprintf(c->sender, sizeof(c->sender), "%s", e.scope);
			snprintf(c->addr, sizeof(c->addr), "%s", e.addr);
		}
		break;
	case STORE_CHANGE_RECORD:
		if (len >= 2 + RPRECORD_KEY_LEN && p[0] == 0 &&
		    p[1] == RPRECORD_KEY_LEN) {
			c->record = store_get_u64(p + 2);
			rc = 0;
		}
		break;
	}
	return rc == 0 ? 0 : -1;
}
