"""What the EVA note (2019) publishes, in one place: its figures and its regression.

The simulator is calibrated to these figures, :func:`amu_causal.calibration_report`
checks a register against them, the descriptive tables print them beside the
register's values, and the regression baselines and the sensitivity analyses use
the same controls and formula. Values are as printed (whole percentages);
where the note gives words ("almost one in two"), the band it is read as is
stated beside it.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["AMU_AREA_SHARES", "BORNHOLM_BAND", "CONTROL_TERMS", "EDUCATION_BY_YEAR",
           "EMPLOYED_NO_EARLY_AMU", "EMPLOYED_NO_EARLY_NO_AMU", "EVA_CONTROLS",
           "HIGH_USERS", "HIGH_USERS_BAND", "PARTICIPATION", "TEN_MEANS", "control_formula",
           "eva_regression"]

#: Share of refugees who took AMU within two years of settlement (Figure 1), all
#: cohorts and the 2015 cohort (the note reports a small rise over the cohorts and
#: men above women, without numbers).
PARTICIPATION: dict[str, float] = {"all": 0.06, "2015": 0.06}

#: Mean participation of the ten highest and ten lowest using municipalities
#: (Figures 2-3), among municipalities with at least 20 arrivals.
TEN_MEANS: dict[str, float] = {"top": 0.19, "bottom": 0.01}

#: Bornholm: "almost every second" refugee took AMU, read as 45-50 %.
BORNHOLM_BAND: tuple[float, float] = (0.45, 0.50)

#: Municipalities the note names as high users, each at 15-18 %.
HIGH_USERS: tuple[str, ...] = ("Holstebro", "Tønder", "Odsherred", "Ringsted", "Sønderborg",
                               "Vejle")
HIGH_USERS_BAND: tuple[float, float] = (0.15, 0.18)

#: Table 1: highest completed education brought from abroad, by permit year
#: (percent; rows do not sum to 100 exactly because the printed values are rounded).
EDUCATION_BY_YEAR: dict[int, tuple[int, ...]] = {
    #      primary upper_sec short_ter medium_ter long_ter unknown
    2010: (59, 15, 3, 7, 5, 10),
    2011: (63, 12, 3, 9, 5, 8),
    2012: (64, 12, 4, 9, 5, 6),
    2013: (67, 12, 4, 10, 5, 3),
    2014: (67, 14, 2, 13, 4, 1),
    2015: (71, 13, 2, 11, 2, 1),
}

#: Table 2: AMU areas of the courses refugees took (percent).
AMU_AREA_SHARES: dict[str, int] = {
    "office_trade_service": 28,
    "transport_logistics": 26,
    "technology": 20,
    "food": 9,
    "construction": 9,
    "other": 8,
}

#: Figure 4, refugees with no employment in their first two years: employed two
#: years after settlement with AMU (adjusted by the regression) and without.
EMPLOYED_NO_EARLY_AMU = 0.19
EMPLOYED_NO_EARLY_NO_AMU = 0.09

#: The controls of the EVA regression (Figure 4), besides municipality fixed effects.
EVA_CONTROLS: tuple[str, ...] = (
    "months_employed",
    "permit_year",
    "permit_month",
    "origin",
    "residence_basis",
    "sex",
    "age",
    "education",
    "civil_status",
    "family_type",
    "n_children",
    "started_education",
    "started_adult_education",
)

#: Formula term for each EVA control.
CONTROL_TERMS: dict[str, str] = {
    "months_employed": "months_employed",
    "permit_year": "C(permit_year)",
    "permit_month": "C(permit_month)",
    "origin": "C(origin)",
    "residence_basis": "C(residence_basis)",
    "sex": "C(sex)",
    "age": "age + I(age ** 2)",
    "education": "C(education)",
    "civil_status": "C(civil_status)",
    "family_type": "C(family_type)",
    "n_children": "n_children",
    "started_education": "started_education",
    "started_adult_education": "started_adult_education",
}
assert tuple(CONTROL_TERMS) == EVA_CONTROLS


def control_formula(controls=EVA_CONTROLS) -> str:
    """The right-hand side of the controls in formula syntax.

    Parameters
    ----------
    controls : sequence of str, default :data:`EVA_CONTROLS`

    Returns
    -------
    str

    Examples
    --------
    >>> from amu_causal.eva import control_formula
    >>> control_formula(("months_employed", "age"))
    'months_employed + age + I(age ** 2)'
    """
    return " + ".join(CONTROL_TERMS[c] for c in controls)


def eva_regression(df: pd.DataFrame, *, by_attachment: bool = True) -> pd.DataFrame:
    """EVA's regression (Figure 4) as a plain dummy-variable OLS with HC1 errors.

    Parameters
    ----------
    df : pandas.DataFrame
        Register data in the contract.
    by_attachment : bool, default True
        Interact AMU with the attachment group (one AMU coefficient per
        group, as in EVA Figure 4); otherwise one pooled coefficient.

    Returns
    -------
    pandas.DataFrame
        One row per AMU coefficient: ``term``, ``estimate``, ``std_error``
        (HC1), ``untreated_mean`` (raw employment rate of non-participants in
        the group) and ``n``.

    Notes
    -----
    The linear probability model
    :math:`Y_i = \\sum_g \\beta_g A_i 1[g_i = g] + \\mu_{g_i} + \\alpha_{m_i}
    + x_i'\\gamma + \\varepsilon_i`
    with municipality dummies :math:`\\alpha_m` and the EVA controls
    :math:`x_i` (months employed, permit year and month, origin, residence
    basis, sex, age and its square, education, civil status, family type,
    number of children, started education, started adult education). This is
    a transparent statsmodels implementation used for calibration; the
    package's estimator is :class:`amu_causal.OLSFixedEffects`.

    Examples
    --------
    >>> import amu_causal as ac
    >>> from amu_causal.eva import eva_regression
    >>> df, _ = ac.simulate_register(n=3_000, seed=1)
    >>> eva_regression(df)["term"].tolist()
    ['amu[none]', 'amu[low]', 'amu[medium]', 'amu[high]']
    """
    import statsmodels.formula.api as smf

    from .data.validate import validate_register

    data = validate_register(df)
    data = data.assign(attachment=data["attachment"].astype(str))
    controls = control_formula()
    treatment = "C(attachment) + amu:C(attachment)" if by_attachment else "amu + C(attachment)"
    formula = f"employed_2y ~ {treatment} + {controls} + C(municipality)"
    fit = smf.ols(formula, data=data).fit(cov_type="HC1")
    rows = []
    if by_attachment:
        for group in ("none", "low", "medium", "high"):
            term = f"amu:C(attachment)[{group}]"
            mask = data["attachment"] == group
            if term not in fit.params.index:
                continue
            rows.append(
                {
                    "term": f"amu[{group}]",
                    "estimate": float(fit.params[term]),
                    "std_error": float(fit.bse[term]),
                    "untreated_mean": float(data.loc[mask & (data["amu"] == 0),
                                                     "employed_2y"].mean()),
                    "n": int(mask.sum()),
                }
            )
    else:
        rows.append(
            {
                "term": "amu",
                "estimate": float(fit.params["amu"]),
                "std_error": float(fit.bse["amu"]),
                "untreated_mean": float(data.loc[data["amu"] == 0, "employed_2y"].mean()),
                "n": len(data),
            }
        )
    return pd.DataFrame(rows)
