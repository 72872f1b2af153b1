import matplotlib
import pytest

import amu_causal as ac

matplotlib.use("Agg")


@pytest.fixture(scope="session")
def small_register():
    """A 2,000-person synthetic register and its truth (do not modify: copy first)."""
    return ac.simulate_register(n=2_000, seed=11)


@pytest.fixture
def register(small_register):
    """A fresh copy of the small register, safe to modify."""
    return small_register[0].copy()
