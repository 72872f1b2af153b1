"""Calibration to the published EVA figures."""

import numpy as np
import pytest

import amu_causal as ac
from amu_causal.simulate import eva_regression


@pytest.fixture(scope="module")
def reports():
    out = {}
    for seed in range(1, 6):
        df, truth = ac.simulate_register(seed=seed)
        out[seed] = (ac.calibration_report(df), truth)
    return out


@pytest.mark.parametrize("seed", range(1, 6))
def test_default_register_passes_every_target(reports, seed):
    report, _ = reports[seed]
    failed = report.loc[~report["passed"], ["target", "simulated", "lower", "upper"]]
    assert failed.empty, failed.to_string()
    assert len(report) == 57


def test_regression_contrast_is_centred_on_eva(reports):
    """Across seeds the OLS contrast averages near EVA's 10 points (19 % vs 9 %)."""
    target = "AMU contrast, no early employment (OLS, municipality FE)"
    values = [r.set_index("target").loc[target, "simulated"] for r, _ in reports.values()]
    assert np.mean(values) == pytest.approx(0.10, abs=0.015)


def test_truth_is_well_below_the_eva_contrast(reports):
    """The premise of the sensitivity analysis: selection inflates the association."""
    for report, truth in reports.values():
        contrast = report.set_index("target").loc[
            "AMU contrast, no early employment (OLS, municipality FE)", "simulated"]
        assert truth.by_attachment.loc["none", "ate"] < contrast - 0.01


def test_report_can_fail():
    df, _ = ac.simulate_register(seed=1, participation_rate=0.12)
    report = ac.calibration_report(df, include_regression=False).set_index("target")
    assert not report.loc["AMU within two years, all", "passed"]


def test_without_confounding_the_contrast_is_near_the_truth():
    df, truth = ac.simulate_register(seed=1, confounding=0.0)
    reg = eva_regression(df).set_index("term")
    est, se = reg.loc["amu[none]", ["estimate", "std_error"]]
    assert abs(est - truth.by_attachment.loc["none", "ate"]) < 3 * se


def test_report_columns_and_plot(reports):
    report, _ = reports[1]
    assert list(report.columns) == ["section", "source", "target", "published", "simulated",
                                    "lower", "upper", "passed", "tolerance"]
    fig = ac.plot_calibration(report)
    shown = report[np.isfinite(report["upper"])]
    # one panel per section, every row labelled in its own section's panel
    assert [a.get_title(loc="left") for a in fig.axes] == list(dict.fromkeys(shown["section"]))
    assert sum(len(a.get_yticklabels()) for a in fig.axes) == len(shown)
    assert min(t.get_fontsize() for a in fig.axes for t in a.get_yticklabels()) >= 8
    import matplotlib.pyplot as plt

    _, ax = plt.subplots()
    assert ac.plot_calibration(report, ax=ax) is ax  # one axes when asked
    assert len(ax.get_yticklabels()) == len(shown)
