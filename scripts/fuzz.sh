#!/bin/sh
# fuzz.sh: build the libFuzzer targets (clang, ASan+UBSan, -DPORTCULLIS_FUZZ=ON) in
# build-fuzz/ and run each one for a bounded time, starting from its
# checked-in corpus. New inputs go to a scratch copy under build-fuzz/run/,
# never into tests/fuzz/corpus/.
#
#   PC_FUZZ_SECONDS  seconds per target (default 30)
#   PC_FUZZ_TARGETS  targets to run (default: every directory in tests/fuzz/corpus/)
#   PC_FUZZ_RSS_MB   memory limit per fuzzer in MB (default 2048)
#
# Exits non-zero if a target crashes, fails a check, leaks, times out or runs
# out of memory; the input that did it is saved as build-fuzz/run/<target>/crash-*
# (or leak-*, timeout-*, oom-*) and can be replayed with
# build-fuzz/tests/fuzz/fuzz_replay_<target> FILE.
set -eu
cd "$(dirname "$0")/.."

SECS=${PC_FUZZ_SECONDS:-30}
RSS=${PC_FUZZ_RSS_MB:-2048}
TARGETS=${PC_FUZZ_TARGETS:-$(for d in tests/fuzz/corpus/*/; do basename "$d"; done)}
BUILD=build-fuzz
JOBS=$(nproc 2>/dev/null || echo 2)

count_files() {
    find "$1" -type f | wc -l
}

CC=clang cmake -S . -B "$BUILD" -DPORTCULLIS_FUZZ=ON -DPORTCULLIS_SANITIZE=ON -DPORTCULLIS_WERROR=ON \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
bins=""
for t in $TARGETS; do
    bins="$bins fuzz_$t fuzz_replay_$t"
done
# shellcheck disable=SC2086
cmake --build "$BUILD" -j"$JOBS" --target $bins

status=0
for t in $TARGETS; do
    run="$BUILD/run/$t"
    rm -rf "$run"
    mkdir -p "$run/corpus"
    cp tests/fuzz/corpus/"$t"/* "$run/corpus/"
    dict=""
    if [ -f "tests/fuzz/$t.dict" ]; then
        dict="-dict=tests/fuzz/$t.dict"
    fi
    echo "fuzz_$t: ${SECS}s from $(count_files "$run/corpus") seeds"
    # shellcheck disable=SC2086
    if ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
        UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        "$BUILD/tests/fuzz/fuzz_$t" -max_total_time="$SECS" -rss_limit_mb="$RSS" \
        -timeout=10 -max_len=4096 -print_final_stats=1 -artifact_prefix="$run/" $dict \
        "$run/corpus" >"$run/log" 2>&1; then
        execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$run/log")
        echo "fuzz_$t: ok, ${execs:-?} runs, corpus $(count_files "$run/corpus") inputs"
    else
        status=1
        tail -n 40 "$run/log"
        for f in "$run"/crash-* "$run"/leak-* "$run"/timeout-* "$run"/oom-*; do
            [ -f "$f" ] || continue
            echo "fuzz_$t: FAILED on $f:"
            od -A d -t x1 "$f" | head -n 20
        done
        echo "fuzz_$t: FAILED (full log: $run/log)"
    fi
done
exit "$status"
