#!/bin/bash
# t_keygen.sh - repguardctl keygen and dkim-record, end to end.
#
# Runs the real repguardctl: keygen for rsa (default 2048, --bits 1024 and
# 4096) and ed25519; checks the files (modes, PKCS#8 PEM that openssl
# reads), the zone-file record (form, strings of at most 255 octets, p=
# equal to openssl's public key), that dkim-record on the written key
# prints the same, and that mail signed with the generated private key
# verifies against the printed record: python3-dkim signs and verifies
# every key, and Debian's opendkim-testmsg (libopendkim, rsa-sha1 only)
# signs with the RSA keys.  Then the usage errors (exit 2) and the
# refusals (exit 1): existing files, bad directories, keys the daemon
# would refuse.  dkim-record must agree with opendkim-genkey's record.
#
# Needs openssl and /usr/bin/python3 with the dkim module (python3-dkim,
# python3-nacl for ed25519); opendkim-testmsg and opendkim-genkey are used
# when installed.

: "${TOP_SRCDIR:?TOP_SRCDIR is not set (run through make check)}"
. "$TOP_SRCDIR/tests/lib/common.sh" || exit 1

PY=/usr/bin/python3
command -v openssl >/dev/null 2>&1 || t_skip_all "no openssl command"
"$PY" -c 'import dkim, nacl' 2>/dev/null ||
	t_skip_all "python3-dkim (and python3-nacl) not installed"

t_tmpdir
K=$T_TMP/keys
mkdir "$K"
umask 022

# run CMD...: run a command; sets OUT, ERR, RC.
run() {
	OUT=$("$@" 2>"$T_TMP/run.err")
	RC=$?
	ERR=$(cat "$T_TMP/run.err")
}

# zone_strings FILE: the quoted character-strings of a zone line, one a line.
zone_strings() { grep -o '"[^"]*"' "$1" | sed 's/^"//; s/"$//'; }
# zone_record FILE: the strings joined, i.e. the TXT record's value.
zone_record() { zone_strings "$1" | tr -d '\n'; }

# pub_b64 KEYFILE TYPE: p= as openssl computes it.
pub_b64() {
	if [ "$2" = ed25519 ]; then
		openssl pkey -in "$1" -pubout -outform DER | tail -c 32 | base64 -w 0
	else
		openssl pkey -in "$1" -pubout -outform DER | base64 -w 0
	fi
}

# dkimcheck.py sign|verify ...: python3-dkim helper; exit 0 iff verified.
cat >"$T_TMP/dkimcheck.py" <<'EOF'
import sys, dkim
# sign ALG KEYFILE SELECTOR DOMAIN MSG OUT | verify RECORDFILE SELECTOR DOMAIN MSG
if sys.argv[1] == 'sign':
    alg, keyf, sel, dom, msgf, outf = sys.argv[2:8]
    key = open(keyf, 'rb').read().strip()
    msg = open(msgf, 'rb').read()
    sig = dkim.sign(msg, sel.encode(), dom.encode(), key,
                    signature_algorithm=alg.encode(),
                    include_headers=[b'from', b'to', b'subject', b'date'])
    open(outf, 'wb').write(sig + msg)
    sys.exit(0)
recf, sel, dom, msgf = sys.argv[2:6]
rec = open(recf, 'rb').read().strip()
want = ('%s._domainkey.%s.' % (sel, dom)).encode()
def dns(name, timeout=5):
    return rec if name == want else None
ok = dkim.verify(open(msgf, 'rb').read(), dnsfunc=dns)
print('verified' if ok else 'NOT verified')
sys.exit(0 if ok else 1)
EOF

MSG=$T_TMP/msg.eml
printf '%s\n' 'From: Alice <alice@example.com>' 'To: bob@example.net' \
	'Subject: repguard keygen test' 'Date: Mon, 01 Jan 2024 10:00:00 +0000' \
	'Message-ID: <keygen-test@example.com>' '' 'Hello Bob,' '' \
	'this message is signed with a key repguardctl made.' >"$MSG"

