"""E-values (VanderWeele and Ding 2017): how strong a confounder must be on the risk-ratio scale.

A few lines of closed-form arithmetic, written here so they work on posterior
draws and on every estimator's table alike.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.schema import ATTACHMENT_GROUPS

__all__ = ["evalue", "evalue_from_risk_difference", "evalue_table"]


def _point(rr) -> np.ndarray:
    rr = np.asarray(rr, dtype=float)
    if np.any(rr <= 0):
        raise ValueError("risk ratios must be positive")
    rr = np.where(rr < 1, 1 / rr, rr)
    return rr + np.sqrt(rr * (rr - 1))


def evalue(rr, lower=None, upper=None) -> dict:
    """E-value of a risk ratio and of the interval limit closer to the null.

    Parameters
    ----------
    rr : float or array-like
        Risk ratio(s) (treated against untreated); an array of posterior
        draws gives a posterior of the E-value.
    lower, upper : float, optional
        Interval limits of the risk ratio.

    Returns
    -------
    dict
        ``evalue`` (the minimum strength, on the risk-ratio scale, that a
        confounder would need with both treatment and outcome, beyond the
        measured covariates, to explain the risk ratio away) and
        ``evalue_ci`` (the same for the interval limit closer to 1; 1 if
        the interval contains 1).

    Notes
    -----
    :math:`E = RR + \\sqrt{RR (RR - 1)}` for :math:`RR \\ge 1`; for
    :math:`RR < 1` apply it to :math:`1/RR`. The outcome here (employment,
    9 %-40 %) is not rare, so the risk ratio is used directly, never an
    odds ratio.

    Examples
    --------
    >>> from amu_causal.sensitivity import evalue
    >>> e = evalue(3.9, 1.8, 8.8)   # VanderWeele and Ding (2017), section 4
    >>> round(float(e["evalue"]), 2), round(float(e["evalue_ci"]), 2)
    (7.26, 3.0)
    """
    out = {"evalue": _point(rr)}
    rr_point = np.asarray(rr, dtype=float)
    if lower is not None or upper is not None:
        if np.ndim(rr_point) and rr_point.size > 1:
            raise ValueError("interval limits go with a single risk ratio, not draws")
        rr_point = float(rr_point)
        if rr_point >= 1:
            limit = lower
            out["evalue_ci"] = 1.0 if limit is None or limit <= 1 else float(_point(limit))
        else:
            limit = upper
            out["evalue_ci"] = 1.0 if limit is None or limit >= 1 else float(_point(limit))
    if np.ndim(out["evalue"]) == 0:
        out["evalue"] = float(out["evalue"])
    return out


def evalue_from_risk_difference(rd, baseline, lower=None, upper=None) -> dict:
    """E-value from a risk difference and the untreated (baseline) risk.

    The risk difference is turned into a risk ratio
    :math:`RR = (p_0 + RD) / p_0` with the baseline risk :math:`p_0` held
    fixed, and so are its interval limits (the uncertainty of :math:`p_0` is
    ignored; it is small next to that of the effect here).

    Parameters
    ----------
    rd : float or numpy.ndarray
        Risk difference (probability scale), or posterior draws of it.
    baseline : float
        Risk without treatment, :math:`p_0`.
    lower, upper : float, optional
        Interval limits of the risk difference.

    Returns
    -------
    dict
        ``rr``, ``rr_lower``, ``rr_upper`` (the risk ratios) and the
        E-values ``evalue`` and ``evalue_ci`` as in :func:`evalue`.

    Examples
    --------
    >>> from amu_causal.sensitivity import evalue_from_risk_difference
    >>> e = evalue_from_risk_difference(0.10, 0.09, 0.05, 0.15)   # EVA: 19 % vs 9 %
    >>> round(float(e["rr"]), 3), round(float(e["evalue"]), 2)
    (2.111, 3.64)
    """
    if not 0 < baseline < 1:
        raise ValueError(f"baseline risk must lie strictly between 0 and 1, got {baseline}")

    def to_rr(x):
        rr = (baseline + np.asarray(x, dtype=float)) / baseline
        if np.any(rr <= 0):
            raise ValueError("the risk difference implies a treated risk of 0 or less")
        return rr

    def limit_rr(x):
        # an interval limit may reach below a treated risk of 0 (a wide interval of a
        # small group); its risk ratio is then 0 in effect, and the E-value of the
        # interval is 1 if that limit is the one nearer the null
        return float(max((baseline + float(x)) / baseline, 1e-12))

    rr = to_rr(rd)
    out = evalue(rr, None if lower is None else limit_rr(lower),
                 None if upper is None else limit_rr(upper))
    out["rr"] = float(rr) if np.ndim(rr) == 0 else rr
    return out


def _default_estimands(table: pd.DataFrame) -> list[str]:
    wanted = ["ATE", "ATT", *[f"ATE[attachment={g}]" for g in ATTACHMENT_GROUPS]]
    return [name for name in wanted if name in table.index]


def _has_untreated_draws(result) -> bool:
    from ..results import BayesianResult, ResultUnavailableError

    if not isinstance(result, BayesianResult):
        return False
    try:
        result.untreated_draws("ATE")
    except ResultUnavailableError:
        return False
    return True


def _bayes_rows(result, estimands) -> list[dict]:
    """E-values from posterior draws of the risk ratio in each estimand's population."""
    level = float(result.effects_table["level"].iloc[0])
    tail = (1 - level) / 2
    rows = []
    for name in estimands:
        if name not in ("ATE", "ATT", "ATC") and not name.startswith(
                ("ATE[attachment=", "ATT[attachment=")):
            raise ValueError(f"no E-value for estimand {name!r}")
        effect = result.estimand_draws(name).values.ravel()
        y0 = result.untreated_draws(name).values.ravel()
        if not np.isfinite(effect).all():
            continue  # e.g. the ATT of a group without participants
        rr = (y0 + effect) / y0
        lower, upper = np.quantile(rr, [tail, 1 - tail])
        e = evalue(float(rr.mean()), float(lower), float(upper))
        rows.append({"estimand": name, "baseline": float(y0.mean()), "rr": float(rr.mean()),
                     "rr_lower": float(lower), "rr_upper": float(upper), **e,
                     "evalue_median": float(np.median(_point(rr))),
                     "source": "posterior draws of E[Y(1)] / E[Y(0)] in the estimand's "
                               "population"})
    return rows


