"""The fused likelihood has the reference model's log density and gradient."""

import numpy as np
import pytest

import amu_causal as ac
from amu_causal.models import LatentConfounder, build_design
from amu_causal.models.joint import build_joint_model, fused_data
from amu_causal.models.likelihood import FusedLikelihood, fused_loglik


@pytest.fixture(scope="module")
def design():
    return build_design(ac.simulate_register(n=800, seed=4)[0])


VARIANTS = {
    "plain": {},
    "employment only": {"joint": False},
    "mundlak": {"mundlak": True},
    "normal U, fixed": {"confounder": LatentConfounder(0.5, 0.7)},
    "normal U, priors": {"confounder": LatentConfounder(None, None)},
    "binary U, uneven": {"confounder": LatentConfounder(0.4, -0.3, distribution="binary",
                                                        prevalence=0.3)},
}


# Each variant compiles two models (20-30 s); the plain model and the normal U with priors
# (every kernel path and every gradient) run in the inner loop, the rest in the full suite.
FAST = ("plain", "normal U, priors")


@pytest.mark.parametrize("options", [
    pytest.param(options, id=name, marks=() if name in FAST else pytest.mark.slow)
    for name, options in VARIANTS.items()])
def test_fused_model_has_the_reference_log_density_and_gradient(design, options):
    reference = build_joint_model(design, **options)
    fused = build_joint_model(design, likelihood="fused", **options)
    assert [v.name for v in fused.free_RVs] == [v.name for v in reference.free_RVs]
    assert ({v.name for v in fused.deterministics}
            == {v.name for v in reference.deterministics})
    # one compiled function per model for both outputs (compilation is the test's cost)
    ref, fus = (m.compile_fn([m.logp(), m.dlogp()]) for m in (reference, fused))
    rng = np.random.default_rng(1)
    start = reference.initial_point(0)
    for _ in range(3):
        point = {k: v + 0.5 * rng.standard_normal(np.shape(v)) for k, v in start.items()}
        (logp_ref, grad_ref), (logp_fused, grad_fused) = ref(point), fus(point)
        assert logp_fused == pytest.approx(logp_ref, rel=1e-11, abs=1e-9)
        np.testing.assert_allclose(grad_fused, grad_ref, rtol=1e-9, atol=1e-9)


def test_extreme_log_odds_stay_finite(design):
    # Log-odds of +-600 (warm-up can wander there): no overflow, no exception.
    data = fused_data(design)
    index_y, index_d = data["fused_index_employment"], data["fused_index_participation"]
    p = data["fused_numeric"].shape[1]
    for sign in (1.0, -1.0):
        theta_y = np.zeros(index_y.max() + 1)
        theta_d = np.zeros(index_d.max() + 1)
        theta_y[0], theta_d[0] = 600.0 * sign, -600.0 * sign  # the intercepts
        for nodes in (np.zeros(0), np.array([-1.0, 1.0])):
            weights = np.full(len(nodes), 1 / max(len(nodes), 1))
            out = fused_loglik(np.zeros(p), theta_d, np.zeros(p), theta_y,
                               np.array([0.5, 0.5]), data["fused_numeric"], index_d,
                               index_y, data["fused_treatment"], data["fused_outcome"],
                               True, nodes, weights)
            assert np.isfinite(out[0]) and out[0] < -1e5
            assert all(np.all(np.isfinite(g)) for g in out[1:])


def test_participants_alone_point_at_the_amu_effects(design):
    data = fused_data(design)
    index = data["fused_index_employment"]
    zero = index.max()
    treated = design.treatment == 1
    assert np.all(index[~treated, -2:] == zero)
    assert np.all(index[treated, -2:] < zero)


def test_op_settings_are_checked():
    with pytest.raises(ValueError, match="same length"):
        FusedLikelihood(nodes=(0.0, 1.0), weights=(1.0,))
    with pytest.raises(ValueError, match="joint"):
        FusedLikelihood(joint=False, nodes=(0.0,), weights=(1.0,))
    with pytest.raises(ValueError, match="likelihood must be"):
        build_joint_model(build_design(ac.simulate_register(n=200, seed=1)[0]),
                          likelihood="exact")
