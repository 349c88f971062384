"""rawmilter.py - a minimal MTA side of the milter protocol, for repguard's tests.

    python3 rawmilter.py SOCKET-PATH CLIENT-IP AUTH MAILFROM [--wait FILE] [--rcpt ADDR]

Negotiates, sends connect (with {client_addr}), HELO, the MAIL stage macros
({mail_addr}, and {auth_type}/{auth_authen} if AUTH is not empty) and MAIL,
then prints the reply as "mail R TEXT", R being the reply character and TEXT
the SMTP reply text of an SMFIR_REPLYCODE ("y") reply.  miltertest cannot
show that text outside end of message; this can.

--wait FILE   after connect, print "connected", then wait (up to 20 s) until
              FILE exists before sending MAIL: lets a test change the daemon's
              configuration in the middle of a connection.
--rcpt ADDR   if MAIL was continued, finish the message (RCPT, headers, body,
              end of message) and print "eom R".

Exit status 0, or 1 with a message on stderr when the filter misbehaves.
"""
import os
import socket
import struct
import sys
import time

NOHELO, NORCPT, NOBODY, NOHDRS, NOEOH = 0x2, 0x8, 0x10, 0x20, 0x40
NR_HDR, NR_CONN, NR_HELO, NR_MAIL, NR_RCPT = 0x80, 0x1000, 0x2000, 0x4000, 0x8000
NR_EOH, NR_BODY = 0x40000, 0x80000


def main():
    args = sys.argv[1:]
    wait = rcpt = None
    while len(args) > 4 and args[-2] in ("--wait", "--rcpt"):
        if args[-2] == "--wait":
            wait = args[-1]
        else:
            rcpt = args[-1]
        args = args[:-2]
    if len(args) != 4:
        sys.exit(__doc__)
    path, ip, auth, mailfrom = args
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)

    def send(cmd, data=b""):
        s.sendall(struct.pack(">I", len(data) + 1) + cmd + data)

    def recvn(n):
        buf = b""
        while len(buf) < n:
            b = s.recv(n - len(buf))
            if not b:
                sys.exit("connection closed by the filter")
            buf += b
        return buf

    def recv():
        n = struct.unpack(">I", recvn(4))[0]
        if n < 1 or n > 65536:
            sys.exit("bad packet length %d" % n)
        data = recvn(n)
        return data[:1].decode(), data[1:]

    def step(cmd, data, noreply):
        send(cmd, data)
        if noreply:
            return "noreply", b""
        r, text = recv()
        while r in ("+", "-", "h", "m", "e", "1", "2", "q", "f", "p"):
            r, text = recv()        # modification actions at end of message
        return r, text

    send(b"O", struct.pack(">III", 6, 0x1FF, 0x1FFFFF))
    r, data = recv()
    if r != "O":
        sys.exit("negotiation reply %r" % r)
    prot = struct.unpack(">I", data[8:12])[0]
    fam = b"6" if ":" in ip else b"4"
    send(b"D", b"C{client_addr}\0" + ip.encode() + b"\0")
    r, _ = step(b"C", b"client.example\0" + fam + struct.pack(">H", 25)
                + ip.encode() + b"\0", prot & NR_CONN)
    if r not in ("c", "noreply"):
        print("connect " + r)
        return
    if not prot & NOHELO:
        step(b"H", b"client.example\0", prot & NR_HELO)
    if wait:
        print("connected", flush=True)
        for _ in range(200):
            if os.path.exists(wait):
                break
            time.sleep(0.1)
    mac = b"M{mail_addr}\0" + mailfrom.strip("<>").encode() + b"\0"
    if auth:
        mac += b"{auth_type}\0PLAIN\0{auth_authen}\0" + auth.encode() + b"\0"
    send(b"D", mac)
    r, text = step(b"M", mailfrom.encode() + b"\0", prot & NR_MAIL)
    print(("mail " + r + " " + text.rstrip(b"\0").decode(errors="replace")).rstrip(),
          flush=True)
    if rcpt and r in ("c", "noreply"):
        if not prot & NORCPT:
            step(b"R", rcpt.encode() + b"\0", prot & NR_RCPT)
        if not prot & NOHDRS:
            step(b"L", b"Subject\0test\0", prot & NR_HDR)
        if not prot & NOEOH:
            step(b"N", b"", prot & NR_EOH)
        if not prot & NOBODY:
            step(b"B", b"Hello.\r\n", prot & NR_BODY)
        r, _ = step(b"E", b"", False)
        print("eom " + r, flush=True)
    else:
        send(b"A")
    send(b"Q")
    s.close()


main()
