#!/usr/bin/env python3
"""bench/proxy/hold_tunnels.py: the held-tunnel workload of the proxy benchmark,
a concurrency and memory probe for a forward proxy (stdlib only).

Opens N concurrent CONNECT tunnels through the proxy to the origin, holds them
idle, and reports how many succeeded plus the proxy's memory (summed over its
process tree, from /proc) before, while holding, and after closing. Optionally
sends one small GET through every held tunnel to prove it still works.

Everything is bounded: at most N connections, each step has a timeout, and the
whole run has a deadline. Only loopback addresses are accepted.

Example:
  bench/proxy/hold_tunnels.py --proxy 127.0.0.1:18110 --target 127.0.0.1:18080 \
      -n 1000 --pid 1234
Prints one JSON object on stdout.
"""
import argparse
import asyncio
import collections
import ipaddress
import json
import os
import resource
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import procstat  # noqa: E402


def loopback_hostport(s):
    host, _, port = s.rpartition(":")
    host = host.strip("[]")
    if not ipaddress.ip_address(host).is_loopback:
        raise argparse.ArgumentTypeError(f"{s}: only loopback addresses are allowed")
    return host, int(port)


def mem(pid):
    return procstat.tree_mem(pid) if pid else None


async def open_tunnel(args, sem, i):
    """Return (outcome, (reader, writer) or None)."""
    target = f"{args.target[0]}:{args.target[1]}"
    async with sem:
        try:
            r, w = await asyncio.wait_for(
                asyncio.open_connection(args.proxy[0], args.proxy[1]), args.timeout)
        except Exception as e:  # noqa: BLE001 - we classify every failure
            return "connect:" + type(e).__name__, None
        try:
            w.write(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode())
            hdr = await asyncio.wait_for(r.readuntil(b"\r\n\r\n"), args.timeout)
            code = int(hdr.split(b" ", 2)[1])
            if not 200 <= code < 300:
                w.close()
                return f"status:{code}", None
            return "ok", (r, w)
        except Exception as e:  # noqa: BLE001
            w.close()
            return "reply:" + type(e).__name__, None


async def verify_tunnel(args, rw):
    r, w = rw
    target = f"{args.target[0]}:{args.target[1]}"
    try:
        w.write(f"GET {args.verify_path} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode())
        hdr = await asyncio.wait_for(r.readuntil(b"\r\n\r\n"), args.timeout)
        code = int(hdr.split(b" ", 2)[1])
        length = 0
        for line in hdr.split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"content-length":
                length = int(v.strip())
        await asyncio.wait_for(r.readexactly(length), args.timeout)
        return "ok" if code == 200 else f"status:{code}"
    except Exception as e:  # noqa: BLE001
        return "verify:" + type(e).__name__


async def main_async(args):
    res = {"n": args.n, "proxy": "%s:%d" % args.proxy, "target": "%s:%d" % args.target}
    res["mem_before"] = mem(args.pid)
    sem = asyncio.Semaphore(args.parallel)
    t0 = time.monotonic()
    tasks = [asyncio.ensure_future(open_tunnel(args, sem, i)) for i in range(args.n)]
    done, pending = await asyncio.wait(tasks, timeout=args.deadline)
    for t in pending:
        t.cancel()
    outcomes = collections.Counter()
    held = []
    for t in tasks:
        if t in pending or t.cancelled():
            outcomes["deadline"] += 1
            continue
        what, rw = t.result()
        outcomes[what] += 1
        if rw:
            held.append(rw)
    res["open_secs"] = round(time.monotonic() - t0, 3)
    res["ok"] = len(held)
    res["outcomes"] = dict(outcomes)
    await asyncio.sleep(args.settle)
    res["mem_hold"] = mem(args.pid)
    rest = args.hold - args.settle
    if rest > 0:
        await asyncio.sleep(rest)
    if args.verify and held:
        vt = [asyncio.ensure_future(verify_tunnel(args, rw)) for rw in held]
        vdone, vpending = await asyncio.wait(vt, timeout=args.deadline)
        for t in vpending:
            t.cancel()
        vout = collections.Counter(
            t.result() if t in vdone and not t.cancelled() else "deadline" for t in vt)
        res["verify_ok"] = vout.get("ok", 0)
        res["verify_outcomes"] = dict(vout)
        res["mem_verify"] = mem(args.pid)
    for _, w in held:
        w.close()
    if held:
        await asyncio.wait([asyncio.ensure_future(w.wait_closed()) for _, w in held],
                           timeout=10)
    await asyncio.sleep(args.settle)
    res["mem_after"] = mem(args.pid)
    b, h = res["mem_before"], res["mem_hold"]
    if b and h and res["ok"]:
        res["rss_per_tunnel_bytes"] = round((h["rss_kib"] - b["rss_kib"]) * 1024 / res["ok"])
        res["pss_per_tunnel_bytes"] = round((h["pss_kib"] - b["pss_kib"]) * 1024 / res["ok"])
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--proxy", type=loopback_hostport, required=True, help="HOST:PORT")
    ap.add_argument("--target", type=loopback_hostport, default=("127.0.0.1", 18080),
                    help="CONNECT target HOST:PORT (default 127.0.0.1:18080)")
    ap.add_argument("-n", type=int, default=1000, help="tunnels to open (default 1000)")
    ap.add_argument("--pid", type=int, default=0, help="proxy root PID for memory readings")
    ap.add_argument("--parallel", type=int, default=64, help="connects in flight (default 64)")
    ap.add_argument("--timeout", type=float, default=15.0, help="per-step timeout, s")
    ap.add_argument("--deadline", type=float, default=90.0, help="limit for opening all, s")
    ap.add_argument("--hold", type=float, default=5.0, help="seconds to hold (default 5)")
    ap.add_argument("--settle", type=float, default=2.0, help="wait before memory reading, s")
    ap.add_argument("--verify", action="store_true", help="GET through each held tunnel")
    ap.add_argument("--verify-path", default="/100b")
    args = ap.parse_args()
    if not 1 <= args.n <= 100000:
        ap.error("-n must be 1..100000")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = args.n + 64
    if soft < need:
        soft = min(hard, max(need, soft)) if hard != resource.RLIM_INFINITY else need
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    if soft < need:
        print(json.dumps({"n": args.n, "ok": 0, "skipped": f"fd limit {soft} < {need}"}))
        return 0
    print(json.dumps(asyncio.run(main_async(args))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
