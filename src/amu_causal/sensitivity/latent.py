"""Bayesian sensitivity: the joint model with a latent confounder on a grid of strengths."""

from __future__ import annotations

import contextlib
import hashlib
import numbers
import tempfile
import time
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from .._atomic import atomic_path
from ..bayesian import HierarchicalModel
from ..models.confounder import LatentConfounder
from ..models.design import Design, build_design
from ..validation.execution import run_study
from ..validation.store import StudyStore
from .benchmarks import confounder_benchmarks

__all__ = ["LatentGridResult", "latent_confounder_grid"]

@dataclass
class LatentGridResult:
    """The AMU effect over a grid of latent-confounder strengths.

    Built by :func:`latent_confounder_grid`; a grid table saved with
    :meth:`to_csv` can be wrapped again as ``LatentGridResult(grid, benchmarks)``.

    Parameters
    ----------
    grid : pandas.DataFrame
        One row per cell and estimand (``ATE``, ``ATT``,
        ``ATE[attachment=none]``): strengths ``participation`` and
        ``employment``, posterior ``estimate``, ``std_error``, interval,
        ``p_positive``, the estimand's own ``r_hat`` and ``ess_bulk``, and the
        cell's worst ``max_r_hat`` and ``min_ess_bulk`` over hyperparameters and
        estimands, ``divergences`` and ``seconds``.
    benchmarks : pandas.DataFrame
        Strengths as strong as observed covariates
        (:func:`confounder_benchmarks`).
    settings : dict
        Model and sampler settings of the grid.

    Notes
    -----
    The strengths are **not identified by the data**. Each cell is the
    posterior given its pair of strengths; the grid shows how the
    conclusion depends on an assumption the register cannot check.

    Examples
    --------
    Each cell is an MCMC fit, so the lines are not run as doctests:

    >>> import amu_causal as ac
    >>> df, _ = ac.simulate_register(n=3_000, seed=1)
    >>> grid = ac.sensitivity.latent_confounder_grid(
    ...     df, participation=(0, 0.5, 1), employment=(0, 0.5, 1))  # doctest: +SKIP
    >>> grid.surface("estimate")  # doctest: +SKIP
    >>> grid.tipping_points()  # doctest: +SKIP
    >>> print(grid.summary())  # doctest: +SKIP
    """

    grid: pd.DataFrame
    benchmarks: pd.DataFrame
    settings: dict = field(default_factory=dict)

    def table(self, estimand: str = "ATE") -> pd.DataFrame:
        """Rows of one estimand.

        Parameters
        ----------
        estimand : str, default "ATE"
            ``ATE``, ``ATT`` or a group estimand such as ``ATE[attachment=none]``.

        Returns
        -------
        pandas.DataFrame
            The grid rows of that estimand, one per cell.
        """
        out = self.grid[self.grid["estimand"] == estimand]
        if out.empty:
            raise ValueError(f"no estimand {estimand!r}; the grid has "
                             f"{sorted(self.grid['estimand'].unique())}")
        return out.reset_index(drop=True)

    def surface(self, quantity: str = "estimate", estimand: str = "ATE") -> pd.DataFrame:
        """A quantity as a matrix: rows employment strength, columns participation.

        Parameters
        ----------
        quantity : str, default "estimate"
            A column of :meth:`table` (``estimate``, ``p_positive``, ``ci_lower``,
            ...).
        estimand : str, default "ATE"

        Returns
        -------
        pandas.DataFrame
        """
        return self.table(estimand).pivot(index="employment", columns="participation",
                                          values=quantity)

    def tipping_points(self, estimand: str = "ATE", probability: float = 0.95) -> pd.DataFrame:
        """Where the conclusion tips, along each participation strength and the diagonal.

        For each participation strength, the employment strength at which
        the posterior mean crosses zero and at which P(effect > 0) drops
        below ``probability`` (linear interpolation between grid points;
        NaN when it does not happen inside the grid). The ``diagonal`` row
        moves both strengths together (where the grid is square).

        Parameters
        ----------
        estimand : str, default "ATE"
        probability : float, default 0.95
            The posterior probability of a positive effect below which the
            conclusion counts as tipped.

        Returns
        -------
        pandas.DataFrame
            ``participation``, ``employment_at_zero`` and
            ``employment_at_p<probability>``.
        """
        rows = []
        est = self.surface("estimate", estimand)
        prob = self.surface("p_positive", estimand)
        for lam_d in est.columns:
            rows.append({"participation": lam_d,
                         "employment_at_zero": _crossing(est.index, est[lam_d].to_numpy(), 0.0),
                         f"employment_at_p{probability:g}": _crossing(
                             prob.index, prob[lam_d].to_numpy(), probability)})
        out = pd.DataFrame(rows)
        if list(est.index) == list(est.columns):
            diag = np.asarray(est.index, dtype=float)
            rows = {"participation": "diagonal",
                    "employment_at_zero": _crossing(diag, np.diag(est.to_numpy()), 0.0),
                    f"employment_at_p{probability:g}": _crossing(
                        diag, np.diag(prob.to_numpy()), probability)}
            out = pd.concat([out, pd.DataFrame([rows])], ignore_index=True)
        return out

    def summary(self, estimand: str = "ATE") -> str:
        """Plain-words reading of the grid.

        Parameters
        ----------
        estimand : str, default "ATE"

        Returns
        -------
        str
        """
        t = self.table(estimand)
        zero = t[(t["participation"] == 0) & (t["employment"] == 0)]
        text = []
        if len(zero):
            z = zero.iloc[0]
            text.append(f"Without a latent confounder the {estimand} is {100 * z['estimate']:.1f} "
                        f"points [{100 * z['ci_lower']:.1f}, {100 * z['ci_upper']:.1f}], "
                        f"P(> 0) = {z['p_positive']:.3f}.")
        tips = self.tipping_points(estimand)
        diag = tips[tips["participation"] == "diagonal"]
        if len(diag):
            d = diag.iloc[0]
            at_zero, at_p = d["employment_at_zero"], d.iloc[2]
            def where(value):
                return f"{value:.2f}" if np.isfinite(value) else "no strength in the grid"

            text.append("With equal strengths on participation and employment, P(effect > 0) "
                        f"falls below 0.95 at {where(at_p)} and the posterior mean reaches zero "
                        f"at {where(at_zero)} (log-odds per SD of U).")
        for row in self.benchmarks.itertuples(index=False):
            text.append(f"A confounder as strong as {row.benchmark}: strengths "
                        f"{row.participation:.2f} (participation), {row.employment:.2f} "
                        "(employment).")
        bad = t[(t["max_r_hat"] > 1.01) | (t["divergences"] > 0)]
        if len(bad):
            own = t[(t["r_hat"] > 1.01) | (t["ess_bulk"] < 400)] if "r_hat" in t else t.iloc[:0]
            text.append(f"{len(bad)} of {len(t)} cells did not pass the convergence checks on "
                        "every hyperparameter (R-hat > 1.01 or divergences); for the "
                        f"{estimand} itself {len(own)} cells have R-hat > 1.01 or bulk ESS "
                        "< 400. Read those with care or refit them with more draws.")
        return "\n".join(text)

    def plot_contour(self, quantity: str = "estimate", estimand: str = "ATE", ax=None):
        """Contours of the posterior mean (or P(effect > 0)) over the two strengths.

        Parameters
        ----------
        quantity : {"estimate", "p_positive"}, default "estimate"
        estimand : str, default "ATE"
        ax : matplotlib.axes.Axes, optional
            Where to draw.

        Returns
        -------
        matplotlib.axes.Axes
        """
        from .plots import plot_latent_contour

        return plot_latent_contour(self, quantity=quantity, estimand=estimand, ax=ax)

    def to_csv(self, path) -> Path:
        """Write the grid table.

        Parameters
        ----------
        path : str or path-like
            Target CSV file; written atomically.

        Returns
        -------
        pathlib.Path
        """
        with atomic_path(path) as tmp:
            self.grid.to_csv(tmp, index=False)
        return Path(path)


