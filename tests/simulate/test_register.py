"""The synthetic register: contract, determinism, and its known truth."""

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

import amu_causal as ac
from amu_causal.simulate.register import solve_intercepts


def test_output_is_in_the_contract(small_register):
    df, _ = small_register
    validated = ac.validate_register(df)
    assert list(df.columns) == list(ac.schema_table()["column"])
    for column in df.columns:
        assert df[column].dtype == validated[column].dtype, column


def test_same_seed_same_frame_bit_for_bit():
    a, ta = ac.simulate_register(n=3_000, seed=5)
    b, tb = ac.simulate_register(n=3_000, seed=5)
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert ta.ate == tb.ate and ta.att == tb.att
    pd.testing.assert_frame_equal(ta.persons, tb.persons, check_exact=True)


def test_different_seeds_differ():
    a, _ = ac.simulate_register(n=3_000, seed=5)
    b, _ = ac.simulate_register(n=3_000, seed=6)
    assert not a.equals(b)


def test_generator_seed_is_reproducible_and_leaves_global_state():
    state = np.random.get_state()[1].copy()  # noqa: NPY002 (checks the global state)
    a, _ = ac.simulate_register(n=500, seed=np.random.default_rng(3))
    b, _ = ac.simulate_register(n=500, seed=np.random.default_rng(3))
    assert a.equals(b)
    assert (np.random.get_state()[1] == state).all()  # noqa: NPY002


@pytest.mark.parametrize("seed", [-1, 1.5, "1", None, True])
def test_bad_seed(seed):
    with pytest.raises(TypeError, match="seed must be"):
        ac.simulate_register(n=100, seed=seed)


@pytest.mark.parametrize("n", [0, -5, 2.5, True])
def test_bad_n(n):
    with pytest.raises(ValueError, match="positive whole number"):
        ac.simulate_register(n=n, seed=1)


def test_unknown_setting_is_named():
    with pytest.raises(TypeError, match=r"unknown simulation setting.*confunding"):
        ac.simulate_register(n=100, seed=1, confunding=0.0)


def test_invalid_parameters():
    with pytest.raises(ValueError, match="participation_rate"):
        ac.SimulationParameters(participation_rate=1.5)
    with pytest.raises(ValueError, match="effect_logit needs exactly"):
        ac.SimulationParameters(effect_logit={"none": 0.5})


def test_scenarios_with_one_seed_share_their_people():
    base, _ = ac.simulate_register(n=3_000, seed=2)
    other, _ = ac.simulate_register(n=3_000, seed=2, confounding=0.0, effect_scale=2.0)
    background = ["person_id", "municipality", "permit_year", "age", "education", "sex",
                  "origin", "n_children"]
    pd.testing.assert_frame_equal(base[background], other[background])
    assert not base["amu"].equals(other["amu"])  # the latent now stops driving participation


def test_no_effect_means_zero_truth():
    _, truth = ac.simulate_register(n=3_000, seed=1, effect_scale=0.0)
    assert truth.ate == 0.0 and truth.att == 0.0
    assert (truth.by_attachment["ate"] == 0).all()


def test_truth_is_consistent_with_person_probabilities(small_register):
    df, truth = small_register
    persons = truth.persons
    diff = persons["p1"] - persons["p0"]
    assert truth.ate == pytest.approx(diff.mean(), rel=1e-12)
    assert truth.att == pytest.approx(diff[df["amu"] == 1].mean(), rel=1e-12)
    groups = truth.by_attachment
    weighted = (groups["ate"] * groups["n"]).sum() / groups["n"].sum()
    assert truth.ate == pytest.approx(weighted, rel=1e-12)
    munis = truth.by_municipality
    assert munis["n"].sum() == len(df)
    assert truth.ate == pytest.approx((munis["ate"] * munis["n"]).sum() / len(df), rel=1e-12)
    assert truth.ate_direct == pytest.approx(truth.ate, rel=1e-12)  # attachment not affected


