"""Performance measures of an estimator over Monte Carlo replications, with MCSEs.

Pure array functions, after Morris, White and Crowther (2019), Table 6.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["METRICS", "paired_comparison", "performance", "performance_table"]

#: Measures in :func:`performance`, each with a ``<name>_mcse`` column.
METRICS = ("bias", "emp_se", "rmse", "coverage", "width", "model_se")


def performance(estimate, truth, ci_lower, ci_upper, std_error=None, *,
                level: float = 0.95) -> dict[str, float]:
    """Bias, empirical SE, RMSE, coverage, interval width and model SE, with MCSEs.

    Parameters
    ----------
    estimate : array-like
        One estimate per replication; NaN marks a failed replication, which
        is left out and counted in ``n_failed``.
    truth : array-like or float
        The true value in each replication (sample estimands differ between
        registers) or one value for all.
    ci_lower, ci_upper : array-like
        Interval limits per replication.
    std_error : array-like, optional
        Reported standard error per replication (posterior SD for Bayesian
        fits).
    level : float, default 0.95
        Nominal level of the intervals; the coverage MCSE is computed at it.

    Returns
    -------
    dict
        ``n_reps`` (used), ``n_failed``, ``mean_truth``, ``mean_estimate``
        and each of :data:`METRICS` with its Monte Carlo standard error
        ``<name>_mcse``.

    Notes
    -----
    With :math:`n_{sim}` replications, errors :math:`e_i = \\hat\\theta_i -
    \\theta_i`, :math:`\\bar e` their mean and :math:`s_e^2 = \\sum_i (e_i -
    \\bar e)^2 / (n_{sim} - 1)`:

    - bias :math:`\\bar e`, MCSE :math:`s_e / \\sqrt{n_{sim}}`;
    - empirical SE :math:`s_e`, MCSE :math:`s_e / \\sqrt{2(n_{sim}-1)}`;
    - RMSE :math:`\\sqrt{\\mathrm{MSE}}` with :math:`\\mathrm{MSE} = \\overline{e^2}`,
      MCSE :math:`\\mathrm{MCSE(MSE)} / (2\\,\\mathrm{RMSE})` where
      :math:`\\mathrm{MCSE(MSE)} = \\sqrt{\\sum_i (e_i^2 - \\mathrm{MSE})^2 /
      (n_{sim}(n_{sim}-1))}`;
    - coverage :math:`\\hat p`, the share of intervals :math:`[l_i, u_i]`
      that contain :math:`\\theta_i`, MCSE :math:`\\sqrt{p_0(1-p_0) / n_{sim}}`
      at the nominal level :math:`p_0` (the spread of :math:`\\hat p` if the
      intervals are calibrated, which is what the check asks; at the
      observed :math:`\\hat p` an interval that always covers would have MCSE
      0); ``coverage_mcse_observed`` is :math:`\\sqrt{\\hat p(1-\\hat p) /
      n_{sim}}`;
    - mean interval width :math:`\\bar w`, :math:`w_i = u_i - l_i`, MCSE
      :math:`s_w / \\sqrt{n_{sim}}`;
    - model SE :math:`\\sqrt{\\overline{\\widehat{SE}_i^2}}`, MCSE
      :math:`\\sqrt{\\operatorname{Var}(\\widehat{SE}_i^2) / (4 n_{sim}
      \\mathrm{ModSE}^2)}`.

    Morris et al. define the empirical SE as the SD of the estimates for a
    fixed true value; here the truth is a sample estimand that varies
    between registers, so the SD of the errors is used (the two agree when
    the truth is fixed). It is the quantity the reported SEs should match.
    The RMSE's MCSE is the delta method applied to Morris et al.'s MCSE of
    the MSE.

    References
    ----------
    Morris, T. P., White, I. R. and Crowther, M. J. (2019). Using simulation
    studies to evaluate statistical methods. Statistics in Medicine 38(11),
    2074-2102.

    Examples
    --------
    >>> from amu_causal.validation import performance
    >>> m = performance([1.0, 3.0], 1.0, [0.0, 2.5], [2.0, 3.5])
    >>> m["bias"], m["coverage"], m["width"], round(m["coverage_mcse"], 4)
    (1.0, 0.5, 1.5, 0.1541)
    """
    estimate = np.asarray(estimate, dtype=float)
    n_total = estimate.size
    truth = np.broadcast_to(np.asarray(truth, dtype=float), estimate.shape)
    lower = np.broadcast_to(np.asarray(ci_lower, dtype=float), estimate.shape)
    upper = np.broadcast_to(np.asarray(ci_upper, dtype=float), estimate.shape)
    se = (np.full(estimate.shape, np.nan) if std_error is None
          else np.broadcast_to(np.asarray(std_error, dtype=float), estimate.shape))
    ok = np.isfinite(estimate) & np.isfinite(truth)
    n = int(ok.sum())
    out: dict[str, float] = {"n_reps": n, "n_failed": int(n_total - n)}
    e, truth, lower, upper, se = estimate[ok] - truth[ok], truth[ok], lower[ok], upper[ok], se[ok]
    nan = float("nan")
    out["mean_truth"] = float(truth.mean()) if n else nan
    out["mean_estimate"] = float(estimate[ok].mean()) if n else nan
    if n == 0:
        return out | {k: nan for m in METRICS for k in (m, f"{m}_mcse")}
    s_e = float(e.std(ddof=1)) if n > 1 else nan
    out["bias"] = float(e.mean())
    out["bias_mcse"] = s_e / np.sqrt(n)
    out["emp_se"] = s_e
    out["emp_se_mcse"] = s_e / np.sqrt(2 * (n - 1)) if n > 1 else nan
    mse = float(np.mean(e**2))
    out["rmse"] = float(np.sqrt(mse))
    mse_mcse = float(np.sqrt(np.sum((e**2 - mse) ** 2) / (n * (n - 1)))) if n > 1 else nan
    out["rmse_mcse"] = mse_mcse / (2 * out["rmse"]) if out["rmse"] > 0 else nan
    intervals = np.isfinite(lower) & np.isfinite(upper)
    if intervals.any():
        covered = (lower[intervals] <= truth[intervals]) & (truth[intervals] <= upper[intervals])
        p, m = float(covered.mean()), int(intervals.sum())
        out["coverage"] = p
        out["coverage_mcse"] = float(np.sqrt(level * (1 - level) / m))
        out["coverage_mcse_observed"] = float(np.sqrt(p * (1 - p) / m))
        width = upper[intervals] - lower[intervals]
        out["width"] = float(width.mean())
        out["width_mcse"] = float(width.std(ddof=1) / np.sqrt(m)) if m > 1 else nan
    else:
        out.update(coverage=nan, coverage_mcse=nan, coverage_mcse_observed=nan, width=nan,
                   width_mcse=nan)
    variance = se[np.isfinite(se)] ** 2
    if variance.size:
        model_se = float(np.sqrt(variance.mean()))
        out["model_se"] = model_se
        out["model_se_mcse"] = (float(np.sqrt(variance.var(ddof=1) / (4 * variance.size
                                                                        * model_se**2)))
                                if variance.size > 1 and model_se > 0 else nan)
    else:
        out.update(model_se=nan, model_se_mcse=nan)
    return out


def performance_table(results: pd.DataFrame, *, by=("estimator", "estimand"),
                      truth: str = "truth") -> pd.DataFrame:
    """:func:`performance` for every group of a long results table.

    Parameters
    ----------
    results : pandas.DataFrame
        One row per replication, estimator and estimand, with columns
        ``estimate``, ``ci_lower``, ``ci_upper``, ``std_error`` and the truth.
    by : sequence of str
        Grouping columns.
    truth : str, default "truth"
        Column with the true value (e.g. ``truth_direct`` for the direct
        effect in the post-treatment scenario).

    Returns
    -------
    pandas.DataFrame
        One row per group: the grouping columns, ``n_reps``, ``n_failed``,
        ``mean_truth``, ``mean_estimate`` and each measure with its MCSE.

    Examples
    --------
    >>> import pandas as pd
    >>> from amu_causal.validation import performance_table
    >>> rows = pd.DataFrame({"estimator": "x", "estimand": "ATE", "estimate": [0.1, 0.3],
    ...                      "std_error": 0.1, "ci_lower": [0.0, 0.1],
    ...                      "ci_upper": [0.2, 0.5], "truth": 0.2})
    >>> table = performance_table(rows)
    >>> round(abs(float(table["bias"].iloc[0])), 12), float(table["coverage"].iloc[0])
    (0.0, 1.0)
    """
    by = list(by)
    missing = [c for c in (*by, "estimate", "ci_lower", "ci_upper", truth)
               if c not in results.columns]
    if missing:
        raise KeyError(f"results lack the columns {missing}")
    rows = []
    for keys, group in results.groupby(by, sort=True, observed=True):
        keys = keys if isinstance(keys, tuple) else (keys,)
        levels = group["level"].dropna().unique() if "level" in group else np.array([])
        if len(levels) > 1:
            raise ValueError(f"intervals of more than one level in one group {keys}: "
                             f"{sorted(levels)}")
        metrics = performance(group["estimate"], group[truth], group["ci_lower"],
                              group["ci_upper"], group.get("std_error"),
                              level=float(levels[0]) if len(levels) else 0.95)
        rows.append(dict(zip(by, keys, strict=True)) | metrics)
    return pd.DataFrame(rows)


def paired_comparison(results: pd.DataFrame, estimand: str = "ATE", *,
                      truth: str = "truth") -> pd.DataFrame:
    """Differences between estimators on the same registers, with paired MCSEs.

    The estimators of a Monte Carlo study are fitted to the same simulated
    registers, so their errors are correlated; the MCSE of a difference
    is then the SD of the per-replication differences over
    :math:`\\sqrt{n_{sim}}`, usually much smaller than the two separate
    MCSEs combined.

    Parameters
    ----------
    results : pandas.DataFrame
        Stored rows: ``replication``, ``estimator``, ``estimand``,
        ``estimate``, ``ci_lower``, ``ci_upper`` and the truth.
    estimand : str, default "ATE"
    truth : str, default "truth"

    Returns
    -------
    pandas.DataFrame
        One row per pair of estimators (``estimator_a``, ``estimator_b``)
        with ``replications`` (where both succeeded),
        ``bias_difference`` (a minus b) and ``abs_error_difference`` (mean of
        :math:`|e_a| - |e_b|`), ``coverage_difference`` (share covered by a
        minus by b), each with ``<name>_mcse``, and ``discordant`` (how many
        registers one interval covers and the other does not).

    Examples
    --------
    >>> import pandas as pd
    >>> from amu_causal.validation import paired_comparison
    >>> rows = pd.DataFrame({"replication": [0, 0, 1, 1], "estimator": ["a", "b"] * 2,
    ...                      "estimand": "ATE", "estimate": [1.0, 2.0, 3.0, 4.0],
    ...                      "ci_lower": 0.0, "ci_upper": [5.0, 1.0, 5.0, 5.0],
    ...                      "truth": 2.0})
    >>> paired_comparison(rows)[["bias_difference", "coverage_difference", "discordant"]]
       bias_difference  coverage_difference  discordant
    0             -1.0                  0.5           1
    """
    rows = results[results["estimand"] == estimand]
    if rows.empty:
        raise KeyError(f"no rows for estimand {estimand!r}")
    wide = rows.pivot_table(index="replication", columns="estimator",
                            values=["estimate", "ci_lower", "ci_upper", truth],
                            aggfunc="first")
    names = sorted(rows["estimator"].unique())
    out = []
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            cols = [(c, e) for c in ("estimate", "ci_lower", "ci_upper", truth) for e in (a, b)]
            both = wide[cols].dropna()
            r = len(both)
            err = {e: both[("estimate", e)] - both[(truth, e)] for e in (a, b)}
            cov = {e: ((both[("ci_lower", e)] <= both[(truth, e)])
                       & (both[(truth, e)] <= both[("ci_upper", e)])).astype(float)
                   for e in (a, b)}
            diffs = {"bias_difference": err[a] - err[b],
                     "abs_error_difference": err[a].abs() - err[b].abs(),
                     "coverage_difference": cov[a] - cov[b]}
            row = {"estimand": estimand, "estimator_a": a, "estimator_b": b, "replications": r}
            for name, d in diffs.items():
                row[name] = float(d.mean()) if r else np.nan
                row[f"{name}_mcse"] = float(d.std(ddof=1) / np.sqrt(r)) if r > 1 else np.nan
            row["discordant"] = int((cov[a] != cov[b]).sum())
            out.append(row)
    columns = ["estimand", "estimator_a", "estimator_b", "replications"]
    for name in ("bias_difference", "abs_error_difference", "coverage_difference"):
        columns += [name, f"{name}_mcse"]
    return pd.DataFrame(out, columns=[*columns, "discordant"])
