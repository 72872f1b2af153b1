"""Sphinx configuration for amu_causal.

Build: ``sphinx-build -W --keep-going -b html docs <outdir>`` (``.ci/run`` does
this after the tests). Warnings are errors.
"""

import os
import sys
import tempfile
import zlib
from pathlib import Path

# The worked examples fit DoubleML's gradient boosting while the docs build.
# With one OpenMP thread per core already busy, scikit-learn's default thread
# pool oversubscribes a small machine: DML on 5,000 people took 100 s instead
# of 4.6 s on the 2-core CI machine under load. One thread is set before any
# library loads its OpenMP runtime; a caller's own setting wins.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import amu_causal

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))

project = "amu_causal"
author = "amu_causal developers"
copyright = "amu_causal developers"
release = amu_causal.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    # MathJax ships with the built pages: research servers and offline readers have no
    # content network to load it from
    "sphinx-mathjax-offline",
    "sphinx.ext.doctest",
    "numpydoc",
    "sphinxcontrib.bibtex",
    "matplotlib.sphinxext.plot_directive",
    "example_output",  # docs/_ext: printed tables of the worked examples
]
autosummary_generate = True
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
# Parameter and return types link to their documentation (here or, through
# intersphinx, to pandas, NumPy, xarray, ArviZ, PyMC, DoubleML, matplotlib).
numpydoc_xref_param_type = True
numpydoc_xref_aliases = {
    "DataFrame": "pandas.DataFrame",
    "Series": "pandas.Series",
    "ndarray": "numpy.ndarray",
    "Generator": "numpy.random.Generator",
    "Dataset": "xarray.Dataset",
    "DataArray": "xarray.DataArray",
    "InferenceData": "arviz.InferenceData",
    "Axes": "matplotlib.axes.Axes",
    "Path": "pathlib.Path",
    "path-like": "os.PathLike",
    "CausalResult": "amu_causal.CausalResult",
    "Truth": "amu_causal.Truth",
    "Priors": "amu_causal.Priors",
    "LatentConfounder": "amu_causal.LatentConfounder",
    "HierarchicalModel": "amu_causal.HierarchicalModel",
    "DML": "amu_causal.DML",
    "OLSFixedEffects": "amu_causal.OLSFixedEffects",
    "SimulationParameters": "amu_causal.SimulationParameters",
    "Problem": "amu_causal.data.errors.Problem",
}
# Words in type descriptions that are not types (left as plain text).
numpydoc_xref_ignore = {
    "optional", "default", "or", "of", "and", "to", "a", "an", "the", "shape",
    "sequence", "mapping", "iterable", "array-like", "callable", "object", "like",
    "None", "any", "str,", "int,", "float,", "keyword", "arguments",
}
autodoc_typehints = "none"
templates_path = ["_templates"]
exclude_patterns = ["_build", "README.md", "_intersphinx"]
html_theme = "pydata_sphinx_theme"
html_title = "amu_causal"
html_static_path = []
html_theme_options = {"navigation_depth": 2, "show_toc_level": 2}

# -- Bibliography -----------------------------------------------------------
# One bibliography for the whole site (references.rst); pages cite with
# :cite:t:`key` (Author (year)) and :cite:p:`key` ((Author, year)).
bibtex_bibfiles = ["references.bib"]
bibtex_reference_style = "author_year"
bibtex_default_style = "plain"

# -- Worked examples ---------------------------------------------------------
# matplotlib's plot directive runs each example while the docs are built and
# includes its figures, so the figures always come from the current code.
# Examples use small registers and no MCMC except one short fit.
plot_include_source = True
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 100)]
plot_rcparams = {"figure.figsize": (6.4, 4.0), "figure.dpi": 100, "savefig.bbox": "tight"}
plot_pre_code = "import numpy as np\nimport matplotlib.pyplot as plt\n"

# -- Cross-references to other projects ---------------------------------------
# The CI machine reaches package registries only, so the projects' inventories
# (objects.inv) cannot be downloaded there. Sphinx 7-9 logs an unreachable
# inventory as a warning without a type or subtype
# (sphinx/ext/intersphinx/_load.py: "failed to reach any of the inventories"),
# so ``suppress_warnings`` cannot silence it and ``-W`` would fail the build.
# What Sphinx does document: a project may list several inventory locations,
# tried in order; if one of them loads, the failures of the others are logged
# at INFO level only. Each project below therefore lists its website first
# (the full, current inventory when the network allows) and then a small local
# inventory written at build time from docs/_intersphinx/<project>.txt, which
# lists exactly the external objects these docs refer to. Links always point to
# the projects' websites; offline builds resolve the listed names, online
# builds resolve everything. See docs/_intersphinx/README.md.
intersphinx_timeout = 10
_INTERSPHINX_SITES = {
    "python": "https://docs.python.org/3",
    "numpy": "https://numpy.org/doc/stable",
    "pandas": "https://pandas.pydata.org/docs",
    "xarray": "https://docs.xarray.dev/en/stable",
    "pymc": "https://www.pymc.io/projects/docs/en/stable",
    "arviz": "https://python.arviz.org/en/stable",
    "doubleml": "https://docs.doubleml.org/stable",
    "sklearn": "https://scikit-learn.org/stable",
    "matplotlib": "https://matplotlib.org/stable",
}


def _write_fallback_inventory(name: str, outdir: Path) -> Path:
    """Write ``docs/_intersphinx/<name>.txt`` as a version-2 ``objects.inv``."""
    lines = []
    for raw in (DOCS / "_intersphinx" / f"{name}.txt").read_text().splitlines():
        if not raw.strip() or raw.startswith("#"):
            continue
        obj, role, priority, location, display = raw.split(maxsplit=4)
        lines.append(f"{obj} {role} {priority} {location.replace('$', obj)} {display}\n")
    header = (
        "# Sphinx inventory version 2\n"
        f"# Project: {name}\n"
        "# Version: fallback\n"
        "# The remainder of this file is compressed using zlib.\n"
    )
    path = outdir / f"{name}.inv"
    path.write_bytes(header.encode() + zlib.compress("".join(lines).encode()))
    return path


_FALLBACK_DIR = Path(tempfile.mkdtemp(prefix="amu_causal_intersphinx_"))
intersphinx_mapping = {
    name: (site, (None, str(_write_fallback_inventory(name, _FALLBACK_DIR))))
    for name, site in _INTERSPHINX_SITES.items()
}
