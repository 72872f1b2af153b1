"""A results folder that writes atomically, suppresses small cells and lists its files.

Every table, figure, posterior and report of the main job goes through
:class:`Outputs`: tables are suppressed (:mod:`amu_causal.privacy`) unless the
folder is private, figures name the table they were drawn from and are marked
when the data are synthetic, and ``manifest.json`` (written last) lists every
file with its checksum, so :func:`amu_causal.privacy.scan_outputs` can check
the folder before export.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .._atomic import atomic_path, write_text
from ..privacy import MIN_COUNT, export_posterior, suppress_small_cells

__all__ = ["Outputs"]

#: Files of an earlier run that must not survive a new run half-way (they would look complete).
FINAL_FILES = ("report.html", "report.md", "manifest.json")


@dataclass
class Outputs:
    """The files of one run.

    Parameters
    ----------
    folder : path
        Where to write.
    private : bool, default False
        Keep every cell and the full posterior (inside the research
        environment only); the manifest and the report say so.
    min_count : int, default 5
        Smallest number of people behind an exported cell.
    synthetic : bool, default False
        Mark every figure and caption as computed on synthetic data.
    """

    folder: Path
    private: bool = False
    min_count: int = MIN_COUNT
    synthetic: bool = False
    files: dict = field(default_factory=dict)

    def __post_init__(self):
        self.folder = Path(self.folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    def start(self) -> list[str]:
        """Remove the report and manifest of an earlier run; return their names.

        The other files are replaced one by one as the new run writes them;
        until the new report and manifest appear, the folder holds no report
        that could be mistaken for a finished one.
        """
        removed = []
        for name in FINAL_FILES:
            path = self.folder / name
            if path.exists():
                path.unlink()
                removed.append(name)
        return removed

    def caption(self, text: str) -> str:
        """A caption, marked when the data are synthetic."""
        return f"{text} (synthetic data)" if self.synthetic else text

    def _record(self, name: str, kind: str, **extra) -> None:
        digest = hashlib.sha256((self.folder / name).read_bytes()).hexdigest()
        self.files[name] = {"kind": kind, "sha256": digest, **extra}

    def table(self, frame: pd.DataFrame, name: str, *, keep=(), suppress: bool = True,
              within=None, parts=None, description: str = "") -> pd.DataFrame:
        """Write a table as CSV (small cells suppressed unless private); return what was written.

        Parameters
        ----------
        frame : pandas.DataFrame
        name : str
            File name (``.csv``).
        keep : sequence of str
            Label columns kept in suppressed rows.
        within, parts
            Secondary suppression (see
            :func:`amu_causal.privacy.suppress_small_cells`).
        suppress : bool, default True
            ``False`` for tables that count no people (estimates, settings).
        description : str, optional
            One line for the manifest.
        """
        shown = frame
        if suppress and not self.private:
            shown = suppress_small_cells(frame, min_count=self.min_count, keep=keep,
                                         within=within, parts=parts)
            if not shown["suppressed"].any():
                shown = shown.drop(columns="suppressed")
        with atomic_path(self.folder / name) as tmp:
            shown.to_csv(tmp, index=False)
        self._record(name, "table", description=description, synthetic=self.synthetic)
        return shown

    def figure(self, figure, name: str, *, source: str) -> str:
        """Save a figure as PNG, drawn from the table file ``source``; close it."""
        import matplotlib.pyplot as plt

        figure = getattr(figure, "figure", figure)
        if self.synthetic:
            figure.text(0.995, 0.005, "synthetic data", ha="right", va="bottom", fontsize=7,
                        color="tab:red", alpha=0.8)
        figure.tight_layout()
        with atomic_path(self.folder / name) as tmp:
            figure.savefig(tmp, dpi=110, format="png", bbox_inches="tight")
        plt.close(figure)
        self._record(name, "figure", source=source, synthetic=self.synthetic)
        return name

    def posterior(self, idata, name: str, *, municipality_n=None) -> str:
        """Save a posterior as NetCDF: export-safe unless the folder is private."""
        safe = idata if self.private else export_posterior(
            idata, municipality_n=municipality_n, min_count=self.min_count)
        with atomic_path(self.folder / name) as tmp:
            safe.to_netcdf(str(tmp))
        self._record(name, "posterior", export_safe=not self.private)
        return name

    def latex(self, frame: pd.DataFrame, name: str, *, source: str, caption: str,
              label: str, columns=None, digits: int = 3) -> str:
        """Write a table for papers as LaTeX (booktabs), drawn from the table file ``source``.

        ``frame`` must be what ``source`` holds (after suppression), so the
        scan of ``source`` covers it.
        """
        from .latex import latex_table

        latex_table(frame, caption=self.caption(caption), label=label, columns=columns,
                    digits=digits, path=self.folder / name)
        self._record(name, "latex", source=source, synthetic=self.synthetic)
        return name

    def text(self, text: str, name: str, kind: str = "text") -> str:
        """Write a text file atomically."""
        write_text(self.folder / name, text)
        self._record(name, kind)
        return name

    def add(self, name: str, kind: str) -> None:
        """Record a file written by someone else (the report)."""
        self._record(name, kind)

    def write_manifest(self, **info) -> Path:
        """Write ``manifest.json`` (last: its presence marks a finished run)."""
        payload = {"private": self.private, "min_count": self.min_count,
                   "synthetic": self.synthetic, **info, "files": self.files}
        return write_text(self.folder / "manifest.json",
                          json.dumps(payload, indent=2, default=str) + "\n")
