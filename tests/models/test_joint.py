"""The PyMC graph: it builds, its density is finite, and the numpy mirror agrees."""

import numpy as np
import pytest
from scipy.special import log_expit

from amu_causal.models import (
    HYPERPARAMETERS,
    Priors,
    build_design,
    build_joint_model,
    linear_predictors,
)


@pytest.fixture(scope="module")
def design(small_register):
    return build_design(small_register[0])


@pytest.mark.slow  # compiles three models; test_likelihood.py compares them in the inner loop
@pytest.mark.parametrize("options", [{}, {"mundlak": True}, {"joint": False}])
def test_logp_and_gradient_are_finite(design, options):
    model = build_joint_model(design, **options)
    point = model.initial_point()
    assert np.isfinite(model.compile_logp()(point))
    grad = model.compile_dlogp()(point)
    assert np.all(np.isfinite(grad)) and grad.size == sum(np.size(v) for v in point.values())


def test_dims_and_coords(design):
    model = build_joint_model(design)
    assert model.coords["municipality"] == tuple(design.municipalities)
    assert model.coords["attachment"] == ("none", "low", "medium", "high")
    assert model.named_vars_to_dims["amu_effect_municipality"] == ("municipality",)
    assert model.named_vars_to_dims["municipality_intercept"] == ("part", "municipality")
    for name in HYPERPARAMETERS:
        assert name in model.named_vars


@pytest.mark.parametrize("options", [{}, {"mundlak": True}, {"joint": False}])
def test_numpy_predictor_matches_the_graph(design, options):
    """The g-computation's linear predictor equals the model's, at random parameters."""
    model = build_joint_model(design, **options)
    rng = np.random.default_rng(1)
    point = {k: rng.normal(scale=0.3, size=np.shape(v)) for k, v in
             model.initial_point().items()}
    outputs = model.unobserved_value_vars  # free variables (untransformed) and deterministics
    names = [v.name for v in outputs]
    values = model.compile_fn(outputs, inputs=model.value_vars,
                              on_unused_input="ignore")(point)
    posterior = {n: np.asarray(v)[None, ...] for n, v in zip(names, values, strict=True)}
    parts = model.coords["part"]
    base, shift = linear_predictors(posterior, design, "employment", parts)
    eta = base[0] + design.treatment * shift[0]
    y = design.outcome
    expected = np.sum(y * log_expit(eta) + (1 - y) * log_expit(-eta))
    term = model.compile_logp(vars=[model["employed_observed"]], sum=True)(point)
    assert term == pytest.approx(expected, rel=1e-9)
    if "participation" in parts:
        eta_d, _ = linear_predictors(posterior, design, "participation", parts)
        a = design.treatment
        expected_d = np.sum(a * log_expit(eta_d[0]) + (1 - a) * log_expit(-eta_d[0]))
        term_d = model.compile_logp(vars=[model["amu_observed"]], sum=True)(point)
        assert term_d == pytest.approx(expected_d, rel=1e-9)


def test_group_effects_are_pooled_towards_a_common_effect(design):
    """Each group's AMU effect shares a common prior centre (issue: a group with a handful
    of participants was shrunk to zero by an independent zero-centred prior)."""
    import pymc as pm

    model = build_joint_model(design)
    assert "amu_effect_mean" in model.named_vars
    with model:
        prior = pm.sample_prior_predictive(draws=2_000, random_seed=1,
                                           var_names=["amu_logit_effect", "amu_effect_mean"])
    tau = prior.prior["amu_logit_effect"].values.reshape(2_000, 4)
    corr = np.corrcoef(tau.T)[np.triu_indices(4, 1)]
    # effect_sd**2 / (effect_sd**2 + effect_group_sd**2) = 0.5; independent priors give 0
    assert corr.min() > 0.4
    gap = tau - prior.prior["amu_effect_mean"].values.reshape(2_000, 1)
    assert np.abs(gap).mean() < np.abs(tau).mean()


@pytest.mark.parametrize("scale", [0.3, 1.0])
def test_the_group_spread_is_a_fixed_prior_scale_not_a_learned_sd(design, scale):
    """A group's deviation from the common effect has prior SD ``effect_group_sd`` exactly.

    A learned between-group SD (half-normal prior, mode at zero) cannot be informed by four
    groups; its posterior stayed near complete pooling and pulled the group effects
    together by 1 to 3 points at n = 5,000 (the largest, ATE[attachment=none], down by
    about 1 point). The old model had a free ``amu_effect_group_sd`` and a deviation SD
    of about half its scale.
    """
    import pymc as pm

    model = build_joint_model(design, priors=Priors(effect_group_sd=scale))
    assert "amu_effect_group_sd" not in model.named_vars
    # a fixed scale has no funnel: the effects are sampled directly (centred), which at
    # n = 2,000 took a third of the time of the non-centred offsets
    assert model["amu_logit_effect"] in model.free_RVs
    with model:
        prior = pm.sample_prior_predictive(draws=4_000, random_seed=2,
                                           var_names=["amu_logit_effect", "amu_effect_mean"])
    gap = (prior.prior["amu_logit_effect"] - prior.prior["amu_effect_mean"]).values.ravel()
    assert gap.std() == pytest.approx(scale, rel=0.05)


def test_mundlak_terms_cover_every_treated_group_and_are_standardised(design):
    from amu_causal.models.joint import mundlak_terms

    names, matrix = mundlak_terms(design)
    groups = [n for n in names if n.startswith("mean amu[")]
    treated_groups = {g for g, j in zip(("none", "low", "medium", "high"), range(4),
                                        strict=True)
                      if design.treatment[design.attachment_index == j].any()}
    assert groups == [f"mean amu[attachment={g}]" for g in ("none", "low", "medium", "high")
                      if g in treated_groups]
    assert matrix.shape == (len(design.municipalities), len(names))
    np.testing.assert_allclose(matrix.mean(axis=0), 0, atol=1e-10)
    np.testing.assert_allclose(matrix.std(axis=0), 1, rtol=1e-10)
    model = build_joint_model(design, mundlak=True)
    assert list(model.coords["mundlak_term"]) == names
    # the AMU-by-group means are the municipal means of A x 1[group], not of A alone
    m = design.municipality_index
    k = len(design.municipalities)
    j = 0
    raw = (np.bincount(m, weights=design.treatment * (design.attachment_index == j),
                       minlength=k) / np.bincount(m, minlength=k))
    np.testing.assert_allclose(matrix[:, 0], (raw - raw.mean()) / raw.std())
