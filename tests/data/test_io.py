"""Loading and writing register files."""

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import amu_causal as ac
from amu_causal.data import COLUMNS

FIXTURES = Path(__file__).parent / "fixtures"


def _assert_same_register(loaded: pd.DataFrame, original: pd.DataFrame) -> None:
    expected = ac.validate_register(original)
    for spec in COLUMNS:
        left, right = loaded[spec.name], expected[spec.name]
        if spec.kind == "category":
            left, right = left.astype(object), right.astype(object)
        if spec.kind == "id":
            left, right = left.astype("int64"), right.astype("int64")
        pd.testing.assert_series_equal(left.reset_index(drop=True), right.reset_index(drop=True),
                                       check_names=False, obj=spec.name)


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".dta"])
def test_round_trip(tmp_path, register, suffix):
    path = ac.write_register(register, tmp_path / f"cohort{suffix}")
    _assert_same_register(ac.load_register(path), register)


def test_sas7bdat_fixture_round_trip():
    """The committed SAS file was written from simulate_register(n=60, seed=7)."""
    original, _ = ac.simulate_register(n=60, seed=7)
    _assert_same_register(ac.load_register(FIXTURES / "register_small.sas7bdat"), original)


def test_sas7bdat_with_numeric_codes_and_recode():
    original, _ = ac.simulate_register(n=60, seed=7)
    recode = {
        spec.name: dict(enumerate(original[spec.name].cat.categories))
        for spec in COLUMNS
        if spec.kind == "category"
    }
    loaded = ac.load_register(FIXTURES / "register_small_codes.sas7bdat", recode=recode)
    _assert_same_register(loaded, original)


def test_sas7bdat_codes_without_recode_name_the_fix():
    with pytest.raises(ac.RegisterDataError, match="recode"):
        ac.load_register(FIXTURES / "register_small_codes.sas7bdat")


@pytest.mark.skipif(shutil.which("readstat") is None, reason="readstat command not installed")
def test_sas7bdat_live_round_trip(tmp_path, register):
    text = register.copy()
    for column in text.select_dtypes("category"):
        text[column] = text[column].astype(object).fillna("").astype(str)
    dta = ac.write_register(text, tmp_path / "r.dta")
    sas = tmp_path / "r.sas7bdat"
    subprocess.run(["readstat", str(dta), str(sas)], check=True, capture_output=True)
    _assert_same_register(ac.load_register(sas), register)


def test_column_mapping(tmp_path, register):
    own = register.rename(columns={"sex": "KOEN", "municipality": "KOM", "amu": "AMU_DELT"})
    path = ac.write_register(own, tmp_path / "own.parquet")
    mapping = {"KOEN": "sex", "KOM": "municipality", "AMU_DELT": "amu"}
    _assert_same_register(ac.load_register(path, columns=mapping), register)


def test_mapping_to_missing_source_column(tmp_path, register):
    path = ac.write_register(register.rename(columns={"sex": "KOEN"}), tmp_path / "r.parquet")
    with pytest.raises(ac.RegisterDataError) as info:
        ac.load_register(path, columns={"KOEN_X": "sex"})
    assert "KOEN_X" in str(info.value)
    assert "not a column of the file" in str(info.value)
    assert "KOEN" in str(info.value)  # close match suggested


def test_mapping_to_unknown_canonical_name(tmp_path, register):
    path = ac.write_register(register.rename(columns={"sex": "KOEN"}), tmp_path / "r.parquet")
    with pytest.raises(ac.RegisterDataError, match="not a canonical column; did you mean"):
        ac.load_register(path, columns={"KOEN": "sexx"})


def test_mapping_two_sources_to_one_target(tmp_path, register):
    own = register.rename(columns={"sex": "KOEN"}).assign(GENDER=register["sex"])
    path = ac.write_register(own, tmp_path / "r.parquet")
    with pytest.raises(ac.RegisterDataError, match="target of several columns"):
        ac.load_register(path, columns={"KOEN": "sex", "GENDER": "sex"})


def test_mapping_that_would_overwrite_a_column(tmp_path, register):
    own = register.assign(KOEN=register["sex"])
    path = ac.write_register(own, tmp_path / "r.parquet")
    with pytest.raises(ac.RegisterDataError, match="would be overwritten"):
        ac.load_register(path, columns={"KOEN": "sex"})


