#!/usr/bin/env python3
"""soak.py: mixed load against one running Portcullis for a fixed time.

Starts its own origin (HTTP on 127.0.0.1, GET of sized bodies, POST echo with
Content-Length or chunked bodies) and a TCP echo server for tunnels, starts the
proxy binary it is given with a config in the work directory, and runs, side by
side until the time is up:

  keepalive  20 GETs per connection (100 B to 64 KiB), bodies checked
  upload     POST of 64 KiB, alternately Content-Length and chunked
  tunnel     CONNECT to the echo server, 16 KiB echoed back and compared
  blocked    GET of a listed name: 403
  malformed  a request from a list of broken ones: the status it deserves
  abort      a request or tunnel cut by the client half-way
  reload     the blocklist rewritten and SIGHUP every --reload-every seconds

Every 10 s it samples the proxy's RSS. At the end it stops the load, checks
/metrics (no connection left open, reloads counted), stops the proxy with
SIGTERM and reports requests served, errors, and RSS at start and end. It
exits 1 if any request got a wrong answer, the proxy died or exited non-zero,
a sanitizer printed a report, or the RSS grew by more than --rss-growth-mb
between the first sample after warm-up and the last.

Loopback only. Every socket operation has a timeout; every loop ends at the
deadline. Not part of the test suite (scripts/soak.sh builds under ASan and
runs this for 10 minutes).
"""
import argparse
import http.server
import os
import random
import re
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time

HOST = "127.0.0.1"
IO_TIMEOUT = 10.0
BLOCKED = "ads.soak.invalid"
PAYLOAD = bytes(random.Random(7).getrandbits(8) for _ in range(65536))


# ---- origin and echo server -------------------------------------------------


