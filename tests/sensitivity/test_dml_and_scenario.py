"""DoubleML sensitivity and the one-scenario table."""

import numpy as np
import pytest

import amu_causal as ac
from amu_causal.sensitivity import (
    ConfounderScenario,
    dml_sensitivity,
    ols_sensitivity,
    scenario_table,
)


@pytest.fixture(scope="module")
def register():
    # DoubleML's benchmark gains are unstable with few participants (at n = 3,000,
    # about 180, leaving out sex moved cf_d to its cap of 1); 10,000 gives about 600
    return ac.simulate_register(n=10_000, seed=4)


@pytest.fixture(scope="module")
def dml_sens(register):
    return dml_sensitivity(register[0], dml=ac.DML(random_seed=2), benchmarks=("sex",))


@pytest.mark.slow
def test_dml_sensitivity_matches_the_baseline_and_widens_with_confounding(register, dml_sens):
    base = ac.DML(random_seed=2).fit(register[0])
    assert dml_sens.estimate == pytest.approx(base.estimate("ATE"), rel=1e-10)
    none = dml_sens.analysis(0.0, 0.0).iloc[0]
    assert none["theta_lower"] == pytest.approx(dml_sens.estimate)
    strong = dml_sens.analysis(0.1, 0.1).iloc[0]
    assert strong["theta_lower"] < none["theta_lower"] < strong["theta_upper"]
    b = dml_sens.benchmarks.iloc[0]
    assert b["benchmark"] == "sex" and 0 <= b["cf_y"] < 0.5 and 0 <= b["cf_d"] < 0.5
    rv = dml_sens.robustness_values()
    assert 0 <= rv["rva"] <= rv["rv"] <= 1


@pytest.mark.slow
def test_dml_contour_grid_and_plot(dml_sens):
    grid = dml_sens.contour_grid(size=5)
    assert grid.shape == (5, 5)
    assert grid.iloc[0, 0] == pytest.approx(dml_sens.estimate)
    assert grid.iloc[-1, -1] < grid.iloc[0, 0]
    ax = dml_sens.plot_contour()
    assert "cf_d" in ax.get_xlabel()


@pytest.mark.slow
def test_dml_contour_grid_is_computed_once_and_survives_pickling(dml_sens, monkeypatch):
    import pickle

    first = dml_sens.contour_grid(size=4)
    first.iloc[0, 0] = np.nan  # a copy is returned: the kept grid is not changed
    copy = pickle.loads(pickle.dumps(dml_sens))  # as the main job's worker returns it

    def no_more_calls(*args, **kwargs):
        raise AssertionError("the grid was recomputed")

    monkeypatch.setattr(type(copy), "analysis", no_more_calls)
    monkeypatch.setattr(type(copy), "_bounds", no_more_calls)
    again = copy.contour_grid(size=4)
    assert again.iloc[0, 0] == pytest.approx(dml_sens.estimate)
    assert copy.contour_grid(size=4).equals(again)
    with pytest.raises(AssertionError, match="recomputed"):
        copy.contour_grid(size=3)


def test_scenario_translations():
    import pandas as pd

    s = ConfounderScenario.like("sex", multiple=2)
    latent = pd.DataFrame({"benchmark": ["sex"], "participation": [0.2], "employment": [0.3]})
    assert s.latent_strengths(latent) == pytest.approx((0.4, 0.6))
    assert ConfounderScenario.explicit(latent=(0.6, 0.6)).latent_strengths(None) == (0.6, 0.6)
    with pytest.raises(ValueError, match="benchmark"):
        ConfounderScenario()
    with pytest.raises(ValueError, match="multiple"):
        ConfounderScenario.like("sex", multiple=0)


@pytest.mark.slow
def test_one_scenario_three_frameworks(register, dml_sens):
    df, truth = register
    ovb = ols_sensitivity(df, benchmarks=("sex",))
    model = ac.HierarchicalModel(draws=150, tune=150, progressbar=False, random_seed=3,
                                 refits=0)
    result = scenario_table(df, ConfounderScenario.like("sex"), model=model, ovb=ovb,
                            dml=dml_sens, truth=truth)
    table = result.table()
    assert list(table["framework"]) == ["Bayesian latent confounder",
                                        "OLS omitted-variable bias", "DoubleML sensitivity"]
    assert np.isfinite(table[["adjusted_estimate", "adjusted_lower", "adjusted_upper"]]).all().all()
    for row in table.itertuples(index=False):
        assert row.adjusted_lower <= row.adjusted_estimate <= row.adjusted_upper
    # the closed-form frameworks never raise a positive estimate (DML: cf_d may be 0)
    for row in table.iloc[1:].itertuples(index=False):
        assert row.unadjusted > 0 and row.adjusted_estimate <= row.unadjusted
    text = result.conclusion()
    assert "1x sex" in text and "true ATE" in text


