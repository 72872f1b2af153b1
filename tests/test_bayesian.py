"""HierarchicalModel: specification, prior predictive, and one bounded real fit."""

import json
import warnings

import numpy as np
import pandas as pd
import pytest

import amu_causal as ac
from amu_causal.results import EFFECT_COLUMNS


def test_constructor_only_stores_settings():
    model = ac.HierarchicalModel(draws=10, tune=10, random_seed=3)
    assert model.draws == 10 and model.random_seed == 3
    assert model.name == "HierarchicalModel"
    assert ac.HierarchicalModel(mundlak=True).name == "HierarchicalModel[mundlak]"


@pytest.mark.parametrize("settings, message", [
    ({"sampler": "stan"}, "sampler must be one of"),
    ({"draws": 0}, "draws must be a positive"),
    ({"chains": 1.5}, "chains must be a positive"),
    ({"target_accept": 0.3}, "target_accept"),
    ({"level": 95}, "level must lie"),
])
def test_bad_settings_fail_at_construction(settings, message):
    with pytest.raises(ValueError, match=message):
        ac.HierarchicalModel(**settings)


def test_prior_predictive_is_plausible(small_register):
    df, _ = small_register
    check = ac.HierarchicalModel(random_seed=2).prior_predictive(df, draws=300)
    table = check.set_index("quantity")
    for quantity in ("participation rate", "employment rate"):
        low, high = table.loc[quantity, ["prior_5%", "prior_95%"]]
        observed = table.loc[quantity, "observed"]
        # the priors admit the observed rate, without piling up at 0 % or 100 %
        assert low < observed < high
        assert low > 0.005 and high < 0.995
    low, high = table.loc["ATE (probability scale)", ["prior_5%", "prior_95%"]]
    assert -0.5 < low < 0 < high < 0.5


@pytest.fixture(scope="module")
def fitted():
    """One real fit: a small register without hidden confounding (about a minute)."""
    df, truth = ac.simulate_register(n=4_000, seed=3, confounding=0.0)
    # refits=0: one run of fixed length keeps the fixture's cost known (refits: test_engine)
    model = ac.HierarchicalModel(draws=500, tune=500, random_seed=7, progressbar=False,
                                 refits=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ac.ConvergenceWarning)
        result = model.fit(df)
    return df, truth, result


def test_recovers_the_true_ate(fitted):
    _, truth, result = fitted
    row = result.effects().set_index("estimand").loc["ATE"]
    assert row["ci_lower"] < truth.ate < row["ci_upper"]
    none = result.effects().set_index("estimand").loc["ATE[attachment=none]"]
    true_none = truth.by_attachment.loc["none", "ate"]
    assert none["ci_lower"] < true_none < none["ci_upper"]


def test_fit_converges(fitted):
    _, _, result = fitted
    diag = result.diagnostics().set_index("parameter")
    assert diag["r_hat"].max() <= 1.02
    assert diag.loc["ATE", "r_hat"] <= 1.01 and diag.loc["ATE", "ess_bulk"] >= 400
    assert result.sampler["divergences"] == 0


def test_effects_table_shape(fitted):
    _, _, result = fitted
    table = result.effects()
    assert tuple(table.columns) == EFFECT_COLUMNS
    assert {"ATE", "ATT", "ATC", "RR", "ATE[attachment=none]", "ATT[attachment=high]"} <= set(
        table["estimand"])
    assert (table["level"] == 0.95).all()
    assert (table["ci_lower"] <= table["estimate"]).all()
    assert (table["estimate"] <= table["ci_upper"]).all()
    assert table.set_index("estimand").loc["RR", "estimate"] > 0


def test_municipality_tables(fitted):
    df, _, result = fitted
    munis = result.municipality_effects()
    assert len(munis) == df["municipality"].nunique()
    assert munis["n"].sum() == len(df)
    assert munis["p_positive"].between(0, 1).all()
    assert (munis["rank_lower"] <= munis["rank_mean"]).all()
    assert (munis["rank_mean"] <= munis["rank_upper"]).all()
    participation = result.participation_by_municipality()
    assert participation["estimate"].between(0, 1).all()
    # the pooled propensities track the observed shares across municipalities
    big = participation["n"] >= 50
    corr = np.corrcoef(participation.loc[big, "estimate"],
                       participation.loc[big, "participation_raw"])[0, 1]
    assert corr > 0.8
    params = result.table("parameters")
    assert params["estimand"].str.contains("correlation of municipality intercepts").any()


def test_inference_data_has_named_dims(fitted):
    df, _, result = fitted
    post = result.idata.posterior
    codes = sorted(df["municipality"].unique())
    assert list(post["amu_effect_municipality"].coords["municipality"].values) == codes
    assert list(result.idata.estimands["ATE_by_attachment"].coords["attachment"].values) == [
        "none", "low", "medium", "high"]


