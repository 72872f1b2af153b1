"""Sensitivity of the AMU effect to unobserved motivation and job readiness.

Three frameworks answer how strong an unobserved confounder would have to be
to explain the effect away:

* :func:`latent_confounder_grid`: the Bayesian joint model with a latent
  confounder of fixed strengths, marginalised out;
* :func:`ols_sensitivity`: omitted-variable bias of EVA's regression
  coefficient (Cinelli and Hazlett 2020);
* :func:`dml_sensitivity`: DoubleML's sensitivity bounds (Chernozhukov et al.
  2022);

plus E-values (:func:`evalue`), and :class:`ConfounderScenario`, which
translates one scenario ("as strong as months employed") into all three.
"""

from .benchmarks import confounder_benchmarks
from .dml import DMLSensitivity, dml_sensitivity
from .evalues import evalue, evalue_from_risk_difference, evalue_table
from .latent import LatentGridResult, latent_confounder_grid
from .ovb import OVBSensitivity, ols_sensitivity, ovb_sensitivity
from .scenario import ConfounderScenario, ScenarioResult, scenario_table

__all__ = ["ConfounderScenario", "DMLSensitivity", "LatentGridResult", "OVBSensitivity",
           "ScenarioResult", "confounder_benchmarks", "dml_sensitivity", "evalue",
           "evalue_from_risk_difference", "evalue_table", "latent_confounder_grid",
           "ols_sensitivity", "ovb_sensitivity", "scenario_table"]
