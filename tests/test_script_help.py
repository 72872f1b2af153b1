"""Every experiment and simulation script documents each option, its outputs and run time."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = sorted([*ROOT.glob("experiments/0*.py"), *ROOT.glob("simulations/[a-z]*.py")])

@pytest.mark.parametrize("script", SCRIPTS, ids=[p.name for p in SCRIPTS])
def test_help_explains_every_option_and_the_run_time(script, script_help):
    bare = script_help[script]["bare"]
    assert not bare, f"options without a help text: {bare}"
    assert re.search(r"[Rr]un time|minute|seconds", script_help[script]["stdout"]), \
        "no run time in the help"


EXPERIMENTS = sorted(ROOT.glob("experiments/0*.py"))


@pytest.mark.parametrize("script", EXPERIMENTS, ids=[p.name for p in EXPERIMENTS])
def test_every_experiment_takes_own_data_writes_provenance_and_scans(script, script_help):
    source = script.read_text(encoding="utf-8")
    for option in ("--data", "--columns", "--min-count", "--seed", "--out"):
        assert option in script_help[script]["stdout"], option
    assert "provenance(args, df)" in source and "check_outputs(" in source
    # no experiment hides convergence warnings from the researcher
    assert 'simplefilter("ignore")' not in source


def test_a_checkpointed_experiment_refuses_a_folder_of_another_run(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "experiments"))
    import argparse

    from _common import ResumeMismatchError, guard_resume

    args = argparse.Namespace(data=None, columns=None, n=1000, seed=1)
    guard_resume(args, tmp_path, draws=500)
    guard_resume(args, tmp_path, draws=500)  # the same run resumes
    with pytest.raises(ResumeMismatchError, match="seed"):
        guard_resume(argparse.Namespace(data=None, columns=None, n=1000, seed=2), tmp_path,
                     draws=500)
    data = tmp_path / "own.csv"
    data.write_text("a\n1\n")
    with pytest.raises(ResumeMismatchError, match="data"):
        guard_resume(argparse.Namespace(data=data, columns=None, n=1000, seed=1), tmp_path,
                     draws=500)
