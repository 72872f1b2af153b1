"""Tables and figures of docs/validation.rst from the stored studies, in one command.

Reads every study directory under ``studies/`` (as written by ``monte_carlo.py`` and
``sbc.py``; nothing is fitted), and writes

- ``docs/_generated/validation/<study>_metrics.csv``: every measure with its MCSE, per
  estimator and estimand (percentage points for effects);
- ``docs/_generated/validation/<study>_targets.csv``: each target of the validation page
  with the measured value and ``met`` / ``not met``;
- ``docs/_generated/validation/<study>_paired.csv``: differences between estimators on
  the same registers (paired MCSEs);
- ``docs/_generated/validation/<study>_convergence.csv``: Bayesian replications whose
  estimands miss R-hat <= 1.01 or bulk ESS >= 400;
- ``docs/_generated/validation/sbc_n2000_tests.csv``: SBC uniformity tests;
- figures ``docs/figures/validation_<study>_<estimand>.png`` and
  ``docs/figures/validation_sbc_n2000_ecdf.png``;
- ``docs/_generated/validation/studies.csv``: each study's replications, wall time
  (summed fit time over workers) and command;
- ``docs/_generated/validation/no_confounding_by_size.csv``: bias, coverage and RMSE of
  the Bayesian model and OLS at each register size of the no-confounding scenario, and
  ``no_confounding_by_group.csv``: the bias of every attachment group's ATE.

Run from the repository's root::

    python simulations/report.py            # all studies found
    python simulations/report.py --check    # exit 1 if a generated file would change
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from amu_causal.validation import (
    MonteCarloResult,
    MonteCarloStudy,
    SBCResult,
    SBCStudy,
    StudyStore,
    paired_comparison,
    performance_table,
)

ROOT = Path(__file__).resolve().parent.parent
TABLES = ROOT / "docs" / "_generated" / "validation"
FIGURES = ROOT / "docs" / "figures"

#: The versions of the Bayesian model and its fitting that the studies ran: as shipped
#: (fixed group SD, a run sampled again when it misses the thresholds), the same model with
#: one run per fit (before refits, up to commit 90b5dad), and the first version (a learned
#: between-group SD with a half-normal prior of scale 0.5, up to commit 735a54b).
SHIPPED = "fixed group SD 1.0, refits"
ONE_RUN = "fixed group SD 1.0, one run"
LEARNED = "learned group SD (half-normal 0.5), one run"
#: What the historical studies' commands no longer reproduce.
HISTORICAL = ("ran with the earlier learned group SD (commit 735a54b); the command no longer "
              "reproduces it")
HISTORICAL_ONE_RUN = ("ran with one MCMC run per fit, before refits (commit 90b5dad); the "
                      "command no longer reproduces it")


def _mc(scenario: str, n: int, reps: int, estimators: str, out: str) -> str:
    return (f"python simulations/monte_carlo.py --scenario {scenario} --reps {reps} --n {n} "
            f"--workers 2 --estimators {estimators} --out studies/{out}")


#: What every study of the no-confounding scenario reports, at each size and prior.
NO_CONFOUNDING = {
    "estimands": ("ATE", "ATT", "ATE[attachment=none]"),
    "targets": ("coverage", "bias", "se_ratio", "converged"),
    "target_estimands": ("ATE", "ATE[attachment=none]"),
    "size_series": "no_confounding",
}

#: What the studies of hidden confounding report: the latent-confounder model's coverage.
CONFOUNDING = {
    "estimands": ("ATE", "ATT", "ATE[attachment=none]"),
    "targets": ("latent_coverage",),
    "target_estimands": ("ATE",),
}

#: The studies of the validation page: directories (parts), commands, estimands, targets
#: and the group-effect prior of the Bayesian model they ran. Parts of one study share the
#: registers (scenario, size, root seed); DML has no version, so its part is shared.
STUDIES = {
    "mc_no_confounding_n5000": {
        "parts": {
            "mc_no_confounding_n5000": _mc("no_confounding", 5000, 200, "bayes ols",
                                           "mc_no_confounding_n5000"),
            "mc_no_confounding_n5000_dml": _mc("no_confounding", 5000, 200, "dml",
                                               "mc_no_confounding_n5000_dml"),
        },
        **NO_CONFOUNDING,
        "version": SHIPPED,
    },
    "mc_no_confounding_n5000_single_run": {
        "parts": {
            "mc_no_confounding_n5000_single_run": HISTORICAL_ONE_RUN,
            "mc_no_confounding_n5000_dml": _mc("no_confounding", 5000, 200, "dml",
                                               "mc_no_confounding_n5000_dml"),
        },
        **NO_CONFOUNDING,
        "version": ONE_RUN,
    },
    "mc_no_confounding_n5000_halfnormal": {
        "parts": {
            "mc_no_confounding_n5000_halfnormal": HISTORICAL,
            "mc_no_confounding_n5000_dml": _mc("no_confounding", 5000, 200, "dml",
                                               "mc_no_confounding_n5000_dml"),
        },
        **NO_CONFOUNDING,
        "version": LEARNED,
    },
    "mc_no_confounding_n2000_single_run": {
        "parts": {"mc_no_confounding_n2000_single_run": HISTORICAL_ONE_RUN},
        **NO_CONFOUNDING,
        "version": ONE_RUN,
    },
    "mc_no_confounding_n2000_halfnormal": {
        "parts": {"mc_no_confounding_n2000_halfnormal": HISTORICAL},
        **NO_CONFOUNDING,
        "version": LEARNED,
    },
    "mc_confounding_n5000": {
        "parts": {
            "mc_confounding_n5000": _mc("confounding", 5000, 200, "bayes ols bayes_latent",
                                        "mc_confounding_n5000"),
            "mc_confounding_n5000_dml": _mc("confounding", 5000, 200, "dml",
                                            "mc_confounding_n5000_dml"),
        },
        **CONFOUNDING,
        "version": SHIPPED,
    },
    "mc_confounding_n5000_halfnormal": {
        "parts": {
            "mc_confounding_n5000_halfnormal": HISTORICAL,
            "mc_confounding_n5000_dml": _mc("confounding", 5000, 200, "dml",
                                            "mc_confounding_n5000_dml"),
        },
        **CONFOUNDING,
        "version": LEARNED,
    },
    "sbc_n2000": {
        "parts": {"sbc_n2000": "python simulations/sbc.py --fits 200 --n 2000 --workers 2 "
                               "--out studies/sbc_n2000"},
        "version": SHIPPED,
    },
    "sbc_n2000_single_run": {
        "parts": {"sbc_n2000_single_run": HISTORICAL_ONE_RUN},
        "version": ONE_RUN,
    },
    "sbc_n2000_halfnormal": {
        "parts": {"sbc_n2000_halfnormal": HISTORICAL},
        "version": LEARNED,
    },
}

COVERAGE_RANGE = (0.93, 0.97)
SE_RATIO_RANGE = (0.9, 1.1)
R_HAT, ESS = 1.01, 400.0


def _definition(directory: Path) -> dict:
    meta = directory / "study.json"
    if not meta.exists():
        raise FileNotFoundError(f"{directory} holds no study.json: not a study directory")
    return json.loads(meta.read_text(encoding="utf-8"))["definition"]


def _read(directory: Path) -> pd.DataFrame:
    return StudyStore(directory, _definition(directory)).read()


def monte_carlo_tables(name: str, spec: dict, rows: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Metrics, targets, paired differences and convergence of one Monte Carlo study."""
    rows = rows[rows["estimand"].isin(spec["estimands"])]
    metrics = performance_table(rows)
    metrics["se_ratio"] = metrics["model_se"] / metrics["emp_se"]
    metrics["se_ratio_mcse"] = metrics["se_ratio"] * np.sqrt(
        (metrics["model_se_mcse"] / metrics["model_se"]) ** 2
        + (metrics["emp_se_mcse"] / metrics["emp_se"]) ** 2)
    bayes = rows[rows["r_hat"].notna()]
    bad = bayes[(bayes["r_hat"] > R_HAT) | (bayes["ess_bulk"] < ESS)]
    worst = (bayes.groupby(["estimator", "estimand"])
             .agg(max_r_hat=("r_hat", "max"), min_ess_bulk=("ess_bulk", "min"),
                  failing=("r_hat", lambda r: int(((r > R_HAT)
                                                   | (bayes.loc[r.index, "ess_bulk"] < ESS))
                                                  .sum())))
             .reset_index())
    metrics = metrics.merge(worst, on=["estimator", "estimand"], how="left")
    targets = []
    for row in metrics.itertuples(index=False):
        if row.estimand not in spec["target_estimands"]:
            continue
        checks = []
        if "coverage" in spec["targets"]:
            checks.append(("coverage in [0.93, 0.97]", row.coverage, row.coverage_mcse,
                           COVERAGE_RANGE[0] <= row.coverage <= COVERAGE_RANGE[1]))
        if "bias" in spec["targets"]:
            checks.append(("bias within 2 MCSE of 0 (pp)", 100 * row.bias, 100 * row.bias_mcse,
                           abs(row.bias) <= 2 * row.bias_mcse))
        if "se_ratio" in spec["targets"]:
            checks.append(("model SE / empirical SE in [0.9, 1.1]", row.se_ratio,
                           row.se_ratio_mcse,
                           SE_RATIO_RANGE[0] <= row.se_ratio <= SE_RATIO_RANGE[1]))
        if "converged" in spec["targets"] and np.isfinite(row.max_r_hat):
            checks.append(("replications with estimand R-hat > 1.01 or bulk ESS < 400",
                           row.failing, np.nan, row.failing == 0))
        if "latent_coverage" in spec["targets"] and row.estimator.startswith(
                "HierarchicalModel[U="):
            checks.append(("coverage >= 0.93", row.coverage, row.coverage_mcse,
                           row.coverage >= COVERAGE_RANGE[0]))
        for target, value, mcse, met in checks:
            targets.append({"estimator": short_name(row.estimator),
                            "estimand": _short_estimand(row.estimand),
                            "replications": row.n_reps, "target": target,
                            "value": value, "mcse": mcse, "met": "met" if met else "not met"})
    paired = pd.concat([paired_comparison(rows, e) for e in spec["estimands"]
                        if (rows["estimand"] == e).any()], ignore_index=True)
    for column in ("bias_difference", "bias_difference_mcse", "abs_error_difference",
                   "abs_error_difference_mcse"):
        paired[column] = 100 * paired[column]
    shown = metrics.copy()
    for column in ("mean_truth", "mean_estimate", "bias", "bias_mcse", "emp_se", "emp_se_mcse",
                   "rmse", "rmse_mcse", "width", "width_mcse", "model_se", "model_se_mcse"):
        shown[column] = 100 * shown[column]
    convergence = bad[["replication", "estimator", "estimand", "r_hat", "ess_bulk"]]
    targets = (pd.DataFrame(targets, columns=TARGET_COLUMNS) if targets
               else _not_run(TARGET_COLUMNS, f"{name}: no replication of the estimators "
                                             "with targets stored yet"))
    return {"summary": summary_table(metrics), "metrics": shown,
            "targets": targets, "paired": paired,
            "convergence": convergence.sort_values(["replication", "estimand"])}


