#!/bin/bash
# t_dkim_milter.sh - DKIM signing by the real repguard daemon, driven through
# the milter protocol by tests/lib/milterclient.py (an MTA side modelled on
# Postfix: CRLF body in chunks, folded headers joined by LF, one leading
# space eaten unless the filter asks for SMFIP_HDR_LEADSPC, SMFIR_INSHEADER
# applied at its index) and checked by an independent verifier,
# tests/dkim/verify.py (Debian's python3-dkim, public keys from files, no DNS).
#
# Keys are made here with openssl: RSA-2048 PKCS#1 ("BEGIN RSA PRIVATE KEY"),
# RSA-2048 PKCS#8 and Ed25519 PKCS#8; their DNS records hold p= = the DER
# SubjectPublicKeyInfo in base64 (RSA), or the raw 32-byte key (Ed25519).
#
# Configurations, one daemon each (InternalHosts 10.1.0.0/16):
#   A  simple form, RSA PKCS#1, Canonicalization simple/simple
#   B  simple form, RSA PKCS#8, Canonicalization not set (default relaxed/relaxed)
#   C  simple form, Ed25519, Canonicalization simple/simple
#   C2 simple form, Ed25519, Canonicalization relaxed/simple
#   D  KeyTable + SigningTable (refile:), MultipleSignatures yes: RSA and
#      Ed25519 for *@example.com, Canonicalization relaxed/relaxed
#   E  simple form, RSA PKCS#1, OnNoKey tempfail
# Messages: plain, CRLF and LF files, awkward headers (no space or a tab
# after the colon, odd case, trailing blanks), folded headers, 8-bit body,
# empty body, header-only message, 10 MB body, multipart with an attachment,
# 50 recipients, body chunks of 1, 7, 13 ... bytes.  Tampered copies (body,
# signed header, second From:) must fail; an added unsigned header must not.
# External unauthenticated mail is not signed; authenticated mail is; a
# message already signed with our d=/s= is not signed again; a From: domain
# without a key is sent unsigned (OnNoKey accept) or gets 451 4.7.5 (OnNoKey
# tempfail; inbound mail never does).
#
# DKIMT_MILTER=opendkim runs the same cases against Debian's opendkim with an
# equivalent configuration (to validate the client and the verifier);
# repguard-only cases are then skipped, and two known opendkim 2.11 defects
# are TODO: Ed25519 with simple header canonicalization (libopendkim hashes
# the DKIM-Signature folded with "b=" on the h= line, then emits it with "b="
# on a line of its own: the signature never verifies) and dual signing (one
# global SignatureAlgorithm).  The default, and what "make check" runs, is
# repguard, where neither is excused.
#
# Needs /usr/bin/python3 with python3-dkim and python3-nacl, and openssl.
# About 10 s.  KEEP_TMP=1 keeps $T_TMP (keys, configs, messages, logs).

: "${TOP_SRCDIR:?TOP_SRCDIR is not set (run through make check)}"
. "$TOP_SRCDIR/tests/lib/common.sh" || exit 1

PY=/usr/bin/python3
MC=$TOP_SRCDIR/tests/lib/milterclient.py
VF=$TOP_SRCDIR/tests/dkim/verify.py
MILTER=${DKIMT_MILTER:-repguard}
OPENDKIM=${OPENDKIM:-/usr/sbin/opendkim}
INTERNAL=10.1.2.3
EXTERNAL=192.0.2.9

[ -x "$PY" ] || t_skip_all "$PY not installed"
"$PY" -c 'import dkim, nacl' 2>/dev/null || t_skip_all "python3-dkim or python3-nacl missing"
command -v openssl >/dev/null || t_skip_all "openssl not installed"
case $MILTER in
repguard) ;;
opendkim) [ -x "$OPENDKIM" ] || t_skip_all "$OPENDKIM not installed" ;;
*) echo "Bail out! DKIMT_MILTER must be repguard or opendkim, not $MILTER"; exit 1 ;;
esac

# TAP helpers: common.sh's, plus "# TODO" (a known defect of the milter under
# test: reported, not counted as a failure) and "# SKIP".  TODO is only
# used with DKIMT_MILTER=opendkim: under make check's tap-driver an
# "ok ... # TODO" would count as an unexpected pass.
T_TODO=""
t_pass() { T_N=$((T_N + 1)); echo "ok $T_N - $1${T_TODO:+ # TODO $T_TODO}"; }
t_fail() {
	T_N=$((T_N + 1))
	if [ -n "$T_TODO" ]; then
		echo "not ok $T_N - $1 # TODO $T_TODO"
	else
		T_FAILED=$((T_FAILED + 1))
		echo "not ok $T_N - $1"
	fi
	shift
	for d in "$@"; do printf '%s\n' "$d" | sed 's/^/#   /'; done
}
t_skip() { T_N=$((T_N + 1)); echo "ok $T_N - $1 # SKIP $2"; }
# rg_only NAME: status 0 if the case may run; else it is reported skipped
rg_only() {
	[ "$MILTER" = repguard ] && return 0
	t_skip "$1" "repguard feature, not checked with $MILTER"
	return 1
}

