"""The EVA controls as formula terms, shared by the regression baselines."""

from __future__ import annotations

from ..data.schema import EVA_CONTROLS

#: Formula term for each EVA control (Figure 4 of the EVA note).
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
    """The right-hand side of the controls, e.g. ``months_employed + C(permit_year) + ...``."""
    return " + ".join(CONTROL_TERMS[c] for c in controls)