# check_key SELECTOR DOMAIN TYPE BITS KEYGEN-ARGS...: one keygen run, fully checked.
check_key() {
	_s=$1 _d=$2 _t=$3 _b=$4; shift 4
	_p=$K/$_s.private _x=$K/$_s.txt _n="keygen $_t${_b:+ $_b}"
	run "$REPGUARDCTL" keygen --domain "$_d" --selector "$_s" "$@" --out "$K"
	KG_ERR=$ERR
	t_is "$RC" 0 "$_n: exit 0"
	if [ "$RC" -ne 0 ]; then t_fail "$_n: stderr" "$ERR"; return; fi
	t_is "$(stat -c %a "$_p")" 600 "$_n: $_s.private has mode 0600"
	t_is "$(stat -c %a "$_x")" 644 "$_n: $_s.txt has mode 0644"
	t_is "$(head -n 1 "$_p")" "-----BEGIN PRIVATE KEY-----" "$_n: private key is PKCS#8 PEM"
	if [ "$_t" = rsa ]; then
		t_like "$(openssl pkey -in "$_p" -noout -text 2>&1 | head -n 1)" \
			"^Private-Key: \($_b bit" "$_n: openssl reads an RSA key of $_b bits"
	else
		t_like "$(openssl pkey -in "$_p" -noout -text 2>&1 | head -n 1)" \
			"^ED25519 Private-Key:" "$_n: openssl reads an Ed25519 key"
	fi
	t_is "$OUT" "$(cat "$_x")" "$_n: prints the record it wrote to $_s.txt"
	t_like "$(cat "$_x")" "^$_s\._domainkey\.$_d\. IN TXT \( \"v=DKIM1; k=$_t; \" \"p=[^\"]+\"( \"[^\"]+\")* \)$" \
		"$_n: zone-file form"
	_long=$(zone_strings "$_x" | awk 'length($0) > 255')
	t_is "$_long" "" "$_n: no string longer than 255 octets"
	_pub=$(pub_b64 "$_p" "$_t")
	t_is "$(zone_record "$_x")" "v=DKIM1; k=$_t; p=$_pub" "$_n: p= is openssl's public key"
	run "$REPGUARDCTL" dkim-record "$_p"
	t_is "$RC:$OUT" "0:v=DKIM1; k=$_t; p=$_pub" "$_n: dkim-record prints the same p="
	run "$REPGUARDCTL" dkim-record "$_p" --domain "$_d" --selector "$_s"
	t_is "$RC:$OUT" "0:$(cat "$_x")" "$_n: dkim-record --domain --selector prints $_s.txt"

	zone_record "$_x" >"$T_TMP/$_s.rec"
	if [ "$_t" = ed25519 ]; then
		# python3-dkim takes an Ed25519 key as base64 of its raw 32 octets
		openssl pkey -in "$_p" -outform DER | tail -c 32 | base64 -w 0 >"$T_TMP/$_s.raw"
		"$PY" "$T_TMP/dkimcheck.py" sign ed25519-sha256 "$T_TMP/$_s.raw" "$_s" "$_d" \
			"$MSG" "$T_TMP/$_s.py.eml" 2>"$T_TMP/py.err"
	else
		"$PY" "$T_TMP/dkimcheck.py" sign rsa-sha256 "$_p" "$_s" "$_d" \
			"$MSG" "$T_TMP/$_s.py.eml" 2>"$T_TMP/py.err"
	fi
	t_ok $? "$_n: python3-dkim signs with the generated key"
	run "$PY" "$T_TMP/dkimcheck.py" verify "$T_TMP/$_s.rec" "$_s" "$_d" "$T_TMP/$_s.py.eml"
	t_is "$RC:$OUT" "0:verified" "$_n: python3-dkim verifies it against the printed record"
	if [ "$_t" = rsa ] && command -v opendkim-testmsg >/dev/null 2>&1; then
		# -C: without it Debian's 2.11 build garbles the end of b=
		opendkim-testmsg -C -d "$_d" -s "$_s" -k "$_p" <"$MSG" \
			>"$T_TMP/$_s.od.eml" 2>"$T_TMP/od.err"
		t_ok $? "$_n: opendkim-testmsg (libopendkim) signs with $_s.private"
		run "$PY" "$T_TMP/dkimcheck.py" verify "$T_TMP/$_s.rec" "$_s" "$_d" "$T_TMP/$_s.od.eml"
		t_is "$RC:$OUT" "0:verified" "$_n: libopendkim's signature verifies against the record"
	fi
}

# --- keygen, each algorithm and size -----------------------------------------
check_key s2048 example.com rsa 2048
t_is "$KG_ERR" "" "keygen rsa 2048: nothing on stderr"
check_key s1024 example.com rsa 1024 --bits 1024
t_like "$KG_ERR" "warning: .*s1024.private: RSA key of 1024 bits; 2048 or more is recommended" \
	"keygen --bits 1024 warns"
check_key s4096 mail.example.org rsa 4096 --algorithm rsa --bits 4096
t_ok "$([ "$(zone_strings "$K/s4096.txt" | wc -l)" -ge 4 ]; echo $?)" \
	"keygen rsa 4096: p= split over several strings"
t_is "$(zone_strings "$K/s4096.txt" | sed -n 2p | awk '{print length($0)}')" 255 \
	"keygen rsa 4096: strings are filled to 255 octets"
