#!/usr/bin/env python3
"""Lists every function in oprov's C sources (not tests/) longer than the
limit, from its name line to its closing brace.  A function may stay longer
when the comment just above it says why it is "a flat switch" or "a flat
table".  Exit status 1 when any other is over the limit."""
import os
import re
import sys

LIMIT = 80
top = sys.argv[1] if len(sys.argv) > 1 else "."
SKIP = {"tests", ".git", "_build", "autom4te.cache"}
bad = []
for dp, dn, fn in os.walk(top):
    dn[:] = [d for d in dn if d not in SKIP and not d.startswith("oprov-")]
    for f in sorted(fn):
        if not f.endswith(".c"):
            continue
        p = os.path.join(dp, f)
        lines = open(p, errors="replace").read().split("\n")
        i = 0
        while i < len(lines):
            m = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)\(", lines[i])
            if m and i > 0 and not lines[i - 1].rstrip().endswith(";"):
                j = i
                while j < len(lines) and lines[j] != "{" and not lines[j].rstrip().endswith(";"):
                    j += 1
                if j < len(lines) and lines[j] == "{":
                    k = j + 1
                    while k < len(lines) and lines[k] != "}":
                        k += 1
                    n = k - i + 1
                    # the comment above the return-type line
                    c = i - 2
                    above = []
                    while c >= 0 and (lines[c].startswith("/*") or lines[c].startswith(" *")):
                        above.append(lines[c])
                        c -= 1
                    marked = re.search(r"flat (switch|table)", " ".join(above))
                    if n > LIMIT and not marked:
                        bad.append("%s:%d: %s is %d lines" % (os.path.relpath(p, top), i + 1, m.group(1), n))
                    i = k
            i += 1
for b in bad:
    print(b)
print("functions over %d lines: %d" % (LIMIT, len(bad)))
sys.exit(1 if bad else 0)
