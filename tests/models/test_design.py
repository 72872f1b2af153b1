import numpy as np
import pytest

from amu_causal.data import ATTACHMENT_GROUPS
from amu_causal.models import build_design


def test_design_shapes_and_centring(small_register):
    df, _ = small_register
    d = build_design(df)
    assert d.X.shape == (len(df), len(d.controls))
    np.testing.assert_allclose(d.X.mean(axis=0), 0.0, atol=1e-12)
    for name in ("age", "age^2", "months_employed", "n_children"):
        assert d.X[:, d.controls.index(name)].std() == pytest.approx(1.0)
    assert d.numeric.shape[1] == len(d.numeric_names) == 6
    assert set(d.factors) == {"permit_year", "permit_month", "origin", "residence_basis",
                              "sex", "education", "civil_status", "family_type"}


def test_factor_indices_match_dummies(small_register):
    df, _ = small_register
    d = build_design(df)
    for name, index in d.factors.items():
        levels = d.factor_levels[name]
        assert (np.asarray(levels)[index] == df[name].astype(str).to_numpy()).all()
        for j, level in enumerate(levels[1:], start=1):
            column = d.X[:, d.controls.index(f"{name}[{level}]")]
            dummy = (index == j).astype(float)
            np.testing.assert_allclose(column, dummy - dummy.mean())


def test_municipality_and_group_indices(small_register):
    df, _ = small_register
    d = build_design(df)
    codes = np.asarray(d.municipalities)
    assert (codes[d.municipality_index] == df["municipality"].to_numpy()).all()
    months = df["months_employed"].to_numpy()
    assert (np.asarray(ATTACHMENT_GROUPS)[d.attachment_index][months == 0] == "none").all()
    counts = d.municipality_counts()
    assert counts["n"].sum() == len(df)
    assert counts["n_treated"].sum() == df["amu"].sum()


def test_constant_controls_are_dropped(small_register):
    df, _ = small_register
    one_year = df[df["permit_year"] == 2015]
    d = build_design(one_year)
    assert "permit_year" not in d.factors
    assert not any(c.startswith("permit_year") for c in d.controls)


def test_unknown_control():
    import amu_causal as ac

    df, _ = ac.simulate_register(n=200, seed=1)
    with pytest.raises(ValueError, match="unknown controls"):
        build_design(df, controls=("age", "income"))
