"""Command-line options the two study scripts share."""

from __future__ import annotations

import argparse
from pathlib import Path


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
    parser.add_argument("--scheduler", default=None,
                        help="address of a Dask scheduler, e.g. tcp://host:8786 (runs there "
                             "instead; needs the dask extra)")
    parser.add_argument("--out", type=Path, required=True,
                        help="results directory (created; rerun with the same one to resume)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar (for logs)")
