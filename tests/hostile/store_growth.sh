#!/bin/sh
# Issue 11 item 14: the store's size after 1,000,000 refresh rotations is
# bounded (tests/hostile/store_growth.c prints the figures).  `make check`
# runs 40,000 (16 simulated days of 100 phones); OPROV_GROWTH_ROTATIONS=1000000
# runs the full count (about an hour on a loaded 2-core machine: each
# rotation is a committed transaction).  The store is made
# by `oprovctl init` in a RAM-backed directory when one is writable (each
# commit fsyncs; on tmpfs that costs nothing).
set -eu
: "${top_builddir:=$(pwd)}"
CTL=$top_builddir/cli/oprovctl
base=/dev/shm
[ -d "$base" ] && [ -w "$base" ] || base=${TMPDIR:-/tmp}
tmp=$(mktemp -d "$base/oprov-growth.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
"$CTL" -d "$tmp/d" init --hostname localhost --key-type ec256 >/dev/null
"$CTL" -d "$tmp/d" device add SEP0000000000F1 --model 8845 \
	--profile Standard-OAuth --line 4000 >/dev/null
start=$(date +%s)
"$top_builddir/tests/hostile/store_growth" "$tmp/d" SEP0000000000F1 \
	"${OPROV_GROWTH_ROTATIONS:-40000}"
echo "# $(($(date +%s) - start)) s"
