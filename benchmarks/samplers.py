"""The joint model with each available NUTS implementation (nutpie, PyMC).

Run: ``python benchmarks/samplers.py [--n 5000]``. Same model, draws and chains;
prints wall time (compilation included), minimum bulk ESS over the
hyperparameters and the ATE, and ESS per second. numpyro is run only if the
``jax`` extra is installed.
"""

from __future__ import annotations

import argparse
import time
import warnings

import pandas as pd

import amu_causal as ac


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=5_000)
    parser.add_argument("--draws", type=int, default=500)
    args = parser.parse_args()
    df, _ = ac.simulate_register(n=args.n, seed=1, confounding=0.0)
    rows = []
    for sampler, low_rank in (("nutpie", True), ("nutpie", False), ("pymc", False),
                              ("numpyro", False)):
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
        rows.append({"sampler": sampler + (" low-rank" if low_rank else ""),
                     "wall_s": seconds, "min_ess_bulk": min_ess, "ess_per_s": min_ess / seconds,
                     "max_r_hat": float(diag["r_hat"].max()),
                     "divergences": result.sampler["divergences"], "ate": result.estimate("ATE")})
        print(pd.DataFrame(rows).to_string(index=False), flush=True)


if __name__ == "__main__":
    main()
