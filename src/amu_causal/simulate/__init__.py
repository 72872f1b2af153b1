"""The calibrated synthetic register with its known causal truth."""

from .calibration import calibration_report, eva_regression, plot_calibration
from .parameters import SimulationParameters
from .register import simulate_register
from .truth import Truth

__all__ = [
    "SimulationParameters",
    "Truth",
    "calibration_report",
    "eva_regression",
    "plot_calibration",
    "simulate_register",
]
