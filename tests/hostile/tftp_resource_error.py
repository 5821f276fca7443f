#!/usr/bin/env python3
"""Issue 11 item 11: at the descriptor limit, oprov-tftpd must never answer a
public file with "Access violation" (error 2): a resource failure is error 0
with a message, or no answer.  tftpd runs with a hard RLIMIT_NOFILE of 48;
unanswered transfers of a large file use up its descriptors (each holds a
socket), then public files that exist, one that does not, and a device's
trust list (the cluster's ITL, built in memory) are asked for.  Every ERROR received is tallied and printed."""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hostile as H  # noqa: E402

NOFILE = 48
FLOOD = 80


def ask(port, name, src):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 0))
    s.sendto(H.tftp_rrq(name), ("127.0.0.1", port))
    return s


def answer(s, timeout=1.0):
    s.settimeout(timeout)
    try:
        pkt, _ = s.recvfrom(70000)
    except socket.timeout:
        return "none"
    err = H.tftp_error(pkt)
    return "error %d (%s)" % err if err else "data"


def main():
    H.raise_nofile()
    with H.Env("tftpres") as env:
        env.file("big.bin", b"x" * (1536 * 1024))
        for i in range(20):
            env.file("pub%d.txt" % i, b"public file %d\n" % i)
        env.ctl("device", "add", "SEP001122334455", "--model", "7841", "--profile",
                "Standard-Non-Secure", "--line", "1001")
        dm = env.tftpd("--threads", "1", "--rexmit-ms", "2000", "--retries-first", "2",
                       "--max-per-client", "1000", "--stats-interval", "1",
                       limits=(NOFILE, NOFILE))
        port = dm.port
        flood = [ask(port, "big.bin", H.addr(i % 4)) for i in range(FLOOD)]
        tally = {}
        for s in flood:
            a = answer(s, 0.5)
            tally[a] = tally.get(a, 0) + 1
        print("# %d requests for big.bin at a limit of %d descriptors: %s" %
              (FLOOD, NOFILE, ", ".join("%s x%d" % kv for kv in sorted(tally.items()))))
        env.check(any(k.startswith("error 0") for k in tally),
                  "the daemon ran out of descriptors (error 0 answers seen)")
        names = ["pub%d.txt" % i for i in range(20)] + ["missing.txt",
                                                        "ITLSEP001122334455.tlv"]
        probes = {}
        for n in names:
            s = ask(port, n, H.addr(10))
            probes[n] = answer(s)
            s.close()
        for s in flood:
            s.close()
        for n, a in probes.items():
            print("#   %s -> %s" % (n, a))
        access = ([n for n, a in probes.items() if "error 2" in a] +
                  ["big.bin: " + k for k in tally if "error 2" in k])
        env.check(not access, "no resource failure answered as Access violation%s"
                  % ("" if not access else ": " + ", ".join(access)))
        env.check(all(a.startswith("error 0") or a in ("none", "data")
                      or (n == "missing.txt" and a.startswith("error 1"))
                      for n, a in probes.items()),
                  "at the limit every request got error 0, data or no answer "
                  "(missing.txt: error 0 or 1)")
        # Once the transfers time out, the same files are served.
        # (the stats file cannot be written meanwhile: no descriptor).
        t0 = time.time()
        got = None
        while time.time() < t0 + 90 and got is None:
            try:
                got = H.tftp_get(port, "pub3.txt")
            except (RuntimeError, OSError):
                time.sleep(1)
        env.check(got == b"public file 3\n", "descriptors back once the transfers "
                  "timed out: pub3.txt served after %.0f s" % (time.time() - t0))


if __name__ == "__main__":
    main()
