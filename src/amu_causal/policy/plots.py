"""Figures of the policy scenarios."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._plotting import TRUTH, ax_or_new


def plot_policy(table: pd.DataFrame, ax=None):
    """Extra refugees employed per scenario, with intervals (a :func:`national_table`).

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`national_table`.
    ax : matplotlib.axes.Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import amu_causal as ac
    >>> from amu_causal import policy
    >>> df, truth = ac.simulate_register(n=2_000, seed=1)
    >>> cells = policy.cells_from_truth(truth, df)   # or policy.cells_from_result(fit, df)
    >>> ax = policy.plot_policy(policy.national_table(policy.policy_scenarios(cells)))
    """
    ax = ax_or_new(ax, (8, 0.7 * len(table) + 1.6))
    y = np.arange(len(table))[::-1]
    ax.hlines(y, table["ci_lower"], table["ci_upper"], color="tab:blue", lw=2)
    ax.plot(table["extra_employed"], y, "o", color="tab:blue", label="posterior mean, interval")
    if "truth" in table and table["truth"].notna().any():
        ax.plot(table["truth"], y, "|", color=TRUTH, ms=18, mew=2.5,
                label="truth (simulated)")
    for yi, (_, row) in zip(y, table.iterrows(), strict=True):
        ax.annotate(f"{row['extra_participants']:,} places; DKK {row['grant_dkk_million']:.1f} m",
                    (row["ci_upper"], yi), xytext=(6, 0), textcoords="offset points",
                    va="center", fontsize=8)
    ax.axvline(0, color="0.5", lw=0.8, ls="--")
    ax.set_yticks(y, table["scenario"])
    right = float(np.nanmax(table[["ci_upper"]].to_numpy()))
    ax.set_xlim(min(0.0, float(np.nanmin(table["ci_lower"]))) * 1.1, right * 1.6 + 1)
    ax.set_xlabel("extra refugees employed two years after settlement (expected number)")
    ax.set_title("Policy scenarios: more AMU and the integration grant (DKK 25,000 each)",
                 fontsize=10)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2,
              frameon=False)
    return ax


def plot_policy_municipalities(table: pd.DataFrame, top: int = 15, ax=None):
    """The municipalities with most extra employed in one scenario (a ``by_municipality``).

    Suppressed rows (``NaN``) are left out.

    Parameters
    ----------
    table : pandas.DataFrame
        ``PolicyResult.by_municipality()``.
    top : int, default 15
        How many municipalities to show.
    ax : matplotlib.axes.Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import amu_causal as ac
    >>> from amu_causal import policy
    >>> df, truth = ac.simulate_register(n=2_000, seed=1)
    >>> cells = policy.cells_from_truth(truth, df)   # or policy.cells_from_result(fit, df)
    >>> result = policy.scale_up_to_top_decile(cells)
    >>> ax = policy.plot_policy_municipalities(result.by_municipality(), top=10)
    """
    rows = table.dropna(subset=["extra_employed"]).head(top)
    ax = ax_or_new(ax, (8, 0.3 * len(rows) + 1.5))
    y = np.arange(len(rows))[::-1]
    ax.barh(y, rows["extra_employed"], color="tab:blue", alpha=0.6)
    ax.hlines(y, rows["ci_lower"], rows["ci_upper"], color="black", lw=1)
    if "truth" in rows and rows["truth"].notna().any():
        ax.plot(rows["truth"], y, "|", color=TRUTH, ms=10, mew=2, label="truth (simulated)")
        ax.legend(fontsize=8, loc="lower right")
    ax.set_yticks(y, rows["name"].astype(str), fontsize=8)
    ax.set_xlabel("extra refugees employed two years out (expected number, with interval)")
    ax.set_title(f"The {len(rows)} municipalities that would gain most", fontsize=10)
    return ax
