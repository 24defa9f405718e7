#!/usr/bin/env python3
"""bench/proxy/bench.py: the Portcullis proxy benchmark (entry point: bench/run.sh).

Owns the whole run: builds Portcullis in Release mode, starts an nginx origin,
the installed peers (tinyproxy, Squid, HAProxy; privoxy on request) and the
Portcullis rows, runs every workload against every row in turn (workload-major,
so all rows see the same machine noise), stops everything it started, and
prints Markdown tables plus the issue-8 targets as ratios (saved as JSON and
Markdown). Adapted from the team's shared proxy-benchmark harness. Loopback
only; every load step is bounded in count and time. See bench/README.md.
"""
import argparse
import datetime
import hashlib
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
BENCH = os.path.dirname(os.path.abspath(__file__))          # bench/proxy
ROOT = os.path.dirname(os.path.dirname(BENCH))              # the repository
sys.path.insert(0, BENCH)
import procstat  # noqa: E402

HOST = "127.0.0.1"          # every address used anywhere in the harness
ORIGIN_HTTP_PORT = 18080
ORIGIN_HTTPS_PORT = 18443
PORTCULLIS_PORT = 18110     # the scaling rows take the next ports
FILES = [("100b", 100), ("16k", 16 << 10), ("1m", 1 << 20), ("256m", 256 << 20)]
BULK_FILE, BULK_SIZE = "256m", 256 << 20
LUA = os.path.join(BENCH, "absform.lua")
HOLD = os.path.join(BENCH, "hold_tunnels.py")
WORKLOADS = ["ka", "close", "bulk", "hold", "rate"]
HOLD_FD_RESERVE = 256       # descriptors a proxy needs besides 2 per held tunnel
TUNNEL_TARGET = 10000       # the concurrent-tunnel target

# The peers. cmd and conf are templates (placeholders: see Row.start). A peer
# whose program is not installed is skipped with a note.
PEERS = {
    "haproxy": dict(cmd="haproxy -db -f {conf}", conf="conf/haproxy.cfg",
                    port=18104, pkg="haproxy", default=True),
    "squid": dict(cmd="squid -N -f {conf}", conf="conf/squid.conf",
                  port=18102, pkg="squid", default=True),
    "tinyproxy": dict(cmd="tinyproxy -d -c {conf}", conf="conf/tinyproxy.conf",
                      port=18101, pkg="tinyproxy", default=True),
    "privoxy": dict(cmd="privoxy --no-daemon {conf}", conf="conf/privoxy.conf",
                    port=18103, pkg="privoxy", default=False),
}
PORTCULLIS_CONF = os.path.join(BENCH, "conf", "portcullis.conf")
TOOLS = ["nginx", "wrk", "curl", "openssl"]


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def clean_env(extra=None):
    """Environment without any *_proxy variables, so nothing is sent elsewhere."""
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env.update(extra or {})
    return env


def render(text, ph):
    """Replace only the known {placeholders}; other braces (nginx, privoxy) stay."""
    for k, v in ph.items():
        text = text.replace("{" + k + "}", str(v))
    return text


def port_in_use(port):
    try:
        with socket.create_connection((HOST, port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_port(port, proc, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what} exited with status {proc.returncode} before "
                               f"listening on {HOST}:{port}")
        if port_in_use(port):
            return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not listen on {HOST}:{port} within {timeout}s")


def tail(path, n=15):
    try:
        with open(path, "rb") as f:
            f.seek(max(0, os.path.getsize(path) - 16384))
            return b"".join(f.read().splitlines(True)[-n:]).decode(errors="replace")
    except OSError:
        return ""


def run(cmd, timeout, env=None, check=False, cwd=None):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                          env=env or clean_env(), check=check, cwd=cwd)


def fd_limit():
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


# --------------------------------------------------------------------------- processes

class Started:
    """A process tree we started (own session); stopped by PID only."""

    def __init__(self, name, argv, cwd, logfile):
        self.name = name
        self.logfile = logfile
        with open(logfile, "wb") as out:
            self.proc = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL,
                                         stdout=out, stderr=subprocess.STDOUT,
                                         start_new_session=True, env=clean_env())
        self.pid = self.proc.pid

    def alive(self):
        return self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM, grace=10):
        if self.proc.poll() is not None:
            return
        tree = [(p, procstat.start_time(p)) for p in procstat.descendants(self.pid)]
        try:
            os.kill(self.pid, sig)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(grace)
        except subprocess.TimeoutExpired:
            log(f"{self.name}: still running {grace}s after {sig.name}; SIGKILL {self.pid}")
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(5)
        # Children of ours that outlived the root (same PID *and* start time).
        deadline = time.monotonic() + 3
        for pid, st in tree[1:]:
            while st is not None and procstat.start_time(pid) == st \
                    and time.monotonic() < deadline:
                time.sleep(0.1)
            if st is not None and procstat.start_time(pid) == st:
                log(f"{self.name}: leftover child {pid}; SIGKILL")
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass


def shell_argv(cmd):
    """sh -c with exec, so the PID we hold is the proxy itself."""
    return ["/bin/sh", "-c", "exec " + cmd]


# --------------------------------------------------------------------------- measuring

class Meter:
    """CPU of the proxy tree, the origin tree and the whole machine over a block."""

    def __init__(self, row, origin):
        self.row, self.origin = row, origin
        self.res = {}

    def _cpu(self, s):
        return procstat.tree_cpu_seconds(s.pid) if s is not None else None

    def __enter__(self):
        self.res["loadavg_before"] = procstat.loadavg()
        self.p0 = self._cpu(self.row.started)
        self.o0 = self._cpu(self.origin)
        self.m0 = procstat.machine_cpu()
        self.psi0 = procstat.cpu_pressure_us()
        self.t0 = time.monotonic()
        return self

    def __exit__(self, *exc):
        wall = time.monotonic() - self.t0
        m1 = procstat.machine_cpu()
        psi1 = procstat.cpu_pressure_us()
        p1, o1 = self._cpu(self.row.started), self._cpu(self.origin)
        dt = max(1, m1[1] - self.m0[1])
        self.res.update(
            wall_s=round(wall, 3),
            proxy_cpu_s=None if p1 is None else round(p1 - self.p0, 3),
            origin_cpu_s=None if o1 is None else round(o1 - self.o0, 3),
            machine_busy_pct=round(100.0 * (m1[0] - self.m0[0]) / dt, 1),
            machine_steal_pct=round(100.0 * (m1[2] - self.m0[2]) / dt, 1),
            # share of the wall time in which some runnable task waited for a CPU
            cpu_pressure_pct=None if psi1 is None or self.psi0 is None
            else round((psi1 - self.psi0) / 1e4 / max(wall, 1e-3), 1),
        )
        return False


def to_ms(value, unit):
    return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4, "h": 3.6e6}[unit]


def parse_wrk(out):
    r = {}
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    r["rps"] = float(m.group(1)) if m else None
    m = re.search(r"(\d+) requests in ([\d.]+)(\w+)", out)
    r["requests"] = int(m.group(1)) if m else None
    for pct in ("50", "75", "90", "99"):
        m = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s|m|h)\s*$", out, re.M)
        r[f"p{pct}_ms"] = round(to_ms(*m.groups()), 4) if m else None
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    r["socket_errors"] = dict(zip(("connect", "read", "write", "timeout"),
                                  map(int, m.groups()))) if m else {}
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    r["non_2xx"] = int(m.group(1)) if m else 0
    return r


