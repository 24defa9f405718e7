#!/bin/sh
# wine_console.sh: the Windows console mode under wine. portcullis.exe runs
# in the foreground, serves, and on Ctrl-C (the SIGINT that wine turns into
# a CTRL_C_EVENT for the console control handler) drains and exits 0.
#
# Usage: wine_console.sh <wine-run.sh> <portcullis.exe> <work dir>
set -eu
run=$1
exe=$2
work=$3
mkdir -p "$work"
printf 'Listen 127.0.0.1:0\nShutdownTimeout 5\n' >"$work/console.conf"
: >"$work/stderr.log"

"$run" "$exe" -c "Z:$work/console.conf" 2>"$work/stderr.log" &
pid=$!

fail() {
    echo "wine_console: $*"
    echo "---- stderr ----"
    cat "$work/stderr.log"
    kill -KILL "$pid" 2>/dev/null || true
    exit 1
}

i=0
until grep -q 'listening on 127.0.0.1:' "$work/stderr.log"; do
    i=$((i + 1))
    [ "$i" -le 200 ] || fail "no listening line within 20 s"
    kill -0 "$pid" 2>/dev/null || fail "exited before listening"
    sleep 0.1
done

kill -INT "$pid"
i=0
while kill -0 "$pid" 2>/dev/null; do
    i=$((i + 1))
    [ "$i" -le 200 ] || fail "still running 20 s after Ctrl-C"
    sleep 0.1
done
status=0
wait "$pid" || status=$?
[ "$status" -eq 0 ] || fail "exit status $status after Ctrl-C, want 0"
# The console's stderr is in text mode: lines end in CRLF.
tr -d '\r' <"$work/stderr.log" | grep -q ' info stopping$' || fail "no 'stopping' line"
tr -d '\r' <"$work/stderr.log" | grep -q ' info stopped$' || fail "no 'stopped' line"
echo "wine_console: Ctrl-C stopped the proxy cleanly"
