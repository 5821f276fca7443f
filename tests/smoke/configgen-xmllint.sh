#!/bin/sh
# Every golden config file under tests/data/configgen must be well-formed,
# UTF-8-declared XML according to an independent parser (xmllint, from
# libxml2-utils), and the device configs (one per model family: SEP*.cnf.xml,
# and one per soft-client type: CSF, BOT, TCT, TAB *.cnf.xml) and the files
# they name (dial plan, softkey template, feature policy) must validate
# against the schemas beside them (device.xsd, named.xsd), which hold the
# element order of the reference configs.  A schema that does not compile
# fails the test too.
set -eu
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
if ! command -v xmllint >/dev/null 2>&1; then
	echo "xmllint not found: install libxml2-utils (scripts/deps.sh)" >&2
	exit 1
fi
dir=$top_srcdir/tests/data/configgen
n=0
v=0
for f in "$dir"/*.xml; do
	[ -e "$f" ] || continue
	xmllint --noout --nonet "$f"
	# The files must also be UTF-8 declared, as phones expect.
	head -n 1 "$f" | grep -q 'encoding="UTF-8"' || { echo "$f: not declared UTF-8" >&2; exit 1; }
	n=$((n + 1))
	case ${f##*/} in
	SEP*.cnf.xml | CSF*.cnf.xml | BOT*.cnf.xml | TCT*.cnf.xml | TAB*.cnf.xml)
		schema=device.xsd ;;
	dialplan-*.xml | softkeys-*.xml | featurepolicy-*.xml)
		schema=named.xsd ;;
	*)
		continue ;;
	esac
	xmllint --noout --nonet --schema "$dir/$schema" "$f" 2>"${TMPDIR:-/tmp}/xmllint.$$" || {
		cat "${TMPDIR:-/tmp}/xmllint.$$" >&2
		rm -f "${TMPDIR:-/tmp}/xmllint.$$"
		echo "$f: does not validate against $schema" >&2
		exit 1
	}
	rm -f "${TMPDIR:-/tmp}/xmllint.$$"
	v=$((v + 1))
done
if [ "$n" -lt 13 ] || [ "$v" -lt 12 ]; then
	echo "expected at least 13 golden files and 12 validated, found $n and $v" >&2
	exit 1
fi
# One golden device config per model family and soft-client type, so that
# none of them goes unvalidated when a file is renamed.
for want in SEP0011223344A7 SEP001122334488 SEP001122334499 CSFALICE BOTALICE \
	TCTALICE TABALICE; do
	[ -e "$dir/$want.cnf.xml" ] || { echo "missing golden file $want.cnf.xml" >&2; exit 1; }
done
echo "$n golden files well-formed, $v validated against their schema"
