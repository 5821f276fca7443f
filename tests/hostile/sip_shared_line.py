#!/usr/bin/env python3
"""Issue 11 item 2: shared-line takeover.  Two devices share line 1001.
Device B, with its own valid token, sends device A's +sip.instance (with
B's own devicename) to take over, refresh or remove A's binding, and a
"Contact: *" un-REGISTER of the whole line.  A binding belongs to the
device whose token created it: each attempt is refused or touches only
B's own bindings, and A's binding stays, refreshable by A."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hostile as H  # noqa: E402

A, B = "SEP0000000000A1", "SEP0000000000B2"
INST_A = "00000000-0000-0000-0000-0000000000a1"
INST_B = "00000000-0000-0000-0000-0000000000b2"


def held(env, dev, want=1):
    """dev's bindings once the store's copy shows want (or after 6 s): the
    copy follows sipd's table within a second."""
    n = None
    for _ in range(30):
        n = env.registrations().get(dev, 0)
        if n == want:
            return n
        time.sleep(0.2)
    return n


def main():
    with H.Env("sipshared") as env:
        ta = env.sip_device(A, "1001")
        tb = env.sip_device(B, "1001")
        dm = env.sipd()
        a, b = H.Sip(dm.tp), H.Sip(dm.tp, H.addr(1))
        try:
            code = a.ask(a.register("1001", ta, instance=INST_A, devname=A))
            env.check(code == 200, "A registers line 1001: %d" % code)
            code = b.ask(b.register("1001", tb, instance=INST_B, devname=B))
            env.check(code == 200, "B registers the shared line with its own instance: %d" % code)
            tries = [
                ("B takes over A's instance with a new Contact",
                 b.register("1001", tb, instance=INST_A, devname=B)),
                ("B refreshes A's instance with A's Contact",
                 b.register("1001", tb, instance=INST_A, devname=B,
                            contact="sip:1001@127.0.0.1:%d;transport=tls" % a.lport)),
                ("B removes A's instance (Expires: 0)",
                 b.register("1001", tb, instance=INST_A, devname=B, expires=0)),
                # Keyed by instance, A's binding is not this key: nothing of
                # A's matches, the answer may be 200 (RFC 3261 10.3 step 6).
                ("B removes A's Contact without an instance (Expires: 0)",
                 b.register("1001", tb, expires=0,
                            contact="sip:1001@127.0.0.1:%d;transport=tls" % a.lport)),
                ("B names A's instance and A's devicename with B's token",
                 b.register("1001", tb, instance=INST_A, devname=A)),
            ]
            for what, msg in tries:
                code = b.ask(msg)
                allowed = (200, 403) if "without an instance" in what else (403,)
                env.check(code in allowed, "%s: %d" % (what, code))
                env.check(held(env, A) == 1, "A still holds its binding after: %s" % what)
            code = b.ask(b.register("1001", tb, contact="*", expires=0))
            env.check(code == 200, "B's Contact: * un-REGISTER answered %d" % code)
            env.check(held(env, A) == 1, "Contact: * from B removed only B's bindings")
            env.check(held(env, B, 0) == 0, "B's own binding is gone")
            code = a.ask(a.register("1001", ta, instance=INST_A, devname=A))
            env.check(code == 200, "A refreshes its binding: %d" % code)
        finally:
            a.close()
            b.close()


if __name__ == "__main__":
    main()
