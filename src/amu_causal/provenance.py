"""How an output was made: versions, platform, command, inputs and their checksums."""

from __future__ import annotations

import hashlib
import platform
import shlex
import sys
from importlib import metadata
from pathlib import Path

__all__ = ["DEPENDENCIES", "command_line", "environment", "inputs", "sha256"]

#: The libraries whose versions decide the numbers, recorded in every manifest.
DEPENDENCIES = ("pymc", "pytensor", "nutpie", "numba", "numpy", "scipy", "pandas", "xarray",
                "arviz", "doubleml", "scikit-learn", "pyfixest", "statsmodels", "matplotlib",
                "dask", "distributed")


def environment() -> dict:
    """The package version, Python, platform and the versions of :data:`DEPENDENCIES`.

    Returns
    -------
    dict
        ``amu_causal``, ``python``, ``platform``, ``machine`` and
        ``dependencies`` (name to version; ``None`` when not installed).

    Examples
    --------
    >>> from amu_causal.provenance import environment
    >>> sorted(environment())
    ['amu_causal', 'dependencies', 'machine', 'platform', 'python']
    """
    from . import __version__

    versions = {}
    for name in DEPENDENCIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {"amu_causal": __version__, "python": sys.version.split()[0],
            "platform": platform.platform(), "machine": platform.machine(),
            "dependencies": versions}


def sha256(path: str | Path, *, chunk: int = 1 << 20) -> str:
    """The SHA-256 of a file, read in chunks (registers can be large).

    Parameters
    ----------
    path : str or path-like
    chunk : int, default 1 MiB

    Returns
    -------
    str
        Hexadecimal digest.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from amu_causal.provenance import sha256
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.txt"
    >>> _ = p.write_text("abc")
    >>> sha256(p)[:12]
    'ba7816bf8f01'
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def command_line(argv=None) -> str:
    """The command as typed, quoted so it can be pasted back into a shell.

    Parameters
    ----------
    argv : sequence of str, optional
        Defaults to :data:`sys.argv`; the program is shown by its name.

    Returns
    -------
    str

    Examples
    --------
    >>> from amu_causal.provenance import command_line
    >>> command_line(["/usr/bin/amu-causal", "run", "--out", "my results"])
    "amu-causal run --out 'my results'"
    """
    argv = list(sys.argv if argv is None else argv)
    if argv:
        argv[0] = Path(argv[0]).name
    return shlex.join(argv)


def inputs(data=None, columns=None, *, mapping_content: bool = False) -> dict:
    """Paths and SHA-256 of a run's register file and column mapping (none when synthetic).

    Parameters
    ----------
    data, columns : str or path-like, optional
        The register file and its column mapping.
    mapping_content : bool, default False
        Also record the mapping's JSON content.

    Returns
    -------
    dict
        ``data`` and ``columns`` entries for those given.

    Examples
    --------
    >>> from amu_causal.provenance import inputs
    >>> inputs()
    {}
    """
    import json

    out = {}
    if data is not None:
        out["data"] = {"path": str(data), "sha256": sha256(data)}
    if columns is not None:
        out["columns"] = {"path": str(columns), "sha256": sha256(columns)}
        if mapping_content:
            out["columns"]["mapping"] = json.loads(Path(columns).read_text(encoding="utf-8"))
    return out
