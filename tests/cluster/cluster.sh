#!/bin/sh
# The cluster test (tests/cluster/cluster_nodes.py): three oprov nodes on one
# PostgreSQL database that this script starts privately (tests/cluster/pg.sh:
# initdb in a temporary directory, an unprivileged user, a free port).
# Skipped (exit 77) with the reason when PostgreSQL or python3 is missing,
# unless OPROV_PG_REQUIRED=1 (CI), which makes that a failure.
set -eu
top=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$(pwd)}
export top_builddir
. "$top/tests/cluster/pg.sh"
command -v python3 >/dev/null 2>&1 || pg_skip "python3 not installed"
work=$(mktemp -d /tmp/oprov-cluster-XXXXXX)
cleanup() {
	pg_stop
	[ -n "${KEEP_TMP:-}" ] && echo "kept $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
pg_start "$work"
OPROV_CLUSTER_URI=$(pg_createdb oprov) || { echo "FAIL: createdb"; exit 1; }
OPROV_PG_CTL=$PG_CTL
export OPROV_CLUSTER_URI OPROV_PG_CTL
mkdir -p "$work/nodes"
python3 "$top/tests/cluster/cluster_nodes.py" "$work/nodes"
