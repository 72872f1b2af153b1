"""Wall time and peak memory of the main job against its budget (full 90 s, 150 s cold; quick 60 s).

Memory budget: 3 GB for the job's processes together.

Run: ``python benchmarks/main_job.py [--only full|quick] [--repeat 1] [--cold]``.

Each run is a fresh ``amu-causal run`` process under ``/usr/bin/time -v``
(GNU time), writing into a temporary folder; wall time and maximum resident
set size are read from its report. The main job starts one worker process
(the baselines, while the Bayesian models compile); GNU time reports the
largest resident set of the process tree's members, so the sum over the tree
is also polled with psutil (every 0.2 s) and printed, with the load average
before and after (other work on the machine slows the run).
The stage times come from the run's own ``stages.csv``.

The peer is the budget of the issue: the ratio printed is measured time over
budget (below 1 meets it). Because other work on a shared machine stretches the
wall time, the CPU time (user + system, the worker included) is printed too:
half of it is the wall time the job needs at the least on two idle cores.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pandas as pd

BUDGET = {"full": (90.0, 3.0), "quick": (60.0, 3.0)}  # seconds, GB, with a warm cache
COLD_BUDGET = {"full": 150.0, "quick": 60.0}  # seconds, empty compile cache
TIME = "/usr/bin/time"


def _field(report: str, name: str) -> str:
    match = re.search(rf"{re.escape(name)}: (.+)", report)
    if not match:
        raise RuntimeError(f"GNU time printed no {name!r}; is {TIME} GNU time?")
    return match.group(1).strip()


def _seconds(text: str) -> float:
    parts = [float(p) for p in text.split(":")]
    return sum(p * 60 ** i for i, p in enumerate(reversed(parts)))


class _TreePeak(threading.Thread):
    """Largest sum of resident set sizes over a process and its descendants.

    Polled every 0.2 s with psutil (when installed): GNU time reports only the
    largest single member of the tree, and the main job runs two processes.
    A peak shorter than the polling interval can be missed.
    """

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak, self.stop = pid, 0, threading.Event()

    def run(self) -> None:
        try:
            import psutil
        except ImportError:  # the sum is then not reported
            return
        try:
            root = psutil.Process(self.pid)
        except psutil.Error:
            return
        while not self.stop.is_set():
            total = 0
            try:
                for member in [root, *root.children(recursive=True)]:
                    with contextlib.suppress(psutil.Error):  # a member that just ended
                        total += member.memory_info().rss
            except psutil.Error:
                break
            self.peak = max(self.peak, total)
            self.stop.wait(0.2)


def run(kind: str, cold: bool = False) -> dict:
    """One run of the main job; its wall time, peak memory and stages.

    With ``cold``, PyTensor's compile directory (and the numba cache in it) is
    a new empty folder, as on a machine where nothing was compiled before.
    """
    out = Path(tempfile.mkdtemp(prefix=f"amu_main_{kind}_"))
    env = dict(os.environ)
    if cold:
        compiledir = tempfile.mkdtemp(prefix="amu_pytensor_")
        env["PYTENSOR_FLAGS"] = ",".join(filter(None, [env.get("PYTENSOR_FLAGS"),
                                                        f"base_compiledir={compiledir}"]))
    command = [TIME, "-v", sys.executable, "-m", "amu_causal.cli", "run", "--quiet",
               "--out", str(out)] + (["--quick"] if kind == "quick" else [])
    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env=env)
    tree_peak = _TreePeak(process.pid)
    tree_peak.start()
    _, stderr = process.communicate()
    tree_peak.stop.set()
    tree_peak.join()
    if cold:
        shutil.rmtree(compiledir, ignore_errors=True)  # hundreds of MB of compiled code
    wall = time.perf_counter() - start
    if process.returncode != 0:
        raise RuntimeError(f"{kind} run failed:\n{stderr[-3000:]}")
    report = stderr
    stages = pd.read_csv(out / "stages.csv")
    elapsed = _field(report, "Elapsed (wall clock) time (h:mm:ss or m:ss)")
    return {"run": kind + (" (cold cache)" if cold else ""),
            "wall_s": round(_seconds(elapsed), 1),
            "wall_s_outside": round(wall, 1),
            "peak_gb": round(int(_field(report, "Maximum resident set size (kbytes)")) / 1e6, 2),
            "tree_peak_gb": (round(tree_peak.peak / 1e9, 2) if tree_peak.peak else float("nan")),
            "cpu_percent": _field(report, "Percent of CPU this job got"),
            "cpu_s": round(float(_field(report, "User time (seconds)"))
                           + float(_field(report, "System time (seconds)")), 1),
            "load_before": round(load_before, 2), "load_after": round(os.getloadavg()[0], 2),
            "folder": str(out), "stages": stages}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["full", "quick"])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--cold", action="store_true",
                        help="start each run with an empty PyTensor/numba compile cache "
                             "(a first run on a new machine); by default the user's cache "
                             "is used, as in every run after the first")
    args = parser.parse_args(argv)
    if not Path(TIME).exists():
        raise SystemExit(f"{TIME} (GNU time) is needed: apt-get install time")
    kinds = [args.only] if args.only else ["quick", "full"]
    rows = []
    for kind in kinds:
        for _ in range(args.repeat):
            r = run(kind, cold=args.cold)
            seconds, gb = BUDGET[kind]
            seconds = COLD_BUDGET[kind] if args.cold else seconds
            print(f"\n== {r['run']}: {r['wall_s']} s wall (budget {seconds:g} s, ratio "
                  f"{r['wall_s'] / seconds:.2f}), peak {r['tree_peak_gb']} GB for the "
                  f"job's processes together (budget {gb:g} GB; largest single process "
                  f"{r['peak_gb']} GB), CPU {r['cpu_percent']}, load average "
                  f"{r['load_before']} before, {r['load_after']} after")
            print(f"   CPU time {r['cpu_s']} s (user + system, worker included): at least "
                  f"{r['cpu_s'] / 2:.0f} s of wall time on 2 otherwise idle cores")
            print(r["stages"].to_string(index=False))
            rows.append({k: v for k, v in r.items() if k != "stages"})
    print()
    print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()