BY_SIZE_COLUMNS = ["estimator", "model version", "estimand", "n", "replications", "bias (pp)",
                   "bias MCSE", "coverage", "RMSE (pp)"]


GROUP_COLUMNS = ["estimator", "model version", "estimand", "n", "replications", "mean truth (pp)",
                 "bias (pp)", "bias MCSE"]


def group_biases(rows: pd.DataFrame, spec: dict) -> pd.DataFrame:
    """Bias of every attachment group's ATE (percentage points), to see where pooling pulls."""
    rows = rows[rows["estimand"].str.startswith("ATE[attachment=")]
    metrics = performance_table(rows)
    return pd.DataFrame({
        "estimator": metrics["estimator"].map(short_name),
        "model version": [_version(e, spec) for e in metrics["estimator"]],
        "estimand": metrics["estimand"].map(_short_estimand),
        "replications": metrics["n_reps"],
        "mean truth (pp)": (100 * metrics["mean_truth"]).round(2),
        "bias (pp)": (100 * metrics["bias"]).round(2),
        "bias MCSE": (100 * metrics["bias_mcse"]).round(2)})


def by_size(studies: dict) -> pd.DataFrame:
    """Bias, coverage and RMSE of one scenario's estimators at each register size studied.

    ``studies`` maps a study's name to its spec and its metrics table (percentage points,
    as written to ``<study>_metrics.csv``), or ``None`` when it has no stored results.
    """
    rows = []
    for spec, metrics in studies.values():
        if metrics is None or "n_reps" not in metrics:
            continue
        n = spec["n"]
        for m in metrics.itertuples(index=False):
            if m.estimand not in spec["target_estimands"] or m.estimator.startswith("DML"):
                continue  # DML was run at one size only
            rows.append({"estimator": short_name(m.estimator),
                         "model version": _version(m.estimator, spec),
                         "estimand": _short_estimand(m.estimand), "n": n,
                         "replications": m.n_reps, "bias (pp)": round(m.bias, 2),
                         "bias MCSE": round(m.bias_mcse, 2), "coverage": m.coverage,
                         "RMSE (pp)": round(m.rmse, 2)})
    if not rows:
        return _not_run(BY_SIZE_COLUMNS, "no_confounding at several sizes")
    return (pd.DataFrame(rows, columns=BY_SIZE_COLUMNS)
            .sort_values("replications", ascending=False, kind="stable")
            .drop_duplicates(["estimator", "model version", "estimand", "n"])
            .sort_values(["estimator", "model version", "estimand", "n"]).reset_index(drop=True))


