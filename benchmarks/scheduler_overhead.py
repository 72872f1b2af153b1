"""What a task costs the executor itself: Dask and the local process pool on no-op tasks.

Run: ``python benchmarks/scheduler_overhead.py [--tasks 2000] [--workers 2]``.

Submits ``--tasks`` tasks that do nothing but return a small table (the size of a
Monte Carlo replication's rows) through :func:`amu_causal.validation.run_tasks`,
on a local process pool and on a Dask ``LocalCluster`` of the same size, after a
warm-up, and prints the wall time per task. A replication costs seconds to
minutes, so this is the overhead the scaling estimate on docs/cluster.rst adds
per task. Run time: under a minute.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from amu_causal.validation import cluster_executor, default_executor, run_tasks


def rows(index: int) -> pd.DataFrame:
    """A table of the size of one replication's rows (about 120 rows x 25 columns)."""
    return pd.DataFrame(np.full((120, 25), float(index)))


def _per_task(executor, tasks: int) -> float:
    run_tasks(rows, range(20), executor=executor, progress=False)  # warm-up
    start = time.perf_counter()
    run_tasks(rows, range(tasks), executor=executor, progress=False)
    return (time.perf_counter() - start) / tasks


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     epilog="Run time: under a minute.")
    parser.add_argument("--tasks", type=int, default=2000, help="tasks timed (default 2000)")
    parser.add_argument("--workers", type=int, default=2, help="workers (default 2)")
    args = parser.parse_args(argv)
    pool = default_executor(args.workers)
    try:
        local = _per_task(pool, args.tasks)
    finally:
        pool.shutdown()
    with cluster_executor("local", jobs=1, cores=args.workers) as executor:
        dask = _per_task(executor, args.tasks)
    print(f"{args.tasks} no-op tasks on {args.workers} workers, wall time per task:")
    print(f"  local process pool: {1000 * local:.2f} ms")
    print(f"  Dask LocalCluster:  {1000 * dask:.2f} ms")


if __name__ == "__main__":
    main()
