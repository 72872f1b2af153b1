"""A small report builder that writes the same content as Markdown and HTML."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .._atomic import write_text

__all__ = ["Document"]


@dataclass
class Document:
    """Sections of text, tables and figures, rendered to Markdown and HTML.

    Figures are referenced by their file name relative to the report, so
    the output folder can be moved as a whole.

    Parameters
    ----------
    title : str
        Report title.
    note : str, optional
        A line shown under the title (for example that data are synthetic).

    Examples
    --------
    >>> import pandas as pd
    >>> from amu_causal.report import Document
    >>> doc = Document("Example")
    >>> doc.heading("Numbers")
    >>> doc.table(pd.DataFrame({"a": [1]}))
    >>> print(doc.markdown().splitlines()[-3])
    |   a |
    """

    title: str
    note: str = ""
    _blocks: list[tuple[str, object]] = field(default_factory=list)

    def heading(self, text: str) -> None:
        """Start a section."""
        self._blocks.append(("heading", text))

    def text(self, text: str) -> None:
        """A paragraph of plain text."""
        self._blocks.append(("text", text))

    def table(self, frame: pd.DataFrame, caption: str = "", floatfmt: str = ".3f") -> None:
        """A table (rendered without the index)."""
        self._blocks.append(("table", (frame, caption, floatfmt)))

    def figure(self, filename: str, caption: str = "") -> None:
        """A figure already saved beside the report."""
        self._blocks.append(("figure", (filename, caption)))

    def markdown(self) -> str:
        """The report as Markdown."""
        out = [f"# {self.title}", ""]
        if self.note:
            out += [f"*{self.note}*", ""]
        for kind, value in self._blocks:
            if kind == "heading":
                out += [f"## {value}", ""]
            elif kind == "text":
                out += [str(value), ""]
            elif kind == "table":
                frame, caption, floatfmt = value
                if caption:
                    out += [f"**{caption}**", ""]
                shown = frame.astype(object).where(frame.notna(), None)  # "–" for missing
                out += [shown.to_markdown(index=False, floatfmt=floatfmt, missingval="–"), ""]
            else:
                filename, caption = value
                out += [f"![{caption}]({filename})", "", f"*{caption}*", ""]
        return "\n".join(out)

    def html(self) -> str:
        """The report as a self-contained HTML page (figures linked beside it)."""
        body = [f"<h1>{html.escape(self.title)}</h1>"]
        if self.note:
            body.append(f'<p class="note">{html.escape(self.note)}</p>')
        for kind, value in self._blocks:
            if kind == "heading":
                body.append(f"<h2>{html.escape(str(value))}</h2>")
            elif kind == "text":
                body.append(f"<p>{html.escape(str(value))}</p>")
            elif kind == "table":
                frame, caption, floatfmt = value
                cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
                table = frame.to_html(index=False, border=0, classes="table", na_rep="–",
                                      float_format=lambda x, f=floatfmt: format(x, f))
                # the opening tag differs between pandas versions (border="0" or not)
                body.append(re.sub(r"<table[^>]*>", lambda _, c=cap: f'<table class="table">{c}',
                                   table, count=1))
            else:
                filename, caption = value
                body.append(
                    f'<figure><img src="{html.escape(filename)}" alt="{html.escape(caption)}">'
                    f"<figcaption>{html.escape(caption)}</figcaption></figure>"
                )
        style = (
            "body{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;"
            "padding:0 1em;color:#222}table{border-collapse:collapse;font-size:0.85em;"
            "margin:1em 0}td,th{border-bottom:1px solid #ddd;padding:3px 8px;text-align:right}"
            "th{background:#f3f3f3}caption{font-weight:bold;text-align:left;padding:4px 0}"
            "img{max-width:100%}.note{color:#a33;font-style:italic}"
        )
        return (
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(self.title)}</title><style>{style}</style></head>"
            f"<body>\n{chr(10).join(body)}\n</body></html>\n"
        )

    def write(self, folder: str | Path, stem: str = "report") -> tuple[Path, Path]:
        """Write ``<stem>.md`` and ``<stem>.html`` atomically into ``folder``."""
        folder = Path(folder)
        md = write_text(folder / f"{stem}.md", self.markdown())
        page = write_text(folder / f"{stem}.html", self.html())
        return md, page