def curl(url, proxy_port=None, tunnel=False, max_time=120):
    cmd = ["curl", "-sS", "-o", "/dev/null", "--max-time", str(max_time),
           "-w", "%{http_code} %{size_download} %{speed_download} %{time_total}"]
    if url.startswith("https:"):
        cmd.append("-k")
    if proxy_port:
        cmd += ["-x", f"http://{HOST}:{proxy_port}"]
        if tunnel:
            cmd.append("--proxytunnel")
    cmd.append(url)
    try:
        p = run(cmd, timeout=max_time + 15)
    except subprocess.TimeoutExpired:
        return {"ok": False, "error": "timeout", "cmd": " ".join(cmd)}
    f = p.stdout.split()
    r = {"cmd": " ".join(cmd), "rc": p.returncode}
    try:
        r.update(code=int(f[0]), size=int(f[1]), bytes_per_s=float(f[2]), secs=float(f[3]))
    except (IndexError, ValueError):
        r["code"] = 0
    if p.stderr.strip():
        r["error"] = p.stderr.strip()[-300:]
    return r


# --------------------------------------------------------------------------- rows

class Row:
    """One column set of the tables: direct, a peer, or a Portcullis row.

    Portcullis rows carry the binary, extra config lines (Workers N) and an
    optional CPU list for taskset. A row with skip_reason set is never started.
    """

    def __init__(self, name, port, cmd=None, conf=None, kind="peer"):
        self.name, self.port, self.cmd, self.conf = name, port, cmd, conf
        self.kind = kind                  # direct, peer, portcullis
        self.direct = kind == "direct"
        self.extra_conf = []              # lines appended to the rendered config
        self.cpus = None                  # taskset CPU list, or None
        self.workers = None               # the Workers directive's value, or None
        self.workloads = None             # None = every workload of the run
        self.skip_reason = None
        self.started = None
        self.workdir = None
        self.caps = {"http": self.direct, "connect_http": False, "connect_tls": False}
        self.preflight = {}
        self.error = None
        self.info = {}

    def placeholders(self, wd):
        return dict(port=self.port, host=HOST, workdir=wd, bench=BENCH, name=self.name,
                    origin_http_port=ORIGIN_HTTP_PORT, origin_https_port=ORIGIN_HTTPS_PORT,
                    fd_limit=fd_limit())

    def render_conf(self, wd):
        """Write the rendered config into wd; return its path (or None)."""
        if not self.conf:
            return None
        with open(self.conf) as f:
            text = render(f.read(), self.placeholders(wd))
        if self.extra_conf:
            text += "# Added by bench.py for this row:\n" + "\n".join(self.extra_conf) + "\n"
        path = os.path.join(wd, os.path.basename(self.conf))
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, 0o644)
        return path

    def command(self, wd, conf_path):
        ph = self.placeholders(wd)
        ph["conf"] = conf_path
        cmd = render(self.cmd, ph)
        if self.cpus is not None:
            cmd = f"taskset -c {self.cpus} {cmd}"
        return cmd

    def start(self, tmp):
        self.starts = getattr(self, "starts", 0) + 1
        wd = os.path.join(tmp, "proxy-" + self.name
                          + ("" if self.starts == 1 else f"-start{self.starts}"))
        os.makedirs(wd)
        os.chmod(wd, 0o777)    # squid/tinyproxy drop privileges and write logs here
        self.workdir = wd
        cmd = self.command(wd, self.render_conf(wd))
        self.info["command"] = cmd
        if port_in_use(self.port):
            raise RuntimeError(f"{self.name}: port {HOST}:{self.port} is already in use")
        self.started = Started(self.name, shell_argv(cmd), wd, os.path.join(wd, "stdout.log"))
        self.info["pid"] = self.started.pid
        self.info["starts"] = self.starts
        wait_port(self.port, self.started.proc, 20, self.name)
        time.sleep(0.3)

    def check(self):
        """Preflight: absolute-form GET, CONNECT to the plain and the TLS origin port."""
        tests = {
            "http": (f"http://{HOST}:{ORIGIN_HTTP_PORT}/16k", False),
            "connect_http": (f"http://{HOST}:{ORIGIN_HTTP_PORT}/16k", True),
            "connect_tls": (f"https://{HOST}:{ORIGIN_HTTPS_PORT}/16k", True),
        }
        for cap, (url, tunnel) in tests.items():
            r = curl(url, self.port, tunnel, max_time=10)
            ok = r.get("code") == 200 and r.get("size") == 16 << 10
            self.caps[cap] = ok
            self.preflight[cap] = "ok" if ok else (r.get("error") or f"HTTP {r.get('code')}")

    def stop(self):
        if self.started:
            self.started.stop()

    def restart(self, tmp):
        """Fresh process (e.g. so memory readings do not depend on earlier workloads)."""
        self.stop()
        deadline = time.monotonic() + 15
        while port_in_use(self.port) and time.monotonic() < deadline:
            time.sleep(0.2)
        self.start(tmp)


def check_portcullis_conf(row, binary, tmp):
    """`portcullis -t -c` on the row's rendered config; a rejection skips the row
    (e.g. a Workers directive the binary does not know yet)."""
    wd = tempfile.mkdtemp(prefix="check-" + row.name + ".", dir=tmp)
    path = row.render_conf(wd)
    try:
        p = run([binary, "-t", "-c", path], timeout=30)
        out = (p.stdout + p.stderr).strip()
        rc = p.returncode
    except (OSError, subprocess.TimeoutExpired) as e:
        out, rc = str(e), -1
    out = out.replace(path, "portcullis.conf")
    row.info["config_check"] = out
    if rc != 0:
        row.skip_reason = f"the binary rejects its config: {out.splitlines()[-1] if out else rc}"
    shutil.rmtree(wd, ignore_errors=True)


def binary_info(path):
    """Path, size, mtime and sha256 of a program (a command's first word)."""
    path = shutil.which(path) if path else None
    if not path:
        return {}
    info = {"path": os.path.realpath(path)}
    try:
        st = os.stat(info["path"])
        info["size"] = st.st_size
        info["mtime"] = datetime.datetime.fromtimestamp(st.st_mtime).isoformat(timespec="seconds")
        if st.st_size < 200 << 20:
            with open(info["path"], "rb") as f:
                info["sha256"] = hashlib.sha256(f.read()).hexdigest()
    except OSError:
        pass
    return info


def versions(rows, binary):
    v = {}
    pkgs = {"nginx", "wrk", "curl", "openssl"} | {PEERS[r.name]["pkg"] for r in rows
                                                 if r.name in PEERS and not r.skip_reason}
    for pkg in sorted(pkgs):
        try:
            p = run(["dpkg-query", "-W", "-f", "${Version}", pkg], timeout=10)
            v[pkg] = p.stdout.strip() or None
        except (OSError, subprocess.TimeoutExpired):
            v[pkg] = None
    if binary:
        try:
            v["portcullis"] = run([binary, "-V"], timeout=10).stdout.strip().split()[-1]
        except (OSError, subprocess.TimeoutExpired, IndexError):
            v["portcullis"] = None
    v["kernel"] = platform.release()
    return v


# --------------------------------------------------------------------------- build

def git_info():
    info = {}
    try:
        info["commit"] = run(["git", "rev-parse", "--short=12", "HEAD"], 30,
                             cwd=ROOT).stdout.strip() or None
        dirty = run(["git", "status", "--porcelain", "--untracked-files=no"], 30,
                    cwd=ROOT).stdout.strip()
        info["dirty"] = bool(dirty)
    except (OSError, subprocess.TimeoutExpired):
        pass
    return info


