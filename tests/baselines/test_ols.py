"""OLSFixedEffects against an independent dummy-variable regression (statsmodels)."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

import amu_causal as ac
from amu_causal.baselines._formula import control_formula


@pytest.fixture(scope="module")
def register():
    return ac.simulate_register(n=6_000, seed=21)


def _dummy_regression(df, formula, cov_type="HC1", **kwargs):
    data = ac.validate_register(df)
    data = data.assign(attachment=data["attachment"].astype(str))
    return smf.ols(formula, data=data).fit(cov_type=cov_type, **kwargs)


def test_pooled_coefficient_and_hc1_match_dummy_regression(register):
    df, _ = register
    result = ac.OLSFixedEffects().fit(df)
    row = result.effects().set_index("estimand").loc["ATE"]
    fit = _dummy_regression(
        df, f"employed_2y ~ amu + C(attachment) + {control_formula()} + C(municipality)")
    assert row["estimate"] == pytest.approx(fit.params["amu"], rel=1e-8)
    assert row["std_error"] == pytest.approx(fit.bse["amu"], rel=1e-8)


def test_interacted_coefficients_match(register):
    df, _ = register
    result = ac.OLSFixedEffects().fit(df).effects().set_index("estimand")
    fit = _dummy_regression(
        df, f"employed_2y ~ C(attachment) + amu:C(attachment) + {control_formula()}"
            " + C(municipality)")
    for group in ("none", "low", "medium", "high"):
        term = f"amu:C(attachment)[{group}]"
        row = result.loc[f"ATE[attachment={group}]"]
        assert row["estimate"] == pytest.approx(fit.params[term], rel=1e-8)
        assert row["std_error"] == pytest.approx(fit.bse[term], rel=1e-8)


def test_clustered_errors_match(register):
    df, _ = register
    row = ac.OLSFixedEffects(vcov="cluster").fit(df).effects().set_index("estimand").loc["ATE"]
    data = ac.validate_register(df)
    fit = _dummy_regression(
        df, f"employed_2y ~ amu + C(attachment) + {control_formula()} + C(municipality)",
        cov_type="cluster", cov_kwds={"groups": data["municipality"].to_numpy()})
    assert row["estimate"] == pytest.approx(fit.params["amu"], rel=1e-8)
    assert row["std_error"] == pytest.approx(fit.bse["amu"], rel=1e-6)


def test_result_shape_and_intervals(register):
    df, _ = register
    table = ac.OLSFixedEffects().fit(df).effects()
    assert table["estimand"].tolist() == ["ATE"] + [f"ATE[attachment={g}]" for g in
                                                    ("none", "low", "medium", "high")]
    assert (table["level"] == 0.95).all()
    width = (table["ci_upper"] - table["ci_lower"]) / (2 * table["std_error"])
    np.testing.assert_allclose(width, 1.96, atol=0.01)


def test_recovers_truth_without_confounding():
    df, truth = ac.simulate_register(seed=1, confounding=0.0)
    row = ac.OLSFixedEffects().fit(df).effects().set_index("estimand").loc["ATE"]
    assert row["ci_lower"] < truth.ate < row["ci_upper"]


def test_reproduces_eva_contrast_with_default_confounding():
    df, truth = ac.simulate_register(seed=1)
    row = ac.OLSFixedEffects().fit(df).effects().set_index("estimand").loc[
        "ATE[attachment=none]"]
    assert row["estimate"] == pytest.approx(0.10, abs=0.03)
    assert row["estimate"] > truth.by_attachment.loc["none", "ate"]


@pytest.mark.parametrize("settings, message", [
    ({"vcov": "HC3"}, "vcov must be one of"),
    ({"level": 0}, "level"),
    ({"controls": ("age", "income")}, "unknown controls"),
])
def test_bad_settings(settings, message):
    with pytest.raises(ValueError, match=message):
        ac.OLSFixedEffects(**settings)


def test_constant_treatment_is_a_data_error(register):
    df, _ = register
    with pytest.raises(ac.RegisterDataError, match="no variation"):
        ac.OLSFixedEffects().fit(df.assign(amu=0, amu_area=np.nan))


def test_treatment_without_within_municipality_variation():
    df, _ = ac.simulate_register(n=3_000, seed=2)
    # participation decided by municipality alone: the fixed effects absorb it
    treated_munis = df["municipality"].drop_duplicates().iloc[::2]
    amu = df["municipality"].isin(treated_munis).astype(int)
    bad = df.assign(amu=amu, amu_area=pd.Series(np.where(amu == 1, "food", None),
                                                index=df.index))
    with pytest.raises(ac.RegisterDataError, match="never varies within a municipality"):
        ac.OLSFixedEffects().fit(bad)


def test_municipality_with_one_person_is_kept(register):
    df, _ = register
    code = df["municipality"].value_counts().index[-1]
    single = pd.concat([df[df["municipality"] != code], df[df["municipality"] == code].head(1)])
    result = ac.OLSFixedEffects().fit(single)
    assert result.n == len(single)  # a singleton's fixed effect fits it exactly; nothing dropped


def test_missing_control_is_a_data_error(register):
    df, _ = register
    with pytest.raises(ac.RegisterDataError, match="education: required column is missing"):
        ac.OLSFixedEffects().fit(df.drop(columns="education"))
