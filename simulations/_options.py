"""Command-line options the two study scripts share."""

from __future__ import annotations

import argparse
from pathlib import Path

from amu_causal.validation.execution import (
    BATCH_SYSTEMS,
    cluster_executor,
    cluster_job_script,
    dask_executor,
)


def add_sampler_options(parser: argparse.ArgumentParser) -> None:
    """Bayesian chain lengths; by default the package's own (what a user gets)."""
    parser.add_argument("--draws", type=int, default=None,
                        help="Bayesian draws per chain (default: the package's, 1000)")
    parser.add_argument("--tune", type=int, default=None,
                        help="Bayesian warm-up per chain (default: the package's, 1000)")
    parser.add_argument("--chains", type=int, default=None,
                        help="Bayesian chains (default: the package's, 2)")


def sampler_settings(args) -> dict:
    """The chain lengths given on the command line, as HierarchicalModel keywords."""
    return {k: v for k, v in (("draws", args.draws), ("tune", args.tune),
                              ("chains", args.chains)) if v is not None}


def add_execution_options(parser: argparse.ArgumentParser) -> None:
    """Seed, where to run, where to store."""
    parser.add_argument("--seed", type=int, default=1, help="root seed (default 1)")
    parser.add_argument("--workers", type=int, default=1,
                        help="local processes, one core each (default 1, kind to a shared "
                             "server; use 2 or more where you may)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--scheduler", default=None,
                       help="address of a running Dask scheduler, e.g. tcp://host:8786 (runs "
                            "there instead; needs the dask extra)")
    where.add_argument("--cluster", choices=["local", *BATCH_SYSTEMS], default=None,
                       help="start a Dask cluster for this run: 'local' (worker processes "
                            "here) or a batch system through dask-jobqueue (needs the dask "
                            "extra); sized by --jobs and --cores-per-job")
    batch = parser.add_argument_group("batch jobs (with --cluster; anything not given comes "
                                      "from ~/.config/dask/jobqueue.yaml)")
    batch.add_argument("--jobs", type=int, default=1, help="batch jobs to submit (default 1)")
    batch.add_argument("--cores-per-job", type=int, default=1,
                       help="single-threaded workers per job (default 1)")
    batch.add_argument("--memory-per-job", default=None,
                       help="memory of a job, e.g. 16GB (about 1-2 GB per worker)")
    batch.add_argument("--walltime", default=None, help="wall time of a job, e.g. 04:00:00")
    batch.add_argument("--queue", default=None, help="queue or partition")
    batch.add_argument("--account", default=None, help="account or project to charge")
    batch.add_argument("--print-job-script", action="store_true",
                       help="print the batch script a job would run, and exit")
    parser.add_argument("--out", type=Path, required=True,
                        help="results directory (created; rerun with the same one to resume)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar (for logs)")


def _job_settings(args) -> dict:
    return {"memory": args.memory_per_job, "walltime": args.walltime, "queue": args.queue,
            "account": args.account}


#: The options that size a cluster started for the run (their defaults are the parser's).
_CLUSTER_OPTIONS = ("jobs", "cores_per_job", "memory_per_job", "walltime", "queue", "account",
                    "print_job_script")


def check_execution_options(args, parser: argparse.ArgumentParser) -> None:
    """Refuse options that would be ignored; with ``--print-job-script`` print it and exit.

    Call right after parsing, before any work.
    """
    given = [f"--{name.replace('_', '-')}" for name in _CLUSTER_OPTIONS
             if getattr(args, name) != parser.get_default(name)]
    if args.cluster is None and given:
        raise SystemExit(f"error: {', '.join(given)} size a cluster started for the run: "
                         "give --cluster too (or --workers for local processes)")
    batch_only = [g for g in given if g not in ("--jobs", "--cores-per-job")]
    if args.cluster == "local" and batch_only:
        raise SystemExit(f"error: {', '.join(batch_only)} are for batch systems, not "
                         "--cluster local")
    if args.print_job_script:
        print(cluster_job_script(args.cluster, args.cores_per_job, **_job_settings(args)))
        raise SystemExit(0)


def executor_for(args):
    """Where the study runs: a ``with`` block yielding an executor, or ``None`` (local pool).

    ``--scheduler`` connects to a running scheduler; ``--cluster`` starts one for the
    run. Options were checked by :func:`check_execution_options`.
    """
    if args.cluster is None:
        return dask_executor(args.scheduler)  # None: a local process pool
    job = {} if args.cluster == "local" else _job_settings(args)
    return cluster_executor(args.cluster, args.jobs, args.cores_per_job, **job)
