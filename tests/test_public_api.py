"""The public surface: explicit, documented names."""

import inspect

import amu_causal as ac


def test_all_names_exist():
    for name in ac.__all__:
        assert hasattr(ac, name), name


def test_public_callables_have_numpydoc_docstrings():
    missing = []
    for name in ac.__all__:
        obj = getattr(ac, name)
        if not (inspect.isfunction(obj) or inspect.isclass(obj)):
            continue
        doc = inspect.getdoc(obj) or ""
        if inspect.isclass(obj) and issubclass(obj, Exception):
            if not doc:
                missing.append(f"{name}: no docstring")
            continue
        if "Examples" not in doc:
            missing.append(f"{name}: no Examples")
        takes_arguments = any(
            p.name != "self" for p in inspect.signature(obj).parameters.values()
        )
        if takes_arguments and "Parameters" not in doc:
            missing.append(f"{name}: no Parameters")
        if inspect.isfunction(obj) and "Returns" not in doc:
            missing.append(f"{name}: no Returns")
    assert not missing, missing


def test_first_import_under_a_new_home_prints_no_arviz_refactor_notice(tmp_path):
    import os
    import subprocess
    import sys

    env = dict(os.environ, HOME=str(tmp_path), XDG_CACHE_HOME=str(tmp_path / "cache"))
    done = subprocess.run([sys.executable, "-W", "default", "-c", "import amu_causal"],
                          env=env, capture_output=True, text=True, timeout=300, check=True)
    assert "major refactor" not in done.stderr
