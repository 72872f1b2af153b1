import os

# pytest -n auto runs one worker per core; OpenMP libraries (scikit-learn's
# gradient boosting inside DoubleML) would start a thread per core in each
# worker on top. Must be set before they are imported.
os.environ.setdefault("OMP_NUM_THREADS", "1")

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
