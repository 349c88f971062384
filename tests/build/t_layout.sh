#!/bin/bash
# t_layout.sh - the parts of the code call downwards only (doc/layout.md),
# read from the sources' own include lines:
#   - every file sits in a part folder, and each part is one of the list
#     below (a new folder must be placed in the order);
#   - a file includes headers of its own part or of a part below it, never
#     of a part above or beside it; policy/ never includes filter/ or
#     libmilter;
#   - no two source files include each other's module header, directly or
#     round a longer circle (x.h stands for x.c): the file loops that
#     doc/layout.md says are gone stay gone.
. "$TOP_SRCDIR/tests/lib/common.sh"

command -v python3 >/dev/null || t_skip_all "needs python3"
out=$(cd "$TOP_SRCDIR" && python3 - <<'PY'
import os, re, sys

# rank: a part may include a part of lower rank; equal ranks are siblings
RANK = {
    "policy/base": 0, "policy/store": 1, "policy/reputation": 2,
    "policy/retpath": 3, "policy/shaping": 3, "policy/dkim": 3,
    "policy/cluster": 4,
    "filter/common": 10, "filter/dkim": 11, "filter/retpath": 11,
    "filter/cluster": 11,
    "filter/conf": 12, "filter/milter": 13, "filter/ctl": 13,
    "filter/daemon": 14,
}
inc = re.compile(r'^\s*#\s*include\s*([<"])([^">]+)[">]', re.M)
files, bad_place, bad_dir, edges = [], [], [], {}
for top in ("policy", "filter"):
    for part in sorted(os.listdir(top)):
        d = os.path.join(top, part)
        if not os.path.isdir(d):
            if part.endswith((".c", ".h")):
                bad_place.append(d)
            continue
        if d not in RANK:
            bad_place.append(d + "/")
        for f in sorted(os.listdir(d)):
            if f.endswith((".c", ".h")):
                files.append(os.path.join(d, f))
for f in files:
    part = os.path.dirname(f)
    text = open(f, encoding="utf-8", errors="replace").read()
    for kind, h in inc.findall(text):
        if kind == "<":
            if part.startswith("policy") and h.startswith("libmilter/"):
                bad_dir.append("%s includes <%s>" % (f, h))
            continue
        if "/" not in h:
            continue
        hp = "policy/" + h if os.path.exists("policy/" + h) else "filter/" + h
        if not os.path.exists(hp):
            continue
        hpart = os.path.dirname(hp)
        if part.startswith("policy") and hpart.startswith("filter"):
            bad_dir.append("%s includes %s (filter/ from policy/)" % (f, hp))
        elif hpart != part and RANK.get(hpart, 99) >= RANK.get(part, -1):
            bad_dir.append("%s includes %s (a part not below it)" % (f, hp))
        src = hp[:-2] + ".c"
        me = f[:-2] + ".c"
        if os.path.exists(src) and src != me:
            edges.setdefault(me, set()).add(src)
# circles among source files (depth-first search, each circle once)
circles, state = [], {}
def visit(n, stack):
    state[n] = 1
    stack.append(n)
    for m in sorted(edges.get(n, ())):
        if state.get(m) == 1:
            circles.append(" -> ".join(stack[stack.index(m):] + [m]))
        elif m not in state:
            visit(m, stack)
    stack.pop()
    state[n] = 2
for n in sorted(edges):
    if n not in state:
        visit(n, [])
print("files %d" % len(files))
for x in bad_place: print("place " + x)
for x in bad_dir: print("direction " + x)
for x in circles: print("circle " + x)
PY
)
t_like "$out" '^files [1-9][0-9]+' "the sources are read ($(printf '%s\n' "$out" | sed -n 1p))"
t_is "$(printf '%s\n' "$out" | grep '^place ' || true)" "" "every file is in a part folder, and each folder has its place in the order"
t_is "$(printf '%s\n' "$out" | grep '^direction ' || true)" "" "no file includes a header of a part above or beside its own; policy/ never includes filter/ or libmilter"
t_is "$(printf '%s\n' "$out" | grep '^circle ' || true)" "" "no two source files include each other's module header, directly or round a circle"
t_done
