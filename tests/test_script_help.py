"""Every experiment and simulation script documents each option, its outputs and run time."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = sorted([*ROOT.glob("experiments/0*.py"), *ROOT.glob("simulations/[a-z]*.py")])

# run a script's --help with add_argument recording the options declared without help
PROBE = """
import argparse, json, runpy, sys
original = argparse.ArgumentParser.add_argument
bare = []
def add_argument(self, *names, **kwargs):
    if "help" not in kwargs and names[0].startswith("--") and names[0] != "--help":
        bare.append(names[0])
    return original(self, *names, **kwargs)
argparse.ArgumentParser.add_argument = add_argument
sys.argv = [sys.argv[1], "--help"]
sys.path.insert(0, str(__import__("pathlib").Path(sys.argv[0]).parent))
try:
    runpy.run_path(sys.argv[0], run_name="__main__")
except SystemExit:
    pass
print("BARE=" + json.dumps(bare))
"""


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.name for p in SCRIPTS])
def test_help_explains_every_option_and_the_run_time(script):
    done = subprocess.run([sys.executable, "-c", PROBE, str(script)], capture_output=True,
                          text=True, check=True, timeout=300)
    bare = json.loads(done.stdout.rsplit("BARE=", 1)[1])
    assert not bare, f"options without a help text: {bare}"
    assert re.search(r"[Rr]un time|minute|seconds", done.stdout), "no run time in the help"
