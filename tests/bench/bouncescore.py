#!/usr/bin/python3
"""bouncescore.py - how well repguardctl parse-bounce reads a corpus of
real bounces with expected answers (a folder of .eml files and an
expected.json, as ../shared/corpus/bounces holds).

    tests/bench/bouncescore.py [--repguardctl PATH] [--rules FILE]
                               [--corpus DIR] [-v] [--misses]

Per expected recipient (matched by position, as the corpus names no
addresses): found (parse-bounce gave a recipient at that position), class
(its class is one the entry accepts; any when the entry accepts any),
status (the enhanced status code, or only its first digit where the entry
knows no more).  Per message: recognised (anything but not-bounce, for
messages that expect a failure, a complaint or an auto-reply).  The last
line is

    found F/N  class C/N  status S/N  recognised R/M

Skipped (exit 0, a note on stderr) when the corpus folder is absent.  Run
by hand; not part of make check.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile


def main():
    top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap = argparse.ArgumentParser()
    ap.add_argument("--repguardctl", default=os.path.join(top, "build", "plain", "repguardctl"))
    ap.add_argument("--rules", default=None, help="a BounceRules file (default: none, the built-in rules)")
    ap.add_argument("--corpus", default=os.path.join(os.path.dirname(top), "shared", "corpus", "bounces"))
    ap.add_argument("-v", action="store_true", help="one line per message")
    ap.add_argument("--misses", action="store_true", help="one line per entry that missed")
    a = ap.parse_args()
    exp_path = os.path.join(a.corpus, "expected.json")
    if not os.path.isfile(exp_path):
        print("bouncescore: no corpus at %s: skipped" % a.corpus, file=sys.stderr)
        return 0
    expected = json.load(open(exp_path))
    conf = tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False)
    conf.write("Syslog no\n")
    conf.close()
    n = found = cls = status = 0
    msgs = recog = 0
    try:
        for name in sorted(expected):
            want = expected[name]
            args = [a.repguardctl, "-c", conf.name, "parse-bounce", os.path.join(a.corpus, name)]
            if a.rules:
                args += ["--rules", a.rules]
            p = subprocess.run(args, capture_output=True, text=True)
            try:
                got = json.loads(p.stdout.splitlines()[0])
            except (ValueError, IndexError):
                got = {"type": "error", "recipients": []}
            rcpts = got.get("recipients") or []
            wants = [r for r in want["recipients"] if r["class"] != "delivered"]
            if wants:
                msgs += 1
                recog += got.get("type") not in ("not-bounce", "error")
            line = []
            for i, w in enumerate(wants):
                n += 1
                g = rcpts[i] if i < len(rcpts) else None
                ok_f = g is not None
                ok_c = ok_f and (w["class"] is None or g.get("class") in w["class"])
                if w["status"]:
                    ok_s = ok_f and g.get("status") == w["status"]
                elif w["status_class"]:
                    ok_s = ok_f and (g.get("status") or " ")[0] == str(w["status_class"])
                else:
                    ok_s = ok_f
                found += ok_f
                cls += ok_c
                status += ok_s
                if a.misses and not (ok_f and ok_c and ok_s):
                    print("miss %s #%d: want %s %s (%s); got %s" % (
                        name, i, w["status"] or w["status_class"], w["class"], w["reason_hint"],
                        "%s %s %s %s" % (g.get("status"), g.get("class"), g.get("reason"),
                                         (g.get("diagnostic") or "")[:100]) if g else
                        "nothing (type %s)" % got.get("type")))
                line.append("%s%s%s" % ("f" if ok_f else "-", "c" if ok_c else "-", "s" if ok_s else "-"))
            if a.v:
                print("%-32s %-11s %s" % (name, got.get("type"), " ".join(line)))
    finally:
        os.unlink(conf.name)
    print("found %d/%d  class %d/%d  status %d/%d  recognised %d/%d" % (
        found, n, cls, n, status, n, recog, msgs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
