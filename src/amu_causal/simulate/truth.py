"""The known causal truth of a synthetic register."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..data.schema import ATTACHMENT_GROUPS
from .parameters import SimulationParameters

__all__ = ["Truth", "sample_effects"]


def _effects_by(key: pd.Series, p0, p1, amu) -> pd.DataFrame:
    frame = pd.DataFrame({"key": key.to_numpy(), "diff": p1 - p0, "amu": amu})
    frame["diff_treated"] = frame["diff"].where(frame["amu"] == 1)
    grouped = frame.groupby("key", observed=True, sort=True)
    out = pd.DataFrame(
        {
            "ate": grouped["diff"].mean(),
            "att": grouped["diff_treated"].mean(),
            "n": grouped.size(),
            "n_treated": grouped["amu"].sum(),
        }
    )
    out["n_treated"] = out["n_treated"].astype("int64")
    return out


def sample_effects(p0, p1, amu, attachment, municipality) -> dict:
    """Sample causal estimands from potential-outcome probabilities.

    Parameters
    ----------
    p0, p1 : array-like of float
        Each person's probability of employment without and with AMU.
    amu : array-like of int
        Observed treatment.
    attachment : array-like
        Attachment group of each person.
    municipality : array-like of int
        Municipality code of each person.

    Returns
    -------
    dict
        ``ate``, ``att``, ``atc``, ``risk_ratio``, ``by_attachment`` and
        ``by_municipality`` (DataFrames with ``ate``, ``att``, ``n``,
        ``n_treated``).

    Notes
    -----
    The sample average treatment effect is
    :math:`\\mathrm{ATE} = n^{-1} \\sum_i \\{p_i(1) - p_i(0)\\}` and the effect on
    the treated averages over :math:`A_i = 1`; the risk ratio is
    :math:`\\sum_i p_i(1) / \\sum_i p_i(0)`. Using probabilities rather than
    drawn potential outcomes removes Bernoulli noise from the truth.

    Examples
    --------
    >>> from amu_causal.simulate.truth import sample_effects
    >>> e = sample_effects([0.1, 0.2], [0.3, 0.2], [1, 0], ["none", "low"], [400, 400])
    >>> round(e["ate"], 3), round(e["att"], 3)
    (0.1, 0.2)
    """
    p0 = np.asarray(p0, dtype=float)
    p1 = np.asarray(p1, dtype=float)
    amu = np.asarray(amu, dtype=int)
    diff = p1 - p0
    groups = pd.Series(pd.Categorical(np.asarray(attachment), categories=list(ATTACHMENT_GROUPS)))
    by_attachment = _effects_by(groups, p0, p1, amu)
    by_attachment.index = pd.CategoricalIndex(
        by_attachment.index, categories=list(ATTACHMENT_GROUPS), name="attachment"
    )
    by_municipality = _effects_by(pd.Series(np.asarray(municipality)), p0, p1, amu)
    by_municipality.index.name = "municipality"
    treated = amu == 1
    return {
        "ate": float(diff.mean()),
        "att": float(diff[treated].mean()) if treated.any() else float("nan"),
        "atc": float(diff[~treated].mean()) if (~treated).any() else float("nan"),
        "risk_ratio": float(p1.sum() / p0.sum()),
        "by_attachment": by_attachment,
        "by_municipality": by_municipality,
    }


@dataclass(frozen=True, eq=False)
class Truth:
    """What is true in a synthetic register: the causal estimands and the settings.

    All effects are sample estimands on the probability scale (0.05 is five
    percentage points), computed from the simulated potential-outcome
    probabilities of the people in the register.

    Parameters
    ----------
    ate, att, atc : float
        Average effect of AMU on employment two years out, overall, among
        participants and among non-participants.
    risk_ratio : float
        Mean employment probability with AMU over without, everyone.
    ate_direct : float
        The ATE with months employed held at its observed value. Equal to
        ``ate`` unless the register was simulated with ``post_treatment``.
    by_attachment, by_municipality : pandas.DataFrame
        ``ate``, ``att``, ``n``, ``n_treated`` per attachment group and per
        municipality code.
    parameters : SimulationParameters
        The settings used.
    seed : int or None
        The seed, when one was given as an integer.
    municipality_parameters : pandas.DataFrame
        Per municipality: expected AMU rate, participation and employment
        intercepts, and the AMU effect deviation (log-odds).
    persons : pandas.DataFrame
        Per person: ``person_id``, the latent ``motivation``, ``p0``, ``p1``
        and months employed without and with AMU. Synthetic data only.

    Examples
    --------
    >>> import amu_causal as ac
    >>> df, truth = ac.simulate_register(n=2_000, seed=1)
    >>> 0 < truth.ate < 0.2
    True
    >>> truth.effects().columns.tolist()
    ['estimand', 'truth']
    """

    ate: float
    att: float
    atc: float
    risk_ratio: float
    ate_direct: float
    by_attachment: pd.DataFrame
    by_municipality: pd.DataFrame
    parameters: SimulationParameters
    seed: int | None
    municipality_parameters: pd.DataFrame = field(repr=False)
    persons: pd.DataFrame = field(repr=False)

    def effects(self) -> pd.DataFrame:
        """The true estimands, named as in every estimator's ``effects()`` table.

        Returns
        -------
        pandas.DataFrame
            Columns ``estimand`` (``ATE``, ``ATT``, ``ATC``, ``RR``,
            ``ATE[attachment=g]``, ``ATT[attachment=g]``,
            ``ATE[municipality=code]``) and ``truth``.
        """
        rows = [("ATE", self.ate), ("ATT", self.att), ("ATC", self.atc), ("RR", self.risk_ratio)]
        for group, row in self.by_attachment.iterrows():
            rows.append((f"ATE[attachment={group}]", row["ate"]))
        for group, row in self.by_attachment.iterrows():
            rows.append((f"ATT[attachment={group}]", row["att"]))
        for code, row in self.by_municipality.iterrows():
            rows.append((f"ATE[municipality={code}]", row["ate"]))
        return pd.DataFrame(rows, columns=["estimand", "truth"])

    def __repr__(self) -> str:
        return (
            f"Truth(ate={self.ate:.4f}, att={self.att:.4f}, atc={self.atc:.4f}, "
            f"risk_ratio={self.risk_ratio:.3f}, n={len(self.persons):,}, seed={self.seed})"
        )
