"""The amu-causal command."""

import json

import pandas as pd
import pytest

import amu_causal as ac
from amu_causal.cli import main
from amu_causal.privacy import scan_outputs


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


def test_run_quick_writes_every_section_and_passes_the_export_scan(tmp_path):
    out = tmp_path / "results"
    (out).mkdir()
    (out / "report.html").write_text("an earlier run")
    assert main(["run", "--quick", "--quiet", "--n", "1500", "--out", str(out)]) == 0
    names = {p.name for p in out.iterdir()}
    figures = {"fig1_participation_sex_year.png", "fig2_participation_municipality.png",
               "fig4_employment_attachment.png", "calibration.png", "compare.png",
               "bayes_effects.png", "municipality_effects.png", "ovb_contour.png",
               "dml_contour.png", "policy.png", "policy_municipalities.png"}
    tables = {"participation_by_sex_year.csv", "participation_by_municipality.csv",
              "education_by_year.csv", "amu_areas.csv", "employment_by_attachment.csv",
              "effects.csv", "evalues.csv", "ovb_minimal.csv", "dml_benchmarks.csv",
              "policy_national.csv", "policy_municipalities_a.csv"}
    assert figures | tables | {"report.html", "report.md", "manifest.json",
                               "posterior.nc", "effects.tex"} <= names
    latex = (out / "effects.tex").read_text()
    assert "\\toprule" in latex and "\\bottomrule" in latex and "HierarchicalModel" in latex
    assert not any(".partial" in n for n in names)
    html = (out / "report.html").read_text()
    assert "an earlier run" not in html
    for section in ("SYNTHETIC", "Figure 1", "Figure 2", "Table 1", "Table 2", "Figure 4",
                    "Calibration to the EVA note", "Effect of AMU on employment",
                    "Sensitivity to unobserved", "E-values", "Policy scenarios",
                    "integration grant", "No displacement", "(synthetic data)"):
        assert section in html, section
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest["files"]) == names - {"manifest.json"}
    assert manifest["command"] == f"amu-causal run --quick --quiet --n 1500 --out {out}"
    assert manifest["seeds"]["root"] == 1 and manifest["settings"]["n"] == 1500
    assert manifest["environment"]["dependencies"]["pymc"]
    assert {stage for stage, _ in manifest["stages"]} and "amu_causal" in manifest["environment"]
    assert scan_outputs(out, n_people=1500) == []
    national = pd.read_csv(out / "policy_national.csv")
    assert {"(a) top-decile participation", "(b) targeted at no early employment"} <= set(
        national["scenario"])
    assert national["truth"].notna().all()


@pytest.mark.slow  # a second full quick run; CI also runs --data
def test_run_on_own_data_private_keeps_everything(tmp_path):
    df, _ = ac.simulate_register(n=1_000, seed=3)
    path = ac.write_register(df, tmp_path / "own.parquet")
    out = tmp_path / "results"
    assert main(["run", "--quick", "--quiet", "--private", "--data", str(path),
                 "--out", str(out)]) == 0
    md = (out / "report.md").read_text()
    assert "register data given with --data" in md and "PRIVATE" in md
    from amu_causal.provenance import sha256

    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["inputs"]["data"]["sha256"] == sha256(path)
    assert manifest["seeds"]["simulation"] is None
    assert sha256(path)[:16] in md
    assert "Calibration to the EVA note" not in md
    found = scan_outputs(out, n_people=1_000)
    assert any(v.rule == "small cell" for v in found)
    assert any(v.path == "posterior.nc" for v in found)  # observed data kept


def test_run_refuses_bad_settings(capsys):
    assert main(["run", "--rate", "10", "--quiet"]) == 64
    assert "--rate" in capsys.readouterr().err


@pytest.mark.parametrize("argv, message", [
    (["run", "--columns", "m.json"], "--columns maps the columns of --data"),
    (["run", "--data", "x.parquet", "--n", "100"], "--n sets the size"),
    (["run", "--drop-incomplete"], "--drop-incomplete applies to --data"),
])
def test_options_that_would_be_ignored_are_refused(argv, message, capsys):
    assert main(argv) == 64
    assert message in capsys.readouterr().err


def test_an_internal_error_has_its_own_exit_code_and_a_log(tmp_path, monkeypatch, capsys):
    import amu_causal.cli as cli

    def broken(args):
        raise KeyError("a bug")

    monkeypatch.setattr(cli, "_cmd_validate", broken)
    parser = cli._parser
    monkeypatch.setattr(cli, "_parser", lambda: _with_validate(parser(), broken))
    monkeypatch.chdir(tmp_path)
    assert main(["validate", "x.parquet"]) == 70
    err = capsys.readouterr().err
    assert "internal error" in err and "amu-causal-error.log" in err
    log = (tmp_path / "amu-causal-error.log").read_text()
    assert "KeyError" in log and "amu-causal validate x.parquet" in log


def _with_validate(parser, func):
    for action in parser._subparsers._group_actions:
        action.choices["validate"].set_defaults(func=func)
    return parser


def test_exit_codes_are_listed_in_help(capsys):
    assert main(["run", "--help"]) == 0
    text = capsys.readouterr().out
    for code in ("0 ", "2 ", "3 ", "64", "70"):
        assert f"  {code}" in text


def test_drop_incomplete_drops_and_reports(tmp_path, capsys):
    df, _ = ac.simulate_register(n=600, seed=4)
    df["age"] = df["age"].astype("float")
    df.loc[df.index[:7], "age"] = float("nan")
    path = ac.write_register(df, tmp_path / "own.parquet")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "first rows: 1, 2, 3, 4, 5" in err
    from amu_causal.pipeline import JobSettings, load_register_for

    kept, _ = load_register_for(JobSettings(data=path, drop_incomplete=True))
    assert len(kept) == 593