t_tmpdir
started=$(date +%s)
SOCK=$T_TMP/milter.sock
KEYS=$T_TMP/keys
DNS=$T_TMP/dns
MSG=$T_TMP/msg
OUT=$T_TMP/out
mkdir -p "$KEYS" "$DNS" "$MSG" "$OUT"
chmod 0700 "$KEYS"

# --- keys and DNS records --------------------------------------------------------
(
	umask 077
	openssl genrsa -traditional -out "$KEYS/rsa1.pem" 2048 &&
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$KEYS/rsa8.pem" &&
	openssl genpkey -algorithm ed25519 -out "$KEYS/ed.pem"
) >"$T_TMP/keygen.log" 2>&1
t_ok $? "openssl made an RSA PKCS#1, an RSA PKCS#8 and an Ed25519 PKCS#8 key"
t_is "$(head -n1 "$KEYS/rsa1.pem")|$(head -n1 "$KEYS/rsa8.pem")|$(head -n1 "$KEYS/ed.pem")" \
	"-----BEGIN RSA PRIVATE KEY-----|-----BEGIN PRIVATE KEY-----|-----BEGIN PRIVATE KEY-----" \
	"key files are PEM PKCS#1 (rsa1) and PKCS#8 (rsa8, ed)"

# record KEYFILE SELECTOR DOMAIN: write $DNS/SELECTOR._domainkey.DOMAIN (the TXT text)
record() {
	_p=$(openssl pkey -in "$1" -pubout -outform DER 2>/dev/null | base64 -w0)
	_k=rsa
	if openssl pkey -in "$1" -noout -text 2>/dev/null | grep -q '^ED25519'; then
		_k=ed25519
		_p=$(openssl pkey -in "$1" -pubout -outform DER | tail -c 32 | base64 -w0)
	fi
	printf 'v=DKIM1; k=%s; p=%s\n' "$_k" "$_p" >"$DNS/$2._domainkey.$3"
}
record "$KEYS/rsa1.pem" rsa1 example.com
record "$KEYS/rsa8.pem" rsa8 example.com
record "$KEYS/ed.pem" ed1 example.com
t_like "$(cat "$DNS/ed1._domainkey.example.com")" '^v=DKIM1; k=ed25519; p=[A-Za-z0-9+/]{43}=$' \
	"Ed25519 record holds the raw 32-byte public key"
