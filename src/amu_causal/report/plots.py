"""Plots of results. They draw what a result holds and compute nothing new."""

from __future__ import annotations

import numpy as np

from .._plotting import TRUTH, ax_or_new
from ..data.schema import ATTACHMENT_GROUPS
from ..results import BayesianResult, CausalResult, ResultUnavailableError

__all__ = ["plot_compare", "plot_effects", "plot_municipality_effects", "plot_participation"]


def _caterpillar(table, ax, label):
    """Municipalities ordered by estimate, with their intervals (shared by two plots)."""
    table = table.sort_values("estimate").reset_index(drop=True)
    ax = ax_or_new(ax, (8, 4.5))
    x = np.arange(len(table))
    ax.vlines(x, 100 * table["ci_lower"], 100 * table["ci_upper"], color="0.6", lw=1)
    ax.plot(x, 100 * table["estimate"], "o", color="black", ms=3, label=label)
    return table, ax, x


def plot_effects(result: CausalResult, ax=None, truth=None):
    """Posterior of the ATE and of the effect in each attachment group.

    Parameters
    ----------
    result : CausalResult
        A fit; with posterior draws (Bayesian) the full posterior is drawn
        as a violin, otherwise the estimate and interval.
    ax : matplotlib.axes.Axes, optional
        Where to draw.
    truth : Truth, optional
        The simulator's truth, drawn as red marks (synthetic data only).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd, amu_causal as ac
    >>> table = pd.DataFrame({"estimator": "x", "estimand": ["ATE"], "estimate": [0.05],
    ...     "std_error": [0.01], "ci_lower": [0.03], "ci_upper": [0.07], "level": [0.95],
    ...     "p_positive": [1.0]})
    >>> ax = ac.plot_effects(ac.CausalResult("x", table, n=10))
    """
    ax = ax_or_new(ax, (7, 3.6))
    table = result.effects_table.set_index("estimand")
    names = ["ATE"] + [f"ATE[attachment={g}]" for g in ATTACHMENT_GROUPS]
    names = [n for n in names if n in table.index]
    y = np.arange(len(names))[::-1]
    draws = None
    if isinstance(result, BayesianResult) and result.idata is not None \
            and "estimands" in result.idata.groups():
        draws = [result.estimand_draws(name).values.ravel() for name in names]
        parts = ax.violinplot([100 * d for d in draws], positions=y, orientation="horizontal",
                              showextrema=False, widths=0.8)
        for body in parts["bodies"]:
            body.set_alpha(0.35)
    rows = table.loc[names]
    ax.hlines(y, 100 * rows["ci_lower"], 100 * rows["ci_upper"], color="black", lw=1.5)
    ax.plot(100 * rows["estimate"], y, "o", color="black", label=f"{result.estimator}")
    if truth is not None:
        true_values = [truth.ate] + [truth.by_attachment.loc[g, "ate"] for g in ATTACHMENT_GROUPS]
        ax.plot(100 * np.asarray(true_values[: len(names)]), y, "|", color=TRUTH,
                markersize=16, mew=2.5, label="truth (simulated)")
    ax.axvline(0, color="0.5", lw=0.8, ls="--")
    labels = ["all"] + [f"attachment: {g}" for g in ATTACHMENT_GROUPS]
    ax.set_yticks(y, labels[: len(names)])
    level = round(100 * float(rows["level"].iloc[0]))
    ax.set_xlabel(f"effect of AMU on employment two years out (percentage points; "
                  f"{level} % intervals)")
    ax.set_title("Average effect of AMU (ATE), overall and by early labour-market attachment",
                 fontsize=10)
    ax.legend(loc="lower right", fontsize=8)
    return ax


