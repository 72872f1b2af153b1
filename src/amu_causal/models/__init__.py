"""PyMC model builders: they build graphs and never sample."""

from .design import Design, build_design
from .joint import HYPERPARAMETERS, PARTS, build_joint_model, linear_predictors
from .priors import Priors

__all__ = ["HYPERPARAMETERS", "PARTS", "Design", "Priors", "build_design", "build_joint_model",
           "linear_predictors"]
