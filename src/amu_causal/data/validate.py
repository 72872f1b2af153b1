"""Checking register data against the contract, with every problem listed at once."""

from __future__ import annotations

import warnings
from collections.abc import Iterable

import numpy as np
import pandas as pd

from .errors import Problem, RegisterDataError, RegisterDataWarning
from .municipalities import municipalities
from .schema import COLUMNS, ColumnSpec, attachment_group

__all__ = ["drop_incomplete_rows", "validate_register"]

_N_EXAMPLES = 5


def _example_ids(df: pd.DataFrame, mask: np.ndarray) -> tuple:
    """The first few person ids (or row labels, if ids are unusable) where ``mask`` holds."""
    rows = df.loc[mask]
    if "person_id" in df.columns and not df["person_id"].isna().all():
        values = rows["person_id"].head(_N_EXAMPLES).tolist()
    else:
        values = [f"row {i}" for i in rows.index[:_N_EXAMPLES]]
    return tuple(v.item() if isinstance(v, np.generic) else v for v in values)


def _problem(df, column, rule, mask, fix="") -> Problem:
    mask = np.asarray(mask, dtype=bool)
    rows = tuple(int(i) + 1 for i in np.flatnonzero(mask)[:_N_EXAMPLES])
    return Problem(column, rule, int(mask.sum()), _example_ids(df, mask), fix, rows)


def _as_integer(df: pd.DataFrame, spec: ColumnSpec, problems: list[Problem]) -> pd.Series | None:
    raw = df[spec.name]
    if pd.api.types.is_bool_dtype(raw):
        raw = raw.astype("int64")
    missing = raw.isna().to_numpy()
    numeric = pd.to_numeric(raw, errors="coerce")
    not_number = numeric.isna().to_numpy() & ~missing
    if missing.any():
        problems.append(
            _problem(df, spec.name, "has missing values", missing,
                     "fill them in the source data, or drop incomplete rows explicitly with "
                     "drop_incomplete_rows() / load_register(..., drop_incomplete=True)")
        )
    if not_number.any():
        problems.append(
            _problem(df, spec.name, f"has values that are not numbers ({spec.kind} expected)",
                     not_number, "map the codes to numbers before loading")
        )
    values = numeric.to_numpy(dtype="float64")
    fractional = np.isfinite(values) & (np.floor(values) != values)
    if fractional.any():
        problems.append(
            _problem(df, spec.name, "has values that are not whole numbers", fractional,
                     "round or recode the column")
        )
    ok = np.isfinite(values) & ~fractional
    if spec.lower is not None:
        below = ok & (values < spec.lower)
        above = ok & (values > spec.upper)
        out = below | above
        if out.any():
            what = "0 or 1" if spec.kind == "binary" else f"between {spec.lower} and {spec.upper}"
            problems.append(
                _problem(df, spec.name, f"has values outside the allowed range (must be {what})",
                         out, "check the coding of the source variable")
            )
            ok &= ~out
    if not ok.all():
        return None
    return pd.Series(values.astype("int64"), index=df.index, name=spec.name)


def _as_category(df: pd.DataFrame, spec: ColumnSpec, problems: list[Problem],
                 allow_missing: bool = False) -> pd.Series | None:
    raw = df[spec.name]
    missing = raw.isna().to_numpy()
    labels = raw.astype("string").str.strip()
    if missing.any() and not allow_missing:
        problems.append(
            _problem(df, spec.name, "has missing values", missing,
                     "fill them in the source data, or drop incomplete rows explicitly")
        )
    good = not (missing.any() and not allow_missing)
    if spec.allowed:
        unknown = (~labels.isin(spec.allowed).to_numpy()) & ~missing
        if unknown.any():
            seen = sorted(map(str, pd.unique(labels[unknown])))[:_N_EXAMPLES]
            problems.append(
                _problem(
                    df, spec.name,
                    f"has values outside the allowed labels {list(spec.allowed)} "
                    f"(found {seen})",
                    unknown,
                    "recode them, e.g. load_register(..., recode={"
                    f"'{spec.name}': {{<your code>: '<label>'}}}})",
                )
            )
            good = False
    if not good:
        return None
    dtype = spec.dtype
    if isinstance(dtype, str):  # free labels
        return labels.astype(object).where(~missing, np.nan).astype("category")
    return pd.Series(pd.Categorical(labels.astype(object).where(~missing, np.nan),
                                    dtype=dtype), index=df.index, name=spec.name)


