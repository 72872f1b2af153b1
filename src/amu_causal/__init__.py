"""amu_causal: Bayesian causal inference for AMU courses and refugees' employment.

The public API. See https://amu-causal.readthedocs.io (or ``docs/``) for the guide.
"""

import warnings as _warnings

with _warnings.catch_warnings():
    # ArviZ 0.23 announces its coming 1.0 refactor once a day on import; that notice is
    # about ArviZ's own future API, which this package pins below, and it would be a
    # user's first line of output from amu_causal. Other warnings pass as usual.
    _warnings.filterwarnings("ignore", message=r"\s*ArviZ is undergoing a major refactor")
    import arviz as _arviz  # noqa: F401

from . import policy, privacy, sensitivity, validation
from .baselines import DML, OLSFixedEffects
from .bayesian import HierarchicalModel
from .data import (
    ATTACHMENT_GROUPS,
    EVA_CONTROLS,
    RegisterDataError,
    RegisterDataWarning,
    RegisterFileError,
    UnknownMunicipalityError,
    attachment_group,
    drop_incomplete_rows,
    load_register,
    municipalities,
    municipality,
    read_column_mapping,
    schema_table,
    validate_register,
    write_register,
)
from .diagnostics import ConvergenceError, ConvergenceWarning, Thresholds
from .models import LatentConfounder, Priors
from .report import plot_compare, plot_effects, plot_municipality_effects, plot_participation
from .results import (
    BayesianResult,
    CausalResult,
    DMLResult,
    OLSResult,
    ResultUnavailableError,
    compare,
)
from .sampling import SamplerSettings
from .simulate import (
    SimulationParameters,
    Truth,
    calibration_report,
    plot_calibration,
    simulate_register,
)

__version__ = "0.1.0.dev0"

__all__ = [
    "ATTACHMENT_GROUPS",
    "DML",
    "EVA_CONTROLS",
    "BayesianResult",
    "CausalResult",
    "ConvergenceError",
    "ConvergenceWarning",
    "DMLResult",
    "HierarchicalModel",
    "LatentConfounder",
    "OLSFixedEffects",
    "OLSResult",
    "Priors",
    "RegisterDataError",
    "RegisterDataWarning",
    "RegisterFileError",
    "ResultUnavailableError",
    "SamplerSettings",
    "SimulationParameters",
    "Thresholds",
    "Truth",
    "UnknownMunicipalityError",
    "__version__",
    "attachment_group",
    "calibration_report",
    "compare",
    "drop_incomplete_rows",
    "load_register",
    "municipalities",
    "municipality",
    "plot_calibration",
    "plot_compare",
    "plot_effects",
    "plot_municipality_effects",
    "plot_participation",
    "policy",
    "privacy",
    "read_column_mapping",
    "schema_table",
    "sensitivity",
    "simulate_register",
    "validate_register",
    "validation",
    "write_register",
]
