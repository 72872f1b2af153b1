"""Reports and plots: Markdown and HTML documents, figures drawn from results."""

from .. import descriptives
from .document import Document
from .latex import latex_table
from .outputs import Outputs
from .plots import plot_compare, plot_effects, plot_municipality_effects, plot_participation

__all__ = [
    "Document",
    "Outputs",
    "descriptives",
    "latex_table",
    "plot_compare",
    "plot_effects",
    "plot_municipality_effects",
    "plot_participation",
]
