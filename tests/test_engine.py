"""The one fit path: a structure compiled once, any register of it fitted."""

import dataclasses

import numpy as np
import pytest

import amu_causal as ac
from amu_causal import engine
from amu_causal.models import LatentConfounder, build_design

N = 600  # large enough that every factor level occurs in both registers


@pytest.fixture(scope="module")
def designs():
    return tuple(engine.padded_design(build_design(
        ac.simulate_register(n=N, seed=s, confounding=0.0)[0])) for s in (1, 2))


def test_padded_design_keeps_each_persons_municipality():
    df, _ = ac.simulate_register(n=300, seed=3)
    design = build_design(df)
    padded = engine.padded_design(design)
    assert len(padded.municipalities) == 98 > len(design.municipalities)
    codes = np.asarray(padded.municipalities)[padded.municipality_index]
    assert np.array_equal(codes, df["municipality"].to_numpy())
    assert engine.padded_design(padded) is padded


def test_structure_key_ignores_sampler_settings_and_fixed_strengths(designs):
    a, b = designs
    model = ac.HierarchicalModel(confounder=LatentConfounder(0.5, 0.5))
    other = dataclasses.replace(model, draws=50, random_seed=3,
                                confounder=LatentConfounder(1.0, 0.0))
    assert engine.structure_key(model, a) == engine.structure_key(other, b)
    with_prior = dataclasses.replace(model, confounder=LatentConfounder(None, 0.5))
    assert engine.structure_key(with_prior, a) != engine.structure_key(model, a)
    smaller = engine.padded_design(build_design(ac.simulate_register(n=N + 10, seed=1)[0]))
    assert engine.structure_key(model, smaller) != engine.structure_key(model, a)


@pytest.mark.slow
def test_a_fit_does_not_depend_on_what_the_process_fitted_before(designs):
    a, b = designs
    model = ac.HierarchicalModel(draws=60, tune=60, progressbar=False, random_seed=5)
    engine.clear_cache()
    first = engine.fit_design(model, a, cores=1)
    assert first.settings["compile_seconds"] > 0
    other = engine.fit_design(model, b, cores=1)
    again = engine.fit_design(model, a, cores=1)
    assert again.settings["compile_seconds"] == 0
    post = first.idata.posterior["amu_effect_mean"].values
    np.testing.assert_array_equal(post, again.idata.posterior["amu_effect_mean"].values)
    assert not np.array_equal(post, other.idata.posterior["amu_effect_mean"].values)
    assert first.estimate("ATE") == again.estimate("ATE")


def test_a_run_whose_chains_disagree_is_sampled_again_longer(designs):
    a, _ = designs
    # 2 x 15 draws: the estimands cannot reach 400 effective draws, so the run is repeated
    model = ac.HierarchicalModel(draws=15, tune=15, progressbar=False, random_seed=5, refits=2)
    with pytest.warns(ac.ConvergenceWarning) as caught:
        result = engine.fit_design(model, a, cores=1)
    attempts = result.settings["attempts"]
    assert [(x["tune"], x["draws"]) for x in attempts] == [(15, 15), (30, 30), (60, 60)]
    assert len({x["seed"] for x in attempts}) == 3 and attempts[0]["seed"] == 5
    assert all(x["problems"] for x in attempts)
    # the last run is the one reported, and only it warns
    assert result.idata.posterior.sizes["draw"] == 60
    assert (result.settings["sampler"]["tune"], result.settings["sampler"]["draws"]) == (60, 60)
    assert len([w for w in caught if w.category is ac.ConvergenceWarning]) == 1
    assert result.problems == attempts[-1]["problems"]

    once = engine.fit_design(dataclasses.replace(model, refits=0), a, cores=1)
    assert len(once.settings["attempts"]) == 1
    assert once.idata.posterior.sizes["draw"] == 15


def test_refit_rule_looks_at_the_estimands_only():
    import pandas as pd

    table = pd.DataFrame({"parameter": ["municipality_sd[employment]", "ATE",
                                        "ATE[attachment=none]", "ATT"],
                          "r_hat": [1.03, 1.002, 1.003, 1.001],
                          "ess_bulk": [150.0, 900.0, 800.0, 700.0]})
    assert not engine.needs_refit(table)  # a hyperparameter alone: a warning only
    assert engine.needs_refit(table.assign(ess_bulk=[900.0, 900.0, 350.0, 700.0]))
    assert engine.needs_refit(table.assign(r_hat=[1.0, 1.0, 1.0, 1.02]))
    assert not engine.needs_refit(table.assign(r_hat=np.nan))  # one chain: R-hat undefined
    with pytest.raises(ValueError, match="refits"):
        ac.HierarchicalModel(refits=-1)