def export_rev(rev, tmp_base):
    """Copy the tree of commit rev (git archive) into a new scratch dir; return it."""
    src = tempfile.mkdtemp(prefix="portcullis-bench-src.", dir=tmp_base)
    with subprocess.Popen(["git", "-C", ROOT, "archive", "--format=tar", rev],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE) as git:
        tar = subprocess.run(["tar", "-x", "-C", src], stdin=git.stdout,
                             capture_output=True, timeout=300)
        err = git.stderr.read().decode(errors="replace")
        git.wait(60)
    if git.returncode or tar.returncode:
        shutil.rmtree(src, ignore_errors=True)
        raise RuntimeError(f"git archive {rev} failed: {err.strip()} "
                           f"{tar.stderr.decode(errors='replace').strip()}")
    return src


def build_portcullis(args):
    """Configure and build the portcullis target in Release mode; return its path.
    The working tree by default; with --rev, that commit exported to a scratch dir
    and built there (so edits in progress in the working tree cannot leak in)."""
    source, build = ROOT, os.path.abspath(args.build_dir)
    if args.rev:
        source = export_rev(args.rev, args.tmp_base)
        args.src_tmp = source
        build = os.path.join(source, "build-bench")
    steps = [["cmake", "-S", source, "-B", build, "-DCMAKE_BUILD_TYPE=Release",
              "-DBUILD_TESTING=OFF"],
             ["cmake", "--build", build, "--target", "portcullis", "-j",
              str(os.cpu_count() or 2)]]
    t0 = time.monotonic()
    for cmd in steps:
        log("build: " + " ".join(cmd))
        p = run(cmd, timeout=1200)
        if p.returncode:
            raise RuntimeError("build failed:\n" + (p.stdout + p.stderr)[-3000:])
    binary = os.path.join(build, "portcullis")
    if not os.access(binary, os.X_OK):
        raise RuntimeError(f"build produced no {binary}")
    args.build_info = {"build_dir": build, "build_type": "Release",
                       "seconds": round(time.monotonic() - t0, 1), **git_info()}
    if args.rev:
        commit = run(["git", "-C", ROOT, "rev-parse", "--short=12", args.rev + "^{commit}"],
                     30).stdout.strip()
        args.build_info.update(rev=args.rev, commit=commit, dirty=False)
    try:
        with open(os.path.join(build, "CMakeCache.txt")) as f:
            for line in f:
                m = re.match(r"(CMAKE_C_COMPILER|CMAKE_C_FLAGS_RELEASE):\w+=(.*)", line)
                if m:
                    args.build_info[m.group(1).lower()] = m.group(2).strip()
    except OSError:
        pass
    return binary


# --------------------------------------------------------------------------- origin

def setup_origin(tmp):
    www = os.path.join(tmp, "www")
    wd = os.path.join(tmp, "origin")
    os.makedirs(www)
    os.makedirs(wd)
    cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
    run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", key, "-out", cert], timeout=60, check=True)
    for path in (cert, key):
        os.chmod(path, 0o644)
    for name, size in FILES:
        with open(os.path.join(www, name), "wb") as f:
            left = size
            while left:
                n = min(left, 8 << 20)
                f.write(os.urandom(n))
                left -= n
        os.chmod(os.path.join(www, name), 0o644)
    ph = dict(workdir=wd, docroot=www, cert=cert, key=key, fd_limit=fd_limit(),
              origin_http_port=ORIGIN_HTTP_PORT, origin_https_port=ORIGIN_HTTPS_PORT)
    with open(os.path.join(BENCH, "conf", "origin-nginx.conf")) as f:
        conf = render(f.read(), ph)
    conf_path = os.path.join(wd, "nginx.conf")
    with open(conf_path, "w") as f:
        f.write(conf)
    for port in (ORIGIN_HTTP_PORT, ORIGIN_HTTPS_PORT):
        if port_in_use(port):
            raise RuntimeError(f"origin port {HOST}:{port} is already in use")
    s = Started("nginx", ["nginx", "-p", wd, "-c", conf_path, "-e",
                          os.path.join(wd, "error.log")], wd, os.path.join(wd, "stdout.log"))
    try:
        wait_port(ORIGIN_HTTP_PORT, s.proc, 15, "nginx")
        wait_port(ORIGIN_HTTPS_PORT, s.proc, 15, "nginx")
        for url, size in ((f"http://{HOST}:{ORIGIN_HTTP_PORT}/100b", 100),
                          (f"https://{HOST}:{ORIGIN_HTTPS_PORT}/16k", 16 << 10)):
            r = curl(url, max_time=10)
            if r.get("code") != 200 or r.get("size") != size:
                raise RuntimeError(f"origin check failed for {url}: {r}")
    except Exception:
        log("nginx log:\n" + tail(os.path.join(wd, "error.log")))
        s.stop()
        raise
    return s


# --------------------------------------------------------------------------- workloads

def wl_wrk(row, origin, args, mode):
    """mode: ka (keep-alive), close (Connection: close)."""
    env = {"BENCH_TARGET": "", "BENCH_CLOSE": "0"}
    if row.direct:
        url = f"http://{HOST}:{ORIGIN_HTTP_PORT}/100b"
    else:
        url = f"http://{HOST}:{row.port}/"
        env["BENCH_TARGET"] = f"http://{HOST}:{ORIGIN_HTTP_PORT}/100b"
    if mode == "close":
        env["BENCH_CLOSE"] = "1"
    cmd = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s",
           "--latency", "--timeout", "5s", "-s", LUA, url]
    with Meter(row, origin) as m:
        try:
            p = run(cmd, timeout=args.duration + 60, env=clean_env(env))
            out = p.stdout + p.stderr
        except subprocess.TimeoutExpired:
            out = "timeout"
    r = parse_wrk(out)
    r.update(m.res)
    r["cmd"] = " ".join(f"{k}={v}" for k, v in env.items() if v) + " " + " ".join(cmd)
    if r.get("requests") and r.get("proxy_cpu_s") is not None:
        r["proxy_cpu_us_per_req"] = round(r["proxy_cpu_s"] * 1e6 / r["requests"], 2)
    if r.get("requests") and r.get("origin_cpu_s") is not None:
        r["origin_cpu_us_per_req"] = round(r["origin_cpu_s"] * 1e6 / r["requests"], 2)
    if r["rps"] is None:
        r["error"] = out[-500:]
    return r


def wl_rate(row, origin, args):
    """Fixed moderate request rate, open loop (ratecli.c), keep-alive connections."""
    if not args.ratecli:
        return {"skipped": "ratecli not built (needs a C compiler: apt-get install gcc)"}
    target = f"{HOST}:{ORIGIN_HTTP_PORT}"
    cmd = [args.ratecli, "-a", HOST, "-r", str(args.rate), "-d", str(args.duration),
           "-c", str(args.rate_conns), "-H", target]
    if row.direct:
        cmd += ["-p", str(ORIGIN_HTTP_PORT), "-u", "/100b"]
    else:
        cmd += ["-p", str(row.port), "-u", f"http://{target}/100b"]
    with Meter(row, origin) as m:
        try:
            p = run(cmd, timeout=args.duration + 60)
            r = json.loads(p.stdout.strip().splitlines()[-1])
        except (subprocess.TimeoutExpired, ValueError, IndexError) as e:
            r = {"error": f"{type(e).__name__}"}
    r.update(m.res)
    r["cmd"] = " ".join(cmd)
    r["requests"] = r.get("completed")
    if not r.get("completed"):
        for k in [k for k in r if k.endswith("_ms")]:
            r[k] = None
    if r.get("requests") and r.get("proxy_cpu_s") is not None:
        r["proxy_cpu_us_per_req"] = round(r["proxy_cpu_s"] * 1e6 / r["requests"], 2)
    return r


