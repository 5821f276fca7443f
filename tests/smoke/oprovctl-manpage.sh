#!/bin/sh
# Every example of docs/oprovctl.8 (the .EX/.EE blocks), pasted in order into
# a shell, must work: the manual's examples are a script, run here in a
# scratch directory instead of /tmp.
set -eu
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
for tool in openssl xmllint; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "$tool not found: install it (scripts/deps.sh)" >&2
		exit 1
	fi
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
mkdir "$tmp/bin"
ln -s "$(cd "$top_builddir/cli" && pwd)/oprovctl" "$tmp/bin/oprovctl"

# troff to shell: keep the example blocks, undo the escapes they use.
awk '/^\.EX/ { on = 1; next } /^\.EE/ { on = 0; next } on' "$top_srcdir/docs/oprovctl.8" |
	sed -e 's/\\-/-/g' -e 's/\\(en/-/g' -e "s|/tmp/|$tmp/|g" >"$tmp/examples.sh"
n=$(wc -l <"$tmp/examples.sh")
[ "$n" -ge 25 ] || { echo "only $n example lines in docs/oprovctl.8" >&2; exit 1; }
grep -q '\\' "$tmp/examples.sh" && { echo "unhandled troff escape in an example:" >&2; grep '\\' "$tmp/examples.sh" >&2; exit 1; }
# --help and the manual tell the same story: every command has a section,
# every flag a command's --help shows is in the manual.
OPROVCTL="$tmp/bin/oprovctl"
man="$top_srcdir/docs/oprovctl.8"
cmds=$("$OPROVCTL" --help | awk '/^commands:/ { on = 1; next } on && NF { print $1 } !NF && on { on = 0 }')
[ "$(echo "$cmds" | wc -l)" -ge 16 ] || { echo "--help lists too few commands" >&2; exit 1; }
for c in $cmds; do
	grep -q "^\.SS $c\b" "$man" || { echo "docs/oprovctl.8: no section for $c" >&2; exit 1; }
	for f in $("$OPROVCTL" "$c" --help | grep -o -- '--[a-z0-9+-]*' | sort -u); do
		troff=$(echo "$f" | sed 's/^--/\\-\\-/')
		grep -qF -- "$troff" "$man" || { echo "docs/oprovctl.8: $c $f missing" >&2; exit 1; }
	done
done

unset OPROV_DATADIR
PATH="$tmp/bin:$PATH" sh -ex "$tmp/examples.sh" >"$tmp/log" 2>&1 || {
	echo "an example of docs/oprovctl.8 failed:" >&2
	tail -n 20 "$tmp/log" >&2
	exit 1
}
echo "$n example lines of docs/oprovctl.8 ran"
