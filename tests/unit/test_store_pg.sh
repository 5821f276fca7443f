#!/bin/sh
# The whole store test suite (tests/unit/test_store) against the PostgreSQL
# backend: a private server is started (tests/cluster/pg.sh) and every test
# gets its own schema in it (OPROV_TEST_PG, read by test_store.c).
set -eu
top=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${top_builddir:-$(pwd)}
. "$top/tests/cluster/pg.sh"
work=$(mktemp -d /tmp/oprov-store-pg-XXXXXX)
trap 'pg_stop; rm -rf "$work"' EXIT INT TERM
pg_start "$work"
OPROV_TEST_PG=$PG_URI "$build/tests/unit/test_store" "$@"