def build_ratecli(tmp):
    """Compile ratecli.c into the scratch dir with the project's main warnings."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        log("no C compiler: the 'rate' workload will be skipped")
        return None
    out = os.path.join(tmp, "ratecli")
    p = run([cc, "-std=c11", "-O2", "-Wall", "-Wextra", "-Wshadow", "-Wconversion",
             "-Wno-sign-conversion", "-o", out, os.path.join(BENCH, "ratecli.c")],
            timeout=120)
    if p.returncode:
        log("building ratecli failed:\n" + p.stderr[-1000:])
        return None
    if p.stderr.strip():
        log("ratecli compiler warnings:\n" + p.stderr[-1000:])
    return out


def wl_bulk(row, origin, args):
    kinds = [
        ("tls", f"https://{HOST}:{ORIGIN_HTTPS_PORT}/{BULK_FILE}", True, "connect_tls"),
        ("raw", f"http://{HOST}:{ORIGIN_HTTP_PORT}/{BULK_FILE}", True, "connect_http"),
        ("http", f"http://{HOST}:{ORIGIN_HTTP_PORT}/{BULK_FILE}", False, "http"),
    ]
    res = {}
    for kind, _, _, cap in kinds:
        res[kind] = {"runs": []} if (row.direct or row.caps.get(cap)) else \
            {"skipped": f"preflight {cap} failed"}
    for _ in range(args.bulk_reps):
        for kind, url, tunnel, cap in kinds:
            if "skipped" in res[kind]:
                continue
            with Meter(row, origin) as m:
                c = curl(url, None if row.direct else row.port, tunnel)
            c.update(m.res)
            c["ok"] = c.get("code") == 200 and c.get("size") == BULK_SIZE
            if c["ok"]:
                c["mb_per_s"] = round(c["bytes_per_s"] / 1e6, 1)
                if c.get("proxy_cpu_s") is not None:
                    c["proxy_cpu_s_per_gib"] = round(c["proxy_cpu_s"] / (BULK_SIZE / 2**30), 3)
            res[kind]["runs"].append(c)
            time.sleep(0.3)
    for kind in res:
        runs = [x for x in res[kind].get("runs", []) if x["ok"]]
        if "runs" in res[kind]:
            res[kind]["ok_runs"] = len(runs)
            res[kind]["median_mb_per_s"] = round(statistics.median(
                x["mb_per_s"] for x in runs), 1) if runs else None
            cpu = [x["proxy_cpu_s_per_gib"] for x in runs if "proxy_cpu_s_per_gib" in x]
            res[kind]["median_proxy_cpu_s_per_gib"] = round(statistics.median(cpu), 3) \
                if cpu else None
    return res


def hold_count_that_fits(n, limit):
    """(count to run, why lowered or None): a proxy holds 2 sockets per tunnel,
    so a count the descriptor limit cannot hold is lowered to the largest
    multiple of 100 that fits."""
    if 2 * n + HOLD_FD_RESERVE <= limit:
        return n, None
    fit = (limit - HOLD_FD_RESERVE) // 2 // 100 * 100
    return fit, (f"{n} tunnels need {2 * n + HOLD_FD_RESERVE} descriptors in the proxy; "
                 f"the limit is {limit} (ulimit -Hn), so {fit} were held instead")


def wl_hold(row, origin, args):
    if row.direct:
        return {"skipped": "not applicable to direct"}
    if not row.caps.get("connect_http"):
        return {"skipped": "preflight connect_http failed"}
    res = {}
    done = set()
    for n in args.hold_counts:
        run_n, lowered = hold_count_that_fits(n, fd_limit())
        if run_n < 1 or run_n in done:
            res[str(n)] = {"n": n, "skipped": lowered or "already measured"}
            continue
        done.add(run_n)
        if args.hold_fresh:
            try:
                row.restart(args.tmp)
            except Exception as e:  # noqa: BLE001
                row.error = f"restart before hold failed: {e}"
                res[str(n)] = {"n": run_n, "ok": 0, "error": row.error}
                break
        cmd = [sys.executable, HOLD, "--proxy", f"{HOST}:{row.port}",
               "--target", f"{HOST}:{ORIGIN_HTTP_PORT}", "-n", str(run_n),
               "--pid", str(row.started.pid), "--hold", str(args.hold_secs), "--verify"]
        with Meter(row, origin) as m:
            try:
                p = run(cmd, timeout=args.hold_secs + 300)
                try:
                    r = json.loads(p.stdout.strip().splitlines()[-1])
                except (ValueError, IndexError):
                    r = {"n": run_n, "ok": 0,
                         "error": "bad output: " + (p.stdout + p.stderr)[-300:]}
            except subprocess.TimeoutExpired:
                r = {"n": run_n, "ok": 0, "error": "hold_tunnels.py timed out"}
        r.update(m.res)
        r["requested"] = n
        if lowered:
            r["lowered"] = lowered
        r["fresh_process"] = bool(args.hold_fresh)
        r["proxy_alive_after"] = row.started.alive()
        res[str(n)] = r
        time.sleep(2)
        if not row.started.alive():
            break
    return res


def run_workload(name, row, origin, args):
    if row.workloads is not None and name not in row.workloads:
        return {"skipped": "not run for this row (--scaling-workloads)"}
    if not row.direct and (row.started is None or not row.started.alive()):
        return {"skipped": "proxy not running" + (f": {row.error}" if row.error else "")}
    if name in ("ka", "close", "rate") and not row.caps.get("http"):
        return {"skipped": "preflight http failed"}
    if name == "bulk":
        return wl_bulk(row, origin, args)
    if name == "hold":
        return wl_hold(row, origin, args)
    if name == "rate":
        return wl_rate(row, origin, args)
    return wl_wrk(row, origin, args, name)


# --------------------------------------------------------------------------- report

def fmt(v, digits=0):
    if v is None:
        return "—"
    if digits == 0:
        return f"{round(v):,}"
    return f"{v:.{digits}f}"


def wrk_flags(r, notes, label):
    errs = r.get("socket_errors") or {}
    bad = {k: v for k, v in errs.items() if v}
    if r.get("non_2xx"):
        bad["non-2xx"] = r["non_2xx"]
    if bad:
        notes.append(f"{label}: " + ", ".join(f"{k} {v}" for k, v in bad.items())
                     + f" (of {r.get('requests')} requests)")
        return "*"
    return ""


def rate_flags(r, notes, label):
    if not r or "skipped" in r:
        return ""
    bad = {k: r.get(k) for k in ("non_200", "errors", "unfinished") if r.get(k)}
    if r.get("error"):
        bad["failed"] = r["error"]
    if r.get("achieved_rps") is not None and r["achieved_rps"] < 0.95 * r.get("target_rps", 0):
        bad["achieved req/s"] = r["achieved_rps"]
    if bad:
        notes.append(f"{label}: " + ", ".join(f"{k} {v}" for k, v in bad.items()))
        return "*"
    return ""


def biggest_hold(hold):
    """The hold result with the most tunnels that has a memory reading."""
    best = None
    for x in hold.values() if isinstance(hold, dict) else []:
        if isinstance(x, dict) and x.get("rss_per_tunnel_bytes") is not None:
            if best is None or x.get("n", 0) > best.get("n", 0):
                best = x
    return best


def hold_cells(row, hold, counts, notes):
    cells = []
    for n in counts:
        x = hold.get(str(n), {})
        if "skipped" in hold or not x:
            cells.append("n/a" if "skipped" in hold else "—")
            continue
        if "skipped" in x:
            cells.append("skip")
            notes.append(f"{row.name} hold {n}: {x['skipped']}")
            continue
        run_n = x.get("n", n)
        cell = f"{x.get('ok', 0)}/{run_n}"
        if x.get("lowered"):
            cell += "†"
            notes.append(f"{row.name} hold {n}: † {x['lowered']}")
        v = x.get("verify_ok")
        if v is not None and v != x.get("ok"):
            cell += f" (GET ok {v})"
        if x.get("ok", 0) < run_n:
            notes.append(f"{row.name} hold {n}: outcomes {x.get('outcomes')}"
                         + (f" {x['error']}" if x.get("error") else "")
                         + ("" if x.get("proxy_alive_after", True) else "; PROXY DIED"))
        cells.append(cell)
    return cells


def tables(rows, pres, args):
    """Two Markdown tables for one pass: performance, then proxy cost."""
    notes = []
    h = args.hold_counts
    head = ["row", "KA req/s", "KA p50 ms", "KA p99 ms", "close req/s", "close p99 ms",
            "TLS tunnel MB/s", "raw tunnel MB/s", "HTTP fwd MB/s"] + \
        [f"hold {n}" for n in h] + ["KiB/tunnel", f"@{args.rate}/s p50 ms",
                                     f"@{args.rate}/s p99 ms"]
    head2 = ["row", "CPU µs/req KA", "CPU µs/req close", "CPU µs/req @rate",
             "CPU s/GiB TLS", "CPU s/GiB raw", "CPU s/GiB HTTP",
             "RSS idle MiB", "RSS holding MiB", "threads holding", "s to open all"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines2 = ["| " + " | ".join(head2) + " |", "|" + "---|" * len(head2)]
    lines[1] = "|" + "|".join(["---"] * len(head)) + "|"
    lines2[1] = "|" + "|".join(["---"] * len(head2)) + "|"
    for row in rows:
        if row.skip_reason:
            continue
        r = pres.get(row.name, {})
        ka, cl, rt = r.get("ka", {}), r.get("close", {}), r.get("rate", {})
        bulk, hold = r.get("bulk", {}), r.get("hold", {})
        f1 = wrk_flags(ka, notes, f"{row.name} KA")
        f2 = wrk_flags(cl, notes, f"{row.name} close")
        f3 = rate_flags(rt, notes, f"{row.name} @{args.rate}/s")
        cells = [row.name,
                 fmt(ka.get("rps")) + f1, fmt(ka.get("p50_ms"), 2), fmt(ka.get("p99_ms"), 2),
                 fmt(cl.get("rps")) + f2, fmt(cl.get("p99_ms"), 2)]
        for kind in ("tls", "raw", "http"):
            b = bulk.get(kind, {})
            cell = fmt(b.get("median_mb_per_s"))
            if b.get("runs") and b.get("ok_runs", 0) < len(b["runs"]):
                cell += "*"
                errs = [x.get("error") or f"HTTP {x.get('code')} size {x.get('size')}"
                        for x in b["runs"] if not x["ok"]]
                notes.append(f"{row.name} {kind} bulk: {len(errs)} failed: {errs[0]}")
            if "skipped" in b and not row.direct:
                cell = "n/a"
            cells.append(cell)
        cells += hold_cells(row, hold, h, notes)
        big = biggest_hold(hold)
        cells.append(fmt(big["rss_per_tunnel_bytes"] / 1024, 1) if big else
                     ("n/a" if row.direct or "skipped" in hold else "—"))
        cells += [fmt(rt.get("p50_ms"), 3) + f3, fmt(rt.get("p99_ms"), 2)]
        lines.append("| " + " | ".join(cells) + " |")
        if row.direct:
            continue
        mb = big.get("mem_before", {}) if big else {}
        mh = big.get("mem_hold", {}) if big else {}
        c2 = [row.name, fmt(ka.get("proxy_cpu_us_per_req"), 1),
              fmt(cl.get("proxy_cpu_us_per_req"), 1), fmt(rt.get("proxy_cpu_us_per_req"), 1)]
        for kind in ("tls", "raw", "http"):
            c2.append(fmt(bulk.get(kind, {}).get("median_proxy_cpu_s_per_gib"), 2))
        c2 += [fmt(mb.get("rss_kib", 0) / 1024, 1) if mb else "—",
               fmt(mh.get("rss_kib", 0) / 1024, 1) + f" (N={big.get('n')})" if mh else "—",
               fmt(mh.get("threads")) if mh else "—",
               fmt(big.get("open_secs"), 1) if big else "—"]
        lines2.append("| " + " | ".join(c2) + " |")
        for wl in WORKLOADS:
            x = r.get(wl, {})
            if isinstance(x, dict) and x.get("skipped") and wl in args.workloads \
                    and not x["skipped"].startswith("not run for this row"):
                notes.append(f"{row.name} {wl}: skipped ({x['skipped']})")
    keep1 = [i for i, w in enumerate(col_workloads(h)) if w is None or w in args.workloads]
    keep2 = [i for i, w in enumerate(COST_COLUMNS) if w is None or w in args.workloads]
    return pick(lines, keep1), pick(lines2, keep2), notes


def col_workloads(h):
    """The workload behind each column of the first table (None: always shown)."""
    return [None, "ka", "ka", "ka", "close", "close", "bulk", "bulk", "bulk"] \
        + ["hold"] * len(h) + ["hold", "rate", "rate"]


COST_COLUMNS = [None, "ka", "close", "rate", "bulk", "bulk", "bulk",
                "hold", "hold", "hold", "hold"]


def pick(lines, keep):
    """Only the given columns of a Markdown table."""
    out = []
    for line in lines:
        cells = line.strip("|").split("|")
        out.append("|" + "|".join(cells[i] for i in keep if i < len(cells)) + "|")
    return "\n".join(out)


# ---- the targets -----------------------------------------------------

def metric(res, name):
    """One number of one row in one pass, or None."""
    ka, cl, rt = res.get("ka", {}), res.get("close", {}), res.get("rate", {})
    bulk = res.get("bulk", {})
    if name == "ka_rps":
        return ka.get("rps")
    if name == "ka_cpu":
        return ka.get("proxy_cpu_us_per_req")
    if name == "close_rps":
        return cl.get("rps")
    if name in ("tls", "raw", "http"):
        return bulk.get(name, {}).get("median_mb_per_s")
    if name == "kib_per_tunnel":
        big = biggest_hold(res.get("hold", {}))
        return big["rss_per_tunnel_bytes"] / 1024 if big else None
    if name == "rate_p50":
        return rt.get("p50_ms") if rt.get("completed") else None
    if name == "rate_p99":
        return rt.get("p99_ms") if rt.get("completed") else None
    raise KeyError(name)


def median_metric(passes, row, name):
    vals = [metric(p["results"].get(row, {}), name) for p in passes]
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None


# (label, metric, reference row or None for an absolute target, op, bound, unit)
TARGETS = [
    ("keep-alive 100 B GETs, req/s", "ka_rps", "haproxy", ">=", 1.0, ""),
    ("keep-alive 100 B GETs, req/s", "ka_rps", "squid", ">=", 2.5, ""),
    ("proxy CPU per keep-alive request, µs", "ka_cpu", "haproxy", "<=", 1.0, ""),
    ("new connection per request, req/s", "close_rps", "squid", ">=", 3.0, ""),
    ("raw CONNECT tunnel, MB/s", "raw", "direct", ">=", 0.80, ""),
    ("TLS through CONNECT, MB/s", "tls", "direct", ">=", 0.95, ""),
    ("plain HTTP 256 MiB download, MB/s", "http", "haproxy", ">=", 1.0, ""),
    ("memory per idle held tunnel, KiB", "kib_per_tunnel", None, "<=", 4.0, " KiB"),
    ("latency at 1000 req/s, p50 ms", "rate_p50", "direct", "<=", 2.0, ""),
    ("latency at 1000 req/s, p99 ms", "rate_p99", None, "<=", 0.5, " ms"),
]


def digits_for(v):
    return 0 if v is None or abs(v) >= 100 else (1 if abs(v) >= 10 else
                                                  (2 if abs(v) >= 0.1 else 3))


def ratio_lines(result, subject="portcullis"):
    """The targets of issue 8: Portcullis's value, the reference, the ratio, PASS/FAIL."""
    passes = result["passes"]
    rows = result["rows"]
    if subject not in rows or rows[subject].get("skip_reason") or not passes:
        return "(no Portcullis results: no ratios)\n"
    out = ["| target | portcullis | reference | ratio | needed | result |",
           "|---|---|---|---|---|---|"]
    for label, name, ref, op, bound, unit in TARGETS:
        mine = median_metric(passes, subject, name)
        if ref is None:
            ok = None if mine is None else (mine >= bound if op == ">=" else mine <= bound)
            out.append(f"| {label} | {fmt(mine, digits_for(mine))} | (absolute) | — | "
                       f"{op.replace('>=', '≥').replace('<=', '≤')} {bound:g}{unit} | "
                       f"{'n/a' if ok is None else ('PASS' if ok else 'FAIL')} |")
            continue
        theirs = median_metric(passes, ref, name) if ref in rows and \
            not rows[ref].get("skip_reason") else None
        ratio = mine / theirs if mine is not None and theirs else None
        ok = None if ratio is None else (ratio >= bound if op == ">=" else ratio <= bound)
        why = "" if ref in rows and not rows[ref].get("skip_reason") else " (row not run)"
        out.append(f"| {label} | {fmt(mine, digits_for(mine))} | {ref} "
                   f"{fmt(theirs, digits_for(theirs))}{why} | "
                   f"{'—' if ratio is None else f'{ratio:.2f}×'} | "
                   f"{op.replace('>=', '≥').replace('<=', '≤')} {bound:.2f}× | "
                   f"{'n/a' if ok is None else ('PASS' if ok else 'FAIL')} |")
    out.append(tunnel_target_line(passes, subject))
    scaling = [v for v in rows.values() if v.get("workers") is not None]
    if scaling:
        shown = [v for v in scaling if not v.get("skip_reason")]
        out.append("| scaling with `Workers N` (taskset) | see the scaling table | — | — | "
                   f"shown | {'shown' if shown else 'n/a (rows skipped)'} |")
    return "\n".join(out) + "\n"


