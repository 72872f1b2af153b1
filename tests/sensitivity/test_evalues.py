"""E-values against VanderWeele and Ding (2017)."""

import arviz as az
import numpy as np
import pandas as pd
import pytest

import amu_causal as ac
from amu_causal.results import CausalResult
from amu_causal.sensitivity import evalue, evalue_from_risk_difference, evalue_table


def test_published_example():
    # VanderWeele and Ding (2017): RR 3.9 (1.8 to 8.7), E-values 7.26 and 3.0
    e = evalue(3.9, 1.8, 8.7)
    assert e["evalue"] == pytest.approx(7.26, abs=0.005)
    assert e["evalue_ci"] == pytest.approx(3.0, abs=0.005)


def test_protective_effects_use_the_inverse_and_the_upper_limit():
    e = evalue(1 / 3.9, 1 / 8.7, 1 / 1.8)
    assert e["evalue"] == pytest.approx(7.26, abs=0.005)
    assert e["evalue_ci"] == pytest.approx(3.0, abs=0.005)


def test_interval_containing_one_gives_one():
    assert evalue(1.5, 0.9, 2.5)["evalue_ci"] == 1.0
    assert evalue(1.0)["evalue"] == 1.0


def test_draws_give_a_posterior_of_e_values():
    draws = np.array([1.2, 1.5, 2.0])
    out = evalue(draws)["evalue"]
    assert out.shape == (3,) and np.all(np.diff(out) > 0)


def test_from_risk_difference_and_eva_numbers():
    e = evalue_from_risk_difference(0.10, 0.09, 0.05, 0.15)
    assert e["rr"] == pytest.approx(0.19 / 0.09)
    assert e["evalue"] == pytest.approx(evalue(0.19 / 0.09)["evalue"])
    assert e["evalue_ci"] == pytest.approx(evalue(0.14 / 0.09)["evalue"])
    with pytest.raises(ValueError, match="baseline"):
        evalue_from_risk_difference(0.1, 0.0)


def _result(rows):
    table = pd.DataFrame(rows, columns=["estimand", "estimate", "ci_lower", "ci_upper"])
    table = table.assign(estimator="x", std_error=0.01, level=0.95, p_positive=np.nan)
    return CausalResult("x", table, n=10)


def test_table_uses_the_risk_ratio_when_present_and_asks_for_a_baseline_otherwise():
    with_rr = _result([["ATE", 0.05, 0.02, 0.08], ["RR", 1.4, 1.1, 1.8]])
    assert evalue_table(with_rr)["estimand"].tolist() == ["RR"]  # no draws, no baselines
    without = _result([["ATE", 0.05, 0.02, 0.08]])
    with pytest.raises(ValueError, match="baseline"):
        evalue_table(without)
    table = evalue_table(without, baseline=0.2)
    assert table["rr"].iloc[0] == pytest.approx(1.25)
    assert "one baseline" in table["source"].iloc[0]


def test_each_row_uses_the_baseline_of_its_own_population():
    # EVA: about 9 % employed without AMU among those with no early employment, far more
    # in the attached groups; one common baseline would misstate every group's risk ratio
    result = _result([["ATE", 0.05, 0.02, 0.08], ["ATE[attachment=none]", 0.10, 0.05, 0.15],
                      ["ATE[attachment=high]", 0.05, -0.02, 0.12]])
    result.tables["untreated_mean"] = pd.DataFrame(
        {"estimand": ["ATE", "ATE[attachment=none]", "ATE[attachment=high]"],
         "estimate": [0.25, 0.09, 0.60], "std_error": np.nan})
    table = evalue_table(result).set_index("estimand")
    assert table.loc["ATE[attachment=none]", "rr"] == pytest.approx(0.19 / 0.09)
    assert table.loc["ATE[attachment=high]", "rr"] == pytest.approx(0.65 / 0.60)
    assert table.loc["ATE", "baseline"] == 0.25
    assert table.loc["ATE[attachment=high]", "evalue_ci"] == 1.0  # interval holds 0


def test_bayesian_e_values_carry_the_baseline_uncertainty_through_draws():
    import xarray as xr

    rng = np.random.default_rng(0)
    effect = rng.normal(0.05, 0.01, size=(2, 500))
    y0 = rng.normal(0.20, 0.03, size=(2, 500))  # uncertain baseline
    groups = ["none", "low", "medium", "high"]
    by_group = np.stack([effect] * 4, axis=-1)
    y0_group = np.stack([y0 * f for f in (0.5, 1.0, 1.5, 2.5)], axis=-1)
    dims, gdims = ("chain", "draw"), ("chain", "draw", "attachment")
    estimands = xr.Dataset(
        {"ATE": (dims, effect), "ATT": (dims, effect), "employment_untreated": (dims, y0),
         "untreated_ATT": (dims, y0), "ATE_by_attachment": (gdims, by_group),
         "untreated_ATE_by_attachment": (gdims, y0_group)}, coords={"attachment": groups})

    base = _result([["ATE", 0.05, 0.03, 0.07], ["ATE[attachment=none]", 0.05, 0.03, 0.07]])
    result = ac.BayesianResult(base.estimator, base.effects_table, n=base.n,
                               idata=az.InferenceData(estimands=estimands))
    table = evalue_table(result).set_index("estimand")
    rr = (y0 + effect) / y0
    assert table.loc["ATE", "rr"] == pytest.approx(rr.mean())
    assert table.loc["ATE", "rr_lower"] == pytest.approx(np.quantile(rr, 0.025))
    # a fixed baseline would give a narrower interval of the risk ratio
    fixed = (y0.mean() + effect) / y0.mean()
    assert (table.loc["ATE", "rr_upper"] - table.loc["ATE", "rr_lower"]
            > np.quantile(fixed, 0.975) - np.quantile(fixed, 0.025))
    # the none group's lower baseline gives it a larger risk ratio
    assert table.loc["ATE[attachment=none]", "rr"] > table.loc["ATE", "rr"]


def test_an_interval_reaching_below_a_treated_risk_of_zero_gives_e_value_one():
    # a small group: the interval's lower limit implies a negative treated risk
    e = evalue_from_risk_difference(0.05, 0.10, -0.30, 0.40)
    assert e["evalue_ci"] == 1.0 and e["evalue"] > 1
    result = _result([["ATE[attachment=high]", 0.05, -0.70, 0.80]])
    result.tables["untreated_mean"] = pd.DataFrame(
        {"estimand": ["ATE[attachment=high]"], "estimate": [0.6], "std_error": np.nan})
    row = evalue_table(result).iloc[0]
    assert row["rr_lower"] == 0.0 and row["evalue_ci"] == 1.0
