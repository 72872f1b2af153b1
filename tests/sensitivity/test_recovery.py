"""On a register with known confounding, the latent model at the true strengths recovers the truth.

The simulator's U loads 0.6 x ``confounding`` on the participation and employment
log-odds. Here U acts only through those two (its loadings on early employment and
education are set to zero), so the latent model at the true strengths is correctly
specified, while the plain model is confounded.
"""

import warnings

import pytest

import amu_causal as ac
from amu_causal.models import LatentConfounder

CONFOUNDING = 2.0
N = 12_000


@pytest.mark.slow
def test_true_strengths_cover_the_truth_and_the_naive_model_does_not():
    params = ac.SimulationParameters(confounding=CONFOUNDING, u_attachment=0.0,
                                     u_education=0.0)
    df, truth = ac.simulate_register(n=N, seed=7, params=params)
    lam = 0.6 * CONFOUNDING
    # the package's default chain lengths: with 400 draws after 400 warm-up
    # some hyperparameter had not mixed under this strong confounder (R-hat 1.2)
    settings = {"draws": 1000, "tune": 1000, "random_seed": 1, "progressbar": False}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        naive = ac.HierarchicalModel(**settings).fit(df)
        adjusted = ac.HierarchicalModel(confounder=LatentConfounder(lam, lam, nodes=15),
                                        **settings).fit(df)
    naive_ate = naive.effects().set_index("estimand").loc["ATE"]
    ate = adjusted.effects().set_index("estimand").loc["ATE"]
    assert naive_ate["ci_lower"] > truth.ate, (naive_ate.to_dict(), truth.ate)
    assert ate["ci_lower"] <= truth.ate <= ate["ci_upper"], (ate.to_dict(), truth.ate)
    assert adjusted.diagnostics()["r_hat"].max() < 1.05