class Origin(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # head and body are two writes: no 40 ms delayed-ACK stall

    def log_message(self, *args):
        pass

    def do_GET(self):
        m = re.match(r"^/size/(\d+)$", self.path)
        n = min(int(m.group(1)), len(PAYLOAD)) if m else 0
        self.send_response(200 if m else 404)
        self.send_header("Content-Length", str(n))
        self.end_headers()
        self.wfile.write(PAYLOAD[:n])

    def read_chunked(self):
        total = 0
        while True:
            line = self.rfile.readline(1024)
            size = int(line.split(b";")[0].strip(), 16)
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass
                return total
            total += len(self.rfile.read(size))
            self.rfile.readline(8)

    def do_POST(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            n = self.read_chunked()
        else:
            n = len(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
        body = str(n).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.settimeout(IO_TIMEOUT)
        try:
            while True:
                data = self.request.recv(65536)
                if not data:
                    return
                self.request.sendall(data)
        except OSError:
            return


class ThreadedTCP(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        pass  # aborted exchanges are part of the load


class ThreadedHTTP(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass


def serve(server):
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    return server.server_address[1]


# ---- client helpers -----------------------------------------------------------


class Bad(Exception):
    """A wrong answer from the proxy (counted as an error)."""


def connect(port):
    s = socket.create_connection((HOST, port), timeout=IO_TIMEOUT)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def read_head(f):
    line = f.readline(8192)
    if not line:
        raise Bad("connection closed before a status line")
    parts = line.split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
        raise Bad("bad status line %r" % line[:80])
    fields = {}
    while True:
        h = f.readline(8192)
        if h in (b"\r\n", b"\n"):
            break
        if not h:
            raise Bad("connection closed in a response head")
        k, _, v = h.partition(b":")
        fields[k.strip().lower()] = v.strip()
    return int(parts[1]), fields


def read_response(f):
    status, fields = read_head(f)
    n = int(fields.get(b"content-length", b"0"))
    body = f.read(n)
    if len(body) != n:
        raise Bad("body cut: %d of %d bytes" % (len(body), n))
    return status, fields, body


def expect_closed(s):
    """After an error reply the proxy must close: EOF (or reset) in time."""
    try:
        while s.recv(65536):
            pass
    except ConnectionResetError:
        pass


# ---- the operations -------------------------------------------------------------


def op_keepalive(ctx, rnd):
    s = connect(ctx.port)
    f = s.makefile("rb")
    try:
        for _ in range(20):
            n = rnd.choice((100, 1000, 16384, 65536))
            s.sendall(b"GET http://%s:%d/size/%d HTTP/1.1\r\nHost: o\r\n\r\n" % (HOST.encode(), ctx.origin, n))
            status, _, body = read_response(f)
            if status != 200 or body != PAYLOAD[:n]:
                raise Bad("keepalive: status %d, %d bytes" % (status, len(body)))
            ctx.count("keepalive requests")
    finally:
        f.close()
        s.close()


def op_upload(ctx, rnd):
    s = connect(ctx.port)
    f = s.makefile("rb")
    try:
        head = b"POST http://%s:%d/echo HTTP/1.1\r\nHost: o\r\n" % (HOST.encode(), ctx.origin)
        if rnd.random() < 0.5:
            s.sendall(head + b"Content-Length: 65536\r\n\r\n" + PAYLOAD)
        else:
            s.sendall(head + b"Transfer-Encoding: chunked\r\n\r\n")
            for i in range(0, 65536, 8192):
                s.sendall(b"%x\r\n" % 8192 + PAYLOAD[i : i + 8192] + b"\r\n")
            s.sendall(b"0\r\n\r\n")
        status, _, body = read_response(f)
        if status != 200 or body != b"65536":
            raise Bad("upload: status %d, body %r" % (status, body[:40]))
        ctx.count("uploads")
    finally:
        f.close()
        s.close()


def open_tunnel(ctx):
    s = connect(ctx.port)
    s.sendall(b"CONNECT %s:%d HTTP/1.1\r\nHost: e\r\n\r\n" % (HOST.encode(), ctx.echo))
    head = b""
    while b"\r\n\r\n" not in head:
        data = s.recv(1)
        if not data:
            raise Bad("tunnel: closed before the 200")
        head += data
    if not head.startswith(b"HTTP/1.1 200"):
        raise Bad("tunnel: %r" % head[:60])
    return s


def op_tunnel(ctx, rnd):
    s = open_tunnel(ctx)
    try:
        data = PAYLOAD[: 16384 + rnd.randrange(1024)]
        s.sendall(data)
        got = b""
        while len(got) < len(data):
            chunk = s.recv(65536)
            if not chunk:
                raise Bad("tunnel: closed after %d bytes" % len(got))
            got += chunk
        if got != data:
            raise Bad("tunnel: echo differs")
        ctx.count("tunnels")
    finally:
        s.close()


def op_blocked(ctx, rnd):
    s = connect(ctx.port)
    f = s.makefile("rb")
    try:
        name = rnd.choice((BLOCKED, "www." + BLOCKED, "A.B." + BLOCKED.upper() + "."))
        s.sendall(b"GET http://%s/ HTTP/1.1\r\nHost: %s\r\n\r\n" % (name.encode(), name.encode()))
        status, _, _ = read_response(f)
        if status != 403:
            raise Bad("blocked %s: status %d" % (name, status))
        ctx.count("blocked")
    finally:
        f.close()
        s.close()


MALFORMED = [
    (b"GET http://h/ HTTP/1.1\nHost: h\n\n", 400),
    (b"GET http://h/ HTTP/1.1\r\nHost : h\r\n\r\n", 400),
    (b"GET http://h:99999/ HTTP/1.1\r\nHost: h\r\n\r\n", 400),
    (b"POST http://h/ HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
    (b"POST http://h/ HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 400),
    (b"GET /origin-form HTTP/1.1\r\nHost: h\r\n\r\n", 400),
    (b"GET https://h/ HTTP/1.1\r\nHost: h\r\n\r\n", 501),
    (b"GET http://h/" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n", 414),
    (b"GET http://h/ HTTP/1.1\r\n" + b"X-A: b\r\n" * 200 + b"\r\n", 431),
    (b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03" + b"\x00" * 40, 400),
]


def op_malformed(ctx, rnd):
    req, want = rnd.choice(MALFORMED)
    s = connect(ctx.port)
    f = s.makefile("rb")
    try:
        s.sendall(req)
        status, _, _ = read_response(f)
        if status != want:
            raise Bad("malformed %r: status %d, want %d" % (req[:30], status, want))
        expect_closed(s)
        ctx.count("malformed")
    finally:
        f.close()
        s.close()


def op_abort(ctx, rnd):
    kind = rnd.randrange(4)
    if kind == 3:
        s = open_tunnel(ctx)
        s.sendall(PAYLOAD[:4096])
    else:
        s = connect(ctx.port)
        if kind == 0:  # head cut half-way
            s.sendall(b"GET http://%s:%d/size/100 HTTP/1.1\r\nHo" % (HOST.encode(), ctx.origin))
        elif kind == 1:  # body cut half-way
            s.sendall(b"POST http://%s:%d/echo HTTP/1.1\r\nContent-Length: 65536\r\n\r\n" % (HOST.encode(), ctx.origin))
            s.sendall(PAYLOAD[:20000])
        else:  # response abandoned after its first bytes
            s.sendall(b"GET http://%s:%d/size/65536 HTTP/1.1\r\nHost: o\r\n\r\n" % (HOST.encode(), ctx.origin))
            s.recv(100)
    if rnd.random() < 0.5:  # a reset instead of a FIN
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    s.close()
    ctx.count("aborts")


# ---- the run --------------------------------------------------------------------


class Context:
    def __init__(self, port, origin, echo, deadline):
        self.port, self.origin, self.echo, self.deadline = port, origin, echo, deadline
        self.lock = threading.Lock()
        self.counts = {}
        self.errors = []

    def count(self, what, n=1):
        with self.lock:
            self.counts[what] = self.counts.get(what, 0) + n

    def error(self, what):
        with self.lock:
            self.errors.append(what)


def worker(ctx, op, seed):
    rnd = random.Random(seed)
    while time.monotonic() < ctx.deadline:
        try:
            op(ctx, rnd)
        except (Bad, OSError, ValueError) as e:
            ctx.error("%s: %s" % (op.__name__, e))
            time.sleep(0.05)


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def admin_get(port, path):
    s = connect(port)
    try:
        s.sendall(b"GET %s HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n" % path.encode())
        f = s.makefile("rb")
        status, _, body = read_response(f)
        f.close()
        return status, body.decode()
    finally:
        s.close()


def metric(text, name):
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            total += float(line.rsplit(" ", 1)[1])
    return total


def write_lists(work, generation):
    with open(os.path.join(work, "block.txt"), "w") as f:
        f.write("%s\n" % BLOCKED)
        for i in range(generation % 5 * 1000):
            f.write("filler%d-%d.soak.invalid\n" % (generation, i))


def start_proxy(args, work):
    conf = os.path.join(work, "portcullis.conf")
    with open(conf, "w") as f:
        f.write(
            "Listen 127.0.0.1:0\nAdmin 127.0.0.1:0\nBlocklist block.txt\n"
            "AccessLog access.log\nConnectPort 1-65535\n"
        )
    write_lists(work, 0)
    err = open(os.path.join(work, "proxy.stderr"), "w+")
    env = dict(os.environ, ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "quarantine_size_mb=16:detect_leaks=1"))
    proc = subprocess.Popen([args.proxy, "-c", conf], stdout=err, stderr=err, env=env)
    ports = {}
    end = time.monotonic() + 30
    while len(ports) < 2 and time.monotonic() < end and proc.poll() is None:
        time.sleep(0.1)
        with open(err.name) as f:
            for line in f:
                m = re.search(r"(admin )?listening on 127\.0\.0\.1:(\d+)", line)
                if m:
                    ports["admin" if m.group(1) else "proxy"] = int(m.group(2))
    if len(ports) < 2:
        proc.kill()
        sys.exit("soak: the proxy did not start; see %s" % err.name)
    return proc, ports["proxy"], ports["admin"], err.name


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--proxy", required=True, help="the portcullis binary")
    ap.add_argument("--work", required=True, help="a scratch directory")
    ap.add_argument("--seconds", type=int, default=600)
    ap.add_argument("--reload-every", type=int, default=30)
    ap.add_argument("--rss-growth-mb", type=float, default=16.0)
    args = ap.parse_args()
    if not 10 <= args.seconds <= 86400:
        sys.exit("soak: --seconds must be 10-86400")
    os.makedirs(args.work, exist_ok=True)
    for k in [k for k in os.environ if k.lower().endswith("_proxy")]:
        del os.environ[k]

    origin = serve(ThreadedHTTP((HOST, 0), Origin))
    echo = serve(ThreadedTCP((HOST, 0), Echo))
    proc, port, admin, stderr_path = start_proxy(args, args.work)
    start = time.monotonic()
    ctx = Context(port, origin, echo, start + args.seconds)
    ops = [op_keepalive, op_keepalive, op_upload, op_tunnel, op_blocked, op_malformed, op_abort]
    threads = [threading.Thread(target=worker, args=(ctx, op, i)) for i, op in enumerate(ops)]
    for t in threads:
        t.start()

    samples = []  # (seconds, KiB)
    reloads = 0
    next_sample, next_reload = start, start + args.reload_every
    while time.monotonic() < ctx.deadline and proc.poll() is None:
        now = time.monotonic()
        if now >= next_sample:
            samples.append((round(now - start), rss_kib(proc.pid)))
            next_sample += 10
        if now >= next_reload:
            reloads += 1
            write_lists(args.work, reloads)
            proc.send_signal(signal.SIGHUP)
            next_reload += args.reload_every
        time.sleep(0.2)
    for t in threads:
        t.join(timeout=3 * IO_TIMEOUT)
    died = proc.poll() is not None
    if not died:
        samples.append((round(time.monotonic() - start), rss_kib(proc.pid)))

    problems = []
    active = -1
    if not died:
        time.sleep(1)  # the last aborted connections close
        status, text = admin_get(admin, "/metrics")
        active = metric(text, "portcullis_connections_active")
        ok_reloads = sum(
            float(l.rsplit(" ", 1)[1])
            for l in text.splitlines()
            if l.startswith("portcullis_config_reloads_total") and 'result="success"' in l
        )
        if status != 200:
            problems.append("/metrics answered %d" % status)
        if active != 0:
            problems.append("%d connections still open after the load" % active)
        if ok_reloads != reloads:
            problems.append("%d reloads sent, %d counted as successful" % (reloads, ok_reloads))
        proc.send_signal(signal.SIGTERM)
    try:
        code = proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        code = "killed after 30 s"
    if died:
        problems.append("the proxy died during the load (exit %s)" % code)
    elif code != 0:
        problems.append("the proxy exited with %s after SIGTERM" % code)
    with open(stderr_path, errors="replace") as f:
        log = f.read()
    if re.search(r"AddressSanitizer|LeakSanitizer|runtime error:", log):
        problems.append("a sanitizer report in %s" % stderr_path)
    if ctx.errors:
        problems.append("%d wrong answers (first: %s)" % (len(ctx.errors), ctx.errors[0]))
    warm_up = max(10, min(60, args.seconds // 4))  # pools and the ASan quarantine fill first
    warm = [kib for t, kib in samples if t >= warm_up] or [kib for _, kib in samples]
    growth = (warm[-1] - warm[0]) / 1024.0 if warm else 0.0
    if growth > args.rss_growth_mb:
        problems.append("RSS grew by %.1f MiB after warm-up" % growth)

    elapsed = time.monotonic() - start
    total = sum(v for k, v in ctx.counts.items())
    print("soak: %d s, %d reloads, %d operations (%.0f/s)" % (elapsed, reloads, total, total / elapsed))
    for k in sorted(ctx.counts):
        print("soak:   %-20s %d" % (k, ctx.counts[k]))
    print("soak: wrong answers: %d" % len(ctx.errors))
    for e in ctx.errors[:10]:
        print("soak:   " + e)
    print("soak: RSS KiB at " + ", ".join("%ds %d" % s for s in samples))
    if warm:
        print("soak: RSS after warm-up %d KiB, at the end %d KiB (%+.1f MiB)" % (warm[0], warm[-1], growth))
    print("soak: connections open after the load: %d" % active)
    for p in problems:
        print("soak: FAIL: " + p)
    print("soak: " + ("FAILED" if problems else "passed"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
