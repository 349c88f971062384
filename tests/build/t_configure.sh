#!/bin/bash
# t_configure.sh - configure finds its libraries, or names the package to install.
#
# Runs the real configure script in scratch build directories:
#   - with pkg-config's .pc files hidden, the header/library fallback still
#     finds every library;
#   - with one header made "missing" (an autoconf cache variable), configure
#     fails and its message names the Debian package that provides it;
#   - hiredis is optional: found without its .pc file too; missing, or left
#     out with --without-hiredis, configure goes on, says Cluster will not
#     be available (naming libhiredis-dev when missing), and the build
#     takes filter/cluster/redis_none.c instead of redis.c.
. "$TOP_SRCDIR/tests/lib/common.sh"

if [ -f "$TOP_SRCDIR/config.status" ]; then
	t_skip_all "source tree is configured in place; VPATH configure impossible"
fi
t_tmpdir

run_configure() {	# run_configure DIR VAR=VALUE...
	_dir=$1; shift
	mkdir -p "$_dir"
	(cd "$_dir" && env "$@" "$TOP_SRCDIR/configure" >configure.out 2>&1)
}

# which Redis link a configured build compiles (the automake conditional)
redis_link() {
	sed -n 's/^am__append_[0-9]* = \(filter\/cluster\/redis[a-z_]*\.c\)$/\1/p' "$1/Makefile"
}

run_configure "$T_TMP/nopc" PKG_CONFIG_LIBDIR=/nonexistent PKG_CONFIG_PATH=
t_ok $? "without .pc files configure falls back to header and library checks"
t_like "$(grep -E '^(checking for lmdb.h|checking for mdb_env_create)' "$T_TMP/nopc/configure.out")" \
	"yes" "the fallback found lmdb.h and liblmdb"
t_like "$(grep -E '^checking for redisConnectWithTimeout' "$T_TMP/nopc/configure.out") $(redis_link "$T_TMP/nopc")" \
	"yes filter/cluster/redis\.c$" "the fallback found hiredis, and the build takes redis.c"

# hiredis missing: configure goes on, and says what Cluster needs
run_configure "$T_TMP/nohiredis" PKG_CONFIG_LIBDIR=/nonexistent \
    PKG_CONFIG_PATH= ac_cv_header_hiredis_hiredis_h=no
t_ok $? "configure succeeds without hiredis (it is optional)"
t_like "$(cat "$T_TMP/nohiredis/configure.out")" \
	"hiredis not found: Cluster .* will not be available; install the Debian package libhiredis-dev" \
	"without hiredis: a notice names libhiredis-dev"
t_like "$(tail -n 1 "$T_TMP/nohiredis/configure.out")" "Cluster: NOT available .*libhiredis-dev" \
	"without hiredis: the last line says Cluster is not available"
t_is "$(redis_link "$T_TMP/nohiredis")" filter/cluster/redis_none.c \
	"without hiredis: the build takes redis_none.c"
mkdir -p "$T_TMP/without"
(cd "$T_TMP/without" && "$TOP_SRCDIR/configure" --without-hiredis >configure.out 2>&1)
t_ok $? "configure --without-hiredis succeeds"
t_like "$(cat "$T_TMP/without/configure.out")" \
	"built --without-hiredis: Cluster .* will not be available" \
	"--without-hiredis: a notice says Cluster will not be available"
t_is "$(redis_link "$T_TMP/without")" filter/cluster/redis_none.c \
	"--without-hiredis: the build takes redis_none.c"

check_missing() {	# check_missing HEADER CACHEVAR PACKAGE
	run_configure "$T_TMP/miss-$3" PKG_CONFIG_LIBDIR=/nonexistent \
	    PKG_CONFIG_PATH= "$2=no"
	_rc=$?
	t_is "$([ $_rc -ne 0 ] && echo failed || echo succeeded)" failed \
	    "configure fails when $1 is missing"
	t_like "$(tail -n 3 "$T_TMP/miss-$3/configure.out")" \
	    "error: $1 not found: install the Debian package $3" \
	    "the error for a missing $1 names the package $3"
}

check_missing lmdb.h ac_cv_header_lmdb_h liblmdb-dev
check_missing libmilter/mfapi.h ac_cv_header_libmilter_mfapi_h libmilter-dev
check_missing libpsl.h ac_cv_header_libpsl_h libpsl-dev
check_missing opendkim/dkim.h ac_cv_header_opendkim_dkim_h libopendkim-dev
check_missing openssl/evp.h ac_cv_header_openssl_evp_h libssl-dev

t_done
