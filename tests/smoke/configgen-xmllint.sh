#!/bin/sh
# Every golden config file under tests/data/configgen must be well-formed XML
# according to an independent parser (xmllint, from libxml2-utils).
set -eu
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
if ! command -v xmllint >/dev/null 2>&1; then
	echo "xmllint not found: install libxml2-utils (scripts/deps.sh)" >&2
	exit 1
fi
n=0
for f in "$top_srcdir"/tests/data/configgen/*.xml; do
	[ -e "$f" ] || continue
	xmllint --noout --nonet "$f"
	# The files must also be UTF-8 declared, as phones expect.
	head -n 1 "$f" | grep -q 'encoding="UTF-8"' || { echo "$f: not declared UTF-8" >&2; exit 1; }
	n=$((n + 1))
done
if [ "$n" -lt 3 ]; then
	echo "expected at least 3 golden files, found $n" >&2
	exit 1
fi
echo "$n golden files well-formed"
