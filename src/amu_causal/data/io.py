"""Reading and writing register files (CSV, Parquet, Stata, SAS)."""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._atomic import atomic_path
from .errors import Problem, RegisterDataError, RegisterFileError
from .schema import COLUMNS
from .validate import drop_incomplete_rows, validate_register

__all__ = ["READERS", "load_register", "read_column_mapping", "write_register"]

_CANONICAL = [c.name for c in COLUMNS]


def _read_csv(path: Path, **options) -> pd.DataFrame:
    if "sep" not in options:
        with path.open(encoding=options.get("encoding", "utf-8"), errors="replace") as f:
            header = f.readline()
        # Danish exports often use ';' as separator (and ',' as decimal mark).
        if header.count(";") > header.count(","):
            options = {"sep": ";", "decimal": ",", **options}
    return pd.read_csv(path, **options)


def _read_parquet(path: Path, **options) -> pd.DataFrame:
    return pd.read_parquet(path, **options)


def _read_stata(path: Path, **options) -> pd.DataFrame:
    return pd.read_stata(path, **{"convert_categoricals": True, **options})


def _read_sas(path: Path, **options) -> pd.DataFrame:
    import pyreadstat

    df, _meta = pyreadstat.read_sas7bdat(str(path), **options)
    return df


#: File suffix -> reader. The readers return the file's own columns, untouched.
READERS = {
    ".csv": _read_csv,
    ".parquet": _read_parquet,
    ".pq": _read_parquet,
    ".dta": _read_stata,
    ".sas7bdat": _read_sas,
}


def _reader_for(path: Path):
    suffix = path.suffix.lower()
    if suffix not in READERS:
        supported = ", ".join(sorted(READERS))
        raise RegisterFileError(
            f"cannot read {str(path)!r}: the suffix {suffix or '(none)'!r} is not supported. "
            f"Supported: {supported}. Convert the file (e.g. to Parquet) or rename it."
        )
    return READERS[suffix]


def read_column_mapping(path: str | os.PathLike) -> dict[str, Any]:
    """Read a column mapping from a JSON file.

    Parameters
    ----------
    path : str or path-like
        A JSON object, either ``{"<your name>": "<canonical name>", ...}`` or
        ``{"columns": {...}, "recode": {"<canonical>": {"<code>": "<label>"}}}``.

    Returns
    -------
    dict
        With keys ``columns`` and ``recode`` (either may be empty), ready to be
        passed as keyword arguments to :func:`load_register`.

    Examples
    --------
    >>> import json, tempfile, amu_causal as ac
    >>> with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
    ...     json.dump({"KOEN": "sex", "ALDER": "age"}, f)
    >>> ac.read_column_mapping(f.name)["columns"]
    {'KOEN': 'sex', 'ALDER': 'age'}
    """
    path = Path(path)
    try:
        spec = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RegisterFileError(f"column mapping file {str(path)!r} does not exist") from None
    except json.JSONDecodeError as err:
        raise RegisterFileError(
            f"column mapping file {str(path)!r} is not valid JSON ({err}); it must be an object "
            'like {"KOEN": "sex"} or {"columns": {...}, "recode": {...}}'
        ) from None
    if not isinstance(spec, dict):
        raise RegisterFileError(f"column mapping file {str(path)!r} must hold a JSON object")
    if set(spec) <= {"columns", "recode"} and spec:
        return {"columns": dict(spec.get("columns", {})), "recode": dict(spec.get("recode", {}))}
    return {"columns": dict(spec), "recode": {}}


def _apply_mapping(df: pd.DataFrame, columns: Mapping[str, str]) -> pd.DataFrame:
    problems: list[Problem] = []
    available = [str(c) for c in df.columns]
    for source, target in columns.items():
        if source not in df.columns:
            close = difflib.get_close_matches(str(source), available, n=3)
            hint = f"; close names in the file: {close}" if close else ""
            problems.append(
                Problem(str(source), f"is mapped to {target!r} but is not a column of the "
                        f"file{hint}", 0, (), f"the file's columns are: {available}")
            )
        if target not in _CANONICAL:
            close = difflib.get_close_matches(str(target), _CANONICAL, n=3)
            hint = f"; did you mean {close}?" if close else ""
            problems.append(
                Problem(str(source), f"is mapped to {target!r}, which is not a canonical "
                        f"column{hint}", 0, (), "see amu_causal.data.schema_table()")
            )
    targets = pd.Series(list(columns.values()), dtype="object")
    for target in targets[targets.duplicated()].unique():
        sources = [s for s, t in columns.items() if t == target]
        problems.append(Problem(str(target), f"is the target of several columns {sources}", 0,
                                (), "map exactly one of your columns onto it"))
    for source, target in columns.items():
        if target in df.columns and target != source and target not in columns:
            problems.append(
                Problem(str(target), f"is already a column of the file, and {source!r} is "
                        "mapped onto it too (it would be overwritten)", 0, (),
                        f"drop one of them, or map {target!r} to another name as well")
            )
    if problems:
        raise RegisterDataError(problems, context="the column mapping")
    return df.rename(columns=dict(columns))


def _blank_text_to_missing(df: pd.DataFrame) -> pd.DataFrame:
    """SAS and Stata store missing text as blanks: read blanks as missing."""
    text_columns = [c for c in df.columns
                    if df[c].dtype == object or pd.api.types.is_string_dtype(df[c].dtype)]
    if not text_columns:
        return df
    df = df.copy()
    for column in text_columns:
        values = df[column]
        blank = values.astype("string").str.strip().eq("").fillna(False).to_numpy(dtype=bool)
        if blank.any():
            df[column] = values.where(~blank, np.nan)
    return df


