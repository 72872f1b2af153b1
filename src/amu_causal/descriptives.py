"""Descriptive tables and figures of the EVA note (Figures 1, 2 and 4, Tables 1 and 2).

The table functions count people; the ``plot_*`` functions draw a table and
compute nothing. Every table follows the column conventions of
:mod:`amu_causal.privacy` (``n`` for the people a row rests on, ``*rate*`` and
``*share*`` for proportions of ``n``), so small cells can be suppressed before
anything is drawn or written. The published EVA values come from the same
constants the calibration uses (:func:`amu_causal.calibration_report`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._plotting import ax_or_new, axes_or_new
from .data.municipalities import municipalities
from .data.schema import AMU_AREAS, ATTACHMENT_GROUPS, EDUCATION, MIN_ARRIVALS
from .eva import AMU_AREA_SHARES, EDUCATION_BY_YEAR, TEN_MEANS, eva_regression

__all__ = [
    "amu_areas",
    "education_by_year",
    "education_wide",
    "employment_by_attachment",
    "participation_by_municipality",
    "participation_by_sex_year",
    "plot_employment_by_attachment",
    "plot_participation_by_municipality",
    "plot_participation_by_sex_year",
]



def participation_by_sex_year(df: pd.DataFrame) -> pd.DataFrame:
    """AMU participation within two years by permit year and sex, and for all (EVA Figure 1).

    Returns
    -------
    pandas.DataFrame
        ``permit_year``, ``sex`` (``male``, ``female``, ``all``), ``n``,
        ``participants``, ``participation_rate``.

    Examples
    --------
    >>> import amu_causal as ac
    >>> from amu_causal.descriptives import participation_by_sex_year
    >>> df, _ = ac.simulate_register(n=2_000, seed=1)
    >>> t = participation_by_sex_year(df)
    >>> int(t.loc[t["sex"] == "all", "n"].sum())
    2000
    """
    frame = df.assign(sex=df["sex"].astype(str))
    by_sex = frame.groupby(["permit_year", "sex"], observed=True)["amu"].agg(["size", "sum"])
    total = frame.groupby("permit_year", observed=True)["amu"].agg(["size", "sum"])
    total = total.assign(sex="all").set_index("sex", append=True)
    table = pd.concat([by_sex, total]).reset_index()
    table.columns = ["permit_year", "sex", "n", "participants"]
    table["participation_rate"] = table["participants"] / table["n"]
    order = {"male": 0, "female": 1, "all": 2}
    table = table.sort_values(["permit_year", "sex"], key=lambda s: s.map(order)
                              if s.name == "sex" else s)
    return table.reset_index(drop=True)


def participation_by_municipality(df: pd.DataFrame, *, min_arrivals: int = MIN_ARRIVALS,
                                  top: int = 10) -> pd.DataFrame:
    """Participation by municipality, ranked, with the top and bottom ``top`` marked (Figure 2).

    Parameters
    ----------
    df : pandas.DataFrame
        Register data.
    min_arrivals : int, default 20
        Municipalities with fewer people are left out, as in EVA.
    top : int, default 10
        How many municipalities form the top and the bottom group.

    Returns
    -------
    pandas.DataFrame
        ``municipality``, ``name``, ``n``, ``participants``,
        ``participation_rate``, ``rank`` (1 = highest) and ``group``
        (``top``, ``bottom`` or ``middle``), highest rate first.
    """
    counts = df.groupby("municipality", observed=True)["amu"].agg(["size", "sum"]).reset_index()
    counts.columns = ["municipality", "n", "participants"]
    counts = counts[counts["n"] >= min_arrivals].copy()
    counts["participation_rate"] = counts["participants"] / counts["n"]
    names = municipalities().set_index("code")["name"]
    counts.insert(1, "name", names.reindex(counts["municipality"]).to_numpy())
    counts = counts.sort_values(["participation_rate", "n"], ascending=[False, False],
                                kind="stable").reset_index(drop=True)
    counts["rank"] = np.arange(1, len(counts) + 1)
    counts["group"] = "middle"
    counts.loc[counts.index[:top], "group"] = "top"
    counts.loc[counts.index[-top:], "group"] = "bottom"
    return counts


def group_means(table: pd.DataFrame) -> pd.DataFrame:
    """Mean participation rate of the top and bottom groups (EVA: 19 % and 1 %).

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`participation_by_municipality` (before suppression).

    Returns
    -------
    pandas.DataFrame
        ``group``, ``municipalities``, ``n``, ``participants``,
        ``mean_of_rates`` (EVA's figure: the average of the municipal
        rates), ``pooled_rate`` (participants over people) and ``published``.
    """
    rows = []
    for group, published in (("top", TEN_MEANS["top"]), ("bottom", TEN_MEANS["bottom"]),
                             ("middle", np.nan)):
        part = table[table["group"] == group]
        rows.append({"group": group, "municipalities": len(part), "n": int(part["n"].sum()),
                     "participants": int(part["participants"].sum()),
                     "mean_of_rates": float(part["participation_rate"].mean()),
                     "pooled_rate": float(part["participants"].sum() / max(part["n"].sum(), 1)),
                     "published": published})
    return pd.DataFrame(rows)


def education_by_year(df: pd.DataFrame) -> pd.DataFrame:
    """Highest education brought from abroad by permit year (EVA Table 1), long form.

    Returns
    -------
    pandas.DataFrame
        ``permit_year``, ``education``, ``people``, ``n`` (people of that
        year), ``share`` and ``published`` (EVA's percentage as a share;
        NaN for years EVA did not print).
    """
    counts = pd.crosstab(df["permit_year"], df["education"].astype(str))
    counts = counts.reindex(columns=list(EDUCATION), fill_value=0)
    long = counts.reset_index().melt(id_vars="permit_year", var_name="education",
                                     value_name="people")
    long = long.sort_values(["permit_year"], kind="stable").reset_index(drop=True)
    long["n"] = long["permit_year"].map(counts.sum(axis=1))
    long["share"] = long["people"] / long["n"]
    published = {(year, label): pct / 100 for year, shares in EDUCATION_BY_YEAR.items()
                 for label, pct in zip(EDUCATION, shares, strict=True)}
    long["published"] = [published.get((y, e), np.nan)
                         for y, e in zip(long["permit_year"], long["education"], strict=True)]
    return long


def education_wide(long: pd.DataFrame) -> pd.DataFrame:
    """The (suppressed) long table of :func:`education_by_year` as EVA prints it.

    Returns
    -------
    pandas.DataFrame
        ``permit_year``, ``n`` and one ``<education> share`` column per
        level (shares of the year; NaN where suppressed).
    """
    wide = long.pivot(index="permit_year", columns="education", values="share")
    wide = wide.reindex(columns=list(EDUCATION))
    wide.columns = [f"{c} share" for c in wide.columns]
    n = long.groupby("permit_year")["n"].max()
    return pd.concat([n, wide], axis=1).reset_index()


def amu_areas(df: pd.DataFrame) -> pd.DataFrame:
    """AMU areas of the participants (EVA Table 2).

    Returns
    -------
    pandas.DataFrame
        ``amu_area``, ``people`` (participants in the area), ``n`` (all
        participants), ``share`` and ``published``.

    Notes
    -----
    The register holds one area per participant (the first course); EVA's
    table counts course participations (N = 3,298), so shares are
    comparable, counts are not.
    """
    treated = df.loc[df["amu"] == 1, "amu_area"].astype(str)
    counts = treated.value_counts().reindex(list(AMU_AREAS), fill_value=0)
    table = pd.DataFrame({"amu_area": list(AMU_AREAS), "people": counts.to_numpy()})
    table["n"] = len(treated)
    table["share"] = table["people"] / max(len(treated), 1)
    table["published"] = [AMU_AREA_SHARES[a] / 100 for a in AMU_AREAS]
    return table


def employment_by_attachment(df: pd.DataFrame) -> pd.DataFrame:
    """Employment two years out by early attachment and AMU, raw and adjusted (EVA Figure 4).

    The adjusted values are EVA's: the raw employment rate of
    non-participants in the group, and that rate plus the group's AMU
    coefficient from OLS with municipality fixed effects and the EVA
    controls (:func:`amu_causal.simulate.eva_regression`, HC1 errors).

    Returns
    -------
    pandas.DataFrame
        ``attachment``, ``amu`` (``no AMU``/``AMU``), ``n``,
        ``employment_rate`` (raw), ``adjusted_employment`` with
        ``adjusted_lower`` and ``adjusted_upper`` (95 % for the AMU rows).
    """
    from .data.schema import attachment_group

    group = attachment_group(df["months_employed"]).astype(str)
    frame = pd.DataFrame({"attachment": group, "amu": df["amu"].to_numpy(),
                          "employed": df["employed_2y"].to_numpy()})
    raw = frame.groupby(["attachment", "amu"])["employed"].agg(["size", "mean"])
    reg = eva_regression(df).set_index("term")
    rows = []
    for g in ATTACHMENT_GROUPS:
        for a, label in ((0, "no AMU"), (1, "AMU")):
            n, rate = (raw.loc[(g, a)] if (g, a) in raw.index else (0, np.nan))
            term = f"amu[{g}]"
            base = reg.loc[term, "untreated_mean"] if term in reg.index else np.nan
            est = reg.loc[term, "estimate"] if term in reg.index else np.nan
            se = reg.loc[term, "std_error"] if term in reg.index else np.nan
            adjusted = base + (est if a else 0.0)
            half = 1.96 * se if a else 0.0
            rows.append({"attachment": g, "amu": label, "n": int(n), "employment_rate": rate,
                         "adjusted_employment": adjusted, "adjusted_lower": adjusted - half,
                         "adjusted_upper": adjusted + half})
    return pd.DataFrame(rows)


# -- figures ------------------------------------------------------------------------------

def plot_participation_by_sex_year(table: pd.DataFrame, ax=None):
    """Lines of participation by permit year for men, women and all (EVA Figure 1)."""
    ax = ax_or_new(ax, (7, 3.8))
    styles = {"male": ("tab:blue", "-", "men"), "female": ("tab:orange", "-", "women"),
              "all": ("black", "--", "all")}
    for sex, (colour, line, label) in styles.items():
        rows = table[table["sex"] == sex]
        ax.plot(rows["permit_year"], 100 * rows["participation_rate"], line, color=colour,
                marker="o", label=label)
    ax.axhline(6, color="0.6", lw=0.8, ls=":", label="EVA: 6 % overall")
    ax.set_xlabel("year of residence permit")
    ax.set_ylabel("took AMU within two years (%)")
    ax.set_ylim(bottom=0)
    ax.set_title("AMU participation by sex and permit year (EVA Figure 1)", fontsize=10)
    ax.legend(fontsize=8)
    return ax


def plot_participation_by_municipality(table: pd.DataFrame, means: pd.DataFrame | None = None,
                                       axes=None):
    """All municipalities ranked, and the top and bottom ten by name (EVA Figure 2).

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`participation_by_municipality`, possibly suppressed (rows
        with NaN rates are drawn as crosses at zero, "suppressed").
    means : pandas.DataFrame, optional
        :func:`group_means` of the unsuppressed table (drawn as lines).
    axes : pair of matplotlib.axes.Axes, optional
    """
    axes = np.ravel(axes_or_new(axes, 1, 2, (11, 5), width_ratios=[1.4, 1]))
    left, right = axes
    rate = 100 * table["participation_rate"].to_numpy(dtype=float)
    x = np.arange(len(table))
    colours = table["group"].map({"top": "tab:blue", "bottom": "tab:red",
                                  "middle": "0.7"}).to_numpy()
    shown = np.isfinite(rate)
    left.bar(x[shown], rate[shown], color=colours[shown], width=0.85)
    if (~shown).any():
        left.plot(x[~shown], np.zeros((~shown).sum()), "x", color="0.3", ms=4,
                  label="suppressed (fewer than 5 (non-)participants)")
    if means is not None:
        for _, row in means[means["group"] != "middle"].iterrows():
            colour = "tab:blue" if row["group"] == "top" else "tab:red"
            left.axhline(100 * row["mean_of_rates"], color=colour, lw=1, ls="--",
                         label=f"{row['group']} ten: mean {100 * row['mean_of_rates']:.1f} % "
                               f"(EVA {100 * row['published']:.0f} %)")
    left.set_xticks([])
    left.set_xlabel(f"{len(table)} municipalities with at least {MIN_ARRIVALS} arrivals, "
                    "highest first")
    left.set_ylabel("took AMU within two years (%)")
    left.legend(fontsize=7, loc="upper right")
    left.set_title("AMU participation by municipality (EVA Figure 2)", fontsize=10)

    ends = pd.concat([table[table["group"] == "top"], table[table["group"] == "bottom"]])
    y = np.arange(len(ends))[::-1]
    r = 100 * ends["participation_rate"].to_numpy(dtype=float)
    c = np.where(ends["group"] == "top", "tab:blue", "tab:red")
    ok = np.isfinite(r)
    right.barh(y[ok], r[ok], color=c[ok])
    for yi, value, good in zip(y, r, ok, strict=True):
        right.annotate(f"{value:.0f} %" if good else "suppressed", (value if good else 0, yi),
                       xytext=(3, 0), textcoords="offset points", va="center", fontsize=7)
    right.set_yticks(y, ends["name"].astype(str), fontsize=7)
    right.set_xlabel("took AMU within two years (%)")
    right.set_title("Top ten (blue) and bottom ten (red)", fontsize=10)
    right.set_xlim(0, max(np.nanmax(r) if ok.any() else 1, 1) * 1.2)
    return axes


def plot_employment_by_attachment(table: pd.DataFrame, axes=None):
    """Employment by attachment group and AMU, raw and adjusted (EVA Figure 4)."""
    axes = np.ravel(axes_or_new(axes, 1, 2, (10, 4), sharey=True))
    x = np.arange(len(ATTACHMENT_GROUPS))
    width = 0.38
    for ax, column, title in ((axes[0], "adjusted_employment",
                               "Adjusted (OLS, municipality FE, EVA controls)"),
                              (axes[1], "employment_rate", "Raw rates")):
        for k, (label, colour) in enumerate((("no AMU", "0.6"), ("AMU", "tab:blue"))):
            rows = table[table["amu"] == label].set_index("attachment").reindex(
                list(ATTACHMENT_GROUPS))
            values = 100 * rows[column].to_numpy(dtype=float)
            ax.bar(x + (k - 0.5) * width, np.nan_to_num(values), width, color=colour,
                   label=label)
            if column == "adjusted_employment" and label == "AMU":
                lower = 100 * rows["adjusted_lower"].to_numpy(dtype=float)
                upper = 100 * rows["adjusted_upper"].to_numpy(dtype=float)
                ax.errorbar(x + (k - 0.5) * width, values, yerr=[values - lower, upper - values],
                            fmt="none", color="black", lw=1, capsize=3)
            for xi, v in zip(x + (k - 0.5) * width, values, strict=True):
                ax.annotate("suppressed" if not np.isfinite(v) else f"{v:.0f}",
                            (xi, 0 if not np.isfinite(v) else v), xytext=(0, 2),
                            textcoords="offset points", ha="center", fontsize=7)
        ax.set_xticks(x, [f"{g}" for g in ATTACHMENT_GROUPS])
        ax.set_xlabel("months employed in the first two years (none, low, medium, high)")
        ax.set_title(title, fontsize=10)
    axes[0].set_ylabel("employed two years after settlement (%)")
    axes[0].legend(fontsize=8, loc="upper left")
    return axes
