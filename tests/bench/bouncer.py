#!/usr/bin/python3
"""bouncer.py - bounces coming back, for the sustained-load benchmark.

    bouncer.py LIBDIR SOCKET DSN-TEMPLATE RATE STOPFILE

RATE times a second, until STOPFILE exists: one outbound message from a
"bad" sender (bad<k>@example.com, from 127.0.0.1) through the filter, to a
recipient that does not exist; the filter rewrites its return-path; then
the bounce for it (DSN-TEMPLATE, a DSN from tests/bounce/corpus, with the
token and the recipient put in) comes back inbound, from 192.0.2.1, to that
return-path.  Each bad sender sends until the filter refuses it (the
reputation engine paused it for its bounce rate), then the next one takes
over: a steady stream of pauses.  Prints, at the end, one JSON line:
{"sent", "bounced", "paused", "errors"}.
"""
import json
import os
import sys
import time

sys.path.insert(0, sys.argv[1])
import milterclient as mc  # noqa: E402

SOCK, TEMPLATE, RATE, STOP = sys.argv[2], sys.argv[3], float(sys.argv[4]), sys.argv[5]
CORPUS_TOKEN = b"016b1d0f8a0123456789abcdef0123456789abcdef0123"
template = open(TEMPLATE, "rb").read()
counts = {"sent": 0, "bounced": 0, "paused": 0, "errors": 0}
k, n = 0, 0
gap = 1.0 / RATE
next_t = time.monotonic()
while not os.path.exists(STOP):
    now = time.monotonic()
    if now < next_t:
        time.sleep(next_t - now)
    next_t = max(next_t + gap, time.monotonic() - 1)
    n += 1
    sender = "bad%d@example.com" % k
    rcpt = "nobody%d@example.org" % n
    try:
        out = mc.run_session(SOCK, mc.Message.from_bytes(
            b"From: <%s>\r\nTo: <%s>\r\nSubject: news\r\n\r\nhello\r\n"
            % (sender.encode(), rcpt.encode())),
            mc.Envelope(client_ip="127.0.0.1", sender=sender, rcpts=[rcpt]))
        if out.reply is None or not (out.reply.ok or out.reply.code in ("a", "c")):
            counts["paused"] += 1       # refused: next bad sender
            k += 1
            continue
        rp = (out.sender or "").strip("<>")
        if "+" not in rp:
            counts["errors"] += 1
            continue
        counts["sent"] += 1
        token = rp.split("+", 1)[1].split("@", 1)[0].encode()
        dsn = template.replace(CORPUS_TOKEN, token).replace(
            b"nobody@example.org", rcpt.encode())
        back = mc.run_session(SOCK, mc.Message.from_bytes(dsn),
                              mc.Envelope(client_ip="192.0.2.1", sender="<>",
                                          rcpts=[rp]))
        if back.reply is not None and back.reply.code in ("a", "c", "d", "noreply"):
            counts["bounced"] += 1
        else:
            counts["errors"] += 1
    except (OSError, mc.ProtocolError):
        counts["errors"] += 1
        time.sleep(0.1)
print(json.dumps(counts))
