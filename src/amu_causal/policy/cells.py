"""Inputs of the policy scenarios: counts and effect sums per cell, and the constants."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..data.schema import ATTACHMENT_GROUPS, attachment_group
from ..estimands import effect_sums_by_cell

#: Integration grant per extra refugee in unsubsidised employment (2016 agreement, Box 4).
GRANT_DKK = 25_000

ASSUMPTIONS = (
    "No displacement: an extra refugee in employment does not take a job another person "
    "would otherwise have had, and course places are not taken from anyone.",
    "The effect transports: the model's individual effects p(1) - p(0), estimated on the "
    "2010-2015 cohorts, hold for the people who would take the extra courses, at the scale "
    "of the scenario and in the years of the grant.",
    "New participants are drawn at random from the non-participants of their municipality "
    "(in scenario b, first from those with no early employment); their covariates are those "
    "of the register.",
    "No unobserved confounding beyond what the model adjusts for: with motivation or job "
    "readiness driving both AMU and employment, the effect and so the scenarios are "
    "overstated (see the sensitivity analysis).",
    "The outcome counts paid and subsidised employment two years after settlement; the "
    "grant pays only for unsubsidised employment in 2016 and 2017, once per person, so the "
    "grant figures are an upper bound under the other assumptions.",
    "The numbers are expected values given the register's people: the intervals carry the "
    "posterior uncertainty of the effect, not the chance variation of who finds a job.",
)


@dataclass(frozen=True)
class PolicyCells:
    """Per-draw effect sums and head counts by municipality and attachment group.

    Parameters
    ----------
    untreated, treated : numpy.ndarray
        ``(n_draws, n_municipalities, n_groups)``: the sum of individual
        effects :math:`p_i(1) - p_i(0)` over the non-participants
        (participants) of each cell, one slice per posterior draw.
    n_untreated, n_treated : numpy.ndarray
        ``(n_municipalities, n_groups)`` people in each cell.
    municipalities : tuple of int
        Municipality codes (second axis).
    groups : tuple of str
        Attachment groups (third axis).

    Examples
    --------
    >>> import amu_causal as ac
    >>> from amu_causal import policy
    >>> df, truth = ac.simulate_register(n=2_000, seed=1)
    >>> cells = policy.cells_from_truth(truth, df)   # or policy.cells_from_result(fit, df)
    >>> cells.untreated.shape == (1, len(cells.municipalities), 4)
    True
    """

    untreated: np.ndarray
    treated: np.ndarray
    n_untreated: np.ndarray
    n_treated: np.ndarray
    municipalities: tuple[int, ...]
    groups: tuple[str, ...] = ATTACHMENT_GROUPS

    def __post_init__(self):
        k, g = len(self.municipalities), len(self.groups)
        for name in ("untreated", "treated"):
            shape = np.shape(getattr(self, name))
            if len(shape) != 3 or shape[1:] != (k, g):
                raise ValueError(f"{name} must have shape (draws, {k}, {g}), got {shape}")
        for name in ("n_untreated", "n_treated"):
            if np.shape(getattr(self, name)) != (k, g):
                raise ValueError(f"{name} must have shape ({k}, {g}), got "
                                 f"{np.shape(getattr(self, name))}")

    @property
    def n(self) -> np.ndarray:
        """People per municipality."""
        return (self.n_untreated + self.n_treated).sum(axis=1)

    @property
    def participants(self) -> np.ndarray:
        """AMU participants per municipality."""
        return self.n_treated.sum(axis=1)

    @property
    def rate(self) -> np.ndarray:
        """Current participation rate per municipality (NaN where nobody lives)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.participants / self.n