def tunnel_target_line(passes, subject):
    """10,000 concurrent tunnels held, and a GET through every one of them works."""
    label = f"{TUNNEL_TARGET:,} concurrent tunnels held, all working"
    cells = []
    verdicts = []
    for p in passes:
        x = p["results"].get(subject, {}).get("hold", {}).get(str(TUNNEL_TARGET))
        if not x:
            cells.append("not run")
            verdicts.append(None)
            continue
        if "skipped" in x:
            cells.append("skipped")
            verdicts.append(None)
            continue
        n = x.get("n", 0)
        cell = f"{x.get('ok', 0)}/{n} held, GET ok {x.get('verify_ok', 0)}"
        if n < TUNNEL_TARGET:
            cells.append(cell + " (fd limit)")
            verdicts.append("n/a")
            continue
        cells.append(cell)
        verdicts.append(x.get("ok") == n and x.get("verify_ok") == n)
    if any(v is False for v in verdicts):
        verdict = "FAIL"
    elif verdicts and all(v is True for v in verdicts):
        verdict = "PASS"
    else:
        verdict = "n/a"
    cells = list(dict.fromkeys(cells))     # one cell when every pass says the same
    return (f"| {label} | {'; '.join(cells) or '—'} | (absolute) | — | "
            f"{TUNNEL_TARGET:,}/{TUNNEL_TARGET:,} | {verdict} |")


