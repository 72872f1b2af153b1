"""One confounder scenario, translated into the three sensitivity frameworks."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

__all__ = ["ConfounderScenario", "ScenarioResult", "scenario_table"]


@dataclass(frozen=True)
class ConfounderScenario:
    """An unobserved confounder described once, read by every framework.

    Either relative to an observed covariate ("as strong as months
    employed", :meth:`like`), which each framework measures on its own
    scale, or with explicit parameters per framework (:meth:`explicit`).

    Parameters
    ----------
    benchmark : str, optional
        Observed covariate (group) the confounder is compared with:
        ``months_employed`` (with the attachment group), ``education``,
        ``sex``.
    multiple : float, default 1
        How many times as strong as the benchmark.
    latent : (float, float), optional
        Explicit Bayesian strengths (participation, employment) on the
        log-odds per SD of U; overrides the benchmark for that framework.
    r2 : (float, float), optional
        Explicit partial R²s (with treatment, with outcome) for OLS.
    dml : (float, float, float), optional
        Explicit DoubleML ``(cf_y, cf_d, rho)``.
    name : str, optional
        Label in tables.

    Notes
    -----
    "As strong as" is measured differently in each framework: the same
    standard deviation of the log-odds term (Bayesian), the same partial
    R² with treatment and outcome (OLS; Cinelli and Hazlett 2020) and
    DoubleML's gain statistics from leaving the covariate out (DML). The
    scenario is therefore comparable in spirit, not numerically identical,
    across the three.

    Examples
    --------
    >>> from amu_causal.sensitivity import ConfounderScenario
    >>> ConfounderScenario.like("months_employed").label
    '1x months_employed'
    >>> ConfounderScenario.explicit(latent=(0.6, 0.6), name="simulated truth").label
    'simulated truth'
    """

    benchmark: str | None = None
    multiple: float = 1.0
    latent: tuple[float, float] | None = None
    r2: tuple[float, float] | None = None
    dml: tuple[float, float, float] | None = None
    name: str = ""

    def __post_init__(self):
        if self.benchmark is None and not any((self.latent, self.r2, self.dml)):
            raise ValueError("a scenario needs a benchmark covariate or explicit parameters "
                             "(latent=, r2=, dml=)")
        if not self.multiple > 0:
            raise ValueError(f"multiple must be positive, got {self.multiple}")

    @classmethod
    def like(cls, benchmark: str, multiple: float = 1.0) -> ConfounderScenario:
        """A confounder ``multiple`` times as strong as an observed covariate.

        Parameters
        ----------
        benchmark : str
            An observed covariate (group): ``months_employed``, ``education`` or
            ``sex``.
        multiple : float, default 1.0
            How many times as strong.

        Returns
        -------
        ConfounderScenario
        """
        return cls(benchmark=benchmark, multiple=multiple)

    @classmethod
    def explicit(cls, *, latent=None, r2=None, dml=None, name: str = "") -> ConfounderScenario:
        """A confounder given in each framework's own parameters.

        Parameters
        ----------
        latent : tuple of float, optional
            Bayesian strengths (participation, employment), log-odds per SD of U.
        r2 : tuple of float, optional
            OLS partial R²s (with treatment, with outcome).
        dml : tuple of float, optional
            DoubleML ``(cf_y, cf_d, rho)``.
        name : str, optional
            Label in tables.

        Returns
        -------
        ConfounderScenario
        """
        return cls(latent=latent, r2=r2, dml=dml, name=name)

    @property
    def label(self) -> str:
        """Label in tables."""
        return self.name or f"{self.multiple:g}x {self.benchmark}"

    # -- translations -------------------------------------------------------------
    def latent_strengths(self, benchmarks: pd.DataFrame | None) -> tuple[float, float] | None:
        """Bayesian strengths (participation, employment).

        Parameters
        ----------
        benchmarks : pandas.DataFrame or None
            The latent grid's benchmarks (:func:`confounder_benchmarks`).

        Returns
        -------
        tuple of float or None
            None when the scenario's benchmark is not in the table.
        """
        if self.latent is not None:
            return tuple(float(v) for v in self.latent)
        row = _benchmark_row(benchmarks, self.benchmark)
        if row is None:
            return None
        return self.multiple * float(row["participation"]), self.multiple * float(
            row["employment"])

    def partial_r2(self, ovb) -> tuple[float, float] | None:
        """OLS partial R²s (with treatment, with outcome).

        Parameters
        ----------
        ovb : OVBSensitivity
            The OLS analysis with its benchmarks.

        Returns
        -------
        tuple of float or None
            None when the scenario's benchmark is not in the table.
        """
        from .ovb import ovb_bounds

        if self.r2 is not None:
            return tuple(float(v) for v in self.r2)
        row = _benchmark_row(ovb.benchmarks, self.benchmark)
        if row is None:
            return None
        r2dz, r2yz = ovb_bounds(row["r2dxj_x"], row["r2yxj_dx"], self.multiple)
        return float(r2dz[0]), float(r2yz[0])

    def dml_parameters(self, sens) -> tuple[float, float, float] | None:
        """DoubleML (cf_y, cf_d, rho) of a confounder ``multiple`` times the benchmark.

        ``cf_y`` is a share of the outcome regression's residual variance and
        is multiplied like a partial :math:`R^2` (capped below 1). ``cf_d`` is
        a share of the Riesz representer's variance,
        :math:`\\mathrm{cf}_d = 1 - \\nu^2_{short}/\\nu^2_{long}`, and enters
        the bias through :math:`\\mathrm{cf}_d / (1 - \\mathrm{cf}_d)`, the
        representer's relative gain: "k times as strong" multiplies that gain,
        :math:`\\mathrm{cf}_d' / (1 - \\mathrm{cf}_d') = k\\,\\mathrm{cf}_d /
        (1 - \\mathrm{cf}_d)`, so the result stays below 1 without capping.
        ``rho`` is the analysis' own (:attr:`DMLSensitivity.rho`, by default
        DoubleML's worst case 1), not the benchmark's estimated one.

        Parameters
        ----------
        sens : DMLSensitivity
            The DoubleML analysis with its benchmarks.

        Returns
        -------
        tuple of float or None
            None when the scenario's benchmark is not in the table.
        """
        if self.dml is not None:
            return tuple(float(v) for v in self.dml)
        row = _benchmark_row(sens.benchmarks, self.benchmark)
        if row is None:
            return None
        return (*scale_dml_strengths(float(row["cf_y"]), float(row["cf_d"]), self.multiple),
                float(sens.rho))


def scale_dml_strengths(cf_y: float, cf_d: float, multiple: float) -> tuple[float, float]:
    """``multiple`` times a DoubleML benchmark's strengths.

    Parameters
    ----------
    cf_y, cf_d : float
        The benchmark's strengths, in [0, 1).
    multiple : float
        How many times as strong.

    Returns
    -------
    cf_y, cf_d : float
        ``cf_y`` multiplied (capped at 0.99); ``cf_d`` multiplied on the
        scale it enters the bias, :math:`\\mathrm{cf}_d/(1-\\mathrm{cf}_d)`.

    Examples
    --------
    >>> from amu_causal.sensitivity.scenario import scale_dml_strengths
    >>> cf_y, cf_d = scale_dml_strengths(0.1, 0.5, 2.0)
    >>> round(cf_y, 3), round(cf_d, 4)   # gain 1 doubled to 2: cf_d = 2/3
    (0.2, 0.6667)
    """
    if not (0 <= cf_y < 1 and 0 <= cf_d < 1):
        raise ValueError(f"cf_y and cf_d must lie in [0, 1), got {cf_y}, {cf_d}")
    gain = multiple * cf_d / (1.0 - cf_d)
    return min(0.99, multiple * cf_y), gain / (1.0 + gain)


def _benchmark_row(table, name):
    if table is None or name is None or "benchmark" not in table:
        return None
    rows = table[table["benchmark"] == name]
    return None if rows.empty else rows.iloc[0]


@dataclass
class ScenarioResult:
    """The scenario's adjusted estimates side by side (:func:`scenario_table`).

    Parameters
    ----------
    scenario : ConfounderScenario
        The scenario.
    rows : pandas.DataFrame
        One row per framework: ``framework``, ``estimand``, ``parameters``,
        ``unadjusted``, ``adjusted_estimate``, ``adjusted_lower``,
        ``adjusted_upper``.
    truth : float, optional
        The synthetic register's true ATE, printed beside the conclusion.
    extra : dict, optional
        The fitted pieces (plain and adjusted Bayesian fits, OVB and DML
        analyses) for further use.

    Examples
    --------
    The Bayesian row is an MCMC fit, so :func:`scenario_table` is not run
    as a doctest; the result reads like this:

    >>> import amu_causal as ac
    >>> from amu_causal import sensitivity as sens
    >>> df, truth = ac.simulate_register(n=3_000, seed=1)
    >>> result = sens.scenario_table(df, sens.ConfounderScenario.like("sex"),
    ...                              truth=truth)  # doctest: +SKIP
    >>> result.table()[["framework", "unadjusted", "adjusted_estimate"]]  # doctest: +SKIP
    """

    scenario: ConfounderScenario
    rows: pd.DataFrame
    truth: float | None = None
    extra: dict = field(default_factory=dict)

    def table(self) -> pd.DataFrame:
        """One row per framework: estimand, parameters, unadjusted and adjusted estimates.

        Returns
        -------
        pandas.DataFrame
        """
        return self.rows.copy()

    def conclusion(self) -> str:
        """A plain-words conclusion across the three frameworks.

        Returns
        -------
        str
        """
        lines = [f"Scenario: an unobserved confounder {self.scenario.label}."]
        verdicts = []
        for r in self.rows.itertuples(index=False):
            if not np.isfinite(r.adjusted_estimate):
                lines.append(f"- {r.framework}: not computed ({r.parameters}).")
                continue
            if r.adjusted_lower > 0:
                verdict = "still positive, with an interval above zero"
            elif r.adjusted_estimate > 0:
                verdict = "positive but no longer distinguishable from zero"
            else:
                verdict = "explained away (at or below zero)"
            verdicts.append(verdict)
            lines.append(f"- {r.framework} ({r.estimand}): {100 * r.unadjusted:.1f} -> "
                         f"{100 * r.adjusted_estimate:.1f} points [{100 * r.adjusted_lower:.1f}, "
                         f"{100 * r.adjusted_upper:.1f}]: {verdict}.")
        if len(verdicts) > 1 and len(set(verdicts)) == 1:
            lines.append(f"All frameworks agree: the effect is {verdicts[0]} under this scenario.")
        elif len(verdicts) > 1:
            lines.append("The frameworks disagree under this scenario; their estimands and "
                         "parameterisations differ (see the docs), so read each on its own terms.")
        if self.truth is not None:
            lines.append(f"(Synthetic register: the true ATE is {100 * self.truth:.1f} points.)")
        return "\n".join(lines)


def scenario_table(df: pd.DataFrame, scenario: ConfounderScenario, *, model=None, plain=None,
                   ovb=None, dml=None, truth=None) -> ScenarioResult:
    """Adjusted estimates of the Bayesian model, OLS and DML under one scenario.

    Parameters
    ----------
    df : pandas.DataFrame
        Register data in the contract.
    scenario : ConfounderScenario
    model : HierarchicalModel, optional
        Bayesian model settings (default ``HierarchicalModel()``).
    plain : BayesianResult, optional
        A fitted plain Bayesian model (no confounder) to benchmark the
        latent strengths against; fitted here if not given and needed.
    ovb : OVBSensitivity, optional
        From :func:`ols_sensitivity` (computed here if not given).
    dml : DMLSensitivity, optional
        From :func:`dml_sensitivity` (computed here if not given, with the
        scenario's benchmark).
    truth : Truth or float, optional
        The synthetic register's truth, to print beside the conclusion.

    Returns
    -------
    ScenarioResult

    Examples
    --------
    The Bayesian column is an MCMC fit, so the lines are not run as
    doctests:

    >>> import amu_causal as ac
    >>> from amu_causal import sensitivity as sens
    >>> df, truth = ac.simulate_register(n=3_000, seed=1)
    >>> scenario = sens.ConfounderScenario.like("months_employed")
    >>> result = sens.scenario_table(df, scenario, truth=truth)  # doctest: +SKIP
    >>> print(result.conclusion())  # doctest: +SKIP
    """
    from ..bayesian import HierarchicalModel
    from ..models.confounder import LatentConfounder
    from ..models.design import build_design
    from .benchmarks import confounder_benchmarks
    from .dml import dml_sensitivity
    from .ovb import ols_sensitivity

    model = model or HierarchicalModel()
    benchmarks = () if scenario.benchmark is None else (scenario.benchmark,)
    rows = []

    # Bayesian latent confounder
    latent_benchmarks = adjusted = None
    if scenario.latent is None and scenario.benchmark is not None:
        if plain is None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                plain = model.fit(df)
        latent_benchmarks = confounder_benchmarks(plain.posterior, build_design(df),
                                                  benchmarks)
    strengths = scenario.latent_strengths(latent_benchmarks)
    if strengths is None:
        rows.append(_untranslated("Bayesian latent confounder", "ATE", "latent=(a, b)"))
    else:
        adjusted = replace(model, confounder=LatentConfounder(*strengths)).fit(df)
        a = adjusted.effects().set_index("estimand").loc["ATE"]
        unadjusted = plain.estimate("ATE") if plain is not None else np.nan
        rows.append({"framework": "Bayesian latent confounder", "estimand": "ATE",
                     "parameters": f"strengths {strengths[0]:.2f} (participation), "
                                   f"{strengths[1]:.2f} (employment)",
                     "unadjusted": unadjusted, "adjusted_estimate": a["estimate"],
                     "adjusted_lower": a["ci_lower"], "adjusted_upper": a["ci_upper"],
                     "interval": "95 % credible"})

    # OLS omitted-variable bias
    if scenario.r2 is None and scenario.benchmark is None:
        rows.append(_untranslated("OLS omitted-variable bias", "coefficient", "r2=(d, y)"))
    else:
        ovb = ovb or ols_sensitivity(df, benchmarks=benchmarks or ("months_employed",))
        rows.append(ovb_row(ovb, scenario))

    # DoubleML
    if scenario.dml is None and scenario.benchmark is None:
        rows.append(_untranslated("DoubleML sensitivity", "ATE", "dml=(cf_y, cf_d, rho)"))
    else:
        dml = dml or dml_sensitivity(df, benchmarks=benchmarks or ("months_employed",))
        rows.append(dml_row(dml, scenario))
    truth_value = getattr(truth, "ate", truth)
    return ScenarioResult(scenario=scenario, rows=pd.DataFrame(rows),
                          truth=None if truth_value is None else float(truth_value),
                          extra={"plain": plain, "adjusted": adjusted, "ovb": ovb, "dml": dml,
                                 "latent_benchmarks": latent_benchmarks})


def ovb_row(ovb, scenario: ConfounderScenario) -> dict:
    """The scenario's row for OLS: the coefficient adjusted by omitted-variable bias."""
    r2 = scenario.partial_r2(ovb)
    o = ovb.adjusted([r2[0]], [r2[1]]).iloc[0]
    return {"framework": "OLS omitted-variable bias", "estimand": "coefficient",
            "parameters": f"R2_D~Z|X = {r2[0]:.3f}, R2_Y~Z|D,X = {r2[1]:.3f}",
            "unadjusted": ovb.estimate, "adjusted_estimate": o["adjusted_estimate"],
            "adjusted_lower": o["adjusted_lower"], "adjusted_upper": o["adjusted_upper"],
            "interval": "95 % confidence (classical)"}


def dml_row(dml, scenario: ConfounderScenario) -> dict:
    """The scenario's row for DoubleML: the bound toward zero and its confidence bounds."""
    cf_y, cf_d, rho = scenario.dml_parameters(dml)
    d = dml.analysis(cf_y, cf_d, rho).iloc[0]
    bound, _ = dml.toward_zero(d)
    level = "person-level" if dml.clusters is None else "clustered by municipality"
    return {"framework": "DoubleML sensitivity", "estimand": "ATE",
            "parameters": f"cf_y = {cf_y:.3f}, cf_d = {cf_d:.3f}, rho = {rho:.2f}",
            "unadjusted": dml.estimate, "adjusted_estimate": bound,
            "adjusted_lower": d["ci_lower"], "adjusted_upper": d["ci_upper"],
            "interval": f"95 % confidence for the bounds ({level})"}


def _untranslated(framework: str, estimand: str, argument: str) -> dict:
    """A table row for a framework the scenario gives no parameters for."""
    return {"framework": framework, "estimand": estimand,
            "parameters": f"not translated: the scenario has no benchmark and no {argument}",
            "unadjusted": np.nan, "adjusted_estimate": np.nan, "adjusted_lower": np.nan,
            "adjusted_upper": np.nan, "interval": ""}
