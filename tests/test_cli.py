"""The amu-causal command."""

import json

import pandas as pd

import amu_causal as ac
from amu_causal.cli import main


def test_simulate_then_validate(tmp_path, capsys):
    out = tmp_path / "x.parquet"
    truth = tmp_path / "truth.json"
    assert main(["simulate", "--n", "3000", "--seed", "1", "--out", str(out),
                 "--truth", str(truth)]) == 0
    df = pd.read_parquet(out)
    _, t = ac.simulate_register(n=3_000, seed=1)
    assert len(df) == 3_000
    assert json.loads(truth.read_text())["ate"] == t.ate
    assert main(["validate", str(out)]) == 0
    assert "valid register data" in capsys.readouterr().out


def test_simulate_csv_suffix(tmp_path):
    out = tmp_path / "x.csv"
    assert main(["simulate", "--n", "200", "--seed", "2", "--out", str(out)]) == 0
    assert len(pd.read_csv(out)) == 200


def test_validate_invalid_file_exits_nonzero_and_names_problems(tmp_path, capsys):
    df, _ = ac.simulate_register(n=300, seed=1)
    df.loc[df.index[:4], "age"] = 70
    path = ac.write_register(df.drop(columns="amu_area"), tmp_path / "bad.parquet")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "age: has values outside the allowed range" in err
    assert "amu_area: required column is missing" in err


def test_validate_with_mapping(tmp_path):
    df, _ = ac.simulate_register(n=300, seed=1)
    path = ac.write_register(df.rename(columns={"sex": "KOEN"}), tmp_path / "own.csv")
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"KOEN": "sex"}))
    assert main(["validate", str(path)]) == 2
    assert main(["validate", str(path), "--columns", str(mapping)]) == 0


def test_validate_missing_file_and_bad_usage(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "none.parquet")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["simulate", "--n", "10"]) == 64  # --seed and --out are required
    assert main(["no-such-command"]) == 64


def test_run_quick_writes_the_report(tmp_path):
    out = tmp_path / "results"
    assert main(["run", "--quick", "--quiet", "--out", str(out)]) == 0
    names = {p.name for p in out.iterdir()}
    assert {"report.html", "report.md", "calibration.csv", "calibration.png",
            "register_summary.csv"} <= names
    assert not any(".partial" in n for n in names)
    html = (out / "report.html").read_text()
    assert "SYNTHETIC" in html and "Calibration to the EVA note" in html


def test_run_on_own_data(tmp_path):
    df, _ = ac.simulate_register(n=1_000, seed=3)
    path = ac.write_register(df, tmp_path / "own.parquet")
    out = tmp_path / "results"
    assert main(["run", "--quiet", "--data", str(path), "--out", str(out)]) == 0
    assert "register data given with --data" in (out / "report.md").read_text()
