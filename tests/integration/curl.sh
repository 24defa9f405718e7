#!/bin/sh
# curl.sh: real curl through the real proxy, against python3 -m http.server.
#
# Usage: curl.sh <portcullis binary> <work directory>
#
# Everything listens on 127.0.0.1 with ephemeral ports. Checks: GET of a
# small and a 1 MiB file (byte-exact), HEAD, a 404 passed through, a GET
# through a CONNECT tunnel (curl --proxytunnel), CONNECT to a port outside
# ConnectPort refused with 403, and (in the sandbox, where blocked.test
# resolves) a blocked domain refused with 403. Exits 77 (ctest
# SKIP_RETURN_CODE) when curl or python3 is missing. Every wait is bounded,
# and only the processes started here are stopped.
set -u

bin=$1
dir=$2

command -v curl >/dev/null 2>&1 || { echo "skipped: curl is not installed"; exit 77; }
command -v python3 >/dev/null 2>&1 || { echo "skipped: python3 is not installed"; exit 77; }
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY

pids=""
cleanup() {
    for p in $pids; do
        kill "$p" 2>/dev/null
    done
    wait 2>/dev/null
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
    echo "FAIL: $*"
    echo "---- proxy stderr ----"
    tail -n 20 "$dir/proxy.log" 2>/dev/null
    exit 1
}

# wait_for FILE SED-EXPR: prints the first match of SED-EXPR in FILE (10 s max).
wait_for() {
    i=0
    while [ $i -lt 100 ]; do
        v=$(sed -n "$2" "$1" 2>/dev/null | head -n 1)
        if [ -n "$v" ]; then
            echo "$v"
            return 0
        fi
        sleep 0.1
        i=$((i + 1))
    done
    return 1
}

rm -rf "$dir"
mkdir -p "$dir/www" || fail "cannot create $dir"
printf 'hello from the origin\n' >"$dir/www/hello.txt"
head -c 1048576 /dev/urandom >"$dir/www/blob.bin"
echo "blocked.test" >"$dir/blocklist.txt"

python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$dir/www" >"$dir/origin.log" 2>&1 &
pids="$pids $!"
oport=$(wait_for "$dir/origin.log" 's/.*Serving HTTP on 127\.0\.0\.1 port \([0-9]*\).*/\1/p') \
    || fail "python3 http.server did not start"

cat >"$dir/portcullis.conf" <<CONF
Listen 127.0.0.1:0
AccessLog $dir/access.log
ConnectPort $oport
Blocklist $dir/blocklist.txt
CONF
"$bin" -c "$dir/portcullis.conf" >"$dir/proxy.out" 2>"$dir/proxy.log" &
pids="$pids $!"
pport=$(wait_for "$dir/proxy.log" 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p') \
    || fail "the proxy did not report its port"

proxy="http://127.0.0.1:$pport"
origin="http://127.0.0.1:$oport"
pcurl() {
    curl -sS --max-time 10 -x "$proxy" "$@"
}

pcurl -o "$dir/got-hello.txt" "$origin/hello.txt" || fail "GET hello.txt"
cmp -s "$dir/www/hello.txt" "$dir/got-hello.txt" || fail "hello.txt differs"

pcurl -o "$dir/got-blob.bin" "$origin/blob.bin" || fail "GET blob.bin"
cmp -s "$dir/www/blob.bin" "$dir/got-blob.bin" || fail "blob.bin differs"

code=$(pcurl -I -o /dev/null -w '%{http_code}' "$origin/blob.bin") || fail "HEAD"
[ "$code" = 200 ] || fail "HEAD returned $code"

code=$(pcurl -o /dev/null -w '%{http_code}' "$origin/missing") || fail "GET missing"
[ "$code" = 404 ] || fail "GET missing returned $code, want 404"

pcurl -p -o "$dir/got-tunnel.bin" "$origin/blob.bin" || fail "GET through CONNECT"
cmp -s "$dir/www/blob.bin" "$dir/got-tunnel.bin" || fail "blob.bin through CONNECT differs"

code=$(pcurl -p -o /dev/null -w '%{http_connect}' "http://127.0.0.1:1/" 2>/dev/null)
[ "$code" = 403 ] || fail "CONNECT to port 1 returned $code, want 403"

if [ "${PC_TEST_SANDBOX:-0}" = 1 ]; then
    code=$(pcurl -o /dev/null -w '%{http_code}' "http://www.blocked.test:$oport/hello.txt")
    [ "$code" = 403 ] || fail "blocked domain returned $code, want 403"
else
    echo "note: blocked-domain check skipped (needs the sandbox)"
fi

# The writer thread writes a line shortly after its transaction ends (it
# batches them for up to 20 ms): wait for them, at most 5 s.
i=0
while :; do
    lines=$(wc -l <"$dir/access.log" 2>/dev/null || echo 0)
    [ "$lines" -ge 5 ] && break
    i=$((i + 1))
    [ "$i" -le 50 ] || fail "access log has $lines lines, want at least 5"
    sleep 0.1
done
echo "curl.sh: all checks passed"
