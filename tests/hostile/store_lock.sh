#!/bin/sh
# Issue 11 item 7 (tests/hostile/store_lock_client.py): a held SQLite write lock
# does not freeze oprov-httpsd.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
command -v python3 >/dev/null 2>&1 || { echo "SKIP: python3 not installed"; exit 77; }
exec python3 "$top_srcdir/tests/hostile/store_lock_client.py"
