#!/bin/sh
# status_page.sh: the admin listener's /status page, rendered by a real
# browser. Starts the proxy (with an admin listener and a blocklist) and a
# python3 origin, sends traffic through the proxy with curl (GETs to the
# origin, requests to two blocked domains), waits for the first 5 s sample,
# then loads http://127.0.0.1:ADMIN/status in headless Chromium twice: once
# for a screenshot (<work dir>/status.png, kept as an artifact) and once for
# the DOM after the script ran (<work dir>/status.dom.html). Checks: the
# page is served byte for byte with its Content-Security-Policy, the
# screenshot is a PNG of some size, the page rendered (data-ready="1") under
# that CSP, the blocked domains are in the top-blocked table (most counted
# first), and the current connections and request rate show numbers.
# Finally SIGTERM must stop the proxy with exit status 0.
#
# Usage: status_page.sh <portcullis binary> <work dir>
#
# Exits 77 (ctest SKIP_RETURN_CODE) without chromium (or chromium-browser),
# curl or python3. Everything listens on 127.0.0.1 on ports the kernel picks;
# Chromium gets a profile and HOME under the work dir and may resolve no
# name at all. Its TMPDIR is a fresh short directory from mktemp, because it
# binds a unix socket there and a socket path may not exceed 107 bytes (a
# deep work dir is longer than that). Every wait is bounded; only processes started here are
# stopped. Runs in about 10 s.
set -eu

