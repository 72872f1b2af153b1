"""The latent confounder: marginalised likelihood, quadrature and potential outcomes."""

import numpy as np
import pytest
from scipy import integrate
from scipy.special import expit, log_expit

from amu_causal.models import LatentConfounder, build_design, build_joint_model


@pytest.fixture(scope="module")
def design(small_register):
    return build_design(small_register[0])


def _jittered_point(model, seed=0):
    rng = np.random.default_rng(seed)
    return {k: v + rng.normal(0, 0.3, size=np.shape(v))
            for k, v in model.initial_point(random_seed=seed).items()}


def test_zero_strengths_give_the_plain_model_density(design):
    plain = build_joint_model(design)
    latent = build_joint_model(design, confounder=LatentConfounder(0.0, 0.0))
    plain_logp, latent_logp = plain.compile_logp(), latent.compile_logp()  # compiled once
    for seed in range(3):
        point = _jittered_point(plain, seed)
        assert latent_logp(point) == pytest.approx(plain_logp(point), rel=1e-12)


@pytest.mark.parametrize("distribution", ["normal", "binary"])
def test_graph_likelihood_matches_numpy_and_direct_integration(distribution):
    rng = np.random.default_rng(1)
    n = 40
    eta_d, eta_y = rng.normal(-1, 1, n), rng.normal(-0.5, 1, n)
    a, y = rng.integers(0, 2, n), rng.integers(0, 2, n)
    u = LatentConfounder(0.9, 1.4, distribution=distribution, nodes=20)
    import pytensor.tensor as pt

    graph = u.marginal_loglik(pt.as_tensor(eta_d), pt.as_tensor(eta_y), a, y,
                              pt.as_tensor(np.array([0.9, 1.4]))).eval()
    numpy = u.marginal_loglik_numpy(eta_d, eta_y, a, y, (0.9, 1.4))
    np.testing.assert_allclose(graph, numpy, rtol=1e-12)

    def person(i, value):
        pa = expit(eta_d[i] + 0.9 * value)
        py = expit(eta_y[i] + 1.4 * value)
        return (pa if a[i] else 1 - pa) * (py if y[i] else 1 - py)

    for i in range(5):
        if distribution == "normal":
            exact, _ = integrate.quad(lambda v, i=i: person(i, v) * np.exp(-v * v / 2)
                                      / np.sqrt(2 * np.pi), -12, 12)
        else:
            exact = 0.5 * person(i, -1.0) + 0.5 * person(i, 1.0)
        assert numpy[i] == pytest.approx(np.log(exact), rel=1e-6)


@pytest.mark.parametrize(("nodes", "strength", "bound"), [(7, 1.0, 5e-4), (9, 1.5, 3e-3)])
def test_quadrature_accuracy_is_as_documented(nodes, strength, bound):
    eta = np.linspace(-5, 3, 60)
    worst = 0.0
    for a in (0, 1):
        for y in (0, 1):
            args = (eta, eta - 1, np.full(60, a), np.full(60, y), (strength, strength))
            few = LatentConfounder(nodes=nodes).marginal_loglik_numpy(*args)
            ref = LatentConfounder(nodes=40).marginal_loglik_numpy(*args)
            worst = max(worst, np.max(np.abs(np.exp(few - ref) - 1)))
    assert worst < bound


def test_potential_outcomes_reduce_to_the_logistic_without_confounding():
    rng = np.random.default_rng(2)
    base, shift, eta_d = rng.normal(size=(3, 4, 30))
    treated = rng.integers(0, 2, 30)
    p0, p1 = LatentConfounder(0, 0).potential_outcomes(base, shift, eta_d, treated,
                                                       np.zeros((4, 2)))
    np.testing.assert_allclose(p0, expit(base), rtol=1e-12)
    np.testing.assert_allclose(p1, expit(base + shift), rtol=1e-12)


@pytest.mark.parametrize("confounder", [LatentConfounder(0.7, 1.2, nodes=5),
                                        LatentConfounder(0.7, 1.2, distribution="binary",
                                                         prevalence=0.3)])
