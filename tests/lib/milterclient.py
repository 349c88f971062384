#!/usr/bin/python3
"""milterclient.py - the MTA side of the Sendmail 8 milter protocol (version 6)
for repguard's tests, modelled on what Postfix 3.7 sends (src/milter/milter8.c).

As a module:

    import milterclient as mc
    msg = mc.Message.from_bytes(open("msg.eml", "rb").read())
    with mc.MilterClient("/tmp/x/repguard.sock") as cl:
        cl.negotiate()                          # offers every action and event
        r = cl.connect("client.example", "10.1.2.3")
        ...                                     # or, all in one go:
    res = mc.run_session("/tmp/x/repguard.sock", msg, mc.Envelope(
        client_ip="10.1.2.3", sender="a@example.com", rcpts=["b@example.org"],
        auth=None), chunk=7)
    res.reply            # Reply of the last stage run (res.reply.stage: "eom", ...)
    res.delivered        # bytes of the message as the MTA would deliver it
                         # (None if it was rejected, tempfailed or discarded)
    res.mods             # the modification requests at end of message

What an MTA (Postfix) does, and so does this client:
  - header values are sent without the one space after the colon unless the
    filter negotiated SMFIP_HDR_LEADSPC; folded headers are sent as one value
    with "\\n" (LF, no CR) between the lines;
  - the body is sent with CRLF line ends (a message file with LF line ends is
    converted, as an MTA does), in chunks of at most 65535 bytes (MILTER_CHUNK_SIZE;
    smaller chunks split the body at arbitrary byte positions);
  - macros: Postfix's default lists per stage, replaced stage by stage by the
    lists the filter asks for in its negotiation reply (SMFIF_SETSYMLIST);
    the queue id "i" is known from DATA on, as for SMTP mail in Postfix;
  - no reply is awaited for events the filter marked SMFIP_NR_*, and events it
    marked SMFIP_NO* are not sent;
  - at end of message the modification requests are applied: SMFIR_ADDHEADER
    appends, SMFIR_INSHEADER inserts at index N (0 = top; with received=True
    the MTA's own Received: header, which the filter never sees, counts, as in
    Postfix), SMFIR_CHGHEADER changes/deletes the Nth header of that name,
    SMFIR_CHGFROM/ADDRCPT/DELRCPT change the envelope, SMFIR_REPLBODY replaces
    the body.  Added header values are written "Name: value" ("Name:value"
    with SMFIP_HDR_LEADSPC) with their line breaks turned into CRLF.

The delivered message is written with CRLF line ends (as on the wire), or
LF with crlf=False.

CLI (prints the final reply as one line: "STAGE: ACTION[ SMTP-REPLY]", e.g.
"eom: continue", "mail: accept", "eom: tempfail 451 4.7.5 ..."):

    milterclient.py --socket PATH --client-ip IP [--auth LOGIN] --from ADDR
        --rcpt ADDR [--rcpt ADDR ...] --message FILE [--chunk N] [--out FILE]
        [--received] [--wire-lf] [--lf] [--helo NAME] [--queue-id ID]
        [--timeout S] [-v] [--trace]

--out FILE     write the delivered message there (removed when nothing would
               be delivered: reject, tempfail, discard)
--received     prepend a Received: header as Postfix does (not shown to the filter)
--wire-lf      send the body with the message file's line ends untouched
               (bare LF for an LF file), as a sloppy MTA might; default CRLF
--lf           write the delivered message with LF line ends
--queue-id ID  the queue id (macro "i", sent from DATA on; default random)
-v             print the negotiation and every modification request on stderr
--trace        print every packet on stderr

Exit status: 0 when the conversation completed (whatever the filter decided),
1 on a protocol error (connection closed, malformed packet, timeout), 2 on
usage or input errors.
"""
import argparse
import os
import random
import socket
import struct
import sys

from milterrender import render   # the message as delivered

