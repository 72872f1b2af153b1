"""The one fit path of the Bayesian model: compile a structure once, fit any register of it.

Every Bayesian fit in the package goes through :func:`fit_design`:
:meth:`HierarchicalModel.fit <amu_causal.HierarchicalModel.fit>`, the
latent-confounder grid and scenarios, the main job, Monte Carlo and SBC.

A *structure* is what the compiled log density depends on: the priors, the
model's options (Mundlak terms, joint or employment-only, the latent
confounder's kind) and the shape of the data (:func:`design_shape`: people,
municipalities, numeric controls, factor levels). The model is built with
the fused likelihood (:mod:`amu_causal.models.likelihood`), whose
per-person arrays and fixed confounder strengths are ``pm.Data``; nutpie
compiles it once per process and structure, and each fit swaps the data in
(``CompiledModel.with_data``). Every fit, the first included, goes through
the same compiled function, so a fit's draws do not depend on what the
process fitted before.

Compilation is cached on disk as well: the compiled graph does not contain
the data, so PyTensor's numba cache serves any register of the same
structure in a later process (measured in docs/performance.rst).

Samplers other than nutpie (PyMC's NUTS, numpyro) sample the reference
form of the model (PyMC's own Bernoulli likelihood) without a cache.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np

from .data.municipalities import municipalities
from .diagnostics import Thresholds, check_convergence
from .models.design import Design
from .models.joint import fused_data
from .sampling import compile_model, sample_model, seed_to_int

__all__ = ["CompiledStructure", "clear_cache", "compiled_structure", "design_shape",
           "fit_design", "needs_refit", "padded_design", "structure_key"]

# Per process: structure key -> CompiledStructure. Process-pool and Dask workers keep
# their own; one entry at a time keeps a worker's memory flat.
_CACHE: dict = {}


def design_shape(design: Design) -> tuple:
    """What must agree between two designs for one compiled model to fit both.

    Parameters
    ----------
    design : Design

    Returns
    -------
    tuple
        People, municipality codes, numeric controls and factor levels.

    Examples
    --------
    >>> import amu_causal as ac
    >>> from amu_causal.engine import design_shape
    >>> from amu_causal.models import build_design
    >>> design_shape(build_design(ac.simulate_register(n=300, seed=1)[0]))[0]
    300
    """
    return (design.n, design.municipalities, design.numeric_names,
            tuple(sorted(design.factor_levels.items())))


def structure_key(model, design: Design) -> tuple:
    """The key under which a compiled model of ``model`` and ``design`` is reused.

    Sampler settings and seeds do not enter (they are not part of the
    compiled log density), nor do fixed confounder strengths (they are
    data); with Mundlak terms the kept municipal-mean columns do.

    Parameters
    ----------
    model : HierarchicalModel
    design : Design

    Returns
    -------
    tuple

    Examples
    --------
    >>> import amu_causal as ac
    >>> from amu_causal.engine import padded_design, structure_key
    >>> from amu_causal.models import build_design
    >>> a, b = (padded_design(build_design(ac.simulate_register(n=600, seed=s)[0]))
    ...         for s in (1, 2))
    >>> structure_key(ac.HierarchicalModel(), a) == structure_key(
    ...     ac.HierarchicalModel(draws=200), b)
    True
    """
    confounder = model.confounder
    if confounder is not None:
        confounder = replace(
            confounder,
            participation=None if confounder.participation is None else 0.0,
            employment=None if confounder.employment is None else 0.0)
    mundlak = None
    if model.mundlak:
        from .models.joint import mundlak_terms

        mundlak = tuple(mundlak_terms(design)[0])
    return (model.priors, model.joint, confounder, mundlak, design_shape(design))


@dataclass
class CompiledStructure:
    """A model structure built and compiled once.

    Parameters
    ----------
    key : tuple
        :func:`structure_key`.
    pm_model : pymc.Model
        The model with the fused likelihood, data as ``pm.Data``.
    compiled : object
        nutpie's compiled model.
    compile_seconds : float
        Time spent building and compiling it.

    Examples
    --------
    >>> import amu_causal as ac
    >>> from amu_causal.engine import compiled_structure
    >>> from amu_causal.models import build_design
    >>> design = build_design(ac.simulate_register(n=600, seed=1)[0])
    >>> entry, reused = compiled_structure(ac.HierarchicalModel(), design)  # doctest: +SKIP
    >>> entry.pm_model["likelihood"].name  # doctest: +SKIP
    'likelihood'
    """

    key: tuple
    pm_model: object
    compiled: object
    compile_seconds: float

    def with_register(self, model, design: Design):
        """nutpie's compiled model with ``design``'s data (and fixed strengths) swapped in.

        Parameters
        ----------
        model : HierarchicalModel
            The model this structure was compiled for.
        design : Design
            A register of the same structure (:func:`structure_key`).

        Returns
        -------
        object
            What :func:`nutpie.sample` takes.

        Examples
        --------
        >>> import amu_causal as ac
        >>> from amu_causal.engine import compiled_structure
        >>> from amu_causal.models import build_design
        >>> model, design = ac.HierarchicalModel(), build_design(
        ...     ac.simulate_register(n=600, seed=1)[0])
        >>> entry, _ = compiled_structure(model, design)  # doctest: +SKIP
        >>> compiled = entry.with_register(model, design)  # doctest: +SKIP
        """
        return self.compiled.with_data(**_data(model, design))


def compiled_structure(model, design: Design) -> tuple[CompiledStructure, bool]:
    """This process's compiled model of ``model``'s structure, compiling it if needed.

    Parameters
    ----------
    model : HierarchicalModel
        With ``sampler="nutpie"``.
    design : Design

    Returns
    -------
    entry : CompiledStructure
    reused : bool
        Whether it came from the cache.

    Examples
    --------
    Compiling takes 20-70 s, so the lines are not run as doctests:

    >>> import amu_causal as ac
    >>> from amu_causal.engine import compiled_structure
    >>> from amu_causal.models import build_design
    >>> design = build_design(ac.simulate_register(n=600, seed=1)[0])
    >>> entry, reused = compiled_structure(ac.HierarchicalModel(), design)  # doctest: +SKIP
    >>> compiled_structure(ac.HierarchicalModel(draws=200), design)[1]  # doctest: +SKIP
    True
    """
    key = structure_key(model, design)
    entry = _CACHE.get(key)
    if entry is not None:
        return entry, True
    start = time.perf_counter()
    pm_model = model.build_from_design(design, likelihood="fused")
    compiled = compile_model(pm_model, "nutpie")
    entry = CompiledStructure(key, pm_model, compiled, time.perf_counter() - start)
    _CACHE.clear()
    _CACHE[key] = entry
    return entry, False


def clear_cache() -> None:
    """Forget this process's compiled model (the disk cache stays).

    Examples
    --------
    >>> from amu_causal.engine import clear_cache
    >>> clear_cache()
    """
    _CACHE.clear()


def _data(model, design: Design) -> dict[str, np.ndarray]:
    data = fused_data(design, mundlak=model.mundlak)
    confounder = model.confounder
    if confounder is not None:
        if confounder.participation is not None:
            data["confounder_participation"] = np.asarray(float(confounder.participation))
        if confounder.employment is not None:
            data["confounder_employment"] = np.asarray(float(confounder.employment))
    return data


def fit_design(model, design: Design, *, random_seed=None, cores: int | None = None,
               progressbar: bool | None = None, strict: bool = False, report_as=None):
    """Fit ``model`` to a coded register: the package's one Bayesian fit path.

    Parameters
    ----------
    model : HierarchicalModel
        Model and sampler settings.
    design : Design
        The coded register (:func:`amu_causal.models.build_design`; for many
        registers of one size, :func:`padded_design` so that they share a
        structure).
    random_seed : int or numpy.random.Generator, optional
        The sampler's seed (default: the model's ``random_seed``).
    cores : int, optional
        Chains run at once; ``1`` runs them one after another in one thread
        (for many fits side by side on a process pool). Default: one per
        chain, up to the available cores.
    progressbar : bool, optional
        Default: the model's setting.
    strict : bool, default False
        Raise :class:`~amu_causal.diagnostics.ConvergenceError` instead of
        warning when a convergence check fails.
    report_as : HierarchicalModel, optional
        The model the result is reported as, when ``model`` is the same
        structure fitted at settings that make it equal (a latent confounder
        of strength 0 is the plain model); default ``model``.

    Returns
    -------
    CausalResult
        As :meth:`HierarchicalModel.result_from_idata`, of the last run;
        ``settings`` records ``seconds`` (sampling and estimands, all runs),
        ``compile_seconds`` (0 when the compiled model was reused), the
        reported run's ``tune`` and ``draws`` under ``sampler``, and
        ``attempts``: one entry per run (warm-up, draws, seed, seconds and
        its problems). A run is repeated, longer, when :func:`needs_refit`
        says so, up to ``model.refits`` times.

    Examples
    --------
    Each fit is an MCMC run, so the lines are not run as doctests:

    >>> import amu_causal as ac
    >>> from amu_causal.engine import fit_design, padded_design
    >>> from amu_causal.models import build_design
    >>> model = ac.HierarchicalModel(random_seed=1)
    >>> results = [fit_design(model, padded_design(build_design(
    ...     ac.simulate_register(n=2_000, seed=s)[0])), cores=1)
    ...     for s in (1, 2)]  # doctest: +SKIP
    >>> [r.settings["compile_seconds"] > 0 for r in results]  # doctest: +SKIP
    [True, False]
    """
    seed = seed_to_int(model.random_seed if random_seed is None else random_seed)
    settings = model.sampler_settings()
    settings = replace(settings, cores=cores if cores is not None else settings.cores,
                       progressbar=settings.progressbar if progressbar is None
                       else progressbar)
    compile_seconds = 0.0
    if model.sampler == "nutpie":
        entry, reused = compiled_structure(model, design)
        compile_seconds = 0.0 if reused else entry.compile_seconds
        compiled = entry.with_register(model, design)
    attempts = []
    for attempt in range(model.refits + 1):
        run_seed = _refit_seed(seed, attempt)
        start = time.perf_counter()
        if model.sampler == "nutpie":
            idata = sample_model(entry.pm_model, settings, random_seed=run_seed,
                                 compiled=compiled)
        else:
            idata = sample_model(model.build_from_design(design), settings,
                                 random_seed=run_seed)
        # Checked silently: the run that is reported is checked (and warns) below
        result = (report_as or model).result_from_idata(
            idata, design, seconds=time.perf_counter() - start, warn=False)
        attempts.append({"tune": settings.tune, "draws": settings.draws, "seed": run_seed,
                         "seconds": result.settings["seconds"],
                         "problems": list(result.problems)})
        if not needs_refit(result.diagnostics_table, model.thresholds):
            break
        if attempt < model.refits:
            settings = replace(settings, tune=2 * settings.tune, draws=2 * settings.draws)
    check_convergence(result.diagnostics_table, result.sampler, model.thresholds,
                      strict=strict)
    result.settings["compile_seconds"] = round(compile_seconds, 1)
    result.settings["seconds"] = round(sum(a["seconds"] for a in attempts), 1)
    result.settings["sampler"].update(tune=settings.tune, draws=settings.draws)
    result.settings["attempts"] = attempts
    return result


def needs_refit(table, thresholds: Thresholds | None = None) -> bool:
    """Whether a run should be sampled again, longer (see ``HierarchicalModel.refits``).

    True when an estimand the result reports (ATE, ATT, ATC, and the ATE and
    ATT by group) has an R-hat above the limit or a bulk ESS below it. A
    hyperparameter that misses a threshold while the estimands do not keeps
    its warning but does not trigger a refit (docs/model.rst, "Diagnostics",
    gives the evidence for drawing the line there).

    Parameters
    ----------
    table : pandas.DataFrame
        A result's ``diagnostics_table`` (``parameter``, ``r_hat``, ``ess_bulk``).
    thresholds : Thresholds, optional
        The limits (default :class:`~amu_causal.diagnostics.Thresholds`).

    Returns
    -------
    bool
        Whether to sample again.

    Examples
    --------
    >>> import pandas as pd
    >>> from amu_causal.engine import needs_refit
    >>> table = pd.DataFrame({"parameter": ["municipality_sd[employment]", "ATE"],
    ...                       "r_hat": [1.02, 1.002], "ess_bulk": [250.0, 900.0]})
    >>> needs_refit(table)
    False
    >>> needs_refit(table.assign(r_hat=[1.02, 1.03]))
    True
    """
    limits = thresholds or Thresholds()
    if table is None or not len(table):
        return False
    estimands = table[table["parameter"].str.match(r"^AT[ETC](\[|$)")]
    # NaN R-hat (one chain) compares False: it is undefined, not bad
    return bool((estimands["r_hat"] > limits.r_hat).any()
                or (estimands["ess_bulk"] < limits.ess).any())


def _refit_seed(seed: int | None, attempt: int) -> int | None:
    """The first run uses ``seed``; refit ``k`` uses a seed derived from it and ``k``."""
    if seed is None or attempt == 0:
        return seed
    return int(np.random.SeedSequence([seed, attempt]).generate_state(1)[0] % (2**31 - 1))


def padded_design(design: Design) -> Design:
    """The design with all 98 municipalities, present in the data or not.

    Small registers miss a few small municipalities; padded, registers of
    one size share a structure (:func:`design_shape`) and one compiled
    model. Municipalities without people are in the model with their prior,
    as they are in a full register where all 98 have refugees, and carry no
    weight in any estimand (which averages over people).

    Parameters
    ----------
    design : Design
        From :func:`amu_causal.models.build_design`.

    Returns
    -------
    Design
        ``municipalities`` is every municipality code and
        ``municipality_index`` points into it; municipal means of absent
        municipalities are 0 (they are only used for Mundlak terms).

    Examples
    --------
    >>> import amu_causal as ac
    >>> from amu_causal.models import build_design
    >>> from amu_causal.engine import padded_design
    >>> df, _ = ac.simulate_register(n=200, seed=1)
    >>> len(build_design(df).municipalities) < len(padded_design(build_design(df)).municipalities)
    True
    """
    codes = tuple(int(c) for c in np.sort(municipalities()["code"].to_numpy()))
    if design.municipalities == codes:
        return design
    position = np.searchsorted(codes, np.asarray(design.municipalities))
    index = position[design.municipality_index].astype(np.int64)
    k = len(codes)
    counts = np.bincount(index, minlength=k)
    safe = np.maximum(counts, 1)
    treat_mean = np.bincount(index, weights=design.treatment, minlength=k) / safe
    control_means = (np.vstack([np.bincount(index, weights=design.X[:, j], minlength=k) / safe
                                for j in range(design.X.shape[1])]).T
                     if design.X.shape[1] else np.zeros((k, 0)))
    return replace(design, municipalities=codes, municipality_index=index,
                   municipal_treatment_mean=treat_mean, municipal_control_means=control_means)
