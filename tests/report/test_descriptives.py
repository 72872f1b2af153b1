"""Descriptive tables of the EVA note, and the results folder that writes them."""

import json

import numpy as np
import pandas as pd
import pytest

from amu_causal.privacy import scan_outputs
from amu_causal.report import descriptives as d
from amu_causal.report.outputs import Outputs
from amu_causal.simulate.calibration import eva_regression


def test_participation_by_sex_year_adds_up(small_register):
    df, _ = small_register
    t = d.participation_by_sex_year(df)
    total = t[t["sex"] == "all"]
    assert total["n"].sum() == len(df)
    assert total["participants"].sum() == df["amu"].sum()
    men = t[t["sex"] == "male"].set_index("permit_year")
    direct = df[df["sex"] == "male"].groupby("permit_year")["amu"].mean()
    np.testing.assert_allclose(men["participation_rate"], direct.loc[men.index])


def test_municipality_ranking_and_groups(small_register):
    df, _ = small_register
    t = d.participation_by_municipality(df, min_arrivals=20)
    assert (t["n"] >= 20).all()
    assert t["participation_rate"].is_monotonic_decreasing
    assert (t["group"] == "top").sum() == 10 and (t["group"] == "bottom").sum() == 10
    means = d.group_means(t).set_index("group")
    top = t[t["group"] == "top"]
    assert means.loc["top", "mean_of_rates"] == pytest.approx(top["participation_rate"].mean())


def test_few_municipalities_split_into_top_and_bottom_without_overlap(small_register):
    df, _ = small_register
    few = df[df["municipality"].isin(df["municipality"].value_counts().index[:7])]
    t = d.participation_by_municipality(few, min_arrivals=20, top=10)
    assert len(t) == 7
    assert list(t["group"]) == ["top"] * 3 + ["middle"] + ["bottom"] * 3
    import matplotlib.pyplot as plt

    axes = d.plot_participation_by_municipality(t)
    assert axes[1].get_title() == "Top 3 (blue) and bottom 3 (red)"
    plt.close("all")


def test_the_plot_states_the_threshold_that_built_the_table(small_register):
    import matplotlib.pyplot as plt

    df, _ = small_register
    axes = d.plot_participation_by_municipality(
        d.participation_by_municipality(df, min_arrivals=40))
    assert "at least 40 arrivals" in axes[0].get_xlabel()
    plt.close("all")


def test_education_and_areas_shares(small_register):
    df, _ = small_register
    long = d.education_by_year(df)
    sums = long.groupby("permit_year")["share"].sum()
    np.testing.assert_allclose(sums, 1.0)
    assert long.loc[(long["permit_year"] == 2010) & (long["education"] == "primary"),
                    "published"].iloc[0] == pytest.approx(0.59)
    wide = d.education_wide(long)
    assert len(wide) == long["permit_year"].nunique()
    areas = d.amu_areas(df)
    assert areas["people"].sum() == df["amu"].sum()
    assert areas["published"].sum() == pytest.approx(1.0)


def test_employment_by_attachment_uses_eva_regression(small_register):
    df, _ = small_register
    t = d.employment_by_attachment(df).set_index(["attachment", "amu"])
    reg = eva_regression(df).set_index("term")
    none = reg.loc["amu[none]"]
    assert t.loc[("none", "AMU"), "adjusted_employment"] == pytest.approx(
        none["untreated_mean"] + none["estimate"])
    assert t.loc[("none", "no AMU"), "adjusted_employment"] == pytest.approx(
        none["untreated_mean"])
    assert t["n"].sum() == len(df)


def test_outputs_suppress_record_and_mark_synthetic(tmp_path, small_register):
    import matplotlib.pyplot as plt

    df, _ = small_register
    out = Outputs(tmp_path, synthetic=True)
    (tmp_path / "report.html").write_text("old")
    assert out.start() == ["report.html"]
    shown = out.table(d.participation_by_municipality(df, min_arrivals=1),
                      "muni.csv", keep=["municipality", "name"])
    assert shown["suppressed"].any()
    _, ax = plt.subplots()
    out.figure(ax, "muni.png", source="muni.csv")
    out.write_manifest()
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["files"]["muni.png"]["source"] == "muni.csv"
    assert out.caption("Table") == "Table (synthetic data)"
    assert scan_outputs(tmp_path) == []
    private = Outputs(tmp_path / "private", private=True)
    raw = private.table(d.participation_by_municipality(df, min_arrivals=1), "muni.csv")
    private.write_manifest()
    assert "suppressed" not in raw
    assert any(v.rule == "small cell" for v in scan_outputs(tmp_path / "private"))
    assert isinstance(pd.read_csv(tmp_path / "muni.csv"), pd.DataFrame)


def test_raw_differences_resting_on_few_employed_are_blanked(small_register):
    from amu_causal.privacy import safe_raw_differences

    df, _ = small_register
    codes = sorted(df["municipality"].unique())
    table = pd.DataFrame({"municipality": codes, "raw_difference": 0.1})
    safe = safe_raw_differences(table, df, min_count=5)
    cells = df.groupby(["municipality", "amu"])["employed_2y"].agg(["sum", "size"])
    for code, value in zip(safe["municipality"], safe["raw_difference"], strict=True):
        c = cells.loc[code]
        counts = np.concatenate([c["sum"].to_numpy(), (c["size"] - c["sum"]).to_numpy()])
        small = ((counts >= 1) & (counts < 5)).any()
        assert np.isnan(value) == small, code
    assert safe["raw_difference"].isna().any() and safe["raw_difference"].notna().any()


def test_every_figure_returns_the_axes_it_drew_on(small_register):
    import matplotlib.pyplot as plt

    df, _ = small_register
    table = d.participation_by_municipality(df)
    drawn = d.plot_participation_by_municipality(table, d.group_means(table))
    assert len(drawn) == 2 and drawn[0].get_title().startswith("AMU participation")
    drawn = d.plot_employment_by_attachment(d.employment_by_attachment(df))
    assert len(drawn) == 2 and drawn[0].figure is drawn[1].figure
    assert d.plot_participation_by_sex_year(d.participation_by_sex_year(df)).get_ylabel()
    # given axes are drawn on and returned
    _, given = plt.subplots(1, 2)
    assert list(d.plot_employment_by_attachment(d.employment_by_attachment(df), given)) \
        == list(given)
    plt.close("all")
