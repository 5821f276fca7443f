#!/usr/bin/env python3
"""Issue 11 item 10: 10,240 read requests for a file over 1 MiB, from 80
addresses x 128 source ports, none ever acknowledged.  oprov-tftpd's RSS
while they are open must stay near its idle size (no 64 KiB buffer per
request before the client's first ACK), within --transfer-memory for the
read-ahead of acknowledged transfers; a real client still gets the file,
and the RSS after the transfers time out is printed too."""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hostile as H  # noqa: E402

ADDRS = 80
PER_ADDR = 128
BIG = 1536 * 1024            # over --cache-file-max (1 MiB): read from the file
XMEM = 4 * 1024 * 1024       # --transfer-memory
STALLED = 300                # clients that acknowledge once, then stop


def main():
    H.raise_nofile()
    with H.Env("tftpmem") as env:
        big = bytes((i * 7) & 0xff for i in range(BIG))
        env.file("big.bin", big)
        # Long retransmission timers keep the unanswered transfers open
        # while RSS is measured; --max-transfers above the request count.
        dm = env.tftpd("--threads", "2", "--max-transfers", "20000",
                       "--rexmit-ms", "2000", "--retries-first", "2",
                       "--stats-interval", "1")
        port = dm.port
        got = H.tftp_get(port, "big.bin")
        env.check(got == big, "a client fetched big.bin (%d bytes) before the attack"
                  % len(got))
        idle = H.rss_mb(dm.pid)
        sent = 0
        t0 = time.time()
        for a in range(ADDRS):
            socks = []
            for _ in range(PER_ADDR):
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                s.bind((H.addr(a), 0))
                s.sendto(H.tftp_rrq("big.bin", 1428), ("127.0.0.1", port))
                socks.append(s)
                sent += 1
            for s in socks:
                s.close()     # never acknowledged; the port goes away
        peak, active = idle, 0
        end = time.time() + 8
        while time.time() < end:
            peak = max(peak, H.rss_mb(dm.pid))
            active = max(active, env.stats("oprov-tftpd").get("transfers_active", 0))
            time.sleep(0.25)
        print("# %d unanswered RRQs sent in %.1f s; %d transfers open at once; "
              "RSS idle %.0f MB, peak %.0f MB" % (sent, time.time() - t0 - 8, active,
                                                   idle, peak))
        env.check(active >= sent * 9 // 10, "the daemon held the transfers open "
                  "(%d of %d)" % (active, sent))
        limit = 64 if not H.sanitized() else 256
        env.check(peak - idle < limit, "tftpd RSS after %s unanswered RRQs: %.0f MB "
                  "(idle %.0f MB; bound %d MB above idle)" %
                  ("{:,}".format(sent), peak, idle, limit))
        got = H.tftp_get(port, "big.bin", src=H.addr(200))
        env.check(got == big, "a client fetched big.bin during the attack")
        end = time.time() + 60
        while time.time() < end and env.stats("oprov-tftpd").get("transfers_active", 1) > 0:
            time.sleep(0.5)
        after = H.rss_mb(dm.pid)
        env.check(env.stats("oprov-tftpd").get("transfers_active", 1) == 0,
                  "every unanswered transfer timed out; RSS then %.0f MB" % after)
        dm.stop()
        # Control: without a tight bound the stalled clients do cost 64 KiB
        # each (so the measurement below can see a read-ahead buffer).
        free = stalled(env, env.tftpd("--threads", "2"), big)
        env.check(free >= 10, "control, default --transfer-memory: +%.0f MB" % free)
        used = stalled(env, env.tftpd("--threads", "2", "--transfer-memory", str(XMEM)),
                       big)
        env.check(used < (XMEM >> 20) + 4, "read-ahead of acknowledged transfers "
                  "within --transfer-memory %d MB: +%.0f MB" % (XMEM >> 20, used))


def stalled(env, dm, big):
    """Clients that acknowledge the OACK (so each transfer may take a 64 KiB
    read-ahead buffer) and then stop; the RSS they cost, in MB."""
    base = H.rss_mb(dm.pid)
    socks = []
    for i in range(STALLED):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((H.addr(100 + i % 50), 0))
        s.settimeout(2)
        s.sendto(H.tftp_rrq("big.bin", 1428), ("127.0.0.1", dm.port))
        socks.append(s)
    acked = 0
    for s in socks:
        try:
            pkt, peer = s.recvfrom(70000)
        except socket.timeout:
            continue
        if pkt[1] == 6:                      # OACK: acknowledge it once
            s.sendto(b"\x00\x04\x00\x00", peer)
            acked += 1
    time.sleep(2)
    peak = H.rss_mb(dm.pid)
    got = H.tftp_get(dm.port, "big.bin", src=H.addr(201))
    for s in socks:
        s.close()
    unbounded = STALLED * 64 / 1024.0
    print("# %d clients acknowledged once and stalled: RSS %.0f -> %.0f MB "
          "(64 KiB each would be %.0f MB)" % (acked, base, peak, unbounded))
    env.check(acked >= STALLED * 9 // 10, "%d of %d stalled clients got an OACK"
              % (acked, STALLED))
    env.check(got == big, "a client fetched big.bin beside them")
    dm.stop()
    return peak - base

if __name__ == "__main__":
    main()