# Commands (MTA to filter)
SMFIC_ABORT, SMFIC_BODY, SMFIC_CONNECT, SMFIC_MACRO = b"A", b"B", b"C", b"D"
SMFIC_BODYEOB, SMFIC_HELO, SMFIC_QUIT_NC, SMFIC_HEADER = b"E", b"H", b"K", b"L"
SMFIC_MAIL, SMFIC_EOH, SMFIC_OPTNEG, SMFIC_QUIT = b"M", b"N", b"O", b"Q"
SMFIC_RCPT, SMFIC_DATA, SMFIC_UNKNOWN = b"R", b"T", b"U"

# Actions the filter may request (SMFIF_*)
SMFIF_ADDHDRS, SMFIF_CHGBODY, SMFIF_ADDRCPT, SMFIF_DELRCPT = 0x1, 0x2, 0x4, 0x8
SMFIF_CHGHDRS, SMFIF_QUARANTINE, SMFIF_CHGFROM = 0x10, 0x20, 0x40
SMFIF_ADDRCPT_PAR, SMFIF_SETSYMLIST = 0x80, 0x100
ALL_ACTIONS = 0x1FF

# Protocol bits (SMFIP_*)
SMFIP_NOCONNECT, SMFIP_NOHELO, SMFIP_NOMAIL, SMFIP_NORCPT = 0x1, 0x2, 0x4, 0x8
SMFIP_NOBODY, SMFIP_NOHDRS, SMFIP_NOEOH, SMFIP_NR_HDR = 0x10, 0x20, 0x40, 0x80
SMFIP_NOUNKNOWN, SMFIP_NODATA, SMFIP_SKIP, SMFIP_RCPT_REJ = 0x100, 0x200, 0x400, 0x800
SMFIP_NR_CONN, SMFIP_NR_HELO, SMFIP_NR_MAIL, SMFIP_NR_RCPT = 0x1000, 0x2000, 0x4000, 0x8000
SMFIP_NR_DATA, SMFIP_NR_UNKN, SMFIP_NR_EOH, SMFIP_NR_BODY = 0x10000, 0x20000, 0x40000, 0x80000
SMFIP_HDR_LEADSPC = 0x100000
ALL_PROTOCOL = 0x1FFFFF

MILTER_CHUNK_SIZE = 65535
MAX_PACKET = (1 << 20) + 64

# Macro stages, as in SMFIR_SETSYMLIST / smfi_setsymlist
SMFIM_CONNECT, SMFIM_HELO, SMFIM_ENVFROM, SMFIM_ENVRCPT = 0, 1, 2, 3
SMFIM_DATA, SMFIM_EOM, SMFIM_EOH = 4, 5, 6

# Postfix 3.7's default macro lists (milter_*_macros)
POSTFIX_MACROS = {
    SMFIM_CONNECT: "j {daemon_name} {daemon_addr} v _",
    SMFIM_HELO: "{tls_version} {cipher} {cipher_bits} {cert_subject} {cert_issuer}",
    SMFIM_ENVFROM: "i {auth_type} {auth_authen} {auth_author} {mail_addr} "
                   "{mail_host} {mail_mailer}",
    SMFIM_ENVRCPT: "i {rcpt_addr} {rcpt_host} {rcpt_mailer}",
    SMFIM_DATA: "i",
    SMFIM_EOH: "i",
    SMFIM_EOM: "i",
}

# Which command character carries which stage's macros
STAGE_CMD = {
    SMFIM_CONNECT: SMFIC_CONNECT, SMFIM_HELO: SMFIC_HELO, SMFIM_ENVFROM: SMFIC_MAIL,
    SMFIM_ENVRCPT: SMFIC_RCPT, SMFIM_DATA: SMFIC_DATA, SMFIM_EOH: SMFIC_EOH,
    SMFIM_EOM: SMFIC_BODYEOB,
}

REPLY_NAMES = {
    "a": "accept", "c": "continue", "d": "discard", "r": "reject", "t": "tempfail",
    "y": "replycode", "s": "skip", "f": "connfail", "4": "shutdown",
}
MOD_CODES = "+-2behimq"



class ProtocolError(Exception):
    """The filter broke the protocol (or the connection)."""


