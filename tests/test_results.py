"""The result types: what every result offers, and what only one estimator's does."""

import arviz as az
import numpy as np
import pandas as pd
import pytest
import xarray as xr

import amu_causal as ac
from amu_causal.privacy import export_result

GROUPS = list(ac.ATTACHMENT_GROUPS)


def _effects(*names):
    return pd.DataFrame({"estimator": "m", "estimand": list(names), "estimate": 0.05,
                         "std_error": 0.01, "ci_lower": 0.03, "ci_upper": 0.07, "level": 0.95,
                         "p_positive": 1.0})


def _bayesian() -> ac.BayesianResult:
    rng = np.random.default_rng(0)
    dims, gdims = ("chain", "draw"), ("chain", "draw", "attachment")
    cells = ("chain", "draw", "municipality", "attachment")
    estimands = xr.Dataset(
        {"ATE": (dims, rng.normal(size=(2, 5))),
         "ATE_by_attachment": (gdims, rng.normal(size=(2, 5, 4))),
         "ATE_by_municipality": (("chain", "draw", "municipality"), rng.normal(size=(2, 5, 2))),
         "employment_untreated": (dims, rng.uniform(size=(2, 5))),
         "untreated_ATE_by_attachment": (gdims, rng.uniform(size=(2, 5, 4))),
         "effect_sum_untreated": (cells, rng.normal(size=(2, 5, 2, 4))),
         "effect_sum_treated": (cells, rng.normal(size=(2, 5, 2, 4)))},
        coords={"attachment": GROUPS, "municipality": [101, 147]})
    posterior = az.from_dict(posterior={"amu_effect_mean": rng.normal(size=(2, 5))}).posterior
    return ac.BayesianResult("m", _effects("ATE", "ATE[attachment=none]"), n=10,
                             idata=az.InferenceData(posterior=posterior, estimands=estimands))


def test_estimand_draws_are_found_by_the_names_of_the_effects_table():
    result = _bayesian()
    est = result.idata.estimands
    np.testing.assert_array_equal(result.estimand_draws("ATE"), est["ATE"])
    np.testing.assert_array_equal(result.estimand_draws("ATE[attachment=medium]"),
                                  est["ATE_by_attachment"].sel(attachment="medium"))
    np.testing.assert_array_equal(result.estimand_draws("ATE[municipality=147]"),
                                  est["ATE_by_municipality"].sel(municipality=147))
    assert result.estimand_draws("ATE[attachment=high]").dims == ("chain", "draw")
    np.testing.assert_array_equal(result.untreated_draws("ATE"), est["employment_untreated"])
    np.testing.assert_array_equal(result.untreated_draws("ATE[attachment=low]"),
                                  est["untreated_ATE_by_attachment"].sel(attachment="low"))
    with pytest.raises(ac.ResultUnavailableError, match="no draws of 'ATT'"):
        result.estimand_draws("ATT")
    with pytest.raises(ac.ResultUnavailableError, match="ATE\\[municipality=999\\]"):
        result.estimand_draws("ATE[municipality=999]")
    sums = result.cell_sums()
    assert set(sums.data_vars) == {"untreated", "treated"}
    np.testing.assert_array_equal(sums["treated"], est["effect_sum_treated"])
    assert result.posterior["amu_effect_mean"].shape == (2, 5)


def test_bayesian_only_methods_are_not_on_the_shared_type():
    shared = ac.CausalResult("m", _effects("ATE"), n=10)
    for method in ("estimand_draws", "cell_sums", "municipality_effects",
                   "participation_by_municipality", "posterior", "idata"):
        assert not hasattr(shared, method)
        assert hasattr(_bayesian(), method)


def test_a_saved_result_comes_back_with_its_type(tmp_path):
    result = _bayesian()
    result.save(tmp_path / "b.nc", export_safe=False)
    loaded = ac.CausalResult.load(tmp_path / "b.nc")
    assert type(loaded) is ac.BayesianResult
    np.testing.assert_array_equal(loaded.estimand_draws("ATE"), result.estimand_draws("ATE"))
    np.testing.assert_array_equal(loaded.cell_sums()["untreated"],
                                  result.cell_sums()["untreated"])
    # an export-safe file drops the per-cell sums, and says so when asked for them
    result.save(tmp_path / "safe.nc")
    with pytest.raises(ac.ResultUnavailableError, match="export-safe"):
        ac.CausalResult.load(tmp_path / "safe.nc").cell_sums()

    df, _ = ac.simulate_register(n=2_000, seed=1)
    ols = ac.OLSFixedEffects().fit(df)
    assert isinstance(ols, ac.OLSResult) and ols.fits["pooled"] is not None
    ols.save(tmp_path / "ols.nc")
    back = ac.CausalResult.load(tmp_path / "ols.nc")
    assert type(back) is ac.CausalResult  # the fitted regressions hold data: never saved
    pd.testing.assert_frame_equal(back.effects(), ols.effects(), check_dtype=False)


def test_an_exported_baseline_result_keeps_no_fitted_objects():
    df, _ = ac.simulate_register(n=2_000, seed=1)
    ols = ac.OLSFixedEffects().fit(df)
    exported = export_result(ols)
    assert type(exported) is ac.CausalResult and not hasattr(exported, "fits")
    assert type(export_result(_bayesian())) is ac.BayesianResult
    assert "OLSResult(OLSFixedEffects[HC1], ATE=" in repr(ols)
