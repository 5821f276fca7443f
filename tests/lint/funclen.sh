#!/bin/sh
# Style: no function over 80 lines outside tests unless the comment above it
# says it is a flat switch or table (tests/lint/funclen_check.py).
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
command -v python3 >/dev/null 2>&1 || { echo "SKIP: python3 not installed"; exit 77; }
exec python3 "$top_srcdir/tests/lint/funclen_check.py" "$top_srcdir"
