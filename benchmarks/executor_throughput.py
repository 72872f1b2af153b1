"""Throughput of Monte Carlo replications with 1 and 2 local worker processes.

Run: ``python benchmarks/executor_throughput.py [--reps 12] [--n 1000] [--bayes]``.

Each replication simulates a register and fits OLS with municipality fixed
effects and DoubleML (and, with ``--bayes``, the hierarchical model, compiled
once per worker), single-threaded: BLAS/OpenMP capped at one thread and
nutpie's chains run one after another. So the ratio measures the executor,
not the libraries' own threads. Both pools are started and warmed up (imports,
and with ``--bayes`` one compilation per worker) before the clock starts; the
timed replications are the same for both (replication indices after the
warm-up ones), and the stored results are checked to be identical. Check
``uptime`` first: other work on the machine lowers the ratio.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import pandas as pd

import amu_causal as ac
from amu_causal.validation import MonteCarloStudy, default_executor, run_monte_carlo


def _timed(study: MonteCarloStudy, warmup: int, workers: int, directory: str):
    executor = default_executor(workers)
    try:
        # warm-up: every worker imports the package (and compiles the model) once
        warm = MonteCarloStudy(study.scenario, study.estimators, n=study.n, n_reps=warmup,
                               root_seed=study.root_seed + 1)
        run_monte_carlo(warm, os.path.join(directory, f"warm{workers}"), executor=executor,
                        progress=False)
        start = time.perf_counter()
        result = run_monte_carlo(study, os.path.join(directory, f"timed{workers}"),
                                 executor=executor, progress=False)
        seconds = time.perf_counter() - start
    finally:
        executor.shutdown()
    return seconds, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=12, help="timed replications")
    parser.add_argument("--n", type=int, default=1_000, help="register size")
    parser.add_argument("--bayes", action="store_true", help="include the Bayesian model")
    args = parser.parse_args()
    estimators = [ac.OLSFixedEffects(), ac.DML()]
    if args.bayes:
        estimators.insert(0, ac.HierarchicalModel(draws=500, tune=500,
                                                  low_rank_mass_matrix=False,
                                                  progressbar=False))
    study = MonteCarloStudy("no_confounding", estimators, n=args.n, n_reps=args.reps,
                            root_seed=1)
    print(f"load average before: {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as directory:
        rows, results = [], {}
        for workers in (1, 2):
            seconds, result = _timed(study, warmup=workers, workers=workers,
                                     directory=directory)
            results[workers] = result.results.drop(columns=["seconds", "compile_seconds"])
            rows.append({"workers": workers, "replications": args.reps,
                         "wall_s": round(seconds, 1),
                         "replications_per_min": round(60 * args.reps / seconds, 2),
                         "load_after": round(os.getloadavg()[0], 2)})
            print(pd.DataFrame(rows).to_string(index=False), flush=True)
    same = results[1].equals(results[2])
    ratio = rows[1]["replications_per_min"] / rows[0]["replications_per_min"]
    print(f"\nthroughput ratio, 2 workers / 1 worker: {ratio:.2f} "
          f"(target >= 1.8); identical results: {same}")


if __name__ == "__main__":
    main()
