"""Scenarios, seeds, SBC ranks and the uniformity test."""

import numpy as np
import pandas as pd
import pytest

import amu_causal as ac
from amu_causal.sampling import SamplerSettings, _chain_cores
from amu_causal.validation import (
    SCENARIOS,
    Scenario,
    UnknownScenarioError,
    get_scenario,
    rank_statistic,
    replication_seed,
    uniformity_test,
)


def test_scenarios_cover_the_issue():
    assert {"no_confounding", "confounding_weak", "confounding", "confounding_strong",
            "heterogeneous", "post_treatment", "small_municipalities"} <= set(SCENARIOS)
    assert SCENARIOS["no_confounding"].parameters().confounding == 0.0
    strengths = [SCENARIOS[n].parameters().confounding
                 for n in ("confounding_weak", "confounding", "confounding_strong")]
    assert strengths == sorted(strengths) and len(set(strengths)) == 3
    assert SCENARIOS["post_treatment"].parameters().post_treatment
    assert SCENARIOS["small_municipalities"].register_size(2_000) == 500
    het = SCENARIOS["heterogeneous"].parameters()
    assert het.effect_municipality_sd > ac.SimulationParameters().effect_municipality_sd


def test_unknown_scenario_and_bad_settings_are_named():
    with pytest.raises(UnknownScenarioError, match="no_confounding"):
        get_scenario("no_such_scenario")
    with pytest.raises(TypeError, match="unknown simulation setting"):
        Scenario("x", "bad", {"confounded": 1.0})
    with pytest.raises(ValueError, match="size_factor"):
        Scenario("x", "bad", {}, size_factor=0)


def test_replication_seed_depends_only_on_root_and_index():
    a = replication_seed(3, 5, 1).generate_state(2)
    assert np.array_equal(a, replication_seed(3, 5, 1).generate_state(2))
    assert not np.array_equal(a, replication_seed(3, 6, 1).generate_state(2))
    assert not np.array_equal(a, replication_seed(4, 5, 1).generate_state(2))
    assert not np.array_equal(a, replication_seed(3, 5, 2).generate_state(2))
    # the same as spawning children in order
    child = np.random.SeedSequence(3).spawn(6)[5].spawn(2)[1]
    assert np.array_equal(a, child.generate_state(2))
    with pytest.raises(ValueError, match="root_seed"):
        replication_seed(-1, 0)


def test_rank_counts_draws_below():
    assert rank_statistic(0.5, [0.1, 0.7, 0.3, 0.9]) == 2
    assert rank_statistic(-1.0, [0.1, 0.7]) == 0
    assert rank_statistic(2.0, [0.1, 0.7]) == 2


def test_uniformity_test_accepts_uniform_and_rejects_concentrated_ranks():
    rng = np.random.default_rng(1)
    _, p_uniform = uniformity_test(rng.integers(0, 100, size=400), 100, bins=20)
    assert p_uniform > 0.01
    # a too-narrow posterior puts the prior draw in the tails: U-shaped ranks
    tails = np.concatenate([rng.integers(0, 10, 200), rng.integers(90, 100, 200)])
    _, p_tails = uniformity_test(tails, 100, bins=20)
    assert p_tails < 1e-6
    counts = np.bincount(np.repeat(np.arange(100), 2) // 5, minlength=20)
    assert (counts == 10).all()
    with pytest.raises(ValueError, match="multiple"):
        uniformity_test([1, 2], 99, bins=20)
    with pytest.raises(ValueError, match=r"0 \.\. 99"):
        uniformity_test([100], 100, bins=20)


def test_sampler_cores_setting():
    assert _chain_cores(SamplerSettings(chains=4, cores=1)) == 1
    assert _chain_cores(SamplerSettings(chains=2, cores=8)) == 2
    assert SamplerSettings().cores is None
    with pytest.raises(ValueError, match="cores"):
        SamplerSettings(cores=0)


def _sbc_ranks(ess):
    rng = np.random.default_rng(2)
    rows = [{"fit": i, "quantity": "amu_effect_mean", "rank": int(rng.integers(0, 100)),
             "converged": True, "error": "", "ess_bulk": e, "ess_tail": e + 50}
            for i, e in enumerate(ess)]
    return pd.DataFrame(rows)


def test_sbc_tests_flag_fits_that_kept_more_draws_than_their_ess():
    from amu_causal.validation import SBCResult, SBCStudy

    study = SBCStudy(n=200, n_fits=40, thin_to=99)
    fine = SBCResult(study=study, ranks=_sbc_ranks([150.0] * 40)).tests()
    assert fine["share_ess_sufficient"].iloc[0] == 1.0
    assert fine["min_ess"].iloc[0] == 150.0
    # ten fits whose ESS (60) is below the 99 draws kept: ranks are autocorrelated
    with pytest.warns(UserWarning, match="more than their ESS"):
        short = SBCResult(study=study, ranks=_sbc_ranks([150.0] * 30 + [60.0] * 10)).tests()
    assert short["share_ess_sufficient"].iloc[0] == pytest.approx(0.75)


def test_effective_sizes_see_autocorrelation():
    from amu_causal.validation.sbc import effective_sizes

    rng = np.random.default_rng(3)
    walk = np.cumsum(rng.normal(size=(2, 1000)), axis=1) * 0.05 + rng.normal(size=(2, 1000))
    independent = rng.normal(size=(2, 1000))
    assert effective_sizes(walk)[0] < effective_sizes(independent)[0] / 3


def test_the_default_pool_has_one_worker_and_the_scripts_default_to_one(script_help):
    from amu_causal.validation.execution import DEFAULT_WORKERS, default_executor

    assert DEFAULT_WORKERS == 1
    pool = default_executor()
    try:
        assert pool._max_workers == 1
    finally:
        pool.shutdown()
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    for script in ("simulations/monte_carlo.py", "simulations/sbc.py"):
        assert "default 1" in script_help[root / script]["stdout"]
