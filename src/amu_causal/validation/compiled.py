"""Fit the hierarchical model many times with one compilation per worker.

nutpie compiles each PyMC model with numba, which takes longer than sampling
a small register (measured: 44 s to compile, 23 s to sample 2 x 1,000
iterations at n = 2,000). A Monte Carlo study or an SBC run fits the same
model to many registers of one size, so here the model's data are turned
into shared variables once, the model is compiled once per worker process
and per shape, and each fit only swaps the data
(``CompiledModel.with_data``). Every fit, the first included, goes through
the same compiled function, so a replication's draws do not depend on which
worker ran it or what it ran before.

The model's municipality dimension must then have the same length in every
register. Small registers miss a few small municipalities, so the design is
*padded* to all 98 municipalities (:func:`padded_design`): municipalities
without people are in the model with their prior, as they are in a full
register where all 98 have refugees, and they carry no weight in any
estimand (which averages over people).
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from ..bayesian import HierarchicalModel
from ..data.municipalities import municipalities
from ..models.design import Design
from ..sampling import compile_model, sample_model

__all__ = ["SharedDataModel", "fit_compiled", "padded_design", "share_design_data"]

# Per-process cache: (model settings, shape) -> SharedDataModel. Process pool and
# Dask workers each keep their own.
_CACHE: dict = {}


def padded_design(design: Design) -> Design:
    """The design with all 98 municipalities, present in the data or not.

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
    >>> from amu_causal.validation.compiled import padded_design
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


def _design_arrays(design: Design) -> dict[str, np.ndarray]:
    arrays = {"treatment": design.treatment, "outcome": design.outcome,
              "numeric": design.numeric, "municipality_index": design.municipality_index,
              "attachment_index": design.attachment_index}
    arrays.update({f"factor_{name}": index for name, index in design.factors.items()})
    arrays["factor_positions"] = design.factor_positions
    return arrays


def design_shape(design: Design) -> tuple:
    """What must agree between two designs for one compiled model to fit both."""
    return (design.n, design.municipalities, design.numeric_names,
            tuple(sorted(design.factor_levels.items())))


class SharedDataModel:
    """A PyMC model whose per-person data are named shared variables.

    Built by :func:`share_design_data`; :meth:`data_for` gives the values of
    those shared variables for another design of the same shape.
    """

    def __init__(self, model, slots: dict[str, tuple[str, np.dtype]], shape: tuple):
        self.model = model
        self.slots = slots  # shared-variable name -> (design array, dtype)
        self.shape = shape
        self.compiled = None

    def data_for(self, design: Design) -> dict[str, np.ndarray]:
        """Shared-variable values for ``design`` (same shape as the original)."""
        if design_shape(design) != self.shape:
            raise ValueError("the design differs in shape from the one the model was built "
                             "for (people, municipalities or factor levels); build a new one")
        arrays = _design_arrays(design)
        return {name: np.ascontiguousarray(arrays[source], dtype=dtype)
                for name, (source, dtype) in self.slots.items()}


