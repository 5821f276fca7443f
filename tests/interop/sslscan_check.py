#!/usr/bin/env python3
"""sslscan_check.py - judges one sslscan --xml report against oprov's TLS
policy (common/tls_policy.c): Mozilla "intermediate" without DHE, or
"modern".

usage: sslscan_check.py REPORT.xml POLICY KEYTYPE
  POLICY   intermediate | modern
  KEYTYPE  rsa | ec (the certificate's key: which ECDHE suites exist)

Prints one line per violation and exits 1 when there is any, else prints
what was accepted and exits 0.  An empty or unreadable report is a
failure, never a pass.
"""
import sys
import xml.etree.ElementTree as ET

TLS13 = ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
         "TLS_CHACHA20_POLY1305_SHA256"]
AEAD12 = ["AES128-GCM-SHA256", "AES256-GCM-SHA384", "CHACHA20-POLY1305"]
GROUPS = {"x25519", "secp256r1", "secp384r1"}


def main():
    if len(sys.argv) != 4 or sys.argv[2] not in ("intermediate", "modern") \
            or sys.argv[3] not in ("rsa", "ec"):
        sys.exit(__doc__)
    report, policy, keytype = sys.argv[1:]
    auth = "ECDHE-RSA-" if keytype == "rsa" else "ECDHE-ECDSA-"
    tls12 = [auth + c for c in AEAD12] if policy == "intermediate" else []
    bad = []
    try:
        root = ET.parse(report).getroot()
    except (OSError, ET.ParseError) as e:
        sys.exit("no report: %s" % e)
    test = root.find("ssltest")
    if test is None:
        sys.exit("no <ssltest> in the report (connection refused?)")

    want_on = {("tls", "1.3")}
    if policy == "intermediate":
        want_on.add(("tls", "1.2"))
    protos = {(p.get("type"), p.get("version")): p.get("enabled")
              for p in test.findall("protocol")}
    if len(protos) < 6:
        bad.append("protocols not all probed: %s" % sorted(protos))
    for k, on in protos.items():
        if (on == "1") != (k in want_on):
            bad.append("%s %s %s" % (k[0], k[1], "enabled" if on == "1"
                                     else "disabled"))

    seen = {"TLSv1.2": [], "TLSv1.3": []}
    for c in test.findall("cipher"):
        v, name = c.get("sslversion"), c.get("cipher")
        if v not in seen:
            bad.append("suite %s accepted over %s" % (name, v))
            continue
        seen[v].append((name, c.get("status")))
        ok = TLS13 if v == "TLSv1.3" else tls12
        if name not in ok:
            why = []
            if not name.startswith(("ECDHE-", "TLS_")):
                why.append("no forward secrecy")
            if "CCM" in name:
                why.append("CCM")
            if v == "TLSv1.2" and not ("GCM" in name or "POLY1305" in name):
                why.append("not AEAD (CBC)")
            bad.append("%s %s accepted (%s)" % (v, name,
                                                ", ".join(why) or "off policy"))
    for v, ok in (("TLSv1.3", TLS13), ("TLSv1.2", tls12)):
        names = [n for n, _ in seen[v]]
        for n in ok:
            if n not in names:
                bad.append("%s %s refused (the policy offers it)" % (v, n))
        pref = [n for n, s in seen[v] if s == "preferred"]
        # The server's order: its first suite wins against sslscan's list.
        if ok and pref and pref[0] != ok[0]:
            bad.append("%s preferred %s, the policy's first is %s" %
                       (v, pref[0], ok[0]))

    for g in test.findall("group"):
        name = g.get("name", "").split(" ")[0]
        if name not in GROUPS:
            bad.append("group %s accepted over %s" % (name,
                                                      g.get("sslversion")))
    if test.findall("group") == []:
        bad.append("no key-exchange group accepted")

    for b in bad:
        print("violation: " + b)
    if bad:
        sys.exit(1)
    print("accepted: " + " ".join(n for v in ("TLSv1.3", "TLSv1.2")
                                  for n, _ in seen[v]))


main()