def evalue_table(result, *, baseline: float | None = None, estimands=None) -> pd.DataFrame:
    """E-values for a :class:`~amu_causal.CausalResult`, each on its own baseline risk.

    A risk difference is turned into a risk ratio with the employment rate
    without AMU, :math:`E[Y(0)]`, of the same population: everyone for the
    ATE, the participants for the ATT, the members of an attachment group
    for its effect (EVA's groups range from about 9 % to 60 % employed).
    Each estimator provides it (``table("untreated_mean")``): the Bayesian
    model as posterior draws, so that the risk ratio and its E-value have a
    posterior too; OLS from its fitted values without AMU, DML doubly
    robust, both as point estimates held fixed.

    Parameters
    ----------
    result : CausalResult
        Any estimator's result.
    baseline : float, optional
        One employment rate without AMU for every row, overriding the
        estimator's own (for results that have none; the ``source`` column
        says so).
    estimands : sequence of str, optional
        Default: the ATE, the ATT and the effects by attachment group that
        the result has.

    Returns
    -------
    pandas.DataFrame
        ``estimator``, ``estimand``, ``baseline`` (the :math:`E[Y(0)]`
        used), ``rr``, ``rr_lower``, ``rr_upper``, ``evalue``, ``evalue_ci``
        (for the interval limit nearer 1) and ``source``; for the Bayesian
        model also ``evalue_median``, the posterior median of the E-value.

    Raises
    ------
    ValueError
        If the result has no baseline of its own and none is given.

    References
    ----------
    VanderWeele, T. J. and Ding, P. (2017). Sensitivity analysis in
    observational research: introducing the E-value. Annals of Internal
    Medicine 167(4), 268-274.

    Examples
    --------
    >>> import pandas as pd
    >>> import amu_causal as ac
    >>> from amu_causal.sensitivity import evalue_table
    >>> effects = pd.DataFrame({"estimator": "OLS", "estimand": ["ATE"], "estimate": [0.10],
    ...     "std_error": [0.025], "ci_lower": [0.05], "ci_upper": [0.15], "level": [0.95],
    ...     "p_positive": [float("nan")]})
    >>> table = evalue_table(ac.CausalResult("OLS", effects, n=100), baseline=0.09)
    >>> round(float(table["rr"].iloc[0]), 3), round(float(table["evalue"].iloc[0]), 2)
    (2.111, 3.64)
    """
    table = result.effects().set_index("estimand")
    estimands = list(estimands) if estimands is not None else _default_estimands(table)
    has_draws = _has_untreated_draws(result)
    if baseline is None and has_draws:
        rows = _bayes_rows(result, estimands)
    else:
        own = result.tables.get("untreated_mean")
        if baseline is None and (own is None or own.empty) and "RR" in table.index:
            # a risk ratio without draws or baselines (e.g. a table read back): the ATE's
            r = table.loc["RR"]
            out = pd.DataFrame([{"estimand": "RR", "baseline": np.nan, "rr": r["estimate"],
                                 "rr_lower": r["ci_lower"], "rr_upper": r["ci_upper"],
                                 **evalue(r["estimate"], r["ci_lower"], r["ci_upper"]),
                                 "source": "risk ratio"}])
            out.insert(0, "estimator", result.estimator)
            return out
        if baseline is None and (own is None or own.empty):
            raise ValueError(f"{result.estimator} reports no employment rate without AMU: pass "
                             "baseline (e.g. the rate among non-participants)")
        own = own.set_index("estimand")["estimate"] if own is not None else pd.Series()
        rows = []
        for name in estimands:
            if name not in table.index or (baseline is None and name not in own.index):
                continue
            p0 = float(baseline if baseline is not None else own[name])
            r = table.loc[name]
            if not p0 + r["estimate"] > 0:
                continue  # the estimate implies no one employed with AMU: no risk ratio
            e = evalue_from_risk_difference(r["estimate"], p0, r["ci_lower"], r["ci_upper"])
            rows.append({"estimand": name, "baseline": p0, "rr": e.pop("rr"),
                         "rr_lower": max(0.0, (p0 + r["ci_lower"]) / p0),
                         "rr_upper": (p0 + r["ci_upper"]) / p0, **e,
                         "source": (f"risk difference, one baseline {p0:.3f} for every row"
                                    if baseline is not None else
                                    "risk difference, E[Y(0)] of the estimand's population "
                                    "(held fixed)")})
    out = pd.DataFrame(rows)
    out.insert(0, "estimator", result.estimator)
    return out
