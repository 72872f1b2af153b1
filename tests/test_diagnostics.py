import numpy as np
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


def test_one_chain_reports_that_r_hat_needs_two_chains_instead_of_failing():
    # one chain: ArviZ gives R-hat NaN for every parameter
    table = pd.DataFrame({"parameter": ["x", "y"], "r_hat": [np.nan, np.nan],
                          "ess_bulk": [900.0, 300.0], "ess_tail": [800.0, 700.0]})
    with pytest.warns(ConvergenceWarning) as record:
        problems = check_convergence(table, {"divergences": 0, "draws": 1000, "ebfmi": [0.9]})
    assert any("two or more chains" in p for p in problems)
    assert any("ess bulk effective sample size is 300 for y" in p for p in problems)
    assert "two or more chains" in str(record[0].message)


@pytest.mark.slow
def test_a_one_chain_fit_reports_its_ess():
    import amu_causal as ac

    df, _ = ac.simulate_register(n=800, seed=2)
    with pytest.warns(ConvergenceWarning, match="two or more chains"):
        result = ac.HierarchicalModel(chains=1, draws=150, tune=150, random_seed=1,
                                      progressbar=False, refits=0).fit(df)
    assert result.diagnostics()["ess_bulk"].notna().all()
    assert result.diagnostics()["r_hat"].isna().all()
