#!/usr/bin/python3
"""signone.py - does repguard still sign?  For the fault tests.

    signone.py SOCKET

One milter session with a small message from an internal client
(10.1.2.3, sender after@example.com); prints True if repguard added a
DKIM-Signature, else False.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import milterclient as mc  # noqa: E402

msg = mc.Message.from_bytes(b"From: <after@example.com>\r\n"
                            b"Subject: t\r\n\r\nt\r\n")
res = mc.run_session(sys.argv[1], msg, mc.Envelope(
    client_ip="10.1.2.3", sender="after@example.com",
    rcpts=["rcpt@example.net"]))
print(any(m.name == b"DKIM-Signature" for m in res.mods))
