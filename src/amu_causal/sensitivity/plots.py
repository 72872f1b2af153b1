"""Sensitivity plots in one style: contours over two confounder strengths.

The three frameworks (Bayesian latent confounder, OLS omitted-variable bias,
DoubleML) differ in their axes but share the picture: grey contours of the
adjusted estimate, a red line where the conclusion tips, benchmark
confounders as red diamonds and the unadjusted estimate as a black triangle.
"""

from __future__ import annotations

import numpy as np

from .._plotting import ax_or_new

__all__ = ["contour_panel", "plot_dml_contour", "plot_latent_contour", "plot_ovb_contour",
           "plot_ovb_extreme"]


def contour_panel(ax, x, y, z, *, threshold: float, threshold_label: str, xlabel: str,
                  ylabel: str, title: str, points=(), origin_label: str | None = None,
                  fmt: str = "{:.3g}"):
    """Draw one sensitivity contour panel (the shared style).

    Parameters
    ----------
    ax : matplotlib.axes.Axes or None
    x, y : numpy.ndarray
        Grid coordinates (1-d).
    z : numpy.ndarray
        ``(len(y), len(x))`` values.
    threshold : float
        Value at which the conclusion tips (drawn red).
    threshold_label, xlabel, ylabel, title : str
    points : iterable of (x, y, label)
        Benchmark confounders.
    origin_label : str, optional
        Label of the unadjusted estimate at (0, 0).
    """
    ax = ax_or_new(ax, (5.5, 5))
    z = np.asarray(z, dtype=float)
    finite = z[np.isfinite(z)]
    if finite.size:
        # levels over the bulk of the surface: a few extreme corners would
        # otherwise crowd every line into them
        levels = np.unique(np.round(np.linspace(np.percentile(finite, 5), finite.max(), 9), 6))
        if len(levels) > 1:
            cs = ax.contour(x, y, z, levels=levels, colors="0.45", linewidths=0.8)
            ax.clabel(cs, fmt=lambda v: fmt.format(v), fontsize=7)
        if finite.min() < threshold < finite.max():
            ax.contour(x, y, z, levels=[threshold], colors="firebrick", linewidths=2,
                       linestyles="--")
    ax.plot([], [], color="firebrick", ls="--", lw=2, label=threshold_label)
    if origin_label is not None:
        ax.plot(0, 0, "^", color="black", ms=8, clip_on=False, label=origin_label)
    for px, py, label in points:
        ax.plot(px, py, "D", color="firebrick", ms=6, clip_on=False)
        ax.annotate(label, (px, py), textcoords="offset points", xytext=(5, 4), fontsize=8,
                    color="firebrick")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    # benchmarks outside the computed grid stay visible: the axes extend to
    # them, and the contours cover only the grid
    points = list(points)
    x_top = max([max(x), *[p[0] for p in points]])
    y_top = max([max(y), *[p[1] for p in points]])
    ax.set_xlim(min(x), x_top * (1.08 if x_top > max(x) else 1.0))
    ax.set_ylim(min(y), y_top * (1.08 if y_top > max(y) else 1.0))
    if x_top > max(x) or y_top > max(y):
        ax.axvline(max(x), color="0.8", lw=0.8, ls=":")
        ax.axhline(max(y), color="0.8", lw=0.8, ls=":")
    ax.legend(loc="best", fontsize=8, framealpha=0.85)
    return ax


def plot_latent_contour(result, *, quantity: str = "estimate", estimand: str = "ATE", ax=None):
    """Posterior mean (or P(effect > 0)) of the effect over the latent strengths."""
    surface = result.surface(quantity, estimand)
    x = surface.columns.to_numpy(dtype=float)
    y = surface.index.to_numpy(dtype=float)
    z = surface.to_numpy()
    if quantity == "estimate":
        z = 100 * z
        threshold, label, what = 0.0, "effect = 0", f"posterior mean of the {estimand} (points)"
    elif quantity == "p_positive":
        threshold, label, what = 0.95, "P(effect > 0) = 0.95", f"P({estimand} > 0)"
    else:
        raise ValueError("quantity must be 'estimate' or 'p_positive'")
    points = [(r.participation, r.employment, f"1x {r.benchmark}")
              for r in result.benchmarks.itertuples(index=False)]
    return contour_panel(ax, x, y, z, threshold=threshold, threshold_label=label,
                         xlabel="strength on participation (log-odds per SD of U)",
                         ylabel="strength on employment (log-odds per SD of U)",
                         title=f"Bayesian latent confounder: {what}", points=points,
                         origin_label="no confounder", fmt="{:.2g}")


