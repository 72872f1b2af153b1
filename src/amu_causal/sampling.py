"""The one place that runs a sampler (nutpie, PyMC's NUTS or numpyro)."""

from __future__ import annotations

import contextlib
import numbers
import warnings
from collections.abc import Iterator
from dataclasses import asdict, dataclass

import numpy as np

__all__ = ["SAMPLERS", "SamplerSettings", "SamplerUnavailableError", "compile_model",
           "sample_model", "seed_to_int"]

SAMPLERS = ("nutpie", "pymc", "numpyro")


class SamplerUnavailableError(ImportError):
    """The chosen sampler's package is not installed."""


@dataclass(frozen=True)
class SamplerSettings:
    """How to run NUTS.

    Parameters
    ----------
    sampler : {"nutpie", "pymc", "numpyro"}, default "nutpie"
        nutpie (numba backend) measured fastest on this model; PyMC's own
        NUTS needs no compiler beyond PyTensor's; numpyro needs the ``jax``
        extra.
    draws, tune : int, default 1000
        Kept draws and warm-up iterations per chain.
    chains : int, default 2
        Number of chains (run in parallel, one per core).
    target_accept : float, default 0.8
        NUTS step-size adaptation target; raise it (0.9, 0.95) if there
        are divergences.
    low_rank_mass_matrix : bool, default False
        nutpie's low-rank mass matrix adaptation (helps with strongly
        correlated posteriors, costs time per draw).
    progressbar : bool, default True
        Show the sampler's progress display.
    cores : int, optional
        Chains run at the same time. By default one per chain, up to the
        available cores; ``1`` runs the chains one after another in a single
        thread (for many fits side by side, e.g. Monte Carlo replications on
        a process pool, so that each fit uses one core).

    Examples
    --------
    >>> from amu_causal.sampling import SamplerSettings
    >>> SamplerSettings(draws=500).chains
    2
    """

    sampler: str = "nutpie"
    draws: int = 1000
    tune: int = 1000
    chains: int = 2
    target_accept: float = 0.8
    low_rank_mass_matrix: bool = False
    progressbar: bool = True
    cores: int | None = None

    def __post_init__(self):
        if self.sampler not in SAMPLERS:
            raise ValueError(f"sampler must be one of {SAMPLERS}, got {self.sampler!r}")
        for name in ("draws", "tune", "chains", "cores"):
            value = getattr(self, name)
            if name == "cores" and value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
                raise ValueError(f"{name} must be a positive whole number, got {value!r}")
        if not 0.5 <= self.target_accept < 1:
            raise ValueError(f"target_accept must lie in [0.5, 1), got {self.target_accept}")

    def to_dict(self) -> dict:
        """Plain-dict form.

        Returns
        -------
        dict
            Setting name to value.
        """
        return asdict(self)


def seed_to_int(random_seed) -> int | None:
    """An integer seed from an int, a NumPy Generator or None (without global state).

    Examples
    --------
    >>> import numpy as np
    >>> from amu_causal.sampling import seed_to_int
    >>> seed_to_int(5), seed_to_int(None)
    (5, None)
    >>> seed_to_int(np.random.default_rng(0)) == seed_to_int(np.random.default_rng(0))
    True
    """
    if random_seed is None:
        return None
    if isinstance(random_seed, np.random.Generator):
        return int(random_seed.integers(2**31 - 1))
    if isinstance(random_seed, numbers.Integral) and not isinstance(random_seed, bool):
        if random_seed < 0:
            raise ValueError(f"random_seed must be 0 or more, got {random_seed}")
        return int(random_seed) % (2**31 - 1)
    raise TypeError(f"random_seed must be an int, a numpy Generator or None, got {random_seed!r}")


@contextlib.contextmanager
def _quiet_blas() -> Iterator[None]:
    # pip-installed PyTensor warns that it found no BLAS for its C backend;
    # nutpie compiles with numba, which calls NumPy's own BLAS, so the warning
    # does not apply to the sampling path.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*could not link to a BLAS.*")
        yield


def compile_model(model, sampler: str = "nutpie"):
    """Compile a PyMC model once for repeated sampling (nutpie only).

    Parameters
    ----------
    model : pymc.Model
        The model.
    sampler : str, default "nutpie"
        Only nutpie compiles ahead; for other samplers the model is returned.

    Returns
    -------
    object
        A nutpie ``CompiledModel`` or the model itself.
    """
    if sampler != "nutpie":
        return model
    try:
        import nutpie
    except ImportError as err:  # pragma: no cover - nutpie is a dependency
        raise SamplerUnavailableError("nutpie is not installed: pip install nutpie") from err
    with _quiet_blas():
        return nutpie.compile_pymc_model(model, backend="numba")


def sample_model(model, settings: SamplerSettings | None = None, *, random_seed=None,
                 compiled=None):
    """Draw from the posterior of a PyMC model.

    Parameters
    ----------
    model : pymc.Model
        The model to sample.
    settings : SamplerSettings, optional
        Sampler, draws, chains and adaptation settings.
    random_seed : int or numpy.random.Generator, optional
        Makes the run reproducible; NumPy's global state is not touched.
    compiled : object, optional
        A model compiled by :func:`compile_model` (reused, e.g. across a
        sensitivity grid).

    Returns
    -------
    arviz.InferenceData
        Posterior and sample statistics (``diverging``, ``energy``, tree
        depth, step size).

    Raises
    ------
    SamplerUnavailableError
        If the chosen sampler's package is not installed.

    Examples
    --------
    >>> import pymc as pm
    >>> from amu_causal.sampling import SamplerSettings, sample_model
    >>> with pm.Model() as model:
    ...     x = pm.Normal("x")
    >>> idata = sample_model(model, SamplerSettings(sampler="pymc", draws=50, tune=50,
    ...                      chains=1, progressbar=False), random_seed=1)  # doctest: +SKIP
    """
    settings = settings or SamplerSettings()
    seed = seed_to_int(random_seed)
    if settings.sampler == "nutpie":
        import nutpie

        compiled = compiled if compiled is not None else compile_model(model, "nutpie")
        with _quiet_blas():
            return nutpie.sample(
                compiled,
                draws=settings.draws,
                tune=settings.tune,
                chains=settings.chains,
                cores=_chain_cores(settings),
                seed=seed,
                progress_bar=settings.progressbar,
                target_accept=settings.target_accept,
                low_rank_modified_mass_matrix=settings.low_rank_mass_matrix,
                save_warmup=False,
            )
    import pymc as pm

    if settings.sampler == "numpyro":
        try:
            import numpyro  # noqa: F401
        except ImportError as err:
            raise SamplerUnavailableError(
                "the numpyro sampler needs jax and numpyro: pip install 'amu-causal[jax]'"
            ) from err
    with model, _quiet_blas():
        return pm.sample(
            draws=settings.draws,
            tune=settings.tune,
            chains=settings.chains,
            cores=_chain_cores(settings),
            random_seed=seed,
            progressbar=settings.progressbar,
            target_accept=settings.target_accept,
            nuts_sampler=settings.sampler,
            compute_convergence_checks=False,
        )


def _chain_cores(settings: SamplerSettings) -> int:
    if settings.cores is not None:
        return min(settings.chains, settings.cores)
    return min(settings.chains, available_cores())


def available_cores() -> int:
    """CPU cores this process may use (its affinity mask where the system has one)."""
    import os

    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
               else os.cpu_count() or 1)
