#!/usr/bin/python3
"""clusterload.py - mail through several repguard nodes, as their MTAs
would hand it over (the milter protocol, tests/lib/milterclient.py).

    clusterload.py LIBDIR OUT N SOCK[,SOCK...] SENDERS [RCPTS] [PAUSE_MS]

Sends N messages, the i-th through SOCKS[i % len] from sender
SENDERS[i % len] (comma-separated lists), each to RCPTS recipients
(default 2), PAUSE_MS between messages (default 0).  Writes to OUT one
JSON object: sent, accepted, refused (and the first refusals' texts),
per node and per sender counts of what was accepted, and the latencies
(p50, p99, max) of each whole milter session in milliseconds.
"""
import json
import sys
import time


def main():
    lib, out, n, socks, senders = sys.argv[1:6]
    sys.path.insert(0, lib)
    import milterclient as mc
    n = int(n)
    socks = socks.split(",")
    senders = senders.split(",")
    nrcpt = int(sys.argv[6]) if len(sys.argv) > 6 else 2
    pause = int(sys.argv[7]) / 1000.0 if len(sys.argv) > 7 else 0.0
    res = {"sent": 0, "accepted": 0, "refused": 0, "texts": [],
           "by_node": {}, "by_sender": {}, "ms": []}
    for i in range(n):
        sock, sender = socks[i % len(socks)], senders[i % len(senders)]
        rcpts = ["r%d-%d@example.org" % (i, k) for k in range(nrcpt)]
        raw = (b"From: <%s>\r\nTo: <%s>\r\nSubject: load %d\r\n\r\nhi\r\n"
               % (sender.encode(), rcpts[0].encode(), i))
        t0 = time.monotonic()
        try:
            r = mc.run_session(sock, mc.Message.from_bytes(raw),
                               mc.Envelope(client_ip="10.1.2.3", sender=sender,
                                           rcpts=rcpts))
            ok = r.reply.stage == "eom" and r.reply.action == "continue"
            text = "%s %s %s" % (r.reply.stage, r.reply.action, r.reply.text or "")
        except Exception as e:      # the daemon gone is a refusal too
            ok, text = False, "error: %s" % e
        res["ms"].append((time.monotonic() - t0) * 1000)
        res["sent"] += 1
        if ok:
            res["accepted"] += 1
            res["by_node"][sock] = res["by_node"].get(sock, 0) + 1
            res["by_sender"][sender] = res["by_sender"].get(sender, 0) + 1
        else:
            res["refused"] += 1
            if len(res["texts"]) < 5:
                res["texts"].append(text)
        if pause:
            time.sleep(pause)
    ms = sorted(res.pop("ms")) or [0]
    res["p50_ms"] = round(ms[len(ms) // 2], 1)
    res["p99_ms"] = round(ms[min(len(ms) - 1, int(len(ms) * 0.99))], 1)
    res["max_ms"] = round(ms[-1], 1)
    with open(out, "w") as f:
        json.dump(res, f)


if __name__ == "__main__":
    main()
