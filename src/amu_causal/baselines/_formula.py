"""The EVA controls as formula terms: defined in :mod:`amu_causal.eva`."""

from __future__ import annotations

from ..eva import CONTROL_TERMS, control_formula

__all__ = ["CONTROL_TERMS", "control_formula"]
