"""G-computation and summaries on hand-made posteriors."""

import numpy as np
import pytest
from scipy.special import expit, logit

from amu_causal.estimands import effect_draws, rank_draws, summarize_draws


def test_effect_draws_exact():
    # two draws, four people: two groups, two municipalities
    p0 = np.array([[0.1, 0.2, 0.3, 0.4], [0.2, 0.2, 0.2, 0.2]])
    p1 = np.array([[0.3, 0.2, 0.6, 0.4], [0.2, 0.4, 0.2, 0.6]])
    base, shift = logit(p0), logit(p1) - logit(p0)
    treated = np.array([1, 0, 1, 0])
    group = np.array([0, 0, 1, 1])
    muni = np.array([0, 1, 0, 1])
    e = effect_draws(base, shift, treated, group, 2, muni, 2)
    diff = p1 - p0
    np.testing.assert_allclose(e.ate, diff.mean(axis=1))
    np.testing.assert_allclose(e.att, diff[:, [0, 2]].mean(axis=1))
    np.testing.assert_allclose(e.atc, diff[:, [1, 3]].mean(axis=1))
    np.testing.assert_allclose(e.risk_ratio, p1.sum(axis=1) / p0.sum(axis=1))
    np.testing.assert_allclose(e.ate_by_group, [[0.1, 0.15], [0.1, 0.2]])
    np.testing.assert_allclose(e.att_by_group, [[0.2, 0.3], [0.0, 0.0]])
    np.testing.assert_allclose(e.ate_by_municipality, [[0.25, 0.0], [0.0, 0.3]])
    np.testing.assert_allclose(e.mean_untreated, p0.mean(axis=1))


def test_group_without_treated_gives_nan_att():
    base = np.zeros((1, 3))
    shift = np.ones((1, 3))
    e = effect_draws(base, shift, np.array([1, 0, 0]), np.array([0, 1, 1]), 2,
                     np.array([0, 0, 0]), 1)
    assert np.isnan(e.att_by_group[0, 1])
    assert e.att_by_group[0, 0] == pytest.approx(expit(1) - 0.5)


def test_zero_shift_gives_zero_effects():
    rng = np.random.default_rng(0)
    e = effect_draws(rng.normal(size=(5, 50)), np.zeros((5, 50)), rng.integers(0, 2, 50),
                     rng.integers(0, 4, 50), 4, rng.integers(0, 3, 50), 3)
    assert np.all(e.ate == 0) and np.all(e.risk_ratio == 1)


def test_summarize_draws_known_values():
    draws = np.column_stack([np.arange(1, 101) / 100.0, -np.arange(1, 101) / 100.0])
    s = summarize_draws(draws, ["a", "b"], level=0.9)
    assert s["estimand"].tolist() == ["a", "b"]
    assert s.loc[0, "estimate"] == pytest.approx(0.505)
    assert s.loc[0, "ci_lower"] == pytest.approx(np.quantile(draws[:, 0], 0.05))
    assert s.loc[0, "ci_upper"] == pytest.approx(np.quantile(draws[:, 0], 0.95))
    assert s.loc[0, "std_error"] == pytest.approx(draws[:, 0].std(ddof=1))
    assert s.loc[0, "p_positive"] == 1.0 and s.loc[1, "p_positive"] == 0.0
    assert (s["level"] == 0.9).all()


def test_summarize_draws_null_and_nan():
    s = summarize_draws(np.array([[0.9, np.nan], [1.1, np.nan], [1.2, np.nan]]), ["rr", "x"],
                        null=1.0)
    assert s.loc[0, "p_positive"] == pytest.approx(2 / 3)
    assert np.isnan(s.loc[1, "ci_lower"]) and np.isnan(s.loc[1, "p_positive"])
    with pytest.raises(ValueError, match="level"):
        summarize_draws(np.zeros(3), level=1.5)


def test_rank_draws():
    ranks = rank_draws(np.array([[0.1, 0.3, 0.2], [0.5, 0.1, 0.0]]))
    assert ranks.tolist() == [[3, 1, 2], [1, 2, 3]]