def _version(estimator: str, spec: dict) -> str:
    """The group-effect prior behind a row: the study's for the Bayesian model, none else."""
    return spec["version"] if estimator.startswith("HierarchicalModel") else "-"


def short_name(estimator: str) -> str:
    """Short labels that keep the page's tables narrow."""
    if estimator.startswith("HierarchicalModel[U="):
        return "Bayes, latent U " + estimator[len("HierarchicalModel[U="):-1].join("()")
    return {"HierarchicalModel": "Bayes", "OLSFixedEffects[HC1]": "OLS (HC1)",
            "DML[irm]": "DML"}.get(estimator, estimator)


def _short_estimand(estimand: str) -> str:
    return estimand.replace("[attachment=", ", ").replace("]", "")


def summary_table(metrics: pd.DataFrame) -> pd.DataFrame:
    """The page's table: each measure as ``value (MCSE)``, effects in percentage points."""

    def cell(value, mcse, scale=100.0, digits=2):
        if not np.isfinite(value):
            return ""
        return f"{scale * value:.{digits}f} ({scale * mcse:.{digits}f})"

    rows = []
    for m in metrics.itertuples(index=False):
        rows.append({
            "estimator": short_name(m.estimator), "estimand": _short_estimand(m.estimand),
            "replications": m.n_reps,
            "mean truth": f"{100 * m.mean_truth:.2f}",
            "bias": cell(m.bias, m.bias_mcse), "empirical SE": cell(m.emp_se, m.emp_se_mcse),
            "model SE": cell(m.model_se, m.model_se_mcse),
            "SE ratio": cell(m.se_ratio, m.se_ratio_mcse, 1.0),
            "RMSE": cell(m.rmse, m.rmse_mcse),
            "coverage": cell(m.coverage, m.coverage_mcse, 1.0, 3),
            "width": cell(m.width, m.width_mcse)})
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


