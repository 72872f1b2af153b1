"""E-values (VanderWeele and Ding 2017): how strong a confounder must be on the risk-ratio scale.

A few lines of closed-form arithmetic, written here so they work on posterior
draws and on every estimator's table alike.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

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

    rr = to_rr(rd)
    out = evalue(rr, None if lower is None else float(to_rr(lower)),
                 None if upper is None else float(to_rr(upper)))
    out["rr"] = float(rr) if np.ndim(rr) == 0 else rr
    return out


def evalue_table(result, *, baseline: float | None = None,
                 estimands=("ATE",)) -> pd.DataFrame:
    """E-values for a :class:`~amu_causal.CausalResult`.

    Uses the result's ``RR`` row when it has one (the Bayesian model: the
    interval limits of the risk ratio), otherwise converts each risk
    difference with ``baseline`` (the employment rate without AMU; for OLS
    and DML pass the observed rate among non-participants).

    Parameters
    ----------
    result : CausalResult
        Any estimator's result.
    baseline : float, optional
        Employment rate without AMU; needed when the result has no ``RR``
        row.
    estimands : sequence of str, default ("ATE",)
        Risk differences to convert when there is no ``RR`` row.

    Returns
    -------
    pandas.DataFrame
        ``estimator``, ``estimand``, ``rr``, ``rr_lower``, ``rr_upper``,
        ``evalue``, ``evalue_ci``, ``source``.

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
    rows = []
    if "RR" in table.index:
        r = table.loc["RR"]
        e = evalue(r["estimate"], r["ci_lower"], r["ci_upper"])
        rows.append({"estimand": "RR", "rr": r["estimate"], "rr_lower": r["ci_lower"],
                     "rr_upper": r["ci_upper"], **e, "source": "risk ratio"})
    else:
        if baseline is None:
            raise ValueError(f"{result.estimator} reports no risk ratio: pass baseline, the "
                             "employment rate without AMU (e.g. among non-participants)")
        for name in estimands:
            if name not in table.index:
                continue
            r = table.loc[name]
            e = evalue_from_risk_difference(r["estimate"], baseline, r["ci_lower"],
                                            r["ci_upper"])
            rows.append({"estimand": name, "rr": e.pop("rr"),
                         "rr_lower": (baseline + r["ci_lower"]) / baseline,
                         "rr_upper": (baseline + r["ci_upper"]) / baseline, **e,
                         "source": f"risk difference, baseline {baseline:.3f}"})
    out = pd.DataFrame(rows)
    out.insert(0, "estimator", result.estimator)
    return out
