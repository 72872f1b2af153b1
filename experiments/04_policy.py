"""Policy scenarios from the 2016 agreement over a range of participation rates.

Run: ``python experiments/04_policy.py [--out results/04_policy] [--data register.parquet]
[--n 23125] [--rates 0.06 0.08 0.10 0.15 0.20] [--draws 500] [--tune 400]``.

Fits the Bayesian model once, then computes scenarios (a) top-decile
participation, (b) the same places targeted at refugees with no early
employment, and (c) for each rate in ``--rates`` every municipality raised
to that rate; with the expected extra refugees employed two years out, the
integration grant at DKK 25,000 each, and (on a synthetic register) the true
expected numbers. Writes ``policy_national.csv``, one table per scenario by
municipality (small municipalities suppressed), ``policy.png`` and
``policy_by_rate.png``. About 2 minutes at n = 23,125.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from _common import parser, provenance, register

import amu_causal as ac
from amu_causal import policy, privacy
from amu_causal.report import Outputs

EPILOG = """writes into --out:
policy scenarios with the integration grant, nationally and per municipality
(CSV, PNG), manifest.json.
Typical run time at n = 23,125 on 2 cores: about 2 minutes.
"""


def main(argv=None) -> None:
    p = parser(__doc__, "results/04_policy", epilog=EPILOG)
    p.add_argument("--rates", type=float, nargs="+", default=[0.06, 0.08, 0.10, 0.15, 0.20],
                   help="participation rates of the chosen-rate scenario (default 0.06 0.08 "
                        "0.10 0.15 0.20)")
    p.add_argument("--draws", type=int, default=500,
                   help="Bayesian draws per chain after warm-up (default 500)")
    p.add_argument("--tune", type=int, default=400,
                   help="Bayesian warm-up iterations per chain (default 400)")
    args = p.parse_args(argv)
    df, truth = register(args)
    fit = ac.HierarchicalModel(draws=args.draws, tune=args.tune, random_seed=args.seed).fit(df)
    cells = policy.cells_from_result(fit, df)
    true_cells = policy.cells_from_truth(truth, df) if truth is not None else None
    results = policy.policy_scenarios(cells, truth=true_cells)
    results += [policy.participation_rate(cells, r, truth=true_cells) for r in args.rates]
    national = policy.national_table(results)

    out = Outputs(args.out, min_count=args.min_count, synthetic=truth is not None)
    out.start()
    out.table(national, "policy_national.csv", suppress=False)
    for k, r in enumerate(results):
        out.table(r.by_municipality(min_count=args.min_count), f"municipalities_{k + 1}.csv",
                  keep=["municipality", "name"])
    out.figure(policy.plot_policy(national.head(2)), "policy.png", source="policy_national.csv")
    out.figure(policy.plot_policy(national.iloc[2:]), "policy_by_rate.png",
               source="policy_national.csv")
    out.write_manifest(experiment="04_policy", **provenance(args, df))
    privacy.check_outputs(args.out, min_count=args.min_count, n_people=len(df))
    for r in results:
        print(r.summary())
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
