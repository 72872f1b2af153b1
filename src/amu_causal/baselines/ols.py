"""OLS with municipality fixed effects: the EVA specification."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..data.schema import ATTACHMENT_GROUPS, EVA_CONTROLS
from ..data.validate import validate_register
from ..estimands import check_level
from ..results import OLSResult
from ._formula import control_formula

__all__ = ["OLSFixedEffects"]

_VCOV = ("HC1", "cluster")


@dataclass(frozen=True)
class OLSFixedEffects:
    """Linear probability model with municipality fixed effects (EVA's regression).

    Parameters
    ----------
    vcov : {"HC1", "cluster"}, default "HC1"
        Heteroskedasticity-robust (HC1) standard errors, as EVA reports, or
        errors clustered by municipality (CRV1).
    level : float, default 0.95
        Confidence level of the intervals.
    controls : tuple of str
        The controls (default: EVA's list, see :data:`amu_causal.EVA_CONTROLS`).

    Notes
    -----
    Pooled specification, for person :math:`i` in municipality :math:`m`:

    .. math:: Y_i = \\beta A_i + x_i'\\gamma + \\alpha_m + \\varepsilon_i,

    and the interacted one (EVA Figure 4),
    :math:`Y_i = \\sum_g \\beta_g A_i 1[g_i = g] + \\mu_{g_i} + x_i'\\gamma
    + \\alpha_m + \\varepsilon_i`, with the municipality effects
    :math:`\\alpha_m` absorbed (pyfixest).

    **What the coefficient estimates.** Under no unobserved confounding and
    a correctly specified (linear) model for the controls, :math:`\\beta`
    is a *variance-weighted* average of the conditional effects: strata in
    which participation is closer to 50 % (more variance of the treatment
    given the controls) weigh more (Angrist 1998; Słoczyński 2022). It equals
    the ATE only if effects are homogeneous or unrelated to the propensity.
    The ``ATE`` row is this coefficient, labelled ATE for comparison; read
    it with this caveat. The model is linear in probabilities, so fitted
    values may leave [0, 1].

    The standard errors are heteroskedasticity-robust HC1 by default:
    :math:`\\frac{n}{n-k}(X'X)^{-1} X'\\operatorname{diag}(e_i^2) X (X'X)^{-1}`
    with :math:`k` counting the absorbed municipality effects, identical to
    a dummy-variable regression with HC1 errors (tested to 1e-8).

    References
    ----------
    Angrist, J. D. (1998). Estimating the labor market impact of voluntary
    military service using social security data. Econometrica 66(2).

    Examples
    --------
    >>> import amu_causal as ac
    >>> df, truth = ac.simulate_register(n=5_000, seed=1, confounding=0.0)
    >>> ols = ac.OLSFixedEffects().fit(df)
    >>> ols.effects()["estimand"].tolist()[:2]
    ['ATE', 'ATE[attachment=none]']
    """

    vcov: str = "HC1"
    level: float = 0.95
    controls: tuple[str, ...] = EVA_CONTROLS

    def __post_init__(self):
        if self.vcov not in _VCOV:
            raise ValueError(f"vcov must be one of {_VCOV}, got {self.vcov!r}")
        check_level(self.level)
        unknown = sorted(set(self.controls) - set(EVA_CONTROLS))
        if unknown:
            raise ValueError(f"unknown controls {unknown}; choose from {list(EVA_CONTROLS)}")

    @property
    def name(self) -> str:
        """Estimator name in result tables."""
        return f"OLSFixedEffects[{self.vcov}]"

    def formulas(self) -> tuple[str, str]:
        """The pooled and the interacted pyfixest formulas.

        Returns
        -------
        tuple of str
            The pooled formula (one AMU coefficient) and the formula with AMU
            interacted with the attachment group; municipality is absorbed.
        """
        controls = control_formula(self.controls)
        pooled = f"employed_2y ~ amu + C(attachment) + {controls} | municipality"
        interacted = (f"employed_2y ~ amu:C(attachment) + C(attachment) + {controls}"
                      " | municipality")
        return pooled, interacted

    def _vcov(self):
        return "hetero" if self.vcov == "HC1" else {"CRV1": "municipality"}

    def fit(self, df: pd.DataFrame) -> OLSResult:
        """Fit the pooled and the interacted regressions.

        Parameters
        ----------
        df : pandas.DataFrame
            Register data in the contract (validated).

        Returns
        -------
        OLSResult
            ``effects()`` with the pooled ``ATE`` row (the AMU coefficient
            without interactions) and one ``ATE[attachment=g]`` row per
            attachment group (from the interacted regression);
            ``table("coefficients")`` with every coefficient of both fits.
        """
        import pyfixest as pf

        data = validate_register(df)
        data = data.assign(attachment=data["attachment"].astype(str))
        _check_identifiable(data)
        pooled_formula, interacted_formula = self.formulas()
        ssc = pf.ssc(k_adj=True, k_fixef="full", G_adj=True)
        with warnings.catch_warnings():
            # pyfixest's notes on its own pandas calls and dropped terms are not the user's
            warnings.simplefilter("ignore", UserWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", FutureWarning)
            pooled = pf.feols(pooled_formula, data=data, vcov=self._vcov(), ssc=ssc,
                              fixef_rm="none")
            interacted = pf.feols(interacted_formula, data=data, vcov=self._vcov(), ssc=ssc,
                                  fixef_rm="none")
        rows = [self._row("ATE", pooled, "amu")]
        for group in ATTACHMENT_GROUPS:
            term = f"amu:C(attachment)[T.{group}]"
            alt = f"amu:C(attachment)[{group}]"
            names = _coef_names(interacted)
            if term in names:
                rows.append(self._row(f"ATE[attachment={group}]", interacted, term))
            elif alt in names:
                rows.append(self._row(f"ATE[attachment={group}]", interacted, alt))
        table = pd.DataFrame(rows)
        coefficients = pd.concat(
            [_tidy(pooled).assign(model="pooled"), _tidy(interacted).assign(model="interacted")],
            ignore_index=True,
        )
        return OLSResult(
            estimator=self.name,
            effects_table=table,
            n=len(data),
            settings={"vcov": self.vcov, "level": self.level, "controls": list(self.controls),
                      "formulas": list(self.formulas())},
            tables={"coefficients": coefficients,
                    "untreated_mean": _untreated_means(data, table)},
            fits={"pooled": pooled, "interacted": interacted, "data": data,
                  "ols": self},
        )

    def _row(self, estimand: str, fit, term: str) -> dict:
        estimate = float(fit.coef().loc[term])
        se = float(fit.se().loc[term])
        interval = fit.confint(alpha=1 - self.level).loc[term]  # t quantiles, pyfixest's df
        return {"estimator": self.name, "estimand": estimand, "estimate": estimate,
                "std_error": se, "ci_lower": float(interval.iloc[0]),
                "ci_upper": float(interval.iloc[1]), "level": self.level,
                "p_positive": np.nan}


def _untreated_means(data: pd.DataFrame, effects: pd.DataFrame) -> pd.DataFrame:
    """E[Y(0)] in each estimand's population, implied by the linear model.

    The regressions contain the attachment groups (and the interacted one AMU
    x group), so their residuals sum to zero over everyone, over each group and
    over the treated of each group; the mean fitted outcome without AMU in a
    population is then its mean outcome minus its treated share times the
    effect. Used as each row's own baseline risk by
    :func:`amu_causal.sensitivity.evalue_table`; its sampling error is not
    given (the E-value holds it fixed).
    """
    y = data["employed_2y"].to_numpy(dtype=float)
    a = data["amu"].to_numpy(dtype=float)
    group = data["attachment"].astype(str).to_numpy()
    effect = effects.set_index("estimand")["estimate"]
    rows = [{"estimand": "ATE", "estimate": float(y.mean() - a.mean() * effect["ATE"])}]
    for g in ATTACHMENT_GROUPS:
        label = f"ATE[attachment={g}]"
        if label in effect.index:
            members = group == g
            rows.append({"estimand": label, "estimate": float(
                y[members].mean() - a[members].mean() * effect[label])})
    return pd.DataFrame(rows).assign(std_error=np.nan)


def _coef_names(fit) -> list[str]:
    return list(fit.coef().index)


def _tidy(fit) -> pd.DataFrame:
    tidy = fit.tidy().reset_index()
    return tidy.rename(columns={"Coefficient": "term", "Estimate": "estimate",
                                "Std. Error": "std_error"})[["term", "estimate", "std_error"]]


def _check_identifiable(data: pd.DataFrame) -> None:
    """Errors a researcher can act on, before the solver drops terms silently."""
    from ..data.errors import Problem, RegisterDataError

    problems = []
    by_muni = data.groupby("municipality", observed=True)["amu"].agg(["size", "mean"])
    within = by_muni[(by_muni["mean"] > 0) & (by_muni["mean"] < 1)]
    if within.empty:
        problems.append(Problem("amu", "never varies within a municipality, so the "
                                "fixed-effects regression cannot estimate an effect",
                                len(data), (), "use more municipalities or the Bayesian model"))
    if problems:
        raise RegisterDataError(problems, context="OLSFixedEffects")
