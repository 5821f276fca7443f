#!/bin/sh
# The demo, step 2 (scripts/demo.sh builds, then runs this with its build
# directory): makes a throw-away data directory ./demo with oprovctl, starts
# the daemons on unprivileged ports in the background and prints what to try.
#   scripts/demo-run.sh BUILDDIR
# Re-running recreates ./demo (stopping the daemons it started before).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
b=$(cd "${1:?usage: $0 BUILDDIR}" && pwd)
cd "$top"
demo=demo
D=$top/$demo
CTL=$b/cli/oprovctl
DEV=SEP001122334455

[ -x "$CTL" ] || { echo "demo: $CTL is not built" >&2; exit 1; }

# A port: the preferred one when free, else one the kernel picks.  TCP
# unless the second argument says udp (a UDP port is checked over UDP).
free_port() {
	python3 - "$1" "${2:-tcp}" <<'EOF'
import socket, sys
p = int(sys.argv[1])
kind = socket.SOCK_DGRAM if sys.argv[2] == "udp" else socket.SOCK_STREAM
for cand in (p, 0):
    s = socket.socket(socket.AF_INET, kind)
    try:
        s.bind(("127.0.0.1", cand))
        print(s.getsockname()[1])
        break
    except OSError:
        continue
    finally:
        s.close()
EOF
}

