"""amu_causal.dst: raw registers -> builder -> the simulator's own table, and malformed input."""

import json
import shutil

import pandas as pd
import pytest

import amu_causal as ac
from amu_causal.cli import main
from amu_causal.dst import RawRegisterError, build_register, read_mapping, write_raw_registers

N, SEED = 400, 3


@pytest.fixture(scope="module")
def raw(tmp_path_factory):
    return write_raw_registers(tmp_path_factory.mktemp("raw"), n=N, seed=SEED)


def test_the_built_register_is_the_simulators_table(raw):
    built, funnel = build_register(raw)
    expected, _ = ac.simulate_register(n=N, seed=SEED)
    pd.testing.assert_frame_equal(built, expected)
    assert funnel["people"].iloc[-1] == N
    assert (funnel["dropped"] >= 0).all() and funnel["dropped"].sum() > 0
    assert funnel["people"].iloc[0] > N  # people the rules leave out are in the raw tables


def test_other_simulator_settings_reproduce_too(tmp_path):
    folder = write_raw_registers(tmp_path, n=200, seed=8, confounding=0.0, post_treatment=True)
    expected, _ = ac.simulate_register(n=200, seed=8, confounding=0.0, post_treatment=True)
    pd.testing.assert_frame_equal(build_register(folder)[0], expected)


def _copy(raw, tmp_path):
    folder = tmp_path / "raw"
    shutil.copytree(raw, folder)
    return folder


def _edit(folder, stem, change):
    path = folder / f"{stem}.parquet"
    frame = change(pd.read_parquet(path))
    frame.to_parquet(path)


def _first_study_person(folder):
    permits = pd.read_parquet(folder / "opholdsgrundlag.parquet")
    return int(permits["PNR"].iloc[0])


def _set(frame, column, value, rows=slice(0, 1)):
    frame = frame.copy()
    if not isinstance(value, str | int | float):
        frame[column] = frame[column].astype(object)
    frame.loc[frame.index[rows], column] = value
    return frame


CASES = {
    "missing register": (lambda f: (f / "bfl.parquet").unlink(), "employment", None),
    "missing column": (lambda f: _edit(f, "bef", lambda t: t.drop(columns="CIVST")),
                       "population", "CIVST"),
    "duplicate person at one reference date": (
        lambda f: _edit(f, "bef", lambda t: pd.concat([t, t.iloc[:1]])), "population",
        "PNR, REFERENCETID"),
    "two first permits for one person": (
        lambda f: _edit(f, "opholdsgrundlag", lambda t: pd.concat([t, t.iloc[:1]])), "permits",
        "PNR"),
    "permit before the permit coding exists": (
        lambda f: _edit(f, "opholdsgrundlag",
                        lambda t: _set(t, "TILLADELSESDATO", pd.Timestamp("1600-01-01"))),
        "permits", "TILLADELSESDATO"),
    "AMU course before the permit": (
        lambda f: _edit(f, "kursist", lambda t: _amu_before_permit(f, t)), "courses", "STARTTP"),
    "unknown AMU area code": (
        lambda f: _edit(f, "kursist", lambda t: t.assign(
            UDD=t["UDD"].where(t["UDD"].isna(), "AMU-XYZ"))), "courses", "UDD"),
    "dates as text": (
        lambda f: _edit(f, "opholdsgrundlag", lambda t: t.assign(
            TILLADELSESDATO=t["TILLADELSESDATO"].dt.strftime("%d%m%Y"))),
        "permits", "TILLADELSESDATO"),
    "unknown civil status": (
        lambda f: _edit(f, "bef", lambda t: t.assign(CIVST="X")), "population", "CIVST"),
    "dead at settlement": (
        lambda f: _edit(f, "bef", lambda t: t.assign(CIVST="D")), "population", "CIVST"),
    "unknown sex code": (
        lambda f: _edit(f, "bef", lambda t: t.assign(KOEN="3")), "population", "KOEN"),
    "unknown permit category": (
        lambda f: _edit(f, "opholdsgrundlag", lambda t: _set(t, "KATEGORI_FOERSTE", "Asyl")),
        "permits", "KATEGORI_FOERSTE"),
    "unknown family-reunification explanation": (
        lambda f: _edit(f, "opholdsgrundlag", lambda t: t.assign(FORKLAR_FOERSTE=t[
            "FORKLAR_FOERSTE"].where(t["FORKLAR_FOERSTE"].isna(), "999"))),
        "permits", "FORKLAR_FOERSTE"),
    "municipality before 2007": (
        lambda f: _edit(f, "bef", lambda t: t.assign(KOM=999)), "population", "KOM"),
    "person number missing": (
        lambda f: _edit(f, "bfl", lambda t: _set(t.astype({"PNR": "Int64"}), "PNR", None)),
        "employment", "PNR"),
    "month not YYYYMM": (
        lambda f: _edit(f, "bfl", lambda t: _set(t, "AJO_REFERENCE_MAANED", 201113)),
        "employment", "AJO_REFERENCE_MAANED"),
    "negative full-time equivalent": (
        lambda f: _edit(f, "bfl", lambda t: _set(t, "AJO_FULDTID_BESKAEFTIGET", -0.5)),
        "employment", "AJO_FULDTID_BESKAEFTIGET"),
    "unknown education main group": (
        lambda f: _edit(f, "audd", lambda t: t.assign(H1="99")),
        "education_classification", "H1"),
    "audd code not in the classification": (
        lambda f: _edit(f, "audd", lambda t: t.iloc[1:]), "education", "HFAUDD"),
    "unknown course area code": (
        lambda f: _edit(f, "kursist", lambda t: t.assign(
            ORGTILH=t["ORGTILH"].where(t["ORGTILH"].isna(), "1010"))),
        "courses", "ORGTILH"),
    "course ends before it starts": (
        lambda f: _edit(f, "kursist", lambda t: _set(
            t, "SLUTTP", t["STARTTP"].iloc[0] - pd.Timedelta(days=5))), "courses", "SLUTTP"),
    "population register ends too early": (
        lambda f: _edit(f, "bef", lambda t: t[t["REFERENCETID"] < "2016-01-01"]),
        "population", "REFERENCETID"),
    "no November status two years on": (
        lambda f: _edit(f, "ras", lambda t: t.iloc[1:]), "labour_status", "AAR"),
    "unknown labour-market status": (
        lambda f: _edit(f, "ras", lambda t: t.assign(SOC_STATUS_KODE="999")),
        "labour_status", "SOC_STATUS_KODE"),
    "empty register": (
        lambda f: _edit(f, "kotre", lambda t: t.iloc[:0]), "students", None),
    "unknown family type": (
        lambda f: _edit(f, "bef", lambda t: t.assign(FAMILIE_TYPE="7")),
        "population", "FAMILIE_TYPE"),
}


