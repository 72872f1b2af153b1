"""The scan of a results folder for the export rules (public as amu_causal.privacy.scan_outputs)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from .privacy import (
    ALLOWED_SUFFIXES,
    FORBIDDEN_GROUPS,
    MIN_COUNT,
    PERSON_COLUMNS,
    REGISTER_COLUMNS,
    PrivacyError,
    Violation,
    _check_min_count,
    _row_violations,
    count_columns,
)

__all__ = ["check_outputs", "scan_outputs"]


# -- scanning a folder -----------------------------------------------------------------------

def _markdown_tables(text: str) -> list[pd.DataFrame]:
    tables, block = [], []
    for line in [*text.splitlines(), ""]:
        if line.strip().startswith("|"):
            block.append(line.strip())
            continue
        if len(block) >= 2:
            rows = [[c.strip() for c in r.strip("|").split("|")] for r in block]
            header, body = rows[0], [r for r in rows[2:] if len(r) == len(rows[0])]
            tables.append(pd.DataFrame(body, columns=header))
        block = []
    return tables


def _table_violations(frame: pd.DataFrame, where: str, min_count: int,
                      n_people: int | None) -> list[Violation]:
    out = []
    person = PERSON_COLUMNS & set(map(str, frame.columns))
    if person:
        out.append(Violation(where, "per-person data", f"identifier column {sorted(person)}"))
    register = REGISTER_COLUMNS & set(map(str, frame.columns))
    if len(register) >= 3 and not count_columns(frame.columns):
        out.append(Violation(where, "per-person data",
                             f"register columns {sorted(register)} without a count column"))
    if n_people and len(frame) > max(200, n_people // min_count):
        out.append(Violation(where, "per-person data",
                             f"{len(frame):,} rows for {n_people:,} people"))
    bad, reasons = _row_violations(frame.reset_index(drop=True), min_count)
    for i in np.flatnonzero(bad):
        out.append(Violation(where, "small cell", f"row {i + 1}: {reasons[i]}"))
    return out


def _netcdf_violations(path: Path, where: str, min_count: int,
                       n_people: int | None) -> list[Violation]:
    """Every group of a NetCDF file: data groups, per-person dimensions, per-cell sums,
    and the tables a saved result keeps in ``table_*`` groups (read as tables)."""
    import xarray as xr

    out = []
    with xr.open_datatree(path) as tree:
        groups = {node.path.strip("/"): node.to_dataset() for node in tree.subtree
                  if node.path != "/"}
        root = tree.to_dataset()
    if root.data_vars:
        groups["(root)"] = root
    for name, ds in groups.items():
        if name in FORBIDDEN_GROUPS:
            out.append(Violation(where, "per-person data", f"group {name!r}"))
            continue
        if name.startswith("table_"):
            frame = ds.to_dataframe().reset_index(drop=True)
            out += _table_violations(frame, f"{where} ({name})", min_count, n_people)
            continue
        for var in ds.data_vars:
            for dim in ds[var].dims:
                size = ds.sizes[dim]
                if dim not in ("chain", "draw") and (size > 10_000 or (n_people and size
                                                                         == n_people)):
                    out.append(Violation(where, "per-person data",
                                         f"{name}.{var} has dimension {dim} of size {size:,}"))
                    break
            if str(var).startswith("effect_sum"):
                out.append(Violation(where, "per-person data",
                                     f"{name}.{var}: per-cell sums may rest on one person"))
    return out


def scan_outputs(folder, *, min_count: int = MIN_COUNT,
                 n_people: int | None = None) -> list[Violation]:
    """Every violation of the export rules that can be seen in a results folder.

    Parameters
    ----------
    folder : path
        A results folder (``amu-causal run --out``).
    min_count : int, default 5
        Smallest number of people behind an exported cell.
    n_people : int, optional
        Register size; tables with about as many rows as people, and arrays
        with a dimension of exactly this size, are flagged.

    Returns
    -------
    list of Violation
        Empty when the folder passes.

    Notes
    -----
    Checked: file types (CSV, Markdown, HTML, PNG, NetCDF, JSON and text
    only); every CSV table and every Markdown table for identifier columns,
    microdata-like column sets, row counts and small cells (module notes);
    every group of a NetCDF file for data groups, per-person dimensions and
    per-cell sums, and the tables a saved result keeps inside it
    (:meth:`amu_causal.CausalResult.save`) as tables; that every
    file is listed in ``manifest.json`` and every figure names a source table
    that is present. Figures themselves are images and cannot be read back:
    they are trusted through their source table. Secondary suppression (a
    cell recovered by subtracting others from a total) is the writer's job
    and is not checked here.

    Examples
    --------
    >>> import pandas as pd, tempfile, pathlib
    >>> from amu_causal.privacy import scan_outputs
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> pd.DataFrame({"group": ["a"], "n": [3]}).to_csv(folder / "t.csv", index=False)
    >>> [v.rule for v in scan_outputs(folder)]
    ['unlisted file', 'small cell']
    """
    min_count = _check_min_count(min_count)
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder: give the --out folder of a run")
    manifest_path = folder / "manifest.json"
    manifest = (json.loads(manifest_path.read_text(encoding="utf-8"))
                if manifest_path.exists() else {"files": {}})
    listed = manifest.get("files", {})
    out: list[Violation] = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        where = path.relative_to(folder).as_posix()
        if where == "manifest.json":
            continue
        if path.suffix.lower() not in ALLOWED_SUFFIXES:
            out.append(Violation(where, "file type",
                                 f"{path.suffix or 'no suffix'} files are not exported "
                                 "(microdata formats, pickles and arrays stay on the server)"))
            continue
        if where not in listed:
            out.append(Violation(where, "unlisted file", "not in manifest.json"))
        suffix = path.suffix.lower()
        if suffix == ".csv":
            out += _table_violations(pd.read_csv(path), where, min_count, n_people)
        elif suffix == ".md":
            for k, table in enumerate(_markdown_tables(path.read_text(encoding="utf-8"))):
                out += _table_violations(table, f"{where} (table {k + 1})", min_count, n_people)
        elif suffix == ".nc":
            out += _netcdf_violations(path, where, min_count, n_people)
        elif suffix in (".png", ".tex"):
            source = listed.get(where, {}).get("source")
            if not source or not (folder / source).exists():
                out.append(Violation(where, "figure source",
                                     "a figure or LaTeX table must name the table it was "
                                     "drawn from (manifest.json), and that table must be "
                                     "present"))
    return out


def check_outputs(folder, *, min_count: int = MIN_COUNT, n_people: int | None = None) -> None:
    """Raise :class:`PrivacyError` when :func:`scan_outputs` finds anything.

    Parameters
    ----------
    folder : str or path-like
        A results folder.
    min_count : int, default 5
        Smallest number of people behind an exported cell.
    n_people : int, optional
        Register size (see :func:`scan_outputs`).

    Raises
    ------
    PrivacyError
        Listing every violation.

    Examples
    --------
    >>> import tempfile
    >>> from amu_causal.privacy import check_outputs
    >>> check_outputs(tempfile.mkdtemp())  # an empty folder passes
    """
    found = scan_outputs(folder, min_count=min_count, n_people=n_people)
    if found:
        lines = "\n".join(f"  - {v}" for v in found[:50])
        more = f"\n  ... and {len(found) - 50} more" if len(found) > 50 else ""
        raise PrivacyError(f"{len(found)} export violation(s) in {folder}:\n{lines}{more}\n"
                           "Suppress small cells, drop per-person values, or keep this folder "
                           "inside the research environment.")

