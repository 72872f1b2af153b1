"""One table across estimators: :func:`compare`."""

from __future__ import annotations

import pandas as pd

__all__ = ["compare"]


def compare(results, *, estimands=None, truth=None) -> pd.DataFrame:
    """One table across estimators: each row keeps its estimator's own meaning.

    Parameters
    ----------
    results : iterable of CausalResult
        Fits to compare (any estimators).
    estimands : list of str, optional
        Keep these estimands (default: every estimand except per-municipality
        rows).
    truth : Truth, optional
        The simulator's truth; adds ``truth`` and ``covers`` (whether the
        interval contains it) for estimands the truth defines.

    Returns
    -------
    pandas.DataFrame
        :data:`EFFECT_COLUMNS`, sorted by estimand then estimator (plus
        ``truth`` and ``covers``).

    Notes
    -----
    Numbers may differ for reasons other than error: OLS and DML-PLR
    estimate variance-weighted averages of conditional effects, not the
    ATE; the Bayesian model averages a logit model's effects over the
    sample (g-computation) and pools municipalities; DML-IRM estimates the
    ATE doubly robustly with flexible learners. Intervals are 95 % for all
    by default, but are credible intervals for the Bayesian model and
    confidence intervals for the others.

    Examples
    --------
    >>> import amu_causal as ac
    >>> df, truth = ac.simulate_register(n=3_000, seed=1, confounding=0.0)
    >>> table = ac.compare([ac.OLSFixedEffects().fit(df)], truth=truth)
    >>> bool(table.loc[table["estimand"] == "ATE", "truth"].iloc[0] == truth.ate)
    True
    """
    frames = [r.effects() for r in results]
    if not frames:
        raise ValueError("compare needs at least one result")
    table = pd.concat(frames, ignore_index=True)
    if estimands is not None:
        table = table[table["estimand"].isin(list(estimands))]
    else:
        table = table[~table["estimand"].str.startswith("ATE[municipality=")]
    order = {name: i for i, name in enumerate(pd.unique(table["estimand"]))}
    table = table.assign(_order=table["estimand"].map(order)).sort_values(
        ["_order", "estimator"], kind="stable").drop(columns="_order").reset_index(drop=True)
    if truth is not None:
        values = truth.effects().set_index("estimand")["truth"]
        table["truth"] = table["estimand"].map(values)
        covers = (table["ci_lower"] <= table["truth"]) & (table["truth"] <= table["ci_upper"])
        table["covers"] = covers.astype("boolean").where(table["truth"].notna(), pd.NA)
    return table
