"""The sections of the main job's report: each writes its tables and figures, then its text."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import descriptives as d
from .. import eva
from ..data.schema import EDUCATION
from ..privacy import exportable_municipalities, safe_raw_differences

__all__ = ["calibration", "closing", "descriptives", "estimators", "policy", "register",
           "sensitivity"]


def _pct(x) -> str:
    return "–" if not np.isfinite(x) else f"{100 * x:.1f}"


def register(doc, out, df: pd.DataFrame, truth) -> None:
    """The register in a few numbers (and the synthetic register's truth)."""
    rows = [
        ("people", f"{len(df):,}"),
        ("municipalities", f"{df['municipality'].nunique()}"),
        ("permit years", f"{df['permit_year'].min()}-{df['permit_year'].max()}"),
        ("took AMU within two years", f"{df['amu'].mean():.1%}"),
        ("employed two years out", f"{df['employed_2y'].mean():.1%}"),
        ("no employment in the first two years", f"{(df['months_employed'] == 0).mean():.1%}"),
    ]
    summary = pd.DataFrame(rows, columns=["quantity", "value"])
    out.table(summary, "register_summary.csv", suppress=False, description="register summary")
    doc.heading("The register")
    doc.table(summary, out.caption("Register summary"))
    if truth is not None:
        doc.text(
            f"Known truth of this synthetic register: average effect of AMU on employment two "
            f"years out {truth.ate:.3f} (ATE), {truth.att:.3f} among participants (ATT); "
            f"{truth.by_attachment.loc['none', 'ate']:.3f} among refugees with no early "
            "employment. Hidden confounding by motivation and job readiness is on, as EVA "
            "warns it may be in the real data."
        )


def descriptives(doc, out, base: dict) -> None:
    """EVA Figures 1, 2 and 4 and Tables 1 and 2, recomputed on this register."""
    doc.heading("Descriptives: the EVA note on this register")
    doc.text("Each table and figure below recomputes one of the EVA note (2019) on this "
             f"register. Cells resting on fewer than {out.min_count} people (or with fewer than "
             f"{out.min_count} people on either side of a share) are suppressed (shown as –)."
             if not out.private else "PRIVATE run: no cell is suppressed.")

    # Figure 1
    t = out.table(base["sex_year"], "participation_by_sex_year.csv",
                  keep=["permit_year", "sex"], within="permit_year",
                  parts=base["sex_year"]["sex"] != "all", description="EVA Figure 1")
    out.figure(d.plot_participation_by_sex_year(t), "fig1_participation_sex_year.png",
               source="participation_by_sex_year.csv")
    doc.figure("fig1_participation_sex_year.png",
               out.caption("Figure 1: AMU participation within two years by sex and permit year"))
    wide = t.assign(rate=100 * t["participation_rate"]).pivot(index="permit_year", columns="sex",
                                                             values="rate")
    wide = wide.reindex(columns=["male", "female", "all"]).reset_index()
    wide.columns = ["permit year", "men %", "women %", "all %"]
    doc.table(wide, out.caption("Figure 1 as a table: participation (%) by permit year"), ".1f")

    # Figure 2
    raw = base["municipality"]
    means = d.group_means(raw)
    t = out.table(raw, "participation_by_municipality.csv",
                  keep=["municipality", "name", "rank", "group"], within=True,
                  description="EVA Figure 2")
    out.table(means, "participation_top_bottom.csv", keep=["group"],
              description="EVA Figure 2: top and bottom ten")
    m = means.set_index("group")
    out.figure(d.plot_participation_by_municipality(t, means)[0],
               "fig2_participation_municipality.png", source="participation_by_municipality.csv")
    doc.figure("fig2_participation_municipality.png",
               out.caption("Figure 2: participation by municipality (at least 20 arrivals), "
                           "with the top and bottom ten"))
    doc.text(f"The ten municipalities with the highest participation average "
             f"{_pct(m.loc['top', 'mean_of_rates'])} % (EVA: {100 * eva.TEN_MEANS['top']:.0f} %), "
             f"the ten lowest {_pct(m.loc['bottom', 'mean_of_rates'])} % (EVA: "
             f"{100 * eva.TEN_MEANS['bottom']:.0f} %).")
    ends = t[t["group"] != "middle"][["rank", "name", "n", "participants",
                                      "participation_rate"]]
    ends = ends.assign(participation_rate=100 * ends["participation_rate"]).rename(
        columns={"participation_rate": "participation %"})
    doc.table(ends, out.caption("Top ten and bottom ten municipalities"), ".1f")

    # Table 1
    long = out.table(base["education"], "education_by_year.csv",
                     keep=["permit_year", "education"], within="permit_year",
                     description="EVA Table 1")
    cells = long.assign(cell=[
        f"{_pct(s)} (EVA {100 * p:.0f})" if np.isfinite(p) else _pct(s)
        for s, p in zip(long["share"], long["published"], strict=True)])
    table1 = cells.pivot(index="permit_year", columns="education", values="cell")
    table1 = table1.reindex(columns=list(EDUCATION)).reset_index()
    doc.table(table1, out.caption("Table 1: highest education brought from abroad by permit "
                                  "year, % of the year (EVA's published % in brackets)"))

    # Table 2
    areas = out.table(base["areas"], "amu_areas.csv", keep=["amu_area"], within=True,
                      description="EVA Table 2")
    shown = pd.DataFrame({"AMU area": areas["amu_area"],
                          "participants": areas["people"],
                          "% of participants": [_pct(s) for s in areas["share"]],
                          "EVA % of courses": [f"{100 * p:.0f}" for p in areas["published"]]})
    doc.table(shown, out.caption("Table 2: AMU areas of the participants (EVA counts course "
                                 "participations, so only the shares compare)"))

    # Figure 4
    t = out.table(base["employment"], "employment_by_attachment.csv", keep=["attachment", "amu"],
                  within="attachment", description="EVA Figure 4")
    out.figure(d.plot_employment_by_attachment(t)[0], "fig4_employment_attachment.png",
               source="employment_by_attachment.csv")
    doc.figure("fig4_employment_attachment.png",
               out.caption("Figure 4: employment two years out by early attachment and AMU, "
                           "adjusted as in EVA (left) and raw (right)"))
    none = t[(t["attachment"] == "none")].set_index("amu")
    doc.text("Among refugees with no employment in their first two years, the adjusted "
             f"employment rate is {_pct(none.loc['AMU', 'adjusted_employment'])} % with AMU "
             f"against {_pct(none.loc['no AMU', 'adjusted_employment'])} % without (EVA: "
             f"{100 * eva.EMPLOYED_NO_EARLY_AMU:.0f} % against "
             f"{100 * eva.EMPLOYED_NO_EARLY_NO_AMU:.0f} %). Like EVA's, this is an association, "
             "not an effect.")


def calibration(doc, out, report: pd.DataFrame) -> None:
    """Published EVA figures against the synthetic register."""
    out.table(report, "calibration.csv", suppress=False, description="calibration to EVA")
    from ..simulate import plot_calibration

    out.figure(plot_calibration(report), "calibration.png", source="calibration.csv")
    n_pass = int(report["passed"].sum())
    doc.heading("Calibration to the EVA note")
    doc.text(f"{n_pass} of {len(report)} published targets are reproduced within tolerance.")
    shown = report[["section", "source", "target", "published", "simulated", "lower",
                    "upper", "passed"]]
    doc.table(shown, out.caption("Published figure against the synthetic register"))
    doc.figure("calibration.png", out.caption("Register minus published value, with accepted "
                                              "bands"))


def estimators(doc, out, bayes, ols, dml, truth, df) -> None:
    """The three estimators side by side, the Bayesian diagnostics and municipality effects."""
    from ..report import plot_compare, plot_effects, plot_municipality_effects
    from ..results import BayesianResult, compare

    table = compare([bayes, ols, dml], truth=truth)
    out.table(table, "effects.csv", suppress=False, description="effects, three estimators")
    out.latex(table, "effects.tex", source="effects.csv", label="tab:amu-effects",
              caption="Effect of AMU on employment two years after settlement: three "
                      "estimators (probability scale, 95 % intervals)",
              columns=[c for c in ("estimator", "estimand", "estimate", "ci_lower", "ci_upper",
                                   "truth") if c in table.columns])
    out.table(bayes.diagnostics(), "bayes_diagnostics.csv", suppress=False,
              description="R-hat and ESS")
    out.figure(plot_compare(table), "compare.png", source="effects.csv")
    out.figure(plot_effects(bayes, truth=truth), "bayes_effects.png", source="effects.csv")
    muni = out.table(bayes.municipality_effects() if out.private else safe_raw_differences(
                         bayes.municipality_effects(), df, min_count=out.min_count),
                     "municipality_effects.csv", keep=["municipality", "name"],
                     description="effects by municipality")
    shown = BayesianResult(bayes.estimator, bayes.effects_table, n=bayes.n,
                           tables={"municipality_effects": muni.dropna(subset=["estimate"])})
    out.figure(plot_municipality_effects(shown), "municipality_effects.png",
               source="municipality_effects.csv")
    out.posterior(bayes.idata, "posterior.nc", municipality_n=exportable_municipalities(
        bayes.municipality_effects(), min_count=out.min_count))

    doc.heading("Effect of AMU on employment two years out")
    doc.text(
        "Three estimators, each with its own estimand: the Bayesian hierarchical model "
        "(g-computation of the ATE from a joint logit model with partially pooled "
        "municipalities), EVA's OLS with municipality fixed effects (a variance-weighted "
        "average effect; HC1 errors) and DoubleML's interactive regression model (ATE, "
        "errors clustered by municipality). Effects are on the probability scale "
        "(0.05 = five percentage points); intervals are 95 %. None of them adjusts for "
        "unobserved motivation or job readiness: that is the next section."
    )
    shown_cols = ["estimator", "estimand", "estimate", "ci_lower", "ci_upper"] + (
        ["truth", "covers"] if truth is not None else [])
    if truth is not None:
        doc.text(
            "On the synthetic register hidden confounding is on, so these estimators are "
            "expected to overstate the true effect in the truth column; "
            f"{int(table['covers'].fillna(False).sum())} of {int(table['covers'].notna().sum())} "
            "intervals cover it."
        )
    doc.table(table[shown_cols], out.caption("Estimates side by side"))
    doc.figure("compare.png", out.caption("Estimators side by side"))
    doc.figure("bayes_effects.png", out.caption("Posterior of the ATE, overall and by "
                                                "attachment group"))
    doc.figure("municipality_effects.png", out.caption(
        "Effect of AMU by municipality (partially pooled), with the raw contrasts"))
    s = bayes.sampler
    doc.text(f"Bayesian diagnostics ({bayes.settings['sampler']['draws']} draws after "
             f"{bayes.settings['sampler']['tune']} warm-up in each of "
             f"{bayes.settings['sampler']['chains']} chains; smallest bulk ESS "
             f"{bayes.diagnostics()['ess_bulk'].min():.0f}, largest R-hat "
             f"{bayes.diagnostics()['r_hat'].max():.3f}, {s.get('divergences', 0)} "
             "divergences" + _refit_note(bayes) + "): "
             + ("; ".join(bayes.problems) if bayes.problems else
                                 "every R-hat at most 1.01, bulk and tail ESS at least 400.")
             + " The posterior is saved as posterior.nc (parameters and estimands only"
             + ("" if out.private else "; no data, no per-person values, municipalities with "
                f"fewer than {out.min_count} people, participants or non-participants left "
                "out") + ").")


def sensitivity(doc, out, analysis) -> None:
    """E-values, OVB, DoubleML bounds and the latent-confounder benchmark scenarios."""
    base, bayes = analysis.baselines, analysis.bayes
    ovb, dml_sens = base["ovb"], base["dml_sensitivity"]
    doc.heading("Sensitivity to unobserved motivation and job readiness")
    doc.text("How strong would an unobserved confounder have to be to explain the effect "
             "away? Four answers, each on its own scale (see the documentation's sensitivity "
             "page): E-values, omitted-variable bias for EVA's regression (Cinelli and Hazlett "
             "2020), DoubleML's bounds (Chernozhukov et al. 2022), and the Bayesian model with "
             "a latent confounder of given strength marginalised out.")

    baseline = bayes.estimate("ATE")
    ev = analysis.evalues
    out.table(ev, "evalues.csv", suppress=False, description="E-values")
    doc.table(ev.drop(columns=["source", "evalue_median"], errors="ignore"), out.caption(
        "E-values: the risk ratio a confounder would need with both AMU and employment to "
        "explain the effect away; each row's risk ratio uses the employment rate without "
        "AMU (baseline) of its own population, estimated by the same estimator"), ".2f")

    minimal = ovb.minimal_table()
    out.table(minimal, "ovb_minimal.csv", suppress=False, description="OVB minimal table")
    out.table(ovb.bounds(), "ovb_bounds.csv", suppress=False, description="OVB bounds")
    out.figure(ovb.plot_contour(), "ovb_contour.png", source="ovb_bounds.csv")
    doc.table(minimal, out.caption("Omitted-variable bias of the OLS coefficient: minimal "
                                   "reporting table"))
    doc.text(ovb.summary().replace("\n", " "))
    doc.figure("ovb_contour.png", out.caption("OLS coefficient adjusted for a confounder of "
                                              "given partial R², with benchmarks"))

    out.table(dml_sens.benchmarks, "dml_benchmarks.csv", suppress=False,
              description="DoubleML benchmarks")
    out.figure(dml_sens.plot_contour(), "dml_contour.png", source="dml_benchmarks.csv")
    doc.text(dml_sens.summary().replace("\n", " ") + " (The main job benchmarks DoubleML "
             "against months employed only, since each benchmark is one more cross-fitted "
             "model; experiments/03_sensitivity.py adds education and sex.)")
    doc.figure("dml_contour.png", out.caption("DoubleML bound toward zero over confounding "
                                              "strengths, with benchmarks"))

    doc.text(f"Bayesian model, plain: ATE {100 * baseline:.1f} points.")
    if not analysis.latent:
        doc.text("The Bayesian latent-confounder fits are left out of --quick runs (each is a "
                 "full posterior); run without --quick, or the full grid with "
                 "experiments/03_sensitivity.py.")
        return
    table = analysis.scenarios
    out.table(table, "sensitivity_scenarios.csv", suppress=False,
              description="benchmark scenarios in three frameworks")
    out.latex(table.drop(columns=[c for c in table.columns if table[c].isna().all()]),
              "sensitivity_scenarios.tex", source="sensitivity_scenarios.csv",
              label="tab:amu-sensitivity",
              caption="Sensitivity to an unobserved confounder: benchmark scenarios in three "
                      "frameworks")
    settings = analysis.latent[0].result.settings["sampler"]
    doc.text("Benchmark scenario: an unobserved confounder as strong as months employed "
             "(each framework measures 'as strong' on its own scale). The latent-confounder "
             f"fit uses {settings['draws']} draws after {settings['tune']} warm-up per chain "
             "and a standard normal U (integrated by quadrature, as in the grid and a single "
             "fit); its diagnostics are in latent_diagnostics.csv. The "
             "full grid of strengths, with the simulated strengths marked on a synthetic "
             "register, is experiments/03_sensitivity.py.")
    diag = pd.concat([fit.result.diagnostics().assign(scenario=fit.label)
                      for fit in analysis.latent], ignore_index=True)
    out.table(diag, "latent_diagnostics.csv", suppress=False, description="latent fits")
    doc.table(table[["scenario", "framework", "parameters", "unadjusted", "adjusted_estimate",
                     "adjusted_lower", "adjusted_upper"]],
              out.caption("One confounder scenario in three frameworks"))
    for text in analysis.conclusions:
        doc.text(text.replace("\n", " "))


def policy(doc, out, analysis) -> None:
    """Policy scenarios from the 2016 agreement, with the integration grant."""
    from .. import policy as pol

    results, national = analysis.policy["results"], analysis.policy["national"]
    rate = analysis.settings.rate
    out.table(national, "policy_national.csv", suppress=False,
              description="policy scenarios, national")
    plain_rows = national[national["posterior"] == "plain model"]
    out.figure(pol.plot_policy(plain_rows), "policy.png", source="policy_national.csv")
    by_muni = results[0].by_municipality(min_count=None if out.private else out.min_count)
    out.table(by_muni, "policy_municipalities_a.csv", keep=["municipality", "name"],
              description="scenario (a) by municipality")
    out.table(results[1].by_municipality(min_count=None if out.private else out.min_count),
              "policy_municipalities_b.csv", keep=["municipality", "name"],
              description="scenario (b) by municipality")
    out.figure(pol.plot_policy_municipalities(by_muni), "policy_municipalities.png",
               source="policy_municipalities_a.csv")

    doc.heading("Policy scenarios from the 2016 agreement")
    doc.text("The 2016 agreement between the government and Local Government Denmark asks "
             "municipalities to use AMU industry packages more and pays an integration grant "
             "of DKK 25,000 for each extra refugee in unsubsidised employment. With the "
             "posterior of the Bayesian model: how many more refugees would be employed two "
             "years after settlement, and what grant would follow, if (a) every municipality "
             "raised AMU participation to the top-decile level, (b) the same extra places went "
             "to refugees with no early employment, (c) every municipality reached "
             f"{100 * rate:g} % participation. Equations: docs/policy.rst.")
    for r in results:
        doc.text(r.summary())
    shown = national[["posterior", "scenario", "extra_participants", "extra_employed",
                      "ci_lower", "ci_upper", "grant_dkk_million", "grant_lower", "grant_upper"]
                     + (["truth"] if "truth" in national else [])]
    doc.table(shown, out.caption("Expected extra refugees employed two years out and the "
                                 "integration grant (DKK million), 95 % intervals"), ".1f")
    doc.figure("policy.png", out.caption("Policy scenarios, plain model"))
    top = by_muni.dropna(subset=["extra_employed"]).head(15)
    doc.table(top[["name", "n", "participation_rate", "target_rate", "extra_participants",
                   "extra_employed", "ci_lower", "ci_upper", "grant_dkk"]],
              out.caption("Scenario (a): the 15 municipalities with most extra employed "
                          "(all municipalities in policy_municipalities_a.csv)"), ".2f")
    doc.figure("policy_municipalities.png", out.caption("Scenario (a) by municipality"))
    doc.text("Assumptions: " + " ".join(f"({i + 1}) {a}" for i, a in
                                        enumerate(pol.ASSUMPTIONS)))
    if analysis.latent:
        doc.text("The rows under 'latent confounder' repeat the scenarios with the posterior of "
                 "the model that adjusts for a confounder as strong as months employed: the "
                 "scenarios are only as good as the effect behind them.")


def closing(doc, out, settings, stages) -> None:
    """How the report was made, and what may leave the research environment."""
    doc.heading("About this run")
    from ..provenance import command_line, environment, sha256

    env = environment()
    deps = env["dependencies"]
    rows = [("command", settings.command or command_line()),
            ("amu_causal", env["amu_causal"]),
            ("Python, platform", f"{env['python']}, {env['platform']}"),
            ("main libraries", ", ".join(f"{k} {deps[k]}" for k in (
                "pymc", "nutpie", "arviz", "doubleml", "pyfixest", "numpy", "pandas")
                if deps.get(k))),
            ("input", "synthetic register" if settings.synthetic else
             f"{settings.data} (SHA-256 {sha256(settings.data)[:16]}...)"),
            ("column mapping", "none" if settings.columns is None else
             f"{settings.columns} (SHA-256 {sha256(settings.columns)[:16]}...; its content is "
             "in manifest.json)"),
            ("seed", str(settings.seed)),
            ("Bayesian draws x warm-up per chain", "{} x {}".format(*settings.sampling)),
            ("minimum cell size", str(settings.min_count)),
            ("export-safe", "no (--private)" if settings.private else "yes")]
    doc.table(pd.DataFrame(rows, columns=["setting", "value"]), "Settings")
    timing = pd.DataFrame(stages.log, columns=["stage", "elapsed seconds"])
    out.table(timing, "stages.csv", suppress=False, description="stage timings")
    doc.table(timing, "Stages and elapsed time", ".1f")
    doc.text("Rerunning with the same inputs and seed gives the same numbers. Every file is "
             "written atomically and listed with its checksum in manifest.json, which is "
             "written last and records the full command, every setting, the input's and the "
             "column mapping's SHA-256, the seeds, the versions of Python and of every "
             "library that decides the numbers, and the wall time of each stage."
             + ("" if settings.private else
                                " Once this report is written the run scans the folder "
                                "(amu_causal.privacy.scan_outputs) and fails if any table, "
                                "figure or posterior breaks the export rules."))


def _refit_note(result) -> str:
    """How the reported run came about, when the first one missed the thresholds."""
    attempts = result.settings.get("attempts", [])
    if len(attempts) < 2:
        return ""
    first = attempts[0]
    return (f"; the first run ({first['draws']} draws after {first['tune']} warm-up) missed "
            f"the convergence thresholds, so the model was sampled {len(attempts) - 1} more "
            "time(s), each twice as long, and the last run is reported")
