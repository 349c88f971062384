/*
 * signauth.h - may a message be signed for the address that chose its
 * keys, and what happens when it may not.
 *
 *	r = signauth_check(map, "boss@b.example", "alice", "10.2.3.4");
 *	act = signauth_action(r, SIGNAUTH_ON_REJECT, "relay.example",
 *	    "b.example");
 *
 * signauth_check(): map is the signing authorisation (SigningAuthorization,
 * else SenderLoginMap; loginmap.h), address canonical (addr_canon()),
 * login the SASL login ("" or NULL: none), client the client's address
 * as text.  SIGNAUTH_OPEN without a map (nothing is configured: every
 * client may sign for every domain, as a single-tenant relay wants);
 * SIGNAUTH_LOGIN if the map lets that login use the address (its own
 * lookup: the address, then "@domain", then "user@"; an exact domain, so
 * "@b.example" does not cover x@news.b.example); SIGNAUTH_NETWORK if the
 * entry that decides lists a network holding the client; else
 * SIGNAUTH_DENIED.
 *
 * signauth_action(): what to do with the message.  Anything but
 * SIGNAUTH_DENIED signs as configured (SIGNAUTH_SIGN).  A denied one gets
 * OnUnauthorizedFrom: reject, tempfail, accept-unsigned, or
 * sign-relay-domain, which signs with the relay's own key instead
 * (SIGNAUTH_SIGN_RELAY) unless there is none (relay_domain NULL or "") or
 * its domain aligns with the From: domain (the relay's signature would
 * then vouch for the very From: the sender may not use): then the message
 * goes unsigned (SIGNAUTH_UNSIGNED).
 */
#ifndef REPGUARD_SIGNAUTH_H
#define REPGUARD_SIGNAUTH_H

#include "reputation/loginmap.h"

enum signauth_result {
	SIGNAUTH_OPEN,			/* no authorisation configured */
	SIGNAUTH_LOGIN,			/* the login may use the address */
	SIGNAUTH_NETWORK,		/* the client is in a listed network */
	SIGNAUTH_DENIED
};

enum signauth_on {			/* OnUnauthorizedFrom, in its order */
	SIGNAUTH_ON_REJECT,
	SIGNAUTH_ON_TEMPFAIL,
	SIGNAUTH_ON_RELAY,		/* sign-relay-domain */
	SIGNAUTH_ON_UNSIGNED		/* accept-unsigned */
};

enum signauth_act {
	SIGNAUTH_SIGN,			/* with the keys chosen for it */
	SIGNAUTH_SIGN_RELAY,		/* with the relay's own key only */
	SIGNAUTH_UNSIGNED,
	SIGNAUTH_REJECT,
	SIGNAUTH_TEMPFAIL
};

int		 signauth_check(const LOGINMAP *, const char *address,
		    const char *login, const char *client);
int		 signauth_action(int result, int on, const char *relay_domain,
		    const char *from_domain);
const char	*signauth_result_name(int result);

#endif