SUMMARY_COLUMNS = ["estimator", "estimand", "replications", "mean truth", "bias",
                   "empirical SE", "model SE", "SE ratio", "RMSE", "coverage", "width"]
TARGET_COLUMNS = ["estimator", "estimand", "replications", "target", "value", "mcse", "met"]
TEST_COLUMNS = ["quantity", "fits", "chi2", "p_value", "p_bonferroni", "mean_rank",
                "min_ess", "share_ess_sufficient", "share_converged"]


def _not_run(columns: list[str], text: str) -> pd.DataFrame:
    """A table with the page's columns saying the study has no stored results yet."""
    if ":" not in text:
        text = f"{text}: not run yet"
    return pd.DataFrame([{columns[0]: text}], columns=columns)


def _read_parts(root: Path, spec: dict) -> tuple[pd.DataFrame, list[dict]]:
    """The rows of a study's parts (the same registers: one scenario, size and root seed;
    each part its own estimators), and one overview row per part."""
    frames, overview, keys = [], [], set()
    for part in spec["parts"]:
        directory = root / part
        rows = _read(directory) if (directory / "study.json").exists() else pd.DataFrame()
        unit = "fit" if "fit" in rows else "replication"
        done = 0 if rows.empty else int(rows[unit].nunique())
        per = rows if rows.empty else rows.drop_duplicates(
            [unit, "estimator"] if "estimator" in rows else [unit])
        # Bayesian fits sampled again, longer (HierarchicalModel.refits); studies run
        # before refits existed have no attempts column
        bayes = per[per["r_hat"].notna()] if "r_hat" in per else per.iloc[:0]
        attempts = bayes["attempts"] if "attempts" in bayes else pd.Series(dtype=float)
        refitted = ("" if bayes.empty else str(int((attempts > 1).sum()))
                    if attempts.notna().any() else "none (before refits)")
        overview.append({"study": part, "replications": done,
                         "fit hours": round(float(per["seconds"].sum()) / 3600, 2)
                         if done else 0.0, "refitted fits": refitted})
        if not rows.empty:
            d = _definition(directory)
            keys.add((json.dumps(d.get("scenario")), d.get("n"), d.get("root_seed")))
            frames.append(rows)
    if len(keys) > 1:
        raise ValueError(f"the parts of one study differ in scenario, size or seed: {keys}")
    return (pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()), overview


