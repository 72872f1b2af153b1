"""The latent-confounder grid: cells, resume, tipping points, plots, benchmarks."""

import shutil

import numpy as np
import pandas as pd
import pytest

import amu_causal as ac
from amu_causal.sensitivity import LatentGridResult, latent_confounder_grid
from amu_causal.sensitivity.latent import _cells, _crossing
from amu_causal.validation import StudyMismatchError

# The cells' chains are short for speed; they are not refitted (refits: tests/test_engine.py)
SHORT = ac.HierarchicalModel(progressbar=False, refits=0)


@pytest.fixture(scope="module")
def grid_run(tmp_path_factory):
    df, _ = ac.simulate_register(n=2_500, seed=3)
    path = tmp_path_factory.mktemp("grid") / "cells"
    grid = latent_confounder_grid(df, (0.0, 1.0), (0.0, 1.0), draws=100, tune=100,
                                  model=SHORT,
                                  directory=path, progress=False, random_seed=5)
    return df, grid, path


@pytest.mark.slow
def test_grid_has_every_cell_and_estimand(grid_run):
    _, grid, _ = grid_run
    table = grid.table("ATE")
    assert sorted(zip(table["participation"], table["employment"], strict=True)) == [
        (0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (1.0, 1.0)]
    assert set(grid.grid["estimand"]) == {"ATE", "ATT", "ATE[attachment=none]"}
    assert (table["ci_lower"] <= table["estimate"]).all()
    assert {"r_hat", "ess_bulk", "max_r_hat", "min_ess_bulk", "divergences",
            "seconds"} <= set(table.columns)
    assert (table["r_hat"] <= table["max_r_hat"]).all()


@pytest.mark.slow
def test_a_confounder_raising_both_lowers_the_effect(grid_run):
    _, grid, _ = grid_run
    surface = grid.surface("estimate")
    assert surface.loc[1.0, 1.0] < surface.loc[0.0, 0.0]


@pytest.mark.slow
def test_resume_reads_finished_cells_without_sampling(grid_run, monkeypatch):
    df, grid, path = grid_run

    def fail(*args, **kwargs):
        raise AssertionError("a finished cell was sampled again")

    monkeypatch.setattr("amu_causal.sensitivity.latent._fit_cell", fail)
    again = latent_confounder_grid(df, (0.0, 1.0), (0.0, 1.0), draws=100, tune=100,
                                   model=SHORT,
                                   directory=path, progress=False, random_seed=5)
    cols = ["participation", "employment", "estimate", "ci_lower", "ci_upper"]
    pd.testing.assert_frame_equal(again.grid[cols], grid.grid[cols], check_exact=False,
                                  rtol=1e-12)
    assert list(again.benchmarks["benchmark"]) == list(grid.benchmarks["benchmark"])


@pytest.mark.slow
def test_an_interrupted_grid_samples_only_the_missing_cell_and_keeps_benchmarks(grid_run,
                                                                               tmp_path,
                                                                               monkeypatch):
    df, grid, path = grid_run
    partial = tmp_path / "partial"
    shutil.copytree(path, partial)
    (partial / "replications" / "rep-000003.parquet").unlink()  # stopped before cell (1, 1)
    from amu_causal.sensitivity import latent

    fitted = []

    def counting(cell):
        fitted.append(cell.strengths)
        return fit_cell(cell)

    fit_cell = latent._fit_cell
    monkeypatch.setattr(latent, "_fit_cell", counting)
    resumed = latent_confounder_grid(df, (0.0, 1.0), (0.0, 1.0), draws=100, tune=100,
                                     model=SHORT,
                                     directory=partial, progress=False, random_seed=5)
    assert fitted == [(1.0, 1.0)]
    assert len(resumed.table("ATE")) == 4
    assert (partial / "replications" / "rep-000003.parquet").exists()
    assert list(resumed.benchmarks["benchmark"]) == list(grid.benchmarks["benchmark"])
    kept = resumed.table("ATE").set_index(["participation", "employment"])
    first = grid.table("ATE").set_index(["participation", "employment"])
    assert kept.loc[(0.0, 0.0), "estimate"] == pytest.approx(first.loc[(0.0, 0.0), "estimate"])
    # the missing cell, sampled alone on resume, has the seed it had in the full run
    # (random_seed + its position), so it reproduces the full run's posterior
    assert kept.loc[(1.0, 1.0), "estimate"] == pytest.approx(first.loc[(1.0, 1.0), "estimate"],
                                                             rel=1e-9)


@pytest.mark.slow
def test_a_store_of_other_settings_is_refused(grid_run):
    df, _, path = grid_run
    with pytest.raises(StudyMismatchError, match="another study"):
        latent_confounder_grid(df, (0.0,), (0.0,), draws=50, tune=50, model=SHORT, directory=path,
                               progress=False)


@pytest.mark.slow
def test_benchmarks_and_plots(grid_run):
    _, grid, _ = grid_run
    b = grid.benchmarks.set_index("benchmark")
    assert list(b.index) == ["months_employed", "education", "sex"]
    assert (b > 0).all().all()
    # early employment is the strongest predictor of employment two years out
    assert b.loc["months_employed", "employment"] == b["employment"].max()
    for quantity in ("estimate", "p_positive"):
        ax = grid.plot_contour(quantity)
        assert "participation" in ax.get_xlabel()
    assert "latent confounder" in grid.summary() or "Without" in grid.summary()


def test_tipping_points_on_a_hand_made_grid():
    rows = []
    for d in (0.0, 0.5, 1.0):
        for y in (0.0, 0.5, 1.0):
            est = 0.05 - 0.04 * (d + y)
            rows.append({"participation": d, "employment": y, "estimand": "ATE",
                         "estimate": est, "p_positive": 1.0 if est > 0.01 else 0.5})
    result = LatentGridResult(grid=pd.DataFrame(rows), benchmarks=pd.DataFrame(
        columns=["benchmark", "participation", "employment"]))
    tips = result.tipping_points().set_index("participation")
    assert np.isnan(tips.loc[0.0, "employment_at_zero"])  # never reaches zero in the grid
    assert tips.loc[0.5, "employment_at_zero"] == pytest.approx(0.75)
    assert tips.loc["diagonal", "employment_at_zero"] == pytest.approx(0.625)


def test_crossing_and_cell_order():
    assert _crossing([0, 1, 2], [1.0, 0.5, -0.5], 0.0) == pytest.approx(1.5)
    assert np.isnan(_crossing([0, 1], [1.0, 0.5], 0.0))
    assert _crossing([0, 1], [-1.0, -2.0], 0.0) == 0.0
    cells = _cells([0, 1, 2], [0, 1])
    assert cells == [(0, 0), (1, 0), (2, 0), (0, 1), (1, 1), (2, 1)]


def test_grid_refuses_other_samplers():
    df, _ = ac.simulate_register(n=300, seed=1)
    with pytest.raises(ValueError, match="nutpie"):
        latent_confounder_grid(df, model=ac.HierarchicalModel(sampler="pymc"))


def _fake_posterior(design, coefficient: float):
    """A one-draw posterior with months employed the only nonzero employment term."""
    import xarray as xr

    j = design.numeric_names.index("months_employed")
    coef = np.zeros(len(design.numeric_names))
    coef[j] = coefficient
    data = {"intercept": (("chain", "draw", "part"), np.zeros((1, 1, 2))),
            "employment_numeric_coef": (("chain", "draw", "numeric"), coef[None, None]),
            "participation_numeric_coef": (("chain", "draw", "numeric"), coef[None, None]),
            "attachment_effect": (("chain", "draw", "contrast"), np.zeros((1, 1, 3)))}
    for name, levels in design.factor_levels.items():
        for part in ("employment", "participation"):
            data[f"{part}_{name}_effect"] = (("chain", "draw", f"level_{name}"),
                                             np.zeros((1, 1, len(levels))))
    return xr.Dataset(data)


def test_benchmark_strength_uses_the_part_not_explained_by_other_covariates():
    """As Cinelli and Hazlett: months employed correlates with the other controls and
    municipality, U does not, so only its residual variation is comparable."""
    from amu_causal.models import build_design
    from amu_causal.sensitivity import confounder_benchmarks

    df, _ = ac.simulate_register(n=3_000, seed=4)
    design = build_design(df)
    table = confounder_benchmarks(_fake_posterior(design, 0.8), design, ("months_employed",))
    x = design.numeric[:, design.numeric_names.index("months_employed")]
    marginal = 0.8 * x.std()
    # by hand: municipality fixed effects and the other controls partialled out
    others = np.column_stack([design.X[:, j] for j, c in enumerate(design.controls)
                              if c != "months_employed"]
                             + [pd.get_dummies(design.municipality_index).to_numpy(float)])
    coef, *_ = np.linalg.lstsq(others, x, rcond=None)
    partial = 0.8 * (x - others @ coef).std()
    got = table.set_index("benchmark").loc["months_employed"]
    assert got["participation"] == pytest.approx(partial, rel=1e-6)
    assert partial < 0.97 * marginal  # the old marginal SD overstated it


@pytest.mark.slow
def test_the_grid_on_a_dask_cluster_gives_the_numbers_of_one_process(grid_run, tmp_path):
    from dask.distributed import Client, LocalCluster

    df, grid, _ = grid_run
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        remote = latent_confounder_grid(df, (0.0, 1.0), (0.0, 1.0), draws=100, tune=100,
                                        model=SHORT,
                                        directory=tmp_path / "dask", progress=False,
                                        random_seed=5, executor=client.get_executor())
    numbers = [c for c in grid.grid.columns if c != "seconds"]
    pd.testing.assert_frame_equal(remote.grid[numbers], grid.grid[numbers])
    pd.testing.assert_frame_equal(remote.benchmarks, grid.benchmarks)


@pytest.mark.slow
def test_no_benchmarks_and_a_store_of_another_level_is_refused(grid_run, tmp_path):
    df, _, path = grid_run
    one = latent_confounder_grid(df, (0.0,), (0.0,), draws=50, tune=50, model=SHORT, benchmarks=(),
                                 directory=tmp_path / "one", progress=False, random_seed=5)
    assert list(one.benchmarks.columns) == ["benchmark", "participation", "employment"]
    assert one.benchmarks.empty and len(one.table("ATE")) == 1
    # the interval level changes the stored intervals, so it is part of the store's key
    with pytest.raises(StudyMismatchError):
        latent_confounder_grid(df, (0.0, 1.0), (0.0, 1.0), draws=100, tune=100,
                               model=ac.HierarchicalModel(level=0.9, progressbar=False, refits=0),
                               directory=path, progress=False, random_seed=5)
