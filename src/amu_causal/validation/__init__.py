"""Evidence that the estimators recover the truth: Monte Carlo and SBC, on any executor.

- :class:`MonteCarloStudy` / :func:`run_monte_carlo`: named scenarios over the
  synthetic register, a list of estimators, per-replication results stored
  as they finish (resumable), and bias, empirical SE, RMSE, coverage and
  interval width with Monte Carlo standard errors (:func:`performance`).
- :class:`SBCStudy` / :func:`run_sbc`: simulation-based calibration of
  :class:`amu_causal.HierarchicalModel`, with chi-square uniformity tests
  and ECDF-difference plots.
- :func:`run_study` is the one way every study runs (these two, the
  latent-confounder grid, the robustness experiment): a :class:`StudyStore`
  with one file per finished replication, only the missing ones run.
- Both run on a local process pool by default or on any
  :class:`concurrent.futures.Executor`, e.g. ``client.get_executor()`` of a
  ``dask.distributed`` client; every replication is seeded from the root
  seed and its index, so results do not depend on the executor.
"""

from .execution import (
    cluster_executor,
    cluster_job_script,
    dask_executor,
    default_executor,
    replication_seed,
    run_study,
    run_tasks,
    single_threaded,
)
from .metrics import METRICS, paired_comparison, performance, performance_table
from .monte_carlo import MonteCarloResult, MonteCarloStudy, run_monte_carlo
from .plots import plot_monte_carlo, plot_sbc_ecdf
from .sbc import SBCResult, SBCStudy, rank_statistic, run_sbc, uniformity_test
from .scenarios import SCENARIOS, Scenario, UnknownScenarioError, get_scenario
from .store import StudyMismatchError, StudyStore, study_key

__all__ = [
    "METRICS",
    "SCENARIOS",
    "MonteCarloResult",
    "MonteCarloStudy",
    "SBCResult",
    "SBCStudy",
    "Scenario",
    "StudyMismatchError",
    "StudyStore",
    "UnknownScenarioError",
    "cluster_executor",
    "cluster_job_script",
    "dask_executor",
    "default_executor",
    "get_scenario",
    "paired_comparison",
    "performance",
    "performance_table",
    "plot_monte_carlo",
    "plot_sbc_ecdf",
    "rank_statistic",
    "replication_seed",
    "run_monte_carlo",
    "run_sbc",
    "run_study",
    "run_tasks",
    "single_threaded",
    "study_key",
    "uniformity_test",
]