umask 0		# the private key's 0600 must not come from the umask
check_key ed1 example.com ed25519 "" --algorithm ed25519
umask 022
run "$REPGUARDCTL" keygen --domain example.com. --selector Mail-2024.a --algorithm ED25519 --out "$K/"
t_is "$RC" 0 "keygen: trailing dot in domain, dotted selector, algorithm in capitals, --out with /"
t_like "$OUT" '^Mail-2024\.a\._domainkey\.example\.com\. IN TXT \( "v=DKIM1; k=ed25519; " "p=' \
	"keygen: the name has one final dot"
t_ok "$([ -f "$K/Mail-2024.a.private" ]; echo $?)" "keygen: writes DIR/S.private for a dotted selector"
run "$REPGUARDCTL" -c /nonexistent/repguard.conf keygen --domain example.com --selector cfg \
	--algorithm ed25519 --out "$K"
t_is "$RC" 0 "keygen needs no configuration file (global -c ignored)"

# a wrong record must not verify: the check above has teeth
run "$PY" "$T_TMP/dkimcheck.py" verify "$T_TMP/s1024.rec" s2048 example.com "$T_TMP/s2048.py.eml"
t_is "$RC:$OUT" "1:NOT verified" "a signature does not verify against another key's record"

# --- dkim-record on keys made elsewhere ----------------------------------------
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T_TMP/o8.pem" 2>/dev/null
openssl pkey -in "$T_TMP/o8.pem" -traditional -out "$K/pkcs1.pem"
chmod 600 "$K/pkcs1.pem"
run "$REPGUARDCTL" dkim-record "$K/pkcs1.pem"
t_is "$RC:$OUT" "0:v=DKIM1; k=rsa; p=$(pub_b64 "$K/pkcs1.pem" rsa)" \
	"dkim-record reads a PKCS#1 \"RSA PRIVATE KEY\""
if command -v opendkim-genkey >/dev/null 2>&1; then
	mkdir "$T_TMP/og"
	opendkim-genkey -D "$T_TMP/og" -d example.com -s og -b 2048 2>/dev/null
	chmod 600 "$T_TMP/og/og.private"
	run "$REPGUARDCTL" dkim-record "$T_TMP/og/og.private"
	og=$(grep -o '"[^"]*"' "$T_TMP/og/og.txt" | tr -d '"\n' | sed 's/.*p=//')
	t_is "${OUT#*p=}" "$og" "dkim-record agrees with opendkim-genkey's record"
fi

# --- usage errors: exit 2, a message, then the usage line ------------------------
usage_err() {	# usage_err "MESSAGE REGEX" ARGS...
	_want=$1; shift
	run "$REPGUARDCTL" "$@"
	t_is "$RC" 2 "usage error exits 2: $*"
	t_like "$ERR" "$_want" "message for: $*"
	t_like "$ERR" "^usage: repguardctl $1" "usage line for: $*"
}
usage_err "keygen: missing --domain" keygen
usage_err "keygen: missing --domain" keygen --selector s --out "$K"
usage_err "keygen: missing --selector" keygen --domain example.com --out "$K"
usage_err "keygen: missing --out" keygen --domain example.com --selector s
usage_err 'bad --algorithm "dsa": expected rsa or ed25519' keygen --domain example.com \
	--selector s --algorithm dsa --out "$K"
usage_err "--bits applies only to --algorithm rsa" keygen --domain example.com --selector s \
	--algorithm ed25519 --bits 2048 --out "$K"
for b in 512 1023 4097 8192 2k "" -2048; do
	usage_err "bad --bits \"$b\": expected a number from 1024 to 4096" keygen \
		--domain example.com --selector s --bits "$b" --out "$K"
done
for d in bad_domain.com -x.com x-.com a..b .com "" "ex ample.com" "exämple.com" \
    "$(printf 'a%.0s' $(seq 64)).com"; do
	usage_err "bad --domain \"$d\"" keygen --domain "$d" --selector s --out "$K"
done
for s in "a/b" "../x" "s." "_s" "s s" ""; do
	usage_err "bad --selector \"$s\"" keygen --domain example.com --selector "$s" --out "$K"
done
long=$(printf 'a%.0s' $(seq 60))
usage_err "is longer than 253 characters" keygen --selector "$long.$long" \
	--domain "$long.$long.b.com" --out "$K"
usage_err 'keygen: unexpected argument "extra"' keygen --domain example.com \
	--selector s --out "$K" extra
usage_err 'keygen: unknown option "--frob"' keygen --domain example.com --selector s \
	--out "$K" --frob
usage_err 'option "--domain" needs a value' keygen --selector s --out "$K" --domain
usage_err 'option "--domain" given twice' keygen --domain a.com --domain b.com \
	--selector s --out "$K"