def _crossing(x, y, level: float) -> float:
    """First x at which y falls through ``level`` (linear interpolation)."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    above = y >= level
    if not above[0]:
        return float(x[0])  # tipped already at the smallest strength
    for i in range(1, len(x)):
        if not above[i]:
            return float(x[i - 1] + (level - y[i - 1]) * (x[i] - x[i - 1]) / (y[i] - y[i - 1]))
    return np.nan


def _cells(participation, employment) -> list[tuple[float, float]]:
    """The grid's cells, row by row (one row per employment strength)."""
    return [(float(lam_d), float(lam_y)) for lam_y in employment for lam_d in participation]


_ESTIMANDS = ("ATE", "ATT", "ATE[attachment=none]")


def latent_confounder_grid(
    df: pd.DataFrame,
    participation=(0.0, 0.25, 0.5, 0.75, 1.0),
    employment=(0.0, 0.25, 0.5, 0.75, 1.0),
    *,
    model: HierarchicalModel | None = None,
    draws: int = 250,
    tune: int = 150,
    target_accept: float = 0.65,
    distribution: str = LatentConfounder.distribution,
    nodes: int = LatentConfounder.nodes,
    benchmarks=("months_employed", "education", "sex"),
    directory: str | Path | None = None,
    executor=None,
    workers: int = 0,
    progress: bool = True,
    random_seed: int | None = 1,
) -> LatentGridResult:
    """Fit the joint model with a latent confounder of each pair of strengths.

    Parameters
    ----------
    df : pandas.DataFrame
        Register data in the contract.
    participation, employment : sequence of float
        Strengths on the log-odds of participation and of employment per
        standard deviation of U (see :class:`LatentConfounder`).
    model : HierarchicalModel, optional
        The model and sampler settings (its ``draws``, ``tune`` and
        ``target_accept`` are replaced by this function's); it must use
        nutpie, which compiles the model once for the whole grid.
    draws, tune : int, default 250 and 150
        Kept draws and warm-up per chain and cell, fewer than for a single
        fit so that a grid finishes in reasonable time. Each cell's R-hat,
        ESS and divergences are in the table; refit the cells that matter
        with full draws.
    target_accept : float, default 0.65
        NUTS's target acceptance rate, lower than a single fit's 0.8 so that
        a cell needs fewer gradients (measurements in docs/performance.rst).
        Every cell's divergences are in the table.
    distribution : {"normal", "binary"}, default "normal"
        The distribution of U, as in :class:`LatentConfounder` (the same
        default as a single fit and the main job): a standard normal U
        integrated by Gauss-Hermite quadrature with ``nodes`` points, or a
        standardised binary U with prevalence 0.5 (Imbens 2003). Both have
        standard deviation 1, so the strengths and the benchmarks mean the
        same for both.
    nodes : int, default 9
        Gauss-Hermite points for a normal U (see :class:`LatentConfounder`
        for the accuracy by strength). Ignored for a binary U.
    benchmarks : sequence of str
        Observed covariates whose strength is computed from the cell with
        the smallest strengths (the plain model when the grid has (0, 0)).
    directory : path, optional
        A study store (:class:`amu_causal.validation.StudyStore`: one file per
        finished cell, as for Monte Carlo and SBC); a rerun with the same
        data, grid and settings fits only the cells missing there (resume),
        and a store of other data or settings is refused. Without it the
        cells live in a temporary folder for the length of the call.
    executor : concurrent.futures.Executor, optional
        Where to fit the cells, e.g. ``client.get_executor()`` of a
        ``dask.distributed`` client; each worker compiles the model once and
        fits its cells on one core.
    workers : int, default 0
        Without ``executor``: 0 fits the cells in this process one after
        another, each with the model's chains in parallel; 1 or more, in a
        local pool of that many single-threaded processes. The numbers do
        not depend on where a cell ran (nutpie's draws depend on the seed,
        not on the cores; tested).
    progress : bool, default True
        A progress bar over cells.
    random_seed : int, optional
        Seed of the first cell; cell *k* uses ``random_seed + k``.

    Returns
    -------
    LatentGridResult

    Notes
    -----
    The model is compiled once with the strengths as data and each cell
    only swaps them (:func:`amu_causal.engine.fit_design`). Cells start cold: nutpie
    adapts its mass matrix afresh in each cell, and starting a cell at
    draws of its neighbour's posterior was measured to lengthen the
    warm-up (nutpie's first mass matrix comes from the gradient at the
    starting point, which is small near the mode), so no warm start is
    used. The cost of a cell is its gradient evaluations times the cost of
    one gradient; ``benchmarks/sensitivity_grid.py`` measures both, and the
    performance page gives the wall times.

    Examples
    --------
    Each cell is an MCMC fit, so the lines are not run as doctests:

    >>> import amu_causal as ac
    >>> df, _ = ac.simulate_register(n=3_000, seed=1)
    >>> grid = ac.sensitivity.latent_confounder_grid(
    ...     df, participation=(0, 0.5), employment=(0, 0.5),
    ...     directory="latent_grid")  # doctest: +SKIP
    >>> ax = grid.plot_contour("p_positive")  # doctest: +SKIP
    """
    model = model or HierarchicalModel(progressbar=False)
    if model.sampler != "nutpie":
        raise ValueError("the grid reuses one compiled model, which needs sampler='nutpie'")
    participation = [float(v) for v in participation]
    employment = [float(v) for v in employment]
    if not participation or not employment:
        raise ValueError("participation and employment need at least one strength each")
    model = replace(model, draws=draws, tune=tune, target_accept=target_accept,
                    progressbar=False,
                    confounder=LatentConfounder(participation[0], employment[0],
                                                distribution=distribution, nodes=nodes))
    benchmarks = tuple(benchmarks)
    design = build_design(df)
    cells = _cells(participation, employment)
    smallest = min(cells, key=sum)  # the benchmarks' cell: the plain model when (0, 0)

    in_worker = executor is not None or workers != 0

    def make_task(k: int) -> _Cell:
        lam_d, lam_y = cells[k]
        cell_model = replace(model, confounder=replace(model.confounder, participation=lam_d,
                                                       employment=lam_y))
        return _Cell(cell_model, design, None if random_seed is None else random_seed + k,
                     benchmarks if (lam_d, lam_y) == smallest and benchmarks else None,
                     in_worker)

    def describe(task: _Cell, frame: pd.DataFrame) -> str:
        ate = frame[(frame["kind"] == "cell") & (frame["estimand"] == "ATE")]["estimate"]
        lam_d, lam_y = task.strengths
        return f"U strengths ({lam_d:g}, {lam_y:g}): ATE {100 * float(ate.iloc[0]):.1f} points"

    definition = {"kind": "latent_grid", "data": _design_hash(design),
                  "settings": _grid_settings(model, random_seed), "cells": cells,
                  "benchmarks": list(benchmarks), "random_seed": random_seed}
    with contextlib.ExitStack() as stack:
        if directory is None:
            directory = stack.enter_context(tempfile.TemporaryDirectory())
        stored = run_study(StudyStore(directory, definition), len(cells), make_task, _fit_cell,
                           executor=executor, workers=workers, progress=progress,
                           label="latent-confounder grid", describe=describe)
    rows = stored[stored["kind"] == "cell"].astype({"divergences": int})
    benchmark_table = (stored[stored["kind"] == "benchmark"]
                       .reindex(columns=["benchmark", "participation", "employment"])
                       .reset_index(drop=True))
    grid = (rows.drop(columns=["kind", "benchmark", "replication"], errors="ignore")
            .sort_values(["estimand", "employment", "participation"]))
    return LatentGridResult(
        grid=grid.reset_index(drop=True),
        benchmarks=benchmark_table,
        settings={"draws": draws, "tune": tune, "target_accept": target_accept,
                  "distribution": distribution,
                  "nodes": nodes if distribution == "normal" else None, "chains": model.chains,
                  "participation": participation, "employment": employment,
                  "model": model.name},
    )


