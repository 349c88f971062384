#!/usr/bin/python3
"""tamper.py - write a changed copy of a signed message, for the tests that
prove a DKIM verifier refuses what it must (and accepts what it may).

    /usr/bin/python3 tamper.py MODE SRC DST

MODE:
  body      change the first word of four letters or more in the body
  header    put an X in front of the Subject: text
  from2     add a second From: header on top (From is oversigned)
  append    add a line at the end of the body (signatures carry no l=)
  unsigned  add an unsigned X-Added: header on top (must still verify)
  refold    re-fold the whitespace of the Subject: (relaxed still verifies)

SRC may have CRLF or LF line ends; DST keeps them.  Exit status 0, or 2 if
the mode is unknown, a file cannot be read or written, or the change finds
nothing to change (a copy equal to SRC would prove nothing).
"""
import re
import sys


def change(mode, m):
    head, sep, body = m.partition(b"\r\n\r\n")
    if not sep:
        head, sep, body = m.partition(b"\n\n")
    nl = b"\r\n" if b"\r\n" in head else b"\n"
    if mode == "body":
        def flip(x):
            w = x.group(0)
            return w[::-1] if w[::-1] != w else w + b"s"
        body = re.sub(rb"[A-Za-z]{4,}", flip, body, count=1)
    elif mode == "header":
        head = re.sub(rb"(?im)^(subject:[ \t]*)(\S)",
                      lambda x: x.group(1) + b"X" + x.group(2), head, count=1)
    elif mode == "from2":
        head = b"From: Mallory <mallory@example.net>" + nl + head
    elif mode == "append":
        body = body + b"appended line" + nl
    elif mode == "unsigned":
        head = b"X-Added: by a later hop" + nl + head
    elif mode == "refold":
        head = re.sub(rb"(?im)^(subject:)[ \t]*(\S+) ",
                      lambda x: x.group(1) + b"  " + x.group(2) + nl + b"\t  ",
                      head, count=1)
    else:
        return None
    return head + sep + body


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    mode, src, dst = argv
    try:
        with open(src, "rb") as f:
            m = f.read()
    except OSError as e:
        print("tamper.py: %s" % e, file=sys.stderr)
        return 2
    new = change(mode, m)
    if new is None:
        print("tamper.py: unknown mode %r" % mode, file=sys.stderr)
        return 2
    if new == m:
        print("tamper.py: %s: nothing to change for %s" % (src, mode),
              file=sys.stderr)
        return 2
    try:
        with open(dst, "wb") as f:
            f.write(new)
    except OSError as e:
        print("tamper.py: %s" % e, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
