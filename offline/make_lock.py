"""Write the lock: every package amu-causal needs, pinned to the versions installed here.

Run on a machine where the package is installed and its test suite passes
(``pip install -e ".[test,docs,dask]"``, then ``pytest``); the lock then holds
the versions the package was tested with. It walks the dependency graph from
``amu-causal`` with the chosen extras through the installed distributions'
metadata (environment markers evaluated for this Python and platform) and pins
each one it reaches.

    python offline/make_lock.py [--extras dask test docs] [--out offline/requirements-lock.txt]
"""

from __future__ import annotations

import argparse
import platform
import sys
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name


def closure(root: str, extras: list[str]) -> dict[str, str]:
    """Installed name -> version of everything ``root[extras]`` needs."""
    seen: dict[str, str] = {}
    todo = [(root, set(extras))]
    while todo:
        name, wanted = todo.pop()
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError as err:
            raise SystemExit(f"{name} is required but not installed: install it first") from err
        key = canonicalize_name(dist.metadata["Name"])
        first = key not in seen
        seen[key] = dist.version
        for line in dist.requires or []:
            req = Requirement(line)
            environments = [{"extra": e} for e in (wanted or {""})]
            if req.marker is not None and not any(req.marker.evaluate(env)
                                                  for env in environments):
                continue
            child = canonicalize_name(req.name)
            if first or child not in seen or req.extras:
                if child not in seen or req.extras:
                    todo.append((req.name, set(req.extras)))
    return seen


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--extras", nargs="*", default=["dask", "test", "docs"],
                        help="extras of amu-causal to include (default: dask test docs)")
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name(
        "requirements-lock.txt"), help="lock file to write")
    args = parser.parse_args(argv)
    pins = closure("amu-causal", args.extras)
    pins.pop("amu-causal")
    header = [
        "# Versions amu-causal is tested with (offline/make_lock.py; do not edit by hand).",
        f"# Extras: {', '.join(args.extras) or 'none'}. Resolved on Python "
        f"{platform.python_version()}, {sys.platform} {platform.machine()}.",
    ]
    lines = [f"{name}=={version}" for name, version in sorted(pins.items())]
    args.out.write_text("\n".join(header + lines) + "\n", encoding="utf-8")
    print(f"wrote {len(lines)} pins to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
