"""Policy scenarios: arithmetic on hand-made posterior draws, and the truth of a register."""

import numpy as np
import pandas as pd
import pytest

import amu_causal as ac
from amu_causal import policy
from amu_causal.policy import PolicyCells
from amu_causal.policy.scenarios import _scenario

GROUPS = ("none", "low", "medium", "high")


def two_municipalities():
    """Municipality 101: 80 non-participants (40 none, 40 low), 20 participants.
    Municipality 202: 50 non-participants (all high), no participant."""
    n0 = np.array([[40, 40, 0, 0], [0, 0, 0, 50]])
    n1 = np.array([[10, 10, 0, 0], [0, 0, 0, 0]])
    # three posterior draws of the summed individual effects per cell
    untreated = np.zeros((3, 2, 4))
    untreated[:, 0, 0] = [8.0, 10.0, 12.0]     # none in 101: 0.2 to 0.3 per person
    untreated[:, 0, 1] = [2.0, 4.0, 6.0]       # low in 101
    untreated[:, 1, 3] = [0.0, 5.0, 10.0]      # high in 202
    treated = np.zeros((3, 2, 4))
    treated[:, 0, 0] = [1.0, 2.0, 3.0]
    treated[:, 0, 1] = [0.5, 0.5, 0.5]
    return PolicyCells(untreated, treated, n0, n1, (101, 202), GROUPS)


def test_cells_check_their_shapes():
    with pytest.raises(ValueError, match="shape"):
        PolicyCells(np.zeros((2, 3, 4)), np.zeros((2, 3, 4)), np.zeros((2, 4)),
                    np.zeros((2, 4)), (1, 2), GROUPS)


def test_participation_rate_by_hand():
    cells = two_municipalities()
    r = policy.participation_rate(cells, 0.5)
    # 101: 20 of 100 -> 50 of 100, 30 places among 80 non-participants: q = 3/8
    # 202: 0 of 50 -> 25 places among 50: q = 1/2
    np.testing.assert_allclose(r.places, [30.0, 25.0])
    expected = 3 / 8 * np.array([10.0, 14.0, 18.0])[:, None] * [1, 0] + \
        0.5 * np.array([0.0, 5.0, 10.0])[:, None] * [0, 1]
    np.testing.assert_allclose(r.extra, expected)
    row = r.national().iloc[0]
    total = expected.sum(axis=1)
    assert row["extra_employed"] == pytest.approx(total.mean())
    assert row["ci_lower"] == pytest.approx(np.quantile(total, 0.025))
    assert row["grant_dkk_million"] == pytest.approx(total.mean() * 25_000 / 1e6)
    assert row["participation_after"] == pytest.approx(75 / 150)


def test_only_raise_false_removes_participants_at_random():
    cells = two_municipalities()
    r = policy.participation_rate(cells, 0.1, only_raise=False)
    # 101 falls from 20 to 10 participants: half of them lose their effect
    np.testing.assert_allclose(r.places, [-10.0, 5.0])
    lost = 0.5 * np.array([1.5, 2.5, 3.5])
    gained = 5 / 50 * np.array([0.0, 5.0, 10.0])
    np.testing.assert_allclose(r.extra[:, 0], -lost)
    np.testing.assert_allclose(r.extra[:, 1], gained)
    kept = policy.participation_rate(cells, 0.1)
    np.testing.assert_allclose(kept.extra[:, 0], 0.0)


def test_top_decile_and_targeting():
    cells = two_municipalities()
    rate = policy.top_decile_rate(cells, min_arrivals=20)
    assert rate == pytest.approx(np.quantile([0.2, 0.0], 0.9))
    a = policy.scale_up_to_top_decile(cells)
    b = policy.target_no_early_employment(cells)
    np.testing.assert_allclose(a.places, b.places)  # same places, other people
    # 101 is at the top rate: no places; 202 gets 0.18 * 50 = 9 places
    np.testing.assert_allclose(a.places, [0.0, 9.0])
    # 202 has no one without early employment: (b)'s places overflow to the others at random
    np.testing.assert_allclose(b.extra, a.extra)


