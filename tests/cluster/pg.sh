# tests/cluster/pg.sh - sourced by tests that need a PostgreSQL server: starts
# a private one (initdb in a temporary directory, as an unprivileged user,
# on a free loopback port) and stops it.  Nothing of the machine's own
# PostgreSQL is used or touched.
#
#   . tests/cluster/pg.sh
#   pg_start "$workdir"      # sets PG_URI (postgresql://...), PG_DATA, PG_BIN
#   pg_stop / pg_restart / pg_halt (stop and leave stopped)
#
# When no server can be started (no initdb, no unprivileged user) pg_start
# prints why and exits 77, the automake code for "skipped"; set
# OPROV_PG_REQUIRED=1 (CI does) to turn that into a failure.

pg_skip() {
	echo "SKIP: $*"
	if [ "${OPROV_PG_REQUIRED:-0}" = 1 ]; then
		echo "FAIL: OPROV_PG_REQUIRED=1 and PostgreSQL cannot be started"
		exit 1
	fi
	exit 77
}

pg_find_bin() {
	for d in "${PG_BINDIR:-}" $(pg_config --bindir 2>/dev/null) \
	         $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -rV); do
		[ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] &&
			{ echo "$d"; return 0; }
	done
	return 1
}

# Runs a command as the server's user.
pg_as() {
	if [ -n "$PG_RUNAS" ]; then
		runuser -u "$PG_RUNAS" -- "$@"
	else
		"$@"
	fi
}

pg_start() {
	PG_WORK=$1
	PG_BIN=$(pg_find_bin) || pg_skip "no PostgreSQL server programs (install the Debian package postgresql)"
	PG_RUNAS=""
	if [ "$(id -u)" -eq 0 ]; then
		# initdb refuses root; nobody exists on every Debian system.
		id nobody >/dev/null 2>&1 || pg_skip "running as root and no user 'nobody' to run PostgreSQL as"
		command -v runuser >/dev/null 2>&1 || pg_skip "running as root without runuser"
		PG_RUNAS=nobody
	fi
	PG_DATA=$PG_WORK/pgdata
	PG_SOCK=$PG_WORK/pgrun      # socket and log: the server user writes them
	mkdir -p "$PG_DATA" "$PG_SOCK"
	chmod 0755 "$PG_WORK"
	[ -n "$PG_RUNAS" ] && chown "$PG_RUNAS" "$PG_DATA" "$PG_SOCK"
	chmod 0700 "$PG_DATA"
	PG_USER=${PG_RUNAS:-$(id -un)}
	if ! pg_as "$PG_BIN/initdb" -D "$PG_DATA" -A trust -U "$PG_USER" \
	        --locale=C -E UTF8 >"$PG_WORK/initdb.log" 2>&1; then
		cat "$PG_WORK/initdb.log"
		pg_skip "initdb failed (log above)"
	fi
	# A test server: durability off, so the suite is quick; the tests
	# that kill things kill oprov, never this server.
	cat >>"$PG_DATA/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$PG_SOCK'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 300
log_min_messages = warning
CONF
	tries=0
	while :; do
		tries=$((tries + 1))
		PG_PORT=$(( 20000 + ($$ * 7 + tries * 131 + $(date +%N | sed 's/^0*//;s/^$/0/') % 997) % 40000 ))
		if pg_as "$PG_BIN/pg_ctl" -D "$PG_DATA" -o "-p $PG_PORT" -w -t 30 \
		        -l "$PG_SOCK/pg.log" start >/dev/null 2>&1; then
			break
		fi
		[ $tries -ge 8 ] && { tail -20 "$PG_SOCK/pg.log"; pg_skip "PostgreSQL did not start (log above)"; }
	done
	# Restarts (pg_restart, tests that stop the server) keep the port.
	echo "port = $PG_PORT" >>"$PG_DATA/postgresql.conf"
	PG_URI="postgresql://$PG_USER@127.0.0.1:$PG_PORT/postgres"
	# The command that stops and starts this server (append stop or start).
	PG_CTL="${PG_RUNAS:+runuser -u $PG_RUNAS -- }$PG_BIN/pg_ctl -D $PG_DATA -l $PG_SOCK/pg.log"
	export PG_URI PG_DATA PG_BIN PG_PORT PG_USER PG_CTL
}

pg_psql() {
	"$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" "$@"
}

# A fresh database for one test; prints its URI.
pg_createdb() {
	pg_psql -d postgres -c "CREATE DATABASE $1" >/dev/null &&
		echo "postgresql://$PG_USER@127.0.0.1:$PG_PORT/$1"
}

pg_halt() {
	pg_as "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null 2>&1
}

pg_restart() {
	pg_as "$PG_BIN/pg_ctl" -D "$PG_DATA" -w -t 30 -l "$PG_SOCK/pg.log" start >/dev/null
}

pg_stop() {
	[ -n "${PG_DATA:-}" ] && [ -f "$PG_DATA/postmaster.pid" ] &&
		pg_as "$PG_BIN/pg_ctl" -D "$PG_DATA" -m immediate -w stop >/dev/null 2>&1
	return 0
}
