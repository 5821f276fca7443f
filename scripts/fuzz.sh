#!/bin/sh
# Builds the libFuzzer harnesses with clang (_build/fuzz) and runs each one
# for SECONDS (default 30) on a scratch copy of its seed corpus, so the
# fuzzer never writes into the source tree.
#   scripts/fuzz.sh [SECONDS] [NAME...]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-30}
[ $# -gt 0 ] && shift
"$top/scripts/deps.sh"
cd "$top"
[ -x configure ] || ./autogen.sh >/dev/null
b="$top/_build/fuzz"
mkdir -p "$b"
cd "$b"
[ -f Makefile ] || "$top/configure" CC=clang --enable-fuzzing --enable-werror >/dev/null
make -j"$(nproc 2>/dev/null || echo 2)" -s >/dev/null
names=${*:-$(cd "$top/tests/fuzz/corpus" && ls)}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for n in $names; do
	[ -x "tests/fuzz/fuzz_$n" ] || { echo "no harness fuzz_$n" >&2; exit 1; }
	cp -r "$top/tests/fuzz/corpus/$n" "$scratch/$n"
	printf 'fuzz_%s: ' "$n"
	if ! "tests/fuzz/fuzz_$n" -max_total_time="$secs" -print_final_stats=1 \
	        -artifact_prefix="$scratch/" "$scratch/$n" >"$scratch/$n.log" 2>&1; then
		echo "FAILED"
		tail -n 40 "$scratch/$n.log"
		exit 1
	fi
	grep -E 'stat::number_of_executed_units' "$scratch/$n.log" | awk '{print $2 " runs, no findings"}'
done
