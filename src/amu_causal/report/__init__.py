"""Reports: Markdown and HTML documents built from tables and figures."""

from .document import Document

__all__ = ["Document"]
