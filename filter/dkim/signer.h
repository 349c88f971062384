/*
 * signer.h - DKIM signing of outbound messages through libopendkim.
 *
 * A SIGNER belongs to one configuration snapshot: its keys (read and
 * checked when the configuration is loaded, before privileges are
 * dropped), how keys are selected, and a libopendkim library handle set up
 * with the header lists.  It never changes and is shared by all threads.
 *
 *	SIGNER *s = signer_create(&settings, &errors, &warnings);
 *	signer_keys(s)				0: signing not configured
 *	signer_key_info(s, i, &info)		key i: domain, selector,
 *						record, algorithm, bits
 *	signer_check_owner(s, uid, user, &w)	key files that user cannot
 *						read (reloads run as UserID)
 *	signer_relay_domain(s)			d= of the relay's own key (the
 *						Domain, or DefaultKey's when
 *						not "%"), or NULL
 *	n = signer_domains(s, what, size)	how many domains the keys sign
 *						for (2: several, or "%"), named
 *						in what
 *
 * The settings are the keywords' values as the configuration gives them
 * (filter/conf/ fills them in), with the file and the line of each, so
 * that an error says "file:line: ..." at the keyword.
 *
 * One SIGNER_MSG per message, fed as the milter receives it; headers are
 * kept (they are needed once the From: address selects the keys), the body
 * is streamed into the signing handles and never kept:
 *
 *	m = signer_msg_new(s, envelope_key);
 *	signer_msg_header(m, name, value, space);  each header, value as
 *						the MTA sent it; space: put back
 *						the space after the colon
 *	rc = signer_msg_choose(m);		selects the keys: SIGNER_OK,
 *						SIGNER_NOKEY or
 *						SIGNER_NOKEY_TEMPFAIL
 *	signer_msg_claims(m)			1: a selected key's d= aligns
 *						with the address's domain (the
 *						signature passes DMARC for it)
 *	rc = signer_msg_eoh(m, queue_id, how);	SIGNER_SIGN_CHOSEN: the keys
 *						chosen; SIGNER_SIGN_RELAY: the
 *						relay's own key instead;
 *						SIGNER_SIGN_NONE: none (only
 *						what the message brought is
 *						verified).  SIGNER_OK or
 *						SIGNER_ERROR
 *	signer_msg_body(m, chunk, len);
 *	rc = signer_msg_eom(m);			SIGNER_OK or SIGNER_ERROR
 *	for (i = 0; i < signer_msg_count(m); i++)
 *		signer_msg_sig(m, i, &info);	the DKIM-Signature value to add
 *	n = signer_msg_brought(m, d, max);	the d= of the signatures the
 *						message brought that verify
 *						(against our own keys: no DNS)
 *	signer_msg_free(m);
 *
 * signer_msg_error(m) gives the reason of the last SIGNER_ERROR or
 * SIGNER_NOKEY.  signer_msg_address(m) is the address that selected keys.
 * signer_msg_skipped(m) names the keys ("d=D s=S, ...") not used because
 * the message already carries a valid signature with their d= and s=;
 * signer_msg_resigned(m) those used although the message carries a
 * signature with their d= and s=, because it does not verify.
 */
#ifndef REPGUARD_SIGNER_H
#define REPGUARD_SIGNER_H

#include <stddef.h>
#include <sys/types.h>

typedef struct SIGNER SIGNER;
typedef struct SIGNER_MSG SIGNER_MSG;

enum signer_how {
	SIGNER_SIGN_CHOSEN,		/* the keys signer_msg_choose() chose */
	SIGNER_SIGN_RELAY,		/* the relay's own key only */
	SIGNER_SIGN_NONE		/* no signature; verify only */
};

enum signer_status {
	SIGNER_OK,
	SIGNER_NOKEY,			/* send unsigned (OnNoKey accept) */
	SIGNER_NOKEY_TEMPFAIL,		/* OnNoKey tempfail */
	SIGNER_ERROR
};

typedef struct {
	const char	*domain;	/* d= */
	const char	*selector;	/* s= */
	const char	*algorithm;	/* a= */
	const char	*value;		/* the header value, without name */
} SIGNER_SIG;

typedef struct {
	const char	*name;		/* KeyTable name, or the Domain */
	const char	*domain;	/* d=; "%": the address's domain */
	const char	*selector;
	const char	*record;	/* the public key's TXT record */
	const char	*algorithm;	/* a= */
	int		 bits;
} SIGNER_KEY_INFO;

#define SIGNER_MAX_SIGS		8
#define SIGNER_MAX_HEADERS	1000
#define SIGNER_MAX_HEADER_BYTES	(1024 * 1024)

typedef struct {
	const char	*file;		/* the configuration, for errors */
	const char	*domain, *selector, *key_file;	/* NULL: unset */
	const char	*key_table, *signing_table;	/* NULL: unset */
	const char	*default_key;			/* NULL: unset */
	const char	*algorithm;	/* SignatureAlgorithm as written;
					   NULL: either */
	int		 algorithm_rsa;	/* it is rsa-sha256 */
	const char	*sign_headers, *oversign_headers;	/* lists */
	int		 canon;		/* header<<1 | body, 1: relaxed */
	int		 multiple;	/* MultipleSignatures */
	int		 on_no_key;	/* OnNoKey: accept, tempfail, default */
	int		 domain_from;	/* SigningDomainFrom: header, envelope */
	int		 on_unauthorized;	/* SIGNAUTH_ON_* */
	struct {
		int	 domain, selector, key_file, key_table, signing_table,
			 default_key, on_no_key, on_unauthorized;
	} line;				/* where each is set; 0: default */
} SIGNER_SETTINGS;

SIGNER		*signer_create(const SIGNER_SETTINGS *, char **errors,
		    char **warnings);
void		 signer_free(SIGNER *);
size_t		 signer_keys(const SIGNER *);
void		 signer_key_info(const SIGNER *, size_t i, SIGNER_KEY_INFO *);
void		 signer_check_owner(const SIGNER *, uid_t uid,
		    const char *user, char **warnings);
const char	*signer_relay_domain(const SIGNER *);
size_t		 signer_domains(const SIGNER *, char *what, size_t whatsize);

SIGNER_MSG	*signer_msg_new(const SIGNER *, const char *envelope_key);
int		 signer_msg_header(SIGNER_MSG *, const char *name,
		    const char *value, int space);
int		 signer_msg_choose(SIGNER_MSG *);
int		 signer_msg_claims(const SIGNER_MSG *);
int		 signer_msg_eoh(SIGNER_MSG *, const char *id, int how);
int		 signer_msg_body(SIGNER_MSG *, const unsigned char *,
		    size_t len);
int		 signer_msg_eom(SIGNER_MSG *);
size_t		 signer_msg_count(const SIGNER_MSG *);
void		 signer_msg_sig(const SIGNER_MSG *, size_t i, SIGNER_SIG *);
size_t		 signer_msg_brought(const SIGNER_MSG *, const char **d,
		    size_t max);
const char	*signer_msg_error(const SIGNER_MSG *);
const char	*signer_msg_resigned(const SIGNER_MSG *);
const char	*signer_msg_address(const SIGNER_MSG *);
const char	*signer_msg_skipped(const SIGNER_MSG *);
void		 signer_msg_free(SIGNER_MSG *);

#endif
