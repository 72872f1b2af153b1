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


# Every script's --help, run in one subprocess for all scripts (each start-up imports the
# scientific stack, about 4 s): the help text and the options declared without a help text.
_HELP_PROBE = """
import argparse, contextlib, io, json, runpy, sys
original = argparse.ArgumentParser.add_argument
bare = []
def add_argument(self, *names, **kwargs):
    if "help" not in kwargs and names[0].startswith("--") and names[0] != "--help":
        bare.append(names[0])
    return original(self, *names, **kwargs)
argparse.ArgumentParser.add_argument = add_argument
out = {}
for script in sys.argv[1:]:
    bare.clear()
    sys.argv = [script, "--help"]
    sys.path.insert(0, str(__import__("pathlib").Path(script).parent))
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        try:
            runpy.run_path(script, run_name="__main__")
        except SystemExit:
            pass
    sys.path.pop(0)
    out[script] = {"stdout": buffer.getvalue(), "bare": list(bare)}
print("HELP=" + json.dumps(out))
"""


@pytest.fixture(scope="session")
def script_help():
    """``--help`` of every experiment and simulation script: {path: {"stdout", "bare"}}."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    scripts = sorted([*root.glob("experiments/0*.py"), *root.glob("simulations/[a-z]*.py")])
    done = subprocess.run([sys.executable, "-c", _HELP_PROBE, *map(str, scripts)],
                          capture_output=True, text=True, check=True, timeout=600, cwd=root)
    return {Path(k): v for k, v in json.loads(done.stdout.rsplit("HELP=", 1)[1]).items()}
