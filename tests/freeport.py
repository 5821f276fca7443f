#!/usr/bin/env python3
"""tests/freeport.py - ports for the daemons a test starts.

A port found free by binding port 0 comes from the kernel's ephemeral range
(/proc/sys/net/ipv4/ip_local_port_range), the same range every outgoing
connection of every test running in parallel takes its local port from:
between the probe and the daemon's bind(), a client of another test can
take it, and the daemon's start fails on "bind: address in use".  Ports
chosen here lie below that range, where the kernel never puts a client, are
checked free for both TCP and UDP on 127.0.0.1, and are noted with the
time in a shared file (${TMPDIR:-/tmp}/oprov-test-ports.UID, under a lock) so
that two tests running at once are never handed the same port within
RESERVE_SECONDS.

Shell:   set -- $(python3 "$top_srcdir/tests/freeport.py" 6)
Python:  sys.path.insert(0, TESTS_DIR); import freeport; freeport.ports(6)
"""
import fcntl
import os
import random
import socket
import sys
import time

LOWEST = 10000            # below: well-known and registered service ports
RESERVE_SECONDS = 1800    # a port handed out is not handed out again for this long
DEFAULT_RANGE = (32768, 60999)


def ephemeral_range():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            lo, hi = (int(x) for x in f.read().split())
            return lo, hi
    except (OSError, ValueError):
        return DEFAULT_RANGE


def candidate_range():
    """The ports to choose from: LOWEST up to the ephemeral range's start
    (or above its end when the range starts too low to leave room)."""
    lo, hi = ephemeral_range()
    if lo - LOWEST >= 2000:
        return LOWEST, lo - 1
    return hi + 1, 65535


def is_free(port):
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        s = socket.socket(socket.AF_INET, kind)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        finally:
            s.close()
    return True


def _registry():
    return os.path.join(os.environ.get("TMPDIR") or "/tmp",
                        "oprov-test-ports.%d" % os.getuid())


def ports(n):
    """n distinct ports, each free for TCP and UDP on 127.0.0.1 now, and
    not handed to another test in the last RESERVE_SECONDS."""
    lo, hi = candidate_range()
    now = time.time()
    path = _registry()
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    with os.fdopen(fd, "r+") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        taken = {}
        for line in f.read().split("\n"):
            parts = line.split()
            if len(parts) == 2 and parts[0].isdigit():
                try:
                    t = float(parts[1])
                except ValueError:
                    continue
                if now - t < RESERVE_SECONDS:
                    taken[int(parts[0])] = t
        chosen = []
        for _ in range(100 * n + 1000):
            if len(chosen) == n:
                break
            p = random.randint(lo, hi)
            if p in taken or p in chosen or not is_free(p):
                continue
            chosen.append(p)
        if len(chosen) < n:
            raise OSError("freeport: no %d free ports in %d-%d" % (n, lo, hi))
        for p in chosen:
            taken[p] = now
        f.seek(0)
        f.truncate()
        f.write("".join("%d %.0f\n" % (p, t) for p, t in taken.items()))
    return chosen


def port():
    return ports(1)[0]


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    print(" ".join(str(p) for p in ports(count)))
