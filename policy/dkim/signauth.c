/*
 * signauth.c - signing authorisation: who may be signed for which address
 * (see signauth.h).
 *
 * Owns: signauth_check(), signauth_action(), signauth_result_name().
 *
 * Decisions: the map is the one SenderLoginMap uses (loginmap.c), so an
 * operator lists each customer's domains once; a login and a client
 * network are equal ways in.  A DKIM signature whose d= aligns with the
 * From: domain is what makes a receiver's DMARC check pass, so that is
 * what must never be given to a sender who may not use the domain: the
 * relay's own signature is not made either when its domain aligns.
 *
 * Must not: include libmilter or filter/ headers, or log.
 */
#include <stddef.h>

#include "dkim/align.h"
#include "dkim/signauth.h"

int
signauth_check(const LOGINMAP *m, const char *address, const char *login,
    const char *client)
{
	if (m == NULL)
		return SIGNAUTH_OPEN;
	if (login != NULL && *login != '\0' && loginmap_allows(m, address,
	    login))
		return SIGNAUTH_LOGIN;
	if (client != NULL && *client != '\0' && loginmap_allows_client(m,
	    address, client))
		return SIGNAUTH_NETWORK;
	return SIGNAUTH_DENIED;
}

int
signauth_action(int result, int on, const char *relay_domain,
    const char *from_domain)
{
	if (result != SIGNAUTH_DENIED)
		return SIGNAUTH_SIGN;
	switch (on) {
	case SIGNAUTH_ON_TEMPFAIL:
		return SIGNAUTH_TEMPFAIL;
	case SIGNAUTH_ON_UNSIGNED:
		return SIGNAUTH_UNSIGNED;
	case SIGNAUTH_ON_RELAY:
		if (relay_domain == NULL || *relay_domain == '\0' ||
		    align_check(from_domain, "", &relay_domain, 1))
			return SIGNAUTH_UNSIGNED;
		return SIGNAUTH_SIGN_RELAY;
	default:
		return SIGNAUTH_REJECT;
	}
}

const char *
signauth_result_name(int result)
{
	switch (result) {
	case SIGNAUTH_OPEN:
		return "no authorisation configured";
	case SIGNAUTH_LOGIN:
		return "login";
	case SIGNAUTH_NETWORK:
		return "client network";
	default:
		return "denied";
	}
}
