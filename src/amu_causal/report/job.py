"""The main job behind ``amu-causal run``: every stage, in order, into one results folder.

Stages: data; the Bayesian model and the latent-confounder benchmark
scenarios (one compiled model), while a second process computes the
descriptives, calibration, OLS, DoubleML and their sensitivity analyses; the
report sections; the policy scenarios; the report; the export scan.
:mod:`amu_causal.report.sections` turns each stage's results into report
sections.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

__all__ = ["JobSettings", "run_job"]


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
        and 300 with ``quick``). Measured on the default register: 500 draws
        after 400 warm-up left the smallest bulk ESS at 343 (the municipality
        SD of the employment part); 1,000 after 1,000 gave 872, so 700 keeps
        it above 400 at about half the sampling time of 1,000 after 1,000.
        With 300 warm-up (nutpie's default) one run had a smallest bulk ESS
        of 352 and an R-hat of 1.013, so the warm-up stays at 400.
    quiet : bool
        No progress lines.
    command : str, optional
        The command line as typed (recorded in the manifest and the report).
    drop_incomplete : bool
        Drop rows of ``data`` with missing values in contract columns
        (:func:`amu_causal.drop_incomplete_rows`), reporting how many and why
        in the progress lines and the manifest.
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
    """

    def __init__(self, quiet: bool = False, console=None):
        self.quiet, self.done = quiet, 0
        self.start = time.perf_counter()
        self.log: list[tuple[str, float]] = []
        self.console = console

    @contextlib.contextmanager
    def running(self, label: str):
        """Show a spinner with ``label`` and the elapsed time while the block runs."""
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

    from ..baselines import DML, OLSFixedEffects
    from ..sensitivity import dml_sensitivity, ols_sensitivity
    from ..simulate import calibration_report
    from . import descriptives as d

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
    timed("ovb", lambda: ols_sensitivity(df))
    # One benchmark (the one the scenario uses): each benchmark is one more cross-fitted
    # IRM, the most expensive step of the job; experiments/03_sensitivity.py adds
    # education and sex.
    timed("dml_sensitivity", lambda: dml_sensitivity(df, dml=DML(random_seed=seed),
                                                     benchmarks=("months_employed",)))
    # the report's contour plot: computed here, while the main process samples, and
    # kept on the returned object
    timed("dml_contour", lambda: out["dml_sensitivity"].contour_grid("theta"))
    out["seconds"] = seconds
    limits.restore_original_limits()
    return out


def _load(settings: JobSettings):
    from ..data import (
        drop_incomplete_rows,
        load_register,
        read_column_mapping,
        validate_register,
    )
    from ..simulate import simulate_register

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
    from ..diagnostics import ConvergenceWarning
    from ..engine import fit_design

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
    from ..sensitivity import confounder_benchmarks

    bench = confounder_benchmarks(plain.idata.posterior, design, ("months_employed",))
    row = bench.iloc[0]
    # One benchmark scenario: each is a full posterior (about a quarter of the job's CPU
    # time at n = 23,125, measured in benchmarks/main_job.py). experiments/03_sensitivity.py
    # runs the grid of strengths and marks the simulated ones on a synthetic register.
    return [("as strong as months employed", float(row["participation"]),
             float(row["employment"]))]


