#!/usr/bin/python3
"""smtpload.py - SMTP load with an account of every message, for fault tests.

    smtpload.py --port P [--threads N] [--seconds S | --count C]
                [--senders K] [--domain D] [--stop-file F] --out FILE

N threads (default 4) each open SMTP sessions to 127.0.0.1:P and send
messages, one per transaction, several per session, until S seconds have
passed, C messages were tried, or the file F exists.  Every message has a
unique "X-Load-Id: RUN-THREAD-N" header and comes from one of K senders
(load0@D ... load{K-1}@D).  Nothing is retried: each message ends in one
outcome, written as one JSON line to FILE:

    {"id": ..., "sender": ..., "outcome": "accepted"|"tempfail"|"refused"|"error",
     "stage": "connect"|"mail"|"rcpt"|"data"|"eom", "reply": "451 4.7.1 ..."}

accepted: the server said 250 after the message's final dot (Postfix has it:
it must arrive).  tempfail: a 4xx anywhere (the client keeps the message).
refused: a 5xx.  error: the connection broke or timed out (the client keeps
the message, as a real one would).  A session that got a 4xx or an error
is closed and a new one opened.  On exit prints a JSON summary with the
count of each outcome to standard output.
"""
import argparse
import json
import os
import smtplib
import socket
import threading
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=0)
    ap.add_argument("--count", type=int, default=0)
    ap.add_argument("--senders", type=int, default=20)
    ap.add_argument("--domain", default="example.com")
    ap.add_argument("--stop-file")
    ap.add_argument("--per-session", type=int, default=10)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    if not a.seconds and not a.count and not a.stop_file:
        ap.error("give --seconds, --count or --stop-file")

    run = "%x" % int(time.time() * 1000)
    lock = threading.Lock()
    out = open(a.out, "w")
    tried = [0]
    totals = {}
    deadline = time.monotonic() + a.seconds if a.seconds else None

    def more():
        with lock:
            if deadline and time.monotonic() >= deadline:
                return None
            if a.count and tried[0] >= a.count:
                return None
            if a.stop_file and os.path.exists(a.stop_file):
                return None
            tried[0] += 1
            return tried[0]

    def record(mid, sender, outcome, stage, reply):
        with lock:
            totals[outcome] = totals.get(outcome, 0) + 1
            out.write(json.dumps({"id": mid, "sender": sender,
                                  "outcome": outcome, "stage": stage,
                                  "reply": reply}) + "\n")
            out.flush()

    def worker(t):
        n = 0
        s = None
        sent_in_session = 0
        while True:
            seq = more()
            if seq is None:
                break
            n += 1
            mid = "%s-%d-%d" % (run, t, n)
            sender = "load%d@%s" % (seq % a.senders, a.domain)
            msg = ("From: <%s>\r\nTo: <rcpt%d@example.net>\r\n"
                   "Subject: load %s\r\nMessage-ID: <%s@load.example>\r\n"
                   "X-Load-Id: %s\r\n\r\nmessage %s\r\n" %
                   (sender, n % 7, mid, mid, mid, mid))
            stage = "connect"
            try:
                if s is None:
                    s = smtplib.SMTP("127.0.0.1", a.port, timeout=30)
                    s.ehlo("load.repguard.test")
                    sent_in_session = 0
                stage = "mail"
                code, text = s.mail(sender)
                if code >= 300:
                    raise smtplib.SMTPResponseException(code, text)
                stage = "rcpt"
                code, text = s.rcpt("rcpt%d@example.net" % (n % 7))
                if code >= 300:
                    raise smtplib.SMTPResponseException(code, text)
                stage = "data"
                code, text = s.docmd("DATA")
                if code != 354:
                    raise smtplib.SMTPResponseException(code, text)
                stage = "eom"
                s.send(msg.encode().replace(b"\r\n.", b"\r\n..") + b".\r\n")
                code, text = s.getreply()
                if code != 250:
                    raise smtplib.SMTPResponseException(code, text)
                record(mid, sender, "accepted", stage, "%d %s" % (code, text.decode(errors="replace")))
                sent_in_session += 1
                if sent_in_session >= a.per_session:
                    s.quit()
                    s = None
            except smtplib.SMTPResponseException as e:
                reply = "%d %s" % (e.smtp_code, e.smtp_error.decode(errors="replace")
                                   if isinstance(e.smtp_error, bytes) else e.smtp_error)
                outcome = "tempfail" if 400 <= e.smtp_code < 500 else "refused"
                record(mid, sender, outcome, stage, reply)
                s = close(s, stage)
            except (OSError, smtplib.SMTPException) as e:
                record(mid, sender, "error", stage, str(e))
                s = close(s, None)
        close(s, None)

    def close(s, stage):
        if s is None:
            return None
        try:
            if stage in ("mail", "rcpt"):
                s.rset()
            s.quit()
        except (OSError, smtplib.SMTPException):
            pass
        try:
            s.close()
        except OSError:
            pass
        return None

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(a.threads)]
    start = time.monotonic()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    out.close()
    totals["seconds"] = round(time.monotonic() - start, 2)
    print(json.dumps(totals))


if __name__ == "__main__":
    socket.setdefaulttimeout(30)
    main()
