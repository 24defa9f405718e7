#!/bin/sh
# wine_console.sh: the Windows console mode under wine. portcullis.exe runs
# in the foreground, serves Linux curl (through loopback, to a python3
# origin), and on Ctrl-C (the SIGINT that wine turns into a CTRL_C_EVENT for
# the console control handler) drains and exits 0. Run it in sandbox.sh:
# the origin and the proxy listen on 127.0.0.1 only, on ports picked by the
# kernel.
#
# Usage: wine_console.sh <wine-run.sh> <portcullis.exe> <work dir>
set -eu
run=$1
exe=$2
work=$3
mkdir -p "$work"
printf 'Listen 127.0.0.1:0\nShutdownTimeout 5\n' >"$work/console.conf"
: >"$work/stderr.log"
mkdir -p "$work/www"
rm -f "$work/www/port"
printf 'served through portcullis.exe\n' >"$work/www/hello.txt"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY

# The origin: python3's http.server on a port the kernel picks.
python3 -c '
import http.server, os, sys
os.chdir(sys.argv[1])
srv = http.server.HTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
open("port", "w").write(str(srv.server_port))
srv.serve_forever()
' "$work/www" 2>/dev/null &
origin=$!
trap 'kill "$origin" 2>/dev/null || true' EXIT

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

i=0
until [ -s "$work/www/port" ]; do
    i=$((i + 1))
    [ "$i" -le 100 ] || fail "the origin did not start"
    sleep 0.1
done
proxy_port=$(tr -d '\r' <"$work/stderr.log" | sed -n 's/.*listening on 127.0.0.1:\([0-9]*\)$/\1/p')
body=$(curl -sS --max-time 10 -x "http://127.0.0.1:$proxy_port" \
    "http://127.0.0.1:$(cat "$work/www/port")/hello.txt") || fail "curl through the proxy failed"
[ "$body" = "served through portcullis.exe" ] || fail "curl got '$body'"

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
echo "wine_console: served curl, and Ctrl-C stopped the proxy cleanly"
