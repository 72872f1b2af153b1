"""MCMC diagnostics in plain words (R-hat, ESS, divergences, E-BFMI), and the overlap check."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .data.schema import ATTACHMENT_GROUPS

if TYPE_CHECKING:
    from .models.design import Design

__all__ = [
    "OVERLAP_LIMIT",
    "ConvergenceError",
    "ConvergenceWarning",
    "Thresholds",
    "check_convergence",
    "mcmc_diagnostics",
    "overlap_table",
]


class ConvergenceWarning(UserWarning):
    """The sampler's output fails a convergence check; estimates may be unreliable.

    The message names each failed check with its number and what to try; the
    same sentences are kept on the result (``result.problems``).

    Examples
    --------
    >>> import warnings
    >>> import pandas as pd
    >>> from amu_causal import ConvergenceWarning
    >>> from amu_causal.diagnostics import check_convergence
    >>> table = pd.DataFrame({"parameter": ["ATE"], "r_hat": [1.05], "ess_bulk": [900.0],
    ...                       "ess_tail": [800.0]})
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     problems = check_convergence(table, {"divergences": 0, "draws": 2000})
    >>> caught[0].category is ConvergenceWarning, problems[0][:22]
    (True, 'R-hat is 1.050 for ATE')
    """


class ConvergenceError(RuntimeError):
    """Raised instead of :class:`ConvergenceWarning` when a fit is run with ``strict=True``.

    Examples
    --------
    >>> import pandas as pd
    >>> from amu_causal import ConvergenceError
    >>> from amu_causal.diagnostics import check_convergence
    >>> table = pd.DataFrame({"parameter": ["ATE"], "r_hat": [1.0], "ess_bulk": [900.0],
    ...                       "ess_tail": [800.0]})
    >>> try:
    ...     check_convergence(table, {"divergences": 3, "draws": 2000}, strict=True)
    ... except ConvergenceError as err:
    ...     print(str(err)[:55])
    MCMC diagnostics: 3 of 2000 draws ended in a divergence
    """


@dataclass(frozen=True)
class Thresholds:
    """Limits used by :func:`check_convergence` (Vehtari et al. 2021).

    Parameters
    ----------
    r_hat : float, default 1.01
        Largest acceptable rank-normalised split R-hat.
    ess : float, default 400
        Smallest acceptable bulk and tail effective sample size.
    ebfmi : float, default 0.3
        Smallest acceptable energy Bayesian fraction of missing information
        per chain.

    Examples
    --------
    >>> from amu_causal.diagnostics import Thresholds
    >>> Thresholds().r_hat
    1.01
    """

    r_hat: float = 1.01
    ess: float = 400.0
    ebfmi: float = 0.3


def mcmc_diagnostics(idata, var_names: list[str]) -> tuple[pd.DataFrame, dict]:
    """Per-parameter convergence statistics and sampler-level checks.

    Parameters
    ----------
    idata : arviz.InferenceData
        With ``posterior`` and ``sample_stats`` groups.
    var_names : list of str
        Posterior variables to check (every scalar element is a row).

    Returns
    -------
    table : pandas.DataFrame
        ``parameter``, ``r_hat``, ``ess_bulk``, ``ess_tail``.
    sampler : dict
        ``divergences`` (count), ``draws`` (total kept draws), ``ebfmi``
        (list, one per chain), ``max_tree_depth_hits`` (count).

    Examples
    --------
    >>> import numpy as np, arviz as az
    >>> from amu_causal.diagnostics import mcmc_diagnostics
    >>> rng = np.random.default_rng(0)
    >>> idata = az.from_dict(posterior={"x": rng.normal(size=(2, 500))},
    ...                      sample_stats={"diverging": np.zeros((2, 500), bool),
    ...                                    "energy": rng.normal(size=(2, 500))})
    >>> table, sampler = mcmc_diagnostics(idata, ["x"])
    >>> round(float(table["r_hat"].iloc[0]), 2), sampler["divergences"]
    (1.0, 0)
    """
    import arviz as az

    summary = az.summary(idata, var_names=var_names, kind="diagnostics", round_to="none")
    table = pd.DataFrame(
        {
            "parameter": summary.index.astype(str),
            "r_hat": summary["r_hat"].to_numpy(dtype=float),
            "ess_bulk": summary["ess_bulk"].to_numpy(dtype=float),
            "ess_tail": summary["ess_tail"].to_numpy(dtype=float),
        }
    )
    stats = idata.sample_stats
    divergences = int(stats["diverging"].sum()) if "diverging" in stats else 0
    draws = int(np.prod([stats.sizes[d] for d in ("chain", "draw")]))
    ebfmi = [float(x) for x in np.atleast_1d(az.bfmi(idata))] if "energy" in stats else []
    hits = 0
    for name in ("maxdepth_reached", "reached_max_treedepth"):
        if name in stats:
            hits = int(stats[name].sum())
    return table, {"divergences": divergences, "draws": draws, "ebfmi": ebfmi,
                   "max_tree_depth_hits": hits}


def check_convergence(table: pd.DataFrame, sampler: dict, thresholds: Thresholds | None = None,
                      *, strict: bool = False, warn: bool = True) -> list[str]:
    """Plain-words problems with a fit; warn (or raise) if there are any.

    Parameters
    ----------
    table, sampler
        The output of :func:`mcmc_diagnostics`.
    thresholds : Thresholds, optional
        Limits; the defaults follow Vehtari et al. (2021).
    strict : bool, default False
        Raise :class:`ConvergenceError` instead of warning.
    warn : bool, default True
        Warn when there are problems; ``False`` only returns them (for a run
        that is checked before deciding whether to sample again).

    Returns
    -------
    list of str
        One sentence per problem, each with the number and what to try.

    Examples
    --------
    >>> import pandas as pd
    >>> from amu_causal.diagnostics import check_convergence
    >>> table = pd.DataFrame({"parameter": ["x"], "r_hat": [1.0], "ess_bulk": [900.0],
    ...                       "ess_tail": [800.0]})
    >>> check_convergence(table, {"divergences": 0, "draws": 2000, "ebfmi": [0.9]})
    []
    """
    limits = thresholds or Thresholds()
    problems = []
    if sampler.get("divergences", 0):
        problems.append(
            f"{sampler['divergences']} of {sampler['draws']} draws ended in a divergence: the "
            "posterior may be biased. Try target_accept=0.95, or check the data for "
            "municipalities with very few people."
        )
    r_hat = table["r_hat"] if len(table) else pd.Series(dtype=float)
    if len(table) and r_hat.isna().all():
        # R-hat compares chains: with one chain it is undefined, not bad
        problems.append(
            "R-hat needs two or more chains: with one chain the chains cannot be compared, "
            "so convergence is not checked (only the ESS below is). Use chains=2 or more "
            "for results you report."
        )
    worst = table.loc[r_hat.idxmax()] if r_hat.notna().any() else None
    if worst is not None and not worst["r_hat"] <= limits.r_hat:
        n_bad = int((r_hat > limits.r_hat).sum())
        problems.append(
            f"R-hat is {worst['r_hat']:.3f} for {worst['parameter']} ({n_bad} parameter(s) "
            f"above {limits.r_hat}): the chains disagree. Run longer (double tune and "
            "draws, or raise refits) or more chains."
        )
    for kind in ("ess_bulk", "ess_tail"):
        low = table[~(table[kind] >= limits.ess)]
        if len(low):
            worst = low.loc[low[kind].idxmin()]
            problems.append(
                f"{kind.replace('_', ' ')} effective sample size is {worst[kind]:.0f} for "
                f"{worst['parameter']} ({len(low)} parameter(s) below {limits.ess:.0f}): "
                "intervals are imprecise. Run more draws."
            )
    low_bfmi = [b for b in sampler.get("ebfmi", []) if b < limits.ebfmi]
    if low_bfmi:
        problems.append(
            f"E-BFMI is {min(low_bfmi):.2f} in {len(low_bfmi)} chain(s) (below "
            f"{limits.ebfmi}): the sampler explores the energy distribution poorly. "
            "Consider stronger priors on the municipality SDs."
        )
    if problems:
        message = "MCMC diagnostics: " + " ".join(problems)
        if strict:
            raise ConvergenceError(message)
        if warn:
            warnings.warn(message, ConvergenceWarning, stacklevel=3)
    return problems


#: Participation probabilities below this (or above one minus it) count as near 0 (1).
OVERLAP_LIMIT = 0.01


def overlap_table(propensity: np.ndarray, design: Design,
                  limit: float = OVERLAP_LIMIT) -> pd.DataFrame:
    """Positivity check: the spread of the model's participation probabilities by group.

    Parameters
    ----------
    propensity : numpy.ndarray
        Each person's posterior mean probability of taking AMU.
    design : amu_causal.models.Design
        The coded register the probabilities belong to.
    limit : float, default 0.01
        Probabilities below ``limit`` or above ``1 - limit`` count as near 0 or 1.

    Returns
    -------
    pandas.DataFrame
        One row per attachment group and one for everyone: ``group``, ``n``,
        ``n_treated``, the 5 %, 50 % and 95 % quantiles of the probabilities
        (``p05``, ``p50``, ``p95``), ``mean``, ``share_near_0`` and
        ``share_near_1``, and the same quantiles among participants
        (``p05_treated``, ``p50_treated``). Many people near 0 means the
        effect for them rests on the model's extrapolation, not on similar
        people who took AMU.

    Examples
    --------
    >>> import numpy as np
    >>> import amu_causal as ac
    >>> from amu_causal.diagnostics import overlap_table
    >>> from amu_causal.models import build_design
    >>> design = build_design(ac.simulate_register(n=1_000, seed=1)[0])
    >>> table = overlap_table(np.full(design.n, 0.005), design)
    >>> float(table.loc[table["group"] == "all", "share_near_0"].iloc[0])
    1.0
    """
    rows = []
    treated = design.treatment.astype(bool)
    for j, group in [(None, "all"), *enumerate(ATTACHMENT_GROUPS)]:
        members = (np.ones(design.n, dtype=bool) if j is None
                   else design.attachment_index == j)
        p = propensity[members]
        if p.size == 0:
            continue
        q = np.quantile(p, [0.05, 0.5, 0.95])
        pt = propensity[members & treated]
        qt = np.quantile(pt, [0.05, 0.5]) if pt.size else (np.nan, np.nan)
        rows.append({"group": group, "n": int(p.size), "n_treated": int(pt.size),
                     "p05": q[0], "p50": q[1], "p95": q[2], "mean": float(p.mean()),
                     "share_near_0": float((p < limit).mean()),
                     "share_near_1": float((p > 1 - limit).mean()),
                     "p05_treated": qt[0], "p50_treated": qt[1]})
    return pd.DataFrame(rows)
