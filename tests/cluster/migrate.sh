#!/bin/sh
# oprovctl store migrate (issue 15 item 1): a SQLite install with devices,
# keys, a refresh family and revocations, dial plans, softkey templates,
# feature policies, model loads, vendor settings, a public client and mixed
# mode moved into a private PostgreSQL server (tests/cluster/pg.sh) loses
# nothing: the same records are listed from PostgreSQL, oprov.conf points
# there, and the SQLite store refuses writes afterwards.
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
ctl dialplan add emea --description "EMEA" --rule '0........:2' --rule '112:0' >/dev/null
ctl softkeys add desk --state on-hook=Redial,NewCall >/dev/null
ctl feature-policy add quiet --disable forward-all >/dev/null
ctl model set 8845 --load sip8845_65.14-3-1-0001-100 >/dev/null
ctl profile set Standard-OAuth --vendor pc-port=off >/dev/null
ctl device set SEP000000000003 --vendor web-access=off --dialplan emea --softkeys desk \
	--feature-policy quiet >/dev/null
ctl client add kiosk --public --scope config >/dev/null
ctl cluster mixed-mode enable >/dev/null
LISTS="device_list keys_list token_list node_list profile_list dialplan_list softkeys_list
feature-policy_list model_list client_list cluster_mixed-mode_status"
for f in $LISTS; do
	what=$(echo $f | tr _ ' ')
	ctl --json $what >"$work/before.$f" || { echo "FAIL: oprovctl $what"; exit 1; }
done
grep -q emea "$work/before.device_list" || { echo "FAIL: device list lacks the dial plan"; exit 1; }
ctl store migrate --from "sqlite:$D" --to "$URI" >"$work/migrate.out" 2>&1 ||
	{ cat "$work/migrate.out"; echo "FAIL: store migrate"; exit 1; }
grep -q "^store = $URI" "$D/oprov.conf" || { echo "FAIL: oprov.conf not switched"; exit 1; }
for f in $LISTS; do
	what=$(echo $f | tr _ ' ')
	ctl --json $what >"$work/after.$f"
	cmp -s "$work/before.$f" "$work/after.$f" ||
		{ diff "$work/before.$f" "$work/after.$f" | head; echo "FAIL: $what differs after the move"; exit 1; }
done
[ "$(ctl --json status | grep -o '"store": *"[a-z]*"' | grep -o '[a-z]*"$')" = 'postgresql"' ] ||
	{ echo "FAIL: status does not say postgresql"; exit 1; }
if "$CTL" -d "sqlite:$D" device add SEP000000000009 --model 8845 --profile Standard-OAuth >/dev/null 2>&1; then
	echo "FAIL: the SQLite store took a write after the move"; exit 1
fi
echo "ok - store migrate: devices (vendor settings, named files), keys, tokens/revocations, nodes, profiles, dial plans, softkey templates, feature policies, model loads, clients and mixed mode identical on PostgreSQL; oprov.conf switched; the SQLite store refuses writes"
cat "$work/migrate.out"
