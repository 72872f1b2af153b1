"""The main job behind ``amu-causal run``: compute the analysis, then render it.

:func:`amu_causal.pipeline.run_analysis` computes everything (estimators,
sensitivity analyses, policy scenarios) into one
:class:`~amu_causal.pipeline.Analysis`; :func:`run_job` renders it into one
results folder (tables, figures, the posterior, the report, the manifest) and
scans the folder against the export rules. :mod:`amu_causal.report.sections`
writes each part of the report.
"""

from __future__ import annotations

import sys
from pathlib import Path

# JobSettings and Stages are defined with the computation; imported here too, where
# ``amu-causal run`` and earlier code find them
from ..pipeline import Analysis, JobSettings, Stages, run_analysis

__all__ = ["JobSettings", "Stages", "render", "run_job"]


def run_job(settings: JobSettings) -> Path:
    """Run the main job; return the path of ``report.html``.

    Raises
    ------
    amu_causal.privacy.PrivacyError
        When the finished folder breaks the export rules (never expected;
        the folder is kept for inspection and the report says nothing is
        safe to export until it is fixed).
    """
    from .outputs import Outputs

    stages = Stages(settings.quiet)
    out = Outputs(settings.out, private=settings.private, min_count=settings.min_count,
                  synthetic=settings.synthetic)
    removed = out.start()
    if removed and not settings.quiet:
        print(f"replacing the results of an earlier run in {settings.out} "
              f"(removed {', '.join(removed)} first)", file=sys.stderr)
    analysis = run_analysis(settings, stages)
    return render(analysis, out)


def render(analysis: Analysis, out) -> Path:
    """Write an analysis into a results folder; return the path of ``report.html``.

    Parameters
    ----------
    analysis : Analysis
        From :func:`amu_causal.pipeline.run_analysis`.
    out : Outputs
        The results folder, started (:meth:`Outputs.start`).
    """
    import matplotlib

    matplotlib.use("Agg")  # files only; no display on a research server

    from ..privacy import check_outputs, exportable_municipalities
    from . import sections
    from .document import Document

    settings, stages, df = analysis.settings, analysis.stages, analysis.data
    note = ("Computed on SYNTHETIC data (amu_causal's calibrated register), not on real "
            "register data." if settings.synthetic else
            "Computed on the register data given with --data.")
    if settings.private:
        note += (" PRIVATE run: small cells are not suppressed and the saved posterior keeps "
                 "everything; do not export this folder.")
    doc = Document("amu_causal: AMU courses and refugees' employment", note=note)
    sections.register(doc, out, df, analysis.truth)
    sections.descriptives(doc, out, analysis.baselines)
    if settings.synthetic:
        sections.calibration(doc, out, analysis.baselines["calibration"])
    sections.estimators(doc, out, analysis.bayes, analysis.ols, analysis.dml, analysis.truth,
                        df)
    for k, fit in enumerate(analysis.latent):
        out.posterior(fit.result.idata, f"posterior_latent_{k + 1}.nc",
                      municipality_n=exportable_municipalities(
                          fit.result.municipality_effects(), min_count=out.min_count))
    sections.sensitivity(doc, out, analysis)
    sections.policy(doc, out, analysis)
    stages("report sections written")

    sections.closing(doc, out, settings, stages)
    md, page = doc.write(out.folder)
    out.add(md.name, "report")
    out.add(page.name, "report")
    dropped = analysis.dropped
    out.write_manifest(**provenance(settings, n_people=len(df), stages=stages.log,
                                    dropped_incomplete=None if dropped is None
                                    else dropped.to_dict("records")))
    if not settings.private:
        check_outputs(out.folder, min_count=settings.min_count, n_people=len(df))
        stages("export scan: no microdata and no cell below "
               f"{settings.min_count} people")
    stages(f"wrote {page}")
    return page


def provenance(settings: JobSettings, **extra) -> dict:
    """What ``manifest.json`` records about how a run was made.

    The command with every option, the settings, the package, Python,
    platform and dependency versions, the input file's SHA-256 and the column
    mapping used (its content and checksum), the seeds, and whatever is
    passed in ``extra`` (people, stage wall times).
    """
    from ..provenance import command_line, environment, inputs

    draws, tune = settings.sampling
    return {
        "command": settings.command or command_line(),
        "settings": {"data": settings.data, "columns": settings.columns, "out": settings.out,
                     "quick": settings.quick, "n": settings.n, "private": settings.private,
                     "min_count": settings.min_count, "rate": settings.rate, "draws": draws,
                     "tune": tune, "drop_incomplete": settings.drop_incomplete},
        "seeds": {"root": settings.seed, "simulation": None if settings.data else settings.seed,
                  "estimators and sampler": settings.seed},
        "inputs": inputs(settings.data, settings.columns, mapping_content=True),
        "environment": environment(), **extra,
    }
