#!/usr/bin/env python3
"""access_formats.py: every AccessLogFormat through the real binary, parsed back.

For each format the proxy serves three transactions: a GET with a query,
a hostile User-Agent (quotes, backslash, tab) and a Referer; a request for a
blocklisted name (403); a malformed request (400). The log is then read with
a real parser for the format: json.loads for json, the NCSA grammar for
common and combined, whitespace fields for squid and native. Each line must
parse, carry the right values, never the query, and nothing may split it.

Usage: access_formats.py <portcullis binary> <work dir>
"""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

BIN, WORK = sys.argv[1], sys.argv[2]
UA = 'ua "quoted" back\\slash\ttab'
REFERER = 'http://ref.example/page'


class Origin(BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"ok"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def fail(msg):
    print("access_formats: " + msg)
    sys.exit(1)


def exchange(port, raw):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(raw)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    return data


def run_format(fmt, origin_port):
    d = os.path.join(WORK, fmt)
    os.makedirs(d, exist_ok=True)
    log = os.path.join(d, "access.log")
    if os.path.exists(log):
        os.remove(log)
    with open(os.path.join(d, "block.txt"), "w") as f:
        f.write("blocked.invalid\n")
    conf = os.path.join(d, "portcullis.conf")
    with open(conf, "w") as f:
        f.write("Listen 127.0.0.1:0\nAccessLog access.log\nAccessLogFormat %s\n"
                "Blocklist block.txt\n" % fmt)
    err = open(os.path.join(d, "stderr.log"), "w+")
    proc = subprocess.Popen([BIN, "-c", conf], stderr=err)
    port = None
    for _ in range(100):
        err.seek(0)
        m = re.search(r"listening on 127\.0\.0\.1:(\d+)", err.read())
        if m:
            port = int(m.group(1))
            break
        time.sleep(0.05)
    if port is None:
        proc.kill()
        fail("%s: the proxy did not start" % fmt)
    url = "http://127.0.0.1:%d/path?secret=1" % origin_port
    r1 = exchange(port, ("GET %s HTTP/1.1\r\nHost: h\r\nUser-Agent: %s\r\nReferer: %s\r\n"
                         "Connection: close\r\n\r\n" % (url, UA, REFERER)).encode())
    r2 = exchange(port, b"GET http://blocked.invalid/x?y HTTP/1.1\r\nHost: blocked.invalid\r\n"
                        b"Connection: close\r\n\r\n")
    r3 = exchange(port, b"GET http://a b HTTP/1.1\r\n\r\n")
    for r, status in ((r1, b" 200 "), (r2, b" 403 "), (r3, b" 400 ")):
        if status not in r.split(b"\r\n", 1)[0]:
            fail("%s: got %r, want%s" % (fmt, r[:60], status.decode()))
    proc.send_signal(signal.SIGTERM)
    if proc.wait(timeout=10) != 0:
        fail("%s: the proxy did not exit cleanly" % fmt)
    with open(log, "rb") as f:
        lines = f.read().decode("ascii").split("\n")
    if lines[-1] != "" or len(lines) != 4:
        fail("%s: want 3 lines, got %r" % (fmt, lines))
    return lines[:3], origin_port


def check_json(lines, origin_port):
    objs = [json.loads(l) for l in lines]
    a, b, c = objs
    want = {"method": "GET", "url": "http://127.0.0.1:%d/path" % origin_port,
            "host": "127.0.0.1", "port": origin_port, "status": 200,
            "upstream": "127.0.0.1:%d" % origin_port, "user": None,
            "user_agent": UA, "referer": REFERER, "decision": None}
    for k, v in want.items():
        if a.get(k) != v:
            fail("json: %s is %r, want %r" % (k, a.get(k), v))
    if not (b["status"] == 403 and b["decision"].startswith("block:") and b["upstream"] is None
            and b["url"] == "http://blocked.invalid/x"):
        fail("json: the refusal reads %r" % b)
    if c["status"] != 400 or c["method"] is not None:
        fail("json: the malformed request reads %r" % c)
    if len({o["id"] for o in objs}) != 3:
        fail("json: request ids repeat")
    for o in objs:
        if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", o["time"]):
            fail("json: time %r" % o["time"])
        if not isinstance(o["bytes_in"], int) or not isinstance(o["duration_ms"], int):
            fail("json: counts are not numbers in %r" % o)


CLF = re.compile(r'(\S+) (\S+) (\S+) \[(\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d \+0000)\] '
                 r'"((?:[^"\\]|\\.)*)" (\d{3}) (\d+|-)(?: "((?:[^"\\]|\\.)*)" "((?:[^"\\]|\\.)*)")?')


def unescape(s):
    return re.sub(r'\\x([0-9a-f]{2})|\\(.)',
                  lambda m: chr(int(m.group(1), 16)) if m.group(1) else m.group(2), s)


def check_clf(lines, origin_port, combined):
    ms = [CLF.fullmatch(l) for l in lines]
    if not all(ms):
        fail("%s: a line does not parse: %r" % ("combined" if combined else "common", lines))
    a, b, c = ms
    if a.group(1) != "127.0.0.1" or a.group(6) != "200":
        fail("clf: %r" % lines[0])
    if unescape(a.group(5)) != "GET http://127.0.0.1:%d/path HTTP/1.1" % origin_port:
        fail("clf: request %r" % a.group(5))
    if b.group(6) != "403" or c.group(6) != "400" or c.group(5) != "-":
        fail("clf: %r" % lines[1:])
    if combined:
        if unescape(a.group(8)) != REFERER or unescape(a.group(9)) != UA:
            fail("combined: referer/agent %r %r" % (a.group(8), a.group(9)))
        if b.group(9) != "-":
            fail("combined: no agent must read \"-\": %r" % lines[1])
    elif a.group(8) is not None:
        fail("common: has combined fields: %r" % lines[0])


def check_squid(lines, origin_port):
    f = [l.split() for l in lines]
    if any(len(x) != 10 for x in f):
        fail("squid: want 10 fields: %r" % lines)
    a, b, c = f
    if not re.fullmatch(r"\d+\.\d{3}", a[0]) or a[2] != "127.0.0.1" or a[3] != "TCP_MISS/200":
        fail("squid: %r" % lines[0])
    if a[6] != "http://127.0.0.1:%d/path" % origin_port or a[8] != "HIER_DIRECT/127.0.0.1":
        fail("squid: %r" % lines[0])
    if b[3] != "TCP_DENIED/403" or b[8] != "HIER_NONE/-" or not c[3].endswith("/400"):
        fail("squid: %r" % lines[1:])


def check_native(lines, origin_port):
    f = [l.split(" ") for l in lines]
    if any(len(x) != 12 for x in f):
        fail("native: want 12 fields: %r" % lines)
    a, b, c = f
    if a[3] != "http://127.0.0.1:%d/path" % origin_port or a[4] != "200" or \
            a[10] != "127.0.0.1:%d" % origin_port:
        fail("native: %r" % lines[0])
    if b[4] != "403" or not b[8].startswith("block:") or c[4] != "400":
        fail("native: %r" % lines[1:])


def main():
    srv = HTTPServer(("127.0.0.1", 0), Origin)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    port = srv.server_address[1]
    check_json(*run_format("json", port))
    check_clf(*run_format("common", port), combined=False)
    check_clf(*run_format("combined", port), combined=True)
    check_squid(*run_format("squid", port))
    check_native(*run_format("native", port))
    srv.shutdown()
    print("access_formats: json, common, combined, squid and native parsed back")


main()
