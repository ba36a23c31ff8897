#!/usr/bin/python3
"""Runs a command and samples the memory of its whole process tree every 0.5 s.

    bench-mem.py --out FILE [--interval S] [--also-pidfile FILE]... -- COMMAND [ARG]...

Writes FILE (JSON): wall_s, exit_code, peak_rss_mb (peak of the summed RSS of the command and all
its descendants), peak_pss_mb (the same with PSS, which shares pages such as PostgreSQL's shared
buffers or common libraries out fairly instead of counting them once per process), cpu_s (user +
system seconds of the command's tree, plus what the extra trees used meanwhile), the load average
before and after (other work on the machine skews wall times), samples.
--also-pidfile adds a server's process tree (first line of the file is its pid, as in
postmaster.pid) to the sums while the command runs: the baseline's PostGIS work happens there.
Exits with the command's exit code. Linux only (reads /proc).
"""
import json
import os
import signal
import subprocess
import sys
import time


def children_map():
    kids = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                stat = f.read().decode("ascii", "replace")
            # The command name is in parentheses and may hold spaces: split after the last ')'.
            ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        kids.setdefault(ppid, []).append(int(name))
    return kids


def tree(roots, kids):
    seen, todo = set(), list(roots)
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        todo.extend(kids.get(p, ()))
    return seen


def mem_kb(pid):
    """(rss_kb, pss_kb) of one process, 0 when it has gone."""
    rss = pss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Rss:"):
                    rss = int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss = int(line.split()[1])
    except (OSError, ValueError):
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        rss = pss = int(line.split()[1])
        except (OSError, ValueError):
            pass
    return rss, pss


CLK = os.sysconf("SC_CLK_TCK")


def cpu_s(pid):
    """User + system seconds a process has used so far, None when it has gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read().decode("ascii", "replace")
        fields = stat[stat.rindex(")") + 2:].split()
        return (int(fields[11]) + int(fields[12])) / CLK
    except (OSError, ValueError, IndexError):
        return None


def loadavg():
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


def read_pidfile(path):
    try:
        with open(path) as f:
            return int(f.readline().strip())
    except (OSError, ValueError):
        return None


def main(argv):
    out, interval, pidfiles = None, 0.5, []
    i = 0
    while i < len(argv) and argv[i] != "--":
        if argv[i] == "--out":
            out = argv[i + 1]; i += 2
        elif argv[i] == "--interval":
            interval = float(argv[i + 1]); i += 2
        elif argv[i] == "--also-pidfile":
            pidfiles.append(argv[i + 1]); i += 2
        else:
            print(f"bench-mem: unknown option {argv[i]}", file=sys.stderr)
            return 2
    cmd = argv[i + 1:]
    if not out or not cmd:
        print(__doc__, file=sys.stderr)
        return 2
    load_before = loadavg()
    # CPU the extra trees (a database server) had used before the command, to count only its share.
    kids0 = children_map()
    extra0 = {p: cpu_s(p) or 0.0
              for p in tree([p for p in (read_pidfile(f) for f in pidfiles) if p], kids0)}
    extra_cpu = {}
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, start_new_session=True)
    forward = lambda sig, _frame: os.killpg(proc.pid, sig)  # noqa: E731
    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, forward)
    peak_rss = peak_pss = 0
    samples = 0
    while True:
        kids = children_map()
        extra = tree([p for p in (read_pidfile(f) for f in pidfiles) if p], kids)
        rss = pss = 0
        for pid in tree([proc.pid], kids) | extra:
            r, p = mem_kb(pid)
            rss += r
            pss += p
        for pid in extra:
            c = cpu_s(pid)
            if c is not None:
                extra_cpu[pid] = max(extra_cpu.get(pid, 0.0), c - extra0.get(pid, 0.0))
        peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
        samples += 1
        # wait4 reaps the command and returns its tree's CPU (every descendant it waited for). Polled
        # every 20 ms so that the wall time is not rounded up to the sampling interval.
        until = time.monotonic() + interval
        pid = 0
        while time.monotonic() < until:
            time.sleep(0.02)
            pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
            if pid == proc.pid:
                break
        if pid == proc.pid:
            rc = os.waitstatus_to_exitcode(status)
            break
    wall = time.monotonic() - t0
    proc.returncode = rc
    tree_cpu = ru.ru_utime + ru.ru_stime
    with open(out, "w") as f:
        json.dump({"command": cmd, "exit_code": rc, "wall_s": round(wall, 2),
                   "peak_rss_mb": round(peak_rss / 1024), "peak_pss_mb": round(peak_pss / 1024),
                   "cpu_s": round(tree_cpu + sum(extra_cpu.values()), 1),
                   "cpu_s_extra_trees": round(sum(extra_cpu.values()), 1),
                   "loadavg_before": load_before, "loadavg_after": loadavg(),
                   "samples": samples, "interval_s": interval,
                   "extra_process_trees": pidfiles}, f, indent=2)
    return rc if rc >= 0 else 128 - rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
