"""milterrender.py - the message as an MTA delivers it after a milter's
modification requests (SMFIR_ADDHEADER, INSHEADER, CHGHEADER, REPLBODY), for
tests/lib/milterclient.py, which imports render() from here.

    render(msg, mods, leadspc, received=False, env=None, qid="", crlf=True)

msg is a milterclient.Message, mods its Mod list, leadspc whether the filter
negotiated SMFIP_HDR_LEADSPC.  With received=True the MTA's own Received:
header (which the filter never sees) is put on top, as Postfix does.
"""
import time


def _fix_lines(value):
    """A header value from the filter: line breaks (LF, CRLF) as LF."""
    return value.replace(b"\r\n", b"\n")


def render(msg, mods, leadspc, received=False, env=None, qid="", crlf=True):
    """The message as the MTA delivers it after the modifications."""
    # Each header: [name, raw-after-colon (LF between folded lines), shown]
    hdrs = [[n, v, True] for n, v in msg.headers]
    if received and env is not None:
        date = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime())
        rcv = (" from %s (%s [%s])\n\tby mta.repguard.test (Postfix) with ESMTP id %s\n"
               "\tfor <%s>; %s" % (env.helo, env.client_name, env.client_ip, qid,
                                    env.rcpts[0].strip("<>") if env.rcpts else "", date))
        hdrs.insert(0, [b"Received", rcv.encode(), False])
    sp = b"" if leadspc else b" "
    body = msg.body_lines
    replbody = None
    for m in mods:
        if m.code == "h":
            hdrs.append([m.name, sp + _fix_lines(m.value), True])
        elif m.code == "i":
            # Postfix: index + 1, 1-based, relative to the message as
            # delivered (its own Received: header included)
            pos = min(m.index, len(hdrs))
            hdrs.insert(pos, [m.name, sp + _fix_lines(m.value), True])
        elif m.code == "m":
            # the index-th header of that name as the filter saw them
            # (not counting the MTA's Received: header); 0 means 1
            want = m.index or 1
            k = 0
            for i, h in enumerate(hdrs):
                if h[2] and h[0].lower() == m.name.lower():
                    k += 1
                    if k == want:
                        if m.value == b"":
                            del hdrs[i]
                        else:
                            h[1] = sp + _fix_lines(m.value)
                        break
            else:
                if m.value != b"":
                    hdrs.append([m.name, sp + _fix_lines(m.value), True])
        elif m.code == "b":
            replbody = (replbody or b"") + m.value
    if replbody is not None:
        lines = replbody.replace(b"\r\n", b"\n").split(b"\n")
        if lines and lines[-1] == b"":
            lines = lines[:-1]
        body = lines
    eol = b"\r\n" if crlf else b"\n"
    out = []
    for name, raw, _ in hdrs:
        text = name + b":" + raw
        out.append(eol.join(text.split(b"\n")) + eol)
    out.append(eol)
    out.extend(l + eol for l in body)
    return b"".join(out)
