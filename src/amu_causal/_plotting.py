"""The one plotting convention of the package.

Every ``plot_*`` function and ``plot*`` method draws from a table or a result
and computes nothing the table does not hold; it takes ``ax=None`` (one panel)
or ``axes=None`` (several), draws on those when given and on a new figure of
its own size otherwise, and returns what it drew on (the axes; the figure for
:func:`amu_causal.plot_calibration`, whose panels are sized to their rows).
Effects are shown in percentage points; the simulator's truth is a red tick
(:data:`TRUTH`).
"""

from __future__ import annotations

#: Colour of the simulator's truth.
TRUTH = "tab:red"


def ax_or_new(ax, size: tuple[float, float]):
    """``ax``, or the axes of a new figure of ``size`` inches."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=size)[1]


def axes_or_new(existing, rows: int, cols: int, size: tuple[float, float], **kwargs):
    """``existing`` axes, or a new ``rows`` x ``cols`` grid of ``size`` inches.

    Keyword arguments go to :func:`matplotlib.pyplot.subplots` (``sharey``,
    ``width_ratios``, ``gridspec_kw``); a new grid is always two-dimensional.
    """
    if existing is not None:
        return existing
    import matplotlib.pyplot as plt

    return plt.subplots(rows, cols, figsize=size, squeeze=False, **kwargs)[1]
