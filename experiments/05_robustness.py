"""Robustness of the Bayesian effect to model choices: Mundlak terms, priors, joint modelling.

Run: ``python experiments/05_robustness.py [--out results/05_robustness]
[--data register.parquet] [--n 23125] [--draws 500] [--tune 400]``.

Fits the Bayesian model under each choice and puts the ATE, the ATT and the
effect among refugees with no early employment side by side (with the truth
on a synthetic register), with each fit's worst R-hat and smallest ESS:

* the default (joint participation and employment model, default priors);
* Mundlak terms (municipal means of the covariates in the employment part);
* employment alone (``joint=False``);
* priors half as wide and twice as wide on the effect and the municipality
  spreads.

Writes ``robustness.csv`` and ``robustness.png``. Each fit compiles and
samples its own model: about 2 minutes per fit at n = 23,125 (10 minutes).
Resumable: each finished fit is kept in a study store (``--store``, one file
per fit) and not run again.
"""

from __future__ import annotations

import dataclasses

import matplotlib

matplotlib.use("Agg")

import pandas as pd
from _common import add_store_option, guard_resume, parser, provenance, register, store_folder

import amu_causal as ac
from amu_causal import privacy
from amu_causal.report import Outputs
from amu_causal.validation import StudyStore, run_study

ESTIMANDS = ["ATE", "ATT", "ATE[attachment=none]"]


def choices() -> dict:
    """Model settings by name."""
    base = ac.Priors()
    narrow = dataclasses.replace(base, effect_sd=base.effect_sd / 2,
                                 municipality_sd=base.municipality_sd / 2,
                                 effect_municipality_sd=base.effect_municipality_sd / 2)
    wide = dataclasses.replace(base, effect_sd=base.effect_sd * 2,
                               municipality_sd=base.municipality_sd * 2,
                               effect_municipality_sd=base.effect_municipality_sd * 2)
    return {"default": {}, "Mundlak terms": {"mundlak": True},
            "employment only": {"joint": False}, "priors half as wide": {"priors": narrow},
            "priors twice as wide": {"priors": wide}}


EPILOG = """writes into --out: robustness.csv and robustness.png, manifest.json;
each finished fit into the study store (--store): rerun to resume.
Typical run time at n = 23,125 on 2 cores: about 10 minutes.
"""


def main(argv=None) -> None:
    p = parser(__doc__, "results/05_robustness", epilog=EPILOG)
    p.add_argument("--draws", type=int, default=500,
                   help="Bayesian draws per chain after warm-up (default 500)")
    p.add_argument("--tune", type=int, default=400,
                   help="Bayesian warm-up iterations per chain (default 400)")
    add_store_option(p)
    args = p.parse_args(argv)
    df, truth = register(args)
    key = guard_resume(args, args.out, draws=args.draws, tune=args.tune)
    named = list(choices().items())

    def fit(k: int) -> pd.DataFrame:
        name, settings = named[k]
        model = ac.HierarchicalModel(draws=args.draws, tune=args.tune, random_seed=args.seed,
                                     progressbar=False, **settings)
        result = model.fit(df)  # a ConvergenceWarning is shown, and recorded in the table
        diag = result.diagnostics()
        table = result.effects().set_index("estimand").loc[ESTIMANDS].reset_index()
        table = table.assign(choice=name, max_r_hat=diag["r_hat"].max(),
                             min_ess_bulk=diag["ess_bulk"].min(),
                             seconds=result.settings["seconds"])
        if truth is not None:
            table["truth"] = table["estimand"].map(truth.effects().set_index("estimand")["truth"])
        return table

    def describe(k: int, table: pd.DataFrame) -> str:
        ate = table.set_index("estimand").loc["ATE"]
        return f"{named[k][0]}: ATE {100 * ate['estimate']:.1f} points ({ate['seconds']} s)"

    store = StudyStore(store_folder(args, "robustness"),
                       {"kind": "robustness", **key, "choices": [n for n, _ in named]})
    result = run_study(store, len(named), int, fit, workers=0, label="model choices",
                       describe=describe).drop(columns="replication")

    out = Outputs(args.out, min_count=args.min_count, synthetic=truth is not None)
    out.table(result, "robustness.csv", suppress=False)
    forest = result.assign(estimator=result["choice"])
    out.figure(ac.plot_compare(forest), "robustness.png", source="robustness.csv")
    out.add("run.json", "settings")
    out.write_manifest(experiment="05_robustness", **provenance(args, df))
    privacy.check_outputs(args.out, min_count=args.min_count, n_people=len(df))
    print(result[["choice", "estimand", "estimate", "ci_lower", "ci_upper", "max_r_hat"]]
          .to_string(index=False))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
