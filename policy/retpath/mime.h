/*
 * mime.h - just enough MIME to read bounces and complaints.
 *
 *	mime_split(msg, len, &part);		header and body of a message
 *	err = mime_field(&part, "Content-Type", out, sizeof(out));
 *	mime_param(value, "boundary", out, sizeof(out));
 *	mime_type(&part, type, sizeof(type));	"multipart/report", lower case;
 *						"text/plain" when absent
 *	n = mime_children(&part, kids, max);	the parts of a multipart
 *	n = mime_words(value, out, sizeof(out));	a header value with
 *						its RFC 2047 encoded words
 *						decoded (octets, charset
 *						kept)
 *	buf = mime_decode(&part, &len);		the body without its
 *						Content-Transfer-Encoding
 *						(base64, quoted-printable);
 *						free() it
 *
 * A MIME_PART points into the caller's buffer: hdr/hlen is the header
 * section (without the empty line), body/blen the rest.  Lines may end in
 * CRLF or LF.  A message without an empty line is all header.  Field
 * values are unfolded (line breaks and the white space after them become
 * one space) and cut at the output size; names compare case-insensitively.
 * mime_children() finds the parts between "--boundary" lines (a missing
 * closing boundary ends the last part at the end of the body; text before
 * the first boundary is skipped).  Nothing here assumes a NUL terminator,
 * allocates except mime_decode(), or trusts a length it did not measure.
 */
#ifndef REPGUARD_MIME_H
#define REPGUARD_MIME_H

#include <stddef.h>

#define MIME_FIELD_MAX		4096	/* unfolded field value */
#define MIME_PARTS_MAX		32	/* children of one multipart */

typedef struct {
	const char	*hdr;
	size_t		 hlen;
	const char	*body;
	size_t		 blen;
} MIME_PART;

void		 mime_split(const char *msg, size_t len, MIME_PART *);
const char	*mime_field(const MIME_PART *, const char *name, char *out,
		    size_t outsize);
const char	*mime_field_next(const MIME_PART *, const char *name,
		    size_t *pos, char *out, size_t outsize);
const char	*mime_param(const char *value, const char *param, char *out,
		    size_t outsize);
void		 mime_type(const MIME_PART *, char *out, size_t outsize);
size_t		 mime_children(const MIME_PART *, MIME_PART *kids,
		    size_t max);
char		*mime_decode(const MIME_PART *, size_t *outlen);
size_t		 mime_words(const char *value, char *out, size_t outsize);

#endif