def monte_carlo_figures(name: str, spec: dict, rows: pd.DataFrame, definition: dict
                        ) -> list[Path]:
    study = MonteCarloStudy(definition["scenario"]["name"], [object()], n=definition["n"],
                            n_reps=1)  # only the plot's labels come from it
    result = MonteCarloResult(study=study, results=rows)
    paths = []
    for estimand in spec["estimands"]:
        if not (result.results["estimand"] == estimand).any():
            continue
        ax = result.plot(estimand)
        ax.figure.tight_layout()
        stem = estimand.replace("[", "_").replace("=", "_").replace("]", "")
        path = FIGURES / f"validation_{name}_{stem}.png"
        ax.figure.savefig(path, dpi=110)
        plt.close(ax.figure)
        paths.append(path)
    return paths


def sbc_outputs(name: str, directory: Path) -> tuple[pd.DataFrame, Path]:
    definition = _definition(directory)
    ranks = _read(directory)
    study = SBCStudy(n=definition["n"], n_fits=max(1, int(ranks["fit"].nunique())),
                     thin_to=definition["thin_to"], root_seed=definition["root_seed"],
                     covariate_seed=definition["covariate_seed"])
    result = SBCResult(study=study, ranks=ranks)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the table reports ESS shortfalls
        tests = result.tests()
    axes = result.plot_ecdf()
    fig = axes.ravel()[0].figure
    fig.suptitle(f"SBC ranks, {ranks['fit'].nunique()} fits: ECDF minus uniform with "
                 "simultaneous 95 % bands", fontsize=10)
    fig.tight_layout()
    path = FIGURES / f"validation_{name}_ecdf.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return tests, path


