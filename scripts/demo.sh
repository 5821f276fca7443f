#!/bin/sh
# Quick start, step 1: installs the build dependencies, builds oprov in
# _build/demo and runs the demo on a throw-away data directory (./demo) with
# unprivileged ports, printing what to try.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/deps.sh"
cd "$top"
[ -x configure ] || ./autogen.sh >/dev/null
b="$top/_build/demo"
mkdir -p "$b"
cd "$b"
[ -f Makefile ] || "$top/configure" >/dev/null
make -j"$(nproc 2>/dev/null || echo 2)" -s
echo
echo "oprov built in $b:"
for f in cli/oprovctl httpsd/oprov-httpsd sip/oprov-sipd tftp/oprov-tftpd \
         common/libcommon.a trust/libtrust.a store/libstore.a configgen/libconfiggen.a; do
	[ -e "$f" ] && echo "  $f"
done
if [ -x "$top/scripts/demo-run.sh" ]; then
	exec "$top/scripts/demo-run.sh" "$b"
fi
