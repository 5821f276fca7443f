#!/bin/sh
# The configs and trust-list smoke tests on PostgreSQL: tests/smoke/apply.sh
# (Apply Config / reset through oprov-sipd, a binding's firmware and Path,
# model loads, vendor settings, dial plans over 6970 and TFTP, device edits)
# and tests/smoke/bootwalk.sh (ITL and CTL files, signed configs, the sast
# and ccm-tftp rotations) run unchanged against a private PostgreSQL server
# (tests/cluster/pg.sh), each on a database of its own named in
# DATADIR/oprov.conf.  Skipped (exit 77) with the reason when PostgreSQL
# cannot be started, unless OPROV_PG_REQUIRED=1 (CI).
set -eu
top=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}
top_srcdir=$top
export top_builddir top_srcdir
. "$top/tests/cluster/pg.sh"
work=$(mktemp -d /tmp/oprov-smoke-pg-XXXXXX)
cleanup() {
	pg_stop
	[ -n "${KEEP_TMP:-}" ] && echo "kept $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
pg_start "$work"
for t in apply bootwalk; do
	OPROV_TEST_STORE_URI=$(pg_createdb "smoke_$t") || { echo "FAIL: createdb"; exit 1; }
	export OPROV_TEST_STORE_URI
	echo "# tests/smoke/$t.sh on $OPROV_TEST_STORE_URI"
	rc=0
	sh "$top/tests/smoke/$t.sh" || rc=$?
	# 77 (a client tool the case needs is missing) skips the whole test;
	# it is never counted as a pass.
	[ $rc -eq 0 ] || { echo "FAIL: tests/smoke/$t.sh on PostgreSQL (exit $rc)"; exit $rc; }
done