VKEYS=()
for f in "$DNS"/*; do VKEYS+=(--key "$(basename "$f")=$f"); done

# --- messages ------------------------------------------------------------------------
DATE="Fri, 28 Nov 2025 10:00:00 +0000"

# plain ID FROM: a plain message (LF line ends) with awkward but legal body lines
plain() {
	printf 'From: Alice Example <%s>\n' "$2"
	printf 'To: Bob <bob@example.org>\n'
	printf 'Subject: repguard dkim test %s\n' "$1"
	printf 'Date: %s\n' "$DATE"
	printf 'Message-ID: <%s.dkimt@example.com>\n' "$1"
	printf 'MIME-Version: 1.0\n'
	printf 'Content-Type: text/plain; charset=us-ascii\n'
	printf 'X-Test-Id: %s\n' "$1"
	printf '\n'
	printf 'Hello Bob,\n'
	printf '\n'
	printf 'this is message %s.\n' "$1"
	printf '.a line that starts with a dot\n'
	printf 'trailing blanks   \n'
	printf 'inner  double  blanks\tand a tab\n'
	printf 'x%.0s' $(seq 1 990); printf '\n'
	printf -- '-- \nthe end\n'
	printf '\n\n\n'
}
plain basic alice@example.com >"$MSG/basic"
sed 's/$/\r/' "$MSG/basic" >"$MSG/basic.crlf"
plain nokey carol@example.org >"$MSG/nokey"
plain ext dave@example.com >"$MSG/ext"

# header fields that simple canonicalization keeps byte for byte
{
	printf 'from: Alice <alice@example.com>\n'
	printf 'To:\t<bob@example.org>\n'
	printf 'Subject:no space after the colon\n'
	printf 'Date:   %s\n' "$DATE"
	printf 'Message-ID: <awkward.dkimt@example.com>   \n'
	printf 'CC: carol@example.org ,  dave@example.net\t\n'
	printf 'mime-version: 1.0\n'
	printf '\n'
	printf 'body\n'
} >"$MSG/awkward"

{
	printf 'From: "Alice, with a long display name"\n'
	printf '  <alice@example.com>\n'
	printf 'To: bob@example.org,\n\tcarol@example.org,\n    dave@example.net\n'
	printf 'Subject: a folded\n subject line\n\t with  tabs\n'
	printf 'Date: %s\n' "$DATE"
	printf 'Message-ID: <folded.dkimt@example.com>\n'
	printf 'X-Folded: first\n\tsecond\n\tthird\n'
	printf '\n'
	printf 'body of the folded message\n'
} >"$MSG/folded"

{
	printf 'From: Alice <alice@example.com>\n'
	printf 'To: bob@example.org\n'
	printf 'Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\n'
	printf 'Date: %s\n' "$DATE"
	printf 'MIME-Version: 1.0\n'
	printf 'Content-Type: text/plain; charset=utf-8\n'
	printf 'Content-Transfer-Encoding: 8bit\n'
	printf '\n'
	printf 'Gr\303\274\303\237e aus K\303\266ln \342\200\224 caf\303\251 \342\234\223\n'
	printf 'Latin-1 byte: \351, high bytes: \200\377\n'
	printf '\342\202\254 100\n'
} >"$MSG/8bit"

# empty body (header, empty line, nothing) and a header-only message
printf 'From: alice@example.com\nTo: bob@example.org\nSubject: empty body\nDate: %s\n\n' \
	"$DATE" >"$MSG/empty"
printf 'From: alice@example.com\nTo: bob@example.org\nSubject: header only\nDate: %s\n' \
	"$DATE" >"$MSG/headeronly"

# multipart/mixed: text, quoted-printable HTML, base64 attachment
{
	printf 'From: Alice <alice@example.com>\nTo: bob@example.org\n'
	printf 'Subject: multipart with an attachment\nDate: %s\n' "$DATE"
	printf 'MIME-Version: 1.0\n'
	printf 'Content-Type: multipart/mixed;\n\tboundary="=_b0undary_42"\n\n'
	printf 'This is a multi-part message in MIME format.\n\n'
	printf -- '--=_b0undary_42\nContent-Type: text/plain; charset=us-ascii\n\n'
	printf 'See the attachment.\n\n'
	printf -- '--=_b0undary_42\nContent-Type: text/html; charset=utf-8\n'
	printf 'Content-Transfer-Encoding: quoted-printable\n\n'
	printf '<p>Gr=C3=BC=C3=9Fe, a long soft-broken line=\n that goes on</p>\n\n'
	printf -- '--=_b0undary_42\nContent-Type: application/octet-stream; name="data.bin"\n'
	printf 'Content-Transfer-Encoding: base64\n'
	printf 'Content-Disposition: attachment; filename="data.bin"\n\n'
	head -c 30000 /dev/urandom | base64 -w 76
	printf -- '--=_b0undary_42--\n'
} >"$MSG/multipart"

# 10 MB body of base64 lines
{
	printf 'From: Alice <alice@example.com>\nTo: bob@example.org\n'
	printf 'Subject: ten megabytes\nDate: %s\n\n' "$DATE"
	head -c 7864320 /dev/urandom | base64 -w 76
} >"$MSG/big"

# a message that already carries a (bogus) signature of another selector
{
	printf 'DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com;\n'
	printf '\ts=oldsel; h=from:subject; bh=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=;\n'
	printf '\tb=AAAA\n'
	cat "$MSG/basic"
} >"$MSG/othersig"

RCPTS50=()
for i in $(seq 1 50); do RCPTS50+=(--rcpt "r$i@example.org"); done

# --- the milter under test -------------------------------------------------------------
MPID=""
MLOG=""
MCONF=""
gone() { ! ps -o stat= -p "$1" 2>/dev/null | grep -qv Z; }

stop_milter() {
	[ -n "$MPID" ] || return 0
	# opendkim (libmilter) takes 4-5 s to leave on SIGTERM: it is only the
	# reference here, so it gets SIGKILL
	[ "$MILTER" = opendkim ] && kill -KILL "$MPID" 2>/dev/null
	kill -TERM "$MPID" 2>/dev/null
	if ! t_wait_for 10 gone "$MPID"; then
		echo "# $MILTER (pid $MPID) ignored SIGTERM for 10 s; killing it"
		kill -KILL "$MPID" 2>/dev/null
	fi
	wait "$MPID" 2>/dev/null
	t_untrack "$MPID"
	MPID=""
}

# start_milter NAME KEY=VALUE...: start the milter under test with a
# configuration described by the pairs (same names as repguard's keywords:
# Domain Selector KeyFile KeyTable SigningTable MultipleSignatures
# Canonicalization OnNoKey; Alg=ed25519 tells opendkim the key type).
start_milter() {
	_name=$1; shift
	stop_milter
	rm -f "$SOCK"
	MLOG=$T_TMP/$MILTER.$_name.log
	MCONF=$T_TMP/$MILTER.$_name.conf
	_alg=""
	_kv=()
	for _a in "$@"; do
		case $_a in
		Alg=*) _alg=${_a#Alg=} ;;
		*) _kv+=("${_a%%=*}" "${_a#*=}") ;;
		esac
	done
	if [ "$MILTER" = repguard ]; then
		rg_conf "$MCONF" Socket "unix:$SOCK" UMask 000 DatabasePath "$T_TMP/db" \
			InternalHosts 10.1.0.0/16 CommitInterval 10 Syslog no "${_kv[@]}"
		if ! "$REPGUARD" -n -c "$MCONF" >"$T_TMP/check.$_name.out" 2>&1; then
			t_fail "config $_name: repguard -n accepts it" "$(cat "$MCONF")" \
				"$(cat "$T_TMP/check.$_name.out")"
			return 1
		fi
		"$REPGUARD" -f -c "$MCONF" >>"$MLOG" 2>&1 &
		MPID=$!
	else
		{
			echo "Mode s"
			echo "Socket local:$SOCK"
			echo "UMask 000"
			echo "Syslog no"
			echo "RequireSafeKeys false"
			echo "InternalHosts 10.1.0.0/16"
			echo "OversignHeaders From"
			echo "PidFile $T_TMP/opendkim.pid"
			[ "$_alg" = ed25519 ] && echo "SignatureAlgorithm ed25519-sha256"
			_canon=""
			set -- "${_kv[@]}"
			while [ $# -ge 2 ]; do
				case $1 in
				OnNoKey) ;;	# no such thing in opendkim: unsigned
				Canonicalization) _canon=$2 ;;
				*) echo "$1 $2" ;;
				esac
				shift 2
			done
			# opendkim's default is simple/simple, repguard's relaxed/relaxed
			echo "Canonicalization ${_canon:-relaxed/relaxed}"
		} >"$MCONF"
		"$OPENDKIM" -f -x "$MCONF" >>"$MLOG" 2>&1 &
		MPID=$!
	fi
	t_track "$MPID"
	if ! t_wait_for 10 rg_accepting "$SOCK"; then
		t_fail "config $_name: $MILTER started" "$(cat "$MCONF")" "$(tail -n 20 "$MLOG")"
		stop_milter
		return 1
	fi
	t_pass "config $_name: $MILTER started and listens on $SOCK"
}

# send NAME MSGFILE [milterclient args]: one message from alice@example.com
# at $INTERNAL to bob@example.org unless the arguments say otherwise (later
# --from/--client-ip win); sets REPLY, MC_RC and DELIVERED (the output file).
send() {
	_n=$1 _m=$2; shift 2
	DELIVERED=$OUT/$_n
	_rcpt=(--rcpt bob@example.org)
	case " $* " in *" --rcpt "*) _rcpt=() ;; esac
	REPLY=$("$PY" "$MC" --socket "$SOCK" --client-ip "$INTERNAL" --from alice@example.com \
		"${_rcpt[@]}" --message "$_m" --out "$DELIVERED" --queue-id "QID${_n//[^A-Za-z0-9]/}" \
		-v "$@" 2>"$OUT/$_n.mc")
	MC_RC=$?
	LAST=$_n
}

# verified DESC N [ERE...]: the last send got through (continue/accept) and
# its delivered message carries N signatures (0: none) that all pass, the
# verifier's output matching every ERE.
verified() {
	_d=$1 _want=$2; shift 2
	_diag=()
	# delivered: continue or accept at end of message, or accept earlier
	if [ "$MC_RC" -ne 0 ] || ! printf '%s\n' "$REPLY" | grep -Eq '^(eom: continue|[a-z]+: accept)$'; then
		_diag+=("milterclient exit $MC_RC, reply: $REPLY" "$(tail -n 5 "$OUT/$LAST.mc")")
	fi
	if [ ! -f "$DELIVERED" ]; then
		_diag+=("no delivered message")
	else
		VOUT=$("$PY" "$VF" "${VKEYS[@]}" --expect "$_want" "$DELIVERED" 2>&1)
		_vrc=$?
		for _re in "$@"; do
			printf '%s\n' "$VOUT" | grep -Eq -- "$_re" ||
				{ _vrc=1; _diag+=("verifier output does not match: $_re"); }
		done
		[ "$_vrc" -eq 0 ] || _diag+=("verify.py --expect $_want:" "$VOUT")
	fi
	if [ ${#_diag[@]} -eq 0 ]; then
		t_pass "$_d"
	else
		[ -f "$MLOG" ] && _diag+=("$MILTER log:" "$(tail -n 5 "$MLOG")")
		t_fail "$_d" "${_diag[@]}"
	fi
}

# tamper MODE SRC DST: a changed copy of a delivered message (tamper.py)
tamper() { "$PY" "$TOP_SRCDIR/tests/dkim/tamper.py" "$@"; }

# must_fail DESC FILE: every signature of FILE fails (and there is one at least)
must_fail() {
	_o=$("$PY" "$VF" "${VKEYS[@]}" --all-fail "$2" 2>&1)
	_rc=$?
	if [ "$_rc" -eq 0 ]; then
		t_pass "$1"
	else
		t_fail "$1" "verify.py --all-fail exit $_rc (want 0, every signature failing):" "$_o"
	fi
}

# tamper_checks TAG SRC N: the tampered copies of SRC (signed with N
# signatures) fail, the harmless changes still verify
tamper_checks() {
	if [ ! -f "$2" ]; then
		t_fail "$1: tamper checks" "no signed message $2 to tamper with"
		return
	fi
	tamper body "$2" "$2.t-body" && must_fail "$1: tampered body fails" "$2.t-body"
	tamper header "$2" "$2.t-header" && must_fail "$1: tampered Subject: fails" "$2.t-header"
	tamper from2 "$2" "$2.t-from2" &&
		must_fail "$1: a second From: on top fails (From is oversigned)" "$2.t-from2"
	tamper append "$2" "$2.t-append" &&
		must_fail "$1: a line appended to the body fails (no l= tag)" "$2.t-append"
	tamper unsigned "$2" "$2.t-unsigned"
	_o=$("$PY" "$VF" "${VKEYS[@]}" --expect "$3" "$2.t-unsigned" 2>&1)
	t_ok $? "$1: an unsigned header added on top still verifies (the verifier is not a hair trigger)"
}

# same_as_input DESC MSGFILE: the delivered message is the input (CRLF), untouched
same_as_input() {
	if [ -f "$DELIVERED" ] && sed 's/\r$//; s/$/\r/' "$2" | cmp -s - "$DELIVERED"; then
		t_pass "$1"
	else
		t_fail "$1" "delivered: $(head -c 300 "$DELIVERED" 2>/dev/null | cat -A)"
	fi
}

# bh FILE N: the bh= tag of signature N (0 = topmost)
bh() {
	"$PY" -c 'import sys, types
sys.modules["dkim.dnsplug"] = types.ModuleType("dkim.dnsplug")
sys.modules["dkim.dnsplug"].get_txt = None
import dkim
d = dkim.DKIM(open(sys.argv[1], "rb").read())
s = [v for k, v in d.headers if k.lower() == b"dkim-signature"][int(sys.argv[2])]
print(b"".join(dkim.parse_tag_value(s)[b"bh"].split()).decode())' "$1" "$2" 2>&1
}

# signed_log QID D S A: repguard logged "QID: signed d=D s=S a=A"
signed_log() {
	[ "$MILTER" = repguard ] || return 0
	grep -Eq "(^|[] ])$1: signed d=$2 s=$3 a=$4( |\$)" "$MLOG"
}

RSA='a=rsa-sha256'
ED='a=ed25519-sha256'
ED_SIMPLE_TODO=""
DUAL_TODO=""
if [ "$MILTER" = opendkim ]; then
	ED_SIMPLE_TODO="libopendkim 2.11: ed25519 with simple header canonicalization hashes a DKIM-Signature folded unlike the one it emits"
	DUAL_TODO="opendkim has one global SignatureAlgorithm: it cannot dual sign rsa + ed25519"
fi

# ================= A: simple form, RSA PKCS#1, simple/simple ===================
if start_milter A Domain=example.com Selector=rsa1 KeyFile="$KEYS/rsa1.pem" \
    Canonicalization=simple/simple; then
	send A-basic "$MSG/basic" --received
	verified "A: internal mail signed, d=example.com s=rsa1 rsa-sha256 simple/simple, verifies" 1 \
		"^0 d=example.com s=rsa1 $RSA c=simple/simple h=[^ ]*(^|[=:])[Ff][Rr][Oo][Mm]([: ]|\$).* result=pass"
	if [ "$MILTER" = repguard ]; then
		signed_log QIDAbasic example.com rsa1 rsa-sha256
		t_ok $? "A: logged \"QIDAbasic: signed d=example.com s=rsa1 a=rsa-sha256\""
		t_like "$(head -n1 "$DELIVERED")" '^DKIM-Signature:' "A: the signature is the topmost header"
	fi
	tamper_checks A "$OUT/A-basic" 1

	send A-crlf "$MSG/basic.crlf" --chunk 1
	verified "A: the same message as a CRLF file, 1-byte chunks, verifies" 1 "s=rsa1 .*result=pass"
	t_is "$(bh "$OUT/A-crlf" 0)" "$(bh "$OUT/A-basic" 0)" "A: LF and CRLF files give the same body hash"

	# Postfix and Sendmail hand the body over with CRLF; should an MTA send
	# bare LF, the message must be refused or signed as delivered (CRLF),
	# never carry a broken signature.
	send A-wirelf "$MSG/basic" --wire-lf
	if printf '%s\n' "$REPLY" | grep -Eq '^eom: (tempfail|reject)'; then
		t_pass "A: body handed over with bare LF: refused ($REPLY), no broken signature"
	else
		[ "$MILTER" = opendkim ] && T_TODO="opendkim (FixCRLF no) signs a bare-LF body as is"
		verified "A: body handed over with bare LF: the signature verifies on the CRLF message" 1
		T_TODO=""
	fi

	send A-awkward "$MSG/awkward" --chunk 1
	verified "A: awkward headers (no space/tab after colon, odd case, trailing blanks), simple: verifies" 1 \
		"result=pass"
	send A-folded "$MSG/folded" --chunk 7
	verified "A: folded From/To/Subject, 7-byte chunks, simple: verifies" 1 "result=pass"
	send A-8bit "$MSG/8bit" --chunk 13
	verified "A: 8-bit body, 13-byte chunks: verifies" 1 "result=pass"
	tamper_checks "A 8-bit" "$OUT/A-8bit" 1
	send A-empty "$MSG/empty"
	verified "A: empty body: verifies" 1 "result=pass"
	send A-headeronly "$MSG/headeronly"
	verified "A: header-only message (no empty line): verifies" 1 "result=pass"

	send A-ext "$MSG/ext" --client-ip "$EXTERNAL" --from dave@example.com
	verified "A: external unauthenticated client ($EXTERNAL), From: @example.com: not signed" 0
	same_as_input "A: external mail delivered untouched" "$MSG/ext"
	send A-auth "$MSG/basic" --client-ip "$EXTERNAL" --auth alice
	verified "A: authenticated client (LOGIN alice from $EXTERNAL): signed, verifies" 1 "s=rsa1 .*result=pass"

	send A-nokey "$MSG/nokey" --from carol@example.org
	verified "A: From: carol@example.org (no key), OnNoKey accept: delivered unsigned" 0
	send A-envkey "$MSG/nokey" --from alice@example.com
	verified "A: envelope alice@example.com but From: @example.org: not signed (From: header selects)" 0
	send A-hdrkey "$MSG/basic" --from bounces@example.org
	verified "A: envelope bounces@example.org, From: alice@example.com: signed" 1 "s=rsa1 .*result=pass"

	if rg_only "A: a message already signed with our d=/s= is not signed again"; then
		send A-resign "$OUT/A-basic"
		verified "A: a message already signed with our d=/s= is not signed again" 1 "s=rsa1 .*result=pass"
		t_is "$(grep -c '^DKIM-Signature:' "$DELIVERED" 2>/dev/null)" 1 \
			"A: ... and carries exactly one DKIM-Signature:"
		grep -q "QIDAresign: not signed again: already carries a valid signature with d=example.com s=rsa1" "$MLOG"
		t_ok $? "A: ... and the log says why"
	fi
	# A DKIM-Signature field is written by whoever sends the message: one
	# with our d=/s= that does not verify (made up, or stale: an earlier
	# message's) must not stop us from signing.
	if rg_only "A: a made-up signature with our d=/s= is signed over"; then
		sed 's/^\ts=oldsel;/\ts=rsa1;/' "$MSG/othersig" >"$MSG/forged"
		tamper header "$OUT/A-basic" "$MSG/stale"
		for _case in forged stale; do
			send "A-$_case" "$MSG/$_case"
			"$PY" "$VF" "${VKEYS[@]}" "$DELIVERED" >"$OUT/A-$_case.v" 2>&1
			if grep -Eq '^0 d=example.com s=rsa1 .*result=pass' "$OUT/A-$_case.v" &&
			    grep -Eq '^1 d=example.com s=rsa1 .*result=fail' "$OUT/A-$_case.v" &&
			    [ "$(grep -c '^[0-9] d=' "$OUT/A-$_case.v")" = 2 ]; then
				t_pass "A: a $_case signature with our d=/s= is signed over: ours on top passes, theirs fails"
			else
				t_fail "A: a $_case signature with our d=/s= is signed over" "reply: $REPLY" \
					"$(cat "$OUT/A-$_case.v")" "$(tail -n 3 "$MLOG")"
			fi
			grep -q "QIDA$_case: signed over a signature with d=example.com s=rsa1 that does not verify" "$MLOG"
			t_ok $? "A: ... and the log says so ($_case)"
		done
	fi
	if rg_only "A: a foreign signature (s=oldsel) does not stop ours"; then
		send A-othersig "$MSG/othersig"
		"$PY" "$VF" "${VKEYS[@]}" "$DELIVERED" >"$OUT/A-othersig.v" 2>&1
		if grep -Eq '^[0-9] d=example.com s=rsa1 .*result=pass' "$OUT/A-othersig.v" &&
		    [ "$(grep -c '^[0-9] d=' "$OUT/A-othersig.v")" = 2 ]; then
			t_pass "A: a foreign signature (s=oldsel) does not stop ours: 2 signatures, ours passes"
		else
			t_fail "A: a foreign signature (s=oldsel) does not stop ours" "reply: $REPLY" \
				"$(cat "$OUT/A-othersig.v")"
		fi
	fi
fi

# ================= B: simple form, RSA PKCS#8, default canonicalization ============
if start_milter B Domain=example.com Selector=rsa8 KeyFile="$KEYS/rsa8.pem"; then
	send B-basic "$MSG/basic" --chunk 65521
	verified "B: PKCS#8 RSA key, default canonicalization relaxed/relaxed: verifies" 1 \
		"^0 d=example.com s=rsa8 $RSA c=relaxed/relaxed .*result=pass"
	tamper_checks B "$OUT/B-basic" 1
	tamper refold "$OUT/B-basic" "$OUT/B-basic.t-refold"
	"$PY" "$VF" "${VKEYS[@]}" --expect 1 "$OUT/B-basic.t-refold" >/dev/null 2>&1
	t_ok $? "B: re-folded Subject: still verifies with relaxed header canonicalization"
	send B-awkward "$MSG/awkward" --chunk 3
	verified "B: awkward headers, relaxed: verifies" 1 "result=pass"
	send B-folded "$MSG/folded" --chunk 5
	verified "B: folded headers, relaxed: verifies" 1 "result=pass"
	hwm0=$(awk '/^VmHWM:/ { print $2 }' "/proc/$MPID/status" 2>/dev/null)
	t0=$(date +%s%N)
	send B-big "$MSG/big" --chunk 65521
	t1=$(date +%s%N)
	hwm1=$(awk '/^VmHWM:/ { print $2 }' "/proc/$MPID/status" 2>/dev/null)
	verified "B: 10 MB body in 65521-byte chunks: verifies" 1 "result=pass"
	echo "# 10 MB message through $MILTER: $(( (t1 - t0) / 1000000 )) ms, peak RSS ${hwm0:-?} -> ${hwm1:-?} kB"
	# The body streams through: the daemon's peak memory must not grow by
	# anything like the 10 MB it signed.  AddressSanitizer keeps freed
	# memory in quarantine, so the sanitizer build cannot show it.
	if [ "$MILTER" != repguard ]; then
		t_skip "B: 10 MB body: peak memory grows by less than 3 MB" "checked for repguard only"
	elif ldd "$REPGUARD" 2>/dev/null | grep -q libasan; then
		t_skip "B: 10 MB body: peak memory grows by less than 3 MB" "sanitizer build keeps freed memory"
	elif [ -n "$hwm0" ] && [ -n "$hwm1" ] && [ $((hwm1 - hwm0)) -lt 3072 ]; then
		t_pass "B: 10 MB body: peak memory grows by less than 3 MB ($((hwm1 - hwm0)) kB): never kept whole"
	else
		t_fail "B: 10 MB body: peak memory grows by less than 3 MB" "VmHWM ${hwm0:-?} -> ${hwm1:-?} kB"
	fi
	send B-multipart "$MSG/multipart" --chunk 4093
	verified "B: multipart with a base64 attachment: verifies" 1 "result=pass"
	tamper_checks "B multipart" "$OUT/B-multipart" 1
	send B-rcpt50 "$MSG/basic" "${RCPTS50[@]}"
	verified "B: 50 recipients: one signature, verifies" 1 "result=pass"
fi

# ================= C: simple form, Ed25519, simple/simple ==========================
T_TODO=$ED_SIMPLE_TODO
if start_milter C Domain=example.com Selector=ed1 KeyFile="$KEYS/ed.pem" \
    Canonicalization=simple/simple Alg=ed25519; then
	send C-basic "$MSG/basic"
	verified "C: Ed25519 PKCS#8 key, simple/simple: verifies" 1 \
		"^0 d=example.com s=ed1 $ED c=simple/simple .*result=pass"
	if [ "$MILTER" = repguard ]; then
		signed_log QIDCbasic example.com ed1 ed25519-sha256
		t_ok $? "C: logged \"QIDCbasic: signed d=example.com s=ed1 a=ed25519-sha256\""
	fi
	tamper_checks C "$OUT/C-basic" 1
	send C-awkward "$MSG/awkward" --chunk 1
	verified "C: awkward headers, 1-byte chunks: verifies" 1 "result=pass"
	send C-8bit "$MSG/8bit" --chunk 11
	verified "C: 8-bit body: verifies" 1 "result=pass"
	send C-empty "$MSG/empty"
	verified "C: empty body: verifies" 1 "result=pass"
fi
T_TODO=""

# ================= C2: simple form, Ed25519, relaxed/simple =======================
if start_milter C2 Domain=example.com Selector=ed1 KeyFile="$KEYS/ed.pem" \
    Canonicalization=relaxed/simple Alg=ed25519; then
	send C2-basic "$MSG/basic" --chunk 2
	verified "C2: Ed25519, relaxed/simple: verifies" 1 \
		"^0 d=example.com s=ed1 $ED c=relaxed/simple .*result=pass"
	tamper_checks C2 "$OUT/C2-basic" 1
	send C2-folded "$MSG/folded" --chunk 1
	verified "C2: folded headers: verifies" 1 "result=pass"
	send C2-8bit "$MSG/8bit"
	verified "C2: 8-bit body: verifies" 1 "result=pass"
	send C2-multipart "$MSG/multipart" --chunk 999
	verified "C2: multipart with an attachment: verifies" 1 "result=pass"
	send C2-ext "$MSG/ext" --client-ip "$EXTERNAL" --from dave@example.com
	verified "C2: external unauthenticated mail: not signed" 0
fi

# ================= D: KeyTable + SigningTable, RSA and Ed25519 ===================
printf 'rsa example.com:rsa8:%s\ned example.com:ed1:%s\n' "$KEYS/rsa8.pem" "$KEYS/ed.pem" \
	>"$T_TMP/keytable"
printf '*@example.com rsa\n*@example.com ed\n' >"$T_TMP/signingtable"
T_TODO=$DUAL_TODO
if start_milter D KeyTable="file:$T_TMP/keytable" SigningTable="refile:$T_TMP/signingtable" \
    MultipleSignatures=yes Canonicalization=relaxed/relaxed; then
	dual='[0-9] d=example.com s=rsa8 a=rsa-sha256 c=relaxed/relaxed .*result=pass'
	duale='[0-9] d=example.com s=ed1 a=ed25519-sha256 c=relaxed/relaxed .*result=pass'
	send D-basic "$MSG/basic"
	verified "D: dual signing: 2 signatures (rsa-sha256 s=rsa8, ed25519-sha256 s=ed1), both verify" 2 \
		"$dual" "$duale"
	if [ "$MILTER" = repguard ]; then
		signed_log QIDDbasic example.com rsa8 rsa-sha256 &&
			signed_log QIDDbasic example.com ed1 ed25519-sha256
		t_ok $? "D: one \"signed\" log line per signature"
		t_is "$(grep -v '^[[:space:]]' "$DELIVERED" | head -n 3 | cut -d: -f1 | tr '\n' ' ')" \
			"DKIM-Signature DKIM-Signature From " "D: both signatures are on top of the header"
	fi
	tamper_checks D "$OUT/D-basic" 2
	send D-folded "$MSG/folded" --chunk 1
	verified "D: folded headers, 1-byte chunks: both verify" 2 "$dual" "$duale"
	send D-multipart "$MSG/multipart" --chunk 1000
	verified "D: multipart with an attachment: both verify" 2 "$dual" "$duale"
	send D-8bit "$MSG/8bit"
	verified "D: 8-bit body: both verify" 2 "$dual" "$duale"
	send D-rcpt50 "$MSG/basic" "${RCPTS50[@]}"
	verified "D: 50 recipients: both verify" 2 "$dual" "$duale"
	send D-ext "$MSG/ext" --client-ip "$EXTERNAL" --from dave@example.com
	verified "D: external unauthenticated mail: not signed" 0
	send D-nokey "$MSG/nokey" --from carol@example.org
	verified "D: From: @example.org matches no SigningTable pattern: unsigned" 0
	# Every signing thread shares the keys decoded at load (keyreuse.c):
	# 8 connections at once, 12 messages each, every signature checked.
	"$PY" - "$SOCK" "$INTERNAL" "$MSG/basic" "$OUT" "$TOP_SRCDIR/tests" "${VKEYS[@]}" \
		>"$OUT/D-concurrent.log" 2>&1 <<'PYEOF'
import contextlib, io, os, sys, threading
sock, ip, src, out, tests = sys.argv[1:6]
keys = sys.argv[6:]
sys.path.insert(0, os.path.join(tests, "lib"))
sys.path.insert(0, os.path.join(tests, "dkim"))
import milterclient as mc
import verify
base = open(src, "rb").read()
bad = []
def worker(t):
    for i in range(12):
        m = base.replace(b"Subject: ", b"Subject: [%d.%d] " % (t, i), 1)
        res = mc.run_session(sock, mc.Message.from_bytes(m), mc.Envelope(
            client_ip=ip, sender="alice@example.com", rcpts=["bob@example.org"]))
        path = os.path.join(out, "D-conc.%d.%d" % (t, i))
        if res.delivered is None:
            bad.append("%d.%d: %s" % (t, i, res.reply))
            continue
        open(path, "wb").write(res.delivered)
ts = [threading.Thread(target=worker, args=(t,)) for t in range(8)]
for x in ts: x.start()
for x in ts: x.join()
n = 0
for name in sorted(os.listdir(out)):
    if not name.startswith("D-conc."):
        continue
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = verify.main(keys + ["--expect", "2", os.path.join(out, name)])
    n += 1
    if rc != 0:
        bad.append(name + ": " + buf.getvalue().replace("\n", " | "))
print("verified %d messages, %d problems" % (n, len(bad)))
for b in bad[:5]:
    print(b)
sys.exit(0 if n == 96 and not bad else 1)
PYEOF
	_rc=$?
	if [ "$_rc" -eq 0 ]; then
		t_pass "D: 8 connections x 12 messages at once: all 96 carry two signatures that verify"
	else
		t_fail "D: 8 connections x 12 messages at once: all verify" "$(head -n 8 "$OUT/D-concurrent.log")"
	fi
	if rg_only "D: a dual-signed message sent again keeps its two signatures, no more"; then
		send D-again "$OUT/D-basic"
		verified "D: a dual-signed message sent again keeps its two signatures, no more" 2 \
			"$dual" "$duale"
		grep -q "QIDDagain: not signed again: already carries a valid signature with d=example.com s=rsa8, d=example.com s=ed1" "$MLOG"
		t_ok $? "D: ... both keys named in the log (our Ed25519 signature verified too)"
	fi
fi
T_TODO=""

# ================= E: OnNoKey tempfail ============================================
if rg_only "E: OnNoKey tempfail" &&
    start_milter E Domain=example.com Selector=rsa1 KeyFile="$KEYS/rsa1.pem" OnNoKey=tempfail; then
	send E-nokey "$MSG/nokey" --from carol@example.org
	if [ "$MC_RC" -eq 0 ] && printf '%s\n' "$REPLY" | grep -Eq '^(eoh|eom): tempfail 451 4\.7\.5( |$)' &&
	    [ ! -f "$DELIVERED" ]; then
		t_pass "E: From: @example.org (no key), OnNoKey tempfail: $REPLY"
	else
		t_fail "E: no key with OnNoKey tempfail gets 451 4.7.5" "milterclient exit $MC_RC, reply: $REPLY" \
			"$(tail -n 5 "$MLOG")"
	fi
	send E-signed "$MSG/basic"
	verified "E: mail with a key is still signed" 1 "s=rsa1 .*result=pass"
	send E-ext "$MSG/nokey" --client-ip "$EXTERNAL" --from carol@example.org
	verified "E: external mail from a domain without a key is not tempfailed (inbound is never signed)" 0
	same_as_input "E: ... and delivered untouched" "$MSG/nokey"
fi

stop_milter
if [ "$MILTER" = repguard ]; then
	bad=$(grep -hEi 'panic|fatal|sanitizer|runtime error|signing failed' "$T_TMP"/repguard.*.log)
	t_is "$bad" "" "repguard logged no panic, fatal, sanitizer error or failed signing"
fi
echo "# milter under test: $MILTER; took $(($(date +%s) - started)) s"
t_done
