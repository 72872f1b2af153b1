"""The main job's computation: from the register to one :class:`Analysis`, nothing rendered.

Stages: data; the Bayesian model and the latent-confounder benchmark scenario
(one compiled model), while a second process computes the descriptives,
calibration, OLS, DoubleML and their sensitivity analyses; then the E-values,
the scenario in three frameworks and the policy scenarios from those results.
:func:`amu_causal.report.job.run_job` renders the analysis into the results
folder; :func:`run_analysis` is the same computation for use from Python.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

__all__ = ["Analysis", "JobSettings", "LatentFit", "Stages", "run_analysis"]


@dataclass(frozen=True)
class JobSettings:
    """Settings of one run of the main job (the ``amu-causal run`` options).

    Parameters
    ----------
    data, columns : path, optional
        A register file and its column mapping; without ``data`` the
        calibrated synthetic register is simulated.
    out : path
        Results folder.
    quick : bool
        5,000 people, fewer draws, no latent-confounder fits.
    seed : int
        Seeds the simulation, the estimators and the sampler.
    n : int, optional
        Size of the synthetic register (default 23,125, or 5,000 with
        ``quick``).
    private : bool
        Keep small cells and the full posterior (research environment only).
    min_count : int
        Smallest number of people behind an exported cell.
    rate : float
        Participation rate of policy scenario (c).
    draws, tune : int, optional
        Bayesian draws and warm-up per chain (defaults: 700 and 400, or 300
        and 300 with ``quick``): the fewest that keep every bulk ESS above
        400 on the default register (measurements in docs/performance.rst).
    quiet : bool
        No progress lines.
    command : str, optional
        The command line as typed (recorded in the manifest and the report).
    drop_incomplete : bool
        Drop rows of ``data`` with missing values in contract columns
        (:func:`amu_causal.drop_incomplete_rows`), reporting how many and why
        in the progress lines and the manifest.

    Examples
    --------
    >>> from amu_causal.pipeline import JobSettings
    >>> JobSettings(quick=True).size, JobSettings().sampling
    (5000, (700, 400))
    """

    data: Path | None = None
    columns: Path | None = None
    out: Path = Path("results")
    quick: bool = False
    seed: int = 1
    n: int | None = None
    private: bool = False
    min_count: int = 5
    rate: float = 0.10
    draws: int | None = None
    tune: int | None = None
    quiet: bool = False
    command: str = ""
    drop_incomplete: bool = False

    @property
    def synthetic(self) -> bool:
        """Whether the run simulates its register."""
        return self.data is None

    @property
    def size(self) -> int:
        """People in the synthetic register."""
        if self.n is not None:
            return self.n
        return 5_000 if self.quick else 23_125

    @property
    def sampling(self) -> tuple[int, int]:
        """Draws and warm-up per chain."""
        default = (300, 300) if self.quick else (700, 400)
        return self.draws or default[0], self.tune or default[1]


class Stages:
    """Stage-by-stage progress on standard error, with the elapsed time.

    Long steps without a progress display of their own (compilation, waiting for
    the worker) run inside :meth:`running`, which shows a spinner with the step's
    name and the time elapsed, so the screen never looks frozen.

    Parameters
    ----------
    quiet : bool, default False
        Record the stages without printing them.
    console : rich.console.Console, optional
        Where the spinner draws (default: standard error).

    Examples
    --------
    >>> from amu_causal.pipeline import Stages
    >>> stages = Stages(quiet=True)
    >>> stages("loaded the register")
    >>> [label for label, _ in stages.log]
    ['loaded the register']
    """

    def __init__(self, quiet: bool = False, console=None):
        self.quiet, self.done = quiet, 0
        self.start = time.perf_counter()
        self.log: list[tuple[str, float]] = []
        self.console = console

    @contextlib.contextmanager
    def running(self, label: str):
        """Show a spinner with ``label`` and the elapsed time while the block runs.

        Parameters
        ----------
        label : str
            What the block does.

        Yields
        ------
        None
        """
        if self.quiet:
            yield
            return
        from rich.console import Console
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        console = self.console or Console(stderr=True)
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                      console=console, transient=True) as progress:
            progress.add_task(label, total=None)
            yield

    def __call__(self, label: str) -> None:
        self.done += 1
        elapsed = time.perf_counter() - self.start
        self.log.append((label, round(elapsed, 1)))
        if not self.quiet:
            print(f"[{self.done:2d}] {elapsed:6.1f} s  {label}", file=sys.stderr, flush=True)


def baseline_stage(df: pd.DataFrame, seed: int, synthetic: bool) -> dict:
    """Everything that needs no sampler: descriptives, calibration, OLS, DML, OVB, DML bounds.

    Runs in a second process, on one core, while the Bayesian models compile
    and sample. Returns plain results and the seconds each step took.
    """
    import os

    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = "1"  # for libraries this process has not loaded yet
    import sklearn.ensemble  # noqa: F401  (loads the OpenMP runtime, so the limit reaches it)
    from threadpoolctl import threadpool_limits

    from . import descriptives as d
    from .baselines import DML, OLSFixedEffects
    from .sensitivity import dml_sensitivity, ols_sensitivity
    from .simulate import calibration_report

    # One core: the main process compiles and samples on the others. More OpenMP/BLAS
    # threads than free cores make HistGradientBoosting spin: measured on this 2-core
    # machine under load, one fit took 78 s of CPU with 2 OpenMP threads and 0.24 s with
    # one. threadpool_limits only reaches libraries already loaded, hence the import above.
    limits = threadpool_limits(1)
    out, seconds = {}, {}

    def timed(name, fn):
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            out[name] = fn()
        seconds[name] = round(time.perf_counter() - start, 1)

    timed("sex_year", lambda: d.participation_by_sex_year(df))
    timed("municipality", lambda: d.participation_by_municipality(df))
    timed("education", lambda: d.education_by_year(df))
    timed("areas", lambda: d.amu_areas(df))
    timed("employment", lambda: d.employment_by_attachment(df))
    if synthetic:
        timed("calibration", lambda: calibration_report(df))
    timed("ols", lambda: OLSFixedEffects().fit(df))
    timed("dml", lambda: DML(random_seed=seed).fit(df))
    # The sensitivity analyses reuse the fits above (each estimator is fitted once).
    timed("ovb", lambda: ols_sensitivity(out["ols"]))
    # One benchmark (the one the scenario uses): each benchmark is one more cross-fitted
    # IRM, the most expensive step of the job; experiments/03_sensitivity.py adds
    # education and sex.
    timed("dml_sensitivity", lambda: dml_sensitivity(out["dml"],
                                                     benchmarks=("months_employed",)))
    # the report's contour plot: computed here, while the main process samples, and
    # kept on the returned object
    timed("dml_contour", lambda: out["dml_sensitivity"].contour_grid("theta"))
    # The fitted regressions and DoubleML objects stay in this process: they hold the
    # data, and pyfixest's cannot be pickled; the sensitivity analyses above used them.
    for name in ("ols", "dml"):
        out[name] = replace(out[name], fits=None)
    out["seconds"] = seconds
    limits.restore_original_limits()
    return out


def load_register_for(settings: JobSettings):
    """The register of a run: simulated, or read (and validated) from ``settings.data``.

    Returns the validated frame and the synthetic register's truth (``None``
    for real data). With ``drop_incomplete``, the report of dropped rows is in
    the frame's ``attrs["dropped_incomplete"]``.
    """
    from .data import (
        drop_incomplete_rows,
        load_register,
        read_column_mapping,
        validate_register,
    )
    from .simulate import simulate_register

    if settings.synthetic:
        df, truth = simulate_register(n=settings.size, seed=settings.seed)
        return validate_register(df), truth
    mapping = read_column_mapping(settings.columns) if settings.columns else {}
    if not settings.drop_incomplete:
        return load_register(settings.data, **mapping), None
    df = load_register(settings.data, **mapping, validate=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the counts are reported by the caller
        kept, report = drop_incomplete_rows(df)
    kept.attrs["dropped_incomplete"] = report
    return validate_register(kept), None


def _fit(model, design, seed, report_as=None, progressbar=None):
    """One Bayesian fit through the engine; convergence warnings go to stderr."""
    from .diagnostics import ConvergenceWarning
    from .engine import fit_design

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        result = fit_design(model, design, random_seed=seed, report_as=report_as,
                            progressbar=progressbar)
    for w in caught:
        if issubclass(w.category, ConvergenceWarning):
            print(f"warning: {w.message}", file=sys.stderr)
    return result


def _latent_scenarios(plain, design) -> list:
    """The benchmark scenarios for the latent confounder (strengths and labels)."""
    from .sensitivity import confounder_benchmarks

    bench = confounder_benchmarks(plain.posterior, design, ("months_employed",))
    row = bench.iloc[0]
    # One benchmark scenario: each is a full posterior (about a quarter of the job's CPU
    # time at n = 23,125, measured in benchmarks/main_job.py). experiments/03_sensitivity.py
    # runs the grid of strengths and marks the simulated ones on a synthetic register.
    return [("as strong as months employed", float(row["participation"]),
             float(row["employment"]))]


class LatentFit(NamedTuple):
    """One latent-confounder scenario fitted by the main job.

    Parameters
    ----------
    label : str
        What the scenario is (``as strong as months employed``).
    participation, employment : float
        The confounder's strengths (log-odds per SD of U).
    result : BayesianResult
        The model fitted with that confounder.

    Examples
    --------
    >>> from amu_causal.pipeline import LatentFit
    >>> LatentFit("example", 0.5, 0.5, result=None).participation
    0.5
    """

    label: str
    participation: float
    employment: float
    result: object  # BayesianResult


@dataclass
class Analysis:
    """Everything the main job computes, before anything is rendered.

    Parameters
    ----------
    settings : JobSettings
    data : pandas.DataFrame
        The validated register.
    truth : Truth or None
        The synthetic register's truth (``None`` for real data).
    dropped : pandas.DataFrame or None
        Rows dropped by ``--drop-incomplete``, by column.
    bayes : BayesianResult
        The plain hierarchical model.
    latent : list of LatentFit
        The latent-confounder benchmark scenario(s) (none with ``quick``).
    baselines : dict
        From the worker: descriptive tables (``sex_year``, ``municipality``,
        ``education``, ``areas``, ``employment``), ``calibration`` (synthetic
        only), ``ols``, ``dml``, ``ovb``, ``dml_sensitivity`` and ``seconds``.
        The baselines were fitted in a worker process and their fitted
        objects stayed there (``fits`` is ``None``): their sensitivity
        analyses are already here.
    evalues : pandas.DataFrame
        E-values of the three estimators.
    scenarios : pandas.DataFrame or None
        The benchmark scenario(s) in three frameworks (``None`` with ``quick``).
    conclusions : list of str
        One plain-words conclusion per scenario.
    policy : dict
        ``results`` (the plain model's scenarios (a)-(c)) and ``national``
        (the national table, plain and latent-confounder posteriors).
    stages : Stages
        Progress lines and the elapsed time of each stage.

    Examples
    --------
    The analysis fits every estimator, so the lines are not run as doctests:

    >>> from amu_causal.pipeline import JobSettings, run_analysis
    >>> analysis = run_analysis(JobSettings(quick=True))  # doctest: +SKIP
    >>> analysis.bayes.estimate("ATE"), analysis.ols.estimate("ATE")  # doctest: +SKIP
    """

    settings: JobSettings
    data: pd.DataFrame
    truth: object | None
    dropped: pd.DataFrame | None
    bayes: object
    latent: list[LatentFit]
    baselines: dict
    evalues: pd.DataFrame = field(repr=False, default=None)
    scenarios: pd.DataFrame | None = field(repr=False, default=None)
    conclusions: list[str] = field(default_factory=list)
    policy: dict = field(repr=False, default_factory=dict)
    stages: Stages | None = field(repr=False, default=None)

    @property
    def ols(self):
        """EVA's regression (an :class:`~amu_causal.OLSResult`)."""
        return self.baselines["ols"]

    @property
    def dml(self):
        """The DoubleML baseline (a :class:`~amu_causal.DMLResult`)."""
        return self.baselines["dml"]


def run_analysis(settings: JobSettings, stages: Stages | None = None) -> Analysis:
    """Compute the main job: estimators, sensitivity analyses and policy scenarios.

    Parameters
    ----------
    settings : JobSettings
    stages : Stages, optional
        Progress display (default: one from ``settings.quiet``).

    Returns
    -------
    Analysis

    Examples
    --------
    >>> from amu_causal.pipeline import JobSettings, run_analysis
    >>> analysis = run_analysis(JobSettings(quick=True, quiet=True))  # doctest: +SKIP
    >>> print(analysis.conclusions)  # doctest: +SKIP
    """
    from .bayesian import HierarchicalModel
    from .engine import compiled_structure
    from .models.confounder import LatentConfounder
    from .models.design import build_design

    stages = stages or Stages(settings.quiet)
    df, truth = load_register_for(settings)
    dropped = df.attrs.pop("dropped_incomplete", None)
    if dropped is not None and len(dropped):
        reasons = ", ".join(f"{r.column} missing in {r.n_missing:,}"
                            for r in dropped.itertuples() if r.column != "<any>")
        total = int(dropped.loc[dropped["column"] == "<any>", "n_missing"].sum())
        stages(f"--drop-incomplete: dropped {total:,} rows with missing values ({reasons})")
    stages(f"{'simulated' if settings.synthetic else 'loaded'} and validated the register "
           f"({len(df):,} people)")

    # The baselines run in a second process while this one compiles and samples the
    # Bayesian models (compilation uses one core, so the worker has the other to itself
    # then). spawn, not fork: a forked child inherits locks held by other threads of the
    # parent (pytest-xdist's, a notebook's) and was seen to hang on one forever.
    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    failed = True
    try:
        pending = pool.submit(baseline_stage, df, settings.seed, settings.synthetic)
        draws, tune = settings.sampling
        # --quick is a smoke run: its short chains are not refitted when they miss
        # the thresholds (the full run's are, HierarchicalModel.refits)
        model = HierarchicalModel(draws=draws, tune=tune, random_seed=settings.seed,
                                  progressbar=not settings.quiet,
                                  refits=0 if settings.quick else 1)
        design = build_design(df)
        # One compiled model serves the plain fit and the latent-confounder scenario:
        # with both strengths 0 the marginalised likelihood is the plain one exactly
        # (the weights sum to 1), and a second compilation is saved.
        fitted = model if settings.quick else replace(model, confounder=LatentConfounder(
            0.0, 0.0), draws=400, tune=200)
        with stages.running("compiling the Bayesian model (numba: about 20 s once cached, "
                            "60-100 s on a machine's first run)"):
            compiled_structure(fitted, design)
        stages("compiled the Bayesian model" + ("" if settings.quick else
               " (with a latent confounder, strengths as data)"))

        # The Bayesian fits run while the baselines finish in the worker.
        bayes = _fit(replace(fitted, draws=draws, tune=tune), design, settings.seed,
                     report_as=model)
        runs = len(bayes.settings["attempts"])
        stages(f"Bayesian hierarchical model ({bayes.settings['sampler']['draws']} draws after "
               f"{bayes.settings['sampler']['tune']} warm-up x {model.chains} chains"
               + (f", sampled {runs} times to meet the convergence thresholds" if runs > 1
                  else "") + f", {bayes.settings['seconds']:g} s sampling)")
        latent = []
        if not settings.quick:
            for k, (label, lam_d, lam_y) in enumerate(_latent_scenarios(bayes, design)):
                cell = replace(fitted, confounder=replace(fitted.confounder,
                                                          participation=lam_d,
                                                          employment=lam_y))
                result = _fit(cell, design, settings.seed + 1 + k)
                latent.append(LatentFit(label, lam_d, lam_y, result))
                stages(f"latent confounder {label} ({lam_d:.2f}, {lam_y:.2f}): ATE "
                       f"{100 * result.estimate('ATE'):.1f} points")
        with stages.running("waiting for the worker: descriptives, OLS, DoubleML and their "
                            "sensitivity analyses"):
            base = pending.result()
        failed = False
    finally:
        # after an error or an interrupt, do not wait for the baselines to finish
        pool.shutdown(wait=not failed, cancel_futures=True)
    stages("descriptives, calibration, OLS, DoubleML, OVB and DoubleML bounds (in the "
           f"worker: {', '.join(f'{k} {v:g} s' for k, v in base['seconds'].items())})")

    analysis = Analysis(settings=settings, data=df, truth=truth, dropped=dropped, bayes=bayes,
                        latent=latent, baselines=base, stages=stages)
    _sensitivity(analysis)
    stages("E-values and the benchmark scenario in three frameworks")
    analysis.policy = _policy(analysis)
    stages("policy scenarios")
    return analysis


def _sensitivity(analysis: Analysis) -> None:
    """E-values of the three estimators, and each latent scenario in three frameworks."""
    from .sensitivity import ConfounderScenario, ScenarioResult, evalue_table

    bayes, base = analysis.bayes, analysis.baselines
    analysis.evalues = pd.concat([evalue_table(bayes), evalue_table(base["ols"]),
                                  evalue_table(base["dml"])], ignore_index=True)
    frames = []
    truth = analysis.truth
    for k, fit in enumerate(analysis.latent):
        rows = scenario_rows(fit, bayes, base["ovb"], base["dml_sensitivity"],
                             benchmark=k == 0)
        frames.append(rows)
        scenario = (ConfounderScenario.like("months_employed") if k == 0 else
                    ConfounderScenario.explicit(latent=(fit.participation, fit.employment),
                                                name=fit.label))
        analysis.conclusions.append(ScenarioResult(
            scenario, rows.drop(columns="scenario"),
            truth=None if truth is None else truth.ate).conclusion())
    analysis.scenarios = pd.concat(frames, ignore_index=True) if frames else None


def scenario_rows(fit: LatentFit, plain, ovb, dml_sens, benchmark: bool) -> pd.DataFrame:
    """One scenario in the three frameworks (the Bayesian row from the job's own fit).

    :func:`amu_causal.sensitivity.scenario_table` fits and compiles its own
    latent model; the main job reuses one compiled model for all scenarios,
    so it builds the same rows from the pieces.
    """
    from .sensitivity import ConfounderScenario
    from .sensitivity.scenario import dml_row, ovb_row

    a = fit.result.effects().set_index("estimand").loc["ATE"]
    rows = [{"framework": "Bayesian latent confounder", "estimand": "ATE",
             "parameters": f"strengths {fit.participation:.2f} (participation), "
                           f"{fit.employment:.2f} (employment)",
             "unadjusted": plain.estimate("ATE"), "adjusted_estimate": a["estimate"],
             "adjusted_lower": a["ci_lower"], "adjusted_upper": a["ci_upper"],
             "interval": "95 % credible"}]
    nan = {"unadjusted": np.nan, "adjusted_estimate": np.nan, "adjusted_lower": np.nan,
           "adjusted_upper": np.nan}
    if benchmark:
        scenario = ConfounderScenario.like("months_employed")
        rows += [ovb_row(ovb, scenario), dml_row(dml_sens, scenario)]
    else:
        for framework in ("OLS omitted-variable bias", "DoubleML sensitivity"):
            rows.append({"framework": framework, "estimand": "-",
                         "parameters": "no translation of latent strengths", **nan,
                         "interval": ""})
    return pd.DataFrame(rows).assign(scenario=fit.label)


def _policy(analysis: Analysis) -> dict:
    """The policy scenarios from the plain posterior (and the first latent scenario's)."""
    from . import policy as pol

    df, truth, rate = analysis.data, analysis.truth, analysis.settings.rate
    tcells = pol.cells_from_truth(truth, df) if truth is not None else None
    results = pol.policy_scenarios(pol.cells_from_result(analysis.bayes, df), rate=rate,
                                   truth=tcells)
    national = pol.national_table(results).assign(posterior="plain model")
    if analysis.latent:
        fit = analysis.latent[0]
        extra = pol.national_table(pol.policy_scenarios(pol.cells_from_result(fit.result, df),
                                                        rate=rate, truth=tcells))
        national = pd.concat([national, extra.assign(posterior=f"latent confounder "
                                                               f"{fit.label}")],
                             ignore_index=True)
    national = national[["posterior", *[c for c in national.columns if c != "posterior"]]]
    return {"results": results, "national": national}
