"""Shared by the numbered experiments: command-line options and the register they run on."""

from __future__ import annotations

import argparse
from pathlib import Path

import amu_causal as ac


def parser(doc: str, out: str) -> argparse.ArgumentParser:
    """Options every experiment takes."""
    p = argparse.ArgumentParser(description=doc.splitlines()[0])
    p.add_argument("--out", type=Path, default=Path(out), help=f"output folder (default {out})")
    p.add_argument("--data", type=Path, help="a register file (default: synthetic register)")
    p.add_argument("--columns", type=Path, help="JSON column mapping for --data")
    p.add_argument("--n", type=int, default=23_125, help="synthetic register size")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--min-count", type=int, default=5,
                   help="smallest number of people behind an exported cell")
    return p


def register(args):
    """The register (and the truth when it is synthetic)."""
    if args.data:
        mapping = ac.read_column_mapping(args.columns) if args.columns else {}
        return ac.load_register(args.data, **mapping), None
    return ac.simulate_register(n=args.n, seed=args.seed)
