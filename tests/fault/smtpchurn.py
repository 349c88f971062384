#!/usr/bin/python3
"""smtpchurn.py - SMTP sessions broken off in every way, for t_churn_e2e.sh.

    smtpchurn.py PORT COUNT THREADS IDS-FILE

Opens COUNT SMTP sessions to 127.0.0.1:PORT (THREADS at a time), each one
of these, in turn, so that Postfix in turn opens, aborts and closes its
milter conversations with repguard:
  0  connect, read the greeting, close (no QUIT);
  1  EHLO, QUIT;
  2  a message up to half its body, then close (the client gave up
     mid-message: Postfix aborts the message at the milter);
  3  MAIL, RCPT, RSET; then a whole message; QUIT (an abort between
     messages);
  4  a whole message, then close without QUIT;
  5  a whole message, then a second one up to half its body, then close.
Every whole message has a unique "X-Churn-Id" header; the ids Postfix
accepted (250 after the final dot) are appended to IDS-FILE, one JSON line
each as smtpload.py writes them ({"id": ..., "outcome": "accepted"}), for
tests/lib/loadcheck.py.
Prints "done N accepted K unexpected U": U counts the whole messages that
did not get 250 and the sessions that broke where they should not have.
"""
import json
import os
import socket
import sys
import threading
import time

PORT, COUNT, THREADS, IDS = (int(sys.argv[1]), int(sys.argv[2]),
                             int(sys.argv[3]), sys.argv[4])
RUN = "%x-%d" % (int(time.time() * 1000), os.getpid())
lock = threading.Lock()
state = {"next": 0, "accepted": 0, "unexpected": 0}
ids_out = open(IDS, "a")


class Session:
    def __init__(self):
        self.s = socket.create_connection(("127.0.0.1", PORT), timeout=30)
        self.buf = b""

    def reply(self):
        """The code of the next (possibly multi-line) reply."""
        while True:
            while b"\r\n" not in self.buf:
                chunk = self.s.recv(4096)
                if not chunk:
                    raise ConnectionError("closed by the server")
                self.buf += chunk
            line, self.buf = self.buf.split(b"\r\n", 1)
            if len(line) < 4 or line[3:4] != b"-":
                return int(line[:3])

    def cmd(self, text):
        self.s.sendall(text.encode() + b"\r\n")
        return self.reply()

    def close(self):
        self.s.close()


def message(mid, half=False):
    body = "".join("line %d of a message that is long enough to cut\r\n" % i
                   for i in range(40))
    msg = ("From: <churn@example.com>\r\nTo: <rcpt@example.net>\r\n"
           "Subject: churn\r\nX-Churn-Id: %s\r\n\r\n%s" % (mid, body))
    return msg[:len(msg) // 2] if half else msg + ".\r\n"


def whole(s, mid):
    """One whole message: True if Postfix accepted it."""
    if s.cmd("MAIL FROM:<churn@example.com>") != 250:
        return False
    if s.cmd("RCPT TO:<rcpt@example.net>") != 250:
        return False
    if s.cmd("DATA") != 354:
        return False
    s.s.sendall(message(mid).encode())
    return s.reply() == 250


def half(s, mid):
    if (s.cmd("MAIL FROM:<churn@example.com>") == 250 and
            s.cmd("RCPT TO:<rcpt@example.net>") == 250 and
            s.cmd("DATA") == 354):
        s.s.sendall(message(mid, half=True).encode())
        return True
    return False


def session(n):
    """Returns (accepted ids, unexpected count)."""
    kind, mid = n % 6, "%s-%d" % (RUN, n)
    got, bad = [], 0
    s = Session()
    try:
        if s.reply() != 220:
            return got, 1
        if kind == 0:
            return got, 0
        if s.cmd("EHLO churn.example.com") != 250:
            return got, 1
        if kind == 1:
            bad += s.cmd("QUIT") != 221
        elif kind == 2:
            bad += not half(s, mid)
        elif kind == 3:
            bad += s.cmd("MAIL FROM:<churn@example.com>") != 250
            bad += s.cmd("RCPT TO:<rcpt@example.net>") != 250
            bad += s.cmd("RSET") != 250
            if whole(s, mid):
                got.append(mid)
            else:
                bad += 1
            bad += s.cmd("QUIT") != 221
        elif kind in (4, 5):
            if whole(s, mid):
                got.append(mid)
            else:
                bad += 1
            if kind == 5:
                bad += not half(s, mid + "-b")
    except (OSError, ConnectionError):
        bad += 1
    finally:
        s.close()
    return got, bad


def worker():
    while True:
        with lock:
            n = state["next"]
            if n >= COUNT:
                return
            state["next"] = n + 1
        got, bad = session(n)
        with lock:
            state["accepted"] += len(got)
            state["unexpected"] += bad
            for mid in got:
                ids_out.write(json.dumps({"id": mid,
                                          "outcome": "accepted"}) + "\n")


threads = [threading.Thread(target=worker) for _ in range(THREADS)]
for t in threads:
    t.start()
for t in threads:
    t.join()
ids_out.close()
print("done %d accepted %d unexpected %d" % (COUNT, state["accepted"],
                                             state["unexpected"]))
