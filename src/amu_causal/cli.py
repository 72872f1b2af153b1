"""The ``amu-causal`` command."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from . import __version__
from .data import (
    RegisterDataError,
    RegisterFileError,
    load_register,
    read_column_mapping,
    write_register,
)
from .dst.builder import RawRegisterError
from .privacy import PrivacyError
from .provenance import command_line
from .simulate import simulate_register

__all__ = ["main"]

EXIT_OK, EXIT_INVALID, EXIT_PRIVACY, EXIT_USAGE, EXIT_INTERNAL = 0, 2, 3, 64, 70

_EXIT_CODES = """exit codes:
  0   success
  2   invalid data: the register or a raw register breaks the contract, or a file cannot
      be read (the message lists every problem, with row numbers)
  3   output that breaks the export rules (amu_causal.privacy)
  64  bad usage: an unknown, conflicting or out-of-range option
  70  internal error: a bug; the traceback is written to amu-causal-error.log in the
      output folder (or the current folder) - please report it with that file"""


class _Stages:
    """Stage-by-stage progress on standard error."""

    def __init__(self, total: int, quiet: bool = False):
        self.total, self.done, self.quiet = total, 0, quiet
        self.start = time.perf_counter()

    def __call__(self, label: str) -> None:
        self.done += 1
        if not self.quiet:
            elapsed = time.perf_counter() - self.start
            print(f"[{self.done}/{self.total}] {label}  ({elapsed:5.1f} s)", file=sys.stderr,
                  flush=True)


def _summary(df: pd.DataFrame) -> pd.DataFrame:
    rows = [
        ("people", f"{len(df):,}"),
        ("municipalities", f"{df['municipality'].nunique()}"),
        ("permit years", f"{df['permit_year'].min()}-{df['permit_year'].max()}"),
        ("took AMU within two years", f"{df['amu'].mean():.1%}"),
        ("employed two years out", f"{df['employed_2y'].mean():.1%}"),
        ("no employment in the first two years", f"{(df['months_employed'] == 0).mean():.1%}"),
    ]
    return pd.DataFrame(rows, columns=["quantity", "value"])


def _load(args) -> pd.DataFrame:
    mapping = read_column_mapping(args.columns) if args.columns else {}
    return load_register(args.data, **mapping)


def _cmd_simulate(args) -> int:
    settings = {"confounding": args.confounding, "effect_scale": args.effect_scale,
                "post_treatment": args.post_treatment}
    df, truth = simulate_register(n=args.n, seed=args.seed, **settings)
    out = write_register(df, args.out)
    print(f"wrote {len(df):,} synthetic people to {out}")
    print(f"true ATE {truth.ate:.4f}, ATT {truth.att:.4f} (probability scale)")
    if args.truth:
        payload = {
            "ate": truth.ate, "att": truth.att, "atc": truth.atc,
            "risk_ratio": truth.risk_ratio, "ate_direct": truth.ate_direct,
            "by_attachment": truth.by_attachment["ate"].rename(str).to_dict(),
            "seed": truth.seed, "n": args.n, "parameters": truth.parameters.to_dict(),
        }
        payload["parameters"]["cohort_shares"] = {
            str(k): v for k, v in payload["parameters"]["cohort_shares"].items()
        }
        from ._atomic import write_text

        write_text(args.truth, json.dumps(payload, indent=2, default=str))
        print(f"wrote the truth to {args.truth}")
    return EXIT_OK


def _cmd_validate(args) -> int:
    df = _load(args)
    print(f"{args.data}: valid register data")
    print(_summary(df).to_string(index=False, header=False))
    return EXIT_OK


def _cmd_build_register(args) -> int:
    from .dst import build_register

    if args.out.suffix.lower() not in (".parquet", ".csv", ".dta"):
        raise ValueError(f"--out must end in .parquet, .csv or .dta, got {args.out.name}")
    if args.out.exists() and not args.overwrite:
        raise ValueError(f"{args.out} exists; pass --overwrite to replace it")
    register, funnel = build_register(args.raw, mapping=args.mapping)
    out = write_register(register, args.out)
    print(f"built {len(register):,} people from the raw registers in {args.raw}")
    print(funnel.to_string(index=False))
    print(f"wrote {out}")
    if args.funnel:
        from ._atomic import atomic_path

        with atomic_path(args.funnel) as tmp:
            funnel.to_csv(tmp, index=False)
        print(f"wrote the funnel to {args.funnel}")
    print(f"next: amu-causal validate {out}, then amu-causal run --data {out}")
    return EXIT_OK


def _cmd_run(args) -> int:
    from .report.job import JobSettings, run_job

    if args.data is None and args.columns is not None:
        raise ValueError("--columns maps the columns of --data; without --data the synthetic "
                         "register is used and --columns would be ignored")
    if args.data is None and args.drop_incomplete:
        raise ValueError("--drop-incomplete applies to --data; the synthetic register is "
                         "complete")
    if args.data is not None and args.n is not None:
        raise ValueError("--n sets the size of the synthetic register; with --data the "
                         "register's own size is used and --n would be ignored")
    if not 0 <= args.rate <= 1:
        raise ValueError(f"--rate must be a share between 0 and 1 (0.10 for 10 %), got "
                         f"{args.rate}")
    if args.min_count < 1:
        raise ValueError(f"--min-count must be at least 1, got {args.min_count}")
    settings = JobSettings(data=args.data, columns=args.columns, out=args.out, quick=args.quick,
                           seed=args.seed, n=args.n, private=args.private,
                           min_count=args.min_count, rate=args.rate, draws=args.draws,
                           tune=args.tune, quiet=args.quiet,
                           command=command_line(["amu-causal", *args.argv]),
                           drop_incomplete=args.drop_incomplete)
    page = run_job(settings)
    print(page)
    return EXIT_OK


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="amu-causal", epilog=_EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Causal analysis of AMU courses and refugees' employment two years after "
        "settlement, on register data or a calibrated synthetic register.",
    )
    parser.add_argument("--version", action="version", version=f"amu-causal {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the main analysis and write a report",
                         epilog=_EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter)
    run.add_argument("--data", type=Path, help="register file (default: synthetic register)")
    run.add_argument("--columns", type=Path, help="JSON column mapping for --data")
    run.add_argument("--out", type=Path, default=Path("results"), help="output folder")
    run.add_argument("--quick", action="store_true", help="small, fast settings")
    run.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    run.add_argument("--n", type=int, help="synthetic register size (default 23,125; 5,000 "
                                           "with --quick)")
    run.add_argument("--private", action="store_true",
                     help="keep small cells and the full posterior (inside the research "
                          "environment only; the folder is then not export-safe)")
    run.add_argument("--min-count", type=int, default=5,
                     help="smallest number of people behind an exported cell (default 5)")
    run.add_argument("--rate", type=float, default=0.10,
                     help="participation rate of policy scenario (c) (default 0.10)")
    run.add_argument("--draws", type=int, help="Bayesian draws per chain (default 700; 300 "
                                               "with --quick)")
    run.add_argument("--tune", type=int, help="Bayesian warm-up per chain (default 400; 300 "
                                              "with --quick)")
    run.add_argument("--drop-incomplete", action="store_true",
                     help="drop rows of --data with missing values in contract columns "
                          "(how many and why is printed and recorded in manifest.json); "
                          "without it such rows are an error")
    run.add_argument("--quiet", action="store_true", help="no progress lines")
    run.set_defaults(func=_cmd_run)

    sim = sub.add_parser("simulate", help="write a calibrated synthetic register")
    sim.add_argument("--n", type=int, default=23_125, help="number of people (default 23,125)")
    sim.add_argument("--seed", type=int, required=True, help="random seed")
    sim.add_argument("--out", type=Path, required=True,
                     help="output file: .parquet, .csv or .dta")
    sim.add_argument("--confounding", type=float, default=1.0,
                     help="strength of hidden confounding (0 = none, 1 = default)")
    sim.add_argument("--effect-scale", type=float, default=1.0,
                     help="multiplies the true AMU effect (0 = no effect)")
    sim.add_argument("--post-treatment", action="store_true",
                     help="let AMU raise months employed (post-treatment attachment)")
    sim.add_argument("--truth", type=Path, help="also write the known truth as JSON")
    sim.set_defaults(func=_cmd_simulate)

    build = sub.add_parser(
        "build-register", help="build the analysis register from Statistics Denmark's raw "
                               "registers (EVA's definitions)",
        description="Build the analysis register from raw registers (BEF, residence permits, "
                    "UDDA with the audd classification, the course register, the student "
                    "register, BFL and RAS), one Parquet, SAS or CSV file each, through the "
                    "coding file shipped with the package (amu_causal/dst/mapping.json) or "
                    "your own laid over it. Prints how many people each rule keeps.")
    build.add_argument("raw", type=Path, help="folder of raw register files")
    build.add_argument("--mapping", type=Path,
                       help="your coding file (JSON; entries replace the shipped ones)")
    build.add_argument("--out", type=Path, required=True,
                       help="analysis register to write (.parquet, .csv or .dta)")
    build.add_argument("--funnel", type=Path, help="also write the funnel as CSV")
    build.add_argument("--overwrite", action="store_true", help="replace an existing --out")
    build.set_defaults(func=_cmd_build_register)

    val = sub.add_parser("validate", help="check a register file against the data contract")
    val.add_argument("data", type=Path, help="register file (.csv, .parquet, .dta, .sas7bdat)")
    val.add_argument("--columns", type=Path, help="JSON column mapping")
    val.set_defaults(func=_cmd_validate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code.

    Exit codes: 0 success, 2 invalid data or unreadable file, 3 output that breaks the
    export rules (see :mod:`amu_causal.privacy`), 64 bad usage, 70 internal error (the
    traceback goes to ``amu-causal-error.log`` in the output folder), 130 interrupted.
    """
    parser = _parser()
    try:
        args = parser.parse_args(argv)
        args.argv = list(sys.argv[1:] if argv is None else argv)
    except SystemExit as err:  # argparse exits on --help and on usage errors
        return EXIT_OK if err.code == 0 else EXIT_USAGE
    try:
        return args.func(args)
    except (RegisterDataError, RawRegisterError) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_INVALID
    except (RegisterFileError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_INVALID
    except PrivacyError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_PRIVACY
    except (ValueError, TypeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted; rerun the same command to start again", file=sys.stderr)
        return 130
    except Exception as err:  # the last resort: log the bug and say where
        return _internal_error(err, args)


def _internal_error(err: BaseException, args) -> int:
    """Write the traceback to a log in the output folder and say so."""
    import traceback

    from ._atomic import write_text

    folder = Path(getattr(args, "out", None) or ".")
    folder = folder if folder.suffix == "" else folder.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        log = folder / "amu-causal-error.log"
    except OSError:
        log = Path("amu-causal-error.log")
    text = (f"{command_line(['amu-causal', *getattr(args, 'argv', [])])}\n\n"
            + "".join(traceback.format_exception(err)))
    write_text(log, text)
    print(f"internal error: {type(err).__name__}: {err}\nThis is a bug in amu_causal, not in "
          f"your data or options. The traceback is in {log}; please report it with that "
          "file (it holds no data, only the program's state).", file=sys.stderr)
    return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
