#!/bin/sh
# soak.sh: build Portcullis with ASan+UBSan in build-soak/ and run
# scripts/soak.py against it: mixed load (keep-alive GETs, uploads, tunnels,
# blocked, malformed and aborted requests, a reload every 30 s) for
# PC_SOAK_SECONDS (default 600), then a report of requests served, wrong
# answers and RSS at start and end. Exits non-zero on a wrong answer, a
# sanitizer report, a crash, an unclean exit or RSS growth past the bound.
# Loopback only. Not part of the test suite or CI (it takes ten minutes).
set -eu
cd "$(dirname "$0")/.."

SECS=${PC_SOAK_SECONDS:-600}
BUILD=build-soak
JOBS=$(nproc 2>/dev/null || echo 2)

CC=${CC:-clang} cmake -S . -B "$BUILD" -DPORTCULLIS_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DBUILD_TESTING=OFF >/dev/null
cmake --build "$BUILD" -j"$JOBS" --target portcullis
rm -rf "$BUILD/soak"
mkdir -p "$BUILD/soak"
# A small quarantine, so that RSS measures the proxy and not ASan's hold on
# freed memory (256 MB by default).
ASAN_OPTIONS=${ASAN_OPTIONS:-quarantine_size_mb=16:detect_leaks=1} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    python3 scripts/soak.py --proxy "$BUILD/portcullis" --work "$BUILD/soak" --seconds "$SECS"
