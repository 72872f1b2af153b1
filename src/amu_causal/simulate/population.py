"""Background characteristics of the synthetic refugee population."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import expit

from ..data.schema import EDUCATION
from ..eva import EDUCATION_BY_YEAR  # EVA Table 1

__all__ = ["EDUCATION_BY_YEAR", "ORIGIN_SHARES", "draw_population", "quota_allocation"]

#: Countries of origin, 2010 and 2015 shares (percent); years between are
#: interpolated linearly. Plausible, not published by EVA.
ORIGIN_SHARES: dict[str, tuple[float, float]] = {
    "Syria": (5, 55),
    "Eritrea": (3, 20),
    "Afghanistan": (20, 5),
    "Iran": (12, 5),
    "Iraq": (12, 2),
    "Somalia": (15, 3),
    "Stateless": (10, 5),
    "Russia": (5, 1),
    "Other": (18, 4),
}


def quota_allocation(shares, n: int, rng: np.random.Generator) -> np.ndarray:
    """Exactly ``n`` labels in the given shares (largest remainder), in random order.

    Used where a published table describes the whole population (EVA Tables 1
    and 2): the register reproduces the table up to rounding, and only who
    has which value is random.

    Parameters
    ----------
    shares : array-like of float
        Non-negative shares (renormalised).
    n : int
        Number of labels.
    rng : numpy.random.Generator
        Source of the random order.

    Returns
    -------
    numpy.ndarray of int
        Indices into ``shares``, length ``n``.

    Examples
    --------
    >>> import numpy as np
    >>> from amu_causal.simulate.population import quota_allocation
    >>> np.bincount(quota_allocation([0.5, 0.3, 0.2], 10, np.random.default_rng(0)))
    array([5, 3, 2])
    """
    p = np.asarray(shares, dtype=float)
    p = p / p.sum()
    exact = p * n
    counts = np.floor(exact).astype(int)
    short = n - counts.sum()
    if short:
        order = np.argsort(-(exact - counts), kind="stable")
        counts[order[:short]] += 1
    labels = np.repeat(np.arange(len(p)), counts)
    return rng.permutation(labels)


def _draw_origin(years: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    names = list(ORIGIN_SHARES)
    start = np.array([v[0] for v in ORIGIN_SHARES.values()], dtype=float)
    end = np.array([v[1] for v in ORIGIN_SHARES.values()], dtype=float)
    out = np.empty(len(years), dtype=object)
    for year in np.unique(years):
        t = np.clip((year - 2010) / 5.0, 0.0, 1.0)
        p = (1 - t) * start + t * end
        idx = np.flatnonzero(years == year)
        out[idx] = np.asarray(names, dtype=object)[rng.choice(len(names), len(idx), p=p / p.sum())]
    return out


def _draw_education(years: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    out = np.empty(len(years), dtype=object)
    labels = np.asarray(EDUCATION, dtype=object)
    for year in np.unique(years):
        table_year = int(np.clip(year, 2010, 2015))
        idx = np.flatnonzero(years == year)
        out[idx] = labels[quota_allocation(EDUCATION_BY_YEAR[table_year], len(idx), rng)]
    return out


def draw_population(
    n: int, cohort_shares, u: np.ndarray, u_education: float, rng: np.random.Generator
) -> pd.DataFrame:
    """Draw permit timing, demography, education and family of ``n`` people.

    Parameters
    ----------
    n : int
        Number of people.
    cohort_shares : mapping of int to float
        Permit-year shares.
    u : numpy.ndarray
        Latent motivation / job readiness (standard normal), one per person.
    u_education : float
        Loading of ``u`` on starting education in Denmark.
    rng : numpy.random.Generator
        Random source.

    Returns
    -------
    pandas.DataFrame
        The control columns of the data contract (no municipality, treatment
        or outcome yet).
    """
    years_avail = np.array(sorted(cohort_shares), dtype=int)
    p_year = np.array([cohort_shares[y] for y in years_avail], dtype=float)
    years = years_avail[quota_allocation(p_year, n, rng)]
    months = rng.integers(1, 13, size=n)

    family = rng.random(n) < (0.25 + 0.01 * np.clip(years - 2010, 0, 5))
    male = np.where(family, rng.random(n) < 0.22, rng.random(n) < 0.68)
    age = 18 + np.floor(43 * rng.beta(1.6, 3.2, size=n)).astype(int)
    age = np.minimum(age, 60)

    origin = _draw_origin(years, rng)
    education = _draw_education(years, rng)

    # civil status: family-reunified adults are mostly spouses
    p_married = np.where(family, 0.88, expit(-1.0 + 0.12 * (age - 25)))
    married = rng.random(n) < p_married
    r = rng.random(n)
    p_widowed = expit(-5.0 + 0.08 * (age - 18))
    p_divorced = expit(-3.3 + 0.04 * (age - 18))
    civil = np.where(
        married, "married",
        np.where(r < p_widowed, "widowed", np.where(r < p_widowed + p_divorced, "divorced",
                                                    "unmarried")),
    ).astype(object)

    lam = np.where(
        married, np.clip(0.3 + 0.09 * (age - 20), 0.2, 3.2),
        np.where(civil == "unmarried", 0.1, 1.5),
    )
    n_children = np.minimum(rng.poisson(lam), 10)
    # refugees whose spouse is not (yet) in Denmark count as single households
    couple = married & (family | (rng.random(n) < 0.55))
    family_type = np.where(
        couple,
        np.where(n_children > 0, "couple_with_children", "couple_no_children"),
        np.where(n_children > 0, "single_with_children", "single_no_children"),
    ).astype(object)

    educated = np.isin(education, ["upper_secondary", "short_tertiary", "medium_tertiary",
                                   "long_tertiary"])
    started_education = rng.random(n) < expit(
        -1.7 - 0.07 * (age - 18) + 0.5 * educated + u_education * u
    )
    started_adult = rng.random(n) < expit(-1.1 - 0.02 * (age - 18) + u_education * u)

    return pd.DataFrame(
        {
            "permit_year": years.astype("int64"),
            "permit_month": months.astype("int64"),
            "origin": origin,
            "residence_basis": np.where(family, "family_reunified", "refugee").astype(object),
            "sex": np.where(male, "male", "female").astype(object),
            "age": age.astype("int64"),
            "education": education,
            "civil_status": civil,
            "family_type": family_type,
            "n_children": n_children.astype("int64"),
            "started_education": started_education.astype("int64"),
            "started_adult_education": started_adult.astype("int64"),
        }
    )
