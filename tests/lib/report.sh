# report.sh - return-path keys and bounce reports for the tests that feed
# repguard the reports coming back (source it after tests/lib/common.sh).
#
#   rp_key FILE                 a fresh return-path secret: 32 random octets
#                               in hex, mode 0600
#   dkim_key FILE               a fresh RSA-2048 DKIM key (PKCS#8 PEM), mode 0600
#   report_for ADDRESS NAME OUT [RCPT]
#                               write tests/bounce/corpus/NAME to OUT with its
#                               token replaced by the one in ADDRESS
#                               (rp+TOKEN@domain) and, with RCPT, the failed
#                               or complaining recipient (nobody@example.org,
#                               complainer@isp.example) replaced by RCPT
#
# REPORTS is the corpus directory; CORPUS_TOKEN the token its reports carry.

REPORTS=$TOP_SRCDIR/tests/bounce/corpus
CORPUS_TOKEN=016b1d0f8a0123456789abcdef0123456789abcdef0123

rp_key() {
	openssl rand -hex 32 >"$1" && chmod 600 "$1"
}

dkim_key() {
	(umask 077 && openssl genpkey -algorithm RSA \
	    -pkeyopt rsa_keygen_bits:2048 -out "$1") >/dev/null 2>&1
}

report_for() {
	_tok=${1#*+}
	_tok=${_tok%@*}
	if [ -n "${4:-}" ]; then
		sed -e "s/$CORPUS_TOKEN/$_tok/g" -e "s/nobody@example\.org/$4/g" \
			-e "s/complainer@isp\.example/$4/g" "$REPORTS/$2" >"$3"
	else
		sed "s/$CORPUS_TOKEN/$_tok/g" "$REPORTS/$2" >"$3"
	fi
}
