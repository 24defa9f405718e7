#!/usr/bin/env bash
# bench/run.sh: the one command of the proxy benchmark. Builds Portcullis in
# Release mode (build-bench/), starts an nginx origin, the installed peers and
# Portcullis on 127.0.0.1, runs every workload, prints the tables and the
# issue's targets as ratios, and saves JSON + Markdown under bench/results/.
# Options: bench/run.sh --help; details: bench/README.md.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# 10,000 held tunnels need about 20,300 descriptors in the proxy (a client and
# an origin socket each). Raise the hard limit where we may (root with
# CAP_SYS_RESOURCE), then take the soft limit up to it. Where the hard limit
# stays lower, bench.py holds as many tunnels as fit and says so.
want=65536
hard="$(ulimit -Hn)"
if [ "$hard" != unlimited ] && [ "$hard" -lt "$want" ]; then
    ulimit -Hn "$want" 2>/dev/null || true
fi
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

export PYTHONDONTWRITEBYTECODE=1
PY="$(command -v python3)"
exec "$PY" "$HERE/proxy/bench.py" "$@"
