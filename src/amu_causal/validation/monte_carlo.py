"""Monte Carlo studies: estimators on many synthetic registers with known truth."""

from __future__ import annotations

import dataclasses
import time
import traceback
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..bayesian import HierarchicalModel
from ..engine import fit_design, padded_design
from ..models.design import build_design
from ..results import ResultUnavailableError
from ..simulate.register import simulate_register
from .execution import check_root_seed, replication_seed, run_study, seed_int, single_threaded
from .metrics import performance_table
from .scenarios import Scenario, get_scenario
from .store import StudyStore

__all__ = ["MonteCarloResult", "MonteCarloStudy", "run_monte_carlo", "run_replication"]

#: Columns of every stored row.
RESULT_COLUMNS = ("replication", "scenario", "n", "n_treated", "estimator", "estimand",
                  "estimate", "std_error", "ci_lower", "ci_upper", "level", "truth",
                  "truth_direct", "seconds", "compile_seconds", "r_hat", "ess_bulk", "max_r_hat",
                  "min_ess_bulk", "min_ess_tail", "divergences", "converged", "problems", "error",
                  "attempts")


def _estimator_name(estimator) -> str:
    return str(getattr(estimator, "name", type(estimator).__name__))


def _describe(estimator) -> str:
    """The estimator's settings as text, without the seed (set per replication)."""
    if dataclasses.is_dataclass(estimator):
        changes = {k: v for k, v in (("random_seed", None), ("progressbar", False))
                   if k in {f.name for f in dataclasses.fields(estimator)}}
        return repr(dataclasses.replace(estimator, **changes))
    return repr(estimator)


