"""The PyMC graph: it builds, its density is finite, and the numpy mirror agrees."""

import numpy as np
import pytest
from scipy.special import log_expit

from amu_causal.models import (
    HYPERPARAMETERS,
    build_design,
    build_joint_model,
    linear_predictors,
)


@pytest.fixture(scope="module")
def design(small_register):
    return build_design(small_register[0])


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
