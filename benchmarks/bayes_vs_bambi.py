"""The employment model, fitted by amu_causal and by the same model written in bambi.

Run: ``pip install -e ".[bench]" && python benchmarks/bayes_vs_bambi.py [--n 23125]``.

Both fit ``employed_2y ~ amu * attachment + EVA controls + (1 + amu | municipality)``
(Bernoulli, logit) to the default synthetic register, with the same draws and
chains, one after the other on the same machine. The bambi model is written as
a careful user would: the numeric controls (months employed, age and its
square, number of children) standardised before they enter the formula, as
amu_causal's design does, and bambi's default priors, which it scales to the
data. (Raw ``age ** 2`` next to ``age`` leaves the sampler a ridge it does not
cross in the same number of draws: that comparison would measure a
mis-specified peer.) For each run the table gives
the wall time (model building and compilation included), the minimum bulk ESS
over every posterior variable, ESS per second, the largest R-hat, divergences
and the ATE (g-computation over the sample). The last column is the ratio of
amu_causal's minimum ESS per second to that run's.
"""

from __future__ import annotations

import argparse
import platform
import time
import warnings

import arviz as az
import numpy as np
import pandas as pd

import amu_causal as ac

FORMULA = (
    "employed_2y ~ amu * attachment + months_employed_z + C(permit_year) + C(permit_month)"
    " + origin + residence_basis + sex + age_z + age_z2 + education + civil_status"
    " + family_type + n_children_z + started_education + started_adult_education"
    " + (1 + amu | municipality)"
)


def _standardised(data: pd.DataFrame) -> pd.DataFrame:
    """The numeric controls on the standard-deviation scale (age squared after centring)."""
    def z(x):
        x = x.astype(float)
        return (x - x.mean()) / x.std()

    age = z(data["age"])
    return data.assign(months_employed_z=z(data["months_employed"]), age_z=age,
                       age_z2=z(age ** 2), n_children_z=z(data["n_children"]))


def _row(name, seconds, idata, ate):
    post = idata.posterior
    keep = [v for v in post.data_vars if not v.endswith("_log__")]  # transformed copies
    summary = az.summary(idata, var_names=keep, kind="diagnostics", round_to="none")
    divergent = int(idata.sample_stats["diverging"].sum())
    min_ess = float(summary["ess_bulk"].min())
    return {"run": name, "wall_s": seconds, "min_ess_bulk": min_ess,
            "ess_per_s": min_ess / seconds, "max_r_hat": float(summary["r_hat"].max()),
            "divergences": divergent, "ate": ate}


def run_amu_causal(df, draws, tune, chains, seed):
    start = time.perf_counter()
    model = ac.HierarchicalModel(joint=False, draws=draws, tune=tune, chains=chains,
                                 random_seed=seed, progressbar=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ac.ConvergenceWarning)
        result = model.fit(df)
    seconds = time.perf_counter() - start
    post = result.idata.posterior
    keep = [v for v in post.data_vars if v != "municipality_intercept"]
    idata = az.InferenceData(posterior=post[keep], sample_stats=result.idata.sample_stats)
    return _row("amu_causal (nutpie, low-rank)", seconds, idata, result.estimate("ATE"))


def run_bambi(df, backend, draws, tune, chains, seed):
    import bambi as bmb

    data = ac.validate_register(df)
    text = {c: data[c].astype(str) for c in data.select_dtypes("category") if c != "amu_area"}
    text["municipality"] = data["municipality"].astype(str)
    data = _standardised(data.drop(columns=["amu_area"]).assign(**text))
    start = time.perf_counter()
    model = bmb.Model(FORMULA, data, family="bernoulli")
    idata = model.fit(draws=draws, tune=tune, chains=chains, random_seed=seed,
                      inference_method=backend, progressbar=False)
    seconds = time.perf_counter() - start
    return _row(f"bambi ({backend})", seconds, idata, _bambi_ate(model, idata, data))


def _bambi_ate(model, idata, data) -> float:
    """ATE by g-computation over the sample, from bambi's posterior.

    bambi 0.16's ``predict`` on new data fails with this xarray release for
    group-specific terms, so the linear predictor is assembled from bambi's own
    design (formulae) and posterior here.
    """
    from scipy.special import expit

    post = idata.posterior
    component = model.components[model.family.likelihood.parent]
    groups = post["1|municipality"].coords["municipality__factor_dim"].to_numpy().astype(str)
    m_idx = np.searchsorted(groups, data["municipality"].to_numpy())
    stack = lambda name: post[name].to_numpy().reshape(-1, *post[name].shape[2:])  # noqa: E731
    u0, u1 = stack("1|municipality"), stack("amu|municipality")
    designs = [component.design.common.evaluate_new_data(data.assign(amu=a)) for a in (0, 1)]
    slices = designs[0].slices
    beta = np.concatenate([stack(name).reshape(u0.shape[0], -1) for name in slices], axis=1)
    total = 0.0
    for start in range(0, beta.shape[0], 200):
        b, g0, g1 = beta[start:start + 200], u0[start:start + 200], u1[start:start + 200]
        eta0 = b @ np.asarray(designs[0]).T + g0[:, m_idx]
        eta1 = b @ np.asarray(designs[1]).T + g0[:, m_idx] + g1[:, m_idx]
        total += float((expit(eta1) - expit(eta0)).mean(axis=1).sum())
    return total / beta.shape[0]



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=23_125)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--tune", type=int, default=1000)
    parser.add_argument("--chains", type=int, default=2)
    parser.add_argument("--backends", default="nutpie,pymc",
                        help="bambi backends to run (comma separated)")
    args = parser.parse_args()
    df, truth = ac.simulate_register(n=args.n, seed=1)
    print(f"register n={args.n:,}, seed 1; draws={args.draws}, tune={args.tune}, "
          f"chains={args.chains}; {platform.processor() or platform.machine()}, "
          f"{len(__import__('os').sched_getaffinity(0))} cores; true ATE {truth.ate:.4f}")
    rows = [run_amu_causal(df, args.draws, args.tune, args.chains, 1)]
    print(pd.DataFrame(rows).to_string(index=False), flush=True)
    for backend in args.backends.split(","):
        try:
            rows.append(run_bambi(df, backend.strip(), args.draws, args.tune, args.chains, 1))
        except Exception as err:  # report and go on: a missing backend is a result too
            print(f"bambi ({backend}) failed: {type(err).__name__}: {err}")
        print(pd.DataFrame(rows).to_string(index=False), flush=True)
    table = pd.DataFrame(rows)
    ours = table.loc[0, "ess_per_s"]
    table["ratio_amu_causal_over_this"] = ours / table["ess_per_s"]
    print()
    print(table.to_string(index=False, float_format=lambda x: f"{x:.4g}"))
    if len(table) > 1:
        best = table.iloc[1:]["ess_per_s"].max()
        print(f"\nratio against bambi's best backend (min bulk ESS per second): {ours / best:.2f}")


if __name__ == "__main__":
    main()
