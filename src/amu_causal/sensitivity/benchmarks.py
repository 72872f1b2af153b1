"""Benchmarks of the latent confounder: strengths "as strong as" an observed covariate."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..models.design import Design

__all__ = ["BENCHMARK_TERMS", "confounder_benchmarks"]


#: Observed covariates used as benchmarks, and the model terms each covers.
BENCHMARK_TERMS: dict[str, dict[str, tuple[str, ...]]] = {
    # early employment enters employment through months and the attachment group
    "months_employed": {"numeric": ("months_employed",), "factor": (), "attachment": True},
    "education": {"numeric": (), "factor": ("education",), "attachment": False},
    "sex": {"numeric": (), "factor": ("sex",), "attachment": False},
    "age": {"numeric": ("age", "age^2"), "factor": (), "attachment": False},
}


def _belongs(column: str, spec: dict) -> bool:
    """Whether a design column is one of the benchmark covariate's own columns."""
    return column in spec["numeric"] or any(column.startswith(f"{f}[") for f in spec["factor"])


def _partial_columns(design: Design, spec: dict, part: str) -> dict[str, np.ndarray]:
    """The benchmark's own inputs with the other covariates partialled out.

    Each of the benchmark's columns (numeric columns, one-hot indicators of its
    factor levels, of the attachment groups where it covers them) is
    regressed on everything else the part adjusts for: the other controls,
    the attachment groups (employment part) and municipality (as within-
    municipality deviations, i.e. municipality fixed effects); the residuals
    are returned. The latent U is independent of all of them, so only this
    part of a covariate's term is comparable with it (Cinelli and Hazlett
    2020 benchmark with partial R2 for the same reason).
    """
    m = design.municipality_index
    k = int(m.max()) + 1

    def within(a):
        a = np.asarray(a, dtype=float).reshape(len(m), -1)
        counts = np.maximum(np.bincount(m, minlength=k), 1)
        means = np.stack([np.bincount(m, weights=a[:, j], minlength=k) for j in
                          range(a.shape[1])], axis=1) / counts[:, None]
        return a - means[m]

    attachment = np.eye(int(design.attachment_index.max()) + 1)[design.attachment_index]
    covers_attachment = spec["attachment"] and part == "employment"
    others = [design.X[:, j] for j, c in enumerate(design.controls) if not _belongs(c, spec)]
    if part == "employment" and not covers_attachment:
        others += list(attachment[:, 1:].T)
    other = within(np.column_stack(others)) if others else np.zeros((design.n, 0))
    own: dict[str, np.ndarray] = {}
    for column in spec["numeric"]:
        if column in design.numeric_names:
            own[f"numeric:{column}"] = design.numeric[:, design.numeric_names.index(column)]
    for factor in spec["factor"]:
        if factor in design.factors:
            own[f"factor:{factor}"] = np.eye(len(design.factor_levels[factor]))[
                design.factors[factor]]
    if covers_attachment:
        own["attachment"] = attachment
    out = {}
    for key, values in own.items():
        target = within(values)
        if other.shape[1]:
            coef, *_ = np.linalg.lstsq(other, target, rcond=None)
            target = target - other @ coef
        out[key] = target
    return out


def _term_sd(posterior, design: Design, part: str, spec: dict) -> float:
    """Posterior mean over draws of the SD over people of one covariate's log-odds term,
    the other covariates and municipality partialled out (:func:`_partial_columns`)."""
    stacked = {}
    for name in posterior.data_vars:
        values = posterior[name].values
        stacked[name] = values.reshape(-1, *values.shape[2:])
    draws = stacked["intercept"].shape[0]
    take = np.linspace(0, draws - 1, min(draws, 200)).astype(int)
    term = np.zeros((len(take), design.n))
    for key, residual in _partial_columns(design, spec, part).items():
        kind, _, name = key.partition(":")
        if kind == "numeric":
            j = design.numeric_names.index(name)
            term += stacked[f"{part}_numeric_coef"][take, j][:, None] * residual[:, 0][None, :]
        elif kind == "factor":
            term += stacked[f"{part}_{name}_effect"][take] @ residual.T
        else:  # attachment: the none group's effect is 0
            mu = stacked["attachment_effect"][take]
            mu = np.concatenate([np.zeros((len(take), 1)), mu], axis=1)
            term += mu @ residual.T
    return float(term.std(axis=1).mean())


def confounder_benchmarks(posterior, design: Design,
                          benchmarks=("months_employed", "education", "sex")) -> pd.DataFrame:
    """Strengths of a latent confounder as strong as observed covariates.

    A normal U with strength :math:`\\lambda` adds a term with standard
    deviation :math:`\\lambda` to the log-odds, and U is independent of the
    observed covariates and of municipality. An observed covariate's term
    :math:`x_{ij}'\\beta_j` is not: months employed, for instance, varies
    with sex, cohort, education and municipality. "As strong as months
    employed" therefore means the same standard deviation as the part of
    the covariate's term that the other covariates (and municipality, and
    the attachment groups in the employment part) do not explain, in each
    part: the residual of the term regressed on them, as Cinelli and Hazlett
    (2020) benchmark with partial :math:`R^2`, so that this benchmark and
    those of :func:`ols_sensitivity` and :func:`dml_sensitivity` measure the
    same thing. A binary U is standardised, so the same strengths apply to
    both distributions.

    Parameters
    ----------
    posterior : xarray.Dataset
        Posterior of a fitted joint model (``result.posterior``).
    design : Design
        Its design.
    benchmarks : sequence of str
        Covariates (keys of :data:`BENCHMARK_TERMS`).

    Returns
    -------
    pandas.DataFrame
        ``benchmark``, ``participation``, ``employment`` strengths.

    Examples
    --------
    The posterior comes from an MCMC fit, so the lines are not run as
    doctests:

    >>> import amu_causal as ac
    >>> from amu_causal.models.design import build_design
    >>> df, _ = ac.simulate_register(n=3_000, seed=1)
    >>> fit = ac.HierarchicalModel(random_seed=1).fit(df)  # doctest: +SKIP
    >>> ac.sensitivity.confounder_benchmarks(fit.posterior,
    ...                                      build_design(df))  # doctest: +SKIP
    """
    rows = []
    for name in benchmarks:
        if name not in BENCHMARK_TERMS:
            raise ValueError(f"unknown benchmark {name!r}; choose from {list(BENCHMARK_TERMS)}")
        spec = BENCHMARK_TERMS[name]
        rows.append({"benchmark": name,
                     "participation": _term_sd(posterior, design, "participation", spec),
                     "employment": _term_sd(posterior, design, "employment", spec)})
    return pd.DataFrame(rows)
