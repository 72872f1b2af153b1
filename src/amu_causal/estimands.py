"""Causal estimands from posterior draws by g-computation (pure array functions).

Every function here works on plain arrays, so it can be tested on hand-made
"posteriors" without running a sampler.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import expit

__all__ = [
    "EffectDraws",
    "effect_draws",
    "effect_draws_from_probabilities",
    "effect_sums_by_cell",
    "rank_draws",
    "summarize_draws",
]


@dataclass(frozen=True)
class EffectDraws:
    """Per-draw causal estimands on the probability scale.

    Parameters
    ----------
    ate, att, atc, risk_ratio : numpy.ndarray
        Shape ``(n_draws,)``.
    ate_by_group, att_by_group : numpy.ndarray
        Shape ``(n_draws, n_groups)``; NaN where a group has no treated
        person (ATT).
    ate_by_municipality : numpy.ndarray
        Shape ``(n_draws, n_municipalities)``.
    mean_untreated, mean_treated : numpy.ndarray
        Mean potential-outcome probabilities without and with treatment,
        everyone, shape ``(n_draws,)``.
    untreated_att, untreated_atc : numpy.ndarray
        Mean probability without treatment among the treated and among the
        untreated, ``(n_draws,)``: the baseline risks of the ATT and ATC.
    untreated_by_group, untreated_att_by_group : numpy.ndarray
        The same by group, everyone and the treated, ``(n_draws, n_groups)``.
    """

    ate: np.ndarray
    att: np.ndarray
    atc: np.ndarray
    risk_ratio: np.ndarray
    ate_by_group: np.ndarray
    att_by_group: np.ndarray
    ate_by_municipality: np.ndarray
    mean_untreated: np.ndarray
    mean_treated: np.ndarray
    untreated_att: np.ndarray | None = None
    untreated_atc: np.ndarray | None = None
    untreated_by_group: np.ndarray | None = None
    untreated_att_by_group: np.ndarray | None = None


def _onehot(index: np.ndarray, k: int) -> np.ndarray:
    out = np.zeros((len(index), k))
    out[np.arange(len(index)), index] = 1.0
    return out


def effect_draws(
    base: np.ndarray,
    shift: np.ndarray,
    treated: np.ndarray,
    group_index: np.ndarray,
    n_groups: int,
    municipality_index: np.ndarray,
    n_municipalities: int,
) -> EffectDraws:
    """G-computation of average effects for each posterior draw.

    Parameters
    ----------
    base : numpy.ndarray
        ``(n_draws, n)`` log-odds of the outcome for each person without
        treatment.
    shift : numpy.ndarray
        ``(n_draws, n)`` change of the log-odds under treatment.
    treated : numpy.ndarray
        ``(n,)`` observed treatment (0/1).
    group_index, municipality_index : numpy.ndarray
        ``(n,)`` integer positions of each person's group and municipality.
    n_groups, n_municipalities : int
        Number of groups and municipalities.

    Returns
    -------
    EffectDraws

    Notes
    -----
    For draw :math:`s`, :math:`p_i^{(s)}(a) = \\operatorname{expit}(
    \\eta^{(s)}_{i0} + a\\,\\delta^{(s)}_i)` and

    .. math::

        \\mathrm{ATE}^{(s)} = \\frac1n \\sum_i \\{p_i^{(s)}(1) - p_i^{(s)}(0)\\},
        \\qquad
        \\mathrm{ATT}^{(s)} = \\frac{1}{n_1} \\sum_{i: A_i = 1}
        \\{p_i^{(s)}(1) - p_i^{(s)}(0)\\},

    group and municipality effects average over their members, and the
    risk ratio is :math:`\\sum_i p_i^{(s)}(1) / \\sum_i p_i^{(s)}(0)`. The
    average is over the observed covariate distribution (the sample), so the
    estimands are comparable with the simulator's sample truth. Posterior
    uncertainty of the person-level probabilities is carried by the draws;
    the sampling variability of the covariates is not added.

    Examples
    --------
    >>> import numpy as np
    >>> from amu_causal.estimands import effect_draws
    >>> base = np.zeros((1, 2)); shift = np.array([[np.log(3), 0.0]])
    >>> e = effect_draws(base, shift, np.array([1, 0]), np.array([0, 1]), 2,
    ...                  np.array([0, 0]), 1)
    >>> float(e.ate[0]), float(e.att[0])
    (0.125, 0.25)
    """
    base = np.atleast_2d(np.asarray(base, dtype=float))
    shift = np.atleast_2d(np.asarray(shift, dtype=float))
    return effect_draws_from_probabilities(expit(base), expit(base + shift), treated,
                                           group_index, n_groups, municipality_index,
                                           n_municipalities)


def effect_draws_from_probabilities(
    p0: np.ndarray,
    p1: np.ndarray,
    treated: np.ndarray,
    group_index: np.ndarray,
    n_groups: int,
    municipality_index: np.ndarray,
    n_municipalities: int,
) -> EffectDraws:
    """G-computation from each person's potential-outcome probabilities.

    As :func:`effect_draws`, but from ``(n_draws, n)`` probabilities of
    employment without (``p0``) and with (``p1``) treatment, for models in
    which they are not a single logistic of a linear predictor (the latent
    confounder model integrates over the confounder).

    Examples
    --------
    >>> import numpy as np
    >>> from amu_causal.estimands import effect_draws_from_probabilities
    >>> e = effect_draws_from_probabilities(np.array([[0.1, 0.2]]), np.array([[0.3, 0.2]]),
    ...                                     np.array([1, 0]), np.array([0, 0]), 1,
    ...                                     np.array([0, 0]), 1)
    >>> round(float(e.ate[0]), 3), round(float(e.risk_ratio[0]), 3)
    (0.1, 1.667)
    """
    p0 = np.atleast_2d(np.asarray(p0, dtype=float))
    p1 = np.atleast_2d(np.asarray(p1, dtype=float))
    treated = np.asarray(treated).astype(bool)
    diff = p1 - p0
    n = diff.shape[1]
    groups = _onehot(np.asarray(group_index), n_groups)
    munis = _onehot(np.asarray(municipality_index), n_municipalities)
    group_n = groups.sum(axis=0)
    group_treated = groups[treated].sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        ate_g = diff @ groups / group_n
        att_g = diff[:, treated] @ groups[treated] / group_treated
        ate_m = diff @ munis / munis.sum(axis=0)
        y0_g = p0 @ groups / group_n
        y0_att_g = p0[:, treated] @ groups[treated] / group_treated
    n1 = treated.sum()
    nan = np.full(diff.shape[0], np.nan)
    return EffectDraws(
        ate=diff.mean(axis=1),
        att=diff[:, treated].mean(axis=1) if n1 else nan,
        atc=diff[:, ~treated].mean(axis=1) if n1 < n else nan,
        risk_ratio=p1.sum(axis=1) / p0.sum(axis=1),
        ate_by_group=ate_g,
        att_by_group=att_g,
        ate_by_municipality=ate_m,
        mean_untreated=p0.mean(axis=1),
        mean_treated=p1.mean(axis=1),
        untreated_att=p0[:, treated].mean(axis=1) if n1 else nan,
        untreated_atc=p0[:, ~treated].mean(axis=1) if n1 < n else nan,
        untreated_by_group=y0_g,
        untreated_att_by_group=y0_att_g,
    )


def effect_sums_by_cell(
    p0: np.ndarray,
    p1: np.ndarray,
    treated: np.ndarray,
    municipality_index: np.ndarray,
    n_municipalities: int,
    group_index: np.ndarray,
    n_groups: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Sums of individual effects by municipality and group, non-participants and participants.

    The per-draw building block of the policy scenarios
    (:mod:`amu_causal.policy`): moving a random share :math:`q` of the
    non-participants of a cell into AMU adds :math:`q` times the cell's sum
    of :math:`p_i(1) - p_i(0)` to the expected number employed.

    Parameters
    ----------
    p0, p1 : numpy.ndarray
        ``(n_draws, n)`` potential-outcome probabilities without and with AMU.
    treated : numpy.ndarray
        ``(n,)`` observed treatment (0/1).
    municipality_index, group_index : numpy.ndarray
        ``(n,)`` integer positions of each person's municipality and group.
    n_municipalities, n_groups : int

    Returns
    -------
    untreated, treated : numpy.ndarray
        Each ``(n_draws, n_municipalities, n_groups)``: the sum of
        :math:`p_i(1) - p_i(0)` over the non-participants (participants) of
        each cell; zero for an empty cell.

    Examples
    --------
    >>> import numpy as np
    >>> from amu_causal.estimands import effect_sums_by_cell
    >>> u, t = effect_sums_by_cell(np.array([[0.1, 0.2, 0.3]]), np.array([[0.2, 0.4, 0.3]]),
    ...                            np.array([0, 0, 1]), np.array([0, 0, 1]), 2,
    ...                            np.array([0, 1, 0]), 2)
    >>> np.round(u[0], 2).tolist(), t[0].tolist()
    ([[0.1, 0.2], [0.0, 0.0]], [[0.0, 0.0], [0.0, 0.0]])
    """
    from scipy import sparse

    diff = np.atleast_2d(np.asarray(p1, dtype=float)) - np.atleast_2d(np.asarray(p0, dtype=float))
    treated = np.asarray(treated).astype(int)
    n_cells = n_municipalities * n_groups
    # One sparse indicator of (participation, municipality, group) per person: the sums
    # cost O(draws x n), where a dense one-hot product would cost O(draws x n x cells).
    column = treated * n_cells + np.asarray(municipality_index) * n_groups + np.asarray(
        group_index)
    n = diff.shape[1]
    members = sparse.csr_matrix((np.ones(n), (np.arange(n), column)), shape=(n, 2 * n_cells))
    sums = np.asarray((members.T @ diff.T).T)
    shape = (diff.shape[0], n_municipalities, n_groups)
    return sums[:, :n_cells].reshape(shape), sums[:, n_cells:].reshape(shape)