def _amu_before_permit(folder, courses):
    permits = pd.read_parquet(folder / "opholdsgrundlag.parquet").set_index("PNR")
    amu = courses["UDD"].notna()
    first = courses.index[amu][0]
    courses = courses.copy()
    person = courses.loc[first, "PNR"]
    courses.loc[first, "STARTTP"] = permits.loc[person, "TILLADELSESDATO"] - pd.Timedelta(
        days=10)
    return courses


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_malformed_input_gets_a_typed_error(raw, tmp_path, case):
    change, register, column = CASES[case]
    folder = _copy(raw, tmp_path)
    change(folder)
    with pytest.raises(RawRegisterError) as info:
        build_register(folder)
    err = info.value
    assert err.register == register, str(err)
    if column is not None:
        assert column in (err.column or ""), str(err)
    assert register in str(err)


def test_the_error_names_the_unknown_codes(raw, tmp_path):
    folder = _copy(raw, tmp_path)
    _edit(folder, "bef", lambda t: t.assign(CIVST="X"))
    with pytest.raises(RawRegisterError, match=r"'X'.*mapping file"):
        build_register(folder)


def test_a_projects_mapping_overrides_the_shipped_codes(raw, tmp_path):
    folder = _copy(raw, tmp_path)
    _edit(folder, "bef", lambda t: t.assign(FAMILIE_TYPE=t["FAMILIE_TYPE"].map(
        {"1": "11", "2": "12", "3": "13", "4": "14"})))
    own = {"codes": {"family_type": {"codes": {"11": "single_no_children",
                                               "12": "single_with_children",
                                               "13": "couple_no_children",
                                               "14": "couple_with_children"},
                                     "documented": True, "source": "project documentation"}}}
    path = tmp_path / "mapping.json"
    path.write_text(json.dumps(own))
    built, _ = build_register(folder, mapping=path)
    expected, _ = ac.simulate_register(n=N, seed=SEED)
    pd.testing.assert_frame_equal(built, expected)
    with pytest.raises(ValueError, match="unknown coding"):
        path.write_text(json.dumps({"codes": {"colour": {}}}))
        read_mapping(path)


def test_every_shipped_coding_names_its_source():
    mapping = read_mapping()
    for name, coding in mapping["codes"].items():
        assert coding.get("source"), name
        assert isinstance(coding.get("documented"), bool), name
        if not coding["documented"]:
            assert coding.get("note"), name  # says what is missing
    for name, register in mapping["registers"].items():
        assert register.get("source") and register.get("file"), name


def test_build_register_command_then_run_reads_it(raw, tmp_path, capsys):
    out = tmp_path / "register.parquet"
    assert main(["build-register", str(raw), "--out", str(out),
                 "--funnel", str(tmp_path / "funnel.csv")]) == 0
    printed = capsys.readouterr().out
    assert "still in the population register" in printed and f"{N}" in printed
    expected, _ = ac.simulate_register(n=N, seed=SEED)
    pd.testing.assert_frame_equal(ac.load_register(out)[expected.columns], expected)
    assert main(["build-register", str(raw), "--out", str(out)]) == 64  # exists
    broken = _copy(raw, tmp_path)
    (broken / "ras.parquet").unlink()
    assert main(["build-register", str(broken), "--out", str(tmp_path / "x.parquet")]) == 2
    assert "labour_status register" in capsys.readouterr().err


def test_csv_raw_registers_with_iso_dates_build_the_same_table(raw, tmp_path):
    folder = tmp_path / "csv"
    folder.mkdir()
    for path in raw.glob("*.parquet"):
        pd.read_parquet(path).to_csv(folder / f"{path.stem}.csv", index=False,
                                     date_format="%Y-%m-%d")
    built, _ = build_register(folder)
    expected, _ = ac.simulate_register(n=N, seed=SEED)
    assert built["person_id"].map(type).eq(str).all()  # text: leading zeros would survive
    built = built.assign(person_id=built["person_id"].astype("int64")).sort_values(
        "person_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(built, expected, check_dtype=False)