def scaling_lines(result):
    """Portcullis with Workers N under taskset: shown, no target."""
    rows = {k: v for k, v in result["rows"].items() if v.get("workers") is not None}
    if not rows:
        return ""
    passes = result["passes"]
    out = ["| row | Workers | CPUs (taskset) | KA req/s | close req/s | HTTP fwd MB/s | "
           "KA vs w1 |", "|---|---|---|---|---|---|---|"]
    base = None
    for name, info in sorted(rows.items(), key=lambda kv: kv[1]["workers"]):
        if info.get("skip_reason"):
            out.append(f"| {name} | {info['workers']} | {info.get('cpus')} | skipped: "
                       f"{info['skip_reason']} | | | |")
            continue
        ka = median_metric(passes, name, "ka_rps")
        if info["workers"] == 1:
            base = ka
        out.append(f"| {name} | {info['workers']} | {info.get('cpus')} | {fmt(ka)} | "
                   f"{fmt(median_metric(passes, name, 'close_rps'))} | "
                   f"{fmt(median_metric(passes, name, 'http'))} | "
                   f"{f'{ka / base:.2f}×' if ka and base else '—'} |")
    return "\n".join(out) + "\n"


def noise_line(result):
    vals = []
    for p in result["passes"]:
        for res in p["results"].values():
            for wl in res.values():
                if isinstance(wl, dict) and wl.get("cpu_pressure_pct") is not None:
                    vals.append(wl["cpu_pressure_pct"])
    if not vals:
        return ""
    return (f"Machine noise: load average at start {result['host']['loadavg_at_start']}; "
            f"CPU pressure during the measurements median {statistics.median(vals):.0f}%, "
            f"max {max(vals):.0f}% (share of wall time some task waited for a CPU; "
            "the load itself causes some).\n")


def report(result, rows, args):
    out = []
    for p in result["passes"]:
        t1, t2, notes = tables(rows, p["results"], args)
        out.append(f"### Pass {p['pass']} (row order: {', '.join(p['order'])}; "
                   f"{p['duration_s']:.0f} s)\n")
        out.append(t1 + "\n")
        out.append("Proxy process cost (CPU of the proxy's process tree per request or per "
                   "GiB; memory summed over its processes, at the largest hold count):\n")
        out.append(t2 + "\n")
        if notes:
            out.append("Notes:\n" + "\n".join(f"- {n}" for n in notes) + "\n")
    skipped = [r for r in rows if r.skip_reason]
    if skipped:
        out.append("Rows not run:\n" + "\n".join(f"- {r.name}: {r.skip_reason}"
                                                  for r in skipped) + "\n")
    many = f" (median of {len(result['passes'])} passes)" if len(result["passes"]) > 1 else ""
    out.append(f"### Targets (issue 8): Portcullis against its references{many}\n")
    out.append(ratio_lines(result))
    out.append(noise_line(result))
    sc = scaling_lines(result)
    if sc:
        out.append("### Scaling with `Workers N` (portcullis pinned with taskset; "
                   "wrk and nginx are not pinned)\n")
        out.append(sc)
    return "\n".join(out)


