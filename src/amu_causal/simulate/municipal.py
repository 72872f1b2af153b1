"""Municipality-level inputs of the simulator: settlement quotas and AMU use.

These describe the synthetic "world" and are the same for every register
seed; only people and their outcomes are drawn per register.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import stats

from ..data.municipalities import municipalities
from ..eva import BORNHOLM_BAND, HIGH_USERS_BAND

__all__ = ["municipal_amu_rates", "settlement_weights"]

#: Municipalities whose quota was cut in the later years: large cities and
#: municipalities that already had many refugees and immigrants. Copenhagen had
#: a zero quota in 2015-16 (news reports of the time). Factor per permit year.
_QUOTA_FACTORS: dict[int, tuple[float, ...]] = {
    #      2010  2011  2012  2013  2014  2015
    101: (0.35, 0.30, 0.25, 0.20, 0.10, 0.00),  # København
    147: (0.50, 0.50, 0.45, 0.40, 0.30, 0.25),  # Frederiksberg
    751: (0.70, 0.70, 0.65, 0.60, 0.55, 0.50),  # Aarhus
    461: (0.70, 0.70, 0.65, 0.60, 0.55, 0.50),  # Odense
    851: (0.85, 0.85, 0.80, 0.80, 0.75, 0.70),  # Aalborg
    153: (0.50,) * 6,  # Brøndby
    165: (0.50,) * 6,  # Albertslund
    169: (0.50,) * 6,  # Høje-Taastrup
    183: (0.40,) * 6,  # Ishøj
}

#: AMU use of the municipalities the EVA note names (Figures 2 and 3), each
#: inside its published band (:data:`amu_causal.eva.BORNHOLM_BAND`,
#: :data:`amu_causal.eva.HIGH_USERS_BAND`).
_NAMED_RATES: dict[int, float] = {
    400: 0.47,   # Bornholm
    661: 0.17,   # Holstebro
    550: 0.165,  # Tønder
    306: 0.16,   # Odsherred
    329: 0.165,  # Ringsted
    540: 0.16,   # Sønderborg
    630: 0.165,  # Vejle
}
assert _NAMED_RATES[400] >= BORNHOLM_BAND[0] and all(
    HIGH_USERS_BAND[0] <= rate <= HIGH_USERS_BAND[1] for code, rate in _NAMED_RATES.items()
    if code != 400), "named municipalities must sit inside EVA's published bands"
#: Other high users (not named by EVA), so that the top ten average about 19 %.
_OTHER_HIGH_RATES: dict[int, float] = {665: 0.11, 779: 0.105, 813: 0.10}
#: Municipalities that barely use AMU for refugees (EVA Figure 3): chosen to
#: spread over regions; the published bottom-ten mean is about 1 %.
_LOW_USERS: tuple[int, ...] = (
    101, 147, 157, 159, 173, 190, 201, 223, 230, 240, 269, 350,
    710, 727, 746, 840, 253, 155, 187, 163,
)
_LOW_RATE_RANGE = (0.025, 0.045)
_WORLD_SEED = 2019  # the year of the EVA note; fixes the synthetic world


def settlement_weights(cohort_shares: Mapping[int, float]) -> pd.DataFrame:
    """Quota-like allocation weights: municipality by permit year.

    Parameters
    ----------
    cohort_shares : mapping of int to float
        Permit years and their shares of the population.

    Returns
    -------
    pandas.DataFrame
        Index municipality code, one column per permit year, each column
        summing to one: population-proportional, with low or zero quotas for
        the large cities in the later years.

    Examples
    --------
    >>> from amu_causal.simulate.municipal import settlement_weights
    >>> w = settlement_weights({2010: 0.5, 2015: 0.5})
    >>> round(float(w.loc[101, 2015]), 3)
    0.0
    """
    table = municipalities().set_index("code")
    population = table["population_thousands"].astype(float)
    out = {}
    for year in cohort_shares:
        k = min(max(int(year) - 2010, 0), 5)
        factor = pd.Series(
            {code: f[k] for code, f in _QUOTA_FACTORS.items()}, dtype=float
        ).reindex(population.index, fill_value=1.0)
        w = population * factor
        out[int(year)] = w / w.sum()
    return pd.DataFrame(out)


def municipal_amu_rates(
    participation_rate: float, cohort_shares: Mapping[int, float]
) -> pd.Series:
    """Expected AMU participation rate of each municipality.

    Parameters
    ----------
    participation_rate : float
        The national rate the municipal rates must average to, weighted by
        expected settlement.
    cohort_shares : mapping of int to float
        Permit-year shares (they set the expected settlement weights).

    Returns
    -------
    pandas.Series
        Index municipality code, values in (0, 1).

    Notes
    -----
    Named municipalities take their published levels; twenty low users take
    rates between 2.5 % and 4.5 % (sampling noise in small municipalities
    brings the realised bottom-ten mean to about 1 %); the others take evenly
    spaced quantiles of a
    Beta(2.2, 30) distribution in a fixed random order (seed 2019), and are then
    scaled so that the settlement-weighted mean equals ``participation_rate``.

    Examples
    --------
    >>> from amu_causal.simulate.municipal import municipal_amu_rates
    >>> rates = municipal_amu_rates(0.06, {2015: 1.0})
    >>> round(float(rates.loc[400]), 2)
    0.47
    """
    codes = municipalities()["code"].to_numpy()
    rng = np.random.default_rng(_WORLD_SEED)
    rates = pd.Series(np.nan, index=codes, dtype=float)
    for code, r in {**_NAMED_RATES, **_OTHER_HIGH_RATES}.items():
        rates[code] = r
    low = np.linspace(*_LOW_RATE_RANGE, len(_LOW_USERS))
    rates[list(_LOW_USERS)] = rng.permutation(low)
    rest = rates.index[rates.isna()]
    quantiles = stats.beta(2.2, 30).ppf((np.arange(len(rest)) + 0.5) / len(rest))
    rates[rest] = rng.permutation(quantiles)

    shares = pd.Series(cohort_shares, dtype=float)
    weights = settlement_weights(cohort_shares).mul(shares / shares.sum(), axis=1).sum(axis=1)
    fixed = rates.index.difference(rest)
    fixed_mass = float((weights[fixed] * rates[fixed]).sum())
    rest_mass = float((weights[rest] * rates[rest]).sum())
    scale = (participation_rate - fixed_mass) / rest_mass
    if scale <= 0:
        raise ValueError(
            f"participation_rate={participation_rate} is too low for the published "
            "high-use municipalities; use a rate of at least "
            f"{fixed_mass + 0.001:.3f}"
        )
    rates[rest] = np.clip(rates[rest] * scale, 0.001, 0.9)
    rates.index.name = "municipality"
    rates.name = "amu_rate"
    return rates
