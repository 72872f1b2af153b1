"""Tables for papers: LaTeX with booktabs rules, through pandas' Styler."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

__all__ = ["latex_table"]


def latex_table(frame: pd.DataFrame, *, caption: str, label: str, digits: int = 3,
                columns=None, path: str | Path | None = None) -> str:
    """A table as LaTeX with ``\\toprule``, ``\\midrule`` and ``\\bottomrule`` (booktabs).

    Written by :meth:`pandas.io.formats.style.Styler.to_latex`, with text
    escaped for LaTeX and numbers rounded to ``digits``; the document needs
    ``\\usepackage{booktabs}``.

    Parameters
    ----------
    frame : pandas.DataFrame
    caption, label : str
        The table's caption and ``\\label``.
    digits : int, default 3
        Decimals of floating-point columns.
    columns : sequence of str, optional
        Columns to show, in order (default all).
    path : str or path-like, optional
        Also write the text to this file (atomically).

    Returns
    -------
    str

    Examples
    --------
    >>> import pandas as pd
    >>> from amu_causal.report import latex_table
    >>> text = latex_table(pd.DataFrame({"estimand": ["ATE"], "estimate": [0.05123]}),
    ...                    caption="Effects", label="tab:effects")
    >>> "\\\\toprule" in text and "0.051" in text
    True
    """
    shown = frame if columns is None else frame[list(columns)]
    styler = shown.style.format(precision=digits, escape="latex", na_rep="--").hide(axis="index")
    styler = styler.format_index(escape="latex", axis="columns")
    text = styler.to_latex(hrules=True, caption=caption, label=label, position="htbp",
                           position_float="centering")
    if path is not None:
        from .._atomic import write_text

        write_text(path, text)
    return text
