"""DML against a direct DoubleML call with the same learners and splits."""

import doubleml as dml
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression

import amu_causal as ac
from amu_causal.baselines.dml import _folds, cluster_robust_se, dml_features


@pytest.fixture(scope="module")
def register():
    return ac.simulate_register(n=4_000, seed=31, confounding=0.0)


def _fast():
    return LogisticRegression(max_iter=500, C=1.0)




def _direct(df, seed):
    """A direct DoubleML call with the learners and the splits DML uses."""
    data = ac.validate_register(df)
    frame, features = dml_features(data)
    rng = np.random.default_rng(seed)
    rng.integers(2**31 - 1)  # the learners' seed is drawn first, as in DML.fit
    smpls = _folds(frame["amu"].to_numpy(), 5, 1, rng)
    obj = dml.DoubleMLIRM(
        dml.DoubleMLData(frame.drop(columns="municipality"), "employed_2y", "amu", features),
        ml_g=clone(_fast()), ml_m=clone(_fast()), n_folds=5, score="ATE",
        trimming_threshold=0.01, normalize_ipw=True, draw_sample_splitting=False)
    obj.set_sample_splitting(smpls)
    obj.fit()
    return obj, frame


def test_matches_direct_doubleml_call(register):
    df, _ = register
    result = ac.DML(ml_g=_fast(), ml_m=_fast(), random_seed=5).fit(df)
    obj, _ = _direct(df, 5)
    row = result.effects().set_index("estimand").loc["ATE"]
    assert row["estimate"] == pytest.approx(obj.coef[0], rel=1e-10)
    person = result.table("standard_errors").set_index("estimand").loc["ATE"]
    assert person["std_error_person"] == pytest.approx(obj.se[0], rel=1e-10)
    assert person["std_error_cluster"] == row["std_error"]


def test_cluster_se_matches_statsmodels(register):
    """For the ATE score (psi_a = -1) the clustered SE is that of a mean: statsmodels' CRV1."""
    df, _ = register
    obj, frame = _direct(df, 5)
    psi_b = obj.psi_elements["psi_b"][:, 0, 0]
    psi_a = obj.psi_elements["psi_a"][:, 0, 0]
    np.testing.assert_allclose(psi_a, -1.0)
    clusters = frame["municipality"].to_numpy()
    ours = cluster_robust_se(psi_a, psi_b, obj.coef[0], clusters)
    ref = sm.OLS(psi_b, np.ones(len(psi_b))).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(clusters)[0]})
    assert ref.params[0] == pytest.approx(obj.coef[0], rel=1e-10)
    assert ours == pytest.approx(ref.bse[0], rel=1e-8)


def test_cluster_se_by_hand():
    psi_b = np.array([1.0, 3.0, 2.0, 6.0])
    theta = psi_b.mean()
    # cluster sums of the score: (1-3)+(3-3) = -2 and (2-3)+(6-3) = 2
    expected = np.sqrt(2 / 1 * (4 + 4) / (16 * 1.0))
    se = cluster_robust_se(-np.ones(4), psi_b, theta, np.array([0, 0, 1, 1]))
    assert se == pytest.approx(expected)
    with pytest.raises(ValueError, match="at least two"):
        cluster_robust_se(-np.ones(4), psi_b, theta, np.zeros(4))


def test_folds_are_stratified_partitions(register):
    df, _ = register
    treatment = df["amu"].to_numpy()
    smpls = _folds(treatment, 5, 2, np.random.default_rng(0))
    assert len(smpls) == 2 and len(smpls[0]) == 5
    for rep in smpls:
        tests = np.concatenate([test for _, test in rep])
        assert np.array_equal(np.sort(tests), np.arange(len(df)))
        shares = [treatment[test].mean() for _, test in rep]
        assert max(shares) - min(shares) < 0.01
        for train, test in rep:
            assert not set(train) & set(test)


