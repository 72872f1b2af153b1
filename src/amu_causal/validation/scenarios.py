"""Named Monte Carlo scenarios over the synthetic register."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import MappingProxyType

from ..simulate.parameters import SimulationParameters

__all__ = ["SCENARIOS", "Scenario", "UnknownScenarioError", "get_scenario"]


class UnknownScenarioError(KeyError):
    """A scenario name that is not in :data:`SCENARIOS`.

    Examples
    --------
    >>> from amu_causal.validation import UnknownScenarioError, get_scenario
    >>> try:
    ...     get_scenario("no_such_scenario")
    ... except UnknownScenarioError:
    ...     print("unknown")
    unknown
    """

    def __str__(self) -> str:  # KeyError quotes its message; say it plainly
        return str(self.args[0])


@dataclass(frozen=True)
class Scenario:
    """A data-generating scenario: settings of :func:`amu_causal.simulate_register`.

    Parameters
    ----------
    name : str
        Short name (used on the command line and in result files).
    description : str
        What the scenario checks, in plain words.
    settings : mapping
        Settings passed to :class:`amu_causal.SimulationParameters` (only
        those that differ from the calibrated defaults).
    size_factor : float, default 1.0
        The register of a replication has ``round(size_factor * n)`` people,
        where ``n`` is the study's register size (below 1 for small
        municipalities).

    Examples
    --------
    >>> from amu_causal.validation import Scenario
    >>> s = Scenario("null", "no effect, no confounding", {"effect_scale": 0.0,
    ...              "confounding": 0.0})
    >>> s.parameters().effect_scale, s.register_size(1_000)
    (0.0, 1000)
    """

    name: str
    description: str
    settings: dict = field(default_factory=dict)
    size_factor: float = 1.0

    def __post_init__(self):
        # a plain dict copy: picklable, so a scenario travels to process and Dask workers
        object.__setattr__(self, "settings", {k: dict(v) if isinstance(v, MappingProxyType)
                                              else v for k, v in dict(self.settings).items()})
        self.parameters()  # unknown or invalid settings fail here, not in a worker
        if not (isinstance(self.size_factor, int | float) and 0 < self.size_factor <= 10):
            raise ValueError(f"size_factor must lie in (0, 10], got {self.size_factor!r}")

    def parameters(self) -> SimulationParameters:
        """The simulator's parameters in this scenario.

        Returns
        -------
        SimulationParameters
        """
        return SimulationParameters().replace(**dict(self.settings))

    def register_size(self, n: int) -> int:
        """People in one register when the study's size is ``n``.

        Parameters
        ----------
        n : int
            The study's register size.

        Returns
        -------
        int
        """
        return max(1, math.floor(self.size_factor * n + 0.5))

    def latent_strengths(self, n: int = 50_000, seed: int = 20_190_601) -> tuple[float, float]:
        """The simulated confounder's strengths on the latent-confounder model's scale.

        :meth:`SimulationParameters.latent_strengths
        <amu_causal.SimulationParameters.latent_strengths>` of the scenario's
        parameters.

        Parameters
        ----------
        n, seed : int
            As for :meth:`SimulationParameters.latent_strengths
            <amu_causal.SimulationParameters.latent_strengths>`.

        Returns
        -------
        participation, employment : float

        Examples
        --------
        >>> from amu_causal.validation import get_scenario
        >>> get_scenario("no_confounding").latent_strengths(n=2_000)
        (0.0, 0.0)
        """
        return self.parameters().latent_strengths(n=n, seed=seed)

    def to_dict(self) -> dict:
        """Plain-dict form (part of a study's key).

        Returns
        -------
        dict
        """
        settings = {k: dict(v) if isinstance(v, MappingProxyType | dict) else v
                    for k, v in self.settings.items()}
        return {"name": self.name, "settings": settings, "size_factor": self.size_factor}


_HETEROGENEOUS_EFFECTS = {"none": 0.9, "low": 0.45, "medium": 0.1, "high": -0.3}

#: The named scenarios.
SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario("no_confounding",
                 "no hidden confounding: motivation and job readiness do not act on "
                 "participation or employment (the calibrated effects otherwise)",
                 {"confounding": 0.0}),
        Scenario("confounding_weak",
                 "hidden confounding by motivation and job readiness at half the "
                 "calibrated strength", {"confounding": 0.5}),
        Scenario("confounding",
                 "hidden confounding by motivation and job readiness at the calibrated "
                 "strength (the default register)", {"confounding": 1.0}),
        Scenario("confounding_strong",
                 "hidden confounding by motivation and job readiness at twice the "
                 "calibrated strength", {"confounding": 2.0}),
        Scenario("heterogeneous",
                 "no hidden confounding; effects that differ strongly across attachment "
                 "groups (log-odds 0.9, 0.45, 0.1, -0.3) and municipalities (SD 0.4)",
                 {"confounding": 0.0, "effect_logit": _HETEROGENEOUS_EFFECTS,
                  "effect_municipality_sd": 0.4}),
        Scenario("post_treatment",
                 "no hidden confounding; AMU raises months employed, which the estimators "
                 "control for (they then estimate the direct effect, not the total)",
                 {"confounding": 0.0, "post_treatment": True}),
        Scenario("small_municipalities",
                 "no hidden confounding, a register a quarter of the study's size: most "
                 "municipalities have a handful of refugees and few participants",
                 {"confounding": 0.0}, size_factor=0.25),
    )
}


def get_scenario(scenario) -> Scenario:
    """A :class:`Scenario` from itself or its name.

    Parameters
    ----------
    scenario : Scenario or str
        A scenario, or the name of one in :data:`SCENARIOS`.

    Returns
    -------
    Scenario

    Raises
    ------
    UnknownScenarioError
        If the name is not in :data:`SCENARIOS`.

    Examples
    --------
    >>> from amu_causal.validation import get_scenario
    >>> get_scenario("confounding").name
    'confounding'
    """
    if isinstance(scenario, Scenario):
        return scenario
    if scenario in SCENARIOS:
        return SCENARIOS[scenario]
    raise UnknownScenarioError(f"unknown scenario {scenario!r}; choose one of "
                               f"{sorted(SCENARIOS)} or pass a Scenario")
