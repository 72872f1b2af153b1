"""The register data contract as code.

One row per person; the canonical column names below are what every
estimator, check and experiment reads. :func:`amu_causal.load_register` maps a
researcher's own variable names onto them; the simulator writes them directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

__all__ = [
    "ATTACHMENT_GROUPS",
    "COLUMNS",
    "EVA_CONTROLS",
    "ColumnSpec",
    "attachment_group",
    "column_spec",
    "schema_table",
]

Kind = Literal["id", "integer", "binary", "category"]
Role = Literal[
    "key", "hierarchy", "control", "attachment", "treatment", "description", "outcome"
]


@dataclass(frozen=True)
class ColumnSpec:
    """One canonical register column.

    Parameters
    ----------
    name : str
        Canonical column name.
    kind : {"id", "integer", "binary", "category"}
        Storage kind: ``integer`` and ``binary`` are stored as ``int64``,
        ``category`` as :class:`pandas.CategoricalDtype` over ``allowed``.
    role : str
        What the column is for (key, hierarchy, control, attachment,
        treatment, description, outcome).
    description : str
        Plain-words meaning.
    allowed : tuple of str, optional
        Allowed category labels (``None``: free labels).
    lower, upper : int, optional
        Inclusive bounds for integer columns.
    nullable : bool
        Whether missing values are allowed (only ``amu_area``, and only when
        ``amu == 0``).
    """

    name: str
    kind: Kind
    role: Role
    description: str
    allowed: tuple[str, ...] | None = None
    lower: int | None = None
    upper: int | None = None
    nullable: bool = False

    @property
    def dtype(self) -> str | pd.CategoricalDtype:
        """The canonical pandas dtype."""
        if self.kind == "category":
            return pd.CategoricalDtype(list(self.allowed)) if self.allowed else "category"
        if self.kind == "id":
            return "object"
        return "int64"


EDUCATION = (
    "primary",
    "upper_secondary",
    "short_tertiary",
    "medium_tertiary",
    "long_tertiary",
    "unknown",
)
AMU_AREAS = (
    "office_trade_service",
    "transport_logistics",
    "technology",
    "food",
    "construction",
    "other",
)
ATTACHMENT_GROUPS = ("none", "low", "medium", "high")

#: EVA's municipal figures and analyses leave out municipalities with fewer arrivals
#: than this (descriptives, calibration and policy tables use the same rule).
MIN_ARRIVALS = 20

COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("person_id", "id", "key", "Person identifier, unique."),
    ColumnSpec(
        "municipality", "integer", "hierarchy",
        "Municipality of settlement: one of the 98 municipality codes.",
    ),
    ColumnSpec(
        "permit_year", "integer", "control", "Year of the residence permit.",
        lower=1990, upper=2035,
    ),
    ColumnSpec(
        "permit_month", "integer", "control", "Month of the residence permit.", lower=1, upper=12
    ),
    ColumnSpec("origin", "category", "control", "Country of origin (free labels)."),
    ColumnSpec(
        "residence_basis", "category", "control", "Refugee or family reunified to a refugee.",
        allowed=("refugee", "family_reunified"),
    ),
    ColumnSpec("sex", "category", "control", "Sex.", allowed=("male", "female")),
    ColumnSpec("age", "integer", "control", "Age at the residence permit.", lower=18, upper=60),
    ColumnSpec(
        "education", "category", "control",
        "Highest completed education brought from abroad (EVA Table 1).", allowed=EDUCATION,
    ),
    ColumnSpec(
        "civil_status", "category", "control", "Civil status.",
        allowed=("married", "unmarried", "divorced", "widowed"),
    ),
    ColumnSpec(
        "family_type", "category", "control", "Family type.",
        allowed=(
            "single_no_children",
            "single_with_children",
            "couple_no_children",
            "couple_with_children",
        ),
    ),
    ColumnSpec("n_children", "integer", "control", "Number of children.", lower=0, upper=30),
    ColumnSpec(
        "started_education", "binary", "control", "Started ordinary education in Denmark.",
        lower=0, upper=1,
    ),
    ColumnSpec(
        "started_adult_education", "binary", "control",
        "Started adult or continuing education in Denmark (other than AMU).", lower=0, upper=1,
    ),
    ColumnSpec(
        "months_employed", "integer", "attachment",
        "Months employed in the first two years after settlement.", lower=0, upper=24,
    ),
    ColumnSpec(
        "amu", "binary", "treatment",
        "Took at least one AMU course in the first two years.", lower=0, upper=1,
    ),
    ColumnSpec(
        "amu_area", "category", "description",
        "AMU area of the (main) course; missing exactly when amu == 0.",
        allowed=AMU_AREAS, nullable=True,
    ),
    ColumnSpec(
        "employed_2y", "binary", "outcome",
        "Employed in the last week of November two years after settlement.", lower=0, upper=1,
    ),
)

_BY_NAME = {c.name: c for c in COLUMNS}

#: The controls of the EVA regression (Figure 4), besides municipality fixed effects
#: (defined with EVA's other published figures in :mod:`amu_causal.eva`).
from ..eva import EVA_CONTROLS  # noqa: E402


def column_spec(name: str) -> ColumnSpec:
    """The :class:`ColumnSpec` of a canonical column.

    Parameters
    ----------
    name : str
        Canonical column name.

    Returns
    -------
    ColumnSpec

    Examples
    --------
    >>> from amu_causal.data import column_spec
    >>> column_spec("age").upper
    60
    """
    try:
        return _BY_NAME[name]
    except KeyError:
        known = ", ".join(_BY_NAME)
        raise KeyError(f"{name!r} is not a canonical register column; known: {known}") from None


def schema_table() -> pd.DataFrame:
    """The data contract as a table: one row per canonical column.

    Returns
    -------
    pandas.DataFrame
        Columns ``column``, ``kind``, ``role``, ``allowed``, ``description``.

    Examples
    --------
    >>> from amu_causal.data import schema_table
    >>> schema_table().set_index("column").loc["amu", "role"]
    'treatment'
    """
    rows = []
    for c in COLUMNS:
        if c.allowed:
            allowed = ", ".join(c.allowed)
        elif c.lower is not None:
            allowed = f"{c.lower}-{c.upper}"
        else:
            allowed = ""
        rows.append(
            {"column": c.name, "kind": c.kind, "role": c.role, "allowed": allowed,
             "description": c.description}
        )
    return pd.DataFrame(rows)


def attachment_group(months_employed) -> pd.Categorical:
    """Labour-market attachment group from months employed in the first two years.

    Parameters
    ----------
    months_employed : array-like of int
        Months employed, 0-24.

    Returns
    -------
    pandas.Categorical
        Ordered categories ``none`` (0 months), ``low`` (1-6), ``medium``
        (7-12) and ``high`` (13-24). Values outside 0-24 or missing give a
        missing group.

    Examples
    --------
    >>> from amu_causal.data import attachment_group
    >>> list(attachment_group([0, 3, 12, 24]))
    ['none', 'low', 'medium', 'high']
    """
    months = pd.to_numeric(pd.Series(np.asarray(months_employed)), errors="coerce")
    groups = pd.cut(
        months, bins=[-0.5, 0.5, 6.5, 12.5, 24.5], labels=list(ATTACHMENT_GROUPS), ordered=True
    )
    return pd.Categorical(groups, categories=list(ATTACHMENT_GROUPS), ordered=True)
