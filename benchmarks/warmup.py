"""Where the sampler's gradient evaluations go: warm-up phases under nutpie settings.

Run: ``python benchmarks/warmup.py [--n 23125] [--seeds 1 2] [--variants ...]``.
Fits the joint model (the fit engine's compiled fused model, the package's
sampler settings: 2 chains x 1,000 warm-up + 1,000 draws, low-rank mass
matrix) to registers of the ``no_confounding`` scenario and counts leapfrog
steps (one gradient evaluation each) in the first 100 warm-up iterations, the
whole warm-up and the draws, beside the minimum bulk ESS and the largest
R-hat over the hyperparameters. Variants change one nutpie setting:

* ``default``: nutpie's settings as the package uses them;
* ``early5``: the mass matrix is switched every 5 draws in the early window
  (nutpie's ``early_window_switch_freq``, default 10);
* ``depth8``: trees stop at depth 8 (255 steps; nutpie's ``maxdepth``, default 10);
* ``early5+depth8``: both.

Step counts and ESS depend on the seed, not on the machine or its load, so
this script can run beside another job; its wall times cannot.
"""

from __future__ import annotations

import argparse
import time
import warnings

import arviz as az
import numpy as np
import pandas as pd

import amu_causal as ac
from amu_causal.engine import compiled_structure, padded_design
from amu_causal.models import build_design
from amu_causal.models.joint import HYPERPARAMETERS
from amu_causal.validation.scenarios import get_scenario

VARIANTS = {
    "default": {},
    "early5": {"early_window_switch_freq": 5},
    "depth8": {"maxdepth": 8},
    "early5+depth8": {"early_window_switch_freq": 5, "maxdepth": 8},
}


def run(n: int, seed: int, variant: str, sampler_seed: int | None = None) -> dict:
    import nutpie

    params = get_scenario("no_confounding").parameters()
    design = padded_design(build_design(ac.simulate_register(n, seed=seed, params=params)[0]))
    model = ac.HierarchicalModel(progressbar=False, refits=0)
    entry, _ = compiled_structure(model, design)
    compiled = entry.with_register(model, design)
    settings = model.sampler_settings()
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        idata = nutpie.sample(compiled, draws=settings.draws, tune=settings.tune,
                              chains=settings.chains, cores=settings.chains,
                              seed=seed if sampler_seed is None else sampler_seed,
                              progress_bar=False, save_warmup=True,
                              target_accept=settings.target_accept,
                              low_rank_modified_mass_matrix=settings.low_rank_mass_matrix,
                              **VARIANTS[variant])
    seconds = time.perf_counter() - start
    warm = idata.warmup_sample_stats["n_steps"].to_numpy()
    draws = idata.sample_stats["n_steps"].to_numpy()
    names = [v for v in HYPERPARAMETERS if v in idata.posterior]
    ess = az.ess(idata, var_names=names).to_array().to_numpy().ravel()
    rhat = az.rhat(idata, var_names=names).to_array().to_numpy().ravel()
    return {"n": n, "seed": seed, "variant": variant,
            "first 100 warm-up": int(warm[:, :100].sum()),
            "per chain": "/".join(str(int(c)) for c in warm[:, :100].sum(axis=1)),
            "warm-up": int(warm.sum()), "draws": int(draws.sum()),
            "max depth hits": int((warm >= 2 ** VARIANTS[variant].get("maxdepth", 10) - 1).sum()),
            "min bulk ESS": round(float(np.nanmin(ess))),
            "max R-hat": round(float(np.nanmax(rhat)), 4),
            "ESS per 1k gradients": round(1000 * float(np.nanmin(ess)) / (warm.sum() + draws.sum()),
                                          2),
            "divergences": int(idata.sample_stats["diverging"].sum()),
            "wall s": round(seconds, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=23_125, help="register size")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2],
                        help="register and sampler seeds")
    parser.add_argument("--sampler-seed", type=int, default=None,
                        help="the sampler's seed (default: each register's seed)")
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    args = parser.parse_args()
    rows = []
    for seed in args.seeds:
        for variant in args.variants:
            rows.append(run(args.n, seed, variant, args.sampler_seed))
            print(pd.DataFrame(rows).to_string(index=False), flush=True)
    table = pd.DataFrame(rows)
    totals = table.assign(total=table["warm-up"] + table["draws"]).groupby("variant")["total"].sum()
    if "default" in totals:
        print("\ngradient evaluations relative to default, summed over seeds:")
        print((totals / totals["default"]).round(3).to_string())


if __name__ == "__main__":
    main()
