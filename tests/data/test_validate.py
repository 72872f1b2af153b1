"""Validation: every malformed input gets a RegisterDataError naming the problem."""

import numpy as np
import pandas as pd
import pytest

import amu_causal as ac
from amu_causal.data import COLUMNS


def _set(column, value, rows=slice(0, 3)):
    def mutate(df):
        df = df.copy()
        if df[column].dtype.name == "category" or df[column].dtype == "int64":
            df[column] = df[column].astype(object)
        df.iloc[rows, df.columns.get_loc(column)] = value
        return df

    return mutate


def _first_treated(value):
    def mutate(df):
        df = df.copy()
        df["amu_area"] = df["amu_area"].astype(object)
        idx = df.index[df["amu"] == 1][:2]
        df.loc[idx, "amu_area"] = value
        return df

    return mutate


def _first_untreated_area(df):
    df = df.copy()
    df["amu_area"] = df["amu_area"].astype(object)
    df.loc[df.index[df["amu"] == 0][:4], "amu_area"] = "food"
    return df


def _duplicate_ids(df):
    df = df.copy()
    df.loc[df.index[1], "person_id"] = df.loc[df.index[0], "person_id"]
    return df


def _all(column, value):
    def mutate(df):
        df = df.copy()
        df[column] = value
        if column == "amu":
            df["amu_area"] = "food" if value == 1 else np.nan
        return df

    return mutate


def _drop(column):
    return lambda df: df.drop(columns=column)


def _attachment_by_hand(df):
    df = df.copy()
    df["attachment"] = "none"
    return df


def _duplicate_column(df):
    return pd.concat([df, df[["age"]]], axis=1)


CASES = {
    # missing columns
    "missing amu": (_drop("amu"), "amu", "required column is missing"),
    "missing outcome": (_drop("employed_2y"), "employed_2y", "required column is missing"),
    "missing municipality": (_drop("municipality"), "municipality", "missing"),
    "missing person_id": (_drop("person_id"), "person_id", "required column is missing"),
    # wrong types
    "age as text": (_set("age", "thirty"), "age", "not numbers"),
    "fractional age": (_set("age", 30.5), "age", "not whole numbers"),
    "months as text": (_set("months_employed", "n/a"), "months_employed", "not numbers"),
    # ranges
    "age too young": (_set("age", 17), "age", "outside the allowed range"),
    "age too old": (_set("age", 61), "age", "outside the allowed range"),
    "month 13": (_set("permit_month", 13), "permit_month", "outside the allowed range"),
    "month 0": (_set("permit_month", 0), "permit_month", "outside the allowed range"),
    "months employed 25": (_set("months_employed", 25), "months_employed", "outside"),
    "negative months employed": (_set("months_employed", -1), "months_employed", "outside"),
    "negative children": (_set("n_children", -2), "n_children", "outside"),
    "treatment coded 2": (_set("amu", 2), "amu", "must be 0 or 1"),
    "outcome coded 1/2": (_set("employed_2y", 2), "employed_2y", "must be 0 or 1"),
    "implausible year": (_set("permit_year", 1890), "permit_year", "outside"),
    "started_education 3": (_set("started_education", 3), "started_education", "0 or 1"),
    # missing values
    "NaN treatment": (_set("amu", np.nan), "amu", "missing values"),
    "NaN outcome": (_set("employed_2y", np.nan), "employed_2y", "missing values"),
    "NaN sex": (_set("sex", np.nan), "sex", "missing values"),
    "missing person id": (_set("person_id", None), "person_id", "missing values"),
    # labels
    "sex coded 1/2": (_set("sex", "1"), "sex", "outside the allowed labels"),
    "unknown education": (_set("education", "phd"), "education", "allowed labels"),
    "unknown residence basis": (_set("residence_basis", "asylum"), "residence_basis", "labels"),
    "unknown family type": (_set("family_type", "other"), "family_type", "labels"),
    "unknown amu area": (_first_treated("welding"), "amu_area", "allowed labels"),
    # relations
    "amu_area missing for participant": (_first_treated(np.nan), "amu_area", "amu == 1"),
    "amu_area for non-participant": (_first_untreated_area, "amu_area", "amu == 0"),
    "duplicate person ids": (_duplicate_ids, "person_id", "not unique"),
    "unknown municipality": (_set("municipality", 999), "municipality", "98 municipalities"),
    "old municipality code": (_set("municipality", 1), "municipality", "98 municipalities"),
    "everyone treated": (_all("amu", 1), "amu", "no variation"),
    "no one treated": (_all("amu", 0), "amu", "no variation"),
    "outcome constant": (_all("employed_2y", 0), "employed_2y", "no variation"),
    "hand-made attachment": (_attachment_by_hand, "attachment", "disagrees"),
    "duplicate column": (_duplicate_column, "age", "more than once"),
}