def test_effects_table_names(small_register):
    _, truth = small_register
    table = truth.effects()
    names = set(table["estimand"])
    assert {"ATE", "ATT", "ATC", "RR", "ATE[attachment=none]", "ATT[attachment=high]"} <= names
    assert table.set_index("estimand").loc["ATE", "truth"] == truth.ate
    assert any(name.startswith("ATE[municipality=") for name in names)


def test_default_effect_is_plausible_and_largest_without_early_employment():
    _, truth = ac.simulate_register(seed=1)
    assert 0.02 < truth.ate < 0.10  # external evidence: a few points up to about 10
    by = truth.by_attachment["ate"]
    assert by["none"] > by["medium"] > by["high"]


def test_outcomes_follow_the_potential_outcome_probabilities():
    df, truth = ac.simulate_register(n=20_000, seed=4)
    p = np.where(df["amu"] == 1, truth.persons["p1"], truth.persons["p0"])
    # Bernoulli draws: observed mean within 4 standard errors of the expected mean
    se = np.sqrt((p * (1 - p)).sum()) / len(p)
    assert abs(df["employed_2y"].mean() - p.mean()) < 4 * se


def test_confounding_switch():
    """With confounding the latent trait drives participation; without it, it does not."""
    df, truth = ac.simulate_register(n=20_000, seed=3)
    df0, _ = ac.simulate_register(n=20_000, seed=3, confounding=0.0)
    u = truth.persons["motivation"]
    gap = u[df["amu"] == 1].mean() - u[df["amu"] == 0].mean()
    gap0 = u[df0["amu"] == 1].mean() - u[df0["amu"] == 0].mean()
    assert gap > 0.3
    assert abs(gap0) < 0.1


def test_naive_contrast_exceeds_truth_under_confounding():
    df, truth = ac.simulate_register(seed=2)
    none = df["months_employed"] == 0
    raw = (df.loc[none & (df["amu"] == 1), "employed_2y"].mean()
           - df.loc[none & (df["amu"] == 0), "employed_2y"].mean())
    assert raw > truth.by_attachment.loc["none", "ate"] + 0.02


def test_post_treatment_attachment():
    df, truth = ac.simulate_register(n=20_000, seed=3, post_treatment=True)
    persons = truth.persons
    assert (persons["months_with_amu"] >= persons["months_without_amu"]).all()
    assert (persons["months_with_amu"] > persons["months_without_amu"]).mean() > 0.05
    treated = df["amu"] == 1
    assert (df.loc[treated, "months_employed"] == persons.loc[treated, "months_with_amu"]).all()
    # part of the effect runs through attachment: the total effect exceeds the direct one
    assert truth.ate > truth.ate_direct
    base, _ = ac.simulate_register(n=20_000, seed=3)
    assert (df["months_employed"] >= base["months_employed"]).all()


def test_municipal_amu_rates_match_targets_in_expectation():
    df, truth = ac.simulate_register(seed=1)
    params = truth.municipality_parameters
    expected = truth.persons.groupby(df["municipality"].to_numpy())["propensity"].mean()
    np.testing.assert_allclose(expected, params.loc[expected.index, "amu_rate"], rtol=1e-8)
    assert params.loc[400, "amu_rate"] == pytest.approx(0.47)


def test_copenhagen_quota_is_zero_in_2015():
    df, _ = ac.simulate_register(seed=1)
    assert ((df["municipality"] == 101) & (df["permit_year"] == 2015)).sum() == 0
    assert ((df["municipality"] == 101) & (df["permit_year"] == 2010)).sum() > 0


def test_solve_intercepts_hits_targets_and_handles_empty_groups():
    rng = np.random.default_rng(0)
    offset = rng.normal(size=500)
    groups = rng.integers(0, 3, size=500)
    targets = np.array([0.05, 0.5, 0.9, 0.2])  # group 3 has no members
    a = solve_intercepts(offset, groups, targets)
    for g in range(3):
        assert expit(a[g] + offset[groups == g]).mean() == pytest.approx(targets[g], abs=1e-9)
    assert np.isfinite(a[3])