@dataclass(frozen=True)
class _Cell:
    """One cell of the grid: its model (strengths set), the data, seed and benchmarks."""

    model: HierarchicalModel
    design: Design
    seed: int | None
    benchmarks: tuple | None  # computed in the cell with the smallest strengths only
    in_worker: bool  # one core per cell: the chains run one after another

    @property
    def strengths(self) -> tuple[float, float]:
        return (self.model.confounder.participation, self.model.confounder.employment)


def _fit_cell(cell: _Cell) -> pd.DataFrame:
    """Fit one cell (here or in a worker): its table rows, and the benchmarks' if asked."""
    from ..engine import fit_design
    from ..validation.execution import single_threaded

    start = time.perf_counter()
    with contextlib.ExitStack() as stack:
        stack.enter_context(warnings.catch_warnings())
        warnings.simplefilter("ignore")  # each cell's diagnostics are in the table
        options = {}
        if cell.in_worker:
            stack.enter_context(single_threaded())
            options["cores"] = 1
        result = fit_design(cell.model, cell.design, progressbar=False, random_seed=cell.seed,
                            **options)
    rows = pd.DataFrame(_cell_rows(result, *cell.strengths, time.perf_counter() - start))
    frames = [rows.assign(kind="cell")]
    if cell.benchmarks is not None:
        frames.append(confounder_benchmarks(result.posterior, cell.design, list(cell.benchmarks))
                      .assign(kind="benchmark"))
    return pd.concat(frames, ignore_index=True)


