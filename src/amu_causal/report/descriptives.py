"""EVA's descriptive tables and figures: moved to :mod:`amu_causal.descriptives`.

Kept so that ``amu_causal.report.descriptives`` still imports; the tables are
computation, and ``amu_causal.report`` only renders.
"""

from ..descriptives import *  # noqa: F403
from ..descriptives import __all__  # noqa: F401
