#!/usr/bin/python3
"""churn.py - connections that an MTA drops, aborts and breaks, for t_churn.sh.

    churn.py LIBDIR SOCKET COUNT [THREADS]

Opens COUNT milter connections to SOCKET (THREADS at a time, default 8),
each one of these, in turn:
  0  connect and close at once, before negotiating;
  1  negotiate and the SMTP connect, then close;
  2  a message up to half its body, then close (the MTA gave up mid-message);
  3  MAIL, RCPT, abort; a whole message to its end; MAIL, headers, abort;
     quit (aborts between and inside messages);
  4  a whole message, then close without quit;
  5  a packet with an unreasonable length (0x7fffffff), then close;
  6  half a packet (its length promises more than is sent), then close;
  7  an unknown command, then close.
Prints "done N" and the count of sessions the filter broke off itself or
answered in a way it should not (a whole message not answered with a
final reply): "unexpected K".  Exit 0.
"""
import os
import socket
import struct
import sys
import threading

sys.path.insert(0, sys.argv[1])
import milterclient as mc  # noqa: E402

SOCK, COUNT = sys.argv[2], int(sys.argv[3])
THREADS = int(sys.argv[4]) if len(sys.argv) > 4 else 8
KINDS = [int(k) for k in os.environ.get("CHURN_KINDS", "01234567")]
BODY = b"line of a message body that is long enough to matter\r\n" * 40

lock = threading.Lock()
state = {"next": 0, "done": 0, "unexpected": 0}


def raw():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(SOCK)
    return s


def begin(n):
    cl = mc.MilterClient(SOCK, timeout=10)
    cl.negotiate()
    cl.macros.update({"client_addr": "10.1.2.3", "i": "Q%06d" % n})
    cl.connect("client.example", "10.1.2.3")
    cl.helo("client.example")
    return cl


def headers(cl, sender):
    cl.header("From", b" <%s>" % sender.encode())
    cl.header("To", b" <rcpt@example.net>")
    cl.header("Subject", b" churn")


def whole(cl, sender):
    cl.mail(sender)
    cl.rcpt("rcpt@example.net")
    cl.data()
    headers(cl, sender)
    cl.eoh()
    cl.body(BODY)
    return cl.eom()


def session(n):
    kind = KINDS[n % len(KINDS)]
    sender = "churn%d@example.com" % (n % 50)
    if kind == 0:
        raw().close()
    elif kind == 1:
        begin(n).close()
    elif kind == 2:
        cl = begin(n)
        cl.mail(sender)
        cl.rcpt("rcpt@example.net")
        cl.data()
        headers(cl, sender)
        cl.eoh()
        cl.body(BODY[:len(BODY) // 2])
        cl.close()
    elif kind == 3:
        cl = begin(n)
        cl.mail(sender)
        cl.rcpt("rcpt@example.net")
        cl.abort()
        r = whole(cl, sender)
        cl.mail(sender)
        headers(cl, sender)
        cl.abort()
        cl.quit()
        cl.close()
        return r is not None and r.code in ("c", "a", "t", "y", "r", "d")
    elif kind == 4:
        cl = begin(n)
        r = whole(cl, sender)
        cl.close()
        return r is not None and r.code in ("c", "a", "t", "y", "r", "d")
    elif kind == 5:
        s = raw()
        s.sendall(struct.pack(">I", 0x7fffffff) + b"O")
        s.close()
    elif kind == 6:
        s = raw()
        s.sendall(struct.pack(">I", 200) + b"Ohalf")
        s.close()
    else:
        s = raw()
        s.sendall(struct.pack(">I", 1) + b"\x01")
        s.close()
    return True


def worker():
    while True:
        with lock:
            n = state["next"]
            if n >= COUNT:
                return
            state["next"] += 1
        try:
            ok = session(n)
        except (OSError, mc.ProtocolError):
            ok = KINDS[n % len(KINDS)] in (0, 5, 6, 7)	# the filter may hang up on these
        with lock:
            state["done"] += 1
            if not ok:
                state["unexpected"] += 1


ts = [threading.Thread(target=worker) for _ in range(THREADS)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print("done %d unexpected %d" % (state["done"], state["unexpected"]))
