#!/bin/sh
# Issue 11 item 14 (tests/hostile/store_purge_client.py): expired rows are purged
# by the daemons on their own.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
command -v python3 >/dev/null 2>&1 || { echo "SKIP: python3 not installed"; exit 77; }
exec python3 "$top_srcdir/tests/hostile/store_purge_client.py"
