"""A directory of per-replication Parquet files under one study key.

Each finished replication is written at once, atomically, to its own file,
so a killed run loses only the replications in flight and a rerun computes
only the missing ones. The directory's ``study.json`` holds the study's key
(a hash of everything that defines the study except the number of
replications); a different study is refused, never mixed in.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pandas as pd

from .._atomic import atomic_path, write_text

__all__ = ["StudyMismatchError", "StudyStore", "study_key"]

_FILE = re.compile(r"^rep-(\d{6})\.parquet$")


class StudyMismatchError(ValueError):
    """The results directory holds another study's results.

    Examples
    --------
    >>> import tempfile
    >>> from amu_causal.validation import StudyMismatchError, StudyStore
    >>> with tempfile.TemporaryDirectory() as d:
    ...     _ = StudyStore(d, {"kind": "monte_carlo", "n": 1000})
    ...     try:
    ...         StudyStore(d, {"kind": "monte_carlo", "n": 2000})
    ...     except StudyMismatchError:
    ...         print("another study")
    another study
    """


def study_key(definition: dict) -> str:
    """A short hash of a study's definition (JSON, keys sorted).

    Parameters
    ----------
    definition : dict
        JSON-serialisable settings of a study.

    Returns
    -------
    str

    Examples
    --------
    >>> from amu_causal.validation import study_key
    >>> study_key({"n": 1, "kind": "sbc"}) == study_key({"kind": "sbc", "n": 1})
    True
    """
    text = json.dumps(definition, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class StudyStore:
    """Per-replication results of one study in a directory.

    Parameters
    ----------
    directory : path
        Created if missing.
    definition : dict
        What defines the study (kind, scenario, estimators, register size,
        root seed, ...); JSON-serialisable. Its hash is the study key.

    Raises
    ------
    StudyMismatchError
        If ``directory`` already holds a study with another key.

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> from amu_causal.validation import StudyStore
    >>> with tempfile.TemporaryDirectory() as d:
    ...     store = StudyStore(d, {"kind": "demo", "root_seed": 1})
    ...     _ = store.write(3, pd.DataFrame({"x": [1.0]}))
    ...     sorted(StudyStore(d, {"kind": "demo", "root_seed": 1}).done())
    [3]
    """

    def __init__(self, directory, definition: dict):
        self.directory = Path(directory)
        self.definition = json.loads(json.dumps(definition, sort_keys=True, default=str))
        self.key = study_key(self.definition)
        meta = self.directory / "study.json"
        if meta.exists():
            existing = json.loads(meta.read_text(encoding="utf-8"))
            if existing.get("key") != self.key:
                raise StudyMismatchError(
                    f"{self.directory} holds another study (key {existing.get('key')}, "
                    f"{existing.get('definition')}); this one has key {self.key}. Choose "
                    "another output directory or remove that one: results of different "
                    "studies are never mixed")
        else:
            self.directory.mkdir(parents=True, exist_ok=True)
            write_text(meta, json.dumps({"key": self.key, "definition": self.definition},
                                        indent=2, sort_keys=True))
        (self.directory / "replications").mkdir(exist_ok=True)

    def path(self, index: int) -> Path:
        """File of replication ``index``.

        Parameters
        ----------
        index : int
            Replication index.

        Returns
        -------
        pathlib.Path
        """
        return self.directory / "replications" / f"rep-{int(index):06d}.parquet"

    def done(self) -> set[int]:
        """Indices of the replications already stored.

        Returns
        -------
        set of int
        """
        found = set()
        for path in (self.directory / "replications").iterdir():
            match = _FILE.match(path.name)
            if match:
                found.add(int(match.group(1)))
        return found

    def missing(self, size: int) -> list[int]:
        """Indices below ``size`` not yet stored, in order.

        Parameters
        ----------
        size : int
            Replications of the whole study.

        Returns
        -------
        list of int
        """
        done = self.done()
        return [i for i in range(int(size)) if i not in done]

    def write(self, index: int, frame: pd.DataFrame) -> Path:
        """Store one replication's rows (atomically; an existing file is an error).

        Parameters
        ----------
        index : int
            Replication index.
        frame : pandas.DataFrame
            Its rows.

        Returns
        -------
        pathlib.Path
            The file written.
        """
        path = self.path(index)
        if path.exists():
            raise FileExistsError(f"replication {index} is already stored in {path}; "
                                  "results are never overwritten")
        with atomic_path(path) as tmp:
            frame.assign(replication=int(index)).to_parquet(tmp, index=False)
        return path

    def read(self, indices=None) -> pd.DataFrame:
        """All stored rows (or those of ``indices``), ordered by replication.

        Parameters
        ----------
        indices : iterable of int, optional
            Replications to read (default: all stored).

        Returns
        -------
        pandas.DataFrame
        """
        chosen = sorted(self.done() if indices is None else set(indices) & self.done())
        if not chosen:
            return pd.DataFrame()
        return pd.concat([pd.read_parquet(self.path(i)) for i in chosen], ignore_index=True)