usage_err "dkim-record: missing KEYFILE" dkim-record
usage_err "dkim-record takes one KEYFILE" dkim-record "$K/s2048.private" "$K/s1024.private"
usage_err "dkim-record: --domain and --selector go together" dkim-record \
	"$K/s2048.private" --domain example.com
usage_err "dkim-record: --domain and --selector go together" dkim-record \
	"$K/s2048.private" --selector s
usage_err 'dkim-record: unknown option "--bits"' dkim-record "$K/s2048.private" --bits 1024
usage_err 'bad --selector "a_b"' dkim-record "$K/s2048.private" --domain example.com --selector a_b
t_is "$(ls "$K" | grep -c '^s\.')" 0 "no usage error left a file behind"

# --- refusals: exit 1 ------------------------------------------------------------
refuse() {	# refuse NAME "MESSAGE REGEX" ARGS...
	_name=$1 _want=$2; shift 2
	run "$REPGUARDCTL" "$@"
	t_is "$RC" 1 "$_name: exit 1"
	t_like "$ERR" "^repguardctl: $_want" "$_name: message"
}
sum=$(cat "$K/s2048.private" "$K/s2048.txt" | md5sum)
refuse "keygen over an existing key" ".*/s2048\.private: already exists; not overwriting it" \
	keygen --domain example.com --selector s2048 --out "$K"
t_is "$(cat "$K/s2048.private" "$K/s2048.txt" | md5sum)" "$sum" "the existing key pair is untouched"
echo "a note" >"$K/only.txt"
refuse "keygen over an existing S.txt" ".*/only\.txt: already exists; not overwriting it" \
	keygen --domain example.com --selector only --algorithm ed25519 --out "$K"
t_ok "$([ ! -e "$K/only.private" ]; echo $?)" "no S.private made when S.txt exists"
t_is "$(cat "$K/only.txt")" "a note" "the existing S.txt is untouched"
ln -s "$T_TMP/nowhere" "$K/dangle.private"
refuse "keygen over a dangling symlink" ".*/dangle\.private: already exists" \
	keygen --domain example.com --selector dangle --algorithm ed25519 --out "$K"
t_ok "$([ ! -e "$T_TMP/nowhere" ]; echo $?)" "the symlink's target was not created"
refuse "keygen into a missing directory" "--out $T_TMP/none: No such file or directory" \
	keygen --domain example.com --selector s --out "$T_TMP/none"
refuse "keygen --out a file" "--out $K/only.txt: not a directory" \
	keygen --domain example.com --selector s --out "$K/only.txt"
if [ "$(id -u)" -ne 0 ]; then
	mkdir "$T_TMP/ro" && chmod 555 "$T_TMP/ro"
	refuse "keygen into a read-only directory" ".*/ro/s\.private: cannot create: Permission denied" \
		keygen --domain example.com --selector s --algorithm ed25519 --out "$T_TMP/ro"
	t_is "$(ls -A "$T_TMP/ro")" "" "nothing left in the read-only directory"
fi

refuse "dkim-record of a missing file" "$K/none\.pem: cannot open: No such file or directory" \
	dkim-record "$K/none.pem"
refuse "dkim-record of a directory" "$K: a directory, not a key file" dkim-record "$K"
cp "$K/s2048.private" "$K/g.pem" && chmod 640 "$K/g.pem"
refuse "dkim-record of a group-readable key" \
	"$K/g\.pem: mode 0640 lets group read it; chmod 600 $K/g\.pem" dkim-record "$K/g.pem"
openssl pkey -in "$K/s2048.private" -pubout -out "$K/pub.pem"
chmod 600 "$K/pub.pem"
refuse "dkim-record of a public key" "$K/pub\.pem: not a private key \(it holds a public key\)" \
	dkim-record "$K/pub.pem"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$K/ec.pem" 2>/dev/null
chmod 600 "$K/ec.pem"
refuse "dkim-record of an EC key" "$K/ec\.pem: EC key; DKIM signing needs an RSA or Ed25519 key" \
	dkim-record "$K/ec.pem"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:512 -out "$K/r512.pem" 2>/dev/null
chmod 600 "$K/r512.pem"
refuse "dkim-record of an RSA 512-bit key" "$K/r512\.pem: RSA key of 512 bits is too short" \
	dkim-record "$K/r512.pem"
echo "garbage" >"$K/junk.pem" && chmod 600 "$K/junk.pem"
refuse "dkim-record of garbage" "$K/junk\.pem: not a private key" dkim-record "$K/junk.pem"
run "$REPGUARDCTL" dkim-record "$K/s1024.private"
t_like "$RC:$ERR" "^0:repguardctl: warning: .*s1024\.private: RSA key of 1024 bits" \
	"dkim-record of an RSA 1024-bit key: warns, exit 0"

t_done
