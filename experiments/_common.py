"""Shared by the numbered experiments: command-line options and the register they run on."""

from __future__ import annotations

import argparse
from pathlib import Path

import amu_causal as ac


def parser(doc: str, out: str, epilog: str = "") -> argparse.ArgumentParser:
    """Options every experiment takes; ``epilog`` says what it writes and how long it takes."""
    p = argparse.ArgumentParser(description=doc.splitlines()[0], epilog=epilog,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=Path, default=Path(out), help=f"output folder (default {out})")
    p.add_argument("--data", type=Path,
                   help="a register file, CSV, Parquet, Stata or SAS (default: the built-in "
                        "synthetic register)")
    p.add_argument("--columns", type=Path,
                   help="JSON column mapping for --data ({\"KOEN\": \"sex\", ...}, or with "
                        "\"columns\" and \"recode\")")
    p.add_argument("--n", type=int, default=23_125,
                   help="people in the synthetic register (default 23,125, EVA's cohort)")
    p.add_argument("--seed", type=int, default=1,
                   help="seed of the synthetic register and the estimators (default 1)")
    p.add_argument("--min-count", type=int, default=5,
                   help="smallest number of people behind an exported cell (default 5)")
    return p


def register(args, **settings):
    """The register (and the truth when it is synthetic); ``settings`` go to the simulator."""
    if args.data:
        mapping = ac.read_column_mapping(args.columns) if args.columns else {}
        return ac.load_register(args.data, **mapping), None
    if args.columns:
        raise SystemExit("error: --columns maps the columns of --data; without --data it "
                         "would be ignored")
    return ac.simulate_register(n=args.n, seed=args.seed, **settings)


def provenance(args, df, **extra) -> dict:
    """What an experiment's manifest records: command, options, input checksums, versions."""
    import sys

    from amu_causal.provenance import command_line, environment, inputs

    return {"command": command_line(["python", *sys.argv]),
            "options": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
            "seed": args.seed, "n_people": len(df),
            "inputs": inputs(args.data or None, getattr(args, "columns", None) or None),
            "environment": environment(), **extra}


class ResumeMismatchError(ValueError):
    """An output folder holds checkpoints of a run on other data or with another seed."""


def add_store_option(p: argparse.ArgumentParser) -> None:
    """``--store``: where a resumable experiment keeps its finished fits."""
    p.add_argument("--store", type=Path,
                   help="folder of the finished fits, one file each, so that a rerun resumes "
                        "(default: the --out folder's name plus .store, beside it; it holds "
                        "no microdata but is not part of the exported results)")


def store_folder(args, name: str) -> Path:
    """The study store ``name`` of this run (see :func:`add_store_option`)."""
    out = args.out.resolve()
    return (args.store or out.with_name(out.name + ".store")) / name


def guard_resume(args, folder: Path, **settings) -> dict:
    """Refuse to resume into a folder whose checkpoints came from other inputs.

    The first run writes ``run.json`` (input checksum or synthetic size, seed and
    ``settings``); a later run into the same folder must match it, else the checkpoints
    would mix two analyses. Returns that key (a study store's definition includes it).
    """
    import json

    from amu_causal.provenance import sha256

    key = {"data": sha256(args.data) if args.data else None,
           "columns": sha256(args.columns) if getattr(args, "columns", None) else None,
           "synthetic_n": None if args.data else args.n, "seed": args.seed, **settings}
    path = Path(folder) / "run.json"
    if path.exists():
        stored = json.loads(path.read_text(encoding="utf-8"))
        if stored != key:
            differ = sorted(k for k in set(stored) | set(key) if stored.get(k) != key.get(k))
            raise ResumeMismatchError(
                f"{folder} holds checkpoints of another run (different {', '.join(differ)}); "
                "give another --out, or delete the folder to start over")
        return key
    Path(folder).mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(key, indent=2) + "\n", encoding="utf-8")
    return key
