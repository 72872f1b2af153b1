"""Export-safe output: no microdata, no small cells, and a scan that checks a results folder.

Register microdata must not leave the research environment. Everything the
main job writes for export follows three rules:

1. **No per-person values.** Tables and figures hold aggregates only; saved
   posteriors hold model parameters and causal estimands, never the observed
   data, the likelihood of each person or any quantity with one value per
   person (:func:`export_posterior`).
2. **No small cells.** Every statistic is computed on at least ``min_count``
   people (default 5), and so is its complement where a proportion is shown
   (a share of 98 % among 100 people tells that 2 people did not take part).
   :func:`suppress_small_cells` blanks the cells that break the rule; a zero
   count is allowed (it identifies no one). Where the rows of a table add up
   to a total shown elsewhere, a single suppressed row would be recovered by
   subtraction, so the smallest other row goes too (secondary suppression,
   ``within=``).
3. **Every file is accounted for.** A run lists its files in
   ``manifest.json``; each figure names the table it was drawn from, which is
   itself checked.

:func:`scan_outputs` reads a results folder and lists every violation it can
see; :func:`check_outputs` raises :class:`PrivacyError` when there is one.

Conventions the scan relies on (the main job writes its tables this way):

* **count columns** are called ``n``, ``n_<what>``, ``<what>_n``, ``count``,
  ``people`` or ``participants``;
* **proportion columns** have ``rate`` or ``share`` in their name, or end in
  ``_raw`` (an observed share beside a modelled one), and are proportions of
  the row's ``n``; the counts they imply (``rate * n`` and its complement)
  must not be small either;
* a count ``n_<what>`` is a part of the row's ``n``, so its complement
  ``n - n_<what>`` must not be small either (48 participants among 50 people
  tells that 2 did not take part);
* suppressed cells are empty (NaN).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "MIN_COUNT",
    "PrivacyError",
    "Violation",
    "check_outputs",
    "count_columns",
    "export_posterior",
    "export_result",
    "exportable_municipalities",
    "rate_columns",
    "safe_raw_differences",
    "scan_outputs",
    "suppress_small_cells",
]

#: Default minimum number of people behind any exported cell.
MIN_COUNT = 5

#: Column names that only per-person data have.
PERSON_COLUMNS = frozenset({"person_id", "pnr", "cpr", "id"})
#: Canonical register columns; a table holding several of them without a count is microdata.
REGISTER_COLUMNS = frozenset({
    "person_id", "municipality", "permit_year", "permit_month", "origin", "residence_basis",
    "sex", "age", "education", "civil_status", "family_type", "n_children",
    "started_education", "started_adult_education", "months_employed", "amu", "amu_area",
    "employed_2y",
})
#: File types a results folder may hold for export.
ALLOWED_SUFFIXES = frozenset({".csv", ".md", ".html", ".png", ".nc", ".json", ".txt",
                              ".tex"})
#: InferenceData groups that carry data or per-person quantities.
FORBIDDEN_GROUPS = ("observed_data", "constant_data", "log_likelihood", "posterior_predictive",
                    "prior_predictive", "predictions", "predictions_constant_data")
_COUNT_NAMES = frozenset({"n", "count", "people", "participants"})


class PrivacyError(Exception):
    """Output that may not leave the research environment.

    The message lists each violation; fix it by suppressing the small cells
    (:func:`suppress_small_cells`), dropping per-person values
    (:func:`export_posterior`), or by keeping the folder inside the research
    environment (``amu-causal run --private``).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from amu_causal.privacy import PrivacyError, check_outputs
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "people.xlsx").write_text("")   # not an exportable file type
    >>> try:
    ...     check_outputs(folder)
    ... except PrivacyError as err:
    ...     print(str(err).splitlines()[0].split(" in ")[0])
    1 export violation(s)
    """


@dataclass(frozen=True)
class Violation:
    """One breach of the export rules.

    Parameters
    ----------
    path : str
        File, relative to the scanned folder.
    rule : str
        ``small cell``, ``per-person data``, ``file type``, ``unlisted file``
        or ``figure source``.
    detail : str
        Where and what.

    Examples
    --------
    >>> from amu_causal.privacy import Violation
    >>> print(Violation("tables/x.csv", "small cell", "row 3: n = 2"))
    tables/x.csv: small cell: row 3: n = 2
    """

    path: str
    rule: str
    detail: str

    def __str__(self) -> str:
        return f"{self.path}: {self.rule}: {self.detail}"


def _check_min_count(min_count) -> int:
    if isinstance(min_count, bool) or not isinstance(min_count, int | np.integer) or min_count < 1:
        raise ValueError(f"min_count must be a whole number of at least 1, got {min_count!r}")
    return int(min_count)


def count_columns(columns) -> list[str]:
    """The columns the scan treats as counts of people (see the module notes).

    Parameters
    ----------
    columns : iterable of str
        Column names of a table.

    Returns
    -------
    list of str

    Examples
    --------
    >>> from amu_causal.privacy import count_columns
    >>> count_columns(["n", "n_treated", "estimate", "people", "rate"])
    ['n', 'n_treated', 'people']
    """
    return [c for c in map(str, columns)
            if c in _COUNT_NAMES or c.startswith("n_") or c.endswith("_n")]


def rate_columns(columns) -> list[str]:
    """The columns the scan treats as proportions of the row's ``n``.

    Parameters
    ----------
    columns : iterable of str
        Column names of a table.

    Returns
    -------
    list of str

    Examples
    --------
    >>> from amu_causal.privacy import rate_columns
    >>> rate_columns(["n", "participation_rate", "share", "participation_raw", "estimate"])
    ['participation_rate', 'share', 'participation_raw']
    """
    return [c for c in map(str, columns)
            if "rate" in c or "share" in c or c.endswith("_raw")]


def _small(values, min_count: int) -> np.ndarray:
    v = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        return (v >= 0.5) & (v < min_count - 0.5)


def _row_violations(frame: pd.DataFrame, min_count: int) -> tuple[np.ndarray, list[str]]:
    """Which rows hold a small cell, and why (first reason per row)."""
    bad = np.zeros(len(frame), dtype=bool)
    reasons = [""] * len(frame)
    for column in count_columns(frame.columns):
        hit = _small(frame[column], min_count)
        for i in np.flatnonzero(hit & ~bad):
            reasons[i] = f"{column} = {frame[column].iloc[i]}"
        bad |= hit
    if "n" in frame.columns:
        n = pd.to_numeric(frame["n"], errors="coerce").to_numpy(dtype=float)
        for column in [c for c in count_columns(frame.columns) if c.startswith("n_")]:
            part = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
            hit = _small(n - part, min_count)
            for i in np.flatnonzero(hit & ~bad):
                reasons[i] = (f"{column} = {part[i]:g} of n = {n[i]:g} leaves "
                              f"{n[i] - part[i]:g} people")
            bad |= hit
        for column in rate_columns(frame.columns):
            rate = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
            with np.errstate(invalid="ignore"):
                rate = np.where(rate > 1.0, rate / 100.0, rate)  # percentages
                k = np.round(rate * n)
            hit = _small(k, min_count) | _small(n - k, min_count)
            for i in np.flatnonzero(hit & ~bad):
                reasons[i] = (f"{column} = {frame[column].iloc[i]} of n = {n[i]:g} implies "
                              f"{k[i]:g} and {n[i] - k[i]:g} people")
            bad |= hit
    return bad, reasons


def suppress_small_cells(frame: pd.DataFrame, *, min_count: int = MIN_COUNT,
                         keep=(), within=None, parts=None) -> pd.DataFrame:
    """Blank every row of a table that rests on fewer than ``min_count`` people.

    A row is suppressed when one of its count columns, or a count implied
    by a proportion column and ``n`` (or its complement), lies between 1 and
    ``min_count - 1``. All its columns except ``keep`` (labels) become NaN,
    so that the blanked count cannot be recovered from the others.

    Parameters
    ----------
    frame : pandas.DataFrame
        A table following the column conventions of this module.
    min_count : int, default 5
        Smallest number of people behind an exported cell.
    keep : sequence of str
        Label columns that stay (municipality name, year, group).
    within : str, list of str or True, optional
        Secondary suppression. Rows of one group (the same values in these
        columns; ``True`` for the whole table) add up to a total that is
        shown elsewhere (a year's people, all participants), so a single
        suppressed row could be recovered by subtraction: whenever exactly
        one row of a group is suppressed, the smallest other row of the
        group is suppressed too.
    parts : pandas.Series of bool, optional
        Which rows are parts of the group total (default all); a total row
        itself (``sex == "all"``) is not a part.

    Returns
    -------
    pandas.DataFrame
        A copy with small cells blanked and a boolean column ``suppressed``.

    Examples
    --------
    >>> import pandas as pd
    >>> from amu_causal.privacy import suppress_small_cells
    >>> t = pd.DataFrame({"group": ["a", "b", "c"], "n": [40, 3, 50],
    ...                   "participation_rate": [0.5, 0.0, 0.98]})
    >>> suppress_small_cells(t, keep=["group"])["suppressed"].tolist()
    [False, True, True]
    """
    min_count = _check_min_count(min_count)
    out = frame.copy()
    bad, _ = _row_violations(out.reset_index(drop=True), min_count)
    if within is not None and bad.any():
        bad = _secondary(out.reset_index(drop=True), bad, within, parts)
    blank = [c for c in out.columns if c not in set(keep)]
    for column in blank:
        if bad.any():
            if not pd.api.types.is_float_dtype(out[column]):
                out[column] = out[column].astype(object)
            out.loc[bad, column] = np.nan
    out["suppressed"] = bad
    return out


def _secondary(frame: pd.DataFrame, bad: np.ndarray, within, parts) -> np.ndarray:
    """Add the smallest other row of every group with exactly one suppressed row."""
    bad = bad.copy()
    is_part = (np.ones(len(frame), dtype=bool) if parts is None
               else np.asarray(parts, dtype=bool))
    counts = count_columns(frame.columns)
    size = (pd.to_numeric(frame[counts[0]], errors="coerce").to_numpy(dtype=float)
            if counts else np.zeros(len(frame)))
    keys = (np.zeros(len(frame)) if within is True
            else frame[[within] if isinstance(within, str) else list(within)].astype(str)
            .agg("|".join, axis=1).to_numpy())
    for key in pd.unique(keys):
        rows = np.flatnonzero((keys == key) & is_part)
        if (bad[rows]).sum() == 1 and len(rows) > 1:
            others = rows[~bad[rows]]
            bad[others[np.argmin(size[others])]] = True
    return bad


def export_posterior(idata, *, municipality_n=None, min_count: int = MIN_COUNT):
    """A copy of an InferenceData that is safe to export.

    Drops the observed and constant data, log-likelihoods and predictive
    draws; drops every variable with a dimension longer than the number of
    municipalities times 100 (which only per-person quantities have) and the
    per-cell effect sums used by the policy scenarios; keeps only per-draw
    scalars of the sample statistics; and, with ``municipality_n``, drops
    municipalities with fewer than ``min_count`` people from every variable
    indexed by municipality.

    Parameters
    ----------
    idata : arviz.InferenceData
        A fitted posterior (``result.idata``).
    municipality_n : pandas.Series, optional
        People per municipality code (index: code).
    min_count : int, default 5

    Returns
    -------
    arviz.InferenceData

    Examples
    --------
    >>> import arviz as az
    >>> import numpy as np
    >>> from amu_causal.privacy import export_posterior
    >>> idata = az.from_dict(posterior={"ATE": np.zeros((2, 10))},
    ...                      observed_data={"employed_2y": np.zeros(50)})
    >>> export_posterior(idata).groups()
    ['posterior']
    """
    import arviz as az

    min_count = _check_min_count(min_count)
    groups = {}
    for name in idata.groups():
        if name in FORBIDDEN_GROUPS or name.endswith("_warmup"):
            continue
        ds = idata[name]
        if name == "sample_stats":
            keep = [v for v in ds.data_vars if set(ds[v].dims) <= {"chain", "draw"}]
        else:
            keep = [v for v in ds.data_vars
                    if not str(v).startswith("effect_sum")
                    and not any(d not in ("chain", "draw", "municipality")
                                and ds.sizes[d] > 10_000 for d in ds[v].dims)]
        ds = ds[keep]
        if municipality_n is not None and "municipality" in ds.dims:
            codes = ds["municipality"].values
            n = pd.Series(municipality_n).reindex(codes).fillna(0).to_numpy()
            ds = ds.sel(municipality=codes[n >= min_count])
        groups[name] = ds
    out = az.InferenceData(**groups)
    for name in out.groups():
        out[name].attrs.update({"amu_causal_export": "export-safe", "min_count": min_count})
    return out


def safe_raw_differences(table: pd.DataFrame, data: pd.DataFrame | None = None, *,
                         min_count: int = MIN_COUNT) -> pd.DataFrame:
    """Blank raw employment differences that rest on a small cell.

    The raw difference of a municipality is the employment rate of its
    participants minus that of its non-participants; with six participants
    of whom one is employed it tells about that one person. The count columns
    of the table do not show this, so it is checked against the register:
    the difference stays only where the employed and the not employed among
    both participants and non-participants are each 0 or at least
    ``min_count``. Without the register nothing can be checked, and every
    raw difference is blanked.

    Parameters
    ----------
    table : pandas.DataFrame
        A table with ``municipality`` and ``raw_difference`` (the Bayesian
        result's ``municipality_effects``).
    data : pandas.DataFrame, optional
        The analysis register the result was fitted on.
    min_count : int, default 5

    Returns
    -------
    pandas.DataFrame
        A copy; unchanged when it has no ``raw_difference`` column.

    Examples
    --------
    >>> import pandas as pd
    >>> from amu_causal.privacy import safe_raw_differences
    >>> t = pd.DataFrame({"municipality": [101], "raw_difference": [0.1]})
    >>> safe_raw_differences(t)["raw_difference"].isna().all()
    np.True_
    """
    min_count = _check_min_count(min_count)
    if "raw_difference" not in table.columns:
        return table.copy()
    if data is None:
        return table.assign(raw_difference=np.nan)
    cells = data.groupby(["municipality", "amu"], observed=True)["employed_2y"].agg(
        ["sum", "size"])
    small = (_small(cells["sum"], min_count) | _small(cells["size"] - cells["sum"], min_count))
    unsafe = pd.Series(small, index=cells.index).groupby(level="municipality").any()
    mask = table["municipality"].map(unsafe).fillna(True).astype(bool).to_numpy()
    return table.assign(raw_difference=table["raw_difference"].where(~mask))


def exportable_municipalities(table: pd.DataFrame, *, min_count: int = MIN_COUNT) -> pd.Series:
    """People per municipality, zero where the municipality's row may not be shown.

    A municipality is not shown when its row of ``table`` (``n``,
    ``n_treated``) is suppressed by :func:`suppress_small_cells`: fewer than
    ``min_count`` people, or 1 to ``min_count - 1`` participants or
    non-participants. Pass the result as ``municipality_n`` to
    :func:`export_posterior`, so that the posterior drops exactly the
    municipalities the tables blank.

    Parameters
    ----------
    table : pandas.DataFrame
        ``municipality``, ``n`` and optionally ``n_treated``.
    min_count : int, default 5

    Returns
    -------
    pandas.Series
        Index: municipality code.

    Examples
    --------
    >>> import pandas as pd
    >>> from amu_causal.privacy import exportable_municipalities
    >>> t = pd.DataFrame({"municipality": [101, 147, 400], "n": [50, 40, 3],
    ...                   "n_treated": [10, 2, 0]})
    >>> exportable_municipalities(t).tolist()
    [50, 0, 0]
    """
    counts = table[[c for c in ("municipality", "n", "n_treated") if c in table.columns]]
    bad, _ = _row_violations(counts.drop(columns="municipality").reset_index(drop=True),
                             _check_min_count(min_count))
    n = pd.to_numeric(counts["n"], errors="coerce").fillna(0).to_numpy()
    return pd.Series(np.where(bad | (n < min_count), 0, n), index=counts["municipality"].values,
                     name="n")


#: Rows of a ``quantity``/``value`` table that report one person's value (a minimum or maximum).
_SINGLE_PERSON_QUANTITIES = ("min ", "max ")


def export_result(result, *, data: pd.DataFrame | None = None, min_count: int = MIN_COUNT):
    """A copy of a fitted result that follows the export rules of this module.

    The same suppression as the main job (``amu-causal run``):

    * the posterior through :func:`export_posterior` (no data groups, no
      per-person quantities, no per-cell effect sums ``effect_sum_*``), with
      every municipality dropped whose row the municipality table blanks
      (:func:`exportable_municipalities`);
    * the municipality table: raw differences checked against ``data``
      (:func:`safe_raw_differences`; all blanked without it), then small
      cells suppressed; the participation table blanked for the same
      municipalities;
    * every other table through :func:`suppress_small_cells` (label columns
      kept), and the one-person rows of DoubleML's overlap table (smallest and
      largest propensity) dropped;
    * ``ATE[municipality=...]`` rows of the effects table, if any, dropped
      for the blanked municipalities.

    Parameters
    ----------
    result : amu_causal.CausalResult
    data : pandas.DataFrame, optional
        The register the result was fitted on; lets raw differences that rest
        on no small cell stay.
    min_count : int, default 5

    Returns
    -------
    amu_causal.CausalResult
        A new result; ``settings["export"]`` records the rules applied.

    Examples
    --------
    >>> import pandas as pd
    >>> from amu_causal.privacy import export_result
    >>> from amu_causal.results import CausalResult
    >>> effects = pd.DataFrame({"estimator": ["m"], "estimand": ["ATE"], "estimate": [0.05],
    ...                         "std_error": [0.01], "ci_lower": [0.03], "ci_upper": [0.07],
    ...                         "level": [0.95], "p_positive": [1.0]})
    >>> municipal = pd.DataFrame({"municipality": [101, 147], "n": [50, 40],
    ...                           "n_treated": [10, 2], "estimate": [0.05, 0.07]})
    >>> result = CausalResult("m", effects, n=90, tables={"municipality_effects": municipal})
    >>> export_result(result).table("municipality_effects")["estimate"].tolist()
    [0.05, nan]
    """
    import re

    from .results import BayesianResult, CausalResult

    min_count = _check_min_count(min_count)
    tables = dict(result.tables)
    blanked: set = set()
    municipality_n = None
    if "municipality_effects" in tables:
        municipal = safe_raw_differences(tables["municipality_effects"], data,
                                         min_count=min_count)
        municipality_n = exportable_municipalities(municipal, min_count=min_count)
        blanked = set(municipality_n.index[municipality_n.to_numpy() == 0])
        municipal = _blank_rows(municipal, municipal["municipality"].isin(blanked),
                                keep=("municipality", "name"))
        tables["municipality_effects"] = municipal
    for name, frame in list(tables.items()):
        if name == "municipality_effects":
            continue
        if "municipality" in frame.columns and blanked:
            frame = _blank_rows(frame, frame["municipality"].isin(blanked),
                                keep=("municipality", "name"))
        if {"quantity", "value"} <= set(frame.columns):
            frame = frame[~frame["quantity"].astype(str).str.startswith(
                _SINGLE_PERSON_QUANTITIES)].reset_index(drop=True)
        if count_columns(frame.columns):
            before = (frame.pop("suppressed").to_numpy(dtype=bool) if "suppressed" in frame
                      else np.zeros(len(frame), dtype=bool))
            labels = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])
                      or c == "municipality"]
            frame = suppress_small_cells(frame, min_count=min_count, keep=labels)
            frame["suppressed"] = frame["suppressed"].to_numpy(dtype=bool) | before
            if not frame["suppressed"].any():
                frame = frame.drop(columns="suppressed")
        tables[name] = frame
    effects = result.effects_table
    if blanked:
        codes = effects["estimand"].astype(str).map(
            lambda e: (m.group(1) if (m := re.fullmatch(r".*\[municipality=(.+)\]", e))
                       else None))
        drop = codes.isin({str(c) for c in blanked})
        effects = effects[~drop.to_numpy()].reset_index(drop=True)
    settings = {**result.settings, "export": {
        "min_count": min_count, "raw_differences_checked": data is not None,
        "municipalities_blanked": len(blanked)}}
    common = {"estimator": result.estimator, "effects_table": effects, "n": result.n,
                  "settings": settings, "diagnostics_table": result.diagnostics_table,
                  "sampler": result.sampler, "problems": result.problems, "tables": tables}
    if isinstance(result, BayesianResult):
        idata = result.idata
        if idata is not None:
            idata = export_posterior(idata, municipality_n=municipality_n, min_count=min_count)
        return BayesianResult(**common, idata=idata)
    # a baseline's fitted objects hold the data: the exported result is a plain one
    return CausalResult(**common)


def _blank_rows(frame: pd.DataFrame, rows, keep=()) -> pd.DataFrame:
    """Blank every column but ``keep`` in ``rows`` (as :func:`suppress_small_cells` does)."""
    rows = np.asarray(rows, dtype=bool)
    if not rows.any():
        return frame
    out = frame.copy()
    for column in out.columns:
        if column in keep or column == "suppressed":
            continue
        if pd.api.types.is_integer_dtype(out[column]):
            out[column] = out[column].astype(float)
        elif not pd.api.types.is_float_dtype(out[column]):
            out[column] = out[column].astype(object)
        out.loc[rows, column] = np.nan
    out["suppressed"] = rows | (out["suppressed"].to_numpy(dtype=bool)
                                if "suppressed" in out else False)
    return out


# The folder scan lives in its own module (privacy.py kept to one responsibility per file);
# its functions are part of this module's public surface.
from ._privacy_scan import check_outputs, scan_outputs  # noqa: E402