def test_recode_numeric_codes(tmp_path, register):
    coded = register.copy()
    coded["sex"] = np.where(register["sex"] == "male", 1, 2)
    path = ac.write_register(coded, tmp_path / "r.csv")
    loaded = ac.load_register(path, recode={"sex": {"1": "male", "2": "female"}})
    assert (loaded["sex"].astype(str) == register["sex"].astype(str)).all()


def test_recode_unknown_column(tmp_path, register):
    path = ac.write_register(register, tmp_path / "r.csv")
    with pytest.raises(ac.RegisterDataError, match="named in recode"):
        ac.load_register(path, recode={"gender": {1: "male"}})


def test_semicolon_csv(tmp_path, register):
    path = tmp_path / "danish.csv"
    register.to_csv(path, sep=";", index=False)
    _assert_same_register(ac.load_register(path), register)


def test_unsupported_suffix(tmp_path):
    path = tmp_path / "cohort.xlsx"
    path.write_bytes(b"not really")
    with pytest.raises(ac.RegisterFileError, match=r"not supported.*Supported: \.csv"):
        ac.load_register(path)


def test_missing_file(tmp_path):
    with pytest.raises(ac.RegisterFileError, match="does not exist"):
        ac.load_register(tmp_path / "nowhere.parquet")


def test_folder_instead_of_file(tmp_path):
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    with pytest.raises(ac.RegisterFileError, match="is a folder"):
        ac.load_register(folder)


@pytest.mark.parametrize("suffix", [".parquet", ".dta", ".sas7bdat"])
def test_unreadable_file(tmp_path, suffix):
    path = tmp_path / f"broken{suffix}"
    path.write_bytes(b"\x00\x01 this is not a register file")
    with pytest.raises(ac.RegisterFileError, match="cannot read"):
        ac.load_register(path)


def test_truncated_parquet(tmp_path, register):
    path = ac.write_register(register, tmp_path / "r.parquet")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ac.RegisterFileError, match="complete"):
        ac.load_register(path)


def test_load_with_drop_incomplete(tmp_path, register):
    register["age"] = register["age"].astype(float)
    register.loc[register.index[:5], "age"] = np.nan
    path = ac.write_register(register, tmp_path / "r.parquet")
    with pytest.raises(ac.RegisterDataError, match="missing values"):
        ac.load_register(path)
    with pytest.warns(ac.RegisterDataWarning, match="dropped 5 of"):
        loaded = ac.load_register(path, drop_incomplete=True)
    assert len(loaded) == len(register) - 5


def test_load_without_validation_returns_raw(tmp_path, register):
    path = ac.write_register(register.assign(age=99), tmp_path / "r.parquet")
    raw = ac.load_register(path, validate=False)
    assert (raw["age"] == 99).all()


def test_write_unsupported_suffix(tmp_path, register):
    with pytest.raises(ac.RegisterFileError, match="cannot write"):
        ac.write_register(register, tmp_path / "r.sas7bdat")


def test_write_is_atomic(tmp_path, register, monkeypatch):
    path = ac.write_register(register, tmp_path / "r.parquet")
    before = path.read_bytes()

    def explode(self, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(pd.DataFrame, "to_parquet", explode)
    with pytest.raises(KeyboardInterrupt):
        ac.write_register(register.head(5), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["r.parquet"]


def test_read_column_mapping_forms(tmp_path):
    plain = tmp_path / "plain.json"
    plain.write_text(json.dumps({"KOEN": "sex"}))
    assert ac.read_column_mapping(plain) == {"columns": {"KOEN": "sex"}, "recode": {}}
    full = tmp_path / "full.json"
    full.write_text(json.dumps({"columns": {"KOEN": "sex"}, "recode": {"sex": {"1": "male"}}}))
    assert ac.read_column_mapping(full)["recode"] == {"sex": {"1": "male"}}
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(ac.RegisterFileError, match="not valid JSON"):
        ac.read_column_mapping(broken)
    with pytest.raises(ac.RegisterFileError, match="does not exist"):
        ac.read_column_mapping(tmp_path / "none.json")
