"""Design matrices for the models: controls coded once, the same way everywhere."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..data.schema import ATTACHMENT_GROUPS, EVA_CONTROLS
from ..data.validate import validate_register

__all__ = ["Design", "build_design"]

_CONTINUOUS = ("age", "months_employed", "n_children")
_BINARY = ("started_education", "started_adult_education")
_FACTORS = ("permit_year", "permit_month", "origin", "residence_basis", "sex", "education",
            "civil_status", "family_type")


@dataclass(frozen=True)
class Design:
    """The numeric inputs of a model fit, with the labels to read them back.

    Parameters
    ----------
    X : numpy.ndarray
        ``n x p`` controls: continuous columns standardised (mean 0, SD 1),
        factors as centred reference-coded dummies, binaries centred. The
        column order is ``controls``. Used for municipal means and baselines.
    controls : tuple of str
        Column names of ``X`` (``age``, ``age^2``, ``sex[female]``, ...).
    numeric : numpy.ndarray
        ``n x k`` the continuous and binary controls alone (as in ``X``).
    numeric_names : tuple of str
        Column names of ``numeric``.
    factors : dict of str to numpy.ndarray
        Each factor control as integer level positions (the Bayesian model
        gives factors sum-to-zero effects indexed by these).
    factor_levels : dict of str to tuple of str
        The levels of each factor, in index order.
    treatment, outcome : numpy.ndarray
        ``amu`` and ``employed_2y`` as ``int8``.
    municipality_index, attachment_index : numpy.ndarray
        Position of each person's municipality in ``municipalities`` and of
        each person's attachment group in ``ATTACHMENT_GROUPS``.
    municipalities : tuple of int
        Municipality codes present in the data, sorted.
    municipal_treatment_mean : numpy.ndarray
        Share taking AMU in each municipality (for Mundlak terms).
    municipal_control_means : numpy.ndarray
        ``n_municipalities x p`` means of ``X`` by municipality.
    person_id : numpy.ndarray
        Identifiers in row order (kept off any export).
    """

    X: np.ndarray
    controls: tuple[str, ...]
    numeric: np.ndarray
    numeric_names: tuple[str, ...]
    factors: dict
    factor_levels: dict
    treatment: np.ndarray
    outcome: np.ndarray
    municipality_index: np.ndarray
    attachment_index: np.ndarray
    municipalities: tuple[int, ...]
    municipal_treatment_mean: np.ndarray
    municipal_control_means: np.ndarray
    person_id: np.ndarray

    @property
    def n(self) -> int:
        """Number of people."""
        return len(self.treatment)

    @property
    def factor_positions(self) -> np.ndarray:
        """Each person's factor levels as positions in all factors' levels stacked.

        Returns
        -------
        numpy.ndarray
            ``n x f`` integers (one column per factor, in ``factors`` order):
            level position plus the number of levels of the factors before
            it, so one gather from the concatenated effects gives every
            factor's effect.
        """
        columns, offset = [], 0
        for name, index in self.factors.items():
            columns.append(np.asarray(index, dtype=np.int64) + offset)
            offset += len(self.factor_levels[name])
        return (np.column_stack(columns) if columns
                else np.zeros((self.n, 0), dtype=np.int64))

    def municipality_counts(self) -> pd.DataFrame:
        """People, participants and raw rates per municipality (for shrinkage plots)."""
        m = self.municipality_index
        k = len(self.municipalities)
        n = np.bincount(m, minlength=k)
        treated = np.bincount(m, weights=self.treatment, minlength=k)
        y1 = np.bincount(m, weights=self.outcome * self.treatment, minlength=k)
        y0 = np.bincount(m, weights=self.outcome * (1 - self.treatment), minlength=k)
        with np.errstate(invalid="ignore", divide="ignore"):
            raw_diff = y1 / treated - y0 / (n - treated)
        return pd.DataFrame(
            {
                "n": n.astype("int64"),
                "n_treated": treated.astype("int64"),
                "participation_raw": treated / n,
                "raw_difference": raw_diff,
            },
            index=pd.Index(self.municipalities, name="municipality"),
        )


def _standardise(values: np.ndarray) -> np.ndarray:
    sd = values.std()
    return (values - values.mean()) / (sd if sd > 0 else 1.0)


def build_design(df: pd.DataFrame, controls: tuple[str, ...] = EVA_CONTROLS) -> Design:
    """Code the register into model inputs.

    Parameters
    ----------
    df : pandas.DataFrame
        Register data in the contract (validated here).
    controls : tuple of str
        The controls to include; by default EVA's list.

    Returns
    -------
    Design

    Notes
    -----
    Age enters with a quadratic term. Factor levels that never occur are
    dropped; the first observed level is the reference. Every column is
    centred, so model intercepts are log-odds at the average person, and
    columns that do not vary are dropped (a constant column carries no
    information and would only slow sampling).

    Examples
    --------
    >>> import amu_causal as ac
    >>> from amu_causal.models import build_design
    >>> df, _ = ac.simulate_register(n=1_000, seed=1)
    >>> design = build_design(df)
    >>> design.X.shape[0], "sex[male]" in design.controls
    (1000, True)
    """
    data = validate_register(df)
    unknown = sorted(set(controls) - set(EVA_CONTROLS))
    if unknown:
        raise ValueError(f"unknown controls {unknown}; choose from {list(EVA_CONTROLS)}")
    columns: list[np.ndarray] = []
    names: list[str] = []
    factors: dict[str, np.ndarray] = {}
    factor_levels: dict[str, tuple[str, ...]] = {}
    for name in controls:
        if name in _CONTINUOUS:
            x = data[name].to_numpy(dtype=float)
            columns.append(_standardise(x))
            names.append(name)
            if name == "age":
                columns.append(_standardise(_standardise(x) ** 2))
                names.append("age^2")
        elif name in _BINARY:
            x = data[name].to_numpy(dtype=float)
            columns.append(x - x.mean())
            names.append(name)
        elif name in _FACTORS:
            values = data[name].astype(str).to_numpy()
            levels = sorted(pd.unique(values))
            if len(levels) > 1:
                factors[name] = np.searchsorted(levels, values).astype(np.int64)
                factor_levels[name] = tuple(levels)
            for level in levels[1:]:
                x = (values == level).astype(float)
                columns.append(x - x.mean())
                names.append(f"{name}[{level}]")
        else:  # pragma: no cover - guarded above
            raise ValueError(name)
    X = np.column_stack(columns) if columns else np.zeros((len(data), 0))
    keep = X.std(axis=0) > 0
    X = np.ascontiguousarray(X[:, keep])
    names = [n for n, k in zip(names, keep, strict=True) if k]
    is_numeric = np.array(["[" not in n for n in names], dtype=bool)

    codes = np.sort(data["municipality"].unique())
    m_index = np.searchsorted(codes, data["municipality"].to_numpy())
    g_index = data["attachment"].cat.codes.to_numpy().astype(np.int64)
    assert list(data["attachment"].cat.categories) == list(ATTACHMENT_GROUPS)
    treatment = data["amu"].to_numpy().astype(np.int8)
    k = len(codes)
    counts = np.bincount(m_index, minlength=k)
    treat_mean = np.bincount(m_index, weights=treatment, minlength=k) / counts
    control_means = np.vstack(
        [np.bincount(m_index, weights=X[:, j], minlength=k) / counts for j in range(X.shape[1])]
    ).T if X.shape[1] else np.zeros((k, 0))
    return Design(
        X=X,
        controls=tuple(names),
        numeric=np.ascontiguousarray(X[:, is_numeric]),
        numeric_names=tuple(n for n, k in zip(names, is_numeric, strict=True) if k),
        factors=factors,
        factor_levels=factor_levels,
        treatment=treatment,
        outcome=data["employed_2y"].to_numpy().astype(np.int8),
        municipality_index=m_index.astype(np.int64),
        attachment_index=g_index,
        municipalities=tuple(int(c) for c in codes),
        municipal_treatment_mean=treat_mean,
        municipal_control_means=control_means,
        person_id=data["person_id"].to_numpy(),
    )
