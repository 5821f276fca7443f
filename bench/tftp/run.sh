#!/bin/sh
# bench/tftp/run.sh [BUILDDIR] - oprov-tftpd side by side with in.tftpd
# (tftp-hpa) and atftpd, all on 127.0.0.1, all driven by the same client
# (bench/tftp/tftpload):
#   (a) one 20 MB file: blksize 1428; windowsize 16; blksize 1428 + windowsize 16
#   (b) boot storm: 1,000 clients each fetching a 6 KB file, 100 at a time
# Each case runs REPS times (default 3), the servers taking turns; the
# median time is reported, with the ratio peer time / oprov time (> 1: oprov
# is faster).
#
# Peers: atftpd from the Debian package atftpd; in.tftpd from tftpd-hpa.  The
# two packages conflict (both ship /usr/sbin/in.tftpd), so when the installed
# in.tftpd is not tftp-hpa's the script unpacks tftpd-hpa's .deb under
# BUILDDIR/peers with `apt-get download` + `dpkg-deb -x` (nothing is
# installed system-wide, no service is started).  Set IN_TFTPD / ATFTPD to
# use other binaries.  Not part of `make check`.
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
B=$(cd "${1:-$top/_build/dev}" && pwd)
LOAD="$B/bench/tftp/tftpload"
TFTPD="$B/tftp/oprov-tftpd"
REPS=${REPS:-3}

[ -x "$LOAD" ] && [ -x "$TFTPD" ] || { echo "build first: make -C $B tftp/oprov-tftpd bench/tftp/tftpload" >&2; exit 1; }

find_in_tftpd() {
	if [ -n "${IN_TFTPD:-}" ]; then echo "$IN_TFTPD"; return; fi
	if command -v in.tftpd >/dev/null 2>&1 && in.tftpd -V 2>&1 | grep -q tftp-hpa; then
		command -v in.tftpd; return
	fi
	p="$B/peers/root/usr/sbin/in.tftpd"
	if [ ! -x "$p" ]; then
		mkdir -p "$B/peers"
		(cd "$B/peers" && apt-get download tftpd-hpa >/dev/null 2>&1 &&
			dpkg-deb -x tftpd-hpa_*.deb root) || true
	fi
	[ -x "$p" ] && echo "$p"
}
IN_TFTPD=$(find_in_tftpd || true)
ATFTPD=${ATFTPD:-$(command -v atftpd || true)}

W=$(mktemp -d /tmp/oprov-tftp-bench.XXXXXX)
chmod 755 "$W"
mkdir -p "$W/data/files"
F="$W/data/files"
chmod 755 "$W/data" "$F"
head -c 20000000 /dev/urandom >"$F/f20m.bin"
head -c 6144 /dev/urandom >"$F/f6k.bin"
chmod 644 "$F"/*
SPIDS=""
cleanup() {
	for p in $SPIDS; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$W"
}
trap cleanup EXIT INT TERM

free_port() {
	while :; do
		p=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000 ))
		ss -Hlun "sport = :$p" 2>/dev/null | grep -q . || { echo "$p"; return; }
	done
}

# Starts server $1 on a free port; records it in PORT_<name>.
start_server() {
	port=$(free_port)
	case $1 in
	oprov)
		"$TFTPD" -d "$W/data" -f --listen "127.0.0.1:$port" --rate 0 \
			--max-per-client 100000 --max-transfers 100000 >"$W/oprov.log" 2>&1 &
		;;
	in.tftpd)
		"$IN_TFTPD" -L -s "$F" -a "127.0.0.1:$port" -u nobody >"$W/hpa.log" 2>&1 &
		;;
	atftpd)
		"$ATFTPD" --daemon --no-fork --port "$port" --bind-address 127.0.0.1 \
			--maxthread 1000 --user nobody --group nogroup --logfile /dev/null "$F" \
			>"$W/atftpd.log" 2>&1 &
		;;
	esac
	SPIDS="$SPIDS $!"
	echo "$port" >"$W/port.$1"
}

# run_once SERVER CASE: appends the time (or "fail") to res.SERVER.CASE and
# the granted windowsize to win.SERVER.CASE.
run_once() {
	# shellcheck disable=SC2046
	out=$("$LOAD" -p "$(cat "$W/port.$1")" -q $(case_args "$2") 2>/dev/null) || { echo fail >>"$W/res.$1.$2"; return; }
	echo "$out" | sed -n 's/.* seconds \([0-9.]*\) .*/\1/p' >>"$W/res.$1.$2"
	echo "$out" | sed -n 's/.* windowsize \([0-9]*\).*/\1/p' >"$W/win.$1.$2"
}