def concatenate(parts: list[EffectDraws]) -> EffectDraws:
    """Join :class:`EffectDraws` computed on consecutive chunks of draws."""
    fields = EffectDraws.__dataclass_fields__
    return EffectDraws(**{f: np.concatenate([getattr(p, f) for p in parts]) for f in fields})


def check_level(level: float) -> float:
    """Validate an interval probability: strictly between 0 and 1."""
    if not 0 < level < 1:
        raise ValueError(f"level must lie strictly between 0 and 1, got {level}")
    return level


def summarize_draws(draws, names=None, level: float = 0.95, null: float = 0.0) -> pd.DataFrame:
    """Posterior summaries of one or more estimands.

    Parameters
    ----------
    draws : array-like
        ``(n_draws,)`` or ``(n_draws, k)``.
    names : list of str, optional
        One name per column (default ``0 .. k-1``).
    level : float, default 0.95
        Probability of the equal-tailed credible interval.
    null : float, default 0.0
        Reference value for ``p_positive`` (for a risk ratio, use 1).

    Returns
    -------
    pandas.DataFrame
        ``estimand``, ``estimate`` (posterior mean), ``std_error`` (posterior
        SD), ``ci_lower``, ``ci_upper``, ``level`` and ``p_positive`` (the
        posterior probability that the estimand exceeds ``null``). Columns
        with missing draws (NaN) give NaN summaries.

    Examples
    --------
    >>> import numpy as np
    >>> from amu_causal.estimands import summarize_draws
    >>> s = summarize_draws(np.array([0.0, 1.0, 2.0, 3.0]), ["x"], level=0.5)
    >>> s[["estimate", "ci_lower", "ci_upper", "p_positive"]].to_numpy().tolist()
    [[1.5, 0.75, 2.25, 0.75]]
    """
    check_level(level)
    values = np.asarray(draws, dtype=float)
    if values.ndim == 1:
        values = values[:, None]
    names = list(names) if names is not None else [str(i) for i in range(values.shape[1])]
    tail = (1 - level) / 2
    with np.errstate(invalid="ignore"):
        valid = ~np.isnan(values).any(axis=0)
        lower = np.where(valid, np.quantile(np.nan_to_num(values), tail, axis=0), np.nan)
        upper = np.where(valid, np.quantile(np.nan_to_num(values), 1 - tail, axis=0), np.nan)
        return pd.DataFrame(
            {
                "estimand": names,
                "estimate": values.mean(axis=0),
                "std_error": values.std(axis=0, ddof=1),
                "ci_lower": lower,
                "ci_upper": upper,
                "level": level,
                "p_positive": np.where(valid, (values > null).mean(axis=0), np.nan),
            }
        )


def rank_draws(effects: np.ndarray) -> np.ndarray:
    """Rank of each unit in each draw, 1 for the largest effect.

    Parameters
    ----------
    effects : numpy.ndarray
        ``(n_draws, n_units)``.

    Returns
    -------
    numpy.ndarray
        Integer ranks of the same shape.

    Examples
    --------
    >>> import numpy as np
    >>> from amu_causal.estimands import rank_draws
    >>> rank_draws(np.array([[0.1, 0.3, 0.2]])).tolist()
    [[3, 1, 2]]
    """
    effects = np.asarray(effects, dtype=float)
    order = np.argsort(-effects, axis=1, kind="stable")
    ranks = np.empty_like(order)
    rows = np.arange(effects.shape[0])[:, None]
    ranks[rows, order] = np.arange(1, effects.shape[1] + 1)[None, :]
    return ranks
