"""The scenarios (a) to (c) and their posterior summaries."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..data.municipalities import municipalities as _municipality_table
from ..data.schema import MIN_ARRIVALS
from ..estimands import check_level
from .cells import GRANT_DKK, PolicyCells


@dataclass
class PolicyResult:
    """Expected extra refugees in employment under one scenario, per draw and municipality.

    Built by the scenario functions (:func:`scale_up_to_top_decile`,
    :func:`target_no_early_employment`, :func:`participation_rate`).

    Parameters
    ----------
    name, description : str
        Short label and the scenario in words.
    municipalities : tuple of int
    n, participants : numpy.ndarray
        People and current participants per municipality.
    places : numpy.ndarray
        Change in participants per municipality (expected; negative where
        the scenario lowers participation).
    target_rate : numpy.ndarray
        Participation rate each municipality reaches.
    extra : numpy.ndarray
        ``(n_draws, n_municipalities)`` expected extra people employed two
        years out.
    grant : float
        DKK per extra person employed.
    level : float
        Probability of the credible intervals.
    truth : numpy.ndarray, optional
        The same scenario on the true probabilities (synthetic data).

    Examples
    --------
    >>> import amu_causal as ac
    >>> from amu_causal import policy
    >>> df, truth = ac.simulate_register(n=2_000, seed=1)
    >>> cells = policy.cells_from_truth(truth, df)   # or policy.cells_from_result(fit, df)
    >>> result = policy.scale_up_to_top_decile(cells)
    >>> row = result.national().iloc[0]
    >>> bool(row["extra_participants"] > 0), result.by_municipality()["suppressed"].dtype.kind
    (True, 'b')
    """

    name: str
    description: str
    municipalities: tuple[int, ...]
    n: np.ndarray
    participants: np.ndarray
    places: np.ndarray
    target_rate: np.ndarray
    extra: np.ndarray
    grant: float = GRANT_DKK
    level: float = 0.95
    truth: np.ndarray | None = field(default=None, repr=False)

    def _interval(self, draws: np.ndarray):
        tail = (1 - self.level) / 2
        return np.quantile(draws, tail, axis=0), np.quantile(draws, 1 - tail, axis=0)

    def national(self) -> pd.DataFrame:
        """One row: places, participation before and after, extra employed and grant.

        Returns
        -------
        pandas.DataFrame
            ``scenario``, ``extra_participants``, ``participation_before``,
            ``participation_after``, ``extra_employed`` (posterior mean),
            ``ci_lower``, ``ci_upper``, ``employed_per_100_places``,
            ``grant_dkk_million`` with ``grant_lower`` and ``grant_upper``,
            and ``truth`` when known.
        """
        total = self.extra.sum(axis=1)
        lower, upper = self._interval(total)
        places = float(self.places.sum())
        n = float(self.n.sum())
        row = {
            "scenario": self.name,
            "extra_participants": round(places),
            "participation_before": float(self.participants.sum() / n),
            "participation_after": float((self.participants.sum() + places) / n),
            "extra_employed": float(total.mean()),
            "ci_lower": float(lower), "ci_upper": float(upper),
            "employed_per_100_places": (float(100 * total.mean() / places) if places
                                        else np.nan),
            "grant_dkk_million": float(total.mean() * self.grant / 1e6),
            "grant_lower": float(lower * self.grant / 1e6),
            "grant_upper": float(upper * self.grant / 1e6),
        }
        if self.truth is not None:
            row["truth"] = float(self.truth.sum())
        return pd.DataFrame([row])

    def by_municipality(self, *, min_count: int | None = 5) -> pd.DataFrame:
        """Per municipality: current and target rate, places, extra employed, grant.

        Parameters
        ----------
        min_count : int or None, default 5
            Rows of municipalities whose participants or non-participants
            number between 1 and ``min_count - 1`` are suppressed
            (:func:`amu_causal.privacy.suppress_small_cells`); ``None`` keeps
            every row (inside the research environment only).

        Returns
        -------
        pandas.DataFrame
            Sorted by the posterior mean of extra employed, largest first.
        """
        lower, upper = self._interval(self.extra)
        names = _municipality_table().set_index("code")["name"]
        table = pd.DataFrame({
            "municipality": list(self.municipalities),
            "name": names.reindex(list(self.municipalities)).to_numpy(),
            "n": self.n.astype(int),
            "participation_rate": self.participants / np.maximum(self.n, 1),
            "target_rate": self.target_rate,
            "extra_participants": np.round(self.places, 1),
            "extra_employed": self.extra.mean(axis=0),
            "ci_lower": lower, "ci_upper": upper,
            "grant_dkk": self.extra.mean(axis=0) * self.grant,
        })
        if self.truth is not None:
            table["truth"] = self.truth
        table = table.sort_values("extra_employed", ascending=False, kind="stable")
        table = table.reset_index(drop=True)
        if min_count is None:
            return table
        from ..privacy import suppress_small_cells

        return suppress_small_cells(table, min_count=min_count, keep=["municipality", "name"])

    def summary(self) -> str:
        """The national result in one sentence.

        Returns
        -------
        str
        """
        r = self.national().iloc[0]
        level = round(100 * self.level)
        text = (f"{self.name}: {r['extra_participants']:,} more AMU participants "
                f"({100 * r['participation_before']:.1f} % -> "
                f"{100 * r['participation_after']:.1f} %) would mean {r['extra_employed']:.0f} "
                f"more refugees employed two years out ({level} % interval "
                f"{r['ci_lower']:.0f} to {r['ci_upper']:.0f}), an integration grant of DKK "
                f"{r['grant_dkk_million']:.1f} million ({r['grant_lower']:.1f} to "
                f"{r['grant_upper']:.1f}).")
        if "truth" in r:
            text += f" The true expected number on this synthetic register is {r['truth']:.0f}."
        return text


def top_decile_rate(cells: PolicyCells, *, quantile: float = 0.9,
                    min_arrivals: int = MIN_ARRIVALS) -> float:
    """Participation rate of the top decile of municipalities.

    The ``quantile`` of the municipal participation rates, over
    municipalities with at least ``min_arrivals`` people (EVA's rule).

    Parameters
    ----------
    cells : PolicyCells
    quantile : float, default 0.9
    min_arrivals : int, default 20

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> from amu_causal.policy import PolicyCells, top_decile_rate
    >>> n1 = np.array([[k, 0, 0, 0] for k in range(10)])
    >>> n0 = np.array([[100 - k, 0, 0, 0] for k in range(10)])
    >>> zero = np.zeros((1, 10, 4))
    >>> round(top_decile_rate(PolicyCells(zero, zero, n0, n1, tuple(range(10)))), 3)
    0.081
    """
    rates = cells.rate[cells.n >= min_arrivals]
    if rates.size == 0:
        raise ValueError(f"no municipality has {min_arrivals} or more people: lower "
                         "min_arrivals or use participation_rate() with a chosen rate")
    return float(np.quantile(rates, quantile))


def _allocate(cells: PolicyCells, places: np.ndarray, target_group: str | None) -> np.ndarray:
    """Probability that each non-participant of a cell is enrolled, ``(M, G)``."""
    n0 = cells.n_untreated.astype(float)
    q = np.zeros_like(n0)
    rest = places.astype(float).copy()
    if target_group is not None:
        if target_group not in cells.groups:
            raise ValueError(f"unknown attachment group {target_group!r}; choose from "
                             f"{list(cells.groups)}")
        j = cells.groups.index(target_group)
        with np.errstate(invalid="ignore", divide="ignore"):
            q[:, j] = np.where(n0[:, j] > 0, np.minimum(1.0, rest / n0[:, j]), 0.0)
        rest = rest - q[:, j] * n0[:, j]
        others = [i for i in range(len(cells.groups)) if i != j]
    else:
        others = list(range(len(cells.groups)))
    pool = n0[:, others].sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(pool > 0, np.minimum(1.0, np.maximum(rest, 0.0) / pool), 0.0)
    q[:, others] = share[:, None]
    return q


def _scenario(cells: PolicyCells, target: np.ndarray, *, name: str, description: str,
              target_group: str | None = None, only_raise: bool = True,
              places: np.ndarray | None = None, truth: PolicyCells | None = None,
              grant: float = GRANT_DKK, level: float = 0.95) -> PolicyResult:
    check_level(level)
    target = np.broadcast_to(np.asarray(target, dtype=float), cells.n.shape).copy()
    if np.any((target < 0) | (target > 1)):
        raise ValueError("participation rates must lie between 0 and 1")
    wanted = target * cells.n - cells.participants
    add = np.maximum(wanted, 0.0) if places is None else np.asarray(places, dtype=float)
    remove = np.zeros_like(add) if only_raise else np.maximum(-wanted, 0.0)

    def extra_for(c: PolicyCells) -> np.ndarray:
        q = _allocate(c, add, target_group)
        gain = np.einsum("smg,mg->sm", c.untreated, q)
        with np.errstate(invalid="ignore", divide="ignore"):
            drop = np.where(c.participants > 0, remove / np.maximum(c.participants, 1), 0.0)
        return gain - c.treated.sum(axis=2) * drop[None, :]

    q = _allocate(cells, add, target_group)
    enrolled = (q * cells.n_untreated).sum(axis=1)
    new_rate = (cells.participants + enrolled - remove) / np.maximum(cells.n, 1)
    return PolicyResult(
        name=name, description=description, municipalities=cells.municipalities,
        n=cells.n, participants=cells.participants, places=enrolled - remove,
        target_rate=new_rate, extra=extra_for(cells), grant=grant, level=level,
        truth=None if truth is None else extra_for(truth)[0],
    )


def scale_up_to_top_decile(cells: PolicyCells, *, truth: PolicyCells | None = None,
                           quantile: float = 0.9, grant: float = GRANT_DKK,
                           level: float = 0.95) -> PolicyResult:
    """Scenario (a): every municipality raises participation to the top-decile level.

    Municipalities below the rate of the top decile (:func:`top_decile_rate`)
    enrol randomly chosen non-participants until they reach it; the others
    keep their rate.

    Parameters
    ----------
    cells : PolicyCells
        From :func:`cells_from_result`.
    truth : PolicyCells, optional
        From :func:`cells_from_truth` (synthetic data): the true expected
        numbers under the same scenario.
    quantile : float, default 0.9
    grant : float, default 25,000
        DKK per extra person employed.
    level : float, default 0.95

    Returns
    -------
    PolicyResult

    Notes
    -----
    With :math:`r^*` the top-decile rate, municipality :math:`m` with
    :math:`n_m` people and :math:`a_m` participants gains
    :math:`E_m = \\max(0, r^* n_m - a_m)` places; each of its
    :math:`n_{m0}` non-participants is enrolled with probability
    :math:`q_m = E_m / n_{m0}`, so for posterior draw :math:`s` the
    expected extra employed are
    :math:`\\Delta_m^{(s)} = q_m \\sum_{i \\in m, A_i = 0}
    \\{p_i^{(s)}(1) - p_i^{(s)}(0)\\}`.

    Examples
    --------
    >>> import amu_causal as ac
    >>> from amu_causal import policy
    >>> df, truth = ac.simulate_register(n=2_000, seed=1)
    >>> cells = policy.cells_from_truth(truth, df)   # or policy.cells_from_result(fit, df)
    >>> result = policy.scale_up_to_top_decile(cells, truth=cells)
    >>> result.name
    '(a) top-decile participation'
    """
    rate = top_decile_rate(cells, quantile=quantile)
    return _scenario(cells, rate, name="(a) top-decile participation",
                     description=f"every municipality below the top-decile rate "
                                 f"({100 * rate:.1f} %) raises AMU participation to it",
                     truth=truth, grant=grant, level=level)


def target_no_early_employment(cells: PolicyCells, *, truth: PolicyCells | None = None,
                               quantile: float = 0.9, grant: float = GRANT_DKK,
                               level: float = 0.95) -> PolicyResult:
    """Scenario (b): the places of scenario (a), given to refugees with no early employment.

    Each municipality gets as many extra places as in
    :func:`scale_up_to_top_decile` and fills them first with randomly chosen
    non-participants who had no employment in their first two years (EVA's
    large group, where the association was strongest); places beyond that
    group go at random to the other non-participants. The difference from
    (a) is the value of targeting at a fixed number of places.

    Parameters
    ----------
    cells : PolicyCells
        From :func:`cells_from_result`.
    truth : PolicyCells, optional
        From :func:`cells_from_truth` (synthetic data).
    quantile : float, default 0.9
        As in :func:`scale_up_to_top_decile`.
    grant : float, default 25,000
        DKK per extra person employed.
    level : float, default 0.95

    Returns
    -------
    PolicyResult

    Examples
    --------
    >>> import amu_causal as ac
    >>> from amu_causal import policy
    >>> df, truth = ac.simulate_register(n=2_000, seed=1)
    >>> cells = policy.cells_from_truth(truth, df)
    >>> a = policy.scale_up_to_top_decile(cells)
    >>> b = policy.target_no_early_employment(cells)
    >>> bool(a.places.sum() == b.places.sum())   # the same places, targeted
    True
    """
    rate = top_decile_rate(cells, quantile=quantile)
    places = np.maximum(rate * cells.n - cells.participants, 0.0)
    return _scenario(cells, rate, name="(b) targeted at no early employment",
                     description="the extra places of (a) go first to refugees with no "
                                 "employment in their first two years",
                     target_group="none", places=places, truth=truth, grant=grant, level=level)


def participation_rate(cells: PolicyCells, rate: float, *, only_raise: bool = True,
                       truth: PolicyCells | None = None, grant: float = GRANT_DKK,
                       level: float = 0.95) -> PolicyResult:
    """Scenario (c): every municipality reaches a participation rate of the user's choice.

    Parameters
    ----------
    cells : PolicyCells
    rate : float
        Participation rate between 0 and 1 (0.10 is 10 %).
    only_raise : bool, default True
        Municipalities above ``rate`` keep their participation; with
        ``False`` they lower it to ``rate`` by dropping randomly chosen
        participants (their effects are lost).
    truth : PolicyCells, optional
        From :func:`cells_from_truth` (synthetic data).
    grant : float, default 25,000
        DKK per extra person employed.
    level : float, default 0.95

    Returns
    -------
    PolicyResult

    Examples
    --------
    >>> import numpy as np
    >>> from amu_causal.policy import PolicyCells, participation_rate
    >>> gain = np.full((2, 1, 4), 0.5)   # each non-participant cell sums to 0.5
    >>> n0, n1 = np.full((1, 4), 25), np.zeros((1, 4), dtype=int)
    >>> r = participation_rate(PolicyCells(gain, 0 * gain, n0, n1, (101,)), 0.5)
    >>> r.places.tolist(), r.extra.tolist()
    ([50.0], [[1.0], [1.0]])
    """
    if not 0 <= rate <= 1:
        raise ValueError(f"rate must be a share between 0 and 1 (0.10 for 10 %), got {rate}")
    return _scenario(cells, rate, name=f"(c) participation {100 * rate:g} %",
                     description=f"every municipality {'below' if only_raise else 'away from'} "
                                 f"{100 * rate:g} % participation moves to it",
                     only_raise=only_raise, truth=truth, grant=grant, level=level)


def policy_scenarios(cells: PolicyCells, *, rate: float | None = None,
                     truth: PolicyCells | None = None, grant: float = GRANT_DKK,
                     level: float = 0.95) -> list[PolicyResult]:
    """Scenarios (a), (b) and, with ``rate``, (c).

    Parameters
    ----------
    cells : PolicyCells
        From :func:`cells_from_result` (or :func:`cells_from_truth`).
    rate : float, optional
        Participation rate of scenario (c); without it (c) is left out.
    truth : PolicyCells, optional
        From :func:`cells_from_truth` (synthetic data).
    grant : float, default 25,000
        DKK per extra person employed.
    level : float, default 0.95

    Returns
    -------
    list of PolicyResult

    Examples
    --------
    >>> import amu_causal as ac
    >>> from amu_causal import policy
    >>> df, truth = ac.simulate_register(n=3_000, seed=1)
    >>> cells = policy.cells_from_truth(truth, df)   # or cells_from_result(fit, df)
    >>> results = policy.policy_scenarios(cells, rate=0.10)
    >>> [r.name for r in results]
    ['(a) top-decile participation', '(b) targeted at no early employment', \
'(c) participation 10 %']
    """
    out = [scale_up_to_top_decile(cells, truth=truth, grant=grant, level=level),
           target_no_early_employment(cells, truth=truth, grant=grant, level=level)]
    if rate is not None:
        out.append(participation_rate(cells, rate, truth=truth, grant=grant, level=level))
    return out


def national_table(results: list[PolicyResult]) -> pd.DataFrame:
    """The national rows of several scenarios in one table.

    Parameters
    ----------
    results : list of PolicyResult

    Returns
    -------
    pandas.DataFrame
        One row per scenario: extra participants, participation before and
        after, extra employed with its interval, employed per 100 places and
        the integration grant (DKK million) with its interval.

    Examples
    --------
    >>> import amu_causal as ac
    >>> from amu_causal import policy
    >>> df, truth = ac.simulate_register(n=2_000, seed=1)
    >>> cells = policy.cells_from_truth(truth, df)   # or policy.cells_from_result(fit, df)
    >>> table = policy.national_table(policy.policy_scenarios(cells))
    >>> len(table)
    2
    """
    return pd.concat([r.national() for r in results], ignore_index=True)