def _counts(df: pd.DataFrame, codes, groups) -> tuple[np.ndarray, np.ndarray]:
    missing = [c for c in ("municipality", "amu", "months_employed") if c not in df.columns]
    if missing:
        raise ValueError(f"the register lacks {missing}: pass data in the register contract")
    group = (df["attachment"] if "attachment" in df.columns
             else attachment_group(df["months_employed"]))
    frame = pd.DataFrame({"m": df["municipality"].to_numpy(), "g": np.asarray(group, dtype=str),
                          "a": df["amu"].to_numpy().astype(int)})
    table = frame.groupby(["a", "m", "g"]).size()
    out = []
    for a in (0, 1):
        part = table.xs(a, level="a") if a in table.index.get_level_values("a") else None
        grid = np.zeros((len(codes), len(groups)), dtype=np.int64)
        if part is not None:
            part = part.unstack("g").reindex(index=list(codes), columns=list(groups))
            grid = part.fillna(0).to_numpy(dtype=np.int64)
        out.append(grid)
    if out[0].sum() + out[1].sum() != len(df):
        raise ValueError("the register has people in municipalities the posterior does not "
                         "know: use the data the model was fitted on")
    return out[0], out[1]


def cells_from_result(result, df: pd.DataFrame) -> PolicyCells:
    """Policy cells from a fitted :class:`~amu_causal.HierarchicalModel` result.

    Parameters
    ----------
    result : BayesianResult
        From :meth:`HierarchicalModel.fit` (see
        :meth:`~amu_causal.BayesianResult.cell_sums`).
    df : pandas.DataFrame
        The register the model was fitted on.

    Returns
    -------
    PolicyCells

    Examples
    --------
    The cells come from an MCMC fit, so the lines are not run as doctests:

    >>> import amu_causal as ac
    >>> from amu_causal import policy
    >>> df, _ = ac.simulate_register(n=3_000, seed=1)
    >>> fit = ac.HierarchicalModel(random_seed=1).fit(df)  # doctest: +SKIP
    >>> cells = policy.cells_from_result(fit, df)  # doctest: +SKIP
    """
    from ..results import BayesianResult, ResultUnavailableError

    if not isinstance(result, BayesianResult):
        raise ValueError("the policy scenarios need the per-draw effect sums of a Bayesian fit: "
                         "pass the result of HierarchicalModel(...).fit(df)")
    try:
        sums = result.cell_sums()
    except ResultUnavailableError as err:
        raise ValueError(f"{err}: the policy scenarios need the per-draw effect sums") from None
    codes = tuple(int(c) for c in sums["municipality"].values)
    groups = tuple(str(g) for g in sums["attachment"].values)

    def stacked(name):
        values = sums[name].transpose("chain", "draw", "municipality", "attachment").values
        return values.reshape(-1, *values.shape[2:])

    n0, n1 = _counts(df, codes, groups)
    return PolicyCells(stacked("untreated"), stacked("treated"), n0, n1, codes, groups)


def cells_from_truth(truth, df: pd.DataFrame) -> PolicyCells:
    """Policy cells from a synthetic register's true potential-outcome probabilities.

    One "draw": the scenarios computed on it are the true expected numbers
    the model's scenarios should recover.

    Parameters
    ----------
    truth : Truth
        From :func:`amu_causal.simulate_register`.
    df : pandas.DataFrame
        The register it belongs to.

    Returns
    -------
    PolicyCells
        With a single draw.

    Examples
    --------
    >>> import amu_causal as ac
    >>> from amu_causal import policy
    >>> df, truth = ac.simulate_register(n=2_000, seed=1)
    >>> cells = policy.cells_from_truth(truth, df)
    >>> cells.untreated.shape[0], int(cells.n.sum())
    (1, 2000)
    """
    persons = truth.persons.set_index("person_id").loc[df["person_id"]]
    codes = tuple(int(c) for c in np.unique(df["municipality"]))
    groups = tuple(ATTACHMENT_GROUPS)
    m_index = np.searchsorted(np.asarray(codes), df["municipality"].to_numpy())
    group = attachment_group(df["months_employed"])
    g_index = pd.Categorical(np.asarray(group, dtype=str), categories=groups).codes
    u, t = effect_sums_by_cell(persons["p0"].to_numpy()[None], persons["p1"].to_numpy()[None],
                               df["amu"].to_numpy(), m_index, len(codes), g_index, len(groups))
    n0, n1 = _counts(df, codes, groups)
    return PolicyCells(u, t, n0, n1, codes, groups)