class Reply(object):
    """The filter's answer to one event.

    stage:  "connect", "helo", "mail", "rcpt", "data", "header", "eoh",
            "body", "eom"
    code:   the reply character ("c", "a", "r", "t", "y", "d", "s", ...) or
            "noreply" when the filter negotiated no reply for that event
    text:   for "y", the SMTP reply ("451 4.7.5 text"); for "r"/"t" the
            reply Postfix would give instead
    """

    def __init__(self, stage, code, text=""):
        self.stage, self.code, self.text = stage, code, text

    @property
    def action(self):
        if self.code == "y":
            return {"4": "tempfail", "5": "reject"}.get(self.text[:1], "replycode")
        return REPLY_NAMES.get(self.code, self.code)

    @property
    def ok(self):
        """The event passed: the MTA goes on (continue, accept, no reply, skip)."""
        return self.code in ("c", "a", "noreply", "s", "p")

    def __str__(self):
        return ("%s: %s %s" % (self.stage, self.action, self.text)).rstrip()

    __repr__ = __str__


class Mod(object):
    """One modification request at end of message."""

    def __init__(self, code, name=None, value=None, index=None, args=None):
        self.code, self.name, self.value, self.index, self.args = (
            code, name, value, index, args)

    def __str__(self):
        kind = {"h": "addheader", "i": "insheader", "m": "chgheader",
                "e": "chgfrom", "+": "addrcpt", "2": "addrcpt_par",
                "-": "delrcpt", "b": "replbody", "q": "quarantine"}[self.code]
        parts = [kind]
        if self.index is not None:
            parts.append(str(self.index))
        if self.name is not None:
            parts.append(self.name.decode("latin-1"))
        if self.value is not None:
            v = self.value.decode("latin-1")
            parts.append(repr(v if len(v) < 200 else v[:200] + "..."))
        if self.args:
            parts.append(repr(self.args.decode("latin-1")))
        return " ".join(parts)

    __repr__ = __str__


class Negotiated(object):
    def __init__(self, version, actions, protocol, symlists):
        self.version, self.actions, self.protocol = version, actions, protocol
        self.symlists = symlists      # {stage: [macro names]}

    def __str__(self):
        return "version=%d actions=0x%x protocol=0x%x symlists=%r" % (
            self.version, self.actions, self.protocol, self.symlists)


def _cstr(b):
    if isinstance(b, str):
        b = b.encode("utf-8", "surrogateescape")
    if b"\0" in b:
        raise ValueError("NUL in milter string %r" % b)
    return b + b"\0"


