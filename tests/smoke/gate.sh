#!/bin/sh
# The gate on 6971: an anonymous or invalid request is answered from the
# token check alone.  1,000 anonymous requests for an existing device's
# config and 1,000 for a file that does not exist must reach the renderer
# zero times (oprov_httpsd_config_lookups_total and renders_total in
# /metrics) and get the same 401;
# their times are measured side by side and printed (not asserted: timing
# does not belong in a pass/fail test on a shared machine).  A valid token
# reaches the renderer, once per config generation.
set -u

: "${top_builddir:=$(pwd)}"
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
CTL=$top_builddir/cli/oprovctl
HTTPSD=$top_builddir/httpsd/oprov-httpsd

for t in curl python3; do
	command -v "$t" >/dev/null 2>&1 || { echo "SKIP: $t not installed"; exit 77; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/oprov-gate.XXXXXX")
pid=""
cleanup() {
	[ -n "$pid" ] && { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; }
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

n=0
fail() {
	echo "FAIL: $*" >&2
	tail -n 20 "$tmp/log" >&2 2>/dev/null
	exit 1
}
ok() {
	n=$((n + 1))
	echo "ok $n - $*"
}

set -- $(python3 "$top_srcdir/tests/freeport.py" 4)
CP=$1 HP=$2 OP=$3 MP=$4
D=$tmp/d
ctl() { "$CTL" -d "$D" "$@"; }
ctl init --hostname localhost >"$tmp/init.out" 2>&1 || fail "oprovctl init"
ctl device add SEP001122334455 --model 8845 --profile Standard-OAuth \
	--line 1001 >/dev/null || fail "device add"
TOKEN=$(ctl token mint --device SEP001122334455 2>/dev/null) || fail "token mint"

"$HTTPSD" -d "$D" -f --config-listen "127.0.0.1:$CP" --http-listen "127.0.0.1:$HP" \
	--oauth-listen "127.0.0.1:$OP" --metrics-listen "127.0.0.1:$MP" 2>"$tmp/log" &
pid=$!
i=0
until curl -s -o /dev/null "http://127.0.0.1:$HP/healthz"; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "daemon did not come up"; sleep 0.1
done

metric() { # name
	curl -s "http://127.0.0.1:$MP/metrics" |
		sed -n "s/^oprov_httpsd_$1 \([0-9]*\)\$/\1/p"
}
renders() { echo "$(metric config_lookups_total)/$(metric renders_total)"; }
r0=$(renders)
[ "$r0" = "0/0" ] || fail "config lookups/renders before any request: $r0"

python3 - "$CP" "$TOKEN" <<'EOF' >"$tmp/timing" || fail "anonymous requests"
import http.client, ssl, sys, time
port, tok = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx)
def run(path, headers, want, n=1000):
    t = time.perf_counter()
    for _ in range(n):
        c.request("GET", path, headers=headers)
        r = c.getresponse()
        r.read()
        if r.status != want:
            sys.exit("%s: %d, not %d" % (path, r.status, want))
    return time.perf_counter() - t
# Warm the connection and caches, then alternate to share the noise.
run("/nothere.txt", {}, 401, 100)
dev = miss = bad = 0.0
for _ in range(5):
    dev += run("/SEP001122334455.cnf.xml", {}, 401, 200)
    miss += run("/nothere.txt", {}, 401, 200)
    bad += run("/SEP001122334455.cnf.xml", {"Authorization": "Bearer " + tok[:-4] + "AAAA"}, 401, 200)
print("1,000 anonymous requests for an existing device's config: %.3f s" % dev)
print("1,000 anonymous requests for a missing file:              %.3f s" % miss)
print("ratio (device / missing): %.2f" % (dev / miss))
print("1,000 requests for the config with a forged signature:    %.3f s" % bad)
EOF
sed 's/^/# /' "$tmp/timing"
r1=$(renders)
[ "$r1" = "$r0" ] || fail "anonymous or invalid requests reached the renderer: $r0 -> $r1"
ok "3,100 anonymous or forged requests: 401 each, renderer reached 0 times"

for k in 1 2 3; do
	code=$(curl -sk -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
		"https://127.0.0.1:$CP/SEP001122334455.cnf.xml")
	[ "$code" = 200 ] || fail "with the token: $code"
done
r2=$(renders)
[ "$r2" = "3/1" ] || fail "3 allowed requests: config lookups/renders $r2, not 3/1"
ok "3 requests with the device's token: 200; 3 config lookups, 1 render (then cached)"
