"""Export rules: suppression, the posterior for export, and the scan of a results folder."""

import json

import arviz as az
import numpy as np
import pandas as pd
import pytest
import xarray as xr

from amu_causal.privacy import (
    PrivacyError,
    check_outputs,
    export_posterior,
    scan_outputs,
    suppress_small_cells,
)


def test_suppression_blanks_small_cells_and_their_complements():
    t = pd.DataFrame({"group": ["a", "b", "c", "d"], "n": [40, 3, 50, 30],
                      "participation_rate": [0.5, 0.0, 0.98, 0.0]})
    out = suppress_small_cells(t, keep=["group"])
    assert out["suppressed"].tolist() == [False, True, True, False]  # 3 people; 49 and 1
    assert out.loc[1, ["n", "participation_rate"]].isna().all()
    assert out["group"].tolist() == ["a", "b", "c", "d"]
    assert suppress_small_cells(t, min_count=1)["suppressed"].sum() == 0
    with pytest.raises(ValueError, match="min_count"):
        suppress_small_cells(t, min_count=0)


def _write_safe_folder(folder):
    table = pd.DataFrame({"group": ["a", "b"], "n": [40, 60], "share": [0.25, 0.5]})
    table.to_csv(folder / "t.csv", index=False)
    (folder / "f.png").write_bytes(b"\x89PNG")
    (folder / "report.md").write_text("| group | n |\n|---|---|\n| a | 40 |\n")
    files = {"t.csv": {}, "f.png": {"source": "t.csv"}, "report.md": {}}
    (folder / "manifest.json").write_text(json.dumps({"files": files}))
    return files


def _relist(folder, files):
    (folder / "manifest.json").write_text(json.dumps({"files": files}))


def test_a_safe_folder_passes(tmp_path):
    _write_safe_folder(tmp_path)
    assert scan_outputs(tmp_path) == []
    check_outputs(tmp_path)


@pytest.mark.parametrize("case", ["small count", "implied count", "person id", "microdata",
                                  "parquet", "unlisted", "figure without source",
                                  "markdown small cell", "many rows"])
def test_the_scan_catches_each_violation(tmp_path, case):
    files = _write_safe_folder(tmp_path)
    if case == "small count":
        pd.DataFrame({"group": ["x"], "n_treated": [2]}).to_csv(tmp_path / "t.csv", index=False)
    elif case == "implied count":
        pd.DataFrame({"n": [100], "participation_rate": [0.03]}).to_csv(tmp_path / "t.csv",
                                                                        index=False)
    elif case == "person id":
        pd.DataFrame({"person_id": ["P1"], "n": [50]}).to_csv(tmp_path / "t.csv", index=False)
    elif case == "microdata":
        pd.DataFrame({"age": [30, 41], "sex": ["male", "female"], "amu": [1, 0]}).to_csv(
            tmp_path / "t.csv", index=False)
    elif case == "parquet":
        (tmp_path / "register.parquet").write_bytes(b"PAR1")
    elif case == "unlisted":
        pd.DataFrame({"n": [50]}).to_csv(tmp_path / "extra.csv", index=False)
    elif case == "figure without source":
        files["f.png"] = {}
        _relist(tmp_path, files)
    elif case == "markdown small cell":
        (tmp_path / "report.md").write_text("text\n\n| group | n |\n|---|---|\n| a | 4 |\n")
    elif case == "many rows":
        pd.DataFrame({"value": np.arange(500)}).to_csv(tmp_path / "t.csv", index=False)
    found = scan_outputs(tmp_path, n_people=1_000)
    assert found, case
    with pytest.raises(PrivacyError, match="export violation"):
        check_outputs(tmp_path, n_people=1_000)


def _idata(n_people=300):
    draws = {"chain": [0, 1], "draw": np.arange(4)}
    posterior = xr.Dataset(
        {"intercept": (("chain", "draw"), np.zeros((2, 4))),
         "municipality_z": (("chain", "draw", "municipality"), np.zeros((2, 4, 3))),
         "eta": (("chain", "draw", "person"), np.zeros((2, 4, 20_000)))},
        coords={**draws, "municipality": [101, 147, 400]})
    estimands = xr.Dataset(
        {"ATE": (("chain", "draw"), np.zeros((2, 4))),
         "effect_sum_untreated": (("chain", "draw", "municipality"), np.zeros((2, 4, 3)))},
        coords={**draws, "municipality": [101, 147, 400]})
    stats = xr.Dataset({"diverging": (("chain", "draw"), np.zeros((2, 4), dtype=bool)),
                        "unconstrained_draw": (("chain", "draw", "k"), np.zeros((2, 4, 5)))},
                       coords=draws)
    observed = xr.Dataset({"employed": (("obs",), np.zeros(n_people))})
    return az.InferenceData(posterior=posterior, estimands=estimands, sample_stats=stats,
                            observed_data=observed)


