"""The shared-data model used to fit many registers with one compilation."""

import numpy as np
import pytensor
import pytest
from pytensor.graph.traversal import ancestors

import amu_causal as ac
from amu_causal.models import build_design
from amu_causal.models.confounder import LatentConfounder
from amu_causal.validation.compiled import padded_design, share_design_data

N = 600  # large enough that every factor level occurs in both registers


@pytest.fixture(scope="module")
def designs():
    a = padded_design(build_design(ac.simulate_register(n=N, seed=1, confounding=0.0)[0]))
    b = padded_design(build_design(ac.simulate_register(n=N, seed=2, confounding=0.0)[0]))
    return a, b


def test_padded_design_keeps_each_persons_municipality():
    df, _ = ac.simulate_register(n=300, seed=3)
    design = build_design(df)
    padded = padded_design(design)
    assert len(padded.municipalities) == 98 > len(design.municipalities)
    codes = np.asarray(padded.municipalities)[padded.municipality_index]
    assert np.array_equal(codes, df["municipality"].to_numpy())
    assert padded_design(padded) is padded


@pytest.mark.parametrize("confounder", [None, LatentConfounder(0.5, 0.8, distribution="binary")],
                         ids=["plain", "latent"])
def test_shared_model_with_other_data_has_that_datas_log_density(designs, confounder):
    a, b = designs
    model = ac.HierarchicalModel(confounder=confounder)
    shared = share_design_data(model.build_from_design(a), a)
    direct_b = model.build_from_design(b)
    assert ({v.name for v in shared.model.deterministics}
            == {v.name for v in direct_b.deterministics})
    assert ({v.name for v in shared.model.free_RVs} == {v.name for v in direct_b.free_RVs})
    values = shared.data_for(b)
    assert {"data_treatment", "data_outcome", "data_numeric", "data_municipality_index"} <= {
        name.rsplit("_", 1)[0] for name in values}
    variables = {v.name: v for v in ancestors([shared.model.logp()])
                 if isinstance(v, pytensor.compile.sharedvalue.SharedVariable)}
    for name, value in values.items():
        variables[name].set_value(value)
    rng = np.random.default_rng(0)
    point = {k: v + 0.3 * rng.standard_normal(np.shape(v))
             for k, v in direct_b.initial_point(0).items()}
    got = shared.model.compile_logp()(point)
    assert got == pytest.approx(direct_b.compile_logp()(point), rel=1e-10)
    assert got != pytest.approx(model.build_from_design(a).compile_logp()(point), rel=1e-6)


def test_data_of_another_shape_is_refused(designs):
    a, _ = designs
    shared = share_design_data(ac.HierarchicalModel().build_from_design(a), a)
    other = padded_design(build_design(ac.simulate_register(n=N + 10, seed=1)[0]))
    with pytest.raises(ValueError, match="shape"):
        shared.data_for(other)


def test_a_model_with_mundlak_terms_is_refused(designs):
    a, _ = designs
    model = ac.HierarchicalModel(mundlak=True).build_from_design(a)
    with pytest.raises(ValueError, match="Mundlak"):
        share_design_data(model, a)