def test_reproducible_and_leaves_global_state(register):
    df, _ = register
    state = np.random.get_state()[1].copy()  # noqa: NPY002 (checks the global state)
    a = ac.DML(random_seed=3).fit(df).effects()
    b = ac.DML(random_seed=3).fit(df).effects()
    pd.testing.assert_frame_equal(a, b)
    assert (np.random.get_state()[1] == state).all()  # noqa: NPY002


def test_irm_rows_overlap_and_plr(register):
    df, truth = register
    result = ac.DML(random_seed=1).fit(df)
    table = result.effects().set_index("estimand")
    assert {"ATE", "ATT", "ATE[attachment=none]"} <= set(table.index)
    assert table.loc["ATE", "ci_lower"] < truth.ate < table.loc["ATE", "ci_upper"]
    overlap = result.table("overlap").set_index("quantity")["value"]
    assert 0 <= overlap["min propensity"] <= overlap["max propensity"] <= 1
    plr = ac.DML(model="plr", random_seed=1).fit(df).effects()
    assert plr["estimand"].tolist() == ["ATE"]


@pytest.mark.parametrize("settings, message", [
    ({"model": "lasso"}, "model must be one of"),
    ({"n_folds": 1}, "n_folds"),
    ({"trimming_threshold": 0.6}, "trimming_threshold"),
])
def test_bad_settings(settings, message):
    with pytest.raises(ValueError, match=message):
        ac.DML(**settings)


def test_too_few_treated_for_folds():
    df, _ = ac.simulate_register(n=2_000, seed=1)
    few = pd.concat([df[df["amu"] == 0], df[df["amu"] == 1].head(3)])
    with pytest.raises(ValueError, match="fewer than 5 treated"):
        ac.DML(random_seed=1).fit(few)


def test_default_learners_size_themselves_by_the_people_each_fit_sees():
    from amu_causal.baselines.dml import SizedBoostingClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(5_000, 3))
    y = (X[:, 0] + rng.normal(size=5_000) > 0).astype(int)
    # about the participants of a training fold at n = 5,000: small leaves, no early
    # stopping on a split of two dozen people
    small = SizedBoostingClassifier(random_state=0).fit(X[:240], y[:240])
    assert small.model_.min_samples_leaf == 5 and not small.model_.early_stopping
    large = SizedBoostingClassifier(random_state=0).fit(X, y)
    assert large.model_.min_samples_leaf == 40 and large.model_.early_stopping
    # the small fit is not a constant (the fixed size of 40 with early stopping was)
    assert np.ptp(small.predict_proba(X[:500])[:, 1]) > 0.5


def test_att_reuses_the_ate_fits_nuisance_predictions_and_gives_doublemls_att(register):
    df, _ = register
    est = ac.DML(ml_g=_fast(), ml_m=_fast(), random_seed=3)
    result = est.fit(df)
    frame, features, smpls, seed = est.prepare(ac.validate_register(df))
    separate = est.fit_doubleml(frame, features, smpls, seed, score="ATTE")
    assert result.estimate("ATT") == pytest.approx(float(separate.coef[0]), rel=1e-10)


def test_untreated_means_are_the_doubly_robust_counterfactual_means(register):
    df, _ = register
    result = ac.DML(ml_g=_fast(), ml_m=_fast(), random_seed=3).fit(df)
    y0 = result.tables["untreated_mean"].set_index("estimand")
    effects = result.effects().set_index("estimand")
    # E[Y(1)] - E[Y(0)] = ATE, with E[Y(1)] within the range of outcome rates
    assert {"ATE", "ATT", "ATE[attachment=none]"} <= set(y0.index)
    assert 0 < y0.loc["ATE", "estimate"] < df["employed_2y"].mean() + 0.05
    treated_rate = df.loc[df["amu"] == 1, "employed_2y"].mean()
    # the ATT's counterfactual mean is the participants' rate minus the ATT
    assert y0.loc["ATT", "estimate"] == pytest.approx(
        treated_rate - effects.loc["ATT", "estimate"], abs=0.02)
    assert (y0["std_error"] > 0).all()