def _code_key(value) -> str:
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value).strip()


def _apply_recode(df: pd.DataFrame, recode: Mapping[str, Mapping]) -> pd.DataFrame:
    df = df.copy()
    for column, mapping in recode.items():
        if column not in df.columns:
            raise RegisterDataError(
                [Problem(column, "is named in recode but is not a column (after mapping)", 0, (),
                         "recode uses the canonical column names")],
                context="the recode mapping",
            )
        lookup = {_code_key(k): v for k, v in mapping.items()}
        values = df[column].astype(object)
        df[column] = [
            v if (v is None or (isinstance(v, float) and np.isnan(v)))
            else lookup.get(_code_key(v), v)
            for v in values
        ]
    return df


def load_register(
    path: str | os.PathLike,
    *,
    columns: Mapping[str, str] | None = None,
    recode: Mapping[str, Mapping] | None = None,
    drop_incomplete: bool = False,
    validate: bool = True,
    **read_options,
) -> pd.DataFrame:
    """Read a register file and bring it onto the data contract.

    Parameters
    ----------
    path : str or path-like
        A ``.csv``, ``.parquet`` (``.pq``), Stata ``.dta`` or SAS
        ``.sas7bdat`` file with one row per person.
    columns : mapping, optional
        Your own column names mapped to the canonical ones, e.g.
        ``{"KOM": "municipality", "KOEN": "sex"}``. Unmapped columns keep
        their names; extra columns are kept and ignored.
    recode : mapping, optional
        Codes mapped to contract labels per canonical column, e.g.
        ``{"sex": {1: "male", 2: "female"}}``. Unlisted codes are left as they
        are (and reported by validation if not allowed). Blank text values
        (how SAS and Stata store missing text) are read as missing.
    drop_incomplete : bool, default False
        Drop rows with missing values in contract columns (see
        :func:`drop_incomplete_rows`), with a warning that says how many and
        why. Off by default: nothing is dropped silently.
    validate : bool, default True
        Validate and return the canonical form (see :func:`validate_register`).
    **read_options
        Passed to the underlying reader (:func:`pandas.read_csv`,
        :func:`pandas.read_parquet`, :func:`pandas.read_stata`,
        :func:`pyreadstat.read_sas7bdat`).

    Returns
    -------
    pandas.DataFrame
        The register in canonical form (validated unless ``validate=False``).

    Raises
    ------
    RegisterFileError
        If the file does not exist, cannot be read or has an unsupported suffix.
    RegisterDataError
        If the mapping is inconsistent or the data break the contract.

    Examples
    --------
    >>> import tempfile, pathlib, amu_causal as ac
    >>> df, _ = ac.simulate_register(n=300, seed=1)
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "cohort.parquet"
    >>> _ = ac.write_register(df.rename(columns={"sex": "KOEN"}), path)
    >>> ac.load_register(path, columns={"KOEN": "sex"})["sex"].iloc[0] in {"male", "female"}
    True
    """
    path = Path(path)
    reader = _reader_for(path)
    if not path.exists():
        raise RegisterFileError(f"register file {str(path)!r} does not exist")
    if path.is_dir():
        raise RegisterFileError(f"{str(path)!r} is a folder, not a register file")
    try:
        df = reader(path, **read_options)
    except (OSError, ValueError, UnicodeDecodeError, pd.errors.ParserError) as err:
        raise RegisterFileError(
            f"cannot read {str(path)!r} as {path.suffix} ({type(err).__name__}: {err}). "
            "Check that the file is complete and of the type its suffix says."
        ) from err
    except Exception as err:  # readers raise their own types (pyarrow, pyreadstat)
        raise RegisterFileError(
            f"cannot read {str(path)!r} as {path.suffix} ({type(err).__name__}: {err}). "
            "Check that the file is complete and of the type its suffix says."
        ) from err
    df = _blank_text_to_missing(df)
    if columns:
        df = _apply_mapping(df, columns)
    if recode:
        df = _apply_recode(df, recode)
    if drop_incomplete:
        df, _report = drop_incomplete_rows(df)
    return validate_register(df) if validate else df


def write_register(df: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write a register to CSV, Parquet or Stata, atomically.

    The file appears under its name only once it is complete, so an
    interrupted write never leaves a file that looks finished.

    Parameters
    ----------
    df : pandas.DataFrame
        Register in canonical form.
    path : str or path-like
        Target; the suffix chooses the format (``.csv``, ``.parquet``,
        ``.pq``, ``.dta``). SAS files cannot be written by open-source tools.

    Returns
    -------
    pathlib.Path
        The path written.

    Examples
    --------
    >>> import tempfile, pathlib, amu_causal as ac
    >>> df, _ = ac.simulate_register(n=100, seed=1)
    >>> ac.write_register(df, pathlib.Path(tempfile.mkdtemp()) / "r.csv").suffix
    '.csv'
    """
    path = Path(path)
    suffix = path.suffix.lower()
    writers = {
        ".csv": lambda d, p: d.to_csv(p, index=False),
        ".parquet": lambda d, p: d.to_parquet(p, index=False),
        ".pq": lambda d, p: d.to_parquet(p, index=False),
        ".dta": lambda d, p: d.to_stata(p, write_index=False, version=118),
    }
    if suffix not in writers:
        raise RegisterFileError(
            f"cannot write {str(path)!r}: suffix {suffix or '(none)'!r} is not one of "
            f"{sorted(writers)}"
        )
    with atomic_path(path) as tmp:
        writers[suffix](df, tmp)
    return path