def _placeholder(path: Path, name: str) -> None:
    """A figure that says the study has no stored results yet (the page still builds)."""
    fig, ax = plt.subplots(figsize=(6, 1.2))
    ax.axis("off")
    ax.text(0.5, 0.5, f"{name}: no stored results yet; run its command, then "
            "python simulations/report.py", ha="center", va="center", fontsize=9)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog="Run time: under a minute (reads stored results; fits nothing).")
    parser.add_argument("--studies", type=Path, default=ROOT / "studies",
                        help="directory holding the study directories (default: studies/)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if a generated table would change")
    args = parser.parse_args(argv)
    TABLES.mkdir(parents=True, exist_ok=True)
    outputs: dict[Path, pd.DataFrame] = {}
    overview = []
    groups: dict[str, pd.DataFrame] = {}
    sizes: dict[str, dict] = {}
    for name, spec in STUDIES.items():
        rows, parts = _read_parts(args.studies, spec)
        overview.extend(parts)
        if not rows.empty and "n" in rows:
            spec = {**spec, "n": int(rows["n"].iloc[0])}
        if spec.get("size_series") and not rows.empty:
            groups[name] = group_biases(rows, spec).assign(n=spec["n"])
            sizes[name] = spec
        if rows.empty:
            print(f"{name}: no replication stored yet")
            if name.startswith("sbc"):
                outputs[TABLES / f"{name}_tests.csv"] = _not_run(TEST_COLUMNS, name)
                if not args.check:
                    _placeholder(FIGURES / f"validation_{name}_ecdf.png", name)
            else:
                outputs[TABLES / f"{name}_summary.csv"] = _not_run(SUMMARY_COLUMNS, name)
                outputs[TABLES / f"{name}_targets.csv"] = _not_run(TARGET_COLUMNS, name)
            continue
        directory = args.studies / next(p for p in spec["parts"]
                                        if (args.studies / p / "study.json").exists())
        if name.startswith("sbc"):
            if not args.check:
                tests, _ = sbc_outputs(name, directory)
                outputs[TABLES / f"{name}_tests.csv"] = tests[TEST_COLUMNS]
            continue
        for label, table in monte_carlo_tables(name, spec, rows).items():
            outputs[TABLES / f"{name}_{label}.csv"] = table
        if not args.check:
            monte_carlo_figures(name, spec, rows, _definition(directory))
    # a part shared by two studies (DML on the same registers) is listed once
    outputs[TABLES / "studies.csv"] = pd.DataFrame(overview).drop_duplicates("study")
    outputs[TABLES / "no_confounding_by_group.csv"] = (
        pd.concat(groups.values())[GROUP_COLUMNS]
        .sort_values("replications", ascending=False, kind="stable")
        .drop_duplicates(["estimator", "model version", "estimand", "n"])
        .sort_values(["estimator", "model version", "estimand", "n"]).reset_index(drop=True)
        if groups else _not_run(GROUP_COLUMNS, "no_confounding by group"))
    outputs[TABLES / "no_confounding_by_size.csv"] = by_size(
        {name: (sizes[name], outputs.get(TABLES / f"{name}_metrics.csv"))
         for name in sizes})
    changed = []
    for path, table in outputs.items():
        text = table.to_csv(index=False, float_format="%.4g")
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            changed.append(path)
            if not args.check:
                path.write_text(text, encoding="utf-8")
    for path in changed:
        print(("would change: " if args.check else "wrote ") + str(path.relative_to(ROOT)))
    targets = [t for p, t in outputs.items() if p.name.endswith("_targets.csv")
               and "met" in t and t["met"].notna().any()]
    if targets and not args.check:
        table = pd.concat(targets, ignore_index=True)
        print(table.to_string(index=False))
    return 1 if (args.check and changed) else 0


if __name__ == "__main__":
    sys.exit(main())
