#!/bin/sh
# oprovctl store migrate (issue 15 item 1): a SQLite install with devices,
# keys, a refresh family and revocations moved into a private PostgreSQL
# server (tests/cluster/pg.sh) loses nothing: the same devices, keys and
# revocations are listed from PostgreSQL, oprov.conf points there, and the
# SQLite store refuses writes afterwards.
set -eu
top=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${top_builddir:-$(pwd)}
CTL=$build/cli/oprovctl
. "$top/tests/cluster/pg.sh"
work=$(mktemp -d /tmp/oprov-migrate-XXXXXX)
trap 'pg_stop; rm -rf "$work"' EXIT INT TERM
pg_start "$work"
URI=$(pg_createdb oprovmig) || { echo "FAIL: createdb"; exit 1; }
D=$work/d
ctl() { "$CTL" -d "$D" "$@"; }
ctl init --hostname pbx.example.test --key-type ec256 >/dev/null
ctl keys rotate --key-type ec256 >/dev/null
for i in 1 2 3; do
	ctl device add SEP00000000000$i --model 8845 --profile Standard-OAuth --line 100$i >/dev/null
done
ctl activation-code issue SEP000000000001 >/dev/null
ctl token revoke --device SEP000000000002 >/dev/null
ctl token revoke --user alice >/dev/null
for what in "device list" "keys list" "token list" "node list" "profile list"; do
	ctl --json $what >"$work/before.$(echo $what | tr ' ' _)"
done
ctl store migrate --from "sqlite:$D" --to "$URI" >"$work/migrate.out" 2>&1 ||
	{ cat "$work/migrate.out"; echo "FAIL: store migrate"; exit 1; }
grep -q "^store = $URI" "$D/oprov.conf" || { echo "FAIL: oprov.conf not switched"; exit 1; }
for what in "device list" "keys list" "token list" "node list" "profile list"; do
	f=$(echo $what | tr ' ' _)
	ctl --json $what >"$work/after.$f"
	cmp -s "$work/before.$f" "$work/after.$f" ||
		{ diff "$work/before.$f" "$work/after.$f" | head; echo "FAIL: $what differs after the move"; exit 1; }
done
[ "$(ctl --json status | grep -o '"store": *"[a-z]*"' | grep -o '[a-z]*"$')" = 'postgresql"' ] ||
	{ echo "FAIL: status does not say postgresql"; exit 1; }
if "$CTL" -d "sqlite:$D" device add SEP000000000009 --model 8845 --profile Standard-OAuth >/dev/null 2>&1; then
	echo "FAIL: the SQLite store took a write after the move"; exit 1
fi
echo "ok - store migrate: devices, keys, tokens/revocations, nodes and profiles identical on PostgreSQL; oprov.conf switched; the SQLite store refuses writes"
cat "$work/migrate.out"