@dataclass(frozen=True)
class MonteCarloStudy:
    """Definition of a Monte Carlo study (settings only; :meth:`run` does the work).

    Parameters
    ----------
    scenario : Scenario or str
        A scenario or the name of one in :data:`SCENARIOS`.
    estimators : sequence
        Estimator specifications with ``fit(df) -> CausalResult`` and a
        ``name`` (e.g. ``HierarchicalModel(draws=500, tune=500)``,
        ``OLSFixedEffects()``, ``DML()``). Their ``random_seed`` is replaced
        in every replication.
    n : int, default 2,000
        Register size (the scenario may scale it, see
        :attr:`Scenario.size_factor`).
    n_reps : int, default 200
        Replications. Raising it later extends a stored study.
    root_seed : int, default 1
        Every replication's seeds derive from it and the replication index
        (:func:`replication_seed`): stream 0 simulates the register, stream
        *j* seeds the *j*-th estimator.

    Examples
    --------
    >>> import amu_causal as ac
    >>> from amu_causal.validation import MonteCarloStudy
    >>> study = MonteCarloStudy("no_confounding", [ac.OLSFixedEffects()], n=1_000, n_reps=2)
    >>> study.scenario.name, study.key() == MonteCarloStudy(
    ...     "no_confounding", [ac.OLSFixedEffects()], n=1_000, n_reps=50).key()
    ('no_confounding', True)
    """

    scenario: Scenario
    estimators: tuple = field(default_factory=tuple)
    n: int = 2_000
    n_reps: int = 200
    root_seed: int = 1

    def __post_init__(self):
        object.__setattr__(self, "scenario", get_scenario(self.scenario))
        object.__setattr__(self, "estimators", tuple(self.estimators))
        if not self.estimators:
            raise ValueError("a study needs at least one estimator, e.g. "
                             "[amu_causal.OLSFixedEffects()]")
        names = [_estimator_name(e) for e in self.estimators]
        if len(set(names)) != len(names):
            raise ValueError(f"estimator names must differ, got {names}")
        for name in ("n", "n_reps"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
                raise ValueError(f"{name} must be a positive whole number, got {value!r}")
        check_root_seed(self.root_seed)

    def definition(self) -> dict:
        """What defines the study's results (``n_reps`` excluded: more can be added).

        Returns
        -------
        dict
            JSON-serialisable; its hash is the study key.
        """
        return {"kind": "monte_carlo", "scenario": self.scenario.to_dict(), "n": int(self.n),
                "root_seed": int(self.root_seed),
                "estimators": [_describe(e) for e in self.estimators]}

    def key(self) -> str:
        """The study key stored with the results.

        Returns
        -------
        str
        """
        from .store import study_key

        return study_key(self.definition())

    def run(self, directory, **options) -> MonteCarloResult:
        """Run (or resume) the study; see :func:`run_monte_carlo`.

        Parameters
        ----------
        directory : str or path-like
            Results directory.
        **options
            Passed to :func:`run_monte_carlo` (``executor``, ``workers``,
            ``progress``).

        Returns
        -------
        MonteCarloResult
        """
        return run_monte_carlo(self, directory, **options)


@dataclass(frozen=True)
class _Task:
    index: int
    root_seed: int
    scenario: Scenario
    n: int
    estimators: tuple


def _fit(estimator, df: pd.DataFrame, seed: int):
    if isinstance(estimator, HierarchicalModel):
        # Padded to all municipalities, so every register of the study shares one
        # compiled model (not with Mundlak terms: absent municipalities would enter
        # the municipal means); chains one after another, one core per replication.
        design = build_design(df)
        return fit_design(estimator, design if estimator.mundlak else padded_design(design),
                          random_seed=seed, cores=1, progressbar=False)
    if dataclasses.is_dataclass(estimator) and "random_seed" in {
            f.name for f in dataclasses.fields(estimator)}:
        estimator = dataclasses.replace(estimator, random_seed=seed)
    return estimator.fit(df)


def _diagnostics(result) -> dict:
    out = {"max_r_hat": np.nan, "min_ess_bulk": np.nan, "min_ess_tail": np.nan,
           "divergences": np.nan, "converged": True, "problems": "",
           "compile_seconds": float(result.settings.get("compile_seconds", np.nan)),
           # MCMC runs behind the result (HierarchicalModel.refits); NaN for the others
           "attempts": float(len(result.settings.get("attempts", ()))) or np.nan}
    table = result.diagnostics_table
    if table is not None and "r_hat" in table:
        out["max_r_hat"] = float(table["r_hat"].max())
        out["min_ess_bulk"] = float(table["ess_bulk"].min())
        out["min_ess_tail"] = float(table["ess_tail"].min())
        out["divergences"] = float(result.sampler.get("divergences", 0))
    out["converged"] = not result.problems
    out["problems"] = " | ".join(result.problems)
    return out


def _own_diagnostics(result) -> dict:
    """R-hat and bulk ESS of each estimand's own draws (Bayesian fits)."""
    table = result.diagnostics_table
    if table is None or "r_hat" not in table:
        return {}
    by_name = table.set_index("parameter")
    out = {}
    for estimand in result.effects_table["estimand"]:
        if estimand in by_name.index:
            out[estimand] = {"r_hat": float(by_name.loc[estimand, "r_hat"]),
                             "ess_bulk": float(by_name.loc[estimand, "ess_bulk"])}
    return out


def run_replication(task: _Task) -> pd.DataFrame:
    """Simulate one register and fit every estimator (runs in a worker).

    Returns the replication's rows (:data:`RESULT_COLUMNS` but
    ``replication``); an estimator that fails gives one row with its error
    and NaN estimates, so failures are counted, not lost.
    """
    scenario = task.scenario
    with single_threaded(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        df, truth = simulate_register(scenario.register_size(task.n),
                                      seed=replication_seed(task.root_seed, task.index, 0),
                                      params=scenario.parameters())
        truths = dict(zip(*truth.effects().to_numpy().T, strict=True))
        common = {"scenario": scenario.name, "n": len(df), "n_treated": int(df["amu"].sum())}
        rows = []
        for j, estimator in enumerate(task.estimators, start=1):
            name = _estimator_name(estimator)
            seed = seed_int(replication_seed(task.root_seed, task.index, j))
            start = time.perf_counter()
            try:
                result = _fit(estimator, df, seed)
            except Exception as err:  # recorded, not raised: one bad fit must not end a study
                rows.append(common | {"estimator": name, "estimand": "ATE",
                                      "seconds": time.perf_counter() - start,
                                      "error": "".join(traceback.format_exception_only(err))
                                      .strip()})
                continue
            seconds = time.perf_counter() - start
            extra = {"seconds": seconds, **_diagnostics(result)}
            effects = result.effects()
            effects = effects[effects["estimand"].isin(truths)]
            own = _own_diagnostics(result)
            for row in effects.to_dict("records"):
                rows.append(common | extra | own.get(row["estimand"], {}) | {
                    k: row[k] for k in ("estimator", "estimand", "estimate", "std_error",
                                        "ci_lower", "ci_upper", "level")}
                    | {"truth": float(truths[row["estimand"]]),
                       "truth_direct": truth.ate_direct if row["estimand"] == "ATE"
                       else np.nan})
            if "municipality_effects" in result.tables:
                muni = result.tables["municipality_effects"]
                muni = muni[muni["n"] > 0]
                level = float(effects["level"].iloc[0]) if len(effects) else np.nan
                for row in muni.to_dict("records"):
                    label = f"ATE[municipality={row['municipality']}]"
                    if label in truths:
                        rows.append(common | extra | {
                            "estimator": name, "estimand": label, "estimate": row["estimate"],
                            "std_error": row["std_error"], "ci_lower": row["ci_lower"],
                            "ci_upper": row["ci_upper"], "level": level,
                            "truth": float(truths[label]), "truth_direct": np.nan})
    defaults = {"converged": False, "problems": "", "error": ""}
    frame = pd.DataFrame([defaults | row for row in rows]).reindex(
        columns=[c for c in RESULT_COLUMNS if c != "replication"])
    return frame.astype({"converged": bool, "problems": str, "error": str})


def run_monte_carlo(study: MonteCarloStudy, directory, *, executor=None,
                    workers: int | None = None, progress: bool = True) -> MonteCarloResult:
    """Run a Monte Carlo study, or resume it, storing each replication as it finishes.

    Parameters
    ----------
    study : MonteCarloStudy
        What to run.
    directory : path
        Results directory (``study.json`` and ``replications/rep-*.parquet``).
        Replications already there are not run again; a directory holding
        another study is refused (:class:`StudyMismatchError`).
    executor : concurrent.futures.Executor, optional
        Where to run the replications, e.g. ``client.get_executor()`` of a
        ``dask.distributed`` client; by default a local process pool of
        ``workers`` single-threaded processes.
    workers : int, optional
        Size of the default pool (default 1).
    progress : bool, default True
        Show a progress bar.

    Returns
    -------
    MonteCarloResult

    Notes
    -----
    A replication's register and estimator seeds depend only on the root
    seed and its index, and each replication runs single-threaded (nutpie's
    chains one after another), so the stored numbers are the same with one
    worker, two, or a Dask cluster. The Bayesian model is compiled once per
    worker (see :func:`amu_causal.engine.fit_design`).

    Examples
    --------
    >>> import tempfile, amu_causal as ac
    >>> from amu_causal.validation import MonteCarloStudy, run_monte_carlo
    >>> study = MonteCarloStudy("no_confounding", [ac.OLSFixedEffects()], n=1_000, n_reps=4)
    >>> with tempfile.TemporaryDirectory() as d:  # doctest: +SKIP
    ...     result = run_monte_carlo(study, d, workers=2)
    ...     result.metrics(["ATE"])
    """
    results = run_study(
        StudyStore(directory, study.definition()), study.n_reps,
        lambda i: _Task(i, study.root_seed, study.scenario, study.n, study.estimators),
        run_replication, executor=executor, workers=workers, progress=progress,
        label=f"Monte Carlo {study.scenario.name}")
    return MonteCarloResult(study=study, results=results, directory=Path(directory))


@dataclass
class MonteCarloResult:
    """The stored rows of a Monte Carlo study and the performance measures.

    Parameters
    ----------
    study : MonteCarloStudy
    results : pandas.DataFrame
        One row per replication, estimator and estimand
        (:data:`RESULT_COLUMNS`).
    directory : pathlib.Path, optional
        Where the rows are stored.

    Examples
    --------
    >>> import tempfile
    >>> from concurrent.futures import ThreadPoolExecutor
    >>> import amu_causal as ac
    >>> from amu_causal.validation import MonteCarloStudy
    >>> study = MonteCarloStudy("no_confounding", [ac.OLSFixedEffects()], n=1_000, n_reps=2)
    >>> with tempfile.TemporaryDirectory() as d, ThreadPoolExecutor(1) as pool:
    ...     result = study.run(d, executor=pool, progress=False)
    >>> result.results["replication"].nunique(), list(result.summary_table()["replications"])
    (2, [2])
    """

    study: MonteCarloStudy
    results: pd.DataFrame
    directory: Path | None = None

    def metrics(self, estimands=("ATE",), *, truth: str = "truth") -> pd.DataFrame:
        """Performance measures with MCSEs per estimator and estimand.

        Parameters
        ----------
        estimands : sequence of str, optional
            Estimands to include (``None``: all). ``"ATE[municipality]"``
            pools the municipality effects of all replications.
        truth : {"truth", "truth_direct"}
            Against the total effect (default) or, for the ATE, the direct
            effect with months employed held fixed.

        Returns
        -------
        pandas.DataFrame
            See :func:`performance_table`; also ``converged_share`` (share
            of replications without a convergence warning).
        """
        table = self.results.copy()
        table["estimand"] = table["estimand"].where(
            ~table["estimand"].str.startswith("ATE[municipality="), "ATE[municipality]")
        if estimands is not None:
            table = table[table["estimand"].isin(list(estimands))]
        if table.empty:
            raise ResultUnavailableError(
                f"no estimator of this study reports {list(estimands)}; it has "
                f"{sorted(self.results['estimand'].unique())[:8]} ...")
        out = performance_table(table, truth=truth)
        converged = (table.groupby(["estimator", "estimand"])["converged"].mean()
                     .rename("converged_share").reset_index())
        return out.merge(converged, on=["estimator", "estimand"], how="left")

    def convergence(self) -> pd.DataFrame:
        """Per replication and estimator: worst R-hat, smallest ESS, divergences, problems.

        Returns
        -------
        pandas.DataFrame
        """
        cols = ["replication", "estimator", "r_hat", "ess_bulk", "max_r_hat", "min_ess_bulk",
                "min_ess_tail", "divergences", "converged", "problems", "error", "seconds",
                "compile_seconds", "attempts"]
        # studies stored before refits existed have no attempts column
        ate = self.results[self.results["estimand"] == "ATE"].reindex(
            columns=list(dict.fromkeys([*self.results.columns, *cols])))
        return ate[cols].sort_values(["estimator", "replication"]).reset_index(drop=True)

    def summary_table(self, estimand: str = "ATE", *, truth: str = "truth") -> pd.DataFrame:
        """A readable table: each measure as ``value (MCSE)``, effects in percentage points.

        Parameters
        ----------
        estimand : str, default "ATE"
        truth : str, default "truth"
            The column of the stored rows to compare with (``truth`` or
            ``truth_direct``, the effect holding months employed fixed).

        Returns
        -------
        pandas.DataFrame
            One row per estimator.
        """
        m = self.metrics([estimand], truth=truth)

        def cell(value, mcse, scale, digits):
            return f"{scale * value:.{digits}f} ({scale * mcse:.{digits}f})"

        return pd.DataFrame({
            "estimator": m["estimator"],
            "replications": m["n_reps"],
            "failed": m["n_failed"],
            "mean truth (pp)": (100 * m["mean_truth"]).round(2),
            "bias (pp)": [cell(v, s, 100, 2) for v, s in zip(m["bias"], m["bias_mcse"],
                                                              strict=True)],
            "empirical SE (pp)": [cell(v, s, 100, 2) for v, s in
                                  zip(m["emp_se"], m["emp_se_mcse"], strict=True)],
            "model SE (pp)": [cell(v, s, 100, 2) for v, s in
                              zip(m["model_se"], m["model_se_mcse"], strict=True)],
            "RMSE (pp)": [cell(v, s, 100, 2) for v, s in zip(m["rmse"], m["rmse_mcse"],
                                                             strict=True)],
            "coverage": [cell(v, s, 1, 3) for v, s in zip(m["coverage"], m["coverage_mcse"],
                                                          strict=True)],
            "width (pp)": [cell(v, s, 100, 2) for v, s in zip(m["width"], m["width_mcse"],
                                                              strict=True)],
            "converged": m["converged_share"].round(3),
        })

    def plot(self, estimand: str = "ATE", ax=None):
        """Errors (estimate minus truth) by estimator; see :func:`plot_monte_carlo`.

        Parameters
        ----------
        estimand : str, default "ATE"
        ax : matplotlib.axes.Axes, optional
            Where to draw.

        Returns
        -------
        matplotlib.axes.Axes
        """
        from .plots import plot_monte_carlo

        return plot_monte_carlo(self, estimand=estimand, ax=ax)
