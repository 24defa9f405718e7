#!/bin/sh
# wine_msi.sh: the MSI (the wixl build of it) installed, used and removed
# under wine, as an administrator would on Windows:
#   msiexec /i  -> the Portcullis service is registered (LocalService,
#                  automatic start), started, and serves Linux curl on the
#                  default 127.0.0.1:3128 with the packaged configuration
#                  (blocklist active, access log in ProgramData\Portcullis\logs);
#                  the Event Log source is registered;
#   msiexec /x  -> the service is stopped and removed, the program is gone.
# Run it in sandbox.sh (loopback only).
#
# Usage: wine_msi.sh <wine-run.sh> <portcullis-...-wixl.msi> <work dir>
set -eu
run=$1
msi=$2
work=$3
prefix=${WINEPREFIX:-$(cd "$(dirname "$run")/../.." && pwd)/build-wine}
data="$prefix/drive_c/ProgramData/Portcullis"
exe="$prefix/drive_c/Program Files/Portcullis/bin/portcullis.exe"
mkdir -p "$work/www"
rm -f "$work/www/port" "$work/msiexec.log"
printf 'served through the installed service\n' >"$work/www/hello.txt"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY

fail() {
    echo "wine_msi: $*"
    "$run" msiexec /x "Z:$msi" /qn >/dev/null 2>&1 || true
    exit 1
}

query() {
    "$run" sc query Portcullis 2>/dev/null | tr -d '\r'
}

# A previous run that died half-way: start clean.
"$run" msiexec /x "Z:$msi" /qn >/dev/null 2>&1 || true

"$run" msiexec /i "Z:$msi" /qn /l*v "Z:$work/msiexec.log" || fail "msiexec /i failed"
[ -f "$exe" ] || fail "no $exe"
[ -f "$data/portcullis.conf" ] || fail "no ProgramData\\Portcullis\\portcullis.conf"
[ -f "$data/blocklist.txt" ] || fail "no ProgramData\\Portcullis\\blocklist.txt"
[ -d "$data/logs" ] || fail "no ProgramData\\Portcullis\\logs"
"$run" reg query 'HKLM\SYSTEM\CurrentControlSet\Services\EventLog\Application\Portcullis' \
    /v EventMessageFile 2>/dev/null | tr -d '\r' | grep -qi 'portcullis.exe' \
    || fail "the Event Log source is not registered"

i=0
until query | grep -q RUNNING; do
    i=$((i + 1))
    [ "$i" -le 100 ] || fail "the service is not RUNNING: $(query)"
    sleep 0.2
done

python3 -c '
import http.server, os, sys
os.chdir(sys.argv[1])
srv = http.server.HTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
open("port", "w").write(str(srv.server_port))
srv.serve_forever()
' "$work/www" 2>/dev/null &
origin=$!
trap 'kill "$origin" 2>/dev/null || true' EXIT
i=0
until [ -s "$work/www/port" ]; do
    i=$((i + 1))
    [ "$i" -le 100 ] || fail "the origin did not start"
    sleep 0.1
done

body=$(curl -sS --max-time 10 -x http://127.0.0.1:3128 \
    "http://127.0.0.1:$(cat "$work/www/port")/hello.txt") || fail "curl through the service failed"
[ "$body" = "served through the installed service" ] || fail "curl got '$body'"
status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -x http://127.0.0.1:3128 \
    http://example.invalid/) || true
[ "$status" = 403 ] || fail "example.invalid (the packaged blocklist) got $status, want 403"
i=0
until [ "$(wc -l <"$data/logs/access.log" 2>/dev/null || echo 0)" -ge 2 ]; do
    i=$((i + 1))
    [ "$i" -le 50 ] || fail "the access log in ProgramData\\Portcullis\\logs has no two lines"
    sleep 0.1
done
grep -q ' 403 .* block:.*blocklist.txt:' "$data/logs/access.log" \
    || fail "no block line in the access log"

"$run" msiexec /x "Z:$msi" /qn || fail "msiexec /x failed"
query | grep -q RUNNING && fail "the service still runs after msiexec /x"
"$run" sc query Portcullis >/dev/null 2>&1 && fail "the service is still registered"
[ -f "$exe" ] && fail "portcullis.exe is still installed"
echo "wine_msi: installed, served, blocked, logged, removed"
