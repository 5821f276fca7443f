#!/bin/sh
# The whole test suite: installs the dependencies, builds in _build/check (or
# _build/sanitize with --sanitizers) with warnings as errors, and runs
# `make check` (unit tests, smoke tests and tests/interop/ against real
# clients).
#   scripts/check.sh [--sanitizers] [--distcheck]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
san=no
dist=no
for a in "$@"; do
	case "$a" in
	--sanitizers) san=yes ;;
	--distcheck) dist=yes ;;
	*) echo "usage: $0 [--sanitizers] [--distcheck]" >&2; exit 2 ;;
	esac
done

"$top/scripts/deps.sh"
cd "$top"
[ -x configure ] || ./autogen.sh >/dev/null
jobs=$(nproc 2>/dev/null || echo 2)
if [ "$san" = yes ]; then
	b="$top/_build/sanitize"
	flags="--enable-werror --enable-sanitizers"
	# Leak detection is on; a report fails the test that caused it.
	export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
	export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
else
	b="$top/_build/check"
	flags="--enable-werror"
fi
mkdir -p "$b"
cd "$b"
[ -f Makefile ] || "$top/configure" $flags >/dev/null
# The end of each failed test's log, so that a CI log alone shows why.
failed_logs() { # directory
	for f in $(find "$1" -name '*.log' ! -name test-suite.log ! -name config.log); do
		grep -q '^FAIL\|^ERROR' "${f%.log}.trs" 2>/dev/null && { echo "==== $f"; tail -n 40 "$f"; }
	done
}
make -j"$jobs" -s
if ! make -j"$jobs" -s check; then
	failed_logs .
	exit 1
fi
# One plain closing line for whoever reads the log.
awk '/^# (PASS|XFAIL):/ {p += $3} /^# (FAIL|XPASS|ERROR):/ {f += $3} /^# SKIP:/ {k += $3}
     END {printf "oprov: %d passed, %d failed, %d skipped\n", p, f, k}' test-suite.log
if [ "$dist" = yes ]; then
	# A failed distcheck leaves its tree (oprov-VERSION/_build/sub) behind.
	if ! make -j"$jobs" -s distcheck DISTCHECK_CONFIGURE_FLAGS="--enable-werror"; then
		for d in oprov-*/_build; do [ -d "$d" ] && failed_logs "$d"; done
		exit 1
	fi
fi