def _cell_rows(result, lam_d: float, lam_y: float, seconds: float) -> list[dict]:
    diag = result.diagnostics()
    by_name = diag.set_index("parameter")
    effects = result.effects().set_index("estimand")
    rows = []
    for estimand in _ESTIMANDS:
        r = effects.loc[estimand]
        own = by_name.loc[estimand]
        rows.append({"participation": lam_d, "employment": lam_y, "estimand": estimand,
                     "estimate": r["estimate"], "std_error": r["std_error"],
                     "ci_lower": r["ci_lower"], "ci_upper": r["ci_upper"],
                     "p_positive": r["p_positive"], "r_hat": float(own["r_hat"]),
                     "ess_bulk": float(own["ess_bulk"]),
                     "max_r_hat": float(diag["r_hat"].max()),
                     "min_ess_bulk": float(diag["ess_bulk"].min()),
                     "divergences": int(result.sampler.get("divergences", 0)),
                     "seconds": round(seconds, 1)})
    return rows


def _design_hash(design: Design) -> str:
    """A short hash of the register as the model sees it."""
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(design.X).tobytes())
    h.update(design.treatment.tobytes())
    h.update(design.outcome.tobytes())
    h.update(design.municipality_index.tobytes())
    return h.hexdigest()[:16]


def _grid_settings(model: HierarchicalModel, random_seed) -> dict:
    """Every model and sampler setting that changes a cell's numbers.

    The model's own fields (priors, sampler settings, level, confounder type and
    nodes) as text; the strengths are the grid's cells, and the seed is the
    grid's unless it has none (then the model's, if it is a number).
    """
    seed = model.random_seed if isinstance(model.random_seed, numbers.Integral) else None
    keyed = replace(model, progressbar=False, random_seed=seed if random_seed is None else None,
                    confounder=model.confounder and replace(model.confounder,
                                                            participation=0.0, employment=0.0))
    return {"model": repr(keyed), "u_scale": "standardised"}
