"""Reports and plots: Markdown and HTML documents, figures drawn from results."""

from .document import Document
from .plots import plot_compare, plot_effects, plot_municipality_effects, plot_participation

__all__ = [
    "Document",
    "plot_compare",
    "plot_effects",
    "plot_municipality_effects",
    "plot_participation",
]