def share_design_data(model, design: Design) -> SharedDataModel:
    """Replace the per-person constants of a model built from ``design`` by shared data.

    Parameters
    ----------
    model : pymc.Model
        Built by :meth:`HierarchicalModel.build_from_design` from ``design``,
        with or without a latent confounder, without Mundlak terms (their
        municipal means are not per-person arrays and would not be swapped).
    design : Design
        The design it was built from.

    Returns
    -------
    SharedDataModel

    Raises
    ------
    ValueError
        If the model has Mundlak terms, or a per-person constant of the graph
        matches no array of the design or more than one (then the model
        cannot safely be reused).

    Notes
    -----
    Every constant of the model's graph with ``n`` rows is matched by value
    to one of the design's arrays (treatment, outcome, numeric controls,
    municipality, attachment and factor indices) and replaced by a shared
    variable ``data_<array>_<dtype>``. A test checks that the rewritten
    model, given another design's values, has the log density of the model
    built from that design directly.
    """
    import pytensor
    from pymc.model.fgraph import fgraph_from_model, model_from_fgraph
    from pytensor.graph.basic import Constant

    if "mundlak_coef" in model.named_vars:
        raise ValueError("a model with Mundlak terms cannot take other data: its municipal "
                         "means are built into the graph; build it from each design instead")
    fgraph, _ = fgraph_from_model(model)
    arrays = _design_arrays(design)
    slots: dict[str, tuple[str, np.dtype]] = {}
    shared: dict[str, object] = {}
    replacements = []
    for variable in list(fgraph.variables):
        if not isinstance(variable, Constant):
            continue
        data = variable.data
        if not (isinstance(data, np.ndarray) and data.ndim >= 1 and data.shape[0] == design.n):
            continue
        matches = [name for name, values in arrays.items()
                   if values.shape == data.shape and np.array_equal(values, data)]
        if len(matches) != 1:
            raise ValueError(f"a per-person constant of shape {data.shape} matches "
                             f"{matches or 'no design array'}; the model cannot be reused "
                             "with other data")
        name = f"data_{matches[0]}_{data.dtype}"
        if name not in shared:
            shared[name] = pytensor.shared(np.array(data), name=name, shape=data.shape)
            slots[name] = (matches[0], data.dtype)
        replacements.append((variable, shared[name]))
    fgraph.replace_all(replacements, import_missing=True)
    shared_model = model_from_fgraph(fgraph, mutate_fgraph=True)
    _restore_deterministics(model, shared_model)
    return SharedDataModel(shared_model, slots, design_shape(design))


def _restore_deterministics(original, rebuilt) -> None:
    """Give back their own variable to deterministics that only rename another one.

    The graph round trip merges ``pm.Deterministic("municipality_sd", sds)``
    with the deterministic ``sds`` already is: the name then points at a
    variable called ``municipality_cov_stds`` and is missing from the
    posterior.
    """
    import pymc as pm

    for variable in original.deterministics:
        name = variable.name
        current = rebuilt.named_vars.get(name)
        if current is not None and current.name == name:
            continue
        if current is None:
            raise ValueError(f"deterministic {name!r} was lost rewriting the model")
        rebuilt.named_vars.pop(name)
        dims = rebuilt.named_vars_to_dims.pop(name, None) or original.named_vars_to_dims.get(
            name)
        rebuilt.deterministics.remove(current)  # the duplicate entry
        with rebuilt:
            pm.Deterministic(name, current, dims=dims)


def _cache_key(model: HierarchicalModel, design: Design) -> tuple:
    return (repr(replace(model, random_seed=None, progressbar=False)), design_shape(design))


def fit_compiled(model: HierarchicalModel, design: Design, *, random_seed=None,
                 cores: int | None = 1):
    """Fit ``model`` to ``design`` reusing this process's compiled model of that shape.

    Parameters
    ----------
    model : HierarchicalModel
        nutpie sampler, no Mundlak terms (a latent confounder of fixed or
        prior-distributed strength is fine: its data are per-person arrays too).
    design : Design
        Usually :func:`padded_design` of the register's design, so that
        registers of one size share a shape.
    random_seed : int, optional
        The sampler's seed.
    cores : int, optional, default 1
        Chains run at once (1: one after another, single-threaded).

    Returns
    -------
    CausalResult
        As :meth:`HierarchicalModel.result_from_idata`; ``settings``
        records ``compile_seconds`` (0 when the compiled model was reused).
    """
    if model.sampler != "nutpie" or model.mundlak:
        raise ValueError("fit_compiled needs sampler='nutpie' and mundlak=False; fit other "
                         "models with model.fit(df)")
    key = _cache_key(model, design)
    start = time.perf_counter()
    entry = _CACHE.get(key)
    compile_seconds = 0.0
    if entry is None:
        entry = share_design_data(model.build_from_design(design), design)
        entry.compiled = compile_model(entry.model, "nutpie")
        _CACHE.clear()  # one model per worker at a time keeps memory flat
        _CACHE[key] = entry
        compile_seconds = time.perf_counter() - start
    settings = replace(model.sampler_settings(), cores=cores, progressbar=False)
    sample_start = time.perf_counter()
    idata = sample_model(entry.model, settings, random_seed=random_seed,
                         compiled=entry.compiled.with_data(**entry.data_for(design)))
    result = model.result_from_idata(idata, design,
                                     seconds=time.perf_counter() - sample_start)
    result.settings["compile_seconds"] = round(compile_seconds, 1)
    return result