def _r2_grid(lim: float, size: int = 60) -> np.ndarray:
    return np.linspace(0.0, lim, size)


def plot_ovb_contour(sens, *, sensitivity_of: str = "estimate", lim: float | None = None,
                     ax=None):
    """Cinelli-Hazlett contour plot of the bias-adjusted estimate or t value."""
    bounds = sens.bounds()
    if lim is None:
        # separate ranges: benchmarks are often weak with the treatment and strong
        # with the outcome (or the reverse)
        lim_d = min(0.99, max(0.02, 1.3 * float(bounds["r2dz_x"].max()) if len(bounds) else 0.4))
        lim_y = min(0.99, max(0.05, 1.15 * float(bounds["r2yz_dx"].max()) if len(bounds)
                              else 0.4))
    else:
        lim_d = lim_y = lim
    grid_d, grid_y = _r2_grid(lim_d), _r2_grid(lim_y)
    gx, gy = np.meshgrid(grid_d, grid_y)
    adjusted = sens.adjusted(gx.ravel(), gy.ravel())
    if sensitivity_of == "estimate":
        z = adjusted["adjusted_estimate"].to_numpy().reshape(gx.shape)
        threshold, label = 0.0, "adjusted estimate = 0"
    elif sensitivity_of == "t-value":
        from scipy import stats

        z = adjusted["adjusted_t"].to_numpy().reshape(gx.shape)
        threshold = float(stats.t.ppf(1 - sens.alpha / 2, sens.dof - 1))
        label = f"t = {threshold:.2f}"
    else:
        raise ValueError("sensitivity_of must be 'estimate' or 't-value'")
    points = [(r.r2dz_x, r.r2yz_dx, r.bound_label) for r in bounds.itertuples(index=False)]
    return contour_panel(ax, grid_d, grid_y, z, threshold=threshold, threshold_label=label,
                         xlabel="partial R² of confounder with treatment",
                         ylabel="partial R² of confounder with outcome",
                         title=f"OLS omitted-variable bias: adjusted {sensitivity_of}",
                         points=points, origin_label=f"unadjusted ({sens.estimate:.3g})")


def plot_ovb_extreme(sens, *, lim: float | None = None, ax=None):
    """Adjusted estimate against R²_D~Z|X for R²_Y~Z|D,X of 1, 0.75 and 0.5."""
    ax = ax_or_new(ax, (6, 4))
    bounds = sens.bounds()
    if lim is None:
        lim = min(0.99, max(0.1, 1.5 * float(bounds["r2dz_x"].max()) if len(bounds) else 0.1))
    r2d = np.linspace(0.0, lim, 200)
    for r2y, style in ((1.0, "-"), (0.75, "--"), (0.5, ":")):
        est = sens.adjusted(r2d, np.full_like(r2d, r2y))["adjusted_estimate"]
        ax.plot(r2d, est, style, color="black", lw=1.2, label=f"R²_Y~Z|D,X = {r2y:g}")
    ax.axhline(0, color="firebrick", lw=1)
    for r in bounds.itertuples(index=False):
        ax.axvline(r.r2dz_x, color="firebrick", lw=0.8, alpha=0.6, ymax=0.06)
    ax.set_xlabel("partial R² of confounder with treatment")
    ax.set_ylabel("adjusted estimate")
    ax.set_title("OLS omitted-variable bias: extreme scenarios", fontsize=10)
    ax.legend(fontsize=8, frameon=False)
    return ax


def plot_dml_contour(sens, *, value: str = "theta", ax=None):
    """DoubleML sensitivity: the bound toward zero over (cf_d, cf_y), at the given rho."""
    grid = sens.contour_grid(value=value)
    x = grid.columns.to_numpy(dtype=float)
    y = grid.index.to_numpy(dtype=float)
    points = [(r.cf_d, r.cf_y, f"1x {r.benchmark}")
              for r in sens.benchmarks.itertuples(index=False)
              if np.isfinite(r.cf_d) and np.isfinite(r.cf_y)]
    what = "lower bound of the effect" if value == "theta" else "lower confidence bound"
    return contour_panel(ax, x, y, grid.to_numpy(), threshold=0.0,
                         threshold_label="bound = 0", xlabel="cf_d (confounding of treatment)",
                         ylabel="cf_y (confounding of outcome)",
                         title=f"DoubleML sensitivity (rho = {sens.rho:g}): {what}",
                         points=points, origin_label=f"unadjusted ({sens.estimate:.3g})")
