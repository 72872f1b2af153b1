"""Sensitivity to unobserved motivation and job readiness, in three frameworks.

Run: ``python experiments/03_sensitivity.py [--out results/sensitivity] [--n 23125]
[--confounding 1.0] [--data register.parquet [--columns mapping.json]] [--min-count 5]``.

On a synthetic register (default) the confounding strength is known: the
latent U of the simulator has loadings ``0.6 * confounding`` on the
participation and employment log-odds, which on the model's scale (the part
of U that the controls do not explain,
:meth:`amu_causal.SimulationParameters.latent_strengths`) is 0.567 each at the
calibrated strength; the plots mark it, so the Bayesian grid can be read
against the truth. With ``--data`` the same analysis runs on a real register
(nothing leaves the machine: every output is an aggregate table or a plot).

Writes to ``--out``:

* ``latent_grid.csv``, ``latent_contour.png``, ``latent_probability.png``:
  the Bayesian latent-confounder grid (resumable: each finished cell is kept
  in the study store, ``--store``; rerun to continue);
* ``ovb_contour.png``, ``ovb_extreme.png``, ``ovb_minimal.csv``: OLS
  omitted-variable bias (Cinelli and Hazlett 2020);
* ``dml_contour.png``, ``dml_benchmarks.csv``: DoubleML's sensitivity bounds;
* ``scenario.csv``, ``scenario.txt``: one scenario ("as strong as months
  employed", and on synthetic data also the true strengths) in all three;
* ``evalues.csv``.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pandas as pd
from _common import add_store_option, guard_resume, parser, provenance, register, store_folder

import amu_causal as ac
from amu_causal import privacy
from amu_causal.report import Outputs
from amu_causal.sensitivity import (
    ConfounderScenario,
    dml_sensitivity,
    evalue_table,
    latent_confounder_grid,
    ols_sensitivity,
    scenario_table,
)
from amu_causal.validation.execution import dask_executor

STRENGTHS = (0.0, 0.25, 0.5, 0.75, 1.0)

EPILOG = """writes into --out: latent_grid.csv (each finished cell is kept in the study store,
--store: rerun to resume; a store made with other data or settings is refused), contour
plots of the three frameworks,
scenario.csv/.txt, evalues.csv, manifest.json; ends with the export scan.
Run time at n = 23,125 on 2 cores: the 5 x 5 grid measured 523 s (docs/performance.rst),
plus two full Bayesian fits (about 3 minutes each) and DoubleML's benchmarks."""


def main(argv=None) -> None:
    p = parser(__doc__, "results/sensitivity", epilog=EPILOG)
    p.add_argument("--confounding", type=float, default=1.0,
                   help="strength of the simulated hidden confounding, 1 = calibrated "
                        "(synthetic register only; default 1)")
    p.add_argument("--draws", type=int, default=1000,
                   help="draws per chain of the single Bayesian fits (default 1000)")
    p.add_argument("--workers", type=int, default=0,
                   help="grid cells: 0 fits them in this process, chains in parallel "
                        "(default); k > 0 in k local single-core processes")
    p.add_argument("--scheduler", default=None,
                   help="address of a Dask scheduler, e.g. tcp://host:8786: the grid's cells "
                        "are fitted there instead (needs the dask extra)")
    add_store_option(p)
    args = p.parse_args(argv)
    if args.data and args.confounding != 1.0:
        p.error("--confounding sets the synthetic register; with --data it would be ignored")
    df, truth = register(args, **({} if args.data else {"confounding": args.confounding}))
    guard_resume(args, args.out, confounding=None if args.data else args.confounding)
    out = Outputs(args.out, min_count=args.min_count, synthetic=truth is not None)

    # the simulator's confounder strengths (participation, employment), known on synthetic data
    simulated = None
    if truth is not None and truth.parameters.confounding > 0:
        params = truth.parameters
        simulated = params.latent_strengths()  # on the model's scale (loading x partial SD)

    # 1. Bayesian latent confounder on a 5 x 5 grid (one call; resumable)
    with dask_executor(args.scheduler) as executor:  # None: here, or --workers processes
        grid = latent_confounder_grid(df, STRENGTHS, STRENGTHS,
                                      directory=store_folder(args, "latent_grid"),
                                      executor=executor, workers=args.workers)
    out.table(grid.grid, "latent_grid.csv", suppress=False,
              description="latent-confounder grid: effects by strengths, with diagnostics")
    for quantity, name in (("estimate", "latent_contour.png"),
                           ("p_positive", "latent_probability.png")):
        ax = grid.plot_contour(quantity)
        if simulated is not None:
            ax.plot(*simulated, "*", color="tab:blue", ms=12, label="simulated strengths")
            ax.legend(loc="upper right", fontsize=8, frameon=False)
        out.figure(ax.figure, name, source="latent_grid.csv")
    print(grid.summary())

    # 2. OLS omitted-variable bias (one call)
    ovb = ols_sensitivity(df)
    out.table(ovb.minimal_table(), "ovb_minimal.csv", suppress=False,
              description="OLS robustness values")
    out.figure(ovb.plot_contour().figure, "ovb_contour.png", source="ovb_minimal.csv")
    out.figure(ovb.plot_extreme().figure, "ovb_extreme.png", source="ovb_minimal.csv")
    print(ovb.summary())

    # 3. DoubleML sensitivity (one call)
    dml = dml_sensitivity(df)
    out.table(dml.benchmarks, "dml_benchmarks.csv", suppress=False,
              description="DoubleML benchmarks")
    out.figure(dml.plot_contour().figure, "dml_contour.png", source="dml_benchmarks.csv")
    print(dml.summary())

    # 4. One scenario in all three frameworks (convergence warnings are shown, not hidden)
    model = ac.HierarchicalModel(draws=args.draws, tune=args.draws, random_seed=args.seed)
    plain = model.fit(df)
    scenarios = [ConfounderScenario.like("months_employed")]
    if simulated is not None:
        scenarios.append(ConfounderScenario.explicit(latent=simulated,
                                                     name="the simulated strengths"))
    tables, texts = [], []
    for scenario in scenarios:
        result = scenario_table(df, scenario, model=model, plain=plain, ovb=ovb, dml=dml,
                                truth=truth)
        tables.append(result.table().assign(scenario=scenario.label))
        texts.append(result.conclusion())
    out.table(pd.concat(tables), "scenario.csv", suppress=False,
              description="one scenario in three frameworks")
    out.text("\n\n".join(texts) + "\n", "scenario.txt")
    print("\n\n".join(texts))

    # 5. E-values of the Bayesian estimates
    out.table(evalue_table(plain), "evalues.csv", suppress=False, description="E-values")
    out.add("run.json", "settings")
    out.write_manifest(experiment="03_sensitivity", **provenance(args, df))
    privacy.check_outputs(args.out, min_count=args.min_count, n_people=len(df))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