class MilterClient(object):
    """One connection to a filter: the protocol, event by event.

    Every event method sends the stage's macros (values from self.macros,
    names per Postfix's defaults or the filter's SETSYMLIST), then the event,
    and returns a Reply.  eom() also fills self.mods.
    """

    def __init__(self, path, timeout=30.0):
        if path.startswith(("unix:", "local:")):
            path = path.split(":", 1)[1]
        if path.startswith(("inet:", "inet6:")):
            port, _, host = path.split(":", 1)[1].partition("@")
            fam = socket.AF_INET6 if path.startswith("inet6:") else socket.AF_INET
            self.sock = socket.socket(fam, socket.SOCK_STREAM)
            self.sock.settimeout(timeout)
            self.sock.connect((host or "127.0.0.1", int(port)))
        else:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(timeout)
            self.sock.connect(path)
        self.neg = None
        self.protocol = 0
        self.macros = {}          # name -> value (str), e.g. {"j": "mta.example"}
        self.mods = []
        self.log = None           # callable(str) for tracing

    # --- packets -----------------------------------------------------------
    def close(self):
        if self.sock is not None:
            try:
                self.sock.close()
            finally:
                self.sock = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, cmd, data=b""):
        if self.log:
            self.log("> %s %r" % (cmd.decode(), data[:80]))
        try:
            self.sock.sendall(struct.pack(">I", len(data) + 1) + cmd + data)
        except OSError as e:
            raise ProtocolError("sending %s: %s" % (cmd.decode(), e))

    def _recvn(self, n):
        buf = b""
        while len(buf) < n:
            try:
                b = self.sock.recv(n - len(buf))
            except socket.timeout:
                raise ProtocolError("timeout waiting for the filter")
            except OSError as e:
                raise ProtocolError("reading: %s" % e)
            if not b:
                raise ProtocolError("connection closed by the filter")
            buf += b
        return buf

    def recv(self):
        n = struct.unpack(">I", self._recvn(4))[0]
        if n < 1 or n > MAX_PACKET:
            raise ProtocolError("bad packet length %d" % n)
        data = self._recvn(n)
        if self.log:
            self.log("< %s %r" % (data[:1].decode("latin-1"), data[1:80]))
        return data[:1].decode("latin-1"), data[1:]

    # --- negotiation ---------------------------------------------------------
    def negotiate(self, version=6, actions=ALL_ACTIONS, protocol=ALL_PROTOCOL):
        self.send(SMFIC_OPTNEG, struct.pack(">III", version, actions, protocol))
        code, data = self.recv()
        if code != "O":
            raise ProtocolError("negotiation reply %r" % code)
        if len(data) < 12:
            raise ProtocolError("short negotiation reply (%d bytes)" % len(data))
        v, a, p = struct.unpack(">III", data[:12])
        if v > version:
            raise ProtocolError("filter version %d > ours %d" % (v, version))
        if a & ~actions:
            raise ProtocolError("filter wants actions 0x%x beyond 0x%x" % (a, actions))
        symlists = {}
        rest = data[12:]
        while rest:
            if len(rest) < 5:
                raise ProtocolError("truncated symbol list in negotiation reply")
            stage = struct.unpack(">I", rest[:4])[0]
            names, nul, rest = rest[4:].partition(b"\0")
            if not nul:
                raise ProtocolError("unterminated symbol list")
            if stage not in STAGE_CMD:
                raise ProtocolError("symbol list for unknown stage %d" % stage)
            symlists[stage] = names.decode("latin-1").split()
        self.neg = Negotiated(v, a, p, symlists)
        self.protocol = p
        return self.neg

    @property
    def leadspc(self):
        return bool(self.protocol & SMFIP_HDR_LEADSPC)

    def macro_names(self, stage):
        if self.neg is not None and stage in self.neg.symlists:
            return self.neg.symlists[stage]
        return POSTFIX_MACROS[stage].split()

    def send_macros(self, stage):
        data = b""
        for name in self.macro_names(stage):
            key = name[1:-1] if name.startswith("{") and len(name) > 2 else name
            val = self.macros.get(key, self.macros.get("{%s}" % key))
            if val is None:
                continue
            nm = ("{%s}" % key) if len(key) > 1 else key
            data += _cstr(nm) + _cstr(val)
        if data:
            self.send(SMFIC_MACRO, STAGE_CMD[stage] + data)

    # --- events ------------------------------------------------------------
    def _event(self, stage, cmd, data, no_bit, nr_bit, mstage=None):
        """Send one event; returns None if the filter does not want it."""
        if no_bit and self.protocol & no_bit:
            return None
        if mstage is not None:
            self.send_macros(mstage)
        self.send(cmd, data)
        if nr_bit and self.protocol & nr_bit:
            return Reply(stage, "noreply")
        return self._reply(stage)

    def _reply(self, stage):
        while True:
            code, data = self.recv()
            if code == "p":           # progress: keep waiting
                continue
            if code in MOD_CODES:
                if stage != "eom":
                    raise ProtocolError("modification %r outside end of message" % code)
                self.mods.append(self._parse_mod(code, data))
                continue
            if code == "y":
                return Reply(stage, code, data.rstrip(b"\0").decode("utf-8", "replace"))
            if code == "t":
                return Reply(stage, code, "451 4.7.1 Service unavailable - try again later")
            if code == "r":
                return Reply(stage, code, "550 5.7.1 Command rejected")
            if code in REPLY_NAMES:
                if data:
                    raise ProtocolError("reply %r with %d data bytes" % (code, len(data)))
                return Reply(stage, code)
            raise ProtocolError("unexpected reply %r at %s" % (code, stage))

    @staticmethod
    def _strings(data, n, what):
        if not data.endswith(b"\0"):
            raise ProtocolError("%s: unterminated string" % what)
        parts = data[:-1].split(b"\0")
        if len(parts) != n:
            raise ProtocolError("%s: %d strings, want %d" % (what, len(parts), n))
        return parts

    def _parse_mod(self, code, data):
        if code in ("h",):
            name, value = self._strings(data, 2, "addheader")
            return Mod(code, name=name, value=value)
        if code in ("i", "m"):
            if len(data) < 4:
                raise ProtocolError("short header modification")
            idx = struct.unpack(">I", data[:4])[0]
            name, value = self._strings(data[4:], 2, "ins/chgheader")
            return Mod(code, name=name, value=value, index=idx)
        if code in ("e", "2"):
            if not data.endswith(b"\0"):
                raise ProtocolError("chgfrom/addrcpt_par: unterminated")
            parts = data[:-1].split(b"\0")
            if len(parts) > 2:
                raise ProtocolError("chgfrom/addrcpt_par: %d strings" % len(parts))
            return Mod(code, name=parts[0], args=parts[1] if len(parts) > 1 else None)
        if code in ("+", "-", "q"):
            (s,) = self._strings(data, 1, "rcpt/quarantine")
            return Mod(code, name=s)
        if code == "b":
            return Mod(code, value=data)
        raise ProtocolError("unknown modification %r" % code)

    def connect(self, hostname, ip, port=25, family=None):
        if family is None:
            family = "6" if ":" in ip else "4"
        self.macros.setdefault("client_addr", ip)
        self.macros.setdefault("client_name", hostname)
        self.macros.setdefault("_", "%s [%s]" % (hostname, ip))
        data = _cstr(hostname) + family.encode()
        if family in ("4", "6"):
            data += struct.pack(">H", port) + _cstr(ip)
        elif family == "L":
            data += struct.pack(">H", 0) + _cstr(ip)
        return self._event("connect", SMFIC_CONNECT, data, SMFIP_NOCONNECT,
                           SMFIP_NR_CONN, SMFIM_CONNECT)

    def helo(self, name):
        return self._event("helo", SMFIC_HELO, _cstr(name), SMFIP_NOHELO,
                           SMFIP_NR_HELO, SMFIM_HELO)

    def mail(self, sender, args=()):
        self.mods = []
        self.macros["mail_addr"] = sender.strip("<>")
        data = _cstr("<%s>" % sender.strip("<>")) + b"".join(_cstr(a) for a in args)
        return self._event("mail", SMFIC_MAIL, data, SMFIP_NOMAIL,
                           SMFIP_NR_MAIL, SMFIM_ENVFROM)

    def rcpt(self, rcpt, args=()):
        self.macros["rcpt_addr"] = rcpt.strip("<>")
        data = _cstr("<%s>" % rcpt.strip("<>")) + b"".join(_cstr(a) for a in args)
        return self._event("rcpt", SMFIC_RCPT, data, SMFIP_NORCPT,
                           SMFIP_NR_RCPT, SMFIM_ENVRCPT)

    def data(self):
        return self._event("data", SMFIC_DATA, b"", SMFIP_NODATA, SMFIP_NR_DATA,
                           SMFIM_DATA)

    def header(self, name, value):
        """value: as on the wire after "Name:" (leading space included, folded
        lines joined by LF); the one leading space is dropped unless the
        filter negotiated SMFIP_HDR_LEADSPC, as Postfix does."""
        if isinstance(name, str):
            name = name.encode()
        if not self.leadspc and value.startswith(b" "):
            value = value[1:]
        return self._event("header", SMFIC_HEADER, _cstr(name) + _cstr(value),
                           SMFIP_NOHDRS, SMFIP_NR_HDR, SMFIM_EOH)

    def eoh(self):
        return self._event("eoh", SMFIC_EOH, b"", SMFIP_NOEOH, SMFIP_NR_EOH,
                           SMFIM_EOH)

    def body(self, chunk):
        if len(chunk) > MILTER_CHUNK_SIZE:
            raise ValueError("body chunk of %d bytes > %d" % (len(chunk), MILTER_CHUNK_SIZE))
        return self._event("body", SMFIC_BODY, chunk, SMFIP_NOBODY, SMFIP_NR_BODY,
                           SMFIM_EOM)

    def eom(self):
        return self._event("eom", SMFIC_BODYEOB, b"", 0, 0, SMFIM_EOM)

    def abort(self):
        self.send(SMFIC_ABORT)

    def quit(self):
        try:
            self.send(SMFIC_QUIT)
        except ProtocolError:
            pass


