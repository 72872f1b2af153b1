"""DoubleML's sensitivity analysis (Chernozhukov et al. 2022) for the DML baseline."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["DML_BENCHMARKS", "DMLSensitivity", "dml_sensitivity"]

#: Benchmark covariates and the DML features each covers.
DML_BENCHMARKS: dict[str, tuple[str, ...]] = {
    "months_employed": ("months_employed", "attachment"),
    "education": ("education",),
    "sex": ("sex",),
    "age": ("age",),
}


@dataclass
class DMLSensitivity:
    """Bounds on the DML estimate under confounding of given strength.

    DoubleML parameterises a confounder by ``cf_y`` (share of the residual
    variation of the outcome regression it explains), ``cf_d`` (how much it
    would change the Riesz representer, for a binary treatment roughly the
    gain in explaining participation) and ``rho`` (the correlation of the two
    confounding terms; 1 is the worst case). The bounds are
    :math:`\\theta \\pm |\\rho|\\,\\sqrt{\\mathrm{cf}_y \\mathrm{cf}_d /
    (1 - \\mathrm{cf}_d)}\\;S`, with :math:`S` estimated from the fitted
    nuisance models (Chernozhukov et al. 2022). Build it with
    :func:`dml_sensitivity`.

    Parameters
    ----------
    estimate : float
        The unadjusted DML estimate (ATE for IRM, the coefficient for PLR).
    rho : float
        Correlation used for the contour plot and the scenario table.
    level : float
        Confidence level.
    benchmarks : pandas.DataFrame
        ``benchmark``, ``cf_y``, ``cf_d``, ``rho``, ``delta_theta``: the
        strengths DoubleML's benchmarking finds when a covariate group is
        left out of the nuisance models (refitted with the same folds).
    _fitted : doubleml.irm.DoubleMLIRM or doubleml.plm.DoubleMLPLR
        The fitted DoubleML object the bounds are computed from (internal).

    clusters : numpy.ndarray, optional
        Municipality of each person: the confidence bounds are then
        clustered by municipality like :class:`amu_causal.DML`'s own
        intervals. ``None`` gives DoubleML's person-level bounds.

    Notes
    -----
    The bounds themselves are DoubleML's. Their confidence bounds use
    DoubleML's score elements (the scaled score and the score of the
    maximal bias, ``psi - s * psi_max_bias`` for confounding strength
    :math:`s = |\\rho|\\sqrt{\\mathrm{cf}_y\\mathrm{cf}_d/(1-\\mathrm{cf}_d)}`) and
    DoubleML's one-sided normal quantile, but their variance is summed over
    municipalities (CRV1, as :func:`amu_causal.baselines.dml.cluster_robust_se`).
    DoubleML 0.11 clusters this variance only for its own cluster data,
    whose sample splitting puts whole municipalities in one fold; that
    would keep municipality out of the nuisance models (see
    :class:`amu_causal.DML`), so the clustered variance is computed here.
    ``ci_lower_person``/``ci_upper_person`` keep DoubleML's person-level
    bounds for comparison.

    ``rho`` defaults to 1, DoubleML's default and worst case (the
    confounding terms perfectly aligned). The benchmarks' own ``rho``
    (DoubleML's "degree of adversity" of the left-out covariates) is
    reported beside them; pass it as ``rho`` to use it instead.

    Examples
    --------
    Fitting DoubleML's cross-fitted learners takes minutes, so the lines are
    not run as doctests:

    >>> import amu_causal as ac
    >>> df, _ = ac.simulate_register(n=3_000, seed=1)
    >>> s = ac.sensitivity.dml_sensitivity(df, benchmarks=("sex",))  # doctest: +SKIP
    >>> s.analysis(cf_y=0.03, cf_d=0.03)[["theta_lower", "ci_lower"]]  # doctest: +SKIP
    >>> s.robustness_values()  # doctest: +SKIP
    """

    estimate: float
    rho: float
    level: float
    benchmarks: pd.DataFrame
    _fitted: object = field(repr=False, default=None)
    clusters: np.ndarray | None = field(repr=False, default=None)
    # contour grids already computed, by (value, lim, size): each grid point is one
    # call of DoubleML's sensitivity_analysis (441 calls, about 7 s, for the default)
    _contours: dict = field(init=False, repr=False, default_factory=dict, compare=False)
    _robustness: dict = field(init=False, repr=False, default_factory=dict, compare=False)

    def _strength(self, cf_y: float, cf_d: float, rho: float) -> float:
        return abs(rho) * float(np.sqrt(cf_y * cf_d / (1.0 - cf_d)))

    def _se(self, psi: np.ndarray) -> np.ndarray:
        """Standard errors of DoubleML's scaled scores ``(n, n_rep)``, clustered or not."""
        n = psi.shape[0]
        if self.clusters is None:
            return np.sqrt(np.mean(psi**2, axis=0) / n)
        codes, _ = pd.factorize(np.asarray(self.clusters))
        g = int(codes.max()) + 1
        sums = np.stack([np.bincount(codes, weights=psi[:, r], minlength=g)
                         for r in range(psi.shape[1])], axis=1)
        return np.sqrt(g / (g - 1) * np.sum(sums**2, axis=0)) / n

    def _bounds(self, cf_y: float, cf_d: float, rho: float) -> dict:
        """Bounds and confidence bounds, aggregated over repetitions as DoubleML does."""
        from scipy.stats import norm

        framework = self._fitted.framework
        thetas = np.asarray(framework.all_thetas)[0]  # (n_rep,)
        psi = np.asarray(framework.scaled_psi)[:, 0, :]  # (n, n_rep)
        elements = framework.sensitivity_elements
        max_bias = np.asarray(elements["max_bias"])[0, 0]
        psi_bias = np.asarray(elements["psi_max_bias"])[:, 0, :]
        s = self._strength(cf_y, cf_d, rho)
        q = norm.ppf(self.level)  # one-sided, as DoubleML
        lower, upper = thetas - s * max_bias, thetas + s * max_bias
        return {"theta_lower": float(np.median(lower)), "theta_upper": float(np.median(upper)),
                "ci_lower": float(np.median(lower - q * self._se(psi - s * psi_bias))),
                "ci_upper": float(np.median(upper + q * self._se(psi + s * psi_bias)))}

    def _robustness_values(self, rho: float) -> tuple[float, float]:
        """RV and RVa: the common cf_y = cf_d bringing the bound (its confidence bound)
        toward zero to zero, with this object's (clustered) confidence bounds."""
        from scipy.optimize import brentq

        if rho not in self._robustness:
            out = []
            for key in ("theta", "ci"):
                side = "lower" if self.estimate >= 0 else "upper"

                def toward_zero(c, key=key, side=side):
                    value = self._bounds(c, c, rho)[f"{key}_{side}"]
                    return value if side == "lower" else -value

                if toward_zero(0.0) <= 0:
                    out.append(0.0)
                elif toward_zero(0.9999) > 0:
                    out.append(1.0)
                else:
                    out.append(float(brentq(toward_zero, 0.0, 0.9999, xtol=1e-8)))
            self._robustness[rho] = tuple(out)
        return self._robustness[rho]

    def analysis(self, cf_y: float, cf_d: float, rho: float | None = None) -> pd.DataFrame:
        """Bounds and confidence bounds for one confounding scenario.

        Parameters
        ----------
        cf_y : float
            Share of the outcome regression's residual variation the confounder
            explains, in [0, 1).
        cf_d : float
            The confounder's gain in the Riesz representer (roughly in explaining
            participation), in [0, 1).
        rho : float, optional
            Correlation of the two confounding terms; default :attr:`rho`.

        Returns
        -------
        pandas.DataFrame
            One row: ``cf_y``, ``cf_d``, ``rho``, ``estimate``, the bounds
            ``theta_lower``/``theta_upper``, the confidence bounds
            ``ci_lower``/``ci_upper`` (clustered by municipality when
            :attr:`clusters` is set), DoubleML's person-level
            ``ci_lower_person``/``ci_upper_person``, the robustness values
            ``rv``, ``rva`` (``rva`` from the clustered confidence bound) and
            ``clustered``.
        """
        rho = self.rho if rho is None else rho
        if not (0 <= cf_y < 1 and 0 <= cf_d < 1):
            raise ValueError(f"cf_y and cf_d must lie in [0, 1), got {cf_y}, {cf_d}")
        if not -1 <= rho <= 1:
            raise ValueError(f"rho must lie in [-1, 1], got {rho}")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self._fitted.sensitivity_analysis(cf_y=cf_y, cf_d=cf_d, rho=float(rho),
                                              level=self.level)
        p = self._fitted.sensitivity_params
        rv, rva = self._robustness_values(rho)
        return pd.DataFrame([{
            "cf_y": cf_y, "cf_d": cf_d, "rho": rho, "estimate": self.estimate,
            **self._bounds(cf_y, cf_d, rho),
            "ci_lower_person": float(p["ci"]["lower"][0]),
            "ci_upper_person": float(p["ci"]["upper"][0]),
            "rv": rv, "rva": rva, "clustered": self.clusters is not None}])

    def robustness_values(self) -> dict:
        """DoubleML's robustness values RV and RVa (at ``rho``).

        Returns
        -------
        dict
            ``rv``: the common value of ``cf_y`` and ``cf_d`` that brings the bound
            to zero; ``rva``: the same for the confidence bound.
        """
        row = self.analysis(0.0, 0.0).iloc[0]
        return {"rv": row["rv"], "rva": row["rva"]}

    def toward_zero(self, row) -> tuple[float, float]:
        """The bound and the confidence bound on the side of zero.

        Parameters
        ----------
        row : pandas.Series
            A row of :meth:`analysis`.

        Returns
        -------
        tuple of float
            The lower bound and lower confidence bound for a positive estimate,
            the upper ones for a negative estimate.
        """
        if self.estimate >= 0:
            return float(row["theta_lower"]), float(row["ci_lower"])
        return float(row["theta_upper"]), float(row["ci_upper"])

    def contour_grid(self, value: str = "theta", lim: float | None = None,
                     size: int = 21) -> pd.DataFrame:
        """The bound toward zero over a grid of (cf_d, cf_y): rows cf_y, columns cf_d.

        Parameters
        ----------
        value : {"theta", "ci"}, default "theta"
            The bound itself or its confidence bound.
        lim : float, optional
            Upper end of both axes; by default 1.3 times the largest benchmark
            (between 0.05 and 0.9), separately for each axis.
        size : int, default 21
            Grid points per axis.

        Returns
        -------
        pandas.DataFrame
            ``size x size`` values, index ``cf_y``, columns ``cf_d``. Computed
            once per set of arguments and kept (a copy is returned).
        """
        if value not in ("theta", "ci"):
            raise ValueError("value must be 'theta' or 'ci'")
        key = (value, lim, size)
        if key not in self._contours:
            self._contours[key] = self._contour_grid(value, lim, size)
        return self._contours[key].copy()

    def _contour_grid(self, value: str, lim: float | None, size: int) -> pd.DataFrame:
        if lim is None:
            def top(column):
                values = self.benchmarks[column].to_numpy(dtype=float)
                values = values[np.isfinite(values)]
                return min(0.9, max(0.05, 1.3 * values.max() if values.size else 0.15))

            lim_y, lim_d = top("cf_y"), top("cf_d")
        else:
            lim_y = lim_d = lim
        grid_y, grid_d = np.linspace(0.0, lim_y, size), np.linspace(0.0, lim_d, size)
        z = np.empty((size, size))
        for i, cf_y in enumerate(grid_y):
            for j, cf_d in enumerate(grid_d):
                z[i, j] = self.toward_zero(self._bounds(cf_y, cf_d, self.rho))[
                    0 if value == "theta" else 1]
        return pd.DataFrame(z, index=pd.Index(grid_y, name="cf_y"),
                            columns=pd.Index(grid_d, name="cf_d"))

    def plot_contour(self, value: str = "theta", ax=None):
        """Contours of the bound toward zero (shared style with the other frameworks).

        Parameters
        ----------
        value : {"theta", "ci"}, default "theta"
            The bound itself or its confidence bound.
        ax : matplotlib.axes.Axes, optional
            Where to draw.

        Returns
        -------
        matplotlib.axes.Axes
        """
        from .plots import plot_dml_contour

        return plot_dml_contour(self, value=value, ax=ax)

    def summary(self) -> str:
        """Plain-words reading of the robustness values and benchmarks.

        Returns
        -------
        str
        """
        rv = self.robustness_values()
        text = [f"DML estimate {self.estimate:.4f}: a confounder with cf_y = cf_d = "
                f"{100 * rv['rv']:.1f} % (rho = {self.rho:g}) would bring its bound to zero; "
                + (f"{100 * rv['rva']:.1f} % would bring the confidence bound to zero."
                   if rv["rva"] >= 5e-4 else "its confidence interval (nearly) contains zero "
                   "already.")]
        for r in self.benchmarks.itertuples(index=False):
            text.append(f"  as strong as {r.benchmark}: cf_y = {r.cf_y:.3f}, cf_d = {r.cf_d:.3f},"
                        f" rho = {r.rho:.2f}")
        return "\n".join(text)


def dml_sensitivity(source, *, dml=None,
                    benchmarks=("months_employed", "education", "sex"), rho: float = 1.0,
                    level: float = 0.95, cluster: bool = True) -> DMLSensitivity:
    """DoubleML's sensitivity analysis of the DML baseline, with benchmarks.

    Parameters
    ----------
    source : DMLResult or pandas.DataFrame
        The fitted baseline (``DML().fit(df)``), whose cross-fitted ATE model
        is reused: only the benchmarks' models (without a covariate group)
        are fitted, on the same folds. A register in the data contract is
        fitted first.
    dml : DML, optional
        The estimator's settings when ``source`` is a register (default
        ``DML(random_seed=1)``, the IRM); a fitted result carries its own.
    benchmarks : sequence of str
        Covariate groups (keys of :data:`DML_BENCHMARKS`); each costs one
        more cross-fitted model without that group.
    rho : float, default 1.0
        Confounding correlation for the plot and the scenario (DoubleML's
        default, the worst case).
    level : float, default 0.95
    cluster : bool, default True
        Cluster the confidence bounds by municipality (see
        :class:`DMLSensitivity`); ``False`` keeps DoubleML's person-level ones.

    Returns
    -------
    DMLSensitivity

    Raises
    ------
    ResultUnavailableError
        If ``source`` is a result without its fitted DoubleML objects (one
        read back from a file): pass the register instead.

    Examples
    --------
    >>> import amu_causal as ac
    >>> df, _ = ac.simulate_register(n=3_000, seed=1)
    >>> fit = ac.DML(random_seed=1).fit(df)  # doctest: +SKIP
    >>> s = ac.sensitivity.dml_sensitivity(fit, benchmarks=("sex",))  # doctest: +SKIP
    """
    from doubleml.utils import gain_statistics

    from ..baselines import DML
    from ..results import DMLResult, fitted_result

    unknown = [name for name in benchmarks if name not in DML_BENCHMARKS]
    if unknown:
        raise ValueError(f"unknown benchmark {unknown[0]!r}; choose from "
                         f"{list(DML_BENCHMARKS)}")
    result = fitted_result(source, DMLResult, dml, lambda: DML(random_seed=1), argument="dml",
                           needed_by="dml_sensitivity")
    dml = result.fits["dml"]
    frame, features, smpls, seed = result.fits["prepared"]
    score = "ATE" if dml.model == "irm" else "PLR"
    long = result.fits["doubleml"][score]
    rows = []
    for name in benchmarks:
        short = dml.fit_doubleml(frame, [f for f in features if f not in DML_BENCHMARKS[name]],
                                 smpls, seed, score=score)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gains = gain_statistics(dml_long=long, dml_short=short)
        rows.append({"benchmark": name, **{k: float(np.asarray(gains[k]).ravel()[0])
                                           for k in ("cf_y", "cf_d", "rho", "delta_theta")}})
    return DMLSensitivity(estimate=float(long.coef[0]), rho=rho, level=level,
                          benchmarks=pd.DataFrame(rows, columns=["benchmark", "cf_y", "cf_d",
                                                                 "rho", "delta_theta"]),
                          _fitted=long,
                          clusters=frame["municipality"].to_numpy() if cluster else None)