# Stop what a previous run left, then start afresh.
if [ -d "$D/run" ]; then
	for f in "$D"/run/*.pid; do
		[ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
	done
	sleep 1
fi
rm -rf "$D"

CONFIG_PORT=$(free_port 16971)
HTTP_PORT=$(free_port 16970)
OAUTH_PORT=$(free_port 18443)
METRICS_PORT=$(free_port 19970)
[ "$HTTP_PORT" != "$CONFIG_PORT" ] || HTTP_PORT=$(free_port 0)
ctl() { "$CTL" -d "$D" "$@"; }

ctl init --hostname localhost --issuer "https://localhost:$OAUTH_PORT" >"$D.init.log" 2>&1 ||
	{ cat "$D.init.log" >&2; exit 1; }
mv "$D.init.log" "$D/init.log"
ctl param set oauth-refresh-login-flow on >/dev/null
ctl sipoauth-mode enable >/dev/null
ctl profile add Demo-OAuth --mode encrypted --transport tls --oauth \
	--description "demo: SIP OAuth phones" >/dev/null
ctl device add "$DEV" --model 8845 --profile Demo-OAuth --owner alice \
	--line 1001:Alice >/dev/null
CODE=$(ctl activation-code issue "$DEV" 2>/dev/null)
SECRET=$(ctl client add demo-admin 2>/dev/null)
mkdir -p "$D/files"
printf '<ringlist><ring><displayName>Classic</displayName></ring></ringlist>\n' \
	>"$D/files/RingList.xml"

# Each daemon: "name binary args...".  A daemon whose binary is not built
# (yet) is skipped, so adding oprov-tftpd or oprov-sipd is one line each.
started=""
start() {
	name=$1
	bin=$2
	shift 2
	if [ ! -x "$bin" ]; then
		return 0
	fi
	"$bin" -d "$D" -f "$@" >>"$D/$name.log" 2>&1 &
	started="$started $name"
}
start oprov-httpsd "$b/httpsd/oprov-httpsd" --config-listen "$CONFIG_PORT" \
	--http-listen "$HTTP_PORT" --oauth-listen "$OAUTH_PORT" \
	--metrics-listen "127.0.0.1:$METRICS_PORT"
TFTP_PORT=$(free_port 16969 udp)
SIP_PORT=$(free_port 15090)
start oprov-tftpd "$b/tftp/oprov-tftpd" --listen "$TFTP_PORT"
start oprov-sipd "$b/sip/oprov-sipd" --tls-listen "$SIP_PORT" \
	--mtls-listen "$(free_port 15091)"

i=0
until curl -s -o /dev/null "http://127.0.0.1:$HTTP_PORT/healthz"; do
	i=$((i + 1))
	if [ $i -ge 100 ]; then
		echo "demo: oprov-httpsd did not start; see $demo/oprov-httpsd.log" >&2
		tail -n 20 "$D/oprov-httpsd.log" >&2
		exit 1
	fi
	sleep 0.1
done
# The CA phones trust (Phone Edge Trust), as 6970 publishes it.
curl -s "http://127.0.0.1:$HTTP_PORT/caconfig.json" |
	python3 -c 'import json,sys; print("".join(c["pem"] for c in json.load(sys.stdin)["certificates"]), end="")' \
	>"$D/ca.pem"

cat <<EOF

oprov demo is running:$started (data in ./$demo, logs in ./$demo/*.log)
  6971 -> https://localhost:$CONFIG_PORT   token-gated configs
  6970 -> http://localhost:$HTTP_PORT    public files
  8443 -> https://localhost:$OAUTH_PORT   OAuth authorization server
Device $DEV (owner alice, profile Demo-OAuth), activation code $CODE.
Copy and paste, from $(pwd):

# 1. No token, no config (401 with a Bearer challenge):
curl -si --cacert $demo/ca.pem https://localhost:$CONFIG_PORT/$DEV.cnf.xml | head -n 5

# 2. Onboard the phone with its activation code:
curl -s --cacert $demo/ca.pem https://localhost:$OAUTH_PORT/oauth/token \\
  -d grant_type=urn:oprov:params:oauth:grant-type:activation-code \\
  -d activation_code=$CODE -d device=$DEV | tee $demo/token.json
AT=\$(python3 -c 'import json; print(json.load(open("$demo/token.json"))["access_token"])')
RT=\$(python3 -c 'import json; print(json.load(open("$demo/token.json"))["refresh_token"])')

# 3. Fetch the config with the token (the .sgn name gives the same file):
curl -s --cacert $demo/ca.pem -H "Authorization: Bearer \$AT" https://localhost:$CONFIG_PORT/$DEV.cnf.xml

# 4. The same config over plain HTTP is refused and points to HTTPS:
curl -s http://localhost:$HTTP_PORT/$DEV.cnf.xml
EOF
case "$started" in *oprov-tftpd*) cat <<EOF

# 4b. TFTP serves public files, never an OAuth device's config (error 2):
tftp localhost $TFTP_PORT -m binary -c get XMLDefault.cnf.xml /tmp/XMLDefault.cnf.xml
tftp localhost $TFTP_PORT -m binary -c get $DEV.cnf.xml /tmp/$DEV.cnf.xml
EOF
esac
case "$started" in *oprov-sipd*) cat <<EOF

# 4c. SIP registration on the OAuth port: 407 without a token, 200 with it:
sipreg() { printf 'REGISTER sip:localhost SIP/2.0\r\nVia: SIP/2.0/TLS 127.0.0.1:5061;branch=z9hG4bKdemo%s\r\nMax-Forwards: 70\r\nFrom: <sip:1001@localhost>;tag=demo\r\nTo: <sip:1001@localhost>\r\nCall-ID: demo-call\r\nCSeq: %s REGISTER\r\nContact: <sip:1001@127.0.0.1:5061;transport=tls>;+sip.instance="<urn:uuid:00000000-0000-0000-0000-${DEV#SEP}>"\r\n%bContent-Length: 0\r\n\r\n' "\$1" "\$1" "\$2" | timeout 3 openssl s_client -quiet -CAfile $demo/ca.pem -connect localhost:$SIP_PORT 2>/dev/null | head -n 1; }
sipreg 1 ''
# (a binding lives as long as its TLS connection: list it while connected)
sipreg 2 "Authorization: Bearer \$AT\r\n" & sleep 2; $CTL -d $demo registrations; wait
EOF
esac
cat <<EOF

# 5. Refresh (the refresh token rotates; using the old one again revokes the grant):
curl -s --cacert $demo/ca.pem https://localhost:$OAUTH_PORT/oauth/token \\
  -d grant_type=refresh_token --data-urlencode refresh_token=\$RT | tee $demo/token.json
AT=\$(python3 -c 'import json; print(json.load(open("$demo/token.json"))["access_token"])')
RT=\$(python3 -c 'import json; print(json.load(open("$demo/token.json"))["refresh_token"])')

# 6. Revoke the grant (client demo-admin); the access token stops working:
curl -s --cacert $demo/ca.pem -u demo-admin:$SECRET https://localhost:$OAUTH_PORT/oauth/revoke \\
  --data-urlencode token=\$RT
curl -si --cacert $demo/ca.pem -H "Authorization: Bearer \$AT" https://localhost:$CONFIG_PORT/$DEV.cnf.xml | head -n 5

# More: metadata, keys, introspection, metrics, the admin tool:
curl -s --cacert $demo/ca.pem https://localhost:$OAUTH_PORT/.well-known/oauth-authorization-server
curl -s --cacert $demo/ca.pem https://localhost:$OAUTH_PORT/oauth/jwks.json
curl -s --cacert $demo/ca.pem -u demo-admin:$SECRET https://localhost:$OAUTH_PORT/oauth/introspect --data-urlencode token=\$AT
curl -s http://127.0.0.1:$METRICS_PORT/metrics
$CTL -d $demo device config $DEV
$CTL -d $demo activation-code issue $DEV

# Stop the daemons:
kill \$(cat $demo/run/*.pid)
EOF