def header(result):
    b = result.get("build") or {}
    pc = (result["rows"].get("portcullis") or {}).get("binary") or {}
    built = ""
    if b:
        state = "-dirty" if b.get("dirty") else ""
        kind = f"{b.get('build_type')} ({b.get('cmake_c_flags_release', '')})" \
            if b.get("build_type") else "given binary"
        built = f"Portcullis {b.get('commit', '?')}{state}, {kind}, {pc.get('path')}\n\n"
    host = result["host"]
    stopped = "INTERRUPTED, partial results — " if result.get("interrupted") else ""
    return (f"## Portcullis proxy benchmark {result['started']} — {stopped}{host['nproc']} "
            f"CPUs, load at start {host['loadavg_at_start']}, fd limit "
            f"{host['nofile_limit']}, total {result.get('duration_s', 0):.0f} s\n\n"
            + built + "Versions: "
            + ", ".join(f"{k} {v}" for k, v in result["versions"].items()) + "\n")


# --------------------------------------------------------------------------- main

def parse_args(argv):
    ap = argparse.ArgumentParser(
        prog="bench/run.sh",
        description="Build Portcullis (Release) and benchmark it against its peers and a "
                    "direct connection, on loopback.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Rows: direct, portcullis, portcullis-wN (--workers), "
               + ", ".join(f"{k}{'' if v['default'] else ' (optional: --with)'}"
                           for k, v in PEERS.items())
               + ".\nWorkloads: ka, close, bulk, hold, rate (see bench/README.md).")
    ap.add_argument("--only", nargs="+", metavar="NAME", action="extend",
                    help="run only these rows (comma or space separated; include direct, "
                         "haproxy and squid to keep the references of the targets)")
    ap.add_argument("--with", dest="with_", nargs="+", metavar="NAME", action="extend",
                    default=[], help="add optional peers (privoxy)")
    ap.add_argument("--workers", default="1,2",
                    help="scaling rows portcullis-wN: 'Workers N' in the config and taskset "
                         "to CPUs 0..N-1 (default 1,2; 'none' for no scaling rows)")
    ap.add_argument("--scaling-workloads", default="ka,close,bulk",
                    help="workloads the scaling rows run (default ka,close,bulk)")
    ap.add_argument("--conf", action="append", default=[], metavar="NAME=FILE",
                    help="use another config template for a row (portcullis, squid, ...)")
    ap.add_argument("--portcullis", metavar="BINARY",
                    help="benchmark this binary instead of building one")
    ap.add_argument("--build-dir", default=os.path.join(ROOT, "build-bench"),
                    help="CMake build dir for the Release build (default build-bench/)")
    ap.add_argument("--rev", metavar="COMMIT",
                    help="build this commit (git archive into a scratch dir) instead of "
                         "the working tree, e.g. HEAD")
    ap.add_argument("--workloads", default="all",
                    help="comma list of ka,close,bulk,hold,rate (default all)")
    ap.add_argument("--passes", type=int, default=1, help="repeat all workloads (default 1)")
    ap.add_argument("--duration", type=int, default=10, help="seconds per wrk/rate run (10)")
    ap.add_argument("--threads", type=int, default=2, help="wrk threads (2)")
    ap.add_argument("--connections", type=int, default=64, help="wrk connections (64)")
    ap.add_argument("--bulk-reps", type=int, default=3, help="256 MiB downloads per kind (3)")
    ap.add_argument("--hold-counts", default=f"1000,{TUNNEL_TARGET}",
                    help=f"tunnels to hold (1000,{TUNNEL_TARGET}); a count the fd limit "
                         "cannot hold is lowered to what fits")
    ap.add_argument("--hold-secs", type=float, default=5, help="seconds to hold them (5)")
    ap.add_argument("--hold-no-restart", dest="hold_fresh", action="store_false",
                    help="do not restart each proxy before each hold count")
    ap.add_argument("--rate", type=int, default=1000, help="fixed request rate/s (1000)")
    ap.add_argument("--rate-conns", type=int, default=16,
                    help="keep-alive connections the fixed-rate client spreads over (16)")
    ap.add_argument("--quick", action="store_true",
                    help="development smoke test: 3 s runs, 1 bulk rep, hold 200,1000")
    ap.add_argument("--tmp-base", default="/dev/shm" if os.path.isdir("/dev/shm") else None,
                    help="where the scratch dir goes (default /dev/shm, so that logs cost "
                         "no disk I/O; without it, $TMPDIR or the system's temp dir)")
    ap.add_argument("--keep-tmp", action="store_true", help="keep the scratch dir (logs)")
    ap.add_argument("--results-dir", default=os.path.join(ROOT, "bench", "results"))
    ap.add_argument("--list", action="store_true", help="list rows and exit")
    ap.add_argument("--report", metavar="JSON",
                    help="only print the tables of a saved results file, run nothing")
    args = ap.parse_args(argv)
    if args.quick:
        args.duration, args.bulk_reps, args.hold_secs = 3, 1, 2
        if args.hold_counts == f"1000,{TUNNEL_TARGET}":
            args.hold_counts = "200,1000"
    args.hold_counts = [int(x) for x in args.hold_counts.split(",") if x.strip()]
    args.workloads = parse_workloads(ap, args.workloads, "--workloads")
    args.scaling_workloads = parse_workloads(ap, args.scaling_workloads, "--scaling-workloads")
    if args.workers.strip().lower() in ("", "none", "0"):
        args.workers = []
    else:
        try:
            args.workers = sorted({int(x) for x in args.workers.split(",") if x.strip()})
        except ValueError:
            ap.error("--workers: a comma list of worker counts, or none")
        if any(not 1 <= n <= 64 for n in args.workers):
            ap.error("--workers must be 1..64")
    if not 1 <= args.passes <= 10 or not 1 <= args.duration <= 300:
        ap.error("--passes must be 1..10 and --duration 1..300")
    if any(not 1 <= n <= 50000 for n in args.hold_counts):
        ap.error("--hold-counts must be 1..50000")
    if not 1 <= args.rate <= 100000 or not 1 <= args.rate_conns <= 5000:
        ap.error("--rate must be 1..100000 and --rate-conns 1..5000")
    if not 1 <= args.bulk_reps <= 20:
        ap.error("--bulk-reps must be 1..20")
    return args, ap


def parse_workloads(ap, text, opt):
    wl = WORKLOADS if text == "all" else [w.strip() for w in text.split(",") if w.strip()]
    bad = [w for w in wl if w not in WORKLOADS]
    if bad:
        ap.error(f"{opt}: unknown workload(s) {bad}; choose from {WORKLOADS}")
    return wl


def build_rows(args, ap, binary):
    confs = {}
    for c in args.conf:
        name, sep, path = c.partition("=")
        if not sep or not os.path.isfile(path):
            ap.error(f"--conf {c}: expected NAME=FILE with an existing file")
        confs[name] = os.path.abspath(path)
    catalog = {"direct": Row("direct", ORIGIN_HTTP_PORT, kind="direct")}
    pc_cmd = f"{binary or 'portcullis'} -c {{conf}}"
    catalog["portcullis"] = Row("portcullis", PORTCULLIS_PORT, pc_cmd,
                                confs.get("portcullis", PORTCULLIS_CONF), kind="portcullis")
    for i, n in enumerate(args.workers):
        r = Row(f"portcullis-w{n}", PORTCULLIS_PORT + 1 + i, pc_cmd,
                confs.get("portcullis", PORTCULLIS_CONF), kind="portcullis")
        r.workers = n
        r.cpus = "0" if n == 1 else f"0-{n - 1}"
        r.extra_conf = [f"Workers {n}"]
        r.workloads = args.scaling_workloads
        if n > (os.cpu_count() or 1):
            r.skip_reason = f"{n} workers need {n} CPUs; this machine has {os.cpu_count()}"
        elif not shutil.which("taskset"):
            r.skip_reason = "taskset not installed (util-linux)"
        catalog[r.name] = r
    for name, p in PEERS.items():
        r = Row(name, p["port"], p["cmd"], confs.get(name, os.path.join(BENCH, p["conf"])))
        if not shutil.which(p["cmd"].split()[0]):
            r.skip_reason = f"not installed (apt-get install {p['pkg']})"
        catalog[name] = r
    for name in confs:
        if name not in catalog or name == "direct":
            ap.error(f"--conf {name}: no such row")
    if args.only:
        names = [n for x in args.only for n in x.split(",") if n]
    else:
        names = ["direct", "portcullis"] + [f"portcullis-w{n}" for n in args.workers]
        names += [n for n, p in PEERS.items() if p["default"]]
        names += [n for x in args.with_ for n in x.split(",") if n and n not in names]
    unknown = [n for n in names if n not in catalog]
    if unknown:
        ap.error(f"unknown row(s) {unknown}; known: {', '.join(catalog)}")
    return [catalog[n] for n in dict.fromkeys(names)], catalog


