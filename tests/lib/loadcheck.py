#!/usr/bin/python3
"""loadcheck.py - what reached smtp-sink against what smtpload.py was told.

    loadcheck.py LOAD-OUT SINK-DIR [HEADER]

LOAD-OUT is smtpload.py's record of every message (one JSON line each,
with its "id" and "outcome"); SINK-DIR holds smtp-sink's dumps; a dump's
id is in its HEADER (default X-Load-Id).  Prints five lines:
    missing N IDS...    accepted (250 after the dot) but not in the sink
    twice N IDS...      in the sink more than once
    unasked N IDS...    in the sink though the client was told to retry
    signed N of M       dumps with a DKIM-Signature, of all load dumps
    rewritten N         dumps whose envelope sender is a rewritten
                        return-path at bounce.example.com
(up to five ids each).
"""
import json
import os
import re
import sys

header = (sys.argv[3] if len(sys.argv) > 3 else "X-Load-Id").encode()
accepted, other = set(), set()
for line in open(sys.argv[1]):
    r = json.loads(line)
    (accepted if r["outcome"] == "accepted" else other).add(r["id"])
seen, signed, rewritten = {}, 0, 0
for f in os.listdir(sys.argv[2]):
    data = open(os.path.join(sys.argv[2], f), "rb").read()
    m = re.search(rb"^" + re.escape(header) + rb": (\S+)", data, re.M)
    if not m:
        continue
    i = m.group(1).decode()
    seen[i] = seen.get(i, 0) + 1
    signed += b"\nDKIM-Signature:" in data
    rewritten += re.search(
        rb"^X-Mail-Args: <rp\+[0-9a-f]{46}@bounce\.example\.com>",
        data, re.M | re.I) is not None
missing = sorted(accepted - set(seen))
twice = sorted(i for i, n in seen.items() if n > 1)
unasked = sorted(set(seen) - accepted)
print("missing", len(missing), " ".join(missing[:5]))
print("twice", len(twice), " ".join(twice[:5]))
print("unasked", len(unasked), " ".join(unasked[:5]))
print("signed", signed, "of", sum(seen.values()))
print("rewritten", rewritten)
