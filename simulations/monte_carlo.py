"""Monte Carlo study: Bayesian model, OLS and DML on synthetic registers with known truth.

Run (resumable; a rerun computes only missing replications)::

    python simulations/monte_carlo.py --scenario no_confounding --reps 200 --n 5000 \
        --workers 2 --out studies/mc_no_confounding_n5000

    # on a Dask cluster instead of the local process pool
    python simulations/monte_carlo.py --scenario confounding --scheduler tcp://host:8786 ...

Writes ``replications/rep-*.parquet`` as they finish, then ``summary_<estimand>.csv``,
``summary_<estimand>.md``, ``metrics.csv``, ``convergence.csv`` and ``errors_<estimand>.png``.
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
from amu_causal.validation import SCENARIOS, MonteCarloStudy, run_monte_carlo

ESTIMATORS = ("bayes", "ols", "dml", "bayes_latent")


def estimators(names, draws: int | None = None, tune: int | None = None,
               chains: int | None = None, latent: tuple[float, float] | None = None):
    """The estimator specifications by short name: the package's defaults (what a user
    gets from ``HierarchicalModel()``, ``OLSFixedEffects(vcov="HC1")`` and ``DML()``),
    with the Bayesian sampler settings changed only where given. ``bayes_latent`` is the
    Bayesian model with a latent confounder of the given strengths (normal U)."""
    sampler = {k: v for k, v in (("draws", draws), ("tune", tune), ("chains", chains))
               if v is not None}
    table = {
        "bayes": lambda: ac.HierarchicalModel(progressbar=False, **sampler),
        "ols": lambda: ac.OLSFixedEffects(vcov="HC1"),
        "dml": lambda: ac.DML(model="irm"),
        "bayes_latent": lambda: ac.HierarchicalModel(
            progressbar=False, confounder=ac.LatentConfounder(*latent), **sampler),
    }
    if "bayes_latent" in names and latent is None:
        raise ValueError("bayes_latent needs the confounder's strengths")
    return [table[name]() for name in names]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="writes into --out: replications/rep-*.parquet as they finish (rerun to resume), "
               "then\nsummary_<estimand>.csv/.md, metrics.csv, convergence.csv, "
               "errors_<estimand>.png.\nRun time on 2 cores with --workers 2: about 45 s "
               "per replication at n = 5,000\n(Bayesian model, OLS and DML; one compilation "
               "of about 70 s per worker).")
    parser.add_argument("--scenario", default="no_confounding", choices=sorted(SCENARIOS),
                        help="the data-generating scenario (default no_confounding; see "
                             "docs/validation.rst)")
    parser.add_argument("--reps", type=int, default=200, help="replications")
    parser.add_argument("--n", type=int, default=5_000, help="register size (default 5,000)")
    parser.add_argument("--estimators", nargs="+", default=list(ESTIMATORS[:3]),
                        choices=ESTIMATORS,
                        help="estimators to fit, with the package's default settings "
                             "(default bayes ols dml; bayes_latent adds the latent-confounder "
                             "model)")
    add_sampler_options(parser)
    parser.add_argument("--latent", type=float, nargs=2, default=None,
                        metavar=("PARTICIPATION", "EMPLOYMENT"),
                        help="strengths of bayes_latent's confounder (default: the "
                             "scenario's simulated strengths on the model's scale, "
                             "Scenario.latent_strengths())")
    add_execution_options(parser)
    args = parser.parse_args(argv)
    check_execution_options(args, parser)

    latent = None
    if "bayes_latent" in args.estimators:
        latent = tuple(args.latent) if args.latent else SCENARIOS[args.scenario].latent_strengths()
        print(f"latent confounder strengths (participation, employment): {latent}")
    study = MonteCarloStudy(args.scenario, estimators(args.estimators, latent=latent,
                                                      **sampler_settings(args)),
                            n=args.n, n_reps=args.reps, root_seed=args.seed)
    start = time.perf_counter()
    with executor_for(args) as executor:  # None: a local process pool
        result = run_monte_carlo(study, args.out, executor=executor, workers=args.workers,
                                 progress=not args.no_progress)
    print(f"{len(result.results['replication'].unique())} replications in {args.out} "
          f"({time.perf_counter() - start:.0f} s this run)")
    result.metrics(None).to_csv(args.out / "metrics.csv", index=False)
    result.convergence().to_csv(args.out / "convergence.csv", index=False)
    for estimand in ("ATE", "ATT", "ATE[attachment=none]"):
        if not (result.results["estimand"] == estimand).any():
            continue  # e.g. the ATT with OLS alone
        table = result.summary_table(estimand)
        stem = estimand.replace("[", "_").replace("=", "_").replace("]", "")
        table.to_csv(args.out / f"summary_{stem}.csv", index=False)
        (args.out / f"summary_{stem}.md").write_text(table.to_markdown(index=False) + "\n")
        ax = result.plot(estimand)
        ax.figure.tight_layout()
        ax.figure.savefig(args.out / f"errors_{stem}.png", dpi=120)
        plt.close(ax.figure)
        print(f"\n{estimand}\n{table.to_string(index=False)}")
    if args.scenario == "post_treatment":
        table = result.summary_table("ATE", truth="truth_direct")
        print(f"\nATE against the direct effect\n{table.to_string(index=False)}")
        table.to_csv(args.out / "summary_ATE_direct.csv", index=False)


if __name__ == "__main__":
    main()
