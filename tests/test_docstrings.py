"""Every public name has a numpydoc docstring a reader can use.

For each name in ``__all__`` of the public modules (``amu_causal``,
``amu_causal.sensitivity``, ``amu_causal.validation``, ``amu_causal.policy``
and ``amu_causal.privacy``) numpydoc's own validator must find:

* a docstring (GL08);
* every parameter of the signature documented, and none that is not in it
  (PR01, PR02);
* a Returns section for a function that returns something (RT01), a Yields
  section for a generator (YD01);
* an Examples section (EX01). The examples themselves run as doctests
  (``pytest --doctest-modules`` over ``src/amu_causal``).

Public methods and properties of the public classes must document their
parameters and returns in the same way (PR01, PR02, RT01, YD01). Constants
(tuples of names) have no docstring of their own and are described in
``docs/api.rst``.
"""

from __future__ import annotations

import importlib
import inspect

import pytest
from numpydoc.validate import validate

PUBLIC_MODULES = ("amu_causal", "amu_causal.sensitivity", "amu_causal.validation",
                  "amu_causal.provenance", "amu_causal.engine", "amu_causal.pipeline",
                  "amu_causal.eva", "amu_causal.descriptives",
                  "amu_causal.policy", "amu_causal.privacy", "amu_causal.dst")
NAME_CHECKS = {"GL08", "PR01", "PR02", "RT01", "YD01", "EX01"}
MEMBER_CHECKS = {"GL08", "PR01", "PR02", "RT01", "YD01"}


def _modules():
    return [importlib.import_module(name) for name in PUBLIC_MODULES]


def _public_names():
    paths = []
    for module in _modules():
        for name in module.__all__:
            obj = getattr(module, name)
            if name.startswith("__") or inspect.ismodule(obj):
                continue
            if inspect.isclass(obj) or callable(obj):
                paths.append(f"{module.__name__}.{name}")
    return paths


def _public_members():
    paths = []
    for path in _public_names():
        module_name, _, name = path.rpartition(".")
        cls = getattr(importlib.import_module(module_name), name)
        if not inspect.isclass(cls) or issubclass(cls, BaseException):
            continue
        for member, value in vars(cls).items():
            if member.startswith("_"):
                continue
            if inspect.isfunction(value) or isinstance(value, (property, classmethod,
                                                               staticmethod)):
                paths.append(f"{path}.{member}")
    return paths


NAMES = _public_names()
MEMBERS = _public_members()


def _problems(path: str, checks: set[str]) -> list[str]:
    return [f"{code}: {message}" for code, message in validate(path)["errors"]
            if code in checks]


def test_the_check_covers_the_public_api():
    # the lists are built from __all__; an empty or tiny list would make the
    # parametrised tests below pass vacuously
    assert "amu_causal.HierarchicalModel" in NAMES
    assert "amu_causal.sensitivity.ols_sensitivity" in NAMES
    assert "amu_causal.validation.run_monte_carlo" in NAMES
    assert "amu_causal.policy.policy_scenarios" in NAMES
    assert "amu_causal.privacy.scan_outputs" in NAMES
    assert "amu_causal.CausalResult.effects" in MEMBERS
    assert len(NAMES) >= 80


def test_the_validator_reports_missing_sections():
    # the same validator on a function known to lack Parameters, Returns and
    # Examples must report all three, so a pass below means something
    problems = {p.split(":")[0] for p in _problems(f"{__name__}._undocumented", NAME_CHECKS)}
    assert {"PR01", "RT01", "EX01"} <= problems


def _undocumented(x):
    """Return x."""
    return x


@pytest.mark.parametrize("path", NAMES)
def test_public_name_has_parameters_returns_and_examples(path):
    problems = _problems(path, NAME_CHECKS)
    assert not problems, f"{path}:\n" + "\n".join(problems)


@pytest.mark.parametrize("path", MEMBERS)
def test_public_method_documents_parameters_and_returns(path):
    problems = _problems(path, MEMBER_CHECKS)
    assert not problems, f"{path}:\n" + "\n".join(problems)