def report_saved(path):
    with open(path) as f:
        result = json.load(f)
    args = argparse.Namespace(**result["settings"])
    rows = []
    for name, v in result["rows"].items():
        r = Row(name, v.get("port"), kind="direct" if name == "direct" else "peer")
        r.skip_reason = v.get("skip_reason")
        rows.append(r)
    print(header(result) + "\n" + report(result, rows, args))
    return 0


def start_rows(rows, tmp):
    for row in rows:
        if row.direct or row.skip_reason:
            continue
        try:
            row.start(tmp)
            row.check()
            log(f"{row.name}: pid {row.started.pid} on {HOST}:{row.port}; "
                f"preflight {row.preflight}")
        except Exception as e:   # noqa: BLE001 - report and keep the other rows
            row.error = str(e)
            log(f"{row.name}: FAILED to start: {e}\n"
                + (tail(row.started.logfile) if row.started else ""))


def main(argv):
    args, ap = parse_args(argv)
    if args.report:
        return report_saved(args.report)
    if args.list:
        rows, catalog = build_rows(args, ap, args.portcullis)
        for name, r in catalog.items():
            print(f"{name:16} port {r.port:5}  {r.cmd or '(no proxy: client -> nginx)'}"
                  + (f"  conf {os.path.relpath(r.conf, ROOT)}" if r.conf else "")
                  + (f"  + {'; '.join(r.extra_conf)}, taskset -c {r.cpus}" if r.cpus else "")
                  + (f"  [skipped: {r.skip_reason}]" if r.skip_reason else ""))
        return 0
    missing = [t for t in TOOLS if not shutil.which(t)]
    if missing:
        log(f"missing programs: {', '.join(missing)} (apt-get install {' '.join(missing)})")
        return 2
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    def on_term(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGHUP, on_term)

    t_start = time.monotonic()
    started_at = datetime.datetime.now()
    args.build_info = {}
    args.src_tmp = None
    if args.portcullis:
        binary = os.path.abspath(args.portcullis)
        args.build_info = {"given_binary": binary, **git_info()}
    else:
        try:
            binary = build_portcullis(args)
        except (RuntimeError, OSError, subprocess.TimeoutExpired) as e:
            log(f"{e}\nThe Release build failed; nothing was started. To benchmark an "
                "existing binary instead: bench/run.sh --portcullis PATH; a commit: --rev")
            if args.src_tmp:
                shutil.rmtree(args.src_tmp, ignore_errors=True)
            return 2
    rows, _ = build_rows(args, ap, binary)
    for row in rows:
        row.info["binary"] = binary_info(row.cmd.split()[0]) if row.cmd else None
    tmp = tempfile.mkdtemp(prefix="portcullis-bench.", dir=args.tmp_base)
    os.chmod(tmp, 0o755)
    args.tmp = tmp
    for row in rows:
        if row.kind == "portcullis" and not row.skip_reason:
            check_portcullis_conf(row, binary, tmp)
        if row.skip_reason:
            log(f"{row.name}: skipped: {row.skip_reason}")
    result = {
        "started": started_at.isoformat(timespec="seconds"),
        "host": {"nproc": os.cpu_count(), "kernel": platform.release(),
                 "loadavg_at_start": procstat.loadavg(), "nofile_limit": fd_limit()},
        "settings": {k: v for k, v in vars(args).items()
                     if k not in ("list", "tmp", "build_info", "report", "src_tmp")},
        "build": args.build_info,
        "versions": versions(rows, binary),
        "rows": {}, "passes": [],
    }
    live = [r for r in rows if not r.skip_reason]
    log(f"scratch dir {tmp}; rows: {', '.join(r.name for r in live)}; "
        f"workloads: {', '.join(args.workloads)}; passes: {args.passes}; fd limit {fd_limit()}")
    origin = None
    interrupted = False
    try:
        args.ratecli = build_ratecli(tmp) if "rate" in args.workloads else None
        log("origin: generating files and cert, starting nginx")
        origin = setup_origin(tmp)
        start_rows(live, tmp)
        for k in range(args.passes):
            order = live[k % len(live):] + live[:k % len(live)]
            t0 = time.monotonic()
            # Appended first and filled in as it goes, so an interrupted run keeps
            # what it measured.
            pas = {"pass": k + 1, "order": [r.name for r in order], "duration_s": 0,
                   "results": {r.name: {} for r in live}}
            result["passes"].append(pas)
            for wl in args.workloads:
                for row in order:
                    if row.workloads is not None and wl not in row.workloads:
                        continue
                    log(f"pass {k + 1}/{args.passes}  {wl:5}  {row.name}")
                    pas["results"][row.name][wl] = run_workload(wl, row, origin, args)
                    pas["duration_s"] = round(time.monotonic() - t0, 1)
                    time.sleep(1)
    except KeyboardInterrupt as e:
        interrupted = True
        log(f"interrupted ({e}); stopping everything")
    finally:
        for row in live:
            if row.started:
                row.info["alive_at_end"] = row.started.alive()
                row.info["log_tails"] = {
                    f: tail(os.path.join(row.workdir, f), 5)
                    for f in sorted(os.listdir(row.workdir)) if f.endswith(".log")}
            row.stop()
        if origin:
            origin.stop()
        if args.keep_tmp:
            log(f"kept scratch dir {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
            if args.src_tmp:
                shutil.rmtree(args.src_tmp, ignore_errors=True)
    for row in rows:
        result["rows"][row.name] = {
            "port": None if row.direct else row.port, "command_template": row.cmd,
            "conf_template": os.path.relpath(row.conf, ROOT) if row.conf else None,
            "extra_conf": row.extra_conf, "cpus": row.cpus, "workers": row.workers,
            "skip_reason": row.skip_reason, "preflight": row.preflight,
            "start_error": row.error,
            **row.info}
    result["duration_s"] = round(time.monotonic() - t_start, 1)
    result["interrupted"] = interrupted
    os.makedirs(args.results_dir, exist_ok=True)
    stamp = started_at.strftime("%Y%m%d-%H%M%S")
    jpath = os.path.join(args.results_dir, f"{stamp}.json")
    with open(jpath, "w") as f:
        json.dump(result, f, indent=1)
    md = header(result) + "\n" + report(result, rows, args)
    with open(os.path.join(args.results_dir, f"{stamp}.md"), "w") as f:
        f.write(md)
    print(md)
    log(f"results: {jpath} (and .md)")
    return 130 if interrupted else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
