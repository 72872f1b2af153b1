"""The knobs of the synthetic register, with their defaults and meaning."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType
from typing import Any

from ..data.schema import ATTACHMENT_GROUPS

__all__ = ["SimulationParameters"]


def _frozen(mapping: dict) -> MappingProxyType:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class SimulationParameters:
    """Settings of the data-generating process behind :func:`simulate_register`.

    All effects are on the log-odds scale of the part they enter, unless the
    name says ``rate``. The defaults are calibrated so that the register
    reproduces the published EVA figures (see :func:`calibration_report`).

    Parameters
    ----------
    effect_logit : mapping of str to float
        True effect of AMU on the log-odds of employment two years out, by
        labour-market attachment group (``none``, ``low``, ``medium``,
        ``high``). Default 0.6, 0.3, 0.15, 0.0: the effect is largest for
        refugees with no early employment, as EVA's association is.
    effect_scale : float
        Multiplies every AMU effect; 0 gives a register with no effect.
    effect_municipality_sd : float
        Standard deviation of municipality deviations of the AMU effect
        (log-odds), drawn once per register.
    confounding : float
        Multiplies the loadings of the latent motivation / job readiness
        ``U`` on participation and on employment. 0 means no hidden
        confounding; 1 is the default calibrated strength.
    u_participation, u_employment : float
        Loadings of the standard-normal latent ``U`` on the participation and
        employment log-odds, before ``confounding`` is applied.
    u_attachment : float
        Loading of ``U`` on early employment (months employed). Not scaled
        by ``confounding``: it makes ``months_employed`` a partial proxy for
        ``U``, as it is in real data.
    u_education : float
        Loading of ``U`` on starting ordinary or adult education in Denmark
        (other observed proxies of motivation).
    post_treatment : bool
        If true, AMU raises early employment, so ``months_employed`` is
        partly caused by AMU and controlling for it blocks part of the
        effect (and opens a collider path through ``U``).
    amu_on_attachment : float
        With ``post_treatment``: the AMU shift of the log-odds of any early
        employment (and half of it on the number of months).
    participation_rate : float
        Overall share taking AMU within two years (EVA: 6 %).
    participation_male_logit : float
        Log-odds difference in participation, men against women.
    participation_trend_logit : float
        Log-odds change in participation per permit year.
    early_employment_rate : float
        Share with at least one month of employment in the first two years.
    employment_rate_none_untreated : float
        Employment two years out among non-participants with no early
        employment (EVA: 9 %).
    municipality_employment_sd : float
        Standard deviation of municipality labour-market intercepts (log-odds).
    municipality_correlation : float
        Correlation between a municipality's AMU-use intercept and its
        labour-market intercept.
    cohort_shares : mapping of int to float
        Share of each permit year 2010-2015 in the population.

    Examples
    --------
    >>> import amu_causal as ac
    >>> strong = ac.SimulationParameters(confounding=2.0, effect_scale=0.5)
    >>> df, truth = ac.simulate_register(n=1_000, seed=1, params=strong)
    >>> truth.parameters.confounding
    2.0
    """

    effect_logit: MappingProxyType = field(
        default_factory=lambda: _frozen({"none": 0.6, "low": 0.3, "medium": 0.15, "high": 0.0})
    )
    effect_scale: float = 1.0
    effect_municipality_sd: float = 0.15
    confounding: float = 1.0
    u_participation: float = 0.6
    u_employment: float = 0.6
    u_attachment: float = 0.6
    u_education: float = 0.3
    post_treatment: bool = False
    amu_on_attachment: float = 0.8
    participation_rate: float = 0.06
    participation_male_logit: float = 0.75
    participation_trend_logit: float = 0.03
    early_employment_rate: float = 0.40
    employment_rate_none_untreated: float = 0.09
    municipality_employment_sd: float = 0.25
    municipality_correlation: float = 0.3
    cohort_shares: MappingProxyType = field(
        default_factory=lambda: _frozen(
            {2010: 0.07, 2011: 0.07, 2012: 0.09, 2013: 0.13, 2014: 0.25, 2015: 0.39}
        )
    )

    def __post_init__(self):
        object.__setattr__(self, "effect_logit", _frozen(self.effect_logit))
        object.__setattr__(self, "cohort_shares", _frozen(self.cohort_shares))
        problems = []
        if set(self.effect_logit) != set(ATTACHMENT_GROUPS):
            problems.append(
                f"effect_logit needs exactly the groups {list(ATTACHMENT_GROUPS)}, "
                f"got {sorted(self.effect_logit)}"
            )
        for name in ("participation_rate", "early_employment_rate",
                     "employment_rate_none_untreated"):
            value = getattr(self, name)
            if not 0.0 < value < 1.0:
                problems.append(f"{name} must lie strictly between 0 and 1, got {value}")
        for name in ("effect_municipality_sd", "municipality_employment_sd", "confounding"):
            if getattr(self, name) < 0:
                problems.append(f"{name} must be 0 or more, got {getattr(self, name)}")
        if not -1.0 < self.municipality_correlation < 1.0:
            problems.append("municipality_correlation must lie strictly between -1 and 1")
        if any(s < 0 for s in self.cohort_shares.values()) or sum(self.cohort_shares.values()) <= 0:
            problems.append("cohort_shares must be non-negative and not all zero")
        if problems:
            raise ValueError("invalid SimulationParameters: " + "; ".join(problems))

    def latent_strengths(self, n: int = 50_000, seed: int = 20_190_601) -> tuple[float, float]:
        """The simulated confounder's strengths on the latent-confounder model's scale.

        The simulator's motivation :math:`U \\sim N(0, 1)` enters participation and
        employment with loadings ``confounding * u_participation`` and
        ``confounding * u_employment``, but it also drives early employment and
        education, so part of it is seen through the controls. The model's
        latent U is independent of the controls; its strength matching the
        simulated one is the loading times the SD of the part of :math:`U`
        that the controls, the attachment groups and municipality do not
        explain (least squares on one large register, ``n`` people), as the
        "as strong as" benchmarks measure covariates
        (:func:`amu_causal.sensitivity.confounder_benchmarks`).

        Parameters
        ----------
        n : int, default 50,000
            People in the register the residual SD is measured on.
        seed : int
            Its seed (fixed: the strengths are part of a study's definition).

        Returns
        -------
        participation, employment : float

        Examples
        --------
        >>> import amu_causal as ac
        >>> ac.SimulationParameters(confounding=0.0).latent_strengths(n=2_000)
        (0.0, 0.0)
        """
        import numpy as np
        import pandas as pd

        from ..models.design import build_design
        from .register import simulate_register

        p = self
        loadings = (p.confounding * p.u_participation, p.confounding * p.u_employment)
        if not any(loadings):
            return (0.0, 0.0)
        df, truth = simulate_register(n, seed=seed, params=p)
        design = build_design(df)
        u = truth.persons["motivation"].to_numpy(dtype=float)
        others = np.column_stack([
            np.ones(design.n), design.X, np.eye(4)[design.attachment_index][:, 1:],
            pd.get_dummies(design.municipality_index, drop_first=True).to_numpy(float)])
        coef, *_ = np.linalg.lstsq(others, u, rcond=None)
        sd = float((u - others @ coef).std())
        return (round(loadings[0] * sd, 3), round(loadings[1] * sd, 3))

    def replace(self, **changes: Any) -> SimulationParameters:
        """A copy with some settings changed; unknown names raise ``TypeError``.

        Parameters
        ----------
        **changes
            Setting names and their new values.

        Returns
        -------
        SimulationParameters

        Examples
        --------
        >>> from amu_causal.simulate import SimulationParameters
        >>> SimulationParameters().replace(confounding=0.0).confounding
        0.0
        """
        known = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise TypeError(
                f"unknown simulation setting(s) {unknown}; known settings: {sorted(known)}"
            )
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form (for saving alongside results).

        Returns
        -------
        dict
            Setting name to value; mappings become plain dicts.
        """
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = dict(value) if isinstance(value, MappingProxyType) else value
        return out