def run_job(settings: JobSettings) -> Path:
    """Run the main job; return the path of ``report.html``.

    Raises
    ------
    amu_causal.privacy.PrivacyError
        When the finished folder breaks the export rules (never expected;
        the folder is kept for inspection and the report says nothing is
        safe to export until it is fixed).
    """
    import matplotlib

    matplotlib.use("Agg")  # files only; no display on a research server

    from ..bayesian import HierarchicalModel
    from ..engine import compiled_structure
    from ..models.confounder import LatentConfounder
    from ..models.design import build_design
    from ..privacy import check_outputs, exportable_municipalities
    from . import sections
    from .document import Document
    from .outputs import Outputs

    stages = Stages(settings.quiet)
    out = Outputs(settings.out, private=settings.private, min_count=settings.min_count,
                  synthetic=settings.synthetic)
    removed = out.start()
    if removed and not settings.quiet:
        print(f"replacing the results of an earlier run in {settings.out} "
              f"(removed {', '.join(removed)} first)", file=sys.stderr)
    df, truth = _load(settings)
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
        model = HierarchicalModel(draws=draws, tune=tune, random_seed=settings.seed,
                                  progressbar=not settings.quiet)
        design = build_design(df)
        # One compiled model serves the plain fit and the latent-confounder scenario:
        # with both strengths 0 the marginalised likelihood is the plain one exactly
        # (the weights sum to 1), and a second compilation is saved.
        fitted = model if settings.quick else replace(model, confounder=LatentConfounder(
            0.0, 0.0, distribution="binary"), draws=400, tune=200)
        with stages.running("compiling the Bayesian model (numba: about 20 s once cached, "
                            "60-100 s on a machine's first run)"):
            compiled_structure(fitted, design)
        stages("compiled the Bayesian model" + ("" if settings.quick else
               " (with a latent confounder, strengths as data)"))

        # The Bayesian fits run while the baselines finish in the worker.
        bayes = _fit(replace(fitted, draws=draws, tune=tune), design, settings.seed,
                     report_as=model)
        stages(f"Bayesian hierarchical model ({draws} draws after {tune} warm-up x "
               f"{model.chains} chains, {bayes.settings['seconds']:g} s sampling)")
        adjusted = []
        if not settings.quick:
            for k, (label, lam_d, lam_y) in enumerate(_latent_scenarios(bayes, design)):
                cell = replace(fitted, confounder=replace(fitted.confounder,
                                                          participation=lam_d,
                                                          employment=lam_y))
                result = _fit(cell, design, settings.seed + 1 + k)
                adjusted.append((label, lam_d, lam_y, result))
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

    note = ("Computed on SYNTHETIC data (amu_causal's calibrated register), not on real "
            "register data." if settings.synthetic else
            "Computed on the register data given with --data.")
    if settings.private:
        note += (" PRIVATE run: small cells are not suppressed and the saved posterior keeps "
                 "everything; do not export this folder.")
    doc = Document("amu_causal: AMU courses and refugees' employment", note=note)
    sections.register(doc, out, df, truth)
    sections.descriptives(doc, out, base)
    if settings.synthetic:
        sections.calibration(doc, out, base["calibration"])
    sections.estimators(doc, out, bayes, base["ols"], base["dml"], truth, df)
    for k, (_, _, _, result) in enumerate(adjusted):
        out.posterior(result.idata, f"posterior_latent_{k + 1}.nc",
                      municipality_n=exportable_municipalities(
                          result.municipality_effects(), min_count=out.min_count))
    sections.sensitivity(doc, out, bayes, base, adjusted, truth, quick=settings.quick)
    stages("descriptives, estimators and sensitivity analyses written")

    sections.policy(doc, out, bayes, adjusted, df, truth, rate=settings.rate)
    stages("policy scenarios")

    sections.closing(doc, out, settings, stages)
    md, page = doc.write(out.folder)
    out.add(md.name, "report")
    out.add(page.name, "report")
    out.write_manifest(**provenance(settings, n_people=len(df), stages=stages.log,
                                    dropped_incomplete=None if dropped is None
                                    else dropped.to_dict("records")))
    if not settings.private:
        check_outputs(out.folder, min_count=settings.min_count, n_people=len(df))
        stages("export scan: no microdata and no cell below "
               f"{settings.min_count} people")
    stages(f"wrote {page}")
    return page


def provenance(settings: JobSettings, **extra) -> dict:
    """What ``manifest.json`` records about how a run was made.

    The command with every option, the settings, the package, Python,
    platform and dependency versions, the input file's SHA-256 and the column
    mapping used (its content and checksum), the seeds, and whatever is
    passed in ``extra`` (people, stage wall times).
    """
    from ..provenance import command_line, environment, inputs

    draws, tune = settings.sampling
    return {
        "command": settings.command or command_line(),
        "settings": {"data": settings.data, "columns": settings.columns, "out": settings.out,
                     "quick": settings.quick, "n": settings.n, "private": settings.private,
                     "min_count": settings.min_count, "rate": settings.rate, "draws": draws,
                     "tune": tune, "drop_incomplete": settings.drop_incomplete},
        "seeds": {"root": settings.seed, "simulation": None if settings.data else settings.seed,
                  "estimators and sampler": settings.seed},
        "inputs": inputs(settings.data, settings.columns, mapping_content=True),
        "environment": environment(), **extra,
    }
