"""bench/proxy/procstat.py: the /proc readings of the proxy benchmark (Linux only,
stdlib only): process trees, their CPU time and memory, and machine load.

A "tree" is a root PID plus all its live descendants, so multi-process proxies
(a master + workers + helpers) are summed. Threads are not summed separately:
a process's RSS and CPU time already cover all its threads.
"""
import os

CLK_TCK = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid):
    """Fields of /proc/PID/stat after the command name (index 0 = state)."""
    with open(f"/proc/{pid}/stat", "rb") as f:
        data = f.read()
    return data[data.rindex(b")") + 2:].split()


def start_time(pid):
    """Start time of PID in clock ticks since boot, or None if it is gone."""
    try:
        return int(_stat_fields(pid)[19])
    except (OSError, ValueError, IndexError):
        return None


def descendants(root):
    """[root] + every live descendant of root (breadth first)."""
    children = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            ppid = int(_stat_fields(name)[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop(0)
        if not os.path.exists(f"/proc/{pid}"):
            continue
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def tree_cpu_seconds(root):
    """User+system CPU seconds used so far by root and its live descendants
    (for each process this includes all of its threads, dead ones too)."""
    total = 0
    for pid in descendants(root):
        try:
            f = _stat_fields(pid)
            total += int(f[11]) + int(f[12])
        except (OSError, ValueError, IndexError):
            pass
    return total / CLK_TCK


def tree_mem(root):
    """Memory of the tree: summed VmRSS and Pss (KiB), process and thread counts."""
    rss = pss = threads = nproc = 0
    for pid in descendants(root):
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        rss += int(line.split()[1])
                    elif line.startswith("Threads:"):
                        threads += int(line.split()[1])
            nproc += 1
        except (OSError, ValueError):
            continue
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        pss += int(line.split()[1])
                        break
        except OSError:
            pass
    return {"rss_kib": rss, "pss_kib": pss, "threads": threads, "processes": nproc}


def machine_cpu():
    """(busy, total, steal) jiffies from the aggregate line of /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + (v[4] if len(v) > 4 else 0)
    total = sum(v[:8])  # guest time is already inside user/nice
    steal = v[7] if len(v) > 7 else 0
    return total - idle, total, steal


def loadavg():
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


def cpu_pressure_us():
    """PSI 'some' total for CPU (µs during which a runnable task waited for a CPU),
    or None where /proc/pressure is missing."""
    try:
        with open("/proc/pressure/cpu") as f:
            for line in f:
                if line.startswith("some"):
                    return int(line.rsplit("total=", 1)[1])
    except (OSError, ValueError, IndexError):
        pass
    return None