@pytest.mark.parametrize("mutate, column, rule", CASES.values(), ids=list(CASES))
def test_malformed_input_is_named(register, mutate, column, rule):
    bad = mutate(register)
    with pytest.raises(ac.RegisterDataError) as info:
        ac.validate_register(bad)
    problems = [p for p in info.value.problems if p.column == column]
    assert problems, f"no problem reported for {column}: {info.value}"
    assert any(rule in p.rule for p in problems), str(info.value)
    assert column in str(info.value)


def test_row_level_problems_count_rows_and_name_first_ids(register):
    register = register.assign(person_id=register["person_id"] + 70_000)
    bad = _set("age", 99, rows=slice(5, 12))(register)
    with pytest.raises(ac.RegisterDataError) as info:
        ac.validate_register(bad)
    (problem,) = info.value.problems
    assert problem.n_rows == 7
    assert problem.example_ids == tuple(register["person_id"].iloc[5:10])
    assert problem.example_rows == (6, 7, 8, 9, 10)
    # messages show row numbers, never person ids (they may be copied out of the server)
    assert "first rows: 6, 7, 8, 9, 10" in str(problem)
    assert "70006" not in str(problem) and "person_id" not in str(problem)
    assert problem.fix


def test_every_problem_is_listed_at_once(register):
    bad = register.drop(columns="sex")
    bad = _set("age", 70)(bad)
    bad = _set("permit_month", 14)(bad)
    bad = _duplicate_ids(bad)
    with pytest.raises(ac.RegisterDataError) as info:
        ac.validate_register(bad)
    columns = {p.column for p in info.value.problems}
    assert {"sex", "age", "permit_month", "person_id"} <= columns
    table = info.value.to_frame()
    assert set(table.columns) == {"column", "rule", "n_rows", "example_ids", "example_rows",
                                  "fix"}


def test_empty_frame(register):
    with pytest.raises(ac.RegisterDataError, match="has no rows"):
        ac.validate_register(register.iloc[:0])


def test_not_a_frame():
    with pytest.raises(TypeError, match="load_register"):
        ac.validate_register({"amu": [0, 1]})


def test_valid_register_canonical_form(register):
    register["my_extra"] = 1.5
    shuffled = register.sample(frac=1.0, random_state=0)
    out = ac.validate_register(shuffled)
    assert len(out) == len(shuffled)
    assert out.index.equals(shuffled.index)
    assert (out["my_extra"] == 1.5).all()
    for spec in COLUMNS:
        if spec.kind in ("integer", "binary"):
            assert out[spec.name].dtype == "int64", spec.name
        if spec.kind == "category" and spec.allowed:
            assert list(out[spec.name].cat.categories) == list(spec.allowed)
    expected = ac.attachment_group(shuffled["months_employed"].to_numpy())
    assert (out["attachment"].astype(str).to_numpy() == np.asarray(expected.astype(str))).all()


def test_lossless_coercion_from_floats_and_text(register):
    loose = register.copy()
    loose["age"] = loose["age"].astype(float)
    loose["amu"] = loose["amu"].astype(bool)
    loose["sex"] = " " + loose["sex"].astype(str) + " "
    out = ac.validate_register(loose)
    assert out["age"].equals(register["age"])
    assert out["amu"].equals(register["amu"])
    assert (out["sex"].astype(str) == register["sex"].astype(str)).all()


def test_validate_does_not_modify_input(register):
    before = register.copy()
    ac.validate_register(register)
    pd.testing.assert_frame_equal(register, before)


def test_drop_incomplete_rows_reports_and_warns(register):
    register["age"] = register["age"].astype(float)
    register.loc[register.index[:4], "age"] = np.nan
    register.loc[register.index[2:6], "education"] = np.nan
    with pytest.warns(ac.RegisterDataWarning, match="dropped 6 of 2,000 rows"):
        kept, report = ac.drop_incomplete_rows(register)
    assert len(kept) == 1_994
    counts = dict(zip(report["column"], report["n_missing"], strict=True))
    assert counts == {"age": 4, "education": 4, "<any>": 6}
    ac.validate_register(kept)


def test_drop_incomplete_rows_keeps_amu_area_missing(register):
    kept, report = ac.drop_incomplete_rows(register)
    assert len(kept) == len(register)
    assert report["n_missing"].tolist() == [0]