class Message(object):
    """A message split as an MTA sees it.

    headers: list of (name, raw) where raw is everything after the colon,
             continuation lines joined with b"\\n" and no line end at the end
    body:    the body as lines, each without its line end (list of bytes)
    body_raw: the body bytes exactly as in the file
    """

    def __init__(self, headers, body_lines, body_raw, final_newline=True):
        self.headers = headers
        self.body_lines = body_lines
        self.body_raw = body_raw
        self.final_newline = final_newline

    @classmethod
    def from_bytes(cls, data):
        headers = []
        pos = 0
        n = len(data)
        while pos < n:
            end = data.find(b"\n", pos)
            if end < 0:
                line, nxt = data[pos:], n
            else:
                line, nxt = data[pos:end], end + 1
            if line.endswith(b"\r"):
                line = line[:-1]
            if line == b"":
                pos = nxt
                break
            if line[:1] in (b" ", b"\t"):
                if not headers:
                    raise ValueError("message starts with a continuation line")
                name, raw = headers[-1]
                headers[-1] = (name, raw + b"\n" + line)
            else:
                colon = line.find(b":")
                name = line[:colon].rstrip(b" \t") if colon > 0 else b""
                if colon <= 0 or not name or any(c <= 32 or c > 126 for c in name):
                    raise ValueError("not a header line: %r" % line[:80])
                headers.append((name, line[colon + 1:]))
            pos = nxt
        else:
            pos = n
        body_raw = data[pos:]
        lines = body_raw.split(b"\n")
        final_newline = body_raw == b"" or body_raw.endswith(b"\n")
        if final_newline:
            lines = lines[:-1]
        lines = [l[:-1] if l.endswith(b"\r") else l for l in lines]
        return cls(headers, lines, body_raw, final_newline)

    def wire_body(self, raw=False):
        """The body as the MTA hands it to the filter: CRLF lines (SMTP adds a
        line end to an unterminated last line), or the file's bytes (raw)."""
        if raw:
            return self.body_raw
        return b"".join(l + b"\r\n" for l in self.body_lines)


