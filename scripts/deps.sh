#!/bin/sh
# Installs what building and testing oprov needs on Debian 12, skipping what is
# already there.  Uses sudo when not run as root.
set -eu

PKGS="build-essential autoconf automake pkg-config
libssl-dev libmicrohttpd-dev libgnutls28-dev libxml2-dev libjansson-dev libsqlite3-dev libpq-dev libcriterion-dev
openssl libxml2-utils sqlite3 postgresql curl clang
tftp-hpa atftp sip-tester stunnel4 socat procps iproute2
sslscan python3 python3-authlib python3-jwt python3-jwcrypto python3-requests
python3-cryptography kamailio kamailio-tls-modules"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "oprov: installing:$missing"
# Installing postgresql and kamailio would start their system services (5432,
# 5060); the tests start private instances of their own, so a policy-rc.d
# that denies service starts is in place for this install only (unless the
# machine already has one).
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\n# oprov scripts/deps.sh: no service starts during its install\nexit 101\n' |
		$SUDO tee /usr/sbin/policy-rc.d >/dev/null
	$SUDO chmod 755 /usr/sbin/policy-rc.d
	trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
