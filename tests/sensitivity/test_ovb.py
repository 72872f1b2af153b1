"""Cinelli-Hazlett omitted-variable bias against the published Darfur example.

``darfur.csv`` is the Darfur survey data of Hazlett (2019) as shipped inside the
PySensemakr package (it is also in the R package sensemakr); it is used here as
test data only. Published values: Cinelli and Hazlett (2020), Table 2 and
section 5, and the printed output of the R package's ``summary(sensemakr(...))``.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import amu_causal as ac
from amu_causal.sensitivity import ols_sensitivity, ovb_sensitivity
from amu_causal.sensitivity.ovb import adjusted_estimate, bias, ovb_bounds, robustness_value

DARFUR = Path(__file__).with_name("darfur.csv")


@pytest.fixture(scope="module")
def darfur():
    data = pd.read_csv(DARFUR)
    return ovb_sensitivity(
        data, outcome="peacefactor", treatment="directlyharmed",
        covariates="age + farmer_dar + herder_dar + pastvoted + hhsize_darfur + female",
        fixed_effects="village", benchmarks={"female": ["female"]}, kd=(1, 2, 3))


def test_darfur_minimal_reporting_table_matches_the_paper(darfur):
    row = darfur.minimal_table().iloc[0]
    assert row["Est."] == 0.0973
    assert row["S.E."] == 0.0233
    assert row["t-value"] == 4.18
    assert row["R2_Y~D|X"] == "2.2%"
    assert row["RV_q=1"] == "13.9%"
    assert row["RV_q=1,a=0.05"] == "7.6%"
    assert row["df"] == 783
    assert row["Bound"] == "1x female: R2_Y~Z|X,D = 12.5%, R2_D~Z|X = 0.9%"


def test_darfur_statistics_to_the_printed_precision(darfur):
    s = darfur.stats().iloc[0]
    assert round(s["estimate"], 5) == 0.09732
    assert round(s["se"], 5) == 0.02326
    assert round(s["t_statistic"], 5) == 4.18445
    assert round(s["r2yd_x"], 5) == 0.02187
    assert round(s["rv_q"], 5) == 0.13878
    assert round(s["rv_qa"], 5) == 0.07626


def test_darfur_bounds_match_the_r_package_output(darfur):
    # summary(sensemakr(model, "directlyharmed", benchmark_covariates = "female", kd = 1:3))
    published = pd.DataFrame({
        "r2dz_x": [0.0092, 0.0183, 0.0275], "r2yz_dx": [0.1246, 0.2493, 0.3741],
        "adjusted_estimate": [0.0752, 0.0529, 0.0304], "adjusted_se": [0.0219, 0.0204, 0.0187],
        "adjusted_t": [3.4389, 2.6002, 1.6281], "adjusted_lower": [0.0323, 0.0130, -0.0063],
        "adjusted_upper": [0.1182, 0.0929, 0.0670]})
    ours = darfur.bounds()
    assert list(ours["bound_label"]) == ["1x female", "2x female", "3x female"]
    for column in published:
        np.testing.assert_array_equal(ours[column].round(4).to_numpy(),
                                      published[column].to_numpy(), err_msg=column)


def test_adjusting_for_the_benchmark_itself_reproduces_the_regression_without_it():
    # the bias formula is exact for an observed variable: dropping "female" and
    # adjusting for a confounder with female's partial R2s gives the full model back
    data = pd.read_csv(DARFUR)
    short = ovb_sensitivity(data, outcome="peacefactor", treatment="directlyharmed",
                            covariates="age + farmer_dar + herder_dar + pastvoted"
                                       " + hhsize_darfur", fixed_effects="village")
    full = ovb_sensitivity(data, outcome="peacefactor", treatment="directlyharmed",
                           covariates="age + farmer_dar + herder_dar + pastvoted"
                                      " + hhsize_darfur + female", fixed_effects="village",
                           benchmarks={"female": ["female"]})
    r2d = full.benchmarks["r2dxj_x"].iloc[0]
    r2y = full.benchmarks["r2yxj_dx"].iloc[0]
    # the partial R2 with the outcome must be given D and the short model's controls
    from amu_causal.sensitivity.ovb import partial_r2

    r2y_short = float(partial_r2(
        _t_of_female(data), short.dof - 1))
    assert bias(short.se, short.dof, r2d, r2y_short) == pytest.approx(
        abs(short.estimate - full.estimate), rel=1e-8)
    assert r2y > 0


def _t_of_female(data):
    import pyfixest as pf

    fit = pf.feols("peacefactor ~ directlyharmed + age + farmer_dar + herder_dar + pastvoted"
                   " + hhsize_darfur + female | village", data=data, vcov="iid",
                   fixef_rm="none")
    return float(fit.tstat()["female"])


def test_robustness_value_edge_cases():
    assert robustness_value(0.0, 100) == 0.0
    assert robustness_value(1.0, 1000, alpha=0.05) == 0.0  # not significant to begin with
    rv = robustness_value(50.0, 100, alpha=0.05)  # the extreme (R2_y = 1) branch
    assert 0 < rv < 1
    assert adjusted_estimate(-0.1, 0.01, 100, 0.0, 0.0) == pytest.approx(-0.1)


def test_impossible_benchmark_multiple_is_refused():
    with pytest.raises(ValueError, match="smaller kd"):
        ovb_bounds(0.4, 0.1, kd=3)


def test_register_analysis_has_the_eva_benchmarks():
    df, _ = ac.simulate_register(n=3_000, seed=2)
    s = ols_sensitivity(df)
    assert list(s.benchmarks["benchmark"]) == ["months_employed", "education", "sex"]
    assert (s.benchmarks[["r2dxj_x", "r2yxj_dx"]] > 0).all().all()
    # the classical coefficient is EVA's pooled coefficient; only the errors differ
    ols = ac.OLSFixedEffects().fit(df)
    assert s.estimate == pytest.approx(ols.estimate("ATE"), rel=1e-10)
    assert s.se_reported == pytest.approx(ols.effects()["std_error"].iloc[0], rel=1e-10)
    assert "would reduce the estimate" in s.summary()
    with pytest.raises(ValueError, match="unknown benchmark"):
        ols_sensitivity(df, benchmarks=("shoe_size",))


def test_plots_draw(darfur):
    ax = darfur.plot_contour()
    assert ax.get_xlabel().startswith("partial R")
    ax = darfur.plot_contour(sensitivity_of="t-value")
    ax = darfur.plot_extreme()
    assert len(ax.lines) >= 3


def test_a_fitted_regression_is_reused_not_fitted_again(monkeypatch, tmp_path):
    import pyfixest

    df, _ = ac.simulate_register(n=3_000, seed=2)
    fit = ac.OLSFixedEffects().fit(df)
    effects, robust_se = fit.effects(), fit.fits["pooled"].se().copy()
    fresh = ols_sensitivity(df)
    calls = []
    original = pyfixest.feols
    monkeypatch.setattr(pyfixest, "feols", lambda *a, **k: calls.append(a[0]) or original(*a, **k))
    reused = ols_sensitivity(fit)
    assert calls == [calls[0]] and calls[0].startswith("amu ~")  # only the treatment regression
    assert reused.estimate == fresh.estimate and reused.se == pytest.approx(fresh.se, rel=1e-12)
    pd.testing.assert_frame_equal(reused.benchmarks, fresh.benchmarks)
    # the result and its fitted regression keep their own (HC1) errors
    pd.testing.assert_frame_equal(fit.effects(), effects)
    pd.testing.assert_series_equal(fit.fits["pooled"].se(), robust_se)
    assert reused.se_reported == effects["std_error"].iloc[0] != reused.se

    fit.save(tmp_path / "ols.nc")
    with pytest.raises(ac.ResultUnavailableError, match="pass the register"):
        ols_sensitivity(ac.CausalResult.load(tmp_path / "ols.nc"))
    with pytest.raises(ValueError, match="carries its own"):
        ols_sensitivity(fit, ols=ac.OLSFixedEffects(vcov="cluster"))