def test_export_posterior_drops_data_and_small_municipalities(tmp_path):
    idata = _idata()
    raw = tmp_path / "raw.nc"
    idata.to_netcdf(str(raw))
    (tmp_path / "manifest.json").write_text(json.dumps({"files": {"raw.nc": {}}}))
    rules = {v.detail.split()[0] for v in scan_outputs(tmp_path)}
    assert "group" in rules  # observed_data
    safe = export_posterior(idata, municipality_n=pd.Series({101: 50, 147: 3, 400: 12}))
    assert "observed_data" not in safe.groups()
    assert "eta" not in safe.posterior and "effect_sum_untreated" not in safe.estimands
    assert list(safe.posterior["municipality"].values) == [101, 400]
    assert list(safe.sample_stats.data_vars) == ["diverging"]
    raw.unlink()
    safe.to_netcdf(str(tmp_path / "safe.nc"))
    (tmp_path / "manifest.json").write_text(json.dumps({"files": {"safe.nc": {}}}))
    assert scan_outputs(tmp_path) == []


def test_secondary_suppression_hides_a_cell_recoverable_by_subtraction():
    t = pd.DataFrame({"year": [2010] * 3 + [2011] * 3, "sex": ["male", "female", "all"] * 2,
                      "n": [40, 3, 43, 30, 35, 65]})
    plain = suppress_small_cells(t, keep=["year", "sex"])
    assert plain["suppressed"].tolist() == [False, True, False, False, False, False]
    out = suppress_small_cells(t, keep=["year", "sex"], within="year", parts=t["sex"] != "all")
    # 43 - 40 would give the 3 women away: the men of 2010 go too; the totals stay
    assert out["suppressed"].tolist() == [True, True, False, False, False, False]
    areas = pd.DataFrame({"area": list("abcd"), "people": [50, 2, 30, 9]})
    hidden = suppress_small_cells(areas, keep=["area"], within=True)
    assert hidden["suppressed"].tolist() == [False, True, False, True]  # b, and the smallest


def _result_with_small_municipality():
    from amu_causal.results import BayesianResult

    effects = pd.DataFrame({"estimator": ["m"], "estimand": ["ATE"], "estimate": [0.05],
                            "std_error": [0.01], "ci_lower": [0.03], "ci_upper": [0.07],
                            "level": [0.95], "p_positive": [1.0]})
    municipal = pd.DataFrame({"municipality": [101, 147, 400], "name": ["a", "b", "c"],
                              "n": [50, 40, 12], "n_treated": [10, 2, 0],
                              "raw_difference": [0.1, 0.4, np.nan],
                              "estimate": [0.05, 0.07, 0.04]})
    participation = pd.DataFrame({"municipality": [101, 147, 400], "n": [50, 40, 12],
                                  "participation_raw": [0.2, 0.05, 0.0],
                                  "estimate": [0.2, 0.06, 0.01]})
    return BayesianResult("m", effects, n=102, idata=_idata(),
                        tables={"municipality_effects": municipal,
                                "participation": participation})


def test_the_scan_reads_the_tables_inside_a_saved_result(tmp_path):
    result = _result_with_small_municipality()
    result.save(tmp_path / "fit.nc", export_safe=False)
    (tmp_path / "manifest.json").write_text(json.dumps({"files": {"fit.nc": {}}}))
    found = [str(v) for v in scan_outputs(tmp_path)]
    assert any("table_municipality_effects" in f and "n_treated = 2" in f for f in found)
    assert any("table_participation" in f and "participation_raw" in f for f in found)
    assert any("effect_sum" in f for f in found)

    result.save(tmp_path / "fit.nc")  # export-safe, the default
    assert scan_outputs(tmp_path) == []
    from amu_causal.results import CausalResult

    loaded = CausalResult.load(tmp_path / "fit.nc")
    muni = loaded.table("municipality_effects").set_index("municipality")
    assert muni.loc[147, ["n", "n_treated", "estimate"]].isna().all()
    assert muni.loc[[101, 400], "n"].tolist() == [50, 12]
    assert muni["raw_difference"].isna().all()  # no register given: nothing could be checked
    assert loaded.table("participation").set_index("municipality").loc[147].drop(
        "suppressed").isna().all()
    assert list(loaded.idata.posterior["municipality"].values) == [101, 400]


def test_the_complement_of_a_part_count_is_a_small_cell_too():
    t = pd.DataFrame({"municipality": [1, 2], "n": [50, 50], "n_treated": [48, 20]})
    assert suppress_small_cells(t, keep=["municipality"])["suppressed"].tolist() == [True, False]
