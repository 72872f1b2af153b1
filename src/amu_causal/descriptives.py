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

    Parameters
    ----------
    df : pandas.DataFrame
        Register data with the columns ``permit_year``, ``sex`` and ``amu``
        (1 = took AMU within two years of settlement, else 0).

    Returns
    -------
    pandas.DataFrame
        ``permit_year``, ``sex`` (``male``, ``female``, ``all``), ``n``,
        ``participants``, ``participation_rate``.
        One row per permit year and sex, ordered by year and then ``male``,
        ``female``, ``all``: ``n`` is the number of people in the cell,
        ``participants`` those of them with ``amu == 1`` and
        ``participation_rate`` their share of ``n`` (a proportion between 0
        and 1, not a percentage).

    See Also
    --------
    plot_participation_by_sex_year : Draws this table.

    Examples
    --------
    >>> import amu_causal as ac
    >>> from amu_causal.descriptives import participation_by_sex_year
    >>> df, _ = ac.simulate_register(n=2_000, seed=1)
    >>> t = participation_by_sex_year(df)
    >>> int(t.loc[t["sex"] == "all", "n"].sum())
    2000
    >>> list(t.columns)
    ['permit_year', 'sex', 'n', 'participants', 'participation_rate']
    >>> t["sex"].head(3).tolist()
    ['male', 'female', 'all']
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
        One row per municipality with at least ``min_arrivals`` people:
        ``municipality`` is its code, ``name`` its name, ``n`` the people
        settled there, ``participants`` those of them with ``amu == 1`` and
        ``participation_rate`` their share of ``n`` (a proportion, not a
        percentage). Ties in the rate are ordered by ``n``, larger first.

    See Also
    --------
    group_means : Mean rates of the top and bottom groups.
    plot_participation_by_municipality : Draws this table.

    Notes
    -----
    With fewer than ``2 * top`` municipalities each group takes half of them
    (rounded down), so no municipality is in both. The threshold is kept in
    ``table.attrs["min_arrivals"]`` for the plot's label.

    Examples
    --------
    >>> import amu_causal as ac
    >>> from amu_causal.descriptives import participation_by_municipality
    >>> df, _ = ac.simulate_register(n=2_000, seed=1)
    >>> t = participation_by_municipality(df)
    >>> list(t.columns)
    ['municipality', 'name', 'n', 'participants', 'participation_rate', 'rank', 'group']
    >>> bool((t["n"] >= 20).all())
    True
    >>> t["group"].value_counts().sort_index().to_dict()
    {'bottom': 10, 'middle': 24, 'top': 10}
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
    k = min(int(top), len(counts) // 2)
    if k > 0:
        counts.loc[counts.index[:k], "group"] = "top"
        counts.loc[counts.index[-k:], "group"] = "bottom"
    counts.attrs["min_arrivals"] = int(min_arrivals)
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

    Parameters
    ----------
    df : pandas.DataFrame
        Register data with the columns ``permit_year`` and ``education``.

    Returns
    -------
    pandas.DataFrame
        ``permit_year``, ``education``, ``people``, ``n`` (people of that
        year), ``share`` and ``published`` (EVA's percentage as a share;
        NaN for years EVA did not print).
        One row per permit year and education level (all six levels of
        ``amu_causal.data.schema.EDUCATION``, zero ``people`` where none),
        ordered by year: ``people`` counts the people of the year with that
        level and ``share`` is ``people / n``, a proportion between 0 and 1.

    See Also
    --------
    education_wide : The same table with one column per level, as EVA prints it.

    Examples
    --------
    >>> import amu_causal as ac
    >>> from amu_causal.descriptives import education_by_year
    >>> df, _ = ac.simulate_register(n=2_000, seed=1)
    >>> long = education_by_year(df)
    >>> list(long.columns)
    ['permit_year', 'education', 'people', 'n', 'share', 'published']
    >>> long[["permit_year", "education", "published"]].head(1).to_dict("records")
    [{'permit_year': 2010, 'education': 'primary', 'published': 0.59}]
    >>> bool(long.groupby("permit_year")["share"].sum().round(10).eq(1).all())
    True
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

    Parameters
    ----------
    long : pandas.DataFrame
        The table of :func:`education_by_year`, as returned or after small
        cells are blanked (:func:`amu_causal.privacy.suppress_small_cells`);
        only its ``permit_year``, ``education``, ``n`` and ``share`` columns
        are used.

    Returns
    -------
    pandas.DataFrame
        ``permit_year``, ``n`` and one ``<education> share`` column per
        level (shares of the year; NaN where suppressed).
        One row per permit year; ``n`` is the largest ``n`` of the year's
        rows (the people of that year, NaN if all rows are suppressed) and
        the share columns follow the order of
        ``amu_causal.data.schema.EDUCATION``, as proportions between 0
        and 1.

    Examples
    --------
    >>> import amu_causal as ac
    >>> from amu_causal.descriptives import education_by_year, education_wide
    >>> df, _ = ac.simulate_register(n=2_000, seed=1)
    >>> wide = education_wide(education_by_year(df))
    >>> list(wide.columns)  # doctest: +NORMALIZE_WHITESPACE
    ['permit_year', 'n', 'primary share', 'upper_secondary share', 'short_tertiary share',
     'medium_tertiary share', 'long_tertiary share', 'unknown share']
    >>> wide["permit_year"].tolist()
    [2010, 2011, 2012, 2013, 2014, 2015]
    """
    wide = long.pivot(index="permit_year", columns="education", values="share")
    wide = wide.reindex(columns=list(EDUCATION))
    wide.columns = [f"{c} share" for c in wide.columns]
    n = long.groupby("permit_year")["n"].max()
    return pd.concat([n, wide], axis=1).reset_index()


def amu_areas(df: pd.DataFrame) -> pd.DataFrame:
    """AMU areas of the participants (EVA Table 2).

    Parameters
    ----------
    df : pandas.DataFrame
        Register data with the columns ``amu`` and ``amu_area`` (the area
        is read only for people with ``amu == 1``).

    Returns
    -------
    pandas.DataFrame
        ``amu_area``, ``people`` (participants in the area), ``n`` (all
        participants), ``share`` and ``published``.
        One row per area of ``amu_causal.data.schema.AMU_AREAS``, in
        that order (zero ``people`` where none): ``share`` is
        ``people / n`` and ``published`` EVA's percentage as a share, both
        proportions between 0 and 1.

    Notes
    -----
    The register holds one area per participant (the first course); EVA's
    table counts course participations (N = 3,298), so shares are
    comparable, counts are not.

    Examples
    --------
    >>> import amu_causal as ac
    >>> from amu_causal.descriptives import amu_areas
    >>> df, _ = ac.simulate_register(n=2_000, seed=1)
    >>> table = amu_areas(df)
    >>> list(table.columns)
    ['amu_area', 'people', 'n', 'share', 'published']
    >>> int(table["people"].sum()) == int(df["amu"].sum())
    True
    >>> table["published"].tolist()
    [0.28, 0.26, 0.2, 0.09, 0.09, 0.08]
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

    Parameters
    ----------
    df : pandas.DataFrame
        Register data in the contract: besides ``months_employed``, ``amu``
        and ``employed_2y`` it needs the municipality and the EVA controls
        for the regression.

    Returns
    -------
    pandas.DataFrame
        ``attachment``, ``amu`` (``no AMU``/``AMU``), ``n``,
        ``employment_rate`` (raw), ``adjusted_employment`` with
        ``adjusted_lower`` and ``adjusted_upper`` (95 % for the AMU rows).
        Eight rows, ``no AMU`` then ``AMU`` for each attachment group
        (``none``, ``low``, ``medium``, ``high``: 0, 1-6, 7-12 and 13-24
        months employed in the first two years). ``n`` is the people in the
        cell and ``employment_rate`` the share of them employed two years
        after settlement (``employed_2y``; NaN for an empty cell). The
        adjusted values are proportions too: the group's untreated mean for
        ``no AMU`` (bounds equal to it) and that mean plus the AMU
        coefficient for ``AMU``, with bounds 1.96 HC1 standard errors of the
        coefficient either side; NaN where the regression has no coefficient
        for the group.

    See Also
    --------
    plot_employment_by_attachment : Draws this table.

    Examples
    --------
    >>> import amu_causal as ac
    >>> from amu_causal.descriptives import employment_by_attachment
    >>> df, _ = ac.simulate_register(n=2_000, seed=1)
    >>> table = employment_by_attachment(df)
    >>> list(table.columns)  # doctest: +NORMALIZE_WHITESPACE
    ['attachment', 'amu', 'n', 'employment_rate', 'adjusted_employment',
     'adjusted_lower', 'adjusted_upper']
    >>> table[["attachment", "amu"]].head(2).to_numpy().tolist()
    [['none', 'no AMU'], ['none', 'AMU']]
    >>> int(table["n"].sum())
    2000
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
    """Lines of participation by permit year for men, women and all (EVA Figure 1).

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`participation_by_sex_year`, possibly suppressed (NaN rates
        leave gaps in the lines).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new 7 x 3.8 inch figure when omitted.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on: permit year on the x axis, participation within
        two years in percent on the y axis (from 0), one line each for men,
        women and all, and a dotted reference line at EVA's 6 % overall.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import amu_causal as ac
    >>> from amu_causal.descriptives import (participation_by_sex_year,
    ...                                      plot_participation_by_sex_year)
    >>> df, _ = ac.simulate_register(n=2_000, seed=1)
    >>> ax = plot_participation_by_sex_year(participation_by_sex_year(df))
    >>> ax.get_xlabel(), ax.get_ylabel()
    ('year of residence permit', 'took AMU within two years (%)')
    """
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
        Two axes to draw on; a new 11 x 5 inch figure of two panels when
        omitted.

    Returns
    -------
    numpy.ndarray of matplotlib.axes.Axes
        The two axes drawn on. Left: one bar per municipality in the order
        of ``table``, participation within two years in percent, top group
        blue, bottom group red, the rest grey, with dashed lines at the
        means of the top and bottom groups and EVA's values in the legend
        when ``means`` is given. Right: horizontal bars of the top and
        bottom groups by municipality name, labelled with their percentage.

    Notes
    -----
    The x label of the left panel states the ``min_arrivals`` that built
    ``table`` (kept in ``table.attrs``); a table that lost it is labelled
    without the threshold.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import amu_causal as ac
    >>> from amu_causal.descriptives import (group_means, participation_by_municipality,
    ...                                      plot_participation_by_municipality)
    >>> df, _ = ac.simulate_register(n=2_000, seed=1)
    >>> table = participation_by_municipality(df)
    >>> axes = plot_participation_by_municipality(table, group_means(table))
    >>> [ax.get_title() for ax in axes]  # doctest: +NORMALIZE_WHITESPACE
    ['AMU participation by municipality (EVA Figure 2)',
     'Top ten (blue) and bottom ten (red)']
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
    size = int((table["group"] == "top").sum())
    words = {10: "ten"}
    size_text = words.get(size, str(size))
    if means is not None:
        for _, row in means[means["group"] != "middle"].iterrows():
            colour = "tab:blue" if row["group"] == "top" else "tab:red"
            left.axhline(100 * row["mean_of_rates"], color=colour, lw=1, ls="--",
                         label=f"{row['group']} {size_text}: mean "
                               f"{100 * row['mean_of_rates']:.1f} % "
                               f"(EVA {100 * row['published']:.0f} %)")
    left.set_xticks([])
    threshold = table.attrs.get("min_arrivals")
    left.set_xlabel(f"{len(table)} municipalities"
                    + (f" with at least {threshold} arrivals" if threshold is not None else "")
                    + ", highest first")
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
    right.set_title(f"Top {size_text} (blue) and bottom {size_text} (red)", fontsize=10)
    right.set_xlim(0, max(np.nanmax(r) if ok.any() else 1, 1) * 1.2)
    return axes


def plot_employment_by_attachment(table: pd.DataFrame, axes=None):
    """Employment by attachment group and AMU, raw and adjusted (EVA Figure 4).

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`employment_by_attachment`, possibly suppressed (NaN values
        are drawn as empty bars labelled "suppressed").
    axes : pair of matplotlib.axes.Axes, optional
        Two axes to draw on; a new 10 x 4 inch figure of two panels with a
        shared y axis when omitted.

    Returns
    -------
    numpy.ndarray of matplotlib.axes.Axes
        The two axes drawn on, each with the attachment groups on the x axis
        and a grey ``no AMU`` and a blue ``AMU`` bar per group, labelled with
        their value: employment two years after settlement in percent. Left:
        the adjusted values, with the 95 % interval on the ``AMU`` bars;
        right: the raw rates.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import amu_causal as ac
    >>> from amu_causal.descriptives import (employment_by_attachment,
    ...                                      plot_employment_by_attachment)
    >>> df, _ = ac.simulate_register(n=2_000, seed=1)
    >>> axes = plot_employment_by_attachment(employment_by_attachment(df))
    >>> [ax.get_title() for ax in axes]
    ['Adjusted (OLS, municipality FE, EVA controls)', 'Raw rates']
    >>> axes[0].get_ylabel()
    'employed two years after settlement (%)'
    """
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
