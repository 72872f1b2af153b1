"""Plots of Monte Carlo and SBC results. They draw stored results and fit nothing."""

from __future__ import annotations

import numpy as np

from .._plotting import ax_or_new, axes_or_new

__all__ = ["plot_monte_carlo", "plot_sbc_ecdf"]


def plot_monte_carlo(result, estimand: str = "ATE", ax=None):
    """Errors (estimate minus truth) of each estimator, with bias and coverage.

    Parameters
    ----------
    result : MonteCarloResult
        A stored study.
    estimand : str, default "ATE"
        Which estimand.
    ax : matplotlib.axes.Axes, optional
        Where to draw.

    Returns
    -------
    matplotlib.axes.Axes
        One strip of errors (percentage points) per estimator, its mean (the
        bias) with a 95 % Monte Carlo interval, and the coverage of its
        intervals in the label.

    Examples
    --------
    >>> import tempfile
    >>> from concurrent.futures import ThreadPoolExecutor
    >>> import amu_causal as ac
    >>> from amu_causal.validation import MonteCarloStudy, plot_monte_carlo
    >>> study = MonteCarloStudy("no_confounding", [ac.OLSFixedEffects()], n=1_000, n_reps=2)
    >>> with tempfile.TemporaryDirectory() as d, ThreadPoolExecutor(1) as pool:
    ...     ax = plot_monte_carlo(study.run(d, executor=pool, progress=False))
    """

    rows = result.results[result.results["estimand"] == estimand].dropna(subset=["estimate"])
    metrics = result.metrics([estimand]).set_index("estimator")
    names = list(metrics.index)
    ax = ax_or_new(ax, (7, 1.0 + 0.8 * len(names)))
    rng = np.random.default_rng(0)  # jitter only
    for k, name in enumerate(names):
        errors = 100 * (rows.loc[rows["estimator"] == name, "estimate"]
                        - rows.loc[rows["estimator"] == name, "truth"]).to_numpy()
        y = k + rng.uniform(-0.18, 0.18, size=errors.size)
        ax.plot(errors, y, "o", ms=2.5, alpha=0.35, color="0.4")
        m = metrics.loc[name]
        ax.errorbar(100 * m["bias"], k, xerr=196 * m["bias_mcse"], fmt="D", color="C3",
                    ms=6, capsize=4)
    ax.axvline(0, color="black", lw=1)
    ax.set_yticks(range(len(names)))
    ax.set_yticklabels([f"{n}\ncoverage {metrics.loc[n, 'coverage']:.3f} "
                        f"({metrics.loc[n, 'coverage_mcse']:.3f})" for n in names],
                       fontsize=8)
    ax.set_xlabel(f"{estimand}: estimate minus truth (percentage points)")
    ax.set_title(f"{result.study.scenario.name}: {int(metrics['n_reps'].max())} "
                 f"replications, n = {result.study.scenario.register_size(result.study.n):,}",
                 fontsize=10)
    return ax


def plot_sbc_ecdf(result, quantities=None, axes=None, ci_prob: float = 0.95,
                  random_seed=0):
    """ECDF-difference plot of the SBC ranks of each quantity, with simultaneous bands.

    Parameters
    ----------
    result : SBCResult
        Stored ranks.
    quantities : sequence of str, optional
        Which quantities (default: all).
    axes : array of matplotlib.axes.Axes, optional
        One per quantity.
    ci_prob : float, default 0.95
        Joint probability of the band (simultaneous over the ranks).
    random_seed : int, default 0
        Seed of the simulated band.

    Returns
    -------
    numpy.ndarray of matplotlib.axes.Axes

    Notes
    -----
    Drawn with :func:`arviz.plot_ecdf` (``difference=True``,
    ``confidence_bands="simulated"``): the ECDF of the ranks minus the
    discrete uniform CDF on ``0 .. thin_to``, with the simultaneous band of
    Säilynoja, Bürkner and Vehtari (2022). An ECDF that leaves the band
    means non-uniform ranks: a bowl shape says the posterior is too wide,
    a hump too narrow, a slope a biased posterior.

    Examples
    --------
    The ranks come from MCMC fits, so the lines are not run as doctests:

    >>> from amu_causal.validation import SBCStudy, plot_sbc_ecdf, run_sbc
    >>> result = run_sbc(SBCStudy(n=300, n_fits=40), "sbc_results")  # doctest: +SKIP
    >>> axes = plot_sbc_ecdf(result)  # doctest: +SKIP
    """
    import arviz as az
    from scipy import stats

    names = list(quantities) if quantities is not None else result.quantities
    rows, cols = int(np.ceil(len(names) / 4)), 4
    axes = axes_or_new(axes, rows, cols, (3.2 * cols, 2.4 * rows))
    axes = np.atleast_1d(axes).ravel()
    n_ranks = result.study.thin_to + 1
    reference = stats.randint(0, n_ranks)
    ok = result.ranks[result.ranks["error"] == ""]
    for ax, name in zip(axes, names, strict=False):
        ranks = ok.loc[ok["quantity"] == name, "rank"].to_numpy().copy()

        def rvs(size, random_state=None):
            return reference.rvs(size=size, random_state=random_state)

        az.plot_ecdf(ranks, cdf=reference.cdf, difference=True,
                     confidence_bands="simulated", ci_prob=ci_prob, rvs=rvs,
                     eval_points=np.arange(n_ranks), random_state=random_seed, ax=ax)
        ax.set_title(name, fontsize=9)
        ax.tick_params(labelsize=7)
    for ax in axes[len(names):]:
        ax.set_visible(False)
    return axes
