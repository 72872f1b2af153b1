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
    validate_register,
    write_register,
)
from .simulate import calibration_report, plot_calibration, simulate_register

__all__ = ["main"]

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 2, 64


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


def _cmd_run(args) -> int:
    import matplotlib

    from .report import Document

    matplotlib.use("Agg")  # files only; no display needed on a research server
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    synthetic = args.data is None
    stages = _Stages(total=7 if synthetic else 6, quiet=args.quiet)
    if synthetic:
        n = 5_000 if args.quick else args.n
        df, truth = simulate_register(n=n, seed=args.seed)
        df = validate_register(df)
        stages(f"simulated and validated a synthetic register of {n:,} people (seed {args.seed})")
    else:
        df = _load(args)
        stages(f"loaded and validated {args.data} ({len(df):,} people)")

    note = ("Computed on SYNTHETIC data (amu_causal's calibrated register), not on real "
            "register data." if synthetic else "Computed on the register data given with --data.")
    doc = Document("amu_causal: AMU courses and refugees' employment", note=note)
    doc.heading("The register")
    summary = _summary(df)
    summary.to_csv(out / "register_summary.csv", index=False)
    doc.table(summary, "Register summary")
    if synthetic:
        doc.text(
            f"Known truth of this synthetic register: average effect of AMU on employment two "
            f"years out {truth.ate:.3f} (ATE), {truth.att:.3f} among participants (ATT); "
            f"{truth.by_attachment.loc['none', 'ate']:.3f} among refugees with no early "
            "employment."
        )
    stages("summarised the register")

    if synthetic:
        report = calibration_report(df)
        report.to_csv(out / "calibration.csv", index=False)
        _save_figure(plot_calibration(report), out / "calibration.png")
        n_pass = int(report["passed"].sum())
        doc.heading("Calibration to the EVA note")
        doc.text(f"{n_pass} of {len(report)} published targets are reproduced within tolerance.")
        shown = report[["section", "source", "target", "published", "simulated", "lower",
                        "upper", "passed"]]
        doc.table(shown, "Published figure against the synthetic register")
        doc.figure("calibration.png", "Register minus published value, with accepted bands")
        stages(f"calibration report: {n_pass}/{len(report)} targets pass")

    _estimators(args, df, truth if synthetic else None, out, doc, stages)
    doc.heading("Not yet in this run")
    doc.text("Sensitivity analyses for unobserved confounding and the policy scenarios are "
             "added to the main job as they land; see the documentation.")
    md, page = doc.write(out)
    stages(f"wrote {page} and {md}")
    print(page)
    return EXIT_OK


def _save_figure(ax, path: Path) -> None:
    import matplotlib.pyplot as plt

    from ._atomic import atomic_path

    ax.figure.tight_layout()
    with atomic_path(path) as tmp:
        ax.figure.savefig(tmp, dpi=120, format="png", bbox_inches="tight")
    plt.close(ax.figure)


def _estimators(args, df, truth, out: Path, doc, stages) -> None:
    """OLS, DML and the Bayesian model; one comparison table and two figures."""
    import warnings

    from .baselines import DML, OLSFixedEffects
    from .bayesian import HierarchicalModel
    from .diagnostics import ConvergenceWarning
    from .report import plot_compare, plot_effects
    from .results import compare

    ols = OLSFixedEffects().fit(df)
    stages("OLS with municipality fixed effects (EVA's specification)")
    dml = DML(random_seed=args.seed).fit(df)
    stages("double machine learning (DoubleML, interactive regression model)")
    draws = 300 if args.quick else 1000
    model = HierarchicalModel(draws=draws, tune=draws, random_seed=args.seed,
                              progressbar=not args.quiet)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        bayes = model.fit(df)
    stages(f"Bayesian hierarchical model ({draws} draws x {model.chains} chains)")
    for w in caught:
        if issubclass(w.category, ConvergenceWarning):
            print(f"warning: {w.message}", file=sys.stderr)
    table = compare([bayes, ols, dml], truth=truth)
    table.to_csv(out / "effects.csv", index=False)
    bayes.diagnostics().to_csv(out / "bayes_diagnostics.csv", index=False)
    _save_figure(plot_compare(table), out / "compare.png")
    _save_figure(plot_effects(bayes, truth=truth), out / "bayes_effects.png")
    doc.heading("Effect of AMU on employment two years out")
    doc.text(
        "Three estimators, each with its own estimand: the Bayesian hierarchical model "
        "(g-computation of the ATE from a joint logit model with partially pooled "
        "municipalities), EVA's OLS with municipality fixed effects (a variance-weighted "
        "average effect; HC1 errors) and DoubleML's interactive regression model (ATE, "
        "errors clustered by municipality). Effects are on the probability scale "
        "(0.05 = five percentage points); intervals are 95 %. None of them adjusts for "
        "unobserved motivation or job readiness."
    )
    shown = table[["estimator", "estimand", "estimate", "ci_lower", "ci_upper"]
                  + (["truth", "covers"] if truth is not None else [])]
    if truth is not None:
        doc.text(
            "On the built-in synthetic register, hidden confounding by motivation and job "
            "readiness is on by default (as EVA warns it may be in the real data), so these "
            "estimators are expected to overstate the true effect shown in the truth column; "
            f"{int(table['covers'].fillna(False).sum())} of {int(table['covers'].notna().sum())} "
            "intervals cover it. Run `amu-causal simulate --confounding 0` for a register "
            "without hidden confounding."
        )
    doc.table(shown, "Estimates side by side")
    doc.figure("compare.png", "Estimators side by side")
    doc.figure("bayes_effects.png", "Posterior of the ATE, overall and by attachment group")
    doc.text("Bayesian diagnostics: " + ("; ".join(bayes.problems) if bayes.problems else
             "every R-hat at most 1.01, bulk and tail ESS at least 400, no divergences."))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="amu-causal",
        description="Causal analysis of AMU courses and refugees' employment two years after "
        "settlement, on register data or a calibrated synthetic register.",
    )
    parser.add_argument("--version", action="version", version=f"amu-causal {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the main analysis and write a report")
    run.add_argument("--data", type=Path, help="register file (default: synthetic register)")
    run.add_argument("--columns", type=Path, help="JSON column mapping for --data")
    run.add_argument("--out", type=Path, default=Path("results"), help="output folder")
    run.add_argument("--quick", action="store_true", help="small, fast settings")
    run.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    run.add_argument("--n", type=int, default=23_125, help="synthetic register size")
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

    val = sub.add_parser("validate", help="check a register file against the data contract")
    val.add_argument("data", type=Path, help="register file (.csv, .parquet, .dta, .sas7bdat)")
    val.add_argument("--columns", type=Path, help="JSON column mapping")
    val.set_defaults(func=_cmd_validate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code.

    Exit codes: 0 success, 2 invalid data or unreadable file, 64 bad usage.
    """
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as err:  # argparse exits on --help and on usage errors
        return EXIT_OK if err.code == 0 else EXIT_USAGE
    try:
        return args.func(args)
    except RegisterDataError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_INVALID
    except (RegisterFileError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_INVALID
    except (ValueError, TypeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
