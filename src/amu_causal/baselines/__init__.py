"""The baselines reviewers expect: OLS with municipality fixed effects, and DoubleML."""

from .dml import DML, dml_features
from .ols import OLSFixedEffects

__all__ = ["DML", "OLSFixedEffects", "dml_features"]
