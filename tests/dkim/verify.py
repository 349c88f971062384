#!/usr/bin/python3
"""verify.py - verify every DKIM-Signature of a message with Debian's
python3-dkim (dkimpy), an implementation independent of repguard's
libopendkim.  Public keys come from files given on the command line: no DNS.

    /usr/bin/python3 verify.py [--key SELECTOR._domainkey.DOMAIN=TXTFILE ...]
                               [--expect N | --all-fail] [--minkey BITS] [-v]
                               MESSAGE

--key NAME=FILE  the TXT record of NAME: either the record text
                 ("v=DKIM1; k=rsa; p=...") or zone-file form
                 (NAME. IN TXT ( "v=DKIM1; k=rsa; " "p=..." )), whose quoted
                 strings are joined.  A lookup of any other name finds nothing.
--expect N       exactly N signatures are required (default: at least 1);
                 --expect 0 succeeds only for a message without signatures
--all-fail       the opposite test, for a tampered message: succeed only if
                 there is a signature and every one fails
-v               log dkimpy's debug output on stderr

Prints one line per signature, topmost first:

    0 d=example.com s=sel a=rsa-sha256 c=relaxed/relaxed h=from:to:subject l=- result=pass
    1 d=... result=fail reason=body hash mismatch ...

then "signatures=N pass=P fail=F".  Exit status 0 if the number of
signatures is as expected and every one passes (with --all-fail: if there
is one at least and none passes), 1 otherwise, 2 on usage or file errors.  MESSAGE may use CRLF or LF line ends ("-" reads stdin).
"""
import logging
import re
import sys
import types

# No DNS: keys come from --key only.  A stub dkim.dnsplug keeps dkim from
# importing dnspython at all (a third of a second per run, and a resolver
# this test must never use).
_stub = types.ModuleType("dkim.dnsplug")
_stub.get_txt = lambda name, timeout=5: None
sys.modules.setdefault("dkim.dnsplug", _stub)

try:
    import dkim
except ImportError:
    sys.exit("verify.py: python3-dkim is missing (run it with /usr/bin/python3)")


class Collect(logging.Handler):
    def __init__(self):
        logging.Handler.__init__(self, logging.DEBUG)
        self.lines = []

    def emit(self, rec):
        self.lines.append(rec.getMessage())


def read_txt(path):
    with open(path, "rb") as f:
        text = f.read().decode("ascii")
    if '"' in text:
        text = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', text))
    return " ".join(text.split()).encode("ascii")


def tag(sig, name):
    v = sig.get(name)
    if v is None:
        return "-"
    return re.sub(rb"\s+", b"", v).decode("ascii", "replace")


def main(argv):
    keys = {}
    expect = None
    all_fail = False
    minkey = 1024
    verbose = False
    args = list(argv)
    path = None
    while args:
        a = args.pop(0)
        if a == "--key" and args:
            spec = args.pop(0)
            name, eq, fn = spec.partition("=")
            if not eq or not name or not fn:
                print("verify.py: --key wants NAME=FILE, got %r" % spec, file=sys.stderr)
                return 2
            try:
                keys[name.lower().rstrip(".")] = read_txt(fn)
            except (OSError, UnicodeDecodeError) as e:
                print("verify.py: %s: %s" % (fn, e), file=sys.stderr)
                return 2
        elif a == "--expect" and args:
            expect = int(args.pop(0))
        elif a == "--all-fail":
            all_fail = True
        elif a == "--minkey" and args:
            minkey = int(args.pop(0))
        elif a == "-v":
            verbose = True
        elif a.startswith("-") and a != "-":
            print(__doc__, file=sys.stderr)
            return 2
        elif path is None:
            path = a
        else:
            print(__doc__, file=sys.stderr)
            return 2
    if path is None or (all_fail and expect is not None):
        print(__doc__, file=sys.stderr)
        return 2
    try:
        if path == "-":
            message = sys.stdin.buffer.read()
        else:
            with open(path, "rb") as f:
                message = f.read()
    except OSError as e:
        print("verify.py: %s" % e, file=sys.stderr)
        return 2

    lookups = []

    def dnsfunc(name, timeout=5):
        if isinstance(name, bytes):
            name = name.decode("ascii", "replace")
        n = name.lower().rstrip(".")
        lookups.append(n)
        return keys.get(n)

    try:
        d0 = dkim.DKIM(message)
        sigs = [v for k, v in d0.headers if k.lower() == b"dkim-signature"]
    except dkim.DKIMException as e:
        print("verify.py: cannot parse the message: %s" % e)
        return 1
    npass = nfail = 0
    for i in range(len(sigs)):
        col = Collect()
        log = logging.getLogger("verify.py.%d" % i)
        log.setLevel(logging.DEBUG)
        log.propagate = False
        log.addHandler(col)
        if verbose:
            log.addHandler(logging.StreamHandler(sys.stderr))
        try:
            fields = dkim.parse_tag_value(sigs[i])
        except Exception as e:     # malformed tag list
            fields = {}
        d = dkim.DKIM(message, logger=log, minkey=minkey)
        reason = ""
        try:
            ok = d.verify(idx=i, dnsfunc=dnsfunc)
        except dkim.DKIMException as e:
            ok, reason = False, "%s: %s" % (type(e).__name__, e)
        if not ok and not reason:
            errs = [l for l in col.lines if not l.startswith(("sig:", "bh:", "hashed:"))]
            reason = errs[-1] if errs else "signature did not verify"
        line = "%d d=%s s=%s a=%s c=%s h=%s l=%s result=%s" % (
            i, tag(fields, b"d"), tag(fields, b"s"), tag(fields, b"a"),
            tag(fields, b"c") if b"c" in fields else "simple/simple(default)",
            tag(fields, b"h"), tag(fields, b"l"), "pass" if ok else "fail")
        if not ok:
            line += " reason=" + " ".join(str(reason).split())[:300]
        print(line)
        if ok:
            npass += 1
        else:
            nfail += 1
    print("signatures=%d pass=%d fail=%d" % (len(sigs), npass, nfail))
    if all_fail:
        good = len(sigs) >= 1 and npass == 0
    elif expect is not None:
        good = len(sigs) == expect and nfail == 0
    else:
        good = len(sigs) >= 1 and nfail == 0
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
