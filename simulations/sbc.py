"""Simulation-based calibration of the hierarchical model.

Run (resumable; a rerun computes only missing fits)::

    python simulations/sbc.py --fits 200 --n 2000 --workers 2 --out studies/sbc_n2000

    # on a Dask cluster
    python simulations/sbc.py --scheduler tcp://host:8786 --out results/sbc

Writes ``replications/rep-*.parquet`` (one file per fit), ``tests.csv`` (chi-square test
per quantity), ``ranks_ecdf.png`` (ECDF-difference plots with simultaneous 95 % bands)
and ``fits.csv`` (diagnostics per fit).
"""

from __future__ import annotations

import argparse
import time

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from _options import (
    add_execution_options,
    add_sampler_options,
    check_execution_options,
    executor_for,
    sampler_settings,
)

import amu_causal as ac
from amu_causal.validation import SBCStudy, run_sbc


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="writes into --out: replications/rep-*.parquet (one per fit; rerun to resume), "
               "tests.csv/.md,\nranks_ecdf.png, fits.csv.\nRun time: each stored fit records its "
               "seconds; docs/validation.rst gives the\nsummed fit time of the n = 2,000 "
               "study (python simulations/report.py).")
    parser.add_argument("--fits", type=int, default=200,
                        help="prior draws, each simulated and fitted once (default 200)")
    parser.add_argument("--n", type=int, default=2_000, help="people in the fixed register")
    add_sampler_options(parser)
    parser.add_argument("--thin-to", type=int, default=99, help="posterior draws ranked")
    parser.add_argument("--bins", type=int, default=20, help="chi-square bins")
    add_execution_options(parser)
    args = parser.parse_args(argv)
    check_execution_options(args, parser)

    model = ac.HierarchicalModel(progressbar=False, **sampler_settings(args))  # as shipped
    study = SBCStudy(model=model, n=args.n, n_fits=args.fits, thin_to=args.thin_to,
                     bins=args.bins, root_seed=args.seed)
    start = time.perf_counter()
    with executor_for(args) as executor:  # None: a local process pool
        result = run_sbc(study, args.out, executor=executor, workers=args.workers,
                         progress=not args.no_progress)
    print(f"{result.ranks['fit'].nunique()} fits in {args.out} "
          f"({time.perf_counter() - start:.0f} s this run); {result.failed()} failed")
    tests = result.tests()
    tests.to_csv(args.out / "tests.csv", index=False)
    (args.out / "tests.md").write_text(tests.round(4).to_markdown(index=False) + "\n")
    print(tests.round(4).to_string(index=False))
    short = result.ranks[result.ranks["error"] == ""]
    short = short.loc[~short["ess_sufficient"].astype(bool), ["fit", "quantity", "ess_bulk",
                                                              "ess_tail"]]
    print(f"fits with a ranked quantity whose ESS is below the {study.thin_to} draws kept: "
          f"{short['fit'].nunique()}" + (f" ({sorted(set(short['quantity']))})"
                                         if len(short) else ""))
    per_fit = result.ranks.drop_duplicates("fit")[
        ["fit", "n_treated", "employment_rate", "max_r_hat", "min_ess_bulk", "divergences",
         "converged", "seconds", "compile_seconds", "problems", "error"]]
    per_fit.to_csv(args.out / "fits.csv", index=False)
    print(f"fits with a convergence warning: {int((~per_fit['converged'].astype(bool)).sum())}"
          f"; with divergences: {int((per_fit['divergences'] > 0).sum())}")
    axes = result.plot_ecdf()
    fig = axes[0].figure
    fig.suptitle(f"SBC ranks, {result.ranks['fit'].nunique()} fits: ECDF minus uniform "
                 "with simultaneous 95 % bands", fontsize=10)
    fig.tight_layout()
    fig.savefig(args.out / "ranks_ecdf.png", dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    main()