median() {
	if grep -q fail "$1"; then echo fail; return; fi
	sort -n "$1" | sed -n "$(( (REPS + 1) / 2 ))p"
}

CASES="big1428 big_w16 big1428_w16 storm"
case_args() {
	case $1 in
	big1428) echo "-f f20m.bin -b 1428 -e $F/f20m.bin" ;;
	big_w16) echo "-f f20m.bin -w 16 -e $F/f20m.bin" ;;
	big1428_w16) echo "-f f20m.bin -b 1428 -w 16 -e $F/f20m.bin" ;;
	storm) echo "-f f6k.bin -n 1000 -c 100 -e $F/f6k.bin" ;;
	esac
}
case_name() {
	case $1 in
	big1428) echo "20 MB, blksize 1428" ;;
	big_w16) echo "20 MB, windowsize 16" ;;
	big1428_w16) echo "20 MB, blksize 1428 + windowsize 16" ;;
	storm) echo "boot storm 1000 x 6 KB, 100 at a time" ;;
	esac
}
wants_window() { case $1 in *w16) return 0 ;; *) return 1 ;; esac; }

SERVERS="oprov"
[ -n "$IN_TFTPD" ] && SERVERS="$SERVERS in.tftpd" || echo "# in.tftpd (tftp-hpa) not available: skipped"
[ -n "$ATFTPD" ] && SERVERS="$SERVERS atftpd" || echo "# atftpd not available: skipped"

for s in $SERVERS; do start_server "$s"; done
sleep 0.5
# Servers take turns within each repetition, so a burst of load from
# elsewhere on the machine hits all of them alike.
for _ in $(seq 1 "$REPS"); do
	for c in $CASES; do
		for s in $SERVERS; do run_once "$s" "$c"; done
	done
done

printf '%-42s %12s %12s %12s %10s %10s\n' "case (median of $REPS, seconds)" oprov-tftpd in.tftpd atftpd "hpa/oprov" "atftpd/oprov"
for c in $CASES; do
	o=$(median "$W/res.oprov.$c")
	line=$(printf '%-42s %12s' "$(case_name "$c")" "$o")
	ratios=""
	for s in in.tftpd atftpd; do
		if [ ! -f "$W/res.$s.$c" ]; then
			line="$line $(printf '%12s' -)"; ratios="$ratios $(printf '%10s' -)"; continue
		fi
		t=$(median "$W/res.$s.$c")
		w=$(cat "$W/win.$s.$c" 2>/dev/null)
		if [ "$t" = fail ] || [ "$o" = fail ]; then
			line="$line $(printf '%12s' "$t")"; ratios="$ratios $(printf '%10s' -)"; continue
		fi
		if wants_window "$c" && [ "${w:-1}" = 1 ]; then
			line="$line $(printf '%12s' "n/a")"; ratios="$ratios $(printf '%10s' "n/a")"
			echo "# $s did not grant windowsize in case '$c' (ran lockstep in ${t}s)" >>"$W/notes"
			continue
		fi
		line="$line $(printf '%12s' "$t")"
		ratios="$ratios $(printf '%10s' "$(awk -v a="$t" -v b="$o" 'BEGIN { printf "%.2f", a / b }')")"
	done
	echo "$line$ratios"
done
[ -f "$W/notes" ] && cat "$W/notes"
exit 0
