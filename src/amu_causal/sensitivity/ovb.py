"""Omitted-variable-bias sensitivity of a regression coefficient (Cinelli and Hazlett 2020).

The closed-form formulas are written here because the Python port of
``sensemakr`` on PyPI does not run with current pandas; they are checked
against the published Darfur example (``tests/test_ovb.py``).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "OVBSensitivity",
    "adjusted_estimate",
    "adjusted_se",
    "bias",
    "ols_sensitivity",
    "ovb_bounds",
    "ovb_sensitivity",
    "partial_r2",
    "robustness_value",
]


# -- closed-form quantities -----------------------------------------------------------
def partial_r2(t_statistic, dof):
    """Partial R² of a regressor with the outcome, from its (classical) t statistic.

    :math:`R^2_{Y \\sim D \\mid X} = t^2 / (t^2 + \\mathrm{dof})`. For a group
    of regressors pass the Wald statistic :math:`W = F \\cdot p` as
    ``t_statistic ** 2`` (use :func:`group_partial_r2`).

    Examples
    --------
    >>> from amu_causal.sensitivity.ovb import partial_r2
    >>> round(float(partial_r2(4.18445, 783)), 5)
    0.02187
    """
    t2 = np.square(t_statistic)
    return t2 / (t2 + dof)


def group_partial_r2(wald, dof):
    """Partial R² of a group of regressors from its Wald statistic (classical errors)."""
    return wald / (wald + dof)


def robustness_value(t_statistic, dof, q: float = 1.0, alpha: float | None = None):
    """Robustness value :math:`RV_q` or :math:`RV_{q,\\alpha}`.

    The minimum partial R² that a confounder would need with both the
    treatment and the outcome to reduce the estimate by ``100 q`` percent
    (``alpha=None``), or to make the reduced estimate's ``1 - alpha``
    interval include it (``alpha`` given).

    Parameters
    ----------
    t_statistic : float
        Classical t statistic of the treatment coefficient.
    dof : int
        Residual degrees of freedom of the regression.
    q : float, default 1
        Share of the estimate to explain away (1: all of it).
    alpha : float, optional
        Significance level.

    Examples
    --------
    >>> from amu_causal.sensitivity.ovb import robustness_value
    >>> round(robustness_value(4.18445, 783), 4), round(robustness_value(4.18445, 783,
    ...                                                                  alpha=0.05), 4)
    (0.1388, 0.0763)
    """
    fq = q * abs(t_statistic / np.sqrt(dof))
    f_crit = 0.0 if alpha is None else abs(stats.t.ppf(alpha / 2, dof - 1)) / np.sqrt(dof - 1)
    fqa = fq - f_crit
    if fqa <= 0:
        return 0.0
    rv = 0.5 * (np.sqrt(fqa**4 + 4 * fqa**2) - fqa**2)
    if f_crit > 0 and fq > 1 / f_crit:
        # the bound is reached with R2 of the outcome equal to 1 (extreme case)
        rv = (fq**2 - f_crit**2) / (1 + fq**2)
    return float(rv)


def bias(se, dof, r2dz_x, r2yz_dx):
    """Absolute bias of the coefficient from a confounder of given partial R²s.

    :math:`|\\widehat{\\mathrm{bias}}| = \\mathrm{se}\\,\\sqrt{\\mathrm{dof}}\\,
    \\sqrt{R^2_{Y\\sim Z\\mid D,X}\\,R^2_{D\\sim Z\\mid X} / (1 - R^2_{D\\sim Z\\mid X})}`.
    """
    r2dz_x = np.asarray(r2dz_x, dtype=float)
    return se * np.sqrt(np.asarray(r2yz_dx) * r2dz_x / (1 - r2dz_x)) * np.sqrt(dof)


def adjusted_estimate(estimate, se, dof, r2dz_x, r2yz_dx, reduce: bool = True):
    """The estimate after removing (``reduce``) or adding the bias."""
    b = bias(se, dof, r2dz_x, r2yz_dx)
    sign = np.sign(estimate) if estimate != 0 else 1.0
    return sign * (abs(estimate) - b) if reduce else sign * (abs(estimate) + b)


def adjusted_se(se, dof, r2dz_x, r2yz_dx):
    """Standard error of the regression that would include the confounder."""
    r2dz_x = np.asarray(r2dz_x, dtype=float)
    return np.sqrt((1 - np.asarray(r2yz_dx)) / (1 - r2dz_x)) * se * np.sqrt(dof / (dof - 1))


def ovb_bounds(r2dxj_x: float, r2yxj_dx: float, kd=1.0, ky=None) -> tuple[np.ndarray, np.ndarray]:
    """Partial R²s of a confounder ``kd``/``ky`` times as strong as an observed covariate.

    Parameters
    ----------
    r2dxj_x : float
        Partial R² of the benchmark covariate(s) with the treatment, given
        the other controls.
    r2yxj_dx : float
        Partial R² of the benchmark with the outcome, given treatment and
        the other controls.
    kd, ky : float or array-like
        Multiples of the benchmark's strength with the treatment and the
        outcome (``ky`` defaults to ``kd``).

    Returns
    -------
    r2dz_x, r2yz_dx : numpy.ndarray
        Bounds on the confounder's partial R² with the treatment and with
        the outcome (Cinelli and Hazlett 2020, section 6.1; the confounder
        is taken orthogonal to the benchmark).
    """
    kd = np.atleast_1d(np.asarray(kd, dtype=float))
    ky = kd if ky is None else np.atleast_1d(np.asarray(ky, dtype=float))
    r2dz_x = kd * r2dxj_x / (1 - r2dxj_x)
    if np.any(r2dz_x >= 1):
        raise ValueError(f"a confounder {kd.max():g} times as strong as this benchmark would "
                         "explain all of the treatment (implied R2 >= 1): use a smaller kd")
    r2zxj_xd = kd * r2dxj_x**2 / ((1 - kd * r2dxj_x) * (1 - r2dxj_x))
    if np.any(r2zxj_xd >= 1):
        raise ValueError("impossible kd for this benchmark: use a smaller kd")
    r2yz_dx = ((np.sqrt(ky) + np.sqrt(r2zxj_xd)) / np.sqrt(1 - r2zxj_xd)) ** 2 * (
        r2yxj_dx / (1 - r2yxj_dx))
    if np.any(r2yz_dx > 1):
        warnings.warn("a bound on the confounder's partial R2 with the outcome exceeds 1 and "
                      "is set to 1; use a smaller ky", stacklevel=2)
        r2yz_dx = np.minimum(r2yz_dx, 1.0)
    return r2dz_x, r2yz_dx


# -- the analysis --------------------------------------------------------------------
@dataclass
class OVBSensitivity:
    """Sensitivity of a regression coefficient to an omitted confounder.

    Build with :func:`ols_sensitivity` (the EVA regression on the register)
    or :func:`ovb_sensitivity` (any linear regression).

    Parameters
    ----------
    treatment, outcome : str
        Names.
    estimate, se : float
        Coefficient and its **classical** (homoskedastic) standard error.
    dof : int
        Residual degrees of freedom.
    benchmarks : pandas.DataFrame
        Per benchmark covariate (group): partial R² with the treatment
        (``r2dxj_x``) and with the outcome (``r2yxj_dx``).
    kd, ky : tuple of float
        Multiples of the benchmarks reported in :meth:`bounds`.
    q, alpha : float
        Share of the estimate to explain away and significance level.
    se_reported : float, optional
        The standard error the regression reports (HC1 for EVA's), shown
        beside the classical one.
    label : str, optional
        What the coefficient is, for tables and plots.
    _extra : dict, optional
        Further numbers kept for the plots (internal).

    Notes
    -----
    The formulas assume the classical OLS standard error: the partial R²s
    come from classical t (or Wald) statistics, and the adjusted standard
    errors and intervals rescale the classical residual variance. Bias,
    bias-adjusted estimates and :math:`RV_q` do not depend on the standard
    errors at all (``se * sqrt(dof)`` is a ratio of residual standard
    deviations), but :math:`RV_{q,\\alpha}` and the adjusted intervals do,
    and they are **not** robust to heteroskedasticity or clustering. EVA
    reports HC1 errors; compare the two in :meth:`stats`
    (``se_reported``).

    Examples
    --------
    >>> import amu_causal as ac
    >>> df, _ = ac.simulate_register(n=2_000, seed=1)
    >>> ovb = ac.sensitivity.ols_sensitivity(df, benchmarks=("sex",))
    >>> ols = ac.OLSFixedEffects().fit(df)
    >>> bool(abs(ovb.estimate - ols.estimate("ATE")) < 1e-8)   # the same coefficient
    True
    >>> list(ovb.stats()[["rv_q", "rv_qa"]].columns)
    ['rv_q', 'rv_qa']
    """

    treatment: str
    outcome: str
    estimate: float
    se: float
    dof: int
    benchmarks: pd.DataFrame
    kd: tuple = (1.0, 2.0, 3.0)
    ky: tuple | None = None
    q: float = 1.0
    alpha: float = 0.05
    se_reported: float | None = None
    label: str = ""
    _extra: dict = field(default_factory=dict, repr=False)

    @property
    def t_statistic(self) -> float:
        """Classical t statistic."""
        return self.estimate / self.se

    def stats(self) -> pd.DataFrame:
        """Sensitivity statistics: partial R² of the treatment and robustness values.

        Returns
        -------
        pandas.DataFrame
            One row: estimate, classical and reported standard errors, t
            statistic, the treatment's partial R² with the outcome (``r2yd_x``)
            and the robustness values.
        """
        t = self.t_statistic
        return pd.DataFrame([{
            "treatment": self.treatment, "estimate": self.estimate, "se": self.se,
            "se_reported": self.se_reported, "t_statistic": t,
            "r2yd_x": float(partial_r2(t, self.dof)),
            "rv_q": robustness_value(t, self.dof, self.q),
            "rv_qa": robustness_value(t, self.dof, self.q, self.alpha),
            "f2yd_x": t**2 / self.dof, "dof": self.dof, "q": self.q, "alpha": self.alpha,
        }])

    def adjusted(self, r2dz_x, r2yz_dx, label=None) -> pd.DataFrame:
        """Bias-adjusted estimate, standard error, t and interval for given partial R²s.

        Parameters
        ----------
        r2dz_x : float or array-like
            The confounder's partial R² with the treatment, given the covariates.
        r2yz_dx : float or array-like
            Its partial R² with the outcome, given the treatment and covariates.
        label : str or sequence of str, optional
            Row labels.

        Returns
        -------
        pandas.DataFrame
            One row per pair of partial R²s.
        """
        r2dz_x = np.atleast_1d(np.asarray(r2dz_x, dtype=float))
        r2yz_dx = np.broadcast_to(np.asarray(r2yz_dx, dtype=float), r2dz_x.shape)
        est = adjusted_estimate(self.estimate, self.se, self.dof, r2dz_x, r2yz_dx)
        se = adjusted_se(self.se, self.dof, r2dz_x, r2yz_dx)
        crit = stats.t.ppf(1 - self.alpha / 2, self.dof - 1)
        labels = label if label is not None else [""] * len(r2dz_x)
        with np.errstate(divide="ignore", invalid="ignore"):
            t = est / se  # infinite where the confounder explains all of the outcome
        return pd.DataFrame({
            "bound_label": labels, "r2dz_x": r2dz_x, "r2yz_dx": r2yz_dx,
            "adjusted_estimate": est, "adjusted_se": se, "adjusted_t": t,
            "adjusted_lower": est - crit * se, "adjusted_upper": est + crit * se,
        })

    def bounds(self) -> pd.DataFrame:
        """Adjusted estimates for confounders ``kd``/``ky`` times as strong as each benchmark.

        Returns
        -------
        pandas.DataFrame
            One row per benchmark and multiple, with the implied partial R²s and
            the adjusted estimate, standard error and interval.
        """
        frames = []
        for row in self.benchmarks.itertuples(index=False):
            kd = np.asarray(self.kd, dtype=float)
            ky = kd if self.ky is None else np.asarray(self.ky, dtype=float)
            r2dz, r2yz = ovb_bounds(row.r2dxj_x, row.r2yxj_dx, kd, ky)
            labels = [f"{k:g}x {row.benchmark}" for k in kd]
            frames.append(self.adjusted(r2dz, r2yz, labels))
        if not frames:
            return self.adjusted([], []).iloc[:0]
        return pd.concat(frames, ignore_index=True)

    def minimal_table(self) -> pd.DataFrame:
        """The minimal reporting table of Cinelli and Hazlett (2020), Table 2.

        Returns
        -------
        pandas.DataFrame
            One row: estimate, standard error, t, the treatment's partial R²
            with the outcome, :math:`RV_q`, :math:`RV_{q,\\alpha}`, degrees of
            freedom and the bound of the first benchmark.
        """
        s = self.stats().iloc[0]
        row = {"Outcome": self.outcome, "Treatment": self.treatment,
               "Est.": round(s["estimate"], 4), "S.E.": round(s["se"], 4),
               "t-value": round(s["t_statistic"], 2),
               "R2_Y~D|X": f"{100 * s['r2yd_x']:.1f}%",
               f"RV_q={self.q:g}": f"{100 * s['rv_q']:.1f}%",
               f"RV_q={self.q:g},a={self.alpha:g}": f"{100 * s['rv_qa']:.1f}%",
               "df": int(self.dof)}
        bounds = self.bounds()
        if len(bounds):
            first = bounds.iloc[0]
            row["Bound"] = (f"{first['bound_label']}: R2_Y~Z|X,D = {100 * first['r2yz_dx']:.1f}%,"
                            f" R2_D~Z|X = {100 * first['r2dz_x']:.1f}%")
        return pd.DataFrame([row])

    def summary(self) -> str:
        """Plain-words reading of the robustness values.

        Returns
        -------
        str
        """
        s = self.stats().iloc[0]
        text = (
            f"An unobserved confounder that explains {100 * s['rv_q']:.1f} % of the residual "
            f"variance of both {self.treatment} and {self.outcome} would reduce the estimate "
            f"({s['estimate']:.4f}) to zero; one explaining {100 * s['rv_qa']:.1f} % of both "
            f"would make it no longer significant at the {100 * self.alpha:g} % level "
            "(classical errors)."
        )
        bounds = self.bounds()
        for row in bounds.itertuples(index=False):
            text += (f"\n  {row.bound_label}: adjusted estimate {row.adjusted_estimate:.4f} "
                     f"[{row.adjusted_lower:.4f}, {row.adjusted_upper:.4f}]")
        return text

    def plot_contour(self, sensitivity_of: str = "estimate", *, lim: float | None = None,
                     ax=None):
        """Contours of the adjusted estimate (or t value) over the two partial R²s.

        Parameters
        ----------
        sensitivity_of : {"estimate", "t-value"}, default "estimate"
        lim : float, optional
            Upper end of both axes.
        ax : matplotlib.axes.Axes, optional
            Where to draw.

        Returns
        -------
        matplotlib.axes.Axes
        """
        from .plots import plot_ovb_contour

        return plot_ovb_contour(self, sensitivity_of=sensitivity_of, lim=lim, ax=ax)

    def plot_extreme(self, *, lim: float | None = None, ax=None):
        """Adjusted estimate against R²_D~Z|X when the confounder explains all (or
        most) of the outcome's residual variance.

        Parameters
        ----------
        lim : float, optional
            Upper end of the horizontal axis.
        ax : matplotlib.axes.Axes, optional
            Where to draw.

        Returns
        -------
        matplotlib.axes.Axes
        """
        from .plots import plot_ovb_extreme

        return plot_ovb_extreme(self, lim=lim, ax=ax)


def _fit(formula: str, data: pd.DataFrame):
    import pyfixest as pf

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        return pf.feols(formula, data=data, vcov="iid",
                        ssc=pf.ssc(k_adj=True, k_fixef="full", G_adj=True), fixef_rm="none")


def _dof(fit, data: pd.DataFrame, fixed_effects: str | None) -> int:
    n_fe = int(data[fixed_effects].nunique()) if fixed_effects else 0
    return int(len(data) - len(fit.coef()) - n_fe)


def _wald(fit, names: list[str]) -> float:
    b = fit.coef().loc[names].to_numpy()
    vcov = pd.DataFrame(fit._vcov, index=fit.coef().index, columns=fit.coef().index)
    v = vcov.loc[names, names].to_numpy()
    return float(b @ np.linalg.solve(v, b))


def _matching(names, prefixes) -> list[str]:
    return [n for n in names if any(n == p or n.startswith(p + "[") for p in prefixes)]


def ovb_sensitivity(data: pd.DataFrame, *, outcome: str, treatment: str, covariates: str,
                    fixed_effects: str | None = None, benchmarks: dict | None = None,
                    kd=(1, 2, 3), ky=None, q: float = 1.0, alpha: float = 0.05,
                    label: str = "") -> OVBSensitivity:
    """Cinelli-Hazlett sensitivity of a linear regression coefficient.

    Parameters
    ----------
    data : pandas.DataFrame
        The data.
    outcome, treatment : str
        Column names.
    covariates : str
        Right-hand side of the controls in formula syntax (``"age + C(sex)"``).
    fixed_effects : str, optional
        A column absorbed as fixed effects.
    benchmarks : dict of str to list of str, optional
        Benchmark label to the formula terms it covers (``{"sex":
        ["C(sex)"]}``); a group of terms is benchmarked jointly via its
        Wald statistic.
    kd, ky, q, alpha
        As in :class:`OVBSensitivity`.
    label : str, optional
        What the coefficient is, for tables and plots.

    Returns
    -------
    OVBSensitivity

    Examples
    --------
    >>> import pandas as pd
    >>> from amu_causal.sensitivity import ovb_sensitivity
    >>> darfur = pd.read_csv("tests/sensitivity/darfur.csv")  # doctest: +SKIP
    >>> s = ovb_sensitivity(darfur, outcome="peacefactor", treatment="directlyharmed",
    ...                     covariates="age + farmer_dar + herder_dar + pastvoted"
    ...                     " + hhsize_darfur + female", fixed_effects="village",
    ...                     benchmarks={"female": ["female"]})  # doctest: +SKIP
    """
    fe = f" | {fixed_effects}" if fixed_effects else ""
    outcome_fit = _fit(f"{outcome} ~ {treatment} + {covariates}{fe}", data)
    return _from_fits(outcome_fit, _fit(f"{treatment} ~ {covariates}{fe}", data), data,
                      outcome=outcome, treatment=treatment, fixed_effects=fixed_effects,
                      benchmarks=benchmarks, kd=kd, ky=ky, q=q, alpha=alpha, label=label)


def _from_fits(outcome_fit, treatment_fit, data, *, outcome, treatment, fixed_effects,
               benchmarks, kd, ky, q, alpha, label) -> OVBSensitivity:
    """The sensitivity analysis from the fitted outcome and treatment regressions."""
    dof_y = _dof(outcome_fit, data, fixed_effects)
    dof_d = _dof(treatment_fit, data, fixed_effects)
    rows = []
    for name, terms in (benchmarks or {}).items():
        y_names = _matching(outcome_fit.coef().index, terms)
        d_names = _matching(treatment_fit.coef().index, terms)
        if not y_names or not d_names:
            raise ValueError(f"benchmark {name!r}: no coefficient matches the terms {terms}; "
                             f"coefficients are {list(treatment_fit.coef().index)}")
        rows.append({"benchmark": name, "terms": len(y_names),
                     "r2dxj_x": group_partial_r2(_wald(treatment_fit, d_names), dof_d),
                     "r2yxj_dx": group_partial_r2(_wald(outcome_fit, y_names), dof_y)})
    return OVBSensitivity(
        treatment=treatment, outcome=outcome,
        estimate=float(outcome_fit.coef()[treatment]), se=float(outcome_fit.se()[treatment]),
        dof=dof_y, benchmarks=pd.DataFrame(rows, columns=["benchmark", "terms", "r2dxj_x",
                                                          "r2yxj_dx"]),
        kd=tuple(np.atleast_1d(kd).tolist()),
        ky=None if ky is None else tuple(np.atleast_1d(ky).tolist()), q=q, alpha=alpha,
        label=label,
    )


#: Benchmark covariates of the EVA regression and the formula terms each covers.
#: "months_employed" covers the attachment groups too: both measure early employment.
EVA_BENCHMARKS: dict[str, tuple[str, ...]] = {
    "months_employed": ("months_employed", "C(attachment)"),
    "education": ("C(education)",),
    "sex": ("C(sex)",),
}


def ols_sensitivity(source, *, ols=None,
                    benchmarks=("months_employed", "education", "sex"), kd=(1, 2, 3), ky=None,
                    q: float = 1.0, alpha: float = 0.05) -> OVBSensitivity:
    """Cinelli-Hazlett sensitivity of the AMU coefficient in EVA's regression.

    Parameters
    ----------
    source : OLSResult or pandas.DataFrame
        The fitted regression (``OLSFixedEffects().fit(df)``), whose pooled
        fit is reused: only the regression of AMU on the controls is added.
        A register in the data contract is fitted first.
    ols : OLSFixedEffects, optional
        The regression's settings when ``source`` is a register (default
        EVA's specification); a fitted result carries its own.
    benchmarks : sequence of str
        Observed covariates to benchmark against: keys of
        :data:`EVA_BENCHMARKS` or any EVA control.
    kd, ky, q, alpha
        As in :class:`OVBSensitivity`.

    Returns
    -------
    OVBSensitivity
        For the pooled AMU coefficient (the ``ATE`` row of
        :class:`amu_causal.OLSFixedEffects`), with municipality fixed effects.
        Its ``se`` is the classical one the formulas assume; ``se_reported``
        is the regression's own (HC1 or clustered).

    Raises
    ------
    ResultUnavailableError
        If ``source`` is a result without its fitted regressions (one read
        back from a file): pass the register instead.

    Examples
    --------
    >>> import amu_causal as ac
    >>> df, _ = ac.simulate_register(n=3_000, seed=1)
    >>> fit = ac.OLSFixedEffects().fit(df)
    >>> s = ac.sensitivity.ols_sensitivity(fit)
    >>> list(s.benchmarks["benchmark"])
    ['months_employed', 'education', 'sex']
    """
    import copy

    from ..baselines import OLSFixedEffects
    from ..baselines._formula import CONTROL_TERMS, control_formula
    from ..results import OLSResult, fitted_result

    result = fitted_result(source, OLSResult, ols, OLSFixedEffects, argument="ols",
                           needed_by="ols_sensitivity")
    fits = result.fits
    data, ols = fits["data"], fits["ols"]
    terms = {}
    for name in benchmarks:
        if name in EVA_BENCHMARKS:
            terms[name] = list(EVA_BENCHMARKS[name])
        elif name in CONTROL_TERMS:
            terms[name] = [t.strip() for t in CONTROL_TERMS[name].split("+")]
        else:
            raise ValueError(f"unknown benchmark {name!r}; choose from "
                             f"{sorted(set(EVA_BENCHMARKS) | set(CONTROL_TERMS))}")
    # The pooled regression is the outcome regression of the analysis; the formulas
    # assume classical errors, so a copy of it gets them (the result keeps its own).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        outcome_fit = copy.copy(fits["pooled"]).vcov("iid")
    covariates = f"C(attachment) + {control_formula(ols.controls)}"
    treatment_fit = _fit(f"amu ~ {covariates} | municipality",
                         data.assign(amu=data["amu"].astype(float)))
    sensitivity = _from_fits(outcome_fit, treatment_fit, data, outcome="employed_2y",
                             treatment="amu", fixed_effects="municipality", benchmarks=terms,
                             kd=kd, ky=ky, q=q, alpha=alpha, label="OLSFixedEffects")
    sensitivity.se_reported = float(result.effects().set_index("estimand").loc[
        "ATE", "std_error"])
    return sensitivity
