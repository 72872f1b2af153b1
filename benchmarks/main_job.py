"""Wall time and peak memory of the main job against its budget (180 s full, 60 s quick, 3 GB).

Run: ``python benchmarks/main_job.py [--only full|quick] [--repeat 1]``.

Each run is a fresh ``amu-causal run`` process under ``/usr/bin/time -v``
(GNU time), writing into a temporary folder; wall time and maximum resident
set size are read from its report. The main job forks one worker process
(the baselines, while the Bayesian models compile); GNU time reports the
largest resident set of the process tree's members, so the peak of the two
together is bounded by twice the number printed: both are printed, with the
load average before and after (other work on the machine slows the run).
The stage times come from the run's own ``stages.csv``.

The peer is the budget of the issue: the ratio printed is measured time over
budget (below 1 meets it). Because other work on a shared machine stretches the
wall time, the CPU time (user + system, the worker included) is printed too:
half of it is the wall time the job needs at the least on two idle cores.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

BUDGET = {"full": (180.0, 3.0), "quick": (60.0, 3.0)}  # seconds, GB
TIME = "/usr/bin/time"


def _field(report: str, name: str) -> str:
    match = re.search(rf"{re.escape(name)}: (.+)", report)
    if not match:
        raise RuntimeError(f"GNU time printed no {name!r}; is {TIME} GNU time?")
    return match.group(1).strip()


def _seconds(text: str) -> float:
    parts = [float(p) for p in text.split(":")]
    return sum(p * 60 ** i for i, p in enumerate(reversed(parts)))


def run(kind: str) -> dict:
    """One run of the main job; its wall time, peak memory and stages."""
    out = Path(tempfile.mkdtemp(prefix=f"amu_main_{kind}_"))
    command = [TIME, "-v", sys.executable, "-m", "amu_causal.cli", "run", "--quiet",
               "--out", str(out)] + (["--quick"] if kind == "quick" else [])
    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{kind} run failed:\n{done.stderr[-3000:]}")
    report = done.stderr
    stages = pd.read_csv(out / "stages.csv")
    return {"run": kind, "wall_s": round(_seconds(_field(report, "Elapsed (wall clock) time "
                                                                  "(h:mm:ss or m:ss)")), 1),
            "wall_s_outside": round(wall, 1),
            "peak_gb": round(int(_field(report, "Maximum resident set size (kbytes)")) / 1e6, 2),
            "cpu_percent": _field(report, "Percent of CPU this job got"),
            "cpu_s": round(float(_field(report, "User time (seconds)"))
                           + float(_field(report, "System time (seconds)")), 1),
            "load_before": round(load_before, 2), "load_after": round(os.getloadavg()[0], 2),
            "folder": str(out), "stages": stages}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["full", "quick"])
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args(argv)
    if not Path(TIME).exists():
        raise SystemExit(f"{TIME} (GNU time) is needed: apt-get install time")
    kinds = [args.only] if args.only else ["quick", "full"]
    rows = []
    for kind in kinds:
        for _ in range(args.repeat):
            r = run(kind)
            seconds, gb = BUDGET[kind]
            print(f"\n== {kind}: {r['wall_s']} s wall (budget {seconds:g} s, ratio "
                  f"{r['wall_s'] / seconds:.2f}), peak {r['peak_gb']} GB per process "
                  f"(budget {gb:g} GB for the job; worst case two processes "
                  f"{2 * r['peak_gb']:.2f} GB), CPU {r['cpu_percent']}, load average "
                  f"{r['load_before']} before, {r['load_after']} after")
            print(f"   CPU time {r['cpu_s']} s (user + system, worker included): at least "
                  f"{r['cpu_s'] / 2:.0f} s of wall time on 2 otherwise idle cores")
            print(r["stages"].to_string(index=False))
            rows.append({k: v for k, v in r.items() if k != "stages"})
    print()
    print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()