def validate_register(df: pd.DataFrame) -> pd.DataFrame:
    """Check register data against the contract and return them in canonical form.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per person with the canonical columns (see
        :func:`amu_causal.data.schema_table`). Extra columns are kept and
        ignored.

    Returns
    -------
    pandas.DataFrame
        A copy with canonical dtypes (integers as ``int64``, labelled columns
        as categoricals) and the derived ``attachment`` group
        (``none``/``low``/``medium``/``high`` from ``months_employed``). Row
        order and index are unchanged; no row is dropped.

    Raises
    ------
    RegisterDataError
        Listing every problem at once: the column, the broken rule, how many
        rows break it, the first few ``person_id`` values, and a fix.

    Notes
    -----
    Checked: the frame is not empty; every canonical column is present and
    appears once; ``person_id`` is unique and present; integer columns hold
    whole numbers in range (age 18-60, ``permit_month`` 1-12,
    ``months_employed`` 0-24, binaries 0/1); labelled columns hold allowed
    labels; ``municipality`` is one of the 98 codes; ``amu_area`` is missing
    exactly when ``amu == 0``; treatment and outcome both vary (an effect
    cannot be estimated otherwise); a hand-made ``attachment`` column, if
    present, agrees with ``months_employed``.

    Examples
    --------
    >>> import amu_causal as ac
    >>> df, _ = ac.simulate_register(n=1_000, seed=1)
    >>> clean = ac.validate_register(df)
    >>> clean["attachment"].cat.categories.tolist()
    ['none', 'low', 'medium', 'high']
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(
            f"validate_register expects a pandas DataFrame, got {type(df).__name__}; "
            "read files with amu_causal.load_register(path)"
        )
    problems: list[Problem] = []
    if len(df) == 0:
        raise RegisterDataError([Problem("<frame>", "has no rows", 0, (),
                                         "check the file or the filter that produced it")])
    dup_cols = df.columns[df.columns.duplicated()].unique().tolist()
    for name in dup_cols:
        problems.append(Problem(str(name), "appears more than once as a column", 0, (),
                                "rename or remove the duplicate columns"))
    if dup_cols:
        raise RegisterDataError(problems)

    out = df.copy()
    for spec in COLUMNS:
        if spec.name not in df.columns:
            problems.append(
                Problem(spec.name, "required column is missing", len(df), (),
                        "add it, or map your own variable name onto it with "
                        "load_register(..., columns={'<your name>': "
                        f"'{spec.name}'}})")
            )
            continue
        if spec.kind == "id":
            ids = df[spec.name]
            missing = ids.isna().to_numpy()
            if missing.any():
                problems.append(_problem(df, spec.name, "has missing values", missing,
                                         "every person needs an identifier"))
            dup = ids.duplicated(keep=False).to_numpy() & ~missing
            if dup.any():
                problems.append(_problem(df, spec.name, "is not unique (one row per person)",
                                         dup, "remove duplicate rows or aggregate to persons"))
        elif spec.kind in ("integer", "binary"):
            series = _as_integer(df, spec, problems)
            if series is not None:
                out[spec.name] = series
        else:
            series = _as_category(df, spec, problems, allow_missing=spec.nullable)
            if series is not None:
                out[spec.name] = series

    _check_relations(df, out, problems)
    if problems:
        raise RegisterDataError(problems)
    out["attachment"] = pd.Categorical(attachment_group(out["months_employed"].to_numpy()))
    return out


def _check_relations(df: pd.DataFrame, out: pd.DataFrame, problems: list[Problem]) -> None:
    """Rules that involve more than one column or the whole frame."""
    bad_cols = {p.column for p in problems}
    if "municipality" in out.columns and "municipality" not in bad_cols:
        codes = set(municipalities()["code"].tolist())
        unknown = ~out["municipality"].isin(codes).to_numpy()
        if unknown.any():
            seen = sorted(pd.unique(out.loc[unknown, "municipality"]).tolist())[:_N_EXAMPLES]
            problems.append(
                _problem(df, "municipality",
                         f"has codes that are not one of the 98 municipalities (found {seen})",
                         unknown,
                         "use the post-2007 municipality codes, see amu_causal.municipalities()")
            )
    treatment_ok = "amu" in out.columns and "amu" not in bad_cols
    if treatment_ok and "amu_area" in out.columns and "amu_area" not in bad_cols:
        amu = out["amu"].to_numpy()
        area_missing = out["amu_area"].isna().to_numpy()
        need = (amu == 1) & area_missing
        if need.any():
            problems.append(
                _problem(df, "amu_area", "is missing although amu == 1", need,
                         "give the area of the main course, or 'other' if unknown")
            )
        stray = (amu == 0) & ~area_missing
        if stray.any():
            problems.append(
                _problem(df, "amu_area", "is filled in although amu == 0", stray,
                         "amu_area must be missing for non-participants; check amu")
            )
    for name, what in (("amu", "treatment"), ("employed_2y", "outcome")):
        if name in out.columns and name not in bad_cols:
            values = pd.unique(out[name])
            if len(values) == 1:
                problems.append(
                    Problem(name, f"has no variation: every row is {values[0]} "
                            f"(the {what} must take both values 0 and 1 to estimate an effect)",
                            len(out), (), "check the filter or the coding of the source variable")
                )
    if "attachment" in df.columns and "months_employed" in out.columns \
            and "months_employed" not in bad_cols:
        derived = attachment_group(out["months_employed"].to_numpy())
        given = df["attachment"].astype("string").to_numpy()
        differs = np.asarray(given != np.asarray(derived.astype(str)), dtype=bool)
        if differs.any():
            problems.append(
                _problem(df, "attachment",
                         "disagrees with months_employed (it is derived: none 0, low 1-6, "
                         "medium 7-12, high 13-24)", differs,
                         "drop the attachment column; it is derived from months_employed")
            )


def drop_incomplete_rows(
    df: pd.DataFrame, columns: Iterable[str] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Drop rows with missing values in contract columns, and say how many and why.

    This is the only place the package drops rows, and only when asked.

    Parameters
    ----------
    df : pandas.DataFrame
        Register data with canonical column names.
    columns : iterable of str, optional
        Columns to require. By default every canonical column present in
        ``df`` except ``amu_area`` (legitimately missing for non-participants).

    Returns
    -------
    kept : pandas.DataFrame
        The complete rows, in their original order.
    report : pandas.DataFrame
        One row per column with missing values: ``column`` and ``n_missing``,
        plus a final ``<any>`` row with the number of rows dropped.

    Warns
    -----
    RegisterDataWarning
        When rows are dropped, with the counts.

    Examples
    --------
    >>> import numpy as np, amu_causal as ac
    >>> df, _ = ac.simulate_register(n=200, seed=1)
    >>> df.loc[df.index[:3], "age"] = np.nan
    >>> kept, report = ac.drop_incomplete_rows(df)  # doctest: +SKIP
    >>> len(kept)  # doctest: +SKIP
    197
    """
    if columns is None:
        columns = [c.name for c in COLUMNS if c.name in df.columns and not c.nullable]
    columns = list(columns)
    absent = [c for c in columns if c not in df.columns]
    if absent:
        raise RegisterDataError(
            [Problem(c, "required column is missing", len(df)) for c in absent],
            context="drop_incomplete_rows",
        )
    missing = df[columns].isna()
    any_missing = missing.any(axis=1)
    counts = missing.sum()
    report = pd.DataFrame(
        {"column": counts.index, "n_missing": counts.to_numpy().astype("int64")}
    )
    report = report[report["n_missing"] > 0].reset_index(drop=True)
    total = pd.DataFrame({"column": ["<any>"], "n_missing": [int(any_missing.sum())]})
    report = pd.concat([report, total], ignore_index=True)
    if any_missing.any():
        detail = ", ".join(f"{c}: {n:,}" for c, n in zip(report["column"][:-1],
                                                         report["n_missing"][:-1], strict=True))
        warnings.warn(
            f"dropped {int(any_missing.sum()):,} of {len(df):,} rows with missing values "
            f"({detail}); results describe the complete cases only",
            RegisterDataWarning,
            stacklevel=2,
        )
    return df.loc[~any_missing.to_numpy()].copy(), report
