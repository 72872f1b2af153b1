"""PyMC model builders: they build graphs and never sample."""

from .confounder import LatentConfounder
from .design import Design, build_design
from .joint import HYPERPARAMETERS, PARTS, build_joint_model, fused_data, linear_predictors
from .priors import Priors

__all__ = ["HYPERPARAMETERS", "PARTS", "Design", "LatentConfounder",
           "Priors", "build_design", "build_joint_model", "fused_data",
           "linear_predictors"]