def test_save_and_load(fitted, tmp_path):
    _, _, result = fitted
    path = result.save(tmp_path / "fit.nc", export_safe=False)
    loaded = ac.CausalResult.load(path)
    pd.testing.assert_frame_equal(loaded.effects(), result.effects())
    pd.testing.assert_frame_equal(loaded.municipality_effects(), result.municipality_effects(),
                                  check_dtype=False)
    assert loaded.estimator == result.estimator and loaded.n == result.n
    assert "estimands" in loaded.idata.groups()
    assert not any("person" in str(d) for d in loaded.idata.posterior.dims)


def _scan_one(path):
    from amu_causal.privacy import scan_outputs

    (path.parent / "manifest.json").write_text(json.dumps({"files": {path.name: {}}}))
    return scan_outputs(path.parent)


def test_export_safe_save_leaves_no_small_municipality(fitted, tmp_path):
    """The file written for export carries no cell resting on 1-4 participants."""
    df, _, result = fitted
    participants = df.groupby("municipality", observed=True)["amu"].sum()
    few = participants[participants.between(1, 4)].index
    assert len(few) >= 3  # the register has what this test is about

    private = tmp_path / "private" / "fit.nc"
    private.parent.mkdir()
    result.save(private, export_safe=False)
    found = _scan_one(private)
    assert any("table_municipality_effects" in v.detail or "table_municipality_effects"
               in v.path for v in found)
    assert any("effect_sum" in v.detail for v in found)

    safe = tmp_path / "safe" / "fit.nc"
    safe.parent.mkdir()
    result.save(safe, data=df)
    assert _scan_one(safe) == []
    loaded = ac.CausalResult.load(safe)
    muni = loaded.municipality_effects().set_index("municipality")
    shown = ["n", "n_treated", "raw_difference", "estimate", "ci_lower", "p_positive"]
    assert muni.loc[few, shown].isna().all().all()
    assert muni["raw_difference"].notna().any()  # checked against the register, not all blanked
    assert not any(str(v).startswith("effect_sum") for v in loaded.idata.estimands.data_vars)
    kept = set(loaded.idata.posterior["amu_effect_municipality"]["municipality"].values)
    assert kept and kept.isdisjoint(few)
    assert set(loaded.idata.estimands["ATE_by_municipality"]["municipality"].values) == kept
    assert not {"observed_data", "constant_data", "log_likelihood"} & set(loaded.idata.groups())
    assert loaded.settings["export"]["min_count"] == 5
    # without the register no raw difference can be checked, so none is kept
    result.save(safe, data=None)
    assert ac.CausalResult.load(safe).municipality_effects()["raw_difference"].isna().all()


def test_plots_draw(fitted):
    _, truth, result = fitted
    ax = ac.plot_effects(result, truth=truth)
    assert len(ax.get_yticklabels()) == 5
    assert ac.plot_municipality_effects(result).get_title()
    assert ac.plot_participation(result).get_title()


def test_summary_text(fitted):
    _, _, result = fitted
    text = result.summary()
    assert "ATE" in text and "95% interval" in text


@pytest.mark.slow  # two fits (the full suite runs it, with the engine's own determinism test)
def test_same_seed_same_numbers():
    df, _ = ac.simulate_register(n=1_500, seed=4, confounding=0.0)
    model = ac.HierarchicalModel(draws=100, tune=100, random_seed=11, progressbar=False,
                                 refits=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ac.ConvergenceWarning)
        a = model.fit(df).effects()
        b = model.fit(df).effects()
    pd.testing.assert_frame_equal(a, b)


def test_overlap_and_baseline_tables(fitted):
    fitted = fitted[2]
    overlap = fitted.table("overlap").set_index("group")
    assert list(overlap.index) == ["all", "none", "low", "medium", "high"]
    assert overlap.loc["all", "n"] == fitted.n
    assert (overlap["p05"] <= overlap["p50"]).all() and (overlap["p50"] <= overlap["p95"]).all()
    assert overlap[["share_near_0", "share_near_1"]].apply(lambda c: c.between(0, 1)).all().all()
    # participants sit higher in the propensity distribution than everyone
    assert overlap.loc["all", "p50_treated"] > overlap.loc["all", "p50"]
    y0 = fitted.table("untreated_mean").set_index("estimand")
    effects = fitted.effects().set_index("estimand")
    rr = effects.loc["RR", "estimate"]
    ate = effects.loc["ATE", "estimate"]
    # RR = E[Y(1)] / E[Y(0)] with E[Y(1)] = E[Y(0)] + ATE (means of per-draw values)
    assert (y0.loc["ATE", "estimate"] + ate) / y0.loc["ATE", "estimate"] == pytest.approx(
        rr, rel=0.02)
    assert y0.loc["ATE[attachment=none]", "estimate"] < y0.loc["ATE[attachment=high]",
                                                              "estimate"]