def test_potential_outcomes_follow_bayes_rule_person_by_person(confounder):
    # reference: for each draw and person, p(u | A) by Bayes' rule over the support,
    # then the employment probability averaged over it (including extreme log-odds,
    # where a naive normalisation would underflow)
    rng = np.random.default_rng(5)
    base, shift, eta_d = rng.normal(size=(3, 3, 12)) * 3
    eta_d[0, :2] = (-800.0, 800.0)
    treated = rng.integers(0, 2, 12)
    strength = rng.uniform(0, 1.5, size=(3, 2))
    nodes, weights = confounder.support()
    p0, p1 = confounder.potential_outcomes(base, shift, eta_d, treated, strength)
    for s in range(3):
        for i in range(12):
            sign = 2 * treated[i] - 1
            log_like = np.log(weights) + log_expit(sign * (eta_d[s, i] + strength[s, 0] * nodes))
            post = np.exp(log_like - log_like.max())
            post /= post.sum()
            want0 = post @ expit(base[s, i] + strength[s, 1] * nodes)
            want1 = post @ expit(base[s, i] + shift[s, i] + strength[s, 1] * nodes)
            np.testing.assert_allclose([p0[s, i], p1[s, i]], [want0, want1], rtol=1e-12)
    prob = confounder.participation_probability(eta_d, strength)
    want = np.array([[weights @ expit(eta_d[s, i] + strength[s, 0] * nodes) for i in range(12)]
                     for s in range(3)])
    np.testing.assert_allclose(prob, want, rtol=1e-12)


def test_participants_are_more_motivated_than_their_controls_suggest():
    # a confounder that raises participation: given A = 1, U is above average, so the
    # employment probability of a participant exceeds that of an identical non-participant
    base = np.zeros((1, 2))
    shift = np.zeros((1, 2))
    eta_d = np.full((1, 2), -2.0)
    p0, _ = LatentConfounder(1.0, 1.0).potential_outcomes(base, shift, eta_d, np.array([1, 0]),
                                                          np.array([[1.0, 1.0]]))
    assert p0[0, 0] > 0.5 > p0[0, 1]


@pytest.mark.parametrize("bad", [{"distribution": "uniform"}, {"nodes": 1},
                                 {"prevalence": 1.0}, {"participation": float("nan")},
                                 {"prior_scale": 0}])
def test_bad_settings_are_refused(bad):
    with pytest.raises(ValueError):
        LatentConfounder(**bad)


def test_a_confounder_needs_the_joint_model(design):
    with pytest.raises(ValueError, match="joint"):
        build_joint_model(design, joint=False, confounder=LatentConfounder(0.5, 0.5))


def test_strengths_with_priors_are_free_variables(design):
    model = build_joint_model(design, confounder=LatentConfounder(None, 0.5))
    names = [v.name for v in model.free_RVs]
    assert "confounder_participation" in names and "confounder_employment" not in names
    assert "confounder_strength" in model.named_vars


def test_model_settings_name_and_refusals():
    import amu_causal as ac

    model = ac.HierarchicalModel(confounder=LatentConfounder(0.5, None))
    assert model.name == "HierarchicalModel[U=0.5, prior]"
    with pytest.raises(ValueError, match="joint"):
        ac.HierarchicalModel(joint=False, confounder=LatentConfounder(0.5, 0.5))
    with pytest.raises(TypeError, match="LatentConfounder"):
        ac.HierarchicalModel(confounder=(0.5, 0.5))


def test_participation_probability_averages_over_u():
    u = LatentConfounder(0.0, 0.0)
    eta = np.array([[-1.0, 0.5]])
    np.testing.assert_allclose(u.participation_probability(eta, np.zeros((1, 2))), expit(eta))
    # a spread in U pulls probabilities toward one half on the log-odds scale's flat side
    spread = u.participation_probability(np.array([[-3.0]]), np.array([[1.5, 0.0]]))
    assert spread[0, 0] > expit(-3.0)
