"""Time and memory of the synthetic register, its calibration and loading.

Run: ``python benchmarks/simulate_register.py``. Prints one table. The peer for
loading is a plain ``pandas.read_parquet``: the ratio is the cost of mapping
and validating against the data contract.
"""

from __future__ import annotations

import tempfile
import time
import tracemalloc
from pathlib import Path

import pandas as pd

import amu_causal as ac


def measure(fn, repeat: int = 3):
    """Best wall time of ``repeat`` runs, and the peak of Python allocations in one more.

    Timing and memory are measured in separate runs: tracing allocations slows
    NumPy-heavy code several-fold.
    """
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return best, peak / 2**20


def main() -> None:
    rows = []
    for n in (5_000, 23_125, 100_000):
        t, mem = measure(lambda n=n: ac.simulate_register(n=n, seed=1))
        rows.append({"task": f"simulate_register n={n:,}", "seconds": t, "peak_MiB": mem})
    df, _ = ac.simulate_register(seed=1)
    t, mem = measure(lambda: ac.calibration_report(df), repeat=2)
    rows.append({"task": "calibration_report n=23,125", "seconds": t, "peak_MiB": mem})
    with tempfile.TemporaryDirectory() as tmp:
        path = ac.write_register(df, Path(tmp) / "r.parquet")
        t_raw, m_raw = measure(lambda: pd.read_parquet(path))
        t_load, m_load = measure(lambda: ac.load_register(path))
    rows.append({"task": "pandas.read_parquet n=23,125 (peer)", "seconds": t_raw,
                 "peak_MiB": m_raw})
    rows.append({"task": "load_register n=23,125", "seconds": t_load, "peak_MiB": m_load,
                 "ratio_to_peer": t_load / t_raw})
    table = pd.DataFrame(rows)
    print(table.to_string(index=False, float_format=lambda x: f"{x:.3f}"))


if __name__ == "__main__":
    main()