def plot_municipality_effects(result: BayesianResult, ax=None):
    """Caterpillar plot of municipality effects, with the raw differences they shrink from.

    Parameters
    ----------
    result : BayesianResult
        A fit with a ``municipality_effects`` table.
    ax : matplotlib.axes.Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    Hollow circles are the raw differences in employment between
    participants and non-participants in each municipality (unadjusted, and
    missing where a municipality has no participant); the black points and
    lines are the partially pooled posterior effects. The distance between
    them is the shrinkage toward the overall effect, strongest where few
    people took AMU.

    Examples
    --------
    >>> import amu_causal as ac
    >>> df, _ = ac.simulate_register(n=3_000, seed=1)
    >>> fit = ac.HierarchicalModel(draws=300, tune=300, random_seed=1).fit(df)  # doctest: +SKIP
    >>> ax = ac.plot_municipality_effects(fit)  # doctest: +SKIP
    """
    table, ax, x = _caterpillar(result.table("municipality_effects"), ax, "posterior (pooled)")
    raw = table["raw_difference"].to_numpy(dtype=float)
    ax.plot(x, 100 * raw, "o", mfc="none", color="tab:orange", ms=3,
            label="raw difference (unpooled)")
    try:
        overall = result.estimate("ATE")
        ax.axhline(100 * overall, color="tab:blue", lw=1, ls="--", label="overall ATE")
    except ResultUnavailableError:
        pass
    ax.axhline(0, color="0.5", lw=0.8)
    finite = raw[np.isfinite(raw)]
    if finite.size:
        lo, hi = np.quantile(finite, [0.02, 0.98])
        low = min(lo, table["ci_lower"].min()) * 100
        high = max(hi, table["ci_upper"].max()) * 100
        ax.set_ylim(low - 2, high + 2)
    ax.set_xticks([])
    ax.set_xlabel(f"{len(table)} municipalities, ordered by posterior effect")
    ax.set_ylabel("effect on employment (pp)")
    ax.set_title("Effect of AMU by municipality: partial pooling shrinks noisy raw contrasts",
                 fontsize=10)
    ax.legend(fontsize=8, loc="upper left")
    return ax


def plot_participation(result: BayesianResult, ax=None):
    """AMU participation by municipality: observed rate and modelled propensity.

    Parameters
    ----------
    result : BayesianResult
        A joint-model fit with a ``participation`` table.
    ax : matplotlib.axes.Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import amu_causal as ac
    >>> df, _ = ac.simulate_register(n=3_000, seed=1)
    >>> fit = ac.HierarchicalModel(draws=300, tune=300, random_seed=1).fit(df)  # doctest: +SKIP
    >>> ax = ac.plot_participation(fit)  # doctest: +SKIP
    """
    table, ax, x = _caterpillar(result.table("participation"), ax,
                                "modelled mean propensity")
    sizes = 4 + 30 * np.sqrt(table["n"] / table["n"].max())
    ax.scatter(x, 100 * table["participation_raw"], s=sizes, facecolors="none",
               edgecolors="tab:green", label="observed share (size: people)")
    ax.set_xticks([])
    ax.set_xlabel(f"{len(table)} municipalities, ordered by modelled participation")
    ax.set_ylabel("took AMU within two years (%)")
    ax.set_title("AMU participation by municipality", fontsize=10)
    ax.legend(fontsize=8, loc="upper left")
    return ax


def plot_compare(table, ax=None):
    """Forest plot of a :func:`amu_causal.compare` table.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`amu_causal.compare` (with ``truth`` if given).
    ax : matplotlib.axes.Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import amu_causal as ac
    >>> df, truth = ac.simulate_register(n=3_000, seed=1, confounding=0.0)
    >>> ax = ac.plot_compare(ac.compare([ac.OLSFixedEffects().fit(df)], truth=truth))
    """
    rows = table[table["estimand"] != "RR"]
    estimands = list(dict.fromkeys(rows["estimand"]))
    estimators = list(dict.fromkeys(rows["estimator"]))
    ax = ax_or_new(ax, (8, 0.45 * len(estimands) * max(len(estimators), 1) + 1.5))
    colours = {e: f"C{i}" for i, e in enumerate(estimators)}
    step = 0.8 / max(len(estimators), 1)
    ticks = []
    for i, estimand in enumerate(estimands):
        centre = len(estimands) - 1 - i
        ticks.append(centre)
        block = rows[rows["estimand"] == estimand]
        for j, estimator in enumerate(estimators):
            row = block[block["estimator"] == estimator]
            if row.empty:
                continue
            row = row.iloc[0]
            y = centre + 0.4 - step * (j + 0.5)
            ax.hlines(y, 100 * row["ci_lower"], 100 * row["ci_upper"], color=colours[estimator])
            ax.plot(100 * row["estimate"], y, "o", color=colours[estimator],
                    label=estimator if i == 0 else None)
        if "truth" in block and block["truth"].notna().any():
            ax.plot([100 * block["truth"].iloc[0]] * 2, [centre - 0.45, centre + 0.45],
                    color=TRUTH, lw=2, label="truth (simulated)" if i == 0 else None)
    ax.axvline(0, color="0.5", lw=0.8, ls="--")
    ax.set_yticks(ticks, estimands)
    ax.set_xlabel("effect on employment two years out (percentage points)")
    ax.set_title("Estimators side by side (each keeps its own estimand; see the docs)",
                 fontsize=10)
    ax.legend(fontsize=8, loc="best")
    return ax
