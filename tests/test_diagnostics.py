import pandas as pd
import pytest

from amu_causal.diagnostics import (
    ConvergenceError,
    ConvergenceWarning,
    Thresholds,
    check_convergence,
)

GOOD = pd.DataFrame({"parameter": ["a", "b"], "r_hat": [1.0, 1.001],
                     "ess_bulk": [1000.0, 900.0], "ess_tail": [800.0, 700.0]})
OK_SAMPLER = {"divergences": 0, "draws": 2000, "ebfmi": [0.9, 0.8]}


def test_clean_fit_has_no_problems():
    assert check_convergence(GOOD, OK_SAMPLER) == []


def test_each_problem_is_named_with_its_number():
    table = GOOD.assign(r_hat=[1.0, 1.08], ess_bulk=[1000.0, 150.0])
    sampler = {"divergences": 7, "draws": 2000, "ebfmi": [0.9, 0.2]}
    with pytest.warns(ConvergenceWarning) as record:
        problems = check_convergence(table, sampler)
    text = " ".join(problems)
    assert "7 of 2000 draws ended in a divergence" in text and "target_accept" in text
    assert "R-hat is 1.080 for b" in text
    assert "bulk effective sample size is 150 for b" in text
    assert "E-BFMI is 0.20" in text
    assert len(record) == 1


def test_strict_raises():
    with pytest.raises(ConvergenceError, match="divergence"):
        check_convergence(GOOD, {**OK_SAMPLER, "divergences": 1}, strict=True)


def test_thresholds_are_used():
    assert check_convergence(GOOD, OK_SAMPLER, Thresholds(ess=100)) == []
    with pytest.warns(ConvergenceWarning):
        assert check_convergence(GOOD, OK_SAMPLER, Thresholds(ess=5000))
