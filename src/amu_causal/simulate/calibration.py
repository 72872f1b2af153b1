"""How well a register reproduces the figures published in the EVA note."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.municipalities import municipality
from ..data.schema import AMU_AREAS, EDUCATION, MIN_ARRIVALS
from ..data.validate import validate_register
from ..eva import (
    AMU_AREA_SHARES,
    BORNHOLM_BAND,
    EDUCATION_BY_YEAR,
    EMPLOYED_NO_EARLY_AMU,
    EMPLOYED_NO_EARLY_NO_AMU,
    HIGH_USERS,
    HIGH_USERS_BAND,
    PARTICIPATION,
    TEN_MEANS,
    eva_regression,
)

__all__ = ["calibration_report", "eva_regression", "plot_calibration"]

_ROUNDING = 0.005  # EVA prints whole percentages



def _row(section, target, published, value, lower, upper, basis) -> dict:
    return {
        "section": section[0],
        "source": section[1],
        "target": target,
        "published": published,
        "simulated": float(value),
        "lower": float(lower),
        "upper": float(upper),
        "passed": bool(lower <= value <= upper) if np.isfinite(value) else False,
        "tolerance": basis,
    }


def _rate_row(section, target, published: float, successes, trials, text=None) -> dict:
    rate = successes / trials if trials else np.nan
    se = np.sqrt(max(rate * (1 - rate), 1e-12) / trials) if trials else np.nan
    tol = _ROUNDING + 2 * se
    return _row(section, target, text or f"{published:.0%}", rate, published - tol,
                published + tol, "rounding ±0.5 pp + 2 SE")


def calibration_report(df: pd.DataFrame, *, include_regression: bool = True) -> pd.DataFrame:
    """Published EVA figure against the register's value, one row per target.

    Parameters
    ----------
    df : pandas.DataFrame
        A register in the data contract (typically from
        :func:`simulate_register`; any register can be compared).
    include_regression : bool, default True
        Include the regression targets (EVA Figure 4), which fit an OLS with
        about 200 dummies (about a second at n = 23,125).

    Returns
    -------
    pandas.DataFrame
        Columns ``section``, ``source`` (table or figure of the EVA note),
        ``target``, ``published`` (as printed),
        ``simulated``, ``lower``, ``upper`` (the accepted band), ``passed``
        and ``tolerance`` (how the band was set).

    Notes
    -----
    **Exact facts** (printed in the EVA note): the overall and 2015-cohort
    participation rates (6 %), the top-ten and bottom-ten municipal means
    (19 %, 1 %), Bornholm ("almost every second", taken as 45-50 %), the six
    named municipalities (15-18 %), Table 1 and Table 2 shares, and employment
    of 19 % against 9 % in the no-early-employment group.

    **Directions only** (shown in figures, values not printed): men
    participate more than women; participation rose a little over the period.

    **Approximations.** EVA prints whole percentages, so every band allows
    ±0.5 percentage points of rounding. Rates computed on a sample also allow
    two binomial standard errors at the register's own size (a published rate
    is a population figure; a simulated register of the same size has
    sampling noise). The regression contrast uses its HC1 standard error.
    Municipal figures use municipalities with at least 20 arrivals, as EVA did.
    Table 1 and 2 are reproduced by exact allocation, so their bands are
    rounding only. The contrast is read as the AMU coefficient in the
    no-early-employment group (19 % - 9 % = 10 pp), the 9 % as the raw rate
    of non-participants in that group.

    Examples
    --------
    >>> import amu_causal as ac
    >>> df, _ = ac.simulate_register(seed=1)
    >>> report = ac.calibration_report(df)
    >>> bool(report["passed"].all())
    True
    """
    data = validate_register(df)
    rows: list[dict] = []
    amu = data["amu"]

    sec = ("Participation", "EVA Figure 1")
    rows.append(_rate_row(sec, "AMU within two years, all", PARTICIPATION["all"], amu.sum(),
                          len(amu)))
    c15 = data["permit_year"] == 2015
    rows.append(_rate_row(sec, "AMU within two years, 2015 cohort", PARTICIPATION["2015"],
                          amu[c15].sum(), int(c15.sum())))
    early = data["permit_year"].between(2010, 2012)
    rise = amu[c15].mean() - amu[early].mean() if c15.any() and early.any() else np.nan
    rows.append(_row(sec, "Rise, 2015 cohort minus 2010-2012 cohorts", "small rise (> 0)",
                     rise, 1e-9, np.inf, "direction only"))
    men, women = data["sex"] == "male", data["sex"] == "female"
    gap = amu[men].mean() - amu[women].mean()
    rows.append(_row(sec, "Men minus women", "men above women (> 0)", gap, 1e-9, np.inf,
                     "direction only"))

    sec = ("Municipalities", "EVA Figures 2-3")
    by_muni = data.groupby("municipality", observed=True)["amu"].agg(["sum", "size"])
    by_muni = by_muni[by_muni["size"] >= MIN_ARRIVALS]
    by_muni["rate"] = by_muni["sum"] / by_muni["size"]
    ranked = by_muni.sort_values("rate", kind="stable")
    for label, chosen, published in (("top", ranked.tail(10), TEN_MEANS["top"]),
                                     ("bottom", ranked.head(10), TEN_MEANS["bottom"])):
        mean = chosen["rate"].mean() if len(chosen) == 10 else np.nan
        pooled = chosen["sum"].sum() / chosen["size"].sum() if len(chosen) else np.nan
        se = np.sqrt((pooled * (1 - pooled) / chosen["size"]).sum()) / 10 if len(chosen) else 0
        tol = _ROUNDING + 2 * se
        rows.append(_row(sec, f"Mean of the {label} ten municipalities", f"{published:.0%}",
                         mean, published - tol, published + tol, "rounding ±0.5 pp + 2 SE"))
    for name, band, text in [("Bornholm", BORNHOLM_BAND, "almost one in two (45-50%)")] + [
        (n, HIGH_USERS_BAND, "15-18%") for n in HIGH_USERS
    ]:
        code = municipality(name).code
        mask = data["municipality"] == code
        k, m = int(amu[mask].sum()), int(mask.sum())
        rate = k / m if m else np.nan
        se = np.sqrt(max(rate * (1 - rate), 1e-12) / m) if m else np.nan
        rows.append(_row(sec, f"{name}", text, rate, band[0] - 2 * se, band[1] + 2 * se,
                         "published band + 2 SE"))

    sec = ("Education from abroad", "EVA Table 1")
    for year, shares in EDUCATION_BY_YEAR.items():
        in_year = data["permit_year"] == year
        n_year = int(in_year.sum())
        if n_year == 0:
            continue
        observed = data.loc[in_year, "education"].value_counts(normalize=True)
        for label, pct in zip(EDUCATION, shares, strict=True):
            value = float(observed.get(label, 0.0))
            tol = _ROUNDING + 0.01 / 6 + 1 / n_year
            rows.append(_row(sec, f"{year}: {label}", f"{pct}%", value, pct / 100 - tol,
                             pct / 100 + tol, "rounding ±0.5 pp (exact allocation)"))

    sec = ("AMU areas", "EVA Table 2")
    treated = data.loc[amu == 1, "amu_area"]
    area_shares = treated.value_counts(normalize=True)
    for label in AMU_AREAS:
        pct = AMU_AREA_SHARES[label]
        value = float(area_shares.get(label, 0.0))
        tol = _ROUNDING + 1 / max(len(treated), 1)
        rows.append(_row(sec, label, f"{pct}%", value, pct / 100 - tol, pct / 100 + tol,
                         "rounding ±0.5 pp (exact allocation)"))

    if include_regression:
        sec = ("Employment two years out", "EVA Figure 4")
        reg = eva_regression(data).set_index("term")
        none = (data["attachment"] == "none") & (amu == 0)
        rows.append(_rate_row(sec, "Employed, no early employment, no AMU",
                              EMPLOYED_NO_EARLY_NO_AMU,
                              data.loc[none, "employed_2y"].sum(), int(none.sum())))
        if "amu[none]" in reg.index:
            est, se = reg.loc["amu[none]", ["estimate", "std_error"]]
            tol = 2 * _ROUNDING + 2 * se
            contrast = EMPLOYED_NO_EARLY_AMU - EMPLOYED_NO_EARLY_NO_AMU
            rows.append(_row(sec, "AMU contrast, no early employment (OLS, municipality FE)",
                             f"{EMPLOYED_NO_EARLY_AMU:.0%} - {EMPLOYED_NO_EARLY_NO_AMU:.0%} = "
                             f"{100 * contrast:.0f} pp", est, contrast - tol, contrast + tol,
                             "rounding ±1 pp + 2 SE (HC1)"))
    return pd.DataFrame(rows)


def plot_calibration(report: pd.DataFrame, ax=None):
    """Simulated minus published values with the accepted bands, one panel per section.

    Parameters
    ----------
    report : pandas.DataFrame
        The output of :func:`calibration_report`.
    ax : matplotlib.axes.Axes, optional
        Draw every row on this one axes (labels prefixed with their section).
        By default a figure with one panel per section (participation,
        municipalities, education, AMU areas, employment, ...), each as tall as
        its rows need, so that every label can be read.

    Returns
    -------
    matplotlib.figure.Figure or matplotlib.axes.Axes
        The figure (its panels are ``figure.axes``), or ``ax`` when given.

    Examples
    --------
    >>> import amu_causal as ac
    >>> df, _ = ac.simulate_register(n=5_000, seed=1)
    >>> fig = ac.plot_calibration(ac.calibration_report(df, include_regression=False))
    >>> [a.get_title(loc="left") for a in fig.axes][:2]
    ['Participation', 'Municipalities']
    """
    import matplotlib.pyplot as plt

    rows = report[np.isfinite(report["upper"]) & np.isfinite(report["lower"])]
    rows = rows.reset_index(drop=True)
    if ax is not None:
        labels = [f"{s}: {t}" for s, t in zip(rows["section"], rows["target"], strict=True)]
        _calibration_panel(ax, rows, labels, fontsize=6)
        ax.set_title("Calibration to the EVA note\n(blue: within band, red: outside; "
                     "direction-only rows not shown)", fontsize=9)
        ax.legend(loc="lower right", fontsize=7)
        return ax
    sections = list(dict.fromkeys(rows["section"]))
    heights = [len(rows[rows["section"] == s]) + 1.6 for s in sections]
    fig, axes = plt.subplots(len(sections), 1, figsize=(9, 0.24 * sum(heights) + 0.8),
                             gridspec_kw={"height_ratios": heights}, squeeze=False)
    for panel, section in zip(axes[:, 0], sections, strict=True):
        part = rows[rows["section"] == section].reset_index(drop=True)
        _calibration_panel(panel, part, list(part["target"]), fontsize=8)
        panel.set_title(section, loc="left", fontsize=9, fontweight="bold")
    axes[-1, 0].set_xlabel("register minus centre of the published band "
                           "(percentage points)")
    fig.suptitle("Calibration to the EVA note (blue: within band, red: outside; "
                 "direction-only rows not shown)", fontsize=9, x=0.02, ha="left")
    fig.tight_layout(rect=(0, 0, 1, 0.985))
    fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="upper right", fontsize=7,
               ncols=2, frameon=False)
    return fig


def _calibration_panel(ax, rows: pd.DataFrame, labels, fontsize: int) -> None:
    centre = (rows["lower"] + rows["upper"]) / 2
    y = np.arange(len(rows))[::-1]
    ax.hlines(y, 100 * (rows["lower"] - centre), 100 * (rows["upper"] - centre),
              color="0.75", lw=4, label="accepted band")
    colours = np.where(rows["passed"], "tab:blue", "tab:red")
    ax.scatter(100 * (rows["simulated"] - centre), y, c=colours, s=14, zorder=3,
               label="register")
    ax.axvline(0, color="0.3", lw=0.8)
    ax.set_yticks(y, labels, fontsize=fontsize)
    ax.set_ylim(-0.8, len(rows) - 0.2)
    ax.set_xlabel("register minus centre of the published band (percentage points)"
                  if fontsize < 8 else "")
