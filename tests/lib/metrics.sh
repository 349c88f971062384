# shellcheck shell=bash
# metrics.sh - reading repguard's metrics in tests: scraping the
# MetricsListen listener and checking the exposition's lines.

# metrics_scrape PORT [PATH] [METHOD]: the listener's answer: the status,
# the content type, then the body (only the status for an error)
metrics_scrape() {
	/usr/bin/python3 - "$1" "${2:-/metrics}" "${3:-GET}" <<'PYEOF'
import sys, urllib.request, urllib.error
port, path, method = sys.argv[1:4]
req = urllib.request.Request("http://127.0.0.1:%s%s" % (port, path), method=method)
try:
    r = urllib.request.urlopen(req, timeout=5)
    print(r.status); print(r.headers.get("Content-Type")); sys.stdout.write(r.read().decode())
except urllib.error.HTTPError as e:
    print(e.code)
PYEOF
}

# metrics_value TEXT EXPR: a python expression over m, {"name{labels}":
# value}, from an exposition (or metrics_scrape's answer); "BAD [...]" if a
# line is neither a HELP or TYPE comment nor a valid sample
metrics_value() {
	/usr/bin/python3 -c '
import re, sys
m, bad = {}, []
for l in sys.argv[1].splitlines()[2:] if sys.argv[1].split("\n")[0].isdigit() else sys.argv[1].splitlines():
    if l.startswith("# HELP ") or l.startswith("# TYPE "): continue
    x = re.match(r"^([a-z_]+)(\{[a-z_]+=\"[^\"]*\"(,[a-z_]+=\"[^\"]*\")*\})? ([0-9.e+-]+)$", l)
    if not x: bad.append(l); continue
    m[x.group(1) + (x.group(2) or "")] = float(x.group(4))
print("BAD %r" % bad if bad else eval(sys.argv[2]))' "$1" "$2"
}

# msgs EVENT DECISION REASON: the metrics_value expression of that counter
msgs() {
	echo "m.get('repguard_messages_total{event=\"$1\",decision=\"$2\",reason=\"$3\"}', 0)"
}
