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


def register(args):
    """The register (and the truth when it is synthetic)."""
    if args.data:
        mapping = ac.read_column_mapping(args.columns) if args.columns else {}
        return ac.load_register(args.data, **mapping), None
    return ac.simulate_register(n=args.n, seed=args.seed)