def test_targeting_fills_the_group_first():
    cells = two_municipalities()
    r = _scenario(cells, 0.0, name="x", description="", target_group="none",
                         places=np.array([20.0, 0.0]))
    # 20 places for the 40 'none' non-participants of 101: q = 1/2 there, 0 elsewhere
    np.testing.assert_allclose(r.extra[:, 0], 0.5 * np.array([8.0, 10.0, 12.0]))
    overflow = _scenario(cells, 0.0, name="x", description="", target_group="none",
                                places=np.array([60.0, 0.0]))
    # 40 go to 'none' (all of them), the other 20 to the 40 'low' at random
    np.testing.assert_allclose(overflow.extra[:, 0],
                               [8.0 + 0.5 * 2.0, 10.0 + 0.5 * 4.0, 12.0 + 0.5 * 6.0])
    with pytest.raises(ValueError, match="unknown attachment group"):
        _scenario(cells, 0.0, name="x", description="", target_group="nobody",
                         places=np.array([1.0, 0.0]))


def test_bad_rate_is_refused():
    with pytest.raises(ValueError, match="between 0 and 1"):
        policy.participation_rate(two_municipalities(), 10)


def test_truth_cells_match_a_direct_computation(small_register):
    df, truth = small_register
    cells = policy.cells_from_truth(truth, df)
    r = policy.participation_rate(cells, 0.2, truth=cells)
    persons = truth.persons.set_index("person_id").loc[df["person_id"]]
    effect = (persons["p1"] - persons["p0"]).to_numpy()
    frame = pd.DataFrame({"m": df["municipality"].to_numpy(), "a": df["amu"].to_numpy(),
                          "e": effect})
    expected = 0.0
    for _, g in frame.groupby("m"):
        places = max(0.2 * len(g) - g["a"].sum(), 0.0)
        untreated = g[g["a"] == 0]
        expected += places / len(untreated) * untreated["e"].sum()
    assert r.extra.sum() == pytest.approx(expected)
    assert r.national()["truth"].iloc[0] == pytest.approx(expected)


def test_by_municipality_suppresses_small_municipalities(small_register):
    df, truth = small_register
    r = policy.participation_rate(policy.cells_from_truth(truth, df), 0.3)
    table = r.by_municipality()
    small = table["suppressed"]
    assert small.any() and (~small).any()
    assert table.loc[small, "extra_employed"].isna().all()
    assert table.loc[small, "name"].notna().all()
    assert len(r.by_municipality(min_count=None)) == len(table)


def test_cells_from_result_needs_a_bayesian_fit(small_register):
    df, _ = small_register
    with pytest.raises(ValueError, match="Bayesian fit"):
        policy.cells_from_result(ac.OLSFixedEffects().fit(df), df)


def test_cells_from_result_reads_the_estimand_draws(small_register):
    import arviz as az
    import xarray as xr

    df, truth = small_register
    true = policy.cells_from_truth(truth, df)
    k = len(true.municipalities)
    draws = np.stack([true.untreated[0], 2 * true.untreated[0]])  # two draws
    estimands = xr.Dataset(
        {"effect_sum_untreated": (("chain", "draw", "municipality", "attachment"),
                                  draws[None]),
         "effect_sum_treated": (("chain", "draw", "municipality", "attachment"),
                                np.stack([true.treated[0]] * 2)[None])},
        coords={"chain": [0], "draw": [0, 1], "municipality": list(true.municipalities),
                "attachment": list(GROUPS)})
    table = pd.DataFrame({"estimator": ["x"], "estimand": ["ATE"], "estimate": [0.0],
                          "std_error": [0.0], "ci_lower": [0.0], "ci_upper": [0.0],
                          "level": [0.95], "p_positive": [0.5]})
    fit = ac.BayesianResult("x", table, n=len(df),
                            idata=az.InferenceData(estimands=estimands))
    cells = policy.cells_from_result(fit, df)
    assert cells.untreated.shape == (2, k, 4)
    np.testing.assert_array_equal(cells.n_untreated, true.n_untreated)
    r = policy.participation_rate(cells, 0.2, truth=true)
    np.testing.assert_allclose(r.extra[1], 2 * r.extra[0])
    np.testing.assert_allclose(r.extra[0], r.truth)