class Envelope(object):
    def __init__(self, client_ip, sender, rcpts, auth=None, client_name=None,
                 helo="client.repguard.test", port=25, mail_args=()):
        self.client_ip, self.sender, self.rcpts, self.auth = client_ip, sender, rcpts, auth
        self.mail_args = list(mail_args)      # ESMTP parameters of MAIL FROM
        self.client_name = client_name or "client.repguard.test"
        self.helo, self.port = helo, port


class Result(object):
    def __init__(self):
        self.reply = None             # the deciding Reply
        self.replies = []             # every Reply, in order
        self.rcpt_replies = []
        self.mods = []
        self.neg = None
        self.delivered = None         # bytes, or None when not delivered
        self.sender = None            # envelope after CHGFROM etc.
        self.rcpts = []
        self.quarantine = None
        self.queue_id = None


def _queue_id():
    return "".join(random.choice("0123456789ABCDEF") for _ in range(10))


def run_session(path, msg, env, chunk=MILTER_CHUNK_SIZE, wire_lf=False,
                received=False, crlf=True, timeout=30.0, log=None, macros=None,
                protocol=ALL_PROTOCOL, actions=ALL_ACTIONS, queue_id=None):
    """One SMTP session with one message; returns a Result."""
    if chunk < 1 or chunk > MILTER_CHUNK_SIZE:
        raise ValueError("chunk must be 1..%d" % MILTER_CHUNK_SIZE)
    res = Result()
    qid = queue_id or _queue_id()
    res.queue_id = qid
    with MilterClient(path, timeout) as cl:
        cl.log = log
        cl.macros.update({
            "j": "mta.repguard.test", "daemon_name": "repguard-test",
            "daemon_addr": "127.0.0.1", "v": "Postfix 3.7.11",
            "client_addr": env.client_ip, "client_name": env.client_name,
            "client_port": str(env.port),
        })
        if macros:
            cl.macros.update(macros)
        res.neg = cl.negotiate(actions=actions, protocol=protocol)

        def step(r):
            if r is not None:
                res.replies.append(r)
            return r

        def finish(r):
            res.reply = r
            try:
                cl.abort()
            except ProtocolError:
                pass
            cl.quit()
            return res

        r = step(cl.connect(env.client_name, env.client_ip, env.port))
        if r is not None and not r.ok:
            res.reply = r
            cl.quit()
            return res
        if r is None or r.code != "a":      # accept at connect: no more events
            r = step(cl.helo(env.helo))
            if r is not None and not r.ok:
                return finish(r)
        if r is not None and r.code == "a":
            res.reply = r
            res.sender, res.rcpts = env.sender, list(env.rcpts)
            res.delivered = render(msg, [], cl.leadspc, received, env, qid, crlf)
            cl.quit()
            return res
        if env.auth:
            cl.macros.update({"auth_type": "PLAIN", "auth_authen": env.auth})
        else:
            cl.macros.pop("auth_type", None)
            cl.macros.pop("auth_authen", None)
        cl.macros.update({"mail_mailer": "smtp", "mail_host":
                          env.sender.rpartition("@")[2] or "mta.repguard.test"})
        cl.macros.pop("i", None)     # no queue id before DATA (SMTP mail)
        r = step(cl.mail(env.sender, env.mail_args))
        res.reply = r
        if r is not None and r.code == "a":
            # accepted: no more events for this message, delivered unchanged
            res.sender, res.rcpts = env.sender, list(env.rcpts)
            res.delivered = render(msg, [], cl.leadspc, received, env, qid, crlf)
            cl.quit()
            return res
        if r is not None and not r.ok:
            return finish(r)
        accepted = []
        msg_accepted = False
        for rc in env.rcpts:
            cl.macros.update({"rcpt_mailer": "smtp", "rcpt_host":
                              rc.rpartition("@")[2]})
            r = step(cl.rcpt(rc))
            res.rcpt_replies.append(r)
            if r is None or r.ok:
                accepted.append(rc)
                if r is not None and r.code == "a":
                    msg_accepted = True
                    break
            elif r.code == "d":
                return finish(r)
        if not accepted:
            return finish(res.rcpt_replies[-1] if res.rcpt_replies else
                          Reply("rcpt", "r", "554 5.5.1 No valid recipients"))
        if msg_accepted:
            res.reply = res.rcpt_replies[-1]
            res.sender, res.rcpts = env.sender, accepted
            res.delivered = render(msg, [], cl.leadspc, received, env, qid, crlf)
            cl.quit()
            return res
        cl.macros["i"] = qid
        r = step(cl.data())
        if r is not None and r.code == "a":
            res.reply = r
            res.sender, res.rcpts = env.sender, accepted
            res.delivered = render(msg, [], cl.leadspc, received, env, qid, crlf)
            cl.quit()
            return res
        if r is not None and not r.ok:
            return finish(r)
        skip_to_eom = False
        for name, raw in msg.headers:
            r = step(cl.header(name, raw))
            if r is not None and r.code == "a":
                skip_to_eom = "accept"
                break
            if r is not None and not r.ok:
                return finish(r)
        if not skip_to_eom:
            r = step(cl.eoh())
            if r is not None and r.code == "a":
                skip_to_eom = "accept"
            elif r is not None and not r.ok:
                return finish(r)
        if skip_to_eom == "accept":
            res.reply = r
            res.sender, res.rcpts = env.sender, accepted
            res.delivered = render(msg, [], cl.leadspc, received, env, qid, crlf)
            cl.quit()
            return res
        body = msg.wire_body(raw=wire_lf)
        for off in range(0, len(body), chunk):
            r = step(cl.body(body[off:off + chunk]))
            if r is None:
                break
            if r.code == "s":
                if not cl.protocol & SMFIP_SKIP:
                    raise ProtocolError("SMFIR_SKIP without SMFIP_SKIP")
                break
            if r.code == "a":
                res.reply = r
                res.sender, res.rcpts = env.sender, accepted
                res.delivered = render(msg, [], cl.leadspc, received, env, qid, crlf)
                cl.quit()
                return res
            if not r.ok:
                return finish(r)
        r = step(cl.eom())
        res.reply = r
        res.mods = list(cl.mods)
        cl.quit()
    if r.code in ("c", "a"):
        res.sender, res.rcpts = env.sender, list(accepted)
        for m in res.mods:
            if m.code == "e":
                res.sender = m.name.decode("latin-1").strip("<>")
            elif m.code in ("+", "2"):
                res.rcpts.append(m.name.decode("latin-1").strip("<>"))
            elif m.code == "-":
                x = m.name.decode("latin-1").strip("<>").lower()
                res.rcpts = [a for a in res.rcpts if a.strip("<>").lower() != x]
            elif m.code == "q":
                res.quarantine = m.name.decode("latin-1")
        res.delivered = render(msg, res.mods, cl.leadspc, received, env, qid, crlf)
    return res


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="MTA side of the milter protocol: send one message through "
                    "a filter and write the message as it would be delivered.")
    ap.add_argument("--socket", required=True,
                    help="filter socket: PATH, unix:PATH or inet:PORT@HOST")
    ap.add_argument("--client-ip", required=True)
    ap.add_argument("--client-name", default="client.repguard.test")
    ap.add_argument("--helo", default="client.repguard.test")
    ap.add_argument("--auth", default=None, help="SASL login ({auth_authen})")
    ap.add_argument("--from", dest="sender", required=True)
    ap.add_argument("--rcpt", action="append", required=True)
    ap.add_argument("--message", required=True)
    ap.add_argument("--chunk", type=int, default=MILTER_CHUNK_SIZE)
    ap.add_argument("--out")
    ap.add_argument("--received", action="store_true")
    ap.add_argument("--wire-lf", action="store_true")
    ap.add_argument("--lf", action="store_true")
    ap.add_argument("--timeout", type=float, default=30.0)
    ap.add_argument("--queue-id", help="the queue id macro i (default: random)")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--trace", action="store_true", help="log every packet on stderr")
    a = ap.parse_args(argv)
    try:
        with open(a.message, "rb") as f:
            msg = Message.from_bytes(f.read())
    except (OSError, ValueError) as e:
        print("milterclient: %s: %s" % (a.message, e), file=sys.stderr)
        return 2
    if a.chunk < 1 or a.chunk > MILTER_CHUNK_SIZE:
        print("milterclient: --chunk must be 1..%d" % MILTER_CHUNK_SIZE, file=sys.stderr)
        return 2
    env = Envelope(a.client_ip, a.sender, a.rcpt, a.auth, a.client_name, a.helo)
    log = (lambda s: print("trace: " + s, file=sys.stderr)) if a.trace else None
    if a.out:
        try:
            os.unlink(a.out)
        except FileNotFoundError:
            pass
    try:
        res = run_session(a.socket, msg, env, chunk=a.chunk, wire_lf=a.wire_lf,
                          received=a.received, crlf=not a.lf, timeout=a.timeout,
                          log=log, queue_id=a.queue_id)
    except (ProtocolError, OSError) as e:
        print("milterclient: %s" % e, file=sys.stderr)
        return 1
    if a.verbose:
        print("negotiated: %s" % res.neg, file=sys.stderr)
        for m in res.mods:
            print("mod: %s" % m, file=sys.stderr)
    print(str(res.reply), flush=True)
    if a.out and res.delivered is not None:
        with open(a.out, "wb") as f:
            f.write(res.delivered)
    return 0


if __name__ == "__main__":
    sys.exit(main())
