"""The joint model with each available NUTS implementation (nutpie, PyMC).

Run: ``python benchmarks/samplers.py [--n 5000] [--draws 500] [--samplers ...]``. Same
model, draws (and as many warm-up iterations) and chains; prints wall time
(compilation included), minimum bulk ESS over the hyperparameters and the
estimands, ESS per second, and the ratio of nutpie's low-rank run (the
package's default) to each run in ESS per second. nutpie samples the fused
likelihood through the fit engine; PyMC's NUTS (its default settings, chains in
parallel) and numpyro sample the reference PyMC model, which has the same log
density. numpyro is run only if the ``jax`` extra is installed.
"""

from __future__ import annotations

import argparse
import time
import warnings

import pandas as pd

import amu_causal as ac

RUNS = {"nutpie-lowrank": ("nutpie", True), "nutpie-diagonal": ("nutpie", False),
        "pymc": ("pymc", False), "numpyro": ("numpyro", False)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5_000, help="register size")
    parser.add_argument("--draws", type=int, default=500,
                        help="draws and warm-up iterations per chain")
    parser.add_argument("--samplers", default=",".join(RUNS),
                        help=f"comma-separated runs among {', '.join(RUNS)}")
    args = parser.parse_args()
    df, _ = ac.simulate_register(n=args.n, seed=1, confounding=0.0)
    rows = []
    for name in args.samplers.split(","):
        sampler, low_rank = RUNS[name.strip()]
        model = ac.HierarchicalModel(sampler=sampler, draws=args.draws, tune=args.draws,
                                     low_rank_mass_matrix=low_rank, random_seed=1,
                                     progressbar=False)
        start = time.perf_counter()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = model.fit(df)
        except ImportError as err:
            print(f"{sampler}: not available ({err})")
            continue
        seconds = time.perf_counter() - start
        diag = result.diagnostics()
        min_ess = float(diag["ess_bulk"].min())
        rows.append({"sampler": name.strip(),
                     "wall_s": seconds, "min_ess_bulk": min_ess, "ess_per_s": min_ess / seconds,
                     "max_r_hat": float(diag["r_hat"].max()),
                     "divergences": result.sampler["divergences"], "ate": result.estimate("ATE")})
        print(pd.DataFrame(rows).to_string(index=False), flush=True)
    table = pd.DataFrame(rows)
    if "nutpie-lowrank" in set(table["sampler"]):
        ours = float(table.loc[table["sampler"] == "nutpie-lowrank", "ess_per_s"].iloc[0])
        table["ratio_nutpie_lowrank_over_this"] = ours / table["ess_per_s"]
    print()
    print(table.to_string(index=False, float_format=lambda x: f"{x:.4g}"))


if __name__ == "__main__":
    main()