if [ $# -ne 2 ] || [ -z "$2" ]; then
    echo "usage: status_page.sh <portcullis binary> <work dir>" >&2
    exit 2
fi
bin=$1
work=$2
here=$(cd "$(dirname "$0")" && pwd)
page_src="$here/../../src/status_page.html"

browser=""
for b in chromium chromium-browser; do
    if command -v "$b" >/dev/null 2>&1; then
        browser=$b
        break
    fi
done
[ -n "$browser" ] || { echo "skipped: chromium is not installed"; exit 77; }
command -v curl >/dev/null 2>&1 || { echo "skipped: curl is not installed"; exit 77; }
command -v python3 >/dev/null 2>&1 || { echo "skipped: python3 is not installed"; exit 77; }
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY

mkdir -p "$work"
rm -rf "${work:?}/www" "${work:?}/chromium" "${work:?}/home"
rm -f "$work/portcullis.conf" "$work/block.txt" "$work/proxy.log" "$work/origin.log" \
    "$work/status.png" "$work/status.dom.html" "$work/status.html" "$work/status.head" \
    "$work/status.json" "$work/chromium-shot.log" "$work/chromium-dom.log"
mkdir -p "$work/www" "$work/chromium" "$work/home"
chrome_tmp=$(mktemp -d -t pc-chrome.XXXXXX)

origin=""
proxy=""
cleanup() {
    for p in $origin $proxy; do
        kill "$p" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    rm -rf "${chrome_tmp:?}"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

fail() {
    echo "status_page: FAIL: $*"
    echo "---- proxy stderr ----"
    tail -n 20 "$work/proxy.log" 2>/dev/null || true
    exit 1
}

# wait_for FILE SED-EXPR: prints the first match of SED-EXPR in FILE (10 s max).
wait_for() {
    i=0
    while [ "$i" -lt 100 ]; do
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

# The origin: python3's http.server on a port the kernel picks, written to a file.
printf 'hello from the origin\n' >"$work/www/hello.txt"
head -c 65536 /dev/zero | tr '\0' 'x' >"$work/www/64k.txt"
python3 -c '
import http.server, os, sys
os.chdir(sys.argv[1])
srv = http.server.HTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
open("port.tmp", "w").write(str(srv.server_port))
os.rename("port.tmp", "port")
srv.serve_forever()
' "$work/www" >"$work/origin.log" 2>&1 &
origin=$!

printf 'ads.invalid\ntracker.invalid\n' >"$work/block.txt"
cat >"$work/portcullis.conf" <<CONF
Listen 127.0.0.1:0
Admin 127.0.0.1:0
AccessLog off
Blocklist $work/block.txt
CONF
"$bin" -c "$work/portcullis.conf" >/dev/null 2>"$work/proxy.log" &
proxy=$!

pport=$(wait_for "$work/proxy.log" '/admin listening/!s/.* listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p') \
    || fail "the proxy did not report its port"
aport=$(wait_for "$work/proxy.log" 's/.*admin listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p') \
    || fail "the proxy did not report its admin port"
oport=$(wait_for "$work/www/port" 's/^\([0-9][0-9]*\)$/\1/p') || fail "the origin did not start"
admin="http://127.0.0.1:$aport"

# Traffic: 200s from the origin, 403s for the two blocked domains (refused by
# the list before any name is resolved), more for ads.invalid than tracker.invalid.
pget() {
    curl -s --max-time 10 -x "http://127.0.0.1:$pport" -o /dev/null -w '%{http_code}' "$1" || true
}
for f in hello.txt 64k.txt hello.txt 64k.txt; do
    code=$(pget "http://127.0.0.1:$oport/$f")
    [ "$code" = 200 ] || fail "GET $f through the proxy returned '$code', want 200"
done
for h in ads.invalid ads.invalid tracker.invalid ads.invalid tracker.invalid ads.invalid; do
    code=$(pget "http://$h/")
    [ "$code" = 403 ] || fail "GET http://$h/ returned '$code', want 403"
done

# The page itself: the bytes of src/status_page.html, under a strict CSP.
curl -s --max-time 10 -D "$work/status.head" -o "$work/status.html" "$admin/status" \
    || fail "GET /status on the admin port"
grep -qi '^content-type: text/html; charset=utf-8' "$work/status.head" || fail "/status is not text/html"
grep -qi "^content-security-policy: default-src 'none'" "$work/status.head" \
    || fail "/status has no Content-Security-Policy"
if [ -f "$page_src" ]; then
    cmp -s "$page_src" "$work/status.html" || fail "/status differs from src/status_page.html"
fi

# The sampler closes an interval every 5 s: wait (12 s at most) for a sample
# that counted the requests above, so that the charts have a point.
i=0
until curl -s --max-time 5 -o "$work/status.json" "$admin/status.json" \
    && grep -q '"series":\[.*"requests":[1-9]' "$work/status.json"; do
    i=$((i + 1))
    [ "$i" -le 60 ] || fail "no sample with requests in /status.json after 12 s"
    sleep 0.2
done

# Headless Chromium: --headless=new since Chromium 109 (plain --headless
# before). --no-sandbox for root; no name resolves (the page is on an IP).
major=$("$browser" --version 2>/dev/null | sed -n 's/.* \([0-9][0-9]*\)\.[0-9.]*.*/\1/p' | head -n 1)
headless=--headless=new
if [ -n "$major" ] && [ "$major" -lt 109 ]; then
    headless=--headless
fi
to=""
if command -v timeout >/dev/null 2>&1; then
    to="timeout -k 5 40"
fi
chrome() {
    # shellcheck disable=SC2086
    HOME="$work/home" TMPDIR="$chrome_tmp" XDG_CONFIG_HOME="$work/home/.config" \
        XDG_CACHE_HOME="$work/home/.cache" $to "$browser" "$headless" --no-sandbox --disable-gpu \
        --hide-scrollbars --window-size=1200,900 --virtual-time-budget=5000 \
        --user-data-dir="$work/chromium" --no-first-run --no-default-browser-check \
        --disable-extensions --disable-sync --disable-background-networking \
        --disable-component-update --no-proxy-server \
        --host-resolver-rules='MAP * ~NOTFOUND, EXCLUDE 127.0.0.1' "$@"
}
t0=$(date +%s)
chrome --screenshot="$work/status.png" "$admin/status" >"$work/chromium-shot.log" 2>&1 \
    || { tail -n 20 "$work/chromium-shot.log"; fail "chromium --screenshot failed"; }
chrome --dump-dom "$admin/status" >"$work/status.dom.html" 2>"$work/chromium-dom.log" \
    || { tail -n 20 "$work/chromium-dom.log"; fail "chromium --dump-dom failed"; }
t1=$(date +%s)

[ -f "$work/status.png" ] || fail "no screenshot"
size=$(wc -c <"$work/status.png" | tr -d ' ')
[ "$size" -gt 10240 ] || fail "the screenshot is $size bytes, want more than 10 KB"
magic=$(head -c 8 "$work/status.png" | od -An -tx1 | tr -d ' \n')
[ "$magic" = 89504e470d0a1a0a ] || fail "the screenshot is not a PNG"

dom=$(tr -d '\n' <"$work/status.dom.html")
case $dom in
    *'data-ready="1"'*) ;;
    *) fail "the page never rendered (no data-ready=\"1\"; see $work/status.dom.html)" ;;
esac
tbody=$(printf '%s' "$dom" | sed -n 's/.*<tbody id="top-blocked">\(.*\)<\/tbody>.*/\1/p')
case $tbody in
    *'>ads.invalid<'*'>tracker.invalid<'*) ;;
    *) fail "top-blocked does not list ads.invalid then tracker.invalid: $tbody" ;;
esac
conn=$(printf '%s' "$dom" | sed -n 's/.*<span id="conn-now">\([^<]*\)<.*/\1/p')
rate=$(printf '%s' "$dom" | sed -n 's/.*<span id="req-rate">\([^<]*\)<.*/\1/p')
case $conn in *[0-9]*) ;; *) fail "#conn-now shows '$conn', want a number" ;; esac
case $rate in *[0-9]*) ;; *) fail "#req-rate shows '$rate', want a number" ;; esac

kill -TERM "$proxy"
i=0
while kill -0 "$proxy" 2>/dev/null; do
    i=$((i + 1))
    [ "$i" -le 100 ] || fail "the proxy still runs 10 s after SIGTERM"
    sleep 0.1
done
status=0
wait "$proxy" || status=$?
proxy=""
[ "$status" -eq 0 ] || fail "the proxy exited with status $status after SIGTERM, want 0"

echo "status_page: connections $conn, $rate req/s, top blocked ads.invalid and tracker.invalid"
echo "status_page: chromium ($headless, major ${major:-?}) took $((t1 - t0)) s for both loads"
echo "status_page: screenshot ($size bytes): $work/status.png"
echo "status_page: all checks passed"
