#!/usr/bin/env python3
"""Issue 11 item 13: activation-code brute force on 8443.  Limits (set small
here): 5 failures per (address, device), 12 per device from all addresses,
40 in all, per window (a day here: the limits give failures back at
burst/window per second, which must not blur the counts of a slow run).
  - one address: its 6th wrong code for a device is answered 429;
  - 16 addresses on one device (the attack that once shared a hash slot):
    only 12 guesses are checked in all, the rest get 429, and the real code
    is refused too while the device is locked;
  - behind one NAT address locked out for device A, device B still onboards;
  - a spray of wrong codes for many names from many addresses meets the
    global ceiling.
Prints how many guesses were checked of how many sent."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hostile as H  # noqa: E402

PAIR, DEVICE, ALL = 5, 12, 40
WRONG = "0000000000000000"


def main():
    H.raise_nofile()
    with H.Env("codes") as env:
        code_a = env.oauth_device("SEP00000000000A", "1001")
        code_b = env.oauth_device("SEP00000000000B", "1002")
        code_c = env.oauth_device("SEP00000000000C", "1003")
        code_d = env.oauth_device("SEP00000000000D", "1004")
        env.httpsd("--threads", "2", "--code-attempts", str(PAIR),
                   "--code-device-attempts", str(DEVICE),
                   "--code-global-attempts", str(ALL), "--code-window", "86400")
        op = env.op
        nat = H.addr(0)

        got = [H.redeem(op, "SEP00000000000A", WRONG, nat)[0] for _ in range(PAIR + 2)]
        env.check(got[:PAIR] == [400] * PAIR and got[PAIR:] == [429, 429],
                  "one address: %d wrong codes checked, then 429 (%s)" %
                  (PAIR, " ".join(map(str, got))))

        # Device B from the same (NAT) address still onboards.
        st, body = H.redeem(op, "SEP00000000000B", code_b, nat)
        env.check(st == 200 and b"access_token" in body,
                  "behind the locked-out address, device B onboards (status %d)" % st)

        # 16 addresses on device C: the per-device limit holds in all.
        checked = sent = 0
        t0 = time.time()
        for rnd in range(3):
            for a in range(1, 17):
                st, _ = H.redeem(op, "SEP00000000000C", "%016d" % (rnd * 100 + a),
                                 H.addr(a))
                sent += 1
                checked += st == 400
                if st not in (400, 429):
                    env.fail("unexpected status %d" % st)
        rate = checked / (time.time() - t0)
        print("# device C from 16 addresses: %d of %d guesses checked (%.1f/s), "
              "the rest 429" % (checked, sent, rate))
        env.check(checked == DEVICE, "per device: %d of %d guesses from 16 "
                  "addresses checked" % (checked, sent))
        st, _ = H.redeem(op, "SEP00000000000C", code_c, H.addr(30))
        env.check(st == 429, "the real code of the locked device is not tried (%d)" % st)

        # Spray: wrong codes for invented and real names until the ceiling.
        spent = PAIR + DEVICE
        spray = 0
        statuses = []
        for i in range(ALL):
            st, _ = H.redeem(op, "SEP1000000000%02X" % i, WRONG, H.addr(40 + i))
            statuses.append(st)
            spray += st == 400
        print("# spray over %d names from %d addresses: %d checked before the "
              "global ceiling (%d in all)" % (ALL, ALL, spray, spent + spray))
        env.check(spent + spray == ALL and statuses[-1] == 429,
                  "global ceiling: %d failures in all, then 429" % ALL)
        st, _ = H.redeem(op, "SEP00000000000D", code_d, H.addr(100))
        env.check(st == 429, "past the global ceiling every code attempt is 429 (%d)" % st)
        log = env.daemons[0].log_text()
        env.check("too many failed activation codes for all devices" in log and
                  "for this device from this address" in log and
                  "for this device\n" in log.replace(" from this address", "X"),
                  "each limit names itself in the log")


if __name__ == "__main__":
    main()