def test_explicit_scenario_translates_only_the_frameworks_it_names(monkeypatch):
    df, truth = ac.simulate_register(n=2_000, seed=3)

    def no_fit(*args, **kwargs):
        raise AssertionError("a framework without parameters was fitted")

    monkeypatch.setattr(ac.HierarchicalModel, "fit", no_fit)
    monkeypatch.setattr("amu_causal.sensitivity.dml.dml_sensitivity", no_fit)
    result = scenario_table(df, ConfounderScenario.explicit(r2=(0.01, 0.02)), truth=truth)
    rows = result.rows.set_index("framework")
    ols = rows.loc["OLS omitted-variable bias"]
    assert np.isfinite(ols["adjusted_estimate"])
    assert ols["adjusted_lower"] < ols["adjusted_estimate"] < ols["adjusted_upper"]
    for framework in ("Bayesian latent confounder", "DoubleML sensitivity"):
        assert np.isnan(rows.loc[framework, "adjusted_estimate"])
        assert "not translated" in rows.loc[framework, "parameters"]
    text = result.conclusion()
    assert "not computed" in text
    assert "All frameworks agree" not in text


@pytest.mark.slow
def test_dml_confidence_bounds_are_clustered_by_municipality(register, dml_sens):
    from dataclasses import replace

    assert dml_sens.clusters is not None  # clustered by default
    row = dml_sens.analysis(0.05, 0.05).iloc[0]
    assert bool(row["clustered"])
    # one person per cluster reproduces DoubleML's own person-level bounds
    singletons = replace(dml_sens, clusters=np.arange(len(dml_sens.clusters)))
    person = singletons.analysis(0.05, 0.05).iloc[0]
    assert person["ci_lower"] == pytest.approx(person["ci_lower_person"], rel=2e-3)
    assert person["ci_upper"] == pytest.approx(person["ci_upper_person"], rel=2e-3)
    assert person["theta_lower"] == row["theta_lower"]  # the bounds do not change
    assert row["ci_lower"] != pytest.approx(row["ci_lower_person"], rel=1e-3)


def test_k_times_as_strong_scales_cf_d_on_the_scale_it_enters_the_bias():
    import pandas as pd

    from amu_causal.sensitivity.scenario import scale_dml_strengths

    cf_y, cf_d = scale_dml_strengths(0.1, 0.5, 2.0)
    assert cf_y == pytest.approx(0.2)
    # the bias grows with cf_d / (1 - cf_d): doubled from 1 to 2, i.e. cf_d = 2/3,
    # where scaling cf_d itself would give 1.0 (an unbounded bias, capped at 0.99)
    assert cf_d == pytest.approx(2 / 3)
    assert scale_dml_strengths(0.1, 0.3, 1.0) == pytest.approx((0.1, 0.3))
    assert scale_dml_strengths(0.9, 0.9, 5.0)[1] < 1

    class Sens:  # the attributes dml_parameters reads
        rho = 1.0
        benchmarks = pd.DataFrame({"benchmark": ["sex"], "cf_y": [0.02], "cf_d": [0.1],
                                   "rho": [0.3], "delta_theta": [0.0]})

    cf_y, cf_d, rho = ConfounderScenario.like("sex", multiple=3).dml_parameters(Sens())
    assert (cf_y, rho) == pytest.approx((0.06, 1.0))  # DoubleML's default rho, not 0.3
    assert cf_d / (1 - cf_d) == pytest.approx(3 * 0.1 / 0.9)


def test_a_fitted_dml_result_is_reused_for_its_sensitivity_analysis(monkeypatch):
    from amu_causal.baselines.dml import DML

    df, _ = ac.simulate_register(n=3_000, seed=4)
    fit = ac.DML(random_seed=2, n_folds=2).fit(df)
    calls = []
    original = DML.fit_doubleml
    monkeypatch.setattr(DML, "fit_doubleml", lambda self, frame, features, *a, **k: (
        calls.append(list(features)), original(self, frame, features, *a, **k))[1])
    s = dml_sensitivity(fit, benchmarks=("sex",))
    # one model, the benchmark's (without sex); the ATE model is the fitted result's
    assert len(calls) == 1 and "sex" not in calls[0]
    assert s.estimate == fit.table("standard_errors").set_index("estimand").loc["ATE",
                                                                              "estimate"]
    with pytest.raises(ac.ResultUnavailableError, match="pass the register"):
        dml_sensitivity(ac.OLSFixedEffects().fit(df))
    with pytest.raises(ValueError, match="unknown benchmark"):
        dml_sensitivity(fit, benchmarks=("shoe_size",))
